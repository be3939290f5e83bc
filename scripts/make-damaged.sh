#!/usr/bin/env bash
# Derives damaged and hostile evidence from the committed node images (testdata/), for the
# robustness tests (tests/integration/test_damaged.sh, docs/robustness.md). Nothing is
# committed: everything is made in OUTDIR, in seconds, from copies (the originals are never
# touched).
#
#   scripts/make-damaged.sh OUTDIR [CASE...]
#
# Each case gets OUTDIR/CASE/ with the evidence (disk.raw, or disk.E01...) and DAMAGE.txt
# saying exactly what was changed; OUTDIR/cases.tsv lists "case<TAB>evidence<TAB>base image".
# The raw images are decompressed once into OUTDIR/base/ unless RAWCACHE names a directory
# holding NAME/disk.raw (the layout tests/integration/lib.sh's raw_image uses).
#
# ext4 images are edited with debugfs -w (e2fsprogs) on the copy; byte-level damage (magic
# numbers, journal blocks) is written with dd and python3 at offsets found in the image itself.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
TESTDATA=$root/testdata
out=${1:?usage: make-damaged.sh OUTDIR [CASE...]}
shift
mkdir -p "$out" "$out/base"
out=$(cd "$out" && pwd)

ALL_CASES="trunc-raw trunc-raw-tiny trunc-e01-lastseg trunc-e01-cut ext4-sb xfs-sb
jbd2-magic jbd2-csum jbd2-range dir-loop symlink-loop deep-lower huge-line huge-config
hostile-names gzip-bomb"
cases=${*:-$ALL_CASES}

C_ROOT=/srv/docker-data                      # node-c's data root (daemon.json)
C_SHOP=98572ea58ebe3380ced4d13b7a53959fed03ad51c23f21fe71820e26e78c80a1
C_MIGRATE=e8a47b6c29c987bbb85ab1334cee4cfd059d52da5eee042d0668dc72d9c3779f
C_STANDBY=d893538ea8f37871d3f66704148064ff956918236ba1211569b933ee6b89c3f6
C_SHOP_RW=cc644ff40fbedc53795b474a7ec2db47d48decf886e068f50a910c89d2436c86

base_raw() { # NAME -> path of its decompressed raw disk
    local n=$1
    if [ -n "${RAWCACHE:-}" ] && [ -f "$RAWCACHE/$n/disk.raw" ]; then
        echo "$RAWCACHE/$n/disk.raw"
        return
    fi
    if [ ! -f "$out/base/$n.raw" ]; then
        xz -dc "$TESTDATA/$n/disk.raw.xz" > "$out/base/$n.raw.part"
        mv "$out/base/$n.raw.part" "$out/base/$n.raw"
    fi
    echo "$out/base/$n.raw"
}

# start CASE BASE: fresh OUTDIR/CASE with a sparse copy of BASE's raw disk as disk.raw
start() {
    rm -rf "${out:?}/$1"
    mkdir -p "$out/$1"
    cp --sparse=always "$(base_raw "$2")" "$out/$1/disk.raw"
    printf '%s\t%s\t%s\n' "$1" "$out/$1/disk.raw" "$2" >> "$out/cases.tsv"
    : > "$out/$1/DAMAGE.txt"
}
note() { printf '%s\n' "$*" >> "$out/$case/DAMAGE.txt"; }

