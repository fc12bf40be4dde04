# SPDX-License-Identifier: BSD-2-Clause
"""The MTU comes from the device (VIRTIO_NET_F_MTU), or is 1500.

In a namespace the test creates, with QEMU's `host_mtu` property:
- host_mtu=1400: `ifconfig` shows mtu 1400; 20 pings of 1472 bytes (a
  1500-byte IP packet from the host) all get replies, which the guest
  must fragment to fit 1400: `netstat -s` counts IPv4 fragments sent
  (ipfrag xmit > 0);
- host_mtu=9000: more than one rx buffer holds, so the driver says so on
  the console (`vtnet0: device MTU 9000 outside 68..2010 ...; using
  2010`) and `ifconfig` shows mtu 2010; pings of 1472 bytes still work;
- no host_mtu: mtu 1500 and no fragments for 1472-byte pings.
"""

import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
PINGS = 20
MTU_RE = re.compile(r"^vtnet0: inet \S+ gw \S+ mtu (\d+) ")
FRAG_RE = re.compile(r"^lwip: ipfrag xmit (\d+) ")


def boot(qemu, netns, device_opts):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem="128M", smp=1, prefix=netns.prefix(),
                extra=netns.virtio_net_args(1, device_opts=device_opts))


def mtu_and_frags(con):
    mtu = [MTU_RE.match(x) for x in con.run("ifconfig")]
    frags = [FRAG_RE.match(x) for x in con.run("netstat -s")]
    mtu = [int(m.group(1)) for m in mtu if m]
    frags = [int(m.group(1)) for m in frags if m]
    assert len(mtu) == 1 and len(frags) == 1, (mtu, frags)
    return mtu[0], frags[0]


def big_pings(netns):
    p = netns.ping(GUEST_IP, PINGS, interval=0.05)
    assert (p.rc, p.received) == (0, PINGS), p      # ARP, small first
    argv = ["ping", "-n", "-c", str(PINGS), "-i", "0.05", "-W", "2", "-s",
            "1472", "-M", "dont", GUEST_IP]
    rc, out, err = netns.call(argv, timeout=60)
    assert rc == 0 and "%d received" % PINGS in out, (out, err)


@pytest.mark.requires_tap
@pytest.mark.parametrize("opts,mtu,fragments", [
    ("host_mtu=1400", 1400, True),
    ("host_mtu=9000", 2010, False),
    ("", 1500, False)], ids=["1400", "9000", "default"])
def test_device_mtu(qemu, netns, opts, mtu, fragments):
    con = boot(qemu, netns, opts)
    warned = "vtnet0: device MTU 9000 outside 68..2010 (what one rx " \
        "buffer holds); using 2010" in con.text
    assert warned == (opts == "host_mtu=9000"), con.text
    assert mtu_and_frags(con) == (mtu, 0)
    big_pings(netns)
    got_mtu, frags = mtu_and_frags(con)
    assert got_mtu == mtu
    if fragments:
        assert frags >= 2 * PINGS, frags     # two fragments per reply
    else:
        assert frags == 0, frags
    assert con.alive()
