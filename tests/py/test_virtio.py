# SPDX-License-Identifier: BSD-2-Clause
"""The virtio-net driver: queues, vectors, RSS steering, counters, link.

Every test runs QEMU inside a fresh network namespace with a multiqueue
tap (the `netns` fixture) and sends frames only on that tap.  Proves
(-m 128M, direct boots, virtio-net-pci with mq=on and 2N+2 MSI-X vectors):
- for -smp {1,2,4} x netdev queues {1,2,4} x rss {rss=on,hash=on | off} x
  disable-legacy {on, off} (all 36 under --full; a deterministic pairwise
  subset of 9 otherwise), q35 and pc alternating: the boot prints the
  negotiated features and `vtnet0: mac 52:54:00:12:34:56, <q> queue pairs
  (device max <N>), rss .., hash report .., link up` with q = min(smp, N),
  then `READY cpus=<smp> queues=<q> ip=none mac=52:54:00:12:34:56`; the
  features agree with the device (MQ and CTRL_VQ whenever q > 1; RSS when
  rss=on and q > 1; HASH_REPORT iff hash=on; VERSION_1 when the device is
  modern-only); `netstat -i` has exactly q queue rows 0..q-1, queue k on
  cpu k mod smp, and a total row that is their sum; `cpus` lists each
  queue's rx and tx vector (the ones netstat shows) on cpu k mod smp, and
  a config vector; `vtnet rss` shows an 80-hex-digit key and a
  128-entry table using exactly queues 0..q-1, or `rss: not negotiated`;
- 10,000 IPv4/UDP frames over 64 flows from the tap: Ipkts grows by
  exactly 10,000 and Ibytes by 10,000 frame lengths, no drops anywhere
  (guest idrops, the tap's tx_dropped), the tap handed QEMU exactly those
  frames; with RSS (smp 4, 4 queues) more than one queue received, every
  frame was hashed and every queue that received took interrupts on its
  own CPU; without RSS (smp 2, 2 queues) still exactly 10,000, none
  hashed;
- with rss=on,hash=on (smp 4, 4 queues): `vtnet flows` lists exactly the
  64 flows sent, each on exactly one queue, that queue being
  table[hash & 127] of `vtnet rss`, its hash the Toeplitz hash (frames.py,
  under the key `vtnet rss` shows) of its 4-tuple with type 3 (UDPv4), its
  frame count exactly what was sent on it (summing to 10,000), and the
  flows' frames per queue equal to netstat's per-queue Ipkts;
- `set_link n0 off` / `on` on the QEMU monitor: the guest prints
  `vtnet0: link down` then `vtnet0: link up`, netstat shows the link down
  in between, and `link changes` grows by exactly 2;
- 1,200 frames over 600 flows through one queue overflow its 256-slot
  diagnostic flow table: the frames past it are counted untracked, and
  the table looked at no more than 8 slots a frame (`probes`; before, all
  256 for every untracked frame).

Also checks its own tools without QEMU: the Toeplitz hash against the
published vectors, the frame layout, and that the default matrix covers
every pair of factor values.
"""

import re
import time

import pytest

import frames
import unisr_console as uc
from test_smp import CpuStats

MEM = "128M"
MAC = frames.GUEST_MAC
BOOT_TIMEOUT = 60.0
BOOT_TIMEOUT_BIG = 120.0    # -smp 4 under TCG
SETTLE_TIMEOUT = 60.0       # counters reach their final value
SETTLE_RECHECK = 1.0        # ... and stay there this long
FLOWS = 64
FRAMES = 10000

READY_FMT = "READY cpus=%d queues=%d ip=10.0.2.15/24 mac=" + MAC
FEATURE_NAMES = ("VERSION_1", "MAC", "STATUS", "MRG_RXBUF", "CSUM",
                 "GUEST_CSUM", "CTRL_VQ", "MQ", "RSS", "HASH_REPORT",
                 "EVENT_IDX", "INDIRECT_DESC", "MTU", "GUEST_TSO4",
                 "GUEST_TSO6", "HOST_TSO4", "HOST_TSO6")
