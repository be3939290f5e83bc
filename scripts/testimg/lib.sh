# shellcheck shell=bash
# Shared helpers for the test-image builders (sourced by node-a.sh and node-b.sh).
#
# What this provides:
#   * logging, a cleanup stack run on EXIT (un-freeze, stop dockerd, unmount, detach loops);
#   * the chroot "node" around a mounted node root file system and a dockerd running in it
#     (own PID namespace, own socket inside the node's /run tmpfs);
#   * a busybox-static base image tarball;
#   * ground-truth capture helpers that call Docker's own CLI.
#
# Conventions: $W is the work directory (under /var/tmp), $M the node root mount point,
# $OUT the output directory (testdata/<image>), $T = $OUT/truth.

set -euo pipefail

# The Docker CLI matching the engine (Debian's docker.io 20.10). /usr/local/bin/docker may be
# a newer static CLI; we want the ground truth printed by the 20.10 client.
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
DOCKERD_BIN=${DOCKERD_BIN:-/usr/sbin/dockerd}
# Docker's data root as a node path (node-c moves it with "data-root" in daemon.json)
DATA_ROOT=${DATA_ROOT:-/var/lib/docker}
export DOCKER_BUILDKIT=0
export TZ=UTC
export LC_ALL=C

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# cleanup stack
CLEANUP=()
push_cleanup() { CLEANUP+=("$1"); }
pop_cleanup() { unset 'CLEANUP[${#CLEANUP[@]}-1]'; }
run_cleanup() {
    local i
    set +e
    for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUP[i]}"
    done
    CLEANUP=()
    set -e
}
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        log "FAILED (rc=$rc), cleaning up"
        [ -n "${DOCKERD_LOG:-}" ] && [ -f "$DOCKERD_LOG" ] && { log "last dockerd log lines ($DOCKERD_LOG):"; tail -n 20 "$DOCKERD_LOG" >&2; }
    fi
    run_cleanup
    if [ "$rc" -eq 0 ] && [ -n "${W:-}" ] && [ -z "${HUSK_KEEP_WORK:-}" ]; then
        rm -rf "$W"
    elif [ -n "${W:-}" ]; then
        log "work directory kept: $W"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

make_workdir() {
    W=$(mktemp -d /var/tmp/husk-mk.XXXXXX)
    log "work directory $W"
}

# attach a loop device for FILE at OFFSET with SIZELIMIT; sets LOOPDEV; registers the detach.
# (not via $(...): the cleanup must be registered in this shell)
LOOPDEV=""
declare -A LOOP_LIVE=()
loop_attach() { # file offset sizelimit [ro]
    LOOPDEV=$(losetup -f --show ${4:+-r} -o "$2" --sizelimit "$3" "$1")
    LOOP_LIVE[$LOOPDEV]=1
    push_cleanup "loop_detach $LOOPDEV"
}
# detach only once: the number may be reused by someone else afterwards
loop_detach() {
    if [ -n "${LOOP_LIVE[$1]:-}" ]; then
        losetup -d "$1"
        unset "LOOP_LIVE[$1]"
    fi
}

# ---------------------------------------------------------------------------------------------
# the node root file system and the chroot around it

FROZEN=""
freeze_node() { sync; fsfreeze -f "$M"; FROZEN=1; push_cleanup 'thaw_node'; }
thaw_node() { if [ -n "$FROZEN" ]; then fsfreeze -u "$M"; FROZEN=""; fi; }

unmount_node() {
    thaw_node
    if mountpoint -q "$M"; then
        umount -R "$M" 2>/dev/null || { sleep 2; umount -R "$M" 2>/dev/null; } || umount -R -l "$M"
    fi
}

# Directory skeleton of a Debian-12-like node with merged /usr. /usr itself is an empty
# mount point on the node fs: at build time this machine's /usr is bind-mounted read-only
# over it so that dockerd, containerd and runc can run in the chroot.
node_skeleton() {
    cd "$M"
    mkdir -p usr etc root home proc sys dev run tmp srv opt mnt media boot var/lib var/log \
        var/tmp var/cache var/spool/cron/crontabs var/mail
    ln -sfn usr/bin bin; ln -sfn usr/sbin sbin; ln -sfn usr/lib lib; ln -sfn usr/lib64 lib64
    ln -sfn /run var/run; ln -sfn /run/lock var/lock
    chmod 1777 tmp var/tmp
    chmod 0700 root
    cd - >/dev/null
}

