/*
 * Collecting the evidence of an XFS recovered view (src/recover/xfs_view.h):
 *  - the log: every incarnation of every logged inode, merged item by item as recovery
 *    would (core always, forks when logged), with a copy of its last state while it still
 *    had a name; and the names of every logged short-form fork and directory block;
 *  - the homes: free slots of inode chunks in use (old extent records or short-form entries
 *    left in the literal area) and whole inode records in free space (freed chunks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xfs_view.h"

/* ---- maps ------------------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static int map_grow(xv_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint64_t *k = calloc(cap, sizeof *k);
    uint32_t *v = calloc(cap, sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = mix64(m->keys[i]) & (cap - 1);
        while (k[j])
            j = (j + 1) & (cap - 1);
        k[j] = m->keys[i];
        v[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    m->cap = cap;
    return 0;
}

int xv_map_put(xv_map *m, uint64_t key, uint32_t val)
{
    if (key == 0)
        return -1;
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != 0)
        return -1;
    size_t j = mix64(key) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j])
        m->n++;
    m->keys[j] = key;
    m->vals[j] = val;
    return 0;
}

int xv_map_get(const xv_map *m, uint64_t key, uint32_t *val)
{
    if (key == 0 || m->cap == 0)
        return -1;
    size_t j = mix64(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key) {
            *val = m->vals[j];
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

void xv_map_free(xv_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- facts ------------------------------------------------------------------------------------
 */

static uint64_t fact_hash(uint64_t dir, int32_t inc, uint64_t child, const uint8_t *name,
                          size_t len)
{
    uint64_t h = mix64(dir ^ mix64(child + 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(uint32_t)inc << 7));
    for (size_t i = 0; i < len; i++)
        h = (h ^ name[i]) * 0x100000001b3ULL;
    return mix64(h);
}

