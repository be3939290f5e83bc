/*
 * Container-runtime data roots on a file system: Docker (/var/lib/docker, or the data-root of
 * /etc/docker/daemon.json), containerd (/var/lib/containerd), the kubelet (/var/lib/kubelet),
 * CRI pod logs (/var/log/pods), and a file system that is itself a Docker or containerd data
 * root (a partition or LV mounted there on the node), recognised by its top-level layout.
 */
#ifndef HUSK_DATAROOT_H
#define HUSK_DATAROOT_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/vfs.h"

typedef struct husk_data_root {
    char path[512];    /* absolute path on its file system ("/" for a whole-fs data root) */
    char runtime[16];  /* "docker", "containerd", "kubelet", "pod-logs" */
    char driver[96];   /* storage driver(s) found, comma-separated; "" if none applies */
    char how[64];      /* "default path", "daemon.json data-root", "top-level layout" */
    uint64_t inode;    /* the directory's inode */
} husk_data_root;

typedef struct husk_data_roots {
    husk_data_root *v;
    size_t n;
} husk_data_roots;

int husk_find_data_roots(husk_fs *fs, husk_data_roots *out, husk_diag *diag, husk_err *err);
void husk_data_roots_free(husk_data_roots *r);

#endif
