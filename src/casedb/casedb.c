/* Case database writer and reader (include/husk/casedb.h). */
#include "husk/casedb.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casedb_int.h"
#include "schema_sql.h" /* generated from src/casedb/schema.sql: const char husk_schema_sql[] */


static int db_fail(husk_casedb *db, husk_err *err, const char *what)
{
    return husk_err_set(err, HUSK_E_DB, "%s: %s", what,
                        db && db->db ? sqlite3_errmsg(db->db) : "no database");
}

void husk_now_rfc3339(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%09ldZ", base, ts.tv_nsec);
}

/* The page cache (KiB), and what it is while a sort runs (husk_casedb_sort_begin). */
#define CACHE_KIB "65536"
#define SORT_CACHE_KIB "2048"

static int exec_sql(husk_casedb *db, const char *sql, husk_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int r = husk_err_set(err, HUSK_E_DB, "case database: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return r;
    }
    return 0;
}

/* SQLite gives a sort (CREATE INDEX, an ORDER BY that no index serves) as much memory as the
 * page cache before it writes sorted runs to temporary files: with the analysis's 64 MiB
 * cache, up to 64 MiB on top of the cache, and the more rows, the more of it. While the cache
 * is small, so is the sort's memory; the pages the transaction changed are written to the
 * database file as the small cache needs room (SQLite spills them), and the cache grows back
 * to its size after. */
int husk_casedb_sort_begin(husk_casedb *db, husk_err *err)
{
    if (db->sorting++)
        return 0;
    int r = exec_sql(db, "PRAGMA cache_size=-" SORT_CACHE_KIB ";", err);
    if (r < 0)
        db->sorting--;
    return r;
}

int husk_casedb_sort_end(husk_casedb *db, husk_err *err)
{
    if (db->sorting > 0 && --db->sorting)
        return 0;
    return exec_sql(db, "PRAGMA cache_size=-" CACHE_KIB ";", err);
}

/* Whether another process holds a lock on the file: a running analysis keeps SQLite's
 * exclusive lock (POSIX record locks) from its first commit to its end. */
static int locked_elsewhere(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int locked = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return locked;
}

int husk_casedb_create(const char *path, int force, husk_casedb **out, husk_err *err)
{
    *out = NULL;
    struct stat st;
    if (lstat(path, &st) == 0) {
        /* --force must not pull the file from under a run that is still writing it */
        if (S_ISREG(st.st_mode) && locked_elsewhere(path))
            return husk_err_set(err, HUSK_E_DB,
                                "case database '%s' is locked: another husk analyse is writing "
                                "it (wait for it to finish, or choose another -o)",
                                path);
        if (!force)
            return husk_err_set(err, HUSK_E_DB,
                                "case database '%s' already exists (use --force to replace it, "
                                "or choose another -o)",
                                path);
        if (!S_ISREG(st.st_mode))
            return husk_err_set(err, HUSK_E_DB, "'%s' exists and is not a regular file", path);
        if (unlink(path) != 0)
            return husk_err_set(err, HUSK_E_DB, "cannot replace '%s': %s", path,
                                strerror(errno));
        char side[4200];
        for (int i = 0; i < 2; i++) {
            snprintf(side, sizeof side, "%s%s", path, i ? "-wal" : "-journal");
            unlink(side);
        }
    }
    /* O_EXCL: two runs racing for one output path cannot both create it */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return husk_err_set(err, HUSK_E_DB, "cannot create case database '%s': %s", path,
                            strerror(errno));
    close(fd);
    husk_casedb *db = calloc(1, sizeof *db);
    if (!db)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    /* No memory statistics: with them every SQLite allocation takes a global mutex (5 % of a
     * log-heavy analysis). Refused, harmlessly, once SQLite is initialised. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* one thread uses a case database: no SQLite mutex on every call */
    if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int r = db_fail(db, err, "cannot open case database");
        husk_casedb_close(db);
        return r;
    }
    /* Hold the write lock for the whole run: a second writer fails instead of interleaving.
     * 16 KiB pages: a case is written in one transaction of up to millions of rows, which
     * outgrows the page cache; with 4 KiB pages SQLite spilled it a page per write call
     * (15 % less CPU for an analysis without typing on the bench node, docs/performance.md). */
    int r = exec_sql(db,
                     "PRAGMA page_size=16384;"
                     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=DELETE;"
                     "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
                     /* 64 MiB of page cache: the analysis is one transaction, and with the
                      * default 2 MiB the index B-trees of a million log and timeline rows
                      * spilled and were re-read on every insert (docs/performance.md) */
                     "PRAGMA cache_size=-" CACHE_KIB ";",
                     err);
    if (r == 0)
        r = husk_casedb_begin(db, err);
    if (r == 0)
        r = exec_sql(db, husk_schema_sql, err);
    char ver[16];
    snprintf(ver, sizeof ver, "%d", HUSK_SCHEMA_VERSION);
    if (r == 0)
        r = husk_casedb_set_info(db, "schema_version", ver, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "finished_at", NULL, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "status", "incomplete: analysis running or interrupted",
                                 err);
    if (r == 0)
        r = husk_casedb_commit(db, err);
    if (r < 0) {
        husk_casedb_close(db);
        return r;
    }
    *out = db;
    return 0;
}

int husk_casedb_open_ro(const char *path, husk_casedb **out, husk_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "no case database '%s' (create one with 'husk analyse IMAGE -o %s')",
                            path, path);
    husk_casedb *db = calloc(1, sizeof *db);
    if (!db)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int r = db_fail(db, err, "cannot open case database");
        husk_casedb_close(db);
        return r;
    }
    char *v = husk_casedb_get_info(db, "schema_version");
    if (!v) {
        husk_casedb_close(db);
        if (locked_elsewhere(path))
            return husk_err_set(err, HUSK_E_DB,
                                "case database '%s' is locked: a husk analyse is still writing "
                                "it (wait for it to finish)",
                                path);
        return husk_err_set(err, HUSK_E_DB, "'%s' is not a husk case database", path);
    }
    free(v);
    *out = db;
    return 0;
}

