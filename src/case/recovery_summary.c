/*
 * The per-case recovery summary (src/case/carve_merge.h): for every removed container, what
 * came back (identity, config, host config, logs, files), how and how surely, and what did not
 * and why, in words an examiner can put in a report. The why comes from the recovery notes
 * that the readers left in the errors table while they ran on the recovered view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "carve_merge.h"

typedef struct ctr {
    char id[65];
    int has_name, has_cfg, has_hc;
    int ctrd; /* a containerd container: its config is the OCI spec of its meta.db record, and
                 it has no host config of its own */
    char from[32];
    double conf;
} ctr;

/* The first recovery note about this container's file rel ("config.v2.json"), or dflt. */
static void why(sqlite3 *db, const char *id, const char *rel, const char *dflt, char *out,
                size_t n)
{
    sqlite3_stmt *st = NULL;
    char pat[160];
    snprintf(pat, sizeof pat, "%%%s%%%s%%", id, rel);
    snprintf(out, n, "%s", dflt);
    if (sqlite3_prepare_v2(db,
                           "SELECT message FROM errors WHERE phase = 'recovery' AND "
                           "(object LIKE ?1 OR message LIKE ?1) ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* count, distinct methods, average confidence and rows below 0.5 of table's rows of id. */
static void tally(sqlite3 *db, const char *table, const char *id, int64_t *count, char *methods,
                  size_t mn, double *conf, int64_t *weak)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*), group_concat(DISTINCT recovered_from), avg(confidence), "
             "sum(confidence < 0.5) FROM %s WHERE container_id = ?",
             table);
    sqlite3_stmt *st = NULL;
    *count = *weak = 0;
    *conf = -1;
    methods[0] = '\0';
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        if (sqlite3_column_text(st, 1))
            snprintf(methods, mn, "%s", (const char *)sqlite3_column_text(st, 1));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            *conf = sqlite3_column_double(st, 2);
        *weak = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
}

static int one(husk_casedb *db, const ctr *c, husk_err *err)
{
    sqlite3 *s = husk_casedb_sqlite(db);
    char detail[512], methods[160];
    husk_row_recovery r = {.container_id = c->id, .count = HUSK_NULL_INT, .confidence = -1};

    r.item = "identity";
    r.status = c->has_name ? "recovered" : "partial";
    r.method = c->from;
    r.confidence = c->conf;
    r.detail = c->has_name ? "full ID and name"
                           : "full ID only (a name in a deleted directory); the name is in "
                             "config.v2.json, which did not survive";
    int rc = husk_casedb_add_recovery(db, &r, err);

    static const struct {
        const char *item, *file;
    } cfgs[] = {{"config", "config.v2.json"}, {"hostconfig", "hostconfig.json"}};
    for (int i = 0; rc == 0 && i < (c->ctrd ? 1 : 2); i++) {
        int have = i == 0 ? c->has_cfg : c->has_hc;
        r.item = cfgs[i].item;
        r.status = have ? "recovered" : "not-recovered";
        r.method = have ? c->from : NULL;
        r.confidence = have ? c->conf : -1;
        if (have && c->ctrd)
            snprintf(detail, sizeof detail, "the OCI spec of its meta.db record (image, command, "
                     "environment, mounts, rights)");
        else if (have)
            snprintf(detail, sizeof detail, "%s parsed whole", cfgs[i].file);
        else if (c->ctrd)
            snprintf(detail, sizeof detail, "its meta.db record is gone and its free pages were "
                     "reused: no image, command or rights");
        else
            why(s, c->id, cfgs[i].file,
                "no copy in the journal, in free space or among the carved artefacts", detail,
                sizeof detail);
        r.detail = detail;
        rc = husk_casedb_add_recovery(db, &r, err);
    }

    int64_t n, weak;
    double conf;
    if (rc == 0) {
        tally(s, "logs", c->id, &n, methods, sizeof methods, &conf, &weak);
        r.item = "logs";
        r.status = n ? "recovered" : "not-recovered";
        r.count = n;
        r.method = n ? methods : NULL;
        r.confidence = conf;
        if (n)
            snprintf(detail, sizeof detail, "%lld log lines", (long long)n);
        else
            why(s, c->id, "log", "no log file or carved line of it survived", detail,
                sizeof detail);
        r.detail = detail;
        rc = husk_casedb_add_recovery(db, &r, err);
    }
    if (rc == 0) {
        tally(s, "files", c->id, &n, methods, sizeof methods, &conf, &weak);
        r.item = "files";
        r.status = !n ? "not-recovered" : weak ? "partial" : "recovered";
        r.count = n;
        r.method = n ? methods : NULL;
        r.confidence = conf;
        if (n)
            snprintf(detail, sizeof detail,
                     "%lld files of the writable layer; %lld of them with blocks in use by "
                     "something else since (content unreliable)",
                     (long long)n, (long long)weak);
        else
            why(s, c->id, "diff", "the writable layer's directory did not survive", detail,
                sizeof detail);
        r.detail = detail;
        rc = husk_casedb_add_recovery(db, &r, err);
    }
    return rc;
}

int husk_recovery_summary_build(husk_casedb *db, husk_err *err)
{
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT id, name IS NOT NULL, config_json IS NOT NULL, "
                           "hostconfig_json IS NOT NULL, recovered_from, confidence, "
                           "runtime = 'containerd' FROM "
                           "containers WHERE state = 'removed' ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "case database query: %s", sqlite3_errmsg(s));
    /* read the list first: the rows are written while it is walked */
    ctr *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 32;
            ctr *p = realloc(v, nc * sizeof *v);
            if (!p) {
                rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            v = p, cap = nc;
        }
        ctr *c = &v[nv++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(st, 0));
        c->has_name = sqlite3_column_int(st, 1);
        c->has_cfg = sqlite3_column_int(st, 2);
        c->has_hc = sqlite3_column_int(st, 3);
        if (sqlite3_column_text(st, 4))
            snprintf(c->from, sizeof c->from, "%s", (const char *)sqlite3_column_text(st, 4));
        c->conf = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 5);
        c->ctrd = sqlite3_column_int(st, 6) == 1;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; rc == 0 && i < nv; i++)
        rc = one(db, &v[i], err);
    free(v);

    /* carved log lines nobody could be tied to */
    if (rc == 0 &&
        sqlite3_prepare_v2(s,
                           "SELECT count(*), sum(container_id IS NULL) FROM logs WHERE "
                           "recovered_from LIKE 'carved-%'",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
            char detail[200];
            int64_t all = sqlite3_column_int64(st, 0), none = sqlite3_column_int64(st, 1);
            snprintf(detail, sizeof detail,
                     "%lld carved log lines not in any log file; %lld attributed to a container "
                     "(contiguity or time window), %lld to none",
                     (long long)all, (long long)(all - none), (long long)none);
            husk_row_recovery r = {NULL, "carved-log-lines", none ? "partial" : "recovered", all,
                                   "carved", -1, detail};
            rc = husk_casedb_add_recovery(db, &r, err);
        }
        sqlite3_finalize(st);
    }
    return rc;
}
