/*
 * Pure decoders for raw ext2/3/4 structures (no I/O): superblock, group descriptors, inodes,
 * extended attributes. libtsk 4.11 exposes neither xattrs nor device numbers, and its
 * timestamps ignore the epoch bits, so husk reads these fields itself (recovery.md 5).
 * The recovery code reuses the inode decoder on older inode copies found in the journal.
 * Every function bounds its reads by the length it is given.
 */
#ifndef HUSK_EXT4_RAW_H
#define HUSK_EXT4_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "husk/vfs.h"

#define EXT4_SB_OFFSET 1024
#define EXT4_SB_SIZE 1024
#define EXT4_SB_MAGIC 0xEF53

typedef struct ext4_sb {
    uint64_t blocks_count;
    uint32_t inodes_count;
    uint32_t first_data_block;
    uint32_t block_size;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t inode_size;
    uint32_t desc_size;
    uint32_t feature_compat, feature_incompat, feature_ro_compat;
    uint32_t first_meta_bg;
    uint32_t journal_inum;
    uint16_t state;
    uint8_t uuid[16];
    char label[17];
    uint64_t group_count;
} ext4_sb;

#define EXT4_FEATURE_COMPAT_HAS_JOURNAL 0x4
#define EXT4_FEATURE_INCOMPAT_RECOVER 0x4
#define EXT4_FEATURE_INCOMPAT_META_BG 0x10
#define EXT4_FEATURE_INCOMPAT_EXTENTS 0x40
#define EXT4_FEATURE_INCOMPAT_64BIT 0x80
#define EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER 0x1

/* Parses the 1024-byte superblock. Returns 0, or -HUSK_E_FORMAT for a bad magic or sizes
 * out of range. */
int ext4_sb_parse(const uint8_t *buf, size_t len, ext4_sb *sb, husk_err *err);

/* Byte offset (from the file system's start) of the group descriptor of group g. */
int ext4_gd_offset(const ext4_sb *sb, uint64_t g, uint64_t *off, husk_err *err);
/* Inode-table block from a group descriptor of sb->desc_size bytes. */
uint64_t ext4_gd_inode_table(const ext4_sb *sb, const uint8_t *gd);

/* Decodes a raw inode of isize bytes into st (all fields, times to the nanosecond with the
 * epoch bits). st->inode and st->allocated are left to the caller. */
int ext4_inode_decode(const uint8_t *raw, size_t isize, husk_stat *st, husk_err *err);
/* The 48-bit external EA block number of a raw inode (0 if none). */
uint64_t ext4_inode_file_acl(const uint8_t *raw, size_t isize);
/* links_count and dtime of a raw inode. */
uint32_t ext4_inode_dtime(const uint8_t *raw, size_t isize);

/* Calls cb for each in-inode extended attribute (the area after 128 + i_extra_isize).
 * Values stored in another inode (ea_inode) are reported with an empty value. */
int ext4_xattrs_inode(const uint8_t *raw, size_t isize, husk_xattr_cb cb, void *ctx,
                      husk_err *err);
/* Same for an external EA block of bsize bytes. */
int ext4_xattrs_block(const uint8_t *blk, size_t bsize, husk_xattr_cb cb, void *ctx,
                      husk_err *err);

#endif
