/*
 * Pure XFS on-disk decoders (src/evidence/xfs_raw.h). No I/O, no allocation: every function
 * reads only inside the buffer it is given and bounds every value taken from it.
 */
#include "xfs_raw.h"

#include <string.h>

#define XFS_SB_MAGIC 0x58465342u    /* "XFSB" */
#define XFS_DINODE_MAGIC 0x494eu    /* "IN" */
#define XFS_BMAP_MAGIC 0x424d4150u  /* "BMAP" */
#define XFS_BMAP3_MAGIC 0x424d4133u /* "BMA3" */
#define XFS_DIR2_BLOCK_MAGIC 0x58443242u
#define XFS_DIR2_DATA_MAGIC 0x58443244u
#define XFS_DIR3_BLOCK_MAGIC 0x58444233u
#define XFS_DIR3_DATA_MAGIC 0x58444433u
#define XFS_ATTR_LEAF_MAGIC 0xfbeeu
#define XFS_ATTR3_LEAF_MAGIC 0x3beeu
#define XFS_DA_NODE_MAGIC 0xfebeu
#define XFS_DA3_NODE_MAGIC 0x3ebeu

#define XFS_SB_VERSION_MOREBITSBIT 0x8000u
#define XFS_SB_VERSION2_FTYPE 0x200u
#define XFS_SB_FEAT_INCOMPAT_FTYPE 0x1u
#define XFS_SB_FEAT_INCOMPAT_BIGTIME 0x8u
#define XFS_DIFLAG2_BIGTIME 0x8u
#define XFS_DIFLAG2_NREXT64 0x10u

#define XFS_DINODE_CORE_V2 100 /* v1/v2 inode core; data fork starts here */
#define XFS_DINODE_CORE_V3 176

/* Seconds between 1901-12-13T20:45:52Z (big-time zero) and the Unix epoch. */
#define XFS_BIGTIME_EPOCH_OFFSET 2147483648LL

/* 1 when v is a non-zero power of two. */
static int is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* Checks the block, sector and inode geometry of a parsed superblock. */
static int sb_check_geometry(const xfs_raw_sb *sb, husk_err *err)
{
    if (!is_pow2(sb->blocksize) || sb->blocksize < 512 || sb->blocksize > 65536 ||
        (1u << sb->blocklog) != sb->blocksize)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad block size %u", sb->blocksize);
    if (!is_pow2(sb->sectsize) || sb->sectsize < 512 || sb->sectsize > 32768)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad sector size %u", sb->sectsize);
    if (!is_pow2(sb->inodesize) || sb->inodesize < (sb->v5 ? 512 : 256) || sb->inodesize > 2048 ||
        (1u << sb->inodelog) != sb->inodesize || sb->inodesize > sb->blocksize)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad inode size %u", sb->inodesize);
    if (sb->inopblock != sb->blocksize / sb->inodesize || (1u << sb->inopblog) != sb->inopblock)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad inodes per block %u",
                            sb->inopblock);
    if (sb->blocklog + sb->dirblklog > 16)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad directory block size");
    return 0;
}

/* Checks the allocation-group geometry and the total size of a parsed superblock. */
static int sb_check_layout(const xfs_raw_sb *sb, husk_err *err)
{
    if (sb->agblocks == 0 || sb->agblklog > 31 || sb->agblocks > (1u << sb->agblklog) ||
        (sb->agblklog > 0 && sb->agblocks <= (1u << (sb->agblklog - 1))) ||
        sb->agblklog + sb->inopblog > 32)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad AG size %u (log %u)",
                            sb->agblocks, sb->agblklog);
    uint64_t max_blocks = (uint64_t)sb->agcount * sb->agblocks;
    if (sb->agcount == 0 || sb->dblocks == 0 || sb->dblocks > max_blocks ||
        sb->dblocks <= max_blocks - sb->agblocks)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "XFS superblock: %llu blocks do not fit %u AGs of %u blocks",
                            (unsigned long long)sb->dblocks, sb->agcount, sb->agblocks);
    if (sb->dblocks > UINT64_MAX / sb->blocksize / 2)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: size overflows");
    if (sb->rootino == 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: no root inode");
    return 0;
}

