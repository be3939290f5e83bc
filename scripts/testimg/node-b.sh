#!/bin/bash
# Build test image "b": DOS/MBR disk, one LVM partition (type 8e) at 1 MiB, LVM2 PV, VG "nodevg",
# linear LV "root" (written with vgcfgbackup + edit + vgcfgrestore: no device-mapper here), and an
# XFS root file system in the LV, holding a Docker node made by a real dockerd 20.10 (overlay2,
# "local" log driver by default).
#
# usage: node-b.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-b
NODE_HOSTNAME=$NAME
PART_START=2048                              # sectors (1 MiB)
PART_MIB=322                                 # PV: 1 MiB metadata area + 80 extents of 4 MiB
DISK_MIB=$((PART_MIB + 2))
PART_SECTORS=$((PART_MIB * 2048))
PART_OFF=$((PART_START * 512))
PART_LEN=$((PART_SECTORS * 512))
LV_EXTENTS=80                                # 320 MiB: mkfs.xfs (6.1) needs >= 300 MB

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"
: >"$T/files.sha256"; : >"$T/removed-files.sha256"

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, MBR, LVM partition at $PART_OFF"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
sfdisk -q "$DISK" <<EOF
label: dos
start=$PART_START, size=$PART_SECTORS, type=8e
EOF

loop_attach "$DISK" "$PART_OFF" "$PART_LEN"; PV=$LOOPDEV
lvmcfg_for() { # restrict LVM to one device (never scan this machine's other block devices)
    LVMCFG="devices { filter=[\"a|^$1\$|\",\"r|.*|\"] use_devicesfile=0 obtain_device_list_from_udev=0 }
activation { udev_sync=0 udev_rules=0 monitoring=0 } global { use_lvmpolld=0 } backup { backup=0 archive=0 }"
}
lvmcfg_for "$PV"
lvm_q() { # run an LVM command on our PV only; hide the no-device-mapper noise
    local rc=0
    # in a UTS namespace named like the node, so that creation_host in the metadata is node-b
    unshare -u sh -c 'hostname "$0"; exec "$@"' "$NODE_HOSTNAME" "$@" --config "$LVMCFG" >"$W/lvm.out" 2>&1 || rc=$?
    grep -v -e 'leaked on' -e 'device-mapper' -e 'mapper/control' -e 'libdevmapper' \
        -e 'Failed to check for active' "$W/lvm.out" >&2 || true
    return $rc
}
export LVM_SUPPRESS_FD_WARNINGS=1
lvm_q pvcreate -y "$PV"
lvm_q vgcreate -s 4m nodevg "$PV"
(cd "$W" && lvm_q vgcfgbackup -f vg.orig nodevg)
PE_START_SECTORS=$(awk '/pe_start =/ {print $3; exit}' "$W/vg.orig")
PE_COUNT=$(awk '/pe_count =/ {print $3; exit}' "$W/vg.orig")
[ "$PE_COUNT" -ge "$LV_EXTENTS" ] || die "PV has only $PE_COUNT extents"
LV_ID=$(lvm_id)
NOW=$(date +%s)
# add a linear LV "root" (all extents from PV extent 0) to the text metadata
awk -v lvid="$LV_ID" -v now="$NOW" -v ext="$LV_EXTENTS" '
    { lines[NR] = $0 }
    END {
        for (last = NR; last > 0 && lines[last] !~ /^}/; last--) ;
        for (i = 1; i < last; i++) print lines[i]
        print "\tlogical_volumes {\n"
        print "\t\troot {"
        print "\t\t\tid = \"" lvid "\""
        print "\t\t\tstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]"
        print "\t\t\tflags = []"
        print "\t\t\tcreation_time = " now
        print "\t\t\tcreation_host = \"node-b\""
        print "\t\t\tsegment_count = 1\n"
        print "\t\t\tsegment1 {"
        print "\t\t\t\tstart_extent = 0"
        print "\t\t\t\textent_count = " ext "\n"
        print "\t\t\t\ttype = \"striped\""
        print "\t\t\t\tstripe_count = 1\t# linear\n"
        print "\t\t\t\tstripes = ["
        print "\t\t\t\t\t\"pv0\", 0"
        print "\t\t\t\t]"
        print "\t\t\t}"
        print "\t\t}"
        print "\t}"
        for (i = last; i <= NR; i++) print lines[i]
    }' "$W/vg.orig" >"$W/vg.new"
# relative path: LVM stores the command line in the metadata ("description")
(cd "$W" && lvm_q vgcfgrestore -f vg.new nodevg)
lvs --config "$LVMCFG" --noheadings -o lv_name nodevg 2>/dev/null | grep -qw root || die "vgcfgrestore did not add the LV"
loop_detach "$PV"

