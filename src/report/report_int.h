/* Shared by the report's writers (src/report/report*.c): an output with escaping helpers, the
 * case's containers (for links), and bounds. */
#ifndef HUSK_REPORT_INT_H
#define HUSK_REPORT_INT_H

#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "husk/html.h"
#include "husk/report.h"
#include "husk/strbuf.h"

typedef struct rep_ctr {
    char *id, *name, *state, *recovered_from;
    double confidence;
    char *created, *started, *finished;
} rep_ctr;

typedef struct rep {
    FILE *f;
    sqlite3 *db;
    husk_strbuf sb; /* scratch for escaping */
    int oom;
    int dberr;
    char dbmsg[300];
    rep_ctr *c;
    size_t nc;
    unsigned log_lines, max_rows;
} rep;

/* Trusted text (literals and numbers from husk itself): written as is. */
void r_raw(rep *r, const char *s);
void r_fmt(rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Evidence text: escaped. NULL writes nothing. */
void r_esc(rep *r, const char *s);
/* s[0..n), at most max bytes shown (0: no bound), flags as husk_html_escape(). */
void r_escn(rep *r, const char *s, size_t n, size_t max, int flags);
/* Column i of st, escaped (TEXT or BLOB, NULs kept visible); NULL gives a dimmed dash. */
void r_col(rep *r, sqlite3_stmt *st, int i, size_t max, int flags);
/* A <td> holding column i (class cls when not NULL). */
void r_td(rep *r, sqlite3_stmt *st, int i, const char *cls);

sqlite3_stmt *r_prep(rep *r, const char *sql);
/* 1 for a row, 0 at the end or on error (recorded in r). */
int r_step(rep *r, sqlite3_stmt *st);
/* One integer from a query with an optional text parameter ?1; -1 on error. */
long long r_count(rep *r, const char *sql, const char *arg);

/* The case's container with this ID, or NULL; its index is its anchor (#c<index>). */
const rep_ctr *r_ctr(const rep *r, const char *id, size_t *idx);
/* A link to the container's section showing its name (or its short ID). */
void r_ctr_link(rep *r, const char *id);
/* "name" or "(no name) <12 hex>" for a container */
void r_ctr_label(rep *r, const rep_ctr *c);
/* <span class="st st-STATE">state</span> */
void r_state(rep *r, const char *state);
/* <span class="sev sev-S">s</span> */
void r_sev(rep *r, const char *sev);
/* "journal, confidence 0.9" badge for recovered rows (nothing for live) */
void r_prov(rep *r, const char *recovered_from, double confidence, int has_conf);
/* a byte size "314572800 (300.0 MiB)" */
void r_size(rep *r, long long bytes);

/* A time as "2026-11-30 02:12:35.908" with the full value as its title; other text escaped;
 * NULL as a dimmed dash. */
void r_time_short(rep *r, const char *s);
/* A time with its nine fraction digits, "2026-11-30 02:12:35.908481403" (UTC), unbroken. */
void r_time_ns(rep *r, const char *s);
/* RFC 3339 text from the case database -> seconds since the epoch; 0 when not a time. */
int r_time(const char *s, double *t);

void r_section_begin(rep *r, const char *id, const char *title);
void r_section_end(rep *r);

/* The sections, in report order. */
void report_timeline(rep *r);
void report_container(rep *r, size_t idx);

#endif
