/* Unit tests of the container log readers (src/logs): json-file lines and their escapes,
 * partial messages, damage and bounds; local-driver records built by hand; gzip members and a
 * gzip bomb; the whole per-container reader over an in-memory file system. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <zlib.h>

#include "husk/casedb.h"
#include "husk/docker.h"
#include "husk/logs.h"

/* ---- collecting what the readers emit ---- */

typedef struct got_msg {
    int64_t seq;
    char stream[32];
    char time[40];
    char *data;
    size_t len;
    int partial;
    char file[64];
} got_msg;

typedef struct sink {
    got_msg m[64];
    int n;
    husk_logjoin *join;
    unsigned reports;
} sink;

static void on_report(void *ctx, const char *phase, const char *object, int64_t off,
                      const char *msg)
{
    (void)phase, (void)object, (void)off, (void)msg;
    ((sink *)ctx)->reports++;
}

static int on_msg(const husk_log_msg *m, void *ctx, husk_err *err)
{
    (void)err;
    sink *s = ctx;
    assert_true(s->n < 64);
    got_msg *g = &s->m[s->n++];
    g->seq = m->seq;
    snprintf(g->stream, sizeof g->stream, "%s", m->stream);
    husk_log_time_format(&m->time, g->time, sizeof g->time);
    g->data = malloc(m->len + 1);
    memcpy(g->data, m->data, m->len);
    g->data[m->len] = '\0';
    g->len = m->len;
    g->partial = m->partial;
    snprintf(g->file, sizeof g->file, "%s", m->file ? m->file : "");
    return 0;
}

static int on_entry(const husk_log_entry *e, void *ctx, husk_err *err)
{
    return husk_logjoin_add(((sink *)ctx)->join, e, "f", err);
}

static void sink_free(sink *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->m[i].data);
    husk_logjoin_free(s->join);
}

/* Runs the json-file decoder over pieces of bytes (a piece of length 0 ends a file). */
static void run_json(sink *s, husk_diag *d, const char *const *pieces, const size_t *lens, int n)
{
    husk_err err = {0};
    husk_jsonfile *jf;
    assert_int_equal(husk_logjoin_new(1, on_msg, s, d, &s->join, &err), 0);
    assert_int_equal(husk_jsonfile_new(&HUSK_PROV_LIVE, on_entry, s, d, &jf, &err), 0);
    for (int i = 0; i < n; i++) {
        if (lens[i] == 0)
            assert_int_equal(husk_jsonfile_end(jf, &err), 0);
        else
            assert_int_equal(husk_jsonfile_feed(jf, pieces[i], lens[i], &err), 0);
    }
    assert_int_equal(husk_jsonfile_end(jf, &err), 0);
    assert_int_equal(husk_logjoin_flush(s->join, &err), 0);
    husk_jsonfile_free(jf);
}

static void run_json_str(sink *s, husk_diag *d, const char *text)
{
    const char *p[] = {text};
    size_t l[] = {strlen(text)};
    run_json(s, d, p, l, 1);
}

/* ---- json-file ---- */

