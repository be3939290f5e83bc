/*
 * `docker diff` computed offline for overlay2, plus a files row for every entry of the
 * container's upper directory (include/husk/docker.h: husk_docker_diff).
 *
 * What Docker computes. overlay2's Changes() (moby daemon/graphdriver/overlay2/overlay.go) is
 * always the naive diff: graphdriver.NaiveDiffDriver mounts the container's layer and its
 * parent (the "-init" layer, so init files and image files are on both sides) and calls
 * archive.ChangesDirs(new, old). (archive.OverlayChanges, which reads the upper directory
 * alone and calls an opaque directory D, is not what `docker diff` uses: on the test images
 * Docker prints "C /opt/legacy" for one.) ChangesDirs walks both trees
 * (pkg/archive/changes_linux.go) and FileInfo.addChanges (changes.go) reports, per directory:
 *   - A for a path absent from the old tree, and every path below it;
 *   - C for a path on both sides whose lstat differs (statDifferent, changes_unix.go: mode, uid,
 *     gid, rdev, and for non-directories size and mtime, where equal seconds with either side
 *     at 0 ns count as equal) or whose security.capability xattr differs;
 *   - D for an old child of a directory that is a directory on both sides and no longer has
 *     that child (only the child itself, nothing below it);
 *   - C for a directory not reported itself but with any change below it, placed before them.
 * Within a directory the new children come first (each followed by its own changes), then
 * the deletions. Docker iterates Go maps there, so its sibling order is random; husk uses
 * byte order for siblings and keeps everything else of Docker's order.
 *
 * How husk gets the same answer from the evidence. The new tree is the upper directory over
 * the old tree, so a path outside the upper directory is identical on both sides and cannot
 * change. Walking the upper directory and looking each path up in the old tree (the lower
 * layers merged top-down with overlay rules: a whiteout hides what is below it, an opaque
 * directory hides the lower contents, a non-directory ends the merge) gives every change:
 * whiteouts and, in opaque directories, the old children missing from the upper directory
 * are the deletions.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>
#include <openssl/evp.h>

#include "husk/docker.h"
#include "husk/overlay2.h"
#include "husk/strbuf.h"

#define MAX_DEPTH 256           /* directory levels below a layer's root */
#define MAX_ENTRIES 2000000u    /* entries walked in one layer */
#define MAX_DIR_ENTRIES 1000000 /* names kept from one directory */
#define MAX_HELD 2000000u       /* names held in all open listings at once (memory bound) */
#define MAX_CHANGES 4000000u    /* diff lines for one container */
#define MAX_PATH 4096           /* container paths (Linux PATH_MAX) */
#define MAGIC_BYTES (64u << 10) /* what libmagic sees of a file */
#define READ_CHUNK (1u << 20)
#define MAX_HASH_BYTES (16ull << 30) /* larger files are listed, not hashed */
#define MAX_CAP_XATTR 64             /* security.capability is 20 or 24 bytes */
#define MAX_LINK 4096

/* One directory's entries, sorted by name (byte order, as Go compares strings). */
typedef struct dent {
    const char *name; /* into the list's arena, set once listing is complete */
    size_t off, len, idx;
    uint64_t ino;
} dent;

typedef struct dlist {
    husk_strbuf arena;
    dent *v;
    size_t n, cap, bad, limit;
    int truncated;
} dlist;

/* A directory of the old tree: the lower layers' directories merged at one path, topmost
 * first, already cut after an opaque one. lists[] is filled by ovdir_open(). */
typedef struct ovdir {
    size_t n;
    uint64_t *ino;
    dlist *lists;
} ovdir;

/* What the old tree holds at one path. */
typedef struct oldent {
    int exists;
    husk_stat st; /* the topmost entry: what an lstat through the mount returns */
    uint64_t ino;
} oldent;

typedef struct change {
    char kind; /* 'A', 'C', 'D'; 0 while a directory's C is still undecided */
    char *path;
} change;

/*
 * SHA-256 and libmagic (most of the CPU time of a diff) run on other cores while this thread
 * goes on: the walk reads each regular file's bytes on this thread (the file-system readers
 * are not thread-safe) and writes its files row at once, in walk order as always, without
 * sha256 and magic; the bytes wait in a queue that worker threads hash and type, and this
 * thread sets the two columns of each row (in queue order) when its result is ready. Inside
 * husk_diff_defer() that goes on past the end of the diff, over the next containers' logs and
 * walks and, in an analysis, the later phases. A file over QUEUE_FILE_BYTES is hashed in
 * streamed chunks on this thread instead. Memory is bounded by QUEUE_BYTES and QUEUE_FILES:
 * past them this thread hashes and types too.
 */
#define QUEUE_FILES 4096
#define QUEUE_BYTES (8u << 20)
#define QUEUE_FILE_BYTES (4u << 20)
#define MAX_WORKERS 4

/* A written files row whose bytes wait to be hashed and typed. */
typedef struct pend {
    int64_t id;          /* files.id of the row */
    unsigned char *data; /* the file's bytes (len of them); freed once hashed */
    size_t len;
    int whole;   /* data holds the whole file: the SHA-256 may be set */
    int typed;   /* data starts with the file's first chunk: the type may be set */
    int done;    /* hashed and typed: the row's columns may be set */
    char sha[65];
    char *magic; /* NULL: no type */
} pend;

typedef struct dctx {
    const husk_docker_root *r;
    husk_casedb *db;
    husk_diag *diag;
    husk_err *err; /* set only for case-database failures, which end the walk */
    const char *container_id, *layer, *scope;
    int changes;      /* 1: decide A/C/D (upper with a usable chain); 0: list files only */
    size_t nlower;    /* capacity of every ovdir */
    husk_strbuf path; /* the current path in the container ("" at the root) */
    char host_base[1024];
    size_t entries, held;
    int depth;
    uint64_t anc[MAX_DEPTH + 2]; /* directory inodes from the root down: loop detection */
    change *ch;
    size_t nch, capch;
    int limit_reported;
    unsigned char *buf; /* READ_CHUNK bytes */
} dctx;

