# SPDX-License-Identifier: BSD-2-Clause
"""Floods above capacity, netisr's queue limits, and where every received
frame went.

Every boot: q35, 256M, a direct boot on the tap of a fresh namespace
(host 10.0.2.2/24, guest 10.0.2.15).  Proves:

- test_flood (-smp 2, two queue pairs with RSS): three concurrent
  `ping -f -c 3000` and a UDP blast of 64-byte datagrams to the echo port
  over 8 flows (this file run as a program inside the namespace: at most
  200,000 datagrams or 10 s, whichever comes first, as fast as Python
  sends) run at once.  While they run the guest's shell still answers
  (`uptime`: at least once while a client still ran, and every time it
  was asked).  Each flood sent its 3000.  Afterwards 10 of 10 pings are
  answered and a UDP echo and a TCP echo round trip work (test_stats'
  warm-up client).  Once the guest is quiet:
  - netisr's identity holds exactly for every protocol on every CPU:
    Disp'd + HDisp'd + Queued == Handled + Len, with Len 0 (`netstat -Q`);
  - every frame QEMU read from the tap is accounted for, exactly, level
    by level: the tap's tx_packets == the driver's Ipkts + its rx drops
    by reason (every reason `netstat -i` names: the header checks and
    oversize), with refill drops 0 (a repost that cannot fail, not a
    frame); Ipkts == what netisr's ether protocol handled + dropped
    (QDrops); what ether handled == what ip, arp and ip6 were handed
    (Handled + QDrops) + the glue's runts and unknown-ethertype drops +
    netisr's unregistered-protocol drops (`netstat -s`).  Frames the
    kernel dropped at the tap because QEMU did not read them fast enough
    (its tx_dropped: the load was above what the guest takes) never
    reached the guest; they are printed, not asserted.
- test_deferred_qdrops (-smp 2, two queues, RSS, `net.isr.dispatch=deferred
  net.isr.defaultqlimit=4`): a ping flood with 64 requests in flight
  (`ping -f -l 64 -c 2000`) makes `netstat -Q` show QDrops > 0 for ip on
  some CPU (the queue limit works and its drops are counted), the
  identity and the frame accounting above hold with those drops, and
  once the flood stops 10 of 10 pings are answered.

Also checks its `netstat -i` parser and the identity check on fixed
samples, without QEMU.  Run as a program inside the namespace it is the
UDP blaster (`blast`).
"""

import argparse
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import netns as nsmod
import test_stats as ts
from test_netisr import netstat_q

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "256M"
SMP = 2
QUEUES = 2
ECHO_PORT = 7
FLOODS = 3
FLOOD_COUNT = 3000
BLAST_COUNT = 200000
BLAST_SECONDS = 10.0
BLAST_FLOWS = 8
BLAST_SIZE = 64
PINGS = 10
DEFERRED = "net.isr.dispatch=deferred net.isr.defaultqlimit=4"
QLIMIT_FLOOD = 2000
QLIMIT_PRELOAD = 64
CLIENT_TIMEOUT = 120.0
UPTIME_RE = re.compile(r"^uptime: \d+ us$")
UPTIME_POLL = 0.5
LINK_PROTOS = ("ip", "arp", "ip6")      # what ether hands over

# `netstat -i` (drivers/virtio_net/vtnet_cmds.c netstat_i).
NI_HDR = ("Name", "Queue", "CPU", "RxVec", "TxVec", "Ipkts", "Ibytes",
          "Idrops", "Opkts", "Obytes", "Odrops", "Intrs", "Polls",
          "Refills", "Full", "Csum", "Hashed")
NI_LINK_RE = re.compile(r"^vtnet0: link (up|down), link changes (\d+)$")
# Reasons by name, then refill (a repost that failed: not a frame drop).
NI_DROPS_RE = re.compile(r"^vtnet0: rx drops((?: [a-z0-9-]+ \d+)+)$")


# ---- parsing ---------------------------------------------------------------

