# SPDX-License-Identifier: BSD-3-Clause
"""Dynamic sockets (-d): no sockets at start; ADD_SOCK pairs any socket path with a VF, a guest
connects there and traffic flows; query_pci by that path; REMOVE_SOCK takes it away.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, log, require_env, run


def main():
    require_env()
    d = Daemon("dyn", ["-d"], control=True).start()
    check(os.listdir(d.sock_dir) == [], "-d: no socket at start")
    path = os.path.join(d.dir, "vm-web-1.sock")
    r = d.tool("port_control", "add_sock", "--vhost-path", path, "--pci-addr", "net_null3,size=64")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "add_sock: " + r.stdout.strip())
    check(os.path.exists(path), "socket %s created" % path)
    guest = Guest("dyn", ["virtio_user0,path=%s" % path], fwd="macswap").start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(0.5)
    s = d.relay(0)
    check(s["vhost_socket"] == path and s["vm_to_vf"]["pkts_tx_to_vf"] > 0,
          "relay 0 on that socket carries traffic both ways")
    r = d.tool("port_control", "query_pci", "--vhost-path", path)
    check(r.stdout == "net_null3,size=64\n", "query_pci by path: the VF alone")
    guest.stop()
    r = d.tool("port_control", "remove_sock", "--vhost-path", path)
    check(r.returncode == 0 and not os.path.exists(path), "remove_sock: socket gone")
    r = d.tool("port_control", "remove_sock", "--vhost-path", path)
    check(r.returncode == 1 and r.stdout == 'status: ERROR\nerror_code: 1\n'
          'error_code_source: "virtio_remove_sock_dev_pair()"\n\n'
          and "no relay has socket" in r.stderr,
          "remove_sock again: the reference's code 1 on stdout, why on stderr: " + r.stderr.strip())
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
