/*
 * Unit tests for the pure XFS decoders (src/evidence/xfs_raw.h), on hand-made byte buffers:
 * superblock, inode core (bigtime and classic timestamps, nlink, device numbers, forks),
 * short-form and leaf attributes, directories, extent records, and damaged input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/evidence/xfs_raw.h"

/* ---- byte helpers ------------------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* A v5 superblock like mkfs.xfs 6.1 makes for a 320 MiB image (4 AGs of 20480 blocks). */
static void make_sb(uint8_t *b)
{
    memset(b, 0, 512);
    memcpy(b, "XFSB", 4);
    put32(b + 4, 4096);
    put64(b + 8, 81920);
    for (int i = 0; i < 16; i++)
        b[32 + i] = (uint8_t)(0xa0 + i);
    put64(b + 56, 128);
    put32(b + 84, 20480);
    put32(b + 88, 4);
    put16(b + 100, 0xb4a5);
    put16(b + 102, 512);
    put16(b + 104, 512);
    put16(b + 106, 8);
    memcpy(b + 108, "mylabel", 7);
    b[120] = 12; /* blocklog */
    b[121] = 9;
    b[122] = 9;                /* inodelog */
    b[123] = 3;                /* inopblog */
    b[124] = 15;               /* agblklog: 20480 <= 32768 */
    put32(b + 216, 0x1 | 0x8); /* ftype, bigtime */
}

/* An empty v3 inode (512 bytes) numbered ino with mode. */
static void make_inode(uint8_t *b, uint64_t ino, uint16_t mode)
{
    memset(b, 0, 512);
    put16(b, 0x494e);
    put16(b + 2, mode);
    b[4] = 3;
    b[5] = XFS_RAW_FMT_EXTENTS;
    put32(b + 16, 1);
    put64(b + 152, ino);
}

/* Big-time encoding of a Unix time. */
static uint64_t bigtime(int64_t sec, uint32_t nsec)
{
    return (uint64_t)(sec + 2147483648LL) * 1000000000u + nsec;
}

/* ---- superblock ---------------------------------------------------------------------------- */

static void test_sb_ok(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_sb sb;
    husk_err err = {0};
    make_sb(b);
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), 0);
    assert_int_equal(sb.blocksize, 4096);
    assert_int_equal(sb.dblocks, 81920);
    assert_int_equal(sb.rootino, 128);
    assert_int_equal(sb.inodesize, 512);
    assert_int_equal(sb.agblklog, 15);
    assert_string_equal(sb.label, "mylabel");
    assert_int_equal(sb.uuid[0], 0xa0);
    assert_true(sb.v5);
    assert_true(sb.has_ftype);
    assert_true(sb.bigtime);
}

static void test_sb_label_full(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_sb sb;
    make_sb(b);
    memcpy(b + 108, "twelve_chars", 12); /* no NUL on disk */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, NULL), 0);
    assert_string_equal(sb.label, "twelve_chars");
}

static void test_sb_rejects(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_sb sb;
    husk_err err = {0};

    make_sb(b);
    assert_int_equal(xfs_raw_sb_parse(b, 200, &sb, &err), -HUSK_E_FORMAT);
    b[0] = 'Y';
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    put16(b + 100, 0xb4a3); /* version 3 */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_UNSUPPORTED);

    make_sb(b);
    put32(b + 4, 3000); /* not a power of two */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    b[120] = 200; /* huge shift */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    put16(b + 104, 8192); /* inode bigger than a block */
    b[122] = 13;
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    b[124] = 16; /* agblklog too big for 20480 */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    put64(b + 8, 81920 + 1); /* more blocks than the AGs hold */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);

    make_sb(b);
    put32(b + 88, 0); /* no AGs */
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, &err), -HUSK_E_FORMAT);
    assert_int_equal(err.code, HUSK_E_FORMAT);
    assert_true(strlen(err.msg) > 0);
}

