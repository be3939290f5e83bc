/*
 * Read-only bbolt reader (include/husk/bolt.h; format in docs formats.md 6.5).
 *
 * Layout reminders: a page starts with {u64 id, u16 flags, u16 count, u32 overflow} and spans
 * (overflow + 1) pages; branch elements are {u32 pos, u32 ksize, u64 pgid} and leaf elements
 * {u32 flags, u32 pos, u32 ksize, u32 vsize}, 16 bytes each, with pos relative to the element
 * itself. Everything is little-endian and may sit at any alignment inside the caller's buffer,
 * so every field is read byte by byte.
 */
#include "husk/bolt.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC 0xED0CDAEDu
#define VERSION 2
#define PAGE_HDR 16
#define ELEM 16
#define META_LEN 64 /* struct meta, at page offset 16 */
#define F_BRANCH 0x01
#define F_LEAF 0x02
#define F_FREELIST 0x10
#define BUCKET_FLAG 0x01
#define INBUCKET 16
#define MAX_KEY 32768
#define NO_FREELIST UINT64_MAX
#define MIN_PAGE 512
#define MAX_PAGE (1u << 24) /* the largest size bbolt's second-meta probe tries */

struct husk_bolt {
    const uint8_t *buf;
    size_t len;
    uint32_t psize;
    uint64_t npages; /* whole pages in buf */
    int valid[2];
    int used;
    uint64_t txid, root, root_seq, freelist, hwm;
};

/* One page (or an inline bucket's embedded page) with its extent checked against the buffer. */
typedef struct page {
    const uint8_t *p;
    size_t span;   /* bytes the page may use, header included */
    uint64_t pgid; /* for an inline page: the page its bucket value sits on */
    uint16_t flags;
    uint16_t count;
} page;

struct husk_bolt_cursor {
    const husk_bolt *db;
    husk_bolt_bucket b;
    struct {
        page pg;
        unsigned idx;
    } st[HUSK_BOLT_MAX_DEPTH];
    int n;
    int started;
    uint64_t entered; /* pages entered so far: a sound tree enters each page once */
};

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

const char *husk_bolt_origin_name(husk_bolt_origin o)
{
    switch (o) {
    case HUSK_BOLT_LIVE:
        return "live";
    case HUSK_BOLT_FREELIST:
        return "freelist";
    case HUSK_BOLT_UNREACHABLE:
        return "unreachable";
    case HUSK_BOLT_PAST_HIGH_WATER:
        return "past-high-water";
    }
    return "unknown";
}

typedef struct meta {
    uint32_t psize;
    uint64_t root, root_seq, freelist, hwm, txid;
} meta;

/* 1 when a meta page at byte offset off passes bbolt's own validation (magic, version,
 * checksum) and names a page size husk can use. */
static int meta_read(const uint8_t *buf, size_t len, uint64_t off, meta *m)
{
    if (off > len || len - off < PAGE_HDR + META_LEN)
        return 0;
    const uint8_t *p = buf + off;
    if (le32(p + 16) != MAGIC || le32(p + 20) != VERSION)
        return 0;
    if (fnv1a64(p + 16, 56) != le64(p + 72))
        return 0;
    m->psize = le32(p + 24);
    m->root = le64(p + 32);
    m->root_seq = le64(p + 40);
    m->freelist = le64(p + 48);
    m->hwm = le64(p + 56);
    m->txid = le64(p + 64);
    return m->psize >= MIN_PAGE && m->psize <= MAX_PAGE && (m->psize & (m->psize - 1)) == 0;
}

