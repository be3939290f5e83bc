/*
 * husk timeline: the case database's timeline table, sorted by time and
 * streamed row by row, as a TSK bodyfile (for mactime), CSV or JSON lines (both
 * with Timesketch's fields). The mapping of husk's events onto bodyfile columns
 * is described in docs/commands/timeline.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/casedb.h"
#include "husk/escape.h"
#include "husk/strbuf.h"
#include "timeline_fmt.h"

enum { FMT_BODY, FMT_CSV, FMT_JSONL };

static void timeline_usage(FILE *f) {
  fprintf(
      f,
      "usage: husk timeline [options] CASE.db\n"
      "\n"
      "Writes the case's timeline (container lifecycle, image builds and "
      "pulls, file\n"
      "times of container layers, volumes and host persistence paths, log "
      "lines), sorted\n"
      "by time, in a form other timeline tools read:\n"
      "  bodyfile  TSK 3.x body format for 'mactime -b FILE' (times in Unix "
      "seconds)\n"
      "  csv       RFC 4180 CSV with Timesketch's columns (message, datetime,\n"
      "            timestamp, timestamp_desc) and husk's own (container, path, "
      "source,\n"
      "            provenance: recovered_from, confidence, source table and "
      "row)\n"
      "  jsonl     the same fields, one JSON object per line (Timesketch's "
      "JSONL)\n"
      "\n"
      "Options:\n"
      "  -F, --format FMT      bodyfile, csv or jsonl (default: bodyfile)\n"
      "      --json            the same as --format jsonl\n"
      "      --container REF   only this container's events (a name, an ID or "
      "a unique\n"
      "                        ID prefix, as docker resolves them)\n"
      "      --since T         only events at or after T\n"
      "      --until T         only events at or before T\n"
      "  -o, --output FILE     write to FILE (replaced) instead of standard "
      "output\n"
      "  -q, --quiet           no warnings and no summary on standard error\n"
      "  -h, --help            this help\n"
      "\n"
      "T is an RFC 3339 time (2026-11-30T02:13:11Z, "
      "2026-11-30T03:13:11.5+01:00), a date\n"
      "(2026-11-30) or Unix seconds with an optional fraction "
      "(1796004791.148), as\n"
      "docker logs --since takes them.\n"
      "\n"
      "In a bodyfile a file's line carries its real m/a/c/b times (those "
      "inside\n"
      "--since/--until; the others are 0); every other event is one line whose "
      "name is\n"
      "its description, with its time in the b column (created), c "
      "(last-updated) or\n"
      "m (started, finished, log). Names escape control characters and invalid "
      "UTF-8 as\n"
      "\\xNN and write '|' and '%%' as %%7C and %%25 (mactime decodes them).\n"
      "\n"
      "Examples:\n"
      "  husk timeline node.db -o node.body && mactime -b node.body -d -y\n"
      "  husk timeline --format csv --container web --since "
      "2026-11-30T02:12:00Z node.db\n");
}

typedef struct tl_ctx {
  FILE *out;
  int fmt, term;
  const char *since, *until; /* case-db form, or NULL */
  husk_strbuf line, tmp;
  unsigned long long rows;
} tl_ctx;

/* Columns of the query below. */
enum {
  C_ROWID,
  C_TIME,
  C_SOURCE,
  C_KIND,
  C_CID,
  C_PATH,
  C_DESC,
  C_STABLE,
  C_SROW,
  C_RECFROM,
  C_CONF,
  C_CNAME,
  C_FID,
  C_INODE,
  C_MODE,
  C_UID,
  C_GID,
  C_SIZE,
  C_MTIME,
  C_ATIME,
  C_CTIME,
  C_CRTIME,
  C_SCOPE,
  C_CHANGE
};

