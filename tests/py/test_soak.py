# SPDX-License-Identifier: BSD-2-Clause
"""Soak: every service at once for a while, then nothing may be left
over.

One boot: q35, 256M, -smp 4, four queue pairs with RSS on the tap of a
fresh namespace (host 10.0.2.2/24, guest 10.0.2.15).  After a warm-up (3
pings, test_stats' UDP + TCP echo round trip) and once the guest is quiet,
a baseline: every lwIP pool's and the heap's `used` (`netstat -s`) and
each rx ring's posted buffers (`vtnet rings`).  Then for SOAK_SECONDS
(35 s; test_soak_600 runs 600 s, marked slow: make test-slow) three loads
run at once from inside the namespace:
- iperf3 runs of up to 5 s back to back, alternating forward and -R;
  before each the guest's `iperf3` command must show the server idle
  (within 30 s): it takes one test at a time, and a client that starts
  while it still finishes the last one is refused as busy (the states it
  showed in between are printed);
- a TCP echo loop: connection after connection, each test_echo's 1 MiB
  client (seeded data, chunked sends, clean close);
- a UDP echo loop: one datagram at a time, sizes 1..1400 bytes cycled,
  seeded random bytes with a sequence number; a lost datagram is resent
  (up to 5 times, counted).
Proves, afterwards:
- every iperf3 run exited 0, and the guest's `iperf3` counts exactly that
  many tests, all completed, none aborted, denied or in error;
- the TCP echo loop got every byte of every connection back identical,
  with a clean close; the UDP echo loop got every datagram back
  identical (none lost after its resends, no reply that differs from
  what was sent);
- once the guest is quiet: every pool's and the heap's `used` equal the
  baseline, except for exactly one tcp_pcb per connection the guest
  closed first less than 2 * TCP_MSL - TW_GUARD (110 s) before the
  reading, and with any such PCB one sys_timeout (lwIP's TCP timer):
  such a PCB waits in TIME_WAIT.  Which connections those are is read
  off the wire: a capture inside the namespace (this file as a program,
  `finrst`: a packet socket on the tap with a classic BPF filter, so
  only FIN and RST segments reach it; the kernel dropped none of them)
  records every closing segment, and the guest closed first when its FIN
  does not acknowledge a FIN of the peer (guest_time_waits).  In
  practice they are the -R streams (lwipg_iperf3.c sends their FIN at
  TEST_END), but not always all of them: when the client closes its end
  first the guest closes passively.  Every other connection closes
  passively and must leave nothing; a FIN of the guest that the peer
  never answered (FIN_WAIT_2) fails the test.  In the 35 s run every
  such PCB is younger than that, so the first quiet reading is final;
  in the 600 s run older ones may still linger (lwIP's timers run late
  under load, never early), so the reading is repeated, every 5 s, until
  it matches or 2 * 120 s after the last such close.  No failed pbuf or
  heap allocation, `assertions 0`; every rx ring has its baseline of
  buffers posted again; every tx ring is drained (published == used ==
  last_used);
- netisr's identity holds on every CPU for every protocol with Len 0 (no
  queue stuck), and every frame the tap sent is accounted for by the
  driver and netisr (test_flood's check_accounting).

Also checks the closing-segment analysis, the filter's jumps and the
TIME_WAIT arithmetic on fixed samples, without QEMU.  Run as a program
inside the namespace it is the echo loops (`tcp-loop`, `udp-loop`) and
the FIN/RST capture (`finrst`).
"""

import argparse
import ctypes
import json
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import test_echo
import test_iperf3 as ti
import test_resource as tr
import test_stats as ts
import test_txstall as tt
from test_flood import (check_accounting, identity_broken, netstat_i,
                        workstreams)

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "256M"
SMP = 4
QUEUES = 4
ECHO_PORT = 7
SOAK_SECONDS = 35                # make test: under 15 minutes in all
SOAK_SLOW_SECONDS = 600
IPERF_RUN = 5                   # seconds per iperf3 run, at most
IPERF_MIN = 2                   # no run shorter than this
IPERF_TIMEOUT = 60
UDP_MAX = 1400
UDP_TIMEOUT = 1.0
UDP_RETRIES = 5
SEED = 0x736f616b               # "soak"
LOOP_SLACK = 180                # a loop program's timeout past its time
HOST_IP = "10.0.2.2"
TIME_WAIT_S = 2 * 60.0          # 2 * TCP_MSL (lwIP's default 60 s)
TW_GUARD = 10.0                 # younger by this much: surely still there
TW_LATE = 2.0                   # older than TIME_WAIT_S times this: gone
TW_POLL = 5.0


