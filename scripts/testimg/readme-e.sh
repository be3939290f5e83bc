# shellcheck shell=bash
# Writes $OUT/README.md for image e (sourced by node-e.sh at the end; uses its variables).

jt() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$T/journal.tsv"; }
ctr_rows() {
    local n id st ih ir nd up
    for n in "${CTRS[@]}"; do
        id=$(awk -F'\t' -v n="$n" '$1 == n {print $2}' "$T/containers.tsv")
        st=$(awk -F'\t' -v n="$n" '$1 == n {print $3}' "$T/containers.tsv")
        ih=$(awk -F'\t' -v p="/var/lib/docker/containers/$id/config.v2.json" '$4 == p {print $2}' "$T/home-listing.txt")
        ir=$(awk -F'\t' -v p="/var/lib/docker/containers/$id/config.v2.json" '$4 == p {print $2}' "$T/replayed-listing.txt")
        up=$(awk -F'\t' -v k="$n.upper" '$1 == k {print $2}' "$T/paths.tsv")
        up=${up%/diff}
        nd=$(diff "$T/home-listing.txt" "$T/replayed-listing.txt" | grep '^[<>]' |
            grep -c -e "/containers/$id" -e "$up" || true)
        printf '| `%s` | `%s` | %s | %s | %s → %s | %s |\n' "$n" "$id" "$st" \
            "$(jq -r '.[0].Created' "$T/inspect/$n.json")" "${ih:--}" "${ir:--}" "$nd"
    done
}

cat >"$OUT/README.md" <<EOF
# node-e-crash — a crash-consistent Docker node: ext4 with a journal that needs recovery

Made by \`scripts/make-testimages.sh e\` (driver: \`scripts/testimg/node-e.sh\`) on $(cat "$T/imaging-time.txt") (copy time, UTC), on kernel
$(uname -r), with dockerd $ENGINE_VERSION (Debian docker.io; docker CLI $CLI_VERSION for the truth),
$(mke2fs -V 2>&1 | head -n 1).
The node is built like \`node-a-ext4-gpt\` (dockerd chrooted in the node root, own PID and UTS
namespaces, host name \`node-e\`, \`--network none\` containers, workloads in each container's own
command). What differs is how it was imaged: **no \`sync\`, no \`fsfreeze\`**. The disk file was copied
with \`cp --sparse=always\` while dockerd and three containers were running, a few seconds after
the last changes, as a hypervisor snapshot of a running VM or a power cut leaves a disk.

## How the dirty journal was obtained

1. Phase 1 (the node's past): containers \`api\` (running) and \`job\` (exited), then \`sync\`: their
   metadata is in its home blocks (the journal still holds it; replaying it changes nothing).
2. Phase 2a: \`fresh\` is created, \`burst\` runs and exits 4, \`late\`, \`ticker\` and \`lastsecond\` are
   created. First attempt's lesson: every overlay unmount (a container exiting, and \`docker create\`,
   which mounts the new root once) makes overlayfs **sync the upper file system**, this ext4, which
   writes all journaled metadata home. In the first attempt only the last container's start was
   left in the journal; so all creates and exits come first here.
3. Phase 2b, from $(awk -F'\t' '$1 == "phase2_start" {print $2}' "$T/paths.tsv"): \`late\` starts and writes 120 files
   under \`/app/releases/7\`, a symlink and 60 log lines. Starting a container only mounts (no sync).
   Then **$LATE_SETTLE s** of waiting, no sync: ext4's delayed allocation gives late's new files and log
   lines their blocks only at writeback, about 30 s after the writes; the kernel then commits the new
   sizes and extents, and those committed blocks reach home only some 30 s later. (The first
   attempt copied 7 s after late's start: its log was empty in both views.)
4. Phase 2c: \`ticker\` starts (a log line every 0.5 s, through the copy). Docker fsyncs its config
   files, which makes the kernel commit the running jbd2 transaction at once. **$COMMIT_WAIT s** later
   \`lastsecond\` is started and **0.5 s later the disk is copied**. What was not committed by then is
   lost, as in a real crash (\`ticker\`'s last lines, and whatever of \`lastsecond\` Docker's fsyncs had
   not committed: Docker saw it running, the replayed file system has it created).

Result: the copy's ext4 superblock has **\`needs_recovery\`**; the jbd2 journal (csum v3, 64-bit tags)
starts at block $(jt journal_start), transaction $(jt journal_sequence); \`debugfs logdump\` finds
**$(jt logdump_commit_blocks) commit blocks** from there (\`truth/journal-logdump.txt\`).

## The two views

* \`truth/replayed-listing.txt\`: Docker's data root after **\`e2fsck -E journal_only -y\`** replayed
  the journal on a second copy (what the kernel would show after mounting). \`e2fsck -fy\` afterwards
  did not change it (\`truth/e2fsck-replay.txt\`), and \`find\` on a read-only mount of the replayed
  copy lists exactly the same (checked by the script).
* \`truth/home-listing.txt\`: the same directory in the unreplayed copy as The Sleuth Kit reads it
  (\`fls -r -p -l -u\` on the copy as it is).

Both are \`type inode size path\` lines (tab-separated, sorted by path), the fields \`husk ls -r\`
prints. They have $(jt listing_lines_home) and $(jt listing_lines_replayed) lines and differ in
**$(jt listing_lines_differing) lines** (\`diff\` lines). In the home view \`late\`'s $(jt late_assets_home_empty) asset
files all have size 0 (their sizes are only in the journal) and $(jt late_log_home_bytes) bytes of
json log, against $(jt late_log_replayed_bytes) bytes after the replay; \`ticker\` and \`lastsecond\` have
started only in the replayed view (new config.v2.json inodes, mounts, resolv.conf, ...).

## Containers (Docker's view right after the copy)

| name | id | state | created | config.v2.json inode, home → replayed | listing lines that differ |
|---|---|---|---|---|---|
$(ctr_rows)

\`truth/ps.txt\`, \`truth/inspect/\`, \`truth/logs/\`, \`truth/diff/\` were taken with Docker's CLI right
after the copy, so they describe the running node: entries written after the last commit (e.g.
\`ticker\`'s last log lines) are not in the image. Compare them with the replayed view.

## What the tests check on it

\`tests/integration/test_replay.sh\`: \`husk ls -r IMAGE /var/lib/docker\` equals
\`truth/replayed-listing.txt\` (husk replays the journal in memory; the evidence is never written),
\`--no-replay\` equals \`truth/home-listing.txt\`; \`husk analyse\` records
\`filesystems.journal = 'replayed (N transactions, M blocks)'\` with N the commit blocks above, and
marks \`recovered_from = 'journal-replay'\` on the containers, files and log lines that differ
between the two views (\`ticker\` and \`lastsecond\`'s configs, \`late\`'s assets and log lines).

## Files

| file | bytes | what |
|---|---|---|
| \`disk.raw.xz\` | $(stat -c %s "$OUT/disk.raw.xz") | the raw disk ($(cat "$T/disk-size-bytes.txt") bytes), \`xz -9 -T2\` |
| \`disk.sha256\`, \`disk.md5\` | | hashes of the raw (decompressed) disk |
| \`truth/layout.txt\` | | partition table, fs facts, \`dumpe2fs -h\` of the copy (needs_recovery) |
| \`truth/journal.tsv\` | | journal start and sequence, commit blocks, listing sizes and differences |

Disk layout: GPT, one partition (\`node-root\`) at byte $PART_OFF ($PART_LEN bytes), ext4 UUID
\`$FS_UUID\`, 4096-byte blocks, Debian 12 default features (metadata_csum, 64bit).
EOF
