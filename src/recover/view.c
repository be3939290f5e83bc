/*
 * One entry point for recovered views (include/husk/recover.h): callers such as `husk ls
 * --deleted` need not know which file system they hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/ext4.h"
#include "husk/recover.h"

int husk_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err)
{
    if (!live || !view)
        return husk_err_set(err, HUSK_E_ARG, "no file system");
    *view = NULL;
    if (strcmp(live->fstype, "xfs") == 0)
        return husk_xfs_recovered_view(live, diag, view, err);
    if (husk_fs_is_ext4(live))
        return husk_ext4_recovered_view(live, diag, view, err);
    return husk_err_set(err, HUSK_E_UNSUPPORTED, "no recovered view of %s file systems",
                        live->fstype);
}

int husk_rec_prov_fill(husk_prov *p, const char *from, double conf, const char *note, char *how,
                       size_t hown)
{
    p->recovered_from = from ? from : "live";
    p->confidence = from ? conf : 1.0;
    if (from && how && hown) {
        size_t n = note ? strlen(note) : 0;
        if (n > hown - 1)
            n = hown - 1;
        if (n)
            memcpy(how, note, n);
        how[n] = '\0';
    }
    return 0;
}

void husk_rec_how_vadd(char **how, size_t max, const char *fmt, va_list ap)
{
    char buf[512];
    if (max > sizeof buf)
        max = sizeof buf;
    size_t l = *how ? strlen(*how) : 0;
    if (l + 3 >= max)
        return;
    if (l) {
        memcpy(buf, *how, l);
        memcpy(buf + l, "; ", 3);
        l += 2;
    }
    vsnprintf(buf + l, max - l, fmt, ap);
    size_t n = strlen(buf) + 1;
    char *p = realloc(*how, n);
    if (!p)
        return;
    memcpy(p, buf, n);
    *how = p;
}
