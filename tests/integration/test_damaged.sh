#!/usr/bin/env bash
# Damaged and hostile evidence (docs/robustness.md): scripts/make-damaged.sh derives each case
# from the real node images; husk analyse must finish on every one (exit 0 or 5; 3 only where
# nothing is readable), within a wall-clock limit and a memory bound, record each problem in
# the errors table (with its byte offset where there is one) and still write what the damage
# left intact, compared with the ground truth Docker printed.
. "$(dirname "$0")/lib.sh"

RSS_LIMIT_KB=262144 # 256 MiB: the bound docs/robustness.md states
if grep -q __asan_init "$HUSK" 2> /dev/null; then
    RSS_LIMIT_KB=$((RSS_LIMIT_KB * 4)) # AddressSanitizer: shadow memory and quarantine
fi
WALL=120            # seconds per command; a loop must not hang CI
DMG=$WORK/damaged
C=node-c-wholedisk
TC=$TESTDATA/$C/truth

for n in node-a-ext4-gpt node-c-wholedisk node-d-split-docker node-e-crash; do raw_image $n > /dev/null; done
if ! RAWCACHE=$WORK "$ROOT/scripts/make-damaged.sh" "$DMG" > "$WORK/make-damaged.log" 2>&1; then
    notok "make-damaged.sh: $(tail -n 3 "$WORK/make-damaged.log")"
    exit 1
fi
ok "make-damaged.sh made $(wc -l < "$DMG/cases.tsv") damaged images"

# measured CASE ARGS...: runs husk under timeout and a peak-RSS measurement; sets RC and RSS
measured() {
    local tag=$1
    shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f %M -o "$WORK/$tag.rss" timeout -s KILL $WALL "$HUSK" "$@" \
            > "$WORK/$tag.out" 2> "$WORK/$tag.err"
        RC=$?
        RSS=$(tail -n 1 "$WORK/$tag.rss")
    else
        python3 -c '
import resource, subprocess, sys
rc = subprocess.call(["timeout", "-s", "KILL", sys.argv[1]] + sys.argv[3:],
                     stdout=open(sys.argv[2] + ".out", "w"), stderr=open(sys.argv[2] + ".err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)' $WALL "$WORK/$tag" "$HUSK" "$@" > "$WORK/$tag.rss"
        RC=$?
        RSS=$(tail -n 1 "$WORK/$tag.rss")
    fi
    case $RSS in '' | *[!0-9]*) RSS=0 ;; esac
}

# analyse CASE ALLOWED_RCS: analyses the case, checks exit code, time, memory, completeness
analyse() {
    local c=$1 allowed=$2 ev
    ev=$(awk -F'\t' -v c="$c" '$1 == c {print $2}' "$DMG/cases.tsv")
    DB=$WORK/damaged-$c.db
    rm -f "$DB"
    measured "dmg-$c" analyse -q "$ev" -o "$DB"
    if [ "$RC" -eq 137 ] || [ "$RC" -eq 124 ]; then
        notok "$c: analyse did not finish within ${WALL}s"
    elif [ "$RC" -ge 128 ]; then
        notok "$c: analyse died of signal $((RC - 128)): $(tail -n 2 "$WORK/dmg-$c.err")"
    fi
    case " $allowed " in
    *" $RC "*) ok "$c: analyse exit $RC (allowed: $allowed)" ;;
    *) notok "$c: analyse exit $RC, allowed $allowed: $(tail -n 2 "$WORK/dmg-$c.err")" ;;
    esac
    if [ "$RSS" -gt 0 ] && [ "$RSS" -le $RSS_LIMIT_KB ]; then
        ok "$c: peak RSS ${RSS} KiB <= $RSS_LIMIT_KB"
    else
        notok "$c: peak RSS ${RSS} KiB, bound $RSS_LIMIT_KB"
    fi
    echo "# $c: exit $RC, peak RSS $RSS KiB, $(sql "$DB" "select count(*) from errors where phase != 'recovery'" 2>/dev/null) error rows"
    if [ "$RC" -ne 3 ]; then
        check_eq "$c: case database complete" "complete" \
            "$(sql "$DB" "select value from case_info where key = 'status'")"
    fi
    # the read commands work on whatever was written, and do not crash
    if [ -f "$DB" ] && [ "$RC" -ne 3 ]; then
        local cmd bad=""
        for cmd in info containers images findings; do
            timeout -s KILL $WALL "$HUSK" $cmd "$DB" > /dev/null 2>&1
            local r=$?
            [ $r -eq 0 ] || [ $r -eq 5 ] || bad="$bad $cmd=$r"
        done
        check_eq "$c: info, containers, images, findings on the case" "" "$bad"
    fi
    # the commands that read the evidence itself finish too (3: nothing readable there)
    local bad="" cmd r
    for cmd in "ls -r" "ls -r --deleted"; do
        timeout -s KILL $WALL "$HUSK" $cmd "$ev" / > /dev/null 2>&1
        r=$?
        case $r in 0 | 3 | 5) ;; *) bad="$bad $cmd=$r" ;; esac
    done
    check_eq "$c: ls -r /, ls -r --deleted / on the evidence finish (exit 0, 3 or 5)" "" "$bad"
    measured "dmg-$c-carve" carve "$ev"
    case $RC in
    0 | 3 | 5) ok "$c: carve finishes (exit $RC)" ;;
    *) notok "$c: carve exit $RC: $(tail -n 2 "$WORK/dmg-$c-carve.err")" ;;
    esac
    if [ "$RSS" -gt 0 ] && [ "$RSS" -le $RSS_LIMIT_KB ]; then
        ok "$c: carve peak RSS ${RSS} KiB <= $RSS_LIMIT_KB"
    else
        notok "$c: carve peak RSS ${RSS} KiB, bound $RSS_LIMIT_KB"
    fi
    echo "# $c: carve exit $RC, peak RSS $RSS KiB"
}

