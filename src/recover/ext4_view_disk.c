/*
 * The disk side of an ext4 recovered view (src/recover/ext4_view.h): the file system's
 * geometry and bitmaps, block reads, extent trees (tree blocks from disk or, when the disk copy
 * no longer validates, from the journal) and the bytes of recovered files.
 */
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "ext4_view.h"
#include "husk/ext4.h"

#define BG_INODE_UNINIT 0x1
#define BG_BLOCK_UNINIT 0x2

/* ---- geometry, blocks and bitmaps ------------------------------------------------------- */

int e4v_read_block(e4v_view *v, uint64_t b, uint8_t *buf, husk_err *err)
{
    uint32_t bs = v->sb.block_size;
    if (b >= v->sb.blocks_count)
        return husk_err_set(err, HUSK_E_FORMAT, "block %llu past the end of the file system",
                            (unsigned long long)b);
    if (tsk_img_read(v->img, (TSK_OFF_T)(v->fs_off + b * bs), (char *)buf, bs) != (ssize_t)bs) {
        tsk_error_reset();
        return husk_err_set(err, HUSK_E_IO, "cannot read block %llu", (unsigned long long)b);
    }
    return 0;
}

int e4v_read_groups(e4v_view *v, husk_err *err)
{
    if (v->sb.group_count > E4V_MAX_GROUPS)
        return husk_err_set(err, HUSK_E_LIMIT, "%llu block groups: more than husk reads",
                            (unsigned long long)v->sb.group_count);
    size_t n = (size_t)v->sb.group_count;
    v->groups = calloc(n, sizeof *v->groups);
    v->bbm = calloc(n, sizeof *v->bbm);
    v->ibm = calloc(n, sizeof *v->ibm);
    if (!v->groups || !v->bbm || !v->ibm)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint8_t gd[1024];
    for (size_t g = 0; g < n; g++) {
        uint64_t off;
        if (ext4_gd_offset(&v->sb, g, &off, err) < 0)
            return -HUSK_E_FORMAT;
        if (tsk_img_read(v->img, (TSK_OFF_T)(v->fs_off + off), (char *)gd, v->sb.desc_size) !=
            (ssize_t)v->sb.desc_size) {
            tsk_error_reset();
            return husk_err_set(err, HUSK_E_IO, "cannot read group descriptor %zu", g);
        }
        e4v_group *G = &v->groups[g];
        G->itable = ext4_gd_inode_table(&v->sb, gd);
        G->bbitmap = e4r_le32(gd);
        G->ibitmap = e4r_le32(gd + 4);
        G->flags = e4r_le16(gd + 0x12);
        if (v->sb.desc_size >= 64) {
            G->bbitmap |= (uint64_t)e4r_le32(gd + 0x20) << 32;
            G->ibitmap |= (uint64_t)e4r_le32(gd + 0x24) << 32;
        }
    }
    return 0;
}

/* Bit idx of a bitmap block, loading it on first use: 1, 0, or -1 when unreadable. */
static int bitmap_bit(e4v_view *v, uint8_t **cache, uint64_t blk, uint64_t idx)
{
    if (!*cache) {
        if (v->nbitmaps >= E4V_MAX_BITMAPS || blk == 0 || blk >= v->sb.blocks_count)
            return -1;
        uint8_t *b = malloc(v->sb.block_size);
        if (!b || e4v_read_block(v, blk, b, NULL) != 0) {
            free(b);
            return -1;
        }
        *cache = b;
        v->nbitmaps++;
    }
    if (idx / 8 >= v->sb.block_size)
        return -1;
    return ((*cache)[idx / 8] >> (idx % 8)) & 1;
}

int e4v_block_allocated(e4v_view *v, uint64_t b)
{
    if (b < v->sb.first_data_block || b >= v->sb.blocks_count)
        return -1;
    uint64_t rel = b - v->sb.first_data_block;
    uint64_t g = rel / v->sb.blocks_per_group;
    if (g >= v->sb.group_count)
        return -1;
    /* an uninitialised bitmap: the group's blocks were never handed out */
    if (v->groups[g].flags & BG_BLOCK_UNINIT)
        return 0;
    return bitmap_bit(v, &v->bbm[g], v->groups[g].bbitmap, rel % v->sb.blocks_per_group);
}

int e4v_inode_allocated(e4v_view *v, uint64_t ino)
{
    if (ino == 0 || ino > v->sb.inodes_count)
        return -1;
    uint64_t g = (ino - 1) / v->sb.inodes_per_group;
    if (g >= v->sb.group_count)
        return -1;
    if (v->groups[g].flags & BG_INODE_UNINIT)
        return 0;
    return bitmap_bit(v, &v->ibm[g], v->groups[g].ibitmap, (ino - 1) % v->sb.inodes_per_group);
}

int e4v_current_inode(e4v_view *v, uint64_t ino, uint8_t *buf, husk_err *err)
{
    size_t isize;
    return husk_ext4_raw_inode(v->live, ino, buf, v->isize, &isize, err);
}

