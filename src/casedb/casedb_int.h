/* Internals shared by the case database's source files. */
#ifndef HUSK_CASEDB_INT_H
#define HUSK_CASEDB_INT_H

#include <sqlite3.h>

#include "husk/casedb.h"

enum casedb_stmt_id {
    STMT_IMAGE,
    STMT_HISTORY,
    STMT_LAYER,
    STMT_CONTAINER,
    STMT_MOUNT,
    STMT_FILE,
    STMT_DIFF,
    STMT_LOG,
    STMT_FINDING,
    STMT_TIMELINE,
    STMT_CARVED,
    STMT_CARVED_SET,
    STMT_SUMMARY,
    STMT_FILE_HASH,
    STMT_COUNT
};

struct husk_casedb {
    sqlite3 *db;
    int in_tx;
    int sorting; /* depth of husk_casedb_sort_begin */
    sqlite3_stmt *stmts[STMT_COUNT]; /* prepared on first use, finalized on close */
};

/*
 * Binds and runs the cached statement id (prepared from sql on first use). types names one
 * argument each: 't' text (NULL -> NULL), 'i' int64 (HUSK_NULL_INT -> NULL), 'd' double
 * (negative -> NULL), 'm' a message given as (const char *, size_t): TEXT when valid UTF-8
 * without NUL, else a BLOB of the exact bytes.
 */
int casedb_run(husk_casedb *db, enum casedb_stmt_id id, const char *sql, husk_err *err,
               const char *types, ...);

/* The same for a statement run rarely: prepared, run once and finalized. */
int casedb_exec(husk_casedb *db, const char *sql, husk_err *err, const char *types, ...);

#endif
