#!/bin/bash
# Build test image "e": a CRASH-CONSISTENT copy of a Docker node. GPT disk, one ext4 partition
# at 1 MiB holding the node root, a real dockerd 20.10 running, containers created and writing
# files and logs, then the disk is copied WITHOUT sync or fsfreeze while the engine runs.
# The copy has needs_recovery set and committed transactions in the jbd2 journal that never
# reached their home blocks: what a hypervisor snapshot of a running VM or a crash leaves.
#
# Ground truth: the listing of Docker's data root after e2fsck replayed the journal on a second
# copy (truth/replayed-listing.txt) and as The Sleuth Kit reads the unreplayed copy
# (truth/home-listing.txt), plus Docker's own ps/inspect/logs as for the other images.
#
# usage: node-e.sh OUTDIR        (e.g. testdata/node-e-crash; needs root, like make-testimages.sh:
#        unshare -m --propagation private bash scripts/testimg/node-e.sh testdata/node-e-crash)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-e
NODE_HOSTNAME=$NAME
DISK_MIB=200
PART_START=2048                           # sectors (1 MiB)
PART_SECTORS=$(((DISK_MIB - 2) * 2048))   # leaves room for the backup GPT
PART_OFF=$((PART_START * 512))
PART_LEN=$((PART_SECTORS * 512))
# seconds to wait after the last Docker-level changes so that the kernel commits them to the
# journal (ext4's default commit interval is 5 s); far below the 30 s after which writeback
# puts the journaled metadata in its home blocks
COMMIT_WAIT=${COMMIT_WAIT:-7}
# seconds between late's writes and the last changes: its file data and log lines are written
# back (and their blocks allocated) after 30 s, the allocation is committed a few seconds later
# and stays in the journal for about 30 s more (see phase 2b)
LATE_SETTLE=${LATE_SETTLE:-45}

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, GPT, ext4 partition at $PART_OFF"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
sfdisk -q "$DISK" <<EOF
label: gpt
start=$PART_START, size=$PART_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="node-root"
EOF
loop_attach "$DISK" "$PART_OFF" "$PART_LEN"; LOOP=$LOOPDEV
# Debian 12 mke2fs defaults (metadata_csum, 64bit: a journal with csum-v3 tags); "-T default"
# keeps 4 KiB blocks on a small file system (see node-a.sh)
mkfs.ext4 -q -T default -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NAME" "$FS_UUID" ext4 "/dev/vda1"
cat >"$M/etc/docker/daemon.json" <<'EOF'
{
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "2"
  }
}
EOF
age_host
dockerd_start
ENGINE_VERSION=$(docker version -f '{{.Server.Version}}')
CLI_VERSION=$(docker version -f '{{.Client.Version}}')

log "image"
make_base_tar "$W/base.tar"
docker import -m "husk base image (busybox-static)" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' "$W/base.tar" husk/base:1.0 >/dev/null
sleep 1

# ---------------------------------------------------------------------------------------------
# Phase 1: the node's past. Everything here reaches its home blocks (sync), as it would on a
# node that ran for a while: the journal still holds it, but replaying it changes nothing.
log "phase 1: older containers (api running, job exited)"
read -r -d '' API_SH <<'EOF' || true
echo "api: service starting"
mkdir -p /srv/api
i=1
while [ $i -le 40 ]; do echo "api: request $i served"; i=$((i + 1)); done
printf 'mode=primary\n' > /srv/api/state
echo "api: ready"
exec sleep 86400
EOF
docker run -d --name api --network none --label app=api husk/base:1.0 /bin/sh -c "$API_SH" >/dev/null
wait_log api "api: ready" 30
docker run --name job --network none --label app=job husk/base:1.0 /bin/sh -c \
    'echo "job: nightly export"; mkdir -p /out; seq 1 500 > /out/export.csv; echo "job: done"' >/dev/null 2>&1
sync
sleep 2
sync

# ---------------------------------------------------------------------------------------------
# Phase 2: the last seconds before the crash. New containers, their files and logs; Docker
# fsyncs its config files (so the kernel commits them at once), the containers' own writes are
# committed by the periodic commit. None of it may be written home before the copy.
# Found while making this image: every overlay unmount (a container exiting, and `docker
# create`, which mounts the new root once to prepare it) makes overlayfs sync the upper file
# system, i.e. this ext4, which writes every journaled block home. So all creates and exits
# come first, and the last phase only starts containers (a mount, no sync).
log "phase 2a: containers created (and one run to its exit): each of these syncs the fs"
docker create --name fresh --network none --label phase=2 -e MODE=standby husk/base:1.0 \
    /bin/sh -c 'echo standby; sleep 3600' >/dev/null
docker run --name burst --network none --label phase=2 husk/base:1.0 /bin/sh -c \
    'echo "burst: one-shot"; echo HUSK-E-BURST > /burst.txt; echo "burst: exit 4" >&2; exit 4' \
    >/dev/null 2>&1 || true