FEATURES_RE = re.compile(r"^vtnet0: features(?: (.*))?$")
MACLINE_RE = re.compile(
    r"^vtnet0: mac ([0-9a-f:]{17}), (\d+) queue pairs \(device max (\d+)\), "
    r"rss (on|off), hash report (on|off), link (up|down)$")
LINK_RE = re.compile(r"^vtnet0: link (up|down), link changes (\d+)$")
# netstat -i ends with the link line and then the rx drop reasons.
# Every rx drop reason: vtnet_rx_hdr_check()'s (vtnet_hdr.h), then the
# frames over the MTU and the refills that failed.
DROPS_RE = re.compile(
    r"^vtnet0: rx drops short (\d+) num-buffers (\d+) merged (\d+) "
    r"gso (\d+) flags (\d+) csum-start (\d+) csum-offset (\d+) "
    r"hash-report (\d+) oversize (\d+) refill (\d+)$")
COUNTERS = ("ipkts", "ibytes", "idrops", "opkts", "obytes", "odrops",
            "intrs", "polls", "refills", "full", "csum", "hashed")
RSS_KEY_RE = re.compile(r"^rss: key ([0-9a-f]{80})$")
RSS_TYPES_RE = re.compile(r"^rss: types 0x([0-9a-f]+)$")
RSS_TABLE_PREFIX = "rss: table "
FLOW_RE = re.compile(
    r"^flow udp (\d+\.\d+\.\d+\.\d+):(\d+) -> (\d+\.\d+\.\d+\.\d+):(\d+) "
    r"queue (\d+) hash (0x[0-9a-f]{8}|none) type (\d+) frames (\d+)$")
FLOWS_SUM_RE = re.compile(r"^flows: (\d+) flows, (\d+) frames"
                          r"(?: untracked (\d+))? probes (\d+)$")
FLOW_PROBES = 8             # table slots looked at per frame, at most


# ---- the matrix ----------------------------------------------------------

SMP_VALUES = (1, 2, 4)
QUEUE_VALUES = (1, 2, 4)
RSS_VALUES = (True, False)
LEGACY_VALUES = (False, True)      # disable-legacy=on, disable-legacy=off
MACHINES = ("q35", "pc")


def pairwise_matrix():
    """9 (smp, queues, rss, legacy) rows covering every pair of values.

    Generated deterministically from the L9 orthogonal array (rows a, b,
    a+b, a+2b mod 3 for a, b in 0..2), whose any two columns hold all 9
    pairs of levels; the two 2-valued factors take levels 0,1,2 as values
    0,1,0, which keeps every pair covered.  pairwise_missing() checks it.
    """
    rows = []
    for a in range(3):
        for b in range(3):
            c, d = (a + b) % 3, (a + 2 * b) % 3
            rows.append((SMP_VALUES[a], QUEUE_VALUES[b],
                         RSS_VALUES[c % 2], LEGACY_VALUES[d % 2]))
    return rows


def pairwise_missing(rows):
    """Pairs of factor values that no row covers (should be none)."""
    factors = (SMP_VALUES, QUEUE_VALUES, RSS_VALUES, LEGACY_VALUES)
    missing = []
    for i in range(len(factors)):
        for j in range(i + 1, len(factors)):
            have = {(r[i], r[j]) for r in rows}
            missing += [(i, x, j, y) for x in factors[i] for y in factors[j]
                        if (x, y) not in have]
    return missing


DEFAULT_MATRIX = pairwise_matrix()
FULL_MATRIX = [(s, q, r, lg) for s in SMP_VALUES for q in QUEUE_VALUES
               for r in RSS_VALUES for lg in LEGACY_VALUES]
assert not pairwise_missing(DEFAULT_MATRIX), pairwise_missing(DEFAULT_MATRIX)


def with_machines(rows):
    """Alternate q35 and pc down the list."""
    return [r + (MACHINES[i % 2],) for i, r in enumerate(rows)]


