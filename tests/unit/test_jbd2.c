/* Unit tests of the jbd2 reader (src/recover/jbd2.c) and its CRCs (src/util/crc32c.c) on
 * journals built in memory: tag formats, escapes, revokes, wrap-around, torn transactions,
 * checksums, and hostile numbers. The integration test (tests/integration/test_replay.sh)
 * checks the replay against e2fsck on a journal the kernel wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/crc32c.h"
#include "husk/jbd2.h"

#define BS 1024
#define NBLK 64 /* journal blocks: superblock + log area [1, 64) */

typedef struct jbuild {
    uint8_t img[BS * NBLK];
    uint32_t incompat, compat;
    uint8_t uuid[16];
    uint32_t maxlen;
} jbuild;

static jbuild J;

static int rd(void *ctx, uint64_t off, void *buf, size_t len, husk_err *err)
{
    jbuild *j = ctx;
    if (off > sizeof j->img || len > sizeof j->img - off)
        return husk_err_set(err, HUSK_E_IO, "read past the test journal");
    memcpy(buf, j->img + off, len);
    return 0;
}

static void pbe16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void pbe32(uint8_t *p, uint32_t v)
{
    pbe16(p, (uint16_t)(v >> 16));
    pbe16(p + 2, (uint16_t)v);
}

static void pbe64(uint8_t *p, uint64_t v)
{
    pbe32(p, (uint32_t)(v >> 32));
    pbe32(p + 4, (uint32_t)v);
}

static uint8_t *blk(uint32_t n)
{
    return J.img + (size_t)n * BS;
}

static int csum23(void)
{
    return (J.incompat & (HUSK_JBD2_INCOMPAT_CSUM_V2 | HUSK_JBD2_INCOMPAT_CSUM_V3)) != 0;
}

static uint32_t seed(void)
{
    return husk_crc32c(~0u, J.uuid, 16);
}

static void hdr(uint8_t *b, uint32_t type, uint32_t seq)
{
    pbe32(b, HUSK_JBD2_MAGIC);
    pbe32(b + 4, type);
    pbe32(b + 8, seq);
}

static void jb_init(uint32_t incompat, uint32_t compat)
{
    memset(&J, 0, sizeof J);
    J.incompat = incompat;
    J.compat = compat;
    J.maxlen = NBLK;
    for (int i = 0; i < 16; i++)
        J.uuid[i] = (uint8_t)(i * 7 + 1);
}

static void jb_sb(uint32_t start, uint32_t seq)
{
    uint8_t *b = blk(0);
    memset(b, 0, BS);
    hdr(b, HUSK_JBD2_SUPERBLOCK_V2, 0);
    pbe32(b + 0x0C, BS);
    pbe32(b + 0x10, J.maxlen);
    pbe32(b + 0x14, 1);
    pbe32(b + 0x18, seq);
    pbe32(b + 0x1C, start);
    pbe32(b + 0x24, J.compat);
    pbe32(b + 0x28, J.incompat);
    memcpy(b + 0x30, J.uuid, 16);
    pbe32(b + 0x40, 1);
    if (csum23()) {
        b[0x50] = 4;
        pbe32(b + 0xFC, husk_crc32c(~0u, b, 1024));
    }
}

static uint32_t wrapb(uint32_t p)
{
    return p >= NBLK ? 1 + (p - NBLK) % (NBLK - 1) : p;
}

static size_t tag_bytes(void)
{
    if (J.incompat & HUSK_JBD2_INCOMPAT_CSUM_V3)
        return 16;
    size_t sz = 12 + ((J.incompat & HUSK_JBD2_INCOMPAT_CSUM_V2) ? 2 : 0);
    return (J.incompat & HUSK_JBD2_INCOMPAT_64BIT) ? sz : sz - 4;
}

static void tail_csum(uint8_t *b)
{
    if (!csum23())
        return;
    pbe32(b + BS - 4, 0);
    pbe32(b + BS - 4, husk_crc32c(seed(), b, BS));
}

typedef struct jtag {
    uint64_t block;
    uint8_t fill;    /* data block: every byte this value ... */
    int magic_first; /* ... except that it begins with the jbd2 magic (escaped) */
    int corrupt;     /* damage the stored block after its tag checksum was computed */
} jtag;

