/*
 * Names in an ext4 recovered view (src/recover/ext4_view.h): facts are read from directory
 * blocks, then turned into the view's deleted entries, and the recovered objects no fact
 * names get a place.
 *
 * Facts come from (a) every journal copy of a directory block, attributed to its directory by
 * the directory's inode copies (or by its "." entry) and, with metadata_csum, confirmed by
 * the block's tail checksum, which is seeded with the directory's inode number and
 * generation; (b) the blocks of recovered directories on disk, which often keep their last
 * entries because the wiped version was journaled and revoked together with the free
 * (recovery.md 1.2); only blocks whose checksum is still the directory's are read.
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

#define MAX_TREE_DEPTH 4096

const char *e4v_name(const e4v_view *v, uint32_t off)
{
    return v->names.buf + off;
}

static int64_t name_add(e4v_view *v, const void *name, size_t len)
{
    if (v->names.len > (size_t)UINT32_MAX - 512)
        return -1;
    size_t off = v->names.len;
    if (husk_sb_add(&v->names, name, len) != 0 || husk_sb_add(&v->names, "", 1) != 0)
        return -1;
    return (int64_t)off;
}

/* ---- facts ------------------------------------------------------------------------------ */

static uint64_t fact_key(uint64_t dir, uint32_t gen, uint64_t child, const uint8_t *name,
                         size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    const uint64_t parts[3] = {dir, gen, child};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 8; k++)
            h = (h ^ ((parts[i] >> (8 * k)) & 0xff)) * 1099511628211ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ name[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static int fact_add(e4v_view *v, uint64_t dir, uint32_t gen, int gen_known, const e4r_dirent *d,
                    uint32_t seq, int src)
{
    if (!e4r_name_ok(d->name, d->name_len))
        return 0;
    uint64_t key = fact_key(dir, gen_known ? gen : 0xFFFFFFFFu, d->inode, d->name, d->name_len);
    uint32_t k;
    if (e4v_map_get(&v->fact_seen, key, &k) == 0) {
        e4v_fact *f = &v->facts[k];
        if (seq > f->seq)
            f->seq = seq;
        if (src != E4V_FACT_SLACK)
            f->src = (uint8_t)src;
        return 0;
    }
    if (v->nfact >= E4V_MAX_FACTS) {
        e4v_limit(v, "directories", "more than %u names found: the rest left out", E4V_MAX_FACTS);
        return 1;
    }
    if (v->nfact >= v->capfact) {
        size_t nc = v->capfact ? v->capfact * 2 : 1024;
        e4v_fact *p = realloc(v->facts, nc * sizeof *p);
        if (!p)
            return -1;
        v->facts = p;
        v->capfact = nc;
    }
    int64_t off = name_add(v, d->name, d->name_len);
    if (off < 0 || e4v_map_put(&v->fact_seen, key, (uint32_t)v->nfact) != 0)
        return -1;
    e4v_fact *f = &v->facts[v->nfact++];
    f->dir_ino = dir;
    f->dir_gen = gen;
    f->dir_gen_known = (uint8_t)gen_known;
    f->child_ino = d->inode;
    f->ftype = d->file_type;
    f->name_len = d->name_len;
    f->src = (uint8_t)src;
    f->seq = seq;
    f->name_off = (uint32_t)off;
    return 0;
}

/* The entries of one block, gathered before the block's owner is settled. */
typedef struct block_ents {
    e4r_dirent *v;
    size_t n, cap;
    uint32_t dot, dotdot;
} block_ents;

static int gather_cb(const e4r_dirent *d, void *ctx)
{
    block_ents *b = ctx;
    if (!d->slack && d->name_len == 1 && d->name[0] == '.') {
        if (d->offset == 0)
            b->dot = d->inode;
        return 0;
    }
    if (!d->slack && d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.') {
        b->dotdot = d->inode;
        return 0;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        e4r_dirent *p = realloc(b->v, nc * sizeof *p);
        if (!p)
            return -1;
        b->v = p;
        b->cap = nc;
    }
    b->v[b->n++] = *d;
    return 0;
}

/* Walks blk into b; 1 when it is a directory block, 0 when not, -1 out of memory. */
static int gather(e4v_view *v, const uint8_t *blk, block_ents *b, e4r_dirblock *kind)
{
    b->n = 0;
    b->dot = b->dotdot = 0;
    int r = e4r_dir_block_walk(blk, v->sb.block_size, v->sb.inodes_count, 1, gather_cb, b, kind);
    if (r == -1 && *kind == 0)
        return 0;
    return r < 0 ? -1 : 1;
}

static int add_block_facts(e4v_view *v, const block_ents *b, uint64_t dir, uint32_t gen,
                           int gen_known, uint32_t seq, int src)
{
    for (size_t i = 0; i < b->n; i++) {
        int r =
            fact_add(v, dir, gen, gen_known, &b->v[i], seq, b->v[i].slack ? E4V_FACT_SLACK : src);
        if (r)
            return r;
    }
    return 0;
}

/* Records a recovered directory's ".." when the incarnation is one of the view's objects. */
static void note_dir_block(e4v_view *v, uint64_t dir, uint32_t gen, uint32_t dotdot)
{
    const e4v_inc *in = e4v_inc_find(v, dir, gen);
    if (!in || in->obj < 0)
        return;
    e4v_obj *o = &v->objs[in->obj];
    o->journal_dir_blocks++;
    if (dotdot && !o->dotdot)
        o->dotdot = dotdot;
}

/*
 * The owner of a journal copy of block b taken in transaction seq: among the directory copies
 * mapping b, the one whose transactions span seq, else the nearest. With metadata_csum the
 * block's tail checksum must be the owner's; a block whose "." names another directory
 * belongs to that one.
 */
static const e4v_owner *pick_owner(e4v_view *v, const e4v_owner *o, size_t n, uint32_t seq,
                                   const uint8_t *blk, uint32_t dot)
{
    const e4v_owner *best = NULL;
    uint64_t best_d = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (dot && o[i].ino != dot)
            continue;
        if (v->csum) {
            int c = e4r_dir_block_csum(blk, v->sb.block_size,
                                       e4r_inode_seed(v->fs_seed, (uint32_t)o[i].ino, o[i].gen));
            if (c == 0)
                continue;
        }
        uint64_t d = seq < o[i].seq_lo   ? o[i].seq_lo - seq
                     : seq > o[i].seq_hi ? seq - o[i].seq_hi
                                         : 0;
        if (d < best_d) {
            best = &o[i];
            best_d = d;
        }
    }
    return best;
}