def combo_id(c):
    smp, queues, rss, legacy, machine = c
    return "smp%d-q%d-%s-%s-%s" % (smp, queues, "rss" if rss else "norss",
                                   "legacy" if legacy else "modern", machine)


def pytest_generate_tests(metafunc):
    if "vcombo" in metafunc.fixturenames:
        rows = with_machines(FULL_MATRIX if metafunc.config.getoption("--full")
                             else DEFAULT_MATRIX)
        metafunc.parametrize("vcombo", rows, ids=[combo_id(c) for c in rows])


# ---- helpers -------------------------------------------------------------

def boot_timeout(smp):
    return BOOT_TIMEOUT_BIG if smp >= 4 else BOOT_TIMEOUT


def boot_net(qemu, ns, smp, queues, rss=False, legacy=True, machine="pc",
             monitor=False, device_opts="", cmdline=""):
    return qemu(machine=machine, mem=MEM, smp=smp, prefix=ns.prefix(),
                cmdline=cmdline,
                monitor=monitor, timeout=boot_timeout(smp),
                extra=ns.virtio_net_args(queues, rss=rss, legacy=legacy,
                                         device_opts=device_opts))


class NicInfo:
    """The driver's two boot lines."""

    def __init__(self, boot):
        feats = [FEATURES_RE.match(ln) for ln in boot.lines]
        feats = [m for m in feats if m]
        assert len(feats) == 1, "want one 'vtnet0: features' line: %s" % (
            boot.lines)
        self.features = (feats[0].group(1) or "").split()
        unknown = [f for f in self.features if f not in FEATURE_NAMES]
        assert not unknown, "unknown feature names %s" % unknown
        assert len(set(self.features)) == len(self.features), self.features
        macs = [MACLINE_RE.match(ln) for ln in boot.lines]
        macs = [m for m in macs if m]
        assert len(macs) == 1, "want one 'vtnet0: mac' line: %s" % boot.lines
        m = macs[0]
        self.mac = m.group(1)
        self.pairs, self.max_pairs = int(m.group(2)), int(m.group(3))
        self.rss, self.hash = m.group(4) == "on", m.group(5) == "on"
        self.link = m.group(6)


class Row:
    def __init__(self, f, line):
        self.line = line
        self.queue = None if f[1] == "total" else int(f[1])
        head = f[2:5]
        if self.queue is None:
            assert head == ["-", "-", "-"], "bad total row: %r" % line
            self.cpu = self.rxvec = self.txvec = None
        else:
            self.cpu, self.rxvec, self.txvec = (int(x) for x in head)
        for name, v in zip(COUNTERS, f[5:]):
            setattr(self, name, int(v))


class Netstat:
    """One `netstat -i`: queue rows, the total row, link state."""

    def __init__(self, lines):
        # The checksum-completion / buffer-return line, the large
        # segments' lines (rx gso ...), the TSO line and the transmit
        # completions line (tx done ...) are informational.
        lines = [x for x in lines if not x.startswith(
            ("vtnet0: rx csum ", "vtnet0: rx gso ", "vtnet0: tx tso ",
             "vtnet0: tx done "))]
        assert lines and DROPS_RE.match(lines[-1]), (
            "netstat -i: last line not the rx drop reasons: %s" % lines)
        self.drop_reasons = tuple(int(x) for x in
                                  DROPS_RE.match(lines[-1]).groups())
        lines = lines[:-1]
        self.lines = lines
        assert lines and lines[0].startswith("Name"), (
            "netstat -i: no header line: %s" % lines)
        assert len(lines) >= 3, "netstat -i too short: %s" % lines
        m = LINK_RE.match(lines[-1])
        assert m, "netstat -i: last line not the link line: %s" % lines
        self.link, self.link_changes = m.group(1), int(m.group(2))
        self.rows = []
        self.total = None
        for line in lines[1:-1]:
            f = line.split()
            assert len(f) == 5 + len(COUNTERS) and f[0] == "vtnet0", (
                "malformed netstat -i row: %r" % line)
            assert all(x.isdigit() for x in f[5:]), line
            if f[1] == "total":
                assert self.total is None, "two total rows: %s" % lines
                self.total = Row(f, line)
            else:
                assert self.total is None, "queue row after total: %s" % lines
                assert f[1].isdigit(), "bad queue number: %r" % line
                self.rows.append(Row(f, line))
        assert self.total is not None, "no total row: %s" % lines

    def check_sums(self):
        for name in COUNTERS:
            s = sum(getattr(r, name) for r in self.rows)
            assert s == getattr(self.total, name), (
                "total %s %d but the queues add up to %d:\n%s"
                % (name, getattr(self.total, name), s,
                   "\n".join(self.lines)))

    def delta(self, before, name):
        """Per-queue increase of counter `name` since `before`."""
        assert [r.queue for r in before.rows] == [r.queue for r in self.rows]
        return [getattr(a, name) - getattr(b, name)
                for a, b in zip(self.rows, before.rows)]


