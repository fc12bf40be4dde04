# SPDX-License-Identifier: BSD-2-Clause
"""The guest's IPv4 stack answers ARP and ICMP echo, and survives garbage.

Every boot runs QEMU inside a fresh network namespace (the `netns`
fixture) whose tap has the host address 10.0.2.2/24; every frame and
packet stays on that tap.  Proves (-m 128M, direct boots, virtio-net-pci
with mq=on):
- for -smp 1 (1 queue, empty command line), -smp 2 (2 queues, command
  line `ip=10.0.2.15/24 gw=10.0.2.2`) and -smp 4 (4 queues, rss=on,
  hash=on, empty command line): the boot prints exactly one
  `READY cpus=<n> queues=<n> ip=10.0.2.15/24 mac=52:54:00:12:34:56`;
  `ping -c 20 -i 0.05 -W 2 10.0.2.15` from the namespace reports 20
  transmitted, 20 received, no duplicates, no errors, exit 0; `netstat
  -Q` lists exactly the protocols ether, arp, ip, ip6 and test, one
  workstream row per CPU per protocol, and across the ping the `ip` rows'
  Handled sum grew by at least 20, the `ether` rows' too, while both
  protocols' QDrops stay 0; the namespace's neighbour table then maps
  10.0.2.15 to 52:54:00:12:34:56 (the guest answered ARP); the guest's
  `arp` prints only `<ip> at <mac> on vtnet0` lines, one per address,
  among them `10.0.2.2 at <the tap's MAC>`;
- -smp 2, 2 queues, with the empty and with the explicit command line:
  `ifconfig` prints exactly three lines: `vtnet0: inet 10.0.2.15/24 gw
  10.0.2.2 mtu 1500 mac 52:54:00:12:34:56 up`, then (once DAD is done,
  within 20 s) `vtnet0: inet6 fe80::5054:ff:fe12:3456/64 preferred`, then
  the flags line, `vtnet0: flags UP,BROADCAST,LINK_UP,ETHARP,ETHERNET,MLD6
  checksum gen <list> check <list>`; the same again after 20 answered
  pings;
- -smp 2, 2 queues: after 20 good pings, 1,000 garbage frames (lengths
  uniform in 14..1514, the guest's MAC as destination, then random bytes:
  200 each of a random EtherType, IPv4 with random bytes, IPv4 with a
  plausible header (random options, lengths, fragment fields, protocol)
  to 10.0.2.15 or a broadcast, ARP with random fields, IPv6 with random
  fields; seeded, so reproducible) sent from an AF_PACKET socket inside
  the namespace all reach the guest (its Ipkts grows by at least 1,000,
  the tap drops none), and then 20 more pings all get replies; the
  console has no PANIC, one banner, and QEMU still runs.  Frames of 1..13
  bytes cannot be sent: Linux refuses an Ethernet frame shorter than its
  14-byte header (EINVAL) before it reaches the tap; the sender tries each
  such length once and the test requires that every one was either
  refused by the host or delivered.

Also checks its own tools without QEMU: the garbage plan (count, lengths,
destination MAC, kinds, no source address inside 10.0.2.0/24, same seed
same frames) and the ping summary parser.

Run as a program (`python3 test_ping.py garbage ...`, inside the
namespace via `ip netns exec`), it sends the garbage frames and prints a
JSON summary.
"""

import argparse
import errno
import ipaddress
import json
import random
import re
import socket
import struct
import sys
import time
from pathlib import Path

import pytest

import frames
import netns as nsmod
from test_netisr import netstat_q

MEM = "128M"
BOOT_TIMEOUT = 60.0
CMD_TIMEOUT = 10.0
PING_TIMEOUT = 60.0
SETTLE_TIMEOUT = 60.0
SEND_TIMEOUT = 120.0

GUEST_IP = "10.0.2.15"
GUEST_CIDR = GUEST_IP + "/24"
GATEWAY = "10.0.2.2"
HOST_CIDR = GATEWAY + "/24"
SUBNET = ipaddress.IPv4Network("10.0.2.0/24")
MAC = frames.GUEST_MAC
CMDLINE = "ip=%s gw=%s" % (GUEST_CIDR, GATEWAY)

PINGS = 20
PING_INTERVAL = 0.05
PING_WAIT = 2

