# SPDX-License-Identifier: BSD-2-Clause
"""iperf3 UDP and --bidir against the guest's iperf3 server
(lwipg_iperf3_udp.c, lwipg_iperf3.c; port 5201), with Debian's iperf3
3.12 client inside a network namespace the test creates; the guest runs
at -smp 2 with two RSS queues.  Every client run is short (-t 1) and must
exit 0, and the client's JSON is cross-checked with the guest's `iperf3`
counters (deltas around each run) and the tap's drop counters:

- Client to guest (-u -b 100M, -u -b 0 -l 64, -u -P 4 -b 20M, -u -l 16,
  -u -l 4000 and -l 65507 (fragmented), -u -n 2M, the client's half of
  --bidir): the datagrams the client sent are exactly those the guest
  counted in the run (rx-datagrams), plus those that came after it
  (late), plus those the tap dropped on the way in (its TX "dropped",
  which in a flood may also hold a few control segments); the loss the
  client reports is the loss the guest counted, no more than what went
  missing, and 0 when the tap dropped nothing; the out-of-order counts
  agree.
- Guest to client (-u -R -b 50M, -u -R -l 4000, -u -R -P 2, -u -R -n 2M,
  the guest's half of --bidir): the datagrams the client says the guest
  sent are the guest's tx-datagrams, the bytes it received are whole
  datagrams, all of them but those in flight when its TEST_END reached
  the guest (-n: all of them, exactly 2 MiB rounded up to a datagram);
  its loss is 0 at these rates.
- --get-server-output: the client's JSON carries the guest's report
  line for the test.
- TCP --bidir: what the guest received is what the client sent, what the
  guest sent is what the client received, both positive.
- A client killed during a UDP -R test is counted as aborted and the
  server is idle again; the next UDP test completes.
- `iperf3 -n 3G` (slow): one stream above 2 GiB, reported exactly.

The tap's queue is cut to TAP_QLEN packets, as in test_iperf2.py, so a
flood leaves no seconds of backlog behind the client's TEST_END.  Rates
are recorded, not asserted.
"""

import json
import re
import signal
import subprocess
import time

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
SECONDS = 1                     # per run: counts, not rates, are checked
CLIENT_TIMEOUT = 60
SLOW_TIMEOUT = 600
STATE_TIMEOUT = 30
POLL = 0.5
TAP_QLEN = 256
KILL_AFTER = 1.0
OTHER_DROPS = 8                 # control segments dropped in a flood
IN_FLIGHT_S = 0.25              # TEST_END's way to the guest, and back
GIB3 = 3 << 30
GUEST_TCP_WND = 256 * 1024      # lwipopts.h TCP_WND

STATE_RE = re.compile(r"^iperf3: port 5201 state (\w+) max-streams (\d+)$",
                      re.M)
NUM_RE = re.compile(
    r"^iperf3: tests (\d+) completed (\d+) aborted (\d+) denied (\d+) "
    r"errors (\d+)\s+"
    r"iperf3: rx-bytes (\d+) tx-bytes (\d+)\s+"
    r"iperf3: udp rx-datagrams (\d+) late (\d+) stray (\d+) lost (\d+) "
    r"out-of-order (\d+) tx-datagrams (\d+) tx-fail (\d+)\s+"
    r"iperf3: refused malformed (\d+) protocol (\d+) streams (\d+) "
    r"length (\d+)$", re.M)
KEYS = ("tests", "completed", "aborted", "denied", "errors", "rx_bytes",
        "tx_bytes", "rx", "late", "stray", "lost", "ooo", "tx", "tx_fail",
        "malformed", "protocol", "streams", "length")


def boot(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=2, prefix=netns.prefix(),
               extra=netns.virtio_net_args(2, rss=True))
    netns.run(["ip", "link", "set", netns.tap, "txqueuelen", str(TAP_QLEN)])
    return con


def counters(con):
    text = "\n".join(con.run("iperf3"))
    s, m = STATE_RE.search(text), NUM_RE.search(text)
    assert s and m, text
    c = dict(zip(KEYS, map(int, m.groups())))
    c["state"] = s.group(1)
    return c


def settled(con, pred=lambda c: True, what="idle"):
    """The counters once the server is idle and pred holds, and stable:
    datagrams still queued towards the guest have arrived."""
    deadline = time.monotonic() + STATE_TIMEOUT
    prev = None
    while True:
        c = counters(con)
        if c["state"] == "idle" and pred(c) and c == prev:
            return c
        assert time.monotonic() < deadline, (what, c)
        prev = c
        time.sleep(POLL)


def delta(a, b):
    return {k: b[k] - a[k] for k in KEYS}


def tap_stat(netns, name):
    path = "/sys/class/net/%s/statistics/%s" % (netns.tap, name)
    return int(netns.run(["cat", path]).stdout)