# bind mounts needed to run dockerd chrooted in $M
chroot_mounts() {
    mount --bind /usr "$M/usr"
    mount -o remount,bind,ro "$M/usr"
    mount --rbind /sys "$M/sys"
    mount --rbind /dev "$M/dev"
    mount -t tmpfs -o mode=0755,size=64m tmpfs "$M/run"
    mkdir -p "$M/run/lock"
}

# ext4 records in its superblock ("Last mounted on") the mount point as seen from the root of
# the process that first opens a regular file for writing. Do that first write from inside the
# chroot, so that the image says "/" like a real node's root, not this machine's work path.
first_write_in_chroot() {
    chroot "$M" /bin/sh -c ': >/etc/hostname'
}

# ---------------------------------------------------------------------------------------------
# dockerd in the chroot, in its own PID namespace (so nothing survives it)

DOCKERD_NS_PID=""
DOCKERD_LOG=""
docker() { "$DOCKER_BIN" "$@"; }

dockerd_start() {
    export DOCKER_HOST="unix://$M/run/docker.sock"
    export DOCKER_CONFIG="$W/docker-cli"
    mkdir -p "$DOCKER_CONFIG"
    # dockerd's own log goes to the node's /var/log/docker.log, as on a host without systemd
    DOCKERD_LOG="$M/var/log/docker.log"
    cat >"$W/dockerd-init.sh" <<EOF
set -e
hostname "${NODE_HOSTNAME:-node}"
mount -t proc proc "$M/proc"
exec >>"$DOCKERD_LOG" 2>&1
exec /usr/bin/docker-init -g -- chroot "$M" $DOCKERD_BIN \\
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \\
    --pidfile /run/docker.pid -H unix:///run/docker.sock
EOF
    # own PID namespace (nothing survives the daemon) and UTS namespace (node's host name)
    unshare -p -u -f --kill-child bash "$W/dockerd-init.sh" >"$W/dockerd-ns.log" 2>&1 </dev/null &
    DOCKERD_NS_PID=$!
    push_cleanup 'dockerd_stop'
    local i
    for i in $(seq 1 60); do
        if docker version >/dev/null 2>&1; then
            log "dockerd up ($(docker version -f '{{.Server.Version}}'))"
            return 0
        fi
        kill -0 "$DOCKERD_NS_PID" 2>/dev/null || die "dockerd died, see $DOCKERD_LOG"
        sleep 0.5
    done
    die "dockerd did not come up"
}

dockerd_stop() {
    [ -n "$DOCKERD_NS_PID" ] || return 0
    if kill -0 "$DOCKERD_NS_PID" 2>/dev/null; then
        local init i
        init=$(cat "/proc/$DOCKERD_NS_PID/task/$DOCKERD_NS_PID/children" 2>/dev/null || true)
        # docker-init forwards SIGTERM to dockerd, which stops its containers and exits
        [ -n "$init" ] && kill -TERM $init 2>/dev/null || true
        for i in $(seq 1 60); do
            kill -0 "$DOCKERD_NS_PID" 2>/dev/null || break
            sleep 0.5
        done
        # killing unshare kills the PID namespace's init and with it every process in it
        kill -KILL "$DOCKERD_NS_PID" 2>/dev/null || true
    fi
    wait "$DOCKERD_NS_PID" 2>/dev/null || true
    DOCKERD_NS_PID=""
    mountpoint -q "$M/proc" && umount "$M/proc" || true
}

# wait until container NAME is no longer running (max SECONDS)
wait_exited() { # name seconds
    local i
    for i in $(seq 1 $((2 * $2))); do
        [ "$(docker inspect -f '{{.State.Running}}' "$1")" = false ] && return 0
        sleep 0.5
    done
    die "container $1 still running after $2 s"
}
# wait until the logs of NAME contain STRING (max SECONDS)
wait_log() { # name string seconds
    local i out
    for i in $(seq 1 $((2 * $3))); do
        out=$(docker logs "$1" 2>&1)
        case $out in *"$2"*) return 0 ;; esac
        sleep 0.5
    done
    die "container $1 never printed '$2'"
}

# ---------------------------------------------------------------------------------------------
# base image: busybox-static root