static void test_locate(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_sb sb;
    uint64_t byte = 0;
    make_sb(b);
    assert_int_equal(xfs_raw_sb_parse(b, sizeof b, &sb, NULL), 0);
    assert_int_equal(xfs_raw_inode_locate(&sb, 128, &byte, NULL), 0);
    assert_int_equal(byte, 16 * 4096); /* agbno 16, slot 0 */
    assert_int_equal(xfs_raw_inode_locate(&sb, 131, &byte, NULL), 0);
    assert_int_equal(byte, 16 * 4096 + 3 * 512);
    /* inode 262272 = AG 1 (262144 = 1 << 18), agino 128 */
    assert_int_equal(xfs_raw_inode_locate(&sb, 262272, &byte, NULL), 0);
    assert_int_equal(byte, (20480ULL + 16) * 4096);
    assert_int_equal(xfs_raw_inode_locate(&sb, 4ULL << 18, &byte, NULL), -HUSK_E_NOTFOUND);
    assert_int_equal(xfs_raw_inode_locate(&sb, (20480ULL << 3), &byte, NULL), -HUSK_E_NOTFOUND);
    assert_int_equal(xfs_raw_inode_locate(&sb, UINT64_MAX, &byte, NULL), -HUSK_E_NOTFOUND);

    assert_int_equal(xfs_raw_fsb_locate(&sb, (1ULL << 15) | 5, 1, &byte), 0);
    assert_int_equal(byte, (20480ULL + 5) * 4096);
    assert_int_equal(xfs_raw_fsb_locate(&sb, 20479, 2, &byte), -1); /* crosses the AG end */
    assert_int_equal(xfs_raw_fsb_locate(&sb, 20480, 1, &byte), -1); /* agbno past agblocks */
    assert_int_equal(xfs_raw_fsb_locate(&sb, 4ULL << 15, 1, &byte), -1);
}

/* ---- inode core ------------------------------------------------------------------------------ */

static void test_inode_bigtime(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_inode di;
    husk_err err = {0};
    make_inode(b, 131, 0100644);
    put64(b + 120, 0x8);                             /* di_flags2: BIGTIME */
    put64(b + 32, bigtime(1796003428LL, 185286035)); /* 2026-11-30T01:50:28.185286035Z */
    put64(b + 40, bigtime(981173106LL, 123456789));  /* 2001-02-03T04:05:06.123456789Z */
    put64(b + 48, bigtime(-304707111LL, 987654321)); /* 1960-05-06T07:08:09.987654321Z */
    put64(b + 144, bigtime(4102444801LL, 1));        /* 2100-01-01T00:00:01.000000001Z */
    put32(b + 8, 1000);
    put32(b + 12, 1001);
    put32(b + 16, 2);
    put64(b + 56, 12);
    put32(b + 92, 3950612796u);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 131, &di, &err), 0);
    assert_int_equal(di.mode, 0100644);
    assert_int_equal(di.uid, 1000);
    assert_int_equal(di.gid, 1001);
    assert_int_equal(di.nlink, 2);
    assert_int_equal(di.size, 12);
    assert_int_equal(di.gen, 3950612796u);
    assert_int_equal(di.atime.sec, 1796003428LL);
    assert_int_equal(di.atime.nsec, 185286035);
    assert_int_equal(di.mtime.sec, 981173106LL);
    assert_int_equal(di.mtime.nsec, 123456789);
    assert_true(di.ctime.sec == -304707111LL);
    assert_int_equal(di.ctime.nsec, 987654321);
    assert_int_equal(di.crtime.sec, 4102444801LL);
    assert_int_equal(di.crtime.nsec, 1);
    assert_true(di.crtime.present);
    assert_int_equal(di.data_off, 176);
    assert_int_equal(di.data_len, 512 - 176);
    assert_int_equal(di.attr_len, 0);
}

static void test_inode_classic_time(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_inode di;
    /* same file system, but this inode has no BIGTIME flag: classic sec + nsec */
    make_inode(b, 140, 0100644);
    put32(b + 32, 0);
    put32(b + 36, 500000000);
    put32(b + 40, 981173106u);
    put32(b + 44, 123456789);
    put32(b + 48, (uint32_t)-304707111);
    put32(b + 52, 987654321);
    put32(b + 144, 0x7fffffff);
    put32(b + 148, 1500000000); /* out-of-range ns carries into the seconds */
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 140, &di, NULL), 0);
    assert_int_equal(di.atime.sec, 0);
    assert_int_equal(di.atime.nsec, 500000000);
    assert_int_equal(di.mtime.sec, 981173106);
    assert_true(di.ctime.sec == -304707111LL);
    assert_int_equal(di.ctime.nsec, 987654321);
    assert_int_equal(di.crtime.sec, 0x7fffffffLL + 1);
    assert_int_equal(di.crtime.nsec, 500000000);
}

static void test_timestamp_direct(void **state)
{
    (void)state;
    uint8_t p[8];
    put64(p, 0); /* big-time zero is 1901-12-13T20:45:52Z */
    husk_timespec t = xfs_raw_timestamp(p, 1);
    assert_true(t.sec == -2147483648LL);
    assert_int_equal(t.nsec, 0);
    put64(p, UINT64_MAX); /* the largest big-time value still decodes */
    t = xfs_raw_timestamp(p, 1);
    assert_true(t.sec == (int64_t)(UINT64_MAX / 1000000000u) - 2147483648LL);
    assert_int_equal(t.nsec, (uint32_t)(UINT64_MAX % 1000000000u));
    put32(p, 0x80000000u); /* classic minimum */
    put32(p + 4, 0);
    t = xfs_raw_timestamp(p, 0);
    assert_true(t.sec == -2147483648LL);
}

