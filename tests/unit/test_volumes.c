/*
 * Unit tests of the Docker volumes phase (src/runtime/volumes.c) over an in-memory file system
 * holding a hand-built volumes/metadata.db: volumes from the database and from directories,
 * labels, options and opts.json, a damaged record, a removed volume recovered from a free
 * page, files rows per mounting container (with and without MountPoints' Type), and a damaged
 * meta page reported.
 */
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

/* ---- a bolt file: root leaf with an inline "volumes" bucket, one free page ---------------- */

#define PS 1024

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

static void put_meta(uint8_t *f, int idx, uint64_t txid)
{
    uint8_t *p = f + idx * PS;
    le64(p, (uint64_t)idx);
    le16(p + 8, 0x04);
    le32(p + 16, 0xED0CDAEDu);
    le32(p + 20, 2);
    le32(p + 24, PS);
    le64(p + 32, 2); /* root */
    le64(p + 48, 4); /* freelist */
    le64(p + 56, 5); /* high water */
    le64(p + 64, txid);
    uint64_t h = 14695981039346656037ull;
    for (int i = 16; i < 72; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    le64(p + 72, h);
}

/* A leaf page of n (flags, key, value) elements at p; returns bytes used. */
static size_t put_leaf(uint8_t *p, uint64_t id, const char *const (*kv)[2], const int *flags,
                       const size_t *vlen, int n)
{
    le64(p, id);
    le16(p + 8, 0x02);
    le16(p + 10, (uint16_t)n);
    size_t data = 16 + (size_t)n * 16;
    for (int i = 0; i < n; i++) {
        uint8_t *e = p + 16 + i * 16;
        size_t kl = strlen(kv[i][0]), vl = vlen ? vlen[i] : strlen(kv[i][1]);
        le32(e, flags ? (uint32_t)flags[i] : 0);
        le32(e + 4, (uint32_t)(data - (16 + (size_t)i * 16)));
        le32(e + 8, (uint32_t)kl);
        le32(e + 12, (uint32_t)vl);
        memcpy(p + data, kv[i][0], kl);
        memcpy(p + data + kl, kv[i][1], vl);
        data += kl + vl;
    }
    return data;
}

#define ANON "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint8_t mdb[5 * PS];

static void make_metadata_db(void)
{
    memset(mdb, 0, sizeof mdb);
    static const char *const vols[][2] = {
        {ANON, "{\"Name\":\"" ANON "\",\"Driver\":\"local\",\"Labels\":null,\"Options\":null}"},
        {"bad", "{\"Name\":\"bad\",\"Dri"},
        {"data", "{\"Name\":\"data\",\"Driver\":\"local\",\"Labels\":{\"purpose\":\"app\"},"
                 "\"Options\":{}}"},
        {"nfsvol", "{\"Name\":\"nfsvol\",\"Driver\":\"local\",\"Labels\":{},\"Options\":"
                   "{\"device\":\":/x\",\"o\":\"addr=1.2.3.4\",\"type\":\"nfs\"}}"},
    };
    uint8_t inl[900] = {0}; /* {root 0, sequence 0}, then the bucket's leaf page */
    size_t inl_len = 16 + put_leaf(inl + 16, 0, vols, NULL, NULL, 4);
    const char *root[][2] = {{"volumes", (const char *)inl}};
    int bucket = 1;
    put_leaf(mdb + 2 * PS, 2, root, &bucket, &inl_len, 1);

    static const char *const old[][2] = {
        {"data", "{\"Name\":\"data\",\"Driver\":\"old\"}"},
        {"gone", "{\"Name\":\"gone\",\"Driver\":\"local\",\"Labels\":{\"x\":\"1\"},"
                 "\"Options\":null}"},
        {"fake", "{\"Name\":\"other\",\"Driver\":\"local\"}"},
    };
    put_leaf(mdb + 3 * PS, 3, old, NULL, NULL, 3);
    uint8_t *fl = mdb + 4 * PS;
    le64(fl, 4);
    le16(fl + 8, 0x10);
    le16(fl + 10, 1);
    le64(fl + 16, 3);
    put_meta(mdb, 0, 6);
    put_meta(mdb, 1, 7);
}

/* ---- an in-memory node ------------------------------------------------------------------- */

typedef struct mnode {
    uint64_t ino, parent;
    const char *name;
    husk_ftype type;
    const char *data; /* content or link target; NULL for metadata.db (mdb) */
} mnode;

#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3 "3333333333333333333333333333333333333333333333333333333333333333"

static const mnode nodes[] = {
    {2, 0, "/", HUSK_FT_DIR, NULL},
    {3, 2, "var", HUSK_FT_DIR, NULL},
    {4, 3, "lib", HUSK_FT_DIR, NULL},
    {5, 4, "docker", HUSK_FT_DIR, NULL},
    {6, 5, "volumes", HUSK_FT_DIR, NULL},
    {7, 6, "metadata.db", HUSK_FT_FILE, NULL},
    {8, 6, "backingFsBlockDev", HUSK_FT_BLOCK, NULL},
    {9, 6, "data", HUSK_FT_DIR, NULL},
    {10, 9, "_data", HUSK_FT_DIR, NULL},
    {11, 10, "a.txt", HUSK_FT_FILE, "hello\n"},
    {12, 10, "sub", HUSK_FT_DIR, NULL},
    {13, 12, "b.bin", HUSK_FT_FILE, "xyz"},
    {14, 10, "link", HUSK_FT_SYMLINK, "a.txt"},
    {15, 6, ANON, HUSK_FT_DIR, NULL},
    {16, 15, "_data", HUSK_FT_DIR, NULL},
    {17, 6, "nfsvol", HUSK_FT_DIR, NULL},
    {18, 17, "opts.json", HUSK_FT_FILE,
     "{\"MountType\":\"nfs\",\"MountOpts\":\"addr=1.2.3.4\",\"MountDevice\":\":/x\"}"},
    {19, 17, "_data", HUSK_FT_DIR, NULL},
    {20, 6, "orphan", HUSK_FT_DIR, NULL},
    {21, 20, "_data", HUSK_FT_DIR, NULL},
    {22, 21, "o.txt", HUSK_FT_FILE, "o"},
    {23, 21, "loop", HUSK_FT_DIR, NULL},
    {30, 5, "containers", HUSK_FT_DIR, NULL},
    {31, 30, ID1, HUSK_FT_DIR, NULL},
    {32, 31, "config.v2.json", HUSK_FT_FILE,
     "{\"ID\":\"" ID1 "\",\"MountPoints\":{\"/data\":{\"Type\":\"volume\",\"Name\":\"data\","
     "\"Destination\":\"/data\",\"Driver\":\"local\"},\"/srv\":{\"Type\":\"bind\",\"Source\":"
     "\"/srv\",\"Destination\":\"/srv\"}}}"},
    {33, 30, ID2, HUSK_FT_DIR, NULL},
    {34, 33, "config.v2.json", HUSK_FT_FILE,
     "{\"ID\":\"" ID2 "\",\"MountPoints\":{\"/mnt/d/\":{\"Name\":\"data\",\"Destination\":"
     "\"/mnt/d/\",\"Driver\":\"local\"}}}"},
    {35, 30, ID3, HUSK_FT_DIR, NULL},
    {36, 35, "config.v2.json", HUSK_FT_FILE, "{\"MountPoints\":"},
};
#define NNODES (sizeof nodes / sizeof nodes[0])

static const mnode *find(uint64_t ino)
{
    for (size_t i = 0; i < NNODES; i++)
        if (nodes[i].ino == ino)
            return &nodes[i];
    return NULL;
}

static size_t node_size(const mnode *n)
{
    return n->ino == 7 ? sizeof mdb : n->data ? strlen(n->data) : 0;
}

static int m_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    const mnode *n = find(ino);
    if (!n)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no inode");
    memset(st, 0, sizeof *st);
    st->inode = ino;
    st->type = n->type;
    st->mode = (n->type == HUSK_FT_DIR ? 0040755 : n->type == HUSK_FT_SYMLINK ? 0120777 : 0100644);
    st->uid = 1000;
    st->size = node_size(n);
    st->mtime = (husk_timespec){1700000000, 5, 1};
    st->ctime = (husk_timespec){1700000001, 6, 1};
    st->crtime = (husk_timespec){1700000000 - (int64_t)ino, 0, 1};
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
    /* orphan/_data/loop lists its own parent: a directory cycle */
    if (ino == 23) {
        husk_dirent d = {"up", 2, 21, HUSK_FT_DIR};
        int r = cb(&d, ctx);
        if (r)
            return r < 0 ? r : 0;
    }
    return 0;
}

