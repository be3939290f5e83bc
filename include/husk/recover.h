/*
 * Recovering what `docker rm` deleted (docs/recovery.md of the shared research, and
 * docs/architecture.md): recovered views of file systems, and carving.
 *
 * Recovered views. A view is a husk_fs that shows a file system as it was before deletions,
 * as far as the evidence allows: every live object as it is, plus deleted directories, names
 * and files rebuilt from
 *   - ext4: older copies of inode-table, directory, extent-tree and xattr blocks in the jbd2
 *     journal (matching inode generation), and freed blocks that kept their last content
 *     (the data blocks of deleted directories, extent leaves, file data);
 *   - XFS: inodes left in chunks still in use (leftover extents in the literal area), whole
 *     inodes of freed chunks found in free space (magic "IN", v3, di_ino matching its place),
 *     the log's copies of inodes and directory blocks (all that exists of inodes that never
 *     reached their home place), and directory remnants for names.
 * Directory listings of a view give the live entries first, then the names the live
 * directory no longer holds, marked husk_dirent.deleted. husk_fs_provenance() says how each
 * object was rebuilt (recovered_from "live", "journal", "inode", "dirent") and how sure husk
 * is (confidence in [0, 1]: lowered where blocks were reused since, checksums disagree, or
 * sizes had to be guessed). The Docker readers run unchanged on a view, so a removed
 * container's config, logs and upper layer go through the same parsers as a live one.
 *
 * Inode numbers in a view: a deleted object whose inode number now belongs to a different
 * live object gets a synthetic number >= HUSK_REC_SYNTHETIC_BASE, so incarnations never mix.
 *
 * Carving. Unallocated space and the ext4 journal's blocks are scanned for Docker artefacts
 * that no structure points to any more: config.v2.json and hostconfig.json (recognised by
 * structure, any field order, validated by parsing), json-file log lines (also inside gzip
 * members of rotated logs) and local-driver frames.
 */
#ifndef HUSK_RECOVER_H
#define HUSK_RECOVER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/err.h"
#include "husk/progress.h"
#include "husk/vfs.h"

#define HUSK_REC_SYNTHETIC_BASE (1ULL << 62)

/* Fills a provenance answer for a view's provenance op: {"live", 1.0} when from is NULL (the
 * object is served by the live file system), else from/conf, with note copied into how. */
int husk_rec_prov_fill(husk_prov *p, const char *from, double conf, const char *note, char *how,
                       size_t hown);
/* Adds a clause to a recovered object's explanation (*how: malloc'd, NULL while empty),
 * "; "-separated, kept at its length and cut at max - 1 bytes (max at most 512); a clause
 * that no longer fits, or no memory, leaves it as it was. */
void husk_rec_how_vadd(char **how, size_t max, const char *fmt, va_list ap);

/* Builds the recovered view of an ext4 file system (src/recover/ext4_view.c) or an XFS one
 * (src/recover/xfs_view.c). live must outlive the view; close the view with husk_fs_close().
 * HUSK_E_NOTFOUND when the file system has nothing to recover from. */
int husk_ext4_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err);
int husk_xfs_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err);
/* The recovered view of any file system husk reads (src/recover/view.c): calls the one for
 * live->fstype; HUSK_E_UNSUPPORTED for a type that has none in this build. */
int husk_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err);

typedef enum husk_carve_kind {
    HUSK_CARVE_CONFIG,     /* config.v2.json */
    HUSK_CARVE_HOSTCONFIG, /* hostconfig.json */
    HUSK_CARVE_JSONLOG,    /* one json-file log line (possibly from a gzip member) */
    HUSK_CARVE_LOCALLOG,   /* one local-driver frame */
} husk_carve_kind;

typedef struct husk_carved {
    husk_carve_kind kind;
    const uint8_t *data; /* the artefact's bytes (a log line without its newline; a config
                            or hostconfig with its newline when one follows, i.e. the file as
                            Docker wrote it; a local-driver frame with both length words) */
    size_t len;
    uint64_t offset;      /* byte offset in the file system where it starts (for data from a
                             gzip member: the member's offset) */
    const char *where;    /* "unallocated", "journal", "slack" ... */
    int in_gzip;          /* 1 when decompressed from a gzip member */
    uint64_t gzip_offset; /* in_gzip: where it starts in the member's decompressed bytes */
    /* What the carver's validation already parsed, valid during the callback only (so that
     * a callback need not parse it again); always set by the carver:
     * config/hostconfig: a husk_carved_config (below);
     * jsonlog/locallog: the decoded entry (a struct husk_log_entry *, include/husk/logs.h). */
    const void *parsed;
} husk_carved;

/* What a carved config.v2.json or hostconfig.json says (husk_carved.parsed): the values of
 * these keys as jansson would give them (json_string_value: NULL when absent or not a
 * string; the last one when a key repeats). */
typedef struct husk_carved_config {
    const char *id, *name;                 /* ID, Name */
    const char *log_driver, *network_mode; /* LogConfig.Type, NetworkMode */
} husk_carved_config;

/* "config", "hostconfig", "jsonlog", "locallog". */
const char *husk_carve_kind_name(husk_carve_kind k);

/* What one carving run did. */
typedef struct husk_carve_stats {
    uint64_t unallocated_bytes; /* free space read */
    uint64_t journal_bytes;     /* ext4 journal blocks read */
    uint64_t runs;              /* contiguous stretches scanned */
    uint64_t found[4];          /* artefacts reported, by husk_carve_kind */
    uint64_t duplicates;        /* artefacts seen again and not reported */
    uint64_t gzip_members;      /* gzip members that inflated to something */
    uint64_t gzip_bytes;        /* bytes those members inflated to */
    int truncated;              /* a bound stopped part of the work (diag says which) */
    uint64_t damaged;           /* damaged allocation metadata or unreadable stretches: free
                                   space that could not be scanned (diag says where) */
} husk_carve_stats;

/* Return 0 to go on, >0 to stop, <0 on error. */
typedef int (*husk_carve_cb)(const husk_carved *c, void *ctx);

/* Scans the unallocated space of fs (and, for ext4, the journal's blocks) for Docker
 * artefacts in large sequential reads (src/recover/carve.c). Each artefact is reported once
 * (deduplicated by content). */
int husk_carve_fs(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag, husk_err *err);
/* The same, filling st (may be NULL) with what was done. */
int husk_carve_fs_stats(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag,
                        husk_carve_stats *st, husk_err *err);
/* The same, reporting to progress (may be NULL) how far into the file system it is. */
int husk_carve_fs_progress(husk_fs *fs, husk_carve_cb cb, void *ctx, husk_diag *diag,
                           husk_carve_stats *st, const husk_progress *progress, husk_err *err);

#endif
