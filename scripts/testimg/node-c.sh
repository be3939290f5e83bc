#!/bin/bash
# Build test image "c": an ext4 file system on the WHOLE disk (no partition table) holding a
# Docker node root whose /etc/docker/daemon.json moves Docker's data root to /srv/docker-data.
# Real dockerd 20.10 (overlay2, json-file logs), Docker's own ground truth.
#
# usage: node-c.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-c
NODE_HOSTNAME=$NAME
DISK_MIB=200
DISK_LEN=$((DISK_MIB * 1048576))
# Docker's data root on this node (daemon.json "data-root"); lib.sh's helpers use it
DATA_ROOT=/srv/docker-data

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"
: >"$T/files.sha256"; : >"$T/removed-files.sha256"

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, no partition table, ext4 on the whole disk"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
loop_attach "$DISK" 0 "$DISK_LEN"; LOOP=$LOOPDEV
# Debian 12 mke2fs defaults; "-T default": 4 KiB blocks although the fs is < 512 MiB (see node-a)
mkfs.ext4 -q -T default -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
# a microVM-style node: the root file system is the whole virtio disk /dev/vda
populate_host "$NAME" "$FS_UUID" ext4 "/dev/vda (whole disk, no partition table)"
# The admin moved Docker's data to /srv (a real node's daemon.json, read by dockerd at start;
# dockerd refuses "data-root" given both as a flag and in the file, so it is only here).
# The old /var/lib/docker stays behind as an empty directory (populate_host made it).
cat >"$M/etc/docker/daemon.json" <<'EOF'
{
  "data-root": "/srv/docker-data",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "20m",
    "max-file": "2"
  }
}
EOF
cp "$M/etc/docker/daemon.json" "$W/daemon.json.copy"
cat >>"$M/home/admin/.bash_history" <<'EOF'
sudo systemctl stop docker
sudo rsync -aHAX /var/lib/docker/ /srv/docker-data/
sudo vi /etc/docker/daemon.json
sudo systemctl start docker
docker info | grep 'Docker Root Dir'
EOF
age_host
dockerd_start
[ -d "$M$DATA_ROOT/containers" ] || die "dockerd did not write its data root to $DATA_ROOT"
[ -z "$(ls -A "$M/var/lib/docker")" ] || die "dockerd wrote into /var/lib/docker"
docker info -f '{{.DockerRootDir}}' | grep -qx "$DATA_ROOT" || die "Docker Root Dir is not $DATA_ROOT"
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

docker volume create --label purpose=shop-data shopdata >/dev/null

# ---------------------------------------------------------------------------------------------
log "container migrate (exits 2, writes into the named volume)"
read -r -d '' MIGRATE_SH <<'EOF' || true
echo "migrate: schema migration 0041 -> 0043"
mkdir -p /data/db
i=1
while [ $i -le 120 ]; do printf 'INSERT INTO orders VALUES (%d, %d, %s);\n' $i $((i * 17 % 89)) "'HUSK-C-ORDER-$i'"; i=$((i + 1)); done > /data/db/orders.sql
echo "migrate: applied 0042 (120 rows)"
printf -- '-- HUSK-C-MIGRATE scratch\nALTER TABLE orders ADD COLUMN note TEXT;\n' > /tmp/migrate-0043.sql
echo "migrate: error: 0043 failed: column note already exists" >&2
exit 2
EOF
docker run --name migrate --network none --label app=shop --label role=migration \
    -v shopdata:/data husk/base:1.0 /bin/sh -c "$MIGRATE_SH" >/dev/null 2>&1 || true
[ "$(docker inspect -f '{{.State.ExitCode}}' migrate)" = 2 ] || die "migrate did not exit 2"
sleep 2

log "container shop (running, json-file logs, named volume)"
read -r -d '' SHOP_SH <<'EOF' || true
echo "shop: husk shop 2.3 starting, data root check"
echo "shop: warning: cache disabled" >&2
i=1
while [ $i -le 150 ]; do
  printf 'shop: 10.30.0.%d - - "GET /cart?id=%04d HTTP/1.1" 200 512\n' $((i % 200 + 1)) $i
  [ $((i % 30)) -eq 0 ] && echo "shop: error: payment backend slow on request $i" >&2
  i=$((i + 1))
