/*
 * Unit tests for the bbolt reader (src/runtime/bolt.c) on bolt files built byte by byte here:
 * meta pages with real checksums, leaf, branch and overflow pages, inline and nested buckets,
 * the newer-meta choice, a damaged meta 0, hostile pages (positions past the end, cycles,
 * bogus overflow counts), the free-page scan, random damage, and the real metadata.db of the
 * node-a test image when the husk binary is at hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "husk/bolt.h"

#define PS 4096
#define NPAGES 13
#define MAGIC 0xED0CDAEDu

/* ---- building bolt files ----------------------------------------------------------------- */

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void put_meta(uint8_t *f, uint32_t ps, int idx, uint64_t root, uint64_t seq,
                     uint64_t freelist, uint64_t hwm, uint64_t txid)
{
    uint8_t *p = f + (size_t)idx * ps;
    memset(p, 0, 80);
    le64(p, (uint64_t)idx);
    le16(p + 8, 0x04);
    le32(p + 16, MAGIC);
    le32(p + 20, 2);
    le32(p + 24, ps);
    le64(p + 32, root);
    le64(p + 40, seq);
    le64(p + 48, freelist);
    le64(p + 56, hwm);
    le64(p + 64, txid);
    le64(p + 72, fnv1a64(p + 16, 56));
}

typedef struct kv {
    uint32_t flags; /* 1 = bucket */
    const char *key;
    const void *val;
    size_t vlen;
} kv;

#define KV(k, v)                                                                                   \
    {                                                                                              \
        0, k, v, sizeof(v) - 1                                                                     \
    }
#define BKT(k, buf, len)                                                                           \
    {                                                                                              \
        1, k, buf, len                                                                             \
    }

/* A leaf page at p with header id `id`; data follows the element array. Returns bytes used. */
static size_t put_leaf(uint8_t *p, uint64_t id, const kv *it, int n)
{
    le64(p, id);
    le16(p + 8, 0x02);
    le16(p + 10, (uint16_t)n);
    le32(p + 12, 0);
    size_t data = 16 + (size_t)n * 16;
    for (int i = 0; i < n; i++) {
        uint8_t *e = p + 16 + i * 16;
        size_t kl = strlen(it[i].key);
        le32(e, it[i].flags);
        le32(e + 4, (uint32_t)(data - (16 + (size_t)i * 16)));
        le32(e + 8, (uint32_t)kl);
        le32(e + 12, (uint32_t)it[i].vlen);
        memcpy(p + data, it[i].key, kl);
        data += kl;
        memcpy(p + data, it[i].val, it[i].vlen);
        data += it[i].vlen;
    }
    return data;
}

static size_t put_branch(uint8_t *p, uint64_t id, const char *const *keys, const uint64_t *child,
                         int n)
{
    le64(p, id);
    le16(p + 8, 0x01);
    le16(p + 10, (uint16_t)n);
    le32(p + 12, 0);
    size_t data = 16 + (size_t)n * 16;
    for (int i = 0; i < n; i++) {
        uint8_t *e = p + 16 + i * 16;
        size_t kl = strlen(keys[i]);
        le32(e, (uint32_t)(data - (16 + (size_t)i * 16)));
        le32(e + 4, (uint32_t)kl);
        le64(e + 8, child[i]);
        memcpy(p + data, keys[i], kl);
        data += kl;
    }
    return data;
}

/* A bucket value: {root, sequence}, then for an inline bucket (root 0) its leaf page. */
static size_t put_bucket(uint8_t *out, uint64_t root, uint64_t seq, const kv *it, int n)
{
    le64(out, root);
    le64(out + 8, seq);
    return root ? 16 : 16 + put_leaf(out + 16, 0, it, n);
}

static uint8_t *page(uint8_t *f, uint64_t id)
{
    return f + id * PS;
}

