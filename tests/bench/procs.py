# SPDX-License-Identifier: BSD-3-Clause
"""procs.py: the benchmark's processes: the generator, the two relays (ours and testpmd's) and
the guest, each under timeout, cleaned up at exit by the harness."""
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
import harness as h  # noqa: E402

GEN = os.environ.get("VFWD_GEN", os.path.join(h.BUILD, "tests/bench/vfwd-gen"))


def memif_sock(work, tag):
    return os.path.join(work, "memif-%s.sock" % tag)


class Gen:
    """vfwd-gen: it waits for 'go' on stdin once its link is up. Alone, the memif server.
    With @guest (a relay's vhost-user socket) it is also the guest (an in-process echo on a
    virtio_user port) and the memif client of a relay serving memif_sock(work, tag). With
    @ports, those devices instead."""

    def __init__(self, work, tag, mode, size, seconds, rate=0, flows=64, extra=(), guest=None,
                 ports=None):
        self.sock = memif_sock(work, tag)
        self.prefix = "vfwd-b%s-gen-%s" % (h.RUN_ID, tag)
        vdevs = ["--vdev", "net_memif0,role=%s,socket=%s"
                 % ("client" if guest else "server", self.sock)]
        if guest:
            vdevs += ["--vdev", "virtio_user0,path=%s,queue_size=1024" % guest]
        if ports:  # other devices: port 0 sends, port 1 (if any) echoes
            vdevs = [x for p in ports for x in ("--vdev", p)]
        cmd = ["timeout", "-s", "KILL", str(int(seconds) + 60), "taskset", "-c", "0", GEN,
               "-l", "0", "--no-pci", "--no-huge", "-m", "256", "--file-prefix", self.prefix
               ] + vdevs + ["--",
               "--mode", mode, "--size", str(size), "--duration", str(seconds),
               "--rate", str(rate), "--flows", str(flows),
               "--drain-ms", "0" if mode == "rx" else "300"] + list(extra)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        h.on_exit(h._kill, self.proc, "generator")
        h.on_exit(shutil.rmtree, h.dpdk_dir(self.prefix), True)

    def wait(self, what):
        line = self.proc.stdout.readline()
        if line.strip() != what:
            raise AssertionError("generator: %r instead of %r" % (line, what))

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self, timeout):
        out, _ = self.proc.communicate(timeout=timeout)
        return dict(l.split("=", 1) for l in out.split() if "=" in l)


def tap_pvp(work, tag, tap, sock, rate, seconds, guest_first, wait_guest, size=64):
    """PVP over a net_tap VF at @rate frames/s, one at a time: vfwd-gen on the tap's kernel side
    (net_af_packet) and as the guest on @sock; the frames start at the VF side or
    (@guest_first) at the guest, the other side echoing. @wait_guest() returns once the relay
    has the guest. The generator's result."""
    ports = ["net_af_packet0,iface=%s" % tap, "virtio_user0,path=%s" % sock]
    gen = Gen(work, tag, "pvp", size, seconds, rate=rate, flows=1,
              extra=["--burst", "1", "--spin"], ports=ports[::-1] if guest_first else ports)
    gen.wait("listening")
    gen.wait("ready")
    wait_guest()
    time.sleep(0.5)  # the relay's worker back asleep, the guest's kicks armed
    gen.go()
    return gen.result(timeout=seconds + 30)


