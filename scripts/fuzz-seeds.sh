#!/usr/bin/env bash
# Extracts the seed corpora of the fuzz targets (tests/fuzz/, docs/fuzzing.md) from the real
# node images under testdata/: container configs, log files and bbolt databases read with husk
# itself (husk cat / husk ls), ext4 superblocks, inode-table, directory blocks and the jbd2
# journal with the sleuthkit tools (mmls, fsstat, istat, icat, blkcat), XFS metadata located
# with xfs_db and cut out with dd. Seeds are kept small (a few KiB to 128 KiB each).
#   scripts/fuzz-seeds.sh [OUTDIR]        (default tests/fuzz/corpus; needs build/husk)
# The images are decompressed one at a time into a temporary directory (300-450 MiB each).
set -eu # no pipefail: head ends the pipes early on purpose
root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$root/tests/fuzz/corpus}
HUSK=${HUSK:-$root/build/husk}
[ -x "$HUSK" ] || { echo "fuzz-seeds: build husk first (make)" >&2; exit 1; }
for t in mmls fsstat istat icat blkcat xfs_db xz dd; do
    command -v "$t" >/dev/null || { echo "fuzz-seeds: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/husk-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"/{images,volumes,container,jsonfile,local,gzip,bolt,jbd2,ext4_raw,xfs_raw,xfs_fs,xfs_log,carve,cri,ctrd}

unpack() { xz -dc "$root/testdata/$1" >"$tmp/img.raw"; }
hcat() { "$HUSK" cat "$tmp/img.raw" "$1" 2>/dev/null || true; } # absent files give nothing
# seed TARGET NAME PREFIX-BYTE(octal or '') MAXBYTES < data
seed() {
    local f="$OUT/$1/$2"
    { [ -n "$3" ] && printf "$3"; head -c "$4"; } >"$f"
    [ -s "$f" ] || rm -f "$f"
}
# Paths (under /var/lib/docker/containers) of the files a listing shows, by name pattern.
files() { "$HUSK" ls -r "$tmp/img.raw" /var/lib/docker/containers 2>/dev/null |
    awk -v p="$1" '$1 == "file" && $NF ~ p { print $NF }' | head -n "${2:-3}"; }

# ---- node-a: ext4 on GPT, json-file logs with gzip rotation -------------------------------
unpack node-a-ext4-gpt/disk.raw.xz
i=0
for cfg in $(files '/config\.v2\.json$' 3); do
    d=$(dirname "$cfg")
    { hcat "$cfg"; printf '\0'; hcat "$d/hostconfig.json"; } | seed container "node-a-$i" '' 65536
    i=$((i + 1))
done
i=0
for f in $(files '-json\.log$' 4); do
    hcat "$f" | seed jsonfile "node-a-$i" '\000' 16384
    i=$((i + 1))
done
i=0
for f in $(files '-json\.log\.[0-9]\.gz$' 3); do
    hcat "$f" | seed gzip "node-a-$i" '\000' 16384
    hcat "$f" | seed gzip "node-a-$i-carving" '\001' 16384
    i=$((i + 1))
done
hcat /var/lib/docker/volumes/metadata.db | seed bolt node-a-volumes '' 262144
hcat /var/lib/docker/volumes/metadata.db | seed volumes node-a '' 262144
hcat /var/lib/docker/network/files/local-kv.db | seed bolt node-a-local-kv '' 262144
hcat /var/lib/docker/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db | seed bolt node-a-containerd-meta '' 262144

# image store: config \0 repositories.json \0 lastUpdated \0 parent \0 the base layer's diff,
# size, cache-id, parent (fuzz_images.c)
st=/var/lib/docker/image/overlay2
i=0
for c in $("$HUSK" ls "$tmp/img.raw" $st/imagedb/content/sha256 2>/dev/null | awk '$1 == "file" { print $NF }' | head -n 3); do
    h=$(basename "$c")
    diff=$(hcat "$c" | grep -o '"diff_ids":\["sha256:[0-9a-f]*' | sed 's/.*sha256:/sha256:/')
    l=$st/layerdb/sha256/${diff#sha256:}
    { hcat "$c"; printf '\0'; hcat $st/repositories.json; printf '\0'
      hcat $st/imagedb/metadata/sha256/$h/lastUpdated; printf '\0'
      hcat $st/imagedb/metadata/sha256/$h/parent; printf '\0'
      hcat "$l/diff"; printf '\0'; hcat "$l/size"; printf '\0'; hcat "$l/cache-id"; printf '\0'
      hcat "$l/parent"; } | seed images "node-a-$i" '' 65536
    i=$((i + 1))
done

# carving: a config, a hostconfig, json-file lines and a gzip member, each at a block start
cfg=$(files '/config\.v2\.json$' 1)
log=$(files '-json\.log$' 1)
gz=$(files '-json\.log\.1\.gz$' 1)
pad() { local n; n=$(stat -c %s "$1"); head -c $(((4096 - n % 4096) % 4096)) /dev/zero >>"$1"; }
hcat "$cfg" >"$tmp/c1"; pad "$tmp/c1"
hcat "$(dirname "$cfg")/hostconfig.json" >"$tmp/c2"; pad "$tmp/c2"
hcat "$log" | head -c 6000 >"$tmp/c3"; pad "$tmp/c3"
hcat "$gz" >"$tmp/c4"
cat "$tmp/c1" "$tmp/c2" "$tmp/c3" "$tmp/c4" | seed carve node-a-mixed '\001' 65536
cat "$tmp/c3" "$tmp/c1" | seed carve node-a-log-config '\000' 65536

# ext4 structures of the root file system
off=$(mmls "$tmp/img.raw" | awk '/node-root/ { print $3 + 0 }')
dd if="$tmp/img.raw" bs=512 skip=$((off + 2)) count=2 status=none | seed ext4_raw node-a-superblock '' 1024
itab=$(fsstat -o "$off" "$tmp/img.raw" | awk '/Inode Table:/ { print $3; exit }')
blkcat -o "$off" "$tmp/img.raw" "$itab" | seed ext4_raw node-a-inode-table-block '' 4096
for ino in 2 7 8 11 12; do # root, resize, journal, lost+found, first file: one 256-byte record each
    blkcat -o "$off" "$tmp/img.raw" "$itab" | dd bs=256 skip=$((ino - 1)) count=1 status=none |
        seed ext4_raw "node-a-inode-$ino" '' 256
done
for p in / /var/lib/docker/containers; do # directory blocks
    ino=$("$HUSK" stat "$tmp/img.raw" "$p" 2>/dev/null | awk '/^ *inode/ { print $2; exit }')
    [ -n "$ino" ] || continue
    blk=$(istat -o "$off" "$tmp/img.raw" "$ino" | awk '/^Direct Blocks:/ { getline; print $1; exit }')
    [ -n "$blk" ] && blkcat -o "$off" "$tmp/img.raw" "$blk" | seed ext4_raw "node-a-dir-$ino" '' 4096
done
icat -o "$off" "$tmp/img.raw" 8 | seed jbd2 node-a-journal-head '' 131072

# ---- node-e: ext4 whose journal needs recovery (a crash) ----------------------------------
unpack node-e-crash/disk.raw.xz
off=$(mmls "$tmp/img.raw" 2>/dev/null | awk '$2 ~ /^[0-9]+$/ && $6 !~ /Unallocated|Meta|GPT|Partition/ { print $3 + 0; exit }')
off=${off:-0}
jino=$(fsstat -o "$off" "$tmp/img.raw" | awk '/Journal Inode:/ { print $3 }')
icat -o "$off" "$tmp/img.raw" "${jino:-8}" | seed jbd2 node-e-journal-head '' 131072
dd if="$tmp/img.raw" bs=512 skip=$((off + 2)) count=2 status=none | seed ext4_raw node-e-superblock '' 1024

# ---- node-b: XFS on LVM, local log driver -------------------------------------------------
unpack node-b-xfs-lvm/disk.raw.xz
i=0
for f in $(files '/local-logs/container\.log$' 3); do
    hcat "$f" | seed local "node-b-$i" '\000' 16384
    i=$((i + 1))
done
for f in $(files '/local-logs/container\.log\.[0-9]\.gz$' 1); do
    hcat "$f" | seed gzip node-b-local '\000' 16384
done
hcat /var/lib/docker/volumes/metadata.db | seed bolt node-b-volumes '' 262144
hcat /var/lib/docker/volumes/metadata.db | seed volumes node-b '' 262144
cfg=$(files '/config\.v2\.json$' 1)
{ hcat "$cfg"; printf '\0'; hcat "$(dirname "$cfg")/hostconfig.json"; } | seed container node-b '' 65536

# ---- whole-disk XFS images ------------------------------------------------------------------
xfs_seeds() { # NAME
    local img="$tmp/img.raw" n=$1
    head -c 131072 "$img" | seed xfs_fs "$n" '\000' 131072
    head -c 131072 "$img" | seed xfs_fs "$n-view" '\001' 131072
    local ls; ls=$(xfs_db -r -c 'sb 0' -c 'p logstart' "$img" | awk '{ print $3 }')
    local lb; lb=$(xfs_db -r -c "convert fsb $ls byte" "$img" | sed 's/.*(\([0-9]*\)).*/\1/')
    { head -c 512 "$img"; dd if="$img" bs=512 skip=$((lb / 512)) count=192 status=none; } |
        seed xfs_log "$n" '' 131072
    local ino b
    for ino in 128 129 130 131 132; do # root and the first inodes of the first chunk
        b=$(xfs_db -r -c "convert ino $ino byte" "$img" | sed 's/.*(\([0-9]*\)).*/\1/')
        dd if="$img" bs=512 skip=$((b / 512)) count=1 status=none | seed xfs_raw "$n-inode-$ino" '\003' 512
    done
    head -c 512 "$img" | seed xfs_raw "$n-superblock" '\003' 512
    # the first data block of every block-form directory among the first inodes
    for ino in $(seq 128 200); do
        b=$(xfs_db -r -c "inode $ino" -c 'p core.format core.mode' "$img" 2>/dev/null | tr '\n' ' ')
        case "$b" in *"extents"*"040"*) ;; *) continue ;; esac
        local fsb; fsb=$(xfs_db -r -c "inode $ino" -c 'bmap' "$img" | awk -F'[ ,]+' '/data offset 0 /{ print $5; exit }')
        [ -n "$fsb" ] || continue
        b=$(xfs_db -r -c "convert fsb $fsb byte" "$img" | sed 's/.*(\([0-9]*\)).*/\1/')
        dd if="$img" bs=4096 skip=$((b / 4096)) count=1 status=none | seed xfs_raw "$n-dirblock-$ino" '\003' 4096
        break
    done
}
unpack xfs-log/dirty.raw.xz
xfs_seeds xfs-log-dirty
unpack xfs-log/clean.raw.xz
xfs_seeds xfs-log-clean
unpack xfs-deleted/home.raw.xz
xfs_seeds xfs-deleted-home

