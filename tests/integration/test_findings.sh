#!/usr/bin/env bash
# Findings and the timeline on the real node images: every misconfiguration and compromise
# the image builders put in (testdata/*/README.md, truth/inspect/*.json) raises its finding on
# the right container, host persistence written through a mount is tied to the container that
# wrote it, the benign containers raise nothing above "low", and the timeline holds every kind
# of timestamped fact.
. "$(dirname "$0")/lib.sh"

# id_of TRUTHDIR NAME: the container's full ID from truth/containers.tsv
id_of() { awk -F'\t' -v n="$2" '$1 == n { print $2 }' "$1/containers.tsv"; }

# finding DB RULE CONTAINER-ID [PATH [SEVERITY]]: number of matching findings
finding() {
    sql "$1" "select count(*) from findings where rule='$2' and container_id='$3'
              ${4:+and path='$4'} ${5:+and severity='$5'}"
}

# expect DB TRUTH NAME RULE [PATH [SEVERITY]]: at least one such finding on NAME
expect() {
    local db=$1 truth=$2 name=$3 rule=$4 path=${5:-} sev=${6:-} n
    n=$(finding "$db" "$rule" "$(id_of "$truth" "$name")" "$path" "$sev")
    check_eq "$(basename "$db" .db): $rule on $name${path:+ ($path)}${sev:+ [$sev]}" 1 \
        "$([ "${n:-0}" -ge 1 ] && echo 1 || echo 0)"
}

# absent DB TRUTH NAME RULE: no such finding on NAME
absent() {
    check_eq "$(basename "$1" .db): no $4 on $3" 0 "$(finding "$1" "$4" "$(id_of "$2" "$3")")"
}

# benign DB TRUTH NAME...: nothing above low on each
benign() {
    local db=$1 truth=$2 name
    shift 2
    for name in "$@"; do
        check_eq "$(basename "$db" .db): benign $name raises nothing above low" "" \
            "$(sql "$db" "select rule || ' ' || severity from findings
                          where container_id='$(id_of "$truth" "$name")'
                          and severity in ('critical','high','medium')")"
    done
}

# has_upper DB: 1 when the diff reader wrote upper-layer files rows
has_upper() { sql "$1" "select count(*) > 0 from files where scope='upper'"; }

# check_timeline DB: rows of every kind, consistent with their source tables
check_timeline() {
    local db=$1 l
    l=$(basename "$db" .db)
    for k in "container created" "container started" "container finished" "image created" \
        "image-history created" "host mtime" "host ctime" "host atime" "host crtime"; do
        set -- $k
        check_eq "$l: timeline has $2 rows from $1" 1 \
            "$(sql "$db" "select count(*) > 0 from timeline where source='$1' and kind='$2'")"
    done
    check_eq "$l: one timeline row per container start" \
        "$(sql "$db" "select count(*) from containers where started_at is not null")" \
        "$(sql "$db" "select count(*) from timeline where source='container' and kind='started'")"
    check_eq "$l: one timeline row per file mtime" \
        "$(sql "$db" "select count(*) from files where mtime is not null")" \
        "$(sql "$db" "select count(*) from timeline where kind='mtime'")"
    check_eq "$l: one timeline row per timed log line" \
        "$(sql "$db" "select count(*) from logs where time is not null")" \
        "$(sql "$db" "select count(*) from timeline where kind='log'")"
    check_eq "$l: every timeline time in the case-db form" 0 \
        "$(sql "$db" "select count(*) from timeline
                      where time not glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z'")"
    check_eq "$l: timeline is ordered by its index" 1 \
        "$(sql "$db" "select count(*) from sqlite_master where type='index' and tbl_name='timeline'
                      and sql like '%(time)%'")"
}

# ---------------------------------------------------------------- node-a: ext4 on GPT
A=node-a-ext4-gpt
TA=$TESTDATA/$A/truth
db=$WORK/findings-a.db
rm -f "$db"
check_rc "node-a: analyse" 0 "$HUSK" analyse -q "$(raw_image $A)" -o "$db"

