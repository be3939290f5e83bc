/*
 * containerd offline (include/husk/containerd.h; formats.md 6). The layout is containerd's
 * core/metadata (buckets.go, containers.go, images.go, snapshot.go, content.go, leases.go) and
 * core/snapshots/storage/bolt.go for the overlayfs snapshotter, read through husk's own bbolt
 * reader. Everything read is evidence: keys, values, names and JSON are bounded and checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "husk/bolt.h"
#include "husk/containerd.h"
#include "husk/logs.h"
#include "husk/overlay2.h"

#define PHASE "containerd"
#define META "io.containerd.metadata.v1.bolt/meta.db"
#define SNAP_DIR "io.containerd.snapshotter.v1.overlayfs"
#define CONTENT "io.containerd.content.v1.content/blobs"
#define CRI_DIR "io.containerd.grpc.v1.cri"
#define MAX_META (256u << 20)   /* a meta.db larger than this is not read (memory bound) */
#define MAX_BLOB (4u << 20)     /* manifests, indexes and configs */
#define MAX_STATUS (1u << 20)   /* a CRI status file */
#define MAX_ITEMS 100000        /* records of one kind in one namespace */
#define MAX_VALUE (16u << 20)   /* a spec or extension */

/* ---- encodings ---------------------------------------------------------------------- */