def host_udp_drops(netns):
    """UDP datagrams the namespace's host side dropped on their way in:
    the tap's rx drops and the sockets' full buffers (/proc/net/snmp of
    the namespace)."""
    lines = netns.run(["cat", "/proc/net/snmp"]).stdout.splitlines()
    udp = [ln.split()[1:] for ln in lines if ln.startswith("Udp:")]
    snmp = dict(zip(udp[0], map(int, udp[1])))
    return tap_stat(netns, "rx_dropped") + snmp["InErrors"]  # has Rcvbuf


def client(netns, args, timeout=CLIENT_TIMEOUT):
    argv = ["iperf3", "-c", GUEST_IP, "-J"] + args
    rc, out, err = netns.call(argv, timeout=timeout)
    assert rc == 0, (args, out[-2000:], err)
    return json.loads(out)


def udp_streams(res, client_sends):
    """The end.streams[].udp entries of one direction."""
    return [s["udp"] for s in res["end"]["streams"]
            if s["udp"]["sender"] == client_sends]


# args, streams each way, client sends, guest sends at (bit/s)
UDP_RUNS = [
    (["-u", "-b", "100M"], 1, True, 0),
    (["-u", "-b", "0", "-l", "64"], 1, True, 0),
    (["-u", "-P", "4", "-b", "20M"], 4, True, 0),
    (["-u", "-l", "16", "-b", "5M"], 1, True, 0),
    (["-u", "-R", "-b", "50M"], 1, False, 50e6),
    (["-u", "-R", "-l", "4000", "-b", "10M"], 1, False, 10e6),
    (["-u", "-R", "-P", "2", "-b", "10M"], 2, False, 10e6),
    (["-u", "--bidir", "-b", "20M", "--get-server-output"], 1, True, 20e6),
    (["-u", "-l", "65507", "-b", "5M"], 1, True, 0),
    (["-u", "-n", "2M", "-b", "20M"], 1, True, 0),
    (["-u", "-R", "-n", "2M", "-b", "20M"], 1, False, 20e6),
]
MIB2 = 2 << 20
SERVER_LINE_RE = re.compile(r"^iperf3: test (\d+): udp (\w+), (\d+) streams",
                            re.M)


def check_client_to_guest(res, d, drops, nstreams):
    """The client's sent datagrams, its loss and reordering against the
    guest's counters and the tap's drops."""
    streams = udp_streams(res, True)
    assert len(streams) == nstreams, res["end"]["streams"]
    sent = sum(s["packets"] for s in streams)
    lost = sum(s["lost_packets"] for s in streams)
    ooo = sum(s["out_of_order"] for s in streams)
    assert sent > 0, streams
    # The tap's drops may include a few frames of the control connection
    # (retransmitted) queued behind a flood.
    missing = sent - d["rx"] - d["late"]
    assert 0 <= drops - missing <= OTHER_DROPS, (sent, d, drops)
    assert lost == d["lost"] and ooo == d["ooo"], (lost, ooo, d)
    assert lost <= missing, (lost, missing)
    if drops == 0:
        # Nothing dropped on the way and the guest drops nothing: no loss.
        assert lost == 0 and missing == 0, (lost, missing)
    return sent, lost


