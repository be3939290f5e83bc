/* HTML escaping of evidence strings (include/husk/html.h). */
#include "husk/html.h"

#include <stdint.h>

#include "husk/escape.h"

/* Code points that are valid UTF-8 but must not reach the page as themselves: C1 controls,
 * bidirectional embeddings, overrides and isolates (which can reorder what the reader sees),
 * the BOM and noncharacters. */
static int hidden_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
           cp == 0xFEFF || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* UTF-8 of U+2400 + c (the "symbol for" control picture), c < 0x40 */
static int add_picture(husk_strbuf *out, unsigned c)
{
    char b[3] = {(char)0xE2, (char)(0x90 + (c >> 6)), (char)(0x80 | (c & 0x3F))};
    return husk_sb_add(out, b, 3);
}

int husk_html_escape(husk_strbuf *out, const char *s, size_t len, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = husk_utf8_seq(p + i, len - i, &cp);
        int r;
        if (n == 0) {
            r = husk_sb_adds(out, "\xEF\xBF\xBD"); /* U+FFFD for each invalid byte */
            n = 1;
        } else if (cp == '&') {
            r = husk_sb_adds(out, "&amp;");
        } else if (cp == '<') {
            r = husk_sb_adds(out, "&lt;");
        } else if (cp == '>') {
            r = husk_sb_adds(out, "&gt;");
        } else if (cp == '"') {
            r = husk_sb_adds(out, "&quot;");
        } else if (cp == '\'') {
            r = husk_sb_adds(out, "&#39;");
        } else if (cp == '\t' || (cp == '\n' && (flags & HUSK_HTML_NL))) {
            r = husk_sb_add(out, p + i, 1);
        } else if (cp < 0x20) {
            r = add_picture(out, cp); /* NUL -> U+2400, ESC -> U+241B, LF -> U+240A, ... */
        } else if (cp == 0x7F) {
            r = add_picture(out, 0x21); /* U+2421 SYMBOL FOR DELETE */
        } else if (hidden_cp(cp)) {
            r = husk_sb_adds(out, "\xEF\xBF\xBD");
        } else {
            r = husk_sb_add(out, p + i, n);
        }
        if (r < 0)
            return -1;
        i += n;
    }
    return 0;
}

int husk_html_escape_cut(husk_strbuf *out, const char *s, size_t len, size_t max, int flags)
{
    if (len <= max)
        return husk_html_escape(out, s, len, flags) < 0 ? -1 : 0;
    size_t cut = max;
    /* back up over continuation bytes so a valid character is not split into U+FFFDs */
    for (size_t k = 0; k < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; k++)
        cut--;
    if (husk_html_escape(out, s, cut, flags) < 0 ||
        husk_sb_addf(out, "\xE2\x80\xA6 (%zu more bytes)", len - cut) < 0)
        return -1;
    return 1;
}
