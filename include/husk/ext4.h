/*
 * ext2/3/4 specifics beyond the file-system interface (include/husk/vfs.h), for the journal
 * code (src/recover/): the superblock's journal fields, the journal inode as a byte reader,
 * raw inode records and the blocks an inode occupies. Implemented by the ext4 back end
 * (src/evidence/fs_ext4.c); every function returns HUSK_E_ARG for a file system of another
 * type. Read-only, like everything in the evidence layer.
 */
#ifndef HUSK_EXT4_H
#define HUSK_EXT4_H

#include <stddef.h>
#include <stdint.h>

#include "husk/vfs.h"

struct TSK_IMG_INFO;

typedef struct husk_ext4_info {
    uint32_t block_size;
    uint64_t blocks_count;
    uint32_t inode_size;
    uint32_t feature_compat, feature_incompat, feature_ro_compat;
    int has_journal;          /* COMPAT_HAS_JOURNAL */
    int needs_recovery;       /* INCOMPAT_RECOVER: the kernel has not replayed the journal */
    uint32_t journal_inum;    /* s_journal_inum; 0 with an external journal */
    uint8_t journal_uuid[16]; /* s_journal_uuid: the external journal device */
    uint64_t journal_size;    /* bytes of the journal inode; 0 when there is none */
} husk_ext4_info;

/* 1 when fs is served by the ext2/3/4 back end. */
int husk_fs_is_ext4(const husk_fs *fs);

int husk_ext4_get_info(husk_fs *fs, husk_ext4_info *info, husk_err *err);

/* Reads exactly len bytes at byte off of the internal journal (the journal inode's data, as
 * libtsk maps it). Matches husk_jbd2_read_fn with fs as the context. */
int husk_ext4_journal_read(void *fs, uint64_t off, void *buf, size_t len, husk_err *err);

/* Copies the raw inode record of ino (at most bufsize bytes) and sets *isize to the record's
 * size on this file system. */
int husk_ext4_raw_inode(husk_fs *fs, uint64_t ino, uint8_t *buf, size_t bufsize, size_t *isize,
                        husk_err *err);

/* Calls cb for every run of file-system blocks that ino's data and mapping metadata occupy
 * (data extents, extent-tree and indirect blocks, as libtsk lists them); sparse runs are left
 * out. cb returns 0 to go on, >0 to stop (not an error). */
typedef int (*husk_ext4_run_cb)(uint64_t block, uint64_t count, void *ctx);
int husk_ext4_inode_runs(husk_fs *fs, uint64_t ino, husk_ext4_run_cb cb, void *ctx, husk_err *err);

/* The image the file system was opened on (the replay overlay recognises its own). */
struct TSK_IMG_INFO *husk_ext4_image(husk_fs *fs);

#endif
