/* Per-phase timing (include/husk/phase.h). */
#include "husk/phase.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_PHASES 32

static struct {
    const char *name;
    double wall, cpu;
} phases[MAX_PHASES];
static size_t nphases;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void husk_phase_start(husk_phase_mark *m)
{
    m->wall = clock_s(CLOCK_MONOTONIC);
    m->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

void husk_phase_stop(const husk_phase_mark *m, const char *name)
{
    double w = clock_s(CLOCK_MONOTONIC) - m->wall, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - m->cpu;
    size_t i;
    for (i = 0; i < nphases; i++)
        if (strcmp(phases[i].name, name) == 0)
            break;
    if (i == nphases) {
        if (nphases == MAX_PHASES)
            return;
        phases[nphases].name = name;
        phases[nphases].wall = phases[nphases].cpu = 0;
        nphases++;
    }
    phases[i].wall += w > 0 ? w : 0;
    phases[i].cpu += c > 0 ? c : 0;
}

int husk_phase_get(size_t i, const char **name, double *wall, double *cpu)
{
    if (i >= nphases)
        return 0;
    *name = phases[i].name;
    *wall = phases[i].wall;
    *cpu = phases[i].cpu;
    return 1;
}

void husk_phase_reset(void) { nphases = 0; }

long husk_peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}