class TestpmdRelay:
    """The baseline: testpmd io forwarding between the VF stand-in @vf and a net_vhost port,
    its forwarding lcore on CPU 1."""

    def __init__(self, work, tag, vf, queues=1):
        self.sock = os.path.join(work, "vhost-%s.sock" % tag)
        self.prefix = "vfwd-b%s-tpmd-%s" % (h.RUN_ID, tag)
        self.logfile = os.path.join(work, "testpmd-relay-%s.log" % tag)
        cmd = ["timeout", "-s", "KILL", "600", h.TESTPMD, "-l", "0,1", "--main-lcore", "0",
               "--no-pci", "--no-huge", "-m", "256", "--file-prefix", self.prefix,
               "--log-level", "lib.vhost.config:info", "--vdev", vf,
               "--vdev", "net_vhost0,iface=%s,queues=%d" % (self.sock, queues), "--",
               "--forward-mode=io", "-a", "--stats-period", "1", "--total-num-mbufs=8192",
               "--rxq=%d" % queues, "--txq=%d" % queues]
        self.proc = subprocess.Popen(cmd, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        h.on_exit(h._kill, self.proc, "testpmd relay")
        h.on_exit(shutil.rmtree, h.dpdk_dir(self.prefix), True)
        h.wait_for(lambda: os.path.exists(self.sock), 20, "testpmd relay's vhost socket")

    def wait_guest(self):
        h.wait_for(lambda: "virtio is now ready" in open(self.logfile, errors="replace").read(),
                   20, "guest on the testpmd relay")

    def stop(self):
        h._kill(self.proc, "testpmd relay")


class OurRelay:
    """virtio-forwarder, relay i over the VF stand-in @vfs[i] (one device string or a list),
    its worker on CPU 1."""

    def __init__(self, work, tag, vfs, extra=(), control=False, binary=None, cpus="1", env=None):
        vfs = [vfs] if isinstance(vfs, str) else vfs
        args = []
        for i, vf in enumerate(vfs):
            args += ["-P", "%s=%d" % (vf, i)]
        self.d = h.Daemon("b-" + tag, args + list(extra), cpus=cpus, control=control, env=env)
        if binary:  # another build of ours (an A/B of a change in one run)
            cmd = self.d.cmd
            self.d.cmd = lambda: [binary] + cmd()[1:]
        self.d.start()
        self.socks = [self.d.sock(i) for i in range(len(vfs))]
        self.sock = self.socks[0] if self.socks else None

    def wait_guest(self, n=1):
        h.wait_for(lambda: all(self.d.relay(i)["vid"] >= 0 for i in range(n)), 20,
                   "guest(s) on our relay")

    def drops(self, rid=0):
        """Relay @rid's non-zero drop counters, per direction: where frames were lost."""
        r = self.d.relay(rid)
        return {"%s.%s" % (d, k): v for d in ("vf_to_vm", "vm_to_vf")
                for k, v in r[d].items() if "drop" in k and v}

    def stop(self):
        self.d.stop()


class BenchGuest:
    """testpmd on virtio_user ports (one per socket of @socks), forwarding on CPU 0, printing
    its ports' rates every second. @queues queue pairs per port, @packed: packed rings."""

    def __init__(self, work, tag, socks, fwd, size=None, queues=1, packed=False):
        self.prefix = "vfwd-b%s-g-%s" % (h.RUN_ID, tag)
        self.logfile = os.path.join(work, "guest-%s.log" % tag)
        self.nports = len(socks)
        vdevs = []
        for i, sock in enumerate(socks):
            vdevs += ["--vdev", "virtio_user%d,path=%s,queues=%d%s"
                      % (i, sock, queues, ",packed_vq=1" if packed else "")]
        cmd = ["timeout", "-s", "KILL", "600", "stdbuf", "-oL", h.TESTPMD, "-l", "0,1",
               "--main-lcore", "1", "--no-pci", "--no-huge", "-m", "512", "--file-prefix",
               self.prefix] + vdevs + [
               "--", "--forward-mode=" + fwd, "-a", "--stats-period", "1",
               "--total-num-mbufs=%d" % (4096 * self.nports),
               "--rxq=%d" % queues, "--txq=%d" % queues]
        if size:
            cmd.append("--txpkts=%d" % size)
        self.proc = subprocess.Popen(cmd, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        h.on_exit(h._kill, self.proc, "guest")
        h.on_exit(shutil.rmtree, h.dpdk_dir(self.prefix), True)

    def rates(self, key):
        """The per-second @key ("Rx-pps", "Tx-pps") figures printed so far, summed over the
        ports."""
        v = [int(x) for x in re.findall(key + r":\s+(\d+)",
                                        open(self.logfile, errors="replace").read())]
        return [sum(v[i:i + self.nports]) for i in range(0, len(v) - self.nports + 1,
                                                         self.nports)]

    def stop(self):
        h._kill(self.proc, "guest")
