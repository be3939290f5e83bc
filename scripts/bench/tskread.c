/*
 * The "icat of every file" floor of scripts/bench.sh, in one process: reads every inode given
 * on standard input (one decimal number per line) with The Sleuth Kit's own calls, as icat
 * does (tsk_fs_file_open_meta, then tsk_fs_file_read to the end), and discards the bytes.
 * Running the icat binary once per file would measure fork and exec, not reading.
 *
 *   tskread IMAGE SECTOR_OFFSET [TYPED] < inodes    (IMAGE: raw or the first EWF segment)
 *
 * With TYPED, a file listing inodes (one per line, a subset of the input), those files are
 * also given what `sha256sum` and `file` would give them, the way husk does for every
 * regular upper-layer file: SHA-256 of all their bytes and one libmagic call on their first
 * 64 KiB (husk's MAGIC_BYTES), on this one thread. That is the floor of husk's typing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <magic.h>
#include <openssl/evp.h>
#include <tsk/libtsk.h>

#define MAGIC_BYTES (64u << 10)

static int cmp_u64(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: tskread IMAGE SECTOR_OFFSET [TYPED] < inodes\n");
        return 2;
    }
    unsigned long long *typed = NULL;
    size_t ntyped = 0, captyped = 0;
    magic_t mg = NULL;
    if (argc == 4) {
        FILE *tf = fopen(argv[3], "r");
        if (!tf) {
            perror(argv[3]);
            return 1;
        }
        unsigned long long v;
        while (fscanf(tf, "%llu", &v) == 1) {
            if (ntyped == captyped) {
                captyped = captyped ? 2 * captyped : 1024;
                typed = realloc(typed, captyped * sizeof *typed);
                if (!typed)
                    return 1;
            }
            typed[ntyped++] = v;
        }
        fclose(tf);
        qsort(typed, ntyped, sizeof *typed, cmp_u64);
        mg = magic_open(MAGIC_NONE);
        if (!mg || magic_load(mg, NULL) != 0) {
            fprintf(stderr, "tskread: libmagic: %s\n", mg ? magic_error(mg) : "magic_open");
            return 1;
        }
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
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned long long inum, files = 0, bytes = 0, failed = 0, ntype = 0;
    while (scanf("%llu", &inum) == 1) {
        TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, (TSK_INUM_T)inum);
        if (!f || !f->meta) {
            failed++;
            tsk_fs_file_close(f);
            continue;
        }
        int type = mg && bsearch(&inum, typed, ntyped, sizeof *typed, cmp_u64);
        if (type)
            EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        TSK_OFF_T off = 0, size = f->meta->size;
        while (off < size) {
            ssize_t n = tsk_fs_file_read(f, off, buf, sizeof buf, TSK_FS_FILE_READ_FLAG_NONE);
            if (n <= 0)
                break;
            if (type) {
                if (off == 0)
                    magic_buffer(mg, buf, (size_t)n < MAGIC_BYTES ? (size_t)n : MAGIC_BYTES);
                EVP_DigestUpdate(md, buf, (size_t)n);
            }
            off += n;
        }
        if (type) {
            unsigned char d[EVP_MAX_MD_SIZE];
            unsigned dl;
            if (size == 0)
                magic_buffer(mg, buf, 0);
            EVP_DigestFinal_ex(md, d, &dl);
            ntype++;
        }
        bytes += (unsigned long long)off;
        files++;
        tsk_fs_file_close(f);
    }
    printf("%llu files, %llu bytes, %llu unreadable", files, bytes, failed);
    if (mg)
        printf(", %llu hashed and typed", ntype);
    printf("\n");
    EVP_MD_CTX_free(md);
    free(typed);
    if (mg)
        magic_close(mg);
    tsk_fs_close(fs);
    tsk_img_close(img);
    return 0;
}
