/* Raw ext2/3/4 decoders (src/evidence/ext4_raw.h). Layouts: e2fsprogs lib/ext2fs/ext2_fs.h,
 * ext2_ext_attr.h; the kernel's Documentation/filesystems/ext4. ext4 is little-endian. */
#include "ext4_raw.h"

#include <stdio.h>
#include <string.h>

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int ext4_sb_parse(const uint8_t *b, size_t len, ext4_sb *sb, husk_err *err)
{
    memset(sb, 0, sizeof *sb);
    if (len < EXT4_SB_SIZE)
        return husk_err_set(err, HUSK_E_FORMAT, "ext superblock truncated");
    if (le16(b + 0x38) != EXT4_SB_MAGIC)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no ext2/3/4 superblock magic");
    uint32_t log = le32(b + 0x18);
    if (log > 6) /* 1 KiB .. 64 KiB */
        return husk_err_set(err, HUSK_E_FORMAT, "ext block size exponent %u out of range", log);
    sb->block_size = 1024u << log;
    sb->inodes_count = le32(b + 0x00);
    sb->first_data_block = le32(b + 0x14);
    sb->blocks_per_group = le32(b + 0x20);
    sb->inodes_per_group = le32(b + 0x28);
    sb->state = le16(b + 0x3A);
    uint32_t rev = le32(b + 0x4C);
    sb->inode_size = rev >= 1 ? le16(b + 0x58) : 128;
    sb->feature_compat = le32(b + 0x5C);
    sb->feature_incompat = le32(b + 0x60);
    sb->feature_ro_compat = le32(b + 0x64);
    memcpy(sb->uuid, b + 0x68, 16);
    memcpy(sb->label, b + 0x78, 16);
    sb->label[16] = '\0';
    sb->journal_inum = le32(b + 0xE0);
    sb->blocks_count = le32(b + 0x04);
    sb->desc_size = 32;
    if (sb->feature_incompat & EXT4_FEATURE_INCOMPAT_64BIT) {
        sb->blocks_count |= (uint64_t)le32(b + 0x150) << 32;
        sb->desc_size = le16(b + 0xFE);
        if (sb->desc_size < 32)
            sb->desc_size = 32;
    }
    sb->first_meta_bg = le32(b + 0x104);
    if (sb->inode_size < 128 || sb->inode_size > sb->block_size ||
        (sb->inode_size & (sb->inode_size - 1)))
        return husk_err_set(err, HUSK_E_FORMAT, "ext inode size %u invalid", sb->inode_size);
    if (sb->desc_size > 1024 || (sb->desc_size & (sb->desc_size - 1)))
        return husk_err_set(err, HUSK_E_FORMAT, "ext descriptor size %u invalid", sb->desc_size);
    if (sb->blocks_per_group == 0 || sb->inodes_per_group == 0 ||
        sb->blocks_per_group > 8 * sb->block_size)
        return husk_err_set(err, HUSK_E_FORMAT, "ext group geometry invalid");
    if (sb->first_data_block >= sb->blocks_count)
        return husk_err_set(err, HUSK_E_FORMAT, "ext first data block past the end");
    sb->group_count =
        (sb->blocks_count - sb->first_data_block + sb->blocks_per_group - 1) / sb->blocks_per_group;
    return 0;
}

/* 1 when group g holds a superblock backup (sparse_super: groups 0, 1 and powers of 3, 5, 7). */
static int group_has_super(const ext4_sb *sb, uint64_t g)
{
    if (g <= 1 || !(sb->feature_ro_compat & EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER))
        return 1;
    static const unsigned bases[] = {3, 5, 7};
    for (int i = 0; i < 3; i++) {
        uint64_t p = bases[i];
        while (p < g)
            p *= bases[i];
        if (p == g)
            return 1;
    }
    return 0;
}

