/* Problem reports (include/husk/diag.h). */
#include "husk/diag.h"

#include <stdarg.h>
#include <stdio.h>

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
    d->count++;
    if (d->report)
        d->report(d->ctx, phase, object ? object : "", offset, msg);
}
