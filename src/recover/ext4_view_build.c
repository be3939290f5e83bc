/*
 * Objects of an ext4 recovered view (src/recover/ext4_view.h): the journal's inode-table
 * copies turned into incarnations, the recovered objects, how sure the view is of each one's
 * bytes, and the directory block maps the names are read with (ext4_view_facts.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "ext4_view.h"
#include "husk/ext4.h"
#include "husk/replay.h"

#define MAX_REPORTS 32

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

int e4v_map_put(e4v_map *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 256;
        e4v_map t = {calloc(nc, sizeof *t.keys), calloc(nc, sizeof *t.vals), nc, 0};
        if (!t.keys || !t.vals) {
            free(t.keys);
            free(t.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                e4v_map_put(&t, m->keys[i], m->vals[i]);
        e4v_map_free(m);
        *m = t;
    }
    size_t i = mix(key) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

int e4v_map_get(const e4v_map *m, uint64_t key, uint32_t *val)
{
    if (!m->cap || !key)
        return -1;
    size_t i = mix(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

void e4v_map_free(e4v_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

int e4v_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t limit)
{
    if (n < *cap)
        return 0;
    if (n >= limit)
        return -1;
    size_t nc = *cap ? *cap * 2 : 64;
    if (nc > limit)
        nc = limit;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

/* The explanation is kept at its length (a view holds one per deleted file: a fixed buffer
 * in every object was most of a large view's memory), cut as a fixed buffer cut it. */
void e4v_how(e4v_obj *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    husk_rec_how_vadd(&o->how, E4V_HOW_MAX, fmt, ap);
    va_end(ap);
}

void e4v_report(e4v_view *v, const char *what, const char *fmt, ...)
{
    if (++v->reports > MAX_REPORTS)
        return;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    husk_diag_report(v->diag, "recovery", what, -1, "%s", msg);
}

uint64_t e4v_synth(e4v_view *v)
{
    return v->next_synth++;
}

e4v_obj *e4v_obj_of(const e4v_view *v, uint64_t vino)
{
    uint32_t k;
    if (e4v_map_get(&v->obj_by_vino, vino, &k) != 0)
        return NULL;
    return &v->objs[k];
}

int e4v_obj_raw(e4v_view *v, const e4v_obj *o, uint8_t *buf)
{
    if (!o->has_raw)
        return -1;
    if (o->src == E4V_SRC_INODE)
        return e4v_current_inode(v, o->ino, buf, NULL) == 0 ? 0 : -1;
    if (!o->copy || (size_t)(o->slot + 1) * v->isize > v->sb.block_size ||
        husk_jbd2_read_copy(v->j, o->copy, v->blk3, NULL) != 0)
        return -1;
    memcpy(buf, v->blk3 + (size_t)o->slot * v->isize, v->isize);
    return 0;
}

int e4v_obj_raw_dup(e4v_view *v, const e4v_obj *o, size_t extra, uint8_t **out, husk_err *err)
{
    *out = NULL;
    uint8_t *raw = malloc(v->isize + extra);
    if (!raw)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (e4v_obj_raw(v, o, raw) != 0) {
        free(raw);
        return husk_err_set(err, HUSK_E_IO, "inode %llu: its record cannot be read again",
                            (unsigned long long)o->ino);
    }
    *out = raw;
    return 0;
}

int e4v_obj_cur(e4v_view *v, const e4v_obj *o, uint8_t *buf)
{
    if (!o->has_cur || (size_t)(o->slot + 1) * v->isize > v->sb.block_size)
        return -1;
    /* as the view read it when it settled the object: zeros when the block is unreadable */
    if (e4v_read_block(v, o->itable_block, v->blk3, NULL) != 0)
        memset(v->blk3, 0, v->sb.block_size);
    memcpy(buf, v->blk3 + (size_t)o->slot * v->isize, v->isize);
    return 0;
}

