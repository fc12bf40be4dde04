# SPDX-License-Identifier: BSD-2-Clause
"""unisr starts every CPU QEMU gives it, and those CPUs work and idle.

Proves (-m 128M, direct boots):
- for -smp 1, 2, 3, 4 and 8 on pc and q35 (every pair under --full, a
  subset touching each value and both machines otherwise): the boot log
  has one `cpu <n>: online (apic id <m>)` line per CPU, n dense from 0, m
  all distinct, no `did not start` line, then exactly one
  `READY cpus=<N> queues=0 ip=none mac=none`; `cpus` lists exactly N CPUs
  (device `vector` lines may follow them), each online with the APIC id
  the boot log gave it; one CPU refuses
  `smp ipitest`;
- `smp ipitest` on 4 CPUs measures all 12 ordered pairs, each with
  positive integer median and p99 in cycles and ns, p99 >= median, and no
  pair times out; an explicit round-trip count is honoured;
- idle with 4 CPUs, every CPU's timer ticks at HZ (0.9..1.1 of HZ times
  the guest-time window, a window that agrees with the host's clock), each
  CPU is under 5 % busy, and each AP runs its core loop at most
  3 * HZ * window + 50 times: it halts rather than polls;
- with 2 CPUs the BSP halts too (same loop bound over a ~1 s idle window)
  and the interrupt-driven console still answers `uptime` after idling;
- `fault --cpu 2 pf` on 4 CPUs gives exactly one PANIC line, naming cpu 2
  and exception 14 (#PF), one backtrace, and QEMU exit status 33, while
  `fault --cpu 99 pf` prints `fault: no cpu 99` and the shell carries on.
"""

import itertools
import re
import time

import unisr_console as uc

MEM = "128M"
SMP_VALUES = (1, 2, 3, 4, 8)
MACHINES = ("pc", "q35")
# Default run: every -smp value and both machines, 6 boots instead of 10.
DEFAULT_MATRIX = [(1, "pc"), (2, "q35"), (3, "pc"), (4, "q35"), (4, "pc"),
                  (8, "pc")]
FULL_MATRIX = [(n, m) for n in SMP_VALUES for m in MACHINES]

BOOT_TIMEOUT = 60.0
BOOT_TIMEOUT_BIG = 120.0    # -smp 8 under TCG
IPITEST_TIMEOUT = 60.0
PANIC_EXIT = 33

READY_FMT = "READY cpus=%d queues=0 ip=none mac=none"
ONLINE_RE = re.compile(r"^cpu (\d+): online \(apic id (\d+)\)$")
SKIPPED_RE = re.compile(r"^smp: cpu \d+ \(apic id \d+\) did not start; "
                        r"skipped$")
CPUS_HEAD_RE = re.compile(r"^cpus: hz (\d+) uptime (\d+) us "
                          r"window (\d+) us$")
CPUS_LINE_RE = re.compile(r"^cpu (\d+): apic (\d+) online ([01]) "
                          r"loops (\d+) work (\d+) ipis (\d+) intrs (\d+) "
                          r"ticks (\d+) busy (\d+\.\d)%$")
CPU_FIELDS = ("apic", "online", "loops", "work", "ipis", "intrs", "ticks")
VECTOR_LINE_RE = re.compile(r"^vector (\d+) cpu (\d+) (\S+) intrs (\d+)$")
LAPIC_LINE_RE = re.compile(r"^lapic: errors (\d+)$")
IPI_PAIR_RE = re.compile(r"^ipitest: (\d+) -> (\d+) median (\d+) cycles "
                         r"(\d+) ns p99 (\d+) cycles (\d+) ns$")
IPI_SUM_RE = re.compile(r"^ipitest: (\d+) pairs, (\d+) round trips each$")
PANIC_LINE_RE = re.compile(r"^PANIC: cpu (\d+): exception (\d+) "
                           r"\(([^)]*)\) error 0x([0-9a-fA-F]+)$")

