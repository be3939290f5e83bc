# shellcheck shell=bash
# Writes $OUT/README.md for image g (sourced by node-g.sh at the end; uses its variables).
fsz() { stat -c %s "$OUT/$1"; }
pod_rows() {
    awk -F'\t' 'NR > 1 {printf "| `%s/%s` | `%s` | `%s` | %s | %s | %s |\n", $2, $1, $3, $4, $5, $6, $7}' "$T/pods.tsv"
}
ctr_rows() {
    awk -F'\t' 'NR > 1 {printf "| `%s` | `%s` | `%s` | %s | %s |\n", $1, $2, $3, $4, $5}' "$T/containers.tsv"
}
cat >"$OUT/README.md" <<EOF2
# node-g-k8s-containerd — a Kubernetes-style containerd node (CRI), made by a real containerd

Made by \`scripts/make-testimages.sh g\` (driver: \`scripts/testimg/node-g.sh\`) on
$(cat "$T/imaging-time.txt") (imaging time, UTC). containerd's CRI plugin, runc and the kernel
($(uname -r)) wrote everything containerd owns; **there was no kubelet**. The kubelet's CRI calls
were made by \`scripts/testimg/cri/cri.py\`, a small CRI client (Debian has no \`crictl\`: no
\`cri-tools\` package in Debian 12 or 13), and the files the kubelet itself writes were made by
the builder script **in the kubelet's documented layout** (list below). Regenerating gives a new
image (new IDs, UIDs, times), not the same bytes.

| tool | version |
|---|---|
| containerd (Debian 12 package, CRI plugin, API runtime.v1) | $CONTAINERD_VERSION |
| runc | $RUNC_VERSION |
| CRI client | \`scripts/testimg/cri/cri.py\` + \`cri_min.proto\` (python3-grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)')) |
| kernel | $(uname -r) |

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(fsz disk.raw.xz) | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/\` | | ground truth, see below |

## Disk layout

* No partition table: ext4 on the whole disk (offset 0), UUID \`$FS_UUID\`, label \`node-root\`,
  4 KiB blocks (\`mkfs.ext4 -T default\`). \`truth/layout.txt\` has \`e2fsck -fn\` of the snapshot.
* Node root as in the other images (\`scripts/testimg/lib.sh populate_host\`): Debian-12-like \`/etc\`,
  \`/root\`, \`/home/admin\`, \`/var/log\`; merged-/usr symlinks; \`/usr\` is an empty directory
  (this machine's \`/usr\` was bind-mounted over it), \`/run\` is empty (it was a tmpfs).
  No Docker on this node (\`/etc/docker\`, \`/var/lib/docker\` removed).

## How it was made

1. ext4 made and mounted, host files written (mtime 2025-03-10 08:30 UTC), then the node's
   Kubernetes files: \`/etc/containerd/config.toml\` (CRI on, \`sandbox_image = "husk.local/pause:3.9"\`,
   overlayfs, runc v2, cgroupfs, \`restrict_oom_score_adj = true\` because this build machine's
   bounding set lacks CAP_SYS_RESOURCE: without it runc cannot lower the pause process's
   oom_score_adj to -998 and every sandbox fails), \`/etc/crictl.yaml\`,
   \`/var/lib/kubelet/config.yaml\` (KubeletConfiguration: \`staticPodPath: /etc/kubernetes/manifests\`,
   \`containerLogMaxSize: 16Ki\`, \`containerLogMaxFiles: 3\`, \`podLogsDir: /var/log/pods\`),
   \`/var/lib/kubelet/kubeadm-flags.env\`, \`/etc/kubernetes/kubelet.conf\`,
   \`/etc/kubernetes/pki/ca.crt\` and \`/var/lib/kubelet/pki/kubelet-client-*.pem\` (+ the
   \`kubelet-client-current.pem\` symlink). **The PEM files are fake**: base64 of sha256 strings
   between real PEM armour lines, not parseable certificates or keys.
2. containerd ran **chrooted in the node root** in its own PID and UTS namespace (host name
   \`$NAME\`), its log in the node's \`/var/log/containerd.log\`.
3. Images, no registry: OCI image layout archives written by \`scripts/testimg/cri/mkoci.py\`
   (gzip layers, fixed times) and loaded with \`ctr -n k8s.io images import\`:
   \`husk.local/pause:3.9\` (the busybox-static base layer, entrypoint \`/bin/sleep 2147483647\`; it
   plays the pause image), \`husk.local/web:2.3\` and \`husk.local/node-agent:1.0\` (base layer +
   one layer each). containerd's CRI plugin labelled them \`io.cri-containerd.image=managed\` and added
   \`sha256:<config>\` names (\`truth/ctr/images.txt\`).
4. Pods and containers through CRI (\`cri.py runp/create/start\`, the request JSON as a kubelet
   would fill it: metadata, the \`io.kubernetes.*\` labels, \`kubernetes.io/config.*\` annotations,
   \`io.kubernetes.container.*\` annotations, log directory and log path, mounts of etc-hosts,
   termination-log and the service-account token, cgroup parent \`/kubepods/besteffort/pod<uid>\`).
   **All pods use the node's network namespace** (\`hostNetwork\`): there is no CNI plugin on this
   machine, so pod sandboxes with their own network namespace cannot be set up.
5. Ground truth printed by containerd (through CRI and \`ctr\`), file hashes, then **while containerd
   and the containers ran**: \`sync; fsfreeze -f\`, copy of containerd's two bbolt files, \`cp --sparse=always\`
   of the disk, \`fsfreeze -u\`. The journal is clean.

### What the builder wrote by hand, in the kubelet's layout (not written by containerd)

* \`/var/lib/kubelet/pods/<uid>/\` for each pod: \`etc-hosts\` ("# Kubernetes-managed hosts file (host network)."
  + the node's hosts file), \`plugins/\`, \`volumes/\`, \`containers/<container>/<8 hex>\` termination-message
  files (mode 0666, empty).
* Service-account token volumes \`volumes/kubernetes.io~projected/kube-api-access-<5 chars>/\` in the
  AtomicWriter layout: \`..<UTC YYYY_MM_DD_HH_MM_SS>.<9 digits>/{token,ca.crt,namespace}\`, \`..data\` ->
  that directory, \`token\`/\`ca.crt\`/\`namespace\` -> \`..data/<name>\`. The **token is JWT-shaped**:
  header \`{"alg":"RS256","kid":"husk-test-kid-0001"}\`, a real bound-token claim set
  (\`aud\`, \`exp\` = iat + 3607, \`iat\`, \`iss\`, \`kubernetes.io\` {namespace, node, pod {name, uid},
  serviceaccount {name, uid}, warnafter}, \`nbf\`, \`sub\` = \`system:serviceaccount:<ns>:<sa>\`), and a
  **fake signature** (256 bytes from sha256 of \`HUSK-FAKE-SIGNATURE-<pod uid>-<n>\`, no key involved).
* web's emptyDir volume \`volumes/kubernetes.io~empty-dir/cache/\` (mounted at \`/srv/www/cache\` in
  init-perms and web; the files in it were written by those containers, except \`.go-2\` and \`.go-3\`:
  empty files the builder dropped there to let web go on after each log rotation).
* \`/var/log/containers/<pod>_<ns>_<container>-<container id>.log\` symlinks -> \`/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log\`
  (\`truth/var-log-containers.tsv\`).
* **Log rotation** of web's \`0.log\`, done as the kubelet's container log manager does it: rename
  \`0.log\` -> \`0.log.<YYYYMMDD-hhmmss>\` (node local time = UTC), CRI \`ReopenContainerLog\` (containerd
  then reopens \`0.log\`), then gzip the older rotated files through \`<name>.gz.tmp\` -> \`<name>.gz\` and
  remove the plain file; the newest rotated file stays uncompressed. Done twice, so web has \`0.log\`,
  one \`0.log.<ts>\` and one \`0.log.<ts>.gz\` (\`truth/pod-logs.tsv\`).
* The kubelet's cleanup of the deleted pod \`batch/$REP_POD\` (after \`StopPodSandbox\` + \`RemovePodSandbox\`):
  its \`/var/log/pods/...\` directory, \`/var/lib/kubelet/pods/<uid>/\` and \`/var/log/containers\` symlink were
  removed with \`rm\`. Before that, \`truth/removed/report/\` got their hashes and paths and
  \`truth/cri/inspect/report.json\`, \`truth/cri/inspectp/report.json\` the CRI view.
* The kubelet's garbage collection of the one-off pod \`default/$PROBE_POD\`, **right before imaging**:
  \`StopPodSandbox\`, \`RemoveContainer\` (and, as the kubelet's \`removeContainerLog\` does, the container's
  log file \`probe/0.log\` and its \`/var/log/containers\` symlink deleted with \`rm\`), \`RemovePodSandbox\`.
  The kubelet's later passes had not run: the pod's \`/var/log/pods/...\` directory and
  \`/var/lib/kubelet/pods/<uid>/\` stay. Because nothing ran after it, containerd's freed \`meta.db\` pages
  may still hold the removed records. Before removal, \`truth/removed/probe/\` got \`ctr containers info\` of the
  container and of the sandbox, the log file itself (\`0.log\`) and the node paths.
* The static pod manifest \`/etc/kubernetes/manifests/node-agent.yaml\` (the attacker's persistence in
  this story). A kubelet would start it; here the builder started it through CRI as the kubelet
  would: name \`node-agent-$NAME\`, UID = the manifest's MD5 (\`$AG_UID\`; kubelets use a hash of the
  manifest), annotations \`kubernetes.io/config.source=file\`, \`kubernetes.io/config.hash=<uid>\`.

## Pods

| pod | uid | sandbox id | state at imaging | removed | source |
|---|---|---|---|---|---|
$(pod_rows)

## Containers

| container | pod | id | state at imaging | removed |
|---|---|---|---|---|
$(ctr_rows)

* **init-perms** (exited 0, pod web): writes \`README\` into the emptyDir \`cache\`; a short "init container" (run before web, like the kubelet runs
  init containers). Its log \`init-perms/0.log\`.
* **web** (running, pod web, image husk.local/web:2.3, seccomp RuntimeDefault): 350 access lines on
  stdout, a warning on stderr after every 25th of the first 200, one **40,028-byte stdout line**
  (\`LONGLINE-BEGIN W…W LONGLINE-END\`) that containerd split into two \`P\` pieces of 16,384 bytes and a final \`F\`
  piece, then (after the two rotations) writes \`/srv/www/cache/s.php\` (web shell), prints the first
  24 characters of its service-account token, deletes \`/srv/www/index.html\` (a whiteout over the
  image layer), appends a uid-0 user to \`/etc/passwd\`, and \`exec\`s busybox httpd.
  Mounts: the SA token volume (ro) at \`/var/run/secrets/kubernetes.io/serviceaccount\`, etc-hosts,
  termination-log.
* **report** (pod batch/$REP_POD, removed): wrote \`/work/out/export.csv\` (500 rows \`HUSK-G-REPORT row …\`),
  logged an upload to 203.0.113.50 on stderr, exited 0; then its pod was stopped and removed (see above).
* **probe** (pod default/$PROBE_POD, removed last): image husk.local/node-agent:1.0, \`/etc\` of the node mounted
  read-only at \`/host-etc\`; printed \`HUSK-G-PROBE\` on stdout and a fake API key
  (\`HUSK-G-PROBE-SECRET\`) on stderr, wrote \`/tmp/probe.out\` and exited 0; then removed (see above).
* **agent** (running, static pod kube-system/node-agent-$NAME, sandbox \`privileged\` with host network,
  PID and IPC namespaces): capabilities added SYS_ADMIN, SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH, seccomp
  and AppArmor unconfined, **hostPath \`/\` mounted at \`/host\`** (propagation private: the chroot's / is not a shared mount, so host-to-container is refused). Its
  command writes \`/etc/cron.d/kube-health\` and an attacker key into \`/root/.ssh/authorized_keys\` on the
  node, copies the service-account tokens of the pods on the node (web's) into its own \`/tmp/.loot/\`
  ("collected 1 credentials"); its copy of \`/var/lib/kubelet/pki/kubelet-client-current.pem\` fails (a stderr
  line): that symlink is absolute, so through \`/host\` it points into the container's own root.
* **debug** (same static pod, \`privileged: true\`): $( [ "$DEBUG_START" = ok ] && echo "started and running." || echo "created; **its start failed** on this machine (a privileged container needs every capability, and this machine's bounding set lacks CAP_SYS_RESOURCE): \`$DEBUG_START\`. It stays in CONTAINER_CREATED state, realistic evidence of an attempted privileged container.")

## Ground truth (\`truth/\`)

| file | content |
|---|---|
| \`pods.tsv\`, \`containers.tsv\` | names, namespaces, UIDs, full IDs, CRI state at imaging time, removed or not, log path |
| \`cri/version.json\` | CRI \`Version\` |
| \`cri/pods.json\`, \`cri/ps.json\`, \`cri/images.json\` | CRI \`ListPodSandbox\`, \`ListContainers\`, \`ListImages\` as JSON (protobuf JSON names, as \`crictl -o json\` prints) |
| \`cri/inspectp/<pod>.json\`, \`cri/inspect/<container>.json\` | CRI \`PodSandboxStatus\` / \`ContainerStatus\` with \`verbose=true\`: \`status\` and containerd's \`info\` (its OCI runtime spec, pid, snapshot key, sandbox config), as \`crictl inspectp/inspect\`; the removed pod's were taken just before removal |
| \`ctr/diff/<container>.tar-tv.txt\` | containerd's own diff of each live container's writable snapshot against the image (\`ctr snapshots diff\`, uncompressed tar, listed with \`tar -tvf\`), taken right after the disk was copied |
| \`ctr/\` | \`ctr -n k8s.io\` (containerd's own client) listings: \`namespaces ls\`, \`containers ls\`, \`containers/<id>.json\` (\`containers info\`), \`tasks ls\`, \`images ls\`, \`images/<name>.check.txt\`, \`content ls\`, \`leases ls\`, \`snapshots ls\`, \`snapshots/<key>.json\` (\`snapshots info\`), \`snapshots/<key>.mounts.txt\` (\`snapshots mounts\`, shows the \`snapshots/<n>/fs\` directories), \`version.txt\` |
| \`containerd-db/meta.db\`, \`containerd-db/overlayfs-metadata.db\` | exact copies of \`/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db\` and \`/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/metadata.db\`, taken while frozen (identical to the files on the image; checked); \`sha256.txt\`, \`node-paths.tsv\` |
| \`containerd-db/*.txt\` | a readable dump of the live bbolt tree of each file (\`scripts/testimg/cri/boltdump.py\`, written for this project: a helper for reading, not a containerd output) |
| \`containerd-root.tsv\` | \`find /var/lib/containerd -maxdepth 4\`: path, type, size |
| \`pod-logs.tsv\` | each CRI log file under /var/log/pods at imaging time: lines, stdout/stderr lines, \`P\`/\`F\` tags, first and last timestamp (gz files counted after decompression) |
| \`var-log-pods/\` | a copy of the node's \`/var/log/pods\` tree (the log files as containerd wrote them) |
| \`var-log-containers.tsv\` | the \`/var/log/containers\` symlinks and their targets |
| \`files.sha256\` | sha256 of the files under /var/log/pods, /var/lib/kubelet, /etc/kubernetes, /etc/containerd and of the files the agent wrote |
| \`removed/report/\` | the removed pod: node paths, sha256 of its files before removal, its log file (\`0.log\`), its writable snapshot's upper directory (\`upper-dir.txt\`, \`upper.tsv\`, \`upper.sha256\`), its CRI container directory listing |
| \`removed/probe/\` | the pod removed right before imaging: \`ctr containers info\` of its container and sandbox, its log file, node paths, its writable snapshot's upper directory (\`upper-dir.txt\`, \`upper.tsv\`: type and path of every entry, \`upper.sha256\`) as \`ctr snapshots mounts\` named it |
| \`paths.tsv\` | containerd root, CRI root, web's token volume, every container's log path |
| \`debug-start.txt\` | the result of starting the privileged container |
| \`engine.txt\`, \`layout.txt\`, \`imaging-time.txt\`, \`disk-size-bytes.txt\` | |

## Deviations from a production node

* No kubelet, no API server: the kubelet-side files listed above were made by the builder in the kubelet's layout.
* Host network for every pod (no CNI); so no \`/var/run/netns\`, no pod IPs.
* The pause image is a busybox \`sleep\`, named \`husk.local/pause:3.9\`; images were imported, not pulled
  (no \`containerd.io/distribution.source.*\` labels).
* \`restrict_oom_score_adj = true\`, because the build machine lacks CAP_SYS_RESOURCE (so the privileged
  debug container, $( [ "$DEBUG_START" = ok ] && echo "which did start, has every capability but that one" || echo "whose start failed, could not get every capability")).
* The node is a chroot on the build machine: \`/usr\` is empty on the image, \`/run\` (tmpfs) is empty, so
  no containerd state directory, no shim sockets.
EOF2
