/* Unit tests of terminal escaping and the growable buffer (src/util). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/escape.h"
#include "husk/strbuf.h"

static const char *esc_n(const char *s, size_t n)
{
    static char out[256];
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(husk_escape_term(&sb, s, n), 0);
    snprintf(out, sizeof out, "%s", husk_sb_str(&sb));
    husk_sb_release(&sb);
    return out;
}

static void test_plain_and_utf8_kept(void **state)
{
    (void)state;
    assert_string_equal(esc_n("shop-web", 8), "shop-web");
    assert_string_equal(esc_n("caf\xc3\xa9", 5), "caf\xc3\xa9");
    assert_string_equal(esc_n("\xe2\x82\xac", 3), "\xe2\x82\xac");
}

static void test_controls_and_invalid_escaped(void **state)
{
    (void)state;
    assert_string_equal(esc_n("a\x1b[31mred", 9), "a\\x1b[31mred");
    assert_string_equal(esc_n("a\nb\r", 4), "a\\x0ab\\x0d");
    assert_string_equal(esc_n("back\\slash", 10), "back\\\\slash");
    assert_string_equal(esc_n("\xff\xfe", 2), "\\xff\\xfe");
    assert_string_equal(esc_n("\xc0\xaf", 2), "\\xc0\\xaf");         /* overlong '/' */
    assert_string_equal(esc_n("\xed\xa0\x80", 3), "\\xed\\xa0\\x80"); /* surrogate */
    assert_string_equal(esc_n("x\0y", 3), "x\\x00y");
    assert_string_equal(esc_n("\xc2\x9b", 2), "\\u{009b}"); /* C1 CSI */
    assert_string_equal(esc_n("\xe2\x80\xae", 3), "\\u{202e}"); /* right-to-left override */
    assert_string_equal(esc_n("\xe2\x82", 2), "\\xe2\\x82");     /* truncated sequence */
}

static void test_esc_cuts_long_strings(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *e = husk_esc(big);
    assert_true(strlen(e) < 1024);
    assert_string_equal(e + strlen(e) - 3, "...");
    assert_string_equal(husk_esc(NULL), "");
}

static void test_strbuf(void **state)
{
    (void)state;
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_string_equal(husk_sb_str(&sb), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(husk_sb_addf(&sb, "%d,", i), 0);
    assert_int_equal(sb.len, strlen(sb.buf));
    assert_memory_equal(sb.buf, "0,1,2,", 6);
    husk_sb_reset(&sb);
    assert_int_equal(sb.len, 0);
    husk_sb_add(&sb, "a\0b", 3);
    assert_int_equal(sb.len, 3);
    size_t n;
    char *p = husk_sb_detach(&sb, &n);
    assert_int_equal(n, 3);
    assert_null(sb.buf);
    free(p);
    husk_sb_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_utf8_kept),
        cmocka_unit_test(test_controls_and_invalid_escaped),
        cmocka_unit_test(test_esc_cuts_long_strings),
        cmocka_unit_test(test_strbuf),
    };
    return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
