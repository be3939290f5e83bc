/*
 * Names in an XFS recovered view (src/recover/xfs_view.h): facts become deleted entries, and
 * recovered objects no fact names get a place.
 *
 * A fact is kept as an entry of its directory when it is the latest binding of its name
 * there, the latest name of its child there (temporary names renamed into place are
 * dropped), its child is not a live object (a rename or a move, not a deletion), and the live
 * directory does not hold the name today. A recovered directory hangs under one parent only,
 * and a binding that would make a loop is dropped.
 *
 * An unnamed directory that knows its parent ("..": short-form header or block entry) goes
 * there as "<deleted-ino-N>"; when it is a removed container's directory, it is named by the
 * container ID its own files carry (config.v2.json "ID", or a "<ID>-json.log" file), and a
 * removed overlay2 layer directory by the mount ID its link file and overlay2/l symlink give.
 * Everything else goes under a virtual /$OrphanFiles (the name TSK uses).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "xfs_view.h"

#define MAX_TREE_DEPTH 4096
#define MAX_LIVE_NAMES (1u << 20)

typedef struct cand {
    uint64_t dir, child, seq;
    uint32_t name_off;
    uint8_t name_len, type, dir_live, drop, remnant;
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

/* ---- resolving facts ------------------------------------------------------------------------ */

/* 1 when live inode ino is a directory (cached: many facts name the same directories). */
static int live_dir(xv_view *v, uint64_t ino)
{
    uint32_t c;
    if (xv_map_get(&v->livedir, ino, &c) == 0)
        return c == 1;
    husk_stat st;
    int isdir = xr_chunks_state(&v->chunks, ino) == XR_INO_LIVE &&
                husk_fs_stat(v->live, ino, &st, NULL) == 0 && st.allocated &&
                st.type == HUSK_FT_DIR;
    xv_map_put(&v->livedir, ino, isdir ? 1 : 2);
    return isdir;
}

static const xv_obj *obj_at(const xv_view *v, int32_t k)
{
    return k >= 0 ? &v->objs[k] : NULL;
}

/* The view directory a fact belongs to: the recovered object of its directory's incarnation,
 * or the live directory. 0 when neither exists. */
static uint64_t resolve_dir(xv_view *v, const xv_fact *f, int *live)
{
    *live = 0;
    const xv_obj *o = NULL;
    if (f->dir_inc >= 0) {
        const xv_inc *in = &v->incs[f->dir_inc];
        if (in->is_live) {
            *live = live_dir(v, f->dir_ino);
            return *live ? f->dir_ino : 0;
        }
        o = obj_at(v, in->obj);
    } else {
        uint32_t k;
        if (xv_map_get(&v->home_by_ino, f->dir_ino, &k) == 0)
            o = &v->objs[k];
        else if (live_dir(v, f->dir_ino)) {
            *live = 1;
            return f->dir_ino;
        }
    }
    return o && o->st.type == HUSK_FT_DIR ? o->vino : 0;
}

/* A name-only object for a child no copy of which survives (one per inode number), or with a
 * synthetic number when its inode belongs to a live object now. */
static int name_only(xv_view *v, const xv_fact *f, int child_live, uint64_t *child)
{
    uint32_t k;
    if (!child_live && xv_map_get(&v->nameonly_by_ino, f->child_ino, &k) == 0) {
        *child = v->objs[k].vino;
        return 1;
    }
    int32_t n = xv_obj_new(v, f->child_ino, XV_SRC_NAME);
    if (n == -2)
        return -HUSK_E_NOMEM;
    if (n < 0)
        return 0;
    xv_obj *o = &v->objs[n];
    o->vino = child_live || xv_obj_of(v, f->child_ino) ? xv_synth(v) : f->child_ino;
    o->st.type = xfs_raw_dir_ftype(f->ftype);
    o->st.mode = o->st.type == HUSK_FT_DIR       ? S_IFDIR
                 : o->st.type == HUSK_FT_SYMLINK ? S_IFLNK
                                                 : S_IFREG;
    xv_how(o, "only a directory entry names inode %llu: %s", (unsigned long long)f->child_ino,
           child_live ? "the inode belongs to a live object now, its old content is lost"
                      : "no copy of the inode survives");
    xv_obj_finish(v, o);
    if (xv_map_put(&v->obj_by_vino, o->vino, (uint32_t)n) != 0 ||
        (!child_live && xv_map_put(&v->nameonly_by_ino, f->child_ino, (uint32_t)n) != 0))
        return -HUSK_E_NOMEM;
    *child = o->vino;
    return 1;
}

