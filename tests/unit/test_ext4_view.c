/* Unit tests of the ext4 recovered view's decoders (src/recover/ext4_rec.c) on hand-made
 * records: which old inode copy stands for a deleted file (generation, newest usable copy,
 * checksum), extent trees (depth 0 and a depth-1 leaf with its tail checksum), directory
 * blocks as the kernel leaves them (kept, wiped since 5.13, merged before 5.13, htree), and
 * hostile values. tests/integration/test_ext4_recover.sh checks the whole view on node-a. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/recover/ext4_rec.h"
#include "husk/crc32c.h"

#define ISZ 256
#define BS 1024
#define SEED 0x80b9496eu /* node-a's checksum seed (crc32c of its UUID) */

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

/* The kernel's ext4_inode_csum_set(), written out again for the tests. */
static void set_inode_csum(uint8_t *raw, uint32_t ino)
{
    put16(raw + 0x7C, 0);
    put16(raw + 0x82, 0);
    uint32_t c = e4r_inode_seed(SEED, ino,
                                (uint32_t)raw[0x64] | (uint32_t)raw[0x65] << 8 |
                                    (uint32_t)raw[0x66] << 16 | (uint32_t)raw[0x67] << 24);
    c = husk_crc32c(c, raw, ISZ); /* both checksum fields are zero here */
    put16(raw + 0x7C, (uint16_t)c);
    put16(raw + 0x82, (uint16_t)(c >> 16));
}

/* A regular file with an extent root of n extents (written by the caller). */
static void make_file(uint8_t *raw, uint16_t links, uint32_t gen, uint32_t size, uint16_t n)
{
    memset(raw, 0, ISZ);
    put16(raw + 0x00, 0100644);
    put32(raw + 0x04, size);
    put16(raw + 0x1A, links);
    put32(raw + 0x20, E4R_EXTENTS_FL);
    put16(raw + 0x28, E4R_EXT_MAGIC);
    put16(raw + 0x2A, n);
    put16(raw + 0x2C, 4);
    put32(raw + 0x64, gen);
    put16(raw + 0x80, 32);
}

static void set_extent(uint8_t *node, int i, uint32_t lblk, uint16_t len, uint64_t pblk)
{
    uint8_t *x = node + 12 + 12 * i;
    put32(x, lblk);
    put16(x + 4, len);
    put16(x + 6, (uint16_t)(pblk >> 32));
    put32(x + 8, (uint32_t)pblk);
}

/* ---- copies ----------------------------------------------------------------------------- */

static void test_generation_must_match(void **state)
{
    (void)state;
    uint8_t a[ISZ], b[ISZ];
    make_file(a, 1, 111, 4096, 1); /* an earlier incarnation of the number */
    set_extent(a + 0x28, 0, 0, 1, 5000);
    make_file(b, 1, 222, 4096, 1);
    set_extent(b + 0x28, 0, 0, 1, 6000);
    e4r_copy c[] = {{b, 10, 1}, {a, 20, 1}};
    assert_int_equal(e4r_pick_copy(c, 2, ISZ, 30, 222, 0, 0), 0);
    assert_int_equal(e4r_pick_copy(c, 2, ISZ, 30, 111, 0, 0), 1);
    assert_int_equal(e4r_pick_copy(c, 2, ISZ, 30, 333, 0, 0), -1);
}

static void test_newest_usable_copy_wins(void **state)
{
    (void)state;
    uint8_t old[ISZ], mid[ISZ], unlinked[ISZ], overwritten[ISZ], truncated[ISZ];
    make_file(old, 1, 7, 100, 1);
    set_extent(old + 0x28, 0, 0, 1, 900);
    make_file(mid, 1, 7, 5000, 2);
    set_extent(mid + 0x28, 0, 0, 1, 900);
    set_extent(mid + 0x28, 1, 1, 1, 901);
    /* the unlink: links 0, everything else still there */
    memcpy(unlinked, mid, ISZ);
    put16(unlinked + 0x1A, 0);
    /* eviction: size 0, extent slots zeroed, dtime set */
    make_file(truncated, 0, 7, 0, 0);
    put32(truncated + 0x14, 1764464076u);
    /* newest of all, but its journal block was overwritten when the log wrapped */
    memcpy(overwritten, mid, ISZ);
    e4r_copy c[] = {
        {old, 5, 1}, {mid, 9, 1}, {unlinked, 12, 1}, {truncated, 13, 1}, {overwritten, 14, 0},
    };
    assert_int_equal(e4r_pick_copy(c, 5, ISZ, 40, 7, 0, 0), 1);
    /* without tag checksums (-1) a copy is taken at its word */
    c[4].tag_csum = -1;
    assert_int_equal(e4r_pick_copy(c, 5, ISZ, 40, 7, 0, 0), 4);
}