def netstat(con):
    return Netstat(con.run("netstat -i"))


class RssInfo:
    """`vtnet rss`: None fields when not negotiated."""

    def __init__(self, lines):
        self.lines = lines
        self.key = self.types = self.table = None
        if lines == ["rss: not negotiated"]:
            return
        assert len(lines) == 3, "vtnet rss: want key, types, table: %s" % (
            lines,)
        m = RSS_KEY_RE.match(lines[0])
        assert m, "bad rss key line: %r" % lines[0]
        self.key = bytes.fromhex(m.group(1))
        m = RSS_TYPES_RE.match(lines[1])
        assert m, "bad rss types line: %r" % lines[1]
        self.types = int(m.group(1), 16)
        assert lines[2].startswith(RSS_TABLE_PREFIX), lines[2]
        f = lines[2][len(RSS_TABLE_PREFIX):].split(" ")
        assert len(f) == 128 and all(x.isdigit() for x in f), (
            "rss table not 128 queue numbers: %r" % lines[2])
        self.table = [int(x) for x in f]

    @property
    def negotiated(self):
        return self.key is not None


def vtnet_rss(con):
    return RssInfo(con.run("vtnet rss"))


def vtnet_flows(con):
    """([(src, sport, dst, dport, queue, hash|None, type, frames)], summary)"""
    lines = con.run("vtnet flows", timeout=30)
    assert lines, "vtnet flows printed nothing"
    m = FLOWS_SUM_RE.match(lines[-1])
    assert m, "bad flows summary line: %r" % lines[-1]
    summary = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    flows = []
    for line in lines[:-1]:
        f = FLOW_RE.match(line)
        assert f, "malformed flow line: %r" % line
        h = None if f.group(6) == "none" else int(f.group(6), 16)
        flows.append((f.group(1), int(f.group(2)), f.group(3),
                      int(f.group(4)), int(f.group(5)), h, int(f.group(7)),
                      int(f.group(8))))
    vtnet_flows.probes = int(m.group(4))
    assert summary[0] == len(flows), (
        "summary says %d flows, %d listed" % (summary[0], len(flows)))
    if summary[2] == 0:
        assert summary[1] == sum(f[7] for f in flows), (
            "summary says %d frames, the flows add up to %d"
            % (summary[1], sum(f[7] for f in flows)))
    return flows, summary


def wait_ipkts(con, before, want, timeout=SETTLE_TIMEOUT):
    """Poll netstat -i until Ipkts has grown by `want`; check it stays."""
    deadline = time.monotonic() + timeout
    while True:
        now = netstat(con)
        got = now.total.ipkts - before.total.ipkts
        assert got <= want, "Ipkts grew by %d, only %d sent:\n%s" % (
            got, want, "\n".join(now.lines))
        if got == want:
            break
        assert time.monotonic() < deadline, (
            "Ipkts grew by %d of %d in %.0f s:\n%s"
            % (got, want, timeout, "\n".join(now.lines)))
        time.sleep(0.5)
    time.sleep(SETTLE_RECHECK)
    now = netstat(con)
    got = now.total.ipkts - before.total.ipkts
    assert got == want, "Ipkts grew on to %d (want %d):\n%s" % (
        got, want, "\n".join(now.lines))
    return now


