# SPDX-License-Identifier: BSD-3-Clause
"""The control plane through the real tools and sockets: the operator workflow of the
compatibility spec (add, stats | grep DPDK_ADDED, remove) against a device alias, a guest with
traffic (DPDK_READY, counts, non-zero rates), JSON and Prometheus output that parse, two clients
at once with consistent rates, query_pci, config, removal, IPC socket modes, unreachable daemon.
"""
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from harness import BUILD, Daemon, Guest, check, flat, load_proto, log, require_env, run
import bench  # noqa: E402  (the generator)


def workflow(d):
    r = d.tool("port_control", "add", "--virtio-id", "1", "--pci-addr", "02:08.0")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "add --virtio-id 1 --pci-addr 02:08.0: "
          + r.stdout.strip())
    r = d.tool("stats", "--include-inactive")
    check("relay_1.vf_to_vm.internal_state=DPDK_ADDED" in r.stdout.splitlines(),
          "stats --include-inactive | grep DPDK_ADDED finds relay 1")
    r = d.tool("stats")
    check("relay_1." not in r.stdout, "without --include-inactive a relay with no VM is left out")
    r = d.tool("port_control", "query_pci", "--vhost-path", d.sock(1))
    check(r.returncode == 0 and r.stdout == "0000:02:08.0\n",
          "query_pci prints the address alone (the request's spelling, as the reference)")


def offered_rate(d):
    """Rates against a known offered rate: the generator sends RATE frames a second (TSC
    paced) through a memif VF to a guest that takes them all; the stats tool's rates over a
    1 s window must say RATE, and bytes per second RATE times the frame length."""
    rate, size = 100000, 64
    work = os.path.join(d.dir, "gen")
    os.makedirs(work)
    gen = bench.Gen(work, "ctl", "tx", size, 6, rate=rate)
    gen.wait("listening")
    dev = "net_memif0,role=client,socket=" + gen.sock
    r = d.tool("port_control", "add", "--virtio-id", "2", "--pci-addr", dev)
    check(r.returncode == 0, "relay 2 over the generator's memif")
    guest = Guest("ctl-rate", ["virtio_user0,path=%s" % d.sock(2)], fwd="rxonly").start()
    d.wait_state(2, "DPDK_READY")
    gen.wait("ready")
    gen.go()
    time.sleep(1.5)  # paced from the first frame on
    s = flat(d.tool("stats", "--relay", "2", "--delay", "1000").stdout)
    k = "relay_2.vf_to_vm.cpu_%s." % s["relay_2.cpu.vf_to_vm"]
    pps, bps = float(s[k + "pkt_rate_rx_from_vf"]), float(s[k + "byte_rate_rx_from_vf"])
    tx = float(s[k + "pkt_rate_tx_to_vm"])
    # 10 %: the window's edges and a generator sharing its CPU with the guest on this box. The
    # guest (rxonly on the same 2 CPUs) may fall behind: then fewer reach it, and the relay
    # must have counted the rest as queue-full drops.
    full = d.relay(2)["vf_to_vm"]["pkts_dropped_vm_queue_full"]
    check(abs(pps - rate) <= 0.1 * rate
          and (abs(tx - rate) <= 0.1 * rate or (0.75 * rate <= tx < rate and full > 0)),
          "rates over 1 s: %.0f pps from the VF, %.0f to the VM (%d dropped for a full guest "
          "ring in all), %d offered" % (pps, tx, full, rate))
    c = d.relay(2)["vf_to_vm"]
    per = c["bytes_rx_from_vf"] / c["pkts_rx_from_vf"]
    check(abs(bps / pps - per) < 0.01 * per,
          "bytes per second / packets per second = %.1f, the frame length counted (%.1f)"
          % (bps / pps, per))
    gen.result(timeout=30)
    guest.stop()
    r = d.tool("port_control", "remove", "--virtio-id", "2", "--pci-addr", dev)
    check(r.returncode == 0, "relay 2's VF removed")