static magic_t magic_cookie;
static int magic_state; /* 0 not tried, 1 loaded, -1 unavailable */
static int types_off;   /* husk analyse --no-types: no file gets a libmagic type */

void husk_diff_set_types(int on)
{
    types_off = !on;
}

/* One libmagic handle for the life of the process (an analysis is one process): loading the
 * database per container would cost more than typing its files. It only ever sees buffers. */
static magic_t get_magic(husk_diag *diag)
{
    if (types_off)
        return NULL;
    if (magic_state == 0) {
        magic_state = -1;
        magic_cookie = magic_open(MAGIC_NONE);
        if (magic_cookie && magic_load(magic_cookie, NULL) == 0) {
            magic_state = 1;
        } else {
            husk_diag_report(diag, "diff", "libmagic", -1, "file types unavailable: %s",
                             magic_cookie ? magic_error(magic_cookie) : "magic_open failed");
            if (magic_cookie)
                magic_close(magic_cookie);
            magic_cookie = NULL;
        }
    }
    return magic_state == 1 ? magic_cookie : NULL;
}

/* Worker threads' own libmagic handles (a handle is not safe to share between threads),
 * loaded on first use and kept for the life of the process like the main one. */
static magic_t worker_magic[MAX_WORKERS];
static pthread_mutex_t worker_magic_lock = PTHREAD_MUTEX_INITIALIZER;

static magic_t get_worker_magic(int slot)
{
    if (types_off)
        return NULL;
    pthread_mutex_lock(&worker_magic_lock);
    if (!worker_magic[slot]) {
        magic_t m = magic_open(MAGIC_NONE);
        if (m && magic_load(m, NULL) != 0) {
            magic_close(m);
            m = NULL;
        }
        worker_magic[slot] = m;
    }
    magic_t m = worker_magic[slot];
    pthread_mutex_unlock(&worker_magic_lock);
    return m;
}

/* ---- directory listings ---- */