done
printf 'order=%s\n' HUSK-C-SHOP-SESSION-7731 > /data/session.state
echo 'HUSK-C-SHOP upload' > /srv/www/upload.txt
echo 'Maintenance by shop' >> /etc/motd
echo "shop: ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF
docker run -d --name shop --hostname shop-1 --network none --label app=shop --label tier=frontend \
    -v shopdata:/data -v /srv/share:/share:ro husk/web:2.3 /bin/sh -c "$SHOP_SH" >/dev/null
wait_log shop "shop: ready" 60
sleep 2

log "container standby (created, never started)"
docker create --name standby --network none --label app=shop --label role=standby \
    -e MODE=standby -v shopdata:/data husk/base:1.0 /bin/sh -c 'echo standby; sleep 3600' >/dev/null
sleep 2

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
CTRS=(migrate shop standby)
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
SHOP_UP=$(upper_of shop); MIGRATE_UP=$(upper_of migrate); STANDBY_UP=$(upper_of standby)
VOL="$DATA_ROOT/volumes/shopdata/_data"
{
    echo "# well-known node paths of this image (Docker data root: $DATA_ROOT)"
    printf 'data_root\t%s\n' "$DATA_ROOT"
    printf 'shop.upper\t%s\n' "$SHOP_UP"
    printf 'migrate.upper\t%s\n' "$MIGRATE_UP"
    printf 'standby.upper\t%s\n' "$STANDBY_UP"
    printf 'volume.shopdata\t%s\n' "$VOL"
    printf 'old_default_data_root_empty_dir\t/var/lib/docker\n'
} >"$T/paths.tsv"

log "file hashes"
sha_node "$T/files.sha256" /etc/hostname /etc/passwd /etc/shadow /etc/docker/daemon.json \
    /home/admin/.bash_history "$VOL/db/orders.sql" "$VOL/session.state"
for n in shop migrate; do sha_upper "$n" "$T/files.sha256"; done
for n in shop migrate; do
    sha_node "$T/files.sha256" "$DATA_ROOT/containers/${CID[$n]}/${CID[$n]}-json.log"
done

# ---------------------------------------------------------------------------------------------
log "snapshot (fsfreeze + copy while dockerd runs)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
STAT_PATHS=(/ /bin /var/run /etc/hostname /etc/passwd /etc/docker/daemon.json /var/log/docker.log
    /var/lib/docker /srv /srv/docker-data /srv/docker-data/containers /srv/docker-data/overlay2
    /srv/docker-data/volumes "$VOL" "$VOL/db/orders.sql" "$VOL/session.state")
for n in "${CTRS[@]}"; do
    STAT_PATHS+=("$DATA_ROOT/containers/${CID[$n]}" "$DATA_ROOT/containers/${CID[$n]}/config.v2.json"
        "$DATA_ROOT/containers/${CID[$n]}/hostconfig.json")
done
for n in shop migrate; do STAT_PATHS+=("$DATA_ROOT/containers/${CID[$n]}/${CID[$n]}-json.log"); done
STAT_PATHS+=("$SHOP_UP" "$SHOP_UP/srv/www/upload.txt" "$SHOP_UP/etc/motd" "$MIGRATE_UP/tmp/migrate-0043.sql"
    "$STANDBY_UP")
stat_node "${STAT_PATHS[@]}"
: >"$T/xattrs.tsv"; : >"$T/xattrs.getfattr.txt"
xattr_node "$SHOP_UP/etc" "$SHOP_UP/etc/motd" "$SHOP_UP/srv/www" "$SHOP_UP/srv"
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"

dockerd_stop
unmount_node
loop_detach "$LOOP"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"

