# SPDX-License-Identifier: BSD-3-Clause
"""Bad input on the control endpoints, as a table: each request gets a clear error (or a
harmless answer), changes nothing, and afterwards the daemon still answers, another relay's
traffic keeps flowing, and no fd or mbuf is leaked. The client is Python built from our .proto,
as existing clients are, plus raw ZeroMQ for bytes no client would send.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, load_proto, log, require_env, run, wait_for

import zmq  # noqa: E402

class Client:
    def __init__(self, ep):
        self.ctx = zmq.Context.instance()
        self.ep = ep

    def raw(self, data, timeout=3000):
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, timeout)
        s.connect(self.ep)
        try:
            s.send(data)
            return s.recv()
        except zmq.Again:
            return None
        finally:
            s.close()


def main():
    require_env()
    pb = load_proto()
    Op = pb.PortControlRequest
    d = Daemon("bad", ["-P", "net_null0,size=64=0", "-P", "net_null1,no-rx=1=1"],
               control=True).start()
    pc, st, cf = (Client(d.ep[k]) for k in ("port_control", "stats", "config"))
    fds0 = len(os.listdir("/proc/%d/fd" % d.pid()))
    time.sleep(0.3)
    mbufs0 = d.relay(0)["mbufs_in_use"]  # relay 0 floods (net_null): its RX ring is full

    def pci(dom, bus, slot, fn):
        return pb.PciAddress(domain=dom, bus=bus, slot=slot, function=fn)

    def req(**kw):
        return Op(**kw).SerializeToString()

    def ask_pc(data):
        raw = pc.raw(data)
        if raw is None:
            return None
        r = pb.PortControlResponse()
        r.ParseFromString(raw)
        return r

    # (what, bytes, the reference's error_code or None for an invalid request (no code, no
    # source), its error_code_source, text our error_text must contain)
    too_many = [pci(0, 2, 8, f) for f in range(8)] + [pci(0, 2, 9, 0)]
    ADD, RM, AS, QP = ("virtio_forwarder_add_vf2()", "virtio_forwarder_remove_vf2()",
                       "virtio_add_sock_dev_pair()", "virtio_query_pci()")
    table = [
        ("garbage bytes", b"\xff\xfe\x00garbage\x07", None, None,
         "not a valid PortControlRequest"),
        ("empty message", b"", None, None, "empty message"),
        ("a StatsRequest", pb.StatsRequest(relay=[1, 2]).SerializeToString(), None, None,
         "not a valid PortControlRequest"),
        ("oversized message", b"\x08\x00" + b"\x00" * (100 * 1024), None, None, "exceeds"),
        ("unknown op 9", b"\x08\x09\x18\x01", None, None, "unknown op 9"),
        ("virtio_id 64", req(op=Op.ADD, virtio_id=64, pci_addrs=[pci(0, 2, 8, 0)]), 1, ADD,
         "virtio_id 64 out of range"),
        ("virtio_id 4294967295", req(op=Op.ADD, virtio_id=4294967295, pci_addrs=[pci(0, 2, 8, 0)]),
         1, ADD, "out of range"),
        ("ADD without address", req(op=Op.ADD, virtio_id=5), None, None, "no VF given"),
        ("ADD without virtio_id", req(op=Op.ADD, pci_addrs=[pci(0, 2, 8, 0)]), None, None,
         "virtio_id missing"),
        ("more than 8 addresses", req(op=Op.ADD, virtio_id=5, pci_addrs=too_many), None, None,
         "at most 8"),
        ("2 VFs without a bond name", req(op=Op.ADD, virtio_id=5, device=["net_null5", "net_null6"]),
         None, None, "without a bond name"),
        ("a bond name with 1 VF", req(op=Op.ADD, virtio_id=5, device=["net_null5"], name="b0"),
         None, None, "needs 2 or more"),
        ("PCI address fields out of range", req(op=Op.ADD, virtio_id=5, pci_addrs=[pci(0, 2, 40, 9)]),
         None, None, "out of range"),
        ("REMOVE with the wrong VF", req(op=Op.REMOVE, virtio_id=0, device=["net_null9"],
                                         conditional=False), 3, RM,
         "has VF net_null0,size=64, not"),
        ("ADD of a VF another relay uses", req(op=Op.ADD, virtio_id=5, device=["net_null0,size=64"]),
         8, ADD, "already belongs to another relay"),
        ("ADD on a busy relay id", req(op=Op.ADD, virtio_id=0, device=["net_null5"]), 8, ADD,
         "already has VF net_null0,size=64"),
        ("ADD_SOCK without dynamic sockets", req(op=Op.ADD_SOCK, vhost_path="/tmp/x.sock",
                                                 pci_addrs=[pci(0, 2, 8, 0)]), 2, AS,
         "--dynamic-sockets"),
        ("QUERY_PCI of an unknown path", req(op=Op.QUERY_PCI, vhost_path="/nonexistent.sock"), 2,
         QP, "no relay has socket /nonexistent.sock"),
        ("QUERY_PCI without a path", req(op=Op.QUERY_PCI), None, None, "needs vhost_path"),
        ("a PCI address that does not exist", req(op=Op.ADD, virtio_id=5,
                                                  pci_addrs=[pci(0, 0x7e, 0x1f, 7)]), 2, ADD,
         "cannot probe PCI device 0000:7e:1f.7"),
        ("a device string DPDK rejects", req(op=Op.ADD, virtio_id=5, device=["net_nosuchpmd0,x=1"]),
         2, ADD, "DPDK rejected device string 'net_nosuchpmd0,x=1'"),
        ("a device string with bad arguments", req(op=Op.ADD, virtio_id=5,
                                                   device=["net_null5,bogus_arg=1"]),
         2, ADD, "DPDK rejected"),
        ("REMOVE of a missing relay, unconditional", req(op=Op.REMOVE, virtio_id=9,
                                                         device=["net_null9"], conditional=False),
         4, RM, "relay 9 has no VF"),
    ]
    before = d.relay(0)["vf_to_vm"]["pkts_rx_from_vf"]
    for what, data, code, source, text in table:
        r = ask_pc(data)
        if code is None:
            ok = r is not None and not r.HasField("error_code") and not r.HasField(
                "error_code_source")
        else:
            ok = r is not None and r.error_code == code and r.error_code_source == source
        check(ok and r.status == pb.PortControlResponse.ERROR and text in r.error_text,
              "%s: ERROR %s %s (%s)" % (what, r and r.HasField("error_code") and r.error_code,
                                        r and r.error_code_source, r and r.error_text))
        ids = d.vf_relays()
        check(ids == [0, 1], "   ... relays unchanged (%s)" % ids)
        # Progress within a second: two readings a millisecond apart can both fall in a slice
        # where the worker's CPU ran something else (seen once on two CPUs).
        now = wait_for(lambda: max(d.relay(0)["vf_to_vm"]["pkts_rx_from_vf"] - before, 0), 1,
                       "relay 0 still moving traffic") + before
        check(now > before, "   ... relay 0 still moving traffic")
        before = now

    # stats and config endpoints
    def ask_st(data):
        raw = st.raw(data)
        r = pb.StatsResponse()
        r.ParseFromString(raw)
        return r
    check(ask_st(b"\xff\xfe\x00garbage").status == pb.StatsResponse.EBADR, "stats: garbage: EBADR")
    # protobuf reads these bytes as a StatsRequest (field 1 as relay ids, 3 as delay): the
    # answer is a read-only stats reply or EBADR; nothing changes either way
    check(ask_st(req(op=Op.ADD, virtio_id=5, pci_addrs=[pci(0, 2, 8, 0)])).status
          in (pb.StatsResponse.OK, pb.StatsResponse.EBADR),
          "stats: a PortControlRequest gets a StatsResponse, adds nothing")
    check(5 not in d.vf_relays(), "   ... relay 5 was not added")
    check(ask_st(b"\x00" * (100 * 1024)).status == pb.StatsResponse.EBADR,
          "stats: 100 KB message: EBADR")
    check(ask_st(pb.StatsRequest(relay=list(range(65))).SerializeToString()).status
          == pb.StatsResponse.E2BIG, "stats: 65 relays asked: E2BIG")
    check(ask_st(pb.StatsRequest(relay=[64]).SerializeToString()).status == pb.StatsResponse.EBADR,
          "stats: relay 64: EBADR")
    check(ask_st(pb.StatsRequest(delay=3600000).SerializeToString()).status
          == pb.StatsResponse.EBADR, "stats: delay of an hour: EBADR")
    ok = ask_st(b"")
    check(ok.status == pb.StatsResponse.OK and len(ok.relay) == 32,
          "stats: an empty request is a valid default one (all 32 relays of this DPDK)")
    cfg = pb.ConfigResponse()
    cfg.ParseFromString(cf.raw(b"\xff\xfe\x00garbage"))
    check(cfg.status == pb.ConfigResponse.EBADR, "config: garbage: EBADR")
    cfg.ParseFromString(cf.raw(pb.StatsRequest(relay=[1]).SerializeToString()))
    check(cfg.status in (pb.ConfigResponse.OK, pb.ConfigResponse.EBADR),
          "config: a StatsRequest gets a ConfigResponse (read-only, harmless)")

    # a hard-oversized message: libzmq drops that peer; the service carries on
    check(pc.raw(b"\x00" * (2 * 1024 * 1024), timeout=1000) is None,
          "2 MB message: connection dropped, no answer")
    # clients that vanish mid-request
    for ep, data in ((d.ep["stats"], pb.StatsRequest(delay=1500).SerializeToString()),
                     (d.ep["port_control"], req(op=Op.QUERY_PCI, vhost_path=d.sock(0)))):
        s = zmq.Context.instance().socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(ep)
        s.send(data)
        s.close()
    t0 = time.time()
    r = ask_pc(req(op=Op.QUERY_PCI, vhost_path=d.sock(0)))
    check(r.status == pb.PortControlResponse.OK and r.query_string == "net_null0,size=64",
          "after vanished clients port control answers")
    check(ask_st(pb.StatsRequest(relay=[0], delay=100).SerializeToString()).relay[0].active is False
          and time.time() - t0 < 2, "... and stats answers within its own window")
    time.sleep(1.6)  # the vanished client's window ends: its reply goes nowhere

    # a client flooding bad requests cannot flood the log
    time.sleep(1.1)
    n0 = d.log().count("port control request refused")
    for _ in range(40):
        ask_pc(b"\xff")
    time.sleep(1.1)
    ask_pc(b"\xff")
    logged = d.log().count("port control request refused") - n0
    # 10 a second: the burst may straddle two one-second windows
    check(logged <= 21 and "refusals not logged (over 10 a second)" in d.log(),
          "41 refusals, %d logged, the rest counted in one line" % logged)

    fds1 = len(os.listdir("/proc/%d/fd" % d.pid()))
    check(fds1 <= fds0 + 2, "no fd leaked (%d before, %d after)" % (fds0, fds1))
    # in use moves by a worker's mempool cache (1.5 bursts) and a burst in hand, no more
    now = d.relay(0)["mbufs_in_use"]
    check(abs(now - mbufs0) <= 48 + 32, "no mbuf leaked (%d in use, %d before the bad input)"
          % (now, mbufs0))
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
