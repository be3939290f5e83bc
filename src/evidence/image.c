/* Evidence images (include/husk/image.h). */
#include "husk/image.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libewf.h>
#include <openssl/evp.h>

#include "imgcache.h"

/* Decoded EWF bytes kept in memory (imgcache.c): fixed, whatever the image's size. */
#define EWF_CACHE_BYTES ((size_t)32 << 20)

static int type_from_name(const char *type, TSK_IMG_TYPE_ENUM *t, husk_err *err)
{
    if (!type || !*type || strcmp(type, "detect") == 0) {
        *t = TSK_IMG_TYPE_DETECT;
        return 0;
    }
    if (strcmp(type, "split") == 0 || strcmp(type, "split-raw") == 0) {
        *t = TSK_IMG_TYPE_RAW;
        return 0;
    }
    *t = tsk_img_type_toid_utf8(type);
    if (*t == TSK_IMG_TYPE_UNSUPP)
        return husk_err_set(err, HUSK_E_ARG,
                            "unknown image type '%s' (try raw, ewf, vmdk or vhd; "
                            "'husk analyse -i list' lists them)",
                            type);
    return 0;
}

static const char *format_name(const TSK_IMG_INFO *img)
{
    switch (img->itype) {
    case TSK_IMG_TYPE_RAW: return img->num_img > 1 ? "split-raw" : "raw";
    case TSK_IMG_TYPE_EWF_EWF: return "ewf";
    case TSK_IMG_TYPE_VMDK_VMDK: return "vmdk";
    case TSK_IMG_TYPE_VHD_VHD: return "vhd";
    case TSK_IMG_TYPE_AFF_AFF:
    case TSK_IMG_TYPE_AFF_AFD:
    case TSK_IMG_TYPE_AFF_AFM:
    case TSK_IMG_TYPE_AFF_ANY: return "aff";
    default: return "unknown";
    }
}

/* Copies an EWF value to out, keeping printable ASCII only: it is shown to examiners. */
static void clean_copy(char *out, size_t n, const uint8_t *in)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < n; i++)
        out[j++] = (in[i] >= 0x20 && in[i] < 0x7f) ? (char)in[i] : '?';
    out[j] = '\0';
}