static void test_inode_v2_v1(void **state)
{
    (void)state;
    uint8_t b[256];
    xfs_raw_inode di;
    memset(b, 0, sizeof b);
    put16(b, 0x494e);
    put16(b + 2, 040755);
    b[4] = 2;
    b[5] = XFS_RAW_FMT_LOCAL;
    put32(b + 16, 5);
    put32(b + 40, 1234567890);
    put32(b + 44, 42);
    b[82] = 15; /* attr fork at 100 + 120 */
    b[83] = XFS_RAW_FMT_LOCAL;
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 99, &di, NULL), 0);
    assert_int_equal(di.nlink, 5);
    assert_int_equal(di.mtime.sec, 1234567890);
    assert_int_equal(di.mtime.nsec, 42);
    assert_false(di.crtime.present); /* v2 inodes have no creation time */
    assert_int_equal(di.data_off, 100);
    assert_int_equal(di.data_len, 120);
    assert_int_equal(di.attr_off, 220);
    assert_int_equal(di.attr_len, 36);
    assert_int_equal(di.ino, 99); /* no di_ino before v3: the number asked for */

    b[4] = 1; /* v1: 16-bit link count at 6 */
    put16(b + 6, 3);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 99, &di, NULL), 0);
    assert_int_equal(di.nlink, 3);
}

static void test_inode_device(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_inode di;
    make_inode(b, 137, 020644);
    b[5] = XFS_RAW_FMT_DEV;
    put32(b + 176, (4u << 18) | 70000u);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 137, &di, NULL), 0);
    assert_int_equal(di.rdev_major, 4);
    assert_int_equal(di.rdev_minor, 70000);

    make_inode(b, 138, 060644); /* block device 259:3 */
    b[5] = XFS_RAW_FMT_DEV;
    put32(b + 176, (259u << 18) | 3u);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 138, &di, NULL), 0);
    assert_int_equal(di.rdev_major, 259);
    assert_int_equal(di.rdev_minor, 3);

    make_inode(b, 136, 020644); /* overlay whiteout: char 0/0 */
    b[5] = XFS_RAW_FMT_DEV;
    put32(b + 176, 0x12345678); /* ...and stale bytes are not read for a FIFO */
    put16(b + 2, 010644);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 136, &di, NULL), 0);
    assert_int_equal(di.rdev_major, 0);
    assert_int_equal(di.rdev_minor, 0);

    uint32_t maj, min;
    xfs_raw_rdev(0xffffffffu, &maj, &min);
    assert_int_equal(maj, 0x3fff);
    assert_int_equal(min, 0x3ffff);

    /* v2 inode: the device number sits at 100 */
    uint8_t c[256];
    memset(c, 0, sizeof c);
    put16(c, 0x494e);
    put16(c + 2, 020600);
    c[4] = 2;
    put32(c + 100, (1u << 18) | 3u);
    assert_int_equal(xfs_raw_inode_parse(c, sizeof c, 7, &di, NULL), 0);
    assert_int_equal(di.rdev_major, 1);
    assert_int_equal(di.rdev_minor, 3);
}

static void test_inode_nrext64(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_inode di;
    make_inode(b, 200, 0100644);
    put64(b + 120, 0x10); /* NREXT64 */
    put64(b + 24, 70000);
    put32(b + 76, 3);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 200, &di, NULL), 0);
    assert_int_equal(di.nextents, 70000);
    assert_int_equal(di.anextents, 3);
    put64(b + 120, 0);
    put32(b + 76, 9);
    put16(b + 80, 2);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 200, &di, NULL), 0);
    assert_int_equal(di.nextents, 9);
    assert_int_equal(di.anextents, 2);
}

static void test_inode_rejects(void **state)
{
    (void)state;
    uint8_t b[512];
    xfs_raw_inode di;
    husk_err err = {0};
    make_inode(b, 131, 0100644);
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 132, &di, &err), -HUSK_E_FORMAT);
    assert_non_null(strstr(err.msg, "131"));
    assert_int_equal(xfs_raw_inode_parse(b, 150, 131, &di, &err), -HUSK_E_FORMAT);
    assert_int_equal(xfs_raw_inode_parse(b, 50, 131, &di, &err), -HUSK_E_FORMAT);
    b[82] = 42; /* attr fork at 176 + 336 = past the end */
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 131, &di, &err), -HUSK_E_FORMAT);
    b[82] = 0;
    b[4] = 4;
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 131, &di, &err), -HUSK_E_FORMAT);
    b[4] = 3;
    b[1] = 'X';
    assert_int_equal(xfs_raw_inode_parse(b, sizeof b, 131, &di, &err), -HUSK_E_FORMAT);
}

/* ---- extents and block maps --------------------------------------------------------------- */