/*
 * The sample file (4 KiB pages, 13 pages):
 *   0, 1  meta (txid 4 and 5; both name root 3, freelist 2, high water 12)
 *   2     freelist: [9]
 *   3     root leaf: inl (inline bucket, seq 7: a=1, b=22), nest (root 5, seq 3),
 *         volumes (root 4)
 *   4     volumes leaf: data={"Name":"data"...}, logs={"Name":"logs"...}
 *   5     nest branch: "a" -> 6, "m" -> 8
 *   6-7   leaf with overflow 1: a1=v1, big=6000 x 'x'
 *   8     leaf: m1=v2, sub (inline bucket, seq 9: deep=yes), zz=end
 *   9     stale leaf listed in the freelist: data=old, gone (inline bucket: k=v)
 *   10    unreachable leaf not in the freelist: lost=x
 *   11    a leaf whose header says it is page 99
 *   12    past the high-water mark: ghost=boo
 */
static uint8_t big[6000];

static uint8_t *make_sample(void)
{
    uint8_t *f = calloc(NPAGES, PS);
    uint8_t inl[256], nest[16], vols[16], sub[256], gone[256];
    kv inl_items[] = {KV("a", "1"), KV("b", "22")};
    size_t inl_len = put_bucket(inl, 0, 7, inl_items, 2);
    put_bucket(nest, 5, 3, NULL, 0);
    put_bucket(vols, 4, 0, NULL, 0);
    kv root[] = {BKT("inl", inl, inl_len), BKT("nest", nest, 16), BKT("volumes", vols, 16)};
    put_leaf(page(f, 3), 3, root, 3);

    kv v[] = {KV("data", "{\"Name\":\"data\",\"Driver\":\"local\"}"),
              KV("logs", "{\"Name\":\"logs\",\"Driver\":\"local\"}")};
    put_leaf(page(f, 4), 4, v, 2);

    const char *bk[] = {"a", "m"};
    uint64_t bc[] = {6, 8};
    put_branch(page(f, 5), 5, bk, bc, 2);

    memset(big, 'x', sizeof big);
    kv ov[] = {KV("a1", "v1"), {0, "big", big, sizeof big}};
    put_leaf(page(f, 6), 6, ov, 2);
    le32(page(f, 6) + 12, 1);

    kv sub_items[] = {KV("deep", "yes")};
    size_t sub_len = put_bucket(sub, 0, 9, sub_items, 1);
    kv l8[] = {KV("m1", "v2"), BKT("sub", sub, sub_len), KV("zz", "end")};
    put_leaf(page(f, 8), 8, l8, 3);

    kv gone_items[] = {KV("k", "v")};
    size_t gone_len = put_bucket(gone, 0, 0, gone_items, 1);
    kv l9[] = {KV("data", "old"), BKT("gone", gone, gone_len)};
    put_leaf(page(f, 9), 9, l9, 2);
    kv l10[] = {KV("lost", "x")};
    put_leaf(page(f, 10), 10, l10, 1);
    kv l11[] = {KV("wrong", "id")};
    put_leaf(page(f, 11), 99, l11, 1);
    kv l12[] = {KV("ghost", "boo")};
    put_leaf(page(f, 12), 12, l12, 1);

    uint8_t *fl = page(f, 2);
    le64(fl, 2);
    le16(fl + 8, 0x10);
    le16(fl + 10, 1);
    le64(fl + 16, 9);

    put_meta(f, PS, 0, 3, 0, 2, 12, 4);
    put_meta(f, PS, 1, 3, 0, 2, 12, 5);
    return f;
}

static husk_bolt *open_ok(const uint8_t *f, size_t len)
{
    husk_bolt *db = NULL;
    husk_err err = {0};
    assert_int_equal(husk_bolt_open(f, len, &db, &err), 0);
    assert_non_null(db);
    return db;
}

