/*
 * State of an XFS recovered view (include/husk/recover.h): built once by xfs_view_build.c,
 * read by the file-system operations of xfs_view.c.
 *
 * Identities. An inode number may have had several lives ("incarnations", told apart by the
 * generation number). A recovered object is one incarnation: rebuilt from the log, or found
 * at the inode's home (a freed chunk in free space, or a free slot of a chunk in use). Its
 * number in the view (vino) is its inode number, unless that number now belongs to a live
 * object or to a more recent recovered one: then a synthetic number >= HUSK_REC_SYNTHETIC_BASE.
 *
 * Names. Every (directory, name, child) binding found anywhere is a fact: short-form forks
 * and directory blocks in the log, forks and blocks of recovered directories, free spans of
 * live directory blocks. A fact belongs to one incarnation of its directory. Facts are turned
 * into the deleted entries of the view: per directory the latest binding of each name,
 * without names the live directory still holds, names whose child is live (renames), and
 * names superseded by a later name of the same child (temporary names renamed into place).
 */
#ifndef HUSK_XFS_VIEW_H
#define HUSK_XFS_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/recover.h"
#include "husk/strbuf.h"
#include "husk/vfs.h"
#include "xfs_rec.h"

/* Bounds on what one view holds (hostile images can claim anything). */
#define XV_MAX_INCS 65536
#define XV_MAX_OBJS 131072
#define XV_HOW_MAX 320 /* an object's explanation, NUL included */
#define XV_MAX_FACTS (1u << 20)
#define XV_MAX_DIRIMGS 4096
#define XV_MAX_SCAN_BYTES (8ULL << 30) /* free space searched for inode records */
#define XV_SCAN_RUN (1u << 20)
#define XV_MAX_READ_JSON (4u << 20)
#define XV_MAX_REMNANT_BLOCKS (1u << 20) /* live directory blocks searched for old names */

/* Where an object's state came from (bits). */
enum {
    XV_SRC_LOG = 1,      /* the log's last copy before the inode was freed */
    XV_SRC_FREED = 2,    /* a whole inode record in a freed chunk */
    XV_SRC_LEFTOVER = 4, /* extent records or entries left in a free slot's literal area */
    XV_SRC_NAME = 8,     /* only a directory entry names it */
    XV_SRC_VIRTUAL = 16, /* $OrphanFiles */
};

/* Simple open-addressing map from a non-zero 64-bit key to an index. */
typedef struct xv_map {
    uint64_t *keys; /* 0 = empty */
    uint32_t *vals;
    size_t cap, n;
} xv_map;
int xv_map_put(xv_map *m, uint64_t key, uint32_t val);
int xv_map_get(const xv_map *m, uint64_t key, uint32_t *val);
void xv_map_free(xv_map *m);

/* One life of an inode seen in the log. */
typedef struct xv_inc {
    uint64_t ino;
    uint32_t gen;
    uint64_t first_seq, end_seq; /* facts with first_seq <= seq < end_seq are of this life */
    uint64_t live_seq;           /* seq of the last copy while it had a name (nlink > 0) */
    uint8_t *cur, *live;         /* merged copy and that last named copy (inodesize bytes) */
    uint64_t parent;             /* from its short-form header or ".." entry, 0 unknown */
    int freed, base_home, is_live;
    int dying;      /* live holds the state at unlink: no earlier copy is in the log */
    int have_dfork; /* its data fork was logged (or came from its home copy) */
    int32_t obj;    /* index of its recovered object, -1 */
    int32_t prev;   /* the previous incarnation of the same inode number, -1 */
} xv_inc;

/* A directory-entry binding found somewhere. */
enum {
    XV_FACT_LOG_SF = 1,
    XV_FACT_LOG_BLOCK,
    XV_FACT_HOME_SF,
    XV_FACT_HOME_BLOCK,
    XV_FACT_LIVE_REMNANT
};
typedef struct xv_fact {
    uint64_t dir_ino, child_ino;
    int32_t dir_inc; /* log incarnation of the directory, -1: its home copy or the live one */
    uint64_t seq;    /* log order, 0 for facts from home copies */
    uint32_t name_off;
    uint8_t name_len, ftype, src;
    uint8_t remnant; /* only ever seen in a free span: seq is when it was seen, not bound */
} xv_fact;

typedef struct xv_obj {
    uint64_t vino, ino;
    unsigned src;
    uint8_t *raw; /* inodesize bytes, on-disk layout; NULL for name-only and virtual objects */
    xfs_raw_inode di;
    husk_stat st;
    xfs_raw_extent *left; /* leftover extents (XV_SRC_LEFTOVER) */
    size_t nleft;
    uint64_t parent_ino; /* from the short-form header or "..", 0 when unknown */
    int32_t inc;         /* log incarnation, -1 */
    int home_dir_facts;  /* facts of the home copy (dir_inc -1) are this object's */
    uint64_t seq;        /* recency among objects of one inode number */
    int named;
    double conf;
    const char *from;
    char *how; /* malloc'd, NULL while empty (xv_how); at most XV_HOW_MAX - 1 bytes */
} xv_obj;