# has_error CASE PHASE LIKE [offset]: an errors row of PHASE whose message is LIKE the pattern
# (and whose offset is filled, when the fourth argument says so)
has_error() {
    local c=$1 phase=$2 like=$3 need_off=${4:-}
    local q="select count(*) from errors where phase = '$phase' and message like '$like'"
    [ -n "$need_off" ] && q="$q and offset is not null and offset >= 0"
    local n
    n=$(sql "$DB" "$q")
    if [ "${n:-0}" -ge 1 ]; then
        ok "$c: errors row ($phase: $like${need_off:+, with offset})"
    else
        notok "$c: no errors row ($phase: $like${need_off:+, with offset}); rows: $(sql "$DB" "select phase || '|' || ifnull(offset, '') || '|' || message from errors where phase != 'recovery'" | head -n 5)"
    fi
}

# live_ids DB: "id state" of the containers the live data root holds, sorted
live_ids() { sql "$1" "select id || ' ' || state from containers where state != 'removed' order by id"; }
truth_ids() { awk -F'\t' 'NR > 1 && $4 == "no" {print $2 " " $3}' "$1" | sort; }
truth_state() { awk -F'\t' -v n="$2" '$1 == n {print $2 " " $3}' "$1"; }

# same_logs CASE NAME: husk logs -t equals docker logs -t for node-c's container NAME
same_logs() {
    local got
    got=$(timeout -s KILL $WALL "$HUSK" logs -t "$DB" "$2" 2> /dev/null)
    check_eq "$1: logs $2 as docker logs printed them" "$(cat "$TC/logs/$2.txt")" "$got"
}
same_diff() {
    local want="" got
    [ -f "$TC/diff/$2.txt" ] && want=$(sort "$TC/diff/$2.txt")
    got=$(timeout -s KILL $WALL "$HUSK" diff "$DB" "$2" 2> /dev/null | sort)
    check_eq "$1: diff $2 as docker diff printed it" "$want" "$got"
}

# ---- truncated evidence ----------------------------------------------------------------------
A=node-a-ext4-gpt
analyse trunc-raw "5"
has_error trunc-raw volumes '%runs % bytes past the end of the image%' offset
has_error trunc-raw filesystems 'the ext4 file system is % bytes but its volume holds only %' offset
check_eq "trunc-raw: the containers in the first 60% are all there" "$(truth_ids "$TESTDATA/$A/truth/containers.tsv")" "$(live_ids "$DB")"

analyse trunc-raw-tiny "3 5"
has_error trunc-raw-tiny volumes '%starts past the end of the image%' offset
check_eq "trunc-raw-tiny: no file system" "0" "$(sql "$DB" "select count(*) from filesystems")"

for c in trunc-e01-lastseg trunc-e01-cut; do
    analyse $c "5"
    check_eq "$c: containers still read" "$(truth_ids "$TESTDATA/$A/truth/containers.tsv")" "$(live_ids "$DB")"
done
DB=$WORK/damaged-trunc-e01-lastseg.db
has_error trunc-e01-lastseg evidence 'EWF set incomplete%media read up to byte 159678464 of 314572800%'
check_eq "trunc-e01-lastseg: the row names the last segment found" "1" \
    "$(sql "$DB" "select count(*) from errors where phase = 'evidence' and object like '%disk.E02'")"
DB=$WORK/damaged-trunc-e01-cut.db
has_error trunc-e01-cut evidence 'EWF segment 3 of 3: section at byte % lies past the end%' offset

