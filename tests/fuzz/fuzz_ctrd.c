/*
 * containerd's metadata store (src/runtime/containerd.c): io.containerd.metadata.v1.bolt/meta.db
 * (bbolt; namespaces, containers with protobuf Any specs and extensions, images, snapshots,
 * content, leases) and the records of removed containers on its free pages (recovered_from
 * "bolt-free": specs parsed, IDs taken from cgroupsPath, leaves joined by snapshotKey). Input:
 * the meta.db file, put at /io.containerd.metadata.v1.bolt/meta.db of an in-memory file system
 * (memfs.h). Rows go to a case database in a temporary file, rolled back after every input.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "husk/containerd.h"
#include "memfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    husk_casedb *db = fz_casedb("ctrd");
    fz_memfs m;
    fz_memfs_init(&m);
    int bolt = fz_memfs_add(&m, 0, "io.containerd.metadata.v1.bolt", HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, bolt, "meta.db", HUSK_FT_FILE, data, size);

    husk_docker_opts opts = {0};
    husk_docker_root r = {&m.fs, "/", "", 1, 1, &opts};
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_exec(s, "BEGIN", NULL, NULL, NULL);
    size_t dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    husk_containerd_analyse(&r, db, &diag, &err);
    sqlite3_exec(s, "ROLLBACK", NULL, NULL, NULL);
    return 0;
}
