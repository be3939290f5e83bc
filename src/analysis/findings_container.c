/*
 * Rules on a container's configuration (formats.md 3.2 and 9.A): hostconfig.json and
 * config.v2.json as parsed JSON, and the container's mounts rows (which already merge
 * MountPoints, HostConfig.Binds and Tmpfs). Each check is shared by the rules of one family
 * through the rule's arg (a capability name, a namespace key, a mount kind, ...).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "findings_int.h"
#include "husk/strbuf.h"

int rule_privileged(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    if (!c->privileged && !json_is_true(json_object_get(hc, "Privileged")))
        return 0;
    return finding_emit(f, r, 0, c->id, NULL,
                        "HostConfig.Privileged is true (%s of %s, state %s)", c->rights_src, c->label,
                        c->state);
}

int rule_cap(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    const char *want = r->arg;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "CapAdd"), i, v)
    {
        char norm[64];
        if (json_is_string(v) && husk_cap_normalise(json_string_value(v), norm, sizeof norm) == 0 &&
            strcmp(norm, want) == 0)
            return finding_emit(f, r, 0, c->id, NULL,
                                "HostConfig.CapAdd contains %s (%s of %s)",
                                json_string_value(v), c->rights_src, c->label);
    }
    return 0;
}

int rule_host_ns(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    const char *key = r->arg;
    json_t *v = json_object_get(hc, key);
    if (!json_is_string(v) || strcmp(json_string_value(v), "host") != 0)
        return 0;
    return finding_emit(f, r, 0, c->id, NULL, "HostConfig.%s is \"host\" (%s of %s)",
                        key, c->rights_src, c->label);
}

/* Mount types whose source is a host path (a volume's source is Docker's own directory). */
static int is_host_bind(const fmount *m)
{
    return m->source && (!m->type || strcmp(m->type, "bind") == 0);
}

/* The files the kubelet and the CRI plugin mount into every container of a pod: its own pod
 * directory (etc-hosts, termination log, the kubelet's volumes: emptyDir, projected tokens,
 * configMaps, secrets) and its own sandbox's hostname, resolv.conf, hosts and shm. They are
 * the runtime's doing, not a host path the pod asked for; another pod's directory is not. */
static int runtime_managed(const fcontainer *c, const char *source)
{
    char p[4096], dir[256];
    if (husk_path_clean(source, p, sizeof p) < 0)
        return 0;
    if (c->pod_uid[0] && !strchr(c->pod_uid, '/')) {
        snprintf(dir, sizeof dir, "/var/lib/kubelet/pods/%s", c->pod_uid);
        if (husk_path_under(p, dir) && strcmp(p, dir) != 0)
            return 1;
    }
    static const char *const sandboxes[] = {"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes",
                                            "/run/containerd/io.containerd.grpc.v1.cri/sandboxes"};
    const char *sb = c->sandbox_id[0] ? c->sandbox_id : c->id; /* a sandbox mounts its own */
    for (size_t i = 0; i < 2 && !strchr(sb, '/'); i++) {
        snprintf(dir, sizeof dir, "%s/%s", sandboxes[i], sb);
        if (husk_path_under(p, dir) && strcmp(p, dir) != 0)
            return 1;
    }
    return 0;
}

int rule_mount_kind(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    husk_mount_kind want = *(const husk_mount_kind *)r->arg;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->nmounts; i++) {
        const fmount *m = &c->mounts[i];
        const char *what = NULL;
        if (!is_host_bind(m) || husk_mount_classify(m->source, &what) != want)
            continue;
        if (want == HUSK_MNT_SENSITIVE && runtime_managed(c, m->source))
            continue;
        /* a directory that holds the socket, rather than the socket itself */
        const char *holds = "";
        if (what && what[0] == '/' && want != HUSK_MNT_SENSITIVE)
            holds = want == HUSK_MNT_DOCKER_SOCK       ? ", which holds the Docker socket"
                    : want == HUSK_MNT_CONTAINERD_SOCK ? ", which holds the containerd socket"
                                                       : ", which holds the CRI-O socket";
        rc = finding_emit(f, r, want == HUSK_MNT_SENSITIVE && !m->rw, c->id, m->source,
                          "bind mount %s -> %s (%s)%s (mounts of %s)", m->source,
                          m->destination ? m->destination : "?", m->rw ? "read-write" : "read-only",
                          holds, c->label);
    }
    return rc;
}

