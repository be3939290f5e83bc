/*
 * Pure decoders for XFS on-disk structures (internal to src/evidence; used by fs_xfs.c and by
 * tests/unit/test_xfs_raw.c).
 *
 * No function here does I/O: each takes a byte buffer and its length, checks every offset and
 * count it takes from the buffer against that length, and either fills a struct or calls a
 * callback with pointers into the buffer. The buffers come from a possibly hostile image.
 *
 * Layouts follow libyal/libfsxfs "X File System (XFS).asciidoc" and the kernel's
 * fs/xfs/libxfs/xfs_format.h, xfs_da_format.h, xfs_log_format.h (all big-endian).
 *
 * Walker return convention: 0 when every entry was seen, >0 when the callback stopped the walk,
 * <0 (a negative husk_err code, err filled) on damaged input or a callback error. A walker may
 * have called the callback for the good entries before it returns an error.
 */
#ifndef HUSK_XFS_RAW_H
#define HUSK_XFS_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "husk/err.h"
#include "husk/vfs.h"

#define XFS_RAW_SB_LEN 264 /* superblock bytes the parser needs (up to sb_meta_uuid) */
#define XFS_RAW_NULLFSBLOCK UINT64_MAX
#define XFS_RAW_DIR_LEAF_OFFSET (32ULL << 30) /* directory data blocks live below this */
#define XFS_RAW_SYMLINK_MAXLEN 1024
#define XFS_RAW_XATTR_VALUE_MAX 65536
#define XFS_RAW_DA_MAXDEPTH 5 /* XFS_DA_NODE_MAXDEPTH */

/* di_format / di_aformat */
enum { XFS_RAW_FMT_DEV = 0, XFS_RAW_FMT_LOCAL = 1, XFS_RAW_FMT_EXTENTS = 2, XFS_RAW_FMT_BTREE = 3 };

static inline uint16_t xfs_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t xfs_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t xfs_be64(const uint8_t *p)
{
    return (uint64_t)xfs_be32(p) << 32 | xfs_be32(p + 4);
}

typedef struct xfs_raw_sb {
    uint32_t blocksize;
    uint64_t dblocks;
    uint64_t rootino;
    uint32_t agblocks, agcount;
    uint16_t versionnum; /* as stored; low nibble is the version (4 or 5) */
    uint16_t sectsize, inodesize, inopblock;
    uint8_t blocklog, inodelog, inopblog, agblklog, dirblklog;
    uint32_t features2, features_incompat;
    uint8_t uuid[16];
    char label[13]; /* sb_fname up to its first NUL; raw bytes */
    int v5;         /* version 5: CRCs, v3 inodes, self-describing metadata headers */
    int has_ftype;  /* directory entries carry a file type byte */
    int bigtime;    /* the file system may hold big-time inodes (informational) */
} xfs_raw_sb;

/* Parses and sanity-checks the primary superblock (buf = first bytes of the file system). */
int xfs_raw_sb_parse(const uint8_t *buf, size_t len, xfs_raw_sb *sb, husk_err *err);

/* Byte offset (from the file-system start) of inode ino; HUSK_E_NOTFOUND when out of range. */
int xfs_raw_inode_locate(const xfs_raw_sb *sb, uint64_t ino, uint64_t *byte, husk_err *err);

/* Byte offset of the AG-encoded file-system block fsb; -1 when it and the count-1 blocks after
 * it do not lie inside one allocation group of the file system. */
int xfs_raw_fsb_locate(const xfs_raw_sb *sb, uint64_t fsb, uint64_t count, uint64_t *byte);

typedef struct xfs_raw_inode {
    uint16_t mode;
    uint8_t version, format, aformat, forkoff;
    uint32_t uid, gid, nlink, gen;
    uint16_t flags;
    uint64_t flags2; /* v3 only */
    uint64_t size, nblocks, nextents;
    uint32_t anextents;
    husk_timespec atime, mtime, ctime, crtime; /* crtime present for v3 inodes only */
    uint32_t rdev_major, rdev_minor;           /* char/block inodes in DEV format only */
    uint64_t ino;                              /* di_ino (v3), else the number asked for */
    size_t data_off, data_len;                 /* data fork inside the inode buffer */
    size_t attr_off, attr_len;                 /* attribute fork; attr_len 0 when none */
} xfs_raw_inode;

/* Decodes an inode (buf = the whole on-disk inode, len = sb_inodesize). Checks the "IN" magic,
 * the version, the fork offsets, and for v3 inodes that di_ino equals ino (HUSK_E_FORMAT). */
int xfs_raw_inode_parse(const uint8_t *buf, size_t len, uint64_t ino, xfs_raw_inode *di,
                        husk_err *err);

/* Decodes one 8-byte inode timestamp: big-time (be64 ns since 1901-12-13T20:45:52Z) or classic
 * (be32 signed seconds, be32 ns). A classic ns field >= 1e9 is carried into the seconds. */
husk_timespec xfs_raw_timestamp(const uint8_t *p, int bigtime);

/* Splits an on-disk device number (Linux sysv encoding: 14-bit major, 18-bit minor). */
void xfs_raw_rdev(uint32_t v, uint32_t *major, uint32_t *minor);

typedef struct xfs_raw_extent {
    uint64_t startoff;   /* logical block in the fork */
    uint64_t startblock; /* AG-encoded file-system block */
    uint32_t blockcount;
    int unwritten; /* preallocated: reads as zeros */
} xfs_raw_extent;

