/*
 * The host's persistence locations (formats.md 9.D), walked on the node's root file system:
 * every file found gets a files row (scope 'host') and is offered to the host rules, which
 * tie a change to the containers that could have made it.
 *
 * "Could have made it": the container was running when the file's mtime, ctime or crtime was
 * set (husk_window_of), and it could write there: a read-write bind mount of the path or one
 * of its ancestors, the runtime's API socket (a new container with / mounted is one request
 * away), or privileged mode (host devices, mount). Times can be forged with touch(1) except
 * ctime, which is why ctime counts too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "findings_int.h"

#define HOST_MAX_FILES 20000       /* files rows this walk may add */
#define HOST_MAX_DIR_ENTRIES 4096  /* entries looked at per directory */
#define HOST_TREE_DEPTH 4          /* /etc/systemd/system/<x>/<y>/<z> */
#define HOST_HASH_MAX (256u << 20) /* larger files keep sha256 NULL */
#define HOST_MAX_WRITERS 8

enum loc_how {
    LOC_FILE,     /* the path itself */
    LOC_CHILDREN, /* files directly in the directory */
    LOC_TREE,     /* files anywhere below the directory, to HOST_TREE_DEPTH */
};

/* Where persistence lives. One '*' component (home directories) is expanded by listing. */
static const struct {
    const char *path;
    enum loc_how how;
    const char *category; /* matched by the host rules' arg */
} locations[] = {
    {"/etc/ld.so.preload", LOC_FILE, "ld-preload"},
    {"/etc/crontab", LOC_FILE, "cron"},
    {"/etc/anacrontab", LOC_FILE, "cron"},
    {"/etc/cron.d", LOC_CHILDREN, "cron"},
    {"/etc/cron.hourly", LOC_CHILDREN, "cron"},
    {"/etc/cron.daily", LOC_CHILDREN, "cron"},
    {"/etc/cron.weekly", LOC_CHILDREN, "cron"},
    {"/etc/cron.monthly", LOC_CHILDREN, "cron"},
    {"/var/spool/cron", LOC_CHILDREN, "cron"},          /* RHEL: one file per user */
    {"/var/spool/cron/crontabs", LOC_CHILDREN, "cron"}, /* Debian */
    {"/root/.ssh/authorized_keys", LOC_FILE, "ssh-keys"},
    {"/root/.ssh/authorized_keys2", LOC_FILE, "ssh-keys"},
    {"/home/*/.ssh/authorized_keys", LOC_FILE, "ssh-keys"},
    {"/home/*/.ssh/authorized_keys2", LOC_FILE, "ssh-keys"},
    {"/etc/systemd/system", LOC_TREE, "systemd"}, /* units, drop-ins, *.wants links */
    {"/etc/sudoers", LOC_FILE, "sudoers"},
    {"/etc/sudoers.d", LOC_CHILDREN, "sudoers"},
    {"/root/.bashrc", LOC_FILE, "shell-rc"},
    {"/root/.profile", LOC_FILE, "shell-rc"},
    {"/root/.bash_profile", LOC_FILE, "shell-rc"},
    {"/etc/profile", LOC_FILE, "shell-rc"},
    {"/etc/bash.bashrc", LOC_FILE, "shell-rc"},
    {"/etc/profile.d", LOC_CHILDREN, "shell-rc"},
    {"/etc/kubernetes/manifests", LOC_CHILDREN, "static-pod"},
    {"/etc/passwd", LOC_FILE, "passwd"},
    {"/etc/shadow", LOC_FILE, "passwd"},
    {"/etc/group", LOC_FILE, "passwd"},
    {"/etc/docker/daemon.json", LOC_FILE, "docker-config"},
};

typedef struct walk {
    fctx *f;
    husk_fs *fs;
    const frule *rules;
    size_t nrules;
    size_t nfiles;
    int limit_reported;
} walk;

/* ---------------------------------------------------------------- attribution */