static void test_json_escapes(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    run_json_str(&s, &d,
                 "{\"log\":\"q\\\" b\\\\ s\\/ \\b\\f\\r\\t \\u00e9 \\ud83d\\ude00 \\u001b[31m "
                 "\\u003c\\u2028 lone \\ud800x \\udc00 nul\\u0000!\\n\",\"stream\":\"stderr\","
                 "\"attrs\":{\"tag\":\"x\",\"n\":[1,2,{\"a\":null}]},"
                 "\"time\":\"2026-11-30T02:05:08.1234Z\"}\n");
    assert_int_equal(s.n, 1);
    static const char want[] = "q\" b\\ s/ \b\f\r\t \xc3\xa9 \xf0\x9f\x98\x80 \x1b[31m "
                               "<\xe2\x80\xa8 lone \xef\xbf\xbdx \xef\xbf\xbd nul\0!";
    assert_int_equal(s.m[0].len, sizeof want - 1);
    assert_memory_equal(s.m[0].data, want, sizeof want - 1);
    assert_string_equal(s.m[0].stream, "stderr");
    assert_string_equal(s.m[0].time, "2026-11-30T02:05:08.123400000Z");
    assert_int_equal(s.m[0].partial, 0);
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

static void test_json_keys_like_go(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    /* keys match case-insensitively, the last duplicate wins, whitespace is allowed */
    run_json_str(&s, &d,
                 " { \"LOG\" : \"old\\n\" , \"Log\":\"new\\n\",\"Stream\":\"stdout\","
                 "\"time\":\"2026-11-30T04:05:08.5+02:00\"} \n\n");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.m[0].data, "new");
    assert_string_equal(s.m[0].time, "2026-11-30T02:05:08.500000000Z");
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

/* Found by fuzz_jsonfile: an empty key as the first key of a file's first line did pointer
 * arithmetic on the decoder's still unallocated scratch buffer (NULL + 0, UBSan). The empty key
 * is an unknown key like any other. */
static void test_json_empty_key(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    run_json_str(&s, &d,
                 "{\"\":\"x\",\"log\":\"a\\n\",\"stream\":\"stdout\","
                 "\"time\":\"2026-11-30T02:05:08Z\"}\n");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.m[0].data, "a");
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

static void test_json_partials_joined(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    /* two chunks of one stdout line with an stderr line between them, cut across files and
     * read pieces at odd places */
    static const char f1[] =
        "{\"log\":\"AAA\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:00:00.000000001Z\"}\n"
        "{\"log\":\"err\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-30T02:00:00.000000002Z\"}\n";
    static const char f2[] =
        "{\"log\":\"BBB\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:00:00.000000001Z\"}\n"
        "{\"log\":\"tail without newline\",\"stream\":\"stdout\",\"time\":"
        "\"2026-11-30T02:00:01Z\"}\n";
    const char *p[] = {f1, f1 + 10, "", f2, f2 + 77};
    size_t l[] = {10, sizeof f1 - 11, 0, 77, sizeof f2 - 78};
    run_json(&s, &d, p, l, 5);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.m[0].data, "err"); /* complete first, numbered second */
    assert_int_equal(s.m[0].seq, 2);
    assert_string_equal(s.m[1].data, "AAABBB");
    assert_int_equal(s.m[1].seq, 1);
    assert_string_equal(s.m[1].time, "2026-11-30T02:00:00.000000001Z");
    assert_int_equal(s.m[1].partial, 0);
    assert_string_equal(s.m[2].data, "tail without newline");
    assert_int_equal(s.m[2].partial, 1); /* the file ended before its last chunk */
    assert_int_equal(s.m[2].seq, 3);
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

static void test_json_damage_skipped(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    static const char t[] =
        "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:00:00Z\"}\n"
        "{\"log\":\"cut\\n\",\"str\n"
        "\x00\x00\x00\x00\n"
        "{\"log\":\"bad escape \\q\\n\"}\n"
        "{\"log\":\"two\\n\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n"
        "{\"log\":\"three\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-30T02:00:01Z\"}"
        " junk\n"
        "{\"log\":\"torn";
    const char *p[] = {t};
    size_t l[] = {sizeof t - 1};
    run_json(&s, &d, p, l, 1);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.m[0].data, "one");
    assert_string_equal(s.m[1].data, "two");
    assert_string_equal(s.m[1].time, ""); /* kept, without a time */
    assert_string_equal(s.m[2].data, "three");
    /* cut, zeros, bad escape, bad time, junk after an entry, torn last line */
    assert_int_equal(s.reports, 6);
    sink_free(&s);
}

static void test_json_overlong_line_bounded(void **state)
{
    (void)state;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    husk_err err = {0};
    husk_jsonfile *jf;
    assert_int_equal(husk_logjoin_new(1, on_msg, &s, &d, &s.join, &err), 0);
    assert_int_equal(husk_jsonfile_new(&HUSK_PROV_LIVE, on_entry, &s, &d, &jf, &err), 0);
    size_t piece = 1u << 20;
    char *x = malloc(piece);
    memset(x, 'x', piece);
    for (unsigned i = 0; i < (HUSK_LOG_MAX_LINE >> 20) + 3; i++)
        assert_int_equal(husk_jsonfile_feed(jf, x, piece, &err), 0);
    free(x);
    static const char ok[] = "\n{\"log\":\"after\\n\",\"stream\":\"stdout\"}\n";
    assert_int_equal(husk_jsonfile_feed(jf, ok, sizeof ok - 1, &err), 0);
    assert_int_equal(husk_jsonfile_end(jf, &err), 0);
    assert_int_equal(husk_logjoin_flush(s.join, &err), 0);
    husk_jsonfile_free(jf);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.m[0].data, "after");
    assert_int_equal(s.reports, 1);
    sink_free(&s);
}

