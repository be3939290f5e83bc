/*
 * Whether an XFS file system's internal log is clean (include/husk/replay.h). Detection only:
 * replaying the XFS log is out of scope, but an examiner must know that the home blocks of a
 * crash-consistent XFS image lag behind what the node saw.
 *
 * The method is the kernel's xlog_find_tail() (fs/xfs/xfs_log_recover.c), simplified: every
 * 512-byte basic block (BB) of the log starts with the cycle number it was written in (a
 * record header keeps its magic there and the cycle after it), so the head is where the cycle
 * drops; the last record header before the head names the tail (h_tail_lsn). The log is clean
 * when that record is an unmount record. Otherwise the records from tail to head are walked:
 * if they log nothing but the superblock buffer (the dummy transactions xfs_log_cover() writes
 * when a file system is frozen or idle), the log is "covered" and replaying it changes nothing
 * that matters; anything else (inodes, directory and allocation buffers, intents) is a dirty
 * log. Formats: xfsprogs libxfs/xfs_log_format.h (record header, op header, item types).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "../evidence/xfs_raw.h"
#include "husk/replay.h"

#define BB 512
#define LOG_MAGIC 0xFEEDBABEu
#define HEADER_CYCLE_SIZE (32 * 1024) /* XLOG_HEADER_CYCLE_SIZE: one header per 32 KiB */
#define MAX_RECORD (256 * 1024)       /* XLOG_MAX_RECORD_BSIZE */
#define MAX_HEADER_BBS (MAX_RECORD / HEADER_CYCLE_SIZE)
#define SEARCH_BACK 4096 /* BBs searched back from the head for the last header */
#define OP_HEADER 12
#define OP_WAS_CONT 0x08
#define OP_UNMOUNT 0x20
#define CLIENT_TRANSACTION 0x69
#define LI_FIRST 0x1236 /* XFS_LI_EFI */
#define LI_LAST 0x1250  /* past every item type defined so far */
#define LI_BUF 0x123c

typedef struct xlog {
    TSK_IMG_INFO *img;
    uint64_t start; /* byte offset of the log in img */
    uint64_t nbb;   /* basic blocks in the log */
    uint8_t bb[BB];
} xlog;

static int read_bb(xlog *l, uint64_t i, uint8_t *buf)
{
    i %= l->nbb;
    if (tsk_img_read(l->img, (TSK_OFF_T)(l->start + i * BB), (char *)buf, BB) != BB) {
        tsk_error_reset();
        return -1;
    }
    return 0;
}

/* xlog_get_cycle(): a record header keeps its cycle after the magic. */
static int cycle_of(xlog *l, uint64_t i, uint32_t *cycle)
{
    if (read_bb(l, i, l->bb) < 0)
        return -1;
    *cycle = xfs_be32(l->bb) == LOG_MAGIC ? xfs_be32(l->bb + 4) : xfs_be32(l->bb);
    return 0;
}

/* The first BB written in an older cycle than BB 0 (binary search, as xlog_find_head()
 * starts); 0 when the whole log carries one cycle (the head sits at the wrap). */
static int find_head(xlog *l, uint64_t *head)
{
    uint32_t c0, clast, c;
    if (cycle_of(l, 0, &c0) < 0 || cycle_of(l, l->nbb - 1, &clast) < 0)
        return -1;
    if (c0 == clast) {
        *head = 0;
        return 0;
    }
    uint64_t lo = 0, hi = l->nbb - 1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cycle_of(l, mid, &c) < 0)
            return -1;
        if (c == c0)
            lo = mid;
        else
            hi = mid;
    }
    *head = hi;
    return 0;
}

typedef struct rec {
    uint64_t at;
    uint32_t version, len, num_ops, fmt, size;
    uint64_t lsn, tail_lsn;
    unsigned hdr_bbs, data_bbs;
    uint8_t hdr[MAX_HEADER_BBS * BB];
} rec;