/* The view object a fact's child is: the incarnation of its inode current when the binding
 * was logged (home facts: the most recent one). 0 when the child is live (or unknowable). */
static int resolve_child(xv_view *v, const xv_fact *f, int dir_live, uint64_t *child)
{
    uint32_t idx, k;
    int32_t i = xv_map_get(&v->inc_by_ino, f->child_ino, &idx) == 0 ? (int32_t)idx : -1;
    while (f->seq && i >= 0 && v->incs[i].first_seq > f->seq)
        i = v->incs[i].prev;
    if (i >= 0 && v->incs[i].is_live)
        return 0;
    if (i >= 0 && v->incs[i].obj >= 0) {
        *child = v->objs[v->incs[i].obj].vino;
        return 1;
    }
    if (xv_map_get(&v->home_by_ino, f->child_ino, &k) == 0) {
        *child = v->objs[k].vino;
        return 1;
    }
    int live = xr_chunks_state(&v->chunks, f->child_ino) == XR_INO_LIVE;
    if (live && dir_live)
        return 0; /* a live directory naming a live inode: moved or renamed, not deleted */
    return name_only(v, f, live, child);
}

static int cands_push(cands *c, const cand *x)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        cand *n = realloc(c->v, cap * sizeof *n);
        if (!n)
            return -HUSK_E_NOMEM;
        c->v = n;
        c->cap = cap;
    }
    c->v[c->n++] = *x;
    return 0;
}

static int collect(xv_view *v, cands *c)
{
    for (size_t i = 0; i < v->nfact; i++) {
        const xv_fact f = v->facts[i]; /* a copy: name_only() may grow the arrays */
        int live;
        uint64_t dir = resolve_dir(v, &f, &live), child = 0;
        if (!dir)
            continue;
        int rc = resolve_child(v, &f, live, &child);
        if (rc < 0)
            return rc;
        if (rc == 0 || child == dir)
            continue;
        const xv_obj *o = xv_obj_of(v, child);
        cand x = {dir, child, f.seq, f.name_off, f.name_len, 0, (uint8_t)live, 0, f.remnant};
        x.type = (uint8_t)(o ? o->st.type : xfs_raw_dir_ftype(f.ftype));
        if ((rc = cands_push(c, &x)) != 0)
            return rc;
    }
    return 0;
}

/* ---- filtering --------------------------------------------------------------------------------
 */

static const xv_view *sort_view; /* qsort has no context; the view is built by one thread */

/* Later bindings first; at the same point of the log a bound entry before a remnant. */
static int newer_first(const cand *x, const cand *y)
{
    if (x->seq != y->seq)
        return x->seq > y->seq ? -1 : 1;
    return (int)x->remnant - (int)y->remnant;
}

static int by_dir_name_seq(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    int c = strcmp(xv_name(sort_view, x->name_off), xv_name(sort_view, y->name_off));
    if (c)
        return c;
    return newer_first(x, y);
}

static int by_dir_child_seq(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return newer_first(x, y);
}

static int by_child_seq(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return newer_first(x, y);
}

/* Keeps the first candidate of every run of equal keys (eq says whether two are equal). */
static void keep_first(cands *c, int (*eq)(const xv_view *, const cand *, const cand *))
{
    size_t w = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!c->v[i].drop && (w == 0 || !eq(sort_view, &c->v[w - 1], &c->v[i])))
            c->v[w++] = c->v[i];
    c->n = w;
}

static int same_name(const xv_view *v, const cand *x, const cand *y)
{
    return x->dir == y->dir && strcmp(xv_name(v, x->name_off), xv_name(v, y->name_off)) == 0;
}

static int same_child(const xv_view *v, const cand *x, const cand *y)
{
    (void)v;
    return x->dir == y->dir && x->child == y->child;
}

static int same_dir_child(const xv_view *v, const cand *x, const cand *y)
{
    (void)v;
    return x->child == y->child && x->type == HUSK_FT_DIR;
}

typedef struct name_set {
    char **v;
    size_t n, cap;
} name_set;

