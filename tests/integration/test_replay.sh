#!/usr/bin/env bash
# Crash-consistent images: the ext4 journal replayed in memory (node-e, copied with no sync or
# freeze while Docker ran), both views, provenance of what only the journal shows; nothing
# changes on the clean images (a, b); XFS log states. The evidence is never written.
. "$(dirname "$0")/lib.sh"

# husk ls output -> "type inode size path" (the fields of the truth listings), sorted by path
norm() {
    awk '{p = $8; for (i = 9; i <= NF; i++) p = p " " $i; printf "%s\t%s\t%s\t%s\n", $1, $7, $5, p}' |
        sort -t$'\t' -k4,4
}
# value of KEY in a two-column TSV
tsv() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }
# the truth listing's line for PATH (type, inode, size), or "-"
line_of() { awk -F'\t' -v p="$2" '$4 == p {print $1 "/" $2 "/" $3; f = 1} END {if (!f) print "-"}' "$1"; }

E=node-e-crash
T=$TESTDATA/$E/truth
raw=$(raw_image $E)
check_eq "node-e: the decompressed disk matches disk.sha256" \
    "$(awk '{print $1}' "$TESTDATA/$E/disk.sha256")" "$(sha256sum "$raw" | awk '{print $1}')"
before_e=$(sha256sum "$raw" | awk '{print $1}')

# ------------------------------------------------------------------ both views, by hand
ndiff=$(diff "$T/home-listing.txt" "$T/replayed-listing.txt" | grep -c '^[<>]')
check_eq "node-e: the fixture's two reference listings differ" 1 "$((ndiff > 0))"
"$HUSK" ls -r "$raw" /var/lib/docker 2>"$WORK/e-ls.err" | norm >"$WORK/e-replayed.txt"
check_eq "node-e: husk ls -r lists as many entries as the replayed reference" \
    "$(wc -l <"$T/replayed-listing.txt")" "$(wc -l <"$WORK/e-replayed.txt")"
check_eq "node-e: husk ls -r equals the e2fsck-replayed listing (type, inode, size, path)" "" \
    "$(diff "$T/replayed-listing.txt" "$WORK/e-replayed.txt" | head -n 6)"
check_eq "node-e: husk ls -r prints no warnings" "" "$(head -n 3 "$WORK/e-ls.err")"
"$HUSK" ls -r --no-replay "$raw" /var/lib/docker 2>/dev/null | norm >"$WORK/e-home.txt"
check_eq "node-e: husk ls -r --no-replay lists as many entries as TSK on the home blocks" \
    "$(wc -l <"$T/home-listing.txt")" "$(wc -l <"$WORK/e-home.txt")"
check_eq "node-e: husk ls -r --no-replay equals TSK's listing of the unreplayed copy" "" \
    "$(diff "$T/home-listing.txt" "$WORK/e-home.txt" | head -n 6)"

declare -A CID
while IFS=$'\t' read -r name id _; do
    [ "$name" = name ] || CID[$name]=$id
done <"$T/containers.tsv"
late_up=$(tsv "$T/paths.tsv" late.upper)
asset=$late_up/app/releases/7/asset-1.txt
check_eq "node-e: stat of a late file: its size comes from the journal" \
    "$(line_of "$T/replayed-listing.txt" "$asset" | cut -d/ -f3)" \
    "$(stat_field "$("$HUSK" stat "$raw" "$asset" 2>&1)" size)"
check_eq "node-e: stat --no-replay: the home blocks' size" \
    "$(line_of "$T/home-listing.txt" "$asset" | cut -d/ -f3)" \
    "$(stat_field "$("$HUSK" stat --no-replay "$raw" "$asset" 2>&1)" size)"
"$HUSK" cat "$raw" "$asset" >"$WORK/e-asset.txt" 2>/dev/null
check_eq "node-e: cat reads the file's data through the replayed extents" "HUSK-E-LATE asset 001" \
    "$(cat "$WORK/e-asset.txt")"
late_log=/var/lib/docker/containers/${CID[late]}/${CID[late]}-json.log
check_eq "node-e: late's json log has its lines only after the replay" "1|0" \
    "$("$HUSK" cat "$raw" "$late_log" 2>/dev/null | grep -c '"log":"late: ready\\n"')|$("$HUSK" cat --no-replay "$raw" "$late_log" 2>/dev/null | wc -c)"
