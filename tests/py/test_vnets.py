# SPDX-License-Identifier: BSD-2-Clause
"""Several interfaces and vnets (issue 12): one lwIP instance per vnet,
several interfaces in one vnet, and netisr_unregister_vnet under load.

Proves:
- isolation: vtnet0 in namespace A and vtnet1 in namespace B, with
  vtnet1.vnet=1 and the SAME address 10.0.2.15/24 on both (and 10.0.2.2
  on both taps).  At the same time, each namespace pings its guest
  interface (a different count each), TCP-echoes a known stream and runs
  a 2 s iperf3; all succeed.  Then each stack's counters show exactly its
  own traffic (`netstat -s 0` / `netstat -s 1`: icmp recv = that
  namespace's pings; `iperf3` / `vnet 1 iperf3`: one completed test
  each, rx bytes equal to what that client's report says its server
  received, which is at most what it sent), the ARP tables are
  separate (each holds 10.0.2.2 at its own namespace's tap MAC, on its
  own interface), `vnet` lists vtnet0 under 0 and vtnet1 under 1, the
  `iface` line before READY names vtnet1 in vnet 1, and nothing is
  foreign or lost to a vnet without a stack.
- multi-homing: vtnet0 10.0.2.15/24 and vtnet1 10.0.3.15/24, both in
  vnet 0, their taps in one namespace (10.0.2.2 and 10.0.3.2): both
  answer ping, and the guest's own pings to 10.0.3.2 leave through
  vtnet1 (tap1 receives them, tap0 nothing) and to 10.0.2.2 through
  vtnet0.
- unregister_vnet: while namespace B floods vnet 1 with UDP (deferred
  dispatch, so packets sit in netisr's queues), `vnet 1 stop`: A's ping
  and iperf3 are unaffected, B's pings go unanswered, vnet 1's drops and
  purges grow (purged counted, netisr's identity holds on every
  workstream); `vnet 1 start` brings B back (10 of 10), and vnet 1's
  pools are back at their baseline.
"""

import re
import threading
import time

import pytest

import netns as nsmod
import test_echo
import test_iperf3
import test_netisr
import test_stats
import test_vnet

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
HOST_IP = "10.0.2.2"
GUEST_IP_B = "10.0.3.15"
HOST_CIDR_B = "10.0.3.2/24"
HOST_IP_B = "10.0.3.2"
SMP = 2
QUEUES = 2
MEM = "128M"
PINGS_A = 7
PINGS_B = 13
IPERF_SECONDS = 2
GUEST_PINGS = 5
FLOOD_FLOWS = 16
FLOOD_FRAMES = 40000
FLOOD_SEEN = 2000       # IP packets vnet 1 took before it is stopped
FLOOD_WAIT = 30.0
PINGS = 10
ISO_CMDLINE = "vtnet1.ip=10.0.2.15/24 vtnet1.gw=10.0.2.2 vtnet1.vnet=1"
IFACE_RE = re.compile(r"^iface (\S+) vnet=(\d+) queues=(\d+) ip=(\S+) "
                      r"mac=(\S+)$", re.M)
ARP_RE = re.compile(r"^(\S+) at (\S+) on (\S+)$")
IPERF_BYTES_RE = re.compile(r"iperf3: rx-bytes (\d+) tx-bytes (\d+)")


def arp_table(lines):
    out = {}
    for ln in lines:
        m = ARP_RE.match(ln)
        assert m, "unexpected arp line %r" % ln
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def iperf3_state(con, prefix=""):
    text = "\n".join(con.run(prefix + "iperf3"))
    state, counters = test_iperf3.server_state_text(text)
    m = IPERF_BYTES_RE.search(text)
    assert m, text
    return state, counters, int(m.group(1))


def boot_two(qemu, a, b, cmdline, dispatch=None):
    if dispatch:
        cmdline += " net.isr.dispatch=%s" % dispatch
    return qemu(machine="q35", mem=MEM, smp=SMP, cmdline=cmdline, rss=True,
                nics=[(a, "tap0", QUEUES), (b, "tap1", QUEUES)])