/* A deleted entry of the view. */
typedef struct xv_ent {
    uint64_t dir, child; /* vinos (dir may be a live directory's inode) */
    uint32_t name_off;
    uint8_t name_len;
    uint8_t type; /* husk_ftype */
} xv_ent;

typedef struct xv_dirimg {
    uint64_t daddr;
    uint8_t *buf;
} xv_dirimg;

typedef struct xv_view {
    husk_fs *live;
    husk_diag *diag;
    xr_disk d;
    xr_free freesp;
    xr_chunks chunks;
    size_t isize;

    xv_inc *incs;
    size_t ninc, capinc;
    xv_map inc_by_ino; /* latest incarnation of each inode number */

    xv_dirimg *dirimgs;
    size_t ndirimg, capdirimg;
    xv_map dirimg_by_daddr;

    xv_fact *facts;
    size_t nfact, capfact;
    uint32_t *fact_hash; /* open addressing over fact indices + 1 */
    size_t fact_hcap;
    husk_strbuf names; /* name arena: each name NUL-terminated */

    xv_obj *objs;
    size_t nobj, capobj;
    xv_map obj_by_vino;
    xv_map home_by_ino;     /* the object that took a home copy's facts (dir_inc -1) */
    xv_map nameonly_by_ino; /* name-only objects, one per inode number */
    xv_map livedir;         /* live inode -> 1 directory, 2 not a directory */
    uint64_t next_synth;

    xv_ent *ents; /* sorted by dir, then name, in [0, nent_sorted) */
    size_t nent, capent, nent_sorted;
    uint64_t orphan_dir; /* vino of $OrphanFiles, 0 when there is none */

    /* read cache: the extent map of the object read last */
    int cached;
    uint64_t cache_vino;
    xr_map cache_map;

    uint64_t limit_hits, remnant_blocks;
    xr_log_stats log;
    uint64_t home_found, home_badcrc, scanned_bytes;
} xv_view;

/* A candidate found at an inode's home place (xfs_view_collect.c). */
typedef struct xv_home {
    uint64_t ino;
    uint8_t *raw;
    unsigned src; /* XV_SRC_FREED or XV_SRC_LEFTOVER */
    int crc_ok, sf_dir;
    xfs_raw_extent left[32];
    size_t nleft;
} xv_home;

/* Collection (xfs_view_collect.c): the log, then the homes of free inodes. */
int xv_collect_log(xv_view *v, husk_err *err);
int xv_collect_homes(xv_view *v, xv_home **homes, size_t *nhomes, husk_err *err);
void xv_homes_free(xv_home *h, size_t n);
/* Records a binding; names that cannot be entries are ignored. */
int xv_fact_add(xv_view *v, uint64_t dir, int32_t inc, const xr_dirent *d, uint64_t seq, int src);
/* Directory-entry callback recording facts of one directory (ctx: xv_harvest); ".." sets
 * *parent. With only_deleted, live entries are left out (they are in the live tree). */
typedef struct xv_harvest {
    xv_view *v;
    uint64_t dir, seq;
    int32_t inc;
    int src, only_deleted;
    uint64_t *parent;
} xv_harvest;
int xv_harvest_cb(const xr_dirent *d, void *ctx);

/* Old names in the free spans of live block-form directories (xfs_view_collect.c). */
int xv_collect_live_remnants(xv_view *v, husk_err *err);

/* Builds everything (xfs_view_build.c). */
int xv_build(xv_view *v, husk_err *err);
void xv_release(xv_view *v);
/* Object helpers (xfs_view_build.c): a new object (index; -1 at the limit, -2 out of memory),
 * a clause of its explanation, a fresh synthetic number, its stat and confidence. */
int32_t xv_obj_new(xv_view *v, uint64_t ino, unsigned src);
void xv_how(xv_obj *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t xv_synth(xv_view *v);
void xv_obj_finish(xv_view *v, xv_obj *o);
/* Turns facts into the view's deleted entries and names the unnamed (xfs_view_names.c). */
int xv_names_build(xv_view *v);

/* Helpers shared by the builder and the operations. */
xv_obj *xv_obj_of(const xv_view *v, uint64_t vino);
const char *xv_name(const xv_view *v, uint32_t off);
/* First deleted entry of directory vino and how many there are. */
size_t xv_ents_of(const xv_view *v, uint64_t dir, size_t *count);
/* Reads bytes of a recovered regular file. */
ssize_t xv_obj_read(xv_view *v, xv_obj *o, uint64_t off, void *buf, size_t len, husk_err *err);

#endif
