/*
 * State of an ext4 recovered view (include/husk/recover.h): built once by
 * ext4_view_build.c (objects, with ext4_view_disk.c for blocks, bitmaps and extent trees),
 * ext4_view_facts.c and ext4_view_names.c (names), read by the file-system operations of
 * ext4_view.c. The decoders are in ext4_rec.h.
 *
 * Incarnations. An inode number may have had several lives, told apart by i_generation
 * (recovery.md 2.7). Every (number, generation) pair seen in a journal copy of an
 * inode-table block is an incarnation, with the range of transactions its copies span. One
 * whose number is free today (or whose record shows it deleted) and whose newest usable copy
 * qualifies (e4r_pick_copy) becomes a recovered object. It keeps its number when the
 * current, deleted record carries the same generation; any other incarnation of a number
 * (the number now belongs to a live object or to a later deleted one) gets a synthetic number
 * >= HUSK_REC_SYNTHETIC_BASE, so incarnations never mix.
 *
 * Names. Every (directory, name, child) binding read from a journal copy of a directory
 * block or from a recovered directory's blocks on disk is a fact, stamped with the
 * transaction it was seen in. Directory blocks are attributed to their directory by the
 * directory's own inode copies: a change to a directory block rewrites the directory's mtime
 * in the same transaction, so its inode copy there maps the block. A fact's child is the
 * incarnation of the number that existed at that transaction (the one born last before it).
 */
#ifndef HUSK_EXT4_VIEW_H
#define HUSK_EXT4_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "../evidence/ext4_raw.h"
#include "ext4_rec.h"
#include "husk/diag.h"
#include "husk/jbd2.h"
#include "husk/recover.h"
#include "husk/strbuf.h"
#include "husk/vfs.h"

struct TSK_IMG_INFO;

/* Bounds on what one view takes from the evidence (hostile images can claim anything). */
#define E4V_MAX_GROUPS (1u << 22)
#define E4V_MAX_INCS (1u << 19)  /* incarnations tracked */
#define E4V_MAX_OBJS (1u << 18)  /* recovered objects */
#define E4V_MAX_EXTENTS 65536    /* data extents of one file */
#define E4V_MAX_TREE_BLOCKS 4096 /* extent-tree blocks read for one file */
#define E4V_MAX_ALL_EXTENTS (1u << 22)
#define E4V_MAX_DIR_BLOCKS 8192   /* blocks of one recovered directory parsed */
#define E4V_MAX_OWNERS (1u << 22) /* (directory block, owner) pairs */
#define E4V_MAX_FACTS (1u << 21)
#define E4V_MAX_LIVE_NAMES (1u << 21)
#define E4V_MAX_BITMAPS 65536 /* bitmap blocks kept in memory */
#define E4V_MAX_READ_JSON (4u << 20)
#define E4V_MAX_CHECKED_BLOCKS (1u << 22) /* bitmap look-ups for one file (16 GiB at 4 KiB) */
#define E4V_HOW_MAX 448 /* an object's explanation, NUL included */

enum {
    E4V_SRC_JOURNAL = 1, /* an old inode copy from the journal */
    E4V_SRC_INODE,       /* only the current, deleted record (content lost) */
    E4V_SRC_DIRENT,      /* only a directory entry names it */
    E4V_SRC_VIRTUAL,     /* $OrphanFiles */
};

/* Open-addressing map from a non-zero 64-bit key to a 32-bit value. */
typedef struct e4v_map {
    uint64_t *keys; /* 0 = empty */
    uint32_t *vals;
    size_t cap, n;
} e4v_map;
int e4v_map_put(e4v_map *m, uint64_t key, uint32_t val);
int e4v_map_get(const e4v_map *m, uint64_t key, uint32_t *val);
void e4v_map_free(e4v_map *m);

/* One incarnation seen in the journal. */
typedef struct e4v_inc {
    uint64_t ino;
    uint32_t gen;
    uint32_t first_seq, last_seq; /* transactions of its first and last copy, any state */
    int is_live;                  /* the live object today */
    int32_t obj;                  /* its recovered object, -1 */
} e4v_inc;

/* A directory block attributed to a directory incarnation, from the directory's inode copies
 * in transactions [seq_lo, seq_hi]. */
typedef struct e4v_owner {
    uint64_t block;
    uint64_t ino;
    uint32_t gen;
    uint32_t lblk;
    uint32_t seq_lo, seq_hi;
} e4v_owner;

