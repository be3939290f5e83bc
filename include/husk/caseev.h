/* The evidence behind a case database (src/case/caseev.c): commands that read the evidence
 * again after the analysis (export, cp, recover) open it here, the way the analysis did. */
#ifndef HUSK_CASEEV_H
#define HUSK_CASEEV_H

#include "husk/casedb.h"
#include "husk/node.h"

/* Opens the case's evidence: path, or case_info evidence_path when path is NULL (the evidence
 * may have moved since). o's image type, offset and file-system type are used as given; the
 * journal is replayed or not as the analysis did (case_info journal_replay) unless
 * keep_no_replay, which keeps o->no_replay. Refuses evidence whose size is not the one
 * analysed (HUSK_E_ARG: not the same evidence). */
int husk_case_open_evidence(husk_casedb *db, const char *path, const husk_open_opts *o,
                            int keep_no_replay, husk_node **node, husk_diag *diag,
                            husk_err *err);
/* The index in node->fss of the file system the case calls filesystems.id fs_id (same volume
 * offset, type and UUID; the nth such row of the case is the nth such file system), or -1. */
long husk_case_node_fs(husk_casedb *db, const husk_node *node, int64_t fs_id);

#endif