static int names_cb(const husk_dirent *d, void *ctx)
{
    name_set *s = ctx;
    if (s->n >= MAX_LIVE_NAMES)
        return 1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **n = realloc(s->v, cap * sizeof *n);
        if (!n)
            return -HUSK_E_NOMEM;
        s->v = n;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strndup(d->name, d->name_len)))
        return -HUSK_E_NOMEM;
    s->n++;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(name_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Drops the names live directories still hold (candidates sorted by directory). */
static int drop_live_names(xv_view *v, cands *c)
{
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        while (j < c->n && c->v[j].dir == c->v[i].dir)
            j++;
        if (c->v[i].dir_live) {
            name_set s = {0};
            int rc = husk_fs_list_dir(v->live, c->v[i].dir, names_cb, &s, NULL);
            if (rc == -HUSK_E_NOMEM || (s.n == 0 && rc < 0)) {
                names_free(&s);
                if (rc == -HUSK_E_NOMEM)
                    return rc;
                for (size_t k = i; k < j; k++)
                    c->v[k].drop = 1; /* unreadable live directory: add nothing to it */
                i = j;
                continue;
            }
            if (s.n)
                qsort(s.v, s.n, sizeof *s.v, str_cmp);
            for (size_t k = i; s.n && k < j; k++) {
                const char *key = xv_name(v, c->v[k].name_off);
                if (bsearch(&key, s.v, s.n, sizeof *s.v, str_cmp))
                    c->v[k].drop = 1;
            }
            names_free(&s);
        }
        i = j;
    }
    return 0;
}

/* Drops bindings that would put a recovered directory inside itself. */
static int drop_loops(xv_view *v, cands *c)
{
    xv_map up = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n; i++)
        if (c->v[i].type == HUSK_FT_DIR && xv_obj_of(v, c->v[i].child))
            rc = xv_map_put(&up, c->v[i].child, (uint32_t)i);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        if (c->v[i].type != HUSK_FT_DIR)
            continue;
        uint64_t p = c->v[i].dir;
        uint32_t k;
        for (int depth = 0; depth < MAX_TREE_DEPTH; depth++) {
            if (p == c->v[i].child) {
                c->v[i].drop = 1;
                break;
            }
            if (xv_map_get(&up, p, &k) != 0 || c->v[k].drop)
                break;
            p = c->v[k].dir;
        }
    }
    xv_map_free(&up);
    return rc ? -HUSK_E_NOMEM : 0;
}

/* ---- entries ------------------------------------------------------------------------------------
 */

static int ent_push(xv_view *v, uint64_t dir, uint64_t child, uint32_t name_off, size_t len,
                    uint8_t type)
{
    if (v->nent == v->capent) {
        size_t cap = v->capent ? v->capent * 2 : 256;
        xv_ent *n = realloc(v->ents, cap * sizeof *n);
        if (!n)
            return -HUSK_E_NOMEM;
        v->ents = n;
        v->capent = cap;
    }
    v->ents[v->nent++] = (xv_ent){dir, child, name_off, (uint8_t)len, type};
    xv_obj *o = xv_obj_of(v, child);
    if (o)
        o->named = 1;
    return 0;
}

/* Adds a name to the arena; returns its offset or -1. */
static int64_t name_add(xv_view *v, const char *name)
{
    size_t off = v->names.len;
    if (off > UINT32_MAX - 512 || husk_sb_add(&v->names, name, strlen(name) + 1) != 0)
        return -1;
    return (int64_t)off;
}

static int ent_cmp(const void *a, const void *b)
{
    const xv_ent *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    return strcmp(xv_name(sort_view, x->name_off), xv_name(sort_view, y->name_off));
}

