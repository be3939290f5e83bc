/*
 * Kubernetes pods and CRI containers removed from a node, rebuilt from what their deletion left
 * in the file system (issue 6, part 5). It reads a recovered view (include/husk/recover.h) of
 * the node's file system, so deleted names come back from the ext4 journal's older directory
 * blocks, deleted files from older inode copies and freed blocks:
 *   - /var/log/pods/<namespace>_<pod>_<uid>/ directories of pods the case does not know (the
 *     kubelet deletes them some time after the pod; a live one is a pod already gone from the
 *     runtime), and the <container>/<n>.log files in them;
 *   - /var/log/containers/<pod>_<namespace>_<container>-<id>.log symlinks: the only place
 *     outside meta.db that ties a container ID to its container, pod and namespace names, and
 *     to its log file;
 *   - the CRI plugin's containers/<id>/ (with its status checkpoint: times, exit code, pid) and
 *     sandboxes/<id>/ directories;
 *   - overlayfs snapshot directories snapshots/<n> that no snapshotter record names.
 * Containers already in the case (recovered by the Docker reader, or rebuilt from meta.db's free
 * pages) get only what they lack: their logs, the times of their CRI status file and the files of
 * their writable snapshot. Nothing is taken as removed unless containerd's records were read
 * whole (husk_ctrd_read). Every row carries the provenance of the object it was rebuilt from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "husk/containerd.h"
#include "husk/findings.h"
#include "husk/kubelet.h"
#include "husk/logs.h"
#include "husk/overlay2.h"

#define PHASE "recovery"
#define CRI_DIR "io.containerd.grpc.v1.cri"
#define SNAP_DIR "io.containerd.snapshotter.v1.overlayfs/snapshots"
#define MAX_ENTRIES 20000 /* names taken from one directory */
#define MAX_STATUS (1u << 20)
#define TIME_TIE_CONFIDENCE 0.6 /* a writable layer tied to its container by birth times */

typedef struct rpod {
    char uid[129], name[254], ns[254], dir[700];
    husk_prov prov;
    int known;        /* already in the case's pods table */
    int64_t t;        /* its log directory's birth time (ns), -1 unknown */
    char sandbox[65]; /* a removed sandbox tied to it by time, "" none */
} rpod;

/* A sandboxes/<id> directory of the CRI plugin whose sandbox the case does not know. */
typedef struct rsandbox {
    char id[65];
    int64_t t;
    husk_prov prov;
    const rpod *pod;
} rsandbox;

typedef struct rctr {
    char id[65], name[254], pod[254], ns[254], log[1024];
    char uid[129]; /* the pod's uid, from the link's target directory */
    husk_prov prov;
    const char *source; /* what named it: "log-link", "cri-dir" */
    int from_link;
} rctr;

/* A snapshots/<n> directory no snapshotter record names. */
typedef struct osnap {
    int64_t id;
    uint64_t ino;
    int64_t t; /* its birth time (ns; its mtime when the file system keeps none), -1 unknown */
    husk_prov prov;
    int used;
} osnap;

typedef struct rctx {
    husk_fs *view;
    const husk_docker_root *r; /* the containerd root (or the kubelet's), for data_root_id */
    husk_casedb *db;
    husk_diag *diag;
    husk_err *err;
    rpod *pods;
    size_t npods;
    rctr *ctrs;
    size_t nctrs, capctrs;
    char (*names)[256]; /* one directory's names, while it is listed */
    uint64_t *inos;
    size_t nnames;
    int nomem;
    osnap *snaps;
    size_t nsnaps;
    rsandbox *sbs;
    size_t nsbs;
} rctx;

/* 1 when the query finds v, and also when it cannot run: nothing is written as removed, or
 * read twice, on a failure to look. */
static int in_table(rctx *x, const char *sql, const char *v)
{
    sqlite3_stmt *st = NULL;
    int found = 1;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db), sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        found = r != SQLITE_DONE;
        sqlite3_finalize(st);
    }
    return found;
}

static int name_cb(const husk_dirent *d, void *ctx)
{
    rctx *x = ctx;
    if (!husk_name_ok(d->name, d->name_len) || d->name_len > 255 || d->name[0] == '.')
        return 0;
    if (x->nnames >= MAX_ENTRIES)
        return 1;
    memcpy(x->names[x->nnames], d->name, d->name_len);
    x->names[x->nnames][d->name_len] = '\0';
    x->inos[x->nnames] = d->inode;
    x->nnames++;
    return 0;
}

/* Lists directory path of the view into x->names (live names first, then deleted ones). */
static int list(rctx *x, const char *path)
{
    x->nnames = 0;
    uint64_t ino;
    husk_err e = {0};
    if (husk_fs_lookup(x->view, path, HUSK_LOOKUP_FOLLOW, &ino, &e) < 0)
        return -1;
    if (husk_fs_list_dir(x->view, ino, name_cb, x, &e) < 0)
        husk_diag_report(x->diag, PHASE, path, -1, "cannot list: %s", e.msg);
    if (x->nnames >= MAX_ENTRIES)
        husk_diag_report(x->diag, PHASE, path, -1, "more than %d names; the rest skipped",
                         MAX_ENTRIES);
    return 0;
}

static void prov_of(rctx *x, uint64_t ino, husk_prov *p)
{
    p->recovered_from = "live";
    p->confidence = 1.0;
    husk_fs_provenance(x->view, ino, p, NULL, 0);
    if (!p->recovered_from)
        p->recovered_from = "live";
}

/* The provenance of a removed object named by something still on disk (a link, a directory):
 * the name is certain, that the object was removed is the inference that the runtime's
 * records, read whole, do not hold it. */
static void remaining(husk_prov *p, const char *what)
{
    if (!strcmp(p->recovered_from, "live")) {
        p->recovered_from = what;
        p->confidence = 0.9;
    }
}

