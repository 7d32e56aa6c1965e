#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build-guest.sh: the test guest: Debian's kernel and an initramfs of static busybox, the
# virtio-net modules and ethtool. Its /init configures eth0 from the kernel command line
# (vfwd.ip=, vfwd.peer= (a comma list), vfwd.count=, vfwd.interval=, vfwd.mtu=, vfwd.size=,
# vfwd.queues= (queue pair counts to go through, e.g. 4,2,4), vfwd.linger=SEC,
# vfwd.send=HOST:PORT:KB (KB kilobytes of random data sent over TCP, their md5 printed)), pings
# the peers, sends, prints its counters between markers on the serial console and powers off (vfwd.stay=1: keeps
# running).
# Output: build/guest/vmlinuz, build/guest/initramfs.cpio.gz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${VFWD_GUEST_DIR:-$root/build/guest}
kver=$(ls /lib/modules | sort -V | tail -1)
work=$(mktemp -d /tmp/vfwd-guest-XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$out" "$work"/{bin,sbin,proc,sys,dev,etc,lib/modules,lib64,lib/x86_64-linux-gnu,tmp}
cp /bin/busybox "$work/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
	net_failover virtio_net; do
	cp "$(find "/lib/modules/$kver" -name "$m.ko" | head -1)" "$work/lib/modules/"
done
cp /usr/sbin/ethtool "$work/sbin/"
for lib in $(ldd /usr/sbin/ethtool | grep -o '/lib[^ ]*'); do
	cp "$lib" "$work$lib"
done
cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
	net_failover virtio_net; do
	insmod /lib/modules/$m.ko
done
arg() { sed -n "s/.*vfwd\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
IP=$(arg ip) PEER=$(arg peer) COUNT=$(arg count) MTU=$(arg mtu) SIZE=$(arg size) STAY=$(arg stay)
INTERVAL=$(arg interval) QUEUES=$(arg queues) LINGER=$(arg linger) SEND=$(arg send)
ip link set lo up
[ -n "$MTU" ] && ip link set eth0 mtu "$MTU"
ip addr add "$IP" dev eth0
ip link set eth0 up
echo "VFWD-GUEST-UP $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
# Ping every peer of the comma list at once; one peer prints live, several print when done.
ping_peers() {
	set -- $(echo "$PEER" | tr , ' ')
	if [ $# -eq 1 ]; then
		ping -c "${COUNT:-10}" -i "${INTERVAL:-0.2}" -W 2 -s "${SIZE:-56}" "$1"
		echo "VFWD-PING-DONE rc=$?"
		return
	fi
	for p; do
		ping -c "${COUNT:-10}" -i "${INTERVAL:-0.2}" -W 2 -s "${SIZE:-56}" "$p" >/tmp/ping.$p 2>&1 &
	done
	wait
	for p; do cat /tmp/ping.$p; done
	echo "VFWD-PING-DONE peers=$#"
}
# vfwd.queues=4,2,4: for each count, set the queue pairs, let the kernel hash flows over the
# TX queues (no XPS), ping, and print the per-queue packet counters.
if [ -n "$QUEUES" ]; then
	for n in $(echo "$QUEUES" | tr , ' '); do
		ethtool -L eth0 combined "$n"
		echo "VFWD-QUEUES combined=$n rc=$?"
		for x in /sys/class/net/eth0/queues/tx-*/xps_cpus; do echo 0 >"$x"; done
		[ -n "$PEER" ] && ping_peers
		echo "VFWD-QSTATS combined=$n" $(ethtool -S eth0 |
			sed -n 's/^ *\([rt]x_queue_[0-9]*_packets\): *\([0-9]*\)/\1=\2/p')
	done
elif [ -n "$PEER" ]; then
	ping_peers
fi
# vfwd.send=HOST:PORT:KB: one TCP stream of random data (the kernel hands the device frames
# of up to 64 kB to segment when TSO is on); its md5 and the device's offloads first.
if [ -n "$SEND" ]; then
	set -- $(echo "$SEND" | tr : ' ')
	head -c $(($3 * 1024)) /dev/urandom >/tmp/data
	echo "VFWD-SEND md5=$(md5sum </tmp/data | cut -d' ' -f1)" \
		$(ethtool -k eth0 | grep -E '^(tcp-segmentation-offload|tx-checksumming):' | tr -d ' ')
	nc "$1" "$2" </tmp/data
	echo "VFWD-SEND-DONE rc=$?"
fi
echo "VFWD-NETSTAT $(grep -E '^(Icmp|Ip):' /proc/net/snmp | tr '\n' ' ') $(grep eth0 /proc/net/dev)"
echo "VFWD-COUNTERS rx_packets=$(cat /sys/class/net/eth0/statistics/rx_packets)" \
	"tx_packets=$(cat /sys/class/net/eth0/statistics/tx_packets)"
# vfwd.linger=SEC: stay up a little after the counters, so the host can read its own.
[ -n "$LINGER" ] && sleep "$LINGER"
if [ -n "$STAY" ]; then
	while :; do sleep 1; done
fi
echo VFWD-POWEROFF
poweroff -f
INIT
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$out"
