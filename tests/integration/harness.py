# SPDX-License-Identifier: BSD-3-Clause
"""harness.py: runs the daemon, testpmd guests, veth pairs and netns for integration tests.

Everything started here is bounded in time (coreutils `timeout`) and torn
down at exit, on success or failure: processes by pid, netns, veths, DPDK
runtime directories, temporary files.
"""
import atexit
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("VFWD_BIN", os.path.join(HERE, "../../build/src/virtio-forwarder"))
BUILD = os.environ.get("VFWD_BUILD_DIR", os.path.join(HERE, "../../build"))
TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PORT_CONTROL = os.path.join(BUILD, "control/virtioforwarder_port_control")
STATS = os.path.join(BUILD, "stats/virtioforwarder_stats")
CONFIG = os.path.join(BUILD, "control/virtioforwarder_config")
ETH_TEST = 0x88B5  # IEEE local experimental ethertype: no stack answers it
RUN_ID = "%d" % os.getpid()

_cleanups = []


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def on_exit(fn, *args, **kw):
    """Register a cleanup; run in reverse order at exit."""
    _cleanups.append((fn, args, kw))


def _run_cleanups():
    # A signal in the middle (our SIGTERM handler raises SystemExit) must not stop the cleanup
    # half-way: a CI run once left a test's netns, runtime dir and temporary dirs behind while
    # the test itself passed. Signals are ignored from here on and every error is reported.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while _cleanups:
        fn, args, kw = _cleanups.pop()
        try:
            fn(*args, **kw)
        except BaseException as e:  # cleanup must go on
            print("cleanup %s failed: %r" % (getattr(fn, "__name__", fn), e), file=sys.stderr,
                  flush=True)


atexit.register(_run_cleanups)


def _on_sigterm(signum, frame):
    print("test received signal %d: failing and cleaning up" % signum, file=sys.stderr, flush=True)
    sys.exit(1)


signal.signal(signal.SIGTERM, _on_sigterm)


_logs = []