static void lower_hex(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Reads stored hashes and header values from an EWF. Problems here are not fatal: the media
 * is still readable through libtsk, and the case says the values were absent. */
static void read_ewf_meta(husk_image *im)
{
    libewf_handle_t *h = NULL;
    libewf_error_t *e = NULL;
    if (libewf_handle_initialize(&h, &e) != 1)
        goto out;
    if (libewf_handle_open(h, (char *const *)im->segments, im->nsegments, LIBEWF_OPEN_READ, &e) !=
        1)
        goto out;
    uint8_t v[256];
    if (libewf_handle_get_utf8_hash_value(h, (const uint8_t *)"MD5", 3, v, sizeof v, &e) == 1) {
        clean_copy(im->ewf_md5, sizeof im->ewf_md5, v);
        lower_hex(im->ewf_md5);
    }
    libewf_error_free(&e);
    if (libewf_handle_get_utf8_hash_value(h, (const uint8_t *)"SHA1", 4, v, sizeof v, &e) == 1) {
        clean_copy(im->ewf_sha1, sizeof im->ewf_sha1, v);
        lower_hex(im->ewf_sha1);
    }
    libewf_error_free(&e);
    static const char *keys[] = {"case_number",      "description",    "examiner_name",
                                 "evidence_number",  "notes",          "acquiry_date",
                                 "system_date",      "acquiry_operating_system",
                                 "acquiry_software", "acquiry_software_version"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && im->nmeta < HUSK_IMAGE_MAX_META; i++) {
        if (libewf_handle_get_utf8_header_value(h, (const uint8_t *)keys[i], strlen(keys[i]), v,
                                                sizeof v, &e) == 1 &&
            v[0]) {
            husk_kv *kv = &im->meta[im->nmeta++];
            snprintf(kv->key, sizeof kv->key, "ewf_%s", keys[i]);
            clean_copy(kv->value, sizeof kv->value, v);
        }
        libewf_error_free(&e);
    }
    libewf_handle_close(h, &e);
out:
    libewf_error_free(&e);
    if (h)
        libewf_handle_free(&h, NULL);
}

int husk_ewf_segment_check(const char *path, char *msg, size_t msglen, int64_t *off)
{
    husk_ewf_chunks ch;
    return husk_ewf_segment_check_chunks(path, &ch, msg, msglen, off);
}

static uint64_t le_n(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

int husk_ewf_segment_check_chunks(const char *path, husk_ewf_chunks *ch, char *msg,
                                  size_t msglen, int64_t *off)
{
    *off = -1;
    memset(ch, 0, sizeof *ch);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(msg, msglen, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint64_t fsize = (uint64_t)st.st_size, pos = 13; /* after the 13-byte file header */
    int rc = -1;
    for (unsigned i = 0; i < 1000000; i++) {
        unsigned char h[76]; /* type[16], next u64, size u64, padding, checksum */
        if (pos > fsize || fsize - pos < sizeof h ||
            pread(fd, h, sizeof h, (off_t)pos) != (ssize_t)sizeof h) {
            snprintf(msg, msglen,
                     "section at byte %llu lies past the end of the %llu-byte file "
                     "(segment cut short)",
                     (unsigned long long)pos, (unsigned long long)fsize);
            *off = (int64_t)(pos < fsize ? pos : fsize);
            goto out;
        }
        uint64_t next = le_n(h + 16, 8), size = le_n(h + 24, 8);
        /* a complete "table" section counts its chunks; "volume"/"disk" give their size
         * (number of chunks, sectors per chunk, bytes per sector at 4, 8 and 12) */
        unsigned char d[16];
        int whole = size >= sizeof h + sizeof d && size <= fsize - pos &&
                    pread(fd, d, sizeof d, (off_t)(pos + sizeof h)) == (ssize_t)sizeof d;
        if (whole && memcmp(h, "table\0", 6) == 0)
            ch->chunks += le_n(d, 4);
        if (whole && (memcmp(h, "volume\0", 7) == 0 || memcmp(h, "disk\0", 5) == 0)) {
            uint64_t spc = le_n(d + 8, 4), bps = le_n(d + 12, 4);
            if (spc && bps && spc <= (1u << 20) && bps <= 65536)
                ch->chunk_size = spc * bps;
        }
        int is_done = memcmp(h, "done\0", 5) == 0, is_next = memcmp(h, "next\0", 5) == 0;
        if (is_done || is_next) {
            rc = is_done ? 1 : 2;
            goto out;
        }
        if (next <= pos) {
            snprintf(msg, msglen, "section at byte %llu links back to byte %llu",
                     (unsigned long long)pos, (unsigned long long)next);
            *off = (int64_t)pos;
            goto out;
        }
        pos = next;
    }
    snprintf(msg, msglen, "more than a million sections");
    *off = (int64_t)pos;
out:
    close(fd);
    return rc;
}

/* The section chains of every segment: each but the last ends in "next", the last in "done".
 * libewf reads an incomplete set without complaint (the missing chunks read as errors or not
 * at all), so the damage is recorded here. */
static void check_ewf_set(husk_image *im)
{
    char msg[200];
    int64_t off;
    uint64_t chunks = 0, chunk_size = 0;
    im->damage_offset = -1;
    for (int i = 0; i < im->nsegments; i++) {
        husk_ewf_chunks ch;
        int r = husk_ewf_segment_check_chunks(im->segments[i], &ch, msg, sizeof msg, &off);
        chunks += ch.chunks;
        if (!chunk_size)
            chunk_size = ch.chunk_size;
        if (r < 0) {
            snprintf(im->damage, sizeof im->damage, "EWF segment %d of %d: %s", i + 1,
                     im->nsegments, msg);
        } else if (r == 1 && i + 1 < im->nsegments) {
            snprintf(im->damage, sizeof im->damage,
                     "EWF segment %d of %d ends the set ('done' section) but more segments follow",
                     i + 1, im->nsegments);
            off = -1;
        } else if (r == 2 && i + 1 == im->nsegments) {
            snprintf(im->damage, sizeof im->damage,
                     "EWF set incomplete: the last segment found (%d) says more follow ('next' "
                     "section); the media after it is missing",
                     i + 1);
            off = -1;
        } else {
            continue;
        }
        im->damage_segment = i;
        im->damage_offset = off;
        if (chunk_size && chunks < im->size / chunk_size + 1)
            im->readable = chunks * chunk_size < im->size ? chunks * chunk_size : im->size;
        size_t l = strlen(im->damage);
        if (im->readable && im->readable < im->size)
            snprintf(im->damage + l, sizeof im->damage - l,
                     "; media read up to byte %llu of %llu (the chunks its tables hold)",
                     (unsigned long long)im->readable, (unsigned long long)im->size);
        return;
    }
}

/* A damaged EWF set: the libtsk image read only as far as the surviving chunk tables go. */
typedef struct limit_img {
    TSK_IMG_INFO info; /* first member (tsk_img.h) */
    TSK_IMG_INFO *under;
    uint64_t limit;
} limit_img;

static ssize_t limit_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    limit_img *l = (limit_img *)img;
    if (off < 0 || (uint64_t)off >= l->limit) {
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("byte %lld is past the last chunk the damaged EWF set holds (%llu)",
                             (long long)off, (unsigned long long)l->limit);
        return -1;
    }
    if (len > l->limit - (uint64_t)off)
        len = (size_t)(l->limit - (uint64_t)off); /* a short read up to the missing part */
    return tsk_img_read(l->under, off, buf, len);
}

static void limit_close(TSK_IMG_INFO *img)
{
    free(img);
}

static void limit_imgstat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "damaged EWF set, read up to its last chunk\n");
}

