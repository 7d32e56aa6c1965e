# SPDX-License-Identifier: BSD-3-Clause
"""Real guests: a Linux VM under QEMU (TCG, virtio-net over vhost-user, vectors=0) pings a host
behind the VF stand-in through the relay. Scenarios: server mode with the split ring, the same
after the VM powers off and boots again on the same socket, and the packed ring. Each asserts
0% loss, the relay's states while connected, and that the guest's own counters and the relay's
agree (a guest that did nothing cannot pass).
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
from harness import (Daemon, check, log, netns, on_exit, require_env, run, skip, tmpdir, veth,
                     wait_for, RUN_ID)

SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
COUNT = 20


class Vm:
    """One QEMU guest booting our kernel and initramfs; its serial console goes to a file."""

    def __init__(self, name, sock, guest_dir, append, packed=False):
        self.name = name
        self.log = os.path.join(tmpdir("vm-" + name), "serial.log")
        dev = "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,vectors=0"
        if packed:
            dev += ",packed=on"
        self.cmd = ["timeout", "-s", "KILL", "120", "qemu-system-x86_64", "-machine",
                    "q35,accel=tcg", "-cpu", "max", "-smp", "1", "-m", "256M",
                    "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
                    "-numa", "node,memdev=mem", "-chardev", "socket,id=chr0,path=" + sock,
                    "-netdev", "vhost-user,id=net0,chardev=chr0", "-device", dev,
                    "-kernel", os.path.join(guest_dir, "vmlinuz"),
                    "-initrd", os.path.join(guest_dir, "initramfs.cpio.gz"),
                    "-append", "console=ttyS0 quiet ipv6.disable=1 " + append,
                    "-display", "none", "-serial", "file:" + self.log, "-nodefaults",
                    "-no-reboot"]
        self.proc = None

    def boot(self):
        open(self.log, "w").close()
        log("vm %s: %s" % (self.name, " ".join(self.cmd[4:])))
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        on_exit(lambda p=self.proc: p.poll() is None and os.killpg(p.pid, 9))
        return self

    def serial(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait(self, marker, timeout=60):
        return wait_for(lambda: marker in self.serial() or self.proc.poll() is not None, timeout,
                        "%s on %s's console" % (marker, self.name)) and marker in self.serial()

    def counters(self):
        m = re.search(r"VFWD-COUNTERS rx_packets=(\d+) tx_packets=(\d+)", self.serial())
        return (int(m.group(1)), int(m.group(2))) if m else None


def ping_through(d, vm, what):
    """Boot @vm, check its ping and the relay's view of it."""
    before = d.relay(0)
    vm.boot()
    check(vm.wait("VFWD-GUEST-UP"), "%s: guest up" % what)
    r = d.wait_state(0, "DPDK_READY", timeout=30)
    check(r["vm_state"] == "VIRTIO_READY", "%s: relay DPDK_READY / VIRTIO_READY" % what)
    check(vm.wait("VFWD-COUNTERS"), "%s: guest finished pinging" % what)
    out = vm.serial()
    m = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
    check(m and int(m.group(1)) == COUNT and int(m.group(2)) == COUNT,
          "%s: %s/%d pings answered, 0%% loss" % (what, m and m.group(2), COUNT))
    rx, tx = vm.counters()
    after = d.relay(0)
    got = after["vm_to_vf"]["pkts_rx_from_vm"] - before["vm_to_vf"]["pkts_rx_from_vm"]
    sent = after["vf_to_vm"]["pkts_tx_to_vm"] - before["vf_to_vm"]["pkts_tx_to_vm"]
    check(got == tx, "%s: the relay took exactly the guest's %d frames" % (what, tx))
    check(sent == rx, "%s: the guest got exactly the relay's %d frames" % (what, rx))
    check(vm.wait("VFWD-POWEROFF") and vm.proc.wait(20) == 0, "%s: guest powered off" % what)
    d.wait_state(0, "DPDK_ADDED", timeout=15)


def main():
    require_env()
    for tool in ("qemu-system-x86_64",):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode:
            skip("%s missing: run scripts/setup.sh" % tool)
    if not os.path.isdir("/lib/modules") or not os.listdir("/lib/modules"):
        skip("no kernel modules for the guest: run scripts/setup.sh (linux-image-amd64)")
    guest_dir = tmpdir("guest")
    r = subprocess.run(["bash", os.path.join(SRC, "scripts/build-guest.sh")], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, VFWD_GUEST_DIR=guest_dir))
    check(r.returncode == 0, "guest image built from Debian's kernel and busybox")

    ns = netns("vfwd-vm-" + RUN_ID)
    root_if = "vqa" + RUN_ID[-6:]
    veth(root_if, ns, "vqb" + RUN_ID[-6:], addr="10.99.3.1/24")
    d = Daemon("vm", ["-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    append = "vfwd.ip=10.99.3.2/24 vfwd.peer=10.99.3.1 vfwd.count=%d" % COUNT

    ping_through(d, Vm("split", d.sock(0), guest_dir, append), "split ring")
    ping_through(d, Vm("reboot", d.sock(0), guest_dir, append), "the VM booted again")
    ping_through(d, Vm("packed", d.sock(0), guest_dir, append, packed=True), "packed ring")
    check("packed on" in d.log(), "the packed ring was negotiated")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
