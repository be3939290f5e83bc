/* Per-phase wall-clock and CPU time of an analysis (written to case_info as phase_time.NAME
 * and phase_cpu.NAME). One process-wide table: phases are started and stopped by the thread
 * that runs the analysis; a phase may run several times (once per data root): times add up. */
#ifndef HUSK_PHASE_H
#define HUSK_PHASE_H

#include <stddef.h>

typedef struct {
    double wall; /* CLOCK_MONOTONIC, seconds */
    double cpu;  /* CLOCK_PROCESS_CPUTIME_ID, seconds (all threads) */
} husk_phase_mark;

void husk_phase_start(husk_phase_mark *m);
/* Adds the time since m to phase name (a string literal: it is kept, not copied). */
void husk_phase_stop(const husk_phase_mark *m, const char *name);
/* The i-th phase in order of first use; 0 when i is past the end. */
int husk_phase_get(size_t i, const char **name, double *wall, double *cpu);
void husk_phase_reset(void);
/* Peak resident set size of this process so far, in KiB. */
long husk_peak_rss_kib(void);

#endif