static int dlist_cb(const husk_dirent *d, void *ctx)
{
    dlist *l = ctx;
    /* a name the kernel could never have made would break paths: count it, keep going */
    if (!husk_name_ok(d->name, d->name_len)) {
        l->bad++;
        return 0;
    }
    if (l->n >= l->limit) {
        l->truncated = 1;
        return 1;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        dent *p = realloc(l->v, nc * sizeof *p);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    dent *e = &l->v[l->n];
    e->off = l->arena.len;
    e->len = d->name_len;
    e->idx = l->n;
    e->ino = d->inode;
    if (husk_sb_add(&l->arena, d->name, d->name_len) < 0 || husk_sb_add(&l->arena, "", 1) < 0)
        return -HUSK_E_NOMEM;
    l->n++;
    return 0;
}

static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static int dent_cmp(const void *pa, const void *pb)
{
    const dent *a = pa, *b = pb;
    int c = name_cmp(a->name, a->len, b->name, b->len);
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void dlist_free(dctx *x, dlist *l)
{
    x->held -= l->n;
    husk_sb_release(&l->arena);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Lists directory ino (the kind, "upper" or "lower", directory at x->path), sorted; a name
 * listed twice (damage) keeps its first occurrence. Damage goes to diag; only running out of
 * memory fails. */
static int dlist_load(dctx *x, uint64_t ino, const char *kind, dlist *l)
{
    const char *what = x->path.len ? x->path.buf : "/";
    husk_err e = {0};
    memset(l, 0, sizeof *l);
    /* deep paths through huge lower directories must not hold unbounded memory */
    l->limit = x->held >= MAX_HELD ? 0 : MAX_HELD - x->held;
    if (l->limit > MAX_DIR_ENTRIES)
        l->limit = MAX_DIR_ENTRIES;
    int rc = husk_fs_list_dir(x->r->fs, ino, dlist_cb, l, &e);
    if (rc == -HUSK_E_NOMEM)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory listing %s", what);
    if (rc < 0)
        husk_diag_report(x->diag, "diff", what, -1, "cannot list %s directory (layer %s): %s", kind,
                         x->layer, e.msg);
    if (l->bad)
        husk_diag_report(x->diag, "diff", what, -1,
                         "%zu impossible names skipped in %s directory (layer %s)", l->bad, kind,
                         x->layer);
    if (l->truncated)
        husk_diag_report(x->diag, "diff", what, -1,
                         "%s directory over %zu entries (%d per directory, %u held at once): "
                         "rest skipped",
                         kind, l->limit, MAX_DIR_ENTRIES, MAX_HELD);
    for (size_t i = 0; i < l->n; i++)
        l->v[i].name = l->arena.buf + l->v[i].off;
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, dent_cmp);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (k == 0 || name_cmp(l->v[k - 1].name, l->v[k - 1].len, l->v[i].name, l->v[i].len))
            l->v[k++] = l->v[i];
    if (k != l->n)
        husk_diag_report(x->diag, "diff", what, -1, "%zu names listed twice in %s directory",
                         l->n - k, kind);
    l->n = k;
    x->held += k;
    return 0;
}

static const dent *dlist_find(const dlist *l, const char *name, size_t len)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(l->v[mid].name, l->v[mid].len, name, len);
        if (c == 0)
            return &l->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- the old tree ---- */

static int ovdir_init(ovdir *d, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->ino = calloc(cap ? cap : 1, sizeof *d->ino);
    return d->ino ? 0 : -1;
}

static void ovdir_free(dctx *x, ovdir *d)
{
    if (d->lists)
        for (size_t i = 0; i < d->n; i++)
            dlist_free(x, &d->lists[i]);
    free(d->lists);
    free(d->ino);
    memset(d, 0, sizeof *d);
}

static int ovdir_open(dctx *x, ovdir *d)
{
    if (!d->n || d->lists)
        return 0;
    d->lists = calloc(d->n, sizeof *d->lists);
    if (!d->lists)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n; i++) {
        int rc = dlist_load(x, d->ino[i], "lower", &d->lists[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int is_opaque(dctx *x, uint64_t ino)
{
    husk_err e = {0};
    int r = husk_fs_is_opaque(x->r->fs, ino, &e);
    if (r < 0) {
        husk_diag_report(x->diag, "diff", x->path.len ? x->path.buf : "/", -1,
                         "cannot read overlay xattrs of inode %llu: %s", (unsigned long long)ino,
                         e.msg);
        return 0;
    }
    return r;
}

/*
 * Looks name up in the old directory od with overlay rules, top layer first: a whiteout
 * hides the name in every layer below; the topmost non-directory is the entry; directories
 * merge until an opaque one or a non-directory. children (may be NULL) gets the directories
 * that make up the entry when it is one.
 */
static void old_lookup(dctx *x, ovdir *od, const char *name, size_t len, oldent *o, ovdir *children)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; od && i < od->n; i++) {
        const dent *e = dlist_find(&od->lists[i], name, len);
        if (!e)
            continue;
        husk_stat st;
        husk_err er = {0};
        if (husk_fs_stat(x->r->fs, e->ino, &st, &er) < 0) {
            /* an unreadable entry can be neither compared nor merged: stop at it */
            husk_diag_report(x->diag, "diff", x->path.buf, -1, "lower entry '%.*s' unreadable: %s",
                             (int)len, name, er.msg);
            return;
        }
        int whiteout = husk_stat_is_whiteout(&st);
        if (!o->exists) {
            if (whiteout)
                return;
            o->exists = 1;
            o->st = st;
            o->ino = e->ino;
            if (st.type != HUSK_FT_DIR)
                return;
        } else if (whiteout || st.type != HUSK_FT_DIR) {
            return;
        }
        if (children)
            children->ino[children->n++] = e->ino;
        if (i + 1 < od->n && is_opaque(x, e->ino))
            return;
    }
}

/* ---- Docker's comparison ---- */

static int same_fs_time(const husk_timespec *a, const husk_timespec *b)
{
    uint32_t an = a->present ? a->nsec : 0, bn = b->present ? b->nsec : 0;
    int64_t as = a->present ? a->sec : 0, bs = b->present ? b->sec : 0;
    return as == bs && (an == bn || an == 0 || bn == 0);
}

static ssize_t get_cap(dctx *x, uint64_t ino, uint8_t *buf)
{
    ssize_t n = husk_fs_get_xattr(x->r->fs, ino, "security.capability", buf, MAX_CAP_XATTR, NULL);
    return n < 0 ? 0 : n;
}

/* statDifferent() plus the capability comparison of addChanges(). */
static int stat_different(dctx *x, const oldent *o, uint64_t ino, const husk_stat *n)
{
    const husk_stat *s = &o->st;
    if (s->mode != n->mode || s->uid != n->uid || s->gid != n->gid ||
        s->rdev_major != n->rdev_major || s->rdev_minor != n->rdev_minor)
        return 1;
    if (s->type != HUSK_FT_DIR && (!same_fs_time(&s->mtime, &n->mtime) || s->size != n->size))
        return 1;
    uint8_t a[MAX_CAP_XATTR], b[MAX_CAP_XATTR];
    ssize_t al = get_cap(x, o->ino, a), bl = get_cap(x, ino, b);
    if (al != bl)
        return 1;
    size_t cmp = (size_t)al < sizeof a ? (size_t)al : sizeof a;
    return memcmp(a, b, cmp) != 0;
}

/* ---- output ---- */

static int push_change(dctx *x, char kind, const char *path)
{
    if (x->nch >= MAX_CHANGES) {
        if (!x->limit_reported)
            husk_diag_report(x->diag, "diff", x->container_id, -1,
                             "more than %u changes: the rest are not recorded", MAX_CHANGES);
        x->limit_reported = 1;
        return 0;
    }
    if (x->nch == x->capch) {
        size_t nc = x->capch ? x->capch * 2 : 64;
        change *p = realloc(x->ch, nc * sizeof *p);
        if (!p)
            return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
        x->ch = p;
        x->capch = nc;
    }
    char *s = strdup(path);
    if (!s)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    x->ch[x->nch].kind = kind;
    x->ch[x->nch].path = s;
    x->nch++;
    return 0;
}

/* SHA-256 and libmagic type of a regular file, read in chunks. Leaves sha/magic empty (and
 * says why in diag) when the file cannot be read whole. */
static void hash_file(dctx *x, uint64_t ino, uint64_t size, char sha[65], char *magic,
                      size_t magic_size)
{
    sha[0] = magic[0] = '\0';
    if (size > MAX_HASH_BYTES) {
        husk_diag_report(x->diag, "diff", x->path.buf, -1,
                         "%llu bytes: over the %llu-byte hashing limit", (unsigned long long)size,
                         (unsigned long long)MAX_HASH_BYTES);
        return;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return;
    }
    uint64_t off = 0;
    int ok = 1;
    while (off < size) {
        size_t want = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
        husk_err e = {0};
        ssize_t n = husk_fs_read(x->r->fs, ino, off, x->buf, want, &e);
        if (n <= 0) {
            husk_diag_report(x->diag, "diff", x->path.buf, -1, "read %llu of %llu bytes: %s",
                             (unsigned long long)off, (unsigned long long)size,
                             n < 0 ? e.msg : "unexpected end of data");
            ok = 0;
            break;
        }
        if (off == 0) {
            magic_t m = get_magic(x->diag);
            const char *t =
                m ? magic_buffer(m, x->buf, (size_t)n < MAGIC_BYTES ? (size_t)n : MAGIC_BYTES)
                  : NULL;
            if (t)
                snprintf(magic, magic_size, "%s", t);
        }
        EVP_DigestUpdate(md, x->buf, (size_t)n);
        off += (uint64_t)n;
    }
    if (size == 0) {
        magic_t m = get_magic(x->diag);
        const char *t = m ? magic_buffer(m, x->buf, 0) : NULL;
        if (t)
            snprintf(magic, magic_size, "%s", t);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    if (ok && EVP_DigestFinal_ex(md, d, &dl) == 1 && dl == 32) {
        static const char hx[] = "0123456789abcdef";
        for (unsigned i = 0; i < 32; i++) {
            sha[2 * i] = hx[d[i] >> 4];
            sha[2 * i + 1] = hx[d[i] & 15];
        }
        sha[64] = '\0';
    }
    EVP_MD_CTX_free(md);
}

static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

/* 1 when the upper entry carries the overlay xattr name (trusted.overlay.<name>, or
 * user.overlay.<name> for rootless Docker). */
static int has_ovl_xattr(dctx *x, uint64_t ino, const char *name)
{
    char full[64];
    uint8_t v[8];
    snprintf(full, sizeof full, "trusted.overlay.%s", name);
    if (husk_fs_get_xattr(x->r->fs, ino, full, v, sizeof v, NULL) >= 0)
        return 1;
    snprintf(full, sizeof full, "user.overlay.%s", name);
    return husk_fs_get_xattr(x->r->fs, ino, full, v, sizeof v, NULL) >= 0;
}

/*
 * Where a regular upper file's bytes are. Docker never turns metacopy on, but a kernel
 * built with it copies up metadata only (formats.md 1.6): the data stays in the lower file
 * at the same path, or at the overlay redirect's path after a rename, which is not followed.
 */
static uint64_t data_inode(dctx *x, uint64_t ino, const oldent *o)
{
    if (!x->changes || !has_ovl_xattr(x, ino, "metacopy"))
        return ino;
    if (!has_ovl_xattr(x, ino, "redirect") && o && o->exists && o->st.type == HUSK_FT_FILE)
        return o->ino;
    husk_diag_report(x->diag, "diff", x->path.buf, -1,
                     "metacopy file whose data is elsewhere (renamed or missing): not hashed");
    return 0;
}

static void hex32(const unsigned char *d, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

/*
 * Types already found, by the SHA-256 of the whole file: identical files (common across the
 * containers of one image, and between an image's layers) are typed by libmagic once. libmagic
 * sees only the bytes, so the same bytes always get the same type. Bounded: once full, new
 * types are no longer remembered.
 */
#define TYPE_CACHE_SLOTS (1u << 16) /* power of two */
#define TYPE_CACHE_MAX (TYPE_CACHE_SLOTS / 2)

typedef struct tcent {
    unsigned char sha[32];
    char *type; /* NULL: empty slot */
} tcent;

static struct {
    pthread_mutex_t lock;
    tcent *v;
    size_t n;
} TC = {.lock = PTHREAD_MUTEX_INITIALIZER};

static tcent *tc_slot(const unsigned char d[32])
{
    size_t i;
    memcpy(&i, d, sizeof i);
    for (i &= TYPE_CACHE_SLOTS - 1;; i = (i + 1) & (TYPE_CACHE_SLOTS - 1))
        if (!TC.v[i].type || memcmp(TC.v[i].sha, d, 32) == 0)
            return &TC.v[i];
}

/* A copy of the remembered type of d, or NULL. */
static char *tc_get(const unsigned char d[32])
{
    char *t = NULL;
    pthread_mutex_lock(&TC.lock);
    if (TC.v) {
        tcent *e = tc_slot(d);
        if (e->type)
            t = strdup(e->type);
    }
    pthread_mutex_unlock(&TC.lock);
    return t;
}

static void tc_put(const unsigned char d[32], const char *type)
{
    pthread_mutex_lock(&TC.lock);
    if (!TC.v)
        TC.v = calloc(TYPE_CACHE_SLOTS, sizeof *TC.v);
    if (TC.v && TC.n < TYPE_CACHE_MAX) {
        tcent *e = tc_slot(d);
        if (!e->type && (e->type = strdup(type)) != NULL) {
            memcpy(e->sha, d, 32);
            TC.n++;
        }
    }
    pthread_mutex_unlock(&TC.lock);
}

/* SHA-256 and type of one pending file's bytes (any thread; m may be NULL). */
static void pend_hash(pend *p, magic_t m)
{
    static const unsigned char empty[1];
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    int have = p->whole &&
               EVP_Digest(p->len ? p->data : empty, p->len, d, &dl, EVP_sha256(), NULL) == 1 &&
               dl == 32;
    if (have)
        hex32(d, p->sha);
    if (p->typed && m && !(have && (p->magic = tc_get(d)) != NULL)) {
        const char *t = magic_buffer(m, p->len ? p->data : empty,
                                     p->len < MAGIC_BYTES ? p->len : MAGIC_BYTES);
        char buf[512]; /* what the files row always kept of a type */
        if (t) {
            snprintf(buf, sizeof buf, "%s", t);
            p->magic = strdup(buf);
            if (have && p->magic)
                tc_put(d, p->magic);
        }
    }
}

static void pend_free(pend *p)
{
    if (!p)
        return;
    free(p->data);
    free(p->magic);
    free(p);
}

/* The queue, shared by every diff of the process (one analysis writes one case database).
 * Items [head, n) are not written yet; workers take items from next on. Items are allocated
 * one by one, so a worker's pointer stays valid when q grows or is compacted. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    pend **q;
    size_t n, cap, head, next;
    size_t bytes; /* data bytes queued and not yet hashed */
    pthread_t th[MAX_WORKERS];
    int nth, stop;
    int defer;             /* > 0: rows may still be queued when a diff returns */
    struct husk_casedb *db; /* the case database the queued rows go to */
    int rc;                /* the first case-database error, kept for the next caller */
    husk_err err;
} Q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .work_cv = PTHREAD_COND_INITIALIZER,
       .done_cv = PTHREAD_COND_INITIALIZER};

static int ncores(void)
{
    static int n;
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c < 1 ? 1 : c > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : (int)c;
    }
    return n;
}

/* Under Q.lock: the next item to hash, or NULL. */
static pend *q_take(void)
{
    while (Q.next < Q.n && Q.q[Q.next]->done)
        Q.next++;
    return Q.next < Q.n ? Q.q[Q.next++] : NULL;
}

/* Hashes and types p outside the lock, then marks it done. */
static void q_work(pend *p, magic_t m)
{
    pend_hash(p, m);
    free(p->data);
    p->data = NULL;
    pthread_mutex_lock(&Q.lock);
    Q.bytes -= p->len;
    p->done = 1;
    pthread_cond_broadcast(&Q.done_cv);
    pthread_mutex_unlock(&Q.lock);
}

static void *q_worker(void *arg)
{
    magic_t m = get_worker_magic((int)(intptr_t)arg);
    pthread_mutex_lock(&Q.lock);
    for (;;) {
        pend *p = q_take();
        if (!p) {
            if (Q.stop)
                break;
            pthread_cond_wait(&Q.work_cv, &Q.lock);
            continue;
        }
        pthread_mutex_unlock(&Q.lock);
        q_work(p, m);
        pthread_mutex_lock(&Q.lock);
    }
    pthread_mutex_unlock(&Q.lock);
    return NULL;
}

/* Sets sha256 and magic of the rows at the head of the queue that are ready; all: of every
 * row, this thread hashing what no worker has taken and waiting for the rest. Returns the
 * first case-database error (also every later call: the walk must end). */
static int q_write(husk_err *err, int all)
{
    for (;;) {
        pthread_mutex_lock(&Q.lock);
        if (Q.head == Q.n) {
            Q.n = Q.head = Q.next = 0;
            pthread_mutex_unlock(&Q.lock);
            break;
        }
        pend *p = Q.q[Q.head];
        if (!p->done) {
            if (!all) {
                pthread_mutex_unlock(&Q.lock);
                break;
            }
            pend *t = q_take();
            if (t) {
                pthread_mutex_unlock(&Q.lock);
                q_work(t, magic_state == 1 ? magic_cookie : NULL);
            } else {
                pthread_cond_wait(&Q.done_cv, &Q.lock);
                pthread_mutex_unlock(&Q.lock);
            }
            continue;
        }
        Q.head++;
        if (Q.head >= 1024 && Q.head * 2 >= Q.n) { /* keep q small: drop the written part */
            memmove(Q.q, Q.q + Q.head, (Q.n - Q.head) * sizeof *Q.q);
            Q.n -= Q.head;
            Q.next -= Q.head;
            Q.head = 0;
        }
        pthread_mutex_unlock(&Q.lock);
        if (Q.rc == 0 && (p->sha[0] || nz(p->magic))) {
            husk_err e = {0};
            Q.rc = husk_casedb_set_file_hash(Q.db, p->id, nz(p->sha), nz(p->magic), &e);
            if (Q.rc)
                Q.err = e;
        }
        pend_free(p);
    }
    if (Q.rc && err)
        *err = Q.err;
    return Q.rc;
}

/* Completes every queued row; stops the workers unless diffs are deferred. */
static int q_finish(husk_err *err)
{
    int rc = q_write(err, 1);
    if (Q.defer > 0)
        return rc;
    if (Q.nth) {
        pthread_mutex_lock(&Q.lock);
        Q.stop = 1;
        pthread_cond_broadcast(&Q.work_cv);
        pthread_mutex_unlock(&Q.lock);
        for (int i = 0; i < Q.nth; i++)
            pthread_join(Q.th[i], NULL);
        Q.nth = Q.stop = 0;
    }
    Q.db = NULL; /* done with this case database: its error is not the next one's */
    Q.rc = 0;
    return rc;
}

/* Queues p (its row written) to be hashed and typed; completes what is ready. */
static int q_add(dctx *x, pend *p)
{
    if (!Q.nth && ncores() > 1) {
        int want = ncores() - 1;
        for (int i = 0; i < want; i++) {
            if (pthread_create(&Q.th[Q.nth], NULL, q_worker, (void *)(intptr_t)Q.nth) != 0)
                break;
            Q.nth++;
        }
    }
    pthread_mutex_lock(&Q.lock);
    if (Q.n == Q.cap) {
        size_t nc = Q.cap ? Q.cap * 2 : 1024;
        pend **v = realloc(Q.q, nc * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&Q.lock);
            pend_free(p);
            return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
        }
        Q.q = v;
        Q.cap = nc;
    }
    p->done = 0;
    Q.bytes += p->len;
    Q.q[Q.n++] = p;
    pthread_cond_signal(&Q.work_cv);
    pthread_mutex_unlock(&Q.lock);
    int rc = q_write(x->err, 0);
    /* over the bounds: this thread hashes too, oldest first, until back under them */
    for (;;) {
        if (rc)
            return rc;
        pthread_mutex_lock(&Q.lock);
        int over = Q.bytes > QUEUE_BYTES || Q.n - Q.head > QUEUE_FILES;
        pend *t = over ? q_take() : NULL;
        if (over && !t)
            pthread_cond_wait(&Q.done_cv, &Q.lock);
        pthread_mutex_unlock(&Q.lock);
        if (!over)
            return 0;
        if (t)
            q_work(t, magic_state == 1 ? magic_cookie : NULL);
        rc = q_write(x->err, 0);
    }
}

void husk_diff_defer(void)
{
    Q.defer++;
}

int husk_diff_settle(husk_err *err)
{
    if (Q.defer > 0)
        Q.defer--;
    return Q.defer > 0 ? q_write(err, 0) : q_finish(err);
}

/* Reads a regular file of at most QUEUE_FILE_BYTES whole into p->data; a read that fails
 * leaves what was read (its first chunk still gives the type, as for a streamed file). */
static void read_small(dctx *x, uint64_t ino, uint64_t size, pend *p)
{
    p->data = malloc(size ? (size_t)size : 1);
    if (!p->data)
        return;
    p->whole = 1;
    p->typed = size == 0;
    while (p->len < size) {
        size_t want = size - p->len < READ_CHUNK ? (size_t)(size - p->len) : READ_CHUNK;
        husk_err e = {0};
        ssize_t n = husk_fs_read(x->r->fs, ino, p->len, p->data + p->len, want, &e);
        if (n <= 0) {
            husk_diag_report(x->diag, "diff", x->path.buf, -1, "read %llu of %llu bytes: %s",
                             (unsigned long long)p->len, (unsigned long long)size,
                             n < 0 ? e.msg : "unexpected end of data");
            p->whole = 0;
            break;
        }
        p->typed = 1;
        p->len += (size_t)n;
    }
    if (!p->typed && !p->whole) {
        free(p->data);
        p->data = NULL;
    }
}

/* Writes the files row of the entry at x->path; data_ino (0: none) holds a regular file's
 * bytes, which are queued to be hashed and typed (or streamed here when large). */
static int add_file_row(dctx *x, uint64_t ino, const husk_stat *st, const char *change,
                        uint64_t data_ino)
{
    char mt[40], at[40], ct[40], bt[40], link[MAX_LINK] = "";
    husk_time_format(&st->mtime, mt, sizeof mt);
    husk_time_format(&st->atime, at, sizeof at);
    husk_time_format(&st->ctime, ct, sizeof ct);
    husk_time_format(&st->crtime, bt, sizeof bt);
    if (st->type == HUSK_FT_SYMLINK) {
        husk_err e = {0};
        ssize_t n = husk_fs_readlink(x->r->fs, ino, link, sizeof link, &e);
        if (n < 0 || (size_t)n >= sizeof link) {
            husk_diag_report(x->diag, "diff", x->path.buf, -1, "symlink target unreadable: %s",
                             n < 0 ? e.msg : "too long");
            link[0] = '\0';
        }
    }
    /* each object says how it was obtained: on a recovered view a removed container's files
     * come from different sources (journal copies, inode remnants) with their own confidence */
    husk_prov prov = {"live", 1.0};
    husk_fs_provenance(x->r->fs, ino, &prov, NULL, 0);
    /* host path: the layer's diff directory + the path in the container */
    char host[sizeof x->host_base + MAX_PATH];
    snprintf(host, sizeof host, "%s%s", x->host_base, x->path.buf);
    char sha[65] = "", magic[512] = "";
    pend *p = NULL;
    if (Q.db != x->db) { /* another case database (the queue is empty between analyses) */
        Q.db = x->db;
        Q.rc = 0;
    }
    if (Q.rc) /* the case database failed: the walk ends */
        return q_write(x->err, 0);
    if (st->type == HUSK_FT_FILE && data_ino) {
        get_magic(x->diag); /* loaded here, where a load failure can be reported */
        if (st->size <= QUEUE_FILE_BYTES) {
            p = calloc(1, sizeof *p);
            if (!p)
                return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
            read_small(x, data_ino, st->size, p);
            if (!p->data) {
                pend_free(p);
                p = NULL;
            }
        } else {
            hash_file(x, data_ino, st->size, sha, magic, sizeof magic);
        }
    }
    husk_row_file row = {
        .container_id = x->container_id,
        .layer = x->layer,
        .scope = x->scope,
        .path = x->path.buf,
        .change = change,
        .type = husk_stat_is_whiteout(st) ? "whiteout" : husk_ftype_name(st->type),
        .mode = st->mode,
        .uid = st->uid,
        .gid = st->gid,
        .size = (int64_t)st->size,
        .mtime = nz(mt),
        .atime = nz(at),
        .ctime = nz(ct),
        .crtime = nz(bt),
        .inode = (int64_t)st->inode,
        .sha256 = nz(sha),
        .magic = nz(magic),
        .link_target = st->type == HUSK_FT_SYMLINK ? nz(link) : NULL,
        .recovered_from = prov.recovered_from,
        .confidence = prov.confidence,
        .filesystem_id = x->r->fs_db_id,
        .host_path = host,
    };
    int64_t id = 0;
    int rc = husk_casedb_add_file(x->db, &row, &id, x->err);
    if (rc || !p) {
        pend_free(p);
        return rc ? rc : q_write(x->err, 0);
    }
    p->id = id;
    return q_add(x, p);
}

/* ---- the walk ---- */

/* Appends "/name" to x->path; returns the previous length, or -1 when the path gets too long. */
static long path_push(dctx *x, const char *name, size_t len)
{
    size_t old = x->path.len;
    if (old + 1 + len >= MAX_PATH)
        return -1;
    if (husk_sb_add(&x->path, "/", 1) < 0 || husk_sb_add(&x->path, name, len) < 0) {
        x->path.len = old;
        x->path.buf[old] = '\0';
        return -2;
    }
    return (long)old;
}

static void path_pop(dctx *x, size_t old)
{
    x->path.len = old;
    x->path.buf[old] = '\0';
}

static int walk_dir(dctx *x, uint64_t dir, ovdir *old, int opaque);

/* One non-whiteout entry of the upper directory (x->path is its path) and what is below it. */
static int visit(dctx *x, uint64_t ino, const husk_stat *st, const oldent *o, ovdir *children)
{
    const char *reported = NULL;
    size_t pos = x->nch;
    int pending = 0, rc = 0;
    if (x->changes) {
        if (!o->exists) {
            reported = "A";
            rc = push_change(x, 'A', x->path.buf);
        } else if (stat_different(x, o, ino, st)) {
            reported = "C";
            rc = push_change(x, 'C', x->path.buf);
        } else {
            pending = 1; /* C only if something below changes */
            rc = push_change(x, 0, x->path.buf);
        }
        if (rc < 0)
            return rc;
    }
    /* a renamed directory's merged contents come from its old name (redirect_dir, which
     * Docker never asks for): compared here only against the same path */
    if (x->changes && st->type == HUSK_FT_DIR && has_ovl_xattr(x, ino, "redirect"))
        husk_diag_report(x->diag, "diff", x->path.buf, -1,
                         "renamed directory (overlay redirect): lower contents under its old "
                         "name are not compared");
    if (st->type == HUSK_FT_DIR) {
        int loop = 0;
        for (int i = 0; i <= x->depth; i++)
            loop |= x->anc[i] == ino;
        if (loop)
            husk_diag_report(x->diag, "diff", x->path.buf, -1,
                             "directory inode %llu is its own ancestor: not descended",
                             (unsigned long long)ino);
        else if (x->depth >= MAX_DEPTH)
            husk_diag_report(x->diag, "diff", x->path.buf, -1,
                             "deeper than %d levels: not descended", MAX_DEPTH);
        else {
            x->anc[++x->depth] = ino;
            rc = walk_dir(x, ino, o->exists && o->st.type == HUSK_FT_DIR ? children : NULL,
                          x->changes ? is_opaque(x, ino) : 0);
            x->depth--;
            if (rc < 0)
                return rc;
        }
    }
    if (pending && x->nch > pos + 1) {
        x->ch[pos].kind = 'C';
        reported = "C";
    } else if (pending && x->nch == pos + 1) {
        free(x->ch[--x->nch].path);
    }
    return add_file_row(x, ino, st, reported, st->type == HUSK_FT_FILE ? data_inode(x, ino, o) : 0);
}

static int dentp_cmp(const void *pa, const void *pb)
{
    const dent *a = *(const dent *const *)pa, *b = *(const dent *const *)pb;
    return name_cmp(a->name, a->len, b->name, b->len);
}

/* D for the child name of the directory at x->path. */
static int push_deletion(dctx *x, const char *name, size_t len)
{
    long old = path_push(x, name, len);
    if (old == -2)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    if (old < 0)
        return 0; /* too long: reported when the upper entry was met */
    int rc = push_change(x, 'D', x->path.buf);
    path_pop(x, (size_t)old);
    return rc;
}

/* The old children of an opaque directory that the upper directory does not have (or has
 * only as a whiteout) are gone from the container's view: deletions, in byte order. */
static int opaque_deletions(dctx *x, ovdir *old, const dlist *up, const unsigned char *white)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < old->n; i++)
        total += old->lists[i].n;
    const dent **all = calloc(total ? total : 1, sizeof *all);
    if (!all)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    for (size_t i = 0; i < old->n; i++)
        for (size_t j = 0; j < old->lists[i].n; j++)
            all[k++] = &old->lists[i].v[j];
    if (k)
        qsort(all, k, sizeof *all, dentp_cmp);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        const dent *d = all[i];
        if (i > 0 && name_cmp(all[i - 1]->name, all[i - 1]->len, d->name, d->len) == 0)
            continue;
        const dent *u = dlist_find(up, d->name, d->len);
        if (u && !white[u - up->v])
            continue;
        oldent o;
        old_lookup(x, old, d->name, d->len, &o, NULL);
        if (o.exists)
            rc = push_deletion(x, d->name, d->len);
    }
    free(all);
    return rc;
}

