/* husk report: the examiner's self-contained HTML report of a case database. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/casedb.h"
#include "husk/escape.h"
#include "husk/report.h"

static void report_usage(FILE *f)
{
    fprintf(f, "usage: husk report [options] CASE.db -o REPORT.html\n"
               "\n"
               "Writes one self-contained HTML file for the examiner from the case database:\n"
               "the evidence and its hashes, a summary (counts, findings by severity, what was\n"
               "recovered after deletion and what was not), an SVG timeline (container\n"
               "lifecycles, log activity, file changes), every container including removed\n"
               "and recovered ones (image, command, times, rights, mounts, its changed files\n"
               "with suspicious ones marked, first and last log lines, errors), the findings\n"
               "with their evidence, the images and the errors table.\n"
               "\n"
               "The file needs nothing else: no network, no external assets, no JavaScript;\n"
               "it prints with page breaks between sections. Every string from the evidence\n"
               "is HTML-escaped; long lists are cut with a count of what is not shown.\n"
               "\n"
               "Options:\n"
               "  -o, --output FILE   the HTML file to write (required; '-' for stdout)\n"
               "      --force         replace FILE if it exists\n"
               "      --log-lines N   first and last N log lines per container (default 10)\n"
               "      --max-rows N    rows per table before \"N more\" (default 300)\n"
               "  -q, --quiet         no messages but errors\n"
               "  -h, --help          this help\n"
               "\n"
               "Example:\n"
               "  husk analyse node.E01 -o case.db && husk report case.db -o report.html\n");
}

static int number(const char *s, unsigned max, unsigned *out)
{
    char *e;
    errno = 0;
    unsigned long v = strtoul(s, &e, 10);
    if (errno || *e || e == s || v == 0 || v > max || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, NULL, 'o'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"log-lines", required_argument, NULL, 'l'},
                                       {"max-rows", required_argument, NULL, 'm'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *outp = NULL;
    int force = 0, c;
    husk_report_opts opts = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        if (c == 'o') {
            outp = optarg;
        } else if (c == 'f') {
            force = 1;
        } else if (c == 'l' || c == 'm') {
            unsigned v;
            if (number(optarg, c == 'l' ? 100000 : 10000000, &v) < 0) {
                cli_error("--%s wants a positive number, not '%s'",
                          c == 'l' ? "log-lines" : "max-rows", optarg);
                return HUSK_EXIT_USAGE;
            }
            if (c == 'l')
                opts.log_lines = v;
            else
                opts.max_rows = v;
        } else if (c == 'q') {
            cli_quiet = 1;
        } else if (c == 'h') {
            report_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            report_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give exactly one case database");
        report_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    if (!outp || !*outp) {
        cli_error("name the report to write with -o REPORT.html");
        return HUSK_EXIT_USAGE;
    }
    const char *casep = argv[optind];
    husk_casedb *db;
    int rc = casecmd_open(casep, &db);
    if (rc)
        return rc;
    opts.case_path = casep;

    int to_stdout = strcmp(outp, "-") == 0;
    FILE *f = stdout;
    char *tmp = NULL;
    if (!to_stdout) {
        if (!force && access(outp, F_OK) == 0) {
            cli_error("'%s' exists; use --force to replace it", outp);
            husk_casedb_close(db);
            return HUSK_EXIT_FAIL;
        }
        /* written beside the target, then renamed: a failed run leaves no half report */
        if (asprintf(&tmp, "%s.partXXXXXX", outp) < 0) {
            husk_casedb_close(db);
            return HUSK_EXIT_FAIL;
        }
        int fd = mkstemp(tmp);
        if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
            cli_error("cannot create '%s': %s", outp, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            free(tmp);
            husk_casedb_close(db);
            return HUSK_EXIT_FAIL;
        }
    }
    husk_err err = {0};
    int wr = husk_report_write(db, f, &opts, &err);
    husk_casedb_close(db);
    if (!to_stdout) {
        if (fclose(f) != 0 && wr == 0)
            wr = husk_err_set(&err, HUSK_E_IO, "cannot write '%s': %s", outp, strerror(errno));
        if (wr == 0 && !force && access(outp, F_OK) == 0)
            wr = husk_err_set(&err, HUSK_E_IO, "'%s' appeared while writing; use --force", outp);
        if (wr == 0 && rename(tmp, outp) < 0)
            wr = husk_err_set(&err, HUSK_E_IO, "cannot write '%s': %s", outp, strerror(errno));
        if (wr != 0)
            unlink(tmp);
        free(tmp);
    } else if (fflush(stdout) != 0 && wr == 0) {
        wr = husk_err_set(&err, HUSK_E_IO, "cannot write the report to standard output");
    }
    if (wr != 0) {
        cli_error("%s", err.msg);
        return err.code == HUSK_E_DB ? HUSK_EXIT_CASEDB : HUSK_EXIT_FAIL;
    }
    if (!cli_quiet && !to_stdout)
        fprintf(stderr, "husk: report written to %s\n", husk_esc(outp));
    return HUSK_EXIT_OK;
}
