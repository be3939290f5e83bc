/*
 * A file system whose primary superblock is damaged, read through a backup (include/husk/
 * vfs.h, husk_backup_sb_image). e2fsck -b and xfs_repair do this on a writable copy; husk does
 * it in memory: a libtsk external image (as the journal replay overlay, src/recover/replay.c)
 * reads the evidence and lays the backup over the primary's place: for ext2/3/4 group 1's
 * superblock, with its group number set to 0 and its checksum recomputed, over bytes
 * 1024..2047 of the file system; for XFS allocation group 1's superblock sector over the first
 * 512 bytes (the copies are the same but for free-space counters, and carry their own CRC).
 * Everything else (group descriptors, inodes, data) is read from the evidence unchanged, and
 * nothing is ever written to it.
 */
#include "husk/crc32c.h"
#include "husk/vfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

/* libtsk external image; TSK_IMG_INFO must be the first member (tsk_img.h). */
typedef struct sb_img {
    TSK_IMG_INFO info;
    TSK_IMG_INFO *under;
    uint64_t at;          /* byte of the primary superblock in under */
    size_t len;           /* bytes laid over it */
    unsigned char sb[1024];
} sb_img;

static ssize_t sb_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    sb_img *s = (sb_img *)img;
    ssize_t n = tsk_img_read(s->under, off, buf, len);
    if (n <= 0)
        return n;
    uint64_t start = (uint64_t)off, end = start + (uint64_t)n;
    uint64_t lo = s->at > start ? s->at : start, hi = s->at + s->len < end ? s->at + s->len : end;
    if (lo < hi)
        memcpy(buf + (lo - start), s->sb + (lo - s->at), (size_t)(hi - lo));
    return n;
}

static void sb_close(TSK_IMG_INFO *img)
{
    free(img);
}

static void sb_imgstat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "primary superblock replaced in memory by a backup\n");
}

int husk_backup_sb_image(TSK_IMG_INFO *img, uint64_t off, int kind, uint64_t backup,
                         TSK_IMG_INFO **out, husk_err *err)
{
    *out = NULL;
    sb_img *s = calloc(1, sizeof *s); /* zeroed: it holds libtsk's read cache */
    if (!s)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    s->len = kind == 1 ? 1024 : 512;
    if (tsk_img_read(img, (TSK_OFF_T)(off + backup), (char *)s->sb, s->len) != (ssize_t)s->len ||
        (kind == 1 && (s->sb[0x38] != 0x53 || s->sb[0x39] != 0xef)) ||
        (kind != 1 && memcmp(s->sb, "XFSB", 4) != 0)) {
        free(s);
        return husk_err_set(err, HUSK_E_FORMAT, "no backup superblock at byte %llu",
                            (unsigned long long)backup);
    }
    s->under = img;
    s->at = kind == 1 ? off + 1024 : off;
    if (kind == 1) {
        s->sb[0x5a] = s->sb[0x5b] = 0; /* s_block_group_nr: this is group 0's copy now */
        uint32_t ro_compat = (uint32_t)s->sb[0x64] | (uint32_t)s->sb[0x65] << 8 |
                             (uint32_t)s->sb[0x66] << 16 | (uint32_t)s->sb[0x67] << 24;
        if (ro_compat & 0x400) { /* metadata_csum: s_checksum over the rest, crc32c from ~0 */
            uint32_t c = husk_crc32c(~0u, s->sb, 0x3fc);
            for (int i = 0; i < 4; i++)
                s->sb[0x3fc + i] = (unsigned char)(c >> (8 * i));
        }
    }
    TSK_IMG_INFO *t =
        tsk_img_open_external(s, img->size, img->sector_size, sb_read, sb_close, sb_imgstat);
    if (!t) {
        const char *m = tsk_error_get();
        husk_err_set(err, HUSK_E_IO, "cannot present the backup superblock as an image: %s",
                     m ? m : "libtsk error");
        tsk_error_reset();
        free(s);
        return -HUSK_E_IO;
    }
    *out = t;
    return 0;
}
