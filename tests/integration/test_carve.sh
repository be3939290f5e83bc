#!/usr/bin/env bash
# Carving (husk carve) on the real node images: the configs, hostconfigs and log lines of the
# removed containers come back from free space wherever their bytes survive, compared with
# what the image builder saved before the removal; offsets point at the bytes; -o DIR writes
# them with a manifest; artefacts planted into free blocks of a copy (a gzip member of a
# rotated json-file log, Docker's own local-driver records, a config with its keys in another
# order) are found there. Prints the fraction of each removed container's log lines recovered.
. "$(dirname "$0")/lib.sh"

# removed_ids TRUTH: "name id" of every removed container
removed_ids() { awk -F'\t' 'NR > 1 && $4 == "yes" { print $1, $2 }' "$1/containers.tsv"; }

# log_fraction JSON TRUTH NAME: "found/total" truth log lines of NAME among the carved lines
# (both as "<time> <text>", the form of docker logs --timestamps)
log_fraction() {
    local total found
    total=$(grep -c . "$2/logs/$3.txt")
    found=$(jq -r 'select(.kind == "jsonlog" or .kind == "locallog") | .time + " " + .log' "$1" |
        sort -u | grep -cxFf - "$2/logs/$3.txt")
    echo "${found:-0}/$total"
}

# same_bytes RAW DISK_OFFSET FILE: the image holds FILE's bytes at DISK_OFFSET
same_bytes() {
    cmp -s <(dd if="$1" bs=1 skip="$2" count="$(stat -c %s "$3")" status=none iflag=skip_bytes,count_bytes 2>/dev/null) "$3"
}

# ---- node-a (GPT + ext4) --------------------------------------------------------------------
A=node-a-ext4-gpt
T=$TESTDATA/$A/truth
raw=$(raw_image $A)
part_off=$(sed -n 's/^partition1_offset_bytes=//p' "$T/layout.txt")
out=$WORK/carve-a.json
"$HUSK" carve --json "$raw" > "$out" 2> "$WORK/carve-a.err"
check_eq "node-a: carve exit code" 0 "$?"
grep -o 'read .*MB/s)' "$WORK/carve-a.err" | sed 's/^/# node-a: /'
check_eq "node-a: no warnings" "" "$(grep -v '^husk: carve: fs' "$WORK/carve-a.err")"
check_eq "node-a: one line per artefact, all valid JSON" "$(wc -l < "$out")" "$(jq -c . "$out" | wc -l)"
check_eq "node-a: nothing reported twice" "" "$(jq -r '.kind + " " + .sha256' "$out" | sort | uniq -d)"
check_eq "node-a: every offset inside the file system" "0" \
    "$(jq -r 'select(.offset < 0 or .offset >= 312475648) | .offset' "$out" | wc -l)"

while read -r name id; do
    n=$(jq -r --arg id "$id" 'select(.kind == "config" and .id == $id) | .name' "$out" | sort -u)
    check_eq "node-a: $name: config.v2.json carved (ID, name)" "/$name" "$n"
    # the files exactly as they were before the removal
    for f in config.v2.json hostconfig.json; do
        h=$(sha256sum < "$T/removed/$name/containers/$f" | cut -c1-64)
        check_eq "node-a: $name: $f carved bit-identical to the saved copy" "1" \
            "$(jq -r --arg h "$h" 'select(.sha256 == $h) | .sha256' "$out" | wc -l)"
    done
    frac=$(log_fraction "$out" "$T" "$name")
    echo "# node-a: $name: log lines recovered $frac"
    # each log file was one block that nothing reused (README: only gone1's data file was
    # overwritten), so every line comes back
    check_eq "node-a: $name: every log line recovered" "${frac#*/}/${frac#*/}" "$frac"
done < <(removed_ids "$T")

# A carved line is the line as Docker wrote it (no newline), where the offset says.
line=$(jq -c 'select(.kind == "jsonlog" and .in_gzip == false)' "$out" | head -n 1)
off=$(jq -r .offset <<< "$line")
size=$(jq -r .size <<< "$line")
got=$(dd if="$raw" bs=1 skip=$((part_off + off)) count="$size" iflag=skip_bytes,count_bytes status=none | sha256sum | cut -c1-64)
check_eq "node-a: a line's offset and size point at its bytes" "$(jq -r .sha256 <<< "$line")" "$got"

# The E01 copy of the same disk carves to the same artefacts.
"$HUSK" carve --json -q "$TESTDATA/$A/disk.E01" > "$WORK/carve-a-ewf.json"
check_eq "node-a: E01 gives the same artefacts as the raw disk" \
    "$(jq -r '.kind + " " + (.offset|tostring) + " " + .sha256' "$out" | sort | sha256sum)" \
    "$(jq -r '.kind + " " + (.offset|tostring) + " " + .sha256' "$WORK/carve-a-ewf.json" | sort | sha256sum)"

