/*
 * Unit tests of carving (src/recover/carve.c, free_space.c) on hand-made buffers: configs and
 * hostconfigs at block starts in any key order, json-file lines in the middle of blocks, reads
 * that cut artefacts in two (every window size from 1 byte up must give the same result), a
 * gzip member of a rotated log, local-driver frames, near misses that must not be reported,
 * deduplication, bounds, unreadable stretches, hostile bytes; and the free-space decoders
 * (bitmap runs, XFS AGF and free-space tree blocks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "../../src/recover/carve_int.h"

#define BS 1024

/* ---- a source in memory, and what the carver reports ----------------------------------- */

typedef struct mem_src {
    const uint8_t *d;
    size_t n;
    uint64_t bad_from, bad_to; /* reads touching [bad_from, bad_to) fail */
} mem_src;

static int mem_read(void *vs, uint64_t off, void *buf, size_t len, husk_err *err)
{
    mem_src *s = vs;
    if (off + len > s->n)
        return husk_err_set(err, HUSK_E_IO, "past the end");
    if (off < s->bad_to && off + len > s->bad_from)
        return husk_err_set(err, HUSK_E_IO, "bad sector");
    memcpy(buf, s->d + off, len);
    return 0;
}

typedef struct got {
    husk_carve_kind kind;
    uint64_t offset, gzip_offset;
    int in_gzip;
    char where[16];
    char *data;
    size_t len;
} got;

typedef struct sink {
    got g[256];
    int n;
    int stop_after; /* >0: return 1 after this many */
    unsigned reports;
} sink;

static int on_carved(const husk_carved *c, void *ctx)
{
    sink *s = ctx;
    if (s->n < 256) {
        got *g = &s->g[s->n];
        g->kind = c->kind;
        g->offset = c->offset;
        g->gzip_offset = c->gzip_offset;
        g->in_gzip = c->in_gzip;
        snprintf(g->where, sizeof g->where, "%s", c->where);
        g->data = malloc(c->len + 1);
        memcpy(g->data, c->data, c->len);
        g->data[c->len] = '\0';
        g->len = c->len;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after ? 1 : 0;
}

static void on_report(void *ctx, const char *phase, const char *object, int64_t off,
                      const char *msg)
{
    (void)phase, (void)object, (void)off, (void)msg;
    ((sink *)ctx)->reports++;
}

static void sink_free(sink *s)
{
    for (int i = 0; i < s->n && i < 256; i++)
        free(s->g[i].data);
    memset(s, 0, sizeof *s);
}

static void small_limits(carve_limits *l, size_t window)
{
    carve_limits_default(l);
    l->window = window;
    l->max_config = 8192;
    l->max_line = 2048;
    l->max_record = 2048;
}

/* Carves buf as one stretch with the given limits; returns carve_region's code. */
static int carve_buf(const uint8_t *buf, size_t n, const carve_limits *lim, sink *s,
                     husk_carve_stats *st)
{
    husk_diag diag = {on_report, s, 0};
    carve *c;
    husk_err err = {0};
    assert_int_equal(carve_new(lim, on_carved, s, &diag, &c, &err), 0);
    mem_src src = {buf, n, 0, 0};
    int r = carve_region(c, mem_read, &src, 0, n, BS, "unallocated", &err);
    carve_finish(c);
    if (st)
        *st = *carve_get_stats(c);
    carve_free(c);
    return r;
}

static const got *find(const sink *s, husk_carve_kind k, uint64_t off)
{
    for (int i = 0; i < s->n && i < 256; i++)
        if (s->g[i].kind == k && s->g[i].offset == off)
            return &s->g[i];
    return NULL;
}

static int count_kind(const sink *s, husk_carve_kind k)
{
    int n = 0;
    for (int i = 0; i < s->n && i < 256; i++)
        n += s->g[i].kind == k;
    return n;
}

/* ---- artefacts --------------------------------------------------------------------------- */

#define ID1 "2a94b86348a6723295c0bad1aedf07950012a981544cce9c395196925458885b"
#define ID2 "9bce9a735cc47b3e0b70c65ffdbaeddebea70899817f7cf12179d1b76a44fd51"

/* Docker's own field order. */
static const char config_docker[] =
    "{\"StreamConfig\":{},\"State\":{\"Running\":false,\"Pid\":0,\"ExitCode\":0,\"StartedAt\":"
    "\"2026-11-30T02:12:52.549646964Z\"},\"ID\":\"" ID1 "\",\"Created\":\"2026-11-30T02:12:52Z\","
    "\"Path\":\"/bin/sh\",\"Args\":[\"-c\",\"echo \\\"{\\\\\\\"log\\\\\\\":\\\" }\"],\"Config\":"
    "{\"Hostname\":\"2a94b8634\",\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"Image\":\"husk/"
    "base:1.0\"},"
    "\"Image\":\"sha256:00\",\"Name\":\"/gone2\",\"Driver\":\"overlay2\"}\n";

/* Another order, as another Docker version or a tool might write it. */
static const char config_reordered[] =
    "{\"Name\":\"/gone3\",\"Config\":{\"Image\":\"husk/base:1.0\"},\"ID\":\"" ID2 "\","
    "\"State\":{\"Running\":true},\"StreamConfig\":{}}\n";

static const char hostconfig[] =
    "{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":"
    "{\"max-file\":\"3\",\"max-size\":\"10m\"}},\"NetworkMode\":\"none\",\"PortBindings\":{},"
    "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":false}\n";

static const char line1[] = "{\"log\":\"gone2: miner starting\\n\",\"stream\":\"stdout\","
                            "\"time\":\"2026-11-30T02:12:52.549414105Z\"}";
