/*
 * A container's layers for export (include/husk/export.h): the case database says which
 * evidence, file system, data root and RW layer; the evidence is opened again (read-only)
 * and the overlay2 chain resolved on it as `husk analyse` did. A removed container is read
 * through the recovered view of its file system; when its lower file and links are gone the
 * chain is rebuilt from the case database (the image's diff-ids through the layers table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "husk/docker.h"
#include "husk/caseev.h"
#include "husk/export.h"
#include "husk/overlay2.h"
#include "husk/recover.h"

static int db_err(husk_casedb *db, husk_err *err, const char *what)
{
    return husk_err_set(err, HUSK_E_DB, "cannot read the case database (%s): %s", what,
                        sqlite3_errmsg(husk_casedb_sqlite(db)));
}

static void col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

typedef struct crow {
    char state[16], rw_layer[80], image_id[80], driver[32], from[32], name[256];
    double conf;
    int64_t root_id;
} crow;

static int read_container(husk_casedb *db, const char *id, crow *c, husk_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT state, rw_layer, image_id, driver, recovered_from, "
                           "confidence, data_root_id, name FROM containers WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(db, err, "containers");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        col(st, 0, c->state, sizeof c->state);
        col(st, 1, c->rw_layer, sizeof c->rw_layer);
        col(st, 2, c->image_id, sizeof c->image_id);
        col(st, 3, c->driver, sizeof c->driver);
        col(st, 4, c->from, sizeof c->from);
        c->conf = sqlite3_column_type(st, 5) == SQLITE_NULL ? 1.0 : sqlite3_column_double(st, 5);
        c->root_id = sqlite3_column_int64(st, 6);
        col(st, 7, c->name, sizeof c->name);
    } else {
        rc = husk_err_set(err, HUSK_E_NOTFOUND, "container %s is not in the case", id);
    }
    sqlite3_finalize(st);
    return rc;
}

typedef struct rootrow {
    char path[512], driver[96], fstype[16], uuid[40];
    int64_t offset, fs_id, nth; /* nth: rows of the same (offset, fstype, uuid) before it */
} rootrow;

static int read_root(husk_casedb *db, int64_t root_id, rootrow *r, husk_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT d.path, d.storage_driver, f.offset, f.fstype, "
                           "coalesce(f.uuid, ''), f.id, (SELECT count(*) FROM filesystems g "
                           "WHERE g.offset = f.offset AND g.fstype = f.fstype AND "
                           "coalesce(g.uuid, '') = coalesce(f.uuid, '') AND g.id < f.id) "
                           "FROM data_roots d JOIN filesystems f ON f.id = d.filesystem_id "
                           "WHERE d.id = ?1 AND d.runtime = 'docker'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(db, err, "data_roots");
    sqlite3_bind_int64(st, 1, root_id);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        col(st, 0, r->path, sizeof r->path);
        col(st, 1, r->driver, sizeof r->driver);
        r->offset = sqlite3_column_int64(st, 2);
        col(st, 3, r->fstype, sizeof r->fstype);
        col(st, 4, r->uuid, sizeof r->uuid);
        r->fs_id = sqlite3_column_int64(st, 5);
        r->nth = sqlite3_column_int64(st, 6);
    } else {
        rc = husk_err_set(err, HUSK_E_NOTFOUND, "the container's Docker data root is not in "
                                                "the case");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The image layer's diff-id for an overlay2 directory (its cache-id), "" when unknown. */
static void diff_id_of(husk_casedb *db, const char *cache_id, int64_t root_id, char *out,
                       size_t n)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT diff_id FROM layers WHERE cache_id = ?1 AND "
                           "(data_root_id = ?2 OR data_root_id IS NULL) LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, cache_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, root_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        col(st, 0, out, n);
    sqlite3_finalize(st);
}

/*
 * The chain from the case database: the image's rootfs.diff_ids, each mapped to its layer
 * (chain) through the layers table, topmost first into ids[]. Returns how many.
 */
