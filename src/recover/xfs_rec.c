/*
 * Pure decoders of the XFS recovered view (src/recover/xfs_rec.h): deleted inode records,
 * directory remnants, per-AG B+tree blocks and the log's record and item formats. No I/O and
 * no allocation; every read stays inside the buffer it is given.
 *
 * Layouts: the kernel's fs/xfs/libxfs/xfs_format.h, xfs_da_format.h and xfs_log_format.h.
 */
#include "xfs_rec.h"

#include <string.h>

#include "husk/crc32c.h"

#define XFS_DINODE_MAGIC 0x494eu
#define XFS_DIR2_BLOCK_MAGIC 0x58443242u
#define XFS_DIR2_DATA_MAGIC 0x58443244u
#define XFS_DIR3_BLOCK_MAGIC 0x58444233u
#define XFS_DIR3_DATA_MAGIC 0x58444433u
#define XFS_DIR3_FT_MAX 8
#define XFS_DIFLAG2_BIGTIME 0x8u
#define XFS_DIFLAG2_NREXT64 0x10u
#define DINODE_CRC_OFF 100
#define DINODE_V3_CORE 176
#define DINODE_V2_CORE 100
#define LOG_DINODE_V2_LEN 96    /* offsetof(struct xfs_log_dinode, di_next_unlinked) */
#define LREC_HDR_LEN 328        /* sizeof(struct xlog_rec_header), padded to 8 */
#define LREC_HDR_LEN_PACKED 324 /* the same without the tail padding (i386 builds) */
#define LREC_EXT_HDR_LEN 260    /* sizeof(struct xlog_rec_ext_header) */
#define BLF_MAP_WORDS 17        /* XFS_BLF_DATAMAP_SIZE */

/* ---- inode records ------------------------------------------------------------------------ */

/* The kernel's xfs_dinode_calc_crc: CRC32c of the record with its CRC field taken as zero,
 * stored little-endian. */
int xr_inode_crc_ok(const uint8_t *rec, size_t len)
{
    static const uint8_t zero[4];
    if (!rec || len < DINODE_V3_CORE)
        return 0;
    uint32_t c = husk_crc32c(~0u, rec, DINODE_CRC_OFF);
    c = husk_crc32c(c, zero, sizeof zero);
    c = husk_crc32c(c, rec + DINODE_CRC_OFF + 4, len - DINODE_CRC_OFF - 4);
    return (c ^ ~0u) == xr_le32(rec + DINODE_CRC_OFF);
}

/* A v3 record names its own inode number, so a record found at the right place is one. */
int xr_inode_check(const uint8_t *rec, size_t len, uint64_t ino)
{
    if (!rec || len < DINODE_V3_CORE || xfs_be16(rec) != XFS_DINODE_MAGIC || rec[4] != 3 ||
        xfs_be64(rec + 152) != ino)
        return XR_INODE_NONE;
    return xr_inode_crc_ok(rec, len) ? XR_INODE_OK : XR_INODE_BADCRC;
}

/* The kernel leaves the records in place when it frees an inode; they end where the first
 * record fails the plausibility checks (the bytes after them are zeros or an old attr fork). */
size_t xr_leftover_extents(const xfs_raw_sb *sb, const uint8_t *rec, size_t len,
                           xfs_raw_extent *out, size_t max)
{
    if (!sb || !rec || len < DINODE_V2_CORE || !out)
        return 0;
    size_t off = rec[4] == 3 ? DINODE_V3_CORE : DINODE_V2_CORE, n = 0;
    static const uint8_t zero[16];
    while (n < max && off + 16 <= len && memcmp(rec + off, zero, 16) != 0) {
        xfs_raw_extent e;
        uint64_t pos;
        xfs_raw_extent_unpack(rec + off, &e);
        if (e.unwritten || e.blockcount == 0 ||
            xfs_raw_fsb_locate(sb, e.startblock, e.blockcount, &pos) != 0)
            break;
        if (n > 0 && e.startoff < out[n - 1].startoff + out[n - 1].blockcount)
            break;
        out[n++] = e;
        off += 16;
    }
    return n;
}