# Idle checks: loop wake-ups allowed per timer tick, plus a fixed margin
# for the console traffic of the commands around the window.
LOOPS_PER_TICK = 3
LOOPS_MARGIN = 50
BUSY_MAX = 5.0
TICK_RATIO = (0.9, 1.1)
WINDOW_SLACK_US = 50000  # window vs uptime difference


def pytest_generate_tests(metafunc):
    """(smp, machine) for test_cpus_online: all pairs under --full."""
    if {"smp", "machine"} <= set(metafunc.fixturenames):
        combos = (FULL_MATRIX if metafunc.config.getoption("--full")
                  else DEFAULT_MATRIX)
        metafunc.parametrize("smp,machine", combos,
                             ids=["smp%d-%s" % c for c in combos])


def boot_timeout(smp):
    return BOOT_TIMEOUT_BIG if smp >= 8 else BOOT_TIMEOUT


def boot(qemu, smp, machine="pc", **kw):
    return qemu(machine=machine, mem=MEM, smp=smp,
                timeout=boot_timeout(smp), **kw)


class CpuStats:
    """One `cpus` output: hz, uptime_us, window_us, per-CPU dicts, vectors.

    After the `cpu <n>:` lines come zero or more device-vector lines,
    `vector <v> cpu <c> <owner> intrs <n>`, kept in `vectors` as dicts
    (vector, cpu, owner, intrs).  Anything else, or a cpu line after a
    vector line, is malformed.
    """

    def __init__(self, lines):
        assert lines, "cpus printed nothing"
        m = CPUS_HEAD_RE.match(lines[0])
        assert m, ("first line not 'cpus: hz <HZ> uptime <us> us window "
                   "<us> us': %r" % lines[0])
        self.hz, self.uptime_us, self.window_us = (int(x) for x in m.groups())
        self.cpus = []
        self.vectors = []
        self.lapic_errors = None
        for line in lines[1:]:
            e = LAPIC_LINE_RE.match(line)
            if e:
                self.lapic_errors = int(e.group(1))
                continue
            v = VECTOR_LINE_RE.match(line)
            if v:
                self.vectors.append({
                    "vector": int(v.group(1)), "cpu": int(v.group(2)),
                    "owner": v.group(3), "intrs": int(v.group(4))})
                continue
            c = CPUS_LINE_RE.match(line)
            assert c, "malformed cpus line: %r" % line
            assert not self.vectors, "cpu line after vector lines: %r" % line
            d = dict(zip(("id",) + CPU_FIELDS,
                         (int(x) for x in c.groups()[:-1])))
            d["busy"] = float(c.group(9))
            self.cpus.append(d)
        assert [c["id"] for c in self.cpus] == list(range(len(self.cpus))), (
            "cpu ids not 0..N-1 in order: %s" % lines[1:])
        ids = {c["id"] for c in self.cpus}
        for v in self.vectors:
            assert v["cpu"] in ids, "vector on an unlisted cpu: %s" % v
        # Vector numbers are per CPU: only (cpu, vector) must be unique.
        assert len({(v["cpu"], v["vector"]) for v in self.vectors}) == len(
            self.vectors), "a vector listed twice: %s" % self.vectors

    @property
    def window_s(self):
        return self.window_us / 1e6


def cpus(con):
    st = CpuStats(con.run("cpus"))
    assert st.lapic_errors == 0, "LAPIC errors: %s" % st.lapic_errors
    return st


def timed_cpus(con):
    """(CpuStats, host time the command was sent, host time it finished)."""
    t0 = time.monotonic()
    st = cpus(con)
    return st, t0, time.monotonic()


def idle_window(con, seconds):
    """Two `cpus` outputs `seconds` of host time apart, both idle.

    Also checks that the second output's `window` (guest time) matches the
    difference of the two uptimes (within 50 ms) and agrees with the
    host's clock: it lies between the host time from the end of the
    first command to the start of the second and the host time from the
    start of the first to the end of the second, with 25 % + 0.25 s slack.
    """
    first, s0, e0 = timed_cpus(con)
    time.sleep(seconds)
    second, s1, e1 = timed_cpus(con)
    assert second.hz == first.hz
    assert len(second.cpus) == len(first.cpus)
    assert second.window_us > 0
    assert second.uptime_us > first.uptime_us
    # The window runs from one `cpus` to the next, as the uptimes do.
    gap = second.uptime_us - first.uptime_us
    assert abs(second.window_us - gap) <= WINDOW_SLACK_US, (
        "window %d us but the uptimes are %d us apart"
        % (second.window_us, gap))
    lo, hi = s1 - e0, e1 - s0
    assert 0.75 * lo <= second.window_s <= 1.25 * hi + 0.25, (
        "guest window %.3f s vs host %.3f..%.3f s"
        % (second.window_s, lo, hi))
    return first, second


