/*
 * Unit tests of the decoded-block cache under EWF images (src/evidence/imgcache.c), over a
 * made-up libtsk image whose every byte is a function of its offset, with a stretch that
 * fails to read like a damaged chunk: every read through the cache must return exactly what
 * the image below returns (bytes, short reads and errors), whatever was cached or evicted
 * before, and re-reads must be served from the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/evidence/imgcache.h"

#define SIZE ((uint64_t)5 * 1024 * 1024 + 777) /* not a multiple of the cache's blocks */

typedef struct fake {
    TSK_IMG_INFO info; /* first member (tsk_img.h) */
    uint64_t bad_from, bad_to; /* reads touching [bad_from, bad_to) fail */
    unsigned long reads;
} fake;

static unsigned char byte_at(uint64_t off)
{
    return (unsigned char)(off * 131 + (off >> 9) * 7 + (off >> 17));
}

static ssize_t fake_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    fake *f = (fake *)img;
    f->reads++;
    if (off < 0 || (uint64_t)off >= SIZE)
        return -1;
    if (len > SIZE - (uint64_t)off)
        len = (size_t)(SIZE - (uint64_t)off);
    uint64_t end = (uint64_t)off + len;
    if ((uint64_t)off < f->bad_to && end > f->bad_from) {
        if ((uint64_t)off >= f->bad_from)
            return -1;
        len = (size_t)(f->bad_from - (uint64_t)off); /* what lies before the damage */
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)byte_at((uint64_t)off + i);
    return (ssize_t)len;
}

static void fake_close(TSK_IMG_INFO *img)
{
    free(img);
}

static void fake_stat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    (void)f;
}

static TSK_IMG_INFO *fake_open(fake **out, uint64_t bad_from, uint64_t bad_to)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->bad_from = bad_from;
    f->bad_to = bad_to;
    TSK_IMG_INFO *t =
        tsk_img_open_external(f, (TSK_OFF_T)SIZE, 512, fake_read, fake_close, fake_stat);
    assert_non_null(t);
    *out = f;
    return t;
}

/* Every read through the cache gives what the same read of an uncached copy of the image
 * gives through libtsk: the same count (or an error) and the same bytes. */
static void test_same_bytes_as_below(void **state)
{
    (void)state;
    fake *f, *p;
    /* the damage covers the middle of one 64 KiB block and all of the next */
    uint64_t bad_from = 3 * 65536 + 1000, bad_to = 5 * 65536;
    TSK_IMG_INFO *under = fake_open(&f, bad_from, bad_to);
    TSK_IMG_INFO *plain = fake_open(&p, bad_from, bad_to);
    TSK_IMG_INFO *c = husk_imgcache_wrap(under, 4 * 65536); /* 4 blocks: constant eviction */
    assert_non_null(c);
    unsigned char *got = malloc(600000), *want = malloc(600000);
    assert_non_null(got);
    assert_non_null(want);
    srand(7);
    int met_damage = 0, short_reads = 0;
    for (int i = 0; i < 4000; i++) {
        uint64_t off;
        size_t len;
        switch (i % 6) {
        case 0: off = (uint64_t)rand() % SIZE; len = 1 + (size_t)rand() % 4096; break;
        case 1: off = (uint64_t)(1 + rand() % 80) * 65536 - 100; len = 300; break; /* across */
        case 2: off = SIZE - 1 - (uint64_t)rand() % 70000; len = 1 + (size_t)rand() % 140000; break;
        case 3: off = (uint64_t)rand() % (8 * 65536); len = 1 + (size_t)rand() % 70000; break;
        case 4: off = bad_from - 1 - (uint64_t)rand() % 3000; len = 1 + (size_t)rand() % 9000; break;
        default: off = (uint64_t)rand() % SIZE; len = 256 * 1024 + (size_t)rand() % 300000; break;
        }
        if (off >= SIZE)
            off = SIZE - 1;
        memset(got, 0xEE, len);
        memset(want, 0xDD, len);
        ssize_t n = tsk_img_read(c, (TSK_OFF_T)off, (char *)got, len);
        tsk_error_reset();
        ssize_t w = tsk_img_read(plain, (TSK_OFF_T)off, (char *)want, len);
        tsk_error_reset();
        met_damage += off < bad_to && off + len > bad_from;
        if (w < 0) {
            assert_true(n < 0);
            continue;
        }
        assert_int_equal(n, w);
        assert_memory_equal(got, want, (size_t)w);
        /* reads clear of the damage (libtsk pads a read that meets it) give the true bytes */
        if (off + len <= bad_from || off >= bad_to)
            for (ssize_t k = 0; k < w; k += 997)
                assert_int_equal(got[k], byte_at(off + (uint64_t)k));
        short_reads += (size_t)w < len;
    }
    /* the damage and the end of the image were both met */
    assert_true(met_damage > 100);
    assert_true(short_reads > 0);
    /* a read past the end fails, as below */
    assert_true(tsk_img_read(c, (TSK_OFF_T)SIZE, (char *)got, 10) < 0);
    tsk_error_reset();
    uint64_t hits, misses;
    husk_imgcache_stats(c, &hits, &misses);
    assert_true(hits > 0);
    assert_true(misses > 0);
    free(got);
    free(want);
    tsk_img_close(c); /* closes the fake below too */
    tsk_img_close(plain);
}

static void test_rereads_are_cached(void **state)
{
    (void)state;
    fake *f;
    TSK_IMG_INFO *under = fake_open(&f, SIZE, SIZE);
    TSK_IMG_INFO *c = husk_imgcache_wrap(under, 64 * 65536);
    assert_non_null(c);
    char buf[4096];
    /* 48 blocks, more than libtsk's own 32 cached reads in front of ours, fewer than our 64 */
    for (int round = 0; round < 3; round++)
        for (uint64_t k = 0; k < 48; k++) {
            uint64_t off = k * 65536;
            assert_int_equal(tsk_img_read(c, (TSK_OFF_T)off, buf, sizeof buf), sizeof buf);
            assert_int_equal((unsigned char)buf[17], byte_at(off + 17));
        }
    uint64_t hits, misses;
    husk_imgcache_stats(c, &hits, &misses);
    assert_int_equal(misses, 48); /* each block read from below once */
    assert_int_equal(hits, 96);   /* and found in the cache in the next two rounds */
    assert_true(f->reads <= 48);
    /* stats of an image that is not a cache */
    husk_imgcache_stats(under, &hits, &misses);
    assert_int_equal(hits, 0);
    tsk_img_close(c);
}

static void test_refuses_nonsense(void **state)
{
    (void)state;
    fake *f;
    TSK_IMG_INFO *under = fake_open(&f, SIZE, SIZE);
    assert_null(husk_imgcache_wrap(under, 65536)); /* fewer than two blocks */
    assert_null(husk_imgcache_wrap(NULL, 1 << 20));
    tsk_img_close(under); /* still the caller's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_below),
        cmocka_unit_test(test_rereads_are_cached),
        cmocka_unit_test(test_refuses_nonsense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
