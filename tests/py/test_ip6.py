# SPDX-License-Identifier: BSD-2-Clause
"""IPv6 addresses (ip6=), `ifconfig`'s IPv6 and flags lines, and ARP from
outside.  Every boot is -smp 2 with 2 queues on a tap inside a namespace
the test creates (IPv6 enabled there); nothing leaves it.

Proves:
- static address: booted with `ip6=FD00:0001::0015/64` (a non-canonical
  spelling of fd00:1::15/64) and the default IPv4 10.0.2.15/24, with the
  host at fd00:1::2/64 and 10.0.2.2/24 on the tap: `ifconfig` prints
  exactly the IPv4 line, `vtnet0: inet6 fe80::5054:ff:fe12:3456/64
  preferred`, `vtnet0: inet6 fd00:1::15/64 preferred` (both leave DAD's
  tentative state within 20 s) and a flags line naming exactly UP,
  BROADCAST, LINK_UP, ETHARP, ETHERNET, MLD6 and well-formed checksum
  lists; `ping -6 -c 20 -i 0.05` to fd00:1::15 gets 20 of 20 (the guest
  answers a host in its /64 directly: lwIP takes the /64 of a static
  address as on-link) and so does the link-local address through %tap0;
  the namespace's neighbour table then maps fd00:1::15 to the guest's
  MAC; `cmdline` shows the raw spelling and `ip6=fd00:1::15/64 (set)`.
- ARP from outside: `arping -c 5 -w 10 -I tap0 10.0.2.15` (iputils) gets
  exactly 5 replies, all from 52:54:00:12:34:56, and the namespace's
  neighbour table, flushed just before, then maps 10.0.2.15 to that MAC
  (tap0 has arp_accept=1: Linux otherwise ignores ARP replies it did not
  ask for itself, and arping asks from a packet socket).
- DAD: when the host already has fd00:1::15 on the tap, the guest's
  address becomes `vtnet0: inet6 fd00:1::15/64 duplicate` (and stays so;
  the link-local one is preferred).
- a bad value: `ip6=fd00::1/200` boots with exactly the warning
  `cmdline: ignoring ip6=fd00::1/200 (bad value)`, `cmdline` shows
  `ip6=auto`, and the guest has exactly its link-local address, which
  answers 20 of 20 pings.
- the link-local address alone (default command line) answers ping -6.
"""

import re
import time

import pytest


MEM = "128M"
SMP = 2
QUEUES = 2
BOOT_TIMEOUT = 60.0
CMD_TIMEOUT = 10.0
DAD_TIMEOUT = 20.0      # lwIP: one NS after link-up, preferred 1-2 s later
PING_TIMEOUT = 60.0
ARPING_TIMEOUT = 30

MAC = "52:54:00:12:34:56"
GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
GUEST_LL = "fe80::5054:ff:fe12:3456"      # EUI-64 of 52:54:00:12:34:56
GUEST_IP6 = "fd00:1::15"
GUEST_IP6_GIVEN = "FD00:0001::0015/64"    # what the command line says
HOST_IP6_CIDR = "fd00:1::2/64"

PINGS = 20
PING_INTERVAL = 0.05
PING_WAIT = 2
ARPINGS = 5

IFCONFIG_INET = ("vtnet0: inet 10.0.2.15/24 gw 10.0.2.2 mtu 1500 mac %s up"
                 % MAC)
INET6_LL = "vtnet0: inet6 %s/64 preferred" % GUEST_LL
INET6_STATIC = "vtnet0: inet6 %s/64 preferred" % GUEST_IP6
FLAGS = "UP,BROADCAST,LINK_UP,ETHARP,ETHERNET,MLD6"
FLAGS_RE = re.compile(r"^vtnet0: flags (\S+) checksum gen (\S+) check (\S+)$")
CSUM_NAMES = ["ip", "udp", "tcp", "icmp", "icmp6"]
ARPING_RECEIVED_RE = re.compile(r"^Received (\d+) response\(s\)", re.M)
ARPING_REPLY_RE = re.compile(
    r"^Unicast reply from (\S+) \[([0-9A-Fa-f:]+)\]", re.M)