static const char *txt(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

static int in_range(const tl_ctx *c, const char *t) {
  return t && (!c->since || strcmp(t, c->since) >= 0) &&
         (!c->until || strcmp(t, c->until) <= 0);
}

static int64_t secs(const char *t) {
  int64_t s;
  uint32_t ns;
  return tl_parse_time(t, &s, &ns) == 0 ? s : 0;
}

/* The container's name, or the first 12 characters of its ID. */
static void container_label(sqlite3_stmt *st, char *out, size_t n) {
  const char *name = txt(st, C_CNAME), *id = txt(st, C_CID);
  snprintf(out, n, "%.*s", name ? 200 : 12, name ? name : id ? id : "");
}

static void add_provenance(husk_strbuf *sb, sqlite3_stmt *st) {
  const char *rf = txt(st, C_RECFROM);
  if (rf && strcmp(rf, "live") != 0) {
    husk_sb_addf(sb, ", recovered: %s", rf);
    if (sqlite3_column_type(st, C_CONF) != SQLITE_NULL)
      husk_sb_addf(sb, ", confidence %.2f", sqlite3_column_double(st, C_CONF));
  }
}

/* The bodyfile name of a row, before escaping. */
static void body_name(husk_strbuf *sb, sqlite3_stmt *st, int file) {
  char cl[256];
  container_label(st, cl, sizeof cl);
  if (file) {
    const char *ch = txt(st, C_CHANGE);
    husk_sb_adds(sb, txt(st, C_PATH) ? txt(st, C_PATH) : "?");
    husk_sb_addf(sb, " (%s", txt(st, C_SCOPE) ? txt(st, C_SCOPE) : "?");
    if (cl[0])
      husk_sb_addf(sb, " of container %s", cl);
    if (ch && ch[0])
      husk_sb_adds(sb, ch[0] == 'A'   ? ", added"
                       : ch[0] == 'D' ? ", deleted"
                                      : ", changed");
    add_provenance(sb, st);
    husk_sb_adds(sb, ")");
    return;
  }
  const char *kind = txt(st, C_KIND);
  if (kind && strcmp(kind, "log") == 0 && cl[0])
    husk_sb_addf(sb, "%s %s: ", cl,
                 txt(st, C_SOURCE) ? txt(st, C_SOURCE) : "log");
  husk_sb_adds(sb, txt(st, C_DESC) ? txt(st, C_DESC) : "");
  husk_sb_addf(sb, " (%s", txt(st, C_STABLE) ? txt(st, C_STABLE) : "timeline");
  if (sqlite3_column_type(st, C_SROW) != SQLITE_NULL)
    husk_sb_addf(sb, " row %lld", (long long)sqlite3_column_int64(st, C_SROW));
  else
    husk_sb_addf(sb, " row %lld", (long long)sqlite3_column_int64(st, C_ROWID));
  add_provenance(sb, st);
  husk_sb_adds(sb, ")");
}

/*
 * One bodyfile line. A files row gets one line with its four times, written at
 * the first of its (in-range) times in timeline order, so mactime shows "m.c."
 * for a file whose mtime and ctime agree instead of two lines; its other
 * timeline rows write nothing.
 */
static int body_row(tl_ctx *c, sqlite3_stmt *st) {
  int file = sqlite3_column_type(st, C_FID) != SQLITE_NULL;
  int64_t t[4] = {0, 0, 0, 0}; /* a m c b */
  if (file) {
    /* timeline insertion order of the file kinds (src/casedb/timeline.c): m c b
     * a */
    static const int cols[4] = {C_MTIME, C_CTIME, C_CRTIME, C_ATIME};
    static const char *const kinds[4] = {"mtime", "ctime", "crtime", "atime"};
    int first = -1;
    for (int i = 0; i < 4; i++) {
      const char *v = txt(st, cols[i]);
      if (!in_range(c, v))
        continue;
      if (first < 0 || strcmp(v, txt(st, cols[first])) < 0)
        first = i;
    }
    if (first < 0 || !txt(st, C_KIND) ||
        strcmp(txt(st, C_KIND), kinds[first]) != 0)
      return 0;
    if (in_range(c, txt(st, C_ATIME)))
      t[0] = secs(txt(st, C_ATIME));
    if (in_range(c, txt(st, C_MTIME)))
      t[1] = secs(txt(st, C_MTIME));
    if (in_range(c, txt(st, C_CTIME)))
      t[2] = secs(txt(st, C_CTIME));
    if (in_range(c, txt(st, C_CRTIME)))
      t[3] = secs(txt(st, C_CRTIME));
  } else {
    int64_t s = secs(txt(st, C_TIME));
    switch (tl_body_column(txt(st, C_KIND))) {
    case 'a':
      t[0] = s;
      break;
    case 'c':
      t[2] = s;
      break;
    case 'b':
      t[3] = s;
      break;
    default:
      t[1] = s;
      break;
    }
  }
  char mode[13];
  tl_mode_string(file && sqlite3_column_type(st, C_MODE) != SQLITE_NULL
                     ? sqlite3_column_int64(st, C_MODE)
                     : -1,
                 mode);
  husk_sb_reset(&c->tmp);
  body_name(&c->tmp, st, file);
  husk_sb_reset(&c->line);
  husk_sb_adds(&c->line, "0|");
  if (tl_body_field(&c->line, c->tmp.buf ? c->tmp.buf : "", c->tmp.len) < 0)
    return -1;
  husk_sb_addf(&c->line, "|%lld|%s|%lld|%lld|%lld|%lld|%lld|%lld|%lld\n",
               file ? (long long)sqlite3_column_int64(st, C_INODE) : 0LL, mode,
               file ? (long long)sqlite3_column_int64(st, C_UID) : 0LL,
               file ? (long long)sqlite3_column_int64(st, C_GID) : 0LL,
               file ? (long long)sqlite3_column_int64(st, C_SIZE) : 0LL,
               (long long)t[0], (long long)t[1], (long long)t[2],
               (long long)t[3]);
  c->rows++;
  return fwrite(c->line.buf, 1, c->line.len, c->out) == c->line.len ? 0 : -1;
}

/* Timesketch's message: the description, with the container's name when the
 * description does not already give it. */
static void message(husk_strbuf *sb, sqlite3_stmt *st) {
  char cl[256];
  container_label(st, cl, sizeof cl);
  const char *src = txt(st, C_SOURCE);
  if (cl[0] && !(src && strcmp(src, "container") == 0))
    husk_sb_addf(sb, "[%s] ", cl);
  const char *d = txt(st, C_DESC) ? txt(st, C_DESC) : "";
  husk_sb_adds(sb, d);
  /* files descriptions already say "[recovered: journal]"; the others get it
   * here */
  const char *rf = txt(st, C_RECFROM);
  if (rf && strcmp(rf, "live") != 0 && !strstr(d, "[recovered: "))
    husk_sb_addf(sb, " [recovered: %s]", rf);
}

static const char *const field_names[] = {
    "message",        "datetime",   "timestamp",    "timestamp_desc", "time",
    "source",         "kind",       "container_id", "container_name", "path",
    "recovered_from", "confidence", "src_table",    "src_rowid"};

static int csv_text(tl_ctx *c, const char *s) {
  return tl_csv_field(&c->line, s ? s : "", s ? strlen(s) : 0, c->term);
}

static int csv_header(tl_ctx *c) {
  husk_sb_reset(&c->line);
  for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++)
    husk_sb_addf(&c->line, "%s%s", i ? "," : "", field_names[i]);
  husk_sb_adds(&c->line, "\r\n");
  return fwrite(c->line.buf, 1, c->line.len, c->out) == c->line.len ? 0 : -1;
}

