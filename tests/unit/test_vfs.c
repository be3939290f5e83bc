/* Unit tests of the generic half of the file-system interface (src/evidence/vfs.c) over an
 * in-memory file system: path lookup, symlinks, loops, limits, overlay markers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/vfs.h"

typedef struct mnode {
    uint64_t ino, parent;
    const char *name;
    husk_ftype type;
    const char *data; /* file content or link target */
    const char *xname, *xval;
} mnode;

/* /etc/hostname, /var/lib/docker -> /data/docker, /data/docker/x, loops, a whiteout, opaque */
static const mnode nodes[] = {
    {2, 0, "/", HUSK_FT_DIR, NULL, NULL, NULL},
    {3, 2, "etc", HUSK_FT_DIR, NULL, NULL, NULL},
    {4, 3, "hostname", HUSK_FT_FILE, "node-1\n", NULL, NULL},
    {5, 2, "var", HUSK_FT_DIR, NULL, NULL, NULL},
    {6, 5, "lib", HUSK_FT_DIR, NULL, NULL, NULL},
    {7, 6, "docker", HUSK_FT_SYMLINK, "/data/docker", NULL, NULL},
    {8, 2, "data", HUSK_FT_DIR, NULL, NULL, NULL},
    {9, 8, "docker", HUSK_FT_DIR, NULL, NULL, NULL},
    {10, 9, "x", HUSK_FT_FILE, "xx", NULL, NULL},
    {11, 2, "loop1", HUSK_FT_SYMLINK, "loop2", NULL, NULL},
    {12, 2, "loop2", HUSK_FT_SYMLINK, "/loop1", NULL, NULL},
    {13, 2, "rel", HUSK_FT_SYMLINK, "../../etc", NULL, NULL},
    {14, 9, "wh", HUSK_FT_CHAR, NULL, NULL, NULL},
    {15, 9, "opq", HUSK_FT_DIR, NULL, "trusted.overlay.opaque", "y"},
    {16, 9, "notopq", HUSK_FT_DIR, NULL, "trusted.overlay.opaque", "yes"},
    {17, 9, "uopq", HUSK_FT_DIR, NULL, "user.overlay.opaque", "y"},
};
#define NNODES (sizeof nodes / sizeof nodes[0])

static const mnode *find(uint64_t ino)
{
    for (size_t i = 0; i < NNODES; i++)
        if (nodes[i].ino == ino)
            return &nodes[i];
    return NULL;
}

static int m_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    const mnode *n = find(ino);
    if (!n)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no inode");
    st->inode = ino;
    st->type = n->type;
    st->size = n->data ? strlen(n->data) : 0;
    st->allocated = 1;
    return 0;
}

static int m_list(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    for (size_t i = 0; i < NNODES; i++)
        if (nodes[i].parent == ino) {
            husk_dirent d = {nodes[i].name, strlen(nodes[i].name), nodes[i].ino, nodes[i].type};
            int r = cb(&d, ctx);
            if (r)
                return r < 0 ? r : 0;
        }
    return 0;
}

static ssize_t m_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                      husk_err *err)
{
    const mnode *n = find(ino);
    size_t sz = n && n->data ? strlen(n->data) : 0;
    if (off >= sz)
        return 0;
    if (len > sz - off)
        len = sz - off;
    memcpy(buf, n->data + off, len);
    return (ssize_t)len;
}

static ssize_t m_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t n, husk_err *err)
{
    const mnode *m = find(ino);
    snprintf(buf, n, "%s", m->data);
    return (ssize_t)strlen(m->data);
}

static int m_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    const mnode *n = find(ino);
    if (n && n->xname)
        return cb(n->xname, (const uint8_t *)n->xval, strlen(n->xval), ctx) < 0 ? -1 : 0;
    return 0;
}

static void m_close(husk_fs *fs)
{
    (void)fs;
}

static const husk_fs_ops mops = {m_stat, m_list, m_read, m_readlink, m_xattrs, m_close};
static husk_fs mfs = {.ops = &mops, .root_inode = 2};

static uint64_t look(const char *path, int flags, int *rc)
{
    uint64_t ino = 0;
    husk_err e = {0};
    *rc = husk_fs_lookup(&mfs, path, flags, &ino, &e);
    return ino;
}

static void test_lookup_plain_and_dots(void **state)
{
    (void)state;
    int rc;
    assert_int_equal(look("/etc/hostname", 0, &rc), 4);
    assert_int_equal(rc, 0);
    assert_int_equal(look("//etc/./hostname", 0, &rc), 4);
    assert_int_equal(look("/../../etc/hostname", 0, &rc), 4); /* ".." stops at the root */
    assert_int_equal(look("/", 0, &rc), 2);
    look("/etc/nothing", 0, &rc);
    assert_int_equal(rc, -HUSK_E_NOTFOUND);
    look("/etc/hostname/x", 0, &rc); /* through a file */
    assert_int_equal(rc, -HUSK_E_NOTFOUND);
}