/* Reads the record header at BB at; -1 when there is none or it is implausible. */
static int read_rec(xlog *l, uint64_t at, rec *r)
{
    if (read_bb(l, at, r->hdr) < 0 || xfs_be32(r->hdr) != LOG_MAGIC)
        return -1;
    r->at = at % l->nbb;
    r->version = xfs_be32(r->hdr + 8);
    r->len = xfs_be32(r->hdr + 12);
    r->lsn = xfs_be64(r->hdr + 16);
    r->tail_lsn = xfs_be64(r->hdr + 24);
    r->num_ops = xfs_be32(r->hdr + 40);
    r->fmt = xfs_be32(r->hdr + 300);
    r->size = xfs_be32(r->hdr + 320);
    if ((r->version != 1 && r->version != 2) || r->len > MAX_RECORD)
        return -1;
    r->hdr_bbs = 1;
    if (r->version == 2 && r->size > HEADER_CYCLE_SIZE) {
        if (r->size > MAX_RECORD)
            return -1;
        r->hdr_bbs = (r->size + HEADER_CYCLE_SIZE - 1) / HEADER_CYCLE_SIZE;
    }
    r->data_bbs = (r->len + BB - 1) / BB;
    for (unsigned i = 1; i < r->hdr_bbs; i++)
        if (read_bb(l, at + i, r->hdr + i * BB) < 0)
            return -1;
    return 0;
}

/* Reads a record's data and puts back the first word of every BB, which the log replaced
 * with the cycle number (the originals are in h_cycle_data, then in the extended headers). */
static int read_rec_data(xlog *l, const rec *r, uint8_t *data)
{
    for (unsigned i = 0; i < r->data_bbs; i++) {
        if (read_bb(l, r->at + r->hdr_bbs + i, data + (size_t)i * BB) < 0)
            return -1;
        unsigned h = i / (HEADER_CYCLE_SIZE / BB), k = i % (HEADER_CYCLE_SIZE / BB);
        if (h >= r->hdr_bbs)
            return -1;
        /* xlog_rec_header.h_cycle_data at 44; xlog_rec_ext_header.xh_cycle_data at 4 */
        const uint8_t *src = r->hdr + (size_t)h * BB + (h == 0 ? 44 : 4) + 4 * k;
        memcpy(data + (size_t)i * BB, src, 4);
    }
    return 0;
}

static uint32_t host16(const uint8_t *p, uint32_t fmt)
{
    return fmt == 1 ? (uint32_t)(p[0] | p[1] << 8) : xfs_be16(p); /* XLOG_FMT_LINUX_LE */
}