/* Decodes the superblock fields husk uses and rejects geometry that would make later offset
 * arithmetic overflow or index outside an AG (bounds follow the kernel's xfs_validate_sb_common).
 */
int xfs_raw_sb_parse(const uint8_t *buf, size_t len, xfs_raw_sb *sb, husk_err *err)
{
    if (!buf || !sb || len < XFS_RAW_SB_LEN)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock truncated");
    if (xfs_be32(buf) != XFS_SB_MAGIC)
        return husk_err_set(err, HUSK_E_FORMAT, "no XFS superblock magic");
    memset(sb, 0, sizeof *sb);
    sb->blocksize = xfs_be32(buf + 4);
    sb->dblocks = xfs_be64(buf + 8);
    memcpy(sb->uuid, buf + 32, 16);
    sb->rootino = xfs_be64(buf + 56);
    sb->agblocks = xfs_be32(buf + 84);
    sb->agcount = xfs_be32(buf + 88);
    sb->versionnum = xfs_be16(buf + 100);
    sb->sectsize = xfs_be16(buf + 102);
    sb->inodesize = xfs_be16(buf + 104);
    sb->inopblock = xfs_be16(buf + 106);
    memcpy(sb->label, buf + 108, 12);
    sb->label[12] = '\0';
    sb->blocklog = buf[120];
    sb->inodelog = buf[122];
    sb->inopblog = buf[123];
    sb->agblklog = buf[124];
    sb->dirblklog = buf[192];
    sb->features2 = xfs_be32(buf + 200);
    unsigned version = sb->versionnum & 0xf;
    if (version != 4 && version != 5)
        return husk_err_set(err, HUSK_E_UNSUPPORTED, "XFS superblock version %u", version);
    sb->v5 = version == 5;
    if (sb->v5)
        sb->features_incompat = xfs_be32(buf + 216);
    if (sb->blocklog > 16 || sb->inodelog > 16 || sb->inopblog > 16)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS superblock: bad size logarithms");
    int rc = sb_check_geometry(sb, err);
    if (rc == 0)
        rc = sb_check_layout(sb, err);
    if (rc != 0)
        return rc;
    if (sb->v5)
        sb->has_ftype = (sb->features_incompat & XFS_SB_FEAT_INCOMPAT_FTYPE) != 0;
    else
        sb->has_ftype = (sb->versionnum & XFS_SB_VERSION_MOREBITSBIT) &&
                        (sb->features2 & XFS_SB_VERSION2_FTYPE);
    sb->bigtime = (sb->features_incompat & XFS_SB_FEAT_INCOMPAT_BIGTIME) != 0;
    return 0;
}

/* Inode number -> byte offset: AG number, block in the AG, slot in the block (recovery.md 3.3). */
int xfs_raw_inode_locate(const xfs_raw_sb *sb, uint64_t ino, uint64_t *byte, husk_err *err)
{
    unsigned shift = (unsigned)sb->agblklog + sb->inopblog; /* <= 32, checked at parse */
    uint64_t agno = ino >> shift;
    uint64_t agino = ino & ((1ULL << shift) - 1);
    uint64_t agbno = agino >> sb->inopblog;
    uint64_t idx = agino & ((1ULL << sb->inopblog) - 1);
    if (agno >= sb->agcount || agbno >= sb->agblocks)
        return husk_err_set(err, HUSK_E_NOTFOUND, "XFS inode %llu is out of range",
                            (unsigned long long)ino);
    uint64_t blk = agno * sb->agblocks + agbno; /* < agcount * agblocks: no overflow */
    if (blk >= sb->dblocks)
        return husk_err_set(err, HUSK_E_NOTFOUND, "XFS inode %llu lies past the end",
                            (unsigned long long)ino);
    *byte = blk * sb->blocksize + idx * sb->inodesize;
    return 0;
}

/* AG-encoded block number -> byte offset, for a run of count blocks inside one AG. */
int xfs_raw_fsb_locate(const xfs_raw_sb *sb, uint64_t fsb, uint64_t count, uint64_t *byte)
{
    uint64_t agno = fsb >> sb->agblklog;
    uint64_t agbno = fsb & ((1ULL << sb->agblklog) - 1);
    if (agno >= sb->agcount || agbno >= sb->agblocks || count > sb->agblocks - agbno)
        return -1;
    uint64_t blk = agno * sb->agblocks + agbno;
    if (blk >= sb->dblocks || count > sb->dblocks - blk)
        return -1;
    *byte = blk * sb->blocksize;
    return 0;
}

