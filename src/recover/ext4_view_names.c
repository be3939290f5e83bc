/*
 * Names in an ext4 recovered view (src/recover/ext4_view.h): the facts (ext4_view_facts.c)
 * turned into the view's deleted entries, and a place for the recovered objects no fact
 * names.
 *
 * A fact is kept as an entry when it is the latest binding of its name in its directory, its
 * child is not the live object (a rename or a hard link, not a deletion), the live directory
 * does not hold the name today, and it is the latest name of its child there (temporary
 * names renamed into place are dropped). A recovered directory hangs under one parent only,
 * and a binding that would make a loop is dropped.
 *
 * An unnamed recovered directory whose ".." is known goes there as "<deleted-dir-N>", or by
 * its container ID when it is a removed container's directory under a "containers"
 * directory (from a "<ID>-json.log" entry or config.v2.json's "ID"). Everything else goes
 * under a virtual /$OrphanFiles (the name TSK uses).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "ext4_view.h"
#include "husk/jbd2.h"

/* deeper chains of recovered directories are dropped as loops (ls stops at 64 anyway) */
#define MAX_TREE_DEPTH 128

const char *e4v_name(const e4v_view *v, uint32_t off)
{
    return v->names.buf + off;
}

/* ---- resolving numbers to objects ------------------------------------------------------- */

typedef struct commit_time {
    uint32_t seq;
    int64_t sec;
} commit_time;

typedef struct resolver {
    e4v_view *v;
    commit_time *ct;
    size_t nct;
    uint8_t *raw;
} resolver;