typedef struct writer {
    const fcontainer *c;
    char how[FIND_PATH_MAX + 64]; /* "mounts / at /host read-write" */
    const char *which;            /* "mtime", "ctime" or "crtime" that fell in its window */
    int64_t when;
} writer;

/* Nanoseconds since the epoch; seconds from the evidence are clamped to what int64
 * nanoseconds hold (years 1678..2261), so a crafted inode time cannot overflow. */
static int64_t ts_ns(const husk_timespec *t)
{
    int64_t lim = INT64_MAX / 1000000000 - 10;
    int64_t sec = t->sec > lim ? lim : t->sec < -lim ? -lim : t->sec;
    return sec * 1000000000 + (t->nsec < 1000000000 ? t->nsec : 999999999);
}

/* How c could write path, or 0 when it could not. Most direct reason first. */
static int could_write(const fcontainer *c, const char *path, char *how, size_t n)
{
    for (size_t i = 0; i < c->nmounts; i++) {
        const fmount *m = &c->mounts[i];
        if (m->rw && m->source && (!m->type || strcmp(m->type, "bind") == 0) &&
            husk_path_under(path, m->source)) {
            snprintf(how, n, "mounts %s at %s read-write", m->source,
                     m->destination ? m->destination : "?");
            return 1;
        }
    }
    for (size_t i = 0; i < c->nmounts; i++) {
        const fmount *m = &c->mounts[i];
        husk_mount_kind k = m->source ? husk_mount_classify(m->source, NULL) : HUSK_MNT_NONE;
        if (k == HUSK_MNT_DOCKER_SOCK || k == HUSK_MNT_CONTAINERD_SOCK || k == HUSK_MNT_CRIO_SOCK) {
            snprintf(how, n, "mounts the runtime socket %s", m->source);
            return 1;
        }
    }
    if (c->privileged) {
        snprintf(how, n, "is privileged");
        return 1;
    }
    return 0;
}

/* The containers that could have changed h; returns their number (at most max). */
static size_t find_writers(fctx *f, const hfile *h, writer *out, size_t max)
{
    const husk_timespec *times[] = {&h->st.ctime, &h->st.mtime, &h->st.crtime};
    static const char *names[] = {"ctime", "mtime", "crtime"};
    size_t n = 0;
    for (size_t i = 0; i < f->nc && n < max; i++) {
        const fcontainer *c = &f->c[i];
        if (!c->win.valid)
            continue;
        for (size_t t = 0; t < 3; t++) {
            if (!times[t]->present || !husk_window_contains(&c->win, ts_ns(times[t])))
                continue;
            if (!could_write(c, h->path, out[n].how, sizeof out[n].how))
                break;
            out[n].c = c;
            out[n].which = names[t];
            out[n].when = ts_ns(times[t]);
            n++;
            break;
        }
    }
    return n;
}

/* The latest of mtime and ctime (crtime never exceeds ctime), or INT64_MIN. */
static int64_t last_change(const hfile *h)
{
    int64_t t = INT64_MIN;
    if (h->st.mtime.present)
        t = ts_ns(&h->st.mtime);
    if (h->st.ctime.present && ts_ns(&h->st.ctime) > t)
        t = ts_ns(&h->st.ctime);
    return t;
}

/* "; content \"/x/y.so\"": the first line of a small text file, for the evidence. */
static void first_line(const hfile *h, char *out, size_t n)
{
    out[0] = '\0';
    if (!h->head || h->head_len == 0)
        return;
    size_t k = strcspn(h->head, "\n");
    if (k > 120)
        k = 120;
    snprintf(out, n, "; content \"%.*s%s\"", (int)k, h->head,
             h->head[k] && h->head[k] != '\n' ? "..." : "");
}

