/*
 * Unit tests for the pure decoders of the XFS recovered view (src/recover/xfs_rec.h), on
 * hand-made byte buffers: freed-inode validation with its CRC (computed here by an independent
 * bitwise CRC32c), leftover extent records and size guessing, short-form directory remnants,
 * old entries in free spans of directory blocks, per-AG B+tree blocks, and the log's record,
 * item and inode-core formats. Garbage must give errors, never reads outside the buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/recover/xfs_rec.h"

/* ---- byte helpers ---------------------------------------------------------------------------- */

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

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

/* Reference CRC32c, bit by bit (independent of src/util/crc32c.c's table). */
static uint32_t ref_crc32c(const uint8_t *p, size_t n, uint32_t crc)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return crc;
}

/* Stores the kernel's inode CRC: over the record with the CRC field zeroed, little-endian. */
static void seal_inode(uint8_t *b, size_t len)
{
    memset(b + 100, 0, 4);
    le32(b + 100, ref_crc32c(b, len, ~0u) ^ ~0u);
}

/* The geometry of the test images: 4 AGs of 20480 4-KiB blocks, 512-byte inodes. */
static xfs_raw_sb test_sb(void)
{
    xfs_raw_sb sb;
    memset(&sb, 0, sizeof sb);
    sb.blocksize = 4096;
    sb.dblocks = 81920;
    sb.agblocks = 20480;
    sb.agcount = 4;
    sb.inodesize = 512;
    sb.inopblock = 8;
    sb.blocklog = 12;
    sb.inodelog = 9;
    sb.inopblog = 3;
    sb.agblklog = 15;
    sb.v5 = 1;
    sb.has_ftype = 1;
    return sb;
}

/* Packs a bmbt extent record. */
static void put_extent(uint8_t *p, uint64_t off, uint64_t fsb, uint32_t count, int unwritten)
{
    uint64_t l0 = ((uint64_t)(unwritten != 0) << 63) | (off << 9) | (fsb >> 43);
    uint64_t l1 = (fsb << 21) | count;
    put64(p, l0);
    put64(p + 8, l1);
}

/* A deleted v3 inode as the kernel leaves it in a chunk in use. */
static void make_freed_inode(uint8_t *b, uint64_t ino)
{
    memset(b, 0, 512);
    put16(b, 0x494e);
    b[4] = 3;
    b[5] = XFS_RAW_FMT_EXTENTS;
    put32(b + 92, 7); /* generation */
    put64(b + 152, ino);
}

/* ---- inode records -------------------------------------------------------------------------- */

static void test_inode_check(void **state)
{
    (void)state;
    uint8_t b[512];
    make_freed_inode(b, 142);
    put16(b + 2, 0100644);
    put64(b + 56, 13893);
    seal_inode(b, sizeof b);
    assert_int_equal(xr_inode_check(b, sizeof b, 142), XR_INODE_OK);
    assert_true(xr_inode_crc_ok(b, sizeof b));
    /* one changed byte: still an inode of its place, but the CRC says it is damaged */
    b[300] ^= 1;
    assert_int_equal(xr_inode_check(b, sizeof b, 142), XR_INODE_BADCRC);
    b[300] ^= 1;
    /* a record of another place (a copy, or garbage that happens to say "IN") */
    assert_int_equal(xr_inode_check(b, sizeof b, 143), XR_INODE_NONE);
    /* not v3, not "IN", too short */
    b[4] = 2;
    assert_int_equal(xr_inode_check(b, sizeof b, 142), XR_INODE_NONE);
    b[4] = 3;
    b[0] = 'X';
    assert_int_equal(xr_inode_check(b, sizeof b, 142), XR_INODE_NONE);
    b[0] = 'I';
    assert_int_equal(xr_inode_check(b, 100, 142), XR_INODE_NONE);
    assert_int_equal(xr_inode_check(NULL, 512, 142), XR_INODE_NONE);
}

