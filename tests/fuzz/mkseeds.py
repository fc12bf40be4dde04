#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""mkseeds.py: write the seed inputs of the fuzz_frames target.

    python3 tests/fuzz/mkseeds.py [DIR]     (default tests/fuzz/corpus/fuzz_frames)

Each seed is one or more records in the format of tests/fuzz/fuzz_frames.h
(flags byte, 16-bit big-endian length, Ethernet frame), built with plain
struct: valid frames for the stack the fuzzer brings up (vtnet0 at
52:54:00:12:34:56, 10.0.2.15/24, fe80::5054:ff:fe12:3456 and
fd00:1::15/48, QEMU's gateway 10.0.2.2 at 52:55:0a:00:02:02 as the peer):

    seed-arp-request      ARP who-has 10.0.2.15 tell 10.0.2.2
    seed-arp-reply        ARP reply from 10.0.2.2 (resolves queued replies)
    seed-icmp-echo        ICMP echo request to 10.0.2.15
    seed-udp-echo         UDP to port 7
    seed-tcp-syn          TCP SYN to port 7
    seed-tcp-echo         SYN, ACK, data, FIN to port 7 (seq/ack fixed up)
    seed-iperf3           SYN, ACK, the 37-byte cookie and the parameters
                          (length and JSON) to port 5201, the iperf3 server
    seed-ip4-frags        an ICMP echo in two IPv4 fragments
    seed-ip6-ns           IPv6 neighbour solicitation for the link-local
    seed-ip6-na           neighbour advertisement for fd00:1::2 (resolves)
    seed-ip6-echo         ICMPv6 echo request to fd00:1::15
    seed-ip6-udp          UDP over IPv6 to port 7
    seed-ip6-ra           router advertisement with prefix and MTU options
    seed-ip6-frags        an ICMPv6 echo in two IPv6 fragments

Checksums are computed here, so the seeds are valid without the fixup
flag; only the TCP sequences set it (lwIP picks the ISN).
"""

import os
import struct
import sys

REC_CSUM_VALID = 0x01
REC_COPY = 0x02
REC_FIXUP = 0x04

OUR_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6
OUR_IP = bytes([10, 0, 2, 15])
PEER_IP = bytes([10, 0, 2, 2])
OUR_LL6 = bytes.fromhex("fe80000000000000505400fffe123456")
PEER_LL6 = bytes.fromhex("fe800000000000000000000000000001")
OUR_IP6 = bytes.fromhex("fd000001000000000000000000000015")
PEER_IP6 = bytes.fromhex("fd000001000000000000000000000002")
ALL_NODES6 = bytes.fromhex("ff020000000000000000000000000001")

ETH_IP, ETH_ARP, ETH_IP6 = 0x0800, 0x0806, 0x86DD
P_ICMP, P_TCP, P_UDP, P_FRAG6, P_ICMP6 = 1, 6, 17, 44, 58
TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, ethertype, payload, src=PEER_MAC):
    return dst + src + struct.pack("!H", ethertype) + payload


def ip4(proto, payload, ident=1, frag=0, src=PEER_IP, dst=OUR_IP,
        total=None):
    if total is None:
        total = 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, frag, 64, proto,
                    0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def pseudo4(proto, length, src=PEER_IP, dst=OUR_IP):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def pseudo6(proto, length, src, dst):
    return src + dst + struct.pack("!IxxxB", length, proto)


def with_csum(hdr, at, payload, pseudo=b""):
    c = csum(pseudo + hdr + payload)
    return hdr[:at] + struct.pack("!H", c) + hdr[at + 2:] + payload


def icmp_echo(ident=0x1234, seq=1, data=b"unisr fuzz seed 0123456789"):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return with_csum(h, 2, data)


def udp(sport, dport, data, pseudo_fn):
    h = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
    return with_csum(h, 6, data, pseudo_fn(P_UDP, 8 + len(data)))


def tcp(sport, dport, seq, ack, flags, data=b"", pseudo_fn=None,
        window=65535, opts=b""):
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags,
                    window, 0, 0) + opts
    return with_csum(h, 16, data, pseudo_fn(P_TCP, len(h) + len(data)))


def ip6(nh, payload, src=PEER_IP6, dst=OUR_IP6, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       src, dst) + payload


def icmp6(type_, code, body, src, dst):
    h = struct.pack("!BBH", type_, code, 0)
    return with_csum(h, 2, body, pseudo6(P_ICMP6, 4 + len(body), src, dst))


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa, tha,
                       tpa)


def rec(frame, flags=0):
    return struct.pack("!BH", flags, len(frame)) + frame


def p4(proto, length):
    return pseudo4(proto, length)


def p6(proto, length):
    return pseudo6(proto, length, PEER_IP6, OUR_IP6)


def tcp4_to(dport, seq, ack, flags, data=b"", opts=b""):
    return eth(OUR_MAC, ETH_IP, ip4(P_TCP, tcp(40000, dport, seq, ack, flags,
                                               data, p4, opts=opts)))


def seeds():
    out = {}
    out["seed-arp-request"] = rec(eth(BCAST, ETH_ARP, arp(
        1, PEER_MAC, PEER_IP, b"\0" * 6, OUR_IP)))
    out["seed-arp-reply"] = rec(eth(OUR_MAC, ETH_ARP, arp(
        2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP)))
    out["seed-icmp-echo"] = rec(eth(OUR_MAC, ETH_IP,
                                    ip4(P_ICMP, icmp_echo())))
    out["seed-udp-echo"] = rec(eth(OUR_MAC, ETH_IP, ip4(
        P_UDP, udp(40000, 7, b"hello, echo", p4))))
    mss = struct.pack("!BBH", 2, 4, 1460)
    out["seed-tcp-syn"] = rec(tcp4_to(7, 1000, 0, TCP_SYN, opts=mss))
    # After the SYN, sequence numbers are fixed up relative to lwIP's
    # (0 = the next one; fuzz_fixup.c), acknowledgements to snd_nxt.
    out["seed-tcp-echo"] = b"".join([
        rec(tcp4_to(7, 1000, 0, TCP_SYN, opts=mss)),
        rec(tcp4_to(7, 0, 0, TCP_ACK), REC_FIXUP),
        rec(tcp4_to(7, 0, 0, TCP_ACK | TCP_PSH, b"echo me, please\n"),
            REC_FIXUP),
        rec(tcp4_to(7, 0, 0, TCP_ACK | TCP_FIN), REC_FIXUP),
    ])
    cookie = b"unisrfuzzseedcookie0123456789abcdefg\0"
    assert len(cookie) == 37
    params = (b'{"tcp":true,"omit":0,"time":1,"parallel":1,"len":131072,'
              b'"client_version":"3.12"}')
    out["seed-iperf3"] = b"".join([
        rec(tcp4_to(5201, 5000, 0, TCP_SYN, opts=mss)),
        rec(tcp4_to(5201, 0, 0, TCP_ACK), REC_FIXUP),
        rec(tcp4_to(5201, 0, 0, TCP_ACK | TCP_PSH, cookie), REC_FIXUP),
        rec(tcp4_to(5201, 0, 0, TCP_ACK | TCP_PSH, struct.pack(
            "!I", len(params)) + params), REC_FIXUP),
    ])
    # One ICMP echo (8 + 32 bytes) in fragments of 24 and 16 bytes.
    whole = icmp_echo(seq=2, data=bytes(range(32)))
    out["seed-ip4-frags"] = b"".join([
        rec(eth(OUR_MAC, ETH_IP, ip4(P_ICMP, whole[:24], ident=77,
                                     frag=0x2000))),
        rec(eth(OUR_MAC, ETH_IP, ip4(P_ICMP, whole[24:], ident=77,
                                     frag=24 // 8))),
    ])
    sol = bytes.fromhex("ff0200000000000000000001ff123456")
    ns = struct.pack("!I16s", 0, OUR_LL6) + bytes([1, 1]) + PEER_MAC
    out["seed-ip6-ns"] = rec(eth(bytes.fromhex("3333ff123456"), ETH_IP6, ip6(
        P_ICMP6, icmp6(135, 0, ns, PEER_LL6, sol), PEER_LL6, sol, 255)))
    na = struct.pack("!I16s", 0x60000000, PEER_IP6) + bytes([2, 1]) + PEER_MAC
    out["seed-ip6-na"] = rec(eth(OUR_MAC, ETH_IP6, ip6(
        P_ICMP6, icmp6(136, 0, na, PEER_IP6, OUR_IP6), hlim=255)))
    echo6 = struct.pack("!HH", 0x4321, 1) + b"unisr fuzz seed ping6"
    out["seed-ip6-echo"] = rec(eth(OUR_MAC, ETH_IP6, ip6(
        P_ICMP6, icmp6(128, 0, echo6, PEER_IP6, OUR_IP6))))
    out["seed-ip6-udp"] = rec(eth(OUR_MAC, ETH_IP6, ip6(
        P_UDP, udp(40000, 7, b"hello, echo6", p6))))
    prefix = (struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) +
              bytes.fromhex("fd000002000000000000000000000000"))
    mtu = struct.pack("!BBHI", 5, 1, 0, 1400)
    slla = bytes([1, 1]) + PEER_MAC
    ra = struct.pack("!BBHII", 64, 0, 1800, 0, 0) + slla + mtu + prefix
    out["seed-ip6-ra"] = rec(eth(bytes.fromhex("333300000001"), ETH_IP6, ip6(
        P_ICMP6, icmp6(134, 0, ra, PEER_LL6, ALL_NODES6), PEER_LL6,
        ALL_NODES6, 255)))
    # One ICMPv6 echo (8 + 40 bytes) in fragments of 24 and 24 bytes.
    whole6 = icmp6(128, 0, struct.pack("!HH", 0x4321, 2) + bytes(range(40)),
                   PEER_IP6, OUR_IP6)
    frags = []
    for off, more in ((0, 1), (24, 0)):
        fh = struct.pack("!BBHI", P_ICMP6, 0, off | more, 0xABCD)
        frags.append(rec(eth(OUR_MAC, ETH_IP6, ip6(
            P_FRAG6, fh + whole6[off:off + 24]))))
    out["seed-ip6-frags"] = b"".join(frags)
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(
        here, "corpus", "fuzz_frames")
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (name, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
