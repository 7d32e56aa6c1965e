# SPDX-License-Identifier: BSD-3-Clause
"""A relay wider than one core (--vf-queues): each VF queue pair is a unit of placement.

The VF is a memif port with 2 queue pairs (vfwd-gen --queues 2 at the other end sends flow f
on queue f mod 2 and receives on both); the guest is testpmd with 2 queue pairs, io forwarding
each queue back on itself. Two workers (test only: both lcores on CPU 1,
VFWD_TEST_WORKERS_ON_CPU). Checked:
- at start the queue pairs are spread: the two queue pairs of each direction are on different
  workers;
- a core-sched UPDATE puts the whole relay on worker 1, every queue pair of both directions;
- under 100 kpps the daemon's balancer moves single queue pairs (logged "of queue pair N") so
  that both workers serve the relay again, each queue pair on one worker;
- every VF queue and every guest queue carried frames (per-queue counters in telemetry), and
  every frame sent came back, in order within its flow.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from harness import (CoreSched, Daemon, Guest, check, load_proto, log, require_env, run, skip,
                     tmpdir, wait_for)
import bench  # noqa: E402  (the generator)

RATE = 100000
SECONDS = 10


def lanes(d):
    r = d.relay(0)
    return r["lanes_vf_to_vm_cpu"], r["lanes_vm_to_vf_cpu"]


def main():
    require_env()
    if not os.access(bench.GEN, os.X_OK):
        skip("%s not built" % bench.GEN)
    pb = load_proto()
    work = tmpdir("lanes")
    gen = bench.Gen(work, "l0", "pvp", 64, SECONDS, rate=RATE, flows=64, extra=["--queues", "2"])
    gen.wait("listening")
    d = Daemon("lanes", ["-P", "net_memif0,role=client,socket=%s=0" % gen.sock,
                         "--vf-queues", "2", "--core-sched", "--core-sched-interval", "1"],
               cpus="1,2", control=True, env={"VFWD_TEST_WORKERS_ON_CPU": "1"})
    ep = "ipc://%s/zmq/core_sched" % d.dir
    d.args += ["-s" + ep]
    d.start()
    gen.wait("ready")
    check(d.relay(0)["vf_queue_pairs"] == 2, "the VF has 2 queue pairs (--vf-queues 2)")
    Guest("lanes", ["virtio_user0,path=%s,queues=2,queue_size=4096" % d.sock(0)], fwd="io",
          extra=["--rxq=2", "--txq=2", "--port-topology=loop", "--rxd=4096", "--txd=4096",
                 "--total-num-mbufs=32768"]).start()
    wait_for(lambda: d.relay(0)["vid"] >= 0, 20, "the guest")
    vf2vm, vm2vf = lanes(d)
    check(sorted(vf2vm) == [1, 2] and sorted(vm2vf) == [1, 2],
          "at start each direction's queue pairs are on both workers (VF->VM %s, VM->VF %s)"
          % (vf2vm, vm2vf))
    cs = CoreSched(ep, pb)
    r = cs.update((0, 1, 1))
    cs.close()
    check(r.status == pb.CoreSchedResponse.OK and lanes(d) == ([1, 1], [1, 1]),
          "UPDATE puts every queue pair of both directions on worker 1: %s" % (lanes(d),))
    gen.go()
    wait_for(lambda: 2 in lanes(d)[0] + lanes(d)[1], SECONDS - 3,
             "the balancer giving queue pairs to worker 2", interval=0.2)
    time.sleep(1)
    res = gen.result(timeout=SECONDS + 40)
    moves = [l for l in d.log().splitlines() if "core scheduler: relay 0 " in l]
    log("balancer moves:\n  " + "\n  ".join(moves))
    check(moves and all(" of queue pair " in l for l in moves),
          "%d move(s) by the balancer, each of one queue pair" % len(moves))
    vf2vm, vm2vf = lanes(d)
    check(set(vf2vm + vm2vf) == {1, 2}, "the relay is served by both workers again: VF->VM "
          "queue pairs on %s, VM->VF on %s" % (vf2vm, vm2vf))
    rel = d.relay(0)
    per_q = rel["lanes_vf_to_vm_rx_pkts"], rel["lanes_vm_to_vf_rx_pkts"]
    check(all(n > RATE * SECONDS * 0.2 for dq in per_q for n in dq),
          "every VF queue and every guest queue carried its share: VF->VM %s, VM->VF %s"
          % per_q)
    sent, received = int(res["sent"]), int(res["received"])
    drops = {k: v for dd in ("vf_to_vm", "vm_to_vf") for k, v in rel[dd].items()
             if k.startswith("pkts_dropped") and v}
    check(sent > RATE * SECONDS * 0.8 and received == sent and int(res["reordered"]) == 0,
          "%d frames sent over 64 flows, %d back, %s out of order within a flow (relay drops: %s)"
          % (sent, received, res["reordered"], drops))
    check(rel["vf_to_vm"]["pkts_rx_from_vf"] == sum(per_q[0]),
          "the relay's VF->VM count is its queue pairs' sum")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
