# SPDX-License-Identifier: BSD-3-Clause
"""Relay removal while another guest changes its queues, under traffic (the engine's lock rules).

Relay A (id 0) is removed and re-added through the port-control tool (REMOVE_SOCK / ADD_SOCK,
dynamic sockets: the socket goes with the relay) again and again, each time with its guest
connected, so that its destroy_device waits for a grace period. Meanwhile guest B
(id 1, interactive testpmd) stops and starts its port in a loop: rte_vhost runs B's
vring_state_changed with all of B's vring locks held, while the worker keeps enqueueing the
VF's frames (net_null: an endless source) into B and so spins on those locks. A grace period
awaited under a lock that B's callback needs never ends: three threads wait forever.

Every iteration is bounded; the daemon must answer throughout and B's counters keep moving.
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, wait_for, TESTPMD, tmpdir,
                     on_exit, _kill, dpdk_dir, RUN_ID, _logs)

ITERATIONS = int(os.environ.get("VFWD_CHURN_ITERATIONS", "200"))
STEP_LIMIT = 5.0  # seconds any one remove, add or reconnect may take


class Toggler:
    """Guest B: interactive testpmd on a virtio_user server socket, stopping and starting its
    port (every vring disabled, the device destroyed, then set up again) in a loop."""

    def __init__(self, sock):
        self.dir = tmpdir("g-toggle")
        self.prefix = "vfwd-g%s-toggle" % RUN_ID
        self.logfile = os.path.join(self.dir, "testpmd.log")
        _logs.append(("guest B (toggling)", self.logfile))
        cmd = ["timeout", "-s", "KILL", "600", TESTPMD, "-l", "0,1", "--main-lcore", "1",
               "--no-pci", "--no-huge", "-m", "256", "--file-prefix", self.prefix,
               "--vdev", "virtio_user0,path=%s,server=1,queues=2" % sock, "--",
               "-i", "--rxq=2", "--txq=2", "--forward-mode=io", "--total-num-mbufs=4096",
               "--no-flush-rx"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        on_exit(_kill, self.proc, "guest B")
        on_exit(__import__("shutil").rmtree, dpdk_dir(self.prefix), True)
        self.cycles = 0
        self.stopping = threading.Event()
        self.thread = None

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def start_forwarding(self):
        self.send("start")

    def _loop(self):
        while not self.stopping.is_set() and self.proc.poll() is None:
            n = 1 + self.cycles % 2  # 2 -> 1 -> 2 ... queue pairs, as ethtool -L does
            for line in ("stop", "port stop 0", "port config all rxq %d" % n,
                         "port config all txq %d" % n, "port start 0", "start"):
                self.send(line)
            self.cycles += 1
            time.sleep(0.1)  # about what testpmd follows without a backlog

    def toggle(self):
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join(10)
        try:
            self.send("start")
            self.send("quit")
            self.proc.wait(15)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            _kill(self.proc, "guest B")


def timed(what, fn):
    t0 = time.time()
    r = fn()
    dt = time.time() - t0
    if dt > STEP_LIMIT:
        raise AssertionError("%s took %.1f s (limit %.1f s)" % (what, dt, STEP_LIMIT))
    return r, dt


def tool_ok(d, *args):
    r = d.tool("port_control", *args, "--timeout", str(int(STEP_LIMIT * 1000)), timeout=15)
    if r.returncode != 0 or "status: OK" not in r.stdout:
        raise AssertionError("port_control %s: rc %d\n%s%s" % (" ".join(args), r.returncode,
                                                                r.stdout, r.stderr))


def main():
    require_env()
    # Grace periods 20 ms longer (a test hook; a worker busy with a long pass does the same):
    # the time a lock held across one would block B's callback is long enough to be met.
    d = Daemon("churnq", ["-d"], client=True, control=True,
               env={"VFWD_TEST_HOOKS": "1", "VFWD_TEST_GRACE_DELAY_US": "20000"})
    d.start()
    add_a = ("add_sock", "--vhost-path", d.sock(0), "--pci-addr", "net_null0")
    tool_ok(d, *add_a)
    tool_ok(d, "add_sock", "--vhost-path", d.sock(1), "--pci-addr", "net_null1")
    guest_a = Guest("churn-a", ["virtio_user0,path=%s,server=1" % d.sock(0)], fwd="rxonly")
    guest_a.start()
    b = Toggler(d.sock(1))
    wait_for(lambda: d.relay(0)["vid"] >= 0 and d.relay(1)["vid"] >= 0, 20, "both guests ready")
    b.start_forwarding()
    b_tx = lambda: d.relay(1)["vf_to_vm"]["pkts_tx_to_vm"]
    wait_for(lambda: b_tx() > 0, 10, "frames reaching guest B")
    b.toggle()
    wait_for(lambda: d.log().count("relay 1: guest RX queue 1 disabled") >= 2, 20,
             "guest B toggling its queues (2 -> 1 -> 2 queue pairs)")

    worst, progress, last_tx = 0.0, 0, b_tx()
    for k in range(ITERATIONS):
        _, t_rm = timed("remove of relay 0 (iteration %d)" % k,
                        lambda: tool_ok(d, "remove_sock", "--vhost-path", d.sock(0)))
        _, t_add = timed("add of relay 0 (iteration %d)" % k, lambda: tool_ok(d, *add_a))
        # Guest A reconnects to the new relay: the next remove finds it connected.
        _, t_up = timed("guest A back on relay 0 (iteration %d)" % k,
                        lambda: wait_for(lambda: d.relay(0)["vid"] >= 0, STEP_LIMIT,
                                         "guest A reconnected", interval=0.005))
        worst = max(worst, t_rm, t_add, t_up)
        if k % 20 == 19:
            tx = b_tx()
            progress += tx > last_tx
            log("iteration %d: worst step %.3f s, guest B toggled %d times, B got %d frames"
                % (k + 1, worst, b.cycles, tx))
            last_tx = tx
    check(progress == ITERATIONS // 20, "guest B's counters moved in every stretch of 20 "
          "iterations (%d of %d)" % (progress, ITERATIONS // 20))
    toggles = d.log().count("relay 1: guest RX queue 1 disabled")
    check(toggles >= ITERATIONS // 8, "guest B toggled its queues throughout: relay 1 saw "
          "queue 1 go %d times (%d commands sent)" % (toggles, b.cycles))
    check(d.log().count("relay 0: socket and VF removed") >= ITERATIONS,
          "%d removals of relay 0 with its guest connected, none stalled (worst step %.3f s)"
          % (ITERATIONS, worst))
    b.stop()
    guest_a.stop()
    check("lock rule broken" not in d.log(), "no lock rule broken")
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
