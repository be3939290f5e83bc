#!/usr/bin/env bash
# `husk export` and `husk cp` against the kernel. The ground truth is not husk: a copy of the
# node image is attached read-only to a loop device, its file system mounted read-only
# (ext4: ro,noload; XFS: ro,norecovery), and for every live container a read-only overlay is
# mounted with lowerdir=upper:init:image layers (top to bottom), the chain read from the case
# database (and checked against Docker's own lower file). husk's tar is extracted with GNU tar
# and both trees are compared with the same find(1) listing: paths, types, sizes, modes,
# owners, symlink targets, mtimes to the nanosecond and SHA-256 of every file. Docker's own
# `docker diff` (truth/diff) is checked too: every A/C path is in the tar, every D path not.
# The manifest's hashes of upper-layer files must be the case database's files.sha256.
# Without root, loop devices or overlayfs the kernel comparison is skipped (said so) and the
# tar is compared with the docker diff truth and the database only.
. "$(dirname "$0")/lib.sh"

mounts=()
loops=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null; done
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
}
trap cleanup EXIT

can_mount=0
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && grep -qw overlay /proc/filesystems; then
    can_mount=1
fi
[ $can_mount = 1 ] || echo "# no root, loop devices or overlayfs: kernel comparison skipped"

# listing DIR: one line per object below DIR, the same format for the mount and the tar
listing() {
    (cd "$1" && {
        find . -mindepth 1 -type f -exec sha256sum {} + | sed 's,^\([0-9a-f]*\)  \./,H\t\1\t,'
        find . -mindepth 1 -printf 'M\t%P\t%y\t%m\t%U\t%G\t%T@\t%l\t%s\n'
    } | awk -F'\t' -v OFS='\t' '
        $1 == "H" { h[$3] = $2; next }
        { size = $3 == "f" ? $9 : ""; print $2, $3, $4, $5, $6, $7, $8, size, h[$2] }' |
        LC_ALL=C sort)
}

# chain DB CONTAINER_ID: the overlay2 directories of the lower layers, topmost first
chain() {
    local db=$1 id=$2 img rw prev="" diffs d row out=""
    rw=$(sql "$db" "select rw_layer from containers where id = '$id'")
    img=$(sql "$db" "select image_id from containers where id = '$id'")
    out="$rw-init"
    diffs=$(sql "$db" "select j.value from images i, json_each(json_extract(i.config_json, '\$.rootfs.diff_ids')) j where i.id = '$img' order by j.key")
    local layers=()
    for d in $diffs; do
        row=$(sql "$db" "select chain_id || ' ' || cache_id from layers where diff_id = '$d' and coalesce(parent_chain_id, '') = '$prev'")
        prev=${row%% *}
        layers=("${row#* }" "${layers[@]}")
    done
    echo "$out ${layers[*]}"
}

