/*
 * husk recover: what recovery got back of removed containers.
 *   husk recover CASE.db                       the case's recovery summary
 *   husk recover CASE.db CONTAINER --out DIR   the container's recovered files, with a manifest
 * The files are read again from the evidence, through the same recovered view the analysis
 * used, so what is written is what the evidence holds, not a copy kept in the case.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/caseev.h"
#include "husk/escape.h"
#include "husk/node.h"
#include "husk/recover.h"
#include "outdir.h"

/* A file larger than this is written in pieces of this size. */
#define CHUNK (1 << 20)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: husk recover [options] CASE.db [CONTAINER --out DIR]\n"
            "\n"
            "Without CONTAINER: the recovery summary of the case: for every removed container,\n"
            "what was recovered (identity, config, host config, logs, files), how and how\n"
            "surely, and what was not and why; then what carving found.\n"
            "\n"
            "With CONTAINER (full ID, unique ID prefix or name) and --out DIR: writes what was\n"
            "recovered of that container into DIR, read again from the evidence through the\n"
            "recovered view: config.v2.json, hostconfig.json (a containerd container: its OCI\n"
            "spec as config.json), its log files (logs/), carved\n"
            "log lines attributed to it (logs/carved-*.log), and the files of its writable\n"
            "layer (rootfs/). DIR/manifest.tsv lists every file written: path, size, sha256,\n"
            "method (how it was recovered), confidence, and whether the SHA-256 equals the\n"
            "one in the case database (same, differs, or - when the case has none).\n"
            "\n"
            "Options:\n"
            "  -o, --out DIR           where to write (must be new or empty)\n"
            "      --image PATH        the evidence, when it is no longer where the case says\n"
            "  -i, --image-type TYPE   raw, ewf, vmdk, vhd (default: detect)\n"
            "  -O, --offset SECTORS    a file system starts at this sector (TSK's -o)\n"
            "      --no-replay         read the home blocks (as analyse --no-replay did)\n"
            "      --json              the summary as one JSON object per line\n"
            "  -q, --quiet             no warnings on standard error\n"
            "  -h, --help              this help\n"
            "\n"
            "Examples:\n"
            "  husk recover case.db\n"
            "  husk recover case.db gone1 --out gone1-recovered\n");
}

/* ---- the summary --------------------------------------------------------------------- */

static int summary(husk_casedb *db, int json)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT r.container_id, c.name, r.item, r.status, r.count, r.method, "
                           "r.confidence, r.detail FROM recovery_summary r LEFT JOIN containers c "
                           "ON c.id = r.container_id ORDER BY r.container_id IS NULL, "
                           "r.container_id, r.rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        cli_error("the case has no recovery summary (made by an older husk?): %s",
                  sqlite3_errmsg(husk_casedb_sqlite(db)));
        return HUSK_EXIT_CASEDB;
    }
    char last[65] = "-";
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        const char *id = casecmd_col(st, 0), *name = casecmd_col(st, 1);
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "container", sqlite3_column_type(st, 0) == SQLITE_NULL
                                                    ? json_null()
                                                    : json_string(id));
            if (name[0])
                json_object_set_new(o, "name", json_string(name));
            json_object_set_new(o, "item", json_string(casecmd_col(st, 2)));
            json_object_set_new(o, "status", json_string(casecmd_col(st, 3)));
            if (sqlite3_column_type(st, 4) != SQLITE_NULL)
                json_object_set_new(o, "count", json_integer(sqlite3_column_int64(st, 4)));
            if (sqlite3_column_type(st, 5) != SQLITE_NULL)
                json_object_set_new(o, "method", json_string(casecmd_col(st, 5)));
            if (sqlite3_column_type(st, 6) != SQLITE_NULL)
                json_object_set_new(o, "confidence", json_real(sqlite3_column_double(st, 6)));
            json_object_set_new(o, "detail", json_string(casecmd_col(st, 7)));
            casecmd_print_json_line(o);
            continue;
        }
        if (strcmp(last, id) != 0) {
            snprintf(last, sizeof last, "%s", id);
            if (id[0])
                printf("%scontainer %s %s\n", rows > 1 ? "\n" : "", id,
                       name[0] ? husk_esc(name) : "(name not recovered)");
            else
                printf("%scase\n", rows > 1 ? "\n" : "");
        }
        char conf[16] = "";
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            snprintf(conf, sizeof conf, " %.2f", sqlite3_column_double(st, 6));
        printf("  %-16s %-13s %s%s%s  %s\n", casecmd_col(st, 2), casecmd_col(st, 3),
               husk_esc(casecmd_col(st, 5)), conf, "", husk_esc(casecmd_col(st, 7)));
    }
    sqlite3_finalize(st);
    if (!rows && !json)
        printf("no removed container was recovered, and carving found nothing (or the analysis "
               "ran with --no-recover)\n");
    return HUSK_EXIT_OK;
}

