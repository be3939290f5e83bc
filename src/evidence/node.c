/* Opening a node's evidence down to its data roots (include/husk/node.h). */
#include "husk/node.h"
#include "husk/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    TSK_IMG_INFO *img = nf->sbfix ? nf->sbfix : v->img;
    int r = husk_replay_open(nf->fs, img, v->img_offset, !o->no_replay, &rp, nf->journal, diag,
                             err);
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

#define MAX_FSTAB (1u << 20)

/* 1 when an fstab source names this file system: UUID=, LABEL=, /dev/disk/by-uuid|by-label/,
 * or an LVM device (/dev/VG/LV, /dev/mapper/VG-LV) matching the volume's VG/LV. */
static int fstab_source_matches(const char *src, const husk_node_fs *nf, const husk_volume *v)
{
    const husk_fs *fs = nf->fs;
    const char *val = NULL;
    int by_uuid = 0;
    if (strncasecmp(src, "UUID=", 5) == 0)
        val = src + 5, by_uuid = 1;
    else if (strncmp(src, "/dev/disk/by-uuid/", 18) == 0)
        val = src + 18, by_uuid = 1;
    else if (strncasecmp(src, "LABEL=", 6) == 0)
        val = src + 6;
    else if (strncmp(src, "/dev/disk/by-label/", 19) == 0)
        val = src + 19;
    if (val) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", val);
        size_t n = strlen(buf);
        if (n >= 2 && buf[0] == '"' && buf[n - 1] == '"') {
            memmove(buf, buf + 1, n - 2);
            buf[n - 2] = '\0';
        }
        return by_uuid ? fs->uuid[0] && strcasecmp(buf, fs->uuid) == 0
                       : fs->label[0] && strcmp(buf, fs->label) == 0;
    }
    /* LVM: the volume description is "LVM logical volume VG/LV (...)" */
    const char *lv = strstr(v->description, "LVM logical volume ");
    if (!lv || strcmp(v->kind, "lvm") != 0)
        return 0;
    char vg[128], name[128], a[300], b[300];
    if (sscanf(lv + 19, "%127[^/]/%127[^ ]", vg, name) != 2)
        return 0;
    snprintf(a, sizeof a, "/dev/%s/%s", vg, name);
    snprintf(b, sizeof b, "/dev/mapper/%s-%s", vg, name);
    return strcmp(src, a) == 0 || strcmp(src, b) == 0;
}

/*
 * Where the node mounted each file system. The root file system is the one holding
 * /etc/fstab (or the only one); its fstab names the others by UUID, label or LVM path. This is
 * what lets an examiner read a file system that was the node's /var/lib/docker as such.
 */
