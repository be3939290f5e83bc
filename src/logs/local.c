/*
 * The local log driver's files (formats.md 4.4), also used for container-cached.log:
 *
 *   uint32be len | protobuf LogEntry (len bytes) | uint32be len
 *
 * LogEntry { string source=1; int64 time_nano=2; bytes line=3; bool partial=4;
 *            PartialLogEntryMetadata partial_log_metadata=5; repeated LogAttr attrs=6; }
 * PartialLogEntryMetadata { bool last=1; string id=2; int32 ordinal=3; }
 *
 * The protobuf reader is a few bounded functions instead of a library: only these two messages
 * exist, and every length in them comes from the evidence. A record is accepted only when both
 * lengths agree and the protobuf decodes, so after damage the decoder can slide forward byte
 * by byte until records line up again.
 */
#include "husk/logs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STREAM 256 /* a source name longer than this is damage, not Docker's */
#define MAX_ID 256     /* partial IDs are 64 hex characters */

static int varint(const uint8_t *b, size_t n, size_t *i, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned k = 0; k < 10; k++) {
        if (*i >= n)
            return -1;
        uint8_t c = b[(*i)++];
        if (k == 9 && c > 1)
            return -1; /* more than 64 bits */
        x |= (uint64_t)(c & 0x7F) << (7 * k);
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Reads a length-delimited field's bounds: [*off, *off + *len) lies inside the buffer. */
static int delimited(const uint8_t *b, size_t n, size_t *i, size_t *off, size_t *len)
{
    uint64_t l;
    if (varint(b, n, i, &l) < 0 || l > n - *i)
        return -1;
    *off = *i;
    *len = (size_t)l;
    *i += (size_t)l;
    return 0;
}

static int skip_field(const uint8_t *b, size_t n, size_t *i, unsigned wt)
{
    uint64_t v;
    size_t off, len;
    switch (wt) {
    case 0:
        return varint(b, n, i, &v);
    case 1:
        if (n - *i < 8)
            return -1;
        *i += 8;
        return 0;
    case 2:
        return delimited(b, n, i, &off, &len);
    case 5:
        if (n - *i < 4)
            return -1;
        *i += 4;
        return 0;
    default:
        return -1; /* groups (3, 4) are not proto3; 6 and 7 do not exist */
    }
}

typedef struct meta {
    int last;
    size_t id_off, id_len;
    int64_t ordinal;
} meta;

/* Decodes PartialLogEntryMetadata from b[i, end): offsets stay relative to b. */
static int decode_meta(const uint8_t *b, size_t i, size_t end, meta *m)
{
    while (i < end) {
        uint64_t tag, v;
        if (varint(b, end, &i, &tag) < 0 || (tag >> 3) == 0)
            return -1;
        unsigned wt = (unsigned)(tag & 7);
        switch (tag >> 3) {
        case 1:
            if (wt != 0 || varint(b, end, &i, &v) < 0)
                return -1;
            m->last = v != 0;
            break;
        case 2:
            if (wt != 2 || delimited(b, end, &i, &m->id_off, &m->id_len) < 0 || m->id_len > MAX_ID)
                return -1;
            break;
        case 3:
            if (wt != 0 || varint(b, end, &i, &v) < 0)
                return -1;
            m->ordinal = (int32_t)(uint32_t)v; /* int32 on the wire, as Go reads it */
            break;
        default:
            if (skip_field(b, end, &i, wt) < 0)
                return -1;
        }
    }
    return 0;
}

int husk_local_decode_record(const uint8_t *b, size_t n, husk_strbuf *scratch, husk_log_entry *e,
                             husk_err *err)
{
    size_t i = 0, src_off = 0, src_len = 0, line_off = 0, line_len = 0;
    int partial = 0;
    int64_t tn = 0;
    meta m = {0};
    while (i < n) {
        uint64_t tag, v = 0; /* read below only when its varint was decoded */
        size_t at = i, off, len;
        if (varint(b, n, &i, &tag) < 0 || (tag >> 3) == 0)
            return husk_err_set(err, HUSK_E_FORMAT, "bad protobuf tag at byte %zu", at);
        unsigned wt = (unsigned)(tag & 7);
        int bad = 0;
        switch (tag >> 3) {
        case 1:
            bad = wt != 2 || delimited(b, n, &i, &src_off, &src_len) < 0 || src_len > MAX_STREAM;
            break;
        case 2:
            bad = wt != 0 || varint(b, n, &i, &v) < 0;
            tn = (int64_t)v;
            break;
        case 3:
            bad = wt != 2 || delimited(b, n, &i, &line_off, &line_len) < 0;
            break;
        case 4:
            bad = wt != 0 || varint(b, n, &i, &v) < 0;
            partial = v != 0;
            break;
        case 5: /* protobuf merges repeated occurrences of a message field; so does this */
            bad = wt != 2 || delimited(b, n, &i, &off, &len) < 0 ||
                  decode_meta(b, off, off + len, &m) < 0;
            break;
        default:
            bad = skip_field(b, n, &i, wt) < 0; /* attrs (6) and anything newer */
        }
        if (bad)
            return husk_err_set(err, HUSK_E_FORMAT, "bad protobuf field %llu at byte %zu",
                                (unsigned long long)(tag >> 3), at);
    }
    /* source and id are copied to be NUL-terminated; the line stays in b */
    husk_sb_reset(scratch);
    if (husk_sb_add(scratch, src_len ? b + src_off : NULL, src_len) < 0 ||
        husk_sb_add(scratch, "", 1) < 0 ||
        husk_sb_add(scratch, m.id_len ? b + m.id_off : NULL, m.id_len) < 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    memset(e, 0, sizeof *e);
    e->stream = scratch->buf;
    e->time = husk_log_time_from_ns(tn);
    e->line = line_len ? (const char *)b + line_off : "";
    e->len = line_len;
    /* Docker reads the metadata only when partial is set; the last chunk has both set */
    e->more = partial && !m.last;
    e->chunk_id = partial ? scratch->buf + src_len + 1 : "";
    e->ordinal = partial ? m.ordinal : 0;
    return 0;
}

struct husk_localfile {
    const husk_prov *prov;
    husk_log_entry_cb cb;
    void *ctx;
    husk_diag *diag;
    char *object;
    husk_strbuf win, scratch; /* win: bytes not yet consumed, from file offset base */
    size_t start;             /* first unconsumed byte in win */
    uint64_t base;
    int resyncing; /* sliding over damage that began at resync_from */
    uint64_t resync_from;
    char reason[160];
    unsigned damaged;
};

int husk_localfile_new(const husk_prov *prov, husk_log_entry_cb cb, void *ctx, husk_diag *diag,
                       husk_localfile **out, husk_err *err)
{
    husk_localfile *d = calloc(1, sizeof *d);
    if (!d)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    d->prov = prov;
    d->cb = cb;
    d->ctx = ctx;
    d->diag = diag;
    *out = d;
    return 0;
}

void husk_localfile_set_object(husk_localfile *d, const char *object)
{
    free(d->object);
    d->object = object ? strdup(object) : NULL;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reports the damaged stretch that ends at the current position. */
static void end_resync(husk_localfile *d, uint64_t upto)
{
    if (!d->resyncing)
        return;
    d->resyncing = 0;
    if (++d->damaged <= HUSK_LOG_MAX_REPORTS)
        husk_diag_report(d->diag, "logs", d->object ? d->object : "local log",
                         (int64_t)d->resync_from,
                         "%llu bytes skipped: not readable as local-driver records (%s)",
                         (unsigned long long)(upto - d->resync_from), d->reason);
}

/* Moves one byte on over damage, remembering where the damage began and why. */
static void slide(husk_localfile *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slide(husk_localfile *d, const char *fmt, ...)
{
    if (!d->resyncing) {
        d->resyncing = 1;
        d->resync_from = d->base + d->start;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->reason, sizeof d->reason, fmt, ap);
        va_end(ap);
    }
    d->start++;
}

/* Takes every whole record out of the window; at_eof: nothing more will come. */
static int drain(husk_localfile *d, int at_eof, husk_err *err)
{
    const uint8_t *w = (const uint8_t *)d->win.buf;
    for (;;) {
        size_t avail = d->win.len - d->start;
        if (avail < 4) {
            if (!at_eof || avail == 0)
                break; /* (an empty file never allocated the window: w is NULL) */
            slide(d, "%zu stray bytes at the end", avail);
            continue;
        }
        const uint8_t *p = w + d->start;
        uint32_t len = be32(p);
        if (len == 0 || len > HUSK_LOG_MAX_RECORD) {
            slide(d, "record length %u (the limit is %u)", len, HUSK_LOG_MAX_RECORD);
            continue;
        }
        if (avail < (size_t)len + 8) {
            if (!at_eof)
                break;
            slide(d, "record of %u bytes cut short by the end of the file (%zu there)", len,
                  avail - 4);
            continue;
        }
        uint32_t tail = be32(p + 4 + len);
        if (tail != len) {
            slide(d, "record length %u, trailing length %u", len, tail);
            continue;
        }
        husk_log_entry e;
        husk_err why = {0};
        int r = husk_local_decode_record(p + 4, len, &d->scratch, &e, &why);
        if (r == -HUSK_E_NOMEM)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        if (r < 0) {
            slide(d, "protobuf: %s", why.msg);
            continue;
        }
        end_resync(d, d->base + d->start);
        e.offset = d->base + d->start;
        e.prov = d->prov;
        d->start += (size_t)len + 8;
        r = d->cb(&e, d->ctx, err);
        if (r < 0)
            return r;
    }
    /* keep the window small: drop what was consumed */
    if (d->start > 0) {
        size_t rest = d->win.len - d->start;
        memmove(d->win.buf, d->win.buf + d->start, rest);
        d->win.len = rest;
        d->win.buf[rest] = '\0';
        d->base += d->start;
        d->start = 0;
    }
    return 0;
}

int husk_localfile_feed(husk_localfile *d, const void *buf, size_t len, husk_err *err)
{
    /* feed in slices so the window stays near one record plus one slice */
    const char *s = buf;
    while (len > 0) {
        size_t k = len < 65536 ? len : 65536;
        if (husk_sb_add(&d->win, s, k) < 0)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        int r = drain(d, 0, err);
        if (r < 0)
            return r;
        s += k;
        len -= k;
    }
    return 0;
}

int husk_localfile_end(husk_localfile *d, husk_err *err)
{
    int r = drain(d, 1, err);
    end_resync(d, d->base + d->start);
    if (d->damaged > HUSK_LOG_MAX_REPORTS)
        husk_diag_report(d->diag, "logs", d->object ? d->object : "local log", -1,
                         "%u damaged stretches in all", d->damaged);
    husk_sb_release(&d->win);
    d->start = 0;
    d->base = 0;
    d->damaged = 0;
    return r;
}

void husk_localfile_free(husk_localfile *d)
{
    if (!d)
        return;
    husk_sb_release(&d->win);
    husk_sb_release(&d->scratch);
    free(d->object);
    free(d);
}
