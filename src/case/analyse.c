/* The analysis pipeline (include/husk/analyse.h). */
#include "husk/analyse.h"
#include "husk/docker.h"
#include "husk/findings.h"
#include "husk/phase.h"
#include "husk/recover.h"
#include "husk/containerd.h"
#include "husk/kubelet.h"
#include "husk/overlay2.h"
#include "carve_merge.h"
#include "replay_views.h"

#include <limits.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

static int record_evidence(husk_casedb *db, const char *path, const husk_node *n, husk_err *err)
{
    char abspath[PATH_MAX], buf[64];
    const husk_image *im = n->image;
    int r = husk_casedb_set_info(db, "evidence_path", realpath(path, abspath) ? abspath : path,
                                 err);
    if (r == 0)
        r = husk_casedb_set_info(db, "evidence_format", im->format, err);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)im->size);
    if (r == 0)
        r = husk_casedb_set_info(db, "evidence_size", buf, err);
    snprintf(buf, sizeof buf, "%d", im->nsegments);
    if (r == 0)
        r = husk_casedb_set_info(db, "evidence_segments", buf, err);
    snprintf(buf, sizeof buf, "%u", im->img->sector_size);
    if (r == 0)
        r = husk_casedb_set_info(db, "sector_size", buf, err);
    for (int i = 0; r == 0 && i < im->nsegments; i++) {
        struct stat st;
        int64_t size = stat(im->segments[i], &st) == 0 ? (int64_t)st.st_size : -1;
        const char *seg = realpath(im->segments[i], abspath) ? abspath : im->segments[i];
        r = husk_casedb_add_segment(db, i, seg, size, NULL, err);
    }
    if (strcmp(im->format, "ewf") == 0) {
        if (r == 0)
            r = husk_casedb_set_info(db, "ewf_stored_md5", im->ewf_md5[0] ? im->ewf_md5 : NULL,
                                     err);
        if (r == 0)
            r = husk_casedb_set_info(db, "ewf_stored_sha1",
                                     im->ewf_sha1[0] ? im->ewf_sha1 : NULL, err);
        for (int i = 0; r == 0 && i < im->nmeta; i++)
            r = husk_casedb_set_info(db, im->meta[i].key, im->meta[i].value, err);
    }
    return r;
}

/* --verify: one read of the media; for EWF the stored hashes must all match. */
static int verify_media(husk_casedb *db, husk_node *n, const husk_analyse_opts *o,
                        husk_diag *diag, husk_analyse_result *res, husk_err *err)
{
    const husk_image *im = n->image;
    husk_err e = {0};
    int r = husk_image_hash(n->image, &res->hashes, o->progress, o->progress_ctx, &e);
    if (r < 0) {
        /* an unreadable stretch of media is damage to record, not a reason to stop */
        husk_diag_report(diag, "verify", "evidence", -1, "cannot hash the media: %s", e.msg);
        res->ewf_verified = 0;
        return husk_casedb_set_info(db, "ewf_verified",
                                    strcmp(n->image->format, "ewf") == 0 ? "no" : NULL, err);
    }
    if ((r = husk_casedb_set_info(db, "evidence_md5", res->hashes.md5, err)) < 0 ||
        (r = husk_casedb_set_info(db, "evidence_sha1", res->hashes.sha1, err)) < 0 ||
        (r = husk_casedb_set_info(db, "evidence_sha256", res->hashes.sha256, err)) < 0)
        return r;
    if (strcmp(im->format, "ewf") != 0)
        return 0;
    int have = 0, ok = 1;
    if (im->ewf_md5[0]) {
        have = 1;
        ok &= strcmp(im->ewf_md5, res->hashes.md5) == 0;
    }
    if (im->ewf_sha1[0]) {
        have = 1;
        ok &= strcmp(im->ewf_sha1, res->hashes.sha1) == 0;
    }
    res->ewf_verified = have ? ok : -1;
    if (have && !ok)
        husk_diag_report(diag, "verify", "evidence", -1,
                         "media hashes (MD5 %s, SHA-1 %s) differ from those stored in the EWF "
                         "(MD5 %s, SHA-1 %s)",
                         res->hashes.md5, res->hashes.sha1, im->ewf_md5[0] ? im->ewf_md5 : "-",
                         im->ewf_sha1[0] ? im->ewf_sha1 : "-");
    return husk_casedb_set_info(db, "ewf_verified", have ? (ok ? "yes" : "no") : "not-checked",
                                err);
}

