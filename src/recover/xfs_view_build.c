/*
 * Building an XFS recovered view (src/recover/xfs_view.h) from what xfs_view_collect.c found:
 * one object per deleted incarnation, its number in the view, its stat and confidence; then
 * the deleted entries that put the objects in the tree (xfs_view_names.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../evidence/xfs_access.h"
#include "xfs_view.h"

#define XFS_SYMLINK_MAGIC 0x58534c4du

xv_obj *xv_obj_of(const xv_view *v, uint64_t vino)
{
    uint32_t i;
    return xv_map_get(&v->obj_by_vino, vino, &i) == 0 ? &v->objs[i] : NULL;
}

const char *xv_name(const xv_view *v, uint32_t off)
{
    return v->names.buf + off;
}

size_t xv_ents_of(const xv_view *v, uint64_t dir, size_t *count)
{
    size_t lo = 0, hi = v->nent_sorted;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (v->ents[m].dir < dir)
            lo = m + 1;
        else
            hi = m;
    }
    size_t e = lo;
    while (e < v->nent_sorted && v->ents[e].dir == dir)
        e++;
    *count = e - lo;
    return lo;
}

int32_t xv_obj_new(xv_view *v, uint64_t ino, unsigned src)
{
    if (v->nobj >= XV_MAX_OBJS) {
        v->limit_hits++;
        return -1;
    }
    if (v->nobj == v->capobj) {
        size_t cap = v->capobj ? v->capobj * 2 : 256;
        xv_obj *n = realloc(v->objs, cap * sizeof *n);
        if (!n)
            return -2;
        v->objs = n;
        v->capobj = cap;
    }
    xv_obj *o = &v->objs[v->nobj];
    memset(o, 0, sizeof *o);
    o->ino = ino;
    o->src = src;
    o->inc = -1;
    return (int32_t)v->nobj++;
}

/* The explanation is kept at its length (a view holds one per deleted file), cut as a fixed
 * buffer cut it. */
void xv_how(xv_obj *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    husk_rec_how_vadd(&o->how, XV_HOW_MAX, fmt, ap);
    va_end(ap);
}

uint64_t xv_synth(xv_view *v)
{
    return ++v->next_synth;
}

/* ---- objects from the log and the homes -------------------------------------------------------
 */

/* The latest log incarnation of each inode number that is the live object of today (same
 * generation) is not recovered: the live back end shows it. */
static void mark_live(xv_view *v)
{
    for (size_t i = 0; i < v->ninc; i++) {
        xv_inc *in = &v->incs[i];
        uint32_t latest;
        husk_stat st;
        if (xv_map_get(&v->inc_by_ino, in->ino, &latest) != 0 || latest != i)
            continue;
        if (xr_chunks_state(&v->chunks, in->ino) == XR_INO_LIVE &&
            husk_fs_stat(v->live, in->ino, &st, NULL) == 0 && st.allocated &&
            st.generation == in->gen)
            in->is_live = 1;
    }
}

static int objects_from_log(xv_view *v)
{
    for (size_t i = 0; i < v->ninc; i++) {
        xv_inc *in = &v->incs[i];
        if (in->is_live || !in->live)
            continue;
        int32_t k = xv_obj_new(v, in->ino, XV_SRC_LOG);
        if (k == -2)
            return -HUSK_E_NOMEM;
        if (k < 0)
            continue;
        xv_obj *o = &v->objs[k];
        o->raw = in->live;
        in->live = NULL;
        o->inc = (int32_t)i;
        o->seq = in->live_seq;
        o->parent_ino = in->parent;
        in->obj = k;
        xv_how(o, "rebuilt from the XFS log: its last logged state %s (log transaction %llu)%s%s",
               in->dying ? "when it was unlinked (older states are no longer in the log)"
                         : "while it had a name",
               (unsigned long long)in->live_seq, in->base_home ? ", over its older home copy" : "",
               in->have_dfork ? "" : "; its extent list was never logged");
    }
    return 0;
}