int rule_host_changed(fctx *f, const frule *r, hfile *h)
{
    if (strcmp(h->category, (const char *)r->arg) != 0)
        return 0;
    writer w[HOST_MAX_WRITERS];
    size_t n = find_writers(f, h, w, HOST_MAX_WRITERS);
    char mt[40], ct[40], extra[160] = "";
    husk_time_format(&h->st.mtime, mt, sizeof mt);
    husk_time_format(&h->st.ctime, ct, sizeof ct);
    if (strcmp(h->category, "ld-preload") == 0)
        first_line(h, extra, sizeof extra);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char when[40];
        husk_time_format_ns(w[i].when, when, sizeof when);
        const fcontainer *c = w[i].c;
        rc = finding_emit(f, r, 0, c->id, h->path,
                          "%s: %s %s falls while %s ran (started %s, %s%s), which %s; "
                          "mtime %s, ctime %s%s",
                          h->path, w[i].which, when, c->label, c->started[0] ? c->started : "?",
                          c->win.open_end ? "running at imaging" : "finished ",
                          c->win.open_end ? "" : c->finished, w[i].how, mt, ct, extra);
    }
    if (rc < 0 || n > 0)
        return rc;
    if (strcmp(h->category, "ld-preload") == 0)
        return finding_emit(f, r, 1, NULL, h->path, "%s exists; mtime %s, ctime %s%s", h->path, mt,
                            ct, extra);
    if (f->have_first_start && last_change(h) > f->first_start_ns) {
        char first[40];
        husk_time_format_ns(f->first_start_ns, first, sizeof first);
        return finding_emit(f, r, 1, NULL, h->path,
                            "%s changed after the first container started (mtime %s, ctime %s; "
                            "first start %s); no container that could write there was running",
                            h->path, mt, ct, first);
    }
    return 0;
}

int rule_host_uid0(fctx *f, const frule *r, hfile *h)
{
    if (strcmp(h->path, "/etc/passwd") != 0 || !h->head)
        return 0;
    char names[512];
    int n = passwd_extra_uid0(h->head, h->head_len, names, sizeof names);
    if (n == 0)
        return 0;
    writer w[1];
    size_t nw = find_writers(f, h, w, 1);
    if (nw)
        return finding_emit(f, r, 0, w[0].c->id, h->path,
                            "the host's /etc/passwd has %d uid-0 account%s besides root: %s; "
                            "changed while %s ran, which %s",
                            n, n > 1 ? "s" : "", names, w[0].c->label, w[0].how);
    return finding_emit(f, r, 0, NULL, h->path,
                        "the host's /etc/passwd has %d uid-0 account%s besides root: %s", n,
                        n > 1 ? "s" : "", names);
}

/* ---------------------------------------------------------------- the walk */

/*
 * Reads a regular file once: its SHA-256 into sha ("" when larger than HOST_HASH_MAX or
 * unreadable) and its first FIND_HEAD_MAX bytes into a new NUL-terminated *head for the
 * content rules. Returns 0, -HUSK_E_NOMEM, or a read error (err set; what was read is kept).
 */
