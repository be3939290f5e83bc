# shellcheck shell=bash
# Writes $OUT/README.md for image f (sourced by node-f.sh at the end; uses its variables).
fsz() { stat -c %s "$OUT/$1"; }
ctr_row() { # name
    local n=$1 id st img
    id=$(awk -F'\t' -v n="$n" '$1 == n {print $2}' "$T/containers.tsv")
    st=$(awk -F'\t' -v n="$n" '$1 == n {print $3}' "$T/containers.tsv")
    img=$(jq -r '.[0].Config.Image' "$T/inspect/$n.json")
    printf '| `%s` | `%s` | %s | %s |' "$n" "$id" "$st" "$img"
}
cat >"$OUT/README.md" <<EOF2
# node-f-containerd-store — Docker on the containerd image store, made by a real dockerd + containerd

Made by \`scripts/make-testimages.sh f\` (driver: \`scripts/testimg/node-f.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC). Docker Engine $ENGINE_VERSION with
\`"features": {"containerd-snapshotter": true}\`: images, layers and the containers' RW layers are in
**containerd's** content store and overlayfs snapshotter under \`/var/lib/containerd\` (namespace
\`moby\`), not in \`/var/lib/docker/overlay2\` (which does not exist on this image). Ground truth
printed by Docker's CLI and by containerd's \`ctr\`. Regenerating gives a new image, not the same bytes.

| tool | version |
|---|---|
| dockerd (Debian 13 docker.io, unpacked with dpkg -x) | $ENGINE_VERSION |
| docker CLI used for the truth (Debian 13 docker-cli) | $CLI_VERSION |
| containerd (Debian 13, unpacked with dpkg -x; its own ctr for the truth) | $CONTAINERD_VERSION |
| runc (this machine's, Debian 12) | $RUNC_VERSION |
| kernel | $(uname -r) |

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(fsz disk.raw.xz) | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/\` | | ground truth, see below |

## Disk layout

* No partition table: ext4 on the whole disk (offset 0), UUID \`$FS_UUID\`, label \`node-root\`, 4 KiB
  blocks. \`truth/layout.txt\` has \`e2fsck -fn\` of the snapshot.
* Node root as in the other images (\`lib.sh populate_host\`): \`/usr\` is an empty directory, \`/run\` is empty.

## How it was made

1. Debian 13 (trixie) \`docker.io\`, \`docker-cli\` and \`containerd\` were fetched with \`apt-get download\`
   through a **private** apt configuration (\`-o Dir::Etc::sourcelist=<own trixie.sources>\`, own lists
   and cache directories; this machine's apt sources were not changed) and unpacked with \`dpkg -x\` into
   \`/var/tmp/husk-trixie/root\`. Nothing was installed. At build time that folder was bind-mounted
   read-only at \`/run/trixie\` inside the node (on the node's \`/run\` tmpfs, so it is not on the image).
   trixie's \`runc\` needs a newer glibc; this machine's runc $RUNC_VERSION was used.
2. The node's \`/etc/containerd/config.toml\`: \`root = "/var/lib/containerd"\`, \`state = "/run/containerd"\`,
   CRI plugin disabled (as Docker's own packages ship it). \`/etc/docker/daemon.json\`:
   \`{"features":{"containerd-snapshotter":true}, "log-driver":"json-file", "log-opts":{max-size 10m, max-file 3}}\`.
3. containerd, then \`dockerd --containerd /run/containerd/containerd.sock\` (with \`--bridge=none\`, no
   iptables), ran **chrooted in the node root** in their own PID and UTS namespace. Logs: the node's
   \`/var/log/containerd.log\` and \`/var/log/docker.log\`. \`docker info\` reports the storage driver
   \`overlayfs\` (= containerd's snapshotter), \`truth/engine.txt\`.
4. Images, no registry: \`husk/base:1.0\` = \`docker import\` of the busybox-static root;
   \`husk/web:2.3\` (+ \`husk/web:latest\`) = \`$BUILD_HOW\` of \`scripts/testimg/web-image/Dockerfile\`
   (the legacy builder works on the containerd store in 26.1). On the containerd store an image is a
   containerd image record (\`v1/moby/images/<name>\` in meta.db), an OCI index/manifest/config in
   \`io.containerd.content.v1.content/blobs/sha256/\`, and one committed overlayfs snapshot per layer.
5. Containers (below), each one's workload in its own command (\`docker exec\` does not work in the chroot).
6. Ground truth, file hashes, then **while dockerd, containerd and the containers ran**: \`sync; fsfreeze -f\`,
   copies of containerd's two bbolt files, \`stat\`/\`getfattr\`, \`cp --sparse=always\` of the disk, \`fsfreeze -u\`.

## Containers

| name | id | state at imaging | image |
|---|---|---|---|
$(for n in web batch vol fresh priv escape gone; do ctr_row "$n"; echo; done)

* **gone** (\`husk/base:1.0\`, exited 0, then **\`docker rm gone\`**): wrote \`/root/loot/gone-data.txt\`
  (1500 lines \`HUSK-F-GONE record NNNNN …\`) and \`/etc/gone-marker\`. Before removal: inspect/diff/logs,
  its \`containers/<id>/\` files, and containerd's view of its snapshots (\`ctr snapshots info <id>\` and
  \`<id>-init\`, \`snapshots mounts\`: the \`snapshots/<n>/fs\` upper directory it had) in \`truth/removed/gone/\`.
* **web** (running, \`husk/web:2.3\`, hostname \`web-f1\`, labels app=web tier=frontend): 150 access lines
  (stdout) + an error line every 30th (stderr); adds \`/srv/www/shell.php\`, appends a uid-0 user to
  \`/etc/passwd\` and a line to \`/etc/motd\` (copy-ups), deletes \`/srv/www/index.html\` and
  \`/usr/share/doc/husk-base/README\` (whiteouts), replaces \`/opt/legacy\` (opaque directory), drops
  \`/tmp/.cache/kworkerd\`, prints a 20,028-character line (json-file splits it into 16 KiB partial
  entries), then \`exec\`s busybox httpd.
* **batch** (exited 3, \`husk/base:1.0\`): writes \`/work/out/report.csv\` (200 rows), one stderr line.
* **vol** (exited 0): named volume \`data\` (\`/var/lib/docker/volumes/data/_data\`, volumes stay in Docker's
  root on the containerd store too) and a read-only bind of the node's \`/srv/share\`.
* **fresh** (created, never started, \`husk/web:2.3\`).
* **priv** (\`--privileged\`, \`husk/base:1.0\`, \`sleep 3600\`): state at imaging
  **$(jq -r '.[0].State.Status' "$T/inspect/priv.json")**$(e=$(jq -r '.[0].State.Error' "$T/inspect/priv.json"); [ -n "$e" ] && printf ', error: `%s`' "$e"). (Docker 20.10 on this machine cannot start privileged containers, its
  bounding set lacks CAP_SYS_RESOURCE; Docker 26.1 grants a privileged container only the capabilities the
  daemon itself has, so here it runs.) \`HostConfig.Privileged=true\`.
* **escape** (running, \`--cap-add SYS_ADMIN --cap-add SYS_PTRACE --pid=host\`, seccomp and AppArmor
  unconfined, \`-v /:/host\`, \`-v /var/run/docker.sock:/var/run/docker.sock\`, restart unless-stopped):
  writes \`/etc/cron.d/evil\` and an attacker key to \`/root/.ssh/authorized_keys\` on the node, copies the
  node's shadow file into its own \`/tmp/.s\`.

Only running containers (web, priv, escape) have a containerd container record in \`meta.db\`
(\`v1/moby/containers/<id>\`, with the OCI spec); every container that has an RW layer has the
snapshots \`<id>-init\` (committed) and \`<id>\` (active) in \`v1/moby/snapshots/overlayfs/\`
(\`truth/ctr/snapshots.txt\`). Seen in this build (Docker 26.1): the container records' \`snapshotter\`,
\`snapshotKey\` and \`image\` fields are **empty** (Docker mounts the RW layer itself), and the legacy
builder's layers are committed on top of its build containers' \`<id>-init\` snapshots, so image layer
snapshots can have a \`<64 hex>-init\` parent. Upper directories: \`truth/paths.tsv\` (from \`ctr snapshots mounts\`).

## Ground truth (\`truth/\`)

| file | content |
|---|---|
| \`containers.tsv\` | name, full id, state at imaging time, removed yes/no, how removed |
| \`ps.txt\`, \`ps.json\`, \`inspect/\`, \`diff/\`, \`logs/\`, \`images*.{txt,json}\`, \`image-inspect/\`, \`history/\`, \`volumes.*\`, \`engine.txt\` | as in node-a (Docker 26.1 CLI) |
| \`ctr/\` | \`ctr -n moby\` listings (trixie's ctr): \`namespaces ls\`, \`containers ls\`, \`containers/<id>.json\` (\`containers info\`: OCI spec, snapshotter, snapshotKey), \`tasks ls\`, \`images ls\`, \`images/*.check.txt\`, \`content ls\`, \`leases ls\`, \`snapshots ls\`, \`snapshots/<key>.json\` (\`snapshots info\`), \`snapshots/<key>.mounts.txt\` (\`snapshots mounts\`) |
| \`containerd-db/meta.db\`, \`containerd-db/overlayfs-metadata.db\` | exact copies of containerd's bbolt files, taken while frozen (checked identical to the image's); \`sha256.txt\`, \`node-paths.tsv\` |
| \`containerd-db/*.txt\` | readable dump of each live bbolt tree (\`scripts/testimg/cri/boltdump.py\`, a project helper, not a containerd output) |
| \`containerd-root.tsv\` | \`find /var/lib/containerd -maxdepth 4\`: path, type, size |
| \`paths.tsv\` | containerd and Docker roots, the containers' upper directories, the volume |
| \`files.sha256\` | sha256 of files on the image (config files, files escape wrote, json-file logs, web's upper dir) |
| \`stat.tsv\`, \`xattrs.tsv\` | stat and xattrs of paths in web's upper dir (taken while frozen) |
| \`removed/gone/\` | see gone; also \`filefrag.txt\` (physical extents, 4 KiB blocks, of its files just before removal) |
| \`removed-files.sha256\` | sha256 of the files gone wrote (its upper directory), by their former node paths |
| \`removed-strings.tsv\` | how many lines of the raw disk contain each distinctive string of gone (0 = gone from the disk) |
| \`layout.txt\`, \`imaging-time.txt\`, \`disk-size-bytes.txt\` | |

## Deviations from a production node

* Debian 13's engine ran on a Debian 12 build machine with Debian 12's runc, from a folder outside the node.
* \`--privileged\` cannot start here; no registry (no distribution-source labels); networking off.
* \`/usr\` empty and \`/run\` empty on the image (chroot on the build machine).
EOF2