static void test_inode_checksum(void **state)
{
    (void)state;
    /* inode 12 of node-a (a directory), as the kernel wrote it */
    static const uint8_t head[0xA0] = {
        0xed, 0x41, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x8d, 0xdb, 0x0c, 0x6b, 0x8d, 0xdb, 0x0c,
        0x6b, 0x8d, 0xdb, 0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x08, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0xf3, 0x01, 0x00, 0x04,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0xdd, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x5b, 0x82, 0x3d, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0xd7, 0x37, 0x00, 0x00, 0x20, 0x00, 0xab, 0xde, 0xa0, 0x19, 0x78,
        0x8d, 0xa0, 0x19, 0x78, 0x8d, 0xa0, 0x19, 0x78, 0x8d, 0x8d, 0xdb, 0x0c, 0x6b, 0xa0, 0x19,
        0x78, 0x8d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t raw[ISZ];
    memset(raw, 0, sizeof raw);
    memcpy(raw, head, sizeof head);
    assert_int_equal(e4r_inode_csum_ok(raw, ISZ, SEED, 12), 1);
    assert_int_equal(e4r_inode_csum_ok(raw, ISZ, SEED, 13), 0); /* seeded with its number */
    raw[0x10] ^= 1;
    assert_int_equal(e4r_inode_csum_ok(raw, ISZ, SEED, 12), 0);

    /* pick_copy skips a copy whose checksum fails, with metadata_csum on */
    uint8_t good[ISZ], bad[ISZ];
    make_file(good, 1, 9, 10, 1);
    set_extent(good + 0x28, 0, 0, 1, 77);
    set_inode_csum(good, 50);
    memcpy(bad, good, ISZ);
    put32(bad + 0x04, 11); /* changed after the checksum was set */
    e4r_copy c[] = {{good, 1, 1}, {bad, 2, 1}};
    assert_int_equal(e4r_pick_copy(c, 2, ISZ, 50, 9, 1, SEED), 0);
    assert_int_equal(e4r_pick_copy(c, 2, ISZ, 50, 9, 0, SEED), 1);
}

static void test_verdicts(void **state)
{
    (void)state;
    uint8_t raw[ISZ];
    make_file(raw, 1, 1, 0, 0);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_USABLE); /* an empty file */
    put32(raw + 0x04, 10);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_NO_MAP); /* bytes but no extents */
    put16(raw + 0x28, 0x1234);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_NO_MAP); /* no extent header */
    memset(raw, 0, ISZ);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_EMPTY);
    /* an overlay whiteout: char device 0/0, nothing to map */
    put16(raw, 020000);
    put16(raw + 0x1A, 1);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_USABLE);
    put32(raw + 0x14, 5); /* dtime */
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_UNLINKED);
    /* a fast symlink keeps its target in i_block */
    memset(raw, 0, ISZ);
    put16(raw, 0120777);
    put16(raw + 0x1A, 1);
    put32(raw + 0x04, 12);
    memcpy(raw + 0x28, "/tmp/.cache/", 12);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_USABLE);
    e4r_inode in;
    e4r_inode_get(raw, ISZ, &in);
    assert_true(e4r_is_fast_symlink(&in));
    /* inline data */
    make_file(raw, 1, 1, 80, 0);
    put32(raw + 0x20, E4R_INLINE_DATA_FL);
    assert_int_equal(e4r_inode_verdict(raw, ISZ), E4R_USABLE);
    /* a record too short to be an inode */
    assert_int_equal(e4r_inode_verdict(raw, 64), E4R_EMPTY);
    e4r_copy c = {raw, 1, 1};
    assert_int_equal(e4r_pick_copy(&c, 1, 64, 1, 1, 0, 0), -1);
}

/* ---- extent trees ----------------------------------------------------------------------- */

