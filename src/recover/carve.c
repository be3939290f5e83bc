/*
 * Carving Docker artefacts out of unallocated space and the ext4 journal (recovery.md 6,
 * formats.md 3.1, 3.2, 4; public side in include/husk/recover.h, internals in carve_int.h).
 *
 * A stretch of contiguous bytes is read in windows of lim.window bytes. Each candidate is
 * decided as soon as more bytes could not change the outcome; one that runs past the end of
 * the bytes read so far (an artefact straddling two reads) waits, with the bytes from its
 * start kept, until the next window has come. Nothing waits longer than the largest
 * artefact looked for (`carry`), so the buffer never holds more than carry + window bytes,
 * and apart from such waits every byte is examined once. Three kinds of candidates are
 * decided in the order of their positions:
 *   - block starts (every file starts on one): a JSON object there is cut at its matching
 *     brace, parsed with jansson and kept when its keys make it a config.v2.json (ID of 64
 *     hex digits, State, Config) or a hostconfig.json (LogConfig, NetworkMode,
 *     RestartPolicy), whatever their order; a gzip member is inflated (bounded) and its bytes
 *     are searched for the two kinds below as a stream of their own;
 *   - json-file lines anywhere (lines are appended, so they start anywhere): `{"log":"` up to
 *     the next newline, accepted when the json-file decoder of src/logs takes the whole line
 *     with an RFC 3339 time and a stdout/stderr stream;
 *   - local-driver frames anywhere: be32 length, a protobuf LogEntry that the local decoder
 *     of src/logs accepts, the same be32 length; the source must be stdout/stderr and the
 *     time plausible. Frames are found by their first field, source = "stdout"/"stderr",
 *     which every protobuf encoder writes first (fields go out in number order).
 * Every artefact is hashed (SHA-256 of its kind and bytes; 64 bits kept) and reported once.
 *
 * Bounds: artefact sizes (lim.max_*), the number of artefacts, the output of each gzip
 * member, and two budgets that grow with the bytes scanned: validation work (bytes examined
 * by the parsers) and inflated bytes. A crafted image can make carving skip candidates once
 * a budget is spent (reported to diag), never make it run for long or use much memory.
 */
#include "carve_int.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h> /* AVX2 marks, chosen at run time (mark64_avx2) */
#define HAVE_MARK64_AVX2 1
#endif

#include <jansson.h>
#include <openssl/evp.h>
#include <tsk/libtsk.h>

#include "../evidence/xfs_access.h"
#include "husk/escape.h"
#include "husk/ext4.h"
#include "husk/logs.h"

#define NONE UINT64_MAX
#define MAX_REPORTS 20       /* reports per category before they are only counted */
#define ZIN_CHUNK (1u << 20) /* compressed bytes read per step from a gzip member */
#define MAX_NESTING 512      /* JSON depth a config may reach before it is refused */
#define MIN_TIME 1356998400  /* 2013-01-01: before Docker, no log frame is plausible */
#define MAX_TIME 4102444800  /* 2100-01-01 */
#define PF_RING (4u << 20)   /* the ring's room beyond the stream's buffer, to read ahead */
#define PF_PIECE (1u << 20)  /* one read of the read-ahead thread */
#define PF_MIN (4u << 20)    /* shorter stretches are read in line */
#define PF_ADVISE (16u << 20) /* asked for this far ahead of the read-ahead's reads */

/* What json-file lines and local-driver frames begin with (the frame: after its length). */
static const char log_anchor[] = "{\"log\":\"";
static const char local_anchor[] = "\n\006std"; /* field 1, length 6: "stdout"/"stderr" */

/* Damage reports, counted per category so that one kind of noise cannot drown the rest. */
enum { R_READ, R_CONFIG, R_GZIP, R_LIMIT, R_N };
static const char *const report_what[R_N] = {"unreadable stretches", "config fragments",
                                             "damaged gzip members", "bounds reached"};

static const char *const kind_names[] = {"config", "hostconfig", "jsonlog", "locallog"};

const char *husk_carve_kind_name(husk_carve_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "unknown";
}

void carve_limits_default(carve_limits *l)
{
    l->window = 8u << 20;
    l->max_config = 4u << 20;
    l->max_line = 1u << 20;
    l->max_record = HUSK_LOG_MAX_RECORD;
    l->max_gunzip = 256u << 20;
    l->max_found = 1u << 22;
    l->work_base = 256u << 20;
    l->work_factor = 16;
    l->gzip_base = 1u << 30;
    l->gzip_factor = 16;
    l->no_readahead = 0;
    l->no_ring = 0;
}

/* ---- the deduplication set ---------------------------------------------------------------- */

/* Open addressing over 64-bit digests; 0 marks an empty slot. */
typedef struct hset {
    uint64_t *slot;
    size_t cap, n;
} hset;

/* Returns 1 when k was new, 0 when already present, -1 when memory ran out. */
static int hset_add(hset *h, uint64_t k)
{
    if ((h->n + 1) * 2 > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        uint64_t *s = calloc(cap, sizeof *s);
        if (!s)
            return -1;
        for (size_t i = 0; i < h->cap; i++) {
            if (!h->slot[i])
                continue;
            size_t j = (size_t)h->slot[i] & (cap - 1);
            while (s[j])
                j = (j + 1) & (cap - 1);
            s[j] = h->slot[i];
        }
        free(h->slot);
        h->slot = s;
        h->cap = cap;
    }
    size_t j = (size_t)k & (h->cap - 1); /* digest bits are uniform already */
    while (h->slot[j]) {
        if (h->slot[j] == k)
            return 0;
        j = (j + 1) & (h->cap - 1);
    }
    h->slot[j] = k;
    h->n++;
    return 1;
}

/* 1 when k is in the set. */
static int hset_has(const hset *h, uint64_t k)
{
    if (!h->cap)
        return 0;
    for (size_t j = (size_t)k & (h->cap - 1); h->slot[j]; j = (j + 1) & (h->cap - 1))
        if (h->slot[j] == k)
            return 1;
    return 0;
}

/* ---- session and streams ------------------------------------------------------------------ */

/*
 * A stream is bytes examined in order: a stretch of the file system, or the decompressed
 * bytes of one gzip member. Positions are stream offsets; buf holds [base, base + len).
 * Each kind of candidate keeps the next position it has to examine; bytes before the
 * smallest of them are dropped.
 */
typedef struct stream {
    struct carve *c;
    uint8_t *buf;    /* holds stream bytes [base, base + len) */
    size_t len, cap; /* cap: carry + window, see carve_new */
    uint64_t base;
    /* The file-system stream in the ring (c->ring, see there): buf is ring.mem + base % size,
     * nothing is moved when bytes are dropped, and positions below wm whose anchors were
     * already looked for are marked in ring.bits. ring 0: buf is a buffer of its own. */
    int ring;
    uint64_t wm;
    uint64_t pub; /* what stream_release last told the read-ahead */
    uint64_t next_blk, next_log, next_loc;
    uint64_t nl_from, nl_at; /* newline cache (find_newline) */
    int nl_found;
    int final;       /* no more bytes will come: decide every candidate */
    uint64_t origin; /* file-system offset of stream offset 0; for gzip: of the member */
    uint32_t bs;     /* configs and gzip members at multiples of bs; 0: not looked for */
    const char *where;
    int in_gzip;
    carve_read_fn rd; /* the source, to inflate gzip members (file-system streams only) */
    void *src;
    uint64_t src_end;
    int sink_rc; /* what stopped the inflater's sink */
} stream;

struct carve {
    carve_limits lim;
    husk_carve_cb cb;
    void *ctx;
    husk_diag *diag;
    hset seen;
    EVP_MD_CTX *md;
    EVP_MD *sha256; /* fetched once: an implicit fetch per digest costs more than hashing */
    husk_carve_stats st;
    uint64_t scanned;              /* evidence bytes read: the budgets grow with them */
    uint64_t work_used, gzip_used; /* what the budgets paid for */
    int stopped;                   /* the callback or the artefact bound ended the session */
    int work_dry, gzip_dry;        /* a budget ran dry (reported once) */
    unsigned reports[R_N];
    husk_strbuf scratch; /* the log decoders' strings */
    husk_strbuf cfgstr;  /* carve_fast_config's strings */
    uint8_t *zin;        /* compressed input of a gzip member */
    stream disk, inner;
    const husk_progress *progress; /* optional: offset reached in the file system */
    uint64_t progress_total;       /* the file system's size */
    pthread_mutex_t io;            /* held around every read of the source */
    struct prefetch *pf;           /* the read-ahead thread, once started */
    uint64_t ahead_bytes;          /* what it read (under pf->lock; carve_ahead_bytes) */
    carve_advise_fn advise;        /* optional: bytes of the source wanted soon */
    struct {
        uint8_t *mem;   /* size bytes mapped twice in a row: mem[i] is mem[i + size] */
        size_t size;    /* a multiple of the page size (and of 64) */
        uint64_t *bits; /* one bit per ring byte: an anchor may start there (index_anchors) */
        uint64_t *sum;  /* one bit per word of bits: that word is not 0 */
    } ring;
};

