#!/usr/bin/env bash
# Output habits of every command on the real node-a image: --json on every listing command
# parses and holds what the case database (or the text output) holds; -q/--quiet silences
# warnings; the progress indicator of analyse and carve is drawn on a real terminal (a
# pseudo-terminal from Python's pty module) and never when standard error is not one.
. "$(dirname "$0")/lib.sh"

A=node-a-ext4-gpt
IMG=$TESTDATA/$A/disk.E01
db=$WORK/cli-output.db
rm -f "$db"
"$HUSK" analyse -q "$IMG" -o "$db"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
    notok "analyse failed ($rc)"
    exit 0
fi
web=$(sql "$db" "select id from containers where name = 'web'")
webimg=$(sql "$db" "select json_extract(repo_tags, '\$[0]') from images where repo_tags like '%husk/web%'")

# ---- --json on every listing command
# json_lines WHAT EXPECTED_COUNT command...: one JSON object per line, as many as expected
json_lines() {
    local what=$1 want=$2 out
    shift 2
    out=$("$@" 2>/dev/null)
    check_eq "$what --json: every line a JSON object" 0 \
        "$(printf '%s\n' "$out" | jq -c 'select(type != "object")' 2>&1 | wc -l)"
    check_eq "$what --json: one object per row" "$want" "$(printf '%s\n' "$out" | jq -s length)"
}
json_lines "containers" "$(sql "$db" "select count(*) from containers")" "$HUSK" containers --json "$db"
# docker images -a: one row per tag, untagged images once
json_lines "images -a" \
    "$(sql "$db" "select sum(max(coalesce(json_array_length(repo_tags), 0), 1)) from images")" \
    "$HUSK" images -a --json "$db"
json_lines "history" \
    "$(sql "$db" "select count(*) from image_history h join images i on i.id = h.image_id
                  where i.repo_tags like '%\"$webimg\"%'")" "$HUSK" history --json "$db" "$webimg"
json_lines "logs" "$(sql "$db" "select count(*) from logs where container_id = '$web'")" \
    "$HUSK" logs --json "$db" web
json_lines "timeline" "$(sql "$db" "select count(*) from timeline")" "$HUSK" timeline --json "$db"
json_lines "ls" "$("$HUSK" ls "$IMG" /etc | wc -l)" "$HUSK" ls --json "$IMG" /etc
json_lines "ls -r" "$("$HUSK" ls -r "$IMG" /var/lib/docker/volumes | wc -l)" \
    "$HUSK" ls -r --json "$IMG" /var/lib/docker/volumes
json_lines "carve" "$("$HUSK" carve -q "$IMG" | wc -l)" "$HUSK" carve -q --json "$IMG"
check_eq "ls --json: the text listing's paths" "$("$HUSK" ls "$IMG" /etc | awk '{print $NF}')" \
    "$("$HUSK" ls --json "$IMG" /etc | jq -r .path)"
check_eq "ls --json: the text listing's inodes and sizes" \
    "$("$HUSK" ls "$IMG" /etc | awk '{print $7, $5}')" \
    "$("$HUSK" ls --json "$IMG" /etc | jq -r '"\(.inode) \(.size)"')"
check_eq "diff --json: one element per change" \
    "$(sql "$db" "select count(*) from container_diff where container_id = '$web'")" \
    "$("$HUSK" diff --json "$db" web | jq length)"
check_eq "findings --json: one element per finding" "$(sql "$db" "select count(*) from findings")" \
    "$("$HUSK" findings --json "$db" | jq length)"
check_eq "info --json: the case's evidence format" "ewf" \
    "$("$HUSK" info --json "$db" | jq -r '.case.evidence_format')"
check_eq "info --json: one element per file system" "$(sql "$db" "select count(*) from filesystems")" \
    "$("$HUSK" info --json "$db" | jq '.filesystems | length')"
check_eq "inspect: JSON, one element per container asked for" 2 \
    "$("$HUSK" inspect "$db" web escape | jq length)"

# ---- -q/--quiet: an incomplete case makes every case-database command warn
inc=$WORK/cli-output-incomplete.db
cp "$db" "$inc"
sql "$inc" "update case_info set value = NULL where key = 'finished_at'"
check_eq "info -q: its report, the same" "$("$HUSK" info "$inc" 2>&1 | md5sum)" \
    "$("$HUSK" info -q "$inc" 2>&1 | md5sum)"