# escape: --cap-add SYS_ADMIN --cap-add SYS_PTRACE --pid=host, seccomp and AppArmor off,
# -v /:/host -v /var/run/docker.sock:/var/run/docker.sock
expect "$db" "$TA" escape cap-sys-admin "" high
expect "$db" "$TA" escape cap-sys-ptrace
expect "$db" "$TA" escape host-pid "" high
expect "$db" "$TA" escape seccomp-unconfined
expect "$db" "$TA" escape apparmor-unconfined
expect "$db" "$TA" escape host-root-mount / critical
expect "$db" "$TA" escape docker-socket-mount /var/run/docker.sock critical
absent "$db" "$TA" escape privileged
absent "$db" "$TA" escape sensitive-host-mount
# ... and, through /host, the host's cron, root's authorized_keys and ld.so.preload
expect "$db" "$TA" escape host-cron-modified /etc/cron.d/evil high
expect "$db" "$TA" escape host-authorized-keys-modified /root/.ssh/authorized_keys high
expect "$db" "$TA" escape host-ld-preload /etc/ld.so.preload critical
check_eq "node-a: the ld.so.preload finding names the preloaded library" 1 \
    "$(sql "$db" "select count(*) from findings where rule='host-ld-preload'
                  and evidence like '%/var/lib/.sysd/libsysd.so%' and evidence like '%/escape%'")"
check_eq "node-a: untouched host files are not findings" 0 \
    "$(sql "$db" "select count(*) from findings where rule like 'host-%' and path in
                  ('/etc/crontab','/etc/cron.d/e2scrub_all','/etc/cron.d/docker-prune',
                   '/home/admin/.ssh/authorized_keys','/etc/passwd','/etc/sudoers.d/90-admin')")"
check_eq "node-a: no host finding without a container" 0 \
    "$(sql "$db" "select count(*) from findings where container_id is null")"
# priv: --privileged (created; its start failed)
expect "$db" "$TA" priv privileged "" critical
absent "$db" "$TA" priv masked-paths-disabled
# web: the web-shell compromise, in its upper layer
if [ "$(has_upper "$db")" = 1 ]; then
    expect "$db" "$TA" web web-shell /srv/www/shell.php critical
    expect "$db" "$TA" web new-uid0-account /etc/passwd critical
    expect "$db" "$TA" web exec-in-tmp /tmp/.cache/kworkerd high
    expect "$db" "$TA" web bin-link-to-tmp /usr/local/bin/kworkerd
    expect "$db" "$TA" web download-exec /opt/legacy/bin/tool.sh
    expect "$db" "$TA" escape exec-in-tmp /tmp/.x.sh
    expect "$db" "$TA" escape escape-strings /tmp/.x.sh
    expect "$db" "$TA" escape credential-dump /tmp/.s
    absent "$db" "$TA" web security-tool-removed
else
    notok "node-a: no files rows of scope upper: the diff reader did not run"
fi
benign "$db" "$TA" batch fresh vol after

# host files rows: the persistence locations, hashed like the truth
for p in /etc/cron.d/evil /etc/ld.so.preload /root/.ssh/authorized_keys /etc/passwd /etc/shadow; do
    want=$(awk -v p="$p" '$2 == p { print $1 }' "$TA/files.sha256")
    check_eq "node-a: host files row for $p (sha256)" "$want" \
        "$(sql "$db" "select sha256 from files where scope='host' and path='$p'
                      and container_id is null and recovered_from='live' and host_path='$p'
                      and filesystem_id=(select id from filesystems)")"
done
check_eq "node-a: host files rows carry their times" 0 \
    "$(sql "$db" "select count(*) from files where scope='host' and (mtime is null or ctime is null)")"
check_timeline "$db"

# the command
out=$("$HUSK" findings "$db")
check_eq "findings: exit code" 0 $?
check_eq "findings: lists escape's socket mount" 1 \
    "$(printf '%s\n' "$out" | grep -c '^critical  escape  *docker-socket-mount ')"
check_eq "findings: most severe first" "critical" "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)"
check_eq "findings: summary line" 1 "$(printf '%s\n' "$out" | grep -c '^[0-9]* findings: ')"
check_eq "findings --severity critical: only critical" "critical" \
    "$("$HUSK" findings --severity critical "$db" | sed -n '2,/^$/p' | sed '/^$/d' | cut -d' ' -f1 | sort -u)"
check_eq "findings --container escape: only escape" "escape" \
    "$("$HUSK" findings --container escape "$db" | sed -n '2,/^$/p' | sed '/^$/d' | awk '{print $2}' | sort -u)"
check_eq "findings --container by ID prefix" \
    "$("$HUSK" findings --container escape "$db")" \
    "$("$HUSK" findings --container "$(id_of "$TA" escape | cut -c1-12)" "$db")"
check_eq "findings --json: every finding" "$(sql "$db" "select count(*) from findings")" \
    "$("$HUSK" findings --json "$db" | jq length)"
