/*
 * The Docker image store (src/runtime/docker_images.c): image configs (imagedb/content),
 * repositories.json, imagedb/metadata, layerdb one-liners, read through the VFS into the
 * case database. The store is an in-memory file system (memfs.h) holding the input's parts:
 *   image config \0 repositories.json \0 lastUpdated \0 parent \0 layer diff \0 layer size
 *   \0 layer cache-id \0 layer parent
 * The config is stored under its own SHA-256 (and under a wrong name for a second image);
 * the layer's chain ID is its diff ID, as for a base layer. Rows go to a case database in a
 * temporary file, rolled back after every input.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "husk/docker.h"
#include "memfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[8] = {0};
    size_t plen[8] = {0};
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < 8; i++) {
        if (i == size || data[i] == 0) {
            part[k] = data + start;
            plen[k++] = i - start;
            start = i + 1;
        }
    }
    char hex[65], diffhex[65] = "1111111111111111111111111111111111111111111111111111111111111111";
    husk_sha256_hex(part[0], plen[0], hex);
    if (plen[4] >= 71 && memcmp(part[4], "sha256:", 7) == 0 &&
        husk_is_hex64((const char *)part[4] + 7, 64)) {
        memcpy(diffhex, part[4] + 7, 64);
        diffhex[64] = '\0';
    }
    static const char wrong[] = "2222222222222222222222222222222222222222222222222222222222222222";

    fz_memfs m;
    fz_memfs_init(&m);
    char p1[] = "image/overlay2", p2[] = "imagedb/content/sha256", p3[] = "imagedb/metadata/sha256",
         p4[] = "layerdb/sha256";
    int store = fz_memfs_mkdirs(&m, 0, p1);
    fz_memfs_add(&m, store, "repositories.json", HUSK_FT_FILE, part[1], plen[1]);
    int content = fz_memfs_mkdirs(&m, store, p2);
    fz_memfs_add(&m, content, hex, HUSK_FT_FILE, part[0], plen[0]);
    fz_memfs_add(&m, content, wrong, HUSK_FT_FILE, part[0], plen[0]);
    fz_memfs_add(&m, content, "not-an-id", HUSK_FT_FILE, part[0], plen[0]);
    int meta = fz_memfs_mkdirs(&m, store, p3);
    int mi = fz_memfs_add(&m, meta, hex, HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, mi, "lastUpdated", HUSK_FT_FILE, part[2], plen[2]);
    fz_memfs_add(&m, mi, "parent", HUSK_FT_FILE, part[3], plen[3]);
    int ldb = fz_memfs_mkdirs(&m, store, p4);
    int layer = fz_memfs_add(&m, ldb, diffhex, HUSK_FT_DIR, NULL, 0);
    fz_memfs_add(&m, layer, "diff", HUSK_FT_FILE, part[4], plen[4]);
    fz_memfs_add(&m, layer, "size", HUSK_FT_FILE, part[5], plen[5]);
    fz_memfs_add(&m, layer, "cache-id", HUSK_FT_FILE, part[6], plen[6]);
    fz_memfs_add(&m, layer, "parent", HUSK_FT_FILE, part[7], plen[7]);

    husk_docker_opts opts = {0};
    husk_docker_root r = {&m.fs, "/", "overlay2", 1, 1, &opts};
    husk_casedb *cdb = fz_casedb("images");
    sqlite3 *s = husk_casedb_sqlite(cdb);
    sqlite3_exec(s, "BEGIN", NULL, NULL, NULL);
    size_t dsink = 0;
    husk_diag diag = fz_diag(&dsink);
    husk_err err = {0};
    husk_docker_images(&r, cdb, &diag, &err);
    sqlite3_exec(s, "ROLLBACK", NULL, NULL, NULL);
    return 0;
}
