/*
 * overlay2 layer chains (include/husk/overlay2.h). Docker's own reader of the same data is
 * getLowerDirs() in daemon/graphdriver/overlay2/overlay.go (formats.md 1.3, 1.4); the
 * fallback follows the layer store (formats.md 2.3, 2.4).
 */
#include "husk/overlay2.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "husk/casedb.h"

#define MAX_LOWER_FILE (HUSK_OVL_MAX_LOWERS * 29 + 64) /* "l/" + 26 + ":" per entry */
#define MAX_ID_FILE 256                                /* mount-id, init-id, parent, ... */
#define MAX_LINK_TARGET 256 /* "../" + 64 hex + "-init" + "/diff" is 77 bytes */

int husk_ovl_valid_link(const char *s, size_t n)
{
    /* GenerateID(26): base32 StdEncoding letters and digits; accept [A-Z0-9] */
    if (n != 26)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

int husk_ovl_valid_layer_id(const char *s, size_t n, int allow_init)
{
    if (n == 64 + 5 && allow_init && memcmp(s + 64, "-init", 5) == 0)
        n = 64;
    if (n != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The inode of <root>/overlay2. The data root's own path may contain symlinks (a node that
 * moved /var/lib/docker elsewhere); everything below overlay2/ is looked up strictly. */
static int overlay2_dir(const husk_docker_root *r, uint64_t *ino, husk_err *err)
{
    char path[1024];
    husk_stat st;
    if (husk_docker_path(r, "overlay2", path, sizeof path) < 0)
        return husk_err_set(err, HUSK_E_LIMIT, "data root path too long");
    int rc = husk_fs_lookup(r->fs, path, HUSK_LOOKUP_FOLLOW, ino, err);
    if (rc < 0)
        return rc;
    if ((rc = husk_fs_stat(r->fs, *ino, &st, err)) < 0)
        return rc;
    if (st.type != HUSK_FT_DIR)
        return husk_err_set(err, HUSK_E_FORMAT, "%s is not a directory", path);
    return 0;
}

/* Looks up one name in dir and requires the given type (no symlink is ever followed). */
static int child_of_type(husk_fs *fs, uint64_t dir, const char *name, husk_ftype want,
                         uint64_t *ino, husk_err *err)
{
    husk_stat st;
    int rc = husk_fs_lookup_child(fs, dir, name, ino, err);
    if (rc < 0)
        return rc;
    if ((rc = husk_fs_stat(fs, *ino, &st, err)) < 0)
        return rc;
    if (st.type != want)
        return husk_err_set(err, HUSK_E_FORMAT, "'%s' is a %s, not a %s", name,
                            husk_ftype_name(st.type), husk_ftype_name(want));
    return 0;
}

int husk_ovl_layer_diff(const husk_docker_root *r, const char *id, uint64_t *ino, husk_err *err)
{
    husk_err local = {0};
    if (!err) /* husk_err_wrap needs somewhere to write */
        err = &local;
    uint64_t home, dir;
    int rc = overlay2_dir(r, &home, err);
    if (rc < 0)
        return rc;
    if ((rc = child_of_type(r->fs, home, id, HUSK_FT_DIR, &dir, err)) < 0)
        return husk_err_wrap(err, "layer directory overlay2/%s", id);
    if ((rc = child_of_type(r->fs, dir, "diff", HUSK_FT_DIR, ino, err)) < 0)
        return husk_err_wrap(err, "overlay2/%s/diff", id);
    return 0;
}

/* Adds a layer to the chain unless it is already in it (the kernel refuses overlapping
 * layers, so a repeat can only come from damage or a crafted file). */
static int chain_add(const husk_docker_root *r, husk_ovl_chain *c, const char *id, husk_err *err)
{
    if (c->nlower >= HUSK_OVL_MAX_LOWERS)
        return husk_err_set(err, HUSK_E_LIMIT, "layer chain longer than overlay2's %d layers",
                            HUSK_OVL_MAX_LOWERS);
    if (strcmp(id, c->upper.id) == 0)
        return husk_err_set(err, HUSK_E_FORMAT, "layer %s is its own lower layer (loop)", id);
    for (size_t i = 0; i < c->nlower; i++)
        if (strcmp(c->lower[i].id, id) == 0)
            return husk_err_set(err, HUSK_E_FORMAT, "layer %s appears twice in the chain (loop)",
                                id);
    husk_ovl_layer *l = &c->lower[c->nlower];
    snprintf(l->id, sizeof l->id, "%s", id);
    int rc = husk_ovl_layer_diff(r, id, &l->diff_ino, err);
    if (rc < 0)
        return rc;
    c->nlower++;
    return 0;
}

/* Resolves l/<link> to its layer directory name: the symlink must read "../<id>/diff". */
static int resolve_link(const husk_docker_root *r, uint64_t ldir, const char *link, char *id,
                        size_t idsize, husk_err *err)
{
    uint64_t ino;
    char t[MAX_LINK_TARGET];
    int rc = child_of_type(r->fs, ldir, link, HUSK_FT_SYMLINK, &ino, err);
    if (rc < 0)
        return husk_err_wrap(err, "short link l/%s", link);
    ssize_t n = husk_fs_readlink(r->fs, ino, t, sizeof t, err);
    if (n < 0)
        return (int)n;
    if ((size_t)n >= sizeof t)
        return husk_err_set(err, HUSK_E_FORMAT, "l/%s: link target too long", link);
    size_t len = (size_t)n;
    if (len < 3 + 5 || memcmp(t, "../", 3) != 0 || memcmp(t + len - 5, "/diff", 5) != 0 ||
        !husk_ovl_valid_layer_id(t + 3, len - 8, 1) || len - 8 >= idsize)
        return husk_err_set(err, HUSK_E_FORMAT, "l/%s points to '%s', not ../<layer>/diff", link,
                            t);
    memcpy(id, t + 3, len - 8);
    id[len - 8] = '\0';
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

/* The chain from overlay2/<mount-id>/lower, exactly as Docker hands it to the kernel. */
static int chain_from_lower_file(const husk_docker_root *r, husk_ovl_chain *c, husk_err *err)
{
    uint64_t home, dir, fino, ldir;
    char *data = NULL;
    size_t len = 0;
    int rc = overlay2_dir(r, &home, err);
    if (rc < 0)
        return rc;
    if ((rc = child_of_type(r->fs, home, c->upper.id, HUSK_FT_DIR, &dir, err)) < 0)
        return rc;
    if ((rc = child_of_type(r->fs, dir, "lower", HUSK_FT_FILE, &fino, err)) < 0)
        return husk_err_wrap(err, "overlay2/%s/lower", c->upper.id);
    if ((rc = husk_fs_read_all(r->fs, fino, MAX_LOWER_FILE, &data, &len, err)) < 0)
        return husk_err_wrap(err, "overlay2/%s/lower (more than %d entries?)", c->upper.id,
                             HUSK_OVL_MAX_LOWERS);
    if (memchr(data, '\0', len)) {
        free(data);
        return husk_err_set(err, HUSK_E_FORMAT, "overlay2/%s/lower holds NUL bytes", c->upper.id);
    }
    trim(data);
    if ((rc = child_of_type(r->fs, home, "l", HUSK_FT_DIR, &ldir, err)) < 0) {
        free(data);
        return husk_err_wrap(err, "overlay2/l");
    }
    size_t idx = 0;
    char *save = NULL;
    for (char *e = data; rc == 0 && e; e = save, idx++) {
        save = strchr(e, ':');
        if (save)
            *save++ = '\0';
        char id[72];
        if (strncmp(e, "l/", 2) != 0 || !husk_ovl_valid_link(e + 2, strlen(e + 2))) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "lower entry %zu '%.80s' is not l/<26 of A-Z0-9>",
                              idx, e);
            break;
        }
        if ((rc = resolve_link(r, ldir, e + 2, id, sizeof id, err)) < 0)
            break;
        /* only the topmost lower is an init layer; one deeper down was not made by Docker */
        if (idx > 0 && strlen(id) != 64) {
            rc = husk_err_set(err, HUSK_E_FORMAT, "init layer %s below the top of the chain", id);
            break;
        }
        rc = chain_add(r, c, id, err);
    }
    free(data);
    return rc;
}

/* Reads a one-line layer-store file below image/overlay2/layerdb/ into out (trimmed). */
static int read_layerdb(const husk_docker_root *r, const char *rel, char *out, size_t n,
                        husk_err *err)
{
    char path[512], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "image/overlay2/layerdb/%s", rel);
    int rc = husk_docker_read(r, path, MAX_ID_FILE, &data, &len, err);
    if (rc < 0)
        return rc;
    snprintf(out, n, "%s", data);
    free(data);
    trim(out);
    return 0;
}

