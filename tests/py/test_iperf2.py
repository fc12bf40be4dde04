# SPDX-License-Identifier: BSD-2-Clause
"""The guest's iperf2 server (lwipg_iperf2.c, TCP and UDP port 5001) with
Debian's iperf 2.1.8 client from inside a network namespace the test
creates, the guest at -smp 2 with two RSS queues; every client run is
short (-t 2 or -n) and must exit 0, and what the client prints is checked
against the guest's `iperf` counters (deltas around each run):

- TCP: `-n 10M` (the guest received exactly 10 MiB), `-d` and `-r` (the
  guest connects back to the client's listener: what the client's
  listener read equals the guest's tx-bytes, what it sent equals the
  guest's rx-bytes), `-P 4` (four streams, their sum is the guest's
  rx-bytes) and `-r -n 10M` (the stream back carries exactly 10 MiB: the
  byte-count check lwiperf had inverted).  `-y C` (CSV) gives exact bytes.
- UDP: `-u -b 50M`, `-u -l 64 -b 1000M` and `-u -P 4 -b 10M`: each stream
  gets the server report (lost/total, jitter); per stream the report's
  total is the client's datagram count ("Sent N" counts one more, the
  final datagram's number; plus the final datagrams the tap dropped,
  which the client renumbers as it repeats them), and over the run the guest received exactly
  the reports' totals minus their losses, and counted the same losses.
  At 50 and 4 x 10 Mbit/s nothing is lost; at 1000M the loss the client
  reports is what the tap dropped (its TX "dropped" counter).  (`-b 0` is
  refused by the 2.1.8 client itself for UDP, "IPG delay target of inf
  secs": 1000M stands in for "as fast as it can".)  The tap's queue is cut
  to TAP_QLEN packets for this test: with the fixture's 20000 a flood
  leaves seconds of backlog, and the client gives up on the server report
  2 s after its last datagram.
- A client killed mid-test (UDP; TCP -d, whose stream back the dead
  listener resets) is counted aborted (a silent UDP flow after 3 s) and
  leaves the server ready: the next TCP and UDP tests complete.
"""

import re
import signal
import subprocess
import time

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
CLIENT_TIMEOUT = 60
STATE_TIMEOUT = 20
POLL = 0.5
MIB10 = 10 * 1024 * 1024
TAP_QLEN = 256
FIN_REPEATS = 200               # the client's 2 s of retries

COUNTERS_RE = re.compile(
    r"iperf: port 5001 tests (\d+) completed (\d+) aborted (\d+) "
    r"active (\d+)\s+iperf: rx-bytes (\d+) tx-bytes (\d+)\s+"
    r"iperf: udp tests (\d+) datagrams (\d+) lost (\d+) out-of-order (\d+) "
    r"acks (\d+)")
KEYS = ("tests", "completed", "aborted", "active", "rx", "tx", "udp_tests",
        "datagrams", "lost", "ooo", "acks")
# "[  1] 0.0000-1.9999 sec  12.5 MBytes  52.5 Mbits/sec   0.006 ms 0/8920 (0%)"
SERVER_REPORT_RE = re.compile(
    r"^\[\s*(\d+)\] [\d.]+-[\d.]+ sec .* ([\d.]+) ms (\d+)/(\d+) \(", re.M)
SENT_RE = re.compile(r"^\[\s*(\d+)\] Sent (\d+) datagrams", re.M)
OOO_RE = re.compile(r"^\[\s*(\d+)\] .*?(\d+) datagrams received out-of-order",
                    re.M)


def boot(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=2, prefix=netns.prefix(),
                extra=netns.virtio_net_args(2, rss=True))


def counters(con):
    text = "\n".join(con.run("iperf"))
    m = COUNTERS_RE.search(text)
    assert m, text
    return dict(zip(KEYS, map(int, m.groups())))


def settled(con, pred=lambda c: True, what="idle"):
    """The counters once no test is active (and pred holds)."""
    deadline = time.monotonic() + STATE_TIMEOUT
    while True:
        c = counters(con)
        if c["active"] == 0 and pred(c):
            return c
        assert time.monotonic() < deadline, (what, c)
        time.sleep(POLL)


def delta(a, b):
    return {k: b[k] - a[k] for k in KEYS if k != "active"}


def iperf(netns, args):
    rc, out, err = netns.call(["iperf", "-c", GUEST_IP] + args,
                              timeout=CLIENT_TIMEOUT)
    print("iperf %s:\n%s%s" % (" ".join(args), out, err))
    assert rc == 0, (args, out, err)
    return out


def tap_tx_dropped(netns):
    """Frames the tap dropped on their way to the guest."""
    path = "/sys/class/net/%s/statistics/tx_dropped" % netns.tap
    return int(netns.run(["cat", path]).stdout)


def csv_streams(out):
    """[(source address, bytes)] of -y C lines, the [SUM] line left out."""
    res = []
    for line in out.strip().splitlines():
        f = line.split(",")
        if len(f) >= 9 and f[5] != "-1":
            res.append((f[1], int(f[7])))
    return res


