# SPDX-License-Identifier: BSD-3-Clause
"""Port control without ZeroMQ.

-I, the reference's command file ("add_port NETDEV", "del_port NETDEV", its syntax): picked up
as soon as it is written (inotify, no polling), deleted, acted on with interfaces mapped to
devices through --device-alias. Bad commands, unknown interfaces and files of other users
change nothing; with -Z on, the file is not watched (the reference's precedence).

-O, Open vSwitch's database: a real ovsdb-server on a database made from the shipped vswitch
schema, driven with ovs-vsctl: a key added gives the relay its VF, a new value moves it, the
key removed takes it away, a malformed value is logged and changes nothing; ovsdb-server
restarted on a database without the rows: the daemon reconnects and the relays lose their VFs.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, _kill, check, log, on_exit, require_env, run, sh, skip, tmpdir, wait_for

ALIASES = ["--device-alias", "vf0=net_null0,size=64", "--device-alias", "vf1=net_null1,size=64"]


def command(path, text):
    """Write the file the way a script does (open, write, close)."""
    with open(path, "w") as f:
        f.write(text)


def ipc_file():
    d = Daemon("ipc", ["-I"] + ALIASES)
    cmd = os.path.join(d.dir, "vio_cmd")
    d.args += ["--ipc-file", cmd]
    d.start()
    check("port control through %s" % cmd in d.log(), "the command file is watched")

    t0 = time.time()
    command(cmd, "add_port vf0\n")
    wait_for(lambda: d.vf_relays() == [0], 5, "add_port vf0")
    check(not os.path.exists(cmd), "add_port vf0: relay 0 has net_null0 within %.0f ms, file "
          "deleted" % ((time.time() - t0) * 1000))
    check(d.relay(0)["vf"] == "net_null0,size=64", "the alias's device")
    command(cmd, "add_port vf1")
    wait_for(lambda: d.vf_relays() == [0, 1], 5, "add_port vf1 (the lowest relay without a VF)")
    command(cmd, "add_port vf1")  # once more: it has it already
    wait_for(lambda: not os.path.exists(cmd), 5, "file taken")
    check(d.vf_relays() == [0, 1], "a second add_port of the same interface changes nothing")

    command(cmd, "del_port vf0\n")
    wait_for(lambda: d.vf_relays() == [1], 5, "del_port vf0")
    check(d.relay(0)["vf_state"] == "DPDK_UNINIT", "del_port vf0: relay 0 without its VF")

    # Bad input: logged, file removed, nothing else changes.
    for text, why in (("xyz vf1", "is not 'add_port NETDEV' or 'del_port NETDEV'"),
                      ("add_port nosuch0", "interface nosuch0 has no PCI device behind it")):
        command(cmd, text)
        wait_for(lambda: why in d.log(), 5, "the daemon's word on '%s'" % text)
        check(not os.path.exists(cmd) and d.vf_relays() == [1],
              "'%s': refused (%s), file gone, relays unchanged" % (text, why))
    # Made aside, given to nobody, then moved in (a move is picked up as a write is).
    command(cmd + ".tmp", "del_port vf1")
    sh("chown", "nobody", cmd + ".tmp")
    os.rename(cmd + ".tmp", cmd)
    wait_for(lambda: "removed unread" in d.log(), 5, "a file of another user")
    check(not os.path.exists(cmd) and d.vf_relays() == [1],
          "a command file owned by nobody is removed unread")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")

    # -Z wins over -I, as in the reference: the file is left alone.
    d = Daemon("ipcz", ["-I"] + ALIASES, control=True)
    d.args += ["--ipc-file", cmd]
    d.start()
    command(cmd, "add_port vf0")
    time.sleep(0.5)
    check(os.path.exists(cmd) and d.vf_relays() == [], "with -Z the command file is not read")
    os.unlink(cmd)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


class Ovsdb:
    """ovsdb-server on a fresh Open_vSwitch database, bounded by timeout, killed at exit."""

    SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"

    def __init__(self):
        if not shutil.which("ovsdb-server") or not os.path.exists(self.SCHEMA):
            skip("Open vSwitch (ovsdb-server, ovs-vsctl) is not installed: scripts/setup.sh")
        self.dir = tmpdir("ovsdb")
        self.sock = os.path.join(self.dir, "db.sock")
        self.proc = None

    def start(self, fresh=True):
        db = os.path.join(self.dir, "conf.db")
        if fresh:
            if os.path.exists(db):
                os.unlink(db)
            sh("ovsdb-tool", "create", db, self.SCHEMA)
        self.proc = subprocess.Popen(
            ["timeout", "-s", "KILL", "300", "ovsdb-server", db, "--remote=punix:" + self.sock,
             "--unixctl=" + os.path.join(self.dir, "ctl"), "--no-chdir"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        on_exit(_kill, self.proc, "ovsdb-server")
        wait_for(lambda: os.path.exists(self.sock), 10, "ovsdb-server's socket")
        if fresh:
            self.vsctl("init")
            self.vsctl("add-br", "br0")
        return self

    def stop(self):
        _kill(self.proc, "ovsdb-server")
        if os.path.exists(self.sock):
            os.unlink(self.sock)

    def vsctl(self, *args):
        sh("ovs-vsctl", "--db=unix:" + self.sock, "--no-wait", "--timeout=10", *args)


def ovsdb():
    db = Ovsdb().start()
    db.vsctl("add-port", "br0", "vf0", "--", "set", "Interface", "vf0",
             "external_ids:virtio_forwarder=3")
    d = Daemon("ovs", ["-O", db.sock] + ALIASES).start()
    wait_for(lambda: d.vf_relays() == [3], 10, "relay 3 from the row already there")
    check(d.relay(3)["vf"] == "net_null0,size=64" and "OVSDB: following %s" % db.sock in d.log(),
          "an Interface row with external_ids:virtio_forwarder=3 at start: relay 3 has vf0's "
          "device")
    db.vsctl("set", "Interface", "vf0", "external_ids:virtio_forwarder=5")
    wait_for(lambda: d.vf_relays() == [5], 10, "the relay moved")
    check(d.relay(3)["vf_state"] == "DPDK_UNINIT", "a new value moves the VF: relay 3 -> 5")
    db.vsctl("add-port", "br0", "vf1", "--", "set", "Interface", "vf1",
             "external_ids:virtio_relay=0x7")
    wait_for(lambda: d.vf_relays() == [5, 7], 10, "virtio_relay=0x7")
    check(d.relay(7)["vf"] == "net_null1,size=64", "the other key, a hex value: relay 7")
    db.vsctl("set", "Interface", "vf1", "external_ids:virtio_forwarder=abc")
    wait_for(lambda: "external_ids:virtio_forwarder='abc' is not a relay id" in d.log(), 10,
             "the malformed value named")
    check(d.vf_relays() == [5, 7], "a malformed value changes nothing")
    db.vsctl("remove", "Interface", "vf0", "external_ids", "virtio_forwarder")
    wait_for(lambda: d.vf_relays() == [7], 10, "key removed")
    check(d.relay(5)["vf_state"] == "DPDK_UNINIT", "the key removed: relay 5 loses its VF")

    # ovsdb-server goes away: relays stay. It comes back without the rows: they go.
    db.stop()
    wait_for(lambda: "OVSDB: connection to %s lost" % db.sock in d.log(), 10, "the loss noticed")
    time.sleep(1.5)
    check(d.vf_relays() == [7], "while ovsdb-server is down the relays keep running")
    db.start(fresh=True)
    wait_for(lambda: d.vf_relays() == [], 10, "resynchronised")
    check(d.log().count("OVSDB: following") == 2,
          "reconnected; relay 7's row is gone from the new database: its VF removed")
    db.vsctl("add-port", "br0", "vf0", "--", "set", "Interface", "vf0",
             "external_ids:virtio_forwarder=2")
    wait_for(lambda: d.vf_relays() == [2], 10, "after the restart, updates again")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    db.stop()


def main():
    require_env()
    ipc_file()
    ovsdb()
    log("PASS")


if __name__ == "__main__":
    run(main)
