/*
 * The merged view of a container's layers, walked for export (include/husk/export.h).
 *
 * This is the kernel's overlayfs lookup done on the evidence: for each name, the layers are
 * consulted top-down; a whiteout hides it below, a non-directory ends the search, directories
 * merge until an opaque one. src/analysis/diff.c answers a different question (what changed
 * between the upper directory and the rest) and walks only the upper directory; the export
 * walks the union of every layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "husk/export.h"
#include "husk/strbuf.h"

#define MAX_DEPTH 256           /* directory levels below the root */
#define MAX_DIR_ENTRIES 1000000 /* names kept from one layer's directory */
#define MAX_OBJECTS 20000000u   /* objects exported in one run */
#define MAX_PATH 4096
#define MAX_LINKS 40            /* symlinks followed while resolving the path to copy */
#define READ_CHUNK (1u << 20)
#define MAX_XATTR_VALUE 65536

/* One name of one layer's directory. */
typedef struct lname {
    size_t off, len; /* into the listing's arena */
    size_t layer;    /* index into the layers array: smaller is higher */
    uint64_t ino;
} lname;

typedef struct listing {
    husk_strbuf arena;
    lname *v;
    size_t n, cap, bad, limit, layer;
    int truncated;
} listing;

/* A directory of the merged view: the layers' directories that make it up, topmost first. */
typedef struct mdir {
    size_t n;
    uint64_t *ino;
    size_t *layer;
} mdir;

/* What the merged view holds at one name. */
typedef struct ment {
    int exists;
    husk_stat st;
    uint64_t ino, data_ino;
    size_t layer;
    mdir dirs; /* directories: the layers' directories merged here */
} ment;

typedef struct hlink {
    uint64_t ino;
    char *name;
    size_t len;
    char sha256[65]; /* of the first name's data */
} hlink;

typedef struct mctx {
    husk_fs *fs;
    const husk_export_layer *layers;
    size_t nl;
    const husk_export_opts *o;
    const husk_export_sink *sink;
    husk_export_stats *stats;
    husk_diag *diag;
    husk_err *err;
    husk_strbuf name, cpath;
    unsigned char *buf;
    uint8_t *xbuf; /* xattr values of the current item */
    size_t xlen;
    hlink *hl;
    size_t nhl, caphl;
    int depth;
    uint64_t anc[MAX_DEPTH + 2];
    int limit_reported;
} mctx;

static const char *where(mctx *x)
{
    return x->cpath.len ? x->cpath.buf : "/";
}

/* ---- listings ---- */

static int list_cb(const husk_dirent *d, void *ctx)
{
    listing *l = ctx;
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
        lname *p = realloc(l->v, nc * sizeof *p);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    lname *e = &l->v[l->n++];
    e->off = l->arena.len;
    e->len = d->name_len;
    e->layer = l->layer;
    e->ino = d->inode;
    if (husk_sb_add(&l->arena, d->name, d->name_len) < 0)
        return -HUSK_E_NOMEM;
    return 0;
}

/* All names of a merged directory, each with the layer it is in. */
typedef struct names {
    husk_strbuf arena;
    lname *v;
    size_t n, cap;
} names;

static const char *arena_at(const names *a, const lname *e)
{
    return a->arena.buf + e->off;
}

static const names *sort_names; /* qsort has no context argument */

static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static int lname_cmp(const void *pa, const void *pb)
{
    const lname *a = pa, *b = pb;
    int c = name_cmp(arena_at(sort_names, a), a->len, arena_at(sort_names, b), b->len);
    if (c)
        return c;
    return a->layer < b->layer ? -1 : a->layer > b->layer;
}

