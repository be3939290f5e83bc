/* husk diff: a container's file-system changes as `docker diff` prints them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/casedb.h"
#include "husk/escape.h"

static void diff_usage(FILE *f)
{
    fprintf(f,
            "usage: husk diff [--json] CASE.db CONTAINER\n"
            "\n"
            "Shows the changes to a container's file system, exactly as 'docker diff' would:\n"
            "  A /path   added          C /path   changed          D /path   deleted\n"
            "computed by 'husk analyse' from the container's overlay2 upper directory against\n"
            "its init and image layers (the same comparison Docker makes). CONTAINER is a name,\n"
            "a full ID or a unique ID prefix. A container that never wrote anything has no\n"
            "changes and prints nothing.\n"
            "\n"
            "Order: Docker's own, except among the entries of one directory. Like Docker, a\n"
            "directory's line comes before the changes inside it and deletions come after the\n"
            "other entries of their directory; Docker takes the entries of a directory from a\n"
            "Go map (a random order), husk takes them in byte order. Compare with a real\n"
            "'docker diff' as sets (sort both).\n"
            "\n"
            "Options:\n"
            "  --json      a JSON array in the Docker API's form: [{\"Path\": ..., \"Kind\": N}],\n"
            "              Kind 0 = changed, 1 = added, 2 = deleted\n"
            "  -q, --quiet no warnings on standard error\n"
            "  -h, --help  this help\n");
}

static int kind_number(const char *k)
{
    return k[0] == 'A' ? 1 : k[0] == 'D' ? 2 : 0;
}

int cmd_diff(int argc, char **argv)
{
    static const struct option lo[] = {
        {"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'q')
            cli_quiet = 1;
        else if (c == 'h') {
            diff_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            diff_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("give a case database and a container");
        diff_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    char id[65];
    if ((rc = casecmd_container(db, argv[optind + 1], id)) != 0) {
        husk_casedb_close(db);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT change, path FROM container_diff WHERE container_id = ?1 "
                           "ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot read the case database: %s", sqlite3_errmsg(husk_casedb_sqlite(db)));
        husk_casedb_close(db);
        return HUSK_EXIT_CASEDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int tty = isatty(STDOUT_FILENO);
    json_t *arr = json ? json_array() : NULL;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1);
        if (!k || !p)
            continue;
        if (json) {
            json_t *path = json_string(p);
            if (!path) /* not valid UTF-8: keep it visible rather than dropping it */
                path = json_string(husk_esc(p));
            json_array_append_new(arr,
                                  json_pack("{s:o,s:i}", "Path", path, "Kind", kind_number(k)));
        } else {
            /* the path is evidence: raw for pipes (byte-exact, like docker), escaped for eyes */
            printf("%s %s\n", k, tty ? husk_esc(p) : p);
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        cli_error("cannot read the case database: %s", sqlite3_errmsg(husk_casedb_sqlite(db)));
        rc = HUSK_EXIT_CASEDB;
    }
    if (json && rc == 0) {
        char *s = json_dumps(arr, JSON_INDENT(2) | casecmd_json_flags());
        if (s)
            casecmd_put_json(s);
        else
            rc = HUSK_EXIT_FAIL;
        free(s);
    }
    json_decref(arr);
    husk_casedb_close(db);
    return rc;
}
