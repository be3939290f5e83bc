/*
 * Damage and problem reports. Library code that meets damaged or suspicious evidence reports
 * it here and goes on with the rest; the command layer decides where reports go (the case
 * database's errors table, stderr).
 */
#ifndef HUSK_DIAG_H
#define HUSK_DIAG_H

#include <stdint.h>

typedef struct husk_diag {
    /* phase: "volumes", "filesystems", ...; object: what was being read; offset: byte offset
     * in the evidence or -1. msg is evidence-derived text: escape it before printing. */
    void (*report)(void *ctx, const char *phase, const char *object, int64_t offset,
                   const char *msg);
    void *ctx;
    unsigned count; /* problems reported, not counting phase "recovery" notes */
} husk_diag;

void husk_diag_report(husk_diag *d, const char *phase, const char *object, int64_t offset,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A report callback that passes every report on to the husk_diag ctx as a "recovery" note
 * (object prefixed with its phase): for readers run over what a deletion left, where a part
 * that did not survive is the age of the evidence, not damage. Use as
 * husk_diag notes = {husk_diag_as_recovery, diag, 0}. */
void husk_diag_as_recovery(void *ctx, const char *phase, const char *object, int64_t off,
                           const char *msg);

#endif
