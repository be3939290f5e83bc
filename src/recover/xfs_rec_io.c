/*
 * Reads of the XFS recovered view (src/recover/xfs_rec.h): the superblock fields the live back
 * end does not keep, free space (bnobt) and inode chunks (inobt) of every AG, and the data,
 * directory blocks, symlink targets and extended attributes of recovered inode images.
 *
 * A recovered inode image is a copy (rebuilt from the log, or found in free space), not the
 * record at the inode's home, so the live back end cannot read through it; the decoders of
 * src/evidence/xfs_raw.c are reused on it instead. Blocks it points to may have been reused
 * since: v5 metadata blocks are accepted only when they still name the inode as their owner.
 */
#include "xfs_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#define XFS_AGF_MAGIC 0x58414746u
#define XFS_AGI_MAGIC 0x58414749u
#define XFS_ABTB_MAGIC 0x41425442u
#define XFS_ABTB3_MAGIC 0x41423342u
#define XFS_IBT_MAGIC 0x49414254u
#define XFS_IBT3_MAGIC 0x49414233u
#define XFS_SB_FEAT_INCOMPAT_SPINODES 0x2u
#define MAX_BTREE_LEVELS 9 /* beyond any AG btree the kernel builds */
#define MAX_MAP_EXTENTS (1u << 18)
#define MAX_BMAP_LEVELS 10
#define MAX_ATTR_LEAVES 65536
#define MAX_DIR_BLOCKS (1u << 20)

/* ---- raw access ------------------------------------------------------------------------------ */

int xr_disk_init(xr_disk *d, struct TSK_IMG_INFO *img, uint64_t off, husk_err *err)
{
    uint8_t sb[512];
    memset(d, 0, sizeof *d);
    if (tsk_img_read(img, (TSK_OFF_T)off, (char *)sb, sizeof sb) != (ssize_t)sizeof sb) {
        tsk_error_reset();
        return husk_err_set(err, HUSK_E_IO, "cannot read the XFS superblock at %llu",
                            (unsigned long long)off);
    }
    int rc = xfs_raw_sb_parse(sb, sizeof sb, &d->sb, err);
    if (rc != 0)
        return rc;
    d->img = img;
    d->off = off;
    d->bytes = d->sb.dblocks * d->sb.blocksize;
    d->logstart = xfs_be64(sb + 48);
    d->logblocks = xfs_be32(sb + 96);
    d->sparse = d->sb.v5 && (d->sb.features_incompat & XFS_SB_FEAT_INCOMPAT_SPINODES);
    unsigned shift = (unsigned)d->sb.agblklog + d->sb.inopblog; /* <= 32 */
    d->ino_limit = (uint64_t)d->sb.agcount > (UINT64_MAX >> shift)
                       ? UINT64_MAX
                       : (uint64_t)d->sb.agcount << shift;
    return 0;
}

int xr_pread(const xr_disk *d, uint64_t pos, void *buf, size_t len, husk_err *err)
{
    if (pos > d->bytes || len > d->bytes - pos)
        return husk_err_set(err, HUSK_E_FORMAT, "read of %zu bytes at %llu is outside the XFS", len,
                            (unsigned long long)pos);
    ssize_t n = tsk_img_read(d->img, (TSK_OFF_T)(d->off + pos), (char *)buf, len);
    if (n < 0 || (size_t)n != len) {
        tsk_error_reset();
        return husk_err_set(err, HUSK_E_IO, "cannot read %zu bytes at image offset %llu", len,
                            (unsigned long long)(d->off + pos));
    }
    return 0;
}

int xr_read_fsb(const xr_disk *d, uint64_t fsb, uint64_t count, void *buf, husk_err *err)
{
    uint64_t pos;
    if (count > SIZE_MAX / d->sb.blocksize || xfs_raw_fsb_locate(&d->sb, fsb, count, &pos) != 0)
        return husk_err_set(err, HUSK_E_FORMAT, "XFS block %llu is outside the file system",
                            (unsigned long long)fsb);
    return xr_pread(d, pos, buf, (size_t)(count * d->sb.blocksize), err);
}

int xr_inode_pos(const xr_disk *d, uint64_t ino, uint64_t *pos)
{
    return xfs_raw_inode_locate(&d->sb, ino, pos, NULL) == 0 ? 0 : -1;
}

/* ---- per-AG B+trees ------------------------------------------------------------------------ */

