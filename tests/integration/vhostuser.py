# SPDX-License-Identifier: BSD-3-Clause
"""vhostuser.py: a small vhost-user front-end (the QEMU side of a relay's socket) in Python.

It speaks the protocol itself, so tests can do what no real guest does: connect and vanish in
a millisecond, stop half-way through the set-up, send malformed messages (the fuzzer), and
cycle a thousand times in seconds. Guest memory is one memfd region; the rings are split
virtqueues it fills and drains itself, so frames really move both ways while it is connected:
queue 0 (RX) is posted with buffers the relay writes into, queue 1 (TX) with frames the relay
takes for the VF.
"""
import mmap
import os
import socket
import struct

# vhost-user requests (the protocol's numbers)
GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE = 1, 2, 3, 4, 5
SET_LOG_BASE, SET_LOG_FD, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE = 6, 7, 8, 9, 10
GET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR = 11, 12, 13, 14
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE = 15, 16, 17, 18
SEND_RARP, NET_SET_MTU = 19, 20
LAST_REQUEST = 40  # requests above are unknown to 22.11's rte_vhost

VERSION, REPLY = 0x1, 0x4
F_VERSION_1, F_PROTOCOL_FEATURES, F_MRG_RXBUF = 1 << 32, 1 << 30, 1 << 15
# the offloads a guest can ask of the device (CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN, HOST_UFO)
F_HOST_OFFLOADS = (1 << 0) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14)
DESC_F_NEXT = 1
QSIZE = 256
BUF = 2048
HDR = 12  # virtio_net_hdr_v1
MEM = 4 << 20
UA = 0x7F1200000000  # the front-end's (pretend) address of the memory: ring addresses use it
DESC_F_WRITE = 2


def header(req, size, flags=VERSION):
    return struct.pack("<III", req, flags, size)


class Frontend:
    """One connection to a relay's socket (server mode: the daemon listens)."""

    def __init__(self, path, timeout=2.0, offloads=False):
        """@offloads: take the checksum and segmentation offloads the device offers (-T)."""
        self.path = path
        self.offloads = offloads
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.mem = None
        self.memfd = -1
        self.fds = []
        self.rx_seen = 0
        self.tx_posted = 0
        self.features = F_VERSION_1  # until GET_FEATURES says what is offered

    # ---- messages ----------------------------------------------------------------------

    def send(self, req, payload=b"", fds=(), flags=VERSION, size=None):
        """One message; @size overrides the header's size field (the fuzzer lies with it)."""
        data = header(req, len(payload) if size is None else size, flags) + payload
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.sendall(data)

    def recv_reply(self):
        hdr = self._recv_exact(12)
        req, flags, size = struct.unpack("<III", hdr)
        return req, flags, self._recv_exact(size)

    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            out += chunk
        return out

    def get_u64(self, req):
        self.send(req)
        _, _, payload = self.recv_reply()
        return struct.unpack("<Q", payload[:8])[0]

    def u64(self, req, value, fds=()):
        self.send(req, struct.pack("<Q", value), fds)

    def state(self, req, index, num):
        self.send(req, struct.pack("<II", index, num))

    # ---- set-up, as QEMU does it ---------------------------------------------------------

    def steps(self, queues=2):
        """The set-up as a list of callables, in QEMU's order: a test may stop after any."""
        s = [self._features, lambda: self.send(SET_OWNER), self._set_features, self._mem_table]
        for q in range(queues):
            s += [lambda q=q: self.state(SET_VRING_NUM, q, QSIZE),
                  lambda q=q: self.state(SET_VRING_BASE, q, 0),
                  lambda q=q: self._vring_addr(q),
                  lambda q=q: self._eventfd(SET_VRING_KICK, q),
                  lambda q=q: self._eventfd(SET_VRING_CALL, q)]
        s += [lambda q=q: self.state(SET_VRING_ENABLE, q, 1) for q in range(queues)]
        return s

    def setup(self, queues=2):
        for step in self.steps(queues):
            step()
        return self

    def _features(self):
        self.offered = self.get_u64(GET_FEATURES)
        self.features = self.offered & (F_VERSION_1 | F_PROTOCOL_FEATURES | F_MRG_RXBUF |
                                        (F_HOST_OFFLOADS if self.offloads else 0))
        if self.features & F_PROTOCOL_FEATURES:
            self.get_u64(GET_PROTOCOL_FEATURES)
            self.u64(SET_PROTOCOL_FEATURES, 0)

    def _set_features(self):
        self.u64(SET_FEATURES, self.features)

    def _mem_table(self):
        self.memfd = os.memfd_create("vfwd-frontend", 0)
        os.ftruncate(self.memfd, MEM)
        self.mem = mmap.mmap(self.memfd, MEM)
        self._fill_rings()
        region = struct.pack("<QQQQ", 0, MEM, UA, 0)
        self.send(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region, [self.memfd])

    def _vring_addr(self, q):
        desc, avail, used = self._ring(q)
        self.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", q, 0, UA + desc, UA + used, UA + avail, 0))

    def _eventfd(self, req, q):
        fd = os.eventfd(0, os.EFD_NONBLOCK)
        self.fds.append(fd)
        self.u64(req, q, [fd])

    # ---- rings: queue q's desc, avail and used at 64 KiB * (q + 1); buffers from 1 MiB on ----

    @staticmethod
    def _ring(q):
        base = 0x10000 * (q + 1)
        return base, base + 0x1000, base + 0x2000

    @staticmethod
    def _buf(q, i):
        return 0x100000 + (q * QSIZE + i) * BUF

    def _fill_rings(self):
        """Queue 0: QSIZE writable buffers posted. Queue 1: QSIZE 60-byte frames posted."""
        frame = bytes.fromhex("02000000000102000000000288b5") + bytes(46)
        for q in (0, 1):
            desc, avail, _ = self._ring(q)
            for i in range(QSIZE):
                if q == 0:
                    d = struct.pack("<QIHH", self._buf(q, i), BUF, DESC_F_WRITE, 0)
                else:
                    self.mem[self._buf(q, i):self._buf(q, i) + HDR + len(frame)] = \
                        bytes(HDR) + frame
                    d = struct.pack("<QIHH", self._buf(q, i), HDR + len(frame), 0, 0)
                self.mem[desc + 16 * i:desc + 16 * (i + 1)] = d
                struct.pack_into("<H", self.mem, avail + 4 + 2 * i, i)
            struct.pack_into("<HH", self.mem, avail, 0, QSIZE)
        self.tx_posted = QSIZE

    def refill(self):
        """Hand back what the relay used: frames it wrote (queue 0) are counted and their
        buffers posted again; frames it took (queue 1) are posted again. Returns frames
        received since the last call."""
        if not self.mem:
            return 0
        got = 0
        for q in (0, 1):
            _, avail, used = self._ring(q)
            done = struct.unpack_from("<H", self.mem, used + 2)[0]
            # descriptors are used in order: re-post them all by moving avail past them
            struct.pack_into("<H", self.mem, avail + 2, (done + QSIZE) & 0xFFFF)
            if q == 0:
                got = (done - self.rx_seen) & 0xFFFF
                self.rx_seen = done
        return got

    def close(self):
        self.sock.close()
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        if self.mem:
            self.mem.close()
            self.mem = None
        if self.memfd >= 0:
            os.close(self.memfd)
            self.memfd = -1
