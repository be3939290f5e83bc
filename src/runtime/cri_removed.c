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
 * Containers already in the case (live, recovered by the Docker reader, or rebuilt from meta.db's
 * free pages) get only what they lack: their logs. Every row carries the provenance of the
 * object it was rebuilt from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "husk/containerd.h"
#include "husk/logs.h"

#define PHASE "recovery"
#define CRI_DIR "io.containerd.grpc.v1.cri"
#define SNAP_DIR "io.containerd.snapshotter.v1.overlayfs/snapshots"
#define MAX_ENTRIES 20000 /* names taken from one directory */
#define MAX_STATUS (1u << 20)

typedef struct rpod {
    char uid[129], name[254], ns[254], dir[700];
    husk_prov prov;
    char how[200];
    int known; /* already in the case's pods table */
} rpod;

typedef struct rctr {
    char id[65], name[254], pod[254], ns[254], log[1024];
    husk_prov prov;
    const char *source; /* what named it: "log-link", "cri-dir" */
    int from_link;
} rctr;

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
    int *deleted;
    size_t nnames;
    int nomem;
} rctx;

static int in_table(rctx *x, const char *sql, const char *v)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(x->db), sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
        found = sqlite3_step(st) == SQLITE_ROW;
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
    x->deleted[x->nnames] = d->deleted;
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

static void prov_of(rctx *x, uint64_t ino, husk_prov *p, char *how, size_t hown)
{
    p->recovered_from = "live";
    p->confidence = 1.0;
    if (how && hown)
        how[0] = '\0';
    husk_fs_provenance(x->view, ino, p, how, hown);
    if (!p->recovered_from)
        p->recovered_from = "live";
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
        snprintf(p->dir, sizeof p->dir, "/var/log/pods/%s", x->names[i]);
        prov_of(x, x->inos[i], &p->prov, p->how, sizeof p->how);
        p->known = in_table(x, "SELECT 1 FROM pods WHERE uid = ?", p->uid);
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
        if (tn > 0 && (size_t)tn < sizeof target && target[0] == '/') {
            target[tn] = '\0';
            snprintf(c->log, sizeof c->log, "%s", target);
        }
        prov_of(x, x->inos[i], &c->prov, NULL, 0);
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
        prov_of(x, x->inos[i], &p, NULL, 0);
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

static const char *ns_time(json_t *o, const char *key, char out[40])
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    out[0] = '\0';
    if (v > 0) {
        husk_timespec t = husk_log_time_from_ns((int64_t)v);
        husk_log_time_format(&t, out, 40);
    }
    return out[0] ? out : NULL;
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
    const char *v[3] = {ns_time(status, "CreatedAt", cr), ns_time(status, "StartedAt", st),
                        ns_time(status, "FinishedAt", fin)};
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
    const rpod *p = c->from_link ? pod_by_name(x, c->ns, c->pod) : NULL;
    if (p && !c->log[0] && c->name[0]) /* the link's target was not recovered: the kubelet's layout */
        snprintf(((rctr *)c)->log, sizeof c->log, "%s/%s/0.log", p->dir, c->name);
    const char *pod_uid = p ? p->uid : NULL;
    char live_uid[129] = "";
    if (!p && c->from_link) { /* the pod may still be live */
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
    }
    json_t *pid = json_object_get(status, "Pid"), *exitc = json_object_get(status, "ExitCode");
    husk_row_container row = {
        .id = c->id,
        .name = c->name[0] ? c->name : NULL,
        .created = ns_time(status, "CreatedAt", cr),
        .started_at = ns_time(status, "StartedAt", st),
        .finished_at = ns_time(status, "FinishedAt", fin),
        .state = "removed",
        .exit_code = exitc ? json_integer_value(exitc) : HUSK_NULL_INT,
        .pid = pid ? json_integer_value(pid) : HUSK_NULL_INT,
        .restart_count = HUSK_NULL_INT,
        .log_driver = c->log[0] ? "cri" : NULL,
        .privileged = HUSK_NULL_INT,
        .readonly_rootfs = HUSK_NULL_INT,
        .recovered_from = c->prov.recovered_from,
        .confidence = c->prov.confidence,
        .data_root_id = x->r->db_id,
        .runtime = "containerd",
        .ns = "k8s.io", /* the CRI plugin's namespace */
        .pod_uid = pod_uid,
    };
    int rc = husk_casedb_add_container(x->db, &row, x->err);
    husk_diag_report(x->diag, PHASE, c->source && !strcmp(c->source, "log-link") ? "/var/log/containers" : path, -1,
                     "container %s%s%s: removed; named by %s (%s, confidence %.2f)%s; its image, "
                     "command and rights were not recovered (meta.db no longer holds its record, "
                     "and its free pages were reused)",
                     c->id, c->name[0] ? " " : "", c->name,
                     c->from_link ? "its deleted /var/log/containers link" : "its CRI directory",
                     c->prov.recovered_from, c->prov.confidence,
                     status ? "; times, exit code and pid from its CRI status file" : "");
    json_decref(status);
    return rc;
}