/* A JSON string of evidence text; text that is not UTF-8 is escaped as on a
 * terminal. */
static json_t *jstr(const char *s) {
  if (!s)
    return json_null();
  json_t *j = json_string(s);
  if (j)
    return j;
  husk_strbuf sb = HUSK_STRBUF_INIT;
  if (husk_escape_term(&sb, s, strlen(s)) == 0)
    j = json_string(husk_sb_str(&sb));
  husk_sb_release(&sb);
  return j ? j : json_null();
}

/* What CSV and JSON lines say of a timeline row besides its own columns. */
typedef struct tl_event {
  const char *time, *desc, *msg;
  char iso[48], cname[256];
  long long us;
  int in_container, has_conf, has_srow;
} tl_event;

/* Fills e from the current row (e->msg lives in c->tmp); -1 when the row's time
 * is not one. */
static int event_of(tl_ctx *c, sqlite3_stmt *st, tl_event *e) {
  int64_t sec;
  uint32_t nsec;
  e->time = txt(st, C_TIME);
  if (tl_parse_time(e->time, &sec, &nsec) < 0)
    return -1;
  tl_iso8601_us(sec, nsec, e->iso, sizeof e->iso);
  e->us = (long long)sec * 1000000 + nsec / 1000;
  container_label(st, e->cname, sizeof e->cname);
  e->in_container = txt(st, C_CID) != NULL;
  e->desc = tl_timestamp_desc(txt(st, C_SOURCE), txt(st, C_KIND));
  husk_sb_reset(&c->tmp);
  message(&c->tmp, st);
  e->msg = husk_sb_str(&c->tmp);
  e->has_conf = sqlite3_column_type(st, C_CONF) != SQLITE_NULL;
  e->has_srow = sqlite3_column_type(st, C_SROW) != SQLITE_NULL;
  return 0;
}