static const char line2[] = "{\"log\":\"gone2: hashrate 0.0 H/s \\u003cpool\\u003e\\n\","
                            "\"stream\":\"stderr\",\"time\":\"2026-11-30T02:12:52.597241673Z\"}";
static const char line3[] = "{\"log\":\"tag\\n\",\"stream\":\"stdout\",\"attrs\":{\"tag\":\"x\"},"
                            "\"time\":\"2026-11-30T02:12:53Z\"}";

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* A local-driver frame: be32 len, LogEntry{source, time_nano, line}, be32 len. */
static size_t local_frame(uint8_t *out, const char *source, int64_t ns, const char *line)
{
    uint8_t msg[600];
    size_t m = 0, sl = strlen(source), ll = strlen(line);
    msg[m++] = 0x0a;
    msg[m++] = (uint8_t)sl;
    memcpy(msg + m, source, sl);
    m += sl;
    msg[m++] = 0x10;
    m += varint(msg + m, (uint64_t)ns);
    msg[m++] = 0x1a;
    m += varint(msg + m, ll);
    memcpy(msg + m, line, ll);
    m += ll;
    put_be32(out, (uint32_t)m);
    memcpy(out + 4, msg, m);
    put_be32(out + 4 + m, (uint32_t)m);
    return m + 8;
}

#define NS_2026 1796004772549414105LL /* 2026-11-30T02:12:52.549414105Z */

/* gzip (one member, with Docker's FEXTRA) of data into out; returns the member's size. */
static size_t gzip_member(const void *data, size_t n, uint8_t *out, size_t outn)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static char extra[] = "{\"lastTime\":\"2026-11-30T02:12:53Z\"}";
    gz_header h;
    memset(&h, 0, sizeof h);
    h.extra = (Bytef *)extra;
    h.extra_len = (uInt)strlen(extra);
    h.os = 255;
    assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)outn;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

/* A 64 KiB stretch holding one of everything, at known places. */
typedef struct layout {
    uint8_t buf[65536];
    uint64_t cfg1, cfg2, host, l1, l2, l3, gz, loc1, loc2;
    size_t loc1_len;
    uint64_t gz_l1; /* offset of line1 inside the member's bytes */
} layout;

static void make_layout(layout *L)
{
    memset(L->buf, 0, sizeof L->buf);
    /* old bytes of other files around the artefacts */
    for (size_t i = 0; i < sizeof L->buf; i++)
        if ((i / BS) % 7 == 3)
            L->buf[i] = (uint8_t)("some text, a {brace and a \"quote\n"[i % 34]);
    L->cfg1 = 2 * BS;
    memcpy(L->buf + L->cfg1, config_docker, strlen(config_docker));
    L->cfg2 = 5 * BS;
    memcpy(L->buf + L->cfg2, config_reordered, strlen(config_reordered));
    L->host = 8 * BS;
    memcpy(L->buf + L->host, hostconfig, strlen(hostconfig));
    /* log lines in the middle of a block, one crossing into the next */
    L->l1 = 11 * BS + 700;
    memcpy(L->buf + L->l1, line1, strlen(line1));
    L->buf[L->l1 + strlen(line1)] = '\n';
    L->l2 = L->l1 + strlen(line1) + 1;
    memcpy(L->buf + L->l2, line2, strlen(line2));
    L->buf[L->l2 + strlen(line2)] = '\n';
    L->l3 = 13 * BS + 77;
    memcpy(L->buf + L->l3, line3, strlen(line3));
    L->buf[L->l3 + strlen(line3)] = '\n';
    /* a rotated json-file log, gzipped: line1 again (a duplicate of the plain one) and a new
     * one, then a local frame, all inside the member */
    char plain[1024];
    uint8_t fr[300];
    size_t frl = local_frame(fr, "stderr", NS_2026 + 5, "from the gzip member");
    int pl = snprintf(plain, sizeof plain, "%s\n%s\n", line3, line1);
    L->gz_l1 = strlen(line3) + 1;
    memcpy(plain + pl, fr, frl);
    L->gz = 16 * BS;
    size_t gl = gzip_member(plain, (size_t)pl + frl, L->buf + L->gz, 3 * BS);
    memset(L->buf + L->gz + gl, 0x1f, 40); /* junk after the member: not read as gzip */
    /* local-driver frames, back to back at an odd offset */
    L->loc1 = 20 * BS + 333;
    L->loc1_len = local_frame(L->buf + L->loc1, "stdout", NS_2026, "tmpjob: cleanup task");
    L->loc2 = L->loc1 + L->loc1_len;
    local_frame(L->buf + L->loc2, "stderr", NS_2026 + 1000, "tmpjob: note: removing myself");
}

