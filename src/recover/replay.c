/*
 * The in-memory journal replay overlay and the comparison of the two views
 * (include/husk/replay.h).
 *
 * The overlay is a libtsk external image (tsk_img_open_external, as src/evidence/lvm.c
 * presents logical volumes): its read callback reads the original image and then lays the
 * replayed blocks over the part of the buffer they cover. The journal itself is read through
 * the home-block file system (its journal inode is never journaled, so both views agree on
 * where the journal is).
 */
#include "husk/replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "husk/ext4.h"

/* libtsk external image; TSK_IMG_INFO must be the first member (tsk_img.h). */
typedef struct ov_img {
    TSK_IMG_INFO info;
    husk_replay *r;
} ov_img;

struct husk_replay {
    TSK_IMG_INFO *img;   /* the overlay image (an ov_img, freed by libtsk's close) */
    TSK_IMG_INFO *under; /* the original image */
    husk_fs *home;       /* the home-block view: the journal is read through it */
    husk_jbd2 *j;
    uint64_t fs_off;
    uint32_t bs;
    const husk_jbd2_mapping *map;
    size_t nmap;
    uint8_t *diff; /* per map entry: 0 unknown, 1 same bytes as the home block, 2 different */
    uint8_t *blk, *home_blk;
    uint8_t *ia, *ib; /* raw inode scratch, one per view */
    uint32_t inode_size;
};

/* Index of the first mapping with fs_block >= b. */
static size_t map_lower(const husk_replay *r, uint64_t b)
{
    size_t lo = 0, hi = r->nmap;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->map[mid].fs_block < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ssize_t ov_fail(const char *msg)
{
    tsk_error_reset();
    tsk_error_set_errno(TSK_ERR_IMG_READ);
    tsk_error_set_errstr("journal replay overlay: %s", msg);
    return -1;
}

static ssize_t ov_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    husk_replay *r = ((ov_img *)img)->r;
    ssize_t n = tsk_img_read(r->under, off, buf, len);
    if (n <= 0)
        return n;
    uint64_t start = (uint64_t)off, end = start + (uint64_t)n;
    if (end <= r->fs_off || r->nmap == 0)
        return n;
    uint64_t rel = start > r->fs_off ? start - r->fs_off : 0;
    for (size_t i = map_lower(r, rel / r->bs); i < r->nmap; i++) {
        uint64_t bstart = r->fs_off + r->map[i].fs_block * r->bs;
        if (bstart >= end)
            break;
        husk_err e = {0};
        if (husk_jbd2_read_mapping(r->j, &r->map[i], r->blk, &e) < 0)
            return ov_fail(e.msg);
        uint64_t lo = bstart > start ? bstart : start;
        uint64_t hi = bstart + r->bs < end ? bstart + r->bs : end;
        memcpy(buf + (lo - start), r->blk + (lo - bstart), (size_t)(hi - lo));
    }
    return n;
}

static void ov_close(TSK_IMG_INFO *img)
{
    free(img); /* the replay state belongs to the husk_replay */
}

static void ov_imgstat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "ext journal replayed in memory over the evidence\n");
}

/* The overlay a file system was opened on, or NULL. */
static husk_replay *replay_of(husk_fs *fs)
{
    TSK_IMG_INFO *img = husk_ext4_image(fs);
    if (!img || img->itype != TSK_IMG_TYPE_EXTERNAL || img->read != ov_read)
        return NULL;
    return ((ov_img *)img)->r;
}

struct one_run {
    uint64_t block, count;
    unsigned n;
};

static int first_run(uint64_t block, uint64_t count, void *ctx)
{
    struct one_run *r = ctx;
    if (r->n++ == 0) {
        r->block = block;
        r->count = count;
    }
    return r->n > 1; /* a second run: not one extent, stop */
}

/* Byte of the internal journal's first block in the image when the journal is one run of
 * blocks (as mke2fs makes it), so its damage has a place on disk; -1 otherwise. */
static int64_t journal_origin(husk_fs *fs, const husk_ext4_info *in)
{
    struct one_run run = {0};
    husk_err e = {0};
    if (in->journal_inum &&
        husk_ext4_inode_runs(fs, in->journal_inum, first_run, &run, &e) == 0 && run.n == 1 &&
        run.count * in->block_size >= in->journal_size)
        return (int64_t)(fs->offset + run.block * in->block_size);
    return -1;
}

int husk_ext4_journal_open(husk_fs *fs, husk_jbd2 **out, husk_err *err)
{
    husk_ext4_info in;
    int r = husk_ext4_get_info(fs, &in, err);
    if (r < 0)
        return r;
    if (!in.has_journal || !in.journal_inum || !in.journal_size)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no internal journal");
    r = husk_jbd2_open(husk_ext4_journal_read, fs, in.journal_size, in.block_size,
                       in.blocks_count, out, err);
    if (r == 0)
        husk_jbd2_set_origin(*out, journal_origin(fs, &in));
    return r;
}

