/* Shared pieces of the command-line layer: exit codes, messages, progress. Only this layer
 * prints or chooses exit codes. */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "husk/err.h"
#include "husk/progress.h"

/* Exit codes (documented in docs/husk.1 and README.md). */
enum {
    HUSK_EXIT_OK = 0,        /* done, nothing went wrong */
    HUSK_EXIT_FAIL = 1,      /* the command could not do its job (message says why) */
    HUSK_EXIT_USAGE = 2,     /* wrong options or arguments */
    HUSK_EXIT_EVIDENCE = 3,  /* the evidence cannot be opened or read */
    HUSK_EXIT_CASEDB = 4,    /* the case database cannot be created, written or read */
    HUSK_EXIT_PARTIAL = 5,   /* finished, but parts of the evidence were damaged or unreadable:
                                see the errors table */
    HUSK_EXIT_MISMATCH = 6,  /* --verify: the media's hashes differ from those stored in the EWF */
};

typedef struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_cmd;

int cmd_analyse(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_containers(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_carve(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_cp(int argc, char **argv);

/* "husk: error: <msg>" on stderr (msg is escaped). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Maps a library error to an exit code for the phase it happened in. */
int cli_exit_for(const husk_err *err, int fallback);

/* A one-line progress indicator on stderr, shown only when stderr is a terminal and not quiet. */
typedef struct cli_progress {
    const char *label;
    int enabled;
    int last_pct;
    int shown; /* a line is on the terminal */
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label, int quiet);
void cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
void cli_progress_done(cli_progress *p);
/* A husk_phase_fn (include/husk/progress.h): the label follows the phase. */
void cli_progress_phase(void *ctx, const char *phase, uint64_t done, uint64_t total,
                        husk_progress_unit unit);
/* Takes the progress line off the terminal (before printing a result there); the next report
 * draws it again. */
void cli_progress_clear(cli_progress *p);

extern int cli_quiet;

#endif
