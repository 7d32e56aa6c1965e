# SPDX-License-Identifier: BSD-3-Clause
"""Relays added at run time survive restarts (the reference loses them): saved on each change
in --state-dir, restored at start, after a clean stop and after SIGKILL alike; a removed relay
stays removed; static relays are not duplicated; a bond and a dynamic socket come back as such.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, log, require_env, run


def again(old, name, args, **kw):
    d = Daemon(name, args, control=True, **kw)
    d.sock_dir, d.pid_dir, d.state_dir = old.sock_dir, old.pid_dir, old.state_dir
    return d.start()


def ids(d):
    return d.vf_relays()


def main():
    require_env()
    static = ["-P", "net_null0,no-rx=1=0"]
    d = Daemon("persist", static, control=True).start()
    for args in (["--virtio-id", "5", "--pci-addr", "net_null5,no-rx=1"],
                 ["--virtio-id", "7", "--pci-addr", "net_null7,no-rx=1", "--pci-addr",
                  "net_null8,no-rx=1", "--mode", "1", "--name", "b7"]):
        r = d.tool("port_control", "add", *args)
        check(r.returncode == 0, "add " + " ".join(args))
    check(ids(d) == [0, 5, 7], "relays 0 (static), 5 and 7 (bond) running")
    rc, _ = d.stop()
    check(rc == 0, "clean stop")

    d = again(d, "persist2", static)
    check(ids(d) == [0, 5, 7] and "relay 5 restored" in d.log() and "relay 7 restored" in d.log(),
          "after a restart: 5 and the bond 7 restored, static 0 recreated once")
    check(d.relay(7)["vf"] == "net_null7,no-rx=1" and "net_bonding_b7" in d.log(),
          "relay 7 is the bond net_bonding_b7 again")
    r = d.tool("port_control", "remove", "--virtio-id", "5", "--pci-addr", "net_null5,no-rx=1")
    check(r.returncode == 0, "remove relay 5")
    os.kill(d.pid(), signal.SIGKILL)
    d.proc.wait(10)

    d = again(d, "persist3", static)
    check(ids(d) == [0, 7], "after SIGKILL: the removal held, relay 7 restored")
    rc, _ = d.stop()

    d = again(d, "persist4", ["-d"])
    check(ids(d) == [7], "state restored under -d too (no static relays there)")
    path = os.path.join(d.dir, "vm-a.sock")
    r = d.tool("port_control", "add_sock", "--vhost-path", path, "--pci-addr", "net_null9,no-rx=1")
    check(r.returncode == 0, "add_sock " + path)
    d.stop()
    d = again(d, "persist5", ["-d"])
    check(d.relay(0)["vhost_socket"] == path and os.path.exists(path),
          "the dynamic socket came back at its own path")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
