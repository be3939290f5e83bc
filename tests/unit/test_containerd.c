/*
 * Unit tests for containerd's encodings (src/runtime/containerd.c): Go's time.MarshalBinary
 * (the createdat/updatedat values of meta.db, bytes as containerd 1.6 wrote them here), protobuf
 * varints and google.protobuf.Any, with cut and hostile inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "husk/containerd.h"

static void go_time_v1(void **state)
{
    /* createdat of a container written by containerd 1.6.20; `ctr c info` printed
     * CreatedAt "2026-11-30T05:01:42.267851556Z" */
    static const uint8_t b[] = {0x01, 0x00, 0x00, 0x00, 0x0e, 0xe2, 0x9e, 0xfa, 0x36,
                                0x0f, 0xf7, 0x17, 0x24, 0xff, 0xff};
    char out[40];
    assert_int_equal(husk_go_time(b, sizeof b, out), 0);
    assert_string_equal(out, "2026-11-30T05:01:42.267851556Z");
}

static void go_time_zero_and_bad(void **state)
{
    uint8_t z[15] = {0x01};
    char out[40];
    z[13] = z[14] = 0xff;
    assert_int_equal(husk_go_time(z, sizeof z, out), 0); /* Go's zero time: unknown */
    assert_string_equal(out, "");
    assert_int_equal(husk_go_time(z, 14, out), -1);      /* cut */
    z[0] = 3;
    assert_int_equal(husk_go_time(z, sizeof z, out), -1); /* unknown version */
    uint8_t ns[15] = {0x01, 0, 0, 0, 0x0e, 0xe2, 0x9e, 0xfa, 0x36, 0x3b, 0x9a, 0xca, 0x00, 0xff, 0xff};
    assert_int_equal(husk_go_time(ns, sizeof ns, out), -1); /* nanoseconds 1e9 */
    assert_int_equal(husk_go_time(NULL, 0, out), -1);
    /* seconds of INT64_MIN (found by fuzz_cri: the conversion to Unix time overflowed) */
    static const uint8_t neg[15] = {0x01, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23, 0, 0, 0};
    assert_int_equal(husk_go_time(neg, sizeof neg, out), -1);
    /* past the year 9999 */
    static const uint8_t far[15] = {0x01, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0xff, 0xff};
    assert_int_equal(husk_go_time(far, sizeof far, out), -1);
}

static void varints(void **state)
{
    static const uint8_t b[] = {0xac, 0x02, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    size_t pos = 0;
    uint64_t v;
    assert_int_equal(husk_pb_uvarint(b, sizeof b, &pos, &v), 0);
    assert_int_equal(v, 300);
    assert_int_equal(pos, 2);
    assert_int_equal(husk_pb_uvarint(b, sizeof b, &pos, &v), 0);
    assert_int_equal(v, 1);
    /* eleven bytes with continuation bits: too long */
    assert_int_equal(husk_pb_uvarint(b, sizeof b, &pos, &v), -1);
    pos = 0;
    assert_int_equal(husk_pb_uvarint(b, 1, &pos, &v), -1); /* cut */
}

static void any(void **state)
{
    /* type_url "t/x", value "{}", and an unknown varint field 3 in between */
    static const uint8_t b[] = {0x0a, 3, 't', '/', 'x', 0x18, 0x96, 0x01, 0x12, 2, '{', '}'};
    const uint8_t *t, *v;
    size_t tl, vl;
    assert_int_equal(husk_pb_any(b, sizeof b, &t, &tl, &v, &vl), 0);
    assert_int_equal(tl, 3);
    assert_memory_equal(t, "t/x", 3);
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "{}", 2);
    /* a length past the end */
    static const uint8_t bad[] = {0x12, 0x7f, '{'};
    assert_int_equal(husk_pb_any(bad, sizeof bad, &t, &tl, &v, &vl), -1);
    /* wire types 3/4 (groups) are not accepted */
    static const uint8_t grp[] = {0x0b, 0x0c};
    assert_int_equal(husk_pb_any(grp, sizeof grp, &t, &tl, &v, &vl), -1);
    /* a huge length does not wrap */
    static const uint8_t huge[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(husk_pb_any(huge, sizeof huge, &t, &tl, &v, &vl), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(go_time_v1),
        cmocka_unit_test(go_time_zero_and_bad),
        cmocka_unit_test(varints),
        cmocka_unit_test(any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
