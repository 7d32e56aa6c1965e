# SPDX-License-Identifier: BSD-3-Clause
"""libvirt: domains defined from the operator examples shipped in doc/libvirt/ (only name,
paths and domain type changed) boot under a private libvirtd and ping a host behind the VF
through the relay.

1. Server mode (relay-server-mode.xml, `<source mode='client'>` with `<reconnect>`).
2. Client mode (relay-client-mode.xml, `<source mode='server'>`; libvirt refuses `<reconnect>`
   there, the daemon does the reconnecting), daemon with -i.

Each: 20/20 pings, relay DPDK_READY/VIRTIO_READY while the domain runs, the guest's counters
equal the relay's, the domain shuts off at power-off; then a second domain pings every 0.1 s
while the daemon is SIGKILLed and restarted: pings resume (QEMU reconnects in server mode, the
daemon in client mode) and the loss is reported.
"""
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import guest_image  # noqa: E402
from libvirt import Domain, Libvirtd, check_example_is_used  # noqa: E402
from harness import (check, Daemon, log, require_env, run, RUN_ID, vf_host)  # noqa: E402


def relay_agrees(d, rid, vm, before, what):
    rx, tx = vm.counters()
    after = d.relay(rid)
    got = after["vm_to_vf"]["pkts_rx_from_vm"] - before["vm_to_vf"]["pkts_rx_from_vm"]
    put = after["vf_to_vm"]["pkts_tx_to_vm"] - before["vf_to_vm"]["pkts_tx_to_vm"]
    check(got == tx and put == rx, "%s: the relay's counts equal the guest's (%d rx, %d tx)"
          % (what, rx, tx))


def restart_under_ping(d, rid, vm, what):
    """SIGKILL the daemon while the domain pings every 0.1 s, start it again: pings resume."""
    check(vm.wait("seq=10 "), "%s: pings flow" % what)
    os.kill(d.pid(), signal.SIGKILL)
    d.proc.wait(10)
    time.sleep(0.3)
    d.start()
    d.wait_state(rid, "DPDK_READY", timeout=30)
    log("%s: daemon SIGKILLed and back, relay %d ready again" % (what, rid))
    check(vm.wait("VFWD-COUNTERS", timeout=60), "%s: guest done" % what)
    seqs = vm.replies()
    check(seqs and max(seqs) >= 55, "%s: pings resumed after the restart (last answered seq %d)"
          % (what, max(seqs) if seqs else -1))
    lost = 60 - len(seqs)
    log("%s: %d of 60 pings lost across the daemon's SIGKILL and restart" % (what, lost))
    check(lost <= 20, "%s: at most 2 s of pings lost (%d)" % (what, lost))


def one_mode(lv, guest_dir, root_if, example, rid, client):
    what = "libvirt, %s mode" % ("client" if client else "server")
    check_example_is_used(example)
    d = Daemon("lv-%d" % rid, ["-P", "net_af_packet0,iface=%s=%d" % (root_if, rid)],
               client=client, control=True).start()
    before = d.relay(rid)
    vm = Domain(lv, example, "vfwd-lv%d-%s" % (rid, RUN_ID), d.sock(rid), guest_dir,
                "vfwd.ip=10.99.7.2/24 vfwd.peer=10.99.7.1 vfwd.count=20 vfwd.interval=0.2")
    vm.boot()
    check(vm.wait("VFWD-GUEST-UP"), "%s: domain booted" % what)
    r = d.wait_state(rid, "DPDK_READY", timeout=30)
    check(r["vm_state"] == "VIRTIO_READY", "%s: relay %d DPDK_READY / VIRTIO_READY" % (what, rid))
    if "name='host_mtu' type='unsigned' value='1500'" in open(vm.xml).read():
        mtu = d.flat_stats().get("relay_%d.vhost.mtu" % rid)
        check(mtu == "1500", "%s: the domain's host_mtu 1500 reached the relay (stats: %s)"
              % (what, mtu))
    check(vm.wait("VFWD-COUNTERS"), "%s: guest done" % what)
    sent, answered = vm.echoes()
    check(sent == 20 and answered == 20, "%s: %d/20 pings answered" % (what, answered))
    relay_agrees(d, rid, vm, before, what)
    check(vm.wait_off(), "%s: guest powered off, domain shut off" % what)
    d.wait_state(rid, "DPDK_ADDED")

    vm = Domain(lv, example, "vfwd-lv%dr-%s" % (rid, RUN_ID), d.sock(rid), guest_dir,
                "vfwd.ip=10.99.7.2/24 vfwd.peer=10.99.7.1 vfwd.count=60 vfwd.interval=0.1")
    vm.boot()
    check(vm.wait("VFWD-GUEST-UP"), "%s: second domain booted" % what)
    restart_under_ping(d, rid, vm, what)
    check(vm.wait_off(), "%s: guest powered off, domain shut off" % what)
    rc, _ = d.stop()
    check(rc == 0, "%s: daemon exits 0" % what)


def main():
    require_env()
    guest_dir = guest_image()
    _, root_if, _ = vf_host("lv", addr="10.99.7.1/24")
    lv = Libvirtd().start()
    one_mode(lv, guest_dir, root_if, "relay-server-mode.xml", 1, client=False)
    one_mode(lv, guest_dir, root_if, "relay-client-mode.xml", 2, client=True)
    log("PASS")


if __name__ == "__main__":
    run(main)
