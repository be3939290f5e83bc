/*
 * local-driver log files: uint32be-framed protobuf LogEntry records (src/logs/local.c) and
 * the joiner's handling of partial-log metadata (src/logs/logs.c).
 * Input: the first byte picks the feed size; the rest is the file.
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

static int on_entry(const husk_log_entry *e, void *p, husk_err *err)
{
    return husk_logjoin_add(p, e, "/fuzz/local", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] * 13 + 1;
    data++;
    size--;
    size_t sum = 0, dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    husk_logjoin *j = NULL;
    husk_localfile *d = NULL;
    if (husk_logjoin_new(1, on_msg, &sum, &diag, &j, &err) < 0)
        return 0;
    if (husk_localfile_new(&HUSK_PROV_LIVE, on_entry, j, &diag, &d, &err) < 0) {
        husk_logjoin_free(j);
        return 0;
    }
    husk_localfile_set_object(d, "/fuzz/local");
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (husk_localfile_feed(d, data + off, n, &err) < 0)
            break;
    }
    husk_localfile_end(d, &err);
    husk_logjoin_flush(j, &err);
    husk_localfile_free(d);
    husk_logjoin_free(j);

    /* the whole input as one record */
    husk_strbuf sb = HUSK_STRBUF_INIT;
    husk_log_entry e;
    memset(&e, 0, sizeof e);
    if (husk_local_decode_record(data, size, &sb, &e, &err) == 0)
        sum += e.len + strlen(e.stream) + strlen(e.chunk_id);
    husk_sb_release(&sb);
    return sum == 1;
}
