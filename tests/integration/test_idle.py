# SPDX-License-Identifier: BSD-3-Clause
"""Idle policy: a worker whose relays carry no frames sleeps (its CPU time, read from /proc,
stays low), spins with --idle-sleep-max-us 0, and polls at full speed again as soon as frames
flow (net_null as an endless source), without losing a frame the guest could take.

Interrupt mode, over net_tap (the one VF stand-in with RX interrupts): the idle worker sleeps
in epoll (worker_N.irq_sleeps counts it) and uses no CPU; frames from the VF and kicks from
the guest wake it (vfwd-gen on the tap's kernel side is also the guest, at 100 frames/s
from either side, the other echoing: every frame finds the worker asleep); a guest leaving
(a grace period) and coming (new_device) wakes it. A test hook makes each of its sleeps last
up to 5 s instead of 100 ms, so a wake-up that does not come shows as seconds. A VF that does
not start with RX interrupts (another hook) is started without them: its relay runs, with
timed sleeps.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../bench"))
import harness  # noqa: E402
from procs import tap_pvp  # noqa: E402
from harness import check, Daemon, flat, Guest, log, require_env, run, wait_for

RELAYS = 8
WINDOW = 2.0
IRQ_HOOK = {"VFWD_TEST_HOOKS": "1", "VFWD_TEST_IRQ_SLEEP_MS": "5000"}


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


def irq_sleeps(d):
    return int(d.flat_stats("--delay", "0")["worker_1.irq_sleeps"])


def interrupt_mode():
    tap = "vfirq" + harness.RUN_ID[-5:]
    d = Daemon("idle-irq", ["-P", "net_tap0,iface=%s=0" % tap], control=True,
               env=IRQ_HOOK).start()
    check("has RX interrupts" in d.log(), "net_tap's RX interrupts found")
    g = Guest("idle-irq", ["virtio_user0,path=%s" % d.sock(0)], fwd="rxonly").start()
    wait_for(lambda: d.relay(0)["vid"] >= 0, 20, "guest connected")
    time.sleep(0.5)
    before = irq_sleeps(d)
    cpu = worker_cpu(d)
    after = irq_sleeps(d)
    log("interrupt mode, 1 relay with a guest, idle: worker at %.2f%% of a CPU, %d sleeps"
        % (100 * cpu, after - before))
    check(after > before and cpu < 0.01, "an idle worker sleeps in epoll: %.2f%% of a CPU, "
          "%d sleeps in interrupt mode" % (100 * cpu, after - before))
    j = json.loads(d.tool("stats", "--output-format", "json").stdout)
    prom = d.tool("stats", "--output-format", "prometheus").stdout
    m = re.search(r'^virtioforwarder_worker_irq_sleeps_total\{lcore="1"\} (\d+)$', prom, re.M)
    js = j["worker"][0]["irq_sleeps"]
    check(js >= after and m and js <= int(m.group(1)) <= js + 1000,
          "JSON and Prometheus count them too (%d, %s)" % (js, m and m.group(1)))
    t = time.time()
    g.stop()
    wait_for(lambda: d.relay(0)["vid"] < 0, 20, "guest gone")
    check(time.time() - t < 3, "a guest leaving (a grace period) wakes the sleeping worker "
          "(%.1f s)" % (time.time() - t))
    for first, what in ((False, "VF interrupts"), (True, "guest kicks")):
        before = irq_sleeps(d)
        r = tap_pvp(harness.tmpdir("irq-gen"), "irq%d" % first, tap, d.sock(0), 100, 3, first,
                    lambda: wait_for(lambda: d.relay(0)["vid"] >= 0, 20, "generator's guest"))
        slept = irq_sleeps(d) - before
        log("interrupt mode, 100 frames/s, %s first: %s of %s back, p50 %s us, p99 %s us, "
            "max %s us, %d sleeps" % ("guest" if first else "VF", r["received"], r["sent"],
                                      r["lat_p50_us"], r["lat_p99_us"], r["lat_max_us"], slept))
        check(int(r["sent"]) >= 250 and r["received"] == r["sent"] and r["lost"] == "0",
              "every frame made the round trip (%s of %s)" % (r["received"], r["sent"]))
        check(float(r["lat_p99_us"]) < 500000 and slept >= int(r["sent"]) // 2,
              "%s woke the worker: p99 %s us, %d sleeps for %s frames"
              % (what, r["lat_p99_us"], slept, r["sent"]))
        wait_for(lambda: d.relay(0)["vid"] < 0, 20, "generator's guest gone")
    # A guest that sends first: new_device wakes the worker to arm its kicks.
    time.sleep(0.5)
    g = Guest("idle-irq-tx", ["virtio_user0,path=%s" % d.sock(0)], fwd="txonly").start()
    wait_for(lambda: d.relay(0)["vid"] >= 0, 20, "sending guest connected")
    t = time.time()
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_tx_to_vf"] > 0, 20, "the guest's frames sent")
    check(time.time() - t < 2, "a new guest's first frames wake the worker (%.1f s)"
          % (time.time() - t))
    g.stop()
    wait_for(lambda: d.relay(0)["vid"] < 0, 20, "sending guest gone")
    time.sleep(0.5)
    secs = d.stop_ok()
    check(secs < 3, "stopping wakes the sleeping worker (%.1f s)" % secs)
    # A VF that refuses to start with RX interrupts: started again without them.
    d = Daemon("idle-irq-refused", ["-P", "net_tap0,iface=%s=0" % tap], control=True,
               env={"VFWD_TEST_HOOKS": "1", "VFWD_TEST_FAIL_IRQ_START": "net_tap0"}).start()
    time.sleep(1)
    check(d.vf_relays() == [0] and "does not start with RX interrupts" in d.log()
          and "has RX interrupts" not in d.log() and irq_sleeps(d) == 0,
          "a VF that does not start with RX interrupts is started without them (relays %s)"
          % d.vf_relays())
    d.stop_ok()
    # Off: the timed sleeps only.
    d = Daemon("idle-noirq", ["-P", "net_tap0,iface=%s=0" % tap, "--idle-interrupts=false"],
               control=True).start()
    time.sleep(1)
    check(irq_sleeps(d) == 0 and "has RX interrupts" not in d.log(),
          "--idle-interrupts=false: no sleep in interrupt mode")
    d.stop_ok()


def main():
    require_env()
    interrupt_mode()
    empty_sockets()
    d, guests = idle_daemon("idle-on", [])
    cpu_on = worker_cpu(d)
    irq_sleeps_on = irq_sleeps(d)
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
    check(irq_sleeps_on == 0, "net_null has no RX interrupts: timed sleeps only")

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
