/* Opening a node's evidence down to its data roots (include/husk/node.h). */
#include "husk/node.h"
#include "husk/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_fs(husk_node *n, husk_fs *fs, size_t vol)
{
    husk_node_fs *p = realloc(n->fss, (n->nfs + 1) * sizeof *p);
    if (!p)
        return -HUSK_E_NOMEM;
    n->fss = p;
    memset(&n->fss[n->nfs], 0, sizeof n->fss[n->nfs]);
    n->fss[n->nfs].fs = fs;
    n->fss[n->nfs].volume = vol;
    n->nfs++;
    return 0;
}

/*
 * Records the journal state of nf's file system and, when its ext journal holds committed
 * transactions that were never written home (a crash-consistent copy) and replay is on,
 * swaps in the replayed view and keeps the original as nf->home. Only running out of memory
 * is an error; a journal that cannot be replayed leaves the home view in place, reported.
 */
static int open_replayed(husk_node_fs *nf, const husk_volume *v, const husk_open_opts *o,
                         husk_diag *diag, husk_err *err)
{
    husk_replay *rp = NULL;
    int r =
        husk_replay_open(nf->fs, v->img, v->img_offset, !o->no_replay, &rp, nf->journal, diag, err);
    if (r < 0 || !rp)
        return r;
    husk_fs *rfs = NULL;
    husk_err e = {0};
    if (husk_fs_open(husk_replay_image(rp), v->img_offset, nf->fs->fstype, &rfs, &e) < 0) {
        husk_diag_report(diag, "journal", v->description, (int64_t)v->offset,
                         "the replayed file system cannot be opened (%s); using the home "
                         "blocks",
                         e.msg);
        husk_replay_close(rp);
        snprintf(nf->journal, sizeof nf->journal, "needs-recovery (replay unusable)");
        return 0;
    }
    nf->home = nf->fs;
    nf->fs = rfs;
    nf->replay = rp;
    return 0;
}

int husk_node_open(const char *path, const husk_open_opts *o, husk_node **out, husk_diag *diag,
                   husk_err *err)
{
    *out = NULL;
    husk_node *n = calloc(1, sizeof *n);
    if (!n)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = husk_image_open(path, o->image_type, &n->image, err);
    if (r == 0)
        r = husk_volumes_scan(n->image, o->sector_offset, &n->vols, diag, err);
    if (r < 0) {
        husk_node_close(n);
        return r;
    }
    for (size_t i = 0; i < n->vols.n; i++) {
        husk_volume *v = &n->vols.v[i];
        if (v->is_container)
            continue;
        husk_fs *fs = NULL;
        husk_err e = {0};
        if (husk_fs_open(v->img, v->img_offset, o->fstype, &fs, &e) < 0) {
            /* an unformatted or foreign volume is normal; a damaged known one is not */
            if (e.code != HUSK_E_NOTFOUND || o->fstype)
                husk_diag_report(diag, "filesystems", v->description, (int64_t)v->offset,
                                 "%s", e.msg);
            continue;
        }
        if (add_fs(n, fs, i) < 0) {
            husk_fs_close(fs);
            husk_node_close(n);
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        }
        husk_node_fs *nf = &n->fss[n->nfs - 1];
        if (open_replayed(nf, v, o, diag, err) < 0) {
            husk_node_close(n);
            return -HUSK_E_NOMEM;
        }
        if (husk_find_data_roots(nf->fs, &nf->roots, diag, &e) < 0)
            husk_diag_report(diag, "data-roots", v->description, (int64_t)v->offset, "%s",
                             e.msg);
    }
    *out = n;
    return 0;
}

void husk_node_close(husk_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nfs; i++) {
        husk_data_roots_free(&n->fss[i].roots);
        /* the replayed view reads through the overlay, which reads the journal through the
         * home view: close in that order */
        husk_fs_close(n->fss[i].fs);
        husk_replay_close(n->fss[i].replay);
        husk_fs_close(n->fss[i].home);
    }
    free(n->fss);
    husk_volumes_free(&n->vols);
    husk_image_close(n->image);
    free(n);
}