# check_node NAME KERNEL TRUTH [analyse options]: KERNEL 1 compares with the kernel's
# mounts, TRUTH 1 with docker diff
check_node() {
    local name=$1 kernel=$2 truth=$3 raw db out truthdir=$TESTDATA/$1/truth
    shift 3
    raw=$(raw_image "$name")
    out=$WORK/export-$name$(printf '%s' "$*" | tr -c 'a-z' '-')
    db=$out.db
    mkdir -p "$out"
    check_rc "$name: analyse $*" 0 "$HUSK" analyse -q "$@" "$raw" -o "$db"
    local off size root fstype kind mopt mnt="" loop=""
    off=$(sql "$db" "select f.offset from filesystems f join data_roots d on d.filesystem_id = f.id where d.runtime = 'docker'")
    size=$(sql "$db" "select v.length from filesystems f join volumes v on v.id = f.volume_id join data_roots d on d.filesystem_id = f.id where d.runtime = 'docker'")
    kind=$(sql "$db" "select v.kind from filesystems f join volumes v on v.id = f.volume_id join data_roots d on d.filesystem_id = f.id where d.runtime = 'docker'")
    root=$(sql "$db" "select path from data_roots where runtime = 'docker'")
    fstype=$(sql "$db" "select f.fstype from filesystems f join data_roots d on d.filesystem_id = f.id where d.runtime = 'docker'")
    # the journal is not replayed by the kernel either (the cases are made to match)
    if [ "$fstype" = xfs ]; then mopt=ro,norecovery; else mopt=ro,noload; fi
    if [ $can_mount = 1 ] && [ "$kernel" = 1 ]; then
        # the kernel reads a copy, never the test data; read-only all the way down
        cp --sparse=always "$raw" "$out/disk.raw"
        if { [ "$kind" = gpt ] || [ "$kind" = dos ]; } && command -v sfdisk >/dev/null; then
            # the partition table says where the file system is, independently of husk
            check_eq "$name: partition offset (sfdisk) is the case's" "$off" \
                "$(sfdisk -J "$out/disk.raw" | sed -n 's/.*"start": *\([0-9]*\).*/\1/p' |
                    while read -r s; do [ $((s * 512)) = "$off" ] && echo "$off"; done)"
        fi
        loop=$(losetup -r -f --show -o "$off" --sizelimit "$size" "$out/disk.raw") && loops+=("$loop")
        mnt=$out/fs
        mkdir -p "$mnt"
        if [ -n "$loop" ] && mount -t "$fstype" -o "$mopt" "$loop" "$mnt"; then
            mounts+=("$mnt")
        else
            notok "$name: mount $fstype read-only"
            mnt=""
        fi
    fi
    local n=0 id cname
    while IFS='|' read -r id cname; do
        n=$((n + 1))
        local tar=$out/$cname.tar
        "$HUSK" export -q "$db" "$cname" -o "$tar"
        check_eq "$name: export $cname (exit code)" 0 $?
        check_eq "$name: $cname: GNU tar reads the archive without complaint" "" \
            "$(tar tf "$tar" 2>&1 >/dev/null)"
        check_eq "$name: $cname: no whiteout (char 0,0) in the archive" "" \
            "$(tar tvf "$tar" | awk '$1 ~ /^c/ && $3 == "0,0"')"
        local names
        names=$(tar tf "$tar" | sed 's,/$,,' | LC_ALL=C sort)
        # docker diff: A and C paths are there, D paths are not
        local t=$truthdir/diff/$cname.txt miss=""
        if [ -f "$t" ] && [ "$truth" = 1 ]; then
            while read -r k p; do
                local present=0
                grep -qxF -- "${p#/}" <<<"$names" && present=1
                if [ "$k" = D ] && [ $present = 1 ]; then miss="$miss D$p"; fi
                if [ "$k" != D ] && [ $present = 0 ]; then miss="$miss $k$p"; fi
            done <"$t"
            check_eq "$name: $cname: docker diff's A/C paths present, D paths absent" "" "$miss"
        fi
        # the manifest: one row per archive entry; upper files hash as files.sha256 says
        check_eq "$name: $cname: manifest has a row per archive entry" \
            "$(wc -l <<<"$names")" "$(($(wc -l <"$tar.manifest.tsv") - 1))"
        check_eq "$name: $cname: manifest SHA-256 of upper files = files.sha256" \
            "$(sql "$db" "select path || ' ' || sha256 from files where container_id = '$id' and scope = 'upper' and type = 'file' order by path" | LC_ALL=C sort)" \
            "$(awk -F'\t' '$9 == "upper" && $2 == "file" {print $1 " " $8}' "$tar.manifest.tsv" | LC_ALL=C sort)"
        [ -n "$mnt" ] || continue
        # the kernel's merged view of the same layers
        local rw lowers lower="" l
        rw=$(sql "$db" "select rw_layer from containers where id = '$id'")
        lowers=$(chain "$db" "$id")
        local base=$mnt${root%/}/overlay2
        for l in $lowers; do lower="$lower:$base/$l/diff"; done
        # Docker's lower file names the same chain (l/ links resolved by the kernel)
        local docker_chain="" lf
        for lf in $(tr ':' ' ' <"$base/$rw/lower"); do
            docker_chain="$docker_chain $(basename "$(dirname "$(readlink "$base/$lf")")")"
        done
        check_eq "$name: $cname: layer chain from the case = Docker's lower file" "$lowers" "${docker_chain# }"
        local ov=$out/ov-$cname x=$out/x-$cname
        mkdir -p "$ov" "$x"
        if ! mount -t overlay overlay -o "ro,lowerdir=$base/$rw/diff$lower" "$ov"; then
            notok "$name: $cname: overlay mount"
            continue
        fi
        mounts+=("$ov")
        tar -xpf "$tar" --numeric-owner -C "$x"
        local want got
        want=$(listing "$ov")
        got=$(listing "$x")
        check_eq "$name: $cname: $(wc -l <<<"$want") objects: export = kernel overlay (path, type, mode, owner, mtime, link, size, SHA-256)" \
            "$want" "$got"
        [ "$want" = "$got" ] || diff <(echo "$want") <(echo "$got") | head -n 10
        check_eq "$name: $cname: tar names = kernel overlay names" \
            "$(cd "$ov" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)" "$names"
        umount "$ov" && unset 'mounts[${#mounts[@]}-1]'
        rm -rf "$x"
    done < <(sql "$db" "select id, name from containers where state != 'removed' and rw_layer is not null order by name")
    check_eq "$name: live containers exported" 1 "$([ $n -gt 0 ] && echo 1 || echo 0)"
}

