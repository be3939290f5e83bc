/*
 * containerd offline (formats.md 6): the metadata store io.containerd.metadata.v1.bolt/meta.db
 * (namespaces, containers with their OCI spec, images, snapshots, content, leases, sandboxes),
 * the overlayfs snapshotter's metadata.db and snapshots/<n>/fs directories, the content
 * store's manifests and configs, and the CRI plugin's status files. Used for Kubernetes nodes
 * (namespace k8s.io) and for Docker on the containerd image store (namespace moby).
 */
#ifndef HUSK_CONTAINERD_H
#define HUSK_CONTAINERD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/docker.h"

/* ---- encodings (exposed for unit tests) ---- */

/* A time of a CRI status checkpoint (Unix nanoseconds under key: "CreatedAt", "StartedAt",
 * "FinishedAt") as RFC 3339 UTC in out; NULL when absent or not positive. */
const char *husk_cri_status_time(json_t *status, const char *key, char out[40]);

/* Go's time.Time.MarshalBinary (version 1, 15 bytes, or 2, 16 bytes) as RFC 3339 UTC with nine
 * fraction digits. Returns 0, or -1 when the bytes are not such a time (out is then ""). The
 * zero time gives "" and 0. */
int husk_go_time(const uint8_t *b, size_t n, char out[40]);
/* Protobuf base-128 varint at b[*pos]; advances *pos. -1 when cut short or longer than 10
 * bytes. */
int husk_pb_uvarint(const uint8_t *b, size_t n, size_t *pos, uint64_t *v);
/* google.protobuf.Any: field 1 type_url, field 2 value (other fields skipped). 0, or -1 when the
 * bytes are not a well-formed message. */
int husk_pb_any(const uint8_t *b, size_t n, const uint8_t **type_url, size_t *tlen,
                const uint8_t **value, size_t *vlen);

/*
 * Reads one containerd root (r->path on r->fs: "/var/lib/containerd", or Docker's own
 * "/var/lib/docker/containerd/daemon") into the case: containers (runtime 'containerd', with
 * namespace, spec-derived rights, mounts, CRI state and pod), images, containerd_snapshots,
 * containerd_content, containerd_leases, pods, and every container's diff against its snapshot
 * chain. Docker containers on the containerd image store (namespace moby) already written by
 * the Docker reader get their diff from here. Damage goes to diag; only case-database failures
 * are errors.
 */
int husk_containerd_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                            husk_err *err);
/* What husk_containerd_analyse_ex could read: what is absent from a store read whole was
 * removed; from one read in part, nothing can be concluded. */
typedef struct husk_ctrd_read {
    int meta_ok;      /* meta.db opened and every namespace walked without damage */
    int snapshots_ok; /* the overlayfs snapshotter's metadata.db read whole */
} husk_ctrd_read;
/* The same, saying in *read (may be NULL) what it could read. */
int husk_containerd_analyse_ex(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                               husk_ctrd_read *read, husk_err *err);

/*
 * Pods and CRI containers removed from the node (src/runtime/cri_removed.c), from a recovered
 * view of its file system: pod log directories and /var/log/containers links the case does not
 * know (deleted or not), the CRI plugin's containers/<id> directories and status files, their
 * logs, and overlayfs snapshot directories no record names, and the service-account tokens
 * left in a removed pod's kubelet directory. r gives the data root the rows belong to;
 * ctrd_path is the containerd root on that file system, or NULL; kubelet the kubelet's root
 * (its fs the live one), or NULL; read what the containerd reader could read: pods and
 * containers are only taken as removed when meta.db was read whole, and snapshot directories as
 * orphans when the snapshotter's records were. Containers already
 * in the case only get the logs they lack. Damage goes to diag.
 */
int husk_cri_removed(husk_fs *view, const husk_docker_root *r, const char *ctrd_path,
                     const husk_docker_root *kubelet, const husk_ctrd_read *read,
                     husk_casedb *db, husk_diag *diag, husk_err *err);

#endif
