/* Terminal escaping (include/husk/escape.h). */
#include "husk/escape.h"

#include <stdint.h>
#include <string.h>

size_t husk_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0; /* overlong, out of range or a surrogate */
    *cp = v;
    return n;
}

static int unsafe_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

static int add_hex(husk_strbuf *out, const char *pre, unsigned v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char b[16];
    size_t n = strlen(pre);
    memcpy(b, pre, n);
    for (int i = digits - 1; i >= 0; i--)
        b[n++] = hex[(v >> (4 * i)) & 0xf];
    return husk_sb_add(out, b, n);
}

int husk_escape_term(husk_strbuf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (husk_sb_grow(out, len) < 0) /* room for the common case: nothing to escape */
        return -1;
    while (i < len) {
        /* printable ASCII but the backslash goes out as it is, a run at a time */
        size_t j = i;
        while (j < len && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '\\')
            j++;
        if (j > i) {
            if (husk_sb_add(out, p + i, j - i) < 0)
                return -1;
            i = j;
            if (i == len)
                break;
        }
        uint32_t cp = 0;
        size_t n = husk_utf8_seq(p + i, len - i, &cp);
        int r;
        if (n == 0)
            r = add_hex(out, "\\x", p[i], 2), n = 1;
        else if (cp == '\\')
            r = husk_sb_add(out, "\\\\", 2);
        else if (cp < 0x20 || cp == 0x7F)
            r = add_hex(out, "\\x", cp, 2);
        else if (unsafe_cp(cp)) /* all of them below U+10000: four digits */
            r = add_hex(out, "\\u{", cp, 4) < 0 ? -1 : husk_sb_add(out, "}", 1);
        else
            r = husk_sb_add(out, p + i, n);
        if (r < 0)
            return -1;
        i += n;
    }
    return 0;
}

const char *husk_esc(const char *s)
{
    static char ring[8][1024];
    static unsigned next;
    char *dst = ring[next++ % 8];
    husk_strbuf sb = HUSK_STRBUF_INIT;
    if (!s)
        s = "";
    if (husk_escape_term(&sb, s, strlen(s)) < 0) {
        husk_sb_release(&sb);
        return "(out of memory)";
    }
    const char *t = husk_sb_str(&sb);
    size_t tl = strlen(t);
    if (tl < 1024) {
        memcpy(dst, t, tl + 1);
    } else {
        size_t cut = 1020;
        while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80)
            cut--; /* never split a UTF-8 sequence */
        memcpy(dst, t, cut);
        memcpy(dst + cut, "...", 4);
    }
    husk_sb_release(&sb);
    return dst;
}

int husk_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = husk_utf8_seq(p + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}
