/*
 * The case database (docs/case-db.md). This module owns every SQL statement that writes it;
 * every value is bound, never interpolated.
 *
 * Life cycle of an analysis: husk_casedb_create() makes a new file (refusing to overwrite
 * unless forced), creates every table and commits case_info with finished_at NULL; the
 * analysis writes in transactions; husk_casedb_finish() sets finished_at. A run that dies in
 * between leaves a database whose finished_at is NULL: plainly incomplete.
 */
#ifndef HUSK_CASEDB_H
#define HUSK_CASEDB_H

#include <stdint.h>

#include <sqlite3.h>

#include "husk/err.h"

#define HUSK_SCHEMA_VERSION 1

typedef struct husk_casedb husk_casedb;

int husk_casedb_create(const char *path, int force, husk_casedb **out, husk_err *err);
/* Opens an existing case database read-only, checking it is one (schema_version present). */
int husk_casedb_open_ro(const char *path, husk_casedb **out, husk_err *err);
void husk_casedb_close(husk_casedb *db);
sqlite3 *husk_casedb_sqlite(husk_casedb *db);

int husk_casedb_begin(husk_casedb *db, husk_err *err);
int husk_casedb_commit(husk_casedb *db, husk_err *err);
/* Brackets a statement that sorts many rows (CREATE INDEX, ORDER BY without an index; for a
 * query, its first sqlite3_step, which sorts): SQLite bounds a sort's memory by the page
 * cache, so the cache is small in between (2 MiB instead of 64) and the sort's runs go to
 * temporary files. Results are the same; the peak memory of an analysis no longer grows with
 * the rows it sorts (docs/performance.md). Brackets nest: only the outermost pair switches
 * the cache (each switch drops the cache's pages, so adjacent sorts share one). */
int husk_casedb_sort_begin(husk_casedb *db, husk_err *err);
int husk_casedb_sort_end(husk_casedb *db, husk_err *err);

int husk_casedb_set_info(husk_casedb *db, const char *key, const char *value, husk_err *err);
/* Returns a malloc'd copy of case_info[key] or NULL. */
char *husk_casedb_get_info(husk_casedb *db, const char *key);
int husk_casedb_add_segment(husk_casedb *db, int idx, const char *path, int64_t size,
                            const char *sha256, husk_err *err);
int husk_casedb_add_volume(husk_casedb *db, const char *kind, uint64_t offset, uint64_t length,
                           const char *description, int64_t parent_id, int64_t *id,
                           husk_err *err);
int husk_casedb_add_filesystem(husk_casedb *db, int64_t volume_id, uint64_t offset,
                               const char *fstype, const char *label, const char *uuid,
                               uint32_t block_size, uint64_t size, uint64_t root_inode,
                               int64_t *id, husk_err *err);
/* filesystems.journal of file system fs_id (src/casedb/replayed.c). */
int husk_casedb_set_fs_journal(husk_casedb *db, int64_t fs_id, const char *state,
                               husk_err *err);
int husk_casedb_add_data_root(husk_casedb *db, int64_t fs_id, const char *path,
                              const char *runtime, const char *driver, const char *how,
                              int64_t *id, husk_err *err);
/* Records where the node mounted file system fs_id, and the node paths of its data roots
 * (mount point + path). Call after its data roots are added. */
int husk_casedb_set_fs_mount(husk_casedb *db, int64_t fs_id, const char *mount_point,
                             husk_err *err);
int husk_casedb_add_error(husk_casedb *db, const char *phase, const char *object,
                          int64_t offset, const char *message);
/* Sets finished_at to now and commits. */
int husk_casedb_finish(husk_casedb *db, husk_err *err);

/* Current UTC time in the case database's format (RFC 3339, nine fraction digits). */
void husk_now_rfc3339(char *buf, size_t n);


/*
 * Row writers for the analysis tables. Strings may be NULL (stored as NULL). Every call binds
 * its values to a prepared statement kept for the life of db. Callers group writes in
 * husk_casedb_begin()/commit() transactions.
 */