/* Short-form entries of a home copy: facts of the home copy (dir_inc -1). */
static int home_sf(xv_view *v, xv_obj *o, const uint8_t *fork, size_t len)
{
    husk_err e;
    uint64_t parent = 0;
    xv_harvest h = {v, o->ino, 0, -1, XV_FACT_HOME_SF, 0, NULL};
    int rc =
        xr_sf_entries(fork, len, v->d.sb.has_ftype, v->d.ino_limit, &parent, xv_harvest_cb, &h, &e);
    if (rc == -HUSK_E_NOMEM)
        return rc;
    if (parent && !o->parent_ino)
        o->parent_ino = parent;
    return 0;
}

/* A home candidate joins the log object of the same life (same generation; a slot freed
 * since has the next one), or becomes an object of its own. */
static int home_object(xv_view *v, xv_home *h)
{
    uint32_t idx, gen = xfs_be32(h->raw + 92);
    xv_inc *in = xv_map_get(&v->inc_by_ino, h->ino, &idx) == 0 ? &v->incs[idx] : NULL;
    size_t doff = h->raw[4] == 3 ? 176 : 100;
    int32_t k;
    if (in && in->obj >= 0 &&
        (gen == in->gen || (h->src == XV_SRC_LEFTOVER && gen == in->gen + 1))) {
        k = in->obj;
        xv_obj *o = &v->objs[k];
        if (!in->have_dfork) {
            /* the log has its core only: its forks are those left at home */
            memcpy(o->raw + doff, h->raw + doff, v->isize - doff);
            if (h->src == XV_SRC_LEFTOVER && !h->sf_dir && xfs_be32(o->raw + 76) > h->nleft) {
                uint8_t be[4] = {0, 0, 0, (uint8_t)h->nleft};
                memcpy(o->raw + 76, be, 4);
            }
            in->have_dfork = 1;
            xv_how(o, "its extent records were taken from its home slot");
        }
        if (h->src == XV_SRC_FREED && v->d.sb.v5 &&
            xfs_be64(h->raw + 104) > xfs_be64(o->raw + 104)) {
            memcpy(o->raw, h->raw, v->isize);
            xv_how(o,
                   "its home copy in a freed chunk is newer than the log's and was used "
                   "(CRC %s)",
                   h->crc_ok ? "correct" : "wrong");
        } else if (h->src == XV_SRC_FREED) {
            xv_how(o, "a copy also survives at its home in a freed chunk");
        } else {
            xv_how(o, "its free home slot still holds %s",
                   h->sf_dir ? "its short-form entries" : "its extent records");
        }
        o->src |= h->src;
    } else {
        k = xv_obj_new(v, h->ino, h->src);
        if (k == -2)
            return -HUSK_E_NOMEM;
        if (k < 0)
            return 0;
        xv_obj *o = &v->objs[k];
        o->raw = h->raw;
        h->raw = NULL;
        if (h->src == XV_SRC_FREED)
            xv_how(o, "whole inode record found in free space (a freed inode chunk), CRC %s",
                   h->crc_ok ? "correct" : "wrong");
        else if (h->sf_dir)
            xv_how(o, "free slot of an inode chunk in use: its old short-form directory "
                      "entries are left in the literal area");
        else
            xv_how(o,
                   "free slot of an inode chunk in use: %zu extent records left in the "
                   "literal area",
                   h->nleft);
        if (h->nleft) {
            if (!(o->left = malloc(h->nleft * sizeof *o->left)))
                return -HUSK_E_NOMEM;
            memcpy(o->left, h->left, h->nleft * sizeof *o->left);
            o->nleft = h->nleft;
        }
        if (!h->crc_ok && h->src == XV_SRC_FREED)
            v->home_badcrc++;
    }
    xv_obj *o = &v->objs[k];
    o->home_dir_facts = 1;
    if (xv_map_put(&v->home_by_ino, h->ino, (uint32_t)k) != 0)
        return -HUSK_E_NOMEM;
    const uint8_t *rec = h->raw ? h->raw : o->raw;
    if (h->sf_dir)
        return home_sf(v, o, rec + doff, v->isize - doff);
    uint16_t mode = xfs_be16(rec + 2);
    if (h->src == XV_SRC_FREED && (mode & S_IFMT) == S_IFDIR && rec[5] == XFS_RAW_FMT_LOCAL) {
        uint64_t size = xfs_be64(rec + 56);
        size_t len = size < v->isize - doff ? (size_t)size : v->isize - doff;
        return home_sf(v, o, rec + doff, len);
    }
    return 0;
}

