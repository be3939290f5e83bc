/* Unit tests of the raw ext4 decoders on hand-made records (src/evidence/ext4_raw.c). The
 * integration tests check the same code against what the node's kernel reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/evidence/ext4_raw.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void make_inode(uint8_t *raw, uint16_t mode)
{
    memset(raw, 0, 256);
    put16(raw + 0x00, mode);
    put16(raw + 0x80, 32); /* i_extra_isize */
}

static void test_times_nanoseconds_and_epoch(void **state)
{
    (void)state;
    uint8_t raw[256];
    make_inode(raw, 0100644);
    put32(raw + 0x10, 1764464076u);                  /* mtime seconds */
    put32(raw + 0x88, (123456789u << 2));             /* mtime extra: ns, epoch 0 */
    put32(raw + 0x08, 0x7fffffffu);                  /* atime */
    put32(raw + 0x8C, (5u << 2) | 1u);                /* epoch bit: +2^32 s */
    put32(raw + 0x90, 100u);                          /* crtime */
    put32(raw + 0x94, (999999999u << 2));
    husk_stat st;
    memset(&st, 0, sizeof st);
    assert_int_equal(ext4_inode_decode(raw, 256, &st, NULL), 0);
    assert_int_equal(st.type, HUSK_FT_FILE);
    assert_int_equal(st.mtime.sec, 1764464076);
    assert_int_equal(st.mtime.nsec, 123456789);
    assert_int_equal(st.atime.sec, 0x7fffffffLL + (1LL << 32));
    assert_int_equal(st.atime.nsec, 5);
    assert_true(st.crtime.present);
    assert_int_equal(st.crtime.nsec, 999999999);
    char buf[40];
    husk_time_format(&st.mtime, buf, sizeof buf);
    assert_string_equal(buf, "2025-11-30T00:54:36.123456789Z");
}

static void test_small_inode_has_no_crtime(void **state)
{
    (void)state;
    uint8_t raw[128];
    memset(raw, 0, sizeof raw);
    put16(raw, 040755);
    put32(raw + 0x10, 1000);
    husk_stat st;
    assert_int_equal(ext4_inode_decode(raw, 128, &st, NULL), 0);
    assert_false(st.crtime.present);
    assert_int_equal(st.mtime.nsec, 0);
    assert_int_equal(ext4_inode_decode(raw, 64, &st, NULL), -HUSK_E_FORMAT);
}

/* Found by fuzz_ext4_raw: a record of 129 bytes made the decoder read i_extra_isize (bytes
 * 128-129) one byte past it. Records too short for the field are decoded without extra
 * fields. The buffer is heap-allocated to its exact size so that ASan sees an overread. */
static void test_odd_record_size_bounded(void **state)
{
    (void)state;
    for (size_t n = 128; n <= 132; n++) {
        uint8_t *raw = malloc(n);
        assert_non_null(raw);
        memset(raw, 0xff, n);
        put16(raw, 0100600);
        put32(raw + 0x10, 1000);
        husk_stat st;
        assert_int_equal(ext4_inode_decode(raw, n, &st, NULL), 0);
        assert_int_equal(st.mtime.sec, 1000);
        assert_false(st.crtime.present);
        free(raw);
    }
}

static void test_device_numbers(void **state)
{
    (void)state;
    uint8_t raw[256];
    husk_stat st;
    make_inode(raw, 020644); /* whiteout: i_block[0] = i_block[1] = 0 */
    assert_int_equal(ext4_inode_decode(raw, 256, &st, NULL), 0);
    assert_true(husk_stat_is_whiteout(&st));
    make_inode(raw, 020620); /* old encoding: 4,5 */
    put32(raw + 0x28, (4u << 8) | 5u);
    ext4_inode_decode(raw, 256, &st, NULL);
    assert_int_equal(st.rdev_major, 4);
    assert_int_equal(st.rdev_minor, 5);
    assert_false(husk_stat_is_whiteout(&st));
    make_inode(raw, 060660); /* new encoding: major 259, minor 300 */
    uint32_t minor = 300, major = 259;
    put32(raw + 0x2C, (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12));
    ext4_inode_decode(raw, 256, &st, NULL);
    assert_int_equal(st.type, HUSK_FT_BLOCK);
    assert_int_equal(st.rdev_major, 259);
    assert_int_equal(st.rdev_minor, 300);
}

typedef struct seen {
    char names[8][64];
    char values[8][16];
    int n;
} seen;

static int record_xattr(const char *name, const uint8_t *v, size_t len, void *ctx)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
        snprintf(s->values[s->n], sizeof s->values[0], "%.*s", (int)len, (const char *)v);
        s->n++;
    }
    return 0;
}

/* Writes an entry at area+off with the value at vbase+voff; returns the next entry offset. */
static size_t put_entry(uint8_t *area, size_t off, uint8_t idx, const char *name, uint16_t voff,
                        const char *value)
{
    uint8_t nl = (uint8_t)strlen(name);
    area[off] = nl;
    area[off + 1] = idx;
    put16(area + off + 2, voff);
    put32(area + off + 4, 0);
    put32(area + off + 8, (uint32_t)strlen(value));
    memcpy(area + off + 16, name, nl);
    return off + ((16u + nl + 3u) & ~3u);
}