tick_mounts=/var/lib/docker/containers/${CID[ticker]}/mounts
check_rc "node-e: a directory only the journal has is listed" 0 "$HUSK" ls "$raw" "$tick_mounts"
check_rc "node-e: ... and not found in the home blocks" 1 "$HUSK" ls --no-replay "$raw" "$tick_mounts"

# ------------------------------------------------------------------ analyse: replayed
db=$WORK/e.db
check_rc "node-e: analyse" 0 "$HUSK" analyse -q "$raw" -o "$db"
ncommit=$(tsv "$T/journal.tsv" logdump_commit_blocks)
journal=$(sql "$db" "select journal from filesystems")
check_eq "node-e: filesystems.journal says how many transactions were replayed" \
    "replayed ($ncommit transactions," "$(echo "$journal" | cut -d' ' -f1-3)"
check_eq "node-e: case_info journal_replay" on "$(sql "$db" "select value from case_info where key='journal_replay'")"
check_eq "node-e: husk info shows the journal state" "journal: $journal" \
    "$("$HUSK" info "$db" | sed -n 's/^ *\(journal: .*\)$/\1/p')"
check_eq "node-e: info --json carries filesystems.journal" 1 \
    "$("$HUSK" info --json "$db" | grep -c '"journal": "replayed (')"
check_eq "node-e: no problems recorded" 0 "$(sql "$db" "select count(*) from errors")"
check_eq "node-e: every container Docker listed is in the case database" \
    "$(tail -n +2 "$T/containers.tsv" | cut -f1 | sort | tr '\n' ' ')" \
    "$(sql "$db" "select name from containers order by name" | tr '\n' ' ')"
for name in "${!CID[@]}"; do
    id=${CID[$name]}
    want=live
    for f in config.v2.json hostconfig.json; do
        p=/var/lib/docker/containers/$id/$f
        [ "$(line_of "$T/home-listing.txt" "$p")" = "$(line_of "$T/replayed-listing.txt" "$p")" ] ||
            want=journal-replay
    done
    check_eq "node-e: container $name: recovered_from" "$want" \
        "$(sql "$db" "select recovered_from from containers where id='$id'")"
done
check_eq "node-e: at least one container exists in this form only in the journal" 1 \
    "$(sql "$db" "select count(*) > 0 from containers where recovered_from='journal-replay'")"

# every files row whose entry differs between the two reference listings says so
sql "$db" "select host_path, recovered_from from files where host_path like '/var/lib/docker/%'" \
    >"$WORK/e-files.txt"
bad=$(awk -F'|' 'FNR == 1 {n++} n == 1 {split($0, a, "\t"); h[a[4]] = a[1] "/" a[2] "/" a[3]; next}
    n == 2 {split($0, a, "\t"); r[a[4]] = a[1] "/" a[2] "/" a[3]; next}
    { hv = ($1 in h) ? h[$1] : "-"; rv = ($1 in r) ? r[$1] : "-";
      if (hv != rv && $2 != "journal-replay") print $1 }' \
    "$T/home-listing.txt" "$T/replayed-listing.txt" "$WORK/e-files.txt" | head -n 3)
check_eq "node-e: files rows that differ between the views are recovered_from journal-replay" "" "$bad"
check_eq "node-e: late's 120 assets are files rows whose sizes came from the journal" "120|120" \
    "$(sql "$db" "select count(*), sum(recovered_from = 'journal-replay') from files
        where host_path like '$late_up/app/releases/7/asset-%'")"
check_eq "node-e: late's directories, written home before the copy, are live" live \
    "$(sql "$db" "select recovered_from from files where host_path = '$late_up/app/releases/7'")"
api_up=$(tsv "$T/paths.tsv" api.upper)
check_eq "node-e: the synced api container's files are live" 0 \
    "$(sql "$db" "select count(*) from files where host_path like '$api_up/%' and recovered_from <> 'live'")"
check_eq "node-e: late's log lines (only in the journal) are all there" \
    "$(wc -l <"$T/logs/late.txt")|journal-replay" \
    "$(sql "$db" "select count(*), group_concat(distinct recovered_from) from logs where container_id='${CID[late]}'")"
check_eq "node-e: api's log lines (home blocks) are live" "$(wc -l <"$T/logs/api.txt")|live" \
    "$(sql "$db" "select count(*), group_concat(distinct recovered_from) from logs where container_id='${CID[api]}'")"
check_eq "node-e: the timeline says which entries the replay gave" 1 \
    "$(sql "$db" "select count(*) > 0 from timeline where description like '%[recovered: journal-replay]%'")"

# ------------------------------------------------------------------ analyse: home blocks only
db=$WORK/e-home.db
check_rc "node-e: analyse --no-replay" 0 "$HUSK" analyse -q --no-replay "$raw" -o "$db"
check_eq "node-e --no-replay: filesystems.journal" "needs-recovery ($ncommit transactions," \
    "$(sql "$db" "select journal from filesystems" | cut -d' ' -f1-3)"
check_eq "node-e --no-replay: case_info journal_replay" off \
    "$(sql "$db" "select value from case_info where key='journal_replay'")"
check_eq "node-e --no-replay: nothing is marked journal-replay" 0 \
    "$(sql "$db" "select (select count(*) from files where recovered_from='journal-replay') +
        (select count(*) from containers where recovered_from='journal-replay') +
        (select count(*) from logs where recovered_from='journal-replay')")"
check_eq "node-e --no-replay: late's log is empty in the home blocks" 0 \
    "$(sql "$db" "select count(*) from logs where container_id='${CID[late]}'")"
check_eq "node-e --no-replay: late's assets are all empty files" "120|0" \
    "$(sql "$db" "select count(*), sum(size) from files where host_path like '$late_up/app/releases/7/asset-%'")"
check_eq "node-e: the evidence is unchanged" "$before_e" "$(sha256sum "$raw" | awk '{print $1}')"

# ------------------------------------------------------------------ clean images: nothing changes
dump() { # db: the rows the replay could touch, ids included
    sql "$1" "select * from containers order by id"
    sql "$1" "select id, container_id, scope, path, type, size, inode, sha256, recovered_from from files order by id"
    sql "$1" "select count(*), group_concat(distinct recovered_from) from logs"
}
for A in node-a-ext4-gpt node-b-xfs-lvm; do
    r=$(raw_image $A)
    sum=$(sha256sum "$r" | awk '{print $1}')
    check_rc "$A: analyse" 0 "$HUSK" analyse -q "$r" -o "$WORK/$A-replay.db"
    check_rc "$A: analyse --no-replay" 0 "$HUSK" analyse -q --no-replay "$r" -o "$WORK/$A-home.db"
    case $A in
    node-a*) want=clean ;;
    *) want="clean (log covered)" ;; # frozen: xfs_log_cover()'s superblock-only records
    esac
    check_eq "$A: filesystems.journal" "$want" "$(sql "$WORK/$A-replay.db" "select journal from filesystems")"
    check_eq "$A --no-replay: filesystems.journal" "$want" \
        "$(sql "$WORK/$A-home.db" "select journal from filesystems")"
    check_eq "$A: the replay option changes no row" "" \
        "$(diff <(dump "$WORK/$A-replay.db") <(dump "$WORK/$A-home.db") | head -n 4)"
    check_eq "$A: nothing is marked journal-replay" 0 \
        "$(sql "$WORK/$A-replay.db" "select count(*) from files where recovered_from='journal-replay'")"
    check_eq "$A: ls -r is the same with and without --no-replay" "" \
        "$(diff <("$HUSK" ls -r "$r" /var/lib/docker 2>&1) <("$HUSK" ls -r --no-replay "$r" /var/lib/docker 2>&1) | head -n 4)"
    check_eq "$A: the evidence is unchanged" "$sum" "$(sha256sum "$r" | awk '{print $1}')"
done

# ------------------------------------------------------------------ XFS log states
for k in dirty clean; do
    x=$WORK/xfs-log-$k.raw
    xz -dc "$TESTDATA/xfs-log/$k.raw.xz" >"$x"
    check_eq "xfs-log $k: the decompressed image matches its hash" \
        "$(awk '{print $1}' "$TESTDATA/xfs-log/$k.sha256")" "$(sha256sum "$x" | awk '{print $1}')"
    "$HUSK" analyse -q "$x" -o "$WORK/xfs-$k.db" >/dev/null 2>&1
    want=$([ $k = dirty ] && echo xfs-log-dirty || echo clean)
    check_eq "xfs-log $k: filesystems.journal" "$want" \
        "$(sql "$WORK/xfs-$k.db" "select journal from filesystems")"
    check_eq "xfs-log $k: the evidence is unchanged" "$(awk '{print $1}' "$TESTDATA/xfs-log/$k.sha256")" \
        "$(sha256sum "$x" | awk '{print $1}')"
done
