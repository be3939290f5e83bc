/* Pure decoders of the ext4 recovered view (src/recover/ext4_rec.h). */
#include "ext4_rec.h"

#include <string.h>

#include "husk/crc32c.h"

/* ---- extent trees ----------------------------------------------------------------------- */

int e4r_node_parse(const uint8_t *p, size_t len, e4r_node *n)
{
    memset(n, 0, sizeof *n);
    if (len < 12 || e4r_le16(p) != E4R_EXT_MAGIC)
        return -1;
    n->p = p;
    n->len = len;
    n->entries = e4r_le16(p + 2);
    n->max = e4r_le16(p + 4);
    n->depth = e4r_le16(p + 6);
    n->generation = e4r_le32(p + 8);
    /* the kernel's ext4_ext_check(): entries within max, max within the node */
    if (n->max == 0 || n->entries > n->max || 12 + (size_t)n->max * 12 > len ||
        n->depth > E4R_MAX_DEPTH)
        return -1;
    return 0;
}

void e4r_node_extent(const e4r_node *n, size_t i, e4r_extent *e)
{
    const uint8_t *x = n->p + 12 + i * 12;
    uint16_t len = e4r_le16(x + 4);
    e->lblk = e4r_le32(x);
    e->unwritten = len > E4R_INIT_MAX_LEN;
    e->len = e->unwritten ? len - E4R_INIT_MAX_LEN : len;
    e->pblk = (uint64_t)e4r_le16(x + 6) << 32 | e4r_le32(x + 8);
}

void e4r_node_index(const e4r_node *n, size_t i, uint32_t *lblk, uint64_t *child)
{
    const uint8_t *x = n->p + 12 + i * 12;
    *lblk = e4r_le32(x);
    *child = e4r_le32(x + 4) | (uint64_t)e4r_le16(x + 8) << 32;
}

/* ---- checksums -------------------------------------------------------------------------- */

