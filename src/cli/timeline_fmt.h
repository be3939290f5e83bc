/* Field encoders and mappings of `husk timeline`'s output formats (bodyfile, CSV, JSON
 * lines), kept apart from the command so the unit tests can feed them hostile strings. */
#ifndef HUSK_TIMELINE_FMT_H
#define HUSK_TIMELINE_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/strbuf.h"

/* A bodyfile field (the name): control characters, invalid UTF-8, bidi overrides and '\'
 * escaped as on a terminal (\xNN, \u{NNNN}, \\), then '%' and '|' percent-encoded (%25,
 * %7C), which mactime decodes back. The result holds no '|', no newline, no CR. */
int tl_body_field(husk_strbuf *out, const char *s, size_t len);

/* An RFC 4180 field, always quoted ("" for a quote). Valid UTF-8 is kept byte for byte
 * (newlines included: they are inside the quotes) unless term; invalid UTF-8, or anything
 * when term (output to a terminal), is escaped as on a terminal first. */
int tl_csv_field(husk_strbuf *out, const char *s, size_t len, int term);

/* Which bodyfile column a timeline kind fills: 'm', 'a', 'c' or 'b'. */
char tl_body_column(const char *kind);

/* Timesketch's timestamp_desc for a timeline row: Plaso's names for file times ("Content
 * Modification Time", ...), "Container Started" and the like for the others. */
const char *tl_timestamp_desc(const char *source, const char *kind);

/* st_mode as TSK prints it in a bodyfile: "r/rrw-r--r--" (name type, '/', meta type and
 * permission bits with s/S/t/T); "-/----------" when mode < 0 (not a file). */
void tl_mode_string(int64_t mode, char out[13]);

/* "2026-11-30T02:13:11.148664924Z" (any RFC 3339) -> Unix seconds and nanoseconds. 0 or -1. */
int tl_parse_time(const char *s, int64_t *sec, uint32_t *nsec);
/* Unix time -> "2026-11-30T02:13:11.148664+00:00" (ISO 8601, microseconds, as Timesketch
 * takes it). */
void tl_iso8601_us(int64_t sec, uint32_t nsec, char *out, size_t n);

#endif