# -o DIR: one file per artefact, a manifest with sizes and hashes; never into a used directory.
dir=$WORK/carved-a
"$HUSK" carve -q -o "$dir" "$raw" > "$WORK/carve-a.txt"
check_eq "node-a: -o: exit code" 0 "$?"
check_eq "node-a: -o: one manifest row per artefact" "$(wc -l < "$out")" "$(($(wc -l < "$dir/manifest.tsv") - 1))"
check_eq "node-a: -o: text output has one line per artefact" "$(wc -l < "$out")" "$(wc -l < "$WORK/carve-a.txt")"
bad=0
while IFS=$'\t' read -r path size sha kind fs offset where in_gzip; do
    [ "$(stat -c %s "$dir/$path")" = "$size" ] || bad=$((bad + 1))
    [ "$(sha256sum < "$dir/$path" | cut -c1-64)" = "$sha" ] || bad=$((bad + 1))
    if [ "$kind" = config ] || [ "$kind" = hostconfig ]; then
        same_bytes "$raw" $((part_off + offset)) "$dir/$path" || bad=$((bad + 1))
    fi
done < <(tail -n +2 "$dir/manifest.tsv")
check_eq "node-a: -o: files match the manifest and configs the image" 0 "$bad"
gone2=$(awk -F'\t' '$1 == "gone2" { print $2 }' "$T/containers.tsv")
check_eq "node-a: -o: gone2's hostconfig.json written as it was" "1" \
    "$(cd "$dir" && sha256sum hostconfig-*.json | grep -c "^$(sha256sum < "$T/removed/gone2/containers/hostconfig.json" | cut -c1-64) ")"
check_rc "node-a: -o refuses a directory that is not empty" 2 "$HUSK" carve -q -o "$dir" "$raw"
check_eq "node-a: -o: the refused run wrote nothing" "$(wc -l < "$out")" "$(($(ls "$dir" | wc -l) - 1))"

# ---- planted artefacts: gzip member, local-driver records, reordered config (node-a copy) ----
# The blocks of gone1's, gone2's and gone3's json logs are free (carved from there, one block
# each): plant other artefacts into them in a copy of the disk.
blk() { jq -r --arg t "$1" 'select(.kind == "jsonlog" and .in_gzip == false and (.log | startswith($t))) | .offset' "$out" | head -n 1; }
b1=$(blk "gone1: exfil") b2=$(blk "gone2: miner") b3=$(blk "gone3: one-shot")
check_eq "node-a: the three log blocks are block-aligned" "0 0 0" "$((b1 % 4096)) $((b2 % 4096)) $((b3 % 4096))"
planted=$WORK/a-planted.raw
cp "$raw" "$planted"
plant() { # plant FILE FS_OFFSET: the file, then zeros to the end of its block
    dd if=/dev/zero of="$planted" bs=4096 seek=$(((part_off + $2) / 4096)) count=1 conv=notrunc status=none
    dd if="$1" of="$planted" bs=1 seek=$((part_off + $2)) oflag=seek_bytes conv=notrunc status=none
}
# gone2's json log, rotated and compressed as Docker does it (a gzip member)
gzip -9nc "$T/removed/gone2/containers/$gone2-json.log" > "$WORK/gone2-json.log.1.gz"
plant "$WORK/gone2-json.log.1.gz" "$b1"
# node-b's tmpjob local-driver log: three records written by Docker itself
TB=$TESTDATA/node-b-xfs-lvm/truth
plant "$TB/removed/tmpjob/containers/local-logs/container.log" "$b2"
# gone3's config with its keys sorted (another field order), gone3's log lines gone with it
jq -cS . "$T/removed/gone3/containers/config.v2.json" > "$WORK/gone3-sorted.json"
plant "$WORK/gone3-sorted.json" "$b3"
"$HUSK" carve --json -q "$planted" > "$WORK/carve-ap.json"
check_eq "planted: exit code" 0 "$?"
check_eq "planted: gone2's 3 lines from the gzip member, at its offset" "3" \
    "$(jq -r --argjson o "$b1" 'select(.in_gzip and .offset == $o and .kind == "jsonlog") | .gzip_offset' "$WORK/carve-ap.json" | wc -l)"
check_eq "planted: gone2 still fully recovered" "3/3" "$(log_fraction "$WORK/carve-ap.json" "$T" gone2)"
check_eq "planted: Docker's local-driver records of tmpjob" "3/3" "$(log_fraction "$WORK/carve-ap.json" "$TB" tmpjob)"
check_eq "planted: the first record at the block start" "$b2" \
    "$(jq -r 'select(.kind == "locallog") | .offset' "$WORK/carve-ap.json" | sort -n | head -n 1)"
check_eq "planted: gone3's config with its keys in another order" "1" \
    "$(jq -r --argjson o "$b3" 'select(.kind == "config" and .offset == $o) | .name' "$WORK/carve-ap.json" | grep -cx /gone3)"
check_eq "planted: gone3's log lines went with the block" "0/3" "$(log_fraction "$WORK/carve-ap.json" "$T" gone3)"