/* One CSV record into c->line, in field_names' order. */
static int csv_row(tl_ctx *c, sqlite3_stmt *st, const tl_event *e) {
  const char *text[] = {txt(st, C_SOURCE), txt(st, C_KIND),
                        txt(st, C_CID),    e->in_container ? e->cname : NULL,
                        txt(st, C_PATH),   txt(st, C_RECFROM)};
  int r = csv_text(c, e->msg);
  husk_sb_addf(&c->line, ",\"%s\",%lld,", e->iso, e->us);
  r |= csv_text(c, e->desc);
  husk_sb_adds(&c->line, ",");
  r |= csv_text(c, e->time);
  for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
    husk_sb_adds(&c->line, ",");
    r |= csv_text(c, text[i]);
  }
  if (e->has_conf)
    husk_sb_addf(&c->line, ",%.6g,", sqlite3_column_double(st, C_CONF));
  else
    husk_sb_adds(&c->line, ",,");
  r |= csv_text(c, txt(st, C_STABLE));
  if (e->has_srow)
    husk_sb_addf(&c->line, ",%lld",
                 (long long)sqlite3_column_int64(st, C_SROW));
  else
    husk_sb_adds(&c->line, ",");
  husk_sb_adds(&c->line, "\r\n");
  return r ? -1 : 0;
}

/* One JSON line into c->line, with the same fields as the CSV. */
static int json_row(tl_ctx *c, sqlite3_stmt *st, const tl_event *e) {
  json_t *o = json_object();
  json_object_set_new(o, "message", jstr(e->msg));
  json_object_set_new(o, "datetime", json_string(e->iso));
  json_object_set_new(o, "timestamp", json_integer(e->us));
  json_object_set_new(o, "timestamp_desc", jstr(e->desc));
  json_object_set_new(o, "time", jstr(e->time));
  json_object_set_new(o, "source", jstr(txt(st, C_SOURCE)));
  json_object_set_new(o, "kind", jstr(txt(st, C_KIND)));
  json_object_set_new(o, "container_id", jstr(txt(st, C_CID)));
  json_object_set_new(o, "container_name",
                      jstr(e->in_container ? e->cname : NULL));
  json_object_set_new(o, "path", jstr(txt(st, C_PATH)));
  json_object_set_new(o, "recovered_from", jstr(txt(st, C_RECFROM)));
  json_object_set_new(o, "confidence",
                      e->has_conf ? json_real(sqlite3_column_double(st, C_CONF))
                                  : json_null());
  json_object_set_new(o, "src_table", jstr(txt(st, C_STABLE)));
  json_object_set_new(o, "src_rowid",
                      e->has_srow
                          ? json_integer(sqlite3_column_int64(st, C_SROW))
                          : json_null());
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                              JSON_REAL_PRECISION(15) |
                              (c->term ? JSON_ENSURE_ASCII : 0));
  json_decref(o);
  if (!s)
    return -1;
  husk_sb_adds(&c->line, s);
  husk_sb_adds(&c->line, "\n");
  free(s);
  return 0;
}

