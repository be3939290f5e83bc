/* Unit tests of the findings rules (src/analysis/findings*.c) and the timeline
 * (src/casedb/timeline.c): the pure helpers (capability names, host-path sensitivity, running
 * windows, passwd parsing), then the container and upper-layer rules end to end on a small
 * case database written through the row writers, without evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/analysis/findings_int.h"
#include "husk/casedb.h"
#include "husk/findings.h"

static void test_cap_normalise(void **state)
{
    (void)state;
    char out[64];
    static const char *same[] = {"SYS_ADMIN", "CAP_SYS_ADMIN", "cap_sys_admin", " sys_admin ",
                                 "Cap_Sys_Admin"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(husk_cap_normalise(same[i], out, sizeof out), 0);
        assert_string_equal(out, "SYS_ADMIN");
    }
    assert_int_equal(husk_cap_normalise("all", out, sizeof out), 0);
    assert_string_equal(out, "ALL");
    assert_int_equal(husk_cap_normalise("CAP_", out, sizeof out), 0); /* a name "CAP_" */
    assert_int_equal(husk_cap_normalise("", out, sizeof out), -1);
    assert_int_equal(husk_cap_normalise("SYS ADMIN", out, sizeof out), -1);
    assert_int_equal(husk_cap_normalise("SYS_ADMIN;rm", out, sizeof out), -1);
    assert_int_equal(husk_cap_normalise("SYS_ADMIN", out, 4), -1); /* does not fit */
    assert_int_equal(husk_cap_normalise(NULL, out, sizeof out), -1);
}

