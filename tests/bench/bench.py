# SPDX-License-Identifier: BSD-3-Clause
"""bench.py: throughput, loss and latency of our relay against dpdk-testpmd doing the same job,
side by side, alternating, many rounds; a results table (min / median / max, ratio of medians).

The machines have two cores, so every scenario keeps to two busy pollers where it can: the
relay's forwarding lcore on CPU 1 (ours: the worker; testpmd: its io forwarding lcore) and
the guest (testpmd on virtio_user) on CPU 0.
  vf2vm-64, vf2vm-1518  net_null (an endless source of 60 / 1514-byte frames) -> relay ->
                        guest rxonly; the figure is the guest's received packets per second
  vm2vf-64, vm2vf-1518  guest txonly -> relay -> net_null sink; the guest's sent packets
                        per second (what the relay took from it)
  pvp-64@R              vfwd-gen on a net_memif port (the VF stand-in, a real peer) offers R
                        frames/s -> relay -> guest macswap -> relay -> vfwd-gen: received
                        rate, lost frames, latency p50/p99. The generator shares CPU 0 with
                        the guest and sleeps between batches (about 200 us apart, which its
                        latency figures include, alike for both relays).

Each round starts every process afresh; the relays alternate (testpmd first in even rounds,
last in odd ones). The memory mode is the same for all (--no-huge, 256 MB). --spin adds
ours with the idle policy off (ours-spin), to show what the policy costs at full load.

  python3 tests/bench/bench.py [--rounds 7] [--seconds 5] [--scenarios a,b] [--spin] [--json F]
  python3 tests/bench/bench.py --smoke   (the suite: one short round each, frames must arrive)
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness as h  # noqa: E402

GEN = os.environ.get("VFWD_GEN", os.path.join(h.BUILD, "tests/bench/vfwd-gen"))

SCENARIOS = {
    "vf2vm-64": dict(vf="net_null0,size=60", guest="rxonly", metric="Rx-pps"),
    "vm2vf-64": dict(vf="net_null0,no-rx=1", guest="txonly", size=60, metric="Tx-pps"),
    "vf2vm-1518": dict(vf="net_null0,size=1514", guest="rxonly", metric="Rx-pps"),
    "vm2vf-1518": dict(vf="net_null0,no-rx=1", guest="txonly", size=1514, metric="Tx-pps"),
    "pvp-64@1M": dict(gen="pvp", guest="macswap", size=64, rate=1000000),
    "pvp-64@2M": dict(gen="pvp", guest="macswap", size=64, rate=2000000),
}


class Gen:
    """vfwd-gen as the memif server: it waits for 'go' on stdin once its link is up."""

    def __init__(self, work, tag, mode, size, seconds, rate=0, flows=64, extra=()):
        self.sock = os.path.join(work, "memif-%s.sock" % tag)
        self.prefix = "vfwd-b%s-gen-%s" % (h.RUN_ID, tag)
        cmd = ["timeout", "-s", "KILL", str(int(seconds) + 60), "taskset", "-c", "0", GEN,
               "-l", "0", "--no-pci", "--no-huge", "-m", "256", "--file-prefix", self.prefix,
               "--vdev", "net_memif0,role=server,socket=%s" % self.sock, "--",
               "--mode", mode, "--size", str(size), "--duration", str(seconds),
               "--rate", str(rate), "--flows", str(flows),
               "--drain-ms", "0" if mode == "rx" else "300"] + list(extra)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        h.on_exit(h._kill, self.proc, "generator")
        h.on_exit(__import__("shutil").rmtree, h.dpdk_dir(self.prefix), True)

    def wait(self, what):
        line = self.proc.stdout.readline()
        if line.strip() != what:
            raise AssertionError("generator: %r instead of %r" % (line, what))

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self, timeout):
        out, _ = self.proc.communicate(timeout=timeout)
        return dict(l.split("=", 1) for l in out.split() if "=" in l)


class TestpmdRelay:
    """The baseline: testpmd io forwarding between the VF stand-in @vf and a net_vhost port,
    its forwarding lcore on CPU 1."""

    def __init__(self, work, tag, vf):
        self.sock = os.path.join(work, "vhost-%s.sock" % tag)
        self.prefix = "vfwd-b%s-tpmd-%s" % (h.RUN_ID, tag)
        self.logfile = os.path.join(work, "testpmd-relay-%s.log" % tag)
        cmd = ["timeout", "-s", "KILL", "600", h.TESTPMD, "-l", "0,1", "--main-lcore", "0",
               "--no-pci", "--no-huge", "-m", "256", "--file-prefix", self.prefix,
               "--log-level", "lib.vhost.config:info", "--vdev", vf,
               "--vdev", "net_vhost0,iface=%s,queues=1" % self.sock, "--",
               "--forward-mode=io", "-a", "--stats-period", "1", "--total-num-mbufs=8192"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        h.on_exit(h._kill, self.proc, "testpmd relay")
        h.on_exit(shutil.rmtree, h.dpdk_dir(self.prefix), True)
        h.wait_for(lambda: os.path.exists(self.sock), 20, "testpmd relay's vhost socket")

    def wait_guest(self):
        h.wait_for(lambda: "virtio is now ready" in open(self.logfile, errors="replace").read(),
                   20, "guest on the testpmd relay")

    def stop(self):
        h._kill(self.proc, "testpmd relay")


class OurRelay:
    """virtio-forwarder, relay 0 over the VF stand-in @vf, its worker on CPU 1."""

    def __init__(self, work, tag, vf, extra=()):
        self.d = h.Daemon("b-" + tag, ["-P", vf + "=0"] + list(extra), cpus="1")
        self.d.start()
        self.sock = self.d.sock(0)

    def wait_guest(self):
        h.wait_for(lambda: self.d.relay(0)["vid"] >= 0, 20, "guest on our relay")

    def stop(self):
        self.d.stop()


class BenchGuest:
    """testpmd on virtio_user, forwarding on CPU 0, printing its port's rates every second."""

    def __init__(self, work, tag, sock, fwd, size=None):
        self.prefix = "vfwd-b%s-g-%s" % (h.RUN_ID, tag)
        self.logfile = os.path.join(work, "guest-%s.log" % tag)
        cmd = ["timeout", "-s", "KILL", "600", "stdbuf", "-oL", h.TESTPMD, "-l", "0,1",
               "--main-lcore", "1", "--no-pci", "--no-huge", "-m", "512", "--file-prefix",
               self.prefix, "--vdev", "virtio_user0,path=%s" % sock, "--",
               "--forward-mode=" + fwd, "-a", "--stats-period", "1", "--total-num-mbufs=4096"]
        if size:
            cmd.append("--txpkts=%d" % size)
        self.proc = subprocess.Popen(cmd, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        h.on_exit(h._kill, self.proc, "guest")
        h.on_exit(shutil.rmtree, h.dpdk_dir(self.prefix), True)

    def rates(self, key):
        """The per-second @key ("Rx-pps", "Tx-pps") figures printed so far."""
        return [int(v) for v in re.findall(key + r":\s+(\d+)",
                                           open(self.logfile, errors="replace").read())]

    def stop(self):
        h._kill(self.proc, "guest")


def relay_start(work, impl, tag, vf):
    if impl == "testpmd":
        return TestpmdRelay(work, tag, vf)
    # ours-spin: the idle policy off, to show what it costs under load
    return OurRelay(work, tag, vf, ["--idle-sleep-max-us", "0"] if impl == "ours-spin" else [])


def oneway_round(work, impl, tag, sc, seconds):
    relay = relay_start(work, impl, tag, sc["vf"])
    guest = BenchGuest(work, tag, relay.sock, sc["guest"], sc.get("size"))
    relay.wait_guest()
    # two seconds to settle, then the window
    h.wait_for(lambda: len(guest.rates(sc["metric"])) >= 2 + seconds, seconds + 30,
               "guest rates")
    window = guest.rates(sc["metric"])[2:2 + int(seconds)]
    guest.stop()
    relay.stop()
    return dict(mpps=statistics.mean(window) / 1e6, lost=0, p50=0.0, p99=0.0, headroom=0.0)


def pvp_round(work, impl, tag, sc, seconds):
    gen = Gen(work, tag, sc["gen"], sc["size"], seconds, rate=sc["rate"])
    gen.wait("listening")
    relay = relay_start(work, impl, tag, "net_memif0,role=client,socket=%s" % gen.sock)
    gen.wait("ready")
    guest = BenchGuest(work, tag, relay.sock, sc["guest"])
    relay.wait_guest()
    time.sleep(0.5)
    gen.go()
    res = gen.result(timeout=seconds + 30)
    guest.stop()
    relay.stop()
    return dict(mpps=float(res["rx_mpps"]), sent=int(res["sent"]),
                received=int(res["received"]), lost=int(res["lost"]),
                headroom=float(res["gen_headroom_pct"]), p50=float(res["lat_p50_us"]),
                p99=float(res["lat_p99_us"]), reordered=int(res["reordered"]))


def one_round(work, impl, name, sc, seconds, k):
    tag = "%s-%s-%d" % (impl, name.replace("@", "-"), k)
    return (pvp_round if "gen" in sc else oneway_round)(work, impl, tag, sc, seconds)


def table(results, names, impls):
    """Markdown: per scenario and relay, Mpps min / median / max, the ratio of medians; for
    PVP also the median lost frames and latency."""
    rows = ["| scenario | relay | rounds | Mpps min | median | max | x testpmd (medians) |"
            " lost (median) | p50 us | p99 us |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        med = {}
        for impl in impls:
            rs = results[name][impl]
            v = [r["mpps"] for r in rs]
            med[impl] = statistics.median(v)
            ratio = ("%.2f" % (med[impl] / med["testpmd"])
                     if "testpmd" in med and med["testpmd"] and impl != "testpmd" else "")
            pvp = "gen" in SCENARIOS[name]
            rows.append("| %s | %s | %d | %.2f | %.2f | %.2f | %s | %s | %s | %s |" % (
                name, impl, len(v), min(v), med[impl], max(v), ratio,
                "%d" % statistics.median(r["lost"] for r in rs) if pvp else "",
                "%.0f" % statistics.median(r["p50"] for r in rs) if pvp else "",
                "%.0f" % statistics.median(r["p99"] for r in rs) if pvp else ""))
    return "\n".join(rows)


def describe(r):
    if "sent" not in r:
        return "%.2f Mpps" % r["mpps"]
    return ("%.2f Mpps received (sent %d, lost %d, p50 %.0f us, p99 %.0f us, generator "
            "headroom %.0f%%)" % (r["mpps"], r["sent"], r["lost"], r["p50"], r["p99"],
                                  r["headroom"]))


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
        a.rounds, a.seconds, a.scenarios = 1, 1, "vf2vm-64,pvp-64@1M"
    names = a.scenarios.split(",")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        ap.error("unknown scenario(s) %s; known: %s" % (unknown, ", ".join(SCENARIOS)))
    work = h.tmpdir("bench")
    impls = ["testpmd", "ours"] + (["ours-spin"] if a.spin else [])
    results = {n: {i: [] for i in impls} for n in names}
    for name in names:
        for k in range(a.rounds):
            # testpmd first, then ours, in even rounds; the other way round in odd ones
            for impl in impls if k % 2 == 0 else impls[::-1]:
                r = one_round(work, impl, name, SCENARIOS[name], a.seconds, k)
                results[name][impl].append(r)
                h.log("%s %s round %d: %s" % (name, impl, k + 1, describe(r)))
    print(table(results, names, impls), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if a.smoke:
        for impl in ("ours", "testpmd"):
            r = results["vf2vm-64"][impl][0]
            h.check(r["mpps"] > 0, "smoke: frames reached the guest through %s" % impl)
            r = results["pvp-64@1M"][impl][0]
            h.check(r["received"] > 0, "smoke: frames went through %s and back (%d of %d)"
                    % (impl, r["received"], r["sent"]))
        h.log("PASS")


if __name__ == "__main__":
    h.run(main)
