/*
 * A Docker container's logs into the case database's logs table: every log file Docker left in
 * containers/<id>/ is read, oldest first, as `docker logs` reads them (formats.md section 4):
 *
 *   json-file  <id>-json.log.N[.gz] ... <id>-json.log.1[.gz], <id>-json.log
 *   local      local-logs/container.log.N[.gz] ... container.log
 *   cached     container-cached.log.N[.gz] ... container-cached.log (dual logging)
 *
 * Files are streamed through the VFS in slices (and through zlib when compressed), so a log
 * of any size costs a constant amount of memory. Each source gets its own joiner, so a line
 * split across a rotation is put back together, and seq runs on from one source to the next.
 * When a container has local-format files, case_info gets docker_engine.<data root id> (see
 * note_engine()), which `husk logs` needs to print what that engine's `docker logs` printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/docker.h"
#include "husk/logs.h"

#define MAX_LOG_FILES 1024 /* rotated files per container kept; more is not Docker's doing */
#define READ_SLICE 65536

enum log_kind { KIND_JSON, KIND_LOCAL, KIND_CACHED, KIND_COUNT };
static const char *const kind_source[KIND_COUNT] = {"json-file", "local", "cached"};

typedef struct log_file {
    enum log_kind kind;
    unsigned num; /* rotation number; 0 for the file being written */
    int gz;
    uint64_t ino;
    char name[96]; /* as found in its directory */
} log_file;

typedef struct file_list {
    log_file *v;
    size_t n;
    unsigned dropped;
    int in_local_logs;
    const char *id;
    uint64_t local_dir; /* inode of local-logs/, 0 if absent */
} file_list;

/* "<base>", "<base>.N" or "<base>.N.gz": returns 1 and fills num/gz when name is one of them. */
static int match_rotated(const char *name, size_t len, const char *base, unsigned *num, int *gz)
{
    size_t bl = strlen(base);
    if (len < bl || memcmp(name, base, bl) != 0)
        return 0;
    *num = 0;
    *gz = 0;
    if (len == bl)
        return 1;
    size_t i = bl;
    if (name[i++] != '.')
        return 0;
    unsigned n = 0;
    size_t d = 0;
    while (i < len && name[i] >= '0' && name[i] <= '9' && d < 6) {
        n = n * 10 + (unsigned)(name[i++] - '0');
        d++;
    }
    if (d == 0 || n == 0 || (d > 1 && name[bl + 1] == '0'))
        return 0; /* Docker numbers from 1, without leading zeros */
    if (i < len) {
        if (len - i != 3 || memcmp(name + i, ".gz", 3) != 0)
            return 0;
        *gz = 1;
    }
    *num = n;
    return 1;
}

static int collect_cb(const husk_dirent *d, void *ctx)
{
    file_list *l = ctx;
    char json_base[80];
    unsigned num;
    int gz;
    enum log_kind kind;
    snprintf(json_base, sizeof json_base, "%s-json.log", l->id);
    if (!l->in_local_logs && d->name_len == 10 && memcmp(d->name, "local-logs", 10) == 0) {
        l->local_dir = d->inode;
        return 0;
    }
    if (l->in_local_logs) {
        if (!match_rotated(d->name, d->name_len, "container.log", &num, &gz))
            return 0;
        kind = KIND_LOCAL;
    } else if (match_rotated(d->name, d->name_len, json_base, &num, &gz)) {
        kind = KIND_JSON;
    } else if (match_rotated(d->name, d->name_len, "container-cached.log", &num, &gz)) {
        kind = KIND_CACHED;
    } else {
        return 0;
    }
    if (l->n >= MAX_LOG_FILES || d->name_len >= sizeof l->v[0].name) {
        l->dropped++;
        return 0;
    }
    log_file *f = &l->v[l->n++];
    f->kind = kind;
    f->num = num;
    f->gz = gz;
    f->ino = d->inode;
    memcpy(f->name, d->name, d->name_len);
    f->name[d->name_len] = '\0';
    return 0;
}