static void test_extents_depth0(void **state)
{
    (void)state;
    uint8_t raw[ISZ];
    make_file(raw, 1, 1, 3 * 4096, 3);
    set_extent(raw + 0x28, 0, 0, 1, 36904);
    set_extent(raw + 0x28, 1, 1, 32768 + 1, 36905); /* unwritten */
    set_extent(raw + 0x28, 2, 2, 1, (1ULL << 32) | 7);
    e4r_node n;
    assert_int_equal(e4r_node_parse(raw + 0x28, E4R_IBLOCK_LEN, &n), 0);
    assert_int_equal(n.entries, 3);
    assert_int_equal(n.depth, 0);
    e4r_extent e;
    e4r_node_extent(&n, 0, &e);
    assert_int_equal(e.pblk, 36904);
    assert_int_equal(e.len, 1);
    assert_false(e.unwritten);
    e4r_node_extent(&n, 1, &e);
    assert_true(e.unwritten);
    assert_int_equal(e.len, 1);
    e4r_node_extent(&n, 2, &e);
    assert_int_equal(e.pblk, (1ULL << 32) | 7);
}

static void test_extents_depth1_leaf(void **state)
{
    (void)state;
    const uint32_t ino = 83, gen = 0xabcdef01;
    uint8_t raw[ISZ], leaf[BS];
    make_file(raw, 1, gen, 10 * 4096, 1);
    put16(raw + 0x2E, 1); /* depth 1: the root holds an index */
    uint8_t *idx = raw + 0x28 + 12;
    put32(idx, 0);
    put32(idx + 4, 36903);
    put16(idx + 8, 0);
    memset(leaf, 0, sizeof leaf);
    uint16_t max = (BS - 12) / 12 - 1; /* room for the tail */
    put16(leaf, E4R_EXT_MAGIC);
    put16(leaf + 2, 10);
    put16(leaf + 4, max);
    for (int i = 0; i < 10; i++)
        set_extent(leaf, i, (uint32_t)i * 2, 1, 50000 + (uint64_t)i * 7);
    size_t tail = 12 + (size_t)max * 12;
    uint32_t seed = e4r_inode_seed(SEED, ino, gen);
    put32(leaf + tail, husk_crc32c(seed, leaf, tail));

    e4r_node root, node;
    assert_int_equal(e4r_node_parse(raw + 0x28, E4R_IBLOCK_LEN, &root), 0);
    assert_int_equal(root.depth, 1);
    uint32_t lblk;
    uint64_t child;
    e4r_node_index(&root, 0, &lblk, &child);
    assert_int_equal(child, 36903);
    assert_int_equal(e4r_node_parse(leaf, BS, &node), 0);
    assert_int_equal(node.entries, 10);
    e4r_extent e;
    e4r_node_extent(&node, 9, &e);
    assert_int_equal(e.lblk, 18);
    assert_int_equal(e.pblk, 50063);
    /* the tail checksum says whose leaf this is */
    assert_int_equal(e4r_extent_block_csum(leaf, BS, seed), 1);
    assert_int_equal(e4r_extent_block_csum(leaf, BS, e4r_inode_seed(SEED, ino, gen + 1)), 0);
    leaf[20] ^= 0x40;
    assert_int_equal(e4r_extent_block_csum(leaf, BS, seed), 0);
    /* a node claiming more entries than its block holds is not a tree block */
    put16(leaf + 4, (BS - 12) / 12 + 1);
    assert_int_equal(e4r_extent_block_csum(leaf, BS, seed), 0);
}

static void test_extents_hostile(void **state)
{
    (void)state;
    uint8_t node[BS];
    e4r_node n;
    memset(node, 0, sizeof node);
    put16(node, E4R_EXT_MAGIC);
    put16(node + 2, 5);
    put16(node + 4, 4);
    assert_int_equal(e4r_node_parse(node, BS, &n), -1); /* entries > max */
    put16(node + 2, 1);
    put16(node + 4, 5);
    assert_int_equal(e4r_node_parse(node, E4R_IBLOCK_LEN, &n), -1); /* max past the root */
    put16(node + 4, 0xFFFF);
    assert_int_equal(e4r_node_parse(node, BS, &n), -1);
    put16(node + 4, 4);
    put16(node + 6, 6);
    assert_int_equal(e4r_node_parse(node, BS, &n), -1); /* deeper than the kernel allows */
    put16(node + 6, 0);
    put16(node + 4, 0);
    assert_int_equal(e4r_node_parse(node, BS, &n), -1); /* max 0 */
    assert_int_equal(e4r_node_parse(node, 8, &n), -1);  /* too short for a header */
}

