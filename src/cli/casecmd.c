/* Helpers for commands that read a case database: opening it, resolving containers the way
 * Docker does (full ID, unique ID prefix, or name with or without its leading slash). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "casecmd.h"
#include "husk/escape.h"
#include "husk/caseev.h"
#include "husk/node.h"
#include "cli.h"
#include "husk/logs.h"

int casecmd_open(const char *path, husk_casedb **db)
{
    husk_err err = {0};
    if (husk_casedb_open_ro(path, db, &err) < 0) {
        cli_error("%s", err.msg);
        return HUSK_EXIT_CASEDB;
    }
    char *fin = husk_casedb_get_info(*db, "finished_at");
    if (!fin)
        cli_warn("case database '%s' is incomplete (the analysis did not finish)", path);
    free(fin);
    return 0;
}

int casecmd_container(husk_casedb *db, const char *ref, char id[65])
{
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_stmt *st = NULL;
    const char *name = ref[0] == '/' ? ref + 1 : ref;
    int found = 0;
    /* exact name or exact ID first, as Docker resolves them */
    if (sqlite3_prepare_v2(s, "SELECT id FROM containers WHERE id = ?1 OR name = ?2", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (found++ == 0)
                snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    if (found == 1)
        return 0;
    if (found > 1) {
        cli_error("'%s' names more than one container; use the full ID", ref);
        return HUSK_EXIT_USAGE;
    }
    size_t n = strlen(ref);
    for (size_t i = 0; i < n; i++)
        if (!((ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f')))
            n = 0;
    if (n > 0 && n <= 64 &&
        sqlite3_prepare_v2(s, "SELECT id FROM containers WHERE substr(id, 1, ?2) = ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, (int)n);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (found++ == 0)
                snprintf(id, 65, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    if (found == 1)
        return 0;
    if (found > 1)
        cli_error("ID prefix '%s' is ambiguous: more than one container matches", ref);
    else
        cli_error("no such container: %s ('husk containers CASE.db' lists them)", ref);
    return found > 1 ? HUSK_EXIT_USAGE : HUSK_EXIT_FAIL;
}

const char *casecmd_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

void casecmd_go_time(const char *rfc, char *out, size_t n)
{
    if (!rfc || strlen(rfc) < 19)
        snprintf(out, n, "%s", "");
    else
        snprintf(out, n, "%.10s %.8s +0000 UTC", rfc, rfc + 11);
}

int casecmd_json_flags(void)
{
    return JSON_PRESERVE_ORDER | (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII : 0);
}

void casecmd_put_json(const char *s)
{
    /* jansson leaves DEL (0x7f) raw even with JSON_ENSURE_ASCII; JSON allows \u007f */
    if (!isatty(STDOUT_FILENO) || !strchr(s, 0x7f)) {
        puts(s);
        return;
    }
    for (; *s; s++) {
        if (*s == 0x7f)
            fputs("\\u007f", stdout);
        else
            putchar(*s);
    }
    putchar('\n');
}

void casecmd_print_json_line(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | casecmd_json_flags()) : NULL;
    if (s)
        casecmd_put_json(s);
    free(s);
    json_decref(o);
}

static void quiet_diag(void *ctx, const char *phase, const char *object, int64_t off,
                       const char *msg)
{
}

int casecmd_open_evidence(husk_casedb *db, const char *image, const husk_open_opts *o,
                          husk_node **node)
{
    husk_diag diag = {quiet_diag, NULL, 0};
    husk_err err = {0};
    if (husk_case_open_evidence(db, image, o, o && o->no_replay, node, &diag, &err) == 0)
        return 0;
    cli_error("cannot open the evidence: %s%s", err.msg,
              image ? "" : " (if it has moved, give its new place with --image PATH)");
    return err.code == HUSK_E_ARG ? HUSK_EXIT_EVIDENCE : cli_exit_for(&err, HUSK_EXIT_EVIDENCE);
}

/* Parses a --since/--until value into the case database's time form. */
int casecmd_parse_when(const char *s, char out[40])
{
    husk_timespec t;
    size_t n = strlen(s);
    char buf[64];
    if (husk_log_time_parse(s, n, &t) == 0) {
        husk_log_time_format(&t, out, 40);
        return out[0] ? 0 : -1;
    }
    if (n == 10 && s[4] == '-') { /* a date: its first instant */
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        return casecmd_parse_when(buf, out);
    }
    if (n >= 19 && n < 40 && s[10] == 'T' && !strpbrk(s + 19, "Zz+-")) {
        snprintf(buf, sizeof buf, "%sZ", s); /* no offset given: UTC */
        return casecmd_parse_when(buf, out);
    }
    /* Unix seconds with an optional fraction, as docker accepts */
    char *end;
    long long sec = strtoll(s, &end, 10);
    if (end == s || (*end && *end != '.') || sec < 0)
        return -1;
    t.sec = sec;
    t.nsec = 0;
    t.present = 1;
    if (*end == '.') {
        int nd = 0;
        for (const char *p = end + 1; *p; p++, nd++) {
            if (*p < '0' || *p > '9')
                return -1;
            if (nd < 9)
                t.nsec = t.nsec * 10 + (uint32_t)(*p - '0');
        }
        for (; nd < 9; nd++)
            t.nsec *= 10;
    }
    husk_log_time_format(&t, out, 40);
    return out[0] ? 0 : -1;
}