/* Writes a descriptor at pos for transaction seq and its tags' data blocks after it
 * (wrapping); returns the next free position. */
static uint32_t jb_desc(uint32_t pos, uint32_t seq, const jtag *t, int n)
{
    uint8_t *d = blk(pos);
    memset(d, 0, BS);
    hdr(d, HUSK_JBD2_DESCRIPTOR, seq);
    size_t p = 12, tb = tag_bytes();
    for (int k = 0; k < n; k++) {
        uint8_t *tp = d + p;
        uint32_t q = wrapb(pos + 1 + (uint32_t)k);
        uint8_t *data = blk(q);
        memset(data, t[k].fill, BS);
        uint32_t flags = k > 0 ? HUSK_JBD2_FLAG_SAME_UUID : 0;
        if (k == n - 1)
            flags |= HUSK_JBD2_FLAG_LAST_TAG;
        if (t[k].magic_first) {
            flags |= HUSK_JBD2_FLAG_ESCAPE; /* stored with the magic zeroed */
            memset(data, 0, 4);
        }
        pbe32(tp, (uint32_t)t[k].block);
        if (J.incompat & HUSK_JBD2_INCOMPAT_64BIT)
            pbe32(tp + 8, (uint32_t)(t[k].block >> 32));
        uint8_t sq[4];
        pbe32(sq, seq);
        uint32_t c = husk_crc32c(husk_crc32c(seed(), sq, 4), data, BS);
        if (J.incompat & HUSK_JBD2_INCOMPAT_CSUM_V3) {
            pbe32(tp + 4, flags);
            pbe32(tp + 12, c);
        } else {
            pbe16(tp + 6, (uint16_t)flags);
            if (J.incompat & HUSK_JBD2_INCOMPAT_CSUM_V2)
                pbe16(tp + 4, (uint16_t)c);
        }
        if (t[k].corrupt)
            data[100] ^= 0xff;
        p += tb;
        if (!(flags & HUSK_JBD2_FLAG_SAME_UUID)) {
            memcpy(d + p, J.uuid, 16);
            p += 16;
        }
    }
    tail_csum(d);
    return wrapb(pos + 1 + (uint32_t)n);
}

static uint32_t jb_commit(uint32_t pos, uint32_t seq, uint64_t sec)
{
    uint8_t *b = blk(pos);
    memset(b, 0, BS);
    hdr(b, HUSK_JBD2_COMMIT, seq);
    pbe64(b + 0x30, sec);
    pbe32(b + 0x38, 5);
    if (csum23())
        pbe32(b + 16, husk_crc32c(seed(), b, BS));
    return wrapb(pos + 1);
}

static uint32_t jb_revoke(uint32_t pos, uint32_t seq, const uint64_t *blocks, int n)
{
    uint8_t *b = blk(pos);
    memset(b, 0, BS);
    hdr(b, HUSK_JBD2_REVOKE, seq);
    size_t off = 16;
    for (int i = 0; i < n; i++) {
        if (J.incompat & HUSK_JBD2_INCOMPAT_64BIT) {
            pbe64(b + off, blocks[i]);
            off += 8;
        } else {
            pbe32(b + off, (uint32_t)blocks[i]);
            off += 4;
        }
    }
    pbe32(b + 12, (uint32_t)off);
    tail_csum(b);
    return wrapb(pos + 1);
}

static husk_jbd2 *open_j(uint64_t fs_blocks)
{
    husk_jbd2 *j = NULL;
    husk_err e = {0};
    int r = husk_jbd2_open(rd, &J, sizeof J.img, BS, fs_blocks, &j, &e);
    if (r < 0)
        fail_msg("open: %s", e.msg);
    return j;
}

static unsigned diag_n;
static void count_diag(void *ctx, const char *phase, const char *object, int64_t off,
                       const char *msg)
{
    (void)ctx, (void)phase, (void)object, (void)off, (void)msg;
    diag_n++;
}

static const husk_jbd2_replay_stats *replay(husk_jbd2 *j)
{
    husk_diag d = {count_diag, NULL, 0};
    husk_err e = {0};
    diag_n = 0;
    if (husk_jbd2_replay(j, &d, &e) < 0)
        fail_msg("replay: %s", e.msg);
    return husk_jbd2_stats(j);
}

