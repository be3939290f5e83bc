#!/usr/bin/env bash
# Recovery merged into the case and handed to the examiner: the carved table, carved configs and
# log lines merged into containers and logs (with attribution), the recovery summary, and
# `husk recover CASE ID --out DIR` with its manifest. Checked against what Docker wrote before
# the removal (truth/removed/NAME/containers/ holds copies of each container's directory taken
# before docker rm; truth/inspect, truth/logs what Docker printed).
. "$(dirname "$0")/lib.sh"

A=node-a-ext4-gpt
T=$TESTDATA/$A/truth
raw=$(raw_image $A)
db=$WORK/rout-a.db
rm -f "$db"
"$HUSK" analyse -q "$raw" -o "$db"
check_eq "node-a: analyse" 0 $?
sha() { sha256sum | cut -d' ' -f1; }
removed_names=$(awk -F'\t' '$4 == "yes" {print $1}' "$T/containers.tsv")

# ---- carving merged: on an intact node, every carved copy of a removed container's config and
# log lines is recognised as what the journal already gave back
check_eq "node-a: carving found configs and log lines" 1 \
    "$(sql "$db" "select count(distinct kind) >= 3 from carved")"
for name in $removed_names; do
    id=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$T/containers.tsv")
    check_eq "node-a: $name: its carved log lines are duplicates of its recovered ones" \
        "$(grep -c . "$T/logs/$name.txt")" \
        "$(sql "$db" "select count(*) from carved where kind = 'jsonlog' and used_as = 'duplicate' and container_id = '$id'")"
    check_eq "node-a: $name: no carved line was added twice" 0 \
        "$(sql "$db" "select count(*) from logs where container_id = '$id' and recovered_from like 'carved-%'")"
    # the summary: identity, config, host config, logs and files recovered, logs counted
    check_eq "node-a: $name: summary" \
        "identity|recovered config|recovered hostconfig|recovered logs|recovered|$(grep -c . "$T/logs/$name.txt") files|" \
        "$("$HUSK" recover --json "$db" | jq -r --arg id "$id" 'select(.container == $id) | "\(.item)|\(.status)" + (if .item == "logs" then "|\(.count)" elif .item == "files" then "|" else "" end)' | sed 's/^files|.*|$/files|/' | paste -sd' ')"
done
check_eq "node-a: the summary's text form names every removed container" \
    "$(echo "$removed_names" | wc -l)" \
    "$("$HUSK" recover "$db" | grep -cE "^container [0-9a-f]{64} ($(echo "$removed_names" | paste -sd'|'))$")"

# content rules read a removed container's files through the recovered view: gone2 wrote a
# miner configuration (pool=stratum+tcp://...) into /tmp before docker rm -f
gone2=$(awk -F'\t' '$1 == "gone2" {print $2}' "$T/containers.tsv")
check_eq "node-a: gone2: the miner config it wrote is found in its recovered upper layer" "/tmp/.miner.conf" \
    "$(sql "$db" "select path from findings where rule = 'cryptominer' and container_id = '$gone2'")"

