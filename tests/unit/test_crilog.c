/* Unit tests for the CRI log line decoder (src/logs/cri_logs.c), lines in the form the
 * kubelet's and containerd's CRI writers produce (formats.md 7.1), and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "husk/logs.h"

static int dec(const char *s, husk_log_entry *e)
{
    husk_err err = {0};
    return husk_crilog_decode_line(s, strlen(s), e, &err);
}

static void full_and_partial(void **state)
{
    husk_log_entry e;
    char t[40];
    assert_int_equal(dec("2026-11-30T05:01:42.267851556Z stdout F hello world", &e), 0);
    assert_string_equal(e.stream, "stdout");
    assert_int_equal(e.more, 0);
    assert_int_equal(e.len, 11);
    assert_memory_equal(e.line, "hello world", 11);
    husk_log_time_format(&e.time, t, sizeof t);
    assert_string_equal(t, "2026-11-30T05:01:42.267851556Z");
    assert_int_equal(dec("2026-11-30T05:01:42.1Z stderr P part one ", &e), 0);
    assert_string_equal(e.stream, "stderr");
    assert_int_equal(e.more, 1);
    assert_int_equal(e.len, 9); /* trailing space kept: it is the line's */
}

static void zone_and_tags(void **state)
{
    husk_log_entry e;
    char t[40];
    /* a node in UTC+01:00 writes local times; stored in UTC */
    assert_int_equal(dec("2026-11-30T06:01:42.5+01:00 stdout F:x:y tagged", &e), 0);
    husk_log_time_format(&e.time, t, sizeof t);
    assert_string_equal(t, "2026-11-30T05:01:42.500000000Z");
    assert_memory_equal(e.line, "tagged", 6);
    /* an empty line: the content after the tag is empty */
    assert_int_equal(dec("2026-11-30T05:01:42Z stdout F", &e), 0);
    assert_int_equal(e.len, 0);
}

static void hostile(void **state)
{
    husk_log_entry e;
    assert_true(dec("", &e) < 0);
    assert_true(dec("notatime stdout F x", &e) < 0);
    assert_true(dec("2026-11-30T05:01:42Z stdin F x", &e) < 0);
    assert_true(dec("2026-11-30T05:01:42Z stdout X x", &e) < 0);
    assert_true(dec("2026-11-30T05:01:42Z stdout Fx x", &e) < 0);
    assert_true(dec("2026-11-30T05:01:42Z stdout", &e) < 0);
    /* a NUL inside the content is content */
    static const char nul[] = "2026-11-30T05:01:42Z stdout F a\0b";
    husk_err err = {0};
    assert_int_equal(husk_crilog_decode_line(nul, sizeof nul - 1, &e, &err), 0);
    assert_int_equal(e.len, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_and_partial),
        cmocka_unit_test(zone_and_tags),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