/* The chain from the layer store: init-id, then parent -> cache-id down to the base layer. */
static int chain_from_layerdb(const husk_docker_root *r, const char *cid, husk_ovl_chain *c,
                              husk_diag *diag, husk_err *err)
{
    char rel[256], v[MAX_ID_FILE], chains[HUSK_OVL_MAX_LOWERS][65];
    size_t nchains = 0;
    husk_err e = {0};
    if (!cid || !husk_is_hex64(cid, strlen(cid)))
        return husk_err_set(err, HUSK_E_NOTFOUND, "no container ID to look up in layerdb");
    snprintf(rel, sizeof rel, "mounts/%s/init-id", cid);
    if (read_layerdb(r, rel, v, sizeof v, &e) == 0) {
        if (!husk_ovl_valid_layer_id(v, strlen(v), 1) || strlen(v) != 69)
            return husk_err_set(err, HUSK_E_FORMAT, "layerdb init-id '%.80s' is not <64 hex>-init",
                                v);
        if (strncmp(v, c->upper.id, 64) != 0)
            husk_diag_report(diag, "diff", cid, -1, "init layer %s does not belong to mount %s", v,
                             c->upper.id);
        int rc = chain_add(r, c, v, err);
        if (rc < 0)
            return rc;
    } else {
        /* Docker gives every container an init layer: without one this is not its record */
        if (err)
            *err = e;
        return husk_err_wrap(err, "layerdb/mounts/%s/init-id", cid);
    }
    snprintf(rel, sizeof rel, "mounts/%s/parent", cid);
    e.code = 0;
    int rc = read_layerdb(r, rel, v, sizeof v, &e);
    if (rc < 0) /* a container from scratch has no parent */
        return e.code == HUSK_E_NOTFOUND ? 0 : (*err = e, -e.code);
    for (;;) {
        if (strncmp(v, "sha256:", 7) != 0 || !husk_is_hex64(v + 7, strlen(v + 7)))
            return husk_err_set(err, HUSK_E_FORMAT, "layerdb parent '%.80s' is not sha256:<64 hex>",
                                v);
        for (size_t i = 0; i < nchains; i++)
            if (strcmp(chains[i], v + 7) == 0)
                return husk_err_set(err, HUSK_E_FORMAT, "layerdb chain %s is its own ancestor",
                                    v + 7);
        if (nchains >= HUSK_OVL_MAX_LOWERS)
            return husk_err_set(err, HUSK_E_LIMIT, "layerdb chain longer than %d layers",
                                HUSK_OVL_MAX_LOWERS);
        memcpy(chains[nchains++], v + 7, 65);
        char chain[65];
        memcpy(chain, v + 7, 65);
        snprintf(rel, sizeof rel, "sha256/%s/cache-id", chain);
        if ((rc = read_layerdb(r, rel, v, sizeof v, err)) < 0)
            return husk_err_wrap(err, "layerdb/sha256/%s/cache-id", chain);
        if (!husk_is_hex64(v, strlen(v)))
            return husk_err_set(err, HUSK_E_FORMAT, "layerdb cache-id '%.80s' is not 64 hex", v);
        if ((rc = chain_add(r, c, v, err)) < 0)
            return rc;
        snprintf(rel, sizeof rel, "sha256/%s/parent", chain);
        e.code = 0;
        if (read_layerdb(r, rel, v, sizeof v, &e) < 0)
            return e.code == HUSK_E_NOTFOUND ? 0 : (*err = e, -e.code);
    }
}