static void test_leftover_extents(void **state)
{
    (void)state;
    xfs_raw_sb sb = test_sb();
    uint8_t b[512];
    xfs_raw_extent e[32];
    make_freed_inode(b, 143);
    put_extent(b + 176, 0, 29, 4, 0);
    put_extent(b + 192, 4, (1ULL << 15) | 100, 2, 0); /* AG 1, block 100 */
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 2);
    assert_int_equal(e[0].startblock, 29);
    assert_int_equal(e[0].blockcount, 4);
    assert_int_equal(e[1].startoff, 4);
    assert_int_equal(e[1].startblock, (1ULL << 15) | 100);
    /* max bounds the output */
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 1), 1);
    /* overlapping logical ranges stop the list */
    put_extent(b + 192, 2, 500, 2, 0);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 1);
    /* a block outside the file system (AG 5 of 4), an unwritten or empty extent */
    put_extent(b + 192, 4, (5ULL << 15) | 1, 1, 0);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 1);
    put_extent(b + 192, 4, 600, 1, 1);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 1);
    put_extent(b + 176, 0, 29, 0, 0);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 0);
    /* an extent running past its AG */
    put_extent(b + 176, 0, 20470, 20, 0);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 0);
    /* an empty literal area */
    make_freed_inode(b, 143);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), 0);
    /* the whole literal area full of records: never past the record's end */
    for (size_t o = 176, i = 0; o + 16 <= 512; o += 16, i++)
        put_extent(b + o, i, 1000 + i, 1, 0);
    assert_int_equal(xr_leftover_extents(&sb, b, sizeof b, e, 32), (512 - 176) / 16);
}

static void test_guess_size(void **state)
{
    (void)state;
    uint8_t last[4096];
    int trimmed;
    memset(last, 0, sizeof last);
    memcpy(last, "2999\n3000\n", 10);
    assert_int_equal(xr_guess_size(last, sizeof last, 4, &trimmed), 3 * 4096 + 10);
    assert_true(trimmed);
    /* binary: a NUL before the last non-zero byte keeps whole blocks */
    last[3] = 0;
    assert_int_equal(xr_guess_size(last, sizeof last, 4, &trimmed), 4 * 4096);
    assert_false(trimmed);
    /* a full block and an all-zero block keep whole blocks */
    memset(last, 'x', sizeof last);
    assert_int_equal(xr_guess_size(last, sizeof last, 1, &trimmed), 4096);
    assert_false(trimmed);
    memset(last, 0, sizeof last);
    assert_int_equal(xr_guess_size(last, sizeof last, 2, &trimmed), 8192);
    /* unreadable last block, no blocks, overflow */
    assert_int_equal(xr_guess_size(NULL, 4096, 3, &trimmed), 3 * 4096);
    assert_int_equal(xr_guess_size(last, sizeof last, 0, &trimmed), 0);
    assert_int_equal(xr_guess_size(last, 4096, UINT64_MAX / 2, &trimmed), UINT64_MAX);
}

/* ---- directories ------------------------------------------------------------------------------
 */

typedef struct seen {
    int n;
    char names[16][256];
    uint64_t ino[16];
    int deleted[16], partial[16];
} seen;

static int collect(const xr_dirent *d, void *ctx)
{
    seen *s = ctx;
    if (s->n < 16) {
        memcpy(s->names[s->n], d->name, d->name_len);
        s->names[s->n][d->name_len] = '\0';
        s->ino[s->n] = d->ino;
        s->deleted[s->n] = d->deleted;
        s->partial[s->n] = d->ino_partial;
    }
    s->n++;
    return 0;
}

/* Appends a short-form entry (4-byte inode numbers, with a file type). */
static size_t sf_entry(uint8_t *p, size_t pos, const char *name, uint16_t off, uint8_t ft,
                       uint32_t ino)
{
    size_t n = strlen(name);
    p[pos] = (uint8_t)n;
    put16(p + pos + 1, off);
    memcpy(p + pos + 3, name, n);
    p[pos + 3 + n] = ft;
    put32(p + pos + 4 + n, ino);
    return pos + 8 + n;
}

