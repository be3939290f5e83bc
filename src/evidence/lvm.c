/*
 * LVM2 logical volumes through libvslvm (Debian 12: 20181227), each handed to libtsk as an
 * external image so the file-system layer reads an LV like any other image
 * (recovery.md 4). libvslvm reads the PV through a libbfio handle over the TSK image, so
 * LVM inside EWF or split raw works the same.
 */
#define HAVE_LIBBFIO 1 /* exposes libvslvm's libbfio entry points (libvslvm/features.h) */
#include <libbfio.h>
#include <libvslvm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/bfio_tsk.h"
#include "husk/volume.h"

struct husk_lvm {
    libbfio_handle_t *bfio;
    libbfio_pool_t *pool;
    libvslvm_handle_t *handle;
    libvslvm_volume_group_t *vg;
    libvslvm_logical_volume_t **lvs;
    int nlv;
};

/* TSK external image for one LV; TSK_IMG_INFO must be the first member (tsk_img.h). */
typedef struct lv_img {
    TSK_IMG_INFO info;
    libvslvm_logical_volume_t *lv;
} lv_img;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Returns the byte offset of the LVM label ("LABELONE" + "LVM2 001") in the first four
 * sectors of [off, off+len), or -1. */
static int64_t find_label(TSK_IMG_INFO *img, uint64_t off, uint64_t len, uint8_t sec[512])
{
    for (uint64_t s = 0; s < 4; s++) {
        if ((s + 1) * 512 > len)
            break;
        if (tsk_img_read(img, (TSK_OFF_T)(off + s * 512), (char *)sec, 512) != 512) {
            tsk_error_reset();
            break;
        }
        if (memcmp(sec, "LABELONE", 8) == 0 && memcmp(sec + 24, "LVM2 001", 8) == 0)
            return (int64_t)(s * 512);
    }
    return -1;
}

int husk_lvm_probe(TSK_IMG_INFO *img, uint64_t off, uint64_t len)
{
    uint8_t sec[512];
    return find_label(img, off, len, sec) >= 0;
}

/* pe_start: the first data area of the PV header, in bytes from the PV's start. */
static int pv_data_start(TSK_IMG_INFO *img, uint64_t off, uint64_t len, uint64_t *pe_start)
{
    uint8_t sec[512];
    int64_t lab = find_label(img, off, len, sec);
    if (lab < 0)
        return -1;
    uint32_t hoff = le32(sec + 20);
    /* pv_header: uuid[32], device_size u64, then {offset u64, size u64} data areas */
    if (hoff < 32 || hoff + 32 + 8 + 16 > 512)
        return -1;
    *pe_start = le64(sec + hoff + 40);
    return *pe_start < len ? 0 : -1;
}

static ssize_t lv_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    lv_img *l = (lv_img *)img;
    libvslvm_error_t *e = NULL;
    ssize_t n = libvslvm_logical_volume_read_buffer_at_offset(l->lv, buf, len, (off64_t)off, &e);
    if (n < 0) {
        libvslvm_error_free(&e);
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("LVM logical volume read failed at offset %lld", (long long)off);
        return -1;
    }
    return n;
}

static void lv_close(TSK_IMG_INFO *img)
{
    free(img); /* the LV handle itself belongs to the husk_lvm context */
}

static void lv_imgstat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "LVM logical volume (libvslvm)\n");
}

void husk_lvm_free(husk_lvm *lvm)
{
    if (!lvm)
        return;
    for (int i = 0; i < lvm->nlv; i++)
        if (lvm->lvs[i])
            libvslvm_logical_volume_free(&lvm->lvs[i], NULL);
    free(lvm->lvs);
    if (lvm->vg)
        libvslvm_volume_group_free(&lvm->vg, NULL);
    if (lvm->handle) {
        libvslvm_handle_close(lvm->handle, NULL);
        libvslvm_handle_free(&lvm->handle, NULL);
    }
    if (lvm->pool)
        libbfio_pool_free(&lvm->pool, NULL); /* frees the handles appended to it */
    else if (lvm->bfio)
        libbfio_handle_free(&lvm->bfio, NULL);
    free(lvm);
}

static int lvm_fail(husk_lvm *lvm, libvslvm_error_t **e, husk_err *err, const char *what)
{
    char m[256] = "";
    if (e && *e) {
        libvslvm_error_sprint(*e, m, sizeof m);
        libvslvm_error_free(e);
    }
    husk_lvm_free(lvm);
    return husk_err_set(err, HUSK_E_FORMAT, "%s%s%s", what, m[0] ? ": " : "", m);
}

