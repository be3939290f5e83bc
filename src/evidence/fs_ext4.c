/*
 * ext2/3/4 back end of the file-system interface (include/husk/vfs.h).
 *
 * libtsk 4.11 opens the file system and gives directory listings, data runs (extents,
 * indirect blocks, inline data) and symlink targets. What it lacks is read from the raw inode
 * by ext4_raw.c: extended attributes (overlay opaque markers), device numbers (overlay
 * whiteouts), epoch bits of timestamps and the generation number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "ext4_raw.h"
#include "husk/ext4.h"
#include "husk/vfs.h"

typedef struct ext4_priv {
    TSK_FS_INFO *tfs;
    ext4_sb sb;
    /* one-entry cache: callers stat, then read a file in chunks */
    TSK_FS_FILE *file;
    uint64_t file_ino;
    uint8_t *iraw;        /* scratch for one raw inode */
    uint8_t *blk;         /* scratch for one block */
    TSK_FS_FILE *journal; /* the journal inode, opened on first use (husk_ext4_journal_read) */
} ext4_priv;

static int tsk_fail(husk_err *err, int code, const char *what)
{
    const char *m = tsk_error_get();
    int r = husk_err_set(err, code, "%s: %s", what, m ? m : "libtsk error");
    tsk_error_reset();
    return r;
}

static int get_file(husk_fs *fs, uint64_t ino, TSK_FS_FILE **out, husk_err *err)
{
    ext4_priv *p = fs->priv;
    if (p->file && p->file_ino == ino) {
        *out = p->file;
        return 0;
    }
    if (ino < p->tfs->first_inum || ino > p->tfs->last_inum)
        return husk_err_set(err, HUSK_E_NOTFOUND, "inode %llu out of range",
                            (unsigned long long)ino);
    TSK_FS_FILE *f = tsk_fs_file_open_meta(p->tfs, NULL, (TSK_INUM_T)ino);
    if (!f || !f->meta) {
        if (f)
            tsk_fs_file_close(f);
        return tsk_fail(err, HUSK_E_FORMAT, "cannot open inode");
    }
    if (p->file)
        tsk_fs_file_close(p->file);
    p->file = f;
    p->file_ino = ino;
    *out = f;
    return 0;
}

/* Reads the raw inode record of ino into p->iraw. */
static int read_raw_inode(ext4_priv *p, uint64_t ino, husk_err *err)
{
    if (ino == 0 || ino > p->sb.inodes_count)
        return husk_err_set(err, HUSK_E_NOTFOUND, "inode %llu out of range",
                            (unsigned long long)ino);
    uint64_t g = (ino - 1) / p->sb.inodes_per_group;
    uint64_t idx = (ino - 1) % p->sb.inodes_per_group;
    uint64_t gdoff;
    int r = ext4_gd_offset(&p->sb, g, &gdoff, err);
    if (r < 0)
        return r;
    uint8_t gd[1024];
    if (tsk_fs_read(p->tfs, (TSK_OFF_T)gdoff, (char *)gd, p->sb.desc_size) !=
        (ssize_t)p->sb.desc_size)
        return tsk_fail(err, HUSK_E_IO, "cannot read group descriptor");
    uint64_t itable = ext4_gd_inode_table(&p->sb, gd);
    uint64_t off = itable * p->sb.block_size + idx * p->sb.inode_size;
    if (itable == 0 || itable >= p->sb.blocks_count)
        return husk_err_set(err, HUSK_E_FORMAT, "group %llu has an invalid inode table",
                            (unsigned long long)g);
    if (tsk_fs_read(p->tfs, (TSK_OFF_T)off, (char *)p->iraw, p->sb.inode_size) !=
        (ssize_t)p->sb.inode_size)
        return tsk_fail(err, HUSK_E_IO, "cannot read inode table");
    return 0;
}

static int ext4_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    ext4_priv *p = fs->priv;
    int r = read_raw_inode(p, ino, err);
    if (r < 0)
        return r;
    r = ext4_inode_decode(p->iraw, p->sb.inode_size, st, err);
    if (r < 0)
        return r;
    st->inode = ino;
    TSK_FS_FILE *f;
    if (get_file(fs, ino, &f, NULL) == 0)
        st->allocated = (f->meta->flags & TSK_FS_META_FLAG_ALLOC) ? 1 : 0;
    else
        st->allocated = st->nlink > 0 && ext4_inode_dtime(p->iraw, p->sb.inode_size) == 0;
    return 0;
}