static void expect_layout(const layout *L, const sink *s)
{
    const got *g = find(s, HUSK_CARVE_CONFIG, L->cfg1);
    assert_non_null(g);
    assert_int_equal(g->len, strlen(config_docker)); /* with its newline */
    assert_memory_equal(g->data, config_docker, g->len);
    assert_string_equal(g->where, "unallocated");
    g = find(s, HUSK_CARVE_CONFIG, L->cfg2);
    assert_non_null(g);
    assert_memory_equal(g->data, config_reordered, g->len);
    g = find(s, HUSK_CARVE_HOSTCONFIG, L->host);
    assert_non_null(g);
    assert_int_equal(g->len, strlen(hostconfig));
    g = find(s, HUSK_CARVE_JSONLOG, L->l1);
    assert_non_null(g);
    assert_string_equal(g->data, line1); /* without its newline */
    assert_int_equal(g->in_gzip, 0);
    assert_non_null(find(s, HUSK_CARVE_JSONLOG, L->l2));
    assert_non_null(find(s, HUSK_CARVE_JSONLOG, L->l3));
    g = find(s, HUSK_CARVE_LOCALLOG, L->loc1);
    assert_non_null(g);
    assert_int_equal(g->len, L->loc1_len);
    assert_non_null(find(s, HUSK_CARVE_LOCALLOG, L->loc2));
    /* from the gzip member: the local frame is new; line1 and line3 were seen before */
    g = find(s, HUSK_CARVE_LOCALLOG, L->gz);
    assert_non_null(g);
    assert_int_equal(g->in_gzip, 1);
    assert_int_equal(g->gzip_offset, L->gz_l1 + strlen(line1) + 1);
    assert_int_equal(count_kind(s, HUSK_CARVE_CONFIG), 2);
    assert_int_equal(count_kind(s, HUSK_CARVE_HOSTCONFIG), 1);
    assert_int_equal(count_kind(s, HUSK_CARVE_JSONLOG), 3);
    assert_int_equal(count_kind(s, HUSK_CARVE_LOCALLOG), 3);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_everything_found_once(void **state)
{
    (void)state;
    static layout L;
    make_layout(&L);
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(L.buf, sizeof L.buf, NULL, &s, &st), 0);
    expect_layout(&L, &s);
    assert_int_equal(st.duplicates, 2); /* line1 and line3 again inside the member */
    assert_int_equal(st.gzip_members, 1);
    assert_int_equal(st.unallocated_bytes, sizeof L.buf);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.truncated, 0);
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

/* Whatever the size of the reads, the same artefacts come out: those cut by a read wait for
 * the next one. */
static void test_every_window_size(void **state)
{
    (void)state;
    static layout L;
    make_layout(&L);
    static const size_t windows[] = {1,   2,    3,    7,    8,    9,    100,  511,
                                     512, 1000, 1024, 4095, 4097, 9000, 65536};
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        carve_limits lim;
        small_limits(&lim, windows[i]);
        sink s = {0};
        assert_int_equal(carve_buf(L.buf, sizeof L.buf, &lim, &s, NULL), 0);
        expect_layout(&L, &s);
        sink_free(&s);
    }
}

