# SPDX-License-Identifier: BSD-2-Clause
"""The boot says where its time goes, starts every CPU at once, and its
clocks, found without waiting, still measure right.

Proves, for -smp 1, 2, 4 and 5 (-m 128M, direct boots; 5 is not a power
of two; 4 on q35, the others on pc):
- every CPU comes up: `cpu <n>: online (apic id <m>)` for n = 0..N-1 in
  order, distinct APIC ids, no `did not start`, `READY cpus=<N> ...`;
- `boot: ready in <T> us` is followed by exactly one
  `boot: phases <name>=<us> ...` line with the phases of kmain() in order
  (entry mem acpi lapic tsc smp netisr pci vtnet net), and the phases add
  up to T within 1 ms (they add up exactly by construction);
- the boot names its clock sources in
  `clock: tsc <kHz> kHz (<source>), lapic timer <kHz> kHz (<source>)`;
- `clock` in the guest: udelay(100 ms) timed by the ACPI PM timer is
  within 2 % of 100 ms, and every CPU's LAPIC timer, counted over 20 ms of
  PM time, is within 2 % of what its rate says (both measured inside the
  guest against the PM timer, never against the host's clock).
No timing threshold on the boot itself: the figures are in the log and in
README.md.
"""

import re

import pytest

import unisr_console as uc

MEM = "128M"
BOOTS = [(1, "pc"), (2, "pc"), (4, "q35"), (5, "pc")]
PHASES = ["entry", "mem", "acpi", "lapic", "tsc", "smp", "netisr", "pci",
          "vtnet", "net"]
SUM_SLACK_US = 1000
TOLERANCE_PCT = 2.0
SOURCES = {"hypervisor leaf 0x40000010", "cpuid 0x15", "cpuid 0x16",
           "pm timer", "pit", "tsc"}

ONLINE_RE = re.compile(r"^cpu (\d+): online \(apic id (\d+)\)$")
UDELAY_RE = re.compile(r"^clock: udelay (\d+) us took (\d+) us by the pm "
                       r"timer \(([+-]\d+\.\d\d)%\)$")
LAPIC_RE = re.compile(r"^clock: cpu (\d+) lapic timer counted (\d+) in "
                      r"(\d+) us by the pm timer, want (\d+) "
                      r"\(([+-]\d+\.\d\d)%\)$")


@pytest.mark.parametrize("smp,machine", BOOTS,
                         ids=["smp%d-%s" % b for b in BOOTS])
def test_boot_phases_cpus_clocks(qemu, smp, machine):
    con = qemu(machine=machine, mem=MEM, smp=smp, timeout=120)
    b = con.boot

    online = [ONLINE_RE.match(ln) for ln in b.lines]
    online = [(int(m.group(1)), int(m.group(2))) for m in online if m]
    assert [n for n, _ in online] == list(range(smp)), b.cpus
    assert len({a for _, a in online}) == smp, online
    assert not [ln for ln in b.lines if "did not start" in ln]
    assert b.ready == ["READY cpus=%d queues=0 ip=none mac=none" % smp]

    # The phase line follows the total, once, and adds up to it.
    i = b.index(lambda ln: ln.startswith("boot: ready in "))
    assert b.lines[i + 1].startswith("boot: phases "), b.lines[i:]
    assert sum(ln.startswith("boot: phases") for ln in b.lines) == 1
    assert [k for k, _ in b.phases] == PHASES, b.phases
    total = sum(us for _, us in b.phases)
    assert abs(total - b.ready_us) <= SUM_SLACK_US, (total, b.ready_us)

    assert b.clock is not None, "no clock: line"
    tsc_khz, tsc_src, apic_khz, apic_src = b.clock.groups()
    assert int(tsc_khz) > 0 and int(apic_khz) > 0, b.clock.group(0)
    assert tsc_src in SOURCES and apic_src in SOURCES, b.clock.group(0)

    out = con.run("clock", timeout=30)
    assert out[0] == b.clock.group(0), out
    udelay = [UDELAY_RE.match(ln) for ln in out if UDELAY_RE.match(ln)]
    assert len(udelay) == 1, out
    want, took, pct = udelay[0].groups()
    assert int(want) == 100000
    assert abs(int(took) - 100000) <= 100000 * TOLERANCE_PCT / 100, out
    assert abs(float(pct)) <= TOLERANCE_PCT, out
    lapic = [LAPIC_RE.match(ln) for ln in out if LAPIC_RE.match(ln)]
    assert [int(m.group(1)) for m in lapic] == list(range(smp)), out
    for m in lapic:
        counted, want = int(m.group(2)), int(m.group(4))
        assert want > 0, m.group(0)
        assert abs(counted - want) <= want * TOLERANCE_PCT / 100, m.group(0)
    assert len(con.banners) == 1