static int ct_cmp(const void *a, const void *b)
{
    const commit_time *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int64_t commit_sec(const resolver *rs, uint32_t seq)
{
    size_t lo = 0, hi = rs->nct;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rs->ct[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rs->nct && rs->ct[lo].seq == seq ? rs->ct[lo].sec : 0;
}

/* The number's state today: 1 live (allocated, linked), 0 not; the record in rs->raw. */
static int live_now(resolver *rs, uint64_t ino, e4r_inode *now)
{
    e4v_view *v = rs->v;
    memset(now, 0, sizeof *now);
    if (ino == 0 || ino > v->sb.inodes_count || e4v_current_inode(v, ino, rs->raw, NULL) != 0)
        return 0;
    e4r_inode_get(rs->raw, v->isize, now);
    int a = e4v_inode_allocated(v, ino);
    return a == 1 ? now->links > 0 : (a < 0 && now->links > 0 && now->dtime == 0);
}

static const char *type_name(uint8_t ft)
{
    return husk_ftype_name(e4r_dirent_type(ft));
}

/* An object for a name whose incarnation left no usable copy: the current record when it is
 * that incarnation's (deleted) record, else only the name. One per number and kind. */
static uint64_t name_only(resolver *rs, uint64_t ino, uint8_t ftype, uint32_t seq, int use_cur)
{
    e4v_view *v = rs->v;
    husk_ftype want = e4r_dirent_type(ftype);
    e4r_inode now;
    int live = live_now(rs, ino, &now);
    if (use_cur && (live || now.mode == 0 || (want != HUSK_FT_UNKNOWN && now.type != want) ||
                    e4v_obj_of(v, ino)))
        use_cur = 0;
    uint64_t key = use_cur ? ino : ino | (uint64_t)ftype << 40 | 1ULL << 60;
    uint32_t k;
    if (e4v_map_get(&v->nameonly_by_ino, key, &k) == 0)
        return v->objs[k].vino;
    int32_t n = e4v_obj_new(v, ino, use_cur ? E4V_SRC_INODE : E4V_SRC_DIRENT);
    if (n < 0)
        return 0;
    e4v_obj *o = &v->objs[n];
    if (use_cur) {
        o->has_raw = 1; /* the current record of ino (e4v_obj_raw reads it again) */
        o->iflags = e4r_le32(rs->raw + 0x20);
        ext4_inode_decode(rs->raw, v->isize, &o->st, NULL);
        o->vino = ino;
        o->gen = now.gen;
        o->from = "inode";
        int nodata = o->st.type != HUSK_FT_FILE && o->st.type != HUSK_FT_DIR &&
                     o->st.type != HUSK_FT_SYMLINK;
        o->conf = nodata ? 0.7 : 0.3;
        e4v_how(o,
                "no usable copy of inode %llu in the journal: its metadata is the deleted "
                "record itself (the kernel kept mode, owner, times and in-inode xattrs)%s",
                (unsigned long long)ino,
                nodata ? "; it has no data to lose" : "; its content and size are lost");
    } else {
        o->vino = e4v_synth(v);
        o->st.type = want;
        o->st.mode = 0;
        o->from = "dirent";
        o->conf = 0.2;
        e4v_how(o,
                "only a directory entry (transaction %u) names inode %llu as a %s: that "
                "incarnation left no inode copy",
                seq, (unsigned long long)ino, type_name(ftype));
    }
    o->st.inode = o->vino;
    o->st.allocated = 0;
    if (e4v_map_put(&v->obj_by_vino, o->vino, (uint32_t)n) != 0 ||
        e4v_map_put(&v->nameonly_by_ino, key, (uint32_t)n) != 0)
        return 0;
    return o->vino;
}

/* The view object a name at transaction seq points at; 0 when it is the live object (or
 * nothing could be made). */
static uint64_t resolve_child(resolver *rs, uint64_t ino, uint8_t ftype, uint32_t seq)
{
    e4v_view *v = rs->v;
    husk_ftype want = e4r_dirent_type(ftype);
    const e4v_inc *in = e4v_inc_at(v, ino, seq);
    if (!in) {
        e4r_inode now;
        if (live_now(rs, ino, &now)) {
            /* the live object was born before the name was seen: it is the same one */
            husk_stat st;
            int64_t t = commit_sec(rs, seq);
            if (ext4_inode_decode(rs->raw, v->isize, &st, NULL) == 0 &&
                (!st.crtime.present || !t || st.crtime.sec <= t) &&
                (want == HUSK_FT_UNKNOWN || want == now.type))
                return 0;
            return name_only(rs, ino, ftype, seq, 0);
        }
        return name_only(rs, ino, ftype, seq, 1);
    }
    if (in->is_live)
        return 0;
    if (in->obj >= 0) {
        const e4v_obj *o = &v->objs[in->obj];
        if (want == HUSK_FT_UNKNOWN || o->st.type == want)
            return o->vino;
        return name_only(rs, ino, ftype, seq, 0);
    }
    e4r_inode now;
    live_now(rs, ino, &now);
    return name_only(rs, ino, ftype, seq, now.gen == in->gen);
}

/* The view directory a fact belongs to: *live set for a live directory. 0 when the
 * directory is neither live nor recovered. */
static uint64_t resolve_dir(resolver *rs, const e4v_fact *f, int *live)
{
    e4v_view *v = rs->v;
    *live = 0;
    const e4v_inc *in = f->dir_gen_known ? e4v_inc_find(v, f->dir_ino, f->dir_gen)
                                         : e4v_inc_at(v, f->dir_ino, f->seq);
    if (in && in->is_live) {
        *live = 1;
        return f->dir_ino;
    }
    if (in && in->obj >= 0 && v->objs[in->obj].st.type == HUSK_FT_DIR)
        return v->objs[in->obj].vino;
    e4r_inode now;
    if (!in && live_now(rs, f->dir_ino, &now) && now.type == HUSK_FT_DIR &&
        (!f->dir_gen_known || now.gen == f->dir_gen)) {
        *live = 1;
        return f->dir_ino;
    }
    return 0;
}

/* ---- candidates to entries -------------------------------------------------------------- */

typedef struct cand {
    uint64_t dir, child;
    uint32_t seq, name_off;
    uint8_t name_len, type, dir_live, drop;
} cand;

static const e4v_view *sort_view;

static int by_dir_name_seq(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    int c = strcmp(e4v_name(sort_view, x->name_off), e4v_name(sort_view, y->name_off));
    if (c)
        return c;
    return x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

static int by_dir_child_seq(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static int by_seq_desc(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Marks all but the newest binding of each name in a directory. A file that lost its name to
 * a newer one (Docker writes config.v2.json to a temporary name and renames it over the old
 * one) says so: it may stay listed under its temporary name. */
static void newest_per_name(e4v_view *v, cand *c, size_t n)
{
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || c[i].dir != c[first].dir ||
            strcmp(e4v_name(v, c[i].name_off), e4v_name(v, c[first].name_off)) != 0) {
            first = i;
            continue;
        }
        c[i].drop = 1;
        e4v_obj *o = e4v_obj_of(v, c[i].child);
        if (o && c[i].child != c[first].child && !(o->how && strstr(o->how, "a newer file took")))
            e4v_how(o, "it was \"%s\" until transaction %u, when a newer file took that name",
                    e4v_name(v, c[i].name_off), c[first].seq);
    }
}

/* Marks older names of a child in one directory (temporary names renamed into place). */
static void newest_per_child(cand *c, size_t n)
{
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || c[i].dir != c[i - 1].dir || c[i].child != c[i - 1].child)
            first = i;
        else if (c[i].seq < c[first].seq)
            c[i].drop = 1;
    }
}

/* The names each directory holds in the view: the live ones of every live directory looked
 * at (listed once) and every entry the view adds, so no name is given twice. */
typedef struct names_set {
    e4v_map taken;  /* e4v_hash(dir, name) */
    e4v_map listed; /* live directories already listed */
    size_t live_names;
} names_set;

static uint64_t name_key(uint64_t dir, const char *name, size_t len)
{
    return e4v_hash(dir, 0, 0, (const uint8_t *)name, len);
}

typedef struct live_ctx {
    names_set *ns;
    uint64_t dir;
} live_ctx;

static int live_cb(const husk_dirent *d, void *vctx)
{
    live_ctx *c = vctx;
    if (c->ns->live_names++ >= E4V_MAX_LIVE_NAMES)
        return 1;
    return e4v_map_put(&c->ns->taken, name_key(c->dir, d->name, d->name_len), 1) != 0 ? -1 : 0;
}

static int list_live(e4v_view *v, names_set *ns, uint64_t dir)
{
    uint32_t one;
    if (e4v_map_get(&ns->listed, dir, &one) == 0)
        return 0;
    if (e4v_map_put(&ns->listed, dir, 1) != 0)
        return -1;
    live_ctx lc = {ns, dir};
    husk_err e = {0};
    if (husk_fs_list_dir(v->live, dir, live_cb, &lc, &e) < 0 && e.code == HUSK_E_NOMEM)
        return -1;
    return 0;
}

/* 1 when directory dir (live or recovered) has an entry called name in the view. */
static int name_taken(e4v_view *v, names_set *ns, uint64_t dir, int live, const char *name)
{
    uint32_t one;
    if (live && list_live(v, ns, dir) != 0)
        return 1; /* out of memory: claim it taken, the caller makes up another name */
    return e4v_map_get(&ns->taken, name_key(dir, name, strlen(name)), &one) == 0;
}

/* Drops names a live directory still holds. */
static int drop_live_names(e4v_view *v, cand *c, size_t n, names_set *ns)
{
    for (size_t i = 0; i < n; i++) {
        if (!c[i].dir_live || c[i].drop)
            continue;
        if (list_live(v, ns, c[i].dir) != 0)
            return -1;
        uint32_t one;
        if (e4v_map_get(&ns->taken, name_key(c[i].dir, e4v_name(v, c[i].name_off), c[i].name_len),
                        &one) == 0)
            c[i].drop = 1;
    }
    return 0;
}

/* Gives every recovered directory one parent, newest binding first, without loops. */
static void one_parent(e4v_view *v, cand *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].drop)
            continue;
        e4v_obj *child = e4v_obj_of(v, c[i].child);
        if (!child || child->st.type != HUSK_FT_DIR)
            continue;
        if (child->parent) {
            c[i].drop = 1;
            continue;
        }
        uint64_t up = c[i].dir;
        for (int d = 0; d < MAX_TREE_DEPTH && up; d++) {
            if (up == child->vino) {
                c[i].drop = 1;
                break;
            }
            const e4v_obj *p = e4v_obj_of(v, up);
            up = p ? p->parent : 0;
        }
        if (!c[i].drop)
            child->parent = c[i].dir;
    }
}

