/*
 * The recovered view of an XFS file system (include/husk/recover.h): a husk_fs whose live
 * objects come from the live back end unchanged and whose deleted ones come from the tables
 * xfs_view_build.c made (src/recover/xfs_view.h says how they are found and numbered).
 *
 * Listing a live directory gives its live entries first (from the live back end), then the
 * names it no longer holds, marked deleted. Recovered directories list only deleted entries.
 * Recovered files read through their recovered extent maps; blocks that belong to something
 * else today read as zeros (their bytes are not the file's), and provenance says how many.
 */
#include <stdlib.h>
#include <string.h>

#include "xfs_view.h"

/* Zeroes what of buf [off, off+n) lies in blocks that belong to something else now: those
 * bytes are another object's, and readers above (Docker's) would take them for this one's.
 * Blocks still free keep their bytes: the kernel does not write free blocks. */
static void blank_reused(xv_view *v, const xr_map *m, uint64_t off, uint8_t *buf, size_t n)
{
    uint32_t bs = v->d.sb.blocksize;
    size_t lo = 0;
    /* stepped by the buffer index: a file near the end of the 64-bit offset space (a crafted
     * di_size) must not wrap the block arithmetic round to 0 */
    for (size_t i = 0; i < n;) {
        uint64_t pos = off + i, lblk = pos / bs;
        size_t take = bs - (size_t)(pos % bs);
        if (take > n - i)
            take = n - i;
        while (lo < m->n && m->ext[lo].startoff + m->ext[lo].blockcount <= lblk)
            lo++; /* reads go forward: the extent index only grows */
        const xfs_raw_extent *e = lo < m->n && m->ext[lo].startoff <= lblk ? &m->ext[lo] : NULL;
        if (e && !e->unwritten &&
            xr_free_count(&v->d, &v->freesp, e->startblock + (lblk - e->startoff), 1) == 0)
            memset(buf + i, 0, take);
        i += take;
    }
}

/* Reads a recovered regular file through its extent map (cached for the object read last:
 * callers read files in many calls). */
ssize_t xv_obj_read(xv_view *v, xv_obj *o, uint64_t off, void *buf, size_t len, husk_err *err)
{
    if (!o->raw)
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "inode %llu: only its name survives, not its content",
                            (unsigned long long)o->ino);
    if (o->st.type != HUSK_FT_FILE)
        return husk_err_set(err, HUSK_E_ARG, "inode %llu is not a regular file",
                            (unsigned long long)o->vino);
    if (!v->cached || v->cache_vino != o->vino) {
        xr_map m;
        int rc = o->nleft ? xr_map_set(&m, o->left, o->nleft, err)
                          : xr_map_load(&v->d, o->ino, o->raw, &o->di, 0, &m, err);
        if (rc != 0)
            return rc;
        xr_map_free(&v->cache_map);
        v->cache_map = m;
        v->cache_vino = o->vino;
        v->cached = 1;
    }
    ssize_t n = xr_map_read(&v->d, &v->cache_map, o->st.size, off, buf, len, err);
    if (n > 0)
        blank_reused(v, &v->cache_map, off, buf, (size_t)n);
    return n;
}

static int view_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    xv_view *v = fs->priv;
    const xv_obj *o = xv_obj_of(v, ino);
    if (o) {
        *st = o->st;
        return 0;
    }
    if (ino >= HUSK_REC_SYNTHETIC_BASE)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                            (unsigned long long)ino);
    return husk_fs_stat(v->live, ino, st, err);
}

typedef struct pass {
    husk_dir_cb cb;
    void *ctx;
    int stop;
} pass;

static int pass_cb(const husk_dirent *d, void *ctx)
{
    pass *p = ctx;
    p->stop = p->cb(d, p->ctx);
    return p->stop;
}

/* Live entries (live directories only), then the deleted ones. */
static int view_list_dir(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    xv_view *v = fs->priv;
    const xv_obj *o = xv_obj_of(v, ino);
    if (o && o->st.type != HUSK_FT_DIR)
        return husk_err_set(err, HUSK_E_ARG, "object %llu is not a directory",
                            (unsigned long long)ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                                (unsigned long long)ino);
        pass p = {cb, ctx, 0};
        int rc = husk_fs_list_dir(v->live, ino, pass_cb, &p, err);
        if (p.stop)
            return p.stop < 0 ? p.stop : 0;
        if (rc < 0)
            return rc;
    }
    size_t n, first = xv_ents_of(v, ino, &n);
    for (size_t i = first; i < first + n; i++) {
        const xv_ent *e = &v->ents[i];
        husk_dirent d = {xv_name(v, e->name_off), e->name_len, e->child, (husk_ftype)e->type, 1};
        int r = cb(&d, ctx);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    return 0;
}

