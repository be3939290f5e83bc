#!/bin/bash
# husk's benchmark (make bench): husk against the I/O floor on the large nodes made by
# scripts/make-bignode.sh (docs/performance.md).
#
#   scripts/bench.sh [BENCHDIR]     (default /var/tmp/husk-bench; needs BENCHDIR/scale-*/disk.raw)
#
# On the largest scale, interleaved in one run (the machine may be shared: ratios of runs made
# side by side are what counts):
#   read-cold / read-warm  cat of the raw image (page cache dropped first when allowed)
#   fls                    TSK's fls -r over the node's file system
#   tskread                TSK reading every file husk must read (configs, logs, image
#                          metadata, upper-layer files: listed from the case database), one
#                          process (scripts/bench/tskread.c: icat's calls without a fork per file)
#   tsktype                the same reads, plus what husk adds to every regular upper-layer file
#                          (SHA-256 of its bytes, libmagic on its first 64 KiB), on one thread:
#                          the floor of an analysis that types every file as husk does
#   husk-norecover         husk analyse --no-recover
#   husk-notypes           husk analyse --no-recover --no-types (no libmagic typing)
#   husk-recover           husk analyse (recovered views of removed containers)
#   husk-carve             husk carve (all unallocated space and the journal), warm cache
#   husk-carve-cold        the same after dropping the page cache (compare with read-cold)
#   ewfexport              EWF decoding floor: ewfexport of disk.E01 to /dev/null
#   husk-e01-norecover     husk analyse --no-recover on disk.E01
# then husk analyse (with and without recovery) on every scale for the growth table.
# Times: wall (s), CPU = user + sys (s), peak RSS (MiB), from GNU time. REPS=N repeats the
# interleaved block N times and keeps each command's fastest wall time. BENCH_SKIP="husk-recover
# husk-e01-norecover" leaves those runs out (on a busy machine a whole run takes long).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$(realpath -m "${1:-/var/tmp/husk-bench}")
HUSK=${HUSK:-$REPO/build/husk}
REPS=${REPS:-1}
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$HUSK" ] || die "no husk at $HUSK: run make first"
for c in fls ewfexport sqlite3 cc /usr/bin/time; do
    command -v "$c" >/dev/null || die "missing tool: $c (scripts/install-deps.sh)"
done
mapfile -t SCALES < <(cd "$BENCH" 2>/dev/null && ls -d scale-* 2>/dev/null | sed 's/^scale-//' | sort -g)
[ "${#SCALES[@]}" -gt 0 ] || die "no $BENCH/scale-*/disk.raw: build them with sudo SCALE=\"0.25 0.5 1\" scripts/make-bignode.sh $BENCH"
BIG=${SCALES[-1]}
IMG="$BENCH/scale-$BIG/disk.raw"
E01="$BENCH/scale-$BIG/disk.E01"
OFF=$(awk -F'\t' '$1 == "partition_offset_sectors" {print $2}' "$BENCH/scale-$BIG/truth/counts.tsv")
OFF=${OFF:-2048}
W=$(mktemp -d /var/tmp/husk-bench-run.XXXXXX)
trap 'rm -rf "$W"' EXIT
cc -O2 -o "$W/tskread" "$REPO/scripts/bench/tskread.c" -ltsk -lmagic -lcrypto ||
    die "cannot build tskread (libtsk-dev, libmagic-dev, libssl-dev: scripts/install-deps.sh)"

RES="$W/results.tsv" # name scale wall cpu rss_kib
: >"$RES"
# run NAME SCALE CMD...: one timed run, appended to $RES; output to $W/NAME.out
run() {
    local name=$1 sc=$2; shift 2
    /usr/bin/time -f '%e %U %S %M' -o "$W/time" "$@" >"$W/$name.out" 2>"$W/$name.err" || {
        local rc=$?
        # husk analyse exits 5 when it recorded damage: a finished run
        [ "$rc" = 5 ] || { tail -5 "$W/$name.err" >&2; die "$name failed (exit $rc)"; }
    }
    tail -n 1 "$W/time" | awk -v n="$name" -v s="$sc" '{ printf "%s\t%s\t%s\t%.2f\t%s\n", n, s, $1, $2 + $3, $4 }' >>"$RES"
    printf '  %-22s %s\n' "$name" "$(tail -n 1 "$RES" | cut -f3-)" >&2
}
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null && echo yes || echo no; }

