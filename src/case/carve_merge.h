/* Carving merged into the case (src/case/carve_merge.c). */
#ifndef HUSK_CASE_CARVE_MERGE_H
#define HUSK_CASE_CARVE_MERGE_H

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/node.h"

/*
 * Carves the unallocated space (and, on ext4, the journal) of every file system of n that
 * holds a Docker data root, and merges what it finds into the case:
 *   - every artefact is a row of the carved table (offset, location, SHA-256, bytes);
 *   - carved config.v2.json files of containers the case does not know (or knows by ID only)
 *     become removed containers (recovered_from 'carved'), each from its latest state found,
 *     with the nearest carved hostconfig.json whose binds agree with the config's mounts;
 *   - carved log lines the case already has (same time, stream and text) are marked as
 *     duplicates; the others become logs rows (recovered_from 'carved-unallocated' or
 *     'carved-journal'), attributed to a container when the evidence allows: a line found
 *     contiguous with lines of a known container ('contiguity'), or a time inside the run of
 *     exactly one container of that file system ('time-window'); otherwise kept with no
 *     container.
 * fs_ids[i] / root_ids[i][j] are the case's ids of n->fss[i] and of its data roots. Evidence
 * problems go to diag (phase "recovery"); only case-database failures are errors. Fills
 * carve_stats (may be NULL) with the sum over the file systems carved.
 */
int husk_carve_merge(husk_casedb *db, husk_node *n, const int64_t *fs_ids,
                     int64_t *const *root_ids, husk_diag *diag, husk_err *err);

/* Fills recovery_summary: per removed container, what was recovered (identity, config,
 * hostconfig, logs, files) and what was not and why (the recovery notes of the errors
 * table); case-wide rows for carving. Run after every recovery step. */
int husk_recovery_summary_build(husk_casedb *db, husk_err *err);

#endif