/*
 * The file-system stream's bytes live in a ring of memory mapped twice in a row (a memfd
 * mapped at mem and again at mem + size), so that any size bytes from any place of it are
 * contiguous: stream offset x is at mem + x % size, the bytes of a stretch are read into it
 * once and scanned where they are, and dropping bytes moves nothing. The ring is larger than
 * the stream's buffer (carry + window) by PF_RING, room for reading ahead.
 *
 * Read-ahead: on a machine with more than one core, a thread reads the next bytes of a long
 * stretch (in PF_PIECE reads) into the ring while the scan examines the current window,
 * never overwriting bytes the stream still holds, and marks in ring.bits the positions where
 * an anchor (json-file or local frame) may start, while the bytes it just read are in its
 * cache (index_anchors): the scan then looks only at the marked positions below the mark the
 * thread reached (wm), and searches the rest itself. The scan takes its windows in exactly the
 * sizes it read before, so every budget and report is what it would be without it. When a
 * read-ahead read fails, the scan reads that window itself (read_window: retried block by
 * block and reported, as always) and the read-ahead starts again after it. Every read of the
 * source, the thread's and the scan's (gzip members), holds c->io: the readers need not be
 * thread-safe.
 */
typedef struct prefetch {
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t cv; /* any change below */
    uint64_t origin;   /* source offset of stream offset 0 */
    uint64_t keep;     /* the stream holds bytes from here on: the ring is free below it */
    uint64_t fetch, stop; /* next stream offset to read, end of the stretch */
    uint64_t wm;          /* anchors are marked in ring.bits below this (a multiple of 64) */
    carve_read_fn rd;
    void *src;
    int active; /* a stretch is being read ahead */
    int busy;   /* a read is in flight (it writes ring bytes from fetch on) */
    int failed; /* the read at fetch failed: nothing more is read until a restart */
    int quit;
} prefetch;

/* Maps the ring; NULL when the system cannot (the stream then has a buffer of its own). */
static uint8_t *ring_map(size_t size)
{
    int fd = memfd_create("husk-carve", MFD_CLOEXEC);
    if (fd < 0)
        return NULL;
    uint8_t *m = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0)
        m = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED &&
        (mmap(m, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
         mmap(m + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
             MAP_FAILED)) {
        munmap(m, 2 * size);
        m = MAP_FAILED;
    }
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

/* The first and last bytes of the two anchors (see find_anchor). */
#define LOG_FIRST '{'
#define LOG_LAST '"' /* at +7 */
#define LOC_FIRST '\n'
#define LOC_LAST 'd' /* at +4 */
#define ANCHOR_REACH 7 /* the farthest byte looked at from a position */

/* The marks of the 64 positions at q as index_anchors defines them, from the anchors
 * themselves: what the vector versions must give (carve_mark64 lets the tests compare). */
static uint64_t mark64_ref(const uint8_t *q)
{
    uint64_t w = 0;
    for (int k = 0; k < 64; k++)
        if ((q[k] == (uint8_t)log_anchor[0] && q[k + 7] == (uint8_t)log_anchor[7]) ||
            (q[k] == (uint8_t)local_anchor[0] && q[k + 4] == (uint8_t)local_anchor[4]))
            w |= (uint64_t)1 << k;
    return w;
}

/* The marks of the 64 positions at q (see index_anchors). */
static inline uint64_t mark64(const uint8_t *q)
{
    uint64_t w = 0;
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8(LOG_FIRST), ll = _mm_set1_epi8(LOG_LAST);
    const __m128i ff = _mm_set1_epi8(LOC_FIRST), fl = _mm_set1_epi8(LOC_LAST);
    for (int k = 0; k < 64; k += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(q + k));
        __m128i b = _mm_loadu_si128((const __m128i *)(q + k + 7));
        __m128i d = _mm_loadu_si128((const __m128i *)(q + k + 4));
        __m128i m = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(a, lf), _mm_cmpeq_epi8(b, ll)),
                                 _mm_and_si128(_mm_cmpeq_epi8(a, ff), _mm_cmpeq_epi8(d, fl)));
        w |= (uint64_t)(uint32_t)_mm_movemask_epi8(m) << k;
    }
#else
    w = mark64_ref(q);
#endif
    return w;
}

#ifdef HAVE_MARK64_AVX2
/* The same with AVX2, 32 positions per step (chosen at run time where the CPU has it). */
__attribute__((target("avx2"))) static inline uint64_t mark64_avx2(const uint8_t *q)
{
    const __m256i lf = _mm256_set1_epi8(LOG_FIRST), ll = _mm256_set1_epi8(LOG_LAST);
    const __m256i ff = _mm256_set1_epi8(LOC_FIRST), fl = _mm256_set1_epi8(LOC_LAST);
    uint64_t w = 0;
    for (int k = 0; k < 64; k += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(q + k));
        __m256i b = _mm256_loadu_si256((const __m256i *)(q + k + 7));
        __m256i d = _mm256_loadu_si256((const __m256i *)(q + k + 4));
        __m256i m = _mm256_or_si256(
            _mm256_and_si256(_mm256_cmpeq_epi8(a, lf), _mm256_cmpeq_epi8(b, ll)),
            _mm256_and_si256(_mm256_cmpeq_epi8(a, ff), _mm256_cmpeq_epi8(d, fl)));
        w |= (uint64_t)(uint32_t)_mm256_movemask_epi8(m) << k;
    }
    return w;
}
#endif

static inline __attribute__((always_inline)) void
index_loop(carve *c, uint64_t from, uint64_t to, uint64_t (*mark)(const uint8_t *))
{
    size_t size = c->ring.size, words = size / 64;
    assert(to <= from || to - from <= size); /* the callers' bound: contiguous in the ring */
    const uint8_t *q = c->ring.mem + from % size;
    size_t wi = (size_t)(from % size) / 64;
    uint64_t set = 0, clear = 0;
    for (uint64_t x = from; x < to; x += 64, q += 64) {
        uint64_t w = mark(q);
        c->ring.bits[wi] = w;
        /* the summary bit of this word, changed with one atomic operation per summary word
         * (the scan reads other bits of it meanwhile) */
        uint64_t bit = (uint64_t)1 << (wi % 64);
        if (w)
            set |= bit;
        else
            clear |= bit;
        if (wi % 64 == 63 || x + 64 >= to) {
            if (clear)
                __atomic_fetch_and(&c->ring.sum[wi / 64], ~clear, __ATOMIC_RELAXED);
            if (set)
                __atomic_fetch_or(&c->ring.sum[wi / 64], set, __ATOMIC_RELAXED);
            set = clear = 0;
        }
        wi = wi + 1 == words ? 0 : wi + 1;
    }
}

#ifdef HAVE_MARK64_AVX2
__attribute__((target("avx2"))) static void index_avx2(carve *c, uint64_t from, uint64_t to)
{
    index_loop(c, from, to, mark64_avx2);
}
#endif

/*
 * Marks in ring.bits, for stream positions [from, to) (multiples of 64; the bytes up to
 * to + ANCHOR_REACH - 1 are in the ring), where the first and last bytes of either anchor
 * are: every place where one starts is marked (and a few where none does); ring.sum says
 * which words of bits are not 0.
 */
static void index_anchors(carve *c, uint64_t from, uint64_t to)
{
#ifdef HAVE_MARK64_AVX2
    if (__builtin_cpu_supports("avx2")) {
        index_avx2(c, from, to);
        return;
    }
#endif
    index_loop(c, from, to, mark64);
}

uint64_t carve_ahead_bytes(carve *c)
{
    if (!c->pf)
        return 0;
    pthread_mutex_lock(&c->pf->lock);
    uint64_t n = c->ahead_bytes;
    pthread_mutex_unlock(&c->pf->lock);
    return n;
}

int carve_mark64(const uint8_t *q, int impl, uint64_t *out)
{
    switch (impl) {
    case 0: *out = mark64_ref(q); return 0;
    case 1: *out = mark64(q); return 0;
#ifdef HAVE_MARK64_AVX2
    case 2:
        if (!__builtin_cpu_supports("avx2"))
            return -1;
        *out = mark64_avx2(q);
        return 0;
#endif
    default: return -1;
    }
}

/* The highest multiple of 64 up to which anchors can be marked once bytes up to end are in. */
static uint64_t index_end(uint64_t end)
{
    return end > ANCHOR_REACH ? (end - ANCHOR_REACH) & ~(uint64_t)63 : 0;
}