def traffic(d):
    guest = Guest("ctl", ["virtio_user0,path=%s" % d.sock(1)], fwd="macswap").start()
    d.wait_state(1, "DPDK_READY")
    time.sleep(1.2)  # one rolling-window sample at least
    s = flat(d.tool("stats", "--relay", "1").stdout)
    check(s["relay_1.active"] == "True" and s["relay_1.vf_to_vm.internal_state"] == "DPDK_READY"
          and s["relay_1.vm_to_vf.internal_state"] == "VIRTIO_READY", "stats: DPDK_READY/VIRTIO_READY")
    cpu = s["relay_1.cpu.vf_to_vm"]
    a, b = "relay_1.vf_to_vm.cpu_%s." % cpu, "relay_1.vm_to_vf.cpu_%s." % s["relay_1.cpu.vm_to_vf"]
    check(int(s[a + "pkts_tx_to_vm"]) > 0 and int(s[b + "pkts_tx_to_vf"]) > 0,
          "counts both ways: %s to the VM, %s to the VF" % (s[a + "pkts_tx_to_vm"],
                                                          s[b + "pkts_tx_to_vf"]))
    check(float(s[a + "pkt_rate_tx_to_vm"]) > 0 and float(s[b + "pkt_rate_rx_from_vm"]) > 0,
          "non-zero rates over the 200 ms window: %s pps" % s[a + "pkt_rate_tx_to_vm"])
    check(re.fullmatch(r"\d+\.\d+|\d+(\.\d+)?e\+\d+", s[a + "pkt_rate_tx_to_vm"]) is not None,
          "rates printed as decimal floats")
    # the reference's key order, exactly
    keys = [l.split("=", 1)[0] for l in d.tool("stats", "--relay", "1").stdout.splitlines()]
    fields = ["pkts_rx_from_{0}", "bytes_rx_from_{0}", "pkts_tx_to_{1}", "bytes_tx_to_{1}",
              "pkt_rate_rx_from_{0}", "byte_rate_rx_from_{0}", "pkt_rate_tx_to_{1}",
              "byte_rate_tx_to_{1}", "pkts_dropped_{1}_queue_full",
              "pkts_dropped_{1}_not_connected"]  # bytes dropped: never sent by the reference
    want = ["relay_1.active", "relay_1.cpu.vf_to_vm", "relay_1.cpu.vm_to_vf",
            "relay_1.vf.pci_addr_str", "relay_1.vhost.vhost_socket_name"]
    for d_, (src, dst) in (("vf_to_vm", ("vf", "vm")), ("vm_to_vf", ("vm", "vf"))):
        want += ["relay_1.%s.active" % d_, "relay_1.%s.internal_state" % d_]
        want += ["relay_1.%s.cpu_1.%s" % (d_, f.format(src, dst)) for f in fields]
    check(keys[:len(want)] == want, "flat output: the reference's keys in the reference's order")
    ours = ["relay_1.vf.link_up", "relay_1.vf.link_speed", "relay_1.vf.mtu", "relay_1.vf.lost",
            "relay_1.vf.rx_interrupts"]
    for d_ in ("vf_to_vm", "vm_to_vf"):
        ours += ["relay_1.%s.cpu_1.%s" % (d_, k) for k in (
            "pkts_dropped_oversize", "bytes_dropped_oversize", "busy_cycles", "cycles_per_pkt",
            "retries", "bytes_dropped_queue_full", "bytes_dropped_not_connected", "moves",
            "segmented")]
    ours += ["worker_1.load_pct", "worker_1.busy_cycles", "worker_1.irq_sleeps"]
    check(keys[len(want):] == ours, "then our additions, after all of the reference's: %s"
          % keys[len(want):])
    s = flat(d.tool("stats", "--relay", "1").stdout)
    cpp = [float(s["relay_1.%s.cpu_1.cycles_per_pkt" % d_]) for d_ in ("vf_to_vm", "vm_to_vf")]
    check(all(0 < c < 1e6 for c in cpp) and int(s["worker_1.busy_cycles"]) > 0
          and 0 < float(s["worker_1.load_pct"]) <= 100,
          "under traffic: cycles per packet %.0f / %.0f, worker busy %s%%"
          % (cpp[0], cpp[1], s["worker_1.load_pct"]))
    # Relay 1 is the only one with traffic on worker 1: its directions share all of the
    # worker's busy cycles (each busy pass's are split among the directions that moved frames).
    # The worker's figure is the rate sampler's, up to a second older than the relay's.
    dirs = sum(int(s["relay_1.%s.cpu_1.busy_cycles" % d_]) for d_ in ("vf_to_vm", "vm_to_vf"))
    check(0.95 <= dirs / int(s["worker_1.busy_cycles"]) <= 1.5,
          "relay 1's directions were charged %d of worker 1's %s busy cycles"
          % (dirs, s["worker_1.busy_cycles"]))
    z = flat(d.tool("stats", "--relay", "1", "--delay", "0").stdout)
    check(float(z[a + "pkt_rate_tx_to_vm"]) > 0, "delay 0: rate of the rolling one-second window")

    t = d.relay(1)
    check(t["vf_to_vm"]["pkt_rate_tx_to_vm"] > 0 and t["cpu_vf_to_vm"] == 1
          and t["vf_state"] == "DPDK_READY",
          "DPDK telemetry /virtio_forwarder/relay,1: states, CPUs, rates (%d pps)"
          % t["vf_to_vm"]["pkt_rate_tx_to_vm"])
    j = json.loads(d.tool("stats", "--relay", "1", "--output-format", "json").stdout)
    rel = j["relay"][0]
    check(rel["id"] == 1 and rel["vf_to_vm"]["internal_state"] == "DPDK_READY"
          and rel["vf_to_vm"]["pkts_tx_to_vm"] > 0, "JSON output parses and carries the counters")

    pb = load_proto()
    raw = subprocess.run([os.path.join(BUILD, "stats/virtioforwarder_stats"), "--stats-ep",
                          d.ep["stats"], "--relay", "1", "--output-format", "protobuf-binary"],
                         stdout=subprocess.PIPE, check=True).stdout
    msg = pb.StatsResponse()
    msg.ParseFromString(raw)
    check(msg.status == pb.StatsResponse.OK and msg.relay[0].id == 1
          and msg.relay[0].vf_to_vm.pkts_tx_to_vm > 0 and msg.relay[0].socket_id == 0,
          "protobuf-binary output is a StatsResponse (Python client from our .proto)")
    # --output-format protobuf: the text format, as the reference's tool prints it (Python's
    # text_format, then an empty line); our floats spelt as this Python protobuf spells them.
    from google.protobuf import text_format
    text = d.tool("stats", "--include-inactive", "--output-format", "protobuf").stdout
    parsed = text_format.Parse(text, pb.StatsResponse())
    check(text.endswith("\n\n") and text[:-1] == text_format.MessageToString(parsed)
          and len(parsed.relay) == 32 and parsed.relay[1].vf_to_vm.pkts_tx_to_vm > 0,
          "protobuf output: the text format, byte for byte as Python's text_format prints it")

    prom = d.tool("stats", "--include-inactive", "--output-format", "prometheus").stdout
    r = subprocess.run(["promtool", "check", "metrics"], input=prom, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "promtool check metrics accepts the Prometheus output %s"
          % r.stdout.strip())
    check(re.search(r'^virtioforwarder_sent_packets_total\{relay="1",direction="vf_to_vm"\} [1-9]',
                    prom, re.M) is not None, "Prometheus counter with relay/direction labels")
    check(re.search(r'^virtioforwarder_worker_busy_cycles_total\{lcore="1"\} [1-9]', prom, re.M)
          is not None, "Prometheus: the worker's busy cycles")

    # Two clients at once, each with its own 500 ms window: both answered in about 500 ms,
    # neither resets what the other measures.
    out = [None, None]

    def ask(i):
        t0 = time.time()
        out[i] = (flat(d.tool("stats", "--relay", "1", "--delay", "500").stdout), time.time() - t0)
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r1, r2 = (float(o[0][a + "pkt_rate_tx_to_vm"]) for o in out)
    check(max(o[1] for o in out) < 1.4, "two concurrent 500 ms requests answered in %.2fs / %.2fs"
          % (out[0][1], out[1][1]))
    check(r1 > 0 and r2 > 0 and abs(r1 - r2) / max(r1, r2) < 0.3,
          "consistent rates for both clients: %.0f and %.0f pps" % (r1, r2))
    return guest