/* Nanoseconds of a time the file system gives, -1 when absent or outside 1970-2262. */
static int64_t ts_ns(const husk_timespec *ts)
{
    if (!ts->present || ts->sec < 0 || ts->sec > 9000000000LL)
        return -1;
    return ts->sec * 1000000000LL + ts->nsec;
}

/* 1 when path (absolute, in the view) has no symlink in any component: a path taken from the
 * evidence must not be steered elsewhere by a link planted on the way. */
static int no_symlinks(rctx *x, const char *path)
{
    uint64_t ino;
    if (husk_fs_lookup(x->view, "/", 0, &ino, NULL) < 0)
        return 0;
    const char *p = path;
    int steps = 0;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        char name[256];
        husk_stat st;
        if (n >= sizeof name || ++steps > 64)
            return 0;
        memcpy(name, p, n);
        name[n] = '\0';
        if (!strcmp(name, "..") || !strcmp(name, ".") ||
            husk_fs_lookup_child(x->view, ino, name, &ino, NULL) < 0 ||
            husk_fs_stat(x->view, ino, &st, NULL) < 0 || st.type == HUSK_FT_SYMLINK)
            return 0;
        p += n;
    }
    return 1;
}

/* "<namespace>_<pod>_<uid>": namespaces, pod names and UIDs never hold '_'. */
static int split_pod_dir(const char *s, rpod *p)
{
    const char *a = strchr(s, '_'), *b = strrchr(s, '_');
    if (!a || a == b || a == s || b - a < 2 || !b[1] || strlen(b + 1) >= sizeof p->uid)
        return -1;
    snprintf(p->ns, sizeof p->ns, "%.*s", (int)(a - s), s);
    snprintf(p->name, sizeof p->name, "%.*s", (int)(b - a - 1), a + 1);
    snprintf(p->uid, sizeof p->uid, "%s", b + 1);
    if (!strcmp(p->uid, ".") || !strcmp(p->uid, ".."))
        return -1;
    return strchr(p->name, '_') ? -1 : 0;
}

static rctr *ctr_find(rctx *x, const char *id)
{
    for (size_t i = 0; i < x->nctrs; i++)
        if (!strcmp(x->ctrs[i].id, id))
            return &x->ctrs[i];
    return NULL;
}