/* ---- local driver ---- */

static void pb_varint(husk_strbuf *b, uint64_t v)
{
    do {
        unsigned char c = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v)
            c |= 0x80;
        husk_sb_add(b, &c, 1);
    } while (v);
}

static void pb_bytes(husk_strbuf *b, unsigned field, const void *p, size_t n)
{
    pb_varint(b, field << 3 | 2);
    pb_varint(b, n);
    husk_sb_add(b, p, n);
}

/* One framed LogEntry; ordinal 0 = no partial metadata. */
static void frame(husk_strbuf *out, const char *src, int64_t tn, const char *line, int ordinal,
                  int last)
{
    husk_strbuf m = HUSK_STRBUF_INIT;
    pb_bytes(&m, 1, src, strlen(src));
    pb_varint(&m, 2 << 3 | 0);
    pb_varint(&m, (uint64_t)tn);
    pb_bytes(&m, 3, line, strlen(line));
    if (ordinal) {
        husk_strbuf meta = HUSK_STRBUF_INIT;
        pb_varint(&m, 4 << 3 | 0);
        pb_varint(&m, 1);
        pb_varint(&meta, 1 << 3 | 0);
        pb_varint(&meta, (uint64_t)last);
        pb_bytes(&meta, 2, "abc123", 6);
        pb_varint(&meta, 3 << 3 | 0);
        pb_varint(&meta, (uint64_t)ordinal);
        pb_bytes(&m, 5, meta.buf, meta.len);
        husk_sb_release(&meta);
    }
    pb_bytes(&m, 6, "\x0a\x01k\x12\x01v", 6); /* attrs: skipped */
    pb_varint(&m, 99 << 3 | 5);               /* a field from the future: skipped */
    husk_sb_add(&m, "\1\2\3\4", 4);
    unsigned char len[4] = {(unsigned char)(m.len >> 24), (unsigned char)(m.len >> 16),
                            (unsigned char)(m.len >> 8), (unsigned char)m.len};
    husk_sb_add(out, len, 4);
    husk_sb_add(out, m.buf, m.len);
    husk_sb_add(out, len, 4);
    husk_sb_release(&m);
}

static void run_local(sink *s, husk_diag *d, const husk_strbuf *bytes, size_t slice)
{
    husk_err err = {0};
    husk_localfile *lf;
    assert_int_equal(husk_logjoin_new(1, on_msg, s, d, &s->join, &err), 0);
    assert_int_equal(husk_localfile_new(&HUSK_PROV_LIVE, on_entry, s, d, &lf, &err), 0);
    for (size_t off = 0; off < bytes->len; off += slice) {
        size_t k = bytes->len - off < slice ? bytes->len - off : slice;
        assert_int_equal(husk_localfile_feed(lf, bytes->buf + off, k, &err), 0);
    }
    assert_int_equal(husk_localfile_end(lf, &err), 0);
    assert_int_equal(husk_logjoin_flush(s->join, &err), 0);
    husk_localfile_free(lf);
}

static void test_local_records_and_partials(void **state)
{
    (void)state;
    husk_strbuf b = HUSK_STRBUF_INIT;
    frame(&b, "stdout", 1796004308123456789LL, "hello", 0, 0);
    frame(&b, "stdout", 1796004309000000000LL, "long-", 1, 0);
    frame(&b, "stderr", 1796004309500000000LL, "oops", 0, 0);
    frame(&b, "stdout", 1796004309000000000LL, "line", 2, 1);
    frame(&b, "stdout", -1, "", 0, 0);
    for (size_t slice = 1; slice <= 4096; slice *= 8) {
        sink s = {0};
        husk_diag d = {on_report, &s, 0};
        run_local(&s, &d, &b, slice);
        assert_int_equal(s.n, 4);
        assert_string_equal(s.m[0].data, "hello");
        assert_string_equal(s.m[0].time, "2026-11-30T02:05:08.123456789Z");
        assert_string_equal(s.m[1].data, "oops");
        assert_string_equal(s.m[1].stream, "stderr");
        assert_string_equal(s.m[2].data, "long-line");
        assert_int_equal(s.m[2].seq, 2);
        assert_int_equal(s.m[2].partial, 0);
        assert_int_equal(s.m[3].len, 0);
        assert_string_equal(s.m[3].time, "1969-12-31T23:59:59.999999999Z");
        assert_int_equal(s.reports, 0);
        sink_free(&s);
    }
    husk_sb_release(&b);
}

