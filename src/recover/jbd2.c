/*
 * jbd2 journal reader (include/husk/jbd2.h).
 *
 * Sources followed: the kernel's fs/jbd2/recovery.c (as copied into tytso/e2fsprogs
 * e2fsck/recovery.c, 2026) for the replay, fs/jbd2/journal.c load_superblock() for the
 * superblock checks, include/linux/jbd2.h (e2fsprogs lib/ext2fs/kernel-jbd.h) for the layouts,
 * and recovery.md section 2. Where this file departs from the kernel it says so: always for
 * input the kernel would refuse outright (husk keeps what came before the damage and reports
 * it, because a forensic reader has to show something and say what it could not use).
 */
#include "husk/jbd2.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/crc32c.h"

#define SB_BYTES 1024
#define MIN_JOURNAL_BLOCKS 1024 /* JBD2_MIN_JOURNAL_BLOCKS */
#define DEFAULT_FC_BLOCKS 256   /* JBD2_DEFAULT_FAST_COMMIT_BLOCKS */
#define KNOWN_INCOMPAT 0x3fu    /* REVOKE .. FAST_COMMIT */
#define CRC32C_CHKSUM 4         /* JBD2_CRC32C_CHKSUM */
#define CRC32_CHKSUM 1          /* JBD2_CRC32_CHKSUM (v1 compat checksum) */
#define CRC32_CHKSUM_SIZE 4
#define TAIL_BYTES 4     /* struct jbd2_journal_block_tail */
#define REVOKE_HEADER 16 /* jbd2_journal_revoke_header_t */

struct husk_jbd2 {
    husk_jbd2_read_fn read;
    void *ctx;
    husk_jbd2_sb sb;
    uint64_t fs_blocks;
    uint8_t *blk, *data; /* scratch: the block being parsed, and a data block */
    unsigned reports;    /* damage reports of the current index or replay call */
    int sb_usable;       /* 0: the superblock fails a check the kernel refuses to replay past */
    int64_t origin;      /* byte of journal block 0 in the image, -1 unknown (errors' offset) */
    char sb_problem[160];

    int indexed;
    husk_jbd2_copy *copies;
    size_t ncopies, capcopies;
    husk_jbd2_revoke *revokes;
    size_t nrevokes, caprevokes;
    husk_jbd2_commit *commits;
    size_t ncommits, capcommits;

