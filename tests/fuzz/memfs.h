/*
 * A small in-memory husk_fs for the fuzz targets whose parsers read through the VFS (the
 * Docker image store, the volume store): a fixed tree of directories and files whose contents
 * are parts of the fuzz input. Inode numbers are node indexes + 1; the root is inode 1.
 */
#ifndef HUSK_FUZZ_MEMFS_H
#define HUSK_FUZZ_MEMFS_H

#include <string.h>

#include "husk/vfs.h"

#define FZ_MEMFS_MAX 48

typedef struct fz_node {
    const char *name;
    int parent; /* node index, -1 for the root */
    husk_ftype type;
    const uint8_t *data;
    size_t len;
} fz_node;

typedef struct fz_memfs {
    husk_fs fs;
    fz_node n[FZ_MEMFS_MAX];
    int count;
} fz_memfs;

static const fz_node *fz_node_of(husk_fs *fs, uint64_t ino, husk_err *err)
{
    fz_memfs *m = fs->priv;
    if (ino == 0 || ino > (uint64_t)m->count) {
        husk_err_set(err, HUSK_E_NOTFOUND, "no inode %llu", (unsigned long long)ino);
        return NULL;
    }
    return &m->n[ino - 1];
}

static int fz_mstat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    const fz_node *n = fz_node_of(fs, ino, err);
    if (!n)
        return -HUSK_E_NOTFOUND;
    memset(st, 0, sizeof *st);
    st->inode = ino;
    st->type = n->type;
    st->mode = n->type == HUSK_FT_DIR ? 040755 : 0100644;
    st->size = n->len;
    st->nlink = 1;
    st->allocated = 1;
    return 0;
}

static int fz_mlist(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    fz_memfs *m = fs->priv;
    const fz_node *d = fz_node_of(fs, ino, err);
    if (!d)
        return -HUSK_E_NOTFOUND;
    if (d->type != HUSK_FT_DIR)
        return husk_err_set(err, HUSK_E_ARG, "not a directory");
    for (int i = 0; i < m->count; i++) {
        if (m->n[i].parent != (int)ino - 1)
            continue;
        husk_dirent de = {m->n[i].name, strlen(m->n[i].name), (uint64_t)i + 1, m->n[i].type, 0};
        int rc = cb(&de, ctx);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    return 0;
}

static ssize_t fz_mread(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                        husk_err *err)
{
    const fz_node *n = fz_node_of(fs, ino, err);
    if (!n)
        return -HUSK_E_NOTFOUND;
    if (off >= n->len)
        return 0;
    if (len > n->len - off)
        len = (size_t)(n->len - off);
    memcpy(buf, n->data + off, len);
    return (ssize_t)len;
}

static ssize_t fz_mreadlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err)
{
    return husk_err_set(err, HUSK_E_ARG, "no symlinks here");
}

static int fz_mxattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    return 0;
}

static void fz_mclose(husk_fs *fs)
{
    (void)fs;
}

static const husk_fs_ops fz_memfs_ops = {fz_mstat, fz_mlist, fz_mread, fz_mreadlink,
                                         fz_mxattrs, fz_mclose, NULL};

static inline void fz_memfs_init(fz_memfs *m)
{
    memset(m, 0, sizeof *m);
    m->fs.ops = &fz_memfs_ops;
    m->fs.priv = m;
    strcpy(m->fs.fstype, "ext4");
    m->fs.block_size = 4096;
    m->fs.root_inode = 1;
    m->n[0] = (fz_node){"", -1, HUSK_FT_DIR, NULL, 0};
    m->count = 1;
}

/* Adds a node below node index parent; returns its index (or -1 when full). */
static inline int fz_memfs_add(fz_memfs *m, int parent, const char *name, husk_ftype type,
                               const uint8_t *data, size_t len)
{
    if (m->count == FZ_MEMFS_MAX)
        return -1;
    m->n[m->count] = (fz_node){name, parent, type, data, len};
    return m->count++;
}

/* Adds the directories of path ("a/b/c") below parent; returns the last one's index. */
static inline int fz_memfs_mkdirs(fz_memfs *m, int parent, char *path)
{
    for (char *s = strtok(path, "/"); s && parent >= 0; s = strtok(NULL, "/"))
        parent = fz_memfs_add(m, parent, s, HUSK_FT_DIR, NULL, 0);
    return parent;
}

#endif
