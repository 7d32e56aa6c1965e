#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# version_agrees.sh SRC DAEMON TOOL...: VERSION is the one version; the Debian changelog's newest
# entry, the RPM spec (Version: and its newest %changelog entry), the daemon's -v and every
# tool's --version must all say it.
set -u
src=$1
shift
daemon=$1
shift
v=$(head -n1 "$src/VERSION")
status=0
expect() { # what, found
	if [ "$2" = "$v" ]; then
		echo "ok: $1: $2"
	else
		echo "FAIL: $1 says '$2', VERSION says '$v'" >&2
		status=1
	fi
}
echo "$v" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: VERSION '$v' is not X.Y.Z" >&2; exit 1; }
expect "debian/changelog" "$(sed -n '1s/^virtio-forwarder (\([^)-]*\).*/\1/p' "$src/packaging/debian/changelog")"
spec=$src/packaging/rpm/virtio-forwarder.spec
expect "rpm spec Version" "$(sed -n 's/^Version: *//p' "$spec")"
expect "rpm spec %changelog" "$(sed -n '/^%changelog/,$s/^\* .* - \([0-9.]*\)-[0-9]*$/\1/p' "$spec" | head -n1)"
expect "virtio-forwarder -v" "$("$daemon" -v | sed -n 's/^Virtio-forwarder version \([^ ]*\) (DPDK .*)$/\1/p')"
for tool in "$@"; do
	expect "$(basename "$tool") --version" "$("$tool" --version | sed -n 's/.*) \([^ ]*\)$/\1/p')"
done
exit $status