/* Found by fuzz_local: ending an empty file did pointer arithmetic on the never allocated
 * window (NULL + 0, UBSan). An empty file has no entries and nothing to report. */
static void test_local_empty_file(void **state)
{
    (void)state;
    husk_strbuf b = HUSK_STRBUF_INIT;
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    run_local(&s, &d, &b, 1);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.reports, 0);
    sink_free(&s);
}

static void test_local_damage(void **state)
{
    (void)state;
    husk_strbuf b = HUSK_STRBUF_INIT;
    frame(&b, "stdout", 1, "first", 0, 0);
    husk_sb_add(&b, "\0\0\0\0\0\x7f\xff\xff\xff junk", 14); /* zeros, a huge length, junk */
    frame(&b, "stdout", 2, "second", 0, 0);
    unsigned char hdr[4] = {0x00, 0x10, 0x00, 0x00}; /* a length over Docker's 1 MB limit */
    husk_sb_add(&b, hdr, 4);
    frame(&b, "stdout", 3, "third", 0, 0);
    frame(&b, "stdout", 4, "cut short", 0, 0);
    b.len -= 6; /* the last record is cut by the end of the file */
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    run_local(&s, &d, &b, 100);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.m[0].data, "first");
    assert_string_equal(s.m[1].data, "second");
    assert_string_equal(s.m[2].data, "third");
    assert_int_equal(s.reports, 3); /* junk, the oversized header, the cut record */
    sink_free(&s);
    husk_sb_release(&b);
}

