/* The report's SVG timeline: one row per container (created, started, finished, removed; its
 * log lines and upper-layer file changes as ticks), then histograms of all log lines and of
 * file changes, over a UTC time axis. Drawn from the containers, logs and files tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_int.h"

#define W 1200.0
#define LABEL 200.0
#define RIGHT 24.0
#define PW (W - LABEL - RIGHT)
#define AXIS 34.0
#define ROW 22.0
#define HIST 56.0
#define BINS 120
#define MAX_ROWS 80

typedef struct tl {
    double lo, hi;
} tl;

static double x_of(const tl *t, double v)
{
    return LABEL + (v - t->lo) / (t->hi - t->lo) * PW;
}

static void fmt_time(double v, int with_date, int ms, char *out, size_t n)
{
    time_t s = (time_t)floor(v);
    struct tm tm;
    if (!gmtime_r(&s, &tm))
        memset(&tm, 0, sizeof tm);
    char b[40];
    strftime(b, sizeof b,
             with_date > 1 ? "%Y-%m-%d" : with_date ? "%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
    if (ms && !with_date)
        snprintf(out, n, "%s.%03d", b, (int)((v - floor(v)) * 1000));
    else
        snprintf(out, n, "%s", b);
}

/* the time window: every container time and log line; 0 when there is none */
static int window(rep *r, tl *t)
{
    sqlite3_stmt *st = r_prep(r, "SELECT created FROM containers UNION ALL SELECT started_at "
                                 "FROM containers UNION ALL SELECT finished_at FROM containers "
                                 "UNION ALL SELECT min(time) FROM logs UNION ALL "
                                 "SELECT max(time) FROM logs");
    int any = 0;
    while (r_step(r, st)) {
        double v;
        const char *s = (const char *)sqlite3_column_text(st, 0);
        /* Docker's zero time (0001-01-01) means "never" */
        if (!r_time(s, &v) || v < 86400.0 * 365)
            continue;
        if (!any || v < t->lo)
            t->lo = v;
        if (!any || v > t->hi)
            t->hi = v;
        any = 1;
    }
    sqlite3_finalize(st);
    if (!any)
        return 0;
    double span = t->hi - t->lo;
    if (span < 1)
        span = 1;
    t->lo -= span * 0.02;
    t->hi += span * 0.04;
    return 1;
}

static void axis(rep *r, const tl *t, double height)
{
    static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
                                   2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                   10800, 21600, 43200, 86400, 172800, 604800, 2592000,
                                   7776000, 31536000, 315360000};
    double span = t->hi - t->lo, step = steps[0];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        step = steps[i];
        if (span / step <= 10)
            break;
    }
    if (span / step > 10)
        step = span / 10; /* centuries apart (a crafted or damaged time): ten plain ticks */
    /* 2: years apart, dates only; 1: days apart, dates and times; 0: times */
    int with_date = span > 86400.0 * 400 ? 2 : span > 86400 || step >= 86400;
    int ms = step < 1;
    double first = ceil(t->lo / step) * step;
    for (int k = 0; k < 12; k++) {
        double v = first + k * step;
        if (v > t->hi)
            break;
        double x = x_of(t, v);
        if (x < LABEL + 36)
            continue; /* its label would run into the date at the left */
        char lab[48];
        fmt_time(v, with_date, ms, lab, sizeof lab);
        r_fmt(r, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                 "stroke=\"#e3e7ee\"/>",
              x, AXIS - 6, x, height);
        r_fmt(r, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                 "fill=\"#374151\">%s</text>\n",
              x, AXIS - 10, lab);
    }
    char a[48], b[48];
    time_t s = (time_t)floor(t->lo);
    struct tm tm;
    if (!gmtime_r(&s, &tm) || !strftime(a, sizeof a, "%Y-%m-%d", &tm))
        snprintf(a, sizeof a, "?");
    s = (time_t)floor(t->hi);
    if (!gmtime_r(&s, &tm) || !strftime(b, sizeof b, "%Y-%m-%d", &tm))
        snprintf(b, sizeof b, "?");
    r_fmt(r, "<text x=\"8\" y=\"%.1f\" font-size=\"11\" font-weight=\"600\" fill=\"#374151\">"
             "UTC %s%s%s</text>\n",
          AXIS - 10, a, strcmp(a, b) ? " \xE2\x80\x93 " : "", strcmp(a, b) ? b : "");
    r_fmt(r, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa3b2\"/>\n",
          LABEL, AXIS - 4, W - RIGHT, AXIS - 4);
}

