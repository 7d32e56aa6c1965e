# SPDX-License-Identifier: BSD-3-Clause
"""Bonds: ADD with two VFs builds an active-backup bonding device relayed as one VF; a host
pings the guest through it; when the active member's link goes down the bond fails over to the
other and the pings go on. REMOVE by any member tears bond and members down.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, Guest, check, log, netns, on_exit, require_env, run, sh, veth,
                     RUN_ID)


def ping(ns, count, interval="0.05"):
    return subprocess.Popen(["timeout", "120", "ip", "netns", "exec", ns, "ping", "-n", "-c",
                             str(count), "-i", interval, "-W", "1", "10.99.2.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def received(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def main():
    require_env()
    # host (netns, 10.99.2.1) -- veth -- root bridge -- tap a / tap b (bond members)
    ns = netns("vfwd-bond-" + RUN_ID)
    br, taps = "vbr" + RUN_ID[-6:], ["vta" + RUN_ID[-6:], "vtb" + RUN_ID[-6:]]
    sh("ip", "link", "add", br, "type", "bridge")
    on_exit(sh, "ip", "link", "del", br, ok=False)
    sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % br, ok=False)
    sh("ip", "link", "set", br, "up")
    root_if = "vbv" + RUN_ID[-6:]
    veth(root_if, ns, "vbp" + RUN_ID[-6:], addr="10.99.2.1/24")
    sh("ip", "link", "set", root_if, "master", br)
    d = Daemon("bond", [], control=True).start()
    devs = ["net_tap%d,iface=%s" % (i, t) for i, t in enumerate(taps)]
    r = d.tool("port_control", "add", "--virtio-id", "2", "--pci-addr", devs[0], "--pci-addr",
               devs[1], "--mode", "1", "--name", "b2")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "ADD of a 2-VF bond: " + r.stdout.strip())
    for t in taps:  # the taps exist once DPDK started them: plug them into the switch
        sh("ip", "link", "set", t, "master", br)
    t = d.relay(2)
    check(t["vf"] == devs[0] and "net_bonding_b2" in d.log(), "relay 2 runs on net_bonding_b2")
    guest = Guest("bond", ["virtio_user0,path=%s" % d.sock(2)], fwd="icmpecho").start()
    d.wait_state(2, "DPDK_READY")
    out = ping(ns, 20).communicate()[0]
    check(received(out) == (20, 20), "20/20 pings through the bond")

    p = ping(ns, 100)  # 5 s of pings; the active member fails after 1 s
    time.sleep(1)
    sh("ip", "link", "set", taps[0], "down")
    log("active member's link down (%s down)" % taps[0])
    sent, got = received(p.communicate()[0])
    check(sent == 100 and got >= 80, "failover: %d of %d pings answered across it" % (got, sent))
    check("lost its link; net_tap1 now active" in d.log(), "the daemon logged the failover")
    tail = ping(ns, 20).communicate()[0]
    check(received(tail) == (20, 20), "after failover: 20/20 through the backup member")

    guest.stop()
    r = d.tool("port_control", "remove", "--virtio-id", "2", "--pci-addr", devs[1])
    check(r.returncode == 0, "REMOVE naming the second member removes the bond")
    check(d.telemetry("/ethdev/list")["/ethdev/list"] == [], "bond and members all detached")
    r = d.tool("port_control", "add", "--virtio-id", "3", "--pci-addr", devs[0], "--pci-addr",
               devs[0], "--name", "dup")
    check(r.returncode == 1 and "given twice" in r.stdout + r.stderr,
          "a bond naming a VF twice is refused")
    # Three members: each has VF rings of its own, all filled from the relay's one pool.
    nulls = ["net_null%d" % i for i in range(10, 13)]
    args = ["add", "--virtio-id", "4", "--mode", "0", "--name", "b4"]
    for n in nulls:
        args += ["--pci-addr", n]
    r = d.tool("port_control", *args)
    check(r.returncode == 0, "ADD of a 3-VF bond: " + (r.stdout + r.stderr).strip())
    t = d.relay(4)
    rings = 3 * 2 * 512  # members x (RX + TX ring) at the default --vf-ring-size
    check(t["mbufs"] >= rings + 64,
          "the 3-member bond's pool holds every member's rings and a burst each way "
          "(%d mbufs for %d ring slots)" % (t["mbufs"], rings))
    g3 = Guest("bond3", ["virtio_user0,path=%s" % d.sock(4)], fwd="rxonly").start()
    d.wait_state(4, "DPDK_READY")
    time.sleep(1)
    a = d.relay(4)["vf_to_vm"]["pkts_tx_to_vm"]
    time.sleep(0.5)
    check(d.relay(4)["vf_to_vm"]["pkts_tx_to_vm"] > a, "frames flow from the 3 members")
    g3.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
