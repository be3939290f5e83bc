#!/usr/bin/env bash
# Containers removed with docker rm, rebuilt by `husk analyse` from the recovered views of
# their file systems, against what Docker printed before the removal (truth/inspect/NAME.json,
# truth/diff/NAME.txt, truth/logs/NAME.txt, truth/removed-files.sha256). What survives depends
# on the disk (each image's README says what was overwritten); the checks below hold where the
# bytes survive, and a removed container must never be mistaken for a live one.
. "$(dirname "$0")/lib.sh"

check_removed() {
    local img=$1 T=$TESTDATA/$1/truth db=$WORK/recover-$1.db
    "$HUSK" analyse -q "$(raw_image "$img")" -o "$db"
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        notok "$img: analyse failed ($rc)"
        return
    fi
    check_eq "$img: recovery notes do not count as damage" "0" \
        "$(sql "$db" "select count(*) from errors where phase != 'recovery'")"
    check_eq "$img: no live container is marked removed" "0" \
        "$(sql "$db" "select count(*) from containers where state = 'removed' and recovered_from = 'live'")"
    local name id state removed how
    while IFS=$'\t' read -r name id state removed how; do
        [ "$name" = name ] && continue
        [ "$removed" = yes ] || continue
        local row
        row=$(sql "$db" "select state, recovered_from != 'live', confidence > 0 from containers where id = '$id'")
        check_eq "$img: removed container $name listed by its full ID" "removed|1|1" "$row"
        local cname cimage cpath ccreated
        cname=$(sql "$db" "select ifnull(name, '') from containers where id = '$id'")
        if [ -n "$cname" ]; then
            check_eq "$img: $name: recovered name" "$(jq -r '.[0].Name | ltrimstr("/")' "$T/inspect/$name.json")" "$cname"
            check_eq "$img: $name: recovered image" "$(jq -r '.[0].Config.Image' "$T/inspect/$name.json")" \
                "$(sql "$db" "select image_ref from containers where id = '$id'")"
            check_eq "$img: $name: recovered command" "$(jq -c '[.[0].Path] + .[0].Args' "$T/inspect/$name.json")" \
                "$(sql "$db" "select json_array(path) from containers where id = '$id'" | jq -c --argjson a "$(sql "$db" "select ifnull(args, '[]') from containers where id = '$id'")" '. + $a')"
            "$HUSK" inspect "$db" "$id" > "$WORK/rec-$name.json" 2>/dev/null
            for field in Created HostConfig.Binds HostConfig.CapAdd HostConfig.Privileged HostConfig.PidMode; do
                check_eq "$img: $name: recovered $field" "$(jq -c ".[0].$field" "$T/inspect/$name.json")" \
                    "$(jq -c ".[0].$field" "$WORK/rec-$name.json")"
            done
            echo "# $img: $name: config recovered ($(sql "$db" "select recovered_from || ' ' || confidence from containers where id = '$id'"))"
        else
            echo "# $img: $name: only the ID survived (config bytes gone)"
        fi
        # log lines where they survive: report the fraction
        local want got
        want=$(grep -c . "$T/logs/$name.txt")
        got=$(sql "$db" "select count(*) from logs where container_id = '$id'")
        echo "# $img: $name: $got of $want log lines recovered"
        # added files: every recovered upper file whose path Docker printed as added has the
        # hash that was written, where the truth has one
        local mid
        mid=$(tr -d ' \n' < "$T/removed/$name/mount-id")
        while read -r sum path; do
            case $path in */overlay2/"$mid"/diff/*) ;; *) continue ;; esac
            local cpath=/${path#*/diff/}
            local h conf
            h=$(sql "$db" "select sha256 from files where container_id = '$id' and path = '$cpath' and sha256 is not null")
            conf=$(sql "$db" "select confidence from files where container_id = '$id' and path = '$cpath' and sha256 is not null")
            if [ -z "$h" ]; then
                echo "# $img: $name: $cpath not recovered"
            elif [ "$h" = "$sum" ]; then
                ok "$img: $name: $cpath content as written (confidence $conf)"
            else
                # blocks reused since the removal: husk must not claim the content with confidence
                check_eq "$img: $name: $cpath differs from what was written, and says it is unsure" \
                    "1" "$(sql "$db" "select confidence < 0.5 from files where container_id = '$id' and path = '$cpath' and sha256 is not null")"
            fi
        done < "$T/removed-files.sha256"
    done < "$T/containers.tsv"
}

check_removed node-a-ext4-gpt
check_removed node-b-xfs-lvm
check_rc "--no-recover: analyse" 0 "$HUSK" analyse -q --no-recover "$(raw_image node-b-xfs-lvm)" -o "$WORK/norec.db"
check_eq "--no-recover: no removed containers" "0" "$(sql "$WORK/norec.db" "select count(*) from containers where state = 'removed'")"
