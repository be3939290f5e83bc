/*
 * Evidence images: raw, split raw, EWF (E01, multi-segment), VMDK and VHD through libtsk,
 * with EWF acquisition metadata (stored hashes) read through libewf. Read-only throughout.
 */
#ifndef HUSK_IMAGE_H
#define HUSK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#include "husk/err.h"

#define HUSK_IMAGE_MAX_META 32

typedef struct husk_kv {
    char key[40];
    char value[256];
} husk_kv;

typedef struct husk_image {
    TSK_IMG_INFO *img;
    char format[16];  /* "raw", "split-raw", "ewf", "vmdk", "vhd", ... */
    uint64_t size;    /* media bytes */
    int nsegments;
    char **segments;  /* owned copies of the segment paths, in order */
    char ewf_md5[33]; /* stored in the EWF, lowercase hex; "" when absent */
    char ewf_sha1[41];
    husk_kv meta[HUSK_IMAGE_MAX_META]; /* EWF header values (case number, examiner, ...) */
    int nmeta;
    /* EWF: the set's section chains are damaged (a segment cut short, later segments
     * missing): what, in which segment (index into segments), at which byte of it (-1: none) */
    char damage[400];
    int damage_segment;
    int64_t damage_offset;
    /* EWF set damaged: media bytes its surviving chunk tables cover (0: unknown). Reads past
     * them fail in husk, before libewf, which leaks a chunk buffer on every missing chunk it
     * is asked for (libewf 20140813: 150 MB for a 150 MB missing tail). */
    uint64_t readable;
    TSK_IMG_INFO *under; /* the libtsk EWF image when img is the limiting wrapper */
} husk_image;

/* Opens evidence at path (for split raw or EWF, the first segment) read-only. type is NULL
 * for autodetection or a TSK image type name ("raw", "ewf", "vmdk", "vhd"). */
int husk_image_open(const char *path, const char *type, husk_image **out, husk_err *err);
void husk_image_close(husk_image *im);

typedef void (*husk_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct husk_image_hashes {
    char md5[33];
    char sha1[41];
    char sha256[65];
} husk_image_hashes;

/* Walks the section chain of one EWF segment file (header, then sections linked by their
 * "next" offsets). Returns 1 when it ends in a "done" section (the last segment), 2 when it
 * ends in "next" (more segments follow), or -1 when the chain is broken: a section or its
 * successor lies past the end of the file (msg says where, *off the byte). */
int husk_ewf_segment_check(const char *path, char *msg, size_t msglen, int64_t *off);
/* What the section chain of one segment says about its chunks (filled by the check as far as
 * the chain goes): entries of its complete "table" sections, and the chunk size from a
 * "volume" or "disk" section (0 when the segment has none). */
typedef struct husk_ewf_chunks {
    uint64_t chunks;
    uint64_t chunk_size;
} husk_ewf_chunks;
int husk_ewf_segment_check_chunks(const char *path, husk_ewf_chunks *ch, char *msg,
                                  size_t msglen, int64_t *off);

/* Reads the whole media once and computes MD5, SHA-1 and SHA-256 of it (the values EWF
 * stores are of the media, so they compare directly). */
int husk_image_hash(husk_image *im, husk_image_hashes *h, husk_progress_fn progress, void *ctx,
                    husk_err *err);

/* SHA-256 of a host file (the evidence segments themselves), streamed. */
int husk_file_sha256(const char *path, char out[65], husk_err *err);

#endif
