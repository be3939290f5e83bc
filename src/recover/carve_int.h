/*
 * Carving internals (include/husk/recover.h has the public side), shared by carve.c,
 * free_space.c and tests/unit/test_carve.c.
 *
 * Two halves:
 *   - the scanner (carve.c) reads stretches of contiguous bytes through a read function and
 *     reports each Docker artefact once; it knows nothing about file systems, so the tests
 *     drive it over memory buffers;
 *   - the free-space walkers (free_space.c) turn a file system's allocation metadata (ext4
 *     block bitmaps, XFS free-space B+trees) and the ext4 journal's block map into such
 *     stretches, as byte ranges of the file system.
 */
#ifndef HUSK_CARVE_INT_H
#define HUSK_CARVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/err.h"
#include "husk/recover.h"
#include "husk/strbuf.h"
#include "husk/vfs.h"

/* Bounds on what one carving session does. Every field has a default (carve_limits_default);
 * the tests shrink them to reach the edges with small buffers. */
typedef struct carve_limits {
    size_t window;        /* bytes read per step (8 MiB) */
    size_t max_config;    /* largest config.v2.json / hostconfig.json object (4 MiB) */
    size_t max_line;      /* largest json-file line without its newline (1 MiB) */
    size_t max_record;    /* largest local-driver record (HUSK_LOG_MAX_RECORD, as Docker) */
    uint64_t max_gunzip;  /* output of one gzip member (256 MiB) */
    uint64_t max_found;   /* artefacts reported before the session stops (4 Mi) */
    uint64_t work_base;   /* validation bytes allowed up front (256 MiB) ... */
    unsigned work_factor; /* ... plus this many per byte scanned (16) */
    uint64_t gzip_base;   /* inflated bytes allowed up front (1 GiB) ... */
    unsigned gzip_factor; /* ... plus this many per byte scanned (16) */
    int no_readahead;     /* 1: no read-ahead thread (tests compare the ways; default 0) */
    int no_ring;          /* 1: the stream in a buffer of its own, as where no ring can be
                             mapped (tests; default 0) */
} carve_limits;

void carve_limits_default(carve_limits *l);

typedef struct carve carve;

/* Reads exactly len bytes at offset off of the source; 0 or a negative husk_err code. */
typedef int (*carve_read_fn)(void *src, uint64_t off, void *buf, size_t len, husk_err *err);

/* Starts a session: one deduplication set, one set of budgets and statistics. lim may be
 * NULL for the defaults. */
int carve_new(const carve_limits *lim, husk_carve_cb cb, void *ctx, husk_diag *diag, carve **out,
              husk_err *err);
/* Scans source bytes [start, start + len) as one contiguous stretch. start must be a
 * multiple of block_size: config files and gzip members are looked for at block starts
 * only (every file starts on one). where ("unallocated", "journal") is kept in the reports
 * and must outlive the session. Read failures are reported to diag and the stretch goes on
 * after the failed window. Returns 0, >0 when the callback or the artefact bound stopped the
 * session (later calls return at once), or a negative code (callback error, memory). */
int carve_region(carve *c, carve_read_fn rd, void *src, uint64_t start, uint64_t len,
                 uint32_t block_size, const char *where, husk_err *err);
/* Optional: asked (from the read-ahead thread too) to have source bytes [off, off + len) read
 * into memory soon, without waiting for them (posix_fadvise WILLNEED on a raw image). */
typedef void (*carve_advise_fn)(void *src, uint64_t off, uint64_t len);
void carve_set_advise(carve *c, carve_advise_fn fn);
/* Reports each window read to p (may be NULL) as the offset reached out of total bytes. */
void carve_set_progress(carve *c, const husk_progress *p, uint64_t total);
/* What the session has done so far (bytes are counted by where: "journal" or the rest). */
const husk_carve_stats *carve_get_stats(const carve *c);
/* Reports the per-category totals of damage reports that were cut short. */
void carve_finish(carve *c);
void carve_free(carve *c);

