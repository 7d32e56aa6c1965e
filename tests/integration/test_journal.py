# SPDX-License-Identifier: BSD-3-Clause
"""Logging under systemd: with JOURNAL_STREAM set, records go to journald's native socket with
PRIORITY mapped from the log level, SYSLOG_IDENTIFIER, and RELAY_ID / VHOST_SOCKET / VF on
relay records (so `journalctl -u virtio-forwarder RELAY_ID=3` works). Without it, plain output.
A stand-in journald listens on a socket of the test's own, which the daemon sees as
/run/systemd/journal/socket: it runs in a mount namespace of its own where the test's directory
is bound over /run/systemd/journal, so the test runs the same on hosts with a real journald.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, log, on_exit, require_env, run, tmpdir, wait_for

SOCK = "/run/systemd/journal/socket"


def parse(data):
    """journald's native protocol: KEY=value lines, or KEY\\n<le64 size><bytes>\\n."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            v = data[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        fields[k.decode()] = v.decode(errors="replace")
    return fields


def main():
    require_env()
    jdir = tmpdir("journal")
    for d in ("/run/systemd", "/run/systemd/journal"):  # the mount point, if the host has none
        if not os.path.isdir(d):
            os.mkdir(d)
            on_exit(os.rmdir, d)
    j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    j.bind(os.path.join(jdir, "socket"))
    j.settimeout(0.05)
    d = Daemon("journal", ["-P", "net_null0,no-rx=1=3", "-P", "net_no_such_pmd0=4"],
               env={"JOURNAL_STREAM": "8:12345"})
    d.wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
              'mount --bind "$0" %s && exec "$@"' % os.path.dirname(SOCK), jdir]
    d.start(wait_ready=False)
    records = []

    def pump():
        try:
            while True:  # drain what is there (debug level: hundreds of records)
                records.append(parse(j.recv(65536)))
        except socket.timeout:
            pass
        return any("ready:" in r.get("MESSAGE", "") for r in records)
    wait_for(pump, 20, "the ready record in the journal")
    pump()
    check(all(r.get("SYSLOG_IDENTIFIER") == "virtio-forwarder" for r in records),
          "%d records, all with SYSLOG_IDENTIFIER=virtio-forwarder" % len(records))
    added = [r for r in records if "relay 3 added" in r.get("MESSAGE", "")]
    check(len(added) == 1 and added[0].get("RELAY_ID") == "3" and added[0].get("PRIORITY") == "5"
          and added[0].get("VF") == "net_null0,no-rx=1"
          and added[0].get("VHOST_SOCKET") == d.sock(3),
          "relay record: PRIORITY=5 (notice), RELAY_ID=3, VF, VHOST_SOCKET")
    errs = [r for r in records if "DPDK rejected" in r.get("MESSAGE", "")]
    check(errs and errs[0].get("PRIORITY") == "3" and errs[0].get("RELAY_ID") == "4",
          "error record: PRIORITY=3, RELAY_ID=4")
    check("relay 3 added" not in d.log(), "under systemd nothing goes to stdout")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    d2 = Daemon("plain", ["-P", "net_null0,no-rx=1=3"]).start()
    check("relay 3 added" in d2.log(), "outside systemd: plain output")
    d2.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
