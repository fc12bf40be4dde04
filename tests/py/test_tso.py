# SPDX-License-Identifier: BSD-2-Clause
"""Transmit segmentation offload (net/lwip-glue/lwipg_tso.c, the driver's
HOST_TSO4/6): consecutive TCP segments of one flow leave as one GSO frame
that the host cuts back into the same segments.  The guest runs at -smp 2
with two RSS queues, in a network namespace the test creates.

Proves, with the offloads on (the default):
- the feature line has HOST_TSO4 and HOST_TSO6;
- 4 TCP connections each send 8 MiB of random bytes to the echo port and
  get back exactly those bytes (SHA-256), IPv4; the glue's `lwip: tso
  frames` and the driver's `vtnet0: tx tso` moved, every GSO frame the
  glue built reached the device (frames equal), the segments the driver
  says they make are the lwIP segments the glue put in them, and none
  was refused;
- `iperf3 -R -P 4` (the guest sends on 4 streams) exits 0, its JSON's
  sum_sent (what the guest reports) is the guest's tx-bytes and the
  client received data; TSO frames moved again;
and over IPv6 (ip6=fd00:1::15/64, test_tso_ip6): the same echo check
with GSO_TCPV6 frames, counted the same way.  With
`virtio_net.offload=0`: no HOST_TSO in the feature line, the same echo
check passes, and no TSO frame is counted.
"""

import hashlib
import json
import os
import re
import socket
import sys
import threading
import time

import pytest

GUEST_IP = "10.0.2.15"
GUEST_IP6 = "fd00:1::15"
HOST_IP6_CIDR = "fd00:1::2/64"
DAD_TIMEOUT = 10.0
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
CONNS = 4
BYTES = 8 * 1024 * 1024
CHUNK = 65536
CLIENT_TIMEOUT = 120
IPERF_SECONDS = 2

FEATURES_RE = re.compile(r"^vtnet0: features(?: (.*))?$")
GLUE_TSO_RE = re.compile(r"^lwip: tso frames (\d+) segments (\d+) single "
                         r"(\d+) no-batch (\d+)$", re.M)
DRV_TSO_RE = re.compile(r"^vtnet0: tx tso (\d+) segments (\d+) refused "
                        r"(\d+)$", re.M)
I3_BYTES_RE = re.compile(r"^iperf3: rx-bytes (\d+) tx-bytes (\d+)$", re.M)


def _one(i, results, addr):
    data = os.urandom(BYTES)
    s = socket.create_connection((addr, 7), timeout=60)
    got = hashlib.sha256()
    n = 0

    def reader():
        nonlocal n
        while n < BYTES:
            c = s.recv(CHUNK)
            if not c:
                break
            got.update(c)
            n += len(c)

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(CLIENT_TIMEOUT)
    s.close()
    results[i] = n == BYTES and got.digest() == hashlib.sha256(data).digest()


def client_main(addr):
    results = [False] * CONNS
    threads = [threading.Thread(target=_one, args=(i, results, addr))
               for i in range(CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CLIENT_TIMEOUT)
    print("tso-echo: %d of %d identical" % (sum(results), CONNS))
    return 0 if all(results) else 1


def boot(qemu, netns, cmdline=""):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=2, prefix=netns.prefix(),
                cmdline=cmdline, extra=netns.virtio_net_args(2, rss=True))


def features(con):
    m = [FEATURES_RE.match(ln) for ln in con.lines()]
    m = [x for x in m if x]
    assert len(m) == 1, con.lines
    return (m[0].group(1) or "").split()


def tso_counters(con):
    """(glue frames, glue segments, driver frames, driver segments,
    driver refused)."""
    glue = GLUE_TSO_RE.search("\n".join(con.run("netstat -s")))
    drv = DRV_TSO_RE.search("\n".join(con.run("netstat -i")))
    assert glue and drv, "no tso lines"
    return (int(glue.group(1)), int(glue.group(2)), int(drv.group(1)),
            int(drv.group(2)), int(drv.group(3)))


def echo(netns, addr=GUEST_IP):
    rc, out, err = netns.call([sys.executable, os.path.abspath(__file__),
                               "client", addr], timeout=CLIENT_TIMEOUT + 60)
    assert rc == 0 and "tso-echo: %d of %d identical" % (CONNS, CONNS) in out, (
        out, err)


@pytest.mark.requires_tap
def test_tso(qemu, netns, record_property):
    con = boot(qemu, netns)
    feats = features(con)
    assert "HOST_TSO4" in feats and "HOST_TSO6" in feats, feats
    t0 = tso_counters(con)
    echo(netns)
    t1 = tso_counters(con)
    d = [b - a for a, b in zip(t0, t1)]
    print("tso after echo: glue frames %d segments %d, driver frames %d "
          "segments %d refused %d" % tuple(d))
    record_property("echo", d)
    assert d[0] > 0, d
    assert d[0] == d[2] and d[1] == d[3] and d[4] == 0, d
    rc, out, err = netns.call(["iperf3", "-c", GUEST_IP, "-R", "-P", "4",
                               "-t", str(IPERF_SECONDS), "-J"],
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out[-2000:], err)
    end = json.loads(out)["end"]
    m = I3_BYTES_RE.search("\n".join(con.run("iperf3")))
    assert m, "no iperf3 counters"
    assert end["sum_sent"]["bytes"] == int(m.group(2)), (end["sum_sent"],
                                                          m.group(0))
    assert 0 < end["sum_received"]["bytes"] <= end["sum_sent"]["bytes"], end
    t2 = tso_counters(con)
    d = [b - a for a, b in zip(t1, t2)]
    print("tso after iperf3 -R -P 4: %s, %.0f Mbit/s" % (
        d, end["sum_received"]["bits_per_second"] / 1e6))
    record_property("iperf3_R_P4", d)
    assert d[0] > 0 and d[0] == d[2] and d[1] == d[3] and d[4] == 0, d
    assert con.alive()


@pytest.mark.requires_tap
def test_tso_ip6(qemu, netns6, record_property):
    netns6.add_host_addr(HOST_CIDR)
    netns6.add_host_addr6(HOST_IP6_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=2, prefix=netns6.prefix(),
               cmdline="ip6=%s/64" % GUEST_IP6,
               extra=netns6.virtio_net_args(2, rss=True))
    netns6.wait_ipv6_ready()
    want = "vtnet0: inet6 %s/64 preferred" % GUEST_IP6
    deadline = time.monotonic() + DAD_TIMEOUT
    while want not in con.run("ifconfig"):
        assert time.monotonic() < deadline, "guest address not preferred"
        time.sleep(0.5)
    t0 = tso_counters(con)
    echo(netns6, GUEST_IP6)
    d = [b - a for a, b in zip(t0, tso_counters(con))]
    print("tso ip6 after echo: %s" % d)
    record_property("echo6", d)
    assert d[0] > 0 and d[0] == d[2] and d[1] == d[3] and d[4] == 0, d
    assert con.alive()


@pytest.mark.requires_tap
def test_tso_off(qemu, netns):
    con = boot(qemu, netns, cmdline="virtio_net.offload=0")
    feats = features(con)
    assert "HOST_TSO4" not in feats and "HOST_TSO6" not in feats, feats
    assert "CSUM" in feats, feats
    echo(netns)
    assert tso_counters(con) == (0, 0, 0, 0, 0)
    assert con.alive()


if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    sys.exit(client_main(sys.argv[2]))