static rctr *ctr_add(rctx *x, const char *id)
{
    rctr *c = ctr_find(x, id);
    if (c)
        return c;
    if (x->nctrs >= MAX_ENTRIES)
        return NULL;
    if (x->nctrs == x->capctrs) {
        size_t nc = x->capctrs ? x->capctrs * 2 : 16;
        void *p = realloc(x->ctrs, nc * sizeof *x->ctrs);
        if (!p) {
            x->nomem = 1;
            return NULL;
        }
        x->ctrs = p, x->capctrs = nc;
    }
    c = &x->ctrs[x->nctrs++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    return c;
}

static const rpod *pod_by_name(rctx *x, const char *ns, const char *name)
{
    for (size_t i = 0; i < x->npods; i++)
        if (!strcmp(x->pods[i].ns, ns) && !strcmp(x->pods[i].name, name))
            return &x->pods[i];
    return NULL;
}

/* An object's birth time in the view (its mtime when the file system keeps none), -1. */
static int64_t born(rctx *x, uint64_t ino)
{
    husk_stat st;
    if (husk_fs_stat(x->view, ino, &st, NULL) < 0)
        return -1;
    return ts_ns(st.crtime.present ? &st.crtime : &st.mtime);
}

/* /var/log/pods: every pod directory, known or not (a known pod's is skipped later). */
static void read_pod_dirs(rctx *x)
{
    if (list(x, "/var/log/pods") < 0)
        return;
    size_t n = x->nnames;
    x->pods = calloc(n + 1, sizeof *x->pods);
    if (!x->pods) {
        x->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rpod *p = &x->pods[x->npods];
        if (split_pod_dir(x->names[i], p) < 0)
            continue;
        int dup = 0;
        for (size_t k = 0; k < x->npods && !dup; k++)
            dup = !strcmp(x->pods[k].uid, p->uid);
        if (dup)
            continue; /* one pod, one row */
        snprintf(p->dir, sizeof p->dir, "/var/log/pods/%s", x->names[i]);
        prov_of(x, x->inos[i], &p->prov);
        remaining(&p->prov, "pod-log-dir");
        p->known = in_table(x, "SELECT 1 FROM pods WHERE uid = ?", p->uid);
        p->t = born(x, x->inos[i]);
        x->npods++;
    }
}

/* /var/log/containers: the links of containers the case does not know, live or deleted. */
static void read_log_links(rctx *x)
{
    if (list(x, "/var/log/containers") < 0)
        return;
    for (size_t i = 0; i < x->nnames; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s", x->names[i]);
        size_t len = strlen(name);
        if (len < 70 || strcmp(name + len - 4, ".log") != 0 || name[len - 69] != '-' ||
            !husk_is_hex64(name + len - 68, 64))
            continue;
        char id[65];
        snprintf(id, sizeof id, "%.64s", name + len - 68);
        name[len - 69] = '\0';
        char *u1 = strchr(name, '_'), *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
        if (!u1 || !u2)
            continue;
        char target[1024];
        husk_err e = {0};
        ssize_t tn = husk_fs_readlink(x->view, x->inos[i], target, sizeof target, &e);
        rctr *c = ctr_add(x, id);
        if (!c)
            continue;
        snprintf(c->pod, sizeof c->pod, "%.*s", (int)(u1 - name), name);
        snprintf(c->ns, sizeof c->ns, "%.*s", (int)(u2 - u1 - 1), u1 + 1);
        snprintf(c->name, sizeof c->name, "%s", u2 + 1);
        /* the link is evidence: only a target in the pod log directories is read as logs */
        if (tn > 0 && (size_t)tn < sizeof target) {
            target[tn] = '\0';
            if (!strncmp(target, "/var/log/pods/", 14) && !strstr(target, "/../") &&
                !strstr(target, "/./") && !memchr(target, '\0', (size_t)tn)) {
                snprintf(c->log, sizeof c->log, "%s", target);
                /* /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log names the pod by uid */
                rpod tp;
                char dir[256];
                snprintf(dir, sizeof dir, "%.*s", (int)strcspn(target + 14, "/"), target + 14);
                if (split_pod_dir(dir, &tp) == 0)
                    snprintf(c->uid, sizeof c->uid, "%s", tp.uid);
            }
            else
                husk_diag_report(x->diag, PHASE, "/var/log/containers", -1,
                                 "container %s: its link points outside /var/log/pods; its "
                                 "target is not read as its log", id);
        }
        prov_of(x, x->inos[i], &c->prov);
        remaining(&c->prov, "log-link");
        c->source = "log-link";
        c->from_link = 1;
    }
}

/* The CRI plugin's containers/<id> directories (a removed container's is deleted). */
static void read_cri_dirs(rctx *x, const char *cri)
{
    char path[700];
    snprintf(path, sizeof path, "%s/containers", cri);
    if (list(x, path) < 0)
        return;
    for (size_t i = 0; i < x->nnames; i++) {
        if (strlen(x->names[i]) != 64 || !husk_is_hex64(x->names[i], 64))
            continue;
        rctr *c = ctr_find(x, x->names[i]);
        husk_prov p;
        prov_of(x, x->inos[i], &p);
        remaining(&p, "cri-dir");
        if (!c) {
            if (!(c = ctr_add(x, x->names[i])))
                continue;
            c->prov = p;
            c->source = "cri-dir";
        } else if (p.confidence > c->prov.confidence) {
            c->prov = p; /* named by its link, confirmed by its directory: the surer of the two */
        }
    }
}

/*
 * The CRI plugin's sandboxes/<id> directories of sandboxes the case does not know (removed
 * pods). Nothing on disk names a removed sandbox's pod any more; the kubelet creates a pod's
 * log directory just before it asks for the sandbox, so the sandbox born first within 2 s
 * after a removed pod's log directory is taken as that pod's (attribution by time, noted).
 */
static void read_sandboxes(rctx *x, const char *cri)
{
    char path[700];
    snprintf(path, sizeof path, "%s/sandboxes", cri);
    if (list(x, path) < 0)
        return;
    x->sbs = calloc(x->nnames + 1, sizeof *x->sbs);
    if (!x->sbs) {
        x->nomem = 1;
        return;
    }
    for (size_t i = 0; i < x->nnames; i++) {
        if (strlen(x->names[i]) != 64 || !husk_is_hex64(x->names[i], 64) ||
            in_table(x, "SELECT 1 FROM containers WHERE id = ?", x->names[i]))
            continue;
        rsandbox *b = &x->sbs[x->nsbs++];
        snprintf(b->id, sizeof b->id, "%s", x->names[i]);
        b->t = born(x, x->inos[i]);
        prov_of(x, x->inos[i], &b->prov);
        remaining(&b->prov, "cri-sandbox-dir");
    }
    /* oldest pod first, so that two pods made within the window each get the sandbox born
     * right after its own directory */
    size_t *order = malloc((x->npods + 1) * sizeof *order);
    if (!order) {
        x->nomem = 1;
        return;
    }
    for (size_t i = 0; i < x->npods; i++)
        order[i] = i;
    for (size_t i = 1; i < x->npods; i++) /* insertion sort: removed pods are few */
        for (size_t k = i; k > 0 && x->pods[order[k - 1]].t > x->pods[order[k]].t; k--) {
            size_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (size_t oi = 0; oi < x->npods; oi++) {
        rpod *p = &x->pods[order[oi]];
        if (p->known || p->t < 0)
            continue;
        rsandbox *best = NULL;
        for (size_t j = 0; j < x->nsbs; j++) {
            rsandbox *b = &x->sbs[j];
            if (b->pod || b->t < p->t || b->t - p->t > 2000000000LL)
                continue;
            if (!best || b->t < best->t)
                best = b;
        }
        if (best) {
            best->pod = p;
            snprintf(p->sandbox, sizeof p->sandbox, "%s", best->id);
        }
    }
    free(order);
}

static int write_sandbox(rctx *x, const rsandbox *b, const char *cri)
{
    husk_row_container row = {
        .id = b->id,
        .name = b->pod ? b->pod->name : NULL,
        .state = "removed",
        .exit_code = HUSK_NULL_INT,
        .pid = HUSK_NULL_INT,
        .restart_count = HUSK_NULL_INT,
        .privileged = HUSK_NULL_INT,
        .readonly_rootfs = HUSK_NULL_INT,
        .recovered_from = b->prov.recovered_from,
        .confidence = b->pod && b->prov.confidence > 0.5 ? 0.5 : b->prov.confidence,
        .data_root_id = x->r->db_id,
        .runtime = "containerd",
        .ns = "k8s.io",
        .pod_uid = b->pod ? b->pod->uid : NULL,
        .sandbox_id = b->id,
    };
    if (b->pod)
        husk_diag_report(x->diag, PHASE, cri, -1,
                         "sandbox %s: removed (its directory, %s %.2f); taken to be pod "
                         "%s/%s's, born %.3f s after the pod's log directory (attribution by "
                         "time, confidence 0.5)",
                         b->id, b->prov.recovered_from, b->prov.confidence, b->pod->ns,
                         b->pod->name, (double)(b->t - b->pod->t) / 1e9);
    else
        husk_diag_report(x->diag, PHASE, cri, -1,
                         "sandbox %s: removed (its directory, %s %.2f); its pod is not "
                         "known",
                         b->id, b->prov.recovered_from, b->prov.confidence);
    return husk_casedb_add_container(x->db, &row, x->err);
}

/* The CRI status checkpoint of container id, from the view (NULL when not recovered). */
static json_t *read_status(rctx *x, const char *cri, const char *id, char *path, size_t pn)
{
    snprintf(path, pn, "%s/containers/%s/status", cri, id);
    json_t *status = NULL;
    uint64_t ino;
    char *buf = NULL;
    size_t len = 0;
    if (husk_fs_lookup(x->view, path, 0, &ino, NULL) == 0 &&
        husk_fs_read_all(x->view, ino, MAX_STATUS, &buf, &len, NULL) == 0) {
        status = json_loadb(buf, len, 0, NULL);
        if (!status || !json_is_object(status)) {
            husk_diag_report(x->diag, PHASE, path, -1, "container %s: its CRI status file was "
                             "found but is not a JSON object (its blocks were reused)", id);
            json_decref(status);
            status = NULL;
        }
    }
    free(buf);
    return status;
}

/* A container rebuilt from meta.db's free pages lacks the times only the CRI plugin's status
 * file holds: they come from the deleted file when the view has it. */
static int fill_times(rctx *x, const char *cri, const char *id)
{
    char path[900], cr[40], st[40], fin[40];
    json_t *status = read_status(x, cri, id, path, sizeof path);
    if (!status)
        return 0;
    sqlite3_stmt *q = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "UPDATE containers SET created = COALESCE(created, ?1), started_at = "
                           "COALESCE(started_at, ?2), finished_at = COALESCE(finished_at, ?3), "
                           "exit_code = COALESCE(exit_code, ?4), pid = COALESCE(pid, ?5) WHERE "
                           "id = ?6 AND state = 'removed'",
                           -1, &q, NULL) != SQLITE_OK) {
        json_decref(status);
        return husk_err_set(x->err, HUSK_E_DB, "case database: %s",
                            sqlite3_errmsg(husk_casedb_sqlite(x->db)));
    }
    const char *v[3] = {husk_cri_status_time(status, "CreatedAt", cr), husk_cri_status_time(status, "StartedAt", st),
                        husk_cri_status_time(status, "FinishedAt", fin)};
    for (int i = 0; i < 3; i++)
        v[i] ? sqlite3_bind_text(q, i + 1, v[i], -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i + 1);
    json_t *ec = json_object_get(status, "ExitCode"), *pid = json_object_get(status, "Pid");
    json_is_integer(ec) ? sqlite3_bind_int64(q, 4, json_integer_value(ec)) : sqlite3_bind_null(q, 4);
    json_is_integer(pid) ? sqlite3_bind_int64(q, 5, json_integer_value(pid)) : sqlite3_bind_null(q, 5);
    sqlite3_bind_text(q, 6, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) != SQLITE_DONE)
        rc = husk_err_set(x->err, HUSK_E_DB, "case database: %s",
                          sqlite3_errmsg(husk_casedb_sqlite(x->db)));
    else if (sqlite3_changes(husk_casedb_sqlite(x->db)) > 0)
        husk_diag_report(x->diag, PHASE, path, -1, "container %s: times, exit code and pid from "
                         "its deleted CRI status file", id);
    sqlite3_finalize(q);
    json_decref(status);
    return rc;
}

