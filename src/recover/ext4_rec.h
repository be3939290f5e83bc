/*
 * Pure decoders for the ext4 recovered view (src/recover/ext4_view*.c): extent-tree nodes,
 * directory blocks, the metadata_csum checksums that tell whose a block is, and the rule that
 * picks which old inode copy to trust. Bytes in, no I/O, so the unit tests feed them
 * hand-made records (tests/unit/test_ext4_view.c).
 *
 * Layouts: the kernel's fs/ext4/ext4.h, ext4_extents.h, namei.c and e2fsprogs'
 * lib/ext2fs/ext2_fs.h. ext4 is little-endian. Every function bounds its reads by the length
 * it is given; values from the evidence are checked before they are used as sizes.
 */
#ifndef HUSK_EXT4_REC_H
#define HUSK_EXT4_REC_H

#include <stddef.h>
#include <stdint.h>

#include "husk/vfs.h"

#define E4R_EXT_MAGIC 0xF30A
#define E4R_MAX_DEPTH 5         /* the kernel's EXT4_MAX_EXTENT_DEPTH */
#define E4R_INIT_MAX_LEN 32768u /* ee_len above this: an unwritten extent */
#define E4R_IBLOCK_LEN 60       /* i_block[] at 0x28 */

#define E4R_INDEX_FL 0x1000
#define E4R_EXTENTS_FL 0x80000
#define E4R_EA_INODE_FL 0x200000
#define E4R_INLINE_DATA_FL 0x10000000

#define E4R_RO_COMPAT_METADATA_CSUM 0x400
#define E4R_INCOMPAT_CSUM_SEED 0x2000

static inline uint16_t e4r_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t e4r_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- extent trees ----------------------------------------------------------------------- */

typedef struct e4r_extent {
    uint32_t lblk; /* first logical block */
    uint32_t len;  /* blocks (the unwritten bit removed) */
    uint64_t pblk; /* first physical block */
    uint8_t unwritten;
} e4r_extent;

/* One node of an extent tree: the 60-byte root in i_block or a tree block. */
typedef struct e4r_node {
    const uint8_t *p;
    size_t len;
    uint16_t entries, max, depth;
    uint32_t generation; /* eh_generation (unused by the kernel) */
} e4r_node;

/* Checks a node of len bytes: magic, entries <= max, max entries fit in len, depth <= 5.
 * Returns 0, or -1 when these are not extent-tree bytes. */
int e4r_node_parse(const uint8_t *p, size_t len, e4r_node *n);
/* Entry i (< n->entries) of a leaf (depth 0) or an index node (depth > 0). */
void e4r_node_extent(const e4r_node *n, size_t i, e4r_extent *e);
void e4r_node_index(const e4r_node *n, size_t i, uint32_t *lblk, uint64_t *child);

/* ---- checksums (metadata_csum) ---------------------------------------------------------- */

/* The file system's checksum seed from a raw 1024-byte superblock (s_checksum_seed, or
 * crc32c(~0, uuid)), and whether metadata_csum is on. */
uint32_t e4r_fs_seed(const uint8_t *sb, int *metadata_csum);
/* The per-inode seed (ext4_iget: crc32c over the inode number, then the generation). */
uint32_t e4r_inode_seed(uint32_t fs_seed, uint32_t ino, uint32_t gen);
/* 1 when a raw inode's i_checksum_lo/hi match, 0 when not (ext4_inode_csum). */
int e4r_inode_csum_ok(const uint8_t *raw, size_t isize, uint32_t fs_seed, uint32_t ino);
/* Tail checksum of an extent-tree block: 1 ok, 0 bad, -1 no room for a tail. */
int e4r_extent_block_csum(const uint8_t *blk, size_t bs, uint32_t inode_seed);
/* Tail checksum of a directory leaf block: 1 ok, 0 bad, -1 the block has no tail. */
int e4r_dir_block_csum(const uint8_t *blk, size_t bs, uint32_t inode_seed);
/* h_checksum of an external xattr block at block number blocknr: 1 ok, 0 bad. */
int e4r_xattr_block_csum(const uint8_t *blk, size_t bs, uint32_t fs_seed, uint64_t blocknr);