# Damaged allocation metadata: group 0's block bitmap pointer is garbage. That group is
# skipped (reported, exit code 5); the others are still carved.
printf '\xff\xff\xff\x7f' | dd of="$planted" bs=1 seek=$((part_off + 4096)) conv=notrunc status=none
"$HUSK" carve --json "$planted" > "$WORK/carve-abad.json" 2> "$WORK/carve-abad.err"
check_eq "damaged ext4 bitmaps: exit code 5 (partial)" 5 "$?"
check_eq "damaged ext4 bitmaps: the group is named" 1 "$(grep -c 'block group 0 skipped' "$WORK/carve-abad.err")"
check_eq "damaged ext4 bitmaps: the other groups still carved (gone2's config)" 1 \
    "$(jq -r --arg id "$gone2" 'select(.kind == "config" and .id == $id) | .id' "$WORK/carve-abad.json" | sort -u | wc -l)"

# ---- node-b (MBR + LVM2 + XFS, local log driver) ---------------------------------------------
B=node-b-xfs-lvm
T=$TESTDATA/$B/truth
raw=$(raw_image $B)
fs_off=$(sed -n 's/^fs_offset_bytes=//p' "$T/layout.txt")
out=$WORK/carve-b.json
"$HUSK" carve --json "$raw" > "$out" 2> "$WORK/carve-b.err"
check_eq "node-b: carve exit code" 0 "$?"
grep -o 'read .*MB/s)' "$WORK/carve-b.err" | sed 's/^/# node-b: /'
check_eq "node-b: no warnings" "" "$(grep -v '^husk: carve: fs' "$WORK/carve-b.err")"
check_eq "node-b: nothing reported twice" "" "$(jq -r '.kind + " " + .sha256' "$out" | sort | uniq -d)"
while read -r name id; do
    n=$(jq -r --arg id "$id" 'select(.kind == "config" and .id == $id) | .name' "$out" | sort -u)
    check_eq "node-b: $name: config.v2.json carved (ID, name)" "/$name" "$n"
    for f in config.v2.json hostconfig.json; do
        h=$(sha256sum < "$T/removed/$name/containers/$f" | cut -c1-64)
        off=$(jq -r --arg h "$h" 'select(.sha256 == $h) | .offset' "$out" | head -n 1)
        check_eq "node-b: $name: $f carved bit-identical to the saved copy" "yes" "$([ -n "$off" ] && echo yes)"
        if [ -n "$off" ]; then
            same_bytes "$raw" $((fs_off + off)) "$T/removed/$name/containers/$f"
            check_eq "node-b: $name: $f offset points at its bytes in the LV" 0 "$?"
        fi
    done
    frac=$(log_fraction "$out" "$T" "$name")
    echo "# node-b: $name: log lines recovered $frac"
    # its local log's only block was reused before imaging (the record texts are nowhere on the
    # disk but inside the configs' command lines: removed-strings.tsv), so none can come back
    check_eq "node-b: $name: no log record survives to be carved" "0/${frac#*/}" "$frac"
done < <(removed_ids "$T")

# A gzip member of local-driver records in a free XFS block (where tmpjob's config was).
id=$(awk -F'\t' '$1 == "tmpjob" { print $2 }' "$T/containers.tsv")
b=$(jq -r --arg id "$id" 'select(.kind == "config" and .id == $id) | .offset' "$out" | head -n 1)
planted=$WORK/b-planted.raw
cp "$raw" "$planted"
gzip -9nc "$T/removed/tmpjob/containers/local-logs/container.log" > "$WORK/container.log.1.gz"
dd if=/dev/zero of="$planted" bs=4096 seek=$(((fs_off + b) / 4096)) count=1 conv=notrunc status=none
dd if="$WORK/container.log.1.gz" of="$planted" bs=1 seek=$((fs_off + b)) oflag=seek_bytes conv=notrunc status=none
"$HUSK" carve --json -q "$planted" > "$WORK/carve-bp.json"
check_eq "node-b planted: local records from a gzip member in XFS free space" "3/3" \
    "$(jq -c --argjson o "$b" 'select(.in_gzip and .offset == $o)' "$WORK/carve-bp.json" > "$WORK/carve-bp-gz.json"; log_fraction "$WORK/carve-bp-gz.json" "$T" tmpjob)"

# Damaged AGF of AG 0 (its free-space tree depth): AG 0 is skipped and reported.
printf '\xff\xff\xff\xff' | dd of="$planted" bs=1 seek=$((fs_off + 512 + 28)) conv=notrunc status=none
"$HUSK" carve -q "$planted" > /dev/null 2>&1
check_eq "damaged XFS AGF: exit code 5 (partial)" 5 "$?"
check_eq "damaged XFS AGF: the AG is named" 1 "$("$HUSK" carve "$planted" 2>&1 >/dev/null | grep -c 'AG 0 skipped')"

# ---- options ----------------------------------------------------------------------------------
check_rc "carve without an image" 2 "$HUSK" carve
check_rc "carve --fs out of range" 2 "$HUSK" carve --fs 9 "$raw"
check_rc "carve --help" 0 "$HUSK" carve --help