static husk_ftype name_type(TSK_FS_NAME_TYPE_ENUM t)
{
    switch (t) {
    case TSK_FS_NAME_TYPE_REG: return HUSK_FT_FILE;
    case TSK_FS_NAME_TYPE_DIR: return HUSK_FT_DIR;
    case TSK_FS_NAME_TYPE_LNK: return HUSK_FT_SYMLINK;
    case TSK_FS_NAME_TYPE_CHR: return HUSK_FT_CHAR;
    case TSK_FS_NAME_TYPE_BLK: return HUSK_FT_BLOCK;
    case TSK_FS_NAME_TYPE_FIFO: return HUSK_FT_FIFO;
    case TSK_FS_NAME_TYPE_SOCK: return HUSK_FT_SOCKET;
    default: return HUSK_FT_UNKNOWN;
    }
}

static int ext4_list_dir(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    ext4_priv *p = fs->priv;
    if (ino < p->tfs->first_inum || ino > p->tfs->last_inum)
        return husk_err_set(err, HUSK_E_NOTFOUND, "directory inode %llu out of range",
                            (unsigned long long)ino);
    TSK_FS_DIR *d = tsk_fs_dir_open_meta(p->tfs, (TSK_INUM_T)ino);
    if (!d)
        return tsk_fail(err, HUSK_E_FORMAT, "cannot open directory");
    int r = 0;
    size_t n = tsk_fs_dir_getsize(d);
    for (size_t i = 0; i < n && r == 0; i++) {
        const TSK_FS_NAME *nm = tsk_fs_dir_get_name(d, i);
        if (!nm || !nm->name || !(nm->flags & TSK_FS_NAME_FLAG_ALLOC))
            continue; /* deleted names are the recovery layer's business */
        if (strcmp(nm->name, ".") == 0 || strcmp(nm->name, "..") == 0)
            continue;
        if (nm->meta_addr == TSK_FS_ORPHANDIR_INUM(p->tfs))
            continue; /* libtsk's virtual $OrphanFiles directory */
        husk_dirent de = {nm->name, strlen(nm->name), nm->meta_addr, name_type(nm->type)};
        r = cb(&de, ctx);
    }
    tsk_fs_dir_close(d);
    return r < 0 ? r : 0;
}

static ssize_t ext4_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                         husk_err *err)
{
    TSK_FS_FILE *f;
    int r = get_file(fs, ino, &f, err);
    if (r < 0)
        return r;
    uint64_t size = (uint64_t)f->meta->size;
    if (off >= size || len == 0)
        return 0;
    if (len > size - off)
        len = (size_t)(size - off);
    ssize_t n = tsk_fs_file_read(f, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
    if (n < 0)
        return tsk_fail(err, HUSK_E_IO, "cannot read file data");
    return n;
}

static ssize_t ext4_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize,
                             husk_err *err)
{
    TSK_FS_FILE *f;
    int r = get_file(fs, ino, &f, err);
    if (r < 0)
        return r;
    if (f->meta->type != TSK_FS_META_TYPE_LNK)
        return husk_err_set(err, HUSK_E_ARG, "inode %llu is not a symbolic link",
                            (unsigned long long)ino);
    /* libtsk fills meta->link only for fast symlinks (target in the inode, under 60 bytes);
     * a longer target, such as every overlay2/l/ link, is the file's data block. */
    if (f->meta->link && f->meta->link[0]) {
        const char *t = f->meta->link;
        size_t tl = strlen(t);
        if (bufsize) {
            size_t c = tl < bufsize - 1 ? tl : bufsize - 1;
            memcpy(buf, t, c);
            buf[c] = '\0';
        }
        return (ssize_t)tl;
    }
    uint64_t size = (uint64_t)f->meta->size;
    if (size > 65536) /* PATH_MAX is 4096; anything far larger is not a target */
        return husk_err_set(err, HUSK_E_FORMAT, "symlink %llu claims a %llu-byte target",
                            (unsigned long long)ino, (unsigned long long)size);
    char tmp[65537];
    size_t got = 0;
    while (got < size) {
        ssize_t n = tsk_fs_file_read(f, (TSK_OFF_T)got, tmp + got, (size_t)size - got,
                                     TSK_FS_FILE_READ_FLAG_NONE);
        if (n <= 0)
            return tsk_fail(err, HUSK_E_IO, "cannot read symlink target");
        got += (size_t)n;
    }
    tmp[got] = '\0';
    size_t tl = strlen(tmp); /* a target never holds NUL */
    if (bufsize) {
        size_t c = tl < bufsize - 1 ? tl : bufsize - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return (ssize_t)tl;
}

static int ext4_list_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx,
                            husk_err *err)
{
    ext4_priv *p = fs->priv;
    int r = read_raw_inode(p, ino, err);
    if (r < 0)
        return r;
    r = ext4_xattrs_inode(p->iraw, p->sb.inode_size, cb, ctx, err);
    if (r != 0)
        return r < 0 ? r : 0;
    uint64_t acl = ext4_inode_file_acl(p->iraw, p->sb.inode_size);
    if (acl == 0)
        return 0;
    if (acl >= p->sb.blocks_count)
        return husk_err_set(err, HUSK_E_FORMAT, "xattr block %llu past the end",
                            (unsigned long long)acl);
    if (tsk_fs_read(p->tfs, (TSK_OFF_T)(acl * p->sb.block_size), (char *)p->blk,
                    p->sb.block_size) != (ssize_t)p->sb.block_size)
        return tsk_fail(err, HUSK_E_IO, "cannot read xattr block");
    r = ext4_xattrs_block(p->blk, p->sb.block_size, cb, ctx, err);
    return r < 0 ? r : 0;
}