/* An artefact that ends exactly at the end of the stretch, and one cut by it. */
static void test_stretch_end(void **state)
{
    (void)state;
    uint8_t buf[4 * BS];
    memset(buf, 0, sizeof buf);
    size_t off = sizeof buf - strlen(line1) - 1;
    memcpy(buf + off, line1, strlen(line1));
    buf[sizeof buf - 1] = '\n';
    sink s = {0};
    assert_int_equal(carve_buf(buf, sizeof buf, NULL, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_non_null(find(&s, HUSK_CARVE_JSONLOG, off));
    sink_free(&s);
    /* no newline before the end: the line may go on in a block that is not free */
    buf[sizeof buf - 1] = '}';
    assert_int_equal(carve_buf(buf, sizeof buf, NULL, &s, NULL), 0);
    assert_int_equal(s.n, 0);
    /* a local frame cut by the end; a config cut by the end (reported as a fragment) */
    memset(buf, 0, sizeof buf);
    size_t fl = local_frame(buf + 3 * BS, "stdout", NS_2026, "x");
    assert_int_equal(carve_buf(buf, 3 * BS + fl - 1, NULL, &s, NULL), 0);
    assert_int_equal(s.n, 0);
    memcpy(buf + 2 * BS, config_docker, 300);
    assert_int_equal(carve_buf(buf, 2 * BS + 300, NULL, &s, NULL), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.reports, 1);
    sink_free(&s);
}

static void put_at(uint8_t *buf, size_t off, const char *s)
{
    memcpy(buf + off, s, strlen(s));
}

/* Look-alikes that must not be reported. */
static void test_near_misses(void **state)
{
    (void)state;
    static uint8_t buf[32 * BS];
    memset(buf, 0, sizeof buf);
    /* a config not at a block start */
    put_at(buf, 1 * BS + 8, config_docker);
    /* an ID that is not 64 hex digits; no Config; a JSON array */
    put_at(buf, 3 * BS,
           "{\"StreamConfig\":{},\"State\":{},\"ID\":\"2A94B8\",\"Config\":{},\"Name\":\"/x\"}\n");
    put_at(buf, 4 * BS, "{\"StreamConfig\":{},\"State\":{},\"ID\":\"" ID1 "\",\"Name\":\"/x\"}\n");
    put_at(buf, 5 * BS, "[{\"ID\":\"" ID1 "\",\"State\":{},\"Config\":{}}]\n");
    /* a config whose end was overwritten by another file (reported as a fragment) */
    put_at(buf, 6 * BS, config_docker);
    memset(buf + 6 * BS + 300, 0xff, 20);
    /* hostconfig without RestartPolicy; with NetworkMode of the wrong type */
    put_at(buf, 7 * BS,
           "{\"Binds\":null,\"LogConfig\":{\"Type\":\"none\"},\"NetworkMode\":\"x\"}\n");
    put_at(buf, 8 * BS,
           "{\"LogConfig\":{},\"NetworkMode\":1,\"RestartPolicy\":{\"Name\":\"no\"}}\n");
    /* log lines: no time; a time that is not RFC 3339; stream stdin; stray bytes after the
     * object; escaped anchor; no newline within the stretch at all */
    put_at(buf, 10 * BS + 5, "{\"log\":\"a\\n\",\"stream\":\"stdout\"}\n");
    put_at(buf, 10 * BS + 100, "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n");
    put_at(buf, 10 * BS + 200,
           "{\"log\":\"a\\n\",\"stream\":\"stdin\",\"time\":\"2026-11-30T02:12:53Z\"}\n");
    put_at(buf, 10 * BS + 300,
           "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:12:53Z\"}xx\n");
    put_at(buf, 10 * BS + 400, "\"{\\\"log\\\":\\\"a\\\\n\\\",\\\"stream\\\":\\\"stdout\\\"}\"\n");
    put_at(buf, 10 * BS + 500, "{\"log\":\"cut \\\"");
    /* local frames: lengths that disagree; a time in 1970; a source that is not a stream; a
     * protobuf that does not decode */
    size_t n = local_frame(buf + 12 * BS, "stdout", NS_2026, "bad tail");
    buf[12 * BS + n - 1] ^= 1;
    local_frame(buf + 13 * BS, "stdout", 5, "nineteen seventy");
    local_frame(buf + 14 * BS, "stdoux", NS_2026, "not a stream");
    n = local_frame(buf + 15 * BS, "stdout", NS_2026, "bad protobuf");
    buf[15 * BS + 4 + 8] = 0x07; /* wire type 7 instead of time's varint */
    /* a gzip magic that is not a member; a member whose data is damaged */
    put_at(buf, 16 * BS, "\x1f\x8b\x08\x00garbage that does not inflate");
    char plain[400];
    int pl = snprintf(plain, sizeof plain, "%s\n", line1);
    size_t gl = gzip_member(plain, (size_t)pl, buf + 17 * BS, 2 * BS);
    buf[17 * BS + gl - 3] ^= 0x55; /* the CRC's neighbour: the trailer no longer checks */
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(buf, 16 * BS, NULL, &s, &st), 0);
    for (int i = 0; i < s.n; i++)
        print_message("unexpected %d at %llu: %s\n", s.g[i].kind, (unsigned long long)s.g[i].offset,
                      s.g[i].data);
    assert_int_equal(s.n, 0);
    assert_true(s.reports >= 1); /* the overwritten config */
    sink_free(&s);
    /* the damaged member still gave its line before the trailer failed: reported and
     * diagnosed */
    assert_int_equal(carve_buf(buf + 16 * BS, 16 * BS, NULL, &s, &st), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.g[0].in_gzip, 1);
    assert_int_equal(s.reports, 1);
    sink_free(&s);
}

static void test_dedup_and_stop(void **state)
{
    (void)state;
    static uint8_t buf[16 * BS];
    memset(buf, 0, sizeof buf);
    for (int i = 0; i < 6; i++) {
        put_at(buf, (size_t)i * BS + 10, line1);
        buf[(size_t)i * BS + 10 + strlen(line1)] = '\n';
        put_at(buf, (size_t)(8 + i) * BS, hostconfig);
    }
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(buf, sizeof buf, NULL, &s, &st), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(st.duplicates, 10);
    assert_non_null(find(&s, HUSK_CARVE_JSONLOG, 10)); /* the first one seen */
    sink_free(&s);
    /* the callback stops the session */
    s.stop_after = 1;
    assert_true(carve_buf(buf, sizeof buf, NULL, &s, &st) > 0);
    assert_int_equal(s.n, 1);
    sink_free(&s);
    /* so does the bound on the number of artefacts, with a report */
    carve_limits lim;
    carve_limits_default(&lim);
    lim.max_found = 1;
    assert_true(carve_buf(buf, sizeof buf, &lim, &s, &st) > 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(s.reports, 1);
    sink_free(&s);
}

static void test_bounds(void **state)
{
    (void)state;
    carve_limits lim;
    small_limits(&lim, 4096);
    static uint8_t buf[64 * BS];
    memset(buf, 0, sizeof buf);
    /* a line longer than max_line; a config larger than max_config */
    char *big = malloc(4000);
    memset(big, 'a', 4000);
    memcpy(big, "{\"log\":\"", 8);
    const char *tail = "\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:12:53Z\"}\n";
    memcpy(big + 4000 - strlen(tail), tail, strlen(tail));
    memcpy(buf + 100, big, 4000);
    free(big);
    static const char pre[] =
        "{\"StreamConfig\":{},\"State\":{},\"ID\":\"" ID1 "\",\"Config\":{\"Env\":[\"";
    put_at(buf, 8 * BS, pre);
    memset(buf + 8 * BS + strlen(pre), 'x', 9000);
    put_at(buf, 8 * BS + strlen(pre) + 9000, "\"]}}\n");
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(buf, sizeof buf, &lim, &s, &st), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.reports, 1); /* the config: larger than the bound */
    sink_free(&s);
    /* the same with the default bounds: both found */
    assert_int_equal(carve_buf(buf, sizeof buf, NULL, &s, &st), 0);
    assert_int_equal(s.n, 2);
    sink_free(&s);
    /* a gzip bomb stops at the bound on one member's output, reported */
    static uint8_t zeros[1 << 20];
    static uint8_t gz[8192];
    memset(zeros, 0, sizeof zeros);
    size_t gl = gzip_member(zeros, sizeof zeros, gz, sizeof gz);
    memset(buf, 0, sizeof buf);
    memcpy(buf, gz, gl);
    lim.max_gunzip = 65536;
    assert_int_equal(carve_buf(buf, sizeof buf, &lim, &s, &st), 0);
    assert_int_equal(st.gzip_bytes, 65536);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(s.reports, 1);
    sink_free(&s);
    /* the inflate budget: spent by the first member, the next ones are skipped (reported
     * once) */
    memcpy(buf + 4 * BS, gz, gl);
    memcpy(buf + 8 * BS, gz, gl);
    lim.max_gunzip = 1 << 20;
    lim.gzip_base = 1 << 20;
    lim.gzip_factor = 0;
    assert_int_equal(carve_buf(buf, sizeof buf, &lim, &s, &st), 0);
    assert_int_equal(st.gzip_members, 1);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(s.reports, 1);
    sink_free(&s);
}

/* Bytes made to cost the parsers as much as possible: every block starts an object whose
 * string runs on into the next block and never ends, and a stretch full of log anchors
 * without a newline. The budget keeps the work linear; nothing crashes. */
static void test_hostile(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    uint8_t *buf = malloc(n);
    memset(buf, 'x', n);
    for (size_t b = 0; b < n; b += BS)
        memcpy(buf + b, "{\"a\":\"", 6);
    carve_limits lim;
    carve_limits_default(&lim);
    lim.work_base = 1 << 20;
    lim.work_factor = 2;
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(buf, n, &lim, &s, &st), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(s.reports, 1); /* once, not once per block */
    sink_free(&s);
    static const char pat[] = "{\"log\":\"{\\\"log\\\":[{\"log\":\"";
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)pat[i % (sizeof pat - 1)];
    assert_int_equal(carve_buf(buf, n, NULL, &s, &st), 0);
    assert_int_equal(s.n, 0);
    sink_free(&s);
    /* pseudo-random bytes, with gzip and frame anchors sown in */
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t b = 0; b < n; b += 3 * BS)
        memcpy(buf + b, "\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\xff\xff", 12);
    for (size_t b = 500; b + 16 < n; b += 777)
        memcpy(buf + b, "\x00\x00\x00\x20\n\x06stdout\x10", 13);
    assert_int_equal(carve_buf(buf, n, NULL, &s, &st), 0);
    assert_int_equal(s.n, 0);
    sink_free(&s);
    free(buf);
}