static void test_extent_unpack(void **state)
{
    (void)state;
    uint8_t r[16];
    xfs_raw_extent e;
    /* unwritten, startoff 0x12345, startblock (1 << 51) | 0xabcdef, blockcount 0x1fffff */
    uint64_t startblock = (1ULL << 51) | 0xabcdef;
    uint64_t l0 = (1ULL << 63) | (0x12345ULL << 9) | (startblock >> 43);
    uint64_t l1 = (startblock << 21) | 0x1fffff;
    put64(r, l0);
    put64(r + 8, l1);
    xfs_raw_extent_unpack(r, &e);
    assert_true(e.unwritten);
    assert_int_equal(e.startoff, 0x12345);
    assert_int_equal(e.startblock, startblock);
    assert_int_equal(e.blockcount, 0x1fffff);
}

static void test_bmap_parse(void **state)
{
    (void)state;
    uint8_t fork[336], blk[4096];
    xfs_raw_btree bt;
    husk_err err = {0};
    memset(fork, 0, sizeof fork);
    put16(fork, 1);
    put16(fork + 2, 1);
    size_t maxrecs = (sizeof fork - 4) / 16;
    put64(fork + 4 + maxrecs * 8, 777);
    assert_int_equal(xfs_raw_bmap_root_parse(fork, sizeof fork, &bt, &err), 0);
    assert_int_equal(bt.level, 1);
    assert_int_equal(xfs_be64(bt.ptrs), 777);
    put16(fork + 2, 100); /* more records than fit */
    assert_int_equal(xfs_raw_bmap_root_parse(fork, sizeof fork, &bt, &err), -HUSK_E_FORMAT);

    memset(blk, 0, sizeof blk);
    put32(blk, 0x424d4133); /* BMA3 */
    put16(blk + 6, 2);
    put64(blk + 16, UINT64_MAX);
    put64(blk + 56, 149);
    assert_int_equal(xfs_raw_bmap_block_parse(blk, sizeof blk, 1, 149, &bt, &err), 0);
    assert_int_equal(bt.level, 0);
    assert_int_equal(bt.numrecs, 2);
    assert_ptr_equal(bt.recs, blk + 72);
    assert_true(bt.rightsib == XFS_RAW_NULLFSBLOCK);
    assert_int_equal(xfs_raw_bmap_block_parse(blk, sizeof blk, 1, 150, &bt, &err),
                     -HUSK_E_FORMAT); /* someone else's block */
    assert_int_equal(xfs_raw_bmap_block_parse(blk, sizeof blk, 0, 149, &bt, &err),
                     -HUSK_E_FORMAT); /* v4 magic expected */
    put16(blk + 6, 300);
    assert_int_equal(xfs_raw_bmap_block_parse(blk, sizeof blk, 1, 149, &bt, &err), -HUSK_E_FORMAT);
}

/* ---- attributes ------------------------------------------------------------------------------ */

typedef struct attr_seen {
    int n;
    char names[8][300];
    char values[8][64];
    size_t vlen[8];
    int remote[8];
    uint32_t rblk[8];
} attr_seen;

static int collect_attr(const xfs_raw_attr *a, void *ctx)
{
    attr_seen *s = ctx;
    if (s->n >= 8)
        return 1;
    int r = xfs_raw_attr_name(a, s->names[s->n], sizeof s->names[s->n]);
    if (r <= 0)
        snprintf(s->names[s->n], sizeof s->names[s->n], "<%d>", r);
    s->vlen[s->n] = a->value_len;
    s->remote[s->n] = a->value == NULL;
    s->rblk[s->n] = a->remote_blk;
    if (a->value && a->value_len < 64) {
        memcpy(s->values[s->n], a->value, a->value_len);
        s->values[s->n][a->value_len] = '\0';
    }
    s->n++;
    return 0;
}

/* Appends one short-form entry at *pos. */
static void sf_entry(uint8_t *f, size_t *pos, uint8_t flags, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    f[*pos] = (uint8_t)nl;
    f[*pos + 1] = (uint8_t)vl;
    f[*pos + 2] = flags;
    memcpy(f + *pos + 3, name, nl);
    memcpy(f + *pos + 3 + nl, value, vl);
    *pos += 3 + nl + vl;
}

static size_t make_sf_attrs(uint8_t *f)
{
    size_t pos = 4;
    memset(f, 0, 200);
    sf_entry(f, &pos, XFS_RAW_ATTR_ROOT, "overlay.opaque", "y");
    sf_entry(f, &pos, 0, "comment", "hi there");
    sf_entry(f, &pos, XFS_RAW_ATTR_SECURE, "selinux", "ctx");
    put16(f, (uint16_t)pos);
    f[2] = 3;
    return pos;
}

