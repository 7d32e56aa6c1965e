# SPDX-License-Identifier: BSD-3-Clause
"""vhost-user front-end fuzzer: relay 1's socket gets random and mutated vhost-user messages
and a hostile guest's ring contents, for VFWD_FUZZ_SECONDS (45 by default) from a seed it
prints (VFWD_FUZZ_SEED repeats a run). The daemon must not crash and must not disturb relay 0,
whose traffic (flooding VF, echoing testpmd guest) is sampled every two seconds; afterwards a
well-behaved guest on relay 1 gets frames again, relay 1 accounts for every frame, and the
daemon's fds and relay 1's mbufs are back where they started and the DPDK heap within a
bound (HEAP_BOUND says why not exactly).

Each iteration connects and picks a strategy:
- prefix: a random number of the set-up's steps, then mutated messages (request, flags, size
  field, payload cut, grown or flipped, absurd memory tables, fds missing, extra or of the
  wrong kind: pipe, /dev/null, socket, eventfd), then perhaps the rest of the set-up;
- guest: a complete set-up, then ring contents no driver writes: descriptors with random
  addresses, lengths, flags (NEXT, INDIRECT, WRITE) and next indices, avail indices jumping,
  virtio-net headers asking for random offloads; frames flow while it lasts;
- bytes: random bytes, or a header promising more than is sent;
- offload: a complete set-up taking the checksum and segmentation offloads (the daemon runs
  with -T; relay 1's VF, net_ring, has none, so the relay does them in software), then frames
  that look like TCP or UDP over IPv4 or IPv6, some chained over up to 33 buffers (64 kB),
  whose virtio-net headers and IP and TCP headers lie: segment sizes from 0 to 65535, header
  and checksum offsets, IP lengths past the frame or short of it, IHL and data offsets out
  of range. Afterwards relay 1 must have segmented some frames itself (its `segmented`).

Out of scope, on purpose: a memory region larger than the file behind it. rte_vhost maps what
the front-end declares and faults (SIGBUS) on access beyond the file's end; only the QEMU
process (not the guest) can do that, and no vhost-user back-end survives it
(doc/security.md).
"""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, Guest, check, log, require_env, run, wait_for
from test_churn import Bystander, fds, heap
import vhostuser as vu
from vhostuser import Frontend

SECONDS = float(os.environ.get("VFWD_FUZZ_SECONDS", "45"))
VF1 = "net_ring0"
SLACK = 48 + 32
# rte_vhost 22.11 keeps (leaks) the fds that came with these requests when it refuses them:
# a vring index out of range (SET_VRING_NUM/ADDR/BASE, GET_VRING_BASE, SET_VRING_ENABLE), a
# SET_INFLIGHT_FD of the wrong size, a SET_MEM_TABLE region it cannot map (the fd of the
# failing region). One fd per message, measured; closing them would take rte_vhost's private
# message layout (doc/security.md). Junk fds go with every other request.
LEAKS_FDS = {vu.SET_VRING_NUM, vu.SET_VRING_ADDR, vu.SET_VRING_BASE, vu.GET_VRING_BASE,
             vu.SET_VRING_ENABLE, vu.SET_MEM_TABLE, 32}


def fd_kinds(d):
    """The daemon's open fds counted by what they are (socket, anon_inode, a path...)."""
    fd_dir, kinds = "/proc/%d/fd" % d.pid(), {}
    for fd in os.listdir(fd_dir):
        try:
            k = os.readlink(os.path.join(fd_dir, fd)).split(":[")[0]
        except OSError:
            continue
        kinds[k] = kinds.get(k, 0) + 1
    return kinds


def after_setup(*messages):
    """Inputs: a full set-up (frames flowing), then @messages, (request, payload) each."""
    def inputs(f):
        f.setup()
        wait_for(lambda: f.refill(), 5, "frames to relay 1's guest")
        for req, payload in messages:
            f.send(req, payload)
    return inputs


def ring_of(num):
    """Inputs: the set-up with a guest RX vring of @num entries; avail still claims 256."""
    def inputs(f):
        steps = f.steps()
        steps[4] = lambda: f.state(vu.SET_VRING_NUM, 0, num)
        for step in steps:
            step()
    return inputs