typedef struct husk_row_image {
    const char *id, *repo_tags, *created, *os, *architecture, *config_json, *recovered_from;
    const char *repo_digests, *parent, *last_updated;
    int64_t size;      /* bytes of all its layers; HUSK_NULL_INT unknown */
    int64_t digest_ok; /* 1 when sha256(config) equals the ID, 0 when not */
    int64_t data_root_id;
} husk_row_image;

typedef struct husk_row_history {
    const char *image_id;
    int64_t idx;
    const char *created, *created_by;
    int empty_layer;
    const char *comment;
    int64_t size; /* the layer's own size for non-empty entries, else 0 */
    const char *chain_id;
} husk_row_history;

typedef struct husk_row_layer {
    const char *chain_id, *diff_id, *parent_chain_id, *cache_id;
    int64_t size; /* -1 = unknown */
    const char *integrity;
    int64_t data_root_id;
} husk_row_layer;

/* Integer fields use INT64_MIN for "unknown" (stored as NULL). */
#define HUSK_NULL_INT INT64_MIN

typedef struct husk_row_container {
    const char *id, *name, *image_id, *image_ref, *created, *started_at, *finished_at, *state;
    int64_t exit_code, pid, restart_count;
    const char *driver, *rw_layer, *path, *args, *entrypoint, *cmd, *env, *user, *working_dir,
        *labels, *log_driver;
    int64_t privileged;
    const char *pid_mode, *ipc_mode, *network_mode, *userns_mode, *cgroupns_mode, *uts_mode,
        *cap_add, *cap_drop, *security_opt, *devices, *masked_paths;
    int64_t readonly_rootfs;
    const char *binds, *config_json, *hostconfig_json, *recovered_from;
    double confidence;
    int64_t data_root_id;
    const char *runtime;    /* "docker" (when NULL) or "containerd" */
    const char *ns;         /* containerd namespace ("k8s.io", "moby", ...) */
    const char *pod_uid;    /* Kubernetes pod UID (CRI containers) */
    const char *sandbox_id; /* CRI: the pod sandbox's container ID */
} husk_row_container;

/* containerd records (src/casedb/containerd.c). */
typedef struct husk_row_ctrd_snapshot {
    int64_t data_root_id;
    const char *ns, *snapshotter, *key, *parent, *backend_name;
    int64_t backend_id;
    const char *kind, *created, *updated, *labels, *recovered_from;
} husk_row_ctrd_snapshot;
int husk_casedb_add_ctrd_snapshot(husk_casedb *db, const husk_row_ctrd_snapshot *r, husk_err *err);
typedef struct husk_row_ctrd_content {
    int64_t data_root_id;
    const char *ns, *digest;
    int64_t size;
    const char *created, *updated, *labels, *recovered_from;
} husk_row_ctrd_content;
int husk_casedb_add_ctrd_content(husk_casedb *db, const husk_row_ctrd_content *r, husk_err *err);
typedef struct husk_row_ctrd_lease {
    int64_t data_root_id;
    const char *ns, *id, *created, *labels, *resources, *recovered_from;
} husk_row_ctrd_lease;
int husk_casedb_add_ctrd_lease(husk_casedb *db, const husk_row_ctrd_lease *r, husk_err *err);
typedef struct husk_row_pod {
    const char *uid, *name, *ns, *sandbox_id, *created, *state, *hostname, *log_directory;
    int64_t host_network, host_pid, host_ipc;
    const char *labels, *annotations, *config_json, *recovered_from;
    double confidence;
    int64_t data_root_id;
} husk_row_pod;
int husk_casedb_add_pod(husk_casedb *db, const husk_row_pod *r, husk_err *err);
typedef struct husk_row_sa_token {
    const char *pod_uid, *volume, *path, *sha256, *header_json, *claims_json, *subject, *issuer,
        *issued_at, *expires_at;
    const char *token; /* NULL unless --keep-secrets */
    size_t token_len;
    int64_t data_root_id;
    const char *recovered_from; /* NULL: "live" */
    double confidence;
} husk_row_sa_token;
int husk_casedb_add_sa_token(husk_casedb *db, const husk_row_sa_token *r, husk_err *err);
typedef struct husk_row_kubelet_file {
    const char *kind, *path, *sha256;
    int64_t size;
    const char *mtime, *ctime;
    const char *content; /* NULL for a file with credentials, unless --keep-secrets */
    size_t content_len;
    int64_t filesystem_id;
} husk_row_kubelet_file;
int husk_casedb_add_kubelet_file(husk_casedb *db, const husk_row_kubelet_file *r, husk_err *err);
typedef struct husk_row_pod_log_link {
    const char *path, *target, *pod, *ns, *container, *container_id;
    int64_t filesystem_id;
} husk_row_pod_log_link;
int husk_casedb_add_pod_log_link(husk_casedb *db, const husk_row_pod_log_link *r, husk_err *err);

