#!/usr/bin/env bash
# Evidence integrity and case-database integrity (docs/robustness.md):
#  - the evidence's SHA-256 and mtime are unchanged after every command, and nothing is
#    written next to it;
#  - an analysis interrupted by SIGINT or SIGKILL leaves a case database that is complete or
#    marked incomplete, and the read commands say so;
#  - a second analysis on an output another one is writing refuses (lock), exit 4;
#  - nothing from the evidence reaches a terminal unescaped (commands run under a pty on the
#    hostile-names image of scripts/make-damaged.sh).
. "$(dirname "$0")/lib.sh"

A=node-a-ext4-gpt
C=node-c-wholedisk
SHOP=98572ea58ebe3380ced4d13b7a53959fed03ad51c23f21fe71820e26e78c80a1
UP=/srv/docker-data/overlay2/cc644ff40fbedc53795b474a7ec2db47d48decf886e068f50a910c89d2436c86/diff

# ---- the evidence is never changed ------------------------------------------------------------
raw=$(raw_image $C)
e01=$TESTDATA/$A/disk.E01
fingerprint() { # FILES...: SHA-256, mtime (ns) and size of each, and the listing of their dirs
    local f
    for f in "$@"; do
        printf '%s %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c '%Y.%y %s' "$f")"
    done
    ls -lA --time-style=full-iso "$(dirname "$1")" | sed 1d
}
ev_raw=("$raw")
ev_e01=("$TESTDATA/$A"/disk.E0*)
before_raw=$(fingerprint "${ev_raw[@]}")
before_e01=$(fingerprint "${ev_e01[@]}")

db=$WORK/integrity-c.db
dbe=$WORK/integrity-a.db
rm -f "$db" "$dbe"
run_all() { # EVIDENCE DB: every command husk has, on that evidence and its case
    local ev=$1 db=$2 out=$WORK/integrity.out
    "$HUSK" analyse -q "$ev" -o "$db"
    "$HUSK" info "$db"
    "$HUSK" containers "$db"
    "$HUSK" inspect "$db" "$(sql "$db" "select id from containers limit 1")"
    "$HUSK" images "$db"
    "$HUSK" history "$db" husk/web:2.3
    for c in $(sql "$db" "select substr(id, 1, 12) from containers where state != 'removed'"); do
        "$HUSK" diff "$db" "$c"
        "$HUSK" logs -t "$db" "$c"
    done
    "$HUSK" findings "$db"
    "$HUSK" ls -r "$ev" /etc
    "$HUSK" ls -r --deleted "$ev" /etc
    "$HUSK" stat "$ev" /etc/passwd
    "$HUSK" cat "$ev" /etc/passwd
    "$HUSK" carve "$ev"
} > "$WORK/integrity.out" 2>&1
run_all "$raw" "$db"
check_eq "every command ran on the raw image" "1" "$([ "$(wc -l < "$WORK/integrity.out")" -gt 100 ] && echo 1)"
run_all "$e01" "$dbe"
# --verify reads every byte once more
"$HUSK" analyse -q --force --verify "$e01" -o "$dbe" > /dev/null 2>&1
check_eq "raw evidence: SHA-256, mtime, size and directory unchanged after every command" "$before_raw" "$(fingerprint "${ev_raw[@]}")"
check_eq "EWF evidence: SHA-256, mtime, size and directory unchanged after every command" "$before_e01" "$(fingerprint "${ev_e01[@]}")"
check_eq "EWF evidence: still the committed hashes" "$(awk '{print $1}' "$TESTDATA/$A/disk.md5")" \
    "$(sql "$dbe" "select value from case_info where key = 'evidence_md5'")"