static int eq(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Keys of a bucket joined with ',' (sub-buckets as name/seq) into out; returns errors met. */
static int list_keys(husk_bolt *db, const husk_bolt_bucket *b, char *out, size_t n)
{
    husk_bolt_cursor *c;
    husk_bolt_entry e;
    husk_err err = {0};
    int errors = 0, rc, steps = 0;
    out[0] = '\0';
    assert_int_equal(husk_bolt_cursor_new(db, b, &c, &err), 0);
    while ((rc = husk_bolt_cursor_next(c, &e, &err)) != 0) {
        assert_true(++steps < 100000);
        if (rc < 0) {
            errors++;
            continue;
        }
        size_t len = strlen(out);
        if (e.is_bucket)
            snprintf(out + len, n - len, "%s%.*s/%llu", len ? "," : "", (int)e.klen,
                     (const char *)e.key, (unsigned long long)e.bucket.sequence);
        else
            snprintf(out + len, n - len, "%s%.*s", len ? "," : "", (int)e.klen,
                     (const char *)e.key);
    }
    husk_bolt_cursor_free(c);
    return errors;
}

static const char *path_keys(husk_bolt *db, const char *const *names, size_t n)
{
    static char out[1024];
    husk_bolt_bucket b;
    husk_err err = {0};
    assert_int_equal(husk_bolt_bucket_path(db, names, n, &b, &err), 0);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 0);
    return out;
}

static int count_cb(const husk_bolt_entry *e, void *ctx)
{
    (void)e;
    ++*(unsigned long *)ctx;
    return 0;
}

/* ---- sound files ------------------------------------------------------------------------- */

static void test_open_info(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_info in;
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.page_size, PS);
    assert_true(in.meta_valid[0] && in.meta_valid[1]);
    assert_int_equal(in.meta_used, 1);
    assert_int_equal(in.txid, 5);
    assert_int_equal(in.root, 3);
    assert_int_equal(in.freelist, 2);
    assert_int_equal(in.high_water, 12);
    assert_int_equal(in.pages, NPAGES);
    husk_bolt_close(db);
    free(f);
}

static void test_get_and_paths(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_err err = {0};
    husk_bolt_bucket b;
    husk_bolt_entry e;
    const char *vol[] = {"volumes"};
    assert_int_equal(husk_bolt_bucket_path(db, vol, 1, &b, &err), 0);
    assert_int_equal(husk_bolt_get(db, &b, "data", 4, &e, &err), 0);
    assert_true(eq(e.val, e.vlen, "{\"Name\":\"data\",\"Driver\":\"local\"}"));
    assert_int_equal(e.is_bucket, 0);
    assert_int_equal(e.pgid, 4);
    assert_int_equal(husk_bolt_get(db, &b, "logs", 4, &e, &err), 0);
    assert_int_equal(husk_bolt_get(db, &b, "nope", 4, &e, &err), -HUSK_E_NOTFOUND);
    assert_int_equal(husk_bolt_get(db, &b, "dat", 3, &e, &err), -HUSK_E_NOTFOUND);

    /* through the branch page, and the overflowing value */
    const char *nest[] = {"nest"};
    assert_int_equal(husk_bolt_bucket_path(db, nest, 1, &b, &err), 0);
    assert_int_equal(b.sequence, 3);
    assert_int_equal(husk_bolt_get(db, &b, "big", 3, &e, &err), 0);
    assert_int_equal(e.vlen, sizeof big);
    assert_memory_equal(e.val, big, sizeof big);
    assert_int_equal(husk_bolt_get(db, &b, "zz", 2, &e, &err), 0);
    assert_true(eq(e.val, e.vlen, "end"));
    assert_int_equal(husk_bolt_get(db, &b, "a1", 2, &e, &err), 0);
    assert_int_equal(husk_bolt_get(db, &b, "0", 1, &e, &err), -HUSK_E_NOTFOUND);

    /* an inline bucket inside a nested bucket, and one at the top */
    const char *deep[] = {"nest", "sub"};
    assert_int_equal(husk_bolt_bucket_path(db, deep, 2, &b, &err), 0);
    assert_int_equal(b.root, 0);
    assert_int_equal(b.sequence, 9);
    assert_int_equal(b.depth, 2);
    assert_int_equal(husk_bolt_get(db, &b, "deep", 4, &e, &err), 0);
    assert_true(eq(e.val, e.vlen, "yes"));
    const char *inl[] = {"inl"};
    assert_int_equal(husk_bolt_bucket_path(db, inl, 1, &b, &err), 0);
    assert_int_equal(husk_bolt_get(db, &b, "b", 1, &e, &err), 0);
    assert_true(eq(e.val, e.vlen, "22"));

    /* a key is not a bucket; a missing bucket */
    const char *notb[] = {"volumes", "data"};
    assert_int_equal(husk_bolt_bucket_path(db, notb, 2, &b, &err), -HUSK_E_NOTFOUND);
    const char *none[] = {"v1", "moby"};
    assert_int_equal(husk_bolt_bucket_path(db, none, 2, &b, &err), -HUSK_E_NOTFOUND);
    husk_bolt_close(db);
    free(f);
}

