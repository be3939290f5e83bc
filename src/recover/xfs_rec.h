/*
 * Internals of the XFS recovered view (include/husk/recover.h, src/recover/xfs_view.c).
 *
 * Three kinds of evidence of deleted objects are decoded here (recovery.md 3.4, and this
 * module's tests on kernel 6.18 with xfsprogs 6.1):
 *  - inode records at their home place: deleted inodes of chunks still in use keep their old
 *    extent records (or short-form directory entries) in the literal area once the live
 *    inode had been written home; inodes of freed chunks keep their whole last written state;
 *  - the XFS log: every logged inode core and fork and every logged directory block, in log
 *    order. Inodes that lived only a short while (a container run and removed within
 *    seconds) were never written home at all: the log is then the only copy;
 *  - directory blocks: entries of free spans keep their names (tag-checked).
 *
 * The pure decoders (no I/O) are in xfs_rec.c and tested by tests/unit/test_xfs_view.c; the
 * reads of free space, the inode B+trees and recovered objects in xfs_rec_io.c; the log walk in
 * xfs_logscan.c. All buffers come from a possibly hostile image and every offset and count
 * taken from them is checked against the buffer's length.
 */
#ifndef HUSK_XFS_REC_H
#define HUSK_XFS_REC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../evidence/xfs_raw.h"
#include "husk/diag.h"
#include "husk/err.h"

struct TSK_IMG_INFO;

/* ---- pure decoders (xfs_rec.c) ------------------------------------------------------------ */

static inline uint16_t xr_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t xr_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t xr_le64(const uint8_t *p)
{
    return (uint64_t)xr_le32(p + 4) << 32 | xr_le32(p);
}

/* Reads a host-endian field of a log item: le = 1 for XLOG_FMT_LINUX_LE records. */
static inline uint16_t xr_h16(const uint8_t *p, int le)
{
    return le ? xr_le16(p) : xfs_be16(p);
}

static inline uint32_t xr_h32(const uint8_t *p, int le)
{
    return le ? xr_le32(p) : xfs_be32(p);
}

static inline uint64_t xr_h64(const uint8_t *p, int le)
{
    return le ? xr_le64(p) : xfs_be64(p);
}

/* Checks an inode record found at the place of inode ino: "IN", version 3, di_ino == ino.
 * Returns XR_INODE_NONE when it is not one, else XR_INODE_OK or XR_INODE_BADCRC (CRC32c at
 * offset 100 over the record with that field zeroed, as xfs_dinode_calc_crc). */
enum { XR_INODE_NONE = 0, XR_INODE_OK = 1, XR_INODE_BADCRC = 2 };
int xr_inode_check(const uint8_t *rec, size_t len, uint64_t ino);

/* 1 when the v3 inode record's CRC matches. */
int xr_inode_crc_ok(const uint8_t *rec, size_t len);

/* Extent records left in the literal area of a deleted inode (mode 0, nextents 0): 16-byte
 * records from the data-fork start, taken while plausible (written, non-zero length, inside
 * the file system, logical offsets increasing without overlap); stops at the first record that
 * is not. Returns how many were stored in out (at most max). */
size_t xr_leftover_extents(const xfs_raw_sb *sb, const uint8_t *rec, size_t len,
                           xfs_raw_extent *out, size_t max);

/* Size of a file whose size field is lost, from its nblocks blocks of bs bytes and the bytes
 * of its last block: whole blocks, except that a last block that looks like text (no NUL
 * before its last non-zero byte) is cut after that byte (*trimmed = 1). */
uint64_t xr_guess_size(const uint8_t *last, size_t bs, uint64_t nblocks, int *trimmed);

/* One directory entry as found in a short-form fork or a directory block. */
typedef struct xr_dirent {
    const uint8_t *name;
    size_t name_len;
    uint64_t ino;
    uint8_t ftype;   /* XFS_DIR3_FT_*, 0 when the file system has none */
    int deleted;     /* found in a free span, not in the live structure */
    int ino_partial; /* the high 32 bits were overwritten: ino holds the low 32 only */
    size_t offset;   /* byte offset of the entry in its block */
} xr_dirent;
typedef int (*xr_dirent_cb)(const xr_dirent *d, void *ctx);

