# SPDX-License-Identifier: BSD-3-Clause
"""vm.py: QEMU guests for the e2e tests: build the guest image, boot it on a vhost-user socket
(TCG, memfd shared memory, vectors=0), read its serial console."""
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness  # noqa: E402
from harness import check, log, on_exit, skip, tmpdir, wait_for  # noqa: E402

SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))


def guest_image():
    """Build the guest (kernel + initramfs) into a temp dir; skip loudly if it cannot be."""
    if subprocess.run(["which", "qemu-system-x86_64"], stdout=subprocess.DEVNULL).returncode:
        skip("qemu-system-x86_64 missing: run scripts/setup.sh")
    if not os.path.isdir("/lib/modules") or not os.listdir("/lib/modules"):
        skip("no kernel modules for the guest: run scripts/setup.sh (linux-image-amd64)")
    out = tmpdir("guest")
    r = subprocess.run(["bash", os.path.join(SRC, "scripts/build-guest.sh")], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, VFWD_GUEST_DIR=out))
    check(r.returncode == 0, "guest image built from Debian's kernel and busybox")
    return out


class Vm:
    """One QEMU guest booting our kernel and initramfs; its serial console goes to a file."""

    def __init__(self, name, sock, guest_dir, append, packed=False, server=False, queues=1,
                 host_mtu=None, dev_extra="", extra=()):
        self.name = name
        self.log = os.path.join(tmpdir("vm-" + name), "serial.log")
        dev = "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,vectors=0"
        if packed:
            dev += ",packed=on"
        if host_mtu:
            dev += ",host_mtu=%d" % host_mtu
        dev += dev_extra
        netdev = "vhost-user,id=net0,chardev=chr0"
        if queues > 1:
            dev += ",mq=on"
            netdev += ",queues=%d" % queues
        chardev = "socket,id=chr0,path=" + sock + (",server=on,wait=off" if server else "")
        self.cmd = ["timeout", "-s", "KILL", "120", "qemu-system-x86_64", "-machine",
                    "q35,accel=tcg", "-cpu", "max", "-smp", "1", "-m", "256M",
                    "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
                    "-numa", "node,memdev=mem", "-chardev", chardev,
                    "-netdev", netdev, "-device", dev,
                    "-kernel", os.path.join(guest_dir, "vmlinuz"),
                    "-initrd", os.path.join(guest_dir, "initramfs.cpio.gz"),
                    "-append", "console=ttyS0 quiet ipv6.disable=1 " + append,
                    "-display", "none", "-serial", "file:" + self.log, "-nodefaults",
                    "-no-reboot"] + list(extra)
        self.proc = None

    def boot(self):
        open(self.log, "w").close()
        harness._logs.append(("vm %s serial console" % self.name, self.log))
        log("vm %s: %s" % (self.name, " ".join(self.cmd[4:])))
        # QEMU's own messages (vhost-user errors among them) go beside the console
        qlog = os.path.join(os.path.dirname(self.log), "qemu.log")
        harness._logs.append(("vm %s qemu messages" % self.name, qlog))
        self.proc = subprocess.Popen(self.cmd, stdout=open(qlog, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        on_exit(lambda p=self.proc: p.poll() is None and os.killpg(p.pid, 9))
        return self

    def serial(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def wait(self, marker, timeout=60):
        return wait_for(lambda: marker in self.serial() or not self.alive(), timeout,
                        "%s on %s's console" % (marker, self.name)) and marker in self.serial()

    def counters(self):
        m = re.search(r"VFWD-COUNTERS rx_packets=(\d+) tx_packets=(\d+)", self.serial())
        return (int(m.group(1)), int(m.group(2))) if m else None

    def echoes(self):
        """(echo requests sent, replies received) by the guest kernel: the loss on the wire.
        busybox ping's own totals can miss a reply the kernel got (seen with several pings
        at once under TCG); both are logged."""
        icmp = self.icmp()
        log("vm %s: ping printed %d/%d; kernel: %d echo requests out, %d replies in"
            % ((self.name,) + self.ping_totals()[::-1] + (icmp.get("OutEchos", -1),
                                                           icmp.get("InEchoReps", -1))))
        return icmp.get("OutEchos", -1), icmp.get("InEchoReps", -1)

    def ping_totals(self):
        """(sent, answered) over every ping summary on the console (several peers)."""
        found = re.findall(r"(\d+) packets transmitted, (\d+) packets received", self.serial())
        return tuple(sum(int(x[i]) for x in found) for i in (0, 1))

    def icmp(self):
        """The guest kernel's ICMP counters ({"OutEchos": n, "InEchoReps": n, ...}) from the
        VFWD-NETSTAT line: what went on the wire, whatever busybox ping printed."""
        m = re.search(r"VFWD-NETSTAT .*?Icmp: ((?:[A-Za-z]+ )+)Icmp: ((?:\d+ )+)", self.serial())
        return dict(zip(m.group(1).split(), map(int, m.group(2).split()))) if m else {}

    def queue_stats(self):
        """[(combined, {"rx": [per queue], "tx": [per queue]})] for each vfwd.queues phase."""
        phases = []
        for n, body in re.findall(r"VFWD-QSTATS combined=(\d+)([^\n]*)", self.serial()):
            q = {"rx": {}, "tx": {}}
            for d, i, v in re.findall(r"([rt]x)_queue_(\d+)_packets=(\d+)", body):
                q[d][int(i)] = int(v)
            phases.append((int(n), {d: [q[d][i] for i in sorted(q[d])] for d in q}))
        return phases

    def replies(self):
        """Sequence numbers of the answered pings, from busybox ping's lines."""
        return [int(s) for s in re.findall(r"bytes from [0-9.]+: seq=(\d+)", self.serial())]


class Monitor:
    """QEMU's human monitor on a unix socket (-monitor unix:PATH,server=on,wait=off)."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.time() + timeout
        while True:
            try:
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.time() > end:
                    raise
                time.sleep(0.05)
        self.s.settimeout(timeout)
        self._until_prompt()

    def _until_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        out = self._until_prompt()
        # The monitor echoes the command line first (with terminal escapes).
        return out.split("\r\n", 1)[1] if "\r\n" in out else out

    def close(self):
        self.s.close()
