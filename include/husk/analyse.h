/* The analysis pipeline behind `husk analyse`: evidence -> case database. */
#ifndef HUSK_ANALYSE_H
#define HUSK_ANALYSE_H

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/image.h"
#include "husk/node.h"
#include "husk/progress.h"

typedef struct husk_analyse_opts {
    husk_open_opts open;
    int verify;                 /* --verify: hash the media, compare with EWF's stored hashes */
    int hash_images;            /* --hash-images: files rows for image layers too */
    int no_recover;             /* --no-recover: skip containers removed with docker rm */
    int no_carve;               /* --no-carve: recover, but do not carve free space */
    int no_types;               /* --no-types: no libmagic type for files (files.magic NULL) */
    int keep_secrets;           /* --keep-secrets: store service-account tokens and
                                   kubeconfigs, not only their hashes and claims */
    const char *command_line;   /* as typed, for case_info */
    husk_progress_fn progress;  /* optional, for long reads */
    void *progress_ctx;
    husk_progress phases;       /* optional: layers, logs, volumes, recovery */
} husk_analyse_opts;

typedef struct husk_analyse_result {
    int ewf_verified;           /* 1 yes, 0 no, -1 not checked */
    husk_image_hashes hashes;   /* when verify */
    unsigned problems;          /* reports recorded in the errors table */
} husk_analyse_result;

/* Runs the analysis of the evidence at path into db (created by the caller). Problems with
 * parts of the evidence are recorded and the rest goes on; an error return means the
 * evidence could not be opened or the case database could not be written. */
int husk_analyse(const char *path, const husk_analyse_opts *o, husk_casedb *db,
                 husk_diag *diag, husk_analyse_result *res, husk_err *err);

#endif
