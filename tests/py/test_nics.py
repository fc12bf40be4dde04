# SPDX-License-Identifier: BSD-2-Clause
"""Several virtio-net devices: each attaches as its own vtnet<unit>.

Every boot runs QEMU in a fresh namespace with one tap per NIC (tap<k>,
netdev n<k>, MAC 52:54:00:12:34:<56+k>), -m 128M, q35.  Each NIC has its
own device queue count Q_k (so one boot has NICs with more, as many and
fewer queues than CPUs) and RSS on or off.  Proves, for each row:
- the boot prints, in PCI order, `vtnet<k>: features ...` and `vtnet<k>:
  mac <its MAC>, <q_k> queue pairs (device max Q_k), rss .., ...` for
  every k, with q_k = min(smp, Q_k, virtio_net.queues); no line of one
  device carries another's name, and no other name appears;
- `vtnet units`: one line per unit with its ifnet index k+1, q_k queues,
  a run of exactly 2 q_k + 1 vectors, the runs disjoint and increasing,
  and `<n> units, 0 refused (at most 8)`;
- `netstat -i`: one block per NIC, in order, each with q_k queue rows,
  queue j on CPU j mod smp, and the rx/tx vectors `cpus` names
  `vtnet<k>-rx<j>` / `vtnet<k>-tx<j>` on that CPU, plus one
  `vtnet<k>-config` on CPU 0, inside the unit's run;
- `vtnet <k> rings` (and `vtnet vtnet<k> rings`) shows q_k rx and q_k tx
  queues; `vtnet <k> rss` a 128-entry table over exactly queues
  0..q_k-1 when that NIC negotiated RSS, `rss: not negotiated` otherwise;
- traffic stays per device: 200 frames from tap<k> raise vtnet<k>'s Ipkts
  by exactly 200 and no other NIC's; `vtnet <k> send 20` reaches tap<k>
  (exactly 20 frames for the NICs the stack does not use, at least 20
  on vtnet0, which lwIP also sends on) and no other tap;
- each NIC answers ping on its own subnet (vtnet<k>.ip=10.0.<2+k>.15/24,
  tap<k> 10.0.<2+k>.2/24; vtnet0 keeps ip=10.0.2.15/24), all in vnet 0,
  which `vnet` lists with every interface.

The default run takes three rows, one per -smp value (1, 2, 4) with 2, 3
and 4 NICs; `--full` adds the other six (smp, NICs) pairs and a
`virtio_net.queues=1` row.  Also proves, in the default run:
- a 9th NIC is refused with one line naming its PCI address and counted:
  `vtnet units` says `8 units, 1 refused`, `netstat -i` shows 8 blocks,
  and the 9th tap gets nothing from `vtnet 7 send`;
- vectors run out (-smp 12, 8 NICs of 12 queues, 160 device vectors):
  six NICs take 25 each, the 7th the last 10 (4 pairs, one line saying
  so), the 8th is not attached (one line) and shows as failed, and the
  7th still receives;
- memory is checked per NIC (-m 11M, 4 NICs): the first ones attach, the
  rest are refused with their own `not enough memory` line, no panic,
  READY, and the attached ones send.
About 17 s with KVM (35 s with --full).
"""

import re
import time

import pytest

MEM = "128M"
MACHINE = "q35"
BOOT_TIMEOUT = 120.0
MAX_UNITS = 8
RX_FRAMES = 200
RX_FLOWS = 8
TX_FRAMES = 20
SETTLE_TIMEOUT = 20.0
PINGS = 3
SUBNETS = 8             # NICs given an address: 10.0.2.0/24 .. 10.0.9.0/24

SMP_VALUES = (1, 2, 4)
NIC_VALUES = (2, 3, 4)

FEATURES_RE = re.compile(r"^(vtnet\d+): features(?: (.*))?$")
MACLINE_RE = re.compile(
    r"^(vtnet\d+): mac ([0-9a-f:]{17}), (\d+) queue pairs \(device max "
    r"(\d+)\), rss (on|off), hash report (on|off), link (up|down)$")
UNIT_RE = re.compile(r"^vtnet(\d+): if (\d+) queues (\d+) vectors (\d+)-(\d+) "
                     r"mac ([0-9a-f:]{17}) link (up|down)$")
UNITS_SUM_RE = re.compile(r"^vtnet: (\d+) units, (\d+) refused "
                          r"\(at most (\d+)\)$")