static void test_iterate(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    assert_string_equal(path_keys(db, NULL, 0), "inl/7,nest/3,volumes/0");
    const char *vol[] = {"volumes"};
    assert_string_equal(path_keys(db, vol, 1), "data,logs");
    const char *nest[] = {"nest"};
    assert_string_equal(path_keys(db, nest, 1), "a1,big,m1,sub/9,zz");
    const char *inl[] = {"inl"};
    assert_string_equal(path_keys(db, inl, 1), "a,b");
    husk_bolt_close(db);
    free(f);
}

/* The valid meta with the higher txid wins, whichever slot it is in. */
static void test_newer_meta(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    put_meta(f, PS, 0, 4, 0, 2, 12, 9); /* meta 0 newer, and its root is the volumes leaf */
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_info in;
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.meta_used, 0);
    assert_int_equal(in.txid, 9);
    assert_string_equal(path_keys(db, NULL, 0), "data,logs");
    husk_bolt_close(db);

    put_meta(f, PS, 1, 3, 0, 2, 12, 10);
    db = open_ok(f, NPAGES * PS);
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.meta_used, 1);
    assert_string_equal(path_keys(db, NULL, 0), "inl/7,nest/3,volumes/0");
    husk_bolt_close(db);

    /* a newer meta whose checksum fails is not used */
    put_meta(f, PS, 0, 4, 0, 2, 12, 11);
    page(f, 0)[40] ^= 1;
    db = open_ok(f, NPAGES * PS);
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.meta_valid[0], 0);
    assert_int_equal(in.meta_used, 1);
    assert_int_equal(in.txid, 10);
    husk_bolt_close(db);
    free(f);
}

/* With meta 0 damaged the page size comes from probing for meta 1, at any page size. */
static void test_damaged_meta0(void **state)
{
    (void)state;
    for (uint32_t ps = 1024; ps <= 65536; ps <<= 1) {
        uint8_t *f = calloc(4, ps);
        uint8_t b[64];
        kv in[] = {KV("k", "v")};
        size_t bl = put_bucket(b, 0, 1, in, 1);
        kv root[] = {BKT("b", b, bl)};
        put_leaf(f + 2 * ps, 2, root, 1);
        put_meta(f, ps, 0, 2, 0, UINT64_MAX, 3, 2);
        put_meta(f, ps, 1, 2, 0, UINT64_MAX, 3, 1);
        memset(f + 16, 0, 4); /* meta 0: magic gone */
        husk_bolt *db = open_ok(f, 4 * (size_t)ps);
        husk_bolt_info info;
        husk_bolt_get_info(db, &info);
        assert_int_equal(info.page_size, ps);
        assert_int_equal(info.meta_valid[0], 0);
        assert_int_equal(info.meta_used, 1);
        const char *p[] = {"b"};
        assert_string_equal(path_keys(db, p, 1), "k");
        husk_bolt_close(db);
        free(f);
    }
}