/* ---- extent trees ----------------------------------------------------------------------- */

typedef struct tree_walk {
    e4v_view *v;
    uint32_t ino, gen, seed, seq;
    e4r_extent *ext;
    size_t n, cap;
    size_t tree_blocks;
    int from_journal, bad_csum, missing;
    uint8_t *level[E4R_MAX_DEPTH + 1];
} tree_walk;

/* A tree block is this file's when it parses at the expected depth with entries, and (with
 * metadata_csum) its tail checksum is this inode's. */
static int tree_block_ok(const tree_walk *w, const uint8_t *b, uint16_t depth, int need_csum)
{
    e4r_node n;
    if (e4r_node_parse(b, w->v->sb.block_size, &n) != 0 || n.depth != depth || n.entries == 0)
        return 0;
    if (need_csum && w->v->csum && e4r_extent_block_csum(b, w->v->sb.block_size, w->seed) != 1)
        return 0;
    return 1;
}

/*
 * Finds tree block blk as it was for this file: the disk copy when it validates (freed tree
 * blocks are forgotten by jbd2 and usually keep their content, recovery.md 1.2), else the
 * newest journal copy not newer than the inode copy, else any journal copy, else a disk copy
 * whose only fault is its checksum.
 */
static int get_tree_block(tree_walk *w, uint64_t blk, uint16_t depth, uint8_t *buf)
{
    e4v_view *v = w->v;
    if (e4v_read_block(v, blk, buf, NULL) == 0 && tree_block_ok(w, buf, depth, 1))
        return 0;
    const husk_jbd2_copy *c;
    size_t n = husk_jbd2_copies(v->j, blk, &c);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = n; i-- > 0;) {
            if (c[i].csum == 0 || (pass == 0 && c[i].sequence > w->seq))
                continue;
            if (husk_jbd2_read_copy(v->j, &c[i], buf, NULL) == 0 &&
                tree_block_ok(w, buf, depth, 1)) {
                w->from_journal++;
                return 0;
            }
        }
    if (e4v_read_block(v, blk, buf, NULL) == 0 && tree_block_ok(w, buf, depth, 0)) {
        w->bad_csum++;
        return 0;
    }
    return -1;
}

static int push_extent(tree_walk *w, const e4r_extent *e)
{
    e4v_view *v = w->v;
    if (e->len == 0 || e->pblk < v->sb.first_data_block || e->pblk >= v->sb.blocks_count ||
        e->len > v->sb.blocks_count - e->pblk) {
        w->missing++;
        return 0; /* damaged or hostile: this extent is left out */
    }
    if (w->n >= E4V_MAX_EXTENTS || v->all_extents + w->n >= E4V_MAX_ALL_EXTENTS) {
        e4v_report(v, "extents", "inode %u: extent list cut at %zu extents", w->ino, w->n);
        w->missing++;
        return 1;
    }
    if (e4v_grow((void **)&w->ext, &w->cap, w->n, sizeof *w->ext, E4V_MAX_EXTENTS) != 0)
        return -1;
    w->ext[w->n++] = *e;
    return 0;
}

static int walk_node(tree_walk *w, const e4r_node *node)
{
    for (size_t i = 0; i < node->entries; i++) {
        if (node->depth == 0) {
            e4r_extent e;
            e4r_node_extent(node, i, &e);
            int r = push_extent(w, &e);
            if (r)
                return r;
            continue;
        }
        uint32_t lblk;
        uint64_t child;
        e4r_node_index(node, i, &lblk, &child);
        if (++w->tree_blocks > E4V_MAX_TREE_BLOCKS) {
            e4v_report(w->v, "extent tree", "inode %u: more than %u tree blocks", w->ino,
                       E4V_MAX_TREE_BLOCKS);
            return 1;
        }
        uint8_t *buf = w->level[node->depth - 1];
        if (child >= w->v->sb.blocks_count || get_tree_block(w, child, node->depth - 1, buf)) {
            w->missing++;
            continue;
        }
        e4r_node sub;
        if (e4r_node_parse(buf, w->v->sb.block_size, &sub) != 0)
            continue;
        int r = walk_node(w, &sub);
        if (r)
            return r;
    }
    return 0;
}

static int ext_cmp(const void *a, const void *b)
{
    const e4r_extent *x = a, *y = b;
    return x->lblk < y->lblk ? -1 : x->lblk > y->lblk;
}

