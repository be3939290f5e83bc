#!/usr/bin/env bash
# The containerd node images (testdata/node-f-containerd-store: Docker 26.1 on the containerd
# image store; testdata/node-g-k8s-containerd: a Kubernetes-style containerd 1.6 node made
# through CRI) against their ground truth, for what husk reads today: the data roots,
# containerd's directory tree and bbolt files byte for byte, the kubelet's files and the CRI
# pod logs, Docker's own records on the containerd store, whiteouts and opaque directories
# in containerd's overlayfs snapshots. (The containerd parsers themselves come later.)
. "$(dirname "$0")/lib.sh"

F=node-f-containerd-store
G=node-g-k8s-containerd
SNAPS=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots

# common checks on one containerd image: LABEL NAME
check_containerd_image() {
    local label=$1 name=$2 truth=$TESTDATA/$2/truth img db js want got n sum path
    img=$(raw_image "$name")
    db=$WORK/$name.db
    check_rc "$label: analyse" 0 "$HUSK" analyse -q "$img" -o "$db"
    js=$("$HUSK" info --json "$db")
    got=$(printf '%s' "$js" | jq -r '.data_roots[] | select(.runtime == "containerd") | .path')
    check_eq "$label: info finds the containerd root" "/var/lib/containerd" "$got"
    got=$(printf '%s' "$js" | jq -r '.data_roots[] | select(.runtime == "containerd") | .storage_driver | split(",") | index("overlayfs") != null')
    check_eq "$label: containerd root has the overlayfs snapshotter" "true" "$got"

    # the snapshot directories, as find(1) listed them on the live node
    want=$(awk -F'\t' -v p="$SNAPS/" 'index($1, p) == 1 && $1 !~ "^" p "[^/]+/" {print $1}' "$truth/containerd-root.tsv" | sort)
    got=$("$HUSK" ls "$img" "$SNAPS" | awk '{print $NF}' | sort)
    check_eq "$label: ls lists the snapshot directories" "$want" "$got"
    n=$(printf '%s\n' "$want" | grep -c .)
    check_eq "$label: truth has snapshot directories" "1" "$([ "$n" -ge 3 ] && echo 1 || echo 0)"
    # top level of the containerd root (plugin directories)
    want=$(awk -F'\t' '$1 ~ "^/var/lib/containerd/[^/]+$" {print $1}' "$truth/containerd-root.tsv" | sort)
    got=$("$HUSK" ls "$img" /var/lib/containerd | awk '{print $NF}' | sort)
    check_eq "$label: ls lists the containerd plugin directories" "$want" "$got"

    # containerd's bbolt files, byte for byte equal to the copies taken while frozen
    while IFS=$'\t' read -r path copy; do
        want=$(sha256sum <"$truth/containerd-db/$copy" | awk '{print $1}')
        got=$("$HUSK" cat "$img" "$path" | sha256sum | awk '{print $1}')
        check_eq "$label: cat $path equals truth's copy" "$want" "$got"
    done <"$truth/containerd-db/node-paths.tsv"
    # the bbolt magic of meta.db's first meta page (at offset 16), as a cheap format check
    got=$("$HUSK" cat "$img" /var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db | head -c 20 | tail -c 4 | od -An -tx1 | tr -d ' \n')
    check_eq "$label: meta.db starts with a bbolt meta page" "edda0ced" "$got"

    # every file hashed on the node
    n=0
    while read -r sum path; do
        [ -n "$path" ] || continue
        n=$((n + 1))
        check_eq "$label: sha256 $path" "$sum" "$("$HUSK" cat "$img" "$path" | sha256sum | awk '{print $1}')"
    done <"$truth/files.sha256"
    check_eq "$label: files.sha256 has entries" "1" "$([ "$n" -ge 5 ] && echo 1 || echo 0)"
}

# ---------------------------------------------------------------------------------------------
# f: Docker on the containerd image store
check_containerd_image "f" "$F"
TF=$TESTDATA/$F/truth
IMGF=$(raw_image "$F")
js=$("$HUSK" info --json "$WORK/$F.db")
check_eq "f: Docker's root uses the containerd snapshotter" "containerd-overlayfs" \
    "$(printf '%s' "$js" | jq -r '.data_roots[] | select(.runtime == "docker") | .storage_driver')"
