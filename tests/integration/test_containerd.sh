#!/usr/bin/env bash
# containerd nodes against what containerd and Docker printed (testdata/node-f-containerd-store:
# Docker 26.1 on the containerd image store; testdata/node-g-k8s-containerd: containerd's CRI
# plugin driven as a kubelet would): containers with their pods, rights and logs, images,
# snapshots, and diffs equal to `docker diff`.
. "$(dirname "$0")/lib.sh"

# ---- node-g: Kubernetes-style containerd node --------------------------------------------
# CRI times are Unix nanoseconds
ns_rfc() { python3 -c "import sys,datetime; n=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(n//10**9, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%09dZ' % (n % 10**9))" "$1"; }

G=node-g-k8s-containerd
T=$TESTDATA/$G/truth
db=$WORK/ctrd-g.db
rm -f "$db"
"$HUSK" analyse -q "$(raw_image $G)" -o "$db"
check_eq "node-g: analyse" 0 $?
check_eq "node-g: no damage recorded" 0 "$(sql "$db" "select count(*) from errors where phase != 'recovery'")"
while IFS=$'\t' read -r cname pod id state removed log_path; do
    [ "$cname" = container ] && continue
    [ "$removed" = no ] || continue
    uid=$(awk -F'\t' -v p="$pod" '$1 == p {print $3}' "$T/pods.tsv")
    ins=$T/cri/inspect/$cname.json
    want_state=$(jq -r '.status.state' "$ins" | sed 's/CONTAINER_//' | tr 'A-Z' 'a-z')
    check_eq "node-g: $cname: runtime, namespace, name, pod, state" \
        "containerd|k8s.io|$cname|$uid|$want_state" \
        "$(sql "$db" "select runtime, namespace, name, pod_uid, state from containers where id = '$id'")"
    check_eq "node-g: $cname: image as CRI names it" "$(jq -r '.status.image.image' "$ins")" \
        "$(sql "$db" "select image_ref from containers where id = '$id'")"
    # CRI times are Unix nanoseconds
    for t in created:createdAt started:startedAt; do
        col=${t%%:*} key=${t#*:}
        ns=$(jq -r ".status.$key" "$ins")
        want=$(python3 -c "import sys,datetime; n=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(n//10**9, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%09dZ' % (n % 10**9))" "$ns")
        [ "$col" = created ] && col=created
        [ "$col" = started ] && col=started_at
        check_eq "node-g: $cname: $col" "$want" "$(sql "$db" "select $col from containers where id = '$id'")"
    done
    # rights from the OCI spec: capabilities beyond Docker's default set
    spec=$(jq -c '.info.info.runtimeSpec' "$ins")
    want_caps=$(jq -r '.process.capabilities.bounding // [] | .[] | sub("^CAP_"; "")' <<<"$spec" |
        grep -vxE 'CHOWN|DAC_OVERRIDE|FSETID|FOWNER|MKNOD|NET_RAW|SETGID|SETUID|SETFCAP|SETPCAP|NET_BIND_SERVICE|SYS_CHROOT|KILL|AUDIT_WRITE' | sort | paste -sd' ')
    check_eq "node-g: $cname: added capabilities" "$want_caps" \
        "$(sql "$db" "select j.value from containers c, json_each(c.cap_add) j where c.id = '$id'" | sort | paste -sd' ')"
    check_eq "node-g: $cname: privileged as the CRI config says" \
        "$(jq -r '.info.info.config.linux.security_context.privileged // false | if . then 1 else 0 end' "$ins")" \
        "$(sql "$db" "select privileged from containers where id = '$id'")"
    check_eq "node-g: $cname: host paths mounted" \
        "$(jq -r '.status.mounts[] | "\(.hostPath):\(.containerPath)"' "$ins" | sort | paste -sd' ')" \
        "$(jq -r '.status.mounts[] | .containerPath' "$ins" | while read -r cp; do sql "$db" "select source || ':' || destination from mounts where container_id = '$id' and destination = '$cp'"; done | sort | paste -sd' ')"
    # logs: every message of the CRI files (P pieces joined), oldest file first
    dir=$T/var-log-pods/$(basename "$(dirname "$(dirname "$log_path")")")/$cname
    want=$(python3 - "$dir" <<'PY'
import gzip, os, sys
d = sys.argv[1]
names = sorted(n for n in os.listdir(d) if n != "0.log") + ["0.log"]
out, pend = [], {}
for n in names:
    data = (gzip.open if n.endswith(".gz") else open)(os.path.join(d, n), "rb").read()
    for line in data.split(b"\n"):
        if not line:
            continue
        t, s, tag, msg = line.split(b" ", 3) if line.count(b" ") >= 3 else line.split(b" ", 2) + [b""]
        first, text = pend.get(s, (t, b""))
        text += msg
        if tag.startswith(b"P"):
            pend[s] = (first, text)
        else:
            pend.pop(s, None)
            out.append("%d %s" % (len(text), s.decode()))
print("\n".join(out))
PY
)
    got=$(sql "$db" "select length(cast(message as blob)) || ' ' || stream from logs where container_id = '$id' order by seq")
    check_eq "node-g: $cname: every log message, lengths and streams in order" "$want" "$got"
done <"$T/containers.tsv"
# husk inspect of a containerd container: its record as `ctr containers info` printed it
for f in "$T"/ctr/containers/*.json; do
    cid=$(jq -r .ID "$f")
    check_eq "node-g: inspect ${cid:0:12}: ID, labels, image, snapshot key, snapshotter and OCI spec as ctr containers info" \
        "$(jq -S -c '{ID, Labels, Image, SnapshotKey, Snapshotter, Spec}' "$f")" \
        "$("$HUSK" inspect "$db" "$cid" | jq -S -c '.[0] | {ID, Labels, Image, SnapshotKey, Snapshotter, Spec}')"
done
check_eq "node-g: web's 40,028-byte line came back whole from its P and F pieces" 1 \
    "$(sql "$db" "select count(*) from logs l join containers c on c.id = l.container_id where c.name = 'web' and length(l.message) = 40028 and l.message like 'LONGLINE-BEGIN%LONGLINE-END'")"
while IFS=$'\t' read -r pod pns uid sandbox state removed source; do
    [ "$pod" = pod ] && continue
    [ "$removed" = no ] || continue
    check_eq "node-g: pod $pns/$pod with its sandbox" "$pod|$pns|$sandbox" \
        "$(sql "$db" "select name, namespace, sandbox_id from pods where uid = '$uid'")"
    key=$(case $pod in web-6d9f7c5b8-*) echo web ;; node-agent-*) echo agent ;; esac)
    check_eq "node-g: timeline: pod $pod created when CRI says its sandbox was" \
        "$(ns_rfc "$(jq -r .status.createdAt "$T/cri/inspectp/$key.json")")" \
        "$(sql "$db" "select time from timeline where source = 'pod' and src_table = 'pods' and description like 'pod $pns/$pod created%'")"
    # containerd 1.6 keeps sandbox states in memory: ready is inferred from a running container
    check_eq "node-g: pod $pod: $state as CRI said (inferred from its running containers)" \
        "$(sed 's/^SANDBOX_READY$/ready/; s/^SANDBOX_NOTREADY$/unknown/' <<<"$state")" \
        "$(sql "$db" "select state from pods where uid = '$uid'")"
    check_eq "node-g: pod $pod: host network as the sandbox config says" \
        "$(jq -r '.info.info.config.linux.security_context.namespace_options.network // 0 | if . == 2 then 1 else 0 end' "$T/cri/inspectp/$( case $pod in web-6d9f7c5b8-*) true ;; *) false ;; esac && echo web || echo agent).json")" \
        "$(sql "$db" "select host_network from pods where uid = '$uid'")"
done <"$T/pods.tsv"
check_eq "node-g: images as CRI lists them (config digests)" \
    "$(jq -r '.images[].id' "$T/cri/images.json" | sort | paste -sd' ')" \
    "$(sql "$db" "select id from images" | sort | paste -sd' ')"
check_eq "node-g: images' sizes as CRI lists them (manifest, config and layers)" \
    "$(jq -r '.images[] | "\(.id) \(.size)"' "$T/cri/images.json" | sort | paste -sd' ')" \
    "$(sql "$db" "select id || ' ' || size from images" | sort | paste -sd' ')"
check_eq "node-g: snapshots as ctr lists them" \
    "$(awk 'NR > 1 {print $1}' "$T/ctr/snapshots.txt" | sort | paste -sd' ')" \
    "$(sql "$db" "select key from containerd_snapshots where namespace = 'k8s.io'" | sort | paste -sd' ')"
# every live container's diff against containerd's own (`ctr snapshots diff`, a tar of the
# changed entries with .wh. whiteouts): the same paths, deletions as deletions
for f in "$T"/ctr/diff/*.tar-tv.txt; do
    k=$(basename "$f" .tar-tv.txt)
    kid=$(awk -F'\t' -v k="$k" '$1 == k {print $3}' "$T/containers.tsv")
    check_eq "node-g: $k: diff equals containerd's snapshot diff (paths, whiteouts as deletions)" \
        "$(awk '{print $NF}' "$f" | sed 's#/$##; s#^#/#; s#/\.wh\.\([^/]*\)$#/\1|D#' | sort)" \
        "$(sql "$db" "select path || case when change = 'D' then '|D' else '' end from container_diff where container_id = '$kid'" | sort)"
done
web=$(awk -F'\t' '$1 == "web" {print $3}' "$T/containers.tsv")
check_eq "node-g: web's diff: the deleted index.html and its changed /etc/passwd" "C /etc/passwd D /srv/www/index.html" \
    "$(sql "$db" "select change || ' ' || path from container_diff where container_id = '$web' and path in ('/etc/passwd', '/srv/www/index.html') order by path" | paste -sd' ')"
agent=$(awk -F'\t' '$1 == "agent" {print $3}' "$T/containers.tsv")
check_eq "node-g: findings: agent mounts the node's root" 1 \
    "$(sql "$db" "select count(*) from findings where rule = 'host-root-mount' and container_id = '$agent'")"
agent_sb=$(awk -F'\t' '$1 == "node-agent-node-g" {print $4}' "$T/pods.tsv")
check_eq "node-g: findings: the static pod (config source 'file'), with its host access and manifest" \
    "static-pod|medium|$agent_sb|1|1" \
    "$(sql "$db" "select rule, severity, container_id, evidence like '%host network, host PID, host IPC%', evidence like '%$(awk -F'\t' '$1 == "static_manifest" {print $2}' "$T/paths.tsv")%' from findings where rule = 'static-pod'")"
check_eq "node-g: findings: the kubelet's own per-pod mounts are not flagged" 0 \
    "$(sql "$db" "select count(*) from findings where rule = 'sensitive-host-mount' and (path like '/var/lib/kubelet/pods/%' or path like '%io.containerd.grpc.v1.cri/sandboxes/%')")"

# ---- node-g: pods and containers removed before imaging ----------------------------------
# CRI times are Unix nanoseconds; CRI log times RFC 3339 with up to nine digits
cri_log_lines() { # CRI log file -> "TIME9 STREAM MESSAGE" lines (F lines only; P pieces joined)
    python3 - "$1" <<'PY'
import re, sys
pend = {}
for line in open(sys.argv[1], "rb").read().split(b"\n"):
    if not line:
        continue
    t, s, tag, msg = line.split(b" ", 3)
    m = re.match(rb"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", t)
    t9 = m.group(1).decode() + "." + (m.group(2) or b"").decode().ljust(9, "0") + "Z"
    first, text = pend.get(s, (t9, b""))
    text += msg
    if tag.startswith(b"P"):
        pend[s] = (first, text)
    else:
        pend.pop(s, None)
        print(first, s.decode(), text.decode())
PY
}
probe=$(awk -F'\t' '$1 == "probe" {print $3}' "$T/containers.tsv")
probe_sb=$(awk -F'\t' '$1 == "sandbox_id" {print $2}' "$T/removed/probe/node-paths.tsv")
info=$T/removed/probe/ctr-info.json
check_eq "node-g: probe (removed last): rebuilt from meta.db's free pages, as removed" \
    "removed|bolt-free|k8s.io|containerd" \
    "$(sql "$db" "select state, recovered_from, namespace, runtime from containers where id = '$probe'")"
check_eq "node-g: probe: name, pod, sandbox and image as containerd recorded them" \
    "$(jq -r '[.Labels["io.kubernetes.container.name"], .Labels["io.kubernetes.pod.uid"], .Spec.annotations["io.kubernetes.cri.sandbox-id"], .Image] | join("|")' "$info")" \
    "$(sql "$db" "select name, pod_uid, sandbox_id, image_ref from containers where id = '$probe'")"
check_eq "node-g: probe: inspect gives the OCI spec containerd held before removal" \
    "$(jq -S -c .Spec "$info")" "$("$HUSK" inspect "$db" "$probe" | jq -S -c '.[0].Spec')"
check_eq "node-g: probe: command as its OCI spec" \
    "$(jq -c '.Spec.process.args[1:]' "$info")|$(jq -r '.Spec.process.args[0]' "$info")" \
    "$(sql "$db" "select args, path from containers where id = '$probe'")"
check_eq "node-g: probe: the node's /etc bind-mounted read-only, as its spec says" \
    "$(jq -r '.Spec.mounts[] | select(.destination == "/host-etc") | "\(.source):\(.destination):ro"' "$info")" \
    "$(sql "$db" "select j.value from containers c, json_each(c.binds) j where c.id = '$probe' and j.value like '%:/host-etc%'")"
ins=$T/cri/inspect/probe.json
check_eq "node-g: probe: created, started, finished and exit code (from its deleted CRI status file)" \
    "$(ns_rfc "$(jq -r .status.createdAt "$ins")")|$(ns_rfc "$(jq -r .status.startedAt "$ins")")|$(ns_rfc "$(jq -r .status.finishedAt "$ins")")|$(jq -r .status.exitCode "$ins")" \
    "$(sql "$db" "select created, started_at, finished_at, exit_code from containers where id = '$probe'")"
check_eq "node-g: probe: every log line of its deleted log file, times to the ns" \
    "$(cri_log_lines "$T/removed/probe/0.log")" \
    "$(sql "$db" "select time || ' ' || stream || ' ' || message from logs where container_id = '$probe' order by seq")"
out=$WORK/recover-probe
rm -rf "$out"
"$HUSK" recover "$db" "$probe" --out "$out" >/dev/null 2>&1
check_eq "node-g: recover probe: its deleted log file byte for byte, its spec as config.json, its files" \
    "$(awk '{print $1}' "$T/removed/probe/files.sha256")|$(jq -S -c .Spec "$info" | sha256sum | cut -d' ' -f1)|$(awk '$2 == "/tmp/probe.out" {print $1}' "$T/removed/probe/upper.sha256")" \
    "$(sha256sum <"$out/logs/0.log" | cut -d' ' -f1)|$(jq -S -c . "$out/config.json" | sha256sum | cut -d' ' -f1)|$(sha256sum <"$out/rootfs/tmp/probe.out" | cut -d' ' -f1)"
check_eq "node-g: probe's pod: rebuilt from free pages with its sandbox" \
    "$(jq -r '[.Labels["io.kubernetes.pod.uid"], .Labels["io.kubernetes.pod.name"], .Labels["io.kubernetes.pod.namespace"], .ID] | join("|")' "$T/removed/probe/ctr-info-sandbox.json")|removed|bolt-free" \
    "$(sql "$db" "select uid, name, namespace, sandbox_id, state, recovered_from from pods where sandbox_id = '$probe_sb'")"
check_eq "node-g: probe's sandbox: image and host network as containerd recorded them" \
    "$(jq -r '.Image' "$T/removed/probe/ctr-info-sandbox.json")|$(jq -r '[.Spec.linux.namespaces[].type] | if index("network") then 0 else 1 end' "$T/removed/probe/ctr-info-sandbox.json")" \
    "$(sql "$db" "select c.image_ref, p.host_network from containers c join pods p on p.sandbox_id = c.id where c.id = '$probe_sb'")"
report=$(awk -F'\t' '$1 == "report" {print $3}' "$T/containers.tsv")
read -r rpod rns ruid rsb <<<"$(awk -F'\t' '$6 == "yes" && $1 ~ /^report-/ {print $1, $2, $3, $4}' "$T/pods.tsv")"
check_eq "node-g: report (pod deleted with its directories): container named by its deleted log link" \
    "report|$ruid|removed|containerd" \
    "$(sql "$db" "select name, pod_uid, state, runtime from containers where id = '$report'")"
# its image and rights: only meta.db held them. Where the file no longer holds its ID at all,
# nothing can give them back and husk must say so; where it does, husk must have used it.
if grep -qa "$report" "$T/containerd-db/meta.db"; then
    check_eq "node-g: report: its image from what meta.db kept of it" \
        "$(jq -r '.status.image.image' "$T/cri/inspect/report.json")" \
        "$(sql "$db" "select image_ref from containers where id = '$report'")"
else
    check_eq "node-g: report: meta.db holds nothing of it any more: no image, and the summary says so" \
        "|not-recovered" \
        "$(sql "$db" "select (select coalesce(image_ref, '') from containers where id = '$report'), (select status from recovery_summary where container_id = '$report' and item = 'config')")"
fi
check_eq "node-g: report: recovered from the journal, not live" 1 \
    "$(sql "$db" "select count(*) from containers where id = '$report' and recovered_from in ('journal', 'dirent', 'inode') and confidence > 0 and confidence < 1")"
ins=$T/cri/inspect/report.json
check_eq "node-g: report: created, started, finished and exit code (from its deleted CRI status file)" \
    "$(ns_rfc "$(jq -r .status.createdAt "$ins")")|$(ns_rfc "$(jq -r .status.startedAt "$ins")")|$(ns_rfc "$(jq -r .status.finishedAt "$ins")")|$(jq -r .status.exitCode "$ins")" \
    "$(sql "$db" "select created, started_at, finished_at, exit_code from containers where id = '$report'")"
check_eq "node-g: report: every log line of its deleted log file, in its deleted pod directory" \
    "$(cri_log_lines "$T/removed/report/0.log")" \
    "$(sql "$db" "select time || ' ' || stream || ' ' || message from logs where container_id = '$report' order by seq")"
check_eq "node-g: report's pod: its service-account token from its deleted kubelet directory (hash, subject)" \
    "$(awk '$2 ~ /kube-api-access-.*\/token$/ {print $1}' "$T/removed/report/files.sha256")|system:serviceaccount:$rns:default|1|1" \
    "$(sql "$db" "select sha256, subject, recovered_from <> 'live', token is null from sa_tokens where pod_uid = '$ruid'")"
check_eq "node-g: report's pod: from its deleted log directory, its sandbox tied by time" "$rpod|$rns|removed|$rsb" \
    "$(sql "$db" "select name, namespace, state, sandbox_id from pods where uid = '$ruid' and recovered_from <> 'live'")"
check_eq "node-g: report's sandbox: a removed container of the pod, from its deleted CRI directory" \
    "$rpod|removed|$ruid|0.5" \
    "$(sql "$db" "select name, state, pod_uid, confidence from containers where id = '$rsb'")"
check_eq "node-g: report: in its pod's sandbox" "$rsb" "$(sql "$db" "select sandbox_id from containers where id = '$report'")"
check_eq "node-g: every snapshot ID the snapshotter allocated is live or an orphan directory" \
    "$(seq 1 "$(sed -n 's/^  snapshots\/  (sequence \([0-9]*\))$/\1/p' "$T/containerd-db/overlayfs-metadata.db.txt")" | paste -sd' ')" \
    "$(sql "$db" "select backend_id from containerd_snapshots where snapshotter = 'overlayfs' and backend_id is not null" | sort -n | uniq | paste -sd' ')"
check_eq "node-g: removed snapshots are the orphan directories, none of them live" \
    "$(awk 'NR > 1 {print $1}' "$T/ctr/snapshots.txt" | wc -l)" \
    "$(sql "$db" "select count(*) from containerd_snapshots where snapshotter = 'overlayfs' and recovered_from = 'live'")"
# the removed containers' writable snapshots: orphan snapshot directories, tied by time
for k in probe report; do
    kid=$(awk -F'\t' -v k="$k" '$1 == k {print $3}' "$T/containers.tsv")
    check_eq "node-g: $k: its writable layer's entries (type, path) as containerd mounted it" \
        "$(sed 's/^d\t/dir\t/; s/^f\t/file\t/; s/^l\t/symlink\t/' "$T/removed/$k/upper.tsv")" \
        "$(sql "$db" "select type || char(9) || path from files where container_id = '$kid' and scope = 'upper' order by path")"
    check_eq "node-g: $k: its files' SHA-256 as they were before removal" \
        "$(awk '{print $2, $1}' "$T/removed/$k/upper.sha256" | sort)" \
        "$(sql "$db" "select path || ' ' || sha256 from files where container_id = '$kid' and scope = 'upper' and type = 'file' order by path")"
    check_eq "node-g: $k: its files are no surer than the tie of their layer to it (0.6)" 1 \
        "$(sql "$db" "select max(confidence) <= 0.6 and min(confidence) > 0 from files where container_id = '$kid' and scope = 'upper'")"
    check_eq "node-g: $k: the snapshot directory it was tied to is the one containerd mounted" \
        "$(sed 's#^/var/lib/containerd/##' "$T/removed/$k/upper-dir.txt")" \
        "$(sql "$db" "select object from errors where phase = 'recovery' and message like 'container $kid: its writable layer taken to be%'" | sed 's#^/var/lib/containerd/##')"
done
check_eq "node-g: probe: with its image known, its changes are decided (/tmp changed, /tmp/probe.out added)" "C /tmp A /tmp/probe.out" \
    "$(sql "$db" "select change || ' ' || path from container_diff where container_id = '$probe' and path like '/tmp%' order by path" | paste -sd' ')"
"$HUSK" analyse -q --no-recover "$(raw_image $G)" -o "$WORK/ctrd-g-norec.db"
check_eq "node-g: --no-recover: no removed pods or containers" "0|0" \
    "$(sql "$WORK/ctrd-g-norec.db" "select (select count(*) from containers where state = 'removed'), (select count(*) from pods where state = 'removed')")"

# ---- node-f: Docker on the containerd image store ----------------------------------------
F=node-f-containerd-store
T=$TESTDATA/$F/truth
db=$WORK/ctrd-f.db
rm -f "$db"
"$HUSK" analyse -q "$(raw_image $F)" -o "$db"
rc=$?
check_eq "node-f: analyse (0, or 5 with only recovery notes)" 0 "$([ $rc -eq 0 ] || [ $rc -eq 5 ]; echo $?)"
while IFS=$'\t' read -r name id state removed how; do
    [ "$name" = name ] && continue
    [ "$removed" = no ] || continue
    check_eq "node-f: $name: Docker's container, on the overlayfs snapshotter" "docker|overlayfs|$state" \
        "$(sql "$db" "select runtime, driver, state from containers where id = '$id'")"
    if [ -f "$T/diff/$name.txt" ]; then
        check_eq "node-f: $name: diff equals docker diff (from containerd's snapshots)" \
            "$(sort "$T/diff/$name.txt")" \
            "$(sql "$db" "select change || ' ' || path from container_diff where container_id = '$id'" | sort)"
    fi
done <"$T/containers.tsv"
# gone (docker rm): its writable snapshot is an orphan directory, tied to it by time
gone=$(awk -F'\t' '$1 == "gone" {print $2}' "$T/containers.tsv")
check_eq "node-f: gone (removed): its diff equals docker diff taken before removal" \
    "$(sort "$T/diff/gone.txt")" \
    "$(sql "$db" "select change || ' ' || path from container_diff where container_id = '$gone'" | sort)"
check_eq "node-f: gone: the snapshot directory it was tied to is the one containerd mounted" \
    "$(grep -o 'upperdir=[^,]*' "$T/removed/gone/snapshot-mounts.txt" | cut -d= -f2)" \
    "$(sql "$db" "select object from errors where phase = 'recovery' and message like 'container $gone: its writable layer taken to be%'")"
check_eq "node-f: gone: /etc/gone-marker's SHA-256 as before removal" \
    "$(awk '$2 ~ /\/etc\/gone-marker$/ {print $1}' "$T/removed-files.sha256")" \
    "$(sql "$db" "select sha256 from files where container_id = '$gone' and path = '/etc/gone-marker'")"
# truth/removed-strings.tsv: the first records of gone-data.txt are on no block of the disk any
# more (its blocks were reused), so its content is other files' bytes: husk must not vouch for it
check_eq "node-f: gone: gone-data.txt, whose blocks were reused, is below 0.5 and not its old hash" \
    "$(awk -F'\t' '$1 == "HUSK-F-GONE record 00001" {print $2}' "$T/removed-strings.tsv")|1|1" \
    "$(sql "$db" "select 0, confidence < 0.5, sha256 <> '$(awk '$2 ~ /gone-data.txt$/ {print $1}' "$T/removed-files.sha256")' from files where container_id = '$gone' and path = '/root/loot/gone-data.txt'")"
check_eq "node-f: images as docker images lists them (ID and tags)" \
    "$(jq -r '"\(.ID) \(.Repository):\(.Tag)"' "$T/images.json" | sort | paste -sd' ')" \
    "$(sql "$db" "select i.id || ' ' || t.value from images i, json_each(i.repo_tags) t" | sort | paste -sd' ')"

# ---- node-g: the kubelet's files ----------------------------------------------------------
G=node-g-k8s-containerd
T=$TESTDATA/$G/truth
db=$WORK/ctrd-g.db
webuid=$(awk -F'\t' '$1 ~ /^web-6d9f7c5b8-/ {print $3}' "$T/pods.tsv")
tok_sha=$(awk '$2 ~ /kube-api-access-.*\/token$/ {print $1}' "$T/files.sha256")
check_eq "node-g: web's service-account token: hash, subject, pod, and not the token itself" \
    "$tok_sha|system:serviceaccount:default:web|$webuid|1" \
    "$(sql "$db" "select sha256, subject, json_extract(claims_json, '\$.\"kubernetes.io\".pod.uid'), token is null from sa_tokens where recovered_from = 'live'")"
check_eq "node-g: the token's lifetime from its claims (exp = iat + 3607 s)" 3607 \
    "$(sql "$db" "select cast(round((julianday(expires_at) - julianday(issued_at)) * 86400) as integer) from sa_tokens where recovered_from = 'live'")"
check_eq "node-g: the static pod manifest, with its content" \
    "$(awk '$2 == "/etc/kubernetes/manifests/node-agent.yaml" {print $1}' "$T/files.sha256")|1" \
    "$(sql "$db" "select sha256, content is not null from kubelet_files where kind = 'static-pod'")"
check_eq "node-g: the kubelet's kubeconfig is hashed, its content (credentials) not kept" "0" \
    "$(sql "$db" "select count(*) from kubelet_files where kind = 'kubeconfig' and content is not null")"
agent=$(awk -F'\t' '$1 == "agent" {print $3}' "$T/containers.tsv")
check_eq "node-g: findings: web's token is within reach of agent (it mounts /)" \
    "1|system:serviceaccount:default:web" \
    "$(sql "$db" "select count(*), group_concat(evidence) like '%system:serviceaccount:default:web%' from findings where rule = 'sa-tokens-in-reach' and container_id = '$agent'" | sed 's/|1$/|system:serviceaccount:default:web/')"
check_eq "node-g: findings: a pod's own token is not flagged" 0 \
    "$(sql "$db" "select count(*) from findings where rule = 'sa-tokens-in-reach' and container_id in (select id from containers where pod_uid = '$webuid')")"
kdb=$WORK/ctrd-g-keep.db
rm -f "$kdb"
"$HUSK" analyse -q --keep-secrets "$(raw_image $G)" -o "$kdb"
check_eq "node-g: --keep-secrets keeps the token, whose hash is the file's" "$tok_sha" \
    "$(sql "$kdb" "select token from sa_tokens where recovered_from = 'live'" | tr -d '\n' | sha256sum | cut -d' ' -f1)"
T=$TESTDATA/node-f-containerd-store/truth
db=$WORK/ctrd-f.db
for img in husk_base_1.0 husk_web_2.3; do
    ref=$(echo "$img" | sed 's/_/\//; s/_/:/')
    check_eq "node-f: history of $ref: steps, times, commands and comments as docker history printed" \
        "$(jq -r '"\(.CreatedAt)|\(.CreatedBy)|\(.Comment)"' "$T/history/$img.json")" \
        "$("$HUSK" history --json "$db" "$ref" | jq -r '"\(.CreatedAt)|\(.CreatedBy)|\(.Comment)"')"
done

# ---- node-g: /var/log/containers ----------------------------------------------------------
T=$TESTDATA/node-g-k8s-containerd/truth
db=$WORK/ctrd-g.db
check_eq "node-g: /var/log/containers links and their targets" \
    "$(sort "$T/var-log-containers.tsv" | tr '\t' '|')" \
    "$(sql "$db" "select path, target from pod_log_links" | sort)"
check_eq "node-g: each link names its container's ID, pod and container as the case knows them" 0 \
    "$(sql "$db" "select count(*) from pod_log_links l left join containers c on c.id = l.container_id where c.name is not l.container or c.pod_uid is null")"