void husk_replay_close(husk_replay *r)
{
    if (!r)
        return;
    if (r->img)
        tsk_img_close(r->img);
    husk_jbd2_close(r->j);
    free(r->diff);
    free(r->blk);
    free(r->home_blk);
    free(r->ia);
    free(r->ib);
    free(r);
}

TSK_IMG_INFO *husk_replay_image(husk_replay *r)
{
    return r->img;
}

husk_jbd2 *husk_replay_journal(husk_replay *r)
{
    return r->j;
}

static int make_overlay(husk_fs *home, TSK_IMG_INFO *img, uint64_t off, husk_jbd2 *j,
                        const husk_ext4_info *in, husk_replay **out, husk_err *err)
{
    husk_replay *r = calloc(1, sizeof *r);
    ov_img *o = calloc(1, sizeof *o); /* zeroed: it holds libtsk's read cache */
    if (!r || !o) {
        free(r);
        free(o);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    r->under = img;
    r->home = home;
    r->j = j;
    r->fs_off = off;
    r->bs = in->block_size;
    r->map = husk_jbd2_replay_map(j, &r->nmap);
    r->inode_size = in->inode_size;
    r->diff = calloc(r->nmap + 1, 1);
    r->blk = malloc(r->bs);
    r->home_blk = malloc(r->bs);
    r->ia = malloc(r->inode_size);
    r->ib = malloc(r->inode_size);
    if (!r->diff || !r->blk || !r->home_blk || !r->ia || !r->ib) {
        r->j = NULL; /* still the caller's */
        husk_replay_close(r);
        free(o);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    o->r = r;
    r->img = tsk_img_open_external(o, img->size, img->sector_size, ov_read, ov_close, ov_imgstat);
    if (!r->img) {
        const char *m = tsk_error_get();
        husk_err_set(err, HUSK_E_IO, "cannot present the replayed view as an image: %s",
                     m ? m : "libtsk error");
        tsk_error_reset();
        free(o);
        r->j = NULL;
        husk_replay_close(r);
        return -HUSK_E_IO;
    }
    *out = r;
    return 0;
}

static void set_state(char state[HUSK_JOURNAL_STATE_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_state(char state[HUSK_JOURNAL_STATE_LEN], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(state, HUSK_JOURNAL_STATE_LEN, fmt, ap);
    va_end(ap);
}

int husk_replay_open(husk_fs *fs, TSK_IMG_INFO *img, uint64_t off, int replay, husk_replay **out,
                     char state[HUSK_JOURNAL_STATE_LEN], husk_diag *diag, husk_err *err)
{
    *out = NULL;
    if (strcmp(fs->fstype, "xfs") == 0)
        return husk_xfs_log_state(img, off, state, diag, err);
    if (!husk_fs_is_ext4(fs)) {
        set_state(state, "unknown");
        return 0;
    }
    husk_ext4_info in;
    husk_err e = {0};
    if (husk_ext4_get_info(fs, &in, &e) < 0) {
        husk_diag_report(diag, "journal", fs->fstype, (int64_t)off, "%s", e.msg);
        set_state(state, "unknown (superblock unreadable)");
        return 0;
    }
    if (!in.has_journal) {
        set_state(state, in.needs_recovery ? "needs-recovery (flag set, no journal)" : "none");
        return 0;
    }
    if (!in.journal_inum) {
        set_state(state, in.needs_recovery ? "needs-recovery (external journal, not replayed)"
                                           : "clean (external journal)");
        return 0;
    }
    husk_jbd2 *j = NULL;
    int64_t jsb = journal_origin(fs, &in);
    if (jsb < 0)
        jsb = (int64_t)off;
    if (husk_ext4_journal_open(fs, &j, &e) < 0) {
        husk_diag_report(diag, "journal", "journal superblock", jsb, "%s", e.msg);
        set_state(state, in.needs_recovery ? "needs-recovery (journal unreadable)"
                                           : "clean (journal unreadable)");
        return 0;
    }
    const husk_jbd2_sb *sb = husk_jbd2_superblock(j);
    if (!in.needs_recovery) {
        /* ext4_load_journal(): without the recover flag the kernel wipes the log rather
         * than replay it, so the home blocks are the file system */
        if (sb->start)
            husk_diag_report(diag, "journal", "journal superblock", (int64_t)off,
                             "the journal holds a log from transaction %u but the file "
                             "system's needs_recovery flag is clear; not replayed (the kernel "
                             "would discard it)",
                             sb->sequence);
        set_state(state, "clean");
        husk_jbd2_close(j);
        return 0;
    }
    if (husk_jbd2_replay(j, diag, &e) < 0) {
        if (e.code == HUSK_E_NOMEM) {
            husk_jbd2_close(j);
            if (err)
                *err = e;
            return -e.code;
        }
        husk_diag_report(diag, "journal", "journal superblock", (int64_t)off, "%s", e.msg);
        set_state(state, "needs-recovery (journal damaged, not replayed)");
        husk_jbd2_close(j);
        return 0;
    }
    const husk_jbd2_replay_stats *rs = husk_jbd2_stats(j);
    if (rs->blocks == 0) {
        set_state(state, "clean (needs_recovery set, no committed transaction to replay)");
        husk_jbd2_close(j);
        return 0;
    }
    if (!replay) {
        set_state(state, "needs-recovery (%u transactions, %llu blocks not replayed)",
                  rs->transactions, (unsigned long long)rs->blocks);
        husk_jbd2_close(j);
        return 0;
    }
    int r = make_overlay(fs, img, off, j, &in, out, err);
    if (r < 0) {
        husk_jbd2_close(j);
        return r;
    }
    set_state(state, "replayed (%u transactions, %llu blocks)", rs->transactions,
              (unsigned long long)rs->blocks);
    return 0;
}

/* Whether the replay rewrites map entry i with bytes other than the home block's. */
static int entry_differs(husk_replay *r, size_t i, husk_err *err)
{
    if (r->diff[i])
        return r->diff[i] == 2;
    int rc = husk_jbd2_read_mapping(r->j, &r->map[i], r->blk, err);
    if (rc < 0)
        return rc;
    TSK_OFF_T at = (TSK_OFF_T)(r->fs_off + r->map[i].fs_block * r->bs);
    ssize_t n = tsk_img_read(r->under, at, (char *)r->home_blk, r->bs);
    if (n != (ssize_t)r->bs) {
        const char *m = tsk_error_get();
        husk_err_set(err, HUSK_E_IO, "cannot read block %llu: %s",
                     (unsigned long long)r->map[i].fs_block, m ? m : "short read");
        tsk_error_reset();
        return -HUSK_E_IO;
    }
    r->diff[i] = memcmp(r->blk, r->home_blk, r->bs) ? 2 : 1;
    return r->diff[i] == 2;
}

typedef struct runs_ctx {
    husk_replay *r;
    int differs;
    int error;
    husk_err *err;
} runs_ctx;

static int run_cb(uint64_t block, uint64_t count, void *vctx)
{
    runs_ctx *c = vctx;
    husk_replay *r = c->r;
    for (size_t i = map_lower(r, block); i < r->nmap && r->map[i].fs_block - block < count; i++) {
        int d = entry_differs(r, i, c->err);
        if (d < 0) {
            c->error = d;
            return d;
        }
        if (d) {
            c->differs = 1;
            return 1;
        }
    }
    return 0;
}

int husk_fs_differs(husk_fs *replayed, husk_fs *home, uint64_t ino, int *differs, husk_err *err)
{
    *differs = 0;
    husk_replay *r = replay_of(replayed);
    if (!r || !husk_fs_is_ext4(home))
        return 0;
    size_t sa = 0, sb = 0;
    int rc = husk_ext4_raw_inode(replayed, ino, r->ia, r->inode_size, &sa, err);
    if (rc < 0)
        return rc;
    husk_err e = {0};
    /* an inode the home view cannot even read (its group descriptor or table is only right
     * after the replay) differs by definition */
    if (husk_ext4_raw_inode(home, ino, r->ib, r->inode_size, &sb, &e) < 0 || sa != sb ||
        memcmp(r->ia, r->ib, sa < r->inode_size ? sa : r->inode_size) != 0) {
        *differs = 1;
        return 0;
    }
    runs_ctx c = {.r = r, .err = err};
    rc = husk_ext4_inode_runs(replayed, ino, run_cb, &c, err);
    if (c.error < 0)
        return c.error;
    if (rc < 0)
        return rc;
    *differs = c.differs;
    return 0;
}

int husk_fs_path_differs(husk_fs *replayed, husk_fs *home, const char *path, int *differs,
                         husk_err *err)
{
    *differs = 0;
    if (!replay_of(replayed))
        return 0;
    uint64_t ia, ib;
    int rc = husk_fs_lookup(replayed, path, 0, &ia, err);
    if (rc < 0)
        return rc;
    husk_err e = {0};
    if (husk_fs_lookup(home, path, 0, &ib, &e) < 0 || ia != ib) {
        *differs = 1;
        return 0;
    }
    return husk_fs_differs(replayed, home, ia, differs, err);
}