/* 1 when name can be a directory entry name (non-empty, no NUL or '/', not "." or ".."). */
int xr_name_ok(const uint8_t *name, size_t len);

/* Walks a short-form directory fork (len bytes: the literal area, or di_size when known):
 * header (count, i8count, parent) then count entries, each checked strictly (name, file type
 * when has_ftype, 8-aligned offset, inode number below ino_limit). Used for live forks and for
 * the remnants a deleted inode keeps in its literal area. *parent receives the parent inode.
 * Returns the number of entries reported, or a negative code when the header or an entry is
 * not plausible (entries before it were reported). */
int xr_sf_entries(const uint8_t *fork, size_t len, int has_ftype, uint64_t ino_limit,
                  uint64_t *parent, xr_dirent_cb cb, void *ctx, husk_err *err);

/* Walks a directory data block ("XDB3"/"XDD3", v4 "XD2B"/"XD2D"): the live entries, then,
 * inside free spans, older entries recognised by their tag (the 16-bit field at their end
 * holds their own offset). A deleted entry whose first four bytes hold the free-span header
 * keeps only the low 32 bits of its inode number. When the structure is damaged (a block
 * rebuilt from log chunks over newer bytes), the rest of the block is searched by tags
 * alone. The caller checks the owner. Returns 0, >0 when cb stopped, or <0. */
int xr_dir_block_entries(const uint8_t *blk, size_t len, int v5, int has_ftype, xr_dirent_cb cb,
                         void *ctx, husk_err *err);

/* Owner inode of a v5 directory data block (0 when it is not one). */
uint64_t xr_dir_block_owner(const uint8_t *blk, size_t len);

/* Short-form (per-AG) B+tree blocks: bnobt ("AB3B"/"ABTB") and inobt ("IAB3"/"IABT"). */
typedef struct xr_sblock {
    uint16_t level, numrecs;
    uint32_t rightsib;   /* NULLAGBLOCK (0xffffffff) at the right edge */
    const uint8_t *recs; /* level 0 */
    const uint8_t *ptrs; /* level > 0: be32 AG block numbers */
} xr_sblock;
int xr_sblock_parse(const uint8_t *blk, size_t len, int v5, uint32_t magic, size_t keylen,
                    size_t reclen, xr_sblock *b, husk_err *err);

/* One inobt record: which of the 64 inodes of the chunk at startino exist on disk (not in a
 * sparse hole) and which of those are free. */
typedef struct xr_inorec {
    uint32_t startino;
    uint64_t present, free; /* bit i: inode startino + i */
} xr_inorec;
void xr_inorec_parse(const uint8_t *rec, int sparse, xr_inorec *r);

/* ---- the log (xfs_rec.c: pure; xfs_logscan.c: the walk) ------------------------------------ */

#define XR_BB 512
#define XR_LOG_MAGIC 0xFEEDBABEu
#define XR_LOG_CYCLE_SIZE (32 * 1024)  /* XLOG_HEADER_CYCLE_SIZE */
#define XR_LOG_MAX_RECORD (256 * 1024) /* XLOG_MAX_RECORD_BSIZE */

typedef struct xr_lrec {
    uint32_t cycle, version, len, num_ops, fmt, size;
    uint64_t lsn;
    unsigned hdr_bbs, data_bbs;
} xr_lrec;

/* Parses and bounds the header of a log record (bb = its first basic block). -1 when it is
 * not a plausible record header. */
int xr_lrec_parse(const uint8_t *bb, xr_lrec *r);
/* CRC32c of a record as xlog_cksum(): header (CRC field zeroed), extended headers, data as
 * written (cycle-stamped). hdr holds hdr_bbs basic blocks. */
uint32_t xr_lrec_crc(const uint8_t *hdr, unsigned hdr_bbs, const uint8_t *data, size_t len);
/* Puts back the first word of every data basic block, which the log replaced with the cycle
 * number (xlog_unpack_data). */
void xr_lrec_unpack(const uint8_t *hdr, unsigned hdr_bbs, uint8_t *data, unsigned data_bbs);