# ---- superblocks: read through the backups, as e2fsck -b / xfs_repair would ----------------
truth_c=$(truth_ids "$TC/containers.tsv")
analyse ext4-sb "5"
has_error ext4-sb filesystems '%backup superblock%read through that backup superblock' offset
check_eq "ext4-sb: the offset is the backup superblock's" "134217728" \
    "$(sql "$DB" "select offset from errors where phase = 'filesystems'")"
check_eq "ext4-sb: the file system is read" "0|ext4|$(sed -n 's/^fs_uuid=//p' "$TC/layout.txt")" \
    "$(sql "$DB" "select offset, fstype, uuid from filesystems")"
check_eq "ext4-sb: containers" "$truth_c" "$(live_ids "$DB")"
same_logs ext4-sb shop
same_diff ext4-sb migrate
out=$(timeout -s KILL $WALL "$HUSK" cat "$DMG/ext4-sb/disk.raw" /etc/hostname 2> /dev/null)
check_eq "ext4-sb: husk cat reads through the backup too" "node-c" "$out"

D=node-d-split-docker
analyse xfs-sb "5"
has_error xfs-sb filesystems '%XFS secondary superblock%read through that backup superblock' offset
check_eq "xfs-sb: both file systems read" "ext4|/
xfs|/var/lib/docker" "$(sql "$DB" "select fstype, mount_point from filesystems order by offset")"
check_eq "xfs-sb: offset inside the XFS partition" "1" \
    "$(sql "$DB" "select count(*) from errors where phase = 'filesystems' and offset > $(sed -n 's/^fs2_offset_bytes=//p' "$TESTDATA/$D/truth/layout.txt")")"
check_eq "xfs-sb: containers" "$(truth_ids "$TESTDATA/$D/truth/containers.tsv")" "$(live_ids "$DB")"

# ---- jbd2 journal (node-e needs recovery) ---------------------------------------------------
E=node-e-crash
home_db=$WORK/damaged-e-home.db
rm -f "$home_db"
"$HUSK" analyse -q --no-replay "$(raw_image $E)" -o "$home_db" > /dev/null 2>&1
home=$(live_ids "$home_db")
for c in jbd2-magic jbd2-csum jbd2-range; do
    analyse $c "5"
    # (their state may differ: the replay stops at the damage, so a later start is lost)
    missing=$(comm -23 <(printf '%s\n' "$home" | cut -d' ' -f1) <(live_ids "$DB" | cut -d' ' -f1))
    check_eq "$c: every container of the home blocks is there" "" "$missing"
done
DB=$WORK/damaged-jbd2-magic.db
has_error jbd2-magic journal 'no jbd2 magic%' offset
check_eq "jbd2-magic: offset of the journal superblock" \
    "$(grep -o 'byte [0-9]*' "$DMG/jbd2-magic/DAMAGE.txt" | awk '{print $2}')" \
    "$(sql "$DB" "select offset from errors where phase = 'journal'")"
check_eq "jbd2-magic: not replayed, said so" "1" \
    "$(sql "$DB" "select count(*) from filesystems where journal like 'needs-recovery (%'")"
DB=$WORK/damaged-jbd2-csum.db
has_error jbd2-csum journal '%transaction 115%bad checksum%' offset
check_eq "jbd2-csum: transactions before 115 replayed" "1" \
    "$(sql "$DB" "select count(*) from filesystems where journal like 'replayed (6 transactions%'")"
DB=$WORK/damaged-jbd2-range.db
has_error jbd2-range journal '%past the file system_s end%' offset
check_eq "jbd2-range: the descriptor row points at the damaged block" \
    "$(grep -o 'byte [0-9]*' "$DMG/jbd2-range/DAMAGE.txt" | awk '{print $2}')" \
    "$(sql "$DB" "select offset from errors where phase = 'journal' and object = 'descriptor'")"

# ---- node-c: loops, deep chains, huge files, hostile names, gzip bomb -----------------------

analyse dir-loop "5"
check_eq "dir-loop: containers" "$truth_c" "$(live_ids "$DB")"
has_error dir-loop diff '%is its own ancestor: not descended'
has_error dir-loop volumes '%is its own ancestor%'
same_diff dir-loop migrate
same_logs dir-loop shop
got=$(timeout -s KILL $WALL "$HUSK" diff "$DB" shop 2> /dev/null | sort)
missing=$(comm -23 <(sort "$TC/diff/shop.txt") <(printf '%s\n' "$got"))
check_eq "dir-loop: shop's diff holds every line docker diff printed" "" "$missing"
img=$DMG/dir-loop/disk.raw
timeout -s KILL $WALL "$HUSK" ls -r "$img" / > "$WORK/dmg-ls.out" 2> "$WORK/dmg-ls.err"
check_eq "dir-loop: ls -r / finishes, exit 5 (loops reported)" "5" "$?"
check_eq "dir-loop: ls -r lists each directory once" "$(("$("$HUSK" ls -r "$(raw_image $C)" / | wc -l)" + 5))" \
    "$(wc -l < "$WORK/dmg-ls.out")"