# args, streams the guest receives, streams it sends back
TCP_RUNS = [
    (["-n", "10M"], 1, 0),
    (["-d", "-t", "2"], 1, 1),
    (["-r", "-t", "2"], 1, 1),
    (["-P", "4", "-t", "2"], 4, 0),
    (["-r", "-n", "10M"], 1, 1),
]


@pytest.mark.requires_tap
def test_iperf2_tcp(qemu, netns, record_property):
    con = boot(qemu, netns)
    before = settled(con)
    for args, nrx, ntx in TCP_RUNS:
        out = iperf(netns, args + ["-y", "C"])
        streams = csv_streams(out)
        sent = [b for src, b in streams if src != GUEST_IP]
        back = [b for src, b in streams if src == GUEST_IP]
        assert (len(sent), len(back)) == (nrx, ntx), out
        n = nrx + ntx
        after = settled(con, lambda c, n=n: c["completed"] -
                        before["completed"] >= n, "%s done" % args)
        d = delta(before, after)
        record_property("tcp %s" % " ".join(args), d)
        assert (d["tests"], d["completed"], d["aborted"]) == (n, n, 0), d
        assert d["rx"] == sum(sent), (d, sent)
        assert d["tx"] == sum(back), (d, back)
        if "-n" in args:
            assert sent == [MIB10] and back == [MIB10] * ntx, streams
        for b in sent + back:
            assert b > 0, streams
        before = after
    assert con.alive()


UDP_RUNS = [
    (["-u", "-b", "50M", "-t", "2"], 1, True),
    (["-u", "-l", "64", "-b", "1000M", "-t", "2"], 1, False),
    (["-u", "-P", "4", "-b", "10M", "-t", "2"], 4, True),
]


@pytest.mark.requires_tap
def test_iperf2_udp(qemu, netns, record_property):
    con = boot(qemu, netns)
    netns.run(["ip", "link", "set", netns.tap, "txqueuelen", str(TAP_QLEN)])
    before = settled(con)
    for args, nstreams, lossless in UDP_RUNS:
        drops = tap_tx_dropped(netns)
        out = iperf(netns, args)
        drops = tap_tx_dropped(netns) - drops
        reports = {sid: (float(jit), int(lost), int(total)) for
                   sid, jit, lost, total in SERVER_REPORT_RE.findall(out)}
        sent = {sid: int(n) for sid, n in SENT_RE.findall(out)}
        ooo = sum(int(n) for _, n in OOO_RE.findall(out))
        assert len(reports) == nstreams and set(reports) == set(sent), out
        for sid, (jit, lost, total) in reports.items():
            # The first final datagram the guest sees numbers the total;
            # the client renumbers each repeat, 10 ms apart.
            if lossless:
                assert total == sent[sid] - 1, (sid, reports, sent)
            else:
                assert 0 <= total - (sent[sid] - 1) <= FIN_REPEATS, (
                    sid, reports, sent)
        after = settled(con, lambda c, n=nstreams: c["completed"] -
                        before["completed"] >= n, "%s done" % args)
        d = delta(before, after)
        record_property("udp %s" % " ".join(args), (d, reports))
        print("guest: %s" % d)
        lost = sum(r[1] for r in reports.values())
        total = sum(r[2] for r in reports.values())
        assert (d["tests"], d["completed"], d["aborted"]) == (
            nstreams, nstreams, 0), d
        assert d["udp_tests"] == nstreams and d["acks"] >= nstreams, d
        assert d["lost"] == lost and d["ooo"] == ooo, (d, reports)
        # A late datagram fills a gap: lost (the report's) is the gaps
        # less the late ones, so what arrived is total - lost, late or not.
        assert d["datagrams"] == total - lost, (d, reports)
        if lossless:
            assert lost == 0, reports
        else:
            assert lost == drops, (lost, drops)
        before = after
    assert con.alive()


class Client:
    """An iperf client in the background; killed at exit if running."""

    def __init__(self, netns, args):
        self.proc = subprocess.Popen(
            netns.prefix() + ["iperf", "-c", GUEST_IP] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=CLIENT_TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


@pytest.mark.requires_tap
def test_iperf2_client_gone(qemu, netns):
    con = boot(qemu, netns)
    before = settled(con)
    for args in (["-u", "-b", "10M", "-t", "10"], ["-d", "-t", "10"]):
        with Client(netns, args):
            deadline = time.monotonic() + STATE_TIMEOUT
            while counters(con)["active"] == 0:
                assert time.monotonic() < deadline, args
                time.sleep(0.2)
            time.sleep(1.0)
    after = settled(con, lambda c: c["aborted"] - before["aborted"] >= 2,
                    "aborts counted")
    d = delta(before, after)
    # UDP: aborted when silent; -d: the stream received ends (the dead
    # client's FIN), the stream back is reset by the client's kernel.
    assert (d["tests"], d["completed"], d["aborted"]) == (3, 1, 2), d
    iperf(netns, ["-t", "1"])
    out = iperf(netns, ["-u", "-t", "1"])
    assert SERVER_REPORT_RE.search(out), out
    final = settled(con, lambda c: c["completed"] - after["completed"] >= 2)
    assert final["aborted"] == after["aborted"], final
    assert con.alive()