/* Writes volumes, file systems and data roots; root_ids[i][j] receives the data_roots.id of
 * n->fss[i].roots.v[j] and fs_ids[i] the filesystems.id of n->fss[i]. */
static int record_layout(husk_casedb *db, husk_node *n, int64_t *fs_ids, int64_t **root_ids,
                         husk_err *err)
{
    int64_t *vol_ids = calloc(n->vols.n + 1, sizeof *vol_ids);
    if (!vol_ids)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = 0;
    for (size_t i = 0; r == 0 && i < n->vols.n; i++) {
        const husk_volume *v = &n->vols.v[i];
        int64_t parent = v->parent >= 0 ? vol_ids[v->parent] : 0;
        r = husk_casedb_add_volume(db, v->kind, v->offset, v->length, v->description, parent,
                                   &vol_ids[i], err);
    }
    for (size_t i = 0; r == 0 && i < n->nfs; i++) {
        const husk_node_fs *nf = &n->fss[i];
        const husk_volume *v = &n->vols.v[nf->volume];
        r = husk_casedb_add_filesystem(db, vol_ids[nf->volume], v->offset, nf->fs->fstype,
                                       nf->fs->label, nf->fs->uuid, nf->fs->block_size,
                                       nf->fs->size, nf->fs->root_inode, &fs_ids[i], err);
        if (r == 0 && nf->journal[0])
            r = husk_casedb_set_fs_journal(db, fs_ids[i], nf->journal, err);
        for (size_t j = 0; r == 0 && j < nf->roots.n; j++) {
            const husk_data_root *d = &nf->roots.v[j];
            r = husk_casedb_add_data_root(db, fs_ids[i], d->path, d->runtime, d->driver, d->how,
                                          &root_ids[i][j], err);
        }
        if (r == 0 && nf->mount_point[0])
            r = husk_casedb_set_fs_mount(db, fs_ids[i], nf->mount_point, err);
    }
    free(vol_ids);
    return r;
}

/* The recovered view of file system i, built on first use and kept for the rest of the
 * analysis (Docker's and containerd's recovery share it); NULL when there is none. A file system
 * type without a recovered view is noted, not an error. */
typedef struct views {
    husk_fs **v;
    int *tried;
} views;

static husk_fs *view_of(views *vs, size_t i, husk_fs *live, const char *what, husk_diag *diag)
{
    if (vs->tried[i])
        return vs->v[i];
    vs->tried[i] = 1;
    husk_err e = {0};
    if (husk_recovered_view(live, diag, &vs->v[i], &e) < 0) {
        /* nothing to recover from, or no recovered view for this file-system type: normal */
        if (e.code != HUSK_E_NOTFOUND && e.code != HUSK_E_UNSUPPORTED)
            husk_diag_report(diag, "recovery", what, -1, "no recovered view: %s", e.msg);
        vs->v[i] = NULL;
    }
    return vs->v[i];
}

/*
 * Containers removed with docker rm: the same readers on a recovered view of the data root's
 * file system (deleted directories, names and files rebuilt from the journal, inode remnants
 * and freed blocks).
 */
static int recover_removed(const husk_docker_root *live, husk_fs *view, husk_diag *diag,
                           husk_casedb *db, husk_err *err)
{
    if (!view)
        return 0;
    husk_docker_root vr = *live;
    vr.fs = view;
    return husk_docker_removed(&vr, db, diag, err);
}

/* Per-phase times (phase_time.NAME, phase_cpu.NAME, seconds) and the peak RSS so far, in
 * their own transaction after the analysis committed: they describe the run, not the
 * evidence. */