echo "bench: $IMG ($(du -h --apparent-size "$IMG" | cut -f1)), scales ${SCALES[*]}, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# the files husk must read, from the case database of the first husk run
make_list() {
    fls -r -p -o "$OFF" "$IMG" >"$W/fls.txt"
    {
        # configs, logs, layer metadata, volumes: everything under containers/, image/, volumes/
        awk -F'\t' '$1 ~ /^r\/r [0-9]+:$/ && $2 ~ /^var\/lib\/docker\/(containers|image|volumes)\// {
            sub(/^r\/r /, "", $1); sub(/:$/, "", $1); print $1 }' "$W/fls.txt"
        # every regular upper-layer file husk hashed
        sqlite3 "$W/norec.db" "SELECT inode FROM files WHERE type = 'file' AND sha256 IS NOT NULL AND recovered_from = 'live'"
    } | sort -un >"$W/inodes.txt"
    # the files husk typed: every regular upper-layer file with a libmagic type
    sqlite3 "$W/norec.db" "SELECT inode FROM files WHERE type = 'file' AND scope = 'upper' AND magic IS NOT NULL AND recovered_from = 'live'" |
        sort -un >"$W/typed.txt"
    NFILES=$(wc -l <"$W/inodes.txt")
    echo "bench: $NFILES files to read (floor)" >&2
}
skip() { case " ${BENCH_SKIP:-} " in *" $1 "*) return 0 ;; esac; return 1; }
NFILES=0
COLD=no
for ((rep = 1; rep <= REPS; rep++)); do
    echo "bench: interleaved block $rep/$REPS on scale $BIG (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    # husk first: its case database lists the files the floor must read
    run husk-norecover "$BIG" "$HUSK" analyse -q --no-recover --force "$IMG" -o "$W/norec.db"
    [ "$rep" = 1 ] && make_list
    COLD=$(drop_caches)
    run read-cold "$BIG" cat "$IMG"
    run read-warm "$BIG" cat "$IMG"
    run fls "$BIG" fls -r -o "$OFF" "$IMG"
    run tskread "$BIG" "$W/tskread" "$IMG" "$OFF" <"$W/inodes.txt"
    run tsktype "$BIG" "$W/tskread" "$IMG" "$OFF" "$W/typed.txt" <"$W/inodes.txt"
    run husk-notypes "$BIG" "$HUSK" analyse -q --no-recover --no-types --force "$IMG" -o "$W/notypes.db"
    skip husk-recover || run husk-recover "$BIG" "$HUSK" analyse -q --force "$IMG" -o "$W/rec.db"
    run husk-carve "$BIG" "$HUSK" carve "$IMG"
    drop_caches >/dev/null
    run husk-carve-cold "$BIG" "$HUSK" carve "$IMG"
    run ewfexport "$BIG" ewfexport -q -u -f raw -t - "$E01"
    skip husk-e01-norecover || run husk-e01-norecover "$BIG" "$HUSK" analyse -q --no-recover --force "$E01" -o "$W/e01.db"
done
# what the carver read on the largest node (free space and journal, MB), from its summary line
SCANNED=$(awk '/carve: fs/ { for (i = 1; i < NF; i++) if ($(i + 1) == "MB" && ($(i + 2) == "unallocated" || $(i + 2) == "journal")) t += $i } END { printf "%.0f", t * 1000000 }' "$W/husk-carve.err")
for s in "${SCALES[@]}"; do
    [ "$s" = "$BIG" ] && continue
    run husk-norecover "$s" "$HUSK" analyse -q --no-recover --force "$BENCH/scale-$s/disk.raw" -o "$W/n$s.db"
    skip husk-recover || run husk-recover "$s" "$HUSK" analyse -q --force "$BENCH/scale-$s/disk.raw" -o "$W/r$s.db"
    run husk-carve "$s" "$HUSK" carve -q "$BENCH/scale-$s/disk.raw"
