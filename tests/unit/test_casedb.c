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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_has_contract),
        cmocka_unit_test(test_incomplete_until_finished),
        cmocka_unit_test(test_refuses_overwrite_and_finishes),
        cmocka_unit_test(test_one_writer),
        cmocka_unit_test(test_not_a_case),
    };
    return cmocka_run_group_tests_name("casedb", tests, setup, teardown);
}
