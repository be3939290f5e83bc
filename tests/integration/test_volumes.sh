#!/usr/bin/env bash
# Docker volumes on the real node images: the volumes `docker volume inspect` printed
# (truth/volumes.json) are in docker_volumes with their name, driver, labels, options,
# mount point and creation time; the files under their _data/ are in the files table (scope
# volume) with the sha256 of truth/files.sha256, once per container that mounts the volume,
# at the path that container sees.
. "$(dirname "$0")/lib.sh"

# epoch seconds of an RFC 3339 time (fraction dropped)
epoch() { date -u -d "$(echo "$1" | sed -E 's/\.[0-9]+Z$/Z/')" +%s 2>/dev/null || echo 0; }

for A in node-a-ext4-gpt node-b-xfs-lvm; do
    T=$TESTDATA/$A/truth
    if [ ! -f "$TESTDATA/$A/disk.raw.xz" ] || [ ! -f "$T/volumes.json" ]; then
        notok "$A: test image or truth/volumes.json missing"
        continue
    fi
    img=$(raw_image $A)
    db=$WORK/volumes-$A.db
    rm -f "$db"
    "$HUSK" analyse -q "$img" -o "$db" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]; then ok "$A: analyse"; else notok "$A: analyse exit code $rc"; fi
    check_eq "$A: no volume problems recorded" "0" \
        "$(sql "$db" "select count(*) from errors where phase='volumes'")"
    check_eq "$A: live volumes" "$(jq length "$T/volumes.json")" \
        "$(sql "$db" "select count(*) from docker_volumes where recovered_from='live'")"

    # containers still on the node that mount each volume: "id<TAB>volume<TAB>destination"
    mounts=$(awk -F'\t' 'NR > 1 && $4 == "no" {print $1}' "$T/containers.tsv" | while read -r name; do
        jq -r '.[0] | .Id as $id | .Mounts[] | select(.Type == "volume") | [$id, .Name, .Destination] | @tsv' \
            "$T/inspect/$name.json"
    done)

    for i in $(seq 0 $(($(jq length "$T/volumes.json") - 1))); do
        v=$(jq -c ".[$i]" "$T/volumes.json")
        name=$(jq -r .Name <<<"$v")
        mp=$(jq -r .Mountpoint <<<"$v")
        check_eq "$A: volume $name" "$name|$(jq -r .Driver <<<"$v")|$mp|live" \
            "$(sql "$db" "select name, driver, mountpoint, recovered_from from docker_volumes where name='$name'")"
        check_eq "$A: volume $name labels" "$(jq -cS '.Labels // {}' <<<"$v")" \
            "$(sql "$db" "select coalesce(labels, '{}') from docker_volumes where name='$name'" | jq -cS '. // {}')"
        check_eq "$A: volume $name options" "$(jq -cS '.Options // {}' <<<"$v")" \
            "$(sql "$db" "select coalesce(options, '{}') from docker_volumes where name='$name'" | jq -cS '. // {}')"
        # Docker's CreatedAt is a ctime of the volume's directories, made within the same moment
        want=$(epoch "$(jq -r .CreatedAt <<<"$v")")
        got=$(epoch "$(sql "$db" "select created from docker_volumes where name='$name'")")
        d=$((got - want))
        if [ "$want" -gt 0 ] && [ "${d#-}" -le 2 ]; then ok "$A: volume $name created"; else
            notok "$A: volume $name created: truth $(jq -r .CreatedAt <<<"$v"), got $(sql "$db" "select created from docker_volumes where name='$name'")"; fi

        users=$(awk -F'\t' -v n="$name" '$2 == n' <<<"$mounts")
        nusers=$(grep -c . <<<"$users")
        nfiles=0
        while read -r sum path; do
            [ "${path#"$mp"/}" != "$path" ] || continue
            rel=/${path#"$mp"/}
            nfiles=$((nfiles + 1))
            q="from files where scope='volume' and layer='$name' and host_path='$path'"
            check_eq "$A: $name$rel sha256" "$sum" "$(sql "$db" "select distinct sha256 $q")"
            if [ "$nusers" -eq 0 ]; then
                check_eq "$A: $name$rel without a container" "|$rel" "$(sql "$db" "select container_id, path $q")"
                continue
            fi
            check_eq "$A: $name$rel rows, one per mounting container" "$nusers" "$(sql "$db" "select count(*) $q")"
            while IFS=$'\t' read -r id _ dest; do
                check_eq "$A: $name$rel as seen by ${id:0:12}" "1" \
                    "$(sql "$db" "select count(*) $q and container_id='$id' and path='${dest%/}$rel'")"
            done <<<"$users"
        done <"$T/files.sha256"
        [ "$nfiles" -gt 0 ] && ok "$A: volume $name has files in truth/files.sha256 ($nfiles)"
        check_eq "$A: volume $name rows are live, with inode, mode and host path" "0" \
            "$(sql "$db" "select count(*) from files where scope='volume' and layer='$name' and
               (recovered_from != 'live' or confidence != 1.0 or inode is null or mode is null
                or host_path not like '$mp/%' or filesystem_id is null)")"
    done
done

# The metadata.db parser against bbolt's own tool, when one is installed (Debian ships none).
if command -v bbolt >/dev/null 2>&1; then
    m=$WORK/volumes-metadata.db
    "$HUSK" cat "$(raw_image node-a-ext4-gpt)" /var/lib/docker/volumes/metadata.db >"$m"
    check_eq "bbolt keys volumes" "$(bbolt keys "$m" volumes | sort | tr '\n' ' ')" \
        "$(sql "$WORK/volumes-node-a-ext4-gpt.db" "select name from docker_volumes where recovered_from='live' order by name" | sort | tr '\n' ' ')"
else
    echo "# skip: no bbolt command to cross-check metadata.db"
fi
