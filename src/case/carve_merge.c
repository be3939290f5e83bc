/*
 * Carving merged into the case (src/case/carve_merge.h): the carved artefacts become removed
 * containers, host configs joined to them and log lines attributed to containers where the
 * evidence allows, each with how it was recovered and how sure husk is.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "carve_merge.h"
#include "husk/docker.h"
#include "husk/logs.h"
#include "husk/recover.h"

/* Confidence of what carving alone shows. A carved config is whole and parsed, but it may be
 * an older state than the container's last; a host config is joined by place, a log line by
 * its neighbours or, weaker, by its time. */
#define CONF_CONFIG 0.6
#define CONF_HOSTCONFIG 0.5
#define CONF_CONTIGUITY 0.7
#define CONF_TIME_WINDOW 0.4
/* A host config is looked for this far from its config (Docker writes both together). */
#define HOSTCONFIG_REACH (1 << 20)
/* At most this many configs are weighed, and log lines decided together (bounded memory). */
#define MAX_CONFIGS 100000
#define MAX_GROUP 4096

typedef struct merge {
    husk_casedb *db;
    sqlite3 *sql;
    husk_diag *diag;
    husk_err *err;
    int64_t fs_id;
    int failed;
} merge;

static int on_carved(const husk_carved *c, void *ctx)
{
    merge *m = ctx;
    char hex[65];
    husk_sha256_hex(c->data, c->len, hex);
    husk_row_carved row = {
        .filesystem_id = m->fs_id,
        .kind = husk_carve_kind_name(c->kind),
        .offset = c->offset,
        .location = c->where,
        .in_gzip = c->in_gzip,
        .gzip_offset = c->gzip_offset,
        .data = c->data,
        .len = c->len,
        .sha256 = hex,
    };
    if (husk_casedb_add_carved(m->db, &row, NULL, m->err) < 0) {
        m->failed = 1;
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prep(merge *m, const char *q)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(m->sql, q, -1, &st, NULL) != SQLITE_OK) {
        husk_err_set(m->err, HUSK_E_DB, "case database query: %s", sqlite3_errmsg(m->sql));
        return NULL;
    }
    return st;
}

/* The first step of a query that sorts every row it selects (no index serves its ORDER BY):
 * the sort is done then, in bounded memory (husk_casedb_sort_begin). Returns sqlite3_step's
 * code, or SQLITE_ERROR with *rc set when the cache could not be switched. */
static int sorted_first_step(merge *m, sqlite3_stmt *st, int *rc)
{
    if (husk_casedb_sort_begin(m->db, m->err) < 0) {
        *rc = -1;
        return SQLITE_ERROR;
    }
    int s = sqlite3_step(st);
    if (husk_casedb_sort_end(m->db, m->err) < 0) {
        *rc = -1;
        return SQLITE_ERROR;
    }
    return s;
}

/* ---- configs ------------------------------------------------------------------------- */

typedef struct cfg_seen {
    char id[65];
    int64_t carved_id, fs_id, offset;
    int rank;          /* 3 finished, 2 started, 1 created only */
    char when[40];     /* the time that ranks it */
} cfg_seen;

static int cfg_rank(json_t *j, char when[40])
{
    static const char *keys[] = {"State.FinishedAt", "State.StartedAt", "Created"};
    char norm[40];
    for (int i = 0; i < 3; i++) {
        const char *t = husk_rfc3339_norm(husk_json_str(j, keys[i]), norm, sizeof norm);
        if (t) {
            snprintf(when, 40, "%s", t);
            return 3 - i;
        }
    }
    when[0] = '\0';
    return 0;
}

/* 1 when every bind of the host config has a mount point in the config (both as Docker
 * writes them: "src:dst[:opts]" and MountPoints keyed by destination). */
static int binds_agree(json_t *cfg, json_t *hc)
{
    json_t *binds = json_object_get(hc, "Binds"), *mps = json_object_get(cfg, "MountPoints");
    size_t i;
    json_t *b;
    json_array_foreach(binds, i, b)
    {
        const char *s = json_string_value(b);
        const char *c1 = s ? strchr(s, ':') : NULL;
        if (!c1)
            return 0;
        char dst[1024];
        snprintf(dst, sizeof dst, "%.*s", (int)strcspn(c1 + 1, ":"), c1 + 1);
        if (!json_object_get(mps, dst))
            return 0;
    }
    return 1;
}