static size_t image_layers_from_db(husk_casedb *db, const char *image_id, int64_t root_id,
                                   char (*ids)[72], size_t max, husk_diag *diag)
{
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_stmt *st = NULL;
    json_t *cfg = NULL;
    if (sqlite3_prepare_v2(s, "SELECT config_json FROM images WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, image_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        cfg = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    json_t *diffs = husk_json_get(cfg, "rootfs.diff_ids");
    size_t n = json_is_array(diffs) ? json_array_size(diffs) : 0, got = 0;
    char chain[80] = "", bottom_up[HUSK_OVL_MAX_LOWERS][72];
    if (n > max || n > HUSK_OVL_MAX_LOWERS)
        n = 0;
    if (sqlite3_prepare_v2(s,
                           "SELECT chain_id, cache_id FROM layers WHERE diff_id = ?1 AND "
                           "coalesce(parent_chain_id, '') = ?2 AND (data_root_id = ?3 OR "
                           "data_root_id IS NULL) LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(diffs, i));
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, d ? d : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, chain, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, root_id);
        if (!d || sqlite3_step(st) != SQLITE_ROW) {
            husk_diag_report(diag, "export", image_id, -1,
                             "image layer %zu (%s) is not in the case's layers table", i,
                             d ? d : "?");
            got = 0;
            break;
        }
        col(st, 0, chain, sizeof chain);
        col(st, 1, bottom_up[got], sizeof bottom_up[got]);
        got++;
    }
    sqlite3_finalize(st);
    json_decref(cfg);
    for (size_t i = 0; i < got; i++)
        snprintf(ids[i], sizeof ids[i], "%s", bottom_up[got - 1 - i]);
    return got;
}

static void set_layer(husk_casedb *db, husk_export_layer *l, const char *dir, uint64_t ino,
                      int is_upper, int64_t root_id)
{
    l->diff_ino = ino;
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    size_t n = strlen(dir);
    if (is_upper) {
        snprintf(l->kind, sizeof l->kind, "upper");
        snprintf(l->origin, sizeof l->origin, "upper");
    } else if (n > 5 && strcmp(dir + n - 5, "-init") == 0) {
        snprintf(l->kind, sizeof l->kind, "init");
        snprintf(l->origin, sizeof l->origin, "init");
    } else {
        snprintf(l->kind, sizeof l->kind, "image");
        diff_id_of(db, dir, root_id, l->origin, sizeof l->origin);
        if (!l->origin[0])
            snprintf(l->origin, sizeof l->origin, "overlay2:%s", dir);
    }
}

int husk_export_open(husk_casedb *db, const char *id, const husk_export_open_opts *o,
                     husk_export_source *src, husk_diag *diag, husk_err *err)
{
    memset(src, 0, sizeof *src);
    crow c;
    rootrow rr;
    memset(&c, 0, sizeof c);
    int rc = read_container(db, id, &c, err);
    if (rc < 0)
        return rc;
    snprintf(src->id, sizeof src->id, "%s", id);
    snprintf(src->name, sizeof src->name, "%s", c.name);
    snprintf(src->state, sizeof src->state, "%s", c.state);
    snprintf(src->recovered_from, sizeof src->recovered_from, "%s", c.from[0] ? c.from : "live");
    src->confidence = c.conf;
    if (c.driver[0] && strcmp(c.driver, "overlay2") != 0)
        return husk_err_set(err, HUSK_E_UNSUPPORTED,
                            "container %s uses the %s storage driver; husk exports overlay2 "
                            "containers",
                            c.name[0] ? c.name : id, c.driver);
    if (!husk_ovl_valid_layer_id(c.rw_layer, strlen(c.rw_layer), 0))
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "the case knows no RW layer (overlay2 mount-id) for container %s%s",
                            c.name[0] ? c.name : id,
                            strcmp(c.state, "removed") == 0
                                ? ": recovery found none of its layer records, so there is no "
                                  "file system to export"
                                : "");
    if ((rc = read_root(db, c.root_id, &rr, err)) < 0)
        return rc;

    rc = husk_case_open_evidence(db, o ? o->evidence : NULL, o ? &o->open : NULL,
                                 o && o->force_replay_opt, &src->node, diag, err);
    if (rc < 0)
        return err->code == HUSK_E_ARG && !(o && o->evidence)
                   ? husk_err_wrap(err, "give the evidence with --evidence")
                   : rc;
    long which = husk_case_node_fs(db, src->node, rr.fs_id);
    husk_fs *live = which >= 0 ? src->node->fss[which].fs : NULL;
    if (!live) {
        husk_export_close(src);
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "the evidence has no %s file system at byte %lld like the one the "
                            "case analysed (was the case made with -O or -f? give the same "
                            "options, or --evidence)",
                            rr.fstype, (long long)rr.offset);
    }
    src->fs = live;
    if (strcmp(c.state, "removed") == 0) {
        rc = husk_recovered_view(live, diag, &src->view, err);
        if (rc < 0) {
            husk_export_close(src);
            return husk_err_wrap(err, "container %s was removed and its file system has no "
                                      "recovered view",
                                 c.name[0] ? c.name : id);
        }
        src->fs = src->view;
    }

    husk_docker_root r = {.fs = src->fs, .db_id = c.root_id, .fs_db_id = rr.fs_id};
    snprintf(r.path, sizeof r.path, "%s", rr.path);
    snprintf(r.driver, sizeof r.driver, "%.*s", (int)strcspn(rr.driver, ","), rr.driver);
    husk_ovl_chain *chain = calloc(1, sizeof *chain);
    if (!chain) {
        husk_export_close(src);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    husk_err ce = {0};
    if (husk_ovl_chain_resolve(&r, c.rw_layer, id, chain, diag, &ce) == 0) {
        set_layer(db, &src->layers[0], chain->upper.id, chain->upper.diff_ino, 1, c.root_id);
        for (size_t i = 0; i < chain->nlower; i++)
            set_layer(db, &src->layers[i + 1], chain->lower[i].id, chain->lower[i].diff_ino, 0,
                      c.root_id);
        src->nlayers = chain->nlower + 1;
        snprintf(src->chain_how, sizeof src->chain_how, "%s", chain->how ? chain->how : "");
        free(chain);
        return 0;
    }
    free(chain);
    /* the lower file or its links are gone (a removed container): the case database knows
     * the image's layers */
    uint64_t ino;
    husk_err le = {0};
    if (husk_ovl_layer_diff(&r, c.rw_layer, &ino, &le) < 0) {
        husk_export_close(src);
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "the upper directory of container %s (overlay2/%s/diff) is not on "
                            "the evidence%s: %s",
                            c.name[0] ? c.name : id, c.rw_layer,
                            src->view ? " nor in what recovery rebuilt" : "", le.msg);
    }
    set_layer(db, &src->layers[0], c.rw_layer, ino, 1, c.root_id);
    src->nlayers = 1;
    char init[80];
    snprintf(init, sizeof init, "%s-init", c.rw_layer);
    if (husk_ovl_layer_diff(&r, init, &ino, NULL) == 0)
        set_layer(db, &src->layers[src->nlayers++], init, ino, 0, c.root_id);
    else
        husk_diag_report(diag, "export", id, -1,
                         "init layer %s not found: /etc/hosts, /etc/resolv.conf and the like "
                         "are missing from the export",
                         init);
    char (*ids)[72] = calloc(HUSK_OVL_MAX_LOWERS, sizeof *ids);
    size_t n = ids ? image_layers_from_db(db, c.image_id, c.root_id, ids,
                                          HUSK_OVL_MAX_LOWERS - 1, diag)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        if (!husk_ovl_valid_layer_id(ids[i], strlen(ids[i]), 0) ||
            husk_ovl_layer_diff(&r, ids[i], &ino, NULL) < 0) {
            husk_diag_report(diag, "export", id, -1, "image layer directory overlay2/%s missing",
                             ids[i]);
            continue;
        }
        set_layer(db, &src->layers[src->nlayers++], ids[i], ino, 0, c.root_id);
    }
    free(ids);
    if (n == 0)
        husk_diag_report(diag, "export", id, -1,
                         "the image's layers are unknown (%s): only the container's own layers "
                         "are exported",
                         ce.msg);
    snprintf(src->chain_how, sizeof src->chain_how, "case database");
    return 0;
}

void husk_export_close(husk_export_source *src)
{
    if (src->view)
        husk_fs_close(src->view);
    src->view = NULL;
    if (src->node)
        husk_node_close(src->node);
    src->node = NULL;
}
