# SPDX-License-Identifier: BSD-3-Clause
"""Guest disconnect and reconnect, many times: traffic resumes each time, frames arriving while
no guest is connected are counted as not-connected drops. With --client the daemon is the
vhost-user client: it reconnects when the guest comes back, and after its own restart.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, make_frames, pcap_read, pcap_write, require_env,
                     run, send_frames, test_frames, tmpdir, vf_host, wait_for)

UP, DOWN = 20, 10


def one_cycle(d, ns, ns_if, guest, out, k, work):
    before = d.relay(0)["vf_to_vm"]
    guest.start()
    d.wait_state(0, "DPDK_READY")
    frames = make_frames(UP, tag=k + 1)
    send_frames(ns, ns_if, frames, work, gap_us=200)
    wait_for(lambda: d.relay(0)["vf_to_vm"]["pkts_tx_to_vm"] >= before["pkts_tx_to_vm"] + UP, 15,
             "cycle %d frames relayed" % k)
    guest.stop()
    got = test_frames(pcap_read(out))
    check(got == frames, "cycle %d: guest received its %d frames" % (k, UP))
    d.wait_state(0, "DPDK_ADDED")
    base = d.relay(0)["vf_to_vm"]["pkts_dropped_vm_not_connected"]
    send_frames(ns, ns_if, make_frames(DOWN, tag=200), work, gap_us=200)
    wait_for(lambda: d.relay(0)["vf_to_vm"]["pkts_dropped_vm_not_connected"] == base + DOWN, 10,
             "cycle %d: %d not-connected drops" % (k, DOWN))


def main():
    require_env()
    client = "--client" in sys.argv
    cycles = 4 if client else 10
    tag = "c" if client else "s"
    work = tmpdir("recon")
    ns, root_if, ns_if = vf_host("vr", tag)
    d = Daemon("recon-" + tag, ["-P", "net_af_packet0,iface=%s=0" % root_if], client=client)
    d.start()
    empty, out = os.path.join(work, "empty.pcap"), os.path.join(work, "out.pcap")
    pcap_write(empty, [])
    guest = Guest("recon-" + tag, [
        "virtio_user0,path=%s%s" % (d.sock(0), ",server=1" if client else ""),
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, out)])

    for k in range(cycles):
        one_cycle(d, ns, ns_if, guest, out, k, work)
    log("%d disconnect/reconnect cycles passed" % cycles)
    c = d.relay(0)["vf_to_vm"]
    check(c["pkts_rx_from_vf"] == cycles * (UP + DOWN), "every frame from the VF counted once")
    check(c["pkts_tx_to_vm"] == cycles * UP and c["pkts_dropped_vm_not_connected"] == cycles * DOWN,
          "sent %d, dropped not connected %d" % (cycles * UP, cycles * DOWN))
    check(c["pkts_dropped_vm_queue_full"] == 0, "no queue-full drops")
    check(d.log().count("guest connected") == cycles, "daemon logged %d connects" % cycles)

    if client:
        # The daemon restarts under a running guest: it reconnects by itself.
        guest.start()
        d.wait_state(0, "DPDK_READY")
        rc, _ = d.stop()
        check(rc == 0, "daemon stopped under a connected guest")
        d2 = Daemon("recon-c2", ["-P", "net_af_packet0,iface=%s=0" % root_if], client=True)
        d2.sock_dir = d.sock_dir
        d2.start()
        d2.wait_state(0, "DPDK_READY", timeout=20)
        frames = make_frames(UP, tag=77)
        send_frames(ns, ns_if, frames, work, gap_us=200)
        wait_for(lambda: d2.relay(0)["vf_to_vm"]["pkts_tx_to_vm"] >= UP, 15,
                 "frames relayed after the daemon restart")
        guest.stop()
        check(test_frames(pcap_read(out)) == frames, "guest got frames after the daemon restart")
        d = d2
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