static void test_not_bolt(void **state)
{
    (void)state;
    husk_bolt *db = (husk_bolt *)1;
    husk_err err = {0};
    uint8_t *f = make_sample();
    page(f, 0)[20] = 3;     /* version 3 */
    page(f, 1)[79] ^= 0x80; /* checksum */
    assert_int_equal(husk_bolt_open(f, NPAGES * PS, &db, &err), -HUSK_E_FORMAT);
    assert_null(db);
    assert_int_equal(husk_bolt_open(f, 50, &db, &err), -HUSK_E_FORMAT);
    assert_int_equal(husk_bolt_open(NULL, 0, &db, &err), -HUSK_E_FORMAT);
    /* the size bound is checked before the buffer is touched */
    assert_int_equal(husk_bolt_open(f, (size_t)HUSK_BOLT_MAX_FILE + 1, &db, &err), -HUSK_E_LIMIT);
    /* a file cut short of meta 1 still opens on meta 0 */
    put_meta(f, PS, 0, 3, 0, 2, 12, 4);
    db = open_ok(f, PS + 40);
    husk_bolt_info in;
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.meta_valid[1], 0);
    /* ... and its root is out of the buffer: an error, not a crash */
    husk_bolt_bucket b;
    husk_bolt_root(db, &b);
    husk_bolt_entry e;
    assert_int_equal(husk_bolt_get(db, &b, "x", 1, &e, &err), -HUSK_E_FORMAT);
    husk_bolt_close(db);
    free(f);
}

/* ---- hostile pages ----------------------------------------------------------------------- */

static void test_pos_past_end(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    le32(page(f, 4) + 16 + 16 + 4, 0xFFFFFFF0u); /* logs: pos */
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_bucket b;
    husk_bolt_entry e;
    husk_err err = {0};
    const char *vol[] = {"volumes"};
    assert_int_equal(husk_bolt_bucket_path(db, vol, 1, &b, &err), 0);
    char out[256];
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_string_equal(out, "data");
    assert_int_equal(husk_bolt_get(db, &b, "data", 4, &e, &err), 0);
    assert_int_equal(husk_bolt_get(db, &b, "logs", 4, &e, &err), -HUSK_E_FORMAT);
    assert_non_null(strstr(err.msg, "page 4"));

    /* ksize and vsize that run past the page */
    kv v[] = {KV("data", "1"), KV("logs", "2")};
    put_leaf(page(f, 4), 4, v, 2);
    le32(page(f, 4) + 16 + 8, 0x7FFFFFFF); /* data: ksize */
    le32(page(f, 4) + 32 + 12, PS);        /* logs: vsize one page too long */
    assert_int_equal(list_keys(db, &b, out, sizeof out), 2);
    assert_string_equal(out, "");
    /* a count that cannot fit the page */
    le16(page(f, 4) + 10, 0xFFFF);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_int_equal(husk_bolt_get(db, &b, "data", 4, &e, &err), -HUSK_E_FORMAT);
    husk_bolt_close(db);
    free(f);
}

static void test_cycles(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_bucket b;
    husk_bolt_entry e;
    husk_err err = {0};
    char out[1024];
    const char *nest[] = {"nest"};
    assert_int_equal(husk_bolt_bucket_path(db, nest, 1, &b, &err), 0);

    /* branch 5 names itself as its second child */
    le64(page(f, 5) + 32 + 8, 5);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_string_equal(out, "a1,big");
    assert_int_equal(husk_bolt_get(db, &b, "zz", 2, &e, &err), -HUSK_E_LIMIT);

    /* 5 -> 8 -> 5: page 8 turned into a branch back to 5 */
    le64(page(f, 5) + 32 + 8, 8);
    const char *k[] = {"m"};
    uint64_t c[] = {5};
    put_branch(page(f, 8), 8, k, c, 1);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_string_equal(out, "a1,big");
    assert_int_equal(husk_bolt_get(db, &b, "zz", 2, &e, &err), -HUSK_E_LIMIT);

    /* a bucket whose root is its own parent's page: each level is bounded, and nesting too */
    uint8_t self[16];
    put_bucket(self, 3, 0, NULL, 0);
    kv root[] = {BKT("me", self, 16)};
    put_leaf(page(f, 3), 3, root, 1);
    husk_bolt_root(db, &b);
    int depth = 0;
    int rc;
    while ((rc = husk_bolt_bucket_child(db, &b, "me", 2, &b, &err)) == 0)
        assert_true(++depth <= HUSK_BOLT_MAX_DEPTH);
    assert_true(rc < 0);
    unsigned long n = 0;
    assert_int_equal(husk_bolt_scan_free(db, count_cb, &n, NULL, &err), 0);
    assert_true(n > 0);
    husk_bolt_close(db);
    free(f);
}