    int replayed;
    husk_jbd2_replay_stats rs;
    husk_jbd2_mapping *map;
    size_t nmap, capmap;
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Transaction IDs wrap at 2^32; the kernel compares them by signed difference. */
static int tid_gt(uint32_t x, uint32_t y)
{
    return (int32_t)(x - y) > 0;
}

static int tid_geq(uint32_t x, uint32_t y)
{
    return (int32_t)(x - y) >= 0;
}

/* Grows *arr (of elem bytes) to hold one more entry; bounded by limit entries. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, size_t limit, husk_err *err)
{
    if (n < *cap)
        return 0;
    if (n >= limit)
        return husk_err_set(err, HUSK_E_LIMIT, "more than %zu journal entries", limit);
    size_t nc = *cap ? *cap * 2 : 256;
    if (nc > limit)
        nc = limit;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    *arr = p;
    *cap = nc;
    return 0;
}

#define MAX_REPORTS 32 /* a hostile journal could otherwise fill the errors table */

/* Reports damage to diag, at most MAX_REPORTS times per index or replay call. */
static void damage(husk_jbd2 *j, husk_diag *diag, const char *object, uint64_t jblock,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Reports damage to diag at journal block jblock's byte in the image when the journal's place
 * is known (husk_jbd2_set_origin), at most MAX_REPORTS times per index or replay call. */
static void damage(husk_jbd2 *j, husk_diag *diag, const char *object, uint64_t jblock,
                   const char *fmt, ...)
{
    if (++j->reports > MAX_REPORTS)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int64_t off = -1;
    if (j->origin >= 0 && jblock < j->sb.maxlen)
        off = j->origin + (int64_t)(jblock * j->sb.blocksize);
    husk_diag_report(diag, "journal", object, off, "%s", msg);
}

void husk_jbd2_set_origin(husk_jbd2 *j, int64_t byte)
{
    j->origin = byte;
}

static void damage_summary(husk_jbd2 *j, husk_diag *diag)
{
    if (j->reports > MAX_REPORTS)
        husk_diag_report(diag, "journal", "journal", -1,
                         "%u more damaged journal blocks not reported one by one",
                         j->reports - MAX_REPORTS);
    j->reports = 0;
}

int husk_jbd2_read_block(husk_jbd2 *j, uint64_t jblock, uint8_t *buf, husk_err *err)
{
    /* jread(): a block past the journal means a corrupt superblock or tag, never I/O */
    if (jblock >= j->sb.maxlen)
        return husk_err_set(err, HUSK_E_FORMAT, "journal block %llu past the journal's %u",
                            (unsigned long long)jblock, j->sb.maxlen);
    return j->read(j->ctx, jblock * j->sb.blocksize, buf, j->sb.blocksize, err);
}

/* The kernel's wrap(): positions past the log area continue at its start. A hostile count
 * may carry a position more than one lap past the end, which the kernel's single
 * subtraction would not bring back; the modulo does. */
static uint64_t wrap(const husk_jbd2 *j, uint64_t pos)
{
    uint64_t len = (uint64_t)j->sb.last - j->sb.first;
    if (pos >= j->sb.last && len)
        pos = j->sb.first + (pos - j->sb.first) % len;
    return pos;
}

/* ---- superblock ------------------------------------------------------------------------ */

static uint32_t tag_bytes(const husk_jbd2_sb *sb)
{
    if (sb->feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V3)
        return 16;
    uint32_t sz = 12;
    if (sb->feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V2)
        sz += 2;
    return (sb->feature_incompat & HUSK_JBD2_INCOMPAT_64BIT) ? sz : sz - 4;
}

static void sb_refuse(husk_jbd2 *j, const char *why)
{
    if (j->sb_usable) {
        j->sb_usable = 0;
        snprintf(j->sb_problem, sizeof j->sb_problem, "%s", why);
    }
}

int husk_jbd2_open(husk_jbd2_read_fn read, void *ctx, uint64_t journal_size, uint32_t fs_block_size,
                   uint64_t fs_blocks, husk_jbd2 **out, husk_err *err)
{
    uint8_t b[SB_BYTES];
    *out = NULL;
    if (journal_size < SB_BYTES)
        return husk_err_set(err, HUSK_E_FORMAT, "journal of %llu bytes is too small",
                            (unsigned long long)journal_size);
    int r = read(ctx, 0, b, sizeof b, err);
    if (r < 0)
        return r;
    if (be32(b) != HUSK_JBD2_MAGIC)
        return husk_err_set(err, HUSK_E_FORMAT, "no jbd2 magic in the journal superblock");
    uint32_t type = be32(b + 4);
    if (type != HUSK_JBD2_SUPERBLOCK_V1 && type != HUSK_JBD2_SUPERBLOCK_V2)
        return husk_err_set(err, HUSK_E_FORMAT, "journal superblock of unknown type %u", type);
    husk_jbd2_sb sbv = {0}, *sb = &sbv;
    sb->version = type == HUSK_JBD2_SUPERBLOCK_V2 ? 2 : 1;
    sb->blocksize = be32(b + 0x0C);
    sb->maxlen = be32(b + 0x10);
    sb->first = be32(b + 0x14);
    sb->sequence = be32(b + 0x18);
    sb->start = be32(b + 0x1C);
    sb->error = (int32_t)be32(b + 0x20);
    if (sb->version == 2) { /* the kernel reads feature words only from a v2 superblock */
        sb->feature_compat = be32(b + 0x24);
        sb->feature_incompat = be32(b + 0x28);
        sb->feature_ro_compat = be32(b + 0x2C);
        memcpy(sb->uuid, b + 0x30, 16);
        sb->nr_users = be32(b + 0x40);
        sb->checksum_type = b[0x50];
        sb->num_fc_blocks = be32(b + 0x54);
    }
    uint32_t bs = sb->blocksize;
    if (bs < 1024 || bs > 65536 || (bs & (bs - 1))) {
        return husk_err_set(err, HUSK_E_FORMAT, "journal block size %u invalid", bs);
    }
    if (fs_block_size && bs != fs_block_size) {
        return husk_err_set(err, HUSK_E_FORMAT,
                            "journal block size %u differs from the file system's %u", bs,
                            fs_block_size);
    }
    uint64_t total = journal_size / bs;
    if (sb->maxlen > total) {
        return husk_err_set(err, HUSK_E_FORMAT,
                            "journal superblock claims %u blocks, the journal file holds %llu",
                            sb->maxlen, (unsigned long long)total);
    }
    if (sb->first == 0 || sb->first >= sb->maxlen) {
        return husk_err_set(err, HUSK_E_FORMAT, "journal's first log block %u invalid", sb->first);
    }
    sb->last = sb->maxlen;
    if (sb->feature_incompat & HUSK_JBD2_INCOMPAT_FAST_COMMIT) {
        uint32_t nfc = sb->num_fc_blocks ? sb->num_fc_blocks : DEFAULT_FC_BLOCKS;
        /* load_superblock(): the fast-commit area is carved off the end only when enough log
         * remains */
        if (sb->last > nfc && sb->last - nfc >= MIN_JOURNAL_BLOCKS && sb->last - nfc > sb->first)
            sb->last -= nfc;
        sb->num_fc_blocks = nfc;
    }
    husk_jbd2 *j = calloc(1, sizeof *j);
    if (j)
        j->origin = -1;
    if (!j)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    j->read = read;
    j->ctx = ctx;
    j->fs_blocks = fs_blocks;
    j->sb_usable = 1;
    j->sb = sbv;
    sb = &j->sb;
    sb->csum_v2or3 =
        (sb->feature_incompat & (HUSK_JBD2_INCOMPAT_CSUM_V2 | HUSK_JBD2_INCOMPAT_CSUM_V3)) != 0;
    sb->tag_bytes = tag_bytes(sb);
    sb->csum_seed = husk_crc32c(~0u, sb->uuid, 16);
    sb->sb_csum_ok = -1;
    if (sb->csum_v2or3) {
        uint8_t c[SB_BYTES];
        memcpy(c, b, sizeof c);
        memset(c + 0xFC, 0, 4);
        sb->sb_csum_ok = husk_crc32c(~0u, c, sizeof c) == be32(b + 0xFC);
    }
    if ((sb->feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V2) &&
        (sb->feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V3))
        sb_refuse(j, "journal claims checksums v2 and v3 at once");
    if (sb->csum_v2or3 && (sb->feature_compat & HUSK_JBD2_COMPAT_CHECKSUM))
        sb_refuse(j, "journal claims checksums v1 and v2/v3 at once");
    if (sb->csum_v2or3 && sb->checksum_type != CRC32C_CHKSUM)
        sb_refuse(j, "journal checksum type is not crc32c");
    if (sb->sb_csum_ok == 0)
        sb_refuse(j, "journal superblock checksum does not match");
    if (sb->feature_incompat & ~KNOWN_INCOMPAT)
        sb_refuse(j, "journal has unknown incompatible features");
    if (sb->start && (sb->start < sb->first || sb->start >= sb->last))
        sb_refuse(j, "journal log start lies outside the log area");
    j->blk = malloc(bs);
    j->data = malloc(bs);
    if (!j->blk || !j->data) {
        husk_jbd2_close(j);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    *out = j;
    return 0;
}

void husk_jbd2_close(husk_jbd2 *j)
{
    if (!j)
        return;
    free(j->blk);
    free(j->data);
    free(j->copies);
    free(j->revokes);
    free(j->commits);
    free(j->map);
    free(j);
}

const husk_jbd2_sb *husk_jbd2_superblock(const husk_jbd2 *j)
{
    return &j->sb;
}

/* ---- block checks ---------------------------------------------------------------------- */

/* jbd2_descriptor_block_csum_verify(): crc32c over the block with its tail zeroed (also used
 * for revoke blocks). */
static int tail_csum_ok(const husk_jbd2 *j, const uint8_t *b)
{
    uint32_t bs = j->sb.blocksize;
    uint8_t zero[TAIL_BYTES] = {0};
    uint32_t c = husk_crc32c(j->sb.csum_seed, b, bs - TAIL_BYTES);
    c = husk_crc32c(c, zero, TAIL_BYTES);
    return c == be32(b + bs - TAIL_BYTES);
}

/* jbd2_commit_block_csum_verify(): h_chksum[0] (offset 16) zeroed. */
static int commit_csum_ok(const husk_jbd2 *j, const uint8_t *b)
{
    uint8_t zero[4] = {0};
    uint32_t c = husk_crc32c(j->sb.csum_seed, b, 16);
    c = husk_crc32c(c, zero, 4);
    c = husk_crc32c(c, b + 20, j->sb.blocksize - 20);
    return c == be32(b + 16);
}

typedef struct tag {
    uint64_t block;
    uint32_t flags;
    uint32_t csum;
    size_t off; /* offset of the tag in its descriptor */
} tag;

/*
 * Parses the tags of a descriptor block as count_tags() and the replay loop do: read a tag
 * while it fits before the checksum tail; 16 UUID bytes follow unless SAME_UUID; stop after
 * LAST_TAG. Every format is read through the v2 layout: flags are the be16 at offset 6,
 * the high block half is at offset 8 (64BIT only), the v2 checksum the be16 at 4 and the v3
 * one the be32 at 12.
 */
static size_t parse_tags(const husk_jbd2 *j, const uint8_t *b, tag *t)
{
    const husk_jbd2_sb *sb = &j->sb;
    size_t size = sb->blocksize - (sb->csum_v2or3 ? TAIL_BYTES : 0);
    size_t p = 12, n = 0, tb = sb->tag_bytes;
    while (p + tb <= size) {
        t[n].off = p;
        t[n].flags = be16(b + p + 6);
        t[n].block = be32(b + p);
        if (sb->feature_incompat & HUSK_JBD2_INCOMPAT_64BIT)
            t[n].block |= (uint64_t)be32(b + p + 8) << 32;
        t[n].csum = (sb->feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V3) ? be32(b + p + 12)
                                                                        : be16(b + p + 4);
        uint32_t f = t[n].flags;
        n++;
        p += tb;
        if (!(f & HUSK_JBD2_FLAG_SAME_UUID))
            p += 16;
        if (f & HUSK_JBD2_FLAG_LAST_TAG)
            break;
    }
    return n;
}

static size_t max_tags(const husk_jbd2 *j)
{
    return j->sb.blocksize / j->sb.tag_bytes + 1;
}

/* jbd2_block_tag_csum_verify(): crc32c(seed, be32 sequence, data block as stored); v3
 * compares 32 bits, v2 the low 16. -1 when the journal has no tag checksums. */
static int tag_csum(const husk_jbd2 *j, const tag *t, const uint8_t *data, uint32_t sequence)
{
    if (!j->sb.csum_v2or3)
        return -1;
    uint8_t seq[4];
    put_be32(seq, sequence);
    uint32_t c = husk_crc32c(j->sb.csum_seed, seq, 4);
    c = husk_crc32c(c, data, j->sb.blocksize);
    if (j->sb.feature_incompat & HUSK_JBD2_INCOMPAT_CSUM_V3)
        return t->csum == c;
    return t->csum == (c & 0xffff);
}

/* r_count of a revoke block, checked as scan_revoke_records() does; -1 when invalid. */
static int64_t revoke_count(const husk_jbd2 *j, const uint8_t *b)
{
    uint32_t rc = be32(b + 12);
    uint32_t max = j->sb.blocksize - (j->sb.csum_v2or3 ? TAIL_BYTES : 0);
    if (rc > max)
        return -1;
    return rc; /* below the header: no records, as scan_revoke_records() reads it */
}

static unsigned revoke_record_len(const husk_jbd2 *j)
{
    return (j->sb.feature_incompat & HUSK_JBD2_INCOMPAT_64BIT) ? 8 : 4;
}

static uint64_t revoke_record(const husk_jbd2 *j, const uint8_t *b, size_t off)
{
    return revoke_record_len(j) == 8 ? be64(b + off) : be32(b + off);
}

/* ---- (a) index ------------------------------------------------------------------------- */

static int cmp_copy(const void *a, const void *b)
{
    const husk_jbd2_copy *x = a, *y = b;
    if (x->fs_block != y->fs_block)
        return x->fs_block < y->fs_block ? -1 : 1;
    if (x->sequence != y->sequence)
        return x->sequence < y->sequence ? -1 : 1;
    return x->journal_block < y->journal_block ? -1 : x->journal_block > y->journal_block;
}

static int cmp_revoke(const void *a, const void *b)
{
    const husk_jbd2_revoke *x = a, *y = b;
    if (x->fs_block != y->fs_block)
        return x->fs_block < y->fs_block ? -1 : 1;
    if (x->sequence != y->sequence)
        return x->sequence < y->sequence ? -1 : 1;
    return x->journal_block < y->journal_block ? -1 : x->journal_block > y->journal_block;
}

static int cmp_commit(const void *a, const void *b)
{
    const husk_jbd2_commit *x = a, *y = b;
    if (x->sequence != y->sequence)
        return x->sequence < y->sequence ? -1 : 1;
    return x->journal_block < y->journal_block ? -1 : x->journal_block > y->journal_block;
}

static int index_descriptor(husk_jbd2 *j, uint64_t at, uint32_t seq, tag *tags, size_t limit,
                            husk_diag *diag, husk_err *err)
{
    int dcsum = j->sb.csum_v2or3 ? tail_csum_ok(j, j->blk) : -1;
    size_t nt = parse_tags(j, j->blk, tags);
    for (size_t k = 0; k < nt; k++) {
        uint64_t pos = wrap(j, at + 1 + k);
        if (j->fs_blocks && tags[k].block >= j->fs_blocks) {
            damage(j, diag, "descriptor", at,
                   "journal block %llu (transaction %u) tags file-system block %llu, "
                   "past the file system's end; skipped",
                   (unsigned long long)at, seq, (unsigned long long)tags[k].block);
            continue;
        }
        husk_err e = {0};
        int csum = -1;
        if (husk_jbd2_read_block(j, pos, j->data, &e) < 0) {
            damage(j, diag, "data block", pos, "journal block %llu unreadable: %s",
                   (unsigned long long)pos, e.msg);
            csum = 0;
        } else {
            csum = tag_csum(j, &tags[k], j->data, seq);
        }
        int r = grow((void **)&j->copies, &j->capcopies, j->ncopies, sizeof *j->copies, limit, err);
        if (r < 0)
            return r;
        j->copies[j->ncopies++] = (husk_jbd2_copy){.fs_block = tags[k].block,
                                                   .journal_block = pos,
                                                   .descriptor_block = at,
                                                   .sequence = seq,
                                                   .flags = tags[k].flags,
                                                   .csum = csum,
                                                   .descriptor_csum = dcsum};
    }
    return 0;
}

static int index_revoke(husk_jbd2 *j, uint64_t at, uint32_t seq, size_t limit, husk_diag *diag,
                        husk_err *err)
{
    int64_t rc = revoke_count(j, j->blk);
    if (rc < 0) {
        damage(j, diag, "revoke block", at, "journal block %llu: revoke count %u out of range; skipped",
               (unsigned long long)at, be32(j->blk + 12));
        return 0;
    }
    int csum = j->sb.csum_v2or3 ? tail_csum_ok(j, j->blk) : -1;
    unsigned rl = revoke_record_len(j);
    for (size_t off = REVOKE_HEADER; off + rl <= (size_t)rc; off += rl) {
        int r =
            grow((void **)&j->revokes, &j->caprevokes, j->nrevokes, sizeof *j->revokes, limit, err);
        if (r < 0)
            return r;
        j->revokes[j->nrevokes++] = (husk_jbd2_revoke){.fs_block = revoke_record(j, j->blk, off),
                                                       .journal_block = at,
                                                       .sequence = seq,
                                                       .csum = csum};
    }
    return 0;
}

/* The commit block of copy c: the one with its sequence nearest after its descriptor. */
static const husk_jbd2_commit *commit_of(const husk_jbd2 *j, const husk_jbd2_copy *c)
{
    size_t lo = 0, hi = j->ncommits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->commits[mid].sequence < c->sequence)
            lo = mid + 1;
        else
            hi = mid;
    }
    const husk_jbd2_commit *best = NULL;
    uint64_t len = (uint64_t)j->sb.last - j->sb.first, bestd = UINT64_MAX;
    for (size_t i = lo; i < j->ncommits && j->commits[i].sequence == c->sequence; i++) {
        uint64_t d = (j->commits[i].journal_block + len - c->descriptor_block) % (len ? len : 1);
        if (d < bestd) {
            bestd = d;
            best = &j->commits[i];
        }
    }
    return best;
}

static void link_copies(husk_jbd2 *j)
{
    size_t ri = 0;
    for (size_t i = 0; i < j->ncopies; i++) {
        husk_jbd2_copy *c = &j->copies[i];
        const husk_jbd2_commit *cm = commit_of(j, c);
        if (cm) {
            c->committed = 1;
            c->commit_sec = cm->sec;
            c->commit_nsec = cm->nsec;
        }
        /* copies and revokes are both ordered by file-system block: walk them together */
        while (ri < j->nrevokes && j->revokes[ri].fs_block < c->fs_block)
            ri++;
        for (size_t k = ri; k < j->nrevokes && j->revokes[k].fs_block == c->fs_block; k++) {
            uint32_t rs = j->revokes[k].sequence;
            if (tid_geq(rs, c->sequence) && (!c->revoked || tid_gt(rs, c->revoke_sequence))) {
                c->revoked = 1;
                c->revoke_sequence = rs;
            }
        }
    }
}

int husk_jbd2_index(husk_jbd2 *j, husk_diag *diag, husk_err *err)
{
    if (j->indexed)
        return 0;
    j->reports = 0;
    uint64_t loglen = (uint64_t)j->sb.last - j->sb.first;
    /* a real log cannot describe more copies than it has blocks; stale descriptors whose data
     * was overwritten after a wrap can double that, hostile ones could claim billions */
    size_t limit = (size_t)(4 * loglen + 1024);
    tag *tags = malloc(max_tags(j) * sizeof *tags);
    if (!tags)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = 0;
    husk_err le = {0}; /* limits are damage to report, not failures: see below */
    for (uint64_t at = j->sb.first; r == 0 && at < j->sb.last; at++) {
        husk_err e = {0};
        if (husk_jbd2_read_block(j, at, j->blk, &e) < 0) {
            damage(j, diag, "log block", at, "journal block %llu unreadable: %s",
                   (unsigned long long)at, e.msg);
            continue;
        }
        if (be32(j->blk) != HUSK_JBD2_MAGIC)
            continue;
        uint32_t type = be32(j->blk + 4), seq = be32(j->blk + 8);
        switch (type) {
        case HUSK_JBD2_DESCRIPTOR:
            r = index_descriptor(j, at, seq, tags, limit, diag, &le);
            break;
        case HUSK_JBD2_REVOKE:
            r = index_revoke(j, at, seq, limit, diag, &le);
            break;
        case HUSK_JBD2_COMMIT:
            r = grow((void **)&j->commits, &j->capcommits, j->ncommits, sizeof *j->commits, limit,
                     &le);
            if (r == 0)
                j->commits[j->ncommits++] =
                    (husk_jbd2_commit){.sequence = seq,
                                       .journal_block = at,
                                       .sec = (int64_t)be64(j->blk + 0x30),
                                       .nsec = be32(j->blk + 0x38),
                                       .csum = j->sb.csum_v2or3 ? commit_csum_ok(j, j->blk) : -1};
            break;
        default: /* stray superblock copies, fast-commit blocks: nothing to index */
            break;
        }
    }
    free(tags);
    if (r < 0 && le.code == HUSK_E_LIMIT) {
        /* keep what was indexed: the damage is recorded, the copies found so far are real */
        husk_diag_report(diag, "journal", "index", -1, "%s; the rest of the log is not indexed",
                         le.msg);
        r = 0;
    }
    if (r < 0) {
        if (err)
            *err = le;
        return r;
    }
    /* qsort's array must not be NULL, even for no elements */
    if (j->ncopies)
        qsort(j->copies, j->ncopies, sizeof *j->copies, cmp_copy);
    if (j->nrevokes)
        qsort(j->revokes, j->nrevokes, sizeof *j->revokes, cmp_revoke);
    if (j->ncommits)
        qsort(j->commits, j->ncommits, sizeof *j->commits, cmp_commit);
    link_copies(j);
    damage_summary(j, diag);
    j->indexed = 1;
    return 0;
}

size_t husk_jbd2_copies(const husk_jbd2 *j, uint64_t fs_block, const husk_jbd2_copy **out)
{
    size_t lo = 0, hi = j->ncopies;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->copies[mid].fs_block < fs_block)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < j->ncopies && j->copies[lo + n].fs_block == fs_block)
        n++;
    *out = n ? &j->copies[lo] : NULL;
    return n;
}

