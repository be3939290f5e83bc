#!/bin/bash
# Build the two small XFS fixtures for husk's XFS log-state detection (src/recover/xfs_log.c):
#   dirty.raw.xz  an XFS file system copied while mounted, after changes forced into its log
#                 but not yet written to their home blocks (what a crash leaves)
#   clean.raw.xz  the same file system after a clean unmount (the log ends in an unmount record)
# The frozen node-b image is the third case: a covered log (only superblock updates).
#
# usage: xfs-log.sh OUTDIR        (e.g. testdata/xfs-log; needs root:
#        unshare -m --propagation private bash scripts/testimg/xfs-log.sh testdata/xfs-log)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
MIB=300 # mkfs.xfs's minimum size
make_workdir
rm -rf "$OUT"; mkdir -p "$T"

truncate -s "${MIB}M" "$W/xfs.raw"
mkfs.xfs -q -L husk-xfslog "$W/xfs.raw"
loop_attach "$W/xfs.raw" 0 $((MIB * 1048576)); L=$LOOPDEV
M="$W/mnt"; mkdir -p "$M"
mount "$L" "$M"
push_cleanup 'unmount_node'
mkdir -p "$M/data/a" "$M/data/b"
for i in $(seq 1 200); do printf 'HUSK-XFS-LOG %03d\n' "$i" >"$M/data/a/f$i"; done
ln -s a/f1 "$M/data/b/link"
# syncfs on XFS forces the log to disk; the metadata stays in memory (the AIL) for much longer
sync -f "$M/data/a/f1"
sleep 1
cp --sparse=always "$W/xfs.raw" "$W/dirty.raw"
log "dirty copy taken"
umount "$M"
cp --sparse=always "$W/xfs.raw" "$W/clean.raw"
log "clean copy taken"
loop_detach "$L"

for k in dirty clean; do
    xfs_logprint -t "$W/$k.raw" 2>&1 | sed -n '1,6p' | sed "s#$W/##" >"$T/$k-logprint.txt"
    (cd "$W" && sha256sum "$k.raw") >"$OUT/$k.sha256"
    xz -9 -c "$W/$k.raw" >"$OUT/$k.raw.xz"
done
grep -q 'state: <DIRTY>' "$T/dirty-logprint.txt" || die "the dirty copy's log is clean"
grep -q 'state: <CLEAN>' "$T/clean-logprint.txt" || die "the clean copy's log is dirty"

cat >"$OUT/README.md" <<EOF
# xfs-log — XFS log states for husk's detection of unclean XFS logs

Made by \`scripts/testimg/xfs-log.sh\` on kernel $(uname -r), $(mkfs.xfs -V 2>&1 | head -n 1):
an empty ${MIB} MiB XFS (\`mkfs.xfs\` defaults, label \`husk-xfslog\`, no partition table), mounted,
200 small files and a symlink written under \`/data\`, then \`sync -f\` (syncfs: on XFS it forces the
log to disk, the metadata stays in memory).

| file | what | \`xfs_logprint -t\` |
|---|---|---|
| \`dirty.raw.xz\` | copied 1 s later, still mounted | $(sed -n 's/.*\(log tail.*\)/\1/p' "$T/dirty-logprint.txt") |
| \`clean.raw.xz\` | copied after \`umount\` | $(sed -n 's/.*\(log tail.*\)/\1/p' "$T/clean-logprint.txt") |

\`dirty\` has the changes only in its log: husk records \`filesystems.journal = 'xfs-log-dirty'\`
(replaying the XFS log is out of scope). \`clean\` ends in an unmount record: \`'clean'\`. The frozen
\`node-b-xfs-lvm\` is the third case: \`xfs_logprint\` calls its log dirty, but the records after the
tail are the two dummy transactions that log only the superblock (\`xfs_log_cover()\` at freeze), so
replaying them changes nothing: husk records \`'clean (log covered)'\`.

\`*.sha256\` are the hashes of the raw (decompressed) images; \`truth/*-logprint.txt\` the head of
\`xfs_logprint -t\` for each.
EOF
log "xfs-log done: $(du -sh "$OUT" | cut -f1)"