typedef struct husk_row_mount {
    const char *container_id, *type, *source, *destination;
    int64_t rw;
    const char *propagation, *volume_name;
} husk_row_mount;

typedef struct husk_row_file {
    const char *container_id, *layer, *scope, *path, *change, *type;
    int64_t mode, uid, gid, size;
    const char *mtime, *atime, *ctime, *crtime;
    int64_t inode;
    const char *sha256, *magic, *link_target, *recovered_from;
    double confidence;
    int64_t filesystem_id;
    const char *host_path;
} husk_row_file;

typedef struct husk_row_log {
    const char *container_id, *source, *file;
    int64_t seq;
    const char *time, *stream;
    const char *message; /* message_len bytes; stored as TEXT when valid UTF-8 without NUL,
                            otherwise as a BLOB of the exact bytes */
    size_t message_len;
    int partial;
    const char *recovered_from;
    double confidence;       /* how sure husk is of the line and of its container; <0 NULL */
    const char *attribution; /* how the line was tied to its container: NULL for lines read
                                from the container's own log files; for carved lines
                                'contiguity', 'time-window' or NULL when unattributed */
} husk_row_log;

typedef struct husk_row_finding {
    const char *container_id, *severity, *rule, *title, *evidence, *path;
} husk_row_finding;

typedef struct husk_row_timeline {
    const char *time, *source, *kind, *container_id, *path, *description;
} husk_row_timeline;

int husk_casedb_add_image(husk_casedb *db, const husk_row_image *r, husk_err *err);
int husk_casedb_add_history(husk_casedb *db, const husk_row_history *r, husk_err *err);
int husk_casedb_add_layer(husk_casedb *db, const husk_row_layer *r, husk_err *err);
int husk_casedb_add_container(husk_casedb *db, const husk_row_container *r, husk_err *err);
int husk_casedb_add_mount(husk_casedb *db, const husk_row_mount *r, husk_err *err);
int husk_casedb_add_file(husk_casedb *db, const husk_row_file *r, int64_t *id, husk_err *err);
/* Sets the sha256 and magic of the files row id (written before its bytes were hashed and
 * typed); a NULL leaves that column as it is. */
int husk_casedb_set_file_hash(husk_casedb *db, int64_t id, const char *sha256, const char *magic,
                              husk_err *err);
int husk_casedb_add_diff(husk_casedb *db, const char *container_id, const char *change,
                         const char *path, husk_err *err);
int husk_casedb_add_log(husk_casedb *db, const husk_row_log *r, husk_err *err);
int husk_casedb_add_finding(husk_casedb *db, const husk_row_finding *r, husk_err *err);
int husk_casedb_add_timeline(husk_casedb *db, const husk_row_timeline *r, husk_err *err);
/* Fills the timeline table from every timestamped column of the other tables (containers,
 * images, image_history, files, logs) with INSERT ... SELECT (src/casedb/timeline.c). Run it
 * last, once everything else of the analysis is written. */
int husk_timeline_build(husk_casedb *db, husk_err *err);