/* A stretch with an unreadable part: reported, read as zeros, the rest still carved. */
static void test_read_errors(void **state)
{
    (void)state;
    static layout L;
    make_layout(&L);
    husk_diag diag = {on_report, NULL, 0};
    sink s = {0};
    diag.ctx = &s;
    carve *c;
    husk_err err = {0};
    carve_limits lim;
    small_limits(&lim, 4096);
    assert_int_equal(carve_new(&lim, on_carved, &s, &diag, &c, &err), 0);
    mem_src src = {L.buf, sizeof L.buf, L.cfg2 + 10, L.cfg2 + 20}; /* inside config 2 */
    assert_int_equal(carve_region(c, mem_read, &src, 0, sizeof L.buf, BS, "journal", &err), 0);
    assert_int_equal(carve_get_stats(c)->journal_bytes, sizeof L.buf);
    carve_free(c);
    assert_null(find(&s, HUSK_CARVE_CONFIG, L.cfg2));
    assert_non_null(find(&s, HUSK_CARVE_CONFIG, L.cfg1));
    assert_non_null(find(&s, HUSK_CARVE_LOCALLOG, L.loc2));
    assert_string_equal(find(&s, HUSK_CARVE_CONFIG, L.cfg1)->where, "journal");
    assert_true(s.reports >= 1);
    sink_free(&s);
    /* a stretch that does not start on a block is refused */
    assert_int_equal(carve_new(NULL, on_carved, &s, &diag, &c, &err), 0);
    assert_int_equal(carve_region(c, mem_read, &src, 10, 100, BS, "unallocated", &err),
                     -HUSK_E_ARG);
    carve_free(c);
}

/* ---- free-space decoders ------------------------------------------------------------------ */

typedef struct runs {
    uint64_t first[16], count[16];
    int n;
} runs;

static int add_run(uint64_t first, uint64_t count, void *ctx, husk_err *err)
{
    (void)err;
    runs *r = ctx;
    r->first[r->n] = first;
    r->count[r->n] = count;
    r->n++;
    return 0;
}

static void test_bitmap_runs(void **state)
{
    (void)state;
    /* blocks 0-9 used, 10-29 free, 30 used, 31-63 free, 64-71 used, 72-79 free (cut at 76) */
    uint8_t bm[10];
    memset(bm, 0, sizeof bm);
    for (int i = 0; i < 80; i++)
        if (i < 10 || i == 30 || (i >= 64 && i < 72))
            bm[i / 8] |= (uint8_t)(1u << (i % 8));
    runs r = {0};
    husk_err err = {0};
    assert_int_equal(carve_bitmap_free_runs(bm, 76, add_run, &r, &err), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.first[0], 10);
    assert_int_equal(r.count[0], 20);
    assert_int_equal(r.first[1], 31);
    assert_int_equal(r.count[1], 33);
    assert_int_equal(r.first[2], 72);
    assert_int_equal(r.count[2], 4);
    memset(bm, 0xff, sizeof bm);
    r.n = 0;
    assert_int_equal(carve_bitmap_free_runs(bm, 80, add_run, &r, &err), 0);
    assert_int_equal(r.n, 0);
}

static int merged_run(uint64_t off, uint64_t len, void *ctx, husk_err *err)
{
    return add_run(off, len, ctx, err);
}

static void test_merge(void **state)
{
    (void)state;
    runs r = {0};
    carve_merge m = {merged_run, &r, 0, 0};
    husk_err err = {0};
    assert_int_equal(carve_merge_add(&m, 4096, 4096, &err), 0);
    assert_int_equal(carve_merge_add(&m, 8192, 8192, &err), 0);  /* adjacent: merged */
    assert_int_equal(carve_merge_add(&m, 20480, 4096, &err), 0); /* a gap */
    assert_int_equal(carve_merge_flush(&m, &err), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.first[0], 4096);
    assert_int_equal(r.count[0], 12288);
    assert_int_equal(r.first[1], 20480);
}

