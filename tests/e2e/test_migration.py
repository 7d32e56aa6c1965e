# SPDX-License-Identifier: BSD-3-Clause
"""Live migration between two daemons on one host.

The switch is a Linux bridge in a netns; a peer host (10.99.8.1) hangs off it, and so does each
daemon's VF stand-in (af_packet on a veth whose other end is a bridge port). Guest A on daemon 1
pings the peer every 0.1 s; guest B waits with -incoming on daemon 2's socket; `migrate` on A's
monitor moves it. Each variant asserts: migration completed, pings continue through daemon 2
(B's console carries on A's ping sequence), the bridge learnt the guest's MAC on daemon 2's
port, daemon 1 had dirty logging on during the copy, and the guest's own counters equal the sum
of both relays' counters. Variants: (a) default, (b) guest_announce=off, where QEMU asks the
backend for a RARP and our relay must carry it to the VF (seen on the bridge), (c) packed ring,
(d) 4 queue pairs. QEMU's downtime, pings lost and the switch-over gap are reported (also in
doc/live-migration.md).
"""
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import Monitor, Vm, guest_image  # noqa: E402
from harness import (Capture, check, Daemon, log, netns, require_env, run, RUN_ID,  # noqa
                     sh, tmpdir, veth)

MAC = "52:54:00:12:34:56"
COUNT = 100
INTERVAL = 0.1
ETH_RARP = 0x8035


def topology():
    """Bridge netns with the peer host and two VF ports; returns (switch ns, VF ports)."""
    tag = RUN_ID[-5:]
    sw = netns("vfwd-lmsw-" + RUN_ID)
    peer = netns("vfwd-lmpe-" + RUN_ID)
    sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", sw, "link", "set", "br0", "up")
    sh("ip", "link", "add", "lmpa" + tag, "type", "veth", "peer", "name", "lmpb" + tag)
    sh("ip", "link", "set", "lmpa" + tag, "netns", sw)
    sh("ip", "link", "set", "lmpb" + tag, "netns", peer)
    sh("ip", "-n", sw, "link", "set", "lmpa" + tag, "master", "br0")
    sh("ip", "-n", sw, "link", "set", "lmpa" + tag, "up")
    sh("ip", "-n", peer, "addr", "add", "10.99.8.1/24", "dev", "lmpb" + tag)
    sh("ip", "-n", peer, "link", "set", "lmpb" + tag, "up")
    vfs = []
    for i in (1, 2):
        root_if, port = "lm%da%s" % (i, tag), "lm%db%s" % (i, tag)
        veth(root_if, sw, port)
        sh("ip", "-n", sw, "link", "set", port, "master", "br0")
        vfs.append((root_if, port))
    return sw, vfs


def fdb_port(sw):
    out = sh("bridge", "-n", sw, "fdb", "show", "br", "br0").stdout
    m = re.search(r"^%s dev (\S+)" % MAC, out, re.M)
    return m.group(1) if m else None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def counts(d):
    r = d.relay(0)
    return r["vm_to_vf"]["pkts_rx_from_vm"], r["vf_to_vm"]["pkts_tx_to_vm"]