/* Many references to shared pages: the walk stops after as many pages as the file holds. */
static void test_shared_pages(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    const char *keys[200];
    uint64_t kids[200];
    for (int i = 0; i < 200; i++)
        keys[i] = "a", kids[i] = 6;
    put_branch(page(f, 5), 5, keys, kids, 200);
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_bucket b;
    husk_err err = {0};
    const char *nest[] = {"nest"};
    assert_int_equal(husk_bolt_bucket_path(db, nest, 1, &b, &err), 0);
    char out[4096];
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_true(strlen(out) < 4000);
    husk_bolt_close(db);
    free(f);
}

static void test_bad_overflow_and_ids(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_bolt_bucket b;
    husk_bolt_entry e;
    husk_err err = {0};
    char out[1024];
    const char *nest[] = {"nest"};
    assert_int_equal(husk_bolt_bucket_path(db, nest, 1, &b, &err), 0);
    le32(page(f, 6) + 12, 0x7FFFFFFF);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_string_equal(out, "m1,sub/9,zz"); /* page 6 skipped, page 8 still read */
    assert_int_equal(husk_bolt_get(db, &b, "a1", 2, &e, &err), -HUSK_E_FORMAT);
    assert_non_null(strstr(err.msg, "overflow"));
    le32(page(f, 6) + 12, 1);

    le64(page(f, 8), 77); /* page 8 claims another id */
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);
    assert_string_equal(out, "a1,big");
    le64(page(f, 8), 8);

    le64(page(f, 5) + 16 + 8, 12); /* a child past the high-water mark */
    le64(page(f, 5) + 32 + 8, 1);  /* and one at a meta page */
    assert_int_equal(list_keys(db, &b, out, sizeof out), 2);
    le64(page(f, 5) + 16 + 8, UINT64_MAX);
    assert_int_equal(list_keys(db, &b, out, sizeof out), 2);

    le16(page(f, 5) + 8, 0x10); /* the bucket root is a freelist page */
    assert_int_equal(list_keys(db, &b, out, sizeof out), 1);

    /* a truncated inline bucket value */
    const char *inl[] = {"inl"};
    uint8_t *root = page(f, 3);
    le32(root + 16 + 12, 20); /* inl: vsize 20 < header + page header */
    assert_int_equal(husk_bolt_bucket_path(db, inl, 1, &b, &err), -HUSK_E_FORMAT);
    le32(root + 16 + 12, 8); /* too short even for {root, sequence} */
    assert_int_equal(husk_bolt_bucket_path(db, inl, 1, &b, &err), -HUSK_E_FORMAT);
    husk_bolt_close(db);
    free(f);
}

/* ---- free-page scan ---------------------------------------------------------------------- */

typedef struct seen {
    char line[16][96];
    int n;
} seen;

static int collect(const husk_bolt_entry *e, void *ctx)
{
    seen *s = ctx;
    if (s->n < 16)
        snprintf(s->line[s->n++], sizeof s->line[0], "%llu %s %.*s%s%.*s=%.*s",
                 (unsigned long long)e->pgid, husk_bolt_origin_name(e->origin), (int)e->parent_len,
                 e->parent ? (const char *)e->parent : "", e->parent ? "/" : "", (int)e->klen,
                 (const char *)e->key, e->is_bucket ? 1 : (int)e->vlen,
                 e->is_bucket ? "B" : (const char *)e->val);
    return 0;
}

