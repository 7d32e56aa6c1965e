# SPDX-License-Identifier: BSD-3-Clause
"""Stats are answered while relays change: the stats service has a thread of its own.

Port ADD and REMOVE run on the control thread and wait for the workers' grace periods; the
test hook VFWD_TEST_GRACE_DELAY_US makes each grace period 400 ms longer, so an add takes
about a second, as a busy worker can make it. While adds and removes run back to back, stats
requests (the stats tool, a rate window request too) are answered before the change they
overlap ends; the changes all succeed; the daemon exits 0 (its stats thread joined).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, check, flat, log, require_env, run

DELAY_US = 400000


def main():
    require_env()
    d = Daemon("stthr", ["-P", "net_null0,size=64=0"], control=True,
               env={"VFWD_TEST_HOOKS": "1", "VFWD_TEST_GRACE_DELAY_US": str(DELAY_US)}).start()
    d.wait_state(0, "DPDK_ADDED")
    spans, errors = [], []

    def changes():
        for op in ("add", "remove", "add", "remove"):
            t0 = time.time()
            r = d.tool("port_control", op, "--virtio-id", "1", "--pci-addr", "net_null1")
            spans.append((op, t0, time.time()))
            if r.returncode or r.stdout != "status: OK\n":
                errors.append("%s: %s %s" % (op, r.stdout, r.stderr))

    t = threading.Thread(target=changes)
    t.start()
    answered = []
    while t.is_alive():
        a = time.time()
        r = d.tool("stats", "--include-inactive")
        b = time.time()
        if r.returncode == 0 and "relay_0.vf_to_vm.internal_state" in r.stdout:
            answered.append((a, b))
        time.sleep(0.05)
    t.join()
    check(not errors, "4 changes succeeded (%s)" % errors)
    slow = min(e - s for _, s, e in spans)
    check(slow >= DELAY_US / 1e6, "each change took at least %.1f s (the slowest grace period "
          "hook): %s" % (DELAY_US / 1e6, ["%s %.2fs" % (op, e - s) for op, s, e in spans]))
    # A stats request that started and ended inside one change was not held up by it.
    inside = [(a, b) for a, b in answered for _, s, e in spans if s + 0.05 < a and b < e - 0.05]
    worst = max(b - a for a, b in answered)
    check(len(inside) >= 4, "%d stats requests answered while a change was in progress (of %d; "
          "slowest %.0f ms)" % (len(inside), len(answered), 1000 * worst))

    # A request with a rate window waits for its window only, not for a change.
    t = threading.Thread(target=changes)
    t.start()
    time.sleep(0.1)
    a = time.time()
    s = flat(d.tool("stats", "--include-inactive", "--delay", "200").stdout)
    b = time.time()
    t.join()
    check("relay_0.vf_to_vm.internal_state" in s and b - a < slow,
          "a 200 ms rate window answered in %.0f ms during changes of %.1f s and more"
          % (1000 * (b - a), slow))
    d.stop_ok("daemon exits 0, its stats thread joined")
    log("PASS")


if __name__ == "__main__":
    run(main)
