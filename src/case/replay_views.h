/* The pipeline's last look at the two views of a replayed file system (src/case). */
#ifndef HUSK_CASE_REPLAY_VIEWS_H
#define HUSK_CASE_REPLAY_VIEWS_H

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/node.h"

/*
 * For every file system of n read through a replayed journal (fs_ids[i] is the filesystems.id
 * of n->fss[i]): sets recovered_from = 'journal-replay' on the files rows whose inode differs
 * between the replayed and the home-block view, on the containers whose config.v2.json or
 * hostconfig.json does, and on the logs rows of log files that do. Run it after every phase
 * that writes those rows and before the timeline copies them. Evidence problems go to diag;
 * only case-database failures are errors.
 */
int husk_mark_journal_replay(husk_casedb *db, husk_node *n, const int64_t *fs_ids, husk_diag *diag,
                             husk_err *err);

#endif