static void test_xfs_decoders(void **state)
{
    (void)state;
    uint8_t agf[512];
    memset(agf, 0, sizeof agf);
    memcpy(agf, "XAGF", 4);
    put_be32(agf + 4, 1);
    put_be32(agf + 8, 2);     /* seqno */
    put_be32(agf + 12, 1000); /* length */
    put_be32(agf + 16, 5);    /* bno root */
    put_be32(agf + 28, 2);    /* bno levels */
    carve_xfs_agf a;
    husk_err err = {0};
    assert_int_equal(carve_xfs_agf_parse(agf, sizeof agf, &a, &err), 0);
    assert_int_equal(a.seqno, 2);
    assert_int_equal(a.length, 1000);
    assert_int_equal(a.bno_root, 5);
    assert_int_equal(a.bno_level, 2);
    put_be32(agf + 16, 1000); /* root outside the AG */
    assert_int_equal(carve_xfs_agf_parse(agf, sizeof agf, &a, &err), -HUSK_E_FORMAT);
    put_be32(agf + 16, 5);
    put_be32(agf + 28, 40); /* absurd depth */
    assert_int_equal(carve_xfs_agf_parse(agf, sizeof agf, &a, &err), -HUSK_E_FORMAT);
    agf[0] = 'Y';
    assert_int_equal(carve_xfs_agf_parse(agf, sizeof agf, &a, &err), -HUSK_E_FORMAT);

    /* a v5 leaf with two records, a v5 node, a v4 leaf */
    uint8_t blk[4096];
    memset(blk, 0, sizeof blk);
    memcpy(blk, "AB3B", 4);
    blk[7] = 2; /* numrecs */
    put_be32(blk + 12, 0xffffffffu);
    put_be32(blk + 56, 10);
    put_be32(blk + 60, 3);
    put_be32(blk + 64, 20);
    put_be32(blk + 68, 7);
    carve_xfs_bno b;
    assert_int_equal(carve_xfs_bno_parse(blk, sizeof blk, 1, &b, &err), 0);
    assert_int_equal(b.level, 0);
    assert_int_equal(b.numrecs, 2);
    assert_int_equal(b.rightsib, 0xffffffffu);
    assert_ptr_equal(b.recs, blk + 56);
    assert_int_equal(carve_xfs_bno_parse(blk, sizeof blk, 0, &b, &err), -HUSK_E_FORMAT);
    blk[5] = 1; /* level 1: pointers after room for (4096-56)/12 keys */
    assert_int_equal(carve_xfs_bno_parse(blk, sizeof blk, 1, &b, &err), 0);
    assert_ptr_equal(b.ptrs, blk + 56 + ((4096 - 56) / 12) * 8);
    blk[6] = 0x7f; /* more records than fit */
    assert_int_equal(carve_xfs_bno_parse(blk, sizeof blk, 1, &b, &err), -HUSK_E_FORMAT);
    memset(blk, 0, 16);
    memcpy(blk, "ABTB", 4);
    blk[7] = 1;
    assert_int_equal(carve_xfs_bno_parse(blk, sizeof blk, 0, &b, &err), 0);
    assert_ptr_equal(b.recs, blk + 16);
    assert_int_equal(carve_xfs_bno_parse(blk, 20, 0, &b, &err), -HUSK_E_FORMAT);
}


/* ---- the fast path for configs and the read-ahead ring ---------------------------------- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)rnd_state;
}

static const char *jstr(json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_true(a == b);
    else
        assert_string_equal(a, b);
}

/* Whenever carve_fast_config decides an object, jansson takes it and says the same: same
 * kind, same strings. Checked on real-looking configs and on many thousands of mutations of
 * them (bytes changed, inserted, removed; escapes, UTF-8, numbers, repeated keys). */
static void test_fast_config_agrees(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        config_docker,
        config_reordered,
        hostconfig,
        "{\"ID\":\"" ID1 "\",\"State\":{},\"Config\":{},\"Name\":\"/a\\u00e9\\u003c\\/\","
        "\"Name\":\"/b\",\"Pid\":-12,\"X\":[1,true,false,null,\"\\t\",{}],\"E\":\"\xc3\xa9\"}",
        "{\"LogConfig\":{\"Type\":\"local\"},\"LogConfig\":{\"Config\":{\"Type\":\"x\"}},"
        "\"NetworkMode\":\"host\",\"RestartPolicy\":{}}",
        "{\"LogConfig\":{\"Type\":1,\"Type\":\"syslog\"},\"NetworkMode\":\"\\u0062ridge\","
        "\"RestartPolicy\":{\"Name\":\"always\"},\"\\u0049D\":\"" ID2 "\"}",
        "{\"ID\":\"" ID1 "\",\"State\":{\"a\":[[[]]]},\"Config\":{},\"ID\":5}",
        "{\"n\":0,\"m\":-0,\"r\":1.5,\"e\":1e3,\"big\":123456789012345678901}",
        "{\"s\":\"\\ud83d\\ude00\",\"t\":\"\\udc00\",\"Name\":\"\\ud83d\\ude00\",\"u\":\"\\u0000\"}",
    };
    static const char alphabet[] = "{}[]\":,\\u0123456789abcdefEe.-+ tnlrsID\x01\x7f\xc3\xa9\xed\xa0\x80\xff";
    husk_strbuf sb = HUSK_STRBUF_INIT;
    unsigned decided = 0, total = 0;
    for (int round = 0; round < 40000; round++) {
        const char *seed = seeds[round % (sizeof seeds / sizeof seeds[0])];
        char buf[8192];
        size_t n = strlen(seed);
        if (n && seed[n - 1] == '\n')
            n--;
        memcpy(buf, seed, n);
        int edits = round < 16 ? 0 : 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits && n > 2; e++) {
            size_t at = 1 + rnd() % (n - 1);
            char ch = alphabet[rnd() % (sizeof alphabet - 1)];
            switch (rnd() % 3) {
            case 0:
                buf[at] = ch;
                break;
            case 1:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = ch;
                    n++;
                }
                break;
            default:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        if (buf[0] != '{')
            continue;
        total++;
        int kind;
        husk_carved_config cfg;
        if (!carve_fast_config((const uint8_t *)buf, n, &sb, &kind, &cfg))
            continue;
        decided++;
        json_error_t je;
        json_t *j = json_loadb(buf, n, 0, &je);
        if (!j)
            fail_msg("fast path took what jansson refuses (%s): %.*s", je.text, (int)n, buf);
        int jk = -1;
        const char *id = jstr(j, "ID");
        if (id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64 &&
            json_is_object(json_object_get(j, "State")) &&
            json_is_object(json_object_get(j, "Config")))
            jk = HUSK_CARVE_CONFIG;
        else if (json_is_object(json_object_get(j, "LogConfig")) &&
                 json_is_string(json_object_get(j, "NetworkMode")) &&
                 json_is_object(json_object_get(j, "RestartPolicy")))
            jk = HUSK_CARVE_HOSTCONFIG;
        assert_int_equal(kind, jk);
        same_str(cfg.id, id);
        same_str(cfg.name, jstr(j, "Name"));
        same_str(cfg.network_mode, jstr(j, "NetworkMode"));
        same_str(cfg.log_driver, jstr(json_object_get(j, "LogConfig"), "Type"));
        json_decref(j);
    }
    /* the seeds themselves are decided here, and a good share of the mutations */
    assert_true(decided > total / 20);
    husk_sb_release(&sb);
}