make_base_tar() { # out.tar
    local r="$W/baseroot"
    rm -rf "$r"; mkdir -p "$r"
    (
        cd "$r"
        mkdir -p bin sbin etc root tmp var/log var/www home/app usr/local/bin usr/share/doc/husk-base \
            opt/legacy/bin proc sys dev
        chmod 1777 tmp; chmod 0700 root
        cp /bin/busybox bin/busybox
        for a in $(/bin/busybox --list); do
            [ "$a" = busybox ] || ln -s busybox "bin/$a"
        done
        cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app user:/home/app:/bin/sh
EOF
        cat >etc/group <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
nogroup:x:65534:
app:x:1000:
EOF
        printf 'root:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n' >etc/shadow
        chmod 0640 etc/shadow
        printf 'husk base 1.0 \\n \\l\n' >etc/issue
        printf 'Welcome to husk base 1.0\n' >etc/motd
        cat >etc/os-release <<'EOF'
NAME="husk-base"
ID=husk
VERSION_ID="1.0"
PRETTY_NAME="husk base image 1.0 (busybox)"
EOF
        cat >etc/profile <<'EOF'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
EOF
        printf '/bin/sh\n' >etc/shells
        printf 'husk base image: busybox %s, built for forensic test data.\n' \
            "$(/bin/busybox | head -n 1 | awk '{print $2}')" >usr/share/doc/husk-base/README
        printf '#!/bin/sh\necho legacy tool v0.1\n' >opt/legacy/bin/tool.sh
        chmod 0755 opt/legacy/bin/tool.sh
        printf 'legacy=1\nmode=compat\n' >opt/legacy/legacy.conf
    )
    # deterministic tar: fixed owner, order and mtime
    tar -C "$r" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime='2025-01-15 10:00:00 UTC' -cf "$1" .
}

# ---------------------------------------------------------------------------------------------
# ground truth

truth_dirs() {
    mkdir -p "$T"/{inspect,diff,logs,image-inspect,history}
}

# capture inspect / diff / logs of a container (before removal where relevant)
capture_container() { # name
    local n=$1
    docker inspect "$n" >"$T/inspect/$n.json"
    if [ "$(docker inspect -f '{{.State.StartedAt}}' "$n")" = "0001-01-01T00:00:00Z" ]; then
        # never started: no diff, no logs. Do not call `docker logs` here: with 20.10 it opens
        # the json-file logger for reading and so creates an empty <id>-json.log on the node
        : >"$T/logs/$n.txt"; : >"$T/logs/$n.stdout.txt"; : >"$T/logs/$n.stderr.txt"
        return 0
    fi
    docker diff "$n" >"$T/diff/$n.txt"
    docker logs --timestamps "$n" >"$T/logs/$n.txt" 2>&1
    docker logs --timestamps "$n" >"$T/logs/$n.stdout.txt" 2>/dev/null
    docker logs --timestamps "$n" 2>"$T/logs/$n.stderr.txt" >/dev/null
}

cid() { docker inspect -f '{{.Id}}' "$1"; }
mount_id() { cat "$M$DATA_ROOT/image/overlay2/layerdb/mounts/$(cid "$1")/mount-id"; }
# absolute node path of the upper dir of container NAME
upper_of() { printf '%s/overlay2/%s/diff' "$DATA_ROOT" "$(mount_id "$1")"; }

# record a container in containers.tsv
CONTAINERS_TSV=""
record_container() { # name id state removed how
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$CONTAINERS_TSV"
}

# copy the on-disk files of a container that is about to be removed
save_removed_files() { # name
    local n=$1 id mid d
    id=$(cid "$n"); mid=$(mount_id "$n")
    d="$T/removed/$n"
    mkdir -p "$d/containers" "$d/layerdb-mounts"
    cp -a "$M$DATA_ROOT/containers/$id/." "$d/containers/"
    rm -rf "$d/containers/mounts" "$d/containers/checkpoints"
    cp -a "$M$DATA_ROOT/image/overlay2/layerdb/mounts/$id/." "$d/layerdb-mounts/"
    # physical extents (file-system blocks) of every file the container wrote and of its
    # containers/<id>/ files, just before removal: where a recovery should look
    (cd "$M" && find ".$(upper_of "$n")" ".$DATA_ROOT/containers/$id" -type f -print0 | sort -z |
        xargs -0 -r filefrag -v 2>&1) | sed "s#\\./${DATA_ROOT#/}/#$DATA_ROOT/#g" >"$d/filefrag.txt"
    printf '%s\n' "$id" >"$d/container-id"
    printf '%s\n' "$mid" >"$d/mount-id"
    printf '%s/containers/%s\n%s/overlay2/%s\n%s/overlay2/%s-init\n' \
        "$DATA_ROOT" "$id" "$DATA_ROOT" "$mid" "$DATA_ROOT" "$mid" >"$d/node-paths"
}

