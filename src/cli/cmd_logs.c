/*
 * husk logs: a container's logs from the case database, as `docker logs` prints them.
 *
 * The logs table keeps whole messages (Docker's 16 KiB chunks joined, trailing newline
 * dropped). `docker logs` prints chunk by chunk, so with --timestamps it repeats the time
 * before every chunk of a long line; to give the same bytes, a message is cut again where
 * Docker's copier cut it: every HUSK_LOG_CHUNK bytes, the last chunk holding the rest, which
 * is empty when the length is an exact multiple (Docker then stores an empty final chunk).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/escape.h"
#include "husk/logs.h"
#include "husk/strbuf.h"

static void logs_usage(FILE *f)
{
    fprintf(f,
            "usage: husk logs [options] CASE.db CONTAINER\n"
            "\n"
            "Prints a container's logs as `docker logs` printed them on the node, from the\n"
            "json-file, local and dual-logging cache files found on the disk (rotated and\n"
            "compressed files included, oldest first). CONTAINER is a name, an ID or a unique\n"
            "ID prefix. Both streams go to standard output in the order Docker logged them.\n"
            "When standard output is a terminal, control characters in the messages are\n"
            "escaped; otherwise the messages are written byte for byte.\n"
            "\n"
            "Options:\n"
            "  -t, --timestamps  prefix every line with its time (RFC 3339, nanoseconds, UTC)\n"
            "      --stdout      only the standard output stream\n"
            "      --stderr      only the standard error stream\n"
            "      --since T     only entries at or after T\n"
            "      --until T     only entries at or before T\n"
            "  -n, --tail N      only the last N entries (\"all\" for every entry)\n"
            "      --json        one JSON object per entry (every stream, with its source file)\n"
            "  -q, --quiet       no warnings on standard error\n"
            "  -h, --help        this help\n"
            "\n"
            "T is an RFC 3339 time (2026-11-30T02:05:08Z, with an optional fraction and\n"
            "offset; without an offset it is UTC), a date (2026-11-30) or Unix seconds\n"
            "(1796004308.5). Relative durations (10m) are refused: evidence has no 'now'.\n"
            "As in docker logs, --tail counts entries of both streams before --stdout/--stderr\n"
            "filter them, and lines of streams other than stdout and stderr are shown only\n"
            "with --json.\n");
}

typedef struct out_opts {
    int ts, json, tty, want_out, want_err;
} out_opts;

/* Writes bytes raw, or escaped for a terminal. */
static void put(const out_opts *o, const char *s, size_t n)
{
    if (!o->tty) {
        fwrite(s, 1, n, stdout);
        return;
    }
    husk_strbuf sb = HUSK_STRBUF_INIT;
    if (husk_escape_term(&sb, s, n) == 0)
        fwrite(husk_sb_str(&sb), 1, sb.len, stdout);
    husk_sb_release(&sb);
}

/* newline: 0 for an unfinished line, and for the lines Docker before 23.0 printed without one */
static void print_text(const out_opts *o, const char *time, const char *msg, size_t len,
                       int partial, int newline)
{
    if (!o->ts) {
        put(o, msg, len);
        if (newline)
            fputc('\n', stdout);
        return;
    }
    /* one time prefix per chunk Docker stored (see the top of this file) */
    size_t off = 0;
    do {
        size_t rest = len - off;
        size_t k = rest < HUSK_LOG_CHUNK ? rest : HUSK_LOG_CHUNK;
        if (partial && k == 0 && len > 0)
            break; /* an unfinished line has no empty final chunk */
        put(o, time, strlen(time));
        fputc(' ', stdout);
        put(o, msg + off, k);
        off += k;
        if (k < HUSK_LOG_CHUNK)
            break;
    } while (1);
    if (newline)
        fputc('\n', stdout);
}

/*
 * 1 when the container's data root was last run by Docker before 23.0 (see note_engine() in
 * src/logs/docker_logs.c): its local-driver reader dropped the newline after the last chunk of
 * a long line, and `docker logs` printed the next line straight after it.
 */
static int legacy_local_reader(sqlite3 *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    int legacy = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT value FROM case_info WHERE key = 'docker_engine.' || "
                           "(SELECT data_root_id FROM containers WHERE id = ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        legacy = v && strcmp((const char *)v, "before 23.0") == 0;
    }
    sqlite3_finalize(st);
    return legacy;
}

static void print_json(sqlite3_stmt *st, const char *msg, size_t len)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(o, "time",
                        sqlite3_column_type(st, 1) == SQLITE_NULL
                            ? json_null()
                            : json_string((const char *)sqlite3_column_text(st, 1)));
    const unsigned char *stream = sqlite3_column_text(st, 2);
    json_t *sv = stream ? json_string((const char *)stream) : json_null();
    json_object_set_new(o, "stream", sv ? sv : json_string(husk_esc((const char *)stream)));
    json_t *lv = json_stringn(msg, len);
    char *b64 = NULL;
    if (!lv) {
        /* not UTF-8: a readable form, and the exact bytes next to it */
        husk_strbuf sb = HUSK_STRBUF_INIT;
        husk_escape_term(&sb, msg, len);
        lv = json_stringn(husk_sb_str(&sb), sb.len);
        husk_sb_release(&sb);
        b64 = len <= INT32_MAX / 2 ? malloc(4 * ((len + 2) / 3) + 1) : NULL;
        if (b64)
            EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)msg, (int)len);
    }
    json_object_set_new(o, "log", lv ? lv : json_null());
    if (b64)
        json_object_set_new(o, "log_base64", json_string(b64));
    free(b64);
    json_object_set_new(o, "partial", json_boolean(sqlite3_column_int(st, 4)));
    const unsigned char *src = sqlite3_column_text(st, 5), *file = sqlite3_column_text(st, 6);
    json_object_set_new(o, "source", src ? json_string((const char *)src) : json_null());
    json_t *fv = file ? json_string((const char *)file) : json_null();
    json_object_set_new(o, "file", fv ? fv : json_string(husk_esc((const char *)file)));
    char *s = json_dumps(o, JSON_COMPACT | casecmd_json_flags());
    if (s)
        casecmd_put_json(s);
    free(s);
    json_decref(o);
}