/* Oldest first within a source: higher rotation numbers are older, the live file is last. */
static int by_age(const void *a, const void *b)
{
    const log_file *x = a, *y = b;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    if (x->num != y->num)
        return x->num > y->num ? -1 : 1;
    return x->gz - y->gz;
}

typedef struct run {
    const husk_docker_root *r;
    const husk_container *c;
    husk_casedb *db;
    husk_diag *diag;
    enum log_kind kind;
    husk_jsonfile *jf;
    husk_localfile *lf;
    husk_logjoin *join;
    const char *file;   /* node path of the file being read */
    husk_timespec last; /* time of the last entry read from it */
    int fatal;          /* the case database failed: stop everything */
    int64_t rows;
} run;

static int on_message(const husk_log_msg *m, void *ctx, husk_err *err)
{
    run *x = ctx;
    char t[40];
    husk_log_time_format(&m->time, t, sizeof t);
    husk_row_log row = {
        .container_id = x->c->id,
        .source = kind_source[x->kind],
        .file = m->file,
        .seq = m->seq,
        .time = t[0] ? t : NULL,
        .stream = m->stream,
        .message = m->data,
        .message_len = m->len,
        .partial = m->partial,
        .recovered_from = x->c->prov.recovered_from,
        .confidence = x->c->prov.confidence,
    };
    int rc = husk_casedb_add_log(x->db, &row, err);
    if (rc < 0)
        x->fatal = 1;
    else
        x->rows++;
    return rc;
}

static int on_entry(const husk_log_entry *e, void *ctx, husk_err *err)
{
    run *x = ctx;
    if (e->time.present)
        x->last = e->time;
    return husk_logjoin_add(x->join, e, x->file, err);
}

/* Decompressed (or plain) bytes of the current file into its decoder. */
static int to_decoder(const void *buf, size_t len, void *ctx, husk_err *err)
{
    run *x = ctx;
    int rc = x->kind == KIND_JSON ? husk_jsonfile_feed(x->jf, buf, len, err)
                                  : husk_localfile_feed(x->lf, buf, len, err);
    if (rc < 0)
        x->fatal = 1;
    return rc;
}

/* Docker's max-size option ("10m", "8k", "20MiB"): bytes, or 0 when absent or unreadable. */
static uint64_t max_size_opt(const husk_container *c)
{
    const char *s = husk_json_str(c->hostconfig, "LogConfig.Config.max-size");
    if (!s)
        return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    switch (*end | 0x20) {
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    default:
        break;
    }
    if (v == 0 || end == s || v > (1ull << 50) >> shift) /* beyond 1 PiB: not a real option */
        return 0;
    return (uint64_t)v << shift;
}