/* The replayed contents of fs block b: its fill byte, or -1 when not replayed. */
static int replayed_fill(husk_jbd2 *j, uint64_t b, uint8_t *first4)
{
    const husk_jbd2_mapping *m = husk_jbd2_replayed(j, b);
    if (!m)
        return -1;
    uint8_t buf[BS];
    husk_err e = {0};
    assert_int_equal(husk_jbd2_read_mapping(j, m, buf, &e), 0);
    if (first4)
        memcpy(first4, buf, 4);
    return buf[BS - 1];
}

/* ---- CRCs ------------------------------------------------------------------------------ */

static void test_crc32c_vectors(void **state)
{
    (void)state;
    /* CRC-32C check value and the iSCSI (RFC 3720 B.4) vectors, as inverted in and out */
    assert_int_equal(husk_crc32c(~0u, "123456789", 9) ^ ~0u, 0xE3069283u);
    uint8_t z[32] = {0}, f[32], inc[32];
    memset(f, 0xff, sizeof f);
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    assert_int_equal(husk_crc32c(~0u, z, 32) ^ ~0u, 0x8A9136AAu);
    assert_int_equal(husk_crc32c(~0u, f, 32) ^ ~0u, 0x62A8AB43u);
    assert_int_equal(husk_crc32c(~0u, inc, 32) ^ ~0u, 0x46DD794Eu);
    /* raw form: chaining a split buffer gives the same value (jbd2 seeds with the UUID's) */
    assert_int_equal(husk_crc32c(husk_crc32c(~0u, "1234", 4), "56789", 5),
                     husk_crc32c(~0u, "123456789", 9));
    /* CRC-32/MPEG-2 is the MSB-first CRC with init ~0 and no final inversion */
    assert_int_equal(husk_crc32_be(~0u, "123456789", 9), 0x0376E6E7u);
}

/* ---- superblock ------------------------------------------------------------------------ */