static int ent_push(e4v_view *v, names_set *ns, uint64_t dir, uint64_t child, uint32_t name_off,
                    size_t name_len, uint8_t type)
{
    if (e4v_map_put(&ns->taken, name_key(dir, e4v_name(v, name_off), name_len), 1) != 0)
        return -1;
    if (v->nent >= v->capent) {
        size_t nc = v->capent ? v->capent * 2 : 256;
        e4v_ent *p = realloc(v->ents, nc * sizeof *p);
        if (!p)
            return -1;
        v->ents = p;
        v->capent = nc;
    }
    v->ents[v->nent++] = (e4v_ent){dir, child, name_off, (uint8_t)name_len, type};
    e4v_obj *o = e4v_obj_of(v, child);
    if (o) {
        if (!o->named) {
            o->name_off = name_off;
            o->name_len = (uint8_t)name_len;
        }
        o->named = 1;
        if (!o->parent)
            o->parent = dir;
    }
    return 0;
}

static int collect_cands(resolver *rs, cand **out, size_t *nout)
{
    e4v_view *v = rs->v;
    cand *c = NULL;
    size_t n = 0;
    if (v->nfact && !(c = malloc(v->nfact * sizeof *c)))
        return -1;
    for (size_t i = 0; i < v->nfact; i++) {
        const e4v_fact *f = &v->facts[i];
        int live;
        uint64_t dir = resolve_dir(rs, f, &live);
        if (!dir)
            continue;
        uint64_t child = resolve_child(rs, f->child_ino, f->ftype, f->seq);
        f = &v->facts[i];
        if (!child || child == dir)
            continue;
        const e4v_obj *o = e4v_obj_of(v, child);
        c[n++] = (cand){dir,           child,
                        f->seq,        f->name_off,
                        f->name_len,   o ? (uint8_t)o->st.type : (uint8_t)e4r_dirent_type(f->ftype),
                        (uint8_t)live, 0};
    }
    *out = c;
    *nout = n;
    return 0;
}