int e4v_load_extents(e4v_view *v, const uint8_t *raw, uint64_t ino, uint32_t seq, e4r_extent **out,
                     size_t *n, int *from_journal, int *bad_csum, husk_err *err)
{
    *out = NULL;
    *n = 0;
    e4r_node root;
    if (e4r_node_parse(raw + 0x28, E4R_IBLOCK_LEN, &root) != 0)
        return 0;
    tree_walk w = {v, (uint32_t)ino, e4r_le32(raw + 0x64), 0, seq};
    w.seed = e4r_inode_seed(v->fs_seed, w.ino, w.gen);
    int rc = 0;
    for (int d = 0; d < root.depth; d++)
        if (!(w.level[d] = malloc(v->sb.block_size)))
            rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (rc == 0 && walk_node(&w, &root) < 0)
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    for (int d = 0; d < E4R_MAX_DEPTH + 1; d++)
        free(w.level[d]);
    if (rc != 0) {
        free(w.ext);
        return rc;
    }
    if (w.n > 1)
        qsort(w.ext, w.n, sizeof *w.ext, ext_cmp);
    /* hostile trees may map one logical block twice: keep the first mapping */
    size_t k = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (k && (uint64_t)w.ext[k - 1].lblk + w.ext[k - 1].len > w.ext[i].lblk) {
            w.missing++;
            continue;
        }
        w.ext[k++] = w.ext[i];
    }
    /* kept at their number (a view holds the extents of every deleted file) */
    if (k == 0) {
        free(w.ext);
        w.ext = NULL;
    } else if (k < w.cap) {
        e4r_extent *p = realloc(w.ext, k * sizeof *w.ext);
        if (p)
            w.ext = p;
    }
    *out = w.ext;
    *n = k;
    if (from_journal)
        *from_journal = w.from_journal;
    if (bad_csum)
        *bad_csum = w.bad_csum + (w.missing ? 1 : 0);
    return w.missing ? 1 : 0;
}

/* ---- reading ---------------------------------------------------------------------------- */

typedef struct inline_find {
    const uint8_t *val;
    size_t len;
} inline_find;

static int inline_cb(const char *name, const uint8_t *value, size_t len, void *ctx)
{
    inline_find *f = ctx;
    if (strcmp(name, "system.data") == 0) {
        f->val = value;
        f->len = len;
        return 1;
    }
    return 0;
}

/* Inline data: the first 60 bytes in i_block, the rest in the system.data xattr. */
static ssize_t read_inline(e4v_view *v, const e4v_obj *o, uint64_t off, uint8_t *buf, size_t len,
                           husk_err *err)
{
    inline_find f = {NULL, 0};
    uint8_t *raw;
    int rr = e4v_obj_raw_dup(v, o, 0, &raw, err);
    if (rr < 0)
        return rr;
    ext4_xattrs_inode(raw, v->isize, inline_cb, &f, NULL);
    size_t total = E4R_IBLOCK_LEN + f.len;
    if (o->st.size < total)
        total = (size_t)o->st.size;
    if (off >= total) {
        free(raw);
        return 0;
    }
    if (len > total - off)
        len = total - (size_t)off;
    for (size_t i = 0; i < len; i++) {
        size_t p = (size_t)off + i;
        buf[i] = p < E4R_IBLOCK_LEN ? raw[0x28 + p] : f.val[p - E4R_IBLOCK_LEN];
    }
    free(raw);
    return (ssize_t)len;
}

ssize_t e4v_obj_read(e4v_view *v, const e4v_obj *o, uint64_t off, void *vbuf, size_t len,
                     husk_err *err)
{
    uint8_t *buf = vbuf;
    if (!o->has_raw || o->src != E4V_SRC_JOURNAL)
        return 0; /* only the name or the deleted record survives: no bytes */
    if (off >= o->st.size || len == 0)
        return 0;
    if (len > o->st.size - off)
        len = (size_t)(o->st.size - off);
    if (o->iflags & E4R_INLINE_DATA_FL)
        return read_inline(v, o, off, buf, len, err);
    uint32_t bs = v->sb.block_size;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint64_t lblk = pos / bs;
        size_t lo = 0, hi = o->next;
        while (lo < hi) { /* the last extent starting at or before lblk */
            size_t mid = (lo + hi) / 2;
            if (o->ext[mid].lblk <= lblk)
                lo = mid + 1;
            else
                hi = mid;
        }
        const e4r_extent *e = lo ? &o->ext[lo - 1] : NULL;
        size_t chunk = len - done;
        if (e && lblk < (uint64_t)e->lblk + e->len) {
            uint64_t end = ((uint64_t)e->lblk + e->len) * bs;
            if (chunk > end - pos)
                chunk = (size_t)(end - pos);
            if (e->unwritten) {
                memset(buf + done, 0, chunk); /* allocated but never written: reads as zeros */
            } else {
                uint64_t at = (e->pblk + (lblk - e->lblk)) * bs + pos % bs;
                if (tsk_img_read(v->img, (TSK_OFF_T)(v->fs_off + at), (char *)buf + done, chunk) !=
                    (ssize_t)chunk) {
                    tsk_error_reset();
                    return husk_err_set(err, HUSK_E_IO, "cannot read block %llu",
                                        (unsigned long long)(at / bs));
                }
            }
        } else {
            /* a hole: zeros up to the next extent */
            uint64_t next = lo < o->next ? (uint64_t)o->ext[lo].lblk * bs : UINT64_MAX;
            if (chunk > next - pos)
                chunk = (size_t)(next - pos);
            memset(buf + done, 0, chunk);
        }
        done += chunk;
    }
    return (ssize_t)done;
}
