/*
 * The timeline table (docs/case-db.md): every timestamped fact of the other tables in one
 * place, copied with INSERT ... SELECT once everything else is written. The source tables
 * already hold times in the case database's form (UTC, nine fraction digits), so rows sort
 * as text across sources. No value comes from outside the database: the statements take no
 * parameters, and the only text put into one is a column name from a constant list.
 * Every row names the row it was copied from (src_table, src_rowid) and carries that row's
 * recovered_from and confidence where the table has them, so exports can show provenance.
 */
#include <stdio.h>

#include "casedb_int.h"

/* One statement per timestamped column. source says which table (or, for files, which
 * scope: upper, init, image, volume, host) the fact comes from; kind what the time means. */
static const char *const timeline_sql[] = {
    /* containers: created, started, finished */
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT created, 'container', 'created', id, NULL, 'container ' || "
    "coalesce(name, substr(id, 1, 12)) || ' created from image ' || "
    "coalesce(image_ref, image_id, '?'), 'containers', rowid, recovered_from, confidence "
    "FROM containers WHERE created IS NOT NULL",

    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT started_at, 'container', 'started', id, NULL, 'container ' || "
    "coalesce(name, substr(id, 1, 12)) || ' started (' || coalesce(path, '?') || ')' "
    ", 'containers', rowid, recovered_from, confidence "
    "FROM containers WHERE started_at IS NOT NULL",

    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT finished_at, 'container', 'finished', id, NULL, 'container ' || "
    "coalesce(name, substr(id, 1, 12)) || ' finished' || "
    "coalesce(' (exit code ' || exit_code || ')', '') "
    ", 'containers', rowid, recovered_from, confidence "
    "FROM containers WHERE finished_at IS NOT NULL",

    /* images: the config's created time, and when the daemon last tagged or pulled it */
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT created, 'image', 'created', NULL, NULL, 'image ' || "
    "coalesce(CASE WHEN json_valid(repo_tags) THEN json_extract(repo_tags, '$[0]') END, id) "
    "|| ' created', 'images', rowid, recovered_from, NULL FROM images WHERE created IS NOT NULL",

    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT last_updated, 'image', 'last-updated', NULL, NULL, 'image ' || "
    "coalesce(CASE WHEN json_valid(repo_tags) THEN json_extract(repo_tags, '$[0]') END, id) "
    "|| ' last updated in the image store', 'images', rowid, recovered_from, NULL "
    "FROM images WHERE last_updated IS NOT NULL",

    /* image history: one row per build step */
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT created, 'image-history', 'created', NULL, NULL, 'image ' || "
    "substr(replace(image_id, 'sha256:', ''), 1, 12) || ' step ' || idx || ': ' || "
    "coalesce(substr(created_by, 1, 200), '?'), 'image_history', rowid, NULL, NULL "
    "FROM image_history WHERE created IS NOT NULL",

    /* Kubernetes: pods as their sandboxes were made, service-account tokens as issued, and
     * the kubelet's files (static pod manifests, its configuration, kubeconfigs) as changed */
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT created, 'pod', 'created', sandbox_id, log_directory, 'pod ' || "
    "coalesce(namespace, '?') || '/' || coalesce(name, uid, '?') || ' created' || "
    "CASE WHEN state = 'removed' THEN ' (removed since)' ELSE '' END, 'pods', rowid, "
    "recovered_from, confidence FROM pods WHERE created IS NOT NULL",

    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT issued_at, 'sa-token', 'created', NULL, path, 'service-account token of ' || "
    "coalesce(subject, '?') || ' issued for pod ' || coalesce(pod_uid, '?'), 'sa_tokens', rowid, "
    "recovered_from, confidence FROM sa_tokens WHERE issued_at IS NOT NULL",

    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT mtime, 'kubelet', 'mtime', NULL, path, 'kubelet file (' || coalesce(kind, '?') || "
    "') ' || coalesce(path, '?') || ' modified', 'kubelet_files', rowid, 'live', 1.0 "
    "FROM kubelet_files WHERE mtime IS NOT NULL",

    /* log lines: the message itself, cut, or a marker for bytes that are not text */
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT time, coalesce(source, 'log'), 'log', container_id, file, "
    "CASE WHEN typeof(message) = 'blob' THEN '(binary)' "
    "ELSE coalesce(substr(message, 1, 200), '') END, 'logs', id, recovered_from, NULL "
    "FROM logs WHERE time IS NOT NULL",
};

/* files: each of the four times is its own fact; %s is the column, from file_times only.
 * The description says what changed and, for recovered rows, how the row was recovered. */
static const char *const file_sql =
    "INSERT INTO timeline(time, source, kind, container_id, path, description, src_table, "
    "src_rowid, recovered_from, confidence) "
    "SELECT %s, scope, '%s', container_id, path, "
    "coalesce(change || ' ', '') || coalesce(type, 'file') || ' ' || coalesce(path, '?') || "
    "coalesce(' (' || size || ' bytes)', '') || "
    "CASE WHEN recovered_from IS NOT NULL AND recovered_from <> 'live' "
    "THEN ' [recovered: ' || recovered_from || ']' ELSE '' END, "
    "'files', id, recovered_from, confidence FROM files WHERE %s IS NOT NULL";
static const char *const file_times[] = {"mtime", "ctime", "crtime", "atime"};

static int run(husk_casedb *db, const char *sql, husk_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return husk_err_set(err, HUSK_E_DB, "building the timeline: %s", sqlite3_errmsg(db->db));
    return 0;
}

int husk_timeline_build(husk_casedb *db, husk_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof timeline_sql / sizeof timeline_sql[0]; i++)
        rc = run(db, timeline_sql[i], err);
    for (size_t i = 0; rc == 0 && i < sizeof file_times / sizeof file_times[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, file_sql, file_times[i], file_times[i], file_times[i]);
        rc = run(db, sql, err);
    }
    return rc;
}
