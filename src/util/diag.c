/* Problem reports (include/husk/diag.h). */
#include "husk/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void husk_diag_report(husk_diag *d, const char *phase, const char *object, int64_t offset,
                      const char *fmt, ...)
{
    if (!d)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Recovery notes say what could not be rebuilt after a deletion: that is the age of the
     * evidence, not damage to it, so they do not count as problems (exit code 5). */
    if (strcmp(phase, "recovery") != 0)
        d->count++;
    if (d->report)
        d->report(d->ctx, phase, object ? object : "", offset, msg);
}

void husk_diag_as_recovery(void *ctx, const char *phase, const char *object, int64_t off,
                           const char *msg)
{
    char obj[1024];
    snprintf(obj, sizeof obj, "%s: %s", phase, object);
    husk_diag_report(ctx, "recovery", obj, off, "%s", msg);
}