typedef int (*rec_cb)(const uint8_t *rec, uint32_t agno, void *ctx);

/* Walks a short-form B+tree of AG agno: down the leftmost path, then along the leaves. The
 * visit count is bounded by the AG's size, which stops sibling loops. */
static int sbt_walk(const xr_disk *d, uint32_t agno, uint32_t root, uint32_t levels, uint32_t magic,
                    size_t keylen, size_t reclen, rec_cb cb, void *ctx, husk_err *err)
{
    uint32_t bs = d->sb.blocksize;
    if (levels == 0 || levels > MAX_BTREE_LEVELS)
        return husk_err_set(err, HUSK_E_FORMAT, "AG %u: btree of %u levels", agno, levels);
    uint8_t *blk = malloc(bs);
    if (!blk)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint32_t cur = root, want = levels - 1;
    uint64_t visits = 0;
    int rc = 0;
    for (;;) {
        xr_sblock b;
        if (cur >= d->sb.agblocks || ++visits > d->sb.agblocks) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "AG %u: btree block %u out of range", agno, cur);
            break;
        }
        uint64_t fsb = ((uint64_t)agno << d->sb.agblklog) | cur;
        rc = xr_read_fsb(d, fsb, 1, blk, err);
        if (rc == 0)
            rc = xr_sblock_parse(blk, bs, d->sb.v5, magic, keylen, reclen, &b, err);
        if (rc == 0 && b.level != want)
            rc = husk_err_set(err, HUSK_E_FORMAT, "AG %u: btree level %u, expected %u", agno,
                              b.level, want);
        if (rc != 0)
            break;
        if (want > 0) {
            cur = xfs_be32(b.ptrs);
            want--;
            continue;
        }
        for (unsigned i = 0; rc == 0 && i < b.numrecs; i++)
            rc = cb(b.recs + (size_t)i * reclen, agno, ctx);
        if (rc != 0 || b.rightsib == XR_NULLAGBLOCK)
            break;
        cur = b.rightsib;
    }
    free(blk);
    return rc;
}

/* Reads sector n of AG agno's header (1: AGF, 2: AGI) and checks its magic and number. */
static int ag_header(const xr_disk *d, uint32_t agno, unsigned n, uint32_t magic, uint8_t *buf,
                     husk_err *err)
{
    uint64_t pos = (uint64_t)agno * d->sb.agblocks * d->sb.blocksize + n * d->sb.sectsize;
    int rc = xr_pread(d, pos, buf, 512, err);
    if (rc == 0 && (xfs_be32(buf) != magic || xfs_be32(buf + 8) != agno))
        rc = husk_err_set(err, HUSK_E_FORMAT, "AG %u: bad %s header", agno, n == 1 ? "AGF" : "AGI");
    return rc;
}

static int free_add(const uint8_t *rec, uint32_t agno, void *ctx)
{
    const xr_disk *d = ((const void **)ctx)[0];
    xr_free *f = ((void **)ctx)[1];
    uint32_t start = xfs_be32(rec), len = xfs_be32(rec + 4);
    if (len == 0 || start >= d->sb.agblocks || len > d->sb.agblocks - start)
        return 0; /* not a free extent of this AG: ignored, the rest still counts */
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        uint64_t *s = realloc(f->start, cap * sizeof *s);
        if (s)
            f->start = s;
        uint32_t *l = s ? realloc(f->len, cap * sizeof *l) : NULL;
        if (!l)
            return -HUSK_E_NOMEM;
        f->len = l;
        f->cap = cap;
    }
    f->start[f->n] = (uint64_t)agno * d->sb.agblocks + start;
    f->len[f->n++] = len;
    return 0;
}

int xr_free_load(const xr_disk *d, xr_free *f, husk_diag *diag, husk_err *err)
{
    memset(f, 0, sizeof *f);
    uint8_t agf[512];
    const void *ctx[2] = {d, f};
    for (uint32_t ag = 0; ag < d->sb.agcount; ag++) {
        husk_err e = {0};
        int rc = ag_header(d, ag, 1, XFS_AGF_MAGIC, agf, &e);
        if (rc == 0)
            rc = sbt_walk(d, ag, xfs_be32(agf + 16), xfs_be32(agf + 28),
                          d->sb.v5 ? XFS_ABTB3_MAGIC : XFS_ABTB_MAGIC, 8, 8, free_add, (void *)ctx,
                          &e);
        if (rc == -HUSK_E_NOMEM)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        if (rc != 0)
            husk_diag_report(diag, "recovery", "xfs free space", -1, "AG %u: %s", ag, e.msg);
    }
    for (size_t i = 1; i < f->n; i++)
        if (f->start[i] < f->start[i - 1] + f->len[i - 1]) {
            husk_diag_report(diag, "recovery", "xfs free space", -1,
                             "free extents overlap or are out of order; treating blocks as "
                             "in use where unsure");
            f->n = i; /* keep the consistent prefix: less is free, never more */
            break;
        }
    return 0;
}