/* A Docker volume. labels/options/opts_json are compact JSON; recovered_from is "live" or
 * "bolt-free" (a record found on a free metadata.db page). */
typedef struct husk_row_docker_volume {
    const char *name, *driver, *labels, *options, *created, *mountpoint;
    int64_t data_root_id;
    const char *recovered_from, *opts_json;
} husk_row_docker_volume;
int husk_casedb_add_docker_volume(husk_casedb *db, const husk_row_docker_volume *r, husk_err *err);

/*
 * Carving merged into the case (src/casedb/carved.c; the carving itself is
 * src/recover/carve.c, the merge src/case/carve_merge.c).
 */
typedef struct husk_row_carved {
    int64_t filesystem_id;
    const char *kind;     /* husk_carve_kind_name() */
    uint64_t offset;      /* in the file system */
    const char *location; /* "unallocated", "journal" */
    int in_gzip;
    uint64_t gzip_offset;
    const uint8_t *data;
    size_t len;
    const char *sha256; /* hex of data */
} husk_row_carved;
int husk_casedb_add_carved(husk_casedb *db, const husk_row_carved *r, int64_t *id, husk_err *err);
/* What became of carved row id (see the carved table in schema.sql). */
int husk_casedb_set_carved_use(husk_casedb *db, int64_t id, const char *container_id,
                               const char *used_as, const char *attribution, double confidence,
                               int64_t logs_id, husk_err *err);
/* Removes a removed container's containers and mounts rows (before it is written again from
 * better evidence, e.g. a carved config for a container recovery knew by ID only). */
int husk_casedb_drop_container(husk_casedb *db, const char *id, husk_err *err);
/* Marks carved host configs whose bytes are a container's hostconfig.json as duplicates. */
int husk_casedb_carved_hostconfig_dups(husk_casedb *db, husk_err *err);
/* Adds the logs(time) index the carving merge looks duplicates up with. */
int husk_casedb_index_log_times(husk_casedb *db, husk_err *err);

typedef struct husk_row_recovery {
    const char *container_id, *item, *status;
    int64_t count;
    const char *method;
    double confidence;
    const char *detail;
} husk_row_recovery;
int husk_casedb_add_recovery(husk_casedb *db, const husk_row_recovery *r, husk_err *err);

/*
 * Journal replay (src/casedb/replayed.c): which rows of a file system that was read through a
 * replayed journal came out differently than the home blocks would have given. The listing
 * functions read every matching row first and then call cb once per row, so cb may write to
 * the database; cb returns 0 to go on or a negative code to stop with that error. The mark
 * functions set recovered_from = 'journal-replay' where it is NULL or 'live' (a more specific
 * provenance, such as a carved or free-page row, is kept).
 */
typedef int (*husk_casedb_file_cb)(void *ctx, int64_t file_id, int64_t inode, husk_err *err);
typedef int (*husk_casedb_path_cb)(void *ctx, const char *container_id, const char *path,
                                   husk_err *err);
/* files rows with filesystem_id = fs_id and an inode. */
int husk_casedb_each_fs_file(husk_casedb *db, int64_t fs_id, husk_casedb_file_cb cb, void *ctx,
                             husk_err *err);
/* containers of data roots on fs_id, with the path of their config.v2.json on that file
 * system. */
int husk_casedb_each_fs_container(husk_casedb *db, int64_t fs_id, husk_casedb_path_cb cb,
                                  void *ctx, husk_err *err);
/* distinct (container, log file path) of logs rows whose container's data root is on fs_id. */
int husk_casedb_each_fs_log_file(husk_casedb *db, int64_t fs_id, husk_casedb_path_cb cb,
                                 void *ctx, husk_err *err);
int husk_casedb_mark_replayed(husk_casedb *db, int64_t file_id, husk_err *err);
int husk_casedb_mark_container_replayed(husk_casedb *db, const char *container_id,
                                        husk_err *err);
int husk_casedb_mark_log_file_replayed(husk_casedb *db, const char *container_id,
                                       const char *file, husk_err *err);

#endif