def restarted_without_size(f):
    """Inputs: vring 0 sized, stopped (GET_VRING_BASE), then started without a size."""
    steps = f.steps()
    for step in steps[:5]:
        step()
    f.state(vu.GET_VRING_BASE, 0, 0)
    f.recv_reply()
    for step in steps[5:]:
        step()


# Inputs that crashed the daemon once (inside rte_vhost), replayed first, every run.
REGRESSIONS = [
    ("SET_VRING_NUM on polled vrings (a worker read past the rings)",
     after_setup((vu.SET_VRING_NUM, struct.pack("<II", 0, 32768)),
                 (vu.SET_VRING_NUM, struct.pack("<II", 1, 32768)),
                 (vu.SET_VRING_NUM, struct.pack("<II", 1, 2)))),
    ("a guest RX vring of 1 entry (a worker wrote past rte_vhost's shadow array)", ring_of(1)),
    ("a guest RX vring of 8 entries", ring_of(8)),
    ("a vring restarted without a size (a worker wrote through NULL)",
     restarted_without_size),
]


def replay(d, what, inputs):
    """One connection to relay 1 with @inputs, the workers polling for 0.5 s after them."""
    f = Frontend(d.sock(1))
    try:
        inputs(f)
        for _ in range(50):
            f.refill()
            time.sleep(0.01)
    except OSError:
        pass  # the daemon closed the connection: an answer
    f.close()
    time.sleep(0.2)
    check(d.proc.poll() is None, "regression: %s: daemon alive" % what)


# rte_vhost 22.11 also loses DPDK memory on some malformed sequences (21 KB, a guest's two
# shadow rings, a few times per 4000 connections; measured). A leak of ours on every
# connection or message (256 bytes or more) exceeds this bound in the default 45 s run.
HEAP_BOUND = 1 << 20
# the mix of strategies (one name per share); VFWD_FUZZ_STRATEGIES=guest,guest narrows it
STRATEGIES = os.environ.get("VFWD_FUZZ_STRATEGIES",
                            "prefix,prefix,guest,bytes,offload").split(",")


