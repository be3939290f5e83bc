/* Unit tests of the offline `docker diff` (src/analysis/diff.c) and of overlay2 layer chains
 * (src/runtime/overlay2.c) over an in-memory file system laid out like a Docker data root:
 * added, changed and deleted paths, opaque directories, whiteouts in lower layers, the init
 * layer, Docker's comparison rules, files rows, and crafted chains (loops, bad names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "husk/docker.h"
#include "husk/overlay2.h"
#include "husk/strbuf.h"

/* ---- an in-memory file system built from paths ---- */

typedef struct mnode {
    uint64_t ino, parent, alias; /* alias: a directory entry naming another inode */
    char name[300];
    husk_ftype type;
    char *data; /* file content or link target (owned) */
    uint32_t mode, uid, gid, rmaj, rmin;
    int64_t msec;
    uint32_t mnsec;
    char xname[2][40], xval[2][40];
    int nx;
} mnode;

#define MAXN 4096
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
    n->msec = 1000;
    return n;
}

static void fs_reset(void)
{
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].data);
    nn = 0;
    next_ino = 1;
    add(0, "/", HUSK_FT_DIR); /* inode 2 */
}

static mnode *child(uint64_t dir, const char *name)
{
    for (size_t i = 0; i < nn; i++)
        if (nodes[i].parent == dir && strcmp(nodes[i].name, name) == 0)
            return &nodes[i];
    return NULL;
}

/* Creates path (and missing parent directories); returns the last node. */
static mnode *put(const char *path, husk_ftype t, const char *data)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
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
    if (data) {
        free(n->data);
        n->data = strdup(data);
    }
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
        return husk_err_set(err, HUSK_E_NOTFOUND, "no inode %llu", (unsigned long long)ino);
    st->inode = ino;
    st->type = n->type;
    st->mode = n->mode;
    st->uid = n->uid;
    st->gid = n->gid;
    st->size = n->type == HUSK_FT_DIR ? 4096 : n->data ? strlen(n->data) : 0;
    st->nlink = 1;
    st->rdev_major = n->rmaj;
    st->rdev_minor = n->rmin;
    st->mtime = (husk_timespec){n->msec, n->mnsec, 1};
    st->atime = st->ctime = st->crtime = st->mtime;
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

static ssize_t m_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len, husk_err *err)
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

/* ---- a Docker data root on it ---- */

#define OVL "/var/lib/docker/overlay2"
#define LDB "/var/lib/docker/image/overlay2/layerdb"
static char MOUNT[65], INIT[72], L0[65], L1[65], CID[65], CHAIN0[65], CHAIN1[65];
static const char *LNK_I = "IIIIIIIIIIIIIIIIIIIIIIIIII", *LNK_0 = "AAAAAAAAAAAAAAAAAAAAAAAAA0",
                  *LNK_1 = "BBBBBBBBBBBBBBBBBBBBBBBBB1";
static husk_docker_opts opts;
static husk_docker_root root = {.fs = &mfs,
                                .path = "/var/lib/docker",
                                .driver = "overlay2",
                                .db_id = 1,
                                .fs_db_id = 7,
                                .opts = &opts};
static husk_container ctr;

static void fill(char *s, char c, const char *suffix)
{
    memset(s, c, 64);
    s[64] = '\0';
    strcat(s, suffix);
}

static void pathf(char *out, const char *fmt, const char *a, const char *b)
{
    snprintf(out, 512, fmt, a, b);
}