void xr_free_release(xr_free *f)
{
    free(f->start);
    free(f->len);
    memset(f, 0, sizeof *f);
}

uint64_t xr_free_count(const xr_disk *d, const xr_free *f, uint64_t fsb, uint64_t count)
{
    uint64_t agno = fsb >> d->sb.agblklog, agbno = fsb & ((1ULL << d->sb.agblklog) - 1);
    if (agno >= d->sb.agcount || agbno >= d->sb.agblocks || count > d->sb.agblocks - agbno)
        return 0;
    uint64_t lo = agno * d->sb.agblocks + agbno, hi = lo + count, n = 0;
    size_t a = 0, b = f->n; /* first extent starting after lo */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (f->start[m] <= lo)
            a = m + 1;
        else
            b = m;
    }
    for (size_t i = a ? a - 1 : 0; i < f->n && f->start[i] < hi; i++) {
        uint64_t s = f->start[i] > lo ? f->start[i] : lo;
        uint64_t e = f->start[i] + f->len[i] < hi ? f->start[i] + f->len[i] : hi;
        if (e > s)
            n += e - s;
    }
    return n;
}

static int chunk_add(const uint8_t *rec, uint32_t agno, void *ctx)
{
    const xr_disk *d = ((const void **)ctx)[0];
    xr_chunks *c = ((void **)ctx)[1];
    xr_inorec r;
    xr_inorec_parse(rec, d->sparse, &r);
    unsigned shift = (unsigned)d->sb.agblklog + d->sb.inopblog;
    if ((uint64_t)r.startino + 64 > (1ULL << shift))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        uint64_t *s = realloc(c->startino, cap * sizeof *s);
        if (s)
            c->startino = s;
        uint64_t *p = s ? realloc(c->present, cap * sizeof *p) : NULL;
        if (p)
            c->present = p;
        uint64_t *fr = p ? realloc(c->free, cap * sizeof *fr) : NULL;
        if (!fr)
            return -HUSK_E_NOMEM;
        c->free = fr;
        c->cap = cap;
    }
    c->startino[c->n] = ((uint64_t)agno << shift) | r.startino;
    c->present[c->n] = r.present;
    c->free[c->n++] = r.free;
    return 0;
}

int xr_chunks_load(const xr_disk *d, xr_chunks *c, husk_diag *diag, husk_err *err)
{
    memset(c, 0, sizeof *c);
    uint8_t agi[512];
    const void *ctx[2] = {d, c};
    for (uint32_t ag = 0; ag < d->sb.agcount; ag++) {
        husk_err e = {0};
        int rc = ag_header(d, ag, 2, XFS_AGI_MAGIC, agi, &e);
        if (rc == 0)
            rc = sbt_walk(d, ag, xfs_be32(agi + 20), xfs_be32(agi + 24),
                          d->sb.v5 ? XFS_IBT3_MAGIC : XFS_IBT_MAGIC, 4, 16, chunk_add, (void *)ctx,
                          &e);
        if (rc == -HUSK_E_NOMEM)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        if (rc != 0)
            husk_diag_report(diag, "recovery", "xfs inode btree", -1, "AG %u: %s", ag, e.msg);
    }
    for (size_t i = 1; i < c->n; i++)
        if (c->startino[i] < c->startino[i - 1] + 64) {
            husk_diag_report(diag, "recovery", "xfs inode btree", -1,
                             "inode chunks overlap or are out of order");
            c->n = i;
            break;
        }
    return 0;
}

void xr_chunks_release(xr_chunks *c)
{
    free(c->startino);
    free(c->present);
    free(c->free);
    memset(c, 0, sizeof *c);
}

