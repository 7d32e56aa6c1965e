# SPDX-License-Identifier: BSD-3-Clause
"""What real VFs report, on a stand-in: an af_packet VF over a veth to a pinging host, a testpmd
guest answering. The events come through the test hook (VFWD_TEST_VF_EVENT + SIGUSR2): a PF's
reset (ethdev INTR_RESET: igbvf cannot raise one, iavf and ixgbevf do) and a driver's removal
(INTR_RMV) go through the engine's own handler; a vfio device request (what `echo 0 >
sriov_numvfs` sends, seen for real in e2e.realvf) through EAL's device-event dispatch.

- reset: the VF is configured and started again, pings go on, the counters stay;
- remove: the VF is let go and, since it is still there, taken back within a couple of seconds;
- rmv of a VF that is gone for good (its veth deleted first): the relay keeps its socket and its
  guest, stats say vf.lost=True (JSON and Prometheus too), the log says it is waited for; the
  veth comes back and so does the relay; a second loss, then `port_control remove` forgets it.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, sh, tmpdir, veth, vf_host,
                     wait_for)


def ping(ns, count, interval="0.1"):
    return subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-n", "-c", str(count), "-i",
                             interval, "-W", "1", "10.99.7.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def answered(p):
    out = p.communicate(timeout=120)[0]
    return out.count("bytes from")


def main():
    require_env()
    ns, root_if, ns_if = vf_host("ve", addr="10.99.7.1/24")
    ev = os.path.join(tmpdir("vfev"), "event")
    dev = "net_af_packet0,iface=%s" % root_if
    d = Daemon("vfev", ["-P", "%s=0" % dev], control=True,
               env={"VFWD_TEST_HOOKS": "1", "VFWD_TEST_VF_EVENT": ev}).start()
    g = Guest("vfev", ["virtio_user0,path=%s" % d.sock(0)], fwd="icmpecho").start()
    d.wait_state(0, "DPDK_READY")
    check(answered(ping(ns, 10)) == 10, "10/10 pings before any event")

    def event(what, expect, timeout=10):
        with open(ev, "w") as f:
            f.write(what + "\n")
        n = d.log().count(expect)
        os.kill(d.pid(), signal.SIGUSR2)
        wait_for(lambda: d.log().count(expect) > n, timeout, "'%s' after %s" % (expect, what))

    # A PF's reset under traffic: configured again, what was held kept, pings go on.
    before = d.relay(0)["vf_to_vm"]["pkts_rx_from_vf"]
    p = ping(ns, 40, "0.05")
    time.sleep(0.5)
    event("reset", "was reset by its PF: configured and started again")
    got = answered(p)
    check(got >= 36, "reset under 2 s of pings: %d/40 answered" % got)
    check(d.relay(0)["vf_to_vm"]["pkts_rx_from_vf"] >= before + got,
          "the relay's counters carry on across the reset")

    # A vfio device request (EAL's dispatch): let go, then taken back since it is there.
    event("remove", "is being removed")
    wait_for(lambda: "is back: relaying again" in d.log(), 10, "the VF taken back")
    check(answered(ping(ns, 10)) == 10, "10/10 pings through the VF taken back")

    # A VF gone for good: lost, waited for, its guest connected.
    sh("ip", "link", "del", root_if)
    event("rmv", "is being removed")
    time.sleep(3)
    s = d.flat_stats()
    check(s.get("relay_0.vf.lost") == "True" and
          s.get("relay_0.vm_to_vf.internal_state") == "VIRTIO_READY" and
          s.get("relay_0.vf.pci_addr_str") == dev,
          "stats: relay_0.vf.lost=True, its VF named, its guest connected")
    js = d.tool("stats", "--include-inactive", "--output-format", "json").stdout
    check('"lost": true' in js, "JSON: \"lost\": true")
    prom = d.tool("stats", "--include-inactive", "--output-format", "prometheus").stdout
    check('virtioforwarder_vf_lost{relay="0"} 1' in prom, "Prometheus: vf_lost 1")
    check("let go at once; the guest stays connected" in d.log(), "the log says so")
    # It comes back: the veth made again, found at the next look (backing off up to 30 s).
    veth(root_if, ns, ns_if, addr="10.99.7.1/24")
    wait_for(lambda: d.flat_stats().get("relay_0.vf.lost") == "False", 40,
             "the VF taken back when its device is there again")
    check(answered(ping(ns, 10)) == 10, "10/10 pings after it came back")

    # Lost again; the operator forgets it; the relay id takes a VF again.
    sh("ip", "link", "del", root_if)
    event("rmv", "is being removed")
    r = d.tool("port_control", "remove", "--virtio-id", "0", "--pci-addr", dev)
    check(r.returncode == 0 and "forgotten" in d.log(), "port_control remove forgets a lost VF")
    check("relay_0.vf.lost" not in d.flat_stats(), "stats: no VF on relay 0 any more")
    veth(root_if, ns, ns_if, addr="10.99.7.1/24")
    r = d.tool("port_control", "add", "--virtio-id", "0", "--pci-addr", dev)
    check(r.returncode == 0, "port_control add gives relay 0 its VF again")
    d.wait_state(0, "DPDK_READY")
    check(answered(ping(ns, 10)) == 10, "10/10 pings after the operator's add")
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