static int fact_rehash(xv_view *v)
{
    size_t cap = v->fact_hcap ? v->fact_hcap * 2 : 4096;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < v->nfact; i++) {
        const xv_fact *f = &v->facts[i];
        size_t j = fact_hash(f->dir_ino, f->dir_inc, f->child_ino,
                             (const uint8_t *)xv_name(v, f->name_off), f->name_len) &
                   (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(v->fact_hash);
    v->fact_hash = t;
    v->fact_hcap = cap;
    return 0;
}

/* The same binding seen again (a directory block is logged at every change) only moves its
 * seq forward, so facts stay one per distinct binding. An entry seen in a free span (deleted
 * before this point) does not move it: its binding is older than the block's log time. */
int xv_fact_add(xv_view *v, uint64_t dir, int32_t inc, const xr_dirent *d, uint64_t seq, int src)
{
    if (!xr_name_ok(d->name, d->name_len) || d->name_len > 255 || d->ino == 0 ||
        d->ino >= v->d.ino_limit || dir == 0 || dir >= v->d.ino_limit || d->ino == dir)
        return 0;
    if (d->ino_partial && v->d.ino_limit > (1ULL << 32))
        return 0; /* the lost high half matters on this file system */
    if ((v->nfact + 1) * 2 > v->fact_hcap && fact_rehash(v) != 0)
        return -HUSK_E_NOMEM;
    size_t j = fact_hash(dir, inc, d->ino, d->name, d->name_len) & (v->fact_hcap - 1);
    for (; v->fact_hash[j]; j = (j + 1) & (v->fact_hcap - 1)) {
        xv_fact *f = &v->facts[v->fact_hash[j] - 1];
        if (f->dir_ino == dir && f->dir_inc == inc && f->child_ino == d->ino &&
            f->name_len == d->name_len &&
            memcmp(xv_name(v, f->name_off), d->name, d->name_len) == 0) {
            if (!d->deleted && (seq > f->seq || f->remnant)) {
                f->seq = seq > f->seq ? seq : f->seq;
                f->src = (uint8_t)src;
                f->remnant = 0;
            }
            if (d->ftype && !f->ftype)
                f->ftype = d->ftype;
            return 0;
        }
    }
    if (v->nfact >= XV_MAX_FACTS) {
        v->limit_hits++;
        return 0;
    }
    if (v->nfact == v->capfact) {
        size_t cap = v->capfact ? v->capfact * 2 : 1024;
        xv_fact *n = realloc(v->facts, cap * sizeof *n);
        if (!n)
            return -HUSK_E_NOMEM;
        v->facts = n;
        v->capfact = cap;
    }
    size_t off = v->names.len;
    if (off > UINT32_MAX - 512 || husk_sb_add(&v->names, d->name, d->name_len) != 0 ||
        husk_sb_add(&v->names, "", 1) != 0)
        return -HUSK_E_NOMEM;
    xv_fact *f = &v->facts[v->nfact];
    *f = (xv_fact){dir,      d->ino,        inc,
                   seq,      (uint32_t)off, (uint8_t)d->name_len,
                   d->ftype, (uint8_t)src,  (uint8_t)(d->deleted != 0)};
    v->fact_hash[j] = (uint32_t)++v->nfact;
    return 0;
}

/* A fact per name; ".." gives the directory's parent. */
int xv_harvest_cb(const xr_dirent *d, void *ctx)
{
    xv_harvest *h = ctx;
    if (d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.' && !d->deleted) {
        if (h->parent && !d->ino_partial && d->ino < h->v->d.ino_limit)
            *h->parent = d->ino;
        return 0;
    }
    if (h->only_deleted && !d->deleted)
        return 0;
    return xv_fact_add(h->v, h->dir, h->inc, d, h->seq, h->src);
}

/* ---- the log -----------------------------------------------------------------------------------
 */

/* A new incarnation of ino: its forks start from the home record when that record is of the
 * same life (an inode created before the oldest surviving log record). */
static xv_inc *inc_new(xv_view *v, uint64_t ino, uint32_t gen, uint64_t seq)
{
    if (v->ninc >= XV_MAX_INCS) {
        v->limit_hits++;
        return NULL;
    }
    if (v->ninc == v->capinc) {
        size_t cap = v->capinc ? v->capinc * 2 : 256;
        xv_inc *n = realloc(v->incs, cap * sizeof *n);
        if (!n)
            return NULL;
        v->incs = n;
        v->capinc = cap;
    }
    uint8_t *cur = calloc(1, v->isize);
    if (!cur)
        return NULL;
    uint32_t prev;
    xv_inc *in = &v->incs[v->ninc];
    memset(in, 0, sizeof *in);
    in->ino = ino;
    in->gen = gen;
    in->first_seq = seq;
    in->end_seq = UINT64_MAX;
    in->cur = cur;
    in->obj = -1;
    in->prev = -1;
    if (xv_map_get(&v->inc_by_ino, ino, &prev) == 0) {
        in->prev = (int32_t)prev;
        v->incs[prev].end_seq = seq;
    }
    uint64_t pos;
    if (xr_inode_pos(&v->d, ino, &pos) == 0 && xr_pread(&v->d, pos, cur, v->isize, NULL) == 0 &&
        xfs_be16(cur) == 0x494e && xfs_be32(cur + 92) == gen &&
        (cur[4] != 3 || xfs_be64(cur + 152) == ino))
        in->base_home = in->have_dfork = 1;
    else
        memset(cur, 0, v->isize);
    if (xv_map_put(&v->inc_by_ino, ino, (uint32_t)v->ninc) != 0) {
        free(cur);
        return NULL;
    }
    v->ninc++;
    return in;
}

/* Copies a logged fork into the merged copy at off, inside the inode. */
static void put_fork(xv_view *v, uint8_t *cur, size_t off, const uint8_t *p, size_t len)
{
    if (!p || off >= v->isize)
        return;
    if (len > v->isize - off)
        len = v->isize - off;
    memcpy(cur + off, p, len);
}

/* Names of a logged short-form directory. The parent is taken only while the directory has
 * a name: a directory being removed may be moved first (its header then names the new
 * place, which it never lived in). */
static int harvest_sf(xv_view *v, xv_inc *in, int32_t idx, uint64_t seq)
{
    uint64_t parent = 0;
    xfs_raw_inode di;
    if (xfs_raw_inode_parse(in->cur, v->isize, in->ino, &di, NULL) != 0 ||
        (di.mode & S_IFMT) != S_IFDIR || di.format != XFS_RAW_FMT_LOCAL)
        return 0;
    size_t len = di.size < di.data_len ? (size_t)di.size : di.data_len;
    xv_harvest h = {v, in->ino, seq, idx, XV_FACT_LOG_SF, 0, NULL};
    husk_err e;
    int rc = xr_sf_entries(in->cur + di.data_off, len, v->d.sb.has_ftype, v->d.ino_limit, &parent,
                           xv_harvest_cb, &h, &e);
    if (parent && di.nlink > 0)
        in->parent = parent;
    return rc == -HUSK_E_NOMEM ? rc : 0;
}

/* One logged inode: applied to its incarnation as log recovery would apply it. */
static int on_inode(const xr_log_inode *li, uint64_t seq, void *ctx)
{
    xv_view *v = ctx;
    if (li->ino == 0 || li->ino >= v->d.ino_limit || li->core_len > v->isize)
        return 0;
    uint16_t mode = xfs_be16(li->core + 2);
    uint32_t gen = xfs_be32(li->core + 92), nlink = xfs_be32(li->core + 16), idx;
    xv_inc *in = NULL;
    if (xv_map_get(&v->inc_by_ino, li->ino, &idx) == 0)
        in = &v->incs[idx];
    if (mode == 0) {
        /* freeing (xfs_ifree logs mode 0 with the next generation) or initialising */
        if (in && !in->freed && in->live) {
            in->freed = 1;
            in->end_seq = seq + 1;
        }
        return 0;
    }
    if (!in || in->gen != gen) {
        if (!(in = inc_new(v, li->ino, gen, seq)))
            return v->ninc >= XV_MAX_INCS ? 0 : -HUSK_E_NOMEM;
        idx = (uint32_t)(v->ninc - 1);
    }
    in->freed = 0;
    in->end_seq = UINT64_MAX;
    memcpy(in->cur, li->core, li->core_len);
    size_t doff = li->core_len, aoff = v->isize;
    if (li->core[82])
        aoff = doff + (size_t)li->core[82] * 8;
    if (li->fields & XR_ILOG_DFORK) {
        put_fork(v, in->cur, doff, li->dfork, li->dlen < aoff - doff ? li->dlen : aoff - doff);
        in->have_dfork = 1;
    }
    if ((li->fields & XR_ILOG_DEV) && doff + 4 <= v->isize) {
        uint8_t be[4] = {(uint8_t)(li->rdev >> 24), (uint8_t)(li->rdev >> 16),
                         (uint8_t)(li->rdev >> 8), (uint8_t)li->rdev};
        memcpy(in->cur + doff, be, 4);
    }
    if ((li->fields & XR_ILOG_AFORK) && aoff < v->isize)
        put_fork(v, in->cur, aoff, li->afork, li->alen);
    /* The copy kept is the last one while the inode had a name; failing that (its life
     * began before the oldest surviving log record) the one logged when it was unlinked,
     * which still has its size and extent count: truncation comes after. */
    if (nlink > 0 || !in->live) {
        if (!in->live && !(in->live = malloc(v->isize)))
            return -HUSK_E_NOMEM;
        memcpy(in->live, in->cur, v->isize);
        in->live_seq = seq;
        in->dying = nlink == 0;
    }
    if (li->fields & XR_ILOG_DDATA)
        return harvest_sf(v, in, (int32_t)idx, seq);
    return 0;
}

/* The image of a logged directory block: the disk's bytes the first time, then every logged
 * chunk over it in log order. */
static uint8_t *dirimg_get(xv_view *v, uint64_t daddr, size_t dsize)
{
    uint32_t i;
    if (xv_map_get(&v->dirimg_by_daddr, daddr + 1, &i) == 0)
        return v->dirimgs[i].buf;
    if (v->ndirimg >= XV_MAX_DIRIMGS) {
        v->limit_hits++;
        return NULL;
    }
    if (v->ndirimg == v->capdirimg) {
        size_t cap = v->capdirimg ? v->capdirimg * 2 : 64;
        xv_dirimg *n = realloc(v->dirimgs, cap * sizeof *n);
        if (!n)
            return NULL;
        v->dirimgs = n;
        v->capdirimg = cap;
    }
    uint8_t *buf = calloc(1, dsize);
    if (!buf)
        return NULL;
    if (daddr > UINT64_MAX / XR_BB || xr_pread(&v->d, daddr * XR_BB, buf, dsize, NULL) != 0)
        memset(buf, 0, dsize);
    if (xv_map_put(&v->dirimg_by_daddr, daddr + 1, (uint32_t)v->ndirimg) != 0) {
        free(buf);
        return NULL;
    }
    v->dirimgs[v->ndirimg++] = (xv_dirimg){daddr, buf};
    return buf;
}

/* One logged buffer: directory blocks are rebuilt and every name they hold becomes a fact of
 * the incarnation of their owner (v5 blocks name it) current at that point of the log. */
static int on_buf(const xr_log_buf *b, uint64_t seq, void *ctx)
{
    xv_view *v = ctx;
    size_t dsize = (size_t)v->d.sb.blocksize << v->d.sb.dirblklog;
    if (b->cancel || (b->type != XR_BLFT_DIR_BLOCK && b->type != XR_BLFT_DIR_DATA) ||
        (size_t)b->nbb * XR_BB != dsize || !v->d.sb.v5)
        return 0;
    uint8_t *img = dirimg_get(v, b->daddr, dsize);
    if (!img)
        return v->ndirimg >= XV_MAX_DIRIMGS ? 0 : -HUSK_E_NOMEM;
    for (size_t i = 0; i < b->nregions; i++)
        memcpy(img + b->regions[i].offset, b->regions[i].data, b->regions[i].len);
    uint64_t owner = xr_dir_block_owner(img, dsize);
    if (owner == 0 || owner >= v->d.ino_limit || xfs_be64(img + 8) != b->daddr)
        return 0;
    uint32_t idx;
    int32_t inc = -1;
    uint64_t *parent = NULL;
    if (xv_map_get(&v->inc_by_ino, owner, &idx) == 0 && !v->incs[idx].freed) {
        inc = (int32_t)idx;
        if (xfs_be32(v->incs[idx].cur + 16) > 0) /* see harvest_sf() */
            parent = &v->incs[idx].parent;
    }
    xv_harvest h = {v, owner, seq, inc, XV_FACT_LOG_BLOCK, 0, parent};
    husk_err e;
    int rc = xr_dir_block_entries(img, dsize, 1, v->d.sb.has_ftype, xv_harvest_cb, &h, &e);
    return rc == -HUSK_E_NOMEM ? rc : 0;
}

int xv_collect_log(xv_view *v, husk_err *err)
{
    xr_log_sink sink = {on_inode, on_buf, v};
    husk_err e = {0};
    int rc = xr_log_scan(&v->d, &sink, &v->log, v->diag, &e);
    if (rc == -HUSK_E_NOMEM) {
        if (err)
            *err = e;
        return rc;
    }
    if (rc != 0)
        husk_diag_report(v->diag, "recovery", "xfs log", -1, "%s", e.msg);
    if (v->log.bad_crc)
        husk_diag_report(v->diag, "recovery", "xfs log", -1,
                         "%llu log records fail their CRC (overwritten in part or damaged); "
                         "not used",
                         (unsigned long long)v->log.bad_crc);
    if (v->log.dropped)
        husk_diag_report(v->diag, "recovery", "xfs log", -1,
                         "%llu log transactions too large to keep; not used",
                         (unsigned long long)v->log.dropped);
    for (size_t i = 0; i < v->ninc; i++) /* the merged copies are no longer needed */
        free(v->incs[i].cur), v->incs[i].cur = NULL;
    for (size_t i = 0; i < v->ndirimg; i++)
        free(v->dirimgs[i].buf);
    free(v->dirimgs);
    v->dirimgs = NULL;
    v->ndirimg = v->capdirimg = 0;
    xv_map_free(&v->dirimg_by_daddr);
    return 0;
}

/* ---- homes ------------------------------------------------------------------------------------
 */

typedef struct homes {
    xv_home *v;
    size_t n, cap;
} homes;

static int count_cb(const xr_dirent *d, void *ctx)
{
    (void)d;
    (*(int *)ctx)++;
    return 0;
}

/* What a free inode record at its home still says: a complete inode (mode set), or old
 * short-form entries or extent records in its literal area. 0 when nothing usable. A
 * deleted short-form directory is tried first: its fork is never rewritten, and a valid
 * run of entries (names, types, aligned offsets, inode numbers) does not happen by chance,
 * while extent records are only checked for plausibility. */
static int home_usable(xv_view *v, const uint8_t *rec, uint64_t ino, xv_home *h)
{
    memset(h, 0, sizeof *h);
    h->ino = ino;
    if (xfs_be16(rec + 2) != 0) {
        h->src = XV_SRC_FREED;
        return 1;
    }
    size_t doff = rec[4] == 3 ? 176 : 100;
    if (v->isize <= doff)
        return 0;
    int n = 0;
    husk_err e;
    if (xr_sf_entries(rec + doff, v->isize - doff, v->d.sb.has_ftype, v->d.ino_limit, NULL,
                      count_cb, &n, &e) > 0) {
        h->src = XV_SRC_LEFTOVER;
        h->sf_dir = 1;
        return 1;
    }
    h->nleft = xr_leftover_extents(&v->d.sb, rec, v->isize, h->left, 32);
    if (h->nleft > 0) {
        h->src = XV_SRC_LEFTOVER;
        return 1;
    }
    return 0;
}

static int homes_add(xv_view *v, homes *hs, const uint8_t *rec, const xv_home *h, int crc_ok)
{
    if (hs->n >= XV_MAX_OBJS / 2) {
        v->limit_hits++;
        return 0;
    }
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 64;
        xv_home *n = realloc(hs->v, cap * sizeof *n);
        if (!n)
            return -HUSK_E_NOMEM;
        hs->v = n;
        hs->cap = cap;
    }
    xv_home *d = &hs->v[hs->n];
    *d = *h;
    d->crc_ok = crc_ok;
    if (!(d->raw = malloc(v->isize)))
        return -HUSK_E_NOMEM;
    memcpy(d->raw, rec, v->isize);
    hs->n++;
    return 0;
}

