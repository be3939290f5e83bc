/* husk containers (docker ps -a) and husk inspect (docker inspect) over a case database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/docker.h"
#include "husk/escape.h"
#include "husk/strbuf.h"

/* Go's strconv.Quote for the strings Docker quotes (docker ps' COMMAND). Printable UTF-8 is
 * kept, as Go keeps printable runes. */
static void go_quote(husk_strbuf *sb, const char *s)
{
    husk_sb_adds(sb, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            husk_sb_adds(sb, "\\\"");
            break;
        case '\\':
            husk_sb_adds(sb, "\\\\");
            break;
        case '\a':
            husk_sb_adds(sb, "\\a");
            break;
        case '\b':
            husk_sb_adds(sb, "\\b");
            break;
        case '\f':
            husk_sb_adds(sb, "\\f");
            break;
        case '\n':
            husk_sb_adds(sb, "\\n");
            break;
        case '\r':
            husk_sb_adds(sb, "\\r");
            break;
        case '\t':
            husk_sb_adds(sb, "\\t");
            break;
        case '\v':
            husk_sb_adds(sb, "\\v");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                husk_sb_addf(sb, "\\x%02x", *p);
            else
                husk_sb_add(sb, p, 1);
        }
    }
    husk_sb_adds(sb, "\"");
}

/* daemon/list.go: Path, then Args, each arg containing a space wrapped in single quotes. */
static void docker_command(husk_strbuf *sb, const char *path, const char *args_json)
{
    husk_sb_adds(sb, path);
    json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        const char *s = json_string_value(a);
        if (!s)
            continue;
        husk_sb_addf(sb, strchr(s, ' ') ? " '%s'" : " %s", s);
    }
    json_decref(args);
}

static void containers_usage(FILE *f)
{
    fprintf(f, "usage: husk containers [--json] [--no-trunc] CASE.db\n"
               "\n"
               "Lists every container of the case, like 'docker ps -a': running, exited, created,\n"
               "and (once recovered) removed ones. Times are absolute (UTC), since the node is\n"
               "no longer running.\n"
               "\n"
               "  --json       one JSON object per line with the fields of\n"
               "               'docker ps --format {{json .}}' that a disk image can answer\n"
               "  --no-trunc   full IDs and commands\n"
               "  -h, --help   this help\n");
}

int cmd_containers(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"no-trunc", no_argument, NULL, 'n'},
                                       {"all", no_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int json = 0, notrunc = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ah", lo, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'n')
            notrunc = 1;
        else if (c == 'a')
            ; /* docker ps -a habit: husk always lists all */
        else if (c == 'h') {
            containers_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            containers_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give one case database");
        containers_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT id, name, image_ref, path, args, created, state, exit_code, "
                           "started_at, finished_at, recovered_from, confidence FROM containers "
                           "ORDER BY created DESC, id",
                           -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot read containers: %s", sqlite3_errmsg(husk_casedb_sqlite(db)));
        husk_casedb_close(db);
        return HUSK_EXIT_CASEDB;
    }
    if (!json)
        printf("%-*s  %-20s  %-*s  %-30s  %-10s %-4s  %s\n", notrunc ? 64 : 12, "CONTAINER ID",
               "IMAGE", notrunc ? 40 : 22, "COMMAND", "CREATED", "STATE", "EXIT", "NAMES");
    while (sqlite3_step(st) == SQLITE_ROW) {
        husk_strbuf cmd = HUSK_STRBUF_INIT, q = HUSK_STRBUF_INIT;
        docker_command(&cmd, casecmd_col(st, 3),
                       sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : casecmd_col(st, 4));
        go_quote(&q, husk_sb_str(&cmd));
        char created[64];
        casecmd_go_time(casecmd_col(st, 5), created, sizeof created);
        if (json) {
            json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", casecmd_col(st, 0),
                                  "Names", casecmd_col(st, 1), "Image", casecmd_col(st, 2),
                                  "Command", husk_sb_str(&q), "CreatedAt", created, "State",
                                  casecmd_col(st, 6), "RecoveredFrom", casecmd_col(st, 10));
            if (o && sqlite3_column_type(st, 7) != SQLITE_NULL)
                json_object_set_new(o, "ExitCode", json_integer(sqlite3_column_int64(st, 7)));
            casecmd_print_json_line(o);
        } else {
            const char *shown = husk_sb_str(&q);
            char cut[64];
            if (!notrunc && strlen(shown) > 22) {
                snprintf(cut, sizeof cut, "%.19s…\"", shown);
                shown = cut;
            }
            char exitc[16] = "";
            if (sqlite3_column_type(st, 7) != SQLITE_NULL &&
                strcmp(casecmd_col(st, 6), "created") != 0)
                snprintf(exitc, sizeof exitc, "%lld", (long long)sqlite3_column_int64(st, 7));
            printf("%-*.*s  %-20s  %-*s  %-30s  %-10s %-4s  %s\n", notrunc ? 64 : 12,
                   notrunc ? 64 : 12, casecmd_col(st, 0), husk_esc(casecmd_col(st, 2)),
                   notrunc ? 40 : 22, husk_esc(shown), created, husk_esc(casecmd_col(st, 6)), exitc,
                   husk_esc(casecmd_col(st, 1)));
        }
        husk_sb_release(&cmd);
        husk_sb_release(&q);
    }
    sqlite3_finalize(st);
    husk_casedb_close(db);
    return HUSK_EXIT_OK;
}

