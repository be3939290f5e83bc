/* Error helpers (see include/husk/err.h). */
#include "husk/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int husk_err_set(husk_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -code;
}

int husk_err_wrap(husk_err *err, const char *fmt, ...)
{
    if (!err)
        return -HUSK_E_ARG;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    if (err->code == HUSK_OK)
        err->code = HUSK_E_IO;
    return -err->code;
}

void husk_err_clear(husk_err *err)
{
    if (err) {
        err->code = HUSK_OK;
        err->msg[0] = '\0';
    }
}

const char *husk_err_code_name(int code)
{
    switch (code) {
    case HUSK_OK: return "ok";
    case HUSK_E_ARG: return "argument";
    case HUSK_E_IO: return "io";
    case HUSK_E_FORMAT: return "format";
    case HUSK_E_NOTFOUND: return "not-found";
    case HUSK_E_NOMEM: return "memory";
    case HUSK_E_UNSUPPORTED: return "unsupported";
    case HUSK_E_LIMIT: return "limit";
    case HUSK_E_DB: return "database";
    }
    return "unknown";
}
