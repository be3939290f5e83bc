/*
 * A bounded walk over a husk_fs for the file-system fuzz targets: lists directories from the
 * root (depth and entry budgets), stats every entry, reads the head of files, symlink targets
 * and extended attributes, asks each object's provenance, and resolves the paths the Docker
 * readers look up.
 */
#ifndef HUSK_FUZZ_WALKFS_H
#define HUSK_FUZZ_WALKFS_H

#include <string.h>

#include "husk/vfs.h"

typedef struct fz_walk {
    husk_fs *fs;
    size_t budget;
    size_t sum;
    int depth;
    uint64_t kids[64];
    size_t nkids;
} fz_walk;

static int fz_on_xattr(const char *name, const uint8_t *value, size_t value_len, void *ctx)
{
    fz_walk *w = ctx;
    w->sum += strlen(name) + value_len + (value_len ? value[value_len - 1] : 0);
    return 0;
}

static void fz_visit(fz_walk *w, uint64_t ino, int depth);

static int fz_on_dirent(const husk_dirent *d, void *ctx)
{
    fz_walk *w = ctx;
    if (w->budget == 0)
        return 1;
    w->budget--;
    w->sum += d->name_len + d->inode + d->type + d->deleted +
              (d->name_len ? (uint8_t)d->name[d->name_len - 1] : 0);
    if (w->nkids < sizeof w->kids / sizeof *w->kids)
        w->kids[w->nkids++] = d->inode;
    return 0;
}

static void fz_visit(fz_walk *w, uint64_t ino, int depth)
{
    husk_err err = {0};
    husk_stat st;
    if (husk_fs_stat(w->fs, ino, &st, &err) < 0)
        return;
    w->sum += st.size + st.mode + (size_t)st.mtime.sec;
    husk_prov p;
    char how[256];
    if (husk_fs_provenance(w->fs, ino, &p, how, sizeof how) == 0)
        w->sum += strlen(p.recovered_from) + strlen(how);
    husk_fs_list_xattrs(w->fs, ino, fz_on_xattr, w, &err);
    if (st.type == HUSK_FT_FILE) {
        static uint8_t buf[65536];
        ssize_t n = husk_fs_read(w->fs, ino, 0, buf, sizeof buf, &err);
        if (n > 0)
            w->sum += buf[n - 1];
        n = husk_fs_read(w->fs, ino, st.size > 100 ? st.size - 100 : 0, buf, 4096, &err);
        if (n > 0)
            w->sum += buf[0];
    } else if (st.type == HUSK_FT_SYMLINK) {
        char t[1100];
        if (husk_fs_readlink(w->fs, ino, t, sizeof t, &err) >= 0)
            w->sum += strlen(t);
    } else if (st.type == HUSK_FT_DIR && depth < 8 && w->budget > 0) {
        fz_walk sub = *w;
        sub.nkids = 0;
        husk_fs_list_dir(w->fs, ino, fz_on_dirent, &sub, &err);
        w->budget = sub.budget;
        w->sum = sub.sum;
        for (size_t i = 0; i < sub.nkids && w->budget > 0; i++) {
            if (sub.kids[i] == ino)
                continue;
            fz_visit(w, sub.kids[i], depth + 1);
        }
        w->sum += husk_fs_is_opaque(w->fs, ino, &err);
    }
}

static inline size_t fz_walk_fs(husk_fs *fs, size_t budget)
{
    fz_walk w = {fs, budget, 0, 0, {0}, 0};
    fz_visit(&w, fs->root_inode, 0);
    static const char *const paths[] = {"/var/lib/docker/containers", "/var/lib/docker/image",
                                        "/docker/volumes/metadata.db", "/a/../b/./c"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        uint64_t ino;
        husk_err err = {0};
        if (husk_fs_lookup(fs, paths[i], HUSK_LOOKUP_FOLLOW, &ino, &err) == 0)
            w.sum += ino;
    }
    return w.sum;
}

#endif
