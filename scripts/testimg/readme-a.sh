# shellcheck shell=bash
# Writes $OUT/README.md for image a (sourced by node-a.sh at the end; uses its variables).

ctr_row() { # name -> markdown row from containers.tsv + inspect
    local n=$1 id st img
    id=$(awk -F'\t' -v n="$n" '$1 == n {print $2}' "$T/containers.tsv")
    st=$(awk -F'\t' -v n="$n" '$1 == n {print $3}' "$T/containers.tsv")
    img=$(jq -r '.[0].Config.Image' "$T/inspect/$n.json")
    printf '| `%s` | `%s` | %s | %s |' "$n" "$id" "$st" "$img"
}
timeline() {
    local n
    for n in gone1 gone2 gone3 web batch fresh priv vol after escape; do
        jq -r --arg n "$n" '.[0] | [$n, .Created, .State.StartedAt, .State.FinishedAt, (.State.ExitCode|tostring)] | @tsv' \
            "$T/inspect/$n.json"
    done | sort -t$'\t' -k2,2 | awk -F'\t' '{printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
}
# block ranges of removed containers' files that a later removed container's files took over
reuse_report() {
    local n
    for n in gone1 gone2 gone3; do
        awk -v n="$n" '/^File size of / {f = $4; sub(/^.*\/diff/, "", f); sub(/^\/var\/lib\/docker\/containers\/[0-9a-f]*\//, "containers\/<id>\/", f)}
            /^ *[0-9]+: +[0-9]+\.\. +[0-9]+: +[0-9]+\.\. +[0-9]+:/ {
                split($0, a, ":"); split(a[3], p, "\\.\\."); printf "%s\t%s\t%d\t%d\n", n, f, p[1], p[2] }' \
            "$T/removed/$n/filefrag.txt"
    done | awk -F'\t' '{ c[NR] = $1; f[NR] = $2; s[NR] = $3; e[NR] = $4 }
        END { for (i = 1; i <= NR; i++) for (j = 1; j <= NR; j++)
            if (c[i] < c[j] && s[i] <= e[j] && s[j] <= e[i])
                printf "* %s `%s` (blocks %d-%d) overlaps %s `%s` (blocks %d-%d)\n", c[i], f[i], s[i], e[i], c[j], f[j], s[j], e[j] }'
}
seg_list() { (cd "$OUT" && ls disk.E0* | paste -sd' '); }
fsz() { stat -c %s "$OUT/$1"; }

WEB_FIRST_ID=$(grep -o 'id=[0-9]*' "$T/logs/web.stdout.txt" | head -n 1)

cat >"$OUT/README.md" <<EOF
# node-a-ext4-gpt — a Docker node on GPT + ext4, made by a real dockerd