/* (a) every journal copy of a directory block. */
static int journal_facts(e4v_view *v, block_ents *be)
{
    size_t nc;
    const husk_jbd2_copy *all = husk_jbd2_all_copies(v->j, &nc);
    size_t ow = 0;
    for (size_t i = 0; i < nc;) {
        uint64_t b = all[i].fs_block;
        size_t k = i;
        while (k < nc && all[k].fs_block == b)
            k++;
        while (ow < v->nowner && v->owners[ow].block < b)
            ow++;
        size_t on = 0;
        while (ow + on < v->nowner && v->owners[ow + on].block == b)
            on++;
        for (size_t c = i; c < k; c++) {
            if (all[c].csum == 0 || !all[c].committed)
                continue;
            if (husk_jbd2_read_copy(v->j, &all[c], v->blk, NULL) != 0)
                continue;
            e4r_dirblock kind = 0;
            int g = gather(v, v->blk, be, &kind);
            if (g < 0)
                return -1;
            if (g == 0)
                continue;
            v->dir_blocks_parsed++;
            const e4v_owner *o =
                on ? pick_owner(v, &v->owners[ow], on, all[c].sequence, v->blk, be->dot) : NULL;
            int r = 0;
            if (o) {
                r = add_block_facts(v, be, o->ino, o->gen, 1, all[c].sequence, E4V_FACT_JOURNAL);
                note_dir_block(v, o->ino, o->gen, be->dotdot);
            } else if (be->dot) {
                /* the first block of a directory whose inode copies are gone: its "." says
                 * whose it is, the transaction says which incarnation */
                r = add_block_facts(v, be, be->dot, 0, 0, all[c].sequence, E4V_FACT_JOURNAL);
            } else if (be->n) {
                v->dir_blocks_foreign++;
            }
            if (r)
                return r;
        }
        i = k;
    }
    return 0;
}

/* A recovered directory is as good as the entries it lists: its own blocks on disk, checked
 * by their checksum, or journal copies of them. */