/* Unpacks one 16-byte bmbt extent record. */
void xfs_raw_extent_unpack(const uint8_t *rec, xfs_raw_extent *e);

/* One level of a block-map B+tree: the root in the inode fork or a block on disk. */
typedef struct xfs_raw_btree {
    uint16_t level, numrecs;
    uint64_t rightsib;   /* XFS_RAW_NULLFSBLOCK at the right edge and for the root */
    const uint8_t *recs; /* level 0: numrecs 16-byte extent records */
    const uint8_t *ptrs; /* level > 0: numrecs be64 child block numbers, keys before them */
} xfs_raw_btree;

/* Parses the bmbt root held in an inode fork of len bytes (BTREE format). */
int xfs_raw_bmap_root_parse(const uint8_t *fork, size_t len, xfs_raw_btree *bt, husk_err *err);
/* Parses a bmbt block ("BMAP" v4, "BMA3" v5); for v5 checks that it belongs to inode owner. */
int xfs_raw_bmap_block_parse(const uint8_t *blk, size_t len, int v5, uint64_t owner,
                             xfs_raw_btree *bt, husk_err *err);

/* Directories. */
typedef struct xfs_raw_dirent {
    const uint8_t *name; /* not NUL-terminated */
    size_t name_len;
    uint64_t ino;
    uint8_t ftype; /* XFS_DIR3_FT_*; 0 when the file system has no ftype */
} xfs_raw_dirent;
typedef int (*xfs_raw_dirent_cb)(const xfs_raw_dirent *d, void *ctx);

/* Maps a directory-entry file type byte to a husk type (unknown values give UNKNOWN). */
husk_ftype xfs_raw_dir_ftype(uint8_t ft);
/* Walks a short-form directory (LOCAL data fork, len = min(di_size, fork size)). The parent
 * pointer of the header is not reported; short-form directories store no "." or "..". */
int xfs_raw_dir_sf_walk(const uint8_t *p, size_t len, int has_ftype, xfs_raw_dirent_cb cb,
                        void *ctx, husk_err *err);
/* Walks one directory data block ("XD2B"/"XD2D", v5 "XDB3"/"XDD3"; len = directory block size),
 * reporting every live entry including "." and "..". For v5 checks the owner inode. */
int xfs_raw_dir_block_walk(const uint8_t *blk, size_t len, int v5, int has_ftype, uint64_t owner,
                           xfs_raw_dirent_cb cb, void *ctx, husk_err *err);

/* Extended attributes. */
enum {
    XFS_RAW_ATTR_LOCAL = 0x01, /* leaf entries: value stored in the leaf block */
    XFS_RAW_ATTR_ROOT = 0x02,
    XFS_RAW_ATTR_SECURE = 0x04,
    XFS_RAW_ATTR_PARENT = 0x08,
    XFS_RAW_ATTR_INCOMPLETE = 0x80,
};

typedef struct xfs_raw_attr {
    uint8_t flags;
    const uint8_t *name;
    size_t name_len;
    const uint8_t *value; /* NULL for a remote value */
    size_t value_len;
    uint32_t remote_blk; /* attribute-fork block of a remote value */
} xfs_raw_attr;
typedef int (*xfs_raw_attr_cb)(const xfs_raw_attr *a, void *ctx);

/* Builds "trusted."/"security."/"user." + name into buf. Returns 1 when built, 0 for entries
 * that are not extended attributes (incomplete, parent pointers), or HUSK_E_FORMAT (negative)
 * for an unknown namespace, an empty name or a name holding a NUL byte. */
int xfs_raw_attr_name(const xfs_raw_attr *a, char *buf, size_t bufsize);

/* Walks a short-form attribute fork (di_aformat LOCAL; len = attribute fork size). */
int xfs_raw_attr_sf_walk(const uint8_t *fork, size_t len, xfs_raw_attr_cb cb, void *ctx,
                         husk_err *err);

/* Block kinds of an attribute fork (by the magic at offset 8). */
enum { XFS_RAW_DA_OTHER = 0, XFS_RAW_DA_LEAF, XFS_RAW_DA_NODE };
int xfs_raw_da_kind(const uint8_t *blk, size_t len, int v5);

/* Walks one attribute leaf block (0xfbee v4, 0x3bee v5) and returns its forward sibling in
 * *forw (0 = none). Damaged entries are skipped; the walk goes on and returns HUSK_E_FORMAT. */
int xfs_raw_attr_leaf_walk(const uint8_t *blk, size_t len, int v5, uint64_t owner,
                           xfs_raw_attr_cb cb, void *ctx, uint32_t *forw, husk_err *err);

/* Parses a dir/attr B+tree node block (0xfebe v4, 0x3ebe v5): its level and the block number
 * of its first (leftmost) child. */
int xfs_raw_da_node_first(const uint8_t *blk, size_t len, int v5, uint64_t owner, uint16_t *level,
                          uint32_t *child, husk_err *err);

/* Remote blocks of symlink targets ("XSLM") and attribute values ("XARM"): for v5 checks the
 * header and owner and returns the payload after the 56-byte header; v4 blocks are all
 * payload. */
#define XFS_RAW_SYMLINK_MAGIC 0x58534c4du
#define XFS_RAW_ATTR_RMT_MAGIC 0x5841524du
#define XFS_RAW_RMT_HDR_LEN 56
int xfs_raw_rmt_block(const uint8_t *blk, size_t len, int v5, uint32_t magic, uint64_t owner,
                      const uint8_t **data, size_t *data_len, husk_err *err);

#endif