static int record_phases(husk_casedb *db, husk_err *err)
{
    char key[64], val[32];
    const char *name;
    double wall, cpu;
    int r = husk_casedb_begin(db, err);
    for (size_t i = 0; r == 0 && husk_phase_get(i, &name, &wall, &cpu); i++) {
        snprintf(key, sizeof key, "phase_time.%s", name);
        snprintf(val, sizeof val, "%.3f", wall);
        r = husk_casedb_set_info(db, key, val, err);
        snprintf(key, sizeof key, "phase_cpu.%s", name);
        snprintf(val, sizeof val, "%.3f", cpu);
        if (r == 0)
            r = husk_casedb_set_info(db, key, val, err);
    }
    snprintf(val, sizeof val, "%ld", husk_peak_rss_kib());
    if (r == 0)
        r = husk_casedb_set_info(db, "peak_rss_kib", val, err);
    if (r == 0)
        r = husk_casedb_commit(db, err);
    return r;
}

/* Gives the pages of what a phase freed back to the system. The recovered views and the
 * carver free tens of MiB in many pieces; glibc keeps them mapped, and the next phase's
 * buffers (often of other sizes) landed beside them, so each phase's peak stacked on the
 * last one's. */
static void give_back(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Runs the runtime readers over every data root found. */
static int analyse_roots(husk_casedb *db, husk_node *n, const husk_analyse_opts *o,
                         const int64_t *fs_ids, int64_t *const *root_ids, views *vs,
                         husk_diag *diag, husk_err *err)
{
    husk_docker_opts dopts = {.hash_images = o->hash_images, .progress = &o->phases};
    int r = 0;
    for (size_t i = 0; r == 0 && i < n->nfs; i++) {
        for (size_t j = 0; r == 0 && j < n->fss[i].roots.n; j++) {
            const husk_data_root *d = &n->fss[i].roots.v[j];
            if (strcmp(d->runtime, "docker") != 0)
                continue;
            husk_docker_root dr = {.fs = n->fss[i].fs, .db_id = root_ids[i][j],
                                   .fs_db_id = fs_ids[i], .opts = &dopts};
            snprintf(dr.path, sizeof dr.path, "%s", d->path);
            /* the graph driver is the first one with an image store ("overlay2") */
            snprintf(dr.driver, sizeof dr.driver, "%.*s", (int)strcspn(d->driver, ","),
                     d->driver);
            husk_phase_mark m;
            husk_phase_start(&m);
            r = husk_docker_images(&dr, db, diag, err);
            husk_phase_stop(&m, "images");
            husk_phase_start(&m);
            if (r == 0)
                r = husk_docker_containers(&dr, db, diag, err);
            husk_phase_stop(&m, "containers");
            husk_phase_start(&m);
            if (r == 0)
                r = husk_docker_volumes(&dr, db, diag, err);
            husk_phase_stop(&m, "volumes");
            husk_phase_start(&m);
            if (r == 0 && !o->no_recover) {
                husk_progress_report(&o->phases, "recovery: rebuilding deleted files", 0, 0,
                                     HUSK_PROGRESS_ITEMS);
                r = recover_removed(&dr, view_of(vs, i, dr.fs, dr.path, diag), diag, db, err);
            }
            if (r == 0 && !o->no_recover)
                r = husk_ovl_orphans(&dr, db, diag, err);
            husk_phase_stop(&m, "recovery");
        }
    }
    return r;
}

/* containerd and kubelet roots, after every Docker root: Docker containers on the containerd image store
 * are written by the Docker reader and get their diff from containerd's snapshots. */
static int analyse_containerd(husk_casedb *db, husk_node *n, const husk_analyse_opts *o,
                              const int64_t *fs_ids, int64_t *const *root_ids, views *vs,
                              husk_diag *diag, husk_err *err)
{
    husk_docker_opts dopts = {.hash_images = o->hash_images, .keep_secrets = o->keep_secrets,
                              .no_recover = o->no_recover};
    struct fsr {
        husk_docker_root cri, kub;
        const char *ctrd_path;
        int snapshots_ok;
    } *fr = calloc(n->nfs + 1, sizeof *fr);
    if (!fr)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int r = 0, ctrd_roots = 0, ctrd_ok = 0;
    for (size_t i = 0; r == 0 && i < n->nfs; i++) {
        for (size_t j = 0; r == 0 && j < n->fss[i].roots.n; j++) {
            const husk_data_root *d = &n->fss[i].roots.v[j];
            int ctrd = strcmp(d->runtime, "containerd") == 0;
            if (!ctrd && strcmp(d->runtime, "kubelet") != 0)
                continue;
            husk_docker_root cr = {.fs = n->fss[i].fs, .db_id = root_ids[i][j],
                                   .fs_db_id = fs_ids[i], .opts = &dopts};
            snprintf(cr.path, sizeof cr.path, "%s", d->path);
            husk_ctrd_read rd = {0};
            r = ctrd ? husk_containerd_analyse_ex(&cr, db, diag, &rd, err)
                     : husk_kubelet_analyse(&cr, db, diag, err);
            ctrd_roots += ctrd;
            ctrd_ok += ctrd && rd.meta_ok;
            /* the containerd root (its snapshots, and the CRI plugin's directory on a
             * Kubernetes node), else the kubelet's */
            if (ctrd && !fr[i].ctrd_path) {
                fr[i].cri = cr;
                fr[i].ctrd_path = d->path;
                fr[i].snapshots_ok = rd.snapshots_ok;
            } else if (!ctrd && !fr[i].cri.fs) {
                fr[i].cri = cr;
            }
            if (!ctrd && !fr[i].kub.fs)
                fr[i].kub = cr;
        }
    }
    /* Pods and containers removed, from each file system's recovered view, once every
     * runtime root of the node is read (a node may keep /var/log/pods and containerd's root on
     * different file systems): what none of them holds was removed, provided containerd's
     * records were read whole. */
    for (size_t i = 0; r == 0 && i < n->nfs && !o->no_recover; i++) {
        if (!fr[i].cri.fs)
            continue;
        husk_ctrd_read rd = {.meta_ok = ctrd_roots > 0 && ctrd_ok == ctrd_roots,
                             .snapshots_ok = fr[i].snapshots_ok};
        if (!rd.meta_ok)
            husk_diag_report(diag, "recovery", fr[i].cri.path, -1,
                             "containerd's records were not read whole (or there are none): "
                             "pods and containers absent from them are not taken as removed");
        husk_fs *view = view_of(vs, i, fr[i].cri.fs, fr[i].cri.path, diag);
        if (view)
            r = husk_cri_removed(view, &fr[i].cri, fr[i].ctrd_path,
                                 fr[i].kub.fs ? &fr[i].kub : NULL, &rd, db, diag, err);
    }
    free(fr);
    return r;
}

int husk_analyse(const char *path, const husk_analyse_opts *o, husk_casedb *db,
                 husk_diag *diag, husk_analyse_result *res, husk_err *err)
{
    memset(res, 0, sizeof *res);
    res->ewf_verified = -1;
    char now[40];
    husk_now_rfc3339(now, sizeof now);
    int r = husk_casedb_begin(db, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "tool_version", "husk " HUSK_VERSION, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "command_line", o->command_line, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "started_at", now, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "evidence_path", path, err);
    if (r == 0)
        r = husk_casedb_commit(db, err);
    if (r < 0)
        return r;

    husk_phase_reset();
    husk_phase_mark all, m;
    husk_phase_start(&all);
    husk_phase_start(&m);
    husk_node *n = NULL;
    if ((r = husk_node_open(path, &o->open, &n, diag, err)) < 0)
        return r;
    husk_phase_stop(&m, "open");
    r = husk_casedb_begin(db, err);
    if (r == 0)
        r = record_evidence(db, path, n, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "journal_replay", o->open.no_replay ? "off" : "on", err);
    /* what files.magic holds: libmagic's type, by the version that gave it, or nothing */
    char types[64];
    snprintf(types, sizeof types, "libmagic %d.%02d", magic_version() / 100,
             magic_version() % 100);
    husk_diff_set_types(!o->no_types);
    if (r == 0)
        r = husk_casedb_set_info(db, "file_types", o->no_types ? "none (--no-types)" : types,
                                 err);
    if (r == 0 && strcmp(n->image->format, "ewf") == 0)
        r = husk_casedb_set_info(db, "ewf_verified", "not-checked", err);
    husk_phase_start(&m);
    if (r == 0 && o->verify)
        r = verify_media(db, n, o, diag, res, err);
    if (o->verify)
        husk_phase_stop(&m, "verify");
    int64_t *fs_ids = calloc(n->nfs + 1, sizeof *fs_ids);
    int64_t **root_ids = calloc(n->nfs + 1, sizeof *root_ids);
    for (size_t i = 0; root_ids && i < n->nfs; i++)
        root_ids[i] = calloc(n->fss[i].roots.n + 1, sizeof **root_ids);
    for (size_t i = 0; root_ids && i < n->nfs; i++)
        if (!root_ids[i])
            r = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (!fs_ids || !root_ids)
        r = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r == 0)
        r = record_layout(db, n, fs_ids, root_ids, err);
    views vs = {calloc(n->nfs + 1, sizeof *vs.v), calloc(n->nfs + 1, sizeof *vs.tried)};
    if (!vs.v || !vs.tried)
        r = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    /* files rows get their sha256 and magic from other cores while the analysis goes on;
     * nothing reads those two columns before the settle below */
    husk_diff_defer();
    if (r == 0)
        r = analyse_roots(db, n, o, fs_ids, root_ids, &vs, diag, err);
    husk_phase_start(&m);
    if (r == 0)
        r = analyse_containerd(db, n, o, fs_ids, root_ids, &vs, diag, err);
    for (size_t i = 0; vs.v && i < n->nfs; i++)
        if (vs.v[i])
            husk_fs_close(vs.v[i]);
    free(vs.v);
    free(vs.tried);
    give_back();
    husk_phase_stop(&m, "containerd");
    husk_phase_start(&m);
    /* what no directory points to any more, after every reader has written what it found,
     * so carved copies of known bytes are recognised as such */
    if (r == 0 && !o->no_recover && !o->no_carve)
        r = husk_carve_merge(db, n, fs_ids, root_ids, diag, err);
    give_back();
    if (r == 0 && !o->no_recover)
        r = husk_recovery_summary_build(db, err);
    husk_phase_stop(&m, "carving");
    husk_phase_start(&m);
    /* findings read every reader's rows; the timeline copies every table's times, findings'
     * host rows included, so it comes last */
    if (r == 0)
        r = husk_findings_run(db, n, diag, err);
    husk_phase_stop(&m, "findings");
    husk_phase_start(&m);
    /* every reader's rows are written: mark those the replayed journal alone shows */
    if (r == 0)
        r = husk_mark_journal_replay(db, n, fs_ids, diag, err);
    husk_phase_stop(&m, "journal_marks");
    husk_phase_start(&m);
    if (r == 0)
        r = husk_timeline_build(db, err);
    husk_phase_stop(&m, "timeline");
    husk_phase_start(&m);
    int sr = husk_diff_settle(r == 0 ? err : NULL); /* the last files' hashes and types */
    if (r == 0)
        r = sr;
    husk_phase_stop(&m, "file_types");
    husk_phase_start(&m);
    if (r == 0)
        r = husk_casedb_commit(db, err);
    husk_phase_stop(&m, "commit");
    husk_phase_stop(&all, "total");
    if (r == 0)
        r = record_phases(db, err);
    for (size_t i = 0; root_ids && i < n->nfs; i++)
        free(root_ids[i]);
    free(root_ids);
    free(fs_ids);
    husk_node_close(n);
    return r;
}
