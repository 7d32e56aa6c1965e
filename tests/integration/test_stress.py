# SPDX-License-Identifier: BSD-3-Clause
"""Guests killed under full load: the VF floods (net_null), the guest echoes everything back
(macswap), and is SIGKILLed mid-traffic again and again. destroy_device must wait for the
workers, so the daemon survives, the relay comes back each time, no mbuf is leaked, and the
daemon still stops cleanly within 2 s while traffic flows.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, log, require_env, run

CYCLES = 6


def main():
    require_env()
    d = Daemon("stress", ["-P", "net_null0,size=64=0"]).start()
    guest = Guest("stress", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap")
    limit = None
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
        c = r["vf_to_vm"]
        check(c["pkts_rx_from_vf"] >= c["pkts_tx_to_vm"] + c["pkts_dropped_vm_queue_full"],
              "cycle %d: VF->VM accounting consistent" % k)
        # in use: what the VF RX ring and the bursts in hand can hold, never the whole pool
        limit = limit or r["mbufs"] // 2
        check(r["mbufs_in_use"] <= limit, "cycle %d: %d of %d mbufs in use (no leak)"
              % (k, r["mbufs_in_use"], r["mbufs"]))
    guest.start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(0.5)
    rc, secs = d.stop()
    check(rc == 0 and secs < 2, "stops cleanly under load: exit %d in %.2fs" % (rc, secs))
    guest.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