/* One removed container the case does not hold yet. */
static int write_ctr(rctx *x, const rctr *c, const char *cri)
{
    char path[900], cr[40], st[40], fin[40];
    json_t *status = read_status(x, cri, c->id, path, sizeof path);
    /* its pod: by the uid its link's target names, else (the target lost) by namespace and
     * name, which a pod re-created under the same name shares: then noted, and less sure */
    const rpod *p = NULL;
    int by_name = 0;
    for (size_t i = 0; c->uid[0] && i < x->npods && !p; i++)
        if (!strcmp(x->pods[i].uid, c->uid))
            p = &x->pods[i];
    if (!p && c->from_link && !c->uid[0] && (p = pod_by_name(x, c->ns, c->pod)))
        by_name = 1;
    if (p && !c->log[0] && c->name[0]) /* the link's target was not recovered: the kubelet's layout */
        snprintf(((rctr *)c)->log, sizeof c->log, "%s/%s/0.log", p->dir, c->name);
    const char *pod_uid = p ? p->uid : c->uid[0] ? c->uid : NULL;
    char live_uid[129] = "";
    if (!pod_uid && c->from_link) { /* the pod may still be live */
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                               "SELECT uid FROM pods WHERE namespace = ? AND name = ? LIMIT 1", -1,
                               &q, NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, c->ns, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(q, 2, c->pod, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
                snprintf(live_uid, sizeof live_uid, "%s", (const char *)sqlite3_column_text(q, 0));
            sqlite3_finalize(q);
        }
        pod_uid = live_uid[0] ? live_uid : NULL;
        by_name = pod_uid != NULL;
    }
    if (by_name)
        husk_diag_report(x->diag, PHASE, "/var/log/containers", -1,
                         "container %s: its pod %s/%s matched by name (its link's target is "
                         "lost); a pod re-created under that name would share it",
                         c->id, c->ns, c->pod);
    json_t *pid = json_object_get(status, "Pid"), *exitc = json_object_get(status, "ExitCode");
    husk_row_container row = {
        .id = c->id,
        .name = c->name[0] ? c->name : NULL,
        .created = husk_cri_status_time(status, "CreatedAt", cr),
        .started_at = husk_cri_status_time(status, "StartedAt", st),
        .finished_at = husk_cri_status_time(status, "FinishedAt", fin),
        .state = "removed",
        .exit_code = json_is_integer(exitc) ? json_integer_value(exitc) : HUSK_NULL_INT,
        .pid = json_is_integer(pid) ? json_integer_value(pid) : HUSK_NULL_INT,
        .restart_count = HUSK_NULL_INT,
        .log_driver = c->log[0] ? "cri" : NULL,
        .privileged = HUSK_NULL_INT,
        .readonly_rootfs = HUSK_NULL_INT,
        .recovered_from = c->prov.recovered_from,
        .confidence = by_name && c->prov.confidence > 0.6 ? 0.6 : c->prov.confidence,
        .data_root_id = x->r->db_id,
        .runtime = "containerd",
        .ns = "k8s.io", /* the CRI plugin's namespace */
        .pod_uid = pod_uid,
        .sandbox_id = p && p->sandbox[0] ? p->sandbox : NULL,
    };
    int rc = husk_casedb_add_container(x->db, &row, x->err);
    husk_diag_report(x->diag, PHASE, c->source && !strcmp(c->source, "log-link") ? "/var/log/containers" : path, -1,
                     "container %s%s%s: removed; named by %s (%s, confidence %.2f)%s; its image, "
                     "command and rights were not recovered (neither meta.db nor its free pages "
                     "hold its record any more)",
                     c->id, c->name[0] ? " " : "", c->name,
                     c->from_link ? "its /var/log/containers link" : "its CRI directory",
                     c->prov.recovered_from, c->prov.confidence,
                     status ? "; times, exit code and pid from its CRI status file" : "");
    json_decref(status);
    return rc;
}

