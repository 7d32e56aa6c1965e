#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build-deb.sh: build virtio-forwarder_<version>_amd64.deb with dpkg-buildpackage in the
# unpacked release tarball (scripts/release.sh: what ships, debian/ included; no git needed),
# then run lintian on it.
# Output: build/deb/*.deb and build/deb/lintian.txt. Exit non-zero on build or lintian errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${VFWD_DEB_DIR:-$root/build/deb}
work=$(mktemp -d /tmp/vfwd-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
# the shipped files as they are in the work tree (uncommitted edits included)
tarball=$(bash "$root/scripts/release.sh" "$work")
tar -xzf "$tarball" -C "$work"
tree=$(basename "$tarball" .tar.gz)
(cd "$work/$tree" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log"
	echo "build-deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
rm -f "$out"/*.deb
cp "$work"/*.deb "$out/"
deb=$(ls "$out"/virtio-forwarder_*_amd64.deb)
# lintian's ELF cache (mldbm-elf-*) goes to TMPDIR: the scratch directory, removed at exit
TMPDIR=$work lintian --tag-display-limit 0 "$deb" >"$out/lintian.txt" 2>&1 || true
cat "$out/lintian.txt"
if grep -q '^E: ' "$out/lintian.txt"; then
	echo "build-deb.sh: lintian reports errors" >&2
	exit 1
fi
echo "$deb"