static void test_scan_free(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_err err = {0};
    seen s = {0};
    unsigned damaged = 99;
    assert_int_equal(husk_bolt_scan_free(db, collect, &s, &damaged, &err), 0);
    assert_int_equal(damaged, 0);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.line[0], "9 freelist data=old");
    assert_string_equal(s.line[1], "9 freelist gone=B");
    assert_string_equal(s.line[2], "9 freelist gone/k=v");
    assert_string_equal(s.line[3], "10 unreachable lost=x");
    assert_string_equal(s.line[4], "12 past-high-water ghost=boo");

    /* live pages that can no longer be walked are counted, and then scanned as unreachable */
    le64(page(f, 5) + 32 + 8, 99);
    memset(&s, 0, sizeof s);
    assert_int_equal(husk_bolt_scan_free(db, collect, &s, &damaged, &err), 0);
    assert_int_equal(damaged, 1);
    assert_int_equal(s.n, 9);
    assert_string_equal(s.line[0], "8 unreachable m1=v2");
    assert_string_equal(s.line[2], "8 unreachable sub/deep=yes");
    husk_bolt_close(db);
    free(f);
}

static int stop_at_first(const husk_bolt_entry *e, void *ctx)
{
    (void)e;
    ++*(int *)ctx;
    return 1;
}

static int fail_at_first(const husk_bolt_entry *e, void *ctx)
{
    (void)e;
    (void)ctx;
    return -HUSK_E_DB;
}

static void test_scan_free_stops(void **state)
{
    (void)state;
    uint8_t *f = make_sample();
    /* a freelist with the 0xFFFF count escape and more ids than its page holds */
    uint8_t *fl = page(f, 2);
    le16(fl + 10, 0xFFFF);
    le64(fl + 16, 1u << 20);
    for (int i = 0; i < 100; i++)
        le64(fl + 24 + 8 * i, 9);
    husk_bolt *db = open_ok(f, NPAGES * PS);
    husk_err err = {0};
    int n = 0;
    unsigned damaged = 0;
    assert_int_equal(husk_bolt_scan_free(db, stop_at_first, &n, &damaged, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(damaged, 1);
    assert_int_equal(husk_bolt_scan_free(db, fail_at_first, NULL, NULL, &err), -HUSK_E_DB);
    husk_bolt_close(db);
    free(f);
}

/* ---- random damage ----------------------------------------------------------------------- */

static unsigned long walked;

static void walk_all(husk_bolt *db, const husk_bolt_bucket *b, int depth)
{
    husk_bolt_cursor *c;
    husk_bolt_entry e, g;
    husk_err err = {0};
    int rc;
    if (depth > HUSK_BOLT_MAX_DEPTH + 2 || walked > 200000)
        return;
    assert_int_equal(husk_bolt_cursor_new(db, b, &c, &err), 0);
    while ((rc = husk_bolt_cursor_next(c, &e, &err)) != 0 && walked++ < 200000) {
        if (rc < 0)
            continue;
        husk_bolt_get(db, b, e.key, e.klen, &g, &err);
        if (e.bucket_ok)
            walk_all(db, &e.bucket, depth + 1);
    }
    husk_bolt_cursor_free(c);
}

static void test_random_damage(void **state)
{
    (void)state;
    uint8_t *orig = make_sample();
    uint8_t *f = malloc(NPAGES * PS);
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(f, orig, NPAGES * PS);
        int flips = 1 + round % 24;
        for (int i = 0; i < flips; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly headers and element arrays, where damage matters most */
            uint32_t pg = 2 + (seed >> 8) % (NPAGES - 2);
            seed = seed * 1103515245u + 12345u;
            uint32_t off = round % 2 ? (seed >> 8) % 128 : (seed >> 8) % PS;
            seed = seed * 1103515245u + 12345u;
            page(f, pg)[off] = (uint8_t)(seed >> 16);
        }
        husk_bolt *db = NULL;
        husk_err err = {0};
        if (husk_bolt_open(f, NPAGES * PS, &db, &err) != 0)
            continue;
        husk_bolt_bucket root;
        husk_bolt_root(db, &root);
        walked = 0;
        walk_all(db, &root, 0);
        unsigned long n = 0;
        husk_bolt_scan_free(db, count_cb, &n, NULL, &err);
        assert_true(n < 100000);
        husk_bolt_close(db);
    }
    /* garbage with valid meta pages pointing into it */
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < NPAGES * PS; i++) {
            seed = seed * 1103515245u + 12345u;
            f[i] = (uint8_t)(seed >> 16);
        }
        for (uint64_t id = 2; id < NPAGES; id++) {
            le64(page(f, id), id);
            le16(page(f, id) + 8, round % 3 ? 0x02 : 0x01);
            le16(page(f, id) + 10, (uint16_t)(round % 40));
        }
        put_meta(f, PS, 0, 2 + round % 11, 0, 2, NPAGES, 1);
        put_meta(f, PS, 1, 3 + round % 10, 0, 3, NPAGES, 2);
        husk_bolt *db = open_ok(f, NPAGES * PS);
        husk_bolt_bucket root;
        husk_bolt_root(db, &root);
        walked = 0;
        walk_all(db, &root, 0);
        unsigned long n = 0;
        husk_err err = {0};
        husk_bolt_scan_free(db, count_cb, &n, NULL, &err);
        husk_bolt_close(db);
    }
    free(f);
    free(orig);
}