/* Log item types and inode log fields (xfs_log_format.h). */
#define XR_LI_INODE 0x123b
#define XR_LI_BUF 0x123c
#define XR_ILOG_CORE 0x001
#define XR_ILOG_DDATA 0x002
#define XR_ILOG_DEXT 0x004
#define XR_ILOG_DBROOT 0x008
#define XR_ILOG_DEV 0x010
#define XR_ILOG_ADATA 0x040
#define XR_ILOG_AEXT 0x080
#define XR_ILOG_ABROOT 0x100
#define XR_ILOG_DFORK (XR_ILOG_DDATA | XR_ILOG_DEXT | XR_ILOG_DBROOT)
#define XR_ILOG_AFORK (XR_ILOG_ADATA | XR_ILOG_AEXT | XR_ILOG_ABROOT)
#define XR_BLF_CANCEL 0x2
#define XR_BLFT_DIR_BLOCK 10
#define XR_BLFT_DIR_DATA 11
#define XR_BLF_CHUNK 128

/* xfs_inode_log_format (56 bytes) or its packed 32-bit variant (52 bytes). */
typedef struct xr_ilf {
    uint16_t size; /* regions of the item, this one included */
    uint32_t fields;
    uint16_t asize, dsize;
    uint64_t ino;
    uint32_t rdev;
} xr_ilf;
int xr_ilf_parse(const uint8_t *p, size_t len, int le, xr_ilf *f);

/* xfs_buf_log_format: the buffer's daddr and length, and which 128-byte chunks follow. */
typedef struct xr_blf {
    uint16_t flags, size, len; /* len in basic blocks */
    uint64_t blkno;            /* daddr: 512-byte units from the file-system start */
    uint32_t map_size;         /* 32-bit words of the dirty map */
    const uint8_t *map;
    int le;
} xr_blf;
int xr_blf_parse(const uint8_t *p, size_t len, int le, xr_blf *b);
/* Finds the next run of dirty chunks at or after *bit: 1 and the run in *start, *count (in
 * chunks), 0 when there is none. *bit moves past the run. */
int xr_blf_next_run(const xr_blf *b, unsigned *bit, unsigned *start, unsigned *count);

/* Converts a logged inode core (xfs_log_dinode, host-endian: le as in the record) into the
 * on-disk big-endian layout at out (len >= 176 for v3, 100 for older): every field, times of
 * both encodings. Returns 0, or -1 when the core is not one ("IN" magic, version, length). */
int xr_log_dinode_to_disk(const uint8_t *ld, size_t len, int le, uint8_t *out, size_t outlen);

/* ---- raw access and reads (xfs_rec_io.c) ---------------------------------------------------- */

#define XR_NULLAGBLOCK 0xffffffffu

typedef struct xr_disk {
    struct TSK_IMG_INFO *img;
    uint64_t off;   /* byte offset of the file system in img */
    uint64_t bytes; /* dblocks * blocksize */
    xfs_raw_sb sb;
    uint64_t logstart; /* internal log: first file-system block, 0 when external */
    uint32_t logblocks;
    int sparse;         /* sparse inode chunks (inobt records carry a hole mask) */
    uint64_t ino_limit; /* every inode number of the file system is below this */
} xr_disk;

int xr_disk_init(xr_disk *d, struct TSK_IMG_INFO *img, uint64_t off, husk_err *err);
int xr_pread(const xr_disk *d, uint64_t pos, void *buf, size_t len, husk_err *err);
/* Reads count blocks from AG-encoded block fsb. */
int xr_read_fsb(const xr_disk *d, uint64_t fsb, uint64_t count, void *buf, husk_err *err);
/* Byte position of inode ino, or -1. */
int xr_inode_pos(const xr_disk *d, uint64_t ino, uint64_t *pos);

/* Free space of the whole file system from the bnobt of every AG. */
typedef struct xr_free {
    uint64_t *start; /* linear block numbers (agno * agblocks + agbno), sorted */
    uint32_t *len;
    size_t n, cap;
} xr_free;
int xr_free_load(const xr_disk *d, xr_free *f, husk_diag *diag, husk_err *err);
void xr_free_release(xr_free *f);
/* How many of the count blocks from AG-encoded fsb are free now. */
uint64_t xr_free_count(const xr_disk *d, const xr_free *f, uint64_t fsb, uint64_t count);

