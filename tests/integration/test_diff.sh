#!/usr/bin/env bash
# `husk diff` against `docker diff` as the real dockerd printed it when the image was made
# (truth/diff/<name>.txt), for every container still present, and the files rows of the
# upper directories against truth/files.sha256, stat.tsv (whiteouts) and xattrs.tsv (opaque
# directories). Docker's order within a directory is random (Go map iteration), so the
# comparison is as sets.
. "$(dirname "$0")/lib.sh"

# check_image LABEL IMAGE TRUTHDIR DB
check_image() {
    local label=$1 img=$2 truth=$3 db=$4 n=0
    check_rc "$label: analyse" 0 "$HUSK" analyse -q "$img" -o "$db"
    check_eq "$label: no problems recorded while diffing" "0" \
        "$(sql "$db" "select count(*) from errors where phase = 'diff'")"
    while IFS=$'\t' read -r name id state removed how; do
        [ "$name" = name ] && continue
        [ "$removed" = no ] || continue
        n=$((n + 1))
        local want got
        if [ -f "$truth/diff/$name.txt" ]; then
            want=$(sort "$truth/diff/$name.txt")
        else
            want="" # never started: Docker has no changes to show
        fi
        got=$("$HUSK" diff "$db" "$name" 2>&1 | sort)
        check_eq "$label: diff $name" "$want" "$got"
        got=$("$HUSK" diff "$db" "${id:0:12}" 2>&1 | sort)
        check_eq "$label: diff by ID prefix ${id:0:12} ($name)" "$want" "$got"
    done < "$truth/containers.tsv"
    check_eq "$label: containers.tsv lists containers" "1" "$([ "$n" -gt 0 ] && echo 1 || echo 0)"

    # every truth hash of a file in an upper directory is in the files table
    local uppers h=0
    uppers=$(awk -F'\t' '$1 ~ /\.upper$/ {print $2}' "$truth/paths.tsv")
    while read -r sum path; do
        [ -n "$path" ] || continue
        local u inside=0
        for u in $uppers; do
            case $path in "$u"/*) inside=1 ;; esac
        done
        [ $inside = 1 ] || continue
        h=$((h + 1))
        check_eq "$label: files sha256 of $path" "$sum|upper" \
            "$(sql "$db" "select sha256, scope from files where host_path = '$path'")"
    done < "$truth/files.sha256"
    check_eq "$label: files.sha256 has upper files" "1" "$([ "$h" -gt 0 ] && echo 1 || echo 0)"

    # whiteouts (char 0/0) in upper directories: deleted paths
    local w=0
    while IFS=$'\t' read -r path ino fhex nlink uid gid size maj min rest; do
        local u inside=0
        for u in $uppers; do
            case $path in "$u"/*) inside=1 ;; esac
        done
        [ $inside = 1 ] && [ "$fhex" = 2000 ] && [ "$maj" = 0 ] && [ "$min" = 0 ] || continue
        w=$((w + 1))
        check_eq "$label: whiteout $path" "whiteout|D|$ino" \
            "$(sql "$db" "select type, change, inode from files where host_path = '$path'")"
    done < "$truth/stat.tsv"

    # opaque directories in upper directories: a directory row, changed or added
    while IFS=$'\t' read -r path name hex; do
        [ "$name" = trusted.overlay.opaque ] && [ "$hex" = 0x79 ] || continue
        local u inside=0
        for u in $uppers; do
            case $path in "$u"/*) inside=1 ;; esac
        done
        [ $inside = 1 ] || continue
        w=$((w + 1))
        check_eq "$label: opaque directory $path" "dir|1" \
            "$(sql "$db" "select type, change in ('A', 'C') from files where host_path = '$path'")"
    done < "$truth/xattrs.tsv"
    # images built with whiteouts or opaque directories in an upper layer must show them
    if [ "${5:-}" != no-markers ]; then
        check_eq "$label: whiteouts or opaque directories checked" "1" \
            "$([ "$w" -gt 0 ] && echo 1 || echo 0)"
    fi

    # every upper entry has its row, with the container path and layer the diff used
    check_eq "$label: files rows name their container and layer" "0" \
        "$(sql "$db" "select count(*) from files f where scope = 'upper' and (container_id is null
            or layer is null or host_path not like '%/overlay2/' || layer || '/diff' || path)")"
    check_eq "$label: every diff line has a files row or is a deletion below an opaque dir" "0" \
        "$(sql "$db" "select count(*) from container_diff d where change != 'D' and not exists
            (select 1 from files f where f.container_id = d.container_id and f.path = d.path
             and f.change = d.change)")"
}

A=node-a-ext4-gpt
check_image "ext4" "$(raw_image $A)" "$TESTDATA/$A/truth" "$WORK/diff-a.db"
db=$WORK/diff-a.db
web=$(awk -F'\t' '$1 == "web" {print $2}' "$TESTDATA/$A/truth/containers.tsv")
check_eq "ext4: diff --json is Docker's API form" "$(grep -c . "$TESTDATA/$A/truth/diff/web.txt")" \
    "$("$HUSK" diff --json "$db" web | jq '[.[] | select(has("Path") and (.Kind | IN(0, 1, 2)))] | length')"
check_eq "ext4: --json kinds" "$(sort "$TESTDATA/$A/truth/diff/web.txt")" \
    "$("$HUSK" diff --json "$db" "$web" | jq -r '.[] | "\(["C","A","D"][.Kind]) \(.Path)"' | sort)"
check_eq "ext4: image layers are listed only with --hash-images" "0" \
    "$(sql "$db" "select count(*) from files where scope = 'image'")"
check_rc "unknown container" 1 "$HUSK" diff "$db" no-such-container
check_rc "missing argument" 2 "$HUSK" diff "$db"
check_rc "--help" 0 "$HUSK" diff --help
check_eq "--help states the order" "1" "$("$HUSK" diff --help | grep -c 'byte order')"

# --hash-images: every entry of the image layers, once per layer, whatever shares it
db=$WORK/diff-a-hash.db
check_rc "ext4 --hash-images: analyse" 0 "$HUSK" analyse -q --hash-images "$(raw_image $A)" -o "$db"
wl=$(awk -F'\t' '$1 ~ /run-layer-with-whiteout$/ {print $2}' "$TESTDATA/$A/truth/paths.tsv")
check_eq "--hash-images: the web RUN layer's whiteout /etc/issue" "whiteout|image|NULL|$(basename "$(dirname "$wl")")" \
    "$(sql "$db" "select type, scope, ifnull(container_id, 'NULL'), layer from files where host_path = '$wl/etc/issue'")"
check_eq "--hash-images: no image entry listed twice" "0" \
    "$(sql "$db" "select count(*) from (select host_path from files where scope = 'image'
        group by host_path having count(*) > 1)")"
check_eq "--hash-images: image files hashed" "1" \
    "$(sql "$db" "select count(*) > 0 from files where scope = 'image' and type = 'file' and sha256 is not null")"
check_eq "--hash-images: the diff is the same" "$(sort "$TESTDATA/$A/truth/diff/web.txt")" \
    "$("$HUSK" diff "$db" web | sort)"

# File types: what file(1), on the same libmagic, says of the same bytes (husk cat), for the
# upper-layer files up to 64 KiB (husk shows libmagic the first 64 KiB of a file). The case
# names the libmagic that typed them.
db=$WORK/diff-a.db
img=$(raw_image $A)
check_eq "file_types names libmagic's version" "libmagic $(file --version | head -1 | sed 's/^file-//')" \
    "$(sql "$db" "select value from case_info where key = 'file_types'")"
n=0
while IFS=$'\t' read -r hp magic; do
    n=$((n + 1))
    check_eq "type of $hp is file(1)'s" "$("$HUSK" cat "$img" "$hp" | file -b -)" "$magic"
done < <(sqlite3 -batch -noheader -separator $'\t' "$db" "select host_path, magic from files
    where scope = 'upper' and type = 'file' and size <= 65536 and recovered_from = 'live' order by id")
check_eq "file types compared with file(1)" "1" "$([ "$n" -ge 10 ] && echo 1 || echo "$n")"
# --no-types: the same files rows, without a type
nt=$WORK/diff-a-notypes.db
check_rc "--no-types: analyse" 0 "$HUSK" analyse -q --no-types "$img" -o "$nt"
check_eq "--no-types: no file has a type" "0" "$(sql "$nt" "select count(magic) from files")"
check_eq "--no-types: case_info says so" "none (--no-types)" \
    "$(sql "$nt" "select value from case_info where key = 'file_types'")"
cols="container_id, layer, scope, path, change, type, mode, uid, gid, size, mtime, atime, ctime, crtime, inode, sha256, link_target, recovered_from, confidence"
check_eq "--no-types: every other column of every files row unchanged" \
    "$(sql "$db" "select $cols from files order by id" | sha256sum)" "$(sql "$nt" "select $cols from files order by id" | sha256sum)"
check_eq "--no-types: the diff is the same" "$(sort "$TESTDATA/$A/truth/diff/web.txt")" \
    "$("$HUSK" diff "$nt" web | sort)"

B=node-b-xfs-lvm
if [ -f "$TESTDATA/$B/disk.raw.xz" ]; then
    check_image "xfs" "$(raw_image $B)" "$TESTDATA/$B/truth" "$WORK/diff-b.db"
else
    notok "test image $B is missing (scripts/make-testimages.sh b)"
fi

# node-c has no whiteout or opaque directory in an upper layer
check_image "wholedisk" "$(raw_image node-c-wholedisk)" "$TESTDATA/node-c-wholedisk/truth" \
    "$WORK/diff-c.db" no-markers
