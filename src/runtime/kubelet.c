/*
 * The kubelet's files on a node (formats.md 7.3): projected service-account tokens under
 * /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~projected/<volume>/token, the static pod
 * manifests (staticPodPath of /var/lib/kubelet/config.yaml, /etc/kubernetes/manifests by
 * default), the kubelet's configuration and kubeconfig. A token is a credential: the case keeps
 * its SHA-256 and its decoded header and claims (who it is, for which pod, until when), and the
 * token itself only with --keep-secrets; a kubeconfig likewise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "husk/docker.h"
#include "husk/kubelet.h"
#include "husk/logs.h"

#define PHASE "kubelet"
#define MAX_TOKEN (64u << 10)
#define MAX_MANIFEST (1u << 20)
#define MAX_PODS 10000
#define MAX_VOLUMES 256

/* base64url (no padding) of a JWT part into a new NUL-terminated buffer. */
static char *b64url(const char *s, size_t n, size_t *outlen)
{
    if (n > MAX_TOKEN)
        return NULL;
    char *t = malloc(n + 4);
    if (!t)
        return NULL;
    for (size_t i = 0; i < n; i++)
        t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    size_t m = n;
    while (m % 4)
        t[m++] = '=';
    unsigned char *out = malloc(m / 4 * 3 + 1);
    int k = out ? EVP_DecodeBlock(out, (unsigned char *)t, (int)m) : -1;
    free(t);
    if (k < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    size_t pad = m - n;
    *outlen = (size_t)k - (pad < 3 ? pad : 0);
    out[*outlen] = '\0';
    return (char *)out;
}

int husk_jwt_decode(const char *tok, size_t n, json_t **header, json_t **claims)
{
    *header = *claims = NULL;
    const char *d1 = memchr(tok, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', (size_t)(tok + n - d1 - 1)) : NULL;
    if (!d1 || !d2)
        return -1;
    size_t hl, cl;
    char *h = b64url(tok, (size_t)(d1 - tok), &hl), *c = b64url(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    if (h)
        *header = json_loadb(h, hl, 0, NULL);
    if (c)
        *claims = json_loadb(c, cl, 0, NULL);
    free(h);
    free(c);
    if (!json_is_object(*header) || !json_is_object(*claims)) {
        json_decref(*header);
        json_decref(*claims);
        *header = *claims = NULL;
        return -1;
    }
    return 0;
}

typedef struct kctx {
    const husk_docker_root *r;
    husk_casedb *db;
    husk_diag *diag;
    husk_err *err;
    const char *uid;
    uint64_t vols_ino;
    int rc;
    unsigned pods;
    int recovered; /* r->fs is a recovered view: deleted volumes count too */
} kctx;

static const char *unix_time(json_t *v, char out[40])
{
    json_int_t t = json_integer_value(v);
    out[0] = '\0';
    if (json_is_integer(v) && t > 0 && t < 253402300800LL) {
        husk_timespec ts = {.sec = t, .present = 1};
        husk_log_time_format(&ts, out, 40);
    }
    return out[0] ? out : NULL;
}

static int one_token(kctx *x, const char *vol, const char *path)
{
    uint64_t ino;
    char *tok = NULL;
    size_t n = 0;
    husk_err e = {0};
    if (husk_fs_lookup(x->r->fs, path, HUSK_LOOKUP_FOLLOW, &ino, &e) < 0 ||
        husk_fs_read_all(x->r->fs, ino, MAX_TOKEN, &tok, &n, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(x->diag, PHASE, path, -1, "token unreadable: %s", e.msg);
        return 0;
    }
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
        n--;
    husk_prov prov = {"live", 1.0};
    husk_fs_provenance(x->r->fs, ino, &prov, NULL, 0);
    char hex[65], iat[40], exp[40];
    husk_sha256_hex(tok, n, hex);
    json_t *h = NULL, *c = NULL;
    if (husk_jwt_decode(tok, n, &h, &c) < 0)
        husk_diag_report(x->diag, PHASE, path, -1, "not a JWT: only its hash is kept");
    char *hj = h ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *cj = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    husk_row_sa_token row = {
        .pod_uid = x->uid,
        .volume = vol,
        .path = path,
        .sha256 = hex,
        .header_json = hj,
        .claims_json = cj,
        .subject = json_string_value(json_object_get(c, "sub")),
        .issuer = json_string_value(json_object_get(c, "iss")),
        .issued_at = unix_time(json_object_get(c, "iat"), iat),
        .expires_at = unix_time(json_object_get(c, "exp"), exp),
        .token = x->r->opts && x->r->opts->keep_secrets ? tok : NULL,
        .token_len = n,
        .data_root_id = x->r->db_id,
        .recovered_from = prov.recovered_from,
        .confidence = prov.confidence,
    };
    int rc = husk_casedb_add_sa_token(x->db, &row, x->err);
    free(hj);
    free(cj);
    json_decref(h);
    json_decref(c);
    free(tok);
    return rc;
}

static int projected_cb(const husk_dirent *d, void *ctx)
{
    kctx *x = ctx;
    if ((d->deleted && !x->recovered) || !husk_name_ok(d->name, d->name_len) || d->name_len > 253 ||
        d->name[0] == '.')
        return 0;
    char vol[256], path[1024];
    snprintf(vol, sizeof vol, "%.*s", (int)d->name_len, d->name);
    char base[900];
    if (husk_docker_path(x->r, "pods", base, sizeof base) < 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s/volumes/kubernetes.io~projected/%s/token", base, x->uid, vol);
    x->rc = one_token(x, vol, path);
    return x->rc < 0 ? -1 : 0;
}

static int pod_cb(const husk_dirent *d, void *ctx)
{
    kctx *x = ctx;
    if (d->deleted || !husk_name_ok(d->name, d->name_len) || d->name_len > 128 || d->name[0] == '.')
        return 0;
    if (x->pods++ >= MAX_PODS)
        return 1;
    char uid[129], rel[300];
    snprintf(uid, sizeof uid, "%.*s", (int)d->name_len, d->name);
    x->uid = uid;
    snprintf(rel, sizeof rel, "pods/%s/volumes/kubernetes.io~projected", uid);
    husk_err e = {0};
    if (husk_docker_list(x->r, rel, projected_cb, x, &e) < 0 && x->rc == 0 &&
        e.code != HUSK_E_NOTFOUND)
        husk_diag_report(x->diag, PHASE, rel, -1, "cannot list: %s", e.msg);
    x->uid = NULL;
    return x->rc < 0 ? -1 : 0;
}

/* A small text file of the node into kubelet_files (content kept unless it holds secrets). */
static int node_file(kctx *x, const char *kind, const char *path, int secret)
{
    uint64_t ino;
    char *data = NULL;
    size_t n = 0;
    husk_stat st;
    husk_err e = {0};
    if (husk_fs_lookup(x->r->fs, path, HUSK_LOOKUP_FOLLOW, &ino, &e) < 0 ||
        husk_fs_stat(x->r->fs, ino, &st, &e) < 0 || st.type != HUSK_FT_FILE)
        return 0;
    if (husk_fs_read_all(x->r->fs, ino, MAX_MANIFEST, &data, &n, &e) < 0) {
        husk_diag_report(x->diag, PHASE, path, -1, "unreadable: %s", e.msg);
        return 0;
    }
    char hex[65], mt[40], ct[40];
    husk_sha256_hex(data, n, hex);
    husk_time_format(&st.mtime, mt, sizeof mt);
    husk_time_format(&st.ctime, ct, sizeof ct);
    int keep = !secret || (x->r->opts && x->r->opts->keep_secrets);
    husk_row_kubelet_file row = {kind, path, hex, (int64_t)n, mt[0] ? mt : NULL,
                                 ct[0] ? ct : NULL, keep ? data : NULL, n,
                                 x->r->fs_db_id};
    int rc = husk_casedb_add_kubelet_file(x->db, &row, x->err);
    free(data);
    return rc;
}

typedef struct manifests_ctx {
    kctx *x;
    const char *dir;
} manifests_ctx;

static int manifest_cb(const husk_dirent *d, void *ctx)
{
    manifests_ctx *m = ctx;
    if (d->deleted || !husk_name_ok(d->name, d->name_len) || d->name[0] == '.')
        return 0;
    char path[1200];
    snprintf(path, sizeof path, "%s/%.*s", m->dir, (int)d->name_len, d->name);
    m->x->rc = node_file(m->x, "static-pod", path, 0);
    return m->x->rc < 0 ? -1 : 0;
}

/* staticPodPath from the kubelet's KubeletConfiguration (YAML): the one key read with a line
 * scan, since the value is a plain path. */
static void static_pod_path(kctx *x, char *out, size_t n)
{
    snprintf(out, n, "/etc/kubernetes/manifests");
    char cfg[1024], *data = NULL;
    size_t len = 0;
    uint64_t ino;
    if (husk_docker_path(x->r, "config.yaml", cfg, sizeof cfg) < 0 ||
        husk_fs_lookup(x->r->fs, cfg, HUSK_LOOKUP_FOLLOW, &ino, NULL) < 0 ||
        husk_fs_read_all(x->r->fs, ino, MAX_MANIFEST, &data, &len, NULL) < 0)
        return;
    for (char *line = data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, "staticPodPath:", 14)) {
            char *v = line + 14;
            while (*v == ' ' || *v == '"' || *v == '\'')
                v++;
            size_t k = strcspn(v, "\"' \r#");
            if (k && v[0] == '/' && k < n)
                snprintf(out, n, "%.*s", (int)k, v);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(data);
}

/* /var/log/containers/<pod>_<namespace>_<container>-<64 hex>.log -> the CRI log file. */
static int log_link_cb(const husk_dirent *d, void *ctx)
{
    kctx *x = ctx;
    if (d->deleted || !husk_name_ok(d->name, d->name_len) || d->name_len < 70)
        return 0;
    char name[256], path[300], target[1024];
    snprintf(name, sizeof name, "%.*s", (int)d->name_len, d->name);
    snprintf(path, sizeof path, "/var/log/containers/%s", name);
    husk_stat st;
    husk_err e = {0};
    if (husk_fs_stat(x->r->fs, d->inode, &st, &e) < 0 || st.type != HUSK_FT_SYMLINK)
        return 0;
    ssize_t n = husk_fs_readlink(x->r->fs, d->inode, target, sizeof target, &e);
    if (n < 0)
        return 0;
    /* the name: "-<64 hex>.log" at the end is the container ID; before it, pod names and
     * namespaces (DNS names, never holding '_') end at the first two '_', and the rest is the
     * container's name */
    size_t len = strlen(name);
    if (len < 69 || strcmp(name + len - 4, ".log") != 0 || name[len - 69] != '-' ||
        !husk_is_hex64(name + len - 68, 64))
        return 0;
    char id[65], pod[256] = "", ns[256] = "", ctr[256] = "";
    snprintf(id, sizeof id, "%.64s", name + len - 68);
    name[len - 69] = '\0';
    char *u1 = strchr(name, '_'), *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
    if (u1 && u2) {
        snprintf(pod, sizeof pod, "%.*s", (int)(u1 - name), name);
        snprintf(ns, sizeof ns, "%.*s", (int)(u2 - u1 - 1), u1 + 1);
        snprintf(ctr, sizeof ctr, "%s", u2 + 1);
    }
    husk_row_pod_log_link row = {path, target, pod[0] ? pod : NULL, ns[0] ? ns : NULL,
                                 ctr[0] ? ctr : NULL, id, x->r->fs_db_id};
    x->rc = husk_casedb_add_pod_log_link(x->db, &row, x->err);
    return x->rc < 0 ? -1 : 0;
}

int husk_kubelet_pod_tokens(const husk_docker_root *r, const char *uid, husk_casedb *db,
                            husk_diag *diag, husk_err *err)
{
    kctx x = {.r = r, .db = db, .diag = diag, .err = err, .recovered = 1};
    husk_dirent d = {.name = uid, .name_len = strlen(uid)};
    pod_cb(&d, &x);
    return x.rc < 0 ? x.rc : 0;
}

int husk_kubelet_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                         husk_err *err)
{
    kctx x = {.r = r, .db = db, .diag = diag, .err = err};
    husk_err e = {0};
    if (husk_docker_list(r, "pods", pod_cb, &x, &e) < 0 && x.rc == 0 && e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, PHASE, "pods", -1, "cannot list: %s", e.msg);
    if (x.rc < 0)
        return x.rc;
    char path[1024];
    static const struct {
        const char *kind, *rel;
        int secret;
    } files[] = {{"kubelet-config", "config.yaml", 0},
                 {"kubelet-flags", "kubeadm-flags.env", 0},
                 {"kubeconfig", "kubeconfig", 1}};
    for (size_t i = 0; x.rc == 0 && i < sizeof files / sizeof files[0]; i++)
        if (husk_docker_path(r, files[i].rel, path, sizeof path) == 0)
            x.rc = node_file(&x, files[i].kind, path, files[i].secret);
    if (x.rc == 0)
        x.rc = node_file(&x, "kubeconfig", "/etc/kubernetes/kubelet.conf", 1);
    if (x.rc == 0)
        x.rc = node_file(&x, "kubeconfig", "/etc/kubernetes/admin.conf", 1);
    char dir[512];
    static_pod_path(&x, dir, sizeof dir);
    uint64_t dino;
    manifests_ctx m = {&x, dir};
    if (x.rc == 0 && husk_fs_lookup(r->fs, dir, HUSK_LOOKUP_FOLLOW, &dino, NULL) == 0)
        husk_fs_list_dir(r->fs, dino, manifest_cb, &m, &e);
    if (x.rc == 0 && husk_fs_lookup(r->fs, "/var/log/containers", 0, &dino, NULL) == 0)
        husk_fs_list_dir(r->fs, dino, log_link_cb, &x, &e);
    return x.rc;
}
