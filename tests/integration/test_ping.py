# SPDX-License-Identifier: BSD-3-Clause
"""Live traffic: a host in a netns pings a guest (testpmd icmpecho) through the relay, 0% loss."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, Daemon, Guest, log, require_env, run, vf_host)

COUNT = 100


def main():
    require_env()
    ns, root_if, _ = vf_host("vp", addr="10.99.0.1/24")
    d = Daemon("ping", ["-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    guest = Guest("ping", ["virtio_user0,path=%s" % d.sock(0)], fwd="icmpecho").start()
    d.wait_state(0, "DPDK_READY")
    out = subprocess.run(["timeout", "60", "ip", "netns", "exec", ns, "ping", "-c", str(COUNT),
                          "-i", "0.02", "-W", "2", "10.99.0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    log(out.strip().splitlines()[-2])
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    check(m and int(m.group(1)) == COUNT and int(m.group(2)) == COUNT,
          "%d pings sent, %d answered: 0%% loss" % (COUNT, COUNT))
    r = d.relay(0)
    check(r["vf_to_vm"]["pkts_tx_to_vm"] >= COUNT and r["vm_to_vf"]["pkts_tx_to_vf"] >= COUNT,
          "relay counters saw every request and reply (%d / %d)"
          % (r["vf_to_vm"]["pkts_tx_to_vm"], r["vm_to_vf"]["pkts_tx_to_vf"]))
    guest.stop()
    rc, secs = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
