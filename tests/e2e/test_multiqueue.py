# SPDX-License-Identifier: BSD-3-Clause
"""Multiqueue with a real guest: QEMU queues=4, mq=on; the guest sets `ethtool -L eth0 combined
4`, then 2, then 4 again, clearing XPS so its flows hash over the TX queues, and pings eight
peer addresses behind the VF in each phase. The relay must spread the eight reply flows over
the enabled RX queues (at least 3 of 4), never offer frames to a disabled one (no drops, no
loss while only 2 are enabled), drain every TX queue (its count equals the guest's, 0% loss), and stay
ready throughout. A second guest with 32 queue pairs (the most we promise) pings the same way.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import Vm, guest_image  # noqa: E402
from harness import (check, Daemon, log, require_env, run, sh, vf_host)  # noqa: E402

PEERS = ["10.99.4.%d" % i for i in range(1, 9)]
COUNT = 5


def deltas(phases):
    """Per-phase increments of the guest's cumulative per-queue counters."""
    prev, out = {"rx": [], "tx": []}, []
    for n, q in phases:
        d = {k: [v - (prev[k][i] if i < len(prev[k]) else 0) for i, v in enumerate(q[k])]
             for k in q}
        out.append((n, d))
        prev = q
    return out


def run_guest(d, guest_dir, name, queues, phases):
    before = d.relay(0)
    append = "vfwd.ip=10.99.4.100/24 vfwd.peer=%s vfwd.count=%d vfwd.interval=0.1 " \
             "vfwd.queues=%s vfwd.linger=2" % (",".join(PEERS), COUNT, ",".join(map(str, phases)))
    vm = Vm(name, d.sock(0), guest_dir, append, queues=queues).boot()
    check(vm.wait("VFWD-GUEST-UP"), "%s: guest up" % name)
    d.wait_state(0, "DPDK_READY", timeout=30)
    states = set()
    while "VFWD-COUNTERS" not in vm.serial() and vm.proc.poll() is None:
        states.add((d.relay(0)["vf_state"], d.relay(0)["vm_state"]))
        time.sleep(0.1)
    check(vm.wait("VFWD-COUNTERS", timeout=120), "%s: guest went through its phases" % name)
    check(states == {("DPDK_READY", "VIRTIO_READY")},
          "%s: relay stayed DPDK_READY / VIRTIO_READY while queues changed (%s)" % (name, states))
    per = deltas(vm.queue_stats())
    for n, q in per:
        log("%s: combined %d: RX per queue %s, TX per queue %s" % (name, n, q["rx"], q["tx"]))
    check([n for n, _ in per] == phases, "%s: queue phases %s all reported" % (name, phases))
    sent, answered = vm.echoes()
    want = len(PEERS) * COUNT * len(phases)
    check(sent == want and answered == want,
          "%s: %d/%d echo requests to %d peers answered (guest kernel counters), 0%% loss"
          % (name, answered, want, len(PEERS)))
    rx, tx = vm.counters()
    after = d.relay(0)  # the guest lingers 2 s: its queues are still all up
    check(vm.alive() and "VFWD-POWEROFF" not in vm.serial(),
          "%s: relay counters read while the guest still runs" % name)
    got = after["vm_to_vf"]["pkts_rx_from_vm"] - before["vm_to_vf"]["pkts_rx_from_vm"]
    put = after["vf_to_vm"]["pkts_tx_to_vm"] - before["vf_to_vm"]["pkts_tx_to_vm"]
    check(got == tx, "%s: every guest TX queue drained: relay took exactly the guest's %d frames"
          % (name, tx))
    check(put == rx, "%s: the guest got exactly the relay's %d frames" % (name, rx))
    drops = after["vf_to_vm"]["pkts_dropped_vm_queue_full"] - \
        before["vf_to_vm"]["pkts_dropped_vm_queue_full"]
    check(drops == 0, "%s: nothing offered to a disabled RX queue (no VF->VM drops)" % name)
    check(vm.wait("VFWD-POWEROFF") and vm.proc.wait(20) == 0, "%s: guest powered off" % name)
    d.wait_state(0, "DPDK_ADDED", timeout=15)
    return per


def main():
    require_env()
    guest_dir = guest_image()
    ns, root_if, ns_if = vf_host("eq", addr=PEERS[0] + "/24")
    for a in PEERS[1:]:
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", a + "/24", "dev", ns_if)
    d = Daemon("mq", ["-P", "net_af_packet0,iface=%s=0" % root_if]).start()

    per = run_guest(d, guest_dir, "mq4", 4, [4, 2, 4])
    for n, q in per:
        used = [i for i, v in enumerate(q["rx"][:n]) if v]
        check(len(used) >= min(n, 3), "combined %d: %d reply flows reached RX queues %s"
              % (n, len(PEERS), used))
        # The guest picks TX queues by its own random socket hashes: with 2 queues all eight
        # flows may share one (p = 1/128), with 4 that is negligible.
        if n >= 4:
            check(len([v for v in q["tx"] if v]) >= 2, "combined %d: the guest sent on %d TX "
                  "queues" % (n, len([v for v in q["tx"] if v])))
    check("spreads over 2 queue(s)" in d.log() and "spreads over 4 queue(s)" in d.log(),
          "the relay followed the guest's queue changes (4 -> 2 -> 4)")

    per = run_guest(d, guest_dir, "mq32", 32, [32])
    q = per[0][1]
    check(len(q["rx"]) == 32 and len(q["tx"]) == 32, "32 queue pairs in the guest")
    check("32 queue pairs" in d.log() and "spreads over 32 queue(s)" in d.log(),
          "the relay took 32 queue pairs and spreads over all 32")
    check(len([v for v in q["rx"] if v]) >= 4, "8 reply flows over 32 RX queues reached %d"
          % len([v for v in q["rx"] if v]))
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