/* A binding seen somewhere. */
enum { E4V_FACT_JOURNAL = 1, E4V_FACT_DISK, E4V_FACT_SLACK };
typedef struct e4v_fact {
    uint64_t dir_ino, child_ino;
    uint32_t dir_gen;
    uint8_t dir_gen_known, ftype, name_len, src;
    uint32_t seq;
    uint32_t name_off;
} e4v_fact;

typedef struct e4v_obj {
    uint64_t vino, ino;
    uint32_t gen;
    int src;
    /* The record it was rebuilt from and the current record when that is this incarnation's
     * deleted one are read again when needed (e4v_obj_raw, e4v_obj_cur): a view holds one
     * object per deleted file, and two records in each were much of a large view's memory. */
    const husk_jbd2_copy *copy; /* the journal copy of its inode-table block (journal objects) */
    uint64_t itable_block;      /* the inode-table block holding its current record (has_cur) */
    uint32_t slot;              /* its record's place in that block and in the copy */
    uint32_t iflags;            /* i_flags of the record it was rebuilt from */
    uint8_t has_raw, has_cur;   /* no raw: dirent-only or virtual */
    husk_stat st;
    uint32_t seq;       /* transaction of the copy */
    uint64_t jblock;    /* where the copy lies in the journal */
    int64_t commit_sec; /* its commit time */
    uint32_t commit_nsec;
    e4r_extent *ext; /* data extents, sorted by logical block */
    size_t next;
    uint64_t dotdot;   /* a directory's ".." inode number, 0 unknown */
    uint64_t parent;   /* the view directory it is listed in first, 0 none */
    uint32_t name_off; /* its first name there (named only) */
    uint8_t name_len;
    uint32_t journal_dir_blocks; /* directory: journal copies of its blocks read for names */
    int named;
    double conf;
    const char *from;
    char *how; /* malloc'd, NULL while empty (e4v_how); at most E4V_HOW_MAX - 1 bytes */
} e4v_obj;

/* A deleted entry of the view. */
typedef struct e4v_ent {
    uint64_t dir, child; /* vinos (dir may be a live directory's inode) */
    uint32_t name_off;
    uint8_t name_len;
    uint8_t type; /* husk_ftype */
} e4v_ent;

typedef struct e4v_group {
    uint64_t itable, bbitmap, ibitmap;
    uint16_t flags;
} e4v_group;

typedef struct e4v_view {
    husk_fs *live;
    husk_diag *diag;
    struct TSK_IMG_INFO *img;
    uint64_t fs_off;
    ext4_sb sb;
    uint32_t first_ino;
    uint32_t fs_seed;
    int csum; /* metadata_csum */
    size_t isize;
    uint32_t itable_blocks; /* blocks of one group's inode table */
    e4v_group *groups;
    uint8_t **bbm, **ibm; /* bitmaps by group, read on first use */
    size_t nbitmaps;
    husk_jbd2 *j;
    uint8_t *blk; /* scratch blocks */
    uint8_t *blk2;
    uint8_t *blk3; /* e4v_obj_raw's and e4v_obj_cur's */

    e4v_inc *incs; /* sorted by inode number, then first_seq, once collected */
    size_t ninc, capinc;

    e4v_owner *owners; /* sorted by block */
    size_t nowner, capowner;

    e4v_fact *facts;
    size_t nfact, capfact;
    e4v_map fact_seen; /* hash of a fact -> index, to keep one per binding */

    husk_strbuf names; /* name arena: each name NUL-terminated */

    e4v_obj *objs;
    size_t nobj, capobj;
    e4v_map obj_by_vino;
    e4v_map nameonly_by_ino;
    uint64_t next_synth;
    uint64_t orphan_dir;
    size_t all_extents;

    e4v_ent *ents; /* sorted by dir, then name */
    size_t nent, capent;

    /* what was done (said when nothing could be recovered) */
    uint64_t copies_read, copies_bad, inodes_bad_csum, reports;
    uint64_t dir_blocks_parsed, dir_blocks_foreign;
} e4v_view;

/* ---- ext4_view_build.c ---- */
/* Geometry, journal index, incarnations, objects and their extents. */
int e4v_build_objects(e4v_view *v, husk_err *err);
void e4v_release(e4v_view *v);
/* Grows *arr (of elem-byte items) to hold n + 1; -1 past limit or out of memory. */
int e4v_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t limit);
int32_t e4v_obj_new(e4v_view *v, uint64_t ino, int src);
uint64_t e4v_synth(e4v_view *v);
e4v_obj *e4v_obj_of(const e4v_view *v, uint64_t vino);
/* An object's record (v->isize bytes into buf): the journal copy it was rebuilt from, or the
 * deleted record an object known by that record alone was made of. 0, or -1 when it has
 * none or it cannot be read. */