# sha256 of regular files below an upper dir, recorded with absolute node paths
sha_upper() { # name outfile
    local up
    up=$(upper_of "$1")
    (cd "$M" && find ".$up" -type f -print0 | sort -z | xargs -0 -r sha256sum) |
        sed 's#  \./#  /#' >>"$2"
}
sha_node() { # outfile abs-path...
    local out=$1; shift
    (cd "$M" && for p in "$@"; do sha256sum ".$p"; done) | sed 's#  \./#  /#' >>"$out"
}

stat_node() { # abs-path... (appends to $T/stat.tsv); fs must already be quiet (frozen)
    local p
    for p in "$@"; do
        (cd "$M" && TZ=UTC stat --printf '%n\t%i\t%f\t%h\t%u\t%g\t%s\t%t\t%T\t%x\t%y\t%z\t%w\n' ".$p") |
            sed 's#^\./#/#' >>"$T/stat.tsv"
    done
}

xattr_node() { # abs-path... (appends raw getfattr output and TSV)
    local p
    for p in "$@"; do
        (cd "$M" && getfattr -h -d -m - -e hex ".$p" 2>/dev/null) | sed 's#^\# file: \./#\# file: /#' \
            >>"$T/xattrs.getfattr.txt"
        (cd "$M" && getfattr -h -d -m - -e hex ".$p" 2>/dev/null) | awk -v p="$p" '
            /^#/ || NF == 0 { next }
            { i = index($0, "="); printf "%s\t%s\t%s\n", p, substr($0, 1, i - 1), substr($0, i + 1) }' \
            >>"$T/xattrs.tsv"
    done
}

# how often each distinctive string of the removed containers' data occurs in the raw disk
# (number of \n-separated lines of the image containing it; 0 = not anywhere on the disk)
strings_check() { # raw string...
    local raw=$1 s; shift
    printf 'string\tlines_in_raw_disk\n' >"$T/removed-strings.tsv"
    for s in "$@"; do
        printf '%s\t%s\n' "$s" "$(grep -c -a -F -- "$s" "$raw" || true)" >>"$T/removed-strings.tsv"
    done
}

capture_images() {
    docker images --no-trunc >"$T/images.txt"
    docker images -a --no-trunc >"$T/images-all.txt"
    docker images --no-trunc --format '{{json .}}' >"$T/images.json"
    local ref f
    for ref in $(docker images --format '{{.Repository}}:{{.Tag}}' | sort); do
        f=$(printf '%s' "$ref" | tr '/:' '__')
        docker image inspect "$ref" >"$T/image-inspect/$f.json"
        docker history --no-trunc "$ref" >"$T/history/$f.txt"
        docker history --no-trunc --format '{{json .}}' "$ref" >"$T/history/$f.json"
    done
}

capture_volumes() {
    docker volume ls >"$T/volumes.txt"
    # shellcheck disable=SC2046
    if [ -n "$(docker volume ls -q)" ]; then
        docker volume inspect $(docker volume ls -q) >"$T/volumes.json"
    else
        printf '[]\n' >"$T/volumes.json"
    fi
}

capture_ps() {
    docker ps -a --no-trunc >"$T/ps.txt"
    docker ps -a --no-trunc --format '{{json .}}' >"$T/ps.json"
}

capture_engine_info() {
    {
        echo "# docker version"; docker version
        echo; echo "# docker info"; docker info 2>&1
        echo; echo "# uname -a"; uname -a
    } >"$T/engine.txt" 2>&1
}

# host files' mtimes: make the seeded host look installed earlier than the Docker activity
age_host_files() { # date abs-path...
    local d=$1; shift
    local p
    for p in "$@"; do touch -h -d "$d" "$M$p"; done
}

lvm_id() { # LVM-style random ID (6-4-4-4-4-4-6)
    local s
    s=$(tr -dc 'A-Za-z0-9' < <(head -c 4096 /dev/urandom))
    s=${s:0:32}
    printf '%s-%s-%s-%s-%s-%s-%s' "${s:0:6}" "${s:6:4}" "${s:10:4}" "${s:14:4}" "${s:18:4}" "${s:22:4}" "${s:26:6}"
}

# ---------------------------------------------------------------------------------------------
# a small plausible Debian 12 cloud node (host side)

fake_key() { # label -> a fake, well-formed-looking ed25519 public key blob
    printf 'AAAAC3NzaC1lZDI1NTE5AAAAI%s' "$(printf '%s' "$1" | sha256sum | head -c 43 | tr 'a-f' 'A-F')"
}

