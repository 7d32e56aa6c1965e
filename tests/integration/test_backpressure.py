# SPDX-License-Identifier: BSD-3-Clause
"""Backpressure VM->VF: nothing copied out of a guest is dropped because the VF's queue is full.

The VF is a net_memif port whose peer (vfwd-gen, receiving) takes one burst every 200 us, far
slower than the guest sends: the memif ring fills and the VF refuses frames. The relay holds
them, dequeues nothing more until they are sent, and the guest (testpmd io from a pcap file of
N frames, retrying its own refused transmits) waits on its full ring. Every one of the N frames
reaches the peer; the relay counts N received, N sent, no drop, and retries.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from harness import (check, Daemon, Guest, log, make_frames, pcap_write, require_env, run, skip,
                     tmpdir, wait_for)
import bench

N = 30000


def main():
    require_env()
    if not os.access(bench.GEN, os.X_OK):
        skip("%s not built" % bench.GEN)
    work = tmpdir("bp")
    gen = bench.Gen(work, "bp", "rx", 64, 8, extra=["--rx-pause-us", "200"])
    gen.wait("listening")
    d = Daemon("bp", ["-P", "net_memif0,role=client,socket=%s=0" % gen.sock])
    d.start()
    gen.wait("ready")
    gen.go()
    frames = os.path.join(work, "in.pcap")
    pcap_write(frames, make_frames(N, tag=5, sizes=(60, 128, 256)))
    # The guest retries its own refused transmits (up to 100000 x 20 us): its drops would
    # hide ours. testpmd 22.11 takes that only as commands: a command file run at start.
    cmds = os.path.join(work, "retry.cmds")
    with open(cmds, "w") as f:
        f.write("set fwd io retry\nset burst tx delay 20 retry 100000\n")
    guest = Guest("bp", ["virtio_user0,path=%s" % d.sock(0),
                         "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (frames, os.path.join(work, "o.pcap"))],
                  fwd="io", extra=["--cmdline-file=" + cmds])
    guest.start()
    c = lambda: d.relay(0)["vm_to_vf"]
    wait_for(lambda: c()["pkts_tx_to_vf"] >= N, 60, "all %d frames sent to the VF" % N)
    res = gen.result(timeout=30)
    got = int(res["received"]) + int(res["foreign"])
    v = c()
    log("VM->VF: %s" % {k: v[k] for k in ("pkts_rx_from_vm", "pkts_tx_to_vf",
                                          "pkts_dropped_vf_queue_full", "retries")})
    check(got == N, "the VF's peer received all %d frames (%d)" % (N, got))
    check(v["pkts_rx_from_vm"] == N and v["pkts_tx_to_vf"] == N
          and v["pkts_dropped_vf_queue_full"] == 0 and v["pkts_dropped_vf_not_connected"] == 0,
          "the relay took %d frames from the guest, sent them all, dropped none" % N)
    check(v["retries"] > 0, "the VF refused frames and the relay retried (%d times)"
          % v["retries"])
    out = guest.stop()
    acc = out.rsplit("Accumulated forward statistics", 1)[-1]
    dropped = [int(x) for x in re.findall(r"TX-dropped:\s*(\d+)", acc)]
    check(dropped == [0], "the guest dropped nothing either (%s)" % dropped)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
