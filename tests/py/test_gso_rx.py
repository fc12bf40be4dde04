# SPDX-License-Identifier: BSD-2-Clause
"""Large segments in (issue 14, receive): GUEST_TSO4/6 over merged rx
buffers (drivers/virtio_net/vtnet_rx.c, vtnet_hdr.c; the glue's pbuf
chains in net/lwip-glue/lwipg_input.c).

Proves:
- by default (virtio_net.offload=1) the boot's `vtnet0: features` line
  has GUEST_TSO4 and GUEST_TSO6; `iperf3 -c ... -P 4` host -> guest on
  two queues exits 0, and the bytes the client's JSON says the server
  received are the guest's `iperf3: rx-bytes` exactly (no more than the
  client sent); the host's TSO reached the stack as large segments:
  `netstat -i`'s `vtnet0: rx gso segments <n> bytes <n> largest <n>,
  merged frames <n> buffers <n>` shows segments and merged frames, more
  buffers than frames, and a largest segment over two rx buffers; no
  GSO frame was dropped (`vtnet0: rx gso drops ...` all 0) and no rx
  drop reason moved; once the test is over every rx buffer is posted
  again (`vtnet rings`: the loan accounting got every chain back);
- malformed GSO headers are dropped and counted by reason, their
  buffers given back: `vtnet badgso 30` spoils the next 30 GSO frames
  in turn (IP length, hdr_len, gso_size), `rx gso drops` then counts
  exactly 10 under each of `length`, `hdr-len` and `gso-size`, TCP
  recovers (the test still moves data, bytes still match) and every
  buffer is posted again afterwards;
- `virtio_net.offload=0` turns GUEST_TSO off: the features line has
  neither GUEST_TSO4 nor GUEST_TSO6, `-P 4` still works with matching
  byte counts, and no large segment arrives (`rx gso segments 0`).

Rates are recorded (record_property and stdout), not asserted.
"""

import json
import re
import time

import pytest

import test_iperf3 as ti

SMP = 2
QUEUES = 2
SECONDS = 3
BADGSO = 30                     # spoilt GSO frames, 10 per reason
SETTLE_TIMEOUT = 30

FEATURES_RE = re.compile(r"^vtnet0: features(?: (.*))?$")
GSO_RE = re.compile(
    r"^vtnet0: rx gso segments (\d+) bytes (\d+) largest (\d+), merged "
    r"frames (\d+) buffers (\d+)$")
GSO_DROPS_RE = re.compile(r"^vtnet0: rx gso drops((?: [a-z0-9-]+ \d+)+)$")
GSO_REASONS = ("l3", "l4", "too-big", "length", "hdr-len", "gso-size",
               "csum", "chain")
DROPS_RE = re.compile(r"^vtnet0: rx drops((?: [a-z0-9-]+ \d+)+)$")
BYTES_RE = re.compile(r"^iperf3: rx-bytes (\d+) tx-bytes (\d+)$", re.M)
POSTED_RE = re.compile(r"^rx(\d+): avail .* posted (\d+) ")
RX_BUF = 4096


def boot(qemu, netns, cmdline=""):
    netns.add_host_addr(ti.HOST_CIDR)
    return qemu(machine="pc", mem=ti.MEM, smp=SMP, cmdline=cmdline,
                prefix=netns.prefix(),
                extra=netns.virtio_net_args(QUEUES, rss=True))


def features(con):
    feats = [FEATURES_RE.match(ln) for ln in con.boot.lines]
    feats = [m for m in feats if m]
    assert len(feats) == 1, con.boot.lines
    return (feats[0].group(1) or "").split()


def gso_stats(con):
    """(`rx gso` numbers, {gso drop reason: n}, {rx drop reason: n})."""
    lines = con.run("netstat -i")
    seg = [GSO_RE.match(ln) for ln in lines]
    seg = [m for m in seg if m]
    drops = [GSO_DROPS_RE.match(ln) for ln in lines]
    drops = [m for m in drops if m]
    rx = [DROPS_RE.match(ln) for ln in lines]
    rx = [m for m in rx if m]
    assert len(seg) == 1 and len(drops) == 1 and len(rx) == 1, lines
    keys = ("segments", "bytes", "largest", "merged", "buffers")
    s = dict(zip(keys, map(int, seg[0].groups())))
    f = drops[0].group(1).split()
    d = dict(zip(f[0::2], map(int, f[1::2])))
    assert tuple(d) == GSO_REASONS, d
    f = rx[0].group(1).split()
    return s, d, dict(zip(f[0::2], map(int, f[1::2])))


