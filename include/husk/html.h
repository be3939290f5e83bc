/* HTML text from evidence strings (the report, src/report). Every byte of evidence that reaches
 * an HTML page goes through husk_html_escape(): markup characters become entities, so a name
 * like <script> is shown as text, never parsed; control characters become visible symbols
 * (U+2400 block); invalid UTF-8, C1 controls, bidirectional overrides and noncharacters become
 * U+FFFD. The result is valid UTF-8 and safe both in element content and in a quoted
 * attribute value. */
#ifndef HUSK_HTML_H
#define HUSK_HTML_H

#include <stddef.h>

#include "husk/strbuf.h"

enum {
    HUSK_HTML_NL = 1, /* keep a newline as a line break (for <pre>); otherwise it is shown as U+240A */
};

/* Appends the escaped form of s[0..len) (which may hold NULs) to out. 0, or -1 when memory ran
 * out. */
int husk_html_escape(husk_strbuf *out, const char *s, size_t len, int flags);
/* The same for at most max bytes of s, cut on a character boundary; when s is longer,
 * "… (N more bytes)" follows. Returns 1 when s was cut, 0 when not, -1 when memory ran out. */
int husk_html_escape_cut(husk_strbuf *out, const char *s, size_t len, size_t max, int flags);

#endif
