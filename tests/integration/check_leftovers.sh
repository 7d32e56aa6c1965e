#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs last: the suite left no process, netns, veth, DPDK runtime dir or temporary directory.
left=0
report() { echo "LEFTOVER: $*"; left=1; }
pgrep -x virtio-forwarde >/dev/null && report "virtio-forwarder process(es): $(pgrep -x virtio-forwarde)"
pgrep -f 'dpdk-testpmd.*vfwd-g' >/dev/null && report "testpmd guest(s): $(pgrep -f 'dpdk-testpmd.*vfwd-g')"
pgrep -f "qemu-system-x86_64.*vfwd" >/dev/null && report "qemu guest(s): $(pgrep -f "qemu-system-x86_64.*vfwd")"
for d in /var/run/dpdk/vfwd-*; do [ -e "$d" ] && report "runtime dir $d"; done
ip netns list 2>/dev/null | grep -q '^vfwd-' && report "netns: $(ip netns list | grep '^vfwd-')"
links=': (vx|vp|vr|vi|vf|vq|vm|eq|mj|lv|lm)[ab][0-9a-z]*[0-9]+[@:]|: (vbr|vta|vtb|vbv|vlk|vmt|vmb)[0-9]'
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