/* ---- extraction ---------------------------------------------------------------------- */

typedef struct rec {
    husk_casedb *db;
    const char *dir;
    FILE *manifest;
    unsigned written, failed;
} rec;

static void manifest_row(rec *r, const char *rel, uint64_t size, const char *hex,
                         const char *method, double conf, const char *db_sha)
{
    const char *cmp = !db_sha || !db_sha[0] ? "-" : strcmp(db_sha, hex) == 0 ? "same" : "differs";
    /* rel comes from the evidence: tabs and newlines would break the manifest's lines */
    fprintf(r->manifest, "%s\t%llu\t%s\t%s\t", husk_esc(rel), (unsigned long long)size, hex,
            method && method[0] ? method : "-");
    if (conf >= 0)
        fprintf(r->manifest, "%.2f", conf);
    else
        fputc('-', r->manifest);
    fprintf(r->manifest, "\t%s\n", cmp);
    r->written++;
}

static int put_blob(rec *r, const char *rel, const void *data, size_t n, const char *method,
                    double conf)
{
    char hex[65];
    if (outdir_put(r->dir, rel, data, n, hex) < 0) {
        r->failed++;
        return -1;
    }
    manifest_row(r, rel, n, hex, method, conf, NULL);
    return 0;
}

/* Copies file path of fs into dir/rel, streaming. */
static int copy_file(rec *r, husk_fs *fs, const char *path, const char *rel, const char *method,
                     double conf, const char *db_sha)
{
    uint64_t ino;
    husk_err e = {0};
    if (husk_fs_lookup(fs, path, 0, &ino, &e) < 0) {
        cli_warn("%s: not readable from the evidence: %s", husk_esc(path), e.msg);
        r->failed++;
        return 0;
    }
    outdir_file *f = outdir_create(r->dir, rel);
    if (!f) {
        r->failed++;
        return 0;
    }
    char *buf = malloc(CHUNK);
    uint64_t off = 0;
    ssize_t k = -1;
    while (buf && (k = husk_fs_read(fs, ino, off, buf, CHUNK, &e)) > 0) {
        if (outdir_write(f, buf, (size_t)k) < 0)
            break;
        off += (uint64_t)k;
    }
    free(buf);
    char hex[65];
    uint64_t size = 0;
    if (outdir_close(f, hex, &size) < 0 || k < 0) {
        if (k < 0)
            cli_warn("%s: read stopped at byte %llu: %s", husk_esc(path),
                     (unsigned long long)off, e.msg);
        r->failed++;
    }
    manifest_row(r, rel, size, hex, method, conf, db_sha);
    return 0;
}

/* The container's data-root file system: index in node and its mount point on the node. */
static long data_root_fs(husk_casedb *db, husk_node *node, const char *id, char *mount,
                         size_t mn)
{
    sqlite3_stmt *st = NULL;
    long i = -1;
    mount[0] = '\0';
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT d.filesystem_id, coalesce(f.mount_point, '') FROM containers c "
                           "JOIN data_roots d ON d.id = c.data_root_id JOIN filesystems f ON "
                           "f.id = d.filesystem_id WHERE c.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        i = husk_case_node_fs(db, node, sqlite3_column_int64(st, 0));
        snprintf(mount, mn, "%s", casecmd_col(st, 1));
    }
    sqlite3_finalize(st);
    return i;
}