done
cp "$W/norec.db" "$W/n$BIG.db"
[ -f "$W/rec.db" ] && cp "$W/rec.db" "$W/r$BIG.db"
# info KEY DB: a case_info value, "-" when that run was skipped
info() { if [ -f "$2" ]; then sqlite3 "$2" "SELECT value FROM case_info WHERE key = '$1'"; else echo -; fi; }

# ---------------------------------------------------------------------------------------------
# the tables (best wall of the repetitions, with that run's CPU and RSS)
# shellcheck disable=SC2034 # not every column of every run is printed
best() { # name scale -> "wall cpu rss_kib"
    awk -F'\t' -v n="$1" -v s="$2" '$1 == n && $2 == s && (b == "" || $3 < b) { b = $3; c = $4; r = $5 }
        END { if (b == "") print "0 0 0"; else print b, c, r }' "$RES"
}
SIZE=$(stat -c %s "$IMG")
read -r rw _ _ <<<"$(best read-warm "$BIG")"
read -r fw fc fr <<<"$(best fls "$BIG")"
read -r tw tc tr <<<"$(best tskread "$BIG")"
read -r yw yc yr <<<"$(best tsktype "$BIG")"
read -r nw nc nr <<<"$(best husk-norecover "$BIG")"
read -r ow oc or <<<"$(best husk-notypes "$BIG")"
read -r aw ac ar <<<"$(best husk-recover "$BIG")"
read -r cw cc cr <<<"$(best husk-carve "$BIG")"
read -r kw kc kr <<<"$(best husk-carve-cold "$BIG")"
read -r dw dc dr <<<"$(best read-cold "$BIG")"
read -r ew ec er <<<"$(best ewfexport "$BIG")"
read -r xw xc xr <<<"$(best husk-e01-norecover "$BIG")"
counts() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$BENCH/scale-$2/truth/counts.tsv"; }
{
echo "## husk benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Node (scale $BIG): $((SIZE >> 20)) MiB disk, $(counts images "$BIG") images ($(counts image_layers_total "$BIG") layers), $(counts containers_on_disk "$BIG") containers on disk + $(counts containers_removed "$BIG") removed, $(counts upper_entries "$BIG") upper-layer entries, $(counts json_log_lines "$BIG") json-file log lines in $(counts json_log_files "$BIG") files ($(counts json_log_files_gz "$BIG") gzip), $(counts volumes "$BIG") volumes; floor reads $NFILES files. Page cache dropped before read-cold: $COLD."
echo
echo "| run | wall s | CPU s | peak RSS MiB | note |"
echo "|---|---:|---:|---:|---|"
awk -F'\t' -v s="$BIG" -v size="$SIZE" -v scanned="$SCANNED" '$2 == s && !seen[$1]++ { order[++n] = $1 }
    $2 == s && (b[$1] == "" || $3 < b[$1]) { b[$1] = $3; c[$1] = $4; r[$1] = $5 }
    END { for (i = 1; i <= n; i++) { k = order[i]; note = ""
            if (k ~ /^read|ewfexport|husk-carve/ && b[k] > 0) note = sprintf("%.0f MiB/s", size / 1048576 / b[k])
            if (k ~ /husk-carve/ && b[k] > 0 && scanned > 0) note = note sprintf(" of the image, %.0f MiB/s of what it read", scanned / 1048576 / b[k])
            printf "| %s | %.2f | %.2f | %.0f | %s |\n", k, b[k], c[k], r[k] / 1024, note } }' "$RES"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
echo "| ratio | wall | CPU | goal |"
echo "|---|---:|---:|---|"
echo "| analyse --no-recover / (fls + tskread) | $(ratio "$nw" "$(sum "$fw" "$tw")") | $(ratio "$nc" "$(sum "$fc" "$tc")") | <= 1.5 |"
echo "| analyse (recovery) / (fls + tskread) | $(ratio "$aw" "$(sum "$fw" "$tw")") | $(ratio "$ac" "$(sum "$fc" "$tc")") | |"
echo "| analyse --no-recover / (fls + tsktype): the floor with husk's hashing and typing | $(ratio "$nw" "$(sum "$fw" "$yw")") | $(ratio "$nc" "$(sum "$fc" "$yc")") | |"
echo "| analyse --no-recover --no-types / (fls + tskread) | $(ratio "$ow" "$(sum "$fw" "$tw")") | $(ratio "$oc" "$(sum "$fc" "$tc")") | |"
echo "| carve speed / read-warm speed (page cache), per byte of the image | $(ratio "$rw" "$cw") | | >= 0.70 |"
echo "| carve speed / read-cold speed (from disk), per byte of the image | $(ratio "$dw" "$kw") | | >= 0.70 |"
echo "| the same per byte the carver read ($((SCANNED / 1000000)) MB of free space and journal): warm / cold | $(awk -v a="$rw" -v b="$cw" -v s="$SCANNED" -v z="$SIZE" 'BEGIN { if (b > 0 && s > 0) printf "%.2f", a / b * s / z }') / $(awk -v a="$dw" -v b="$kw" -v s="$SCANNED" -v z="$SIZE" 'BEGIN { if (b > 0 && s > 0) printf "%.2f", a / b * s / z }') | | |"
echo "| analyse E01 --no-recover / analyse raw --no-recover | $(ratio "$xw" "$nw") | $(ratio "$xc" "$nc") | |"
echo "| ewfexport / read-warm | $(ratio "$ew" "$rw") | | (EWF decoding floor) |"
echo "| analyse E01 --no-recover / (analyse raw --no-recover + ewfexport) | $(ratio "$xw" "$(sum "$nw" "$ew")") | $(ratio "$xc" "$(sum "$nc" "$ec")") | |"
echo
echo "Per phase (husk analyse, scale $BIG; phase_time.* / phase_cpu.* in case_info):"
echo
echo "| phase | --no-recover wall s | CPU s | with recovery wall s | CPU s |"
echo "|---|---:|---:|---:|---:|"
sqlite3 -separator ' ' "$W/n$BIG.db" "SELECT substr(key, 12), value FROM case_info WHERE key LIKE 'phase_time.%' ORDER BY rowid" |
while read -r ph v; do
    printf '| %s | %s | %s | %s | %s |\n' "$ph" "$v" "$(info "phase_cpu.$ph" "$W/n$BIG.db")" \
        "$(info "phase_time.$ph" "$W/r$BIG.db")" "$(info "phase_cpu.$ph" "$W/r$BIG.db")"
done
echo
echo "Growth (husk on each scale; per-unit columns divide by the scale):"
echo
echo "| scale | disk MiB | containers | upper entries | log lines | analyse --no-recover wall / CPU s | RSS MiB | analyse wall / CPU s | RSS MiB | carve wall s | RSS MiB | CPU s per scale unit (no-recover) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for s in "${SCALES[@]}"; do
    read -r a1 b1 c1 <<<"$(best husk-norecover "$s")"
    read -r a2 b2 c2 <<<"$(best husk-recover "$s")"
    read -r a3 b3 c3 <<<"$(best husk-carve "$s")"
    printf '| %s | %s | %s | %s | %s | %s / %s | %.0f | %s / %s | %.0f | %s | %.0f | %s |\n' "$s" \
        "$(counts disk_mib "$s")" "$(counts containers_on_disk "$s")" "$(counts upper_entries "$s")" \
        "$(counts json_log_lines "$s")" "$a1" "$b1" "$(ratio "$c1" 1024)" "$a2" "$b2" "$(ratio "$c2" 1024)" \
        "$a3" "$(ratio "$c3" 1024)" "$(ratio "$b1" "$s")"
done
} | tee "$W/table.md"
cp "$W/table.md" "$BENCH/last-table.md"
cp "$RES" "$BENCH/last-results.tsv"
echo "bench: table kept in $BENCH/last-table.md, raw runs in $BENCH/last-results.tsv" >&2