int husk_pb_uvarint(const uint8_t *b, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t c = b[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Go's binary.PutVarint (zigzag). */
static int svarint(const uint8_t *b, size_t n, int64_t *v)
{
    size_t pos = 0;
    uint64_t u;
    if (husk_pb_uvarint(b, n, &pos, &u) < 0 || pos != n)
        return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

static int uvarint_all(const uint8_t *b, size_t n, uint64_t *v)
{
    size_t pos = 0;
    return husk_pb_uvarint(b, n, &pos, v) < 0 || pos != n ? -1 : 0;
}

int husk_go_time(const uint8_t *b, size_t n, char out[40])
{
    out[0] = '\0';
    if (!b || n < 15 || (b[0] != 1 && b[0] != 2) || (b[0] == 1 && n != 15) ||
        (b[0] == 2 && n != 16))
        return -1;
    int64_t sec = 0;
    for (int i = 1; i <= 8; i++)
        sec = (int64_t)((uint64_t)sec << 8 | b[i]);
    uint32_t nsec = (uint32_t)b[9] << 24 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 8 | b[12];
    if (nsec > 999999999u)
        return -1;
    if (sec == 0 && nsec == 0)
        return 0; /* the zero time: unknown */
    /* years 1 to 9999 only: a crafted value must not overflow the conversion below */
    if (sec < 0 || sec > 315537897599LL)
        return -1;
    /* seconds since 0001-01-01 -> Unix seconds (the zone offset only changes the display) */
    husk_timespec t = {.sec = sec - 62135596800LL, .nsec = nsec, .present = 1};
    husk_log_time_format(&t, out, 40);
    return out[0] ? 0 : -1;
}

int husk_pb_any(const uint8_t *b, size_t n, const uint8_t **type_url, size_t *tlen,
                const uint8_t **value, size_t *vlen)
{
    size_t pos = 0;
    *type_url = *value = NULL;
    *tlen = *vlen = 0;
    while (pos < n) {
        uint64_t key, len;
        if (husk_pb_uvarint(b, n, &pos, &key) < 0)
            return -1;
        unsigned wire = key & 7;
        if (wire == 2) {
            if (husk_pb_uvarint(b, n, &pos, &len) < 0 || len > n - pos)
                return -1;
            if (key >> 3 == 1)
                *type_url = b + pos, *tlen = (size_t)len;
            else if (key >> 3 == 2)
                *value = b + pos, *vlen = (size_t)len;
            pos += (size_t)len;
        } else if (wire == 0) {
            if (husk_pb_uvarint(b, n, &pos, &len) < 0)
                return -1;
        } else if (wire == 1 || wire == 5) {
            size_t k = wire == 1 ? 8 : 4;
            if (k > n - pos)
                return -1;
            pos += k;
        } else {
            return -1;
        }
    }
    return 0;
}

/* ---- bbolt helpers -------------------------------------------------------------------- */

typedef struct ctx {
    const husk_docker_root *r;
    husk_casedb *db;
    husk_diag *diag;
    husk_err *err;
    husk_bolt *meta;
    char obj[600]; /* meta.db's node path, for reports */
    int snaps_ok;  /* the snapshotter's metadata.db was read whole */
    /* the overlayfs snapshotter's records */
    struct snap {
        char *name, *parent;
        uint64_t id;
        int kind;
    } *snaps;
    size_t nsnaps;
} ctx;

/* A value of bucket b as a NUL-terminated string (at most n-1 bytes); "" when absent. */
static const char *get_str(ctx *x, const husk_bolt_bucket *b, const char *key, char *out,
                           size_t n)
{
    husk_bolt_entry e;
    out[0] = '\0';
    if (husk_bolt_get(x->meta, b, key, strlen(key), &e, NULL) == 0 && !e.is_bucket) {
        size_t k = e.vlen < n - 1 ? e.vlen : n - 1;
        memcpy(out, e.val, k);
        out[k] = '\0';
        if (memchr(out, '\0', k))
            out[0] = '\0'; /* not a string */
    }
    return out;
}

static int get_raw(ctx *x, const husk_bolt_bucket *b, const char *key, const uint8_t **v,
                   size_t *n)
{
    husk_bolt_entry e;
    if (husk_bolt_get(x->meta, b, key, strlen(key), &e, NULL) < 0 || e.is_bucket)
        return -1;
    *v = e.val;
    *n = e.vlen;
    return 0;
}

static const char *get_time(ctx *x, const husk_bolt_bucket *b, const char *key, char out[40])
{
    const uint8_t *v;
    size_t n;
    out[0] = '\0';
    if (get_raw(x, b, key, &v, &n) == 0)
        husk_go_time(v, n, out);
    return out[0] ? out : NULL;
}

/* A JSON string from evidence bytes; invalid UTF-8 is kept escaped rather than dropped. */
static json_t *jstr(const uint8_t *s, size_t n)
{
    json_t *v = json_stringn((const char *)s, n);
    if (v)
        return v;
    husk_strbuf sb = HUSK_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        husk_sb_addf(&sb, s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' ? "%c" : "\\x%02x", s[i]);
    v = json_stringn(sb.buf ? sb.buf : "", sb.len);
    husk_sb_release(&sb);
    return v;
}

/* The key -> value pairs of sub-bucket name of b as a compact JSON object (NULL when absent). */
static char *bucket_json(ctx *x, const husk_bolt_bucket *b, const char *name, json_t **keep)
{
    husk_bolt_bucket sub;
    husk_bolt_cursor *c = NULL;
    if (husk_bolt_bucket_child(x->meta, b, name, strlen(name), &sub, NULL) < 0 ||
        husk_bolt_cursor_new(x->meta, &sub, &c, NULL) < 0)
        return NULL;
    json_t *o = json_object();
    husk_bolt_entry e;
    int r, k = 0;
    husk_err er = {0};
    while ((r = husk_bolt_cursor_next(c, &e, &er)) != 0 && k++ < MAX_ITEMS) {
        if (r < 0 || e.is_bucket)
            continue;
        json_t *key = jstr(e.key, e.klen);
        json_object_set_new(o, json_string_value(key), jstr(e.val, e.vlen));
        json_decref(key);
    }
    husk_bolt_cursor_free(c);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (keep)
        *keep = o;
    else
        json_decref(o);
    return s;
}

/* Calls fn for every sub-bucket of b (bounded). */
typedef int (*each_fn)(ctx *x, const char *ns, const char *name, const husk_bolt_bucket *b,
                       void *arg);
static int each_bucket(ctx *x, const husk_bolt_bucket *b, const char *ns, each_fn fn, void *arg)
{
    husk_bolt_cursor *c = NULL;
    husk_err e = {0};
    if (husk_bolt_cursor_new(x->meta, b, &c, &e) < 0)
        return e.code == HUSK_E_NOMEM ? husk_err_set(x->err, HUSK_E_NOMEM, "out of memory") : 0;
    husk_bolt_entry ent;
    int r, rc = 0, k = 0;
    while (rc == 0 && (r = husk_bolt_cursor_next(c, &ent, &e)) != 0) {
        if (r < 0) {
            husk_diag_report(x->diag, PHASE, x->obj, -1, "%s: %s", ns ? ns : "v1", e.msg);
            husk_err_clear(&e);
            continue;
        }
        if (!ent.bucket_ok || ent.klen == 0 || ent.klen > 4096 || memchr(ent.key, 0, ent.klen))
            continue;
        if (k++ >= MAX_ITEMS) {
            husk_diag_report(x->diag, PHASE, x->obj, -1, "%s: more than %d records; the rest "
                             "skipped", ns ? ns : "v1", MAX_ITEMS);
            break;
        }
        char name[4097];
        memcpy(name, ent.key, ent.klen);
        name[ent.klen] = '\0';
        rc = fn(x, ns, name, &ent.bucket, arg);
    }
    husk_bolt_cursor_free(c);
    return rc;
}

/*
 * One container record's pages. A live record is its bucket. A record rebuilt from meta.db's
 * free pages (recovered_from "bolt-free") is the leaf pages that held its keys, each opened as
 * a bucket of its own: a record too big for one leaf was split by bbolt, the spec on a leaf of
 * its own, so it comes back in up to two parts.
 */
typedef struct rec {
    husk_bolt_bucket part[2];
    int n;
    const char *recovered_from; /* NULL: live */
    double confidence;
} rec;

static const char *rec_str(ctx *x, const rec *r, const char *key, char *out, size_t n)
{
    for (int i = 0; i < r->n; i++)
        if (get_str(x, &r->part[i], key, out, n)[0])
            break;
    return out;
}

static const char *rec_time(ctx *x, const rec *r, const char *key, char out[40])
{
    for (int i = 0; i < r->n; i++)
        if (get_time(x, &r->part[i], key, out))
            return out;
    return NULL;
}

static int rec_child(ctx *x, const rec *r, const char *name, husk_bolt_bucket *out)
{
    for (int i = 0; i < r->n; i++)
        if (husk_bolt_bucket_child(x->meta, &r->part[i], name, strlen(name), out, NULL) == 0)
            return 0;
    return -1;
}

/* ---- snapshotter ------------------------------------------------------------------------ */

static int snap_cmp(const void *a, const void *b)
{
    return strcmp(((const struct snap *)a)->name, ((const struct snap *)b)->name);
}

static const struct snap *snap_find(ctx *x, const char *name)
{
    struct snap key = {.name = (char *)name};
    return x->nsnaps ? bsearch(&key, x->snaps, x->nsnaps, sizeof *x->snaps, snap_cmp) : NULL;
}

/* Loads the overlayfs snapshotter's metadata.db: backend name -> id, kind, parent. */
static void load_snapshotter(ctx *x)
{
    char *buf = NULL;
    size_t len = 0;
    husk_err e = {0};
    if (husk_docker_read(x->r, SNAP_DIR "/metadata.db", MAX_META, &buf, &len, &e) < 0)
        return;
    husk_bolt *db = NULL;
    const char *path[] = {"v1", "snapshots"};
    husk_bolt_bucket b;
    husk_bolt_cursor *c = NULL;
    if (husk_bolt_open((const uint8_t *)buf, len, &db, &e) < 0 ||
        husk_bolt_bucket_path(db, path, 2, &b, &e) < 0 || husk_bolt_cursor_new(db, &b, &c, &e) < 0) {
        husk_diag_report(x->diag, PHASE, SNAP_DIR "/metadata.db", -1, "%s", e.msg);
        husk_bolt_close(db);
        free(buf);
        return;
    }
    husk_bolt_entry ent;
    int r;
    size_t cap = 0;
    x->snaps_ok = 1;
    while ((r = husk_bolt_cursor_next(c, &ent, &e)) != 0) {
        if (x->nsnaps >= MAX_ITEMS) {
            x->snaps_ok = 0;
            break;
        }
        if (r < 0)
            x->snaps_ok = 0; /* a damaged page: some records are missing */
        if (r < 0 || !ent.bucket_ok || ent.klen > 4096 || memchr(ent.key, 0, ent.klen))
            continue;
        husk_bolt_entry v;
        uint64_t id;
        if (husk_bolt_get(db, &ent.bucket, "id", 2, &v, NULL) < 0 || uvarint_all(v.val, v.vlen, &id) < 0)
            continue;
        if (x->nsnaps == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct snap *p = realloc(x->snaps, nc * sizeof *p);
            if (!p) {
                x->snaps_ok = 0;
                break;
            }
            x->snaps = p, cap = nc;
        }
        struct snap *s = &x->snaps[x->nsnaps];
        s->name = strndup((const char *)ent.key, ent.klen);
        s->id = id;
        s->kind = husk_bolt_get(db, &ent.bucket, "kind", 4, &v, NULL) == 0 && v.vlen == 1 ? v.val[0] : 0;
        s->parent = husk_bolt_get(db, &ent.bucket, "parent", 6, &v, NULL) == 0 && !v.is_bucket &&
                            v.vlen < 4096
                        ? strndup((const char *)v.val, v.vlen)
                        : NULL;
        if (s->name)
            x->nsnaps++;
        else
            free(s->parent);
    }
    husk_bolt_cursor_free(c);
    husk_bolt_close(db);
    free(buf);
    qsort(x->snaps, x->nsnaps, sizeof *x->snaps, snap_cmp);
}

static const char *kind_name(int k)
{
    static const char *n[] = {"unknown", "view", "active", "committed"};
    return k >= 0 && k <= 3 ? n[k] : "unknown";
}

/* Resolves the layer chain of snapshot key in namespace ns: the upper is the snapshot itself,
 * the lowers its parents, nearest first, each the snapshots/<id>/fs directory. */
static int snap_chain(ctx *x, const char *ns, const char *key, husk_ovl_chain *ch, husk_err *err)
{
    memset(ch, 0, sizeof *ch);
    ch->how = "containerd snapshots";
    const char *path[] = {"v1", ns, "snapshots", "overlayfs", key};
    husk_bolt_bucket b;
    char name[4097];
    if (husk_bolt_bucket_path(x->meta, path, 5, &b, err) < 0)
        return -1;
    get_str(x, &b, "name", name, sizeof name);
    const struct snap *s = snap_find(x, name);
    for (size_t depth = 0; s; depth++) {
        husk_ovl_layer *l = depth == 0 ? &ch->upper : &ch->lower[ch->nlower];
        if (depth > HUSK_OVL_MAX_LOWERS)
            return husk_err_set(err, HUSK_E_LIMIT, "snapshot chain longer than %d",
                                HUSK_OVL_MAX_LOWERS);
        snprintf(l->id, sizeof l->id, "%s", depth == 0 ? key : s->name);
        snprintf(l->dir, sizeof l->dir, SNAP_DIR "/snapshots/%llu/fs", (unsigned long long)s->id);
        char full[1024];
        if (husk_docker_path(x->r, l->dir, full, sizeof full) < 0 ||
            husk_fs_lookup(x->r->fs, full, 0, &l->diff_ino, err) < 0)
            return -1;
        if (depth)
            ch->nlower++;
        const struct snap *p = s->parent ? snap_find(x, s->parent) : NULL;
        if (p == s)
            return husk_err_set(err, HUSK_E_FORMAT, "snapshot %s is its own parent", s->name);
        s = p;
    }
    if (!ch->upper.diff_ino)
        return husk_err_set(err, HUSK_E_NOTFOUND, "snapshot %s not in the snapshotter", name);
    return 0;
}

static void diff_of(ctx *x, const char *ns, const char *container_id, const char *key)
{
    husk_ovl_chain *ch = malloc(sizeof *ch);
    husk_err e = {0};
    if (!ch)
        return;
    if (snap_chain(x, ns, key, ch, &e) == 0)
        husk_diff_chain(x->r, container_id, ch, 1, NULL, x->db, x->diag, x->err);
    else
        husk_diag_report(x->diag, "diff", container_id, -1,
                         "snapshot %s of namespace %s: %s", key, ns, e.msg);
    free(ch);
}

/* ---- records ------------------------------------------------------------------------ */

static int snapshot_rec(ctx *x, const char *ns, const char *key, const husk_bolt_bucket *b,
                        void *sn)
{
    char name[4097], parent[4097], cr[40], up[40];
    get_str(x, b, "name", name, sizeof name);
    get_str(x, b, "parent", parent, sizeof parent);
    const struct snap *s = snap_find(x, name);
    char *labels = bucket_json(x, b, "labels", NULL);
    husk_row_ctrd_snapshot row = {x->r->db_id, ns, sn, key, parent[0] ? parent : NULL,
                                  name[0] ? name : NULL, s ? (int64_t)s->id : HUSK_NULL_INT,
                                  s ? kind_name(s->kind) : NULL, get_time(x, b, "createdat", cr),
                                  get_time(x, b, "updatedat", up), labels, "live"};
    int rc = husk_casedb_add_ctrd_snapshot(x->db, &row, x->err);
    free(labels);
    return rc;
}

static int snapshotter_rec(ctx *x, const char *ns, const char *sn, const husk_bolt_bucket *b,
                           void *arg)
{
    return each_bucket(x, b, ns, snapshot_rec, (void *)sn);
}

static int content_rec(ctx *x, const char *ns, const char *digest, const husk_bolt_bucket *b,
                       void *arg)
{
    char cr[40], up[40];
    const uint8_t *v;
    size_t n;
    int64_t size = HUSK_NULL_INT;
    if (get_raw(x, b, "size", &v, &n) == 0 && svarint(v, n, &size) < 0)
        size = HUSK_NULL_INT;
    char *labels = bucket_json(x, b, "labels", NULL);
    husk_row_ctrd_content row = {x->r->db_id, ns, digest, size, get_time(x, b, "createdat", cr),
                                 get_time(x, b, "updatedat", up), labels, "live"};
    int rc = husk_casedb_add_ctrd_content(x->db, &row, x->err);
    free(labels);
    return rc;
}

/* A lease's resources: {"snapshots": {"overlayfs": [keys]}, "content": [digests], ...}. */
static int lease_rec(ctx *x, const char *ns, const char *id, const husk_bolt_bucket *b, void *arg)
{
    char cr[40];
    char *labels = bucket_json(x, b, "labels", NULL);
    json_t *res = json_object();
    static const char *kinds[] = {"content", "ingests", "images"};
    for (int i = 0; i < 3; i++) {
        json_t *o = NULL;
        free(bucket_json(x, b, kinds[i], &o));
        if (o && json_object_size(o)) {
            json_t *a = json_array();
            const char *k;
            json_t *val;
            json_object_foreach(o, k, val) json_array_append_new(a, json_string(k));
            json_object_set_new(res, kinds[i], a);
        }
        json_decref(o);
    }
    husk_bolt_bucket sn;
    if (husk_bolt_bucket_child(x->meta, b, "snapshots", 9, &sn, NULL) == 0) {
        husk_bolt_cursor *c = NULL;
        husk_bolt_entry e;
        json_t *so = json_object();
        int k = 0;
        if (husk_bolt_cursor_new(x->meta, &sn, &c, NULL) == 0) {
            while (husk_bolt_cursor_next(c, &e, NULL) > 0 && k++ < 64) {
                if (!e.bucket_ok || e.klen > 256)
                    continue;
                char name[257];
                snprintf(name, sizeof name, "%.*s", (int)e.klen, (const char *)e.key);
                json_t *keys = NULL;
                free(bucket_json(x, &sn, name, &keys));
                json_t *a = json_array();
                const char *kk;
                json_t *val;
                json_object_foreach(keys, kk, val) json_array_append_new(a, json_string(kk));
                json_decref(keys);
                json_object_set_new(so, name, a);
            }
            husk_bolt_cursor_free(c);
        }
        json_object_set_new(res, "snapshots", so);
    }
    char *resources = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(res);
    husk_row_ctrd_lease row = {x->r->db_id, ns, id, get_time(x, b, "createdat", cr), labels,
                               resources, "live"};
    int rc = husk_casedb_add_ctrd_lease(x->db, &row, x->err);
    free(labels);
    free(resources);
    return rc;
}

/* ---- images ------------------------------------------------------------------------- */

/* Reads a content blob by digest ("sha256:<64 hex>"), parsed as JSON. */
static json_t *blob_json(ctx *x, const char *digest, int64_t *size)
{
    if (strncmp(digest, "sha256:", 7) != 0 || !husk_is_hex64(digest + 7, strlen(digest + 7)))
        return NULL;
    char rel[128], *buf = NULL;
    size_t len = 0;
    snprintf(rel, sizeof rel, CONTENT "/sha256/%s", digest + 7);
    if (husk_docker_read(x->r, rel, MAX_BLOB, &buf, &len, NULL) < 0)
        return NULL;
    char hex[65];
    husk_sha256_hex(buf, len, hex);
    json_t *j = strcmp(hex, digest + 7) == 0 ? json_loadb(buf, len, 0, NULL) : NULL;
    if (j && size)
        *size += (int64_t)len;
    if (strcmp(hex, digest + 7) != 0)
        husk_diag_report(x->diag, PHASE, rel, -1, "content does not hash to its digest");
    free(buf);
    return j;
}

/* An image name's config digest: target -> (index ->) manifest -> config. *size: the image's
 * content as containerd counts it (crictl images' SIZE): the index and manifest it goes
 * through, the config, and the layers' sizes as the manifest gives them; -1 when a part is
 * missing. */
static json_t *image_config(ctx *x, const char *target, char cfg_digest[80], int64_t *size)
{
    *size = 0;
    json_t *m = blob_json(x, target, size);
    cfg_digest[0] = '\0';
    for (int hops = 0; m && hops < 4; hops++) {
        json_t *manifests = json_object_get(m, "manifests");
        if (json_is_array(manifests)) { /* an index: linux/amd64, else the first */
            const char *pick = NULL;
            size_t i;
            json_t *d;
            json_array_foreach(manifests, i, d)
            {
                const char *dg = json_string_value(json_object_get(d, "digest"));
                const char *os = husk_json_str(d, "platform.os");
                const char *arch = husk_json_str(d, "platform.architecture");
                if (!pick || (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")))
                    pick = dg;
            }
            json_t *next = pick ? blob_json(x, pick, size) : NULL;
            json_decref(m);
            m = next;
            continue;
        }
        const char *c = husk_json_str(m, "config.digest");
        json_t *cfg = c ? blob_json(x, c, size) : NULL;
        if (cfg)
            snprintf(cfg_digest, 80, "%s", c);
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(m, "layers"), i, l)
        {
            json_int_t ls = json_integer_value(json_object_get(l, "size"));
            if (!json_is_integer(json_object_get(l, "size")) || ls < 0 || ls > ((json_int_t)1 << 50) ||
                (*size >= 0 && *size > INT64_MAX - ls))
                *size = -1;
            else if (*size >= 0)
                *size += ls;
        }
        json_decref(m);
        return cfg;
    }
    json_decref(m);
    return NULL;
}

static int image_rec(ctx *x, const char *ns, const char *name, const husk_bolt_bucket *b,
                     void *arg)
{
    husk_bolt_bucket t;
    char target[160] = "", cr[40], up[40], cfgd[80];
    if (husk_bolt_bucket_child(x->meta, b, "target", 6, &t, NULL) == 0)
        get_str(x, &t, "digest", target, sizeof target);
    int64_t content_size = -1;
    json_t *cfg = target[0] ? image_config(x, target, cfgd, &content_size) : NULL;
    if (!cfg) {
        husk_diag_report(x->diag, PHASE, name, -1,
                         "image %s (namespace %s): its manifest or config is not in the content "
                         "store",
                         name, ns);
        return 0;
    }
    /* Docker on the containerd image store names an image by its target (manifest or index)
     * digest, as `docker images` shows it and config.v2.json's Image holds; the CRI and ctr by
     * its config digest. One row per ID; names of all namespaces gathered. */
    if (!strcmp(ns, "moby") && strncmp(target, "sha256:", 7) == 0)
        snprintf(cfgd, sizeof cfgd, "%s", target);
    sqlite3 *s = husk_casedb_sqlite(x->db);
    sqlite3_stmt *st = NULL;
    json_t *tags = json_array(), *digests = json_array();
    int known = 0; /* the same image under another name: its history is written already */
    if (sqlite3_prepare_v2(s, "SELECT repo_tags, repo_digests FROM images WHERE id = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, cfgd, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            known = 1;
            json_t *a = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            json_t *d = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
            if (json_is_array(a))
                json_array_extend(tags, a);
            if (json_is_array(d))
                json_array_extend(digests, d);
            json_decref(a);
            json_decref(d);
        }
        sqlite3_finalize(st);
    }
    /* "sha256:<config>" is CRI's name for the image by ID, and "moby-dangling@<digest>" Docker's
     * for an image without a tag (docker images shows <none>) */
    if (strncmp(name, "sha256:", 7) != 0 && strncmp(name, "moby-dangling@", 14) != 0) {
        /* Docker shows its references in their familiar form: "husk/web:2.3", not
         * "docker.io/husk/web:2.3" (reference.FamiliarString) */
        const char *shown = name;
        if (!strcmp(ns, "moby") && !strncmp(shown, "docker.io/", 10)) {
            shown += 10;
            if (!strncmp(shown, "library/", 8))
                shown += 8;
        }
        json_array_append_new(tags, json_string(shown));
        char rd[600];
        snprintf(rd, sizeof rd, "%.*s@%s", (int)strcspn(shown, ":@"), shown, target);
        if (strcmp(ns, "moby") != 0) /* Docker shows no digest for an image it did not pull */
            json_array_append_new(digests, json_string(rd));
    }
    char *tj = json_dumps(tags, JSON_COMPACT), *dj = json_dumps(digests, JSON_COMPACT);
    char *cj = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char created[40];
    husk_row_image row = {
        .id = cfgd,
        .repo_tags = tj,
        .created = husk_rfc3339_norm(husk_json_str(cfg, "created"), created, sizeof created),
        .os = husk_json_str(cfg, "os"),
        .architecture = husk_json_str(cfg, "architecture"),
        .config_json = cj,
        .recovered_from = "live",
        .repo_digests = dj,
        .last_updated = get_time(x, b, "updatedat", up),
        /* Docker on the containerd store counts an image's unpacked snapshots instead: its
         * figure is not this one, so moby's images keep none */
        .size = content_size >= 0 && strcmp(ns, "moby") != 0 ? content_size : HUSK_NULL_INT,
        .digest_ok = 1,
        .data_root_id = x->r->db_id,
    };
    (void)get_time(x, b, "createdat", cr);
    int rc = husk_casedb_add_image(x->db, &row, x->err);
    /* its build history (docker history), each non-empty step with the chain ID of the layer
     * it made, from the config's rootfs.diff_ids */
    json_t *hist = json_object_get(cfg, "history"), *diffs = husk_json_get(cfg, "rootfs.diff_ids");
    size_t idx, li = 0;
    json_t *h;
    char chain[80] = "";
    json_array_foreach(hist, idx, h)
    {
        if (rc < 0 || known)
            break;
        int empty = json_is_true(json_object_get(h, "empty_layer"));
        const char *d = empty ? NULL : json_string_value(json_array_get(diffs, li));
        if (d) { /* ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)) */
            if (!chain[0]) {
                snprintf(chain, sizeof chain, "%s", d);
            } else {
                char buf[200], hex[65];
                int k = snprintf(buf, sizeof buf, "%s %s", chain, d);
                husk_sha256_hex(buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1, hex);
                snprintf(chain, sizeof chain, "sha256:%s", hex);
            }
            li++;
        }
        char hc[40];
        husk_row_history hr = {cfgd, (int64_t)idx,
                               husk_rfc3339_norm(husk_json_str(h, "created"), hc, sizeof hc),
                               husk_json_str(h, "created_by"), empty, husk_json_str(h, "comment"),
                               HUSK_NULL_INT, d ? chain : NULL};
        rc = husk_casedb_add_history(x->db, &hr, x->err);
    }
    free(tj);
    free(dj);
    free(cj);
    json_decref(tags);
    json_decref(digests);
    json_decref(cfg);
    return rc;
}

/* ---- containers ----------------------------------------------------------------------- */

/* Docker's default capability set (oci/caps/defaults.go): cap_add and cap_drop are the
 * differences of a spec's bounding set from it, as Docker's HostConfig would say them. */
static const char *const default_caps[] = {
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
    "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"};
#define NDEFAULT (sizeof default_caps / sizeof default_caps[0])

static void caps_diff(json_t *bounding, char **add, char **drop)
{
    json_t *a = json_array(), *d = json_array();
    int have[NDEFAULT] = {0};
    size_t i;
    json_t *c;
    json_array_foreach(bounding, i, c)
    {
        const char *s = json_string_value(c);
        if (!s)
            continue;
        if (!strncmp(s, "CAP_", 4))
            s += 4;
        size_t k;
        for (k = 0; k < NDEFAULT && strcmp(s, default_caps[k]); k++)
            ;
        if (k < NDEFAULT)
            have[k] = 1;
        else
            json_array_append_new(a, json_string(s));
    }
    for (size_t k = 0; bounding && k < NDEFAULT; k++)
        if (!have[k])
            json_array_append_new(d, json_string(default_caps[k]));
    *add = json_array_size(a) ? json_dumps(a, JSON_COMPACT) : NULL;
    *drop = json_array_size(d) ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(a);
    json_decref(d);
}

/* "host" when the spec gives the container no namespace of this type (it shares the host's). */
static const char *ns_mode(json_t *spec, const char *type)
{
    json_t *nss = husk_json_get(spec, "linux.namespaces");
    if (!json_is_array(nss))
        return NULL;
    size_t i;
    json_t *n;
    json_array_foreach(nss, i, n)
    {
        const char *t = json_string_value(json_object_get(n, "type"));
        if (t && !strcmp(t, type))
            return json_string_value(json_object_get(n, "path")) ? "container" : "private";
    }
    return "host";
}

static char *dump(json_t *j)
{
    return j && !json_is_null(j) ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
}

/* The JSON inside an Any value (spec, CRI metadata). */
static json_t *any_json(ctx *x, const husk_bolt_bucket *b, const char *key)
{
    const uint8_t *v, *t, *val;
    size_t n, tl, vl;
    if (get_raw(x, b, key, &v, &n) < 0 || n > MAX_VALUE || husk_pb_any(v, n, &t, &tl, &val, &vl) < 0 ||
        !val)
        return NULL;
    return json_loadb((const char *)val, vl, 0, NULL);
}

static json_t *rec_any(ctx *x, const rec *r, const char *key)
{
    json_t *j = NULL;
    for (int i = 0; !j && i < r->n; i++)
        j = any_json(x, &r->part[i], key);
    return j;
}

static json_t *extension(ctx *x, const rec *r, const char *name)
{
    husk_bolt_bucket ext;
    if (rec_child(x, r, "extensions", &ext) < 0)
        return NULL;
    return any_json(x, &ext, name);
}

static char *rec_bucket_json(ctx *x, const rec *r, const char *name, json_t **keep)
{
    char *s = NULL;
    for (int i = 0; !s && i < r->n; i++)
        s = bucket_json(x, &r->part[i], name, keep);
    return s;
}

/* A CRI annotation of an OCI spec ("io.kubernetes.cri.sandbox-id"). */
static const char *annotation(json_t *spec, const char *key)
{
    return json_string_value(json_object_get(json_object_get(spec, "annotations"), key));
}

/* The CRI status checkpoint of a container (state, times, exit code, pid). */
static json_t *cri_status(ctx *x, const char *id)
{
    if (strlen(id) > 128 || strchr(id, '/') || !strcmp(id, "..") || !strcmp(id, "."))
        return NULL;
    char rel[256], *buf = NULL;
    size_t len = 0;
    snprintf(rel, sizeof rel, CRI_DIR "/containers/%s/status", id);
    if (husk_docker_read(x->r, rel, MAX_STATUS, &buf, &len, NULL) < 0)
        return NULL;
    json_t *j = json_loadb(buf, len, 0, NULL);
    free(buf);
    return j;
}

const char *husk_cri_status_time(json_t *status, const char *key, char out[40])
{
    json_int_t v = json_integer_value(json_object_get(status, key));
    out[0] = '\0';
    if (v > 0) {
        husk_timespec t = husk_log_time_from_ns((int64_t)v);
        husk_log_time_format(&t, out, 40);
    }
    return out[0] ? out : NULL;
}

static int write_mounts(ctx *x, const char *id, json_t *spec, char **binds)
{
    json_t *mounts = json_object_get(spec, "mounts"), *bl = json_array();
    size_t i;
    json_t *m;
    int rc = 0;
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *src = json_string_value(json_object_get(m, "source"));
        const char *dst = json_string_value(json_object_get(m, "destination"));
        json_t *opts = json_object_get(m, "options");
        int rw = 1, bind = type && !strcmp(type, "bind");
        const char *prop = NULL;
        size_t k;
        json_t *o;
        json_array_foreach(opts, k, o)
        {
            const char *s = json_string_value(o);
            if (!s)
                continue;
            if (!strcmp(s, "ro"))
                rw = 0;
            if (!strcmp(s, "bind") || !strcmp(s, "rbind"))
                bind = 1;
            if (strstr(s, "private") || strstr(s, "shared") || strstr(s, "slave"))
                prop = s;
        }
        husk_row_mount row = {id, bind ? "bind" : type, src, dst, rw, prop, NULL};
        if ((rc = husk_casedb_add_mount(x->db, &row, x->err)) < 0)
            break;
        if (bind && src && dst) {
            char b[8300];
            snprintf(b, sizeof b, "%s:%s%s", src, dst, rw ? "" : ":ro");
            json_array_append_new(bl, json_string(b));
        }
    }
    *binds = json_array_size(bl) ? json_dumps(bl, JSON_COMPACT) : NULL;
    json_decref(bl);
    return rc;
}

/* 1 when the case already holds container id. */
static int id_known(ctx *x, const char *id)
{
    sqlite3_stmt *st = NULL;
    int known = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db), "SELECT 1 FROM containers WHERE id = ?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return known;
}

static int container_write(ctx *x, const char *ns, const char *id, const rec *r)
{
    /* Docker's own containers (namespace moby) are written from config.v2.json by the Docker
     * reader; here they only get their diff */
    if (id_known(x, id))
        return 0;
    char image[1024], snapshotter[64], key[1024], sandbox[256], runtime[256], cr[40], up[40];
    rec_str(x, r, "image", image, sizeof image);
    rec_str(x, r, "snapshotter", snapshotter, sizeof snapshotter);
    rec_str(x, r, "snapshotKey", key, sizeof key);
    rec_str(x, r, "sandboxid", sandbox, sizeof sandbox);
    husk_bolt_bucket rt;
    runtime[0] = '\0';
    if (rec_child(x, r, "runtime", &rt) == 0)
        get_str(x, &rt, "name", runtime, sizeof runtime);
    json_t *labels = NULL;
    char *labels_s = rec_bucket_json(x, r, "labels", &labels);
    json_t *spec = rec_any(x, r, "spec");
    json_t *meta = extension(x, r, "io.cri-containerd.container.metadata");
    json_t *smeta = extension(x, r, "io.cri-containerd.sandbox.metadata");
    json_t *status = r->recovered_from ? NULL : cri_status(x, id);
    json_t *md = json_object_get(meta ? meta : smeta, "Metadata");
    const char *md_id = json_string_value(json_object_get(md, "ID"));
    if (r->recovered_from && md && (!md_id || strcmp(md_id, id) != 0)) {
        /* the extensions page of a removed record was reused since: not this container's */
        md = NULL;
    }
    const char *kind = json_string_value(json_object_get(labels, "io.cri-containerd.kind"));
    const char *pod_uid = json_string_value(json_object_get(labels, "io.kubernetes.pod.uid"));
    /* the container's name as the kubelet gave it ("web"); for a sandbox, the pod's name; else
     * CRI's long form ("web_<pod>_<ns>_<uid>_<attempt>") */
    const char *name = json_string_value(json_object_get(labels, "io.kubernetes.container.name"));
    if (kind && !strcmp(kind, "sandbox"))
        name = json_string_value(json_object_get(labels, "io.kubernetes.pod.name"));
    if (!name)
        name = json_string_value(json_object_get(md, "Name"));
    /* a record from free pages may have lost its labels page: the CRI plugin also put the pod's
     * and the container's names into the spec's annotations */
    if (!kind)
        kind = annotation(spec, "io.kubernetes.cri.container-type");
    if (!pod_uid)
        pod_uid = annotation(spec, "io.kubernetes.cri.sandbox-uid");
    if (!name)
        name = annotation(spec, kind && !strcmp(kind, "sandbox") ? "io.kubernetes.cri.sandbox-name"
                                                                 : "io.kubernetes.cri.container-name");

    json_t *args = husk_json_get(spec, "process.args");
    json_t *rest = json_array();
    for (size_t i = 1; i < json_array_size(args); i++)
        json_array_append(rest, json_array_get(args, i));
    char *bounding_add = NULL, *bounding_drop = NULL;
    caps_diff(husk_json_get(spec, "process.capabilities.bounding"), &bounding_add, &bounding_drop);
    json_t *sec = json_array();
    if (spec && !husk_json_get(spec, "linux.seccomp"))
        json_array_append_new(sec, json_string("seccomp=unconfined"));
    const char *aa = husk_json_str(spec, "process.apparmorProfile");
    if (aa && !strcmp(aa, "unconfined"))
        json_array_append_new(sec, json_string("apparmor=unconfined"));
    int64_t privileged = HUSK_NULL_INT;
    json_t *sc = husk_json_get(md, "Config.linux.security_context");
    if (json_is_boolean(json_object_get(sc, "privileged")))
        privileged = json_is_true(json_object_get(sc, "privileged"));
    else if (md)
        privileged = 0;

    char started[40], finished[40], created2[40];
    const char *state = r->recovered_from ? "removed" : "unknown";
    if (status) {
        state = husk_cri_status_time(status, "FinishedAt", finished)  ? "exited"
                : husk_cri_status_time(status, "StartedAt", started) ? "running"
                                                          : "created";
        husk_cri_status_time(status, "StartedAt", started);
        husk_cri_status_time(status, "FinishedAt", finished);
        husk_cri_status_time(status, "CreatedAt", created2);
    } else {
        started[0] = finished[0] = created2[0] = '\0';
    }
    char *env = dump(husk_json_get(spec, "process.env")), *argv_rest = dump(rest);
    char *devices = dump(husk_json_get(spec, "linux.devices"));
    char *masked = dump(husk_json_get(spec, "linux.maskedPaths"));
    char *spec_s = dump(spec), *sec_s = json_array_size(sec) ? dump(sec) : NULL;
    char user[64] = "";
    json_t *u = husk_json_get(spec, "process.user");
    if (u)
        snprintf(user, sizeof user, "%lld:%lld",
                 (long long)json_integer_value(json_object_get(u, "uid")),
                 (long long)json_integer_value(json_object_get(u, "gid")));
    char *binds = NULL;
    int rc = write_mounts(x, id, spec, &binds);
    json_t *pid = json_object_get(status, "Pid"), *exitc = json_object_get(status, "ExitCode");
    husk_row_container row = {
        .id = id,
        .name = name,
        .image_ref = image[0] ? image : annotation(spec, "io.kubernetes.cri.image-name"),
        .created = created2[0] ? created2 : rec_time(x, r, "createdat", cr),
        .started_at = started[0] ? started : NULL,
        .finished_at = finished[0] ? finished : NULL,
        .state = state,
        .exit_code = exitc ? json_integer_value(exitc) : HUSK_NULL_INT,
        .pid = pid ? json_integer_value(pid) : HUSK_NULL_INT,
        .restart_count = HUSK_NULL_INT,
        .driver = snapshotter[0] ? snapshotter : NULL,
        .rw_layer = key[0] ? key : NULL,
        .path = json_string_value(json_array_get(args, 0)),
        .args = argv_rest,
        .env = env,
        .user = user[0] ? user : NULL,
        .working_dir = husk_json_str(spec, "process.cwd"),
        .labels = labels_s,
        .log_driver = json_string_value(json_object_get(md, "LogPath")) ? "cri" : NULL,
        .privileged = privileged,
        .pid_mode = ns_mode(spec, "pid"),
        .ipc_mode = ns_mode(spec, "ipc"),
        .network_mode = ns_mode(spec, "network"),
        /* no user namespace is the default for every runtime (Docker's UsernsMode ""), not a
         * request for the host's */
        .userns_mode = !strcmp(ns_mode(spec, "user") ? ns_mode(spec, "user") : "", "host")
                           ? NULL
                           : ns_mode(spec, "user"),
        .cgroupns_mode = ns_mode(spec, "cgroup"),
        .uts_mode = ns_mode(spec, "uts"),
        .cap_add = bounding_add,
        .cap_drop = bounding_drop,
        .security_opt = sec_s,
        .devices = devices,
        .masked_paths = masked,
        .readonly_rootfs = json_is_true(husk_json_get(spec, "root.readonly")),
        .binds = binds,
        .config_json = spec_s,
        .recovered_from = r->recovered_from ? r->recovered_from : "live",
        .confidence = r->recovered_from ? r->confidence : 1.0,
        .data_root_id = x->r->db_id,
        .runtime = "containerd",
        .ns = ns,
        .pod_uid = pod_uid,
        .sandbox_id = sandbox[0]                                     ? sandbox
                      : json_string_value(json_object_get(md, "SandboxID")) ? json_string_value(json_object_get(md, "SandboxID"))
                                                                   : annotation(spec, "io.kubernetes.cri.sandbox-id"),
    };
    (void)rec_time(x, r, "updatedat", up);
    if (rc == 0)
        rc = husk_casedb_add_container(x->db, &row, x->err);
    /* a CRI sandbox is a pod */
    if (rc == 0 && kind && !strcmp(kind, "sandbox") && pod_uid) {
        json_t *pc = json_object_get(md, "Config");
        json_t *nso = husk_json_get(pc, "linux.security_context.namespace_options");
        char *pl = dump(json_object_get(pc, "labels")), *pa = dump(json_object_get(pc, "annotations"));
        char *pcs = dump(md);
        /* NamespaceMode: 0 POD, 1 CONTAINER, 2 NODE (the host's) */
        const char *pname = json_string_value(json_object_get(labels, "io.kubernetes.pod.name"));
        const char *pns = json_string_value(json_object_get(labels, "io.kubernetes.pod.namespace"));
        const char *logdir = json_string_value(json_object_get(pc, "log_directory"));
        husk_row_pod pod = {
            .uid = pod_uid,
            .name = pname ? pname : annotation(spec, "io.kubernetes.cri.sandbox-name"),
            .ns = pns ? pns : annotation(spec, "io.kubernetes.cri.sandbox-namespace"),
            .sandbox_id = id,
            .created = row.created,
            .state = state,
            .hostname = json_string_value(json_object_get(pc, "hostname")),
            .log_directory = logdir ? logdir : annotation(spec, "io.kubernetes.cri.sandbox-log-directory"),
            /* without the CRI metadata (a removed sandbox's), the spec's namespaces say it */
            .host_network = nso ? json_integer_value(json_object_get(nso, "network")) == 2
                                : !strcmp(row.network_mode ? row.network_mode : "", "host"),
            .host_pid = nso ? json_integer_value(json_object_get(nso, "pid")) == 2
                            : !strcmp(row.pid_mode ? row.pid_mode : "", "host"),
            .host_ipc = nso ? json_integer_value(json_object_get(nso, "ipc")) == 2
                            : !strcmp(row.ipc_mode ? row.ipc_mode : "", "host"),
            .labels = pl,
            .annotations = pa,
            .config_json = pcs,
            .recovered_from = row.recovered_from,
            .confidence = row.confidence,
            .data_root_id = x->r->db_id,
        };
        rc = husk_casedb_add_pod(x->db, &pod, x->err);
        free(pl);
        free(pa);
        free(pcs);
    }
    if (rc == 0 && key[0] && !strcmp(snapshotter, "overlayfs") && !r->recovered_from)
        diff_of(x, ns, id, key);
    const char *log_path = json_string_value(json_object_get(md, "LogPath"));
    if (rc == 0 && log_path && log_path[0] == '/') {
        husk_prov live = {"live", 1.0};
        rc = husk_cri_logs(x->r->fs, log_path, id, &live, x->db, x->diag, x->err);
    }
    free(binds);
    free(env);
    free(argv_rest);
    free(devices);
    free(masked);
    free(spec_s);
    free(sec_s);
    free(bounding_add);
    free(bounding_drop);
    free(labels_s);
    json_decref(labels);
    json_decref(rest);
    json_decref(sec);
    json_decref(spec);
    json_decref(meta);
    json_decref(smeta);
    json_decref(status);
    return rc;
}

static int container_rec(ctx *x, const char *ns, const char *id, const husk_bolt_bucket *b,
                         void *arg)
{
    (void)arg;
    rec r = {.part = {*b}, .n = 1};
    return container_write(x, ns, id, &r);
}

/* ---- the walk --------------------------------------------------------------------------- */

static int namespace_rec(ctx *x, const char *unused, const char *ns, const husk_bolt_bucket *b,
                         void *arg)
{
    static const struct {
        const char *bucket;
        each_fn fn;
    } parts[] = {{"images", image_rec},       {"snapshots", snapshotter_rec},
                 {"content", NULL},           {"leases", lease_rec},
                 {"containers", container_rec}};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof parts[0]; i++) {
        husk_bolt_bucket sub, blob;
        if (husk_bolt_bucket_child(x->meta, b, parts[i].bucket, strlen(parts[i].bucket), &sub,
                                   NULL) < 0)
            continue;
        if (!parts[i].fn) { /* content/blob/<digest> */
            if (husk_bolt_bucket_child(x->meta, &sub, "blob", 4, &blob, NULL) == 0)
                rc = each_bucket(x, &blob, ns, content_rec, NULL);
            continue;
        }
        rc = each_bucket(x, &sub, ns, parts[i].fn, NULL);
    }
    return rc;
}

/* ---- removed containers from meta.db's free pages ------------------------------------------ */

/* A free leaf page that held part of a container record. */
struct free_part {
    uint64_t pgid;
    int has_spec;
    char key[160];  /* its snapshotKey, when the page holds one */
    char id[65];    /* a spec page: the container ID from the spec's cgroupsPath */
    char upd[40];   /* a spec page: its updatedat */
};

typedef struct free_scan {
    struct free_part *v;
    size_t n, cap;
    int nomem;
} free_scan;

static struct free_part *free_part_of(free_scan *f, uint64_t pgid)
{
    if (f->n && f->v[f->n - 1].pgid == pgid) /* the scan reports a page's elements together */
        return &f->v[f->n - 1];
    if (f->n >= MAX_ITEMS)
        return NULL;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 32;
        void *p = realloc(f->v, nc * sizeof *f->v);
        if (!p) {
            f->nomem = 1;
            return NULL;
        }
        f->v = p, f->cap = nc;
    }
    struct free_part *fp = &f->v[f->n++];
    memset(fp, 0, sizeof *fp);
    fp->pgid = pgid;
    return fp;
}

/* Top-level elements of free leaves named "spec" or "snapshotKey": the pages of container
 * records (containerd's containers.go writes both keys into every container's bucket). */
static int free_cb(const husk_bolt_entry *e, void *arg)
{
    free_scan *f = arg;
    if (e->parent || e->is_bucket || e->pgid == 0)
        return 0;
    int spec = e->klen == 4 && !memcmp(e->key, "spec", 4);
    int key = e->klen == 11 && !memcmp(e->key, "snapshotKey", 11);
    if (!spec && !key)
        return 0;
    struct free_part *fp = free_part_of(f, e->pgid);
    if (!fp)
        return 0;
    if (spec)
        fp->has_spec = 1;
    if (key && e->vlen > 0 && e->vlen < sizeof fp->key && !memchr(e->val, 0, e->vlen)) {
        memcpy(fp->key, e->val, e->vlen);
        fp->key[e->vlen] = '\0';
    }
    return 0;
}

/* The container ID at the end of an OCI spec's cgroupsPath: the CRI plugin and Docker both
 * name the container's cgroup after it ("/kubepods/besteffort/pod<uid>/<id>",
 * "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>", "system.slice:docker:<id>").
 * Only a 64-hex name is taken. */
static int spec_cgroup_id(json_t *spec, char id[65])
{
    const char *cg = husk_json_str(spec, "linux.cgroupsPath");
    if (!cg)
        return -1;
    const char *a = strrchr(cg, '/'), *b = strrchr(cg, ':');
    const char *t = a > b ? a : b;
    t = t ? t + 1 : cg;
    if (strlen(t) != 64 || strspn(t, "0123456789abcdef") != 64)
        return -1;
    memcpy(id, t, 65);
    return 0;
}

/* Spec pages first, by ID, the copy updated last first; then the other pages by snapshotKey. */
static int free_part_cmp(const void *a, const void *b)
{
    const struct free_part *x = a, *y = b;
    if (x->has_spec != y->has_spec)
        return y->has_spec - x->has_spec;
    if (!x->has_spec)
        return strcmp(x->key, y->key);
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    c = strcmp(y->upd, x->upd);
    return c ? c : (x->pgid < y->pgid) - (x->pgid > y->pgid);
}


/*
 * Containers and pod sandboxes that are no longer in meta.db but whose record survives on its
 * free pages (recovered_from "bolt-free"). bbolt copies every page it changes and frees the old
 * copy, so the last version of a removed container's record often outlives the removal until
 * containerd reuses the page. The spec's leaf names the container through its cgroupsPath (and
 * the CRI annotations name its pod); the leaf with the other keys (image, labels, runtime,
 * extensions) is matched to it by its snapshotKey, which the CRI plugin and Docker set to the
 * container ID. Older copies of records that are still live are skipped; of several copies of a
 * removed one, the one updated last is kept. Specs are parsed a fixed number of times each and the
 * pages are sorted, so a crafted file with many free pages costs n log n, not n squared.
 */
static int free_containers(ctx *x)
{
    free_scan f = {0};
    husk_err e = {0};
    unsigned damaged = 0;
    if (husk_bolt_scan_free(x->meta, free_cb, &f, &damaged, &e) < 0)
        husk_diag_report(x->diag, "recovery", x->obj, -1, "free-page scan: %s", e.msg);
    if (f.nomem) {
        free(f.v);
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < f.n; i++) {
        if (!f.v[i].has_spec)
            continue;
        rec r = {.n = 1};
        r.part[0].root = f.v[i].pgid;
        json_t *spec = rec_any(x, &r, "spec");
        if (!spec || spec_cgroup_id(spec, f.v[i].id) < 0)
            f.v[i].has_spec = 0; /* not a container's spec: keep it out */
        else
            rec_time(x, &r, "updatedat", f.v[i].upd);
        json_decref(spec);
    }
    if (f.n)
        qsort(f.v, f.n, sizeof *f.v, free_part_cmp);
    size_t nspec = 0;
    while (nspec < f.n && f.v[nspec].has_spec)
        nspec++;
    husk_bolt_info bi;
    husk_bolt_get_info(x->meta, &bi);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nspec; i++) {
        const char *id = f.v[i].id;
        if ((i > 0 && !strcmp(f.v[i - 1].id, id)) || id_known(x, id))
            continue; /* an older copy, or a record that is still live */
        rec r = {.n = 1, .recovered_from = "bolt-free", .confidence = 0.6};
        r.part[0].root = f.v[i].pgid;
        /* the record's other leaf, when it survived too */
        struct free_part key = {0};
        snprintf(key.key, sizeof key.key, "%s", id);
        const struct free_part *o =
            f.n > nspec ? bsearch(&key, f.v + nspec, f.n - nspec, sizeof *f.v, free_part_cmp) : NULL;
        if (o) {
            r.part[1].root = o->pgid;
            r.n = 2;
            r.confidence = 0.7;
        }
        json_t *spec = rec_any(x, &r, "spec");
        const char *ns = annotation(spec, "io.kubernetes.cri.container-type") ? "k8s.io" : NULL;
        char other[160];
        if (o)
            snprintf(other, sizeof other, " and page %llu (image, labels, runtime; matched by its "
                     "snapshotKey)", (unsigned long long)o->pgid);
        else
            snprintf(other, sizeof other, "; the page with its image, labels and extensions was "
                     "not found");
        husk_diag_report(x->diag, "recovery", x->obj, (int64_t)(f.v[i].pgid * bi.page_size),
                         "container %s: record rebuilt from free meta.db page %llu (spec; the ID "
                         "from its cgroupsPath)%s",
                         id, (unsigned long long)f.v[i].pgid, other);
        json_decref(spec);
        rc = container_write(x, ns, id, &r);
    }
    free(f.v);
    return rc;
}