def config_and_remove(d, guest):
    r = d.tool("config")
    check(r.returncode == 0 and "\nrelay_cpu_map {\n  relay_number: 1\n  vf2virtio_cpu: 1\n"
          "  virtio2vf_cpu: 1\n}\n\n" in r.stdout and r.stdout.startswith("status: OK\n"),
          "config: the reference's text format, the relay's live CPUs")
    check('dpdk_version: "DPDK 22.11' in r.stdout
          and 'daemon_version: "virtio-forwarder' in r.stdout,
          "config carries our version and DPDK's")
    from google.protobuf import text_format
    parsed = text_format.Parse(r.stdout, load_proto().ConfigResponse())
    check(r.stdout[:-1] == text_format.MessageToString(parsed),
          "config output byte for byte as Python's text_format prints the reply")
    guest.stop()
    r = d.tool("port_control", "remove", "--virtio-id", "1", "--pci-addr", "0000:02:08.0")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "remove: status: OK")
    s = flat(d.tool("stats", "--include-inactive", "--relay", "1").stdout)
    check(s["relay_1.active"] == "False" and s["relay_1.vf_to_vm.internal_state"] == "DPDK_UNINIT",
          "after remove, relay 1 is inactive")
    check(os.path.exists(d.sock(1)), "its socket stays, as every relay id's does without -d")


