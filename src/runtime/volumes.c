/*
 * Docker volumes (include/husk/docker.h husk_docker_volumes; formats.md 8).
 *
 * A volume is known from two places that can disagree on a damaged or tampered node: the
 * record in volumes/metadata.db (bbolt, bucket "volumes": name -> {Name, Driver, Labels,
 * Options}) and the local driver's directory volumes/<name>/ (with _data/ and, for volumes
 * with options, opts.json). Both are read and merged by name. Records that survive only on
 * free pages of metadata.db (removed volumes) are kept as recovered_from "bolt-free".
 *
 * Every object below _data/ becomes a files row (scope "volume", layer = the volume name),
 * once per container that mounts the volume with the path that container sees, or once with
 * no container and the path relative to the volume when none does. The mounting containers are
 * read from containers/<id>/config.v2.json MountPoints here, because the case database is not
 * read back during an analysis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "husk/bolt.h"
#include "husk/docker.h"

#define PHASE "volumes"
#define MAX_VOLUMES 10000
#define MAX_VOLUME_JSON (1u << 20)
#define MAX_OPTS_JSON (1u << 20)
#define MAX_MOUNT_REFS 100000
#define MAX_FILES_PER_VOLUME 500000
#define MAX_FILE_ROWS 5000000   /* files rows of the whole phase (objects x mounting containers) */
#define MAX_FREE_RECORDS 100000 /* free-page elements looked at in metadata.db */
#define MAX_DIR_DEPTH 64
#define MAX_NAME 255 /* a file name or volume name longer than NAME_MAX is not real */
#define HASH_CHUNK (256u << 10)

typedef struct vol {
    char *name;
    char *driver, *labels, *options, *opts_json; /* compact JSON or NULL */
    const char *recovered_from;                  /* "live" or "bolt-free" */
    uint64_t dir_ino;                            /* volumes/<name>/, 0 when absent */
    uint64_t data_ino;                           /* volumes/<name>/_data, 0 when absent */
    char created[40];
} vol;

typedef struct vol_list {
    vol *v;
    size_t n, cap;
    int full; /* MAX_VOLUMES reached */
} vol_list;

typedef struct mount_ref {
    char id[65];
    char *volume, *dest;
} mount_ref;

typedef struct mount_list {
    mount_ref *v;
    size_t n, cap;
} mount_list;

static void vols_free(vol_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].driver);
        free(l->v[i].labels);
        free(l->v[i].options);
        free(l->v[i].opts_json);
    }
    free(l->v);
}

static void mounts_free(mount_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].volume);
        free(l->v[i].dest);
    }
    free(l->v);
}

static vol *vol_find(vol_list *l, const char *name, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i].name) == len && memcmp(l->v[i].name, name, len) == 0)
            return &l->v[i];
    return NULL;
}

/* The volume named name[0..len), added when new. NULL when out of memory or at the bound. */
static vol *vol_get(vol_list *l, const char *name, size_t len)
{
    vol *v = vol_find(l, name, len);
    if (v)
        return v;
    if (l->n >= MAX_VOLUMES) {
        l->full = 1;
        return NULL;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        vol *p = realloc(l->v, nc * sizeof *p);
        if (!p)
            return NULL;
        l->v = p;
        l->cap = nc;
    }
    v = &l->v[l->n];
    memset(v, 0, sizeof *v);
    if (!(v->name = strndup(name, len)))
        return NULL;
    v->recovered_from = "live";
    l->n++;
    return v;
}

/* Docker's volume names ([a-zA-Z0-9][a-zA-Z0-9_.-]*) never hold a '/' or a NUL; anything else
 * must not be joined into a path. */
