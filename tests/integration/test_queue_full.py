# SPDX-License-Identifier: BSD-3-Clause
"""Full queues, provoked, both directions, with exact accounting (frames and bytes).

VF->VM: a guest that never reads (testpmd txonly polls no RX queue) under a flooding VF
(net_null): its RX ring fills and the relay drops, counted as queue-full drops (it retries only
while the guest keeps taking some).
VM->VF: the VF is a memif port whose peer (vfwd-gen) stops reading: the relay holds what the VF
refused and takes nothing more from the guest (the guest's ring is the buffer): no queue-full
drop by design, retries counted; when the VF is removed, the frames still held are dropped as
not connected. With the guests gone and the VFs removed the counters are still: received =
sent + dropped.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from harness import Daemon, Guest, check, log, require_env, run, skip, tmpdir, wait_for
import bench  # noqa: E402  (the generator)


def main():
    require_env()
    if not os.access(bench.GEN, os.X_OK):
        skip("%s not built" % bench.GEN)
    work = tmpdir("qfull")
    d = Daemon("qfull", ["-P", "net_null0,size=64=0"], control=True).start()

    # VF->VM: a guest whose RX ring nobody empties
    g0 = Guest("qfull0", ["virtio_user0,path=%s" % d.sock(0)], fwd="txonly").start()
    d.wait_state(0, "DPDK_READY")
    wait_for(lambda: d.relay(0)["vf_to_vm"]["pkts_dropped_vm_queue_full"] > 10000, 10,
             "queue-full drops towards a guest that does not read")
    c = d.relay(0)["vf_to_vm"]
    check(c["bytes_dropped_queue_full"] == 64 * c["pkts_dropped_vm_queue_full"],
          "VF->VM: %d frames dropped on the guest's full ring (%d bytes, 64 each)"
          % (c["pkts_dropped_vm_queue_full"], c["bytes_dropped_queue_full"]))

    # VM->VF: a VF whose peer reads one burst every 3 s
    gen = bench.Gen(work, "qfull", "rx", 64, 8, extra=["--rx-pause-us", "3000000"])
    gen.wait("listening")
    dev = "net_memif0,role=client,socket=" + gen.sock
    check(d.tool("port_control", "add", "--virtio-id", "1", "--pci-addr", dev).returncode == 0,
          "relay 1 over a memif VF whose peer hardly reads")
    gen.wait("ready")
    gen.go()
    g1 = Guest("qfull1", ["virtio_user0,path=%s" % d.sock(1)], fwd="txonly").start()
    d.wait_state(1, "DPDK_READY")
    wait_for(lambda: d.relay(1)["vm_to_vf"]["retries"] > 100, 10, "the VF refusing frames")
    a = d.relay(1)["vm_to_vf"]
    time.sleep(0.5)
    b = d.relay(1)["vm_to_vf"]
    check(b["pkts_dropped_vf_queue_full"] == 0 and b["pkts_rx_from_vm"] - a["pkts_rx_from_vm"]
          <= 2 * 256, "VM->VF: no queue-full drop; while the VF refuses, little more is taken "
          "from the guest (%d frames in 0.5 s)" % (b["pkts_rx_from_vm"] - a["pkts_rx_from_vm"]))

    # Still counters: the guests gone, the VFs removed; then everything adds up.
    g0.stop()
    g1.stop()
    for rid, vf in ((0, "net_null0,size=64"), (1, dev)):
        check(d.tool("port_control", "remove", "--virtio-id", str(rid), "--pci-addr", vf)
              .returncode == 0, "relay %d's VF removed" % rid)
    r0 = d.accounted(0)
    r1 = d.accounted(1)
    check(r0["vf_to_vm"]["pkts_dropped_vm_queue_full"] > 0
          and r1["vm_to_vf"]["pkts_dropped_vf_not_connected"] > 0,
          "the drops are where they belong: VF->VM queue full %d; VM->VF held then dropped at "
          "removal %d" % (r0["vf_to_vm"]["pkts_dropped_vm_queue_full"],
                          r1["vm_to_vf"]["pkts_dropped_vf_not_connected"]))
    gen.proc.kill()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
