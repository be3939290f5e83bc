/*
 * The examiner's report: one self-contained HTML file written from a case database
 * (docs/commands/report.md). Nothing in it is fetched: CSS and the SVG timeline are inline and
 * a Content-Security-Policy forbids every request. Every string that came from the evidence is
 * escaped (include/husk/html.h); long lists and log excerpts are bounded, with counts of what
 * was left out.
 */
#ifndef HUSK_REPORT_H
#define HUSK_REPORT_H

#include <stdio.h>

#include "husk/casedb.h"
#include "husk/err.h"

typedef struct husk_report_opts {
    const char *case_path; /* shown in the report's header */
    unsigned log_lines;    /* first and last log lines shown per container (0: default 10) */
    unsigned max_rows;     /* rows shown of a long table before "N more" (0: default 300) */
} husk_report_opts;

/* Writes the report of db to out. Returns 0, or -code with err set when the case database
 * could not be read, memory ran out or out could not be written. */
int husk_report_write(husk_casedb *db, FILE *out, const husk_report_opts *opts, husk_err *err);

#endif