void husk_casedb_close(husk_casedb *db)
{
    if (!db)
        return;
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(db->stmts[i]);
    if (db->in_tx)
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db->db);
    free(db);
}

sqlite3 *husk_casedb_sqlite(husk_casedb *db)
{
    return db->db;
}

int husk_casedb_begin(husk_casedb *db, husk_err *err)
{
    if (db->in_tx)
        return 0;
    int r = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (r == 0)
        db->in_tx = 1;
    return r;
}

int husk_casedb_commit(husk_casedb *db, husk_err *err)
{
    if (!db->in_tx)
        return 0;
    int r = exec_sql(db, "COMMIT", err);
    if (r == 0)
        db->in_tx = 0;
    return r;
}

/* Prepares sql, binds the arguments described by types ('t' text or NULL, 'i' int64, 'd'
 * double), runs it once. */
static int run_bound(husk_casedb *db, const char *sql, husk_err *err, const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "case database statement");
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        int rc;
        if (types[i] == 't') {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, i + 1);
        } else if (types[i] == 'i') {
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        } else {
            rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
        }
        if (rc != SQLITE_OK) {
            va_end(ap);
            sqlite3_finalize(st);
            return db_fail(db, err, "case database bind");
        }
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(db, err, "case database write");
    return 0;
}

int husk_casedb_set_info(husk_casedb *db, const char *key, const char *value, husk_err *err)
{
    return run_bound(db, "INSERT OR REPLACE INTO case_info(key, value) VALUES(?, ?)", err, "tt",
                     key, value);
}

char *husk_casedb_get_info(husk_casedb *db, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT value FROM case_info WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

int husk_casedb_add_segment(husk_casedb *db, int idx, const char *path, int64_t size,
                            const char *sha256, husk_err *err)
{
    return run_bound(db,
                     "INSERT INTO evidence_segments(idx, path, size, sha256) VALUES(?, ?, ?, ?)",
                     err, "itit", (int64_t)idx, path, size, sha256);
}

int husk_casedb_add_volume(husk_casedb *db, const char *kind, uint64_t offset, uint64_t length,
                           const char *description, int64_t parent_id, int64_t *id,
                           husk_err *err)
{
    int r = run_bound(db,
                      "INSERT INTO volumes(kind, offset, length, description, parent_id) "
                      "VALUES(?, ?, ?, ?, NULLIF(?, 0))",
                      err, "tiiti", kind, (int64_t)offset, (int64_t)length, description,
                      parent_id);
    if (r == 0 && id)
        *id = sqlite3_last_insert_rowid(db->db);
    return r;
}

int husk_casedb_add_filesystem(husk_casedb *db, int64_t volume_id, uint64_t offset,
                               const char *fstype, const char *label, const char *uuid,
                               uint32_t block_size, uint64_t size, uint64_t root_inode,
                               int64_t *id, husk_err *err)
{
    int r = run_bound(db,
                      "INSERT INTO filesystems(volume_id, offset, fstype, label, uuid, "
                      "block_size, size, root_inode) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                      err, "iitttiii", volume_id, (int64_t)offset, fstype,
                      label && *label ? label : NULL, uuid && *uuid ? uuid : NULL,
                      (int64_t)block_size, (int64_t)size, (int64_t)root_inode);
    if (r == 0 && id)
        *id = sqlite3_last_insert_rowid(db->db);
    return r;
}

int husk_casedb_add_data_root(husk_casedb *db, int64_t fs_id, const char *path,
                              const char *runtime, const char *driver, const char *how,
                              int64_t *id, husk_err *err)
{
    int r = run_bound(db,
                      "INSERT INTO data_roots(filesystem_id, path, runtime, storage_driver, "
                      "how_found) VALUES(?, ?, ?, ?, ?)",
                      err, "itttt", fs_id, path, runtime, driver && *driver ? driver : NULL, how);
    if (r == 0 && id)
        *id = sqlite3_last_insert_rowid(db->db);
    return r;
}

int husk_casedb_set_fs_mount(husk_casedb *db, int64_t fs_id, const char *mount_point,
                             husk_err *err)
{
    int r = run_bound(db, "UPDATE filesystems SET mount_point = ? WHERE id = ?", err, "ti",
                      mount_point, fs_id);
    if (r == 0)
        r = run_bound(db,
                      "UPDATE data_roots SET node_path = CASE WHEN ?1 = '/' THEN path "
                      "WHEN path = '/' THEN ?1 ELSE ?1 || path END WHERE filesystem_id = ?2",
                      err, "ti", mount_point, fs_id);
    return r;
}

int husk_casedb_add_error(husk_casedb *db, const char *phase, const char *object,
                          int64_t offset, const char *message)
{
    char now[40];
    husk_now_rfc3339(now, sizeof now);
    return run_bound(db,
                     "INSERT INTO errors(phase, object, offset, message, time) "
                     "VALUES(?, ?, NULLIF(?, -1), ?, ?)",
                     NULL, "ttitt", phase, object, offset, message, now);
}

int husk_casedb_finish(husk_casedb *db, husk_err *err)
{
    char now[40];
    husk_now_rfc3339(now, sizeof now);
    int r = husk_casedb_begin(db, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "finished_at", now, err);
    if (r == 0)
        r = husk_casedb_set_info(db, "status", "complete", err);
    if (r == 0)
        r = husk_casedb_commit(db, err);
    return r;
}