def migrate(label, sw, d1, d2, ports, guest_dir, packed=False, queues=1, announce=True):
    name = label  # in messages; file names and QEMU options get a plain tag
    tag = re.sub(r"[^a-z0-9]+", "-", label)
    work = tmpdir("lm-" + tag)
    port = free_port()
    mon_a, mon_b = os.path.join(work, "a.mon"), os.path.join(work, "b.mon")
    append = "vfwd.ip=10.99.8.2/24 vfwd.peer=10.99.8.1 vfwd.count=%d vfwd.interval=%s" % (
        COUNT, INTERVAL)
    if queues > 1:
        append += " vfwd.queues=%d" % queues
    kw = dict(packed=packed, queues=queues, dev_extra="" if announce else ",guest_announce=off")
    before = [counts(d1), counts(d2)]
    b = Vm("lm-%s-b" % tag, d2.sock(0), guest_dir, append,
           extra=["-monitor", "unix:%s,server=on,wait=off" % mon_b,
                  "-incoming", "tcp:127.0.0.1:%d" % port], **kw).boot()
    a = Vm("lm-%s-a" % tag, d1.sock(0), guest_dir, append,
           extra=["-monitor", "unix:%s,server=on,wait=off" % mon_a], **kw).boot()
    check(a.wait("seq=20 ", timeout=60), "%s: guest A pings through daemon 1" % name)
    check(fdb_port(sw) == ports[0], "%s: the bridge has the guest's MAC on daemon 1's port"
          % name)
    rarp = None if announce else Capture(sw, "br0", 60, os.path.join(work, "rarp.pcap"),
                                         ethertype=ETH_RARP)
    log_mark = len(d1.log())
    m = Monitor(mon_a)
    m.cmd("migrate -d tcp:127.0.0.1:%d" % port)
    status, info = "", ""
    end = time.time() + 90
    while time.time() < end and status not in ("completed", "failed", "cancelled"):
        info = m.cmd("info migrate")
        st = re.search(r"Migration status: (\S+)", info)
        status = st.group(1) if st else ""
        time.sleep(0.2)
    check(status == "completed", "%s: migration completed (%s)" % (name, status))
    downtime = int(re.search(r"downtime: (\d+) ms", info).group(1))
    total = int(re.search(r"total time: (\d+) ms", info).group(1))
    m.cmd("quit")
    m.close()
    a.proc.wait(20)
    during = d1.log()[log_mark:]
    check("dirty logging on" in during,
          "%s: daemon 1 had dirty logging on (LOG_ALL) during the copy" % name)
    check("VHOST_USER_SET_LOG_BASE" in during,
          "%s: daemon 1 got VHOST_USER_SET_LOG_BASE for this migration" % name)
    check(b.wait("VFWD-COUNTERS", timeout=60), "%s: guest B finished the pings" % name)
    seqs = sorted(set(a.replies()) | set(b.replies()))
    lost = COUNT - len(seqs)
    gaps = [y - x for x, y in zip([-1] + seqs, seqs + [COUNT])]
    gap_s = max(gaps) * INTERVAL
    # A ping sent while the guest was stopped is answered late: the worst round trip shows
    # the switch-over better than the 0.1 s ping spacing can.
    rtt = max(float(t) for t in re.findall(r"seq=\d+ ttl=\d+ time=([0-9.]+) ms",
                                            a.serial() + b.serial()))
    if not b.replies():  # once in CI (packed ring, third variant): say what B and daemon 2 saw
        ours = [l for l in d2.log().splitlines() if l.startswith("vfwd:")]
        raise AssertionError("%s: guest B got no ping answered after the switch-over\n"
                             "--- B's console, last lines ---\n%s\n--- daemon 2's relay 0: %s\n"
                             "--- daemon 2's own log lines, last 40 ---\n%s"
                             % (name, b.serial()[-2500:], d2.relay(0), "\n".join(ours[-40:])))
    check(min(b.replies()) <= max(a.replies()) + 5,
          "%s: guest B carries on A's ping sequence (A up to seq %d, B from seq %d)"
          % (name, max(a.replies()), min(b.replies())))
    check(fdb_port(sw) == ports[1], "%s: the bridge learnt the MAC on daemon 2's port" % name)
    # The relay loses nothing on a switch-over (0 measured in every variant). A ping sent in the
    # very milliseconds QEMU's downtime lasts (4 to 17 ms measured) may be the guest's to lose:
    # one at most; more would be the relay's.
    why = ""
    if lost > 1:  # say where they went: the relays' counters and the guest's own per queue
        why = ("\n--- B: %s\n--- daemon 1's relay 0: %s\n--- daemon 2's relay 0: %s"
               % (re.findall(r"VFWD-QSTATS .*", b.serial()), d1.relay(0), d2.relay(0)))
    check(lost <= 1, "%s: %d of %d pings lost%s" % (name, lost, COUNT, why))
    if rarp:
        frames = [f for f in rarp.stop() if f[6:12] == bytes.fromhex(MAC.replace(":", ""))]
        check(len(frames) >= 1 and "VHOST_USER_SEND_RARP" in d2.log(),
              "%s: QEMU sent VHOST_USER_SEND_RARP to daemon 2 and %d RARP frame(s) from the "
              "guest's MAC reached the bridge" % (name, len(frames)))
    rx, tx = b.counters()
    after = [counts(d1), counts(d2)]
    took = sum(after[i][0] - before[i][0] for i in (0, 1))
    gave = sum(after[i][1] - before[i][1] for i in (0, 1))
    extra = 0 if announce else len(frames)  # RARPs are made by the backend, not the guest
    check(took == tx + extra and gave == rx,
          "%s: the guest's own counters (%d tx, %d rx) equal both relays' together (%d, %d)"
          % (name, tx, rx, took - extra, gave))
    check(b.wait("VFWD-POWEROFF") and b.proc.wait(20) == 0, "%s: guest B powered off" % name)
    log("%s: downtime %d ms (QEMU), migration %d ms, %d pings lost, longest gap between "
        "answered pings %.1f s, worst round trip %.0f ms" % (name, downtime, total, lost, gap_s,
                                                             rtt))
    return name, downtime, total, lost, gap_s, rtt


def main():
    require_env()
    guest_dir = guest_image()
    sw, vfs = topology()
    ports = [p for _, p in vfs]
    d1 = Daemon("lm1", ["-P", "net_af_packet0,iface=%s=0" % vfs[0][0]]).start()
    d2 = Daemon("lm2", ["-P", "net_af_packet0,iface=%s=0" % vfs[1][0]]).start()
    results = [
        migrate("default", sw, d1, d2, ports, guest_dir),
        migrate("guest_announce=off", sw, d1, d2, ports, guest_dir, announce=False),
        migrate("packed", sw, d1, d2, ports, guest_dir, packed=True),
        migrate("4 queues", sw, d1, d2, ports, guest_dir, queues=4),
    ]
    log("| variant | downtime (QEMU) | migration | pings lost (of %d, every %.1f s) | "
        "longest gap between answers | worst round trip |" % (COUNT, INTERVAL))
    log("|---|---|---|---|---|---|")
    for name, down, total, lost, gap, rtt in results:
        log("| %s | %d ms | %d ms | %d | %.1f s | %.0f ms |" % (name, down, total, lost, gap,
                                                               rtt))
    for d in (d1, d2):
        rc, _ = d.stop()
        check(rc == 0, "daemon %s exits 0" % d.name)
    log("PASS")


if __name__ == "__main__":
    run(main)
