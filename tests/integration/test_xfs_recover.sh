#!/usr/bin/env bash
# The recovered view of XFS (husk ls/stat/cat --deleted, src/recover/xfs_view.c):
#  - node-b: container tmpjob removed with `docker rm` seconds after it ran; its inodes never
#    reached their home places, so everything comes from the XFS log. Compared with the copies
#    of its files taken before the removal (truth/removed/tmpjob/);
#  - xfs-deleted: files written home, then deleted; the log formatted after (home) or before
#    (unlinked) the deletion: free inode slots, freed inode chunks and free directory spans.
. "$(dirname "$0")/lib.sh"

sha() { sha256sum | cut -d' ' -f1; }

# ---- node-b: docker rm'd container, from the log ------------------------------------------------
B=node-b-xfs-lvm
T=$TESTDATA/$B/truth
R=$T/removed/tmpjob
raw=$(raw_image $B)
id=$(awk -F'\t' '$1 == "tmpjob" {print $2}' "$T/containers.tsv")
mid=$(cat "$R/mount-id")
C=/var/lib/docker/containers/$id

out=$("$HUSK" ls -r --deleted "$raw" /var/lib/docker/containers 2>/dev/null)
check_eq "node-b: tmpjob's container directory is listed by its ID, deleted, from the log" 1 \
    "$(grep -c "^dir .* $C  (deleted; journal 0\.[0-9]*)$" <<<"$out")"
for f in config.v2.json hostconfig.json hostname hosts resolv.conf resolv.conf.hash \
    local-logs/container.log; do
    check_eq "node-b: $f of tmpjob is listed as deleted" 1 \
        "$(grep -c "^file .* $C/$f  (deleted; journal " <<<"$out")"
done
check_eq "node-b: the 4 live containers are listed as live" 4 \
    "$(grep -v '(deleted' <<<"$out" | grep -c '^dir .* /var/lib/docker/containers/[0-9a-f]\{64\}$')"
check_eq "node-b: without --deleted tmpjob is not there" 0 \
    "$("$HUSK" ls "$raw" /var/lib/docker/containers 2>/dev/null | grep -c "$id")"

# every file of the container directory whose blocks are still free is byte for byte the copy
for f in config.v2.json hostconfig.json hostname hosts resolv.conf resolv.conf.hash; do
    check_eq "node-b: cat --deleted $f equals the copy taken before docker rm" \
        "$(sha <"$R/containers/$f")" "$("$HUSK" cat --deleted "$raw" "$C/$f" 2>/dev/null | sha)"
done
check_eq "node-b: config.v2.json names the container" "\"ID\":\"$id\"" \
    "$("$HUSK" cat --deleted "$raw" "$C/config.v2.json" 2>/dev/null | grep -o '"ID":"[0-9a-f]*"')"
st=$("$HUSK" stat --deleted "$raw" "$C/config.v2.json" 2>/dev/null)
check_eq "node-b: stat --deleted says where config.v2.json came from" "journal, confidence 0.80" \
    "$(stat_field "$st" recovered | cut -d: -f1)"
check_eq "node-b: a recovered inode is not allocated" 1 "$(grep -c '^inode: .*(not allocated)' <<<"$st")"
check_eq "node-b: config.v2.json's size" "$(stat -c %s "$R/containers/config.v2.json")" \
    "$(stat_field "$st" size)"
# the log file's block was reused since: the view says so instead of passing it off
st=$("$HUSK" stat --deleted "$raw" "$C/local-logs/container.log" 2>/dev/null)
check_eq "node-b: container.log's reused block lowers its confidence" "journal, confidence 0.20" \
    "$(stat_field "$st" recovered | cut -d: -f1)"
check_eq "node-b: container.log's size is the recorded one" 145 "$(stat_field "$st" size)"
check_eq "node-b: container.log's reused block reads as zeros, not as another file's bytes" \
    "145 0" "$("$HUSK" cat --deleted "$raw" "$C/local-logs/container.log" 2>/dev/null | wc -c) \
$("$HUSK" cat --deleted "$raw" "$C/local-logs/container.log" 2>/dev/null | tr -d '\0' | wc -c)"

# the upper layer of tmpjob (overlay2/<mount-id>/diff)
U=/var/lib/docker/overlay2/$mid/diff
out=$("$HUSK" ls -r --deleted "$raw" "/var/lib/docker/overlay2/$mid" 2>/dev/null)
check_eq "node-b: tmpjob's layer directory is listed by its mount ID" 1 \
    "$("$HUSK" ls --deleted "$raw" /var/lib/docker/overlay2 2>/dev/null |
        grep -c "^dir .* /var/lib/docker/overlay2/$mid  (deleted; ")"