populate_host() { # hostname root-fs-uuid fstype root-device-spec
    local hn=$1 uuid=$2 fst=$3 rootdev=$4
    cd "$M"
    printf '%s\n' "$hn" >etc/hostname
    cat >etc/hosts <<EOF
127.0.0.1	localhost
127.0.1.1	$hn.cluster.example.internal $hn
10.20.0.11	node-a.cluster.example.internal node-a
10.20.0.12	node-b.cluster.example.internal node-b

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
EOF
    printf 'nameserver 10.20.0.2\nsearch cluster.example.internal\n' >etc/resolv.conf
    cat >etc/os-release <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
    printf '12.7\n' >etc/debian_version
    printf '%s\n' "$(printf '%s' "$hn-machine" | md5sum | cut -c1-32)" >etc/machine-id
    cat >etc/fstab <<EOF
# /etc/fstab: static file system information.
UUID=$uuid	/	$fst	defaults,errors=remount-ro	0	1
EOF
    [ "$fst" = xfs ] && sed -i 's/defaults,errors=remount-ro/defaults/' etc/fstab
    printf '# root device: %s\n' "$rootdev" >>etc/fstab
    cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
messagebus:x:100:107::/nonexistent:/usr/sbin/nologin
sshd:x:101:65534::/run/sshd:/usr/sbin/nologin
admin:x:1000:1000:Cluster Admin,,,:/home/admin:/bin/bash
EOF
    cat >etc/group <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:admin
tty:x:5:
disk:x:6:
mail:x:8:
man:x:12:
sudo:x:27:admin
shadow:x:42:
utmp:x:43:
crontab:x:101:
messagebus:x:107:
nogroup:x:65534:
admin:x:1000:
docker:x:998:admin
EOF
    cat >etc/shadow <<'EOF'
root:*:19800:0:99999:7:::
daemon:*:19800:0:99999:7:::
bin:*:19800:0:99999:7:::
sys:*:19800:0:99999:7:::
sync:*:19800:0:99999:7:::
man:*:19800:0:99999:7:::
mail:*:19800:0:99999:7:::
_apt:*:19800:0:99999:7:::
nobody:*:19800:0:99999:7:::
messagebus:!:19800::::::
sshd:!:19800::::::
admin:$y$j9T$HUSKtestHUSKtest/salt$0123456789abcdefghijklmnopqrstuvwxyzABCDE:19800:0:99999:7:::
EOF
    chown 0:42 etc/shadow; chmod 0640 etc/shadow
    printf '/bin/sh\n/bin/bash\n/usr/bin/bash\n' >etc/shells
    cat >etc/crontab <<'EOF'
# /etc/crontab: system-wide crontab
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

# Example of job definition:
# .---------------- minute (0 - 59)
# |  .------------- hour (0 - 23)
# |  |  .---------- day of month (1 - 31)
# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...
# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat
# |  |  |  |  |
# *  *  *  *  * user-name command to be executed
17 *	* * *	root	cd / && run-parts --report /etc/cron.hourly
25 6	* * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6	* * 7	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
52 6	1 * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }
EOF
    mkdir -p etc/cron.d etc/cron.daily etc/cron.hourly etc/cron.weekly etc/cron.monthly
    cat >etc/cron.d/e2scrub_all <<'EOF'
30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron
10 3 * * * root test -e /run/systemd/system || SERVICE_MODE=1 /sbin/e2scrub_all -A -r
EOF
    cat >etc/cron.d/docker-prune <<'EOF'
