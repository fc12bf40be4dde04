# SPDX-License-Identifier: BSD-2-Clause
"""Many flows at once: 16 concurrent TCP connections each send 8 MiB of
random bytes to the guest's echo port and get back exactly what they sent
(compared by SHA-256), with RSS spreading the flows so that `netstat -Q`
shows IP work handled on more than one CPU.  All traffic stays in a
namespace the test creates.  (ICMPv6 echo to the link-local address is
in test_ip6.py.)
"""

import hashlib
import os
import socket
import sys
import threading

import pytest

from test_netisr import netstat_q

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
CONNS = 16
BYTES = 8 * 1024 * 1024
CHUNK = 65536
CLIENT_TIMEOUT = 300


def _one(i, results):
    """One connection: send BYTES random bytes, read them back, compare."""
    data = os.urandom(BYTES)
    s = socket.create_connection((GUEST_IP, 7), timeout=60)
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
    results[i] = (n == BYTES and
                  got.digest() == hashlib.sha256(data).digest(), n)


def client_main():
    results = [None] * CONNS
    threads = [threading.Thread(target=_one, args=(i, results))
               for i in range(CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CLIENT_TIMEOUT)
    ok = sum(1 for r in results if r and r[0])
    print("tcp16: %d of %d identical" % (ok, CONNS))
    print("tcp16: bytes back %s" % [r[1] if r else -1 for r in results])
    return 0 if ok == CONNS else 1


def ip_handled_per_cpu(con):
    """{cpu: packets handled} of the ip protocol in `netstat -Q`."""
    _, _, ws = netstat_q(con)
    return {int(w[1]): int(w[9]) for w in ws if w[2] == "ip"}


@pytest.mark.requires_tap
@pytest.mark.parametrize("smp", [2, 4])
def test_tcp_16_connections(qemu, netns, smp):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem="256M", smp=smp, prefix=netns.prefix(),
               extra=netns.virtio_net_args(smp, rss=True))
    rc, out, err = netns.call([sys.executable, os.path.abspath(__file__),
                               "client"], timeout=CLIENT_TIMEOUT + 60)
    assert rc == 0, (out, err)
    assert "tcp16: %d of %d identical" % (CONNS, CONNS) in out, out
    busy = [c for c, n in ip_handled_per_cpu(con).items() if n > 0]
    assert len(busy) > 1, ip_handled_per_cpu(con)
    assert con.alive()


if __name__ == "__main__" and sys.argv[1:] == ["client"]:
    sys.exit(client_main())