def parse_netstat_i(lines):
    """`netstat -i` -> {"queues": {q: {column: n}}, "total": {column: n},
    "link_up": bool, "link_changes": n, "rx_drops": {reason: n, ...,
    "refill": n}}.  Raises ValueError if a part is missing."""
    out = {"queues": {}}
    for ln in lines:
        f = ln.split()
        if tuple(f) == NI_HDR:
            out["header"] = True
        elif f[:1] == ["vtnet0"] and len(f) == len(NI_HDR):
            cols = {k: int(v) for k, v in zip(NI_HDR[5:], f[5:])}
            if f[1] == "total":
                out["total"] = cols
            else:
                out["queues"][int(f[1])] = cols
        elif NI_LINK_RE.match(ln):
            m = NI_LINK_RE.match(ln)
            out["link_up"] = m.group(1) == "up"
            out["link_changes"] = int(m.group(2))
        elif NI_DROPS_RE.match(ln):
            f = NI_DROPS_RE.match(ln).group(1).split()
            out["rx_drops"] = dict(zip(f[0::2], map(int, f[1::2])))
    for k in ("header", "total", "link_up", "rx_drops"):
        if k not in out:
            raise ValueError("netstat -i has no %s: %s" % (k, lines))
    if "refill" not in out["rx_drops"] or len(out["rx_drops"]) < 2:
        raise ValueError("netstat -i: rx drops without reasons: %s" % lines)
    if not out["queues"]:
        raise ValueError("netstat -i has no queue rows: %s" % lines)
    return out


def netstat_i(con):
    return parse_netstat_i(con.run("netstat -i"))


WS_KEYS = ("wsid", "cpu", "name", "len", "wmark", "disp", "hdisp",
           "qdrops", "queued", "handled", "purged", "batches")


def workstreams(con):
    """netstat -Q's workstream rows as dicts (numbers as ints)."""
    _, _, ws = netstat_q(con)
    return [{k: (v if k == "name" else int(v)) for k, v in zip(WS_KEYS, w)}
            for w in ws]


def identity_broken(rows, quiet=True):
    """Rows where Disp'd + HDisp'd + Queued != Handled + Len + Purged, or
    (quiet) Len != 0."""
    return [w for w in rows
            if w["disp"] + w["hdisp"] + w["queued"] !=
            w["handled"] + w["len"] + w["purged"]
            or (quiet and w["len"] != 0)]


def proto_sum(rows, name, *cols):
    return sum(w[c] for w in rows if w["name"] == name for c in cols)


def check_accounting(tap, ni, rows, st):
    """Every frame the tap sent, level by level (see the docstring).
    Returns the numbers for the report."""
    ipkts = ni["total"]["Ipkts"]
    d = ni["rx_drops"]
    assert d["refill"] == 0, ni
    dropped = sum(n for k, n in d.items() if k != "refill")
    assert tap["tx_packets"] == ipkts + dropped, (
        "tap sent %d frames; driver: Ipkts %d + dropped %d %s"
        % (tap["tx_packets"], ipkts, dropped, d))
    ether = proto_sum(rows, "ether", "handled", "qdrops", "len")
    assert ether == ipkts, ("ether handled+qdrops %d != Ipkts %d"
                            % (ether, ipkts), rows)
    handed = sum(proto_sum(rows, p, "handled", "qdrops", "len")
                 for p in LINK_PROTOS)
    glue = st["rx"]["runts"] + st["rx"]["unknown-ethertype"] + st["unreg"]
    handled = proto_sum(rows, "ether", "handled")
    assert handled == handed + glue, (
        "ether handled %d != ip/arp/ip6 handed %d + runts/unknown/unreg %d"
        % (handled, handed, glue), rows, st["rx"])
    return {"tap_tx": tap["tx_packets"], "tap_tx_dropped":
            tap["tx_dropped"], "ipkts": ipkts, "drops": d,
            "qdrops": {p: proto_sum(rows, p, "qdrops")
                       for p in ("ether",) + LINK_PROTOS}}


