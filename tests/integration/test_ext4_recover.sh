#!/usr/bin/env bash
# The recovered view of ext4 (husk ls/stat/cat --deleted, src/recover/ext4_view.c) on node-a,
# where containers gone1, gone2 and gone3 were removed (docker rm, rm -f, --rm). Compared with
# the copies of their files taken before the removal (truth/removed/<name>/) and the hashes of
# the files they wrote (truth/removed-files.sha256). Docker rewrote the configs of gone2 and
# gone3 once more after those copies were taken (kill, exit): their recovered config.v2.json
# must equal the copy except for State and NetworkSettings. gone1's data file shares its
# blocks with gone2's later log (truth README): it must come back with a low confidence.
# Prints per removed container what came back. node-e (crash-consistent) must open too.
. "$(dirname "$0")/lib.sh"

sha() { sha256sum | cut -d' ' -f1; }
# conf STAT_OUTPUT: the confidence in "recovered: journal, confidence 0.90: ..."
conf() { stat_field "$1" recovered | sed -n 's/^[a-z]*, confidence \([0-9.]*\):.*/\1/p'; }

A=node-a-ext4-gpt
T=$TESTDATA/$A/truth
raw=$(raw_image $A)

all=$("$HUSK" ls -r --deleted "$raw" / 2>"$WORK/ext4v-ls.err")
check_eq "node-a: ls -r --deleted of the whole file system" 0 "$?"
check_eq "node-a: no warnings" "" "$(cat "$WORK/ext4v-ls.err")"
check_eq "node-a: every deleted line says where it came from" 0 \
    "$(grep '(deleted' <<<"$all" | grep -cv '(deleted; \(journal\|inode\|dirent\|virtual\) [01]\.[0-9][0-9])$')"
check_eq "node-a: synthetic numbers only for recovered objects" 0 \
    "$(grep -v '(deleted' <<<"$all" | awk '$7 >= 4611686018427387904' | wc -l)"
live=$("$HUSK" ls -r "$raw" / 2>/dev/null)
check_eq "node-a: the live tree is unchanged in the view" "$live" "$(grep -v '(deleted' <<<"$all")"

web=$(awk -F'\t' '$1 == "web" {print $2}' "$T/containers.tsv")
f=/var/lib/docker/containers/$web/config.v2.json
check_eq "node-a: a live file reads the same through the view" \
    "$("$HUSK" cat "$raw" "$f" | sha)" "$("$HUSK" cat --deleted "$raw" "$f" | sha)"
check_eq "node-a: a live file has no recovery line" "" \
    "$(stat_field "$("$HUSK" stat --deleted "$raw" "$f")" recovered)"
check_rc "node-a: cat --deleted of a path that never existed" 1 \
    "$HUSK" cat --deleted "$raw" /var/lib/docker/containers/no-such-dir/config.v2.json

# strip_state FILE: a config without the parts Docker rewrites when a container stops
strip_state() { jq -S 'del(.State, .NetworkSettings, .HasBeenManuallyStopped)' "$1"; }