# dbg IMAGE: runs debugfs -w with the commands on stdin; fails on any error debugfs prints
dbg() {
    local log
    log=$(debugfs -w -f - "$1" 2>&1 >/dev/null) || { printf '%s\n' "$log" >&2; return 1; }
    if printf '%s\n' "$log" | grep -v '^debugfs [0-9]' | grep -q .; then
        printf 'debugfs: %s\n' "$log" >&2
        return 1
    fi
}
dcat() { debugfs -R "cat $2" "$1" 2>/dev/null; }
# poke FILE OFFSET HEX: write bytes at OFFSET
poke() { printf "$(printf '%s' "$3" | sed 's/\(..\)/\\x\1/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# python3 helpers for the jbd2 cases: raw crc32c (as jbd2 computes it, no final inversion)
jbd2_py() {
    python3 - "$@" <<'EOF'
import struct, sys
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc(c, b):
    for x in b:
        c = T[(c ^ x) & 0xff] ^ (c >> 8)
    return c
img, joff, what, seq_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 0)
f = open(img, 'r+b')
f.seek(joff); sb = f.read(1024)
magic, btype, _ = struct.unpack('>III', sb[:12])
assert magic == 0xC03B3998 and btype == 4, 'no jbd2 v2 superblock at %d' % joff
bs, nblocks, first = struct.unpack('>III', sb[12:24])
seq0, start = struct.unpack('>II', sb[24:32])
uuid = sb[48:64]
seed = crc(0xFFFFFFFF, uuid)
def blk(n):
    f.seek(joff + n * bs); return bytearray(f.read(bs))
def put(n, b):
    f.seek(joff + n * bs); f.write(b)
def tailsum_ok(b):
    c = crc(seed, bytes(b[:-4]) + b'\0\0\0\0')
    return c == struct.unpack('>I', b[-4:])[0]
def settail(b):
    b[-4:] = struct.pack('>I', crc(seed, bytes(b[:-4]) + b'\0\0\0\0'))
if what == 'magic':
    f.seek(joff); f.write(b'\xde\xad\xbe\xef')
    print('journal superblock magic (journal block 0, byte %d) set to deadbeef' % joff)
    sys.exit(0)
# the descriptor block of transaction seq_s: scan the log from s_start (data blocks that
# begin with the magic are escaped by jbd2, so a magic, a type and a sequence identify it)
n, seen = start, 0
while True:
    b = blk(n)
    m, t, s = struct.unpack('>III', b[:12])
    if m == 0xC03B3998 and t == 1 and s == seq_s:
        break
    n += 1
    seen += 1
    if n >= nblocks:
        n = first
    assert seen < nblocks, 'transaction %d not found' % seq_s
assert tailsum_ok(b), 'descriptor checksum of the original does not verify'
if what == 'csum':
    b[-4:] = struct.pack('>I', struct.unpack('>I', b[-4:])[0] ^ 0x5A5A5A5A)
    put(n, b)
    print('descriptor block of transaction %d (journal block %d, byte %d): tail checksum '
          'flipped (xor 5a5a5a5a)' % (seq_s, n, joff + n * bs))
elif what == 'range':
    # first tag (csum v3: blocknr, flags, blocknr_high, checksum): block 0xfffffff0 of a
    # file system far smaller, checksum recomputed so only the range is wrong
    b[12:16] = struct.pack('>I', 0xFFFFFFF0)
    b[20:24] = struct.pack('>I', 0x0000FFFF)
    settail(b)
    put(n, b)
    print('descriptor block of transaction %d (journal block %d, byte %d): first tag\'s '
          'target set to block 0x0000fffffffffff0 (out of range), tail checksum recomputed'
          % (seq_s, n, joff + n * bs))
EOF
}

# journal byte offset of node-e's copy (ext4 at partition 1; the journal is one extent)
jbd2_offset() {
    local img=$1 part=$2 b0 bl
    b0=$(debugfs -R "bmap <8> 0" "$img?offset=$part" 2>/dev/null)
    bl=$(debugfs -R "bmap <8> 4095" "$img?offset=$part" 2>/dev/null)
    [ "$bl" -eq $((b0 + 4095)) ] || { echo "make-damaged: journal is not contiguous" >&2; return 1; }
    echo $((part + b0 * 4096))
}