static void dir_confidence(e4v_view *v, e4v_obj *o, size_t kept, size_t foreign)
{
    if (kept) {
        o->conf = v->csum ? 0.9 : 0.6;
        e4v_how(o, "%zu of its directory blocks on disk still hold its last entries%s", kept,
                v->csum ? " (their checksums are this directory's)" : "");
    } else if (o->journal_dir_blocks) {
        o->conf = 0.8;
        e4v_how(o, "its entries come from %u journal cop%s of its blocks", o->journal_dir_blocks,
                o->journal_dir_blocks == 1 ? "y" : "ies");
    } else {
        o->conf = 0.3;
        e4v_how(o, "none of its entries survive");
    }
    if (foreign)
        e4v_how(o, "%zu of its directory blocks hold something else today", foreign);
}

/* (b) the blocks of recovered directories as they are on disk. */
static int disk_facts(e4v_view *v, block_ents *be)
{
    for (size_t i = 0; i < v->nobj; i++) {
        e4v_obj *o = &v->objs[i];
        if (o->src != E4V_SRC_JOURNAL || o->st.type != HUSK_FT_DIR)
            continue;
        uint32_t seed = e4r_inode_seed(v->fs_seed, (uint32_t)o->ino, o->gen);
        size_t blocks = 0, foreign = 0, kept = 0;
        for (size_t x = 0; x < o->next; x++) {
            const e4r_extent *e = &o->ext[x];
            for (uint32_t k = 0; k < e->len && !e->unwritten; k++) {
                if (++blocks > E4V_MAX_DIR_BLOCKS) {
                    e4v_limit(v, "directories", "directory inode %llu: only %u blocks read",
                              (unsigned long long)o->ino, E4V_MAX_DIR_BLOCKS);
                    goto next;
                }
                if (e4v_read_block(v, e->pblk + k, v->blk, NULL) != 0)
                    continue;
                int c = v->csum ? e4r_dir_block_csum(v->blk, v->sb.block_size, seed) : -1;
                e4r_dirblock kind = 0;
                int g = gather(v, v->blk, be, &kind);
                if (g < 0)
                    return -1;
                /* whose is it? the checksum says so; without one, a block allocated again
                 * is someone else's, and a first block must name this directory "." */
                int mine = c == 1 || (c == -1 && g == 1 && kind != E4R_DIR_LEAF && v->csum) ||
                           (!v->csum && g == 1 && e4v_block_allocated(v, e->pblk + k) != 1 &&
                            (e->lblk + k != 0 || be->dot == o->ino));
                if (!mine || g == 0) {
                    foreign++;
                    continue;
                }
                kept++;
                v->dir_blocks_parsed++;
                if (be->dotdot && !o->dotdot)
                    o->dotdot = be->dotdot;
                int r = add_block_facts(v, be, o->ino, o->gen, 1, o->seq, E4V_FACT_DISK);
                if (r)
                    return r;
                o = &v->objs[i];
            }
        }
    next:
        v->dir_blocks_foreign += foreign;
        dir_confidence(v, o, kept, foreign);
    }
    return 0;
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
        if (!(o->raw = malloc(v->isize)))
            return 0;
        memcpy(o->raw, rs->raw, v->isize);
        ext4_inode_decode(o->raw, v->isize, &o->st, NULL);
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
        if (o && c[i].child != c[first].child && !strstr(o->how, "a newer file took"))
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

typedef struct live_names {
    e4v_map set;
    size_t n;
} live_names;

static uint64_t live_key(uint64_t dir, const char *name, size_t len)
{
    return fact_key(dir, 0, 0, (const uint8_t *)name, len);
}

typedef struct live_ctx {
    live_names *ln;
    uint64_t dir;
} live_ctx;

static int live_cb(const husk_dirent *d, void *vctx)
{
    live_ctx *c = vctx;
    if (c->ln->n++ >= E4V_MAX_LIVE_NAMES)
        return 1;
    return e4v_map_put(&c->ln->set, live_key(c->dir, d->name, d->name_len), 1) != 0 ? -1 : 0;
}

/* Drops names a live directory still holds (each live directory is listed once). */
static int drop_live_names(e4v_view *v, cand *c, size_t n, live_names *ln)
{
    for (size_t i = 0; i < n; i++) {
        if (!c[i].dir_live || c[i].drop)
            continue;
        if (i == 0 || c[i - 1].dir != c[i].dir) {
            live_ctx lc = {ln, c[i].dir};
            husk_err e = {0};
            if (husk_fs_list_dir(v->live, c[i].dir, live_cb, &lc, &e) < 0 && e.code == HUSK_E_NOMEM)
                return -1;
        }
        const char *nm = e4v_name(v, c[i].name_off);
        uint32_t one;
        if (e4v_map_get(&ln->set, live_key(c[i].dir, nm, c[i].name_len), &one) == 0)
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

static int ent_push(e4v_view *v, uint64_t dir, uint64_t child, uint32_t name_off, size_t name_len,
                    uint8_t type)
{
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

typedef struct name_find {
    const char *name;
    int found;
} name_find;

static int find_cb(const husk_dirent *d, void *ctx)
{
    name_find *f = ctx;
    if (strlen(f->name) == d->name_len && memcmp(d->name, f->name, d->name_len) == 0) {
        f->found = 1;
        return 1;
    }
    return 0;
}

static int ent_cmp(const void *a, const void *b)
{
    const e4v_ent *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    return strcmp(e4v_name(sort_view, x->name_off), e4v_name(sort_view, y->name_off));
}

size_t e4v_ents_of(const e4v_view *v, uint64_t dir, size_t *count)
{
    size_t lo = 0, hi = v->nent;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->ents[mid].dir < dir)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < v->nent && v->ents[lo + n].dir == dir)
        n++;
    *count = n;
    return lo;
}

/* 1 when directory dir (live or recovered) has an entry called name in the view. */
static int name_taken(e4v_view *v, uint64_t dir, int live, const char *name)
{
    for (size_t i = 0; i < v->nent; i++)
        if (v->ents[i].dir == dir && strcmp(e4v_name(v, v->ents[i].name_off), name) == 0)
            return 1;
    if (!live)
        return 0;
    name_find f = {name, 0};
    husk_fs_list_dir(v->live, dir, find_cb, &f, NULL);
    return f.found;
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
    block_ents be = {NULL, 0, 0, 0, 0};
    e4r_dirblock kind;
    uint64_t parent = 0;
    if (n && ext[0].lblk == 0 && e4v_read_block(v, ext[0].pblk, v->blk, NULL) == 0 &&
        gather(v, v->blk, &be, &kind) == 1)
        parent = be.dotdot;
    free(be.v);
    free(ext);
    if (!parent || parent == dir)
        return -1;
    ino_find f = {dir, out, outn, 0};
    husk_fs_list_dir(v->live, parent, ino_cb, &f, NULL);
    return f.found ? 0 : -1;
}

/* The name of view directory dir (live or recovered), "" when unknown. */
static void dir_name(e4v_view *v, uint64_t dir, char *out, size_t outn)
{
    out[0] = '\0';
    const e4v_obj *o = e4v_obj_of(v, dir);
    if (!o) {
        live_dir_name(v, dir, out, outn);
        return;
    }
    for (size_t i = 0; i < v->nent; i++)
        if (v->ents[i].child == dir) {
            snprintf(out, outn, "%s", e4v_name(v, v->ents[i].name_off));
            return;
        }
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
static const char *container_id(e4v_view *v, uint64_t dir, char id[65])
{
    for (size_t i = 0; i < v->nent; i++) /* entries are not sorted yet */
        if (v->ents[i].dir == dir) {
            const char *nm = e4v_name(v, v->ents[i].name_off);
            size_t l = v->ents[i].name_len;
            if (l == 73 && strcmp(nm + 64, "-json.log") == 0 && is_hex64(nm, 64)) {
                memcpy(id, nm, 64);
                id[64] = '\0';
                return "named by the container ID in its \"<ID>-json.log\" file";
            }
        }
    for (size_t i = 0; i < v->nent; i++) {
        if (v->ents[i].dir != dir || strcmp(e4v_name(v, v->ents[i].name_off), "config.v2.json"))
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
static int place_unnamed_dirs(e4v_view *v, resolver *rs)
{
    for (size_t i = 0; i < v->nobj; i++) {
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
        dir_name(v, dir, pname, sizeof pname);
        const char *why = strcmp(pname, "containers") == 0 ? container_id(v, o->vino, id) : NULL;
        o = &v->objs[i];
        if (why && !name_taken(v, dir, live, id)) {
            snprintf(name, sizeof name, "%s", id);
            e4v_how(o, "its name in its parent is lost: %s", why);
        } else {
            snprintf(name, sizeof name, "<deleted-dir-%llu>", (unsigned long long)o->ino);
            if (name_taken(v, dir, live, name))
                snprintf(name, sizeof name, "<deleted-dir-%llu-gen-%u>", (unsigned long long)o->ino,
                         o->gen);
            e4v_how(o, "its name in its parent is lost: \"%s\" is made up", name);
        }
        int64_t off = name_add(v, name, strlen(name));
        if (off < 0 || ent_push(v, dir, o->vino, (uint32_t)off, strlen(name), HUSK_FT_DIR) != 0)
            return -1;
    }
    return 0;
}

/* Everything still unnamed goes under /$OrphanFiles. */
static int orphans(e4v_view *v)
{
    uint64_t root = v->live->root_inode;
    for (size_t i = 0, n = v->nobj; i < n; i++) {
        e4v_obj *o = &v->objs[i];
        if (o->named || o->src == E4V_SRC_VIRTUAL)
            continue;
        if (!v->orphan_dir) {
            int32_t k = e4v_obj_new(v, 0, E4V_SRC_VIRTUAL);
            int64_t off = name_add(v, "$OrphanFiles", 12);
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
            snprintf(d->how, sizeof d->how,
                     "virtual directory: deleted objects whose name and parent are lost");
            if (e4v_map_put(&v->obj_by_vino, d->vino, (uint32_t)k) != 0 ||
                ent_push(v, root, d->vino, (uint32_t)off, 12, HUSK_FT_DIR) != 0)
                return -1;
            o = &v->objs[i];
        }
        char name[96];
        if (o->vino == o->ino)
            snprintf(name, sizeof name, "<deleted-ino-%llu>", (unsigned long long)o->ino);
        else
            snprintf(name, sizeof name, "<deleted-ino-%llu-gen-%u>", (unsigned long long)o->ino,
                     o->gen);
        int64_t off = name_add(v, name, strlen(name));
        if (off < 0 ||
            ent_push(v, v->orphan_dir, o->vino, (uint32_t)off, strlen(name), o->st.type) != 0)
            return -1;
        o = &v->objs[i];
        e4v_how(o, "its name and parent are lost: listed under /$OrphanFiles");
    }
    return 0;
}

int e4v_build_names(e4v_view *v, husk_err *err)
{
    block_ents be = {NULL, 0, 0, 0, 0};
    int rc = journal_facts(v, &be);
    if (rc >= 0)
        rc = disk_facts(v, &be);
    free(be.v);
    if (rc < 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");

    resolver rs = {v, NULL, 0, malloc(v->isize)};
    size_t ncm;
    const husk_jbd2_commit *cm = husk_jbd2_commits(v->j, &ncm);
    if (ncm && (rs.ct = malloc(ncm * sizeof *rs.ct)))
        for (size_t i = 0; i < ncm; i++)
            rs.ct[rs.nct++] = (commit_time){cm[i].sequence, cm[i].sec};
    sort(rs.ct, rs.nct, sizeof *rs.ct, ct_cmp);
    cand *c = NULL;
    size_t n = 0;
    live_names ln = {{0}, 0};
    sort_view = v;
    rc = rs.raw ? collect_cands(&rs, &c, &n) : -1;
    if (rc == 0) {
        sort(c, n, sizeof *c, by_dir_name_seq);
        newest_per_name(v, c, n);
        rc = drop_live_names(v, c, n, &ln);
    }
    if (rc == 0) {
        sort(c, n, sizeof *c, by_dir_child_seq);
        newest_per_child(c, n);
        sort(c, n, sizeof *c, by_seq_desc);
        one_parent(v, c, n);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!c[i].drop)
                rc = ent_push(v, c[i].dir, c[i].child, c[i].name_off, c[i].name_len, c[i].type);
    }
    free(c);
    e4v_map_free(&ln.set);
    if (rc == 0)
        rc = place_unnamed_dirs(v, &rs);
    if (rc == 0)
        rc = orphans(v);
    free(rs.ct);
    free(rs.raw);
    if (rc != 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    sort(v->ents, v->nent, sizeof *v->ents, ent_cmp);
    return 0;
}
