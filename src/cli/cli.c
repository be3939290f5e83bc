/* Shared command-line helpers (src/cli/cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "husk/escape.h"

int cli_quiet;

static void vmsg(const char *level, const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fprintf(stderr, "husk: %s: %s\n", level, husk_esc(buf));
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    if (cli_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning", fmt, ap);
    va_end(ap);
}

int cli_exit_for(const husk_err *err, int fallback)
{
    switch (err->code) {
    case HUSK_E_ARG: return HUSK_EXIT_USAGE;
    case HUSK_E_DB: return HUSK_EXIT_CASEDB;
    default: return fallback;
    }
}

void cli_progress_init(cli_progress *p, const char *label, int quiet)
{
    p->label = label;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->last_pct = -1;
    p->shown = 0;
}

void cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress *p = ctx;
    if (!p->enabled || total == 0)
        return;
    int pct = (int)(done * 100 / total);
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    p->shown = 1;
    fprintf(stderr, "\r\033[K%s: %3d%% (%llu of %llu MiB)", p->label, pct,
            (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
    fflush(stderr);
}

void cli_progress_phase(void *ctx, const char *phase, uint64_t done, uint64_t total,
                        husk_progress_unit unit)
{
    cli_progress *p = ctx;
    if (!p->enabled || !phase)
        return;
    int fresh = !p->label || strcmp(p->label, phase) != 0;
    if (fresh) {
        p->label = phase; /* the library's phase names are string constants */
        p->last_pct = -1;
    }
    if (total == 0) { /* size unknown: the phase's name alone, once */
        if (fresh || !p->shown) {
            fprintf(stderr, "\r\033[K%s ...", phase);
            p->shown = 1;
            fflush(stderr);
        }
        return;
    }
    if (unit == HUSK_PROGRESS_BYTES) {
        cli_progress_cb(p, done, total);
        return;
    }
    if (done > total)
        done = total;
    int pct = (int)(done * 100 / total);
    if (pct == p->last_pct && !fresh && p->shown)
        return;
    p->last_pct = pct;
    p->shown = 1;
    fprintf(stderr, "\r\033[K%s: %3d%% (%llu of %llu)", phase, pct, (unsigned long long)done,
            (unsigned long long)total);
    fflush(stderr);
}

void cli_progress_clear(cli_progress *p)
{
    if (p->enabled && p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->shown = 0;
    p->last_pct = -1;
}

void cli_progress_done(cli_progress *p)
{
    cli_progress_clear(p);
}