static void *pf_main(void *arg)
{
    carve *c = arg;
    prefetch *p = c->pf;
    size_t size = c->ring.size;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && !(p->active && !p->failed && p->fetch < p->stop &&
                             p->fetch < p->keep + size))
            pthread_cond_wait(&p->cv, &p->lock);
        if (p->quit)
            break;
        uint64_t n = p->keep + size - p->fetch;
        if (n > PF_PIECE)
            n = PF_PIECE;
        if (n > p->stop - p->fetch)
            n = p->stop - p->fetch;
        uint64_t off = p->fetch, wm = p->wm;
        /* After unreadable windows the mark may lie far behind (the thread marked nothing
         * there); below keep the scan never looks, and from there on the range to mark fits
         * the ring (to <= keep + size - 7). Without this a long unreadable stretch made the
         * marking run past the mapping. */
        if (wm < (p->keep & ~(uint64_t)63))
            wm = p->keep & ~(uint64_t)63;
        p->busy = 1;
        pthread_mutex_unlock(&p->lock);
        /* keep PF_ADVISE bytes asked for ahead of the reads (from disk: reads in flight) */
        if (c->advise && off + PF_ADVISE < p->stop)
            c->advise(p->src, p->origin + off + PF_ADVISE,
                      p->stop - (off + PF_ADVISE) < n ? p->stop - (off + PF_ADVISE) : n);
        husk_err e = {0};
        pthread_mutex_lock(&c->io);
        int r = p->rd(p->src, p->origin + off, c->ring.mem + off % size, (size_t)n, &e);
        pthread_mutex_unlock(&c->io);
        /* the bytes from wm on are in the ring (below fetch, the scan's own reads too) */
        uint64_t to = r < 0 ? wm : index_end(off + n);
        if (to > wm)
            index_anchors(c, wm, to);
        pthread_mutex_lock(&p->lock);
        p->busy = 0;
        if (r < 0) {
            p->failed = 1;
        } else {
            p->fetch += n;
            c->ahead_bytes += n;
            if (to > p->wm)
                p->wm = to;
        }
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* The read-ahead thread, started on first use; NULL on one core or when it cannot start. */
static prefetch *pf_get(carve *c)
{
    static int tried;
    if (c->pf)
        return c->pf;
    if (tried < 0 || !c->ring.mem || c->lim.no_readahead || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return NULL;
    prefetch *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cv, NULL);
    c->pf = p;
    if (pthread_create(&p->th, NULL, pf_main, c) != 0) {
        c->pf = NULL;
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cv);
        free(p);
        tried = -1;
        return NULL;
    }
    return p;
}

/* Waits for the read in flight; reading ahead stops. Under p->lock. */
static void pf_idle(prefetch *p)
{
    p->active = 0;
    while (p->busy)
        pthread_cond_wait(&p->cv, &p->lock);
}

/* Reads ahead stream offsets [from, stop) of rd/src (stream offset 0 at source offset origin)
 * from now on; the stream holds bytes from keep on, anchors are marked below wm. */
static void pf_start(carve *c, prefetch *p, carve_read_fn rd, void *src, uint64_t origin,
                     uint64_t keep, uint64_t wm, uint64_t from, uint64_t stop)
{
    if (c->advise && from < stop)
        c->advise(src, origin + from, stop - from < PF_ADVISE + PF_PIECE ? stop - from
                                                                         : PF_ADVISE + PF_PIECE);
    pthread_mutex_lock(&p->lock);
    pf_idle(p);
    p->rd = rd;
    p->src = src;
    p->origin = origin;
    p->keep = keep;
    p->wm = wm;
    p->fetch = from;
    p->stop = stop;
    p->failed = 0;
    p->active = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
}

static void pf_stop(prefetch *p)
{
    pthread_mutex_lock(&p->lock);
    pf_idle(p);
    pthread_mutex_unlock(&p->lock);
}

/* Waits until stream offsets up to `to` are in the ring, telling the thread that the stream
 * holds bytes from keep on: 0 (*wm: anchors are marked below it), or -1 when a read in them
 * failed (the thread is then idle). */
static int pf_take(prefetch *p, uint64_t keep, uint64_t to, uint64_t *wm)
{
    pthread_mutex_lock(&p->lock);
    p->keep = keep;
    pthread_cond_broadcast(&p->cv);
    while (p->fetch < to && !p->failed && p->active)
        pthread_cond_wait(&p->cv, &p->lock);
    int r = p->fetch >= to ? 0 : -1;
    if (r < 0)
        pf_idle(p);
    *wm = p->wm;
    pthread_mutex_unlock(&p->lock);
    return r;
}

/* The stream holds bytes from keep on (no longer those below): the thread may read over them. */
static void pf_release(prefetch *p, uint64_t keep)
{
    pthread_mutex_lock(&p->lock);
    if (keep > p->keep) {
        p->keep = keep;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->lock);
}

