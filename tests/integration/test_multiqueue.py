# SPDX-License-Identifier: BSD-3-Clause
"""Multiqueue with a testpmd guest of 8 queue pairs (virtio_user's most; e2e runs 32 in QEMU).

VF->VM: frames of 256 flows (IPv4 UDP and TCP, IPv6 UDP, ARP) enter the VF stand-in and are
spread by software RSS over the guest's 8 RX queues: every queue gets some, none is lost,
testpmd's per-queue counts add up to the relay's, and every flow's frames arrive on one queue
(testpmd's verbose output names the queue of each frame; flows differ by source MAC). VM->VF: testpmd sends on all 8 TX queues at
once; every queue keeps moving (far beyond one ring's worth), so the relay drains them all, and
the relay took exactly what testpmd says it sent.
"""
import os
import re
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, send_frames, tmpdir, vf_host,
                     wait_for)

QUEUES = 8  # virtio_user's limit; QEMU guests take 32 (e2e)
RING = 256  # virtio_user's default queue size


def flow_frames():
    """Two frames per flow, 256 flows: IPv4 UDP/TCP by source port, IPv6 UDP, ARP by MAC."""
    dst, frames = bytes.fromhex("525400123456"), []
    for i in range(256):
        src = bytes([2, 0, 0, 0, 1, i])
        kind = i % 4
        if kind in (0, 1):  # IPv4, UDP or TCP, one source port per flow
            proto = 17 if kind == 0 else 6
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, proto, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            l4 = struct.pack("!HHI", 1000 + i, 4789, 0)
            f = dst + src + b"\x08\x00" + ip + l4
        elif kind == 2:  # IPv6 UDP, one source address per flow
            ip = struct.pack("!IHBB16s16s", 0x60000000, 8, 17, 64,
                             bytes([0xfd] + [0] * 14 + [i]), bytes([0xfd] + [0] * 14 + [2]))
            f = dst + src + b"\x86\xdd" + ip + struct.pack("!HHHH", 5000, 53, 8, 0)
        else:  # ARP: no L3 tuple, hashed on the Ethernet header
            f = b"\xff" * 6 + src + b"\x08\x06" + bytes(28)
        f += bytes(max(0, 60 - len(f)))
        frames += [f, f]
    return frames


def stream_stats(out):
    """{queue: (rx, tx)} from testpmd's per-stream statistics printed at stop."""
    res = {}
    for q, rx, tx in re.findall(r"Forward Stats for RX Port= 0/Queue=\s*(\d+) -> TX Port= 0/"
                                r"Queue=\s*\d+ -+\s+RX-packets: (\d+)\s+TX-packets: (\d+)", out):
        res[int(q)] = (int(rx), int(tx))
    return res


def flow_queues(out):
    """{source MAC: [queue of each frame]} from testpmd's verbose rxonly output."""
    res, q = {}, None
    for line in out.splitlines():
        m = re.match(r"port 0/queue (\d+): received \d+ packets", line)
        if m:
            q = int(m.group(1))
            continue
        m = re.match(r"\s+src=([0-9A-Fa-f:]{17}) - dst=", line)
        if m and q is not None:
            res.setdefault(m.group(1).lower(), []).append(q)
    return res


def main():
    require_env()
    work = tmpdir("mq")
    ns, root_if, ns_if = vf_host("vm", "q")
    d = Daemon("mq", ["-P", "net_af_packet0,iface=%s=0" % root_if,
                      "-P", "net_null0,no-rx=1=1"]).start()
    # RX rings pre-fill QUEUES * RING mbufs: leave txonly plenty to send from.
    qargs = ["--rxq=%d" % QUEUES, "--txq=%d" % QUEUES, "--total-num-mbufs=16384"]

    # VF->VM: software RSS over the guest RX queues; testpmd names each frame's queue.
    verbose = os.path.join(work, "verbose.cmds")
    with open(verbose, "w") as f:
        f.write("set verbose 1\n")
    g = Guest("mq-rx", ["virtio_user0,path=%s,queues=%d" % (d.sock(0), QUEUES)], fwd="rxonly",
              extra=qargs + ["--cmdline-file=" + verbose]).start()
    d.wait_state(0, "DPDK_READY")
    wait_for(lambda: "spreads over %d queue(s)" % QUEUES in d.log(), 10,
             "all %d guest RX queues enabled" % QUEUES)
    frames = flow_frames()
    send_frames(ns, ns_if, frames, work, gap_us=100)
    wait_for(lambda: d.relay(0)["vf_to_vm"]["pkts_rx_from_vf"] >= len(frames), 20,
             "frames through the VF")
    time.sleep(0.3)
    r = d.relay(0)["vf_to_vm"]
    out = g.stop()
    per_q = stream_stats(out)
    flows = flow_queues(out)
    log("VF->VM per guest RX queue: %s" % {q: v[0] for q, v in sorted(per_q.items())})
    used = [q for q, v in per_q.items() if v[0]]
    check(r["pkts_tx_to_vm"] == len(frames) and r["pkts_dropped_vm_queue_full"] == 0,
          "VF->VM: all %d frames enqueued, none dropped" % len(frames))
    check(sum(v[0] for v in per_q.values()) == len(frames),
          "the guest's per-queue counts add up to the %d frames sent" % len(frames))
    check(len(used) == QUEUES, "256 flows reached %d of %d guest RX queues" % (len(used), QUEUES))
    split = {mac: qs for mac, qs in flows.items() if len(set(qs)) != 1}
    check(len(flows) == 256 and all(len(qs) == 2 for qs in flows.values()) and not split,
          "each of the 256 flows' 2 frames arrived on one queue (%d flows seen, split: %s)"
          % (len(flows), dict(list(split.items())[:3])))

    # VM->VF: every guest TX queue drained.
    before = d.relay(1)["vm_to_vf"]["pkts_rx_from_vm"]
    g = Guest("mq-tx", ["virtio_user0,path=%s,queues=%d" % (d.sock(1), QUEUES)], fwd="txonly",
              extra=qargs).start()
    d.wait_state(1, "DPDK_READY")
    time.sleep(2)
    per_q = stream_stats(g.stop())
    wait_for(lambda: d.relay(1)["vm_state"] != "VIRTIO_READY", 10, "guest gone")
    sent = sum(v[1] for v in per_q.values())
    took = d.relay(1)["vm_to_vf"]["pkts_rx_from_vm"] - before
    log("VM->VF per guest TX queue: %s" % {q: v[1] for q, v in sorted(per_q.items())})
    check(len(per_q) == QUEUES and all(v[1] > 8 * RING for v in per_q.values()),
          "every one of the %d guest TX queues kept moving (each > %d frames)"
          % (QUEUES, 8 * RING))
    # testpmd stops mid-flood: what it had put in the rings but the relay had not yet taken
    # stays there (at most a ring per queue). Nothing is counted twice or made up.
    check(sent - QUEUES * RING <= took <= sent,
          "the relay took %d of the %d frames testpmd sent (the rest still in its %d rings)"
          % (took, sent, QUEUES))
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
