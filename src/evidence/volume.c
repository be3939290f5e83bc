/* Volume discovery (include/husk/volume.h). */
#include "husk/volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int husk_volumes_add(husk_volumes *vols, const husk_volume *v)
{
    if (vols->n == vols->cap) {
        size_t nc = vols->cap ? vols->cap * 2 : 8;
        if (nc > 65536)
            return -HUSK_E_LIMIT;
        husk_volume *p = realloc(vols->v, nc * sizeof *p);
        if (!p)
            return -HUSK_E_NOMEM;
        vols->v = p;
        vols->cap = nc;
    }
    vols->v[vols->n] = *v;
    return (int)vols->n++;
}

static void add_lvm_if_present(husk_volumes *vols, int idx, TSK_IMG_INFO *img, husk_diag *diag)
{
    husk_volume *v = &vols->v[idx];
    if (!husk_lvm_probe(img, v->img_offset, v->length))
        return;
    v->is_container = 1;
    uint64_t off = v->img_offset, len = v->length;
    husk_err e = {0};
    if (husk_lvm_add_volumes(vols, idx, img, off, len, diag, &e) < 0)
        husk_diag_report(diag, "volumes", "lvm", (int64_t)off, "LVM physical volume unreadable: %s",
                         e.msg);
}

static const char *vs_kind(TSK_VS_TYPE_ENUM t)
{
    switch (t) {
    case TSK_VS_TYPE_GPT: return "gpt";
    case TSK_VS_TYPE_DOS: return "dos";
    case TSK_VS_TYPE_BSD: return "bsd";
    case TSK_VS_TYPE_SUN: return "sun";
    case TSK_VS_TYPE_MAC: return "mac";
    default: return "other";
    }
}

/* Makes a description safe to store and show: printable ASCII, others as '?'. */
static void clean_desc(char *dst, size_t n, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src && src[i] && j + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[j] = '\0';
}

/*
 * GPT first, then DOS, then libtsk's detection for the rarer tables. Asking for GPT and DOS
 * by name keeps the choice explicit (a GPT disk also carries a protective DOS table) and
 * avoids libtsk 4.11's detection path, which leaks the DOS table it probes on GPT disks.
 */
static TSK_VS_INFO *open_volume_system(TSK_IMG_INFO *img)
{
    static const TSK_VS_TYPE_ENUM order[] = {TSK_VS_TYPE_GPT, TSK_VS_TYPE_DOS};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        TSK_VS_INFO *vs = tsk_vs_open(img, 0, order[i]);
        if (vs)
            return vs;
        tsk_error_reset();
    }
    TSK_VS_INFO *vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
    if (!vs)
        tsk_error_reset();
    return vs;
}

int husk_volumes_scan(husk_image *im, int64_t sector_offset, husk_volumes *out, husk_diag *diag,
                      husk_err *err)
{
    memset(out, 0, sizeof *out);
    TSK_IMG_INFO *img = im->img;
    uint64_t size = (uint64_t)img->size;
    if (sector_offset >= 0) {
        uint64_t ss = img->sector_size ? img->sector_size : 512;
        uint64_t off = (uint64_t)sector_offset * ss;
        if (off >= size)
            return husk_err_set(err, HUSK_E_ARG,
                                "sector offset %lld is past the end of the image (%llu sectors)",
                                (long long)sector_offset, (unsigned long long)(size / ss));
        husk_volume v = {.kind = "offset", .offset = off, .length = size - off, .parent = -1,
                         .img = img, .img_offset = off};
        snprintf(v.description, sizeof v.description, "given offset: sector %lld",
                 (long long)sector_offset);
        int idx = husk_volumes_add(out, &v);
        if (idx < 0)
            return husk_err_set(err, -idx, "cannot add volume");
        add_lvm_if_present(out, idx, img, diag);
        return 0;
    }
    TSK_VS_INFO *vs = open_volume_system(img);
    if (!vs) {
        tsk_error_reset();
        husk_volume v = {.kind = "whole-disk", .offset = 0, .length = size, .parent = -1,
                         .img = img, .img_offset = 0};
        snprintf(v.description, sizeof v.description, "no partition table");
        int idx = husk_volumes_add(out, &v);
        if (idx < 0)
            return husk_err_set(err, -idx, "cannot add volume");
        add_lvm_if_present(out, idx, img, diag);
        return 0;
    }
    const char *kind = vs_kind(vs->vstype);
    for (TSK_PNUM_T i = 0; i < vs->part_count; i++) {
        const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);
        if (!p || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
            continue;
        uint64_t off = (uint64_t)vs->offset + (uint64_t)p->start * vs->block_size;
        uint64_t len = (uint64_t)p->len * vs->block_size;
        if (off >= size) {
            husk_diag_report(diag, "volumes", "partition", (int64_t)off,
                             "partition %u starts past the end of the image", (unsigned)i);
            continue;
        }
        if (len > size - off) {
            husk_diag_report(diag, "volumes", "partition", (int64_t)off,
                             "partition %u runs %llu bytes past the end of the image; truncated",
                             (unsigned)i, (unsigned long long)(len - (size - off)));
            len = size - off;
        }
        husk_volume v = {.offset = off, .length = len, .parent = -1, .img = img,
                         .img_offset = off};
        snprintf(v.kind, sizeof v.kind, "%s", kind);
        char d[200];
        clean_desc(d, sizeof d, p->desc);
        /* slot numbers count from 1 like the node's /dev/sdaN for primary and GPT entries */
        if (p->table_num <= 0)
            snprintf(v.description, sizeof v.description, "partition %d%s%s", p->slot_num + 1,
                     d[0] ? ": " : "", d);
        else
            snprintf(v.description, sizeof v.description,
                     "logical partition (table %d, slot %d)%s%s", p->table_num, p->slot_num + 1,
                     d[0] ? ": " : "", d);
        int idx = husk_volumes_add(out, &v);
        if (idx < 0) {
            tsk_vs_close(vs);
            return husk_err_set(err, -idx, "too many volumes");
        }
        add_lvm_if_present(out, idx, img, diag);
    }
    tsk_vs_close(vs);
    return 0;
}

void husk_volumes_free(husk_volumes *vols)
{
    /* LV images first (their reads go through the LVM contexts), then the contexts */
    for (size_t i = 0; i < vols->n; i++)
        if (strcmp(vols->v[i].kind, "lvm") == 0 && vols->v[i].img)
            tsk_img_close(vols->v[i].img);
    for (size_t i = 0; i < vols->nlvm; i++)
        husk_lvm_free(vols->lvms[i]);
    free(vols->lvms);
    free(vols->v);
    memset(vols, 0, sizeof *vols);
}
