/*
 * A node opened from its evidence: the image, its volumes, the file systems found on them and
 * the container-runtime data roots on each file system. Every command that reads evidence
 * (analyse, and later export, cp, recover) starts here.
 */
#ifndef HUSK_NODE_H
#define HUSK_NODE_H

#include "husk/dataroot.h"
#include "husk/diag.h"
#include "husk/image.h"
#include "husk/vfs.h"
#include "husk/volume.h"

typedef struct husk_open_opts {
    const char *image_type;  /* -i: NULL to detect */
    int64_t sector_offset;   /* -o/--offset: -1 to detect volumes */
    const char *fstype;      /* -f: NULL to detect */
    int no_replay;           /* --no-replay: read the home blocks only, never replay an ext
                                journal that needs recovery (include/husk/replay.h) */
} husk_open_opts;

struct husk_replay;

typedef struct husk_node_fs {
    husk_fs *fs;             /* the view everything reads: the replayed one when the journal
                                was replayed */
    size_t volume;           /* index into node->vols.v */
    husk_data_roots roots;
    husk_fs *home;           /* the home-block view (journal not replayed) when fs is a
                                replayed view, else NULL */
    struct husk_replay *replay; /* the overlay fs is opened on, or NULL */
    char journal[96];        /* filesystems.journal: "clean", "replayed (N transactions, M
                                blocks)", "needs-recovery", "xfs-log-dirty", ... */
    char mount_point[256];   /* where the node mounted it ("/", "/var/lib/docker"), from the
                                root file system's /etc/fstab; "" when unknown */
    struct TSK_IMG_INFO *sbfix; /* the backup-superblock overlay the file systems were opened
                                   on (primary superblock damaged), or NULL */
} husk_node_fs;

typedef struct husk_node {
    husk_image *image;
    husk_volumes vols;
    husk_node_fs *fss;
    size_t nfs;
} husk_node;

/* Opens the evidence and walks it down to data roots. Damage below the image level goes to
 * diag; only an unopenable image fails. */
int husk_node_open(const char *path, const husk_open_opts *o, husk_node **out, husk_diag *diag,
                   husk_err *err);
void husk_node_close(husk_node *n);

#endif