def boot(qemu, ns, cmdline=""):
    if HOST_CIDR not in ns.host_addrs:
        ns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=SMP, cmdline=cmdline,
                prefix=ns.prefix(), timeout=BOOT_TIMEOUT,
                extra=ns.virtio_net_args(QUEUES))


def check_csum_list(text):
    """A checksum list: "none", or names from CSUM_NAMES in that order."""
    if text == "none":
        return True
    names = text.split(",")
    return (len(set(names)) == len(names) and
            all(n in CSUM_NAMES for n in names) and
            names == sorted(names, key=CSUM_NAMES.index))


def check_flags_line(line):
    m = FLAGS_RE.match(line)
    assert m, "not a flags line: %r" % line
    assert m.group(1) == FLAGS, line
    assert check_csum_list(m.group(2)) and check_csum_list(m.group(3)), line


def wait_ifconfig(con, want_inet6, timeout=DAD_TIMEOUT):
    """Poll `ifconfig` until its inet6 lines are exactly want_inet6 (DAD
    takes a second or two after link-up); return the last output."""
    deadline = time.monotonic() + timeout
    while True:
        out = con.run("ifconfig", timeout=CMD_TIMEOUT)
        inet6 = [ln for ln in out if ln.startswith("vtnet0: inet6 ")]
        if inet6 == want_inet6:
            return out
        assert time.monotonic() < deadline, (
            "ifconfig after %.0f s: %s, want inet6 lines %s"
            % (timeout, out, want_inet6))
        time.sleep(0.5)


def ping6_all(ns, addr, count=PINGS):
    p = ns.ping6(addr, count, PING_INTERVAL, PING_WAIT, timeout=PING_TIMEOUT)
    assert p.summary, "no ping summary: %r" % p
    assert (p.transmitted, p.received) == (count, count), repr(p)
    assert (p.duplicates, p.corrupted, p.errors) == (0, 0, 0), repr(p)
    assert p.rc == 0, repr(p)
    return p


def check_alive(con):
    assert not con.panics and "PANIC" not in con.text, con.tail()
    assert len(con.banners) == 1, "guest rebooted:\n%s" % con.tail()
    assert con.alive(), "QEMU exited (status %s)" % con.status


@pytest.mark.requires_tap
def test_static_address(qemu, netns6):
    netns6.add_host_addr6(HOST_IP6_CIDR)
    line = "ip6=%s" % GUEST_IP6_GIVEN
    con = boot(qemu, netns6, cmdline=line)
    assert con.boot.ignoring == []
    out = wait_ifconfig(con, [INET6_LL, INET6_STATIC])
    assert len(out) == 4, out
    assert out[:3] == [IFCONFIG_INET, INET6_LL, INET6_STATIC], out
    check_flags_line(out[3])

    # The host's own link-local address (the ping source for %tap0) comes
    # with the carrier, i.e. once QEMU opened the tap, after its DAD.
    assert HOST_IP6_CIDR in netns6.wait_ipv6_ready()
    ping6_all(netns6, GUEST_IP6)
    n = netns6.neigh(GUEST_IP6, family=6)
    assert n is not None and n[0] == MAC, n
    ping6_all(netns6, "%s%%%s" % (GUEST_LL, netns6.tap))

    cmd = con.run("cmdline", timeout=CMD_TIMEOUT)
    assert cmd[0] == 'cmdline: raw "%s"' % line, cmd
    assert "ip6=%s/64 (set)" % GUEST_IP6 in cmd, cmd
    assert con.run("ifconfig", timeout=CMD_TIMEOUT) == out
    check_alive(con)