static void test_sf_entries(void **state)
{
    (void)state;
    uint8_t f[336];
    seen s = {0};
    uint64_t parent = 0;
    husk_err err = {0};
    memset(f, 0, sizeof f);
    f[0] = 3;
    put32(f + 2, 131);
    size_t pos = 6;
    pos = sf_entry(f, pos, "config.v2.json", 96, 1, 145);
    pos = sf_entry(f, pos, "hostconfig.json", 128, 1, 146);
    sf_entry(f, pos, "local-logs", 160, 2, 147);
    /* the literal area of a deleted inode: the header still counts its entries */
    assert_int_equal(xr_sf_entries(f, sizeof f, 1, 1ULL << 20, &parent, collect, &s, &err), 3);
    assert_int_equal(parent, 131);
    assert_string_equal(s.names[0], "config.v2.json");
    assert_int_equal(s.ino[1], 146);
    assert_string_equal(s.names[2], "local-logs");
    /* an inode number outside the file system: entries before it were reported */
    memset(&s, 0, sizeof s);
    assert_int_equal(xr_sf_entries(f, sizeof f, 1, 147, &parent, collect, &s, &err),
                     -HUSK_E_FORMAT);
    assert_int_equal(s.n, 2);
    /* a file type that does not exist, a name with '/', offsets out of order */
    f[6 + 3 + 14] = 9;
    assert_true(xr_sf_entries(f, sizeof f, 1, 1ULL << 20, NULL, collect, &s, &err) < 0);
    f[6 + 3 + 14] = 1;
    f[6 + 3 + 6] = '/';
    assert_true(xr_sf_entries(f, sizeof f, 1, 1ULL << 20, NULL, collect, &s, &err) < 0);
    f[6 + 3 + 6] = '.';
    put16(f + 6 + 1, 200);
    assert_true(xr_sf_entries(f, sizeof f, 1, 1ULL << 20, NULL, collect, &s, &err) < 0);
    put16(f + 6 + 1, 96);
    /* more entries counted than the fork holds */
    f[0] = 200;
    assert_true(xr_sf_entries(f, 60, 1, 1ULL << 20, NULL, collect, &s, &err) < 0);
    /* a parent of 0 (zeros: no directory ever lived here) */
    memset(f, 0, sizeof f);
    assert_true(xr_sf_entries(f, sizeof f, 1, 1ULL << 20, NULL, collect, &s, &err) < 0);
    /* 8-byte inode numbers */
    memset(f, 0, sizeof f);
    f[0] = 1;
    f[1] = 1;
    put64(f + 2, 1ULL << 33);
    f[10] = 1;
    put16(f + 11, 96);
    f[13] = 'x';
    f[14] = 1;
    put64(f + 15, (1ULL << 33) + 5);
    memset(&s, 0, sizeof s);
    assert_int_equal(xr_sf_entries(f, sizeof f, 1, 1ULL << 40, &parent, collect, &s, &err), 1);
    assert_int_equal(parent, 1ULL << 33);
    assert_int_equal(s.ino[0], (1ULL << 33) + 5);
    /* "." is not a name an entry can have */
    f[13] = '.';
    assert_true(xr_sf_entries(f, sizeof f, 1, 1ULL << 40, NULL, collect, &s, &err) < 0);
    assert_true(xr_sf_entries(NULL, 10, 1, 1, NULL, collect, &s, &err) < 0);
}

/* Writes a data entry at *pos (with file type) and moves *pos past it. */
static void dir_entry(uint8_t *b, size_t *pos, uint64_t ino, const char *name, uint8_t ft)
{
    size_t n = strlen(name), sz = (8 + 1 + n + 1 + 2 + 7) & ~(size_t)7;
    put64(b + *pos, ino);
    b[*pos + 8] = (uint8_t)n;
    memcpy(b + *pos + 9, name, n);
    b[*pos + 9 + n] = ft;
    put16(b + *pos + sz - 2, (uint16_t)*pos);
    *pos += sz;
}