int xr_chunks_state(const xr_chunks *c, uint64_t ino)
{
    size_t a = 0, b = c->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (c->startino[m] <= ino)
            a = m + 1;
        else
            b = m;
    }
    if (a == 0 || ino - c->startino[a - 1] >= 64)
        return XR_INO_NOCHUNK;
    unsigned bit = (unsigned)(ino - c->startino[a - 1]);
    if (!((c->present[a - 1] >> bit) & 1))
        return XR_INO_NOCHUNK;
    return (c->free[a - 1] >> bit) & 1 ? XR_INO_FREE : XR_INO_LIVE;
}

/* ---- extent maps ----------------------------------------------------------------------------- */

void xr_map_free(xr_map *m)
{
    free(m->ext);
    memset(m, 0, sizeof *m);
}

/* Appends one extent in increasing logical order (the kernel's order; also stops loops). */
static int map_add(xr_map *m, const xfs_raw_extent *e, husk_err *err)
{
    const xfs_raw_extent *last = m->n ? &m->ext[m->n - 1] : NULL;
    if (e->blockcount == 0 || (last && e->startoff < last->startoff + last->blockcount))
        return husk_err_set(err, HUSK_E_FORMAT, "extents out of order");
    if (m->n == MAX_MAP_EXTENTS)
        return husk_err_set(err, HUSK_E_LIMIT, "more than %u extents", MAX_MAP_EXTENTS);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        xfs_raw_extent *p = realloc(m->ext, cap * sizeof *p);
        if (!p)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        m->ext = p;
        m->cap = cap;
    }
    m->ext[m->n++] = *e;
    m->blocks += e->blockcount;
    return 0;
}

int xr_map_set(xr_map *m, const xfs_raw_extent *e, size_t n, husk_err *err)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        int rc = map_add(m, &e[i], err);
        if (rc != 0) {
            xr_map_free(m);
            return rc;
        }
    }
    return 0;
}

static int map_add_records(xr_map *m, const uint8_t *recs, size_t n, husk_err *err)
{
    for (size_t i = 0; i < n; i++) {
        xfs_raw_extent e;
        xfs_raw_extent_unpack(recs + i * 16, &e);
        int rc = map_add(m, &e, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Loads a B+tree fork: the root in the inode image, the rest from disk (owner-checked). */
static int map_load_btree(const xr_disk *d, uint64_t ino, const uint8_t *fork, size_t len,
                          xr_map *m, husk_err *err)
{
    xfs_raw_btree bt;
    int rc = xfs_raw_bmap_root_parse(fork, len, &bt, err);
    if (rc != 0)
        return rc;
    if (bt.level > MAX_BMAP_LEVELS)
        return husk_err_set(err, HUSK_E_FORMAT, "block map %u levels deep", bt.level);
    uint8_t *blk = malloc(d->sb.blocksize);
    if (!blk)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    unsigned want = bt.level;
    while (rc == 0 && want > 0) {
        want--;
        rc = xr_read_fsb(d, xfs_be64(bt.ptrs), 1, blk, err);
        if (rc == 0)
            rc = xfs_raw_bmap_block_parse(blk, d->sb.blocksize, d->sb.v5, ino, &bt, err);
        if (rc == 0 && bt.level != want)
            rc =
                husk_err_set(err, HUSK_E_FORMAT, "block-map level %u, expected %u", bt.level, want);
    }
    uint64_t leaves = 0;
    while (rc == 0) {
        rc = map_add_records(m, bt.recs, bt.numrecs, err);
        if (rc != 0 || bt.rightsib == XFS_RAW_NULLFSBLOCK)
            break;
        if (++leaves > MAX_MAP_EXTENTS) {
            rc = husk_err_set(err, HUSK_E_LIMIT, "block-map leaf chain too long");
            break;
        }
        rc = xr_read_fsb(d, bt.rightsib, 1, blk, err);
        if (rc == 0)
            rc = xfs_raw_bmap_block_parse(blk, d->sb.blocksize, d->sb.v5, ino, &bt, err);
        if (rc == 0 && bt.level != 0)
            rc = husk_err_set(err, HUSK_E_FORMAT, "block-map leaf at level %u", bt.level);
    }
    free(blk);
    return rc;
}

int xr_map_load(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
                int attr, xr_map *m, husk_err *err)
{
    const uint8_t *fork = rec + (attr ? di->attr_off : di->data_off);
    size_t len = attr ? di->attr_len : di->data_len;
    uint8_t fmt = attr ? di->aformat : di->format;
    uint64_t n = attr ? di->anextents : di->nextents;
    memset(m, 0, sizeof *m);
    int rc;
    if (fmt == XFS_RAW_FMT_EXTENTS && n <= len / 16)
        rc = map_add_records(m, fork, (size_t)n, err);
    else if (fmt == XFS_RAW_FMT_BTREE)
        rc = map_load_btree(d, ino, fork, len, m, err);
    else
        rc = husk_err_set(err, HUSK_E_FORMAT, "%s fork format %u with %llu extents",
                          attr ? "attribute" : "data", fmt, (unsigned long long)n);
    if (rc != 0)
        xr_map_free(m);
    return rc;
}

/* The extent holding logical block lblk, or NULL and the next mapped block in *next. */
static const xfs_raw_extent *map_find(const xr_map *m, uint64_t lblk, uint64_t *next)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ext[mid].startoff <= lblk)
            lo = mid + 1;
        else
            hi = mid;
    }
    *next = lo < m->n ? m->ext[lo].startoff : UINT64_MAX;
    if (lo > 0 && lblk - m->ext[lo - 1].startoff < m->ext[lo - 1].blockcount)
        return &m->ext[lo - 1];
    return NULL;
}