static void test_sf_attrs(void **state)
{
    (void)state;
    uint8_t f[200];
    attr_seen s = {0};
    husk_err err = {0};
    make_sf_attrs(f);
    assert_int_equal(xfs_raw_attr_sf_walk(f, sizeof f, collect_attr, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "trusted.overlay.opaque");
    assert_string_equal(s.values[0], "y");
    assert_int_equal(s.vlen[0], 1);
    assert_string_equal(s.names[1], "user.comment");
    assert_string_equal(s.values[1], "hi there");
    assert_string_equal(s.names[2], "security.selinux");
    assert_string_equal(s.values[2], "ctx");
}

static void test_sf_attrs_damaged(void **state)
{
    (void)state;
    uint8_t f[200];
    attr_seen s = {0};
    husk_err err = {0};
    size_t total = make_sf_attrs(f);
    /* totsize beyond the fork */
    assert_int_equal(xfs_raw_attr_sf_walk(f, total - 1, collect_attr, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(s.n, 0);
    /* the count claims more entries than totsize holds: the good ones come first */
    f[2] = 200;
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_attr_sf_walk(f, sizeof f, collect_attr, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(s.n, 3);
    /* an entry's value runs past totsize */
    make_sf_attrs(f);
    f[4 + 1] = 250;
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_attr_sf_walk(f, sizeof f, collect_attr, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(s.n, 0);
    /* too short for a header */
    assert_int_equal(xfs_raw_attr_sf_walk(f, 3, collect_attr, &s, &err), -HUSK_E_FORMAT);
    /* the callback stops the walk */
    make_sf_attrs(f);
    memset(&s, 0, sizeof s);
    s.n = 7;
    assert_int_equal(xfs_raw_attr_sf_walk(f, sizeof f, collect_attr, &s, &err), 1);
}

static void test_attr_names(void **state)
{
    (void)state;
    char buf[300];
    xfs_raw_attr a = {0};
    a.name = (const uint8_t *)"x\0y";
    a.name_len = 1;
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), 1);
    assert_string_equal(buf, "user.x");
    a.name_len = 3; /* NUL inside the name */
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), -HUSK_E_FORMAT);
    a.name_len = 0;
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), -HUSK_E_FORMAT);
    a.name_len = 1;
    a.flags = XFS_RAW_ATTR_ROOT | XFS_RAW_ATTR_SECURE;
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), -HUSK_E_FORMAT);
    a.flags = XFS_RAW_ATTR_PARENT;
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), 0);
    a.flags = XFS_RAW_ATTR_INCOMPLETE;
    assert_int_equal(xfs_raw_attr_name(&a, buf, sizeof buf), 0);
    a.flags = XFS_RAW_ATTR_SECURE;
    assert_int_equal(xfs_raw_attr_name(&a, buf, 10), -HUSK_E_FORMAT); /* buffer too small */
}

/* Builds an attribute leaf block: two local entries and one remote entry. */
static void make_leaf(uint8_t *blk, size_t len, int v5, uint64_t owner)
{
    size_t hdr = v5 ? 80 : 32, names = 3000;
    memset(blk, 0, len);
    put32(blk, 77); /* forw */
    put16(blk + 8, v5 ? 0x3bee : 0xfbee);
    if (v5)
        put64(blk + 48, owner);
    put16(blk + (v5 ? 56 : 12), 3);
    /* entry 0: trusted.overlay.opaque = "y" (local) */
    put16(blk + hdr + 4, (uint16_t)names);
    blk[hdr + 6] = XFS_RAW_ATTR_LOCAL | XFS_RAW_ATTR_ROOT;
    put16(blk + names, 1);
    blk[names + 2] = 14;
    memcpy(blk + names + 3, "overlay.opaque", 14);
    blk[names + 17] = 'y';
    /* entry 1: user.k = "value" (local) */
    put16(blk + hdr + 8 + 4, (uint16_t)(names + 40));
    blk[hdr + 8 + 6] = XFS_RAW_ATTR_LOCAL;
    put16(blk + names + 40, 5);
    blk[names + 42] = 1;
    blk[names + 43] = 'k';
    memcpy(blk + names + 44, "value", 5);
    /* entry 2: user.big, remote: 5000 bytes at attribute block 3 */
    put16(blk + hdr + 16 + 4, (uint16_t)(names + 80));
    blk[hdr + 16 + 6] = 0;
    put32(blk + names + 80, 3);
    put32(blk + names + 84, 5000);
    blk[names + 88] = 3;
    memcpy(blk + names + 89, "big", 3);
}

