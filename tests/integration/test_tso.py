# SPDX-License-Identifier: BSD-3-Clause
"""TSO across the relay (-T): a guest hands the relay 6000-byte TCP frames to segment (testpmd's
csum engine with `tso set 800`, from a pcap file), the relay passes them as chains to a VF that
segments (net_tap: its driver does TSO in software), and the kernel side of the tap receives
segments of 800 bytes of payload at most whose payloads put back together are the guest's, with
valid IP and TCP checksums; the relay counts one frame each, drops none, leaks no mbuf.

A VF with neither TSO nor checksum offloads (net_af_packet on a veth): the relay segments TCP
over IPv4 and IPv6 itself and completes the TCP and UDP checksums the guest left to it; the host
behind the veth gets the same segments, every checksum valid, every payload whole, and the
relay counts one frame sent per guest frame and each segmented one in `segmented`.

Under backpressure (a net_memif VF whose peer, vfwd-gen, takes a burst every 200 us): segments
the VF refuses are made again later from where it stopped; the peer gets every segment exactly
once, and nothing is dropped.
"""
import ctypes
import os
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "../bench"))
from procs import Gen  # noqa: E402
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


MAC = bytes.fromhex("02000000aa01" "02000000aa02")
V6_SRC, V6_DST = bytes.fromhex("fd00000000000000" "0000000000000002"), bytes.fromhex(
    "fd00000000000000" "0000000000000001")


