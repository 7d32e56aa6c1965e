#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build-deb.sh: build virtio-forwarder_<version>_amd64.deb with dpkg-buildpackage in a scratch
# copy of the tracked sources (packaging/debian becomes debian/), then run lintian on it.
# Output: build/deb/*.deb and build/deb/lintian.txt. Exit non-zero on build or lintian errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${VFWD_DEB_DIR:-$root/build/deb}
work=$(mktemp -d /tmp/vfwd-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$out" "$work/virtio-forwarder"
# the tracked files as they are in the work tree (uncommitted edits included)
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar -cf - --null -T -) |
	tar -xf - -C "$work/virtio-forwarder"
cp -r "$root/packaging/debian" "$work/virtio-forwarder/debian"
(cd "$work/virtio-forwarder" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log"
	echo "build-deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
rm -f "$out"/*.deb
cp "$work"/*.deb "$out/"
deb=$(ls "$out"/virtio-forwarder_*_amd64.deb)
lintian --tag-display-limit 0 "$deb" >"$out/lintian.txt" 2>&1 || true
cat "$out/lintian.txt"
if grep -q '^E: ' "$out/lintian.txt"; then
	echo "build-deb.sh: lintian reports errors" >&2
	exit 1
fi
echo "$deb"
