#!/usr/bin/env bash
# husk timeline on the real node images: the bodyfile is read by TSK's own mactime line for
# line, every container's creation and start (as docker inspect printed them before the node
# was imaged) appear at their time with the right MACB letter, --container/--since/--until
# select what the case database says they should, CSV parses with Python's csv module and
# JSON lines with jq, both with Timesketch's fields, consistent with each other.
. "$(dirname "$0")/lib.sh"

command -v mactime >/dev/null || { notok "mactime (sleuthkit) is not installed"; exit 0; }

# check_node NAME IMAGE
check_node() {
    local name=$1 img=$2 T=$TESTDATA/$1/truth db=$WORK/timeline-$1.db d=$WORK/timeline-$1
    mkdir -p "$d"
    rm -f "$db"
    "$HUSK" analyse -q "$img" -o "$db"
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        notok "$name: analyse failed ($rc)"
        return
    fi
    local total
    total=$(sql "$db" "select count(*) from timeline")
    check_eq "$name: the case has a timeline" 1 "$([ "$total" -gt 100 ] && echo 1)"

    # ---- bodyfile, read by mactime
    check_rc "$name: timeline -o body" 0 "$HUSK" timeline -q "$db" -o "$d/body"
    check_eq "$name: bodyfile lines have 11 fields" 0 "$(awk -F'|' 'NF != 11' "$d/body" | wc -l)"
    check_eq "$name: one bodyfile line per non-file event and per files row" \
        "$(sql "$db" "select (select count(*) from timeline where src_table <> 'files')
                    + (select count(distinct src_rowid) from timeline where src_table = 'files')")" \
        "$(wc -l < "$d/body")"
    mactime -b "$d/body" -d -y > "$d/mactime.csv" 2> "$d/mactime.err"
    check_eq "$name: mactime exits 0 and says nothing on stderr" "0:" "$?:$(head -c 200 "$d/mactime.err")"
    # Every (time, letter, name) husk wrote is in mactime's output and nothing else is: mactime
    # skipped no line and split no name. Its output merges equal times of one name into "m.c."
    python3 - "$d/body" "$d/mactime.csv" > "$d/compare.txt" <<'EOF'
import csv, sys, datetime, re
want = {}
for line in open(sys.argv[1], encoding='utf-8', newline='\n'):
    f = line.rstrip('\n').split('|')
    name = re.sub('%([0-9A-Fa-f]{2})', lambda m: chr(int(m.group(1), 16)), f[1])
    for letter, t in zip('macb', (f[8], f[7], f[9], f[10])):
        want.setdefault((int(t), f[2], name), set()).add(letter)
got = {}
rows = list(csv.reader(open(sys.argv[2], encoding='utf-8', newline='')))
assert rows[0][:3] == ['Date', 'Size', 'Type'], rows[0]
for r in rows[1:]:
    when = r[0]
    sec = 0 if when.startswith('0000-00-00') else int(datetime.datetime.strptime(
        when, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp())
    got[(sec, r[6], r[7])] = set(r[2].replace('.', ''))
print('keys', len(want), len(got))
print('missing', sum(1 for k in want if k not in got))
print('extra', sum(1 for k in got if k not in want))
print('letters', sum(1 for k in want if k in got and got[k] != want[k]))
EOF
    check_eq "$name: mactime printed every event of the bodyfile, nothing else" \
        "missing 0;extra 0;letters 0" "$(sed -n '2,4p' "$d/compare.txt" | paste -sd';')"

    # ---- each container's creation and start, as docker inspect printed them
    local f cname created started cid found
    for f in "$T"/inspect/*.json; do
        cname=$(jq -r '.[0].Name | ltrimstr("/")' "$f")
        cid=$(jq -r '.[0].Id' "$f")
        found=$(sql "$db" "select count(*) from containers where id = '$cid'")
        if [ "$found" = 0 ]; then
            # removed and not recovered: nothing to place (test_recover.sh says which)
            check_eq "$name: $cname not in the case, so not in the timeline" 0 \
                "$(sql "$db" "select count(*) from timeline where container_id = '$cid'")"
            continue
        fi
        created=$(jq -r '.[0].Created' "$f" | xargs -I{} date -u -d {} +%Y-%m-%dT%H:%M:%SZ)
        check_eq "$name: mactime shows $cname created at $created (b)" 1 \
            "$(grep -c "^$created,0,\.\.\.b,.*,\"container $cname created from image " "$d/mactime.csv")"
        started=$(jq -r '.[0].State.StartedAt' "$f")
        if [ "${started:0:4}" != 0001 ]; then
            started=$(date -u -d "$started" +%Y-%m-%dT%H:%M:%SZ)
            check_eq "$name: mactime shows $cname started at $started (m)" 1 \
                "$(grep -c "^$started,0,m\.\.\.,.*,\"container $cname started " "$d/mactime.csv")"
        fi

        # ---- --container: that container's events and only those, with provenance
        "$HUSK" timeline --json --container "$cname" "$db" > "$d/c-$cname.jsonl"
        check_eq "$name: --container $cname: as many events as the case has" \
            "$(sql "$db" "select count(*) from timeline where container_id = '$cid'")" \
            "$(wc -l < "$d/c-$cname.jsonl")"
        check_eq "$name: --container $cname: no other container's event" 0 \
            "$(jq -r --arg id "$cid" 'select(.container_id != $id)' "$d/c-$cname.jsonl" | wc -l)"
        check_eq "$name: --container $cname: its creation at docker's time, to the ns" \
            "$(date -u -d "$(jq -r '.[0].Created' "$f")" +%s%N)" \
            "$(jq -r 'select(.kind == "created" and .source == "container") | .time' "$d/c-$cname.jsonl" |
                xargs -I{} date -u -d {} +%s%N)"
        check_eq "$name: --container $cname: provenance is the containers row's" \
            "$(sql "$db" "select recovered_from || ' containers ' || rowid from containers where id = '$cid'")" \
            "$(jq -r 'select(.kind == "created" and .source == "container") | "\(.recovered_from) \(.src_table) \(.src_rowid)"' "$d/c-$cname.jsonl")"
        check_eq "$name: --container ${cid:0:12} (ID prefix) gives the same" \
            "$(md5sum < "$d/c-$cname.jsonl")" \
            "$("$HUSK" timeline --json --container "${cid:0:12}" "$db" | md5sum)"
    done

    # ---- --since/--until against the case database and against the truth
    local web since until s_unix
    web=$(ls "$T"/inspect/*.json | head -n 1)
    since=$(jq -r '.[0].Created' "$web")
    until=$(jq -r '.[0].State.FinishedAt' "$web")
    [ "${until:0:4}" != 0001 ] || until=$(jq -r '.[0].State.StartedAt' "$web")
    [ "${until:0:4}" != 0001 ] || until=2100-01-01T00:00:00Z
    local s_db u_db
    s_db=$(date -u -d "$since" +%Y-%m-%dT%H:%M:%S.%NZ)
    u_db=$(date -u -d "$until" +%Y-%m-%dT%H:%M:%S.%NZ)
    "$HUSK" timeline --json --since "$since" --until "$until" "$db" > "$d/range.jsonl"
    check_eq "$name: --since/--until: the case's events in [$s_db, $u_db]" \
        "$(sql "$db" "select count(*) from timeline where time >= '$s_db' and time <= '$u_db'")" \
        "$(wc -l < "$d/range.jsonl")"
    check_eq "$name: --since/--until: nothing outside" 0 \
        "$(jq -r --arg s "$s_db" --arg u "$u_db" 'select(.time < $s or .time > $u)' "$d/range.jsonl" | wc -l)"
    check_eq "$name: --since is inclusive: the first container's creation is in" 1 \
        "$(jq -r --arg s "$s_db" 'select(.time == $s and .kind == "created")' "$d/range.jsonl" | jq -s length)"
    # one nanosecond later it is out
    local s_next
    s_next=$(python3 -c "import sys; s=sys.argv[1]; print(s[:20] + '%09d' % (int(s[20:29]) + 1) + 'Z')" "$s_db")
    check_eq "$name: --since one ns after a creation leaves it out" 0 \
        "$("$HUSK" timeline --json --since "$s_next" "$db" | jq -r --arg s "$s_db" 'select(.time == $s and .kind == "created")' | wc -l)"
    # Unix seconds select the same as the RFC 3339 second
    s_unix=$(date -u -d "$since" +%s)
    check_eq "$name: --since in Unix seconds = the same second in RFC 3339" \
        "$("$HUSK" timeline --format csv --since "$(date -u -d @"$s_unix" +%Y-%m-%dT%H:%M:%SZ)" "$db" | md5sum)" \
        "$("$HUSK" timeline --format csv --since "$s_unix" "$db" | md5sum)"
    # the bodyfile of a range: mactime sees no time outside it but the 0 of unset columns
    "$HUSK" timeline --since "$since" --until "$until" "$db" > "$d/range.body"
    check_eq "$name: bodyfile of a range: every time is 0 or in range" 0 \
        "$(awk -F'|' -v s="$(date -u -d "$since" +%s)" -v u="$(date -u -d "$until" +%s)" \
            '{for (i = 8; i <= 11; i++) if ($i != 0 && ($i < s || $i > u)) n++} END {print n + 0}' "$d/range.body")"

    # ---- CSV (Python's csv module) and JSON lines (jq): Timesketch's fields, consistent
    "$HUSK" timeline --format csv "$db" > "$d/all.csv"
    "$HUSK" timeline --format jsonl "$db" > "$d/all.jsonl"
    check_eq "$name: every JSON line parses (jq)" "$total" "$(jq -c . "$d/all.jsonl" | wc -l)"
    check_eq "$name: JSON lines have message, datetime, timestamp, timestamp_desc" 0 \
        "$(jq -r 'select((.message | type) != "string" or (.datetime | type) != "string"
                  or (.timestamp | type) != "number" or (.timestamp_desc | type) != "string"
                  or .timestamp_desc == "")' "$d/all.jsonl" | wc -l)"
    python3 - "$d/all.csv" "$d/all.jsonl" > "$d/csv.txt" <<'EOF'
import csv, json, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8', newline='')))
js = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
print('rows', len(rows))
bad = 0
prev = None
for r, j in zip(rows, js):
    ts = int(r['timestamp'])
    dt = datetime.datetime.fromisoformat(r['datetime'])
    us = int(dt.timestamp()) * 1000000 + dt.microsecond
    # time (ns) -> datetime (us) -> timestamp agree; sorted; CSV = JSON
    ns = r['time']
    if us != ts or ns[:26] != r['datetime'][:26] or (prev is not None and ts < prev):
        bad += 1
    if not r['message'] or not r['timestamp_desc']:
        bad += 1
    for k in ('message', 'datetime', 'timestamp_desc', 'time', 'source', 'kind', 'path',
              'container_id', 'container_name', 'recovered_from', 'src_table'):
        if (j[k] if j[k] is not None else '') != r[k]:
            bad += 1
    if j['timestamp'] != ts or str(j['src_rowid'] if j['src_rowid'] is not None else '') != r['src_rowid']:
        bad += 1
    prev = ts
print('bad', bad)
print('recovered', sum(1 for r in rows if r['recovered_from'] not in ('', 'live')))
EOF
    check_eq "$name: CSV parses, one row per timeline row" "rows $total" "$(sed -n 1p "$d/csv.txt")"
    check_eq "$name: CSV sorted, datetime/timestamp/time agree, CSV = JSON lines" "bad 0" \
        "$(sed -n 2p "$d/csv.txt")"
    check_eq "$name: recovered rows keep their provenance in the CSV" \
        "recovered $(sql "$db" "select count(*) from timeline where recovered_from not in ('', 'live')")" \
        "$(sed -n 3p "$d/csv.txt")"
}

check_node node-a-ext4-gpt "$TESTDATA/node-a-ext4-gpt/disk.E01"
check_node node-b-xfs-lvm "$(raw_image node-b-xfs-lvm)"

db=$WORK/timeline-node-a-ext4-gpt.db
check_rc "timeline of an unknown container fails" 1 "$HUSK" timeline --container no-such "$db"
check_rc "timeline --since that is not a time is a usage error" 2 "$HUSK" timeline --since 10m "$db"
check_rc "timeline --format xml is a usage error" 2 "$HUSK" timeline --format xml "$db"
check_rc "timeline -o onto the case database itself is refused" 2 "$HUSK" timeline "$db" -o "$db"
check_eq "the case database is still readable after that" 1 \
    "$([ "$(sql "$db" "select count(*) from timeline")" -gt 0 ] && echo 1)"
check_rc "timeline --help" 0 "$HUSK" timeline --help
check_eq "-q: nothing on stderr with -o" "" "$("$HUSK" timeline -q "$db" -o "$WORK/q.body" 2>&1)"
check_eq "without -q: a summary on stderr with -o" 1 \
    "$("$HUSK" timeline "$db" -o "$WORK/q.body" 2>&1 | grep -c 'bodyfile lines written')"
