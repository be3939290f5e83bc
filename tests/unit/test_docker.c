/* Unit tests of the Docker config parsing helpers (src/runtime/docker*.c) and the containers
 * row writer, on hand-made inputs; tests/integration/test_docker.sh checks real nodes. */
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
#include "husk/docker.h"

static void test_rfc3339(void **state)
{
    (void)state;
    char b[40];
    assert_string_equal(husk_rfc3339_norm("2026-11-30T02:05:07.786798934Z", b, sizeof b),
                        "2026-11-30T02:05:07.786798934Z");
    assert_string_equal(husk_rfc3339_norm("2026-11-30T02:05:07.78Z", b, sizeof b),
                        "2026-11-30T02:05:07.780000000Z");
    assert_string_equal(husk_rfc3339_norm("2026-11-30T02:05:07Z", b, sizeof b),
                        "2026-11-30T02:05:07.000000000Z");
    /* imagedb lastUpdated is local time with an offset */
    assert_string_equal(husk_rfc3339_norm("2026-11-30T03:05:07.5+01:00", b, sizeof b),
                        "2026-11-30T02:05:07.500000000Z");
    assert_string_equal(husk_rfc3339_norm("2026-12-31T23:30:00-01:00", b, sizeof b),
                        "2027-01-01T00:30:00.000000000Z");
    /* extra digits are cut, not rounded (Go never writes more than nine) */
    assert_string_equal(husk_rfc3339_norm("2026-11-30T02:05:07.1234567891Z", b, sizeof b),
                        "2026-11-30T02:05:07.123456789Z");
    assert_null(husk_rfc3339_norm("0001-01-01T00:00:00Z", b, sizeof b));
    assert_null(husk_rfc3339_norm("yesterday", b, sizeof b));
    assert_null(husk_rfc3339_norm("2026-13-30T02:05:07Z", b, sizeof b));
    assert_null(husk_rfc3339_norm("2026-11-30T02:05:07", b, sizeof b));
    assert_null(husk_rfc3339_norm("2026-11-30T02:05:07Zjunk", b, sizeof b));
    assert_null(husk_rfc3339_norm(NULL, b, sizeof b));
}

static const char *CFG =
    "{\"StreamConfig\":{},\"State\":{\"Running\":false,\"Paused\":false,\"Restarting\":false,"
    "\"Dead\":false,\"Pid\":0,\"ExitCode\":3,\"StartedAt\":\"2026-11-30T02:05:10.5Z\","
    "\"FinishedAt\":\"2026-11-30T02:05:12Z\"},\"ID\":"
    "\"4f47ec0bdc15aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"Created\":"
    "\"2026-11-30T02:05:09Z\",\"Path\":\"/bin/sh\",\"Args\":[\"-c\",\"exit 3\"],\"Config\":"
    "{\"Image\":\"husk/base:1.0\",\"Env\":[\"A=1\"],\"Cmd\":[\"/bin/sh\"],\"Labels\":{}},"
    "\"Image\":\"sha256:7b93\",\"Name\":\"/batch\",\"Driver\":\"overlay2\"}";

static void test_parse_and_state(void **state)
{
    (void)state;
    husk_container c;
    husk_err e = {0};
    const char *hc = "{\"LogConfig\":{\"Type\":\"json-file\"},\"Privileged\":false}";
    assert_int_equal(husk_container_parse("x", CFG, strlen(CFG), hc, strlen(hc), &HUSK_PROV_LIVE,
                                          &c, &e),
                     0);
    assert_string_equal(c.name, "batch");
    assert_string_equal(c.state, "exited");
    assert_string_equal(c.log_driver, "json-file");
    assert_string_equal(c.driver, "overlay2");
    assert_int_equal(husk_json_int(c.config, "State.ExitCode", -1), 3);
    assert_string_equal(husk_json_str(c.config, "Config.Image"), "husk/base:1.0");
    husk_container_free(&c);

    /* never started: Go zero StartedAt */
    const char *created = "{\"State\":{\"Running\":false,\"StartedAt\":\"0001-01-01T00:00:00Z\"},"
                          "\"Name\":\"/fresh\"}";
    const char *dir = "2d4f419dcc2ab4bbed207cdcf262a02b7ae35eb3797a7d32ca99d9a20ad075ff";
    assert_int_equal(husk_container_parse(dir, created, strlen(created), NULL, 0,
                                          &HUSK_PROV_LIVE, &c, &e),
                     0);
    assert_string_equal(c.state, "created");
    assert_string_equal(c.id, dir); /* the directory names it when the config does not */
    husk_container_free(&c);
}