const husk_jbd2_copy *husk_jbd2_all_copies(const husk_jbd2 *j, size_t *n)
{
    *n = j->ncopies;
    return j->copies;
}

const husk_jbd2_revoke *husk_jbd2_revokes(const husk_jbd2 *j, size_t *n)
{
    *n = j->nrevokes;
    return j->revokes;
}

const husk_jbd2_commit *husk_jbd2_commits(const husk_jbd2 *j, size_t *n)
{
    *n = j->ncommits;
    return j->commits;
}

static int read_restored(husk_jbd2 *j, uint64_t jblock, int escaped, uint8_t *buf, husk_err *err)
{
    int r = husk_jbd2_read_block(j, jblock, buf, err);
    if (r == 0 && escaped)
        put_be32(buf, HUSK_JBD2_MAGIC);
    return r;
}

int husk_jbd2_read_copy(husk_jbd2 *j, const husk_jbd2_copy *c, uint8_t *buf, husk_err *err)
{
    return read_restored(j, c->journal_block, (c->flags & HUSK_JBD2_FLAG_ESCAPE) != 0, buf, err);
}

/* ---- (b) replay ------------------------------------------------------------------------ */

/* The revoke table: file-system block -> latest revoking transaction (open addressing). */
typedef struct revoke_table {
    uint64_t *key;
    uint32_t *seq;
    uint8_t *used;
    size_t cap, n;
} revoke_table;