/* xfs_undelete's rule for text files: the bytes after the last non-zero one of the last
 * block are padding, unless the block holds NULs before that (then it is binary and all of
 * it is kept). */
uint64_t xr_guess_size(const uint8_t *last, size_t bs, uint64_t nblocks, int *trimmed)
{
    *trimmed = 0;
    if (nblocks == 0 || bs == 0)
        return 0;
    if (nblocks > UINT64_MAX / bs)
        return UINT64_MAX;
    uint64_t whole = nblocks * bs;
    if (!last)
        return whole;
    size_t k = bs;
    while (k > 0 && last[k - 1] == 0)
        k--;
    if (k == 0 || memchr(last, 0, k) != NULL)
        return whole;
    *trimmed = k < bs;
    return whole - bs + k;
}

/* ---- directories ------------------------------------------------------------------------- */

/* Bytes a name may not hold in any directory. */
static int name_bytes_ok(const uint8_t *name, size_t len)
{
    return len > 0 && !memchr(name, 0, len) && !memchr(name, '/', len);
}

int xr_name_ok(const uint8_t *name, size_t len)
{
    if (!name || !name_bytes_ok(name, len))
        return 0;
    return !(name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')));
}

/* Short-form layout: u8 count, u8 i8count, parent (4 or 8 bytes); entries of u8 namelen,
 * be16 offset, name, [u8 ftype], inode number (4 or 8 bytes). */
int xr_sf_entries(const uint8_t *fork, size_t len, int has_ftype, uint64_t ino_limit,
                  uint64_t *parent, xr_dirent_cb cb, void *ctx, husk_err *err)
{
    if (!fork || len < 6)
        return husk_err_set(err, HUSK_E_FORMAT, "short-form directory truncated");
    unsigned count = fork[0], i8 = fork[1];
    size_t isz = i8 ? 8 : 4, pos = 2 + isz;
    if (i8 > count || pos > len)
        return husk_err_set(err, HUSK_E_FORMAT, "short-form directory: bad header");
    uint64_t par = i8 ? xfs_be64(fork + 2) : xfs_be32(fork + 2);
    if (par == 0 || par >= ino_limit)
        return husk_err_set(err, HUSK_E_FORMAT, "short-form directory: parent %llu",
                            (unsigned long long)par);
    if (parent)
        *parent = par;
    size_t prev_off = 0;
    for (unsigned i = 0; i < count; i++) {
        size_t room = len - pos;
        if (room < 3)
            return husk_err_set(err, HUSK_E_FORMAT, "short-form directory: entry %u cut", i);
        size_t namelen = fork[pos], off = xfs_be16(fork + pos + 1);
        size_t need = 3 + namelen + (has_ftype ? 1 : 0) + isz;
        if (namelen == 0 || need > room || off % 8 != 0 || off <= prev_off)
            return husk_err_set(err, HUSK_E_FORMAT, "short-form directory: bad entry %u", i);
        xr_dirent d = {fork + pos + 3, namelen, 0, 0, 0, 0, off};
        d.ftype = has_ftype ? fork[pos + 3 + namelen] : 0;
        const uint8_t *ip = fork + pos + 3 + namelen + (has_ftype ? 1 : 0);
        d.ino = i8 ? xfs_be64(ip) : xfs_be32(ip);
        if (!xr_name_ok(d.name, namelen) || (has_ftype && (d.ftype == 0 || d.ftype > 8)) ||
            d.ino == 0 || d.ino >= ino_limit)
            return husk_err_set(err, HUSK_E_FORMAT, "short-form directory: bad entry %u", i);
        prev_off = off;
        pos += need;
        int rc = cb(&d, ctx);
        if (rc < 0)
            return rc;
    }
    return (int)count;
}

uint64_t xr_dir_block_owner(const uint8_t *blk, size_t len)
{
    if (!blk || len < 64)
        return 0;
    uint32_t m = xfs_be32(blk);
    return m == XFS_DIR3_BLOCK_MAGIC || m == XFS_DIR3_DATA_MAGIC ? xfs_be64(blk + 40) : 0;
}

/* Size of a data entry with a name of namelen bytes: inumber, namelen, name, [ftype], tag,
 * rounded up to 8 (xfs_dir2_data_entsize). */
static size_t entry_size(size_t namelen, int has_ftype)
{
    return (8 + 1 + namelen + (has_ftype ? 1 : 0) + 2 + 7) & ~(size_t)7;
}

/* Tries an entry at pos that must end by limit; fills d and returns its size, or 0. The tag
 * (its own offset) is what tells an old entry from arbitrary bytes. Inside a free span the
 * tag may instead hold the span's start (alt): when the kernel merges a freed entry into the
 * span before it, it writes the span's end tag over the entry's own. */
static size_t entry_at(const uint8_t *blk, size_t pos, size_t limit, int has_ftype, size_t alt,
                       xr_dirent *d)
{
    if (limit < pos || limit - pos < 16)
        return 0;
    size_t namelen = blk[pos + 8], sz = entry_size(namelen, has_ftype);
    if (namelen == 0 || sz > limit - pos)
        return 0;
    size_t tag = xfs_be16(blk + pos + sz - 2);
    if (tag != pos && tag != alt)
        return 0;
    if (!name_bytes_ok(blk + pos + 9, namelen))
        return 0;
    memset(d, 0, sizeof *d);
    d->name = blk + pos + 9;
    d->name_len = namelen;
    d->ftype = has_ftype ? blk[pos + 9 + namelen] : 0;
    if (has_ftype && d->ftype > XFS_DIR3_FT_MAX)
        return 0;
    d->offset = pos;
    if (xfs_be16(blk + pos) == 0xffff) { /* a free-span header took the high half */
        d->ino = xfs_be32(blk + pos + 4);
        d->ino_partial = 1;
    } else {
        d->ino = xfs_be64(blk + pos);
    }
    return d->ino ? sz : 0;
}

/* Reports the old entries a free span [pos, end) still holds, found by their tags. */
static int scan_span(const uint8_t *blk, size_t pos, size_t end, int has_ftype, xr_dirent_cb cb,
                     void *ctx)
{
    const size_t start = pos;
    while (pos + 16 <= end) {
        xr_dirent d;
        size_t sz = entry_at(blk, pos, end, has_ftype, start, &d);
        if (sz == 0) {
            pos += 8;
            continue;
        }
        d.deleted = 1;
        int rc = cb(&d, ctx);
        if (rc < 0)
            return rc;
        pos += sz;
    }
    return 0;
}

/* End of the entry area: a single-block directory keeps its leaf array and tail after it. */
static size_t block_end(const uint8_t *blk, size_t len, size_t hdr, uint32_t magic)
{
    if (magic != XFS_DIR2_BLOCK_MAGIC && magic != XFS_DIR3_BLOCK_MAGIC)
        return len;
    uint64_t tail = 8 + (uint64_t)xfs_be32(blk + len - 8) * 8;
    return tail <= len - hdr ? len - (size_t)tail : len;
}

int xr_dir_block_entries(const uint8_t *blk, size_t len, int v5, int has_ftype, xr_dirent_cb cb,
                         void *ctx, husk_err *err)
{
    size_t hdr = v5 ? 64 : 16;
    if (!blk || len < hdr + 16 || len % 8 != 0)
        return husk_err_set(err, HUSK_E_FORMAT, "directory block truncated");
    uint32_t magic = xfs_be32(blk);
    int ok = v5 ? magic == XFS_DIR3_BLOCK_MAGIC || magic == XFS_DIR3_DATA_MAGIC
                : magic == XFS_DIR2_BLOCK_MAGIC || magic == XFS_DIR2_DATA_MAGIC;
    if (!ok)
        return husk_err_set(err, HUSK_E_FORMAT, "directory block: bad magic 0x%08x", magic);
    size_t end = block_end(blk, len, hdr, magic), pos = hdr;
    int rc = 0;
    while (rc >= 0 && pos < end) {
        if (end - pos >= 4 && xfs_be16(blk + pos) == 0xffff) {
            size_t sz = xfs_be16(blk + pos + 2);
            if (sz < 8 || sz % 8 != 0 || sz > end - pos)
                break; /* damaged: search the rest by tags */
            rc = scan_span(blk, pos, pos + sz, has_ftype, cb, ctx);
            pos += sz;
            continue;
        }
        xr_dirent d;
        size_t sz = entry_at(blk, pos, end, has_ftype, pos, &d);
        if (sz == 0 || d.ino_partial)
            break;
        rc = cb(&d, ctx);
        pos += sz;
    }
    if (rc >= 0 && pos < end)
        rc = scan_span(blk, pos, len - 8, has_ftype, cb, ctx);
    return rc < 0 ? rc : 0;
}

/* ---- per-AG B+tree blocks ----------------------------------------------------------------- */

/* Short-form block header: magic, be16 level, be16 numrecs, be32 left and right siblings
 * (16 bytes), v5 adds blkno, lsn, uuid, owner and crc (56 bytes). */
int xr_sblock_parse(const uint8_t *blk, size_t len, int v5, uint32_t magic, size_t keylen,
                    size_t reclen, xr_sblock *b, husk_err *err)
{
    size_t hdr = v5 ? 56 : 16;
    if (!blk || len < hdr + 16 || keylen == 0 || reclen == 0)
        return husk_err_set(err, HUSK_E_FORMAT, "btree block truncated");
    if (xfs_be32(blk) != magic)
        return husk_err_set(err, HUSK_E_FORMAT, "btree block: magic 0x%08x, expected 0x%08x",
                            xfs_be32(blk), magic);
    b->level = xfs_be16(blk + 4);
    b->numrecs = xfs_be16(blk + 6);
    b->rightsib = xfs_be32(blk + 12);
    if (b->level == 0) {
        if (b->numrecs > (len - hdr) / reclen)
            return husk_err_set(err, HUSK_E_FORMAT, "btree leaf: %u records", b->numrecs);
        b->recs = blk + hdr;
        b->ptrs = NULL;
        return 0;
    }
    size_t maxrecs = (len - hdr) / (keylen + 4);
    if (b->numrecs == 0 || b->numrecs > maxrecs)
        return husk_err_set(err, HUSK_E_FORMAT, "btree node: %u records", b->numrecs);
    b->recs = NULL;
    b->ptrs = blk + hdr + maxrecs * keylen;
    return 0;
}

/* inobt record: be32 startino, then (sparse) be16 holemask, u8 count, u8 freecount or
 * (classic) be32 freecount, then be64 free mask; a hole-mask bit covers four inodes. */
void xr_inorec_parse(const uint8_t *rec, int sparse, xr_inorec *r)
{
    r->startino = xfs_be32(rec);
    r->free = xfs_be64(rec + 8);
    r->present = UINT64_MAX;
    if (sparse) {
        uint16_t holes = xfs_be16(rec + 4);
        for (unsigned i = 0; i < 16; i++)
            if (holes & (1u << i))
                r->present &= ~(0xfULL << (4 * i));
    }
    r->free &= r->present;
}

/* ---- log records -------------------------------------------------------------------------- */

int xr_lrec_parse(const uint8_t *bb, xr_lrec *r)
{
    if (xfs_be32(bb) != XR_LOG_MAGIC)
        return -1;
    memset(r, 0, sizeof *r);
    r->cycle = xfs_be32(bb + 4);
    r->version = xfs_be32(bb + 8);
    r->len = xfs_be32(bb + 12);
    r->lsn = xfs_be64(bb + 16);
    r->num_ops = xfs_be32(bb + 40);
    r->fmt = xfs_be32(bb + 300);
    r->size = xfs_be32(bb + 320);
    if ((r->version != 1 && r->version != 2) || r->len == 0 || r->len > XR_LOG_MAX_RECORD ||
        (uint32_t)(r->lsn >> 32) != r->cycle || r->cycle == 0 || r->num_ops == 0 ||
        r->num_ops > r->len / 12 || r->fmt == 0 || r->fmt > 3)
        return -1;
    r->hdr_bbs = 1;
    if (r->version == 2 && r->size > XR_LOG_CYCLE_SIZE) {
        if (r->size > XR_LOG_MAX_RECORD)
            return -1;
        r->hdr_bbs = (r->size + XR_LOG_CYCLE_SIZE - 1) / XR_LOG_CYCLE_SIZE;
    }
    r->data_bbs = (r->len + XR_BB - 1) / XR_BB;
    if (r->data_bbs > r->hdr_bbs * (XR_LOG_CYCLE_SIZE / XR_BB))
        return -1; /* more data than cycle words to put back */
    return 0;
}

/* xlog_cksum() with a header of hlen bytes. */
static uint32_t lrec_crc(const uint8_t *hdr, size_t hlen, unsigned hdr_bbs, const uint8_t *data,
                         size_t len)
{
    static const uint8_t zero[4];
    uint32_t c = husk_crc32c(~0u, hdr, 32);
    c = husk_crc32c(c, zero, 4);
    c = husk_crc32c(c, hdr + 36, hlen - 36);
    for (unsigned i = 1; i < hdr_bbs; i++)
        c = husk_crc32c(c, hdr + (size_t)i * XR_BB, LREC_EXT_HDR_LEN);
    c = husk_crc32c(c, data, len);
    return c ^ ~0u;
}

/* Kernels disagreed on whether the header's tail padding is summed (i386 builds did not):
 * a record matching either form is intact. Returns the stored value when one matches. */
uint32_t xr_lrec_crc(const uint8_t *hdr, unsigned hdr_bbs, const uint8_t *data, size_t len)
{
    uint32_t stored = xr_le32(hdr + 32);
    uint32_t c = lrec_crc(hdr, LREC_HDR_LEN, hdr_bbs, data, len);
    if (c == stored)
        return c;
    return lrec_crc(hdr, LREC_HDR_LEN_PACKED, hdr_bbs, data, len);
}

void xr_lrec_unpack(const uint8_t *hdr, unsigned hdr_bbs, uint8_t *data, unsigned data_bbs)
{
    const unsigned per = XR_LOG_CYCLE_SIZE / XR_BB;
    for (unsigned i = 0; i < data_bbs; i++) {
        unsigned h = i / per, k = i % per;
        if (h >= hdr_bbs)
            return;
        /* h_cycle_data at 44 of the header; xh_cycle_data at 4 of an extended header */
        const uint8_t *src = hdr + (size_t)h * XR_BB + (h == 0 ? 44 : 4) + 4 * k;
        memcpy(data + (size_t)i * XR_BB, src, 4);
    }
}

/* ---- log items ---------------------------------------------------------------------------- */

int xr_ilf_parse(const uint8_t *p, size_t len, int le, xr_ilf *f)
{
    if (!p || len < 52 || xr_h16(p, le) != XR_LI_INODE)
        return -1;
    memset(f, 0, sizeof *f);
    f->size = xr_h16(p + 2, le);
    f->fields = xr_h32(p + 4, le);
    f->asize = xr_h16(p + 8, le);
    f->dsize = xr_h16(p + 10, le);
    if (len >= 56) {
        f->ino = xr_h64(p + 16, le);
        f->rdev = xr_h32(p + 24, le);
    } else { /* xfs_inode_log_format_32: packed, ilf_ino at 12 */
        f->ino = xr_h64(p + 12, le);
        f->rdev = xr_h32(p + 20, le);
    }
    return f->size >= 2 && f->size <= 4 ? 0 : -1;
}

int xr_blf_parse(const uint8_t *p, size_t len, int le, xr_blf *b)
{
    if (!p || len < 20 || xr_h16(p, le) != XR_LI_BUF)
        return -1;
    memset(b, 0, sizeof *b);
    b->size = xr_h16(p + 2, le);
    b->flags = xr_h16(p + 4, le);
    b->len = xr_h16(p + 6, le);
    b->blkno = xr_h64(p + 8, le);
    b->map_size = xr_h32(p + 16, le);
    b->map = p + 20;
    b->le = le;
    if (b->size == 0 || b->map_size > BLF_MAP_WORDS || 20 + (size_t)b->map_size * 4 > len)
        return -1;
    return 0;
}

/* Bit i of the map is chunk i of the buffer (xfs_next_bit: least significant bit first). */
static int map_bit(const xr_blf *b, unsigned i)
{
    return (xr_h32(b->map + 4 * (i / 32), b->le) >> (i % 32)) & 1;
}

int xr_blf_next_run(const xr_blf *b, unsigned *bit, unsigned *start, unsigned *count)
{
    unsigned nbits = b->map_size * 32, i = *bit;
    while (i < nbits && !map_bit(b, i))
        i++;
    if (i >= nbits) {
        *bit = nbits;
        return 0;
    }
    *start = i;
    while (i < nbits && map_bit(b, i))
        i++;
    *count = i - *start;
    *bit = i;
    return 1;
}

/* Field widths of struct xfs_log_dinode, which mirrors xfs_dinode offset for offset but is
 * written in the host's byte order. Offsets 24 (v3 padding or nrext64 count), 132 (padding)
 * and 160 (uuid) are copied or converted separately. */
static const struct {
    uint8_t off, width;
} log_dinode_fields[] = {
    {2, 2},  {6, 2},   {8, 4},   {12, 4},  {16, 4},  {20, 2},  {22, 2}, {56, 8},
    {64, 8}, {72, 4},  {76, 4},  {80, 2},  {84, 4},  {88, 2},  {90, 2}, {92, 4},
    {96, 4}, {104, 8}, {112, 8}, {120, 8}, {128, 4}, {152, 8},
};

static void put_be(uint8_t *p, uint64_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint64_t get_h(const uint8_t *p, unsigned width, int le)
{
    switch (width) {
    case 2:
        return xr_h16(p, le);
    case 4:
        return xr_h32(p, le);
    default:
        return xr_h64(p, le);
    }
}

/* A logged timestamp is a host u64 (big-time nanoseconds) or two host s32 (seconds then
 * nanoseconds, in memory order); on disk both are big-endian. */
static void put_time(uint8_t *out, const uint8_t *ld, int bigtime, int le)
{
    if (bigtime) {
        put_be(out, xr_h64(ld, le), 8);
    } else {
        put_be(out, xr_h32(ld, le), 4);
        put_be(out + 4, xr_h32(ld + 4, le), 4);
    }
}

int xr_log_dinode_to_disk(const uint8_t *ld, size_t len, int le, uint8_t *out, size_t outlen)
{
    if (!ld || len < LOG_DINODE_V2_LEN || xr_h16(ld, le) != XFS_DINODE_MAGIC)
        return -1;
    int v3 = ld[4] == 3;
    if (ld[4] < 1 || ld[4] > 3 || (v3 && len < DINODE_V3_CORE) ||
        outlen < (v3 ? DINODE_V3_CORE : DINODE_V2_CORE))
        return -1;
    size_t end = v3 ? DINODE_V3_CORE : LOG_DINODE_V2_LEN;
    put_be(out, XFS_DINODE_MAGIC, 2);
    out[4] = ld[4];
    out[5] = ld[5];
    for (size_t i = 0; i < sizeof log_dinode_fields / sizeof log_dinode_fields[0]; i++) {
        unsigned o = log_dinode_fields[i].off, w = log_dinode_fields[i].width;
        if (o + w <= end)
            put_be(out + o, get_h(ld + o, w, le), w);
    }
    out[82] = ld[82];
    out[83] = ld[83];
    int bigtime = v3 && (xr_h64(ld + 120, le) & XFS_DIFLAG2_BIGTIME);
    for (unsigned o = 32; o <= 48; o += 8)
        put_time(out + o, ld + o, bigtime, le);
    if (v3) {
        put_be(out + 24, xr_h64(ld + 24, le), 8);
        put_time(out + 144, ld + 144, bigtime, le);
        memcpy(out + 132, ld + 132, 12);
        memcpy(out + 160, ld + 160, 16);
        memset(out + DINODE_CRC_OFF, 0, 4); /* the logged CRC is stale by design */
    } else {
        memcpy(out + 24, ld + 24, 6);
        put_be(out + 30, xr_h16(ld + 30, le), 2);
        put_be(out + 96, 0xffffffffu, 4); /* NULLAGINO: v2 cores do not log the link */
    }
    return 0;
}
