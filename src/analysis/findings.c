/*
 * The findings engine and its rule table (include/husk/findings.h).
 *
 * The table below is the whole list of rules. Each entry names the kind of object it looks at
 * by the check it sets (on_container, on_upper or on_host); the engine loads every container,
 * every upper-layer file and every host persistence file once and offers it to each rule of
 * that kind. Adding a rule is one entry and, unless an existing check fits through its arg,
 * one function in the family's file.
 *
 * Reads go through the analysis's own connection (the rows were written in the same
 * transaction); writes go only through the case database's row writers.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings_int.h"
#include "husk/recover.h"
#include "husk/escape.h"
#include "husk/strbuf.h"

/* The mount kind each mount rule looks for. */
static const husk_mount_kind MK_ROOT = HUSK_MNT_HOST_ROOT, MK_DOCKER = HUSK_MNT_DOCKER_SOCK,
                             MK_CONTAINERD = HUSK_MNT_CONTAINERD_SOCK, MK_CRIO = HUSK_MNT_CRIO_SOCK,
                             MK_SENSITIVE = HUSK_MNT_SENSITIVE;

/* Each entry: id, severity, weak severity (NULL: the rule has no weak form), title, then the
 * one check that sets the object kind (container, upper-layer file, host file), then arg. */
static const frule rules[] = {
    /* --- container configuration (containers and mounts rows, hostconfig.json, config.v2.json) */

    /* All capabilities, every host device, no seccomp/AppArmor/masked paths: root on the host
     * is one mount or one device write away. */
    {"privileged", "critical", NULL, "Container runs privileged", rule_privileged, NULL, NULL,
     NULL},
    /* --cap-add ALL is --privileged minus devices and LSM relaxations. */
    {"cap-all", "critical", NULL, "All capabilities added", rule_cap, NULL, NULL, "ALL"},
    /* mount(2), cgroup release_agent, bpf, namespaces: the classic escape capability. */
    {"cap-sys-admin", "high", NULL, "CAP_SYS_ADMIN added", rule_cap, NULL, NULL, "SYS_ADMIN"},
    /* Loading a kernel module is code in the host kernel. */
    {"cap-sys-module", "critical", NULL, "CAP_SYS_MODULE added", rule_cap, NULL, NULL,
     "SYS_MODULE"},
    /* ptrace of other processes; with the host PID namespace, of host processes. */
    {"cap-sys-ptrace", "high", NULL, "CAP_SYS_PTRACE added", rule_cap, NULL, NULL, "SYS_PTRACE"},
    /* open_by_handle_at(2) reads any host file by handle ("shocker"). */
    {"cap-dac-read-search", "high", NULL, "CAP_DAC_READ_SEARCH added", rule_cap, NULL, NULL,
     "DAC_READ_SEARCH"},
    /* ioperm/iopl and raw device I/O. */
    {"cap-sys-rawio", "high", NULL, "CAP_SYS_RAWIO added", rule_cap, NULL, NULL, "SYS_RAWIO"},
    /* eBPF programs read kernel memory and hook the host's syscalls. */
    {"cap-bpf", "high", NULL, "CAP_BPF added", rule_cap, NULL, NULL, "BPF"},
    /* Changing or bypassing the LSM policy that confines the container. */
    {"cap-mac-admin", "high", NULL, "CAP_MAC_ADMIN added", rule_cap, NULL, NULL, "MAC_ADMIN"},
    {"cap-mac-override", "high", NULL, "CAP_MAC_OVERRIDE added", rule_cap, NULL, NULL,
     "MAC_OVERRIDE"},
    /* Network configuration of the namespace (of the host's with --network host): sniffing,
     * routes, firewall rules. */
    {"cap-net-admin", "medium", NULL, "CAP_NET_ADMIN added", rule_cap, NULL, NULL, "NET_ADMIN"},
    /* Kernel facilities that are not namespaced: the host clock, reboot, the kernel log and
     * its addresses, performance counters, audit, process checkpointing. */
    {"cap-sys-time", "medium", NULL, "CAP_SYS_TIME added", rule_cap, NULL, NULL, "SYS_TIME"},
    {"cap-sys-boot", "medium", NULL, "CAP_SYS_BOOT added", rule_cap, NULL, NULL, "SYS_BOOT"},
    {"cap-syslog", "medium", NULL, "CAP_SYSLOG added", rule_cap, NULL, NULL, "SYSLOG"},
    {"cap-perfmon", "medium", NULL, "CAP_PERFMON added", rule_cap, NULL, NULL, "PERFMON"},
    {"cap-audit-control", "medium", NULL, "CAP_AUDIT_CONTROL added", rule_cap, NULL, NULL,
     "AUDIT_CONTROL"},
    {"cap-checkpoint-restore", "medium", NULL, "CAP_CHECKPOINT_RESTORE added", rule_cap, NULL, NULL,
     "CHECKPOINT_RESTORE"},
    /* Host PID namespace: sees and signals host processes, /proc/1/root is the host's root,
     * nsenter -t 1 enters the host. */
    {"host-pid", "high", NULL, "Host PID namespace", rule_host_ns, NULL, NULL, "PidMode"},
    /* Host IPC: shared memory and semaphores of host processes. */
    {"host-ipc", "medium", NULL, "Host IPC namespace", rule_host_ns, NULL, NULL, "IpcMode"},
    /* Host network: host-only services (kubelet, metadata, 127.0.0.1 daemons), sniffing. */
    {"host-network", "medium", NULL, "Host network namespace", rule_host_ns, NULL, NULL,
     "NetworkMode"},
    /* Opting out of a daemon-wide user-namespace remap: root in the container is host root. */
    {"host-userns", "medium", NULL, "Host user namespace (userns-remap disabled)", rule_host_ns,
     NULL, NULL, "UsernsMode"},
    /* Host UTS: can change the node's host name. */
    {"host-uts", "low", NULL, "Host UTS namespace", rule_host_ns, NULL, NULL, "UTSMode"},
    /* Host cgroup namespace: the host's cgroup paths are visible. Docker's default on cgroup
     * v1 hosts, hence low. */
    {"host-cgroupns", "low", NULL, "Host cgroup namespace", rule_host_ns, NULL, NULL,
     "CgroupnsMode"},
    /* The runtime API socket is root on the node: start a privileged container with / mounted
     * (formats.md 9.B). */
    {"docker-socket-mount", "critical", NULL, "Docker API socket mounted into the container",
     rule_mount_kind, NULL, NULL, &MK_DOCKER},
    {"containerd-socket-mount", "critical", NULL, "containerd socket mounted into the container",
     rule_mount_kind, NULL, NULL, &MK_CONTAINERD},
    {"crio-socket-mount", "critical", NULL, "CRI-O socket mounted into the container",
     rule_mount_kind, NULL, NULL, &MK_CRIO},
    /* The host's whole file system (read-only still exposes /etc/shadow, credentials and the
     * runtime sockets, which accept connections on a read-only mount). */
    {"host-root-mount", "critical", NULL, "Host root file system mounted into the container",
     rule_mount_kind, NULL, NULL, &MK_ROOT},
    /* Kubernetes service-account tokens of other pods under a host path the container mounts
     * (the node's root, /var/lib/kubelet): it can act as those pods' service accounts against
     * the API server. */
    {"sa-tokens-in-reach", "high", NULL,
     "Service-account tokens of other pods within the container's reach", rule_tokens_in_reach,
     NULL, NULL, NULL},
    /* A pod the kubelet runs from a manifest on the node: persistence outside the API server
     * and its admission control; weak form when it asks for no host access. */
    {"static-pod", "medium", "low", "Static pod run from a manifest on the node",
     rule_static_pod, NULL, NULL, NULL},
    /* Host configuration, credentials, kernel interfaces or runtime state; weak form for a
     * read-only mount. */
    {"sensitive-host-mount", "high", "medium", "Sensitive host path mounted into the container",
     rule_mount_kind, NULL, NULL, &MK_SENSITIVE},
    /* Host block devices or memory: the host's file systems under no permission check; weak
     * form for other devices (fuse, tun, GPUs). */
    {"host-devices", "high", "low", "Host devices given to the container", rule_devices, NULL, NULL,
     NULL},
    /* Without seccomp every syscall is reachable (mount, unshare, keyctl, bpf, ...): most
     * capability-based escapes need it. */
    {"seccomp-unconfined", "high", NULL, "Seccomp disabled", rule_security_opt, NULL, NULL,
     "seccomp"},
    /* Docker's AppArmor profile is what blocks mount and writes to /proc/sys with SYS_ADMIN. */
    {"apparmor-unconfined", "high", NULL, "AppArmor disabled", rule_security_opt, NULL, NULL,
     "apparmor"},
    /* SELinux separation off (label=disable or the spc_t type). */
    {"selinux-disabled", "medium", NULL, "SELinux labelling disabled", rule_security_opt, NULL,
     NULL, "label"},
    /* /proc/kcore, /proc/keys, /sys/firmware and friends unmasked (systempaths=unconfined). */
    {"masked-paths-disabled", "medium", NULL, "Masked /proc and /sys paths disabled",
     rule_masked_paths, NULL, NULL, NULL},
    /* A writable cgroup file system (release_agent, device rules). */
    {"writable-cgroups", "medium", NULL, "Writable cgroup file system", rule_writable_cgroups, NULL,
     NULL, NULL},

    /* --- the container's upper layer (files rows of scope 'upper') */

    /* Droppers stage payloads where every user can write and nothing is kept. */
    {"exec-in-tmp", "high", NULL, "Executable or script added in a temporary directory", NULL,
     rule_exec_in_tmp, NULL, NULL},
    /* A command name in PATH that runs a payload from /tmp: masquerading and persistence. */
    {"bin-link-to-tmp", "high", NULL, "Program in PATH links into a temporary directory", NULL,
     rule_bin_link_to_tmp, NULL, NULL},
    /* A server-side script that runs what the request says; weak form for a new script in a
     * web root whose content does not show it. */
    {"web-shell", "critical", "high", "Web shell", NULL, rule_web_shell, NULL, NULL},
    /* A second root account: backdoor login that survives password changes. */
    {"new-uid0-account", "critical", NULL, "Additional uid-0 account in /etc/passwd", NULL,
     rule_uid0_account, NULL, NULL},
    /* Someone had an interactive shell in the container; the history says what they did. */
    {"shell-history", "medium", NULL, "Shell history in the container", NULL, rule_shell_history,
     NULL, NULL},
    /* Container-escape, recon or tunnelling tools brought into the container. */
    {"escape-tooling", "high", NULL, "Escape or recon tooling in the container", NULL,
     rule_escape_tooling, NULL, NULL},
    /* Script text of known escapes (formats.md 9.C). */
    {"escape-strings", "high", NULL, "Script with container-escape techniques", NULL,
     rule_escape_strings, NULL, NULL},
    /* Fetch-and-run: the usual first and second stage. */
    {"download-exec", "high", NULL, "Script downloads and runs code", NULL, rule_download_exec,
     NULL, NULL},
    /* Miners and their pool configuration. */
    {"cryptominer", "high", NULL, "Cryptocurrency miner", NULL, rule_cryptominer, NULL, NULL},
    /* Password hashes copied out of a shadow file (the host's, through a mount) for cracking. */
    {"credential-dump", "high", NULL, "Copy of a shadow password file", NULL, rule_credential_dump,
     NULL, NULL},
    /* Removing or replacing audit and inspection tools hides what happens next. */
    {"security-tool-removed", "medium", NULL, "Security or inspection tool removed or replaced",
     NULL, rule_security_tool_removed, NULL, NULL},

    /* --- the host's persistence locations, tied to the containers that could write there
     * (formats.md 9.D). Strong form: changed while such a container ran; weak form: changed
     * after the first container started, but no container could have written it. */

    /* Every dynamically linked program on the host loads the named library. It should not
     * exist at all: weak form for its mere existence. */
    {"host-ld-preload", "critical", "high", "/etc/ld.so.preload on the host", NULL, NULL,
     rule_host_changed, "ld-preload"},
    {"host-cron-modified", "high", "medium", "Host cron job changed", NULL, NULL, rule_host_changed,
     "cron"},
    {"host-authorized-keys-modified", "high", "medium", "Host SSH authorized_keys changed", NULL,
     NULL, rule_host_changed, "ssh-keys"},
    {"host-systemd-unit-modified", "high", "medium", "Host systemd unit changed", NULL, NULL,
     rule_host_changed, "systemd"},
    {"host-sudoers-modified", "high", "medium", "Host sudoers changed", NULL, NULL,
     rule_host_changed, "sudoers"},
    {"host-shell-rc-modified", "high", "medium", "Host shell start-up file changed", NULL, NULL,
     rule_host_changed, "shell-rc"},
    /* The kubelet runs whatever manifest appears there, with any host access it asks for. */
    {"host-static-pod-modified", "high", "medium", "Host static pod manifest changed", NULL, NULL,
     rule_host_changed, "static-pod"},
    {"host-passwd-modified", "high", "medium", "Host account database changed", NULL, NULL,
     rule_host_changed, "passwd"},
    /* daemon.json: remote API without TLS, authorization plugins removed, data-root moved. */
    {"host-docker-config-modified", "high", "medium", "Host Docker daemon configuration changed",
     NULL, NULL, rule_host_changed, "docker-config"},
    /* A second root account on the host itself, whenever it was made. */
    {"host-uid0-account", "critical", NULL, "Additional uid-0 account in the host's /etc/passwd",
     NULL, NULL, rule_host_uid0, NULL},
};