# ---- node-g: CRI logs as containerd wrote them (one plain, one rotated, the P pieces of a
# 40 KB line), and a service-account token the kubelet's layout holds --------------------
unpack node-g-k8s-containerd/disk.raw.xz
gt=$root/testdata/node-g-k8s-containerd/truth
web=$(dirname "$(awk -F'\t' '$1 == "web.log" {print $2}' "$gt/paths.tsv")")
webls=$("$HUSK" ls "$tmp/img.raw" "$web" 2>/dev/null | awk '$1 == "file" {print $NF}')
hcat "$web/0.log" | seed cri web-0.log '' 65536
hcat "$(grep -E '/0\.log\.[0-9]{8}-[0-9]{6}$' <<<"$webls" | head -n 1)" | seed cri web-rotated.log '' 13687
hcat "$(grep -E '\.gz$' <<<"$webls" | head -n 1)" | zcat 2>/dev/null | grep -m3 -B1 -A2 ' P ' | seed cri web-partial.log '' 60000
hcat "$(awk -F'\t' '$1 == "web.sa_volume" {print $2}' "$gt/paths.tsv")/token" | seed cri sa-token.jwt '' 65536
# containerd's meta.db of both containerd nodes, with live records and the free pages of
# removed ones (node-g's probe), for the ctrd target
cp "$gt/containerd-db/meta.db" "$OUT/ctrd/node-g-meta.db"
cp "$root/testdata/node-f-containerd-store/truth/containerd-db/meta.db" "$OUT/ctrd/node-f-meta.db"

du -sh "$OUT"
