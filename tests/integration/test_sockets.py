# SPDX-License-Identifier: BSD-3-Clause
"""The reference's socket lifecycle (reference-behaviour.md 1.2): without -d every relay id has
its socket from the start, listening (server) or dialled (client), with or without a VF. A VM
connects before its VF (VIRTIO_READY / DPDK_UNINIT, what it sends counted as not-connected
drops), stays connected while its VF is removed and re-added (same vhost device, no reconnect),
and traffic resumes; counters are never reset; a clean stop takes the sockets away.
"""
import grp
import os
import pwd
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, Daemon, Guest, check, flat, log, require_env, run, wait_for

RELAYS = 32  # Debian 12's DPDK: RTE_MAX_ETHPORTS


def vm_to_vf(d, rid):
    return d.relay(rid)["vm_to_vf"]


def wait_moving(d, rid, key, what):
    """Wait until counter @key of relay @rid's VM->VF direction grows; return its new value."""
    base = vm_to_vf(d, rid)[key]
    wait_for(lambda: vm_to_vf(d, rid)[key] > base + 1000, 10, what)
    return vm_to_vf(d, rid)[key]


def server_mode():
    d = Daemon("sock", [], control=True).start()
    socks = sorted(os.listdir(d.sock_dir))
    check(socks == sorted("virtio-forwarder%d.sock" % i for i in range(RELAYS)),
          "%d sockets at start without a VF, none past the cap (%d found)" % (RELAYS, len(socks)))
    check("relays 0..31: the linked DPDK has 32 ethdev ports (RTE_MAX_ETHPORTS)" in d.log(),
          "the relay cap and its reason are logged at start")
    r = d.tool("config")
    check("relays=32" in r.stdout, "the config service says how many relays there can be")
    r = subprocess.run([BIN, "--help"], stdout=subprocess.PIPE, text=True)
    check("ID below 32 (64 at most, capped by the DPDK's ethdev ports, RTE_MAX_ETHPORTS)"
          in r.stdout, "--help says the cap and why")
    idle = d.relay(5)
    check(idle["cpu_vf_to_vm"] == -1 and idle["cpu_vm_to_vf"] == -1,
          "a relay with neither VF nor guest is given to no worker")
    r = d.tool("port_control", "add", "--virtio-id", "32", "--pci-addr", "net_null9")
    check(r.returncode == 1 and r.stdout == 'status: ERROR\nerror_code: 1\n'
          'error_code_source: "virtio_forwarder_add_vf2()"\n\n' and "RTE_MAX_ETHPORTS" in r.stderr,
          "relay 32 refused with the reference's code 1, naming the cap: " + r.stderr.strip())

    # The VM first: its frames are taken and counted as not connected.
    guest = Guest("sock", ["virtio_user0,path=%s" % d.sock(3)], fwd="txonly").start()
    wait_for(lambda: d.relay(3)["vm_state"] == "VIRTIO_READY", 10, "guest on relay 3")
    vid = d.relay(3)["vid"]
    check(d.relay(3)["vf_state"] == "DPDK_UNINIT", "VM before VF: VF side DPDK_UNINIT")
    wait_moving(d, 3, "pkts_dropped_vf_not_connected", "not-connected drops while no VF")
    st = flat(d.tool("stats", "--include-inactive").stdout)
    check(st.get("relay_3.active") == "False" and st.get("relay_3.vm_to_vf.active") == "True"
          and st.get("relay_3.vf_to_vm.active") == "False"
          and st.get("relay_3.vm_to_vf.internal_state") == "VIRTIO_READY"
          and st.get("relay_3.vf_to_vm.internal_state") == "DPDK_UNINIT",
          "stats: relay inactive, vm_to_vf active, vf_to_vm not")
    check("relay_3.active" not in flat(d.tool("stats").stdout),
          "without --include-inactive a relay without its VF is not listed")

    # The VF comes: the same connection carries traffic to it.
    r = d.tool("port_control", "add", "--virtio-id", "3", "--pci-addr", "net_null0,size=64")
    check(r.returncode == 0, "VF added under the connected guest")
    d.wait_state(3, "DPDK_READY")
    tx1 = wait_moving(d, 3, "pkts_tx_to_vf", "frames reach the VF")
    check(d.relay(3)["vid"] == vid, "same vhost device (vid %d): no reconnect" % vid)

    # The VF goes: the guest stays connected, its frames are dropped as not connected.
    r = d.tool("port_control", "remove", "--virtio-id", "3", "--pci-addr", "net_null0,size=64")
    check(r.returncode == 0, "VF removed")
    s = d.relay(3)
    check(s["vf_state"] == "DPDK_UNINIT" and s["vm_state"] == "VIRTIO_READY" and s["vid"] == vid,
          "VF removed: guest still VIRTIO_READY on vid %d" % vid)
    down = wait_moving(d, 3, "pkts_dropped_vf_not_connected", "not-connected drops again")
    check(os.path.exists(d.sock(3)), "the socket stays")

    # Back again: traffic resumes, nothing was reset, no reconnect.
    r = d.tool("port_control", "add", "--virtio-id", "3", "--pci-addr", "net_null0,size=64")
    check(r.returncode == 0, "VF re-added")
    d.wait_state(3, "DPDK_READY")
    tx2 = wait_moving(d, 3, "pkts_tx_to_vf", "traffic resumes")
    s = vm_to_vf(d, 3)
    check(tx2 > tx1 and s["pkts_dropped_vf_not_connected"] >= down,
          "counters accumulate across VF re-adds (tx %d -> %d)" % (tx1, tx2))
    connects = len(re.findall(r"relay 3: guest connected", d.log()))
    check(d.relay(3)["vid"] == vid and connects == 1,
          "one guest connection through it all (%d logged)" % connects)

    # The guest leaves: the VF goes back to DPDK_ADDED and the socket keeps listening.
    guest.stop()
    wait_for(lambda: d.relay(3)["vm_state"] == "VIRTIO_UNINIT", 10, "guest gone")
    check(d.relay(3)["vf_state"] == "DPDK_ADDED", "VF side DPDK_ADDED without the guest")
    g2 = Guest("sock2", ["virtio_user0,path=%s" % d.sock(3)], fwd="txonly").start()
    d.wait_state(3, "DPDK_READY")
    g2.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    check(os.listdir(d.sock_dir) == [], "a clean stop takes every socket away")


