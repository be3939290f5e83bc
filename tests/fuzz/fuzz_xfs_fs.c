/*
 * husk's own XFS reader (src/evidence/fs_xfs.c over xfs_raw.c) and, with the first input
 * byte's low bit set, the recovered XFS view (src/recover/xfs_view*.c, xfs_rec*.c,
 * xfs_logscan.c): deleted inodes in chunks and free space, the log's inode and directory
 * copies, directory remnants.
 * Input: one option byte, then the first bytes of an XFS file system; the rest of the virtual
 * disk (up to the superblock's size, at most 16 MiB) reads as zeros, reads past it fail.
 * Seeds: the first 128 KiB of the real XFS images (superblock, AG headers, B+tree roots, the
 * first inode chunk with the root directory).
 */
#include "fuzz.h"
#include "husk/recover.h"
#include "walkfs.h"
#include "../../src/evidence/xfs_raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + 512)
        return 0;
    int view = data[0] & 1;
    data++;
    size--;
    uint64_t vsize = 16u << 20;
    xfs_raw_sb sb;
    husk_err err = {0};
    if (xfs_raw_sb_parse(data, size, &sb, &err) == 0 && sb.dblocks * sb.blocksize < vsize)
        vsize = sb.dblocks * sb.blocksize;
    if (vsize < size)
        vsize = size;
    fz_seg seg = {0, data, size};
    TSK_IMG_INFO *img = fz_img_open(vsize, &seg, 1);
    if (!img)
        return 0;
    husk_fs *fs = NULL;
    if (husk_xfs_open(img, 0, &fs, &err) < 0)
        return 0;
    size_t sum = fz_walk_fs(fs, 3000);
    if (view) {
        size_t dsink = 0;
        husk_diag diag = fz_diag(&dsink);
        husk_fs *v = NULL;
        if (husk_xfs_recovered_view(fs, &diag, &v, &err) == 0) {
            sum += fz_walk_fs(v, 3000);
            husk_fs_close(v);
        }
    }
    husk_fs_close(fs);
    return sum == 1;
}
