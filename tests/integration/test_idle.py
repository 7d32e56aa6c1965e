# SPDX-License-Identifier: BSD-3-Clause
"""Idle policy: a worker whose relays carry no frames sleeps (its CPU time, read from /proc,
stays low), spins with --idle-sleep-max-us 0, and polls at full speed again as soon as frames
flow (net_null as an endless source), without losing a frame the guest could take.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, Daemon, flat, Guest, log, require_env, run, wait_for

RELAYS = 8
WINDOW = 2.0


def worker_cpu(d, seconds=WINDOW):
    return harness.worker_cpu(d, seconds)


def idle_daemon(name, extra):
    """RELAYS relays over VFs that never receive, each with a connected guest that sends
    nothing: nothing to do but poll."""
    vfs = []
    for i in range(RELAYS):
        vfs += ["-P", "net_null%d,no-rx=1=%d" % (i, i)]
    d = Daemon(name, vfs + extra, control=True)
    d.start()
    guests = [Guest("%s%d" % (name, i), ["virtio_user0,path=%s" % d.sock(i)], fwd="rxonly")
              for i in range(2)]
    for g in guests:
        g.start()
    wait_for(lambda: all(d.relay(i)["vid"] >= 0 for i in range(2)), 20, "guests connected")
    return d, guests


def empty_sockets():
    """Every relay id has its socket from the start (no -d): 32 sockets with neither VF nor
    guest are given to no worker, so even with the idle policy off nothing spins."""
    d = Daemon("idle-sockets", ["--idle-sleep-max-us", "0"], control=True).start()
    check(len(os.listdir(d.sock_dir)) == 32, "32 sockets listening")
    cpu = worker_cpu(d)
    check(cpu < 0.05, "32 empty sockets, idle policy off: the worker used %.1f%% of a CPU"
          % (cpu * 100))
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


def main():
    require_env()
    empty_sockets()
    d, guests = idle_daemon("idle-on", [])
    cpu_on = worker_cpu(d)
    load = float(flat(d.tool("stats", "--delay", "0").stdout)["worker_1.load_pct"])
    check(load < 1, "stats: the idle worker's load is %.2f%%" % load)
    for g in guests:
        g.stop()
    d.stop()
    d, guests = idle_daemon("idle-off", ["--idle-sleep-max-us", "0"])
    cpu_off = worker_cpu(d)
    for g in guests:
        g.stop()
    d.stop()
    log("worker CPU with %d idle relays: %.1f%% (policy on), %.1f%% (off)"
        % (RELAYS, 100 * cpu_on, 100 * cpu_off))
    check(cpu_off > 0.8, "without the idle policy the worker spins (%.0f%% of a CPU)"
          % (100 * cpu_off))
    check(cpu_on < 0.1, "with it (default) an idle worker sleeps (%.1f%% of a CPU)"
          % (100 * cpu_on))

    # Frames wake it: net_null receives endlessly, the guest takes what it can.
    d = Daemon("idle-busy", ["-P", "net_null0=0"], control=True)
    d.start()
    g = Guest("idle-busy", ["virtio_user0,path=%s" % d.sock(0)], fwd="rxonly")
    g.start()
    wait_for(lambda: d.relay(0)["vid"] >= 0, 20, "guest connected")
    cpu_busy = worker_cpu(d)
    tx = d.relay(0)["vf_to_vm"]["pkts_tx_to_vm"]
    s = flat(d.tool("stats", "--delay", "0").stdout)
    check(float(s["worker_1.load_pct"]) > 80 and float(s["relay_0.vf_to_vm.cpu_1.cycles_per_pkt"]) > 0,
          "stats: the busy worker's load is %s%%, %s cycles per packet VF->VM"
          % (s["worker_1.load_pct"], s["relay_0.vf_to_vm.cpu_1.cycles_per_pkt"]))
    check(cpu_busy > 0.8 and tx > 0, "with frames flowing it polls at full speed "
          "(%.0f%% of a CPU, %d frames to the guest)" % (100 * cpu_busy, tx))
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