static json_t *load(const void *data, size_t len)
{
    return json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, NULL);
}

/*
 * The carved host configs, copied once into a temporary table (carve_hc, outside the case
 * database's schema) that find_hostconfig searches: asking the carved table itself read all
 * of it (every log line carved) once for every config, which grew with the square of the
 * node. The copy keeps the carved table's row order and columns, so the same query over it
 * returns the same rows in the same order; marking a host config used is done in both.
 */
static int hc_table(merge *m, int create)
{
    const char *q = create ? "CREATE TEMP TABLE carve_hc AS SELECT id, filesystem_id, kind, "
                             "offset, data, used_as FROM carved WHERE kind = 'hostconfig' "
                             "ORDER BY id"
                           : "DROP TABLE IF EXISTS temp.carve_hc";
    char *msg = NULL;
    if (sqlite3_exec(m->sql, q, NULL, NULL, &msg) != SQLITE_OK) {
        husk_err_set(m->err, HUSK_E_DB, "case database query: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int hc_used(merge *m, int64_t id)
{
    sqlite3_stmt *st = prep(m, "UPDATE temp.carve_hc SET used_as = 'hostconfig' WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? 0
                            : husk_err_set(m->err, HUSK_E_DB, "case database query: %s",
                                           sqlite3_errmsg(m->sql));
}

/* The nearest unused carved host config on the same file system that agrees with cfg. */
static int64_t find_hostconfig(merge *m, const cfg_seen *c, json_t *cfg, char **hc, size_t *hclen)
{
    sqlite3_stmt *st = prep(m, "SELECT id, data FROM temp.carve_hc WHERE kind = 'hostconfig' AND "
                               "used_as IS NULL AND filesystem_id = ? AND offset BETWEEN ? AND ? "
                               "ORDER BY abs(offset - ?)");
    int64_t found = 0;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, c->fs_id);
    sqlite3_bind_int64(st, 2, c->offset - HOSTCONFIG_REACH);
    sqlite3_bind_int64(st, 3, c->offset + HOSTCONFIG_REACH);
    sqlite3_bind_int64(st, 4, c->offset);
    while (!found && sqlite3_step(st) == SQLITE_ROW) {
        const void *d = sqlite3_column_blob(st, 1);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        json_t *h = d ? load(d, n) : NULL;
        if (h && binds_agree(cfg, h) && (*hc = malloc(n + 1))) {
            memcpy(*hc, d, n);
            (*hc)[n] = '\0';
            *hclen = n;
            found = sqlite3_column_int64(st, 0);
        }
        json_decref(h);
    }
    sqlite3_finalize(st);
    return found;
}

/* state of the case's row for id: 0 none, 1 a removed container known without its config
 * (carving can do better), 2 known with its config or live. */
static int known_state(merge *m, const char *id)
{
    sqlite3_stmt *st = prep(m, "SELECT state = 'removed' AND config_json IS NULL FROM "
                               "containers WHERE id = ?");
    int k = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        k = sqlite3_column_int(st, 0) ? 1 : 2;
    sqlite3_finalize(st);
    return k;
}

static int64_t root_of_fs(husk_node *n, const int64_t *fs_ids, int64_t *const *root_ids,
                          int64_t fs_id, husk_docker_root *r)
{
    for (size_t i = 0; i < n->nfs; i++) {
        if (fs_ids[i] != fs_id)
            continue;
        for (size_t j = 0; j < n->fss[i].roots.n; j++)
            if (strcmp(n->fss[i].roots.v[j].runtime, "docker") == 0) {
                memset(r, 0, sizeof *r);
                r->fs = n->fss[i].fs;
                r->db_id = root_ids[i][j];
                r->fs_db_id = fs_id;
                snprintf(r->path, sizeof r->path, "%s", n->fss[i].roots.v[j].path);
                return r->db_id;
            }
    }
    return 0;
}

static int cfg_cmp(const void *a, const void *b)
{
    const cfg_seen *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->carved_id > y->carved_id) - (x->carved_id < y->carved_id);
}

static int merge_configs(merge *m, husk_node *n, const int64_t *fs_ids, int64_t *const *root_ids)
{
    sqlite3_stmt *st = prep(m, "SELECT id, filesystem_id, offset, data FROM carved WHERE kind = "
                               "'config' ORDER BY filesystem_id, offset");
    if (!st)
        return -1;
    cfg_seen *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;
    for (int s = sorted_first_step(m, st, &rc); rc == 0 && s == SQLITE_ROW;
         s = sqlite3_step(st)) {
        const void *d = sqlite3_column_blob(st, 3);
        json_t *j = d ? load(d, (size_t)sqlite3_column_bytes(st, 3)) : NULL;
        const char *id = husk_json_str(j, "ID");
        if (id && husk_is_hex64(id, strlen(id)) && nv < MAX_CONFIGS) {
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 64;
                cfg_seen *p = realloc(v, nc * sizeof *v);
                if (!p)
                    rc = husk_err_set(m->err, HUSK_E_NOMEM, "out of memory");
                else
                    v = p, cap = nc;
            }
            if (rc == 0) {
                cfg_seen *c = &v[nv++];
                snprintf(c->id, sizeof c->id, "%s", id);
                c->carved_id = sqlite3_column_int64(st, 0);
                c->fs_id = sqlite3_column_int64(st, 1);
                c->offset = sqlite3_column_int64(st, 2);
                c->rank = cfg_rank(j, c->when);
            }
        }
        json_decref(j);
    }
    sqlite3_finalize(st);

    /* per container ID (runs of the sorted list), the latest state carved; the others are
     * older versions */
    qsort(v, nv, sizeof *v, cfg_cmp);
    for (size_t i = 0, next; rc == 0 && i < nv; i = next) {
        size_t best = i;
        for (next = i + 1; next < nv && strcmp(v[next].id, v[i].id) == 0; next++)
            if (v[next].rank > v[best].rank ||
                (v[next].rank == v[best].rank && strcmp(v[next].when, v[best].when) > 0))
                best = next;
        int known = known_state(m, v[i].id);
        if (known < 0)
            rc = -1;
        for (size_t k = i; rc == 0 && k < next; k++)
            if (k != best)
                rc = husk_casedb_set_carved_use(m->db, v[k].carved_id, v[k].id, "older-config",
                                                "config-id", -1, HUSK_NULL_INT, m->err);
        if (rc < 0)
            break;
        const cfg_seen *c = &v[best];
        if (known == 2) {
            rc = husk_casedb_set_carved_use(m->db, c->carved_id, c->id, "duplicate", "config-id",
                                            -1, HUSK_NULL_INT, m->err);
            continue;
        }
        husk_docker_root r;
        if (!root_of_fs(n, fs_ids, root_ids, c->fs_id, &r))
            continue;
        /* the chosen config's bytes */
        sqlite3_stmt *q = prep(m, "SELECT data FROM carved WHERE id = ?");
        if (!q) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(q, 1, c->carved_id);
        char *cfg = NULL, *hc = NULL;
        size_t cfglen = 0, hclen = 0;
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_blob(q, 0)) {
            cfglen = (size_t)sqlite3_column_bytes(q, 0);
            if ((cfg = malloc(cfglen + 1))) {
                memcpy(cfg, sqlite3_column_blob(q, 0), cfglen);
                cfg[cfglen] = '\0';
            }
        }
        sqlite3_finalize(q);
        json_t *j = cfg ? load(cfg, cfglen) : NULL;
        int64_t hc_id = j ? find_hostconfig(m, c, j, &hc, &hclen) : 0;
        json_decref(j);
        if (hc_id < 0)
            rc = -1;
        if (rc == 0 && known == 1)
            rc = husk_casedb_drop_container(m->db, c->id, m->err);
        husk_prov prov = {"carved", CONF_CONFIG};
        int w = rc == 0 && cfg ? husk_docker_write_carved(&r, cfg, cfglen, hc, hclen, &prov, m->db,
                                                          m->diag, m->err)
                               : 1;
        if (w < 0)
            rc = -1;
        if (rc == 0 && w == 0)
            rc = husk_casedb_set_carved_use(m->db, c->carved_id, c->id, "container", "config-id",
                                            CONF_CONFIG, HUSK_NULL_INT, m->err);
        if (rc == 0 && w == 0 && hc_id > 0)
            rc = husk_casedb_set_carved_use(m->db, hc_id, c->id, "hostconfig", "adjacent",
                                            CONF_HOSTCONFIG, HUSK_NULL_INT, m->err);
        if (rc == 0 && w == 0 && hc_id > 0)
            rc = hc_used(m, hc_id);
        free(cfg);
        free(hc);
    }
    free(v);
    return rc;
}

