# SPDX-License-Identifier: BSD-2-Clause
"""Hostile frames for test_badinput.py, built with scapy.

Proves nothing on its own.  `families()` names every family of bad input;
`build(family, n, host_mac, rng)` returns n frames of that family (bytes),
aimed at the guest (10.0.2.15, 52:54:00:12:34:56) from the test's
namespace (10.0.2.2, the tap's MAC) or from made-up addresses inside
10.0.0.0/8, which never leave the namespace.  Run as a program inside the
namespace (`python3 badinput.py FAMILY -n N --tap tap0`), it sends the
frames out of the tap on an AF_PACKET socket, paced in bursts, and prints
a JSON summary {"family", "sent", "errors"}.
"""

import argparse
import json
import os
import random
import socket
import struct
import sys
import time

from scapy.all import (ARP, Ether, ICMP, IP, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrHopByHop, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr,
                       PadN, Raw, TCP, UDP, Dot1Q, fragment)

GUEST_MAC = "52:54:00:12:34:56"
GUEST_IP = "10.0.2.15"
GUEST_LL = "fe80::5054:ff:fe12:3456"       # EUI-64 from GUEST_MAC
HOST_IP = "10.0.2.2"
BCAST = "ff:ff:ff:ff:ff:ff"
ETH_P_ALL = 0x0003
BURST = 64
BURST_PAUSE = 0.002
ECHO_PORT = 7
ETHERTYPES_KNOWN = (0x0800, 0x0806, 0x86dd)
IP_MAX = 65535
FRAG_UNIT = 8
OVERSIZE_MIN = 1500 + 14 + 4 + 1             # MTU + header + tag + 1
OVERSIZE_MAX = 1900
RANDOM_MIN = 14
RANDOM_MAX = 1514
EXT_CHAIN = 40                              # IPv6 extension headers


def rand_mac(rng):
    b = [0x02] + [rng.randrange(256) for _ in range(5)]     # local unicast
    return ":".join("%02x" % x for x in b)


def rand_ip(rng):
    return "10.%d.%d.%d" % (rng.randrange(1, 255), rng.randrange(256),
                            rng.randrange(1, 255))


def eth(host_mac, dst=GUEST_MAC, type_=None):
    return Ether(src=host_mac, dst=dst) if type_ is None else \
        Ether(src=host_mac, dst=dst, type=type_)


def icmp_echo(host_mac, i, **ipkw):
    return eth(host_mac) / IP(src=HOST_IP, dst=GUEST_IP, **ipkw) / \
        ICMP(id=0xbad, seq=i & 0xffff) / Raw(b"x" * 32)


# ---- families: each returns a list of n frames (bytes) -------------------

def f_eth_runt14(n, host_mac, rng):
    """Just an Ethernet header (14 bytes) of a known type, no payload.
    Shorter frames cannot be sent: a packet socket refuses a frame under
    its device's 14-byte header (EINVAL); the fuzzers cover those."""
    types = (0x0806, 0x0800, 0x86dd)
    return [bytes(eth(host_mac, type_=types[i % 3])) for i in range(n)]


def f_eth_runt60(n, host_mac, rng):
    """Under the 60-byte minimum: ARP and IPv4 headers cut short."""
    out = []
    for i in range(n):
        if i % 2:
            p = bytes(eth(host_mac, BCAST) / ARP(pdst=GUEST_IP,
                                                psrc=HOST_IP))
        else:
            p = bytes(icmp_echo(host_mac, i))
        out.append(p[:rng.randrange(14, 14 + 20)])
    return out


def f_eth_oversize(n, host_mac, rng):
    """Ethernet frames above the 1500-byte MTU even with a VLAN tag
    (1519..1900 bytes)."""
    out = []
    for i in range(n):
        size = rng.randrange(OVERSIZE_MIN, OVERSIZE_MAX)
        p = icmp_echo(host_mac, i)
        out.append(bytes(p) + b"\0" * (size - len(p)))
    return out


