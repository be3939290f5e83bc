/* Unit tests of the merged view walked for export (src/export/merge.c) over an in-memory file
 * system holding four layer directories: whiteouts (char 0/0 and the xattr form), opaque
 * directories, a replaced file, hard links, a metacopy file, path resolution with symlinks
 * and "..", and the tar sink. The real images are compared with the kernel's overlay mounts
 * in tests/integration/test_export.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/export.h"

typedef struct mnode {
    uint64_t ino, parent, alias; /* alias: a second name of inode alias (a hard link) */
    char name[64];
    husk_ftype type;
    char *data;
    uint32_t mode, rmaj, rmin, nlink;
    int64_t size; /* -1: the data's length */
    char xname[2][40], xval[2][8];
    int nx;
} mnode;

#define MAXN 256
static mnode nodes[MAXN];
static size_t nn;
static uint64_t next_ino;

static mnode *node(uint64_t ino)
{
    for (size_t i = 0; i < nn; i++)
        if (nodes[i].ino == ino && !nodes[i].alias)
            return &nodes[i];
    return NULL;
}

static mnode *child(uint64_t dir, const char *name)
{
    for (size_t i = 0; i < nn; i++)
        if (nodes[i].parent == dir && strcmp(nodes[i].name, name) == 0)
            return &nodes[i];
    return NULL;
}

static mnode *add(uint64_t parent, const char *name, husk_ftype t)
{
    assert_true(nn < MAXN);
    mnode *n = &nodes[nn++];
    memset(n, 0, sizeof *n);
    n->ino = ++next_ino;
    n->parent = parent;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->type = t;
    n->mode = t == HUSK_FT_DIR       ? 040755
              : t == HUSK_FT_SYMLINK ? 0120777
              : t == HUSK_FT_CHAR    ? 020000
                                     : 0100644;
    n->nlink = 1;
    n->size = -1;
    return n;
}

/* Creates path (with missing parents) under the layer directory /<layer>. */
static mnode *put(const char *layer, const char *path, husk_ftype t, const char *data)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", layer, path);
    uint64_t dir = 2;
    mnode *n = NULL;
    char *save = NULL;
    for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int last = save == NULL || *save == '\0';
        n = child(dir, c);
        if (!n)
            n = add(dir, c, last ? t : HUSK_FT_DIR);
        dir = n->ino;
    }
    if (data)
        n->data = strdup(data);
    return n;
}

static void xattr(mnode *n, const char *name, const char *val)
{
    snprintf(n->xname[n->nx], sizeof n->xname[0], "%s", name);
    snprintf(n->xval[n->nx], sizeof n->xval[0], "%s", val);
    n->nx++;
}

static int m_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    const mnode *n = node(ino);
    if (!n)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no inode");
    memset(st, 0, sizeof *st);
    st->inode = ino;
    st->type = n->type;
    st->mode = n->mode;
    st->size = n->size >= 0 ? (uint64_t)n->size : n->data ? strlen(n->data) : 0;
    st->nlink = n->nlink;
    st->rdev_major = n->rmaj;
    st->rdev_minor = n->rmin;
    st->mtime = (husk_timespec){1000, 5, 1};
    st->allocated = 1;
    return 0;
}

static int m_list(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    for (size_t i = 0; i < nn; i++)
        if (nodes[i].parent == ino) {
            const mnode *n = &nodes[i];
            husk_dirent d = {n->name, strlen(n->name), n->alias ? n->alias : n->ino, n->type};
            int r = cb(&d, ctx);
            if (r)
                return r < 0 ? r : 0;
        }
    return 0;
}

static ssize_t m_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                      husk_err *err)
{
    const mnode *n = node(ino);
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
    const mnode *m = node(ino);
    const char *t = m && m->data ? m->data : "";
    snprintf(buf, n, "%s", t);
    return (ssize_t)strlen(t);
}

static int m_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    const mnode *n = node(ino);
    for (int i = 0; n && i < n->nx; i++) {
        int r = cb(n->xname[i], (const uint8_t *)n->xval[i], strlen(n->xval[i]), ctx);
        if (r)
            return r < 0 ? r : 0;
    }
    return 0;
}

static void m_close(husk_fs *fs)
{
    (void)fs;
}

static const husk_fs_ops mops = {m_stat, m_list, m_read, m_readlink, m_xattrs, m_close};
static husk_fs mfs = {.ops = &mops, .root_inode = 2};

/* ---- a sink that records what it was given ---- */

