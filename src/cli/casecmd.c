/* Helpers for commands that read a case database: opening it, resolving containers the way
 * Docker does (full ID, unique ID prefix, or name with or without its leading slash). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "casecmd.h"
#include "cli.h"

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