/* ---- made-up names ---------------------------------------------------------------------- */

static int ent_cmp(const void *a, const void *b)
{
    const e4v_ent *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    return strcmp(e4v_name(sort_view, x->name_off), e4v_name(sort_view, y->name_off));
}

/* Entries of dir among the first nsorted (sorted) ones. */
static size_t ents_of(const e4v_view *v, size_t nsorted, uint64_t dir, size_t *count)
{
    size_t lo = 0, hi = nsorted;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->ents[mid].dir < dir)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < nsorted && v->ents[lo + n].dir == dir)
        n++;
    *count = n;
    return lo;
}

size_t e4v_ents_of(const e4v_view *v, uint64_t dir, size_t *count)
{
    return ents_of(v, v->nent, dir, count);
}

typedef struct ino_find {
    uint64_t want;
    char *out;
    size_t outn;
    int found;
} ino_find;

static int ino_cb(const husk_dirent *d, void *ctx)
{
    ino_find *f = ctx;
    if (d->inode != f->want || d->name_len >= f->outn)
        return 0;
    memcpy(f->out, d->name, d->name_len);
    f->out[d->name_len] = '\0';
    f->found = 1;
    return 1;
}

/* The name of a live directory, from the listing of its ".." (read from its first block). */
static int live_dir_name(e4v_view *v, uint64_t dir, char *out, size_t outn)
{
    uint8_t *raw = malloc(v->isize);
    if (!raw || e4v_current_inode(v, dir, raw, NULL) != 0) {
        free(raw);
        return -1;
    }
    e4r_extent *ext = NULL;
    size_t n = 0;
    e4v_load_extents(v, raw, dir, UINT32_MAX, &ext, &n, NULL, NULL, NULL);
    free(raw);
    e4v_dirents be = {NULL, 0, 0, 0, 0};
    e4r_dirblock kind;
    uint64_t parent = 0;
    if (n && ext[0].lblk == 0 && e4v_read_block(v, ext[0].pblk, v->blk, NULL) == 0 &&
        e4v_gather(v, v->blk, &be, &kind) == 1)
        parent = be.dotdot;
    free(be.v);
    free(ext);
    if (!parent || parent == dir)
        return -1;
    ino_find f = {dir, out, outn, 0};
    husk_fs_list_dir(v->live, parent, ino_cb, &f, NULL);
    return f.found ? 0 : -1;
}

/* The name of view directory dir (live or recovered), "" when unknown; live directories'
 * names are looked up once (cache: dir -> name offset + 1, 0 for unknown). */
static void dir_name(e4v_view *v, e4v_map *cache, uint64_t dir, char *out, size_t outn)
{
    out[0] = '\0';
    const e4v_obj *o = e4v_obj_of(v, dir);
    if (o) {
        if (o->named)
            snprintf(out, outn, "%s", e4v_name(v, o->name_off));
        return;
    }
    uint32_t k;
    if (e4v_map_get(cache, dir, &k) == 0) {
        if (k)
            snprintf(out, outn, "%s", e4v_name(v, k - 1));
        return;
    }
    int64_t off = live_dir_name(v, dir, out, outn) == 0 ? e4v_name_add(v, out, strlen(out)) : -1;
    e4v_map_put(cache, dir, off >= 0 ? (uint32_t)off + 1 : 0);
}