def vector_map(st):
    """{owner: vector dict} of a CpuStats; owners must be unique."""
    owners = [v["owner"] for v in st.vectors]
    assert len(set(owners)) == len(owners), "owner listed twice: %s" % owners
    return {v["owner"]: v for v in st.vectors}


# ---- 0: the test's own tools (no QEMU, no tap) ---------------------------

def test_toeplitz_vectors():
    frames.check_toeplitz()
    for src, sport, dst, dport, h2, h4 in frames.TOEPLITZ_VECTORS:
        assert frames.toeplitz_ipv4(src, dst) == h2
        assert frames.toeplitz_ipv4(src, dst, sport, dport) == h4
        assert frames.Flow(src, sport, dst, dport).hash() == h4


def test_udp_frame_format():
    f = frames.udp_frame("10.77.0.2", "10.77.0.1", 40000, 9, b"x" * 32)
    assert len(f) == 14 + 20 + 8 + 32
    assert f[:6] == frames.mac_bytes(MAC)
    assert frames.inet_checksum(f[14:34]) == 0          # header checksum ok
    assert f[40:42] == b"\0\0"                          # no UDP checksum
    assert frames.parse_udp_frame(f) == ("10.77.0.2", "10.77.0.1", 40000, 9)
    assert len(frames.udp_frame("1.2.3.4", "5.6.7.8", 1, 2)) == 60
    assert frames.flow_plan(FLOWS, FRAMES)[:2] == [157, 157]
    assert frames.flow_plan(FLOWS, FRAMES)[-1] == 156
    assert sum(frames.flow_plan(FLOWS, FRAMES)) == FRAMES
    assert len({f.key for f in frames.make_flows(FLOWS)}) == FLOWS


def test_pairwise_matrix():
    assert len(DEFAULT_MATRIX) == 9
    assert len(set(DEFAULT_MATRIX)) == 9
    assert set(DEFAULT_MATRIX) <= set(FULL_MATRIX)
    assert len(FULL_MATRIX) == 36
    assert pairwise_missing(DEFAULT_MATRIX) == []
    assert pairwise_missing(DEFAULT_MATRIX[1:]) != []
    rows = with_machines(DEFAULT_MATRIX)
    assert [r[4] for r in rows].count("q35") in (4, 5)


# ---- 1: queues, vectors and features over the matrix --------------------