/* ---- log lines ----------------------------------------------------------------------- */

typedef struct line {
    int64_t carved_id, offset, size, gz_member, gz_offset;
    int in_gzip, local, more;
    char location[16];
    char time[40];
    char stream[16];
    char *msg;
    size_t len;
    int64_t dup_log;  /* logs.id of the same line already in the case, 0 none */
    char dup_ctr[65]; /* its container ("" none) */
} line;

typedef struct group {
    line *v;
    size_t n;
    int64_t fs_id;
} group;

static void group_clear(group *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i].msg);
    g->n = 0;
}

/* The one removed container of this file system whose run [started_at, finished_at] holds
 * [from, to], with WINDOW_SLACK on both sides: Docker stamps StartedAt after the process has
 * begun writing and FinishedAt before the last lines are copied (node-a's gone1 logged 3 ms
 * before its StartedAt and 0.3 ms after its FinishedAt). Only removed containers are
 * candidates: a live container's log file is live, so a line of its own is in it (lines its
 * rotation dropped are left unattributed rather than risk a wrong owner). id is "" when none
 * or several. */
#define WINDOW_SLACK "2 seconds"
static int time_window(merge *m, int64_t fs_id, const char *from, const char *to, char id[65])
{
    sqlite3_stmt *st = prep(
        m, "SELECT c.id FROM containers c JOIN data_roots d ON c.data_root_id = d.id WHERE "
           "d.filesystem_id = ? AND c.state = 'removed' AND c.started_at IS NOT NULL AND "
           "strftime('%Y-%m-%dT%H:%M:%fZ', c.started_at, '-" WINDOW_SLACK "') <= ? AND "
           "(c.finished_at IS NULL OR "
           "strftime('%Y-%m-%dT%H:%M:%fZ', c.finished_at, '+" WINDOW_SLACK "') >= ?) LIMIT 2");
    id[0] = '\0';
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, fs_id);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (rows++ == 0)
            snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (rows != 1)
        id[0] = '\0';
    return 0;
}