def in_parallel(*fns):
    """Runs fns at once; returns their results in order (re-raises)."""
    res = [None] * len(fns)
    errs = []

    def run(i, fn):
        try:
            res[i] = fn()
        except BaseException as e:      # noqa: B902, reported below
            errs.append(e)

    ts = [threading.Thread(target=run, args=(i, fn))
          for i, fn in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return res


def iperf3_run(ns):
    with test_iperf3.Client(ns, test_iperf3.client_argv(IPERF_SECONDS)) as c:
        return c.wait()


@pytest.mark.requires_tap
def test_isolation(qemu, netns, netns_factory):
    a, b = netns, netns_factory(tap="tap1")
    a.add_host_addr(HOST_CIDR)
    b.add_host_addr(HOST_CIDR)
    con = boot_two(qemu, a, b, ISO_CMDLINE)
    ifaces = IFACE_RE.findall(con.text)
    assert ifaces == [("vtnet1", "1", str(QUEUES), GUEST_IP + "/24",
                       nsmod.nic_mac(1))], ifaces
    v = test_vnet.vnets(con)
    assert {k: x["ifs"] for k, x in v.items()} == {0: "vtnet0",
                                                   1: "vtnet1"}, v
    ifc = con.run("ifconfig")
    assert any(ln.startswith("vtnet1: inet %s/24 " % GUEST_IP) and
               ln.endswith(" vnet 1") for ln in ifc), ifc

    pa, pb, ea, eb, ia, ib = in_parallel(
        lambda: a.ping(GUEST_IP, PINGS_A, interval=0.05),
        lambda: b.ping(GUEST_IP, PINGS_B, interval=0.05),
        lambda: test_echo.run_client(a, "tcp-echo", test_echo.ECHO_PORT),
        lambda: test_echo.run_client(b, "tcp-echo", test_echo.ECHO_PORT),
        lambda: iperf3_run(a),
        lambda: iperf3_run(b))
    assert pa.received == PINGS_A and pb.received == PINGS_B, (pa, pb)
    for e in (ea, eb):
        assert e["received"] == test_echo.TCP_TOTAL and e["identical"], e
    got = []
    for rc, out, err in (ia, ib):
        assert rc == 0, err
        got.append((test_iperf3.json_received_bytes(out),
                    test_iperf3.json_sent_bytes(out)))

    s0 = test_stats.parse_netstat(con.run("netstat -s 0"))
    s1 = test_stats.parse_netstat(con.run("netstat -s 1"))
    assert s0["proto"]["icmp"]["recv"] == PINGS_A, s0["proto"]["icmp"]
    assert s1["proto"]["icmp"]["recv"] == PINGS_B, s1["proto"]["icmp"]
    assert (s0["instance"]["vnet"], s1["instance"]["vnet"]) == (0, 1)
    for s in (s0, s1):
        assert s["instance"]["foreign"] == 0, s["instance"]
        assert s["stack"]["no-instance-drops"] == 0, s["stack"]
        assert s["assertions"] == 0
    # Each server counted its own client's bytes, not both clients'.
    for prefix, (received, sent) in (("", got[0]), ("vnet 1 ", got[1])):
        _, counters, rx = iperf3_state(con, prefix)
        assert counters["completed"] == 1 and counters["tests"] == 1, (
            prefix, counters)
        assert 0 < rx == received <= sent, (prefix, rx, received, sent)

    arp0 = arp_table(con.run("arp"))
    arp1 = arp_table(con.run("vnet 1 arp"))
    assert arp0 == {HOST_IP: (a.host_mac(), "vtnet0")}, arp0
    assert arp1 == {HOST_IP: (b.host_mac(), "vtnet1")}, arp1
    assert a.host_mac() != b.host_mac()
    test_echo.check_alive(con)


@pytest.mark.requires_tap
def test_multihoming(qemu, netns):
    a = netns
    a.add_host_addr(HOST_CIDR)
    a.add_tap("tap1")
    a.add_host_addr(HOST_CIDR_B, tap="tap1")
    # No IPv6: the tap counters below are then the pings and ARP only.
    con = qemu(machine="q35", mem=MEM, smp=SMP, rss=True,
               cmdline="ip6=off vtnet1.ip=%s/24 vtnet1.ip6=off"
               % GUEST_IP_B,
               nics=[(a, "tap0", QUEUES), (a, "tap1", QUEUES)])
    v = test_vnet.vnets(con)
    assert {k: x["ifs"] for k, x in v.items()} == {0: "vtnet0,vtnet1"}, v
    assert a.ping(GUEST_IP, PINGS, interval=0.05).received == PINGS
    assert a.ping(GUEST_IP_B, PINGS, interval=0.05).received == PINGS

    for dst, tap, other in ((HOST_IP_B, "tap1", "tap0"),
                            (HOST_IP, "tap0", "tap1")):
        before = {t: a.stats(t)["rx_packets"] for t in ("tap0", "tap1")}
        out = con.run("ping %s %d" % (dst, GUEST_PINGS), timeout=30)
        assert out[-1] == "%d packets transmitted, %d received" % (
            GUEST_PINGS, GUEST_PINGS), out
        got = {t: a.stats(t)["rx_packets"] - before[t]
               for t in ("tap0", "tap1")}
        # The requests, and an ARP request or reply at most.
        assert GUEST_PINGS <= got[tap] <= GUEST_PINGS + 1, (dst, got)
        assert got[other] == 0, (dst, got)
    arp = arp_table(con.run("arp"))
    assert arp[HOST_IP][1] == "vtnet0" and arp[HOST_IP_B][1] == "vtnet1", arp
    test_echo.check_alive(con)


@pytest.mark.requires_tap
def test_unregister_vnet_under_flood(qemu, netns, netns_factory):
    a, b = netns, netns_factory(tap="tap1")
    a.add_host_addr(HOST_CIDR)
    b.add_host_addr(HOST_CIDR)
    con = boot_two(qemu, a, b, ISO_CMDLINE, dispatch="deferred")
    assert b.ping(GUEST_IP, PINGS, interval=0.05).received == PINGS
    base = test_stats.parse_netstat(con.run("netstat -s 1"))

    flood = {}

    def run_flood():
        flood["sent"] = b.send_frames(FLOOD_FLOWS, FLOOD_FRAMES, tap="tap1",
                                      timeout=300)

    t = threading.Thread(target=run_flood)
    t.start()
    try:
        # Stop while the flood is arriving, so netisr's queues hold some.
        deadline = time.monotonic() + FLOOD_WAIT
        while (test_stats.parse_netstat(con.run("netstat -s 1"))["proto"]
               ["ip"]["recv"] < FLOOD_SEEN and time.monotonic() < deadline):
            time.sleep(0.05)
        stop = con.run("vnet 1 stop")
    finally:
        t.join()
    assert stop == ["vnet 1: stopped ip arp ip6"], stop
    assert "sent" in flood, "the flood did not run"
    flood["sent"].wait_drained()
    pa, ia, pb = in_parallel(
        lambda: a.ping(GUEST_IP, PINGS, interval=0.05),
        lambda: iperf3_run(a),
        lambda: b.ping(GUEST_IP, PINGS, interval=0.05, wait=1))
    assert pa.received == PINGS, pa
    assert ia[0] == 0, ia[2]
    assert test_iperf3.json_sent_bytes(ia[1]) > 0
    assert pb.received == 0, pb
    v = test_vnet.vnets(con)
    assert v[1]["protos"] == {"ip": "off", "arp": "off", "ip6": "off"}, v
    assert v[0]["protos"] == {"ip": "on", "arp": "on", "ip6": "on"}, v
    assert v[1]["drops"] >= PINGS, v
    assert v[0]["drops"] == 0 and v[0]["purged"] == 0, v
    _, _, ws = test_netisr.netstat_q(con)
    purged = 0
    for w in ws:            # Disp'd + HDisp'd + Queued = Handled + Len + Purged
        n = [int(x) for x in w[3:]]
        assert n[2] + n[3] + n[5] == n[6] + n[0] + n[7], w
        purged += n[7]
    assert purged == v[1]["purged"], (purged, v)

    assert con.run("vnet 1 start") == ["vnet 1: started ip arp ip6"]
    assert b.ping(GUEST_IP, PINGS, interval=0.05).received == PINGS
    end = test_stats.parse_netstat(con.run("netstat -s 1"))
    for pool in ("tcp_pcb", "udp_pcb", "pbuf_pool", "pbuf", "tcp_seg"):
        assert end["memp"][pool]["used"] == base["memp"][pool]["used"], (
            pool, base["memp"][pool], end["memp"][pool])
    assert end["assertions"] == 0 and end["instance"]["foreign"] == 0
    test_echo.check_alive(con)
