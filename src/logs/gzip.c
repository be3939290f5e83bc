/*
 * Rotated log files compressed by Docker (formats.md 4.3): gzip, inflated as a stream so a
 * rotated file never has to fit in memory, with a bound on the output so that a gzip bomb
 * planted among the logs stops there. Members follow one another as in `gzip -c a b`, which
 * Go's reader (and so Docker's) reads as one stream.
 *
 * Docker puts {"lastTime":"<RFC 3339>"} raw in the header's FEXTRA field (not in RFC 1952
 * subfields): the time of the file's last entry, kept so the caller can compare.
 */
#include "husk/logs.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#define OUT_CHUNK 65536
#define EXTRA_MAX 512

struct husk_gunzip {
    z_stream z;
    gz_header head;
    unsigned char extra[EXTRA_MAX];
    int head_parsed;
    int in_member;    /* a member began and has not ended */
    unsigned members; /* members finished */
    int stopped;      /* a damage or limit error was returned: ignore the rest */
    int carving;      /* husk_gunzip_carving() */
    uint64_t max_out, total_out;
    husk_timespec last_time;
    unsigned char out[OUT_CHUNK];
};

int husk_gunzip_new(uint64_t max_out, husk_gunzip **out, husk_err *err)
{
    husk_gunzip *g = calloc(1, sizeof *g);
    if (!g)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    /* 16 + MAX_WBITS: gzip wrapper only, with its CRC-32 and length checked by zlib */
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
        free(g);
        return husk_err_set(err, HUSK_E_NOMEM, "zlib could not start");
    }
    g->head.extra = g->extra;
    g->head.extra_max = EXTRA_MAX;
    inflateGetHeader(&g->z, &g->head);
    g->max_out = max_out;
    *out = g;
    return 0;
}

/* FEXTRA of the first member, once its header has been read. */
static void parse_extra(husk_gunzip *g)
{
    g->head_parsed = 1;
    if (g->head.extra_len == 0 || g->head.extra_len > EXTRA_MAX)
        return;
    json_t *j = json_loadb((const char *)g->extra, g->head.extra_len, 0, NULL);
    const char *t = json_string_value(json_object_get(j, "lastTime"));
    if (t)
        husk_log_time_parse(t, strlen(t), &g->last_time);
    json_decref(j);
}

int husk_gunzip_feed(husk_gunzip *g, const void *buf, size_t len, husk_log_sink sink, void *ctx,
                     husk_err *err)
{
    if (g->stopped)
        return 0;
    g->z.next_in = (Bytef *)buf;
    g->z.avail_in = 0;
    for (;;) {
        /* zlib counts input in uInt: hand it over in slices */
        if (g->z.avail_in == 0 && len > 0) {
            size_t k = len < (1u << 30) ? len : (1u << 30);
            g->z.avail_in = (uInt)k;
            len -= k;
        }
        if (!g->in_member) {
            if (g->z.avail_in == 0)
                break;
            if (g->members > 0) {
                /* only another gzip member may follow; padding or junk is damage */
                if (g->z.next_in[0] != 0x1f) {
                    g->stopped = 1;
                    return husk_err_set(err, HUSK_E_FORMAT,
                                        "%llu bytes after the last gzip member are not gzip",
                                        (unsigned long long)g->z.avail_in + len);
                }
                inflateReset(&g->z);
            }
            g->in_member = 1;
        }
        g->z.next_out = g->out;
        g->z.avail_out = OUT_CHUNK;
        uInt in_before = g->z.avail_in;
        int zr = inflate(&g->z, Z_NO_FLUSH);
        if (!g->head_parsed && g->head.done == 1)
            parse_extra(g);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            g->stopped = 1;
            size_t got = OUT_CHUNK - g->z.avail_out;
            if (g->carving && got > 0 && got <= g->max_out - g->total_out) {
                g->total_out += got;
                int r = sink(g->out, got, ctx, err);
                if (r < 0)
                    return r;
            }
            return husk_err_set(err, HUSK_E_FORMAT, "gzip data damaged after %llu bytes: %s",
                                (unsigned long long)g->total_out,
                                g->z.msg ? g->z.msg : "inflate failed");
        }
        size_t produced = OUT_CHUNK - g->z.avail_out;
        int over = produced > g->max_out - g->total_out;
        if (over)
            produced = (size_t)(g->max_out - g->total_out);
        if (produced > 0) {
            g->total_out += produced;
            int r = sink(g->out, produced, ctx, err);
            if (r < 0) {
                g->stopped = 1;
                return r;
            }
        }
        if (over) {
            g->stopped = 1;
            return husk_err_set(err, HUSK_E_LIMIT,
                                "gzip data inflates past the %llu-byte bound (a gzip bomb?): "
                                "stopped there",
                                (unsigned long long)g->max_out);
        }
        if (zr == Z_STREAM_END) {
            g->in_member = 0;
            g->members++;
            if (g->carving) {
                g->stopped = 1; /* whatever follows is not part of this stream */
                return 0;
            }
            continue;
        }
        /* output room left over means zlib wants more input */
        if (g->z.avail_out > 0 && g->z.avail_in == 0 && len == 0)
            break;
        if (zr == Z_BUF_ERROR && produced == 0 && g->z.avail_in == in_before)
            break; /* no progress possible: never spin */
    }
    return 0;
}

int husk_gunzip_end(husk_gunzip *g, husk_err *err)
{
    if (g->stopped)
        return 0;
    g->stopped = 1;
    if (g->in_member)
        return husk_err_set(err, HUSK_E_FORMAT, "gzip data cut short after %llu bytes",
                            (unsigned long long)g->total_out);
    if (g->members == 0)
        return husk_err_set(err, HUSK_E_FORMAT, "no gzip data");
    return 0;
}

void husk_gunzip_carving(husk_gunzip *g)
{
    g->carving = 1;
}

unsigned husk_gunzip_members(const husk_gunzip *g)
{
    return g->members;
}

uint64_t husk_gunzip_total_out(const husk_gunzip *g)
{
    return g->total_out;
}

int husk_gunzip_last_time(const husk_gunzip *g, husk_timespec *t)
{
    if (!g->last_time.present)
        return -1;
    *t = g->last_time;
    return 0;
}

void husk_gunzip_free(husk_gunzip *g)
{
    if (!g)
        return;
    inflateEnd(&g->z);
    free(g);
}
