/*
 * husk export / husk cp: a container's merged file system as `docker export` writes it, and
 * one path of it as `docker cp` copies it, read from the evidence (include/husk/export.h),
 * with a manifest of every object: metadata, SHA-256, the layer it came from and, for a
 * removed container, how recovery rebuilt it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/escape.h"
#include "husk/export.h"
#include "husk/strbuf.h"

typedef struct xargs {
    husk_export_open_opts open;
    const char *output, *manifest;
    int json, force, quiet, all_xattrs, follow;
} xargs;

static void export_usage(FILE *f)
{
    fprintf(f,
            "usage: husk export [options] CASE.db CONTAINER -o FILE.tar\n"
            "\n"
            "Writes a container's file system as 'docker export' would: its image layers, its\n"
            "init layer and its writable layer merged as the overlay mount showed them\n"
            "(whiteouts and opaque directories honoured), read from the evidence the case was\n"
            "made from. POSIX tar (ustar with pax records for long names, large sizes,\n"
            "nanosecond mtimes and xattrs); owners, modes and times as on the evidence.\n"
            "A removed container is exported as far as recovery rebuilt it; the manifest says\n"
            "which files were recovered and how sure husk is of each.\n"
            "\n"
            "A manifest lists every object (path, type, size, mode, uid, gid, mtime, SHA-256,\n"
            "the layer it came from, recovered_from, confidence): FILE.tar.manifest.tsv by\n"
            "default.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE       the tar file to write (required); '-' for standard\n"
            "                          output (not a terminal; no manifest unless --manifest)\n"
            "      --manifest FILE     write the manifest here\n"
            "      --json              write the manifest as JSON (default name\n"
            "                          FILE.tar.manifest.json)\n"
            "      --all-xattrs        keep every extended attribute (default: only\n"
            "                          security.capability, as Docker does); overlayfs's own\n"
            "                          trusted/user.overlay.* are never written\n"
            "      --evidence PATH     read the evidence from PATH (default: where the case\n"
            "                          says it was analysed from)\n"
            "  -i, --image-type TYPE   -O, --offset SECTORS   -f, --fs-type TYPE\n"
            "                          as given to 'husk analyse', if they were\n"
            "      --force             replace FILE and the manifest if they exist\n"
            "  -q, --quiet             no summary\n"
            "  -h, --help              this help\n"
            "\n"
            "Example:\n"
            "  husk export case.db web -o web.tar && tar tvf web.tar | head\n"
            "\n"
            "Exit codes: 0 ok, 1 failed, 2 usage, 3 evidence unreadable, 4 case database\n"
            "error, 5 written but some objects could not be read whole (see the warnings).\n");
}

static void cp_usage(FILE *f)
{
    fprintf(f,
            "usage: husk cp [options] CASE.db CONTAINER:PATH DEST\n"
            "\n"
            "Copies a file or a directory tree out of a container's file system, as 'docker\n"
            "cp' would, from the evidence the case was made from (the merged view of the\n"
            "container's layers; a removed container as far as recovery rebuilt it).\n"
            "  DEST absent        PATH is copied to DEST\n"
            "  DEST a directory   PATH is copied into it, under its own name\n"
            "  DEST '-'           a tar archive of PATH goes to standard output\n"
            "Nothing is overwritten. Symlinks in PATH are resolved inside the container's root;\n"
            "a symlink at PATH itself is copied as a link unless -L is given. Modes and times\n"
            "are kept; owners too when run as root.\n"
            "\n"
            "A manifest lists every object copied (path, type, size, mode, uid, gid, mtime,\n"
            "SHA-256, origin layer, recovered_from, confidence): DEST.manifest.tsv (for a\n"
            "directory DEST: DEST/NAME.manifest.tsv) unless DEST is '-'.\n"
            "\n"
            "Options:\n"
            "  -L, --follow-link       follow a symlink at PATH\n"
            "      --manifest FILE     write the manifest here\n"
            "      --json              write the manifest as JSON\n"
            "      --evidence PATH     read the evidence from PATH (default: the case's)\n"
            "  -i, --image-type TYPE   -O, --offset SECTORS   -f, --fs-type TYPE\n"
            "                          as given to 'husk analyse', if they were\n"
            "  -q, --quiet             no summary\n"
            "  -h, --help              this help\n"
            "\n"
            "Example:\n"
            "  husk cp case.db web:/etc/passwd ./passwd\n"
            "  husk cp case.db web:/var/www - | tar tvf -\n"
            "\n"
            "Exit codes as for 'husk export'.\n");
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, int cp, xargs *a, int *first)
{
    static const struct option lo[] = {{"output", required_argument, NULL, 'o'},
                                       {"manifest", required_argument, NULL, 'M'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"all-xattrs", no_argument, NULL, 'X'},
                                       {"evidence", required_argument, NULL, 'E'},
                                       {"image-type", required_argument, NULL, 'i'},
                                       {"offset", required_argument, NULL, 'O'},
                                       {"fs-type", required_argument, NULL, 'f'},
                                       {"force", no_argument, NULL, 'F'},
                                       {"follow-link", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->open.open.sector_offset = -1;
    void (*usage)(FILE *) = cp ? cp_usage : export_usage;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, cp ? "i:O:f:Lqh" : "o:i:O:f:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': a->output = optarg; break;
        case 'M': a->manifest = optarg; break;
        case 'j': a->json = 1; break;
        case 'X': a->all_xattrs = 1; break;
        case 'E': a->open.evidence = optarg; break;
        case 'i': a->open.open.image_type = optarg; break;
        case 'f': a->open.open.fstype = optarg; break;
        case 'O':
            a->open.open.sector_offset = strtoll(optarg, &end, 10);
            if (!*optarg || *end || a->open.open.sector_offset < 0) {
                cli_error("--offset takes a sector number, not '%s'", optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'F': a->force = 1; break;
        case 'L': a->follow = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return HUSK_EXIT_USAGE;
        }
    }
    if ((cp && (a->output || a->force || a->all_xattrs)) || (!cp && a->follow)) {
        cli_error("option not known to husk %s", cp ? "cp" : "export");
        usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    *first = optind;
    return 0;
}

/* ---- output safety ---- */

