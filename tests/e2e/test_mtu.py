# SPDX-License-Identifier: BSD-3-Clause
"""MTU and buffers with a real guest.

1. Jumbo: the VF stand-in is net_pcap on a veth of MTU 9000 (the one virtual device whose
   frame limit allows it), the daemon runs with --vf-mtu 9000 and the guest's device has
   host_mtu=9000: the MTU reaches the backend through vhost-user NET_MTU, the guest's link
   shows 9000, and `ping -s 8000` to the host behind the VF passes, with mergeable buffers off
   and (-R) on. Stats report both MTUs. The host's 9142-byte frames (its veth takes 9500) are
   longer than the guest's MTU allows: counted as oversize drops, the relay unharmed.
2. Applied to the VF: a tap VF at 1500 and a guest with host_mtu=1400: the relay sets the VF
   (the tap the kernel sees) to 1400, and back to 1500 when the guest is gone.
3. Too big for the VF: the same 1500 VF and a guest with host_mtu=9000: the relay logs why it
   cannot follow, the guest's 8000-byte pings are counted as oversize drops (exactly the
   frames the guest sent), and the daemon and relay carry on.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vm import Vm, guest_image  # noqa: E402
from harness import (check, Daemon, log, require_env, run, RUN_ID, sh, vf_host,  # noqa: E402
                     wait_for)

COUNT = 5


def jumbo(guest_dir, ns, root_if, mrgbuf):
    what = "jumbo, mergeable buffers %s" % ("on" if mrgbuf else "off")
    d = Daemon("mtu-j%d" % mrgbuf, (["-R"] if mrgbuf else []) + [
        "--vf-mtu", "9000", "-P", "net_pcap0,iface=%s=0" % root_if], control=True).start()
    vm = Vm("jumbo%d" % mrgbuf, d.sock(0), guest_dir,
            "vfwd.ip=10.99.5.2/24 vfwd.peer=10.99.5.1 vfwd.count=%d vfwd.interval=0.3 "
            "vfwd.size=8000 vfwd.stay=1" % COUNT, host_mtu=9000).boot()
    check(vm.wait("VFWD-GUEST-UP") and "mtu 9000" in vm.serial(),
          "%s: the guest's link has MTU 9000 (host_mtu through NET_MTU)" % what)
    check(vm.wait("VFWD-COUNTERS", timeout=60), "%s: guest done" % what)
    sent, answered = vm.echoes()
    check(sent == COUNT and answered == COUNT,
          "%s: %d/%d pings of 8000 bytes answered" % (what, answered, COUNT))
    s = d.flat_stats()
    check(s.get("relay_0.vhost.mtu") == "9000" and s.get("relay_0.vf.mtu") == "9000",
          "%s: stats report guest MTU %s and VF MTU %s" % (what, s.get("relay_0.vhost.mtu"),
                                                          s.get("relay_0.vf.mtu")))
    check("guest MTU 9000 (vhost-user NET_MTU)" in d.log(), "%s: NET_MTU logged" % what)
    # The wire takes 9500: frames longer than the guest's MTU must stop at the relay.
    before = d.relay(0)["vf_to_vm"]["pkts_dropped_oversize"]
    sh("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "1", "-M", "do", "-s",
       "9100", "10.99.5.2", ok=False)
    big = d.relay(0)["vf_to_vm"]["pkts_dropped_oversize"] - before
    check(big == 3, "%s: 3 frames of 9142 bytes for a 9000-MTU guest counted as oversize "
          "drops (%d)" % (what, big))
    check(d.relay(0)["vm_state"] == "VIRTIO_READY", "%s: relay unharmed" % what)
    rc, _ = d.stop()
    check(rc == 0, "%s: daemon exits 0" % what)


def tap_mtu(tap):
    with open("/sys/class/net/%s/mtu" % tap) as f:
        return int(f.read())


def applied_and_refused(guest_dir):
    tap = "vmt" + RUN_ID[-6:]
    d = Daemon("mtu-tap", ["-P", "net_tap0,iface=%s=0" % tap], control=True).start()
    check(tap_mtu(tap) == 1500, "tap VF starts at MTU 1500")

    # The guest pings nobody for ~3 s: time to look at the VF while it is there.
    vm = Vm("mtu1400", d.sock(0), guest_dir, "vfwd.ip=10.99.6.2/24 vfwd.peer=10.99.6.1 "
            "vfwd.count=6 vfwd.interval=0.5", host_mtu=1400).boot()
    check(vm.wait("VFWD-GUEST-UP") and "mtu 1400" in vm.serial(), "guest link at MTU 1400")
    # the daemon logs the change once the port is started and given back to the workers
    wait_for(lambda: tap_mtu(tap) == 1400 and "MTU 1500 -> 1400" in d.log(), 10,
             "VF MTU follows the guest")
    check(tap_mtu(tap) == 1400 and "MTU 1500 -> 1400 (the guest's)" in d.log(),
          "the relay set the VF (the kernel's tap) to the guest's MTU 1400")
    check("stopped and started for its MTU, no worker polling it" in d.log()
          and "did not start again" not in d.log(),
          "the MTU changed on a stopped port no worker polled (several drivers refuse it live)")
    check(d.flat_stats().get("relay_0.vf.mtu") == "1400", "stats: VF MTU 1400")
    check(vm.wait("VFWD-POWEROFF") and vm.proc.wait(20) == 0, "guest powered off")
    wait_for(lambda: tap_mtu(tap) == 1500, 10, "VF MTU back to the configured one")
    check(tap_mtu(tap) == 1500, "guest gone: the VF is back at its configured MTU 1500")

    # The host answers ARP on the tap, so the guest does send its big pings.
    sh("ip", "addr", "add", "10.99.6.1/24", "dev", tap)
    before = d.relay(0)["vm_to_vf"]
    vm = Vm("mtu9000", d.sock(0), guest_dir,
            "vfwd.ip=10.99.6.2/24 vfwd.peer=10.99.6.1 vfwd.count=3 vfwd.interval=0.2 "
            "vfwd.size=8000", host_mtu=9000).boot()
    check(vm.wait("VFWD-COUNTERS", timeout=60), "guest at 9000 done pinging")
    check("guest MTU 9000 not applied to VF net_tap0,iface=%s: its buffers hold MTU 1500 at "
          "most" % tap in d.log(), "the relay logs why it cannot follow MTU 9000")
    after = d.relay(0)["vm_to_vf"]
    big = after["pkts_dropped_oversize"] - before["pkts_dropped_oversize"]
    check(big == 3, "the guest's 3 pings of 8028 bytes counted as oversize drops (%d)" % big)
    check(after["bytes_dropped_oversize"] - before["bytes_dropped_oversize"] == 3 * 8042,
          "oversize bytes: 3 frames of 8042 bytes")
    check(vm.wait("VFWD-POWEROFF") and vm.proc.wait(20) == 0, "guest powered off")
    check(d.relay(0)["vf_state"] == "DPDK_ADDED", "the relay carries on")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


def main():
    require_env()
    guest_dir = guest_image()
    ns, root_if, ns_if = vf_host("mj", addr="10.99.5.1/24")
    sh("ip", "link", "set", root_if, "mtu", "9500")
    sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "mtu", "9500")
    jumbo(guest_dir, ns, root_if, mrgbuf=False)
    jumbo(guest_dir, ns, root_if, mrgbuf=True)
    applied_and_refused(guest_dir)
    log("PASS")


if __name__ == "__main__":
    run(main)