READY_FMT = "READY cpus=%d queues=%d ip=" + GUEST_CIDR + " mac=" + MAC
IFCONFIG_LINE = ("vtnet0: inet %s gw %s mtu 1500 mac %s up"
                 % (GUEST_CIDR, GATEWAY, MAC))
IFCONFIG_INET6_LL = "vtnet0: inet6 fe80::5054:ff:fe12:3456/64 preferred"
IFCONFIG_FLAGS_RE = re.compile(
    r"^vtnet0: flags UP,BROADCAST,LINK_UP,ETHARP,ETHERNET,MLD6 "
    r"checksum gen (none|[a-z0-9,]+) check (none|[a-z0-9,]+)$")
DAD_TIMEOUT = 20.0
ARP_RE = re.compile(r"^(\d+\.\d+\.\d+\.\d+) at "
                    r"([0-9a-f]{2}(?::[0-9a-f]{2}){5}) on vtnet0$")
PROTOCOLS = ["arp", "ether", "ip", "ip6", "test"]

GARBAGE = 1000
GARBAGE_SEED = 0x756e6973          # "unis"
ETH_HLEN = 14
MAX_FRAME = 1514                   # 1500-byte MTU + Ethernet header
GARBAGE_KINDS = ("random-ethertype", "ipv4-random", "ipv4-header", "arp",
                 "ipv6")


# ---- garbage frames ------------------------------------------------------

def _outside_ip(rng):
    """A random IPv4 address (packed) not inside 10.0.2.0/24, so garbage
    can never claim the host's or the guest's address."""
    while True:
        a = rng.getrandbits(32)
        if ipaddress.IPv4Address(a) not in SUBNET:
            return struct.pack("!I", a)


def _garbage_head(kind, rng, length):
    """The bytes after the two MACs for one garbage frame of `kind`."""
    if kind == "random-ethertype":
        return rng.randbytes(2)
    if kind == "ipv4-random":
        return struct.pack("!H", 0x0800)
    if kind == "ipv4-header":
        ihl = rng.choice((5, 5, 5, rng.randint(0, 15)))
        tot_len = rng.choice((length - ETH_HLEN, rng.randint(0, 65535),
                              rng.randint(20, 1500)))
        frag = rng.choice((0, 0x4000, rng.getrandbits(16)))
        proto = rng.choice((1, 6, 17, 2, rng.getrandbits(8)))
        dst = rng.choice((GUEST_IP, "10.0.2.255", "255.255.255.255"))
        hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, rng.getrandbits(8),
                          tot_len & 0xffff, rng.getrandbits(16), frag,
                          rng.randint(0, 255), proto, 0, _outside_ip(rng),
                          ipaddress.IPv4Address(dst).packed)
        hdr += rng.randbytes(max(0, ihl * 4 - 20))
        csum = frames.inet_checksum(hdr)
        hdr = hdr[:10] + struct.pack("!H", csum) + hdr[12:]
        return struct.pack("!H", 0x0800) + hdr
    if kind == "arp":
        if rng.random() < 0.25:
            fixed = rng.randbytes(6)
        else:
            fixed = struct.pack("!HHBB", 1, 0x0800, 6, 4)
        op = rng.choice((1, 2, rng.getrandbits(16)))
        tpa = rng.choice((ipaddress.IPv4Address(GUEST_IP).packed,
                          _outside_ip(rng)))
        return (struct.pack("!H", 0x0806) + fixed + struct.pack("!H", op)
                + rng.randbytes(6) + _outside_ip(rng) + rng.randbytes(6)
                + tpa)
    if kind == "ipv6":
        nxt = rng.choice((58, 6, 17, 0, 44, 43, 60, rng.getrandbits(8)))
        dst = rng.choice((bytes.fromhex("ff020000000000000000000000000001"),
                          bytes.fromhex("fe80000000000000505400fffe123456"),
                          rng.randbytes(16)))
        plen = rng.choice((length - ETH_HLEN - 40, rng.getrandbits(16)))
        return (struct.pack("!H", 0x86dd)
                + struct.pack("!IHBB", (6 << 28) | rng.getrandbits(28),
                              plen & 0xffff, nxt, rng.getrandbits(8))
                + rng.randbytes(16) + dst)
    raise ValueError("unknown garbage kind %r" % (kind,))