/* A config that the fast path leaves to jansson (a real number): carved, and its copy is a
 * duplicate known without parsing it again; a config the fast path takes, the same. */
static void test_config_paths(void **state)
{
    (void)state;
    static const char real_cfg[] =
        "{\"ID\":\"" ID1 "\",\"State\":{\"Cpus\":1.5},\"Config\":{},\"Name\":\"/real\"}\n";
    static uint8_t buf[16 * BS];
    memset(buf, 0, sizeof buf);
    memcpy(buf, real_cfg, strlen(real_cfg));
    memcpy(buf + 4 * BS, real_cfg, strlen(real_cfg));
    memcpy(buf + 8 * BS, config_reordered, strlen(config_reordered));
    memcpy(buf + 12 * BS, config_reordered, strlen(config_reordered));
    int kind;
    husk_carved_config cfg;
    husk_strbuf sb = HUSK_STRBUF_INIT;
    size_t rl = strlen(real_cfg) - 1, ol = strlen(config_reordered) - 1;
    assert_int_equal(carve_fast_config((const uint8_t *)real_cfg, rl, &sb, &kind, &cfg), 0);
    assert_int_equal(carve_fast_config((const uint8_t *)config_reordered, ol, &sb, &kind, &cfg), 1);
    assert_int_equal(kind, HUSK_CARVE_CONFIG);
    assert_string_equal(cfg.id, ID2);
    assert_string_equal(cfg.name, "/gone3");
    husk_sb_release(&sb);
    sink s = {0};
    husk_carve_stats st;
    assert_int_equal(carve_buf(buf, sizeof buf, NULL, &s, &st), 0);
    assert_int_equal(count_kind(&s, HUSK_CARVE_CONFIG), 2);
    assert_non_null(find(&s, HUSK_CARVE_CONFIG, 0));
    assert_non_null(find(&s, HUSK_CARVE_CONFIG, 8 * BS));
    assert_int_equal(st.duplicates, 2);
    sink_free(&s);
}

/* What a carving run reported, in order, as one digest (and a count). */
typedef struct seq {
    uint64_t h, n;
    uint64_t ahead; /* bytes the read-ahead thread read */
    int slow;       /* the callback dawdles, so that the thread runs ahead of the scan */
} seq;

static int on_seq(const husk_carved *c, void *ctx)
{
    seq *q = ctx;
    uint64_t v[4] = {(uint64_t)c->kind, c->offset, c->gzip_offset, c->len};
    const uint8_t *parts[2] = {(const uint8_t *)v, c->data};
    size_t lens[2] = {sizeof v, c->len};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < lens[k]; i++)
            q->h = (q->h ^ parts[k][i]) * 0x100000001b3ULL;
    q->n++;
    if (q->slow && q->n % 64 == 0)
        usleep(300);
    return 0;
}

static seq carve_seq_slow(const uint8_t *buf, size_t n, int no_readahead, uint64_t bad_from,
                          uint64_t bad_to, int slow)
{
    int no_ring = no_readahead == 2; /* 2: nor the ring (a buffer of its own) */
    seq q = {0xcbf29ce484222325ULL, 0, 0, slow};
    static sink reports;
    husk_diag diag = {on_report, &reports, 0};
    carve_limits lim;
    carve_limits_default(&lim);
    lim.no_readahead = no_readahead != 0;
    lim.no_ring = no_ring;
    carve *c;
    husk_err err = {0};
    assert_int_equal(carve_new(&lim, on_seq, &q, &diag, &c, &err), 0);
    mem_src src = {buf, n, bad_from, bad_to};
    assert_int_equal(carve_region(c, mem_read, &src, 0, n, BS, "unallocated", &err), 0);
    q.ahead = carve_ahead_bytes(c);
    carve_free(c);
    return q;
}

static seq carve_seq(const uint8_t *buf, size_t n, int no_readahead, uint64_t bad_from,
                     uint64_t bad_to)
{
    return carve_seq_slow(buf, n, no_readahead, bad_from, bad_to, 0);
}

/* n random bytes (malloc'd) with a json-file line across every MiB boundary (across the
 * read-ahead's 1 MiB reads and the ring's end), each line different so none is a duplicate. */