# weekly cleanup of stopped containers and dangling images (ops ticket OPS-1182)
0 4 * * 0 root /usr/bin/docker system prune -f >/var/log/docker-prune.log 2>&1
EOF
    printf '#!/bin/sh\ntest -x /usr/sbin/logrotate || exit 0\n/usr/sbin/logrotate /etc/logrotate.conf\n' >etc/cron.daily/logrotate
    chmod 0755 etc/cron.daily/logrotate
    mkdir -p etc/ssh etc/sudoers.d etc/docker etc/logrotate.d etc/default
    cat >etc/ssh/sshd_config <<'EOF'
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem	sftp	/usr/lib/openssh/sftp-server
EOF
    printf 'ssh-ed25519 %s root@%s\n' "$(fake_key "$hn-hostkey")" "$hn" >etc/ssh/ssh_host_ed25519_key.pub
    printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n(placeholder: husk test data, not a real key)\n-----END OPENSSH PRIVATE KEY-----\n' \
        >etc/ssh/ssh_host_ed25519_key
    chmod 0600 etc/ssh/ssh_host_ed25519_key
    printf 'admin ALL=(ALL:ALL) NOPASSWD: ALL\n' >etc/sudoers.d/90-admin; chmod 0440 etc/sudoers.d/90-admin
    printf '/var/log/docker.log {\n\tweekly\n\trotate 4\n\tcompress\n\tmissingok\n}\n' >etc/logrotate.d/docker
    printf 'Debian GNU/Linux 12 \\n \\l\n\n' >etc/issue
    printf '\nThe programs included with the Debian GNU/Linux system are free software.\n' >etc/motd
    mkdir -p root/.ssh home/admin/.ssh
    printf 'ssh-ed25519 %s admin@ops-laptop\n' "$(fake_key ops-laptop)" >root/.ssh/authorized_keys
    cp root/.ssh/authorized_keys home/admin/.ssh/authorized_keys
    chmod 0700 root/.ssh home/admin/.ssh; chmod 0600 root/.ssh/authorized_keys home/admin/.ssh/authorized_keys
    printf '# ~/.bashrc\nexport PS1="\\u@\\h:\\w\\$ "\nalias ll="ls -l"\n' >root/.bashrc
    cat >home/admin/.bash_history <<'EOF'
sudo systemctl status docker
docker ps
docker images
docker logs --tail 50 web
sudo cat /etc/docker/daemon.json
docker volume ls
df -h
exit
EOF
    chown -R 1000:1000 home/admin; chmod 0750 home/admin; chmod 0600 home/admin/.bash_history
    # host directory shared into a container with a read-only bind mount
    mkdir -p srv/share
    printf 'Shared configuration for the vol container (read-only bind mount).\n' >srv/share/readme.txt
    printf '[app]\nenv=production\nregion=eu-west-1\nfeature_flags=alpha,beta\n' >srv/share/config.ini
    # logs
    cat >var/log/auth.log <<EOF
2025-03-10T08:12:01.402311+00:00 $hn sshd[612]: Server listening on 0.0.0.0 port 22.
2025-03-10T08:15:44.118702+00:00 $hn sshd[733]: Accepted publickey for admin from 10.20.0.5 port 53122 ssh2: ED25519 SHA256:Q2x1c3RlckFkbWluS2V5SHVza1Rlc3REYXRh
2025-03-10T08:15:44.131990+00:00 $hn sshd[733]: pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)
2025-03-10T08:16:02.551203+00:00 $hn sudo:    admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/cat /etc/docker/daemon.json
2025-03-10T08:21:37.009114+00:00 $hn sshd[733]: pam_unix(sshd:session): session closed for user admin
EOF
    chmod 0640 var/log/auth.log; chown 0:4 var/log/auth.log
    cat >var/log/syslog <<EOF
2025-03-10T08:11:58.000000+00:00 $hn kernel: [    0.000000] Linux version 6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org)
2025-03-10T08:12:00.731554+00:00 $hn containerd[540]: time="2025-03-10T08:12:00.731Z" level=info msg="containerd successfully booted"
2025-03-10T08:12:01.552130+00:00 $hn dockerd[571]: time="2025-03-10T08:12:01.552Z" level=info msg="API listen on /run/docker.sock"
EOF
    chmod 0640 var/log/syslog; chown 0:4 var/log/syslog
    cat >var/log/dpkg.log <<'EOF'
2025-03-09 17:40:11 install containerd:amd64 <none> 1.6.20~ds1-1+deb12u1
2025-03-09 17:40:12 install runc:amd64 <none> 1.1.5+ds1-1+deb12u1
2025-03-09 17:40:15 install docker.io:amd64 <none> 20.10.24+dfsg1-1+deb12u1
2025-03-09 17:40:16 status installed docker.io:amd64 20.10.24+dfsg1-1+deb12u1
EOF
    : >var/log/lastlog; : >var/log/wtmp; : >var/log/btmp; chmod 0660 var/log/btmp
    mkdir -p var/lib/docker var/log/apt var/cache/apt var/spool/cron/crontabs
    chmod 0710 var/lib/docker
    cd - >/dev/null
}

# set the seeded host files' times to a plausible install date (ctime cannot be set)
age_host() {
    (cd "$M" && find etc root home srv var/log var/spool -xdev \( -type f -o -type d -o -type l \) \
        -exec touch -h -d '2025-03-10 08:30:00 UTC' {} +)
}
