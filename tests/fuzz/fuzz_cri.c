/*
 * CRI log lines (src/logs/cri_logs.c) through the line joiner, and the small decoders of the
 * containerd and kubelet readers: Go's time.MarshalBinary, protobuf varints and Any
 * (src/runtime/containerd.c), and JWTs (src/runtime/kubelet.c).
 * Input: a CRI log file's bytes (one entry per line). The same bytes are also offered to the
 * other decoders whole and in slices.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "husk/containerd.h"
#include "husk/kubelet.h"
#include "husk/logs.h"

static int on_msg(const husk_log_msg *m, void *ctx, husk_err *err)
{
    size_t *sum = ctx;
    char t[40];
    husk_log_time_format(&m->time, t, sizeof t);
    *sum += m->len + strlen(m->stream) + strlen(t) + (m->len ? (uint8_t)m->data[m->len - 1] : 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sum = 0, dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    husk_logjoin *j = NULL;
    if (husk_logjoin_new(1, on_msg, &sum, &diag, &j, &err) < 0)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        husk_log_entry e;
        if (husk_crilog_decode_line(p, n, &e, &err) == 0) {
            sum += e.len + (e.len ? (uint8_t)e.line[0] : 0);
            if (husk_logjoin_add(j, &e, "/fuzz/0.log", &err) < 0)
                break;
        }
        p = nl ? nl + 1 : end;
    }
    husk_logjoin_flush(j, &err);
    husk_logjoin_free(j);

    /* containerd's encodings, on the whole input and on a 15/16-byte window */
    char t[40];
    if (size >= 16 && husk_go_time(data, 15, t) == 0)
        sum += strlen(t);
    if (size >= 16 && husk_go_time(data, 16, t) == 0)
        sum += strlen(t);
    const uint8_t *tu, *v;
    size_t tl, vl;
    if (husk_pb_any(data, size, &tu, &tl, &v, &vl) == 0)
        sum += tl + vl + (vl ? v[vl - 1] : 0) + (tl ? tu[0] : 0);
    size_t pos = 0;
    uint64_t u;
    while (husk_pb_uvarint(data, size, &pos, &u) == 0)
        sum += (size_t)(u & 1);
    /* a JWT */
    json_t *h = NULL, *c = NULL;
    if (husk_jwt_decode((const char *)data, size, &h, &c) == 0) {
        sum += json_object_size(h) + json_object_size(c);
        json_decref(h);
        json_decref(c);
    }
    return sum == 1 && dsink == 1;
}
