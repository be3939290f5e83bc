/* Row writers for the analysis tables (include/husk/casedb.h). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "casedb_int.h"

/* 1 when s[0..n) is valid UTF-8 and holds no NUL (what a TEXT column can keep exactly). */
static int clean_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        uint32_t v;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            k = 2, v = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            k = 3, v = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            k = 4, v = c & 0x07;
        else
            return 0;
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            v = v << 6 | (s[i + j] & 0x3F);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (v < min[k] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

/* Binds the arguments described by types (see casedb_run) to st, runs it once and resets it. */
static int bind_run(husk_casedb *db, sqlite3_stmt *st, husk_err *err, const char *types,
                    va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        int col = i + 1;
        switch (types[i]) {
        case 't': {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, col);
            break;
        }
        case 'i': {
            int64_t v = va_arg(ap, int64_t);
            rc = v == HUSK_NULL_INT ? sqlite3_bind_null(st, col) : sqlite3_bind_int64(st, col, v);
            break;
        }
        case 'd': {
            double v = va_arg(ap, double);
            rc = v < 0 || isnan(v) ? sqlite3_bind_null(st, col) : sqlite3_bind_double(st, col, v);
            break;
        }
        case 'm': {
            const char *s = va_arg(ap, const char *);
            size_t n = va_arg(ap, size_t);
            if (!s)
                rc = sqlite3_bind_null(st, col);
            else if (n > INT32_MAX)
                rc = SQLITE_TOOBIG;
            else if (clean_utf8((const unsigned char *)s, n))
                rc = sqlite3_bind_text(st, col, s, (int)n, SQLITE_STATIC);
            else
                rc = sqlite3_bind_blob(st, col, s, (int)n, SQLITE_STATIC);
            break;
        }
        default: rc = SQLITE_MISUSE;
        }
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    /* SQLITE_STATIC above is safe: the caller's strings outlive the step, and the bindings
     * are cleared before this returns, so SQLite never holds a pointer past this call.
     * It saves a copy of every value of the million-row log inserts. */
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database write: %s", sqlite3_errmsg(db->db));
    return 0;
}

int casedb_run(husk_casedb *db, enum casedb_stmt_id id, const char *sql, husk_err *err,
               const char *types, ...)
{
    sqlite3_stmt *st = db->stmts[id];
    if (!st) {
        if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK)
            return husk_err_set(err, HUSK_E_DB, "case database statement: %s",
                                sqlite3_errmsg(db->db));
        db->stmts[id] = st;
    }
    va_list ap;
    va_start(ap, types);
    int rc = bind_run(db, st, err, types, ap);
    va_end(ap);
    return rc;
}

int casedb_exec(husk_casedb *db, const char *sql, husk_err *err, const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database statement: %s",
                            sqlite3_errmsg(db->db));
    va_list ap;
    va_start(ap, types);
    int rc = bind_run(db, st, err, types, ap);
    va_end(ap);
    sqlite3_finalize(st);
    return rc;
}

int husk_casedb_add_image(husk_casedb *db, const husk_row_image *r, husk_err *err)
{
    return casedb_run(db, STMT_IMAGE,
                      "INSERT OR REPLACE INTO images(id, repo_tags, created, os, architecture, "
                      "config_json, recovered_from, repo_digests, parent, last_updated, size, "
                      "digest_ok, data_root_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      err, "ttttttttttiii", r->id, r->repo_tags, r->created, r->os,
                      r->architecture, r->config_json, r->recovered_from, r->repo_digests,
                      r->parent, r->last_updated, r->size, r->digest_ok, r->data_root_id);
}

int husk_casedb_add_history(husk_casedb *db, const husk_row_history *r, husk_err *err)
{
    return casedb_run(db, STMT_HISTORY,
                      "INSERT INTO image_history(image_id, idx, created, created_by, "
                      "empty_layer, comment, size, chain_id) VALUES(?,?,?,?,?,?,?,?)",
                      err, "tittitit", r->image_id, r->idx, r->created, r->created_by,
                      (int64_t)r->empty_layer, r->comment, r->size, r->chain_id);
}

int husk_casedb_add_layer(husk_casedb *db, const husk_row_layer *r, husk_err *err)
{
    return casedb_run(db, STMT_LAYER,
                      "INSERT OR REPLACE INTO layers(chain_id, diff_id, parent_chain_id, "
                      "cache_id, size, integrity, data_root_id) VALUES(?,?,?,?,?,?,?)",
                      err, "ttttiti", r->chain_id, r->diff_id, r->parent_chain_id, r->cache_id,
                      r->size < 0 ? HUSK_NULL_INT : r->size, r->integrity, r->data_root_id);
}

