/*
 * The XFS log as a history of inodes and directory blocks (src/recover/xfs_rec.h).
 *
 * This is not log recovery: nothing is replayed onto the file system. The log is a circular
 * area of 512-byte basic blocks; every record still intact in it (the ones behind the tail
 * too, which recovery never reads) is a copy of metadata as it was at some moment. Until the
 * log wraps, that is every change since mkfs. Inodes that lived a few seconds (a container's
 * files between `docker run` and `docker rm`) were never written to their home place: their
 * log copies are the only ones (tested on kernel 6.18: the freed chunks of such inodes hold
 * zeros and in-chunk slots an empty literal area).
 *
 * Method (the kernel's xlog_do_recovery_pass and xlog_recover_process_ophdr, simplified):
 *  1. find every record header (magic, its LSN's cycle matching h_cycle, sane lengths) and
 *     keep those whose CRC32c matches (v5); a record overwritten in part by a later cycle
 *     fails its CRC and is dropped;
 *  2. walk the kept records in LSN order, put back the cycle-stamped first word of every
 *     basic block, split them into operations, reassemble each transaction's regions
 *     (continued regions included), and at its commit record hand its inode and buffer items
 *     to the caller. Transactions whose start lies outside the history are skipped.
 *
 * Item headers and logged inode cores are in the writer's byte order (h_fmt); buffer
 * contents and forks are on-disk (big-endian) bytes. Everything is bounded: record sizes by
 * XLOG_MAX_RECORD_BSIZE, open transactions by MAX_OPEN_BYTES, regions per item.
 */
#include "xfs_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_BBS 2048             /* reads of 1 MiB */
#define MAX_LOG_BBS (1ULL << 23) /* 4 GiB; the kernel's limit is 2 GiB */
#define MAX_OPEN_BYTES (128u << 20)
#define MAX_OPEN_TRANS 256
#define MAX_ITEM_REGIONS 300 /* a buffer of 64 KiB has at most 272 dirty runs */
#define MAX_TRANS_ITEMS (1u << 20)
#define XLOG_START_TRANS 0x01
#define XLOG_COMMIT_TRANS 0x02
#define XLOG_CONTINUE_TRANS 0x04
#define XLOG_WAS_CONT_TRANS 0x08
#define XLOG_UNMOUNT_TRANS 0x20
#define XFS_TRANSACTION 0x69
#define XFS_TRANS_HEADER_MAGIC 0x5452414eu /* "TRAN" */
#define XLOG_FMT_LINUX_LE 1

typedef struct lwin {
    const xr_disk *d;
    uint64_t start; /* byte position of the log in the file system */
    uint64_t nbb;
    uint8_t *buf;
    uint64_t first, n; /* basic blocks held */
} lwin;

/* Copies count basic blocks from bb on (wrapping at the log end) into dst. */
static int log_read(lwin *w, uint64_t bb, uint64_t count, uint8_t *dst, husk_err *err)
{
    for (uint64_t i = 0; i < count; i++) {
        uint64_t b = (bb + i) % w->nbb;
        if (b < w->first || b >= w->first + w->n) {
            uint64_t n = w->nbb - b < WIN_BBS ? w->nbb - b : WIN_BBS;
            int rc = xr_pread(w->d, w->start + b * XR_BB, w->buf, (size_t)n * XR_BB, err);
            if (rc != 0)
                return rc;
            w->first = b;
            w->n = n;
        }
        memcpy(dst + i * XR_BB, w->buf + (b - w->first) * XR_BB, XR_BB);
    }
    return 0;
}

typedef struct lrec_at {
    uint64_t lsn, bb;
} lrec_at;

static int lrec_cmp(const void *a, const void *b)
{
    const lrec_at *x = a, *y = b;
    return x->lsn < y->lsn ? -1 : x->lsn > y->lsn;
}

/* One region of an item, owned. */
typedef struct lreg {
    uint8_t *p;
    size_t len;
} lreg;

typedef struct litem {
    unsigned total, cnt;
    lreg *regs;
} litem;

typedef struct ltrans {
    uint32_t tid;
    int used, skip, have_header, le;
    litem *items;
    size_t nitems, cap, bytes;
} ltrans;

typedef struct lstate {
    const xr_log_sink *sink;
    xr_log_stats *st;
    husk_diag *diag;
    ltrans trans[MAX_OPEN_TRANS];
    size_t open_bytes;
    uint64_t seq;
    int dropped_reported;
} lstate;

