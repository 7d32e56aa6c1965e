# SPDX-License-Identifier: BSD-3-Clause
"""profile.py: where the forwarding CPU goes, ours against testpmd, in a benchmark scenario:
`perf record` on the relay's forwarding thread only (our worker, testpmd's lcore 1) for a few
seconds at full load, then the top symbols of each, side by side.

  python3 tests/bench/profile.py [--scenarios vf2vm-64,vm2vf-64] [--seconds 3] [--top 12]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness as h  # noqa: E402
from bench import SCENARIOS, relay_start  # noqa: E402
from procs import BenchGuest  # noqa: E402


def forwarding_tid(pid, impl):
    """The thread of lcore 1: our worker, testpmd's forwarding lcore (EAL names both)."""
    want = "rte-worker-1"
    for t in os.listdir("/proc/%d/task" % pid):
        if open("/proc/%d/task/%s/comm" % (pid, t)).read().startswith(want):
            return int(t)
    names = [open("/proc/%d/task/%s/comm" % (pid, t)).read().strip()
             for t in os.listdir("/proc/%d/task" % pid)]
    raise AssertionError("%s: no forwarding thread among %s" % (impl, names))


def top_symbols(data, top):
    """[(percent, symbol)] from perf report, the first @top."""
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "dso,symbol", "--percent-limit", "0.5"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         timeout=120).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].endswith("%") and f[2] in ("[.]", "[k]"):
            # Debian's DPDK libraries are stripped: their static functions show as addresses
            dso = f[1].split(".so")[0]
            rows.append((float(f[0][:-1]), "%s: %s" % (dso, f[3])))
    return rows[:top]


def profile(work, impl, name, seconds):
    sc = SCENARIOS[name]
    tag = "prof-%s-%s" % (impl, name)
    relay = relay_start(work, impl, tag, sc["vf"], sc.get("queues", 1))
    guest = BenchGuest(work, tag, [relay.sock], sc["guest"], sc["size"], sc.get("queues", 1),
                       sc.get("packed"))
    relay.wait_guest()
    time.sleep(2)
    pid = relay.d.pid() if impl != "testpmd" else relay.proc.pid
    if impl == "testpmd":  # the timeout wrapper's child
        pid = int(open("/proc/%d/task/%d/children" % (pid, pid)).read().split()[0])
    data = os.path.join(work, "%s.perf" % tag)
    subprocess.run(["perf", "record", "-q", "-o", data, "-t", str(forwarding_tid(pid, impl)),
                    "--", "sleep", str(seconds)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=seconds + 60, check=True)
    rate = guest.rates(sc["metric"])[-1] / 1e6
    guest.stop()
    relay.stop()
    return rate, top_symbols(data, 12)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="vf2vm-64,vm2vf-64")
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    h.require_env()
    if not subprocess.run(["which", "perf"], stdout=subprocess.DEVNULL).returncode == 0:
        h.skip("perf is not installed (apt-get install linux-perf)")
    work = h.tmpdir("profile")
    for name in a.scenarios.split(","):
        res = {impl: profile(work, impl, name, a.seconds) for impl in ("ours", "testpmd")}
        print("\n%s: ours %.2f Mpps, testpmd %.2f Mpps during the profile" % (
            name, res["ours"][0], res["testpmd"][0]))
        print("| ours % | symbol | testpmd % | symbol |\n|---|---|---|---|")
        o, t = res["ours"][1], res["testpmd"][1]
        for i in range(min(a.top, max(len(o), len(t)))):
            cells = []
            for rows in (o, t):
                cells += ["%.1f" % rows[i][0], rows[i][1]] if i < len(rows) else ["", ""]
            print("| %s | %s | %s | %s |" % tuple(cells))
        sys.stdout.flush()
    h.log("PASS")


if __name__ == "__main__":
    h.run(main)
