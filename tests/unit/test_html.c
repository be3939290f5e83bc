/* Unit tests of the report's HTML escaping (src/report/html.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/escape.h"
#include "husk/html.h"
#include "husk/strbuf.h"

static const char *esc(const char *s, size_t n, int flags)
{
    static char out[512];
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(husk_html_escape(&sb, s, n, flags), 0);
    snprintf(out, sizeof out, "%s", husk_sb_str(&sb));
    husk_sb_release(&sb);
    return out;
}
#define ESC(lit) esc(lit, sizeof lit - 1, 0)

/* the output must be valid UTF-8 without any control character but \t and \n */
static void assert_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = husk_utf8_seq(p + i, len - i, &cp);
        assert_true(n > 0);
        assert_true(cp >= 0x20 || cp == '\t' || cp == '\n');
        assert_true(cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F));
        assert_true(!(cp >= 0x202A && cp <= 0x202E) && !(cp >= 0x2066 && cp <= 0x2069));
        i += n;
    }
}

static void test_markup_becomes_text(void **state)
{
    (void)state;
    assert_string_equal(ESC("<script>alert(1)</script>"),
                        "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_string_equal(ESC("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
    /* an attribute break-out attempt stays inside the quotes */
    assert_string_equal(ESC("x\" onmouseover=\"alert(1)"),
                        "x&quot; onmouseover=&quot;alert(1)");
    assert_string_equal(ESC("&amp;"), "&amp;amp;");
    assert_null(strchr(ESC("<img src=x onerror=alert(1)>"), '<'));
}

static void test_plain_and_utf8_kept(void **state)
{
    (void)state;
    assert_string_equal(ESC("/var/lib/docker"), "/var/lib/docker");
    assert_string_equal(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
    assert_string_equal(ESC(""), "");
}

static void test_controls_are_visible(void **state)
{
    (void)state;
    /* ESC [31m -> U+241B, NUL -> U+2400, DEL -> U+2421, CR -> U+240D */
    assert_string_equal(ESC("\x1b[31mred"), "\xe2\x90\x9b[31mred");
    assert_string_equal(esc("a\0b", 3, 0), "a\xe2\x90\x80" "b");
    assert_string_equal(ESC("x\x7fy"), "x\xe2\x90\xa1y");
    assert_string_equal(ESC("l\r"), "l\xe2\x90\x8d");
    /* newline: a symbol in attributes and table cells, kept in <pre> */
    assert_string_equal(ESC("a\nb"), "a\xe2\x90\x8a" "b");
    assert_string_equal(esc("a\nb", 3, HUSK_HTML_NL), "a\nb");
    assert_string_equal(ESC("a\tb"), "a\tb");
    assert_clean(esc("\x01\x02\x03\x1f\x7f", 5, 0));
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    assert_string_equal(ESC("a\xffz"), "a\xef\xbf\xbdz");
    assert_string_equal(ESC("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '/' */
    assert_string_equal(ESC("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    assert_string_equal(ESC("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd"); /* cut short */
    /* an invalid lead byte must not swallow a following '<' */
    assert_string_equal(ESC("\xe2<b>"), "\xef\xbf\xbd&lt;b&gt;");
    assert_clean(ESC("\xc2\x85\xe2\x80\xae\xe2\x81\xa6\xef\xbb\xbf\xef\xbf\xbf"));
    assert_string_equal(ESC("\xe2\x80\xaeRLO"), "\xef\xbf\xbdRLO");
}

static void test_every_byte_is_safe(void **state)
{
    (void)state;
    /* all 256 single bytes and a sample of pairs: never raw markup, always clean UTF-8 */
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b += (a < 0x80 ? 255 : 7)) {
            char in[2] = {(char)a, (char)b};
            const char *o = esc(in, 2, 0);
            assert_null(strpbrk(o, "<>\"'"));
            assert_clean(o);
        }
    }
}

static void test_cut(void **state)
{
    (void)state;
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(husk_html_escape_cut(&sb, "abc", 3, 10, 0), 0);
    assert_string_equal(husk_sb_str(&sb), "abc");
    husk_sb_reset(&sb);
    assert_int_equal(husk_html_escape_cut(&sb, "<<<<<<", 6, 2, 0), 1);
    assert_string_equal(husk_sb_str(&sb), "&lt;&lt;\xe2\x80\xa6 (4 more bytes)");
    husk_sb_reset(&sb);
    /* never in the middle of a character: "é" is two bytes, cut at 2 keeps "a" */
    assert_int_equal(husk_html_escape_cut(&sb, "a\xc3\xa9z", 4, 2, 0), 1);
    assert_string_equal(husk_sb_str(&sb), "a\xe2\x80\xa6 (3 more bytes)");
    husk_sb_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markup_becomes_text), cmocka_unit_test(test_plain_and_utf8_kept),
        cmocka_unit_test(test_controls_are_visible), cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_every_byte_is_safe), cmocka_unit_test(test_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