/* ---- shape, stat and confidence ------------------------------------------------------------- */

/* Type and size of an object known only by its leftover extents: a v5 directory or symlink
 * block names its owner; anything else is taken for a regular file whose size is guessed
 * from its last block. */
static void leftover_shape(xv_view *v, xv_obj *o)
{
    uint32_t bs = v->d.sb.blocksize;
    const xfs_raw_extent *first = &o->left[0], *last = &o->left[o->nleft - 1];
    uint64_t nblocks = last->startoff + last->blockcount;
    uint8_t *blk = malloc(bs);
    o->st.type = HUSK_FT_FILE;
    o->st.size = nblocks <= UINT64_MAX / bs ? nblocks * bs : UINT64_MAX;
    if (!blk)
        return;
    if (xr_read_fsb(&v->d, first->startblock, 1, blk, NULL) == 0) {
        if (v->d.sb.v5 && xr_dir_block_owner(blk, bs) == o->ino) {
            uint64_t data = 0; /* a directory's size covers its data blocks only */
            for (size_t i = 0; i < o->nleft; i++)
                if (o->left[i].startoff < XFS_RAW_DIR_LEAF_OFFSET / bs)
                    data = o->left[i].startoff + o->left[i].blockcount;
            o->st.type = HUSK_FT_DIR;
            o->st.size = data * bs;
            xv_how(o, "a directory: its first block names it as owner");
        } else if (v->d.sb.v5 && xfs_be32(blk) == XFS_SYMLINK_MAGIC &&
                   xfs_be64(blk + 32) == o->ino && xfs_be32(blk + 8) <= XFS_RAW_SYMLINK_MAXLEN) {
            o->st.type = HUSK_FT_SYMLINK;
            o->st.size = xfs_be32(blk + 8);
            xv_how(o, "a symbolic link: its target block names it as owner");
        }
    }
    if (o->st.type == HUSK_FT_FILE) {
        int trimmed = 0;
        uint64_t lb = last->startblock + last->blockcount - 1;
        int ok = xr_read_fsb(&v->d, lb, 1, blk, NULL) == 0;
        o->st.size = xr_guess_size(ok ? blk : NULL, bs, nblocks, &trimmed);
        xv_how(o, "type not recorded: taken for a regular file; size not recorded: %s",
               trimmed ? "whole blocks, the trailing zero bytes of the last block cut (text)"
                       : "whole blocks");
    }
    free(blk);
}

/* Copies the decoded record into the object's stat (allocated stays 0). */
static void stat_from_raw(xv_obj *o)
{
    const xfs_raw_inode *di = &o->di;
    husk_stat *st = &o->st;
    memset(st, 0, sizeof *st);
    st->inode = o->vino;
    st->mode = di->mode;
    st->type = husk_ftype_from_mode(di->mode);
    st->uid = di->uid;
    st->gid = di->gid;
    st->size = di->size;
    st->nlink = di->nlink;
    st->rdev_major = di->rdev_major;
    st->rdev_minor = di->rdev_minor;
    st->atime = di->atime;
    st->mtime = di->mtime;
    st->ctime = di->ctime;
    st->crtime = di->crtime;
    st->generation = di->gen;
}

/* How many of the object's data blocks are free today (the rest were reused since). */
static void block_check(xv_view *v, xv_obj *o, uint64_t *total, uint64_t *free_now)
{
    xr_map m = {0};
    *total = *free_now = 0;
    int rc = o->nleft ? xr_map_set(&m, o->left, o->nleft, NULL)
                      : xr_map_load(&v->d, o->ino, o->raw, &o->di, 0, &m, NULL);
    if (rc != 0)
        return;
    for (size_t i = 0; i < m.n; i++) {
        if (m.ext[i].unwritten)
            continue;
        *total += m.ext[i].blockcount;
        *free_now += xr_free_count(&v->d, &v->freesp, m.ext[i].startblock, m.ext[i].blockcount);
    }
    xr_map_free(&m);
}

/* Fills stat, confidence and the last parts of the explanation. Confidence: the source's
 * base (a whole CRC-checked record 0.9, the log 0.8, leftovers 0.5, a name alone 0.3), scaled
 * down with the share of data blocks that belong to something else today. */
