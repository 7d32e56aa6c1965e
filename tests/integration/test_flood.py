# SPDX-License-Identifier: BSD-3-Clause
"""Control-plane flood: 10000 mixed requests from 4 clients at once (ZeroMQ, our .proto, as
existing clients are), each reply checked against what that request must get:
- ADD and REMOVE of the client's own relay (ids 10..13) in turn: OK every time;
- QUERY_PCI of relay 0's socket: OK, with relay 0's device;
- stats of relays 0 and the client's own: OK, exactly the relays asked for, the client's
  with its VF exactly when it has one;
- config: OK, relay 0 in the CPU map.
Meanwhile a fifth client asks for stats every 20 ms and its latency is reported (median, p99,
max); relay 0's traffic (flooding VF, echoing guest) must keep moving; afterwards the daemon's
fds are back to the baseline and the four relays are gone.
"""
import os
import sys
import threading
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, load_proto, log, require_env, run
from test_churn import fds

REQUESTS = int(os.environ.get("VFWD_FLOOD_REQUESTS", "10000"))
CLIENTS = 4


class Client:
    def __init__(self, ctx, ep):
        self.s = ctx.socket(zmq.REQ)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.setsockopt(zmq.RCVTIMEO, 10000)
        self.s.connect(ep)

    def ask(self, msg, reply_cls):
        self.s.send(msg.SerializeToString())
        r = reply_cls()
        r.ParseFromString(self.s.recv())
        return r


def flood(pb, d, ctx, k, count, errors, done):
    Op, PcResp = pb.PortControlRequest, pb.PortControlResponse
    pc = Client(ctx, d.ep["port_control"])
    st = Client(ctx, d.ep["stats"])
    cf = Client(ctx, d.ep["config"])
    rid, dev = 10 + k, "net_null%d,no-rx=1" % (10 + k)
    has_vf = False
    try:
        for i in range(count):
            kind = i % 10
            if kind in (0, 5):  # ADD or REMOVE, in turn
                op = Op.REMOVE if has_vf else Op.ADD
                r = pc.ask(Op(op=op, virtio_id=rid, device=[dev], conditional=False), PcResp)
                ok = r.status == PcResp.OK
                has_vf = not has_vf
            elif kind in (1, 6):
                r = pc.ask(Op(op=Op.QUERY_PCI, vhost_path=d.sock(0)), PcResp)
                ok = r.status == PcResp.OK and "net_null0" in r.query_string
            elif kind in (2, 3, 7, 8):
                r = st.ask(pb.StatsRequest(relay=[0, rid]), pb.StatsResponse)
                got = {x.id: x.vf.pci_addr_str for x in r.relay}
                ok = (r.status == pb.StatsResponse.OK and sorted(got) == [0, rid]
                      and (got[rid] == dev) == has_vf)
            else:
                r = cf.ask(pb.ConfigRequest(), pb.ConfigResponse)
                ok = (r.status == pb.ConfigResponse.OK
                      and 0 in [m.relay_number for m in r.relay_cpu_map])
            if not ok:
                errors.append("client %d request %d (kind %d): %s" % (k, i, kind, str(r)[:300]))
                return
            done[k] += 1
        if has_vf:
            pc.ask(Op(op=Op.REMOVE, virtio_id=rid, device=[dev], conditional=False), PcResp)
    except Exception as e:  # a timeout or a bad reply: recorded, checked by main
        errors.append("client %d: %r" % (k, e))


def main():
    require_env()
    pb = load_proto()
    d = Daemon("flood", ["-P", "net_null0,size=64=0"], control=True).start()
    guest = Guest("flood", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap").start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(0.3)
    fds0 = fds(d)
    ctx = zmq.Context()
    errors, done, lat = [], [0] * CLIENTS, []
    stop = threading.Event()

    def watcher():
        c = Client(ctx, d.ep["stats"])
        while not stop.is_set():
            t = time.time()
            r = c.ask(pb.StatsRequest(relay=[0]), pb.StatsResponse)
            lat.append(time.time() - t)
            if r.status != pb.StatsResponse.OK or [x.id for x in r.relay] != [0]:
                errors.append("watcher: %s" % r)
            time.sleep(0.02)

    before = d.relay(0)["vf_to_vm"]["pkts_tx_to_vm"]
    w = threading.Thread(target=watcher)
    w.start()
    t0 = time.time()
    threads = [threading.Thread(target=flood, args=(pb, d, ctx, k, REQUESTS // CLIENTS, errors,
                                                    done)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    secs = time.time() - t0
    stop.set()
    w.join(30)
    check(not errors, "every reply as expected (%s)" % (errors[:3] or "no error"))
    check(sum(done) == REQUESTS, "%d requests from %d clients in %.1fs (%.0f per second)"
          % (sum(done), CLIENTS, secs, sum(done) / secs))
    lat.sort()
    check(len(lat) > 10, "concurrent stats request latency: median %.1f ms, p99 %.1f ms, max "
          "%.1f ms (%d requests)" % (1000 * lat[len(lat) // 2], 1000 * lat[len(lat) * 99 // 100],
                                     1000 * lat[-1], len(lat)))
    after = d.relay(0)["vf_to_vm"]["pkts_tx_to_vm"]
    check(after > before, "relay 0 kept moving frames (%d to its guest)" % (after - before))
    check(d.vf_relays() == [0], "the clients' relays are gone (%s)" % d.vf_relays())
    ctx.destroy(0)
    time.sleep(0.3)
    check(fds(d) == fds0, "%d open fds, %d before" % (fds(d), fds0))
    d.stop_ok("daemon exits 0")
    guest.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
