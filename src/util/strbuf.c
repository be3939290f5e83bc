/* Growable buffer (include/husk/strbuf.h). */
#include "husk/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int husk_sb_grow(husk_strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 < sb->len)
        return -1;
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < need) {
        if (n > ((size_t)-1) / 2)
            return -1;
        n *= 2;
    }
    char *p = realloc(sb->buf, n);
    if (!p)
        return -1;
    sb->buf = p;
    sb->alloc = n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int husk_sb_add(husk_strbuf *sb, const void *data, size_t len)
{
    /* room for len bytes and the NUL (len < alloc - len when allocated): no call to grow */
    if ((!sb->alloc || len >= sb->alloc - sb->len) && husk_sb_grow(sb, len) < 0)
        return -1;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return 0;
}

int husk_sb_adds(husk_strbuf *sb, const char *s)
{
    return husk_sb_add(sb, s, strlen(s));
}

int husk_sb_vaddf(husk_strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || husk_sb_grow(sb, (size_t)n) < 0)
        return -1;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int husk_sb_addf(husk_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = husk_sb_vaddf(sb, fmt, ap);
    va_end(ap);
    return r;
}

void husk_sb_reset(husk_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

char *husk_sb_detach(husk_strbuf *sb, size_t *len)
{
    if (!sb->buf && husk_sb_grow(sb, 0) < 0)
        return NULL;
    char *p = sb->buf;
    if (len)
        *len = sb->len;
    sb->buf = NULL;
    sb->len = sb->alloc = 0;
    return p;
}

void husk_sb_release(husk_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->alloc = 0;
}

const char *husk_sb_str(const husk_strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}