static void test_superblock_and_tag_sizes(void **state)
{
    (void)state;
    static const struct {
        uint32_t incompat;
        uint32_t tag;
    } cases[] = {
        {0, 8},
        {HUSK_JBD2_INCOMPAT_64BIT, 12},
        {HUSK_JBD2_INCOMPAT_CSUM_V2, 10},
        {HUSK_JBD2_INCOMPAT_CSUM_V2 | HUSK_JBD2_INCOMPAT_64BIT, 14},
        {HUSK_JBD2_INCOMPAT_CSUM_V3, 16},
        {HUSK_JBD2_INCOMPAT_CSUM_V3 | HUSK_JBD2_INCOMPAT_64BIT, 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jb_init(cases[i].incompat | HUSK_JBD2_INCOMPAT_REVOKE, 0);
        jb_sb(0, 7);
        husk_jbd2 *j = open_j(0);
        const husk_jbd2_sb *sb = husk_jbd2_superblock(j);
        assert_int_equal(sb->tag_bytes, cases[i].tag);
        assert_int_equal(sb->version, 2);
        assert_int_equal(sb->blocksize, BS);
        assert_int_equal(sb->maxlen, NBLK);
        assert_int_equal(sb->first, 1);
        assert_int_equal(sb->last, NBLK);
        assert_int_equal(sb->sequence, 7);
        assert_memory_equal(sb->uuid, J.uuid, 16);
        assert_int_equal(sb->sb_csum_ok, csum23() ? 1 : -1);
        husk_jbd2_close(j);
    }
    /* a superblock checksum that does not match: opened (for the index) but not replayed */
    jb_init(HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 7);
    blk(0)[0x44] ^= 1;
    husk_jbd2 *j = open_j(0);
    assert_int_equal(husk_jbd2_superblock(j)->sb_csum_ok, 0);
    husk_err e = {0};
    assert_true(husk_jbd2_replay(j, NULL, &e) < 0);
    husk_jbd2_close(j);
}

static void test_superblock_rejects_hostile_geometry(void **state)
{
    (void)state;
    husk_jbd2 *j = NULL;
    husk_err e = {0};
    jb_init(HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(0, 1);
    /* a journal file shorter than the superblock claims */
    assert_true(husk_jbd2_open(rd, &J, BS * 8, BS, 0, &j, &e) < 0);
    /* a block size that is not the file system's */
    assert_true(husk_jbd2_open(rd, &J, sizeof J.img, 4096, 0, &j, &e) < 0);
    /* first log block 0 or past the end */
    pbe32(blk(0) + 0x14, 0);
    assert_true(husk_jbd2_open(rd, &J, sizeof J.img, BS, 0, &j, &e) < 0);
    pbe32(blk(0) + 0x14, NBLK);
    assert_true(husk_jbd2_open(rd, &J, sizeof J.img, BS, 0, &j, &e) < 0);
    /* block size not a power of two */
    jb_sb(0, 1);
    pbe32(blk(0) + 0x0C, 3000);
    assert_true(husk_jbd2_open(rd, &J, sizeof J.img, 0, 0, &j, &e) < 0);
    /* no magic */
    jb_sb(0, 1);
    blk(0)[0] = 0;
    assert_true(husk_jbd2_open(rd, &J, sizeof J.img, BS, 0, &j, &e) < 0);
    assert_null(j);
    /* a log start outside the log area: opened, but not replayed */
    jb_init(HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(NBLK + 5, 1);
    j = open_j(0);
    assert_true(husk_jbd2_replay(j, NULL, &e) < 0);
    husk_jbd2_close(j);
}

/* ---- replay ---------------------------------------------------------------------------- */

static void test_v3_64bit_and_escape(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_64BIT | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 10);
    const uint64_t big = 0x100000005ull; /* needs the high tag word */
    jtag t1[] = {{big, 0xA1, 0, 0}, {7, 0xB1, 1, 0}};
    uint32_t p = jb_desc(1, 10, t1, 2);
    p = jb_commit(p, 10, 1700000000);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->needed, 1);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(s->start_sequence, 10);
    assert_int_equal(s->end_sequence, 11);
    assert_int_equal(s->blocks, 2);
    assert_int_equal(s->skipped, 0);
    assert_int_equal(replayed_fill(j, big, NULL), 0xA1);
    assert_int_equal(replayed_fill(j, 5, NULL), -1); /* not the low half alone */
    uint8_t first[4];
    assert_int_equal(replayed_fill(j, 7, first), 0xB1);
    uint8_t magic[4];
    pbe32(magic, HUSK_JBD2_MAGIC);
    assert_memory_equal(first, magic, 4); /* the escaped magic is put back */
    /* the index sees the same copies, checksums verified over the stored (escaped) bytes */
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 7, &c), 1);
    assert_int_equal(c->csum, 1);
    assert_int_equal(c->descriptor_csum, 1);
    assert_true(c->flags & HUSK_JBD2_FLAG_ESCAPE);
    assert_int_equal(c->committed, 1);
    assert_int_equal(c->commit_sec, 1700000000);
    assert_int_equal(c->commit_nsec, 5);
    assert_int_equal(c->journal_block, 3);
    assert_int_equal(c->descriptor_block, 1);
    uint8_t buf[BS];
    assert_int_equal(husk_jbd2_read_copy(j, c, buf, NULL), 0);
    assert_memory_equal(buf, magic, 4);
    assert_int_equal(husk_jbd2_copies(j, big, &c), 1);
    assert_int_equal(c->fs_block, big);
    husk_jbd2_close(j);
}