/* ---- directory blocks ------------------------------------------------------------------- */

typedef struct seen {
    char names[16][64];
    uint32_t inos[16];
    int slack[16];
    int n;
} seen;

static int seen_cb(const e4r_dirent *d, void *ctx)
{
    seen *s = ctx;
    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof s->names[0], "%.*s", d->name_len, (const char *)d->name);
        s->inos[s->n] = d->inode;
        s->slack[s->n] = d->slack;
        s->n++;
    }
    return 0;
}

/* Writes an entry at off; returns off + rec_len. */
static size_t dirent(uint8_t *b, size_t off, uint32_t ino, uint16_t rl, const char *name,
                     uint8_t ft)
{
    size_t nl = strlen(name);
    put32(b + off, ino);
    put16(b + off + 4, rl);
    b[off + 6] = (uint8_t)nl;
    b[off + 7] = ft;
    memcpy(b + off + 8, name, nl);
    return off + rl;
}

/* A first directory block: ".", "..", three files, the checksum tail. */
static void kept_block(uint8_t *b)
{
    memset(b, 0, BS);
    size_t o = dirent(b, 0, 814, 12, ".", 2);
    o = dirent(b, o, 102, 12, "..", 2);
    o = dirent(b, o, 820, 24, "config.v2.json", 1);
    o = dirent(b, o, 821, 24, "hostconfig.json", 1);
    o = dirent(b, o, 822, (uint16_t)(BS - 12 - o), "x-json.log", 1);
    put32(b + BS - 12, 0);
    put16(b + BS - 8, 12);
    b[BS - 6] = 0;
    b[BS - 5] = 0xDE;
    put32(b + BS - 4, husk_crc32c(e4r_inode_seed(SEED, 814, 5), b, BS - 12));
}

static void test_dir_block_kept(void **state)
{
    (void)state;
    uint8_t b[BS];
    kept_block(b);
    seen s = {.n = 0};
    e4r_dirblock kind;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), 0);
    assert_int_equal(kind, E4R_DIR_LEAF);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.names[2], "config.v2.json");
    assert_int_equal(s.inos[4], 822);
    assert_false(s.slack[4]);
    assert_int_equal(e4r_dir_block_csum(b, BS, e4r_inode_seed(SEED, 814, 5)), 1);
    /* another directory (or another life of this one) does not own it */
    assert_int_equal(e4r_dir_block_csum(b, BS, e4r_inode_seed(SEED, 814, 6)), 0);
    assert_int_equal(e4r_dirent_type(1), HUSK_FT_FILE);
    assert_int_equal(e4r_dirent_type(7), HUSK_FT_SYMLINK);
    assert_int_equal(e4r_dirent_type(9), HUSK_FT_UNKNOWN);
}

/* Since Linux 5.13 a deleted entry is merged into its predecessor and zeroed, or, first in
 * its block, zeroed except rec_len (recovery.md 1.1): nothing of the name is left. */
static void test_dir_block_wiped(void **state)
{
    (void)state;
    uint8_t b[BS];
    kept_block(b);
    /* hostconfig.json (at 48) merged into config.v2.json (at 24) and wiped */
    put16(b + 24 + 4, 48);
    memset(b + 48, 0, 24);
    seen s = {.n = 0};
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.names[2], "config.v2.json");
    assert_string_equal(s.names[3], "x-json.log");

    /* a leaf whose first entry was deleted: inode 0, name zeroed, rec_len kept */
    memset(b, 0, BS);
    size_t o = dirent(b, 0, 0, 24, "", 0);
    dirent(b, o, 900, (uint16_t)(BS - o), "kept", 1);
    s.n = 0;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "kept");
}

/* Before 5.13 the merged entry kept its bytes: the walk finds it in the slack. */
static void test_dir_block_slack(void **state)
{
    (void)state;
    uint8_t b[BS];
    kept_block(b);
    put16(b + 24 + 4, 48); /* merged, not wiped */
    seen s = {.n = 0};
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.names[3], "hostconfig.json");
    assert_true(s.slack[3]);
    s.n = 0;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 0, seen_cb, &s, NULL), 0);
    assert_int_equal(s.n, 4);
}