/* upper <- init <- L1 <- L0, with l/ links and a lower file like overlay2 writes them */
static void make_chain(void)
{
    char p[512];
    fs_reset();
    fill(MOUNT, 'a', "");
    fill(INIT, 'a', "-init");
    fill(L0, 'b', "");
    fill(L1, 'c', "");
    fill(CID, '1', "");
    fill(CHAIN0, 'd', "");
    fill(CHAIN1, 'e', "");
    const char *ids[] = {MOUNT, INIT, L1, L0};
    const char *links[] = {NULL, LNK_I, LNK_1, LNK_0};
    for (int i = 0; i < 4; i++) {
        pathf(p, OVL "/%s/diff", ids[i], "");
        put(p, HUSK_FT_DIR, NULL);
        if (links[i]) {
            char t[128];
            snprintf(t, sizeof t, "../%s/diff", ids[i]);
            pathf(p, OVL "/l/%s", links[i], "");
            put(p, HUSK_FT_SYMLINK, t);
        }
    }
    char lower[256];
    snprintf(lower, sizeof lower, "l/%s:l/%s:l/%s", LNK_I, LNK_1, LNK_0);
    pathf(p, OVL "/%s/lower", MOUNT, "");
    put(p, HUSK_FT_FILE, lower);
    memset(&ctr, 0, sizeof ctr);
    snprintf(ctr.id, sizeof ctr.id, "%s", CID);
    snprintf(ctr.mount_id, sizeof ctr.mount_id, "%s", MOUNT);
    snprintf(ctr.driver, sizeof ctr.driver, "overlay2");
    ctr.prov = HUSK_PROV_LIVE;
    opts.hash_images = 0;
}

/* the same chain in the layer store */
static void make_layerdb(void)
{
    char p[512], v[128];
    pathf(p, LDB "/mounts/%s/init-id", CID, "");
    put(p, HUSK_FT_FILE, INIT);
    pathf(p, LDB "/mounts/%s/parent", CID, "");
    snprintf(v, sizeof v, "sha256:%s", CHAIN1);
    put(p, HUSK_FT_FILE, v);
    pathf(p, LDB "/sha256/%s/cache-id", CHAIN1, "");
    put(p, HUSK_FT_FILE, L1);
    pathf(p, LDB "/sha256/%s/parent", CHAIN1, "");
    snprintf(v, sizeof v, "sha256:%s\n", CHAIN0);
    put(p, HUSK_FT_FILE, v);
    pathf(p, LDB "/sha256/%s/cache-id", CHAIN0, "");
    put(p, HUSK_FT_FILE, L0);
}

/* a path inside a layer's diff/ */
static mnode *in(const char *layer, const char *path, husk_ftype t, const char *data)
{
    char p[1024];
    snprintf(p, sizeof p, OVL "/%s/diff%s", layer, path);
    return put(p, t, data);
}

static mnode *whiteout(const char *layer, const char *path)
{
    return in(layer, path, HUSK_FT_CHAR, NULL);
}

/* ---- running the diff ---- */

static char dbdir[] = "/tmp/husk-diff-XXXXXX";
static char dbpath[300];
static husk_casedb *db;
static char lastdiag[1024];

static void on_diag(void *ctx, const char *phase, const char *object, int64_t off, const char *msg)
{
    snprintf(lastdiag, sizeof lastdiag, "%s: %s", object, msg);
}

static husk_diag diag = {on_diag, NULL, 0};

static void open_db(void)
{
    husk_err e = {0};
    if (db)
        husk_casedb_close(db);
    assert_int_equal(husk_casedb_create(dbpath, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    diag.count = 0;
    lastdiag[0] = '\0';
}

static int diff_now(void)
{
    husk_err e = {0};
    return husk_docker_diff(&root, &ctr, db, &diag, &e);
}

/* Rows of a query, columns joined by '|', one line each. Caller frees. */
static char *q(const char *sql)
{
    sqlite3_stmt *st;
    husk_strbuf sb = HUSK_STRBUF_INIT;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
    husk_sb_adds(&sb, "");
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            husk_sb_addf(&sb, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
        }
        husk_sb_adds(&sb, "\n");
    }
    sqlite3_finalize(st);
    return husk_sb_detach(&sb, NULL);
}

static void expect(const char *sql, const char *want)
{
    char *got = q(sql);
    assert_string_equal(got, want);
    free(got);
}

/* the container's diff as `husk diff` prints it */
static void expect_diff(const char *want)
{
    expect("SELECT change || ' ' || path FROM container_diff ORDER BY rowid", want);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dbdir))
        return -1;
    snprintf(dbpath, sizeof dbpath, "%s/case.db", dbdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (db)
        husk_casedb_close(db);
    db = NULL;
    fs_reset();
    char p[400];
    unlink(dbpath);
    snprintf(p, sizeof p, "%s-journal", dbpath);
    unlink(p);
    rmdir(dbdir);
    return 0;
}

