# SPDX-License-Identifier: BSD-3-Clause
"""Real guests: a Linux VM under QEMU (TCG, virtio-net over vhost-user, vectors=0) pings a host
behind the VF stand-in through the relay. Scenarios: server mode with the split ring, the same
after the VM powers off and boots again on the same socket, the packed ring, and the split ring
over net_tap (a VF stand-in with RX interrupts, the host its kernel side), where every ping
(0.2 s apart) finds the worker asleep in interrupt mode and the guest's kick wakes it. Each asserts
0% loss, the relay's states while connected, and that the guest's own counters and the relay's
agree (a guest that did nothing cannot pass); after each guest, the daemon holds as many file
descriptors and mbufs as before (no leak).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import Vm, guest_image  # noqa: E402
import harness  # noqa: E402
from harness import (check, Daemon, log, require_env, run, sh, vf_host)  # noqa: E402

COUNT = 20
CACHE = 48  # a worker's mempool cache holds up to 1.5 bursts of 32


def open_fds(d):
    return len(os.listdir("/proc/%d/fd" % d.pid()))


def ping_through(d, vm, what):
    """Boot @vm, check its ping and the relay's view of it."""
    before = d.relay(0)
    vm.boot()
    check(vm.wait("VFWD-GUEST-UP"), "%s: guest up" % what)
    r = d.wait_state(0, "DPDK_READY", timeout=30)
    check(r["vm_state"] == "VIRTIO_READY", "%s: relay DPDK_READY / VIRTIO_READY" % what)
    check(vm.wait("VFWD-COUNTERS"), "%s: guest finished pinging" % what)
    sent_pings, answered = vm.echoes()
    check(sent_pings == COUNT and answered == COUNT,
          "%s: %d/%d pings answered, 0%% loss" % (what, answered, COUNT))
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
    guest_dir = guest_image()

    _, root_if, _ = vf_host("vq", addr="10.99.3.1/24")
    d = Daemon("vm", ["-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    append = "vfwd.ip=10.99.3.2/24 vfwd.peer=10.99.3.1 vfwd.count=%d" % COUNT

    ping_through(d, Vm("split", d.sock(0), guest_dir, append), "split ring")
    fds, mbufs = open_fds(d), d.relay(0)["mbufs_in_use"]
    ping_through(d, Vm("reboot", d.sock(0), guest_dir, append), "the VM booted again")
    # No leak across a guest's life: descriptors back to the same count, mbufs in use within
    # what the worker's mempool cache may hold.
    check(open_fds(d) == fds, "after the VM restart: %d open descriptors, as before" % fds)
    now = d.relay(0)["mbufs_in_use"]
    check(abs(now - mbufs) <= CACHE, "after the VM restart: %d mbufs in use, was %d" % (now, mbufs))
    ping_through(d, Vm("packed", d.sock(0), guest_dir, append, packed=True), "packed ring")
    check(open_fds(d) == fds, "after the packed-ring guest: %d open descriptors" % fds)
    check("packed on" in d.log(), "the packed ring was negotiated")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    interrupt_mode(guest_dir)
    log("PASS")


def interrupt_mode(guest_dir):
    tap = "vfwdvt" + harness.RUN_ID[-5:]
    # Sleeps of up to 5 s (a test hook; 100 ms otherwise): a kick that wakes nobody loses pings.
    d = Daemon("vm-irq", ["-P", "net_tap0,iface=%s=0" % tap], control=True,
               env={"VFWD_TEST_HOOKS": "1", "VFWD_TEST_IRQ_SLEEP_MS": "5000"}).start()
    check("has RX interrupts" in d.log(), "net_tap's RX interrupts found")
    sh("ip", "addr", "add", "10.99.4.1/24", "dev", tap)
    fds = open_fds(d)

    def sleeps():
        return int(d.flat_stats("--delay", "0")["worker_1.irq_sleeps"])
    before = sleeps()
    ping_through(d, Vm("irq", d.sock(0), guest_dir,
                       "vfwd.ip=10.99.4.2/24 vfwd.peer=10.99.4.1 vfwd.count=%d" % COUNT),
                 "interrupt mode")
    slept = sleeps() - before
    check(slept >= COUNT, "the worker slept in interrupt mode between pings (%d times)" % slept)
    check(open_fds(d) == fds, "after the guest: %d open descriptors, as before (kick fds "
          "dup()ed at each sleep all closed)" % fds)
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


if __name__ == "__main__":
    run(main)