/* Logs of a container that has none in the case yet, read from the view. */
/* The logs of container id from log (a path the evidence gave: a link's target, or the
 * kubelet's layout with attribution confidence conf). Each line is as sure as its file's
 * recovery and as that attribution. */
static int ctr_logs(rctx *x, const char *id, const char *log, double conf)
{
    if (!log[0] || in_table(x, "SELECT 1 FROM logs WHERE container_id = ? LIMIT 1", id))
        return 0;
    /* pod log directories only, reached through no symlink */
    if (strncmp(log, "/var/log/pods/", 14) != 0 || strstr(log, "/../") || strstr(log, "/./"))
        return 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(log, '/') - log), log);
    if (!no_symlinks(x, dir)) {
        husk_diag_report(x->diag, PHASE, log, -1, "container %s: its log directory is reached "
                         "through a symlink or is gone: not read", id);
        return 0;
    }
    husk_prov rec = {"recovered-view", conf}; /* each file's provenance, capped by conf */
    return husk_cri_logs(x->view, log, id, &rec, x->db, x->diag, x->err);
}

static int write_pod(rctx *x, const rpod *p)
{
    husk_row_pod row = {
        .uid = p->uid,
        .name = p->name,
        .ns = p->ns,
        .state = "removed",
        .sandbox_id = p->sandbox[0] ? p->sandbox : NULL,
        .log_directory = p->dir,
        .host_network = HUSK_NULL_INT,
        .host_pid = HUSK_NULL_INT,
        .host_ipc = HUSK_NULL_INT,
        .recovered_from = p->prov.recovered_from,
        .confidence = p->prov.confidence,
        .data_root_id = x->r->db_id,
    };
    husk_diag_report(x->diag, PHASE, p->dir, -1,
                     "pod %s/%s (uid %s): removed; named by its %s log directory (%s, confidence "
                     "%.2f)",
                     p->ns, p->name, p->uid,
                     strcmp(p->prov.recovered_from, "pod-log-dir") ? "deleted" : "remaining",
                     p->prov.recovered_from, p->prov.confidence);
    return husk_casedb_add_pod(x->db, &row, x->err);
}

/* Snapshot directories no snapshotter record names (the record went with the container). */
static int orphan_snapshots(rctx *x, const char *ctrd_path)
{
    char path[700];
    snprintf(path, sizeof path, "%s/" SNAP_DIR, ctrd_path);
    if (list(x, path) < 0)
        return 0;
    x->snaps = calloc(x->nnames + 1, sizeof *x->snaps);
    if (!x->snaps) {
        x->nomem = 1;
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < x->nnames; i++) {
        const char *n = x->names[i];
        if (!n[0] || strlen(n) > 18 || strspn(n, "0123456789") != strlen(n))
            continue;
        sqlite3_stmt *q = NULL;
        int known = 0;
        if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                               "SELECT 1 FROM containerd_snapshots WHERE data_root_id = ? AND "
                               "snapshotter = 'overlayfs' AND backend_id = ?",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, x->r->db_id);
            sqlite3_bind_int64(q, 2, strtoll(n, NULL, 10));
            known = sqlite3_step(q) == SQLITE_ROW;
            sqlite3_finalize(q);
        }
        if (known)
            continue;
        husk_prov p;
        prov_of(x, x->inos[i], &p);
        if (x->snaps) {
            osnap *o = &x->snaps[x->nsnaps++];
            o->id = strtoll(n, NULL, 10);
            o->ino = x->inos[i];
            o->prov = p;
            o->used = 0;
            o->t = born(x, x->inos[i]);
        }
        char bname[40];
        snprintf(bname, sizeof bname, "%s", n);
        husk_row_ctrd_snapshot row = {
            .data_root_id = x->r->db_id,
            .snapshotter = "overlayfs",
            .backend_name = bname,
            .backend_id = strtoll(n, NULL, 10),
            .kind = "unknown",
            .recovered_from = strcmp(p.recovered_from, "live") ? p.recovered_from : "orphan-dir",
        };
        rc = husk_casedb_add_ctrd_snapshot(x->db, &row, x->err);
        husk_diag_report(x->diag, PHASE, path, -1,
                         "snapshot directory %s: no snapshotter record names it (%s, confidence "
                         "%.2f): the snapshot of a removed container or image",
                         n, p.recovered_from, p.confidence);
    }
    return rc;
}

/* The image's snapshot chain, topmost first, from its config's diff IDs (containerd keys an
 * image's committed snapshots by their chain IDs) and the live snapshot records' parents. */