NI_SAMPLE = """\
Name   Queue CPU RxVec TxVec      Ipkts       Ibytes Idrops      Opkts \
      Obytes Odrops    Intrs    Polls  Refills  Full     Csum   Hashed
vtnet0     0   0    80    81          4          336      0          5 \
         378      0        8        7        4     0        0        3
vtnet0     1   1    82    83          0            0      0          0 \
           0      0        0        0        0     0        0        0
vtnet0 total   -     -     -          4          336      0          5 \
         378      0        8        7        4     0        0        3
vtnet0: link up, link changes 2
vtnet0: rx csum completed 0, buffers returned by the stack 4
vtnet0: rx drops short 1 num-buffers 0 merged 2 gso 0 flags 0 csum-start 0 \
csum-offset 0 hash-report 0 oversize 0 refill 0""".split("\n")


def test_parse_netstat_i():
    ni = parse_netstat_i(NI_SAMPLE)
    assert ni["total"]["Ipkts"] == 4 and ni["queues"][0]["Opkts"] == 5
    assert ni["queues"][1]["Ipkts"] == 0 and set(ni["queues"]) == {0, 1}
    assert (ni["link_up"], ni["link_changes"]) == (True, 2)
    assert ni["rx_drops"] == {"short": 1, "num-buffers": 0, "merged": 2,
                              "gso": 0, "flags": 0, "csum-start": 0,
                              "csum-offset": 0, "hash-report": 0,
                              "oversize": 0, "refill": 0}
    with pytest.raises(ValueError):
        parse_netstat_i(NI_SAMPLE[:-1])
    with pytest.raises(ValueError):
        parse_netstat_i(NI_SAMPLE[:-1] + ["vtnet0: rx drops refill 0"])
    good = {"wsid": 0, "cpu": 0, "name": "ip", "len": 1, "wmark": 3,
            "disp": 5, "hdisp": 1, "qdrops": 9, "queued": 4, "handled": 9,
            "purged": 0}
    assert identity_broken([good], quiet=False) == []
    assert identity_broken([good]) == [good]        # Len 1 is not quiet
    bad = dict(good, len=0, handled=11)
    assert identity_broken([bad], quiet=False) == [bad]
    purged = dict(good, handled=7, purged=2)       # vnet stopped meanwhile
    assert identity_broken([purged], quiet=False) == []
    assert identity_broken([dict(purged, purged=1)], quiet=False) != []


# ---- the UDP blaster (run inside the namespace) ----------------------------

def blast(addr, count, seconds, flows, size):
    """Up to `count` datagrams of `size` bytes to addr:7 over `flows`
    source ports, round robin, as fast as send() goes, for at most
    `seconds`; drains replies as it goes.  Prints "started" first, then
    one JSON line: sent, send errors (ENOBUFS/EAGAIN), replies, seconds."""
    socks = []
    for _ in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((addr, ECHO_PORT))
        socks.append(s)
    data = bytes(size)
    sent = errors = replies = 0
    print("started", flush=True)
    t0 = time.monotonic()
    end = t0 + seconds
    while sent < count:
        if (sent + errors) % 256 == 0:
            if time.monotonic() > end:
                break
            for s in socks:
                try:
                    while True:
                        s.recv(2048)
                        replies += 1
                except OSError:
                    pass
        try:
            socks[(sent + errors) % flows].send(data)
            sent += 1
        except OSError:
            errors += 1
    res = {"sent": sent, "errors": errors, "replies": replies,
           "seconds": round(time.monotonic() - t0, 3)}
    for s in socks:
        s.close()
    print(json.dumps(res), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="unisr flood test clients")
    ap.add_argument("client", choices=("blast",))
    ap.add_argument("--addr", default=GUEST_IP)
    ap.add_argument("--count", type=int, default=BLAST_COUNT)
    ap.add_argument("--seconds", type=float, default=BLAST_SECONDS)
    ap.add_argument("--flows", type=int, default=BLAST_FLOWS)
    ap.add_argument("--size", type=int, default=BLAST_SIZE)
    args = ap.parse_args(argv)
    return blast(args.addr, args.count, args.seconds, args.flows, args.size)


# ---- tests ------------------------------------------------------------------

def boot(qemu, netns, cmdline=""):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="q35", mem=MEM, smp=SMP, cmdline=cmdline,
                prefix=netns.prefix(),
                extra=netns.virtio_net_args(QUEUES, rss=True))