static void names_free(names *a)
{
    husk_sb_release(&a->arena);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* Lists every layer directory of d into one array sorted by (name, layer). */
static int names_load(mctx *x, const mdir *d, names *all)
{
    memset(all, 0, sizeof *all);
    for (size_t i = 0; i < d->n; i++) {
        listing l;
        memset(&l, 0, sizeof l);
        l.limit = MAX_DIR_ENTRIES;
        l.layer = d->layer[i];
        husk_err e = {0};
        int rc = husk_fs_list_dir(x->fs, d->ino[i], list_cb, &l, &e);
        const char *lo = x->layers[d->layer[i]].origin;
        if (rc == -HUSK_E_NOMEM) {
            husk_sb_release(&l.arena);
            free(l.v);
            return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory listing %s", where(x));
        }
        if (rc < 0) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "cannot list the directory in layer %s: %s", lo, e.msg);
            x->stats->damaged++;
        }
        if (l.bad)
            husk_diag_report(x->diag, "export", where(x), -1,
                             "%zu impossible names skipped in layer %s", l.bad, lo);
        if (l.truncated)
            husk_diag_report(x->diag, "export", where(x), -1,
                             "over %d entries in layer %s: rest skipped", MAX_DIR_ENTRIES, lo);
        /* append to the merged array, rebasing name offsets on the merged arena */
        size_t base = all->arena.len;
        int nomem = husk_sb_add(&all->arena, l.arena.buf ? l.arena.buf : "", l.arena.len) < 0;
        if (!nomem && all->n + l.n > all->cap) {
            lname *nv = realloc(all->v, (all->n + l.n + 16) * sizeof *nv);
            if (nv) {
                all->v = nv;
                all->cap = all->n + l.n + 16;
            }
            nomem = !nv;
        }
        if (nomem) {
            husk_sb_release(&l.arena);
            free(l.v);
            return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory listing %s", where(x));
        }
        for (size_t j = 0; j < l.n; j++) {
            all->v[all->n] = l.v[j];
            all->v[all->n].off += base;
            all->n++;
        }
        husk_sb_release(&l.arena);
        free(l.v);
    }
    if (all->n) {
        sort_names = all;
        qsort(all->v, all->n, sizeof *all->v, lname_cmp);
        sort_names = NULL;
    }
    return 0;
}

/* ---- overlay rules ---- */

static int has_ovl_xattr(mctx *x, uint64_t ino, const char *name)
{
    char full[64];
    uint8_t v[8];
    snprintf(full, sizeof full, "trusted.overlay.%s", name);
    if (husk_fs_get_xattr(x->fs, ino, full, v, sizeof v, NULL) >= 0)
        return 1;
    snprintf(full, sizeof full, "user.overlay.%s", name);
    return husk_fs_get_xattr(x->fs, ino, full, v, sizeof v, NULL) >= 0;
}

/* A whiteout: char device 0/0, or (overlayfs since Linux 6.7) an empty regular file that
 * carries the overlay.whiteout xattr. */
static int is_whiteout(mctx *x, uint64_t ino, const husk_stat *st)
{
    if (husk_stat_is_whiteout(st))
        return 1;
    return st->type == HUSK_FT_FILE && st->size == 0 && has_ovl_xattr(x, ino, "whiteout");
}

static int is_opaque(mctx *x, uint64_t ino)
{
    husk_err e = {0};
    int r = husk_fs_is_opaque(x->fs, ino, &e);
    if (r < 0) {
        husk_diag_report(x->diag, "export", where(x), -1,
                         "cannot read overlay xattrs of inode %llu: %s", (unsigned long long)ino,
                         e.msg);
        return 0;
    }
    return r;
}

static int mdir_init(mdir *d, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->ino = calloc(cap ? cap : 1, sizeof *d->ino);
    d->layer = calloc(cap ? cap : 1, sizeof *d->layer);
    return d->ino && d->layer ? 0 : -1;
}

static void mdir_free(mdir *d)
{
    free(d->ino);
    free(d->layer);
    memset(d, 0, sizeof *d);
}

/*
 * The merged entry of one name, from its candidates (ino, layer) topmost first. Returns 0
 * (o->exists says whether the name is visible), or a negative code when out of memory.
 */