uint32_t e4r_fs_seed(const uint8_t *sb, int *metadata_csum)
{
    if (metadata_csum)
        *metadata_csum = (e4r_le32(sb + 0x64) & E4R_RO_COMPAT_METADATA_CSUM) != 0;
    if (e4r_le32(sb + 0x60) & E4R_INCOMPAT_CSUM_SEED)
        return e4r_le32(sb + 0x270);
    return husk_crc32c(~0u, sb + 0x68, 16);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t e4r_inode_seed(uint32_t fs_seed, uint32_t ino, uint32_t gen)
{
    uint8_t b[4];
    put_le32(b, ino);
    uint32_t c = husk_crc32c(fs_seed, b, 4);
    put_le32(b, gen);
    return husk_crc32c(c, b, 4);
}

int e4r_inode_csum_ok(const uint8_t *raw, size_t isize, uint32_t fs_seed, uint32_t ino)
{
    static const uint8_t zero[2];
    /* 129-131 bytes: not an inode size, and too short for the extra fields read below */
    if (isize < 128 || (isize > 128 && isize < 0x84))
        return 0;
    uint32_t extra = isize > 128 ? e4r_le16(raw + 0x80) : 0;
    /* i_checksum_hi exists when the extra fields reach it (EXT4_FITS_IN_INODE) */
    int has_hi = isize >= 0x84 && 128 + extra >= 0x84;
    uint32_t c = e4r_inode_seed(fs_seed, ino, e4r_le32(raw + 0x64));
    c = husk_crc32c(c, raw, 0x7C);
    c = husk_crc32c(c, zero, 2);
    c = husk_crc32c(c, raw + 0x7E, 128 - 0x7E);
    if (isize > 128) {
        size_t off = 0x82;
        c = husk_crc32c(c, raw + 128, off - 128);
        if (has_hi) {
            c = husk_crc32c(c, zero, 2);
            off += 2;
        }
        c = husk_crc32c(c, raw + off, isize - off);
    }
    uint32_t stored = e4r_le16(raw + 0x7C);
    if (has_hi)
        stored |= (uint32_t)e4r_le16(raw + 0x82) << 16;
    else
        c &= 0xFFFF;
    return c == stored;
}

int e4r_extent_block_csum(const uint8_t *blk, size_t bs, uint32_t inode_seed)
{
    e4r_node n;
    if (e4r_node_parse(blk, bs, &n) != 0)
        return 0;
    size_t off = 12 + (size_t)n.max * 12; /* EXT4_EXTENT_TAIL_OFFSET */
    if (off + 4 > bs)
        return -1;
    return husk_crc32c(inode_seed, blk, off) == e4r_le32(blk + off);
}

int e4r_dir_block_csum(const uint8_t *blk, size_t bs, uint32_t inode_seed)
{
    if (bs < 12)
        return -1;
    const uint8_t *t = blk + bs - 12; /* struct ext4_dir_entry_tail */
    if (e4r_le32(t) != 0 || e4r_le16(t + 4) != 12 || t[6] != 0 || t[7] != 0xDE)
        return -1;
    return husk_crc32c(inode_seed, blk, bs - 12) == e4r_le32(t + 8);
}

int e4r_xattr_block_csum(const uint8_t *blk, size_t bs, uint32_t fs_seed, uint64_t blocknr)
{
    static const uint8_t zero[4];
    if (bs < 32)
        return 0;
    uint8_t nr[8];
    put_le32(nr, (uint32_t)blocknr);
    put_le32(nr + 4, (uint32_t)(blocknr >> 32));
    /* ext4_xattr_block_csum(): block number, header up to h_checksum, zeros, the rest */
    uint32_t c = husk_crc32c(fs_seed, nr, 8);
    c = husk_crc32c(c, blk, 16);
    c = husk_crc32c(c, zero, 4);
    c = husk_crc32c(c, blk + 20, bs - 20);
    return c == e4r_le32(blk + 16);
}

/* ---- inodes ----------------------------------------------------------------------------- */

void e4r_inode_get(const uint8_t *raw, size_t isize, e4r_inode *in)
{
    memset(in, 0, sizeof *in);
    if (isize < 128)
        return;
    in->mode = e4r_le16(raw);
    in->links = e4r_le16(raw + 0x1A);
    in->dtime = e4r_le32(raw + 0x14);
    in->flags = e4r_le32(raw + 0x20);
    in->gen = e4r_le32(raw + 0x64);
    in->size = e4r_le32(raw + 0x04) | (uint64_t)e4r_le32(raw + 0x6C) << 32;
    in->file_acl = e4r_le32(raw + 0x68) | (uint64_t)e4r_le16(raw + 0x76) << 32;
    in->type = husk_ftype_from_mode(in->mode);
}

int e4r_is_fast_symlink(const e4r_inode *in)
{
    return in->type == HUSK_FT_SYMLINK && !(in->flags & (E4R_EXTENTS_FL | E4R_INLINE_DATA_FL)) &&
           in->size > 0 && in->size < E4R_IBLOCK_LEN;
}

e4r_verdict e4r_inode_verdict(const uint8_t *raw, size_t isize)
{
    e4r_inode in;
    e4r_inode_get(raw, isize, &in);
    if (in.mode == 0 || in.type == HUSK_FT_UNKNOWN)
        return E4R_EMPTY;
    if (in.links == 0 || in.dtime != 0)
        return E4R_UNLINKED;
    switch (in.type) {
    case HUSK_FT_FILE:
    case HUSK_FT_DIR:
    case HUSK_FT_SYMLINK:
        break;
    default:
        return E4R_USABLE; /* no data: the record is the whole object */
    }
    if (in.flags & E4R_INLINE_DATA_FL)
        return E4R_USABLE;
    if (e4r_is_fast_symlink(&in))
        return E4R_USABLE;
    if (!(in.flags & E4R_EXTENTS_FL))
        /* ext2/3 block maps are not followed (the kernel zeroes them on delete as well,
         * but old copies would hold them); an empty one needs no mapping */
        return in.size == 0 && in.type == HUSK_FT_FILE ? E4R_USABLE : E4R_NO_MAP;
    e4r_node n;
    if (e4r_node_parse(raw + 0x28, E4R_IBLOCK_LEN, &n) != 0)
        return E4R_NO_MAP;
    /* a copy taken after the truncate in eviction, or before delayed allocation mapped the
     * data, has an empty root: it cannot give the bytes back */
    if (n.entries == 0 && (in.size > 0 || in.type == HUSK_FT_DIR))
        return E4R_NO_MAP;
    return E4R_USABLE;
}

long e4r_pick_copy(const e4r_copy *c, size_t n, size_t isize, uint32_t ino, uint32_t gen,
                   int metadata_csum, uint32_t fs_seed)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        if (c[i].tag_csum == 0 || isize < 128)
            continue; /* the journal block was overwritten since the descriptor was written */
        if (e4r_le32(c[i].raw + 0x64) != gen)
            continue; /* another incarnation of the number */
        if (e4r_inode_verdict(c[i].raw, isize) != E4R_USABLE)
            continue;
        if (metadata_csum && !e4r_inode_csum_ok(c[i].raw, isize, fs_seed, ino))
            continue;
        if (best < 0 || c[i].sequence >= c[best].sequence)
            best = (long)i;
    }
    return best;
}

/* ---- directory blocks ------------------------------------------------------------------- */