check_eq "findings --json: fields" '"priv" "privileged" "critical"' \
    "$("$HUSK" findings --json --container priv "$db" | jq -r '.[] | select(.rule=="privileged") | "\"\(.container)\" \"\(.rule)\" \"\(.severity)\""')"
check_rc "findings --severity bogus" 2 "$HUSK" findings --severity bogus "$db"
check_rc "findings --container unknown" 1 "$HUSK" findings --container nosuch "$db"
check_rc "findings without a case" 2 "$HUSK" findings

# ---------------------------------------------------------------- node-b: XFS on LVM on DOS
B=node-b-xfs-lvm
TB=$TESTDATA/$B/truth
db=$WORK/findings-b.db
rm -f "$db"
check_rc "node-b: analyse" 0 "$HUSK" analyse -q "$(raw_image $B)" -o "$db"
# debug: --pid=host, SYS_ADMIN, SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH, seccomp off,
# -v /etc:/host-etc -v /var/run/docker.sock:/var/run/docker.sock
expect "$db" "$TB" debug cap-sys-admin
expect "$db" "$TB" debug cap-sys-ptrace
expect "$db" "$TB" debug cap-net-admin "" medium
expect "$db" "$TB" debug cap-dac-read-search "" high
expect "$db" "$TB" debug host-pid
expect "$db" "$TB" debug seccomp-unconfined
expect "$db" "$TB" debug docker-socket-mount /var/run/docker.sock critical
expect "$db" "$TB" debug sensitive-host-mount /etc high
absent "$db" "$TB" debug apparmor-unconfined
absent "$db" "$TB" debug host-root-mount
# ... and through /host-etc: sudoers.d/99-debug and a uid-0 user in the host's passwd
expect "$db" "$TB" debug host-sudoers-modified /etc/sudoers.d/99-debug high
expect "$db" "$TB" debug host-passwd-modified /etc/passwd high
expect "$db" "$TB" debug host-uid0-account /etc/passwd critical
check_eq "node-b: the uid-0 finding names the account" 1 \
    "$(sql "$db" "select count(*) from findings where rule='host-uid0-account' and evidence like '%: debug;%'")"
check_eq "node-b: no host finding without a container" 0 \
    "$(sql "$db" "select count(*) from findings where container_id is null")"
benign "$db" "$TB" api job legacy
check_timeline "$db"

# ---------------------------------------------------------------- node-c: whole-disk ext4
C=node-c-wholedisk
TC=$TESTDATA/$C/truth
db=$WORK/findings-c.db
rm -f "$db"
check_rc "node-c: analyse" 0 "$HUSK" analyse -q "$(raw_image $C)" -o "$db"
# an ordinary shop: a read-only share, a volume, a new text file in the web root
benign "$db" "$TC" migrate shop standby
check_eq "node-c: nothing above low anywhere" 0 \
    "$(sql "$db" "select count(*) from findings where severity in ('critical','high','medium')")"
check_timeline "$db"

# ---------------------------------------------------------------- node-d: /var/lib/docker on its own XFS
D=node-d-split-docker
TD=$TESTDATA/$D/truth
db=$WORK/findings-d.db
rm -f "$db"
check_rc "node-d: analyse" 0 "$HUSK" analyse -q "$(raw_image $D)" -o "$db"
# agent: -v /:/host writes /etc/cron.d/job, which lives on the root file system (p1), while
# Docker's data root is on p2
expect "$db" "$TD" agent host-root-mount / critical
expect "$db" "$TD" agent host-cron-modified /etc/cron.d/job high
check_eq "node-d: the cron file's row is on the root file system, hashed like the truth" \
    "$(sql "$db" "select id from filesystems order by offset limit 1")|$(awk '$2 == "/etc/cron.d/job" { print $1 }' "$TD/files.sha256")" \
    "$(sql "$db" "select filesystem_id, sha256 from files where scope='host' and path='/etc/cron.d/job'")"
if [ "$(has_upper "$db")" = 1 ]; then
    # web: a new .php in the web root whose content runs nothing: the weak form
    expect "$db" "$TD" web web-shell /srv/www/drop.php high
else
    notok "node-d: no files rows of scope upper: the diff reader did not run"
fi
benign "$db" "$TD" init
check_eq "node-d: no host finding without a container" 0 \
    "$(sql "$db" "select count(*) from findings where container_id is null")"
check_timeline "$db"