static void trans_free(lstate *s, ltrans *t)
{
    for (size_t i = 0; i < t->nitems; i++) {
        for (unsigned k = 0; k < t->items[i].cnt; k++)
            free(t->items[i].regs[k].p);
        free(t->items[i].regs);
    }
    free(t->items);
    s->open_bytes -= t->bytes < s->open_bytes ? t->bytes : s->open_bytes;
    memset(t, 0, sizeof *t);
}

static ltrans *trans_find(lstate *s, uint32_t tid)
{
    for (size_t i = 0; i < MAX_OPEN_TRANS; i++)
        if (s->trans[i].used && s->trans[i].tid == tid)
            return &s->trans[i];
    return NULL;
}

/* A new transaction slot; when all are taken, the biggest open one is given up (reported). */
static ltrans *trans_new(lstate *s, uint32_t tid, int le, int skip)
{
    ltrans *t = NULL, *big = &s->trans[0];
    for (size_t i = 0; i < MAX_OPEN_TRANS && !t; i++) {
        if (!s->trans[i].used)
            t = &s->trans[i];
        else if (s->trans[i].bytes > big->bytes)
            big = &s->trans[i];
    }
    if (!t) {
        s->st->dropped++;
        trans_free(s, big);
        t = big;
    }
    t->used = 1;
    t->tid = tid;
    t->le = le;
    t->skip = skip;
    return t;
}

/* Adds a new region to the transaction: the header first, then item regions; an item's first
 * region says how many regions it has (u16 at offset 2 of every log format structure). */