/* ---- inodes ----------------------------------------------------------------------------- */

typedef struct e4r_inode {
    uint16_t mode, links;
    uint32_t dtime, flags, gen;
    uint64_t size, file_acl;
    husk_ftype type;
} e4r_inode;

void e4r_inode_get(const uint8_t *raw, size_t isize, e4r_inode *in);

/* Why a copy cannot stand for a live object (E4R_USABLE when it can). */
typedef enum e4r_verdict {
    E4R_USABLE = 0,
    E4R_EMPTY,    /* mode 0: the slot was never used, or is zeroed */
    E4R_UNLINKED, /* links 0 or dtime set: already deleted (or on the orphan list) */
    E4R_NO_MAP,   /* extent header missing, or no extents although the file has bytes */
} e4r_verdict;

/* Classifies a copy (recovery.md 2.7): links > 0, dtime 0, and a data mapping the view can
 * follow: a valid extent root with entries (or none for an empty object), inline data, a
 * fast symlink, or no data at all (devices, fifos, sockets). */
e4r_verdict e4r_inode_verdict(const uint8_t *raw, size_t isize);

/* A fast symlink keeps its target in i_block: no extents, no inline data, size < 60. */
int e4r_is_fast_symlink(const e4r_inode *in);

/* One old copy of an inode record, for e4r_pick_copy(). */
typedef struct e4r_copy {
    const uint8_t *raw;
    uint32_t sequence; /* its transaction */
    int tag_csum;      /* the journal's verdict on the block: 1 ok, 0 overwritten, -1 none */
} e4r_copy;

/*
 * Picks the copy that stands for incarnation gen of inode ino: the newest (highest sequence)
 * whose block the journal did not find overwritten, whose generation equals gen, which
 * e4r_inode_verdict() accepts and whose inode checksum matches (with metadata_csum). Returns
 * its index, or -1 when none qualifies.
 */
long e4r_pick_copy(const e4r_copy *c, size_t n, size_t isize, uint32_t ino, uint32_t gen,
                   int metadata_csum, uint32_t fs_seed);

/* ---- directory blocks ------------------------------------------------------------------- */

typedef struct e4r_dirent {
    uint32_t inode;
    uint8_t name_len;
    uint8_t file_type; /* EXT4_FT_*: 1 file, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink */
    const uint8_t *name;
    uint32_t offset; /* in the block */
    int slack;       /* found in the unused tail of another entry, not on the chain */
} e4r_dirent;

typedef enum e4r_dirblock {
    E4R_DIR_LEAF = 1, /* entries (a linear block or an htree leaf) */
    E4R_DIR_DX_ROOT,  /* first block of an htree directory: ".", "..", then the index */
    E4R_DIR_DX_NODE,  /* an htree interior node: one empty entry over the whole block */
} e4r_dirblock;

/* Return 0 to go on, non-zero to stop (returned by the walk). */
typedef int (*e4r_dirent_cb)(const e4r_dirent *d, void *ctx);

/*
 * Walks a directory block of bs bytes: the chain of ext4_dir_entry_2 records linked by
 * rec_len, which must end exactly at the block's end (otherwise these are not directory bytes
 * and -1 is returned before any callback). Entries with inode 0 (wiped, the tail) are
 * skipped; inode numbers above max_ino stop the walk as damage. With slack set, leaf blocks
 * are also searched for whole entries left in the unused tail of an entry: what kernels
 * before 5.13 left of deleted names (since 5.13 they are zeroed, recovery.md 1.1). *kind
 * (may be NULL) says which block type this is. Returns the callback's non-zero value, or 0.
 */
int e4r_dir_block_walk(const uint8_t *blk, size_t bs, uint32_t max_ino, int slack, e4r_dirent_cb cb,
                       void *ctx, e4r_dirblock *kind);

husk_ftype e4r_dirent_type(uint8_t file_type);
/* 1 when a name can be a directory entry the kernel wrote: not empty, ".", "..", and
 * without '/' or NUL. */
int e4r_name_ok(const uint8_t *name, size_t len);

#endif