/*
 * containerd 1.6 keeps a sandbox's state in memory only, so a live sandbox comes out "unknown".
 * One direction can be inferred from the disk: a sandbox one of whose containers was running
 * (its CRI status file says started, not finished) had its pause container running, i.e. it
 * was ready. Such a sandbox becomes "running" and its pod "ready"; the others stay unknown.
 */
static int sandbox_states(ctx *x)
{
    static const char *const sql[] = {
        "UPDATE pods SET state = 'ready' WHERE state = 'unknown' AND recovered_from = 'live' AND "
        "data_root_id = ?1 AND EXISTS (SELECT 1 FROM containers c WHERE c.sandbox_id = "
        "pods.sandbox_id AND c.id <> pods.sandbox_id AND c.state = 'running')",
        "UPDATE containers SET state = 'running' WHERE state = 'unknown' AND runtime = "
        "'containerd' AND data_root_id = ?1 AND id = sandbox_id AND EXISTS (SELECT 1 FROM pods p "
        "WHERE p.sandbox_id = containers.id AND p.state = 'ready')"};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db), sql[i], -1, &st, NULL) != SQLITE_OK)
            return husk_err_set(x->err, HUSK_E_DB, "case database: %s",
                                sqlite3_errmsg(husk_casedb_sqlite(x->db)));
        sqlite3_bind_int64(st, 1, x->r->db_id);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_DONE)
            return husk_err_set(x->err, HUSK_E_DB, "case database: %s",
                                sqlite3_errmsg(husk_casedb_sqlite(x->db)));
    }
    return 0;
}

