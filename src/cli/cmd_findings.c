/* husk findings: the escape paths, misconfigurations and compromise indicators of a case. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/casedb.h"
#include "husk/escape.h"
#include "husk/findings.h"

static void findings_usage(FILE *f)
{
    fprintf(f, "usage: husk findings [--json] [--severity LEVEL] [--container REF] CASE.db\n"
               "\n"
               "Lists what 'husk analyse' found: dangerous container configuration (privileged,\n"
               "added capabilities, host namespaces, runtime sockets and host paths mounted,\n"
               "seccomp/AppArmor off), suspicious files in containers' upper layers (web shells,\n"
               "executables in /tmp, escape tooling, new uid-0 accounts) and host persistence\n"
               "(cron, authorized_keys, ld.so.preload, systemd, sudoers, ...) changed while a\n"
               "container that could write there was running. Most severe first, then by\n"
               "container. Each finding says in one line what was seen where; findings are\n"
               "leads for the examiner, not verdicts.\n"
               "\n"
               "Options:\n"
               "  --severity LEVEL  only LEVEL and above: critical, high, medium, low, info\n"
               "  --container REF   only this container (name, full ID or unique ID prefix)\n"
               "  --json            a JSON array of objects (severity, rule, title, container_id,\n"
               "                    container, evidence, path)\n"
               "  -q, --quiet       no warnings on standard error\n"
               "  -h, --help        this help\n");
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* A JSON string of evidence text, escaped when it is not valid UTF-8, or null. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    return v ? v : json_string(husk_esc(s));
}

/* Findings are ordered by severity rank, then by container name (host-wide findings, which
 * have no container, after the containers'), then by rule and path. */
static const char *SQL =
    "SELECT f.severity, f.rule, f.title, f.container_id, c.name, f.evidence, f.path, "
    "CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 3 WHEN 'info' THEN 4 ELSE 5 END AS rank "
    "FROM findings f LEFT JOIN containers c ON c.id = f.container_id "
    "WHERE rank <= ?1 AND (?2 IS NULL OR f.container_id = ?2) "
    "ORDER BY rank, f.container_id IS NULL, coalesce(c.name, f.container_id), f.rule, "
    "f.path, f.id";

int cmd_findings(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"severity", required_argument, NULL, 's'},
                                       {"container", required_argument, NULL, 'c'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int json = 0, c, max_rank = 5;
    const char *ref = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        if (c == 'j') {
            json = 1;
        } else if (c == 'q') {
            cli_quiet = 1;
        } else if (c == 's') {
            max_rank = husk_severity_rank(optarg);
            if (max_rank > 4) {
                cli_error("unknown severity '%s' (critical, high, medium, low, info)", optarg);
                return HUSK_EXIT_USAGE;
            }
        } else if (c == 'c') {
            ref = optarg;
        } else if (c == 'h') {
            findings_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            findings_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give exactly one case database");
        findings_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    char id[65];
    if (ref && (rc = casecmd_container(db, ref, id)) != 0) {
        husk_casedb_close(db);
        return rc;
    }
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s, SQL, -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot read the case database: %s", sqlite3_errmsg(s));
        husk_casedb_close(db);
        return HUSK_EXIT_CASEDB;
    }
    sqlite3_bind_int(st, 1, max_rank);
    if (ref)
        sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    json_t *arr = json ? json_array() : NULL;
    unsigned count[6] = {0}, total = 0;
    int step;
    if (!json)
        printf("%-8s  %-16s  %-29s  %s\n", "SEVERITY", "CONTAINER", "RULE", "EVIDENCE");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sev = col(st, 0), *rule = col(st, 1), *cid = col(st, 3), *name = col(st, 4);
        int rank = sqlite3_column_int(st, 7);
        count[rank > 5 ? 5 : rank]++;
        total++;
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "severity", jstr(sev));
            json_object_set_new(o, "rule", jstr(rule));
            json_object_set_new(o, "title", jstr(col(st, 2)));
            json_object_set_new(o, "container_id", jstr(cid));
            json_object_set_new(o, "container", jstr(name));
            json_object_set_new(o, "evidence", jstr(col(st, 5)));
            json_object_set_new(o, "path", jstr(col(st, 6)));
            json_array_append_new(arr, o);
            continue;
        }
        char who[80];
        if (name)
            snprintf(who, sizeof who, "%s", name);
        else if (cid)
            snprintf(who, sizeof who, "%.12s", cid);
        else
            snprintf(who, sizeof who, "(host)");
        /* each husk_esc result lives in its own rotating buffer: one call per argument */
        printf("%-8s  %-16s  %-29s  %s\n", husk_esc(sev ? sev : "?"), husk_esc(who),
               husk_esc(rule ? rule : "?"), husk_esc(col(st, 5) ? col(st, 5) : ""));
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        cli_error("cannot read the case database: %s", sqlite3_errmsg(s));
        rc = HUSK_EXIT_CASEDB;
    }
    if (json && rc == 0) {
        char *out = json_dumps(arr, JSON_INDENT(2) | casecmd_json_flags());
        if (out)
            casecmd_put_json(out);
        else
            rc = HUSK_EXIT_FAIL;
        free(out);
    } else if (rc == 0) {
        printf("\n%u finding%s: %u critical, %u high, %u medium, %u low, %u info\n", total,
               total == 1 ? "" : "s", count[0], count[1], count[2], count[3], count[4]);
    }
    json_decref(arr);
    husk_casedb_close(db);
    return rc;
}