LV_OFF=$((PART_OFF + PE_START_SECTORS * 512))          # first extent of the LV = PV extent 0
LV_LEN=$((LV_EXTENTS * 4 * 1048576))
log "LV root at disk byte $LV_OFF, $LV_LEN bytes; mkfs.xfs"
loop_attach "$DISK" "$LV_OFF" "$LV_LEN"; LOOP=$LOOPDEV
mkfs.xfs -q -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NAME" "$FS_UUID" xfs "/dev/mapper/nodevg-root"
cat >"$M/etc/docker/daemon.json" <<'EOF'
{
  "storage-driver": "overlay2",
  "log-driver": "local",
  "debug": false
}
EOF
age_host
dockerd_start
ENGINE_VERSION=$(docker version -f '{{.Server.Version}}')
CLI_VERSION=$(docker version -f '{{.Client.Version}}')
CONTAINERD_VERSION=$(containerd --version | awk '{print $3}')
RUNC_VERSION=$(runc --version | awk 'NR == 1 {print $3}')

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
log "container api (running, local log driver with rotation, whiteout + opaque dir)"
read -r -d '' API_SH <<'EOF' || true
echo "api: husk api 2.3 starting (log driver: local)"
echo "api: warning: TLS disabled" >&2
i=1
while [ $i -le 300 ]; do
  printf 'api: req=%04d method=GET path=/v1/items/%d status=200 dur_ms=%d\n' $i $((i * 13 % 997)) $((i % 37))
  [ $((i % 25)) -eq 0 ] && echo "api: error: db pool exhausted at request $i" >&2
  i=$((i + 1))
done
sleep 1
rm -f /srv/www/index.html
rm -rf /opt/legacy
mkdir -p /opt/legacy
printf 'HUSK-API-OPAQUE replaced legacy config\n' > /opt/legacy/legacy.conf
echo 'HUSK-API-NOTE' > /srv/www/note.txt
L=$(head -c 20000 /dev/zero | tr '\0' 'A')
echo "api: LONGLINE-BEGIN ${L} LONGLINE-END"
echo "api: ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF
docker run -d --name api --hostname api-5c2 --network none \
    --log-driver local --log-opt max-size=8k --log-opt max-file=3 \
    --label app=api husk/web:2.3 /bin/sh -c "$API_SH" >/dev/null
wait_log api "api: ready" 60
sleep 2

log "container job (exited 1, local logs)"
read -r -d '' JOB_SH <<'EOF' || true
echo "job: import started"
mkdir -p /var/lib/job
i=1
while [ $i -le 100 ]; do echo "row $i"; i=$((i + 1)); done > /var/lib/job/import.txt
echo "job: imported 100 rows"
echo "job: error: checksum mismatch in batch 7" >&2
exit 1
EOF
docker run --name job --network none --label app=job husk/base:1.0 /bin/sh -c "$JOB_SH" >/dev/null 2>&1 || true
[ "$(docker inspect -f '{{.State.ExitCode}}' job)" = 1 ] || die "job did not exit 1"
sleep 2

log "container legacy (running, json-file logs)"
docker run -d --name legacy --network none --log-driver json-file --label app=legacy husk/base:1.0 \
    /bin/sh -c 'echo "legacy: json-file logging"; echo "legacy: deprecated config" >&2; echo "HUSK-LEGACY" > /legacy.txt; echo "legacy: ready"; exec sleep 86400' >/dev/null
wait_log legacy "legacy: ready" 30
sleep 2

log "container tmpjob (exits, then docker rm)"
read -r -d '' TMPJOB_SH <<'EOF' || true
echo "tmpjob: cleanup task"
i=1
while [ $i -le 3000 ]; do printf 'HUSK-TMPJOB entry %05d payload=0123456789abcdef\n' $i; i=$((i + 1)); done > /root/tmpjob-data.txt
echo 'HUSK-TMPJOB-MARKER' > /etc/tmpjob-marker
echo "tmpjob: done"
echo "tmpjob: note: removing myself" >&2
EOF
docker run --name tmpjob --network none --label app=tmpjob husk/base:1.0 /bin/sh -c "$TMPJOB_SH" >/dev/null 2>&1
sync; sleep 1
capture_container tmpjob
TMPJOB_ID=$(cid tmpjob)
sha_upper tmpjob "$T/removed-files.sha256"
save_removed_files tmpjob
record_container tmpjob "$TMPJOB_ID" removed yes "docker rm (after exit 0)"
docker rm tmpjob >/dev/null
sleep 2