@pytest.mark.requires_tap
def test_virtio_matrix(qemu, netns, vcombo):
    smp, queues, rss, legacy, machine = vcombo
    q = min(smp, queues)
    con = boot_net(qemu, netns, smp, queues, rss, legacy, machine)
    b = con.boot
    assert len(b.banners) == 1, b.lines
    assert b.ready == [READY_FMT % (smp, q)], b.ready

    nic = NicInfo(b)
    feats = set(nic.features)
    assert nic.mac == MAC
    assert (nic.pairs, nic.max_pairs) == (q, queues), (
        "want %d queue pairs (device max %d): %s" % (q, queues, b.lines))
    assert nic.link == "up"
    assert "MAC" in feats, nic.features
    if not legacy:
        assert "VERSION_1" in feats, (
            "modern-only device without VERSION_1: %s" % nic.features)
    if q > 1:
        assert {"MQ", "CTRL_VQ"} <= feats, (
            "%d queue pairs need MQ and CTRL_VQ: %s" % (q, nic.features))
    assert nic.rss == ("RSS" in feats), (nic.rss, nic.features)
    assert nic.hash == ("HASH_REPORT" in feats), (nic.hash, nic.features)
    if rss:
        assert nic.hash, "hash=on but no hash report: %s" % nic.features
        if q > 1:
            assert nic.rss, "rss=on, %d queues, no RSS: %s" % (
                q, nic.features)
    else:
        assert not nic.rss and not nic.hash, nic.features
    feat_at = b.index(lambda ln: ln.startswith("vtnet0: features"))
    mac_at = b.index(lambda ln: ln.startswith("vtnet0: mac "))
    ready_at = b.index(lambda ln: ln.startswith("READY"))
    assert feat_at < mac_at < ready_at, b.lines

    ns = netstat(con)
    assert ns.link == "up"
    assert [r.queue for r in ns.rows] == list(range(q)), ns.lines
    for r in ns.rows:
        assert r.cpu == r.queue % smp, "queue %d on cpu %d, want %d" % (
            r.queue, r.cpu, r.queue % smp)
    vecs = [r.rxvec for r in ns.rows] + [r.txvec for r in ns.rows]
    ns.check_sums()
    assert ns.total.idrops == 0 and ns.total.odrops == 0, ns.lines

    st = CpuStats(con.run("cpus"))
    assert len(st.cpus) == smp
    owners = vector_map(st)
    for r in ns.rows:
        for kind, vec in (("rx", r.rxvec), ("tx", r.txvec)):
            owner = "vtnet0-%s%d" % (kind, r.queue)
            assert owner in owners, "no %s vector in cpus: %s" % (
                owner, st.vectors)
            v = owners[owner]
            assert v["vector"] == vec, (
                "%s: vector %d in cpus, %d in netstat" % (owner, v["vector"],
                                                          vec))
            assert v["cpu"] == r.queue % smp, (
                "%s on cpu %d, want %d" % (owner, v["cpu"], r.queue % smp))
    # Queues on one CPU need distinct vectors there.
    assert len({(r.cpu, v) for r in ns.rows for v in (r.rxvec, r.txvec)}) \
        == len(vecs), ns.lines
    assert "vtnet0-config" in owners, st.vectors
    queue_owners = sorted(o for o in owners
                          if re.match(r"^vtnet0-(rx|tx)\d+$", o))
    assert queue_owners == sorted(
        ["vtnet0-rx%d" % k for k in range(q)]
        + ["vtnet0-tx%d" % k for k in range(q)]), queue_owners

    info = vtnet_rss(con)
    assert info.negotiated == nic.rss, info.lines
    if info.negotiated:
        assert sorted(set(info.table)) == list(range(q)), (
            "rss table must use exactly queues 0..%d: %s" % (q - 1,
                                                            info.table))
    assert len(con.banners) == 1
    assert con.alive()


# ---- 2: 10,000 frames over 64 flows -------------------------------------

@pytest.mark.requires_tap
@pytest.mark.parametrize("smp,queues,rss,machine", [
    (4, 4, True, "q35"),
    (2, 2, False, "pc"),
], ids=["smp4-q4-rss-q35", "smp2-q2-norss-pc"])
def test_virtio_rx_10k(qemu, netns, smp, queues, rss, machine):
    con = boot_net(qemu, netns, smp, queues, rss=rss, machine=machine)
    q = min(smp, queues)
    assert con.boot.ready == [READY_FMT % (smp, q)], con.boot.ready
    before = netstat(con)
    assert len(before.rows) == q, before.lines

    sent = netns.send_frames(FLOWS, FRAMES)
    after = wait_ipkts(con, before, FRAMES)
    tap = sent.wait_drained()
    assert tap["tx_packets"] == FRAMES and tap["tx_dropped"] == 0, tap

    after.check_sums()
    ib = after.total.ibytes - before.total.ibytes
    assert ib == FRAMES * sent.frame_len, (
        "Ibytes grew by %d, want %d x %d bytes" % (ib, FRAMES,
                                                   sent.frame_len))
    assert after.total.idrops == 0, after.lines
    assert after.total.odrops == 0, after.lines
    per_queue = after.delta(before, "ipkts")
    assert all(n >= 0 for n in per_queue), per_queue
    hashed = after.total.hashed - before.total.hashed
    if rss:
        busy = [k for k, n in enumerate(per_queue) if n > 0]
        assert len(busy) > 1, (
            "RSS put all %d frames on queue(s) %s:\n%s"
            % (FRAMES, busy, "\n".join(after.lines)))
        assert hashed == FRAMES, "hashed grew by %d, want %d" % (hashed,
                                                                 FRAMES)
    else:
        assert hashed == 0, "hashed grew by %d without hash report" % hashed

    # Every queue that received took interrupts, on its own CPU.
    st = CpuStats(con.run("cpus"))
    owners = vector_map(st)
    for r, n in zip(after.rows, per_queue):
        if n == 0:
            continue
        assert r.intrs > 0, "queue %d got %d frames, 0 intrs" % (r.queue, n)
        v = owners["vtnet0-rx%d" % r.queue]
        assert v["cpu"] == r.queue % smp, v
        assert v["intrs"] > 0, "rx%d vector never fired: %s" % (r.queue, v)
    assert len(con.banners) == 1
    assert con.alive()