/* ---- tests ---- */

static void test_add_change_delete(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/etc/passwd", HUSK_FT_FILE, "root:x:0:0::/root:/bin/sh\n");
    in(L0, "/srv/www/index.html", HUSK_FT_FILE, "<html>");
    in(L0, "/srv/www/keep.html", HUSK_FT_FILE, "<html>");
    in(MOUNT, "/etc/passwd", HUSK_FT_FILE, "root:x:0:0::/root:/bin/sh\nevil:x:0:0::/:/bin/sh\n");
    whiteout(MOUNT, "/srv/www/index.html");
    in(MOUNT, "/srv/www/shell.php", HUSK_FT_FILE, "<?php system($_GET['c']);");
    in(MOUNT, "/new.txt", HUSK_FT_FILE, "hello\n");
    open_db();
    assert_int_equal(diff_now(), 0);
    /* a directory's line first; deletions after the other entries of their directory */
    expect_diff("C /etc\n"
                "C /etc/passwd\n"
                "A /new.txt\n"
                "C /srv\n"
                "C /srv/www\n"
                "A /srv/www/shell.php\n"
                "D /srv/www/index.html\n");
    assert_int_equal(diag.count, 0);
}

static void test_files_rows(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/etc/x", HUSK_FT_FILE, "x");
    mnode *f = in(MOUNT, "/new.txt", HUSK_FT_FILE, "hello\n");
    f->uid = 1000;
    f->gid = 100;
    f->mode = 0100755;
    in(MOUNT, "/lnk", HUSK_FT_SYMLINK, "/tmp/.cache/kworkerd");
    whiteout(MOUNT, "/etc/x");
    whiteout(MOUNT, "/etc/never-existed");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect("SELECT path, change, type, mode, uid, gid, size, sha256 FROM files ORDER BY path",
           "/etc|C|dir|16877|0|0|4096|NULL\n"
           "/etc/never-existed|NULL|whiteout|8192|0|0|0|NULL\n"
           "/etc/x|D|whiteout|8192|0|0|0|NULL\n"
           "/lnk|A|symlink|41471|0|0|20|NULL\n"
           "/new.txt|A|file|33261|1000|100|6|"
           "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n");
    char want[1024];
    snprintf(want, sizeof want,
             "%s|%s|upper|live|1.0|7|/var/lib/docker/overlay2/%s/diff/new.txt|"
             "1970-01-01T00:16:40.000000000Z\n",
             CID, MOUNT, MOUNT);
    expect("SELECT container_id, layer, scope, recovered_from, confidence, filesystem_id, "
           "host_path, mtime FROM files WHERE path = '/new.txt'",
           want);
    expect("SELECT link_target FROM files WHERE path = '/lnk'", "/tmp/.cache/kworkerd\n");
    expect("SELECT magic IS NOT NULL AND magic LIKE '%text%' FROM files WHERE path = '/new.txt'",
           "1\n");
    expect("SELECT count(*) FROM files WHERE magic IS NOT NULL AND type != 'file'", "0\n");
    expect_diff("C /etc\nD /etc/x\nA /lnk\nA /new.txt\n");
}

/* Docker compares lstat: an identical copy-up is no change, and neither is a directory
 * whose mtime alone differs; equal seconds with 0 ns on one side count as the same time;
 * a security.capability difference is a change. */
