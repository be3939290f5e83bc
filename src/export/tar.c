/* POSIX pax/ustar tar writer (include/husk/tar.h). */
#include "husk/tar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USTAR_MAX_OCT11 077777777777ULL /* size and mtime fields: 11 octal digits */
#define USTAR_MAX_OCT7 07777777U        /* mode, uid, gid, devmajor, devminor */
#define MAX_PAX (1u << 20)              /* an extended header larger than this is refused */

static const unsigned char zeros[HUSK_TAR_BLOCK];

void husk_tar_init(husk_tar *t, husk_tar_write_fn write, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->write = write;
    t->ctx = ctx;
}

static int out(husk_tar *t, const void *buf, size_t n)
{
    if (t->failed)
        return -1;
    if (n && t->write(t->ctx, buf, n) < 0) {
        t->failed = 1;
        return -1;
    }
    t->offset += n;
    return 0;
}

size_t husk_tar_pax_record(char *rec, const char *key, const void *value, size_t vlen)
{
    size_t klen = strlen(key);
    size_t body = 1 + klen + 1 + vlen + 1; /* " key=value\n" */
    size_t len = body + 1, digits;
    /* the length counts its own digits: settle the fixed point */
    for (;;) {
        char tmp[32];
        digits = (size_t)snprintf(tmp, sizeof tmp, "%zu", len);
        if (digits + body == len)
            break;
        len = digits + body;
    }
    size_t p = (size_t)sprintf(rec, "%zu ", len);
    memcpy(rec + p, key, klen);
    p += klen;
    rec[p++] = '=';
    memcpy(rec + p, value, vlen);
    p += vlen;
    rec[p++] = '\n';
    return p;
}

/* Octal, zero-padded to width-1 digits, NUL-terminated (what Go's archive/tar writes). */
static void put_oct(char *field, size_t width, unsigned long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*llo", (int)(width - 1), v);
    memcpy(field, tmp, width - 1);
    field[width - 1] = '\0';
}

static int is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
            return 0;
    return 1;
}

/* Splits name into ustar's prefix (<= 155) and name (<= 100) at a '/'; returns the prefix
 * length (0: none) or -1 when it cannot be split. */
static long split_name(const char *name, size_t n)
{
    if (n <= 100)
        return 0;
    /* the last '/' that leaves at most 100 bytes after it and at most 155 before it */
    size_t lim = n - 1 < 155 ? n - 1 : 155;
    for (size_t i = lim; i > 0; i--) {
        if (name[i] != '/')
            continue;
        if (n - i - 1 > 100 || n - i - 1 == 0)
            return -1;
        return (long)i;
    }
    return -1;
}

/* "sec[.frac]" with trailing zeros of the fraction dropped, negative times as POSIX says. */
static void pax_time(char *buf, size_t n, int64_t sec, uint32_t nsec)
{
    const char *sign = "";
    unsigned long long ip;
    uint32_t frac = nsec;
    if (sec < 0) {
        sign = "-";
        if (nsec) {
            ip = (unsigned long long)(-(sec + 1));
            frac = 1000000000u - nsec;
        } else {
            ip = (unsigned long long)(-(sec + 1)) + 1;
        }
    } else {
        ip = (unsigned long long)sec;
    }
    if (!frac) {
        snprintf(buf, n, "%s%llu", sign, ip);
        return;
    }
    char f[16];
    snprintf(f, sizeof f, "%09u", frac);
    size_t fl = 9;
    while (fl > 1 && f[fl - 1] == '0')
        fl--;
    f[fl] = '\0';
    snprintf(buf, n, "%s%llu.%s", sign, ip, f);
}

static void checksum(unsigned char *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < HUSK_TAR_BLOCK; i++)
        sum += h[i];
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%06o", sum);
    memcpy(h + 148, tmp, 6);
    h[154] = '\0';
    h[155] = ' ';
}

static void fill_ustar(unsigned char *h, char type, uint32_t mode, uint32_t uid, uint32_t gid,
                       uint64_t size, uint64_t mtime, uint32_t maj, uint32_t min)
{
    put_oct((char *)h + 100, 8, mode & USTAR_MAX_OCT7);
    put_oct((char *)h + 108, 8, uid);
    put_oct((char *)h + 116, 8, gid);
    put_oct((char *)h + 124, 12, size);
    put_oct((char *)h + 136, 12, mtime);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6); /* "ustar\0" */
    memcpy(h + 263, "00", 2);
    put_oct((char *)h + 329, 8, maj);
    put_oct((char *)h + 337, 8, min);
}