# ---- clients (run inside the namespace) -----------------------------------

def tcp_loop(addr, seconds):
    """test_echo's 1 MiB TCP echo client, connection after connection,
    until `seconds` pass; a connection that fails stops the loop."""
    res = {"conns": 0, "bytes": 0, "bad": []}
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        r = test_echo.tcp_echo_client(addr, ECHO_PORT, SEED + i)
        i += 1
        ok = (r.get("received") == r.get("sent") == test_echo.TCP_TOTAL
              and r.get("identical") and r.get("eof")
              and r.get("after_shutdown") == 0 and r.get("unacked") == 0
              and r.get("so_error") == 0)
        if not ok:
            res["bad"].append(r)
            break
        res["conns"] += 1
        res["bytes"] += r["received"]
    return res


def udp_loop(addr, seconds):
    """One datagram at a time (sizes 1..UDP_MAX cycled, seeded bytes,
    an 8-byte sequence number first where it fits) until `seconds` pass.
    A reply must equal the datagram in flight; a reply equal to an
    earlier datagram (the echo of a resend) is counted as late, any
    other reply as a mismatch.  A datagram still unanswered after
    UDP_RETRIES resends is lost and stops the loop."""
    rng = random.Random(SEED)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((addr, ECHO_PORT))
    s.settimeout(UDP_TIMEOUT)
    res = {"sent": 0, "identical": 0, "bytes": 0, "resends": 0, "late": 0,
           "mismatch": 0, "lost": 0}
    earlier = {}                # the last 64 datagrams answered, in order
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline:
        size = 1 + seq % UDP_MAX
        data = (seq.to_bytes(8, "big") + rng.randbytes(size))[:size] \
            if size >= 8 else rng.randbytes(size)
        answered = False
        for attempt in range(UDP_RETRIES + 1):
            if attempt:
                res["resends"] += 1
            s.send(data)
            try:
                while True:
                    back = s.recv(65536)
                    if back == data:
                        answered = True
                        break
                    if back in earlier:
                        res["late"] += 1
                    else:
                        res["mismatch"] += 1
            except socket.timeout:
                continue
            break
        res["sent"] += 1
        if not answered:
            res["lost"] += 1
            break
        res["identical"] += 1
        res["bytes"] += size
        earlier[data] = True
        if len(earlier) > 64:
            del earlier[next(iter(earlier))]
        seq += 1
    s.close()
    return res


# Classic BPF (linux/filter.h) for "IPv4, not a later fragment, TCP, FIN
# or RST set": the kernel hands the capture only closing segments, so
# the soak's million data frames never reach Python.
BPF_FINRST = (
    (0x28, 0, 0, 12),           # ldh [12]            ethertype
    (0x15, 0, 8, 0x0800),       # jeq #IPv4, else drop
    (0x30, 0, 0, 23),           # ldb [23]            IP protocol
    (0x15, 0, 6, 6),            # jeq #TCP, else drop
    (0x28, 0, 0, 20),           # ldh [20]            flags + fragment
    (0x45, 4, 0, 0x1fff),       # jset #offset: drop
    (0xb1, 0, 0, 14),           # ldxb 4*([14]&0xf)   IP header length
    (0x50, 0, 0, 27),           # ldb [x+27]          TCP flags
    (0x45, 0, 1, 0x05),         # jset #(FIN|RST), else drop
    (0x06, 0, 0, 128),          # ret #128            accept 128 bytes
    (0x06, 0, 0, 0),            # ret #0              drop
)
SO_ATTACH_FILTER = 26
SOL_PACKET = 263
PACKET_STATISTICS = 6
ETH_P_ALL = 0x0003
TCP_FIN, TCP_RST = 0x01, 0x04


def parse_segment(frame):
    """An Ethernet/IPv4/TCP frame -> (src, sport, dst, dport, flags, seq,
    ack, payload length)."""
    ihl = (frame[14] & 0xf) * 4
    tot = struct.unpack_from("!H", frame, 16)[0]
    src, dst = (socket.inet_ntoa(frame[o:o + 4]) for o in (26, 30))
    t = 14 + ihl
    sport, dport, seq, ack = struct.unpack_from("!HHII", frame, t)
    doff = (frame[t + 12] >> 4) * 4
    return (src, sport, dst, dport, frame[t + 13], seq, ack,
            tot - ihl - doff)


