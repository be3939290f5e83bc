/*
 * Internals shared by the findings engine (findings.c) and its rule families
 * (findings_container.c, findings_upper.c, findings_host.c).
 *
 * A rule looks at one kind of object: a container (its row, host config and config as parsed
 * JSON, its mounts), a file of a container's upper layer (a files row of scope 'upper'), or a
 * file of the host's persistence locations (walked on the node's root file system). The
 * engine loads each object once and hands it to every rule of that kind.
 */
#ifndef HUSK_FINDINGS_INT_H
#define HUSK_FINDINGS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/findings.h"
#include "husk/node.h"
#include "husk/vfs.h"

/* Bounds on what the evidence can make husk hold. */
#define FIND_MAX_MOUNTS 1024     /* per container */
#define FIND_HEAD_MAX (1u << 20) /* bytes of a file's content the content rules look at */
#define FIND_PATH_MAX 4096

typedef struct fmount {
    char *type, *source, *destination; /* source: cleaned host path, NULL if not absolute */
    int rw;
} fmount;

/* What the engine keeps of each container for the whole run (no JSON: that is per rule pass). */
typedef struct fcontainer {
    char id[65];
    char label[80]; /* "/name" as Docker prints it, or the short ID */
    char state[24];
    char started[40], finished[40]; /* as in the containers row, "" when NULL */
    husk_window win;
    int privileged;
    char pod_uid[80];    /* Kubernetes pod UID, "" when not a CRI container */
    char sandbox_id[80]; /* the CRI sandbox, "" when none */
    const char *rights_src; /* where its rights were read: "hostconfig.json", or for a
                               containerd container "OCI spec" (in Docker's terms) */
    fmount *mounts;
    size_t nmounts;
} fcontainer;

/* A files row of a container's upper layer. */
typedef struct ufile {
    const fcontainer *c; /* NULL when the row's container is not in the containers table */
    const char *container_id, *path, *change, *type, *link_target, *host_path, *magic;
    int64_t mode, size, fs_id;
    int recovered; /* the row was rebuilt after a deletion: read it through the recovered view */
    /* content, loaded on the first rule that asks (ufile_head) */
    int head_state; /* 0 not tried, 1 loaded, -1 unavailable */
    char *head;
    size_t head_len;
    int head_truncated;
} ufile;

/* A file found at one of the host's persistence locations. */
typedef struct hfile {
    const char *path;     /* host path */
    const char *category; /* the location's category: "cron", "ssh-keys", "ld-preload", ... */
    husk_stat st;
    char *head; /* first FIND_HEAD_MAX bytes of a regular file, NUL-terminated; else NULL */
    size_t head_len;
} hfile;

typedef struct fctx {
    husk_casedb *db;
    sqlite3 *s;
    husk_node *node;
    husk_diag *diag;
    husk_err *err;
    int64_t *fs_ids; /* filesystems.id of node->fss[i] (0 when unknown) */
    husk_fs **views; /* recovered view of node->fss[i], built on first need (NULL: none) */
    int *view_tried;
    int root_fs;     /* index of the node's root file system (the one with /etc), or -1 */
    fcontainer *c;   /* sorted by id */
    size_t nc;
    int64_t first_start_ns; /* earliest StartedAt of any container */
    int have_first_start;
    unsigned findings;
} fctx;

typedef struct frule frule;

struct frule {
    const char *id;
    const char *severity;      /* the rule's severity */
    const char *weak_severity; /* for the weaker form some rules have (see each rule) */
    const char *title;
    int (*on_container)(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg);
    int (*on_upper)(fctx *f, const frule *r, ufile *u);
    int (*on_host)(fctx *f, const frule *r, hfile *h);
    const void *arg; /* rule-specific parameter of a shared check */
};

/*
 * Writes one finding. weak selects r->weak_severity. The evidence line is formatted, then
 * escaped for terminals (one line, no control characters) before it is stored.
 */
int finding_emit(fctx *f, const frule *r, int weak, const char *container_id, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The file system with filesystems.id fs_id, or NULL. */
husk_fs *fctx_fs(fctx *f, int64_t fs_id);
/* Reads at most max bytes of the regular file at path on fs (not following a symlink in the
 * last component) into a new NUL-terminated buffer. Returns 0, or a negative code (also when
 * the object is not a regular file). *truncated says whether the file is longer. */
int fs_read_head(husk_fs *fs, const char *path, size_t max, char **buf, size_t *len, int *truncated,
                 husk_stat *st, husk_err *err);
/* Content of an upper file, or NULL when it cannot be read. */
const char *ufile_head(fctx *f, ufile *u, size_t *len);

/* Case-insensitive search of needle in the first n bytes of hay (NULs included). */
const char *mem_find_ci(const char *hay, size_t n, const char *needle);
/* The file name part of a path. */
const char *path_base(const char *p);

/* Container rules (findings_container.c). */
int rule_privileged(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_cap(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_host_ns(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_mount_kind(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_tokens_in_reach(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_static_pod(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_devices(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_security_opt(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_masked_paths(fctx *, const frule *, const fcontainer *, json_t *, json_t *);
int rule_writable_cgroups(fctx *, const frule *, const fcontainer *, json_t *, json_t *);

/* Upper-layer rules (findings_upper.c). */
int rule_exec_in_tmp(fctx *, const frule *, ufile *);
int rule_bin_link_to_tmp(fctx *, const frule *, ufile *);
int rule_web_shell(fctx *, const frule *, ufile *);
int rule_uid0_account(fctx *, const frule *, ufile *);
int rule_shell_history(fctx *, const frule *, ufile *);
int rule_escape_tooling(fctx *, const frule *, ufile *);
int rule_escape_strings(fctx *, const frule *, ufile *);
int rule_download_exec(fctx *, const frule *, ufile *);
int rule_cryptominer(fctx *, const frule *, ufile *);
int rule_security_tool_removed(fctx *, const frule *, ufile *);
int rule_credential_dump(fctx *, const frule *, ufile *);
/* Lines of an /etc/passwd with uid 0 other than root's, joined with ", " into out. Returns
 * their number. */
int passwd_extra_uid0(const char *text, size_t len, char *out, size_t n);

/* Host rules (findings_host.c). */
int rule_host_changed(fctx *, const frule *, hfile *);
int rule_host_uid0(fctx *, const frule *, hfile *);
/* Walks the host's persistence locations on the root file system, writes a files row for
 * each file found and calls each host rule on it. */
int host_walk(fctx *f, const frule *rules, size_t nrules);

#endif