def garbage_frames(count=GARBAGE, seed=GARBAGE_SEED, dst_mac=MAC,
                   min_len=ETH_HLEN, max_len=MAX_FRAME):
    """[(kind, frame bytes)]: `count` garbage frames, kinds round-robin.

    Each is the guest's MAC, a random source MAC, the kind's head, then
    random bytes, cut to a length drawn uniformly from min_len..max_len.
    """
    rng = random.Random(seed)
    dst = frames.mac_bytes(dst_mac)
    out = []
    for i in range(count):
        kind = GARBAGE_KINDS[i % len(GARBAGE_KINDS)]
        length = rng.randint(min_len, max_len)
        head = dst + rng.randbytes(6) + _garbage_head(kind, rng, length)
        frame = head + rng.randbytes(max(0, length - len(head)))
        out.append((kind, frame[:length]))
    return out


def send_garbage(iface, count, seed, batch=50, gap=0.005):
    """Send the short probes and the garbage plan out of `iface`."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(frames.ETH_P_ALL))
    short_sent, short_refused = [], []
    sent, nbytes = 0, 0
    by_kind = dict((k, 0) for k in GARBAGE_KINDS)
    try:
        s.bind((iface, 0))
        probe = random.Random(seed ^ 0x5a5a).randbytes(ETH_HLEN)
        probe = frames.mac_bytes(MAC) + probe[6:]
        for n in range(1, ETH_HLEN):
            try:
                if s.send(probe[:n]) != n:
                    raise OSError("short send of a %d-byte frame" % n)
                short_sent.append(n)
            except OSError as e:
                if e.errno != errno.EINVAL:
                    raise
                short_refused.append(n)
        t0 = time.monotonic()
        for i, (kind, f) in enumerate(garbage_frames(count, seed)):
            n = s.send(f)
            if n != len(f):
                raise OSError("short send: %d of %d bytes" % (n, len(f)))
            sent += 1
            nbytes += n
            by_kind[kind] += 1
            if gap and (i + 1) % batch == 0:
                time.sleep(gap)
    finally:
        s.close()
    return {"sent": sent, "bytes": nbytes, "by_kind": by_kind,
            "short_sent": short_sent, "short_refused": short_refused,
            "seconds": round(time.monotonic() - t0, 3)}


def main(argv=None):
    ap = argparse.ArgumentParser(description="send unisr garbage frames")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("garbage", help="send garbage frames to the guest")
    sp.add_argument("--iface", default=nsmod.TAP)
    sp.add_argument("--count", type=int, default=GARBAGE)
    sp.add_argument("--seed", type=int, default=GARBAGE_SEED)
    args = ap.parse_args(argv)
    json.dump(send_garbage(args.iface, args.count, args.seed), sys.stdout)
    print()
    return 0


# ---- guest helpers -------------------------------------------------------

def boot_ip(qemu, ns, smp, queues, rss=False, cmdline=""):
    """Boot with a virtio-net on the namespace's tap, host at 10.0.2.2."""
    extra = ns.virtio_net_args(queues, rss=rss)
    if HOST_CIDR not in ns.host_addrs:
        ns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=smp, cmdline=cmdline,
                prefix=ns.prefix(), timeout=BOOT_TIMEOUT, extra=extra)


def guest_arp(con):
    """{ip: mac} from the guest's `arp`; every line must be an entry."""
    lines = con.run("arp", timeout=CMD_TIMEOUT)
    table = {}
    for line in lines:
        m = ARP_RE.match(line)
        assert m, "arp: malformed line %r in %s" % (line, lines)
        assert m.group(1) not in table, "arp: %s twice: %s" % (m.group(1),
                                                               lines)
        table[m.group(1)] = m.group(2)
    return table


def ws_sums(ws, name, col):
    """Sum of workstream column `col` over the rows of protocol `name`."""
    return sum(int(w[col]) for w in ws if w[2] == name)


WS_QDROPS, WS_HANDLED = 7, 9


def ping_ok(ns, count=PINGS):
    """Ping the guest `count` times from the namespace; all must answer."""
    p = ns.ping(GUEST_IP, count, PING_INTERVAL, PING_WAIT,
                timeout=PING_TIMEOUT)
    assert p.summary, "no ping summary: %r" % p
    assert (p.transmitted, p.received) == (count, count), (
        "%d transmitted, %d received, want %d/%d: %r"
        % (p.transmitted, p.received, count, count, p))
    assert (p.duplicates, p.corrupted, p.errors) == (0, 0, 0), repr(p)
    assert p.rc == 0, repr(p)
    return p