log "layout and checks"
loop_attach "$W/snap.raw" 0 "$DISK_LEN" ro; SL=$LOOPDEV
{
    echo "# no partition table: the ext4 file system starts at byte 0 of the disk"
    echo "# mmls disk.raw"
    rc=0; mmls "$W/snap.raw" 2>&1 || rc=$?
    echo "# (mmls exit status $rc: no partition table found)"
    echo "# blkid -p disk.raw (probe of the whole disk)"
    blkid -p "$W/snap.raw" 2>&1 | sed "s#$W/snap.raw#disk.raw#" || true
    echo
    echo "disk_size_bytes=$(stat -c %s "$W/snap.raw")"
    echo "partition_table=none"
    echo "fs_offset_bytes=0"
    echo "fs_length_bytes=$DISK_LEN"
    echo "fs_type=ext4"
    echo "fs_uuid=$(blkid -s UUID -o value "$SL")"
    echo "fs_label=$(blkid -s LABEL -o value "$SL")"
    echo "fs_block_size=$(dumpe2fs -h "$SL" 2>/dev/null | awk -F: '/^Block size/ {gsub(/[ \t]/,"",$2); print $2}')"
    echo "fs_inode_size=$(dumpe2fs -h "$SL" 2>/dev/null | awk -F: '/^Inode size/ {gsub(/[ \t]/,"",$2); print $2}')"
    echo "docker_data_root=$DATA_ROOT"
    echo
    echo "# dumpe2fs -h (whole disk)"
    dumpe2fs -h "$SL" 2>/dev/null
    echo
    echo "# e2fsck -fn (whole disk, read-only check of the snapshot)"
    e2fsck -fn "$SL" 2>&1 || true
} >"$T/layout.txt"
e2fsck -fn "$SL" >"$W/e2fsck.txt" 2>&1 || { cat "$W/e2fsck.txt" >&2; die "e2fsck -fn is not clean"; }
loop_detach "$SL"

log "sanity checks (TSK)"
rc=0; mmls "$W/snap.raw" >"$W/mmls.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || die "mmls found a partition table on a whole-disk fs"
echo "(no output, exit status $rc)" >>"$W/mmls.txt"
fls -r -p -o 0 "$W/snap.raw" >"$W/fls.txt"
n=$(grep -c "${DATA_ROOT#/}/containers/[0-9a-f]\{64\}/config.v2.json" "$W/fls.txt" || true)
[ "$n" -eq 3 ] || die "fls lists $n config.v2.json files under $DATA_ROOT, expected 3"
grep -q 'var/lib/docker/' "$W/fls.txt" && die "fls lists files below /var/lib/docker"
{
    echo "# mmls disk.raw (expected to fail: no partition table)"
    cat "$W/mmls.txt"
    echo
    echo "# fsstat -o 0 disk.raw | head"
    fsstat -o 0 "$W/snap.raw" | head -n 12
    echo
    echo "# fls -r -p -o 0 disk.raw | grep config.v2.json"
    grep 'config.v2.json' "$W/fls.txt"
    echo
    echo "# fls -r -p -o 0 disk.raw | grep -c '${DATA_ROOT#/}/': $(grep -c "${DATA_ROOT#/}/" "$W/fls.txt")"
    echo "# fls -r -p -o 0 disk.raw | grep -c 'var/lib/docker/': $(grep -c 'var/lib/docker/' "$W/fls.txt" || true)"
    echo "# fls -p -o 0 disk.raw of /var/lib/docker (empty directory):"
    echo "inode $(ifind -n /var/lib/docker -o 0 "$W/snap.raw"), $(fls -p -o 0 "$W/snap.raw" "$(ifind -n /var/lib/docker -o 0 "$W/snap.raw")" | wc -l) entries"
} >"$T/tsk-sanity.txt"

# files.sha256 against a read-only mount of the snapshot
mkdir -p "$W/chk"
loop_attach "$W/snap.raw" 0 "$DISK_LEN" ro; SL=$LOOPDEV
mount -o ro,noload "$SL" "$W/chk"
push_cleanup "umount $W/chk 2>/dev/null"
(cd "$W/chk" && sha256sum -c <(sed 's#  /#  ./#' "$T/files.sha256")) >"$W/sha-check.txt" 2>&1 ||
    { cat "$W/sha-check.txt" >&2; die "files.sha256 does not match the snapshot"; }
umount "$W/chk"
loop_detach "$SL"

. "$HERE/readme-c.sh"
log "node-c done: $(du -sh "$OUT" | cut -f1)"
