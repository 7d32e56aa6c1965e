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
debver=$(sed -n '1s/^virtio-forwarder (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
expect "debian/changelog" "${debver#*:}"
spec=$src/packaging/rpm/virtio-forwarder.spec
expect "rpm spec Version" "$(sed -n 's/^Version: *//p' "$spec")"
expect "rpm spec %changelog" "$(sed -n '/^%changelog/,$s/^\* .* - \([0-9]*:\)\{0,1\}\([0-9.]*\)-[0-9]*$/\2/p' "$spec" | head -n1)"
# The packages upgrade the reference's (1.x, 2.x): epoch 1 in both formats.
if dpkg --compare-versions "$debver" gt 2.99.99 && [ "$(sed -n 's/^Epoch: *//p' "$spec")" = 1 ]; then
	echo "ok: package versions $debver and 1:$v-1 are above the reference's 2.x"
else
	echo "FAIL: package version $debver (and the spec's Epoch) not above the reference's 2.x" >&2
	status=1
fi
expect "virtio-forwarder -v" "$("$daemon" -v | sed -n 's/^Virtio-forwarder version \([^ ]*\) (DPDK .*)$/\1/p')"
for tool in "$@"; do
	expect "$(basename "$tool") --version" "$("$tool" --version | sed -n 's/.*) \([^ ]*\)$/\1/p')"
done
exit $status