def check_alive(con):
    assert not con.panics and "PANIC" not in con.text, (
        "PANIC on the console:\n%s" % con.tail())
    assert len(con.banners) == 1, "guest rebooted:\n%s" % con.tail()
    assert con.alive(), "QEMU exited (status %s)" % con.status


# ---- 0: the test's own tools (no QEMU, no tap) ---------------------------

def test_garbage_plan():
    plan = garbage_frames()
    assert len(plan) == GARBAGE
    assert plan == garbage_frames()                 # reproducible
    assert plan != garbage_frames(seed=GARBAGE_SEED + 1)
    kinds = [k for k, _ in plan]
    assert all(kinds.count(k) == GARBAGE // len(GARBAGE_KINDS)
               for k in GARBAGE_KINDS), kinds
    dst = frames.mac_bytes(MAC)
    for kind, f in plan:
        assert ETH_HLEN <= len(f) <= MAX_FRAME, (kind, len(f))
        assert f[:6] == dst, kind
    lengths = [len(f) for _, f in plan]
    assert len(set(lengths)) > 500, "lengths barely vary"
    assert min(lengths) < 100 and max(lengths) > 1400, (min(lengths),
                                                        max(lengths))
    # No IPv4 header or ARP sender inside the guest's subnet.
    for kind, f in plan:
        if kind == "ipv4-header" and len(f) >= 30:
            assert ipaddress.IPv4Address(f[26:30]) not in SUBNET
            if len(f) >= 34 and f[14] & 0xf == 5:
                assert frames.inet_checksum(f[14:34]) == 0
        if kind == "arp" and len(f) >= 32:
            assert ipaddress.IPv4Address(f[28:32]) not in SUBNET


def test_ping_summary_parser():
    p = nsmod.Ping(["ping"], 1, "--- 10.0.2.15 ping statistics ---\n"
                   "20 packets transmitted, 18 received, +2 duplicates, "
                   "+1 errors, 10% packet loss, time 950ms\n")
    assert (p.summary, p.transmitted, p.received, p.duplicates, p.errors,
            p.loss) == (True, 20, 18, 2, 1, 10.0)
    p = nsmod.Ping(["ping"], 0, "20 packets transmitted, 20 received, "
                   "0% packet loss, time 961ms\n")
    assert (p.transmitted, p.received, p.duplicates, p.corrupted,
            p.errors, p.loss) == (20, 20, 0, 0, 0, 0.0)
    assert not nsmod.Ping(["ping"], 2, "connect: Network is unreachable\n"
                          ).summary


# ---- 1: ping, ARP, netisr counters ---------------------------------------

@pytest.mark.requires_tap
@pytest.mark.parametrize("smp,queues,rss,cmdline", [
    (1, 1, False, ""),
    (2, 2, False, CMDLINE),
    (4, 4, True, ""),
], ids=["smp1-q1-defaults", "smp2-q2-cmdline", "smp4-q4-rss-defaults"])
def test_ping(qemu, netns, smp, queues, rss, cmdline):
    con = boot_ip(qemu, netns, smp, queues, rss=rss, cmdline=cmdline)
    assert con.boot.ready == [READY_FMT % (smp, queues)], con.boot.ready
    host_mac = netns.host_mac()
    assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", host_mac), host_mac

    _, protos0, ws0 = netstat_q(con)
    assert sorted(p[0] for p in protos0) == PROTOCOLS, protos0
    guest_arp(con)                                  # well-formed, any size

    ping_ok(netns)

    _, protos, ws = netstat_q(con)
    assert sorted(p[0] for p in protos) == PROTOCOLS, protos
    assert len(ws) == smp * len(PROTOCOLS), ws
    assert sorted({(w[0], w[1]) for w in ws}) == sorted(
        (str(c), str(c)) for c in range(smp)), ws
    for name in ("ip", "ether"):
        grew = ws_sums(ws, name, WS_HANDLED) - ws_sums(ws0, name, WS_HANDLED)
        assert grew >= PINGS, (
            "%s Handled grew by %d over %d pings: %s" % (name, grew, PINGS,
                                                         ws))
        assert ws_sums(ws, name, WS_QDROPS) == 0, (
            "%s QDrops not 0: %s" % (name, ws))

    neigh = netns.neigh(GUEST_IP)
    assert neigh is not None and neigh[0] == MAC, (
        "namespace neighbour entry for %s: %s" % (GUEST_IP, neigh))

    table = guest_arp(con)
    assert table.get(GATEWAY) == host_mac, (
        "guest arp: want %s at %s, have %s" % (GATEWAY, host_mac, table))
    check_alive(con)