static void test_docker_comparison(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/etc/hosts", HUSK_FT_FILE, "127.0.0.1 localhost\n");
    in(MOUNT, "/etc/hosts", HUSK_FT_FILE, "127.0.0.1 localhost\n"); /* copied up, unchanged */
    in(L0, "/var/cache", HUSK_FT_DIR, NULL);
    in(MOUNT, "/var/cache", HUSK_FT_DIR, NULL)->msec = 99999; /* only the mtime differs */
    in(L0, "/t/sec", HUSK_FT_FILE, "same")->mnsec = 0;
    in(MOUNT, "/t/sec", HUSK_FT_FILE, "same")->mnsec = 123; /* tar kept only seconds */
    in(L0, "/t/nsec", HUSK_FT_FILE, "same")->mnsec = 5;
    in(MOUNT, "/t/nsec", HUSK_FT_FILE, "same")->mnsec = 6;
    xattr(in(L0, "/bin/ping", HUSK_FT_FILE, "ELF"), "security.capability", "cap-net-raw");
    in(MOUNT, "/bin/ping", HUSK_FT_FILE, "ELF"); /* capability dropped */
    in(L0, "/o/owner", HUSK_FT_FILE, "x");
    in(MOUNT, "/o/owner", HUSK_FT_FILE, "x")->uid = 33;
    in(L0, "/o/dirmode", HUSK_FT_DIR, NULL);
    in(MOUNT, "/o/dirmode", HUSK_FT_DIR, NULL)->mode = 040700;
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("C /bin\n"
                "C /bin/ping\n"
                "C /o\n"
                "C /o/dirmode\n"
                "C /o/owner\n"
                "C /t\n"
                "C /t/nsec\n");
    expect("SELECT path || ':' || ifnull(change, '-') FROM files ORDER BY path",
           "/bin:C\n/bin/ping:C\n/etc:-\n/etc/hosts:-\n/o:C\n/o/dirmode:C\n/o/owner:C\n"
           "/t:C\n/t/nsec:C\n/t/sec:-\n/var:-\n/var/cache:-\n");
}

/* rm -rf /opt/legacy; mkdir /opt/legacy ...: the kernel makes the new directory opaque */
static void test_opaque_dir(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/opt/legacy/legacy.conf", HUSK_FT_FILE, "old");
    in(L0, "/opt/legacy/bin/tool.sh", HUSK_FT_FILE, "old");
    in(L1, "/opt/legacy/old.txt", HUSK_FT_FILE, "old");
    in(L1, "/opt/legacy/same", HUSK_FT_FILE, "same");
    xattr(in(MOUNT, "/opt/legacy", HUSK_FT_DIR, NULL), "trusted.overlay.opaque", "y");
    in(MOUNT, "/opt/legacy/legacy.conf", HUSK_FT_FILE, "new!")->msec = 5000;
    in(MOUNT, "/opt/legacy/new.txt", HUSK_FT_FILE, "new");
    in(MOUNT, "/opt/legacy/same", HUSK_FT_FILE, "same"); /* recreated identically */
    /* an opaque directory where nothing was before is simply added */
    xattr(in(MOUNT, "/fresh", HUSK_FT_DIR, NULL), "trusted.overlay.opaque", "y");
    in(MOUNT, "/fresh/f", HUSK_FT_FILE, "f");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("A /fresh\n"
                "A /fresh/f\n"
                "C /opt\n"
                "C /opt/legacy\n"
                "C /opt/legacy/legacy.conf\n"
                "A /opt/legacy/new.txt\n"
                "D /opt/legacy/bin\n"
                "D /opt/legacy/old.txt\n");
    expect("SELECT type, change FROM files WHERE path = '/opt/legacy'", "dir|C\n");
}