/* ---- a real file ------------------------------------------------------------------------- */

/* volumes/metadata.db of the node-a image (read with `husk cat`) against truth/volumes.json. */
static void test_real_metadata_db(void **state)
{
    (void)state;
    const char *husk = getenv("HUSK"), *root = getenv("ROOT");
    if (!husk || !root)
        skip();
    char cmd[4096], truth[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' cat '%s/testdata/node-a-ext4-gpt/disk.E01' "
             "/var/lib/docker/volumes/metadata.db 2>/dev/null",
             husk, root);
    snprintf(truth, sizeof truth, "%s/testdata/node-a-ext4-gpt/truth/volumes.json", root);
    json_t *want = json_load_file(truth, 0, NULL);
    FILE *p = popen(cmd, "r");
    if (!want || !p) {
        if (p)
            pclose(p);
        json_decref(want);
        skip();
    }
    size_t cap = 1 << 16, len = 0, k;
    uint8_t *buf = malloc(cap);
    while ((k = fread(buf + len, 1, cap - len, p)) > 0) {
        len += k;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    assert_int_equal(pclose(p), 0);

    husk_bolt *db = open_ok(buf, len);
    husk_bolt_info in;
    husk_bolt_get_info(db, &in);
    assert_int_equal(in.page_size, 4096);
    assert_true(in.meta_valid[0] && in.meta_valid[1]);
    husk_bolt_bucket b;
    husk_err err = {0};
    const char *vol[] = {"volumes"};
    assert_int_equal(husk_bolt_bucket_path(db, vol, 1, &b, &err), 0);
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        husk_bolt_entry e;
        assert_non_null(name);
        assert_int_equal(husk_bolt_get(db, &b, name, strlen(name), &e, &err), 0);
        json_t *got = json_loadb((const char *)e.val, e.vlen, 0, NULL);
        assert_non_null(got);
        assert_string_equal(json_string_value(json_object_get(got, "Name")), name);
        assert_string_equal(json_string_value(json_object_get(got, "Driver")),
                            json_string_value(json_object_get(v, "Driver")));
        assert_true(json_equal(json_object_get(got, "Labels"), json_object_get(v, "Labels")));
        json_decref(got);
    }
    char out[4096];
    assert_int_equal(list_keys(db, &b, out, sizeof out), 0);
    unsigned long n = 0;
    unsigned damaged = 1;
    assert_int_equal(husk_bolt_scan_free(db, count_cb, &n, &damaged, &err), 0);
    assert_int_equal(damaged, 0);
    husk_bolt_close(db);
    json_decref(want);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_info),     cmocka_unit_test(test_get_and_paths),
        cmocka_unit_test(test_iterate),       cmocka_unit_test(test_newer_meta),
        cmocka_unit_test(test_damaged_meta0), cmocka_unit_test(test_not_bolt),
        cmocka_unit_test(test_pos_past_end),  cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_shared_pages),  cmocka_unit_test(test_bad_overflow_and_ids),
        cmocka_unit_test(test_scan_free),     cmocka_unit_test(test_scan_free_stops),
        cmocka_unit_test(test_random_damage), cmocka_unit_test(test_real_metadata_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