def finrst_capture(iface):
    """Records every FIN or RST segment on `iface` (both directions) with
    its arrival time, until stdin closes; prints "ready" once the filter
    is on, then one JSON object: records and the kernel's drop count."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    prog = b"".join(struct.pack("HBBI", *i) for i in BPF_FINRST)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HP", len(BPF_FINRST), ctypes.addressof(buf))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    s.bind((iface, 0))
    # Frames that matched before the filter was attached: drop them.
    s.setblocking(False)
    try:
        while True:
            s.recv(2048)
    except BlockingIOError:
        pass
    s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)   # reading zeroes them
    print("ready", flush=True)
    records = []
    stdin_open = True
    while stdin_open:
        r, _, _ = select.select([s, sys.stdin], [], [])
        if sys.stdin in r and not sys.stdin.readline():
            stdin_open = False
        while True:
            try:
                frame = s.recv(2048)
            except BlockingIOError:
                break
            records.append((time.time(),) + parse_segment(frame))
    _, drops = struct.unpack("II", s.getsockopt(SOL_PACKET,
                                                PACKET_STATISTICS, 8))
    print(json.dumps({"records": records, "drops": drops}), flush=True)
    return 0


def _seq_ge(a, b):
    return (a - b) % (1 << 32) < (1 << 31)


def guest_time_waits(records, guest=GUEST_IP):
    """From FIN/RST records (time, src, sport, dst, dport, flags, seq,
    ack, len): the connections the guest closed first and that no reset
    ended, as {"time_wait": [time the last FIN was seen], "fin_wait":
    [connections whose peer never closed]}.

    The guest closed first when its first FIN does not acknowledge a FIN
    of the peer seen before it (a simultaneous close counts: lwIP goes
    through CLOSING to TIME_WAIT too).  A reset the guest sends ends its
    PCB; one the peer sends ends it too, except in TIME_WAIT, where lwIP
    ignores it (RFC 1337, tcp_timewait_input)."""
    conns = {}
    for t, src, sport, dst, dport, flags, seq, ack, n in records:
        from_guest = src == guest
        key = (sport, dport) if from_guest else (dport, sport)
        c = conns.setdefault(key, {"peer_fin": None, "guest_first": None,
                                   "reset": False, "last": t})
        if flags & TCP_FIN:
            c["last"] = t
        if from_guest:
            if flags & TCP_RST:
                c["reset"] = True
            elif flags & TCP_FIN and c["guest_first"] is None:
                c["guest_first"] = not (c["peer_fin"] is not None and
                                        _seq_ge(ack, c["peer_fin"]))
        else:
            if flags & TCP_RST and not (c["guest_first"] and
                                        c["peer_fin"] is not None):
                c["reset"] = True
            if flags & TCP_FIN and c["peer_fin"] is None:
                c["peer_fin"] = (seq + n + 1) % (1 << 32)
    out = {"time_wait": [], "fin_wait": []}
    for key, c in sorted(conns.items()):
        if c["guest_first"] and not c["reset"]:
            if c["peer_fin"] is None:
                out["fin_wait"].append(key)
            else:
                out["time_wait"].append(c["last"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="unisr soak test clients")
    ap.add_argument("client", choices=("tcp-loop", "udp-loop", "finrst"))
    ap.add_argument("--addr", default=GUEST_IP)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--iface", default="tap0")
    args = ap.parse_args(argv)
    if args.client == "finrst":
        return finrst_capture(args.iface)
    fn = tcp_loop if args.client == "tcp-loop" else udp_loop
    print(json.dumps(fn(args.addr, args.seconds)), flush=True)
    return 0


# ---- tests ------------------------------------------------------------------

def iperf3_loop(con, netns, seconds, runs, waits):
    """iperf3 runs, forward and -R in turn, until `seconds` pass; each
    run's (args, rc, output if it failed) goes into `runs`.  Before each
    run the guest's `iperf3` must say idle (the server takes one test at
    a time); the states it showed before that go into `waits`."""
    deadline = time.monotonic() + seconds
    while True:
        seen = []
        ti.wait_state(con, lambda st, c: seen.append(st) or st == "idle",
                      "idle before run %d" % (len(runs) + 1))
        waits.append(seen[:-1])
        left = int(deadline - time.monotonic())
        if left < IPERF_MIN:
            return
        args = ["-R"] if len(runs) % 2 else []
        rc, out, err = netns.call(
            ti.client_argv(min(IPERF_RUN, left), args, as_json=False),
            timeout=IPERF_TIMEOUT)
        runs.append((args, rc, (out[-800:] + err[-400:]) if rc else ""))
        if rc != 0:
            return


def time_wait_left(entered, now):
    """How many of the PCBs that entered TIME_WAIT at `entered` (times)
    are surely still in it at `now`: lwIP's timers fire late, never
    early, so every one younger than TIME_WAIT_S - TW_GUARD."""
    return sum(now - e < TIME_WAIT_S - TW_GUARD for e in entered)


def pools_settled(con, base, entered):
    """Polls until the pools are the baseline plus the PCBs surely in
    TIME_WAIT (and, with any PCB, the TCP timer's sys_timeout).  Only
    while some PCB of `entered` is old enough to be leaving, and at most
    until TW_LATE * TIME_WAIT_S after the last: lwIP's TCP timer re-arms
    itself relative to when it ran, so under load TIME_WAIT may last
    longer than 2 * TCP_MSL; when every PCB is young the count is
    certain and the first reading is final.
    Returns (last reading, PCBs counted in TIME_WAIT, wanted, readings
    as (age of the youngest, PCBs counted, tcp_pcb used))."""
    deadline = max(entered, default=0.0) + TW_LATE * TIME_WAIT_S
    readings = []
    while True:
        st = ts.wait_quiet(con)
        now = time.time()
        tw = time_wait_left(entered, now)
        want = ts.used(base)
        want["tcp_pcb"] += tw
        want["sys_timeout"] += 1 if tw else 0
        got = ts.used(st)
        readings.append((round(now - max(entered, default=now)), tw,
                         got["tcp_pcb"]))
        lingering = any(now - e >= TIME_WAIT_S - TW_GUARD for e in entered)
        if got == want or not lingering or now > deadline:
            return st, tw, want, readings
        time.sleep(TW_POLL)


# Closing segments of an iperf3 -R run (its stream: the guest's FIN first)
# and of its control connection (the client's FIN first), then a TCP echo
# connection the client shut down first, and one reset by the peer before
# it closed.
G, H = GUEST_IP, HOST_IP
FINRST_SAMPLE = [
    (1.0, G, 5201, H, 33712, 0x11, 185965251, 847473787, 0),
    (1.1, H, 33712, G, 5201, 0x11, 847473787, 185965252, 0),
    (1.2, H, 33696, G, 5201, 0x11, 203715090, 6731, 0),
    (1.3, G, 5201, H, 33696, 0x11, 6731, 203715091, 0),
    (2.0, H, 40000, G, 7, 0x11, 1000, 5000, 10),
    (2.1, G, 7, H, 40000, 0x11, 5000, 1011, 0),
    (3.0, G, 5201, H, 33800, 0x11, 100, 200, 0),
    (3.1, H, 33800, G, 5201, 0x14, 200, 101, 0),
]


def test_guest_time_waits():
    got = guest_time_waits(FINRST_SAMPLE)
    assert got == {"time_wait": [1.1], "fin_wait": []}, got
    # Without the peer's FIN the guest waits in FIN_WAIT_2.
    got = guest_time_waits(FINRST_SAMPLE[:1])
    assert got == {"time_wait": [], "fin_wait": [(5201, 33712)]}, got
    # A reset after the peer's FIN meets TIME_WAIT and is ignored.
    got = guest_time_waits(FINRST_SAMPLE[:2] + [
        (1.5, H, 33712, G, 5201, 0x04, 847473788, 0, 0)])
    assert got == {"time_wait": [1.1], "fin_wait": []}, got
    # Both FINs sent before either arrived: lwIP goes through CLOSING.
    got = guest_time_waits([(4.0, H, 50000, G, 7, 0x11, 10, 20, 0),
                            (4.0, G, 7, H, 50000, 0x11, 20, 10, 0)])
    assert got == {"time_wait": [4.0], "fin_wait": []}, got


def test_bpf_jumps():
    """Every jump of the filter lands inside it, on a ret."""
    for i, (code, jt, jf, _) in enumerate(BPF_FINRST):
        if code & 0x07 == 0x05:                         # BPF_JMP
            for off in (jt, jf):
                assert i + 1 + off < len(BPF_FINRST)
    assert [c for c, _, _, _ in BPF_FINRST[-2:]] == [0x06, 0x06]


def test_time_wait_left():
    assert time_wait_left([], 500.0) == 0
    assert time_wait_left([200.0, 250.0, 300.0], 305.0) == 3
    assert time_wait_left([200.0, 250.0, 300.0], 395.0) == 1
    assert time_wait_left([100.0], 100.0 + TIME_WAIT_S - TW_GUARD) == 0


def soak(qemu, netns, seconds):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem=MEM, smp=SMP, prefix=netns.prefix(),
               extra=netns.virtio_net_args(QUEUES, rss=True))
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    res = ts.run_client(netns, "warmup")
    assert res == {"udp": True, "tcp": True, "tcp_eof": True}, res
    base = ts.wait_quiet(con)
    base_posted = tr.posted(con)
    assert len(base_posted) == QUEUES, base_posted
    _, iperf_base = ti.server_state(con)

    me = [sys.executable, str(Path(__file__).resolve())]
    cap = subprocess.Popen(netns.prefix() + me + ["finrst", "--iface",
                                                  netns.tap],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    assert cap.stdout.readline().strip() == "ready"
    loops = [subprocess.Popen(netns.prefix() + me + [
        c, "--seconds", str(seconds)], stdout=subprocess.PIPE, text=True)
        for c in ("tcp-loop", "udp-loop")]
    runs, waits, errors = [], [], []

    def loop():
        try:
            iperf3_loop(con, netns, seconds, runs, waits)
        except BaseException as e:          # re-raised below
            errors.append(e)

    t = threading.Thread(target=loop)
    t.start()
    try:
        t.join(seconds + IPERF_TIMEOUT + LOOP_SLACK)
        out = [pr.communicate(timeout=seconds + LOOP_SLACK)[0]
               for pr in loops]
        closes = json.loads(cap.communicate("", timeout=LOOP_SLACK)[0])
    finally:
        for pr in loops + [cap]:
            if pr.poll() is None:
                pr.kill()
                pr.communicate()
    assert not t.is_alive(), "iperf3 loop still running"
    if errors:
        raise errors[0]
    tcp, udp = (json.loads(o.strip().splitlines()[-1]) for o in out)
    print("iperf3: %d runs, exit codes %s; guest states seen before idle "
          "between runs: %s" % (len(runs), [r[1] for r in runs], waits))
    print("tcp echo: %s" % {k: v for k, v in tcp.items() if k != "bad"})
    print("udp echo: %s" % udp)

    failed = [(i, r) for i, r in enumerate(runs) if r[1] != 0]
    assert runs and not failed, failed
    assert tcp["bad"] == [] and tcp["conns"] >= 1, tcp
    assert udp["lost"] == 0 and udp["mismatch"] == 0, udp
    assert udp["identical"] == udp["sent"] >= 1, udp
    _, iperf = ti.wait_state(con, lambda s, c: s == "idle", "idle")
    n = len(runs)
    assert {k: iperf[k] - iperf_base[k] for k in iperf} == {
        "tests": n, "completed": n, "aborted": 0, "denied": 0,
        "errors": 0}, (iperf_base, iperf)

    assert closes["drops"] == 0, closes["drops"]
    first = guest_time_waits([tuple(r) for r in closes["records"]])
    assert first["fin_wait"] == [], first
    end, tw, want, readings = pools_settled(con, base, first["time_wait"])
    print("%d FIN/RST segments; the guest closed %d connections first "
          "(-R runs %d); %d PCBs surely in TIME_WAIT at the last reading; "
          "readings (s since the last close, PCBs counted, tcp_pcb used): "
          "%s" % (len(closes["records"]), len(first["time_wait"]),
                  sum(r[0] == ["-R"] for r in runs), tw, readings))
    got = ts.used(end)
    assert got == want, "pools not back to the baseline: %s" % {
        k: (want[k], got[k]) for k in want if got[k] != want[k]}
    for pool in ts.PBUF_POOLS:
        assert end["memp"][pool]["err"] == 0, (pool, end["memp"][pool])
    assert end["heap"]["err"] == 0, end["heap"]
    assert end["assertions"] == 0, end
    assert tr.posted(con) == base_posted
    rings = tt.tx_rings(con)
    assert len(rings) == QUEUES, rings
    for q, r in rings.items():
        assert r["published"] == r["used"] == r["last_used"], (q, r)
    rows = workstreams(con)
    assert identity_broken(rows) == [], rows
    acct = check_accounting(netns.stats(), netstat_i(con), rows, end)
    print("accounting: %s" % acct)
    assert not con.panics and con.alive()


@pytest.mark.requires_tap
def test_soak(qemu, netns):
    soak(qemu, netns, SOAK_SECONDS)


@pytest.mark.slow
@pytest.mark.requires_tap
def test_soak_600(qemu, netns):
    soak(qemu, netns, SOAK_SLOW_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
