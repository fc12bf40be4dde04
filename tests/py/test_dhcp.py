# SPDX-License-Identifier: BSD-2-Clause
"""`ip=dhcp`: lwIP's DHCP client against Debian's dnsmasq, which the test
runs inside a namespace it creates (DNS off, bound to the tap only, a
lease file in a temporary directory).

- With a server: READY shows the leased address (inside the server's
  range, /24), dnsmasq's lease file names the guest's MAC and that same
  address, `ifconfig` shows it with the server's router as gateway, and
  the namespace can ping the guest at it.
- Without a server: the boot gives up after the documented 20 s wait
  with `lwip: no DHCP lease after 20 s` and READY says `ip=none`; the
  shell still works.
"""

import ipaddress
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

HOST_CIDR = "10.0.2.2/24"
RANGE_LO, RANGE_HI = "10.0.2.100", "10.0.2.150"
MAC = "52:54:00:12:34:56"
DHCP_BOOT_TIMEOUT = 60      # the lease comes in a few seconds under TCG
NO_LEASE_TIMEOUT = 90       # the guest waits 20 s, plus a slow boot
READY_RE = r"^READY cpus=\d+ queues=\d+ ip=(\S+) mac=(\S+)$"


class Dnsmasq:
    """dnsmasq in the foreground inside the namespace; stop() ends it."""

    def __init__(self, netns):
        self.dir = Path(tempfile.mkdtemp(prefix="unisr-dhcp-"))
        self.leases = self.dir / "leases"
        self.log = open(self.dir / "dnsmasq.log", "w")
        argv = netns.prefix() + [
            "dnsmasq", "--no-daemon", "--log-dhcp", "--no-resolv",
            "--no-hosts", "--port=0", "--interface=" + netns.tap,
            "--bind-dynamic", "--dhcp-authoritative",
            "--dhcp-range=%s,%s,255.255.255.0,1h" % (RANGE_LO, RANGE_HI),
            "--dhcp-option=option:router,10.0.2.2",
            "--dhcp-leasefile=%s" % self.leases,
            "--pid-file=%s" % (self.dir / "pid")]
        self.proc = subprocess.Popen(argv, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while "started" not in self.text():
            assert self.proc.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.1)

    def text(self):
        self.log.flush()
        return (self.dir / "dnsmasq.log").read_text()

    def lease_for(self, mac):
        """The address dnsmasq's lease file gives `mac`, or None."""
        if not self.leases.exists():
            return None
        for line in self.leases.read_text().splitlines():
            f = line.split()
            if len(f) >= 3 and f[1] == mac:
                return f[2]
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.requires_tap
@pytest.mark.parametrize("smp", [1, 2])
def test_dhcp_lease(qemu, netns, smp):
    netns.add_host_addr(HOST_CIDR)
    vargs = netns.virtio_net_args(smp, rss=smp > 1)   # makes the tap
    server = Dnsmasq(netns)
    try:
        con = qemu(machine="pc", mem="128M", smp=smp, cmdline="ip=dhcp",
                   prefix=netns.prefix(), extra=vargs,
                   timeout=DHCP_BOOT_TIMEOUT)
        m = re.search(READY_RE, con.text, re.M)
        assert m and m.group(2) == MAC, con.text
        cidr = m.group(1)
        assert cidr != "none", server.text()
        addr = ipaddress.ip_interface(cidr)
        assert addr.network.prefixlen == 24, cidr
        lo, hi = ipaddress.ip_address(RANGE_LO), ipaddress.ip_address(RANGE_HI)
        assert lo <= addr.ip <= hi, cidr
        assert server.lease_for(MAC) == str(addr.ip), server.text()
        assert "DHCPACK(%s) %s %s" % (netns.tap, addr.ip, MAC) in \
            server.text()
        out = con.run("ifconfig")
        assert out[0].startswith("vtnet0: inet %s gw 10.0.2.2 " % cidr), out
        p = netns.ping(str(addr.ip), 10, interval=0.05)
        assert (p.rc, p.transmitted, p.received) == (0, 10, 10), p
        assert con.alive()
    finally:
        server.stop()


@pytest.mark.requires_tap
def test_dhcp_no_server(qemu, netns):
    con = qemu(machine="pc", mem="128M", smp=1, cmdline="ip=dhcp",
               prefix=netns.prefix(), extra=netns.virtio_net_args(1),
               timeout=NO_LEASE_TIMEOUT)
    assert "lwip: no DHCP lease after 20 s" in con.text
    m = re.search(READY_RE, con.text, re.M)
    assert m and m.group(1) == "none", con.text
    assert con.run("ifconfig")[0].startswith("vtnet0: inet none "), \
        con.text