int ext4_gd_offset(const ext4_sb *sb, uint64_t g, uint64_t *off, husk_err *err)
{
    if (g >= sb->group_count)
        return husk_err_set(err, HUSK_E_FORMAT, "block group %llu past the last group",
                            (unsigned long long)g);
    uint64_t per_block = sb->block_size / sb->desc_size;
    uint64_t dblock = g / per_block;
    uint64_t blk;
    if (!(sb->feature_incompat & EXT4_FEATURE_INCOMPAT_META_BG) || dblock < sb->first_meta_bg) {
        blk = (uint64_t)sb->first_data_block + 1 + dblock;
    } else {
        /* meta_bg: the descriptor block of a meta group sits in its first group */
        uint64_t first = dblock * per_block;
        blk = (uint64_t)sb->first_data_block + first * sb->blocks_per_group +
              (uint64_t)group_has_super(sb, first);
    }
    *off = blk * sb->block_size + (g % per_block) * sb->desc_size;
    return 0;
}

uint64_t ext4_gd_inode_table(const ext4_sb *sb, const uint8_t *gd)
{
    uint64_t t = le32(gd + 0x08);
    if (sb->desc_size >= 64)
        t |= (uint64_t)le32(gd + 0x28) << 32;
    return t;
}

/* ext4 stores 34-bit seconds: 32 signed bits plus two epoch bits in the "extra" word, whose
 * upper 30 bits are nanoseconds. */
static void decode_time(const uint8_t *raw, size_t isize, size_t off, size_t extra_off,
                        uint16_t extra_isize, husk_timespec *t)
{
    int32_t s = (int32_t)le32(raw + off);
    t->sec = s;
    t->nsec = 0;
    t->present = 1;
    if (extra_off && isize > 128 && extra_off + 4 <= 128u + extra_isize && extra_off + 4 <= isize) {
        uint32_t x = le32(raw + extra_off);
        t->sec += (int64_t)(x & 3) << 32;
        t->nsec = x >> 2;
        if (t->nsec > 999999999u)
            t->nsec = 0;
    }
}

int ext4_inode_decode(const uint8_t *raw, size_t isize, husk_stat *st, husk_err *err)
{
    if (isize < 128)
        return husk_err_set(err, HUSK_E_FORMAT, "inode record of %zu bytes too short", isize);
    uint16_t extra = 0;
    if (isize >= 0x82) { /* i_extra_isize is there */
        extra = le16(raw + 0x80);
        if (128u + extra > isize)
            extra = 0; /* damaged: ignore the extra fields rather than read past the record */
    }
    st->mode = le16(raw + 0x00);
    st->type = husk_ftype_from_mode(st->mode);
    st->uid = le16(raw + 0x02) | (uint32_t)le16(raw + 0x78) << 16;
    st->gid = le16(raw + 0x18) | (uint32_t)le16(raw + 0x7A) << 16;
    st->size = le32(raw + 0x04) | (uint64_t)le32(raw + 0x6C) << 32;
    st->nlink = le16(raw + 0x1A);
    st->generation = le32(raw + 0x64);
    decode_time(raw, isize, 0x08, 0x8C, extra, &st->atime);
    decode_time(raw, isize, 0x0C, 0x84, extra, &st->ctime);
    decode_time(raw, isize, 0x10, 0x88, extra, &st->mtime);
    memset(&st->crtime, 0, sizeof st->crtime);
    if (isize > 128 && 0x98u <= 128u + extra)
        decode_time(raw, isize, 0x90, 0x94, extra, &st->crtime);
    st->rdev_major = st->rdev_minor = 0;
    if (st->type == HUSK_FT_CHAR || st->type == HUSK_FT_BLOCK) {
        /* old_encode_dev in i_block[0] when it fits, else new_encode_dev in i_block[1] */
        uint32_t b0 = le32(raw + 0x28), b1 = le32(raw + 0x2C);
        if (b0) {
            st->rdev_major = (b0 >> 8) & 0xff;
            st->rdev_minor = b0 & 0xff;
        } else {
            st->rdev_major = (b1 & 0xfff00) >> 8;
            st->rdev_minor = (b1 & 0xff) | ((b1 >> 12) & 0xfff00);
        }
    }
    return 0;
}