class Fuzzer:
    def __init__(self, rnd):
        self.rnd = rnd
        self.counts = {"prefix": 0, "guest": 0, "bytes": 0, "offload": 0}
        self.messages = 0
        self.trace = []

    def junk_fds(self):
        """0-3 fds of kinds the daemon does not expect where it expects eventfds or memory."""
        out = []
        for _ in range(self.rnd.randrange(4)):
            kind = self.rnd.randrange(4)
            if kind == 0:
                r, w = os.pipe()
                os.close(w)
                out.append(r)
            elif kind == 1:
                out.append(os.open("/dev/null", os.O_RDWR))
            elif kind == 2:
                out.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).detach())
            else:
                out.append(os.eventfd(0))
        return out

    def payload(self, req):
        rnd = self.rnd
        if req == vu.SET_MEM_TABLE and rnd.random() < 0.5:
            # absurd tables: counts beyond 8, zero sizes, overlapping or wrapping addresses
            n = rnd.choice([0, 1, 2, 8, 9, 255, 0xFFFFFFFF])
            regions = b"".join(struct.pack("<QQQQ", rnd.choice([0, 1 << 63, rnd.getrandbits(64)]),
                                           rnd.choice([0, 4096, 1 << 62, rnd.getrandbits(64)]),
                                           rnd.getrandbits(64), rnd.getrandbits(64))
                               for _ in range(min(n, 9)))
            return struct.pack("<II", n & 0xFFFFFFFF, 0) + regions
        if req in (vu.SET_VRING_NUM, vu.SET_VRING_BASE, vu.SET_VRING_ENABLE, vu.GET_VRING_BASE):
            return struct.pack("<II", rnd.choice([0, 1, 2, 255, 256, 0xFFFF, rnd.getrandbits(32)]),
                               rnd.choice([0, 1, 255, 256, 32768, 0xFFFFFFFF, rnd.getrandbits(32)]))
        if req == vu.SET_VRING_ADDR:
            return struct.pack("<II", rnd.randrange(4), rnd.randrange(4)) + b"".join(
                struct.pack("<Q", rnd.choice([0, vu.UA, vu.UA + rnd.randrange(vu.MEM),
                                              rnd.getrandbits(64)])) for _ in range(4))
        return bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 4, 8, 16, 40, 300])))

    def message(self, f):
        rnd = self.rnd
        req = rnd.choice([rnd.randrange(0, vu.LAST_REQUEST + 8), vu.SET_MEM_TABLE,
                          vu.SET_VRING_ADDR, vu.SET_VRING_NUM, vu.SET_VRING_KICK,
                          vu.SET_FEATURES, vu.NET_SET_MTU, vu.GET_VRING_BASE])
        data = self.payload(req)
        if rnd.random() < 0.2 and data:
            i = rnd.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ (1 << rnd.randrange(8))]) + data[i + 1:]
        size = None
        if rnd.random() < 0.15:
            size = rnd.choice([0, len(data) + 1, max(0, len(data) - 1), 0x1000, 0xFFFFFFFF])
        flags = rnd.choice([vu.VERSION, vu.VERSION, 0, 0x2, vu.VERSION | 0x8,
                            rnd.getrandbits(32)])
        junk = self.junk_fds() if rnd.random() < 0.3 and req not in LEAKS_FDS else []
        self.trace.append("msg req=%d flags=%#x size=%s fds=%d payload=%s"
                          % (req, flags, size, len(junk), data[:48].hex()))
        try:
            f.send(req, data, junk, flags=flags, size=size)
            self.messages += 1
        finally:
            for fd in junk:
                os.close(fd)
        if size is not None and size > len(data):
            raise ConnectionError("header promised more than was sent")

    def hostile_rings(self, f):
        """Ring contents no driver writes, while the relay polls them."""
        rnd = self.rnd
        for _ in range(rnd.randrange(1, 20)):
            q = rnd.randrange(2)
            desc, avail, used = f._ring(q)
            for _ in range(rnd.randrange(1, 32)):
                i = rnd.randrange(vu.QSIZE)
                addr = rnd.choice([f._buf(q, i), rnd.randrange(vu.MEM), vu.MEM - 4,
                                   rnd.getrandbits(64)])
                length = rnd.choice([0, 1, 11, 12, 60, vu.BUF, 65536, 0xFFFFFFFF])
                flags = rnd.getrandbits(3)  # NEXT, WRITE, INDIRECT
                f.mem[desc + 16 * i:desc + 16 * (i + 1)] = struct.pack(
                    "<QIHH", addr, length, flags, rnd.getrandbits(16))
            if rnd.random() < 0.5:
                # a virtio-net header asking for checksum or GSO on a frame that has neither
                i = rnd.randrange(vu.QSIZE)
                off = f._buf(1, i)
                f.mem[off:off + vu.HDR] = bytes(rnd.getrandbits(8) for _ in range(vu.HDR))
            if rnd.random() < 0.3:
                struct.pack_into("<H", f.mem, avail + 2, rnd.getrandbits(16))
            if rnd.random() < 0.1:
                struct.pack_into("<H", f.mem, used + 2, rnd.getrandbits(16))
            time.sleep(0.001)

    def offload_frame(self):
        """Ethernet, IPv4 or IPv6, TCP or UDP, a payload: lengths and offsets that may lie."""
        rnd = self.rnd
        v6, udp = rnd.random() < 0.3, rnd.random() < 0.25
        payload = rnd.randbytes(rnd.choice([0, 1, 100, 1400, 1500, 3000, 9000, 20000, 65000]))
        if udp:
            l4 = struct.pack("!HHHH", 5000, 6000, rnd.choice([8 + len(payload),
                                                            rnd.getrandbits(16)]), 0x1234)
        else:
            doff = rnd.choice([5, 5, 5, 8, 15, 0, 3])
            l4 = struct.pack("!HHIIBBHHH", 5000, 6000, rnd.getrandbits(32), 0, doff << 4,
                             rnd.getrandbits(8), 65535, 0, 0) + bytes(max(0, doff - 5) * 4)
        proto, n = (17 if udp else 6), len(l4) + len(payload)
        if v6:
            ip = struct.pack("!IHBB16s16s", 6 << 28, rnd.choice([n, n, rnd.getrandbits(16)]),
                             proto, 64, bytes(15) + b"\2", bytes(15) + b"\1")
            eth_type = b"\x86\xdd"
        else:
            ihl = rnd.choice([5, 5, 5, 6, 15, 0, 4])
            ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0,
                             rnd.choice([20 + n, 20 + n, rnd.getrandbits(16)]) & 0xFFFF,
                             rnd.getrandbits(16), 0x4000, 64, proto, 0, bytes([10, 0, 0, 2]),
                             bytes([10, 0, 0, 1])) + bytes(max(0, ihl - 5) * 4)
            eth_type = b"\x08\x00"
        vlan = b"\x81\x00\x00\x05" if rnd.random() < 0.1 else b""
        return bytes.fromhex("020000000001020000000002") + vlan + eth_type + ip + l4 + payload

    def offload_header(self):
        """virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset."""
        rnd = self.rnd
        return struct.pack("<BBHHHHH", rnd.choice([0, 1, 1, 1, 2, rnd.getrandbits(8)]),
                           rnd.choice([0, 1, 1, 4, 3, 0x81, 0x84, rnd.getrandbits(8)]),
                           rnd.choice([0, 54, 66, 74, rnd.getrandbits(16)]),
                           rnd.choice([0, 1, 47, 48, 536, 800, 1448, 1460, 9000, 0xFFFF,
                                       rnd.getrandbits(16)]),
                           rnd.choice([34, 38, 54, 14, rnd.getrandbits(16)]),
                           rnd.choice([16, 6, 0, rnd.getrandbits(16)]), 0)

    def offload_frames(self, f):
        """Frames asking for offloads, posted on the TX ring once the relay took what the
        set-up posted there (descriptors of frames in flight stay untouched)."""
        rnd = self.rnd
        desc, avail, used = f._ring(1)
        end = time.time() + 0.5
        while struct.unpack_from("<H", f.mem, used + 2)[0] != f.tx_posted and time.time() < end:
            time.sleep(0.002)
        idx, slot = f.tx_posted, 0
        for _ in range(rnd.randrange(1, 12)):
            data = self.offload_header() + self.offload_frame()
            nbuf = -(-len(data) // vu.BUF)
            if slot + nbuf > vu.QSIZE:
                break
            for k in range(nbuf):
                i, chunk = slot + k, data[k * vu.BUF:(k + 1) * vu.BUF]
                f.mem[f._buf(1, i):f._buf(1, i) + len(chunk)] = chunk
                f.mem[desc + 16 * i:desc + 16 * (i + 1)] = struct.pack(
                    "<QIHH", f._buf(1, i), len(chunk), vu.DESC_F_NEXT if k < nbuf - 1 else 0,
                    i + 1)
            struct.pack_into("<H", f.mem, avail + 4 + 2 * (idx % vu.QSIZE), slot)
            idx, slot = idx + 1, slot + nbuf
        struct.pack_into("<H", f.mem, avail + 2, idx & 0xFFFF)
        f.tx_posted = idx
        time.sleep(0.04)  # the relay takes them, segments, checksums, sends

    def iteration(self, path):
        rnd = self.rnd
        try:
            f = Frontend(path, timeout=0.5)
        except OSError as e:
            self.trace = ["connect: %s" % e]
            return
        try:
            strategy = rnd.choice(STRATEGIES)
            self.counts[strategy] += 1
            self.trace = ["%s:" % strategy]
            if strategy == "bytes":
                if rnd.random() < 0.5:
                    f.sock.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 600))))
                else:
                    f.sock.sendall(vu.header(rnd.randrange(1, 40), rnd.randrange(13, 4096)) + b"x")
                time.sleep(0.002)
                return
            steps = f.steps()
            if strategy == "offload":
                f.offloads = True
                for step in steps:
                    step()
                self.offload_frames(f)
                return
            if strategy == "guest":
                for step in steps:
                    step()
                time.sleep(0.005)
                f.refill()
                self.hostile_rings(f)
                return
            k = rnd.randrange(len(steps) + 1)
            self.trace.append("first %d set-up steps" % k)
            for step in steps[:k]:
                step()
            for _ in range(rnd.randrange(1, 12)):
                self.message(f)
            if rnd.random() < 0.3:
                k = rnd.randrange(len(steps))
                self.trace.append("set-up steps from %d" % k)
                for step in steps[k:]:
                    step()
                f.refill()
            time.sleep(0.002)
        except (OSError, ConnectionError, struct.error):
            pass  # the daemon closed the connection: that is an answer
        finally:
            f.close()


