/*
 * Shared helpers of husk's libFuzzer targets (tests/fuzz/fuzz_*.c, docs/fuzzing.md).
 *
 * Each target defines LLVMFuzzerTestOneInput() and is built twice: with clang's
 * -fsanitize=fuzzer,address,undefined by `make fuzz` (build-fuzz/), and with the ordinary
 * compiler plus tests/fuzz/regress_main.c by `make test`, which runs every file of the
 * target's seed corpus and regression inputs once.
 *
 * Helpers here: a diag sink that drops reports (after formatting them, so format bugs still
 * show), an in-memory libtsk image made of byte segments placed at offsets of a zero-filled
 * virtual disk, little-endian field readers for the targets' input headers, and a case
 * database for the targets that write rows.
 */
#ifndef HUSK_FUZZ_H
#define HUSK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include <stdio.h>
#include <unistd.h>

#include "husk/casedb.h"
#include "husk/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_report(void *ctx, const char *phase, const char *object, int64_t offset,
                      const char *msg)
{
    /* touch every string so that a dangling or unterminated one shows under ASan */
    size_t *n = ctx;
    *n += strlen(phase) + (object ? strlen(object) : 0) + strlen(msg) + (size_t)(offset & 1);
}

static inline husk_diag fz_diag(size_t *sink)
{
    husk_diag d = {fz_report, sink, 0};
    return d;
}

/* One case database per fuzzing process, in a temporary file removed at exit, for the targets
 * that write rows (each input's rows are rolled back by the target). */
static husk_casedb *fz_db;
static char fz_dbpath[96];

static inline void fz_casedb_drop(void)
{
    husk_casedb_close(fz_db);
    unlink(fz_dbpath);
}

static inline husk_casedb *fz_casedb(const char *target)
{
    if (fz_db)
        return fz_db;
    snprintf(fz_dbpath, sizeof fz_dbpath, "/tmp/husk-fuzz-%s-%ld.db", target, (long)getpid());
    husk_err err = {0};
    if (husk_casedb_create(fz_dbpath, 1, &fz_db, &err) < 0) {
        fprintf(stderr, "fuzz_%s: %s\n", target, err.msg);
        abort();
    }
    atexit(fz_casedb_drop);
    return fz_db;
}

static inline uint32_t fz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t fz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- an in-memory libtsk image ------------------------------------------------------------ */

#define FZ_MAX_SEG 4

typedef struct fz_seg {
    uint64_t off; /* where the bytes sit on the virtual disk */
    const uint8_t *data;
    size_t len;
} fz_seg;

/* TSK_IMG_INFO must come first (tsk_img.h, external images). It holds libtsk's 2 MiB cache,
 * so one is allocated per process and reset before every input. */
typedef struct fz_img {
    TSK_IMG_INFO info;
    fz_seg seg[FZ_MAX_SEG];
    int nseg;
} fz_img;

static ssize_t fz_img_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    fz_img *m = (fz_img *)img;
    if (off < 0)
        return -1;
    uint64_t start = (uint64_t)off;
    if (start >= (uint64_t)img->size)
        return 0;
    if (len > (uint64_t)img->size - start)
        len = (size_t)((uint64_t)img->size - start);
    memset(buf, 0, len);
    for (int i = 0; i < m->nseg; i++) {
        const fz_seg *s = &m->seg[i];
        uint64_t lo = s->off > start ? s->off : start;
        uint64_t hi = s->off + s->len < start + len ? s->off + s->len : start + len;
        if (lo < hi)
            memcpy(buf + (lo - start), s->data + (lo - s->off), (size_t)(hi - lo));
    }
    return (ssize_t)len;
}

static void fz_img_close(TSK_IMG_INFO *img)
{
    (void)img; /* static: kept for the next input */
}

static void fz_img_stat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "fuzz input\n");
}

/* A virtual disk of size bytes (sector 512), zeros except for the segments. Returns the
 * image (valid until the next call), or NULL. */
static inline TSK_IMG_INFO *fz_img_open(uint64_t size, const fz_seg *seg, int nseg)
{
    static fz_img *m;
    if (!m) {
        m = calloc(1, sizeof *m);
        if (!m)
            return NULL;
    } else {
        tsk_img_close(&m->info); /* drops the lock; our close keeps the memory */
        memset(m->info.cache_off, 0, sizeof m->info.cache_off);
        memset(m->info.cache_len, 0, sizeof m->info.cache_len);
        memset(m->info.cache_age, 0, sizeof m->info.cache_age);
    }
    m->nseg = nseg > FZ_MAX_SEG ? FZ_MAX_SEG : nseg;
    memcpy(m->seg, seg, sizeof(*seg) * (size_t)m->nseg);
    TSK_IMG_INFO *img =
        tsk_img_open_external(m, (TSK_OFF_T)size, 512, fz_img_read, fz_img_close, fz_img_stat);
    tsk_error_reset();
    return img;
}

#endif