def check_guest_to_client(res, d, args, rate, nstreams, host_drops):
    """What the client says the guest sent is the guest's count; what it
    received is whole datagrams: all of them but those it lost and those
    still in flight when its TEST_END reached the guest (at most
    IN_FLIGHT_S of the rate).  It lost no more than the host dropped on
    the way in (the tap, the client's socket buffer): none if nothing
    was."""
    streams = udp_streams(res, False)
    assert len(streams) == nstreams, res["end"]["streams"]
    blksize = res["start"]["test_start"]["blksize"]
    sent = sum(s["packets"] for s in streams)
    assert sent == d["tx"] > 0, (streams, d)
    assert d["tx_fail"] == 0, d
    key = ("sum_received_bidir_reverse" if "--bidir" in args
           else "sum_received")
    received = res["end"][key]["bytes"]
    assert received % blksize == 0, (received, blksize)
    lost = sum(s["lost_packets"] for s in streams)
    assert lost <= host_drops, (lost, host_drops)
    tail = sent - received // blksize - lost
    assert 0 <= tail <= nstreams * rate * IN_FLIGHT_S / 8 / blksize, (
        received, sent, lost, blksize)
    if "-n" in args and host_drops == 0:
        # -n: we stop once that much is out, the client once it is in.
        assert sent == -(-MIB2 // blksize) and tail == 0, (sent, blksize)
    return sent


@pytest.mark.requires_tap
def test_iperf3_udp(qemu, netns, record_property):
    con = boot(qemu, netns)
    before = settled(con)
    for args, nstreams, client_sends, guest_rate in UDP_RUNS:
        drops = tap_stat(netns, "tx_dropped")
        host0 = host_udp_drops(netns)
        res = client(netns, args + ([] if "-n" in args else
                                    ["-t", str(SECONDS)]))
        after = settled(con, lambda c, n=before["completed"]:
                        c["completed"] == n + 1, "%s done" % args)
        drops = tap_stat(netns, "tx_dropped") - drops
        host_drops = host_udp_drops(netns) - host0
        d = delta(before, after)
        name = " ".join(args)
        print("iperf3 %s: guest %s, tap drops %d" % (name, d, drops))
        record_property(name, (d, drops))
        assert (d["tests"], d["completed"], d["aborted"], d["errors"]) == (
            1, 1, 0, 0), d
        assert d["stray"] == 0, d
        if client_sends:
            check_client_to_guest(res, d, drops, nstreams)
        else:
            assert d["rx"] == 0, d
        if guest_rate:
            check_guest_to_client(res, d, args, guest_rate, nstreams,
                                  host_drops)
        else:
            assert d["tx"] == 0, d
        if "--get-server-output" in args:
            m = SERVER_LINE_RE.search(res["server_output_text"])
            assert m and m.groups() == (str(after["tests"]), "bidir", "2"), (
                res["server_output_text"])
        before = after
    assert con.alive()


@pytest.mark.requires_tap
def test_iperf3_tcp_bidir(qemu, netns, record_property):
    con = boot(qemu, netns)
    before = settled(con)
    res = client(netns, ["--bidir", "-t", str(SECONDS)])
    after = settled(con, lambda c: c["completed"] == 1, "bidir done")
    d = delta(before, after)
    end = res["end"]
    record_property("bidir", d)
    print("iperf3 --bidir: guest %s" % d)
    assert (d["tests"], d["completed"], d["aborted"]) == (1, 1, 0), d
    assert len(end["streams"]) == 2, end["streams"]
    assert end["sum_received"]["bytes"] == d["rx_bytes"] > 0, (end, d)
    assert end["sum_sent_bidir_reverse"]["bytes"] == d["tx_bytes"] > 0, (
        end, d)
    # The client counts what arrives before its TEST_END; we report what
    # we queued (as iperf3's own server reports what it wrote).
    assert 0 < end["sum_received_bidir_reverse"]["bytes"] <= d["tx_bytes"], (
        end, d)
    assert con.alive()


@pytest.mark.requires_tap
def test_iperf3_udp_client_killed(qemu, netns, record_property):
    con = boot(qemu, netns)
    argv = netns.prefix() + ["iperf3", "-c", GUEST_IP, "-u", "-R", "-b",
                             "20M", "-t", "30"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + STATE_TIMEOUT
        while counters(con)["state"] != "running":
            assert time.monotonic() < deadline, "never running"
            time.sleep(POLL)
        time.sleep(KILL_AFTER)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=CLIENT_TIMEOUT)
    c = settled(con, lambda c: c["aborted"] == 1, "aborted")
    assert (c["tests"], c["completed"]) == (1, 0), c
    assert c["tx"] > 0, c
    res = client(netns, ["-u", "-b", "10M", "-t", str(SECONDS)])
    c2 = settled(con, lambda c: c["completed"] == 1, "next test")
    d = delta(c, c2)
    check_client_to_guest(res, d, 0, 1)
    record_property("after_kill", d)
    assert con.alive()


@pytest.mark.slow
@pytest.mark.requires_tap
def test_iperf3_3g(qemu, netns, record_property):
    """-n 3G: one stream past 2 GiB.  The client writes exactly 3 GiB;
    the guest reports, as a 64-bit number, exactly what it counted, and
    that is past 2 GiB.  Like iperf3's own server it counts what arrives
    before the client's TEST_END, which the client sends once the last
    byte is in its socket: what is left in its send buffer and our
    window then is not counted (at most tcp_wmem's maximum plus the
    window)."""
    con = boot(qemu, netns)
    before = settled(con)
    res = client(netns, ["-n", "3G"], timeout=SLOW_TIMEOUT)
    after = settled(con, lambda c: c["completed"] == 1, "3G done")
    d = delta(before, after)
    end = res["end"]
    record_property("3g", (d, end["sum_received"]))
    wmem = int(netns.run(["cat", "/proc/sys/net/ipv4/tcp_wmem"]).stdout
               .split()[2])
    received = end["sum_received"]["bytes"]
    print("iperf3 -n 3G: received %d, %d short; guest %s" % (
        received, GIB3 - received, d))
    assert end["sum_sent"]["bytes"] == GIB3, end["sum_sent"]
    assert received == d["rx_bytes"], (received, d)
    assert GIB3 - wmem - GUEST_TCP_WND <= received <= GIB3, (received, wmem)
    assert received > 2 << 30, received
    assert con.alive()