int husk_casedb_add_container(husk_casedb *db, const husk_row_container *r, husk_err *err)
{
    return casedb_run(
        db, STMT_CONTAINER,
        "INSERT OR REPLACE INTO containers(id, name, image_id, image_ref, created, started_at, "
        "finished_at, state, exit_code, pid, restart_count, driver, rw_layer, path, args, "
        "entrypoint, cmd, env, user, working_dir, labels, log_driver, privileged, pid_mode, "
        "ipc_mode, network_mode, userns_mode, cgroupns_mode, uts_mode, cap_add, cap_drop, "
        "security_opt, devices, masked_paths, readonly_rootfs, binds, config_json, "
        "hostconfig_json, recovered_from, confidence, data_root_id, runtime, namespace, pod_uid, "
        "sandbox_id) VALUES(?,?,?,?,?,?,?,?,?,?,"
        "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err, "ttttttttiiitttttttttttitttttttttttittttditttt", r->id, r->name, r->image_id,
        r->image_ref, r->created, r->started_at, r->finished_at, r->state, r->exit_code, r->pid,
        r->restart_count, r->driver, r->rw_layer, r->path, r->args, r->entrypoint, r->cmd, r->env,
        r->user, r->working_dir, r->labels, r->log_driver, r->privileged, r->pid_mode,
        r->ipc_mode, r->network_mode, r->userns_mode, r->cgroupns_mode, r->uts_mode, r->cap_add,
        r->cap_drop, r->security_opt, r->devices, r->masked_paths, r->readonly_rootfs, r->binds,
        r->config_json, r->hostconfig_json, r->recovered_from, r->confidence, r->data_root_id,
        r->runtime ? r->runtime : "docker", r->ns, r->pod_uid, r->sandbox_id);
}

int husk_casedb_add_mount(husk_casedb *db, const husk_row_mount *r, husk_err *err)
{
    return casedb_run(db, STMT_MOUNT,
                      "INSERT INTO mounts(container_id, type, source, destination, rw, "
                      "propagation, volume_name) VALUES(?,?,?,?,?,?,?)",
                      err, "ttttitt", r->container_id, r->type, r->source, r->destination, r->rw,
                      r->propagation, r->volume_name);
}

int husk_casedb_add_file(husk_casedb *db, const husk_row_file *r, int64_t *id, husk_err *err)
{
    int rc = casedb_run(
        db, STMT_FILE,
        "INSERT INTO files(container_id, layer, scope, path, change, type, mode, uid, gid, size, "
        "mtime, atime, ctime, crtime, inode, sha256, magic, link_target, recovered_from, "
        "confidence, filesystem_id, host_path) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err, "ttttttiiiittttittttdit", r->container_id, r->layer, r->scope, r->path, r->change,
        r->type, r->mode, r->uid, r->gid, r->size, r->mtime, r->atime, r->ctime, r->crtime,
        r->inode, r->sha256, r->magic, r->link_target, r->recovered_from, r->confidence,
        r->filesystem_id, r->host_path);
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(db->db);
    return rc;
}

int husk_casedb_set_file_hash(husk_casedb *db, int64_t id, const char *sha256, const char *magic,
                              husk_err *err)
{
    return casedb_run(db, STMT_FILE_HASH,
                      "UPDATE files SET sha256 = coalesce(?1, sha256), magic = coalesce(?2, magic) "
                      "WHERE id = ?3",
                      err, "tti", sha256, magic, id);
}

int husk_casedb_add_diff(husk_casedb *db, const char *container_id, const char *change,
                         const char *path, husk_err *err)
{
    return casedb_run(db, STMT_DIFF,
                      "INSERT INTO container_diff(container_id, change, path) VALUES(?,?,?)", err,
                      "ttt", container_id, change, path);
}

int husk_casedb_add_log(husk_casedb *db, const husk_row_log *r, husk_err *err)
{
    return casedb_run(db, STMT_LOG,
                      "INSERT INTO logs(container_id, source, file, seq, time, stream, message, "
                      "partial, recovered_from, confidence, attribution) "
                      "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                      err, "tttittmitdt", r->container_id, r->source, r->file, r->seq, r->time,
                      r->stream, r->message, r->message_len, (int64_t)r->partial,
                      r->recovered_from, r->confidence, r->attribution);
}

int husk_casedb_add_finding(husk_casedb *db, const husk_row_finding *r, husk_err *err)
{
    return casedb_run(db, STMT_FINDING,
                      "INSERT INTO findings(container_id, severity, rule, title, evidence, path) "
                      "VALUES(?,?,?,?,?,?)",
                      err, "tttttt", r->container_id, r->severity, r->rule, r->title, r->evidence,
                      r->path);
}

int husk_casedb_add_timeline(husk_casedb *db, const husk_row_timeline *r, husk_err *err)
{
    return casedb_run(db, STMT_TIMELINE,
                      "INSERT INTO timeline(time, source, kind, container_id, path, description) "
                      "VALUES(?,?,?,?,?,?)",
                      err, "tttttt", r->time, r->source, r->kind, r->container_id, r->path,
                      r->description);
}

/* Few rows per case (one per volume), so the statement is prepared per call rather than kept
 * among the cached ones. */
int husk_casedb_add_docker_volume(husk_casedb *db, const husk_row_docker_volume *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO docker_volumes(name, driver, labels, options, created, "
                       "mountpoint, data_root_id, recovered_from, opts_json) "
                       "VALUES(?,?,?,?,?,?,?,?,?)",
                       err, "ttttttitt", r->name, r->driver, r->labels, r->options, r->created,
                       r->mountpoint, r->data_root_id, r->recovered_from, r->opts_json);
}