/* counts of times (column 0 of st) in BINS bins of the window; returns how many fell outside */
static long long bin(rep *r, const tl *t, sqlite3_stmt *st, unsigned *bins, long long *inside)
{
    long long out = 0;
    *inside = 0;
    memset(bins, 0, BINS * sizeof *bins);
    while (r_step(r, st)) {
        double v;
        if (!r_time((const char *)sqlite3_column_text(st, 0), &v))
            continue;
        if (v < t->lo || v > t->hi) {
            out++;
            continue;
        }
        int b = (int)((v - t->lo) / (t->hi - t->lo) * BINS);
        bins[b >= BINS ? BINS - 1 : b]++;
        (*inside)++;
    }
    return out;
}

/* ticks for the non-empty bins of one container row */
static void row_ticks(rep *r, const tl *t, const char *sql, const char *id, double y, double h,
                      const char *color, const char *cls, const char *what)
{
    unsigned bins[BINS];
    long long in;
    sqlite3_stmt *st = r_prep(r, sql);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    bin(r, t, st, bins, &in);
    sqlite3_finalize(st);
    for (int b = 0; b < BINS; b++) {
        if (!bins[b])
            continue;
        double x = LABEL + PW * b / BINS;
        r_fmt(r, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"%s\"><title>%u %s</title></rect>",
              cls, x, y, PW / BINS - 0.6, h, color, bins[b], what);
    }
}

static void hist(rep *r, const tl *t, const char *sql, double y, const char *label,
                 const char *color, const char *cls, const char *what, long long *outside)
{
    unsigned bins[BINS];
    long long in;
    sqlite3_stmt *st = r_prep(r, sql);
    if (!st)
        return;
    *outside = bin(r, t, st, bins, &in);
    sqlite3_finalize(st);
    unsigned max = 1;
    for (int b = 0; b < BINS; b++)
        if (bins[b] > max)
            max = bins[b];
    r_fmt(r, "<text x=\"8\" y=\"%.1f\" font-size=\"12\" font-weight=\"600\" fill=\"#1d2330\">"
             "%s</text><text x=\"8\" y=\"%.1f\" font-size=\"11\" fill=\"#6b7280\">%lld in view, "
             "max %u per bin</text>\n",
          y + HIST / 2 - 2, label, y + HIST / 2 + 12, in, max);
    r_fmt(r, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa3b2\"/>",
          LABEL, y + HIST, W - RIGHT, y + HIST);
    for (int b = 0; b < BINS; b++) {
        if (!bins[b])
            continue;
        double h = (HIST - 6) * bins[b] / max;
        if (h < 2)
            h = 2;
        r_fmt(r, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"%s\"><title>%u %s</title></rect>",
              cls, LABEL + PW * b / BINS, y + HIST - h, PW / BINS - 0.6, h, color, bins[b], what);
    }
    r_raw(r, "\n");
}

static const char *state_color(const char *s)
{
    if (!s)
        return "#9aa3b2";
    if (strcmp(s, "running") == 0)
        return "#2f9e44";
    if (strcmp(s, "removed") == 0)
        return "#c92a2a";
    if (strcmp(s, "exited") == 0)
        return "#5c7cfa";
    return "#f08c00";
}

static const char *SQL_LOG_ROW = "SELECT time FROM logs WHERE container_id = ?1";
static const char *SQL_FILE_ROW =
    "SELECT mtime FROM files WHERE container_id = ?1 AND scope = 'upper'";

