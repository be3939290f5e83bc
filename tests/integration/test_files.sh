#!/usr/bin/env bash
# The file-system layer against what the node's own kernel reported when the image was made
# (truth/stat.tsv from stat(1), truth/files.sha256, truth/xattrs.tsv from getfattr): every
# field of stat to the nanosecond, whiteout device numbers, opaque directories, file bytes
# through raw, E01 and split raw, on ext4 (GPT) and XFS (DOS + LVM).
. "$(dirname "$0")/lib.sh"

# check_stats LABEL IMAGE TRUTHDIR
check_stats() {
    local label=$1 img=$2 truth=$3 n=0
    while IFS=$'\t' read -r path ino fhex nlink uid gid size maj min atime mtime ctime crtime; do
        [ -n "$path" ] || continue
        n=$((n + 1))
        out=$("$HUSK" stat "$img" "$path" 2>&1)
        mode=$(printf '%o' $((16#$fhex)))
        got="$(stat_field "$out" inode)|$(stat_field "$out" mode)|$(stat_field "$out" links)|$(stat_field "$out" uid)/$(stat_field "$out" gid)|$(stat_field "$out" size)"
        want="$ino (allocated)|$(printf '%06o' $((16#$fhex)))|$nlink|$uid/$gid|$size"
        # directories: stat(1) reports st_size; husk reports the same i_size
        check_eq "$label stat $path" "$want" "$got"
        got="$(stat_field "$out" atime)|$(stat_field "$out" mtime)|$(stat_field "$out" ctime)|$(stat_field "$out" crtime)"
        want="$(truth_time "$atime")|$(truth_time "$mtime")|$(truth_time "$ctime")|$(truth_time "$crtime")"
        check_eq "$label times $path" "$want" "$got"
        case $mode in
        20*)
            check_eq "$label device $path" "$((16#$maj)),$((16#$min))" "$(stat_field "$out" device)"
            if [ "$maj" = 0 ] && [ "$min" = 0 ]; then
                check_eq "$label whiteout $path" "char (overlay whiteout)" "$(stat_field "$out" type)"
            fi
            ;;
        esac
    done < "$truth/stat.tsv"
    check_eq "$label: stat.tsv has entries" "1" "$([ "$n" -gt 10 ] && echo 1 || echo 0)"
}

# check_xattrs LABEL IMAGE TRUTHDIR: every xattr getfattr saw, with the same value
check_xattrs() {
    local label=$1 img=$2 truth=$3 n=0
    while IFS=$'\t' read -r path name hex; do
        [ -n "$path" ] || continue
        n=$((n + 1))
        out=$("$HUSK" stat "$img" "$path" 2>&1)
        line=$(printf '%s\n' "$out" | grep -F "xattr:    $name=" | head -n 1)
        val=${line#*=}
        if [ "${val:0:1}" = '"' ]; then # printable value: compare as hex
            val=0x$(printf '%s' "${val:1:${#val}-2}" | od -An -tx1 | tr -d ' \n')
        fi
        check_eq "$label xattr $name on $path" "$hex" "$val"
        if [ "$name" = trusted.overlay.opaque ] && [ "$hex" = 0x79 ]; then
            check_eq "$label opaque $path" "dir (overlay opaque directory)" "$(stat_field "$out" type)"
        fi
    done < "$truth/xattrs.tsv"
    check_eq "$label: xattrs.tsv has an opaque directory" "1" "$(grep -c $'trusted.overlay.opaque\t0x79' "$truth/xattrs.tsv" | sed 's/^[1-9][0-9]*$/1/')"
}

# check_hashes LABEL IMAGE TRUTHDIR
check_hashes() {
    local label=$1 img=$2 truth=$3
    while read -r sum path; do
        [ -n "$path" ] || continue
        check_eq "$label sha256 $path" "$sum" "$("$HUSK" cat "$img" "$path" | sha256sum | awk '{print $1}')"
    done < "$truth/files.sha256"
}

A=node-a-ext4-gpt
rawa=$(raw_image $A)
check_stats "ext4" "$rawa" "$TESTDATA/$A/truth"
check_xattrs "ext4" "$rawa" "$TESTDATA/$A/truth"
check_hashes "ext4 raw" "$rawa" "$TESTDATA/$A/truth"
check_hashes "ext4 E01" "$TESTDATA/$A/disk.E01" "$TESTDATA/$A/truth"
check_hashes "ext4 split" "$(split_image $A num)" "$TESTDATA/$A/truth"

C=node-c-wholedisk
rawc=$(raw_image $C)
check_stats "whole-disk ext4" "$rawc" "$TESTDATA/$C/truth"
check_hashes "whole-disk ext4" "$rawc" "$TESTDATA/$C/truth"

# node-d: the XFS that was /var/lib/docker is its own file system; its truth has p2-relative
# paths in *-p2 files (--fs 2 selects it).
D=node-d-split-docker
rawd=$(raw_image $D)
mkdir -p "$WORK/d-p2"
cp "$TESTDATA/$D/truth/stat-p2.tsv" "$WORK/d-p2/stat.tsv"
cp "$TESTDATA/$D/truth/xattrs-p2.tsv" "$WORK/d-p2/xattrs.tsv"
cp "$TESTDATA/$D/truth/files-p2.sha256" "$WORK/d-p2/files.sha256"
HUSK_REAL=$HUSK
HUSK="$WORK/husk-fs2"
printf '#!/bin/sh\ncmd=$1; shift; exec "%s" "$cmd" --fs 2 "$@"\n' "$HUSK_REAL" > "$HUSK"
chmod +x "$HUSK"
check_stats "split-docker xfs" "$rawd" "$WORK/d-p2"
check_xattrs "split-docker xfs" "$rawd" "$WORK/d-p2"
check_hashes "split-docker xfs" "$rawd" "$WORK/d-p2"
HUSK=$HUSK_REAL

B=node-b-xfs-lvm
if [ -d "$TESTDATA/$B" ]; then
    rawb=$(raw_image $B)
    check_stats "xfs" "$rawb" "$TESTDATA/$B/truth"
    check_xattrs "xfs" "$rawb" "$TESTDATA/$B/truth"
    check_hashes "xfs raw" "$rawb" "$TESTDATA/$B/truth"
    check_hashes "xfs split" "$(split_image $B num)" "$TESTDATA/$B/truth"
else
    notok "test image $B is missing (scripts/make-testimages.sh b)"
fi
