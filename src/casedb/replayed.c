/* Journal state and journal-replay provenance in the case database (include/husk/casedb.h). */
#include <stdlib.h>
#include <string.h>

#include "casedb_int.h"

#define REPLAYED "journal-replay"

static int fail(husk_casedb *db, husk_err *err, const char *what)
{
    return husk_err_set(err, HUSK_E_DB, "%s: %s", what, sqlite3_errmsg(husk_casedb_sqlite(db)));
}

/* Prepares sql and binds text (t) and int64 (i) arguments. */
static int prepare(husk_casedb *db, const char *sql, sqlite3_stmt **st, husk_err *err,
                   const char *types, const char *t1, const char *t2, int64_t i1)
{
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db), sql, -1, st, NULL) != SQLITE_OK)
        return fail(db, err, "case database statement");
    const char *texts[2] = {t1, t2};
    int nt = 0, rc = SQLITE_OK;
    for (int k = 0; types[k] && rc == SQLITE_OK; k++)
        rc = types[k] == 't' ? sqlite3_bind_text(*st, k + 1, texts[nt++], -1, SQLITE_TRANSIENT)
                             : sqlite3_bind_int64(*st, k + 1, i1);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return fail(db, err, "case database bind");
    }
    return 0;
}

static int run(husk_casedb *db, const char *sql, husk_err *err, const char *types, const char *t1,
               const char *t2, int64_t i1)
{
    sqlite3_stmt *st;
    int r = prepare(db, sql, &st, err, types, t1, t2, i1);
    if (r < 0)
        return r;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(db, err, "case database write");
}

int husk_casedb_set_fs_journal(husk_casedb *db, int64_t fs_id, const char *state, husk_err *err)
{
    return run(db, "UPDATE filesystems SET journal = ?1 WHERE id = ?2", err, "ti", state, NULL,
               fs_id);
}

int husk_casedb_mark_replayed(husk_casedb *db, int64_t file_id, husk_err *err)
{
    return run(db,
               "UPDATE files SET recovered_from = '" REPLAYED "' WHERE id = ?1 "
               "AND (recovered_from IS NULL OR recovered_from = 'live')",
               err, "i", NULL, NULL, file_id);
}

int husk_casedb_mark_container_replayed(husk_casedb *db, const char *container_id, husk_err *err)
{
    return run(db,
               "UPDATE containers SET recovered_from = '" REPLAYED "' WHERE id = ?1 "
               "AND (recovered_from IS NULL OR recovered_from = 'live')",
               err, "t", container_id, NULL, 0);
}

int husk_casedb_mark_log_file_replayed(husk_casedb *db, const char *container_id, const char *file,
                                       husk_err *err)
{
    return run(db,
               "UPDATE logs SET recovered_from = '" REPLAYED "' WHERE container_id = ?1 "
               "AND file = ?2 AND (recovered_from IS NULL OR recovered_from = 'live')",
               err, "tt", container_id, file, 0);
}

/* Rows of a two-column query, read completely before any callback runs. */
typedef struct rows {
    char **a, **b;
    int64_t *id, *n;
    size_t len, cap;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->len; i++) {
        free(r->a[i]);
        free(r->b[i]);
    }
    free(r->a);
    free(r->b);
    free(r->id);
    free(r->n);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

/* Collects (int, int) rows when ints, else (text, text) rows. */
static int collect(husk_casedb *db, const char *sql, int64_t fs_id, int ints, rows *out,
                   husk_err *err)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    int r = prepare(db, sql, &st, err, "i", NULL, NULL, fs_id);
    if (r < 0)
        return r;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->len == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 64;
            char **na = realloc(out->a, nc * sizeof *na);
            if (na)
                out->a = na;
            char **nb = realloc(out->b, nc * sizeof *nb);
            if (nb)
                out->b = nb;
            int64_t *ni = realloc(out->id, nc * sizeof *ni);
            if (ni)
                out->id = ni;
            int64_t *nn = realloc(out->n, nc * sizeof *nn);
            if (nn)
                out->n = nn;
            if (!na || !nb || !ni || !nn) {
                sqlite3_finalize(st);
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            }
            out->cap = nc;
        }
        size_t i = out->len;
        out->a[i] = out->b[i] = NULL;
        if (ints) {
            out->id[i] = sqlite3_column_int64(st, 0);
            out->n[i] = sqlite3_column_int64(st, 1);
        } else if (!(out->a[i] = dup_col(st, 0)) || !(out->b[i] = dup_col(st, 1))) {
            free(out->a[i]);
            sqlite3_finalize(st);
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        }
        out->len++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(db, err, "case database read");
}

int husk_casedb_each_fs_file(husk_casedb *db, int64_t fs_id, husk_casedb_file_cb cb, void *ctx,
                             husk_err *err)
{
    rows rs;
    int r = collect(db,
                    "SELECT id, inode FROM files WHERE filesystem_id = ?1 AND inode IS NOT NULL "
                    "AND inode > 0 ORDER BY inode",
                    fs_id, 1, &rs, err);
    for (size_t i = 0; r == 0 && i < rs.len; i++)
        r = cb(ctx, rs.id[i], rs.n[i], err);
    rows_free(&rs);
    return r;
}

static int each_text(husk_casedb *db, const char *sql, int64_t fs_id, husk_casedb_path_cb cb,
                     void *ctx, husk_err *err)
{
    rows rs;
    int r = collect(db, sql, fs_id, 0, &rs, err);
    for (size_t i = 0; r == 0 && i < rs.len; i++)
        r = cb(ctx, rs.a[i], rs.b[i], err);
    rows_free(&rs);
    return r;
}

int husk_casedb_each_fs_container(husk_casedb *db, int64_t fs_id, husk_casedb_path_cb cb, void *ctx,
                                  husk_err *err)
{
    /* the data root's path is absolute on its file system ("/var/lib/docker") */
    return each_text(db,
                     "SELECT c.id, rtrim(d.path, '/') || '/containers/' || c.id || "
                     "'/config.v2.json' FROM containers c JOIN data_roots d "
                     "ON d.id = c.data_root_id WHERE d.filesystem_id = ?1 ORDER BY c.id",
                     fs_id, cb, ctx, err);
}

int husk_casedb_each_fs_log_file(husk_casedb *db, int64_t fs_id, husk_casedb_path_cb cb, void *ctx,
                                 husk_err *err)
{
    return each_text(db,
                     "SELECT DISTINCT l.container_id, l.file FROM logs l JOIN containers c "
                     "ON c.id = l.container_id JOIN data_roots d ON d.id = c.data_root_id "
                     "WHERE d.filesystem_id = ?1 AND l.file IS NOT NULL "
                     "ORDER BY l.container_id, l.file",
                     fs_id, cb, ctx, err);
}