/* A node path ("/var/lib/docker/containers/...") as a path on the file system mounted at
 * mount ("/" or "/var/lib/docker"); NULL when it is not below it. */
static const char *on_fs(const char *node_path, const char *mount)
{
    size_t n = strlen(mount);
    if (n <= 1)
        return node_path;
    if (strncmp(node_path, mount, n) != 0 || (node_path[n] != '/' && node_path[n]))
        return NULL;
    return node_path[n] ? node_path + n : "/";
}

static int extract(rec *r, husk_node *node, const char *id)
{
    sqlite3 *s = husk_casedb_sqlite(r->db);
    sqlite3_stmt *st = NULL;
    char mount[256];
    long fi = data_root_fs(r->db, node, id, mount, sizeof mount);
    husk_fs *view = NULL;
    if (fi >= 0) {
        husk_diag quiet = {0};
        husk_err e = {0};
        /* the recovered view shows the live objects too */
        if (husk_recovered_view(node->fss[fi].fs, &quiet, &view, &e) < 0)
            view = NULL;
    } else {
        cli_warn("the container's file system is not in this evidence; only what the case "
                 "database holds is written");
    }
    husk_fs *fs = view ? view : fi >= 0 ? node->fss[fi].fs : NULL;

    /* configs, as recovered */
    if (sqlite3_prepare_v2(s, "SELECT config_json, hostconfig_json, recovered_from, confidence, "
                              "runtime = 'containerd' FROM containers WHERE id = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *method = casecmd_col(st, 2);
            double conf = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 3);
            /* a containerd container's config is its OCI runtime spec: a bundle's config.json */
            const char *names[] = {sqlite3_column_int(st, 4) == 1 ? "config.json" : "config.v2.json",
                                   "hostconfig.json"};
            for (int k = 0; k < 2; k++)
                if (sqlite3_column_type(st, k) != SQLITE_NULL)
                    put_blob(r, names[k], sqlite3_column_blob(st, k),
                             (size_t)sqlite3_column_bytes(st, k), method, conf);
        }
        sqlite3_finalize(st);
    }

    /* log files, read again from the evidence */
    if (fs && sqlite3_prepare_v2(s, "SELECT file, min(recovered_from), min(confidence) FROM logs "
                                    "WHERE container_id = ? AND file IS NOT NULL AND "
                                    "(recovered_from IS NULL OR recovered_from NOT LIKE "
                                    "'carved-%') GROUP BY file ORDER BY file",
                                 -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *file = casecmd_col(st, 0), *p = on_fs(file, mount);
            const char *base = strrchr(file, '/');
            char rel[512];
            snprintf(rel, sizeof rel, "logs/%s", base && base[1] ? base + 1 : "log");
            if (p)
                copy_file(r, fs, p, rel, casecmd_col(st, 1),
                          sqlite3_column_type(st, 2) == SQLITE_NULL ? -1
                                                                   : sqlite3_column_double(st, 2),
                          NULL);
        }
        sqlite3_finalize(st);
    }

    /* carved log lines attributed to it, as they lay on disk, in time order */
    if (sqlite3_prepare_v2(s, "SELECT c.kind, c.data, l.confidence FROM carved c JOIN logs l ON "
                              "l.id = c.logs_id WHERE c.container_id = ? AND c.used_as = 'log' "
                              "ORDER BY c.kind, l.time, c.id",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        outdir_file *f[2] = {NULL, NULL};
        double conf[2] = {1, 1};
        while (sqlite3_step(st) == SQLITE_ROW) {
            int local = strcmp(casecmd_col(st, 0), "locallog") == 0;
            if (!f[local] && !(f[local] = outdir_create(r->dir, local ? "logs/carved-local.log"
                                                                       : "logs/carved-json.log"))) {
                r->failed++;
                break;
            }
            outdir_write(f[local], sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
            if (!local)
                outdir_write(f[local], "\n", 1);
            double c = sqlite3_column_double(st, 2);
            if (c < conf[local])
                conf[local] = c;
        }
        sqlite3_finalize(st);
        for (int k = 0; k < 2; k++) {
            if (!f[k])
                continue;
            char hex[65];
            uint64_t size;
            if (outdir_close(f[k], hex, &size) < 0)
                r->failed++;
            manifest_row(r, k ? "logs/carved-local.log" : "logs/carved-json.log", size, hex,
                         "carved", conf[k], NULL);
        }
    }

    /* the writable layer's files */
    if (fs && sqlite3_prepare_v2(s, "SELECT path, host_path, recovered_from, confidence, sha256 "
                                    "FROM files WHERE container_id = ? AND type = 'file' AND "
                                    "host_path IS NOT NULL AND coalesce(change, '') != 'D' "
                                    "ORDER BY path",
                                 -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char rel[4096];
            const char *path = casecmd_col(st, 0);
            snprintf(rel, sizeof rel, "rootfs%s%s", path[0] == '/' ? "" : "/", path);
            copy_file(r, fs, casecmd_col(st, 1), rel, casecmd_col(st, 2),
                      sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 3),
                      casecmd_col(st, 4));
        }
        sqlite3_finalize(st);
    }
    if (view)
        husk_fs_close(view);
    return 0;
}

