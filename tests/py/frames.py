# SPDX-License-Identifier: BSD-2-Clause
"""Raw Ethernet/IPv4/UDP frames and the Toeplitz hash, in pure Python.

Proves nothing on its own; it gives the virtio tests their traffic and
their expected RSS hashes:
- `udp_frame()` builds one Ethernet II / IPv4 / UDP frame with a valid
  IPv4 header checksum and UDP checksum 0 (none);
- `flow_plan()` spreads N frames over F flows round-robin (flow i gets
  N // F frames, plus one for i < N % F), so the sender and the test agree
  on exactly how many frames each 4-tuple got;
- `toeplitz()` is the RSS (receive side scaling) hash, computed over src
  IP, dst IP, src port, dst port in network byte order; `check_toeplitz()`
  verifies it against the published IPv4 verification vectors for the
  Microsoft default key and runs at import, so a wrong hash can never be
  used silently;
- run as a program (`python3 frames.py send ...`, inside a network
  namespace via `ip netns exec`), it sends the planned frames out of one
  interface on an AF_PACKET SOCK_RAW socket, paced in small bursts, and
  prints a JSON summary (frames sent, per-flow counts, frame length).
"""

import argparse
import ipaddress
import json
import socket
import struct
import sys
import time

MS_RSS_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
    "6a42b73bbeac01fa")

