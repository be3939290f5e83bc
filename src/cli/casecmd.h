/* Shared by the commands that read a case database (containers, inspect, logs, diff, ...). */
#ifndef HUSK_CASECMD_H
#define HUSK_CASECMD_H

#include <stdlib.h>

#include "husk/casedb.h"

/* Opens CASE.db read-only; prints the error and returns an exit code on failure, 0 on
 * success. Warns when the case is incomplete. */
int casecmd_open(const char *path, husk_casedb **db);
/* Resolves a container reference like Docker: full ID, name (with or without '/'), or unique
 * ID prefix. Prints the error and returns an exit code on failure, 0 on success. */
int casecmd_container(husk_casedb *db, const char *ref, char id[65]);

#endif