# Docker's own container records (containers/<id>/config.v2.json) on the containerd store
ps=$("$HUSK" containers --json --no-trunc "$WORK/$F.db")
while IFS=$'\t' read -r name id state removed how; do
    [ "$name" = name ] && continue
    got=$(printf '%s\n' "$ps" | jq -r --arg n "$name" 'select(.Names == $n) | .ID + " " + .State')
    check_eq "f: containers: $name" "$id $state" "$got"
done <"$TF/containers.tsv"
# overlay markers in the running web container's upper dir (a containerd snapshot fs/)
WEB_UP=$(awk -F'\t' '$1 == "web.upper" {print $2}' "$TF/paths.tsv")
check_eq "f: web's upper dir is a containerd snapshot" "1" "$(case $WEB_UP in "$SNAPS"/*/fs) echo 1 ;; *) echo 0 ;; esac)"
check_eq "f: whiteout in web's snapshot" "char (overlay whiteout)" \
    "$(stat_field "$("$HUSK" stat "$IMGF" "$WEB_UP/srv/www/index.html")" type)"
check_eq "f: opaque directory in web's snapshot" "dir (overlay opaque directory)" \
    "$(stat_field "$("$HUSK" stat "$IMGF" "$WEB_UP/opt/legacy")" type)"
while IFS=$'\t' read -r path ino fhex nlink uid gid size rest; do
    [ -n "$path" ] || continue
    out=$("$HUSK" stat "$IMGF" "$path")
    check_eq "f: stat $path" "$ino (allocated)|$nlink|$uid/$gid|$size" \
        "$(stat_field "$out" inode)|$(stat_field "$out" links)|$(stat_field "$out" uid)/$(stat_field "$out" gid)|$(stat_field "$out" size)"
done <"$TF/stat.tsv"
# no graph-driver layers on the containerd store
check_rc "f: no /var/lib/docker/overlay2" 1 "$HUSK" ls "$IMGF" /var/lib/docker/overlay2

# ---------------------------------------------------------------------------------------------
# g: Kubernetes-style containerd node
check_containerd_image "g" "$G"
TG=$TESTDATA/$G/truth
IMGG=$(raw_image "$G")
# /var/log/containers symlinks (name -> target), as the node had them
want=$(awk -F'\t' '{n = $1; sub(".*/", "", n); print n " -> " $2}' "$TG/var-log-containers.tsv" | sort)
got=$("$HUSK" ls "$IMGG" /var/log/containers | awk '{print $NF}' | sed 's#.*/##' | sort)
check_eq "g: ls /var/log/containers" "$(printf '%s\n' "$want" | sed 's/ -> .*//')" "$got"
check_eq "g: truth has /var/log/containers symlinks" "1" "$([ "$(grep -c . "$TG/var-log-containers.tsv")" -ge 3 ] && echo 1 || echo 0)"
# the CRI log files under /var/log/pods, including the rotated and gzipped ones
while IFS=$'\t' read -r file lines rest; do
    [ "$file" = file ] && continue
    case $file in
    *.gz) got=$("$HUSK" cat "$IMGG" "$file" | gzip -dc | wc -l) ;;
    *) got=$("$HUSK" cat "$IMGG" "$file" | wc -l) ;;
    esac
    check_eq "g: lines of $file" "$lines" "$got"
done <"$TG/pod-logs.tsv"
check_eq "g: a rotated, gzipped pod log exists" "1" "$(grep -c '/0\.log\.[0-9]\{8\}-[0-9]\{6\}\.gz' "$TG/pod-logs.tsv" | sed 's/^[1-9][0-9]*$/1/')"
check_eq "g: a long line was split into P pieces" "1" "$(awk -F'\t' 'NR > 1 && $5 > 0' "$TG/pod-logs.tsv" | grep -c . | sed 's/^[1-9][0-9]*$/1/')"
# the removed pod's directories are gone from the tree
while IFS=$'\t' read -r key path; do
    case $key in log_dir | kubelet_pod_dir) check_rc "g: removed pod's $key is gone" 1 "$HUSK" ls "$IMGG" "$path" ;; esac
done <"$TG/removed/report/node-paths.tsv"
# the service-account token volume in the AtomicWriter layout: token -> ..data/token
SA=$(awk -F'\t' '$1 == "web.sa_volume" {print $2}' "$TG/paths.tsv")
got=$("$HUSK" cat "$IMGG" "$SA/token" | cut -d. -f1 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .alg)
check_eq "g: web's projected token is a JWT (read through the ..data symlink)" "RS256" "$got"
