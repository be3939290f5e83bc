# Helpers for integration tests: TAP-like "ok"/"not ok" lines counted by tests/run.sh.
# Images are decompressed once per run into $WORK (shared by all test scripts).
set -u
: "${HUSK:?}" "${ROOT:?}" "${WORK:?}"
TESTDATA=$ROOT/testdata

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else notok "$1: expected [$2], got [$3]"; fi
}

# check_rc WHAT EXPECTED_RC command...
check_rc() {
    local what=$1 want=$2
    shift 2
    "$@" >/dev/null 2>&1
    local rc=$?
    check_eq "$what (exit code)" "$want" "$rc"
}

# raw_image NAME: path of the decompressed raw disk of testdata/NAME (made once per run)
raw_image() {
    local name=$1 dst=$WORK/$1/disk.raw
    if [ ! -f "$dst" ]; then
        mkdir -p "$WORK/$name"
        xz -dc "$TESTDATA/$name/disk.raw.xz" > "$dst.part" && mv "$dst.part" "$dst"
    fi
    echo "$dst"
}

# split_image NAME STYLE: split raw segments of NAME; STYLE "num" (.001) or "alpha" (.aa)
split_image() {
    local name=$1 style=$2 raw dir
    raw=$(raw_image "$name")
    dir=$WORK/$name/split-$style
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        if [ "$style" = num ]; then
            split -b 100M -d -a 3 --numeric-suffixes=1 "$raw" "$dir/disk.raw."
        else
            split -b 100M "$raw" "$dir/disk."
        fi
    fi
    if [ "$style" = num ]; then echo "$dir/disk.raw.001"; else echo "$dir/disk.aa"; fi
}

# sql DB QUERY: one value per line, "|" between columns
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# truth_time "2026-11-30 01:56:52.190962655 +0000" -> 2026-11-30T01:56:52.190962655Z
truth_time() {
    if [ "$1" = "-" ]; then echo ""; else echo "$1" | sed -E 's/^([0-9-]+) ([0-9:.]+) \+0000$/\1T\2Z/'; fi
}

# stat_field OUTPUT KEY: value of "key: value" in husk stat's text output
stat_field() { printf '%s\n' "$1" | sed -n "s/^$2: *//p" | head -n 1; }