check_eq "node-b: upper file root/tmpjob-data.txt with its size" 1 \
    "$(grep -c "^file  *100644 .*  147000 .* $U/root/tmpjob-data.txt  (deleted; journal " <<<"$out")"
check_eq "node-b: upper file etc/tmpjob-marker with its size" 1 \
    "$(grep -c "^file  *100644 .*  19 .* $U/etc/tmpjob-marker  (deleted; journal " <<<"$out")"
data=$("$HUSK" cat --deleted "$raw" "$U/root/tmpjob-data.txt" 2>/dev/null | tail -c +4097 | sha)
want=$(for i in $(seq 1 3000); do printf 'HUSK-TMPJOB entry %05d payload=0123456789abcdef\n' "$i"; done |
    tail -c +4097 | sha)
check_eq "node-b: tmpjob-data.txt after its first (reused) block is the original" "$want" "$data"
check_eq "node-b: tmpjob-data.txt's first block, reused since, reads as zeros" 0 \
    "$("$HUSK" cat --deleted "$raw" "$U/root/tmpjob-data.txt" 2>/dev/null | head -c 4096 |
        tr -d '\0' | wc -c)"
check_eq "node-b: tmpjob-data.txt's confidence reflects 1 reused block of 36" \
    "journal, confidence 0.78" \
    "$(stat_field "$("$HUSK" stat --deleted "$raw" "$U/root/tmpjob-data.txt" 2>/dev/null)" recovered | cut -d: -f1)"
check_eq "node-b: the marker's block was reused" "journal, confidence 0.20" \
    "$(stat_field "$("$HUSK" stat --deleted "$raw" "$U/etc/tmpjob-marker" 2>/dev/null)" recovered | cut -d: -f1)"
out=$("$HUSK" ls --deleted "$raw" "/var/lib/docker/image/overlay2/layerdb/mounts/$id" 2>/dev/null)
check_eq "node-b: layerdb/mounts/<id> of tmpjob with mount-id, init-id, parent" 3 \
    "$(grep -c "/mounts/$id/\(mount-id\|init-id\|parent\)  (deleted; journal " <<<"$out")"
check_rc "node-b: ls -r --deleted of the whole file system" 0 "$HUSK" ls -r --deleted "$raw" /
check_rc "node-b: cat --deleted of a path that never existed" 1 \
    "$HUSK" cat --deleted "$raw" "$C/no-such-file"

# ---- xfs-deleted: the home places ------------------------------------------------------------------
X=$TESTDATA/xfs-deleted
XT=$X/truth
cid=$(cat "$XT/container-id")
mkdir -p "$WORK/xfs-deleted"
for k in home unlinked; do
    img=$WORK/xfs-deleted/$k.raw
    [ -f "$img" ] || xz -dc "$X/$k.raw.xz" >"$img"
    all=$("$HUSK" ls -r --deleted "$img" / 2>/dev/null)
    # deleted files, found by their inode numbers, against their hashes before the deletion:
    # all of /keep and /gone/sub, every 10th of /gone's and bigdir's (one view per cat)
    same=0 differ=0 missing=0
    grep -E ' (keep/|gone/sub/|gone/f[0-9]*0$|gone/bigdir/name_number_[0-9]*0$)' \
        "$XT/deleted-files.sha256" >"$WORK/xfs-deleted/sample"
    while read -r want path; do
        ino=$(awk -v p="$path" '$4 == p {print $1}' "$XT/inodes.txt")
        vpath=$(awk -v i="$ino" '$7 == i && /\(deleted; / {print $8}' <<<"$all" | head -n 1)
        if [ -z "$vpath" ]; then
            missing=$((missing + 1))
        elif [ "$("$HUSK" cat --deleted "$img" "$vpath" 2>/dev/null | sha)" = "$want" ]; then
            same=$((same + 1))
        else
            differ=$((differ + 1))
        fi
    done <"$WORK/xfs-deleted/sample"
    check_eq "$k: deleted files found / byte-identical / differing" "$(wc -l <"$WORK/xfs-deleted/sample") $(($(wc -l <"$WORK/xfs-deleted/sample") - 1)) 1" \
        "$((same + differ + missing)) $same $differ"
    check_eq "$k: no deleted file is missing" 0 "$missing"
    # the one that differs: binary, its size is lost (whole blocks), its bytes are there
    ino=$(awk '$4 == "keep/del-bin" {print $1}' "$XT/inodes.txt")
    vpath=$(awk -v i="$ino" '$7 == i {print $8}' <<<"$all")
    check_eq "$k: keep/del-bin's first 10000 bytes" "$(awk '$2 == "keep/del-bin" {print $1}' "$XT/deleted-files.sha256")" \
        "$("$HUSK" cat --deleted "$img" "$vpath" 2>/dev/null | head -c 10000 | sha)"
    check_eq "$k: keep/del-bin's size is whole blocks" 12288 \
        "$(stat_field "$("$HUSK" stat --deleted "$img" "$vpath" 2>/dev/null)" size)"
    ino=$(awk '$4 == "keep/del-text.txt" {print $1}' "$XT/inodes.txt")
    st=$("$HUSK" stat --deleted "$img" "$(awk -v i="$ino" '$7 == i {print $8}' <<<"$all")" 2>/dev/null)
    check_eq "$k: keep/del-text.txt's size, trimmed as text" 13893 "$(stat_field "$st" size)"
    check_eq "$k: keep/del-text.txt comes from its free inode slot" "inode, confidence 0.50" \
        "$(stat_field "$st" recovered | cut -d: -f1)"
    check_eq "$k: the removed container's directory is named by its ID" 1 \
        "$(grep -c "^dir .* /keep/containers/$cid  (deleted; inode " <<<"$all")"
    check_eq "$k: the container's files" 3 \
        "$(grep -c "/keep/containers/$cid/\(config.v2.json\|hostconfig.json\|$cid-json.log\)  (deleted" <<<"$all")"
    check_eq "$k: names in the free spans of the live /keep/many" 10 \
        "$(grep -c '^file .* /keep/many/n0\(0[1-9]\|10\)  (deleted; ' <<<"$all")"
    check_eq "$k: /keep/many's live names stay live" 110 \
        "$(grep -v '(deleted' <<<"$all" | grep -c '^file .* /keep/many/n')"
    check_eq "$k: /gone's 150 files by name, from its freed chunk" 150 \
        "$(grep -c '^file .*/f[0-9]*  (deleted; inode 0.90)$' <<<"$all")"
    check_eq "$k: /gone/bigdir's 200 names (a block directory)" 200 \
        "$(grep -c '/bigdir/name_number_[0-9]*  (deleted; ' <<<"$all")"
    check_eq "$k: /gone's lost name is made up under the root" 1 \
        "$(grep -c '^dir .* /<deleted-ino-[0-9]*>  (deleted; inode 0.90)$' <<<"$all")"
    lnk=$(grep '^symlink .*/link  (deleted' <<<"$all" | awk '{print $8}')
    check_eq "$k: /gone/link's target" "/some/target/path" \
        "$(stat_field "$("$HUSK" stat --deleted "$img" "$lnk" 2>/dev/null)" target)"
done
