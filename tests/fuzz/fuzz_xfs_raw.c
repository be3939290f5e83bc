/*
 * Raw XFS structures (src/evidence/xfs_raw.c) and the recovery decoders on top of them
 * (src/recover/xfs_rec.c): superblock, inode records and their forks (short-form directories
 * and attributes, extent lists, bmbt roots), directory data blocks (live entries and the
 * remnants of deleted ones), attribute leaf and da-node blocks, bmbt and short-form B+tree
 * blocks, remote blocks, and the log's inode/buffer item formats.
 * Input: one byte of flags (v5, ftype, little-endian log items), then one structure; every
 * decoder is run on it, the block ones with the structure's length as the block size.
 */
#include <string.h>

#include "fuzz.h"
#include "../../src/evidence/xfs_raw.h"
#include "../../src/recover/xfs_rec.h"

static int on_dirent(const xfs_raw_dirent *d, void *ctx)
{
    size_t *sum = ctx;
    *sum += d->ino + d->name_len + (d->name_len ? d->name[d->name_len - 1] : 0) +
            xfs_raw_dir_ftype(d->ftype);
    return 0;
}

static int on_xrdirent(const xr_dirent *d, void *ctx)
{
    size_t *sum = ctx;
    *sum += d->ino + d->name_len + (d->name_len ? d->name[d->name_len - 1] : 0) + d->offset +
            xr_name_ok(d->name, d->name_len);
    return 0;
}

static int on_attr(const xfs_raw_attr *a, void *ctx)
{
    size_t *sum = ctx;
    char name[600];
    if (xfs_raw_attr_name(a, name, sizeof name) == 1)
        *sum += strlen(name);
    *sum += a->name_len + (a->name_len ? a->name[a->name_len - 1] : 0) + a->remote_blk;
    if (a->value)
        *sum += a->value_len + (a->value_len ? a->value[a->value_len - 1] : 0);
    return 0;
}

static void btree(const xfs_raw_btree *bt, size_t *sum)
{
    for (size_t i = 0; i < bt->numrecs; i++) {
        if (bt->level == 0) {
            xfs_raw_extent e;
            xfs_raw_extent_unpack(bt->recs + 16 * i, &e);
            *sum += e.startoff + e.startblock + e.blockcount;
        } else {
            *sum += xfs_be64(bt->ptrs + 8 * i);
        }
    }
}