/* Reads logical block lblk: 1 when read, 0 for a hole, <0 on error. */
static int map_read_block(const xr_disk *d, const xr_map *m, uint64_t lblk, uint8_t *buf,
                          husk_err *err)
{
    uint64_t next;
    const xfs_raw_extent *e = map_find(m, lblk, &next);
    if (!e || e->unwritten)
        return 0;
    int rc = xr_read_fsb(d, e->startblock + (lblk - e->startoff), 1, buf, err);
    return rc < 0 ? rc : 1;
}

ssize_t xr_map_read(const xr_disk *d, const xr_map *m, uint64_t size, uint64_t pos, void *buf,
                    size_t len, husk_err *err)
{
    uint32_t bs = d->sb.blocksize;
    if (pos >= size || len == 0)
        return 0;
    if (len > size - pos)
        len = (size_t)(size - pos);
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    size_t done = 0;
    while (done < len) {
        uint64_t p = pos + done, lblk = p / bs, next;
        const xfs_raw_extent *e = map_find(m, lblk, &next);
        uint64_t run_end = UINT64_MAX;
        if (e)
            run_end = (e->startoff + e->blockcount) * bs;
        else if (next <= UINT64_MAX / bs)
            run_end = next * bs;
        size_t n = run_end - p < len - done ? (size_t)(run_end - p) : len - done;
        uint8_t *out = (uint8_t *)buf + done;
        if (!e || e->unwritten) {
            memset(out, 0, n);
        } else {
            uint64_t fsb = e->startblock + (lblk - e->startoff), byte;
            uint64_t nblk = (p % bs + n + bs - 1) / bs;
            int rc = xfs_raw_fsb_locate(&d->sb, fsb, nblk, &byte) != 0
                         ? husk_err_set(err, HUSK_E_FORMAT, "extent outside the file system")
                         : xr_pread(d, byte + p % bs, out, n, err);
            if (rc < 0)
                return done ? (ssize_t)done : rc;
        }
        done += n;
    }
    return (ssize_t)done;
}

/* ---- symlinks ------------------------------------------------------------------------------ */

/* A block target has one "XSLM" header per extent (xfs_symlink_write_target), three blocks
 * at most. */
static int symlink_blocks(const xr_disk *d, uint64_t ino, const xr_map *m, uint8_t *tgt,
                          size_t size, husk_err *err)
{
    uint8_t *buf = malloc((size_t)d->sb.blocksize * 3);
    if (!buf)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int rc = 0;
    size_t got = 0;
    for (size_t i = 0; rc == 0 && got < size; i++) {
        const xfs_raw_extent *e = i < m->n ? &m->ext[i] : NULL;
        uint64_t want = i ? m->ext[i - 1].startoff + m->ext[i - 1].blockcount : 0;
        const uint8_t *data;
        size_t dlen = 0;
        if (!e || e->unwritten || e->startoff != want || e->startoff + e->blockcount > 3) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "symlink %llu: bad target blocks",
                              (unsigned long long)ino);
            break;
        }
        rc = xr_read_fsb(d, e->startblock, e->blockcount, buf, err);
        if (rc == 0)
            rc = xfs_raw_rmt_block(buf, (size_t)e->blockcount * d->sb.blocksize, d->sb.v5,
                                   XFS_RAW_SYMLINK_MAGIC, ino, &data, &dlen, err);
        if (rc == 0 && dlen == 0)
            rc = husk_err_set(err, HUSK_E_FORMAT, "symlink %llu: empty target block",
                              (unsigned long long)ino);
        if (rc == 0) {
            size_t n = dlen < size - got ? dlen : size - got;
            memcpy(tgt + got, data, n);
            got += n;
        }
    }
    free(buf);
    return rc;
}