/* Decodes one inode timestamp; see xfs_raw.h for the two encodings. */
husk_timespec xfs_raw_timestamp(const uint8_t *p, int bigtime)
{
    husk_timespec t = {0, 0, 1};
    if (bigtime) {
        uint64_t v = xfs_be64(p);
        t.sec = (int64_t)(v / 1000000000u) - XFS_BIGTIME_EPOCH_OFFSET;
        t.nsec = (uint32_t)(v % 1000000000u);
    } else {
        uint32_t ns = xfs_be32(p + 4);
        t.sec = (int32_t)xfs_be32(p) + (int64_t)(ns / 1000000000u);
        t.nsec = ns % 1000000000u;
    }
    return t;
}

/* Splits a Linux sysv-encoded device number (xfs_dinode_get_rdev). */
void xfs_raw_rdev(uint32_t v, uint32_t *major, uint32_t *minor)
{
    *major = (v >> 18) & 0x3fff;
    *minor = v & 0x3ffff;
}

/* Unpacks a 128-bit bmbt record: 1 flag bit, 54-bit startoff, 52-bit startblock, 21-bit count. */
void xfs_raw_extent_unpack(const uint8_t *rec, xfs_raw_extent *e)
{
    uint64_t l0 = xfs_be64(rec), l1 = xfs_be64(rec + 8);
    e->unwritten = (int)(l0 >> 63);
    e->startoff = (l0 & ((1ULL << 63) - 1)) >> 9;
    e->startblock = ((l0 & 0x1ffULL) << 43) | (l1 >> 21);
    e->blockcount = (uint32_t)(l1 & 0x1fffffULL);
}

/* Fills the fork geometry of di from its core fields; len is the inode size. */
static int inode_forks(xfs_raw_inode *di, size_t len, husk_err *err)
{
    di->data_off = di->version == 3 ? XFS_DINODE_CORE_V3 : XFS_DINODE_CORE_V2;
    if (len <= di->data_off)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS inode %llu: truncated",
                            (unsigned long long)di->ino);
    size_t literal = len - di->data_off;
    size_t boff = (size_t)di->forkoff * 8;
    if (di->forkoff == 0) {
        di->data_len = literal;
        return 0;
    }
    if (boff >= literal)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS inode %llu: fork offset %u out of range",
                            (unsigned long long)di->ino, di->forkoff);
    di->data_len = boff;
    di->attr_off = di->data_off + boff;
    di->attr_len = len - di->attr_off;
    return 0;
}

/* Reads the fields of the inode core that all versions share. */
static void inode_core(const uint8_t *b, xfs_raw_inode *di)
{
    di->mode = xfs_be16(b + 2);
    di->version = b[4];
    di->format = b[5];
    di->uid = xfs_be32(b + 8);
    di->gid = xfs_be32(b + 12);
    di->nlink = di->version == 1 ? xfs_be16(b + 6) : xfs_be32(b + 16);
    di->size = xfs_be64(b + 56);
    di->nblocks = xfs_be64(b + 64);
    di->forkoff = b[82];
    di->aformat = b[83];
    di->flags = xfs_be16(b + 90);
    di->gen = xfs_be32(b + 92);
}

