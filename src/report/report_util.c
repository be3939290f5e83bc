/* Output helpers of the report (src/report/report_int.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_int.h"

void r_raw(rep *r, const char *s)
{
    fputs(s, r->f);
}

void r_fmt(rep *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->f, fmt, ap);
    va_end(ap);
}

void r_escn(rep *r, const char *s, size_t n, size_t max, int flags)
{
    if (!s)
        return;
    husk_sb_reset(&r->sb);
    int rc = max ? husk_html_escape_cut(&r->sb, s, n, max, flags)
                 : husk_html_escape(&r->sb, s, n, flags);
    if (rc < 0) {
        r->oom = 1;
        return;
    }
    fwrite(r->sb.buf ? r->sb.buf : "", 1, r->sb.len, r->f);
}

void r_esc(rep *r, const char *s)
{
    if (s)
        r_escn(r, s, strlen(s), 0, 0);
}

void r_col(rep *r, sqlite3_stmt *st, int i, size_t max, int flags)
{
    int t = sqlite3_column_type(st, i);
    if (t == SQLITE_NULL) {
        r_raw(r, "<span class=\"na\">\xE2\x80\x94</span>");
        return;
    }
    const char *p = t == SQLITE_BLOB ? (const char *)sqlite3_column_blob(st, i)
                                     : (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    r_escn(r, p ? p : "", p ? n : 0, max, flags);
}

void r_td(rep *r, sqlite3_stmt *st, int i, const char *cls)
{
    if (cls)
        r_fmt(r, "<td class=\"%s\">", cls);
    else
        r_raw(r, "<td>");
    r_col(r, st, i, 2000, 0);
    r_raw(r, "</td>");
}

sqlite3_stmt *r_prep(rep *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        if (!r->dberr)
            snprintf(r->dbmsg, sizeof r->dbmsg, "%s", sqlite3_errmsg(r->db));
        r->dberr = 1;
        return NULL;
    }
    return st;
}

int r_step(rep *r, sqlite3_stmt *st)
{
    if (!st)
        return 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE) {
        if (!r->dberr)
            snprintf(r->dbmsg, sizeof r->dbmsg, "%s", sqlite3_errmsg(r->db));
        r->dberr = 1;
    }
    return 0;
}

long long r_count(rep *r, const char *sql, const char *arg)
{
    sqlite3_stmt *st = r_prep(r, sql);
    long long v = -1;
    if (!st)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    if (r_step(r, st))
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

const rep_ctr *r_ctr(const rep *r, const char *id, size_t *idx)
{
    for (size_t i = 0; id && i < r->nc; i++)
        if (strcmp(r->c[i].id, id) == 0) {
            if (idx)
                *idx = i;
            return &r->c[i];
        }
    return NULL;
}

void r_ctr_label(rep *r, const rep_ctr *c)
{
    if (c->name && c->name[0]) {
        r_esc(r, c->name);
    } else {
        r_raw(r, "<span class=\"na\">(no name)</span> ");
        r_escn(r, c->id, strlen(c->id) < 12 ? strlen(c->id) : 12, 0, 0);
    }
}

void r_ctr_link(rep *r, const char *id)
{
    size_t idx;
    const rep_ctr *c = r_ctr(r, id, &idx);
    if (!c) {
        if (id)
            r_esc(r, id);
        else
            r_raw(r, "<span class=\"na\">host</span>");
        return;
    }
    r_fmt(r, "<a href=\"#c%zu\">", idx);
    r_ctr_label(r, c);
    r_raw(r, "</a>");
}

/* a CSS class suffix from a word of the evidence: letters only, else "other" */
static const char *cls_word(const char *s, const char *const *known)
{
    for (size_t i = 0; s && known[i]; i++)
        if (strcmp(s, known[i]) == 0)
            return known[i];
    return "other";
}

void r_state(rep *r, const char *state)
{
    static const char *const known[] = {"running", "exited", "created", "removed", "paused",
                                        "restarting", "dead", "removing", NULL};
    r_fmt(r, "<span class=\"st st-%s\">", cls_word(state, known));
    if (state)
        r_esc(r, state);
    else
        r_raw(r, "unknown");
    r_raw(r, "</span>");
}

void r_sev(rep *r, const char *sev)
{
    static const char *const known[] = {"critical", "high", "medium", "low", "info", NULL};
    r_fmt(r, "<span class=\"sev sev-%s\">", cls_word(sev, known));
    r_esc(r, sev ? sev : "?");
    r_raw(r, "</span>");
}

void r_prov(rep *r, const char *rf, double conf, int has_conf)
{
    if (!rf || strcmp(rf, "live") == 0)
        return;
    r_raw(r, " <span class=\"prov\" title=\"recovered_from\">");
    r_esc(r, rf);
    if (has_conf)
        r_fmt(r, ", confidence %.2g", conf);
    r_raw(r, "</span>");
}

void r_size(rep *r, long long b)
{
    static const char *u[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    r_fmt(r, "%lld", b);
    if (b >= 1024) {
        double v = (double)b;
        int i = -1;
        while (v >= 1024 && i < 4)
            v /= 1024, i++;
        r_fmt(r, " <span class=\"dim\">(%.1f %s)</span>", v, u[i]);
    }
}

int r_time(const char *s, double *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || strlen(s) < 20)
        return 0;
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        return 0;
    double frac = 0, scale = 0.1;
    if (*e == '.')
        for (e++; *e >= '0' && *e <= '9'; e++, scale /= 10)
            frac += (*e - '0') * scale;
    if (*e != 'Z')
        return 0;
    time_t sec = timegm(&tm);
    if (sec == (time_t)-1 && tm.tm_year != 69)
        return 0;
    *t = (double)sec + frac;
    return 1;
}

void r_section_begin(rep *r, const char *id, const char *title)
{
    r_fmt(r, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
}

void r_section_end(rep *r)
{
    r_raw(r, "</section>\n");
}

void r_time_ns(rep *r, const char *s)
{
    double t;
    if (s && r_time(s, &t) && strlen(s) >= 20 && s[10] == 'T') {
        r_raw(r, "<span class=\"nw\">");
        r_escn(r, s, 10, 0, 0);
        r_raw(r, " ");
        r_escn(r, s + 11, strlen(s) - 12, 0, 0);
        r_raw(r, "</span>");
    } else if (s) {
        r_esc(r, s);
    } else {
        r_raw(r, "<span class=\"na\">\xE2\x80\x94</span>");
    }
}

void r_time_short(rep *r, const char *s)
{
    double t;
    if (!s) {
        r_raw(r, "<span class=\"na\">\xE2\x80\x94</span>");
    } else if (r_time(s, &t) && strlen(s) >= 23 && s[19] == '.') {
        r_raw(r, "<span title=\"");
        r_esc(r, s);
        r_raw(r, "\">");
        r_escn(r, s, 10, 0, 0);
        r_raw(r, " ");
        r_escn(r, s + 11, 12, 0, 0);
        r_raw(r, "</span>");
    } else {
        r_esc(r, s);
    }
}
