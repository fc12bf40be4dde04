# SPDX-License-Identifier: BSD-2-Clause
"""The kernel gives the PCI memory BARs the firmware left unassigned an
address, and leaves alone those it assigned.

Direct boots start from qboot, which assigns no BAR; ISO boots and
`firmware="seabios"` from SeaBIOS, which assigns all.  Proves, with one
virtio-net NIC (2 queues, -smp 2, -m 256M) in a namespace the test owns:
- qboot, q35: `pci: assigned 3 memory BARs in 0xc0000000-0xfec00000`
  (virtio-net's MSI-X table and its 16 KiB modern BAR, and the AHCI
  controller's BAR; the window starts above q35's ECAM at 0xb0000000);
  qboot, pc: `pci: assigned 2 memory BARs in 0x10000000-0xfec00000`
  (above the 256 MiB of RAM);
- SeaBIOS, pc: no `pci: assigned` line;
- in every case `lspci` lists every memory BAR at a non-zero address,
  naturally aligned, none overlapping another, the assigned ones inside
  the window; vtnet0 attaches (`driver vtnet`), READY says queues=2, and
  5 of 5 pings are answered.
The placement rules themselves are unit-tested (tests/unit/
test_pci_assign.c).
"""

import re

import pytest

import unisr_console as uc

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
ASSIGNED_RE = re.compile(r"^pci: assigned (\d+) memory BARs in "
                         r"0x([0-9a-f]+)-0x([0-9a-f]+)$")
DEV_RE = re.compile(r"^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) [0-9a-f]{4}:[0-9a-f]{4}"
                    r" class [0-9a-f]{6}( driver \S+)?$")
BAR_RE = re.compile(r"^\s+bar(\d) (mem|io) 0x([0-9a-f]+) size 0x([0-9a-f]+)")
CASES = [("qboot", "q35", 3, 0xc0000000), ("qboot", "pc", 2, 0x10000000),
         ("seabios", "pc", 0, None)]
WINDOW_END = 0xfec00000


@pytest.mark.requires_tap
@pytest.mark.parametrize("firmware,machine,nassigned,win_base", CASES,
                         ids=["%s-%s" % c[:2] for c in CASES])
def test_bars_assigned(qemu, netns, firmware, machine, nassigned, win_base):
    fw = uc.QBOOT if firmware == "qboot" else "seabios"
    if HOST_CIDR not in netns.host_addrs:
        netns.add_host_addr(HOST_CIDR)
    con = qemu(machine=machine, mem="256M", smp=2, firmware=fw,
               prefix=netns.prefix(), extra=netns.virtio_net_args(2),
               timeout=120)
    b = con.boot
    assert b.ready == ["READY cpus=2 queues=2 ip=%s/24 "
                       "mac=52:54:00:12:34:56" % GUEST_IP], b.ready
    lines = [ASSIGNED_RE.match(ln) for ln in b.lines]
    lines = [m for m in lines if m]
    if nassigned == 0:
        assert lines == [], [m.group(0) for m in lines]
    else:
        assert len(lines) == 1, [m.group(0) for m in lines]
        n, lo, hi = (int(lines[0].group(1)), int(lines[0].group(2), 16),
                     int(lines[0].group(3), 16))
        assert (n, lo, hi) == (nassigned, win_base, WINDOW_END)

    out = con.run("lspci")
    dev, drivers, bars = None, {}, []
    for ln in out:
        m = DEV_RE.match(ln)
        if m:
            dev = m.group(1)
            drivers[dev] = (m.group(2) or "").strip()
            continue
        m = BAR_RE.match(ln)
        if m and m.group(2) == "mem":
            bars.append((dev, int(m.group(1)), int(m.group(3), 16),
                         int(m.group(4), 16)))
    assert "driver vtnet" in drivers.values(), out
    assert len(bars) >= max(nassigned, 2), out   # virtio-net has 2
    for d, n, base, size in bars:
        assert base != 0 and base % size == 0, (d, n, hex(base), size)
        if win_base is not None:
            assert win_base <= base and base + size <= WINDOW_END, (d, n)
    spans = sorted((base, base + size) for _, _, base, size in bars)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start, [(hex(a), hex(z)) for a, z in spans]

    p = netns.ping(GUEST_IP, 5)
    assert (p.rc, p.transmitted, p.received) == (0, 5, 5), p.output
