/*
 * CRI container logs (formats.md 7.1): /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log, one
 * line per entry, "<RFC 3339 time> <stream> <tag>[:<tag>...] <content>", the first tag P (the
 * line goes on in the next entry) or F (full, or the last piece). The kubelet rotates <n>.log to
 * <n>.log.<YYYYMMDD-hhmmss> and compresses older ones to .gz. Files are streamed and joined
 * like Docker's, oldest first; times keep the node's zone offset as written and are stored in
 * UTC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/docker.h"
#include "husk/logs.h"

#define MAX_CRI_FILES 256
#define MAX_CRI_LINE (1u << 20) /* longer physical lines are reported and skipped */
#define READ_SLICE 65536

int husk_crilog_decode_line(const char *s, size_t n, husk_log_entry *e, husk_err *err)
{
    memset(e, 0, sizeof *e);
    const char *sp1 = memchr(s, ' ', n);
    if (!sp1)
        return husk_err_set(err, HUSK_E_FORMAT, "no space after the time");
    if (husk_log_time_parse(s, (size_t)(sp1 - s), &e->time) < 0)
        return husk_err_set(err, HUSK_E_FORMAT, "the time is not RFC 3339");
    const char *p = sp1 + 1, *end = s + n;
    const char *sp2 = memchr(p, ' ', (size_t)(end - p));
    if (!sp2)
        return husk_err_set(err, HUSK_E_FORMAT, "no stream");
    if (sp2 - p == 6 && !memcmp(p, "stdout", 6))
        e->stream = "stdout";
    else if (sp2 - p == 6 && !memcmp(p, "stderr", 6))
        e->stream = "stderr";
    else
        return husk_err_set(err, HUSK_E_FORMAT, "stream is neither stdout nor stderr");
    p = sp2 + 1;
    const char *sp3 = memchr(p, ' ', (size_t)(end - p));
    size_t tl = sp3 ? (size_t)(sp3 - p) : (size_t)(end - p);
    if (tl == 0 || (p[0] != 'P' && p[0] != 'F') || (tl > 1 && p[1] != ':'))
        return husk_err_set(err, HUSK_E_FORMAT, "the tag is neither P nor F");
    e->more = p[0] == 'P';
    e->line = sp3 ? sp3 + 1 : end;
    e->len = (size_t)(end - e->line);
    return 0;
}

typedef struct cri_file {
    char name[128];
    uint64_t ino;
    int gz;
    int live; /* the file being written (<base> itself) */
} cri_file;

typedef struct cri_run {
    husk_fs *fs;
    husk_casedb *db;
    husk_diag *diag;
    const char *container_id, *recovered_from;
    double confidence;
    const char *base;
    size_t baselen;
    cri_file *v;
    size_t n;
    unsigned dropped;
    husk_logjoin *join;
    char file[1024];
    char *line; /* a physical line being assembled */
    size_t len;
    int skipping; /* inside an over-long line */
    uint64_t off, bad;
    int fatal;
    int recovered; /* fs is a recovered view: deleted files count, each with its provenance */
    double tie;    /* recovered: the caller's confidence, a cap on each file's */
} cri_run;

static int collect(const husk_dirent *d, void *ctx)
{
    cri_run *x = ctx;
    if ((d->deleted && !x->recovered) || d->name_len < x->baselen ||
        memcmp(d->name, x->base, x->baselen) != 0)
        return 0;
    int live = d->name_len == x->baselen;
    if (!live && d->name[x->baselen] != '.')
        return 0; /* "0.log" must not take "0.logx" */
    if (x->n >= MAX_CRI_FILES || d->name_len >= sizeof x->v[0].name) {
        x->dropped++;
        return 0;
    }
    cri_file *f = &x->v[x->n++];
    memcpy(f->name, d->name, d->name_len);
    f->name[d->name_len] = '\0';
    f->ino = d->inode;
    f->live = live;
    f->gz = d->name_len > 3 && !memcmp(d->name + d->name_len - 3, ".gz", 3);
    return 0;
}

/* Oldest first: the rotated files by their time suffix, the live file last. */
static int by_age(const void *a, const void *b)
{
    const cri_file *x = a, *y = b;
    if (x->live != y->live)
        return x->live - y->live;
    return strcmp(x->name, y->name);
}

static int on_msg(const husk_log_msg *m, void *ctx, husk_err *err)
{
    cri_run *x = ctx;
    char t[40];
    husk_log_time_format(&m->time, t, sizeof t);
    husk_row_log row = {
        .container_id = x->container_id,
        .source = "cri",
        .file = m->file,
        .seq = m->seq,
        .time = t[0] ? t : NULL,
        .stream = m->stream,
        .message = m->data,
        .message_len = m->len,
        .partial = m->partial,
        .recovered_from = x->recovered_from,
        .confidence = x->confidence,
    };
    int rc = husk_casedb_add_log(x->db, &row, err);
    if (rc < 0)
        x->fatal = 1;
    return rc;
}

static int one_line(cri_run *x, const char *s, size_t n, husk_err *err)
{
    husk_log_entry e;
    husk_err pe = {0};
    if (husk_crilog_decode_line(s, n, &e, &pe) < 0) {
        if (x->bad++ < HUSK_LOG_MAX_REPORTS)
            husk_diag_report(x->diag, "logs", x->file, (int64_t)x->off, "%s", pe.msg);
        return 0;
    }
    e.offset = x->off;
    return husk_logjoin_add(x->join, &e, x->file, err);
}