def main():
    require_env()
    seed = int(os.environ.get("VFWD_FUZZ_SEED", str(int(time.time()))))
    log("seed %d (VFWD_FUZZ_SEED to repeat), %.0f s" % (seed, SECONDS))
    rnd = random.Random(seed)
    # -T: guests may ask for checksums and segmentation, which net_ring leaves to the relay
    d = Daemon("vfuzz", ["-T", "-P", "net_null0,size=64=0", "-P", VF1 + "=1"],
               control=True).start()
    guest = Guest("vfuzz", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap").start()
    d.wait_state(0, "DPDK_READY")
    # A well-behaved guest first: rte_vhost's and our first-connection allocations are made.
    good = Frontend(d.sock(1)).setup()
    wait_for(lambda: good.refill(), 5, "frames to relay 1's guest")
    good.close()
    wait_for(lambda: d.relay(1)["vm_state"] == "VIRTIO_UNINIT", 10, "relay 1 without a guest")
    time.sleep(0.3)
    base = (fds(d), d.relay(1)["mbufs_in_use"], heap(d))
    base_kinds = fd_kinds(d)
    by = Bystander(d)
    for what, inputs in REGRESSIONS:
        replay(d, what, inputs)
    fz = Fuzzer(rnd)
    t0 = last = time.time()
    n, recent = 0, []
    while time.time() - t0 < SECONDS:
        fz.iteration(d.sock(1))
        n += 1
        if not fz.trace[0].startswith("connect:"):
            recent = (recent + ["iteration %d: %s" % (n, " | ".join(fz.trace))])[-3:]
        if d.proc.poll() is not None:
            time.sleep(0.2)
            raise AssertionError("the daemon died at iteration %d (seed %d); the last "
                                 "iterations:\n%s" % (n, seed, "\n".join(recent)))
        if time.time() - last > 2:
            by.sample("fuzz iteration %d" % n)
            last = time.time()
    check(d.proc.poll() is None, "daemon alive after %d connections, %d fuzzed messages "
          "(%s) in %.0fs" % (n, fz.messages, ", ".join("%s %d" % kv for kv in fz.counts.items()),
                             time.time() - t0))
    check(by.samples >= SECONDS // 2 - 1, "bystander relay 0 progressed in all %d samples "
          "(worst %.0f frames/s)" % (by.samples, by.worst))
    good = Frontend(d.sock(1)).setup()
    got = wait_for(lambda: good.refill(), 5, "frames to a well-behaved guest on relay 1")
    check(got > 0, "relay 1 serves a well-behaved guest after the fuzzing (%d frames)" % got)
    good.close()
    r = wait_for(lambda: d.relay(1)["vm_state"] == "VIRTIO_UNINIT" and d.relay(1), 10,
                 "relay 1 without a guest")
    # rte_vhost closes a connection's fds on its own thread: give it a moment, then name the
    # kinds that differ (one run in many of the suite once ended one socket or eventfd up).
    if fds(d) != base[0]:
        time.sleep(2)
    if fds(d) != base[0]:
        now = fd_kinds(d)
        log("open fds by kind that changed (before, now): %s"
            % {k: (base_kinds.get(k, 0), now.get(k, 0)) for k in set(now) | set(base_kinds)
               if now.get(k, 0) != base_kinds.get(k, 0)})
    check(fds(d) == base[0], "%d open fds, %d before" % (fds(d), base[0]))
    check(abs(r["mbufs_in_use"] - base[1]) <= SLACK, "relay 1: %d mbufs in use, %d before"
          % (r["mbufs_in_use"], base[1]))
    grown = heap(d) - base[2]
    check(grown <= HEAP_BOUND, "DPDK memory grew %d bytes in %d connections (bound %d)"
          % (grown, n, HEAP_BOUND))
    v = r["vm_to_vf"]
    check(fz.counts["offload"] == 0 or v["segmented"] > 0,
          "relay 1 segmented %d guest frames itself, dropped %d as oversize or malformed"
          % (v["segmented"], v["pkts_dropped_oversize"]))
    check(d.tool("port_control", "remove", "--virtio-id", "1", "--pci-addr", VF1)
          .returncode == 0, "relay 1's VF removed: its counters are still")
    d.accounted(1, "after the fuzzing: ")
    d.stop_ok("daemon exits 0")
    guest.stop()
    log("PASS")


if __name__ == "__main__":
    run(main)