def f_eth_unknown(n, host_mac, rng):
    """Ethertypes nobody registered."""
    out = []
    while len(out) < n:
        t = rng.randrange(0x0600, 0x10000)
        if t in ETHERTYPES_KNOWN or t == 0x8100:
            continue
        out.append(bytes(eth(host_mac, type_=t) / Raw(os.urandom(46))))
    return out


def f_eth_vlan(n, host_mac, rng):
    """802.1Q-tagged echo requests (no VLANs here)."""
    return [bytes(eth(host_mac) / Dot1Q(vlan=rng.randrange(1, 4095)) /
                  IP(src=HOST_IP, dst=GUEST_IP) / ICMP(seq=i & 0xffff))
            for i in range(n)]


def f_eth_bcast(n, host_mac, rng):
    """A broadcast storm: ARP who-has for addresses that are not the
    guest's, from made-up senders."""
    return [bytes(Ether(src=rand_mac(rng), dst=BCAST) /
                  ARP(op=1, hwsrc=rand_mac(rng), psrc=rand_ip(rng),
                      pdst="10.0.2.%d" % rng.randrange(100, 200)))
            for _ in range(n)]


def f_arp_badlen(n, host_mac, rng):
    """ARP with hardware or protocol lengths other than 6 and 4."""
    out = []
    for i in range(n):
        hl, pl = (rng.choice((0, 1, 8, 255)), 4) if i % 2 else \
            (6, rng.choice((0, 2, 6, 16)))
        out.append(bytes(eth(host_mac, BCAST) /
                         ARP(hwlen=hl, plen=pl, psrc=HOST_IP, pdst=GUEST_IP)
                         / Raw(b"\0" * 32)))
    return out


def f_arp_garp(n, host_mac, rng):
    """Gratuitous ARP claiming the guest's own address."""
    return [bytes(Ether(src=rand_mac(rng), dst=BCAST) /
                  ARP(op=2 if i % 2 else 1, hwsrc=rand_mac(rng),
                      psrc=GUEST_IP, pdst=GUEST_IP, hwdst=BCAST))
            for i in range(n)]


def f_arp_flood(n, host_mac, rng):
    """ARP requests for the guest from n made-up senders: its cache churns."""
    out = []
    for _ in range(n):
        mac = rand_mac(rng)
        out.append(bytes(Ether(src=mac, dst=BCAST) /
                         ARP(op=1, hwsrc=mac, psrc=rand_ip(rng),
                             pdst=GUEST_IP)))
    return out


def _fix_ip(p):
    return bytes(p)


def f_ip_badver(n, host_mac, rng):
    """IPv4 ethertype, version field not 4."""
    out = []
    for i in range(n):
        b = bytearray(bytes(icmp_echo(host_mac, i)))
        b[14] = (rng.choice((0, 1, 5, 6, 15)) << 4) | (b[14] & 0x0f)
        out.append(bytes(b))
    return out


def f_ip_badihl(n, host_mac, rng):
    """IHL under 5, or pointing past the packet."""
    out = []
    for i in range(n):
        b = bytearray(bytes(icmp_echo(host_mac, i)))
        b[14] = 0x40 | (rng.randrange(0, 5) if i % 2 else 15)
        if i % 2 == 0:
            b = b[:14 + 40]          # IHL 15 = 60 bytes, only 40 there
        out.append(bytes(b))
    return out


def f_ip_badlen(n, host_mac, rng):
    """Total length larger than the frame, or smaller than the header."""
    out = []
    for i in range(n):
        b = bytearray(bytes(icmp_echo(host_mac, i)))
        tot = rng.randrange(200, 65535) if i % 2 else rng.randrange(0, 20)
        b[16:18] = struct.pack("!H", tot)
        out.append(bytes(b))
    return out


def f_ip_badsum(n, host_mac, rng):
    """IPv4 header checksum wrong."""
    out = []
    for i in range(n):
        b = bytearray(bytes(icmp_echo(host_mac, i)))
        b[24] ^= 0x5a
        out.append(bytes(b))
    return out