int32_t e4v_obj_new(e4v_view *v, uint64_t ino, int src)
{
    if (e4v_grow((void **)&v->objs, &v->capobj, v->nobj, sizeof *v->objs, E4V_MAX_OBJS) != 0) {
        if (v->nobj >= E4V_MAX_OBJS) {
            e4v_report(v, "recovered objects", "more than %u recovered objects: the rest left out",
                       E4V_MAX_OBJS);
            return -1;
        }
        return -2;
    }
    e4v_obj *o = &v->objs[v->nobj];
    memset(o, 0, sizeof *o);
    o->ino = ino;
    o->src = src;
    return (int32_t)v->nobj++;
}

/* ---- incarnations from inode-table copies ----------------------------------------------- */

/* An incarnation seen while reading the copies of one inode-table block. */
typedef struct slot_inc {
    uint32_t slot, gen;
    int seen;
    uint32_t first_seq, last_seq;
    int has_best;
    uint32_t best_seq;
    const husk_jbd2_copy *best_copy;
    uint8_t *best; /* isize bytes */
} slot_inc;

typedef struct block_incs {
    slot_inc *v;
    size_t n, cap;
} block_incs;

static slot_inc *slot_inc_get(block_incs *b, uint32_t slot, uint32_t gen, size_t isize)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].slot == slot && b->v[i].gen == gen)
            return &b->v[i];
    if (e4v_grow((void **)&b->v, &b->cap, b->n, sizeof *b->v, 1u << 20) != 0)
        return NULL;
    slot_inc *s = &b->v[b->n];
    memset(s, 0, sizeof *s);
    if (!(s->best = malloc(isize)))
        return NULL;
    s->slot = slot;
    s->gen = gen;
    b->n++;
    return s;
}

/* The groups' inode tables sorted by start, to tell which blocks hold inodes. */
typedef struct itable_ref {
    uint64_t start;
    uint32_t group;
} itable_ref;

static int itable_cmp(const void *a, const void *b)
{
    const itable_ref *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* First inode number held in block b, or 0 when b is in no inode table. */
static uint64_t itable_first_ino(const e4v_view *v, const itable_ref *t, size_t n, uint64_t b)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].start <= b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const itable_ref *r = &t[lo - 1];
    if (r->start == 0 || b - r->start >= v->itable_blocks)
        return 0;
    uint64_t per = v->sb.block_size / v->isize;
    return (uint64_t)r->group * v->sb.inodes_per_group + (b - r->start) * per + 1;
}

/* Remembers a directory incarnation's block map as one of its copies shows it (the owner
 * records ext4_view_facts.c attributes journal copies of directory blocks with). */
typedef struct dir_copy {
    uint64_t ino;
    uint32_t gen, seq_lo, seq_hi;
    uint8_t iblock[E4R_IBLOCK_LEN];
} dir_copy;

typedef struct dir_copies {
    dir_copy *v;
    size_t n, cap;
} dir_copies;

static int note_dir_copy(dir_copies *d, uint64_t ino, const uint8_t *raw, uint32_t seq)
{
    uint32_t gen = e4r_le32(raw + 0x64);
    for (size_t i = d->n; i-- > 0 && d->v[i].ino == ino;)
        if (d->v[i].gen == gen && memcmp(d->v[i].iblock, raw + 0x28, E4R_IBLOCK_LEN) == 0) {
            if (seq < d->v[i].seq_lo)
                d->v[i].seq_lo = seq;
            if (seq > d->v[i].seq_hi)
                d->v[i].seq_hi = seq;
            return 0;
        }
    if (e4v_grow((void **)&d->v, &d->cap, d->n, sizeof *d->v, E4V_MAX_INCS) != 0)
        return -1;
    dir_copy *c = &d->v[d->n++];
    c->ino = ino;
    c->gen = gen;
    c->seq_lo = c->seq_hi = seq;
    memcpy(c->iblock, raw + 0x28, E4R_IBLOCK_LEN);
    return 0;
}

static void format_commit(const e4v_obj *o, char *buf, size_t n)
{
    husk_timespec t = {o->commit_sec, o->commit_nsec, 1};
    husk_time_format(&t, buf, n);
}

