/*
 * Raw ext2/3/4 structures (src/evidence/ext4_raw.c) and the recovery decoders on top of them
 * (src/recover/ext4_rec.c): superblock and group-descriptor geometry, inode records (times,
 * in-inode xattrs, extent roots, checksums, the recovery verdict), external xattr blocks,
 * extent-tree blocks and directory blocks (with the slack search for deleted names).
 * Input: one structure; every decoder is run on it, the block ones with the input's length as
 * the block size. Seeds: superblocks, inode records, inode-table, directory and xattr blocks.
 */
#include <string.h>

#include "fuzz.h"
#include "../../src/evidence/ext4_raw.h"
#include "../../src/recover/ext4_rec.h"

static int on_xattr(const char *name, const uint8_t *value, size_t value_len, void *ctx)
{
    size_t *sum = ctx;
    *sum += strlen(name) + value_len + (value_len ? value[value_len - 1] : 0);
    return 0;
}

static int on_dirent(const e4r_dirent *d, void *ctx)
{
    size_t *sum = ctx;
    *sum += d->inode + d->name_len + (d->name_len ? d->name[d->name_len - 1] : 0) +
            e4r_name_ok(d->name, d->name_len) + e4r_dirent_type(d->file_type);
    return 0;
}

static void extents(const uint8_t *p, size_t len, size_t *sum)
{
    e4r_node n;
    if (e4r_node_parse(p, len, &n) < 0)
        return;
    for (size_t i = 0; i < n.entries; i++) {
        if (n.depth == 0) {
            e4r_extent e;
            e4r_node_extent(&n, i, &e);
            *sum += e.lblk + e.len + e.pblk;
        } else {
            uint32_t lblk;
            uint64_t child;
            e4r_node_index(&n, i, &lblk, &child);
            *sum += lblk + child;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sum = 0;
    husk_err err = {0};

    /* a superblock (the input from its start) */
    ext4_sb sb;
    if (ext4_sb_parse(data, size, &sb, &err) == 0) {
        uint64_t off;
        uint64_t groups[] = {0, 1, sb.group_count ? sb.group_count - 1 : 0, sb.first_meta_bg,
                             sb.group_count};
        for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
            if (ext4_gd_offset(&sb, groups[i], &off, &err) == 0)
                sum += off;
        if (size >= sb.desc_size)
            sum += ext4_gd_inode_table(&sb, data);
        int mc = 0;
        sum += e4r_fs_seed(data, &mc);
    }

    /* an inode record of the input's length (at most 1 KiB, as the largest inode size) */
    size_t isize = size > 1024 ? 1024 : size;
    husk_stat st;
    if (ext4_inode_decode(data, isize, &st, &err) == 0)
        sum += st.mode + st.size + (size_t)st.mtime.sec + st.rdev_major;
    sum += ext4_inode_file_acl(data, isize) + ext4_inode_dtime(data, isize);
    ext4_xattrs_inode(data, isize, on_xattr, &sum, &err);
    e4r_inode in;
    e4r_inode_get(data, isize, &in);
    sum += in.size + (size_t)e4r_inode_verdict(data, isize) + e4r_is_fast_symlink(&in);
    sum += e4r_inode_csum_ok(data, isize, 0x12345678u, 12);
    if (isize >= 100)
        extents(data + 40, 60, &sum); /* i_block */
    e4r_copy copies[2] = {{data, 5, 1}, {data, 7, -1}};
    if (isize >= 128)
        sum += (size_t)e4r_pick_copy(copies, 2, isize, 12, in.gen, 1, 0x12345678u);

    /* a block of the input's length */
    ext4_xattrs_block(data, size, on_xattr, &sum, &err);
    sum += e4r_xattr_block_csum(data, size, 0x12345678u, 1234);
    extents(data, size, &sum);
    sum += e4r_extent_block_csum(data, size, 0x9abcdef0u);
    sum += e4r_dir_block_csum(data, size, 0x9abcdef0u);
    e4r_dirblock kind;
    e4r_dir_block_walk(data, size, 1u << 20, 1, on_dirent, &sum, &kind);
    e4r_dir_block_walk(data, size, UINT32_MAX, 0, on_dirent, &sum, NULL);
    return sum == 1;
}
