#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# tools_no_dpdk.sh DAEMON TOOL...: the tools' dynamic sections name no DPDK library (librte_*),
# so they run on a host without DPDK's runtime. The daemon's must name some: proof that the
# check sees DPDK where it is linked.
set -u
daemon=$1
shift
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
status=0
if ! needed "$daemon" | grep -q '^librte_'; then
	echo "FAIL: $daemon names no librte_* library: the check cannot see DPDK" >&2
	status=1
fi
for tool in "$@"; do
	libs=$(needed "$tool")
	if [ -z "$libs" ]; then
		echo "FAIL: no dynamic section read from $tool" >&2
		status=1
	elif echo "$libs" | grep '^librte_' >/dev/null; then
		echo "FAIL: $(basename "$tool") links DPDK: $(echo "$libs" | grep '^librte_' | tr '\n' ' ')" >&2
		status=1
	else
		echo "ok: $(basename "$tool") needs only: $(echo "$libs" | tr '\n' ' ')"
	fi
done
exit $status