uint64_t ext4_inode_file_acl(const uint8_t *raw, size_t isize)
{
    if (isize < 128)
        return 0;
    return le32(raw + 0x68) | (uint64_t)le16(raw + 0x76) << 32;
}

uint32_t ext4_inode_dtime(const uint8_t *raw, size_t isize)
{
    return isize >= 128 ? le32(raw + 0x14) : 0;
}

#define EXT4_XATTR_MAGIC 0xEA020000u

static const char *xattr_prefix(uint8_t idx)
{
    switch (idx) {
    case 1: return "user.";
    case 2: return "system.posix_acl_access";
    case 3: return "system.posix_acl_default";
    case 4: return "trusted.";
    case 6: return "security.";
    case 7: return "system.";
    case 8: return "system.richacl";
    default: return NULL;
    }
}

/*
 * Walks entries in [first, end) of area; value offsets are relative to vbase (in-inode: the
 * first entry; block: the block start). Entries end at four zero bytes.
 */
static int walk_entries(const uint8_t *area, size_t first, size_t end, size_t vbase,
                        husk_xattr_cb cb, void *ctx, husk_err *err)
{
    size_t p = first;
    int count = 0;
    while (p + 4 <= end && le32(area + p) != 0) {
        if (p + 16 > end)
            return husk_err_set(err, HUSK_E_FORMAT, "xattr entry truncated");
        uint8_t nlen = area[p];
        uint8_t idx = area[p + 1];
        uint16_t voff = le16(area + p + 2);
        uint32_t vinum = le32(area + p + 4);
        uint32_t vsize = le32(area + p + 8);
        if (p + 16 + nlen > end)
            return husk_err_set(err, HUSK_E_FORMAT, "xattr name runs past its area");
        const char *pre = xattr_prefix(idx);
        char name[300];
        if (pre)
            snprintf(name, sizeof name, "%s%.*s", pre, (int)nlen, (const char *)area + p + 16);
        else
            snprintf(name, sizeof name, "index%u.%.*s", idx, (int)nlen,
                     (const char *)area + p + 16);
        const uint8_t *val = NULL;
        size_t vl = 0;
        if (vinum == 0) {
            if (vbase + voff > end || vsize > end - (vbase + voff))
                return husk_err_set(err, HUSK_E_FORMAT, "xattr value of %s out of bounds", name);
            val = area + vbase + voff;
            vl = vsize;
        }
        int r = cb(name, val ? val : (const uint8_t *)"", vl, ctx);
        if (r != 0)
            return r < 0 ? r : 1;
        if (++count > 4096)
            return husk_err_set(err, HUSK_E_LIMIT, "too many xattr entries");
        p += (16u + nlen + 3u) & ~3u;
    }
    return 0;
}

int ext4_xattrs_inode(const uint8_t *raw, size_t isize, husk_xattr_cb cb, void *ctx,
                      husk_err *err)
{
    if (isize <= 128 + 4)
        return 0;
    uint16_t extra = le16(raw + 0x80);
    size_t h = 128u + extra;
    if (h + 4 > isize || le32(raw + h) != EXT4_XATTR_MAGIC)
        return 0;
    int r = walk_entries(raw, h + 4, isize, h + 4, cb, ctx, err);
    return r > 0 ? 1 : r;
}

int ext4_xattrs_block(const uint8_t *blk, size_t bsize, husk_xattr_cb cb, void *ctx,
                      husk_err *err)
{
    if (bsize < 32 || le32(blk) != EXT4_XATTR_MAGIC)
        return husk_err_set(err, HUSK_E_FORMAT, "external xattr block has no EA magic");
    int r = walk_entries(blk, 32, bsize, 0, cb, ctx, err);
    return r > 0 ? 1 : r;
}