check_node node-a-ext4-gpt 1 1
check_node node-b-xfs-lvm 1 1
check_node node-c-wholedisk 1 1
check_node node-d-split-docker 1 1
# a crash-consistent image: docker diff saw what only the replayed journal holds; the kernel
# mounted with noload sees the home blocks, as husk does with --no-replay
check_node node-e-crash 0 1
check_node node-e-crash 1 0 --no-replay

# ---- husk cp ----
db=$WORK/export-node-a-ext4-gpt.db
out=$WORK/export-cp
mkdir -p "$out"
truth=$TESTDATA/node-a-ext4-gpt/truth
# a file of web's upper layer: its bytes hash as the kernel hashed them when the image was made
webup=$(awk -F'\t' '$1 == "web.upper" {print $2}' "$truth/paths.tsv")
want=$(awk -v p="$webup/srv/www/shell.php" '$2 == p {print $1}' "$truth/files.sha256")
check_rc "cp a file" 0 "$HUSK" cp -q "$db" web:/srv/www/shell.php "$out/shell.php"
check_eq "cp a file: SHA-256 = truth/files.sha256" "$want" "$(sha256sum <"$out/shell.php" | cut -c1-64)"
check_eq "cp a file: manifest hash" "$want" "$(awk -F'\t' 'NR == 2 {print $8}' "$out/shell.php.manifest.tsv")"
check_rc "cp refuses to overwrite" 1 "$HUSK" cp -q "$db" web:/srv/www/shell.php "$out/shell.php"
# a directory (into an existing directory, under its own name), against the export's tree
mkdir -p "$out/into" "$out/web"
check_rc "cp a directory" 0 "$HUSK" cp -q "$db" web:/etc "$out/into"
"$HUSK" export -q "$db" web -o "$out/web.tar"
tar -xpf "$out/web.tar" --numeric-owner -C "$out/web"
check_eq "cp a directory: same tree as the export's /etc" "$(listing "$out/web/etc")" "$(listing "$out/into/etc")"
check_eq "cp a directory: manifest upper hashes = files.sha256" \
    "$(sql "$db" "select f.path || ' ' || f.sha256 from files f join containers c on c.id = f.container_id where c.name = 'web' and f.scope = 'upper' and f.type = 'file' and f.path like '/etc/%' order by f.path" | LC_ALL=C sort)" \
    "$(awk -F'\t' '$9 == "upper" && $2 == "file" {print $1 " " $8}' "$out/into/etc.manifest.tsv" | LC_ALL=C sort)"
# DEST - : a tar named like docker cp's, with the same names as the export under etc/
check_eq "cp to -: docker cp's names" "$(tar tf "$out/web.tar" | grep '^etc/' | LC_ALL=C sort)" \
    "$("$HUSK" cp -q "$db" web:/etc - | tar tf - | LC_ALL=C sort)"
# symlinks inside the path resolve inside the container's root
check_rc "cp follows a symlink in the path inside the root" 0 "$HUSK" cp -q "$db" web:/bin/../etc/passwd "$out/passwd"
check_eq "cp via ..: same bytes as the export" "$(tar xOf "$out/web.tar" etc/passwd | sha256sum)" "$(sha256sum <"$out/passwd")"
check_rc "cp of a missing path fails" 1 "$HUSK" cp -q "$db" web:/no/such "$out/none"
check_rc "cp into a directory that does not exist fails" 1 "$HUSK" cp -q "$db" web:/etc/passwd "$out/nodir/"
check_rc "export without -o is a usage error" 2 "$HUSK" export -q "$db" web
check_eq "export -o - writes the same bytes as -o FILE" "" \
    "$("$HUSK" export -q "$db" web -o - | cmp - "$out/web.tar" 2>&1)"