static int read_file(husk_fs *fs, uint64_t ino, uint64_t size, char sha[65], char **head,
                     size_t *head_len, husk_err *err)
{
    sha[0] = '\0';
    *head = NULL;
    *head_len = 0;
    size_t hmax = size < FIND_HEAD_MAX ? (size_t)size : FIND_HEAD_MAX;
    uint64_t end = size <= HOST_HASH_MAX ? size : hmax; /* past the head only to hash */
    EVP_MD_CTX *ctx = size <= HOST_HASH_MAX ? EVP_MD_CTX_new() : NULL;
    char *buf = malloc(1u << 16), *h = malloc(hmax + 1);
    int rc = 0, hashing = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    if (!buf || !h || (size <= HOST_HASH_MAX && !ctx))
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    uint64_t off = 0;
    while (rc == 0 && off < end) {
        size_t want = end - off < (1u << 16) ? (size_t)(end - off) : (1u << 16);
        ssize_t n = husk_fs_read(fs, ino, off, buf, want, err);
        if (n < 0)
            rc = (int)n;
        if (n <= 0)
            break;
        if (off < hmax)
            memcpy(h + off, buf, (size_t)n < hmax - off ? (size_t)n : (size_t)(hmax - off));
        if (hashing)
            hashing = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
        off += (uint64_t)n;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    if (rc == 0 && hashing && off == size && EVP_DigestFinal_ex(ctx, d, &dl) == 1 && dl == 32) {
        static const char hx[] = "0123456789abcdef";
        for (unsigned i = 0; i < 32; i++) {
            sha[2 * i] = hx[d[i] >> 4];
            sha[2 * i + 1] = hx[d[i] & 15];
        }
        sha[64] = '\0';
    }
    if (h && rc != -HUSK_E_NOMEM) {
        size_t got = off < hmax ? (size_t)off : hmax;
        h[got] = '\0';
        *head = h;
        *head_len = got;
    } else {
        free(h);
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

/* Records one object found at a persistence location and runs the host rules on it. */
static int host_file(walk *w, const char *path, uint64_t ino, const char *category)
{
    fctx *f = w->f;
    if (w->nfiles >= HOST_MAX_FILES) {
        if (!w->limit_reported)
            husk_diag_report(f->diag, "findings", "host", -1,
                             "more than %d host persistence files; the rest are not examined",
                             HOST_MAX_FILES);
        w->limit_reported = 1;
        return 0;
    }
    hfile h = {.path = path, .category = category};
    husk_err e = {0};
    if (husk_fs_stat(w->fs, ino, &h.st, &e) < 0) {
        husk_diag_report(f->diag, "findings", path, -1, "cannot stat: %s", e.msg);
        return 0;
    }
    if (h.st.type == HUSK_FT_DIR)
        return 0;
    w->nfiles++;
    char sha[65] = "", target[FIND_PATH_MAX] = "";
    if (h.st.type == HUSK_FT_FILE) {
        int r = read_file(w->fs, ino, h.st.size, sha, &h.head, &h.head_len, &e);
        if (r == -HUSK_E_NOMEM)
            return husk_err_set(f->err, HUSK_E_NOMEM, "out of memory");
        if (r < 0)
            husk_diag_report(f->diag, "findings", path, -1, "cannot read: %s", e.msg);
    } else if (h.st.type == HUSK_FT_SYMLINK) {
        if (husk_fs_readlink(w->fs, ino, target, sizeof target, &e) < 0)
            target[0] = '\0';
    }
    char at[40], mt[40], ct[40], crt[40];
    husk_time_format(&h.st.atime, at, sizeof at);
    husk_time_format(&h.st.mtime, mt, sizeof mt);
    husk_time_format(&h.st.ctime, ct, sizeof ct);
    husk_time_format(&h.st.crtime, crt, sizeof crt);
    husk_row_file row = {
        .scope = "host",
        .path = path,
        .type = husk_ftype_name(h.st.type),
        .mode = h.st.mode,
        .uid = h.st.uid,
        .gid = h.st.gid,
        .size = (int64_t)h.st.size,
        .mtime = mt[0] ? mt : NULL,
        .atime = at[0] ? at : NULL,
        .ctime = ct[0] ? ct : NULL,
        .crtime = crt[0] ? crt : NULL,
        .inode = (int64_t)h.st.inode,
        .sha256 = sha[0] ? sha : NULL,
        .link_target = target[0] ? target : NULL,
        .recovered_from = "live",
        .confidence = 1.0,
        .filesystem_id = f->fs_ids[f->root_fs] ? f->fs_ids[f->root_fs] : HUSK_NULL_INT,
        .host_path = path,
    };
    int rc = husk_casedb_add_file(f->db, &row, NULL, f->err);
    for (size_t i = 0; rc == 0 && i < w->nrules; i++)
        if (w->rules[i].on_host)
            rc = w->rules[i].on_host(f, &w->rules[i], &h);
    free(h.head);
    return rc;
}

typedef struct names {
    char (*v)[256];
    size_t n;
} names;

static int collect_name(const husk_dirent *d, void *ctx)
{
    names *l = ctx;
    if (l->n == HOST_MAX_DIR_ENTRIES)
        return 1;
    if (d->name_len == 0 || d->name_len >= 256 || memchr(d->name, '/', d->name_len) ||
        memchr(d->name, '\0', d->name_len))
        return 0;
    memcpy(l->v[l->n], d->name, d->name_len);
    l->v[l->n][d->name_len] = '\0';
    l->n++;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Lists directory dir (following symlinks to it) into a new names list, sorted for a stable
 * order of rows. Returns 0 with an empty list when dir is absent. */
static int list_names(walk *w, const char *dir, names *out)
{
    memset(out, 0, sizeof *out);
    uint64_t ino;
    husk_err e = {0};
    if (husk_fs_lookup(w->fs, dir, HUSK_LOOKUP_FOLLOW, &ino, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(w->f->diag, "findings", dir, -1, "cannot look up: %s", e.msg);
        return 0;
    }
    out->v = malloc(HOST_MAX_DIR_ENTRIES * sizeof *out->v);
    if (!out->v)
        return husk_err_set(w->f->err, HUSK_E_NOMEM, "out of memory");
    husk_stat st;
    if (husk_fs_stat(w->fs, ino, &st, &e) < 0 || st.type != HUSK_FT_DIR)
        return 0;
    if (husk_fs_list_dir(w->fs, ino, collect_name, out, &e) < 0)
        husk_diag_report(w->f->diag, "findings", dir, -1, "cannot list: %s", e.msg);
    if (out->n == HOST_MAX_DIR_ENTRIES)
        husk_diag_report(w->f->diag, "findings", dir, -1,
                         "more than %d entries; the rest are not examined", HOST_MAX_DIR_ENTRIES);
    qsort(out->v, out->n, sizeof *out->v, cmp_name);
    return 0;
}

static void free_names(names *l)
{
    free(l->v);
}

static int visit(walk *w, const char *path, enum loc_how how, const char *category, int depth);

/* Visits every entry of dir: files (LOC_CHILDREN), or files and subdirectories (LOC_TREE). */
static int visit_dir(walk *w, const char *dir, enum loc_how how, const char *category, int depth)
{
    names l;
    int rc = list_names(w, dir, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        char child[FIND_PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", dir, l.v[i]) >= (int)sizeof child)
            continue;
        uint64_t ino;
        husk_err e = {0};
        if (husk_fs_lookup(w->fs, child, 0, &ino, &e) < 0)
            continue;
        husk_stat st;
        if (husk_fs_stat(w->fs, ino, &st, &e) < 0)
            continue;
        if (st.type == HUSK_FT_DIR) {
            /* symlinked directories are not followed (husk_fs_lookup without FOLLOW gives the
             * link itself), so the walk cannot loop */
            if (how == LOC_TREE && depth < HOST_TREE_DEPTH)
                rc = visit_dir(w, child, how, category, depth + 1);
            continue;
        }
        rc = host_file(w, child, ino, category);
    }
    free_names(&l);
    return rc;
}

static int visit(walk *w, const char *path, enum loc_how how, const char *category, int depth)
{
    /* expand one '*' component by listing its parent */
    const char *star = strstr(path, "/*/");
    if (star) {
        char parent[FIND_PATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", (int)(star - path), path);
        names l;
        int rc = list_names(w, parent[0] ? parent : "/", &l);
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
            char p[FIND_PATH_MAX];
            if (snprintf(p, sizeof p, "%s/%s%s", parent, l.v[i], star + 2) < (int)sizeof p)
                rc = visit(w, p, how, category, depth);
        }
        free_names(&l);
        return rc;
    }
    if (how != LOC_FILE)
        return visit_dir(w, path, how, category, depth);
    uint64_t ino;
    husk_err e = {0};
    if (husk_fs_lookup(w->fs, path, 0, &ino, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(w->f->diag, "findings", path, -1, "cannot look up: %s", e.msg);
        return 0;
    }
    return host_file(w, path, ino, category);
}

int host_walk(fctx *f, const frule *rules, size_t nrules)
{
    walk w = {.f = f, .fs = f->node->fss[f->root_fs].fs, .rules = rules, .nrules = nrules};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof locations / sizeof locations[0]; i++)
        rc = visit(&w, locations[i].path, locations[i].how, locations[i].category, 0);
    return rc;
}