static uint8_t *random_with_lines(size_t n)
{
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)rnd();
    for (size_t mib = 1; mib < n >> 20; mib++) {
        size_t p = (mib << 20) - 3 - mib % 9;
        memcpy(buf + p, line1, strlen(line1));
        buf[p + strlen(line1)] = '\n';
        buf[p - 1] = '\n';
        buf[p + 20] = (uint8_t)('a' + mib % 26);
    }
    return buf;
}

/* A stretch longer than the ring, artefacts everywhere (across the read-ahead's reads, across
 * the end of the ring, lines packed back to back): the read-ahead thread and its marks give
 * exactly what the scan finds reading and searching itself, in the ring or in a buffer of its
 * own (no ring), also around an unreadable part. */
static void test_readahead_same(void **state)
{
    (void)state;
    size_t n = 41u << 20;
    uint8_t *buf = random_with_lines(n);
    uint8_t fr[300];
    for (size_t at = 1000; at + 70000 < n; at += 200000 + rnd() % 400000) {
        size_t frl = local_frame(fr, "stdout", NS_2026 + (int64_t)at, "from the ring");
        /* at a block start a config, then lines and frames straddling at + k MiB */
        size_t b = at / BS * BS;
        memcpy(buf + b, config_docker, strlen(config_docker));
        size_t p = b + 8192 + rnd() % 5000;
        for (int k = 0; k < 50; k++) {
            char line[200];
            int l = snprintf(line, sizeof line,
                             "{\"log\":\"ring %zu %d\\n\",\"stream\":\"stdout\",\"time\":"
                             "\"2026-11-30T02:12:53Z\"}\n",
                             p, k);
            memcpy(buf + p, line, (size_t)l);
            p += (size_t)l;
        }
        memcpy(buf + p, fr, frl);
    }
    seq a = carve_seq(buf, n, 0, 0, 0), b = carve_seq(buf, n, 1, 0, 0);
    seq l = carve_seq(buf, n, 2, 0, 0);
    /* the thread really read ahead (a machine with one core has no thread: said so) */
    if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
        assert_true(a.ahead > (16u << 20));
    else
        fprintf(stderr, "(one core: no read-ahead thread to compare)\n");
    assert_int_equal(b.ahead, 0);
    /* a slow consumer: the thread runs far ahead and must not overwrite what the scan
     * still needs */
    seq w = carve_seq_slow(buf, n, 0, 0, 0, 1);
    assert_int_equal(w.n, b.n);
    assert_true(w.h == b.h);
    assert_true(a.n > 5000);
    assert_int_equal(a.n, b.n);
    assert_true(a.h == b.h);
    assert_int_equal(a.n, l.n);
    assert_true(a.h == l.h);
    a = carve_seq(buf, n, 0, (9u << 20) + 5000, (9u << 20) + 9000);
    b = carve_seq(buf, n, 1, (9u << 20) + 5000, (9u << 20) + 9000);
    l = carve_seq(buf, n, 2, (9u << 20) + 5000, (9u << 20) + 9000);
    assert_int_equal(a.n, b.n);
    assert_true(a.h == b.h);
    assert_int_equal(a.n, l.n);
    assert_true(a.h == l.h);
    free(buf);
}

/* A long unreadable stretch (longer than the read-ahead ring) in the middle of a free run:
 * the read-ahead thread once marked anchors from before it to after it, past its ring, and
 * crashed. The same lines with and without the thread. */
static void test_long_bad(void **state)
{
    (void)state;
    size_t n = 64u << 20;
    uint8_t *buf = random_with_lines(n);
    uint64_t bf = (7u << 20) + 5000, bt = bf + (30u << 20);
    seq a = carve_seq(buf, n, 0, bf, bt);
    seq b = carve_seq(buf, n, 1, bf, bt);
    assert_int_equal(a.n, b.n);
    assert_true(a.h == b.h);
    free(buf);
}

/* The anchor marks of the SSE2 and AVX2 versions equal their definition (from the anchors'
 * own bytes), over random bytes and over bytes full of planted anchors and near misses. */
static void test_marks(void **state)
{
    (void)state;
    static const char *const plant[] = {"{\"log\":\"", "\n\006stdout", "{\"log\":'", "\n\006stx",
                                        "{{{{{{{\"", "\n\n\n\nd"};
    uint8_t b[64 + 8];
    int avx2 = 0;
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (uint8_t)rnd();
        for (int k = round % 7; k-- > 0;) {
            const char *a = plant[rnd() % 6];
            size_t at = rnd() % (sizeof b - strlen(a));
            memcpy(b + at, a, strlen(a));
        }
        uint64_t want, got;
        assert_int_equal(carve_mark64(b, 0, &want), 0);
        assert_int_equal(carve_mark64(b, 1, &got), 0);
        assert_true(got == want);
        if (carve_mark64(b, 2, &got) == 0) {
            avx2 = 1;
            assert_true(got == want);
        }
        if (round == 0) { /* the definition itself: one planted json-file and one local anchor */
            memset(b, 'x', sizeof b);
            memcpy(b + 3, "{\"log\":\"", 8);
            memcpy(b + 40, "\n\006std", 5);
            assert_int_equal(carve_mark64(b, 0, &want), 0);
            assert_true(want == ((uint64_t)1 << 3 | (uint64_t)1 << 40));
        }
    }
    if (!avx2)
        fprintf(stderr, "(no AVX2 on this machine: its marks were not compared)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_found_once),
        cmocka_unit_test(test_every_window_size),
        cmocka_unit_test(test_stretch_end),
        cmocka_unit_test(test_near_misses),
        cmocka_unit_test(test_dedup_and_stop),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_bitmap_runs),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_xfs_decoders),
        cmocka_unit_test(test_fast_config_agrees),
        cmocka_unit_test(test_config_paths),
        cmocka_unit_test(test_readahead_same),
        cmocka_unit_test(test_long_bad),
        cmocka_unit_test(test_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