int husk_bolt_open(const uint8_t *buf, size_t len, husk_bolt **out, husk_err *err)
{
    *out = NULL;
    if (!buf && len)
        return husk_err_set(err, HUSK_E_ARG, "bolt: no buffer");
    if (len > HUSK_BOLT_MAX_FILE)
        return husk_err_set(err, HUSK_E_LIMIT, "bolt: file of %zu bytes is larger than %llu", len,
                            (unsigned long long)HUSK_BOLT_MAX_FILE);
    meta m[2];
    int v[2] = {0, 0};
    uint32_t psize = 0;
    v[0] = meta_read(buf, len, 0, &m[0]);
    if (v[0]) {
        psize = m[0].psize;
        v[1] = meta_read(buf, len, psize, &m[1]) && m[1].psize == psize;
    } else {
        /* Meta 0 is damaged: find meta 1 where a page size would put it, as bbolt does. */
        for (int i = 0; i <= 14 && !v[1]; i++) {
            uint32_t off = 1024u << i;
            v[1] = meta_read(buf, len, off, &m[1]) && m[1].psize == off;
            if (v[1])
                psize = off;
        }
    }
    if (!v[0] && !v[1])
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: no valid meta page");
    husk_bolt *db = calloc(1, sizeof *db);
    if (!db)
        return husk_err_set(err, HUSK_E_NOMEM, "bolt: out of memory");
    db->buf = buf;
    db->len = len;
    db->psize = psize;
    db->npages = len / psize;
    db->valid[0] = v[0];
    db->valid[1] = v[1];
    db->used = v[0] && v[1] ? (m[1].txid > m[0].txid) : v[1];
    const meta *u = &m[db->used];
    db->txid = u->txid;
    db->root = u->root;
    db->root_seq = u->root_seq;
    db->freelist = u->freelist;
    db->hwm = u->hwm;
    *out = db;
    return 0;
}

void husk_bolt_close(husk_bolt *db)
{
    free(db);
}

void husk_bolt_get_info(const husk_bolt *db, husk_bolt_info *info)
{
    memset(info, 0, sizeof *info);
    info->page_size = db->psize;
    info->meta_valid[0] = db->valid[0];
    info->meta_valid[1] = db->valid[1];
    info->meta_used = db->used;
    info->txid = db->txid;
    info->root = db->root;
    info->freelist = db->freelist;
    info->high_water = db->hwm;
    info->pages = db->npages;
}

void husk_bolt_root(const husk_bolt *db, husk_bolt_bucket *out)
{
    memset(out, 0, sizeof *out);
    out->root = db->root;
    out->sequence = db->root_seq;
}

/* Fills pg from the page at pgid of the live tree: inside the buffer and below the high-water
 * mark, overflow included, with the id it claims, a branch or leaf, its elements in its span. */
static int page_get(const husk_bolt *db, uint64_t pgid, page *pg, husk_err *err)
{
    uint64_t limit = db->hwm < db->npages ? db->hwm : db->npages;
    if (pgid < 2 || pgid >= limit)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu out of range (%llu pages)",
                            (unsigned long long)pgid, (unsigned long long)limit);
    const uint8_t *p = db->buf + pgid * db->psize;
    if (le64(p) != pgid)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu says it is page %llu",
                            (unsigned long long)pgid, (unsigned long long)le64(p));
    uint32_t ovf = le32(p + 12);
    if ((uint64_t)ovf >= limit - pgid)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu overflow %u runs past the end",
                            (unsigned long long)pgid, ovf);
    pg->p = p;
    pg->span = ((size_t)ovf + 1) * db->psize;
    pg->pgid = pgid;
    pg->flags = le16(p + 8);
    pg->count = le16(p + 10);
    if (pg->flags != F_BRANCH && pg->flags != F_LEAF)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "bolt: page %llu has flags 0x%x, not a branch or leaf",
                            (unsigned long long)pgid, pg->flags);
    if ((size_t)pg->count * ELEM > pg->span - PAGE_HDR)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu count %u does not fit",
                            (unsigned long long)pgid, pg->count);
    return 0;
}

/* The embedded leaf page of an inline bucket (its header id is not meaningful). */
static int inline_page(const husk_bolt_bucket *b, uint64_t host, page *pg, husk_err *err)
{
    if (!b->page || b->page_len < PAGE_HDR)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: inline bucket on page %llu is truncated",
                            (unsigned long long)host);
    pg->p = b->page;
    pg->span = b->page_len;
    pg->pgid = host;
    pg->flags = le16(b->page + 8);
    pg->count = le16(b->page + 10);
    if (pg->flags != F_LEAF)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: inline bucket on page %llu is not a leaf",
                            (unsigned long long)host);
    if ((size_t)pg->count * ELEM > pg->span - PAGE_HDR)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "bolt: inline bucket on page %llu: count %u does not fit",
                            (unsigned long long)host, pg->count);
    return 0;
}

