# shellcheck shell=bash
# Output steps shared by the image builders: compression, hashes, layout, sanity checks.

finish_disk_common() { # snapshot.raw
    local raw=$1
    log "hashes and xz"
    (cd "$(dirname "$raw")" && sha256sum "$(basename "$raw")") | sed 's/ .*$/  disk.raw/' >"$OUT/disk.sha256"
    (cd "$(dirname "$raw")" && md5sum "$(basename "$raw")") | sed 's/ .*$/  disk.raw/' >"$OUT/disk.md5"
    stat -c '%s' "$raw" >"$T/disk-size-bytes.txt"
    xz -9 -T2 -c "$raw" >"$OUT/disk.raw.xz"
    # check the round trip
    [ "$(xz -dc "$OUT/disk.raw.xz" | sha256sum | cut -d' ' -f1)" = "$(cut -d' ' -f1 "$OUT/disk.sha256")" ] ||
        die "xz round trip mismatch"
}

# partition table + file-system facts
layout_common() { # raw part_off part_len
    local raw=$1 off=$2 len=$3
    {
        echo "# sfdisk --dump disk.raw"
        sfdisk --dump "$raw" | sed "s#$raw#disk.raw#g"
        echo
        echo "# mmls disk.raw"
        mmls "$raw"
        echo
        echo "disk_size_bytes=$(stat -c %s "$raw")"
        echo "partition1_offset_bytes=$off"
        echo "partition1_offset_sectors=$((off / 512))"
        echo "partition1_length_bytes=$len"
        echo "partition1_length_sectors=$((len / 512))"
    } >"$T/layout.txt"
}

layout_ext4() { # raw part_off part_len
    local raw=$1 off=$2 len=$3 l
    layout_common "$raw" "$off" "$len"
    loop_attach "$raw" "$off" "$len" ro; l=$LOOPDEV
    {
        echo "fs_offset_bytes=$off"
        echo "fs_type=ext4"
        echo "fs_uuid=$(blkid -s UUID -o value "$l")"
        echo "fs_label=$(blkid -s LABEL -o value "$l")"
        echo "fs_block_size=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Block size/ {gsub(/[ \t]/,"",$2); print $2}')"
        echo "fs_inode_size=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Inode size/ {gsub(/[ \t]/,"",$2); print $2}')"
        echo
        echo "# dumpe2fs -h (partition 1)"
        dumpe2fs -h "$l" 2>/dev/null
        echo
        echo "# e2fsck -fn (partition 1, read-only check of the snapshot)"
        e2fsck -fn "$l" 2>&1 || true
    } >>"$T/layout.txt"
    loop_detach "$l"
}

# The Sleuth Kit on the snapshot: mmls sees the partition, fls lists Docker's files
sanity_tsk() { # raw start_sector fstype
    local raw=$1 s=$2 n
    log "sanity checks (TSK)"
    mmls "$raw" >"$W/mmls.txt"
    grep -q "^[0-9]*:  *[0-9]*  *0*$s " "$W/mmls.txt" || { cat "$W/mmls.txt" >&2; die "mmls does not show the partition at $s"; }
    fls -r -p -o "$s" "$raw" >"$W/fls.txt"
    n=$(grep -c 'var/lib/docker/containers/[0-9a-f]\{64\}/config.v2.json' "$W/fls.txt" || true)
    [ "$n" -ge 1 ] || die "fls does not list any config.v2.json"
    log "fls: $n config.v2.json files, $(wc -l <"$W/fls.txt") entries"
    {
        echo "# mmls disk.raw"
        cat "$W/mmls.txt"
        echo
        echo "# fls -r -p -o $s disk.raw | grep config.v2.json"
        grep 'config.v2.json' "$W/fls.txt"
    } >"$T/tsk-sanity.txt"
}
