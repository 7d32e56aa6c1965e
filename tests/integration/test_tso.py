# SPDX-License-Identifier: BSD-3-Clause
"""TSO across the relay (-T): a guest hands the relay 6000-byte TCP frames to segment (testpmd's
csum engine with `tso set 800`, from a pcap file), the relay passes them as chains to a VF that
segments (net_tap: its driver does TSO in software), and the kernel side of the tap receives
segments of 800 bytes of payload at most whose payloads put back together are the guest's, with
valid IP and TCP checksums; the relay counts one frame each, drops none, leaks no mbuf. A VF
that cannot segment (net_af_packet) gets no oversized frame: those are counted as oversize.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, Guest, check, log, pcap_write, require_env, run, sh, tmpdir,
                     vf_host, wait_for)

FRAMES, PAYLOAD, MSS = 20, 6000, 800
TAP = "vta7"
SPORT, DPORT = 5000, 6000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def payload(i):
    return bytes((i * 7 + k) & 0xff for k in range(PAYLOAD))


def big_frames():
    out = []
    for i in range(FRAMES):
        data = payload(i)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 20 + len(data), i, 0x4000, 64, 6, 0,
                         bytes([10, 9, 0, 2]), bytes([10, 9, 0, 1]))
        tcp = struct.pack("!HHIIBBHHH", SPORT, DPORT, 1000 + i * PAYLOAD, 0, 5 << 4, 0x18,
                          65535, 0, 0)
        out.append(bytes.fromhex("02000000aa01" "02000000aa02") + b"\x08\x00" + ip + tcp + data)
    return out


def capture(sock, seconds):
    """TCP segments from SPORT seen on the tap: (seq, ip header, tcp header+payload)."""
    got, end = [], time.time() + seconds
    while time.time() < end:
        try:
            f = sock.recv(65535)
        except socket.timeout:
            continue
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ihl = (f[14] & 15) * 4
        ip = f[14:14 + ihl]
        tot = struct.unpack("!H", ip[2:4])[0]
        seg = f[14 + ihl:14 + tot]
        if struct.unpack("!H", seg[0:2])[0] == SPORT:
            got.append((struct.unpack("!I", seg[4:8])[0], ip, seg))
    return got


def guest_cmds(work):
    path = os.path.join(work, "tso.cmds")
    with open(path, "w") as f:
        f.write("port stop 0\ncsum set ip hw 0\ncsum set tcp hw 0\ntso set %d 0\nport start 0\n"
                % MSS)
    return path


def main():
    require_env()
    work = tmpdir("tso")
    pcap = os.path.join(work, "big.pcap")
    pcap_write(pcap, big_frames())
    d = Daemon("tso", ["-T", "-P", "net_tap0,iface=%s=0" % TAP]).start()
    sh("ip", "link", "set", TAP, "up")  # the tap VF's kernel side, where segments arrive
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: every segment kept
    sock.bind((TAP, 0))
    sock.settimeout(0.2)
    base = d.relay(0)["mbufs_in_use"]
    g = Guest("tso", ["virtio_user0,path=%s" % d.sock(0),
                      "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pcap, os.path.join(work, "o.pcap"))],
              fwd="csum", extra=["--cmdline-file=" + guest_cmds(work)]).start()
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_rx_from_vm"] >= FRAMES, 20,
             "the guest's %d TSO frames reach the relay" % FRAMES)
    segs = capture(sock, 1.5)
    c = d.relay(0)["vm_to_vf"]
    check(c["pkts_rx_from_vm"] == FRAMES and c["pkts_tx_to_vf"] == FRAMES
          and c["pkts_dropped_oversize"] == 0 and c["bytes_rx_from_vm"] == FRAMES * (54 + PAYLOAD),
          "the relay took %d frames of %d bytes and gave them all to the VF whole"
          % (c["pkts_rx_from_vm"], 54 + PAYLOAD))
    per = -(-PAYLOAD // MSS)
    sizes = {len(s) - 20 for _, _, s in segs}
    check(len(segs) == FRAMES * per and max(sizes) == MSS,
          "the kernel got %d segments (%d per frame), payloads of %s bytes at most %d"
          % (len(segs), per, sorted(sizes), MSS))
    bad_ip = [seq for seq, ip, s in segs if csum(ip) != 0]
    bad_tcp = [seq for seq, ip, s in segs
               if csum(ip[12:20] + struct.pack("!BBH", 0, 6, len(s)) + s) != 0]
    check(bad_ip == [] and bad_tcp == [], "every segment's IP and TCP checksums are valid "
          "(bad IP: %s, bad TCP: %s)" % (bad_ip[:5], bad_tcp[:5]))
    whole = {}
    for seq, _, s in sorted(segs):
        i = (seq - 1000) // PAYLOAD
        whole[i] = whole.get(i, b"") + s[20:]
    check(all(whole.get(i) == payload(i) for i in range(FRAMES)),
          "put back together, every frame's payload is the guest's, byte for byte")
    g.stop()
    wait_for(lambda: abs(d.relay(0)["mbufs_in_use"] - base) <= 48 + 32, 5, "mbufs back")
    check(abs(d.relay(0)["mbufs_in_use"] - base) <= 48 + 32,
          "no mbuf leaked (%d in use, %d before)" % (d.relay(0)["mbufs_in_use"], base))
    sock.close()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")

    # A VF that cannot segment: the frames are too long for it, counted, never sent.
    _, root_if, _ = vf_host("vm", "t")
    d = Daemon("tso-no", ["-T", "-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    check("cannot segment TSO frames (-T)" in d.log(), "the daemon says the VF cannot segment")
    g = Guest("tso-no", ["virtio_user0,path=%s" % d.sock(0),
                         "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pcap, os.path.join(work, "p.pcap"))],
              fwd="csum", extra=["--cmdline-file=" + guest_cmds(work)]).start()
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_rx_from_vm"] >= FRAMES, 20, "frames in")
    c = d.relay(0)["vm_to_vf"]
    check(c["pkts_dropped_oversize"] == FRAMES and c["pkts_tx_to_vf"] == 0,
          "a VF without TSO: the %d frames counted as oversize, none sent" % FRAMES)
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
