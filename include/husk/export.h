/*
 * Exporting a container's file system from the evidence (husk export, husk cp).
 *
 * The merged view is what the container saw through its overlay mount: the layers merged
 * top-down (the upper directory, the "-init" layer, then the image layers from the top) with
 * overlayfs's rules: a whiteout (char device 0/0, or a file carrying trusted.overlay.whiteout
 * or user.overlay.whiteout) hides the name in every layer below and is not itself visible;
 * an opaque directory (trusted/user.overlay.opaque = "y") hides the directories below it;
 * the topmost non-directory ends the merge; a directory's metadata comes from its topmost
 * layer. Names are walked in byte order, directories before their contents, as Docker's
 * archive walk does.
 *
 * Every object reached is handed to a sink (a tar writer, a directory on the examiner's
 * machine) and described by a husk_export_item that the caller turns into the manifest.
 */
#ifndef HUSK_EXPORT_H
#define HUSK_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/node.h"
#include "husk/overlay2.h"
#include "husk/tar.h"
#include "husk/vfs.h"

#define HUSK_EXPORT_MAX_XATTRS 32

typedef struct husk_export_layer {
    uint64_t diff_ino;  /* the layer's diff/ directory */
    char kind[8];       /* "upper", "init", "image" */
    char origin[96];    /* "upper", "init", or the image layer's diff-id "sha256:..." (its
                           overlay2 directory name when the case has no layers row for it) */
    char dir[72];       /* overlay2 directory name */
} husk_export_layer;

/* One object of the export, as the sink and the manifest see it. */
typedef struct husk_export_item {
    const char *name;    /* archive name: "etc/passwd", directories end in '/' */
    size_t name_len;
    const char *cpath;   /* the path in the container: "/etc/passwd" */
    husk_stat st;
    uint64_t data_ino;   /* where a regular file's bytes are (differs from st.inode only for
                            an overlay metacopy file) */
    const char *link;    /* symlink target, or NULL */
    size_t link_len;
    const char *hardlink;/* for the 2nd and later names of one inode: the first name, else NULL */
    size_t hardlink_len;
    const husk_export_layer *layer; /* where the object (its topmost copy) lives */
    husk_prov prov;      /* how the object was obtained ({"live", 1.0} unless recovered) */
    char how[256];
    husk_tar_xattr xattrs[HUSK_EXPORT_MAX_XATTRS];
    size_t nxattrs;
    /* filled while the data is written */
    char sha256[65];     /* regular files: SHA-256 of the bytes written; "" otherwise */
    uint64_t written;    /* data bytes read from the evidence */
    int damaged;         /* the data could not all be read (zeros written for the rest) */
} husk_export_item;

/* Where the objects go. begin is called for every object (a directory before what is in
 * it), data for a regular file's bytes (not for hard links), end after the data, and for a
 * directory after everything in it. Each returns 0 or a negative husk_err code. */
typedef struct husk_export_sink {
    int (*begin)(void *ctx, const husk_export_item *it, husk_err *err);
    int (*data)(void *ctx, const void *buf, size_t n, husk_err *err);
    int (*end)(void *ctx, husk_export_item *it, husk_err *err);
    void *ctx;
} husk_export_sink;

typedef struct husk_export_opts {
    const char *path;      /* the container path to export: "/" (all of it) or e.g. "/etc" */
    const char *prefix;    /* archive name of that path itself ("etc"); NULL or "" for "/",
                              whose own entry is not written (as docker export) */
    int all_xattrs;        /* every xattr except overlayfs's own; default: security.capability
                              only, which is all Docker's archive code keeps */
    int hardlinks;         /* 1: names of one inode after the first become hard links */
    int follow_last;       /* 1: a symlink at path itself is followed (docker cp -L) */
} husk_export_opts;

typedef struct husk_export_stats {
    uint64_t objects, files, dirs, symlinks, hardlinks, others;
    uint64_t bytes;
    uint64_t damaged;      /* objects whose data or metadata could not all be read */
    uint64_t recovered;    /* objects whose provenance is not "live" */
} husk_export_stats;

/* Walks the merged view of layers (topmost first) on fs from o->path and feeds sink.
 * Damage goes to diag and the walk goes on; HUSK_E_NOTFOUND when o->path is not in the view;
 * other errors are the sink's (or memory). */
int husk_export_walk(husk_fs *fs, const husk_export_layer *layers, size_t nlayers,
                     const husk_export_opts *o, const husk_export_sink *sink,
                     husk_export_stats *stats, husk_diag *diag, husk_err *err);

/* A tar sink over a husk_tar (ctx is the husk_tar). */
husk_export_sink husk_export_tar_sink(husk_tar *t);

/* ---- a container's layers, found from the case database and the evidence ---- */

typedef struct husk_export_source {
    husk_node *node;
    husk_fs *view;        /* the recovered view for a removed container (owned), or NULL */
    husk_fs *fs;          /* what is read: the live file system or the view */
    char id[65], name[256], state[16];
    char recovered_from[32];
    double confidence;
    husk_export_layer layers[HUSK_OVL_MAX_LOWERS + 1];
    size_t nlayers;
    char chain_how[32];   /* "lower file", "layerdb" or "case database" */
} husk_export_source;

typedef struct husk_export_open_opts {
    const char *evidence;  /* NULL: the case's evidence_path */
    husk_open_opts open;   /* -i/-O/-f; no_replay is taken from the case unless forced */
    int force_replay_opt;  /* 1: keep open.no_replay as given */
} husk_export_open_opts;

/* Opens the evidence of db and resolves container id's layer chain (reading through the
 * recovered view when the container was removed). */
int husk_export_open(husk_casedb *db, const char *id, const husk_export_open_opts *o,
                     husk_export_source *src, husk_diag *diag, husk_err *err);
void husk_export_close(husk_export_source *src);

#endif
