/*
 * Crash-consistent images: the journal state of a file system and, for ext3/ext4 whose
 * journal holds committed transactions the kernel has not written home yet, an in-memory
 * replay overlay.
 *
 * A disk copied while the node ran (no sync, no freeze) has needs_recovery set: the last
 * metadata changes (new containers' directories and configs, log sizes, ...) are only in the
 * journal. The kernel would replay it at mount; husk replays it in memory instead. The overlay
 * is a libtsk external image over the original one: reads of a block the replay rewrites come
 * from the journal copy, every other read from the image. libtsk and husk's raw-inode code
 * above it both see the replayed file system, and nothing is ever written to the evidence.
 *
 * The node keeps both views (src/evidence/node.c): the replayed one for the analysis, the
 * home-block one to tell which results come only from the journal (husk_fs_differs).
 *
 * XFS: an unclean log is detected and recorded ("xfs-log-dirty"); replaying the XFS log is
 * out of scope (its logical item format has no in-memory block overlay as simple as jbd2's).
 */
#ifndef HUSK_REPLAY_H
#define HUSK_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/err.h"
#include "husk/jbd2.h"
#include "husk/vfs.h"

struct TSK_IMG_INFO;

typedef struct husk_replay husk_replay;

#define HUSK_JOURNAL_STATE_LEN 96

/*
 * Looks at the journal of fs, opened at byte off of img, and fills state (the value of
 * filesystems.journal):
 *   "none"                         ext2 without a journal
 *   "clean"                        nothing to replay (XFS: the last log record unmounts)
 *   "clean (log covered)"          XFS log idle (frozen or quiescent): only superblock updates
 *   "needs-recovery"               committed transactions not replayed (replay == 0)
 *   "needs-recovery (...)"         the journal should be replayed but cannot be (external
 *                                  journal, damaged superblock, ...); the reason follows
 *   "replayed (N transactions, M blocks)"
 *   "xfs-log-dirty"                XFS log records past the tail: changes not written home
 * When replay is set and the ext journal has something to replay, *out receives the overlay
 * (its image: husk_replay_image); otherwise *out is NULL. Problems go to diag; only memory
 * failures are errors. fs and img must outlive the overlay.
 */
int husk_replay_open(husk_fs *fs, struct TSK_IMG_INFO *img, uint64_t off, int replay,
                     husk_replay **out, char state[HUSK_JOURNAL_STATE_LEN], husk_diag *diag,
                     husk_err *err);
/* The replayed view as a libtsk image of img's size: open the file system on it at the same
 * offset. Owned by the overlay. */
struct TSK_IMG_INFO *husk_replay_image(husk_replay *r);
/* The parsed journal (replayed; husk_jbd2_index() may be called on it). */
husk_jbd2 *husk_replay_journal(husk_replay *r);
/* Frees the overlay and closes its image; close file systems opened on it first. */
void husk_replay_close(husk_replay *r);

/* Opens the internal journal of an ext3/ext4 file system for reading (husk_jbd2_*), whether
 * or not it needs replay: the recovery of deleted files reads old copies from clean journals
 * too. HUSK_E_NOTFOUND without an internal journal. */
int husk_ext4_journal_open(husk_fs *fs, husk_jbd2 **out, husk_err *err);

/*
 * Whether inode ino looks different in the replayed view than in the home-block view:
 * its raw inode record differs, or a block holding its data or mapping (extent tree,
 * directory blocks) is rewritten by the replay with different bytes. *differs is 0 when
 * replayed is not a replay view, or for file systems other than ext. Cheap: no file data
 * is read except the replayed blocks themselves.
 */
int husk_fs_differs(husk_fs *replayed, husk_fs *home, uint64_t ino, int *differs, husk_err *err);

/* Path-level variant: the path resolves to different inodes (or only in the replayed view),
 * or to an inode that differs as above. */
int husk_fs_path_differs(husk_fs *replayed, husk_fs *home, const char *path, int *differs,
                         husk_err *err);

/* XFS (src/recover/xfs_log.c): classifies the internal log of the XFS file system at byte
 * off of img into state ("clean", "clean (log covered)", "xfs-log-dirty", or
 * "xfs-log-unknown (...)"). */
int husk_xfs_log_state(struct TSK_IMG_INFO *img, uint64_t off, char state[HUSK_JOURNAL_STATE_LEN],
                       husk_diag *diag, husk_err *err);

#endif
