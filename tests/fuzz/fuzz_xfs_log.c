/*
 * The XFS log: the clean/dirty/covered detection (src/recover/xfs_log.c, after the kernel's
 * xlog_find_tail) and the recovery's walk of every intact record, its transactions, inode and
 * buffer items (src/recover/xfs_logscan.c).
 * Input: the file system's first 512-byte sector (the superblock, which places the internal
 * log), then the log's bytes, put at the log's place on a zero-filled virtual disk (the log's
 * length is cut, see below).
 * Seeds: superblock + the head of the log of the real XFS images (clean, dirty, covered).
 */
#include <string.h>

#include "fuzz.h"
#include "husk/replay.h"
#include "../../src/recover/xfs_rec.h"

static int on_inode(const xr_log_inode *it, uint64_t seq, void *ctx)
{
    size_t *sum = ctx;
    *sum += it->ino + it->core_len + it->dlen + it->alen + seq +
            (it->dlen ? it->dfork[it->dlen - 1] : 0) + (it->alen ? it->afork[it->alen - 1] : 0);
    return 0;
}

static int on_buf(const xr_log_buf *it, uint64_t seq, void *ctx)
{
    size_t *sum = ctx;
    *sum += it->daddr + it->nbb + it->type + seq;
    for (size_t i = 0; i < it->nregions; i++)
        *sum += it->regions[i].offset + it->regions[i].len +
                (it->regions[i].len ? it->regions[i].data[it->regions[i].len - 1] : 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 512)
        return 0;
    xfs_raw_sb sb;
    husk_err err = {0};
    if (xfs_raw_sb_parse(data, 512, &sb, &err) < 0)
        return 0;
    /* The log is cut to what the input holds, but at least 64 blocks (the seeds' logs are
     * 10 MiB of which the first 96 KiB were ever written): every walk of a 10 MiB log of
     * zeros would slow the fuzzer to a crawl without reaching any more code. */
    uint8_t sbuf[512];
    memcpy(sbuf, data, sizeof sbuf);
    uint64_t want = (size - 512) / sb.blocksize + 1;
    if (want < 64)
        want = 64;
    if (xfs_be32(sbuf + 96) > want) {
        sbuf[96] = (uint8_t)(want >> 24);
        sbuf[97] = (uint8_t)(want >> 16);
        sbuf[98] = (uint8_t)(want >> 8);
        sbuf[99] = (uint8_t)want;
    }
    uint64_t logstart = xfs_be64(sbuf + 48), logoff = 0;
    uint32_t logblocks = xfs_be32(sbuf + 96);
    if (logstart == 0 || xfs_raw_fsb_locate(&sb, logstart, logblocks ? logblocks : 1, &logoff) < 0)
        logoff = 512;
    uint64_t vsize = sb.dblocks * sb.blocksize;
    if (vsize < logoff + size)
        vsize = logoff + size;
    fz_seg seg[2] = {{0, sbuf, 512}, {logoff, data + 512, size - 512}};
    TSK_IMG_INFO *img = fz_img_open(vsize, seg, 2);
    if (!img)
        return 0;
    size_t dsink = 0, sum = 0;
    husk_diag diag = fz_diag(&dsink);
    char state[HUSK_JOURNAL_STATE_LEN];
    if (husk_xfs_log_state(img, 0, state, &diag, &err) == 0)
        sum += strlen(state);
    xr_disk d;
    if (xr_disk_init(&d, img, 0, &err) == 0) {
        xr_log_sink sink = {on_inode, on_buf, &sum};
        xr_log_stats st;
        memset(&st, 0, sizeof st);
        xr_log_scan(&d, &sink, &st, &diag, &err);
        sum += st.records + st.items;
    }
    return sum == 1;
}
