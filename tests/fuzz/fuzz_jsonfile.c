/*
 * json-file log lines (src/logs/jsonfile.c) and the line joiner (src/logs/logs.c).
 * Input: the bytes of one json-file log; the first byte picks how it is cut into feeds, so
 * that lines crossing feed boundaries are exercised too.
 */
#include <string.h>

#include "fuzz.h"
#include "husk/logs.h"

static int on_msg(const husk_log_msg *m, void *ctx, husk_err *err)
{
    size_t *sum = ctx;
    char t[40];
    husk_log_time_format(&m->time, t, sizeof t);
    *sum += m->len + strlen(m->stream) + strlen(t) + (m->len ? (uint8_t)m->data[m->len - 1] : 0);
    return 0;
}

typedef struct ctx {
    husk_logjoin *j;
    husk_strbuf sb;
} ctx;

static int on_entry(const husk_log_entry *e, void *p, husk_err *err)
{
    ctx *c = p;
    /* the one-line decoder must agree with itself on the entry's own bytes */
    return husk_logjoin_add(c->j, e, "/fuzz/log", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] * 7 + 1;
    data++;
    size--;
    size_t sum = 0, dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    ctx c = {NULL, HUSK_STRBUF_INIT};
    husk_jsonfile *d = NULL;
    if (husk_logjoin_new(1, on_msg, &sum, &diag, &c.j, &err) < 0)
        return 0;
    if (husk_jsonfile_new(&HUSK_PROV_LIVE, on_entry, &c, &diag, &d, &err) < 0) {
        husk_logjoin_free(c.j);
        return 0;
    }
    husk_jsonfile_set_object(d, "/fuzz/log");
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (husk_jsonfile_feed(d, data + off, n, &err) < 0)
            break;
    }
    husk_jsonfile_end(d, &err);
    husk_logjoin_flush(c.j, &err);
    husk_jsonfile_free(d);
    husk_logjoin_free(c.j);

    /* the whole input as one line */
    husk_log_entry e;
    memset(&e, 0, sizeof e);
    if (husk_jsonfile_decode_line((const char *)data, size, &c.sb, &e, &err) >= 0)
        sum += e.len + strlen(e.stream);
    husk_timespec t;
    if (husk_log_time_parse((const char *)data, size < 64 ? size : 64, &t) == 0) {
        char buf[40];
        husk_log_time_format(&t, buf, sizeof buf);
        sum += strlen(buf);
    }
    husk_sb_release(&c.sb);
    return sum == 1;
}
