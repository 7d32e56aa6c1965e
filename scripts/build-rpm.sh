#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build-rpm.sh: build the RPM from packaging/rpm/virtio-forwarder.spec with rpmbuild, the
# release tarball (scripts/release.sh) as Source0 (also on Debian: build dependencies are not
# checked there, the build itself is real).
# Output: build/rpm/*.rpm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${VFWD_RPM_DIR:-$root/build/rpm}
top=$(mktemp -d /tmp/vfwd-rpm-XXXXXX)
trap 'rm -rf "$top"' EXIT
version=$(head -n1 "$root/VERSION")
mkdir -p "$out" "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
bash "$root/scripts/release.sh" "$top/SOURCES" >/dev/null
# Debian has no rpm database of build dependencies, nor the _unitdir macro's value
rpmbuild -bb --nodeps --define "_topdir $top" --define "_unitdir /lib/systemd/system" \
	"$root/packaging/rpm/virtio-forwarder.spec" >"$out/build.log" 2>&1 || {
	tail -30 "$out/build.log"
	exit 1
}
rm -f "$out"/*.rpm
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/virtio-forwarder-"$version"-*.rpm | grep -v debug | head -1