check_eq "dir-loop: ls -r says which directories it did not enter again" "5" "$(grep -c 'listed already' "$WORK/dmg-ls.err")"
timeout -s KILL $WALL "$HUSK" ls -r --deleted "$img" /srv > /dev/null 2>&1
check_eq "dir-loop: ls -r --deleted finishes" "5" "$?"

analyse symlink-loop "5"
check_eq "symlink-loop: containers" "$truth_c" "$(live_ids "$DB")"
has_error symlink-loop diff 'lower chain rebuilt from layerdb%l/%'
same_diff symlink-loop shop
same_diff symlink-loop migrate
for l in SELFLOOPSSSSSSSSSSSSSSSSSS/diff LOOPBBBBBBBBBBBBBBBBBBBBBB/x; do
    out=$(timeout -s KILL $WALL "$HUSK" stat "$DMG/symlink-loop/disk.raw" /srv/docker-data/overlay2/l/$l 2>&1)
    check_eq "symlink-loop: stat l/$l fails (exit 1), saying why" "1|1" "$?|$(printf '%s\n' "$out" | grep -c 'too many symbolic links')"
done

analyse deep-lower "5"
check_eq "deep-lower: containers" "$truth_c" "$(live_ids "$DB")"
has_error deep-lower diff 'lower chain rebuilt from layerdb%'
same_diff deep-lower shop

analyse huge-line "5"
check_eq "huge-line: containers" "$truth_c" "$(live_ids "$DB")"
has_error huge-line logs 'json-file line longer than % bytes skipped' offset
for n in migrate shop standby; do same_logs huge-line $n; done

analyse huge-config "5"
has_error huge-config containers 'config.v2.json unreadable: file of 52430981 bytes is over the % limit'
check_eq "huge-config: the others as Docker had them" "$(truth_state "$TC/containers.tsv" migrate)
$(truth_state "$TC/containers.tsv" shop)" "$(sql "$DB" "select id || ' ' || state from containers where name in ('migrate', 'shop') order by name")"
check_eq "huge-config: standby still listed by its ID" "1" \
    "$(sql "$DB" "select count(*) from containers where id = '$(truth_state "$TC/containers.tsv" standby | cut -d' ' -f1)'")"
same_logs huge-config shop

analyse hostile-names "0 5"
check_eq "hostile-names: containers" "$truth_c" "$(live_ids "$DB")"
check_eq "hostile-names: the name is stored as the evidence has it" "1" \
    "$(sql "$DB" "select count(*) from containers where name = 'shop' || char(27) || ']0;pwned' || char(7) || char(27) || '[2J' || char(27) || '[31m\"q''' || char(127) || char(8) || char(8)")"
check_eq "hostile-names: upper-layer names stored byte for byte" "4" \
    "$(sql "$DB" "select count(*) from container_diff where path in ('/etc/esc' || char(27) || '[31mred' || char(27) || ']0;title' || char(7), '/etc/q''uo\"te', '/etc/ctl' || char(1) || char(2) || char(127) || 'dir', '/etc/rtl' || char(8238) || 'gpj.exe')")"
check_eq "hostile-names: invalid UTF-8 name stored byte for byte" "1" \
    "$(sql "$DB" "select count(*) from container_diff where hex(path) = hex('/etc/inv') || 'FFFEC328' || hex('utf8')")"
got=$("$HUSK" logs "$DB" "$(truth_state "$TC/containers.tsv" shop | cut -c1-12)" 2> /dev/null | tail -n 2 | od -An -tx1 | tr -d ' \n')
check_eq "hostile-names: logs piped out byte for byte (docker logs does too)" \
    "$(printf 'hostile \033]0;pwned\007\033[2J\033[31mred\r\010\nraw \377\376\303( invalid utf-8 \033[31m raw esc\n' | od -An -tx1 | tr -d ' \n')" "$got"

analyse gzip-bomb "5"
check_eq "gzip-bomb: containers" "$truth_c" "$(live_ids "$DB")"
has_error gzip-bomb logs 'gzip data inflates past the % bound (a gzip bomb?)%'
for n in migrate shop standby; do same_logs gzip-bomb $n; done

rm -rf "$DMG"