/* Free slots of chunks in use: read one by one (few per chunk). */
static int scan_free_slots(xv_view *v, homes *hs)
{
    uint8_t *rec = malloc(v->isize);
    if (!rec)
        return -HUSK_E_NOMEM;
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < v->chunks.n; c++) {
        uint64_t fr = v->chunks.free[c] & v->chunks.present[c];
        for (unsigned i = 0; rc == 0 && i < 64; i++) {
            uint64_t ino = v->chunks.startino[c] + i, pos;
            if (!((fr >> i) & 1) || xr_inode_pos(&v->d, ino, &pos) != 0 ||
                xr_pread(&v->d, pos, rec, v->isize, NULL) != 0)
                continue;
            int chk = v->d.sb.v5
                          ? xr_inode_check(rec, v->isize, ino)
                          : (xfs_be16(rec) == 0x494e && rec[4] < 3 ? XR_INODE_OK : XR_INODE_NONE);
            xv_home h;
            if (chk == XR_INODE_NONE || !home_usable(v, rec, ino, &h))
                continue;
            rc = homes_add(v, hs, rec, &h, chk == XR_INODE_OK);
        }
    }
    free(rec);
    return rc;
}

/* Whole inode records in free space: freed chunks are never written again by the kernel
 * (their buffers are marked stale), so what was last written home is still there. */