int rule_tokens_in_reach(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    sqlite3_stmt *st = NULL;
    /* tokens below the mount's source (a source of "/" holds every one), of pods other than
     * the container's own */
    if (sqlite3_prepare_v2(f->s,
                           "SELECT count(*), group_concat(DISTINCT subject) FROM sa_tokens WHERE "
                           "(?1 = '/' OR path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/') "
                           "AND coalesce(pod_uid, '') != ?2 AND coalesce(recovered_from, 'live') = "
                           "'live'",
                           -1, &st, NULL) != SQLITE_OK)
        return 0; /* a case without the table (older schema): nothing to say */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->nmounts; i++) {
        const fmount *m = &c->mounts[i];
        char src[4096];
        if (!is_host_bind(m) || husk_path_clean(m->source, src, sizeof src) < 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, src, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, c->pod_uid, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) == 0)
            continue;
        const unsigned char *subj = sqlite3_column_text(st, 1);
        rc = finding_emit(f, r, 0, c->id, m->source,
                          "%lld service-account tokens of other pods under %s, mounted at %s "
                          "(%s) in %s: %s",
                          (long long)sqlite3_column_int64(st, 0), m->source,
                          m->destination ? m->destination : "?", m->rw ? "read-write" : "read-only",
                          c->label, subj ? (const char *)subj : "");
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * A static pod: its sandbox's annotations say the kubelet took it from a manifest on the node
 * (kubernetes.io/config.source=file), not from the API server, so no admission control saw it
 * and deleting it through the API does not stop it. Reported once per pod, on its sandbox, with
 * the host access it asks for and the manifests the kubelet's static pod path holds; the weak
 * form when it asks for no host namespace and is not privileged.
 */
