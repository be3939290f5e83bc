#!/usr/bin/env bash
# Installs the Debian 12 packages husk needs to build, to run its tests and to regenerate its
# test images. Safe to run again: it installs only what is missing.
#   scripts/install-deps.sh           everything
#   scripts/install-deps.sh --build   only what building and testing need
set -euo pipefail

build_pkgs=(
    build-essential pkg-config
    libtsk-dev libewf-dev libsqlite3-dev libmagic-dev libjansson-dev zlib1g-dev libssl-dev
    libvslvm-dev libbfio-dev libcmocka-dev
    sqlite3 xz-utils coreutils jq
    chromium fonts-dejavu-core python3  # husk report test: headless rendering, screenshot check
    e2fsprogs python3 time util-linux # tests: make-damaged.sh (debugfs), peak RSS, pty (script)
    fdisk util-linux mount tar # test_export: sfdisk, losetup, mount, GNU tar
    file # test_diff: file types against file(1)'s for the same bytes
)
# regenerating testdata/ (scripts/make-testimages.sh) with a real Docker engine
image_pkgs=(
    docker.io containerd runc e2fsprogs xfsprogs lvm2 fdisk ewf-tools busybox-static attr
    sleuthkit util-linux
    python3-grpcio python3-grpc-tools
)

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" != "--build" ]; then
    pkgs+=("${image_pkgs[@]}")
    pkgs+=(clang) # make fuzz (docs/fuzzing.md); scripts/fuzz-seeds.sh also uses sleuthkit, xfsprogs
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#pkgs[@]} packages already installed"
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
