# shellcheck shell=bash
# Writes $OUT/README.md for image b (sourced by node-b.sh at the end; uses its variables).

ctr_row() {
    local n=$1 id st img
    id=$(awk -F'\t' -v n="$n" '$1 == n {print $2}' "$T/containers.tsv")
    st=$(awk -F'\t' -v n="$n" '$1 == n {print $3}' "$T/containers.tsv")
    img=$(jq -r '.[0].Config.Image' "$T/inspect/$n.json")
    printf '| `%s` | `%s` | %s | %s | %s |' "$n" "$id" "$st" "$img" "$(jq -r '.[0].HostConfig.LogConfig.Type' "$T/inspect/$n.json")"
}
timeline() {
    local n
    for n in api job legacy tmpjob debug; do
        jq -r --arg n "$n" '.[0] | [$n, .Created, .State.StartedAt, .State.FinishedAt, (.State.ExitCode|tostring)] | @tsv' \
            "$T/inspect/$n.json"
    done | sort -t$'\t' -k2,2 | awk -F'\t' '{printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
}

cat >"$OUT/README.md" <<EOF
# node-b-xfs-lvm — a Docker node on MBR + LVM2 + XFS, made by a real dockerd

Made by \`scripts/make-testimages.sh b\` (driver: \`scripts/testimg/node-b.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC), on kernel $(uname -r), with dockerd
$ENGINE_VERSION (Debian docker.io; docker CLI $CLI_VERSION for the truth), containerd $CONTAINERD_VERSION,
runc $RUNC_VERSION, $(mkfs.xfs -V), $(lvm version 2>/dev/null | awk '/LVM version/ {print "LVM " $3}').
The method is the same as for \`node-a-ext4-gpt\` (read its README.md): dockerd chrooted in the
node root, own PID and UTS namespaces (host name \`node-b\`), \`--bridge=none\`, \`--network none\`
containers, workloads in each container's own command, truth captured by Docker's CLI, then
\`sync; fsfreeze -f\` + \`cp --sparse=always\` of the whole disk while dockerd and the containers run.

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(stat -c %s "$OUT/disk.raw.xz") | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/\` | | ground truth (same layout as node-a; see below for the differences) |

There is no E01 here. **The split raw is derived at test time with \`split -b\`** from the
decompressed \`disk.raw\` (for example \`split -b 100M -d -a 3 disk.raw disk.raw.\` gives
\`disk.raw.000\`, \`.001\`, ...); it is not stored.

## Disk layout

* DOS (MBR) partition table (sfdisk), $DISK_MIB MiB disk, one partition of type **0x8e (Linux LVM)**:
  start sector **$PART_START** (byte **$PART_OFF**), **$PART_SECTORS** sectors (**$PART_LEN** bytes).
* LVM2 PV on the whole partition: label in sector 1 of the PV, text metadata in the metadata area,
  \`pe_start\` = **$((PE_START_SECTORS * 512))** bytes from the PV start, extent size 4 MiB.
* VG **\`nodevg\`**, one linear LV **\`root\`**: $LV_EXTENTS extents from PV extent 0, so the LV is
  disk bytes **$LV_OFF** … $((LV_OFF + LV_LEN - 1)) (**$LV_LEN** bytes).
* XFS in the LV: UUID \`$FS_UUID\`, label \`node-root\`, mkfs.xfs defaults of Debian 12 (xfsprogs 6.1:
  crc, finobt, sparse inodes, reflink, bigtime, inobtcount; 4 KiB blocks, 512-byte inodes).
  \`/etc/fstab\` on the node mounts it by UUID (the comment there names \`/dev/mapper/nodevg-root\`).
* \`truth/layout.txt\`: sfdisk dump, mmls, offsets, \`pvs\`/\`vgs\`/\`lvs\` of the snapshot, \`xfs_info\`,
  the XFS superblock (\`xfs_db -r\`), \`xfs_repair -n\`. \`truth/lvm-vgcfgbackup.txt\`: the VG metadata
  (\`vgcfgbackup\` of the snapshot).

### How the LVM layout was made (no device-mapper on the build machine)

\`pvcreate\` and \`vgcreate -s 4m nodevg\` on a loop device over partition 1 (\`losetup -o $PART_OFF\`),
then \`vgcfgbackup\`, a \`logical_volumes { root { ... segment1 { type = "striped" stripe_count = 1
stripes = ["pv0", 0] } } }\` section added to the text, and \`vgcfgrestore\`: real LVM2 metadata
written by LVM itself (so the VG \`seqno\` is 2 and the metadata area holds both versions). \`lvcreate\`
cannot run here, and the LV was never activated. LVM ran in a UTS namespace named \`node-b\`, so
\`creation_host\` is \`node-b\`. mkfs.xfs and the node's mount used a loop device at the LV's byte
offset (\`losetup -o $LV_OFF --sizelimit $LV_LEN\` on the disk file): the snapshot is one copy of the
whole disk file, not a file system pasted into it later.

Checked on the snapshot: \`pvs\`/\`vgs\`/\`lvs\` see PV, VG \`nodevg\` and LV \`root\` (\`layout.txt\`);
a \`mount -o ro,norecovery\` of the LV region shows the 4 container directories and every file of
\`truth/files.sha256\` matches (\`truth/xfs-sanity.txt\`). \`mmls\` shows the partition
(\`truth/tsk-sanity.txt\`). TSK 4.11 cannot read XFS or LVM, so there is no \`fls\` check.

**The XFS log is not clean** in this snapshot: fsfreeze flushes data and metadata, but
\`xfs_repair -n\` reports "valuable metadata changes in a log" and a stale free-block count in the
superblock (lazy counters are only written at unmount). This is what a cloud snapshot of a live XFS
node looks like; the metadata needed to read every file is in place without log replay (the check
mount used \`norecovery\`).

## Engine configuration

\`/etc/docker/daemon.json\` sets **\`"log-driver": "local"\`** (with the driver's own defaults:
max-size 20 MiB, max-file 5, compress true), so containers without \`--log-driver\` log in the
\`local\` format (\`containers/<id>/local-logs/container.log\`, protobuf records with length framing,
formats.md 4.4). Images: \`husk/base:1.0\` (import) and \`husk/web:2.3\` (legacy build), as in node-a.

## Containers

| name | id | state at imaging | image | log driver |
|---|---|---|---|---|
$(for n in api job legacy debug tmpjob; do ctr_row "$n"; echo; done)

* **api** (running, \`husk/web:2.3\`, hostname \`api-5c2\`): \`--log-driver local --log-opt max-size=8k
  --log-opt max-file=3\`. 300 request lines (stdout), an error every 25th (stderr), one 20,033-character
  line (partial records with \`partial_log_metadata\`), then deletes \`/srv/www/index.html\` (**whiteout**)
  and \`rm -rf /opt/legacy\` + recreates it with a new \`legacy.conf\` (**opaque directory**,
  \`trusted.overlay.opaque=y\`, \`truth/xattrs.tsv\`), adds \`/srv/www/note.txt\`, and runs busybox httpd.
  Rotated local logs: \`container.log\`, \`container.log.1.gz\`, \`container.log.2.gz\` (\`truth/api-logfiles.tsv\`);
  the oldest records were rotated out.
* **job** (exited, code **1**, \`husk/base:1.0\`): default \`local\` logs (daemon.json), writes
  \`/var/lib/job/import.txt\`.
* **legacy** (running, \`husk/base:1.0\`): \`--log-driver json-file\` (\`<id>-json.log\`), writes \`/legacy.txt\`.
* **tmpjob** (exited 0, then **\`docker rm tmpjob\`**): wrote \`/root/tmpjob-data.txt\` (3000 lines
  \`HUSK-TMPJOB entry NNNNN ...\`) and \`/etc/tmpjob-marker\`; its \`local\` log file was deleted with it.
  Before removal (after a \`sync\`): truth captured, files copied to \`truth/removed/tmpjob/\`
  (\`containers/<id>/\` incl. \`local-logs/container.log\`, \`layerdb/mounts/<id>/\`, \`filefrag.txt\` with the
  physical extents in 4 KiB XFS blocks from the LV start), hashes in \`truth/removed-files.sha256\`.
  What is still on the disk afterwards: \`truth/removed-strings.tsv\`
  ($(awk -F'\t' 'NR > 1 {printf "%s%s = %s", (NR > 2 ? "; " : ""), $1, $2}' "$T/removed-strings.tsv" | sed 's/[0-9a-f]\{64\}/<id>/g')).
* **debug** (running, \`husk/base:1.0\`): \`--pid=host --cap-add SYS_ADMIN --cap-add SYS_PTRACE
  --cap-add NET_ADMIN --cap-add DAC_READ_SEARCH --security-opt seccomp=unconfined -v /etc:/host-etc
  -v /var/run/docker.sock:/var/run/docker.sock\`. Writes host \`/etc/sudoers.d/99-debug\`
  (\`debug ALL=(ALL) NOPASSWD: ALL\`) and appends a uid-0 user \`debug\` to the host's \`/etc/passwd\`.

### Timeline (from \`docker inspect\`, UTC)

| name | Created | StartedAt | FinishedAt | ExitCode |
|---|---|---|---|---|
$(timeline)

Imaging (fsfreeze) at $(cat "$T/imaging-time.txt").

## Ground truth (\`truth/\`)

Same files and formats as node-a (\`containers.tsv\`, \`ps.*\`, \`inspect/\`, \`diff/\`, \`logs/\`, \`images*\`,
\`image-inspect/\`, \`history/\`, \`volumes.*\` (no volumes here: \`[]\`), \`engine.txt\`, \`stat.tsv\` and
\`xattrs.tsv\` taken while frozen, \`files.sha256\`, \`removed*\`, \`paths.tsv\`, \`layout.txt\`), plus
\`lvm-vgcfgbackup.txt\`, \`xfs-sanity.txt\` and \`api-logfiles.tsv\`. Node paths are absolute paths in the
XFS file system.

## Deviations from a production node

As node-a: a chroot rather than a booted system (\`/usr\` and \`/run\` empty on the image), no
registry, no networking, \`--privileged\` impossible here. The LV was never activated through
device-mapper (see above).
EOF