: > "$out/cases.tsv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for case in $cases; do
    case $case in
    trunc-raw)
        # node-a (GPT + ext4) cut at 60%: the partition table says more than there is
        start $case node-a-ext4-gpt
        size=$(stat -c %s "$out/$case/disk.raw")
        truncate -s $((size * 6 / 10 / 512 * 512)) "$out/$case/disk.raw"
        note "node-a-ext4-gpt raw truncated from $size to $(stat -c %s "$out/$case/disk.raw") bytes (the ext4 partition runs past the end)"
        ;;
    trunc-raw-tiny)
        # only the first MiB: the GPT, and no file system at all
        start $case node-a-ext4-gpt
        truncate -s 1048576 "$out/$case/disk.raw"
        note "node-a-ext4-gpt raw truncated to 1048576 bytes: GPT only, the partition starts at the cut"
        ;;
    trunc-e01-lastseg)
        rm -rf "${out:?}/$case"
        mkdir -p "$out/$case"
        cp "$TESTDATA/node-a-ext4-gpt/disk.E01" "$TESTDATA/node-a-ext4-gpt/disk.E02" "$out/$case/"
        printf '%s\t%s\t%s\n' "$case" "$out/$case/disk.E01" node-a-ext4-gpt >> "$out/cases.tsv"
        echo "node-a-ext4-gpt EWF set without its last segment (disk.E03 missing)" > "$out/$case/DAMAGE.txt"
        ;;
    trunc-e01-cut)
        rm -rf "${out:?}/$case"
        mkdir -p "$out/$case"
        cp "$TESTDATA/node-a-ext4-gpt"/disk.E0[123] "$out/$case/"
        s=$(stat -c %s "$out/$case/disk.E03")
        truncate -s $((s / 2)) "$out/$case/disk.E03"
        printf '%s\t%s\t%s\n' "$case" "$out/$case/disk.E01" node-a-ext4-gpt >> "$out/cases.tsv"
        echo "node-a-ext4-gpt EWF set, last segment disk.E03 cut from $s to $((s / 2)) bytes" > "$out/$case/DAMAGE.txt"
        ;;
    ext4-sb)
        # primary superblock's magic (byte 1024 + 0x38) zeroed; backups (group 1) intact
        start $case node-c-wholedisk
        poke "$out/$case/disk.raw" $((1024 + 0x38)) 0000
        note "node-c-wholedisk: ext4 primary superblock magic (byte 1080) zeroed; backup superblock at block 32768 intact"
        ;;
    xfs-sb)
        # node-d: the XFS data-root partition's primary superblock magic "XFSB" zeroed
        start $case node-d-split-docker
        p2=$(sed -n 's/^fs2_offset_bytes=//p' "$TESTDATA/node-d-split-docker/truth/layout.txt")
        [ "$(dd if="$out/$case/disk.raw" bs=1 skip="$p2" count=4 status=none)" = XFSB ]
        poke "$out/$case/disk.raw" "$p2" 00000000
        note "node-d-split-docker: XFS (partition 2, Docker's data root) superblock magic at byte $p2 zeroed; the ext4 root (partition 1) intact"
        ;;
    jbd2-magic | jbd2-csum | jbd2-range)
        start $case node-e-crash
        part=$(sed -n 's/^fs_offset_bytes=//p' "$TESTDATA/node-e-crash/truth/layout.txt")
        joff=$(jbd2_offset "$out/$case/disk.raw" "$part")
        # transaction 115 (of 109..) for the checksum, 110 for the range
        seq=115
        [ $case = jbd2-range ] && seq=110
        msg=$(jbd2_py "$out/$case/disk.raw" "$joff" "${case#jbd2-}" $seq)
        note "node-e-crash (needs_recovery, journal from transaction 109): $msg"
        ;;
    dir-loop)
        # hard links to directories: an upper-layer directory holding its own ancestors
        start $case node-c-wholedisk
        up=$C_ROOT/overlay2/$C_SHOP_RW/diff
        dbg "$out/$case/disk.raw" <<EOF
