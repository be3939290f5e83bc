/*
 * Docker's overlay2 graph driver on disk (formats.md 1, 2.3, 2.4): the layer chain of a
 * container's RW layer, resolved from the evidence without mounting anything.
 *
 * The chain is what the kernel was given at mount time: upperdir = overlay2/<mount-id>/diff,
 * lowerdir = the entries of overlay2/<mount-id>/lower ("l/<LINK>:l/<LINK>:...", topmost
 * first), each l/<LINK> a symlink "../<layer-dir>/diff". When those links are gone (or the
 * lower file is damaged or crafted), the chain is rebuilt from the layer store instead:
 * layerdb/mounts/<container>/init-id, then the image's layers through layerdb/sha256/<chain>/
 * {cache-id,parent}.
 *
 * Names from the evidence are never used as paths unchecked: a lower entry must be
 * "l/" + 26 of [A-Z0-9], a layer directory 64 lowercase hex characters (+ "-init"), and
 * layer directories are looked up one component at a time without following symlinks.
 */
#ifndef HUSK_OVERLAY2_H
#define HUSK_OVERLAY2_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/docker.h"

/* overlay2's maxDepth: a lower file never holds more entries; the layerdb fallback (init layer
 * plus image layers) is held to the same bound. */
#define HUSK_OVL_MAX_LOWERS 128
#define HUSK_OVL_LINK_LEN 26

typedef struct husk_ovl_layer {
    char id[72];       /* directory name under overlay2/: 64 hex, "-init" for an init layer;
                          for a containerd snapshot, its snapshot key */
    uint64_t diff_ino; /* inode of overlay2/<id>/diff (or of the snapshot's fs/) */
    char dir[160];     /* the layer's content directory relative to the data root when it is
                          not overlay2/<id>/diff ("io.containerd.snapshotter.v1.overlayfs/
                          snapshots/<n>/fs"); "" for overlay2 */
} husk_ovl_layer;

typedef struct husk_ovl_chain {
    husk_ovl_layer upper;                      /* the container's RW layer (mount-id) */
    husk_ovl_layer lower[HUSK_OVL_MAX_LOWERS]; /* topmost first: "-init", then the image's */
    size_t nlower;
    const char *how; /* "lower file" or "layerdb" (the links were gone or the file was bad) */
} husk_ovl_chain;

/* 1 when s (n bytes) is an l/ short link name: 26 of [A-Z0-9]. */
int husk_ovl_valid_link(const char *s, size_t n);
/* 1 when s (n bytes) is a layer directory name: 64 lowercase hex, with "-init" if allow_init. */
int husk_ovl_valid_layer_id(const char *s, size_t n, int allow_init);

/* Finds overlay2/<id>/diff (id already validated), refusing symlinks on the way: sets *ino.
 * HUSK_E_NOTFOUND when the layer directory or its diff/ is absent. */
int husk_ovl_layer_diff(const husk_docker_root *r, const char *id, uint64_t *ino, husk_err *err);

/*
 * Resolves the chain of the RW layer mount_id (64 hex). container_id (may be NULL) enables the
 * layerdb fallback. Anomalies that still leave a usable chain (a fallback taken, an init layer
 * with an unexpected name) go to diag; a chain that cannot be trusted at all (loops, bad names,
 * too long, unresolvable) is an error with the reason in err, and *out is then empty.
 */
int husk_ovl_chain_resolve(const husk_docker_root *r, const char *mount_id,
                           const char *container_id, husk_ovl_chain *out, husk_diag *diag,
                           husk_err *err);

/* The diff of a container whose chain is resolved (overlay2, or a containerd snapshotter's
 * snapshots laid out the same way): every entry of the upper layer as a files row, changes
 * decided against the lower layers as `docker diff` does (only when chain_ok; why says what
 * was wrong otherwise), container_diff rows, and with opts->hash_images the image layers'
 * files. r gives the file system, the data root the layer directories are relative to, and
 * the case ids. */
struct husk_casedb;
int husk_diff_chain(const husk_docker_root *r, const char *container_id,
                    const husk_ovl_chain *chain, int chain_ok, const char *why,
                    struct husk_casedb *db, husk_diag *diag, husk_err *err);

/* overlay2 layer directories that no image layer (layers.cache_id) and no container
 * (containers.rw_layer, and its "-init") of the case references: what a crash, an interrupted
 * docker rm or hand-deleted metadata leaves. Each is written to recovery_summary (item
 * 'orphan-layer') with how many entries its diff/ holds. Run after the data root's images and
 * containers (live and removed) are written. */
struct husk_casedb;
int husk_ovl_orphans(const husk_docker_root *r, struct husk_casedb *db, husk_diag *diag,
                     husk_err *err);

#endif