static void test_last_write_wins_and_revoke(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_64BIT | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 20);
    uint32_t p = 1;
    jtag a[] = {{100, 0x10, 0, 0}, {200, 0x20, 0, 0}, {300, 0x30, 0, 0}};
    p = jb_desc(p, 20, a, 3);
    p = jb_commit(p, 20, 1000);
    jtag b[] = {{200, 0x21, 0, 0}};
    p = jb_desc(p, 21, b, 1);
    uint64_t rv[] = {100, 300};
    p = jb_revoke(p, 21, rv, 2); /* frees 100 and 300 as metadata in 21 */
    p = jb_commit(p, 21, 1001);
    jtag c3[] = {{300, 0x32, 0, 0}}; /* reused and journaled again after the revoke */
    p = jb_desc(p, 22, c3, 1);
    p = jb_commit(p, 22, 1002);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 3);
    assert_int_equal(replayed_fill(j, 100, NULL), -1);   /* revoked in 21 >= 20 */
    assert_int_equal(replayed_fill(j, 200, NULL), 0x21); /* the last write wins */
    assert_int_equal(replayed_fill(j, 300, NULL), 0x32); /* 22 > 21: not revoked */
    assert_int_equal(s->revokes, 2);
    assert_int_equal(s->revoke_hits, 2); /* 100 and the first 300 */
    assert_int_equal(s->writes, 3);
    assert_int_equal(s->blocks, 2);
    size_t n;
    const husk_jbd2_mapping *m = husk_jbd2_replay_map(j, &n);
    assert_int_equal(n, 2);
    assert_true(m[0].fs_block < m[1].fs_block);
    /* the index keeps every copy and says which were revoked later */
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 300, &c), 2);
    assert_int_equal(c[0].sequence, 20);
    assert_int_equal(c[0].revoked, 1);
    assert_int_equal(c[0].revoke_sequence, 21);
    assert_int_equal(c[1].sequence, 22);
    assert_int_equal(c[1].revoked, 0);
    assert_int_equal(husk_jbd2_copies(j, 200, &c), 2);
    assert_int_equal(c[0].revoked + c[1].revoked, 0);
    size_t nr, ncm;
    husk_jbd2_revokes(j, &nr);
    const husk_jbd2_commit *cm = husk_jbd2_commits(j, &ncm);
    assert_int_equal(nr, 2);
    assert_int_equal(ncm, 3);
    assert_int_equal(cm[2].sequence, 22);
    assert_int_equal(cm[2].csum, 1);
    husk_jbd2_close(j);
}

static void test_wrap_around(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    /* the live log starts four blocks before the end; its data and commit wrap to block 1 */
    uint32_t start = NBLK - 4;
    jb_sb(start, 5);
    jtag t[] = {
        {11, 0x11, 0, 0}, {12, 0x12, 0, 0}, {13, 0x13, 0, 0}, {14, 0x14, 0, 0}, {15, 0x15, 0, 0}};
    uint32_t p = jb_desc(start, 5, t, 5);
    assert_int_equal(p, 3);
    p = jb_commit(p, 5, 50);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(s->blocks, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(replayed_fill(j, 11 + (uint64_t)i, NULL), 0x11 + i);
    assert_int_equal(husk_jbd2_replayed(j, 15)->journal_block, 2);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 14, &c), 1);
    assert_int_equal(c->journal_block, 1);
    assert_int_equal(c->csum, 1);
    assert_int_equal(c->committed, 1);
    husk_jbd2_close(j);
}

static void test_torn_last_transaction(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 30);
    jtag a[] = {{40, 0x40, 0, 0}};
    uint32_t p = jb_desc(1, 30, a, 1);
    p = jb_commit(p, 30, 300);
    jtag b[] = {{40, 0x41, 0, 0}, {41, 0x41, 0, 0}};
    p = jb_desc(p, 31, b, 2); /* no commit block: the crash came first */
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(s->end_sequence, 31);
    assert_int_equal(replayed_fill(j, 40, NULL), 0x40);
    assert_int_equal(replayed_fill(j, 41, NULL), -1);
    /* the index still lists the torn copies, as uncommitted */
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 41, &c), 1);
    assert_int_equal(c->committed, 0);
    assert_int_equal(c->csum, 1);
    husk_jbd2_close(j);

    /* a commit block whose checksum does not match ends the replay there as well */
    p = jb_commit(p, 31, 301);
    blk(p - 1)[0x40] ^= 1;
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(replayed_fill(j, 41, NULL), -1);
    assert_true(diag_n > 0);
    husk_jbd2_close(j);
    /* with a good one, both transactions replay */
    jb_commit(p - 1, 31, 301);
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 2);
    assert_int_equal(replayed_fill(j, 40, NULL), 0x41);
    husk_jbd2_close(j);
}

