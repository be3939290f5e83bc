# shellcheck shell=bash
# Writes $OUT/README.md for image c (sourced by node-c.sh at the end; uses its variables).

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

cat >"$OUT/README.md" <<EOF
# node-c-wholedisk — ext4 on the whole disk, Docker data root moved to /srv/docker-data

Made by \`scripts/make-testimages.sh c\` (driver: \`scripts/testimg/node-c.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC), on kernel $(uname -r), with dockerd
$ENGINE_VERSION (Debian docker.io; docker CLI $CLI_VERSION for the truth), containerd $CONTAINERD_VERSION,
runc $RUNC_VERSION, $(mke2fs -V 2>&1 | head -n 1).
The method is the same as for \`node-a-ext4-gpt\` (read its README.md): dockerd chrooted in the
node root, own PID and UTS namespaces (host name \`node-c\`), \`--bridge=none\`, \`--network none\`
containers, workloads in each container's own command, truth captured by Docker's CLI, then
\`sync; fsfreeze -f\` + \`cp --sparse=always\` of the whole disk while dockerd and the containers run.
Nothing was removed on this node.

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(stat -c %s "$OUT/disk.raw.xz") | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/\` | | ground truth (same file names and formats as node-a) |

No E01 and no split raw are stored (tests derive a split raw with \`split -b\` themselves).

## Disk layout

* **No partition table.** The ext4 file system starts at **byte 0** of the disk and fills it
  (**$DISK_LEN** bytes, $DISK_MIB MiB): \`mkfs.ext4 -T default -L node-root\` on a loop device over the
  whole file, as on a microVM whose root disk \`/dev/vda\` is formatted without partitions.
  \`mmls\` finds no partition table (no output, exit status 1); \`fls -o 0\` reads the file system directly.
* ext4, UUID \`$FS_UUID\`, label \`node-root\`, $(sed -n 's/^fs_block_size=//p' "$T/layout.txt")-byte blocks,
  $(sed -n 's/^fs_inode_size=//p' "$T/layout.txt")-byte inodes, Debian 12 default features. The first write
  came from inside the chroot, so "Last mounted on" is \`/\`.
* \`truth/layout.txt\`: mmls (exit status), \`blkid -p\`, offsets and fs facts (\`fs_offset_bytes=0\`,
  \`partition_table=none\`, \`docker_data_root=$DATA_ROOT\`), \`dumpe2fs -h\`, \`e2fsck -fn\` (clean).

## Engine configuration: non-default data root

\`/etc/docker/daemon.json\` on the node:

\`\`\`json
$(cat "$W/daemon.json.copy")
\`\`\`

dockerd read \`"data-root": "/srv/docker-data"\` from that file at start (it was started without
\`--data-root\`: dockerd 20.10 refuses to start when a directive is given both as a flag and in
daemon.json, even with the same value). So **all of Docker's state is below \`/srv/docker-data/\`**
(\`containers/\`, \`image/overlay2/\`, \`overlay2/\`, \`volumes/\`, \`containerd/\`, ...), \`docker info\` reports
\`Docker Root Dir: /srv/docker-data\` (\`truth/engine.txt\`), and every path in config.v2.json /
hostconfig.json / \`docker inspect\` (\`LogPath\`, \`GraphDriver.Data\`, \`Mounts[].Source\`) names
\`/srv/docker-data/...\`. The old default **\`/var/lib/docker\` exists but is an empty directory**
(mode 0710), as left behind by an admin who moved the data (\`/home/admin/.bash_history\` shows the
rsync + daemon.json edit). A reader that assumes \`/var/lib/docker\` finds nothing; it has to follow
daemon.json. All node paths in \`truth/\` are absolute paths in this file system (so
\`/srv/docker-data/containers/<id>/...\`).

Log defaults: json-file with \`max-size=20m, max-file=2\` (no rotation happened).
Images: \`husk/base:1.0\` (import) and \`husk/web:2.3\` (legacy build), as in node-a.
One named volume, **\`shopdata\`** (\`docker volume create --label purpose=shop-data\`), at
\`$VOL\`, used by all three containers.

## Containers

| name | id | state at imaging | image |
|---|---|---|---|
$(for n in "${CTRS[@]}"; do ctr_row "$n"; echo; done)

* **migrate** (exited, code **2**, \`husk/base:1.0\`, labels \`app=shop role=migration\`, \`-v shopdata:/data\`):
  writes \`/data/db/orders.sql\` (120 \`INSERT\` lines with \`HUSK-C-ORDER-N\`) into the volume and
  \`/tmp/migrate-0043.sql\` into its own layer; 2 stdout lines, 1 stderr line.
* **shop** (running, \`husk/web:2.3\`, hostname \`shop-1\`, labels \`app=shop tier=frontend\`,
  \`-v shopdata:/data -v /srv/share:/share:ro\`): 150 access lines (stdout), an error every 30th
  (stderr), writes \`/data/session.state\` (\`HUSK-C-SHOP-SESSION-7731\`) into the volume, adds
  \`/srv/www/upload.txt\`, appends to \`/etc/motd\` (copy-up; \`trusted.overlay.*\` xattrs in
  \`truth/xattrs.tsv\`), then runs busybox httpd.
* **standby** (created, never started, \`husk/base:1.0\`, labels \`app=shop role=standby\`, \`-e MODE=standby\`,
  \`-v shopdata:/data\`): \`docker create\` only; RW + init layer, no log file; \`docker logs\`/\`diff\` were not
  run for it (its \`logs/\` files are empty placeholders, no \`diff/standby.txt\`).

Upper dirs and the volume path: \`truth/paths.tsv\`.

### Timeline (from \`docker inspect\`, UTC)

| name | Created | StartedAt | FinishedAt | ExitCode |
|---|---|---|---|---|
$(timeline)

Imaging (fsfreeze) at $(cat "$T/imaging-time.txt").

## Ground truth (\`truth/\`)

Same files and formats as node-a (\`containers.tsv\`, \`ps.*\`, \`inspect/\`, \`diff/\`, \`logs/\`, \`images*\`,
\`image-inspect/\`, \`history/\`, \`volumes.*\`, \`engine.txt\`, \`stat.tsv\` and \`xattrs.tsv\` taken while frozen,
\`files.sha256\`, \`paths.tsv\`, \`layout.txt\`, \`tsk-sanity.txt\`, \`imaging-time.txt\`, \`disk-size-bytes.txt\`).
\`removed-files.sha256\` is empty (no removals). \`stat.tsv\` includes the empty \`/var/lib/docker\`.

Checks run on the snapshot: \`e2fsck -fn\` clean (\`layout.txt\`); \`fls -r -p -o 0\` lists the 3
config.v2.json files under \`srv/docker-data/containers/\` and nothing under \`var/lib/docker/\`
(\`tsk-sanity.txt\`); every file of \`files.sha256\` matches a read-only mount of the snapshot.

## Deviations from a production node

As node-a: a chroot rather than a booted system (\`/usr\` and \`/run\` empty on the image), no
registry, no networking. dockerd was not given \`--data-root\` on its command line (see above).
EOF