/* Child of dir named name among the sorted entries, 0 when none. */
static uint64_t ent_child(const xv_view *v, uint64_t dir, const char *name)
{
    size_t n, i = xv_ents_of(v, dir, &n);
    for (size_t k = i; k < i + n; k++)
        if (strcmp(xv_name(v, v->ents[k].name_off), name) == 0)
            return v->ents[k].child;
    return 0;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Reads a small recovered file whole (NUL-terminated). */
static char *read_small(xv_view *v, uint64_t vino, size_t max, size_t *len)
{
    xv_obj *o = xv_obj_of(v, vino);
    if (!o || !o->raw || o->st.type != HUSK_FT_FILE || o->st.size == 0 || o->st.size > max)
        return NULL;
    char *buf = malloc((size_t)o->st.size + 1);
    ssize_t n = buf ? xv_obj_read(v, o, 0, buf, (size_t)o->st.size, NULL) : -1;
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* A removed container's ID from its own files. */
static const char *container_id(xv_view *v, uint64_t dir, char id[65])
{
    size_t n, i = xv_ents_of(v, dir, &n);
    for (size_t k = i; k < i + n; k++) {
        const char *name = xv_name(v, v->ents[k].name_off);
        if (strlen(name) == 64 + 9 && strcmp(name + 64, "-json.log") == 0 && is_hex(name, 64)) {
            memcpy(id, name, 64);
            id[64] = '\0';
            return "named after its <ID>-json.log file";
        }
    }
    uint64_t cfg = ent_child(v, dir, "config.v2.json");
    size_t len;
    char *buf = cfg ? read_small(v, cfg, XV_MAX_READ_JSON, &len) : NULL;
    if (!buf)
        return NULL;
    const char *why = NULL;
    json_t *j = json_loadb(buf, len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "ID"));
    if (s && strlen(s) == 64 && is_hex(s, 64)) {
        memcpy(id, s, 65);
        why = "named after the \"ID\" of its config.v2.json";
    }
    json_decref(j);
    free(buf);
    return why;
}

/* A removed overlay2 layer directory's mount ID: its "link" file names a symlink in
 * overlay2/l whose target is "../<mount ID>/diff". */
static const char *layer_id(xv_view *v, uint64_t dir, char id[65])
{
    uint64_t link = ent_child(v, dir, "link");
    size_t len;
    if (!link || !ent_child(v, dir, "diff"))
        return NULL;
    char *s = read_small(v, link, 64, &len);
    if (!s)
        return NULL;
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
        s[--len] = '\0';
    const char *why = NULL;
    for (size_t k = 0; len && !why && k < v->nent; k++) {
        xv_obj *o = xv_obj_of(v, v->ents[k].child);
        uint8_t tgt[XFS_RAW_SYMLINK_MAXLEN + 1];
        if (!o || !o->raw || o->st.type != HUSK_FT_SYMLINK ||
            strcmp(xv_name(v, v->ents[k].name_off), s) != 0)
            continue;
        ssize_t n = xr_symlink_read(&v->d, o->ino, o->raw, &o->di, tgt, NULL);
        if (n == 3 + 64 + 5 && memcmp(tgt, "../", 3) == 0 && memcmp(tgt + 67, "/diff", 5) == 0 &&
            is_hex((const char *)tgt + 3, 64)) {
            memcpy(id, tgt + 3, 64);
            id[64] = '\0';
            why = "named after the mount ID its link file and overlay2/l symlink give";
        }
    }
    free(s);
    return why;
}

/* Names given so far per directory, and the parent of each named object, kept while
 * unnamed directories are placed (hash of directory and name; a collision only makes a name
 * look taken, which adds a suffix). */
typedef struct placing {
    xv_map taken, up;
} placing;

static uint64_t name_key(uint64_t dir, const char *name)
{
    uint64_t h = dir * 0x9e3779b97f4a7c15ULL + 1;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 0x100000001b3ULL;
    return h ? h : 1;
}

static int placing_add(placing *p, const xv_ent *e, const char *name, uint32_t idx)
{
    if (xv_map_put(&p->taken, name_key(e->dir, name), 1) != 0 ||
        xv_map_put(&p->up, e->child, idx) != 0)
        return -HUSK_E_NOMEM;
    return 0;
}

/* 1 when dir (live or recovered) already has the name. */
static int name_taken(xv_view *v, placing *p, uint64_t dir, int live, const char *name)
{
    uint64_t ino;
    uint32_t x;
    if (live && husk_fs_lookup_child(v->live, dir, name, &ino, NULL) == 0)
        return 1;
    return xv_map_get(&p->taken, name_key(dir, name), &x) == 0;
}

/* The parent a recovered directory records, as a view directory: 0 when unknown, itself or
 * inside its own subtree. */
static uint64_t parent_of(xv_view *v, placing *pl, const xv_obj *o, int *live)
{
    *live = 0;
    if (!o->parent_ino || o->parent_ino == o->ino)
        return 0;
    if (live_dir(v, o->parent_ino)) {
        *live = 1;
        return o->parent_ino;
    }
    const xv_obj *p = xv_obj_of(v, o->parent_ino);
    if (!p || p->st.type != HUSK_FT_DIR)
        return 0;
    uint64_t up = p->vino;
    uint32_t k;
    for (int depth = 0; depth < MAX_TREE_DEPTH; depth++) {
        if (up == o->vino)
            return 0;
        if (xv_map_get(&pl->up, up, &k) != 0)
            break;
        up = v->ents[k].dir;
    }
    return p->vino;
}

/* Places the recovered directories nothing names under the parent they record. */
static int name_orphan_dirs(xv_view *v)
{
    placing pl = {{0}, {0}};
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < v->nent; k++)
        rc = placing_add(&pl, &v->ents[k], xv_name(v, v->ents[k].name_off), (uint32_t)k);
    for (size_t i = 0; rc == 0 && i < v->nobj; i++) {
        xv_obj *o = &v->objs[i];
        int live;
        if (o->named || !o->raw || o->st.type != HUSK_FT_DIR || (o->src & XV_SRC_VIRTUAL))
            continue;
        uint64_t dir = parent_of(v, &pl, o, &live);
        if (!dir)
            continue;
        char name[96], id[65];
        const char *why = container_id(v, o->vino, id);
        if (!why)
            why = layer_id(v, o->vino, id);
        o = &v->objs[i];
        if (why && !name_taken(v, &pl, dir, live, id)) {
            snprintf(name, sizeof name, "%s", id);
            xv_how(o, "its name in its parent is lost: %s", why);
        } else {
            snprintf(name, sizeof name, "<deleted-ino-%llu>", (unsigned long long)o->ino);
            if (name_taken(v, &pl, dir, live, name))
                snprintf(name, sizeof name, "<deleted-ino-%llu-%llu>", (unsigned long long)o->ino,
                         (unsigned long long)o->vino);
            xv_how(o, "its name in its parent is lost: \"%s\" is made up", name);
        }
        int64_t off = name_add(v, name);
        if (off < 0 || ent_push(v, dir, o->vino, (uint32_t)off, strlen(name), HUSK_FT_DIR) != 0)
            rc = -HUSK_E_NOMEM;
        else
            rc = placing_add(&pl, &v->ents[v->nent - 1], name, (uint32_t)(v->nent - 1));
    }
    xv_map_free(&pl.taken);
    xv_map_free(&pl.up);
    return rc;
}