/* Decides a group of contiguous carved lines: duplicates marked, the others written. */
static int decide_group(merge *m, group *g)
{
    if (!g->n)
        return 0;
    char owner[65] = "";
    int mixed = 0, dups = 0;
    const char *from = NULL, *to = NULL;
    for (size_t i = 0; i < g->n; i++) {
        line *l = &g->v[i];
        if (l->dup_log) {
            dups++;
            if (!l->dup_ctr[0] || (owner[0] && strcmp(owner, l->dup_ctr) != 0))
                mixed = 1;
            else
                snprintf(owner, sizeof owner, "%s", l->dup_ctr);
        }
        if (l->time[0]) {
            if (!from || strcmp(l->time, from) < 0)
                from = l->time;
            if (!to || strcmp(l->time, to) > 0)
                to = l->time;
        }
    }
    const char *how = NULL;
    double conf = CONF_TIME_WINDOW;
    char id[65] = "";
    if (dups && !mixed && owner[0]) {
        snprintf(id, sizeof id, "%s", owner);
        how = "contiguity";
        conf = CONF_CONTIGUITY;
    } else if (!dups && from) {
        if (time_window(m, g->fs_id, from, to, id) < 0)
            return -1;
        if (id[0])
            how = "time-window";
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        line *l = &g->v[i];
        if (l->dup_log) {
            rc = husk_casedb_set_carved_use(m->db, l->carved_id, l->dup_ctr[0] ? l->dup_ctr : NULL,
                                            "duplicate", NULL, -1, l->dup_log, m->err);
            continue;
        }
        char file[128], from_s[32];
        if (l->in_gzip)
            snprintf(file, sizeof file, "carved:fs%lld+%lld:gzip+%lld", (long long)g->fs_id,
                     (long long)l->gz_member, (long long)l->gz_offset);
        else
            snprintf(file, sizeof file, "carved:fs%lld+%lld", (long long)g->fs_id,
                     (long long)l->offset);
        snprintf(from_s, sizeof from_s, "carved-%s", l->location);
        husk_row_log row = {
            .container_id = id[0] ? id : NULL,
            .source = l->local ? "local" : "json-file",
            .file = file,
            .seq = l->carved_id,
            .time = l->time[0] ? l->time : NULL,
            .stream = l->stream,
            .message = l->msg,
            .message_len = l->len,
            .partial = l->more,
            .recovered_from = from_s,
            .confidence = id[0] ? conf : -1,
            .attribution = how,
        };
        rc = husk_casedb_add_log(m->db, &row, m->err);
        if (rc == 0)
            rc = husk_casedb_set_carved_use(m->db, l->carved_id, id[0] ? id : NULL, "log", how,
                                            id[0] ? conf : -1,
                                            sqlite3_last_insert_rowid(m->sql), m->err);
    }
    group_clear(g);
    return rc;
}

