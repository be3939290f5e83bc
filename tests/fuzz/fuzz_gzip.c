/*
 * Rotated json-file logs: the streaming multi-member gzip reader (src/logs/gzip.c), in its
 * normal mode and in the carver's mode (first member only, damaged data handed on).
 * Input: the first byte picks the feed size and the mode; the rest is the .gz file.
 */
#include <string.h>

#include "fuzz.h"
#include "husk/logs.h"

static int sink(const void *buf, size_t len, void *ctx, husk_err *err)
{
    size_t *sum = ctx;
    *sum += len + (len ? ((const uint8_t *)buf)[len - 1] : 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)(data[0] >> 1) * 11 + 1;
    int carving = data[0] & 1;
    data++;
    size--;
    size_t sum = 0;
    husk_err err = {0};
    husk_gunzip *g = NULL;
    /* a small output bound: a bomb must stop at it */
    if (husk_gunzip_new(4u << 20, &g, &err) < 0)
        return 0;
    if (carving)
        husk_gunzip_carving(g);
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += step) {
        size_t n = size - off < step ? size - off : step;
        rc = husk_gunzip_feed(g, data + off, n, sink, &sum, &err);
    }
    if (rc == 0)
        husk_gunzip_end(g, &err);
    husk_timespec t;
    if (husk_gunzip_last_time(g, &t) == 0) {
        char buf[40];
        husk_log_time_format(&t, buf, sizeof buf);
        sum += strlen(buf);
    }
    sum += husk_gunzip_members(g) + (size_t)husk_gunzip_total_out(g);
    husk_gunzip_free(g);
    return sum == 1;
}