/*
 * The children of the upper directory dir (at x->path), against old, the same path in the
 * old tree (NULL when it is not a directory there). Docker's order: each child with what is
 * below it, then the deletions.
 */
static int walk_dir(dctx *x, uint64_t dir, ovdir *old, int opaque)
{
    dlist up;
    int rc = dlist_load(x, dir, x->scope, &up);
    if (rc < 0)
        return rc;
    unsigned char *white = calloc(up.n ? up.n : 1, 1);
    const dent **dels = calloc(up.n ? up.n : 1, sizeof *dels);
    size_t ndels = 0;
    if (!white || !dels)
        rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    if (rc == 0 && old)
        rc = ovdir_open(x, old);
    for (size_t i = 0; rc == 0 && i < up.n; i++) {
        const dent *d = &up.v[i];
        if (++x->entries > MAX_ENTRIES) {
            if (x->entries == MAX_ENTRIES + 1)
                husk_diag_report(x->diag, "diff", x->layer, -1,
                                 "more than %u entries: the rest are not listed", MAX_ENTRIES);
            break;
        }
        long prev = path_push(x, d->name, d->len);
        if (prev == -2) {
            rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
            break;
        }
        if (prev < 0) {
            husk_diag_report(x->diag, "diff", x->path.len ? x->path.buf : "/", -1,
                             "entry '%.*s': path longer than %d bytes, skipped", (int)d->len,
                             d->name, MAX_PATH);
            continue;
        }
        husk_stat st;
        husk_err e = {0};
        if (husk_fs_stat(x->r->fs, d->ino, &st, &e) < 0) {
            /* still a name in the container's view: it cannot count as deleted */
            husk_diag_report(x->diag, "diff", x->path.buf, -1, "cannot stat upper entry: %s",
                             e.msg);
        } else if (husk_stat_is_whiteout(&st)) {
            oldent o;
            white[i] = 1;
            old_lookup(x, old, d->name, d->len, &o, NULL);
            int deleted = x->changes && o.exists;
            if (deleted && !opaque)
                dels[ndels++] = d;
            rc = add_file_row(x, d->ino, &st, deleted ? "D" : NULL, 0);
        } else {
            oldent o;
            ovdir children;
            if (ovdir_init(&children, x->nlower) < 0) {
                rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
            } else {
                old_lookup(x, old, d->name, d->len, &o, &children);
                rc = visit(x, d->ino, &st, &o, &children);
            }
            ovdir_free(x, &children);
        }
        path_pop(x, (size_t)prev);
    }
    if (rc == 0 && x->changes && old) {
        if (opaque)
            rc = opaque_deletions(x, old, &up, white);
        for (size_t i = 0; rc == 0 && i < ndels; i++)
            rc = push_deletion(x, dels[i]->name, dels[i]->len);
    }
    free(white);
    free(dels);
    dlist_free(x, &up);
    return rc;
}