static ssize_t m_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len, husk_err *err)
{
    const mnode *n = find(ino);
    const char *data = n && n->ino == 7 ? (const char *)mdb : n ? n->data : NULL;
    size_t sz = n ? node_size(n) : 0;
    if (off >= sz)
        return 0;
    if (len > sz - off)
        len = sz - off;
    memcpy(buf, data + off, len);
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
    return 0;
}

static void m_close(husk_fs *fs)
{
    (void)fs;
}

static const husk_fs_ops mops = {m_stat, m_list, m_read, m_readlink, m_xattrs, m_close};
static husk_fs mfs = {.ops = &mops, .root_inode = 2};

/* ---- running the phase ------------------------------------------------------------------- */

typedef struct reports {
    char msg[16][256];
    int n;
} reports;

static void on_report(void *ctx, const char *phase, const char *object, int64_t offset,
                      const char *msg)
{
    reports *r = ctx;
    if (r->n < 16)
        snprintf(r->msg[r->n++], sizeof r->msg[0], "%s|%s|%lld|%s", phase, object,
                 (long long)offset, msg);
}

static char dbpath[] = "/tmp/husk-volumes-XXXXXX";

static husk_casedb *run(reports *rep)
{
    char path[64];
    husk_err err = {0};
    husk_casedb *db = NULL;
    snprintf(path, sizeof path, "%s/case.db", dbpath);
    unlink(path);
    assert_int_equal(husk_casedb_create(path, 1, &db, &err), 0);
    husk_docker_opts o = {0};
    husk_docker_root r = {.fs = &mfs,
                          .path = "/var/lib/docker",
                          .driver = "overlay2",
                          .db_id = 3,
                          .fs_db_id = 7,
                          .opts = &o};
    husk_diag diag = {on_report, rep, 0};
    assert_int_equal(husk_casedb_begin(db, &err), 0);
    /* the volumes phase takes its mount points from the mounts rows the containers phase
     * writes first; that phase's own reports (damaged configs) are not this test's */
    reports crep = {0};
    husk_diag cdiag = {on_report, &crep, 0};
    assert_int_equal(husk_docker_containers(&r, db, &cdiag, &err), 0);
    assert_int_equal(husk_docker_volumes(&r, db, &diag, &err), 0);
    assert_int_equal(husk_casedb_commit(db, &err), 0);
    return db;
}

