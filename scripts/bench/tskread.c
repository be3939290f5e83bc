/*
 * The "icat of every file" floor of scripts/bench.sh, in one process: reads every inode given
 * on standard input (one decimal number per line) with The Sleuth Kit's own calls, as icat
 * does (tsk_fs_file_open_meta, then tsk_fs_file_read to the end), and discards the bytes.
 * Running the icat binary once per file would measure fork and exec, not reading.
 *
 *   tskread IMAGE SECTOR_OFFSET < inodes       (IMAGE: raw or the first EWF segment)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <tsk/libtsk.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tskread IMAGE SECTOR_OFFSET < inodes\n");
        return 2;
    }
    TSK_IMG_INFO *img = tsk_img_open_sing(argv[1], TSK_IMG_TYPE_DETECT, 0);
    if (!img) {
        tsk_error_print(stderr);
        return 1;
    }
    TSK_FS_INFO *fs = tsk_fs_open_img(img, (TSK_OFF_T)strtoll(argv[2], NULL, 10) * 512,
                                      TSK_FS_TYPE_DETECT);
    if (!fs) {
        tsk_error_print(stderr);
        return 1;
    }
    static char buf[1 << 20];
    unsigned long long inum, files = 0, bytes = 0, failed = 0;
    while (scanf("%llu", &inum) == 1) {
        TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, (TSK_INUM_T)inum);
        if (!f || !f->meta) {
            failed++;
            tsk_fs_file_close(f);
            continue;
        }
        TSK_OFF_T off = 0, size = f->meta->size;
        while (off < size) {
            ssize_t n = tsk_fs_file_read(f, off, buf, sizeof buf, TSK_FS_FILE_READ_FLAG_NONE);
            if (n <= 0)
                break;
            off += n;
        }
        bytes += (unsigned long long)off;
        files++;
        tsk_fs_file_close(f);
    }
    printf("%llu files, %llu bytes, %llu unreadable\n", files, bytes, failed);
    tsk_fs_close(fs);
    tsk_img_close(img);
    return 0;
}