/* A whiteout or an opaque directory in a lower layer hides what is below it: the upper
 * entry with that name is added, not changed. */
static void test_lower_whiteout_and_opaque(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/etc/issue", HUSK_FT_FILE, "Welcome");
    whiteout(L1, "/etc/issue");
    in(MOUNT, "/etc/issue", HUSK_FT_FILE, "Welcome");
    in(L0, "/data/old", HUSK_FT_FILE, "old");
    in(L0, "/data/gone", HUSK_FT_FILE, "old");
    xattr(in(L1, "/data", HUSK_FT_DIR, NULL), "trusted.overlay.opaque", "y");
    in(L1, "/data/keep", HUSK_FT_FILE, "keep");
    in(MOUNT, "/data/old", HUSK_FT_FILE, "old");
    whiteout(MOUNT, "/data/keep");
    whiteout(MOUNT, "/data/gone"); /* hidden already: nothing to delete */
    /* a file in L1 over a directory in L0 ends the merge */
    in(L0, "/m/sub/deep", HUSK_FT_FILE, "d");
    in(L1, "/m/sub", HUSK_FT_FILE, "now a file");
    in(MOUNT, "/m/sub", HUSK_FT_DIR, NULL);
    in(MOUNT, "/m/sub/deep", HUSK_FT_FILE, "d");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("C /data\n"
                "A /data/old\n"
                "D /data/keep\n"
                "C /etc\n"
                "A /etc/issue\n"
                "C /m\n"
                "C /m/sub\n"
                "A /m/sub/deep\n");
    expect("SELECT ifnull(change, '-') FROM files WHERE path = '/data/gone'", "-\n");
}

static void test_nested_and_type_changes(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/a/b/x", HUSK_FT_FILE, "x");
    in(MOUNT, "/a/b/c/d/file", HUSK_FT_FILE, "deep");
    in(L0, "/p", HUSK_FT_FILE, "a file");
    in(MOUNT, "/p/child", HUSK_FT_FILE, "now a directory");
    in(L0, "/q/inner", HUSK_FT_FILE, "a directory");
    in(MOUNT, "/q", HUSK_FT_FILE, "now a file");
    open_db();
    assert_int_equal(diff_now(), 0);
    /* a directory replaced by a file is one C: Docker lists no deletions below it */
    expect_diff("C /a\n"
                "C /a/b\n"
                "A /a/b/c\n"
                "A /a/b/c/d\n"
                "A /a/b/c/d/file\n"
                "C /p\n"
                "A /p/child\n"
                "C /q\n");
}

/* The init layer is on both sides of Docker's comparison: its files are old, and the mount
 * points runc creates in the upper directory are added. */
static void test_init_layer(void **state)
{
    (void)state;
    make_chain();
    in(INIT, "/.dockerenv", HUSK_FT_FILE, "");
    in(INIT, "/etc/hostname", HUSK_FT_FILE, "");
    in(INIT, "/dev/console", HUSK_FT_FILE, "");
    in(L0, "/etc/passwd", HUSK_FT_FILE, "root");
    in(MOUNT, "/etc/hostname", HUSK_FT_FILE, "changed");
    whiteout(MOUNT, "/.dockerenv");
    in(MOUNT, "/host", HUSK_FT_DIR, NULL);
    in(MOUNT, "/var/run/docker.sock", HUSK_FT_FILE, "");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("C /etc\n"
                "C /etc/hostname\n"
                "A /host\n"
                "A /var\n"
                "A /var/run\n"
                "A /var/run/docker.sock\n"
                "D /.dockerenv\n");
}

static int resolve(husk_ovl_chain *c, husk_err *e)
{
    memset(e, 0, sizeof *e);
    diag.count = 0;
    return husk_ovl_chain_resolve(&root, MOUNT, CID, c, &diag, e);
}

static void set_lower(const char *lower)
{
    char p[512];
    pathf(p, OVL "/%s/lower", MOUNT, "");
    put(p, HUSK_FT_FILE, lower);
}

