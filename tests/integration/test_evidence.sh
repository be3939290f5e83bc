#!/usr/bin/env bash
# Evidence layer on the real node images: formats, segments, EWF hashes, volumes, file
# systems and data roots against what the image builder recorded; evidence unchanged.
. "$(dirname "$0")/lib.sh"

A=node-a-ext4-gpt
T=$TESTDATA/$A/truth
raw=$(raw_image $A)
e01=$TESTDATA/$A/disk.E01
s001=$(split_image $A num)
saa=$(split_image $A alpha)
want_md5=$(awk '{print $1}' "$TESTDATA/$A/disk.md5")
want_sha256=$(awk '{print $1}' "$TESTDATA/$A/disk.sha256")
want_size=$(sed -n 's/^disk_size_bytes=//p' "$T/layout.txt")
part_off=$(sed -n 's/^partition1_offset_bytes=//p' "$T/layout.txt")
part_len=$(sed -n 's/^partition1_length_bytes=//p' "$T/layout.txt")

before=$(sha256sum "$raw" "$TESTDATA/$A"/disk.E0* "$(dirname "$s001")"/* | awk '{print $1}')

for kind in raw ewf split-num split-alpha; do
    case $kind in
    raw) img=$raw fmt=raw segs=1 ;;
    ewf) img=$e01 fmt=ewf segs=$(ls "$TESTDATA/$A"/disk.E0* | wc -l) ;;
    split-num) img=$s001 fmt=split-raw segs=$(ls "$(dirname "$s001")" | wc -l) ;;
    split-alpha) img=$saa fmt=split-raw segs=$(ls "$(dirname "$saa")" | wc -l) ;;
    esac
    db=$WORK/a-$kind.db
    check_rc "$kind: analyse" 0 "$HUSK" analyse -q "$img" -o "$db"
    check_eq "$kind: evidence_format" "$fmt" "$(sql "$db" "select value from case_info where key='evidence_format'")"
    check_eq "$kind: evidence_size" "$want_size" "$(sql "$db" "select value from case_info where key='evidence_size'")"
    check_eq "$kind: segments" "$segs" "$(sql "$db" "select count(*) from evidence_segments")"
    check_eq "$kind: finished" "complete" "$(sql "$db" "select value from case_info where key='status'")"
    check_eq "$kind: finished_at set" "1" "$(sql "$db" "select count(*) from case_info where key='finished_at' and value like '____-__-__T__:__:__._________Z'")"
    check_eq "$kind: volumes" "gpt|$part_off|$part_len" "$(sql "$db" "select kind, offset, length from volumes")"
    check_eq "$kind: file system" "$part_off|ext4|$(sed -n 's/^fs_uuid=//p' "$T/layout.txt")|$(sed -n 's/^fs_label=//p' "$T/layout.txt")|$(sed -n 's/^fs_block_size=//p' "$T/layout.txt")" \
        "$(sql "$db" "select offset, fstype, uuid, label, block_size from filesystems")"
    check_eq "$kind: data root" "/var/lib/docker|docker|overlay2" "$(sql "$db" "select path, runtime, storage_driver from data_roots where runtime='docker'")"
    check_eq "$kind: no problems recorded" "0" "$(sql "$db" "select count(*) from errors where phase != 'recovery'")"
    check_eq "$kind: tool_version" "1" "$(sql "$db" "select count(*) from case_info where key='tool_version' and value like 'husk %'")"
done

# EWF is read through husk's cache of decoded blocks (src/evidence/imgcache.c): every table
# of what the disk holds must equal the raw image's, with the normal cache and with one so
# small (16 blocks) that nearly every read evicts.
db=$WORK/a-ewf-tinycache.db
check_rc "ewf, 1 MiB cache: analyse" 0 env HUSK_EWF_CACHE_MIB=1 "$HUSK" analyse -q "$e01" -o "$db"
for t in $(sql "$WORK/a-raw.db" "select name from sqlite_master where type = 'table' and name not in ('case_info', 'evidence_segments', 'errors') order by name"); do
    want=$(sql "$WORK/a-raw.db" "select * from $t order by rowid" | sha256sum)
    check_eq "ewf: table $t equals raw's" "$want" "$(sql "$WORK/a-ewf.db" "select * from $t order by rowid" | sha256sum)"
    check_eq "ewf, 1 MiB cache: table $t equals raw's" "$want" "$(sql "$db" "select * from $t order by rowid" | sha256sum)"
done
check_eq "ewf: the tables compared include files and logs" "2" "$(sql "$WORK/a-raw.db" "select count(*) from sqlite_master where type = 'table' and name in ('files', 'logs')")"

# EWF: stored hashes, and --verify recomputes them
db=$WORK/a-ewf.db
check_eq "ewf: stored MD5 equals the raw disk's MD5" "$want_md5" "$(sql "$db" "select value from case_info where key='ewf_stored_md5'")"
check_eq "ewf: not verified without --verify" "not-checked" "$(sql "$db" "select value from case_info where key='ewf_verified'")"
db=$WORK/a-ewf-verify.db
check_rc "ewf --verify: analyse" 0 "$HUSK" analyse -q --verify "$e01" -o "$db"
check_eq "ewf --verify: ewf_verified" "yes" "$(sql "$db" "select value from case_info where key='ewf_verified'")"
check_eq "ewf --verify: media SHA-256" "$want_sha256" "$(sql "$db" "select value from case_info where key='evidence_sha256'")"
db=$WORK/a-raw-verify.db
check_rc "raw --verify: analyse" 0 "$HUSK" analyse -q --verify "$raw" -o "$db"
check_eq "raw --verify: media MD5" "$want_md5" "$(sql "$db" "select value from case_info where key='evidence_md5'")"

# A tampered EWF copy must not verify.
mkdir -p "$WORK/tampered"
cp "$TESTDATA/$A"/disk.E0* "$WORK/tampered/"
mid=$(($(stat -c %s "$WORK/tampered/disk.E02") / 2))
printf '\x55\xaa\x55\xaa' | dd of="$WORK/tampered/disk.E02" bs=1 seek=$mid conv=notrunc status=none
db=$WORK/a-tampered.db
check_rc "tampered ewf: analyse says the hashes differ" 6 "$HUSK" analyse -q --verify "$WORK/tampered/disk.E01" -o "$db"
check_eq "tampered ewf: ewf_verified" "no" "$(sql "$db" "select value from case_info where key='ewf_verified'")"
check_eq "tampered ewf: the mismatch is in the errors table" "1" "$(sql "$db" "select count(*) from errors where phase='verify'")"

# Case database habits
check_rc "refuses to overwrite a case database" 4 "$HUSK" analyse -q "$raw" -o "$WORK/a-raw.db"
check_rc "--force replaces it" 0 "$HUSK" analyse -q --force "$raw" -o "$WORK/a-raw.db"
check_rc "missing evidence" 3 "$HUSK" analyse -q "$WORK/nonexistent.E01" -o "$WORK/x.db"
check_rc "no output given" 2 "$HUSK" analyse -q "$raw"
check_rc "-O at the partition's sector" 0 "$HUSK" analyse -q -O $((part_off / 512)) "$raw" -o "$WORK/a-offset.db"
check_eq "-O: one volume at the offset" "offset|$part_off" "$(sql "$WORK/a-offset.db" "select kind, offset from volumes")"
check_eq "-O: ext4 found" "ext4" "$(sql "$WORK/a-offset.db" "select fstype from filesystems")"
check_rc "-f xfs on an ext4 image records a problem" 5 "$HUSK" analyse -q -f xfs "$raw" -o "$WORK/a-wrongfs.db"
check_eq "-f xfs: no file system" "0" "$(sql "$WORK/a-wrongfs.db" "select count(*) from filesystems")"
check_eq "info prints the data root" "1" "$("$HUSK" info "$WORK/a-raw.db" | grep -c '/var/lib/docker$')"
check_eq "info --json names the format" "1" "$("$HUSK" info --json "$WORK/a-raw.db" | grep -c '"evidence_format": "raw"')"

after=$(sha256sum "$raw" "$TESTDATA/$A"/disk.E0* "$(dirname "$s001")"/* | awk '{print $1}')
check_eq "evidence unchanged after every analysis" "$before" "$after"

# Whole-disk ext4 with a data root moved by daemon.json (node-c), and a node whose
# /var/lib/docker was its own XFS partition (node-d).
C=node-c-wholedisk
rawc=$(raw_image $C)
db=$WORK/c.db
check_rc "whole disk: analyse" 0 "$HUSK" analyse -q "$rawc" -o "$db"
check_eq "whole disk: one volume" "whole-disk|0|$(sed -n 's/^disk_size_bytes=//p' "$TESTDATA/$C/truth/layout.txt")" \
    "$(sql "$db" "select kind, offset, length from volumes")"
check_eq "whole disk: ext4 at 0" "0|ext4|$(sed -n 's/^fs_uuid=//p' "$TESTDATA/$C/truth/layout.txt")" \
    "$(sql "$db" "select offset, fstype, uuid from filesystems")"
check_eq "whole disk: data root from daemon.json" "/srv/docker-data|docker|overlay2|daemon.json data-root" \
    "$(sql "$db" "select path, runtime, storage_driver, how_found from data_roots")"

D=node-d-split-docker
rawd=$(raw_image $D)
L=$TESTDATA/$D/truth/layout.txt
db=$WORK/d.db
check_rc "split /var/lib/docker: analyse" 0 "$HUSK" analyse -q "$rawd" -o "$db"
check_eq "split /var/lib/docker: two GPT partitions" \
    "gpt|$(sed -n 's/^partition1_offset_bytes=//p' "$L")|$(sed -n 's/^partition1_length_bytes=//p' "$L")
gpt|$(sed -n 's/^partition2_offset_bytes=//p' "$L")|$(sed -n 's/^partition2_length_bytes=//p' "$L")" \
    "$(sql "$db" "select kind, offset, length from volumes order by offset")"
check_eq "split /var/lib/docker: ext4 root and XFS data" \
    "$(sed -n 's/^fs1_offset_bytes=//p' "$L")|ext4|$(sed -n 's/^fs1_uuid=//p' "$L")
$(sed -n 's/^fs2_offset_bytes=//p' "$L")|xfs|$(sed -n 's/^fs2_uuid=//p' "$L")" \
    "$(sql "$db" "select offset, fstype, uuid from filesystems order by offset")"
check_eq "split /var/lib/docker: the XFS is the data root (empty mount point on the root fs is not)" \
    "xfs|/|docker|overlay2|top-level layout" \
    "$(sql "$db" "select f.fstype, d.path, d.runtime, d.storage_driver, d.how_found from data_roots d join filesystems f on f.id = d.filesystem_id")"
check_eq "split /var/lib/docker: mount points from the node's /etc/fstab" "ext4|/
xfs|/var/lib/docker" "$(sql "$db" "select fstype, mount_point from filesystems order by offset")"
check_eq "split /var/lib/docker: the data root's node path" "/var/lib/docker" \
    "$(sql "$db" "select node_path from data_roots")"
check_eq "whole disk: the only file system is the root" "/" \
    "$(sql "$WORK/c.db" "select mount_point from filesystems")"
check_eq "whole disk: node path of the moved data root" "/srv/docker-data" \
    "$(sql "$WORK/c.db" "select node_path from data_roots")"
