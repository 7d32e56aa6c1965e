# SPDX-License-Identifier: BSD-3-Clause
"""The daemon SIGKILLed under traffic, 20 times in a row, in client mode: each time it comes
back with all its relays (relay 0 from the command line, relay 1 added at run time and kept in
the state file) and the guest's traffic resumes on both; the state file is whole after every
kill (written, synced, renamed). Then a corrupt state file: a warning names it and the line,
and the static relay still starts.

The guest is one testpmd with two virtio_user ports in server mode (the daemon dials them) and
stays up throughout, echoing (macswap) what the flooding VFs (net_null) send.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, log, require_env, run, wait_for

KILLS = int(os.environ.get("VFWD_KILLS", "20"))
STATIC = ["-P", "net_null0,size=64=0"]
DEV1 = "net_null1,size=64"


def flowing(d, rid):
    """Frames reach the guest and come back on relay @rid, within 10 s."""
    def moved():
        a = d.relay(rid)
        time.sleep(0.2)
        b = d.relay(rid)
        return (b["vf_to_vm"]["pkts_tx_to_vm"] > a["vf_to_vm"]["pkts_tx_to_vm"]
                and b["vm_to_vf"]["pkts_tx_to_vf"] > a["vm_to_vf"]["pkts_tx_to_vf"])
    return wait_for(moved, 10, "traffic both ways on relay %d" % rid, 0.1)


def state_lines(d):
    with open(os.path.join(d.state_dir, "relays")) as f:
        return [line for line in f.read().splitlines() if line and not line.startswith("#")]


def main():
    require_env()
    d = Daemon("kill", STATIC, client=True, control=True).start()
    check(d.tool("port_control", "add", "--virtio-id", "1", "--pci-addr", DEV1).returncode == 0,
          "relay 1 added at run time")
    saved = state_lines(d)
    check(len(saved) == 1 and saved[0].split("\t")[0] == "1" and saved[0].endswith(DEV1),
          "state file: relay 1 (%r)" % saved)
    os.makedirs(d.sock_dir, exist_ok=True)
    guest = Guest("kill", ["virtio_user%d,path=%s,server=1" % (i, d.sock(i)) for i in (0, 1)],
                  fwd="macswap").start()
    for rid in (0, 1):
        d.wait_state(rid, "DPDK_READY", 20)
        flowing(d, rid)
    t0, downs = time.time(), []
    for k in range(KILLS):
        pid = d.pid()
        os.kill(pid, signal.SIGKILL)
        d.proc.wait(10)
        lines = state_lines(d)
        if lines != saved:
            raise AssertionError("kill %d: state file changed or torn: %r" % (k + 1, lines))
        a = time.time()
        d.start()
        if d.vf_relays() != [0, 1]:
            raise AssertionError("kill %d: relays %s after the restart" % (k + 1, d.vf_relays()))
        for rid in (0, 1):
            d.wait_state(rid, "DPDK_READY", 20)
            flowing(d, rid)
        downs.append(time.time() - a)
        if guest.proc.poll() is not None:
            raise AssertionError("kill %d: the guest exited" % (k + 1))
    downs.sort()
    check(len(downs) == KILLS, "%d SIGKILLs in %.0fs: each time relays 0 and 1 back and traffic "
          "resumed both ways (restart to traffic: median %.1fs, max %.1fs)"
          % (KILLS, time.time() - t0, downs[len(downs) // 2], downs[-1]))
    check("relay 1 restored" in d.log(), "relay 1 came from the state file")

    d.stop_ok("clean stop")
    state = os.path.join(d.state_dir, "relays")
    with open(state, "wb") as f:
        f.write(b"# relays\n\x00\xff garbage\n1\t1\n")
    d.start()
    check(d.vf_relays() == [0], "with a corrupt state file the static relay 0 starts (relays %s)"
          % d.vf_relays())
    check("%s:2: not text" % state in d.log()
          and "%s:3: malformed line skipped" % state in d.log(),
          "the warnings name the file and the lines")
    d.stop_ok("clean stop")
    guest.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
