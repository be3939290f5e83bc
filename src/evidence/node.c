/* Opening a node's evidence down to its data roots (include/husk/node.h). */
#include "husk/node.h"

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
        if (husk_find_data_roots(fs, &nf->roots, diag, &e) < 0)
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
        husk_fs_close(n->fss[i].fs);
    }
    free(n->fss);
    husk_volumes_free(&n->vols);
    husk_image_close(n->image);
    free(n);
}
