# SPDX-License-Identifier: BSD-3-Clause
"""rawio.py: send frames from a pcap file, or capture test frames into one, on a raw interface.

usage: rawio.py send IFACE FILE.pcap [GAP_US]
       rawio.py recv IFACE SECONDS FILE.pcap [ETHERTYPE]   (prints "listening" once bound)
Only frames of ETHERTYPE (default: the test ethertype 0x88b5) arriving on IFACE are captured.
"""
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_TEST = 0x88B5
PACKET_OUTGOING = 4


def send(ifname, path, gap_us=0):
    with open(path, "rb") as f:
        data = f.read()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        s.send(data[off + 16:off + 16 + incl])
        off += 16 + incl
        n += 1
        if gap_us:
            time.sleep(gap_us / 1e6)
    print("sent %d" % n)


def recv(ifname, seconds, path, ethertype=ETH_TEST):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    # Room for bursts: a Python reader is slower than the relay.
    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    s.bind((ifname, 0))
    s.settimeout(0.2)
    out = open(path, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    out.flush()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("listening", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING or len(frame) < 14:
            continue
        if struct.unpack("!H", frame[12:14])[0] != ethertype:
            continue
        out.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
        out.flush()


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        recv(sys.argv[2], float(sys.argv[3]), sys.argv[4],
             int(sys.argv[5], 0) if len(sys.argv) > 5 else ETH_TEST)