/* The pax extended header's own name: Go's "PaxHeaders.0/<base>", kept ASCII and short. */
static void pax_name(unsigned char *h, const char *name, size_t n)
{
    while (n > 1 && name[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && name[b - 1] != '/')
        b--;
    char buf[101];
    int p = snprintf(buf, sizeof buf, "PaxHeaders.0/");
    for (size_t i = b; i < n && p < 100; i++)
        buf[p++] = is_ascii(name + i, 1) ? name[i] : '_';
    memcpy(h, buf, (size_t)p);
}

int husk_tar_header(husk_tar *t, const husk_tar_entry *e)
{
    if (t->failed || t->remaining || !e->name || e->name_len == 0)
        return -1;
    size_t cap = 4096, len = 0;
    for (size_t i = 0; i < e->nxattrs; i++)
        cap += strlen(e->xattrs[i].name) + e->xattrs[i].len + 64;
    cap += e->name_len + e->linkname_len + 128;
    if (cap > MAX_PAX)
        return -1;
    char *pax = malloc(cap);
    if (!pax)
        return -1;
    unsigned char h[HUSK_TAR_BLOCK];
    memset(h, 0, sizeof h);

    uint64_t size = e->typeflag == '0' ? e->size : 0;
    long pre = is_ascii(e->name, e->name_len) ? split_name(e->name, e->name_len) : -1;
    if (pre < 0) {
        len += husk_tar_pax_record(pax + len, "path", e->name, e->name_len);
        /* ustar keeps what fits: readers without pax support still see something */
        size_t k = e->name_len < 100 ? e->name_len : 100;
        memcpy(h, e->name, k);
    } else if (pre == 0) {
        memcpy(h, e->name, e->name_len);
    } else {
        memcpy(h + 345, e->name, (size_t)pre);
        memcpy(h, e->name + pre + 1, e->name_len - (size_t)pre - 1);
    }
    if (e->linkname && e->linkname_len) {
        if (e->linkname_len > 100 || !is_ascii(e->linkname, e->linkname_len)) {
            len += husk_tar_pax_record(pax + len, "linkpath", e->linkname, e->linkname_len);
            memcpy(h + 157, e->linkname, e->linkname_len < 100 ? e->linkname_len : 100);
        } else {
            memcpy(h + 157, e->linkname, e->linkname_len);
        }
    }
    char num[64];
    uint64_t usize = size;
    if (size > USTAR_MAX_OCT11) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)size);
        len += husk_tar_pax_record(pax + len, "size", num, strlen(num));
        usize = 0;
    }
    uint32_t uid = e->uid, gid = e->gid;
    if (uid > USTAR_MAX_OCT7) {
        snprintf(num, sizeof num, "%u", uid);
        len += husk_tar_pax_record(pax + len, "uid", num, strlen(num));
        uid = 0;
    }
    if (gid > USTAR_MAX_OCT7) {
        snprintf(num, sizeof num, "%u", gid);
        len += husk_tar_pax_record(pax + len, "gid", num, strlen(num));
        gid = 0;
    }
    uint64_t umtime;
    if (e->mtime_sec < 0 || (uint64_t)e->mtime_sec > USTAR_MAX_OCT11 || e->mtime_nsec) {
        pax_time(num, sizeof num, e->mtime_sec, e->mtime_nsec % 1000000000u);
        len += husk_tar_pax_record(pax + len, "mtime", num, strlen(num));
    }
    umtime = e->mtime_sec < 0 ? 0
             : (uint64_t)e->mtime_sec > USTAR_MAX_OCT11 ? USTAR_MAX_OCT11
                                                        : (uint64_t)e->mtime_sec;
    for (size_t i = 0; i < e->nxattrs; i++) {
        char key[320];
        if (snprintf(key, sizeof key, "SCHILY.xattr.%s", e->xattrs[i].name) >= (int)sizeof key)
            continue; /* no Linux xattr name is that long */
        len += husk_tar_pax_record(pax + len, key, e->xattrs[i].value, e->xattrs[i].len);
    }
    uint32_t maj = 0, min = 0;
    if (e->typeflag == '3' || e->typeflag == '4') {
        maj = e->devmajor <= USTAR_MAX_OCT7 ? e->devmajor : 0;
        min = e->devminor <= USTAR_MAX_OCT7 ? e->devminor : 0;
        if (e->devmajor > USTAR_MAX_OCT7 || e->devminor > USTAR_MAX_OCT7) {
            /* no pax keyword exists for device numbers; Linux's are 12 and 20 bits */
            free(pax);
            return -1;
        }
    }
    fill_ustar(h, e->typeflag, e->mode, uid, gid, usize, umtime, maj, min);
    checksum(h);

    int rc = 0;
    if (len) {
        unsigned char x[HUSK_TAR_BLOCK];
        memset(x, 0, sizeof x);
        pax_name(x, e->name, e->name_len);
        fill_ustar(x, 'x', 0644, 0, 0, len, umtime, 0, 0);
        checksum(x);
        size_t pad = (HUSK_TAR_BLOCK - len % HUSK_TAR_BLOCK) % HUSK_TAR_BLOCK;
        rc = out(t, x, sizeof x);
        if (rc == 0)
            rc = out(t, pax, len);
        if (rc == 0)
            rc = out(t, zeros, pad);
    }
    free(pax);
    if (rc == 0)
        rc = out(t, h, sizeof h);
    if (rc == 0)
        t->remaining = size;
    return rc;
}

static int finish_entry(husk_tar *t, uint64_t size_mod)
{
    size_t pad = (HUSK_TAR_BLOCK - size_mod % HUSK_TAR_BLOCK) % HUSK_TAR_BLOCK;
    return out(t, zeros, pad);
}

int husk_tar_data(husk_tar *t, const void *buf, size_t n)
{
    if (t->failed || n > t->remaining)
        return -1;
    if (out(t, buf, n) < 0)
        return -1;
    t->remaining -= n;
    return t->remaining ? 0 : finish_entry(t, t->offset);
}

int husk_tar_fill(husk_tar *t)
{
    while (t->remaining) {
        size_t k = t->remaining < sizeof zeros ? (size_t)t->remaining : sizeof zeros;
        if (husk_tar_data(t, zeros, k) < 0)
            return -1;
    }
    return t->failed ? -1 : 0;
}

int husk_tar_finish(husk_tar *t)
{
    if (t->remaining)
        return -1;
    if (out(t, zeros, sizeof zeros) < 0 || out(t, zeros, sizeof zeros) < 0)
        return -1;
    return 0;
}