int cmd_recover(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", required_argument, NULL, 'o'},     {"image", required_argument, NULL, 'I'},
        {"image-type", required_argument, NULL, 'i'}, {"offset", required_argument, NULL, 'O'},
        {"no-replay", no_argument, NULL, 'N'},     {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    husk_open_opts oo = {.sector_offset = -1};
    const char *out = NULL, *image = NULL;
    int json = 0, c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:i:O:jqh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'I': image = optarg; break;
        case 'i': oo.image_type = optarg; break;
        case 'O':
            oo.sector_offset = strtoll(optarg, &end, 10);
            if (*end || oo.sector_offset < 0) {
                cli_error("--offset takes a sector number, not '%s'", optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'N': oo.no_replay = 1; break;
        case 'j': json = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': usage(stdout); return HUSK_EXIT_OK;
        default: usage(stderr); return HUSK_EXIT_USAGE;
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2 || (nargs == 2) != (out != NULL)) {
        cli_error(nargs == 2 ? "give the output directory with --out DIR"
                  : out      ? "give the CONTAINER to write with --out"
                             : "give CASE.db, and optionally CONTAINER with --out DIR");
        usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db = NULL;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    if (nargs == 1) {
        rc = summary(db, json);
        husk_casedb_close(db);
        return rc;
    }
    char id[65];
    husk_node *node = NULL;
    if ((rc = casecmd_container(db, argv[optind + 1], id)) == 0 &&
        (rc = casecmd_open_evidence(db, image, &oo, &node)) == 0 && (rc = outdir_prepare(out)) == 0) {
        rec r = {db, out, NULL, 0, 0};
        char mpath[4096];
        snprintf(mpath, sizeof mpath, "%s/manifest.tsv", out);
        r.manifest = fopen(mpath, "wx");
        if (!r.manifest) {
            cli_error("cannot create '%s'", mpath);
            rc = HUSK_EXIT_FAIL;
        } else {
            fprintf(r.manifest, "path\tsize\tsha256\tmethod\tconfidence\tcase_sha256\n");
            extract(&r, node, id);
            if (fclose(r.manifest) != 0) {
                cli_error("cannot write '%s'", mpath);
                r.failed++;
            }
            if (!cli_quiet)
                fprintf(stderr, "husk: %u files written to %s (manifest.tsv)%s\n", r.written,
                        husk_esc(out), r.failed ? "; some could not be read, see above" : "");
            rc = r.failed ? HUSK_EXIT_PARTIAL : HUSK_EXIT_OK;
        }
    }
    husk_node_close(node);
    husk_casedb_close(db);
    return rc;
}