@pytest.mark.requires_tap
@pytest.mark.parametrize("cmdline", ["", CMDLINE], ids=["defaults",
                                                          "cmdline"])
def test_ifconfig(qemu, netns, cmdline):
    con = boot_ip(qemu, netns, 2, 2, cmdline=cmdline)
    assert con.boot.ready == [READY_FMT % (2, 2)], con.boot.ready
    # The link-local address is tentative until lwIP's DAD is done.
    deadline = time.monotonic() + DAD_TIMEOUT
    while True:
        out = con.run("ifconfig", timeout=CMD_TIMEOUT)
        assert len(out) == 3 and out[0] == IFCONFIG_LINE, out
        if out[1] == IFCONFIG_INET6_LL:
            break
        assert out[1] == IFCONFIG_INET6_LL.replace("preferred",
                                                   "tentative"), out
        assert time.monotonic() < deadline, out
        time.sleep(0.5)
    assert IFCONFIG_FLAGS_RE.match(out[2]), out
    ping_ok(netns)
    assert con.run("ifconfig", timeout=CMD_TIMEOUT) == out
    check_alive(con)


# ---- 2: garbage frames ---------------------------------------------------

def total_ipkts(con):
    """The `vtnet0 total` row's Ipkts in `netstat -i` (the column the
    header names Ipkts; other lines are ignored)."""
    lines = con.run("netstat -i", timeout=CMD_TIMEOUT)
    head = [ln.split() for ln in lines if ln.startswith("Name")]
    total = [ln.split() for ln in lines if ln.split()[:2] == ["vtnet0",
                                                               "total"]]
    assert len(head) == 1 and len(total) == 1 and "Ipkts" in head[0], (
        "netstat -i: want one header and one total row: %s" % lines)
    col = head[0].index("Ipkts")
    assert total[0][col].isdigit(), lines
    return int(total[0][col])


def wait_ipkts_at_least(con, before, want, timeout=SETTLE_TIMEOUT):
    """Poll netstat -i until total Ipkts grew by at least `want`."""
    deadline = time.monotonic() + timeout
    while True:
        got = total_ipkts(con) - before
        if got >= want:
            return got
        assert time.monotonic() < deadline, (
            "Ipkts grew by %d of at least %d in %.0f s"
            % (got, want, timeout))
        time.sleep(0.5)


@pytest.mark.requires_tap
def test_garbage_frames(qemu, netns):
    con = boot_ip(qemu, netns, 2, 2)
    assert con.boot.ready == [READY_FMT % (2, 2)], con.boot.ready
    ping_ok(netns)                  # the path works before the garbage

    before = total_ipkts(con)
    tap0 = netns.stats()
    p = netns.run([sys.executable, str(Path(__file__).resolve()), "garbage",
                   "--iface", netns.tap, "--count", str(GARBAGE),
                   "--seed", str(GARBAGE_SEED)], timeout=SEND_TIMEOUT)
    res = json.loads(p.stdout)
    assert res["sent"] == GARBAGE, res
    assert res["by_kind"] == dict(
        (k, GARBAGE // len(GARBAGE_KINDS)) for k in GARBAGE_KINDS), res
    assert sorted(res["short_sent"] + res["short_refused"]) == list(
        range(1, ETH_HLEN)), res
    delivered = GARBAGE + len(res["short_sent"])

    wait_ipkts_at_least(con, before, delivered)
    tap = netns.stats()
    assert tap["tx_dropped"] == tap0["tx_dropped"], (tap0, tap)
    assert tap["tx_packets"] - tap0["tx_packets"] >= delivered, (tap0, tap)
    check_alive(con)

    ping_ok(netns)
    check_alive(con)


if __name__ == "__main__":
    sys.exit(main())