/* Query result rows joined by '\n', columns by '|'. */
static const char *q(husk_casedb *db, const char *sql)
{
    static char out[8192];
    sqlite3_stmt *st;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t len = strlen(out);
        if (len)
            out[len++] = '\n', out[len] = '\0';
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            len = strlen(out);
            snprintf(out + len, sizeof out - len, "%s%s", i ? "|" : "", t ? (const char *)t : "");
        }
    }
    sqlite3_finalize(st);
    return out;
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dbpath) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "%s/case.db", dbpath);
    unlink(path);
    rmdir(dbpath);
    return 0;
}

static void test_volume_rows(void **state)
{
    (void)state;
    make_metadata_db();
    reports rep = {0};
    husk_casedb *db = run(&rep);
    assert_string_equal(
        q(db, "select name, driver, labels, options, mountpoint, data_root_id, recovered_from, "
              "opts_json from docker_volumes order by name"),
        ANON "|local|null|null|/var/lib/docker/volumes/" ANON "/_data|3|live|\n"
             "bad|||||3|live|\n"
             "data|local|{\"purpose\":\"app\"}|{}|/var/lib/docker/volumes/data/_data|3|live|\n"
             "gone|local|{\"x\":\"1\"}|null|/var/lib/docker/volumes/gone/_data|3|bolt-free|\n"
             "nfsvol|local|{}|{\"device\":\":/x\",\"o\":\"addr=1.2.3.4\",\"type\":\"nfs\"}|"
             "/var/lib/docker/volumes/nfsvol/_data|3|live|{\"MountType\":\"nfs\",\"MountOpts\":"
             "\"addr=1.2.3.4\",\"MountDevice\":\":/x\"}\n"
             "orphan||||/var/lib/docker/volumes/orphan/_data|3|live|");
    /* created: birth time of volumes/<name>/ (inode 9 here); unknown without the directory */
    assert_string_equal(q(db, "select created from docker_volumes where name in ('data', 'gone') "
                              "order by name"),
                        "2023-11-14T22:13:11.000000000Z\n");
    /* the damaged record and the directory cycle are reported; damaged configs are left to
     * the containers phase */
    assert_int_equal(rep.n, 2);
    assert_non_null(strstr(rep.msg[0], "volumes|volumes/metadata.db|-1|volume bad: record is "
                                       "not a JSON object"));
    assert_non_null(strstr(rep.msg[1], "is its own ancestor"));
    husk_casedb_close(db);
}

