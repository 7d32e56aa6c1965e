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
ip -o link show 2>/dev/null | grep -Eq ': (vx|vp|vr|vi|vf|vq)[ab]|: (vbr|vta|vtb|vbv)' && report "links: $(ip -o link show | grep -Eo ': (vx|vp|vr|vi|vf)[ab][^@:]*|: (vbr|vta|vtb|vbv)[^@:]*')"
for d in /tmp/vfwd-d-* /tmp/vfwd-g-* /tmp/vfwd-relay-* /tmp/vfwd-pid-* /tmp/vfwd-huge-* /tmp/vfwd-exact-* /tmp/vfwd-iso-* /tmp/vfwd-recon-* /tmp/vfwd-proto-* /tmp/vfwd-deb-* /tmp/vfwd-rpm-* /tmp/vfwd-notify-* /tmp/vfwd-unit-* /tmp/vfwd-sysfs-* /tmp/vfwd-numa-* /tmp/vfwd-config-* /tmp/vfwd-vm-* /tmp/vfwd-guest-*; do [ -e "$d" ] && report "temporary $d"; done
grep -q " /tmp/vfwd-" /proc/mounts && report "mount: $(grep " /tmp/vfwd-" /proc/mounts)"
[ $left = 0 ] && echo "nothing left behind"
exit $left
