# SPDX-License-Identifier: BSD-2-Clause
"""Faults and power-off end the guest the way the harness relies on.

Proves: each `fault <kind>` raises the right CPU exception, which prints
exactly one `PANIC: cpu 0: exception <vector> (<mnemonic>) error 0x<hex>`
line, a `backtrace:` whose frames are `#<i> 0x<addr> <symbol>+0x<off>` with
cmd_fault among them at its ELF symbol's address, and makes QEMU exit with
status 33; `poweroff` prints `poweroff: ACPI S5` and QEMU exits with 0 on
both pc and q35; `fault bogus` is refused and the shell carries on.
"""

import re

import pytest

import unisr_console as uc

FAULTS = {
    "ud": (6, "#UD"),
    "pf": (14, "#PF"),
    "gp": (13, "#GP"),
    "div": (0, "#DE"),
    "nmi": (2, "NMI"),
}
PANIC_RE = (r"^PANIC: cpu 0: exception (\d+) \(([^)]*)\) "
            r"error 0x([0-9a-fA-F]+)$")
FRAME_RE = re.compile(r"^\s+#(\d+) 0x([0-9a-fA-F]+) ([A-Za-z_.$][\w.$]*)"
                      r"\+0x([0-9a-fA-F]+)$")
PANIC_EXIT = 33


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_fault_panics(qemu, kind):
    vector, mnemonic = FAULTS[kind]
    con = qemu(expect_panic=True)
    con.sendline("fault " + kind)
    m = con.wait_for(PANIC_RE)
    assert int(m.group(1)) == vector
    assert m.group(2) == mnemonic
    con.wait_for(r"^backtrace:$")
    status = con.expect_exit()
    assert status == PANIC_EXIT

    lines = con.lines()
    panics = [ln for ln in lines if ln.startswith("PANIC")]
    assert len(panics) == 1, "want exactly one PANIC line: %s" % panics
    assert len(con.banners) == 1
    bt = lines.index("backtrace:")
    frames = []
    for line in lines[bt + 1:]:
        f = FRAME_RE.match(line)
        if not f:
            break
        frames.append((int(f.group(1)), int(f.group(2), 16), f.group(3),
                       int(f.group(4), 16)))
    assert len(frames) >= 1, lines[bt:]
    assert [f[0] for f in frames] == list(range(len(frames)))
    hits = [f for f in frames if f[2] == "cmd_fault"]
    assert len(hits) >= 1, "cmd_fault not in backtrace: %s" % frames
    syms = uc.elf_symbols()
    assert "cmd_fault" in syms, "no cmd_fault symbol in %s" % uc.KERNEL
    _i, addr, _name, off = hits[0]
    assert addr - off == syms["cmd_fault"], (
        "cmd_fault frame 0x%x-0x%x != symbol 0x%x"
        % (addr, off, syms["cmd_fault"]))


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_poweroff(qemu, machine):
    con = qemu(machine=machine)
    con.sendline("poweroff")
    con.wait_for(r"^poweroff: ACPI S5$")
    assert con.expect_exit() == 0
    assert len(con.banners) == 1


def test_fault_bogus(console):
    out = console.run("fault bogus")
    assert "fault: unknown kind 'bogus'" in out, out
    assert console.panics == []
    out = console.run("uptime")
    assert len(out) == 1 and re.match(r"^uptime: \d+ us$", out[0]), out
    assert console.alive()
