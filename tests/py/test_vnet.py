# SPDX-License-Identifier: BSD-2-Clause
"""The `vnet` shell command over netisr's per-vnet switches (issue 12).

Proves, on one boot at -smp 2 with two queue pairs in a namespace:
- `vnet` lists exactly vnet 0 with vtnet0 and its protocols ip, arp and
  ip6 on, and no drops;
- `vnet 0 stop` switches all three off (netisr_unregister_vnet in the
  kernel): 10 pings get no reply, `vnet` shows them off and at least 10
  packets dropped at netisr's door for vnet 0; TCP to the echo port gets
  no answer either;
- `vnet 0 start` switches them on: 10 of 10 pings answered, UDP and TCP
  echo work, and the drop count has not moved since the pings stopped;
- netisr's identity holds on every workstream (`netstat -Q`: Disp'd +
  HDisp'd + Queued = Handled + Len + Purged), the stack's pools are back
  at their idle baseline (`netstat -s`) and nothing panicked;
- bad arguments: `vnet 1 stop` (no such vnet), `vnet x stop`, `vnet 0`,
  a nested `vnet 0 vnet ..`, and `vnet 0 halt` (runs the unknown command
  halt in vnet 0) are refused with their messages and change nothing.
"""

import re
import sys

import pytest

import test_echo
import test_netisr
import test_stats

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
PINGS = 10
VNET_RE = re.compile(r"^vnet (\d+): interfaces (\S+) protocols((?: \w+=(?:on|off))+)"
                     r" drops (\d+) purged (\d+)$")


def vnets(con):
    out = {}
    for ln in con.run("vnet"):
        m = VNET_RE.match(ln)
        assert m, "unexpected vnet line %r" % ln
        protos = dict(p.split("=") for p in m.group(3).split())
        out[int(m.group(1))] = {"ifs": m.group(2), "protos": protos,
                                "drops": int(m.group(4)),
                                "purged": int(m.group(5))}
    return out


# Run inside the namespace: prints True if TCP echo answers one byte.
TCP_PROBE = """
import socket
s = socket.socket()
s.settimeout(3.0)
try:
    s.connect((%r, %d))
    s.sendall(b"x")
    print(s.recv(1) == b"x")
except OSError:
    print(False)
"""


@pytest.mark.requires_tap
def test_vnet_stop_start(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem="128M", smp=2, prefix=netns.prefix(),
               extra=netns.virtio_net_args(2, rss=True))
    v = vnets(con)
    assert v == {0: {"ifs": "vtnet0", "drops": 0, "purged": 0,
                     "protos": {"ip": "on", "arp": "on", "ip6": "on"}}}, v
    base = test_stats.parse_netstat(con.run("netstat -s"))
    assert netns.ping(GUEST_IP, PINGS, interval=0.05).received == PINGS

    assert con.run("vnet 0 stop") == ["vnet 0: stopped ip arp ip6"]
    v = vnets(con)[0]
    assert v["protos"] == {"ip": "off", "arp": "off", "ip6": "off"}, v
    p = netns.ping(GUEST_IP, PINGS, interval=0.05, wait=1)
    assert p.received == 0, p
    rc, out, _ = netns.call([sys.executable, "-c", TCP_PROBE % (
        GUEST_IP, test_echo.ECHO_PORT)], timeout=30)
    assert out.strip() == "False", (rc, out)
    stopped = vnets(con)[0]
    assert stopped["drops"] >= PINGS, stopped

    assert con.run("vnet 0 start") == ["vnet 0: started ip arp ip6"]
    v = vnets(con)[0]
    assert v["protos"] == {"ip": "on", "arp": "on", "ip6": "on"}, v
    assert netns.ping(GUEST_IP, PINGS, interval=0.05).received == PINGS
    res = test_echo.run_client(netns, "udp", test_echo.ECHO_PORT)
    assert res["identical"] == test_echo.UDP_COUNT, res
    res = test_echo.run_client(netns, "tcp-echo", test_echo.ECHO_PORT)
    assert res["received"] == test_echo.TCP_TOTAL and res["identical"], res
    assert vnets(con)[0]["drops"] == stopped["drops"]

    assert con.run("vnet 1 stop") == [
        "vnet: no vnet 1 (vnets with interfaces, and 0)"]
    usage = "usage: vnet [<id> stop|start|<command> [<arg>...]]"
    assert con.run("vnet x stop") == [usage]
    assert con.run("vnet 0") == [usage]
    assert con.run("vnet 0 vnet 0 arp") == [usage]
    # Anything else after the id is a command run in that vnet.
    assert con.run("vnet 0 halt") == ["unknown command 'halt' (try help)"]
    assert vnets(con)[0]["protos"] == {"ip": "on", "arp": "on",
                                       "ip6": "on"}
    _, _, ws = test_netisr.netstat_q(con)
    for w in ws:            # Disp'd + HDisp'd + Queued = Handled + Len + Purged
        n = [int(x) for x in w[3:]]
        assert n[2] + n[3] + n[5] == n[6] + n[0] + n[7], w
    end = test_stats.parse_netstat(con.run("netstat -s"))
    for pool in ("tcp_pcb", "udp_pcb", "pbuf_pool", "pbuf", "tcp_seg"):
        assert end["memp"][pool]["used"] == base["memp"][pool]["used"], (
            pool, base["memp"][pool], end["memp"][pool])
    assert end["assertions"] == 0
    test_echo.check_alive(con)
