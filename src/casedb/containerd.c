/* Writers for the containerd and pod tables (include/husk/casedb.h). Few rows per case, so
 * each statement is prepared per call; every value is bound. */
#include <sqlite3.h>
#include <stdarg.h>

#include "casedb_int.h"

/* Binds types ('t' text, 'i' int64 with HUSK_NULL_INT as NULL, 'd' double <0 NULL) and runs. */
static int run(husk_casedb *db, const char *sql, husk_err *err, const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    va_list ap;
    va_start(ap, types);
    for (int i = 0; rc == SQLITE_OK && types[i]; i++) {
        if (types[i] == 't') {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, i + 1);
        } else if (types[i] == 'i') {
            int64_t v = va_arg(ap, int64_t);
            rc = v == HUSK_NULL_INT ? sqlite3_bind_null(st, i + 1) : sqlite3_bind_int64(st, i + 1, v);
        } else {
            double v = va_arg(ap, double);
            rc = v < 0 ? sqlite3_bind_null(st, i + 1) : sqlite3_bind_double(st, i + 1, v);
        }
    }
    va_end(ap);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database write: %s", sqlite3_errmsg(db->db));
    return 0;
}

int husk_casedb_add_ctrd_snapshot(husk_casedb *db, const husk_row_ctrd_snapshot *r, husk_err *err)
{
    return run(db,
               "INSERT INTO containerd_snapshots(data_root_id, namespace, snapshotter, key, "
               "parent, backend_name, backend_id, kind, created, updated, labels, recovered_from) "
               "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
               err, "itttttitttt" "t", r->data_root_id, r->ns, r->snapshotter, r->key, r->parent,
               r->backend_name, r->backend_id, r->kind, r->created, r->updated, r->labels,
               r->recovered_from);
}

int husk_casedb_add_ctrd_content(husk_casedb *db, const husk_row_ctrd_content *r, husk_err *err)
{
    return run(db,
               "INSERT INTO containerd_content(data_root_id, namespace, digest, size, created, "
               "updated, labels, recovered_from) VALUES(?,?,?,?,?,?,?,?)",
               err, "ittitttt", r->data_root_id, r->ns, r->digest, r->size, r->created,
               r->updated, r->labels, r->recovered_from);
}

int husk_casedb_add_ctrd_lease(husk_casedb *db, const husk_row_ctrd_lease *r, husk_err *err)
{
    return run(db,
               "INSERT INTO containerd_leases(data_root_id, namespace, id, created, labels, "
               "resources, recovered_from) VALUES(?,?,?,?,?,?,?)",
               err, "ittttt" "t", r->data_root_id, r->ns, r->id, r->created, r->labels,
               r->resources, r->recovered_from);
}

int husk_casedb_add_pod(husk_casedb *db, const husk_row_pod *r, husk_err *err)
{
    return run(db,
               "INSERT INTO pods(uid, name, namespace, sandbox_id, created, state, hostname, "
               "log_directory, host_network, host_pid, host_ipc, labels, annotations, "
               "config_json, recovered_from, confidence, data_root_id) "
               "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               err, "ttttttttiiitttt" "di", r->uid, r->name, r->ns, r->sandbox_id, r->created,
               r->state, r->hostname, r->log_directory, r->host_network, r->host_pid,
               r->host_ipc, r->labels, r->annotations, r->config_json, r->recovered_from,
               r->confidence, r->data_root_id);
}

/* A text value of n bytes bound as TEXT (NULL stays NULL). */
static int bind_text_n(sqlite3_stmt *st, int col, const char *s, size_t n)
{
    return s ? sqlite3_bind_text(st, col, s, (int)n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, col);
}

static int step_done(husk_casedb *db, sqlite3_stmt *st, int rc, husk_err *err)
{
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database write: %s", sqlite3_errmsg(db->db));
    return 0;
}

int husk_casedb_add_sa_token(husk_casedb *db, const husk_row_sa_token *r, husk_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db,
                                "INSERT INTO sa_tokens(pod_uid, volume, path, sha256, header_json, "
                                "claims_json, subject, issuer, issued_at, expires_at, token, "
                                "data_root_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &st, NULL);
    const char *t[] = {r->pod_uid, r->volume,  r->path,   r->sha256,    r->header_json,
                       r->claims_json, r->subject, r->issuer, r->issued_at, r->expires_at};
    for (int i = 0; rc == SQLITE_OK && i < 10; i++)
        rc = t[i] ? sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(st, i + 1);
    if (rc == SQLITE_OK)
        rc = bind_text_n(st, 11, r->token, r->token_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 12, r->data_root_id);
    return step_done(db, st, rc, err);
}

int husk_casedb_add_kubelet_file(husk_casedb *db, const husk_row_kubelet_file *r, husk_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db,
                                "INSERT INTO kubelet_files(kind, path, sha256, size, mtime, ctime, "
                                "content, filesystem_id) VALUES(?,?,?,?,?,?,?,?)",
                                -1, &st, NULL);
    const char *t[] = {r->kind, r->path, r->sha256};
    for (int i = 0; rc == SQLITE_OK && i < 3; i++)
        rc = t[i] ? sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(st, i + 1);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, r->size);
    if (rc == SQLITE_OK)
        rc = r->mtime ? sqlite3_bind_text(st, 5, r->mtime, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 5);
    if (rc == SQLITE_OK)
        rc = r->ctime ? sqlite3_bind_text(st, 6, r->ctime, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 6);
    if (rc == SQLITE_OK)
        rc = bind_text_n(st, 7, r->content, r->content_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 8, r->filesystem_id);
    return step_done(db, st, rc, err);
}
