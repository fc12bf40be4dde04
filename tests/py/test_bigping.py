# SPDX-License-Identifier: BSD-2-Clause
"""ICMP at the edges, from inside a namespace the test creates, and the
guest's own `ping` to the host: a flood of 20,000 gets 0 % loss (1,000
pings under every dispatch policy are in test_matrix.py); 1,472-, 8,000- and
65,000-byte pings work (IP reassembly in and fragmentation out); and the
pool counters show no pbuf lost to the input path (`netstat -s`).
"""

import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
FLOOD = 20000
FLOOD_TIMEOUT = 300
RECV_RE = re.compile(r"(\d+) packets transmitted, (\d+) received")
LWIP_RE = re.compile(r"^lwip: rx zero-copy (\d+) copied (\d+) no-pbuf (\d+) "
                     r"runts (\d+) unknown-ethertype (\d+) tx-busy (\d+)$")


def boot(qemu, netns, smp, cmdline=""):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="q35", mem="128M", smp=smp, cmdline=cmdline,
                prefix=netns.prefix(),
                extra=netns.virtio_net_args(smp, rss=smp > 1))


def ping(netns, *args, timeout=120):
    rc, out, err = netns.call(["ping", "-n"] + list(args) + [GUEST_IP],
                              timeout=timeout)
    m = RECV_RE.search(out)
    assert m, (rc, out, err)
    return rc, int(m.group(1)), int(m.group(2))


@pytest.mark.requires_tap
def test_ping_flood_and_sizes(qemu, netns):
    con = boot(qemu, netns, 2)
    assert ping(netns, "-f", "-c", str(FLOOD), timeout=FLOOD_TIMEOUT) == \
        (0, FLOOD, FLOOD)
    for size in (1472, 8000, 65000):
        assert ping(netns, "-c", "3", "-s", str(size), "-W", "3") == \
            (0, 3, 3), size
    out = con.run("netstat -s")
    m = LWIP_RE.match(out[0])
    assert m, out
    assert int(m.group(3)) == 0 and int(m.group(6)) == 0, out   # no-pbuf, tx-busy
    assert con.alive()


@pytest.mark.requires_tap
def test_guest_ping(qemu, netns):
    """`ping` from the guest's shell reaches the host; a silent address
    gets no reply and says so."""
    con = boot(qemu, netns, 2)
    out = con.run("ping 10.0.2.2 5", timeout=30)
    assert out[-1] == "5 packets transmitted, 5 received", out
    assert len([x for x in out if x.startswith("64 bytes from 10.0.2.2: "
                                                "icmp_seq=")]) == 5, out
    out = con.run("ping 10.0.2.99 1", timeout=30)
    assert out[-1] == "1 packets transmitted, 0 received", out
    out = con.run("ping nowhere")
    assert out[0].startswith("usage: ping"), out
