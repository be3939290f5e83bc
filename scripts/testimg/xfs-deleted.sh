#!/bin/bash
# Build the XFS fixtures for husk's recovered view of deleted files (src/recover/xfs_view.c)
# where the evidence is at the inodes' home places, not in the log:
#   home.raw.xz      files written home (umount), deleted after a remount, unmounted; then the
#                    log is formatted (xfs_db logformat -c 5), standing in for a log that has
#                    wrapped since: only free inode slots, freed inode chunks and free
#                    directory spans remain
#   unlinked.raw.xz  the same files, but the log is formatted before the deletion: the log
#                    holds the deletion only (one checkpoint: every inode in its freed state)
# node-b-xfs-lvm is the other case: a container removed seconds after it ran, whose inodes
# never reached their home places and live only in the log.
#
# usage: xfs-deleted.sh OUTDIR     (e.g. testdata/xfs-deleted; needs root:
#        unshare -m --propagation private bash scripts/testimg/xfs-deleted.sh testdata/xfs-deleted)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=$(realpath -m "$1")
T="$OUT/truth"
MIB=300 # mkfs.xfs's minimum size
CID=5f0c6b7a8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b
make_workdir
rm -rf "$OUT"
mkdir -p "$T"
M="$W/mnt"
mkdir -p "$M"

mount_raw() { # file
    loop_attach "$1" 0 $((MIB * 1048576))
    mount "$LOOPDEV" "$M"
    push_cleanup "umount $M 2>/dev/null || true"
}
umount_raw() {
    umount "$M"
    pop_cleanup
    loop_detach "$LOOPDEV"
    pop_cleanup
}

truncate -s "${MIB}M" "$W/base.raw"
mkfs.xfs -q -L husk-xfsdel "$W/base.raw"
mount_raw "$W/base.raw"
# /keep's inode chunk stays in use: its deleted files keep their extent records in place
mkdir "$M/keep"
for i in $(seq 1 10); do echo "keep $i" >"$M/keep/k$i"; done
seq 1 3000 >"$M/keep/del-text.txt"
for i in $(seq 1 2000); do printf 'bin\001\000'; done >"$M/keep/del-bin"
mkdir "$M/keep/smalldir"
for n in a b c; do echo "small $n" >"$M/keep/smalldir/$n"; done
mkdir "$M/keep/many"
for i in $(seq -w 1 120); do echo "many $i" >"$M/keep/many/n$i"; done
# a removed container's directory under a directory that stays (its name there is lost)
mkdir -p "$M/keep/containers/$CID"
printf '{"ID":"%s","Name":"/gone-container","Config":{"Image":"busybox"}}\n' "$CID" \
    >"$M/keep/containers/$CID/config.v2.json"
printf '{"NetworkMode":"none"}\n' >"$M/keep/containers/$CID/hostconfig.json"
printf '{"log":"hello\\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}\n' \
    >"$M/keep/containers/$CID/$CID-json.log"
# /gone: enough inodes that whole chunks are freed with it
mkdir -p "$M/gone/sub" "$M/gone/bigdir"
for i in $(seq 1 150); do printf 'file %d hello world\n' "$i" >"$M/gone/f$i"; done
seq 1 20000 >"$M/gone/sub/big.txt"
ln -s /some/target/path "$M/gone/link"
for i in $(seq 1 200); do echo x >"$M/gone/bigdir/name_number_$i"; done

# ground truth of what will be deleted
(cd "$M" && find keep/del-text.txt keep/del-bin keep/smalldir keep/containers/$CID \
    keep/many/n00[1-9] keep/many/n010 gone -type f -print0 | sort -z |
    xargs -0 sha256sum) >"$T/deleted-files.sha256"
(cd "$M" && find keep gone \( -type f -o -type d -o -type l \) -printf '%i %y %s %p\n' | sort -k4) \
    >"$T/inodes.txt"
umount_raw # every inode and block is written home

for k in home unlinked; do
    cp --sparse=always "$W/base.raw" "$W/$k.raw"
    [ "$k" = unlinked ] && xfs_db -x -c "logformat -c 5" "$W/$k.raw" >/dev/null
    mount_raw "$W/$k.raw"
    rm -rf "$M/gone" "$M/keep/del-text.txt" "$M/keep/del-bin" "$M/keep/smalldir" \
        "$M/keep/containers/$CID" "$M"/keep/many/n00[1-9] "$M/keep/many/n010"
    umount_raw
    [ "$k" = home ] && xfs_db -x -c "logformat -c 5" "$W/$k.raw" >/dev/null
    xfs_logprint -t "$W/$k.raw" 2>&1 | sed -n '1,6p' | sed "s#$W/##" >"$T/$k-logprint.txt"
    (cd "$W" && sha256sum "$k.raw") >"$OUT/$k.sha256"
    xz -9 -c "$W/$k.raw" >"$OUT/$k.raw.xz"
done
echo "$CID" >"$T/container-id"

cat >"$OUT/README.md" <<EOF
# xfs-deleted — deleted files whose traces are at their inodes' home places

Made by \`scripts/testimg/xfs-deleted.sh\` on kernel $(uname -r), $(mkfs.xfs -V 2>&1 | head -n 1):
a ${MIB} MiB XFS (\`mkfs.xfs\` defaults, label \`husk-xfsdel\`, no partition table). Files were
written, the file system unmounted (every inode and block written home) and mounted again, then
deleted and unmounted:

* \`/keep/del-text.txt\` (\`seq 1 3000\`, 13893 bytes), \`/keep/del-bin\` (10000 bytes with NULs),
  \`/keep/smalldir/{a,b,c}\`: inodes in a chunk that stays in use; the kernel zeroes mode, size
  and extent count but leaves the extent records and short-form entries in the literal area;
* \`/keep/many/n001\`..\`n010\` of 120: their names stay in the free spans of the live block
  directory \`/keep/many\`;
* \`/keep/containers/$CID/\` (\`config.v2.json\` with that "ID", \`hostconfig.json\`,
  \`$CID-json.log\`): a removed container's directory under a directory that stays;
* \`/gone/\` (150 files, \`sub/big.txt\` = \`seq 1 20000\`, symlink \`link\`, \`bigdir/\` of 200 names):
  whole inode chunks freed; the kernel never writes a freed chunk again.

| file | log |
|---|---|
| \`home.raw.xz\` | formatted after the deletion (\`xfs_db -x -c "logformat -c 5"\`): stands in for a log that has wrapped since; only the home places are left |
| \`unlinked.raw.xz\` | formatted before the deletion: the log holds the deletion only |

(xfsprogs 6.1 makes logs of 64 MiB at least, which take long to wrap; formatting the log gives
the state a wrapped log leaves for these inodes. Cycle 5 keeps the log ahead of the LSNs in the
metadata, or the kernel refuses the mount. In \`unlinked\`, the \`rm\` ran within one log
checkpoint, which logs each inode once in its final, freed state: no copy of the files' cores
before their deletion is in the log, and husk finds them at home as in \`home\`.)

\`truth/deleted-files.sha256\`: the deleted files' hashes; \`truth/inodes.txt\`: inode, type, size
and path of everything under /keep and /gone before the deletion; \`truth/*-logprint.txt\` the head
of \`xfs_logprint -t\`; \`truth/container-id\`. \`*.sha256\`: hashes of the raw images.
EOF
log "xfs-deleted done: $(du -sh "$OUT" | cut -f1)"