log "container debug (running, dangerous capabilities and host mounts)"
read -r -d '' DEBUG_SH <<'EOF' || true
echo "debug: toolbox starting"
echo 'debug ALL=(ALL) NOPASSWD: ALL' > /host-etc/sudoers.d/99-debug
echo 'debug:x:0:0:debug:/root:/bin/sh' >> /host-etc/passwd
echo "debug: host pid 1 is $(cat /proc/1/comm)"
echo "debug: sudoers and passwd changed" >&2
echo "debug: ready"
exec sleep 86400
EOF
docker run -d --name debug --network none --pid=host \
    --cap-add SYS_ADMIN --cap-add SYS_PTRACE --cap-add NET_ADMIN --cap-add DAC_READ_SEARCH \
    --security-opt seccomp=unconfined -v /etc:/host-etc -v /var/run/docker.sock:/var/run/docker.sock \
    --label app=debug husk/base:1.0 /bin/sh -c "$DEBUG_SH" >/dev/null
wait_log debug "debug: ready" 30
sleep 2

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
for n in api job legacy debug; do
    capture_container "$n"
    record_container "$n" "$(cid "$n")" "$(docker inspect -f '{{.State.Status}}' "$n")" no ""
done
capture_ps
capture_images
capture_volumes 2>/dev/null || { : >"$T/volumes.json"; docker volume ls >"$T/volumes.txt"; }
capture_engine_info

declare -A CID
for n in api job legacy debug; do CID[$n]=$(cid "$n"); done
API_UP=$(upper_of api); JOB_UP=$(upper_of job); DEBUG_UP=$(upper_of debug); LEGACY_UP=$(upper_of legacy)
{
    echo "# well-known node paths of this image"
    printf 'api.upper\t%s\n' "$API_UP"
    printf 'job.upper\t%s\n' "$JOB_UP"
    printf 'legacy.upper\t%s\n' "$LEGACY_UP"
    printf 'debug.upper\t%s\n' "$DEBUG_UP"
} >"$T/paths.tsv"
# api's local-logs files (record framing + protobuf; rotated ones gzip-compressed)
printf 'file\tbytes\n' >"$T/api-logfiles.tsv"
(cd "$M/var/lib/docker/containers/${CID[api]}/local-logs" && for f in $(ls | sort); do
    printf '%s\t%s\n' "local-logs/$f" "$(stat -c %s "$f")"; done) >>"$T/api-logfiles.tsv"

log "file hashes"
sha_node "$T/files.sha256" /etc/hostname /etc/passwd /etc/shadow /etc/crontab /etc/docker/daemon.json \
    /etc/sudoers.d/99-debug /root/.ssh/authorized_keys
for n in api job legacy debug; do sha_upper "$n" "$T/files.sha256"; done
sha_node "$T/files.sha256" "/var/lib/docker/containers/${CID[legacy]}/${CID[legacy]}-json.log"
for n in api job; do
    for f in $(cd "$M/var/lib/docker/containers/${CID[$n]}/local-logs" && ls | sort); do
        sha_node "$T/files.sha256" "/var/lib/docker/containers/${CID[$n]}/local-logs/$f"
    done
done

# ---------------------------------------------------------------------------------------------
log "snapshot (fsfreeze + copy while dockerd runs)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
STAT_PATHS=(/ /bin /var/run /etc/hostname /etc/passwd /etc/shadow /etc/sudoers.d /etc/sudoers.d/99-debug
    /root/.ssh/authorized_keys /etc/docker/daemon.json /var/log/docker.log
    /var/lib/docker /var/lib/docker/containers /var/lib/docker/overlay2)
for n in api job legacy debug; do
    STAT_PATHS+=("/var/lib/docker/containers/${CID[$n]}" "/var/lib/docker/containers/${CID[$n]}/config.v2.json"
        "/var/lib/docker/containers/${CID[$n]}/hostconfig.json")
done
for n in api job; do
    for f in $(cd "$M/var/lib/docker/containers/${CID[$n]}/local-logs" && ls | sort); do
        STAT_PATHS+=("/var/lib/docker/containers/${CID[$n]}/local-logs/$f")
    done
done
STAT_PATHS+=("/var/lib/docker/containers/${CID[legacy]}/${CID[legacy]}-json.log"
    "$API_UP" "$API_UP/srv/www/index.html" "$API_UP/opt" "$API_UP/opt/legacy" "$API_UP/opt/legacy/legacy.conf"
    "$API_UP/srv/www/note.txt" "$JOB_UP/var/lib/job/import.txt" "$DEBUG_UP" "$LEGACY_UP/legacy.txt")
stat_node "${STAT_PATHS[@]}"
xattr_node "$API_UP/opt/legacy" "$API_UP/opt" "$API_UP/srv/www" "$API_UP/srv/www/index.html"
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"