static void test_dir_block_htree(void **state)
{
    (void)state;
    uint8_t b[BS];
    memset(b, 0, BS);
    size_t o = dirent(b, 0, 79, 12, ".", 2);
    dirent(b, o, 2, BS - 12, "..", 2);
    b[0x1C] = 1;          /* hash version */
    b[0x1D] = 8;          /* info length */
    b[0x1E] = 0;          /* indirect levels */
    put16(b + 0x20, 100); /* dx limit/count and entries in the ".." slack */
    put16(b + 0x22, 3);
    put32(b + 0x28, 0x11223344);
    seen s = {.n = 0};
    e4r_dirblock kind;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), 0);
    assert_int_equal(kind, E4R_DIR_DX_ROOT);
    assert_int_equal(s.n, 2); /* "." and "..": the index is not read as names */
    memset(b, 0, BS);
    put16(b + 4, BS);
    put16(b + 8, 100);
    s.n = 0;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), 0);
    assert_int_equal(kind, E4R_DIR_DX_NODE);
    assert_int_equal(s.n, 0);
}

static void test_dir_block_hostile(void **state)
{
    (void)state;
    uint8_t b[BS];
    seen s = {.n = 0};
    e4r_dirblock kind;
    memset(b, 0, BS); /* rec_len 0 would never end */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    kept_block(b);
    put16(b + 24 + 4, BS); /* past the block's end */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    kept_block(b);
    b[24 + 6] = 200; /* a name longer than its record */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    kept_block(b);
    put32(b + 24, 19105); /* an inode the file system does not have */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    kept_block(b);
    b[24 + 9] = '/'; /* a name the kernel cannot have written */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    kept_block(b);
    put16(b + 24 + 4, 22); /* not a multiple of 4 */
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), -1);
    assert_int_equal(s.n, 0); /* no callback before the whole chain checked out */
    /* slack with plausible-looking garbage is not taken for names */
    kept_block(b);
    put16(b + 24 + 4, 48);
    memset(b + 48, 0, 24);
    put32(b + 48, 5);
    put16(b + 52, 12);
    b[54] = 3;
    b[55] = 9; /* file type 9 does not exist */
    memcpy(b + 56, "abc", 3);
    s.n = 0;
    assert_int_equal(e4r_dir_block_walk(b, BS, 19104, 1, seen_cb, &s, &kind), 0);
    assert_int_equal(s.n, 4);
    assert_false(e4r_name_ok((const uint8_t *)"..", 2));
    assert_false(e4r_name_ok((const uint8_t *)"a\0b", 3));
    assert_true(e4r_name_ok((const uint8_t *)"<x>", 3));
}

static void test_xattr_block_checksum(void **state)
{
    (void)state;
    uint8_t b[BS];
    memset(b, 0, BS);
    put32(b, 0xEA020000u);
    put32(b + 4, 1);
    put32(b + 8, 1);
    uint8_t nr[8] = {0x59, 0x08, 0, 0, 0, 0, 0, 0}; /* block 2137 */
    uint32_t c = husk_crc32c(SEED, nr, 8);
    c = husk_crc32c(c, b, 16);
    c = husk_crc32c(c, (const uint8_t[4]){0}, 4);
    c = husk_crc32c(c, b + 20, BS - 20);
    put32(b + 16, c);
    assert_int_equal(e4r_xattr_block_csum(b, BS, SEED, 2137), 1);
    assert_int_equal(e4r_xattr_block_csum(b, BS, SEED, 2138), 0); /* moved or reused */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generation_must_match),
        cmocka_unit_test(test_newest_usable_copy_wins),
        cmocka_unit_test(test_inode_checksum),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_extents_depth0),
        cmocka_unit_test(test_extents_depth1_leaf),
        cmocka_unit_test(test_extents_hostile),
        cmocka_unit_test(test_dir_block_kept),
        cmocka_unit_test(test_dir_block_wiped),
        cmocka_unit_test(test_dir_block_slack),
        cmocka_unit_test(test_dir_block_htree),
        cmocka_unit_test(test_dir_block_hostile),
        cmocka_unit_test(test_xattr_block_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
