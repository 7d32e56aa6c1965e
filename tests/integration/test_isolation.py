# SPDX-License-Identifier: BSD-3-Clause
"""Isolation: four relays at once; each guest sees only its own VF's frames, and vice versa."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Capture, Daemon, Guest, check, log, make_frames, netns, pcap_read,
                     pcap_write, require_env, run, send_frames, test_frames, tmpdir, veth,
                     wait_for, frame_tag, RUN_ID)

RELAYS = 4
N = 50


def main():
    require_env()
    work = tmpdir("iso")
    ns = netns("vfwd-iso-" + RUN_ID)
    ifs = [("via%d%s" % (i, RUN_ID[-5:]), "vib%d%s" % (i, RUN_ID[-5:])) for i in range(RELAYS)]
    args = []
    for i, (a, b) in enumerate(ifs):
        veth(a, ns, b)
        args += ["-P", "net_af_packet%d,iface=%s=%d" % (i, a, i)]
    d = Daemon("iso", args).start()

    vdevs, to_vf, outs = [], [], []
    for i in range(RELAYS):
        to_vf.append(make_frames(N, tag=100 + i))
        gin, gout = os.path.join(work, "in%d.pcap" % i), os.path.join(work, "out%d.pcap" % i)
        pcap_write(gin, to_vf[i])
        outs.append(gout)
        # testpmd's io mode pairs ports 0-1, 2-3, ...: guest i is virtio_user i <-> pcap i
        vdevs += ["virtio_user%d,path=%s" % (i, d.sock(i)),
                  "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (i, gin, gout)]
    caps = [Capture(ns, b, 90, os.path.join(work, "vf%d.pcap" % i)) for i, (a, b) in enumerate(ifs)]
    guest = Guest("iso", vdevs).start()
    for i in range(RELAYS):
        d.wait_state(i, "DPDK_READY")

    for i in range(RELAYS):
        got = test_frames(caps[i].frames(expect=N, timeout=20))
        tags = sorted({frame_tag(f)[0] for f in got})
        check(got == to_vf[i], "VF %d got exactly guest %d's %d frames (tags seen %s)"
              % (i, i, N, tags))

    to_vm = [make_frames(N, tag=i + 1) for i in range(RELAYS)]
    for i, (a, b) in enumerate(ifs):
        send_frames(ns, b, to_vm[i], work, gap_us=200)
    wait_for(lambda: all(d.relay(i)["vf_to_vm"]["pkts_tx_to_vm"] >= N for i in range(RELAYS)),
             20, "frames relayed to all guests")
    time.sleep(0.5)
    counters = [d.relay(i) for i in range(RELAYS)]
    guest.stop()
    for i in range(RELAYS):
        got = test_frames(pcap_read(outs[i]))
        tags = sorted({frame_tag(f)[0] for f in got})
        check(got == to_vm[i], "guest %d got exactly VF %d's %d frames (tags seen %s)"
              % (i, i, N, tags))
        c = counters[i]
        check(c["vf_to_vm"]["pkts_rx_from_vf"] == N and c["vm_to_vf"]["pkts_tx_to_vf"] == N,
              "relay %d counted only its own frames" % i)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