/* Everything still unnamed goes under /$OrphanFiles. */
static int orphans(xv_view *v)
{
    uint64_t root = v->live->root_inode;
    for (size_t i = 0, n = v->nobj; i < n; i++) {
        xv_obj *o = &v->objs[i];
        if (o->named || (o->src & XV_SRC_VIRTUAL))
            continue;
        if (!v->orphan_dir) {
            int32_t k = xv_obj_new(v, 0, XV_SRC_VIRTUAL);
            int64_t off = name_add(v, "$OrphanFiles");
            if (k < 0 || off < 0)
                return k == -1 ? 0 : -HUSK_E_NOMEM;
            xv_obj *d = &v->objs[k];
            d->vino = v->orphan_dir = xv_synth(v);
            d->st.inode = d->vino;
            d->st.type = HUSK_FT_DIR;
            d->st.mode = S_IFDIR | 0500;
            d->from = "virtual";
            d->conf = 1.0;
            d->named = 1;
            xv_how(d, "virtual directory: deleted objects whose name and parent are lost");
            if (xv_map_put(&v->obj_by_vino, d->vino, (uint32_t)k) != 0 ||
                ent_push(v, root, d->vino, (uint32_t)off, 12, HUSK_FT_DIR) != 0)
                return -HUSK_E_NOMEM;
            o = &v->objs[i];
        }
        char name[96];
        if (o->vino == o->ino)
            snprintf(name, sizeof name, "<deleted-ino-%llu>", (unsigned long long)o->ino);
        else
            snprintf(name, sizeof name, "<deleted-ino-%llu-%llu>", (unsigned long long)o->ino,
                     (unsigned long long)o->vino);
        int64_t off = name_add(v, name);
        if (off < 0 ||
            ent_push(v, v->orphan_dir, o->vino, (uint32_t)off, strlen(name), o->st.type) != 0)
            return -HUSK_E_NOMEM;
        o = &v->objs[i];
        xv_how(o, "its name and parent are lost: listed under /$OrphanFiles");
    }
    return 0;
}

/* qsort() for arrays that may be empty (and NULL). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

int xv_names_build(xv_view *v)
{
    cands c = {NULL, 0, 0};
    sort_view = v;
    int rc = collect(v, &c);
    if (rc == 0) {
        sort(c.v, c.n, sizeof *c.v, by_dir_name_seq);
        keep_first(&c, same_name);
        sort(c.v, c.n, sizeof *c.v, by_dir_child_seq);
        keep_first(&c, same_child);
        rc = drop_live_names(v, &c);
    }
    if (rc == 0) {
        sort(c.v, c.n, sizeof *c.v, by_child_seq);
        keep_first(&c, same_dir_child);
        rc = drop_loops(v, &c);
    }
    for (size_t i = 0; rc == 0 && i < c.n; i++)
        if (!c.v[i].drop)
            rc = ent_push(v, c.v[i].dir, c.v[i].child, c.v[i].name_off, c.v[i].name_len,
                          c.v[i].type);
    free(c.v);
    if (rc == 0) {
        sort(v->ents, v->nent, sizeof *v->ents, ent_cmp);
        v->nent_sorted = v->nent;
        rc = name_orphan_dirs(v);
    }
    if (rc == 0)
        rc = orphans(v);
    if (rc == 0) {
        sort(v->ents, v->nent, sizeof *v->ents, ent_cmp);
        v->nent_sorted = v->nent;
    }
    return rc;
}