def f_ip_ttl0(n, host_mac, rng):
    """Echo requests with TTL 0 (delivered locally, never forwarded)."""
    return [bytes(icmp_echo(host_mac, i, ttl=0)) for i in range(n)]


def f_ip_options(n, host_mac, rng):
    """IPv4 options: NOPs, record route, and junk option bytes."""
    opts = (b"\x01\x01\x01\x01", b"\x07\x07\x04\x00\x00\x00\x00\x00",
            b"\x44\x02\x00\x00", b"\x99\x28" + b"\0" * 2)
    out = []
    for i in range(n):
        o = opts[i % len(opts)]
        p = eth(host_mac) / IP(src=HOST_IP, dst=GUEST_IP, options=o) / \
            ICMP(seq=i & 0xffff)
        out.append(bytes(p))
    return out


def f_ip_frags(n, host_mac, rng):
    """Fragments: overlapping, out of order, never completed, a tiny first
    fragment, and pieces reaching past 65,535 bytes."""
    out = []
    i = 0
    while len(out) < n:
        ident = rng.randrange(1, 65535)
        kind = i % 5
        i += 1
        base = IP(src=HOST_IP, dst=GUEST_IP, id=ident) / \
            ICMP(id=0xf4a, seq=i & 0xffff) / Raw(b"f" * 600)
        frags = [eth(host_mac) / f for f in fragment(base, fragsize=200)]
        if kind == 0:                       # overlapping copies
            dup = frags[1].copy()
            dup[IP].frag = frags[1][IP].frag - 1
            frags.insert(2, dup)
        elif kind == 1:                     # out of order
            frags.reverse()
        elif kind == 2:                     # never completed
            frags = frags[:-1]
        elif kind == 3:                     # tiny first fragment
            p = IP(src=HOST_IP, dst=GUEST_IP, id=ident, flags="MF") / \
                Raw(b"\x08\x00\x00\x00\x00\x00\x00\x00")
            frags = [eth(host_mac) / p] + frags[1:]
        else:                               # past 65,535 bytes
            last = eth(host_mac) / IP(src=HOST_IP, dst=GUEST_IP, id=ident,
                                      frag=(IP_MAX - 100) // FRAG_UNIT,
                                      flags="MF") / Raw(b"o" * 400)
            frags = [frags[0], last]
        out.extend(bytes(f) for f in frags)
    return out[:n]


def _tcp(host_mac, rng, **kw):
    return eth(host_mac) / IP(src=HOST_IP, dst=GUEST_IP) / \
        TCP(sport=rng.randrange(1024, 65535), dport=ECHO_PORT, **kw)


def f_l4_badsum(n, host_mac, rng):
    """TCP and UDP checksums wrong (the NIC must not check them)."""
    out = []
    for i in range(n):
        if i % 2:
            p = _tcp(host_mac, rng, flags="S", chksum=0xbad0 + (i & 0xf))
        else:
            p = eth(host_mac) / IP(src=HOST_IP, dst=GUEST_IP) / \
                UDP(sport=rng.randrange(1024, 65535), dport=ECHO_PORT,
                    chksum=0xbad0 + (i & 0xf)) / Raw(b"u" * 20)
        out.append(bytes(p))
    return out


def f_tcp_badoff(n, host_mac, rng):
    """TCP data offsets under 5 words or past the segment."""
    return [bytes(_tcp(host_mac, rng, flags="S",
                       dataofs=rng.choice((0, 1, 4, 15))))
            for _ in range(n)]


def f_tcp_synfin(n, host_mac, rng):
    """SYN+FIN (and SYN+RST) to the echo port."""
    return [bytes(_tcp(host_mac, rng, flags="SF" if i % 2 else "SR"))
            for i in range(n)]


def f_tcp_zerownd(n, host_mac, rng):
    """SYNs and ACK+data with a zero window."""
    return [bytes(_tcp(host_mac, rng, flags="S" if i % 2 else "A",
                       window=0, seq=rng.randrange(1 << 32)) /
                  Raw(b"" if i % 2 else b"z" * 16))
            for i in range(n)]


