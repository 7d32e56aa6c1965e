#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make_corpus.py BUILD_DIR: writes the seed corpora of the libFuzzer targets (corpus/<target>)
that are not plain text typed by hand: the shipped config file, OVSDB messages, command
lines and serialized control requests. Run it again when the .proto or the options change."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build")
os.environ.setdefault("VFWD_BUILD_DIR", BUILD)
from harness import load_proto  # noqa: E402


def w(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    pb = load_proto()
    # OVSDB (RFC 7047) messages as ovsdb-server sends them, and JSON corners
    for i, m in enumerate([
            '{"id":0,"result":{"Interface":{"8c1a":{"new":{"name":"vf0","type":'
            '"dpdkvhostuserclient","options":["map",[["vhost-server-path","/run/vf0.sock"]]],'
            '"external_ids":["map",[]]}}}},"error":null}',
            '{"id":null,"method":"update","params":[null,{"Interface":{"8c1a":{"old":'
            '{"name":"vf0"}}}}]}',
            '{"id":"echo","method":"echo","params":[]}',
            '[1, 2.5e-3, -0, true, false, null, "a\\u00e9\\n\\"b", {"k": [[]]}]',
            '{"a":{"b":{"c":{"d":[1,[2,[3]]]}}}}',
            '  {"id":1,"result":[{"rows":[]}],"error":null}{"id":2,"result":{}}']):
        w("fuzz_json", "seed%d" % i, m)
    # config files: the shipped one and the syntax it allows
    w("fuzz_config", "shipped", open(os.path.join(BUILD, "etc/virtioforwarder")).read())
    w("fuzz_config", "arrays", 'VIRTIOFWD_STATIC_VFS=(0000:02:08.0=0 "net_null1,size=64=1")\n'
      'export VIRTIOFWD_CPU_MASK=1,2\n# comment\nVIRTIOFWD_LOG_LEVEL="7"\n'
      'VIRTIOFWD_CPU_PINS="0:1,2;1:2"\n')
    w("fuzz_config", "quotes", "VIRTIOFWD_SOCKET_FNAME_PATTERN='vf%u.sock'\n"
      'VIRTIOFWD_BIND_VFIO_PCI="0000:02:08.0, 0000:02:08.1"\nVIO4WD_CORE_SCHED_ENABLE=true\n'
      "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///tmp/x\n")
    w("fuzz_config", "bad", "NOT A LINE\nVIRTIOFWD_CPU_MASK=(1 2\nVIRTIOFWD_LOG_LEVEL=99\n")
    # command lines, one argument per line
    for i, a in enumerate([
            ["-C", "1", "-M", "0", "-P", "net_null0,size=64=0", "-l", "7", "--no-huge", "--mem",
             "256"],
            ["--help"], ["-v"], ["-u", "-gkvm", "-n=log_syslog", "-s"],
            ["-T", "-R", "-i", "-d", "--idle-sleep-max-us", "0", "-c", "0:1,1;1:1"],
            ["-Zipc:///tmp/pc", "-zipc:///tmp/st", "-Y", "tcp://127.0.0.1:5555",
             "--control-group", "kvm"],
            ["--device-alias", "eth3=net_null3", "-O", "/run/openvswitch/db.sock", "-I",
             "--ipc-file=/tmp/vio_cmd"],
            ["-p", "/run/vfwd", "-V", "/run/sock", "--state-dir", "/var/lib/x", "-H",
             "/dev/hugepages", "stray"]]):
        w("fuzz_cmdline", "seed%d" % i, "\n".join(a))
    # control requests: the selector byte (fuzz_control.c), then the request
    Op = pb.PortControlRequest
    pci = pb.PciAddress(domain=0xffff, bus=2, slot=8, function=0)
    for i, q in enumerate([
            Op(op=Op.ADD, virtio_id=1, device=["net_null1,size=64"]),
            Op(op=Op.ADD, virtio_id=2, device=["net_null2", "net_null3"], name="net_bonding0",
               mode=1),
            Op(op=Op.REMOVE, virtio_id=1, device=["net_null1,size=64"], conditional=False),
            Op(op=Op.ADD, virtio_id=3, pci_addrs=[pci]),
            Op(op=Op.ADD_SOCK, vhost_path="/tmp/vfwd-fuzz-XXXXXX/dyn.sock", device=["net_null4"]),
            Op(op=Op.REMOVE_SOCK, vhost_path="/tmp/vfwd-fuzz-XXXXXX/dyn.sock"),
            Op(op=Op.QUERY_PCI, vhost_path="/tmp/vfwd-fuzz-XXXXXX/vf1.sock")]):
        w("fuzz_control", "pc%d" % i, b"\x00" + q.SerializeToString())
    for i, q in enumerate([pb.StatsRequest(), pb.StatsRequest(relay=[0, 1, 63]),
                           pb.StatsRequest(relay=[1], include_inactive=False, delay=100)]):
        w("fuzz_control", "st%d" % i, b"\x01" + q.SerializeToString())
    w("fuzz_control", "cf0", b"\x02")
    cs = pb.CoreSchedRequest
    for i, q in enumerate([cs(op=cs.GET_EAL_CORES),
                           cs(op=cs.UPDATE, relay_cpu_map=[pb.RelayCPU(
                               relay_number=1, vf2virtio_cpu=1, virtio2vf_cpu=1)])]):
        w("fuzz_control", "cs%d" % i, b"\x03" + q.SerializeToString())


if __name__ == "__main__":
    main()