static void test_attr_leaf(void **state)
{
    (void)state;
    static uint8_t blk[4096];
    for (int v5 = 0; v5 <= 1; v5++) {
        attr_seen s = {0};
        uint32_t forw = 0;
        husk_err err = {0};
        make_leaf(blk, sizeof blk, v5, 147);
        assert_int_equal(xfs_raw_da_kind(blk, sizeof blk, v5), XFS_RAW_DA_LEAF);
        assert_int_equal(
            xfs_raw_attr_leaf_walk(blk, sizeof blk, v5, 147, collect_attr, &s, &forw, &err), 0);
        assert_int_equal(forw, 77);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.names[0], "trusted.overlay.opaque");
        assert_string_equal(s.values[0], "y");
        assert_string_equal(s.names[1], "user.k");
        assert_string_equal(s.values[1], "value");
        assert_string_equal(s.names[2], "user.big");
        assert_true(s.remote[2]);
        assert_int_equal(s.vlen[2], 5000);
        assert_int_equal(s.rblk[2], 3);
    }
}

static void test_attr_leaf_damaged(void **state)
{
    (void)state;
    static uint8_t blk[4096];
    attr_seen s = {0};
    uint32_t forw = 0;
    husk_err err = {0};
    make_leaf(blk, sizeof blk, 1, 147);
    /* wrong owner */
    assert_int_equal(xfs_raw_attr_leaf_walk(blk, sizeof blk, 1, 148, collect_attr, &s, &forw, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(s.n, 0);
    /* one entry points past the block: it is skipped, the others are reported */
    put16(blk + 80 + 8 + 4, 4095);
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_attr_leaf_walk(blk, sizeof blk, 1, 147, collect_attr, &s, &forw, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(s.n, 2);
    /* a local value running past the block */
    make_leaf(blk, sizeof blk, 1, 147);
    put16(blk + 3000, 60000);
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_attr_leaf_walk(blk, sizeof blk, 1, 147, collect_attr, &s, &forw, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(s.n, 2);
    /* an entry count larger than the block */
    make_leaf(blk, sizeof blk, 1, 147);
    put16(blk + 56, 0xffff);
    assert_int_equal(xfs_raw_attr_leaf_walk(blk, sizeof blk, 1, 147, collect_attr, &s, &forw, &err),
                     -HUSK_E_FORMAT);
    /* not a leaf */
    put16(blk + 8, 0x3ebe);
    assert_int_equal(xfs_raw_da_kind(blk, sizeof blk, 1), XFS_RAW_DA_NODE);
    assert_int_equal(xfs_raw_attr_leaf_walk(blk, sizeof blk, 1, 147, collect_attr, &s, &forw, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(xfs_raw_da_kind(blk, 4, 1), XFS_RAW_DA_OTHER);
}

static void test_da_node(void **state)
{
    (void)state;
    uint8_t blk[1024];
    uint16_t level;
    uint32_t child;
    husk_err err = {0};
    memset(blk, 0, sizeof blk);
    put16(blk + 8, 0x3ebe);
    put64(blk + 48, 146);
    put16(blk + 56, 2);
    put16(blk + 58, 1);
    put32(blk + 64, 0x1234);  /* hash */
    put32(blk + 68, 8388608); /* before: first leaf */
    assert_int_equal(xfs_raw_da_node_first(blk, sizeof blk, 1, 146, &level, &child, &err), 0);
    assert_int_equal(level, 1);
    assert_int_equal(child, 8388608);
    put16(blk + 58, 9); /* deeper than XFS allows */
    assert_int_equal(xfs_raw_da_node_first(blk, sizeof blk, 1, 146, &level, &child, &err),
                     -HUSK_E_FORMAT);
    put16(blk + 58, 1);
    put16(blk + 56, 0);
    assert_int_equal(xfs_raw_da_node_first(blk, sizeof blk, 1, 146, &level, &child, &err),
                     -HUSK_E_FORMAT);
}

static void test_rmt_block(void **state)
{
    (void)state;
    uint8_t blk[1024];
    const uint8_t *data;
    size_t len;
    husk_err err = {0};
    memset(blk, 'v', sizeof blk);
    put32(blk, XFS_RAW_SYMLINK_MAGIC);
    put32(blk + 8, 968);
    put64(blk + 32, 2324);
    assert_int_equal(
        xfs_raw_rmt_block(blk, sizeof blk, 1, XFS_RAW_SYMLINK_MAGIC, 2324, &data, &len, &err), 0);
    assert_ptr_equal(data, blk + 56);
    assert_int_equal(len, 968);
    assert_int_equal(
        xfs_raw_rmt_block(blk, sizeof blk, 1, XFS_RAW_ATTR_RMT_MAGIC, 2324, &data, &len, &err),
        -HUSK_E_FORMAT);
    assert_int_equal(
        xfs_raw_rmt_block(blk, sizeof blk, 1, XFS_RAW_SYMLINK_MAGIC, 1, &data, &len, &err),
        -HUSK_E_FORMAT);
    put32(blk + 8, 969); /* more bytes than the block holds */
    assert_int_equal(
        xfs_raw_rmt_block(blk, sizeof blk, 1, XFS_RAW_SYMLINK_MAGIC, 2324, &data, &len, &err),
        -HUSK_E_FORMAT);
    assert_int_equal(
        xfs_raw_rmt_block(blk, sizeof blk, 0, XFS_RAW_SYMLINK_MAGIC, 0, &data, &len, &err),
        0); /* v4: all payload */
    assert_ptr_equal(data, blk);
    assert_int_equal(len, sizeof blk);
}

/* ---- directories ---------------------------------------------------------------------------- */

typedef struct dir_seen {
    int n;
    char names[8][256];
    uint64_t ino[8];
    uint8_t ftype[8];
} dir_seen;

static int collect_dirent(const xfs_raw_dirent *d, void *ctx)
{
    dir_seen *s = ctx;
    if (s->n >= 8)
        return 1;
    memcpy(s->names[s->n], d->name, d->name_len);
    s->names[s->n][d->name_len] = '\0';
    s->ino[s->n] = d->ino;
    s->ftype[s->n] = d->ftype;
    s->n++;
    return 0;
}

static void test_dir_sf(void **state)
{
    (void)state;
    uint8_t p[64];
    dir_seen s = {0};
    husk_err err = {0};
    memset(p, 0, sizeof p);
    p[0] = 2;
    put32(p + 2, 128); /* parent */
    size_t pos = 6;
    p[pos] = 3; /* "abc", ftype 1, inode 131 */
    memcpy(p + pos + 3, "abc", 3);
    p[pos + 6] = 1;
    put32(p + pos + 7, 131);
    pos += 11;
    p[pos] = 1; /* "d", ftype 2, inode 262272 */
    p[pos + 3] = 'd';
    p[pos + 4] = 2;
    put32(p + pos + 5, 262272);
    pos += 9;
    assert_int_equal(xfs_raw_dir_sf_walk(p, pos, 1, collect_dirent, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "abc");
    assert_int_equal(s.ino[0], 131);
    assert_int_equal(s.ftype[0], 1);
    assert_string_equal(s.names[1], "d");
    assert_int_equal(s.ino[1], 262272);
    assert_int_equal(xfs_raw_dir_ftype(s.ftype[1]), HUSK_FT_DIR);
    /* cut short: the first entry is still reported */
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_dir_sf_walk(p, pos - 1, 1, collect_dirent, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(s.n, 1);
    /* without ftype bytes the same bytes mean something else, but stay in bounds */
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_dir_sf_walk(p, pos, 0, collect_dirent, &s, &err), -HUSK_E_FORMAT);

    /* 8-byte inode numbers */
    uint8_t q[64];
    memset(q, 0, sizeof q);
    q[0] = 1;
    q[1] = 1;
    put64(q + 2, 128);
    q[10] = 2;
    memcpy(q + 13, "xy", 2);
    q[15] = 7;
    put64(q + 16, 0x100000000ULL);
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_dir_sf_walk(q, 24, 1, collect_dirent, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ino[0], 0x100000000ULL);
    assert_int_equal(xfs_raw_dir_ftype(s.ftype[0]), HUSK_FT_SYMLINK);
}

/* Appends a data entry (v5 with ftype) at *pos. */
static void dir_entry(uint8_t *b, size_t *pos, uint64_t ino, const char *name, uint8_t ft)
{
    size_t nl = strlen(name), sz = (8 + 1 + nl + 1 + 2 + 7) & ~(size_t)7;
    put64(b + *pos, ino);
    b[*pos + 8] = (uint8_t)nl;
    memcpy(b + *pos + 9, name, nl);
    b[*pos + 9 + nl] = ft;
    put16(b + *pos + sz - 2, (uint16_t)*pos);
    *pos += sz;
}

static void test_dir_block(void **state)
{
    (void)state;
    static uint8_t b[4096];
    dir_seen s = {0};
    husk_err err = {0};
    memset(b, 0, sizeof b);
    put32(b, 0x58444233); /* XDB3: single-block directory */
    put64(b + 40, 132);
    size_t pos = 64;
    dir_entry(b, &pos, 132, ".", 2);
    dir_entry(b, &pos, 128, "..", 2);
    dir_entry(b, &pos, 133, "inner.txt", 1);
    put16(b + pos, 0xffff); /* free span up to the leaf area */
    size_t leaf_start = 4096 - 8 - 3 * 8;
    put16(b + pos + 2, (uint16_t)(leaf_start - pos));
    put32(b + 4096 - 8, 3); /* tail: 3 leaf entries */
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 132, collect_dirent, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[2], "inner.txt");
    assert_int_equal(s.ino[2], 133);
    /* owner check */
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 999, collect_dirent, &s, &err),
                     -HUSK_E_FORMAT);
    /* a zero-length free span must not loop */
    put16(b + pos + 2, 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 132, collect_dirent, &s, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(s.n, 3);
    /* a leaf count that does not fit */
    put16(b + pos + 2, (uint16_t)(leaf_start - pos));
    put32(b + 4096 - 8, 100000);
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 132, collect_dirent, &s, &err),
                     -HUSK_E_FORMAT);
    /* data-block magic: entries run to the block end (here: all free space) */
    put32(b, 0x58444433);
    put16(b + pos + 2, (uint16_t)(4096 - pos));
    memset(&s, 0, sizeof s);
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 132, collect_dirent, &s, &err), 0);
    assert_int_equal(s.n, 3);
    /* a name running past the end */
    b[64 + 8] = 255;
    assert_int_equal(xfs_raw_dir_block_walk(b, 256, 1, 1, 132, collect_dirent, &s, &err),
                     -HUSK_E_FORMAT);
    /* v4 magic on a v5 file system */
    put32(b, 0x58443244);
    assert_int_equal(xfs_raw_dir_block_walk(b, sizeof b, 1, 1, 132, collect_dirent, &s, &err),
                     -HUSK_E_FORMAT);
}

/* ---- garbage --------------------------------------------------------------------------------- */

static int count_attr(const xfs_raw_attr *a, void *ctx)
{
    char name[300];
    (void)xfs_raw_attr_name(a, name, sizeof name);
    (*(int *)ctx)++;
    return 0;
}

static int count_dirent(const xfs_raw_dirent *d, void *ctx)
{
    (void)d;
    (*(int *)ctx)++;
    return 0;
}

/* Random and truncated buffers through every decoder: no crash, no read outside the buffer
 * (run under ASan), always a defined result. */
static void test_garbage(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        size_t len = (size_t)(seed % sizeof buf);
        uint8_t *p = malloc(len ? len : 1); /* exact size so ASan sees overreads */
        memcpy(p, buf, len);
        if (round % 4 == 0 && len >= 2)
            put16(p, 0x494e);
        if (round % 4 == 1 && len >= 12)
            put16(p + 8, round & 8 ? 0x3bee : 0xfbee);
        if (round % 4 == 2 && len >= 4)
            put32(p, round & 8 ? 0x58444233 : 0x58443244);
        xfs_raw_sb sb;
        xfs_raw_inode di;
        xfs_raw_btree bt;
        const uint8_t *data;
        size_t dlen;
        uint16_t level;
        uint32_t child, forw;
        int n = 0, v5 = round & 1;
        (void)xfs_raw_sb_parse(p, len, &sb, NULL);
        (void)xfs_raw_inode_parse(p, len, 1, &di, NULL);
        (void)xfs_raw_bmap_root_parse(p, len, &bt, NULL);
        (void)xfs_raw_bmap_block_parse(p, len, v5, 0, &bt, NULL);
        (void)xfs_raw_attr_sf_walk(p, len, count_attr, &n, NULL);
        (void)xfs_raw_attr_leaf_walk(p, len, v5, 0, count_attr, &n, &forw, NULL);
        (void)xfs_raw_da_node_first(p, len, v5, 0, &level, &child, NULL);
        (void)xfs_raw_dir_sf_walk(p, len, v5, count_dirent, &n, NULL);
        (void)xfs_raw_dir_block_walk(p, len & ~(size_t)7, v5, 1, 0, count_dirent, &n, NULL);
        (void)xfs_raw_rmt_block(p, len, v5, XFS_RAW_ATTR_RMT_MAGIC, 0, &data, &dlen, NULL);
        (void)xfs_raw_da_kind(p, len, v5);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sb_ok),
        cmocka_unit_test(test_sb_label_full),
        cmocka_unit_test(test_sb_rejects),
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_inode_bigtime),
        cmocka_unit_test(test_inode_classic_time),
        cmocka_unit_test(test_timestamp_direct),
        cmocka_unit_test(test_inode_v2_v1),
        cmocka_unit_test(test_inode_device),
        cmocka_unit_test(test_inode_nrext64),
        cmocka_unit_test(test_inode_rejects),
        cmocka_unit_test(test_extent_unpack),
        cmocka_unit_test(test_bmap_parse),
        cmocka_unit_test(test_sf_attrs),
        cmocka_unit_test(test_sf_attrs_damaged),
        cmocka_unit_test(test_attr_names),
        cmocka_unit_test(test_attr_leaf),
        cmocka_unit_test(test_attr_leaf_damaged),
        cmocka_unit_test(test_da_node),
        cmocka_unit_test(test_rmt_block),
        cmocka_unit_test(test_dir_sf),
        cmocka_unit_test(test_dir_block),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