static void ext4_close(husk_fs *fs)
{
    ext4_priv *p = fs->priv;
    if (p) {
        if (p->file)
            tsk_fs_file_close(p->file);
        if (p->journal)
            tsk_fs_file_close(p->journal);
        if (p->tfs)
            tsk_fs_close(p->tfs);
        free(p->iraw);
        free(p->blk);
        free(p);
    }
    free(fs);
}

static const husk_fs_ops ext4_ops = {
    ext4_stat, ext4_list_dir, ext4_read, ext4_readlink, ext4_list_xattrs, ext4_close,
};

static void format_uuid(const uint8_t u[16], char *out, size_t n)
{
    snprintf(out, n,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
}

int husk_ext4_open(TSK_IMG_INFO *img, uint64_t off, husk_fs **out, husk_err *err)
{
    uint8_t sbuf[EXT4_SB_SIZE];
    *out = NULL;
    if (off + EXT4_SB_OFFSET + EXT4_SB_SIZE > (uint64_t)img->size ||
        tsk_img_read(img, (TSK_OFF_T)(off + EXT4_SB_OFFSET), (char *)sbuf, sizeof sbuf) !=
            (ssize_t)sizeof sbuf)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no ext superblock at offset %llu",
                            (unsigned long long)off);
    ext4_sb sb;
    int r = ext4_sb_parse(sbuf, sizeof sbuf, &sb, err);
    if (r < 0)
        return r;
    TSK_FS_INFO *tfs = tsk_fs_open_img(img, (TSK_OFF_T)off, TSK_FS_TYPE_EXT_DETECT);
    if (!tfs)
        return tsk_fail(err, HUSK_E_FORMAT, "ext superblock found but libtsk cannot open it");
    husk_fs *fs = calloc(1, sizeof *fs);
    ext4_priv *p = calloc(1, sizeof *p);
    if (!fs || !p || !(p->iraw = malloc(sb.inode_size)) || !(p->blk = malloc(sb.block_size))) {
        if (p) {
            free(p->iraw);
            free(p);
        }
        free(fs);
        tsk_fs_close(tfs);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    p->tfs = tfs;
    p->sb = sb;
    fs->ops = &ext4_ops;
    fs->cache_lookups = 1; /* read-only evidence: path lookups may be cached (vfs.c) */
    fs->priv = p;
    const char *tn = tfs->ftype == TSK_FS_TYPE_EXT4   ? "ext4"
                     : tfs->ftype == TSK_FS_TYPE_EXT3 ? "ext3"
                                                      : "ext2";
    snprintf(fs->fstype, sizeof fs->fstype, "%s", tn);
    snprintf(fs->label, sizeof fs->label, "%s", sb.label);
    format_uuid(sb.uuid, fs->uuid, sizeof fs->uuid);
    fs->block_size = sb.block_size;
    fs->offset = off;
    fs->size = sb.blocks_count * sb.block_size;
    fs->root_inode = tfs->root_inum;
    *out = fs;
    return 0;
}

/* ---- ext4 specifics for the journal code (include/husk/ext4.h) ------------------------- */

int husk_fs_is_ext4(const husk_fs *fs)
{
    return fs && fs->ops == &ext4_ops;
}

/* Opens the journal inode once. libtsk maps its blocks like any file's. */
static int journal_file(ext4_priv *p, TSK_FS_FILE **out, husk_err *err)
{
    if (!p->journal) {
        uint32_t ino = p->sb.journal_inum;
        if (ino == 0 || ino > p->tfs->last_inum)
            return husk_err_set(err, HUSK_E_NOTFOUND, "no internal journal (inode %u)", ino);
        TSK_FS_FILE *f = tsk_fs_file_open_meta(p->tfs, NULL, (TSK_INUM_T)ino);
        if (!f || !f->meta) {
            if (f)
                tsk_fs_file_close(f);
            return tsk_fail(err, HUSK_E_FORMAT, "cannot open the journal inode");
        }
        p->journal = f;
    }
    *out = p->journal;
    return 0;
}

int husk_ext4_get_info(husk_fs *fs, husk_ext4_info *info, husk_err *err)
{
    memset(info, 0, sizeof *info);
    if (!husk_fs_is_ext4(fs))
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    ext4_priv *p = fs->priv;
    /* s_journal_uuid is not in ext4_sb: read the superblock again rather than widen it */
    uint8_t sb[EXT4_SB_SIZE];
    if (tsk_fs_read(p->tfs, EXT4_SB_OFFSET, (char *)sb, sizeof sb) != (ssize_t)sizeof sb)
        return tsk_fail(err, HUSK_E_IO, "cannot read the ext superblock");
    info->block_size = p->sb.block_size;
    info->blocks_count = p->sb.blocks_count;
    info->inode_size = p->sb.inode_size;
    info->feature_compat = p->sb.feature_compat;
    info->feature_incompat = p->sb.feature_incompat;
    info->feature_ro_compat = p->sb.feature_ro_compat;
    info->has_journal = (p->sb.feature_compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) != 0;
    info->needs_recovery = (p->sb.feature_incompat & EXT4_FEATURE_INCOMPAT_RECOVER) != 0;
    info->journal_inum = p->sb.journal_inum;
    memcpy(info->journal_uuid, sb + 0xD0, 16);
    if (info->has_journal && info->journal_inum) {
        TSK_FS_FILE *f = NULL;
        int r = journal_file(p, &f, err);
        if (r < 0)
            return r;
        info->journal_size = (uint64_t)f->meta->size;
    }
    return 0;
}

int husk_ext4_journal_read(void *vfs, uint64_t off, void *buf, size_t len, husk_err *err)
{
    husk_fs *fs = vfs;
    if (!husk_fs_is_ext4(fs))
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    ext4_priv *p = fs->priv;
    TSK_FS_FILE *f;
    int r = journal_file(p, &f, err);
    if (r < 0)
        return r;
    if (off > (uint64_t)f->meta->size || len > (uint64_t)f->meta->size - off)
        return husk_err_set(err, HUSK_E_FORMAT, "journal read at %llu past its end",
                            (unsigned long long)off);
    ssize_t n = tsk_fs_file_read(f, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
    if (n != (ssize_t)len)
        return tsk_fail(err, HUSK_E_IO, "cannot read the journal");
    return 0;
}

int husk_ext4_raw_inode(husk_fs *fs, uint64_t ino, uint8_t *buf, size_t bufsize, size_t *isize,
                        husk_err *err)
{
    if (!husk_fs_is_ext4(fs))
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    ext4_priv *p = fs->priv;
    int r = read_raw_inode(p, ino, err);
    if (r < 0)
        return r;
    size_t n = p->sb.inode_size < bufsize ? p->sb.inode_size : bufsize;
    memcpy(buf, p->iraw, n);
    *isize = p->sb.inode_size;
    return 0;
}

int husk_ext4_inode_runs(husk_fs *fs, uint64_t ino, husk_ext4_run_cb cb, void *ctx, husk_err *err)
{
    if (!husk_fs_is_ext4(fs))
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    TSK_FS_FILE *f;
    int r = get_file(fs, ino, &f, err);
    if (r < 0)
        return r;
    int nattr = tsk_fs_file_attr_getsize(f);
    for (int i = 0; i < nattr; i++) {
        const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);
        if (!a || !(a->flags & TSK_FS_ATTR_NONRES))
            continue;
        /* libtsk builds run lists from the inode; a damaged one may loop, so bound the walk */
        size_t runs = 0;
        for (const TSK_FS_ATTR_RUN *run = a->nrd.run; run; run = run->next) {
            if (++runs > 1000000)
                return husk_err_set(err, HUSK_E_LIMIT, "inode %llu has too many runs",
                                    (unsigned long long)ino);
            if (run->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER))
                continue;
            int c = cb((uint64_t)run->addr, (uint64_t)run->len, ctx);
            if (c != 0)
                return c < 0 ? c : 0;
        }
    }
    return 0;
}

struct TSK_IMG_INFO *husk_ext4_image(husk_fs *fs)
{
    if (!husk_fs_is_ext4(fs))
        return NULL;
    ext4_priv *p = fs->priv;
    return p->tfs->img_info;
}