/* 1 when path names the same file as the case database or one of the evidence's files. */
static int is_protected(husk_casedb *db, const char *casepath, const char *path)
{
    struct stat out, st;
    if (stat(path, &out) < 0)
        return 0;
    if (stat(casepath, &st) == 0 && st.st_dev == out.st_dev && st.st_ino == out.st_ino)
        return 1;
    sqlite3_stmt *q = NULL;
    int hit = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT path FROM evidence_segments UNION SELECT value FROM case_info "
                           "WHERE key = 'evidence_path'",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    while (!hit && sqlite3_step(q) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(q, 0);
        if (p && stat(p, &st) == 0 && st.st_dev == out.st_dev && st.st_ino == out.st_ino)
            hit = 1;
    }
    sqlite3_finalize(q);
    return hit;
}

/* Opens an output file: never over the evidence or the case; over an existing file only
 * with force. Prints the error and returns -1 on failure. */
static int open_output(husk_casedb *db, const char *casepath, const char *path, int force)
{
    if (is_protected(db, casepath, path)) {
        cli_error("'%s' is the case database or the evidence: choose another output", path);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC | (force ? O_TRUNC : O_EXCL),
                  0644);
    if (fd < 0) {
        if (errno == EEXIST)
            cli_error("'%s' exists; husk does not overwrite it (use --force)", path);
        else
            cli_error("cannot create '%s': %s", path, strerror(errno));
    }
    return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fd_write(void *ctx, const void *buf, size_t n)
{
    return write_all(*(int *)ctx, buf, n);
}

/* ---- the manifest ---- */

typedef struct msink {
    husk_export_sink inner;
    FILE *f;
    int json, first;
    husk_err *err;
} msink;

/* TSV fields: tab, newline, carriage return and backslash escaped C-style, other control
 * bytes as \xNN; everything else as found. */
static void tsv_field(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t')
            fputs("\\t", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\\')
            fputs("\\\\", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static json_t *json_str_n(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    /* not UTF-8: the escaped form keeps every byte visible */
    husk_strbuf sb = HUSK_STRBUF_INIT;
    husk_escape_term(&sb, s, n);
    j = json_string(husk_sb_str(&sb));
    husk_sb_release(&sb);
    return j;
}

static const char *item_type(const husk_export_item *it)
{
    return it->hardlink ? "hardlink" : husk_ftype_name(it->st.type);
}

static int manifest_row(msink *m, const husk_export_item *it)
{
    char mt[40], mode[16], conf[16];
    husk_time_format(&it->st.mtime, mt, sizeof mt);
    snprintf(mode, sizeof mode, "%04o", it->st.mode & 07777);
    snprintf(conf, sizeof conf, "%.2f", it->prov.confidence);
    const char *target = it->hardlink ? it->hardlink : it->link;
    size_t tlen = it->hardlink ? it->hardlink_len : it->link_len;
    uint64_t size = it->st.type == HUSK_FT_FILE ? it->st.size : 0;
    if (m->json) {
        json_t *o = json_object();
        json_object_set_new(o, "path", json_str_n(it->cpath, strlen(it->cpath)));
        json_object_set_new(o, "name", json_str_n(it->name, it->name_len));
        json_object_set_new(o, "type", json_string(item_type(it)));
        json_object_set_new(o, "size", json_integer((json_int_t)size));
        json_object_set_new(o, "mode", json_string(mode));
        json_object_set_new(o, "uid", json_integer(it->st.uid));
        json_object_set_new(o, "gid", json_integer(it->st.gid));
        json_object_set_new(o, "mtime", mt[0] ? json_string(mt) : json_null());
        json_object_set_new(o, "sha256", it->sha256[0] ? json_string(it->sha256) : json_null());
        json_object_set_new(o, "origin", json_string(it->layer->origin));
        json_object_set_new(o, "layer_dir", json_string(it->layer->dir));
        json_object_set_new(o, "recovered_from", json_string(it->prov.recovered_from));
        json_object_set_new(o, "confidence", json_real(it->prov.confidence));
        json_object_set_new(o, "link_target", target ? json_str_n(target, tlen) : json_null());
        if (it->st.type == HUSK_FT_CHAR || it->st.type == HUSK_FT_BLOCK) {
            json_object_set_new(o, "rdev_major", json_integer(it->st.rdev_major));
            json_object_set_new(o, "rdev_minor", json_integer(it->st.rdev_minor));
        }
        if (it->how[0])
            json_object_set_new(o, "how", json_str_n(it->how, strlen(it->how)));
        if (it->damaged)
            json_object_set_new(o, "damaged", json_true());
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!s)
            return husk_err_set(m->err, HUSK_E_NOMEM, "out of memory");
        fprintf(m->f, "%s  %s", m->first ? "[\n" : ",\n", s);
        m->first = 0;
        free(s);
    } else {
        tsv_field(m->f, it->cpath, strlen(it->cpath));
        fprintf(m->f, "\t%s\t%llu\t%s\t%u\t%u\t%s\t%s\t%s\t%s\t%s\t", item_type(it),
                (unsigned long long)size, mode, it->st.uid, it->st.gid, mt, it->sha256,
                it->layer->origin, it->prov.recovered_from, conf);
        if (target)
            tsv_field(m->f, target, tlen);
        fputc('\t', m->f);
        if (it->damaged)
            fputs("damaged: unreadable data written as zeros, no hash; ", m->f);
        tsv_field(m->f, it->how, strlen(it->how));
        fputc('\n', m->f);
    }
    if (ferror(m->f))
        return husk_err_set(m->err, HUSK_E_IO, "cannot write the manifest");
    return 0;
}

static int m_begin(void *ctx, const husk_export_item *it, husk_err *err)
{
    msink *m = ctx;
    int rc = m->inner.begin(m->inner.ctx, it, err);
    /* directories are listed before their contents */
    if (rc == 0 && m->f && it->st.type == HUSK_FT_DIR)
        rc = manifest_row(m, it);
    return rc;
}

static int m_data(void *ctx, const void *buf, size_t n, husk_err *err)
{
    msink *m = ctx;
    return m->inner.data(m->inner.ctx, buf, n, err);
}

static int m_end(void *ctx, husk_export_item *it, husk_err *err)
{
    msink *m = ctx;
    int rc = m->inner.end(m->inner.ctx, it, err);
    if (rc == 0 && m->f && it->st.type != HUSK_FT_DIR)
        rc = manifest_row(m, it);
    return rc;
}

static FILE *open_manifest(husk_casedb *db, const char *casepath, const char *path, int force,
                           int json, msink *m)
{
    int fd = open_output(db, casepath, path, force);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        cli_error("cannot write '%s': %s", path, strerror(errno));
        return NULL;
    }
    m->f = f;
    m->json = json;
    m->first = 1;
    if (!json)
        fputs("path\ttype\tsize\tmode\tuid\tgid\tmtime\tsha256\torigin\trecovered_from\t"
              "confidence\tlink_target\tnote\n",
              f);
    return f;
}

static int close_manifest(msink *m, const char *path)
{
    if (!m->f)
        return 0;
    if (m->json)
        fputs(m->first ? "[]\n" : "\n]\n", m->f);
    int bad = ferror(m->f);
    if (fclose(m->f) != 0 || bad) {
        cli_error("cannot write the manifest '%s'", path);
        m->f = NULL;
        return -1;
    }
    m->f = NULL;
    return 0;
}

/* ---- shared ---- */

static void diag_warn(void *ctx, const char *phase, const char *object, int64_t off,
                      const char *msg)
{
    (void)ctx, (void)off;
    cli_warn("%s: %s: %s", phase, object, msg);
}

typedef struct job {
    husk_casedb *db;
    husk_export_source src;
    husk_diag diag;
    char id[65];
} job;

static int job_open(job *j, xargs *a, const char *casepath, const char *ref)
{
    memset(j, 0, sizeof *j);
    int rc = casecmd_open(casepath, &j->db);
    if (rc)
        return rc;
    if ((rc = casecmd_container(j->db, ref, j->id)) != 0)
        return rc;
    husk_err err = {0};
    j->diag = (husk_diag){diag_warn, NULL, 0};
    if (husk_export_open(j->db, j->id, &a->open, &j->src, &j->diag, &err) < 0) {
        cli_error("%s", err.msg);
        return err.code == HUSK_E_DB    ? HUSK_EXIT_CASEDB
               : err.code == HUSK_E_IO  ? HUSK_EXIT_EVIDENCE
               : err.code == HUSK_E_ARG ? HUSK_EXIT_USAGE
                                        : HUSK_EXIT_FAIL;
    }
    if (strcmp(j->src.state, "removed") == 0 && !cli_quiet)
        cli_warn("container %s was removed: exporting what recovery rebuilt (container record "
                 "%s, confidence %.2f); the manifest says how each file was obtained",
                 j->src.name[0] ? j->src.name : j->id, j->src.recovered_from,
                 j->src.confidence);
    return 0;
}

static void job_close(job *j)
{
    husk_export_close(&j->src);
    if (j->db)
        husk_casedb_close(j->db);
}

/* Exit code after the walk; diag_before is the diag count when it started (notes from
 * opening the evidence and resolving the chain, e.g. a fallback taken, are not damage). */
static int walk_exit(int rc, const husk_err *err, const husk_export_stats *st, const husk_diag *d,
                     unsigned diag_before)
{
    if (rc < 0) {
        cli_error("%s", err->msg);
        return err->code == HUSK_E_NOTFOUND ? HUSK_EXIT_FAIL
               : err->code == HUSK_E_ARG    ? HUSK_EXIT_USAGE
                                            : HUSK_EXIT_FAIL;
    }
    return st->damaged || d->count > diag_before ? HUSK_EXIT_PARTIAL : HUSK_EXIT_OK;
}

static void summary(const xargs *a, const job *j, const husk_export_stats *st, const char *to,
                    const char *manifest)
{
    if (a->quiet || cli_quiet)
        return;
    fprintf(stderr,
            "husk: %s: %llu objects (%llu files, %llu directories, %llu symlinks, %llu hard "
            "links, %llu other), %llu bytes, %llu recovered, %llu damaged, from %zu layers -> "
            "%s%s%s\n",
            husk_esc(j->src.name[0] ? j->src.name : j->id), (unsigned long long)st->objects,
            (unsigned long long)st->files, (unsigned long long)st->dirs,
            (unsigned long long)st->symlinks, (unsigned long long)st->hardlinks,
            (unsigned long long)st->others, (unsigned long long)st->bytes,
            (unsigned long long)st->recovered, (unsigned long long)st->damaged,
            j->src.nlayers, husk_esc(to), manifest ? "; manifest " : "",
            manifest ? husk_esc(manifest) : "");
}

/* ---- husk export ---- */

int cmd_export(int argc, char **argv)
{
    xargs a;
    int first;
    int rc = parse_args(argc, argv, 0, &a, &first);
    if (rc)
        return rc < 0 ? HUSK_EXIT_OK : rc;
    if (first != argc - 2 || !a.output) {
        cli_error(!a.output ? "give the tar file to write with -o FILE (or -o - for standard "
                              "output)"
                            : "give a case database and a container");
        export_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    int to_stdout = strcmp(a.output, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_error("refusing to write a tar archive to a terminal; redirect it (-o - > x.tar)");
        return HUSK_EXIT_USAGE;
    }
    cli_quiet = a.quiet;
    job j;
    if ((rc = job_open(&j, &a, argv[first], argv[first + 1])) != 0) {
        job_close(&j);
        return rc;
    }
    char *mpath = NULL;
    if (a.manifest)
        mpath = strdup(a.manifest);
    else if (!to_stdout && asprintf(&mpath, "%s.manifest.%s", a.output, a.json ? "json" : "tsv") < 0)
        mpath = NULL;
    int fd = to_stdout ? STDOUT_FILENO : open_output(j.db, argv[first], a.output, a.force);
    msink m = {.err = NULL};
    if (fd < 0 || (mpath && !open_manifest(j.db, argv[first], mpath, a.force, a.json, &m))) {
        if (fd >= 0 && !to_stdout) {
            close(fd);
            unlink(a.output);
        }
        free(mpath);
        job_close(&j);
        return HUSK_EXIT_FAIL;
    }
    husk_tar tar;
    husk_tar_init(&tar, fd_write, &fd);
    husk_err err = {0};
    m.inner = husk_export_tar_sink(&tar);
    m.err = &err;
    husk_export_sink sink = {m_begin, m_data, m_end, &m};
    husk_export_opts eo = {.path = "/", .all_xattrs = a.all_xattrs, .hardlinks = 1};
    husk_export_stats st;
    unsigned before = j.diag.count;
    int wrc = husk_export_walk(j.src.fs, j.src.layers, j.src.nlayers, &eo, &sink, &st, &j.diag,
                               &err);
    if (wrc == 0 && husk_tar_finish(&tar) < 0)
        wrc = husk_err_set(&err, HUSK_E_IO, "cannot write '%s'", a.output);
    rc = walk_exit(wrc, &err, &st, &j.diag, before);
    if (close_manifest(&m, mpath) < 0 && rc != HUSK_EXIT_FAIL)
        rc = HUSK_EXIT_FAIL;
    if (!to_stdout && close(fd) < 0 && rc != HUSK_EXIT_FAIL) {
        cli_error("cannot write '%s': %s", a.output, strerror(errno));
        rc = HUSK_EXIT_FAIL;
    }
    if (rc == HUSK_EXIT_FAIL && !to_stdout)
        unlink(a.output); /* a truncated archive is not left looking complete */
    if (rc == HUSK_EXIT_FAIL && mpath)
        unlink(mpath); /* nor a manifest of it */
    if (rc != HUSK_EXIT_FAIL && rc != HUSK_EXIT_USAGE)
        summary(&a, &j, &st, a.output, mpath);
    free(mpath);
    job_close(&j);
    return rc;
}

/* ---- husk cp to a directory ---- */

typedef struct dsink {
    int pfd;     /* the directory DEST is created in */
    int fd;      /* the regular file being written */
    int as_root; /* set owners */
    unsigned skipped;
} dsink;

static void set_meta(dsink *d, const husk_export_item *it)
{
    struct timespec ts[2] = {{0, UTIME_OMIT},
                             {it->st.mtime.sec, (long)it->st.mtime.nsec}};
    if (!it->st.mtime.present)
        ts[1].tv_nsec = UTIME_OMIT;
    int sym = it->st.type == HUSK_FT_SYMLINK;
    if (d->as_root)
        fchownat(d->pfd, it->name, it->st.uid, it->st.gid, AT_SYMLINK_NOFOLLOW);
    if (!sym)
        fchmodat(d->pfd, it->name, it->st.mode & 07777, 0);
    utimensat(d->pfd, it->name, ts, AT_SYMLINK_NOFOLLOW);
}

static int d_begin(void *ctx, const husk_export_item *it, husk_err *err)
{
    dsink *d = ctx;
    const char *name = it->name;
    int r = 0;
    d->fd = -1;
    switch (it->st.type) {
    case HUSK_FT_DIR: r = mkdirat(d->pfd, name, 0700); break;
    case HUSK_FT_FILE:
        if (it->hardlink) {
            r = linkat(d->pfd, it->hardlink, d->pfd, name, 0);
            break;
        }
        d->fd = openat(d->pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        r = d->fd < 0 ? -1 : 0;
        break;
    case HUSK_FT_SYMLINK: r = symlinkat(it->link ? it->link : "", d->pfd, name); break;
    case HUSK_FT_FIFO: r = mkfifoat(d->pfd, name, 0600); break;
    case HUSK_FT_CHAR:
    case HUSK_FT_BLOCK:
        r = mknodat(d->pfd, name,
                    (it->st.type == HUSK_FT_CHAR ? S_IFCHR : S_IFBLK) | 0600,
                    makedev(it->st.rdev_major, it->st.rdev_minor));
        if (r < 0 && (errno == EPERM || errno == EACCES)) {
            cli_warn("%s: device node not created (needs root)", it->cpath);
            d->skipped++;
            return 0;
        }
        break;
    default: return 0;
    }
    if (r < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot create '%s': %s", name, strerror(errno));
    return 0;
}

static int d_data(void *ctx, const void *buf, size_t n, husk_err *err)
{
    dsink *d = ctx;
    if (d->fd >= 0 && write_all(d->fd, buf, n) < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot write: %s", strerror(errno));
    return 0;
}

static int d_end(void *ctx, husk_export_item *it, husk_err *err)
{
    dsink *d = ctx;
    if (d->fd >= 0) {
        int bad = close(d->fd);
        d->fd = -1;
        if (bad < 0)
            return husk_err_set(err, HUSK_E_IO, "cannot write '%s': %s", it->name,
                                strerror(errno));
    }
    struct stat st;
    if (fstatat(d->pfd, it->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        set_meta(d, it);
    return 0;
}

/* Splits "CONTAINER:PATH". */
static int split_src(const char *arg, char **ref, const char **path)
{
    const char *c = strchr(arg, ':');
    if (!c || c == arg || !c[1])
        return -1;
    *ref = strndup(arg, (size_t)(c - arg));
    *path = c + 1;
    return *ref ? 0 : -1;
}

/* The last component of path into buf ("" for "/"). */
static void base_name(const char *path, char *buf, size_t n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    size_t l = strlen(tmp);
    while (l > 0 && tmp[l - 1] == '/')
        tmp[--l] = '\0';
    char *s = strrchr(tmp, '/');
    snprintf(buf, n, "%s", s ? s + 1 : tmp);
}

int cmd_cp(int argc, char **argv)
{
    xargs a;
    int first;
    int rc = parse_args(argc, argv, 1, &a, &first);
    if (rc)
        return rc < 0 ? HUSK_EXIT_OK : rc;
    char *ref = NULL;
    const char *cpath = NULL;
    if (first != argc - 3 || split_src(argv[first + 1], &ref, &cpath) < 0) {
        cli_error("give a case database, CONTAINER:PATH and DEST");
        cp_usage(stderr);
        free(ref);
        return HUSK_EXIT_USAGE;
    }
    if (cpath[0] != '/') {
        cli_error("PATH must be absolute in the container, like web:/etc/passwd");
        free(ref);
        return HUSK_EXIT_USAGE;
    }
    const char *dest = argv[first + 2];
    int to_stdout = strcmp(dest, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_error("refusing to write a tar archive to a terminal; redirect it or pipe it");
        free(ref);
        return HUSK_EXIT_USAGE;
    }
    cli_quiet = a.quiet;
    job j;
    if ((rc = job_open(&j, &a, argv[first], ref)) != 0) {
        job_close(&j);
        free(ref);
        return rc;
    }
    free(ref);

    char sbase[256], target[4096], tbase[256], *parent = NULL;
    base_name(cpath, sbase, sizeof sbase);
    struct stat dst;
    int pfd = -1;
    if (!to_stdout) {
        if (stat(dest, &dst) == 0 && S_ISDIR(dst.st_mode)) {
            if (!sbase[0]) {
                cli_error("'%s' exists: copying the container's root needs a new DEST", dest);
                job_close(&j);
                return HUSK_EXIT_FAIL;
            }
            snprintf(target, sizeof target, "%s/%s", dest, sbase);
        } else if (dest[0] && dest[strlen(dest) - 1] == '/') {
            cli_error("destination directory '%s' does not exist (create it, or drop the "
                      "trailing '/' to copy to that name)",
                      dest);
            job_close(&j);
            return HUSK_EXIT_FAIL;
        } else {
            snprintf(target, sizeof target, "%s", dest);
        }
        struct stat tst;
        if (lstat(target, &tst) == 0) {
            cli_error("'%s' exists; husk cp does not overwrite", target);
            job_close(&j);
            return HUSK_EXIT_FAIL;
        }
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", target);
        parent = strdup(dirname(tmp));
        base_name(target, tbase, sizeof tbase);
        pfd = parent ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (pfd < 0 || !tbase[0] || strcmp(tbase, ".") == 0 || strcmp(tbase, "..") == 0) {
            cli_error("cannot copy to '%s': %s", target,
                      pfd < 0 ? strerror(errno) : "give a file or directory name");
            if (pfd >= 0)
                close(pfd);
            free(parent);
            job_close(&j);
            return HUSK_EXIT_FAIL;
        }
    }
    char *mpath = NULL;
    if (a.manifest)
        mpath = strdup(a.manifest);
    else if (!to_stdout && asprintf(&mpath, "%s.manifest.%s", target, a.json ? "json" : "tsv") < 0)
        mpath = NULL;
    msink m = {.err = NULL};
    if (mpath && !open_manifest(j.db, argv[first], mpath, 0, a.json, &m)) {
        if (pfd >= 0)
            close(pfd);
        free(parent);
        free(mpath);
        job_close(&j);
        return HUSK_EXIT_FAIL;
    }
    husk_err err = {0};
    husk_tar tar;
    int ofd = STDOUT_FILENO;
    dsink d = {.pfd = pfd, .fd = -1, .as_root = geteuid() == 0};
    if (to_stdout) {
        husk_tar_init(&tar, fd_write, &ofd);
        m.inner = husk_export_tar_sink(&tar);
    } else {
        m.inner = (husk_export_sink){d_begin, d_data, d_end, &d};
    }
    m.err = &err;
    husk_export_sink sink = {m_begin, m_data, m_end, &m};
    husk_export_opts eo = {.path = cpath,
                           .prefix = to_stdout ? (sbase[0] ? sbase : ".")
                                               : tbase,
                           .hardlinks = 1,
                           .follow_last = a.follow};
    husk_export_stats st;
    unsigned before = j.diag.count;
    int wrc = husk_export_walk(j.src.fs, j.src.layers, j.src.nlayers, &eo, &sink, &st, &j.diag,
                               &err);
    if (wrc == 0 && to_stdout && husk_tar_finish(&tar) < 0)
        wrc = husk_err_set(&err, HUSK_E_IO, "cannot write to standard output");
    if (d.fd >= 0)
        close(d.fd);
    rc = walk_exit(wrc, &err, &st, &j.diag, before);
    if (rc == HUSK_EXIT_OK && d.skipped)
        rc = HUSK_EXIT_PARTIAL;
    if (close_manifest(&m, mpath) < 0 && rc != HUSK_EXIT_FAIL)
        rc = HUSK_EXIT_FAIL;
    if (rc != HUSK_EXIT_FAIL && rc != HUSK_EXIT_USAGE)
        summary(&a, &j, &st, to_stdout ? "standard output" : target, mpath);
    if (pfd >= 0)
        close(pfd);
    free(parent);
    free(mpath);
    job_close(&j);
    return rc;
}