int e4v_obj_raw(e4v_view *v, const e4v_obj *o, uint8_t *buf);
/* e4v_obj_raw into a new buffer of v->isize + extra bytes (*out; free it): 0, or an error
 * (out of memory, or the record cannot be read again). */
int e4v_obj_raw_dup(e4v_view *v, const e4v_obj *o, size_t extra, uint8_t **out, husk_err *err);
/* The current record when it is the object's own deleted one (has_cur); 0 or -1. */
int e4v_obj_cur(e4v_view *v, const e4v_obj *o, uint8_t *buf);
/* Adds a clause to an object's explanation (provenance "how"). */
void e4v_how(e4v_obj *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports a bound reached or damage met to the diag sink (the first few only: a hostile
 * image must not flood it). */
void e4v_report(e4v_view *v, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Incarnation of ino that existed at transaction seq (the one born last before it), or NULL. */
const e4v_inc *e4v_inc_at(const e4v_view *v, uint64_t ino, uint32_t seq);
const e4v_inc *e4v_inc_find(const e4v_view *v, uint64_t ino, uint32_t gen);

/* ---- ext4_view_disk.c ---- */
/* The group descriptors' inode tables, bitmaps and flags. */
int e4v_read_groups(e4v_view *v, husk_err *err);
/* Reads block b of the file system (as the live file system sees it today). */
int e4v_read_block(e4v_view *v, uint64_t b, uint8_t *buf, husk_err *err);
/* 1 allocated, 0 free, -1 unknown (damaged group). */
int e4v_block_allocated(e4v_view *v, uint64_t b);
int e4v_inode_allocated(e4v_view *v, uint64_t ino);
/* The current record of ino (v->isize bytes into buf). */
int e4v_current_inode(e4v_view *v, uint64_t ino, uint8_t *buf, husk_err *err);
/* The blocks of an extent tree rooted at a record's i_block: extents out (malloc'd, sorted),
 * reading tree blocks from disk or, when the disk copy no longer validates, from the journal
 * (newest copy not after seq). *from_journal counts tree blocks taken from the journal. */
int e4v_load_extents(e4v_view *v, const uint8_t *raw, uint64_t ino, uint32_t seq, e4r_extent **out,
                     size_t *n, int *from_journal, int *bad_csum, husk_err *err);
/* Reads a recovered object's bytes. */
ssize_t e4v_obj_read(e4v_view *v, const e4v_obj *o, uint64_t off, void *buf, size_t len,
                     husk_err *err);
/* ---- ext4_view_facts.c ---- */
/* The entries of one directory block, gathered before the block's owner is settled. */
typedef struct e4v_dirents {
    e4r_dirent *v;
    size_t n, cap;
    uint32_t dot, dotdot; /* the "." (first entry) and ".." inode numbers, 0 when absent */
} e4v_dirents;
/* Walks blk into b; 1 when it is a directory block, 0 when not, -1 out of memory. */
int e4v_gather(e4v_view *v, const uint8_t *blk, e4v_dirents *b, e4r_dirblock *kind);
/* Adds name to the name arena; its offset, or -1 out of memory. */
int64_t e4v_name_add(e4v_view *v, const void *name, size_t len);
/* FNV-1a over a binding (the fact table's and the live-name set's key). */
uint64_t e4v_hash(uint64_t dir, uint32_t gen, uint64_t child, const uint8_t *name, size_t len);
/* Reads the facts: (a) journal copies of directory blocks, (b) recovered directories' blocks
 * on disk; sets each recovered directory's confidence. */
int e4v_collect_facts(e4v_view *v, husk_err *err);

/* ---- ext4_view_names.c ---- */
/* Facts from journal copies of directory blocks and from recovered directories' blocks,
 * then the view's deleted entries, made-up names and $OrphanFiles. */
int e4v_build_names(e4v_view *v, husk_err *err);
const char *e4v_name(const e4v_view *v, uint32_t off);
/* First deleted entry of directory vino and how many there are. */
size_t e4v_ents_of(const e4v_view *v, uint64_t dir, size_t *count);

#endif
