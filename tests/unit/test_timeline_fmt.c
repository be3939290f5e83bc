/* Unit tests of husk timeline's field encoders (src/cli/timeline_fmt.c): hostile names in a
 * bodyfile and in CSV, the bodyfile mode string, the kind-to-column mapping, times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cli/timeline_fmt.h"
#include "husk/escape.h"
#include "husk/strbuf.h"

static char out[1024];

static const char *body(const char *s, size_t n)
{
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(tl_body_field(&sb, s, n), 0);
    snprintf(out, sizeof out, "%s", husk_sb_str(&sb));
    husk_sb_release(&sb);
    return out;
}

static const char *csv(const char *s, size_t n, int term)
{
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(tl_csv_field(&sb, s, n, term), 0);
    snprintf(out, sizeof out, "%s", husk_sb_str(&sb));
    husk_sb_release(&sb);
    return out;
}

/* mactime's decoding of a field (tm_split: %XX -> byte), to check what it will print */
static void mactime_decode(const char *s, char *dst, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 1 < n; i++) {
        unsigned v;
        if (s[i] == '%' && s[i + 1] && s[i + 2] && sscanf(s + i + 1, "%2x", &v) == 1) {
            dst[j++] = (char)v;
            i += 2;
        } else {
            dst[j++] = s[i];
        }
    }
    dst[j] = 0;
}

static void test_body_hostile_names(void **state)
{
    (void)state;
    /* a '|' would split the line into more fields */
    assert_string_equal(body("/tmp/a|b", 8), "/tmp/a%7Cb");
    /* a newline would end the line; a CR would too for some readers */
    assert_string_equal(body("evil\nname\r", 10), "evil\\x0aname\\x0d");
    /* a literal %7C must stay itself after mactime decodes it */
    assert_string_equal(body("100%7C", 6), "100%257C");
    char dec[64];
    mactime_decode(body("100%7C|x", 8), dec, sizeof dec);
    assert_string_equal(dec, "100%7C|x");
    /* invalid UTF-8 and a backslash, escaped as on a terminal */
    assert_string_equal(body("\xff\xfe/x\\y", 6), "\\xff\\xfe/x\\\\y");
    /* quotes and commas are harmless in a bodyfile */
    assert_string_equal(body("a \"b\", c", 8), "a \"b\", c");
    /* a terminal escape sequence cannot reach the screen */
    assert_string_equal(body("\x1b]0;pwn\x07", 8), "\\x1b]0;pwn\\x07");
    /* valid UTF-8 is kept */
    assert_string_equal(body("caf\xc3\xa9", 5), "caf\xc3\xa9");
    /* whatever it was given, the field holds no separator and no line break */
    const char nasty[] = "|\n\r|%|\x00|\xc0\xaf|";
    const char *b = body(nasty, sizeof nasty - 1);
    assert_null(strpbrk(b, "|\n\r"));
}

static void test_csv_quoting(void **state)
{
    (void)state;
    assert_string_equal(csv("plain", 5, 0), "\"plain\"");
    assert_string_equal(csv("", 0, 0), "\"\"");
    assert_string_equal(csv("a,b", 3, 0), "\"a,b\"");
    assert_string_equal(csv("say \"hi\"", 8, 0), "\"say \"\"hi\"\"\"");
    /* RFC 4180: line breaks stay inside the quotes */
    assert_string_equal(csv("two\nlines", 9, 0), "\"two\nlines\"");
    assert_string_equal(csv("cr\r\nlf", 6, 0), "\"cr\r\nlf\"");
    /* not UTF-8: escaped, so the CSV stays UTF-8 */
    assert_string_equal(csv("bad\xff\"x", 6, 0), "\"bad\\xff\"\"x\"");
    assert_string_equal(csv("caf\xc3\xa9", 5, 0), "\"caf\xc3\xa9\"");
    /* to a terminal, control characters are escaped too */
    assert_string_equal(csv("a\nb\x1b", 4, 1), "\"a\\x0ab\\x1b\"");
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(husk_utf8_valid("abc", 3));
    assert_true(husk_utf8_valid("\xe2\x82\xac", 3));
    assert_false(husk_utf8_valid("\xe2\x82", 2));     /* cut */
    assert_false(husk_utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(husk_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_true(husk_utf8_valid("", 0));
}

static void test_mode_and_columns(void **state)
{
    (void)state;
    char m[13];
    tl_mode_string(0100644, m);
    assert_string_equal(m, "r/rrw-r--r--");
    tl_mode_string(040755, m);
    assert_string_equal(m, "d/drwxr-xr-x");
    tl_mode_string(0120777, m);
    assert_string_equal(m, "l/lrwxrwxrwx");
    tl_mode_string(0104755, m);
    assert_string_equal(m, "r/rrwsr-xr-x");
    tl_mode_string(041777, m);
    assert_string_equal(m, "d/drwxrwxrwt");
    tl_mode_string(020000, m);
    assert_string_equal(m, "c/c---------");
    tl_mode_string(-1, m);
    assert_string_equal(m, "-/----------");

    assert_int_equal(tl_body_column("mtime"), 'm');
    assert_int_equal(tl_body_column("atime"), 'a');
    assert_int_equal(tl_body_column("ctime"), 'c');
    assert_int_equal(tl_body_column("crtime"), 'b');
    assert_int_equal(tl_body_column("created"), 'b');
    assert_int_equal(tl_body_column("last-updated"), 'c');
    assert_int_equal(tl_body_column("started"), 'm');
    assert_int_equal(tl_body_column("finished"), 'm');
    assert_int_equal(tl_body_column("log"), 'm');

    assert_string_equal(tl_timestamp_desc("upper", "mtime"), "Content Modification Time");
    assert_string_equal(tl_timestamp_desc("container", "started"), "Container Started");
    assert_string_equal(tl_timestamp_desc("json-file", "log"), "Log Line Written");
}

static void test_times(void **state)
{
    (void)state;
    int64_t s;
    uint32_t ns;
    char iso[48];
    assert_int_equal(tl_parse_time("2026-11-30T02:13:11.148664924Z", &s, &ns), 0);
    assert_int_equal(s, 1796004791);
    assert_int_equal(ns, 148664924);
    tl_iso8601_us(s, ns, iso, sizeof iso);
    assert_string_equal(iso, "2026-11-30T02:13:11.148664+00:00");
    assert_int_equal(tl_parse_time("2026-11-30T03:13:11+01:00", &s, &ns), 0);
    assert_int_equal(s, 1796004791);
    assert_int_equal(tl_parse_time("not a time", &s, &ns), -1);
    assert_int_equal(tl_parse_time(NULL, &s, &ns), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_hostile_names),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_mode_and_columns),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests_name("timeline_fmt", tests, NULL, NULL);
}