static int read_file(run *x, const log_file *f, uint64_t gz_bound, void *buf, husk_err *err)
{
    husk_fs *fs = x->r->fs;
    husk_stat st;
    husk_err e = {0};
    if (husk_fs_stat(fs, f->ino, &st, &e) < 0) {
        husk_diag_report(x->diag, "logs", x->file, -1, "cannot stat: %s", e.msg);
        return 0;
    }
    if (st.type != HUSK_FT_FILE) {
        husk_diag_report(x->diag, "logs", x->file, -1, "not a regular file (%s): skipped",
                         husk_ftype_name(st.type));
        return 0;
    }
    husk_gunzip *gz = NULL;
    if (f->gz && husk_gunzip_new(gz_bound, &gz, err) < 0)
        return -HUSK_E_NOMEM;
    if (x->kind == KIND_JSON)
        husk_jsonfile_set_object(x->jf, x->file);
    else
        husk_localfile_set_object(x->lf, x->file);
    x->last.present = 0;
    uint64_t off = 0;
    int rc = 0, gz_done = 0;
    while (off < st.size && rc == 0 && !gz_done) {
        size_t want = st.size - off < READ_SLICE ? (size_t)(st.size - off) : READ_SLICE;
        ssize_t n = husk_fs_read(fs, f->ino, off, buf, want, &e);
        if (n < 0) {
            husk_diag_report(x->diag, "logs", x->file, (int64_t)off, "read failed: %s", e.msg);
            break;
        }
        if (n == 0)
            break;
        off += (uint64_t)n;
        if (!gz) {
            rc = to_decoder(buf, (size_t)n, x, err);
            continue;
        }
        rc = husk_gunzip_feed(gz, buf, (size_t)n, to_decoder, x, err);
        if (rc < 0 && !x->fatal) {
            husk_diag_report(x->diag, "logs", x->file, -1, "%s", err->msg);
            husk_err_clear(err);
            gz_done = 1; /* keep what was inflated before the damage */
            rc = 0;
        }
    }
    if (gz && rc == 0 && !gz_done && husk_gunzip_end(gz, &e) < 0)
        husk_diag_report(x->diag, "logs", x->file, -1, "%s", e.msg);
    if (rc == 0)
        rc = x->kind == KIND_JSON ? husk_jsonfile_end(x->jf, err) : husk_localfile_end(x->lf, err);
    husk_timespec lt;
    if (rc == 0 && gz && x->last.present && husk_gunzip_last_time(gz, &lt) == 0 &&
        (lt.sec != x->last.sec || lt.nsec != x->last.nsec)) {
        char a[40], b[40];
        husk_log_time_format(&lt, a, sizeof a);
        husk_log_time_format(&x->last, b, sizeof b);
        husk_diag_report(x->diag, "logs", x->file, -1,
                         "gzip header says the last entry is from %s, the last entry read is "
                         "from %s (entries missing or added?)",
                         a, b);
    }
    husk_gunzip_free(gz);
    return rc;
}

/* Reads every file of one source, oldest first, through one joiner. */
static int read_source(run *x, log_file *files, size_t n, int64_t *seq, void *buf, husk_err *err)
{
    char path[4096], rel[160];
    uint64_t bound = HUSK_LOG_MAX_GUNZIP, ms = max_size_opt(x->c);
    if (ms > 0 && ms * 2 > bound)
        bound = ms * 2; /* a rotated file holds about max-size bytes; allow it twice over */
    int rc = husk_logjoin_new(*seq, on_message, x, x->diag, &x->join, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(rel, sizeof rel, "containers/%s/%s%s", x->c->id,
                 files[i].kind == KIND_LOCAL ? "local-logs/" : "", files[i].name);
        if (husk_docker_path(x->r, rel, path, sizeof path) < 0)
            continue;
        x->file = path;
        rc = read_file(x, &files[i], bound, buf, err);
    }
    if (rc == 0)
        rc = husk_logjoin_flush(x->join, err);
    *seq = husk_logjoin_next_seq(x->join);
    husk_logjoin_free(x->join);
    x->join = NULL;
    x->file = NULL;
    return rc;
}

/* Drops "<name>.N.gz" when "<name>.N" is there too, as Docker's reader does: a crash between
 * writing the .gz and removing the plain file leaves both, and the plain one is complete. */
static size_t drop_gz_twins(log_file *v, size_t n, husk_diag *diag, const char *cdir)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int twin = 0;
        for (size_t j = 0; j < n && v[i].gz; j++)
            if (!v[j].gz && v[j].kind == v[i].kind && v[j].num == v[i].num)
                twin = 1;
        if (twin) {
            husk_diag_report(diag, "logs", cdir, -1,
                             "both %s and its uncompressed twin exist (rotation interrupted); "
                             "reading the uncompressed one, as Docker does",
                             v[i].name);
            continue;
        }
        v[k++] = v[i];
    }
    return k;
}

/*
 * Records which generation of Docker last ran the data root, for `husk logs`: until 22.06 the
 * local driver's reader (daemon/logger/local/read.go) added the newline only to entries without
 * partial metadata, so `docker logs` printed a long line's last chunk with no newline after it
 * (fixed by moby commit 990b0e28, first released in 23.0). The engine-id file in the data root
 * appeared in the same release (moby bb120863), and every daemon since writes it at start.
 */