ssize_t xr_symlink_read(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
                        uint8_t *tgt, husk_err *err)
{
    if (di->size == 0 || di->size > XFS_RAW_SYMLINK_MAXLEN)
        return husk_err_set(err, HUSK_E_FORMAT, "symlink %llu: target of %llu bytes",
                            (unsigned long long)ino, (unsigned long long)di->size);
    size_t size = (size_t)di->size;
    if (di->format == XFS_RAW_FMT_LOCAL) {
        if (size > di->data_len)
            return husk_err_set(err, HUSK_E_FORMAT, "symlink %llu: target overflows inode",
                                (unsigned long long)ino);
        memcpy(tgt, rec + di->data_off, size);
        return (ssize_t)size;
    }
    xr_map m;
    int rc = xr_map_load(d, ino, rec, di, 0, &m, err);
    if (rc == 0)
        rc = symlink_blocks(d, ino, &m, tgt, size, err);
    xr_map_free(&m);
    return rc < 0 ? rc : (ssize_t)size;
}

/* ---- extended attributes ------------------------------------------------------------------- */

typedef struct xattr_walk {
    const xr_disk *d;
    uint64_t ino;
    const xr_map *m; /* attribute fork map, NULL for short form */
    int (*cb)(const char *name, const uint8_t *value, size_t len, void *ctx);
    void *ctx;
    uint8_t *val;
    int rc; /* first callback error */
} xattr_walk;

/* Gathers a remote value from attribute-fork block first on (one header per block, v5). */
static int remote_value(xattr_walk *w, const xfs_raw_attr *a, husk_err *err)
{
    const xr_disk *d = w->d;
    if (!w->m || a->value_len > XFS_RAW_XATTR_VALUE_MAX)
        return husk_err_set(err, HUSK_E_FORMAT, "remote value of %zu bytes", a->value_len);
    if (!w->val && !(w->val = malloc(XFS_RAW_XATTR_VALUE_MAX)))
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint8_t *blk = malloc(d->sb.blocksize);
    if (!blk)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    size_t per = d->sb.blocksize - (d->sb.v5 ? XFS_RAW_RMT_HDR_LEN : 0), got = 0;
    uint64_t maxblk = (a->value_len + per - 1) / per;
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && got < a->value_len; i++) {
        const uint8_t *data;
        size_t dlen;
        if (i >= maxblk) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "remote value too short");
            break;
        }
        rc = map_read_block(d, w->m, a->remote_blk + i, blk, err);
        if (rc == 0)
            rc = husk_err_set(err, HUSK_E_FORMAT, "remote value block missing");
        if (rc < 0)
            break;
        rc = xfs_raw_rmt_block(blk, d->sb.blocksize, d->sb.v5, XFS_RAW_ATTR_RMT_MAGIC, w->ino,
                               &data, &dlen, err);
        if (rc == 0 && dlen == 0)
            rc = husk_err_set(err, HUSK_E_FORMAT, "empty remote value block");
        if (rc == 0) {
            size_t n = dlen < a->value_len - got ? dlen : a->value_len - got;
            memcpy(w->val + got, data, n);
            got += n;
        }
    }
    free(blk);
    return rc;
}

/* Hands one attribute to the caller; damaged ones are skipped (a recovered inode may point to
 * blocks reused since). */
static int xattr_emit(const xfs_raw_attr *a, void *ctx)
{
    xattr_walk *w = ctx;
    char name[16 + 256];
    husk_err e;
    if (xfs_raw_attr_name(a, name, sizeof name) <= 0)
        return 0;
    const uint8_t *value = a->value;
    if (!value) {
        if (remote_value(w, a, &e) != 0)
            return 0;
        value = w->val;
    }
    int rc = w->cb(name, value, a->value_len, w->ctx);
    if (rc != 0)
        w->rc = rc;
    return rc;
}