read -r -d '' LATE_SH <<'EOF' || true
echo "late: deploying release 7"
mkdir -p /app/releases/7 /app/cache
i=1
while [ $i -le 120 ]; do
  printf 'HUSK-E-LATE asset %03d\n' $i > /app/releases/7/asset-$i.txt
  i=$((i + 1))
done
printf 'release=7\nchannel=stable\n' > /app/current
ln -s /app/releases/7 /app/live
i=1
while [ $i -le 60 ]; do echo "late: warmed cache entry $i"; i=$((i + 1)); done
echo "late: error: health check endpoint slow" >&2
echo "late: ready"
exec sleep 86400
EOF
docker create --name late --network none --label app=late --label phase=2 husk/base:1.0 \
    /bin/sh -c "$LATE_SH" >/dev/null
# a container that keeps writing through the copy: its last lines are lost in the crash
docker create --name ticker --network none --label phase=2 husk/base:1.0 /bin/sh -c \
    'i=1; while :; do echo "ticker: tick $i"; echo $i > /tmp/tick; i=$((i + 1)); sleep 0.5; done' \
    >/dev/null
docker create --name lastsecond --network none --label phase=3 husk/base:1.0 /bin/sh -c \
    'echo "lastsecond: started"; exec sleep 86400' >/dev/null
sleep 1

log "phase 2b: late starts and writes files and logs (no sync from here on)"
# ext4's delayed allocation gives late's new files and its log lines blocks only when
# writeback runs, about 30 s after the writes; the kernel then commits the new sizes and
# extents, and those committed blocks reach home only some 30 s later. A copy taken in
# between holds late's data on disk but its sizes only in the journal.
PHASE2_START=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
docker start late >/dev/null
wait_log late "late: ready" 30
log "waiting ${LATE_SETTLE}s for late's writeback (no sync)"
sleep "$LATE_SETTLE"
log "phase 2c: ticker starts (its configs are committed by Docker's fsyncs, not written home)"
docker start ticker >/dev/null
log "waiting ${COMMIT_WAIT}s for the journal commit (no sync)"
sleep "$COMMIT_WAIT"
# the very last change, a fraction of a second before the copy (committed only as far as
# Docker's own fsyncs went)
docker start lastsecond >/dev/null
sleep 0.5

# ---------------------------------------------------------------------------------------------
log "crash-consistent copy: no sync, no fsfreeze, the engine and containers running"
date -u +%Y-%m-%dT%H:%M:%S.%NZ >"$T/imaging-time.txt"
cp --sparse=always "$DISK" "$W/crash.raw"
log "copy taken"

log "ground truth (Docker's own view, right after the copy)"
CTRS=(api job late burst fresh ticker lastsecond)
declare -A CID
for n in "${CTRS[@]}"; do
    capture_container "$n"
    record_container "$n" "$(cid "$n")" "$(docker inspect -f '{{.State.Status}}' "$n")" no ""
    CID[$n]=$(cid "$n")
done
capture_ps
capture_images
capture_volumes
capture_engine_info
{
    printf 'phase2_start\t%s\n' "$PHASE2_START"
    printf 'copy_time\t%s\n' "$(cat "$T/imaging-time.txt")"
    for n in "${CTRS[@]}"; do printf '%s.upper\t%s\n' "$n" "$(upper_of "$n")"; done
} >"$T/paths.tsv"
dockerd_stop
unmount_node
loop_detach "$LOOP"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
log "journal state of the copy"
loop_attach "$W/crash.raw" "$PART_OFF" "$PART_LEN" ro; CL=$LOOPDEV
dumpe2fs -h "$CL" >"$W/dumpe2fs.txt" 2>/dev/null
grep -q '^Filesystem features:.*needs_recovery' "$W/dumpe2fs.txt" ||
    die "the copy has no needs_recovery flag: the journal is clean (copy closer to the changes)"
debugfs -R logdump "$CL" >"$T/journal-logdump.txt" 2>/dev/null
JSTART=$(sed -n 's/^Journal start: *//p' "$W/dumpe2fs.txt")
JSEQ=$(sed -n 's/^Journal sequence: *//p' "$W/dumpe2fs.txt")
NCOMMIT=$(grep -c 'type 2 (commit block)' "$T/journal-logdump.txt" || true)
[ "${JSTART:-0}" != 0 ] && [ "$NCOMMIT" -ge 1 ] ||
    die "no committed transaction past the journal start (start $JSTART, $NCOMMIT commits)"
loop_detach "$CL"

# home view: the copy as The Sleuth Kit reads it (no replay)
listing() { # image-or-device out-raw out-tsv
    local ino
    ino=$(ifind -n /var/lib/docker "$1")
    fls -r -p -l -u "$1" "$ino" >"$2"
    # type inode size path, one line each, Docker's data root prefixed
    awk -F'\t' '{
        split($1, a, " "); t = substr(a[1], 3, 1); ino = a[2]; sub(/:$/, "", ino)
        m["r"] = "file"; m["d"] = "dir"; m["l"] = "symlink"; m["c"] = "char"; m["b"] = "block"
        m["p"] = "fifo"; m["s"] = "socket"
        printf "%s\t%s\t%s\t/var/lib/docker/%s\n", (t in m ? m[t] : "unknown"), ino, $7, $2
    }' "$2" | sort -t$'\t' -k4,4 >"$3"
}
loop_attach "$W/crash.raw" "$PART_OFF" "$PART_LEN" ro; CL=$LOOPDEV
listing "$CL" "$W/home-fls.txt" "$T/home-listing.txt"
loop_detach "$CL"