static uint64_t host64(const uint8_t *p, uint32_t fmt)
{
    if (fmt != 1)
        return xfs_be64(p);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

enum { REC_QUIET = 0, REC_UNMOUNT = 1, REC_CHANGES = 2, REC_DAMAGED = -1 };

/* Classifies one record by the log items it carries. Item headers are found as the first
 * region of their op (their first u16 is the item type); the regions after them (buffer and
 * inode data) are not interpreted. */
static int classify(const rec *r, const uint8_t *data)
{
    size_t p = 0;
    int unmount = 0;
    for (uint32_t n = 0; n < r->num_ops; n++) {
        if (p + OP_HEADER > r->len)
            return REC_DAMAGED;
        uint32_t oplen = xfs_be32(data + p + 4);
        uint8_t client = data[p + 8], flags = data[p + 9];
        p += OP_HEADER;
        if (oplen > r->len - p)
            return REC_DAMAGED;
        const uint8_t *reg = data + p;
        p += oplen;
        if (flags & OP_UNMOUNT) {
            unmount = 1;
            continue;
        }
        if (client != CLIENT_TRANSACTION || (flags & OP_WAS_CONT) || oplen < 2)
            continue;
        uint32_t type = host16(reg, r->fmt);
        if (type < LI_FIRST || type > LI_LAST)
            continue;
        if (type != LI_BUF)
            return REC_CHANGES;
        /* xfs_buf_log_format: blf_blkno (daddr) at 8; the superblock is daddr 0 */
        if (oplen < 16 || host64(reg + 8, r->fmt) != 0)
            return REC_CHANGES;
    }
    return unmount ? REC_UNMOUNT : REC_QUIET;
}

static void set(char state[HUSK_JOURNAL_STATE_LEN], const char *s)
{
    snprintf(state, HUSK_JOURNAL_STATE_LEN, "%s", s);
}

int husk_xfs_log_state(TSK_IMG_INFO *img, uint64_t off, char state[HUSK_JOURNAL_STATE_LEN],
                       husk_diag *diag, husk_err *err)
{
    uint8_t sbuf[BB];
    xfs_raw_sb sb;
    husk_err e = {0};
    if (tsk_img_read(img, (TSK_OFF_T)off, (char *)sbuf, sizeof sbuf) != (ssize_t)sizeof sbuf ||
        xfs_raw_sb_parse(sbuf, sizeof sbuf, &sb, &e) < 0) {
        tsk_error_reset();
        set(state, "xfs-log-unknown (superblock unreadable)");
        return 0;
    }
    uint64_t logstart = xfs_be64(sbuf + 48);
    uint32_t logblocks = xfs_be32(sbuf + 96);
    if (logstart == 0) {
        set(state, "xfs-log-unknown (external log, not in the evidence)");
        return 0;
    }
    uint64_t logoff;
    if (logblocks < 2 || xfs_raw_fsb_locate(&sb, logstart, logblocks, &logoff) < 0) {
        husk_diag_report(diag, "journal", "xfs superblock", (int64_t)off,
                         "internal log at block %llu (%u blocks) lies outside the file system",
                         (unsigned long long)logstart, logblocks);
        set(state, "xfs-log-unknown (log location invalid)");
        return 0;
    }
    xlog *l = calloc(1, sizeof *l);
    rec *r = malloc(sizeof *r);
    uint8_t *data = malloc(MAX_RECORD + BB);
    if (!l || !r || !data) {
        free(l);
        free(r);
        free(data);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    l->img = img;
    l->start = off + logoff;
    l->nbb = (uint64_t)logblocks * (sb.blocksize / BB);
    const char *why = NULL;
    uint64_t head = 0;
    if (find_head(l, &head) < 0) {
        why = "xfs-log-unknown (log unreadable)";
        goto out;
    }
    /* the last record header before the head */
    int found = 0;
    for (uint64_t back = 1; back <= SEARCH_BACK && back <= l->nbb; back++)
        if (read_rec(l, head + l->nbb - back, r) == 0) {
            found = 1;
            break;
        }
    if (!found) {
        why = "xfs-log-unknown (no record header before the log head)";
        goto out;
    }
    if (r->num_ops == 1 && read_rec_data(l, r, data) == 0 && classify(r, data) == REC_UNMOUNT) {
        why = "clean";
        goto out;
    }
    /* walk tail .. head: every record must be a quiet one for a covered log */
    uint64_t pos = (uint32_t)r->tail_lsn % l->nbb, steps = 0;
    why = pos == head ? "clean" : "clean (log covered)";
    while (pos != head) {
        if (++steps > l->nbb || read_rec(l, pos, r) < 0 || read_rec_data(l, r, data) < 0) {
            husk_diag_report(diag, "journal", "xfs log", (int64_t)l->start,
                             "log record at basic block %llu unreadable or damaged",
                             (unsigned long long)pos);
            why = "xfs-log-dirty";
            break;
        }
        int c = classify(r, data);
        if (c == REC_CHANGES || c == REC_DAMAGED) {
            why = "xfs-log-dirty";
            break;
        }
        pos = (pos + r->hdr_bbs + r->data_bbs) % l->nbb;
    }
out:
    set(state, why);
    free(l);
    free(r);
    free(data);
    return 0;
}