static void test_chain_ok(void **state)
{
    (void)state;
    husk_ovl_chain c;
    husk_err e;
    make_chain();
    assert_int_equal(resolve(&c, &e), 0);
    assert_string_equal(c.how, "lower file");
    assert_int_equal(c.nlower, 3);
    assert_string_equal(c.upper.id, MOUNT);
    assert_string_equal(c.lower[0].id, INIT);
    assert_string_equal(c.lower[1].id, L1);
    assert_string_equal(c.lower[2].id, L0);
    assert_int_equal(diag.count, 0);
    assert_true(husk_ovl_valid_link(LNK_I, 26));
    assert_false(husk_ovl_valid_link("abcdefghijklmnopqrstuvwxyz", 26));
    assert_false(husk_ovl_valid_link("AAAA/AAAAAAAAAAAAAAAAAAAAA", 26));
    assert_true(husk_ovl_valid_layer_id(INIT, strlen(INIT), 1));
    assert_false(husk_ovl_valid_layer_id(INIT, strlen(INIT), 0));
    assert_false(husk_ovl_valid_layer_id("../../etc", 9, 1));
}

static void test_chain_crafted(void **state)
{
    (void)state;
    husk_ovl_chain c;
    husk_err e;
    char buf[8192], p[512];
    static const struct {
        const char *lower, *why;
    } bad[] = {
        {"l/../../../../etc", "not l/"},
        {"l/AAAAAAAAAAAAAAAAAAAAAAAAA0/../x", "not l/"},
        {"/var/lib/docker/overlay2/x/diff", "not l/"},
        {"l/IIIIIIIIIIIIIIIIIIIIIIIIII::l/AAAAAAAAAAAAAAAAAAAAAAAAA0", "not l/"},
        {"l/BBBBBBBBBBBBBBBBBBBBBBBBB1:l/BBBBBBBBBBBBBBBBBBBBBBBBB1", "twice"},
        {"l/BBBBBBBBBBBBBBBBBBBBBBBBB1:l/IIIIIIIIIIIIIIIIIIIIIIIIII", "below the top"},
        {"l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "no entry"},
        {"l/SELFSELFSELFSELFSELFSELF00", "own lower"},
        {"l/EVILEVILEVILEVILEVILEVIL00", "not ../<layer>/diff"},
        {"l/DIRDIRDIRDIRDIRDIRDIRDIR00", "not a symlink"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make_chain();
        char t[128];
        snprintf(t, sizeof t, "../%s/diff", MOUNT);
        put(OVL "/l/SELFSELFSELFSELFSELFSELF00", HUSK_FT_SYMLINK, t);
        put(OVL "/l/EVILEVILEVILEVILEVILEVIL00", HUSK_FT_SYMLINK, "../../../../etc/diff");
        put(OVL "/l/DIRDIRDIRDIRDIRDIRDIRDIR00", HUSK_FT_DIR, NULL);
        set_lower(bad[i].lower);
        assert_true(resolve(&c, &e) < 0);
        assert_non_null(strstr(e.msg, bad[i].why));
        assert_int_equal(c.nlower, 0);
    }
    /* more layers than overlay2 allows, every one of them real */
    make_chain();
    buf[0] = '\0';
    for (int i = 0; i < HUSK_OVL_MAX_LOWERS + 1; i++) {
        char link[32], id[80], t[128];
        snprintf(link, sizeof link, "L%03dQQQQQQQQQQQQQQQQQQQQQQ", i);
        snprintf(id, sizeof id, "%064x", i + 1);
        snprintf(t, sizeof t, "../%s/diff", id);
        pathf(p, OVL "/l/%s", link, "");
        put(p, HUSK_FT_SYMLINK, t);
        pathf(p, OVL "/%s/diff", id, "");
        put(p, HUSK_FT_DIR, NULL);
        strcat(buf, i ? ":l/" : "l/");
        strcat(buf, link);
    }
    set_lower(buf);
    assert_true(resolve(&c, &e) < 0);
    assert_non_null(strstr(e.msg, "longer than"));
    /* a lower file too big to be one */
    memset(buf, 'A', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    set_lower(buf);
    assert_true(resolve(&c, &e) < 0);
    assert_non_null(strstr(e.msg, "limit"));
    /* a loop in the layer store is refused too */
    make_chain();
    make_layerdb();
    set_lower("l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ");
    pathf(p, LDB "/sha256/%s/parent", CHAIN0, "");
    char v[128];
    snprintf(v, sizeof v, "sha256:%s", CHAIN1);
    put(p, HUSK_FT_FILE, v);
    assert_true(resolve(&c, &e) < 0);
    assert_non_null(strstr(e.msg, "own ancestor"));
    /* a mount-id that is not a layer name is never used as a path */
    make_chain();
    memset(&c, 0, sizeof c);
    assert_true(husk_ovl_chain_resolve(&root, "../../etc", CID, &c, &diag, &e) < 0);
}

/* Without a usable chain the upper files are still listed, with no change claimed. */
static void test_diff_without_chain(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/etc/passwd", HUSK_FT_FILE, "root");
    in(MOUNT, "/etc/passwd", HUSK_FT_FILE, "root+evil");
    set_lower("l/AAAAAAAAAAAAAAAAAAAAAAAAA0:l/AAAAAAAAAAAAAAAAAAAAAAAAA0");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("");
    expect("SELECT path, ifnull(change, '-') FROM files ORDER BY path", "/etc|-\n/etc/passwd|-\n");
    assert_true(diag.count > 0);
    assert_non_null(strstr(lastdiag, "twice"));
}

/* l/ links gone (a layer removed, or cleaned up): the layer store gives the same chain. */
static void test_layerdb_fallback(void **state)
{
    (void)state;
    husk_ovl_chain c;
    husk_err e;
    make_chain();
    make_layerdb();
    mnode *l = child(
        child(child(child(child(2, "var")->ino, "lib")->ino, "docker")->ino, "overlay2")->ino, "l");
    l->name[0] = 'x'; /* the whole l/ directory is gone */
    assert_int_equal(resolve(&c, &e), 0);
    assert_string_equal(c.how, "layerdb");
    assert_int_equal(c.nlower, 3);
    assert_string_equal(c.lower[0].id, INIT);
    assert_string_equal(c.lower[1].id, L1);
    assert_string_equal(c.lower[2].id, L0);
    assert_int_equal(diag.count, 1);
    in(L0, "/etc/issue", HUSK_FT_FILE, "Welcome");
    whiteout(MOUNT, "/etc/issue");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("C /etc\nD /etc/issue\n");
}

static void test_upper_damage(void **state)
{
    (void)state;
    make_chain();
    mnode *a = in(MOUNT, "/a", HUSK_FT_DIR, NULL);
    in(MOUNT, "/a/f", HUSK_FT_FILE, "f");
    uint64_t a_ino = a->ino;
    mnode *loop = add(a_ino, "loop", HUSK_FT_DIR);
    loop->alias = a_ino; /* /a/loop is /a again */
    add(a_ino, "..", HUSK_FT_FILE);
    add(a_ino, "x/y", HUSK_FT_FILE);
    add(a_ino, "f", HUSK_FT_FILE); /* listed twice */
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("A /a\nA /a/f\nA /a/loop\n");
    assert_true(diag.count >= 3);
    /* a directory deeper than the walk goes */
    make_chain();
    char p[2048] = "";
    for (int i = 0; i < 300; i++)
        strcat(p, "/d");
    in(MOUNT, p, HUSK_FT_FILE, "deep");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect("SELECT count(*) FROM container_diff", "257\n");
    assert_non_null(strstr(lastdiag, "deeper"));
}

static void test_missing_upper_and_other_drivers(void **state)
{
    (void)state;
    make_chain();
    fill(ctr.mount_id, 'f', ""); /* no such layer directory */
    open_db();
    assert_int_equal(diff_now(), 0);
    assert_int_equal(diag.count, 1);
    ctr.prov = (husk_prov){"inode", 0.5}; /* a removed container's layer is expected gone */
    diag.count = 0;
    assert_int_equal(diff_now(), 0);
    assert_int_equal(diag.count, 0);
    snprintf(ctr.driver, sizeof ctr.driver, "overlayfs"); /* containerd snapshotter */
    assert_int_equal(diff_now(), 0);
    expect("SELECT count(*) FROM files", "0\n");
}

static void test_hash_images(void **state)
{
    (void)state;
    make_chain();
    in(INIT, "/.dockerenv", HUSK_FT_FILE, "");
    in(L0, "/bin/sh", HUSK_FT_FILE, "hello\n");
    whiteout(L1, "/etc/issue");
    in(MOUNT, "/x", HUSK_FT_FILE, "x");
    opts.hash_images = 1;
    open_db();
    assert_int_equal(diff_now(), 0);
    assert_int_equal(diff_now(), 0); /* a second container on the same image */
    char want[512];
    snprintf(want, sizeof want,
             "%s|/bin|dir|NULL\n"
             "%s|/bin/sh|file|5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n"
             "%s|/etc|dir|NULL\n"
             "%s|/etc/issue|whiteout|NULL\n",
             L0, L0, L1, L1);
    expect("SELECT layer, path, type, sha256 FROM files WHERE scope = 'image' AND "
           "container_id IS NULL AND change IS NULL ORDER BY layer, path",
           want);
}

/* Kernels with metacopy keep a chmod'ed file's bytes in the lower layer; a renamed directory
 * (redirect_dir) is reported, not guessed at. Docker enables neither. */
static void test_metacopy_and_redirect(void **state)
{
    (void)state;
    make_chain();
    in(L0, "/bin/tool", HUSK_FT_FILE, "REALDATA");
    mnode *m = in(MOUNT, "/bin/tool", HUSK_FT_FILE, "XXXXXXXX"); /* sparse: no data here */
    m->mode = 0100700;
    xattr(m, "trusted.overlay.metacopy", "");
    xattr(in(MOUNT, "/moved", HUSK_FT_DIR, NULL), "trusted.overlay.redirect", "/old");
    open_db();
    assert_int_equal(diff_now(), 0);
    expect_diff("C /bin\nC /bin/tool\nA /moved\n");
    char sum[65], want[80];
    husk_sha256_hex("REALDATA", 8, sum);
    snprintf(want, sizeof want, "%s\n", sum);
    expect("SELECT sha256 FROM files WHERE path = '/bin/tool'", want);
    assert_int_equal(diag.count, 1);
    assert_non_null(strstr(lastdiag, "redirect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_change_delete),
        cmocka_unit_test(test_files_rows),
        cmocka_unit_test(test_docker_comparison),
        cmocka_unit_test(test_opaque_dir),
        cmocka_unit_test(test_lower_whiteout_and_opaque),
        cmocka_unit_test(test_nested_and_type_changes),
        cmocka_unit_test(test_init_layer),
        cmocka_unit_test(test_chain_ok),
        cmocka_unit_test(test_chain_crafted),
        cmocka_unit_test(test_diff_without_chain),
        cmocka_unit_test(test_layerdb_fallback),
        cmocka_unit_test(test_upper_damage),
        cmocka_unit_test(test_missing_upper_and_other_drivers),
        cmocka_unit_test(test_hash_images),
        cmocka_unit_test(test_metacopy_and_redirect),
    };
    return cmocka_run_group_tests_name("diff", tests, setup, teardown);
}
