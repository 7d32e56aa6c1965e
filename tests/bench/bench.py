# SPDX-License-Identifier: BSD-3-Clause
"""bench.py: throughput, loss, latency, idle CPU and memory of our relay, side by side with
dpdk-testpmd doing the same job where there is one, alternating, many rounds; results tables
(min / median / max, ratio of medians).

The machines have two cores, so every scenario keeps to two busy pollers where it can: the
relay's forwarding lcore on CPU 1 (ours: the worker; testpmd: its io forwarding lcore) and
the guest (testpmd on virtio_user) on CPU 0.
  vf2vm-64, vf2vm-1518  net_null (an endless source of 60 / 1514-byte frames) -> relay ->
                        guest rxonly; the figure is the guest's received packets per second
  vm2vf-64, vm2vf-1518  guest txonly -> relay -> net_null sink; the guest's sent packets
                        per second (what the relay took from it)
  ...-packed, ...-4q    the same with packed rings, or with 4 queue pairs in the guest
  pvp-64@R              vfwd-gen on a net_memif port (the VF stand-in, a real peer) offers R
                        frames/s -> relay -> guest macswap -> relay -> vfwd-gen: received
                        rate, lost frames, latency p50/p99. The generator shares CPU 0 with
                        the guest and sleeps between batches (about 200 us apart, which its
                        latency figures include, alike for both relays).
  zeroloss-64           PVP: the highest offered rate with no frame lost (binary search, as
                        RFC 2544), then latency at 10, 50 and 90 % of it (generator waking at
                        least every 50 us)
  wake-64@1k            PVP at 1000 frames/s one by one: every frame finds the relay idle;
                        its latency is what the idle policy adds to the first frame
  wake-tap-64@100, wake-tap-vm-64@100
                        the same at 100 frames/s over net_tap, the VF stand-in with RX
                        interrupts: vfwd-gen on the tap's kernel side (net_af_packet) and as
                        the guest, frames from the VF side (or from the guest: -vm), the
                        other side echoing; ours in interrupt mode (the default), with timed
                        sleeps only (ours-timed) and spinning; each gap is 10 ms, so the
                        worker is asleep in epoll when a frame comes
  lanes-64              ours only: vf2vm-64 into a 4-queue guest, the VF with 1 queue pair
                        (1q), 2 (2q: --vf-queues 2, one worker), 2 on two workers (2q-2w:
                        test-only, both on CPU 1, as this machine has no third CPU): what a
                        lane costs; the scaling itself needs a core per worker
  relays                ours only: 1 relay, 32 relays (Debian's DPDK caps ports at 32) with 1
                        and with 8 carrying vf2vm-64 traffic, all on one worker; the others
                        have a VF and a connected guest, idle
  idle                  ours only: worker CPU (from /proc) with 32 relays, VFs and connected
                        guests, no traffic; idle policy on (ours) and off (ours-spin)
  idle-tap              the same with 8 relays over net_tap: interrupt mode (ours) against
                        timed sleeps (ours-timed)
  mem                   ours only: DPDK memory (telemetry /eal/heap_info) with 1, 8, 32 relays
  addrm                 ours only: add + remove of a VF through the port-control tool, 50 times
  tso-sw                ours only (-T): a guest (testpmd csum engine, TSO at MSS 1448, one
                        60 kB TCP frame from a pcap file, replayed) -> relay segmenting and
                        checksumming in software -> net_null sink (a VF without offloads): Gbit/s
                        of guest frames the relay sent, over the relay's own counters

Each round starts every process afresh; the relays alternate (testpmd first in even rounds,
last in odd ones). The memory mode is the same for all (--no-huge, 256 MB). --spin adds
ours with the idle policy off (ours-spin) to the throughput scenarios.

  python3 tests/bench/bench.py [--rounds 7] [--seconds 5] [--scenarios a,b] [--spin] [--json F]
  python3 tests/bench/bench.py --smoke   (the suite: one short round each, frames must arrive)
  VFWD_ALT_BIN=/path/to/other/virtio-forwarder python3 tests/bench/bench.py ...
        adds ours-alt, another build of ours, to the throughput scenarios: the A/B of a change
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness as h  # noqa: E402
from procs import GEN, BenchGuest, Gen, OurRelay, TestpmdRelay, memif_sock, tap_pvp  # noqa: E402
from vhostuser import Frontend  # noqa: E402

SPIN = ["--idle-sleep-max-us", "0"]
BASE = ("testpmd", "ours")  # implementations compared, and the base of the ratio (first)


def oneway(vf, guest, metric, size=None, **kw):
    return dict(kind="oneway", vf=vf, guest=guest, metric=metric, size=size, **kw)


def vf2vm(size, **kw):
    return oneway("net_null0,size=%d" % (size - 4), "rxonly", "Rx-pps", **kw)


def vm2vf(size, **kw):
    return oneway("net_null0,no-rx=1", "txonly", "Tx-pps", size - 4, **kw)


SCENARIOS = {
    "vf2vm-64": vf2vm(64), "vm2vf-64": vm2vf(64),
    "vf2vm-1518": vf2vm(1518), "vm2vf-1518": vm2vf(1518),
    "vf2vm-64-packed": vf2vm(64, packed=True), "vm2vf-64-packed": vm2vf(64, packed=True),
    "vf2vm-64-4q": vf2vm(64, queues=4), "vm2vf-64-4q": vm2vf(64, queues=4),
    "pvp-64@1M": dict(kind="pvp", size=64, rate=1000000),
    "pvp-64@2M": dict(kind="pvp", size=64, rate=2000000),
    "zeroloss-64": dict(kind="zeroloss", size=64, hi=4000000, steps=6, loop=True),
    "wake-64@1k": dict(kind="pvp", size=64, rate=1000, loop=True, gen=["--burst", "1"],
                       impls=("testpmd", "ours", "ours-sleep100", "ours-spin")),
    "wake-tap-64@100": dict(kind="tap", size=64, rate=100, guest_first=False,
                            impls=("testpmd", "ours", "ours-timed", "ours-spin")),
    "wake-tap-vm-64@100": dict(kind="tap", size=64, rate=100, guest_first=True,
                               impls=("testpmd", "ours", "ours-timed", "ours-spin")),
    "lanes-64": vf2vm(64, queues=4, impls=("ours-1q", "ours-2q", "ours-2q-2w")),
    "relays": dict(kind="relays", impls=("1x1", "32x1", "32x8"), unit="Mpps"),
    "idle": dict(kind="idle", impls=("ours", "ours-sleep100", "ours-spin"), unit="% CPU",
                 relays=32),
    "idle-tap": dict(kind="idle", impls=("ours", "ours-timed"), unit="% CPU", relays=8,
                     vf="net_tap%d,iface=%s"),
    # N relays, or N relays with VF rings of R descriptors ("NrR", --vf-ring-size R)
    "mem": dict(kind="mem", impls=("1", "8", "32", "32r256", "32r128"), unit="MB", rounds=1),
    "addrm": dict(kind="addrm", impls=("add", "remove", "add+remove"), unit="ms", rounds=1,
                  cycles=50),
    "tso-sw": dict(kind="tso", impls=("ours",), unit="Gbit/s", payload=60000, mss=1448),
}


def ours_args(impl):
    """ours-spin: the idle policy off, to show what it costs; ours-sleepN: sleeps of at most N
    us (ours: the default, 500); ours-timed: no interrupt mode."""
    if impl == "ours-spin":
        return SPIN
    if impl == "ours-timed":
        return ["--idle-interrupts=false"]
    if impl.startswith("ours-sleep"):
        return ["--idle-sleep-max-us", impl[len("ours-sleep"):]]
    if impl.startswith("ours-2q"):
        return ["--vf-queues", "2"]
    return []


def relay_start(work, impl, tag, vf, queues=1):
    if impl == "testpmd":
        return TestpmdRelay(work, tag, vf, queues)
    two = impl.endswith("-2w")  # two workers, test-only on one CPU
    return OurRelay(work, tag, vf, ours_args(impl), binary=alt_bin(impl),
                    cpus="1,2" if two else "1", env={"VFWD_TEST_WORKERS_ON_CPU": "1"} if two
                    else None)


def window(guest, metric, seconds):
    """The mean of @metric over @seconds after two seconds to settle."""
    h.wait_for(lambda: len(guest.rates(metric)) >= 2 + seconds, seconds + 30, "guest rates")
    return statistics.mean(guest.rates(metric)[2:2 + int(seconds)])


def oneway_round(work, impl, tag, sc, seconds):
    q = sc.get("queues", 1)
    relay = relay_start(work, impl, tag, sc["vf"], q)
    guest = BenchGuest(work, tag, [relay.sock], sc["guest"], sc["size"], q, sc.get("packed"))
    relay.wait_guest()
    mpps = window(guest, sc["metric"], seconds) / 1e6
    guest.stop()
    relay.stop()
    return dict(v=mpps)


def pvp_trial(work, impl, tag, sc, seconds, rate, gen_extra=()):
    """One PVP run. With sc["loop"] the generator is its own guest (one process, one CPU)."""
    guest = None
    if sc.get("loop"):  # the generator is the only process on its CPU: it never sleeps
        gen_extra = list(gen_extra) + ["--spin"]
        relay = relay_start(work, impl, tag,
                            "net_memif0,role=server,socket=%s" % memif_sock(work, tag))
        gen = Gen(work, tag, "pvp", sc["size"], seconds, rate=rate, extra=gen_extra,
                  guest=relay.sock)
        gen.wait("listening")
        gen.wait("ready")
    else:
        gen = Gen(work, tag, "pvp", sc["size"], seconds, rate=rate, extra=gen_extra)
        gen.wait("listening")
        relay = relay_start(work, impl, tag, "net_memif0,role=client,socket=%s" % gen.sock)
        gen.wait("ready")
        guest = BenchGuest(work, tag, [relay.sock], "macswap")
    relay.wait_guest()
    time.sleep(0.5)
    gen.go()
    res = gen.result(timeout=seconds + 30)
    drops = relay.drops() if isinstance(relay, OurRelay) else {}
    if guest:
        guest.stop()
    relay.stop()
    return dict(v=float(res["rx_mpps"]), sent=int(res["sent"]), received=int(res["received"]),
                lost=int(res["lost"]), headroom=float(res["gen_headroom_pct"]),
                p50=float(res["lat_p50_us"]), p99=float(res["lat_p99_us"]),
                p999=float(res["lat_p999_us"]), max=float(res["lat_max_us"]),
                reordered=int(res["reordered"]), echo_refused=int(res.get("echo_refused", 0)),
                drops=drops)


def pvp_round(work, impl, tag, sc, seconds):
    return pvp_trial(work, impl, tag, sc, seconds, sc["rate"], sc.get("gen", ()))


def zeroloss_round(work, impl, tag, sc, seconds):
    """Binary search for the highest rate with nothing lost, then latency at 10/50/90 % of
    it."""
    lo, hi = 0, sc["hi"]
    for step in range(sc["steps"]):
        mid = (lo + hi) // 2
        r = pvp_trial(work, impl, "%s-s%d" % (tag, step), sc, seconds, mid)
        h.log("  %s at %.3f Mpps: lost %d of %d (guest refused %d; relay drops %s)"
              % (impl, mid / 1e6, r["lost"], r["sent"], r["echo_refused"], r["drops"] or "none"))
        lo, hi = (mid, hi) if r["lost"] == 0 else (lo, mid)
    out = dict(v=lo / 1e6)
    for pct in (10, 50, 90):
        if lo:
            r = pvp_trial(work, impl, "%s-l%d" % (tag, pct), sc, seconds, lo * pct // 100)
            out["lat%d" % pct] = (r["p50"], r["p99"], r["p999"], r["lost"])
    return out


def relays_round(work, impl, tag, sc, seconds):
    """@impl "NxA": N relays on one worker, the first A carrying VF->VM 64-byte frames to one
    guest process (a port each), the others idle with a connected guest of our own."""
    n, active = (int(x) for x in impl.replace("alt-", "").split("x"))
    vfs = ["net_null%d,size=60" % i if i < active else "net_null%d,no-rx=1" % i
           for i in range(n)]
    relay = OurRelay(work, tag, vfs, binary=alt_bin(impl))
    idle = [Frontend(relay.socks[i]) for i in range(active, n)]
    for f in idle:
        f.setup()
    guest = BenchGuest(work, tag, relay.socks[:active], "rxonly")
    relay.wait_guest(n)
    mpps = window(guest, "Rx-pps", seconds) / 1e6
    guest.stop()
    for f in idle:
        f.close()
    relay.stop()
    return dict(v=mpps)


def tap_name():
    """A fresh interface name for a net_tap VF (15 characters at most)."""
    tap_name.n = getattr(tap_name, "n", 0) + 1
    return "vfb%s_%d" % (h.RUN_ID[-5:], tap_name.n)


def tap_round(work, impl, tag, sc, seconds):
    """PVP over net_tap at a low rate: every frame wakes the relay (wake-tap-...)."""
    tap = tap_name()
    relay = relay_start(work, impl, tag, "net_tap0,iface=%s" % tap)
    res = tap_pvp(work, tag, tap, relay.sock, sc["rate"], seconds, sc["guest_first"],
                  relay.wait_guest, sc["size"])
    relay.stop()
    return dict(v=float(res["rx_mpps"]), sent=int(res["sent"]), received=int(res["received"]),
                lost=int(res["lost"]), headroom=float(res["gen_headroom_pct"]),
                p50=float(res["lat_p50_us"]), p99=float(res["lat_p99_us"]),
                p999=float(res["lat_p999_us"]), max=float(res["lat_max_us"]))


def idle_round(work, impl, tag, sc, seconds):
    n = sc["relays"]
    vf = sc.get("vf", "net_null%d,no-rx=1")
    relay = OurRelay(work, tag, [vf % ((i, tap_name()) if "tap" in vf else i) for i in range(n)],
                     ours_args(impl.replace("alt-", "")), binary=alt_bin(impl))
    guests = [Frontend(s) for s in relay.socks]
    for f in guests:
        f.setup()
    relay.wait_guest(n)
    cpu = 100.0 * h.worker_cpu(relay.d, seconds)
    for f in guests:
        f.close()
    relay.stop()
    return dict(v=cpu)


def mem_round(work, impl, tag, sc, seconds):
    n, _, ring = impl.replace("alt-", "").partition("r")
    extra = ["--vf-ring-size", ring] if ring else []
    relay = OurRelay(work, tag, ["net_ring%d" % i for i in range(int(n))], extra,
                     binary=alt_bin(impl))
    heap = relay.d.telemetry("/eal/heap_info,0")["/eal/heap_info"]["Alloc_size"]
    relay.stop()
    return dict(v=heap / 1e6)


def addrm_round(work, impl, tag, sc, seconds):
    """Every add, every remove, and each pair, timed around the tool's whole run (process
    start included, as an operator or a script sees it). All three rows come from one run;
    only the one @impl names is returned."""
    if not hasattr(addrm_round, "cache"):
        relay = OurRelay(work, tag, [], control=True)
        add, rm = [], []
        for _ in range(sc["cycles"]):
            for op, out in (("add", add), ("remove", rm)):
                t = time.monotonic()
                r = relay.d.tool("port_control", op, "--virtio-id", "1", "--pci-addr",
                                 "net_ring0")
                out.append((time.monotonic() - t) * 1000)
                h.check(r.returncode == 0, "%s: %s" % (op, r.stdout + r.stderr))
        relay.stop()
        addrm_round.cache = {"add": add, "remove": rm,
                             "add+remove": [a + b for a, b in zip(add, rm)]}
    return [dict(v=x) for x in addrm_round.cache[impl]]


def tso_round(work, impl, tag, sc, seconds):
    """Software segmentation: Gbit/s of the guest's TSO frames the relay sent as segments."""
    import test_tso  # noqa: E402  (its frame builder)

    pcap = os.path.join(work, "tso-%s.pcap" % tag)
    h.pcap_write(pcap, [test_tso.tcp_frame(0, bytes(sc["payload"]))])
    cmds = os.path.join(work, "tso-%s.cmds" % tag)
    with open(cmds, "w") as f:
        f.write("port stop 0\ncsum set ip hw 0\ncsum set tcp hw 0\ntso set %d 0\nport start 0\n"
                % sc["mss"])
    relay = OurRelay(work, tag, "net_null0,no-rx=1", ["-T"], binary=alt_bin(impl))
    # pcap's replay needs each frame in one mbuf: 64 kB buffers
    guest = h.Guest("b-" + tag, ["virtio_user0,path=%s" % relay.sock,
                                 "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap], fwd="csum",
                    extra=["--mbuf-size=65000", "--cmdline-file=" + cmds]).start()
    relay.wait_guest()
    time.sleep(2)
    a, t0 = relay.d.relay(0)["vm_to_vf"], time.monotonic()
    time.sleep(seconds)
    b, dt = relay.d.relay(0)["vm_to_vf"], time.monotonic() - t0
    guest.stop()
    relay.stop()
    h.check(b["segmented"] > a["segmented"] and b["pkts_dropped_oversize"] == 0,
            "tso-sw: the relay segmented the guest's frames (%d), dropped none"
            % (b["segmented"] - a["segmented"]))
    return dict(v=(b["bytes_tx_to_vf"] - a["bytes_tx_to_vf"]) * 8 / dt / 1e9)


ROUND = dict(oneway=oneway_round, pvp=pvp_round, zeroloss=zeroloss_round,
             relays=relays_round, idle=idle_round, mem=mem_round, addrm=addrm_round,
             tso=tso_round, tap=tap_round)


def alt_bin(impl):
    """The binary of variant @impl: another build for "ours-alt" and "alt-..." variants."""
    return os.environ["VFWD_ALT_BIN"] if impl == "ours-alt" or impl.startswith("alt-") else None


def impls_of(sc, spin):
    if "impls" in sc:
        if not os.environ.get("VFWD_ALT_BIN") or sc["kind"] == "addrm":
            return list(sc["impls"])
        if sc["kind"] in ("relays", "idle", "mem"):  # (ring sizes: a newer option)
            return list(sc["impls"]) + ["alt-" + i for i in sc["impls"] if "r" not in i]
        return list(sc["impls"]) + ["ours-alt"]
    extra = ["ours-spin"] if spin else []
    if os.environ.get("VFWD_ALT_BIN"):  # a second build of ours, side by side
        extra.append("ours-alt")
    return list(BASE) + (extra if sc["kind"] in ("oneway", "pvp", "zeroloss") else [])


def table(results, names, impls):
    """Markdown: per scenario and variant, min / median / max, the ratio of medians to the
    first variant (testpmd where it runs); for PVP also lost frames and latency, medians."""
    rows = ["| scenario | relay | unit | n | min | median | max | x %s (medians) |"
            " lost (median) | p50 us | p99 us |" % "/".join(BASE[:1]),
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        sc, base = SCENARIOS[name], impls[name][0]
        med = {}
        for impl in impls[name]:
            rs = results[name][impl]
            v = [r["v"] for r in rs]
            med[impl] = statistics.median(v)
            ratio = ("%.2f" % (med[impl] / med[base])
                     if med[base] and impl != base else "")
            pvp = sc["kind"] in ("pvp", "tap")

            def m(k, fmt):
                return fmt % statistics.median(r[k] for r in rs) if pvp else ""
            rows.append("| %s | %s | %s | %d | %.2f | %.2f | %.2f | %s | %s | %s | %s |" % (
                name, impl, sc.get("unit", "Mpps"), len(v), min(v), med[impl], max(v),
                ratio + ("" if not ratio or base == "testpmd" else " (x %s)" % base),
                m("lost", "%d"), m("p50", "%.0f"), m("p99", "%.0f")))
    return "\n".join(rows)


def latency_table(results, names, impls):
    """Zero-loss scenarios: latency at 10/50/90 % of each round's zero-loss rate, medians."""
    rows = ["| scenario | relay | load | p50 us | p99 us | p99.9 us | lost (median) |",
            "|---|---|---|---|---|---|---|"]
    for name in names:
        if SCENARIOS[name]["kind"] != "zeroloss":
            continue
        for impl in impls[name]:
            for pct in (10, 50, 90):
                ls = [r["lat%d" % pct] for r in results[name][impl] if "lat%d" % pct in r]
                if ls:
                    rows.append("| %s | %s | %d %% | %.0f | %.0f | %.0f | %d |" % (
                        name, impl, pct, *(statistics.median(x[k] for x in ls)
                                           for k in range(4))))
    return "\n".join(rows) if len(rows) > 2 else ""


def describe(r):
    if "sent" not in r:
        return "%.2f" % r["v"]
    return ("%.2f Mpps received (sent %d, lost %d, p50 %.0f us, p99 %.0f us, max %.0f us, "
            "generator headroom %.0f%%)" % (r["v"], r["sent"], r["lost"], r["p50"], r["p99"],
                                            r["max"], r["headroom"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--spin", action="store_true",
                    help="also ours with the idle policy off (ours-spin)")
    a = ap.parse_args()
    h.require_env()
    if not os.access(GEN, os.X_OK):
        h.skip("%s not built" % GEN)
    if a.smoke:
        a.rounds, a.seconds, a.scenarios = 1, 1, "vf2vm-64,pvp-64@1M,wake-64@1k,mem"
    names = a.scenarios.split(",")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        ap.error("unknown scenario(s) %s; known: %s" % (unknown, ", ".join(SCENARIOS)))
    work = h.tmpdir("bench")
    impls = {n: impls_of(SCENARIOS[n], a.spin) for n in names}
    results = {n: {i: [] for i in impls[n]} for n in names}
    for name in names:
        sc = SCENARIOS[name]
        for k in range(sc.get("rounds", a.rounds)):
            # the variants alternate: in order in even rounds, the other way round in odd ones
            for impl in impls[name] if k % 2 == 0 else impls[name][::-1]:
                tag = "%s-%s-%d" % (impl, name.replace("@", "-"), k)
                r = ROUND[sc["kind"]](work, impl, tag, sc, a.seconds)
                rs = r if isinstance(r, list) else [r]
                results[name][impl].extend(rs)
                h.log("%s %s round %d: %s" % (name, impl, k + 1,
                                              ", ".join(describe(x) for x in rs[:3])))
    print(table(results, names, impls), flush=True)
    lat = latency_table(results, names, impls)
    if lat:
        print("\n" + lat, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if a.smoke:
        for impl in BASE:
            r = results["vf2vm-64"][impl][0]
            h.check(r["v"] > 0, "smoke: frames reached the guest through %s" % impl)
            for name in ("pvp-64@1M", "wake-64@1k"):
                r = results[name][impl][0]
                h.check(r["received"] > 0, "smoke: %s: frames went through %s and back (%d of "
                        "%d)" % (name, impl, r["received"], r["sent"]))
        r = results["mem"]
        h.check(0 < r["1"][0]["v"] < r["8"][0]["v"] < r["32"][0]["v"],
                "smoke: DPDK memory grows with relays (%s MB)"
                % ", ".join("%.1f" % r[k][0]["v"] for k in ("1", "8", "32")))
        h.check(r["32r128"][0]["v"] < r["32r256"][0]["v"] < r["32"][0]["v"],
                "smoke: and shrinks with the VF rings (32 relays: %s MB with rings of 128, 256, "
                "512)" % ", ".join("%.1f" % r[k][0]["v"] for k in ("32r128", "32r256", "32")))
        h.log("PASS")


if __name__ == "__main__":
    h.run(main)