/* The first page of bucket b. For an inline bucket, the host page is not known here. */
static int bucket_page(const husk_bolt *db, const husk_bolt_bucket *b, page *pg, husk_err *err)
{
    if (b->depth > HUSK_BOLT_MAX_DEPTH)
        return husk_err_set(err, HUSK_E_LIMIT, "bolt: buckets nested deeper than %d",
                            HUSK_BOLT_MAX_DEPTH);
    if (b->root == 0)
        return inline_page(b, 0, pg, err);
    return page_get(db, b->root, pg, err);
}

/* Branch element i of pg: its key and child page, or -1 when it does not fit the page. */
static int branch_elem(const page *pg, unsigned i, const uint8_t **k, size_t *klen, uint64_t *child)
{
    size_t off = PAGE_HDR + (size_t)i * ELEM;
    if (i >= pg->count || off + ELEM > pg->span)
        return -1;
    const uint8_t *e = pg->p + off;
    uint64_t pos = le32(e), ks = le32(e + 4);
    if (ks > MAX_KEY || off + pos + ks > pg->span)
        return -1;
    *k = e + pos;
    *klen = (size_t)ks;
    *child = le64(e + 8);
    return 0;
}

/* Leaf element i of pg, or -1 when it does not fit the page. */
static int leaf_elem(const page *pg, unsigned i, uint32_t *flags, const uint8_t **k, size_t *klen,
                     const uint8_t **v, size_t *vlen)
{
    size_t off = PAGE_HDR + (size_t)i * ELEM;
    if (i >= pg->count || off + ELEM > pg->span)
        return -1;
    const uint8_t *e = pg->p + off;
    uint64_t pos = le32(e + 4), ks = le32(e + 8), vs = le32(e + 12);
    if (ks > MAX_KEY || off + pos + ks + vs > pg->span)
        return -1;
    *flags = le32(e);
    *k = e + pos;
    *klen = (size_t)ks;
    *v = e + pos + ks;
    *vlen = (size_t)vs;
    return 0;
}

/* An entry for a leaf element; a bucket value is decoded into e->bucket when its header and
 * (for an inline bucket) embedded page header are there and nesting is within bounds. */
static void fill_entry(const page *pg, uint32_t flags, const uint8_t *k, size_t klen,
                       const uint8_t *v, size_t vlen, int depth, husk_bolt_origin origin,
                       husk_bolt_entry *e)
{
    memset(e, 0, sizeof *e);
    e->key = k;
    e->klen = klen;
    e->val = v;
    e->vlen = vlen;
    e->pgid = pg->pgid;
    e->origin = origin;
    e->is_bucket = (flags & BUCKET_FLAG) != 0;
    if (!e->is_bucket || vlen < INBUCKET || depth + 1 > HUSK_BOLT_MAX_DEPTH)
        return;
    e->bucket.root = le64(v);
    e->bucket.sequence = le64(v + 8);
    e->bucket.depth = depth + 1;
    if (e->bucket.root == 0) {
        if (vlen < INBUCKET + PAGE_HDR)
            return;
        e->bucket.page = v + INBUCKET;
        e->bucket.page_len = vlen - INBUCKET;
    }
    e->bucket_ok = 1;
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

int husk_bolt_get(const husk_bolt *db, const husk_bolt_bucket *b, const void *key, size_t klen,
                  husk_bolt_entry *out, husk_err *err)
{
    page pg;
    int rc = bucket_page(db, b, &pg, err);
    if (rc < 0)
        return rc;
    for (int level = 0; pg.flags == F_BRANCH; level++) {
        if (level >= HUSK_BOLT_MAX_DEPTH)
            return husk_err_set(err, HUSK_E_LIMIT, "bolt: tree deeper than %d at page %llu",
                                HUSK_BOLT_MAX_DEPTH, (unsigned long long)pg.pgid);
        if (pg.count == 0)
            return husk_err_set(err, HUSK_E_FORMAT, "bolt: empty branch page %llu",
                                (unsigned long long)pg.pgid);
        /* The child is the last one whose first key is <= key (the first child otherwise). */
        uint64_t child = 0;
        for (unsigned i = 0; i < pg.count; i++) {
            const uint8_t *k;
            size_t kl;
            uint64_t c;
            if (branch_elem(&pg, i, &k, &kl, &c) < 0)
                return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu element %u out of bounds",
                                    (unsigned long long)pg.pgid, i);
            if (i > 0 && key_cmp(k, kl, key, klen) > 0)
                break;
            child = c;
        }
        if ((rc = page_get(db, child, &pg, err)) < 0)
            return rc;
    }
    for (unsigned i = 0; i < pg.count; i++) {
        uint32_t fl;
        const uint8_t *k, *v;
        size_t kl, vl;
        if (leaf_elem(&pg, i, &fl, &k, &kl, &v, &vl) < 0)
            return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu element %u out of bounds",
                                (unsigned long long)pg.pgid, i);
        if (key_cmp(k, kl, key, klen) == 0) {
            fill_entry(&pg, fl, k, kl, v, vl, b->depth, HUSK_BOLT_LIVE, out);
            return 0;
        }
    }
    return -HUSK_E_NOTFOUND;
}