static int merge_name(mctx *x, const uint64_t *ino, const size_t *layer, size_t n, ment *o)
{
    o->exists = 0;
    o->dirs.n = 0;
    for (size_t i = 0; i < n; i++) {
        husk_stat st;
        husk_err er = {0};
        if (husk_fs_stat(x->fs, ino[i], &st, &er) < 0) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "entry in layer %s unreadable: %s", x->layers[layer[i]].origin,
                             er.msg);
            x->stats->damaged++;
            return 0; /* neither mergeable nor exportable: what is below stays hidden */
        }
        int white = is_whiteout(x, ino[i], &st);
        if (!o->exists) {
            if (white)
                return 0;
            o->exists = 1;
            o->st = st;
            o->ino = o->data_ino = ino[i];
            o->layer = layer[i];
            if (st.type != HUSK_FT_DIR) {
                /* a metacopy upper file keeps its data in the lower file at the same path */
                if (st.type == HUSK_FT_FILE && strcmp(x->layers[layer[i]].kind, "upper") == 0 &&
                    has_ovl_xattr(x, ino[i], "metacopy")) {
                    husk_stat ls;
                    if (!has_ovl_xattr(x, ino[i], "redirect") && i + 1 < n &&
                        husk_fs_stat(x->fs, ino[i + 1], &ls, NULL) == 0 &&
                        ls.type == HUSK_FT_FILE)
                        o->data_ino = ino[i + 1];
                    else
                        husk_diag_report(x->diag, "export", where(x), -1,
                                         "metacopy file whose data is elsewhere (renamed or "
                                         "missing): exported as it is in the upper layer");
                }
                return 0;
            }
        } else if (white || st.type != HUSK_FT_DIR) {
            return 0;
        }
        o->dirs.ino[o->dirs.n] = ino[i];
        o->dirs.layer[o->dirs.n] = layer[i];
        o->dirs.n++;
        if (is_opaque(x, ino[i]))
            return 0;
    }
    return 0;
}

/* ---- one object ---- */

static int xattr_keep(mctx *x, const char *name)
{
    if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
        return 0;
    return x->o->all_xattrs || strcmp(name, "security.capability") == 0;
}

typedef struct xcollect {
    mctx *x;
    husk_export_item *it;
    size_t need;
    char names[HUSK_EXPORT_MAX_XATTRS][256];
} xcollect;

static int xattr_cb(const char *name, const uint8_t *value, size_t len, void *ctx)
{
    xcollect *c = ctx;
    mctx *x = c->x;
    if (!xattr_keep(x, name))
        return 0;
    if (c->it->nxattrs >= HUSK_EXPORT_MAX_XATTRS || len > MAX_XATTR_VALUE ||
        strlen(name) >= sizeof c->names[0]) {
        husk_diag_report(x->diag, "export", where(x), -1, "xattr %s not exported (limits)", name);
        return 0;
    }
    uint8_t *nb = realloc(x->xbuf, x->xlen + len + 1);
    if (!nb)
        return -HUSK_E_NOMEM;
    x->xbuf = nb;
    memcpy(x->xbuf + x->xlen, value, len);
    size_t k = c->it->nxattrs++;
    snprintf(c->names[k], sizeof c->names[k], "%s", name);
    c->it->xattrs[k].name = c->names[k];
    c->it->xattrs[k].value = (const uint8_t *)(uintptr_t)x->xlen; /* rebased below */
    c->it->xattrs[k].len = len;
    x->xlen += len;
    return 0;
}

static hlink *hl_find(mctx *x, uint64_t ino)
{
    for (size_t i = 0; i < x->nhl; i++) /* only nlink > 1 files are kept: few */
        if (x->hl[i].ino == ino)
            return &x->hl[i];
    return NULL;
}