static void inode(const uint8_t *p, size_t len, int has_ftype, size_t *sum)
{
    husk_err err = {0};
    xfs_raw_inode di;
    if (xfs_raw_inode_parse(p, len, 128, &di, &err) < 0)
        return;
    *sum += di.mode + di.size + (size_t)di.mtime.sec + di.crtime.nsec;
    const uint8_t *df = p + di.data_off;
    if (di.format == XFS_RAW_FMT_LOCAL) {
        size_t n = di.size < di.data_len ? (size_t)di.size : di.data_len;
        xfs_raw_dir_sf_walk(df, n, has_ftype, on_dirent, sum, &err);
        uint64_t parent;
        xr_sf_entries(df, n, has_ftype, 1u << 30, &parent, on_xrdirent, sum, &err);
    } else if (di.format == XFS_RAW_FMT_EXTENTS) {
        for (uint64_t i = 0; i < di.nextents && (i + 1) * 16 <= di.data_len; i++) {
            xfs_raw_extent e;
            xfs_raw_extent_unpack(df + 16 * i, &e);
            *sum += e.startblock;
        }
    } else if (di.format == XFS_RAW_FMT_BTREE) {
        xfs_raw_btree bt;
        if (xfs_raw_bmap_root_parse(df, di.data_len, &bt, &err) == 0)
            btree(&bt, sum);
    }
    if (di.attr_len && di.aformat == XFS_RAW_FMT_LOCAL)
        xfs_raw_attr_sf_walk(p + di.attr_off, di.attr_len, on_attr, sum, &err);
    else if (di.attr_len && di.aformat == XFS_RAW_FMT_BTREE) {
        xfs_raw_btree bt;
        if (xfs_raw_bmap_root_parse(p + di.attr_off, di.attr_len, &bt, &err) == 0)
            btree(&bt, sum);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int v5 = data[0] & 1, has_ftype = (data[0] >> 1) & 1, le = (data[0] >> 2) & 1;
    data++;
    size--;
    size_t sum = 0;
    husk_err err = {0};

    xfs_raw_sb sb;
    if (xfs_raw_sb_parse(data, size, &sb, &err) == 0) {
        uint64_t byte;
        uint64_t inos[] = {sb.rootino, sb.rootino + 1, 128, UINT64_MAX, 1ull << 40};
        for (size_t i = 0; i < sizeof inos / sizeof *inos; i++)
            if (xfs_raw_inode_locate(&sb, inos[i], &byte, &err) == 0)
                sum += byte;
        if (xfs_raw_fsb_locate(&sb, sb.dblocks - 1, 2, &byte) == 0)
            sum += byte;
    }

    /* an inode record (up to the largest inode size) */
    size_t isize = size > 2048 ? 2048 : size;
    inode(data, isize, has_ftype, &sum);
    sum += xr_inode_check(data, isize, 128) + xr_inode_crc_ok(data, isize);
    xfs_raw_sb fsb = {.blocksize = 4096, .dblocks = 76800, .agblocks = 19200, .agcount = 4,
                      .inodesize = 512, .inopblock = 8, .blocklog = 12, .inodelog = 9,
                      .inopblog = 3, .agblklog = 15, .v5 = 1, .has_ftype = 1};
    xfs_raw_extent ext[16];
    sum += xr_leftover_extents(&fsb, data, isize, ext, 16);
    int trimmed;
    sum += xr_guess_size(data, size, 3, &trimmed);

    /* blocks of the input's length */
    xfs_raw_dir_block_walk(data, size, v5, has_ftype, 128, on_dirent, &sum, &err);
    xr_dir_block_entries(data, size, v5, has_ftype, on_xrdirent, &sum, &err);
    sum += xr_dir_block_owner(data, size);
    sum += xfs_raw_da_kind(data, size, v5);
    uint32_t forw = 0, child = 0;
    uint16_t level = 0;
    xfs_raw_attr_leaf_walk(data, size, v5, 128, on_attr, &sum, &forw, &err);
    if (xfs_raw_da_node_first(data, size, v5, 128, &level, &child, &err) == 0)
        sum += level + child;
    xfs_raw_btree bt;
    if (xfs_raw_bmap_block_parse(data, size, v5, 128, &bt, &err) == 0)
        btree(&bt, &sum);
    const uint8_t *payload;
    size_t plen;
    if (xfs_raw_rmt_block(data, size, v5, XFS_RAW_SYMLINK_MAGIC, 128, &payload, &plen, &err) ==
        0)
        sum += plen + (plen ? payload[plen - 1] : 0);
    if (xfs_raw_rmt_block(data, size, v5, XFS_RAW_ATTR_RMT_MAGIC, 128, &payload, &plen, &err) ==
        0)
        sum += plen;
    static const struct {
        uint32_t magic;
        size_t keylen, reclen;
    } sbt[] = {{0x41423342u, 8, 8}, {0x41425442u, 8, 8}, {0x49414233u, 4, 16}, {0x49414254u, 4, 16}};
    for (size_t i = 0; i < sizeof sbt / sizeof *sbt; i++) {
        xr_sblock b;
        if (xr_sblock_parse(data, size, v5, sbt[i].magic, sbt[i].keylen, sbt[i].reclen, &b,
                            &err) == 0) {
            for (size_t k = 0; k < b.numrecs; k++) {
                if (b.level == 0 && sbt[i].reclen == 16) {
                    xr_inorec r;
                    xr_inorec_parse(b.recs + 16 * k, v5, &r);
                    sum += r.startino + r.free;
                } else if (b.level == 0) {
                    sum += fz_be32(b.recs + 8 * k);
                } else {
                    sum += fz_be32(b.ptrs + 4 * k);
                }
            }
        }
    }

    /* log items */
    if (size >= 512) {
        xr_lrec r;
        if (xr_lrec_parse(data, &r) == 0)
            sum += r.len + r.hdr_bbs;
    }
    xr_ilf f;
    if (xr_ilf_parse(data, size, le, &f) == 0)
        sum += f.ino + f.fields;
    xr_blf b;
    if (xr_blf_parse(data, size, le, &b) == 0) {
        unsigned bit = 0, start, count, guard = 0;
        while (xr_blf_next_run(&b, &bit, &start, &count) && guard++ < 4096)
            sum += start + count;
    }
    uint8_t core[512];
    if (xr_log_dinode_to_disk(data, size, le, core, sizeof core) == 0)
        inode(core, sizeof core, has_ftype, &sum);
    return sum == 1;
}