/* Extents and the confidence in the bytes they point at. */
static int finish_data(e4v_view *v, e4v_obj *o, const uint8_t *raw, husk_err *err)
{
    e4r_inode in;
    e4r_inode_get(raw, v->isize, &in);
    o->conf = 0.9;
    if (in.flags & E4R_INLINE_DATA_FL) {
        e4v_how(o, "its data is inline in the inode copy");
        return 0;
    }
    if (e4r_is_fast_symlink(&in) || !(in.flags & E4R_EXTENTS_FL) ||
        (in.type != HUSK_FT_FILE && in.type != HUSK_FT_DIR && in.type != HUSK_FT_SYMLINK))
        return 0;
    int from_j = 0, bad = 0;
    int r = e4v_load_extents(v, raw, o->ino, o->seq, &o->ext, &o->next, &from_j, &bad, err);
    if (r < 0)
        return r;
    v->all_extents += o->next;
    uint64_t blocks = 0, again = 0, unknown = 0, checked = 0;
    for (size_t i = 0; i < o->next; i++) {
        if (o->ext[i].unwritten)
            continue;
        for (uint32_t k = 0; k < o->ext[i].len; k++) {
            /* a hostile tree can claim billions of blocks: past the bound they count as
             * unchecked */
            int a = checked++ < E4V_MAX_CHECKED_BLOCKS ? e4v_block_allocated(v, o->ext[i].pblk + k)
                                                       : -1;
            again += a == 1;
            unknown += a < 0;
        }
        blocks += o->ext[i].len;
    }
    if (from_j)
        e4v_how(o, "%d extent-tree block%s taken from the journal", from_j, from_j == 1 ? "" : "s");
    if (r > 0)
        e4v_report(v, "extent tree",
                   "inode %llu (transaction %u): part of its extent tree is unreadable or not "
                   "its own; those parts of the file read as holes",
                   (unsigned long long)o->ino, o->seq);
    if (r > 0 || bad) {
        o->conf = 0.5;
        e4v_how(o, "part of its extent tree is damaged or unconfirmed by its checksum");
    }
    if (in.type == HUSK_FT_DIR)
        return 0; /* its confidence rests on where its entries came from (ext4_view_facts.c) */
    if (again) {
        /* the bytes in reused blocks are someone else's: 0.3 when all are, up to 0.7 when few
         * are (the rest is still the file's) */
        double kept = blocks ? (double)(blocks - again) / (double)blocks : 0;
        o->conf = (double)(int)((0.3 + 0.6 * kept) * 100 + 0.5) / 100;
        if (o->conf > 0.7)
            o->conf = 0.7;
        e4v_how(o,
                "%llu of its %llu data blocks are allocated again today: they may hold "
                "another file's bytes",
                (unsigned long long)again, (unsigned long long)blocks);
    } else if (blocks) {
        e4v_how(o, "its %llu data block%s %s free today: most likely not reused",
                (unsigned long long)blocks, blocks == 1 ? "" : "s", blocks == 1 ? "is" : "are");
    }
    if (unknown && o->conf > 0.5) {
        o->conf = 0.5;
        e4v_how(o, "the allocation of %llu block%s could not be checked",
                (unsigned long long)unknown, unknown == 1 ? "" : "s");
    }
    return 0;
}