link $up $up/etc/loop-to-diff
link $up/etc $up/etc/loop-to-etc
link / $up/data/loop-to-root
link $C_ROOT/containers $C_ROOT/containers/$C_SHOP/checkpoints/loop-to-containers
link $C_ROOT/volumes/shopdata/_data $C_ROOT/volumes/shopdata/_data/db/loop-to-data
EOF
        note "node-c-wholedisk, shop's upper layer ($up): etc/loop-to-diff -> diff (its parent's parent), etc/loop-to-etc -> etc (itself), data/loop-to-root -> / of the file system; $C_ROOT/containers/$C_SHOP/checkpoints/loop-to-containers -> containers/; $C_ROOT/volumes/shopdata/_data/db/loop-to-data -> _data (directory hard links, debugfs link)"
        ;;
    symlink-loop)
        start $case node-c-wholedisk
        L=$C_ROOT/overlay2/l
        low=$(dcat "$out/$case/disk.raw" $C_ROOT/overlay2/$C_SHOP_RW/lower)
        first=${low%%:*}
        first=${first#l/}
        # shop's topmost lower link now loops: A -> B -> A; plus a self loop
        dbg "$out/$case/disk.raw" <<EOF
rm $L/$first
symlink $L/$first $L/LOOPBBBBBBBBBBBBBBBBBBBBBB
symlink $L/LOOPBBBBBBBBBBBBBBBBBBBBBB $L/$first
symlink $L/SELFLOOPSSSSSSSSSSSSSSSSSS SELFLOOPSSSSSSSSSSSSSSSSSS
symlink $L/DOTLOOPDDDDDDDDDDDDDDDDDDD ../l/DOTLOOPDDDDDDDDDDDDDDDDDDD/diff
EOF
        note "node-c-wholedisk $L: $first (shop's topmost lower, its init layer) -> LOOPBBBBBBBBBBBBBBBBBBBBBB -> $first; SELFLOOPSSSSSSSSSSSSSSSSSS -> itself; DOTLOOPDDDDDDDDDDDDDDDDDDD -> ../l/DOTLOOPDDDDDDDDDDDDDDDDDDD/diff"
        ;;
    deep-lower)
        # shop's lower file lists 200 layers: its 6 real ones and 194 more, each a real
        # directory with a diff/ and an l/ link, so the chain is well-formed but 200 deep
        start $case node-c-wholedisk
        low=$(dcat "$out/$case/disk.raw" $C_ROOT/overlay2/$C_SHOP_RW/lower)
        {
            for i in $(seq 1 194); do
                id=$(printf 'deep%060d' "$i")
                link=$(printf 'DEEP%022d' "$i")
                echo "mkdir $C_ROOT/overlay2/$id"
                echo "mkdir $C_ROOT/overlay2/$id/diff"
                echo "symlink $C_ROOT/overlay2/l/$link ../$id/diff"
                low="$low:l/$link"
            done
            printf '%s' "$low" > "$tmp/lower"
            echo "rm $C_ROOT/overlay2/$C_SHOP_RW/lower"
            echo "write $tmp/lower $C_ROOT/overlay2/$C_SHOP_RW/lower"
        } > "$tmp/cmds"
        dbg "$out/$case/disk.raw" < "$tmp/cmds"
        note "node-c-wholedisk: overlay2/$C_SHOP_RW/lower (shop) lists $(tr ':' '\n' < "$tmp/lower" | grep -c .) layers: its 6 real ones, then 194 empty layers overlay2/deep<60 digits 1..194> reached through l/DEEP<22 digits 1..194>"
        ;;
    huge-line)
        # migrate's log gets an older rotated file: one json-file line of 100 MiB, no newline
        start $case node-c-wholedisk
        { printf '{"log":"'; head -c $((100 << 20)) /dev/zero | tr '\0' 'A'; } > "$tmp/big.log"
        dbg "$out/$case/disk.raw" <<EOF
write $tmp/big.log $C_ROOT/containers/$C_MIGRATE/$C_MIGRATE-json.log.1
EOF
        rm -f "$tmp/big.log"
        note "node-c-wholedisk: containers/$C_MIGRATE/$C_MIGRATE-json.log.1 (migrate's rotated log) added: '{\"log\":\"' then 100 MiB of 'A', no closing quote, no newline"
        ;;
    huge-config)
        # standby's config.v2.json: valid JSON, 50 MiB (an Env entry of 50 MiB)
        start $case node-c-wholedisk
        dcat "$out/$case/disk.raw" $C_ROOT/containers/$C_STANDBY/config.v2.json > "$tmp/cfg"
        python3 - "$tmp/cfg" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c['Config']['Env'].append('PAD=' + 'x' * (50 << 20))
open(p, 'w').write(json.dumps(c, separators=(',', ':')))
EOF
        dbg "$out/$case/disk.raw" <<EOF
