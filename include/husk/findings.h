/*
 * Findings: escape paths, misconfiguration and compromise indicators (formats.md section 9),
 * judged from what the readers already wrote to the case database (containers, mounts, files)
 * and from a bounded walk of the host's persistence locations on the node's root file system.
 *
 * The rules are one table (src/analysis/findings.c): a stable rule id, a severity, a title
 * and a check. Each finding carries one line of evidence saying what was seen where, and a
 * path when one applies. Rules are heuristics for an examiner, not verdicts: the evidence line
 * is there so that every finding can be checked by hand.
 *
 * The pure helpers below (capability names, host-path sensitivity, running windows, times)
 * are exported for the unit tests; nothing else needs them.
 */
#ifndef HUSK_FINDINGS_H
#define HUSK_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "husk/casedb.h"
#include "husk/diag.h"
#include "husk/err.h"
#include "husk/node.h"

/*
 * Runs every rule. Call it after every data root has been read, inside the analysis
 * transaction: it reads the containers, mounts and files rows written so far through the same
 * connection, adds files rows (scope 'host') for the host persistence locations it examines,
 * and writes the findings. Unreadable evidence goes to diag; an error return means the case
 * database could not be read or written.
 */
int husk_findings_run(husk_casedb *db, husk_node *node, husk_diag *diag, husk_err *err);

/* Number of rules in the table, and rule i's id and severity (for listings and tests). */
size_t husk_findings_rule_count(void);
const char *husk_findings_rule_id(size_t i);
const char *husk_findings_rule_severity(size_t i);

/* 0 critical .. 4 info; 5 for anything else (sorts last). */
int husk_severity_rank(const char *severity);

/*
 * Capability names as Docker accepts them: "SYS_ADMIN", "CAP_SYS_ADMIN", "cap_sys_admin" and
 * " sys_admin " are one capability. Writes the canonical form (upper case, without "CAP_")
 * into out; returns 0, or -1 when s is empty, too long or holds characters no capability name
 * has.
 */
int husk_cap_normalise(const char *s, char *out, size_t n);

/*
 * Lexically cleans an absolute path: collapses "//", drops "." and trailing "/", resolves ".."
 * without leaving "/". Returns 0, or -1 for a relative, empty or too long path.
 */
int husk_path_clean(const char *in, char *out, size_t n);
/* 1 when path equals dir or lies below it ("/" holds every path). Both must be clean. */
int husk_path_under(const char *path, const char *dir);

/* What a bind-mount source on the host gives the container. */
typedef enum husk_mount_kind {
    HUSK_MNT_NONE = 0,
    HUSK_MNT_HOST_ROOT,       /* "/" */
    HUSK_MNT_DOCKER_SOCK,     /* docker.sock, or the directory that holds it */
    HUSK_MNT_CONTAINERD_SOCK, /* containerd.sock, or /run/containerd */
    HUSK_MNT_CRIO_SOCK,       /* crio.sock */
    HUSK_MNT_SENSITIVE,       /* /etc, /proc, /var/lib/docker, ... */
} husk_mount_kind;

/*
 * Classifies a host path used as a bind-mount source. *what (may be NULL) receives the
 * sensitive location matched ("/etc", "/var/lib/kubelet", ...) for HUSK_MNT_SENSITIVE, or the
 * socket path for the socket kinds.
 */
husk_mount_kind husk_mount_classify(const char *source, const char **what);
/* 1 when a host device path gives raw access to disks or memory (/dev/sd..., /dev/nvme...,
 * /dev/mapper/..., /dev/mem, /dev/kmsg, ...). */
int husk_dev_is_raw(const char *path);

/*
 * Times of the case database ("2026-11-30T02:08:13.675477719Z", UTC, as the readers store
 * them; fewer fraction digits are accepted) as nanoseconds since the epoch. Returns 0 or -1.
 */
int husk_time_parse_ns(const char *s, int64_t *ns);
/* Formats nanoseconds since the epoch in the case database's form (buf >= 31 bytes). */
void husk_time_format_ns(int64_t ns, char *buf, size_t n);

/*
 * When a container could have run, from its row: [start, end], end open ("until the image
 * was taken") when the container is running, paused or restarting, or has no finish time.
 *
 * Docker records StartedAt only after the runtime has started the process, and FinishedAt is
 * the runtime's exit time, so a short-lived container's FinishedAt can precede its StartedAt
 * (seen on the test images) and its first writes can precede StartedAt: the window is widened
 * by HUSK_WINDOW_SLACK_NS on both sides and an end before the start is taken as the start.
 * A container that restarted (restart_count > 0) also ran before its last StartedAt: its
 * window starts at created. A container never started has no window (valid = 0).
 */
#define HUSK_WINDOW_SLACK_NS 1000000000LL

typedef struct husk_window {
    int valid;
    int64_t start_ns, end_ns; /* end_ns is INT64_MAX when open */
    int open_end;
} husk_window;

void husk_window_of(const char *created, const char *started_at, const char *finished_at,
                    const char *state, int64_t restart_count, husk_window *w);
int husk_window_contains(const husk_window *w, int64_t t_ns);

#endif
