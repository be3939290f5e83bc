/*
 * Raw access to an open XFS for the recovered view (src/recover/xfs_view.c), which reads
 * structures the live back end never reaches: free space, the inode B+trees, the log, and
 * inode records of freed chunks. Internal to husk; the view is the only caller.
 */
#ifndef HUSK_XFS_ACCESS_H
#define HUSK_XFS_ACCESS_H

#include <stdint.h>

#include "husk/err.h"
#include "husk/vfs.h"

struct TSK_IMG_INFO;

/* The image fs reads from and the byte offset of the file system in it. HUSK_E_ARG when fs
 * was not opened by the XFS back end (src/evidence/fs_xfs.c). */
int husk_xfs_image(husk_fs *fs, struct TSK_IMG_INFO **img, uint64_t *off, husk_err *err);

#endif