/* Walks one layer's directory: the container's upper (changes decided against the chain) or
 * an image layer (files only). */
static int walk_layer(dctx *x, const husk_ovl_layer *l, ovdir *old)
{
    char rel[sizeof l->dir + 16];
    if (l->dir[0])
        snprintf(rel, sizeof rel, "%s", l->dir);
    else
        snprintf(rel, sizeof rel, "overlay2/%s/diff", l->id);
    if (husk_docker_path(x->r, rel, x->host_base, sizeof x->host_base) < 0)
        return husk_err_set(x->err, HUSK_E_LIMIT, "data root path too long");
    x->layer = l->id;
    x->entries = 0;
    x->depth = 0;
    x->anc[0] = l->diff_ino;
    x->limit_reported = 0;
    path_pop(x, 0);
    return walk_dir(x, l->diff_ino, old, 0);
}

/* 1 when an earlier container already listed this image layer (layers are shared). */
static int image_layer_listed(husk_casedb *db, const char *id, int64_t fs_id)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT 1 FROM files WHERE container_id IS NULL AND scope = 'image' "
                           "AND layer = ?1 AND filesystem_id = ?2 LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, fs_id);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static void free_changes(dctx *x)
{
    for (size_t i = 0; i < x->nch; i++)
        free(x->ch[i].path);
    free(x->ch);
    x->ch = NULL;
    x->nch = x->capch = 0;
}