/* What the kernel leaves when it frees entries [start, end) one by one, front to back: a free
 * header over the first entry's inode number, each later entry's tag overwritten with the
 * span's start (xfs_dir2_data_make_free merging with the previous free span). */
static void free_span(uint8_t *b, size_t start, size_t end)
{
    put16(b + start, 0xffff);
    put16(b + start + 2, (uint16_t)(end - start));
    put16(b + end - 2, (uint16_t)start);
}

static void test_dir_block_remnants(void **state)
{
    (void)state;
    static uint8_t b[4096];
    seen s = {0};
    husk_err err = {0};
    memset(b, 0, sizeof b);
    put32(b, 0x58444433); /* XDD3 */
    put64(b + 40, 655488);
    size_t pos = 64, a, c;
    dir_entry(b, &pos, 655488, ".", 2);
    dir_entry(b, &pos, 131, "..", 2);
    dir_entry(b, &pos, 655500, "live-one", 1);
    a = pos;
    dir_entry(b, &pos, 0x1000a0001ULL, "n001", 1);
    size_t second = pos;
    dir_entry(b, &pos, 655490, "n002", 1);
    c = pos;
    dir_entry(b, &pos, 655501, "live-two", 1);
    free_span(b, a, c);
    put16(b + second + 14, (uint16_t)a); /* n002's tag: the span start (merged) */
    free_span(b, pos, 4096);             /* the rest of the block is free */
    assert_int_equal(xr_dir_block_entries(b, sizeof b, 1, 1, collect, &s, &err), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.names[2], "live-one");
    assert_false(s.deleted[2]);
    assert_string_equal(s.names[3], "n001");
    assert_true(s.deleted[3]);
    assert_true(s.partial[3]);           /* the free header took the high half */
    assert_int_equal(s.ino[3], 0xa0001); /* low 32 bits only */
    assert_string_equal(s.names[4], "n002");
    assert_true(s.deleted[4]);
    assert_false(s.partial[4]);
    assert_int_equal(s.ino[4], 655490);
    assert_string_equal(s.names[5], "live-two");
    assert_int_equal(xr_dir_block_owner(b, sizeof b), 655488);
    /* damaged structure (a free span running past the block): the rest is searched by tag */
    put16(b + a + 2, 8000);
    memset(&s, 0, sizeof s);
    assert_int_equal(xr_dir_block_entries(b, sizeof b, 1, 1, collect, &s, &err), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.names[3], "n001");
    assert_true(s.deleted[3]);
    assert_string_equal(s.names[4], "n002");
    assert_string_equal(s.names[5], "live-two"); /* found by its tag, so marked deleted */
    assert_true(s.deleted[5]);
    /* not a directory block, too short, odd length */
    put32(b, 0x58444432);
    assert_int_equal(xr_dir_block_entries(b, sizeof b, 1, 1, collect, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(xr_dir_block_owner(b, sizeof b), 0);
    put32(b, 0x58444433);
    assert_int_equal(xr_dir_block_entries(b, 64, 1, 1, collect, &s, &err), -HUSK_E_FORMAT);
    assert_int_equal(xr_dir_block_entries(b, 4095, 1, 1, collect, &s, &err), -HUSK_E_FORMAT);
    /* random bytes never make it read outside the block */
    srand(7);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 64; i < sizeof b; i++)
            b[i] = (uint8_t)rand();
        memset(&s, 0, sizeof s);
        xr_dir_block_entries(b, sizeof b, 1, 1, collect, &s, &err);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_true(xr_name_ok((const uint8_t *)"config.v2.json", 14));
    assert_false(xr_name_ok((const uint8_t *)".", 1));
    assert_false(xr_name_ok((const uint8_t *)"..", 2));
    assert_true(xr_name_ok((const uint8_t *)"...", 3));
    assert_false(xr_name_ok((const uint8_t *)"a/b", 3));
    assert_false(xr_name_ok((const uint8_t *)"a\0b", 3));
    assert_false(xr_name_ok((const uint8_t *)"", 0));
}

/* ---- AG B+trees ----------------------------------------------------------------------------- */

static void test_sblock(void **state)
{
    (void)state;
    uint8_t b[4096];
    xr_sblock sb;
    husk_err err = {0};
    memset(b, 0, sizeof b);
    put32(b, 0x41423342); /* AB3B */
    put16(b + 6, 2);
    put32(b + 12, 0xffffffffu);
    put32(b + 56, 64);
    put32(b + 60, 1);
    assert_int_equal(xr_sblock_parse(b, sizeof b, 1, 0x41423342, 8, 8, &sb, &err), 0);
    assert_int_equal(sb.level, 0);
    assert_int_equal(sb.numrecs, 2);
    assert_ptr_equal(sb.recs, b + 56);
    assert_int_equal(sb.rightsib, 0xffffffffu);
    /* a node: pointers after room for every key */
    put16(b + 4, 1);
    assert_int_equal(xr_sblock_parse(b, sizeof b, 1, 0x41423342, 8, 8, &sb, &err), 0);
    assert_ptr_equal(sb.ptrs, b + 56 + ((4096 - 56) / 12) * 8);
    /* too many records, an empty node, a wrong magic */
    put16(b + 6, 60000);
    assert_int_equal(xr_sblock_parse(b, sizeof b, 1, 0x41423342, 8, 8, &sb, &err), -HUSK_E_FORMAT);
    put16(b + 6, 0);
    assert_int_equal(xr_sblock_parse(b, sizeof b, 1, 0x41423342, 8, 8, &sb, &err), -HUSK_E_FORMAT);
    put16(b + 6, 1);
    assert_int_equal(xr_sblock_parse(b, sizeof b, 1, 0x49414233, 4, 16, &sb, &err), -HUSK_E_FORMAT);
}

static void test_inorec(void **state)
{
    (void)state;
    uint8_t r[16];
    xr_inorec ir;
    put32(r, 768);
    put16(r + 4, 0x8001); /* holes: inodes 0-3 and 60-63 */
    r[6] = 56;
    r[7] = 2;
    put64(r + 8, 0x8000000000000003ULL | (1ULL << 10));
    xr_inorec_parse(r, 1, &ir);
    assert_int_equal(ir.startino, 768);
    assert_int_equal(ir.present, 0x0ffffffffffffff0ULL);
    assert_int_equal(ir.free, 1ULL << 10); /* free bits in holes do not count */
    xr_inorec_parse(r, 0, &ir);            /* no sparse chunks: no holes */
    assert_int_equal(ir.present, UINT64_MAX);
}

/* ---- the log ------------------------------------------------------------------------------------
 */

/* A v2 record header at b (one basic block) for len bytes of data. */
static void make_rec(uint8_t *b, uint32_t cycle, uint32_t block, uint32_t len, uint32_t ops)
{
    memset(b, 0, 512);
    put32(b, XR_LOG_MAGIC);
    put32(b + 4, cycle);
    put32(b + 8, 2);
    put32(b + 12, len);
    put64(b + 16, (uint64_t)cycle << 32 | block);
    put32(b + 40, ops);
    put32(b + 300, 1); /* XLOG_FMT_LINUX_LE */
    put32(b + 320, 32768);
}

static void test_lrec(void **state)
{
    (void)state;
    uint8_t rec[512 * 3];
    xr_lrec r;
    make_rec(rec, 1, 40, 1000, 3);
    assert_int_equal(xr_lrec_parse(rec, &r), 0);
    assert_int_equal(r.hdr_bbs, 1);
    assert_int_equal(r.data_bbs, 2);
    assert_int_equal(r.lsn, (1ULL << 32) | 40);
    /* the data as written: the first word of each basic block replaced by the cycle */
    uint8_t *data = rec + 512;
    for (int i = 0; i < 1024; i++)
        data[i] = (uint8_t)i;
    memcpy(rec + 44, data, 4);       /* h_cycle_data[0] */
    memcpy(rec + 48, data + 512, 4); /* h_cycle_data[1] */
    put32(data, 1);
    put32(data + 512, 1);
    /* its CRC as xlog_cksum(): header with the CRC field zero (328 bytes), then the data as
     * written */
    uint32_t c = ref_crc32c(rec, 328, ~0u);
    c = ref_crc32c(data, 1000, c) ^ ~0u;
    le32(rec + 32, c);
    assert_int_equal(xr_lrec_crc(rec, 1, data, 1000), c);
    data[999] ^= 1;
    assert_int_not_equal(xr_lrec_crc(rec, 1, data, 1000), xr_le32(rec + 32));
    data[999] ^= 1;
    xr_lrec_unpack(rec, 1, data, 2);
    assert_int_equal(data[0], 0);
    assert_int_equal(data[513], 1); /* (uint8_t)513 */
    assert_int_equal(data[512], 0);
    /* implausible headers */
    put32(rec + 4, 2); /* cycle disagrees with the LSN */
    assert_int_equal(xr_lrec_parse(rec, &r), -1);
    make_rec(rec, 1, 40, 300 * 1024, 3);
    assert_int_equal(xr_lrec_parse(rec, &r), -1);
    make_rec(rec, 1, 40, 100, 100); /* more operations than bytes for their headers */
    assert_int_equal(xr_lrec_parse(rec, &r), -1);
    make_rec(rec, 0, 40, 100, 1); /* cycle 0: blocks mkfs only zeroed */
    assert_int_equal(xr_lrec_parse(rec, &r), -1);
    make_rec(rec, 1, 40, 100, 1);
    put32(rec + 320, 256 * 1024); /* 8 header blocks for a 256 KiB record */
    assert_int_equal(xr_lrec_parse(rec, &r), 0);
    assert_int_equal(r.hdr_bbs, 8);
}

static void test_items(void **state)
{
    (void)state;
    uint8_t p[64];
    xr_ilf f;
    memset(p, 0, sizeof p);
    le16(p, XR_LI_INODE);
    le16(p + 2, 3);
    le32(p + 4, XR_ILOG_CORE | XR_ILOG_DEXT);
    le16(p + 10, 16);
    le64(p + 16, 786848);
    assert_int_equal(xr_ilf_parse(p, 56, 1, &f), 0);
    assert_int_equal(f.size, 3);
    assert_int_equal(f.fields, XR_ILOG_CORE | XR_ILOG_DEXT);
    assert_int_equal(f.dsize, 16);
    assert_int_equal(f.ino, 786848);
    assert_int_equal(xr_ilf_parse(p, 56, 0, &f), -1); /* read big-endian it is no inode item */
    /* the packed 32-bit layout: ilf_ino at 12 */
    memset(p + 12, 0, 44);
    le64(p + 12, 99);
    assert_int_equal(xr_ilf_parse(p, 52, 1, &f), 0);
    assert_int_equal(f.ino, 99);
    le16(p + 2, 9); /* regions an inode item never has */
    assert_int_equal(xr_ilf_parse(p, 56, 1, &f), -1);

    /* buffer item: chunks 0 and 2-3 of a 4 KiB directory block dirty */
    xr_blf b;
    unsigned bit = 0, start, count;
    memset(p, 0, sizeof p);
    put16(p, XR_LI_BUF);
    put16(p + 2, 3);
    put16(p + 4, XR_BLFT_DIR_DATA << 11);
    put16(p + 6, 8);
    put64(p + 8, 0x29290);
    put32(p + 16, 1);
    put32(p + 20, 0x0d);
    assert_int_equal(xr_blf_parse(p, 24, 0, &b), 0);
    assert_int_equal(b.blkno, 0x29290);
    assert_int_equal(b.flags >> 11, XR_BLFT_DIR_DATA);
    assert_int_equal(xr_blf_next_run(&b, &bit, &start, &count), 1);
    assert_int_equal(start, 0);
    assert_int_equal(count, 1);
    assert_int_equal(xr_blf_next_run(&b, &bit, &start, &count), 1);
    assert_int_equal(start, 2);
    assert_int_equal(count, 2);
    assert_int_equal(xr_blf_next_run(&b, &bit, &start, &count), 0);
    /* a map larger than the region, or than any buffer */
    assert_int_equal(xr_blf_parse(p, 20, 0, &b), -1);
    put32(p + 16, 18);
    assert_int_equal(xr_blf_parse(p, 64, 0, &b), -1);
}

static void test_log_dinode(void **state)
{
    (void)state;
    uint8_t ld[176], disk[512];
    xfs_raw_inode di;
    husk_err err = {0};
    /* a logged core as an x86 kernel writes it: little-endian fields, big-time stamps */
    memset(ld, 0, sizeof ld);
    le16(ld, 0x494e);
    le16(ld + 2, 0100600);
    ld[4] = 3;
    ld[5] = XFS_RAW_FMT_EXTENTS;
    le32(ld + 8, 1000);
    le32(ld + 16, 1);
    uint64_t t = (uint64_t)(1795832114LL + 2147483648LL) * 1000000000u + 427521566u;
    le64(ld + 40, t);
    le64(ld + 56, 2933);
    le64(ld + 64, 1);
    le32(ld + 76, 1);
    le32(ld + 92, 1483723371u);
    le64(ld + 120, 0x8); /* XFS_DIFLAG2_BIGTIME */
    le64(ld + 144, t);
    le64(ld + 152, 382);
    memset(disk, 0, sizeof disk);
    assert_int_equal(xr_log_dinode_to_disk(ld, sizeof ld, 1, disk, sizeof disk), 0);
    put_extent(disk + 176, 0, 83, 1, 0);
    assert_int_equal(xfs_raw_inode_parse(disk, sizeof disk, 382, &di, &err), 0);
    assert_int_equal(di.mode, 0100600);
    assert_int_equal(di.uid, 1000);
    assert_int_equal(di.size, 2933);
    assert_int_equal(di.nextents, 1);
    assert_int_equal(di.gen, 1483723371u);
    assert_int_equal(di.mtime.sec, 1795832114);
    assert_int_equal(di.mtime.nsec, 427521566);
    assert_int_equal(di.crtime.sec, 1795832114);
    /* classic timestamps: two host-endian 32-bit halves */
    le64(ld + 120, 0);
    le32(ld + 40, 1700000000);
    le32(ld + 44, 5);
    assert_int_equal(xr_log_dinode_to_disk(ld, sizeof ld, 1, disk, sizeof disk), 0);
    assert_int_equal(xfs_raw_inode_parse(disk, sizeof disk, 382, &di, &err), 0);
    assert_int_equal(di.mtime.sec, 1700000000);
    assert_int_equal(di.mtime.nsec, 5);
    /* not a core: magic, version, length */
    assert_int_equal(xr_log_dinode_to_disk(ld, sizeof ld, 0, disk, sizeof disk), -1);
    assert_int_equal(xr_log_dinode_to_disk(ld, 100, 1, disk, sizeof disk), -1);
    ld[4] = 4;
    assert_int_equal(xr_log_dinode_to_disk(ld, sizeof ld, 1, disk, sizeof disk), -1);
    ld[4] = 3;
    assert_int_equal(xr_log_dinode_to_disk(ld, sizeof ld, 1, disk, 100), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inode_check),
        cmocka_unit_test(test_leftover_extents),
        cmocka_unit_test(test_guess_size),
        cmocka_unit_test(test_sf_entries),
        cmocka_unit_test(test_dir_block_remnants),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sblock),
        cmocka_unit_test(test_inorec),
        cmocka_unit_test(test_lrec),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_log_dinode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
