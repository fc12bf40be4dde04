# SPDX-License-Identifier: BSD-2-Clause
"""The multi-NIC test infrastructure works at the host and QEMU level.

Boots a guest with two virtio-net NICs through conftest's
qemu(nics=[(ns, tap, queues), ...]) and proves only what the host and
QEMU see (the guest driver may attach just the first NIC):

- test_two_namespaces (queues 1 and 2): namespace A holds tap0 (vtnet0)
  and namespace B holds tap1 (vtnet1), both with the host address
  10.0.2.2/24, the isolation layout.  QEMU runs in A (its
  /proc/<pid>/ns/net is A's) and gets tap1 from tapfds.py as
  descriptors.  Afterwards each tap is only in its own namespace, up,
  with carrier, in the queue mode asked for and with every one of its
  queues attached (numqueues + numdisabled == queues); the monitor's
  `info network` shows two virtio-net-pci devices with the MACs
  netns.nic_mac(0) and nic_mac(1) on netdevs n0 (ifname=tap0) and n1
  (fds); the guest's `lspci` lists two virtio-net functions; and its
  `cmdline` shows the vtnet1 keys given (vtnet1.ip=10.0.2.15/24,
  vtnet1.vnet=1) marked set.
- test_one_namespace_two_taps: multi-homing, tap0 10.0.2.2/24 and tap1
  10.0.3.2/24 both in A (NetNS.add_tap); QEMU opens both by name (no
  tapfds.py); both taps are up and fully attached and the guest sees two
  virtio-net functions.
- test_fds_tap_carries_traffic: QEMU runs in namespace A (nics_home)
  while its only NIC, vtnet0 (which today's driver attaches), is tap1 in
  namespace B, handed over as descriptors; B (10.0.2.2/24) pings the
  guest 3 of 3, so frames flow through a tap attached in another
  namespace, and A has no tap at all.
- test_plan_nics_rejects: plan_nics refuses a tap backing two NICs, zero
  queues, no NICs and more than NICS_MAX, without booting.
"""

import os
import re

import pytest

import netns as nsmod

pytestmark = pytest.mark.requires_tap

SMP = 2
HOST_CIDR = "10.0.2.2/24"
HOST_CIDR_B = "10.0.3.2/24"
GUEST_IP = "10.0.2.15"
GUEST_CMDLINE = "vtnet1.ip=%s/24 vtnet1.vnet=1" % GUEST_IP
VIRTIO_VENDOR = "1af4"
VIRTIO_NET_IDS = ("1000", "1041")       # transitional, modern (virtio 1.x)
NET_CLASS = "020000"
LSPCI_RE = re.compile(r"^\S+ ([0-9a-f]{4}):([0-9a-f]{4}) class ([0-9a-f]{6})")


def virtio_net_functions(lines):
    """The `lspci` lines of virtio-net functions."""
    out = []
    for line in lines:
        m = LSPCI_RE.match(line)
        if (m and m.group(1) == VIRTIO_VENDOR and
                m.group(2) in VIRTIO_NET_IDS and m.group(3) == NET_CLASS):
            out.append(line)
    return out


def links(ns):
    """Interface names in namespace ns."""
    out = ns.run(["ip", "-o", "link", "show"]).stdout
    return re.findall(r"^\d+: ([^:@]+)", out, re.M)


def assert_tap_attached(ns, tap, queues):
    st = ns.tap_state(tap)
    assert st["up"] and st["lower_up"], (ns.name, tap, st)
    assert st["multi_queue"] == (queues > 1), (ns.name, tap, st)
    if queues > 1:
        # QEMU attached every queue; the ones the guest does not drive
        # (all but the first until a driver enables more) are disabled.
        assert st["numqueues"] + st["numdisabled"] == queues, st
        assert st["numqueues"] >= 1, st


def netns_inode(path):
    return os.stat(path).st_ino