check_rc "export refuses to overwrite" 1 "$HUSK" export -q "$db" web -o "$out/web.tar"
check_rc "export never writes over the case" 1 "$HUSK" export -q --force "$db" web -o "$db"

# ---- a removed container: what recovery rebuilt, marked so ----
rm_tar=$out/gone1.tar
"$HUSK" export -q "$db" gone1 -o "$rm_tar"
rc=$?
check_eq "export a removed container (exit code 0 or 5)" 1 "$([ $rc = 0 ] || [ $rc = 5 ] && echo 1 || echo 0)"
up=$(sql "$db" "select rw_layer from containers where name = 'gone1'")
want=$(awk -v p="/var/lib/docker/overlay2/$up/diff/etc/gone1-marker" '$2 == p {print $1}' "$truth/removed-files.sha256")
check_eq "removed container: recovered file's bytes = truth" "$want" "$(tar xOf "$rm_tar" etc/gone1-marker | sha256sum | cut -c1-64)"
check_eq "removed container: manifest marks it recovered" "upper|journal|$want" \
    "$(awk -F'\t' '$1 == "/etc/gone1-marker" {print $9 "|" $10 "|" $8}' "$rm_tar.manifest.tsv")"
check_eq "removed container: image files are live" "live" \
    "$(awk -F'\t' '$1 == "/bin/busybox" {print $10}' "$rm_tar.manifest.tsv")"
check_rc "export --json manifest" 0 "$HUSK" export -q --json "$db" web -o "$out/web2.tar"
check_eq "json manifest: upper files = files.sha256" \
    "$(sql "$db" "select count(*) from files f join containers c on c.id = f.container_id where c.name = 'web' and scope = 'upper' and type = 'file'")" \
    "$(jq '[.[] | select(.origin == "upper" and .type == "file")] | length' "$out/web2.tar.manifest.json")"
# every removed container of node-a: docker diff (as printed before docker rm) holds in the
# export, and each upper file the kernel hashed before the removal either hashes the same or
# is marked with a confidence below 0.5 (its blocks were reused)
for c in gone1 gone2 gone3; do
    tarf=$out/$c-all.tar
    "$HUSK" export -q "$db" "$c" -o "$tarf"
    rc=$?
    check_eq "removed $c: exported (exit code 0 or 5)" 1 "$([ $rc = 0 ] || [ $rc = 5 ] && echo 1 || echo 0)"
    names=$(tar tf "$tarf" | sed 's,/$,,' | LC_ALL=C sort)
    miss=""
    while read -r k p; do
        present=0
        grep -qxF -- "${p#/}" <<<"$names" && present=1
        if [ "$k" = D ] && [ $present = 1 ]; then miss="$miss D$p"; fi
        if [ "$k" != D ] && [ $present = 0 ]; then miss="$miss $k$p"; fi
    done <"$truth/diff/$c.txt"
    check_eq "removed $c: docker diff's A/C paths present, D paths absent" "" "$miss"
    up=$(sql "$db" "select rw_layer from containers where name = '$c'")
    bad="" k=0
    while read -r sum path; do
        case $path in "/var/lib/docker/overlay2/$up/diff/"*) ;; *) continue ;; esac
        k=$((k + 1))
        cpath=${path#/var/lib/docker/overlay2/$up/diff}
        row=$(awk -F'\t' -v p="$cpath" '$1 == p {print $8 " " $11}' "$tarf.manifest.tsv")
        [ "${row%% *}" = "$sum" ] && continue
        awk -v c="${row##* }" 'BEGIN { exit !(c != "" && c < 0.5) }' && continue
        bad="$bad $cpath($row)"
    done <"$truth/removed-files.sha256"
    check_eq "removed $c: $k truth files hash right or are marked unsure" "" "$bad"
done

# a removed container whose layer records recovery did not find: nothing to export, said so
bdb=$WORK/export-node-b-xfs-lvm.db
msg=$("$HUSK" export -q "$bdb" tmpjob -o "$out/tmpjob.tar" 2>&1)
check_eq "removed container without a known RW layer: export fails (exit code)" 1 "$?"
check_eq "removed container without a known RW layer: the message says why" 1 \
    "$(grep -c 'no RW layer' <<<"$msg")"
check_eq "removed container without a known RW layer: no archive left behind" no \
    "$([ -e "$out/tmpjob.tar" ] && echo yes || echo no)"