static void pf_free(prefetch *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* One damage report; object is where the bytes were ("unallocated", "journal"). */
static void report(carve *c, int cat, const char *object, int64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void report(carve *c, int cat, const char *object, int64_t off, const char *fmt, ...)
{
    if (++c->reports[cat] > MAX_REPORTS)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    husk_diag_report(c->diag, "carve", object, off, "%s", msg);
}

static int stream_init(stream *s, carve *c, size_t carry, size_t window, int ring)
{
    s->c = c;
    s->cap = carry + window;
    s->ring = ring;
    s->buf = ring ? c->ring.mem : malloc(s->cap);
    return s->buf ? 0 : -1;
}

/* Readies s for a new stream whose offset 0 is at file-system offset origin. */
static void stream_reset(stream *s, uint64_t origin, uint32_t bs, const char *where, int in_gzip)
{
    s->len = 0;
    s->base = 0;
    s->wm = 0;
    s->pub = 0;
    if (s->ring)
        s->buf = s->c->ring.mem;
    s->next_blk = bs ? 0 : NONE;
    s->next_log = s->next_loc = 0;
    s->nl_from = NONE;
    s->nl_found = 0;
    s->origin = origin;
    s->bs = bs;
    s->where = where;
    s->in_gzip = in_gzip;
    s->rd = NULL;
    s->src = NULL;
    s->sink_rc = 0;
}

/*
 * While a window is scanned, the bytes before every kind's next position are no longer
 * needed (candidates are decided in order from there): telling the read-ahead so, a MiB at
 * a time, lets it read the next window meanwhile instead of after the scan (a window is
 * larger than the ring's room beyond the stream's buffer). The bytes are dropped as always
 * at the end of stream_scan.
 */
static void stream_release(stream *s)
{
    uint64_t k = s->next_log < s->next_loc ? s->next_log : s->next_loc;
    if (s->next_blk < k)
        k = s->next_blk;
    if (k > s->base + s->len)
        k = s->base + s->len;
    if (k >= s->pub + PF_PIECE) {
        pf_release(s->c->pf, k);
        s->pub = k;
    }
}

static uint64_t budget_left(uint64_t base, unsigned factor, uint64_t scanned, uint64_t used)
{
    uint64_t allowed = base + (uint64_t)factor * scanned;
    return allowed > used ? allowed - used : 0;
}

/* Whether the parsers may look at one more candidate. A candidate may overdraw the budget
 * by its own bounded size; then candidates wait until scanning has earned more. */
static int may_validate(carve *c, const char *where, uint64_t at)
{
    if (budget_left(c->lim.work_base, c->lim.work_factor, c->scanned, c->work_used) > 0)
        return 1;
    c->st.truncated = 1;
    if (!c->work_dry)
        report(c, R_LIMIT, where, (int64_t)at,
               "validation budget spent (%llu bytes examined): candidates skipped until more "
               "space has been scanned",
               (unsigned long long)c->work_used);
    c->work_dry = 1;
    return 0;
}

/* The deduplication key of an artefact: 64 bits of the SHA-256 of its kind and bytes. */
static int digest_key(carve *c, husk_carve_kind kind, const uint8_t *data, size_t len,
                      uint64_t *key, husk_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    unsigned char k = (unsigned char)kind;
    if (!EVP_DigestInit_ex(c->md, c->sha256, NULL) || !EVP_DigestUpdate(c->md, &k, 1) ||
        !EVP_DigestUpdate(c->md, data, len) || !EVP_DigestFinal_ex(c->md, md, &mdlen))
        return husk_err_set(err, HUSK_E_NOMEM, "SHA-256 failed");
    memcpy(key, md, sizeof *key);
    if (*key == 0)
        *key = 1;
    return 0;
}

/* Reports one artefact (whose key is digest_key's) unless its key was seen before; parsed is
 * passed on to the callback (husk_carved.parsed). Returns 0, >0 to stop, <0. */
static int emit_key(stream *s, husk_carve_kind kind, const uint8_t *data, size_t len,
                    uint64_t pos, uint64_t key, const void *parsed, husk_err *err)
{
    carve *c = s->c;
    int r = hset_add(&c->seen, key);
    if (r < 0)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r == 0) {
        c->st.duplicates++;
        return 0;
    }
    uint64_t found = c->st.found[0] + c->st.found[1] + c->st.found[2] + c->st.found[3];
    if (found >= c->lim.max_found) {
        c->st.truncated = 1;
        c->stopped = 1;
        report(c, R_LIMIT, s->where, (int64_t)(s->origin + pos),
               "%llu artefacts reported: carving stopped there", (unsigned long long)found);
        return 1;
    }
    husk_carved a = {kind,
                     data,
                     len,
                     s->in_gzip ? s->origin : s->origin + pos,
                     s->where,
                     s->in_gzip,
                     s->in_gzip ? pos : 0,
                     parsed};
    c->st.found[kind]++;
    r = c->cb(&a, c->ctx);
    if (r > 0)
        c->stopped = 1;
    if (r < 0) {
        c->stopped = 1;
        if (err && err->code == 0)
            husk_err_set(err, HUSK_E_IO, "the carve callback failed");
    }
    return r;
}

/* Reports one artefact unless its digest was seen before. Returns 0, >0 to stop, <0. */
static int emit(stream *s, husk_carve_kind kind, const uint8_t *data, size_t len, uint64_t pos,
                const void *parsed, husk_err *err)
{
    uint64_t key;
    if (digest_key(s->c, kind, data, len, &key, err) < 0)
        return -HUSK_E_NOMEM;
    return emit_key(s, kind, data, len, pos, key, parsed, err);
}

/* ---- config.v2.json and hostconfig.json ---------------------------------------------------- */

/*
 * Length of the JSON object at q (q[0] == '{') up to its matching brace, or 0 when there is
 * none in n bytes or a byte appears that JSON text cannot hold there (binary data fails
 * fast). *examined: bytes looked at. Strings and escapes are skipped; jansson checks the
 * rest.
 */
static size_t match_object(const uint8_t *q, size_t n, size_t *examined)
{
    size_t depth = 0, i;
    int in_str = 0;
    for (i = 0; i < n; i++) {
        uint8_t ch = q[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            else if (ch < 0x20)
                break;
            continue;
        }
        if (ch == '"') {
            in_str = 1;
        } else if (ch == '{' || ch == '[') {
            if (++depth > MAX_NESTING)
                break;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0)
                break;
            if (--depth == 0) {
                *examined = i + 1;
                return ch == '}' ? i + 1 : 0; /* a ']' here: jansson would refuse it too */
            }
        } else if (!(ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ',' ||
                     ch == ':' || ch == '-' || ch == '+' || ch == '.' || ch == 'E' ||
                     (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'))) {
            break;
        }
    }
    *examined = i < n ? i + 1 : n;
    return 0;
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Which artefact a parsed object is, by its keys (any order); -1 for neither. */
static int classify(json_t *j)
{
    if (is_hex64(json_string_value(json_object_get(j, "ID"))) &&
        json_is_object(json_object_get(j, "State")) && json_is_object(json_object_get(j, "Config")))
        return HUSK_CARVE_CONFIG;
    if (json_is_object(json_object_get(j, "LogConfig")) &&
        json_is_string(json_object_get(j, "NetworkMode")) &&
        json_is_object(json_object_get(j, "RestartPolicy")))
        return HUSK_CARVE_HOSTCONFIG;
    return -1;
}

/*
 * A fast path for configs. jansson builds a tree of the whole object (a few thousand nodes for
 * a config.v2.json, most of the carver's time on a node with many of them) only for the
 * carver to look at five keys. carve_fast_config reads the object once, building nothing,
 * and decides when the object is plain JSON that jansson is sure to take as it is: ASCII or
 * valid UTF-8 in strings, the usual escapes and \u escapes other than NUL and surrogates,
 * integers of at most 18 digits, at most MAX_NESTING deep. Anything else (reals,
 * big integers, those escapes, anything jansson might refuse) is left to jansson, which then
 * decides and explains, as before. Values are taken as jansson keeps them: the last one of a
 * repeated key.
 */
enum { FK_ID, FK_NAME, FK_STATE, FK_CONFIG, FK_LOGCONFIG, FK_NETWORKMODE, FK_RESTARTPOLICY, FK_N };
static const char *const fk_names[FK_N] = {"ID",        "Name",        "State",        "Config",
                                           "LogConfig", "NetworkMode", "RestartPolicy"};
enum { FT_NONE, FT_STRING, FT_OBJECT, FT_OTHER };

typedef struct fj {
    const uint8_t *p;
    size_t i, n;
    husk_strbuf *sb; /* decoded strings that are kept */
    int type[FK_N];
    size_t str[FK_N]; /* offset in sb of a kept string value */
    int log_type;     /* FT_STRING when the last LogConfig's last Type is a string */
    size_t log_type_at;
    unsigned depth;
} fj;

static void fj_ws(fj *f)
{
    while (f->i < f->n && (f->p[f->i] == ' ' || f->p[f->i] == '\t' || f->p[f->i] == '\n' ||
                           f->p[f->i] == '\r'))
        f->i++;
}

static int fj_hex(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * The string at f->i (a '"'). Decoded into sb (NUL-terminated there, *at its offset) when
 * keep, into key[] (up to 15 bytes; *klen its length, 16 when longer) when key is not NULL.
 * 0, or -1: not sure (left to jansson).
 */
static int fj_string(fj *f, int keep, size_t *at, char key[16], size_t *klen)
{
    size_t kl = 0;
    if (keep)
        *at = f->sb->len;
    f->i++;
    for (;;) {
        size_t run = f->i;
        while (f->i < f->n && f->p[f->i] >= 0x20 && f->p[f->i] < 0x80 && f->p[f->i] != '"' &&
               f->p[f->i] != '\\')
            f->i++;
        size_t rn = f->i - run;
        if (rn && keep && husk_sb_add(f->sb, f->p + run, rn) < 0)
            return -1;
        if (rn && key) {
            if (kl + rn < 16)
                memcpy(key + kl, f->p + run, rn);
            kl = kl + rn < 16 ? kl + rn : 16;
        }
        if (f->i >= f->n)
            return -1;
        uint8_t ch = f->p[f->i];
        char out[4];
        size_t on;
        if (ch == '"') {
            f->i++;
            break;
        } else if (ch < 0x20) {
            return -1;
        } else if (ch >= 0x80) {
            uint32_t cp;
            on = husk_utf8_seq(f->p + f->i, f->n - f->i, &cp);
            if (on == 0)
                return -1;
            memcpy(out, f->p + f->i, on);
            f->i += on;
        } else { /* a backslash */
            if (f->i + 1 >= f->n)
                return -1;
            uint8_t e = f->p[f->i + 1];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = e ? strchr(from, e) : NULL;
            if (k) {
                out[0] = to[k - from];
                on = 1;
                f->i += 2;
            } else if (e == 'u' && f->i + 6 <= f->n) {
                int v = 0;
                for (int d = 0; d < 4; d++) {
                    int h = fj_hex(f->p[f->i + 2 + d]);
                    if (h < 0)
                        return -1;
                    v = v << 4 | h;
                }
                if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
                    return -1; /* NUL, surrogates: jansson's rules, left to it */
                if (v < 0x80) {
                    out[0] = (char)v;
                    on = 1;
                } else if (v < 0x800) {
                    out[0] = (char)(0xC0 | v >> 6);
                    out[1] = (char)(0x80 | (v & 0x3F));
                    on = 2;
                } else {
                    out[0] = (char)(0xE0 | v >> 12);
                    out[1] = (char)(0x80 | ((v >> 6) & 0x3F));
                    out[2] = (char)(0x80 | (v & 0x3F));
                    on = 3;
                }
                f->i += 6;
            } else {
                return -1;
            }
        }
        if (keep && husk_sb_add(f->sb, out, on) < 0)
            return -1;
        if (key) {
            if (kl + on < 16)
                memcpy(key + kl, out, on);
            kl = kl + on < 16 ? kl + on : 16;
        }
    }
    if (keep && husk_sb_add(f->sb, "", 1) < 0) /* the NUL */
        return -1;
    if (key) {
        key[kl < 16 ? kl : 15] = '\0';
        *klen = kl;
    }
    return 0;
}

static int fj_value(fj *f, int *type, int keep, size_t *at, int logconfig);

/* Opens the object or array at f->i: 1 when it is empty (the closing bracket taken too),
 * 0 when members follow, -1 when too deep. */
static int fj_open(fj *f, uint8_t close)
{
    if (++f->depth > MAX_NESTING)
        return -1;
    f->i++;
    fj_ws(f);
    if (f->i < f->n && f->p[f->i] == close) {
        f->i++;
        f->depth--;
        return 1;
    }
    return 0;
}

/* After a member or element: 1 at a ',' (taken), 0 at the closing bracket (taken), -1 at
 * anything else. */
static int fj_next(fj *f, uint8_t close)
{
    fj_ws(f);
    if (f->i < f->n && f->p[f->i] == ',') {
        f->i++;
        fj_ws(f);
        return 1;
    }
    if (f->i < f->n && f->p[f->i] == close) {
        f->i++;
        f->depth--;
        return 0;
    }
    return -1;
}

/* The object at f->i (a '{'). logconfig: a LogConfig object (its Type is kept); top: the
 * config's own object (its keys are looked at). */
static int fj_object(fj *f, int top, int logconfig)
{
    int r = fj_open(f, '}');
    if (r != 0)
        return r < 0 ? -1 : 0;
    for (;;) {
        if (f->i >= f->n || f->p[f->i] != '"')
            return -1;
        char key[16] = "";
        size_t klen = 0;
        if (fj_string(f, 0, NULL, (top || logconfig) ? key : NULL, &klen) < 0)
            return -1;
        fj_ws(f);
        if (f->i >= f->n || f->p[f->i] != ':')
            return -1;
        f->i++;
        fj_ws(f);
        int k = -1;
        for (int j = 0; top && j < FK_N && klen < 16; j++)
            if (strcmp(key, fk_names[j]) == 0)
                k = j;
        int type, keep = k == FK_ID || k == FK_NAME || k == FK_NETWORKMODE;
        int is_type = logconfig && klen == 4 && strcmp(key, "Type") == 0;
        size_t at = 0;
        if (k == FK_LOGCONFIG)
            f->log_type = FT_NONE; /* a later LogConfig replaces the earlier one */
        if (fj_value(f, &type, keep || is_type, &at, k == FK_LOGCONFIG) < 0)
            return -1;
        if (k >= 0) {
            f->type[k] = type;
            f->str[k] = at;
        }
        if (is_type) {
            f->log_type = type;
            f->log_type_at = at;
        }
        if ((r = fj_next(f, '}')) <= 0)
            return r;
    }
}

static int fj_value(fj *f, int *type, int keep, size_t *at, int logconfig)
{
    if (f->i >= f->n)
        return -1;
    uint8_t ch = f->p[f->i];
    *type = FT_OTHER;
    if (ch == '{') {
        *type = FT_OBJECT;
        return fj_object(f, 0, logconfig);
    }
    if (ch == '[') {
        int r = fj_open(f, ']');
        if (r != 0)
            return r < 0 ? -1 : 0;
        for (;;) {
            int t;
            if (fj_value(f, &t, 0, NULL, 0) < 0)
                return -1;
            if ((r = fj_next(f, ']')) <= 0)
                return r;
        }
    }
    if (ch == '"') {
        *type = FT_STRING;
        return fj_string(f, keep, at, NULL, NULL);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        size_t d0;
        if (ch == '-')
            f->i++;
        d0 = f->i;
        while (f->i < f->n && f->p[f->i] >= '0' && f->p[f->i] <= '9')
            f->i++;
        size_t nd = f->i - d0;
        if (nd == 0 || nd > 18 || (nd > 1 && f->p[d0] == '0'))
            return -1;
        if (f->i < f->n && (f->p[f->i] == '.' || f->p[f->i] == 'e' || f->p[f->i] == 'E'))
            return -1; /* a real: left to jansson */
        return 0;
    }
    static const char *const lit[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lit[k]);
        if (f->n - f->i >= l && memcmp(f->p + f->i, lit[k], l) == 0) {
            f->i += l;
            if (f->i < f->n && ((f->p[f->i] | 0x20) >= 'a' && (f->p[f->i] | 0x20) <= 'z'))
                return -1;
            return 0;
        }
    }
    return -1;
}

/* 1 when the object q[0..n) (q[0] == '{', its braces matched) was decided here: *kind is
 * config, hostconfig or -1 (JSON, but not such a file), *cfg what it says (strings in sb);
 * 0 when it is left to jansson. */
int carve_fast_config(const uint8_t *q, size_t n, husk_strbuf *sb, int *kind,
                      husk_carved_config *cfg)
{
    fj f = {q, 0, n, sb, {0}, {0}, FT_NONE, 0, 0};
    husk_sb_reset(sb);
    if (fj_object(&f, 1, 0) < 0 || f.i != n)
        return 0;
    const char *str[FK_N] = {0};
    for (int k = 0; k < FK_N; k++)
        if (f.type[k] == FT_STRING)
            str[k] = sb->buf + f.str[k];
    cfg->id = str[FK_ID];
    cfg->name = str[FK_NAME];
    cfg->network_mode = str[FK_NETWORKMODE];
    cfg->log_driver = f.type[FK_LOGCONFIG] == FT_OBJECT && f.log_type == FT_STRING
                          ? sb->buf + f.log_type_at
                          : NULL;
    if (is_hex64(cfg->id) && f.type[FK_STATE] == FT_OBJECT && f.type[FK_CONFIG] == FT_OBJECT)
        *kind = HUSK_CARVE_CONFIG;
    else if (f.type[FK_LOGCONFIG] == FT_OBJECT && cfg->network_mode &&
             f.type[FK_RESTARTPOLICY] == FT_OBJECT)
        *kind = HUSK_CARVE_HOSTCONFIG;
    else
        *kind = -1;
    return 1;
}

/* For reports on fragments: the container ID named near the start, or "". */
static void fragment_id(const uint8_t *q, size_t n, char id[65])
{
    static const char key[] = "\"ID\":\"";
    id[0] = '\0';
    n = n < 65536 ? n : 65536;
    for (size_t i = 0; i + sizeof key - 1 + 64 <= n; i++) {
        if (memcmp(q + i, key, sizeof key - 1) != 0)
            continue;
        memcpy(id, q + i + sizeof key - 1, 64);
        id[64] = '\0';
        if (!is_hex64(id))
            id[0] = '\0';
        return;
    }
}

/* A Docker config file is written whole from its first block: a block that starts like one
 * but does not parse is a file cut by reuse of its later blocks, worth telling the examiner. */
static void config_fragment(stream *s, uint64_t p, const uint8_t *q, size_t n, const char *why)
{
    const char *what = NULL;
    if (n >= 16 && memcmp(q, "{\"StreamConfig\":", 16) == 0)
        what = "config.v2.json";
    else if (n >= 9 && memcmp(q, "{\"Binds\":", 9) == 0)
        what = "hostconfig.json";
    if (!what)
        return;
    char id[65];
    fragment_id(q, n, id);
    report(s->c, R_CONFIG, s->where, (int64_t)(s->origin + p), "%s fragment%s%s not carved: %s",
           what, id[0] ? " of container " : "", id, why);
}

/* The object at block start p. *need: decided nothing, more bytes must come first. */
static int try_object(stream *s, uint64_t p, int *need, husk_err *err)
{
    carve *c = s->c;
    const uint8_t *q = s->buf + (p - s->base);
    size_t avail = (size_t)(s->base + s->len - p);
    size_t bound = avail < c->lim.max_config ? avail : c->lim.max_config;
    if (!may_validate(c, s->where, s->origin + p))
        return 0;
    size_t examined;
    size_t n = match_object(q, bound, &examined);
    c->work_used += examined;
    /* the newline after the object belongs to the file: wait for it too */
    if (!s->final && ((n == 0 && examined == avail && avail < c->lim.max_config) || n == avail)) {
        *need = 1;
        return 0;
    }
    if (n == 0) {
        if (examined == c->lim.max_config)
            config_fragment(s, p, q, avail, "larger than the bound on config size");
        else if (examined == avail)
            config_fragment(s, p, q, avail, "cut short by the end of the free stretch");
        else
            config_fragment(s, p, q, avail, "not JSON up to its end: overwritten or cut");
        return 0;
    }
    size_t len = n < avail && q[n] == '\n' ? n + 1 : n;
    husk_carved_config cfg;
    int kind;
    if (carve_fast_config(q, n, &c->cfgstr, &kind, &cfg)) {
        if (kind < 0) {
            config_fragment(s, p, q, avail, "its keys are not those of the file");
            return 0;
        }
        return emit(s, (husk_carve_kind)kind, q, len, p, &cfg, err);
    }
    /* Left to jansson. These bytes reported before as a config or a host config are that
     * again (what they are depends on the bytes alone): a duplicate, known without parsing
     * them again. */
    uint64_t key[2];
    for (int k = HUSK_CARVE_CONFIG; k <= HUSK_CARVE_HOSTCONFIG; k++) {
        if (digest_key(c, (husk_carve_kind)k, q, len, &key[k], err) < 0)
            return -HUSK_E_NOMEM;
        if (hset_has(&c->seen, key[k])) {
            c->st.duplicates++;
            return 0;
        }
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)q, n, 0, &je);
    if (!j) {
        config_fragment(s, p, q, avail, je.text);
        return 0;
    }
    kind = classify(j);
    if (kind < 0) {
        json_decref(j);
        config_fragment(s, p, q, avail, "its keys are not those of the file");
        return 0;
    }
    cfg.id = json_string_value(json_object_get(j, "ID"));
    cfg.name = json_string_value(json_object_get(j, "Name"));
    cfg.log_driver = json_string_value(json_object_get(json_object_get(j, "LogConfig"), "Type"));
    cfg.network_mode = json_string_value(json_object_get(j, "NetworkMode"));
    int r = emit_key(s, (husk_carve_kind)kind, q, len, p, key[kind], &cfg, err);
    json_decref(j);
    return r;
}

/* ---- gzip members ------------------------------------------------------------------------- */

static int stream_scan(stream *s, int final, husk_err *err);

/* Appends decompressed bytes to a stream, scanning whenever its buffer fills. */
static int stream_push(stream *s, const uint8_t *b, size_t n, husk_err *err)
{
    while (n > 0) {
        size_t k = s->cap - s->len < n ? s->cap - s->len : n;
        memcpy(s->buf + s->len, b, k);
        s->len += k;
        b += k;
        n -= k;
        if (s->len == s->cap) {
            int r = stream_scan(s, 0, err);
            if (r != 0)
                return r;
            if (s->len == s->cap) /* cannot happen (see carve_new); never spin on it */
                return husk_err_set(err, HUSK_E_LIMIT, "carving buffer full");
        }
    }
    return 0;
}

static int inner_sink(const void *buf, size_t len, void *ctx, husk_err *err)
{
    stream *in = ctx;
    int r = stream_push(in, buf, len, err);
    if (r != 0) {
        in->sink_rc = r;
        return -HUSK_E_ARG; /* any negative code stops the inflater; sink_rc says why */
    }
    return 0;
}

/* Inflates the gzip member at stream offset p of a file-system stream, reading it from the
 * source up to the end of the stretch, and scans its bytes for log lines and frames. */
static int try_gzip(stream *s, uint64_t p, husk_err *err)
{
    carve *c = s->c;
    if (!s->rd)
        return 0;
    uint64_t at = s->origin + p;
    uint64_t left = budget_left(c->lim.gzip_base, c->lim.gzip_factor, c->scanned, c->gzip_used);
    if (left == 0) {
        c->st.truncated = 1;
        if (!c->gzip_dry)
            report(c, R_LIMIT, s->where, (int64_t)at,
                   "inflate budget spent (%llu bytes inflated): gzip members skipped until "
                   "more space has been scanned",
                   (unsigned long long)c->gzip_used);
        c->gzip_dry = 1;
        return 0;
    }
    husk_gunzip *g;
    int r = husk_gunzip_new(left < c->lim.max_gunzip ? left : c->lim.max_gunzip, &g, err);
    if (r < 0)
        return r;
    husk_gunzip_carving(g);
    stream *in = &c->inner;
    stream_reset(in, at, 0, s->where, 1);
    husk_err ge = {0};
    /* deflate can spend input without output (empty stored blocks): the compressed bytes
     * read are bounded like the output, and paid from the same budget */
    uint64_t pos = at,
             stop = s->src_end - at > c->lim.max_gunzip ? at + c->lim.max_gunzip : s->src_end;
    int zr = 0;
    while (pos < stop && husk_gunzip_members(g) == 0 && zr == 0) {
        size_t n = stop - pos < ZIN_CHUNK ? (size_t)(stop - pos) : ZIN_CHUNK;
        pthread_mutex_lock(&c->io);
        int rr = s->rd(s->src, pos, c->zin, n, &ge);
        pthread_mutex_unlock(&c->io);
        if (rr < 0)
            break;
        pos += n;
        zr = husk_gunzip_feed(g, c->zin, n, inner_sink, in, &ge);
    }
    uint64_t out = husk_gunzip_total_out(g);
    int whole = husk_gunzip_members(g) > 0;
    husk_gunzip_free(g);
    c->gzip_used += out + (pos - at);
    if (out > 0) {
        c->st.gzip_members++;
        c->st.gzip_bytes += out;
    }
    if (in->sink_rc != 0)
        return in->sink_rc;
    if (zr == -HUSK_E_LIMIT) {
        c->st.truncated = 1;
        report(c, R_LIMIT, s->where, (int64_t)at, "gzip member: %s", ge.msg);
    } else if (!whole && out > 0) {
        /* a random 1f 8b 08 inflates to nothing; a member that gave bytes was real */
        report(c, R_GZIP, s->where, (int64_t)at, "gzip member inflated to %llu bytes, then: %s",
               (unsigned long long)out,
               ge.msg[0] ? ge.msg : "cut short by the end of the free stretch");
    }
    return stream_scan(in, 1, err);
}

/* ---- log lines and frames ----------------------------------------------------------------- */

static int stream_name_ok(const char *s)
{
    return strcmp(s, "stdout") == 0 || strcmp(s, "stderr") == 0;
}

/*
 * Stream offset of the first newline in [p, stop), or NONE. Remembers its last answer:
 * between p and that newline there is none, so the many candidates of one long line (or of a
 * stretch without newlines) cost one search in all.
 */
static uint64_t find_newline(stream *s, uint64_t p, uint64_t stop)
{
    uint64_t from = p;
    if (s->nl_from != NONE && p >= s->nl_from) {
        if (s->nl_found && s->nl_at >= p)
            return s->nl_at < stop ? s->nl_at : NONE;
        if (!s->nl_found && s->nl_at > p) {
            if (s->nl_at >= stop)
                return NONE;
            from = s->nl_at;
        }
    }
    if (from >= stop)
        return NONE;
    const uint8_t *q = memchr(s->buf + (from - s->base), '\n', (size_t)(stop - from));
    s->nl_from = p;
    if (q) {
        s->nl_found = 1;
        s->nl_at = s->base + (uint64_t)(q - s->buf);
        return s->nl_at;
    }
    s->nl_found = 0;
    s->nl_at = stop;
    return NONE;
}

/* A json-file line at p (which holds `{"log":"`). *after: where the next line may start, or
 * 0 when nothing was taken; *need: more bytes must come before it can be decided. */
static int try_jsonlog(stream *s, uint64_t p, uint64_t *after, int *need, husk_err *err)
{
    carve *c = s->c;
    uint64_t end = s->base + s->len;
    uint64_t stop = end - p > c->lim.max_line + 1 ? p + c->lim.max_line + 1 : end;
    *after = 0;
    if (end - p < sizeof log_anchor - 1) { /* the anchor itself is cut: wait for the rest */
        *need = !s->final;
        return 0;
    }
    uint64_t nl = find_newline(s, p, stop);
    if (nl == NONE) {
        *need = !s->final && stop == end;
        return 0;
    }
    size_t n = (size_t)(nl - p);
    if (!may_validate(c, s->where, s->origin + p))
        return 0;
    c->work_used += n;
    const char *q = (const char *)s->buf + (p - s->base);
    husk_log_entry e;
    husk_err why = {0};
    int r = husk_jsonfile_decode_line(q, n, &c->scratch, &e, &why);
    if (r == -HUSK_E_NOMEM)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r != 0 || !e.time.present || !stream_name_ok(e.stream))
        return 0;
    r = emit(s, HUSK_CARVE_JSONLOG, (const uint8_t *)q, n, p, &e, err);
    *after = nl + 1;
    return r;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A local-driver frame at p (its source field follows the length word). */
static int try_local(stream *s, uint64_t p, uint64_t *after, int *need, husk_err *err)
{
    carve *c = s->c;
    const uint8_t *q = s->buf + (p - s->base);
    size_t avail = (size_t)(s->base + s->len - p);
    *after = 0;
    if (avail < 4 + sizeof local_anchor - 1) {
        *need = !s->final;
        return 0;
    }
    uint32_t len = be32(q);
    /* 8 bytes of source and 2 of time at least */
    if (len < 10 || len > c->lim.max_record)
        return 0;
    if (avail < (size_t)len + 8) {
        *need = !s->final;
        return 0;
    }
    if (be32(q + 4 + len) != len) /* both length words must agree */
        return 0;
    if (!may_validate(c, s->where, s->origin + p))
        return 0;
    c->work_used += len;
    husk_log_entry e;
    husk_err why = {0};
    int r = husk_local_decode_record(q + 4, len, &c->scratch, &e, &why);
    if (r == -HUSK_E_NOMEM)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (r != 0 || !stream_name_ok(e.stream) || e.time.sec < MIN_TIME || e.time.sec >= MAX_TIME)
        return 0;
    r = emit(s, HUSK_CARVE_LOCALLOG, q, (size_t)len + 8, p, &e, err);
    *after = p + len + 8;
    return r;
}

/* ---- candidates, in order ------------------------------------------------------------- */

/*
 * Three kinds of candidates: block starts holding '{' or 0x1f (configs, gzip members), the
 * json-file anchor, the local-frame anchor. Each kind keeps the position from which it looks
 * for its next candidate (next_blk, next_log, next_loc); the finders below move it to the
 * candidate found, or to where the search stopped when there is none. Candidates are then
 * decided strictly in the order of their positions, so which copy of a duplicate is reported
 * (the first) never depends on how the stream was cut into reads.
 */
static uint64_t next_block(stream *s)
{
    uint64_t end = s->base + s->len, p;
    for (p = s->next_blk; p < end; p += s->bs) {
        uint8_t ch = s->buf[p - s->base];
        if (ch == '{' || ch == 0x1f)
            break;
    }
    s->next_blk = p;
    return p < end ? p : NONE;
}

#define NOPOS SIZE_MAX

/*
 * Index of the first whole anchor (alen >= 2 bytes) in b[i, end), or NOPOS. Where SSE2 is
 * at hand, 16 positions at a time are tested for the anchor's first byte there and its last
 * byte alen - 1 further on, and only those holding both are compared: in random bytes one
 * position in 65,536 instead of one in 256 (memchr on the first byte stopped at every
 * occurrence of it, a call each time).
 */
static size_t find_anchor(const uint8_t *b, size_t i, size_t end, const char *anchor, size_t alen)
{
    if (end < alen)
        return NOPOS;
    size_t last = end - alen; /* the last position where a whole anchor fits */
#ifdef __SSE2__
    const __m128i f = _mm_set1_epi8(anchor[0]), l = _mm_set1_epi8(anchor[alen - 1]);
    while (i <= last && last - i >= 31) { /* b[i, i + 32 + alen - 1) is within b[0, end) */
        const uint8_t *q = b + i;
        __m128i x0 = _mm_loadu_si128((const __m128i *)q);
        __m128i x1 = _mm_loadu_si128((const __m128i *)(q + 16));
        __m128i y0 = _mm_loadu_si128((const __m128i *)(q + alen - 1));
        __m128i y1 = _mm_loadu_si128((const __m128i *)(q + alen - 1 + 16));
        uint32_t m = (uint32_t)_mm_movemask_epi8(
                         _mm_and_si128(_mm_cmpeq_epi8(x0, f), _mm_cmpeq_epi8(y0, l))) |
                     (uint32_t)_mm_movemask_epi8(
                         _mm_and_si128(_mm_cmpeq_epi8(x1, f), _mm_cmpeq_epi8(y1, l)))
                         << 16;
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if (memcmp(q + k + 1, anchor + 1, alen - 2) == 0)
                return i + k;
            m &= m - 1;
        }
        i += 32;
    }
#endif
    for (; i <= last; i++)
        if (b[i] == (uint8_t)anchor[0] && memcmp(b + i, anchor, alen) == 0)
            return i;
    return NOPOS;
}

/* The first position in [from, to) marked in the ring's bits where anchor starts, or NONE.
 * The summary (ring.sum) skips 4,096 positions without a mark at a time. */
static uint64_t marked_anchor(stream *s, uint64_t from, uint64_t to, const char *anchor,
                              size_t alen)
{
    const carve *c = s->c;
    size_t size = c->ring.size;
    uint64_t x = from & ~(uint64_t)63;
    while (x < to) {
        size_t wi = (size_t)((x % size) / 64);
        uint64_t sm = __atomic_load_n(&c->ring.sum[wi / 64], __ATOMIC_RELAXED) >> (wi % 64);
        if (!sm) {
            x += (uint64_t)(64 - wi % 64) * 64; /* to the next summary word */
            continue;
        }
        unsigned z = (unsigned)__builtin_ctzll(sm);
        x += (uint64_t)z * 64;
        if (x >= to)
            break;
        uint64_t w = c->ring.bits[wi + z];
        if (x < from)
            w &= ~(uint64_t)0 << (from - x);
        while (w) {
            uint64_t p = x + (uint64_t)__builtin_ctzll(w);
            if (p >= to)
                return NONE;
            if (memcmp(s->buf + (p - s->base), anchor, alen) == 0)
                return p;
            w &= w - 1;
        }
        x += 64;
    }
    return NONE;
}

/*
 * First position at or after *from (searching from *from + lead) where anchor starts, minus
 * lead; NONE when there is none yet. An anchor cut by the end of the bytes at hand is
 * returned too unless the stream is final (its candidate then waits for more bytes): whole
 * anchors all start before such a cut one, so it is looked for when there is no whole one.
 */
static uint64_t next_anchor(stream *s, uint64_t *from, size_t lead, const char *anchor, size_t alen)
{
    uint64_t end = s->base + s->len, a = *from + lead;
    if (a < end) {
        uint64_t k = NONE;
        size_t i = (size_t)(a - s->base);
        /* whole anchors start below fit; below wm the ring's bits say where */
        uint64_t fit = end >= alen ? end - alen + 1 : 0;
        uint64_t marked = s->wm < fit ? s->wm : fit;
        if (s->ring && a < marked) {
            k = marked_anchor(s, a, marked, anchor, alen);
            i = (size_t)(marked - s->base);
        }
        if (k == NONE) {
            size_t f = find_anchor(s->buf, i, s->len, anchor, alen);
            if (f != NOPOS)
                k = s->base + f;
        }
        if (k == NONE && !s->final) {
            size_t t = s->len >= alen ? s->len - alen + 1 : 0;
            for (t = t > i ? t : i; t < s->len; t++)
                if (memcmp(s->buf + t, anchor, s->len - t) == 0) {
                    k = s->base + t;
                    break;
                }
        }
        if (k != NONE) {
            *from = k - lead;
            return *from;
        }
    }
    /* every anchor before end was looked at: candidates start at end - lead or later */
    if (s->final)
        *from = end;
    else if (end >= lead && end - lead > *from)
        *from = end - lead;
    return NONE;
}

/* A candidate at block start p: a config, a hostconfig or a gzip member. */
static int try_block(stream *s, uint64_t p, int *need, husk_err *err)
{
    const uint8_t *q = s->buf + (p - s->base);
    uint64_t avail = s->base + s->len - p;
    if (q[0] == '{')
        return try_object(s, p, need, err);
    if (avail < 4) {
        *need = !s->final;
        return 0;
    }
    if (q[1] == 0x8b && q[2] == 8 && !(q[3] & 0xe0)) /* deflate, no reserved flags (RFC 1952) */
        return try_gzip(s, p, err);
    return 0;
}

/*
 * Decides every candidate that the bytes at hand allow (all of them when final), in order of
 * position, then drops the bytes nothing needs any more. A candidate that runs past the
 * bytes at hand stops the scan there until more come: it is never more than one artefact's
 * bound behind the end. Returns 0, >0 (stop) or a negative code.
 */
static int stream_scan(stream *s, int final, husk_err *err)
{
    s->final = final;
    for (;;) {
        if (s->c->stopped)
            return 1;
        if (s->ring && s->c->pf)
            stream_release(s);
        uint64_t pb = s->bs ? next_block(s) : NONE;
        uint64_t pl = next_anchor(s, &s->next_log, 0, log_anchor, sizeof log_anchor - 1);
        uint64_t pf = next_anchor(s, &s->next_loc, 4, local_anchor, sizeof local_anchor - 1);
        uint64_t p = pb < pl ? pb : pl;
        if (pf < p)
            p = pf;
        if (p == NONE)
            break;
        int r, need = 0;
        uint64_t after = 0;
        if (p == pb) {
            r = try_block(s, p, &need, err);
            if (!need)
                s->next_blk = p + s->bs;
        } else if (p == pl) {
            r = try_jsonlog(s, p, &after, &need, err);
            if (!need)
                s->next_log = after ? after : p + 1;
        } else {
            r = try_local(s, p, &after, &need, err);
            if (!need)
                s->next_loc = after ? after : p + 1;
        }
        if (r != 0)
            return r;
        if (need)
            break;
    }
    uint64_t end = s->base + s->len;
    uint64_t keep = s->next_log < s->next_loc ? s->next_log : s->next_loc;
    if (s->next_blk < keep)
        keep = s->next_blk;
    if (keep > end)
        keep = end;
    if (keep > s->base) {
        size_t drop = (size_t)(keep - s->base);
        if (s->ring)
            s->buf = s->c->ring.mem + keep % s->c->ring.size;
        else
            memmove(s->buf, s->buf + drop, s->len - drop);
        s->len -= drop;
        s->base = keep;
    }
    return 0;
}

/* ---- sessions ------------------------------------------------------------------------------ */

int carve_new(const carve_limits *lim, husk_carve_cb cb, void *ctx, husk_diag *diag, carve **out,
              husk_err *err)
{
    carve *c = calloc(1, sizeof *c);
    if (!c)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    pthread_mutex_init(&c->io, NULL);
    if (lim)
        c->lim = *lim;
    else
        carve_limits_default(&c->lim);
    c->cb = cb;
    c->ctx = ctx;
    c->diag = diag;
    /* the carry: the largest artefact plus the byte after it (a newline); a candidate never
     * waits with more bytes than that, so a buffer of carry + window always has room */
    size_t line = c->lim.max_line + 1, record = c->lim.max_record + 8;
    size_t logs = (line > record ? line : record) + 16;
    size_t all = c->lim.max_config + 1 > logs ? c->lim.max_config + 1 : logs;
    size_t inner_window = c->lim.window < (1u << 20) ? c->lim.window : (1u << 20);
    c->md = EVP_MD_CTX_new();
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->zin = malloc(ZIN_CHUNK);
    /* the ring: the stream's buffer and room to read ahead, in whole pages */
    size_t page = (size_t)sysconf(_SC_PAGESIZE), cap = all + c->lim.window;
    size_t size = cap <= SIZE_MAX / 4 - PF_RING ? cap + PF_RING : 0;
    if (page < 64 || page % 64)
        page = 4096;
    size = size ? (size + page - 1) / page * page : 0;
    size = (size + 4095) / 4096 * 4096; /* whole summary words */
    if (size && c->lim.window && !c->lim.no_ring &&
        (c->ring.bits = calloc(size / 64, sizeof(uint64_t))) &&
        (c->ring.sum = calloc(size / 4096, sizeof(uint64_t))) && (c->ring.mem = ring_map(size)))
        c->ring.size = size;
    if (!c->ring.size) { /* no ring: the stream has a buffer of its own, the marks are not needed */
        free(c->ring.bits);
        free(c->ring.sum);
        c->ring.bits = c->ring.sum = NULL;
    }
    if (!c->md || !c->sha256 || !c->zin || c->lim.window == 0 ||
        stream_init(&c->disk, c, all, c->lim.window, c->ring.mem != NULL) < 0 ||
        stream_init(&c->inner, c, logs, inner_window, 0) < 0) {
        carve_free(c);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

/* Reads one window; a failed read is retried block by block and the blocks that still fail
 * read as zeros (no artefact holds a zero byte where the validators look), reported. */
static void read_window(carve *c, carve_read_fn rd, void *src, uint64_t pos, uint8_t *buf, size_t n,
                        uint32_t bs, const char *where)
{
    husk_err e = {0};
    pthread_mutex_lock(&c->io);
    int r = rd(src, pos, buf, n, &e);
    pthread_mutex_unlock(&c->io);
    if (r == 0)
        return;
    size_t step = bs ? bs : 4096, bad = 0;
    husk_err first = e;
    for (size_t k = 0; k < n; k += step) {
        size_t m = n - k < step ? n - k : step;
        husk_err ek = {0};
        pthread_mutex_lock(&c->io);
        r = rd(src, pos + k, buf + k, m, &ek);
        pthread_mutex_unlock(&c->io);
        if (r < 0) {
            memset(buf + k, 0, m);
            bad += m;
        }
    }
    if (bad) {
        c->st.damaged++;
        report(c, R_READ, where, (int64_t)pos, "%zu of %zu bytes unreadable, scanned as zeros: %s",
               bad, n, first.msg);
    }
}

int carve_region(carve *c, carve_read_fn rd, void *src, uint64_t start, uint64_t len,
                 uint32_t block_size, const char *where, husk_err *err)
{
    if (c->stopped)
        return 1;
    if (block_size && start % block_size)
        return husk_err_set(err, HUSK_E_ARG, "stretch at %llu not on a block start",
                            (unsigned long long)start);
    stream *s = &c->disk;
    stream_reset(s, start, block_size, where, 0);
    s->rd = rd;
    s->src = src;
    s->src_end = start + len;
    c->st.runs++;
    int journal = strcmp(where, "journal") == 0;
    uint64_t pos = start, stop = start + len;
    prefetch *pf = len >= PF_MIN ? pf_get(c) : NULL;
    if (pf)
        pf_start(c, pf, rd, src, start, 0, 0, 0, len);
    while (pos < stop) {
        size_t n = s->cap - s->len;
        if (n == 0) { /* cannot happen (see carve_new); never spin on it */
            if (pf)
                pf_stop(pf);
            return husk_err_set(err, HUSK_E_LIMIT, "carving buffer full");
        }
        if (n > stop - pos)
            n = (size_t)(stop - pos);
        else if (n > 4096)
            n -= n % 4096; /* libtsk reads whole sectors straight into buf, others via a copy */
        uint64_t at = pos - start; /* stream offset */
        if (!pf || pf_take(pf, s->base, at + n, &s->wm) < 0) {
            read_window(c, rd, src, pos, s->buf + s->len, n, block_size, where);
            if (pf)
                pf_start(c, pf, rd, src, start, s->base, s->wm, at + n, len);
        }
        s->len += n;
        pos += n;
        c->scanned += n;
        if (journal)
            c->st.journal_bytes += n;
        else
            c->st.unallocated_bytes += n;
        int r = stream_scan(s, pos == stop, err);
        if (r != 0) {
            if (pf)
                pf_stop(pf);
            return r;
        }
        husk_progress_report(c->progress, journal ? "carving the ext4 journal" : "carving free space",
                             pos, c->progress_total, HUSK_PROGRESS_BYTES);
    }
    if (pf)
        pf_stop(pf);
    return 0;
}

void carve_set_advise(carve *c, carve_advise_fn fn)
{
    c->advise = fn;
}

void carve_set_progress(carve *c, const husk_progress *p, uint64_t total)
{
    c->progress = p;
    c->progress_total = total;
}

const husk_carve_stats *carve_get_stats(const carve *c)
{
    return &c->st;
}

void carve_finish(carve *c)
{
    for (int i = 0; i < R_N; i++)
        if (c->reports[i] > MAX_REPORTS)
            husk_diag_report(c->diag, "carve", "free space", -1, "%u %s in all", c->reports[i],
                             report_what[i]);
}

void carve_free(carve *c)
{
    if (!c)
        return;
    pf_free(c->pf);
    pthread_mutex_destroy(&c->io);
    if (c->ring.mem)
        munmap(c->ring.mem, 2 * c->ring.size);
    free(c->ring.bits);
    free(c->ring.sum);
    free(c->seen.slot);
    EVP_MD_CTX_free(c->md);
    EVP_MD_free(c->sha256);
    husk_sb_release(&c->scratch);
    husk_sb_release(&c->cfgstr);
    free(c->zin);
    if (!c->disk.ring)
        free(c->disk.buf);
    free(c->inner.buf);
    free(c);
}

/* ---- file systems ------------------------------------------------------------------------- */

typedef struct fs_src {
    carve *c;
    TSK_IMG_INFO *img;
    husk_fs *fs;
    const char *where;
    husk_diag *diag; /* the caller's */
    int fd;          /* a raw image's file, for posix_fadvise only; -1 for other images */
} fs_src;

/* Asks the kernel to start reading bytes of a raw image that carving reads next: from disk
 * the reads are then in flight together instead of one after the other (it reads nothing
 * itself, changes nothing; the bytes are still read through libtsk). */
static void fs_advise(void *vsrc, uint64_t off, uint64_t len)
{
    fs_src *s = vsrc;
    if (s->fd < 0 || off > s->fs->size)
        return;
    if (len > s->fs->size - off)
        len = s->fs->size - off;
    if (len)
        (void)posix_fadvise(s->fd, (off_t)(s->fs->offset + off), (off_t)len, POSIX_FADV_WILLNEED);
}

/* The next stretch of free space, told before the current one is carved: its first bytes. */
static void fs_hint(uint64_t off, uint64_t len, void *ctx)
{
    fs_advise(ctx, off, len < PF_ADVISE ? len : PF_ADVISE);
}

/* A file of its own on the raw image (one segment, a regular file of the image's size), for
 * fs_advise; -1 when there is none. */
static int raw_fd(TSK_IMG_INFO *img)
{
    if (!img || img->itype != TSK_IMG_TYPE_RAW || img->num_img != 1 || !img->images ||
        !img->images[0])
        return -1;
    int fd = open(img->images[0], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != img->size)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The free-space walkers report only damaged metadata: count it, then pass it on. */
static void walker_report(void *ctx, const char *phase, const char *object, int64_t off,
                          const char *msg)
{
    fs_src *s = ctx;
    s->c->st.damaged++;
    husk_diag_report(s->diag, phase, object, off, "%s", msg);
}

static int fs_read(void *vsrc, uint64_t off, void *buf, size_t len, husk_err *err)
{
    fs_src *s = vsrc;
    if (off > s->fs->size || len > s->fs->size - off)
        return husk_err_set(err, HUSK_E_FORMAT,
                            "read of %zu bytes at %llu past the end of the "
                            "file system",
                            len, (unsigned long long)off);
    ssize_t n = tsk_img_read(s->img, (TSK_OFF_T)(s->fs->offset + off), (char *)buf, len);
    if (n < 0 || (size_t)n != len)
        return husk_err_set(err, HUSK_E_IO, "cannot read %zu bytes at file-system offset %llu", len,
                            (unsigned long long)off);
    return 0;
}

static int fs_run(uint64_t off, uint64_t len, void *ctx, husk_err *err)
{
    fs_src *s = ctx;
    return carve_region(s->c, fs_read, s, off, len, s->fs->block_size, s->where, err);
}

int husk_carve_fs_stats(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag,
                        husk_carve_stats *st, husk_err *err)
{
    return husk_carve_fs_progress(fs, cb, ctx, diag, st, NULL, err);
}

int husk_carve_fs_progress(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag,
                           husk_carve_stats *st, const husk_progress *progress, husk_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    int ext4 = husk_fs_is_ext4(fs);
    fs_src src = {NULL, ext4 ? husk_ext4_image(fs) : NULL, fs, "unallocated", diag, -1};
    uint64_t off;
    if (!ext4 && husk_xfs_image(fs, &src.img, &off, NULL) < 0)
        src.img = NULL;
    if (!src.img)
        return husk_err_set(err, HUSK_E_UNSUPPORTED, "carving reads ext2/3/4 and XFS, not %s",
                            fs && fs->fstype[0] ? fs->fstype : "this file system");
    int r = carve_new(NULL, cb, ctx, diag, &src.c, err);
    if (r < 0)
        return r;
    carve_set_progress(src.c, progress, fs->size);
    src.fd = raw_fd(src.img);
    if (src.fd >= 0)
        carve_set_advise(src.c, fs_advise);
    husk_diag wdiag = {walker_report, &src, 0};
    r = ext4 ? carve_ext4_free_runs(fs, fs_run, fs_hint, &src, &wdiag, err)
             : carve_xfs_free_runs(fs, fs_run, fs_hint, &src, &wdiag, err);
    /* the journal holds older copies of metadata blocks: scan it even when the bitmaps could
     * not be walked (that error is still returned) */
    if (ext4 && r != -HUSK_E_NOMEM && !src.c->stopped) {
        husk_err je = {0};
        src.where = "journal";
        int jr = carve_ext4_journal_runs(fs, fs_run, fs_hint, &src, &wdiag, &je);
        if (jr == -HUSK_E_NOMEM || (jr < 0 && src.c->stopped)) {
            if (r >= 0) { /* memory, or the callback failed: the caller must know */
                r = jr;
                if (err)
                    *err = je;
            }
        } else if (jr < 0 && jr != -HUSK_E_NOTFOUND) {
            husk_diag_report(&wdiag, "carve", "journal", -1, "journal not carved: %s", je.msg);
        }
    }
    carve_finish(src.c);
    if (st)
        *st = src.c->st;
    carve_free(src.c);
    if (src.fd >= 0)
        close(src.fd);
    return r < 0 ? r : 0;
}

int husk_carve_fs(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag, husk_err *err)
{
    return husk_carve_fs_stats(fs, cb, ctx, diag, NULL, err);
}