static int note_engine(const husk_docker_root *r, husk_casedb *db, husk_err *err)
{
    char path[4096], key[64];
    uint64_t ino;
    husk_err e = {0};
    if (husk_docker_path(r, "engine-id", path, sizeof path) < 0)
        return 0;
    int have = husk_fs_lookup(r->fs, path, 0, &ino, &e) == 0;
    snprintf(key, sizeof key, "docker_engine.%lld", (long long)r->db_id);
    return husk_casedb_set_info(db, key, have ? "23.0+" : "before 23.0", err);
}

int husk_docker_logs(const husk_docker_root *r, const husk_container *c, husk_casedb *db,
                     husk_diag *diag, husk_err *err)
{
    char rel[128], cpath[4096];
    uint64_t cdir;
    husk_err e = {0};
    snprintf(rel, sizeof rel, "containers/%s", c->id);
    if (husk_docker_path(r, rel, cpath, sizeof cpath) < 0)
        return 0;
    int rc = husk_fs_lookup(r->fs, cpath, HUSK_LOOKUP_FOLLOW, &cdir, &e);
    if (rc == -HUSK_E_NOTFOUND)
        return 0; /* a container known only from elsewhere: no live log files */
    if (rc < 0) {
        husk_diag_report(diag, "logs", cpath, -1, "cannot open the container directory: %s", e.msg);
        return 0;
    }
    file_list l = {0};
    l.v = calloc(MAX_LOG_FILES, sizeof *l.v);
    void *buf = malloc(READ_SLICE);
    if (!l.v || !buf) {
        free(l.v);
        free(buf);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    l.id = c->id;
    if (husk_fs_list_dir(r->fs, cdir, collect_cb, &l, &e) < 0)
        husk_diag_report(diag, "logs", cpath, -1, "cannot list the container directory: %s", e.msg);
    if (l.local_dir) {
        l.in_local_logs = 1;
        if (husk_fs_list_dir(r->fs, l.local_dir, collect_cb, &l, &e) < 0)
            husk_diag_report(diag, "logs", cpath, -1, "cannot list local-logs/: %s", e.msg);
    }
    if (l.dropped)
        husk_diag_report(diag, "logs", cpath, -1, "%u more log files not read (limit %d)",
                         l.dropped, MAX_LOG_FILES);
    l.n = drop_gz_twins(l.v, l.n, diag, cpath);
    qsort(l.v, l.n, sizeof *l.v, by_age);

    /* the configured driver's files first: that is what `docker logs` shows */
    enum log_kind order[KIND_COUNT] = {KIND_JSON, KIND_LOCAL, KIND_CACHED};
    if (strcmp(c->log_driver, "local") == 0) {
        order[0] = KIND_LOCAL;
        order[1] = KIND_JSON;
    } else if (c->log_driver[0] && strcmp(c->log_driver, "json-file") != 0) {
        order[0] = KIND_CACHED;
        order[2] = KIND_JSON;
    }
    for (size_t i = 0; i < l.n && rc == 0; i++)
        if (l.v[i].kind != KIND_JSON) {
            rc = note_engine(r, db, err);
            break;
        }
    run x = {.r = r, .c = c, .db = db, .diag = diag};
    int64_t seq = 1;
    for (int k = 0; k < KIND_COUNT && rc >= 0; k++) {
        size_t first = 0, cnt = 0;
        while (first < l.n && l.v[first].kind != order[k])
            first++;
        while (first + cnt < l.n && l.v[first + cnt].kind == order[k])
            cnt++;
        if (cnt == 0)
            continue;
        x.kind = order[k];
        rc = x.kind == KIND_JSON ? husk_jsonfile_new(&c->prov, on_entry, &x, diag, &x.jf, err)
                                 : husk_localfile_new(&c->prov, on_entry, &x, diag, &x.lf, err);
        if (rc == 0)
            rc = read_source(&x, l.v + first, cnt, &seq, buf, err);
        husk_jsonfile_free(x.jf);
        husk_localfile_free(x.lf);
        x.jf = NULL;
        x.lf = NULL;
    }
    free(l.v);
    free(buf);
    return rc < 0 ? rc : 0;
}