static void test_local_decode_rejects(void **state)
{
    (void)state;
    husk_strbuf sc = HUSK_STRBUF_INIT;
    husk_log_entry e;
    husk_err err = {0};
    /* line length past the end; wrong wire type for source; a group; an 11-byte varint */
    static const uint8_t past[] = {0x1a, 0x05, 'a', 'b'};
    static const uint8_t wt[] = {0x08, 0x01};
    static const uint8_t grp[] = {0x3b, 0x00};
    static const uint8_t vint[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(husk_local_decode_record(past, sizeof past, &sc, &e, &err), -HUSK_E_FORMAT);
    assert_int_equal(husk_local_decode_record(wt, sizeof wt, &sc, &e, &err), -HUSK_E_FORMAT);
    assert_int_equal(husk_local_decode_record(grp, sizeof grp, &sc, &e, &err), -HUSK_E_FORMAT);
    assert_int_equal(husk_local_decode_record(vint, sizeof vint, &sc, &e, &err), -HUSK_E_FORMAT);
    husk_sb_release(&sc);
}

/* ---- gzip ---- */

/* gzip of data with Docker's FEXTRA JSON when extra is non-NULL. */
static size_t gzip_member(const void *data, size_t len, const char *extra, unsigned char *out,
                          size_t cap)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    gz_header h = {0};
    if (extra) {
        h.extra = (Bytef *)extra;
        h.extra_len = (uInt)strlen(extra);
        assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static int gz_collect(const void *buf, size_t len, void *ctx, husk_err *err)
{
    (void)err;
    return husk_sb_add(ctx, buf, len) < 0 ? -HUSK_E_NOMEM : 0;
}

static void test_gzip_members_and_last_time(void **state)
{
    (void)state;
    static unsigned char gz[4096];
    static const char a[] = "first member\n", b[] = "second member\n";
    size_t n = gzip_member(a, sizeof a - 1, "{\"lastTime\":\"2026-11-30T02:05:09.174089936Z\"}", gz,
                           sizeof gz);
    n += gzip_member(b, sizeof b - 1, NULL, gz + n, sizeof gz - n);
    for (size_t slice = 1; slice <= n; slice = slice * 3 + 1) {
        husk_gunzip *g;
        husk_err err = {0};
        husk_strbuf out = HUSK_STRBUF_INIT;
        assert_int_equal(husk_gunzip_new(1 << 20, &g, &err), 0);
        for (size_t off = 0; off < n; off += slice) {
            size_t k = n - off < slice ? n - off : slice;
            assert_int_equal(husk_gunzip_feed(g, gz + off, k, gz_collect, &out, &err), 0);
        }
        assert_int_equal(husk_gunzip_end(g, &err), 0);
        assert_string_equal(husk_sb_str(&out), "first member\nsecond member\n");
        husk_timespec t;
        char ts[40];
        assert_int_equal(husk_gunzip_last_time(g, &t), 0);
        husk_log_time_format(&t, ts, sizeof ts);
        assert_string_equal(ts, "2026-11-30T02:05:09.174089936Z");
        husk_gunzip_free(g);
        husk_sb_release(&out);
    }
}

static void test_gzip_damage(void **state)
{
    (void)state;
    static unsigned char gz[4096];
    static const char a[] = "some log bytes that compress\n";
    size_t n = gzip_member(a, sizeof a - 1, NULL, gz, sizeof gz);
    husk_err err = {0};
    husk_gunzip *g;
    husk_strbuf out = HUSK_STRBUF_INIT;
    /* cut short */
    assert_int_equal(husk_gunzip_new(1 << 20, &g, &err), 0);
    assert_int_equal(husk_gunzip_feed(g, gz, n - 5, gz_collect, &out, &err), 0);
    assert_int_equal(husk_gunzip_end(g, &err), -HUSK_E_FORMAT);
    husk_gunzip_free(g);
    /* junk after the member */
    memcpy(gz + n, "\0\0junk", 6);
    assert_int_equal(husk_gunzip_new(1 << 20, &g, &err), 0);
    husk_sb_reset(&out);
    assert_int_equal(husk_gunzip_feed(g, gz, n + 6, gz_collect, &out, &err), -HUSK_E_FORMAT);
    assert_string_equal(husk_sb_str(&out), a);
    husk_gunzip_free(g);
    /* not gzip at all */
    assert_int_equal(husk_gunzip_new(1 << 20, &g, &err), 0);
    assert_int_equal(husk_gunzip_feed(g, "plain text\n", 11, gz_collect, &out, &err),
                     -HUSK_E_FORMAT);
    husk_gunzip_free(g);
    husk_sb_release(&out);
}

static int gz_count(const void *buf, size_t len, void *ctx, husk_err *err)
{
    (void)buf, (void)err;
    *(uint64_t *)ctx += len;
    return 0;
}

static void test_gzip_bomb_bounded(void **state)
{
    (void)state;
    size_t raw = 64u << 20; /* 64 MiB of zeros: about 64 KiB compressed */
    unsigned char *zeros = calloc(1, raw), *gz = malloc(1 << 20);
    size_t n = gzip_member(zeros, raw, NULL, gz, 1 << 20);
    free(zeros);
    assert_true(n < (1u << 20));
    husk_gunzip *g;
    husk_err err = {0};
    uint64_t seen = 0;
    assert_int_equal(husk_gunzip_new(4u << 20, &g, &err), 0);
    assert_int_equal(husk_gunzip_feed(g, gz, n, gz_count, &seen, &err), -HUSK_E_LIMIT);
    assert_int_equal(seen, 4u << 20);
    assert_int_equal(husk_gunzip_total_out(g), 4u << 20);
    /* once stopped it stays stopped */
    assert_int_equal(husk_gunzip_feed(g, gz, n, gz_count, &seen, &err), 0);
    assert_int_equal(seen, 4u << 20);
    husk_gunzip_free(g);
    free(gz);
}

/* ---- times ---- */

static void test_times(void **state)
{
    (void)state;
    husk_timespec t;
    char b[40];
    static const char *const ok[][2] = {
        {"2026-11-30T02:05:08Z", "2026-11-30T02:05:08.000000000Z"},
        {"2026-11-30T02:05:08.1Z", "2026-11-30T02:05:08.100000000Z"},
        {"2026-11-30T02:05:08.1234567891Z", "2026-11-30T02:05:08.123456789Z"},
        {"2026-11-30T00:30:00-01:45", "2026-11-30T02:15:00.000000000Z"},
        {"2024-02-29T23:59:59.999999999+00:00", "2024-02-29T23:59:59.999999999Z"},
        {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000000Z"},
        {"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000000Z"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(husk_log_time_parse(ok[i][0], strlen(ok[i][0]), &t), 0);
        husk_log_time_format(&t, b, sizeof b);
        assert_string_equal(b, ok[i][1]);
    }
    static const char *const bad[] = {"2026-11-30 02:05:08Z",
                                      "2026-02-29T00:00:00Z",
                                      "2026-11-30T24:00:00Z",
                                      "2026-11-30T02:05:08",
                                      "2026-11-30T02:05:08.Z",
                                      "2026-11-30T02:05:08Zjunk",
                                      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(husk_log_time_parse(bad[i], strlen(bad[i]), &t), -1);
    t = husk_log_time_from_ns(1796004308123456789LL);
    husk_log_time_format(&t, b, sizeof b);
    assert_string_equal(b, "2026-11-30T02:05:08.123456789Z");
}

/* ---- husk_docker_logs over an in-memory file system ---- */

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct mnode {
    uint64_t ino, parent;
    const char *name;
    husk_ftype type;
    unsigned char *data;
    size_t size;
} mnode;

static mnode nodes[16];
static size_t nnodes;

static void add_node(uint64_t ino, uint64_t parent, const char *name, husk_ftype type,
                     const void *data, size_t size)
{
    mnode *m = &nodes[nnodes++];
    m->ino = ino;
    m->parent = parent;
    m->name = name;
    m->type = type;
    m->data = size ? malloc(size) : NULL;
    if (size)
        memcpy(m->data, data, size);
    m->size = size;
}

static const mnode *find(uint64_t ino)
{
    for (size_t i = 0; i < nnodes; i++)
        if (nodes[i].ino == ino)
            return &nodes[i];
    return NULL;
}

static int m_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    (void)fs;
    const mnode *n = find(ino);
    if (!n)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no inode");
    memset(st, 0, sizeof *st);
    st->inode = ino;
    st->type = n->type;
    st->size = n->size;
    return 0;
}

static int m_list(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    (void)fs, (void)err;
    for (size_t i = 0; i < nnodes; i++)
        if (nodes[i].parent == ino) {
            husk_dirent d = {nodes[i].name, strlen(nodes[i].name), nodes[i].ino, nodes[i].type};
            int r = cb(&d, ctx);
            if (r)
                return r < 0 ? r : 0;
        }
    return 0;
}

static ssize_t m_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len, husk_err *err)
{
    (void)fs, (void)err;
    const mnode *n = find(ino);
    if (!n || off >= n->size)
        return 0;
    if (len > n->size - off)
        len = n->size - off;
    if (len > 7)
        len = 7; /* short reads, as a fragmented file gives */
    memcpy(buf, n->data + off, len);
    return (ssize_t)len;
}

static ssize_t m_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t n, husk_err *err)
{
    (void)fs, (void)ino, (void)buf, (void)n;
    return husk_err_set(err, HUSK_E_ARG, "no links here");
}

static int m_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    (void)fs, (void)ino, (void)cb, (void)ctx, (void)err;
    return 0;
}

static void m_close(husk_fs *fs)
{
    (void)fs;
}

static const husk_fs_ops mops = {m_stat, m_list, m_read, m_readlink, m_xattrs, m_close};

static char *json_line(const char *log, const char *stream, const char *time)
{
    static char b[256];
    snprintf(b, sizeof b, "{\"log\":\"%s\",\"stream\":\"%s\",\"time\":\"%s\"}\n", log, stream,
             time);
    return b;
}

static void test_docker_logs_rotation(void **state)
{
    (void)state;
    husk_strbuf f2 = HUSK_STRBUF_INIT, f1 = HUSK_STRBUF_INIT, f0 = HUSK_STRBUF_INIT;
    husk_strbuf loc = HUSK_STRBUF_INIT;
    husk_sb_adds(&f2, json_line("oldest\\n", "stdout", "2026-11-30T02:00:01Z"));
    husk_sb_adds(&f2, json_line("long ", "stdout", "2026-11-30T02:00:02Z"));
    husk_sb_adds(&f1, json_line("line\\n", "stdout", "2026-11-30T02:00:02Z"));
    husk_sb_adds(&f1, json_line("warn\\n", "stderr", "2026-11-30T02:00:03Z"));
    husk_sb_adds(&f0, json_line("current\\n", "stdout", "2026-11-30T02:00:04Z"));
    frame(&loc, "stdout", 1796004308000000000LL, "from local", 0, 0);
    unsigned char gz[1024];
    size_t gzn =
        gzip_member(f2.buf, f2.len, "{\"lastTime\":\"2026-11-30T02:00:02Z\"}", gz, sizeof gz);
    nnodes = 0;
    add_node(2, 0, "/", HUSK_FT_DIR, NULL, 0);
    add_node(3, 2, "containers", HUSK_FT_DIR, NULL, 0);
    add_node(4, 3, CID, HUSK_FT_DIR, NULL, 0);
    add_node(5, 4, CID "-json.log", HUSK_FT_FILE, f0.buf, f0.len);
    add_node(6, 4, CID "-json.log.1", HUSK_FT_FILE, f1.buf, f1.len);
    add_node(7, 4, CID "-json.log.1.gz", HUSK_FT_FILE, "stale", 5); /* twin: not read */
    add_node(8, 4, CID "-json.log.2.gz", HUSK_FT_FILE, gz, gzn);
    add_node(9, 4, "local-logs", HUSK_FT_DIR, NULL, 0);
    add_node(10, 9, "container.log", HUSK_FT_FILE, loc.buf, loc.len);
    add_node(11, 4, CID "-json.log.01", HUSK_FT_FILE, "x", 1); /* not Docker's name */
    add_node(12, 4, "config.v2.json", HUSK_FT_FILE, "{}", 2);
    husk_fs fs = {.ops = &mops, .root_inode = 2};
    husk_docker_root r = {.fs = &fs, .path = "/", .db_id = 7};
    husk_container c = {.id = CID, .log_driver = "json-file", .prov = {"live", 1.0}};

    char dir[] = "/tmp/husk-logs-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/case.db", dir);
    husk_casedb *db;
    husk_err err = {0};
    sink s = {0};
    husk_diag d = {on_report, &s, 0};
    assert_int_equal(husk_casedb_create(path, 0, &db, &err), 0);
    assert_int_equal(husk_casedb_begin(db, &err), 0);
    assert_int_equal(husk_docker_logs(&r, &c, db, &d, &err), 0);
    assert_int_equal(husk_casedb_commit(db, &err), 0);
    assert_int_equal(s.reports, 1); /* the .1/.1.gz twins */

    sqlite3_stmt *st;
    sqlite3 *q = husk_casedb_sqlite(db);
    assert_int_equal(sqlite3_prepare_v2(q,
                                        "SELECT seq, source, file, time, stream, message, "
                                        "partial, recovered_from FROM logs ORDER BY seq",
                                        -1, &st, NULL),
                     SQLITE_OK);
    static const char *const want[][6] = {
        {"json-file", "/containers/" CID "/" CID "-json.log.2.gz", "2026-11-30T02:00:01.000000000Z",
         "stdout", "oldest"},
        {"json-file", "/containers/" CID "/" CID "-json.log.2.gz", "2026-11-30T02:00:02.000000000Z",
         "stdout", "long line"},
        {"json-file", "/containers/" CID "/" CID "-json.log.1", "2026-11-30T02:00:03.000000000Z",
         "stderr", "warn"},
        {"json-file", "/containers/" CID "/" CID "-json.log", "2026-11-30T02:00:04.000000000Z",
         "stdout", "current"},
        {"local", "/containers/" CID "/local-logs/container.log", "2026-11-30T02:05:08.000000000Z",
         "stdout", "from local"},
    };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), i + 1);
        for (int k = 0; k < 5; k++)
            assert_string_equal((const char *)sqlite3_column_text(st, k + 1), want[i][k]);
        assert_int_equal(sqlite3_column_int(st, 6), 0);
        assert_string_equal((const char *)sqlite3_column_text(st, 7), "live");
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    char *eng = husk_casedb_get_info(db, "docker_engine.7");
    assert_string_equal(eng, "before 23.0"); /* no engine-id file in this root */
    free(eng);
    husk_casedb_close(db);
    unlink(path);
    rmdir(dir);
    for (size_t i = 0; i < nnodes; i++)
        free(nodes[i].data);
    husk_sb_release(&f0);
    husk_sb_release(&f1);
    husk_sb_release(&f2);
    husk_sb_release(&loc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_keys_like_go),
        cmocka_unit_test(test_json_empty_key),
        cmocka_unit_test(test_json_partials_joined),
        cmocka_unit_test(test_json_damage_skipped),
        cmocka_unit_test(test_json_overlong_line_bounded),
        cmocka_unit_test(test_local_records_and_partials),
        cmocka_unit_test(test_local_empty_file),
        cmocka_unit_test(test_local_damage),
        cmocka_unit_test(test_local_decode_rejects),
        cmocka_unit_test(test_gzip_members_and_last_time),
        cmocka_unit_test(test_gzip_damage),
        cmocka_unit_test(test_gzip_bomb_bounded),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_docker_logs_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