/* Walks the leaves of a block-form attribute fork from its leftmost one. */
static int xattr_leaves(xattr_walk *w, husk_err *err)
{
    const xr_disk *d = w->d;
    uint32_t bs = d->sb.blocksize;
    uint8_t *blk = malloc(bs);
    if (!blk)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint64_t lblk = 0;
    int rc = 0, depth = 0;
    for (;;) {
        rc = map_read_block(d, w->m, lblk, blk, err);
        if (rc <= 0)
            break;
        int kind = xfs_raw_da_kind(blk, bs, d->sb.v5);
        if (kind == XFS_RAW_DA_LEAF)
            break;
        uint16_t level;
        uint32_t child;
        if (kind != XFS_RAW_DA_NODE || ++depth > XFS_RAW_DA_MAXDEPTH ||
            xfs_raw_da_node_first(blk, bs, d->sb.v5, w->ino, &level, &child, err) != 0) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "bad attribute tree");
            break;
        }
        lblk = child;
    }
    for (uint64_t seen = 0; rc > 0; seen++) {
        uint32_t forw = 0;
        husk_err e;
        xfs_raw_attr_leaf_walk(blk, bs, d->sb.v5, w->ino, xattr_emit, w, &forw, &e);
        if (w->rc || forw == 0 || seen >= MAX_ATTR_LEAVES || seen >= w->m->blocks)
            break;
        rc = map_read_block(d, w->m, forw, blk, err);
        if (rc > 0 && xfs_raw_da_kind(blk, bs, d->sb.v5) != XFS_RAW_DA_LEAF)
            rc = 0;
    }
    free(blk);
    return rc < 0 ? rc : 0;
}

int xr_xattrs(const xr_disk *d, uint64_t ino, const uint8_t *rec, const xfs_raw_inode *di,
              int (*cb)(const char *name, const uint8_t *value, size_t len, void *ctx), void *ctx,
              husk_err *err)
{
    xattr_walk w = {d, ino, NULL, cb, ctx, NULL, 0};
    int rc = 0;
    if (di->attr_len == 0)
        return 0;
    if (di->aformat == XFS_RAW_FMT_LOCAL) {
        rc = xfs_raw_attr_sf_walk(rec + di->attr_off, di->attr_len, xattr_emit, &w, err);
    } else {
        xr_map m;
        rc = xr_map_load(d, ino, rec, di, 1, &m, err);
        if (rc == 0) {
            w.m = &m;
            rc = xattr_leaves(&w, err);
        }
        xr_map_free(&m);
    }
    free(w.val);
    if (w.rc)
        return w.rc > 0 ? 0 : w.rc;
    return rc < 0 ? rc : 0;
}

/* ---- directory blocks ------------------------------------------------------------------------ */

int xr_dir_blocks(const xr_disk *d, uint64_t ino, const xr_map *m, xr_dirent_cb cb, void *ctx,
                  husk_err *err)
{
    uint64_t fsbs = 1ULL << d->sb.dirblklog, limit = XFS_RAW_DIR_LEAF_OFFSET / d->sb.blocksize;
    size_t dsize = (size_t)d->sb.blocksize << d->sb.dirblklog;
    uint8_t *buf = malloc(dsize);
    if (!buf)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint64_t blocks = 0;
    int rc = 0;
    for (size_t i = 0; rc >= 0 && i < m->n; i++) {
        const xfs_raw_extent *e = &m->ext[i];
        uint64_t end = e->startoff + e->blockcount;
        for (uint64_t db = (e->startoff + fsbs - 1) / fsbs * fsbs;
             rc >= 0 && db < end && db < limit; db += fsbs) {
            if (++blocks > MAX_DIR_BLOCKS) {
                rc = husk_err_set(err, HUSK_E_LIMIT, "directory %llu: too many blocks",
                                  (unsigned long long)ino);
                break;
            }
            int got = 1;
            for (uint64_t k = 0; got > 0 && k < fsbs; k++)
                got = map_read_block(d, m, db + k, buf + k * d->sb.blocksize, err);
            if (got < 0) {
                rc = got;
                break;
            }
            /* a block reused since no longer names its directory (v5): skip it */
            if (got == 0 || (d->sb.v5 && xr_dir_block_owner(buf, dsize) != ino))
                continue;
            husk_err e2;
            int wr = xr_dir_block_entries(buf, dsize, d->sb.v5, d->sb.has_ftype, cb, ctx, &e2);
            if (wr < 0 && wr != -HUSK_E_FORMAT)
                rc = wr;
        }
    }
    free(buf);
    return rc < 0 ? rc : 0;
}