log "reference: e2fsck replays the journal on a second copy"
cp --sparse=always "$W/crash.raw" "$W/replayed.raw"
loop_attach "$W/replayed.raw" "$PART_OFF" "$PART_LEN"; RL=$LOOPDEV
{
    echo "# e2fsck -E journal_only -y (replay only, no other repair)"
    e2fsck -E journal_only -y "$RL" 2>&1 || true
} >"$T/e2fsck-replay.txt"
listing "$RL" "$W/replayed-fls.txt" "$T/replayed-listing.txt"
{
    echo "# e2fsck -fy after the replay (what a full check would still fix)"
    e2fsck -fy "$RL" 2>&1 || true
} >>"$T/e2fsck-replay.txt"
listing "$RL" "$W/replayed-fy-fls.txt" "$W/replayed-fy-listing.txt"
cmp -s "$T/replayed-listing.txt" "$W/replayed-fy-listing.txt" ||
    die "e2fsck -fy changed the replayed listing of /var/lib/docker"
# and as the kernel sees the replayed copy
mkdir -p "$W/chk"
mount -o ro,noload "$RL" "$W/chk"
push_cleanup "umount $W/chk 2>/dev/null"
(cd "$W/chk/var/lib/docker" && find . -mindepth 1 -printf '%y\t%i\t%s\t/var/lib/docker/%P\n') |
    awk -F'\t' '{ m["f"]="file"; m["d"]="dir"; m["l"]="symlink"; m["c"]="char"; m["b"]="block";
                  m["p"]="fifo"; m["s"]="socket"; $1 = m[$1]; print }' OFS='\t' |
    sort -t$'\t' -k4,4 >"$W/replayed-kernel-listing.txt"
umount "$W/chk"
loop_detach "$RL"
cmp -s "$T/replayed-listing.txt" "$W/replayed-kernel-listing.txt" ||
    die "fls and the kernel disagree about the replayed copy"

NDIFF=$(diff "$T/home-listing.txt" "$T/replayed-listing.txt" | grep -c '^[<>]' || true)
[ "$NDIFF" -gt 0 ] || die "the replayed and the home listing are the same: nothing was left in the journal"
LATE_UP=$(awk -F'\t' '$1 == "late.upper" {print $2}' "$T/paths.tsv")
LATE_LOG=/var/lib/docker/containers/${CID[late]}/${CID[late]}-json.log
n_empty=$(awk -F'\t' -v d="$LATE_UP/app/releases/7/" 'index($4, d) == 1 && $3 == 0' "$T/home-listing.txt" | wc -l)
log_home=$(awk -F'\t' -v p="$LATE_LOG" '$4 == p {print $3}' "$T/home-listing.txt")
log_repl=$(awk -F'\t' -v p="$LATE_LOG" '$4 == p {print $3}' "$T/replayed-listing.txt")
{
    printf 'journal_start\t%s\n' "$JSTART"
    printf 'journal_sequence\t%s\n' "$JSEQ"
    printf 'logdump_commit_blocks\t%s\n' "$NCOMMIT"
    printf 'listing_lines_home\t%s\n' "$(wc -l <"$T/home-listing.txt")"
    printf 'listing_lines_replayed\t%s\n' "$(wc -l <"$T/replayed-listing.txt")"
    printf 'listing_lines_differing\t%s\n' "$NDIFF"
    printf 'late_assets_home_empty\t%s\n' "$n_empty"
    printf 'late_log_home_bytes\t%s\n' "${log_home:-absent}"
    printf 'late_log_replayed_bytes\t%s\n' "${log_repl:-absent}"
} >"$T/journal.tsv"
[ "${log_repl:-0}" != absent ] && [ "${log_repl:-0}" -gt "${log_home:-0}" ] ||
    die "late's log lines are not in the journal only (home $log_home, replayed $log_repl bytes): tune LATE_SETTLE"
log "journal: start $JSTART, sequence $JSEQ, $NCOMMIT commit blocks; listings differ in $NDIFF lines;" \
    "late: $n_empty empty assets at home, log $log_home -> $log_repl bytes"

# the copy itself: hashes, xz, layout
finish_disk_common "$W/crash.raw"
layout_common "$W/crash.raw" "$PART_OFF" "$PART_LEN"
{
    echo "fs_offset_bytes=$PART_OFF"
    echo "fs_type=ext4"
    echo "fs_uuid=$FS_UUID"
    echo "fs_label=node-root"
    echo
    echo "# dumpe2fs -h (partition 1 of the crash copy: needs_recovery set)"
    cat "$W/dumpe2fs.txt"
} >>"$T/layout.txt"
. "$HERE/readme-e.sh"
log "node-e done: $(du -sh "$OUT" | cut -f1)"