static void test_file_rows(void **state)
{
    (void)state;
    make_metadata_db();
    reports rep = {0};
    husk_casedb *db = run(&rep);
    /* one row per mounting container (ID2's MountPoints have no Type: Docker before 17.06) */
    assert_string_equal(
        q(db, "select substr(container_id, 1, 1), path, type, mode, uid, size, sha256, "
              "link_target, host_path from files where layer='data' order by 1, 2"),
        "1|/data/a.txt|file|33188|1000|6|"
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03||"
        "/var/lib/docker/volumes/data/_data/a.txt\n"
        "1|/data/link|symlink|41471|1000|5||a.txt|/var/lib/docker/volumes/data/_data/link\n"
        "1|/data/sub|dir|16877|1000|0|||/var/lib/docker/volumes/data/_data/sub\n"
        "1|/data/sub/b.bin|file|33188|1000|3|"
        "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282||"
        "/var/lib/docker/volumes/data/_data/sub/b.bin\n"
        "2|/mnt/d/a.txt|file|33188|1000|6|"
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03||"
        "/var/lib/docker/volumes/data/_data/a.txt\n"
        "2|/mnt/d/link|symlink|41471|1000|5||a.txt|/var/lib/docker/volumes/data/_data/link\n"
        "2|/mnt/d/sub|dir|16877|1000|0|||/var/lib/docker/volumes/data/_data/sub\n"
        "2|/mnt/d/sub/b.bin|file|33188|1000|3|"
        "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282||"
        "/var/lib/docker/volumes/data/_data/sub/b.bin");
    /* a volume no container mounts: paths relative to the volume; the cycle is cut */
    assert_string_equal(q(db, "select coalesce(container_id, 'NULL'), path, host_path from files "
                              "where layer='orphan' order by path"),
                        "NULL|/loop|/var/lib/docker/volumes/orphan/_data/loop\n"
                        "NULL|/loop/up|/var/lib/docker/volumes/orphan/_data/loop/up\n"
                        "NULL|/o.txt|/var/lib/docker/volumes/orphan/_data/o.txt");
    assert_string_equal(q(db, "select distinct scope, recovered_from, confidence, filesystem_id, "
                              "mtime, ctime from files"),
                        "volume|live|1.0|7|2023-11-14T22:13:20.000000005Z|"
                        "2023-11-14T22:13:21.000000006Z");
    husk_casedb_close(db);
}

static void test_damaged_db(void **state)
{
    (void)state;
    make_metadata_db();
    mdb[20] ^= 1; /* meta 0: version */
    reports rep = {0};
    husk_casedb *db = run(&rep);
    assert_string_equal(q(db, "select count(*) from docker_volumes where recovered_from='live'"),
                        "5");
    assert_non_null(
        strstr(rep.msg[0], "meta page 0 (file offset 0) damaged; using meta page 1 (txid 7)"));
    husk_casedb_close(db);

    /* neither meta page: the directories are still listed */
    mdb[PS + 20] ^= 1;
    memset(&rep, 0, sizeof rep);
    db = run(&rep);
    assert_string_equal(q(db, "select name from docker_volumes order by name"),
                        ANON "\ndata\nnfsvol\norphan");
    assert_non_null(strstr(rep.msg[0], "no valid meta page"));
    husk_casedb_close(db);

    /* the inline bucket's page damaged: reported, the rest goes on */
    make_metadata_db();
    le16(mdb + 2 * PS + 16 + 7 + 16 + 16 + 10, 0xFFFF); /* inline page count */
    memset(&rep, 0, sizeof rep);
    db = run(&rep);
    assert_non_null(strstr(rep.msg[0], "bucket volumes"));
    assert_string_equal(q(db, "select name, recovered_from from docker_volumes where name='gone'"),
                        "gone|bolt-free");
    husk_casedb_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_rows),
        cmocka_unit_test(test_file_rows),
        cmocka_unit_test(test_damaged_db),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
