# SPDX-License-Identifier: BSD-2-Clause
"""What the guest exposes on the network: exactly the documented services.

One boot: pc, 128M, -smp 2, two queue pairs with RSS on the tap of a
fresh namespace (host 10.0.2.2/24, guest 10.0.2.15).  Debian's nmap runs
inside the namespace (`ip netns exec`), so the scan never leaves it.
Proves:

- a TCP SYN scan of every port (`nmap -sS -p-`) finds tcp 7 (echo),
  9 (discard), 5001 (iperf2) and 5201 (iperf3) open and nothing else
  open: the other 65,531 ports all answer closed (a reset), none is
  filtered.  So the shell is reachable only on the serial port: no TCP
  port offers it;
- a UDP scan of nmap's 100 most common UDP ports (`-sU --top-ports 100`,
  which includes 7 and 9) finds udp 7 open (nmap's echo probe, "\\r\\n\\r\\n",
  comes back) and every other port closed (an ICMP port unreachable),
  none open|filtered;
- the guest still answers 3 of 3 pings afterwards, without a PANIC.
- test_exposure_ip6: the same two scans over IPv6 (nmap -6; the guest
  booted with ip6=fd00:1::15/64, the host at fd00:1::2/64, IPv6 on in the
  namespace) find tcp 7, 9 and 5201 open and udp 7 open, every other
  port closed.  iperf2's 5001 is closed over IPv6: lwipg_iperf2.c binds
  IPv4's any address, as lwiperf did, so iperf2 is IPv4 only (the echo,
  discard and iperf3 listeners bind IP_ANY_TYPE).  Its UDP 5001 and
  iperf3's UDP 5201 are not among nmap's 100 UDP ports.

Also checks its nmap -oX parser on a fixed sample, without QEMU.
"""

import time
import xml.etree.ElementTree as ET

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
SMP = 2
QUEUES = 2
TCP_OPEN = {7, 9, 5001, 5201}
TCP6_OPEN = {7, 9, 5201}        # iperf2 (lwipg_iperf2.c) is IPv4 only
UDP_OPEN = {7}
GUEST_IP6 = "fd00:1::15"
HOST_IP6_CIDR = "fd00:1::2/64"
DAD_TIMEOUT = 20.0
DAD_POLL = 0.5
TCP_PORTS = 65535
UDP_TOP = 100
SCAN_TIMEOUT = 300
NMAP = ["nmap", "-n", "-Pn", "-T4", "--max-retries", "3",
        "--host-timeout", "240s", "-oX", "-"]


def expand(services):
    """nmap's scaninfo services ("7,9,67-69") -> set of ports."""
    out = set()
    for part in services.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def parse_nmap_xml(text):
    """nmap -oX output for one host -> {"scanned": {proto: set},
    "ports": {(proto, port): state}, "extra": {state: count}}.
    Raises ValueError unless exactly one host is up."""
    root = ET.fromstring(text)
    scanned = {si.get("protocol"): expand(si.get("services"))
               for si in root.findall("scaninfo")}
    hosts = root.findall("host")
    if len(hosts) != 1 or hosts[0].find("status").get("state") != "up":
        raise ValueError("want one host up: %s" % text[-800:])
    ports = {}
    extra = {}
    pe = hosts[0].find("ports")
    for p in pe.findall("port"):
        ports[(p.get("protocol"), int(p.get("portid")))] = \
            p.find("state").get("state")
    for ep in pe.findall("extraports"):
        extra[ep.get("state")] = extra.get(ep.get("state"), 0) + \
            int(ep.get("count"))
    return {"scanned": scanned, "ports": ports, "extra": extra}


def states(res, proto):
    """{state: count} over every scanned port of proto."""
    out = dict(res["extra"])
    for (pr, _), st in res["ports"].items():
        if pr == proto:
            out[st] = out.get(st, 0) + 1
    return out


