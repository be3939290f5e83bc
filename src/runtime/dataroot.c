/* Data-root discovery (include/husk/dataroot.h). */
#include "husk/dataroot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MAX_DAEMON_JSON (1u << 20)
#define MAX_NAMES 64

/* Names of the entries of directory ino (at most MAX_NAMES kept), for layout checks. */
typedef struct name_list {
    char names[MAX_NAMES][64];
    uint64_t inodes[MAX_NAMES];
    husk_ftype types[MAX_NAMES];
    int n;
    int total;
} name_list;

static int collect_cb(const husk_dirent *d, void *ctx)
{
    name_list *l = ctx;
    l->total++;
    if (l->n < MAX_NAMES && d->name_len < sizeof l->names[0]) {
        memcpy(l->names[l->n], d->name, d->name_len);
        l->names[l->n][d->name_len] = '\0';
        l->inodes[l->n] = d->inode;
        l->types[l->n] = d->type;
        l->n++;
    }
    return l->total > 100000 ? 1 : 0;
}

static int list_names(husk_fs *fs, uint64_t ino, name_list *l, husk_err *err)
{
    memset(l, 0, sizeof *l);
    return husk_fs_list_dir(fs, ino, collect_cb, l, err);
}

static int has_name(const name_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return i;
    return -1;
}

static void append_driver(char *drv, size_t n, const char *name)
{
    size_t len = strlen(drv);
    snprintf(drv + len, n - len, "%s%s", len ? "," : "", name);
}

/* Docker: the graph drivers with an image store (image/<driver>), else the containerd
 * snapshotters mounted under rootfs/ (Docker on the containerd image store). */
static void docker_driver(husk_fs *fs, const name_list *top, char *drv, size_t n)
{
    drv[0] = '\0';
    name_list sub;
    int i = has_name(top, "image");
    if (i >= 0 && list_names(fs, top->inodes[i], &sub, NULL) == 0)
        for (int j = 0; j < sub.n; j++)
            if (strcmp(sub.names[j], "identity-cache.db") != 0)
                append_driver(drv, n, sub.names[j]);
    if (drv[0])
        return;
    i = has_name(top, "rootfs");
    if (i >= 0 && list_names(fs, top->inodes[i], &sub, NULL) == 0)
        for (int j = 0; j < sub.n; j++) {
            char s[96];
            snprintf(s, sizeof s, "containerd-%s", sub.names[j]);
            append_driver(drv, n, s);
        }
}

static int looks_like_docker(const name_list *l)
{
    int score = (has_name(l, "containers") >= 0) + (has_name(l, "image") >= 0) +
                (has_name(l, "overlay2") >= 0) + (has_name(l, "volumes") >= 0) +
                (has_name(l, "network") >= 0) + (has_name(l, "engine-id") >= 0);
    return has_name(l, "containers") >= 0 && score >= 3;
}

static void containerd_driver(const name_list *l, char *drv, size_t n)
{
    static const char pre[] = "io.containerd.snapshotter.v1.";
    drv[0] = '\0';
    for (int i = 0; i < l->n; i++)
        if (strncmp(l->names[i], pre, sizeof pre - 1) == 0)
            append_driver(drv, n, l->names[i] + sizeof pre - 1);
}

static int looks_like_containerd(const name_list *l)
{
    return has_name(l, "io.containerd.metadata.v1.bolt") >= 0 ||
           has_name(l, "io.containerd.content.v1.content") >= 0;
}

static int add_root(husk_data_roots *out, const char *path, const char *runtime,
                    const char *driver, const char *how, uint64_t ino)
{
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].inode == ino && strcmp(out->v[i].runtime, runtime) == 0)
            return 0; /* the same directory reached twice (daemon.json names the default) */
    husk_data_root *p = realloc(out->v, (out->n + 1) * sizeof *p);
    if (!p)
        return -HUSK_E_NOMEM;
    out->v = p;
    husk_data_root *r = &out->v[out->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->runtime, sizeof r->runtime, "%s", runtime);
    snprintf(r->driver, sizeof r->driver, "%s", driver ? driver : "");
    snprintf(r->how, sizeof r->how, "%s", how);
    r->inode = ino;
    return 0;
}