@pytest.mark.requires_tap
def test_static_short_prefix(qemu, netns6):
    """ip6=fd00:1::15/48: a host outside the guest's /64 but inside its
    /48 is on-link too (LWIP_HOOK_ND6_GET_GW), so its pings are answered
    with no router on the link."""
    host = "fd00:1:0:1::2"
    netns6.add_host_addr6(host + "/48")
    con = boot(qemu, netns6, cmdline="ip6=fd00:1::15/48")
    wait_ifconfig(con, [INET6_LL, "vtnet0: inet6 fd00:1::15/48 preferred"])
    assert host + "/48" in netns6.wait_ipv6_ready()
    ping6_all(netns6, "fd00:1::15")
    n = netns6.neigh("fd00:1::15", family=6)
    assert n is not None and n[0] == MAC, n
    check_alive(con)


@pytest.mark.requires_tap
def test_arping(qemu, netns6):
    con = boot(qemu, netns6)
    netns6.sysctl("net.ipv4.conf.%s.arp_accept" % netns6.tap, 1)
    netns6.run(["ip", "neigh", "flush", "dev", netns6.tap])
    assert netns6.neigh(GUEST_IP) is None
    rc, out, err = netns6.call(["arping", "-c", str(ARPINGS), "-w", "10",
                                "-I", netns6.tap, GUEST_IP],
                               timeout=ARPING_TIMEOUT)
    m = ARPING_RECEIVED_RE.search(out)
    assert rc == 0 and m, (rc, out, err)
    assert int(m.group(1)) == ARPINGS, out
    replies = ARPING_REPLY_RE.findall(out)
    assert replies == [(GUEST_IP, MAC.upper())] * ARPINGS, out
    n = netns6.neigh(GUEST_IP)
    assert n is not None and n[0] == MAC, n
    check_alive(con)


@pytest.mark.requires_tap
def test_duplicate(qemu, netns6):
    # The host already owns the address: it answers the guest's DAD probe.
    netns6.add_host_addr6("%s/64" % GUEST_IP6)
    con = boot(qemu, netns6, cmdline="ip6=%s/64" % GUEST_IP6)
    out = wait_ifconfig(con, [INET6_LL, INET6_STATIC.replace("preferred",
                                                             "duplicate")])
    assert out[0] == IFCONFIG_INET, out
    time.sleep(3)       # three nd6_tmr ticks: nothing retries or expires it
    assert con.run("ifconfig", timeout=CMD_TIMEOUT) == out
    check_alive(con)


@pytest.mark.requires_tap
def test_bad_value(qemu, netns6):
    con = boot(qemu, netns6, cmdline="ip6=fd00::1/200")
    assert con.boot.ignoring == [
        "cmdline: ignoring ip6=fd00::1/200 (bad value)"], con.boot.ignoring
    assert "ip6=auto" in con.run("cmdline", timeout=CMD_TIMEOUT)
    out = wait_ifconfig(con, [INET6_LL])
    assert len(out) == 3 and out[:2] == [IFCONFIG_INET, INET6_LL], out
    check_flags_line(out[2])
    netns6.wait_ipv6_ready()
    ping6_all(netns6, "%s%%%s" % (GUEST_LL, netns6.tap))
    check_alive(con)


@pytest.mark.requires_tap
def test_ping6_link_local(qemu, netns6):
    con = boot(qemu, netns6)
    wait_ifconfig(con, [INET6_LL])
    netns6.wait_ipv6_ready()
    ping6_all(netns6, "%s%%%s" % (GUEST_LL, netns6.tap))
    n = netns6.neigh(GUEST_LL, family=6)
    assert n is not None and n[0] == MAC, n
    check_alive(con)


def test_own_tools():
    """The checksum-list check accepts exactly the designed forms."""
    for good in ("none", "ip", "icmp6", "ip,udp,tcp,icmp,icmp6", "udp,icmp"):
        assert check_csum_list(good), good
    for bad in ("", "tcp,udp", "ip,ip", "sctp", "none,ip", "ip,"):
        assert not check_csum_list(bad), bad