VECTOR_RE = re.compile(r"^vector (\d+) cpu (\d+) (\S+) intrs \d+$")
REFUSED_RE = re.compile(r"^vtnet: virtio-net device at pci "
                        r"[0-9a-f]{2}:[0-9a-f]{2}\.\d refused: at most 8 "
                        r"devices \(VTNET_MAX_UNITS\); (\d+) refused$")
NAME_RE = re.compile(r"\bvtnet\d+\b")


def mac_of(k):
    return "52:54:00:12:34:%02x" % (0x56 + k)


def queue_plan(smp, nics):
    """Device queue counts Q_k: above, equal to and below smp in turn."""
    above, equal, below = 2 * smp, smp, max(1, smp // 2)
    return [(above, equal, below)[k % 3] for k in range(nics)]


def rss_plan(nics):
    """RSS on for even units (with more than one queue it negotiates)."""
    return [k % 2 == 0 for k in range(nics)]


DEFAULT_ROWS = [(1, 2, 0), (2, 3, 0), (4, 4, 0)]
FULL_ROWS = [(s, n, 0) for s in SMP_VALUES for n in NIC_VALUES] + \
    [(4, 3, 1)]


def pytest_generate_tests(metafunc):
    if "nrow" in metafunc.fixturenames:
        rows = (FULL_ROWS if metafunc.config.getoption("--full")
                else DEFAULT_ROWS)
        metafunc.parametrize("nrow", rows, ids=[
            "smp%d-nics%d%s" % (s, n, "-cap%d" % c if c else "")
            for s, n, c in rows])


def test_rows():
    assert {r[0] for r in DEFAULT_ROWS} == set(SMP_VALUES)
    assert {r[1] for r in DEFAULT_ROWS} == set(NIC_VALUES)
    assert set(DEFAULT_ROWS) <= set(FULL_ROWS)
    # Each default row with more than one NIC per relation has them all.
    for smp, nics, _ in DEFAULT_ROWS:
        qs = queue_plan(smp, nics)
        if smp > 1 and nics >= 3:
            assert min(qs) < smp < max(qs) and smp in qs, qs


def guest_ip(k):
    """vtnet<k>'s address: 10.0.2.15 (the default) for vtnet0, 10.0.<2+k>.15
    (vtnet<k>.ip=) for the others; one /24 per NIC."""
    return "10.0.%d.15" % (2 + k)


def host_ip(k):
    return "10.0.%d.2" % (2 + k)


def boot_nics(qemu, ns, smp, queues, rss, cmdline="", mem=MEM):
    """Boots with one NIC per queues[k].  Every interface has an lwIP
    netif; those after vtnet0 get no IPv4 address by default, and here no
    IPv6 either (vtnetK.ip6=off), so the stack sends nothing on them and
    the frame counts on their taps are the test's own."""
    extra = []
    quiet = []
    for k, (q, r) in enumerate(zip(queues, rss)):
        extra += ns.virtio_net_args(q, rss=r and q > 1, tap="tap%d" % k,
                                    netdev_id="n%d" % k, mac=mac_of(k))
        if k < SUBNETS:
            ns.add_host_addr("%s/24" % host_ip(k), tap="tap%d" % k)
        if k > 0:
            quiet.append("vtnet%d.ip6=off" % k)
            if k < SUBNETS:
                quiet.append("vtnet%d.ip=%s/24" % (k, guest_ip(k)))
    cmdline = " ".join([cmdline] + quiet).strip()
    return qemu(machine=MACHINE, mem=mem, smp=smp, prefix=ns.prefix(),
                cmdline=cmdline, timeout=BOOT_TIMEOUT, extra=extra)


def netstat_blocks(con):
    """{name: [(queue, cpu, rxvec, txvec, ipkts, opkts)], ...} in order,
    and the total rows' (ipkts, opkts)."""
    blocks, totals, cur = {}, {}, None
    for line in con.run("netstat -i"):
        f = line.split()
        if not f or line.startswith("Name"):
            continue
        if NAME_RE.fullmatch(f[0]) and len(f) == 17:
            if f[1] == "total":
                totals[f[0]] = (int(f[5]), int(f[8]))
                continue
            if f[0] != cur:
                assert f[0] not in blocks, "%s twice" % f[0]
                cur = f[0]
                blocks[cur] = []
            blocks[cur].append(tuple(int(x) for x in f[1:5]) +
                               (int(f[5]), int(f[8])))
    assert list(blocks) == list(totals), (blocks, totals)
    return blocks, totals


def vectors(con):
    """{owner: (vector, cpu)} from `cpus`."""
    out = {}
    for line in con.run("cpus"):
        m = VECTOR_RE.match(line)
        if m:
            assert m.group(3) not in out, line
            out[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return out


def units(con):
    lines = con.run("vtnet units")
    assert lines, "vtnet units printed nothing"
    m = UNITS_SUM_RE.match(lines[-1])
    assert m, lines
    rows = [UNIT_RE.match(ln) for ln in lines[:-1]]
    assert all(rows), lines
    return [tuple(int(x) for x in r.groups()[:5]) + r.groups()[5:]
            for r in rows], tuple(int(x) for x in m.groups())


def check_boot_lines(boot, nics, want_q, queues, names):
    feats = [FEATURES_RE.match(ln) for ln in boot.lines]
    assert [m.group(1) for m in feats if m] == names, boot.lines
    macs = [MACLINE_RE.match(ln) for ln in boot.lines]
    macs = [m for m in macs if m]
    assert [m.group(1) for m in macs] == names, boot.lines
    for k, m in enumerate(macs):
        assert m.group(2) == mac_of(k), m.group(0)
        assert (int(m.group(3)), int(m.group(4))) == (want_q[k], queues[k]), \
            m.group(0)
    used = {n for ln in boot.lines for n in NAME_RE.findall(ln)}
    assert used == set(names), (used, names)


def check_units(con, nics, want_q):
    rows, (count, refused, most) = units(con)
    assert (count, refused, most) == (nics, 0, MAX_UNITS), rows
    last = -1
    for k, (unit, ifidx, q, v0, v1, mac, link) in enumerate(rows):
        assert (unit, ifidx, q, mac, link) == (k, k + 1, want_q[k],
                                               mac_of(k), "up"), rows[k]
        assert v1 - v0 + 1 == 2 * q + 1 and v0 > last, rows
        last = v1
    return rows


def check_queues_and_vectors(con, smp, want_q, unit_rows):
    blocks, _ = netstat_blocks(con)
    vecs = vectors(con)
    names = ["vtnet%d" % k for k in range(len(want_q))]
    assert list(blocks) == names, blocks
    for k, name in enumerate(names):
        rows = blocks[name]
        _, _, _, v0, v1, _, _ = unit_rows[k]
        assert [r[0] for r in rows] == list(range(want_q[k])), rows
        for q, cpu, rxv, txv, _, _ in rows:
            assert cpu == q % smp, (name, rows)
            assert vecs["%s-rx%d" % (name, q)] == (rxv, cpu), (name, q)
            assert vecs["%s-tx%d" % (name, q)] == (txv, cpu), (name, q)
            assert v0 <= rxv <= v1 and v0 <= txv <= v1
        cfg = vecs["%s-config" % name]
        assert cfg[1] == 0 and v0 <= cfg[0] <= v1, cfg
    owners = [o for o in vecs if o.startswith("vtnet")]
    assert len(owners) == sum(2 * q + 1 for q in want_q), owners


def check_rings_and_rss(con, want_q, rss_on):
    for k, q in enumerate(want_q):
        for arg in ("%d" % k, "vtnet%d" % k):
            text = "\n".join(con.run("vtnet %s rings" % arg))
            rx = set(re.findall(r"^rx(\d+): avail ", text, re.M))
            tx = set(re.findall(r"^tx(\d+): avail ", text, re.M))
            assert rx == tx == {str(j) for j in range(q)}, (k, text)
        lines = con.run("vtnet %d rss" % k)
        if not rss_on[k]:
            assert lines == ["rss: not negotiated"], (k, lines)
            continue
        table = lines[-1].split()[2:]
        assert lines[-1].startswith("rss: table ") and len(table) == 128
        assert {int(x) for x in table} == set(range(q)), (k, lines[-1])


def settle(fn, done, timeout=SETTLE_TIMEOUT):
    """fn()'s value once done(value), or its last one after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if done(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def check_traffic(con, ns, nics):
    names = ["vtnet%d" % k for k in range(nics)]
    taps = ["tap%d" % k for k in range(nics)]
    for k in range(nics):
        _, before = netstat_blocks(con)
        sent = ns.send_frames(RX_FLOWS, RX_FRAMES, tap=taps[k])
        sent.wait_drained()
        want = {n: before[n][0] + (RX_FRAMES if j == k else 0)
                for j, n in enumerate(names)}
        got = settle(lambda: {n: t[0] for n, t in
                              netstat_blocks(con)[1].items()},
                     lambda g: g == want)
        assert got == want, (k, before, got)
    for k in range(nics):
        before = [ns.stats(t)["rx_packets"] for t in taps]
        out = con.run("vtnet %d send %d" % (k, TX_FRAMES))
        assert out == ["vtnet send: %d sent, 0 refused (ring full)"
                       % TX_FRAMES], out
        # lwIP may send on vtnet0 (tap0) at any time: at least, there.
        want = [TX_FRAMES if j == k else 0 for j in range(nics)]
        got = settle(lambda: [ns.stats(t)["rx_packets"] - b
                              for t, b in zip(taps, before)],
                     lambda g: g[1:] == want[1:] and g[0] >= want[0])
        assert got[1:] == want[1:] and got[0] >= want[0], (k, got)


@pytest.mark.requires_tap
def test_nics(qemu, netns, nrow):
    smp, nics, cap = nrow
    queues = queue_plan(smp, nics)
    rss = rss_plan(nics)
    want_q = [min(smp, q, cap or q) for q in queues]
    names = ["vtnet%d" % k for k in range(nics)]
    con = boot_nics(qemu, netns, smp, queues, rss,
                    cmdline="virtio_net.queues=%d" % cap if cap else "")
    check_boot_lines(con.boot, nics, want_q, queues, names)
    unit_rows = check_units(con, nics, want_q)
    check_queues_and_vectors(con, smp, want_q, unit_rows)
    rss_on = [r and q > 1 for r, q in zip(rss, queues)]
    check_rings_and_rss(con, want_q, rss_on)
    check_traffic(con, netns, nics)
    check_ping(con, netns, nics)
    assert con.alive()


def check_ping(con, ns, nics):
    """Each NIC answers ping on its own subnet, all in vnet 0."""
    for k in range(nics):
        p = ns.ping(guest_ip(k), PINGS, interval=0.05)
        assert p.received == PINGS, (k, p)
    v = con.run("vnet")
    assert v[0].startswith("vnet 0: interfaces %s " % ",".join(
        "vtnet%d" % k for k in range(nics))), v


@pytest.mark.requires_tap
def test_ninth_nic_refused(qemu, netns):
    n = MAX_UNITS + 1
    con = boot_nics(qemu, netns, 1, [1] * n, [False] * n)
    refused = [REFUSED_RE.match(ln) for ln in con.boot.lines]
    refused = [m for m in refused if m]
    assert [m.group(1) for m in refused] == ["1"], con.boot.lines
    rows, summary = units(con)
    assert summary == (MAX_UNITS, 1, MAX_UNITS), summary
    assert [r[0] for r in rows] == list(range(MAX_UNITS))
    blocks, _ = netstat_blocks(con)
    assert list(blocks) == ["vtnet%d" % k for k in range(MAX_UNITS)]
    assert con.run("vtnet 8 rss") == ["vtnet: no device vtnet8 (8 found)"]
    before = [netns.stats(t)["rx_packets"] for t in ("tap7", "tap8")]
    assert con.run("vtnet 7 send %d" % TX_FRAMES) == [
        "vtnet send: %d sent, 0 refused (ring full)" % TX_FRAMES]
    got = settle(lambda: netns.stats("tap7")["rx_packets"] - before[0],
                 lambda g: g == TX_FRAMES)
    assert got == TX_FRAMES
    assert netns.stats("tap8")["rx_packets"] == before[1]
    assert con.alive()


VEC_DYN = 0xef - 0x50 + 1     # device vectors (arch/x86_64/vectors.h)
BIG_SMP = 12
VEC_RE = re.compile(r"^(vtnet\d+): only (\d+) interrupt vectors left; "
                    r"using (\d+) of (\d+) queue pairs$")
NOVEC_RE = re.compile(r"^(vtnet\d+): only (\d+) interrupt vectors left, 3 "
                      r"needed \(rx0, tx0, config\); not attached$")


def vector_plan(smp, nics, avail=VEC_DYN):
    """Queue pairs each NIC gets as vectors run out (0: not attached)."""
    got = []
    for _ in range(nics):
        q = min(smp, (avail - 1) // 2) if avail >= 3 else 0
        got.append(q)
        avail -= 2 * q + 1 if q else 0
    return got


def test_vector_plan():
    assert vector_plan(BIG_SMP, MAX_UNITS) == [12] * 6 + [4, 0]
    assert vector_plan(4, MAX_UNITS) == [4] * MAX_UNITS


@pytest.mark.requires_tap
def test_vectors_run_out(qemu, netns):
    """-smp 12, 8 NICs of 12 queues: 6 take 25 vectors each, the 7th the
    last 10 (4 pairs, said once), the 8th none (not attached, said once);
    the seven that attached run, each with its own traffic."""
    want = vector_plan(BIG_SMP, MAX_UNITS)
    con = qemu(machine=MACHINE, mem="512M", smp=BIG_SMP, prefix=netns.prefix(),
               timeout=BOOT_TIMEOUT, extra=sum(
                   (netns.virtio_net_args(BIG_SMP, tap="tap%d" % k,
                                          netdev_id="n%d" % k, mac=mac_of(k))
                    for k in range(MAX_UNITS)), []))
    lines = con.boot.lines
    trims = [VEC_RE.match(ln).groups() for ln in lines if VEC_RE.match(ln)]
    assert trims == [("vtnet6", "10", "4", "12")], trims
    none = [NOVEC_RE.match(ln).groups() for ln in lines
            if NOVEC_RE.match(ln)]
    assert none == [("vtnet7", "1")], none
    out = con.run("vtnet units")
    assert out[-2:] == ["vtnet7: failed",
                        "vtnet: 8 units, 0 refused (at most 8)"], out
    rows = [UNIT_RE.match(ln) for ln in out[:-2]]
    assert [int(r.group(3)) for r in rows] == want[:-1], out
    assert int(rows[-1].group(5)) == 0x50 + VEC_DYN - 2, out
    blocks, _ = netstat_blocks(con)
    assert [len(blocks["vtnet%d" % k]) for k in range(MAX_UNITS - 1)] == \
        want[:-1]
    assert con.run("vtnet 7 rss") == ["vtnet: vtnet7 failed to attach"]
    sent = netns.send_frames(RX_FLOWS, RX_FRAMES, tap="tap6")
    sent.wait_drained()
    got = settle(lambda: netstat_blocks(con)[1]["vtnet6"][0],
                 lambda g: g == RX_FRAMES)
    assert got == RX_FRAMES
    assert con.alive()


SMALL_MEM = "11M"  # 9M before the second lwIP copy (test_memory.py)
NOMEM_RE = re.compile(r"^(vtnet\d+): not enough memory: one queue pair of "
                      r"\d+ entries needs \d+ KiB and \d+ KiB are free")


@pytest.mark.requires_tap
def test_memory_per_nic(qemu, netns):
    """-m 11M, 4 one-queue NICs: memory is checked per NIC, each after the
    ones before it: the first attaches, the ones that do not fit are
    refused with their own line (no panic) and show as failed, the kernel
    still prints READY and the attached ones run."""
    nics = 4
    con = boot_nics(qemu, netns, 1, [1] * nics, [False] * nics,
                    mem=SMALL_MEM)
    lines = con.boot.lines
    attached = [MACLINE_RE.match(ln).group(1) for ln in lines
                if MACLINE_RE.match(ln)]
    nomem = [NOMEM_RE.match(ln).group(1) for ln in lines
             if NOMEM_RE.match(ln)]
    names = ["vtnet%d" % k for k in range(nics)]
    assert attached and nomem, lines
    assert attached + nomem == names, (attached, nomem)
    out = con.run("vtnet units")
    assert out[len(attached):] == ["%s: failed" % n for n in nomem] + [
        "vtnet: %d units, 0 refused (at most 8)" % nics], out
    blocks, _ = netstat_blocks(con)
    assert list(blocks) == attached
    k = len(attached) - 1
    before = netns.stats("tap%d" % k)["rx_packets"]
    assert con.run("vtnet %d send %d" % (k, TX_FRAMES)) == [
        "vtnet send: %d sent, 0 refused (ring full)" % TX_FRAMES]
    got = settle(lambda: netns.stats("tap%d" % k)["rx_packets"] - before,
                 lambda g: g >= TX_FRAMES)
    assert got >= TX_FRAMES     # vtnet0 (k = 0) also carries lwIP's
    assert con.alive()
