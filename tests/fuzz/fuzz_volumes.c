/*
 * Docker's volume store (src/runtime/volumes.c): volumes/metadata.db records (bbolt, JSON
 * values) and removed volumes' records on its free pages, read through the VFS into the case
 * database. Input: the metadata.db file, put at /volumes/metadata.db of an in-memory file
 * system (memfs.h) that also holds an empty volumes/<name>/_data for the names "data" and
 * "logs". Rows go to a case database in a temporary file, rolled back after every input.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "husk/docker.h"
#include "memfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    husk_casedb *db = fz_casedb("volumes");
    fz_memfs m;
    fz_memfs_init(&m);
    int vols = fz_memfs_add(&m, 0, "volumes", HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, vols, "metadata.db", HUSK_FT_FILE, data, size);
    int v1 = fz_memfs_add(&m, vols, "data", HUSK_FT_DIR, NULL, 0);
    int d1 = fz_memfs_add(&m, v1, "_data", HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, d1, "config.ini", HUSK_FT_FILE, (const uint8_t *)"x=1\n", 4);
    int v2 = fz_memfs_add(&m, vols, "logs", HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, v2, "_data", HUSK_FT_DIR, NULL, 0);

    husk_docker_opts opts = {0};
    husk_docker_root r = {&m.fs, "/", "overlay2", 1, 1, &opts};
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_exec(s, "BEGIN", NULL, NULL, NULL);
    size_t dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    husk_docker_volumes(&r, db, &diag, &err);
    sqlite3_exec(s, "ROLLBACK", NULL, NULL, NULL);
    return 0;
}
