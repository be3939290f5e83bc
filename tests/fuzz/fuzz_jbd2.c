/*
 * The jbd2 journal of ext3/ext4 (src/recover/jbd2.c): superblock, descriptor blocks and tags
 * of every format, revoke blocks, commit blocks, checksums; the index of every old copy and
 * the kernel-style replay. Input: the journal inode's bytes (block 0 the journal superblock).
 * The file-system block size and the journal's length are taken from the journal superblock,
 * so that open gets past its checks: the journal reads as zeros past the input (seeds are its
 * first 128 KiB). The file system is said to have 1 Mi blocks.
 */
#include <string.h>

#include "fuzz.h"
#include "husk/jbd2.h"

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static int rd(void *ctx, uint64_t off, void *buf, size_t len, husk_err *err)
{
    const src *s = ctx;
    memset(buf, 0, len);
    if (off < s->n)
        memcpy(buf, s->p + off, s->n - off < len ? (size_t)(s->n - off) : len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1024)
        return 0;
    src s = {data, size};
    uint32_t bs = fz_be32(data + 12);
    if (bs < 1024 || bs > 65536 || (bs & (bs - 1)))
        bs = 1024;
    uint64_t jsize = (uint64_t)fz_be32(data + 16) * bs;
    if (jsize < size || jsize > (64u << 20))
        jsize = size;
    husk_jbd2 *j = NULL;
    husk_err err = {0};
    if (husk_jbd2_open(rd, &s, jsize, bs, 1u << 20, &j, &err) < 0)
        return 0;
    size_t dsink = 0, sum = 0;
    husk_diag diag = fz_diag(&dsink);
    const husk_jbd2_sb *sb = husk_jbd2_superblock(j);
    uint8_t *blk = malloc(sb->blocksize);
    if (!blk) {
        husk_jbd2_close(j);
        return 0;
    }
    if (husk_jbd2_index(j, &diag, &err) == 0) {
        size_t n = 0;
        const husk_jbd2_copy *all = husk_jbd2_all_copies(j, &n);
        for (size_t i = 0; i < n && i < 64; i++) {
            if (husk_jbd2_read_copy(j, &all[i], blk, &err) == 0)
                sum += blk[0] + blk[sb->blocksize - 1];
            const husk_jbd2_copy *c;
            sum += husk_jbd2_copies(j, all[i].fs_block, &c);
        }
        const husk_jbd2_revoke *r = husk_jbd2_revokes(j, &n);
        sum += n ? r[n - 1].fs_block : 0;
        const husk_jbd2_commit *c = husk_jbd2_commits(j, &n);
        sum += n ? c[n - 1].sequence : 0;
    }
    if (husk_jbd2_replay(j, &diag, &err) == 0) {
        size_t n = 0;
        const husk_jbd2_mapping *m = husk_jbd2_replay_map(j, &n);
        for (size_t i = 0; i < n && i < 64; i++) {
            if (husk_jbd2_read_mapping(j, &m[i], blk, &err) == 0)
                sum += blk[0];
            sum += husk_jbd2_replayed(j, m[i].fs_block) != NULL;
        }
        sum += husk_jbd2_stats(j)->writes;
    }
    for (uint64_t b = 0; b < 4; b++)
        if (husk_jbd2_read_block(j, b, blk, &err) == 0)
            sum += blk[1];
    free(blk);
    husk_jbd2_close(j);
    return sum == 1;
}