/* Docker containers on the containerd image store: their RW snapshot is keyed by the
 * container ID in namespace moby, whether or not a containerd container record exists. */
static int docker_diffs(ctx *x)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "SELECT c.id FROM containers c WHERE c.runtime = 'docker' AND "
                           "c.driver = 'overlayfs' AND NOT EXISTS (SELECT 1 FROM files f WHERE "
                           "f.container_id = c.id AND f.scope = 'upper') ORDER BY c.id",
                           -1, &st, NULL) != SQLITE_OK)
        return husk_err_set(x->err, HUSK_E_DB, "case database query");
    char (*ids)[65] = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < MAX_ITEMS) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            void *p = realloc(ids, nc * sizeof *ids);
            if (!p)
                break;
            ids = p, cap = nc;
        }
        snprintf(ids[n++], 65, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++) {
        const char *path[] = {"v1", "moby", "snapshots", "overlayfs", ids[i]};
        husk_bolt_bucket b;
        if (husk_bolt_bucket_path(x->meta, path, 5, &b, NULL) == 0)
            diff_of(x, "moby", ids[i], ids[i]);
    }
    free(ids);
    return 0;
}

int husk_containerd_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                            husk_err *err)
{
    return husk_containerd_analyse_ex(r, db, diag, NULL, err);
}