static void test_path_clean(void **state)
{
    (void)state;
    char out[64];
    static const char *cases[][2] = {
        {"/", "/"},
        {"//", "/"},
        {"/var/run/docker.sock/", "/var/run/docker.sock"},
        {"/var//run/./docker.sock", "/var/run/docker.sock"},
        {"/etc/../", "/"},
        {"/../../etc", "/etc"},
        {"/a/b/../c", "/a/c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(husk_path_clean(cases[i][0], out, sizeof out), 0);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(husk_path_clean("etc", out, sizeof out), -1);
    assert_int_equal(husk_path_clean("", out, sizeof out), -1);
    assert_int_equal(
        husk_path_clean("/a-rather-long-component/and-another-one/and-a-third", out, 16), -1);
    assert_true(husk_path_under("/etc/cron.d/evil", "/etc"));
    assert_true(husk_path_under("/etc", "/etc"));
    assert_true(husk_path_under("/etc/passwd", "/"));
    assert_false(husk_path_under("/etcetera", "/etc"));
    assert_false(husk_path_under("/et", "/etc"));
}

static void test_mount_classify(void **state)
{
    (void)state;
    const char *what;
    assert_int_equal(husk_mount_classify("/", &what), HUSK_MNT_HOST_ROOT);
    assert_int_equal(husk_mount_classify("//.", &what), HUSK_MNT_HOST_ROOT);
    assert_int_equal(husk_mount_classify("/var/run/docker.sock", &what), HUSK_MNT_DOCKER_SOCK);
    assert_int_equal(husk_mount_classify("/run/docker.sock", &what), HUSK_MNT_DOCKER_SOCK);
    assert_int_equal(husk_mount_classify("/home/u/.docker/run/docker.sock", &what),
                     HUSK_MNT_DOCKER_SOCK);
    assert_int_equal(husk_mount_classify("/var/run", &what), HUSK_MNT_DOCKER_SOCK);
    assert_string_equal(what, "/var/run");
    assert_int_equal(husk_mount_classify("/run/containerd/containerd.sock", &what),
                     HUSK_MNT_CONTAINERD_SOCK);
    assert_int_equal(husk_mount_classify("/run/containerd", &what), HUSK_MNT_CONTAINERD_SOCK);
    assert_int_equal(husk_mount_classify("/var/run/crio/crio.sock", &what), HUSK_MNT_CRIO_SOCK);
    /* whole sensitive trees and everything below the subtree ones */
    static const char *sensitive[] = {"/etc",
                                      "/etc/",
                                      "/root",
                                      "/root/.ssh",
                                      "/proc",
                                      "/proc/sys",
                                      "/sys/fs/cgroup",
                                      "/dev",
                                      "/var/lib/docker",
                                      "/var/lib/docker/overlay2",
                                      "/var/lib/kubelet/pods",
                                      "/etc/kubernetes/manifests",
                                      "/boot",
                                      "/lib/modules",
                                      "/home",
                                      "/etc/sudoers.d",
                                      "/dev/sda1",
                                      "/dev/nvme0n1",
                                      "/dev/mapper/vg-root"};
    for (size_t i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++)
        if (husk_mount_classify(sensitive[i], &what) != HUSK_MNT_SENSITIVE)
            fail_msg("%s should be sensitive", sensitive[i]);
    assert_int_equal(husk_mount_classify("/etc/../etc/", &what), HUSK_MNT_SENSITIVE);
    assert_string_equal(what, "/etc");
    /* common and harmless: a config subdirectory, a project, a share, a volume name */
    static const char *benign[] = {"/etc/nginx/conf.d",
                                   "/home/dev/project",
                                   "/srv/share",
                                   "/opt/app/data",
                                   "/etc/localtime",
                                   "/var/log/app",
                                   "/dev/log",
                                   "data",
                                   ""};
    for (size_t i = 0; i < sizeof benign / sizeof benign[0]; i++)
        if (husk_mount_classify(benign[i], &what) != HUSK_MNT_NONE)
            fail_msg("%s should not be flagged", benign[i]);
    assert_int_equal(husk_mount_classify(NULL, &what), HUSK_MNT_NONE);
    assert_true(husk_dev_is_raw("/dev/sda"));
    assert_true(husk_dev_is_raw("/dev/mem"));
    assert_true(husk_dev_is_raw("/dev/kmsg"));
    assert_false(husk_dev_is_raw("/dev/fuse"));
    assert_false(husk_dev_is_raw("/dev/net/tun"));
}

static int64_t T(const char *s)
{
    int64_t ns;
    assert_int_equal(husk_time_parse_ns(s, &ns), 0);
    return ns;
}

static void test_time_parse(void **state)
{
    (void)state;
    assert_int_equal(T("1970-01-01T00:00:00.000000000Z"), 0);
    assert_int_equal(T("1970-01-01T00:00:01.5Z"), 1500000000);
    assert_int_equal(T("2026-11-30T02:08:52.078661795Z"), 1796004532078661795LL);
    int64_t ns;
    assert_int_equal(husk_time_parse_ns("2026-11-30T02:08:52+01:00", &ns), -1);
    assert_int_equal(husk_time_parse_ns("2026-11-30 02:08:52Z", &ns), -1);
    assert_int_equal(husk_time_parse_ns("2026-13-30T02:08:52Z", &ns), -1);
    assert_int_equal(husk_time_parse_ns("2026-11-30T02:08:52.Z", &ns), -1);
    assert_int_equal(husk_time_parse_ns(NULL, &ns), -1);
    /* years int64 nanoseconds cannot hold are clamped, never wrapped (UBSan watches) */
    int64_t big = T("9999-12-31T23:59:59.999999999Z"), small = T("0001-01-01T00:00:00Z");
    assert_true(big > T("2261-01-01T00:00:00Z"));
    assert_true(small < T("1678-01-01T00:00:00Z"));
    husk_window w;
    husk_window_of("0001-01-01T00:00:00Z", "0001-01-01T00:00:01Z", "9999-12-31T23:59:59.999999999Z",
                   "exited", 3, &w);
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:52Z")));
    char buf[40];
    husk_time_format_ns(T("2026-11-30T02:08:52.078661795Z"), buf, sizeof buf);
    assert_string_equal(buf, "2026-11-30T02:08:52.078661795Z");
    husk_time_format_ns(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
}

static void test_window(void **state)
{
    (void)state;
    husk_window w;
    const char *cr = "2026-11-30T02:08:10.000000000Z";
    const char *st = "2026-11-30T02:08:13.000000000Z";
    const char *fin = "2026-11-30T02:08:20.000000000Z";
    /* exited: [started - slack, finished + slack] */
    husk_window_of(cr, st, fin, "exited", 0, &w);
    assert_true(w.valid);
    assert_false(w.open_end);
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:15Z")));
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:12.5Z"))); /* before StartedAt */
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:11.9Z")));
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:20.9Z")));
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:21.1Z")));
    /* running: open until the image was taken, whatever FinishedAt says (an earlier run) */
    husk_window_of(cr, st, "2026-11-30T02:08:11.000000000Z", "running", 0, &w);
    assert_true(w.open_end);
    assert_true(husk_window_contains(&w, T("2030-01-01T00:00:00Z")));
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:11.5Z")));
    /* exited without a finish time: open */
    husk_window_of(cr, st, NULL, "exited", 0, &w);
    assert_true(w.open_end);
    /* FinishedAt before StartedAt on a short-lived container (seen on real nodes) */
    husk_window_of(cr, st, "2026-11-30T02:08:12.990000000Z", "exited", 0, &w);
    assert_false(w.open_end);
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:13.5Z")));
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:14.5Z")));
    /* restarted: earlier runs since created count */
    husk_window_of(cr, st, fin, "exited", 2, &w);
    assert_true(husk_window_contains(&w, T("2026-11-30T02:08:10.5Z")));
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:09.5Z")));
    /* nothing runs before created, slack or not */
    husk_window_of("2026-11-30T02:08:12.800000000Z", st, fin, "exited", 0, &w);
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:12.5Z")));
    /* never started: no window */
    husk_window_of(cr, NULL, NULL, "created", 0, &w);
    assert_false(w.valid);
    assert_false(husk_window_contains(&w, T("2026-11-30T02:08:15Z")));
}

static void test_passwd_uid0(void **state)
{
    (void)state;
    char names[128];
    const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
                     "daemon:x:1:1::/:/usr/sbin/nologin\n"
                     "svc-backup:x:0:0:backup service:/root:/bin/sh\n"
                     "toor:x:00:0::/root:/bin/sh\n" /* "00" is not how anyone writes uid 0 */
                     "# comment:x:0:0\n"
                     "debug:x:0:0:debug:/root:/bin/sh";
    assert_int_equal(passwd_extra_uid0(pw, strlen(pw), names, sizeof names), 2);
    assert_string_equal(names, "svc-backup, debug");
    const char *clean = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/u:/bin/sh\n";
    assert_int_equal(passwd_extra_uid0(clean, strlen(clean), names, sizeof names), 0);
    assert_string_equal(names, "");
    assert_int_equal(passwd_extra_uid0("x:y", 3, names, sizeof names), 0);
}

static void test_rule_table(void **state)
{
    (void)state;
    size_t n = husk_findings_rule_count();
    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        const char *id = husk_findings_rule_id(i);
        assert_non_null(id);
        assert_true(husk_severity_rank(husk_findings_rule_severity(i)) <= 4);
        for (size_t j = 0; j < i; j++)
            if (strcmp(id, husk_findings_rule_id(j)) == 0)
                fail_msg("rule id %s twice", id);
    }
    assert_null(husk_findings_rule_id(n));
}

/* ------------------------------------------------------------------ end to end */

static char dir[] = "/tmp/husk-findings-XXXXXX";
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

#define ID_BAD "1111111111111111111111111111111111111111111111111111111111111111"
#define ID_OK "2222222222222222222222222222222222222222222222222222222222222222"
#define ID_PRIV "3333333333333333333333333333333333333333333333333333333333333333"

static void add_container(husk_casedb *db, const char *id, const char *name, int64_t priv,
                          const char *hc, const char *cfg)
{
    husk_err e = {0};
    husk_row_container r = {.id = id,
                            .name = name,
                            .created = "2026-11-30T02:08:10.000000000Z",
                            .started_at = "2026-11-30T02:08:13.000000000Z",
                            .state = "running",
                            .exit_code = HUSK_NULL_INT,
                            .pid = HUSK_NULL_INT,
                            .restart_count = 0,
                            .privileged = priv,
                            .readonly_rootfs = 0,
                            .hostconfig_json = hc,
                            .config_json = cfg,
                            .recovered_from = "live",
                            .confidence = 1.0,
                            .data_root_id = 1};
    assert_int_equal(husk_casedb_add_container(db, &r, &e), 0);
}

static void add_mount(husk_casedb *db, const char *id, const char *src, const char *dst, int rw)
{
    husk_err e = {0};
    husk_row_mount m = {id, "bind", src, dst, rw, NULL, NULL};
    assert_int_equal(husk_casedb_add_mount(db, &m, &e), 0);
}

static void add_upper(husk_casedb *db, const char *id, const char *p, const char *change,
                      const char *type, int64_t mode, const char *target)
{
    husk_err e = {0};
    husk_row_file f = {.container_id = id,
                       .scope = "upper",
                       .path = p,
                       .change = change,
                       .type = type,
                       .mode = mode,
                       .uid = 0,
                       .gid = 0,
                       .size = 10,
                       .mtime = "2026-11-30T02:08:14.000000000Z",
                       .inode = HUSK_NULL_INT,
                       .link_target = target,
                       .recovered_from = "live",
                       .confidence = 1.0,
                       .filesystem_id = HUSK_NULL_INT};
    assert_int_equal(husk_casedb_add_file(db, &f, NULL, &e), 0);
}

/* Number of findings of rule (for container id, or any when NULL) with the given severity
 * (any when NULL). */
static int count(husk_casedb *db, const char *rule, const char *id, const char *sev)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT count(*) FROM findings WHERE rule = ?1 AND "
                                        "(?2 IS NULL OR container_id = ?2) AND "
                                        "(?3 IS NULL OR severity = ?3)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
    if (id)
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sev)
        sqlite3_bind_text(st, 3, sev, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_rules_end_to_end(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    add_container(db, ID_BAD, "bad", 0,
                  "{\"CapAdd\":[\"cap_sys_admin\",\"CAP_SYS_MODULE\",\"Net_Admin\"],"
                  "\"PidMode\":\"host\",\"IpcMode\":\"host\",\"NetworkMode\":\"host\","
                  "\"UTSMode\":\"host\",\"UsernsMode\":\"host\",\"CgroupnsMode\":\"private\","
                  "\"SecurityOpt\":[\"apparmor:unconfined\",\"label=type:spc_t\","
                  "\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\"}\"],"
                  "\"MaskedPaths\":[],\"ReadonlyPaths\":[],"
                  "\"Devices\":[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\","
                  "\"CgroupPermissions\":\"rwm\"}]}",
                  "{\"WritableCgroups\":true}");
    add_mount(db, ID_BAD, "/run/containerd/containerd.sock", "/c.sock", 1);
    add_mount(db, ID_BAD, "/var/lib/kubelet/", "/kubelet", 0);
    add_mount(db, ID_BAD, "/etc", "/host-etc", 1);
    /* an ordinary container: defaults, a harmless bind and a device that is not a disk */
    add_container(db, ID_OK, "ok", 0,
                  "{\"CapAdd\":null,\"PidMode\":\"\",\"CgroupnsMode\":\"host\","
                  "\"MaskedPaths\":[\"/proc/kcore\"],\"SecurityOpt\":null,"
                  "\"Devices\":[{\"PathOnHost\":\"/dev/fuse\"}]}",
                  "{\"AppArmorProfile\":\"docker-default\"}");
    add_mount(db, ID_OK, "/srv/share", "/share", 0);
    add_container(db, ID_PRIV, "priv", 1,
                  "{\"Privileged\":true,\"MaskedPaths\":null,\"SecurityOpt\":[\"label=disable\"]}",
                  "{\"AppArmorProfile\":\"unconfined\"}");
    add_upper(db, ID_OK, "/tmp/.cache/kworkerd", "A", "file", 0100755, NULL);
    add_upper(db, ID_OK, "/tmp/notes.txt", "A", "file", 0100644, NULL);
    add_upper(db, ID_OK, "/usr/local/bin/kworkerd", "A", "symlink", 0120777, "../../../tmp/x");
    add_upper(db, ID_OK, "/usr/local/bin/tool", "A", "symlink", 0120777, "/opt/tool");
    add_upper(db, ID_OK, "/root/.ash_history", "A", "file", 0100600, NULL);
    add_upper(db, ID_OK, "/opt/linpeas.sh", "A", "file", 0100755, NULL);
    add_upper(db, ID_OK, "/opt/cdk_linux_amd64", "A", "file", 0100755, NULL);
    add_upper(db, ID_OK, "/usr/bin/xmrig", "A", "file", 0100755, NULL);
    add_upper(db, ID_OK, "/usr/bin/ps", "D", "whiteout", 020000, NULL);
    add_upper(db, ID_OK, "/usr/share/doc/README", "D", "whiteout", 020000, NULL);
    add_upper(db, ID_OK, "/srv/www/x.php", "A", "file", 0100644, NULL);
    add_upper(db, ID_OK, "/srv/www/index.html", "A", "file", 0100644, NULL);
    husk_node node = {0};
    assert_int_equal(husk_findings_run(db, &node, NULL, &e), 0);

    static const struct {
        const char *rule, *id, *sev;
        int n;
    } want[] = {
        {"cap-sys-admin", ID_BAD, "high", 1},
        {"cap-sys-module", ID_BAD, "critical", 1},
        {"cap-net-admin", ID_BAD, "medium", 1},
        {"cap-all", NULL, NULL, 0},
        {"host-pid", ID_BAD, "high", 1},
        {"host-ipc", ID_BAD, NULL, 1},
        {"host-network", ID_BAD, NULL, 1},
        {"host-uts", ID_BAD, "low", 1},
        {"host-userns", ID_BAD, NULL, 1},
        {"host-cgroupns", ID_BAD, NULL, 0},
        {"host-cgroupns", ID_OK, "low", 1},
        {"apparmor-unconfined", ID_BAD, "high", 1},
        {"selinux-disabled", ID_BAD, NULL, 1},
        {"seccomp-unconfined", ID_BAD, NULL, 1},
        {"masked-paths-disabled", ID_BAD, NULL, 1},
        {"masked-paths-disabled", ID_PRIV, NULL, 0}, /* null on privileged is the default */
        {"writable-cgroups", ID_BAD, NULL, 1},
        {"host-devices", ID_BAD, "high", 1},
        {"host-devices", ID_OK, "low", 1},
        {"containerd-socket-mount", ID_BAD, "critical", 1},
        {"sensitive-host-mount", ID_BAD, "medium", 1}, /* /var/lib/kubelet read-only */
        {"sensitive-host-mount", ID_BAD, "high", 1},   /* /etc read-write */
        {"sensitive-host-mount", ID_OK, NULL, 0},
        {"privileged", ID_PRIV, "critical", 1},
        {"privileged", ID_BAD, NULL, 0},
        {"apparmor-unconfined", ID_PRIV, NULL, 0}, /* the privileged finding says it */
        {"exec-in-tmp", ID_OK, "high", 1},
        {"bin-link-to-tmp", ID_OK, "high", 1},
        {"shell-history", ID_OK, "medium", 1},
        {"escape-tooling", ID_OK, NULL, 2},
        {"cryptominer", ID_OK, NULL, 1},
        {"security-tool-removed", ID_OK, NULL, 1},
        {"web-shell", ID_OK, "high", 1}, /* a new .php in a web root, content unreadable */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int n = count(db, want[i].rule, want[i].id, want[i].sev);
        if (n != want[i].n)
            fail_msg("%s on %s (%s): %d findings, want %d", want[i].rule,
                     want[i].id ? want[i].id : "any", want[i].sev ? want[i].sev : "any", n,
                     want[i].n);
    }
    /* the ordinary container's configuration raises nothing above low */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT count(*) FROM findings WHERE container_id = ?1 "
                                        "AND severity IN ('critical','high','medium') AND "
                                        "rule NOT IN ('exec-in-tmp','bin-link-to-tmp',"
                                        "'shell-history','escape-tooling','cryptominer',"
                                        "'security-tool-removed','web-shell')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, ID_OK, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    /* evidence names the value as found and the container */
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT evidence FROM findings WHERE rule = "
                                        "'cap-sys-admin'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "HostConfig.CapAdd contains cap_sys_admin (hostconfig.json of /bad)");
    sqlite3_finalize(st);
    assert_int_equal(husk_casedb_commit(db, &e), 0);
    husk_casedb_close(db);
}

static void test_evidence_escaped(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    add_container(db, ID_BAD, "evil\n\x1b[2Jname", 0, "{\"PidMode\":\"host\"}", NULL);
    husk_node node = {0};
    assert_int_equal(husk_findings_run(db, &node, NULL, &e), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db),
                                        "SELECT evidence FROM findings WHERE rule = 'host-pid'", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *ev = (const char *)sqlite3_column_text(st, 0);
    assert_null(strchr(ev, '\n'));
    assert_null(strchr(ev, '\x1b'));
    assert_non_null(strstr(ev, "evil\\x0a\\x1b[2Jname"));
    sqlite3_finalize(st);
    husk_casedb_close(db);
}

static void test_timeline(void **state)
{
    (void)state;
    husk_casedb *db;
    husk_err e = {0};
    assert_int_equal(husk_casedb_create(path, 1, &db, &e), 0);
    assert_int_equal(husk_casedb_begin(db, &e), 0);
    husk_row_container r = {.id = ID_OK,
                            .name = "ok",
                            .image_ref = "husk/web:2.3",
                            .created = "2026-11-30T02:08:10.000000000Z",
                            .started_at = "2026-11-30T02:08:13.000000000Z",
                            .finished_at = "2026-11-30T02:08:20.000000000Z",
                            .state = "exited",
                            .exit_code = 3,
                            .pid = HUSK_NULL_INT,
                            .restart_count = 0,
                            .privileged = 0,
                            .readonly_rootfs = 0,
                            .confidence = 1.0};
    assert_int_equal(husk_casedb_add_container(db, &r, &e), 0);
    husk_row_image im = {.id = "sha256:aa",
                         .repo_tags = "[\"husk/web:2.3\"]",
                         .created = "2026-11-30T01:00:00.000000000Z",
                         .size = HUSK_NULL_INT,
                         .digest_ok = 1,
                         .data_root_id = 1};
    assert_int_equal(husk_casedb_add_image(db, &im, &e), 0);
    husk_row_image bad = {.id = "sha256:bb",
                          .repo_tags = "not json",
                          .created = "2026-11-30T01:00:01.000000000Z",
                          .size = HUSK_NULL_INT,
                          .digest_ok = 1,
                          .data_root_id = 1};
    assert_int_equal(husk_casedb_add_image(db, &bad, &e), 0);
    husk_row_history h = {
        "sha256:aa", 0, "2026-11-30T00:59:00.000000000Z", "/bin/sh -c x", 0, NULL, 0, NULL};
    assert_int_equal(husk_casedb_add_history(db, &h, &e), 0);
    add_upper(db, ID_OK, "/tmp/x", "A", "file", 0100644, NULL);
    husk_row_log l1 = {ID_OK,    "json-file", "/x.log", 1, "2026-11-30T02:08:14.000000000Z",
                       "stdout", "hello",     5,        0, "live"};
    husk_row_log l2 = {ID_OK,    "json-file", "/x.log", 2, "2026-11-30T02:08:15.000000000Z",
                       "stdout", "a\0b",      3,        0, "live"};
    assert_int_equal(husk_casedb_add_log(db, &l1, &e), 0);
    assert_int_equal(husk_casedb_add_log(db, &l2, &e), 0);
    assert_int_equal(husk_timeline_build(db, &e), 0);
    static const char *q[][2] = {
        {"SELECT count(*) FROM timeline WHERE source='container'", "3"},
        {"SELECT description FROM timeline WHERE kind='finished'",
         "container ok finished (exit code 3)"},
        {"SELECT description FROM timeline WHERE kind='created' AND source='image' ORDER BY "
         "time LIMIT 1",
         "image husk/web:2.3 created"},
        {"SELECT description FROM timeline WHERE kind='created' AND source='image' ORDER BY "
         "time DESC LIMIT 1",
         "image sha256:bb created"},
        {"SELECT count(*) FROM timeline WHERE source='image-history'", "1"},
        {"SELECT kind || ' ' || source || ' ' || path FROM timeline WHERE kind='mtime'",
         "mtime upper /tmp/x"},
        {"SELECT group_concat(description, '|') FROM (SELECT description FROM timeline WHERE "
         "kind='log' ORDER BY time)",
         "hello|(binary)"},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(husk_casedb_sqlite(db), q[i][0], -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *got = (const char *)sqlite3_column_text(st, 0);
        if (!got || strcmp(got, q[i][1]) != 0)
            fail_msg("%s: got [%s], want [%s]", q[i][0], got ? got : "(null)", q[i][1]);
        sqlite3_finalize(st);
    }
    husk_casedb_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_normalise),    cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_mount_classify),   cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_window),           cmocka_unit_test(test_passwd_uid0),
        cmocka_unit_test(test_rule_table),       cmocka_unit_test(test_rules_end_to_end),
        cmocka_unit_test(test_evidence_escaped), cmocka_unit_test(test_timeline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
