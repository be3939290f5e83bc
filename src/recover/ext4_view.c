/*
 * The recovered view of an ext4 file system (include/husk/recover.h): a husk_fs whose live
 * objects come from the live back end unchanged and whose deleted ones come from the tables
 * ext4_view_build.c and ext4_view_names.c made (src/recover/ext4_view.h says how they are
 * found and numbered).
 *
 * Listing a live directory gives its live entries first (from the live back end), then the
 * names it no longer holds, marked deleted. Recovered directories list only deleted entries.
 * Recovered files read through the extents of their journal copy, whatever the blocks hold
 * today; provenance says how sure the view is that those bytes are still the file's.
 */
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "ext4_view.h"
#include "husk/ext4.h"

static int no_object(husk_err *err, uint64_t ino)
{
    return husk_err_set(err, HUSK_E_NOTFOUND, "no object %llu in the recovered view",
                        (unsigned long long)ino);
}

static int view_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    if (o) {
        *st = o->st;
        return 0;
    }
    if (ino >= HUSK_REC_SYNTHETIC_BASE)
        return no_object(err, ino);
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
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    if (o && o->st.type != HUSK_FT_DIR)
        return husk_err_set(err, HUSK_E_ARG, "object %llu is not a directory",
                            (unsigned long long)ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return no_object(err, ino);
        pass p = {cb, ctx, 0};
        int rc = husk_fs_list_dir(v->live, ino, pass_cb, &p, err);
        if (p.stop)
            return p.stop < 0 ? p.stop : 0;
        if (rc < 0)
            return rc;
    }
    size_t n, first = e4v_ents_of(v, ino, &n);
    for (size_t i = first; i < first + n; i++) {
        const e4v_ent *e = &v->ents[i];
        husk_dirent d = {e4v_name(v, e->name_off), e->name_len, e->child, (husk_ftype)e->type, 1};
        int r = cb(&d, ctx);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    return 0;
}

static ssize_t view_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                         husk_err *err)
{
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return no_object(err, ino);
        return husk_fs_read(v->live, ino, off, buf, len, err);
    }
    if (o->st.type != HUSK_FT_FILE)
        return husk_err_set(err, HUSK_E_ARG, "object %llu is not a regular file",
                            (unsigned long long)ino);
    return e4v_obj_read(v, o, off, buf, len, err);
}

static ssize_t view_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err)
{
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return no_object(err, ino);
        return husk_fs_readlink(v->live, ino, buf, bufsize, err);
    }
    if (o->st.type != HUSK_FT_SYMLINK)
        return husk_err_set(err, HUSK_E_ARG, "object %llu is not a symbolic link",
                            (unsigned long long)ino);
    if (o->src != E4V_SRC_JOURNAL)
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "inode %llu: the target of this deleted symlink is lost",
                            (unsigned long long)o->ino);
    /* PATH_MAX is 4096; a longer "target" is damage */
    if (o->st.size > 4096)
        return husk_err_set(err, HUSK_E_FORMAT, "symlink %llu claims a %llu-byte target",
                            (unsigned long long)ino, (unsigned long long)o->st.size);
    char tmp[4097];
    size_t tl = (size_t)o->st.size;
    e4r_inode in;
    uint8_t *raw;
    int rr = e4v_obj_raw_dup(v, o, 0, &raw, err);
    if (rr < 0)
        return rr;
    e4r_inode_get(raw, v->isize, &in);
    /* the record is read again: its size must still fit i_block (tl is the size the view
     * decoded when it was built) */
    int fast = e4r_is_fast_symlink(&in) && tl < E4R_IBLOCK_LEN;
    if (fast)
        memcpy(tmp, raw + 0x28, tl);
    free(raw);
    if (!fast) {
        ssize_t n = e4v_obj_read(v, o, 0, tmp, tl, err);
        if (n < 0)
            return n;
        tl = (size_t)n;
    }
    tmp[tl] = '\0';
    /* a target never holds NUL: one that does is another file's bytes in a reused block */
    if (strlen(tmp) != tl)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "inode %llu: the block of this deleted symlink's target holds "
                            "something else today",
                            (unsigned long long)o->ino);
    if (bufsize) {
        size_t c = tl < bufsize - 1 ? tl : bufsize - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return (ssize_t)tl;
}

