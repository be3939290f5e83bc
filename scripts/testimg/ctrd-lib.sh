# shellcheck shell=bash
# Helpers for the containerd test images (f: Docker on the containerd image store, g: a
# Kubernetes-style containerd node driven through CRI). Sourced after lib.sh.
#
#   * trixie_unpack: Debian 13's docker.io / docker-cli / containerd unpacked with
#     `apt-get download` + `dpkg -x` into a folder of their own (never installed), through a
#     private apt configuration (this machine's sources are not touched);
#   * node_daemons_start / node_daemons_stop: a shell script run chrooted in the node root
#     under docker-init, in its own PID and UTS namespace (like lib.sh's dockerd_start);
#   * ctr helpers and ground-truth capture of containerd's own listings.

# where trixie's binaries are mounted inside the chroot: a directory on the node's /run tmpfs,
# so nothing of it reaches the node's disk
TRIXIE_IN_NODE=/run/trixie
TRIXIE_CACHE=${TRIXIE_CACHE:-/var/tmp/husk-trixie}

trixie_unpack() { # -> sets TRIXIE_ROOT (on this machine)
    local a=$TRIXIE_CACHE
    TRIXIE_ROOT="$a/root"
    if [ -x "$TRIXIE_ROOT/usr/sbin/dockerd" ] && [ -x "$TRIXIE_ROOT/usr/bin/containerd" ] &&
        [ -x "$TRIXIE_ROOT/usr/bin/docker" ]; then
        return 0
    fi
    log "fetching Debian 13 (trixie) docker.io, docker-cli, containerd (apt-get download, private apt config)"
    rm -rf "$a"; mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/debs" "$TRIXIE_ROOT"
    cat >"$a/trixie.sources" <<'EOS'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    local o=(-o "Dir::Etc::sourcelist=$a/trixie.sources" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$a/lists"
        -o "Dir::Cache=$a/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
    apt-get "${o[@]}" update >"$a/apt-update.log" 2>&1 || { cat "$a/apt-update.log" >&2; die "apt-get update (trixie) failed"; }
    (cd "$a/debs" && apt-get "${o[@]}" download docker.io docker-cli containerd) >"$a/apt-download.log" 2>&1 ||
        { cat "$a/apt-download.log" >&2; die "apt-get download (trixie) failed"; }
    local d
    for d in "$a"/debs/*.deb; do dpkg -x "$d" "$TRIXIE_ROOT"; done
    (cd "$a/debs" && ls) >"$a/debs.txt"
}

NODE_NS_PID=""
NODE_DAEMON_LOG=""
# run SCRIPT (a node path, on the node's /run tmpfs) chrooted in $M under docker-init -g
# (signals go to the whole process group), in own PID + UTS namespaces
node_daemons_start() { # node-script wait-socket(node path)
    local script=$1 sock=$2
    NODE_DAEMON_LOG="$W/node-daemons.log"
    cat >"$W/node-init.sh" <<EOS
set -e
hostname "${NODE_HOSTNAME:-node}"
mount -t proc proc "$M/proc"
exec /usr/bin/docker-init -g -- chroot "$M" /bin/sh "$script"
EOS
    unshare -p -u -f --kill-child bash "$W/node-init.sh" >"$NODE_DAEMON_LOG" 2>&1 </dev/null &
    NODE_NS_PID=$!
    push_cleanup 'node_daemons_stop'
    local i
    for i in $(seq 1 120); do
        [ -S "$M$sock" ] && return 0
        kill -0 "$NODE_NS_PID" 2>/dev/null || { cat "$NODE_DAEMON_LOG" >&2; die "node daemons died"; }
        sleep 0.5
    done
    die "socket $sock did not appear"
}

node_daemons_stop() {
    [ -n "$NODE_NS_PID" ] || return 0
    if kill -0 "$NODE_NS_PID" 2>/dev/null; then
        local init i
        init=$(cat "/proc/$NODE_NS_PID/task/$NODE_NS_PID/children" 2>/dev/null || true)
        [ -n "$init" ] && kill -TERM $init 2>/dev/null || true
        for i in $(seq 1 60); do
            kill -0 "$NODE_NS_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$NODE_NS_PID" 2>/dev/null || true
    fi
    wait "$NODE_NS_PID" 2>/dev/null || true
    NODE_NS_PID=""
    mountpoint -q "$M/proc" && umount "$M/proc" || true
}

# ctr (from CTR_BIN) against the node's containerd socket, as seen from this machine
ctrn() { "$CTR_BIN" --address "$M/run/containerd/containerd.sock" "$@"; }

# containerd's own listings for namespace NS into $T/ctr/
capture_ctr() { # ns
    local ns=$1 d="$T/ctr" id k sn
    mkdir -p "$d/containers" "$d/snapshots" "$d/images"
    ctrn version >"$d/version.txt" 2>&1 || true
    ctrn namespaces ls >"$d/namespaces.txt"
    ctrn -n "$ns" containers ls >"$d/containers.txt"
    ctrn -n "$ns" tasks ls >"$d/tasks.txt"
    ctrn -n "$ns" images ls >"$d/images.txt"
    ctrn -n "$ns" content ls >"$d/content.txt"
    ctrn -n "$ns" leases ls >"$d/leases.txt"
    ctrn -n "$ns" snapshots --snapshotter overlayfs ls >"$d/snapshots.txt"
    ctrn -n "$ns" snapshots --snapshotter overlayfs usage >"$d/snapshots-usage.txt" 2>&1 || true
    for id in $(ctrn -n "$ns" containers ls -q); do
        ctrn -n "$ns" containers info "$id" >"$d/containers/$id.json"
    done
    # snapshot keys: first column (keys have no spaces)
    for k in $(awk 'NR > 1 {print $1}' "$d/snapshots.txt"); do
        sn=$(printf '%s' "$k" | tr '/:' '__')
        ctrn -n "$ns" snapshots --snapshotter overlayfs info "$k" >"$d/snapshots/$sn.json"
        ctrn -n "$ns" snapshots --snapshotter overlayfs mounts /mnt "$k" >"$d/snapshots/$sn.mounts.txt" 2>/dev/null || true
    done
    for k in $(ctrn -n "$ns" images ls -q); do
        sn=$(printf '%s' "$k" | tr '/:@' '___')
        ctrn -n "$ns" images check "$k" >"$d/images/$sn.check.txt" 2>&1 || true
    done
}

# containerd's bbolt databases: exact copies, taken while the node fs is frozen
copy_containerd_dbs() {
    local r="$M/var/lib/containerd"
    mkdir -p "$T/containerd-db"
    cp "$r/io.containerd.metadata.v1.bolt/meta.db" "$T/containerd-db/meta.db"
    cp "$r/io.containerd.snapshotter.v1.overlayfs/metadata.db" "$T/containerd-db/overlayfs-metadata.db"
    (cd "$T/containerd-db" && sha256sum meta.db overlayfs-metadata.db) >"$T/containerd-db/sha256.txt"
    printf '/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db\tmeta.db\n/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/metadata.db\toverlayfs-metadata.db\n' \
        >"$T/containerd-db/node-paths.tsv"
    # directory listing of the containerd root (names, types, sizes), for ls checks
    (cd "$M" && find var/lib/containerd -maxdepth 4 -printf '/%p\t%y\t%s\n' | sort) >"$T/containerd-root.tsv"
}

# dump of a bbolt file as a tree (python, read-only, for people: not used by the tests)
bolt_dump() { # db out
    /usr/bin/python3 "$HERE/cri/boltdump.py" "$1" >"$2"
}