static int image_lowers(rctx *x, const char *image_ref, husk_ovl_chain *ch)
{
    sqlite3_stmt *q = NULL;
    char top[80] = "";
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "SELECT json_extract(config_json, '$.rootfs.diff_ids') FROM images "
                           "WHERE id = ?1 OR EXISTS (SELECT 1 FROM json_each(images.repo_tags) "
                           "WHERE value = ?1) LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, image_ref, -1, SQLITE_TRANSIENT);
    json_t *ids = NULL;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        ids = json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL);
    sqlite3_finalize(q);
    size_t n = json_array_size(ids);
    if (n > HUSK_OVL_MAX_LOWERS - ch->nlower) { /* a prefix of it would be a wrong base */
        json_decref(ids);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(ids, i));
        if (!d || strlen(d) != 71 || strncmp(d, "sha256:", 7) != 0) {
            top[0] = '\0';
            break;
        }
        if (i == 0) {
            snprintf(top, sizeof top, "%s", d);
        } else { /* chainID(n) = sha256(chainID(n-1) + " " + diffID(n)) */
            char buf[160], hex[65];
            int l = snprintf(buf, sizeof buf, "%s %s", top, d);
            husk_sha256_hex(buf, (size_t)l, hex);
            snprintf(top, sizeof top, "sha256:%s", hex);
        }
    }
    json_decref(ids);
    if (!top[0] ||
        sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "SELECT backend_id, parent FROM containerd_snapshots WHERE "
                           "data_root_id = ? AND snapshotter = 'overlayfs' AND key = ? AND "
                           "backend_id IS NOT NULL LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    char key[80];
    snprintf(key, sizeof key, "%s", top);
    int rc = 0;
    while (key[0]) {
        if (ch->nlower >= HUSK_OVL_MAX_LOWERS) {
            rc = -1;
            break;
        }
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, x->r->db_id);
        sqlite3_bind_text(q, 2, key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_ROW) {
            rc = -1;
            break;
        }
        husk_ovl_layer *l = &ch->lower[ch->nlower];
        snprintf(l->id, sizeof l->id, "%s", key);
        snprintf(l->dir, sizeof l->dir, SNAP_DIR "/%lld/fs", (long long)sqlite3_column_int64(q, 0));
        char full[1024];
        if (husk_docker_path(x->r, l->dir, full, sizeof full) < 0 ||
            husk_fs_lookup(x->view, full, 0, &l->diff_ino, NULL) < 0) {
            rc = -1;
            break;
        }
        ch->nlower++;
        const char *p = (const char *)sqlite3_column_text(q, 1);
        snprintf(key, sizeof key, "%s", p && strlen(p) < sizeof key ? p : "");
    }
    sqlite3_finalize(q);
    return rc;
}

/* The orphan directory husk takes for one removed container, by the creation order of its
 * runtime. CRI: the plugin prepares the writable snapshot just before it writes the container,
 * so the last orphan born at most 2 s before the container's creation. Docker on the containerd
 * store: the daemon stamps Created first, then prepares "<id>-init" and on it "<id>", so the
 * first two orphans born within 2 s after it: init, then the writable layer. */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* 1 when some container of the case was created strictly between lo and hi (sorted ct): then
 * an orphan born in between may as well be that container's. */
static int created_between(const int64_t *ct, size_t n, int64_t lo, int64_t hi)
{
    size_t a = 0, b = n; /* first index with ct > lo */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ct[m] <= lo)
            a = m + 1;
        else
            b = m;
    }
    return a < n && ct[a] < hi;
}

static osnap *pick_orphan(rctx *x, int64_t t, int after, osnap *skip, const int64_t *ct,
                          size_t nct)
{
    osnap *best = NULL;
    for (size_t j = 0; j < x->nsnaps; j++) {
        osnap *o = &x->snaps[j];
        if (o->used || o == skip || o->t < 0)
            continue;
        int64_t d = after ? o->t - t : t - o->t; /* both in 1970-2262: no overflow */
        if (d < 0 || d > 2000000000LL ||
            created_between(ct, nct, after ? t : o->t, after ? o->t : t))
            continue;
        if (!best || (after ? o->t < best->t : o->t > best->t))
            best = o;
    }
    return best;
}

static int snap_layer(rctx *x, const husk_docker_root *vr, const osnap *o, const char *id,
                      husk_ovl_layer *l)
{
    snprintf(l->id, sizeof l->id, "%s", id);
    snprintf(l->dir, sizeof l->dir, SNAP_DIR "/%lld/fs", (long long)o->id);
    char full[1024];
    return husk_docker_path(vr, l->dir, full, sizeof full) < 0 ||
                   husk_fs_lookup(x->view, full, 0, &l->diff_ino, NULL) < 0
               ? -1
               : 0;
}

/*
 * The files of removed containers whose writable snapshot lost its record with them: orphan
 * snapshots/<n> directories, tied to the container by birth time (pick_orphan; attribution by
 * time, noted, files' confidence at most TIME_TIE_CONFIDENCE). Docker's init layer is confirmed
 * by its /.dockerenv. The diff is decided against the image's layers (and the init layer) when
 * the image is known, else the entries are listed with no change decided.
 */
