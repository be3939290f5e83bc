/*
 * husk carve: Docker artefacts that no file-system structure points to any more, carved from
 * the unallocated space (and ext journals) of every file system of the evidence
 * (src/recover/carve.c). One line per artefact; with -o DIR each artefact is also written to
 * a file of its own, listed in DIR/manifest.tsv with its size and SHA-256.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "casecmd.h"
#include "cli.h"
#include "outdir.h"
#include "husk/docker.h"
#include "husk/escape.h"
#include "husk/logs.h"
#include "husk/node.h"
#include "husk/recover.h"

typedef struct carve_args {
    husk_open_opts open;
    long fs_index; /* 1-based; 0 = all */
    int json;
    const char *outdir;
    const char *image;
} carve_args;

typedef struct carve_out {
    const carve_args *a;
    size_t fs_no;
    int subdir;     /* artefacts of file system N go to DIR/fsN/ */
    FILE *manifest; /* DIR/manifest.tsv */
    husk_strbuf esc;
    husk_strbuf text, line; /* one artefact's summary and output line (kept: no allocation each) */
    int failed; /* an output file could not be written */
    cli_progress *prog; /* taken off the terminal before a result line goes there */
    int out_tty;        /* stdout is a terminal (asked once, not per artefact) */
} carve_out;

static void carve_usage(FILE *f)
{
    fprintf(
        f,
        "usage: husk carve [options] IMAGE\n"
        "\n"
        "Carves Docker artefacts from the unallocated space of every ext2/3/4 and XFS file\n"
        "system of the evidence, and from ext journals: config.v2.json, hostconfig.json,\n"
        "json-file log lines (also inside gzip members of rotated logs) and local-driver log\n"
        "records. Each artefact is printed once: kind, file-system number, byte offset in\n"
        "that file system, where it was found, size, and what it says (container ID and\n"
        "name, log time, stream and text).\n"
        "\n"
        "Options:\n"
        "      --fs N              carve only the Nth file system (as 'husk info' numbers them)\n"
        "  -i, --image-type TYPE   raw, ewf, vmdk, vhd (default: detect)\n"
        "  -O, --offset SECTORS    a file system starts at this sector (TSK's -o)\n"
        "  -f, --fs-type TYPE      ext2, ext3, ext4 or xfs (default: detect)\n"
        "      --no-replay         carve the home blocks: do not replay an ext journal that\n"
        "                          needs recovery (default: replay it in memory)\n"
        "      --json              one JSON object per artefact and line\n"
        "  -o, --output DIR        also write each artefact to DIR/<kind>-<offset>.json|.log\n"
        "                          and list them in DIR/manifest.tsv (path, size, sha256, ...);\n"
        "                          DIR must not exist or be empty\n"
        "  -q, --quiet             no summary and no warnings on standard error\n"
        "  -h, --help              this help\n");
}