static int hl_add(mctx *x, uint64_t ino, const char *name, size_t len)
{
    if (x->nhl == x->caphl) {
        size_t nc = x->caphl ? x->caphl * 2 : 16;
        hlink *p = realloc(x->hl, nc * sizeof *p);
        if (!p)
            return -1;
        x->hl = p;
        x->caphl = nc;
    }
    char *s = malloc(len + 1);
    if (!s)
        return -1;
    memcpy(s, name, len);
    s[len] = '\0';
    x->hl[x->nhl] = (hlink){ino, s, len, ""};
    x->nhl++;
    return 0;
}

static void hex32(const unsigned char *d, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

/* Reads a regular file's bytes into the sink, hashing them. */
static int send_data(mctx *x, husk_export_item *it)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return husk_err_set(x->err, HUSK_E_NOMEM, "cannot start SHA-256");
    }
    uint64_t size = it->st.size, off = 0;
    int rc = 0;
    while (off < size) {
        size_t want = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
        husk_err e = {0};
        ssize_t n = husk_fs_read(x->fs, it->data_ino, off, x->buf, want, &e);
        if (n <= 0) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "read %llu of %llu bytes: %s; zeros written for the rest",
                             (unsigned long long)off, (unsigned long long)size,
                             n < 0 ? e.msg : "unexpected end of data");
            it->damaged = 1;
            break;
        }
        if ((size_t)n > want)
            n = (ssize_t)want;
        EVP_DigestUpdate(md, x->buf, (size_t)n);
        if ((rc = x->sink->data(x->sink->ctx, x->buf, (size_t)n, x->err)) < 0)
            break;
        off += (uint64_t)n;
    }
    it->written = off;
    if (rc == 0 && off < size) {
        memset(x->buf, 0, READ_CHUNK);
        while (rc == 0 && off < size) {
            size_t k = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
            rc = x->sink->data(x->sink->ctx, x->buf, k, x->err);
            off += k;
        }
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    /* the hash stands for the file only when all of it was read */
    if (rc == 0 && !it->damaged && EVP_DigestFinal_ex(md, d, &dl) == 1 && dl == 32)
        hex32(d, it->sha256);
    EVP_MD_CTX_free(md);
    return rc;
}

static int walk_dir(mctx *x, const mdir *d);

/* Per-object scratch space, on the heap: directories recurse up to MAX_DEPTH levels. */
typedef struct scratch {
    char link[MAX_PATH];
    xcollect xc;
} scratch;