# ---- interrupted analyses --------------------------------------------------------------------
# A slow run: --verify hashes the whole EWF (seconds). The signal is sent after a delay that
# grows until it lands while the analysis runs (on a fast machine the first ones may be late).
interrupt() { # SIGNAL DELAY DB: runs analyse, signals it after DELAY s; prints its exit code
    python3 -c '
import signal, subprocess, sys, time
sig = getattr(signal, "SIG" + sys.argv[1])
p = subprocess.Popen(sys.argv[4:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(float(sys.argv[2]))
if p.poll() is None:
    p.send_signal(sig)
rc = p.wait()
print(128 - rc if rc < 0 else rc)' "$1" "$2" "$3" "$HUSK" analyse -q --verify "$e01" -o "$3"
}
for sig in INT KILL; do
    idb=$WORK/integrity-$sig.db
    done_it=""
    for delay in 0.3 0.6 1.0 1.5 0.15; do
        rm -f "$idb" "$idb-journal"
        rc=$(interrupt $sig $delay "$idb")
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ -f "$idb" ]; then
            done_it=$delay
            break
        fi
    done
    if [ -z "$done_it" ]; then
        notok "SIG$sig: could not interrupt a running analysis (last exit $rc)"
        continue
    fi
    want=$((128 + $(kill -l $sig)))
    check_eq "SIG$sig after ${done_it}s: analyse died of it" "$want" "$rc"
    status=$(sql "$idb" "select value from case_info where key = 'status'")
    fin=$(sql "$idb" "select ifnull(value, 'NULL') from case_info where key = 'finished_at'")
    check_eq "SIG$sig: the case says it is incomplete (finished_at NULL)" "incomplete: analysis running or interrupted|NULL" "$status|$fin"
    for cmd in containers images findings; do
        err=$("$HUSK" $cmd "$idb" 2>&1 > /dev/null)
        check_eq "SIG$sig: husk $cmd warns that the case is incomplete" "1" \
            "$(printf '%s\n' "$err" | grep -c 'is incomplete (the analysis did not finish)')"
    done
    check_eq "SIG$sig: husk info says the case is incomplete" "2" \
        "$("$HUSK" info "$idb" 2> /dev/null | grep -c -e '^Finished .*(not finished: incomplete case)' -e '^Status .*incomplete: analysis running or interrupted')"
    check_eq "SIG$sig: husk info --json has the status" "1" \
        "$("$HUSK" info --json "$idb" 2> /dev/null | grep -c '"status": "incomplete')"
    check_rc "SIG$sig: analyse refuses to overwrite the incomplete case without --force" 4 \
        "$HUSK" analyse -q "$raw" -o "$idb"
    check_rc "SIG$sig: --force replaces it" 0 "$HUSK" analyse -q --force "$raw" -o "$idb"
    check_eq "SIG$sig: then it is complete" "complete" "$(sql "$idb" "select value from case_info where key = 'status'")"
done

# ---- two analyses on one output ------------------------------------------------------------
ldb=$WORK/integrity-lock.db
got=""
for try in 1 2 3; do
    rm -f "$ldb" "$ldb-journal"
    "$HUSK" analyse -q --verify "$e01" -o "$ldb" > /dev/null 2>&1 &
    first=$!
    for _ in $(seq 100); do
        [ -s "$ldb" ] && break
        sleep 0.05
    done
    second=$("$HUSK" analyse -q --force "$raw" -o "$ldb" 2>&1)
    rc=$?
    stillrunning=$(kill -0 $first 2> /dev/null && echo 1)
    rd=$("$HUSK" info "$ldb" 2>&1 > /dev/null)
    rdrc=$?
    wait $first
    frc=$?
    if [ "$stillrunning" = 1 ]; then
        got=1
        break
    fi
done
if [ -z "$got" ]; then
    notok "two analyses: the first finished before the second started (3 tries)"
else
    check_eq "two analyses: the second (even with --force) refuses, exit 4" "4" "$rc"
    check_eq "two analyses: and says the output is locked by another analyse" "1" \
        "$(printf '%s\n' "$second" | grep -c "is locked: another husk analyse is writing it")"
    check_eq "two analyses: a reader meanwhile is told it is being written (exit 4)" "4|1" \
        "$rdrc|$(printf '%s\n' "$rd" | grep -c 'is locked: a husk analyse is still writing it')"
    check_eq "two analyses: the first finishes undisturbed" "0|complete" \
        "$frc|$(sql "$ldb" "select value from case_info where key = 'status'")"
fi

# ---- nothing from the evidence reaches a terminal raw -----------------------------------------
DMG=$WORK/integrity-damaged
if ! RAWCACHE=$WORK "$ROOT/scripts/make-damaged.sh" "$DMG" hostile-names > "$WORK/make-damaged.log" 2>&1; then
    notok "make-damaged.sh hostile-names: $(tail -n 3 "$WORK/make-damaged.log")"
    exit 1
fi
hn=$DMG/hostile-names/disk.raw
hdb=$WORK/integrity-hostile.db
rm -f "$hdb"
# on_pty NAME ARGS...: runs husk ARGS under a pseudo-terminal (stdout and stderr), checks that
# no control character, invalid UTF-8 or bidirectional override from the evidence came out
on_pty() {
    local name=$1 cmd q
    shift
    cmd=$(printf '%q ' "$HUSK" "$@")
    script -qec "$cmd" /dev/null < /dev/null > "$WORK/pty.out" 2>&1
    q=$(python3 - "$WORK/pty.out" <<'EOF'
import sys
# husk's own progress line on a terminal redraws itself with CR + "erase line" (ESC [ K): that
# sequence is husk's, not the evidence's; what it draws is checked like everything else
b = open(sys.argv[1], 'rb').read().replace(b'\r\x1b[K', b'').replace(b'\r\n', b'\n')
bad = [i for i, c in enumerate(b) if (c < 0x20 and c not in (0x0a, 0x09)) or c == 0x7f]
try:
    s = b.decode('utf-8')
    bad += [i for i, ch in enumerate(s)
            if 0x80 <= ord(ch) <= 0x9f or 0x202a <= ord(ch) <= 0x202e or 0x2066 <= ord(ch) <= 0x2069]
except UnicodeDecodeError as e:
    bad.append(e.start)
if bad:
    print('%d raw bytes, first at %d: %r' % (len(bad), bad[0], b[max(0, bad[0] - 40):bad[0] + 20]))
else:
    print('clean %d' % len(b))
EOF
)
    case $q in
    "clean 0") notok "pty: $name printed nothing" ;;
    clean*) ok "pty: $name: nothing raw from the evidence ($q bytes)" ;;
    *) notok "pty: $name: $q" ;;
    esac
}
on_pty "analyse" analyse "$hn" -o "$hdb"
on_pty "info" info "$hdb"
on_pty "info --json" info --json "$hdb"
on_pty "containers" containers "$hdb"
on_pty "containers --json" containers --json "$hdb"
on_pty "inspect" inspect "$hdb" "${SHOP:0:12}"
on_pty "images" images "$hdb"
on_pty "images --json" images --json "$hdb"
on_pty "history" history "$hdb" husk/web:2.3
on_pty "history --json" history --json "$hdb" husk/web:2.3
on_pty "diff" diff "$hdb" "${SHOP:0:12}"
on_pty "diff --json" diff --json "$hdb" "${SHOP:0:12}"
on_pty "logs" logs -t "$hdb" "${SHOP:0:12}"
on_pty "logs --json" logs --json "$hdb" "${SHOP:0:12}"
on_pty "findings" findings "$hdb"
on_pty "findings --json" findings --json "$hdb"
on_pty "ls -r" ls -r "$hn" "$UP/etc"
on_pty "ls -r --deleted" ls -r --deleted "$hn" "$UP/etc"
on_pty "stat of a symlink with escapes in name and target" stat "$hn" "$UP/etc/lnk"$'\033[2J'
on_pty "stat of a file with an invalid UTF-8 name" stat "$hn" "$UP/etc/inv"$'\xff\xfe\xc3('"utf8"
on_pty "stat --json of a directory with control characters" stat --json "$hn" "$UP/etc/ctl"$'\x01\x02\x7f'"dir"
on_pty "cat (refuses a terminal)" cat "$hn" "$UP/etc/rtl"$'\xe2\x80\xae'"gpj.exe"
on_pty "carve" carve "$hn"
on_pty "carve --json" carve --json "$hn"
check_eq "pty: the hostile name is in the case as the evidence has it" "1" \
    "$(sql "$hdb" "select count(*) from containers where hex(name) like '%1B5D303B70776E656407%'")"
rm -rf "$DMG"