def run(main):
    """Run a test's main: on failure print the traceback and the tail of every log."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        import traceback
        traceback.print_exc()
        for name, path in _logs:
            try:
                with open(path, errors="replace") as f:
                    # A guest's console is the story of the failure: more of it.
                    tail = f.read()[-(20000 if "console" in name else 6000):]
            except OSError:
                continue
            print("----- %s (%s), last lines -----\n%s" % (name, path, tail))
        print("FAIL", flush=True)
        sys.exit(1)


def skip(reason):
    """A test that cannot run says so loudly; it fails unless VFWD_ALLOW_SKIP=1 (exactly: 0,
    'no' or an empty value do not allow it)."""
    print("=" * 70)
    print("SKIPPED: %s" % reason)
    print("=" * 70, flush=True)
    if os.environ.get("VFWD_ALLOW_SKIP") == "1":
        sys.exit(77)
    print("failing: set VFWD_ALLOW_SKIP=1 to allow skipped tests")
    sys.exit(1)


def require_env():
    if os.geteuid() != 0:
        skip("integration tests need root (netns, veth, /var/run/dpdk)")
    for tool in (BIN, TESTPMD):
        if not os.access(tool, os.X_OK):
            skip("%s not found; run scripts/setup.sh and build" % tool)
    if not shutil.which("ip"):
        skip("iproute2 missing; run scripts/setup.sh")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    log("ok: " + msg)


def sh(*cmd, ok=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    if ok and r.returncode:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stdout))
    return r


def wait_for(fn, timeout, what, interval=0.05):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


def _rmtree(d):
    """Remove a test's directory; say why when it cannot be (a CI run once left one behind
    with no word: ignore_errors hid the reason), after retrying for files still being written."""
    errors = []
    for attempt in range(3):
        errors = []
        shutil.rmtree(d, onerror=lambda fn, path, exc: errors.append("%s %s: %s" % (
            fn.__name__, path, exc[1])))
        if not os.path.lexists(d):
            return
        time.sleep(1)
    print("cleanup: %s not removed: %s" % (d, "; ".join(errors[:5])), file=sys.stderr, flush=True)


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="vfwd-%s-" % tag)
    on_exit(_rmtree, d)
    return d


def _kill(proc, name):
    """Kill a process started with start_new_session: its whole group (timeout and child)."""
    if proc.poll() is None:
        log("killing leftover %s (pid %d)" % (name, proc.pid))
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def dpdk_dir(prefix):
    return "/var/run/dpdk/%s" % prefix


def load_proto():
    """Python classes built from our .proto with protoc, as existing Python clients are."""
    src = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
    out = tmpdir("proto")
    subprocess.run(["protoc", "--python_out=" + out, "-I", os.path.join(src, "control"),
                    os.path.join(src, "control/virtioforwarder.proto")], check=True)
    sys.path.insert(0, out)
    import virtioforwarder_pb2
    return virtioforwarder_pb2


# ---- network plumbing ---------------------------------------------------------------------

def netns(name):
    sh("ip", "netns", "add", name)
    on_exit(sh, "ip", "netns", "del", name, ok=False)
    sh("ip", "-n", name, "link", "set", "lo", "up")
    return name


def veth(root_if, ns, ns_if, addr=None):
    """A veth pair: root_if stays in the root netns (the VF stand-in), ns_if goes into ns."""
    sh("ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if)
    on_exit(sh, "ip", "link", "del", root_if, ok=False)
    sh("ip", "link", "set", ns_if, "netns", ns)
    for args in (("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % root_if),):
        sh(*args, ok=False)
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ns_if,
       ok=False)
    sh("ip", "link", "set", root_if, "up")
    if addr:
        sh("ip", "-n", ns, "addr", "add", addr, "dev", ns_if)
    sh("ip", "-n", ns, "link", "set", ns_if, "up")


def vf_host(family, tag="", addr=None):
    """A host behind a VF stand-in: netns vfwd-<family><tag>-<run>, a veth whose root end
    (<family>a<tag><run>) is the VF and whose other end (<family>b...) carries @addr."""
    ns = netns("vfwd-%s%s-%s" % (family, tag, RUN_ID))
    root_if, ns_if = ("%s%s%s%s" % (family, side, tag, RUN_ID[-5:]) for side in "ab")
    veth(root_if, ns, ns_if, addr=addr)
    return ns, root_if, ns_if


# ---- frames and pcap files ----------------------------------------------------------------

def make_frames(n, tag, sizes=(60, 64, 128, 333, 512, 1000, 1514)):
    """n test frames (ETH_TEST), each carrying tag and sequence number, varied sizes."""
    rnd = random.Random(tag * 7919 + n)
    frames = []
    for i in range(n):
        size = sizes[i % len(sizes)]
        hdr = bytes.fromhex("020000000002") + bytes([2, 0, 0, 0, tag & 0xFF, 1])
        hdr += struct.pack("!HII", ETH_TEST, tag, i)
        body = bytes(rnd.getrandbits(8) for _ in range(size - len(hdr)))
        frames.append(hdr + body)
    return frames


def frame_tag(f):
    if len(f) < 22 or struct.unpack("!H", f[12:14])[0] != ETH_TEST:
        return None
    return struct.unpack("!II", f[14:22])


def pcap_write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def pcap_read(path):
    frames = []
    if not os.path.exists(path):
        return frames
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def test_frames(frames, tag=None):
    """Only our ETH_TEST frames (optionally of one tag), in order."""
    return [f for f in frames if frame_tag(f) and (tag is None or frame_tag(f)[0] == tag)]


class Capture:
    """Frames of ETH_TEST arriving on ns_if, captured by rawio.py inside the netns."""

    def __init__(self, ns, ifname, seconds, out, ethertype=ETH_TEST):
        self.out = out
        self.proc = subprocess.Popen(
            ["timeout", str(seconds + 5), "ip", "netns", "exec", ns, sys.executable,
             os.path.join(HERE, "rawio.py"), "recv", ifname, str(seconds), out,
             "0x%04x" % ethertype],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        on_exit(_kill, self.proc, "capture")
        wait_for(lambda: self.proc.stdout.readline().startswith("listening"), 5, "capture ready")

    def frames(self, expect=None, timeout=10):
        """Wait until `expect` frames arrived (or the capture ends), return them."""
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            if expect is not None and len(pcap_read(self.out)) >= expect:
                break
            time.sleep(0.1)
        return pcap_read(self.out)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        return pcap_read(self.out)


def send_frames(ns, ifname, frames, workdir, gap_us=0):
    path = os.path.join(workdir, "send-%d.pcap" % random.randrange(1 << 30))
    pcap_write(path, frames)
    sh("timeout", "30", "ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "rawio.py"),
       "send", ifname, path, str(gap_us))


def flat(text):
    """The stats tool's flat output (key=value lines) as a dict."""
    return dict(line.split("=", 1) for line in text.strip().splitlines())