SAMPLE = """<?xml version="1.0"?>
<nmaprun scanner="nmap">
<scaninfo type="syn" protocol="tcp" numservices="6" services="5-9,22"/>
<host><status state="up" reason="arp-response"/>
<ports><extraports state="closed" count="4"/>
<port protocol="tcp" portid="7"><state state="open" reason="syn-ack"/></port>
<port protocol="tcp" portid="9"><state state="open" reason="syn-ack"/></port>
</ports></host></nmaprun>"""


def test_parse_nmap_xml():
    res = parse_nmap_xml(SAMPLE)
    assert res["scanned"] == {"tcp": {5, 6, 7, 8, 9, 22}}
    assert res["ports"] == {("tcp", 7): "open", ("tcp", 9): "open"}
    assert states(res, "tcp") == {"closed": 4, "open": 2}
    with pytest.raises(ValueError):
        parse_nmap_xml(SAMPLE.replace('"up"', '"down"'))


def scan(netns, args, target=GUEST_IP):
    rc, out, err = netns.call(NMAP + args + [target], timeout=SCAN_TIMEOUT)
    assert rc == 0, (out[-800:], err)
    return parse_nmap_xml(out)


def check_scans(netns, tcp_want, target=GUEST_IP, extra=()):
    """The TCP scan of every port and the UDP top-100 scan; every port
    not in the wanted open set must be closed."""
    tcp = scan(netns, list(extra) + ["-sS", "-p-"], target)
    assert tcp["scanned"]["tcp"] == set(range(1, TCP_PORTS + 1))
    tcp_open = {port for (pr, port), st in tcp["ports"].items()
                if pr == "tcp" and st == "open"}
    print("%s tcp: %s, open %s" % (target, states(tcp, "tcp"),
                                   sorted(tcp_open)))
    assert tcp_open == tcp_want, tcp["ports"]
    assert states(tcp, "tcp") == {"open": len(tcp_want),
                                  "closed": TCP_PORTS - len(tcp_want)}, tcp

    udp = scan(netns, list(extra) + ["-sU", "--top-ports", str(UDP_TOP)],
               target)
    assert len(udp["scanned"]["udp"]) == UDP_TOP, udp["scanned"]
    assert {7, 9} <= udp["scanned"]["udp"], udp["scanned"]
    udp_open = {port for (pr, port), st in udp["ports"].items()
                if pr == "udp" and st == "open"}
    print("%s udp: %s, open %s" % (target, states(udp, "udp"),
                                   sorted(udp_open)))
    assert udp_open == UDP_OPEN, udp["ports"]
    assert states(udp, "udp") == {"open": len(UDP_OPEN),
                                  "closed": UDP_TOP - len(UDP_OPEN)}, udp


@pytest.mark.requires_tap
def test_exposure(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=SMP, prefix=netns.prefix(),
               extra=netns.virtio_net_args(QUEUES, rss=True))
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    check_scans(netns, TCP_OPEN)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    assert not con.panics and con.alive()


@pytest.mark.requires_tap
def test_exposure_ip6(qemu, netns6):
    netns6.add_host_addr(HOST_CIDR)
    netns6.add_host_addr6(HOST_IP6_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=SMP, prefix=netns6.prefix(),
               cmdline="ip6=%s/64" % GUEST_IP6,
               extra=netns6.virtio_net_args(QUEUES, rss=True))
    netns6.wait_ipv6_ready()
    want = "vtnet0: inet6 %s/64 preferred" % GUEST_IP6
    deadline = time.monotonic() + DAD_TIMEOUT
    while want not in con.run("ifconfig"):
        assert time.monotonic() < deadline, "guest address not preferred"
        time.sleep(DAD_POLL)
    p = netns6.ping6(GUEST_IP6, 3)
    assert p.received == 3, p
    check_scans(netns6, TCP6_OPEN, GUEST_IP6, ["-6"])
    p = netns6.ping6(GUEST_IP6, 3)
    assert p.received == 3, p
    assert not con.panics and con.alive()