static ssize_t view_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                         husk_err *err)
{
    xv_view *v = fs->priv;
    xv_obj *o = xv_obj_of(v, ino);
    if (o)
        return xv_obj_read(v, o, off, buf, len, err);
    if (ino >= HUSK_REC_SYNTHETIC_BASE)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                            (unsigned long long)ino);
    return husk_fs_read(v->live, ino, off, buf, len, err);
}

/* Leftover objects keep their extents in the literal area with nextents zeroed: a decoded
 * inode that counts them reads them as a normal extent list. */
static xfs_raw_inode leftover_di(const xv_obj *o)
{
    xfs_raw_inode di = o->di;
    if (o->nleft) {
        di.format = XFS_RAW_FMT_EXTENTS;
        di.nextents = o->nleft;
        di.size = o->st.size;
    }
    return di;
}

static ssize_t view_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err)
{
    xv_view *v = fs->priv;
    const xv_obj *o = xv_obj_of(v, ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                                (unsigned long long)ino);
        return husk_fs_readlink(v->live, ino, buf, bufsize, err);
    }
    if (o->st.type != HUSK_FT_SYMLINK)
        return husk_err_set(err, HUSK_E_ARG, "object %llu is not a symbolic link",
                            (unsigned long long)ino);
    if (!o->raw)
        return husk_err_set(err, HUSK_E_NOTFOUND, "inode %llu: only its name survives",
                            (unsigned long long)o->ino);
    uint8_t tgt[XFS_RAW_SYMLINK_MAXLEN];
    xfs_raw_inode di = leftover_di(o);
    ssize_t n = xr_symlink_read(&v->d, o->ino, o->raw, &di, tgt, err);
    if (n < 0)
        return n;
    if (bufsize > 0) {
        size_t k = (size_t)n < bufsize - 1 ? (size_t)n : bufsize - 1;
        memcpy(buf, tgt, k);
        buf[k] = '\0';
    }
    return n;
}

static int view_list_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    xv_view *v = fs->priv;
    const xv_obj *o = xv_obj_of(v, ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                                (unsigned long long)ino);
        return husk_fs_list_xattrs(v->live, ino, cb, ctx, err);
    }
    if (!o->raw || (o->src & (XV_SRC_LOG | XV_SRC_FREED)) == 0)
        return 0; /* a freed slot's attribute fork is gone with its fork offset */
    return xr_xattrs(&v->d, o->ino, o->raw, &o->di, cb, ctx, err);
}

static int view_provenance(husk_fs *fs, uint64_t ino, husk_prov *p, char *how, size_t hown)
{
    xv_view *v = fs->priv;
    const xv_obj *o = xv_obj_of(v, ino);
    return o ? husk_rec_prov_fill(p, o->from, o->conf, o->how, how, hown)
             : husk_rec_prov_fill(p, NULL, 1.0, NULL, how, hown);
}

static void view_close(husk_fs *fs)
{
    if (!fs)
        return;
    xv_view *v = fs->priv;
    if (v) {
        xv_release(v);
        free(v);
    }
    free(fs);
}

static const husk_fs_ops view_ops = {
    view_stat,        view_list_dir, view_read,       view_readlink,
    view_list_xattrs, view_close,    view_provenance,
};

int husk_xfs_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err)
{
    if (!live || !view || strcmp(live->fstype, "xfs") != 0)
        return husk_err_set(err, HUSK_E_ARG, "not an XFS file system");
    *view = NULL;
    husk_fs *fs = calloc(1, sizeof *fs);
    xv_view *v = calloc(1, sizeof *v);
    if (!fs || !v) {
        free(fs);
        free(v);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    v->live = live;
    v->diag = diag;
    *fs = *live;
    fs->lookup_cache = NULL; /* the live file system's own (vfs.c) */
    fs->cache_lookups = 0;
    fs->ops = &view_ops;
    fs->priv = v;
    int rc = xv_build(v, err);
    if (rc == 0 && v->nobj == 0)
        rc = husk_err_set(err, HUSK_E_NOTFOUND,
                          "nothing deleted is recoverable on this XFS (log, free inode slots "
                          "and free space searched)");
    if (rc != 0) {
        view_close(fs);
        return rc;
    }
    *view = fs;
    return 0;
}