static int removed_files(rctx *x, const char *ctrd_path)
{
    if (!x->nsnaps)
        return 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "SELECT id, created, coalesce(image_id, image_ref), runtime = 'docker' "
                           "FROM containers c WHERE state = 'removed' AND created IS NOT NULL "
                           "AND ((runtime = 'containerd' AND data_root_id = ?1) OR (runtime = "
                           "'docker' AND driver = 'overlayfs' AND data_root_id IN (SELECT id FROM "
                           "data_roots WHERE filesystem_id = ?2))) AND NOT EXISTS (SELECT 1 FROM "
                           "files f WHERE f.container_id = c.id) ORDER BY created",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(q, 1, x->r->db_id);
    sqlite3_bind_int64(q, 2, x->r->fs_db_id);
    struct want {
        char id[65], image[512];
        int64_t t;
        int docker;
    } *w = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW && n < MAX_ENTRIES) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        const char *img = (const char *)sqlite3_column_text(q, 2);
        int64_t t;
        if (!id || strlen(id) != 64 ||
            husk_time_parse_ns((const char *)sqlite3_column_text(q, 1), &t) < 0 || t < 0 ||
            t > 9000000000000000000LL) /* 1970-2255: no overflow in the windows below */
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            void *p = realloc(w, nc * sizeof *w);
            if (!p) {
                x->nomem = 1;
                break;
            }
            w = p, cap = nc;
        }
        snprintf(w[n].id, sizeof w[n].id, "%s", id);
        snprintf(w[n].image, sizeof w[n].image, "%s", img && strlen(img) < 512 ? img : "");
        w[n].t = t;
        w[n].docker = sqlite3_column_int(q, 3) == 1;
        n++;
    }
    sqlite3_finalize(q);
    /* every container's creation, live or removed, to refuse ties across another container */
    int64_t *ct = NULL;
    size_t nct = 0, cct = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                           "SELECT created FROM containers WHERE created IS NOT NULL", -1, &q,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(q) == SQLITE_ROW && nct < 4 * MAX_ENTRIES) {
            int64_t t;
            if (husk_time_parse_ns((const char *)sqlite3_column_text(q, 0), &t) < 0)
                continue;
            if (nct == cct) {
                size_t nc = cct ? cct * 2 : 64;
                void *p = realloc(ct, nc * sizeof *ct);
                if (!p) {
                    x->nomem = 1;
                    break;
                }
                ct = p, cct = nc;
            }
            ct[nct++] = t;
        }
        sqlite3_finalize(q);
    }
    if (nct)
        qsort(ct, nct, sizeof *ct, cmp_i64);
    husk_docker_root vr = *x->r;
    vr.fs = x->view;
    snprintf(vr.path, sizeof vr.path, "%s", ctrd_path);
    husk_ovl_chain *ch = malloc(sizeof *ch);
    int rc = ch ? 0 : husk_err_set(x->err, HUSK_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        osnap *init = NULL, *rw;
        if (w[i].docker) {
            init = pick_orphan(x, w[i].t, 1, NULL, ct, nct);
            rw = init ? pick_orphan(x, w[i].t, 1, init, ct, nct) : NULL;
        } else {
            rw = pick_orphan(x, w[i].t, 0, NULL, ct, nct);
        }
        if (!rw)
            continue;
        memset(ch, 0, sizeof *ch);
        ch->how = "orphan snapshot directory";
        char full[1024], initname[80];
        snprintf(full, sizeof full, "%s/" SNAP_DIR "/%lld/fs", ctrd_path, (long long)rw->id);
        if (snap_layer(x, &vr, rw, w[i].id, &ch->upper) < 0) {
            husk_diag_report(x->diag, PHASE, full, -1, "container %s: its snapshot directory "
                             "%lld has no fs/ left", w[i].id, (long long)rw->id);
            continue;
        }
        int ok = 1;
        if (init) { /* Docker's init layer holds /.dockerenv; without it, the pair is not the
                     * container's init and writable layers: nothing is attached */
            uint64_t ino;
            snprintf(initname, sizeof initname, "%s-init", w[i].id);
            if (snap_layer(x, &vr, init, initname, &ch->lower[0]) < 0 ||
                husk_fs_lookup_child(x->view, ch->lower[0].diff_ino, ".dockerenv", &ino, NULL) < 0) {
                husk_diag_report(x->diag, PHASE, full, -1,
                                 "container %s: the orphan snapshot directories born after it "
                                 "(%lld, %lld) are not an init layer and its writable layer "
                                 "(no /.dockerenv): its files are not recovered",
                                 w[i].id, (long long)init->id, (long long)rw->id);
                continue;
            }
            ch->nlower = 1, init->used = 1;
        }
        rw->used = 1;
        ok = ok && w[i].image[0] && image_lowers(x, w[i].image, ch) == 0;
        if (!ok)
            ch->nlower = 0;
        int64_t dt = w[i].docker ? rw->t - w[i].t : w[i].t - rw->t;
        husk_diag_report(x->diag, PHASE, full, -1,
                         "container %s: its writable layer taken to be snapshot directory %lld "
                         "(%s, confidence %.2f), born %.3f s %s the container%s: no record ties "
                         "them (attribution by time; its files' confidence is scaled by %.1f)%s",
                         w[i].id, (long long)rw->id, rw->prov.recovered_from,
                         rw->prov.confidence, (double)dt / 1e9,
                         w[i].docker ? "after" : "before",
                         w[i].docker ? (ch->nlower ? ", after its init layer" : "")
                                     : " and the last orphan before it",
                         TIME_TIE_CONFIDENCE,
                         ok ? "" : "; its image or init layer is not known, so no change is decided");
        husk_diag notes = {husk_diag_as_recovery, x->diag, 0};
        rc = husk_diff_chain(&vr, w[i].id, ch, ok,
                             ok ? NULL : "the removed container's image or init layer is not known",
                             x->db, &notes, x->err);
        /* a file's bytes are as sure as their own recovery times the tie of the layer to the
         * container (a regular file whose blocks were partly reused drops below 0.5, as the
         * recovery summary counts it); other entries are capped by the tie */
        sqlite3_stmt *u = NULL;
        if (rc == 0 && sqlite3_prepare_v2(husk_casedb_sqlite(x->db),
                                          "UPDATE files SET confidence = CASE type WHEN 'file' "
                                          "THEN coalesce(confidence, 1.0) * ?1 ELSE "
                                          "MIN(coalesce(confidence, 1.0), ?1) END WHERE "
                                          "container_id = ?2 AND scope = 'upper'",
                                          -1, &u, NULL) == SQLITE_OK) {
            sqlite3_bind_double(u, 1, TIME_TIE_CONFIDENCE);
            sqlite3_bind_text(u, 2, w[i].id, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(u) != SQLITE_DONE)
                rc = husk_err_set(x->err, HUSK_E_DB, "case database: %s",
                                  sqlite3_errmsg(husk_casedb_sqlite(x->db)));
        }
        sqlite3_finalize(u);
    }
    free(ch);
    free(w);
    free(ct);
    return rc;
}