Made by \`scripts/make-testimages.sh a\` (driver: \`scripts/testimg/node-a.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC). Everything below the file system was written by
the real kernel ($(uname -r)) and a real Docker Engine; the ground truth in \`truth/\` was printed
by Docker's own CLI. Regenerating gives a new image (new IDs, times, UUIDs), not the same bytes.

| tool | version |
|---|---|
| dockerd (Debian docker.io) | $ENGINE_VERSION |
| docker CLI used for the truth | $CLI_VERSION |
| containerd | $CONTAINERD_VERSION |
| runc | $RUNC_VERSION |
| kernel | $(uname -r) |
| e2fsprogs | $(mke2fs -V 2>&1 | head -n 1) |
| ewfacquire | $(ewfacquire -V 2>&1 | head -n 1) |

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(fsz disk.raw.xz) | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| $(seg_list | sed 's/\([^ ]*\)/`\1`/g') | $(cat "$OUT"/disk.E0* | wc -c) (all) | the same disk as EWF (EnCase 6 format, deflate "best", 1 MiB segments, MD5 + SHA-1 stored). \`truth/ewfinfo.txt\`, \`truth/ewfverify.txt\` |
| \`truth/\` | | ground truth, see below |

## Disk layout

* GPT (sfdisk), 300 MiB disk. One partition, "node-root", type Linux file system:
  start sector **$PART_START** (byte offset **$PART_OFF**), **$PART_SECTORS** sectors (**$PART_LEN** bytes).
  Details in \`truth/layout.txt\` (\`sfdisk --dump\`, \`mmls\`, \`dumpe2fs -h\`, \`e2fsck -fn\`).
* ext4, UUID \`$FS_UUID\`, label \`node-root\`, $(sed -n 's/^fs_block_size=//p' "$T/layout.txt")-byte blocks,
  $(sed -n 's/^fs_inode_size=//p' "$T/layout.txt")-byte inodes, Debian 12 default features (has_journal, extent, 64bit,
  flex_bg, metadata_csum, ...). Made with \`mkfs.ext4 -T default -L node-root\`: \`-T default\` only keeps
  mke2fs from choosing its "small" profile (1 KiB blocks) for a file system under 512 MiB; a real node's
  root has 4 KiB blocks. Mounted with default options (relatime).
* The node's \`/etc/fstab\` names the root by this UUID.

## How it was made

1. \`truncate\` + \`sfdisk\` (GPT), \`losetup -o $PART_OFF --sizelimit $PART_LEN\`, \`mkfs.ext4\`, mount.
2. A small Debian-12-like host was written: \`/etc\` (passwd, group, shadow, hostname \`node-a\`, hosts,
   fstab, crontab, \`cron.d/{e2scrub_all,docker-prune}\`, \`ssh/\`, \`sudoers.d/\`, \`docker/daemon.json\`),
   \`/root/.ssh/authorized_keys\`, \`/home/admin\`, \`/var/log/{auth.log,syslog,dpkg.log}\`, \`/srv/share/\`.
   Their mtime/atime were set to 2025-03-10 08:30:00 UTC (ctime/crtime are the build time).
   \`/bin\`, \`/sbin\`, \`/lib\`, \`/lib64\` are merged-/usr symlinks, \`/var/run -> /run\`.
3. dockerd ran **chrooted in the node root** (this machine's \`/usr\` bind-mounted read-only over the
   node's empty \`/usr\`; \`/proc\`, \`/sys\`, \`/dev\` mounted; a tmpfs on \`/run\`), in its own PID namespace,
   with \`--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none\`, so every
   path in the configs is a node path and \`-v /:/host\` is the node's root. dockerd started its own
   containerd (\`/var/lib/docker/containerd/daemon\`). Its log is the node's \`/var/log/docker.log\`.
   So on the image \`/usr\` is an **empty directory** and \`/run\` is empty (it was a tmpfs).
   The first file write after mounting was made from inside the chroot, so the ext4 superblock's
   "Last mounted on" is \`/\`, as on a real node (ext4 records the path seen by that first writer).
4. \`/etc/docker/daemon.json\`: json-file default with \`max-size=10m, max-file=3\` (containers without
   their own log options inherit these; see \`HostConfig.LogConfig\`).
5. Images (no registry): \`husk/base:1.0\` = \`docker import\` of a busybox-static root (fixed mtimes);
   \`husk/web:2.3\` (also tagged \`husk/web:latest\`) = \`DOCKER_BUILDKIT=0 docker build\` of
   \`scripts/testimg/web-image/Dockerfile\` (LABEL, ENV, RUN, COPY, COPY, RUN, WORKDIR, EXPOSE, CMD).
   Its first RUN layer deletes the base file \`/etc/issue\`, so that layer's \`diff/\` holds a whiteout
   (\`$IMG_UP/etc/issue\`, char 0/0). The legacy builder keeps the untagged parent images
   (\`truth/images-all.txt\`).
6. Containers, in this order, 1-2 s apart (see the timeline). Each one's workload is its own command
   (\`docker exec\` does not work in the chroot); the full scripts are in \`truth/inspect/<name>.json\`
   (\`.Args\`) and in \`scripts/testimg/node-a.sh\`. All use \`--network none\`.
7. Ground truth captured (removed containers: just before removal), file hashes taken, then, **while
   dockerd and the containers were still running**: \`sync; fsfreeze -f\`; \`stat\`/\`getfattr\`;
   \`cp --sparse=always\` of the whole disk; \`fsfreeze -u\`. So the image is a consistent cloud-style
   snapshot of a live node: running containers have \`State.Running: true\` in config.v2.json, their
   overlay \`merged/\` directories exist (empty on disk), and the journal is clean (\`e2fsck -fn\` is clean).
   The truth capture itself ran on the live node before the freeze, so its small footprint is in the
   image: read access times (relatime) of the files that \`docker logs\` and \`sha256sum\` read, and
   \`docker diff\` of a stopped container mounts its layers for a moment (a \`merged/\` dir created and removed).
8. dockerd stopped, file system unmounted; xz, hashes, \`ewfacquire\`, \`ewfverify\`, TSK checks.

## Containers

| name | id | state at imaging | image |
|---|---|---|---|
$(for n in web batch fresh priv vol after escape gone1 gone2 gone3; do ctr_row "$n"; echo; done)

Full IDs, states and how removed: \`truth/containers.tsv\`. Well-known node paths (upper dirs,
the image layer with the whiteout, the volume): \`truth/paths.tsv\`.

* **web** (running, \`husk/web:2.3\`, hostname \`web-7d4f\`, labels \`app=web tier=frontend\`): json-file with
  \`--log-opt max-size=8k --log-opt max-file=4 --log-opt compress=true\`. Prints 420 access lines
  (stdout) with an error line every 20th request (stderr), then plays a web-shell compromise:
  * adds \`/srv/www/shell.php\` (new file);
  * appends a uid-0 user \`svc-backup\` to \`/etc/passwd\` (base-layer file, copied up) and a line to
    \`/etc/motd\` (web-layer file, copied up);
  * deletes \`/srv/www/index.html\` (from the web RUN layer) and \`/usr/share/doc/husk-base/README\`
    (from the base layer): **whiteouts** (char 0/0) in the upper dir;
  * \`rm -rf /opt/legacy\` then recreates it with a new \`bin/tool.sh\` (a downloader) and
    \`legacy.conf\`: **opaque directory** (\`trusted.overlay.opaque=y\`), see \`truth/xattrs.tsv\`;
  * \`/tmp/.cache/kworkerd\` (mode 0755) and the symlink \`/usr/local/bin/kworkerd -> /tmp/.cache/kworkerd\`;
  * one stdout line of 20,033 characters + newline (\`LONGLINE-BEGIN W…W LONGLINE-END\`): split by
    Docker into 16 KiB partial messages;
  * then \`exec httpd -f -p 127.0.0.1:8080 -h /srv/www\` (busybox httpd is the running process).
  Logs rotated several times: on the image are \`<id>-json.log\`, \`.1.gz\`, \`.2.gz\`, \`.3.gz\`. The oldest
  entries are gone (rotated out and deleted): \`docker logs web\` starts at \`$WEB_FIRST_ID\`.
* **batch** (exited, code **3**, \`husk/base:1.0\`): writes \`/work/out/report.csv\` (300 rows) and
  \`/root/.batch-token\`; prints 2 stdout lines, a 40,035-character line (3 partial chunks) and 2 stderr lines.
  Default json-file options from daemon.json (no rotation happened).
* **fresh** (created, never started, \`husk/web:2.3\`, \`-e MODE=standby\`): \`docker create\` only; it has an
  RW layer and an init layer but no log file$(fid=$(awk -F'\t' '$1 == "fresh" {print $2}' "$T/containers.tsv"); [ -e "$W/fresh-log-exists" ] && echo " (BUT one exists on this image)"). \`docker logs\` and \`docker diff\` were **not** run for
  fresh and priv: Docker 20.10 creates an empty \`<id>-json.log\` when \`docker logs\` is run on a container
  that has none (seen while making this image); their \`logs/\` files are empty placeholders.
* **priv** (\`--privileged\`, \`husk/base:1.0\`): created, but the start failed on this machine (its bounding
  set lacks a capability): \`State.Status=created\`, \`ExitCode=$(jq -r '.[0].State.ExitCode' "$T/inspect/priv.json")\`,
  log file on the image: $(pid=$(awk -F'\t' '$1 == "priv" {print $2}' "$T/containers.tsv"); grep -q "containers/$pid/$pid-json.log" "$W/fls.txt" && echo "yes (created by the start attempt)" || echo "none"),
  \`State.Error="$(jq -r '.[0].State.Error' "$T/inspect/priv.json")"\`.
  \`HostConfig.Privileged=true\`. Realistic evidence of an attempted privileged container.
* **vol** (exited 0, \`husk/base:1.0\`): named volume \`data\` (\`docker volume create --label purpose=app-data\`,
  \`-v data:/data\`) and a read-only bind mount \`-v /srv/share:/share:ro\` of a host directory. Writes
  \`config.ini\`, \`records.log\`, \`secret.env\` into the volume (\`/var/lib/docker/volumes/data/_data\`);
  its attempt to write \`/share\` fails (stderr line).
* **gone1** (exited 0, then **\`docker rm gone1\`**): wrote \`/root/loot/gone1-data.txt\` (2000 lines,
  \`HUSK-GONE1 record NNNNN ...\`, 122,000 bytes) and \`/etc/gone1-marker\`.
* **gone2** (running, then **\`docker rm -f gone2\`**, \`--cpu-shares 128\`): wrote \`/tmp/.miner.conf\`
  (\`HUSK-GONE2-WALLET-8c1d\`) and \`/tmp/.miner.log\` (5000 lines \`HUSK-GONE2 share NNNNN ...\`), then slept.
* **gone3** (\`docker run --rm\`): wrote \`/gone3-marker.txt\` and \`/var/log/task/gone3.log\`
  (800 lines \`HUSK-GONE3 step N done\`), slept 12 s and exited 0, and Docker removed it. Its truth was
  captured **while it was still running** (its inspect shows \`Running: true\`, \`AutoRemove: true\`).
* **after** (exited 0): a short container started after the three removals ("removed after other
  activity"); writes \`/after.txt\`.
* **escape** (running, \`--restart unless-stopped\`, label \`app=agent\`): \`--cap-add SYS_ADMIN --cap-add SYS_PTRACE
  --pid=host --security-opt seccomp=unconfined --security-opt apparmor=unconfined -v /:/host
  -v /var/run/docker.sock:/var/run/docker.sock\`. Its command writes host persistence through \`/host\`:
  \`/etc/cron.d/evil\` (wget | sh every minute), appends an attacker key to \`/root/.ssh/authorized_keys\`,
  writes \`/var/lib/.sysd/libsysd.so\` (a fake, non-ELF payload) and \`/etc/ld.so.preload\` naming it;
  reads the host's \`/etc/shadow\` into its own \`/tmp/.s\`, and drops \`/tmp/.x.sh\` (0755) in its own layer.
  Started last, because after \`/etc/ld.so.preload\` exists every dynamic program started in the node
  chroot complains about the preload.

Removed containers: everything they left is gone from the directory tree. Before removal their
\`containers/<id>/\` files and \`image/overlay2/layerdb/mounts/<id>/\` files were copied to
\`truth/removed/<name>/\` (with \`container-id\`, \`mount-id\`, \`node-paths\`), and
\`truth/removed-files.sha256\` has the sha256 of the files they wrote, by their former node paths.
\`truth/removed/<name>/filefrag.txt\` has the physical extents (\`filefrag -v\`, 4 KiB file-system
blocks from the partition start) of those files just before removal, and \`truth/removed-strings.tsv\`
says which of their distinctive strings are still anywhere on the raw disk (in this build:
$(awk -F'\t' 'NR > 1 {printf "%s%s = %s", (NR > 2 ? "; " : ""), $1, $2}' "$T/removed-strings.tsv" | sed 's/[0-9a-f]\{64\}/<id>/g')).
Blocks freed by one removal may be reused by later writes (a 0 above means the data was overwritten
or never reached its blocks), which is part of what the image is meant to show. In this build, by
the recorded extents:

$(reuse_report)
A \`sync\` was run before each removal so that their data had reached the disk, as it would have
on a node where the container lived for more than the 30 s writeback delay; without it, ext4's
delayed allocation often never writes a short-lived file at all. For gone2 (\`rm -f\`), the saved
\`config.v2.json\` is the running state; Docker rewrote it once more when the container was killed.

### Timeline (from \`docker inspect\`, UTC)

| name | Created | StartedAt | FinishedAt | ExitCode |
|---|---|---|---|---|
$(timeline)

Imaging (fsfreeze) at $(cat "$T/imaging-time.txt").

## Ground truth (\`truth/\`)

| file | content |
|---|---|
| \`containers.tsv\` | name, full id, state at imaging time, removed yes/no, how removed |
| \`ps.txt\`, \`ps.json\` | \`docker ps -a --no-trunc\` (and \`--format '{{json .}}'\`), just before the freeze |
| \`inspect/<name>.json\` | \`docker inspect <name>\`, every container (removed ones just before removal) |
| \`diff/<name>.txt\` | \`docker diff <name>\`, every container that was started |
| \`logs/<name>.txt\` | \`docker logs --timestamps <name>\`, both streams as the CLI prints them (\`2>&1\`) |
| \`logs/<name>.stdout.txt\`, \`.stderr.txt\` | the same with \`2>/dev/null\` / \`>/dev/null\` |
| \`images.txt\`, \`images.json\`, \`images-all.txt\` | \`docker images --no-trunc\` (json: \`--format '{{json .}}'\`; all: \`-a\`) |
| \`image-inspect/<repo_tag>.json\` | \`docker image inspect\` (\`/\` and \`:\` replaced by \`_\`) |
| \`history/<repo_tag>.txt\`, \`.json\` | \`docker history --no-trunc\` (and \`--format '{{json .}}'\`) |
| \`volumes.txt\`, \`volumes.json\` | \`docker volume ls\`, \`docker volume inspect\` |
| \`engine.txt\` | \`docker version\`, \`docker info\`, \`uname -a\` |
| \`stat.tsv\` | \`TZ=UTC stat --printf '%n\\t%i\\t%f\\t%h\\t%u\\t%g\\t%s\\t%t\\t%T\\t%x\\t%y\\t%z\\t%w\\n'\` of node paths, taken **while frozen** (so it matches the image exactly): name, inode, raw mode (hex), links, uid, gid, size, major (hex), minor (hex), atime, mtime, ctime, birth |
| \`xattrs.tsv\` | path, xattr name, hex value (from \`getfattr -h -d -m - -e hex\`, taken while frozen); raw output in \`xattrs.getfattr.txt\` |
| \`files.sha256\` | sha256 of files present on the image, absolute node paths (\`sha256sum\` format) |
| \`removed-files.sha256\`, \`removed/\` | see "Removed containers" |
| \`paths.tsv\` | upper dirs of the containers, the image layer with the \`/etc/issue\` whiteout, the volume |
| \`layout.txt\` | sfdisk dump, mmls, offsets, fs facts, \`dumpe2fs -h\`, \`e2fsck -fn\` |
| \`tsk-sanity.txt\` | \`mmls\`, and \`fls -r -p -o $PART_START\` lines with config.v2.json |
| \`ewfinfo.txt\`, \`ewfverify.txt\` | EWF metadata and verification |
| \`web-logfiles.tsv\` | web's json-file log files at imaging time: file, entries, partial (no \`\\n\`) entries, LONGLINE chunks, first and last \`time\` |
| \`imaging-time.txt\`, \`disk-size-bytes.txt\` | |

## Notable facts seen in this image (Docker 20.10, kernel $(uname -r))

* **json-file rotation with \`compress=true\`**: 20.10 gzips the newly rotated file right away, so the
  files are \`-json.log\`, \`-json.log.1.gz\`, \`.2.gz\`, \`.3.gz\` (there is no uncompressed \`.1\`).
* **Partial messages**: a 20,033-character line became two json-file entries (16,384 bytes without a
  trailing \`\\n\`, then the rest with \`\\n\`), both carrying the first chunk's timestamp. Which web
  log file holds which chunk: \`truth/web-logfiles.tsv\`. \`docker logs --timestamps\` prints each chunk with its
  own (identical) timestamp prefix, so the long line in \`logs/web.txt\` / \`logs/batch.txt\` contains the
  timestamp again at each chunk boundary.
* **Whiteouts made by the kernel** in a container's upper dir (\`rm\` in web) are char devices 0/0
  that **share one inode** (link count > 1, see \`stat.tsv\`): overlayfs hard-links a shared whiteout
  (kernel ≥ 5.8). Whiteouts made by dockerd when it unpacked an image layer (\`/etc/issue\` in the
  web RUN layer) are separate inodes with one link.
* **Opaque directory**: \`/opt/legacy\` in web's upper dir has \`trusted.overlay.opaque = 0x79\` ("y").
  The kernel also set \`trusted.overlay.origin\` (copied-up file or dir: a file handle of the lower
  inode) and \`trusted.overlay.impure\` on copied-up directories (\`/opt\`, \`/etc\`).
* \`docker diff\` shows the opaque directory only as \`C /opt/legacy\` (+ its files as \`C\`), and shows the
  mount points created in the upper dir (\`A /host\`, \`A /var/run/docker.sock\` for escape; \`A /data\`,
  \`A /share\` for vol).
* The container shows \`pid 1 of the host is docker-init\`: with \`--pid=host\` it sees dockerd's PID
  namespace, whose init was \`docker-init\` (tini) in this build.

## Deviations from a production node

* The node is a chroot on the build machine, not a booted system: \`/usr\` is empty on the image,
  there is no \`/boot\`, kernel or init, and \`/run\` (tmpfs) is empty.
* \`--privileged\` cannot start on this machine (see priv); dangerous rights were given one by one
  (escape).
* No registry: images have no \`distribution/\` metadata and no RepoDigests.
* Networking is off (\`--bridge=none\`, \`--network none\`): no bridge, no \`docker0\`, no published ports.
EOF