static int print_logs(husk_casedb *cdb, const char *id, const out_opts *o, const char *since,
                      const char *until, long long tail)
{
    sqlite3 *db = husk_casedb_sqlite(cdb);
    sqlite3_stmt *st = NULL;
    /* tail first, then the time window, as Docker's log readers apply them */
    const char *sql = "SELECT seq, time, stream, message, partial, source, file FROM ("
                      " SELECT * FROM logs WHERE container_id = ?1 ORDER BY seq DESC, id DESC"
                      " LIMIT ?2) ORDER BY seq, id";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot read the logs table: %s", sqlite3_errmsg(db));
        return HUSK_EXIT_CASEDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, tail);
    int legacy = legacy_local_reader(db, id), rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *time = (const char *)sqlite3_column_text(st, 1);
        const char *stream = (const char *)sqlite3_column_text(st, 2);
        const char *tcmp = time ? time : ""; /* no time sorts first, like Go's zero time */
        if ((since && strcmp(tcmp, since) < 0) || (until && strcmp(tcmp, until) > 0))
            continue;
        int is_out = stream && strcmp(stream, "stdout") == 0;
        int is_err = stream && strcmp(stream, "stderr") == 0;
        if ((is_out && !o->want_out) || (is_err && !o->want_err))
            continue;
        if (!is_out && !is_err && (!o->json || !o->want_out || !o->want_err))
            continue;
        const char *msg = sqlite3_column_blob(st, 3);
        size_t len = (size_t)sqlite3_column_bytes(st, 3);
        if (!msg)
            msg = "";
        int partial = sqlite3_column_int(st, 4);
        const char *src = (const char *)sqlite3_column_text(st, 5);
        int chunked_local = len >= HUSK_LOG_CHUNK && src && strcmp(src, "json-file") != 0;
        if (o->json)
            print_json(st, msg, len);
        else
            print_text(o, time ? time : "0001-01-01T00:00:00.000000000Z", msg, len, partial,
                       !partial && !(legacy && chunked_local));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cli_error("cannot read the logs table: %s", sqlite3_errmsg(db));
        return HUSK_EXIT_CASEDB;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output");
        return HUSK_EXIT_FAIL;
    }
    return HUSK_EXIT_OK;
}

int cmd_logs(int argc, char **argv)
{
    enum { O_STDOUT = 256, O_STDERR, O_SINCE, O_UNTIL, O_JSON };
    static const struct option lo[] = {{"timestamps", no_argument, NULL, 't'},
                                       {"stdout", no_argument, NULL, O_STDOUT},
                                       {"stderr", no_argument, NULL, O_STDERR},
                                       {"since", required_argument, NULL, O_SINCE},
                                       {"until", required_argument, NULL, O_UNTIL},
                                       {"tail", required_argument, NULL, 'n'},
                                       {"json", no_argument, NULL, O_JSON},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    out_opts o = {0};
    char since[40], until[40];
    const char *since_p = NULL, *until_p = NULL;
    long long tail = -1; /* SQLite: a negative LIMIT means none */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "tn:qh", lo, NULL)) != -1) {
        switch (c) {
        case 't':
            o.ts = 1;
            break;
        case O_STDOUT:
            o.want_out = 1;
            break;
        case O_STDERR:
            o.want_err = 1;
            break;
        case O_JSON:
            o.json = 1;
            break;
        case 'q':
            cli_quiet = 1;
            break;
        case O_SINCE:
        case O_UNTIL:
            if (casecmd_parse_when(optarg, c == O_SINCE ? since : until) < 0) {
                cli_error("--%s '%s': give an RFC 3339 time, a date or Unix seconds",
                          c == O_SINCE ? "since" : "until", optarg);
                return HUSK_EXIT_USAGE;
            }
            if (c == O_SINCE)
                since_p = since;
            else
                until_p = until;
            break;
        case 'n': {
            char *end;
            if (strcmp(optarg, "all") == 0) {
                tail = -1;
                break;
            }
            tail = strtoll(optarg, &end, 10);
            if (end == optarg || *end || tail < 0) {
                cli_error("--tail '%s': give a number of entries or \"all\"", optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            logs_usage(stdout);
            return HUSK_EXIT_OK;
        default:
            logs_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("give a case database and a container");
        logs_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    if (!o.want_out && !o.want_err)
        o.want_out = o.want_err = 1;
    o.tty = isatty(STDOUT_FILENO);
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    char id[65];
    rc = casecmd_container(db, argv[optind + 1], id);
    if (rc == 0)
        rc = print_logs(db, id, &o, since_p, until_p, tail);
    husk_casedb_close(db);
    return rc;
}