def main():
    require_env()
    # The control endpoints are the owner's alone by default, whatever group the vhost
    # sockets get (-g: every QEMU process has it); --control-group opens them to one group.
    d0 = Daemon("ctl0", ["-gnogroup"], control=True).start()
    for name, ep in d0.ep.items():
        st = os.stat(ep[len("ipc://"):])
        check(stat.S_IMODE(st.st_mode) == 0o600 and st.st_gid != 65534,
              "by default the %s socket is mode 0600, not the vhost group's" % name)
    d0.stop()
    d = Daemon("ctl", ["--device-alias", "02:08.0=net_null7,size=64", "-gnogroup",
                       "--control-group", "nogroup"], control=True).start()
    for name, ep in d.ep.items():
        st = os.stat(ep[len("ipc://"):])
        check(stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == 65534,
              "with --control-group nogroup the %s socket is mode 0660, group nogroup" % name)
    workflow(d)
    if os.environ.get("VFWD_SANITIZED") == "1":
        log("offered-rate check left out: the ASan build is not timed (integ.control runs it)")
    else:
        offered_rate(d)
    guest = traffic(d)
    config_and_remove(d, guest)
    rc, _ = d.stop()
    check(rc == 0 and not any(os.path.exists(e[6:]) for e in d.ep.values()),
          "daemon exits 0 and removes its IPC sockets")
    for tool in ("stats", "port_control", "config"):
        args = ["query_pci", "--vhost-path", "/x"] if tool == "port_control" else []
        r = d.tool(tool, *args)
        check(r.returncode == 2 and "daemon not reachable at " + d.ep[tool] in r.stderr,
              "stopped daemon, %s: exit 2 as documented, '%s'" % (tool, r.stderr.strip()))
    # a socket nobody serves: the 2-second limit applies
    import socket as so
    dead = os.path.join(d.dir, "dead.sock")
    ls = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    ls.bind(dead)
    t0 = time.time()
    r = subprocess.run([os.path.join(BUILD, "stats/virtioforwarder_stats"), "--stats-ep",
                        "ipc://" + dead, "--delay", "0"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    ls.close()
    check(r.returncode == 2 and "no answer within 2000 ms" in r.stderr and time.time() - t0 < 4,
          "a socket that never answers: gives up after 2 s (%.1fs)" % (time.time() - t0))
    log("PASS")


if __name__ == "__main__":
    run(main)
