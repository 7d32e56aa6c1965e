# SPDX-License-Identifier: BSD-3-Clause
"""VF link state: a tap stands in for the VF; a testpmd guest sends (txonly) all along.

While the tap is up, frames reach the VF and stats say link_up=True with the tap's speed.
Taking the tap down is noticed within a second: stats say link_up=False, the log says why
frames are dropped, VM->VF frames are counted as not-connected drops and none is sent. When the
tap comes back, stats and log say so and frames flow to the VF again. The relay and the guest
stay connected throughout.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, sh, RUN_ID, wait_for)


def vm_to_vf(d):
    return d.relay(0)["vm_to_vf"]


def main():
    require_env()
    tap = "vlk" + RUN_ID[-6:]
    d = Daemon("link", ["-P", "net_tap0,iface=%s=0" % tap], control=True).start()
    g = Guest("link", ["virtio_user0,path=%s" % d.sock(0)], fwd="txonly").start()
    d.wait_state(0, "DPDK_READY")
    s = d.flat_stats()
    check(s.get("relay_0.vf.link_up") == "True" and s.get("relay_0.vf.link_speed") == "10000",
          "stats: VF link up at the tap's 10000 Mb/s")
    prom = d.tool("stats", "--output-format", "prometheus").stdout
    check('virtioforwarder_vf_link_up{relay="0"} 1' in prom, "Prometheus: vf_link_up 1")
    a = vm_to_vf(d)
    time.sleep(0.3)
    b = vm_to_vf(d)
    check(b["pkts_tx_to_vf"] > a["pkts_tx_to_vf"], "link up: frames reach the VF (%d in 0.3 s)"
          % (b["pkts_tx_to_vf"] - a["pkts_tx_to_vf"]))

    sh("ip", "link", "set", tap, "down")
    t0 = time.time()
    wait_for(lambda: d.flat_stats().get("relay_0.vf.link_up") == "False", 5, "link down seen")
    log("link down noticed after %.2f s" % (time.time() - t0))
    check("VF net_tap0,iface=%s link down: frames from the VM are dropped" % tap in d.log(),
          "the log says the link went down and what that means")
    time.sleep(0.2)  # bursts already past the check when the link went
    a = vm_to_vf(d)
    time.sleep(0.5)
    b = vm_to_vf(d)
    check(b["pkts_tx_to_vf"] == a["pkts_tx_to_vf"], "link down: nothing sent to the VF")
    dropped = b["pkts_dropped_vf_not_connected"] - a["pkts_dropped_vf_not_connected"]
    took = b["pkts_rx_from_vm"] - a["pkts_rx_from_vm"]
    check(took > 0 and dropped == took,
          "link down: all %d frames from the VM counted as not-connected drops" % took)
    check(d.relay(0)["vm_state"] == "VIRTIO_READY", "the guest stays connected")
    check(d.flat_stats().get("relay_0.vf.link_speed") == "0", "stats: speed 0 while down")
    time.sleep(1.2)  # a dozen link checks, one of them a poll past the LSC interrupts
    downs = d.log().count("link down: frames from the VM are dropped")
    check(downs == 1, "a link that stays down is logged once (%d)" % downs)

    sh("ip", "link", "set", tap, "up")
    wait_for(lambda: d.flat_stats().get("relay_0.vf.link_up") == "True", 5, "link up seen")
    check(d.log().count("VF net_tap0,iface=%s Link up" % tap) >= 2,
          "the log says the link came back")
    a = vm_to_vf(d)
    time.sleep(0.3)
    b = vm_to_vf(d)
    check(b["pkts_tx_to_vf"] > a["pkts_tx_to_vf"], "link back: frames reach the VF again")
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