/* The EA block i_file_acl named in the copy: on disk while it is still an EA block of this
 * file system (its checksum is seeded with its own number), else its newest journal copy. */
static int xattr_block(e4v_view *v, uint64_t blk, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    uint32_t bs = v->sb.block_size;
    int ok = e4v_read_block(v, blk, v->blk, NULL) == 0 && e4r_le32(v->blk) == 0xEA020000u &&
             (!v->csum || e4r_xattr_block_csum(v->blk, bs, v->fs_seed, blk) == 1);
    if (!ok) {
        const husk_jbd2_copy *c;
        size_t n = husk_jbd2_copies(v->j, blk, &c);
        for (size_t i = n; i-- > 0 && !ok;)
            ok = c[i].csum != 0 && husk_jbd2_read_copy(v->j, &c[i], v->blk, NULL) == 0 &&
                 e4r_le32(v->blk) == 0xEA020000u;
    }
    if (!ok)
        return 0; /* reused since: nothing trustworthy to report */
    int r = ext4_xattrs_block(v->blk, bs, cb, ctx, err);
    return r < 0 ? r : 0;
}

static int view_list_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    if (!o) {
        if (ino >= HUSK_REC_SYNTHETIC_BASE)
            return no_object(err, ino);
        return husk_fs_list_xattrs(v->live, ino, cb, ctx, err);
    }
    if (!o->has_raw)
        return 0;
    uint8_t *raw;
    int rr = e4v_obj_raw_dup(v, o, v->isize, &raw, err); /* and room for the current record */
    if (rr < 0)
        return rr;
    uint8_t *cur = raw + v->isize;
    /* in-inode xattrs survive deletion in the record itself (recovery.md 1.2): take the
     * copy's, or the deleted record's when the copy has none */
    const uint8_t *area = raw;
    size_t h = 128 + (v->isize > 128 ? e4r_le16(raw + 0x80) : 0);
    if (o->has_cur && (h + 4 > v->isize || e4r_le32(raw + h) != 0xEA020000u) &&
        e4v_obj_cur(v, o, cur) == 0)
        area = cur;
    int r = ext4_xattrs_inode(area, v->isize, cb, ctx, err);
    uint64_t acl = ext4_inode_file_acl(raw, v->isize);
    free(raw);
    if (r != 0)
        return r < 0 ? r : 0;
    if (acl == 0 || o->src != E4V_SRC_JOURNAL || acl >= v->sb.blocks_count)
        return 0;
    return xattr_block(v, acl, cb, ctx, err);
}

static int view_provenance(husk_fs *fs, uint64_t ino, husk_prov *p, char *how, size_t hown)
{
    e4v_view *v = fs->priv;
    const e4v_obj *o = e4v_obj_of(v, ino);
    return o ? husk_rec_prov_fill(p, o->from, o->conf, o->how, how, hown)
             : husk_rec_prov_fill(p, NULL, 1.0, NULL, how, hown);
}

static void view_close(husk_fs *fs)
{
    if (!fs)
        return;
    e4v_view *v = fs->priv;
    if (v) {
        e4v_release(v);
        free(v);
    }
    free(fs);
}

static const husk_fs_ops view_ops = {
    view_stat,        view_list_dir, view_read,       view_readlink,
    view_list_xattrs, view_close,    view_provenance,
};

int husk_ext4_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err)
{
    if (!live || !view || !husk_fs_is_ext4(live))
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    *view = NULL;
    husk_fs *fs = calloc(1, sizeof *fs);
    e4v_view *v = calloc(1, sizeof *v);
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
    int rc = e4v_build_objects(v, err);
    if (rc == 0)
        rc = e4v_build_names(v, err);
    if (rc == 0 && v->nobj == 0)
        rc = husk_err_set(err, HUSK_E_NOTFOUND,
                          "nothing deleted is recoverable on this file system (%llu journal "
                          "copies of inode-table blocks read, %llu overwritten or uncommitted; "
                          "%llu directory blocks read, %llu of them another's)",
                          (unsigned long long)v->copies_read, (unsigned long long)v->copies_bad,
                          (unsigned long long)v->dir_blocks_parsed,
                          (unsigned long long)v->dir_blocks_foreign);
    if (rc != 0) {
        view_close(fs);
        return rc;
    }
    *view = fs;
    return 0;
}