int rule_static_pod(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    if (!c->sandbox_id[0] || strcmp(c->id, c->sandbox_id) != 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(f->s,
                           "SELECT namespace, name, host_network, host_pid, host_ipc, (SELECT "
                           "group_concat(path || ' (mtime ' || coalesce(mtime, '?') || ')', ', ') "
                           "FROM kubelet_files WHERE kind = 'static-pod') FROM pods WHERE "
                           "sandbox_id = ?1 AND json_extract(annotations, "
                           "'$.\"kubernetes.io/config.source\"') = 'file' LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0; /* a case without these tables: nothing to say */
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *ns = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *mf = (const char *)sqlite3_column_text(st, 5);
        int hn = sqlite3_column_int(st, 2) == 1, hp = sqlite3_column_int(st, 3) == 1,
            hi = sqlite3_column_int(st, 4) == 1;
        int strong = hn || hp || hi || c->privileged;
        husk_strbuf asks = HUSK_STRBUF_INIT;
        const char *what[] = {hn ? "host network" : NULL, hp ? "host PID" : NULL,
                              hi ? "host IPC" : NULL, c->privileged ? "privileged" : NULL};
        for (size_t i = 0; i < 4; i++)
            if (what[i])
                husk_sb_addf(&asks, "%s%s", asks.len ? ", " : "; it asks for ", what[i]);
        rc = finding_emit(f, r, !strong, c->id, NULL,
                          "pod %s/%s is a static pod (kubernetes.io/config.source=file): the "
                          "kubelet runs it from a manifest on the node, not through the API "
                          "server%s; manifests in the static pod path: %s",
                          ns ? ns : "?", name ? name : "?", husk_sb_str(&asks), mf ? mf : "none left");
        husk_sb_release(&asks);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Device cgroup rules ("b 8:* rwm", "a *:* rwm") that open block devices or everything. */
static int broad_cgroup_rule(const char *s)
{
    while (*s == ' ')
        s++;
    return (s[0] == 'a' || s[0] == 'b') && (s[1] == ' ' || s[1] == '\0');
}

int rule_devices(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    husk_strbuf ev = HUSK_STRBUF_INIT;
    int raw = 0, n = 0, rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "Devices"), i, v)
    {
        const char *host = json_string_value(json_object_get(v, "PathOnHost"));
        const char *in = json_string_value(json_object_get(v, "PathInContainer"));
        const char *perm = json_string_value(json_object_get(v, "CgroupPermissions"));
        if (!host)
            continue;
        raw |= husk_dev_is_raw(host);
        if (n++ < 8)
            husk_sb_addf(&ev, "%s%s -> %s (%s)", n > 1 ? ", " : "", host, in ? in : host,
                         perm ? perm : "rwm");
    }
    json_array_foreach(json_object_get(hc, "DeviceCgroupRules"), i, v)
    {
        const char *rule = json_string_value(v);
        if (!rule)
            continue;
        raw |= broad_cgroup_rule(rule);
        if (n++ < 8)
            husk_sb_addf(&ev, "%scgroup rule \"%s\"", n > 1 ? ", " : "", rule);
    }
    if (n > 0)
        rc = finding_emit(f, r, !raw, c->id, NULL,
                          "HostConfig.Devices/DeviceCgroupRules give %s%s (%s of %s)",
                          husk_sb_str(&ev), n > 8 ? ", ..." : "", c->rights_src, c->label);
    husk_sb_release(&ev);
    return rc;
}

/* A custom seccomp profile that lets every syscall through unless listed. */
static int seccomp_allows_all(const char *profile)
{
    json_t *j = json_loads(profile, 0, NULL);
    const char *act = json_string_value(json_object_get(j, "defaultAction"));
    int open = act && (strcmp(act, "SCMP_ACT_ALLOW") == 0 || strcmp(act, "SCMP_ACT_LOG") == 0);
    json_decref(j);
    return open;
}

/* Whether one SecurityOpt value disables what r->arg names. Docker accepts "key=value" and,
 * from before 1.12, "key:value". */
static const char *opt_disables(const char *which, const char *opt)
{
    size_t k = strcspn(opt, "=:");
    if (opt[k] == '\0' || strlen(which) != k || strncmp(opt, which, k) != 0)
        return NULL;
    const char *val = opt + k + 1;
    if (strcmp(which, "label") == 0)
        return strcmp(val, "disable") == 0 || strstr(val, "spc_t") ? val : NULL;
    if (strcmp(val, "unconfined") == 0)
        return val;
    if (strcmp(which, "seccomp") == 0 && val[0] == '{' && seccomp_allows_all(val))
        return "a custom profile whose defaultAction allows";
    return NULL;
}

int rule_security_opt(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    const char *which = r->arg;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
    {
        const char *opt = json_string_value(v);
        if (!opt || !opt_disables(which, opt))
            continue;
        if (strncmp(opt + strlen(which) + 1, "{", 1) == 0)
            return finding_emit(f, r, 0, c->id, NULL,
                                "HostConfig.SecurityOpt has a seccomp profile whose "
                                "defaultAction allows every syscall (%s of %s)",
                                c->rights_src, c->label);
        return finding_emit(f, r, 0, c->id, NULL,
                            "HostConfig.SecurityOpt contains %s (%s of %s)", opt,
                            c->rights_src, c->label);
    }
    /* config.v2.json keeps the profile the container was started with; a privileged container
     * always gets "unconfined" there, which the privileged rule already reports */
    const char *key = strcmp(which, "apparmor") == 0  ? "AppArmorProfile"
                      : strcmp(which, "seccomp") == 0 ? "SeccompProfile"
                                                      : NULL;
    const char *prof = key ? json_string_value(json_object_get(cfg, key)) : NULL;
    if (prof && strcmp(prof, "unconfined") == 0 && !c->privileged)
        return finding_emit(f, r, 0, c->id, NULL, "%s is \"unconfined\" (config.v2.json of %s)",
                            key, c->label);
    return 0;
}

int rule_masked_paths(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    /* Docker fills MaskedPaths with its defaults when the client sends none, and leaves it
     * null for privileged containers: only an explicit [] on an unprivileged one disables it */
    json_t *mp = json_object_get(hc, "MaskedPaths");
    if (c->privileged || !json_is_array(mp) || json_array_size(mp) != 0)
        return 0;
    json_t *ro = json_object_get(hc, "ReadonlyPaths");
    int ro_empty = json_is_array(ro) && json_array_size(ro) == 0;
    return finding_emit(f, r, 0, c->id, NULL,
                        "HostConfig.MaskedPaths is []%s (%s of %s)",
                        ro_empty ? " and ReadonlyPaths is []" : "", c->rights_src, c->label);
}

int rule_writable_cgroups(fctx *f, const frule *r, const fcontainer *c, json_t *hc, json_t *cfg)
{
    if (!json_is_true(json_object_get(cfg, "WritableCgroups")))
        return 0;
    return finding_emit(f, r, 0, c->id, NULL, "WritableCgroups is true (config.v2.json of %s)",
                        c->label);
}
