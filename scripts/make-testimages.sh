#!/bin/bash
# Regenerate husk's real Docker node disk images and their ground truth.
#
#   scripts/make-testimages.sh [a|b|c|d|e|f|g|all]  (default: all = a b c d e f g; must run as root)
#
#   a -> testdata/node-a-ext4-gpt/   GPT + ext4, json-file logs, E01 + raw.xz
#   b -> testdata/node-b-xfs-lvm/    MBR + LVM2 + XFS, local logs, raw.xz
#   c -> testdata/node-c-wholedisk/  ext4 on the whole disk (no partition table),
#                                    data-root /srv/docker-data in daemon.json, raw.xz
#   d -> testdata/node-d-split-docker/ GPT: p1 ext4 node root, p2 XFS mounted at
#                                    /var/lib/docker (Docker's data on its own fs), raw.xz
#   e -> testdata/node-e-crash/      GPT + ext4 copied with no sync or freeze while the engine
#                                    ran: needs_recovery, committed transactions in the journal
#   f -> testdata/node-f-containerd-store/ ext4 (whole disk): Docker 26.1 on the containerd image
#                                    store (Debian 13 docker.io + containerd 1.7, unpacked with
#                                    dpkg -x into /var/tmp/husk-trixie, never installed), raw.xz
#   g -> testdata/node-g-k8s-containerd/ ext4 (whole disk): Kubernetes-style containerd 1.6 node,
#                                    pods made through CRI by scripts/testimg/cri/cri.py (needs
#                                    python3-grpcio, python3-grpc-tools), raw.xz
#
# Each image is made by a real dockerd (Debian 12 docker.io 20.10) running chrooted in the
# node's root file system, on this machine's kernel. Needs: docker.io, containerd, runc,
# e2fsprogs, xfsprogs, lvm2, fdisk, ewf-tools, busybox-static, xz-utils, attr, sleuthkit.
# Work files go to /var/tmp/husk-mk.*; only the final outputs are written into the repo.
# Everything runs in a private mount namespace; mounts, loop devices and the daemon
# are removed on exit, also on failure. HUSK_KEEP_WORK=1 keeps the work directory.
set -euo pipefail

what=${1:-all}
case $what in a | b | c | d | e | f | g | all) ;; *) echo "usage: $0 [a|b|c|d|e|f|g|all]" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "$0: must run as root" >&2; exit 1; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
TI="$REPO/scripts/testimg"

if [ -z "${HUSK_MK_NS:-}" ]; then
    for c in dockerd containerd runc docker-init sfdisk mkfs.ext4 mkfs.xfs pvcreate vgcfgrestore \
        ewfacquire ewfverify busybox xz getfattr fsfreeze fls mmls unshare jq; do
        command -v "$c" >/dev/null || { echo "$0: missing tool: $c" >&2; exit 1; }
    done
    export HUSK_MK_NS=1
    exec unshare -m --propagation private "$0" "$@"
fi

start=$(date +%s)
if [ "$what" = a ] || [ "$what" = all ]; then
    bash "$TI/node-a.sh" "$REPO/testdata/node-a-ext4-gpt"
fi
if [ "$what" = b ] || [ "$what" = all ]; then
    bash "$TI/node-b.sh" "$REPO/testdata/node-b-xfs-lvm"
fi
if [ "$what" = c ] || [ "$what" = all ]; then
    bash "$TI/node-c.sh" "$REPO/testdata/node-c-wholedisk"
fi
if [ "$what" = d ] || [ "$what" = all ]; then
    bash "$TI/node-d.sh" "$REPO/testdata/node-d-split-docker"
fi
if [ "$what" = e ] || [ "$what" = all ]; then
    bash "$TI/node-e.sh" "$REPO/testdata/node-e-crash"
fi
if [ "$what" = f ] || [ "$what" = all ]; then
    bash "$TI/node-f.sh" "$REPO/testdata/node-f-containerd-store"
fi
if [ "$what" = g ] || [ "$what" = all ]; then
    bash "$TI/node-g.sh" "$REPO/testdata/node-g-k8s-containerd"
fi
echo "make-testimages: $what done in $(($(date +%s) - start)) s" >&2