/* One CSV record or JSON line per timeline row. */
static int record_row(tl_ctx *c, sqlite3_stmt *st) {
  tl_event e;
  if (event_of(c, st, &e) < 0)
    return 0; /* not a time: nothing to place on a timeline (the case db writes
                 none) */
  husk_sb_reset(&c->line);
  c->rows++;
  if ((c->fmt == FMT_CSV ? csv_row(c, st, &e) : json_row(c, st, &e)) < 0)
    return -1;
  return fwrite(c->line.buf, 1, c->line.len, c->out) == c->line.len ? 0 : -1;
}

/* Case databases written before the timeline had src_table and friends still
 * export, with NULL provenance and one bodyfile line per file time. */
static int has_provenance(sqlite3 *s) {
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(
               s,
               "SELECT src_table, src_rowid, recovered_from, confidence "
               "FROM timeline LIMIT 0",
               -1, &st, NULL) == SQLITE_OK;
  sqlite3_finalize(st);
  return ok;
}

static int prepare(sqlite3 *s, const char *cid, const char *since,
                   const char *until, sqlite3_stmt **st) {
  int prov = has_provenance(s);
  husk_strbuf q = HUSK_STRBUF_INIT;
  husk_sb_addf(
      &q,
      "SELECT t.rowid, t.time, t.source, t.kind, t.container_id, t.path, "
      "t.description, %s, c.name, f.id, f.inode, f.mode, f.uid, f.gid, f.size, "
      "f.mtime, f.atime, f.ctime, f.crtime, f.scope, f.change "
      "FROM timeline t LEFT JOIN containers c ON c.id = t.container_id "
      "LEFT JOIN files f ON %s WHERE t.time IS NOT NULL",
      prov ? "t.src_table, t.src_rowid, t.recovered_from, t.confidence"
           : "NULL, NULL, NULL, NULL",
      prov ? "t.src_table = 'files' AND f.id = t.src_rowid" : "0");
  /* only the conditions given, so a time range is a range of the time index */
  if (cid)
    husk_sb_adds(&q, " AND t.container_id = ?1");
  if (since)
    husk_sb_adds(&q, " AND t.time >= ?2");
  if (until)
    husk_sb_adds(&q, " AND t.time <= ?3");
  husk_sb_adds(&q, " ORDER BY t.time, t.rowid");
  int rc = sqlite3_prepare_v2(s, husk_sb_str(&q), -1, st, NULL);
  husk_sb_release(&q);
  if (rc != SQLITE_OK)
    return -1;
  if (cid)
    sqlite3_bind_text(*st, 1, cid, -1, SQLITE_TRANSIENT);
  if (since)
    sqlite3_bind_text(*st, 2, since, -1, SQLITE_TRANSIENT);
  if (until)
    sqlite3_bind_text(*st, 3, until, -1, SQLITE_TRANSIENT);
  return 0;
}

/* Refuses to write over the case database itself. */
static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

typedef struct tl_args {
  int fmt;
  const char *ref, *outpath, *dbpath;
  char since[40], until[40];
  int has_since, has_until;
} tl_args;