/* --- inspect -------------------------------------------------------------------------------- */

static json_t *copy_key(json_t *dst, json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);
    json_object_set(dst, key, v ? v : json_null());
    return v;
}

/* State as docker inspect shows it: Status first, no RemovalInProgress, Health only if set. */
static json_t *inspect_state(json_t *state, const char *status)
{
    json_t *o = json_object();
    json_object_set_new(o, "Status", json_string(status));
    static const char *keys[] = {"Running", "Paused",   "Restarting", "OOMKilled", "Dead",
                                 "Pid",     "ExitCode", "Error",      "StartedAt", "FinishedAt"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        copy_key(o, state, keys[i]);
    json_t *h = json_object_get(state, "Health");
    if (h && !json_is_null(h))
        json_object_set(o, "Health", h);
    return o;
}

/* Mounts as docker inspect builds them from MountPoints (api/types MountPoint). */
static json_t *inspect_mounts(json_t *mps)
{
    json_t *arr = json_array();
    const char *dest;
    json_t *mp;
    json_object_foreach(mps, dest, mp)
    {
        json_t *m = json_object();
        const char *type = husk_json_str(mp, "Type");
        const char *name = husk_json_str(mp, "Name");
        const char *drv = husk_json_str(mp, "Driver");
        json_object_set_new(m, "Type", json_string(type ? type : ""));
        if (name && *name)
            json_object_set_new(m, "Name", json_string(name));
        copy_key(m, mp, "Source");
        copy_key(m, mp, "Destination");
        if (drv && *drv)
            json_object_set_new(m, "Driver", json_string(drv));
        json_t *mode = json_object_get(mp, "Relabel");
        json_object_set_new(m, "Mode",
                            json_string(json_is_string(mode) ? json_string_value(mode) : ""));
        json_object_set_new(m, "RW", json_boolean(json_is_true(json_object_get(mp, "RW"))));
        json_t *prop = json_object_get(mp, "Propagation");
        json_object_set_new(m, "Propagation",
                            json_string(json_is_string(prop) ? json_string_value(prop) : ""));
        json_array_append_new(arr, m);
    }
    return arr;
}

static json_t *graph_driver(const char *driver, const char *data_root, const char *mount_id,
                            const char *lower)
{
    json_t *d = json_object();
    if (mount_id && *mount_id && data_root) {
        char buf[1024];
        const char *root = strcmp(data_root, "/") == 0 ? "" : data_root;
        if (lower && *lower)
            json_object_set_new(d, "LowerDir", json_string(lower));
        snprintf(buf, sizeof buf, "%s/overlay2/%s/merged", root, mount_id);
        json_object_set_new(d, "MergedDir", json_string(buf));
        snprintf(buf, sizeof buf, "%s/overlay2/%s/diff", root, mount_id);
        json_object_set_new(d, "UpperDir", json_string(buf));
        snprintf(buf, sizeof buf, "%s/overlay2/%s/work", root, mount_id);
        json_object_set_new(d, "WorkDir", json_string(buf));
    }
    return json_pack("{s:o,s:s}", "Data", d, "Name", driver ? driver : "");
}

static json_t *inspect_one(sqlite3 *s, const char *id)
{
    sqlite3_stmt *st;
    json_t *out = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT c.config_json, c.hostconfig_json, c.state, c.rw_layer, "
                           "c.driver, d.path, c.recovered_from, c.confidence FROM containers c "
                           "LEFT JOIN data_roots d ON d.id = c.data_root_id WHERE c.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        json_t *cfg = json_loads(casecmd_col(st, 0), 0, NULL);
        json_t *hc = json_loads(casecmd_col(st, 1), 0, NULL);
        out = json_object();
        json_object_set_new(out, "Id", json_string(id));
        copy_key(out, cfg, "Created");
        copy_key(out, cfg, "Path");
        copy_key(out, cfg, "Args");
        json_object_set_new(out, "State",
                            inspect_state(json_object_get(cfg, "State"), casecmd_col(st, 2)));
        copy_key(out, cfg, "Image");
        static const char *paths[] = {"ResolvConfPath", "HostnamePath", "HostsPath", "LogPath",
                                      "Name",           "RestartCount", "Driver"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
            copy_key(out, cfg, paths[i]);
        json_t *os = json_object_get(cfg, "OS");
        json_object_set(out, "Platform", os ? os : json_string("linux"));
        copy_key(out, cfg, "MountLabel");
        copy_key(out, cfg, "ProcessLabel");
        copy_key(out, cfg, "AppArmorProfile");
        json_object_set_new(out, "ExecIDs", json_null());
        json_object_set(out, "HostConfig", hc ? hc : json_null());
        json_object_set_new(
            out, "GraphDriver",
            graph_driver(casecmd_col(st, 4), casecmd_col(st, 5), casecmd_col(st, 3), NULL));
        json_object_set_new(out, "Mounts", inspect_mounts(json_object_get(cfg, "MountPoints")));
        copy_key(out, cfg, "Config");
        copy_key(out, cfg, "NetworkSettings");
        /* husk's own: how this container was recovered */
        json_object_set_new(out, "HuskRecoveredFrom", json_string(casecmd_col(st, 6)));
        json_object_set_new(out, "HuskConfidence", json_real(sqlite3_column_double(st, 7)));
        json_decref(cfg);
        json_decref(hc);
    }
    sqlite3_finalize(st);
    return out;
}

/* A containerd container as `ctr containers info` shows its record (ID, Labels, Image,
 * SnapshotKey, Snapshotter, CreatedAt, Spec: the OCI runtime spec), with what the CRI status
 * file and the pod add as Husk* fields. Extensions and the runtime options are not kept. */
/* A text column, NULL when SQL NULL. */
static const char *col_or_null(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static json_t *inspect_containerd(sqlite3 *s, const char *id)
{
    sqlite3_stmt *st;
    json_t *out = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT c.image_ref, c.created, c.driver, c.rw_layer, c.labels, "
                           "c.config_json, c.namespace, c.name, c.state, c.started_at, "
                           "c.finished_at, c.exit_code, c.pid, c.pod_uid, c.sandbox_id, p.name, "
                           "p.namespace, c.recovered_from, c.confidence FROM containers c LEFT "
                           "JOIN pods p ON p.uid = c.pod_uid WHERE c.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out = json_object();
        json_t *labels = col_or_null(st, 4) ? json_loads(col_or_null(st, 4), 0, NULL) : NULL;
        json_t *spec = col_or_null(st, 5) ? json_loads(col_or_null(st, 5), 0, NULL) : NULL;
        const char *strs[][2] = {{"Image", col_or_null(st, 0)},
                                 {"SnapshotKey", col_or_null(st, 3)},
                                 {"Snapshotter", col_or_null(st, 2)},
                                 {"CreatedAt", col_or_null(st, 1)}};
        json_object_set_new(out, "ID", json_string(id));
        json_object_set(out, "Labels", labels ? labels : json_null());
        for (size_t i = 0; i < 4; i++)
            json_object_set_new(out, strs[i][0], strs[i][1] ? json_string(strs[i][1]) : json_null());
        json_object_set(out, "Spec", spec ? spec : json_null());
        const char *husk[][2] = {{"HuskNamespace", col_or_null(st, 6)},
                                 {"HuskName", col_or_null(st, 7)},
                                 {"HuskState", col_or_null(st, 8)},
                                 {"HuskStartedAt", col_or_null(st, 9)},
                                 {"HuskFinishedAt", col_or_null(st, 10)},
                                 {"HuskPodUID", col_or_null(st, 13)},
                                 {"HuskSandboxID", col_or_null(st, 14)},
                                 {"HuskPodName", col_or_null(st, 15)},
                                 {"HuskPodNamespace", col_or_null(st, 16)}};
        for (size_t i = 0; i < sizeof husk / sizeof husk[0]; i++)
            json_object_set_new(out, husk[i][0], husk[i][1] ? json_string(husk[i][1]) : json_null());
        for (int i = 11; i <= 12; i++)
            json_object_set_new(out, i == 11 ? "HuskExitCode" : "HuskPid",
                                sqlite3_column_type(st, i) == SQLITE_NULL
                                    ? json_null()
                                    : json_integer(sqlite3_column_int64(st, i)));
        json_object_set_new(out, "HuskRecoveredFrom", json_string(casecmd_col(st, 17)));
        json_object_set_new(out, "HuskConfidence", json_real(sqlite3_column_double(st, 18)));
        json_decref(labels);
        json_decref(spec);
    }
    sqlite3_finalize(st);
    return out;
}

static int is_containerd(sqlite3 *s, const char *id)
{
    sqlite3_stmt *st;
    int r = 0;
    if (sqlite3_prepare_v2(s, "SELECT runtime = 'containerd' FROM containers WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        r = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return r;
}

static void inspect_usage(FILE *f)
{
    fprintf(f, "usage: husk inspect CASE.db CONTAINER [CONTAINER...]\n"
               "\n"
               "Prints containers as 'docker inspect' does (a JSON array), rebuilt from their\n"
               "config.v2.json and hostconfig.json as found on the disk image. CONTAINER is a\n"
               "name, a full ID or a unique ID prefix. Two husk fields say how the container\n"
               "was recovered: HuskRecoveredFrom (live, journal, inode, carved, bolt-free)\n"
               "and HuskConfidence. A containerd container (Kubernetes) is printed as\n"
               "'ctr containers info' shows its record (ID, Labels, Image, SnapshotKey,\n"
               "Snapshotter, CreatedAt, Spec), with its state, times and pod as Husk* fields.\n"
               "\n"
               "Options:\n"
               "  -q, --quiet   no warnings on standard error\n"
               "  -h, --help    this help\n");
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option lo[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        if (c == 'q') {
            cli_quiet = 1;
            continue;
        }
        if (c == 'h') {
            inspect_usage(stdout);
            return HUSK_EXIT_OK;
        }
        inspect_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    if (argc - optind < 2) {
        cli_error("give a case database and at least one container");
        inspect_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (int i = optind + 1; i < argc; i++) {
        char id[65];
        int r = casecmd_container(db, argv[i], id);
        if (r) {
            rc = r;
            continue;
        }
        json_t *o = is_containerd(husk_casedb_sqlite(db), id)
                        ? inspect_containerd(husk_casedb_sqlite(db), id)
                        : inspect_one(husk_casedb_sqlite(db), id);
        if (o)
            json_array_append_new(arr, o);
    }
    /* jansson escapes control characters; on a terminal non-ASCII too (casecmd_json_flags) */
    char *s = json_dumps(arr, JSON_INDENT(4) | casecmd_json_flags());
    if (s)
        casecmd_put_json(s);
    free(s);
    json_decref(arr);
    husk_casedb_close(db);
    return rc;
}
