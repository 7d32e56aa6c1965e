# SPDX-License-Identifier: BSD-3-Clause
"""Port control without ZeroMQ, as the reference's -I: a command file ("add_port NETDEV",
"del_port NETDEV", the reference's syntax) picked up as soon as it is written (inotify, no
polling), deleted, and acted on with interfaces mapped to devices through --device-alias.
Bad commands, unknown interfaces and files of other users change nothing; with -Z on, the file
is not watched (the reference's precedence).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, log, require_env, run, sh, wait_for

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


def main():
    require_env()
    ipc_file()
    log("PASS")


if __name__ == "__main__":
    run(main)
