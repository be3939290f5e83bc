/* Progress of the long phases of an analysis or a carving run (walking container layers,
 * parsing logs, recovering removed containers, carving free space), reported to whoever
 * drives the library: the library never prints; the command line shows it on a terminal. */
#ifndef HUSK_PROGRESS_H
#define HUSK_PROGRESS_H

#include <stdint.h>

typedef enum husk_progress_unit {
    HUSK_PROGRESS_ITEMS, /* done and total count things (containers, volumes) */
    HUSK_PROGRESS_BYTES, /* done and total are byte offsets or counts */
} husk_progress_unit;

/* phase names what is being done ("parsing container logs"); total 0 when the size of the
 * phase is not known in advance (done is then 0). */
typedef void (*husk_phase_fn)(void *ctx, const char *phase, uint64_t done, uint64_t total,
                              husk_progress_unit unit);

typedef struct husk_progress {
    husk_phase_fn fn; /* NULL: nobody listens */
    void *ctx;
} husk_progress;

static inline void husk_progress_report(const husk_progress *p, const char *phase, uint64_t done,
                                        uint64_t total, husk_progress_unit unit)
{
    if (p && p->fn)
        p->fn(p->ctx, phase, done, total, unit);
}

#endif