static void test_damaged_config_keeps_container(void **state)
{
    (void)state;
    husk_container c;
    husk_err e = {0};
    const char *dir = "2d4f419dcc2ab4bbed207cdcf262a02b7ae35eb3797a7d32ca99d9a20ad075ff";
    const char *bad = "{\"State\":{\"Running\":tr";
    const char *hc = "{\"Privileged\":true}";
    assert_int_equal(
        husk_container_parse(dir, bad, strlen(bad), hc, strlen(hc), &HUSK_PROV_LIVE, &c, &e), 0);
    assert_int_equal(e.code, HUSK_E_FORMAT); /* reported ... */
    assert_string_equal(c.id, dir);          /* ... and the container kept */
    assert_non_null(c.hostconfig);
    assert_non_null(c.config_raw);
    husk_container_free(&c);
    /* neither a valid ID in the config nor a directory name: refused */
    assert_true(husk_container_parse("../../etc", bad, strlen(bad), NULL, 0, &HUSK_PROV_LIVE, &c,
                                     &e) < 0);
    husk_container_free(&c);
}

static void test_container_row_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/husk-docker-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c.db", dir);
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 0, &db, &e), 0);
    husk_row_container r = {
        .id = "id", .name = "n", .image_id = "img", .image_ref = "ref", .created = "c",
        .started_at = "s", .finished_at = "f", .state = "exited", .exit_code = 3, .pid = 0,
        .restart_count = 2, .driver = "overlay2", .rw_layer = "rw", .path = "/bin/sh",
        .args = "[]", .entrypoint = "[\"e\"]", .cmd = "[\"c\"]", .env = "[\"A=1\"]", .user = "u",
        .working_dir = "/w", .labels = "{}", .log_driver = "local", .privileged = 1,
        .pid_mode = "host", .ipc_mode = "ipc", .network_mode = "none", .userns_mode = "userns",
        .cgroupns_mode = "cg", .uts_mode = "uts", .cap_add = "[\"SYS_ADMIN\"]",
        .cap_drop = "[\"NET_RAW\"]", .security_opt = "[\"seccomp=unconfined\"]",
        .devices = "[]", .masked_paths = "[]", .readonly_rootfs = 0, .binds = "[\"/:/host\"]",
        .config_json = "{}", .hostconfig_json = "{}", .recovered_from = "live",
        .confidence = 0.5, .data_root_id = 7};
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    assert_int_equal(husk_casedb_add_container(db, &r, &e), 0);
    assert_int_equal(husk_casedb_commit(db, &e), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT exit_code, restart_count, log_driver, privileged, "
                                        "masked_paths, readonly_rootfs, confidence, data_root_id, "
                                        "cap_add, uts_mode, binds FROM containers",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 3);
    assert_int_equal(sqlite3_column_int(st, 1), 2);
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "local");
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 4), "[]");
    assert_int_equal(sqlite3_column_int(st, 5), 0);
    assert_true(sqlite3_column_double(st, 6) == 0.5);
    assert_int_equal(sqlite3_column_int(st, 7), 7);
    assert_string_equal((const char *)sqlite3_column_text(st, 8), "[\"SYS_ADMIN\"]");
    assert_string_equal((const char *)sqlite3_column_text(st, 9), "uts");
    assert_string_equal((const char *)sqlite3_column_text(st, 10), "[\"/:/host\"]");
    sqlite3_finalize(st);
    husk_casedb_close(db);
    unlink(path);
    rmdir(dir);
}