int husk_cri_removed(husk_fs *view, const husk_docker_root *r, const char *ctrd_path,
                     const husk_docker_root *kubelet, const husk_ctrd_read *read,
                     husk_casedb *db, husk_diag *diag, husk_err *err)
{
    rctx x = {.view = view, .r = r, .db = db, .diag = diag, .err = err};
    x.names = malloc(MAX_ENTRIES * sizeof *x.names);
    x.inos = malloc(MAX_ENTRIES * sizeof *x.inos);
    int rc = 0;
    if (!x.names || !x.inos)
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    char cri[700] = "";
    if (ctrd_path)
        snprintf(cri, sizeof cri, "%s/" CRI_DIR, ctrd_path);
    /* absent from containerd's records means removed only when they were read whole */
    if (rc == 0 && read && read->meta_ok) {
        read_pod_dirs(&x);
        read_log_links(&x);
        if (cri[0])
            read_cri_dirs(&x, cri);
        if (cri[0])
            read_sandboxes(&x, cri);
        if (x.nomem)
            rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < x.npods; i++)
        if (!x.pods[i].known) {
            rc = write_pod(&x, &x.pods[i]);
            /* its tokens, when the kubelet deleted its directory (a remaining one was read
             * with the live pods) */
            char pd[900];
            uint64_t ino;
            husk_docker_root kr;
            if (rc == 0 && kubelet) {
                kr = *kubelet;
                kr.fs = view;
                if (husk_docker_path(kubelet, "pods", pd, sizeof pd) == 0 &&
                    strlen(pd) + strlen(x.pods[i].uid) + 2 < sizeof pd) {
                    strcat(pd, "/");
                    strcat(pd, x.pods[i].uid);
                    if (husk_fs_lookup(kubelet->fs, pd, 0, &ino, NULL) < 0 &&
                        husk_fs_lookup(view, pd, 0, &ino, NULL) == 0)
                        rc = husk_kubelet_pod_tokens(&kr, x.pods[i].uid, db, diag, err);
                }
            }
        }
    for (size_t i = 0; rc == 0 && i < x.nsbs; i++)
        rc = write_sandbox(&x, &x.sbs[i], cri);
    for (size_t i = 0; rc == 0 && i < x.nctrs; i++) {
        rctr *c = &x.ctrs[i];
        if (!in_table(&x, "SELECT 1 FROM containers WHERE id = ?", c->id)) {
            /* a CRI directory alone, of a sandbox or container the case knows nothing else
             * about, is still a removed container: its ID and times */
            rc = write_ctr(&x, c, cri[0] ? cri : "/var/lib/containerd/" CRI_DIR);
        }
        else if (in_table(&x, "SELECT 1 FROM containers WHERE id = ? AND recovered_from = "
                              "'bolt-free'", c->id))
            rc = fill_times(&x, cri[0] ? cri : "/var/lib/containerd/" CRI_DIR, c->id);
        if (rc == 0 && in_table(&x, "SELECT 1 FROM containers WHERE id = ? AND state = 'removed'",
                                c->id))
            rc = ctr_logs(&x, c->id, c->log, c->uid[0] || !c->log[0] ? 1.0 : 0.7);
    }
    /* containers rebuilt from meta.db's free pages name their pod but have no log link any
     * more: their log file is <pod log directory>/<container name>/0.log (the kubelet's
     * layout), rotated files beside it */
    sqlite3_stmt *q = NULL;
    if (rc == 0 &&
        sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT c.id, p.log_directory || '/' || c.name || '/0.log' FROM "
                           "containers c JOIN pods p ON p.uid = c.pod_uid WHERE c.state = "
                           "'removed' AND c.runtime = 'containerd' AND c.name IS NOT NULL AND "
                           "c.id <> p.sandbox_id AND p.log_directory IS NOT NULL AND NOT EXISTS "
                           "(SELECT 1 FROM logs l WHERE l.container_id = c.id)",
                           -1, &q, NULL) == SQLITE_OK) {
        char (*pairs)[2][1024] = NULL;
        size_t n = 0, cap = 0;
        while (sqlite3_step(q) == SQLITE_ROW && n < MAX_ENTRIES) {
            const char *id = (const char *)sqlite3_column_text(q, 0);
            const char *lp = (const char *)sqlite3_column_text(q, 1);
            if (!id || !lp || strlen(lp) >= 1024 || strlen(id) >= 1024)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                void *p = realloc(pairs, nc * sizeof *pairs);
                if (!p)
                    break;
                pairs = p, cap = nc;
            }
            snprintf(pairs[n][0], 1024, "%s", id);
            snprintf(pairs[n][1], 1024, "%s", lp);
            n++;
        }
        sqlite3_finalize(q);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = ctr_logs(&x, pairs[i][0], pairs[i][1], 0.7); /* the kubelet's layout */
        free(pairs);
    }
    if (rc == 0 && ctrd_path && read && read->snapshots_ok)
        rc = orphan_snapshots(&x, ctrd_path);
    if (rc == 0 && ctrd_path && read && read->snapshots_ok)
        rc = removed_files(&x, ctrd_path);
    if (rc == 0 && x.nomem)
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    free(x.snaps);
    free(x.pods);
    free(x.sbs);
    free(x.ctrs);
    free(x.names);
    free(x.inos);
    return rc;
}
