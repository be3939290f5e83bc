/*
 * Read-only reader of bbolt (boltdb) database files: Docker's volumes/metadata.db and
 * network/files/local-kv.db, containerd's meta.db and its snapshotters' metadata.db
 * (docs formats.md 6.5).
 *
 * The reader works on the whole file held in memory (the caller reads it through the VFS) and
 * never writes. Every page id, element position, key and value size, element count and
 * overflow count comes from the evidence and is checked against the buffer before use; tree
 * descent is bounded by HUSK_BOLT_MAX_DEPTH and a cursor never enters more pages than the file
 * holds, so damaged or crafted files give errors, never crashes or endless walks.
 *
 * Pointers handed out (keys, values, inline pages) point into the caller's buffer: they stay
 * valid as long as that buffer does. Nothing in them is aligned or NUL-terminated.
 *
 * A crafted file can make many sub-buckets share one page; a caller that descends into nested
 * buckets recursively bounds its own total work (each cursor is bounded, the sum is not).
 */
#ifndef HUSK_BOLT_H
#define HUSK_BOLT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/err.h"

#define HUSK_BOLT_MAX_FILE (1ull << 30) /* larger files are refused (HUSK_E_LIMIT) */
#define HUSK_BOLT_MAX_DEPTH 32          /* page levels of one tree, and bucket nesting */

typedef struct husk_bolt husk_bolt;

/* What the file's meta pages say. */
typedef struct husk_bolt_info {
    uint32_t page_size;
    int meta_valid[2];   /* 1 when meta page 0 / 1 has the magic, version 2 and its checksum */
    int meta_used;       /* 0 or 1: the valid meta with the higher txid */
    uint64_t txid;       /* of the meta used */
    uint64_t root;       /* root bucket's page */
    uint64_t freelist;   /* freelist page, or UINT64_MAX when the freelist is not stored */
    uint64_t high_water; /* first page never allocated (meta.pgid) */
    uint64_t pages;      /* whole pages in the buffer */
} husk_bolt_info;

/*
 * A bucket: either a tree rooted at page `root`, or an inline bucket whose single leaf page is
 * embedded in its parent's value (root == 0, page/page_len point into the buffer). A small
 * value type: copy it freely.
 */
typedef struct husk_bolt_bucket {
    uint64_t root;
    uint64_t sequence; /* the bucket's NextSequence counter */
    const uint8_t *page;
    size_t page_len;
    int depth; /* nesting level below the root bucket, bounded by HUSK_BOLT_MAX_DEPTH */
} husk_bolt_bucket;

/* Where a key/value pair was found. */
typedef enum husk_bolt_origin {
    HUSK_BOLT_LIVE = 0,        /* reachable from the current meta's root */
    HUSK_BOLT_FREELIST,        /* a page listed in the freelist */
    HUSK_BOLT_UNREACHABLE,     /* below the high-water mark, neither reachable nor free */
    HUSK_BOLT_PAST_HIGH_WATER, /* past meta.pgid: left over from a larger file */
} husk_bolt_origin;

typedef struct husk_bolt_entry {
    const uint8_t *key;
    size_t klen;
    const uint8_t *val; /* for a bucket: the raw value (16-byte header, inline page) */
    size_t vlen;
    int is_bucket;           /* the element carries bbolt's bucket flag */
    int bucket_ok;           /* is_bucket and its header is readable: `bucket` can be opened */
    husk_bolt_bucket bucket; /* the nested bucket, when bucket_ok */
    uint64_t pgid; /* the page holding the element, or its inline bucket (0: not known when the
                      inline bucket was opened on its own) */
    husk_bolt_origin origin;
    /* Free-page scan only: the inline bucket this element sits in, NULL at a page's top. */
    const uint8_t *parent;
    size_t parent_len;
} husk_bolt_entry;

/* Validates the meta pages and picks the one to use. buf must outlive db. HUSK_E_FORMAT when
 * neither meta page is valid, HUSK_E_LIMIT when len > HUSK_BOLT_MAX_FILE. */
int husk_bolt_open(const uint8_t *buf, size_t len, husk_bolt **out, husk_err *err);
void husk_bolt_close(husk_bolt *db);
void husk_bolt_get_info(const husk_bolt *db, husk_bolt_info *info);

/* The root bucket (its keys are the top-level bucket names). */
void husk_bolt_root(const husk_bolt *db, husk_bolt_bucket *out);
/* Opens the sub-bucket `name` of parent. HUSK_E_NOTFOUND when absent or not a bucket. */
int husk_bolt_bucket_child(const husk_bolt *db, const husk_bolt_bucket *parent, const void *name,
                           size_t nlen, husk_bolt_bucket *out, husk_err *err);
/* Opens a bucket by its path of NUL-terminated names from the root ({"v1", "moby"}). */
int husk_bolt_bucket_path(const husk_bolt *db, const char *const *names, size_t n,
                          husk_bolt_bucket *out, husk_err *err);
/* Looks one key up in bucket b. 0 and *out filled when found (a sub-bucket comes back with
 * is_bucket set), HUSK_E_NOTFOUND when absent, another negative code when a page on the way is
 * damaged. */
int husk_bolt_get(const husk_bolt *db, const husk_bolt_bucket *b, const void *key, size_t klen,
                  husk_bolt_entry *out, husk_err *err);

/*
 * Cursor over one bucket's elements in page order (key order in a sound file), sub-buckets
 * included (is_bucket set, sequence in entry.bucket). next() returns 1 with *e filled, 0 at the
 * end, or a negative code when a page is damaged: err says which, the damaged page (and what
 * hangs below it) is skipped and the next call goes on with the rest.
 */
typedef struct husk_bolt_cursor husk_bolt_cursor;
int husk_bolt_cursor_new(const husk_bolt *db, const husk_bolt_bucket *b, husk_bolt_cursor **out,
                         husk_err *err);
int husk_bolt_cursor_next(husk_bolt_cursor *c, husk_bolt_entry *e, husk_err *err);
void husk_bolt_cursor_free(husk_bolt_cursor *c);

/*
 * Free-page scan, for recovering older versions of records: calls cb for every element of
 * every leaf page that is not reachable from the current meta (pages listed in the freelist,
 * unlisted unreachable pages, and pages past the high-water mark) and whose header id equals
 * its position in the file, and for the elements of inline buckets found on those pages
 * (entry.parent names the inline bucket). Elements that do not fit their page are skipped.
 * cb returns 0 to go on, >0 to stop (not an error), <0 to abort with that code. Damage to the
 * live tree only makes the reachable set smaller; *damaged (if not NULL) counts the live pages
 * that could not be walked. Returns 0 or a negative code.
 */
typedef int (*husk_bolt_entry_cb)(const husk_bolt_entry *e, void *ctx);
int husk_bolt_scan_free(const husk_bolt *db, husk_bolt_entry_cb cb, void *ctx, unsigned *damaged,
                        husk_err *err);

/* "live", "freelist", "unreachable", "past-high-water". */
const char *husk_bolt_origin_name(husk_bolt_origin o);

#endif