static void find_mount_points(husk_node *n, husk_diag *diag)
{
    husk_node_fs *root = NULL;
    char *tab = NULL;
    size_t len = 0;
    for (size_t i = 0; i < n->nfs && !root; i++) {
        uint64_t ino;
        if (husk_fs_lookup(n->fss[i].fs, "/etc/fstab", HUSK_LOOKUP_FOLLOW, &ino, NULL) == 0 &&
            husk_fs_read_all(n->fss[i].fs, ino, MAX_FSTAB, &tab, &len, NULL) == 0)
            root = &n->fss[i];
    }
    if (!root) {
        if (n->nfs == 1 && husk_fs_lookup(n->fss[0].fs, "/etc", 0, &(uint64_t){0}, NULL) == 0)
            snprintf(n->fss[0].mount_point, sizeof n->fss[0].mount_point, "/");
        return;
    }
    snprintf(root->mount_point, sizeof root->mount_point, "/");
    char *save = NULL;
    for (char *line = strtok_r(tab, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char src[256], dst[256];
        if (line[0] == '#' || sscanf(line, "%255s %255s", src, dst) != 2 || dst[0] != '/')
            continue;
        for (size_t i = 0; i < n->nfs; i++) {
            husk_node_fs *nf = &n->fss[i];
            if (nf == root || nf->mount_point[0])
                continue;
            if (fstab_source_matches(src, nf, &n->vols.v[nf->volume]))
                snprintf(nf->mount_point, sizeof nf->mount_point, "%s", dst);
        }
    }
    (void)diag;
    free(tab);
}

/*
 * Volume v held no file system husk_fs_open recognised (its error in *e). An unformatted or
 * foreign volume is normal; a damaged known one is not, nor one whose primary superblock is
 * gone while its backups are there: reported, and the file system is then opened through its
 * backup superblock (*fix, an overlay image the caller closes after the fs). Returns 0 with
 * *fs set when a file system was opened after all, -1 otherwise.
 */
static int open_damaged(const husk_volume *v, const husk_open_opts *o, husk_diag *diag,
                        husk_fs **fs, TSK_IMG_INFO **fix, husk_err *e)
{
    char why[400];
    uint64_t at = 0;
    if (e->code != HUSK_E_NOTFOUND) {
        husk_diag_report(diag, "filesystems", v->description, (int64_t)v->offset, "%s", e->msg);
        return -1;
    }
    int k = husk_fs_probe_damaged(v->img, v->img_offset, v->length, why, sizeof why, &at);
    husk_err e2 = {0};
    if (k > 0 && husk_backup_sb_image(v->img, v->img_offset, k, at, fix, &e2) == 0) {
        if (husk_fs_open(*fix, v->img_offset, o->fstype, fs, &e2) == 0) {
            husk_diag_report(diag, "filesystems", v->description, (int64_t)(v->offset + at),
                             "%s; read through that backup superblock", why);
            return 0;
        }
        tsk_img_close(*fix);
        *fix = NULL;
    }
    if (k > 0)
        husk_diag_report(diag, "filesystems", v->description, (int64_t)(v->offset + at),
                         "%s; not read through it either%s%s", why, e2.code ? ": " : "",
                         e2.msg);
    else if (o->fstype)
        husk_diag_report(diag, "filesystems", v->description, (int64_t)v->offset, "%s", e->msg);
    return -1;
}

int husk_node_open(const char *path, const husk_open_opts *o, husk_node **out, husk_diag *diag,
                   husk_err *err)
{
    *out = NULL;
    husk_node *n = calloc(1, sizeof *n);
    if (!n)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = husk_image_open(path, o->image_type, &n->image, err);
    if (r == 0 && n->image->damage[0])
        husk_diag_report(diag, "evidence", n->image->segments[n->image->damage_segment],
                         n->image->damage_offset, "%s", n->image->damage);
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
        TSK_IMG_INFO *fix = NULL;
        if (husk_fs_open(v->img, v->img_offset, o->fstype, &fs, &e) < 0 &&
            open_damaged(v, o, diag, &fs, &fix, &e) < 0)
            continue;
        if (add_fs(n, fs, i) < 0) {
            husk_fs_close(fs);
            if (fix)
                tsk_img_close(fix);
            husk_node_close(n);
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        }
        husk_node_fs *nf = &n->fss[n->nfs - 1];
        nf->sbfix = fix;
        if (fs->size > v->length)
            husk_diag_report(diag, "filesystems", v->description,
                             (int64_t)(v->offset + v->length),
                             "the %s file system is %llu bytes but its volume holds only %llu "
                             "(image truncated?): what lies past this offset is missing",
                             fs->fstype, (unsigned long long)fs->size,
                             (unsigned long long)v->length);
        if (open_replayed(nf, v, o, diag, err) < 0) {
            husk_node_close(n);
            return -HUSK_E_NOMEM;
        }
        if (husk_find_data_roots(nf->fs, &nf->roots, diag, &e) < 0)
            husk_diag_report(diag, "data-roots", v->description, (int64_t)v->offset, "%s",
                             e.msg);
    }
    find_mount_points(n, diag);
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
        if (n->fss[i].sbfix)
            tsk_img_close(n->fss[i].sbfix);
    }
    free(n->fss);
    husk_volumes_free(&n->vols);
    husk_image_close(n->image);
    free(n);
}