/* Inode chunks of the whole file system from the inobt of every AG. */
typedef struct xr_chunks {
    uint64_t *startino; /* absolute inode numbers, sorted */
    uint64_t *present, *free;
    size_t n, cap;
} xr_chunks;
int xr_chunks_load(const xr_disk *d, xr_chunks *c, husk_diag *diag, husk_err *err);
void xr_chunks_release(xr_chunks *c);
/* XR_INO_LIVE (allocated in a chunk in use), XR_INO_FREE (free slot of a chunk in use) or
 * XR_INO_NOCHUNK (no chunk in use holds it). */
enum { XR_INO_NOCHUNK = 0, XR_INO_FREE = 1, XR_INO_LIVE = 2 };
int xr_chunks_state(const xr_chunks *c, uint64_t ino);

/* Extent map of a recovered object's data or attribute fork. */
typedef struct xr_map {
    xfs_raw_extent *ext;
    size_t n, cap;
    uint64_t blocks;
} xr_map;
void xr_map_free(xr_map *m);
/* Loads the map of a fork of the inode image rec (EXTENTS or BTREE; B+tree blocks are read
 * from disk and must still name ino as their owner). */
int xr_map_load(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
                int attr, xr_map *m, husk_err *err);
int xr_map_set(xr_map *m, const xfs_raw_extent *e, size_t n, husk_err *err);
/* Reads file bytes [pos, pos+len) of a file of size bytes through map; holes read as zeros. */
ssize_t xr_map_read(const xr_disk *d, const xr_map *m, uint64_t size, uint64_t pos, void *buf,
                    size_t len, husk_err *err);
/* Reads the target of a recovered symlink into tgt (XFS_RAW_SYMLINK_MAXLEN bytes). */
ssize_t xr_symlink_read(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
                        uint8_t *tgt, husk_err *err);
/* Calls cb for every extended attribute of a recovered inode image. */
int xr_xattrs(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
              int (*cb)(const char *name, const uint8_t *value, size_t len, void *ctx), void *ctx,
              husk_err *err);
/* Walks the directory data blocks (below 32 GiB) of a block-form directory through map,
 * reporting live and remnant entries of the blocks that still name ino as their owner (v5). */
int xr_dir_blocks(const xr_disk *d, uint64_t ino, const xr_map *m, xr_dirent_cb cb, void *ctx,
                  husk_err *err);

/* ---- the log walk (xfs_logscan.c) ----------------------------------------------------------- */

typedef struct xr_log_inode {
    uint64_t ino;
    uint32_t fields;   /* XR_ILOG_* */
    uint8_t core[176]; /* converted to the on-disk layout; core_len bytes valid */
    size_t core_len;
    const uint8_t *dfork, *afork;
    size_t dlen, alen;
    uint32_t rdev;
} xr_log_inode;

typedef struct xr_log_region {
    size_t offset; /* in the buffer */
    const uint8_t *data;
    size_t len;
} xr_log_region;

typedef struct xr_log_buf {
    uint64_t daddr;
    unsigned nbb;  /* basic blocks */
    unsigned type; /* XFS_BLFT_* */
    int cancel;    /* the buffer was freed in this transaction */
    const xr_log_region *regions;
    size_t nregions;
} xr_log_buf;

/* Callbacks get the items of every committed transaction in log order; seq increases by one
 * per transaction (1 for the oldest). Return 0 to go on, <0 to stop with that error. */
typedef struct xr_log_sink {
    int (*inode)(const xr_log_inode *it, uint64_t seq, void *ctx);
    int (*buf)(const xr_log_buf *it, uint64_t seq, void *ctx);
    void *ctx;
} xr_log_sink;

typedef struct xr_log_stats {
    uint64_t records, bad_crc, transactions, uncommitted, items, dropped;
} xr_log_stats;

/* Walks every record of the internal log that is still intact, oldest first (by LSN), and
 * passes the inode and buffer items of committed transactions to sink. HUSK_E_NOTFOUND
 * without an internal log. */
int xr_log_scan(const xr_disk *d, const xr_log_sink *sink, xr_log_stats *st, husk_diag *diag,
                husk_err *err);

#endif