# (src, sport, dst, dport, hash of IPs only, hash of IPs and ports)
TOEPLITZ_VECTORS = (
    ("66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178),
    ("199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea),
)

GUEST_MAC = "52:54:00:12:34:56"
HOST_MAC = "02:00:5e:10:00:01"      # locally administered, unicast
ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003
IPPROTO_UDP = 17

# Hash report types (virtio spec, VIRTIO_NET_HASH_REPORT_*).
HASH_REPORT_NONE = 0
HASH_REPORT_IPV4 = 1
HASH_REPORT_TCPV4 = 2
HASH_REPORT_UDPV4 = 3
# RSS hash type bits (VIRTIO_NET_RSS_HASH_TYPE_*).
RSS_TYPE_IPV4 = 1 << 0
RSS_TYPE_TCPV4 = 1 << 1
RSS_TYPE_UDPV4 = 1 << 2


# ---- Toeplitz ------------------------------------------------------------

def toeplitz(key, data):
    """32-bit Toeplitz hash of bytes `data` under bytes `key`.

    For every set bit of the input, counting from the most significant bit
    of data[0], XOR in the 32 key bits that start at the same bit offset.
    """
    key = bytes(key)
    data = bytes(data)
    kbits = len(key) * 8
    if kbits < len(data) * 8 + 32:
        raise ValueError("key of %d bytes too short for %d bytes of input"
                         % (len(key), len(data)))
    k = int.from_bytes(key, "big")
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                h ^= (k >> (kbits - 32 - (i * 8 + b))) & 0xffffffff
    return h


def ipv4_tuple_bytes(src, dst, sport=None, dport=None):
    """Hash input: src IP, dst IP[, src port, dst port], network order."""
    data = (ipaddress.IPv4Address(src).packed
            + ipaddress.IPv4Address(dst).packed)
    if sport is not None:
        data += struct.pack("!HH", sport, dport)
    return data


def toeplitz_ipv4(src, dst, sport=None, dport=None, key=MS_RSS_KEY):
    """Toeplitz hash of an IPv4 2-tuple (ports None) or 4-tuple."""
    return toeplitz(key, ipv4_tuple_bytes(src, dst, sport, dport))


def check_toeplitz():
    """Raise AssertionError unless toeplitz() gives the published values."""
    for src, sport, dst, dport, h2, h4 in TOEPLITZ_VECTORS:
        got2 = toeplitz_ipv4(src, dst)
        got4 = toeplitz_ipv4(src, dst, sport, dport)
        if (got2, got4) != (h2, h4):
            raise AssertionError(
                "toeplitz %s:%d -> %s:%d gave 0x%08x/0x%08x, want "
                "0x%08x/0x%08x" % (src, sport, dst, dport, got2, got4,
                                   h2, h4))


check_toeplitz()


# ---- frames --------------------------------------------------------------

def mac_bytes(mac):
    b = bytes(int(x, 16) for x in mac.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC %r" % (mac,))
    return b


def inet_checksum(data):
    """The Internet checksum (RFC 1071) of bytes `data`."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(src, dst, sport, dport, payload=b"", src_mac=HOST_MAC,
              dst_mac=GUEST_MAC, ident=0, ttl=64):
    """One Ethernet/IPv4/UDP frame as bytes (UDP checksum 0 = none).

    Frames shorter than the Ethernet minimum of 60 bytes (without FCS)
    are padded with zeros after the UDP payload, as a NIC would.
    """
    udp_len = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    total = 20 + udp_len
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xffff,
                      0x4000, ttl, IPPROTO_UDP, 0,
                      ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
    frame = (mac_bytes(dst_mac) + mac_bytes(src_mac)
             + struct.pack("!H", ETH_P_IP) + hdr + udp)
    if len(frame) < 60:
        frame += b"\0" * (60 - len(frame))
    return frame


def parse_udp_frame(frame):
    """(src, dst, sport, dport) of a frame udp_frame() built; checks it."""
    if struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        raise ValueError("not IPv4")
    ip = frame[14:34]
    if ip[0] != 0x45 or ip[9] != IPPROTO_UDP:
        raise ValueError("not a plain IPv4/UDP header")
    if inet_checksum(ip) != 0:
        raise ValueError("bad IPv4 header checksum")
    sport, dport = struct.unpack("!HH", frame[34:38])
    return (str(ipaddress.IPv4Address(ip[12:16])),
            str(ipaddress.IPv4Address(ip[16:20])), sport, dport)


class Flow:
    """One IPv4/UDP 4-tuple."""

    def __init__(self, src, sport, dst, dport):
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport

    @property
    def key(self):
        return (self.src, self.sport, self.dst, self.dport)

    def hash(self, key=MS_RSS_KEY):
        return toeplitz_ipv4(self.src, self.dst, self.sport, self.dport, key)

    def __repr__(self):
        return "%s:%d -> %s:%d" % self.key


def make_flows(nflows, src="10.77.0.2", dst="10.77.0.1", sport_base=40000,
               dport=9):
    """`nflows` flows differing only in their source port."""
    return [Flow(src, sport_base + i, dst, dport) for i in range(nflows)]


def flow_plan(nflows, count):
    """Frames per flow when `count` frames go round-robin over `nflows`."""
    return [count // nflows + (1 if i < count % nflows else 0)
            for i in range(nflows)]


def payload_for(seq, size):
    """A recognisable payload: the sequence number, then filler."""
    head = b"unisr%08d" % seq
    return (head + b"." * max(0, size - len(head)))[:size]


# ---- sender (runs inside the namespace) ---------------------------------

def send(iface, flows, count, payload_size=32, batch=64, gap=0.002,
         dst_mac=GUEST_MAC):
    """Send `count` frames round-robin over `flows` out of `iface`.

    Sends `batch` frames, then sleeps `gap` seconds, so a slow reader on
    the other side of a tap is never outrun.  Returns the per-flow counts.
    """
    per_flow = [0] * len(flows)
    frames = [udp_frame(f.src, f.dst, f.sport, f.dport,
                        payload_for(0, payload_size), dst_mac=dst_mac)
              for f in flows]
    length = len(frames[0])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    try:
        s.bind((iface, 0))
        for seq in range(count):
            i = seq % len(flows)
            n = s.send(frames[i])
            if n != length:
                raise OSError("short send: %d of %d bytes" % (n, length))
            per_flow[i] += 1
            if gap and (seq + 1) % batch == 0:
                time.sleep(gap)
    finally:
        s.close()
    return per_flow, length


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("send", help="send UDP frames out of an interface")
    sp.add_argument("--iface", default="tap0")
    sp.add_argument("--flows", type=int, default=64)
    sp.add_argument("--count", type=int, default=10000)
    sp.add_argument("--src", default="10.77.0.2")
    sp.add_argument("--dst", default="10.77.0.1")
    sp.add_argument("--sport-base", type=int, default=40000)
    sp.add_argument("--dport", type=int, default=9)
    sp.add_argument("--payload", type=int, default=32)
    sp.add_argument("--batch", type=int, default=64)
    sp.add_argument("--gap", type=float, default=0.002)
    sp.add_argument("--dst-mac", default=GUEST_MAC)
    sub.add_parser("selfcheck", help="check the Toeplitz vectors")
    args = ap.parse_args(argv)
    if args.cmd == "selfcheck":
        check_toeplitz()
        print("toeplitz: ok")
        return 0
    flows = make_flows(args.flows, args.src, args.dst, args.sport_base,
                       args.dport)
    t0 = time.monotonic()
    per_flow, length = send(args.iface, flows, args.count, args.payload,
                            args.batch, args.gap, args.dst_mac)
    json.dump({"sent": sum(per_flow), "per_flow": per_flow,
               "frame_len": length,
               "seconds": round(time.monotonic() - t0, 3)}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
