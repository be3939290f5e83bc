/* Unit tests of the pax/ustar tar writer (src/export/tar.c): header fields, checksums,
 * padding, and the pax records for what ustar cannot hold. The integration test
 * (tests/integration/test_export.sh) has GNU tar read whole archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/tar.h"

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int fail_after; /* >0: the nth write fails */
    int writes;
} buf;

static int buf_write(void *ctx, const void *data, size_t n)
{
    buf *b = ctx;
    if (b->fail_after && ++b->writes >= b->fail_after)
        return -1;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    return 0;
}

static unsigned long long oct(const unsigned char *f, size_t w)
{
    char tmp[32];
    memcpy(tmp, f, w);
    tmp[w] = '\0';
    return strtoull(tmp, NULL, 8);
}

static void check_sum(const unsigned char *h)
{
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    assert_int_equal(oct(h + 148, 7), sum);
}

static void test_plain_file(void **state)
{
    (void)state;
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry e = {.name = "etc/passwd", .name_len = 10, .typeflag = '0', .mode = 0100644,
                        .uid = 1000, .gid = 100, .size = 5, .mtime_sec = 1736935200};
    assert_int_equal(husk_tar_header(&t, &e), 0);
    assert_int_equal(husk_tar_data(&t, "hello", 5), 0);
    assert_int_equal(husk_tar_finish(&t), 0);
    assert_int_equal(b.n, 512 + 512 + 1024); /* header, one padded data block, end marker */
    const unsigned char *h = b.p;
    assert_string_equal((const char *)h, "etc/passwd");
    assert_int_equal(oct(h + 100, 7), 0100644 & 07777777);
    assert_int_equal(oct(h + 108, 7), 1000);
    assert_int_equal(oct(h + 116, 7), 100);
    assert_int_equal(oct(h + 124, 11), 5);
    assert_int_equal(oct(h + 136, 11), 1736935200);
    assert_int_equal(h[156], '0');
    assert_memory_equal(h + 257, "ustar\0" "00", 8);
    check_sum(h);
    assert_memory_equal(b.p + 512, "hello", 5);
    for (size_t i = 512 + 5; i < b.n; i++)
        assert_int_equal(b.p[i], 0);
    free(b.p);
}

static void test_exact_block_and_too_much_data(void **state)
{
    (void)state;
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    unsigned char data[512];
    memset(data, 'x', sizeof data);
    husk_tar_entry e = {.name = "f", .name_len = 1, .typeflag = '0', .mode = 0100600, .size = 512};
    assert_int_equal(husk_tar_header(&t, &e), 0);
    assert_int_equal(husk_tar_header(&t, &e), -1); /* data still owed */
    assert_int_equal(husk_tar_data(&t, data, 512), 0);
    assert_int_equal(husk_tar_data(&t, data, 1), -1); /* more than announced */
    assert_int_equal(b.n, 1024);                      /* no padding after a full block */
    free(b.p);
}

static void test_long_name_split_into_prefix(void **state)
{
    (void)state;
    char name[201];
    memset(name, 'a', 120);
    name[120] = '/';
    memset(name + 121, 'b', 79);
    name[200] = '\0';
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry e = {.name = name, .name_len = 200, .typeflag = '0', .mode = 0100644};
    assert_int_equal(husk_tar_header(&t, &e), 0);
    assert_int_equal(b.n, 512); /* ustar prefix + name: no pax header */
    assert_memory_equal(b.p + 345, name, 120);
    assert_memory_equal(b.p, name + 121, 79);
    free(b.p);
}

static void find_record(const buf *b, const char *rec)
{
    size_t n = strlen(rec);
    for (size_t i = 0; i + n <= b->n; i++)
        if (memcmp(b->p + i, rec, n) == 0)
            return;
    fail_msg("pax record '%s' not found", rec);
}

