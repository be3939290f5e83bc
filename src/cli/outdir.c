/* Output directories of extraction commands (src/cli/outdir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "outdir.h"

struct outdir_file {
    int fd;
    EVP_MD_CTX *md;
    uint64_t size;
    int failed;
    char path[4096];
};

int outdir_prepare(const char *dir)
{
    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno != EEXIST) {
        cli_error("cannot create '%s': %s", dir, strerror(errno));
        return HUSK_EXIT_FAIL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("'%s' exists and is not a directory that can be read: %s", dir, strerror(errno));
        return HUSK_EXIT_USAGE;
    }
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    if (!empty) {
        cli_error("'%s' is not empty; give a new or empty directory", dir);
        return HUSK_EXIT_USAGE;
    }
    return 0;
}

/* 1 when rel is a relative path of ordinary components (names from the evidence may be
 * crafted to climb out of the output directory). */
static int safe_rel(const char *rel)
{
    if (!rel[0] || rel[0] == '/')
        return 0;
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

outdir_file *outdir_create(const char *dir, const char *rel)
{
    if (!safe_rel(rel)) {
        cli_error("refusing to write '%s' outside the output directory", rel);
        return NULL;
    }
    outdir_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    int n = snprintf(f->path, sizeof f->path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof f->path) {
        cli_error("output path too long: %s/%s", dir, rel);
        free(f);
        return NULL;
    }
    /* parent directories: made here, so none of them is a symbolic link */
    for (char *s = f->path + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        if (mkdir(f->path, 0700) != 0 && errno != EEXIST) {
            cli_error("cannot create '%s': %s", f->path, strerror(errno));
            free(f);
            return NULL;
        }
        *s = '/';
    }
    f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    f->md = EVP_MD_CTX_new();
    if (f->fd < 0 || !f->md || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL)) {
        cli_error("cannot create '%s': %s", f->path, strerror(errno));
        if (f->fd >= 0)
            close(f->fd);
        EVP_MD_CTX_free(f->md);
        free(f);
        return NULL;
    }
    return f;
}

int outdir_write(outdir_file *f, const void *data, size_t len)
{
    const char *p = data;
    if (f->failed)
        return -1;
    EVP_DigestUpdate(f->md, data, len);
    f->size += len;
    while (len > 0) {
        ssize_t k = write(f->fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            cli_error("cannot write '%s': %s", f->path, strerror(errno));
            f->failed = 1;
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

int outdir_close(outdir_file *f, char hex[65], uint64_t *size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    hex[0] = '\0';
    if (EVP_DigestFinal_ex(f->md, md, &n))
        for (unsigned i = 0; i < n && i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (size)
        *size = f->size;
    int rc = f->failed ? -1 : 0;
    if (close(f->fd) != 0 && rc == 0) {
        cli_error("cannot write '%s': %s", f->path, strerror(errno));
        rc = -1;
    }
    EVP_MD_CTX_free(f->md);
    free(f);
    return rc;
}

int outdir_put(const char *dir, const char *rel, const void *data, size_t len, char hex[65])
{
    outdir_file *f = outdir_create(dir, rel);
    if (!f)
        return -1;
    outdir_write(f, data, len);
    return outdir_close(f, hex, NULL);
}
