/*
 * Unit tests of damage handling outside the parsers' own tests: the EWF section-chain check
 * (husk_ewf_segment_check, src/evidence/image.c) on hand-made segment files, and the case
 * database's refusal to replace a case another process is writing (src/casedb/casedb.c), and
 * the probe for file systems whose primary superblock is gone (src/evidence/vfs.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <fcntl.h>

#include "husk/casedb.h"
#include "husk/image.h"
#include "husk/vfs.h"

static char dir[] = "/tmp/husk-test-damage.XXXXXX";

/* A segment: the 13-byte EVF header, then sections (type, next offset) laid end to end, each
 * 76 bytes of header plus pad bytes of payload; the last one's "next" is itself. cut > 0
 * truncates the file to that many bytes. */
static const char *segment(const char *name, const char *const *types, size_t n, size_t pad,
                           size_t cut)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len = 13 + n * (76 + pad);
    unsigned char *b = calloc(1, len);
    assert_non_null(b);
    memcpy(b, "EVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00", 13);
    uint64_t pos = 13;
    for (size_t i = 0; i < n; i++) {
        uint64_t next = i + 1 < n ? pos + 76 + pad : pos;
        memcpy(b + pos, types[i], strlen(types[i]));
        for (int k = 0; k < 8; k++) {
            b[pos + 16 + k] = (unsigned char)(next >> (8 * k));
            b[pos + 24 + k] = (unsigned char)((76 + pad) >> (8 * k));
        }
        if (strcmp(types[i], "table") == 0)
            b[pos + 76] = 5; /* five chunk offsets */
        if (strcmp(types[i], "volume") == 0) {
            b[pos + 76 + 8] = 64;  /* sectors per chunk */
            b[pos + 76 + 13] = 2;  /* 512 bytes per sector */
        }
        pos += 76 + pad;
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, cut ? cut : len, f), cut ? cut : len);
    fclose(f);
    free(b);
    return path;
}

static void test_ewf_chain(void **state)
{
    (void)state;
    char msg[200];
    int64_t off;
    static const char *const last[] = {"header", "volume", "sectors", "table", "hash", "done"};
    static const char *const middle[] = {"header", "sectors", "table", "next"};

    assert_int_equal(husk_ewf_segment_check(segment("a.E01", last, 6, 100, 0), msg, sizeof msg,
                                            &off),
                     1);
    assert_int_equal(off, -1);
    husk_ewf_chunks ch;
    assert_int_equal(husk_ewf_segment_check_chunks(segment("a2.E01", last, 6, 100, 0), &ch, msg,
                                                   sizeof msg, &off),
                     1);
    assert_int_equal(ch.chunks, 5);
    assert_int_equal(ch.chunk_size, 32768);
    /* cut inside the table section: its chunks are not counted */
    assert_int_equal(husk_ewf_segment_check_chunks(segment("a3.E01", last, 6, 100,
                                                           13 + 3 * 176 + 90),
                                                   &ch, msg, sizeof msg, &off),
                     -1);
    assert_int_equal(ch.chunks, 0);
    assert_int_equal(ch.chunk_size, 32768);
    assert_int_equal(husk_ewf_segment_check(segment("b.E01", middle, 4, 100, 0), msg,
                                            sizeof msg, &off),
                     2);

    /* cut inside the third section's payload: the fourth section lies past the end */
    size_t cut = 13 + 2 * 176 + 120;
    assert_int_equal(husk_ewf_segment_check(segment("c.E01", last, 6, 100, cut), msg,
                                            sizeof msg, &off),
                     -1);
    assert_int_equal(off, (int64_t)cut);
    assert_non_null(strstr(msg, "past the end of the"));
    assert_non_null(strstr(msg, "section at byte 541"));

    /* header only */
    assert_int_equal(husk_ewf_segment_check(segment("d.E01", last, 6, 100, 13), msg,
                                            sizeof msg, &off),
                     -1);
    assert_int_equal(off, 13);

    /* a section whose next offset points back: a loop, not followed */
    const char *p = segment("e.E01", last, 6, 100, 0);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, 13 + 176 + 16, SEEK_SET);
    unsigned char back[8] = {13, 0, 0, 0, 0, 0, 0, 0};
    fwrite(back, 1, 8, f);
    fclose(f);
    assert_int_equal(husk_ewf_segment_check(p, msg, sizeof msg, &off), -1);
    assert_int_equal(off, 13 + 176);
    assert_non_null(strstr(msg, "links back"));

    assert_int_equal(husk_ewf_segment_check("/nonexistent/x.E01", msg, sizeof msg, &off), -1);
}

