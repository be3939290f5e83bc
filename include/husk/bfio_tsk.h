/* A libbfio handle that reads a byte range of a TSK image, so libyal libraries (libvslvm,
 * libfsxfs) read evidence through the same TSK image stack (raw, split, EWF, LVM) as libtsk. */
#ifndef HUSK_BFIO_TSK_H
#define HUSK_BFIO_TSK_H

#include <stdint.h>

#include <libbfio.h>
#include <tsk/libtsk.h>

#include "husk/err.h"

/* Creates a read-only handle over [off, off+size) of img (size 0 = to the image's end).
 * img must outlive the handle. Free with libbfio_handle_free(). */
int husk_bfio_tsk_open(TSK_IMG_INFO *img, uint64_t off, uint64_t size, libbfio_handle_t **out,
                       husk_err *err);

#endif