rm $C_ROOT/containers/$C_STANDBY/config.v2.json
write $tmp/cfg $C_ROOT/containers/$C_STANDBY/config.v2.json
EOF
        note "node-c-wholedisk: containers/$C_STANDBY/config.v2.json (standby) rewritten as valid JSON of $(stat -c %s "$tmp/cfg") bytes (Config.Env gained one 50 MiB entry)"
        ;;
    hostile-names)
        start $case node-c-wholedisk
        img=$out/$case/disk.raw
        up=$C_ROOT/overlay2/$C_SHOP_RW/diff
        cdir=$C_ROOT/containers/$C_SHOP
        # shop's name: terminal escapes (OSC title, clear screen, colour), BEL, quotes, DEL
        dcat "$img" $cdir/config.v2.json > "$tmp/cfg"
        python3 - "$tmp/cfg" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c['Name'] = '/shop\x1b]0;pwned\x07\x1b[2J\x1b[31m"q\'\x7f\x08\x08'
c['Config']['Labels']['evil'] = '\x1b[5mblink\r\x0bvt'
open(p, 'w').write(json.dumps(c, separators=(',', ':')))
EOF
        # log lines: escapes inside the JSON string, and raw invalid UTF-8 / raw ESC bytes
        dcat "$img" $cdir/$C_SHOP-json.log > "$tmp/log"
        printf '{"log":"hostile \\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mred\\r\\u0008\\n","stream":"stdout","time":"2026-11-30T02:26:21.000000001Z"}\n' >> "$tmp/log"
        printf '{"log":"raw \xff\xfe\xc3( invalid utf-8 \x1b[31m raw esc\\n","stream":"stderr","time":"2026-11-30T02:26:21.000000002Z"}\n' >> "$tmp/log"
        printf 'x\xe2\x80\xae\xff' > "$tmp/small"
        {
            echo "rm $cdir/config.v2.json"
            echo "write $tmp/cfg $cdir/config.v2.json"
            echo "rm $cdir/$C_SHOP-json.log"
            echo "write $tmp/log $cdir/$C_SHOP-json.log"
            printf 'write %s "%s/etc/esc\x1b[31mred\x1b]0;title\x07"\n' "$tmp/small" "$up"
            printf 'write %s %s/etc/inv\xff\xfe\xc3(utf8\n' "$tmp/small" "$up"
            printf 'write %s "%s/etc/q'"'"'uo""te"\n' "$tmp/small" "$up"
            printf 'write %s %s/etc/rtl\xe2\x80\xaegpj.exe\n' "$tmp/small" "$up"
            printf 'mkdir %s/etc/ctl\x01\x02\x7fdir\n' "$up"
            printf 'symlink %s/etc/lnk\x1b[2J "../\x1b]0;x\x07target"\n' "$up"
        } > "$tmp/cmds"
        dbg "$img" < "$tmp/cmds"
        note "node-c-wholedisk, shop ($C_SHOP): config.v2.json Name = '/shop' ESC]0;pwned BEL ESC[2J ESC[31m \"q' DEL BS BS, label evil = ESC[5mblink CR VT (JSON-escaped); two log lines appended: one with JSON-escaped ESC/BEL/CR/BS, one with raw bytes ff fe c3 28 (invalid UTF-8) and a raw ESC[31m; upper layer etc/: files 'esc ESC[31m red ESC]0;title BEL', 'inv ff fe c3 28 utf8', 'q'uo\"te', 'rtl U+202E gpj.exe', directory 'ctl 01 02 7f dir', symlink 'lnk ESC[2J' -> '../ ESC]0;x BEL target'"
        ;;
    gzip-bomb)
        # shop's rotated log: container-json.log.1.gz inflating to 16 GiB of zeros (128
        # gzip members of 128 MiB each, one stream to Go's reader and to husk's)
        start $case node-c-wholedisk
        head -c $((128 << 20)) /dev/zero | gzip -9 > "$tmp/m.gz"
        for i in $(seq 128); do cat "$tmp/m.gz"; done > "$tmp/bomb.gz"
        dbg "$out/$case/disk.raw" <<EOF
write $tmp/bomb.gz $C_ROOT/containers/$C_SHOP/$C_SHOP-json.log.1.gz
EOF
        note "node-c-wholedisk: containers/$C_SHOP/$C_SHOP-json.log.1.gz added: $(stat -c %s "$tmp/bomb.gz") bytes of gzip (128 members) inflating to 17179869184 bytes of NUL"
        rm -f "$tmp/m.gz" "$tmp/bomb.gz"
        ;;
    *)
        echo "make-damaged: unknown case '$case' (known: $(echo $ALL_CASES))" >&2
        exit 2
        ;;
    esac
done
