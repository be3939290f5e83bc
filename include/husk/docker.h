/*
 * Docker's view of a node, rebuilt from a Docker data root (graph-driver layout, overlay2):
 * images and layers, containers with their config and host config, and the per-container
 * readers (logs, diff) that write into the case database.
 *
 * Parsers take bytes plus provenance (husk_prov), so live files and recovered bytes go through
 * the same code and land in the same tables, differing only in recovered_from/confidence.
 */
#ifndef HUSK_DOCKER_H
#define HUSK_DOCKER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/progress.h"
#include "husk/vfs.h"

extern const husk_prov HUSK_PROV_LIVE;

typedef struct husk_docker_opts {
    int hash_images; /* --hash-images: add files rows for image layers' files too */
    int keep_secrets; /* --keep-secrets: store service-account tokens and kubeconfigs
                         themselves, not only their hashes and claims */
    const husk_progress *progress; /* optional: per container and volume */
    int no_recover; /* --no-recover: no removed containers (containerd: no free-page scan) */
} husk_docker_opts;

/* A Docker data root on an opened file system. */
typedef struct husk_docker_root {
    husk_fs *fs;
    char path[512];     /* the data root's path on fs ("/var/lib/docker", or "/") */
    char driver[32];    /* graph driver ("overlay2") */
    int64_t db_id;      /* data_roots.id */
    int64_t fs_db_id;   /* filesystems.id */
    const husk_docker_opts *opts;
} husk_docker_root;

/* Joins the data root's path and a relative path ("containers/<id>/config.v2.json") into out. */
int husk_docker_path(const husk_docker_root *r, const char *rel, char *out, size_t n);
/* Reads a whole small file below the data root (at most max bytes) into a new NUL-terminated
 * buffer. HUSK_E_NOTFOUND when absent. */
int husk_docker_read(const husk_docker_root *r, const char *rel, size_t max, char **data,
                     size_t *len, husk_err *err);
/* Calls cb for every entry of the directory rel below the data root. */
int husk_docker_list(const husk_docker_root *r, const char *rel, husk_dir_cb cb, void *ctx,
                     husk_err *err);
/* The 64-hex names in a store directory (containers/, imagedb/content/sha256, layerdb/...). */
typedef struct husk_id_list {
    char (*v)[72]; /* NUL-terminated names */
    size_t n, cap;
    size_t skipped; /* entries that are not 64-hex names (temporary, foreign or crafted) */
} husk_id_list;
/* Lists the 64-hex names of directory rel below the data root (at most one million). */
int husk_docker_list_ids(const husk_docker_root *r, const char *rel, husk_id_list *out,
                         husk_err *err);
void husk_id_list_free(husk_id_list *l);
/* 1 when s is exactly 64 lowercase hex characters. */
int husk_is_hex64(const char *s, size_t len);
/* SHA-256 of a buffer as 64 lowercase hex characters. */
void husk_sha256_hex(const void *data, size_t len, char out[65]);

typedef struct husk_container {
    char id[65];          /* 64 lowercase hex */
    char name[256];       /* without the leading '/' */
    json_t *config;       /* config.v2.json, parsed (owned); NULL when missing or damaged */
    json_t *hostconfig;   /* hostconfig.json, parsed (owned); NULL when missing or damaged */
    char *config_raw;     /* the bytes as found (owned, NUL-terminated), NULL if absent */
    char *hostconfig_raw;
    char state[16];       /* created, running, paused, restarting, exited, dead, removed */
    char driver[32];      /* config.v2.json Driver */
    char mount_id[80];    /* layerdb/mounts/<id>/mount-id: the overlay2 RW layer directory */
    char init_id[96];     /* layerdb/mounts/<id>/init-id */
    char parent_chain[80];/* layerdb/mounts/<id>/parent: the image's top layer chain ID */
    char log_driver[32];  /* hostconfig LogConfig.Type */
    husk_prov prov;
} husk_container;

/* Parses config.v2.json and hostconfig.json bytes (either may be NULL) into c. id_hint is the
 * directory name the files came from, used when the config is missing or damaged. Returns 0
 * when at least the ID is known; damage to one file is reported in err but the rest is kept. */
int husk_container_parse(const char *id_hint, const char *cfg, size_t cfglen, const char *hc,
                         size_t hclen, const husk_prov *prov, husk_container *c, husk_err *err);
void husk_container_free(husk_container *c);
/* JSON helpers over a parsed config: NULL/defaults when absent or of the wrong type. */
const char *husk_json_str(json_t *obj, const char *path); /* "State.StartedAt" */
int64_t husk_json_int(json_t *obj, const char *path, int64_t dflt);
json_t *husk_json_get(json_t *obj, const char *path);
/* Go's zero time and "" become NULL; other RFC 3339 times become the case database's form
 * (UTC, nine fraction digits) in out. Returns out or NULL. */
const char *husk_rfc3339_norm(const char *in, char *out, size_t n);

/* Phases, each in its own module. Each reports damage to diag and goes on; an error return
 * means the case database could not be written. */
int husk_docker_images(const husk_docker_root *r, husk_casedb *db, husk_diag *diag, husk_err *err);
/* Reads every containers/<id>/ directory and calls each per-container phase below. */
int husk_docker_containers(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                           husk_err *err);
/* src/logs/docker_logs.c: json-file (rotated, gzip), local, container-cached.log. */
int husk_docker_logs(const husk_docker_root *r, const husk_container *c, husk_casedb *db,
                     husk_diag *diag, husk_err *err);
/* src/analysis/diff.c: the container's upper directory against its lower chain. */
int husk_docker_diff(const husk_docker_root *r, const husk_container *c, husk_casedb *db,
                     husk_diag *diag, husk_err *err);
/* Between husk_diff_defer() and husk_diff_settle(), a diff may return before the sha256 and
 * magic of all its files rows are set: the rows are written, the hashing and typing go on on
 * other cores (over the next containers' logs and walks, and later phases) and the columns
 * are set later on the same case database. husk_diff_settle() of the outermost pair waits for
 * all of them and stops the worker threads; inner ones only set what is ready. Nothing may
 * read files.sha256 or files.magic, or close the case database, before the outermost settle. */
void husk_diff_defer(void);
int husk_diff_settle(husk_err *err);
/* Whether diffs give regular upper files a libmagic type (files.magic; on by default).
 * husk analyse --no-types turns it off; the SHA-256 is computed either way. */
void husk_diff_set_types(int on);
/* src/runtime/volumes.c: named volumes (volumes/metadata.db, volumes/<name>/_data). */
int husk_docker_volumes(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                        husk_err *err);

/* Containers removed with docker rm: view is the data root on a recovered view of its file
 * system (include/husk/recover.h); every container directory the live file system no longer
 * has is read like a live one and written with state "removed" and the provenance of what
 * could be rebuilt (config, host config, logs, upper layer). */
int husk_docker_removed(const husk_docker_root *view, husk_casedb *db, husk_diag *diag,
                        husk_err *err);
/* A removed container known only from carved bytes: its config.v2.json and the
 * hostconfig.json attributed to it (hc NULL when none), written with state "removed" and
 * provenance prov, with its mounts. r names the data root it was carved near. Returns 1 when
 * the bytes do not parse as a container config (nothing written), 0 when written. */
int husk_docker_write_carved(const husk_docker_root *r, const char *cfg, size_t cfglen,
                             const char *hc, size_t hclen, const husk_prov *prov,
                             husk_casedb *db, husk_diag *diag, husk_err *err);

/* Runs every phase on one data root. */
int husk_docker_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                        husk_err *err);

#endif
