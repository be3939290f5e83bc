/*
 * A cache of decoded image bytes under the file-system readers, for images whose every read
 * is decoded (EWF: zlib-compressed 32 KiB chunks).
 *
 * Why: libtsk 4.11 keeps 32 blocks of 64 KiB (2 MiB) of an image, and libewf 20140813
 * inflates a chunk again once it has left its own small cache. A raw image has the kernel's
 * page cache behind it; an E01 has nothing like it, so the analysis's re-reads of inode tables, directories and upper-layer file
 * heads (the findings read them a second time) each inflated their chunks again: an E01
 * analysis of the benchmark node spent 57 % of its CPU time in zlib and took 2.6 times as
 * long as the same analysis of the raw image (docs/performance.md). Neither library lets
 * the caller enlarge its cache, so husk keeps its own: a fixed number of aligned 64 KiB
 * blocks (memory does not grow with the image), found through a hash table, evicted by the
 * clock algorithm. Large reads (carving, hashing the image) go straight through and leave the
 * cache alone, since they read each byte once.
 *
 * Reads are serialised by libtsk: tsk_img_read holds the wrapping image's lock while it calls
 * cache_read, so this needs no lock of its own. A failed or short read of the image below is
 * passed up as it is and never cached.
 */
#include "imgcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLK ((size_t)64 << 10)
#define BYPASS ((size_t)256 << 10) /* reads this long or longer skip the cache */

typedef struct cache_img {
    TSK_IMG_INFO info; /* first member: libtsk hands this pointer back (tsk_img.h) */
    TSK_IMG_INFO *under;
    uint64_t size;
    size_t nslots;
    unsigned char *data; /* nslots * BLK */
    uint64_t *tag;       /* block number held by the slot; UINT64_MAX: empty */
    int32_t *next;       /* hash chain of the slot's bucket */
    int32_t *head;       /* nbuckets: first slot of each bucket, -1: none */
    uint8_t *ref;        /* clock reference bits */
    size_t nbuckets;     /* a power of two */
    size_t hand;
    uint64_t hits, misses;
} cache_img;

static size_t bucket(const cache_img *c, uint64_t blk)
{
    return (size_t)((blk * 0x9E3779B97F4A7C15ull) >> 32) & (c->nbuckets - 1);
}

static int32_t find(const cache_img *c, uint64_t blk)
{
    for (int32_t s = c->head[bucket(c, blk)]; s >= 0; s = c->next[s])
        if (c->tag[s] == blk)
            return s;
    return -1;
}

static void unlink_slot(cache_img *c, int32_t s)
{
    int32_t *p = &c->head[bucket(c, c->tag[s])];
    while (*p >= 0 && *p != s)
        p = &c->next[*p];
    if (*p == s)
        *p = c->next[s];
    c->tag[s] = UINT64_MAX;
}

/* The slot to reuse: the first, from the hand on, not referenced since the hand last passed. */
static int32_t victim(cache_img *c)
{
    for (;;) {
        size_t s = c->hand;
        c->hand = (c->hand + 1) % c->nslots;
        if (c->tag[s] == UINT64_MAX)
            return (int32_t)s;
        if (!c->ref[s]) {
            unlink_slot(c, (int32_t)s);
            return (int32_t)s;
        }
        c->ref[s] = 0;
    }
}

/* Block blk into a slot: the slot, or -1 with libtsk's error set (nothing cached). */
static int32_t load(cache_img *c, uint64_t blk)
{
    int32_t s = find(c, blk);
    if (s >= 0) {
        c->ref[s] = 1;
        c->hits++;
        return s;
    }
    c->misses++;
    uint64_t off = blk * BLK;
    size_t want = c->size - off < BLK ? (size_t)(c->size - off) : BLK;
    s = victim(c);
    unsigned char *d = c->data + (size_t)s * BLK;
    ssize_t n = tsk_img_read(c->under, (TSK_OFF_T)off, (char *)d, want);
    if (n != (ssize_t)want)
        return -1; /* the slot stays empty; the caller reads through for the error */
    c->tag[s] = blk;
    c->ref[s] = 1;
    size_t b = bucket(c, blk);
    c->next[s] = c->head[b];
    c->head[b] = s;
    return s;
}

static ssize_t cache_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    cache_img *c = (cache_img *)img;
    if (off < 0 || (uint64_t)off >= c->size || len >= BYPASS)
        return tsk_img_read(c->under, off, buf, len);
    if (len > c->size - (uint64_t)off)
        len = (size_t)(c->size - (uint64_t)off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        uint64_t blk = pos / BLK;
        size_t in = (size_t)(pos % BLK), take = BLK - in < len - done ? BLK - in : len - done;
        int32_t s = load(c, blk);
        if (s < 0) {
            /* not cacheable (a damaged chunk, a short read): the image below says what it
             * can of this part, exactly as without the cache */
            ssize_t n = tsk_img_read(c->under, (TSK_OFF_T)pos, buf + done, len - done);
            if (n < 0)
                return done ? (ssize_t)done : n;
            return (ssize_t)(done + (size_t)n);
        }
        memcpy(buf + done, c->data + (size_t)s * BLK + in, take);
        done += take;
    }
    return (ssize_t)done;
}

static void cache_free(cache_img *c)
{
    free(c->data);
    free(c->tag);
    free(c->next);
    free(c->head);
    free(c->ref);
    free(c);
}

static void cache_close(TSK_IMG_INFO *img)
{
    cache_img *c = (cache_img *)img;
    tsk_img_close(c->under);
    cache_free(c);
}

static void cache_imgstat(TSK_IMG_INFO *img, FILE *f)
{
    cache_img *c = (cache_img *)img;
    fprintf(f, "decoded-block cache over the image: %zu blocks of %zu KiB\n", c->nslots,
            BLK >> 10);
}

TSK_IMG_INFO *husk_imgcache_wrap(TSK_IMG_INFO *under, size_t bytes)
{
    size_t nslots = bytes / BLK;
    if (!under || under->size <= 0 || nslots < 2 || nslots > INT32_MAX / 2)
        return NULL;
    cache_img *c = calloc(1, sizeof *c); /* zeroed: it holds libtsk's own read cache */
    if (!c)
        return NULL;
    c->under = under;
    c->size = (uint64_t)under->size;
    c->nslots = nslots;
    c->nbuckets = 1;
    while (c->nbuckets < 2 * nslots)
        c->nbuckets <<= 1;
    c->data = malloc(nslots * BLK);
    c->tag = malloc(nslots * sizeof *c->tag);
    c->next = malloc(nslots * sizeof *c->next);
    c->head = malloc(c->nbuckets * sizeof *c->head);
    c->ref = calloc(nslots, 1);
    if (!c->data || !c->tag || !c->next || !c->head || !c->ref)
        goto fail;
    for (size_t i = 0; i < nslots; i++) {
        c->tag[i] = UINT64_MAX;
        c->next[i] = -1;
    }
    for (size_t i = 0; i < c->nbuckets; i++)
        c->head[i] = -1;
    TSK_IMG_INFO *t = tsk_img_open_external(c, under->size, under->sector_size, cache_read,
                                            cache_close, cache_imgstat);
    if (t)
        return t;
    tsk_error_reset();
fail:
    cache_free(c);
    return NULL;
}

void husk_imgcache_stats(TSK_IMG_INFO *img, uint64_t *hits, uint64_t *misses)
{
    if (!img || img->itype != TSK_IMG_TYPE_EXTERNAL || img->read != cache_read) {
        *hits = *misses = 0;
        return;
    }
    const cache_img *c = (const cache_img *)img;
    *hits = c->hits;
    *misses = c->misses;
}