static size_t rt_slot(const revoke_table *t, uint64_t k)
{
    uint64_t h = k * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (t->cap - 1);
    while (t->used[i] && t->key[i] != k)
        i = (i + 1) & (t->cap - 1);
    return i;
}

static int rt_grow(revoke_table *t)
{
    revoke_table nt = {0};
    nt.cap = t->cap ? t->cap * 2 : 1024;
    nt.key = malloc(nt.cap * sizeof *nt.key);
    nt.seq = malloc(nt.cap * sizeof *nt.seq);
    nt.used = calloc(nt.cap, 1);
    if (!nt.key || !nt.seq || !nt.used) {
        free(nt.key);
        free(nt.seq);
        free(nt.used);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->used[i]) {
            size_t s = rt_slot(&nt, t->key[i]);
            nt.used[s] = 1;
            nt.key[s] = t->key[i];
            nt.seq[s] = t->seq[i];
            nt.n++;
        }
    free(t->key);
    free(t->seq);
    free(t->used);
    *t = nt;
    return 0;
}

/* jbd2_journal_set_revoke(): keep the latest transaction that revoked the block. */
static int rt_set(revoke_table *t, uint64_t block, uint32_t seq)
{
    if ((t->n + 1) * 10 > t->cap * 7 && rt_grow(t) < 0)
        return -1;
    size_t s = rt_slot(t, block);
    if (!t->used[s]) {
        t->used[s] = 1;
        t->key[s] = block;
        t->seq[s] = seq;
        t->n++;
    } else if (tid_gt(seq, t->seq[s])) {
        t->seq[s] = seq;
    }
    return 0;
}

