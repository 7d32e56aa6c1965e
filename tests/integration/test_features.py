# SPDX-License-Identifier: BSD-3-Clause
"""Feature negotiation and VF MTU: offloads only with -T, mergeable buffers only with -R,
CTRL_RX never; the negotiated set is read from the guest (virtio_user's own log of what it
negotiated) and matches what the daemon logs; the VF MTU is read from the port (DPDK
telemetry /ethdev/info). -J asks the VF for a 9000 MTU, or says why not.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, vf_host)

MRG_RXBUF, CSUM, HOST_TSO4, CTRL_RX = 15, 0, 11, 18


OFFLOADS = ["--tx-offloads=0x2c", "--rx-offloads=0xc"]  # TX TCP/UDP csum + TSO, RX TCP/UDP csum


def negotiated(flags, name, offloads):
    """(features the guest negotiated, the daemon's words on them, the VF port's MTU)."""
    d = Daemon("feat-" + name, flags + ["-P", "net_null0,no-rx=1=0"]).start()
    # The guest offers a control queue (CTRL_RX) and mergeable buffers, and may ask for
    # offloads: we decide what it gets. virtio_user logs what it negotiated.
    g = Guest("feat-" + name, ["virtio_user0,path=%s,cq=1,mrg_rxbuf=1" % d.sock(0)],
              fwd="rxonly", extra=OFFLOADS if offloads else [],
              eal=["--log-level=pmd.net.virtio.init:debug"]).start()
    s = d.wait_state(0, "DPDK_READY")
    mtu = d.telemetry("/ethdev/info,%d" % s["port"])["/ethdev/info"]["mtu"]
    # the last negotiation is what the running guest uses
    guest = re.findall(r"features after negotiate = ([0-9a-f]+)", g.log())
    g.stop()
    text = d.log()
    d.stop()
    ours = re.findall(r"negotiated features 0x([0-9a-f]+) \((.*)\)", text)
    # The bits under test, as the guest and the daemon see them (virtio_user adds features it
    # serves itself, the control queue and STATUS; vhost-user adds PROTOCOL_FEATURES).
    bits = (MRG_RXBUF, CSUM, HOST_TSO4, CTRL_RX)
    g_bits = [int(guest[-1], 16) >> b & 1 for b in bits] if guest else None
    o_bits = [int(ours[-1][0], 16) >> b & 1 for b in bits] if ours else None
    check(guest and ours and g_bits == o_bits,
          "%s: the guest negotiated 0x%s; MRG_RXBUF, CSUM, HOST_TSO4, CTRL_RX %s, as the daemon "
          "logged (0x%s: %s)" % (name, guest[-1] if guest else "?", g_bits,
                                  ours[-1][0] if ours else "?", ours[-1][1] if ours else "-"))
    return int(guest[-1], 16), ours[-1][1], mtu


def offloads_refused():
    """Without -T a guest that needs offloads cannot have them: its port lacks the capability."""
    d = Daemon("feat-nooff", ["-P", "net_null0,no-rx=1=0"]).start()
    g = Guest("feat-nooff", ["virtio_user0,path=%s" % d.sock(0)], fwd="rxonly", extra=OFFLOADS)
    g.start(wait_ready=False)
    g.proc.wait(30)
    check("doesn't match Rx offloads capabilities" in g.log(),
          "without -T the guest is offered no checksum/TSO offloads")
    g.stop()
    d.stop()


def main():
    require_env()
    offloads_refused()
    f, text, mtu = negotiated([], "default", offloads=False)
    check(not f & (1 << MRG_RXBUF) and "mrg_rxbuf off" in text, "default: no mergeable buffers")
    check(not f & (1 << CSUM) and not f & (1 << HOST_TSO4) and "tso off, csum off" in text,
          "default: no TSO or checksum offload")
    check(not f & (1 << CTRL_RX) and "ctrl_rx off" in text, "default: CTRL_RX off")
    check(mtu == 1500, "default: the VF port's MTU is 1500 (telemetry)")

    f, text, mtu = negotiated(["-R", "-T", "-J"], "all", offloads=True)
    check(f & (1 << MRG_RXBUF) and "mrg_rxbuf on" in text, "-R: mergeable buffers negotiated")
    check(f & (1 << CSUM) and f & (1 << HOST_TSO4) and "tso on, csum on" in text,
          "-T: TSO and checksum offloads negotiated")
    check(not f & (1 << CTRL_RX), "-R -T: CTRL_RX still off")
    check(mtu == 9000, "-J: the VF port's MTU is 9000 (telemetry)")

    _, root_if, _ = vf_host("vf")
    d = Daemon("feat-jumbo", ["-J", "-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    check("VF MTU 9000 asked but net_af_packet0 supports 46 to 1500; using 1500" in d.log(),
          "-J on a VF that cannot: the limit is logged, the relay still runs")
    check(d.relay(0)["vf_state"] == "DPDK_ADDED", "relay up at the VF's own MTU")
    d.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