# ---- the daemon ---------------------------------------------------------------------------

def worker_cpu(d, seconds):
    """Share of one CPU the daemon @d's one worker thread used over @seconds (from /proc)."""
    pid = d.pid()
    tids = [t for t in os.listdir("/proc/%d/task" % pid)
            if open("/proc/%d/task/%s/comm" % (pid, t)).read().startswith("rte-worker-")]
    check(len(tids) == 1, "one worker thread (%s)" % tids)
    stat = "/proc/%d/task/%s/stat" % (pid, tids[0])

    def ticks():
        f = open(stat).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])  # utime + stime

    t0, c0 = time.time(), ticks()
    time.sleep(seconds)
    return (ticks() - c0) / os.sysconf("SC_CLK_TCK") / (time.time() - t0)


class Daemon:
    """virtio-forwarder as a process, foreground, --no-huge, its own prefix and directories."""

    def __init__(self, name, args, client=False, cpus="1", huge_dir=None, control=False,
                 env=None):
        self.name = name
        self.dir = tmpdir("d-" + name)
        self.sock_dir = os.path.join(self.dir, "sock")
        self.pid_dir = os.path.join(self.dir, "run")
        self.state_dir = os.path.join(self.dir, "state")
        os.makedirs(self.pid_dir)
        self.prefix = "vfwd-t%s-%s" % (RUN_ID, name)
        self.logfile = os.path.join(self.dir, "daemon.log")
        self.args = args + (["-i"] if client else [])
        self.cpus = cpus
        self.huge_dir = huge_dir  # None: --no-huge
        self.env = dict(os.environ, **(env or {}))
        self.wrap = []  # a command the daemon runs under (e.g. unshare), after timeout
        self.proc = None
        # ZeroMQ services on IPC endpoints of this daemon's own
        run = os.path.join(self.dir, "zmq")
        self.ep = {k: "ipc://%s/%s" % (run, k) for k in ("port_control", "stats", "config")}
        if control:
            self.args = ["-Z" + self.ep["port_control"], "-z" + self.ep["stats"],
                         "-Y" + self.ep["config"]] + self.args
        elif "-O" not in args and "-I" not in args:
            # Without -Z the daemon follows OVSDB (the reference's default): never the host's.
            self.args = ["-O", os.path.join(self.dir, "no-ovsdb.sock")] + self.args

    def cmd(self):
        mem = ["-H", self.huge_dir] if self.huge_dir else ["--no-huge", "--mem", "256"]
        return [BIN, "-n", "-C", self.cpus, "-M", "0"] + mem + [
            "--file-prefix", self.prefix, "-p", self.pid_dir, "-V", self.sock_dir,
            "--state-dir", self.state_dir, "-l", "7"] + self.args

    def start(self, wait_ready=True):
        log("daemon %s: %s" % (self.name, " ".join(self.cmd())))
        readies = self.log().count("ready:") if os.path.exists(self.logfile) else 0
        self.log_fd = open(self.logfile, "ab")
        _logs.append(("daemon " + self.name, self.logfile))
        self.proc = subprocess.Popen(["timeout", "-s", "KILL", "600"] + self.wrap + self.cmd(),
                                     stdout=self.log_fd, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=self.env)
        on_exit(self.kill)
        on_exit(shutil.rmtree, dpdk_dir(self.prefix), True)
        if wait_ready:
            # The log is appended to across restarts: wait for this run's own "ready:".
            wait_for(lambda: self.log().count("ready:") > readies or self.proc.poll() is not None,
                     20, "daemon ready")
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited at start:\n" + self.log())
        return self

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def sock(self, relay_id):
        return os.path.join(self.sock_dir, "virtio-forwarder%d.sock" % relay_id)

    def tool(self, which, *args, timeout=30):
        """Run one of our tools against this daemon; returns the CompletedProcess."""
        exe, ep = {"port_control": (PORT_CONTROL, ["--zmq_ep", self.ep["port_control"]]),
                   "stats": (STATS, ["--stats-ep", self.ep["stats"]]),
                   "config": (CONFIG, ["--config-ep", self.ep["config"]])}[which]
        return subprocess.run([exe] + list(args) + ep, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout)

    def flat_stats(self, *args):
        """The stats tool's flat output as a dict (needs control=True)."""
        return flat(self.tool("stats", "--include-inactive", *args).stdout)

    def pid(self):
        # timeout(1) is our direct child; the daemon is its child
        return int(sh("pgrep", "-P", str(self.proc.pid)).stdout.split()[0])

    def telemetry(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        try:
            s.connect(os.path.join(dpdk_dir(self.prefix), "dpdk_telemetry.v2"))
            s.recv(4096)
            s.send(cmd.encode())
            return json.loads(s.recv(65536).decode())
        finally:
            s.close()

    def vf_relays(self):
        """Ids of the relays that have a VF (every id has a socket without -d)."""
        states = self.telemetry("/virtio_forwarder/relays")["/virtio_forwarder/relays"]
        return sorted(int(k) for k, v in states.items() if v != "DPDK_UNINIT")

    def accounted(self, rid, what=""):
        """With relay @rid's counters still (no VF), every frame and byte it received is sent
        or counted as dropped, both directions; checked, with @what in the messages."""
        r = self.relay(rid)
        for name, c, src, dst in (("VF->VM", r["vf_to_vm"], "vf", "vm"),
                                  ("VM->VF", r["vm_to_vf"], "vm", "vf")):
            for unit in ("pkts", "bytes"):
                rx = c["%s_rx_from_%s" % (unit, src)]
                if unit == "pkts":
                    out = (c["pkts_tx_to_" + dst] + c["pkts_dropped_%s_queue_full" % dst]
                           + c["pkts_dropped_%s_not_connected" % dst] + c["pkts_dropped_oversize"])
                else:
                    out = (c["bytes_tx_to_" + dst] + c["bytes_dropped_queue_full"]
                           + c["bytes_dropped_not_connected"] + c["bytes_dropped_oversize"])
                check(rx == out, "%srelay %d %s %s: %d received = %d sent + dropped"
                      % (what, rid, name, unit, rx, out))
        return r

    def relay(self, rid):
        return self.telemetry("/virtio_forwarder/relay,%d" % rid)["/virtio_forwarder/relay"]

    def wait_state(self, rid, state, timeout=15):
        return wait_for(lambda: self.relay(rid).get("vf_state") == state and self.relay(rid),
                        timeout, "relay %d in %s" % (rid, state))

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Signal the daemon; return (exit status, seconds it took)."""
        t0 = time.time()
        os.kill(self.pid(), sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("daemon did not exit within %ss of signal %d" % (timeout, sig))
        return rc, time.time() - t0

    def stop_ok(self, what="daemon exits 0"):
        """stop(), checked: exit status 0. Returns the seconds it took."""
        rc, secs = self.stop()
        check(rc == 0, "%s (status %d, %.2fs)" % (what, rc, secs))
        return secs

    def kill(self):
        if self.proc:
            _kill(self.proc, "daemon " + self.name)


class CoreSched:
    """A client of the daemon's core-scheduler service (-s): CoreSchedRequest in, response out."""

    def __init__(self, ep, pb):
        import zmq
        self.pb = pb
        self.ctx = zmq.Context()
        self.s = self.ctx.socket(zmq.REQ)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.setsockopt(zmq.RCVTIMEO, 5000)
        self.s.connect(ep)

    def ask(self, rq):
        self.s.send(rq.SerializeToString())
        r = self.pb.CoreSchedResponse()
        r.ParseFromString(self.s.recv())
        return r

    def update(self, *entries):
        rq = self.pb.CoreSchedRequest(op=self.pb.CoreSchedRequest.UPDATE)
        for relay, vf2vm, vm2vf in entries:
            rq.relay_cpu_map.add(relay_number=relay, vf2virtio_cpu=vf2vm, virtio2vf_cpu=vm2vf)
        return self.ask(rq)

    def close(self):
        self.s.close()
        self.ctx.term()


# ---- guests: dpdk-testpmd with virtio_user ------------------------------------------------

class Guest:
    """dpdk-testpmd acting as a VM: virtio_user ports, optional pcap ports, one forwarding mode."""

    def __init__(self, name, vdevs, fwd="io", extra=(), eal=()):
        self.name = name
        self.eal = list(eal)  # EAL arguments (before "--"), e.g. log levels
        self.dir = tmpdir("g-" + name)
        self.prefix = "vfwd-g%s-%s" % (RUN_ID, name)
        self.vdevs = vdevs
        self.fwd = fwd
        self.extra = list(extra)
        self.logfile = os.path.join(self.dir, "testpmd.log")
        self.proc = None
        self.runs = 0

    def start(self, wait_ready=True):
        nports = len(self.vdevs)
        cmd = ["timeout", "-s", "KILL", "300", "stdbuf", "-oL", TESTPMD, "-l", "0,1", "--main-lcore", "1",
               "--no-pci", "--no-huge", "-m", "512", "--file-prefix", self.prefix]
        for v in self.vdevs:
            cmd += ["--vdev", v]
        cmd += self.eal + ["--", "--forward-mode=" + self.fwd, "--total-num-mbufs=%d" % (2048 * max(nports, 1)),
                "-a", "--stats-period", "0", "--no-flush-rx"] + self.extra
        self.runs += 1
        self.logfile = os.path.join(self.dir, "testpmd-%d.log" % self.runs)
        log("guest %s: %s" % (self.name, " ".join(cmd[6:])))
        _logs.append(("guest %s run %d" % (self.name, self.runs), self.logfile))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=open(self.logfile, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        on_exit(_kill, self.proc, "guest " + self.name)
        on_exit(shutil.rmtree, dpdk_dir(self.prefix), True)
        if wait_ready:
            wait_for(lambda: "Press enter to exit" in self.log() or self.proc.poll() is not None,
                     30, "guest %s forwarding" % self.name)
            if self.proc.poll() is not None:
                raise AssertionError("guest %s exited at start:\n%s" % (self.name, self.log()))
        return self

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def kill(self, sig=signal.SIGKILL):
        """Signal testpmd itself (the child of timeout), e.g. to make it die without goodbye."""
        for p in sh("pgrep", "-P", str(self.proc.pid), ok=False).stdout.split():
            os.kill(int(p), sig)
        self.proc.wait(10)

    def stop(self):
        """Enter ends testpmd cleanly: ports closed, pcap files flushed."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"\n")
                self.proc.stdin.flush()
                self.proc.wait(15)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                _kill(self.proc, "guest " + self.name)
        shutil.rmtree(dpdk_dir(self.prefix), True)
        return self.log()