def posted(con):
    """{queue: rx buffers posted} from `vtnet rings`."""
    out = {}
    for ln in con.run("vtnet rings"):
        m = POSTED_RE.match(ln)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    assert len(out) == QUEUES, out
    return out


def wait_posted(con, want):
    """Poll until every rx queue has `want`'s buffers posted again."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        now = posted(con)
        if now == want:
            return
        assert time.monotonic() < deadline, ("buffers still lent", now,
                                             want)
        time.sleep(ti.POLL)


def run_p4(con, netns, record_property, name):
    """iperf3 -P 4 host -> guest: exit 0, the server's byte count in the
    client's JSON is the guest's rx-bytes.  Returns the rate in bit/s."""
    rc, out, err = netns.call(ti.client_argv(SECONDS, ["-P", "4"]),
                              timeout=ti.CLIENT_TIMEOUT)
    assert rc == 0, (out[-600:], err)
    bps = ti.check_result(out, 4, record_property, name)
    _, counters = ti.wait_state(con, lambda s, c: s == "idle",
                                "back to idle")
    assert counters["completed"] == 1 and counters["aborted"] == 0, (
        counters)
    m = BYTES_RE.search("\n".join(con.run("iperf3")))
    assert m, "no iperf3 byte counters"
    received = ti.json_received_bytes(out)
    sent = ti.json_sent_bytes(out)
    assert 0 < int(m.group(1)) == received <= sent, (
        int(m.group(1)), received, sent)
    return bps


@pytest.mark.requires_tap
def test_gso_rx_large_segments(qemu, netns, record_property):
    con = boot(qemu, netns)
    feats = features(con)
    assert "GUEST_TSO4" in feats and "GUEST_TSO6" in feats, feats
    base = posted(con)
    run_p4(con, netns, record_property, "gso_p4")
    s, d, rx = gso_stats(con)
    record_property("gso_segments", s["segments"])
    record_property("gso_largest", s["largest"])
    print("rx gso: %s" % s)
    assert s["segments"] > 0 and s["merged"] > 0, s
    assert s["buffers"] > s["merged"], s
    assert s["largest"] > 2 * RX_BUF, s
    assert s["bytes"] >= s["segments"] * 2 * RX_BUF // 2, s
    assert all(v == 0 for v in d.values()), d
    assert all(v == 0 for k, v in rx.items()), rx
    wait_posted(con, base)
    assert con.alive()


@pytest.mark.requires_tap
def test_gso_rx_malformed(qemu, netns, record_property):
    con = boot(qemu, netns)
    base = posted(con)
    out = con.run("vtnet badgso %d" % BADGSO)
    assert out == ["vtnet0: the next %d GSO frames in will be spoilt"
                   % BADGSO], out
    run_p4(con, netns, record_property, "gso_malformed_p4")
    s, d, rx = gso_stats(con)
    print("rx gso: %s drops %s" % (s, d))
    want = dict.fromkeys(GSO_REASONS, 0)
    want.update({"length": BADGSO // 3, "hdr-len": BADGSO // 3,
                 "gso-size": BADGSO // 3})
    assert d == want, d
    assert s["segments"] > 0, s
    assert all(v == 0 for v in rx.values()), rx
    wait_posted(con, base)
    assert con.alive()


@pytest.mark.requires_tap
def test_gso_rx_offload_off(qemu, netns, record_property):
    con = boot(qemu, netns, cmdline="virtio_net.offload=0")
    feats = features(con)
    assert "GUEST_TSO4" not in feats and "GUEST_TSO6" not in feats, feats
    assert "MRG_RXBUF" in feats and "GUEST_CSUM" in feats, feats
    run_p4(con, netns, record_property, "nogso_p4")
    s, d, rx = gso_stats(con)
    assert s == {"segments": 0, "bytes": 0, "largest": 0, "merged": 0,
                 "buffers": 0}, s
    assert all(v == 0 for v in d.values()), d
    assert con.alive()