int husk_bolt_bucket_child(const husk_bolt *db, const husk_bolt_bucket *parent, const void *name,
                           size_t nlen, husk_bolt_bucket *out, husk_err *err)
{
    husk_bolt_entry e;
    int rc = husk_bolt_get(db, parent, name, nlen, &e, err);
    if (rc == -HUSK_E_NOTFOUND)
        return husk_err_set(err, HUSK_E_NOTFOUND, "bolt: no bucket \"%.*s\"",
                            (int)(nlen > 64 ? 64 : nlen), (const char *)name);
    if (rc < 0)
        return rc;
    if (!e.is_bucket)
        return husk_err_set(err, HUSK_E_NOTFOUND, "bolt: \"%.*s\" is a key, not a bucket",
                            (int)(nlen > 64 ? 64 : nlen), (const char *)name);
    if (!e.bucket_ok)
        return husk_err_set(err, HUSK_E_FORMAT, "bolt: bucket header on page %llu is damaged",
                            (unsigned long long)e.pgid);
    *out = e.bucket;
    return 0;
}

int husk_bolt_bucket_path(const husk_bolt *db, const char *const *names, size_t n,
                          husk_bolt_bucket *out, husk_err *err)
{
    husk_bolt_bucket b;
    husk_bolt_root(db, &b);
    for (size_t i = 0; i < n; i++) {
        husk_bolt_bucket child;
        int rc = husk_bolt_bucket_child(db, &b, names[i], strlen(names[i]), &child, err);
        if (rc < 0)
            return rc;
        b = child;
    }
    *out = b;
    return 0;
}

int husk_bolt_cursor_new(const husk_bolt *db, const husk_bolt_bucket *b, husk_bolt_cursor **out,
                         husk_err *err)
{
    husk_bolt_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return husk_err_set(err, HUSK_E_NOMEM, "bolt: out of memory");
    c->db = db;
    c->b = *b;
    *out = c;
    return 0;
}

void husk_bolt_cursor_free(husk_bolt_cursor *c)
{
    free(c);
}

/* Pushes page pgid below the cursor's current frame, refusing a page already on the path (a
 * cycle), a path deeper than the bound, and more pages than the file holds. */
static int cursor_push(husk_bolt_cursor *c, uint64_t pgid, husk_err *err)
{
    if (c->n >= HUSK_BOLT_MAX_DEPTH)
        return husk_err_set(err, HUSK_E_LIMIT, "bolt: tree deeper than %d at page %llu",
                            HUSK_BOLT_MAX_DEPTH, (unsigned long long)pgid);
    if (++c->entered > c->db->npages) {
        c->n = 0; /* the tree shares pages beyond reason: stop the walk altogether */
        return husk_err_set(err, HUSK_E_LIMIT, "bolt: walk entered more pages than the file has");
    }
    for (int j = 0; j < c->n; j++)
        if (c->st[j].pg.pgid == pgid)
            return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu refers back to itself",
                                (unsigned long long)pgid);
    int rc = page_get(c->db, pgid, &c->st[c->n].pg, err);
    if (rc < 0)
        return rc;
    c->st[c->n++].idx = 0;
    return 0;
}