void xv_obj_finish(xv_view *v, xv_obj *o)
{
    husk_err e;
    if (o->raw && xfs_raw_inode_parse(o->raw, v->isize, o->ino, &o->di, &e) != 0) {
        xv_how(o, "its inode copy does not decode (%s)", e.msg);
        free(o->raw);
        o->raw = NULL;
        o->src |= XV_SRC_NAME;
    }
    if (o->src & XV_SRC_VIRTUAL)
        return;
    if (!o->raw) {
        o->from = "dirent";
        o->conf = 0.3;
        o->st.inode = o->vino;
        return;
    }
    stat_from_raw(o);
    o->from = o->src & XV_SRC_LOG ? "journal" : "inode";
    double base = o->src & XV_SRC_LOG ? 0.8 : o->src & XV_SRC_FREED ? 0.9 : 0.5;
    if ((o->src & XV_SRC_LOG) && (o->src & XV_SRC_FREED))
        base = 0.85;
    if ((o->src & XV_SRC_FREED) && !(o->src & XV_SRC_LOG) && !xr_inode_crc_ok(o->raw, v->isize))
        base = 0.6;
    if (o->nleft)
        leftover_shape(v, o);
    if (o->st.type == HUSK_FT_UNKNOWN && (o->src & XV_SRC_LEFTOVER)) {
        o->st.type = HUSK_FT_DIR; /* short-form remnants */
        xv_how(o, "a directory: short-form entries; size not recorded");
    }
    if ((o->st.mode & S_IFMT) == 0) /* the type is known, the permissions are not */
        o->st.mode = o->st.type == HUSK_FT_DIR       ? S_IFDIR
                     : o->st.type == HUSK_FT_SYMLINK ? S_IFLNK
                                                     : S_IFREG;
    o->st.inode = o->vino;
    o->st.allocated = 0;
    int mapped =
        o->nleft || o->di.format == XFS_RAW_FMT_EXTENTS || o->di.format == XFS_RAW_FMT_BTREE;
    uint64_t total = 0, free_now = 0;
    if (mapped &&
        (o->st.type == HUSK_FT_FILE || o->st.type == HUSK_FT_DIR || o->st.type == HUSK_FT_SYMLINK))
        block_check(v, o, &total, &free_now);
    if (total) {
        double f = (double)free_now / (double)total;
        base *= 0.25 + 0.75 * f;
        if (free_now == total)
            xv_how(o, "its %llu data blocks are still free", (unsigned long long)total);
        else
            xv_how(o,
                   "%llu of its %llu data blocks are in use by something else now: they read "
                   "as zeros",
                   (unsigned long long)(total - free_now), (unsigned long long)total);
    }
    o->conf = base;
}

/* Numbers in the view: the most recent object of an inode number keeps the number unless it
 * belongs to a live object; every other one gets a synthetic number. */