typedef struct rec {
    char lines[64][160];
    size_t n;
    size_t data;
} rec;

static int r_begin(void *ctx, const husk_export_item *it, husk_err *err)
{
    return 0;
}

static int r_data(void *ctx, const void *buf, size_t n, husk_err *err)
{
    ((rec *)ctx)->data += n;
    return 0;
}

static int r_end(void *ctx, husk_export_item *it, husk_err *err)
{
    rec *r = ctx;
    assert_true(r->n < 64);
    snprintf(r->lines[r->n++], sizeof r->lines[0], "%.*s %s %s %.*s %.8s", (int)it->name_len,
             it->name, it->hardlink ? "hardlink" : husk_ftype_name(it->st.type),
             it->layer->kind, (int)(it->hardlink ? it->hardlink_len : it->link_len),
             it->hardlink ? it->hardlink : it->link ? it->link : "", it->sha256);
    return 0;
}

static husk_export_layer layers[4];

/* up (upper), init, l1, l0 (bottom) as four directories of one file system */
static void build(void)
{
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].data);
    nn = 0;
    next_ino = 1;
    add(0, "/", HUSK_FT_DIR);
    const char *names[4] = {"up", "init", "l1", "l0"}, *kinds[4] = {"upper", "init", "image",
                                                                    "image"};
    for (int i = 0; i < 4; i++) {
        mnode *d = add(2, names[i], HUSK_FT_DIR);
        layers[i].diff_ino = d->ino;
        snprintf(layers[i].kind, sizeof layers[i].kind, "%s", kinds[i]);
        snprintf(layers[i].origin, sizeof layers[i].origin, "%s", names[i]);
    }
    put("l0", "/a/x", HUSK_FT_FILE, "abc");
    put("l0", "/a/y", HUSK_FT_FILE, "gone");
    put("l0", "/b", HUSK_FT_FILE, "old");
    put("l0", "/c/deep/f", HUSK_FT_FILE, "hidden by opaque c");
    put("l0", "/d/old", HUSK_FT_FILE, "hidden by opaque d");
    put("l0", "/m", HUSK_FT_FILE, "lower data");
    mnode *h1 = put("l0", "/h1", HUSK_FT_FILE, "linked");
    h1->nlink = 2;
    mnode *h2 = put("l0", "/h2", HUSK_FT_FILE, NULL);
    h2->alias = h1->ino;
    put("l0", "/s", HUSK_FT_SYMLINK, "a/x");
    put("l0", "/w", HUSK_FT_FILE, "under a whited-out dir name");
    mnode *wh = put("l1", "/a/y", HUSK_FT_CHAR, NULL); /* whiteout: char 0/0 */
    (void)wh;
    put("l1", "/b", HUSK_FT_FILE, "newer");
    mnode *c = put("l1", "/c", HUSK_FT_DIR, NULL);
    xattr(c, "trusted.overlay.opaque", "y");
    put("l1", "/c/n", HUSK_FT_FILE, "n");
    put("init", "/etc/hosts", HUSK_FT_FILE, "");
    put("up", "/a/z", HUSK_FT_FILE, "zz");
    mnode *d = put("up", "/d", HUSK_FT_DIR, NULL);
    xattr(d, "user.overlay.opaque", "y");
    put("up", "/d/k", HUSK_FT_FILE, "k");
    mnode *xw = put("up", "/w", HUSK_FT_FILE, NULL); /* whiteout, xattr form */
    xattr(xw, "trusted.overlay.whiteout", "");
    mnode *m = put("up", "/m", HUSK_FT_FILE, NULL); /* metacopy: data stays below */
    m->size = 10;
    xattr(m, "trusted.overlay.metacopy", "");
    mnode *cap = put("up", "/cap", HUSK_FT_FILE, "x");
    xattr(cap, "security.capability", "\x01");
    xattr(cap, "user.note", "hi");
}

static int run(const husk_export_opts *o, rec *r, husk_export_stats *st, husk_err *err)
{
    memset(r, 0, sizeof *r);
    husk_export_sink s = {r_begin, r_data, r_end, r};
    husk_diag diag = {NULL, NULL, 0};
    return husk_export_walk(&mfs, layers, 4, o, &s, st, &diag, err);
}

