#!/bin/bash
# Build a large, realistic Docker node image for husk's benchmark (make bench, issue 9).
#
#   scripts/make-bignode.sh [OUTDIR]        (root; default OUTDIR /var/tmp/husk-bench)
#   SCALE=0.25 scripts/make-bignode.sh      one scale (default 1)
#   SCALE="0.25 0.5 1" scripts/make-bignode.sh   several, one after the other
#
# Output (never in the repository; regenerate it): OUTDIR/scale-<S>/disk.raw (GPT, ext4 node
# root at 1 MiB), disk.E01 (ewfacquire, deflate fast), truth/ (Docker's own listings and the
# counts the node was built with). At SCALE=1: 32 images of 4 to 13 layers (legacy builder,
# FROM chains), 300 containers of which a third were removed with docker rm, ~80,000 upper-layer
# files, ~1.3 million json-file log lines (rotated and gzip-compressed by dockerd), 20 named
# volumes, on a 3 GiB disk whose free space holds an earlier life's data. Everything scales
# linearly with SCALE (the disk too), so 0.25, 0.5 and 1 measure growth.
#
# Made like the test images (scripts/testimg/lib.sh, docs in /work/shared/docs/testdata.md):
# a real dockerd 20.10 chrooted in a loop-mounted ext4 node root, imaged with fsfreeze while
# the engine and some containers still run.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUTBASE=$(realpath -m "${1:-/var/tmp/husk-bench}")
SCALE=${SCALE:-1}
case $OUTBASE in "$REPO"|"$REPO"/*) echo "$0: OUTDIR must be outside the repository" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (loop devices, mounts, dockerd)" >&2; exit 1; }

if [ "$(wc -w <<<"$SCALE")" -gt 1 ]; then
    for s in $SCALE; do SCALE=$s "$0" "$OUTBASE"; done
    exit 0
fi
awk -v s="$SCALE" 'BEGIN { exit !(s > 0 && s <= 4) }' || { echo "$0: SCALE must be in (0, 4]" >&2; exit 2; }

if [ -z "${HUSK_MK_NS:-}" ]; then
    for c in dockerd containerd runc docker-init sfdisk mkfs.ext4 ewfacquire busybox fsfreeze unshare jq; do
        command -v "$c" >/dev/null || { echo "$0: missing tool: $c (scripts/install-deps.sh)" >&2; exit 1; }
    done
    export HUSK_MK_NS=1
    exec unshare -m --propagation private "$0" "$@"
fi

# shellcheck source=testimg/lib.sh
. "$REPO/scripts/testimg/lib.sh"

sc() { awk -v s="$SCALE" -v n="$1" -v m="${2:-1}" 'BEGIN { v = int(n * s + 0.5); if (v < m) v = m; print v }'; }
N_IMG=$(sc 32 4)          # images (chains of 4: each FROM the previous one)
N_CONT=$(sc 300 12)       # containers
N_VOL=$(sc 20 2)          # named volumes
DISK_MIB=$(sc 3072 512)   # the disk grows with the node: carving time must scale with it
JUNK_MIB=$((DISK_MIB / 4)) # earlier data, deleted before Docker was installed
HEAVY_FILES=2000          # files in a heavy container's upper layer
LOG_LINES=60000           # lines of a logger container (all kept: max-size 2m, max-file 5)
PAR=${PAR:-4}             # docker commands at once

OUT="$OUTBASE/scale-$SCALE"
T="$OUT/truth"
NODE_HOSTNAME=worker-big-01
PART_START=2048
PART_SECTORS=$(((DISK_MIB - 2) * 2048))
PART_OFF=$((PART_START * 512))
PART_LEN=$((PART_SECTORS * 512))
START=$(date +%s)

make_workdir
rm -rf "$OUT"; mkdir -p "$T"
log "scale $SCALE: $N_IMG images, $N_CONT containers, $N_VOL volumes, ${DISK_MIB} MiB disk -> $OUT"

DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
sfdisk -q "$DISK" <<EOF
label: gpt
start=$PART_START, size=$PART_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="node-root"
EOF
loop_attach "$DISK" "$PART_OFF" "$PART_LEN"; LOOP=$LOOPDEV
mkfs.ext4 -q -T default -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NODE_HOSTNAME" "$FS_UUID" ext4 "/dev/nvme0n1p1"
# an earlier life of the disk: data written and deleted before Docker came, so that free space
# is not all zeros (a carver must read it like any other unallocated block)
log "earlier data in free space (${JUNK_MIB} MiB)"
mkdir -p "$M/var/tmp/restore"
head -c $((JUNK_MIB * 1024 * 1024 / 2)) /dev/urandom >"$M/var/tmp/restore/backup.bin"
{ yes 'Mar 01 03:00:01 worker-big-01 backup[811]: copied block group to s3://ops-backups/worker-big-01 (ok)' || true; } |
    head -c $((JUNK_MIB * 1024 * 1024 / 2)) >"$M/var/tmp/restore/backup.log"
sync; rm -rf "$M/var/tmp/restore"; sync
cat >"$M/etc/docker/daemon.json" <<'EOF'
{
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  },
  "live-restore": false
}
EOF
age_host
dockerd_start

# ---------------------------------------------------------------------------------------------
# bounded parallelism; a failed job is counted, the builder checks the totals afterwards
# (own list of PIDs: the dockerd namespace is a background job of this shell too)
BG=()
bg_reap() {
    local p live=()
    for p in "${BG[@]}"; do
        if kill -0 "$p" 2>/dev/null; then live+=("$p"); else wait "$p" || true; fi
    done
    BG=("${live[@]}")
}
bg() {
    bg_reap
    while [ "${#BG[@]}" -ge "$PAR" ]; do sleep 0.1; bg_reap; done
    ( trap - EXIT INT TERM; "$@" ) &
    BG+=($!)
}
bg_wait() { local p; for p in "${BG[@]}"; do wait "$p" || true; done; BG=(); }

log "images"
make_base_tar "$W/base.tar"
docker import -m "husk base image (busybox-static)" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' "$W/base.tar" husk/base:1.0 >/dev/null

build_image() { # k  (FROM the previous image of its chain of 4)
    local k=$1
    local from=husk/base:1.0 ctx="$W/img-$1" nf=$((120 + (k * 37) % 160))
    [ $((k % 4)) -ne 0 ] && from="bench/app$((k - 1)):1.$((k - 1))"
    mkdir -p "$ctx/conf"
    printf 'service=app%d\nport=%d\nworkers=%d\n' "$k" $((8000 + k)) $((k % 8 + 1)) >"$ctx/conf/app.conf"
    printf '#!/bin/sh\necho "app%d starting"\nexec "$@"\n' "$k" >"$ctx/entry.sh"
    cat >"$ctx/Dockerfile" <<EOF
FROM $from
LABEL org.opencontainers.image.title="app$k" bench.chain="$((k / 4))"
ENV APP$k=on APP_HOME=/opt/app$k
RUN mkdir -p /opt/app$k/lib /opt/app$k/static && i=0 && while [ \$i -lt $nf ]; do \\
      printf 'module %d of app$k\\nexport const v = %d;\\n' \$i \$((i * 7)) > /opt/app$k/lib/mod\$i.js; \\
      i=\$((i + 1)); done && head -c $((20000 + k * 1000)) /dev/urandom > /opt/app$k/static/blob.bin
COPY conf/ /etc/app$k/
COPY entry.sh /usr/local/bin/entry$k.sh
RUN chmod 0755 /usr/local/bin/entry$k.sh && rm -f /opt/legacy/legacy.conf /etc/motd \\
 && echo "app$k:x:$((2000 + k)):$((2000 + k))::/opt/app$k:/bin/false" >> /etc/passwd \\
 && mkdir -p /var/cache/app$k && i=0 && while [ \$i -lt 40 ]; do echo "cache \$i" > /var/cache/app$k/c\$i; i=\$((i + 1)); done
WORKDIR /opt/app$k
CMD ["/bin/sh"]
EOF
    find "$ctx" -exec touch -h -d '2025-02-01 12:00:00 UTC' {} +
    docker build -q -t "bench/app$k:1.$k" "$ctx" >/dev/null
}
build_chain() { local c=$1 k; for ((k = c * 4; k < c * 4 + 4 && k < N_IMG; k++)); do build_image "$k"; done; }
for ((c = 0; c * 4 < N_IMG; c++)); do bg build_chain "$c"; done
bg_wait
[ "$(docker images -q 'bench/*' | wc -l)" -eq "$N_IMG" ] || die "only $(docker images -q 'bench/*' | wc -l) of $N_IMG images built"

log "volumes"
for ((v = 0; v < N_VOL; v++)); do docker volume create --label tier=data --label idx=$v "vol$v" >/dev/null; done

# ---------------------------------------------------------------------------------------------
# container kinds (by index i):
#   i % 10 == 0            heavy: 2,000 files in its upper layer, deletes image files
#   i % 15 == 1            logger: 60,000 json-file lines, rotated and compressed
#   i % 10 == 5            still running when the node is imaged
#   i % 25 == 3            created, never started
#   otherwise              ordinary: 40-100 files, a few hundred log lines, exits 0/1/2
#   i % 20 == 7            also writes to a named volume
# A third (i % 3 == 2, not running, not loggers) are removed with docker rm before imaging.
read -r -d '' HEAVY_SH <<'EOF' || true
echo "heavy $C: unpacking release"
d=0; while [ $d -lt 40 ]; do mkdir -p /srv/data/part$d; d=$((d + 1)); done
i=0
while [ $i -lt $NF ]; do
  if [ $((i % 10)) -eq 0 ]; then head -c 16384 /dev/urandom > /srv/data/part$((i % 40))/blob$i.bin
  else printf 'record %d of %s\nchecksum=%08x\n' $i "$C" $((i * 2654435761 % 4294967296)) > /srv/data/part$((i % 40))/rec$i.txt; fi
  i=$((i + 1))
done
rm -rf /opt/legacy; rm -f /etc/os-release; echo "heavy $C: patched" >> /etc/issue
echo "heavy $C: wrote $NF files"
echo "heavy $C: warning: disk usage high" >&2
EOF
read -r -d '' LOGGER_SH <<'EOF' || true
echo "logger $C: starting"
awk -v n=$NL -v c="$C" 'BEGIN { for (i = 1; i <= n; i++) {
  printf "%s 10.%d.%d.%d - - \"GET /api/v1/items/%d HTTP/1.1\" %d %d req=%07d\n", c, i % 250, (i / 7) % 250, i % 13, i % 9973, (i % 97 ? 200 : 503), (i * 31) % 65536, i;
  if (i % 5000 == 0) printf "%s error: upstream slow at request %d\n", c, i > "/dev/stderr" } }'
mkdir -p /var/log/app; echo "logger $C done" > /var/log/app/last-run
echo "logger $C: done"
EOF
read -r -d '' ORD_SH <<'EOF' || true
echo "task $C: start (APP_ENV=$APP_ENV)"
mkdir -p /work/out /tmp/cache
i=0
while [ $i -lt $NF ]; do printf '%s,%d,%d\n' "$C" $i $((i * i % 1009)) > /work/out/part$i.csv; i=$((i + 1)); done
[ -d /data ] && { i=0; while [ $i -lt 100 ]; do echo "vol $C row $i" > /data/$C-$i.txt; i=$((i + 1)); done; }
echo "token=$C-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" > /root/.token
awk -v n=$NL -v c="$C" 'BEGIN { for (i = 1; i <= n; i++) printf "task %s step %d ok\n", c, i }'
echo "task $C: warning: retry budget low" >&2
echo "task $C: ready"
[ "$RUN" = 1 ] && exec sleep 86400
exit $((NF % 3))
EOF

run_container() { # i
    local i=$1 c img vol=() lo=() sh env=()
    c=$(printf 'c%04d' "$i")
    img="bench/app$((i % N_IMG)):1.$((i % N_IMG))"
    [ $((i % 20)) -eq 7 ] && vol=(-v "vol$((i % N_VOL)):/data")
    if [ $((i % 25)) -eq 3 ]; then
        docker create --name "$c" --network none --label bench.kind=created "${vol[@]}" "$img" /bin/sh >/dev/null
        return 0
    fi
    if [ $((i % 10)) -eq 0 ]; then
        sh=$HEAVY_SH; env=(-e "NF=$HEAVY_FILES")
    elif [ $((i % 15)) -eq 1 ]; then
        sh=$LOGGER_SH; env=(-e "NL=$LOG_LINES")
        lo=(--log-opt max-size=2m --log-opt max-file=5 --log-opt compress=true)
    else
        local run=0
        [ $((i % 10)) -eq 5 ] && run=1
        sh=$ORD_SH; env=(-e "NF=$((40 + (i * 13) % 61))" -e "NL=$((100 + (i * 17) % 400))" -e "RUN=$run")
    fi
    docker run -d --name "$c" --hostname "$c" --network none --label bench.idx="$i" \
        -e C="$c" -e APP_ENV=production "${env[@]}" "${lo[@]}" "${vol[@]}" "$img" /bin/sh -c "$sh" >/dev/null
}

log "containers ($N_CONT, $PAR at a time)"
for ((i = 0; i < N_CONT; i++)); do bg run_container "$i"; done
bg_wait
[ "$(docker ps -aq | wc -l)" -eq "$N_CONT" ] || die "only $(docker ps -aq | wc -l) of $N_CONT containers"
log "waiting for the containers to finish their work"
for ((i = 0; i < N_CONT; i++)); do
    c=$(printf 'c%04d' "$i")
    if [ $((i % 10)) -eq 5 ] && [ $((i % 25)) -ne 3 ]; then
        wait_log "$c" "task $c: ready" 300
    elif [ $((i % 25)) -ne 3 ]; then
        docker wait "$c" >/dev/null
    fi
done
sync; sleep 1

log "docker rm of a third"
RM=()
for ((i = 0; i < N_CONT; i++)); do
    if [ $((i % 3)) -eq 2 ] && [ $((i % 10)) -ne 5 ] && [ $((i % 15)) -ne 1 ]; then RM+=("$(printf 'c%04d' "$i")"); fi
done
docker ps -a --no-trunc --format '{{.ID}}\t{{.Names}}' | sort -k2 >"$T/all-containers.tsv"
printf '%s\n' "${RM[@]}" >"$T/removed-names.txt"
docker rm "${RM[@]}" >/dev/null
sync; sleep 1
# activity after the removals reuses part of the freed blocks, as on a live node
for ((i = 0; i < N_CONT / 30 + 1; i++)); do
    c=$(printf 'late%03d' "$i")
    bg docker run --name "$c" --network none -e C="$c" -e NF=30 -e NL=200 -e RUN=0 husk/base:1.0 /bin/sh -c "$ORD_SH"
done
bg_wait

# ---------------------------------------------------------------------------------------------
log "ground truth"
docker ps -a --no-trunc >"$T/ps.txt"
docker images -a --no-trunc >"$T/images.txt"
# shellcheck disable=SC2046
docker inspect $(docker ps -aq) >"$T/inspect.json"
docker volume ls >"$T/volumes.txt"
UPPER_FILES=0
for id in $(docker ps -aq --no-trunc); do
    mid=$(cat "$M/var/lib/docker/image/overlay2/layerdb/mounts/$id/mount-id")
    n=$(find "$M/var/lib/docker/overlay2/$mid/diff" -mindepth 1 | wc -l)
    UPPER_FILES=$((UPPER_FILES + n))
done
LOG_FILES=$(find "$M/var/lib/docker/containers" -name '*-json.log*' | wc -l)
LOG_GZ=$(find "$M/var/lib/docker/containers" -name '*-json.log.*.gz' | wc -l)
LOG_LINES_ON_DISK=$(find "$M/var/lib/docker/containers" -name '*-json.log*' -print0 | xargs -0 zcat -f | wc -l)
{
    printf 'key\tvalue\n'
    printf 'scale\t%s\n' "$SCALE"
    printf 'images\t%s\n' "$(docker images -q 'bench/*' | wc -l)"
    printf 'image_layers_total\t%s\n' "$(ls "$M/var/lib/docker/image/overlay2/layerdb/sha256" | wc -l)"
    printf 'containers_on_disk\t%s\n' "$(docker ps -aq | wc -l)"
    printf 'containers_running\t%s\n' "$(docker ps -q | wc -l)"
    printf 'containers_removed\t%s\n' "${#RM[@]}"
    printf 'volumes\t%s\n' "$(docker volume ls -q | wc -l)"
    printf 'upper_entries\t%s\n' "$UPPER_FILES"
    printf 'json_log_files\t%s\n' "$LOG_FILES"
    printf 'json_log_files_gz\t%s\n' "$LOG_GZ"
    printf 'json_log_lines\t%s\n' "$LOG_LINES_ON_DISK"
    printf 'disk_mib\t%s\n' "$DISK_MIB"
    printf 'partition_offset_sectors\t%s\n' "$PART_START"
    df -B1 --output=used,iused "$M" | awk 'NR == 2 { printf "fs_used_bytes\t%s\nfs_used_inodes\t%s\n", $1, $2 }'
} >"$T/counts.tsv"
cat "$T/counts.tsv" >&2

log "snapshot (fsfreeze + copy while dockerd runs)"
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
# not sparse: every block of the disk is read by the floors as by husk
cp --sparse=never "$DISK" "$OUT/disk.raw"
thaw_node
dockerd_stop
unmount_node
loop_detach "$LOOP"

log "E01"
ewfacquire -u -q -t "$OUT/disk" -f encase6 -c fast -d sha1 -b 64 -m fixed -M physical \
    -C "HUSK-BENCH" -D "husk benchmark node, scale $SCALE" -e "husk make-bignode.sh" \
    -E "bignode-$SCALE" -N "regenerate with scripts/make-bignode.sh" "$OUT/disk.raw" >"$W/ewfacquire.log" 2>&1 ||
    { cat "$W/ewfacquire.log" >&2; die "ewfacquire failed"; }
(cd "$OUT" && md5sum disk.raw >disk.md5)
printf 'build_seconds\t%s\n' $(($(date +%s) - START)) >>"$T/counts.tsv"
log "done in $(($(date +%s) - START)) s: $(du -sh "$OUT" | cut -f1) in $OUT"