/* Logs of a container that has none in the case yet, read from the view. */
static int ctr_logs(rctx *x, const char *id, const char *log)
{
    if (!log[0] || in_table(x, "SELECT 1 FROM logs WHERE container_id = ? LIMIT 1", id))
        return 0;
    husk_prov rec = {"journal", 0.5}; /* each file's own provenance replaces it */
    return husk_cri_logs(x->view, log, id, &rec, x->db, x->diag, x->err);
}

static int write_pod(rctx *x, const rpod *p)
{
    husk_row_pod row = {
        .uid = p->uid,
        .name = p->name,
        .ns = p->ns,
        .state = "removed",
        .log_directory = p->dir,
        .host_network = HUSK_NULL_INT,
        .host_pid = HUSK_NULL_INT,
        .host_ipc = HUSK_NULL_INT,
        .recovered_from = strcmp(p->prov.recovered_from, "live") ? p->prov.recovered_from
                                                                 : "pod-log-dir",
        .confidence = p->prov.confidence,
        .data_root_id = x->r->db_id,
    };
    husk_diag_report(x->diag, PHASE, p->dir, -1,
                     "pod %s/%s (uid %s): removed; named by its %s log directory (%s, confidence "
                     "%.2f)",
                     p->ns, p->name, p->uid,
                     strcmp(p->prov.recovered_from, "live") ? "deleted" : "remaining",
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
        prov_of(x, x->inos[i], &p, NULL, 0);
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

int husk_cri_removed(husk_fs *view, const husk_docker_root *r, const char *ctrd_path,
                     husk_casedb *db, husk_diag *diag, husk_err *err)
{
    rctx x = {.view = view, .r = r, .db = db, .diag = diag, .err = err};
    x.names = malloc(MAX_ENTRIES * sizeof *x.names);
    x.inos = malloc(MAX_ENTRIES * sizeof *x.inos);
    x.deleted = malloc(MAX_ENTRIES * sizeof *x.deleted);
    int rc = 0;
    if (!x.names || !x.inos || !x.deleted)
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    char cri[700] = "";
    if (ctrd_path)
        snprintf(cri, sizeof cri, "%s/" CRI_DIR, ctrd_path);
    if (rc == 0) {
        read_pod_dirs(&x);
        read_log_links(&x);
        if (cri[0])
            read_cri_dirs(&x, cri);
        if (x.nomem)
            rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < x.npods; i++)
        if (!x.pods[i].known)
            rc = write_pod(&x, &x.pods[i]);
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
            rc = ctr_logs(&x, c->id, c->log);
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
            rc = ctr_logs(&x, pairs[i][0], pairs[i][1]);
        free(pairs);
    }
    if (rc == 0 && ctrd_path)
        rc = orphan_snapshots(&x, ctrd_path);
    free(x.pods);
    free(x.ctrs);
    free(x.names);
    free(x.inos);
    free(x.deleted);
    return rc;
}