int husk_bolt_cursor_next(husk_bolt_cursor *c, husk_bolt_entry *e, husk_err *err)
{
    if (!c->started) {
        c->started = 1;
        int rc;
        if (c->b.root == 0) {
            rc = bucket_page(c->db, &c->b, &c->st[0].pg, err);
            if (rc == 0)
                c->st[c->n++].idx = 0;
        } else {
            rc = c->b.depth > HUSK_BOLT_MAX_DEPTH
                     ? husk_err_set(err, HUSK_E_LIMIT, "bolt: buckets nested too deep")
                     : cursor_push(c, c->b.root, err);
        }
        if (rc < 0)
            return rc;
    }
    while (c->n > 0) {
        page *pg = &c->st[c->n - 1].pg;
        unsigned i = c->st[c->n - 1].idx;
        if (i >= pg->count) {
            c->n--;
            continue;
        }
        c->st[c->n - 1].idx++;
        if (pg->flags == F_BRANCH) {
            const uint8_t *k;
            size_t kl;
            uint64_t child;
            if (branch_elem(pg, i, &k, &kl, &child) < 0)
                return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu element %u out of bounds",
                                    (unsigned long long)pg->pgid, i);
            int rc = cursor_push(c, child, err);
            if (rc < 0)
                return rc;
            continue;
        }
        uint32_t fl;
        const uint8_t *k, *v;
        size_t kl, vl;
        if (leaf_elem(pg, i, &fl, &k, &kl, &v, &vl) < 0)
            return husk_err_set(err, HUSK_E_FORMAT, "bolt: page %llu element %u out of bounds",
                                (unsigned long long)pg->pgid, i);
        fill_entry(pg, fl, k, kl, v, vl, c->b.depth, HUSK_BOLT_LIVE, e);
        return 1;
    }
    return 0;
}

/*
 * Free-page scan. First every page the current meta can reach is marked (meta pages, the
 * freelist, every tree page and its overflow, across nested buckets); a page is marked once, so
 * shared or cyclic references cost nothing. Then every unmarked page that claims its own
 * position and is a leaf is read element by element.
 */
typedef struct scan {
    const husk_bolt *db;
    uint8_t *reach; /* bitmap: reachable from the current meta */
    uint8_t *free;  /* bitmap: listed in the freelist */
    unsigned damaged;
    husk_bolt_entry_cb cb;
    void *ctx;
} scan;