/* Decodes an inode core and locates its forks; all offsets are checked against len. */
int xfs_raw_inode_parse(const uint8_t *buf, size_t len, uint64_t ino, xfs_raw_inode *di,
                        husk_err *err)
{
    if (!buf || !di || len < XFS_DINODE_CORE_V2)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS inode %llu: truncated",
                            (unsigned long long)ino);
    if (xfs_be16(buf) != XFS_DINODE_MAGIC)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS inode %llu: no \"IN\" magic",
                            (unsigned long long)ino);
    memset(di, 0, sizeof *di);
    di->ino = ino;
    inode_core(buf, di);
    if (di->version < 1 || di->version > 3)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS inode %llu: unknown version %u",
                            (unsigned long long)ino, di->version);
    int rc = inode_forks(di, len, err);
    if (rc != 0)
        return rc;
    int bigtime = 0;
    if (di->version == 3) {
        uint64_t self = xfs_be64(buf + 152);
        if (self != ino)
            return husk_err_set(err, HUSK_E_FORMAT,
                                "XFS inode %llu: record claims to be inode %llu",
                                (unsigned long long)ino, (unsigned long long)self);
        di->flags2 = xfs_be64(buf + 120);
        bigtime = (di->flags2 & XFS_DIFLAG2_BIGTIME) != 0;
        di->crtime = xfs_raw_timestamp(buf + 144, bigtime);
    }
    if (di->version == 3 && (di->flags2 & XFS_DIFLAG2_NREXT64)) {
        di->nextents = xfs_be64(buf + 24);
        di->anextents = xfs_be32(buf + 76);
    } else {
        di->nextents = xfs_be32(buf + 76);
        di->anextents = xfs_be16(buf + 80);
    }
    di->atime = xfs_raw_timestamp(buf + 32, bigtime);
    di->mtime = xfs_raw_timestamp(buf + 40, bigtime);
    di->ctime = xfs_raw_timestamp(buf + 48, bigtime);
    uint16_t type = di->mode & 0170000;
    if (di->format == XFS_RAW_FMT_DEV && (type == 0020000 || type == 0060000) && di->data_len >= 4)
        xfs_raw_rdev(xfs_be32(buf + di->data_off), &di->rdev_major, &di->rdev_minor);
    return 0;
}

/* Decodes the bmbt root of an inode fork: be16 level, be16 numrecs, keys then pointers, each
 * array sized for the whole fork (xfs_bmdr_maxrecs). */
int xfs_raw_bmap_root_parse(const uint8_t *fork, size_t len, xfs_raw_btree *bt, husk_err *err)
{
    if (!fork || len < 4 + 16)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map root truncated");
    size_t maxrecs = (len - 4) / 16;
    bt->level = xfs_be16(fork);
    bt->numrecs = xfs_be16(fork + 2);
    bt->rightsib = XFS_RAW_NULLFSBLOCK;
    if (bt->level == 0 || bt->numrecs == 0 || bt->numrecs > maxrecs)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map root: level %u, %u records",
                            bt->level, bt->numrecs);
    bt->recs = NULL;
    bt->ptrs = fork + 4 + maxrecs * 8;
    return 0;
}

/* Decodes a long-format bmbt block header (24 bytes v4, 72 bytes v5). */
int xfs_raw_bmap_block_parse(const uint8_t *blk, size_t len, int v5, uint64_t owner,
                             xfs_raw_btree *bt, husk_err *err)
{
    size_t hdr = v5 ? 72 : 24;
    if (!blk || len < hdr + 16)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map block truncated");
    uint32_t magic = xfs_be32(blk);
    if (magic != (v5 ? XFS_BMAP3_MAGIC : XFS_BMAP_MAGIC))
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map block: bad magic 0x%08x", magic);
    if (v5 && xfs_be64(blk + 56) != owner)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map block belongs to inode %llu",
                            (unsigned long long)xfs_be64(blk + 56));
    size_t maxrecs = (len - hdr) / 16;
    bt->level = xfs_be16(blk + 4);
    bt->numrecs = xfs_be16(blk + 6);
    bt->rightsib = xfs_be64(blk + 16);
    if (bt->numrecs > maxrecs || (bt->level > 0 && bt->numrecs == 0))
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block-map block: %u records", bt->numrecs);
    bt->recs = bt->level == 0 ? blk + hdr : NULL;
    bt->ptrs = bt->level == 0 ? NULL : blk + hdr + maxrecs * 8;
    return 0;
}

/* XFS_DIR3_FT_* -> husk type. */
husk_ftype xfs_raw_dir_ftype(uint8_t ft)
{
    switch (ft) {
    case 1:
        return HUSK_FT_FILE;
    case 2:
        return HUSK_FT_DIR;
    case 3:
        return HUSK_FT_CHAR;
    case 4:
        return HUSK_FT_BLOCK;
    case 5:
        return HUSK_FT_FIFO;
    case 6:
        return HUSK_FT_SOCKET;
    case 7:
        return HUSK_FT_SYMLINK;
    case 8:
        return HUSK_FT_CHAR; /* XFS_DIR3_FT_WHT: Linux whiteouts are char 0/0 */
    }
    return HUSK_FT_UNKNOWN;
}