int husk_docker_diff(const husk_docker_root *r, const husk_container *c, husk_casedb *db,
                     husk_diag *diag, husk_err *err)
{
    husk_err local = {0};
    if (!err)
        err = &local;
    int live = c->prov.recovered_from && strcmp(c->prov.recovered_from, "live") == 0;
    /* another graph driver or the containerd snapshotter: not this reader's layout */
    const char *driver = c->driver[0] ? c->driver : r->driver;
    if (driver[0] && strcmp(driver, "overlay2") != 0)
        return 0;
    if (!c->mount_id[0]) {
        if (live)
            husk_diag_report(diag, "diff", c->id, -1,
                             "no layerdb mount-id: the container's changes cannot be found");
        return 0;
    }
    husk_ovl_chain *chain = malloc(sizeof *chain);
    if (!chain)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    husk_err ce = {0};
    int chain_ok = husk_ovl_chain_resolve(r, c->mount_id, c->id, chain, diag, &ce) == 0;
    if (!chain_ok && !chain->upper.diff_ino) {
        if (live) /* a removed container's layer is expected to be gone */
            husk_diag_report(diag, "diff", c->id, -1, "upper directory missing: %s", ce.msg);
        free(chain);
        return 0;
    }
    int rc = husk_diff_chain(r, c->id, chain, chain_ok, ce.msg, db, diag, err);
    free(chain);
    return rc;
}