/* Bytes of the current file, split into lines. */
static int feed(const void *buf, size_t len, void *ctx, husk_err *err)
{
    cri_run *x = ctx;
    const char *p = buf, *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!x->skipping && x->len + k > MAX_CRI_LINE) {
            husk_diag_report(x->diag, "logs", x->file, (int64_t)x->off,
                             "a line longer than %u bytes: skipped", MAX_CRI_LINE);
            x->skipping = 1;
            x->len = 0;
        }
        if (!x->skipping) {
            char *q = realloc(x->line, x->len + k + 1);
            if (!q) {
                x->fatal = 1;
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            }
            x->line = q;
            memcpy(x->line + x->len, p, k);
            x->len += k;
        }
        if (!nl)
            break;
        int rc = x->skipping ? 0 : one_line(x, x->line, x->len, err);
        x->off += (uint64_t)x->len + 1;
        x->len = 0;
        x->skipping = 0;
        if (rc < 0) {
            x->fatal = 1;
            return rc;
        }
        p = nl + 1;
    }
    return 0;
}

static int read_one(cri_run *x, const cri_file *f, char *buf, husk_err *err)
{
    husk_stat st;
    husk_err e = {0};
    if (husk_fs_stat(x->fs, f->ino, &st, &e) < 0 || st.type != HUSK_FT_FILE) {
        husk_diag_report(x->diag, "logs", x->file, -1, "not a readable regular file");
        return 0;
    }
    if (x->recovered) { /* each file of a recovered view says how it was rebuilt; the
                            * caller's confidence (how the file was tied to the container) caps it */
        husk_prov p = {"live", 1.0};
        if (husk_fs_provenance(x->fs, f->ino, &p, NULL, 0) == 0 && p.recovered_from) {
            x->recovered_from = p.recovered_from;
            x->confidence = p.confidence < x->tie ? p.confidence : x->tie;
        }
    }
    husk_gunzip *gz = NULL;
    if (f->gz && husk_gunzip_new(HUSK_LOG_MAX_GUNZIP, &gz, err) < 0)
        return -HUSK_E_NOMEM;
    x->off = 0;
    x->len = 0;
    x->skipping = 0;
    uint64_t off = 0;
    int rc = 0;
    while (off < st.size && rc == 0) {
        size_t want = st.size - off < READ_SLICE ? (size_t)(st.size - off) : READ_SLICE;
        ssize_t n = husk_fs_read(x->fs, f->ino, off, buf, want, &e);
        if (n <= 0) {
            if (n < 0)
                husk_diag_report(x->diag, "logs", x->file, (int64_t)off, "read failed: %s", e.msg);
            break;
        }
        off += (uint64_t)n;
        rc = gz ? husk_gunzip_feed(gz, buf, (size_t)n, feed, x, err) : feed(buf, (size_t)n, x, err);
        if (rc < 0 && !x->fatal) {
            husk_diag_report(x->diag, "logs", x->file, -1, "%s", err->msg);
            husk_err_clear(err);
            rc = 0;
            break; /* keep what was inflated before the damage or the bound */
        }
    }
    if (rc == 0 && x->len && !x->skipping) /* a last line without its newline */
        rc = one_line(x, x->line, x->len, err);
    husk_gunzip_free(gz);
    return rc;
}

int husk_cri_logs(husk_fs *fs, const char *log_path, const char *container_id,
                  const husk_prov *prov, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    const char *slash = strrchr(log_path, '/');
    if (!slash || log_path[0] != '/' || slash[1] == '\0' || strlen(log_path) > 900)
        return 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - log_path), log_path);
    if (!dir[0])
        snprintf(dir, sizeof dir, "/");
    uint64_t dino;
    husk_err e = {0};
    if (husk_fs_lookup(fs, dir, HUSK_LOOKUP_FOLLOW, &dino, &e) < 0) {
        husk_diag_report(diag, "logs", log_path, -1, "log directory not found: %s", e.msg);
        return 0;
    }
    cri_run x = {.fs = fs, .db = db, .diag = diag, .container_id = container_id,
                 .recovered_from = prov->recovered_from, .confidence = prov->confidence,
                 .base = slash + 1, .baselen = strlen(slash + 1),
                 .recovered = prov->recovered_from && strcmp(prov->recovered_from, "live") != 0,
                 .tie = prov->confidence};
    x.v = calloc(MAX_CRI_FILES, sizeof *x.v);
    char *buf = malloc(READ_SLICE);
    int rc = x.v && buf ? 0 : husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (rc == 0 && husk_fs_list_dir(fs, dino, collect, &x, &e) < 0)
        husk_diag_report(diag, "logs", dir, -1, "cannot list: %s", e.msg);
    if (x.dropped)
        husk_diag_report(diag, "logs", dir, -1, "%u more log files skipped", x.dropped);
    qsort(x.v, x.n, sizeof *x.v, by_age);
    if (rc == 0 && x.n)
        rc = husk_logjoin_new(1, on_msg, &x, diag, &x.join, err);
    for (size_t i = 0; rc == 0 && i < x.n; i++) {
        snprintf(x.file, sizeof x.file, "%s/%s", dir, x.v[i].name);
        rc = read_one(&x, &x.v[i], buf, err);
    }
    if (rc == 0 && x.join)
        rc = husk_logjoin_flush(x.join, err);
    if (x.bad > HUSK_LOG_MAX_REPORTS)
        husk_diag_report(diag, "logs", dir, -1, "%llu lines in all are not CRI log lines",
                         (unsigned long long)x.bad);
    husk_logjoin_free(x.join);
    free(x.line);
    free(x.v);
    free(buf);
    return rc;
}