def loop_bound(st):
    return LOOPS_PER_TICK * st.hz * st.window_s + LOOPS_MARGIN


# ---- 1: every CPU comes online ------------------------------------------

def test_cpus_online(qemu, smp, machine):
    con = boot(qemu, smp, machine)
    b = con.boot
    assert len(b.banners) == 1, b.lines

    skipped = [ln for ln in b.lines if SKIPPED_RE.match(ln)]
    assert skipped == [], "CPUs failed to start: %s" % skipped
    online = [ONLINE_RE.match(ln) for ln in b.lines]
    online = [(int(m.group(1)), int(m.group(2))) for m in online if m]
    assert len(online) == smp, "want %d online lines: %s" % (smp, b.cpus)
    assert [n for n, _ in online] == list(range(smp)), online
    apic_of = dict(online)
    assert len(set(apic_of.values())) == smp, (
        "APIC ids not distinct: %s" % online)

    assert b.ready == [READY_FMT % smp], b.ready
    ready_at = b.index(lambda ln: ln.startswith("READY"))
    last_online = max(i for i, ln in enumerate(b.lines) if ONLINE_RE.match(ln))
    assert last_online < ready_at, "an online line after READY: %s" % b.lines

    st = cpus(con)
    assert st.hz > 0
    assert 0 < st.window_us <= st.uptime_us
    assert len(st.cpus) == smp, "want %d cpu lines, got %d" % (
        smp, len(st.cpus))
    for c in st.cpus:
        assert c["online"] == 1, "cpu %d not online: %s" % (c["id"], c)
        assert c["apic"] == apic_of[c["id"]], (
            "cpu %d: apic %d in cpus, %d in the boot log"
            % (c["id"], c["apic"], apic_of[c["id"]]))
        assert 0.0 <= c["busy"] <= 100.0, c
    assert len({c["apic"] for c in st.cpus}) == smp

    if smp == 1:
        assert con.run("smp ipitest") == ["ipitest: needs at least 2 CPUs"]
    assert len(con.banners) == 1
    assert con.alive()


# ---- 2: IPI round trips between every ordered pair ----------------------

def check_ipitest(lines, ncpu, rounds):
    assert not [ln for ln in lines if "timed out" in ln], lines
    want = sorted(itertools.permutations(range(ncpu), 2))
    npairs = len(want)
    assert len(lines) == npairs + 1, (
        "want %d pair lines and a summary: %s" % (npairs, lines))
    pairs = []
    for line in lines[:-1]:
        m = IPI_PAIR_RE.match(line)
        assert m, "malformed ipitest line: %r" % line
        a, b, med_c, med_ns, p99_c, p99_ns = (int(x) for x in m.groups())
        for v in (med_c, med_ns, p99_c, p99_ns):
            assert v > 0, line
        assert p99_c >= med_c, line
        assert p99_ns >= med_ns, line
        pairs.append((a, b))
    assert sorted(pairs) == want, "pairs: %s" % pairs
    m = IPI_SUM_RE.match(lines[-1])
    assert m, "bad summary line: %r" % lines[-1]
    assert (int(m.group(1)), int(m.group(2))) == (npairs, rounds), lines[-1]


def test_ipitest(qemu):
    con = boot(qemu, 4, "q35")
    check_ipitest(con.run("smp ipitest", timeout=IPITEST_TIMEOUT), 4, 50)
    check_ipitest(con.run("smp ipitest 5", timeout=IPITEST_TIMEOUT), 4, 5)
    assert len(con.banners) == 1
    assert con.alive()


