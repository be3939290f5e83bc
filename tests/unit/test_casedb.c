/* Unit tests of the case database module (src/casedb): the public contract of
 * docs/case-db.md, refusal to overwrite, the incomplete marker, one writer at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "husk/casedb.h"

static char dir[] = "/tmp/husk-casedb-XXXXXX";
static char path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/case.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Columns named in docs/case-db.md that scripts query by name. */
static const char *contract[] = {
    "case_info:key,value",
    "volumes:id,kind,offset,length,description",
    "filesystems:id,volume_id,offset,fstype,label,uuid,block_size,journal",
    "data_roots:id,filesystem_id,path,runtime,storage_driver",
    "images:id,repo_tags,created,os,architecture,config_json,recovered_from",
    "image_history:image_id,idx,created,created_by,empty_layer,comment",
    "layers:chain_id,diff_id,parent_chain_id,cache_id,size,integrity",
    "containers:id,name,image_id,image_ref,created,started_at,finished_at,state,exit_code,pid,"
    "restart_count,driver,rw_layer,path,args,entrypoint,cmd,env,user,working_dir,labels,"
    "log_driver,privileged,pid_mode,ipc_mode,network_mode,userns_mode,cgroupns_mode,uts_mode,"
    "cap_add,cap_drop,security_opt,devices,masked_paths,readonly_rootfs,binds,config_json,"
    "hostconfig_json,recovered_from,confidence",
    "mounts:container_id,type,source,destination,rw,propagation,volume_name",
    "files:id,container_id,layer,scope,path,change,type,mode,uid,gid,size,mtime,atime,ctime,"
    "crtime,inode,sha256,magic,link_target,recovered_from,confidence",
    "container_diff:container_id,change,path",
    "logs:id,container_id,source,file,seq,time,stream,message,partial,recovered_from",
    "findings:id,container_id,severity,rule,title,evidence,path",
    "timeline:time,source,kind,container_id,path,description",
    "errors:id,phase,object,offset,message",
};

static void test_schema_has_contract(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 0, &db, &e), 0);
    sqlite3 *s = husk_casedb_sqlite(db);
    for (size_t i = 0; i < sizeof contract / sizeof contract[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", contract[i]);
        char *table = buf, *cols = strchr(buf, ':');
        *cols++ = '\0';
        for (char *c = strtok(cols, ","); c; c = strtok(NULL, ",")) {
            char sql[256];
            snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", c, table);
            sqlite3_stmt *st = NULL;
            int rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL);
            if (rc != SQLITE_OK)
                fail_msg("missing %s.%s", table, c);
            sqlite3_finalize(st);
        }
    }
    husk_casedb_close(db);
}

static void test_incomplete_until_finished(void **state)
{
    (void)state;
    husk_casedb *db, *ro;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_set_info(db, "evidence_path", "/x/it's \"quoted\";--", &e), 0);
    husk_casedb_close(db); /* as if the run died here */
    assert_int_equal(husk_casedb_open_ro(path, &ro, &e), 0);
    char *v = husk_casedb_get_info(ro, "finished_at");
    assert_null(v);
    v = husk_casedb_get_info(ro, "status");
    assert_non_null(v);
    assert_non_null(strstr(v, "incomplete"));
    free(v);
    v = husk_casedb_get_info(ro, "evidence_path");
    assert_string_equal(v, "/x/it's \"quoted\";--"); /* bound, not interpolated */
    free(v);
    v = husk_casedb_get_info(ro, "schema_version");
    assert_string_equal(v, "1");
    free(v);
    husk_casedb_close(ro);
}

static void test_refuses_overwrite_and_finishes(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_finish(db, &e), 0);
    husk_casedb_close(db);
    assert_int_equal(husk_casedb_create(path, 0, &db, &e), -HUSK_E_DB);
    assert_non_null(strstr(e.msg, "--force"));
    husk_casedb *ro;
    assert_int_equal(husk_casedb_open_ro(path, &ro, &e), 0);
    char *v = husk_casedb_get_info(ro, "finished_at");
    assert_non_null(v);
    assert_int_equal(strlen(v), 30); /* 2026-11-30T00:50:43.871868483Z */
    assert_int_equal(v[29], 'Z');
    free(v);
    husk_casedb_close(ro);
}

static void test_one_writer(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    /* a second process writing the same file: simulated by a second connection */
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 50);
    int rc = sqlite3_exec(other, "INSERT INTO case_info VALUES('x','y')", NULL, NULL, NULL);
    assert_int_not_equal(rc, SQLITE_OK);
    sqlite3_close(other);
    husk_casedb_close(db);
}

static void test_not_a_case(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    FILE *f = fopen(path, "w");
    fputs("not sqlite", f);
    fclose(f);
    assert_true(husk_casedb_open_ro(path, &db, &e) < 0);
    assert_true(husk_casedb_open_ro("/nonexistent/x.db", &db, &e) < 0);
    assert_non_null(strstr(e.msg, "husk analyse"));
}

/* ---- sorts in bounded memory (husk_casedb_sort_begin) ----------------------------------- */

#define SORT_ROWS 40000
#define SORT_DATA 512 /* bytes of each row: 20 MiB to sort, well past the 2 MiB bound */

static uint64_t sort_offset(int64_t i)
{
    /* distinct offsets in an order unrelated to the insertion order */
    return ((uint64_t)i * 2654435761u) % 1000003u * 4096u;
}

static void sort_data(uint64_t off, uint8_t *d)
{
    for (size_t k = 0; k < SORT_DATA; k++)
        d[k] = (uint8_t)(off >> (8 * (k % 5)) ^ k);
}