/* jbd2_journal_test_revoke(): revoked when a record exists whose transaction is not older
 * than the one being replayed. */
static int rt_test(const revoke_table *t, uint64_t block, uint32_t seq)
{
    if (!t->cap)
        return 0;
    size_t s = rt_slot(t, block);
    return t->used[s] && !tid_gt(seq, t->seq[s]);
}

static void rt_free(revoke_table *t)
{
    free(t->key);
    free(t->seq);
    free(t->used);
}

enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

typedef struct pass_state {
    husk_jbd2 *j;
    husk_diag *diag;
    tag *tags;
    revoke_table revokes;
    int have_end;
    uint32_t end;   /* first transaction not to replay (info->end_transaction) */
    uint64_t order; /* replay writes so far: the last write of a block wins */
    struct replay_write {
        husk_jbd2_mapping m;
        uint64_t order;
    } * writes;
    size_t nwrites, capwrites;
} pass_state;

static void replay_damage(pass_state *s, uint64_t at, const char *fmt, const char *detail,
                          uint32_t seq)
{
    damage(s->j, s->diag, "replay", at, "journal block %llu, transaction %u: %s%s",
           (unsigned long long)at, seq, fmt, detail);
}

static int replay_tag(pass_state *s, const tag *t, uint64_t io_block, uint32_t seq, husk_err *err)
{
    husk_jbd2 *j = s->j;
    husk_err e = {0};
    if (husk_jbd2_read_block(j, io_block, j->data, &e) < 0) {
        /* the kernel recovers what it can and reports the failure at the end */
        j->rs.skipped++;
        replay_damage(s, io_block, "data block unreadable: ", e.msg, seq);
        return 0;
    }
    if (rt_test(&s->revokes, t->block, seq)) {
        j->rs.revoke_hits++;
        return 0;
    }
    if (tag_csum(j, t, j->data, seq) == 0) {
        j->rs.skipped++;
        replay_damage(s, io_block, "data block checksum does not match its tag; not replayed", "",
                      seq);
        return 0;
    }
    if (j->fs_blocks && t->block >= j->fs_blocks) {
        /* the kernel would write past the device and fail; nothing to overlay */
        j->rs.skipped++;
        replay_damage(s, io_block, "tag names a block past the file system's end; skipped", "",
                      seq);
        return 0;
    }
    int r =
        grow((void **)&s->writes, &s->capwrites, s->nwrites, sizeof *s->writes, SIZE_MAX / 64, err);
    if (r < 0)
        return r;
    s->writes[s->nwrites++] =
        (struct replay_write){{.fs_block = t->block,
                               .journal_block = io_block,
                               .sequence = seq,
                               .escaped = (t->flags & HUSK_JBD2_FLAG_ESCAPE) != 0},
                              s->order++};
    j->rs.writes++;
    return 0;
}