/* Keeps printable ASCII of an LVM name for descriptions. */
static void clean_name(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

/* The LV's first physical byte in the evidence when its first segment is linear, else 0. */
static uint64_t lv_physical_offset(libvslvm_logical_volume_t *lv, uint64_t pv_off,
                                   uint64_t pe_start)
{
    libvslvm_segment_t *seg = NULL;
    libvslvm_stripe_t *stripe = NULL;
    off64_t area = 0;
    int nstripes = 0;
    uint64_t r = 0;
    if (libvslvm_logical_volume_get_segment(lv, 0, &seg, NULL) == 1 &&
        libvslvm_segment_get_number_of_stripes(seg, &nstripes, NULL) == 1 && nstripes == 1 &&
        libvslvm_segment_get_stripe(seg, 0, &stripe, NULL) == 1 &&
        libvslvm_stripe_get_data_area_offset(stripe, &area, NULL) == 1 && area >= 0)
        r = pv_off + pe_start + (uint64_t)area;
    if (stripe)
        libvslvm_stripe_free(&stripe, NULL);
    if (seg)
        libvslvm_segment_free(&seg, NULL);
    return r;
}

int husk_lvm_add_volumes(husk_volumes *vols, int parent, TSK_IMG_INFO *img, uint64_t off,
                         uint64_t len, husk_diag *diag, husk_err *err)
{
    husk_lvm *lvm = calloc(1, sizeof *lvm);
    libvslvm_error_t *e = NULL;
    libbfio_error_t *be = NULL;
    if (!lvm)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    if (husk_bfio_tsk_open(img, off, len, &lvm->bfio, err) < 0) {
        husk_lvm_free(lvm);
        return -HUSK_E_IO;
    }
    if (libvslvm_handle_initialize(&lvm->handle, &e) != 1)
        return lvm_fail(lvm, &e, err, "cannot initialise libvslvm");
    if (libvslvm_handle_open_file_io_handle(lvm->handle, lvm->bfio, LIBVSLVM_OPEN_READ, &e) != 1)
        return lvm_fail(lvm, &e, err, "cannot read LVM metadata");
    int pidx = 0;
    if (libbfio_pool_initialize(&lvm->pool, 0, LIBBFIO_POOL_UNLIMITED_NUMBER_OF_OPEN_HANDLES,
                                &be) != 1 ||
        libbfio_pool_append_handle(lvm->pool, &pidx, lvm->bfio, LIBBFIO_OPEN_READ, &be) != 1) {
        libbfio_error_free(&be);
        return lvm_fail(lvm, NULL, err, "cannot set up the LVM data pool");
    }
    if (libvslvm_handle_open_physical_volume_files_file_io_pool(lvm->handle, lvm->pool, &e) != 1)
        return lvm_fail(lvm, &e, err, "cannot open the LVM physical volume data");
    if (libvslvm_handle_get_volume_group(lvm->handle, &lvm->vg, &e) != 1)
        return lvm_fail(lvm, &e, err, "no LVM volume group");
    char vgname[128] = "";
    libvslvm_volume_group_get_name(lvm->vg, vgname, sizeof vgname, NULL);
    clean_name(vgname);
    int nlv = 0;
    if (libvslvm_volume_group_get_number_of_logical_volumes(lvm->vg, &nlv, &e) != 1)
        return lvm_fail(lvm, &e, err, "cannot count logical volumes");
    if (nlv < 0 || nlv > 4096)
        return lvm_fail(lvm, NULL, err, "implausible number of logical volumes");
    lvm->lvs = calloc((size_t)nlv + 1, sizeof *lvm->lvs);
    if (!lvm->lvs)
        return lvm_fail(lvm, NULL, err, "out of memory");
    husk_lvm **nl = realloc(vols->lvms, (vols->nlvm + 1) * sizeof *nl);
    if (!nl)
        return lvm_fail(lvm, NULL, err, "out of memory");
    vols->lvms = nl;
    vols->lvms[vols->nlvm++] = lvm;
    uint64_t pe_start = 0;
    int have_pe = pv_data_start(img, off, len, &pe_start) == 0;
    for (int i = 0; i < nlv; i++) {
        if (libvslvm_volume_group_get_logical_volume(lvm->vg, i, &lvm->lvs[i], &e) != 1) {
            libvslvm_error_free(&e);
            husk_diag_report(diag, "volumes", vgname, (int64_t)off,
                             "logical volume %d of VG %s unreadable", i, vgname);
            continue;
        }
        lvm->nlv = i + 1;
        size64_t lsize = 0;
        char lname[128] = "";
        libvslvm_logical_volume_get_name(lvm->lvs[i], lname, sizeof lname, NULL);
        clean_name(lname);
        libvslvm_logical_volume_get_size(lvm->lvs[i], &lsize, NULL);
        lv_img *li = calloc(1, sizeof *li); /* zeroed: holds TSK's read cache */
        if (!li)
            return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
        li->lv = lvm->lvs[i];
        TSK_IMG_INFO *timg = tsk_img_open_external(li, (TSK_OFF_T)lsize, 512, lv_read, lv_close,
                                                   lv_imgstat);
        if (!timg) {
            free(li);
            tsk_error_reset();
            husk_diag_report(diag, "volumes", lname, (int64_t)off,
                             "cannot present logical volume %s as an image", lname);
            continue;
        }
        husk_volume v = {.kind = "lvm", .length = (uint64_t)lsize, .parent = parent,
                         .img = timg, .img_offset = 0};
        v.offset = have_pe ? lv_physical_offset(lvm->lvs[i], off, pe_start) : 0;
        int nseg = 0;
        libvslvm_logical_volume_get_number_of_segments(lvm->lvs[i], &nseg, NULL);
        snprintf(v.description, sizeof v.description, "LVM logical volume %s/%s (%d segment%s)",
                 vgname, lname, nseg, nseg == 1 ? "" : "s");
        if (husk_volumes_add(vols, &v) < 0) {
            tsk_img_close(timg);
            return husk_err_set(err, HUSK_E_LIMIT, "too many volumes");
        }
    }
    return 0;
}