static int off_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static husk_casedb *sort_case(void)
{
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    uint8_t d[SORT_DATA];
    for (int64_t i = 0; i < SORT_ROWS; i++) {
        uint64_t off = sort_offset(i);
        sort_data(off, d);
        husk_row_carved r = {1, "jsonlog", off, "unallocated", 0, 0, d, sizeof d, "00"};
        assert_int_equal(husk_casedb_add_carved(db, &r, NULL, &e), 0);
    }
    return db;
}

/* The carving merge's query over db; returns the growth of SQLite's memory while it sorted.
 * Every row must come back, in order, with its own bytes. */
static int64_t sorted_query(husk_casedb *db, int bounded)
{
    husk_err e = {0};
    sqlite3 *sql = husk_casedb_sqlite(db);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(sql,
                                        "SELECT id, filesystem_id, kind, offset, size, in_gzip, "
                                        "gzip_offset, location, data FROM carved WHERE kind IN "
                                        "('jsonlog', 'locallog') ORDER BY filesystem_id, in_gzip, "
                                        "offset, gzip_offset",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_int64 cur, hi;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 1);
    int64_t before = cur;
    if (bounded)
        assert_int_equal(husk_casedb_sort_begin(db, &e), 0);
    int rc = sqlite3_step(st);
    if (bounded)
        assert_int_equal(husk_casedb_sort_end(db, &e), 0);
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0);
    uint64_t *want = malloc(SORT_ROWS * sizeof *want);
    assert_non_null(want);
    for (int64_t i = 0; i < SORT_ROWS; i++)
        want[i] = sort_offset(i);
    qsort(want, SORT_ROWS, sizeof *want, off_cmp);
    uint8_t d[SORT_DATA];
    size_t n = 0;
    for (; rc == SQLITE_ROW; rc = sqlite3_step(st), n++) {
        assert_true(n < SORT_ROWS);
        uint64_t off = (uint64_t)sqlite3_column_int64(st, 3);
        assert_true(off == want[n]);
        assert_true(sort_offset(sqlite3_column_int64(st, 0) - 1) == off); /* its own row */
        sort_data(off, d);
        assert_int_equal(sqlite3_column_bytes(st, 8), SORT_DATA);
        assert_memory_equal(sqlite3_column_blob(st, 8), d, SORT_DATA);
    }
    assert_int_equal(rc, SQLITE_DONE);
    assert_int_equal(n, SORT_ROWS);
    sqlite3_finalize(st);
    free(want);
    return hi - before;
}

static int64_t cache_size(husk_casedb *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db), "PRAGMA cache_size", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_sort_bounded(void **state)
{
    (void)state;
    /* unbounded first: SQLite's sort holds the 20 MiB it sorts (the test can tell) */
    husk_casedb *db = sort_case();
    int64_t grew = sorted_query(db, 0);
    assert_true(grew > (16 << 20));
    husk_casedb_close(db);
    /* bounded: the same rows in the same order, the sort's memory a few MiB at most, and the
     * page cache back to its size after */
    db = sort_case();
    assert_int_equal(cache_size(db), -65536);
    grew = sorted_query(db, 1);
    assert_true(grew < (6 << 20));
    assert_int_equal(cache_size(db), -65536);
    husk_casedb_close(db);
}

/* The logs(time, stream) index the carving merge builds: in bounded memory (its keys are some
 * 12 MiB), and whole. */
#define LOG_ROWS 200000
static void test_index_log_times_bounded(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    char msg[] = "a log line", t[40];
    for (int64_t i = 0; i < LOG_ROWS; i++) {
        uint64_t k = sort_offset(i) / 4096;
        snprintf(t, sizeof t, "2026-01-01T00:%02u:%02u.%09uZ", (unsigned)(k / 60 % 60),
                 (unsigned)(k % 60), (unsigned)k);
        husk_row_log r = {"c", "json-file", "f", i, t, k % 2 ? "stdout" : "stderr",
                          msg, sizeof msg - 1, 0, NULL, -1, NULL};
        assert_int_equal(husk_casedb_add_log(db, &r, &e), 0);
    }
    sqlite3_int64 cur, hi;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 1);
    int64_t before = cur;
    assert_int_equal(husk_casedb_index_log_times(db, &e), 0);
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0);
    assert_true(hi - before < (6 << 20));
    assert_int_equal(cache_size(db), -65536);
    /* every row is in the index, in order */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT time, stream FROM logs INDEXED BY logs_time "
                                        "WHERE time >= '' ORDER BY time, stream",
                                        -1, &st, NULL),
                     SQLITE_OK);
    size_t n = 0;
    char prev[64] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        char k[64];
        snprintf(k, sizeof k, "%s %s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        assert_true(strcmp(prev, k) <= 0);
        memcpy(prev, k, sizeof k);
        n++;
    }
    sqlite3_finalize(st);
    assert_int_equal(n, LOG_ROWS);
    assert_int_equal(sqlite3_exec(husk_casedb_sqlite(db), "PRAGMA integrity_check", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    husk_casedb_close(db);
}

int main(void)
{
    /* the bounded-sort tests read SQLite's memory statistics: on, before anything initialises
     * SQLite (the case database turns them off for speed when it is first) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
    sqlite3_initialize();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_has_contract),
        cmocka_unit_test(test_incomplete_until_finished),
        cmocka_unit_test(test_refuses_overwrite_and_finishes),
        cmocka_unit_test(test_one_writer),
        cmocka_unit_test(test_not_a_case),
        cmocka_unit_test(test_sort_bounded),
        cmocka_unit_test(test_index_log_times_bounded),
    };
    return cmocka_run_group_tests_name("casedb", tests, setup, teardown);
}