static int scan_free_space(xv_view *v, homes *hs)
{
    const xfs_raw_sb *sb = &v->d.sb;
    uint8_t *buf = malloc(XV_SCAN_RUN);
    if (!buf)
        return -HUSK_E_NOMEM;
    uint64_t per_run = XV_SCAN_RUN / sb->blocksize;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v->freesp.n; i++) {
        uint64_t start = v->freesp.start[i], end = start + v->freesp.len[i];
        for (uint64_t b = start; rc == 0 && b < end; b += per_run) {
            uint64_t n = end - b < per_run ? end - b : per_run;
            if (v->scanned_bytes + n * sb->blocksize > XV_MAX_SCAN_BYTES) {
                husk_diag_report(v->diag, "recovery", "xfs free space", -1,
                                 "searched the first %llu bytes of free space for freed inodes; "
                                 "the rest was not searched",
                                 (unsigned long long)v->scanned_bytes);
                v->limit_hits++;
                free(buf);
                return 0;
            }
            v->scanned_bytes += n * sb->blocksize;
            if (xr_pread(&v->d, b * sb->blocksize, buf, (size_t)(n * sb->blocksize), NULL) != 0)
                continue;
            for (size_t o = 0; rc == 0 && o + v->isize <= n * sb->blocksize; o += v->isize) {
                const uint8_t *rec = buf + o;
                if (rec[0] != 'I' || rec[1] != 'N')
                    continue;
                uint64_t blk = b + o / sb->blocksize;
                uint64_t agno = blk / sb->agblocks, agbno = blk % sb->agblocks;
                uint64_t ino = (agno << (sb->agblklog + sb->inopblog)) | (agbno << sb->inopblog) |
                               ((o % sb->blocksize) / v->isize);
                int chk = xr_inode_check(rec, v->isize, ino);
                xv_home h;
                if (chk == XR_INODE_NONE || !home_usable(v, rec, ino, &h))
                    continue;
                if (chk == XR_INODE_BADCRC)
                    v->home_badcrc++;
                rc = homes_add(v, hs, rec, &h, chk == XR_INODE_OK);
            }
        }
    }
    free(buf);
    return rc;
}

