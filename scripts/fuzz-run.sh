#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build` (build-fuzz/fuzz/fuzz_<name>), one at a
# time, each for FUZZ_SECONDS (default 60), starting from its committed seeds
# (tests/fuzz/corpus/<name>/) in a working corpus under build-fuzz/corpus/<name>/ that grows
# from run to run. Findings (crash-*, leak-*, timeout-*, oom-*) go to build-fuzz/artifacts/<name>/.
# Prints one line per target: executions, final corpus size, findings.
#   scripts/fuzz-run.sh [NAME...]       (default: every target)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
B=${FUZZ_BUILD:-$root/build-fuzz}
SECS=${FUZZ_SECONDS:-60}

# -max_len per format: whole small files, one record or block, the heads of images
maxlen() {
    case "$1" in
    bolt) echo 262144 ;;   # a small bbolt file (volumes/metadata.db is 32 KiB)
    jbd2) echo 262144 ;;   # the journal's first 64 blocks of 4 KiB
    xfs_fs) echo 262144 ;; # the first 256 KiB of an XFS (AG 0 headers, first inode chunk)
    xfs_log) echo 262144 ;;
    carve) echo 131072 ;;
    xfs_raw | ext4_raw) echo 65537 ;; # one block of up to 64 KiB (+ an option byte)
    container) echo 131072 ;;
    *) echo 65536 ;; # log files, gzip members
    esac
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$B"/fuzz/fuzz_*; do
        [ -x "$f" ] && names+=("$(basename "$f" | sed 's/^fuzz_//')")
    done
fi
printf '%-10s %12s %8s %9s\n' target executions corpus findings
total=0
for n in "${names[@]}"; do
    bin=$B/fuzz/fuzz_$n
    [ -x "$bin" ] || { echo "fuzz-run: $bin missing (make fuzz-build)" >&2; exit 2; }
    corpus=$B/corpus/$n
    art=$B/artifacts/$n
    mkdir -p "$corpus" "$art"
    [ -d "$root/tests/fuzz/corpus/$n" ] && cp -n "$root/tests/fuzz/corpus/$n"/* "$corpus"/ 2>/dev/null
    [ -d "$root/tests/fuzz/regress/$n" ] && cp -n "$root/tests/fuzz/regress/$n"/* "$corpus"/ 2>/dev/null
    log=$B/fuzz-$n.log
    "$bin" -max_total_time="$SECS" -rss_limit_mb=512 -max_len="$(maxlen "$n")" -timeout=25 \
        -print_final_stats=1 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then # stopped by a finding: the last status line
        execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
    fi
    found=$(find "$art" -type f | wc -l)
    total=$((total + found))
    printf '%-10s %12s %8s %9s\n' "$n" "${execs:-?}" "$(find "$corpus" -type f | wc -l)" "$found"
done
[ "$total" -eq 0 ] || echo "findings under $B/artifacts/ (logs: $B/fuzz-<target>.log)"
[ "$total" -eq 0 ]
