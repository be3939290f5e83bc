/* Docker data roots: shared helpers and the phase sequence (include/husk/docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "husk/docker.h"

const husk_prov HUSK_PROV_LIVE = {"live", 1.0};

int husk_docker_path(const husk_docker_root *r, const char *rel, char *out, size_t n)
{
    int k = strcmp(r->path, "/") == 0 ? snprintf(out, n, "/%s", rel)
                                      : snprintf(out, n, "%s/%s", r->path, rel);
    return k < 0 || (size_t)k >= n ? -HUSK_E_LIMIT : 0;
}

json_t *husk_json_get(json_t *obj, const char *path)
{
    char key[128];
    while (obj && path && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key || !json_is_object(obj))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        path = dot ? dot + 1 : NULL;
    }
    return obj;
}

const char *husk_json_str(json_t *obj, const char *path)
{
    json_t *v = husk_json_get(obj, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t husk_json_int(json_t *obj, const char *path, int64_t dflt)
{
    json_t *v = husk_json_get(obj, path);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_true(v))
        return 1;
    if (json_is_false(v))
        return 0;
    return dflt;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (no libc time zone). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Go writes RFC 3339 with 0-9 fraction digits and a Z or numeric offset (imagedb's
 * lastUpdated is local time). The case database keeps UTC with exactly nine digits.
 */
const char *husk_rfc3339_norm(const char *in, char *out, size_t n)
{
    int y, mo, d, h, mi, s, used = 0;
    if (!in || sscanf(in, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
        used != 19)
        return NULL;
    if (y <= 1 && mo == 1 && d == 1)
        return NULL; /* Go's zero time means "never" */
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return NULL;
    const char *p = in + 19;
    long ns = 0;
    int digits = 0;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) {
                ns = ns * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        for (int i = digits; i < 9; i++)
            ns *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return NULL;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return NULL;
    }
    if (*p)
        return NULL;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off;
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return NULL;
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%09ldZ", base, ns);
    return out;
}

int husk_docker_analyse(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                        husk_err *err)
{
    int rc = husk_docker_images(r, db, diag, err);
    if (rc == 0)
        rc = husk_docker_containers(r, db, diag, err);
    if (rc == 0)
        rc = husk_docker_volumes(r, db, diag, err);
    return rc;
}

int husk_docker_read(const husk_docker_root *r, const char *rel, size_t max, char **data,
                     size_t *len, husk_err *err)
{
    char path[4096];
    uint64_t ino;
    if (husk_docker_path(r, rel, path, sizeof path) < 0)
        return husk_err_set(err, HUSK_E_LIMIT, "path too long");
    int rc = husk_fs_lookup(r->fs, path, HUSK_LOOKUP_FOLLOW, &ino, err);
    if (rc < 0)
        return rc;
    return husk_fs_read_all(r->fs, ino, max, data, len, err);
}

int husk_docker_list(const husk_docker_root *r, const char *rel, husk_dir_cb cb, void *ctx,
                     husk_err *err)
{
    char path[4096];
    uint64_t ino;
    if (husk_docker_path(r, rel, path, sizeof path) < 0)
        return husk_err_set(err, HUSK_E_LIMIT, "path too long");
    int rc = husk_fs_lookup(r->fs, path, HUSK_LOOKUP_FOLLOW, &ino, err);
    if (rc < 0)
        return rc;
    return husk_fs_list_dir(r->fs, ino, cb, ctx, err);
}

int husk_is_hex64(const char *s, size_t len)
{
    if (len != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

void husk_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    static const char hx[] = "0123456789abcdef";
    EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

#define MAX_STORE_ENTRIES 1000000

static int collect_id(const husk_dirent *d, void *ctx)
{
    husk_id_list *l = ctx;
    if (!husk_is_hex64(d->name, d->name_len)) {
        l->skipped++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        if (nc > MAX_STORE_ENTRIES)
            return 1;
        void *p = realloc(l->v, nc * sizeof *l->v);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    memcpy(l->v[l->n], d->name, 64);
    l->v[l->n][64] = '\0';
    l->n++;
    return 0;
}

int husk_docker_list_ids(const husk_docker_root *r, const char *rel, husk_id_list *out,
                         husk_err *err)
{
    memset(out, 0, sizeof *out);
    return husk_docker_list(r, rel, collect_id, out, err);
}

void husk_id_list_free(husk_id_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}