dockerd_stop
unmount_node
loop_detach "$LOOP"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"
layout_common "$W/snap.raw" "$PART_OFF" "$PART_LEN"
log "LVM and XFS checks on the snapshot"
loop_attach "$W/snap.raw" "$PART_OFF" "$PART_LEN" ro; SPV=$LOOPDEV
lvmcfg_for "$SPV"
{
    echo
    echo "# LVM2 (read from the snapshot; partition 1 on a loop device)"
    echo "pv_offset_bytes=$PART_OFF"
    echo "pe_start_bytes_in_pv=$((PE_START_SECTORS * 512))"
    echo "extent_size_bytes=$((4 * 1048576))"
    echo "vg_name=nodevg"
    echo "lv_name=root"
    echo "lv_extents=$LV_EXTENTS"
    echo "lv_first_pv_extent=0"
    echo "lv_offset_bytes_in_disk=$LV_OFF"
    echo "lv_length_bytes=$LV_LEN"
    echo
    echo "# pvs / vgs / lvs"
    pvs --config "$LVMCFG" --units b -o pv_name,vg_name,pv_fmt,pv_size,pe_start,pv_pe_count,pv_uuid 2>/dev/null | sed "s#$SPV#<partition 1>#"
    vgs --config "$LVMCFG" --units b -o vg_name,vg_size,vg_extent_size,vg_extent_count,vg_uuid,vg_seqno 2>/dev/null
    lvs --config "$LVMCFG" --units b -o lv_name,vg_name,lv_size,seg_start_pe,seg_pe_ranges,lv_uuid,segtype 2>/dev/null | sed "s#$SPV#<partition 1>#"
} >>"$T/layout.txt"
lvs --config "$LVMCFG" --noheadings -o lv_name nodevg 2>/dev/null | grep -qw root || die "lvs does not see LV root on the snapshot"
lvm_q vgcfgbackup -f "$W/vgcfgbackup.txt" nodevg
sed "s#$SPV#<partition 1>#g; s#$W/##g" "$W/vgcfgbackup.txt" >"$T/lvm-vgcfgbackup.txt"
loop_detach "$SPV"

loop_attach "$W/snap.raw" "$LV_OFF" "$LV_LEN" ro; SLV=$LOOPDEV
{
    echo
    echo "# XFS in LV root"
    echo "fs_offset_bytes=$LV_OFF"
    echo "fs_type=xfs"
    echo "fs_uuid=$(blkid -s UUID -o value "$SLV")"
    echo "fs_label=$(blkid -s LABEL -o value "$SLV")"
    echo "fs_block_size=$(xfs_db -r -c 'sb 0' -c 'p blocksize' "$SLV" | awk '{print $3}')"
    echo "fs_inode_size=$(xfs_db -r -c 'sb 0' -c 'p inodesize' "$SLV" | awk '{print $3}')"
    echo
    echo "# xfs_info"
    xfs_info "$SLV" | sed "s#$SLV#<LV root>#"
    echo
    echo "# xfs_db -r -c 'sb 0' -c print"
    xfs_db -r -c 'sb 0' -c print "$SLV"
    echo
    echo "# xfs_repair -n (read-only check of the snapshot)"
    xfs_repair -n "$SLV" 2>&1 || true
} >>"$T/layout.txt"
mkdir -p "$W/chk"
mount -o ro,norecovery "$SLV" "$W/chk"
push_cleanup "umount $W/chk 2>/dev/null"
n=$(ls "$W/chk/var/lib/docker/containers" | wc -l)
[ "$n" -eq 4 ] || die "expected 4 container directories in the XFS, found $n"
(cd "$W/chk" && sha256sum -c <(sed 's#  /#  ./#' "$T/files.sha256")) >"$W/sha-check.txt" 2>&1 ||
    { cat "$W/sha-check.txt" >&2; die "files.sha256 does not match the snapshot"; }
{
    echo "# mount -o ro,norecovery of the LV region of disk.raw, ls /var/lib/docker/containers"
    ls -l "$W/chk/var/lib/docker/containers" | sed "s#$W/chk##"
    echo
    echo "# sha256sum -c truth/files.sha256 against that mount"
    cat "$W/sha-check.txt"
} >"$T/xfs-sanity.txt"
umount "$W/chk"
loop_detach "$SLV"
strings_check "$W/snap.raw" 'HUSK-TMPJOB entry 00001' 'HUSK-TMPJOB entry 03000' 'HUSK-TMPJOB-MARKER' \
    'tmpjob: cleanup task' "$TMPJOB_ID"
mmls "$W/snap.raw" >"$T/tsk-sanity.txt"

. "$HERE/readme-b.sh"
log "node-b done: $(du -sh "$OUT" | cut -f1)"