def tcp_frame(i, data, v6=False):
    tcp = struct.pack("!HHIIBBHHH", SPORT, DPORT, 1000 + i * PAYLOAD, 0, 5 << 4, 0x18, 65535, 0,
                      0)
    if v6:
        ip = struct.pack("!IHBB16s16s", 6 << 28, 20 + len(data), 6, 64, V6_SRC, V6_DST)
        return MAC + b"\x86\xdd" + ip + tcp + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 20 + len(data), i, 0x4000, 64, 6, 0,
                     bytes([10, 9, 0, 2]), bytes([10, 9, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return MAC + b"\x08\x00" + ip + tcp + data


def udp_frame(i, data):
    udp = struct.pack("!HHHH", SPORT, DPORT, 8 + len(data), 0x1234)  # 0 would mean "none"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(data), i, 0x4000, 64, 17, 0,
                     bytes([10, 9, 0, 2]), bytes([10, 9, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return MAC + b"\x08\x00" + ip + udp + data


def big_frames():
    return [tcp_frame(i, payload(i)) for i in range(FRAMES)]


# Without TSO on the VF: big TCP frames over IPv4 (0..FRAMES), over IPv6 (then V6 of them), and
# small ones to checksum only: TCP of one segment's worth and UDP (SMALL of each).
V6, SMALL = 6, 5
BP_FRAMES = 1000


def mixed_frames():
    out = big_frames() + [tcp_frame(FRAMES + i, payload(FRAMES + i), v6=True) for i in range(V6)]
    base = FRAMES + V6
    out += [tcp_frame(base + i, payload(base + i)[:300 + i]) for i in range(SMALL)]
    out += [udp_frame(base + SMALL + i, payload(base + SMALL + i)[:500 + i]) for i in range(SMALL)]
    return out


def ns_socket(ns, ifname):
    """A raw socket on @ifname inside netns @ns (opened there, used from here)."""
    libc = ctypes.CDLL(None, use_errno=True)
    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(there, 0x40000000):  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + ns)
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        sock.bind((ifname, 0))
    finally:
        libc.setns(here, 0x40000000)
        os.close(here)
        os.close(there)
    return sock


def capture(sock, seconds):
    """TCP segments and UDP datagrams from SPORT seen by @sock: (proto, seq or IP id, pseudo
    header, IP header, L4 header+payload); the pseudo header is for checksumming."""
    got, end = [], time.time() + seconds
    while time.time() < end:
        try:
            f = sock.recv(65535)
        except socket.timeout:
            continue
        if f[12:14] == b"\x08\x00" and len(f) >= 42:
            ihl = (f[14] & 15) * 4
            ip, proto = f[14:14 + ihl], f[23]
            l4 = f[14 + ihl:14 + struct.unpack("!H", ip[2:4])[0]]
            pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
            ident = struct.unpack("!H", ip[4:6])[0]
        elif f[12:14] == b"\x86\xdd" and len(f) >= 62:
            ip, proto = f[14:54], f[20]
            l4 = f[54:54 + struct.unpack("!H", ip[4:6])[0]]
            pseudo = ip[8:40] + struct.pack("!IxxxB", len(l4), proto)
            ident = None
        else:
            continue
        if proto not in (6, 17) or len(l4) < 8 or struct.unpack("!H", l4[0:2])[0] != SPORT:
            continue
        key = struct.unpack("!I", l4[4:8])[0] if proto == 6 else ident
        got.append((proto, key, pseudo, ip, l4))
    return got


def guest_cmds(work, retry=False):
    """testpmd commands: checksums and TSO asked of its virtio_user port; with @retry, it
    waits for room rather than drop (up to 100000 x 20 us)."""
    path = os.path.join(work, "tso%s.cmds" % ("-retry" if retry else ""))
    with open(path, "w") as f:
        if retry:
            f.write("set fwd csum retry\nset burst tx delay 20 retry 100000\n")
        f.write("port stop 0\ncsum set ip hw 0\ncsum set tcp hw 0\ncsum set udp hw 0\n"
                "tso set %d 0\nport start 0\n" % MSS)
    return path


def check_segments(got, frames, what):
    """Segments of the TCP frames @frames (index: frame number) and the UDP datagrams seen
    in @got: at most MSS of payload each, every checksum valid, payloads whole."""
    tcp = [g for g in got if g[0] == 6]
    sizes = {len(l4) - 20 for _, _, _, _, l4 in tcp}
    want = sum(-(-len(data) // MSS) for data in frames.values())
    check(len(tcp) == want and max(sizes) <= MSS,
          "%s: %d TCP segments (%d expected), payloads of %s bytes, at most %d"
          % (what, len(tcp), want, sorted(sizes), MSS))
    bad_ip = [k for _, k, _, ip, _ in got if len(ip) == 20 and csum(ip) != 0]
    bad_l4 = [k for _, k, pseudo, _, l4 in got if csum(pseudo + l4) != 0]
    check(bad_ip == [] and bad_l4 == [], "%s: every IP, TCP and UDP checksum is valid "
          "(bad IP: %s, bad TCP/UDP: %s)" % (what, bad_ip[:5], bad_l4[:5]))
    # Each segment's sequence number says where its payload goes: no gap, no overlap.
    whole, misplaced = {}, []
    for _, seq, _, _, l4 in sorted(tcp, key=lambda g: g[1]):
        i = (seq - 1000) // PAYLOAD
        if seq - 1000 - i * PAYLOAD != len(whole.get(i, b"")):
            misplaced.append(seq)
        whole[i] = whole.get(i, b"") + l4[20:]
    check(whole == frames and not misplaced, "%s: put back together by sequence number, every "
          "TCP payload is the guest's, byte for byte (%d of %d frames; misplaced: %s)"
          % (what, sum(whole.get(i) == frames[i] for i in frames), len(frames), misplaced[:5]))


def run_guest(d, name, frames, work, retry=False):
    pcap = os.path.join(work, name + ".pcap")
    pcap_write(pcap, frames)
    return Guest(name, ["virtio_user0,path=%s" % d.sock(0),
                        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pcap, os.path.join(work, name + ".o"))],
                 fwd="csum", extra=["--cmdline-file=" + guest_cmds(work, retry)]).start()


def finish(d, g, sock, base):
    """Guest gone: the relay's mbufs back to @base (a worker cache and a burst of slack);
    the capture closed, the daemon exits 0."""
    g.stop()
    wait_for(lambda: abs(d.relay(0)["mbufs_in_use"] - base) <= 48 + 32, 5, "mbufs back")
    check(abs(d.relay(0)["mbufs_in_use"] - base) <= 48 + 32,
          "no mbuf leaked (%d in use, %d before)" % (d.relay(0)["mbufs_in_use"], base))
    sock.close()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")


def main():
    require_env()
    work = tmpdir("tso")
    d = Daemon("tso", ["-T", "-P", "net_tap0,iface=%s=0" % TAP]).start()
    sh("ip", "link", "set", TAP, "up")  # the tap VF's kernel side, where segments arrive
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: every segment kept
    sock.bind((TAP, 0))
    sock.settimeout(0.2)
    base = d.relay(0)["mbufs_in_use"]
    g = run_guest(d, "tso", big_frames(), work)
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_rx_from_vm"] >= FRAMES, 20,
             "the guest's %d TSO frames reach the relay" % FRAMES)
    got = capture(sock, 1.5)
    c = d.relay(0)["vm_to_vf"]
    check(c["pkts_rx_from_vm"] == FRAMES and c["pkts_tx_to_vf"] == FRAMES
          and c["pkts_dropped_oversize"] == 0 and c["bytes_rx_from_vm"] == FRAMES * (54 + PAYLOAD)
          and c["segmented"] == 0,
          "the relay took %d frames of %d bytes and gave them all to the VF whole, for it to "
          "segment" % (c["pkts_rx_from_vm"], 54 + PAYLOAD))
    check_segments(got, {i: payload(i) for i in range(FRAMES)}, "VF with TSO (tap)")
    finish(d, g, sock, base)

    # A VF without TSO or checksum offloads: the relay does both; the host behind gets them.
    ns, root_if, ns_if = vf_host("vm", "t")
    sock = ns_socket(ns, ns_if)
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    sock.settimeout(0.2)
    d = Daemon("tso-no", ["-T", "-P", "net_af_packet0,iface=%s=0" % root_if]).start()
    check("TCP segmentation and the missing checksums in software" in d.log(),
          "the daemon says it segments and checksums in software for this VF")
    base = d.relay(0)["mbufs_in_use"]
    frames = mixed_frames()
    g = run_guest(d, "tso-no", frames, work)
    wait_for(lambda: d.relay(0)["vm_to_vf"]["pkts_rx_from_vm"] >= len(frames), 20, "frames in")
    got = capture(sock, 1.5)
    c = d.relay(0)["vm_to_vf"]
    check(c["pkts_rx_from_vm"] == len(frames) and c["pkts_tx_to_vf"] == len(frames)
          and c["pkts_dropped_oversize"] == 0 and c["segmented"] == FRAMES + V6
          and c["bytes_tx_to_vf"] == c["bytes_rx_from_vm"] == sum(len(f) for f in frames),
          "the relay sent the %d frames as %d frames and bytes sent, %d segmented in software "
          "(counters: %s)" % (len(frames), c["pkts_tx_to_vf"], c["segmented"], c))
    tcp_frames = {i: payload(i) for i in range(FRAMES + V6)}
    tcp_frames.update({FRAMES + V6 + i: payload(FRAMES + V6 + i)[:300 + i] for i in range(SMALL)})
    check_segments(got, tcp_frames, "VF without offloads (af_packet)")
    udp = sorted(len(l4) - 8 for p, _, _, _, l4 in got if p == 17)
    check(udp == [500 + i for i in range(SMALL)], "the %d UDP datagrams arrive whole (%s)"
          % (SMALL, udp))
    finish(d, g, sock, base)

    # Backpressure: the VF refuses segments; those are made again later, none lost or doubled.
    gen = Gen(work, "tso-bp", "rx", 64, 8, extra=["--rx-pause-us", "200"])
    gen.wait("listening")
    d = Daemon("tso-bp", ["-T", "-P", "net_memif0,role=client,socket=%s=0" % gen.sock]).start()
    gen.wait("ready")
    gen.go()
    g = run_guest(d, "tso-bp", [tcp_frame(i, payload(i)) for i in range(BP_FRAMES)], work, True)
    c = lambda: d.relay(0)["vm_to_vf"]
    wait_for(lambda: c()["pkts_tx_to_vf"] >= BP_FRAMES, 30, "%d frames sent" % BP_FRAMES)
    res = gen.result(timeout=30)
    got, v = int(res["received"]) + int(res["foreign"]), c()
    per = -(-PAYLOAD // MSS)
    check(got == BP_FRAMES * per, "the VF's peer received every segment once: %d of %d"
          % (got, BP_FRAMES * per))
    check(v["pkts_rx_from_vm"] == v["pkts_tx_to_vf"] == v["segmented"] == BP_FRAMES
          and v["pkts_dropped_vf_queue_full"] == 0 and v["retries"] > 0,
          "the relay took %d frames, segmented and sent them all, dropped none, retried %d times"
          % (BP_FRAMES, v["retries"]))
    g.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    log("PASS")


if __name__ == "__main__":
    run(main)