# ---- husk recover --out: the files written are the evidence's bytes, listed in the manifest
for name in $removed_names; do
    id=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$T/containers.tsv")
    out=$WORK/rout-$name
    rm -rf "$out"
    "$HUSK" recover -q "$db" "$name" --out "$out"
    check_eq "recover $name: exit code" 0 $?
    saved=$T/removed/$name/containers
    check_eq "recover $name: the log file is the one Docker wrote" \
        "$(sha <"$saved/$id-json.log")" "$(sha <"$out/logs/$id-json.log")"
    for f in config.v2.json hostconfig.json; do
        # Docker rewrites the config when a running container stops (gone2: rm -f, gone3: --rm),
        # after the truth's copy was taken; the container's ID and image stay
        if cmp -s "$saved/$f" "$out/$f"; then
            ok "recover $name: $f is the one Docker wrote"
        else
            check_eq "recover $name: $f is a later state of the same container" \
                "$(jq -c '[.ID, .Image, .Name]' "$saved/$f" 2>/dev/null || jq -c '[.Binds, .CapAdd]' "$saved/$f")" \
                "$(jq -c '[.ID, .Image, .Name]' "$out/$f" 2>/dev/null || jq -c '[.Binds, .CapAdd]' "$out/$f")"
        fi
    done
    # every manifest line: the file exists with that size and hash
    bad=0
    while IFS=$'\t' read -r path size hash method conf cmp; do
        [ "$path" = path ] && continue
        [ -f "$out/$path" ] && [ "$(stat -c %s "$out/$path")" = "$size" ] &&
            [ "$(sha <"$out/$path")" = "$hash" ] || bad=$((bad + 1))
    done <"$out/manifest.tsv"
    check_eq "recover $name: manifest sizes and hashes match the files" 0 "$bad"
    check_eq "recover $name: every file is in the manifest" \
        "$(($(wc -l <"$out/manifest.tsv") - 1))" "$(find "$out" -type f ! -name manifest.tsv | wc -l)"
    # upper files: as written wherever the case says so with confidence, and the same as the case
    check_eq "recover $name: rootfs files with confidence >= 0.5 hash as in the case" 0 \
        "$(awk -F'\t' 'NR > 1 && $1 ~ /^rootfs\// && $5 >= 0.5 && $6 != "same"' "$out/manifest.tsv" | wc -l)"
    mid=$(tr -d ' \n' <"$T/removed/$name/mount-id")
    while read -r sum path; do
        case $path in */overlay2/"$mid"/diff/*) ;; *) continue ;; esac
        rel=rootfs/${path#*/diff/}
        line=$(awk -F'\t' -v p="$rel" '$1 == p' "$out/manifest.tsv")
        [ -n "$line" ] || continue
        if [ "$(cut -f3 <<<"$line")" = "$sum" ]; then
            ok "recover $name: $rel holds what was written"
        else
            check_eq "recover $name: $rel differs from what was written and says it is unsure" 1 \
                "$(cut -f5 <<<"$line" | awk '{print ($1 < 0.5)}')"
        fi
    done <"$T/removed-files.sha256"
done
check_rc "recover: refuses a directory that is not empty" 2 "$HUSK" recover -q "$db" gone1 --out "$WORK/rout-gone1"
check_rc "recover: CONTAINER without --out is a usage error" 2 "$HUSK" recover -q "$db" gone1
check_rc "recover: unknown container" 1 "$HUSK" recover -q "$db" nosuchcontainer --out "$WORK/rout-none"
check_rc "recover: evidence that is not the analysed one" 3 "$HUSK" recover -q --image "$(raw_image node-b-xfs-lvm)" "$db" gone1 --out "$WORK/rout-wrong"

# ---- carving alone: a copy of node-a whose journal holds nothing any more (every block after
# the journal superblock zeroed; the node was imaged frozen, so nothing needed replaying). The
# removed containers' directories and inodes are gone; their configs and log lines lie in free
# blocks, and carving must bring them back into the case.
le32() { od -An -tu4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }
be32() { od -An -tu4 --endian=big -j "$2" -N 4 "$1" | tr -d ' '; }
img=$WORK/rout-nojournal.raw
cp "$raw" "$img"
fso=$(($(sed -n 's/^disk.raw1 : start= *\([0-9]*\),.*/\1/p' "$T/layout.txt") * 512))
bs=$((1024 << $(le32 "$img" $((fso + 1024 + 0x18)))))
isize=$(od -An -tu2 --endian=little -j $((fso + 1024 + 0x58)) -N 2 "$img" | tr -d ' ')
itable=$(le32 "$img" $((fso + bs + 8)))
at=$((fso + itable * bs + 7 * isize + 0x28)) # inode 8's extent, depth 0
jstart=$(($(le32 "$img" $((at + 20))) + ($(od -An -tu2 --endian=little -j $((at + 18)) -N 2 "$img" | tr -d ' ') << 32)))
jblocks=$(be32 "$img" $((fso + jstart * bs + 16)))
check_eq "copy: the journal superblock is where inode 8 says" 3225106840 "$(be32 "$img" $((fso + jstart * bs)))"
dd if=/dev/zero of="$img" bs="$bs" seek=$((fso / bs + jstart + 1)) count=$((jblocks - 1)) conv=notrunc status=none
ndb=$WORK/rout-nojournal.db
rm -f "$ndb"
"$HUSK" analyse -q "$img" -o "$ndb"
check_eq "copy: analyse" 0 $?
for name in $removed_names; do
    id=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$T/containers.tsv")
    check_eq "copy: $name comes back from carving alone, by its full ID" "removed|carved" \
        "$(sql "$ndb" "select state, recovered_from from containers where id = '$id'")"
    "$HUSK" inspect "$ndb" "$id" >"$WORK/rout-$name.json" 2>/dev/null
    for field in Name Config.Image Path Args Created Config.Cmd Config.Env HostConfig.Binds HostConfig.CapAdd HostConfig.NetworkMode HostConfig.Privileged; do
        check_eq "copy: $name: carved $field" "$(jq -c ".[0].$field" "$T/inspect/$name.json")" \
            "$(jq -c ".[0].$field" "$WORK/rout-$name.json")"
    done
    # Docker's StartedAt, and FinishedAt where the container had ended before the truth was taken
    check_eq "copy: $name: carved StartedAt" "$(jq -r '.[0].State.StartedAt' "$T/inspect/$name.json")" \
        "$(jq -r '.[0].State.StartedAt' "$WORK/rout-$name.json")"
    # log lines: every one Docker printed, with its time, attributed to this container
    want=$(sed 's/^\([^ ]*\) /\1|/' "$T/logs/$name.txt" | sort)
    got=$(sql "$ndb" "select time || '|' || message from logs where container_id = '$id'" | sort)
    check_eq "copy: $name: every log line recovered by carving and attributed" "$want" "$got"
    check_eq "copy: $name: attributed by the container's time window, with its confidence" "time-window|0.4" \
        "$(sql "$ndb" "select distinct attribution || '|' || confidence from logs where container_id = '$id'")"