int husk_diff_chain(const husk_docker_root *r, const char *container_id,
                    const husk_ovl_chain *chain, int chain_ok, const char *why, husk_casedb *db,
                    husk_diag *diag, husk_err *err)
{
    husk_err local = {0};
    if (!err)
        err = &local;
    if (!chain_ok)
        husk_diag_report(diag, "diff", container_id, -1,
                         "lower layers unusable, upper files listed without changes: %s", why);
    dctx x = {.r = r,
              .db = db,
              .diag = diag,
              .err = err,
              .container_id = container_id,
              .scope = "upper",
              .changes = chain_ok,
              .nlower = chain->nlower};
    ovdir root;
    int rc = 0;
    x.buf = malloc(READ_CHUNK);
    if (!x.buf || husk_sb_grow(&x.path, 256) < 0 || ovdir_init(&root, chain->nlower) < 0) {
        free(x.buf);
        husk_sb_release(&x.path);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    /* the roots of the lower layers always merge: overlayfs ignores opaque on a layer root */
    root.n = chain->nlower;
    for (size_t i = 0; i < chain->nlower; i++)
        root.ino[i] = chain->lower[i].diff_ino;
    rc = walk_layer(&x, &chain->upper, chain_ok ? &root : NULL);
    for (size_t i = 0; rc == 0 && i < x.nch; i++) {
        char kind[2] = {x.ch[i].kind, '\0'};
        if (x.ch[i].kind)
            rc = husk_casedb_add_diff(db, container_id, kind, x.ch[i].path, err);
    }
    free_changes(&x);
    ovdir_free(&x, &root);
    /* image layers: files only, shared by every container of the image, listed once */
    if (rc == 0 && chain_ok && r->opts && r->opts->hash_images) {
        x.changes = 0;
        x.scope = "image";
        x.container_id = NULL;
        for (size_t i = 0; rc == 0 && i < chain->nlower; i++) {
            const husk_ovl_layer *l = &chain->lower[i];
            if (strlen(l->id) != 64 || image_layer_listed(db, l->id, r->fs_db_id))
                continue;
            rc = walk_layer(&x, l, NULL);
        }
    }
    free(x.buf);
    husk_sb_release(&x.path);
    /* the rows whose hashes and types are still queued: completed now, or, inside
     * husk_diff_defer, by a later call */
    if (Q.defer > 0)
        return rc ? rc : q_write(err, 0);
    int frc = q_finish(rc ? NULL : err);
    return rc ? rc : frc;
}