static int safe_name(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME || (n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
        return 0;
    return !memchr(s, '/', n) && !memchr(s, '\0', n);
}

static char *dump_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Fills v's metadata from a metadata.db value. 0, or -1 when the bytes are not a volume
 * record (err says why). */
static int parse_record(vol *v, const uint8_t *val, size_t vlen, husk_err *err)
{
    json_error_t je;
    if (vlen > MAX_VOLUME_JSON)
        return husk_err_set(err, HUSK_E_LIMIT, "record of %zu bytes", vlen), -1;
    json_t *j = json_loadb((const char *)val, vlen, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return husk_err_set(err, HUSK_E_FORMAT, "record is not a JSON object: %s", je.text), -1;
    }
    const char *name = husk_json_str(j, "Name");
    if (name && strcmp(name, v->name) != 0)
        husk_err_set(err, HUSK_E_FORMAT, "record under key \"%s\" names volume \"%s\"", v->name,
                     name);
    const char *driver = husk_json_str(j, "Driver");
    free(v->driver);
    free(v->labels);
    free(v->options);
    v->driver = driver ? strdup(driver) : NULL;
    v->labels = dump_member(j, "Labels");
    v->options = dump_member(j, "Options");
    json_decref(j);
    return 0;
}

typedef struct free_ctx {
    vol_list *vols;
    size_t seen;
} free_ctx;

/* A free-page element is taken for a removed volume's record only when it looks exactly like
 * one: in the "volumes" bucket (or on a page of unknown bucket), JSON whose Name is the key. */
static int free_record(const husk_bolt_entry *e, void *ctx)
{
    free_ctx *fc = ctx;
    if (++fc->seen > MAX_FREE_RECORDS)
        return 1;
    if (e->is_bucket || !safe_name((const char *)e->key, e->klen) || e->vlen > MAX_VOLUME_JSON)
        return 0;
    if (e->parent && !(e->parent_len == 7 && memcmp(e->parent, "volumes", 7) == 0))
        return 0;
    if (vol_find(fc->vols, (const char *)e->key, e->klen))
        return 0; /* live, or an older copy already recovered */
    json_t *j = json_loadb((const char *)e->val, e->vlen, 0, NULL);
    const char *name = husk_json_str(j, "Name");
    int match = name && strlen(name) == e->klen && !memcmp(name, e->key, e->klen) &&
                json_object_get(j, "Driver");
    json_decref(j);
    if (!match)
        return 0;
    vol *v = vol_get(fc->vols, (const char *)e->key, e->klen);
    if (!v)
        return fc->vols->full ? 1 : -HUSK_E_NOMEM;
    parse_record(v, e->val, e->vlen, NULL);
    v->recovered_from = "bolt-free";
    return 0;
}

/* Reads volumes/metadata.db: live records, then removed ones from free pages. Damage goes to
 * diag; only running out of memory is an error. */
static int read_metadata_db(const husk_docker_root *r, vol_list *vols, husk_diag *diag)
{
    const char *obj = "volumes/metadata.db";
    char *buf = NULL;
    size_t len = 0;
    husk_err e = {0};
    int rc = husk_docker_read(r, obj, HUSK_BOLT_MAX_FILE, &buf, &len, &e);
    if (rc < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(diag, PHASE, obj, -1, "unreadable: %s", e.msg);
        return 0;
    }
    husk_bolt *db = NULL;
    if (husk_bolt_open((const uint8_t *)buf, len, &db, &e) < 0) {
        husk_diag_report(diag, PHASE, obj, -1, "%s", e.msg);
        free(buf);
        return 0;
    }
    husk_bolt_info info;
    husk_bolt_get_info(db, &info);
    for (int i = 0; i < 2; i++)
        if (!info.meta_valid[i])
            husk_diag_report(diag, PHASE, obj, -1,
                             "meta page %d (file offset %llu) damaged; using meta page %d "
                             "(txid %llu)",
                             i, (unsigned long long)i * info.page_size, info.meta_used,
                             (unsigned long long)info.txid);
    const char *path[] = {"volumes"};
    husk_bolt_bucket b;
    husk_bolt_cursor *c = NULL;
    rc = husk_bolt_bucket_path(db, path, 1, &b, &e);
    if (rc == 0)
        rc = husk_bolt_cursor_new(db, &b, &c, &e);
    else if (e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, PHASE, obj, -1, "bucket volumes: %s", e.msg);
    if (rc < 0 && rc != -HUSK_E_NOMEM)
        rc = 0; /* no live bucket: its records may still be on free pages */
    husk_bolt_entry ent;
    while (c && (rc = husk_bolt_cursor_next(c, &ent, &e)) != 0) {
        if (rc < 0) {
            husk_diag_report(diag, PHASE, obj, -1, "bucket volumes: %s", e.msg);
            husk_err_clear(&e);
            continue;
        }
        if (ent.is_bucket || !safe_name((const char *)ent.key, ent.klen)) {
            husk_diag_report(diag, PHASE, obj, -1, "bucket volumes: unexpected %s of %zu bytes",
                             ent.is_bucket ? "sub-bucket" : "key", ent.klen);
            continue;
        }
        vol *v = vol_get(vols, (const char *)ent.key, ent.klen);
        if (!v) {
            if (!vols->full)
                rc = -HUSK_E_NOMEM;
            break;
        }
        husk_err pe = {0};
        if (parse_record(v, ent.val, ent.vlen, &pe) < 0 || pe.code)
            husk_diag_report(diag, PHASE, obj, -1, "volume %s: %s", v->name, pe.msg);
    }
    husk_bolt_cursor_free(c);
    if (rc >= 0) {
        free_ctx fc = {vols, 0};
        unsigned damaged = 0;
        rc = husk_bolt_scan_free(db, free_record, &fc, &damaged, &e);
        if (damaged)
            husk_diag_report(diag, PHASE, obj, -1, "%u pages of the live tree are damaged",
                             damaged);
        if (fc.seen > MAX_FREE_RECORDS)
            husk_diag_report(diag, PHASE, obj, -1,
                             "more than %d records on free pages; the rest not looked at",
                             MAX_FREE_RECORDS);
    }
    husk_bolt_close(db);
    free(buf);
    if (vols->full)
        husk_diag_report(diag, PHASE, obj, -1, "more than %d volumes; the rest skipped",
                         MAX_VOLUMES);
    return rc == -HUSK_E_NOMEM ? rc : 0;
}

typedef struct dir_ctx {
    const husk_docker_root *r;
    vol_list *vols;
} dir_ctx;

static int volume_dir_cb(const husk_dirent *d, void *ctx)
{
    dir_ctx *dc = ctx;
    if (d->type != HUSK_FT_DIR && d->type != HUSK_FT_UNKNOWN)
        return 0; /* metadata.db, and the odd file */
    if (!safe_name(d->name, d->name_len))
        return 0;
    vol *v = vol_get(dc->vols, d->name, d->name_len);
    if (!v)
        return dc->vols->full ? 1 : -HUSK_E_NOMEM;
    v->dir_ino = d->inode;
    return 0;
}

/* Finds volumes/<name>/ directories, their _data/, opts.json and creation time. */
static int read_volume_dirs(const husk_docker_root *r, vol_list *vols, husk_diag *diag)
{
    dir_ctx dc = {r, vols};
    husk_err e = {0};
    int rc = husk_docker_list(r, "volumes", volume_dir_cb, &dc, &e);
    if (rc == -HUSK_E_NOMEM)
        return rc;
    if (rc < 0 && e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, PHASE, "volumes", -1, "cannot list: %s", e.msg);
    for (size_t i = 0; i < vols->n; i++) {
        vol *v = &vols->v[i];
        if (!v->dir_ino)
            continue;
        husk_stat st;
        if (husk_fs_stat(r->fs, v->dir_ino, &st, NULL) < 0 || st.type != HUSK_FT_DIR) {
            v->dir_ino = 0;
            continue;
        }
        /* Docker's CreatedAt is a ctime (of _data in 20.10-era local_unix.go, of
         * volumes/<name> later), which moves whenever an entry is added. The birth time of
         * volumes/<name> is when the volume was made; its ctime when there is none. */
        husk_time_format(st.crtime.present ? &st.crtime : &st.ctime, v->created, sizeof v->created);
        uint64_t ino;
        if (husk_fs_lookup_child(r->fs, v->dir_ino, "_data", &ino, NULL) == 0 &&
            husk_fs_stat(r->fs, ino, &st, NULL) == 0 && st.type == HUSK_FT_DIR)
            v->data_ino = ino;
        char rel[512], *data = NULL;
        size_t len = 0;
        snprintf(rel, sizeof rel, "volumes/%s/opts.json", v->name);
        husk_err_clear(&e);
        if (husk_docker_read(r, rel, MAX_OPTS_JSON, &data, &len, &e) < 0) {
            if (e.code != HUSK_E_NOTFOUND)
                husk_diag_report(diag, PHASE, rel, -1, "unreadable: %s", e.msg);
            continue;
        }
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (j)
            v->opts_json = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        else
            husk_diag_report(diag, PHASE, rel, -1, "not JSON: %s", je.text);
        json_decref(j);
        free(data);
    }
    return 0;
}

static int add_ref(mount_list *l, const char *id, const char *volume, const char *dest)
{
    if (l->n >= MAX_MOUNT_REFS)
        return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        mount_ref *p = realloc(l->v, nc * sizeof *p);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    mount_ref *m = &l->v[l->n];
    snprintf(m->id, sizeof m->id, "%s", id);
    m->volume = strdup(volume);
    m->dest = strdup(dest);
    if (!m->volume || !m->dest) {
        free(m->volume);
        free(m->dest);
        return -HUSK_E_NOMEM;
    }
    l->n++;
    return 0;
}

/*
 * The (container, volume, destination) triples of this data root's containers, from the mounts
 * rows the containers phase wrote in this same transaction (it has read and reported every
 * config.v2.json already; reading them again would double the I/O and the reports).
 */
static int read_mount_refs(const husk_docker_root *r, husk_casedb *db, mount_list *refs,
                           husk_err *err)
{
    sqlite3 *s = husk_casedb_sqlite(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT m.container_id, m.volume_name, m.destination FROM mounts m "
                           "JOIN containers c ON c.id = m.container_id WHERE c.data_root_id = ? "
                           "AND m.type = 'volume' AND m.volume_name IS NOT NULL "
                           "AND m.destination IS NOT NULL ORDER BY m.container_id, m.destination",
                           -1, &st, NULL) != SQLITE_OK)
        return husk_err_set(err, HUSK_E_DB, "reading mounts: %s", sqlite3_errmsg(s));
    sqlite3_bind_int64(st, 1, r->db_id);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        rc = add_ref(refs, (const char *)sqlite3_column_text(st, 0),
                     (const char *)sqlite3_column_text(st, 1),
                     (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    return rc;
}

static int write_volume_row(const husk_docker_root *r, const vol *v, husk_casedb *db, husk_err *err)
{
    char mp[1024] = "", rel[512];
    /* The local driver mounts volumes/<name>/_data; other drivers' mount points are theirs. */
    if (v->data_ino || (v->driver && strcmp(v->driver, "local") == 0)) {
        snprintf(rel, sizeof rel, "volumes/%s/_data", v->name);
        if (husk_docker_path(r, rel, mp, sizeof mp) < 0)
            mp[0] = '\0';
    }
    husk_row_docker_volume row = {v->name,
                                  v->driver,
                                  v->labels,
                                  v->options,
                                  v->created[0] ? v->created : NULL,
                                  mp[0] ? mp : NULL,
                                  r->db_id,
                                  v->recovered_from,
                                  v->opts_json};
    return husk_casedb_add_docker_volume(db, &row, err);
}

/* ---- files below _data ------------------------------------------------------------------ */

/* Files rows written by the whole phase, against MAX_FILE_ROWS. */
typedef struct row_budget {
    size_t n;
    int full;
} row_budget;

typedef struct walk {
    const husk_docker_root *r;
    const vol *v;
    const mount_ref **refs; /* the containers mounting v */
    size_t nrefs;
    husk_casedb *db;
    husk_diag *diag;
    husk_err *err;
    size_t files; /* objects of this volume */
    row_budget *rows;
    int limited; /* MAX_FILES_PER_VOLUME reached */
    uint64_t ancestors[MAX_DIR_DEPTH];
    uint8_t *buf; /* HASH_CHUNK bytes */
} walk;

typedef struct entry {
    char *name;
    uint64_t ino;
} entry;

typedef struct entry_list {
    entry *v;
    size_t n, cap;
    size_t limit;
} entry_list;

static int collect_entry(const husk_dirent *d, void *ctx)
{
    entry_list *l = ctx;
    if (l->n >= l->limit)
        return 1;
    if (d->name_len == 0 || d->name_len > MAX_NAME || memchr(d->name, '\0', d->name_len))
        return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        entry *p = realloc(l->v, nc * sizeof *p);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    if (!(l->v[l->n].name = strndup(d->name, d->name_len)))
        return -HUSK_E_NOMEM;
    l->v[l->n++].ino = d->inode;
    return 0;
}

/* SHA-256 of a regular file's st->size bytes into hex. 0, or -1 when the content could not be
 * read (err says why). */
static int hash_file(walk *w, const husk_stat *st, char hex[65], husk_err *err)
{
    static const char hx[] = "0123456789abcdef";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return husk_err_set(err, HUSK_E_NOMEM, "no SHA-256 context"), -1;
    }
    uint64_t off = 0;
    while (off < st->size) {
        size_t want = st->size - off < HASH_CHUNK ? (size_t)(st->size - off) : HASH_CHUNK;
        ssize_t n = husk_fs_read(w->r->fs, st->inode, off, w->buf, want, err);
        if (n <= 0) {
            if (n == 0)
                husk_err_set(err, HUSK_E_IO, "file ends at %llu of %llu bytes",
                             (unsigned long long)off, (unsigned long long)st->size);
            EVP_MD_CTX_free(md);
            return -1;
        }
        EVP_DigestUpdate(md, w->buf, (size_t)n);
        off += (uint64_t)n;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = hx[d[i] >> 4];
        hex[2 * i + 1] = hx[d[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

static const char *time_or_null(const husk_timespec *t, char *buf, size_t n)
{
    husk_time_format(t, buf, n);
    return buf[0] ? buf : NULL;
}

/* Writes the files rows of one object at rel ("/etc/x", relative to _data). */
static int write_object(walk *w, const char *rel, const husk_stat *st)
{
    char sha[65], link[4096], host[4096], tail[4096], path[8192];
    char mt[40], at[40], ct[40], bt[40];
    int have_sha = 0, have_link = 0;
    husk_err e = {0};
    snprintf(tail, sizeof tail, "volumes/%s/_data%s", w->v->name, rel);
    if (husk_docker_path(w->r, tail, host, sizeof host) < 0)
        return 0; /* longer than PATH_MAX: no path the node could have had */
    if (st->type == HUSK_FT_FILE) {
        have_sha = hash_file(w, st, sha, &e) == 0;
        if (!have_sha) {
            if (e.code == HUSK_E_NOMEM)
                return husk_err_set(w->err, HUSK_E_NOMEM, "%s", e.msg);
            husk_diag_report(w->diag, PHASE, host, -1, "content unreadable: %s", e.msg);
        }
    } else if (st->type == HUSK_FT_SYMLINK) {
        have_link = husk_fs_readlink(w->r->fs, st->inode, link, sizeof link, NULL) >= 0;
    }
    husk_row_file row = {.layer = w->v->name,
                         .scope = "volume",
                         .type = husk_ftype_name(st->type),
                         .mode = st->mode,
                         .uid = st->uid,
                         .gid = st->gid,
                         .size = (int64_t)st->size,
                         .mtime = time_or_null(&st->mtime, mt, sizeof mt),
                         .atime = time_or_null(&st->atime, at, sizeof at),
                         .ctime = time_or_null(&st->ctime, ct, sizeof ct),
                         .crtime = time_or_null(&st->crtime, bt, sizeof bt),
                         .inode = (int64_t)st->inode,
                         .sha256 = have_sha ? sha : NULL,
                         .link_target = have_link ? link : NULL,
                         .recovered_from = "live",
                         .confidence = 1.0,
                         .filesystem_id = w->r->fs_db_id,
                         .host_path = host};
    if (w->nrefs == 0) {
        row.path = rel;
        return husk_casedb_add_file(w->db, &row, NULL, w->err);
    }
    for (size_t i = 0; i < w->nrefs; i++) {
        const char *dest = w->refs[i]->dest;
        size_t dl = strlen(dest);
        while (dl > 0 && dest[dl - 1] == '/')
            dl--;
        snprintf(path, sizeof path, "%.*s%s", (int)dl, dest, rel);
        row.container_id = w->refs[i]->id;
        row.path = path;
        int rc = husk_casedb_add_file(w->db, &row, NULL, w->err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Walks directory ino (at rel, depth levels below _data) depth first. */
static int walk_dir(walk *w, uint64_t ino, const char *rel, int depth)
{
    if (depth >= MAX_DIR_DEPTH) {
        husk_diag_report(w->diag, PHASE, w->v->name, -1,
                         "directories nested deeper than %d below _data%s; not followed",
                         MAX_DIR_DEPTH, rel);
        return 0;
    }
    for (int i = 0; i < depth; i++)
        if (w->ancestors[i] == ino) {
            husk_diag_report(w->diag, PHASE, w->v->name, -1,
                             "directory _data%s is its own ancestor (inode %llu)", rel,
                             (unsigned long long)ino);
            return 0;
        }
    w->ancestors[depth] = ino;
    entry_list l = {.limit = MAX_FILES_PER_VOLUME - w->files};
    husk_err e = {0};
    int rc = husk_fs_list_dir(w->r->fs, ino, collect_entry, &l, &e);
    if (rc == -HUSK_E_NOMEM)
        husk_err_set(w->err, HUSK_E_NOMEM, "out of memory");
    else if (rc < 0)
        husk_diag_report(w->diag, PHASE, w->v->name, -1, "cannot list _data%s: %s", rel, e.msg);
    rc = rc == -HUSK_E_NOMEM ? rc : 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        char child[4096];
        husk_stat st;
        size_t nrows = w->nrefs ? w->nrefs : 1;
        if (w->files >= MAX_FILES_PER_VOLUME) {
            w->limited = 1;
            break;
        }
        if (w->rows->n + nrows > MAX_FILE_ROWS) {
            w->rows->full = 1; /* reported once by the caller */
            break;
        }
        if ((size_t)snprintf(child, sizeof child, "%s/%s", rel, l.v[i].name) >= sizeof child)
            continue;
        husk_err_clear(&e);
        if (husk_fs_stat(w->r->fs, l.v[i].ino, &st, &e) < 0) {
            husk_diag_report(w->diag, PHASE, w->v->name, -1, "cannot stat _data%s: %s", child,
                             e.msg);
            continue;
        }
        w->files++;
        w->rows->n += nrows;
        rc = write_object(w, child, &st);
        if (rc == 0 && st.type == HUSK_FT_DIR)
            rc = walk_dir(w, l.v[i].ino, child, depth + 1);
    }
    if (l.n >= l.limit)
        w->limited = 1;
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].name);
    free(l.v);
    return rc;
}

static int write_volume_files(const husk_docker_root *r, const vol *v, const mount_list *refs,
                              row_budget *rows, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    walk w = {.r = r, .v = v, .rows = rows, .db = db, .diag = diag, .err = err};
    w.refs = calloc(refs->n + 1, sizeof *w.refs);
    w.buf = malloc(HASH_CHUNK);
    if (!w.refs || !w.buf) {
        free(w.refs);
        free(w.buf);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < refs->n; i++)
        if (strcmp(refs->v[i].volume, v->name) == 0)
            w.refs[w.nrefs++] = &refs->v[i];
    int rc = walk_dir(&w, v->data_ino, "", 0);
    if (w.limited)
        husk_diag_report(diag, PHASE, v->name, -1,
                         "more than %d objects in the volume; the rest skipped",
                         MAX_FILES_PER_VOLUME);
    free(w.refs);
    free(w.buf);
    return rc;
}

int husk_docker_volumes(const husk_docker_root *r, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    vol_list vols = {0};
    mount_list refs = {0};
    row_budget rows = {0, 0};
    int rc = read_metadata_db(r, &vols, diag);
    if (rc == 0)
        rc = read_volume_dirs(r, &vols, diag);
    if (rc < 0)
        husk_err_set(err, HUSK_E_NOMEM, "volumes: out of memory");
    if (rc == 0)
        rc = read_mount_refs(r, db, &refs, err);
    for (size_t i = 0; rc == 0 && i < vols.n; i++) {
        const vol *v = &vols.v[i];
        husk_progress_report(r->opts ? r->opts->progress : NULL, "walking volumes", i, vols.n,
                             HUSK_PROGRESS_ITEMS);
        rc = write_volume_row(r, v, db, err);
        if (rc == 0 && v->data_ino)
            rc = write_volume_files(r, v, &refs, &rows, db, diag, err);
    }
    if (vols.n)
        husk_progress_report(r->opts ? r->opts->progress : NULL, "walking volumes", vols.n,
                             vols.n, HUSK_PROGRESS_ITEMS);
    if (rows.full)
        husk_diag_report(diag, PHASE, "volumes", -1,
                         "more than %d files rows for volumes; the rest skipped", MAX_FILE_ROWS);
    vols_free(&vols);
    mounts_free(&refs);
    return rc;
}