/* Exports the object at x->name / x->cpath (already set) described by o. */
static int export_one_in(mctx *x, const ment *o, int emit, scratch *sc)
{
    husk_export_item it;
    memset(&it, 0, sizeof it);
    it.st = o->st;
    it.data_ino = o->data_ino;
    it.layer = &x->layers[o->layer];
    it.cpath = x->cpath.len ? x->cpath.buf : "/";
    it.prov.recovered_from = "live";
    it.prov.confidence = 1.0;
    husk_fs_provenance(x->fs, o->ino, &it.prov, it.how, sizeof it.how);
    husk_ftype t = o->st.type;
    if (t == HUSK_FT_SOCKET || t == HUSK_FT_UNKNOWN) {
        /* Docker's archive code skips sockets; an unknown type cannot be written */
        if (t == HUSK_FT_UNKNOWN) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "object of unknown type (mode %06o): not exported", o->st.mode);
            x->stats->damaged++;
        }
        return 0;
    }
    if (++x->stats->objects > MAX_OBJECTS) {
        if (!x->limit_reported)
            husk_diag_report(x->diag, "export", where(x), -1,
                             "more than %u objects: the rest are not exported", MAX_OBJECTS);
        x->limit_reported = 1;
        return 0;
    }
    if (t == HUSK_FT_DIR && emit && husk_sb_add(&x->name, "/", 1) < 0)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    it.name = x->name.buf;
    it.name_len = x->name.len;
    char *link = sc->link;
    if (t == HUSK_FT_SYMLINK) {
        husk_err e = {0};
        ssize_t n = husk_fs_readlink(x->fs, o->ino, link, MAX_PATH, &e);
        if (n < 0 || (size_t)n >= MAX_PATH) {
            husk_diag_report(x->diag, "export", where(x), -1, "symlink target unreadable: %s",
                             n < 0 ? e.msg : "too long");
            x->stats->damaged++;
            it.damaged = 1;
            n = 0;
        }
        link[n] = '\0';
        it.link = link;
        it.link_len = (size_t)n;
    }
    if (t == HUSK_FT_FILE && x->o->hardlinks && o->st.nlink > 1 && emit) {
        const hlink *h = hl_find(x, o->ino);
        if (h) {
            it.hardlink = h->name;
            it.hardlink_len = h->len;
            memcpy(it.sha256, h->sha256, sizeof it.sha256);
        } else if (hl_add(x, o->ino, x->name.buf, x->name.len) < 0) {
            return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
        }
    }
    sc->xc.x = x;
    sc->xc.it = &it;
    x->xlen = 0;
    husk_err e = {0};
    int rc = husk_fs_list_xattrs(x->fs, o->ino, xattr_cb, &sc->xc, &e);
    if (rc == -HUSK_E_NOMEM)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    if (rc < 0)
        husk_diag_report(x->diag, "export", where(x), -1, "cannot read xattrs: %s", e.msg);
    for (size_t i = 0; i < it.nxattrs; i++)
        it.xattrs[i].value = x->xbuf + (uintptr_t)it.xattrs[i].value;
    if (strcmp(it.prov.recovered_from, "live") != 0)
        x->stats->recovered++;

    if (emit && (rc = x->sink->begin(x->sink->ctx, &it, x->err)) < 0)
        return rc;
    if (t == HUSK_FT_FILE && !it.hardlink && emit) {
        if ((rc = send_data(x, &it)) < 0)
            return rc;
        x->stats->bytes += it.written;
        hlink *h = o->st.nlink > 1 ? hl_find(x, o->ino) : NULL;
        if (h)
            memcpy(h->sha256, it.sha256, sizeof h->sha256);
    }
    if (t == HUSK_FT_FILE)
        it.hardlink ? x->stats->hardlinks++ : x->stats->files++;
    else if (t == HUSK_FT_DIR)
        x->stats->dirs++;
    else if (t == HUSK_FT_SYMLINK)
        x->stats->symlinks++;
    else
        x->stats->others++;
    if (it.damaged)
        x->stats->damaged++;
    if (t == HUSK_FT_DIR) {
        int loop = 0;
        for (int i = 0; i <= x->depth; i++)
            loop |= x->anc[i] == o->ino;
        if (loop) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "directory inode %llu is its own ancestor: not descended",
                             (unsigned long long)o->ino);
        } else if (x->depth >= MAX_DEPTH) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "deeper than %d levels: not descended", MAX_DEPTH);
        } else {
            x->anc[++x->depth] = o->ino;
            rc = walk_dir(x, &o->dirs);
            x->depth--;
            if (rc < 0)
                return rc;
        }
        it.nxattrs = 0; /* their values (x->xbuf) were reused below: valid in begin only */
    }
    if (emit)
        rc = x->sink->end(x->sink->ctx, &it, x->err);
    return rc;
}

static int export_one(mctx *x, const ment *o, int emit)
{
    scratch *sc = malloc(sizeof *sc);
    if (!sc)
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    int rc = export_one_in(x, o, emit, sc);
    free(sc);
    return rc;
}

/* ---- the walk ---- */

static long push(husk_strbuf *sb, const char *name, size_t len, int slash)
{
    size_t old = sb->len;
    if (old + 1 + len >= MAX_PATH)
        return -1;
    if ((slash && husk_sb_add(sb, "/", 1) < 0) || husk_sb_add(sb, name, len) < 0) {
        sb->len = old;
        if (sb->buf)
            sb->buf[old] = '\0';
        return -2;
    }
    return (long)old;
}

static void pop(husk_strbuf *sb, size_t old)
{
    sb->len = old;
    if (sb->buf)
        sb->buf[old] = '\0';
}

