#!/usr/bin/env bash
# Container logs on the real node images against what `docker logs --timestamps` printed on the
# node before it was imaged (truth/logs/NAME.txt with both streams as `2>&1`, NAME.stdout.txt,
# NAME.stderr.txt), byte for byte, for every container still on the node: json-file with
# rotation, gzip and 16 KiB partial lines (node-a), the local driver with rotation and partial
# metadata, and json-file next to it (node-b).
. "$(dirname "$0")/lib.sh"

# the time prefix docker logs -t puts before every chunk
TS_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z '

# same WHAT EXPECTED_FILE ACTUAL_FILE: byte-for-byte comparison
same() {
    if cmp -s "$2" "$3"; then
        ok "$1"
    else
        notok "$1: $(cmp "$2" "$3" 2>&1 | head -n 1) ($(wc -c < "$2") bytes expected, $(wc -c < "$3") got)"
    fi
}

# the longest line (bytes) of a file
longest() { LC_ALL=C awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"; }

check_node() {
    local img=$1 T=$TESTDATA/$1/truth db=$WORK/logs-$1.db out=$WORK/logs-$1
    mkdir -p "$out"
    "$HUSK" analyse -q "$(raw_image "$img")" -o "$db"
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        notok "$img: analyse failed ($rc)"
        return
    fi
    check_eq "$img: no log file problems recorded" "" \
        "$(sql "$db" "select object || ': ' || message from errors where phase = 'logs'")"

    local name id state removed how
    while IFS=$'\t' read -r name id state removed how; do
        [ "$name" = name ] && continue
        [ "$removed" = no ] || continue # recovery of removed containers' logs is not here
        local t=$T/logs/$name o=$out/$name
        "$HUSK" logs -t "$db" "$name" > "$o.txt" 2> "$o.err"
        check_eq "$img: logs $name exit code" "0" "$?"
        if cmp -s "$t.txt" "$o.txt"; then
            ok "$img: logs -t $name (both streams, in Docker's order)"
        elif [ "$(LC_ALL=C sort "$t.txt" | sha256sum)" = "$(LC_ALL=C sort "$o.txt" | sha256sum)" ]; then
            notok "$img: logs -t $name: the same lines, in another order than Docker's"
        else
            notok "$img: logs -t $name: $(cmp "$t.txt" "$o.txt" 2>&1 | head -n 1)"
        fi
        "$HUSK" logs -t --stdout "$db" "$name" > "$o.stdout.txt" 2>/dev/null
        same "$img: logs -t --stdout $name" "$t.stdout.txt" "$o.stdout.txt"
        "$HUSK" logs -t --stderr "$db" "$name" > "$o.stderr.txt" 2>/dev/null
        same "$img: logs -t --stderr $name" "$t.stderr.txt" "$o.stderr.txt"

        # without -t: the same bytes with every time prefix taken out
        sed -E "s/$TS_RE//g" "$t.txt" > "$o.plain.want"
        "$HUSK" logs "$db" "$name" > "$o.plain" 2>/dev/null
        same "$img: logs $name without timestamps" "$o.plain.want" "$o.plain"
        "$HUSK" logs -t "$db" "${id:0:12}" > "$o.byid" 2>/dev/null
        same "$img: logs by ID prefix ${id:0:12} ($name)" "$o.txt" "$o.byid"

        # the case database: seq 1..N, times in the case form, the driver's source name
        local q="container_id = '$id'"
        check_eq "$img: $name seq runs 1..N" "1" \
            "$(sql "$db" "select count(*) = coalesce(max(seq), 0) and count(distinct seq) = count(*) and coalesce(min(seq), 1) = 1 from logs where $q")"
        check_eq "$img: $name times are UTC with nine fraction digits" "0" \
            "$(sql "$db" "select count(*) from logs where $q and (time is null or time not glob '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z')")"
        check_eq "$img: $name rows come from the container's log driver" "0" \
            "$(sql "$db" "select count(*) from logs l join containers c on c.id = l.container_id where l.$q and l.source != c.log_driver")"
        check_eq "$img: $name rows are live and complete" "0" \
            "$(sql "$db" "select count(*) from logs where $q and (recovered_from != 'live' or partial != 0)")"
        if [ "$(sql "$db" "select log_driver from containers where id = '$id'")" = json-file ]; then
            # a line Docker cut into 16 KiB chunks is one message again
            check_eq "$img: $name longest message is the longest line Docker printed" \
                "$(longest "$o.plain.want")" \
                "$(sql "$db" "select coalesce(max(length(cast(message as blob))), 0) from logs where $q")"
        fi

        # --json: one object per entry
        check_eq "$img: logs --json $name has every row" \
            "$(sql "$db" "select count(*) from logs where $q")" \
            "$("$HUSK" logs --json "$db" "$name" | jq -s length)"

        # --tail and --since/--until, where every line is one entry
        if [ -s "$t.txt" ] && [ "$(longest "$t.txt")" -lt 16000 ]; then
            "$HUSK" logs -t --tail 2 "$db" "$name" > "$o.tail" 2>/dev/null
            tail -n 2 "$t.txt" > "$o.tail.want"
            same "$img: logs --tail 2 $name" "$o.tail.want" "$o.tail"
            local since
            since=$(sed -n '2s/ .*//p' "$t.txt")
            if [ -n "$since" ]; then
                awk -v s="$since" '$1 >= s' "$t.txt" > "$o.since.want"
                "$HUSK" logs -t --since "$since" "$db" "$name" > "$o.since" 2>/dev/null
                same "$img: logs --since $since $name" "$o.since.want" "$o.since"
                awk -v s="$since" '$1 <= s' "$t.txt" > "$o.until.want"
                "$HUSK" logs -t --until "$since" "$db" "$name" > "$o.until" 2>/dev/null
                same "$img: logs --until $since $name" "$o.until.want" "$o.until"
            fi
        fi
    done < "$T/containers.tsv"

    check_rc "$img: logs of an unknown container" 1 "$HUSK" logs "$db" no-such-container
    check_rc "$img: logs --since with a relative duration is refused" 2 \
        "$HUSK" logs --since 10m "$db" "$(awk -F'\t' 'NR > 1 && $4 == "no" { print $1; exit }' "$T/containers.tsv")"
}

check_node node-a-ext4-gpt
check_node node-b-xfs-lvm
check_node node-c-wholedisk
check_node node-d-split-docker

# the rotated json-file set of node-a's web container: every file on the image was read, oldest
# first, and the line Docker split across a rotation is whole again
A=node-a-ext4-gpt
db=$WORK/logs-$A.db
web=$(awk -F'\t' '$1 == "web" { print $2 }' "$TESTDATA/$A/truth/containers.tsv")
check_eq "$A: web's log files all read" \
    "$(awk -F'\t' 'NR > 1 { print $1 }' "$TESTDATA/$A/truth/web-logfiles.tsv" | sort)" \
    "$(sql "$db" "select distinct file from logs where container_id = '$web'" | sed 's|.*/||' | sort)"
check_eq "$A: web's oldest entry comes from the oldest rotated file" \
    "$(awk -F'\t' 'NR > 1 { print $5 "|" $1 }' "$TESTDATA/$A/truth/web-logfiles.tsv" | sort | head -n 1)" \
    "$(sql "$db" "select time || '|' || replace(file, rtrim(file, replace(file, '/', '')), '') from logs where container_id = '$web' and seq = 1")"

B=node-b-xfs-lvm
db=$WORK/logs-$B.db
api=$(awk -F'\t' '$1 == "api" { print $2 }' "$TESTDATA/$B/truth/containers.tsv")
check_eq "$B: api's local-driver files all read" \
    "$(awk -F'\t' 'NR > 1 { print $1 }' "$TESTDATA/$B/truth/api-logfiles.tsv" | sed 's|.*/||' | sort)" \
    "$(sql "$db" "select distinct file from logs where container_id = '$api'" | sed 's|.*/||' | sort)"