/* Field changes across Docker versions (formats.md 3.3): the parser keys on names, so old
 * and new layouts give the same columns; what a version lacks stays NULL, not a guess. */
static void test_versions(void **state)
{
    (void)state;
    husk_container c;
    husk_err e = {0};
    /* 17.06: no OS, no CgroupnsMode, no MaskedPaths, State without Health */
    const char *cfg1706 =
        "{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":false,\"Restarting\":"
        "false,\"OOMKilled\":false,\"RemovalInProgress\":false,\"Dead\":false,\"Pid\":42,"
        "\"ExitCode\":0,\"Error\":\"\",\"StartedAt\":\"2017-07-01T10:00:00.123456789Z\","
        "\"FinishedAt\":\"0001-01-01T00:00:00Z\"},\"ID\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"Created\":"
        "\"2017-07-01T09:59:59.5Z\",\"Path\":\"nginx\",\"Args\":[],\"Config\":{\"Image\":"
        "\"nginx\"},\"Image\":\"sha256:11\",\"Name\":\"/old\",\"Driver\":\"aufs\","
        "\"MountPoints\":{\"/data\":{\"Source\":\"\",\"Destination\":\"/data\",\"RW\":true,"
        "\"Name\":\"v\",\"Driver\":\"local\",\"Relabel\":\"\",\"Propagation\":\"\"}}}";
    const char *hc1706 = "{\"Binds\":null,\"LogConfig\":{\"Type\":\"json-file\"},"
                         "\"Privileged\":false,\"DiskQuota\":0}";
    assert_int_equal(husk_container_parse(NULL, cfg1706, strlen(cfg1706), hc1706, strlen(hc1706),
                                          &HUSK_PROV_LIVE, &c, &e),
                     0);
    assert_string_equal(c.state, "running");
    assert_string_equal(c.driver, "aufs");
    assert_null(husk_json_str(c.hostconfig, "CgroupnsMode"));
    assert_null(husk_json_get(c.hostconfig, "MaskedPaths"));
    husk_container_free(&c);

    /* 29 on the containerd image store: Driver is the snapshotter, Image a manifest digest,
     * reduced NetworkSettings, ImagePlatform present; paused and restarting states */
    const char *cfg29 =
        "{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":true,\"Restarting\":"
        "false,\"Dead\":false,\"Pid\":7,\"ExitCode\":0,\"StartedAt\":"
        "\"2026-01-01T00:00:00Z\",\"FinishedAt\":\"0001-01-01T00:00:00Z\"},\"ID\":"
        "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"Image\":"
        "\"sha256:index\",\"ImagePlatform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
        "\"Name\":\"/new\",\"Driver\":\"overlayfs\",\"NetworkSettings\":{\"SandboxID\":\"\"}}";
    assert_int_equal(husk_container_parse(NULL, cfg29, strlen(cfg29), NULL, 0, &HUSK_PROV_LIVE,
                                          &c, &e),
                     0);
    assert_string_equal(c.state, "paused");
    assert_string_equal(c.driver, "overlayfs");
    assert_string_equal(c.log_driver, ""); /* no hostconfig.json: unknown, not guessed */
    husk_container_free(&c);
    const char *restarting = "{\"State\":{\"Running\":true,\"Restarting\":true},\"ID\":"
                             "\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}";
    husk_container_parse(NULL, restarting, strlen(restarting), NULL, 0, &HUSK_PROV_LIVE, &c, &e);
    assert_string_equal(c.state, "restarting");
    husk_container_free(&c);
    const char *dead = "{\"State\":{\"Running\":false,\"Dead\":true,\"StartedAt\":"
                       "\"2026-01-01T00:00:00Z\"},\"ID\":"
                       "\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\"}";
    husk_container_parse(NULL, dead, strlen(dead), NULL, 0, &HUSK_PROV_LIVE, &c, &e);
    assert_string_equal(c.state, "dead");
    husk_container_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_parse_and_state),
        cmocka_unit_test(test_damaged_config_keeps_container),
        cmocka_unit_test(test_container_row_roundtrip),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests_name("docker", tests, NULL, NULL);
}
