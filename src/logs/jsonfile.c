/*
 * The json-file log driver's files (formats.md 4.1, 4.2): one JSON object per line,
 * {"log":"...","stream":"stdout","attrs":{...},"time":"RFC 3339"}.
 *
 * The JSON reader here is small and specific rather than a general library: it decodes the
 * three strings Docker's reader uses straight into raw bytes (\uXXXX and surrogate pairs
 * included), skips everything else with a depth bound, and decides the edge cases the way Go's
 * encoding/json does for Docker (keys match case-insensitively, the last duplicate wins, an
 * unpaired surrogate becomes U+FFFD). Where Go would refuse a line outright, husk keeps what it
 * can: raw bytes that are not valid UTF-8 or raw control characters inside a string are kept as
 * they are, because they are evidence.
 */
#include "husk/logs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 32   /* nesting skipped inside attrs and unknown members */
#define MAX_STREAM 256 /* a stream name longer than this is damage, not Docker's */

typedef struct jp {
    const char *s;
    size_t n, i;
    husk_strbuf *out; /* decoded strings land here */
    const char *why;  /* reason of a failure */
} jp;

static void ws(jp *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' || p->s[p->i] == '\n'))
        p->i++;
}

static int fail(jp *p, const char *why)
{
    if (!p->why)
        p->why = why;
    return -1;
}

static int hex4(jp *p, uint32_t *v)
{
    if (p->n - p->i < 4)
        return fail(p, "\\u escape cut short");
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i + (size_t)k];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (uint32_t)(c - 'A' + 10);
        else
            return fail(p, "bad \\u escape");
    }
    p->i += 4;
    *v = x;
    return 0;
}

static int put_utf8(husk_strbuf *sb, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return husk_sb_add(sb, b, n);
}

/* Decodes the string at p->i (its opening quote) into out, or just skips it when out is
 * NULL. Returns 0, -1 on bad input (p->why) or -2 when memory ran out. */
static int string(jp *p, husk_strbuf *out)
{
    if (p->i >= p->n || p->s[p->i] != '"')
        return fail(p, "string expected");
    p->i++;
    for (;;) {
        size_t run = p->i;
        while (run < p->n && p->s[run] != '"' && p->s[run] != '\\')
            run++;
        if (out && run > p->i && husk_sb_add(out, p->s + p->i, run - p->i) < 0)
            return -2;
        p->i = run;
        if (p->i >= p->n)
            return fail(p, "unterminated string");
        if (p->s[p->i] == '"') {
            p->i++;
            return 0;
        }
        p->i++; /* backslash */
        if (p->i >= p->n)
            return fail(p, "unterminated string");
        char c = p->s[p->i++], lit = 0;
        switch (c) {
        case '"':
            lit = '"';
            break;
        case '\\':
            lit = '\\';
            break;
        case '/':
            lit = '/';
            break;
        case 'b':
            lit = '\b';
            break;
        case 'f':
            lit = '\f';
            break;
        case 'n':
            lit = '\n';
            break;
        case 'r':
            lit = '\r';
            break;
        case 't':
            lit = '\t';
            break;
        case 'u': {
            uint32_t cp;
            if (hex4(p, &cp) < 0)
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* a pair only when a low surrogate escape follows; Go turns a lone one into
                 * U+FFFD and leaves the next escape to be read on its own */
                uint32_t lo;
                if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                    size_t save = p->i;
                    p->i += 2;
                    if (hex4(p, &lo) < 0)
                        return -1;
                    if (lo >= 0xDC00 && lo <= 0xDFFF)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else {
                        cp = 0xFFFD;
                        p->i = save;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (out && put_utf8(out, cp) < 0)
                return -2;
            continue;
        }
        default:
            return fail(p, "unknown escape in string");
        }
        if (out && husk_sb_add(out, &lit, 1) < 0)
            return -2;
    }
}

static int value(jp *p, int depth);

static int container(jp *p, int depth, char open)
{
    char close = open == '{' ? '}' : ']';
    if (depth >= MAX_DEPTH)
        return fail(p, "nested too deeply");
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        int r;
        if (open == '{') {
            if ((r = string(p, NULL)) < 0)
                return r;
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return fail(p, "':' expected");
            p->i++;
            ws(p);
        }
        if ((r = value(p, depth + 1)) < 0)
            return r;
        ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            ws(p);
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        return fail(p, "',' or end of object expected");
    }
}

