#!/usr/bin/env bash
# Docker's view rebuilt offline against what Docker itself printed before the node was imaged:
# docker ps -a, docker inspect (State, Config, HostConfig, Mounts), docker images, history.
. "$(dirname "$0")/lib.sh"

check_node() {
    local name=$1 img=$2 T=$TESTDATA/$1/truth db=$WORK/docker-$1.db
    "$HUSK" analyse -q "$img" -o "$db"
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        notok "$name: analyse failed ($rc)"
        return
    fi
    check_eq "$name: containers found" "$(awk -F'\t' 'NR > 1 && $4 == "no"' "$T/containers.tsv" | wc -l)" \
        "$(sql "$db" "select count(*) from containers where recovered_from = 'live'")"

    local cjson
    cjson=$("$HUSK" containers --json "$db")
    while IFS=$'\t' read -r cname cid state removed how; do
        [ "$removed" = no ] || continue
        want=$(jq -c --arg id "$cid" 'select(.ID == $id) | {ID, Names, Image, State, CreatedAt, Command}' "$T/ps.json")
        got=$(printf '%s\n' "$cjson" | jq -c --arg id "$cid" 'select(.ID == $id) | {ID, Names, Image, State, CreatedAt, Command}')
        check_eq "$name: docker ps row of $cname" "$want" "$got"

        "$HUSK" inspect "$db" "$cname" > "$WORK/inspect-$cname.json" 2>/dev/null
        for field in State Config HostConfig; do
            want=$(jq -S ".[0].$field" "$T/inspect/$cname.json")
            got=$(jq -S ".[0].$field" "$WORK/inspect-$cname.json")
            check_eq "$name: inspect $cname .$field" "$want" "$got"
        done
        want=$(jq -S '.[0].Mounts | sort_by(.Destination)' "$T/inspect/$cname.json")
        got=$(jq -S '.[0].Mounts | sort_by(.Destination)' "$WORK/inspect-$cname.json")
        check_eq "$name: inspect $cname .Mounts" "$want" "$got"
        for field in Id Created Path Args Image Name RestartCount Driver LogPath; do
            check_eq "$name: inspect $cname .$field" "$(jq -c ".[0].$field" "$T/inspect/$cname.json")" \
                "$(jq -c ".[0].$field" "$WORK/inspect-$cname.json")"
        done
        prefix=${cid:0:12}
        check_eq "$name: container $cname by ID prefix" "$cid" "$("$HUSK" inspect "$db" "$prefix" | jq -r '.[0].Id')"
    done < "$T/containers.tsv"

    want=$(jq -c '{Repository, Tag, ID, Digest, CreatedAt, Size, VirtualSize}' "$T/images.json" | sort)
    got=$("$HUSK" images --json "$db" | jq -c '{Repository, Tag, ID, Digest, CreatedAt, Size, VirtualSize}' | sort)
    check_eq "$name: docker images" "$want" "$got"

    for h in "$T"/history/*.json; do
        tag=$(basename "$h" .json)
        ref=$(jq -r --arg f "$tag" '.Repository + ":" + .Tag | select(gsub("[/:]"; "_") == $f)' "$T/images.json" | head -n 1)
        [ -n "$ref" ] || { notok "$name: no image for $tag"; continue; }
        want=$(jq -c '{ID, CreatedAt, CreatedBy, Size, Comment}' "$h")
        got=$("$HUSK" history --json "$db" "$ref" | jq -c '{ID, CreatedAt, CreatedBy, Size, Comment}')
        check_eq "$name: docker history $ref" "$want" "$got"
    done
}

check_node node-a-ext4-gpt "$TESTDATA/node-a-ext4-gpt/disk.E01"
check_node node-b-xfs-lvm "$(raw_image node-b-xfs-lvm)"
check_node node-c-wholedisk "$(raw_image node-c-wholedisk)"
check_node node-d-split-docker "$(raw_image node-d-split-docker)"
check_rc "inspect of an unknown container fails" 1 "$HUSK" inspect "$WORK/docker-node-a-ext4-gpt.db" no-such-container
