# SPDX-License-Identifier: BSD-3-Clause
"""TSO and checksum offloads (-T) with a real guest, through a VF that has neither.

The VF stand-in is net_af_packet on a veth: no TSO, no checksum offload. The guest's Linux
negotiates HOST_TSO4 and CSUM, so it hands the device TCP frames of up to 64 kB with their
checksums left to do. It sends 4 MB of random data over one TCP connection to a host behind the
veth. The relay segments those frames and completes the checksums in software: the host
receives every byte (same md5), its kernel counts no checksum error, the relay counts frames it
segmented itself, and drops nothing as oversize.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import Vm, guest_image  # noqa: E402
from harness import (check, Daemon, log, on_exit, require_env, run, sh, vf_host,  # noqa: E402
                     wait_for)

KB, PORT = 4096, 5001
HOST, GUEST = "10.99.8.1", "10.99.8.2"

# The receiver, in the host's netns: one connection, KB kilobytes, their md5.
SERVER = """
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(100)
print("listening", flush=True)
c, _ = s.accept()
c.settimeout(30)
h, n, want = hashlib.md5(), 0, int(sys.argv[3])
while n < want:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
print("got %d md5=%s" % (n, h.hexdigest()), flush=True)
c.close()
"""


def tcp_snmp(ns):
    """The netns's TCP counters (/proc/net/snmp) by name."""
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], text=True,
                         stdout=subprocess.PIPE).stdout
    rows = [l.split()[1:] for l in out.splitlines() if l.startswith("Tcp:")]
    return dict(zip(rows[0], map(int, rows[1])))


def main():
    require_env()
    guest_dir = guest_image()
    ns, root_if, ns_if = vf_host("ts", addr=HOST + "/24")
    # A veth leaves the host's own checksums to do (CHECKSUM_PARTIAL) and af_packet hands the
    # frames on as they are: the host computes them, as frames from a real wire have them.
    sh("ip", "netns", "exec", ns, "ethtool", "-K", ns_if, "tx", "off")
    srv = subprocess.Popen(["timeout", "-s", "KILL", "150", "ip", "netns", "exec", ns,
                            "/usr/bin/python3", "-c", SERVER, HOST, str(PORT), str(KB * 1024)],
                           stdout=subprocess.PIPE, text=True, start_new_session=True)
    on_exit(lambda: srv.poll() is None and srv.kill())
    check(srv.stdout.readline().strip() == "listening", "the host behind the VF listens")
    before = tcp_snmp(ns)

    d = Daemon("tso-e2e", ["-T", "-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    check("TCP segmentation and the missing checksums in software" in d.log(),
          "the daemon says it does TSO and checksums in software for this VF")
    vm = Vm("tso", d.sock(0), guest_dir, "vfwd.ip=%s/24 vfwd.send=%s:%d:%d vfwd.stay=1"
            % (GUEST, HOST, PORT, KB)).boot()
    check(vm.wait("VFWD-GUEST-UP"), "guest up")
    check(vm.wait("VFWD-SEND "), "guest sending")
    line = re.search(r"VFWD-SEND md5=(\w+) (.*)", vm.serial())
    sent_md5, offloads = line.group(1), line.group(2)
    log("guest: %s" % offloads)
    check("tcp-segmentation-offload:on" in offloads and "tx-checksumming:on" in offloads,
          "the guest has TSO and checksum offload on (negotiated through -T)")
    got = srv.communicate(timeout=120)[0].strip()
    log("host TCP counters: %s; relay VM->VF: %s" % (tcp_snmp(ns), d.relay(0)["vm_to_vf"]))
    check(got == "got %d md5=%s" % (KB * 1024, sent_md5),
          "the host received the guest's %d kB whole: %r (guest's md5 %s)" % (KB, got, sent_md5))
    check(vm.wait("VFWD-SEND-DONE", timeout=30), "the guest's sender finished")
    after = tcp_snmp(ns)
    c = d.relay(0)["vm_to_vf"]
    log("relay VM->VF: %s" % {k: c[k] for k in ("pkts_rx_from_vm", "pkts_tx_to_vf", "segmented",
                                                "pkts_dropped_oversize", "retries")})
    check(c["segmented"] > 0 and c["pkts_dropped_oversize"] == 0,
          "the relay segmented %d of the guest's frames itself and dropped none as oversize"
          % c["segmented"])
    check(after["InCsumErrors"] == before["InCsumErrors"] and
          after["InErrs"] == before["InErrs"],
          "the host's kernel counted no TCP checksum error (InCsumErrors %d -> %d)"
          % (before["InCsumErrors"], after["InCsumErrors"]))
    # every frame the guest gave is accounted for: sent, or still on its way
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_tx_to_vf"]
             == d.relay(0)["vm_to_vf"]["pkts_rx_from_vm"], 5, "the relay's frames all sent")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
