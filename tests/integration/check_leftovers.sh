#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# check_leftovers.sh snapshot FILE: record the host's hugepages, users, groups and hugetlbfs
# mounts (the suite's first test).
# check_leftovers.sh FILE: runs last: the suite left no process, netns, veth, DPDK runtime dir
# or temporary directory, and the host's hugepages, users, groups and mounts are as recorded.
host_state() {
	echo "nr_hugepages $(cat /proc/sys/vm/nr_hugepages)"
	getent passwd | cut -d: -f1 | sort | sed 's/^/user /'
	getent group | cut -d: -f1 | sort | sed 's/^/group /'
	awk '$3 == "hugetlbfs" { print "hugetlbfs " $2 }' /proc/mounts | sort
}
if [ "${1:-}" = snapshot ]; then
	host_state >"$2"
	echo "host state recorded in $2: $(grep -c . "$2") lines"
	exit 0
fi
left=0
report() { echo "LEFTOVER: $*"; left=1; }
if [ -r "${1:-}" ]; then
	diff <(cat "$1") <(host_state) | grep '^[<>]' | while read -r line; do
		echo "LEFTOVER: host state changed: $line"
	done | grep . && left=1
else
	report "no host state recorded (${1:-none}): aa_host_state runs first in the suite"
fi
pgrep -x virtio-forwarde >/dev/null && report "virtio-forwarder process(es): $(pgrep -x virtio-forwarde)"
pgrep -f 'dpdk-testpmd.*vfwd-g' >/dev/null && report "testpmd guest(s): $(pgrep -f 'dpdk-testpmd.*vfwd-g')"
pgrep -f "qemu-system-x86_64.*vfwd" >/dev/null && report "qemu guest(s): $(pgrep -f "qemu-system-x86_64.*vfwd")"
for d in /var/run/dpdk/vfwd-*; do [ -e "$d" ] && report "runtime dir $d"; done
ip netns list 2>/dev/null | grep -q '^vfwd-' && report "netns: $(ip netns list | grep '^vfwd-')"
links=': (vx|vp|vr|vi|vf|vq|vm|eq|mj|lv|lm|ts)[ab][0-9a-z]*[0-9]+[@:]|: (vbr|vta|vtb|vbv|vlk|vmt|vmb)[0-9]'
ip -o link show 2>/dev/null | grep -Eq "$links" && report "links: $(ip -o link show | grep -Eo "$links")"
pgrep -f 'libvirtd.*vfwd-libvirt' >/dev/null && report "libvirtd: $(pgrep -f 'libvirtd.*vfwd-libvirt')"
pgrep -f 'ovsdb-server.*vfwd-ovsdb' >/dev/null && report "ovsdb-server: $(pgrep -f 'ovsdb-server.*vfwd-ovsdb')"
[ -e /etc/libvirt/qemu.conf ] && grep -q '^security_driver = "none"' /etc/libvirt/qemu.conf &&
	report "/etc/libvirt/qemu.conf of the libvirt test"
for d in /tmp/vfwd-* /tmp/mldbm-elf-*; do [ -e "$d" ] && report "temporary $d"; done
grep -q " /tmp/vfwd-" /proc/mounts && report "mount: $(grep " /tmp/vfwd-" /proc/mounts)"
# Run-time relays persisted in the default state dir: a daemon run without --state-dir.
[ -e /var/lib/virtio-forwarder/relays ] && report "state file /var/lib/virtio-forwarder/relays"
[ $left = 0 ] && echo "nothing left behind"
exit $left