static int scan_revoke_records(pass_state *s, uint32_t seq, husk_err *err)
{
    husk_jbd2 *j = s->j;
    int64_t rc = revoke_count(j, j->blk);
    unsigned rl = revoke_record_len(j);
    for (size_t off = REVOKE_HEADER; rc > 0 && off + rl <= (size_t)rc; off += rl) {
        if (rt_set(&s->revokes, revoke_record(j, j->blk, off), seq) < 0)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        j->rs.revokes++;
    }
    return 0;
}

/*
 * One pass over the live log, do_one_pass() in fs/jbd2/recovery.c. PASS_SCAN finds the end
 * (s->end); the other passes stop there. Returns 0 or a negative code for husk's own failures
 * (memory); damage to the journal ends PASS_SCAN early and is reported.
 */
static int do_one_pass(pass_state *s, enum pass pass, husk_err *err)
{
    husk_jbd2 *j = s->j;
    const husk_jbd2_sb *sb = &j->sb;
    uint32_t next_id = sb->sequence;
    uint64_t next = sb->start;
    uint32_t crc32_sum = ~0u; /* v1 compat transaction checksum */
    int need_check_commit_time = 0;
    uint64_t last_commit_time = 0;
    uint64_t loglen = (uint64_t)sb->last - sb->first, consumed = 0;

    /* Note on "continue" below: where the kernel writes `break` inside its switch, it leaves
     * the switch, not the loop, and reads the next block; husk does the same. */
    for (;;) {
        if (pass != PASS_SCAN && tid_geq(next_id, s->end))
            break;
        /* a log cannot be longer than the log area: a walk that gets there is going round a
         * crafted ring (revoke blocks all of one sequence never advance it; a descriptor can
         * claim enough tags to lap the log back onto itself) */
        if (++consumed > loglen) {
            if (pass == PASS_SCAN)
                husk_diag_report(s->diag, "journal", "replay", -1,
                                 "the log does not end within the journal; stopped at "
                                 "transaction %u",
                                 next_id);
            break;
        }
        uint64_t at = next;
        husk_err e = {0};
        if (husk_jbd2_read_block(j, at, j->blk, &e) < 0) {
            /* the kernel fails the whole recovery here; husk keeps what came before */
            if (pass == PASS_SCAN)
                replay_damage(s, at, "unreadable, the log ends here: ", e.msg, next_id);
            break;
        }
        next = wrap(j, next + 1);
        if (be32(j->blk) != HUSK_JBD2_MAGIC)
            break;
        uint32_t type = be32(j->blk + 4), seq = be32(j->blk + 8);
        if (seq != next_id)
            break;
        if (type == HUSK_JBD2_DESCRIPTOR) {
            if (sb->csum_v2or3 && !tail_csum_ok(j, j->blk)) {
                /* PASS_SCAN can meet stale blocks after a lazy journal init: decided at the
                 * commit block by its time */
                if (pass != PASS_SCAN)
                    break; /* not reached: PASS_SCAN ends the replay before it */
                need_check_commit_time = 1;
            }
            size_t nt = parse_tags(j, j->blk, s->tags);
            if (pass != PASS_REPLAY) {
                if (pass == PASS_SCAN && (sb->feature_compat & HUSK_JBD2_COMPAT_CHECKSUM) &&
                    !need_check_commit_time && !s->have_end) {
                    /* calc_chksums(): crc32_be over the descriptor and its data blocks */
                    crc32_sum = husk_crc32_be(crc32_sum, j->blk, sb->blocksize);
                    for (size_t k = 0; k < nt; k++) {
                        uint64_t io = next;
                        next = wrap(j, next + 1);
                        if (husk_jbd2_read_block(j, io, j->data, &e) < 0)
                            break;
                        crc32_sum = husk_crc32_be(crc32_sum, j->data, sb->blocksize);
                    }
                    consumed += nt;
                    continue; /* a read error ends calc_chksums() and goes on (see above) */
                }
                next = wrap(j, next + nt);
                consumed += nt;
                continue;
            }
            for (size_t k = 0; k < nt; k++) {
                uint64_t io = next;
                next = wrap(j, next + 1);
                int r = replay_tag(s, &s->tags[k], io, next_id, err);
                if (r < 0)
                    return r;
            }
            consumed += nt;
            continue;
        }
        if (type == HUSK_JBD2_COMMIT) {
            uint64_t commit_time = be64(j->blk + 0x30);
            int chksum_error = 0;
            if (need_check_commit_time) {
                if (commit_time >= last_commit_time) {
                    /* the kernel refuses the journal (-EFSBADCRC); husk replays the complete
                     * transactions before this one */
                    replay_damage(s, at,
                                  "a descriptor or revoke block of this transaction has a bad "
                                  "checksum; it and later transactions are not replayed",
                                  "", next_id);
                    s->have_end = 1;
                    s->end = next_id;
                }
                break; /* stale: an older journal's block, the log ends here */
            }
            if (pass == PASS_SCAN && (sb->feature_compat & HUSK_JBD2_COMPAT_CHECKSUM)) {
                uint32_t found = be32(j->blk + 16);
                if (s->have_end)
                    continue;
                uint8_t ctype = j->blk[12], csize = j->blk[13];
                if (!((crc32_sum == found && ctype == CRC32_CHKSUM && csize == CRC32_CHKSUM_SIZE) ||
                      (ctype == 0 && csize == 0 && found == 0)))
                    chksum_error = 1;
                crc32_sum = ~0u;
            }
            if (pass == PASS_SCAN &&
                (chksum_error || (sb->csum_v2or3 && !commit_csum_ok(j, j->blk)))) {
                if (commit_time < last_commit_time)
                    break; /* stale commit block of an older journal: the log ends here */
                s->have_end = 1;
                s->end = next_id;
                replay_damage(s, at,
                              "commit block checksum does not match: the transaction is "
                              "incomplete and not replayed",
                              "", next_id);
                if (!(sb->feature_incompat & HUSK_JBD2_INCOMPAT_ASYNC_COMMIT))
                    continue;
            }
            if (pass == PASS_SCAN)
                last_commit_time = commit_time;
            next_id++;
            continue;
        }
        if (type == HUSK_JBD2_REVOKE) {
            if (pass == PASS_SCAN) {
                if (sb->csum_v2or3 && !tail_csum_ok(j, j->blk))
                    need_check_commit_time = 1;
                if (revoke_count(j, j->blk) < 0) {
                    /* the kernel fails PASS_REVOKE on this; ending the replay before the
                     * transaction leaves the file system as it was after the one before */
                    replay_damage(s, at,
                                  "revoke block with an impossible count; this and later "
                                  "transactions are not replayed",
                                  "", next_id);
                    s->have_end = 1;
                    s->end = next_id;
                    break;
                }
            }
            if (pass == PASS_REVOKE) {
                int r = scan_revoke_records(s, next_id, err);
                if (r < 0)
                    return r;
            }
            continue;
        }
        break; /* unrecognised block type: end of the log */
    }
    if (pass == PASS_SCAN) {
        if (!s->have_end) {
            s->have_end = 1;
            s->end = next_id;
        }
        j->rs.log_end = (uint32_t)next;
    } else if (next_id != s->end) {
        husk_diag_report(s->diag, "journal", "replay", -1,
                         "replay pass %d ended at transaction %u, expected %u", (int)pass, next_id,
                         s->end);
    }
    return 0;
}