def spawn(netns, argv):
    return subprocess.Popen(netns.prefix() + argv, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def ping_flood_argv(count, preload=None):
    return (["ping", "-n", "-q", "-f", "-c", str(count)]
            + (["-l", str(preload)] if preload else []) + [GUEST_IP])


def finish(proc):
    """Waits for a spawned client; returns (rc, output)."""
    try:
        out, _ = proc.communicate(timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail("client %s did not finish in %.0f s: %s"
                    % (proc.args, CLIENT_TIMEOUT, out[-400:]))
    return proc.returncode, out


def pings_ok(netns):
    """PINGS of PINGS answered."""
    p = netns.ping(GUEST_IP, PINGS)
    assert (p.rc, p.received) == (0, PINGS), p


@pytest.mark.requires_tap
def test_flood(qemu, netns):
    con = boot(qemu, netns)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    res = ts.run_client(netns, "warmup")
    assert res == {"udp": True, "tcp": True, "tcp_eof": True}, res

    blaster = spawn(netns, [sys.executable, str(Path(__file__).resolve()),
                            "blast"])
    floods = [spawn(netns, ping_flood_argv(FLOOD_COUNT))
              for _ in range(FLOODS)]
    procs = [blaster] + floods
    try:
        assert blaster.stdout.readline().strip() == "started"
        # The shell answers while the flood runs: ask until it is over.
        asked = answered_during = 0
        while any(pr.poll() is None for pr in procs):
            out = con.run("uptime")
            asked += 1
            assert len(out) == 1 and UPTIME_RE.match(out[0]), out
            if any(pr.poll() is None for pr in procs):
                answered_during += 1
            time.sleep(UPTIME_POLL)
        results = [finish(pr) for pr in procs]
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
                pr.communicate()
    rc, out = results[0]
    assert rc == 0, out
    blast_res = json.loads(out.strip().splitlines()[-1])
    print("blast: %s" % blast_res)
    assert blast_res["sent"] > 0, blast_res
    for rc, out in results[1:]:
        fp = nsmod.Ping(["ping", "-f"], rc, out)
        print("ping -f: %d sent, %d received, exit %d" % (
            fp.transmitted, fp.received, rc))
        assert fp.summary and fp.transmitted == FLOOD_COUNT, out
        assert fp.received > 0 and rc in (0, 1), out
    print("uptime answered %d times during the flood (%d asked)" % (
        answered_during, asked))
    assert answered_during >= 1, (answered_during, asked)

    pings_ok(netns)
    res = ts.run_client(netns, "warmup")
    assert res == {"udp": True, "tcp": True, "tcp_eof": True}, res
    st = ts.wait_quiet(con)
    rows = workstreams(con)
    assert identity_broken(rows) == [], rows
    acct = check_accounting(netns.stats(), netstat_i(con), rows, st)
    print("accounting: %s" % acct)
    assert st["assertions"] == 0, st
    assert not con.panics and con.alive()


@pytest.mark.requires_tap
def test_deferred_qdrops(qemu, netns):
    con = boot(qemu, netns, DEFERRED)
    config, _, _ = netstat_q(con)
    assert config["Dispatch policy"] == ["deferred", "n/a"], config
    assert config["Default queue limit"][0] == "4", config
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p

    rc, out = finish(spawn(netns, ping_flood_argv(QLIMIT_FLOOD,
                                                  QLIMIT_PRELOAD)))
    fp = nsmod.Ping(["ping", "-f"], rc, out)
    print("ping -f -l %d: %d sent, %d received, exit %d" % (
        QLIMIT_PRELOAD, fp.transmitted, fp.received, rc))
    assert fp.summary and fp.transmitted == QLIMIT_FLOOD, out

    pings_ok(netns)
    st = ts.wait_quiet(con)
    rows = workstreams(con)
    ip_drops = {w["cpu"]: w["qdrops"] for w in rows if w["name"] == "ip"}
    print("ip QDrops by CPU: %s" % ip_drops)
    assert any(n > 0 for n in ip_drops.values()), rows
    assert identity_broken(rows) == [], rows
    acct = check_accounting(netns.stats(), netstat_i(con), rows, st)
    print("accounting: %s" % acct)
    assert not con.panics and con.alive()


if __name__ == "__main__":
    sys.exit(main())
