# SPDX-License-Identifier: BSD-3-Clause
"""Guests killed under full load: the VF floods (net_null), the guest echoes everything back
(macswap), and is SIGKILLed mid-traffic again and again. destroy_device must wait for the
workers, so the daemon survives, the relay comes back each time, no mbuf is leaked (in use
within a worker cache and a burst of the count before the first guest), every frame is
accounted for exactly, and the daemon still stops cleanly within 2 s while traffic flows.

Exact accounting needs still counters: after each kill the VF is removed (the relay keeps its
counters), so rx = tx + queue full + not connected + oversize, in frames and in bytes, both
directions; then it is added back for the next cycle.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, log, require_env, run

CYCLES = 6
DEV = "net_null0,size=64"
# mbufs_in_use moves by what a worker's mempool cache holds (up to 1.5 bursts of 32 before it
# flushes) plus one burst in hand: beyond that, frames were lost.
SLACK = 48 + 32


def main():
    require_env()
    d = Daemon("stress", ["-P", DEV + "=0"], control=True).start()
    guest = Guest("stress", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap")
    time.sleep(0.3)
    base = d.relay(0)["mbufs_in_use"]  # the VF's RX ring filled, no guest yet
    for k in range(CYCLES):
        guest.start()
        d.wait_state(0, "DPDK_READY")
        a = d.relay(0)
        time.sleep(0.7)
        b = d.relay(0)
        check(b["vf_to_vm"]["pkts_tx_to_vm"] > a["vf_to_vm"]["pkts_tx_to_vm"]
              and b["vm_to_vf"]["pkts_tx_to_vf"] > a["vm_to_vf"]["pkts_tx_to_vf"],
              "cycle %d: traffic both ways (%d pkts to the guest, %d back)"
              % (k, b["vf_to_vm"]["pkts_tx_to_vm"] - a["vf_to_vm"]["pkts_tx_to_vm"],
                 b["vm_to_vf"]["pkts_tx_to_vf"] - a["vm_to_vf"]["pkts_tx_to_vf"]))
        guest.kill(signal.SIGKILL)  # no goodbye: the socket just closes
        guest.stop()
        r = d.wait_state(0, "DPDK_ADDED")
        check(d.proc.poll() is None, "cycle %d: daemon survived the guest's death" % k)
        check(abs(r["mbufs_in_use"] - base) <= SLACK, "cycle %d: %d mbufs in use, %d before the "
              "first guest (no leak)" % (k, r["mbufs_in_use"], base))
        check(d.tool("port_control", "remove", "--virtio-id", "0", "--pci-addr", DEV)
              .returncode == 0, "cycle %d: VF removed" % k)
        d.accounted(0, "cycle %d: " % k)
        check(d.tool("port_control", "add", "--virtio-id", "0", "--pci-addr", DEV)
              .returncode == 0, "cycle %d: VF added back" % k)
        d.wait_state(0, "DPDK_ADDED")
    guest.start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(0.5)
    rc, secs = d.stop()
    check(rc == 0 and secs < 2, "stops cleanly under load: exit %d in %.2fs" % (rc, secs))
    guest.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