static void test_bad_tag_checksum_skips_block(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 3);
    jtag a[] = {{9, 0x90, 0, 0}};
    uint32_t p = jb_desc(1, 3, a, 1);
    p = jb_commit(p, 3, 30);
    jtag b[] = {{9, 0x91, 0, 1}, {10, 0xA0, 0, 0}}; /* 9's second copy is damaged */
    p = jb_desc(p, 4, b, 2);
    jb_commit(p, 4, 31);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 2);
    assert_int_equal(s->skipped, 1);
    assert_int_equal(replayed_fill(j, 9, NULL), 0x90); /* the earlier copy stays */
    assert_int_equal(replayed_fill(j, 10, NULL), 0xA0);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 9, &c), 2);
    assert_int_equal(c[0].csum, 1);
    assert_int_equal(c[1].csum, 0);
    husk_jbd2_close(j);
}

static void test_v2_tags_and_v1_compat_checksum(void **state)
{
    (void)state;
    /* csum v2: 16-bit tag checksums, 32-bit block numbers */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V2, 0);
    jb_sb(1, 8);
    jtag a[] = {{77, 0x77, 0, 0}, {78, 0x78, 1, 0}};
    uint32_t p = jb_desc(1, 8, a, 2);
    jb_commit(p, 8, 80);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->blocks, 2);
    assert_int_equal(replayed_fill(j, 78, NULL), 0x78);
    husk_jbd2_close(j);

    /* v1: no block checksums, a crc32_be over the whole transaction in the commit block */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE, HUSK_JBD2_COMPAT_CHECKSUM);
    jb_sb(1, 8);
    p = jb_desc(1, 8, a, 2);
    uint32_t crc = husk_crc32_be(~0u, blk(1), BS);
    crc = husk_crc32_be(crc, blk(2), BS);
    crc = husk_crc32_be(crc, blk(3), BS);
    jb_commit(p, 8, 80);
    blk(p)[12] = 1; /* JBD2_CRC32_CHKSUM */
    blk(p)[13] = 4;
    pbe32(blk(p) + 16, crc);
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(replayed_fill(j, 77, NULL), 0x77);
    husk_jbd2_close(j);
    pbe32(blk(p) + 16, crc ^ 1);
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 0);
    assert_int_equal(s->blocks, 0);
    husk_jbd2_close(j);
}

static void test_clean_journal_keeps_old_copies(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_64BIT | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jtag a[] = {{500, 0x50, 0, 0}};
    uint32_t p = jb_desc(1, 2, a, 1);
    jb_commit(p, 2, 20);
    jb_sb(0, 3); /* cleanly unmounted after transaction 2 */
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->needed, 0);
    assert_int_equal(s->blocks, 0);
    assert_null(husk_jbd2_replayed(j, 500));
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    const husk_jbd2_copy *c;
    assert_int_equal(husk_jbd2_copies(j, 500, &c), 1);
    assert_int_equal(c->committed, 1);
    assert_int_equal(c->csum, 1);
    husk_jbd2_close(j);
}

static void test_stale_descriptor_ends_log(void **state)
{
    (void)state;
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 50);
    jtag a[] = {{60, 0x60, 0, 0}};
    uint32_t p = jb_desc(1, 50, a, 1);
    p = jb_commit(p, 50, 5000);
    /* next: a descriptor of the expected sequence whose own checksum is wrong, and a commit
     * block older than the last: left over from an earlier journal, the log ends (no damage) */
    jtag b[] = {{61, 0x61, 0, 0}};
    uint32_t q = jb_desc(p, 51, b, 1);
    blk(p)[500] ^= 1;
    jb_commit(q, 51, 4000);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(replayed_fill(j, 61, NULL), -1);
    assert_int_equal(diag_n, 0);
    husk_jbd2_close(j);
    /* the same with a newer commit: the kernel refuses the journal; husk keeps transaction 50
     * and reports the damage */
    jb_commit(q, 51, 6000);
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(replayed_fill(j, 60, NULL), 0x60);
    assert_int_equal(replayed_fill(j, 61, NULL), -1);
    assert_true(diag_n > 0);
    husk_jbd2_close(j);
}

/* ---- hostile numbers ------------------------------------------------------------------- */