static int bit_get(const uint8_t *m, uint64_t i)
{
    return (m[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(uint8_t *m, uint64_t i)
{
    m[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void mark_page(scan *s, const page *pg)
{
    uint64_t n = pg->span / s->db->psize;
    for (uint64_t i = 0; i < n; i++)
        bit_set(s->reach, pg->pgid + i);
}

static void mark_tree(scan *s, uint64_t pgid, int level, int depth);

/* Marks the pages of the sub-buckets found in leaf page pg (an inline page is already covered
 * by its host page). */
static void mark_leaf_buckets(scan *s, const page *pg, int level, int depth)
{
    for (unsigned i = 0; i < pg->count; i++) {
        uint32_t fl;
        const uint8_t *k, *v;
        size_t kl, vl;
        husk_bolt_entry e;
        if (leaf_elem(pg, i, &fl, &k, &kl, &v, &vl) < 0) {
            s->damaged++;
            continue;
        }
        fill_entry(pg, fl, k, kl, v, vl, depth, HUSK_BOLT_LIVE, &e);
        if (!e.bucket_ok)
            continue;
        if (e.bucket.root != 0) {
            mark_tree(s, e.bucket.root, 0, e.bucket.depth);
        } else {
            page in;
            if (inline_page(&e.bucket, pg->pgid, &in, NULL) == 0)
                mark_leaf_buckets(s, &in, level, e.bucket.depth);
        }
    }
}

static void mark_tree(scan *s, uint64_t pgid, int level, int depth)
{
    page pg;
    if (level >= HUSK_BOLT_MAX_DEPTH || depth > HUSK_BOLT_MAX_DEPTH) {
        s->damaged++;
        return;
    }
    if (pgid < s->db->npages && bit_get(s->reach, pgid))
        return; /* seen: shared subtree or a cycle */
    if (page_get(s->db, pgid, &pg, NULL) < 0) {
        s->damaged++;
        return;
    }
    mark_page(s, &pg);
    if (pg.flags == F_LEAF) {
        mark_leaf_buckets(s, &pg, level, depth);
        return;
    }
    for (unsigned i = 0; i < pg.count; i++) {
        const uint8_t *k;
        size_t kl;
        uint64_t child;
        if (branch_elem(&pg, i, &k, &kl, &child) < 0)
            s->damaged++;
        else
            mark_tree(s, child, level + 1, depth);
    }
}

/* Marks the freelist page itself as reachable and its listed ids as free. */
static void read_freelist(scan *s)
{
    const husk_bolt *db = s->db;
    uint64_t id = db->freelist;
    if (id == NO_FREELIST)
        return;
    if (id < 2 || id >= db->npages) {
        s->damaged++;
        return;
    }
    const uint8_t *p = db->buf + id * db->psize;
    uint32_t ovf = le32(p + 12);
    if (le64(p) != id || !(le16(p + 8) & F_FREELIST) || (uint64_t)ovf >= db->npages - id) {
        s->damaged++;
        return;
    }
    size_t span = ((size_t)ovf + 1) * db->psize;
    for (uint64_t i = 0; i <= ovf; i++)
        bit_set(s->reach, id + i);
    uint64_t count = le16(p + 10);
    size_t start = PAGE_HDR;
    if (count == 0xFFFF) {
        count = le64(p + PAGE_HDR);
        start += 8;
    }
    if (count > (span - start) / 8) {
        s->damaged++;
        count = (span - start) / 8;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint64_t f = le64(p + start + i * 8);
        if (f < db->npages)
            bit_set(s->free, f);
    }
}

/* Reports every element of a non-live leaf page (and of the inline buckets on it) that fits. */
static int scan_leaf(scan *s, const page *pg, husk_bolt_origin origin, const uint8_t *parent,
                     size_t parent_len, int depth)
{
    for (unsigned i = 0; i < pg->count; i++) {
        uint32_t fl;
        const uint8_t *k, *v;
        size_t kl, vl;
        husk_bolt_entry e;
        if (leaf_elem(pg, i, &fl, &k, &kl, &v, &vl) < 0)
            continue;
        fill_entry(pg, fl, k, kl, v, vl, depth, origin, &e);
        e.parent = parent;
        e.parent_len = parent_len;
        int rc = s->cb(&e, s->ctx);
        if (rc != 0)
            return rc;
        page in;
        if (e.bucket_ok && e.bucket.root == 0 && inline_page(&e.bucket, pg->pgid, &in, NULL) == 0) {
            rc = scan_leaf(s, &in, origin, k, kl, e.bucket.depth);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int husk_bolt_scan_free(const husk_bolt *db, husk_bolt_entry_cb cb, void *ctx, unsigned *damaged,
                        husk_err *err)
{
    scan s = {.db = db, .cb = cb, .ctx = ctx};
    size_t bytes = (size_t)(db->npages / 8 + 1);
    s.reach = calloc(1, bytes);
    s.free = calloc(1, bytes);
    if (!s.reach || !s.free) {
        free(s.reach);
        free(s.free);
        return husk_err_set(err, HUSK_E_NOMEM, "bolt: out of memory");
    }
    for (uint64_t i = 0; i < 2 && i < db->npages; i++)
        bit_set(s.reach, i);
    read_freelist(&s);
    mark_tree(&s, db->root, 0, 0);
    int rc = 0;
    for (uint64_t id = 2; id < db->npages && rc == 0; id++) {
        if (bit_get(s.reach, id))
            continue;
        const uint8_t *p = db->buf + id * db->psize;
        if (le64(p) != id || le16(p + 8) != F_LEAF)
            continue;
        /* A stale page's overflow may run past what is left of the file: keep what is there. */
        uint64_t pages = (uint64_t)le32(p + 12) + 1;
        if (pages > db->npages - id)
            pages = db->npages - id;
        page pg = {.p = p, .span = (size_t)pages * db->psize, .pgid = id, .flags = F_LEAF};
        pg.count = le16(p + 10);
        if ((size_t)pg.count * ELEM > pg.span - PAGE_HDR)
            pg.count = (uint16_t)((pg.span - PAGE_HDR) / ELEM);
        husk_bolt_origin o = id >= db->hwm         ? HUSK_BOLT_PAST_HIGH_WATER
                             : bit_get(s.free, id) ? HUSK_BOLT_FREELIST
                                                   : HUSK_BOLT_UNREACHABLE;
        rc = scan_leaf(&s, &pg, o, NULL, 0, 0);
        id += pages - 1; /* the rest of the span is this page's data, not pages of their own */
    }
    free(s.reach);
    free(s.free);
    if (damaged)
        *damaged = s.damaged;
    if (rc < 0)
        return husk_err_set(err, -rc, "bolt: free-page scan stopped by its caller");
    return 0;
}