# ---- 3: RSS steering, flow by flow --------------------------------------

@pytest.mark.requires_tap
def test_virtio_rss_flows(qemu, netns):
    smp = queues = 4
    con = boot_net(qemu, netns, smp, queues, rss=True, machine="pc")
    assert con.boot.ready == [READY_FMT % (smp, queues)], con.boot.ready
    info = vtnet_rss(con)
    assert info.negotiated, "rss=on, 4 queues: %s" % info.lines
    assert info.types & frames.RSS_TYPE_UDPV4, (
        "UDPv4 not among the hash types 0x%x" % info.types)
    assert sorted(set(info.table)) == list(range(queues)), info.table
    flows0, summary0 = vtnet_flows(con)
    assert (flows0, summary0) == ([], (0, 0, 0)), (flows0, summary0)
    before = netstat(con)

    sent = netns.send_frames(FLOWS, FRAMES)
    after = wait_ipkts(con, before, FRAMES)
    sent.wait_drained()

    flows, summary = vtnet_flows(con)
    assert summary == (FLOWS, FRAMES, 0), summary
    want = sent.by_key()
    keys = [f[:4] for f in flows]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, "flows seen on more than one queue: %s" % [
        f for f in flows if f[:4] in dup]
    assert sorted(keys) == sorted(want), (
        "flows listed %s, sent %s" % (sorted(keys), sorted(want)))
    per_queue = [0] * queues
    for src, sport, dst, dport, queue, h, htype, n in flows:
        name = "%s:%d -> %s:%d" % (src, sport, dst, dport)
        expect = frames.toeplitz_ipv4(src, dst, sport, dport, info.key)
        assert h is not None, "%s: no hash reported" % name
        assert htype == frames.HASH_REPORT_UDPV4, (
            "%s: hash type %d, want %d (UDPv4)"
            % (name, htype, frames.HASH_REPORT_UDPV4))
        assert h == expect, "%s: hash 0x%08x, Toeplitz gives 0x%08x" % (
            name, h, expect)
        assert queue == info.table[h & 127], (
            "%s: queue %d, table[0x%x & 127] is %d"
            % (name, queue, h, info.table[h & 127]))
        assert n == want[(src, sport, dst, dport)], (
            "%s: %d frames, %d sent" % (name, n, want[(src, sport, dst,
                                                       dport)]))
        per_queue[queue] += n
    assert sum(per_queue) == FRAMES
    assert after.delta(before, "ipkts") == per_queue, (
        "netstat per-queue Ipkts %s, flows per queue %s"
        % (after.delta(before, "ipkts"), per_queue))
    assert len(con.banners) == 1
    assert con.alive()


# ---- 4: link changes from the QEMU monitor ------------------------------

# The kernel may print the line right after an idle prompt; the cursor is
# then past the prompt, where `^` cannot match.
LINK_LINE = r"(?:^|(?<=unisr> ))vtnet0: link %s$"