static void test_lookup_symlinks(void **state)
{
    (void)state;
    int rc;
    assert_int_equal(look("/var/lib/docker/x", 0, &rc), 10); /* absolute target, mid-path */
    assert_int_equal(look("/var/lib/docker", 0, &rc), 7);     /* last component kept */
    assert_int_equal(look("/var/lib/docker", HUSK_LOOKUP_FOLLOW, &rc), 9);
    assert_int_equal(look("/rel/hostname", 0, &rc), 4);        /* relative with .. */
    look("/loop1/x", 0, &rc);
    assert_int_equal(rc, -HUSK_E_LIMIT);
    look("/loop1", HUSK_LOOKUP_FOLLOW, &rc);
    assert_int_equal(rc, -HUSK_E_LIMIT);
}

static void test_long_paths_refused(void **state)
{
    (void)state;
    char *p = malloc(10000);
    memset(p, 'a', 9999);
    p[0] = '/';
    p[9999] = '\0';
    int rc;
    look(p, 0, &rc);
    assert_int_equal(rc, -HUSK_E_ARG);
    memset(p, 'a', 400);
    p[0] = '/';
    p[400] = '\0';
    look(p, 0, &rc); /* one component over 255 bytes */
    assert_int_equal(rc, -HUSK_E_ARG);
    free(p);
}

static void test_read_all_and_limit(void **state)
{
    (void)state;
    char *d;
    size_t n;
    husk_err e = {0};
    assert_int_equal(husk_fs_read_all(&mfs, 4, 100, &d, &n, &e), 0);
    assert_int_equal(n, 7);
    assert_string_equal(d, "node-1\n");
    free(d);
    assert_int_equal(husk_fs_read_all(&mfs, 4, 3, &d, &n, &e), -HUSK_E_LIMIT);
}

static void test_overlay_markers(void **state)
{
    (void)state;
    husk_stat st = {0};
    assert_int_equal(husk_fs_stat(&mfs, 14, &st, NULL), 0);
    assert_true(husk_stat_is_whiteout(&st));
    st.rdev_minor = 1;
    assert_false(husk_stat_is_whiteout(&st));
    assert_int_equal(husk_fs_is_opaque(&mfs, 15, NULL), 1);
    assert_int_equal(husk_fs_is_opaque(&mfs, 16, NULL), 0); /* only exactly "y" */
    assert_int_equal(husk_fs_is_opaque(&mfs, 17, NULL), 1); /* rootless: user.overlay */
    assert_int_equal(husk_fs_is_opaque(&mfs, 9, NULL), 0);
    uint8_t v[4];
    assert_int_equal(husk_fs_get_xattr(&mfs, 16, "trusted.overlay.opaque", v, sizeof v, NULL),
                     3);
    assert_int_equal(husk_fs_get_xattr(&mfs, 9, "trusted.overlay.opaque", v, sizeof v, NULL),
                     -HUSK_E_NOTFOUND);
}

static void test_time_format(void **state)
{
    (void)state;
    char b[40];
    husk_timespec t = {0, 5, 1};
    husk_time_format(&t, b, sizeof b);
    assert_string_equal(b, "1970-01-01T00:00:00.000000005Z");
    t.present = 0;
    husk_time_format(&t, b, sizeof b);
    assert_string_equal(b, "");
    assert_string_equal(husk_ftype_name(HUSK_FT_SOCKET), "socket");
    assert_int_equal(husk_ftype_from_mode(0120777), HUSK_FT_SYMLINK);
}

/* Names from a crafted directory: only what a kernel could have made passes. */
static void test_name_ok(void **state)
{
    char long256[256];
    memset(long256, 'a', sizeof long256);
    assert_true(husk_name_ok("etc", 3));
    assert_true(husk_name_ok("...", 3));
    assert_true(husk_name_ok(".hidden", 7));
    assert_true(husk_name_ok(long256, 255));
    assert_false(husk_name_ok(long256, 256));
    assert_false(husk_name_ok("", 0));
    assert_false(husk_name_ok(".", 1));
    assert_false(husk_name_ok("..", 2));
    assert_false(husk_name_ok("../x", 4));
    assert_false(husk_name_ok("a\0b", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_plain_and_dots), cmocka_unit_test(test_lookup_symlinks),
        cmocka_unit_test(test_long_paths_refused),    cmocka_unit_test(test_read_all_and_limit),
        cmocka_unit_test(test_overlay_markers),       cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_name_ok),
    };
    return cmocka_run_group_tests_name("vfs", tests, NULL, NULL);
}