static void limit_ewf(husk_image *im)
{
    limit_img *l = calloc(1, sizeof *l); /* zeroed: it holds libtsk's read cache */
    if (!l)
        return;
    l->under = im->img;
    l->limit = im->readable;
    TSK_IMG_INFO *t = tsk_img_open_external(l, im->img->size, im->img->sector_size, limit_read,
                                            limit_close, limit_imgstat);
    if (!t) {
        tsk_error_reset();
        free(l);
        return;
    }
    im->under = im->img;
    im->img = t;
}

/*
 * Recognises the container format by its signature. Doing this here rather than through
 * TSK_IMG_TYPE_DETECT keeps detection predictable and avoids libtsk 4.11's probing of VHD and
 * VMDK, which leaks memory on every non-matching image.
 */
static TSK_IMG_TYPE_ENUM detect_type(const char *path)
{
    unsigned char head[512], foot[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TSK_IMG_TYPE_DETECT;
    ssize_t n = pread(fd, head, sizeof head, 0);
    struct stat st;
    ssize_t fn = -1;
    if (fstat(fd, &st) == 0 && st.st_size >= 512)
        fn = pread(fd, foot, sizeof foot, st.st_size - 512);
    close(fd);
    if (n >= 8 && (memcmp(head, "EVF\x09\x0d\x0a\xff\x00", 8) == 0 ||
                   memcmp(head, "LVF\x09\x0d\x0a\xff\x00", 8) == 0))
        return TSK_IMG_TYPE_EWF_EWF;
    if (n >= 4 && memcmp(head, "KDMV", 4) == 0)
        return TSK_IMG_TYPE_VMDK_VMDK;
    if (n >= 21 && memcmp(head, "# Disk DescriptorFile", 21) == 0)
        return TSK_IMG_TYPE_VMDK_VMDK;
    if ((n >= 8 && memcmp(head, "conectix", 8) == 0) ||
        (fn == 512 && memcmp(foot, "conectix", 8) == 0))
        return TSK_IMG_TYPE_VHD_VHD;
    return TSK_IMG_TYPE_RAW; /* raw, or the first segment of a split raw image */
}

int husk_image_open(const char *path, const char *type, husk_image **out, husk_err *err)
{
    *out = NULL;
    TSK_IMG_TYPE_ENUM t;
    int r = type_from_name(type, &t, err);
    if (r < 0)
        return r;
    if (t == TSK_IMG_TYPE_DETECT)
        t = detect_type(path);
    struct stat sst;
    if (stat(path, &sst) != 0)
        return husk_err_set(err, HUSK_E_NOTFOUND,
                            "cannot open evidence '%s': %s (for split raw or EWF give the first "
                            "segment: .001, .aa or .E01)",
                            path, strerror(errno));
    if (!S_ISREG(sst.st_mode) && !S_ISBLK(sst.st_mode))
        return husk_err_set(err, HUSK_E_ARG, "evidence '%s' is not a file or block device", path);
    if (access(path, R_OK) != 0)
        return husk_err_set(err, HUSK_E_IO, "cannot read evidence '%s': %s", path,
                            strerror(errno));
    TSK_IMG_INFO *img = tsk_img_open_utf8_sing(path, t, 0);
    if (!img) {
        const char *m = tsk_error_get();
        husk_err_set(err, HUSK_E_FORMAT,
                     "cannot open evidence '%s' as a disk image: %s (give the type with -i)",
                     path, m ? m : "unknown format");
        tsk_error_reset();
        return -HUSK_E_FORMAT;
    }
    husk_image *im = calloc(1, sizeof *im);
    if (!im) {
        tsk_img_close(img);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    im->img = img;
    im->size = (uint64_t)img->size;
    snprintf(im->format, sizeof im->format, "%s", format_name(img));
    int n = img->num_img > 0 && img->images ? img->num_img : 1;
    im->segments = calloc((size_t)n + 1, sizeof *im->segments);
    if (!im->segments) {
        husk_image_close(im);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *s = img->num_img > 0 && img->images ? img->images[i] : path;
        if (!(im->segments[i] = strdup(s))) {
            husk_image_close(im);
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        }
        im->nsegments++;
    }
    if (img->itype == TSK_IMG_TYPE_EWF_EWF) {
        read_ewf_meta(im);
        check_ewf_set(im);
        /* without it every re-read inflates its chunks again; if it cannot be made, the
         * image is read as before, only slower. HUSK_EWF_CACHE_MIB (husk(1), ENVIRONMENT):
         * another size, 0 for none, at most 4 GiB; for benchmarks and tests */
        const char *cb = getenv("HUSK_EWF_CACHE_MIB");
        unsigned long mib = cb && *cb ? strtoul(cb, NULL, 10) : EWF_CACHE_BYTES >> 20;
        size_t bytes = (size_t)(mib < 4096 ? mib : 4096) << 20;
        TSK_IMG_INFO *c = bytes ? husk_imgcache_wrap(im->img, bytes) : NULL;
        if (c)
            im->img = c;
        if (im->readable)
            limit_ewf(im);
    }
    *out = im;
    return 0;
}

void husk_image_close(husk_image *im)
{
    if (!im)
        return;
    if (im->img)
        tsk_img_close(im->img);
    if (im->under)
        tsk_img_close(im->under);
    for (int i = 0; i < im->nsegments; i++)
        free(im->segments[i]);
    free(im->segments);
    free(im);
}

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int husk_image_hash(husk_image *im, husk_image_hashes *h, husk_progress_fn progress, void *ctx,
                    husk_err *err)
{
    const size_t chunk = 1 << 20;
    char *buf = malloc(chunk);
    EVP_MD_CTX *c[3] = {EVP_MD_CTX_new(), EVP_MD_CTX_new(), EVP_MD_CTX_new()};
    const EVP_MD *md[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
    int rc = 0;
    if (!buf || !c[0] || !c[1] || !c[2]) {
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < 3; i++)
        EVP_DigestInit_ex(c[i], md[i], NULL);
    for (uint64_t off = 0; off < im->size;) {
        size_t want = im->size - off < chunk ? (size_t)(im->size - off) : chunk;
        ssize_t n = tsk_img_read(im->img, (TSK_OFF_T)off, buf, want);
        if (n <= 0) {
            const char *m = tsk_error_get();
            rc = husk_err_set(err, HUSK_E_IO, "cannot read the image at byte %llu: %s",
                              (unsigned long long)off, m ? m : "read error");
            tsk_error_reset();
            goto out;
        }
        for (int i = 0; i < 3; i++)
            EVP_DigestUpdate(c[i], buf, (size_t)n);
        off += (uint64_t)n;
        if (progress)
            progress(ctx, off, im->size);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl;
    EVP_DigestFinal_ex(c[0], d, &dl);
    to_hex(d, dl, h->md5);
    EVP_DigestFinal_ex(c[1], d, &dl);
    to_hex(d, dl, h->sha1);
    EVP_DigestFinal_ex(c[2], d, &dl);
    to_hex(d, dl, h->sha256);
out:
    for (int i = 0; i < 3; i++)
        EVP_MD_CTX_free(c[i]);
    free(buf);
    return rc;
}

int husk_file_sha256(const char *path, char out[65], husk_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return husk_err_set(err, HUSK_E_IO, "cannot open '%s': %s", path, strerror(errno));
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char *buf = malloc(1 << 20);
    int rc = 0;
    if (!c || !buf) {
        rc = husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        goto out;
    }
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = husk_err_set(err, HUSK_E_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(c, buf, (size_t)n);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl;
    EVP_DigestFinal_ex(c, d, &dl);
    to_hex(d, dl, out);
out:
    EVP_MD_CTX_free(c);
    free(buf);
    close(fd);
    return rc;
}