static void test_merged_view(void **state)
{
    (void)state;
    build();
    rec r;
    husk_export_stats st;
    husk_err err = {0};
    husk_export_opts o = {.path = "/", .hardlinks = 1};
    assert_int_equal(run(&o, &r, &st, &err), 0);
    /* directories end after their contents; names in byte order */
    static const char *want[] = {
        "a/x file image  ba7816bf",   "a/z file upper  4a60bf7d", "a/ dir upper  ",
        "b file image  804f51f7",     "c/n file image  1b16b1df", "c/ dir image  ",
        "cap file upper  2d711642",   "d/k file upper  8254c329", "d/ dir upper  ",
        "etc/hosts file init  e3b0c442", "etc/ dir init  ",
        "h1 file image  2272bea6",    "h2 hardlink image h1 2272bea6",
        "m file upper  6d333b4c",     "s symlink image a/x ",
    };
    size_t nw = sizeof want / sizeof want[0];
    for (size_t i = 0; i < r.n && i < nw; i++)
        assert_string_equal(r.lines[i], want[i]);
    assert_int_equal(r.n, nw);
    assert_int_equal(st.hardlinks, 1);
    assert_int_equal(st.dirs, 4);
}

static void test_metacopy_reads_lower_data(void **state)
{
    (void)state;
    build();
    rec r;
    husk_export_stats st;
    husk_err err = {0};
    husk_export_opts o = {.path = "/m", .prefix = "m"};
    assert_int_equal(run(&o, &r, &st, &err), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.data, 10); /* "lower data" */
    assert_string_equal(r.lines[0], "m file upper  6d333b4c");
}

static void test_resolve(void **state)
{
    (void)state;
    build();
    rec r;
    husk_export_stats st;
    husk_err err = {0};
    husk_export_opts o = {.path = "/s", .prefix = "s"};
    assert_int_equal(run(&o, &r, &st, &err), 0);
    assert_string_equal(r.lines[0], "s symlink image a/x ");
    o.follow_last = 1;
    assert_int_equal(run(&o, &r, &st, &err), 0);
    assert_string_equal(r.lines[0], "s file image  ba7816bf");
    husk_export_opts up = {.path = "/a/../../c/", .prefix = "c"};
    assert_int_equal(run(&up, &r, &st, &err), 0);
    assert_string_equal(r.lines[r.n - 1], "c/ dir image  ");
    husk_export_opts gone = {.path = "/a/y", .prefix = "y"};
    assert_int_equal(run(&gone, &r, &st, &err), -HUSK_E_NOTFOUND);
    gone.path = "/w";
    assert_int_equal(run(&gone, &r, &st, &err), -HUSK_E_NOTFOUND);
    gone.path = "/c/deep";
    assert_int_equal(run(&gone, &r, &st, &err), -HUSK_E_NOTFOUND);
    gone.path = "/b/x";
    assert_int_equal(run(&gone, &r, &st, &err), -HUSK_E_NOTFOUND);
}

typedef struct membuf {
    unsigned char *p;
    size_t n, cap;
} membuf;

static int mb_write(void *ctx, const void *b, size_t n)
{
    membuf *m = ctx;
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, b, n);
    m->n += n;
    return 0;
}

static int contains(const membuf *m, const char *s)
{
    size_t l = strlen(s);
    for (size_t i = 0; i + l <= m->n; i++)
        if (memcmp(m->p + i, s, l) == 0)
            return 1;
    return 0;
}

static void test_tar_sink(void **state)
{
    (void)state;
    build();
    for (int all = 0; all < 2; all++) {
        membuf m = {0};
        husk_tar t;
        husk_tar_init(&t, mb_write, &m);
        husk_export_sink s = husk_export_tar_sink(&t);
        husk_export_opts o = {.path = "/", .hardlinks = 1, .all_xattrs = all};
        husk_diag diag = {NULL, NULL, 0};
        husk_err err = {0};
        assert_int_equal(husk_export_walk(&mfs, layers, 4, &o, &s, NULL, &diag, &err), 0);
        assert_int_equal(husk_tar_finish(&t), 0);
        assert_int_equal(m.n % 512, 0);
        assert_true(contains(&m, "SCHILY.xattr.security.capability="));
        assert_int_equal(contains(&m, "SCHILY.xattr.user.note=hi"), all);
        assert_false(contains(&m, "overlay")); /* overlayfs's own xattrs never leave */
        assert_true(contains(&m, "lower data")); /* the metacopy file's bytes */
        assert_false(contains(&m, "hidden by opaque"));
        assert_false(contains(&m, "gone"));
        free(m.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_view),
        cmocka_unit_test(test_metacopy_reads_lower_data),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_tar_sink),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].data);
    return r;
}
