/*
 * libbfio handle over a TSK image range (include/husk/bfio_tsk.h).
 *
 * Why our own handle: libbfio's file_range handle reads a host file, but evidence may be EWF
 * or split raw, which only libtsk decodes here. This is the pattern TSK 4.12 itself uses
 * (tsk/pool/img_bfio_handle.c); Debian ships 4.11, which lacks it.
 */
#include "husk/bfio_tsk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct range_io {
    TSK_IMG_INFO *img;
    uint64_t start;
    uint64_t size;
    uint64_t pos;
    int open;
} range_io;

static int rio_free(intptr_t **io, libbfio_error_t **e)
{
    (void)e;
    if (io && *io) {
        free(*io);
        *io = NULL;
    }
    return 1;
}

static int rio_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
    (void)e;
    if (!dst || !src)
        return -1;
    range_io *c = malloc(sizeof *c);
    if (!c)
        return -1;
    memcpy(c, src, sizeof *c);
    c->open = 0;
    c->pos = 0;
    *dst = (intptr_t *)c;
    return 1;
}

static int rio_open(intptr_t *io, int flags, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    if (!r || (flags & LIBBFIO_ACCESS_FLAG_WRITE))
        return -1; /* evidence is never opened for writing */
    r->open = 1;
    r->pos = 0;
    return 1;
}

static int rio_close(intptr_t *io, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    if (!r)
        return -1;
    r->open = 0;
    return 0;
}

static ssize_t rio_read(intptr_t *io, uint8_t *buf, size_t len, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    if (!r || !buf)
        return -1;
    if (r->pos >= r->size)
        return 0;
    if (len > r->size - r->pos)
        len = (size_t)(r->size - r->pos);
    size_t done = 0;
    while (done < len) {
        ssize_t n = tsk_img_read(r->img, (TSK_OFF_T)(r->start + r->pos), (char *)buf + done,
                                 len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
        r->pos += (uint64_t)n;
    }
    if (done == 0 && len > 0)
        return -1;
    return (ssize_t)done;
}

static ssize_t rio_write(intptr_t *io, const uint8_t *buf, size_t len, libbfio_error_t **e)
{
    (void)io, (void)buf, (void)len, (void)e;
    return -1;
}

static off64_t rio_seek(intptr_t *io, off64_t off, int whence, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    if (!r)
        return -1;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)r->pos : (int64_t)r->size;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return -1;
    int64_t np = base + off;
    if (np < 0)
        return -1;
    r->pos = (uint64_t)np;
    return (off64_t)np;
}

static int rio_exists(intptr_t *io, libbfio_error_t **e)
{
    (void)e;
    return io ? 1 : 0;
}

static int rio_is_open(intptr_t *io, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    return r && r->open ? 1 : 0;
}

static int rio_get_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
    (void)e;
    range_io *r = (range_io *)io;
    if (!r || !size)
        return -1;
    *size = r->size;
    return 1;
}

int husk_bfio_tsk_open(TSK_IMG_INFO *img, uint64_t off, uint64_t size, libbfio_handle_t **out,
                       husk_err *err)
{
    if (!img || !out || off > (uint64_t)img->size)
        return husk_err_set(err, HUSK_E_ARG, "byte range starts past the end of the image");
    uint64_t avail = (uint64_t)img->size - off;
    if (size == 0 || size > avail)
        size = avail;
    range_io *r = calloc(1, sizeof *r);
    if (!r)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    r->img = img;
    r->start = off;
    r->size = size;
    libbfio_error_t *be = NULL;
    *out = NULL;
    if (libbfio_handle_initialize(out, (intptr_t *)r, rio_free, rio_clone, rio_open, rio_close,
                                  rio_read, rio_write, rio_seek, rio_exists, rio_is_open,
                                  rio_get_size, LIBBFIO_FLAG_IO_HANDLE_MANAGED |
                                      LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION,
                                  &be) != 1) {
        libbfio_error_free(&be);
        free(r);
        return husk_err_set(err, HUSK_E_IO, "cannot create an I/O handle over the image");
    }
    return 0;
}
