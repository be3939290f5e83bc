/* husk info: what a case database says about its evidence. */
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

static void info_usage(FILE *f)
{
    fprintf(f, "usage: husk info [--json] [-v] CASE.db\n"
               "\n"
               "Shows the evidence (path, format, size, segments, hashes), its volumes with byte\n"
               "offsets, file systems, container-runtime data roots, whether the analysis\n"
               "finished, and the problems recorded while reading damaged evidence.\n"
               "\n"
               "Options:\n"
               "  --json      one JSON object instead of text\n"
               "  -q, --quiet no warnings on standard error\n"
               "  -v, --verbose  also the analysis's time per phase (wall and CPU seconds)\n"
               "              and its peak memory\n"
               "  -h, --help  this help\n");
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Runs sql and returns its rows as a JSON array of objects keyed by column name. */
static json_t *rows_json(sqlite3 *db, const char *sql)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            json_t *v;
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, i)); break;
            case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, i)); break;
            case SQLITE_NULL: v = json_null(); break;
            default: v = json_string(col(st, i)); break;
            }
            if (!v) /* not valid UTF-8: keep it visible rather than dropping it */
                v = json_string(husk_esc(col(st, i)));
            json_object_set_new(o, sqlite3_column_name(st, i), v);
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}

static const char *SQL_INFO = "SELECT key, value FROM case_info ORDER BY key";
static const char *SQL_SEGS = "SELECT idx, path, size FROM evidence_segments ORDER BY idx";
static const char *SQL_VOLS =
    "SELECT id, kind, offset, length, description, parent_id FROM volumes ORDER BY id";
static const char *SQL_FS = "SELECT id, volume_id, offset, fstype, label, uuid, block_size, size, "
                            "journal, mount_point FROM filesystems ORDER BY id";
static const char *SQL_ROOTS = "SELECT id, filesystem_id, path, runtime, storage_driver, how_found, "
                               "node_path FROM data_roots ORDER BY id";
static const char *SQL_ERRS =
    "SELECT phase, object, offset, message FROM errors ORDER BY id LIMIT 50";

static int print_json(sqlite3 *db)
{
    json_t *root = json_object();
    json_t *info = json_object();
    json_t *rows = rows_json(db, SQL_INFO);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_object_set(info, json_string_value(json_object_get(r, "key")),
                        json_object_get(r, "value"));
    }
    json_decref(rows);
    json_object_set_new(root, "case", info);
    json_object_set_new(root, "segments", rows_json(db, SQL_SEGS));
    json_object_set_new(root, "volumes", rows_json(db, SQL_VOLS));
    json_object_set_new(root, "filesystems", rows_json(db, SQL_FS));
    json_object_set_new(root, "data_roots", rows_json(db, SQL_ROOTS));
    json_object_set_new(root, "errors", rows_json(db, "SELECT * FROM errors ORDER BY id"));
    char *s = json_dumps(root, JSON_INDENT(2) | casecmd_json_flags());
    json_decref(root);
    if (!s)
        return HUSK_EXIT_FAIL;
    casecmd_put_json(s);
    free(s);
    return HUSK_EXIT_OK;
}

/* Prints "label: text" built from one row of sql (the columns joined by the format). */
static void summary_line(sqlite3 *db, const char *label, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        printf("  %-12s %s\n", label, husk_esc(col(st, 0)));
    sqlite3_finalize(st);
}