while IFS=$'\t' read -r name id _state removed _how; do
    [ "$removed" = yes ] || continue
    R=$T/removed/$name
    C=/var/lib/docker/containers/$id
    mid=$(cat "$R/mount-id")
    got=() bad=()
    check_eq "$name: not in the live tree" 0 "$(grep -c "$id" <<<"$live")"
    check_eq "$name: containers/<id> listed by its full ID as a deleted directory" 1 \
        "$(grep -c "^dir .* $C  (deleted; journal 0\.[0-9]*)$" <<<"$all")"

    for f in hostconfig.json hostname hosts resolv.conf resolv.conf.hash; do
        check_eq "$name: $f listed" 1 "$(grep -c "^file .* $C/$f  (deleted; journal " <<<"$all")"
        check_eq "$name: $f equals the copy taken before removal" \
            "$(sha <"$R/containers/$f")" "$("$HUSK" cat --deleted "$raw" "$C/$f" 2>/dev/null | sha)"
        got+=("$f")
    done
    st=$("$HUSK" stat --deleted "$raw" "$C/hostconfig.json" 2>/dev/null)
    check_eq "$name: hostconfig.json's blocks survive: confidence 0.90" 0.90 "$(conf "$st")"
    check_eq "$name: provenance names the transaction and its commit time" 1 \
        "$(stat_field "$st" recovered | grep -c 'journal transaction [0-9]* (committed 20[0-9-]*T')"

    "$HUSK" cat --deleted "$raw" "$C/config.v2.json" >"$WORK/ext4v-$name.json" 2>/dev/null
    check_eq "$name: config.v2.json names the container" "$id" "$(jq -r .ID "$WORK/ext4v-$name.json")"
    check_eq "$name: config.v2.json equals the copy but for the state Docker wrote last" \
        "$(strip_state "$R/containers/config.v2.json")" "$(strip_state "$WORK/ext4v-$name.json")"
    check_eq "$name: config.v2.json is the stopped state" false \
        "$(jq -r .State.Running "$WORK/ext4v-$name.json")"
    if [ "$(sha <"$WORK/ext4v-$name.json")" = "$(sha <"$R/containers/config.v2.json")" ]; then
        got+=(config.v2.json)
    else
        got+=("config.v2.json(later state)")
    fi
    check_eq "$name: config.v2.json confidence" 0.90 \
        "$(conf "$("$HUSK" stat --deleted "$raw" "$C/config.v2.json" 2>/dev/null)")"

    log=$C/$id-json.log
    "$HUSK" cat --deleted "$raw" "$log" >"$WORK/ext4v-$name.log" 2>/dev/null
    check_eq "$name: json log has as many lines as docker logs printed" \
        "$(wc -l <"$T/logs/$name.txt")" "$(wc -l <"$WORK/ext4v-$name.log")"
    check_eq "$name: json log lines are docker logs' lines" \
        "$(cut -d' ' -f2- "$T/logs/$name.txt")" "$(jq -j .log "$WORK/ext4v-$name.log")"
    check_eq "$name: json log equals the copy" "$(sha <"$R/containers/$id-json.log")" \
        "$(sha <"$WORK/ext4v-$name.log")"
    got+=(json-log)

    check_eq "$name: overlay2/<mount-id> listed as deleted" 1 \
        "$(grep -c "^dir .* /var/lib/docker/overlay2/$mid  (deleted; " <<<"$all")"
    check_eq "$name: overlay2/<mount-id>-init listed as deleted" 1 \
        "$(grep -c "^dir .* /var/lib/docker/overlay2/$mid-init  (deleted; " <<<"$all")"
    check_eq "$name: layerdb/mounts/<id>/mount-id names the layer" "$mid" \
        "$("$HUSK" cat --deleted "$raw" "/var/lib/docker/image/overlay2/layerdb/mounts/$id/mount-id" 2>/dev/null)"

    while read -r want path; do
        case $path in /var/lib/docker/overlay2/$mid/diff/*) ;; *) continue ;; esac
        rel=${path#/var/lib/docker/overlay2/$mid/}
        check_eq "$name: upper file $rel listed" 1 "$(grep -c "^file .* $path  (deleted; journal " <<<"$all")"
        c=$(conf "$("$HUSK" stat --deleted "$raw" "$path" 2>/dev/null)")
        h=$("$HUSK" cat --deleted "$raw" "$path" 2>/dev/null | sha)
        if [ "$h" = "$want" ]; then
            check_eq "$name: upper file $rel matches with confidence 0.90" 0.90 "$c"
            got+=("$rel")
        else
            check_eq "$name: upper file $rel differs and says so (confidence <= 0.3)" yes \
                "$(awk -v c="$c" 'BEGIN { print (c != "" && c <= 0.3) ? "yes" : "no" }')"
            bad+=("$rel(conf $c)")
        fi
    done <"$T/removed-files.sha256"
    echo "# $name: matching: ${got[*]}; not matching, low confidence: ${bad[*]:-none}"
done <"$T/containers.tsv"

# gone1's data blocks were reused by gone2's log (both deleted now: only the view can tell)
st=$("$HUSK" stat --deleted "$raw" /var/lib/docker/overlay2/$(cat "$T/removed/gone1/mount-id")/diff/root/loot/gone1-data.txt 2>/dev/null)
check_eq "gone1: the data file names the later file that took its blocks" 1 \
    "$(stat_field "$st" recovered | grep -c 'also mapped by a later deleted file')"

# the view is built from evidence only: the same answer twice, from the EWF too
check_eq "node-a: EWF gives the same recovered tree" "$(sha <<<"$all")" \
    "$("$HUSK" ls -r --deleted "$TESTDATA/$A/disk.E01" / 2>/dev/null | sha)"

# ---- a removed container whose name is gone from the journal too --------------------------
# The journal is a ring: older copies of the containers directory's block get overwritten. A
# copy of node-a with every journal copy of that block zeroed (their tag checksums then fail)
# must still list the removed containers by ID: from the "<ID>-json.log" each one's own
# directory holds, hung under the ".." its first block records.

# le32/be32 FILE OFFSET: one 32-bit word
le32() { od -An -tu4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
be32() { od -An -tu4 --endian=big -j "$2" -N 4 "$1" | tr -d ' '; }
# first_block FILE FS_OFF BS ITABLE ISIZE INO: first physical block of a depth-0 extent inode
first_block() {
    local at=$(($2 + $4 * $3 + ($6 - 1) * $5 + 0x28))
    echo $(($(le32 "$1" $((at + 20))) + ($(od -An -tu2 --endian=little -j $((at + 18)) -N 2 "$1" | tr -d ' ') << 32)))
}
img=$WORK/ext4v-nojournalname.raw
cp "$raw" "$img"
fso=$(sed -n 's/^partition1_offset_bytes=//p' "$T/layout.txt")
bs=$((1024 << $(le32 "$img" $((fso + 1024 + 0x18)))))
isize=$(od -An -tu2 --endian=little -j $((fso + 1024 + 0x58)) -N 2 "$img" | tr -d ' ')
itable=$(le32 "$img" $((fso + bs + 8))) # group 0: the journal and /var/lib/docker/containers
jstart=$(first_block "$img" "$fso" "$bs" "$itable" "$isize" 8)
cino=$("$HUSK" ls "$raw" /var/lib/docker 2>/dev/null | awk '$8 == "/var/lib/docker/containers" {print $7}')
cblk=$(first_block "$img" "$fso" "$bs" "$itable" "$isize" "$cino")
jblocks=$(($(be32 "$img" $((fso + jstart * bs + 16)))))
# every journal block after a descriptor (csum v3 tags: 16 bytes, flags in the low half of the
# second word, 16 more bytes of UUID unless SAME_UUID) that holds a copy of cblk
dd if="$img" bs="$bs" skip=$((fso / bs + jstart)) count="$jblocks" status=none |
    od -An -v -tu4 --endian=big -w"$bs" |
    awk -v want="$cblk" -v n="$jblocks" -v words=$((bs / 4)) '
        NR > 1 && $1 == 3225106840 && $2 == 1 {
            k = NR - 1; p = 4
            while (p + 4 <= words - 1) {
                blk = $p + $(p + 2) * 4294967296; fl = $(p + 1); k = k + 1; if (k >= n) k = 1
                if (blk == want) print k
                p += 4; if (int(fl / 2) % 2 == 0) p += 4; if (int(fl / 8) % 2 == 1) break
            }
        }' >"$WORK/ext4v-kill.txt"
check_eq "copy: the journal held copies of the containers directory's block" yes \
    "$([ -s "$WORK/ext4v-kill.txt" ] && echo yes || echo no)"
while read -r k; do
    dd if=/dev/zero of="$img" bs="$bs" seek=$((fso / bs + jstart + k)) count=1 conv=notrunc status=none
done <"$WORK/ext4v-kill.txt"
out=$("$HUSK" ls --deleted "$img" /var/lib/docker/containers 2>/dev/null)
while IFS=$'\t' read -r name id _state removed _how; do
    [ "$removed" = yes ] || continue
    C=/var/lib/docker/containers/$id
    check_eq "copy: $name still listed by its ID without the journal's name for it" 1 \
        "$(grep -c "^dir .* $C  (deleted; journal " <<<"$out")"
    check_eq "copy: $name's provenance says where the ID came from" 1 \
        "$(stat_field "$("$HUSK" stat --deleted "$img" "$C" 2>/dev/null)" recovered |
            grep -c 'its name in its parent is lost: named by the container ID')"
    check_eq "copy: $name's config.v2.json reads the same" "$(sha <"$WORK/ext4v-$name.json")" \
        "$("$HUSK" cat --deleted "$img" "$C/config.v2.json" 2>/dev/null | sha)"
done <"$T/containers.tsv"
rm -f "$img"

# ---- node-e (crash-consistent: the view sits on the replayed journal) --------------------
E=node-e-crash
raw=$(raw_image $E)
out=$("$HUSK" ls -r --deleted "$raw" / 2>"$WORK/ext4v-e.err")
check_eq "node-e: ls -r --deleted of the whole file system" 0 "$?"
check_eq "node-e: no warnings" "" "$(cat "$WORK/ext4v-e.err")"
check_eq "node-e: every container directory in the view is live (none was removed)" 0 \
    "$(grep -c '^dir .* /var/lib/docker/containers/[0-9a-f]\{64\}  (deleted' <<<"$out")"
echo "# node-e: $(grep -c '(deleted' <<<"$out") deleted objects listed (temporary configs, mount points)"