/* Checks a candidate Docker data root at path; adds it when its layout is Docker's. */
static int try_docker(husk_fs *fs, const char *path, const char *how, husk_data_roots *out)
{
    uint64_t ino;
    husk_stat st;
    name_list l;
    if (husk_fs_lookup(fs, path, HUSK_LOOKUP_FOLLOW, &ino, NULL) < 0 ||
        husk_fs_stat(fs, ino, &st, NULL) < 0 || st.type != HUSK_FT_DIR ||
        list_names(fs, ino, &l, NULL) < 0 || !looks_like_docker(&l))
        return 0;
    char drv[96];
    docker_driver(fs, &l, drv, sizeof drv);
    return add_root(out, path, "docker", drv, how, ino);
}

/* Reads data-root (or the pre-17.05 "graph") from /etc/docker/daemon.json. */
static void daemon_json_root(husk_fs *fs, char *out, size_t n, husk_diag *diag)
{
    out[0] = '\0';
    uint64_t ino;
    char *data = NULL;
    size_t len = 0;
    husk_err e = {0};
    if (husk_fs_lookup(fs, "/etc/docker/daemon.json", HUSK_LOOKUP_FOLLOW, &ino, NULL) < 0)
        return;
    if (husk_fs_read_all(fs, ino, MAX_DAEMON_JSON, &data, &len, &e) < 0) {
        husk_diag_report(diag, "data-roots", "/etc/docker/daemon.json", -1, "unreadable: %s",
                         e.msg);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    free(data);
    if (!j) {
        husk_diag_report(diag, "data-roots", "/etc/docker/daemon.json", -1,
                         "not valid JSON (line %d): %s", je.line, je.text);
        return;
    }
    const char *keys[] = {"data-root", "graph"};
    for (int i = 0; i < 2 && !out[0]; i++) {
        json_t *v = json_object_get(j, keys[i]);
        if (json_is_string(v) && json_string_value(v)[0] == '/' &&
            strlen(json_string_value(v)) < n)
            snprintf(out, n, "%s", json_string_value(v));
    }
    json_decref(j);
}

int husk_find_data_roots(husk_fs *fs, husk_data_roots *out, husk_diag *diag, husk_err *err)
{
    memset(out, 0, sizeof *out);
    int r;
    name_list top;
    if ((r = list_names(fs, fs->root_inode, &top, err)) < 0)
        return r;
    /* the file system is itself a data root (mounted at /var/lib/docker on the node) */
    if (looks_like_docker(&top)) {
        char drv[96];
        docker_driver(fs, &top, drv, sizeof drv);
        if ((r = add_root(out, "/", "docker", drv, "top-level layout", fs->root_inode)) < 0)
            goto fail;
    }
    if (looks_like_containerd(&top)) {
        char drv[96];
        containerd_driver(&top, drv, sizeof drv);
        if ((r = add_root(out, "/", "containerd", drv, "top-level layout", fs->root_inode)) < 0)
            goto fail;
    }
    char custom[512];
    daemon_json_root(fs, custom, sizeof custom, diag);
    if (custom[0] && (r = try_docker(fs, custom, "daemon.json data-root", out)) < 0)
        goto fail;
    if ((r = try_docker(fs, "/var/lib/docker", "default path", out)) < 0)
        goto fail;

    uint64_t ino;
    husk_stat st;
    name_list l;
    if (husk_fs_lookup(fs, "/var/lib/containerd", HUSK_LOOKUP_FOLLOW, &ino, NULL) == 0 &&
        list_names(fs, ino, &l, NULL) == 0 && looks_like_containerd(&l)) {
        char drv[96];
        containerd_driver(&l, drv, sizeof drv);
        if ((r = add_root(out, "/var/lib/containerd", "containerd", drv, "default path", ino)) <
            0)
            goto fail;
    }
    static const struct {
        const char *path, *runtime;
    } plain[] = {{"/var/lib/kubelet", "kubelet"}, {"/var/log/pods", "pod-logs"}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (husk_fs_lookup(fs, plain[i].path, HUSK_LOOKUP_FOLLOW, &ino, NULL) == 0 &&
            husk_fs_stat(fs, ino, &st, NULL) == 0 && st.type == HUSK_FT_DIR &&
            (r = add_root(out, plain[i].path, plain[i].runtime, "", "default path", ino)) < 0)
            goto fail;
    }
    return 0;
fail:
    husk_data_roots_free(out);
    return husk_err_set(err, -r, "out of memory listing data roots");
}

void husk_data_roots_free(husk_data_roots *r)
{
    free(r->v);
    r->v = NULL;
    r->n = 0;
}