/* What the runtime readers found, one line each (details: husk containers, images, ...). */
static void print_summary(sqlite3 *db)
{
    printf("\nFound\n");
    summary_line(db, "containers",
                 "SELECT count(*) || coalesce(' (' || (SELECT group_concat(n || ' ' || state, ', ') "
                 "FROM (SELECT state, count(*) n FROM containers GROUP BY state ORDER BY n DESC)) "
                 "|| ')', '') FROM containers");
    summary_line(db, "images", "SELECT count(*) || ' (' || (SELECT count(*) FROM images WHERE "
                               "repo_tags != '[]') || ' tagged), ' || (SELECT count(*) FROM "
                               "layers) || ' layers' FROM images");
    summary_line(db, "volumes", "SELECT count(*) FROM docker_volumes");
    summary_line(db, "files", "SELECT count(*) || coalesce(' (' || (SELECT group_concat(n || ' ' "
                              "|| scope, ', ') FROM (SELECT scope, count(*) n FROM files GROUP BY "
                              "scope ORDER BY n DESC)) || ')', '') FROM files");
    summary_line(db, "log lines", "SELECT count(*) FROM logs");
    summary_line(db, "findings",
                 "SELECT count(*) || coalesce(' (' || (SELECT group_concat(n || ' ' || severity, "
                 "', ') FROM (SELECT severity, count(*) n FROM findings GROUP BY severity ORDER BY "
                 "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
                 "WHEN 'low' THEN 3 ELSE 4 END)) || ')', '') FROM findings");
}

