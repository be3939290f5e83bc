/*
 * The case database (docs/case-db.md). This module owns every SQL statement that writes it;
 * every value is bound, never interpolated.
 *
 * Life cycle of an analysis: husk_casedb_create() makes a new file (refusing to overwrite
 * unless forced), creates every table and commits case_info with finished_at NULL; the
 * analysis writes in transactions; husk_casedb_finish() sets finished_at. A run that dies in
 * between leaves a database whose finished_at is NULL: plainly incomplete.
 */
#ifndef HUSK_CASEDB_H
#define HUSK_CASEDB_H

#include <stdint.h>

#include <sqlite3.h>

#include "husk/err.h"

#define HUSK_SCHEMA_VERSION 1

typedef struct husk_casedb husk_casedb;

int husk_casedb_create(const char *path, int force, husk_casedb **out, husk_err *err);
/* Opens an existing case database read-only, checking it is one (schema_version present). */
int husk_casedb_open_ro(const char *path, husk_casedb **out, husk_err *err);
void husk_casedb_close(husk_casedb *db);
sqlite3 *husk_casedb_sqlite(husk_casedb *db);

int husk_casedb_begin(husk_casedb *db, husk_err *err);
int husk_casedb_commit(husk_casedb *db, husk_err *err);

int husk_casedb_set_info(husk_casedb *db, const char *key, const char *value, husk_err *err);
/* Returns a malloc'd copy of case_info[key] or NULL. */
char *husk_casedb_get_info(husk_casedb *db, const char *key);
int husk_casedb_add_segment(husk_casedb *db, int idx, const char *path, int64_t size,
                            const char *sha256, husk_err *err);
int husk_casedb_add_volume(husk_casedb *db, const char *kind, uint64_t offset, uint64_t length,
                           const char *description, int64_t parent_id, int64_t *id,
                           husk_err *err);
int husk_casedb_add_filesystem(husk_casedb *db, int64_t volume_id, uint64_t offset,
                               const char *fstype, const char *label, const char *uuid,
                               uint32_t block_size, uint64_t size, uint64_t root_inode,
                               int64_t *id, husk_err *err);
int husk_casedb_add_data_root(husk_casedb *db, int64_t fs_id, const char *path,
                              const char *runtime, const char *driver, const char *how,
                              int64_t *id, husk_err *err);
int husk_casedb_add_error(husk_casedb *db, const char *phase, const char *object,
                          int64_t offset, const char *message);
/* Sets finished_at to now and commits. */
int husk_casedb_finish(husk_casedb *db, husk_err *err);

/* Current UTC time in the case database's format (RFC 3339, nine fraction digits). */
void husk_now_rfc3339(char *buf, size_t n);

#endif