int husk_ovl_chain_resolve(const husk_docker_root *r, const char *mount_id,
                           const char *container_id, husk_ovl_chain *out, husk_diag *diag,
                           husk_err *err)
{
    husk_err local = {0};
    if (!err)
        err = &local;
    memset(out, 0, sizeof *out);
    if (!mount_id || !husk_ovl_valid_layer_id(mount_id, strlen(mount_id), 0))
        return husk_err_set(err, HUSK_E_FORMAT, "mount-id '%.80s' is not 64 hex characters",
                            mount_id ? mount_id : "");
    snprintf(out->upper.id, sizeof out->upper.id, "%s", mount_id);
    int rc = husk_ovl_layer_diff(r, mount_id, &out->upper.diff_ino, err);
    if (rc < 0)
        return rc;
    husk_err why = {0};
    if (chain_from_lower_file(r, out, &why) == 0) {
        out->how = "lower file";
        return 0;
    }
    /* what the kernel was given cannot be rebuilt: use what the layer store says instead */
    out->nlower = 0;
    husk_err e2 = {0};
    if (chain_from_layerdb(r, container_id, out, diag, &e2) == 0) {
        out->how = "layerdb";
        husk_diag_report(diag, "diff", mount_id, -1,
                         "lower chain rebuilt from layerdb (%s/lower unusable: %s)", mount_id,
                         why.msg);
        return 0;
    }
    out->nlower = 0;
    return husk_err_set(err, why.code ? why.code : HUSK_E_FORMAT,
                        "no usable lower chain: %s; layerdb: %s", why.msg, e2.msg);
}

