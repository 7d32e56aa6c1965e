# SPDX-License-Identifier: BSD-3-Clause
"""Documented behaviours no other test runs: a static relay over a device alias (option and
file key), the stats tool's -z and --timeout, SIGUSR1's counter log, --state-dir '' and the
state file's atomic replace, the cap of 64 parked stats requests, a round-robin bond (mode 0)
sending on both members.
"""
import os
import re
import signal
import subprocess
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, Daemon, Guest, check, flat, load_proto, log, require_env, run,
                     tmpdir, wait_for)


def aliases():
    """-P names PCI addresses, VIRTIOFWD_DEVICE_ALIASES (a file key; --device-alias on the
    command line would replace the file's list) what they are here, in any spelling."""
    conf = os.path.join(tmpdir("alias"), "virtioforwarder")
    with open(conf, "w") as f:
        f.write("VIRTIOFWD_CPU_MASK=1\n"
                "VIRTIOFWD_DEVICE_ALIASES=(0000:02:08.0=net_null0,no-rx=1 02:08.1=net_null1,no-rx=1)\n")
    d = Daemon("alias", ["--config", conf, "-P", "02:08.0=3", "-P", "0000:02:08.1=4"],
               control=True).start()
    for rid, pci, dev in ((3, "02:08.0", "net_null0"), (4, "0000:02:08.1", "net_null1")):
        s = d.relay(rid)
        name = d.telemetry("/ethdev/info,%d" % s["port"])["/ethdev/info"]["name"]
        check(s["vf_state"] == "DPDK_ADDED" and s["vf"] == pci and name == dev,
              "static relay %d over %s: the port is %s (alias)" % (rid, pci, name))
    return d


def stats_tool(d):
    z = d.tool("stats", "--include-inactive", "-z", "--relay", "3").stdout
    full = d.tool("stats", "--include-inactive", "--relay", "3").stdout
    zeros = [l for l in full.splitlines() if re.search(r"\.(pkts|bytes)_\w+=0$", l)]
    check(zeros and not any(l in z.splitlines() for l in zeros)
          and "relay_3.vm_to_vf.pkt_rate_rx_from_vm=0.0" in z and "relay_3.active=False" in z,
          "-z leaves out the %d zero counters, keeps rates and booleans" % len(zeros))
    import socket as so
    dead = os.path.join(d.dir, "silent.sock")
    ls = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    ls.bind(dead)
    t0 = time.time()
    r = subprocess.run([os.path.join(BUILD, "stats/virtioforwarder_stats"), "--stats-ep",
                        "ipc://" + dead, "--delay", "0", "--timeout", "300"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
    took = time.time() - t0
    ls.close()
    check(r.returncode == 2 and "no answer within 300 ms" in r.stderr and took < 1.5,
          "--timeout 300: gives up after %.2f s, exit 2" % took)


def sigusr1(d):
    n0 = d.log().count("with a VF or a guest")
    os.kill(d.pid(), signal.SIGUSR1)
    wait_for(lambda: d.log().count("with a VF or a guest") > n0, 5, "the SIGUSR1 summary")
    time.sleep(0.2)
    text = d.log()[d.log().rfind("relay(s) with a VF or a guest"):]
    lines = re.findall(r"relay (\d+) (vf_to_vm|vm_to_vf) (\w+)/(\w+): rx (\d+) pkts", text)
    check(sorted({int(l[0]) for l in lines}) == [3, 4] and len(lines) == 4
          and all(l[4] == "0" for l in lines),
          "SIGUSR1 logs each relay with a VF, both directions, its counters (%d lines)"
          % len(lines))
    check("2 relay(s) with a VF or a guest, of 32 sockets" in d.log(),
          "and says how many of the 32 relays have one")


def state_file(d):
    path = os.path.join(d.state_dir, "relays")
    inodes = []
    for i in (5, 6):
        r = d.tool("port_control", "add", "--virtio-id", str(i), "--pci-addr",
                   "net_null%d,no-rx=1" % i)
        check(r.returncode == 0, "relay %d added at run time" % i)
        inodes.append(os.stat(path).st_ino)
    check(inodes[0] != inodes[1] and not os.path.exists(path + ".tmp")
          and "\t".join(["6", "1", "-", "-", "net_null6,no-rx=1"]) in open(path).read(),
          "the state file is replaced whole on each change (a new inode: write, then rename)")
    d2 = Daemon("nostate", [], control=True)
    d2.args += ["--state-dir", ""]
    d2.start()
    r = d2.tool("port_control", "add", "--virtio-id", "1", "--pci-addr", "net_null9,no-rx=1")
    check(r.returncode == 0 and not os.path.exists(d2.state_dir)
          and not os.path.exists("/var/lib/virtio-forwarder/relays"),
          "--state-dir '': a relay added at run time is written nowhere")
    d2.stop()


def parked_cap(d):
    """64 stats requests wait for their rate windows at most; more are answered at once."""
    pb = load_proto()
    ctx = zmq.Context()
    socks = []
    req = pb.StatsRequest(delay=1500, include_inactive=False).SerializeToString()
    t0 = time.time()
    for _ in range(70):
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(d.ep["stats"])
        s.send(req)
        socks.append(s)
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    early, late = 0, 0
    while early + late < 70 and time.time() - t0 < 10:
        for s, _ in poller.poll(100):
            r = pb.StatsResponse()
            r.ParseFromString(s.recv())
            if r.status == pb.StatsResponse.OK:
                if time.time() - t0 < 1.0:
                    early += 1
                else:
                    late += 1
            poller.unregister(s)
    for s in socks:
        s.close()
    ctx.term()
    check(early == 6 and late == 64, "70 requests with a 1.5 s window: 64 waited for it, 6 were "
          "answered at once from the rolling window (%d late, %d early)" % (late, early))


def bond_round_robin():
    """Mode 0: frames from the guest go out on both members in turn."""
    d = Daemon("bond0", [], control=True).start()
    r = d.tool("port_control", "add", "--virtio-id", "0", "--pci-addr", "net_null0,no-rx=1",
               "--pci-addr", "net_null1,no-rx=1", "--name", "rr", "--mode", "0")
    check(r.returncode == 0, "a mode 0 (round-robin) bond of two VFs")
    g = Guest("bond0", ["virtio_user0,path=%s" % d.sock(0)], fwd="txonly").start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(1)
    ports = {p: d.telemetry("/ethdev/info,%d" % p)["/ethdev/info"]["name"]
             for p in d.telemetry("/ethdev/list")["/ethdev/list"]}
    out = {ports[p]: d.telemetry("/ethdev/stats,%d" % p)["/ethdev/stats"]["opackets"]
           for p in ports if ports[p].startswith("net_null")}
    g.stop()
    a, b = out.get("net_null0", 0), out.get("net_null1", 0)
    check(a > 1000 and b > 1000 and abs(a - b) <= max(a, b) * 0.1,
          "both members sent, in turn: %d and %d frames" % (a, b))
    d.stop()


def main():
    require_env()
    d = aliases()
    stats_tool(d)
    sigusr1(d)
    state_file(d)
    parked_cap(d)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    bond_round_robin()
    log("PASS")


if __name__ == "__main__":
    run(main)
