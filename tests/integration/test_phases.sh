#!/usr/bin/env bash
# Per-phase times and peak memory of an analysis (docs/case-db.md, docs/performance.md): on a
# real node image, case_info holds phase_time.NAME and phase_cpu.NAME for every phase that
# ran, the parts add up to no more than the total, peak_rss_kib is a plausible size, and
# `husk info -v` prints them (plain `husk info` does not).
. "$(dirname "$0")/lib.sh"

A=node-a-ext4-gpt
img=$(raw_image $A)
db=$WORK/phases.db
rm -f "$db"
"$HUSK" analyse -q "$img" -o "$db" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]; then ok "$A: analyse"; else notok "$A: analyse exit code $rc"; fi
check_eq "$A: case_info.command_line is the command as typed, subcommand included" \
    "husk analyse -q $img -o $db" "$(sql "$db" "select value from case_info where key = 'command_line'")"
for ph in open images containers containers.logs containers.diff volumes recovery findings \
    journal_marks timeline commit total; do
    check_eq "$A: phase_time.$ph is a number of seconds" "1" \
        "$(sql "$db" "select value glob '[0-9]*.[0-9][0-9][0-9]' from case_info where key = 'phase_time.$ph'")"
    check_eq "$A: phase_cpu.$ph is a number of seconds" "1" \
        "$(sql "$db" "select value glob '[0-9]*.[0-9][0-9][0-9]' from case_info where key = 'phase_cpu.$ph'")"
done
# the top-level phases run one after the other: together no longer than the total
check_eq "$A: phases add up to at most the total" "1" \
    "$(sql "$db" "select sum(cast(value as real)) <= (select cast(value as real) + 0.01 from case_info
        where key = 'phase_time.total') from case_info where key in ('phase_time.open',
        'phase_time.images', 'phase_time.containers', 'phase_time.volumes', 'phase_time.recovery',
        'phase_time.findings', 'phase_time.journal_marks', 'phase_time.timeline', 'phase_time.commit')")"
check_eq "$A: logs and diff are parts of containers" "1" \
    "$(sql "$db" "select (select cast(value as real) from case_info where key = 'phase_time.containers.logs')
        + (select cast(value as real) from case_info where key = 'phase_time.containers.diff')
        <= (select cast(value as real) + 0.01 from case_info where key = 'phase_time.containers')")"
check_eq "$A: peak_rss_kib between 1 MiB and 1 GiB" "1" \
    "$(sql "$db" "select cast(value as integer) between 1024 and 1048576 from case_info where key = 'peak_rss_kib'")"
out=$("$HUSK" info -v "$db" 2>&1)
case $out in *"Analysis time"*"containers.diff"*"peak memory (RSS)"*) ok "$A: info -v prints the phases" ;;
    *) notok "$A: info -v output lacks the phases" ;; esac
out=$("$HUSK" info "$db" 2>&1)
case $out in *"Analysis time"*) notok "$A: plain info prints the phases" ;; *) ok "$A: plain info leaves them out" ;; esac
