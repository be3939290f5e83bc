/*
 * Volumes of an evidence image: GPT and DOS partitions (libtsk), LVM2 logical volumes
 * (libvslvm, handed back to libtsk as images), a whole disk without a partition table, or a
 * sector offset the examiner gave.
 */
#ifndef HUSK_VOLUME_H
#define HUSK_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#include "husk/diag.h"
#include "husk/err.h"
#include "husk/image.h"

typedef struct husk_volume {
    char kind[16];        /* "gpt", "dos", "lvm", "whole-disk", "offset", ... */
    uint64_t offset;      /* bytes from the start of the evidence */
    uint64_t length;      /* bytes */
    char description[256];
    int parent;           /* index of the enclosing volume, -1 for none */
    int is_container;     /* an LVM PV: its LVs are separate volumes; no fs probed */
    TSK_IMG_INFO *img;    /* image the volume's bytes are read through */
    uint64_t img_offset;  /* the volume's first byte inside img */
} husk_volume;

typedef struct husk_lvm husk_lvm;

typedef struct husk_volumes {
    husk_volume *v;
    size_t n, cap;
    husk_lvm **lvms; /* LVM contexts to free after the volumes' file systems are closed */
    size_t nlvm;
} husk_volumes;

/* Finds the volumes of im. sector_offset >= 0 means "the file system starts at that sector"
 * (TSK's -o) and skips detection. Problems with one volume go to diag; only an unusable image
 * is an error. */
int husk_volumes_scan(husk_image *im, int64_t sector_offset, husk_volumes *out, husk_diag *diag,
                      husk_err *err);
void husk_volumes_free(husk_volumes *vols);

/* LVM (src/evidence/lvm.c). */
int husk_lvm_probe(TSK_IMG_INFO *img, uint64_t off, uint64_t len);
/* Opens the PV at [off, off+len) of img and appends one volume per logical volume. */
int husk_lvm_add_volumes(husk_volumes *vols, int parent, TSK_IMG_INFO *img, uint64_t off,
                         uint64_t len, husk_diag *diag, husk_err *err);
void husk_lvm_free(husk_lvm *lvm);

/* Appends a volume (copies *v); returns its index or a negative code. */
int husk_volumes_add(husk_volumes *vols, const husk_volume *v);

#endif