static int obj_seq_cmp(const void *a, const void *b, void *ctx)
{
    const xv_view *v = ctx;
    const xv_obj *x = &v->objs[*(const uint32_t *)a], *y = &v->objs[*(const uint32_t *)b];
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static int assign_vinos(xv_view *v)
{
    uint32_t *ord = malloc((v->nobj + 1) * sizeof *ord);
    if (!ord)
        return -HUSK_E_NOMEM;
    for (size_t i = 0; i < v->nobj; i++)
        ord[i] = (uint32_t)i;
    if (v->nobj > 1)
        qsort_r(ord, v->nobj, sizeof *ord, obj_seq_cmp, v);
    for (size_t i = 0; i < v->nobj; i++) {
        xv_obj *o = &v->objs[ord[i]];
        int first = i == 0 || v->objs[ord[i - 1]].ino != o->ino;
        int live = xr_chunks_state(&v->chunks, o->ino) == XR_INO_LIVE;
        o->vino = first && !live ? o->ino : xv_synth(v);
        if (o->vino != o->ino)
            xv_how(o, "inode %llu %s: shown as %llu", (unsigned long long)o->ino,
                   live ? "belongs to a live object now" : "had a later life",
                   (unsigned long long)o->vino);
        if (xv_map_put(&v->obj_by_vino, o->vino, ord[i]) != 0) {
            free(ord);
            return -HUSK_E_NOMEM;
        }
    }
    free(ord);
    return 0;
}

/* Names of block-form directories among the objects: their data blocks as they are on disk
 * now, used only while they still name the directory as owner. */
static int dir_block_facts(xv_view *v)
{
    for (size_t i = 0; i < v->nobj; i++) {
        xv_obj *o = &v->objs[i];
        if (!o->raw || o->st.type != HUSK_FT_DIR || o->di.format == XFS_RAW_FMT_LOCAL)
            continue;
        xr_map m;
        int rc = o->nleft ? xr_map_set(&m, o->left, o->nleft, NULL)
                          : xr_map_load(&v->d, o->ino, o->raw, &o->di, 0, &m, NULL);
        if (rc != 0)
            continue;
        uint64_t parent = 0;
        xv_harvest h = {v, o->ino, 0, o->home_dir_facts ? -1 : o->inc, XV_FACT_HOME_BLOCK,
                        0, &parent};
        rc = xr_dir_blocks(&v->d, o->ino, &m, xv_harvest_cb, &h, NULL);
        xr_map_free(&m);
        o = &v->objs[i];
        if (parent && !o->parent_ino)
            o->parent_ino = parent;
        if (rc == -HUSK_E_NOMEM)
            return rc;
    }
    return 0;
}

int xv_build(xv_view *v, husk_err *err)
{
    struct TSK_IMG_INFO *img;
    uint64_t off;
    xv_home *homes = NULL;
    size_t nhomes = 0;
    int rc = husk_xfs_image(v->live, &img, &off, err);
    if (rc == 0)
        rc = xr_disk_init(&v->d, img, off, err);
    if (rc != 0)
        return rc;
    v->isize = v->d.sb.inodesize;
    v->next_synth = HUSK_REC_SYNTHETIC_BASE;
    if (xr_free_load(&v->d, &v->freesp, v->diag, err) != 0 ||
        xr_chunks_load(&v->d, &v->chunks, v->diag, err) != 0 || xv_collect_log(v, err) != 0 ||
        xv_collect_homes(v, &homes, &nhomes, err) != 0)
        return err ? -err->code : -HUSK_E_NOMEM;
    mark_live(v);
    rc = objects_from_log(v);
    for (size_t i = 0; rc == 0 && i < nhomes; i++)
        rc = home_object(v, &homes[i]);
    xv_homes_free(homes, nhomes);
    if (rc == 0)
        rc = assign_vinos(v);
    for (size_t i = 0; rc == 0 && i < v->nobj; i++)
        xv_obj_finish(v, &v->objs[i]);
    if (rc == 0)
        rc = dir_block_facts(v);
    if (rc == 0 && xv_collect_live_remnants(v, err) != 0)
        rc = -HUSK_E_NOMEM;
    if (rc == 0)
        rc = xv_names_build(v);
    if (rc == -HUSK_E_NOMEM)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (v->limit_hits)
        husk_diag_report(v->diag, "recovery", "xfs recovered view", -1,
                         "%llu limits on hostile input were reached; the view is partial",
                         (unsigned long long)v->limit_hits);
    if (v->home_badcrc)
        husk_diag_report(v->diag, "recovery", "xfs recovered view", -1,
                         "%llu inode records found in free space fail their CRC (kept, with "
                         "lower confidence)",
                         (unsigned long long)v->home_badcrc);
    return rc;
}

void xv_release(xv_view *v)
{
    for (size_t i = 0; i < v->ninc; i++) {
        free(v->incs[i].cur);
        free(v->incs[i].live);
    }
    free(v->incs);
    xv_map_free(&v->inc_by_ino);
    for (size_t i = 0; i < v->ndirimg; i++)
        free(v->dirimgs[i].buf);
    free(v->dirimgs);
    xv_map_free(&v->dirimg_by_daddr);
    free(v->facts);
    free(v->fact_hash);
    husk_sb_release(&v->names);
    for (size_t i = 0; i < v->nobj; i++) {
        free(v->objs[i].raw);
        free(v->objs[i].left);
        free(v->objs[i].how);
    }
    free(v->objs);
    xv_map_free(&v->obj_by_vino);
    xv_map_free(&v->home_by_ino);
    xv_map_free(&v->nameonly_by_ino);
    xv_map_free(&v->livedir);
    free(v->ents);
    xr_map_free(&v->cache_map);
    xr_free_release(&v->freesp);
    xr_chunks_release(&v->chunks);
}