static int cmp_write(const void *a, const void *b)
{
    const struct replay_write *x = a, *y = b;
    if (x->m.fs_block != y->m.fs_block)
        return x->m.fs_block < y->m.fs_block ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Keeps the last write of each block, in block order. */
static int build_map(husk_jbd2 *j, pass_state *s, husk_err *err)
{
    if (s->nwrites)
        qsort(s->writes, s->nwrites, sizeof *s->writes, cmp_write);
    j->map = malloc((s->nwrites ? s->nwrites : 1) * sizeof *j->map);
    if (!j->map)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    j->nmap = 0;
    for (size_t i = 0; i < s->nwrites; i++) {
        if (i + 1 < s->nwrites && s->writes[i + 1].m.fs_block == s->writes[i].m.fs_block)
            continue;
        j->map[j->nmap++] = s->writes[i].m;
    }
    j->rs.blocks = j->nmap;
    return 0;
}

int husk_jbd2_replay(husk_jbd2 *j, husk_diag *diag, husk_err *err)
{
    if (j->replayed)
        return 0;
    memset(&j->rs, 0, sizeof j->rs);
    j->rs.start_sequence = j->rs.end_sequence = j->sb.sequence;
    if (j->sb.start == 0) { /* clean: "No recovery required" */
        j->replayed = 1;
        return 0;
    }
    if (!j->sb_usable)
        return husk_err_set(err, HUSK_E_FORMAT, "%s: the kernel would not replay this journal",
                            j->sb_problem);
    j->rs.needed = 1;
    j->reports = 0;
    if (j->sb.feature_incompat & HUSK_JBD2_INCOMPAT_FAST_COMMIT)
        /* fc_do_one_pass() hands those blocks to ext4's own logical replay of inode and
         * dentry records; husk replays the block log only */
        husk_diag_report(diag, "journal", "fast commit", -1,
                         "the journal has a fast-commit area (%u blocks); fast commits after "
                         "the last full commit are not replayed",
                         j->sb.num_fc_blocks);
    pass_state s = {.j = j, .diag = diag};
    s.tags = malloc(max_tags(j) * sizeof *s.tags);
    if (!s.tags)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = do_one_pass(&s, PASS_SCAN, err);
    if (r == 0)
        r = do_one_pass(&s, PASS_REVOKE, err);
    if (r == 0)
        r = do_one_pass(&s, PASS_REPLAY, err);
    if (r == 0)
        r = build_map(j, &s, err);
    if (r == 0) {
        j->rs.end_sequence = s.end;
        j->rs.transactions = s.end - j->sb.sequence;
        j->replayed = 1;
    }
    damage_summary(j, diag);
    rt_free(&s.revokes);
    free(s.writes);
    free(s.tags);
    return r;
}

const husk_jbd2_replay_stats *husk_jbd2_stats(const husk_jbd2 *j)
{
    return &j->rs;
}

const husk_jbd2_mapping *husk_jbd2_replay_map(const husk_jbd2 *j, size_t *n)
{
    *n = j->nmap;
    return j->map;
}

const husk_jbd2_mapping *husk_jbd2_replayed(const husk_jbd2 *j, uint64_t fs_block)
{
    size_t lo = 0, hi = j->nmap;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->map[mid].fs_block < fs_block)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < j->nmap && j->map[lo].fs_block == fs_block ? &j->map[lo] : NULL;
}

int husk_jbd2_read_mapping(husk_jbd2 *j, const husk_jbd2_mapping *m, uint8_t *buf, husk_err *err)
{
    return read_restored(j, m->journal_block, m->escaped, buf, err);
}