static int trans_add(lstate *s, ltrans *t, const uint8_t *p, size_t len)
{
    if (!t->have_header) {
        t->have_header = len >= 4 && xr_h32(p, t->le) == XFS_TRANS_HEADER_MAGIC;
        if (!t->have_header)
            t->skip = 1;
        return 0;
    }
    litem *it = t->nitems ? &t->items[t->nitems - 1] : NULL;
    if (!it || it->cnt == it->total) {
        if (len < 4 || t->nitems >= MAX_TRANS_ITEMS)
            return -1;
        unsigned total = xr_h16(p + 2, t->le);
        if (total == 0 || total > MAX_ITEM_REGIONS)
            return -1;
        if (t->nitems == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 16;
            litem *n = realloc(t->items, cap * sizeof *n);
            if (!n)
                return -HUSK_E_NOMEM;
            t->items = n;
            t->cap = cap;
        }
        it = &t->items[t->nitems++];
        memset(it, 0, sizeof *it);
        it->total = total;
        if (!(it->regs = calloc(total, sizeof *it->regs)))
            return -HUSK_E_NOMEM;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -HUSK_E_NOMEM;
    memcpy(copy, p, len);
    it->regs[it->cnt].p = copy;
    it->regs[it->cnt++].len = len;
    t->bytes += len;
    s->open_bytes += len;
    return 0;
}

/* Appends a continued region to the last region of the transaction. */
static int trans_cont(lstate *s, ltrans *t, const uint8_t *p, size_t len)
{
    if (!t->have_header || t->nitems == 0 || t->items[t->nitems - 1].cnt == 0)
        return t->have_header ? -1 : 0; /* a split header: the items still follow */
    lreg *r = &t->items[t->nitems - 1].regs[t->items[t->nitems - 1].cnt - 1];
    uint8_t *n = realloc(r->p, r->len + len);
    if (!n)
        return -HUSK_E_NOMEM;
    memcpy(n + r->len, p, len);
    r->p = n;
    r->len += len;
    t->bytes += len;
    s->open_bytes += len;
    return 0;
}

/* Decodes a complete inode item and hands it over. */
static int emit_inode(lstate *s, const litem *it, int le)
{
    xr_ilf f;
    xr_log_inode li;
    if (it->cnt < 2 || xr_ilf_parse(it->regs[0].p, it->regs[0].len, le, &f) != 0)
        return 0;
    memset(&li, 0, sizeof li);
    if (xr_log_dinode_to_disk(it->regs[1].p, it->regs[1].len, le, li.core, sizeof li.core) != 0)
        return 0;
    li.core_len = li.core[4] == 3 ? 176 : 100;
    li.ino = f.ino;
    li.fields = f.fields;
    li.rdev = f.rdev;
    unsigned r = 2;
    if ((f.fields & XR_ILOG_DFORK) && r < it->cnt) {
        li.dfork = it->regs[r].p;
        li.dlen = it->regs[r].len < f.dsize ? it->regs[r].len : f.dsize;
        r++;
    }
    if ((f.fields & XR_ILOG_AFORK) && r < it->cnt) {
        li.afork = it->regs[r].p;
        li.alen = it->regs[r].len < f.asize ? it->regs[r].len : f.asize;
    }
    return s->sink->inode ? s->sink->inode(&li, s->seq, s->sink->ctx) : 0;
}

/* Decodes a complete buffer item: the k-th dirty run of 128-byte chunks is region k. */
static int emit_buf(lstate *s, const litem *it, int le)
{
    xr_blf b;
    if (xr_blf_parse(it->regs[0].p, it->regs[0].len, le, &b) != 0)
        return 0;
    xr_log_region regs[MAX_ITEM_REGIONS];
    size_t n = 0, size = (size_t)b.len * XR_BB;
    unsigned bit = 0, start, count;
    for (unsigned r = 1; r < it->cnt && xr_blf_next_run(&b, &bit, &start, &count); r++) {
        size_t off = (size_t)start * XR_BLF_CHUNK, len = (size_t)count * XR_BLF_CHUNK;
        if (len > it->regs[r].len)
            len = it->regs[r].len;
        if (off >= size)
            break;
        if (len > size - off)
            len = size - off;
        regs[n++] = (xr_log_region){off, it->regs[r].p, len};
    }
    xr_log_buf lb = {b.blkno, b.len, (unsigned)(b.flags >> 11), (b.flags & XR_BLF_CANCEL) != 0,
                     regs,    n};
    return s->sink->buf ? s->sink->buf(&lb, s->seq, s->sink->ctx) : 0;
}

/* A commit record: the transaction's items go out in order under one new seq. */
static int trans_commit(lstate *s, ltrans *t)
{
    int rc = 0;
    if (!t->skip && t->have_header) {
        s->seq++;
        s->st->transactions++;
        for (size_t i = 0; rc == 0 && i < t->nitems; i++) {
            const litem *it = &t->items[i];
            if (it->cnt != it->total || it->cnt == 0 || it->regs[0].len < 2)
                continue;
            s->st->items++;
            uint16_t type = xr_h16(it->regs[0].p, t->le);
            if (type == XR_LI_INODE)
                rc = emit_inode(s, it, t->le);
            else if (type == XR_LI_BUF)
                rc = emit_buf(s, it, t->le);
        }
    }
    trans_free(s, t);
    return rc;
}

/* Splits one unpacked record into operations (xlog_op_header: be32 tid, be32 len, u8
 * clientid, u8 flags, be16 pad) and feeds them to their transactions. */
static int record_ops(lstate *s, const xr_lrec *r, const uint8_t *data)
{
    size_t p = 0;
    int le = r->fmt == XLOG_FMT_LINUX_LE;
    for (uint32_t n = 0; n < r->num_ops; n++) {
        if (r->len - p < 12)
            return 0;
        uint32_t tid = xfs_be32(data + p), oplen = xfs_be32(data + p + 4);
        uint8_t client = data[p + 8], flags = data[p + 9];
        p += 12;
        if (oplen > r->len - p)
            return 0;
        const uint8_t *body = data + p;
        p += oplen;
        if (client != XFS_TRANSACTION || (flags & XLOG_UNMOUNT_TRANS))
            continue;
        ltrans *t = trans_find(s, tid);
        if (flags & XLOG_START_TRANS) {
            if (t) {
                s->st->uncommitted++;
                trans_free(s, t);
            }
            trans_new(s, tid, le, 0);
            continue;
        }
        if (!t)
            t = trans_new(s, tid, le, 1);
        int rc = 0;
        if (!t->skip && oplen > 0)
            rc = flags & XLOG_WAS_CONT_TRANS ? trans_cont(s, t, body, oplen)
                                             : trans_add(s, t, body, oplen);
        if (rc == -HUSK_E_NOMEM)
            return rc;
        if (rc < 0)
            t->skip = 1; /* a damaged transaction: nothing of it is used */
        if (s->open_bytes > MAX_OPEN_BYTES) {
            s->st->dropped++;
            t->skip = 1;
            trans_free(s, t);
            t = trans_new(s, tid, le, 1);
        }
        if (flags & XLOG_COMMIT_TRANS) {
            rc = trans_commit(s, t);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Pass 1: every intact record's LSN and place. */
static int find_records(lwin *w, int v5, lrec_at **out, size_t *nout, xr_log_stats *st,
                        uint8_t *rec, husk_err *err)
{
    size_t n = 0, cap = 0;
    lrec_at *v = NULL;
    for (uint64_t bb = 0; bb < w->nbb;) {
        xr_lrec r;
        int rc = log_read(w, bb, 1, rec, err);
        if (rc != 0) {
            free(v);
            return rc;
        }
        if (xr_lrec_parse(rec, &r) != 0) {
            bb++;
            continue;
        }
        uint64_t span = (uint64_t)r.hdr_bbs + r.data_bbs;
        rc = log_read(w, bb, span, rec, err);
        if (rc != 0) {
            free(v);
            return rc;
        }
        const uint8_t *data = rec + (size_t)r.hdr_bbs * XR_BB;
        /* mkfs.xfs and xfs_db logformat write records without a CRC (zero): the unmount
         * record and the filler of a formatted log. Neither is damage, and neither is used. */
        if (v5 && xr_le32(rec + 32) == 0) {
            bb++;
            continue;
        }
        if (v5 && xr_lrec_crc(rec, r.hdr_bbs, data, r.len) != xr_le32(rec + 32)) {
            st->bad_crc++;
            bb++;
            continue;
        }
        if (n == cap) {
            size_t c = cap ? cap * 2 : 1024;
            lrec_at *nv = realloc(v, c * sizeof *nv);
            if (!nv) {
                free(v);
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            }
            v = nv;
            cap = c;
        }
        v[n++] = (lrec_at){r.lsn, bb};
        st->records++;
        bb += span;
    }
    *out = v;
    *nout = n;
    return 0;
}

int xr_log_scan(const xr_disk *d, const xr_log_sink *sink, xr_log_stats *st, husk_diag *diag,
                husk_err *err)
{
    memset(st, 0, sizeof *st);
    uint64_t pos;
    if (d->logstart == 0)
        return husk_err_set(err, HUSK_E_NOTFOUND, "external XFS log: not in the evidence");
    if (d->logblocks < 2 || xfs_raw_fsb_locate(&d->sb, d->logstart, d->logblocks, &pos) != 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS log at block %llu lies outside the fs",
                            (unsigned long long)d->logstart);
    lwin w = {d, pos, (uint64_t)d->logblocks * (d->sb.blocksize / XR_BB), NULL, 0, 0};
    if (w.nbb > MAX_LOG_BBS) {
        husk_diag_report(diag, "recovery", "xfs log", (int64_t)(d->off + pos),
                         "log of %llu basic blocks: only the first %llu are read",
                         (unsigned long long)w.nbb, (unsigned long long)MAX_LOG_BBS);
        w.nbb = MAX_LOG_BBS;
    }
    size_t reclen =
        (size_t)(XR_LOG_MAX_RECORD / XR_LOG_CYCLE_SIZE + 1 + XR_LOG_MAX_RECORD / XR_BB) * XR_BB;
    uint8_t *rec = malloc(reclen);
    lstate *s = calloc(1, sizeof *s);
    w.buf = malloc((size_t)WIN_BBS * XR_BB);
    lrec_at *recs = NULL;
    size_t nrecs = 0;
    int rc = 0;
    if (!rec || !s || !w.buf)
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (rc == 0)
        rc = find_records(&w, d->sb.v5, &recs, &nrecs, st, rec, err);
    if (rc == 0) {
        if (nrecs > 1)
            qsort(recs, nrecs, sizeof *recs, lrec_cmp);
        s->sink = sink;
        s->st = st;
        s->diag = diag;
    }
    for (size_t i = 0; rc == 0 && i < nrecs; i++) {
        xr_lrec r;
        rc = log_read(&w, recs[i].bb, 1, rec, err);
        if (rc != 0 || xr_lrec_parse(rec, &r) != 0)
            break;
        rc = log_read(&w, recs[i].bb, (uint64_t)r.hdr_bbs + r.data_bbs, rec, err);
        if (rc != 0)
            break;
        uint8_t *data = rec + (size_t)r.hdr_bbs * XR_BB;
        xr_lrec_unpack(rec, r.hdr_bbs, data, r.data_bbs);
        rc = record_ops(s, &r, data);
        if (rc == -HUSK_E_NOMEM)
            rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        else if (rc < 0 && err && err->code == HUSK_OK)
            husk_err_set(err, -rc, "XFS log item rejected");
    }
    if (s) {
        for (size_t i = 0; i < MAX_OPEN_TRANS; i++)
            if (s->trans[i].used) {
                st->uncommitted++;
                trans_free(s, &s->trans[i]);
            }
    }
    free(recs);
    free(rec);
    free(s);
    free(w.buf);
    return rc;
}