static int parse_args(int argc, char **argv, carve_args *a)
{
    static const struct option lo[] = {
        {"fs", required_argument, NULL, 'S'},     {"image-type", required_argument, NULL, 'i'},
        {"offset", required_argument, NULL, 'O'}, {"fs-type", required_argument, NULL, 'f'},
        {"no-replay", no_argument, NULL, 'N'},    {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->open.sector_offset = -1;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:O:f:o:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'S':
            a->fs_index = strtol(optarg, &end, 10);
            if (*end || a->fs_index < 1) {
                cli_error("--fs takes a file-system number from 1, not '%s'", optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'i':
            a->open.image_type = optarg;
            break;
        case 'f':
            a->open.fstype = optarg;
            break;
        case 'O':
            a->open.sector_offset = strtoll(optarg, &end, 10);
            if (*end || a->open.sector_offset < 0) {
                cli_error("--offset takes a sector number, not '%s'", optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'N':
            a->open.no_replay = 1;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'o':
            a->outdir = optarg;
            break;
        case 'q':
            cli_quiet = 1;
            break;
        case 'h':
            carve_usage(stdout);
            return -1;
        default:
            carve_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give one IMAGE");
        carve_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    a->image = argv[optind];
    return 0;
}

/* Writes one artefact as a file of its own: configs as Docker wrote them, a json-file line
 * with its newline (a one-line json-file log), a local frame as it sits in container.log. */
static int write_artefact(carve_out *o, const husk_carved *c, char *rel, size_t reln, char hex[65])
{
    const char *ext =
        c->kind == HUSK_CARVE_CONFIG || c->kind == HUSK_CARVE_HOSTCONFIG ? "json" : "log";
    char sub[32] = "";
    if (o->subdir)
        snprintf(sub, sizeof sub, "fs%zu/", o->fs_no);
    if (c->in_gzip)
        snprintf(rel, reln, "%s%s-%llu-gz%llu.%s", sub, husk_carve_kind_name(c->kind),
                 (unsigned long long)c->offset, (unsigned long long)c->gzip_offset, ext);
    else
        snprintf(rel, reln, "%s%s-%llu.%s", sub, husk_carve_kind_name(c->kind),
                 (unsigned long long)c->offset, ext);
    int nl = c->kind == HUSK_CARVE_JSONLOG;
    outdir_file *f = outdir_create(o->a->outdir, rel);
    if (!f)
        return -1;
    outdir_write(f, c->data, c->len);
    if (nl)
        outdir_write(f, "\n", 1);
    if (outdir_close(f, hex, NULL) < 0)
        return -1;
    fprintf(o->manifest, "%s\t%zu\t%s\t%s\t%zu\t%llu\t%s\t%d\n", rel, c->len + (size_t)nl, hex,
            husk_carve_kind_name(c->kind), o->fs_no, (unsigned long long)c->offset, c->where,
            c->in_gzip);
    return 0;
}

/* A JSON string from evidence bytes: as they are when valid UTF-8, else escaped. */
static json_t *evidence_string(carve_out *o, const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    if (v)
        return v;
    husk_sb_reset(&o->esc);
    husk_escape_term(&o->esc, s, n);
    return json_stringn(husk_sb_str(&o->esc), o->esc.len);
}

/* What the artefact says, as fields of obj (JSON; NULL: text only) and a text summary, from
 * what the carver parsed (c->parsed: always set for the four kinds). */
static void describe(carve_out *o, const husk_carved *c, json_t *obj, husk_strbuf *text)
{
    if (c->kind == HUSK_CARVE_CONFIG || c->kind == HUSK_CARVE_HOSTCONFIG) {
        const husk_carved_config cfg = *(const husk_carved_config *)c->parsed;
        if (c->kind == HUSK_CARVE_CONFIG) {
            const char *id = cfg.id, *name = cfg.name;
            if (obj) {
                json_object_set_new(obj, "id", json_string(id ? id : ""));
                json_object_set_new(obj, "name", name ? json_string(name) : json_null());
            }
            husk_sb_addf(text, "id=%s name=%s", id ? id : "?", husk_esc(name ? name : "?"));
        } else {
            const char *type = cfg.log_driver, *net = cfg.network_mode;
            if (obj) {
                json_object_set_new(obj, "log_driver", type ? json_string(type) : json_null());
                json_object_set_new(obj, "network_mode", net ? json_string(net) : json_null());
            }
            husk_sb_addf(text, "log=%s network=%s", husk_esc(type ? type : "?"),
                         husk_esc(net ? net : "?"));
        }
        return;
    }
    const husk_log_entry *e = c->parsed;
    char t[40];
    husk_log_time_format(&e->time, t, sizeof t);
    if (obj) {
        json_object_set_new(obj, "time", json_string(t));
        json_object_set_new(obj, "stream", json_string(e->stream));
        json_object_set_new(obj, "log", evidence_string(o, e->line, e->len));
        json_object_set_new(obj, "partial", json_boolean(e->more));
    }
    /* "%s %s %s%s%s": time, stream, the escaped start of the line, "..." when cut, partial */
    husk_sb_adds(text, t);
    husk_sb_add(text, " ", 1);
    husk_sb_adds(text, e->stream);
    husk_sb_add(text, " ", 1);
    husk_escape_term(text, e->line, e->len > 200 ? 200 : e->len);
    if (e->len > 200)
        husk_sb_add(text, "...", 3);
    if (e->more)
        husk_sb_add(text, " (partial)", 10);
}

static void add_spaces(husk_strbuf *b, size_t n)
{
    static const char spaces[] = "                ";
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        husk_sb_add(b, spaces, k);
        n -= k;
    }
}

/* s left-aligned (width < 0) or right-aligned in |width| columns, as printf's %-Ns / %Ns. */
static void add_padded(husk_strbuf *b, const char *s, size_t n, int width)
{
    size_t w = (size_t)(width < 0 ? -width : width), pad = n < w ? w - n : 0;
    if (width > 0)
        add_spaces(b, pad);
    husk_sb_add(b, s, n);
    if (width < 0)
        add_spaces(b, pad);
}

static void add_num(husk_strbuf *b, unsigned long long v, int width)
{
    char d[24];
    size_t k = sizeof d;
    do
        d[--k] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    add_padded(b, d + k, sizeof d - k, width);
}

static int print_cb(const husk_carved *c, void *ctx)
{
    carve_out *o = ctx;
    char rel[256] = "", hex[65] = "";
    if (o->a->outdir && write_artefact(o, c, rel, sizeof rel, hex) < 0) {
        o->failed = 1;
        return -HUSK_E_IO;
    }
    if (o->prog && o->out_tty)
        cli_progress_clear(o->prog);
    json_t *obj = o->a->json ? json_object() : NULL; /* text output needs no JSON */
    if (o->a->json) {
        husk_strbuf *text = &o->text;
        husk_sb_reset(text);
        describe(o, c, obj, text);
        json_t *line =
            json_pack("{s:s,s:I,s:I,s:s,s:I,s:b}", "kind", husk_carve_kind_name(c->kind), "fs",
                      (json_int_t)o->fs_no, "offset", (json_int_t)c->offset, "where", c->where,
                      "size", (json_int_t)c->len, "in_gzip", c->in_gzip);
        if (c->in_gzip)
            json_object_set_new(line, "gzip_offset", json_integer((json_int_t)c->gzip_offset));
        if (!hex[0])
            husk_sha256_hex(c->data, c->len, hex);
        json_object_set_new(line, "sha256", json_string(hex));
        if (rel[0])
            json_object_set_new(line, "file", json_string(rel));
        json_object_update(line, obj);
        char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                       (o->out_tty ? JSON_ENSURE_ASCII : 0));
        if (s && !o->out_tty)
            puts(s); /* casecmd_put_json without asking isatty twice per artefact */
        else if (s)
            casecmd_put_json(s);
        free(s);
        json_decref(line);
    } else {
        /* printf("%-10s %2zu %12llu %-16s %8zu  %s\n", ...) without its cost; the summary is
         * written after the columns where it goes (it holds no NUL: escaped or validated) */
        husk_strbuf *b = &o->line;
        husk_sb_reset(b);
        const char *kind = husk_carve_kind_name(c->kind);
        add_padded(b, kind, strlen(kind), -10);
        husk_sb_add(b, " ", 1);
        add_num(b, o->fs_no, 2);
        husk_sb_add(b, " ", 1);
        add_num(b, c->offset, 12);
        husk_sb_add(b, " ", 1);
        char where[48];
        snprintf(where, sizeof where, "%s%s", c->where, c->in_gzip ? "+gzip" : "");
        add_padded(b, where, strlen(where), -16);
        husk_sb_add(b, " ", 1);
        add_num(b, c->len, 8);
        husk_sb_add(b, "  ", 2);
        describe(o, c, NULL, b);
        husk_sb_add(b, "\n", 1);
        fwrite(b->buf, 1, b->len, stdout);
    }
    json_decref(obj);
    return 0;
}

/* Readies DIR: created or empty, with its manifest's header and, when several file systems
 * are carved, a subdirectory for each. */
static int open_output(carve_out *o, size_t nfs)
{
    char path[4096];
    int r = outdir_prepare(o->a->outdir);
    if (r)
        return r;
    snprintf(path, sizeof path, "%s/manifest.tsv", o->a->outdir);
    if (!(o->manifest = fopen(path, "wx"))) {
        cli_error("cannot create '%s': %s", path, strerror(errno));
        return HUSK_EXIT_FAIL;
    }
    fprintf(o->manifest, "path\tsize\tsha256\tkind\tfs\toffset\twhere\tin_gzip\n");
    for (size_t i = 0; o->subdir && i < nfs; i++) {
        snprintf(path, sizeof path, "%s/fs%zu", o->a->outdir, i + 1);
        if (mkdir(path, 0700) != 0) {
            cli_error("cannot create '%s': %s", path, strerror(errno));
            fclose(o->manifest);
            return HUSK_EXIT_FAIL;
        }
    }
    return 0;
}

static void warn_diag(void *ctx, const char *phase, const char *object, int64_t off,
                      const char *msg)
{
    if (ctx)
        cli_progress_clear(ctx);
    if (off >= 0)
        cli_warn("%s: %s at byte %lld: %s", phase, object, (long long)off, msg);
    else
        cli_warn("%s: %s: %s", phase, object, msg);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line on stderr per file system: what was read, how fast, what was found. */
static void summary(size_t no, const husk_fs *fs, const husk_carve_stats *st, double secs)
{
    if (cli_quiet)
        return;
    double mb = (double)(st->unallocated_bytes + st->journal_bytes) / 1e6;
    fprintf(stderr,
            "husk: carve: fs %zu (%s at byte %llu): read %.1f MB unallocated + %.1f MB journal "
            "in %.2f s (%.0f MB/s); %llu config, %llu hostconfig, %llu jsonlog, %llu locallog "
            "(%llu gzip members inflated to %.1f MB), %llu duplicates%s%s\n",
            no, fs->fstype, (unsigned long long)fs->offset, (double)st->unallocated_bytes / 1e6,
            (double)st->journal_bytes / 1e6, secs, secs > 0 ? mb / secs : 0.0,
            (unsigned long long)st->found[HUSK_CARVE_CONFIG],
            (unsigned long long)st->found[HUSK_CARVE_HOSTCONFIG],
            (unsigned long long)st->found[HUSK_CARVE_JSONLOG],
            (unsigned long long)st->found[HUSK_CARVE_LOCALLOG],
            (unsigned long long)st->gzip_members, (double)st->gzip_bytes / 1e6,
            (unsigned long long)st->duplicates, st->truncated ? "; a bound was reached" : "",
            st->damaged ? "; free space partly unreadable" : "");
}

int cmd_carve(int argc, char **argv)
{
    carve_args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? HUSK_EXIT_OK : r;
    husk_err err = {0};
    husk_diag diag = {warn_diag, NULL, 0};
    husk_node *node = NULL;
    if (husk_node_open(a.image, &a.open, &node, &diag, &err) < 0) {
        cli_error("%s", err.msg);
        return cli_exit_for(&err, HUSK_EXIT_EVIDENCE);
    }
    if (node->nfs == 0) {
        cli_error("no ext2/3/4 or XFS file system found in '%s' (try -O SECTORS or -f TYPE)",
                  a.image);
        husk_node_close(node);
        return HUSK_EXIT_EVIDENCE;
    }
    if (a.fs_index > (long)node->nfs) {
        cli_error("there are only %zu file systems ('husk info' lists them)", node->nfs);
        husk_node_close(node);
        return HUSK_EXIT_USAGE;
    }
    carve_out o = {.a = &a, .subdir = a.fs_index == 0 && node->nfs > 1};
    if (a.outdir && (r = open_output(&o, node->nfs)) != 0) {
        husk_node_close(node);
        return r;
    }
    cli_progress prog;
    cli_progress_init(&prog, "carving", cli_quiet);
    husk_progress phases = {cli_progress_phase, &prog};
    o.prog = &prog;
    o.out_tty = isatty(STDOUT_FILENO);
    static char outbuf[1 << 16];
    if (!o.out_tty) /* many short lines: fewer, larger writes than stdio's default */
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    diag.ctx = &prog;
    int rc = HUSK_EXIT_OK;
    for (size_t i = 0; i < node->nfs && !o.failed; i++) {
        if (a.fs_index && (size_t)a.fs_index != i + 1)
            continue;
        husk_fs *fs = node->fss[i].fs;
        husk_carve_stats st;
        o.fs_no = i + 1;
        double t0 = now();
        husk_err e = {0};
        r = husk_carve_fs_progress(fs, print_cb, &o, &diag, &st, &phases, &e);
        cli_progress_done(&prog);
        summary(i + 1, fs, &st, now() - t0);
        if (r < 0 && !o.failed) {
            cli_warn("file system %zu: carving incomplete: %s", i + 1, e.msg);
            rc = HUSK_EXIT_PARTIAL;
        }
        if (st.damaged)
            rc = HUSK_EXIT_PARTIAL; /* some free space could not be scanned: warnings say where */
    }
    if (o.manifest && fclose(o.manifest) != 0) {
        cli_error("cannot write the manifest");
        o.failed = 1;
    }
    husk_sb_release(&o.esc);
    husk_sb_release(&o.text);
    husk_sb_release(&o.line);
    husk_node_close(node);
    return o.failed ? HUSK_EXIT_FAIL : rc;
}