static void print_text(husk_casedb *cdb)
{
    sqlite3 *db = husk_casedb_sqlite(cdb);
    sqlite3_stmt *st;
    static const char *keys[][2] = {
        {"evidence_path", "Evidence"},      {"evidence_format", "Format"},
        {"evidence_size", "Size (bytes)"},  {"evidence_segments", "Segments"},
        {"ewf_stored_md5", "EWF MD5"},      {"ewf_stored_sha1", "EWF SHA-1"},
        {"ewf_verified", "EWF verified"},   {"evidence_md5", "Media MD5"},
        {"evidence_sha1", "Media SHA-1"},   {"evidence_sha256", "Media SHA-256"},
        {"tool_version", "Analysed by"},    {"started_at", "Started"},
        {"finished_at", "Finished"},        {"status", "Status"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *v = husk_casedb_get_info(cdb, keys[i][0]);
        if (v || strcmp(keys[i][0], "finished_at") == 0)
            printf("%-15s %s\n", keys[i][1], v ? husk_esc(v) : "(not finished: incomplete case)");
        free(v);
    }
    if (sqlite3_prepare_v2(db, SQL_SEGS, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("  segment %s  %s  %s bytes\n", col(st, 0), husk_esc(col(st, 1)), col(st, 2));
        sqlite3_finalize(st);
    }
    printf("\nVolumes\n  %-3s %-10s %14s %14s  %s\n", "ID", "KIND", "OFFSET", "LENGTH",
           "DESCRIPTION");
    if (sqlite3_prepare_v2(db, SQL_VOLS, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("  %-3s %-10s %14s %14s  %s%s%s%s\n", col(st, 0), husk_esc(col(st, 1)),
                   col(st, 2), col(st, 3), husk_esc(col(st, 4)),
                   sqlite3_column_type(st, 5) != SQLITE_NULL ? " (in volume " : "",
                   sqlite3_column_type(st, 5) != SQLITE_NULL ? col(st, 5) : "",
                   sqlite3_column_type(st, 5) != SQLITE_NULL ? ")" : "");
        sqlite3_finalize(st);
    }
    printf("\nFile systems\n  %-3s %-4s %14s %-6s %-6s %-36s %s\n", "ID", "VOL", "OFFSET",
           "TYPE", "BLOCK", "UUID", "LABEL");
    if (sqlite3_prepare_v2(db, SQL_FS, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
        {
            printf("  %-3s %-4s %14s %-6s %-6s %-36s %s\n", col(st, 0), col(st, 1), col(st, 2),
                   husk_esc(col(st, 3)), col(st, 6), husk_esc(col(st, 5)), husk_esc(col(st, 4)));
            if (sqlite3_column_type(st, 8) != SQLITE_NULL)
                printf("      journal: %s\n", husk_esc(col(st, 8)));
            if (sqlite3_column_type(st, 9) != SQLITE_NULL)
                printf("      mounted on the node at %s (its /etc/fstab)\n", husk_esc(col(st, 9)));
        }
        sqlite3_finalize(st);
    }
    printf("\nData roots\n  %-3s %-3s %-11s %-16s %-22s %s\n", "ID", "FS", "RUNTIME", "DRIVER",
           "FOUND BY", "PATH");
    if (sqlite3_prepare_v2(db, SQL_ROOTS, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("  %-3s %-3s %-11s %-16s %-22s %s%s%s%s\n", col(st, 0), col(st, 1),
                   husk_esc(col(st, 3)), husk_esc(col(st, 4)), husk_esc(col(st, 5)),
                   husk_esc(col(st, 2)),
                   sqlite3_column_type(st, 6) != SQLITE_NULL && strcmp(col(st, 6), col(st, 2))
                       ? " (on the node: "
                       : "",
                   sqlite3_column_type(st, 6) != SQLITE_NULL && strcmp(col(st, 6), col(st, 2))
                       ? husk_esc(col(st, 6))
                       : "",
                   sqlite3_column_type(st, 6) != SQLITE_NULL && strcmp(col(st, 6), col(st, 2))
                       ? ")"
                       : "");
        sqlite3_finalize(st);
    }
    print_summary(db);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM errors", -1, &st, NULL) == SQLITE_OK) {
        int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (n) {
            printf("\nProblems recorded (%d)\n", n);
            if (sqlite3_prepare_v2(db, SQL_ERRS, -1, &st, NULL) == SQLITE_OK) {
                while (sqlite3_step(st) == SQLITE_ROW)
                    printf("  [%s] %s%s%s: %s\n", husk_esc(col(st, 0)), husk_esc(col(st, 1)),
                           sqlite3_column_type(st, 2) != SQLITE_NULL ? " @" : "",
                           sqlite3_column_type(st, 2) != SQLITE_NULL ? col(st, 2) : "",
                           husk_esc(col(st, 3)));
                sqlite3_finalize(st);
            }
        }
    }
}

/* -v: phase_time.NAME / phase_cpu.NAME and peak_rss_kib, written by husk analyse. */
static void print_phases(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT substr(t.key, 12), t.value, c.value FROM case_info t "
                           "LEFT JOIN case_info c ON c.key = 'phase_cpu.' || substr(t.key, 12) "
                           "WHERE t.key LIKE 'phase\\_time.%' ESCAPE '\\' ORDER BY t.rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0)
            printf("\nAnalysis time\n  %-18s %10s %10s\n", "PHASE", "WALL s", "CPU s");
        printf("  %-18s %10s %10s\n", husk_esc(col(st, 0)), husk_esc(col(st, 1)),
               husk_esc(col(st, 2)));
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT value FROM case_info WHERE key = 'peak_rss_kib'", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            printf("  peak memory (RSS) %s KiB\n", husk_esc(col(st, 0)));
        sqlite3_finalize(st);
    }
    if (!n)
        printf("\nAnalysis time: not recorded (analysed by an older husk)\n");
}

int cmd_info(int argc, char **argv)
{
    static const struct option lo[] = {
        {"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int json = 0, verbose = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qhv", lo, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'q')
            cli_quiet = 1;
        else if (c == 'v')
            verbose = 1;
        else if (c == 'h') {
            info_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            info_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give exactly one case database");
        info_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_err err = {0};
    husk_casedb *db;
    if (husk_casedb_open_ro(argv[optind], &db, &err) < 0) {
        cli_error("%s", err.msg);
        return HUSK_EXIT_CASEDB;
    }
    int rc = HUSK_EXIT_OK;
    if (json)
        rc = print_json(husk_casedb_sqlite(db));
    else {
        print_text(db);
        if (verbose)
            print_phases(husk_casedb_sqlite(db));
    }
    husk_casedb_close(db);
    return rc;
}
