# SPDX-License-Identifier: BSD-3-Clause
"""vfbed.py: the real-VF test bed (doc/real-vfs.md). A TCG guest with QEMU's igb (an Intel 82576
with SR-IOV) behind a vIOMMU runs this host's programs over 9p (scripts/build-vf-guest.sh); the
host side of the NIC's wire is a tap in a network namespace of the test's. Commands run in the
guest through a shared folder; everything there runs under `timeout`."""
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness  # noqa: E402
from harness import log, netns, on_exit, sh, skip, tmpdir, wait_for  # noqa: E402

SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
QEMU = "qemu-system-x86_64"


def require_bed():
    """Skip loudly where the bed cannot run: no QEMU with igb, no kernel for the guest."""
    if not shutil.which(QEMU):
        skip("qemu-system-x86_64 missing: run scripts/setup.sh")
    devs = subprocess.run([QEMU, "-device", "help"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True).stdout
    if '"igb"' not in devs:
        skip("this QEMU has no igb (SR-IOV 82576): scripts/setup.sh installs QEMU 10 from "
             "bookworm-backports")
    if not os.path.isdir("/lib/modules") or not os.listdir("/lib/modules"):
        skip("no kernel modules for the guest: run scripts/setup.sh (linux-image-amd64)")


class Bed:
    """One machine with an igb PF (eth0 inside) whose wire is tap `vfbed0` in netns `self.ns`."""

    def __init__(self, name, host_addr="10.77.0.1/24", mem="2G", cpus=2):
        self.dir = tmpdir("vfbed-" + name)
        self.xchg = os.path.join(self.dir, "xchg")
        os.makedirs(self.xchg)
        self.image = os.path.join(self.dir, "image")
        r = subprocess.run(["bash", os.path.join(SRC, "scripts/build-vf-guest.sh")], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=dict(os.environ, VFWD_GUEST_DIR=self.image))
        harness.check(r.returncode == 0, "bed image built (%s)" % r.stdout.strip()[-200:])
        self.ns = netns("vfbed" + name)
        self.tap = "vfbed0"
        self.host_addr = host_addr
        self.serial = os.path.join(self.dir, "serial.log")
        self.n = 0
        self.cmd = ["ip", "netns", "exec", self.ns, "timeout", "-s", "KILL", "1500", QEMU,
                    "-M", "q35,accel=tcg", "-cpu", "max", "-smp", str(cpus), "-m", mem,
                    "-device", "intel-iommu,intremap=on,aw-bits=48",
                    "-device", "pcie-root-port,id=rp0,chassis=1,slot=1",
                    "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % self.tap,
                    "-device", "igb,bus=rp0,netdev=n0,mac=52:54:00:aa:00:01",
                    "-virtfs", "local,path=/,mount_tag=host,security_model=none,readonly=on,"
                    "multidevs=remap",
                    "-virtfs", "local,path=%s,mount_tag=xchg,security_model=none" % self.xchg,
                    "-kernel", os.path.join(self.image, "vmlinuz"),
                    "-initrd", os.path.join(self.image, "initramfs.cpio.gz"),
                    "-append", "console=ttyS0 intel_iommu=on iommu=pt quiet vfwd.keep=" +
                    ",".join(sorted({os.path.realpath(p) for p in (
                        SRC, harness.BUILD, os.path.dirname(harness.BIN))})),
                    "-display", "none", "-serial", "file:" + self.serial, "-nodefaults",
                    "-no-reboot"]
        self.proc = None

    def boot(self, timeout=240):
        open(self.serial, "w").close()
        harness._logs.append(("bed console", self.serial))
        log("bed: %s" % " ".join(self.cmd[5:]))
        qlog = os.path.join(self.dir, "qemu.log")
        harness._logs.append(("bed qemu messages", qlog))
        self.proc = subprocess.Popen(self.cmd, stdout=open(qlog, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        on_exit(self._stop)
        t0 = time.time()
        wait_for(lambda: "VFWD-VFGUEST-" in self.console() or self.proc.poll() is not None,
                 timeout, "the bed's guest up")
        harness.check("VFWD-VFGUEST-UP" in self.console() and
                      "VFWD-VFGUEST-FAIL" not in self.console(),
                      "bed up in %.0f s (igb PF, vIOMMU, host root over 9p)" % (time.time() - t0))
        sh("ip", "-n", self.ns, "link", "set", self.tap, "up")
        sh("ip", "-n", self.ns, "addr", "add", self.host_addr, "dev", self.tap)
        return self

    def _stop(self):
        if self.proc and self.proc.poll() is None:
            open(os.path.join(self.xchg, "halt"), "w").close()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)

    def console(self):
        with open(self.serial, errors="replace") as f:
            return f.read()

    def run(self, script, timeout=120, ok=True):
        """Run shell @script in the guest; its output. @ok: fail unless it exits 0."""
        n = self.n
        self.n += 1
        tmp = os.path.join(self.xchg, "cmd.tmp")
        with open(tmp, "w") as f:
            f.write(script)
        os.rename(tmp, os.path.join(self.xchg, "cmd.%d" % n))
        rc_path = os.path.join(self.xchg, "rc.%d" % n)
        wait_for(lambda: os.path.exists(rc_path) or self.proc.poll() is not None, timeout,
                 "guest command %d" % n, interval=0.1)
        if not os.path.exists(rc_path):
            raise AssertionError("guest command %d did not finish:\n%s" % (n, script))
        with open(os.path.join(self.xchg, "out.%d" % n), errors="replace") as f:
            out = f.read()
        rc = int(open(rc_path).read())
        if ok and rc != 0:
            raise AssertionError("guest command failed (%d):\n%s\n--- output ---\n%s"
                                 % (rc, script, out))
        return out

    def file(self, name):
        """A file the guest wrote into the exchange folder (/run/xchg inside)."""
        path = os.path.join(self.xchg, name)
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def ping(self, addr, count=20, interval=0.2):
        """Ping @addr from the host side of the wire: (received, [rtt ms of each reply])."""
        r = subprocess.run(["ip", "netns", "exec", self.ns, "ping", "-n", "-c", str(count),
                            "-i", str(interval), "-W", "2", addr], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=count * 3 + 30)
        rtts = [float(x) for x in re.findall(r"time=([0-9.]+) ms", r.stdout)]
        log("ping %s: %d/%d answered, rtt %s" % (addr, len(rtts), count,
                                                  " ".join("%.1f" % x for x in rtts)))
        return len(rtts), rtts