static int is_hex64(const char *s, size_t len)
{
    if (len != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The container ID a removed container's directory carries: a "<ID>-json.log" entry, or
 * config.v2.json's "ID". Returns a clause for the explanation, NULL when there is none. */
static const char *container_id(e4v_view *v, size_t nsorted, uint64_t dir, char id[65])
{
    size_t n, first = ents_of(v, nsorted, dir, &n);
    for (size_t i = first; i < first + n; i++) {
        const char *nm = e4v_name(v, v->ents[i].name_off);
        if (v->ents[i].name_len == 73 && strcmp(nm + 64, "-json.log") == 0 && is_hex64(nm, 64)) {
            memcpy(id, nm, 64);
            id[64] = '\0';
            return "named by the container ID in its \"<ID>-json.log\" file";
        }
    }
    for (size_t i = first; i < first + n; i++) {
        if (strcmp(e4v_name(v, v->ents[i].name_off), "config.v2.json"))
            continue;
        e4v_obj *c = e4v_obj_of(v, v->ents[i].child);
        if (!c || c->src != E4V_SRC_JOURNAL || c->st.size == 0 || c->st.size > E4V_MAX_READ_JSON)
            continue;
        char *buf = malloc((size_t)c->st.size + 1);
        ssize_t got = buf ? e4v_obj_read(v, c, 0, buf, (size_t)c->st.size, NULL) : -1;
        const char *why = NULL;
        if (got > 0) {
            json_t *j = json_loadb(buf, (size_t)got, 0, NULL);
            const char *s = j ? json_string_value(json_object_get(j, "ID")) : NULL;
            if (s && is_hex64(s, strlen(s))) {
                memcpy(id, s, 65);
                why = "named by the \"ID\" in its config.v2.json";
            }
            json_decref(j);
        }
        free(buf);
        if (why)
            return why;
    }
    return NULL;
}

/* Places recovered directories nothing names under the ".." they record. */
static int place_unnamed_dirs(e4v_view *v, resolver *rs, names_set *ns)
{
    /* the entries so far, sorted, tell what each unnamed directory holds */
    size_t nsorted = v->nent;
    sort(v->ents, nsorted, sizeof *v->ents, ent_cmp);
    e4v_map cache = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v->nobj; i++) {
        e4v_obj *o = &v->objs[i];
        if (o->named || o->st.type != HUSK_FT_DIR || !o->dotdot || o->src == E4V_SRC_VIRTUAL)
            continue;
        uint64_t dir = 0;
        int live = 0;
        const e4v_inc *in = e4v_inc_at(v, o->dotdot, o->seq);
        e4r_inode now;
        if (in && in->is_live) {
            dir = o->dotdot;
            live = 1;
        } else if (in && in->obj >= 0 && v->objs[in->obj].st.type == HUSK_FT_DIR) {
            dir = v->objs[in->obj].vino;
        } else if (!in && live_now(rs, o->dotdot, &now) && now.type == HUSK_FT_DIR) {
            dir = o->dotdot;
            live = 1;
        }
        o = &v->objs[i];
        /* no loops: the parent must not hang below this directory */
        uint64_t up = dir;
        for (int d = 0; d < MAX_TREE_DEPTH && up && !live; d++) {
            if (up == o->vino) {
                dir = 0;
                break;
            }
            const e4v_obj *p = e4v_obj_of(v, up);
            up = p ? p->parent : 0;
        }
        if (!dir || dir == o->vino)
            continue;
        char pname[256], id[65], name[96];
        dir_name(v, &cache, dir, pname, sizeof pname);
        const char *why =
            strcmp(pname, "containers") == 0 ? container_id(v, nsorted, o->vino, id) : NULL;
        o = &v->objs[i];
        if (why && !name_taken(v, ns, dir, live, id)) {
            snprintf(name, sizeof name, "%s", id);
            e4v_how(o, "its name in its parent is lost: %s", why);
        } else {
            snprintf(name, sizeof name, "<deleted-dir-%llu>", (unsigned long long)o->ino);
            if (name_taken(v, ns, dir, live, name))
                snprintf(name, sizeof name, "<deleted-dir-%llu-gen-%u>", (unsigned long long)o->ino,
                         o->gen);
            e4v_how(o, "its name in its parent is lost: \"%s\" is made up", name);
        }
        int64_t off = e4v_name_add(v, name, strlen(name));
        if (off < 0 || ent_push(v, ns, dir, o->vino, (uint32_t)off, strlen(name), HUSK_FT_DIR) != 0)
            rc = -1;
    }
    e4v_map_free(&cache);
    return rc;
}

/* Everything still unnamed goes under /$OrphanFiles. */
static int orphans(e4v_view *v, names_set *ns)
{
    uint64_t root = v->live->root_inode;
    for (size_t i = 0, n = v->nobj; i < n; i++) {
        e4v_obj *o = &v->objs[i];
        if (o->named || o->src == E4V_SRC_VIRTUAL)
            continue;
        if (!v->orphan_dir) {
            int32_t k = e4v_obj_new(v, 0, E4V_SRC_VIRTUAL);
            int64_t off = e4v_name_add(v, "$OrphanFiles", 12);
            if (k == -1)
                return 0;
            if (k < 0 || off < 0)
                return -1;
            e4v_obj *d = &v->objs[k];
            d->vino = v->orphan_dir = e4v_synth(v);
            d->st.inode = d->vino;
            d->st.type = HUSK_FT_DIR;
            d->st.mode = S_IFDIR | 0500;
            d->from = "virtual";
            d->conf = 1.0;
            e4v_how(d, "virtual directory: deleted objects whose name and parent are lost");
            if (e4v_map_put(&v->obj_by_vino, d->vino, (uint32_t)k) != 0 ||
                ent_push(v, ns, root, d->vino, (uint32_t)off, 12, HUSK_FT_DIR) != 0)
                return -1;
            o = &v->objs[i];
        }
        char name[96];
        if (o->vino == o->ino)
            snprintf(name, sizeof name, "<deleted-ino-%llu>", (unsigned long long)o->ino);
        else
            snprintf(name, sizeof name, "<deleted-ino-%llu-gen-%u>", (unsigned long long)o->ino,
                     o->gen);
        int64_t off = e4v_name_add(v, name, strlen(name));
        if (off < 0 ||
            ent_push(v, ns, v->orphan_dir, o->vino, (uint32_t)off, strlen(name), o->st.type) != 0)
            return -1;
        o = &v->objs[i];
        e4v_how(o, "its name and parent are lost: listed under /$OrphanFiles");
    }
    return 0;
}

int e4v_build_names(e4v_view *v, husk_err *err)
{
    int rc = e4v_collect_facts(v, err);
    if (rc < 0)
        return rc;

    resolver rs = {v, NULL, 0, malloc(v->isize)};
    size_t ncm;
    const husk_jbd2_commit *cm = husk_jbd2_commits(v->j, &ncm);
    if (ncm && (rs.ct = malloc(ncm * sizeof *rs.ct)))
        for (size_t i = 0; i < ncm; i++)
            rs.ct[rs.nct++] = (commit_time){cm[i].sequence, cm[i].sec};
    sort(rs.ct, rs.nct, sizeof *rs.ct, ct_cmp);
    cand *c = NULL;
    size_t n = 0;
    names_set ns = {{0}, {0}, 0};
    sort_view = v;
    rc = rs.raw ? collect_cands(&rs, &c, &n) : -1;
    if (rc == 0) {
        sort(c, n, sizeof *c, by_dir_name_seq);
        newest_per_name(v, c, n);
        rc = drop_live_names(v, c, n, &ns);
    }
    if (rc == 0) {
        sort(c, n, sizeof *c, by_dir_child_seq);
        newest_per_child(c, n);
        sort(c, n, sizeof *c, by_seq_desc);
        one_parent(v, c, n);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!c[i].drop)
                rc =
                    ent_push(v, &ns, c[i].dir, c[i].child, c[i].name_off, c[i].name_len, c[i].type);
    }
    free(c);
    if (rc == 0)
        rc = place_unnamed_dirs(v, &rs, &ns);
    if (rc == 0)
        rc = orphans(v, &ns);
    e4v_map_free(&ns.taken);
    e4v_map_free(&ns.listed);
    free(rs.ct);
    free(rs.raw);
    if (rc != 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    sort(v->ents, v->nent, sizeof *v->ents, ent_cmp);
    return 0;
}
