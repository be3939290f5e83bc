/* Writers for carving merged into the case: the carved and recovery_summary tables
 * (include/husk/casedb.h). Every value is bound. */
#include <sqlite3.h>

#include "casedb_int.h"

int husk_casedb_add_carved(husk_casedb *db, const husk_row_carved *r, int64_t *id, husk_err *err)
{
    int rc = casedb_run(db, STMT_CARVED,
                        "INSERT INTO carved(filesystem_id, kind, offset, location, in_gzip, "
                        "gzip_offset, size, sha256, data) VALUES(?,?,?,?,?,?,?,?,?)",
                        err, "ititiiitm", r->filesystem_id, r->kind, (int64_t)r->offset,
                        r->location, (int64_t)r->in_gzip,
                        r->in_gzip ? (int64_t)r->gzip_offset : HUSK_NULL_INT, (int64_t)r->len,
                        r->sha256, (const char *)r->data, r->len);
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(db->db);
    return rc;
}

int husk_casedb_set_carved_use(husk_casedb *db, int64_t id, const char *container_id,
                               const char *used_as, const char *attribution, double confidence,
                               int64_t logs_id, husk_err *err)
{
    return casedb_run(db, STMT_CARVED_SET,
                      "UPDATE carved SET container_id = ?, used_as = ?, attribution = ?, "
                      "confidence = ?, logs_id = ? WHERE id = ?",
                      err, "tttdii", container_id, used_as, attribution, confidence, logs_id, id);
}

int husk_casedb_drop_container(husk_casedb *db, const char *id, husk_err *err)
{
    int rc = casedb_exec(db, "DELETE FROM mounts WHERE container_id = ?", err, "t", id);
    if (rc == 0)
        rc = casedb_exec(db, "DELETE FROM containers WHERE id = ? AND state = 'removed'", err, "t", id);
    return rc;
}

int husk_casedb_index_log_times(husk_casedb *db, husk_err *err)
{
    /* a sort of every log row: in bounded memory */
    int rc = husk_casedb_sort_begin(db, err);
    if (rc == 0)
        rc = casedb_exec(db, "CREATE INDEX IF NOT EXISTS logs_time ON logs(time, stream)", err, "");
    int r2 = husk_casedb_sort_end(db, rc == 0 ? err : NULL);
    return rc < 0 ? rc : r2;
}

int husk_casedb_add_recovery(husk_casedb *db, const husk_row_recovery *r, husk_err *err)
{
    return casedb_run(db, STMT_SUMMARY,
                      "INSERT INTO recovery_summary(container_id, item, status, count, method, "
                      "confidence, detail) VALUES(?,?,?,?,?,?,?)",
                      err, "tttitdt", r->container_id, r->item, r->status, r->count, r->method,
                      r->confidence, r->detail);
}

int husk_casedb_carved_hostconfig_dups(husk_casedb *db, husk_err *err)
{
    return casedb_exec(db,
                      "UPDATE carved SET used_as = 'duplicate', container_id = (SELECT c.id FROM "
                      "containers c WHERE CAST(c.hostconfig_json AS BLOB) = carved.data LIMIT 1) "
                      "WHERE kind = 'hostconfig' AND used_as IS NULL AND EXISTS(SELECT 1 FROM "
                      "containers c WHERE CAST(c.hostconfig_json AS BLOB) = carved.data)",
                      err, "");
}
