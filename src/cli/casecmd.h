/* Shared by the commands that read a case database (containers, inspect, logs, diff, ...). */
#ifndef HUSK_CASECMD_H
#define HUSK_CASECMD_H

#include <stdlib.h>

#include <jansson.h>
#include <sqlite3.h>

#include "husk/casedb.h"

/* Opens CASE.db read-only; prints the error and returns an exit code on failure, 0 on
 * success. Warns when the case is incomplete. */
int casecmd_open(const char *path, husk_casedb **db);
/* Resolves a container reference like Docker: full ID, name (with or without '/'), or unique
 * ID prefix. Prints the error and returns an exit code on failure, 0 on success. */
int casecmd_container(husk_casedb *db, const char *ref, char id[65]);

/* A --since/--until value (RFC 3339, a date, or Unix seconds with an optional fraction, as
 * docker logs takes them) in the case database's time form. 0, or -1 when not a time. */
int casecmd_parse_when(const char *s, char out[40]);

/* Column i of the current row as text, "" for NULL. */
const char *casecmd_col(sqlite3_stmt *st, int i);
/* "2026-11-30T02:05:07.786798934Z" -> "2026-11-30 02:05:07 +0000 UTC": Go's time.String() of
 * the Unix seconds Docker's API returns, which `docker ps/images --format json` print. */
void casecmd_go_time(const char *rfc, char *out, size_t n);
/* Prints o compactly on one line and frees it; on a terminal every non-ASCII character is
 * written as \uXXXX, so evidence strings cannot drive the terminal. */
void casecmd_print_json_line(json_t *o);
/* jansson flags for output: ENSURE_ASCII on a terminal. */
int casecmd_json_flags(void);
/* Prints JSON text dumped with casecmd_json_flags() and a newline; on a terminal DEL is
 * written as \u007f too (jansson leaves it raw), so no control byte from the evidence passes. */
void casecmd_put_json(const char *s);

/* husk_case_open_evidence() (include/husk/caseev.h) for a command: image overrides the case's
 * evidence_path; o->no_replay set means --no-replay was given, otherwise the journal is
 * replayed as the analysis did. Prints the error and returns an exit code on failure, 0 on
 * success. */
struct husk_node;
struct husk_open_opts;
int casecmd_open_evidence(husk_casedb *db, const char *image, const struct husk_open_opts *o,
                          struct husk_node **node);
#endif