static int walk_dir(mctx *x, const mdir *d)
{
    names all;
    int rc = names_load(x, d, &all);
    if (rc < 0)
        return rc;
    uint64_t *ino = calloc(x->nl ? x->nl : 1, sizeof *ino);
    size_t *layer = calloc(x->nl ? x->nl : 1, sizeof *layer);
    ment o;
    if (!ino || !layer || mdir_init(&o.dirs, x->nl) < 0) {
        free(ino);
        free(layer);
        names_free(&all);
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    }
    size_t name_base = x->name.len, cpath_base = x->cpath.len;
    /* a directory's own name ends in '/' in the archive; its children go after it */
    int slash_name = name_base > 0 && x->name.buf[name_base - 1] != '/';
    for (size_t i = 0; rc == 0 && i < all.n;) {
        const char *nm = arena_at(&all, &all.v[i]);
        size_t len = all.v[i].len, k = 0, j = i;
        for (; j < all.n && name_cmp(arena_at(&all, &all.v[j]), all.v[j].len, nm, len) == 0;
             j++) {
            if (k > 0 && layer[k - 1] == all.v[j].layer)
                continue; /* listed twice in one layer (damage): first one counts */
            if (k < x->nl) {
                ino[k] = all.v[j].ino;
                layer[k] = all.v[j].layer;
                k++;
            }
        }
        i = j;
        long pn = push(&x->name, nm, len, slash_name);
        long pc = pn < 0 ? pn : push(&x->cpath, nm, len, 1);
        if (pn == -2 || pc == -2) {
            rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
            break;
        }
        if (pn < 0 || pc < 0) {
            husk_diag_report(x->diag, "export", where(x), -1,
                             "entry '%.*s': path longer than %d bytes, skipped", (int)len, nm,
                             MAX_PATH);
            x->stats->damaged++;
        } else if ((rc = merge_name(x, ino, layer, k, &o)) == 0 && o.exists) {
            rc = export_one(x, &o, 1);
        }
        pop(&x->name, name_base);
        pop(&x->cpath, cpath_base);
    }
    mdir_free(&o.dirs);
    free(ino);
    free(layer);
    names_free(&all);
    return rc;
}

/* Looks one name up in the merged directory d. */
static int lookup_name(mctx *x, const mdir *d, const char *name, ment *o)
{
    uint64_t *ino = calloc(x->nl ? x->nl : 1, sizeof *ino);
    size_t *layer = calloc(x->nl ? x->nl : 1, sizeof *layer);
    size_t k = 0;
    if (!ino || !layer) {
        free(ino);
        free(layer);
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n; i++) {
        uint64_t c;
        if (husk_fs_lookup_child(x->fs, d->ino[i], name, &c, NULL) == 0) {
            ino[k] = c;
            layer[k] = d->layer[i];
            k++;
        }
    }
    int rc = merge_name(x, ino, layer, k, o);
    free(ino);
    free(layer);
    return rc;
}

static int mdir_copy(mdir *dst, const mdir *src)
{
    for (size_t i = 0; i < src->n; i++) {
        dst->ino[i] = src->ino[i];
        dst->layer[i] = src->layer[i];
    }
    dst->n = src->n;
    return 0;
}

/*
 * Resolves path in the merged view, following symlinks of intermediate components (and of
 * the last one when follow_last) inside the container's root, as docker cp does. On success
 * o describes the object and x->cpath holds its resolved path.
 */