/* ext4_rec_len_from_disk(): 64 KiB blocks encode their full length specially. */
static size_t rec_len(const uint8_t *p, size_t bs)
{
    uint32_t len = e4r_le16(p);
    if (bs >= 65536 && (len == 65535 || len == 0))
        return bs;
    return (len & 65532) | ((len & 3) << 16);
}

/* EXT4_DIR_REC_LEN: the bytes an entry with this name needs. */
static size_t need_len(size_t name_len)
{
    return (8 + name_len + 3) & ~(size_t)3;
}

int e4r_name_ok(const uint8_t *name, size_t len)
{
    if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == '\0')
            return 0;
    return 1;
}

static int is_dot(const uint8_t *e, size_t n)
{
    return e[6] == n && e[8] == '.' && (n == 1 || e[9] == '.');
}

/* Checks the chain; fills *kind. 0 when blk is a directory block, -1 when not. */
static int check_chain(const uint8_t *blk, size_t bs, uint32_t max_ino, e4r_dirblock *kind)
{
    *kind = E4R_DIR_LEAF;
    size_t off = 0, n = 0;
    while (off < bs) {
        if (bs - off < 12)
            return -1;
        const uint8_t *e = blk + off;
        size_t rl = rec_len(e + 4, bs);
        uint32_t ino = e4r_le32(e);
        if (rl < 12 || (rl & 3) || rl > bs - off || need_len(e[6]) > rl || ino > max_ino)
            return -1;
        if (ino != 0 && !is_dot(e, 1) && !is_dot(e, 2) && !e4r_name_ok(e + 8, e[6]))
            return -1;
        if (n == 0 && ino == 0 && rl == bs && e[6] == 0)
            *kind = E4R_DIR_DX_NODE;
        /* dx_root: "." then ".." over the rest, then dx_root_info (reserved_zero, hash
         * version, info_length 8, indirect levels) */
        if (n == 1 && off == 12 && rl == bs - 12 && is_dot(blk, 1) && is_dot(e, 2) && bs >= 0x20 &&
            e4r_le32(blk + 0x18) == 0 && blk[0x1D] == 8 && blk[0x1E] < 3)
            *kind = E4R_DIR_DX_ROOT;
        off += rl;
        n++;
    }
    return 0;
}

/* Whole entries left in [from, end): deleted entries a pre-5.13 kernel merged into the
 * previous entry's rec_len. */
static int walk_slack(const uint8_t *blk, size_t bs, size_t from, size_t end, uint32_t max_ino,
                      e4r_dirent_cb cb, void *ctx)
{
    size_t q = (from + 3) & ~(size_t)3;
    while (q + 12 <= end) {
        const uint8_t *e = blk + q;
        uint32_t ino = e4r_le32(e);
        size_t rl = rec_len(e + 4, bs);
        uint8_t nl = e[6], ft = e[7];
        if (ino == 0 || ino > max_ino || nl == 0 || ft == 0 || ft > 7 || (rl & 3) ||
            rl < need_len(nl) || q + need_len(nl) > end || !e4r_name_ok(e + 8, nl)) {
            q += 4;
            continue;
        }
        e4r_dirent d = {ino, nl, ft, e + 8, (uint32_t)q, 1};
        int r = cb(&d, ctx);
        if (r)
            return r;
        q += need_len(nl);
    }
    return 0;
}

int e4r_dir_block_walk(const uint8_t *blk, size_t bs, uint32_t max_ino, int slack, e4r_dirent_cb cb,
                       void *ctx, e4r_dirblock *kind)
{
    e4r_dirblock k;
    if (kind)
        *kind = 0;
    if (check_chain(blk, bs, max_ino, &k) != 0)
        return -1;
    if (kind)
        *kind = k;
    size_t off = 0;
    while (off < bs) {
        const uint8_t *e = blk + off;
        size_t rl = rec_len(e + 4, bs);
        uint32_t ino = e4r_le32(e);
        if (ino != 0) {
            e4r_dirent d = {ino, e[6], e[7], e + 8, (uint32_t)off, 0};
            int r = cb(&d, ctx);
            if (r)
                return r;
        }
        /* the dx blocks keep their index in the slack: only leaves hide deleted entries */
        if (slack && k == E4R_DIR_LEAF) {
            size_t used = ino != 0 ? need_len(e[6]) : 8;
            int r = walk_slack(blk, bs, off + used, off + rl, max_ino, cb, ctx);
            if (r)
                return r;
        }
        off += rl;
    }
    return 0;
}

husk_ftype e4r_dirent_type(uint8_t ft)
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
    default:
        return HUSK_FT_UNKNOWN;
    }
}