/* Decides a JSON object q[0..n) (q[0] == '{') without jansson when it is plain JSON that
 * jansson takes for certain: 1 with *kind (HUSK_CARVE_CONFIG, HUSK_CARVE_HOSTCONFIG or -1 for
 * neither) and *cfg (strings kept in sb), or 0 when jansson must decide. */
int carve_fast_config(const uint8_t *q, size_t n, husk_strbuf *sb, int *kind,
                      husk_carved_config *cfg);

/* The anchor marks of the 64 positions at q (q[0..71) readable): impl 0 the definition, 1 the
 * SSE2 version (the definition where there is no SSE2), 2 the AVX2 one. -1 when impl is not
 * available on this machine. For the tests. */
int carve_mark64(const uint8_t *q, int impl, uint64_t *out);
/* Bytes the read-ahead thread has read so far (0 when it never ran). For the tests. */
uint64_t carve_ahead_bytes(carve *c);

/* ---- free space ------------------------------------------------------------------------ */

/* Told of a stretch before the previous one is passed on (see carve_merge.hint). */
typedef void (*carve_hint_fn)(uint64_t off, uint64_t len, void *ctx);

/* A stretch of the file system: [off, off + len) in bytes from its start. */
typedef int (*carve_run_cb)(uint64_t off, uint64_t len, void *ctx, husk_err *err);

/* Merges adjacent ranges into one stretch before passing it on, so that an artefact crossing
 * the boundary of two free extents (or of two block groups) is read in one piece. */
typedef struct carve_merge {
    carve_run_cb cb;
    void *ctx;
    uint64_t off, len; /* the pending stretch; len 0 = none */
    /* optional: told of each new stretch (its start and first run) before the pending one
     * is passed on, so that its bytes can be asked for early (carving reads them next) */
    carve_hint_fn hint;
} carve_merge;
int carve_merge_add(carve_merge *m, uint64_t off, uint64_t len, husk_err *err);
int carve_merge_flush(carve_merge *m, husk_err *err);

/* Calls add for every run of clear bits among the first nbits of bitmap (bit i = bit i%8 of
 * byte i/8, as ext4 stores them), as (first bit, count). */
int carve_bitmap_free_runs(const uint8_t *bitmap, uint64_t nbits,
                           int (*add)(uint64_t first, uint64_t count, void *ctx, husk_err *err),
                           void *ctx, husk_err *err);

/* Unallocated blocks of an ext2/3/4 file system, from its block bitmaps (groups whose bitmap
 * was never initialised, BLOCK_UNINIT, never held data and are skipped). The walkers' hint
 * (may be NULL) goes to their carve_merge. */
int carve_ext4_free_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                         husk_diag *diag, husk_err *err);
/* The blocks of the internal ext4 journal, in journal order; HUSK_E_NOTFOUND without one. */
int carve_ext4_journal_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                            husk_diag *diag, husk_err *err);
/* Free extents of an XFS file system, from every AG's free-space-by-block B+tree. */
int carve_xfs_free_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                        husk_diag *diag, husk_err *err);

/* XFS allocation-group header (AGF, sector 1 of each AG). */
typedef struct carve_xfs_agf {
    uint32_t seqno, length;
    uint32_t bno_root, bno_level;
} carve_xfs_agf;
int carve_xfs_agf_parse(const uint8_t *buf, size_t len, carve_xfs_agf *agf, husk_err *err);

/* One block of the free-space-by-block B+tree ("ABTB" v4, "AB3B" v5). */
typedef struct carve_xfs_bno {
    uint16_t level, numrecs;
    uint32_t rightsib;   /* 0xffffffff at the right edge */
    const uint8_t *recs; /* level 0: numrecs (be32 startblock, be32 blockcount) */
    const uint8_t *ptrs; /* level > 0: numrecs be32 child block numbers */
} carve_xfs_bno;
int carve_xfs_bno_parse(const uint8_t *blk, size_t len, int v5, carve_xfs_bno *b, husk_err *err);

#endif