/* 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, tl_args *a) {
  enum { O_JSON = 256, O_CONTAINER, O_SINCE, O_UNTIL };
  static const struct option lo[] = {
      {"format", required_argument, NULL, 'F'},
      {"json", no_argument, NULL, O_JSON},
      {"container", required_argument, NULL, O_CONTAINER},
      {"since", required_argument, NULL, O_SINCE},
      {"until", required_argument, NULL, O_UNTIL},
      {"output", required_argument, NULL, 'o'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  a->fmt = FMT_BODY;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "F:o:qh", lo, NULL)) != -1) {
    switch (c) {
    case 'F':
      if (strcmp(optarg, "bodyfile") == 0 || strcmp(optarg, "body") == 0)
        a->fmt = FMT_BODY;
      else if (strcmp(optarg, "csv") == 0)
        a->fmt = FMT_CSV;
      else if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0)
        a->fmt = FMT_JSONL;
      else {
        cli_error("unknown --format '%s': use bodyfile, csv or jsonl", optarg);
        return HUSK_EXIT_USAGE;
      }
      break;
    case O_JSON:
      a->fmt = FMT_JSONL;
      break;
    case O_CONTAINER:
      a->ref = optarg;
      break;
    case O_SINCE:
    case O_UNTIL:
      if (casecmd_parse_when(optarg, c == O_SINCE ? a->since : a->until) < 0) {
        cli_error(
            "--%s takes an RFC 3339 time, a date or Unix seconds, not '%s'",
            c == O_SINCE ? "since" : "until", optarg);
        return HUSK_EXIT_USAGE;
      }
      *(c == O_SINCE ? &a->has_since : &a->has_until) = 1;
      break;
    case 'o':
      a->outpath = optarg;
      break;
    case 'q':
      cli_quiet = 1;
      break;
    case 'h':
      timeline_usage(stdout);
      return -1;
    default:
      timeline_usage(stderr);
      return HUSK_EXIT_USAGE;
    }
  }
  if (optind != argc - 1) {
    cli_error(optind >= argc ? "no case database given"
                             : "more than one case database given");
    timeline_usage(stderr);
    return HUSK_EXIT_USAGE;
  }
  a->dbpath = argv[optind];
  if (a->outpath && same_file(a->outpath, a->dbpath)) {
    cli_error("-o %s is the case database itself; choose another file",
              a->outpath);
    return HUSK_EXIT_USAGE;
  }
  return 0;
}

/* Writes every row of st to ctx->out (opened here: FILE, or standard output).
 */
static int export_rows(tl_ctx *ctx, sqlite3 *s, sqlite3_stmt *st,
                       const char *outpath) {
  ctx->out = outpath ? fopen(outpath, "w") : stdout;
  if (!ctx->out) {
    cli_error("cannot create %s: %m", outpath);
    return HUSK_EXIT_FAIL;
  }
  ctx->term = isatty(fileno(ctx->out));
  int rc = 0, werr = ctx->fmt == FMT_CSV ? csv_header(ctx) : 0,
      step = SQLITE_DONE;
  while (!werr && (step = sqlite3_step(st)) == SQLITE_ROW)
    werr = ctx->fmt == FMT_BODY ? body_row(ctx, st) : record_row(ctx, st);
  if (!werr && step != SQLITE_DONE) {
    cli_error("cannot read the timeline of the case database: %s",
              sqlite3_errmsg(s));
    rc = HUSK_EXIT_CASEDB;
  }
  if (fflush(ctx->out) != 0 || ferror(ctx->out))
    werr = 1;
  if (outpath && fclose(ctx->out) != 0)
    werr = 1;
  if (werr) {
    cli_error("cannot write the timeline to %s: %m",
              outpath ? outpath : "standard output");
    return HUSK_EXIT_FAIL;
  }
  if (rc == 0 && outpath && !cli_quiet)
    fprintf(stderr, "husk: %llu %s written to %s\n", ctx->rows,
            ctx->fmt == FMT_BODY ? "bodyfile lines" : "events",
            husk_esc(outpath));
  return rc;
}

int cmd_timeline(int argc, char **argv) {
  tl_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc < 0 ? HUSK_EXIT_OK : rc;
  husk_casedb *db;
  if ((rc = casecmd_open(a.dbpath, &db)) != 0)
    return rc;
  sqlite3 *s = husk_casedb_sqlite(db);
  char id[65];
  if (a.ref && (rc = casecmd_container(db, a.ref, id)) != 0) {
    husk_casedb_close(db);
    return rc;
  }
  tl_ctx ctx = {.fmt = a.fmt,
                .since = a.has_since ? a.since : NULL,
                .until = a.has_until ? a.until : NULL,
                .line = HUSK_STRBUF_INIT,
                .tmp = HUSK_STRBUF_INIT};
  sqlite3_stmt *st = NULL;
  if (prepare(s, a.ref ? id : NULL, ctx.since, ctx.until, &st) < 0) {
    cli_error("cannot read the timeline of the case database: %s",
              sqlite3_errmsg(s));
    rc = HUSK_EXIT_CASEDB;
  } else {
    rc = export_rows(&ctx, s, st, a.outpath);
  }
  sqlite3_finalize(st);
  husk_sb_release(&ctx.line);
  husk_sb_release(&ctx.tmp);
  husk_casedb_close(db);
  return rc;
}
