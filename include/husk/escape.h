/* Making evidence strings safe for a terminal: control characters, invalid UTF-8 and
 * bidirectional overrides are written as \xNN or \u{NNNN}; a backslash becomes "\\". */
#ifndef HUSK_ESCAPE_H
#define HUSK_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "husk/strbuf.h"

/* Length of the valid UTF-8 sequence at s (1..4, at most len) and its code point in *cp, or 0
 * when the bytes there are not valid UTF-8 (overlong, surrogate, out of range, cut short). */
size_t husk_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp);
int husk_escape_term(husk_strbuf *out, const char *s, size_t len);
/* Escapes a NUL-terminated string into a static-per-call rotating buffer (for printf). Long
 * strings are cut with "...". Not thread-safe; for the command-line layer only. */
const char *husk_esc(const char *s);
/* 1 when s[0..len) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int husk_utf8_valid(const char *s, size_t len);

#endif