# ---- 3: idle CPUs tick at HZ and halt ------------------------------------

def test_idle_ticks_and_halt(qemu):
    con = boot(qemu, 4, "pc")
    first, second = idle_window(con, 1.5)
    hz, w = second.hz, second.window_s
    bound = loop_bound(second)
    for a, b in zip(first.cpus, second.cpus):
        cpu = b["id"]
        assert b["online"] == 1
        for f in CPU_FIELDS[2:]:
            assert b[f] >= a[f], "cpu %d: %s went back: %s -> %s" % (
                cpu, f, a[f], b[f])
        ticks = b["ticks"] - a["ticks"]
        ratio = ticks / (hz * w)
        assert TICK_RATIO[0] <= ratio <= TICK_RATIO[1], (
            "cpu %d: %d ticks in %.3f s at hz %d (ratio %.3f)"
            % (cpu, ticks, w, hz, ratio))
        intrs = b["intrs"] - a["intrs"]
        assert intrs + 2 >= ticks, (
            "cpu %d: %d interrupts but %d timer ticks" % (cpu, intrs, ticks))
        assert b["busy"] < BUSY_MAX, "cpu %d busy %.1f %%" % (cpu, b["busy"])
        if cpu != 0:
            loops = b["loops"] - a["loops"]
            assert loops <= bound, (
                "cpu %d: %d loops in %.3f s (bound %.0f): not halting"
                % (cpu, loops, w, bound))
    assert len(con.banners) == 1


# ---- 4: the BSP halts too; console input wakes it -----------------------

def test_idle_bsp_console_interrupt(qemu):
    con = boot(qemu, 2, "q35")
    first, second = idle_window(con, 1.0)
    assert len(second.cpus) == 2
    bound = loop_bound(second)
    for a, b in zip(first.cpus, second.cpus):
        loops = b["loops"] - a["loops"]
        assert 0 <= loops <= bound, (
            "cpu %d: %d loops in %.3f s (bound %.0f): not halting"
            % (b["id"], loops, second.window_s, bound))

    time.sleep(1.0)
    t0 = time.monotonic()
    out = con.run("uptime")
    t1 = time.monotonic()
    assert len(out) == 1, out
    m = re.match(r"^uptime: (\d+) us$", out[0])
    assert m, out
    up = int(m.group(1))
    assert up > second.uptime_us
    # At least the 1 s idle since `cpus` sampled, less 25 % slack.
    assert up - second.uptime_us >= 0.75 * 1e6, (up, second.uptime_us)
    assert t1 - t0 < uc.CMD_TIMEOUT
    assert len(con.banners) == 1
    assert con.alive()


# ---- 5: a fault on one CPU stops them all with one PANIC ---------------

def test_fault_on_ap(qemu):
    con = boot(qemu, 4, "pc", expect_panic=True)
    assert con.run("fault --cpu 99 pf") == ["fault: no cpu 99"]
    assert con.panics == []
    out = con.run("uptime")
    assert len(out) == 1 and re.match(r"^uptime: \d+ us$", out[0]), out

    start = con.pos
    con.sendline("fault --cpu 2 pf")
    m = con.wait_for(PANIC_LINE_RE.pattern)
    assert int(m.group(1)) == 2, m.group(0)
    assert int(m.group(2)) == 14, m.group(0)
    assert m.group(3) == "#PF", m.group(0)
    status = con.expect_exit()
    assert status == PANIC_EXIT

    after = con.text[start:]
    lines = [uc.PROMPT_PREFIX_RE.sub("", ln) for ln in after.split("\n")]
    panics = [ln for ln in lines if ln.startswith("PANIC")]
    assert len(panics) == 1, "want exactly one PANIC line: %s" % panics
    assert after.count("PANIC") == 1, "PANIC text more than once"
    assert PANIC_LINE_RE.match(panics[0])
    assert len([ln for ln in lines if ln == "backtrace:"]) == 1, (
        "want exactly one backtrace (one dump)")
    assert len(con.panics) == 1
    assert len(con.banners) == 1