void report_timeline(rep *r)
{
    r_section_begin(r, "timeline", "Timeline");
    tl t = {0, 0};
    if (!window(r, &t)) {
        r_raw(r, "<p class=\"na\">No container or log times were recovered: nothing to draw."
                 "</p>");
        r_section_end(r);
        return;
    }
    /* rows: containers with at least one time */
    size_t rows = 0, untimed = 0, hidden = 0;
    for (size_t i = 0; i < r->nc; i++) {
        double v;
        const rep_ctr *c = &r->c[i];
        if (!r_time(c->created, &v) && !r_time(c->started, &v) && !r_time(c->finished, &v))
            untimed++;
        else if (rows < MAX_ROWS)
            rows++;
        else
            hidden++;
    }
    double y0 = AXIS + 6, yh = y0 + rows * ROW + 14;
    double height = yh + 2 * (HIST + 16) + 34;
    r_fmt(r, "<svg class=\"tl\" viewBox=\"0 0 %.0f %.0f\" "
             "role=\"img\" aria-label=\"timeline\">\n",
          W, height);
    r_fmt(r, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", W, height);
    axis(r, &t, yh - 8);
    size_t row = 0;
    for (size_t i = 0; i < r->nc && row < rows; i++) {
        const rep_ctr *c = &r->c[i];
        double cr = 0, sa = 0, fi = 0;
        int hc = r_time(c->created, &cr) && cr > 86400.0 * 365,
            hs = r_time(c->started, &sa) && sa > 86400.0 * 365,
            hf = r_time(c->finished, &fi) && fi > 86400.0 * 365;
        if (!hc && !hs && !hf)
            continue;
        double y = y0 + row * ROW, mid = y + ROW / 2;
        if (row % 2)
            r_fmt(r, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#f7f8fb\"/>",
                  y, W, ROW);
        row++;
        const char *col = state_color(c->state);
        int removed = c->state && strcmp(c->state, "removed") == 0;
        int running = c->state && (strcmp(c->state, "running") == 0 ||
                                   strcmp(c->state, "paused") == 0 ||
                                   strcmp(c->state, "restarting") == 0);
        /* label: the name (cut), linking to the container's section */
        r_fmt(r, "<a href=\"#c%zu\"><text x=\"8\" y=\"%.1f\" font-size=\"12\" fill=\"%s\">", i,
              mid + 4, removed ? "#9b1c1c" : "#1d2330");
        if (c->name && *c->name)
            r_escn(r, c->name, strlen(c->name), 26, 0);
        else
            r_escn(r, c->id, strlen(c->id) < 12 ? strlen(c->id) : 12, 0, 0);
        r_raw(r, "<title>");
        r_esc(r, c->name);
        r_raw(r, " ");
        r_esc(r, c->id);
        r_raw(r, "</title></text></a>\n");
        double first = hc ? cr : hs ? sa : fi;
        double start = hs ? sa : first;
        double end = hf && fi >= start ? fi : start;
        if (running && !hf)
            end = t.hi;
        double xf = x_of(&t, first), xs = x_of(&t, start), xe = x_of(&t, end);
        /* created .. started: thin line; running: bar */
        if (xs > xf)
            r_fmt(r, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\" stroke-dasharray=\"3 2\"/>",
                  xf, mid, xs, mid, col);
        r_fmt(r, "<rect class=\"life\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" rx=\"2\" "
                 "fill=\"%s\"%s><title>",
              xs, mid - 4, xe - xs < 3 ? 3 : xe - xs, col,
              hs ? "" : " fill-opacity=\"0.35\"");
        r_esc(r, c->name ? c->name : c->id);
        r_raw(r, ": ");
        r_esc(r, c->state ? c->state : "unknown state");
        r_raw(r, "; created ");
        r_esc(r, c->created ? c->created : "unknown");
        r_raw(r, ", started ");
        r_esc(r, c->started ? c->started : "never");
        r_raw(r, ", finished ");
        r_esc(r, c->finished ? c->finished : running ? "still running" : "unknown");
        r_raw(r, "</title></rect>");
        if (hc)
            r_fmt(r, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#fff\" stroke=\"%s\" "
                     "stroke-width=\"1.5\"><title>created</title></circle>",
                  xf, mid, col);
        if (running && !hf)
            r_fmt(r, "<path d=\"M%.1f %.1f l7 5 l-7 5 z\" fill=\"%s\"><title>running when imaged"
                     "</title></path>",
                  xe, mid - 5, col);
        else if (hf)
            r_fmt(r, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2330\" "
                     "stroke-width=\"2\"><title>finished</title></line>",
                  xe, mid - 7, xe, mid + 7);
        if (removed)
            r_fmt(r, "<g class=\"removed\" stroke=\"#c92a2a\" stroke-width=\"2\"><title>removed "
                     "(the time of removal is not recorded on disk)</title>"
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>",
                  xe + 6, mid - 5, xe + 14, mid + 3, xe + 6, mid + 3, xe + 14, mid - 5);
        row_ticks(r, &t, SQL_FILE_ROW, c->id, y + 1, 4, "#e8590c", "fchg", "file changes");
        row_ticks(r, &t, SQL_LOG_ROW, c->id, y + ROW - 5, 4, "#1c7ed6", "logtick", "log lines");
        r_raw(r, "\n");
    }
    long long out_logs = 0, out_files = 0;
    hist(r, &t, "SELECT time FROM logs", yh, "log lines", "#1c7ed6", "loghist", "log lines",
         &out_logs);
    hist(r, &t,
         "SELECT mtime FROM files WHERE scope IN ('upper', 'host', 'volume') UNION ALL "
         "SELECT ctime FROM files WHERE scope = 'host'",
         yh + HIST + 16, "file changes", "#e8590c", "filehist", "file mtimes/ctimes", &out_files);
    /* legend */
    double ly = height - 12;
    r_fmt(r, "<g font-size=\"11\" fill=\"#374151\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
             "fill=\"#fff\" stroke=\"#374151\"/><text x=\"%.1f\" y=\"%.1f\">created</text>",
          LABEL, ly - 4, LABEL + 8, ly);
    static const char *const lg[][2] = {{"#2f9e44", "running"}, {"#5c7cfa", "exited"},
                                        {"#c92a2a", "removed"}, {"#f08c00", "created/other"}};
    double x = LABEL + 70;
    for (int k = 0; k < 4; k++, x += k == 4 ? 110 : 80)
        r_fmt(r, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"8\" rx=\"2\" fill=\"%s\"/>"
                 "<text x=\"%.1f\" y=\"%.1f\">%s</text>",
              x, ly - 8, lg[k][0], x + 22, ly, lg[k][1]);
    r_fmt(r, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2330\" "
             "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">finished</text>",
          x, ly - 9, x, ly + 1, x + 6, ly);
    x += 70;
    r_fmt(r, "<g stroke=\"#c92a2a\" stroke-width=\"2\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
             "y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>"
             "<text x=\"%.1f\" y=\"%.1f\">removed (time unknown)</text>",
          x, ly - 8, x + 8, ly, x, ly, x + 8, ly - 8, x + 12, ly);
    x += 160;
    r_fmt(r, "<rect x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"6\" fill=\"#e8590c\"/><text "
             "x=\"%.1f\" y=\"%.1f\">file changes</text><rect x=\"%.1f\" y=\"%.1f\" width=\"4\" "
             "height=\"6\" fill=\"#1c7ed6\"/><text x=\"%.1f\" y=\"%.1f\">log lines</text></g>\n",
          x, ly - 7, x + 8, ly, x + 90, ly - 7, x + 98, ly);
    r_raw(r, "</svg>\n");
    r_raw(r, "<p class=\"dim\">Each row is a container: dashed from created to started, a bar "
             "while it ran (to the right edge when it was running at imaging time); orange "
             "ticks above mark changes in its writable layer (mtimes), blue ticks below its log "
             "lines.");
    if (untimed)
        r_fmt(r, " %zu container%s without any recovered time %s not drawn.", untimed,
              untimed == 1 ? "" : "s", untimed == 1 ? "is" : "are");
    if (hidden)
        r_fmt(r, " %zu more container%s not drawn (the first %d are).", hidden,
              hidden == 1 ? "" : "s", MAX_ROWS);
    if (out_logs > 0 || out_files > 0)
        r_fmt(r, " Outside the window (%s): %lld log lines, %lld file times (older files of "
                 "the host and images).",
              "container and log times", out_logs, out_files);
    r_raw(r, "</p>\n");
    r_section_end(r);
}
