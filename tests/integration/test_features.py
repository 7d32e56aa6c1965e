# SPDX-License-Identifier: BSD-3-Clause
"""Feature negotiation and VF MTU: offloads only with -T, mergeable buffers only with -R,
CTRL_RX never; the negotiated set is logged. -J asks the VF for a 9000 MTU, or says why not.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, vf_host)

MRG_RXBUF, CSUM, HOST_TSO4, CTRL_RX = 15, 0, 11, 18


OFFLOADS = ["--tx-offloads=0x2c", "--rx-offloads=0xc"]  # TX TCP/UDP csum + TSO, RX TCP/UDP csum


def negotiated(flags, name, offloads):
    d = Daemon("feat-" + name, flags + ["-P", "net_null0,no-rx=1=0"]).start()
    # The guest offers a control queue (CTRL_RX) and mergeable buffers, and may ask for
    # offloads: we decide what it gets.
    g = Guest("feat-" + name, ["virtio_user0,path=%s,cq=1,mrg_rxbuf=1" % d.sock(0)],
              fwd="rxonly", extra=OFFLOADS if offloads else []).start()
    d.wait_state(0, "DPDK_READY")
    g.stop()
    text = d.log()
    d.stop()
    # the last negotiation is what the running guest uses
    m = list(re.finditer(r"negotiated features 0x([0-9a-f]+) \((.*)\)", text))[-1:]
    m = m[0] if m else None
    check(m is not None, "%s: negotiated features logged: %s" % (name, m and m.group(2)))
    mtu = re.search(r"is port \d+ on NUMA socket \d+, MTU (\d+)", text)
    return int(m.group(1), 16), m.group(2), int(mtu.group(1))


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
    check(mtu == 1500, "default: VF MTU left at 1500")

    f, text, mtu = negotiated(["-R", "-T", "-J"], "all", offloads=True)
    check(f & (1 << MRG_RXBUF) and "mrg_rxbuf on" in text, "-R: mergeable buffers negotiated")
    check(f & (1 << CSUM) and f & (1 << HOST_TSO4) and "tso on, csum on" in text,
          "-T: TSO and checksum offloads negotiated")
    check(not f & (1 << CTRL_RX), "-R -T: CTRL_RX still off")
    check(mtu == 9000, "-J: VF MTU 9000")

    _, root_if, _ = vf_host("vf")
    d = Daemon("feat-jumbo", ["-J", "-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    check("VF MTU 9000 asked but net_af_packet0 supports 46 to 1500; using 1500" in d.log(),
          "-J on a VF that cannot: the limit is logged, the relay still runs")
    check(d.relay(0)["vf_state"] == "DPDK_ADDED", "relay up at the VF's own MTU")
    d.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