/* Decodes one carved log artefact into l; 0 when it is no log entry. */
static int decode_line(const void *data, size_t n, int local, husk_strbuf *scratch, line *l)
{
    husk_log_entry e;
    husk_err e2 = {0};
    int r;
    if (local)
        r = n >= 8 ? husk_local_decode_record((const uint8_t *)data + 4, n - 8, scratch, &e, &e2)
                   : -HUSK_E_FORMAT;
    else
        r = husk_jsonfile_decode_line(data, n, scratch, &e, &e2);
    if (r < 0)
        return 0;
    husk_log_time_format(&e.time, l->time, sizeof l->time);
    snprintf(l->stream, sizeof l->stream, "%s", e.stream ? e.stream : "");
    l->more = e.more;
    l->len = e.len;
    l->msg = malloc(e.len + 1);
    if (!l->msg)
        return -1;
    memcpy(l->msg, e.line, e.len);
    l->msg[e.len] = '\0';
    return 1;
}

static int find_duplicate(merge *m, sqlite3_stmt *dup, line *l)
{
    sqlite3_reset(dup);
    sqlite3_bind_text(dup, 1, l->time, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(dup, 2, l->stream, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(dup, 3, l->msg, (int)l->len, SQLITE_TRANSIENT);
    int r = sqlite3_step(dup);
    if (r == SQLITE_ROW) {
        l->dup_log = sqlite3_column_int64(dup, 0);
        const unsigned char *c = sqlite3_column_text(dup, 1);
        snprintf(l->dup_ctr, sizeof l->dup_ctr, "%s", c ? (const char *)c : "");
    } else if (r != SQLITE_DONE) {
        return husk_err_set(m->err, HUSK_E_DB, "case database query: %s", sqlite3_errmsg(m->sql));
    }
    return 0;
}

static int merge_logs(merge *m)
{
    /* the index and the lines' sort in one bounded-memory stretch (sorted_first_step's own
     * bracket nests in it) */
    if (husk_casedb_sort_begin(m->db, m->err) < 0)
        return -1;
    if (husk_casedb_index_log_times(m->db, m->err) < 0) {
        husk_casedb_sort_end(m->db, NULL);
        return -1;
    }
    sqlite3_stmt *st = prep(m, "SELECT id, filesystem_id, kind, offset, size, in_gzip, "
                               "gzip_offset, location, data FROM carved WHERE kind IN "
                               "('jsonlog', 'locallog') ORDER BY filesystem_id, in_gzip, "
                               "offset, gzip_offset");
    sqlite3_stmt *dup = prep(m, "SELECT id, container_id FROM logs WHERE time = ? AND stream = ? "
                                "AND CAST(message AS BLOB) = ? AND (recovered_from IS NULL OR "
                                "recovered_from NOT LIKE 'carved-%') LIMIT 1");
    group g = {calloc(MAX_GROUP, sizeof(line)), 0, 0};
    husk_strbuf scratch = HUSK_STRBUF_INIT;
    int rc = st && dup && g.v ? 0 : -1;
    if (!g.v && st && dup)
        husk_err_set(m->err, HUSK_E_NOMEM, "out of memory");
    int s = rc == 0 ? sorted_first_step(m, st, &rc) : SQLITE_DONE;
    if (husk_casedb_sort_end(m->db, rc == 0 ? m->err : NULL) < 0)
        rc = -1;
    for (; rc == 0 && s == SQLITE_ROW; s = sqlite3_step(st)) {
        line l = {0};
        int64_t fs = sqlite3_column_int64(st, 1);
        l.carved_id = sqlite3_column_int64(st, 0);
        l.local = strcmp((const char *)sqlite3_column_text(st, 2), "locallog") == 0;
        l.offset = sqlite3_column_int64(st, 3);
        l.size = sqlite3_column_int64(st, 4);
        l.in_gzip = sqlite3_column_int(st, 5);
        l.gz_member = l.offset;
        l.gz_offset = sqlite3_column_int64(st, 6);
        const unsigned char *loc = sqlite3_column_text(st, 7);
        snprintf(l.location, sizeof l.location, "%s", loc ? (const char *)loc : "unknown");
        const void *d = sqlite3_column_blob(st, 8);
        int ok = d ? decode_line(d, (size_t)sqlite3_column_bytes(st, 8), l.local, &scratch, &l)
                   : 0;
        if (ok < 0)
            rc = husk_err_set(m->err, HUSK_E_NOMEM, "out of memory");
        if (ok <= 0)
            continue;
        if (find_duplicate(m, dup, &l) < 0) {
            free(l.msg);
            rc = -1;
            break;
        }
        /* contiguous with the previous line: right after it on disk (json-file lines end in a
         * newline, local frames follow each other), in the same place */
        const line *p = g.n ? &g.v[g.n - 1] : NULL;
        int64_t sep = l.local ? 0 : 1;
        int contiguous = p && g.fs_id == fs && p->in_gzip == l.in_gzip &&
                         (l.in_gzip ? p->gz_member == l.gz_member &&
                                          p->gz_offset + p->size + sep == l.gz_offset
                                    : p->offset + p->size + sep == l.offset);
        if ((!contiguous || g.n == MAX_GROUP) && g.n)
            rc = decide_group(m, &g);
        g.fs_id = fs;
        if (rc == 0)
            g.v[g.n++] = l;
        else
            free(l.msg);
    }
    if (rc == 0)
        rc = decide_group(m, &g);
    group_clear(&g);
    free(g.v);
    husk_sb_release(&scratch);
    sqlite3_finalize(st);
    sqlite3_finalize(dup);
    return rc;
}

int husk_carve_merge(husk_casedb *db, husk_node *n, const int64_t *fs_ids,
                     int64_t *const *root_ids, husk_diag *diag, husk_err *err)
{
    merge m = {db, husk_casedb_sqlite(db), diag, err, 0, 0};
    uint64_t found = 0;
    for (size_t i = 0; i < n->nfs; i++) {
        husk_docker_root r;
        if (!root_of_fs(n, fs_ids, root_ids, fs_ids[i], &r))
            continue; /* no Docker data root: nothing of a container to carve for */
        m.fs_id = fs_ids[i];
        husk_carve_stats st = {0};
        husk_err e = {0};
        int c = husk_carve_fs_stats(n->fss[i].fs, on_carved, &m, diag, &st, &e);
        if (m.failed)
            return -1;
        if (c < 0)
            husk_diag_report(diag, "recovery", r.path, -1, "carving stopped: %s", e.msg);
        for (int k = 0; k < 4; k++)
            found += st.found[k];
        char detail[256];
        snprintf(detail, sizeof detail,
                 "file system %lld: %llu bytes of free space and %llu of journal scanned; "
                 "%llu configs, %llu host configs, %llu json-file lines, %llu local frames; "
                 "%llu repeats dropped",
                 (long long)fs_ids[i], (unsigned long long)st.unallocated_bytes,
                 (unsigned long long)st.journal_bytes, (unsigned long long)st.found[0],
                 (unsigned long long)st.found[1], (unsigned long long)st.found[2],
                 (unsigned long long)st.found[3], (unsigned long long)st.duplicates);
        husk_row_recovery row = {NULL, "carving", st.truncated || st.damaged ? "partial" : "done",
                                 (int64_t)(st.found[0] + st.found[1] + st.found[2] + st.found[3]),
                                 "carved", -1, detail};
        if (husk_casedb_add_recovery(db, &row, err) < 0)
            return -1;
    }
    if (!found)
        return 0;
    int rc = hc_table(&m, 1);
    if (rc == 0)
        rc = merge_configs(&m, n, fs_ids, root_ids);
    if (hc_table(&m, 0) < 0 && rc == 0)
        rc = -1;
    if (rc == 0)
        rc = husk_casedb_carved_hostconfig_dups(db, err);
    if (rc == 0)
        rc = merge_logs(&m);
    return rc;
}