/* Turns a chosen copy into a recovered object. */
static int make_obj(e4v_view *v, uint64_t ino, const slot_inc *s, uint64_t itable_block,
                    int keeps_number, husk_err *err)
{
    int32_t k = e4v_obj_new(v, ino, E4V_SRC_JOURNAL);
    if (k == -1)
        return 0;
    if (k < 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    e4v_obj *o = &v->objs[k];
    o->gen = s->gen;
    o->seq = s->best_seq;
    o->jblock = s->best_copy->journal_block;
    o->commit_sec = s->best_copy->commit_sec;
    o->commit_nsec = s->best_copy->commit_nsec;
    o->from = "journal";
    o->copy = s->best_copy;
    o->slot = s->slot;
    o->has_raw = 1;
    o->iflags = e4r_le32(s->best + 0x20);
    o->itable_block = itable_block;
    o->has_cur = keeps_number != 0;
    o->vino = keeps_number ? ino : e4v_synth(v);
    ext4_inode_decode(s->best, v->isize, &o->st, NULL);
    o->st.inode = o->vino;
    o->st.allocated = 0;
    /* ext4 addresses at most 2^32 blocks per file: a larger size is damage, and would have
     * readers page through endless zeros */
    uint64_t max_size = (1ULL << 32) * v->sb.block_size;
    if (o->st.size > max_size) {
        e4v_how(o, "its recorded size %llu is impossible: cut to %llu",
                (unsigned long long)o->st.size, (unsigned long long)max_size);
        o->st.size = max_size;
    }
    char when[40];
    format_commit(o, when, sizeof when);
    e4v_how(o,
            "inode %llu generation %u from its copy in journal transaction %u (committed %s, "
            "journal block %llu)",
            (unsigned long long)ino, s->gen, o->seq, when, (unsigned long long)o->jblock);
    if (!keeps_number)
        e4v_how(o, "the number now belongs to another incarnation: shown as %llu",
                (unsigned long long)o->vino);
    if (e4v_map_put(&v->obj_by_vino, o->vino, (uint32_t)k) != 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    return finish_data(v, &v->objs[k], s->best, err);
}

static int push_inc(e4v_view *v, const e4v_inc *in)
{
    if (e4v_grow((void **)&v->incs, &v->capinc, v->ninc, sizeof *v->incs, E4V_MAX_INCS) != 0) {
        if (v->ninc >= E4V_MAX_INCS) {
            e4v_report(v, "journal", "more than %u inode incarnations: the rest left out",
                       E4V_MAX_INCS);
            return 1;
        }
        return -1;
    }
    v->incs[v->ninc++] = *in;
    return 0;
}

/* Decides, for every incarnation seen in the copies of one inode-table block, whether it is
 * the live object, and turns the deleted ones with a usable copy into objects. */
static int settle_block(e4v_view *v, uint64_t b_no, uint64_t ino0, const uint8_t *cur,
                        block_incs *b, husk_err *err)
{
    for (size_t i = 0; i < b->n; i++) {
        slot_inc *s = &b->v[i];
        uint64_t ino = ino0 + s->slot;
        const uint8_t *c = cur + (size_t)s->slot * v->isize;
        e4r_inode now;
        e4r_inode_get(c, v->isize, &now);
        int alloc = e4v_inode_allocated(v, ino);
        int live = alloc == 1 ? now.links > 0 : (alloc < 0 && now.links > 0 && now.dtime == 0);
        e4v_inc in = {ino, s->gen, s->first_seq, s->last_seq, live && now.gen == s->gen, -1};
        if (!in.is_live && s->has_best) {
            in.obj = (int32_t)v->nobj;
            int r = make_obj(v, ino, s, b_no, !live && now.gen == s->gen, err);
            if (r < 0)
                return r;
            if (in.obj >= (int32_t)v->nobj)
                in.obj = -1;
        }
        int r = push_inc(v, &in);
        if (r)
            return r < 0 ? husk_err_set(err, HUSK_E_NOMEM, "out of memory") : 0;
    }
    return 0;
}

/* Reads every usable copy of one inode-table block. */
static int scan_itable_block(e4v_view *v, uint64_t b, uint64_t ino0, const husk_jbd2_copy *c,
                             size_t n, dir_copies *dirs, husk_err *err)
{
    size_t per = v->sb.block_size / v->isize;
    uint8_t *cur = v->blk2;
    if (e4v_read_block(v, b, cur, NULL) != 0)
        memset(cur, 0, v->sb.block_size);
    block_incs bi = {NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (c[i].csum == 0 || !c[i].committed) {
            v->copies_bad++;
            continue; /* overwritten since, or never committed */
        }
        if (husk_jbd2_read_copy(v->j, &c[i], v->blk, NULL) != 0) {
            v->copies_bad++;
            continue;
        }
        v->copies_read++;
        for (size_t k = 0; rc == 0 && k < per; k++) {
            uint64_t ino = ino0 + k;
            const uint8_t *raw = v->blk + k * v->isize;
            if (ino > v->sb.inodes_count)
                break;
            if (ino < v->first_ino || e4r_le16(raw) == 0)
                continue; /* reserved inodes are never Docker's; mode 0 was never used */
            slot_inc *s = slot_inc_get(&bi, (uint32_t)k, e4r_le32(raw + 0x64), v->isize);
            if (!s) {
                rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            if (!s->seen || c[i].sequence < s->first_seq)
                s->first_seq = c[i].sequence;
            s->seen = 1;
            if (c[i].sequence > s->last_seq)
                s->last_seq = c[i].sequence;
            e4r_copy one = {raw, c[i].sequence, c[i].csum};
            if (e4r_pick_copy(&one, 1, v->isize, (uint32_t)ino, s->gen, v->csum, v->fs_seed) < 0) {
                if (v->csum && e4r_inode_verdict(raw, v->isize) == E4R_USABLE &&
                    !e4r_inode_csum_ok(raw, v->isize, v->fs_seed, (uint32_t)ino))
                    v->inodes_bad_csum++;
                continue;
            }
            s->has_best = 1;
            s->best_seq = c[i].sequence;
            s->best_copy = &c[i];
            memcpy(s->best, raw, v->isize);
            if (husk_ftype_from_mode(e4r_le16(raw)) == HUSK_FT_DIR &&
                (e4r_le32(raw + 0x20) & E4R_EXTENTS_FL) &&
                note_dir_copy(dirs, ino, raw, c[i].sequence) != 0)
                rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        }
    }
    if (rc == 0)
        rc = settle_block(v, b, ino0, cur, &bi, err);
    for (size_t i = 0; i < bi.n; i++)
        free(bi.v[i].best);
    free(bi.v);
    return rc;
}

static int inc_cmp(const void *a, const void *b)
{
    const e4v_inc *x = a, *y = b;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static int owner_cmp(const void *a, const void *b)
{
    const e4v_owner *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    if (x->gen != y->gen)
        return x->gen < y->gen ? -1 : 1;
    return x->seq_lo < y->seq_lo ? -1 : x->seq_lo > y->seq_lo;
}

/* One owner record per (block, directory incarnation): every version of a directory's block
 * map that maps the block at all spans the transactions of all of them. */
static void merge_owners(e4v_view *v)
{
    size_t k = 0;
    for (size_t i = 0; i < v->nowner; i++) {
        e4v_owner *o = &v->owners[i];
        if (k && v->owners[k - 1].block == o->block && v->owners[k - 1].ino == o->ino &&
            v->owners[k - 1].gen == o->gen) {
            e4v_owner *m = &v->owners[k - 1];
            if (o->seq_lo < m->seq_lo)
                m->seq_lo = o->seq_lo;
            if (o->seq_hi > m->seq_hi)
                m->seq_hi = o->seq_hi;
            continue;
        }
        v->owners[k++] = *o;
    }
    v->nowner = k;
}

/* Owner records for every block of a directory copy that the journal holds copies of (only
 * those can be attributed this way; a recovered directory's disk blocks are read through its
 * own extents). */
static int owners_of(e4v_view *v, const dir_copy *d, husk_err *err)
{
    uint8_t raw[128];
    memset(raw, 0, sizeof raw);
    memcpy(raw + 0x28, d->iblock, E4R_IBLOCK_LEN);
    raw[0x64] = (uint8_t)d->gen;
    raw[0x65] = (uint8_t)(d->gen >> 8);
    raw[0x66] = (uint8_t)(d->gen >> 16);
    raw[0x67] = (uint8_t)(d->gen >> 24);
    e4r_extent *ext;
    size_t n;
    int r = e4v_load_extents(v, raw, d->ino, d->seq_hi, &ext, &n, NULL, NULL, err);
    if (r < 0)
        return r;
    size_t blocks = 0;
    for (size_t i = 0; i < n && blocks < E4V_MAX_DIR_BLOCKS; i++)
        for (uint32_t k = 0; k < ext[i].len && blocks < E4V_MAX_DIR_BLOCKS; k++, blocks++) {
            const husk_jbd2_copy *c;
            uint64_t b = ext[i].pblk + k;
            if (husk_jbd2_copies(v->j, b, &c) == 0)
                continue;
            if (e4v_grow((void **)&v->owners, &v->capowner, v->nowner, sizeof *v->owners,
                         E4V_MAX_OWNERS) != 0) {
                free(ext);
                if (v->nowner >= E4V_MAX_OWNERS) {
                    e4v_report(v, "directories", "more than %u directory blocks in the journal",
                               E4V_MAX_OWNERS);
                    return 1;
                }
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            }
            e4v_owner *o = &v->owners[v->nowner++];
            o->block = b;
            o->ino = d->ino;
            o->gen = d->gen;
            o->lblk = ext[i].lblk + k;
            o->seq_lo = d->seq_lo;
            o->seq_hi = d->seq_hi;
        }
    free(ext);
    return 0;
}

static int collect(e4v_view *v, husk_err *err)
{
    size_t ng = (size_t)v->sb.group_count;
    itable_ref *t = malloc(ng * sizeof *t);
    if (!t)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    for (size_t g = 0; g < ng; g++)
        t[g] = (itable_ref){v->groups[g].itable, (uint32_t)g};
    qsort(t, ng, sizeof *t, itable_cmp);
    size_t nc;
    const husk_jbd2_copy *all = husk_jbd2_all_copies(v->j, &nc);
    dir_copies dirs = {NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nc;) {
        size_t k = i;
        while (k < nc && all[k].fs_block == all[i].fs_block)
            k++;
        uint64_t ino0 = itable_first_ino(v, t, ng, all[i].fs_block);
        if (ino0)
            rc = scan_itable_block(v, all[i].fs_block, ino0, &all[i], k - i, &dirs, err);
        i = k;
    }
    free(t);
    for (size_t i = 0; rc >= 0 && i < dirs.n; i++) {
        rc = owners_of(v, &dirs.v[i], err);
        if (rc > 0)
            break;
    }
    free(dirs.v);
    if (rc < 0)
        return rc;
    if (v->ninc > 1)
        qsort(v->incs, v->ninc, sizeof *v->incs, inc_cmp);
    if (v->nowner > 1)
        qsort(v->owners, v->nowner, sizeof *v->owners, owner_cmp);
    merge_owners(v);
    return 0;
}

const e4v_inc *e4v_inc_find(const e4v_view *v, uint64_t ino, uint32_t gen)
{
    size_t lo = 0, hi = v->ninc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->incs[mid].ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < v->ninc && v->incs[i].ino == ino; i++)
        if (v->incs[i].gen == gen)
            return &v->incs[i];
    return NULL;
}

const e4v_inc *e4v_inc_at(const e4v_view *v, uint64_t ino, uint32_t seq)
{
    size_t lo = 0, hi = v->ninc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->incs[mid].ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    const e4v_inc *best = NULL;
    for (size_t i = lo; i < v->ninc && v->incs[i].ino == ino; i++)
        if (v->incs[i].first_seq <= seq)
            best = &v->incs[i]; /* sorted by first_seq: the last one born before seq */
    return best;
}

/* ---- overlaps between recovered objects ------------------------------------------------- */

typedef struct span {
    uint64_t start, end;
    uint32_t obj;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Two deleted incarnations whose extents share blocks: the later one wrote there last (the
 * bitmap cannot tell, both are free today), so the earlier one's bytes are likely gone. */
static int overlaps(e4v_view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nobj; i++)
        for (size_t k = 0; k < v->objs[i].next; k++)
            n += !v->objs[i].ext[k].unwritten;
    if (n < 2)
        return 0;
    span *s = malloc(n * sizeof *s);
    if (!s)
        return -1;
    n = 0;
    for (size_t i = 0; i < v->nobj; i++)
        for (size_t k = 0; k < v->objs[i].next; k++) {
            const e4r_extent *e = &v->objs[i].ext[k];
            if (!e->unwritten)
                s[n++] = (span){e->pblk, e->pblk + e->len, (uint32_t)i};
        }
    qsort(s, n, sizeof *s, span_cmp);
    uint64_t work = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n && s[k].start < s[i].end; k++) {
            if (++work > (1u << 24))
                goto done; /* pathological pile-ups: enough has been marked */
            if (s[k].obj == s[i].obj)
                continue;
            e4v_obj *a = &v->objs[s[i].obj], *b = &v->objs[s[k].obj];
            e4v_obj *older = a->seq < b->seq ? a : b, *newer = older == a ? b : a;
            /* a directory's blocks are judged by their checksums (ext4_view_facts.c) */
            if (older->seq == newer->seq || older->st.type == HUSK_FT_DIR ||
                (older->how && strstr(older->how, "also mapped")))
                continue;
            older->conf = older->conf < 0.3 ? older->conf : 0.3;
            e4v_how(older,
                    "some of its blocks are also mapped by a later deleted file (inode %llu, "
                    "transaction %u): probably overwritten",
                    (unsigned long long)newer->ino, newer->seq);
        }
done:
    free(s);
    return 0;
}

/* ---- entry ------------------------------------------------------------------------------ */

int e4v_build_objects(e4v_view *v, husk_err *err)
{
    v->img = husk_ext4_image(v->live);
    v->fs_off = v->live->offset;
    uint8_t sb[EXT4_SB_SIZE];
    if (!v->img || tsk_img_read(v->img, (TSK_OFF_T)(v->fs_off + EXT4_SB_OFFSET), (char *)sb,
                                sizeof sb) != (ssize_t)sizeof sb) {
        tsk_error_reset();
        return husk_err_set(err, HUSK_E_IO, "cannot read the ext superblock");
    }
    int r = ext4_sb_parse(sb, sizeof sb, &v->sb, err);
    if (r < 0)
        return r;
    v->fs_seed = e4r_fs_seed(sb, &v->csum);
    v->isize = v->sb.inode_size;
    v->first_ino = e4r_le32(sb + 0x4C) >= 1 ? e4r_le32(sb + 0x54) : 11;
    if (v->first_ino < 3)
        v->first_ino = 11;
    v->itable_blocks =
        (uint32_t)(((uint64_t)v->sb.inodes_per_group * v->isize + v->sb.block_size - 1) /
                   v->sb.block_size);
    v->next_synth = HUSK_REC_SYNTHETIC_BASE;
    if (!(v->blk = malloc(v->sb.block_size)) || !(v->blk2 = malloc(v->sb.block_size)) ||
        !(v->blk3 = malloc(v->sb.block_size)))
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if ((r = e4v_read_groups(v, err)) < 0)
        return r;
    if ((r = husk_ext4_journal_open(v->live, &v->j, err)) < 0)
        return r;
    if ((r = husk_jbd2_index(v->j, v->diag, err)) < 0)
        return r;
    if ((r = collect(v, err)) < 0)
        return r;
    if (overlaps(v) != 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (v->inodes_bad_csum)
        husk_diag_report(v->diag, "recovery", "journal", -1,
                         "%llu inode cop%s in the journal failed the inode checksum and were "
                         "not used",
                         (unsigned long long)v->inodes_bad_csum,
                         v->inodes_bad_csum == 1 ? "y" : "ies");
    return 0;
}

void e4v_release(e4v_view *v)
{
    for (size_t i = 0; i < v->nobj; i++) {
        free(v->objs[i].ext);
        free(v->objs[i].how);
    }
    free(v->objs);
    if (v->groups && v->bbm && v->ibm)
        for (size_t g = 0; g < v->sb.group_count; g++) {
            free(v->bbm[g]);
            free(v->ibm[g]);
        }
    free(v->groups);
    free(v->bbm);
    free(v->ibm);
    husk_jbd2_close(v->j);
    free(v->blk);
    free(v->blk2);
    free(v->blk3);
    free(v->incs);
    free(v->owners);
    free(v->facts);
    e4v_map_free(&v->fact_seen);
    e4v_map_free(&v->obj_by_vino);
    e4v_map_free(&v->nameonly_by_ino);
    husk_sb_release(&v->names);
    free(v->ents);
    memset(v, 0, sizeof *v);
}
