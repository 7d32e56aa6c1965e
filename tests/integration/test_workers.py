# SPDX-License-Identifier: BSD-3-Clause
"""Several workers: -C 1,2 (test only: both worker lcores on CPU 1 through VFWD_TEST_WORKERS_ON_CPU,
an explicit EAL lcore mapping, since these machines have two CPUs). Directions pinned with -c go
where they are pinned, the others to the less loaded worker; guests carry traffic on relays
served by both workers; a relay's VF comes and goes under traffic, a guest is SIGKILLed and comes
back; both workers keep moving frames; with the VFs removed, every frame is accounted for.
Unpinned directions are placed by measured load (busy cycles), then by how many a worker has.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Daemon, Guest, check, flat, log, require_env, run, wait_for

DEVS = {0: "net_null0,size=64", 1: "net_null1,size=64", 2: "net_null2,size=64",
        3: "net_null3,size=64"}


def measured_placement():
    """Unpinned directions go where the measured load is lowest, not where fewest directions
    are: worker 2 carries one busy relay (2 directions), worker 1 two idle ones (4)."""
    d = Daemon("placed", ["-P", "net_null0,size=64=0", "-P", "net_null1,no-rx=1=1",
                          "-P", "net_null3,no-rx=1=3", "-c", "0:2;1:1;3:1"],
               cpus="1,2", control=True, env={"VFWD_TEST_WORKERS_ON_CPU": "1"}).start()
    g = Guest("placed", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap").start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(1)  # a few of the 10 Hz samples
    s = flat(d.tool("stats", "--delay", "500").stdout)
    check(float(s["worker_2.load_pct"]) > 50 and float(s["worker_1.load_pct"]) < 5,
          "worker 2 busy (%s%%), worker 1 idle (%s%%) with twice its directions"
          % (s["worker_2.load_pct"], s["worker_1.load_pct"]))
    check(d.tool("port_control", "add", "--virtio-id", "4", "--pci-addr", "net_null4,no-rx=1")
          .returncode == 0, "relay 4 added, unpinned")
    got = (d.relay(4)["cpu_vf_to_vm"], d.relay(4)["cpu_vm_to_vf"])
    check(got == (1, 1), "both its directions go to the idle worker 1, not to the busy worker "
          "with fewer directions: %s" % (got,))
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


def main():
    require_env()
    # relay 0: VF->VM on worker 1, VM->VF on worker 2; relay 1: both on worker 2
    d = Daemon("workers", ["-P", DEVS[0] + "=0", "-P", DEVS[1] + "=1", "-c", "0:1,2;1:2"],
               cpus="1,2", control=True, env={"VFWD_TEST_WORKERS_ON_CPU": "1"}).start()
    cpus = {i: (d.relay(i)["cpu_vf_to_vm"], d.relay(i)["cpu_vm_to_vf"]) for i in (0, 1)}
    check(cpus[0] == (1, 2) and cpus[1] == (2, 2), "pinned as -c says: %s" % cpus)
    for i in (2, 3):
        check(d.tool("port_control", "add", "--virtio-id", str(i), "--pci-addr", DEVS[i])
              .returncode == 0, "relay %d added" % i)
    # worker 2 served 3 directions, worker 1 one: the next two go to worker 1, then spread
    got = [(d.relay(i)["cpu_vf_to_vm"], d.relay(i)["cpu_vm_to_vf"]) for i in (2, 3)]
    check(got[0] == (1, 1), "unpinned relay 2 goes to the less loaded worker 1: %s" % (got[0],))
    check(sorted(got[1]) == [1, 2], "relay 3 spread over both workers: %s" % (got[1],))

    guests = {i: Guest("w%d" % i, ["virtio_user0,path=%s" % d.sock(i)], fwd="macswap").start()
              for i in (0, 2, 3)}
    for i in guests:
        d.wait_state(i, "DPDK_READY")

    def moving():
        a = {i: d.relay(i) for i in guests}
        time.sleep(0.5)
        b = {i: d.relay(i) for i in guests}
        return all(b[i][k]["pkts_tx_to_" + t] > a[i][k]["pkts_tx_to_" + t]
                   for i in guests for k, t in (("vf_to_vm", "vm"), ("vm_to_vf", "vf")))
    check(moving(), "traffic both ways on relays 0, 2, 3")
    s = flat(d.tool("stats", "--delay", "500").stdout)
    check(float(s["worker_1.load_pct"]) > 1 and float(s["worker_2.load_pct"]) > 1,
          "both workers busy: %s%% and %s%%" % (s["worker_1.load_pct"], s["worker_2.load_pct"]))
    # virtioforwarder_monitor_load --once: a bar and a share per worker, then each direction
    r = subprocess.run([os.path.join(BUILD, "stats/virtioforwarder_monitor_load"), "--once",
                        "--stats-ep", d.ep["stats"]], stdout=subprocess.PIPE, text=True,
                       timeout=30)
    bars = dict(re.findall(r"^CPU(\d): (-*) +[0-9.]+%$", r.stdout, re.M))
    dirs = re.findall(r"^relay (\d) (vf_to_vm|vm_to_vf): CPU(\d), (\d+) pps, \d+ cycles/pkt$",
                      r.stdout, re.M)
    want = sorted((str(i), k, str(d.relay(i)["cpu_" + k])) for i in guests
                  for k in ("vf_to_vm", "vm_to_vf"))
    check(r.returncode == 0 and r.stdout.startswith("CPU loads\n") and set(bars) == {"1", "2"}
          and all(bars.values()) and sorted(x[:3] for x in dirs) == want
          and all(int(x[3]) > 0 for x in dirs),
          "monitor_load --once: both workers' bars, each busy direction on its CPU:\n"
          + r.stdout)

    # churn: relay 3's VF removed and added back under traffic, its guest staying connected
    vid, failed = d.relay(3)["vid"], []
    for k in range(10):
        for op in ("remove", "add"):
            r = d.tool("port_control", op, "--virtio-id", "3", "--pci-addr", DEVS[3])
            if r.returncode:
                failed.append("%d %s: %s" % (k, op, r.stderr.strip()))
    check(failed == [], "10 removes and adds of relay 3's VF under traffic (failed: %s)" % failed)
    d.wait_state(3, "DPDK_READY")
    check(d.relay(3)["vid"] == vid, "relay 3's guest stayed connected through 10 VF changes")

    # a guest killed without a word, and back
    guests[2].kill(signal.SIGKILL)
    guests[2].stop()
    wait_for(lambda: d.relay(2)["vm_state"] == "VIRTIO_UNINIT", 10, "guest 2 gone")
    guests[2].start()
    d.wait_state(2, "DPDK_READY")
    check(moving(), "after the churn and the kill, traffic both ways on relays 0, 2, 3")
    check(d.proc.poll() is None, "the daemon lived through it")

    for g in guests.values():
        g.stop()
    for i in range(4):
        check(d.tool("port_control", "remove", "--virtio-id", str(i), "--pci-addr", DEVS[i])
              .returncode == 0, "relay %d's VF removed" % i)
        d.accounted(i)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    measured_placement()
    log("PASS")


if __name__ == "__main__":
    run(main)