done
check_eq "copy: the summary says the configs were carved" "$(echo "$removed_names" | wc -l)" \
    "$("$HUSK" recover --json "$ndb" | jq -r 'select(.item == "config" and .method == "carved") | .container' | grep -cFf <(awk -F'\t' '$4 == "yes" {print $2}' "$T/containers.tsv"))"
check_eq "copy: no carved line is left without a container" 0 \
    "$(sql "$ndb" "select count(*) from logs where recovered_from like 'carved-%' and container_id is null")"
out=$WORK/rout-carved-gone1
rm -rf "$out"
"$HUSK" recover -q "$ndb" gone1 --out "$out"
check_eq "copy: recover gone1 writes its carved log lines as json-file lines" \
    "$(sha <"$T/removed/gone1/containers/$(awk -F'\t' '$1 == "gone1" {print $2}' "$T/containers.tsv")-json.log")" \
    "$(sha <"$out/logs/carved-json.log")"
check_rc "--no-carve: analyse" 0 "$HUSK" analyse -q --force --no-carve "$img" -o "$WORK/rout-nocarve.db"
check_eq "--no-carve: nothing carved" 0 "$(sql "$WORK/rout-nocarve.db" "select count(*) from carved")"
rm -f "$img"

# ---- orphan layers: a copy of node-a whose metadata no longer names the exited container
# "batch" (its containers/ and layerdb/mounts/ entries unlinked with debugfs, as hand-deleted
# metadata would be); its overlay2 directories, the RW layer and its -init, are reported
img=$WORK/rout-orphan.raw
cp "$raw" "$img"
batch=$(awk -F'\t' '$1 == "batch" {print $2}' "$T/containers.tsv")
mid=$(sql "$db" "select rw_layer from containers where id = '$batch'")
debugfs -w -R "unlink /var/lib/docker/containers/$batch" "$img?offset=$fso" >/dev/null 2>&1
debugfs -w -R "unlink /var/lib/docker/image/overlay2/layerdb/mounts/$batch" "$img?offset=$fso" >/dev/null 2>&1
odb=$WORK/rout-orphan.db
rm -f "$odb"
"$HUSK" analyse -q "$img" -o "$odb"
check_eq "orphans: analyse" 0 $?
check_eq "orphans: batch is gone from the copy's containers" 0 \
    "$(sql "$odb" "select count(*) from containers where id = '$batch' and state != 'removed'")"
check_eq "orphans: its RW layer and -init directories are reported" "$mid $mid-init" \
    "$(sql "$odb" "select detail from recovery_summary where item = 'orphan-layer'" | sed 's|^overlay2/\([^ ]*\) .*|\1|' | sort | paste -sd' ')"
check_eq "orphans: none on the intact node" 0 "$(sql "$db" "select count(*) from recovery_summary where item = 'orphan-layer'")"
rm -f "$img"