int husk_containerd_analyse_ex(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                               husk_ctrd_read *read, husk_err *err)
{
    ctx x = {.r = r, .db = db, .diag = diag, .err = err};
    if (read)
        read->meta_ok = read->snapshots_ok = 0;
    if (husk_docker_path(r, META, x.obj, sizeof x.obj) < 0)
        return 0;
    char *buf = NULL;
    size_t len = 0;
    husk_err e = {0};
    if (husk_docker_read(r, META, MAX_META, &buf, &len, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(diag, PHASE, x.obj, -1, "unreadable: %s", e.msg);
        return 0;
    }
    if (husk_bolt_open((const uint8_t *)buf, len, &x.meta, &e) < 0) {
        husk_diag_report(diag, PHASE, x.obj, -1, "%s", e.msg);
        free(buf);
        return 0;
    }
    load_snapshotter(&x);
    const char *v1[] = {"v1"};
    husk_bolt_bucket root;
    int rc = 0;
    if (husk_bolt_bucket_path(x.meta, v1, 1, &root, &e) == 0) {
        unsigned before = diag ? diag->count : 0;
        rc = each_bucket(&x, &root, NULL, namespace_rec, NULL);
        /* every record of it was walked: what it lacks is not in the runtime's view */
        if (read)
            read->meta_ok = rc == 0 && (!diag || diag->count == before);
    } else {
        husk_diag_report(diag, PHASE, x.obj, -1, "no v1 bucket: %s", e.msg);
    }
    if (read)
        read->snapshots_ok = x.snaps_ok;
    if (rc == 0)
        rc = docker_diffs(&x);
    if (rc == 0)
        rc = sandbox_states(&x);
    if (rc == 0 && !(r->opts && r->opts->no_recover))
        rc = free_containers(&x);
    for (size_t i = 0; i < x.nsnaps; i++) {
        free(x.snaps[i].name);
        free(x.snaps[i].parent);
    }
    free(x.snaps);
    husk_bolt_close(x.meta);
    free(buf);
    return rc;
}