@pytest.mark.requires_tap
def test_virtio_link(qemu, netns):
    con = boot_net(qemu, netns, 2, 2, machine="q35", monitor=True)
    nic = NicInfo(con.boot)
    assert nic.link == "up"
    before = netstat(con)
    assert before.link == "up", before.lines
    start = con.pos

    assert con.monitor("set_link n0 off") == []
    con.wait_for(LINK_LINE % "down")
    mid = netstat(con)
    assert (mid.link, mid.link_changes) == ("down",
                                            before.link_changes + 1), (
        mid.lines)

    assert con.monitor("set_link n0 on") == []
    con.wait_for(LINK_LINE % "up")
    after = netstat(con)
    assert (after.link, after.link_changes) == ("up",
                                                before.link_changes + 2), (
        after.lines)

    log = [uc.PROMPT_PREFIX_RE.sub("", ln)
           for ln in con.text[start:].split("\n")]
    events = [ln for ln in log if re.match(r"^vtnet0: link (up|down)$", ln)]
    assert events == ["vtnet0: link down", "vtnet0: link up"], events
    assert len(con.banners) == 1
    assert con.alive()


# ---- 5: optional features absent, and the transmit path -----------------

# Every optional feature the driver can use, switched off in QEMU.
MINIMAL_OPTS = ("csum=off,guest_csum=off,mrg_rxbuf=off,event_idx=off,"
                "indirect_desc=off,status=off,ctrl_vq=off,mq=off")
SEND_RE = re.compile(r"^vtnet send: (\d+) sent, (\d+) refused \(ring full\)$")
TX_FRAMES = 50
TX_FRAME_LEN = 60


@pytest.mark.requires_tap
@pytest.mark.parametrize("opts,features", [
    ("", None),
    (MINIMAL_OPTS, ["VERSION_1", "MAC"]),
], ids=["all-features", "minimal-features"])
def test_virtio_rx_tx_features(qemu, netns, opts, features):
    """rx and tx work with every optional feature, and with none of them:
    1,000 frames in arrive exactly, 50 frames out reach the host's tap."""
    # ip6=off: the stack sends no IPv6 neighbour discovery or MLD of its
    # own, so the host's tap counts exactly our test frames.
    con = boot_net(qemu, netns, 2, 2, device_opts=opts, cmdline="ip6=off")
    nic = NicInfo(con.boot)
    if features is not None:
        assert nic.features == features, nic.features
        assert con.boot.ready == [READY_FMT % (2, 1)], con.boot.ready
    before = netstat(con)
    sent = netns.send_frames(4, 1000)
    after = wait_ipkts(con, before, 1000)
    sent.wait_drained()
    assert after.total.idrops == 0, after.lines

    host_before = netns.stats()["rx_packets"]
    out = con.run("vtnet send %d" % TX_FRAMES)
    m = SEND_RE.match(out[-1])
    assert m and int(m.group(1)) == TX_FRAMES and m.group(2) == "0", out
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while netns.stats()["rx_packets"] - host_before < TX_FRAMES:
        assert time.monotonic() < deadline, netns.stats()
        time.sleep(0.2)
    assert netns.stats()["rx_packets"] - host_before == TX_FRAMES
    done = netstat(con)
    assert done.total.opkts - after.total.opkts == TX_FRAMES, done.lines
    assert done.total.obytes - after.total.obytes == TX_FRAMES * TX_FRAME_LEN
    assert done.total.odrops == 0, done.lines


# ---- 4: the diagnostic flow table costs O(1) per frame --------------------

TABLE_FLOWS = 600           # more than the table's 256 slots per queue
TABLE_FRAMES = 1200


@pytest.mark.requires_tap
def test_virtio_flow_table_bounded(qemu, netns):
    """600 UDP flows through one queue overflow its 256-slot flow table;
    every frame past it is counted untracked, and the table never looks
    at more than FLOW_PROBES slots a frame (before: all 256 for every
    untracked frame)."""
    con = boot_net(qemu, netns, 1, 1, rss=False, machine="pc")
    before = netstat(con)
    sent = netns.send_frames(TABLE_FLOWS, TABLE_FRAMES)
    wait_ipkts(con, before, TABLE_FRAMES)
    sent.wait_drained()
    flows, (nflows, frames_, untracked) = vtnet_flows(con)
    assert nflows <= 256 and untracked > 0, (nflows, untracked)
    assert frames_ + untracked == TABLE_FRAMES, (frames_, untracked)
    assert vtnet_flows.probes <= FLOW_PROBES * TABLE_FRAMES, (
        vtnet_flows.probes, TABLE_FRAMES)