@pytest.mark.parametrize("queues", [1, 2])
def test_two_namespaces(qemu, netns, netns_factory, queues):
    a = netns
    b = netns_factory(tap="tap1")
    a.add_host_addr(HOST_CIDR)
    b.add_host_addr(HOST_CIDR)
    con = qemu(smp=SMP, cmdline=GUEST_CMDLINE, monitor=True, rss=True,
               nics=[(a, "tap0", queues), (b, "tap1", queues)])

    assert [n.name for n in con.nics] == ["vtnet0", "vtnet1"]
    assert [n.mac for n in con.nics] == [nsmod.nic_mac(0),
                                         nsmod.nic_mac(1)]
    assert con.nics[0].mac == nsmod.GUEST_MAC
    assert con.nics[0].mac != con.nics[1].mac

    # QEMU runs in A.
    assert (netns_inode("/proc/%d/ns/net" % con.child.pid) ==
            netns_inode("/run/netns/%s" % a.name))

    # Each tap in its own namespace only, set up as asked.
    assert "tap0" in links(a) and "tap1" not in links(a)
    assert "tap1" in links(b) and "tap0" not in links(b)
    assert a.addrs4("tap0") == [HOST_CIDR]
    assert b.addrs4("tap1") == [HOST_CIDR]
    assert_tap_attached(a, "tap0", queues)
    assert_tap_attached(b, "tap1", queues)

    # QEMU has both devices, distinct MACs, tap1 by descriptor.
    info = "\n".join(con.monitor("info network"))
    macs = re.findall(r"model=virtio-net-pci,macaddr=(\S+)", info)
    assert macs == [nsmod.nic_mac(0), nsmod.nic_mac(1)], info
    assert re.search(r"\bn0: index=\d+,type=tap,ifname=tap0\b", info), info
    assert re.search(r"\bn1: index=\d+,type=tap,fd=\d+", info), info

    # The guest sees two virtio-net functions and its vtnet1 keys.
    funcs = virtio_net_functions(con.run("lspci"))
    assert len(funcs) == 2, funcs
    keys = con.run("cmdline")
    assert "vtnet1.ip=10.0.2.15/24 (set)" in keys, keys
    assert "vtnet1.vnet=1 (set)" in keys, keys
    assert "ip=10.0.2.15/24" in keys, keys


def test_one_namespace_two_taps(qemu, netns):
    a = netns
    a.add_tap("tap1")
    a.add_host_addr(HOST_CIDR)
    a.add_host_addr(HOST_CIDR_B, tap="tap1")
    con = qemu(smp=SMP, rss=True, nics=[(a, "tap0", SMP), (a, "tap1", SMP)])

    assert a.taps() == ["tap0", "tap1"]
    assert {"tap0", "tap1"} <= set(links(a))
    assert a.addrs4() == [HOST_CIDR]
    assert a.addrs4("tap1") == [HOST_CIDR_B]
    assert_tap_attached(a, "tap0", SMP)
    assert_tap_attached(a, "tap1", SMP)
    funcs = virtio_net_functions(con.run("lspci"))
    assert len(funcs) == 2, funcs


def test_fds_tap_carries_traffic(qemu, netns, netns_factory):
    a = netns
    b = netns_factory(tap="tap1")
    b.add_host_addr(HOST_CIDR)
    a.run(["ip", "link", "del", "tap0"])
    con = qemu(smp=SMP, rss=True, nics=[(b, "tap1", SMP)], nics_home=a)
    assert (netns_inode("/proc/%d/ns/net" % con.child.pid) ==
            netns_inode("/run/netns/%s" % a.name))
    assert not [n for n in links(a) if n.startswith("tap")]
    assert_tap_attached(b, "tap1", SMP)
    p = b.ping(GUEST_IP, 3)
    assert p.rc == 0 and p.received == 3, p
    assert b.neigh(GUEST_IP, tap="tap1")[0] == nsmod.nic_mac(0)


def test_plan_nics_rejects(netns):
    with pytest.raises(ValueError):
        nsmod.plan_nics([(netns, "tap0", 2), (netns, "tap0", 2)])
    with pytest.raises(ValueError):
        nsmod.plan_nics([(netns, "tap0", 0)])
    with pytest.raises(ValueError):
        nsmod.plan_nics([])
    with pytest.raises(ValueError):
        nsmod.plan_nics([(netns, "tap0", 1)] * (nsmod.NICS_MAX + 1))
    with pytest.raises(nsmod.NetNSError):
        nsmod.plan_nics([(netns, "tap9", 1)])
    nics = nsmod.plan_nics([(netns, "tap0", 1)])
    prefix, extra = nsmod.qemu_nic_args(nics)
    assert prefix == netns.prefix()
    assert "ifname=tap0" in extra[1] and "queues=1" in extra[1]