/* Skips any JSON value; numbers and literals are checked only for their characters. */
static int value(jp *p, int depth)
{
    if (p->i >= p->n)
        return fail(p, "value expected");
    char c = p->s[p->i];
    if (c == '"')
        return string(p, NULL);
    if (c == '{' || c == '[')
        return container(p, depth, c);
    size_t st = p->i;
    while (p->i < p->n &&
           (strchr("+-.0123456789eE", p->s[p->i]) || (p->s[p->i] >= 'a' && p->s[p->i] <= 'z')))
        p->i++;
    if (p->i == st)
        return fail(p, "value expected");
    return 0;
}

typedef struct field {
    int seen;
    size_t off, len; /* in p->out */
} field;

/* Decodes a string member into the scratch buffer, NUL-terminated, remembering where. */
static int take_string(jp *p, field *f)
{
    if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) {
        p->i += 4; /* Go leaves the field as it was */
        return 0;
    }
    if (p->i >= p->n || p->s[p->i] != '"')
        return fail(p, "member of the wrong type");
    size_t off = p->out->len;
    int r = string(p, p->out);
    if (r < 0)
        return r;
    f->seen = 1;
    f->off = off;
    f->len = p->out->len - off;
    return husk_sb_add(p->out, "", 1) < 0 ? -2 : 0;
}

int husk_jsonfile_decode_line(const char *s, size_t n, husk_strbuf *scratch, husk_log_entry *e,
                              husk_err *err)
{
    jp p = {s, n, 0, scratch, NULL};
    field log = {0}, stream = {0}, tim = {0};
    int r = 0;
    husk_sb_reset(scratch);
    ws(&p);
    if (p.i >= n || s[p.i] != '{')
        return husk_err_set(err, HUSK_E_FORMAT, "not a JSON object");
    p.i++;
    ws(&p);
    if (p.i < n && s[p.i] == '}')
        p.i++;
    else
        for (;;) {
            size_t koff = scratch->len;
            if ((r = string(&p, scratch)) < 0)
                break;
            char key[8] = "";
            size_t klen = scratch->len - koff;
            /* klen 0: an empty key, and scratch may not have a buffer yet */
            if (klen > 0 && klen < sizeof key && !memchr(scratch->buf + koff, '\0', klen)) {
                memcpy(key, scratch->buf + koff, klen);
                key[klen] = '\0';
            }
            scratch->len = koff; /* keys are not kept */
            ws(&p);
            if (p.i >= n || s[p.i] != ':') {
                r = fail(&p, "':' expected");
                break;
            }
            p.i++;
            ws(&p);
            if (strcasecmp(key, "log") == 0)
                r = take_string(&p, &log);
            else if (strcasecmp(key, "stream") == 0)
                r = take_string(&p, &stream);
            else if (strcasecmp(key, "time") == 0)
                r = take_string(&p, &tim);
            else
                r = value(&p, 1);
            if (r < 0)
                break;
            ws(&p);
            if (p.i < n && s[p.i] == ',') {
                p.i++;
                ws(&p);
                continue;
            }
            if (p.i < n && s[p.i] == '}') {
                p.i++;
                break;
            }
            r = fail(&p, "',' or '}' expected");
            break;
        }
    if (r == -2)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r < 0)
        return husk_err_set(err, HUSK_E_FORMAT, "%s at byte %zu", p.why, p.i);
    if (stream.len > MAX_STREAM)
        return husk_err_set(err, HUSK_E_FORMAT, "stream name of %zu bytes", stream.len);
    memset(e, 0, sizeof *e);
    e->stream = stream.seen ? scratch->buf + stream.off : "";
    e->line = log.seen ? scratch->buf + log.off : "";
    e->len = log.len;
    e->chunk_id = "";
    /* Docker appends "\n" to every line but the non-final chunks of a long one */
    if (e->len > 0 && e->line[e->len - 1] == '\n')
        e->len--;
    else
        e->more = 1;
    ws(&p);
    if (p.i != n) {
        husk_err_set(err, HUSK_E_FORMAT, "stray bytes after the entry at byte %zu", p.i);
        r = 1;
    }
    if (tim.seen && husk_log_time_parse(scratch->buf + tim.off, tim.len, &e->time) < 0) {
        husk_err_set(err, HUSK_E_FORMAT, "time value is not RFC 3339");
        r = 1;
    }
    return r;
}