static int resolve(mctx *x, const mdir *root, const char *path, ment *o, int follow_last)
{
    char *work = malloc(MAX_PATH * 2), *link = malloc(MAX_PATH);
    mdir cur, tmp;
    int rc = 0, links = 0;
    if (!work || !link || mdir_init(&cur, x->nl) < 0 || mdir_init(&tmp, x->nl) < 0) {
        free(work);
        free(link);
        return husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    }
    snprintf(work, MAX_PATH * 2, "%s", path);
restart:
    mdir_copy(&cur, root);
    pop(&x->cpath, 0);
    o->exists = 1;
    memset(&o->st, 0, sizeof o->st);
    o->st.type = HUSK_FT_DIR;
    o->layer = root->n ? root->layer[0] : 0;
    o->ino = root->n ? root->ino[0] : 0;
    if (root->n)
        husk_fs_stat(x->fs, o->ino, &o->st, NULL);
    mdir_copy(&o->dirs, root);
    for (char *p = work; rc == 0;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char comp[256];
        if (len >= sizeof comp) {
            rc = husk_err_set(x->err, HUSK_E_NOTFOUND, "path component too long");
            break;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        p += len;
        int last = *p == '\0' || strspn(p, "/") == strlen(p);
        if (strcmp(comp, ".") == 0)
            continue;
        if (o->st.type != HUSK_FT_DIR) {
            rc = husk_err_set(x->err, HUSK_E_NOTFOUND, "%s is not a directory", where(x));
            break;
        }
        if (strcmp(comp, "..") == 0) {
            /* resolve the parent from the root again: ".." never leaves the root */
            char *parent = strdup(x->cpath.buf ? x->cpath.buf : "");
            if (!parent) {
                rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            char *sl = strrchr(parent, '/');
            if (sl)
                *sl = '\0';
            else
                parent[0] = '\0';
            char *rest = strdup(p);
            if (!rest) {
                free(parent);
                rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            int w = snprintf(work, MAX_PATH * 2, "%s/%s", parent, rest);
            free(parent);
            free(rest);
            if (w < 0 || w >= MAX_PATH * 2) {
                rc = husk_err_set(x->err, HUSK_E_LIMIT, "path too long");
                break;
            }
            goto restart;
        }
        mdir_copy(&tmp, &o->dirs);
        if ((rc = lookup_name(x, &tmp, comp, o)) < 0)
            break;
        long pc = push(&x->cpath, comp, len, 1);
        if (pc < 0) {
            rc = husk_err_set(x->err, pc == -2 ? HUSK_E_NOMEM : HUSK_E_LIMIT, "path too long");
            break;
        }
        if (!o->exists) {
            rc = husk_err_set(x->err, HUSK_E_NOTFOUND, "%s: no such file or directory",
                              x->cpath.buf);
            break;
        }
        if (o->st.type == HUSK_FT_SYMLINK && (!last || follow_last)) {
            if (++links > MAX_LINKS) {
                rc = husk_err_set(x->err, HUSK_E_LIMIT, "too many levels of symbolic links");
                break;
            }
            ssize_t n = husk_fs_readlink(x->fs, o->ino, link, MAX_PATH, NULL);
            if (n < 0 || n >= MAX_PATH) {
                rc = husk_err_set(x->err, HUSK_E_FORMAT, "%s: unreadable symlink", x->cpath.buf);
                break;
            }
            link[n] = '\0';
            char *rest = strdup(p), *parent = strdup(x->cpath.buf);
            if (!rest || !parent) {
                free(rest);
                free(parent);
                rc = husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            *strrchr(parent, '/') = '\0';
            int w = link[0] == '/' ? snprintf(work, MAX_PATH * 2, "%s%s", link, rest)
                                   : snprintf(work, MAX_PATH * 2, "%s/%s%s", parent, link, rest);
            free(rest);
            free(parent);
            if (w < 0 || w >= MAX_PATH * 2) {
                rc = husk_err_set(x->err, HUSK_E_LIMIT, "path too long after symlinks");
                break;
            }
            goto restart;
        }
    }
    mdir_free(&cur);
    mdir_free(&tmp);
    free(work);
    free(link);
    return rc;
}

int husk_export_walk(husk_fs *fs, const husk_export_layer *layers, size_t nlayers,
                     const husk_export_opts *o, const husk_export_sink *sink,
                     husk_export_stats *stats, husk_diag *diag, husk_err *err)
{
    husk_export_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (nlayers == 0)
        return husk_err_set(err, HUSK_E_ARG, "no layers to export");
    mctx x = {.fs = fs, .layers = layers, .nl = nlayers, .o = o, .sink = sink,
              .stats = stats, .diag = diag, .err = err};
    mdir root;
    ment top;
    x.buf = malloc(READ_CHUNK);
    if (!x.buf || mdir_init(&root, nlayers) < 0 || mdir_init(&top.dirs, nlayers) < 0 ||
        husk_sb_grow(&x.name, 256) < 0 || husk_sb_grow(&x.cpath, 256) < 0) {
        free(x.buf);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    /* the layer roots always merge: overlayfs ignores opaque on a layer's root */
    for (size_t i = 0; i < nlayers; i++) {
        root.ino[i] = layers[i].diff_ino;
        root.layer[i] = i;
    }
    root.n = nlayers;
    int rc = resolve(&x, &root, o->path && *o->path ? o->path : "/", &top, o->follow_last);
    if (rc == 0) {
        x.depth = 0;
        /* the object itself is the first ancestor of what is below it */
        x.anc[0] = o->prefix && *o->prefix ? 0 : top.ino;
        if (o->prefix && *o->prefix) {
            if (husk_sb_adds(&x.name, o->prefix) < 0)
                rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            else
                rc = export_one(&x, &top, 1);
        } else if (top.st.type == HUSK_FT_DIR) {
            rc = walk_dir(&x, &top.dirs);
        } else {
            rc = husk_err_set(err, HUSK_E_ARG, "%s is not a directory: give it a name",
                              where(&x));
        }
    }
    for (size_t i = 0; i < x.nhl; i++)
        free(x.hl[i].name);
    free(x.hl);
    free(x.xbuf);
    free(x.buf);
    mdir_free(&root);
    mdir_free(&top.dirs);
    husk_sb_release(&x.name);
    husk_sb_release(&x.cpath);
    return rc;
}

/* ---- the tar sink ---- */

static int tar_begin(void *ctx, const husk_export_item *it, husk_err *err)
{
    husk_tar *t = ctx;
    husk_tar_entry e = {.name = it->name,
                        .name_len = it->name_len,
                        .mode = it->st.mode,
                        .uid = it->st.uid,
                        .gid = it->st.gid,
                        .mtime_sec = it->st.mtime.present ? it->st.mtime.sec : 0,
                        .mtime_nsec = it->st.mtime.present ? it->st.mtime.nsec : 0,
                        .xattrs = it->xattrs,
                        .nxattrs = it->nxattrs};
    switch (it->st.type) {
    case HUSK_FT_FILE:
        e.typeflag = it->hardlink ? '1' : '0';
        e.size = it->hardlink ? 0 : it->st.size;
        e.linkname = it->hardlink;
        e.linkname_len = it->hardlink_len;
        break;
    case HUSK_FT_DIR: e.typeflag = '5'; break;
    case HUSK_FT_SYMLINK:
        e.typeflag = '2';
        e.linkname = it->link;
        e.linkname_len = it->link_len;
        break;
    case HUSK_FT_CHAR: e.typeflag = '3'; break;
    case HUSK_FT_BLOCK: e.typeflag = '4'; break;
    case HUSK_FT_FIFO: e.typeflag = '6'; break;
    default: return 0;
    }
    e.devmajor = it->st.rdev_major;
    e.devminor = it->st.rdev_minor;
    if (husk_tar_header(t, &e) < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot write the tar header of %s", it->cpath);
    return 0;
}

static int tar_data(void *ctx, const void *buf, size_t n, husk_err *err)
{
    if (husk_tar_data(ctx, buf, n) < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot write tar data");
    return 0;
}

static int tar_end(void *ctx, husk_export_item *it, husk_err *err)
{
    (void)it;
    if (husk_tar_fill(ctx) < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot write tar data");
    return 0;
}

husk_export_sink husk_export_tar_sink(husk_tar *t)
{
    husk_export_sink s = {tar_begin, tar_data, tar_end, t};
    return s;
}
