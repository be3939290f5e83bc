/* husk analyse: evidence -> case database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "husk/analyse.h"
#include "husk/casedb.h"
#include "husk/escape.h"
#include "husk/strbuf.h"

static void analyse_usage(FILE *f)
{
    fprintf(f,
            "usage: husk analyse [options] IMAGE -o CASE.db\n"
            "\n"
            "Reads a container host's disk image (raw, split raw given as its first segment,\n"
            "E01, VMDK, VHD) read-only, finds its volumes (GPT, DOS, LVM), file systems (ext2/3/4,\n"
            "XFS) and container-runtime data roots, and writes everything into a new SQLite case\n"
            "database.\n"
            "\n"
            "Options:\n"
            "  -o, --output CASE.db    case database to create (required)\n"
            "  -i, --image-type TYPE   image format: raw, ewf, vmdk, vhd (default: detect)\n"
            "  -O, --offset SECTORS    a file system starts at this sector: skip volume\n"
            "                          detection (The Sleuth Kit's -o)\n"
            "  -f, --fs-type TYPE      file-system type: ext2, ext3, ext4, xfs (default: detect)\n"
            "      --verify            hash the whole media (MD5, SHA-1, SHA-256); for EWF,\n"
            "                          compare with the stored hashes (sets ewf_verified)\n"
            "      --hash-images       also record (and hash) every file of the image layers\n"
            "      --no-recover        do not look for containers removed with docker rm\n"
            "      --no-carve          recover removed containers from the journal and the\n"
            "                          deleted files' remnants, but do not carve free space\n"
            "      --no-types          do not type files with libmagic (files.magic stays\n"
            "                          empty; SHA-256 still computed), for triage: typing\n"
            "                          is most of the time on nodes with many upper files\n"
            "      --keep-secrets      store Kubernetes service-account tokens and kubeconfigs\n"
            "                          themselves (default: only their SHA-256 and claims)\n"
            "      --no-replay         analyse the home blocks only: do not replay an ext\n"
            "                          journal that needs recovery (a crash-consistent image);\n"
            "                          by default it is replayed in memory, never on the evidence\n"
            "      --force             replace CASE.db if it exists\n"
            "  -q, --quiet             no progress and no summary\n"
            "  -h, --help              this help\n"
            "\n"
            "Example:\n"
            "  husk analyse node.E01 -o node.db && husk info node.db\n"
            "\n"
            "Exit codes: 0 ok, 1 failed, 2 usage, 3 evidence unreadable, 4 case database\n"
            "error, 5 finished but damaged parts were recorded (husk info CASE.db lists them),\n"
            "6 --verify found the media's hashes differ from those stored in the EWF.\n");
}

typedef struct diag_sink {
    husk_casedb *db;
    cli_progress *prog; /* taken off the terminal before a warning */
} diag_sink;

static void diag_to_db(void *ctx, const char *phase, const char *object, int64_t offset,
                       const char *msg)
{
    diag_sink *s = ctx;
    if (s->db)
        husk_casedb_add_error(s->db, phase, object, offset, msg);
    if (s->prog && !cli_quiet)
        cli_progress_clear(s->prog);
    cli_warn("%s: %s: %s", phase, object, msg);
}

static char *join_args(int argc, char **argv)
{
    husk_strbuf sb = HUSK_STRBUF_INIT;
    husk_sb_adds(&sb, "husk");
    for (int i = 0; i < argc; i++) {
        husk_sb_adds(&sb, " ");
        husk_sb_adds(&sb, argv[i]);
    }
    return husk_sb_detach(&sb, NULL);
}

static int parse_offset(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cmd_analyse(int argc, char **argv)
{
    static const struct option lo[] = {
        {"output", required_argument, NULL, 'o'}, {"image-type", required_argument, NULL, 'i'},
        {"offset", required_argument, NULL, 'O'}, {"fs-type", required_argument, NULL, 'f'},
        {"verify", no_argument, NULL, 'V'},       {"force", no_argument, NULL, 'F'},
        {"hash-images", no_argument, NULL, 'H'},
        {"no-recover", no_argument, NULL, 'R'},   {"no-replay", no_argument, NULL, 'N'},
        {"no-carve", no_argument, NULL, 'C'},     {"keep-secrets", no_argument, NULL, 'K'},
        {"no-types", no_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    husk_analyse_opts o = {.open = {.sector_offset = -1}};
    const char *out = NULL;
    int force = 0, c;
    char *cmdline = join_args(argc, argv); /* argv[0] is "analyse" */
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:i:O:f:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'i': o.open.image_type = optarg; break;
        case 'f': o.open.fstype = optarg; break;
        case 'O':
            if (parse_offset(optarg, &o.open.sector_offset) < 0) {
                cli_error("--offset takes a sector number, not '%s'", optarg);
                free(cmdline);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'V': o.verify = 1; break;
        case 'H': o.hash_images = 1; break;
        case 'R': o.no_recover = 1; break;
        case 'C': o.no_carve = 1; break;
        case 'T': o.no_types = 1; break;
        case 'K': o.keep_secrets = 1; break;
        case 'N': o.open.no_replay = 1; break;
        case 'F': force = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h':
            analyse_usage(stdout);
            free(cmdline);
            return HUSK_EXIT_OK;
        default:
            analyse_usage(stderr);
            free(cmdline);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !out) {
        cli_error(optind >= argc ? "no IMAGE given" : !out ? "no case database given (-o CASE.db)"
                                                            : "more than one IMAGE given");
        analyse_usage(stderr);
        free(cmdline);
        return HUSK_EXIT_USAGE;
    }
    const char *image = argv[optind];
    o.command_line = cmdline;

    husk_err err = {0};
    husk_casedb *db = NULL;
    if (husk_casedb_create(out, force, &db, &err) < 0) {
        cli_error("%s", err.msg);
        free(cmdline);
        return HUSK_EXIT_CASEDB;
    }
    cli_progress prog;
    cli_progress_init(&prog, "hashing the evidence", cli_quiet);
    o.progress = cli_progress_cb;
    o.progress_ctx = &prog;
    o.phases = (husk_progress){cli_progress_phase, &prog};
    diag_sink sink = {db, &prog};
    husk_diag diag = {diag_to_db, &sink, 0};
    husk_analyse_result res;
    int r = husk_analyse(image, &o, db, &diag, &res, &err);
    cli_progress_done(&prog);
    int rc = HUSK_EXIT_OK;
    if (r < 0) {
        cli_error("%s", err.msg);
        rc = cli_exit_for(&err, HUSK_EXIT_EVIDENCE);
        husk_casedb_add_error(db, "analyse", image, -1, err.msg);
        husk_casedb_set_info(db, "status", "failed: see the errors table", NULL);
    } else if (husk_casedb_finish(db, &err) < 0) {
        cli_error("%s", err.msg);
        rc = HUSK_EXIT_CASEDB;
    } else {
        if (diag.count)
            rc = HUSK_EXIT_PARTIAL;
        if (res.ewf_verified == 0)
            rc = HUSK_EXIT_MISMATCH;
        if (!cli_quiet) {
            fprintf(stderr, "husk: case database written: %s", husk_esc(out));
            if (diag.count)
                fprintf(stderr, " (%u problem%s recorded; 'husk info %s' lists them)", diag.count,
                        diag.count == 1 ? "" : "s", husk_esc(out));
            fprintf(stderr, "\n");
        }
    }
    husk_casedb_close(db);
    free(cmdline);
    return rc;
}