static void test_pax_records(void **state)
{
    (void)state;
    char name[301];
    memset(name, 'n', 300); /* no '/' to split at */
    name[300] = '\0';
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    const uint8_t cap[] = {1, 0, 0, 2, 0x20, 0, 0, 0};
    husk_tar_xattr xa = {"security.capability", cap, sizeof cap};
    husk_tar_entry e = {.name = name, .name_len = 300, .typeflag = '0', .mode = 0100755,
                        .uid = 3000000, .gid = 5, .size = 0, .mtime_sec = 1796004755,
                        .mtime_nsec = 909241119, .xattrs = &xa, .nxattrs = 1};
    assert_int_equal(husk_tar_header(&t, &e), 0);
    const unsigned char *x = b.p;
    assert_int_equal(x[156], 'x');
    check_sum(x);
    assert_memory_equal(x, "PaxHeaders.0/", 13);
    find_record(&b, "mtime=1796004755.909241119\n");
    find_record(&b, "uid=3000000\n");
    find_record(&b, "SCHILY.xattr.security.capability=");
    char rec[400];
    size_t n = husk_tar_pax_record(rec, "path", name, 300);
    assert_int_equal(n, 310); /* "310 path=" + 300 + "\n" */
    assert_memory_equal(rec, "310 path=", 9);
    find_record(&b, "310 path=nnn");
    size_t plen = oct(x + 124, 11);
    size_t hdr = 512 + ((plen + 511) / 512) * 512;
    const unsigned char *h = b.p + hdr;
    assert_int_equal(h[156], '0');
    assert_int_equal(oct(h + 108, 7), 0); /* the real uid is in the pax record */
    check_sum(h);
    free(b.p);
}

static void test_record_length_fixed_point(void **state)
{
    (void)state;
    char rec[256];
    /* 9 + 1 + 5 + 1 + 1 = 17 bytes of body and length: "17 " would make 19... settle */
    size_t n = husk_tar_pax_record(rec, "path", "abcd", 4);
    assert_int_equal(n, strtoul(rec, NULL, 10));
    n = husk_tar_pax_record(rec, "mtime", "1.5", 3);
    assert_int_equal(n, strtoul(rec, NULL, 10));
    assert_memory_equal(rec, "13 mtime=1.5\n", 13);
    char v[100];
    memset(v, 'v', sizeof v);
    n = husk_tar_pax_record(rec, "k", v, 92); /* crosses from 2 to 3 length digits */
    assert_int_equal(n, strtoul(rec, NULL, 10));
}

static void test_negative_and_huge_times(void **state)
{
    (void)state;
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry e = {.name = "old", .name_len = 3, .typeflag = '5', .mode = 040755,
                        .mtime_sec = -2, .mtime_nsec = 500000000};
    assert_int_equal(husk_tar_header(&t, &e), 0);
    find_record(&b, "mtime=-1.5\n");
    free(b.p);
    memset(&b, 0, sizeof b);
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry f = {.name = "future", .name_len = 6, .typeflag = '0', .mode = 0100644,
                        .mtime_sec = 17179869184LL};
    assert_int_equal(husk_tar_header(&t, &f), 0);
    find_record(&b, "mtime=17179869184\n");
    free(b.p);
}

static void test_symlink_device_and_big_size(void **state)
{
    (void)state;
    buf b = {0};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry s = {.name = "bin/sh", .name_len = 6, .typeflag = '2', .mode = 0120777,
                        .linkname = "busybox", .linkname_len = 7, .size = 99};
    assert_int_equal(husk_tar_header(&t, &s), 0);
    assert_string_equal((const char *)b.p + 157, "busybox");
    assert_int_equal(oct(b.p + 124, 11), 0); /* only regular files carry data */
    husk_tar_entry d = {.name = "dev/null", .name_len = 8, .typeflag = '3', .mode = 020666,
                        .devmajor = 1, .devminor = 3};
    assert_int_equal(husk_tar_header(&t, &d), 0);
    assert_int_equal(oct(b.p + 512 + 329, 7), 1);
    assert_int_equal(oct(b.p + 512 + 337, 7), 3);
    husk_tar_entry big = {.name = "big", .name_len = 3, .typeflag = '0', .mode = 0100644,
                          .size = 10ULL << 30};
    assert_int_equal(husk_tar_header(&t, &big), 0);
    find_record(&b, "size=10737418240\n");
    free(b.p);
}

static void test_write_failure_sticks(void **state)
{
    (void)state;
    buf b = {.fail_after = 1};
    husk_tar t;
    husk_tar_init(&t, buf_write, &b);
    husk_tar_entry e = {.name = "a", .name_len = 1, .typeflag = '5', .mode = 040755};
    assert_int_equal(husk_tar_header(&t, &e), -1);
    assert_int_equal(husk_tar_finish(&t), -1);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_file),
        cmocka_unit_test(test_exact_block_and_too_much_data),
        cmocka_unit_test(test_long_name_split_into_prefix),
        cmocka_unit_test(test_pax_records),
        cmocka_unit_test(test_record_length_fixed_point),
        cmocka_unit_test(test_negative_and_huge_times),
        cmocka_unit_test(test_symlink_device_and_big_size),
        cmocka_unit_test(test_write_failure_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
