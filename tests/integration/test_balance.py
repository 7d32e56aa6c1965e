# SPDX-License-Identifier: BSD-3-Clause
"""The core scheduler in the daemon (--core-sched, VIO4WD_CORE_SCHED_ENABLE): two loaded relays
that start on one worker end on two, without loss, and an operator's pin is never moved.

Two workers (test only: both lcores on CPU 1, VFWD_TEST_WORKERS_ON_CPU). Relay 0 is pinned to
worker 1 (-c 0:1,1); relay 1 is not. A core-sched UPDATE puts relay 1 on worker 1 as well, then
each relay gets 100 kpps from its own vfwd-gen (memif), and one testpmd guest with a port on
each relay returns every frame on the port it came from (io, loop topology). The balancer
samples every second: it must move relay 1's directions, at least one of them to worker 2, log
each move with its reason, count it in stats, leave relay 0 alone, and every frame sent on
either relay must come back, in order.

With --tool the daemon's balancer is off and virtioforwarder_core_scheduler --once does the
same from outside, through the stats and core-scheduler services (the reference's load formula
from packet and byte rates; pins from our stats extension).
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from harness import (BUILD, CoreSched, Daemon, Guest, check, load_proto, log, require_env, run,
                     skip, tmpdir, wait_for)
import bench  # noqa: E402  (the generator)

RATE = 100000
SECONDS = 10
TOOL = "--tool" in sys.argv


def cpus(d, rid):
    r = d.relay(rid)
    return (r["cpu_vf_to_vm"], r["cpu_vm_to_vf"])


def main():
    require_env()
    if not os.access(bench.GEN, os.X_OK):
        skip("%s not built" % bench.GEN)
    pb = load_proto()
    work = tmpdir("balance")
    gens, vfs = [], []
    for i in range(2):
        gens.append(bench.Gen(work, "b%d" % i, "pvp", 64, SECONDS, rate=RATE))
        gens[i].wait("listening")
        vfs += ["-P", "net_memif%d,role=client,socket=%s=%d" % (i, gens[i].sock, i)]
    balancer = [] if TOOL else ["--core-sched", "--core-sched-interval", "1"]
    d = Daemon("balance", vfs + ["-c", "0:1,1"] + balancer, cpus="1,2", control=True,
               env={"VFWD_TEST_WORKERS_ON_CPU": "1"})
    ep = "ipc://%s/zmq/core_sched" % d.dir
    d.args += ["-s" + ep]
    d.start()
    check(("core scheduler: every" in d.log()) != TOOL,
          "the daemon's own core scheduler runs: %s" % (not TOOL))
    for g in gens:
        g.wait("ready")
    # 4096 descriptors a ring (testpmd posts only --rxd of them): 40 ms at RATE, for a guest
    # that shares CPU 0 with both generators and the daemon's control thread.
    Guest("balance", ["virtio_user%d,path=%s,queue_size=4096" % (i, d.sock(i)) for i in range(2)],
          fwd="io", extra=["--port-topology=loop", "--rxd=4096", "--txd=4096",
                           "--total-num-mbufs=32768"]).start()
    wait_for(lambda: all(d.relay(i)["vid"] >= 0 for i in range(2)), 20, "the guest on both")
    cs = CoreSched(ep, pb)
    r = cs.update((1, 1, 1))
    cs.close()
    check(r.status == pb.CoreSchedResponse.OK and cpus(d, 0) == (1, 1) and cpus(d, 1) == (1, 1),
          "every direction on worker 1 (relay 0 pinned there, relay 1 put there by UPDATE)")
    time.sleep(2.5)  # idle: the balancer has samples, and nothing to move
    check("core scheduler: relay" not in d.log(), "no traffic: nothing moved")
    for g in gens:
        g.go()
    if TOOL:
        time.sleep(1)
        tool = [os.path.join(BUILD, "control/virtioforwarder_core_scheduler"), "--once",
                "--stats-ep", d.ep["stats"], "--sched-ep", ep]
        r = subprocess.run(tool, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
        log("core scheduler tool:\n" + r.stdout)
        check(r.returncode == 0, "virtioforwarder_core_scheduler --once: exit 0")
        moves = [l for l in r.stdout.splitlines() if "CPU 1 -> 2" in l]
        check(moves and all(": relay 1 " in l and "load" in l for l in moves)
              and "1 -> 2" in r.stdout and "spread 1.00" in r.stdout,
              "the tool moved %d direction(s), all of relay 1, each logged with its load"
              % len(moves))
    wait_for(lambda: 2 in cpus(d, 1), SECONDS - 2, "relay 1 on worker 2 as well", interval=0.2)
    log("relay 1 now on %s, relay 0 on %s" % (cpus(d, 1), cpus(d, 0)))
    # Every move (UPDATE's and the balancer's) is counted in stats, per direction (counters
    # are shown while the guests are there: read under traffic, between two reads of the log).
    time.sleep(1.5)
    before, flat, after = d.log(), d.flat_stats(), d.log()
    for rid in (0, 1):
        for name, key in (("VF->VM", "vf_to_vm"), ("VM->VF", "vm_to_vf")):
            logged = {x.count("relay %d: %s moved from CPU" % (rid, name)) for x in (before, after)}
            counted = [int(v) for k, v in flat.items()
                       if k.startswith("relay_%d.%s." % (rid, key)) and k.endswith(".moves")]
            check(len(counted) == 1 and counted[0] in logged and (counted[0] > 0) == (rid == 1),
                  "relay %d %s: %s move(s) in stats, %s logged" % (rid, name, counted, logged))
    results = [g.result(timeout=SECONDS + 40) for g in gens]
    moves = [l for l in d.log().splitlines() if "core scheduler: relay" in l]
    log("balancer moves:\n  " + "\n  ".join(moves))
    check(TOOL or (moves and all("core scheduler: relay 1 " in l and "% of a core" in l
                                 and "spread" in l for l in moves)),
          "%d move(s) by the daemon, each logged with its load and the spread, all of relay 1"
          % len(moves))
    check(cpus(d, 0) == (1, 1), "relay 0, pinned, never moved: %s" % (cpus(d, 0),))
    for i, res in enumerate(results):
        sent, received = int(res["sent"]), int(res["received"])
        drops = {k: v for dd in ("vf_to_vm", "vm_to_vf") for k, v in d.relay(i)[dd].items()
                 if k.startswith("pkts_dropped") and v}
        check(sent > RATE * SECONDS * 0.8 and received == sent and int(res["reordered"]) == 0,
              "relay %d: %d frames sent, %d back, %s out of order (relay drops: %s)"
              % (i, sent, received, res["reordered"], drops))
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