static void test_inode_xattrs(void **state)
{
    (void)state;
    uint8_t raw[256];
    make_inode(raw, 040755);
    size_t h = 128 + 32;
    put32(raw + h, 0xEA020000u);
    uint8_t *first = raw + h + 4;
    size_t next = put_entry(first, 0, 4, "overlay.opaque", 0x40, "y");
    put_entry(first, next, 1, "mime", 0x44, "text");
    memcpy(first + 0x40, "y", 1);
    memcpy(first + 0x44, "text", 4);
    seen s = {0};
    assert_int_equal(ext4_xattrs_inode(raw, 256, record_xattr, &s, NULL), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "trusted.overlay.opaque");
    assert_string_equal(s.values[0], "y");
    assert_string_equal(s.names[1], "user.mime");
    assert_string_equal(s.values[1], "text");
}

static void test_hostile_xattrs_rejected(void **state)
{
    (void)state;
    uint8_t raw[256];
    husk_err err = {0};
    make_inode(raw, 0100644);
    size_t h = 128 + 32;
    put32(raw + h, 0xEA020000u);
    uint8_t *first = raw + h + 4;
    put_entry(first, 0, 4, "overlay.opaque", 0xF000, "y"); /* value far outside the inode */
    seen s = {0};
    assert_true(ext4_xattrs_inode(raw, 256, record_xattr, &s, &err) < 0);
    assert_int_equal(err.code, HUSK_E_FORMAT);
    assert_int_equal(s.n, 0);
    /* an extra_isize pointing past the record: no xattrs, no read past the end */
    make_inode(raw, 0100644);
    put16(raw + 0x80, 200);
    assert_int_equal(ext4_xattrs_inode(raw, 256, record_xattr, &s, NULL), 0);
    /* a name length running past the area */
    make_inode(raw, 0100644);
    put32(raw + h, 0xEA020000u);
    first[0] = 250;
    first[1] = 1;
    first[8] = 1;
    assert_true(ext4_xattrs_inode(raw, 256, record_xattr, &s, NULL) < 0);
}

static void test_xattr_block(void **state)
{
    (void)state;
    uint8_t blk[1024];
    memset(blk, 0, sizeof blk);
    put32(blk, 0xEA020000u);
    put_entry(blk, 32, 6, "selinux", 1000, "ctx");
    memcpy(blk + 1000, "ctx", 3);
    seen s = {0};
    assert_int_equal(ext4_xattrs_block(blk, sizeof blk, record_xattr, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "security.selinux");
    blk[3] = 0; /* break the magic */
    assert_true(ext4_xattrs_block(blk, sizeof blk, record_xattr, &s, NULL) < 0);
}

static void test_superblock(void **state)
{
    (void)state;
    uint8_t sb[1024];
    memset(sb, 0, sizeof sb);
    put16(sb + 0x38, 0xEF53);
    put32(sb + 0x18, 2); /* 4 KiB */
    put32(sb + 0x04, 76288);
    put32(sb + 0x00, 19072);
    put32(sb + 0x20, 32768);
    put32(sb + 0x28, 8192);
    put32(sb + 0x4C, 1);
    put16(sb + 0x58, 256);
    put32(sb + 0x60, 0x80 | 0x40);
    put16(sb + 0xFE, 64);
    memcpy(sb + 0x78, "node-root", 9);
    ext4_sb p;
    assert_int_equal(ext4_sb_parse(sb, sizeof sb, &p, NULL), 0);
    assert_int_equal(p.block_size, 4096);
    assert_int_equal(p.group_count, 3);
    assert_int_equal(p.desc_size, 64);
    assert_string_equal(p.label, "node-root");
    uint64_t off;
    assert_int_equal(ext4_gd_offset(&p, 2, &off, NULL), 0);
    assert_int_equal(off, 4096 + 2 * 64);
    assert_true(ext4_gd_offset(&p, 3, &off, NULL) < 0);
    put32(sb + 0x18, 30); /* absurd block size */
    assert_true(ext4_sb_parse(sb, sizeof sb, &p, NULL) < 0);
    put32(sb + 0x18, 2);
    put16(sb + 0x58, 100); /* inode size not a power of two */
    assert_true(ext4_sb_parse(sb, sizeof sb, &p, NULL) < 0);
    put16(sb + 0x38, 0);
    assert_int_equal(ext4_sb_parse(sb, sizeof sb, &p, NULL), -HUSK_E_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times_nanoseconds_and_epoch),
        cmocka_unit_test(test_small_inode_has_no_crtime),
        cmocka_unit_test(test_odd_record_size_bounded),
        cmocka_unit_test(test_device_numbers),
        cmocka_unit_test(test_inode_xattrs),
        cmocka_unit_test(test_hostile_xattrs_rejected),
        cmocka_unit_test(test_xattr_block),
        cmocka_unit_test(test_superblock),
    };
    return cmocka_run_group_tests_name("ext4_raw", tests, NULL, NULL);
}
