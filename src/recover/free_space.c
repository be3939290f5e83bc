/*
 * Where carving looks (src/recover/carve_int.h): the unallocated space of a file system, from
 * its own allocation metadata, and the ext4 journal's blocks.
 *
 * ext4: one block bitmap per block group, located by the group descriptors (recovery.md 2.7
 * step 1). XFS: the free-space-by-block B+tree of each allocation group, rooted in the AGF at
 * sector 1 of the AG (kernel fs/xfs/libxfs/xfs_format.h: struct xfs_agf, xfs_alloc_rec).
 * Both give free space in ascending order, so adjacent free extents are merged into one
 * stretch as they come and handed on at once: nothing here holds more than one metadata
 * block. Damaged metadata is reported and its part of the file system skipped; the rest is
 * still walked.
 */
#include "carve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "../evidence/ext4_raw.h"
#include "../evidence/xfs_access.h"
#include "../evidence/xfs_raw.h"
#include "husk/ext4.h"

#define EXT4_BG_BLOCK_UNINIT 0x2
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM 0x10
#define EXT4_FEATURE_RO_COMPAT_BIGALLOC 0x200
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM 0x400
#define XFS_AGF_MAGIC 0x58414746u  /* "XAGF" */
#define XFS_ABTB_MAGIC 0x41425442u /* "ABTB", v4 bnobt */
#define XFS_AB3B_MAGIC 0x41423342u /* "AB3B", v5 bnobt */
#define XFS_NULLAGBLOCK 0xffffffffu
#define XFS_BTREE_MAXLEVELS 9 /* ample for 2^31 blocks per AG */
#define MAX_REPORTS 20        /* damaged groups or AGs reported one by one */

/* ---- stretches ------------------------------------------------------------------------- */

int carve_merge_add(carve_merge *m, uint64_t off, uint64_t len, husk_err *err)
{
    if (len == 0)
        return 0;
    if (m->len > 0 && m->off + m->len == off) {
        m->len += len;
        return 0;
    }
    if (m->hint)
        m->hint(off, len, m->ctx);
    int r = carve_merge_flush(m, err);
    m->off = off;
    m->len = len;
    return r;
}

int carve_merge_flush(carve_merge *m, husk_err *err)
{
    if (m->len == 0)
        return 0;
    uint64_t off = m->off, len = m->len;
    m->len = 0;
    return m->cb(off, len, m->ctx, err);
}