/* Walks a short-form directory: header (count, i8count, parent), then entries of namelen,
 * 2-byte offset, name, optional type byte and a 4- or 8-byte inode number. */
int xfs_raw_dir_sf_walk(const uint8_t *p, size_t len, int has_ftype, xfs_raw_dirent_cb cb,
                        void *ctx, husk_err *err)
{
    if (!p || len < 6)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form directory truncated");
    unsigned count = p[0], i8 = p[1];
    size_t isz = i8 ? 8 : 4;
    size_t pos = 2 + isz;
    if (pos > len)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form directory truncated");
    for (unsigned i = 0; i < count; i++) {
        if (len - pos < 3)
            return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form directory: entry %u cut", i);
        size_t namelen = p[pos];
        size_t need = 3 + namelen + (has_ftype ? 1 : 0) + isz;
        if (namelen == 0 || need > len - pos)
            return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form directory: bad entry %u", i);
        xfs_raw_dirent d;
        d.name = p + pos + 3;
        d.name_len = namelen;
        d.ftype = has_ftype ? p[pos + 3 + namelen] : 0;
        const uint8_t *ip = p + pos + 3 + namelen + (has_ftype ? 1 : 0);
        d.ino = i8 ? xfs_be64(ip) : xfs_be32(ip);
        pos += need;
        int rc = cb(&d, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Finds where the entries of a directory data block end: before the leaf array and tail of
 * a single-block directory, at the block end otherwise. Returns 0 or -1. */
static int dir_block_end(const uint8_t *blk, size_t len, size_t hdr, uint32_t magic, size_t *end)
{
    if (magic != XFS_DIR2_BLOCK_MAGIC && magic != XFS_DIR3_BLOCK_MAGIC) {
        *end = len;
        return 0;
    }
    uint64_t count = xfs_be32(blk + len - 8);
    uint64_t tail = 8 + count * 8;
    if (tail > len - hdr)
        return -1;
    *end = len - (size_t)tail;
    return 0;
}

/* Reports the live entry at blk[pos..end) and sets *size to its length (multiple of 8). */
static int dir_data_entry(const uint8_t *blk, size_t pos, size_t end, int has_ftype,
                          xfs_raw_dirent_cb cb, void *ctx, size_t *size)
{
    if (end - pos < 16)
        return -1;
    size_t namelen = blk[pos + 8];
    size_t sz = (8 + 1 + namelen + (has_ftype ? 1 : 0) + 2 + 7) & ~(size_t)7;
    if (namelen == 0 || sz > end - pos)
        return -1;
    xfs_raw_dirent d;
    d.ino = xfs_be64(blk + pos);
    d.name = blk + pos + 9;
    d.name_len = namelen;
    d.ftype = has_ftype ? blk[pos + 9 + namelen] : 0;
    *size = sz;
    int rc = cb(&d, ctx);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

/* Walks the entries of one directory data block, skipping free spans (tag 0xffff). */
int xfs_raw_dir_block_walk(const uint8_t *blk, size_t len, int v5, int has_ftype, uint64_t owner,
                           xfs_raw_dirent_cb cb, void *ctx, husk_err *err)
{
    size_t hdr = v5 ? 64 : 16;
    if (!blk || len < hdr + 16 || len % 8 != 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block truncated");
    uint32_t magic = xfs_be32(blk);
    int ok = v5 ? magic == XFS_DIR3_BLOCK_MAGIC || magic == XFS_DIR3_DATA_MAGIC
                : magic == XFS_DIR2_BLOCK_MAGIC || magic == XFS_DIR2_DATA_MAGIC;
    if (!ok)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block: bad magic 0x%08x", magic);
    if (v5 && xfs_be64(blk + 40) != owner)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block belongs to inode %llu",
                            (unsigned long long)xfs_be64(blk + 40));
    size_t end, pos = hdr;
    if (dir_block_end(blk, len, hdr, magic, &end) != 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block: bad leaf count");
    while (pos < end) {
        size_t sz;
        if (end - pos >= 4 && xfs_be16(blk + pos) == 0xffff) { /* unused space */
            sz = xfs_be16(blk + pos + 2);
            if (sz < 8 || sz % 8 != 0 || sz > end - pos)
                return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block: bad free span");
        } else {
            int rc = dir_data_entry(blk, pos, end, has_ftype, cb, ctx, &sz);
            if (rc == -1)
                return husk_err_set(err, HUSK_E_FORMAT, "XFS directory block: bad entry at %zu",
                                    pos);
            if (rc != 0)
                return rc;
        }
        pos += sz;
    }
    return 0;
}

/* Prefixes an on-disk attribute name with its namespace. */
int xfs_raw_attr_name(const xfs_raw_attr *a, char *buf, size_t bufsize)
{
    if (a->flags & (XFS_RAW_ATTR_INCOMPLETE | XFS_RAW_ATTR_PARENT))
        return 0;
    const char *prefix;
    switch (a->flags & (XFS_RAW_ATTR_ROOT | XFS_RAW_ATTR_SECURE)) {
    case 0:
        prefix = "user.";
        break;
    case XFS_RAW_ATTR_ROOT:
        prefix = "trusted.";
        break;
    case XFS_RAW_ATTR_SECURE:
        prefix = "security.";
        break;
    default:
        return -HUSK_E_FORMAT;
    }
    size_t plen = strlen(prefix);
    if (a->name_len == 0 || memchr(a->name, '\0', a->name_len) || plen + a->name_len >= bufsize)
        return -HUSK_E_FORMAT;
    memcpy(buf, prefix, plen);
    memcpy(buf + plen, a->name, a->name_len);
    buf[plen + a->name_len] = '\0';
    return 1;
}

/* Walks a short-form attribute fork: be16 totsize, u8 count, pad, then entries of namelen,
 * valuelen, flags, name, value, all inside totsize. */
int xfs_raw_attr_sf_walk(const uint8_t *fork, size_t len, xfs_raw_attr_cb cb, void *ctx,
                         husk_err *err)
{
    if (!fork || len < 4)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form attributes truncated");
    size_t total = xfs_be16(fork);
    unsigned count = fork[2];
    if (total < 4 || total > len)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form attributes: bad size %zu", total);
    size_t pos = 4;
    for (unsigned i = 0; i < count; i++) {
        if (total - pos < 3)
            return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form attributes: entry %u cut", i);
        xfs_raw_attr a;
        a.name_len = fork[pos];
        a.value_len = fork[pos + 1];
        a.flags = fork[pos + 2];
        if (a.name_len + a.value_len > total - pos - 3)
            return husk_err_set(err, HUSK_E_FORMAT, "XFS short-form attributes: entry %u cut", i);
        a.name = fork + pos + 3;
        a.value = a.name + a.name_len;
        a.remote_blk = 0;
        pos += 3 + a.name_len + a.value_len;
        int rc = cb(&a, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Classifies an attribute-fork block by its dir/attr block magic. */
int xfs_raw_da_kind(const uint8_t *blk, size_t len, int v5)
{
    if (!blk || len < 12)
        return XFS_RAW_DA_OTHER;
    uint16_t magic = xfs_be16(blk + 8);
    if (magic == (v5 ? XFS_ATTR3_LEAF_MAGIC : XFS_ATTR_LEAF_MAGIC))
        return XFS_RAW_DA_LEAF;
    if (magic == (v5 ? XFS_DA3_NODE_MAGIC : XFS_DA_NODE_MAGIC))
        return XFS_RAW_DA_NODE;
    return XFS_RAW_DA_OTHER;
}

/* Checks the common header of a dir/attr B+tree block (v5: owner at 48). */
static int da_check(const uint8_t *blk, size_t len, size_t hdr, int v5, uint64_t owner, int kind,
                    husk_err *err)
{
    if (!blk || len < hdr + 8 || xfs_raw_da_kind(blk, len, v5) != kind)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS attribute block: bad magic");
    if (v5 && xfs_be64(blk + 48) != owner)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS attribute block belongs to inode %llu",
                            (unsigned long long)xfs_be64(blk + 48));
    return 0;
}

/* Decodes the leaf entry e of blk into a; returns 0, or -1 when it points outside blk. */
static int attr_leaf_entry(const uint8_t *blk, size_t len, const uint8_t *e, xfs_raw_attr *a)
{
    size_t idx = xfs_be16(e + 4);
    a->flags = e[6];
    if (idx >= len)
        return -1;
    const uint8_t *n = blk + idx;
    size_t room = len - idx;
    if (a->flags & XFS_RAW_ATTR_LOCAL) {
        if (room < 3)
            return -1;
        a->value_len = xfs_be16(n);
        a->name_len = n[2];
        a->name = n + 3;
        a->value = a->name + a->name_len;
        a->remote_blk = 0;
        return 3 + a->name_len + a->value_len <= room ? 0 : -1;
    }
    if (room < 9)
        return -1;
    a->remote_blk = xfs_be32(n);
    a->value_len = xfs_be32(n + 4);
    a->name_len = n[8];
    a->name = n + 9;
    a->value = NULL;
    return 9 + a->name_len <= room ? 0 : -1;
}

/* Walks the entry table of an attribute leaf; a damaged entry is skipped, not fatal. */
int xfs_raw_attr_leaf_walk(const uint8_t *blk, size_t len, int v5, uint64_t owner,
                           xfs_raw_attr_cb cb, void *ctx, uint32_t *forw, husk_err *err)
{
    size_t hdr = v5 ? 80 : 32;
    int rc = da_check(blk, len, hdr, v5, owner, XFS_RAW_DA_LEAF, err);
    if (rc != 0)
        return rc;
    *forw = xfs_be32(blk);
    size_t count = xfs_be16(blk + (v5 ? 56 : 12));
    if (count > (len - hdr) / 8)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS attribute leaf: %zu entries", count);
    int bad = 0;
    for (size_t i = 0; i < count; i++) {
        xfs_raw_attr a;
        if (attr_leaf_entry(blk, len, blk + hdr + i * 8, &a) != 0) {
            bad++;
            continue;
        }
        rc = cb(&a, ctx);
        if (rc != 0)
            return rc;
    }
    if (bad)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS attribute leaf: %d damaged entries", bad);
    return 0;
}

/* Decodes a dir/attr B+tree node and returns its leftmost child. */
int xfs_raw_da_node_first(const uint8_t *blk, size_t len, int v5, uint64_t owner, uint16_t *level,
                          uint32_t *child, husk_err *err)
{
    size_t hdr = v5 ? 64 : 16;
    int rc = da_check(blk, len, hdr, v5, owner, XFS_RAW_DA_NODE, err);
    if (rc != 0)
        return rc;
    size_t count = xfs_be16(blk + (v5 ? 56 : 12));
    *level = xfs_be16(blk + (v5 ? 58 : 14));
    if (count == 0 || count > (len - hdr) / 8 || *level == 0 || *level > XFS_RAW_DA_MAXDEPTH)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS attribute node: %zu entries, level %u", count,
                            *level);
    *child = xfs_be32(blk + hdr + 4);
    return 0;
}

/* Returns the payload of a remote block after checking its self-describing header (v5). */
int xfs_raw_rmt_block(const uint8_t *blk, size_t len, int v5, uint32_t magic, uint64_t owner,
                      const uint8_t **data, size_t *data_len, husk_err *err)
{
    if (!blk || len == 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS remote block truncated");
    if (!v5) {
        *data = blk;
        *data_len = len;
        return 0;
    }
    if (len <= XFS_RAW_RMT_HDR_LEN || xfs_be32(blk) != magic)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS remote block: bad magic 0x%08x",
                            len >= 4 ? xfs_be32(blk) : 0);
    if (xfs_be64(blk + 32) != owner)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS remote block belongs to inode %llu",
                            (unsigned long long)xfs_be64(blk + 32));
    size_t bytes = xfs_be32(blk + 8);
    if (bytes > len - XFS_RAW_RMT_HDR_LEN)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS remote block: %zu bytes", bytes);
    *data = blk + XFS_RAW_RMT_HDR_LEN;
    *data_len = bytes;
    return 0;
}