int xv_collect_homes(xv_view *v, xv_home **out, size_t *nout, husk_err *err)
{
    homes hs = {NULL, 0, 0};
    int rc = scan_free_slots(v, &hs);
    if (rc == 0 && v->d.sb.v5) /* v4 records do not name themselves: positions would lie */
        rc = scan_free_space(v, &hs);
    if (rc != 0) {
        xv_homes_free(hs.v, hs.n);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    v->home_found = hs.n;
    *out = hs.v;
    *nout = hs.n;
    return 0;
}

void xv_homes_free(xv_home *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(h[i].raw);
    free(h);
}

/* ---- old names in live directories ------------------------------------------------------ */

/* Reads the block-form live directory whose record is rec and records the names its free
 * spans still hold (deleted entries; the live ones are the live back end's). */
static int live_dir_remnants(xv_view *v, uint64_t ino, const uint8_t *rec)
{
    xfs_raw_inode di;
    xr_map m;
    if (xfs_raw_inode_parse(rec, v->isize, ino, &di, NULL) != 0 || (di.mode & S_IFMT) != S_IFDIR ||
        di.nlink == 0 || (di.format != XFS_RAW_FMT_EXTENTS && di.format != XFS_RAW_FMT_BTREE) ||
        xr_map_load(&v->d, ino, rec, &di, 0, &m, NULL) != 0)
        return 0;
    if (v->remnant_blocks + m.blocks > XV_MAX_REMNANT_BLOCKS) {
        xr_map_free(&m);
        v->limit_hits++;
        return 0;
    }
    v->remnant_blocks += m.blocks;
    xv_harvest h = {v, ino, 0, -1, XV_FACT_LIVE_REMNANT, 1, NULL};
    int rc = xr_dir_blocks(&v->d, ino, &m, xv_harvest_cb, &h, NULL);
    xr_map_free(&m);
    return rc == -HUSK_E_NOMEM ? rc : 0;
}

/* Every live directory in block form, found through the inode chunks in use (one read of
 * 64 records per chunk). */
int xv_collect_live_remnants(xv_view *v, husk_err *err)
{
    size_t clen = 64 * v->isize;
    uint8_t *buf = malloc(clen);
    if (!buf)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < v->chunks.n; c++) {
        uint64_t live = v->chunks.present[c] & ~v->chunks.free[c], pos;
        if (!live || xr_inode_pos(&v->d, v->chunks.startino[c], &pos) != 0 ||
            xr_pread(&v->d, pos, buf, clen, NULL) != 0)
            continue;
        for (unsigned i = 0; rc == 0 && i < 64; i++) {
            const uint8_t *rec = buf + (size_t)i * v->isize;
            if ((live >> i) & 1 && xfs_be16(rec) == 0x494e &&
                (xfs_be16(rec + 2) & S_IFMT) == S_IFDIR && rec[5] != XFS_RAW_FMT_LOCAL)
                rc = live_dir_remnants(v, v->chunks.startino[c] + i, rec);
        }
    }
    free(buf);
    if (v->remnant_blocks >= XV_MAX_REMNANT_BLOCKS)
        husk_diag_report(v->diag, "recovery", "xfs live directories", -1,
                         "searched %llu directory blocks for old names; the rest were not",
                         (unsigned long long)v->remnant_blocks);
    return rc == 0 ? 0 : husk_err_set(err, HUSK_E_NOMEM, "out of memory");
}