#define NRULES (sizeof rules / sizeof rules[0])

size_t husk_findings_rule_count(void)
{
    return NRULES;
}

const char *husk_findings_rule_id(size_t i)
{
    return i < NRULES ? rules[i].id : NULL;
}

const char *husk_findings_rule_severity(size_t i)
{
    return i < NRULES ? rules[i].severity : NULL;
}

/* ---------------------------------------------------------------- helpers for the rules */

const char *path_base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

const char *mem_find_ci(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || k > n)
        return NULL;
    for (size_t i = 0; i + k <= n; i++) {
        if (tolower((unsigned char)hay[i]) != tolower((unsigned char)needle[0]))
            continue;
        if (strncasecmp(hay + i, needle, k) == 0 && !memchr(hay + i, '\0', k))
            return hay + i;
    }
    return NULL;
}

int finding_emit(fctx *f, const frule *r, int weak, const char *container_id, const char *path,
                 const char *fmt, ...)
{
    husk_strbuf raw = HUSK_STRBUF_INIT, esc = HUSK_STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = husk_sb_vaddf(&raw, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = husk_escape_term(&esc, husk_sb_str(&raw), raw.len);
    if (rc < 0) {
        husk_sb_release(&raw);
        husk_sb_release(&esc);
        return husk_err_set(f->err, HUSK_E_NOMEM, "out of memory");
    }
    husk_row_finding row = {container_id,
                            weak && r->weak_severity ? r->weak_severity : r->severity,
                            r->id,
                            r->title,
                            husk_sb_str(&esc),
                            path};
    rc = husk_casedb_add_finding(f->db, &row, f->err);
    husk_sb_release(&raw);
    husk_sb_release(&esc);
    if (rc == 0)
        f->findings++;
    return rc;
}

husk_fs *fctx_fs(fctx *f, int64_t fs_id)
{
    for (size_t i = 0; fs_id > 0 && i < f->node->nfs; i++)
        if (f->fs_ids[i] == fs_id)
            return f->node->fss[i].fs;
    return NULL;
}

/* The recovered view of a file system, for the files of removed containers: built once, on
 * the first rule that wants such a file's content. */
static husk_fs *fctx_recovered_fs(fctx *f, int64_t fs_id)
{
    for (size_t i = 0; fs_id > 0 && i < f->node->nfs; i++) {
        if (f->fs_ids[i] != fs_id)
            continue;
        if (!f->view_tried[i]) {
            f->view_tried[i] = 1;
            husk_diag quiet = {0};
            husk_err e = {0};
            if (husk_recovered_view(f->node->fss[i].fs, &quiet, &f->views[i], &e) < 0)
                f->views[i] = NULL;
        }
        return f->views[i];
    }
    return NULL;
}

int fs_read_head(husk_fs *fs, const char *path, size_t max, char **buf, size_t *len, int *truncated,
                 husk_stat *st, husk_err *err)
{
    uint64_t ino;
    husk_stat tmp;
    if (!st)
        st = &tmp;
    *buf = NULL;
    *len = 0;
    int rc = husk_fs_lookup(fs, path, 0, &ino, err);
    if (rc == 0)
        rc = husk_fs_stat(fs, ino, st, err);
    if (rc < 0)
        return rc;
    if (st->type != HUSK_FT_FILE)
        return husk_err_set(err, HUSK_E_ARG, "not a regular file");
    size_t want = st->size < max ? (size_t)st->size : max;
    char *b = malloc(want + 1);
    if (!b)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    size_t got = 0;
    while (got < want) {
        ssize_t n = husk_fs_read(fs, ino, got, b + got, want - got, err);
        if (n < 0) {
            free(b);
            return (int)n;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    if (truncated)
        *truncated = st->size > got;
    return 0;
}

const char *ufile_head(fctx *f, ufile *u, size_t *len)
{
    if (u->head_state == 0) {
        u->head_state = -1;
        husk_fs *fs = !u->host_path ? NULL
                      : u->recovered ? fctx_recovered_fs(f, u->fs_id)
                                     : fctx_fs(f, u->fs_id);
        husk_err e = {0};
        if (fs && fs_read_head(fs, u->host_path, FIND_HEAD_MAX, &u->head, &u->head_len,
                               &u->head_truncated, NULL, &e) == 0)
            u->head_state = 1;
        else if (fs && e.code != HUSK_E_NOTFOUND && e.code != HUSK_E_ARG)
            husk_diag_report(f->diag, "findings", u->host_path, -1, "cannot read: %s", e.msg);
    }
    if (u->head_state != 1)
        return NULL;
    *len = u->head_len;
    return u->head;
}

/* ---------------------------------------------------------------- loading */

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static int64_t col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? HUSK_NULL_INT : sqlite3_column_int64(st, i);
}

static int db_error(fctx *f, const char *what)
{
    return husk_err_set(f->err, HUSK_E_DB, "findings: %s: %s", what, sqlite3_errmsg(f->s));
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_containers(fctx *f)
{
    for (size_t i = 0; i < f->nc; i++) {
        for (size_t j = 0; j < f->c[i].nmounts; j++) {
            free(f->c[i].mounts[j].type);
            free(f->c[i].mounts[j].source);
            free(f->c[i].mounts[j].destination);
        }
        free(f->c[i].mounts);
    }
    free(f->c);
    f->c = NULL;
    f->nc = 0;
}

/* Reads the mounts rows of container c. Sources are cleaned so that "/var/run/docker.sock/"
 * and "//" spellings compare equal; a source that is not an absolute path (a volume name) is
 * kept as NULL. */
static int load_mounts(fctx *f, sqlite3_stmt *st, fcontainer *c)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->nmounts == FIND_MAX_MOUNTS) {
            husk_diag_report(f->diag, "findings", c->id, -1,
                             "more than %d mounts; the rest are not assessed", FIND_MAX_MOUNTS);
            break;
        }
        if (c->nmounts % 16 == 0) {
            void *p = realloc(c->mounts, (c->nmounts + 16) * sizeof *c->mounts);
            if (!p)
                return husk_err_set(f->err, HUSK_E_NOMEM, "out of memory");
            c->mounts = p;
        }
        fmount *m = &c->mounts[c->nmounts++];
        memset(m, 0, sizeof *m);
        char clean[FIND_PATH_MAX];
        const char *src = col_text(st, 1);
        m->type = dup_or_null(col_text(st, 0));
        m->source = src && husk_path_clean(src, clean, sizeof clean) == 0 ? strdup(clean) : NULL;
        m->destination = dup_or_null(col_text(st, 2));
        m->rw = sqlite3_column_int(st, 3) != 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(f, "reading mounts");
}

static json_t *parse_obj(const char *s)
{
    if (!s)
        return NULL;
    json_t *j = json_loads(s, 0, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int run_container_rules(fctx *f, const fcontainer *c, const char *hc_raw,
                               const char *cfg_raw)
{
    json_t *hc = parse_obj(hc_raw), *cfg = parse_obj(cfg_raw);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < NRULES; i++)
        if (rules[i].on_container)
            rc = rules[i].on_container(f, &rules[i], c, hc, cfg);
    json_decref(hc);
    json_decref(cfg);
    return rc;
}

static int cmp_container(const void *a, const void *b)
{
    return strcmp(((const fcontainer *)a)->id, ((const fcontainer *)b)->id);
}

/* Loads every container (ordered by ID, so that findings come out in a stable order) with its
 * mounts and runs the container rules on each; the JSON is parsed per container and dropped. */
static int containers_pass(fctx *f)
{
    sqlite3_stmt *st = NULL, *mst = NULL;
    if (sqlite3_prepare_v2(f->s,
                           "SELECT id, name, state, created, started_at, finished_at, "
                           "restart_count, privileged, "
                           /* a containerd container has no hostconfig.json: its rights, taken
                            * from its OCI spec, are put in Docker's terms for the same rules */
                           "CASE WHEN hostconfig_json IS NULL AND runtime = 'containerd' THEN "
                           "json_object('Privileged', json(CASE privileged WHEN 1 THEN 'true' "
                           "ELSE 'false' END), 'CapAdd', json(coalesce(cap_add, 'null')), "
                           "'CapDrop', json(coalesce(cap_drop, 'null')), 'PidMode', pid_mode, "
                           "'IpcMode', ipc_mode, 'NetworkMode', network_mode, 'UTSMode', "
                           "uts_mode, 'UsernsMode', userns_mode, 'CgroupnsMode', cgroupns_mode, "
                           "'SecurityOpt', json(coalesce(security_opt, 'null')), 'Binds', "
                           "json(coalesce(binds, 'null')), 'MaskedPaths', "
                           "json(coalesce(masked_paths, 'null'))) "
                           "ELSE hostconfig_json END, config_json, "
                           "coalesce(pod_uid, ''), coalesce(sandbox_id, ''), "
                           "hostconfig_json IS NULL AND runtime = 'containerd' "
                           "FROM containers ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(f->s,
                           "SELECT type, source, destination, rw FROM mounts "
                           "WHERE container_id = ?1 ORDER BY rowid",
                           -1, &mst, NULL) != SQLITE_OK) {
        int rc = db_error(f, "reading containers");
        sqlite3_finalize(st);
        return rc;
    }
    int rc = 0, step;
    size_t cap = 0;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = col_text(st, 0);
        if (!id || strlen(id) >= sizeof f->c->id)
            continue;
        if (f->nc == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            void *p = realloc(f->c, ncap * sizeof *f->c);
            if (!p) {
                rc = husk_err_set(f->err, HUSK_E_NOMEM, "out of memory");
                break;
            }
            f->c = p;
            cap = ncap;
        }
        fcontainer *c = &f->c[f->nc++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", id);
        const char *name = col_text(st, 1);
        if (name && *name)
            snprintf(c->label, sizeof c->label, "/%s", name);
        else
            snprintf(c->label, sizeof c->label, "%.12s", id);
        const char *state = col_text(st, 2);
        snprintf(c->state, sizeof c->state, "%s", state ? state : "unknown");
        snprintf(c->started, sizeof c->started, "%s", col_text(st, 4) ? col_text(st, 4) : "");
        snprintf(c->finished, sizeof c->finished, "%s", col_text(st, 5) ? col_text(st, 5) : "");
        husk_window_of(col_text(st, 3), col_text(st, 4), col_text(st, 5), state, col_int(st, 6),
                       &c->win);
        c->privileged = sqlite3_column_int(st, 7) == 1;
        snprintf(c->pod_uid, sizeof c->pod_uid, "%s", col_text(st, 10) ? col_text(st, 10) : "");
        snprintf(c->sandbox_id, sizeof c->sandbox_id, "%s", col_text(st, 11) ? col_text(st, 11) : "");
        c->rights_src = sqlite3_column_int(st, 12) == 1 ? "OCI spec" : "hostconfig.json";
        int64_t started;
        if (husk_time_parse_ns(col_text(st, 4), &started) == 0 &&
            (!f->have_first_start || started < f->first_start_ns)) {
            f->first_start_ns = started;
            f->have_first_start = 1;
        }
        rc = load_mounts(f, mst, c);
        if (rc == 0)
            rc = run_container_rules(f, c, col_text(st, 8), col_text(st, 9));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_error(f, "reading containers");
    sqlite3_finalize(st);
    sqlite3_finalize(mst);
    if (f->nc)
        qsort(f->c, f->nc, sizeof *f->c, cmp_container);
    return rc;
}

static const fcontainer *find_container(fctx *f, const char *id)
{
    if (!id || !f->nc)
        return NULL;
    fcontainer key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return bsearch(&key, f->c, f->nc, sizeof *f->c, cmp_container);
}

/* Offers every upper-layer file to the upper-layer rules. Rows of whiteouts and directories
 * are offered too: some rules judge deletions. */
static int upper_pass(fctx *f)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(f->s,
                           "SELECT container_id, path, change, type, mode, size, link_target, "
                           "host_path, filesystem_id, magic, coalesce(recovered_from, 'live') NOT IN "
                           "('live', 'journal-replay') FROM files WHERE scope = 'upper' "
                           "ORDER BY container_id, path",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(f, "reading upper-layer files");
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        ufile u = {0};
        u.container_id = col_text(st, 0);
        u.path = col_text(st, 1);
        if (!u.path)
            continue;
        u.c = find_container(f, u.container_id);
        u.change = col_text(st, 2);
        u.type = col_text(st, 3);
        u.mode = col_int(st, 4);
        u.size = col_int(st, 5);
        u.link_target = col_text(st, 6);
        u.host_path = col_text(st, 7);
        u.fs_id = col_int(st, 8);
        u.magic = col_text(st, 9); /* may still be NULL here in husk analyse: types are set
                                      * when husk_diff_settle() runs, after the findings */
        u.recovered = (int)col_int(st, 10);
        for (size_t i = 0; rc == 0 && i < NRULES; i++)
            if (rules[i].on_upper)
                rc = rules[i].on_upper(f, &rules[i], &u);
        free(u.head);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_error(f, "reading upper-layer files");
    sqlite3_finalize(st);
    return rc;
}

/*
 * filesystems.id of each node file system. The analysis writes one row per node->fss entry,
 * in order, keyed by the volume's offset: match on offset, type and UUID, taking rows in id
 * order so that identical file systems (clones) still pair up one to one.
 */
static int map_filesystems(fctx *f)
{
    f->fs_ids = calloc(f->node->nfs + 1, sizeof *f->fs_ids);
    f->views = calloc(f->node->nfs + 1, sizeof *f->views);
    f->view_tried = calloc(f->node->nfs + 1, sizeof *f->view_tried);
    if (!f->fs_ids || !f->views || !f->view_tried)
        return husk_err_set(f->err, HUSK_E_NOMEM, "out of memory");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(f->s,
                           "SELECT id FROM filesystems WHERE offset = ?1 AND fstype = ?2 AND "
                           "coalesce(uuid, '') = ?3 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(f, "reading file systems");
    for (size_t i = 0; i < f->node->nfs; i++) {
        const husk_node_fs *nf = &f->node->fss[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t)f->node->vols.v[nf->volume].offset);
        sqlite3_bind_text(st, 2, nf->fs->fstype, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, nf->fs->uuid, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            int used = 0;
            for (size_t j = 0; j < i; j++)
                used |= f->fs_ids[j] == id;
            if (!used) {
                f->fs_ids[i] = id;
                break;
            }
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* The node's root file system: the one whose /etc holds passwd (a separate /var/lib/docker
 * file system has no /etc; a data disk may have one without passwd). */
static int find_root_fs(fctx *f)
{
    int with_etc = -1;
    for (size_t i = 0; i < f->node->nfs; i++) {
        husk_fs *fs = f->node->fss[i].fs;
        uint64_t ino;
        husk_stat st;
        husk_err e = {0};
        if (husk_fs_lookup(fs, "/etc", HUSK_LOOKUP_FOLLOW, &ino, &e) < 0 ||
            husk_fs_stat(fs, ino, &st, &e) < 0 || st.type != HUSK_FT_DIR)
            continue;
        if (husk_fs_lookup(fs, "/etc/passwd", HUSK_LOOKUP_FOLLOW, &ino, &e) == 0)
            return (int)i;
        if (with_etc < 0)
            with_etc = (int)i;
    }
    return with_etc;
}

int husk_findings_run(husk_casedb *db, husk_node *node, husk_diag *diag, husk_err *err)
{
    fctx f = {.db = db, .s = husk_casedb_sqlite(db), .node = node, .diag = diag, .err = err};
    int rc = map_filesystems(&f);
    if (rc == 0)
        rc = containers_pass(&f);
    if (rc == 0)
        rc = upper_pass(&f);
    if (rc == 0) {
        f.root_fs = find_root_fs(&f);
        if (f.root_fs < 0)
            husk_diag_report(diag, "findings", "host", -1,
                             "no file system with /etc: host persistence not examined");
        else
            rc = host_walk(&f, rules, NRULES);
    }
    free_containers(&f);
    for (size_t i = 0; f.views && i < node->nfs; i++)
        if (f.views[i])
            husk_fs_close(f.views[i]);
    free(f.views);
    free(f.view_tried);
    free(f.fs_ids);
    return rc;
}
