/* husk error reporting: library code never prints or exits; it fills a husk_err. */
#ifndef HUSK_ERR_H
#define HUSK_ERR_H

#include <stddef.h>

enum husk_err_code {
    HUSK_OK = 0,
    HUSK_E_ARG,         /* caller passed something invalid */
    HUSK_E_IO,          /* evidence or output could not be read or written */
    HUSK_E_FORMAT,      /* evidence bytes are not what they claim to be (damaged or crafted) */
    HUSK_E_NOTFOUND,    /* path, inode or object absent */
    HUSK_E_NOMEM,       /* allocation failed */
    HUSK_E_UNSUPPORTED, /* a valid structure this build cannot handle */
    HUSK_E_LIMIT,       /* a bound husk imposes on hostile input was reached */
    HUSK_E_DB,          /* case database error */
};

typedef struct husk_err {
    int code;
    char msg[512];
} husk_err;

/* Sets err (if non-NULL) and returns -code, so callers can write `return husk_err_set(...)`. */
int husk_err_set(husk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message with more context ("while X: <old message>"). */
int husk_err_wrap(husk_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void husk_err_clear(husk_err *err);
const char *husk_err_code_name(int code);

#endif