/* ---- orphan layer directories ------------------------------------------------------------ */

typedef struct orphan_ctx {
    const husk_docker_root *r;
    husk_casedb *db;
    sqlite3_stmt *ref;
    uint64_t dir;
    int rc;
    unsigned found;
    husk_err *err;
} orphan_ctx;

static int count_entry(const husk_dirent *d, void *ctx)
{
    (*(uint64_t *)ctx)++;
    return 0;
}

static int orphan_cb(const husk_dirent *d, void *vctx)
{
    orphan_ctx *x = vctx;
    if (d->deleted || !husk_ovl_valid_layer_id(d->name, d->name_len, 1))
        return 0;
    char id[72];
    snprintf(id, sizeof id, "%.*s", (int)d->name_len, d->name);
    size_t base = d->name_len == 69 ? 64 : d->name_len; /* "<mount-id>-init" */
    sqlite3_reset(x->ref);
    sqlite3_bind_text(x->ref, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(x->ref, 2, id, (int)base, SQLITE_TRANSIENT);
    sqlite3_bind_int64(x->ref, 3, x->r->db_id);
    if (sqlite3_step(x->ref) == SQLITE_ROW)
        return 0; /* referenced */
    if (x->found++ >= 10000)
        return 1; /* a crafted data root: enough said */
    uint64_t diff, entries = 0;
    husk_err e = {0};
    char detail[256];
    if (child_of_type(x->r->fs, d->inode, "diff", HUSK_FT_DIR, &diff, &e) == 0 &&
        husk_fs_list_dir(x->r->fs, diff, count_entry, &entries, &e) == 0)
        snprintf(detail, sizeof detail,
                 "overlay2/%s is referenced by no image layer and no container; its diff/ "
                 "holds %llu entries",
                 id, (unsigned long long)entries);
    else
        snprintf(detail, sizeof detail,
                 "overlay2/%s is referenced by no image layer and no container; it has no "
                 "readable diff/",
                 id);
    husk_row_recovery row = {NULL, "orphan-layer", "found", (int64_t)entries, "live", -1, detail};
    if (husk_casedb_add_recovery(x->db, &row, x->err) < 0) {
        x->rc = -1;
        return -1;
    }
    return 0;
}

int husk_ovl_orphans(const husk_docker_root *r, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    orphan_ctx x = {.r = r, .db = db, .err = err};
    husk_err e = {0};
    if (overlay2_dir(r, &x.dir, &e) < 0)
        return 0; /* no overlay2 store here */
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT 1 FROM layers WHERE cache_id = ?1 AND data_root_id = ?3 "
                           "UNION ALL SELECT 1 FROM containers WHERE rw_layer = ?2 AND "
                           "data_root_id = ?3 LIMIT 1",
                           -1, &x.ref, NULL) != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database query: %s",
                            sqlite3_errmsg(husk_casedb_sqlite(db)));
    if (husk_fs_list_dir(r->fs, x.dir, orphan_cb, &x, &e) < 0 && x.rc == 0)
        husk_diag_report(diag, "recovery", "overlay2", -1, "cannot list: %s", e.msg);
    sqlite3_finalize(x.ref);
    return x.rc;
}