static void test_case_locked(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/case.db", dir);
    husk_casedb *db = NULL;
    husk_err err = {0};
    assert_int_equal(husk_casedb_create(path, 0, &db, &err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* another process: POSIX record locks are per process */
        husk_casedb *other = NULL;
        husk_err e = {0};
        int r = husk_casedb_create(path, 1, &other, &e);
        int ok = r < 0 && e.code == HUSK_E_DB && strstr(e.msg, "is locked") != NULL;
        husk_err e2 = {0};
        r = husk_casedb_open_ro(path, &other, &e2);
        ok = ok && r < 0 && strstr(e2.msg, "is locked") != NULL;
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(access(path, F_OK), 0); /* still there: --force did not unlink it */
    husk_casedb_close(db);

    /* no writer any more: --force replaces it */
    assert_int_equal(husk_casedb_create(path, 1, &db, &err), 0);
    husk_casedb_close(db);
}

/* A sparse file of size bytes with the given bytes written at the given offsets. */
static TSK_IMG_INFO *sparse_image(const char *name, uint64_t size, const uint64_t *at,
                                  const char *const *bytes, const size_t *lens, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pwrite(fd, bytes[i], lens[i], (off_t)at[i]), (ssize_t)lens[i]);
    close(fd);
    TSK_IMG_INFO *img = tsk_img_open_utf8_sing(path, TSK_IMG_TYPE_RAW, 0);
    assert_non_null(img);
    return img;
}

static void test_probe_damaged(void **state)
{
    (void)state;
    char msg[400];
    uint64_t where = 0;
    /* ext4, 4 KiB blocks, primary superblock gone: group 1's backup at block 32768 */
    uint64_t b = 32768ull * 4096;
    const uint64_t ext_at[] = {b + 0x18, b + 0x38, b + 0x5a};
    const char *const ext_v[] = {"\x02", "\x53\xef", "\x01"};
    const size_t ext_l[] = {1, 2, 1};
    TSK_IMG_INFO *img = sparse_image("ext.img", b + 4096, ext_at, ext_v, ext_l, 3);
    assert_int_equal(husk_fs_probe_damaged(img, 0, b + 4096, msg, sizeof msg, &where), 1);
    assert_int_equal(where, b);
    assert_non_null(strstr(msg, "ext2/3/4 backup superblock"));
    /* the same backup in a volume too short to hold it: nothing */
    assert_int_equal(husk_fs_probe_damaged(img, 0, b, msg, sizeof msg, &where), 0);
    tsk_img_close(img);

    /* XFS: primary magic gone, geometry intact (4096-byte blocks, 100 blocks per AG) */
    const uint64_t xfs_at[] = {4, 0x54, 409600};
    const char *const xfs_v[] = {"\x00\x00\x10\x00", "\x00\x00\x00\x64", "XFSB"};
    const size_t xfs_l[] = {4, 4, 4};
    img = sparse_image("xfs.img", 1 << 20, xfs_at, xfs_v, xfs_l, 3);
    assert_int_equal(husk_fs_probe_damaged(img, 0, 1 << 20, msg, sizeof msg, &where), 2);
    assert_int_equal(where, 409600);
    assert_non_null(strstr(msg, "XFS secondary superblock"));
    tsk_img_close(img);

    /* zeros: an unformatted volume is not damage */
    img = sparse_image("zero.img", 1 << 20, NULL, NULL, NULL, 0);
    assert_int_equal(husk_fs_probe_damaged(img, 0, 1 << 20, msg, sizeof msg, &where), 0);
    tsk_img_close(img);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ewf_chain),
        cmocka_unit_test(test_case_locked),
        cmocka_unit_test(test_probe_damaged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