def client_mode():
    """-i: every relay id is dialled from the start; a VM serving its socket is found without
    a VF, and the VF joins it later."""
    d = Daemon("sockc", [], control=True, client=True).start()
    check(os.listdir(d.sock_dir) == [], "client mode creates no socket file")
    guest = Guest("sockc", ["virtio_user0,path=%s,server=1" % d.sock(7)], fwd="txonly").start()
    wait_for(lambda: d.relay(7)["vm_state"] == "VIRTIO_READY", 15,
             "the daemon dials relay 7 without a VF")
    vid = d.relay(7)["vid"]
    wait_moving(d, 7, "pkts_dropped_vf_not_connected", "not-connected drops in client mode")
    r = d.tool("port_control", "add", "--virtio-id", "7", "--pci-addr", "net_null0,size=64")
    check(r.returncode == 0, "VF added")
    d.wait_state(7, "DPDK_READY")
    wait_moving(d, 7, "pkts_tx_to_vf", "frames reach the VF")
    check(d.relay(7)["vid"] == vid, "same connection")
    guest.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


def start_up():
    """The socket directory is made and given to the sockets' owner; a file that is not a
    socket where a relay's socket goes stops the start with the set-up status 255."""
    d = Daemon("sockdir", ["-unobody", "-gnogroup"])
    d.sock_dir = os.path.join(d.dir, "new", "sock")  # its parent exists, it does not
    os.makedirs(os.path.dirname(d.sock_dir))
    d.start()
    st = os.stat(d.sock_dir)
    check(st.st_uid == pwd.getpwnam("nobody").pw_uid and st.st_gid == grp.getgrnam("nogroup").gr_gid,
          "socket directory created and given to nobody:nogroup")
    st = os.stat(d.sock(0))
    check(st.st_uid == pwd.getpwnam("nobody").pw_uid, "sockets given to nobody")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    os.chown(d.sock_dir, 0, 0)
    d.start()
    st = os.stat(d.sock_dir)
    check(st.st_uid == pwd.getpwnam("nobody").pw_uid,
          "an existing socket directory is given to -u/-g too (the reference's pre-start)")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    d = Daemon("sockfile", [])
    os.makedirs(d.sock_dir)
    open(d.sock(4), "w").close()
    r = subprocess.run(d.cmd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30)
    check(r.returncode == 255 and "virtio-forwarder4.sock exists and is not a socket" in r.stdout,
          "a regular file at relay 4's socket path: exit 255, named")
    check(os.path.exists(d.sock(4)) and not os.path.exists(d.sock(0)),
          "the file is left alone, the other sockets taken back")


def main():
    require_env()
    start_up()
    server_mode()
    client_mode()
    log("PASS")


if __name__ == "__main__":
    run(main)
