# SPDX-License-Identifier: BSD-3-Clause
"""systemd integration: a real NOTIFY_SOCKET listener gets READY=1 only once the vhost socket and
the ZeroMQ endpoints exist, STATUS= lines that follow the relays, WATCHDOG=1 pings while the
workers work and none once a worker is stalled (test hook), STOPPING=1 at the end. The shipped
unit passes `systemd-analyze verify`.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, BIN, Daemon, Guest, check, log, require_env, run, tmpdir

SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


class Listener:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.msgs = []  # (time, text)

    def pump(self, seconds, until=None):
        end = time.time() + seconds
        while time.time() < end:
            try:
                m = self.s.recv(4096).decode()
            except socket.timeout:
                continue
            self.msgs.append((time.time(), m))
            if until and until(m):
                return m
        return None

    def count(self, word, since=0):
        return sum(1 for t, m in self.msgs if t >= since and word in m.split("\n"))


def unit_verifies():
    work = tmpdir("unit")
    unit = os.path.join(work, "virtio-forwarder.service")
    with open(os.path.join(SRC, "etc/systemd/virtio-forwarder.service")) as f:
        text = f.read().replace("/usr/bin/virtio-forwarder", BIN)
    with open(unit, "w") as f:
        f.write(text)
    man8 = os.path.join(work, "man", "man8")
    os.makedirs(man8)
    shutil.copy(os.path.join(BUILD, "doc/virtio-forwarder.8"), man8)
    r = subprocess.run(["systemd-analyze", "verify", unit], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, MANPATH=os.path.join(work, "man")))
    check(r.returncode == 0 and r.stdout.strip() == "",
          "systemd-analyze verify passes on the unit %s" % r.stdout.strip())
    check("Type=notify" in text and "WatchdogSec=" in text and "RuntimeDirectory=" in text,
          "unit: Type=notify, WatchdogSec, RuntimeDirectory")


def main():
    require_env()
    unit_verifies()
    work = tmpdir("notify")
    path = os.path.join(work, "notify.sock")
    lst = Listener(path)
    d = Daemon("notify", ["-P", "net_null0,no-rx=1=0"], control=True,
               env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "3000000", "VFWD_TEST_HOOKS": "1"})
    d.start(wait_ready=False)
    seen = {}

    def ready(m):
        if "READY=1" in m.split("\n"):
            seen["sock"] = os.path.exists(d.sock(0))
            seen["zmq"] = all(os.path.exists(e[6:]) for e in d.ep.values())
            return True
        return False
    m = lst.pump(20, until=ready)
    check(m is not None, "READY=1 received")
    check(seen["sock"] and seen["zmq"],
          "at READY=1 the vhost socket and every ZeroMQ endpoint already exist")
    check("STATUS=1 relay, 0 VMs connected" in m, "READY carries STATUS: " + m.replace("\n", " | "))
    t0 = time.time()
    lst.pump(3.5)
    check(lst.count("WATCHDOG=1", t0) >= 2, "%d WATCHDOG=1 pings in 3.5 s" % lst.count("WATCHDOG=1", t0))
    # STATUS follows the relays: a VF added, a guest connecting and leaving.
    check(d.tool("port_control", "add", "--virtio-id", "1", "--pci-addr", "net_null1,no-rx=1")
          .returncode == 0, "relay 1 added")
    m = lst.pump(3, until=lambda m: "STATUS=2 relays, 0 VMs connected" in m)
    check(m is not None, "STATUS follows a relay being added: 2 relays")
    guest = Guest("notify", ["virtio_user0,path=%s" % d.sock(0)], fwd="rxonly").start()
    m = lst.pump(5, until=lambda m: "STATUS=2 relays, 1 VM connected" in m)
    check(m is not None, "STATUS follows a guest connecting: 1 VM connected")
    guest.stop()
    m = lst.pump(5, until=lambda m: "STATUS=2 relays, 0 VMs connected" in m)
    check(m is not None, "and its leaving: 0 VMs connected")

    os.kill(d.pid(), signal.SIGUSR2)  # test hook: the worker stops making progress
    lst.pump(1.5)  # let pings sent before the stall was noticed arrive (stamped on receipt)
    t1 = time.time()
    lst.pump(3.5)
    check(lst.count("WATCHDOG=1", t1) == 0, "stalled worker: no WATCHDOG=1 for 3.5 s")
    check("made no progress" in d.log() and any("a worker is stuck" in m for t, m in lst.msgs
                                                 if t >= t1),
          "the stall is logged and shown in STATUS")
    rc, secs = d.stop()
    lst.pump(0.5)
    check(rc == 0 and lst.count("STOPPING=1") == 1, "STOPPING=1 then exit 0 (%.2fs)" % secs)
    log("PASS")


if __name__ == "__main__":
    run(main)
