# SPDX-License-Identifier: BSD-2-Clause
"""unisr boots to a working shell, directly (-kernel, PVH) and from the ISO
(GRUB, multiboot2), and reports the memory QEMU gave it.

Proves: one banner, the boot lines in order, the exact READY line, a
positive boot time, the prompt; usable memory within 2 % of -m (64M, 2G)
with consistent page counts; and the basic shell (help, uptime, an unknown
command) answering in both boot modes.
"""

import re

import pytest

import unisr_console as uc

READY_LINE = "READY cpus=1 queues=0 ip=none mac=none"
MEM_RE = re.compile(r"^mem: usable (\d+) KiB, pages total (\d+) "
                    r"free (\d+) used (\d+)$")
KMEM_SIZE_RE = re.compile(r"^kmem: size (\d+) inuse (\d+) allocs (\d+) "
                          r"frees (\d+) slabs (\d+)$")
KMEM_LARGE_RE = re.compile(r"^kmem: large allocs (\d+) frees (\d+) "
                           r"pages (\d+)$")
HELP_RE = re.compile(r"^  (\S+) {2,}(\S.*)$")
CONTRACT_COMMANDS = {"help", "mem", "uptime", "cmdline", "poweroff",
                     "fault", "selftest"}


def parse_mem(line):
    m = MEM_RE.match(line)
    assert m, "not a mem line: %r" % line
    return tuple(int(x) for x in m.groups())


@pytest.mark.parametrize("mem", ["64M", "2G"])
def test_boot_ready(qemu, mode, mem):
    con = qemu(mode=mode, mem=mem)
    b = con.boot

    assert len(b.banners) == 1, b.lines
    assert b.ready == [READY_LINE]
    assert b.ready_us is not None, "no 'boot: ready in N us' line"
    assert b.ready_us > 0
    assert b.cpus == ["cpu 0: online (apic id 0)"]
    assert len(b.mem) == 1, b.mem
    assert READY_LINE + "\r\n" in con.raw, "lines must end in \\r\\n"

    order = [b.index(lambda ln: uc.BANNER_RE.match(ln) is not None),
             b.index(lambda ln: ln.startswith("mem: usable ")),
             b.index(lambda ln: ln.startswith("cpu 0: online")),
             b.index(lambda ln: ln == READY_LINE),
             b.index(lambda ln: ln.startswith("boot: ready in "))]
    assert -1 not in order, order
    assert order == sorted(order), "boot lines out of order: %s" % order

    want_kib = uc.mem_kib(mem)
    usable, total, free, used = parse_mem(b.mem[0])
    pct = abs(usable - want_kib) * 100.0 / want_kib
    assert pct < 2.0, "usable %d KiB is %.2f %% off %d KiB" % (
        usable, pct, want_kib)
    assert total * 4 <= usable
    # Pages are whole 4 KiB frames of the usable memory: rounding loses at
    # most a few per region, never 2 % of it.
    assert (usable - total * 4) * 100.0 / usable < 2.0, (usable, total)
    assert free + used == total
    assert free > 0 and used > 0

    out = con.run("mem")
    assert len(out) >= 3, out
    usable2, total2, free2, used2 = parse_mem(out[0])
    assert (usable2, total2) == (usable, total)
    assert free2 + used2 == total2
    sizes = []
    large = []
    for line in out[1:]:
        if not line.startswith("kmem: "):
            continue
        m = KMEM_SIZE_RE.match(line)
        if m:
            size, inuse, allocs, frees, _slabs = (int(x) for x in m.groups())
            assert inuse == allocs - frees, line
            sizes.append(size)
            continue
        m = KMEM_LARGE_RE.match(line)
        assert m, "malformed kmem line: %r" % line
        allocs, frees, _pages = (int(x) for x in m.groups())
        assert allocs >= frees, line
        large.append(line)
    assert len(sizes) >= 1
    assert sizes == sorted(set(sizes)), "size classes not increasing: %s" % sizes
    assert len(large) == 1
    assert len(con.banners) == 1


def test_shell_basics(qemu, mode):
    con = qemu(mode=mode)

    help_lines = con.run("help")
    names = []
    for line in help_lines:
        m = HELP_RE.match(line)
        assert m, "help line not '  <name>  <description>': %r" % line
        names.append(m.group(1))
    assert len(names) == len(set(names)), names
    missing = CONTRACT_COMMANDS - set(names)
    assert not missing, "help lacks %s" % sorted(missing)

    ups = []
    for _ in range(2):
        out = con.run("uptime")
        assert len(out) == 1, out
        m = re.match(r"^uptime: (\d+) us$", out[0])
        assert m, out
        ups.append(int(m.group(1)))
    assert 0 < ups[0] < ups[1]

    assert con.run("frobnicate") == [
        "unknown command 'frobnicate' (try help)"]
    assert len(con.banners) == 1