for cmd in "containers" "images" "findings" "timeline" "diff:web" "logs:web" "inspect:web" \
    "history:$webimg"; do
    name=${cmd%%:*}
    arg=${cmd#*:}
    [ "$arg" = "$cmd" ] && arg=
    warn=$("$HUSK" $name "$inc" $arg 2>&1 >/dev/null)
    check_eq "$name warns about an incomplete case" 1 "$(printf '%s\n' "$warn" | grep -c 'incomplete')"
    case $name in
    containers | images | history)
        # docker's own -q of ps, images and history means "IDs only": not taken for warnings
        continue
        ;;
    esac
    check_eq "$name -q: no warning" "" "$("$HUSK" $name -q "$inc" $arg 2>&1 >/dev/null)"
    check_eq "$name --quiet: same output" "$("$HUSK" $name "$inc" $arg 2>/dev/null | md5sum)" \
        "$("$HUSK" $name --quiet "$inc" $arg 2>/dev/null | md5sum)"
done
for cmd in ls stat cat; do
    p=/etc/hostname
    [ "$cmd" = ls ] && p=/etc
    check_rc "$cmd -q is accepted" 0 "$HUSK" $cmd -q "$IMG" $p
done

# ---- progress: only on a terminal
# on_tty FILE command...: runs the command with standard error on a new pseudo-terminal and
# standard output to FILE.out; what reached the terminal goes to FILE.tty
on_tty() {
    local f=$1
    shift
    python3 - "$f" "$@" <<'EOF'
import os, pty, subprocess, sys
f = sys.argv[1]
m, s = pty.openpty()
with open(f + '.out', 'wb') as out:
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=s)
os.close(s)
data = b''
while True:
    try:
        b = os.read(m, 65536)
    except OSError:  # EIO: the child closed its end
        break
    if not b:
        break
    data += b
rc = p.wait()
open(f + '.tty', 'wb').write(data)
sys.exit(rc)
EOF
}
t=$WORK/cli-progress
on_tty "$t-analyse" "$HUSK" analyse "$IMG" -o "$WORK/cli-progress.db"
check_eq "analyse on a terminal: finishes" 1 "$([ -s "$WORK/cli-progress.db" ] && echo 1)"
for phase in "walking and hashing container layers" "parsing container logs" "walking volumes" \
    "recovery: rebuilding deleted files" "recovery: layers of removed containers"; do
    check_eq "analyse on a terminal shows '$phase'" 1 "$(grep -c "$phase" "$t-analyse.tty" | sed 's/^[1-9][0-9]*$/1/')"
done
n=$(sql "$db" "select count(*) from containers where recovered_from = 'live'")
check_eq "analyse progress counts the live containers" 1 \
    "$(tr '\r' '\n' < "$t-analyse.tty" | grep -c "walking and hashing container layers: 100% ($n of $n)")"
check_eq "analyse progress line is cleared before the summary" 1 \
    "$(tr '\r' '\n' < "$t-analyse.tty" | grep -c $'^\e\\[Khusk: case database written')"
on_tty "$t-analyse-q" "$HUSK" analyse -q "$IMG" -o "$WORK/cli-progress-q.db"
check_eq "analyse -q on a terminal: nothing at all" "" "$(cat "$t-analyse-q.tty")"
"$HUSK" analyse "$IMG" -o "$WORK/cli-progress-pipe.db" 2> "$t-analyse-pipe.err"
check_eq "analyse without a terminal: no progress" 0 \
    "$(grep -c -e $'\r' -e '%' -e 'walking' "$t-analyse-pipe.err")"
check_eq "analyse with and without progress: the same case" \
    "$(sql "$WORK/cli-progress-pipe.db" "select count(*) from files; select count(*) from logs; select count(*) from timeline")" \
    "$(sql "$WORK/cli-progress.db" "select count(*) from files; select count(*) from logs; select count(*) from timeline")"

on_tty "$t-carve" "$HUSK" carve "$IMG"
check_eq "carve on a terminal shows 'carving free space'" 1 \
    "$(tr '\r' '\n' < "$t-carve.tty" | grep -c 'carving free space: 100% ')"
check_eq "carve on a terminal shows the journal pass" 1 \
    "$(grep -c 'carving the ext4 journal' "$t-carve.tty" | sed 's/^[1-9][0-9]*$/1/')"
"$HUSK" carve "$IMG" > "$t-carve-pipe.out" 2> "$t-carve-pipe.err"
check_eq "carve without a terminal: no progress" 0 \
    "$(grep -c -e $'\r' -e 'carving free space' "$t-carve-pipe.err")"
check_eq "carve: the same artefacts with and without a terminal" \
    "$(md5sum < "$t-carve-pipe.out")" "$(md5sum < "$t-carve.out")"
on_tty "$t-carve-q" "$HUSK" carve -q "$IMG"
check_eq "carve -q on a terminal: nothing at all" "" "$(cat "$t-carve-q.tty")"