static void test_hostile_counts(void **state)
{
    (void)state;
    /* a revoke count larger than the block: the transaction is not replayed */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_64BIT | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 1);
    jtag a[] = {{5, 0x05, 0, 0}};
    uint32_t p = jb_desc(1, 1, a, 1);
    p = jb_commit(p, 1, 10);
    jtag b[] = {{6, 0x06, 0, 0}};
    p = jb_desc(p, 2, b, 1);
    uint64_t rv[] = {5};
    uint32_t rp = p;
    p = jb_revoke(p, 2, rv, 1);
    pbe32(blk(rp) + 12, 0x7fffffff);
    tail_csum(blk(rp));
    jb_commit(p, 2, 11);
    husk_jbd2 *j = open_j(0);
    const husk_jbd2_replay_stats *s = replay(j);
    assert_int_equal(s->transactions, 1);
    assert_int_equal(replayed_fill(j, 5, NULL), 0x05);
    assert_int_equal(replayed_fill(j, 6, NULL), -1);
    assert_true(diag_n > 0);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0); /* reported and skipped */
    husk_jbd2_close(j);

    /* tags naming blocks past the file system: skipped, reported */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_64BIT | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 1);
    jtag c[] = {{999, 0x99, 0, 0}, {0xFFFFFFFFFFull, 0x98, 0, 0}, {3, 0x03, 0, 0}};
    p = jb_desc(1, 1, c, 3);
    jb_commit(p, 1, 10);
    j = open_j(1000);
    s = replay(j);
    assert_int_equal(s->blocks, 2);
    assert_int_equal(s->skipped, 1);
    assert_int_equal(replayed_fill(j, 999, NULL), 0x99);
    assert_int_equal(replayed_fill(j, 3, NULL), 0x03);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    size_t n;
    husk_jbd2_all_copies(j, &n);
    assert_int_equal(n, 2);
    husk_jbd2_close(j);

    /* a log of revoke blocks all of one sequence never advances it: the walk must end */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE | HUSK_JBD2_INCOMPAT_CSUM_V3, 0);
    jb_sb(1, 9);
    for (uint32_t i = 1; i < NBLK; i++)
        jb_revoke(i, 9, rv, 1);
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 0);
    assert_int_equal(s->blocks, 0);
    assert_true(diag_n > 0);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0);
    size_t nr;
    husk_jbd2_revokes(j, &nr);
    assert_int_equal(nr, NBLK - 1);
    husk_jbd2_close(j);

    /* a descriptor full of tags that laps the log onto itself, in a ring of such descriptors */
    jb_init(HUSK_JBD2_INCOMPAT_REVOKE, 0); /* 8-byte tags: 126 per block, twice the log */
    jb_sb(1, 4);
    for (uint32_t i = 1; i < NBLK; i++) {
        uint8_t *d = blk(i);
        memset(d, 0, BS);
        hdr(d, HUSK_JBD2_DESCRIPTOR, 4);
        for (size_t off = 12; off + 8 <= BS; off += 8)
            pbe16(d + off + 6, HUSK_JBD2_FLAG_SAME_UUID);
    }
    j = open_j(0);
    s = replay(j);
    assert_int_equal(s->transactions, 0);
    assert_int_equal(s->blocks, 0);
    assert_int_equal(husk_jbd2_index(j, NULL, NULL), 0); /* bounded: at most 4x the log */
    husk_jbd2_all_copies(j, &n);
    assert_true(n <= 4 * (NBLK - 1) + 1024);
    husk_jbd2_close(j);

    /* a superblock claiming more blocks than the journal holds cannot be opened; the file
     * shorter than a superblock neither */
    husk_err e = {0};
    husk_jbd2 *x = NULL;
    assert_true(husk_jbd2_open(rd, &J, 100, BS, 0, &x, &e) < 0);
    assert_null(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_superblock_and_tag_sizes),
        cmocka_unit_test(test_superblock_rejects_hostile_geometry),
        cmocka_unit_test(test_v3_64bit_and_escape),
        cmocka_unit_test(test_last_write_wins_and_revoke),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_torn_last_transaction),
        cmocka_unit_test(test_bad_tag_checksum_skips_block),
        cmocka_unit_test(test_v2_tags_and_v1_compat_checksum),
        cmocka_unit_test(test_clean_journal_keeps_old_copies),
        cmocka_unit_test(test_stale_descriptor_ends_log),
        cmocka_unit_test(test_hostile_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
