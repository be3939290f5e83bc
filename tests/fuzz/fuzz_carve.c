/*
 * The carving scanner (src/recover/carve.c): config.v2.json / hostconfig.json objects at block
 * starts, json-file lines, local-driver frames and gzip members (inflated and scanned again)
 * in free space. Input: one byte of options (block size 512 or 4096; "journal" or
 * "unallocated"), then the free-space bytes. The limits are shrunk, as in
 * tests/unit/test_carve.c, so that window edges, carries and budgets are reached with small
 * inputs.
 */
#include <string.h>

#include "fuzz.h"
#include "../../src/recover/carve_int.h"

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static int rd(void *ctx, uint64_t off, void *buf, size_t len, husk_err *err)
{
    const src *s = ctx;
    if (off > s->n || len > s->n - off)
        return husk_err_set(err, HUSK_E_IO, "read past the end");
    memcpy(buf, s->p + off, len);
    return 0;
}

static int on_found(const husk_carved *c, void *ctx)
{
    size_t *sum = ctx;
    *sum += c->len + c->offset + strlen(c->where) + strlen(husk_carve_kind_name(c->kind)) +
            (c->len ? c->data[c->len - 1] : 0) + c->gzip_offset;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t bs = data[0] & 1 ? 4096 : 512;
    const char *where = data[0] & 2 ? "journal" : "unallocated";
    data++;
    size--;
    carve_limits lim;
    carve_limits_default(&lim);
    lim.window = 16384;
    lim.max_config = 65536;
    lim.max_line = 16384;
    lim.max_record = 16384;
    lim.max_gunzip = 1u << 20;
    lim.max_found = 1000;
    lim.work_base = 1u << 20;
    lim.gzip_base = 4u << 20;
    size_t sum = 0, dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    carve *c = NULL;
    if (carve_new(&lim, on_found, &sum, &diag, &c, &err) < 0)
        return 0;
    src s = {data, size};
    int rc = carve_region(c, rd, &s, 0, size, bs, where, &err);
    /* the second half again as a stretch of its own (artefacts already seen are not
     * reported twice) */
    uint64_t half = (size / 2) / bs * bs;
    if (rc == 0 && half > 0)
        carve_region(c, rd, &s, half, size - half, bs, where, &err);
    const husk_carve_stats *st = carve_get_stats(c);
    sum += st->runs + st->unallocated_bytes;
    carve_finish(c);
    carve_free(c);
    return sum == 1;
}