int carve_bitmap_free_runs(const uint8_t *bm, uint64_t nbits,
                           int (*add)(uint64_t first, uint64_t count, void *ctx, husk_err *err),
                           void *ctx, husk_err *err)
{
    uint64_t i = 0;
    while (i < nbits) {
        /* whole bytes of allocated blocks are the common case: skip them eight at a time */
        if ((i & 7) == 0 && nbits - i >= 8 && bm[i >> 3] == 0xff) {
            i += 8;
            continue;
        }
        if (bm[i >> 3] & (1u << (i & 7))) {
            i++;
            continue;
        }
        uint64_t first = i;
        while (i < nbits) {
            if ((i & 7) == 0 && nbits - i >= 8 && bm[i >> 3] == 0) {
                i += 8;
                continue;
            }
            if (bm[i >> 3] & (1u << (i & 7)))
                break;
            i++;
        }
        int r = add(first, i - first, ctx, err);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Reads len bytes at byte off of the file system that starts at fs->offset of img. */
static int fs_pread(TSK_IMG_INFO *img, const husk_fs *fs, uint64_t off, void *buf, size_t len,
                    husk_err *err)
{
    if (off > fs->size || len > fs->size - off)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "read of %zu bytes at %llu is past the end of "
                            "the file system",
                            len, (unsigned long long)off);
    ssize_t n = tsk_img_read(img, (TSK_OFF_T)(fs->offset + off), (char *)buf, len);
    if (n < 0 || (size_t)n != len)
        return husk_err_set(err, HUSK_E_IO, "cannot read %zu bytes at file-system offset %llu", len,
                            (unsigned long long)off);
    return 0;
}

/* Reports one damaged piece of allocation metadata; past MAX_REPORTS only counts it. */
static void damaged(husk_diag *diag, unsigned *count, int64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void damaged(husk_diag *diag, unsigned *count, int64_t off, const char *fmt, ...)
{
    if (++*count > MAX_REPORTS)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    husk_diag_report(diag, "carve", "free space", off, "%s", msg);
}

/* Blocks of bs bytes the image really holds from the file system's start on: a superblock
 * may claim more (damage, a truncated copy), and walking groups that are not there would
 * only fail, as many times as it claims. */
static uint64_t image_blocks(TSK_IMG_INFO *img, const husk_fs *fs, uint32_t bs)
{
    uint64_t size = img->size > 0 ? (uint64_t)img->size : 0;
    return size > fs->offset ? (size - fs->offset) / bs : 0;
}

/* ---- ext4 ------------------------------------------------------------------------------- */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct ext4_walk {
    carve_merge m;
    uint64_t group_first; /* first block of the group being walked */
    uint32_t bs;
} ext4_walk;

static int ext4_add(uint64_t first, uint64_t count, void *ctx, husk_err *err)
{
    ext4_walk *w = ctx;
    return carve_merge_add(&w->m, (w->group_first + first) * w->bs, count * w->bs, err);
}

int carve_ext4_free_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                         husk_diag *diag, husk_err *err)
{
    TSK_IMG_INFO *img = husk_ext4_image(fs);
    if (!img)
        return husk_err_set(err, HUSK_E_ARG, "not an ext2/3/4 file system");
    uint8_t raw[EXT4_SB_SIZE];
    ext4_sb sb;
    int r = fs_pread(img, fs, EXT4_SB_OFFSET, raw, sizeof raw, err);
    if (r == 0)
        r = ext4_sb_parse(raw, sizeof raw, &sb, err);
    if (r < 0)
        return r;
    if (sb.feature_ro_compat & EXT4_FEATURE_RO_COMPAT_BIGALLOC)
        return husk_err_set(err, HUSK_E_UNSUPPORTED,
                            "bigalloc: the block bitmaps count clusters, which carving does "
                            "not map");
    uint64_t held = image_blocks(img, fs, sb.block_size);
    if (sb.blocks_count > held) {
        husk_diag_report(diag, "carve", "free space", -1,
                         "the file system claims %llu blocks, the image holds %llu: the rest "
                         "is not carved",
                         (unsigned long long)sb.blocks_count, (unsigned long long)held);
        if (held <= sb.first_data_block)
            return 0;
        sb.blocks_count = held;
        sb.group_count =
            (held - sb.first_data_block + sb.blocks_per_group - 1) / sb.blocks_per_group;
    }
    /* the kernel honours BLOCK_UNINIT only with group-descriptor checksums */
    int uninit_ok = (sb.feature_ro_compat &
                     (EXT4_FEATURE_RO_COMPAT_GDT_CSUM | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)) != 0;
    uint8_t *desc = malloc(sb.block_size), *bitmap = malloc(sb.block_size);
    if (!desc || !bitmap) {
        free(desc);
        free(bitmap);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    ext4_walk w = {{cb, ctx, 0, 0, hint}, 0, sb.block_size};
    uint64_t desc_at = UINT64_MAX; /* byte offset of the descriptor block in desc */
    unsigned bad = 0;
    r = 0;
    for (uint64_t g = 0; g < sb.group_count && r == 0; g++) {
        uint64_t off;
        husk_err e = {0};
        if (ext4_gd_offset(&sb, g, &off, &e) < 0) {
            damaged(diag, &bad, -1, "block group %llu skipped: %s", (unsigned long long)g, e.msg);
            continue;
        }
        uint64_t at = off - off % sb.block_size;
        if (at != desc_at) {
            desc_at = UINT64_MAX;
            if (fs_pread(img, fs, at, desc, sb.block_size, &e) < 0) {
                damaged(diag, &bad, (int64_t)at, "block group %llu skipped: %s",
                        (unsigned long long)g, e.msg);
                continue;
            }
            desc_at = at;
        }
        /* desc_size is a power of two no larger than the block: the descriptor fits */
        const uint8_t *gd = desc + off % sb.block_size;
        uint64_t first = (uint64_t)sb.first_data_block + g * sb.blocks_per_group;
        uint64_t nblocks = sb.blocks_count - first < sb.blocks_per_group ? sb.blocks_count - first
                                                                         : sb.blocks_per_group;
        if (uninit_ok && (le16(gd + 0x12) & EXT4_BG_BLOCK_UNINIT))
            continue; /* never allocated from since mkfs: no file ever lived there */
        uint64_t bmp = le32(gd);
        if (sb.desc_size >= 64)
            bmp |= (uint64_t)le32(gd + 0x20) << 32;
        if (bmp < sb.first_data_block || bmp >= sb.blocks_count) {
            damaged(diag, &bad, (int64_t)off,
                    "block group %llu skipped: its block bitmap is outside the file system",
                    (unsigned long long)g);
            continue;
        }
        if (fs_pread(img, fs, bmp * sb.block_size, bitmap, sb.block_size, &e) < 0) {
            damaged(diag, &bad, (int64_t)(bmp * sb.block_size), "block group %llu skipped: %s",
                    (unsigned long long)g, e.msg);
            continue;
        }
        w.group_first = first;
        r = carve_bitmap_free_runs(bitmap, nblocks, ext4_add, &w, err);
    }
    if (r == 0)
        r = carve_merge_flush(&w.m, err);
    if (bad > MAX_REPORTS)
        husk_diag_report(diag, "carve", "free space", -1, "%u block groups skipped in all", bad);
    free(desc);
    free(bitmap);
    return r;
}

typedef struct journal_walk {
    carve_merge m;
    uint32_t bs;
    uint64_t blocks;
    husk_err *err;
    int rc; /* the scan's code when it stopped the walk */
    unsigned bad;
    husk_diag *diag;
} journal_walk;

static int journal_add(uint64_t block, uint64_t count, void *ctx)
{
    journal_walk *w = ctx;
    if (block >= w->blocks || count > w->blocks - block) {
        damaged(w->diag, &w->bad, -1, "journal run at block %llu skipped: %s",
                (unsigned long long)block, "outside the file system");
        return 0;
    }
    int r = carve_merge_add(&w->m, block * w->bs, count * w->bs, w->err);
    if (r != 0) {
        w->rc = r;
        return r < 0 ? r : 1;
    }
    return 0;
}

int carve_ext4_journal_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                            husk_diag *diag, husk_err *err)
{
    husk_ext4_info info;
    int r = husk_ext4_get_info(fs, &info, err);
    if (r < 0)
        return r;
    if (!info.has_journal || info.journal_inum == 0)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no internal journal");
    /* the journal's physical runs rather than husk_ext4_journal_read(): carved artefacts are
     * reported at their file-system offsets, and long runs are read in large pieces */
    journal_walk w = {{cb, ctx, 0, 0, hint}, info.block_size, info.blocks_count, err, 0, 0, diag};
    r = husk_ext4_inode_runs(fs, info.journal_inum, journal_add, &w, err);
    if (w.rc != 0)
        return w.rc;
    if (r < 0)
        return r;
    if (w.bad > MAX_REPORTS)
        husk_diag_report(diag, "carve", "journal", -1, "%u journal runs skipped in all", w.bad);
    return carve_merge_flush(&w.m, err);
}

/* ---- XFS -------------------------------------------------------------------------------- */

int carve_xfs_agf_parse(const uint8_t *b, size_t len, carve_xfs_agf *agf, husk_err *err)
{
    memset(agf, 0, sizeof *agf);
    if (len < 40)
        return husk_err_set(err, HUSK_E_FORMAT, "AGF of %zu bytes too short", len);
    if (xfs_be32(b) != XFS_AGF_MAGIC)
        return husk_err_set(err, HUSK_E_FORMAT, "no AGF magic");
    if (xfs_be32(b + 4) != 1)
        return husk_err_set(err, HUSK_E_FORMAT, "AGF version %u", xfs_be32(b + 4));
    agf->seqno = xfs_be32(b + 8);
    agf->length = xfs_be32(b + 12);
    agf->bno_root = xfs_be32(b + 16);  /* agf_roots[XFS_BTNUM_BNO] */
    agf->bno_level = xfs_be32(b + 28); /* agf_levels[XFS_BTNUM_BNO] */
    if (agf->bno_level < 1 || agf->bno_level > XFS_BTREE_MAXLEVELS)
        return husk_err_set(err, HUSK_E_FORMAT, "AGF free-space tree of %u levels", agf->bno_level);
    if (agf->bno_root == 0 || agf->bno_root >= agf->length)
        return husk_err_set(err, HUSK_E_FORMAT, "AGF free-space root %u outside the AG",
                            agf->bno_root);
    return 0;
}

int carve_xfs_bno_parse(const uint8_t *blk, size_t len, int v5, carve_xfs_bno *b, husk_err *err)
{
    memset(b, 0, sizeof *b);
    size_t hdr = v5 ? 56 : 16; /* short-form btree block header, with the v5 CRC fields */
    if (len < hdr + 12)
        return husk_err_set(err, HUSK_E_FORMAT, "free-space tree block of %zu bytes", len);
    if (xfs_be32(blk) != (v5 ? XFS_AB3B_MAGIC : XFS_ABTB_MAGIC))
        return husk_err_set(err, HUSK_E_FORMAT, "no free-space tree magic");
    b->level = xfs_be16(blk + 4);
    b->numrecs = xfs_be16(blk + 6);
    b->rightsib = xfs_be32(blk + 12);
    /* leaves hold 8-byte records; nodes 8-byte keys, then the pointers after room for
     * maxrecs keys (xfs_btree.h: XFS_ALLOC_PTR_ADDR) */
    size_t maxrecs = b->level == 0 ? (len - hdr) / 8 : (len - hdr) / 12;
    if (b->numrecs > maxrecs)
        return husk_err_set(err, HUSK_E_FORMAT, "free-space tree block with %u records",
                            b->numrecs);
    if (b->level == 0)
        b->recs = blk + hdr;
    else
        b->ptrs = blk + hdr + maxrecs * 8;
    return 0;
}

typedef struct xfs_walk {
    TSK_IMG_INFO *img;
    husk_fs *fs;
    xfs_raw_sb sb;
    uint8_t *blk;
    carve_merge m;
    husk_diag *diag;
    unsigned bad;
} xfs_walk;

/* Reads AG block agbno of AG agno into w->blk and parses it as a bnobt block of level lvl. */
static int bno_read(xfs_walk *w, uint32_t agno, uint32_t agbno, unsigned lvl, carve_xfs_bno *b,
                    husk_err *err)
{
    uint64_t blk = (uint64_t)agno * w->sb.agblocks + agbno;
    if (blk >= w->sb.dblocks)
        return husk_err_set(err, HUSK_E_FORMAT, "tree block %u outside the file system", agbno);
    int r = fs_pread(w->img, w->fs, blk * w->sb.blocksize, w->blk, w->sb.blocksize, err);
    if (r == 0)
        r = carve_xfs_bno_parse(w->blk, w->sb.blocksize, w->sb.v5, b, err);
    if (r == 0 && b->level != lvl)
        r = husk_err_set(err, HUSK_E_FORMAT, "tree block %u at level %u, expected %u", agbno,
                         b->level, lvl);
    return r;
}

/* Walks one AG's free extents in block order: down the leftmost path, then along the leaves.
 * Records must ascend, so a sibling loop or a stale block stops the walk. Damage goes to
 * diag; only the scan's own codes are returned. */
static int xfs_walk_ag(xfs_walk *w, uint32_t agno, const carve_xfs_agf *agf, husk_err *err)
{
    husk_err e = {0};
    carve_xfs_bno b;
    uint32_t agbno = agf->bno_root;
    int64_t ag_byte = (int64_t)((uint64_t)agno * w->sb.agblocks * w->sb.blocksize);
    for (unsigned lvl = agf->bno_level - 1; lvl > 0; lvl--) {
        if (bno_read(w, agno, agbno, lvl, &b, &e) < 0 || b.numrecs == 0) {
            damaged(w->diag, &w->bad, ag_byte, "AG %llu skipped: %s", (unsigned long long)agno,
                    e.msg[0] ? e.msg : "empty free-space tree node");
            return 0;
        }
        agbno = xfs_be32(b.ptrs);
        if (agbno == 0 || agbno >= agf->length) {
            damaged(w->diag, &w->bad, ag_byte, "AG %llu skipped: %s", (unsigned long long)agno,
                    "free-space tree pointer outside the AG");
            return 0;
        }
    }
    uint64_t next_free = 0; /* the next extent must start here or later */
    for (uint32_t leaves = 0;; leaves++) {
        if (leaves >= agf->length || bno_read(w, agno, agbno, 0, &b, &e) < 0) {
            damaged(w->diag, &w->bad, ag_byte, "AG %llu: free-space walk stopped: %s",
                    (unsigned long long)agno, e.msg[0] ? e.msg : "sibling loop");
            return 0;
        }
        for (unsigned i = 0; i < b.numrecs; i++) {
            uint64_t start = xfs_be32(b.recs + 8 * i), count = xfs_be32(b.recs + 8 * i + 4);
            if (count == 0 || start < next_free || start + count > agf->length) {
                damaged(w->diag, &w->bad, ag_byte, "AG %llu: free-space walk stopped: %s",
                        (unsigned long long)agno, "free extents out of order or outside the AG");
                return 0;
            }
            next_free = start + count;
            uint64_t blk = (uint64_t)agno * w->sb.agblocks + start;
            int r = carve_merge_add(&w->m, blk * w->sb.blocksize, count * w->sb.blocksize, err);
            if (r != 0)
                return r;
        }
        if (b.rightsib == XFS_NULLAGBLOCK)
            return 0;
        agbno = b.rightsib;
        if (agbno == 0 || agbno >= agf->length) {
            damaged(w->diag, &w->bad, ag_byte, "AG %llu: free-space walk stopped: %s",
                    (unsigned long long)agno, "sibling outside the AG");
            return 0;
        }
    }
}

int carve_xfs_free_runs(husk_fs *fs, carve_run_cb cb, carve_hint_fn hint, void *ctx,
                        husk_diag *diag, husk_err *err)
{
    xfs_walk w = {.fs = fs, .m = {cb, ctx, 0, 0, hint}, .diag = diag};
    uint64_t off;
    int r = husk_xfs_image(fs, &w.img, &off, err);
    if (r < 0)
        return r;
    uint8_t raw[512];
    r = fs_pread(w.img, fs, 0, raw, sizeof raw, err);
    if (r == 0)
        r = xfs_raw_sb_parse(raw, sizeof raw, &w.sb, err);
    if (r < 0)
        return r;
    uint64_t held = image_blocks(w.img, fs, w.sb.blocksize), claimed = w.sb.dblocks;
    if (w.sb.dblocks > held) {
        husk_diag_report(diag, "carve", "free space", -1,
                         "the file system claims %llu blocks, the image holds %llu: the rest "
                         "is not carved",
                         (unsigned long long)w.sb.dblocks, (unsigned long long)held);
        w.sb.dblocks = held; /* AGs past it are skipped below, and blocks past it refused */
    }
    uint8_t *agf_buf = malloc(w.sb.sectsize);
    w.blk = malloc(w.sb.blocksize);
    if (!agf_buf || !w.blk) {
        free(agf_buf);
        free(w.blk);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    for (uint32_t a = 0; a < w.sb.agcount && r == 0; a++) {
        if ((uint64_t)a * w.sb.agblocks >= w.sb.dblocks)
            break;
        uint64_t ag_byte = (uint64_t)a * w.sb.agblocks * w.sb.blocksize;
        uint64_t ag_len = w.sb.dblocks - (uint64_t)a * w.sb.agblocks; /* the last may be short */
        if (ag_len > w.sb.agblocks)
            ag_len = w.sb.agblocks;
        husk_err e = {0};
        carve_xfs_agf agf;
        if (fs_pread(w.img, fs, ag_byte + w.sb.sectsize, agf_buf, w.sb.sectsize, &e) < 0 ||
            carve_xfs_agf_parse(agf_buf, w.sb.sectsize, &agf, &e) < 0) {
            damaged(diag, &w.bad, (int64_t)(ag_byte + w.sb.sectsize), "AG %llu skipped: %s",
                    (unsigned long long)a, e.msg);
            continue;
        }
        uint64_t ag_claimed = claimed - (uint64_t)a * w.sb.agblocks;
        if (agf.seqno != a ||
            agf.length > (ag_claimed < w.sb.agblocks ? ag_claimed : w.sb.agblocks)) {
            damaged(diag, &w.bad, (int64_t)(ag_byte + w.sb.sectsize), "AG %llu skipped: %s",
                    (unsigned long long)a, "its AGF names another AG or size");
            continue;
        }
        if (agf.length > ag_len) /* cut by the end of the image: walk what is there */
            agf.length = (uint32_t)ag_len;
        r = xfs_walk_ag(&w, a, &agf, err);
    }
    if (r == 0)
        r = carve_merge_flush(&w.m, err);
    if (w.bad > MAX_REPORTS)
        husk_diag_report(diag, "carve", "free space", -1, "%u damaged AGs or tree blocks in all",
                         w.bad);
    free(agf_buf);
    free(w.blk);
    return r;
}
