/* The evidence behind a case database (include/husk/caseev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "husk/caseev.h"

int husk_case_open_evidence(husk_casedb *db, const char *path, const husk_open_opts *o,
                            int keep_no_replay, husk_node **node, husk_diag *diag,
                            husk_err *err)
{
    *node = NULL;
    char *ev = path ? NULL : husk_casedb_get_info(db, "evidence_path");
    const char *evidence = path ? path : ev;
    if (!evidence)
        return husk_err_set(err, HUSK_E_ARG, "the case does not name its evidence");
    husk_open_opts open = o ? *o : (husk_open_opts){.sector_offset = -1};
    if (!keep_no_replay) {
        char *jr = husk_casedb_get_info(db, "journal_replay");
        open.no_replay = jr && strcmp(jr, "off") == 0;
        free(jr);
    }
    int rc = husk_node_open(evidence, &open, node, diag, err);
    char *size = rc == 0 ? husk_casedb_get_info(db, "evidence_size") : NULL;
    if (rc == 0 && size && (*node)->image->size != (uint64_t)strtoull(size, NULL, 10)) {
        rc = husk_err_set(err, HUSK_E_ARG,
                          "'%s' is %llu bytes, but the case analysed %s bytes: not the same "
                          "evidence",
                          evidence, (unsigned long long)(*node)->image->size, size);
        husk_node_close(*node);
        *node = NULL;
    }
    free(size);
    free(ev);
    return rc;
}

long husk_case_node_fs(husk_casedb *db, const husk_node *node, int64_t fs_id)
{
    sqlite3_stmt *st = NULL;
    long found = -1;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT f.offset, f.fstype, coalesce(f.uuid, ''), (SELECT count(*) "
                           "FROM filesystems g WHERE g.offset = f.offset AND g.fstype = f.fstype "
                           "AND coalesce(g.uuid, '') = coalesce(f.uuid, '') AND g.id < f.id) "
                           "FROM filesystems f WHERE f.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, fs_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1)) {
        int64_t off = sqlite3_column_int64(st, 0), nth = sqlite3_column_int64(st, 3), seen = 0;
        const char *type = (const char *)sqlite3_column_text(st, 1);
        const char *uuid = (const char *)sqlite3_column_text(st, 2);
        for (size_t i = 0; i < node->nfs && found < 0; i++) {
            const husk_node_fs *nf = &node->fss[i];
            if ((int64_t)node->vols.v[nf->volume].offset == off &&
                strcmp(nf->fs->fstype, type) == 0 && strcmp(nf->fs->uuid, uuid) == 0 &&
                seen++ == nth)
                found = (long)i;
        }
    }
    sqlite3_finalize(st);
    return found;
}
