# SPDX-License-Identifier: BSD-3-Clause
"""Exactness: frames cross the relay byte for byte, none lost, both directions.

VF side: net_af_packet on a veth whose peer (in a netns) injects and captures.
Guest: testpmd io-forwarding between virtio_user0 and a net_pcap port, so the
guest sends the frames of a pcap file and writes the frames it receives to one.
Run in vhost-user server mode (default) or client mode (--client), where the
daemon starts first and must keep retrying until the guest's socket appears.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Capture, check, Daemon, Guest, log, make_frames, pcap_read, pcap_write,
                     require_env, run, send_frames, test_frames, tmpdir, vf_host, wait_for)

N = 200


def main():
    require_env()
    client = "--client" in sys.argv
    tag = "c" if client else "s"
    work = tmpdir("exact")
    ns, root_if, ns_if = vf_host("vx", tag)

    d = Daemon("exact-" + tag, ["-P", "net_af_packet0,iface=%s=0" % root_if], client=client)
    vm_in, vm_out = os.path.join(work, "guest_in.pcap"), os.path.join(work, "guest_out.pcap")
    to_vf = make_frames(N, tag=2)
    to_vm = make_frames(N, tag=1)
    pcap_write(vm_in, to_vf)
    guest = Guest("exact-" + tag, [
        "virtio_user0,path=%s%s" % (d.sock(0), ",server=1" if client else ""),
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (vm_in, vm_out)])
    cap = Capture(ns, ns_if, 90, os.path.join(work, "vf_out.pcap"))

    if client:
        d.start()
        time.sleep(2)  # the daemon is retrying: nobody serves the socket yet
        check(d.relay(0)["vf_state"] == "DPDK_ADDED", "client relay waits for its guest")
        guest.start()
    else:
        d.start()
        guest.start()
    r = d.wait_state(0, "DPDK_READY")
    check(r["vm_state"] == "VIRTIO_READY", "guest side VIRTIO_READY")

    got = test_frames(cap.frames(expect=N, timeout=20))
    check(len(got) == N, "VM->VF: %d of %d frames arrived on the VF side (relay: %s)"
          % (len(got), N, d.relay(0)["vm_to_vf"]))
    check(got == to_vf, "VM->VF: frames identical byte for byte and in order")

    send_frames(ns, ns_if, to_vm, work, gap_us=200)
    wait_for(lambda: d.relay(0)["vf_to_vm"]["pkts_tx_to_vm"] >= N, 20, "VF->VM frames relayed")
    time.sleep(0.5)
    r = d.relay(0)
    guest.stop()
    got = test_frames(pcap_read(vm_out))
    check(len(got) == N, "VF->VM: %d of %d frames reached the guest" % (len(got), N))
    check(got == to_vm, "VF->VM: frames identical byte for byte and in order")

    nbytes = lambda frames: sum(len(f) for f in frames)
    a, b = r["vf_to_vm"], r["vm_to_vf"]
    log("counters: %s" % r)
    check(a["pkts_rx_from_vf"] == N and a["bytes_rx_from_vf"] == nbytes(to_vm),
          "VF->VM rx counters: %d pkts %d bytes" % (N, nbytes(to_vm)))
    check(a["pkts_tx_to_vm"] == N and a["bytes_tx_to_vm"] == nbytes(to_vm),
          "VF->VM tx counters match")
    check(b["pkts_rx_from_vm"] == N and b["bytes_rx_from_vm"] == nbytes(to_vf),
          "VM->VF rx counters: %d pkts %d bytes" % (N, nbytes(to_vf)))
    check(b["pkts_tx_to_vf"] == N and b["bytes_tx_to_vf"] == nbytes(to_vf),
          "VM->VF tx counters match")
    check(a["pkts_dropped_vm_queue_full"] == 0 and b["pkts_dropped_vf_queue_full"] == 0,
          "no queue-full drops")

    rc, secs = d.stop()
    check(rc == 0 and secs < 2, "daemon exits 0 on SIGTERM in %.2fs" % secs)
    log("PASS")


if __name__ == "__main__":
    run(main)
