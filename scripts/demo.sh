#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh: a relay on virtual devices, on a machine without VFs.
#
#   host netns "vfwd-demo" (10.200.0.1) --veth--> VF stand-in (net_af_packet)
#        --> virtio-forwarder relay 0 --> vhost-user socket --> guest (testpmd icmpecho)
#
# Pings the guest through the relay, prints the relay's counters, stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${VFWD_BUILD_DIR:-$root/build}
work=$(mktemp -d /tmp/vfwd-demo-XXXXXX)
NS=vfwd-demo PREFIX=vfwd-demo GPREFIX=vfwd-demo-guest
daemon_pid= guest_pid=

# Signal the daemon itself (its pid file), not the timeout(1) wrapper that bounds it.
daemon_signal() {
	[ -s "$work/virtio-forwarder.pid" ] && kill "-$1" "$(cat "$work/virtio-forwarder.pid")"
}

cleanup() {
	exec 3>&- 2>/dev/null || true # EOF on the guest's stdin: testpmd exits
	[ -n "$guest_pid" ] && { sleep 1; kill "$guest_pid" 2>/dev/null; wait "$guest_pid" 2>/dev/null; } || true
	[ -n "$daemon_pid" ] && { daemon_signal TERM 2>/dev/null; wait "$daemon_pid" 2>/dev/null; } || true
	ip link del vfdemo0 2>/dev/null || true
	ip netns del $NS 2>/dev/null || true
	rm -rf "$work" /var/run/dpdk/$PREFIX /var/run/dpdk/$GPREFIX
}
trap cleanup EXIT

"$root/scripts/setup.sh"
"$root/scripts/build.sh"

echo "== network: netns $NS with 10.200.0.1, veth vfdemo0 as the VF stand-in"
ip netns del $NS 2>/dev/null || true
ip link del vfdemo0 2>/dev/null || true
ip netns add $NS
ip link add vfdemo0 type veth peer name vfdemo1
ip link set vfdemo1 netns $NS
ip link set vfdemo0 up
ip -n $NS addr add 10.200.0.1/24 dev vfdemo1
ip -n $NS link set vfdemo1 up

echo "== daemon: no hugepages, control and stats services on $work/*.ipc"
PC="ipc://$work/port_control" ST="ipc://$work/stats"
timeout -s KILL 120 "$build/src/virtio-forwarder" -n -C 1 -M 0 --no-huge --mem 128 \
	--file-prefix $PREFIX -p "$work" -V "$work" -Z"$PC" -z"$ST" --state-dir "$work/state" \
	--device-alias "02:08.0=net_af_packet0,iface=vfdemo0" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do grep -q "ready:" "$work/daemon.log" && break; sleep 0.1; done

echo "== relay 0 = VF 02:08.0 (aliased to net_af_packet on vfdemo0) <-> $work/virtio-forwarder0.sock"
echo "\$ virtioforwarder_port_control add --virtio-id 0 --pci-addr 02:08.0"
"$build/control/virtioforwarder_port_control" add --virtio-id 0 --pci-addr 02:08.0 --zmq_ep "$PC"
grep "vfwd:" "$work/daemon.log"

echo "== guest: testpmd with virtio_user0 on the socket, answering ARP and ping"
mkfifo "$work/guest.in"
timeout -s KILL 120 stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --no-huge \
	-m 256 --file-prefix $GPREFIX --vdev "virtio_user0,path=$work/virtio-forwarder0.sock" -- \
	--forward-mode=icmpecho --total-num-mbufs=2048 -a --stats-period 0 \
	<"$work/guest.in" >"$work/guest.log" 2>&1 &
guest_pid=$!
exec 3>"$work/guest.in" # keeps testpmd running until closed
for _ in $(seq 150); do grep -q "Press enter" "$work/guest.log" && break; sleep 0.1; done
grep -E "guest connected|negotiated" "$work/daemon.log"

echo "== ping 10.200.0.2 (the guest) from the host netns, through the relay"
ip netns exec $NS ping -c 15 -i 0.1 10.200.0.2 >"$work/ping.log" &
ping_pid=$!
sleep 0.3

echo "== while it pings: virtioforwarder_stats --delay 1000 -z (rates over 1 s, zero counters left out)"
"$build/stats/virtioforwarder_stats" --stats-ep "$ST" --delay 1000 -z
wait $ping_pid
cat "$work/ping.log"

echo "== the same relay in DPDK telemetry (dpdk-telemetry.py -f $PREFIX)"
echo "/virtio_forwarder/relay,0" | dpdk-telemetry.py -f $PREFIX 2>/dev/null | sed -n '/{/,$p'

echo "== stop: SIGUSR1 logs the counters, SIGTERM stops the daemon"
daemon_signal USR1
sleep 0.3
daemon_signal TERM
wait $daemon_pid && echo "daemon exited 0" || echo "daemon exited $?"
daemon_pid=
grep -E "relay 0 (vf_to_vm|vm_to_vf)|stopped" "$work/daemon.log"