def f_tcp_rst(n, host_mac, rng):
    """A RST storm at random sequence numbers."""
    return [bytes(_tcp(host_mac, rng, flags="R", seq=rng.randrange(1 << 32)))
            for _ in range(n)]


def f_tcp_synflood(n, host_mac, rng):
    """SYNs from made-up sources on the guest's subnet."""
    return [bytes(eth(host_mac) /
                  IP(src="10.0.2.%d" % rng.randrange(100, 250),
                     dst=GUEST_IP) /
                  TCP(sport=rng.randrange(1024, 65535), dport=ECHO_PORT,
                      flags="S", seq=rng.randrange(1 << 32)))
            for _ in range(n)]


def _ip6(host_mac, src="fe80::2"):
    return Ether(src=host_mac, dst=GUEST_MAC) / IPv6(src=src, dst=GUEST_LL)


def f_ip6_trunc(n, host_mac, rng):
    """IPv6 headers cut short, and payload lengths past the frame."""
    out = []
    for i in range(n):
        p = bytes(_ip6(host_mac) / ICMPv6ND_NS(tgt=GUEST_LL))
        if i % 2:
            out.append(p[:14 + rng.randrange(0, 40)])
        else:
            b = bytearray(p)
            b[18:20] = struct.pack("!H", rng.randrange(200, 65535))
            out.append(bytes(b))
    return out


def f_ip6_extchain(n, host_mac, rng):
    """A long chain of extension headers, hop-by-hop misplaced too."""
    p = _ip6(host_mac)
    for _ in range(EXT_CHAIN):
        p = p / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])
    tail = UDP(sport=1, dport=ECHO_PORT) / Raw(b"e")
    long_chain = bytes(p / tail)
    misplaced = bytes(_ip6(host_mac) / IPv6ExtHdrDestOpt() /
                      IPv6ExtHdrHopByHop() / tail)
    return [long_chain if i % 2 else misplaced for i in range(n)]


def f_ip6_nsflood(n, host_mac, rng):
    """Neighbour solicitations for the guest from n made-up neighbours."""
    out = []
    for _ in range(n):
        mac = rand_mac(rng)
        src = "fe80::%x:%x" % (rng.randrange(1, 0xffff),
                               rng.randrange(1, 0xffff))
        out.append(bytes(Ether(src=mac, dst=GUEST_MAC) /
                         IPv6(src=src, dst=GUEST_LL, hlim=255) /
                         ICMPv6ND_NS(tgt=GUEST_LL) /
                         ICMPv6NDOptSrcLLAddr(lladdr=mac)))
    return out


def f_random(n, host_mac, rng):
    """Random bytes of random length, addressed to the guest."""
    dst = bytes.fromhex(GUEST_MAC.replace(":", ""))
    return [dst + os.urandom(rng.randrange(RANDOM_MIN, RANDOM_MAX) - 6)
            for _ in range(n)]


FAMILIES = {name[2:]: fn for name, fn in globals().items()
            if name.startswith("f_")}


def families():
    return sorted(FAMILIES)


def build(family, n, host_mac, rng):
    return FAMILIES[family](n, host_mac, rng)


def send(frames, tap):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((tap, 0))
    sent = errors = 0
    for i, f in enumerate(frames):
        try:
            s.send(f)
            sent += 1
        except OSError:
            errors += 1
        if i % BURST == BURST - 1:
            time.sleep(BURST_PAUSE)
    s.close()
    return sent, errors


def main(argv=None):
    ap = argparse.ArgumentParser(description="send hostile frames")
    ap.add_argument("family", choices=families())
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--tap", default="tap0")
    ap.add_argument("--seed", type=int, default=0xbad)
    args = ap.parse_args(argv)
    with open("/sys/class/net/%s/address" % args.tap) as f:
        host_mac = f.read().strip()
    rng = random.Random(args.seed)
    frames = build(args.family, args.n, host_mac, rng)
    sent, errors = send(frames, args.tap)
    json.dump({"family": args.family, "frames": len(frames), "sent": sent,
               "errors": errors}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