struct husk_jsonfile {
    const husk_prov *prov;
    husk_log_entry_cb cb;
    void *ctx;
    husk_diag *diag;
    char *object;
    husk_strbuf line, scratch;
    uint64_t pos;      /* bytes of this file seen so far */
    uint64_t line_off; /* where the line being collected starts */
    int skipping;      /* an over-long line: drop bytes up to the next newline */
    unsigned damaged;  /* lines of this file that could not be used */
};

int husk_jsonfile_new(const husk_prov *prov, husk_log_entry_cb cb, void *ctx, husk_diag *diag,
                      husk_jsonfile **out, husk_err *err)
{
    husk_jsonfile *d = calloc(1, sizeof *d);
    if (!d)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    d->prov = prov;
    d->cb = cb;
    d->ctx = ctx;
    d->diag = diag;
    *out = d;
    return 0;
}

void husk_jsonfile_set_object(husk_jsonfile *d, const char *object)
{
    free(d->object);
    d->object = object ? strdup(object) : NULL;
}

static const char *obj(const husk_jsonfile *d)
{
    return d->object ? d->object : "json-file log";
}

static void damaged(husk_jsonfile *d, uint64_t off, const char *fmt, const char *why)
{
    if (++d->damaged <= HUSK_LOG_MAX_REPORTS)
        husk_diag_report(d->diag, "logs", obj(d), (int64_t)off, fmt, why);
}

/* One complete line (without its newline). */
static int do_line(husk_jsonfile *d, const char *s, size_t n, int at_eof, husk_err *err)
{
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
        k++;
    if (k == n)
        return 0; /* Docker's decoder skips whitespace between entries too */
    husk_log_entry e;
    husk_err why = {0};
    int r = husk_jsonfile_decode_line(s, n, &d->scratch, &e, &why);
    if (r == -HUSK_E_NOMEM)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r > 0)
        damaged(d, d->line_off, "json-file entry kept, but: %s", why.msg);
    if (r < 0) {
        damaged(d, d->line_off,
                at_eof ? "json-file entry cut short at the end of the file: %s"
                       : "damaged json-file line skipped: %s",
                why.msg);
        return 0;
    }
    e.offset = d->line_off;
    e.prov = d->prov;
    return d->cb(&e, d->ctx, err);
}

int husk_jsonfile_feed(husk_jsonfile *d, const void *buf, size_t len, husk_err *err)
{
    const char *s = buf;
    while (len > 0) {
        const char *nl = memchr(s, '\n', len);
        size_t seg = nl ? (size_t)(nl - s) : len;
        if (!d->skipping) {
            if (d->line.len + seg > HUSK_LOG_MAX_LINE) {
                husk_diag_report(d->diag, "logs", obj(d), (int64_t)d->line_off,
                                 "json-file line longer than %u bytes skipped", HUSK_LOG_MAX_LINE);
                husk_sb_release(&d->line);
                d->skipping = 1;
            } else if (nl && d->line.len == 0) {
                int r = do_line(d, s, seg, 0, err); /* whole line in the buffer: no copy */
                if (r < 0)
                    return r;
            } else if (husk_sb_add(&d->line, s, seg) < 0) {
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            } else if (nl) {
                int r = do_line(d, d->line.buf, d->line.len, 0, err);
                husk_sb_reset(&d->line);
                if (r < 0)
                    return r;
            }
        }
        d->pos += seg + (nl ? 1 : 0);
        if (nl) {
            d->skipping = 0;
            d->line_off = d->pos;
        }
        s += seg + (nl ? 1 : 0);
        len -= seg + (nl ? 1 : 0);
    }
    return 0;
}

int husk_jsonfile_end(husk_jsonfile *d, husk_err *err)
{
    int r = 0;
    if (!d->skipping && d->line.len > 0)
        r = do_line(d, d->line.buf, d->line.len, 1, err);
    if (d->damaged > HUSK_LOG_MAX_REPORTS)
        husk_diag_report(d->diag, "logs", obj(d), -1, "%u damaged json-file lines in all",
                         d->damaged);
    husk_sb_release(&d->line);
    d->pos = d->line_off = 0;
    d->skipping = 0;
    d->damaged = 0;
    return r;
}

void husk_jsonfile_free(husk_jsonfile *d)
{
    if (!d)
        return;
    husk_sb_release(&d->line);
    husk_sb_release(&d->scratch);
    free(d->object);
    free(d);
}
