#!/usr/bin/env bash
# `make demo`: analyse the bundled E01 of a real Docker node and show what husk found.
set -euo pipefail
husk=${1:-build/husk}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/demo
mkdir -p "$out"
img=$root/testdata/node-a-ext4-gpt/disk.E01
echo "\$ husk analyse --verify $img -o build/demo/node-a.db --force"
"$husk" analyse --verify "$img" -o "$out/node-a.db" --force
echo
echo "\$ husk info build/demo/node-a.db"
"$husk" info "$out/node-a.db"
