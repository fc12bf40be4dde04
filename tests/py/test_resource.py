# SPDX-License-Identifier: BSD-2-Clause
"""Resource attacks: what a few clients can pin, and copied rx frames.

One boot per test: -smp 1, pc, 128M, one queue pair on the tap of a fresh
namespace (host 10.0.2.2/24, guest 10.0.2.15): every flow shares one rx
ring, the worst case for starvation.  Proves:

- test_udp_echo_copied (defect 1): with `sysctl hw.vtnet.rx_lend_max=0`
  every received frame is copied into a pool pbuf instead of lent, and
  2,000 UDP echoes get 2,000 identical replies; `netstat -s` counts at
  least 2,000 more copied frames and no new `link lenerr` (before the fix
  the copy had no room for the Ethernet header: every reply was dropped
  with link.lenerr).
- test_echo_hold (defect 2): 8 TCP echo clients each send 1 MiB and never
  read (4 KiB receive buffers).  While they hold their connections open,
  a new client gets 10 of 10 pings, a UDP echo and a TCP echo answered,
  and `vtnet rings` shows the rx ring kept at least a quarter of its
  buffers posted.  Once they close, every lwIP pool's and the heap's
  `used` and the ring's posted buffers equal the baseline taken before
  the attack, with no failed pbuf allocation.  (Before the fix the
  clients pinned every rx buffer and the copy pool, and nothing on the
  queue was received again.)

Run as a program inside the namespace it is the hold client (`hold`).
"""

import argparse
import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import test_stats as ts

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
ECHO_PORT = 7
UDP_ECHOES = 2000
UDP_BATCH = 16
UDP_TIMEOUT = 2.0
UDP_RETRIES = 3
UDP_GIVE_UP = 3           # batches in a row without a reply
HOLD_CONNS = 8
HOLD_BYTES = 1 << 20
HOLD_RCVBUF = 4096
HOLD_STALL = 2.0          # a sender blocked this long: the guest held
HOLD_MAX = 60.0           # the hold client gives up after this
PROBE_PINGS = 10
CLIENT_TIMEOUT = 120.0
BASELINE_TIMEOUT = 120.0  # lwIP's persist backoff reaches 60 s
RX_RE = re.compile(r"^rx(\d+): avail \d+ published \d+ used \d+ last_used \d+ "
                   r"used_event \d+ avail_event \d+ nfree \d+ posted (\d+) ",
                   re.M)


def boot(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=1, prefix=netns.prefix(),
                extra=netns.virtio_net_args(1))


def posted(con):
    """{queue: rx buffers posted} from `vtnet rings`."""
    text = "\n".join(con.run("vtnet rings"))
    out = {int(m.group(1)): int(m.group(2)) for m in RX_RE.finditer(text)}
    assert out, text
    return out


def wait_baseline(con, base):
    """Polls `netstat -s` until every pool and the heap are back at the
    baseline, or BASELINE_TIMEOUT passes; returns the last reading.  The
    hold clients' RSTs carry their own send sequence, out of the guest's
    (closed) window, so lwIP ignores them; a connection goes only when the
    guest's next zero-window probe draws a reset at the right sequence,
    and the probe interval backs off to many seconds during the hold."""
    deadline = time.monotonic() + BASELINE_TIMEOUT
    while True:
        st = ts.netstat(con)
        if ts.used(st) == ts.used(base) or time.monotonic() > deadline:
            return st
        time.sleep(ts.POLL)


# ---- clients (run inside the namespace) -----------------------------------

def udp_client(addr, n):
    """n UDP echoes of distinct 64-byte payloads, UDP_BATCH in flight;
    a batch that loses replies is resent whole, up to UDP_RETRIES times.
    Returns {"replies": identical replies, "retries": resends}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UDP_TIMEOUT)
    got, retries, failed = set(), 0, 0
    for base in range(0, n, UDP_BATCH):
        if failed >= UDP_GIVE_UP:
            break                   # the guest stopped answering
        before = len(got)
        want = {b"%08d" % i + bytes(56)
                for i in range(base, min(base + UDP_BATCH, n))}
        for attempt in range(UDP_RETRIES + 1):
            for d in sorted(want - got):
                s.sendto(d, (addr, ECHO_PORT))
            try:
                while not want <= got:
                    d = s.recv(2048)
                    if d in want:
                        got.add(d)
            except socket.timeout:
                retries += 1
                continue
            break
        failed = failed + 1 if len(got) == before else 0
    s.close()
    return {"replies": len(got), "retries": retries}


def hold_client(addr, conns, nbytes, hold):
    """conns connections that each send nbytes and never read.  Prints
    "holding" once every sender has stalled (or finished), then keeps the
    connections open until stdin closes, and reports bytes sent."""
    socks, sent = [], [0] * conns
    last = [time.monotonic()] * conns
    for _ in range(conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, HOLD_RCVBUF)
        s.connect((addr, ECHO_PORT))
        s.settimeout(hold)
        socks.append(s)
    chunk = bytes(16384)

    def send(i):
        try:
            while sent[i] < nbytes:
                n = socks[i].send(chunk[:min(len(chunk), nbytes - sent[i])])
                sent[i] += n
                last[i] = time.monotonic()
        except OSError:
            pass

    threads = [threading.Thread(target=send, args=(i,), daemon=True)
               for i in range(conns)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < hold:
        now = time.monotonic()
        if all(now - last[i] > HOLD_STALL or sent[i] >= nbytes
               for i in range(conns)):
            break
        time.sleep(0.2)
    print("holding", flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()
    print(json.dumps({"sent": sent}), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="unisr resource test clients")
    ap.add_argument("client", choices=("udp", "hold"))
    ap.add_argument("--addr", default=GUEST_IP)
    ap.add_argument("-n", type=int, default=UDP_ECHOES)
    args = ap.parse_args(argv)
    if args.client == "hold":
        return hold_client(args.addr, HOLD_CONNS, HOLD_BYTES, HOLD_MAX)
    print(json.dumps(udp_client(args.addr, args.n)))
    return 0


def client_argv(*args):
    return [sys.executable, str(Path(__file__).resolve())] + list(args)


# ---- tests ------------------------------------------------------------------

@pytest.mark.requires_tap
def test_udp_echo_copied(qemu, netns):
    con = boot(qemu, netns)
    assert netns.ping(GUEST_IP, 3).received == 3
    out = "\n".join(con.run("sysctl hw.vtnet.rx_lend_max=0"))
    assert "hw.vtnet.rx_lend_max:" in out and "-> 0" in out, out
    before = ts.netstat(con)
    p = netns.run(client_argv("udp", "-n", str(UDP_ECHOES)),
                  timeout=CLIENT_TIMEOUT)
    res = json.loads(p.stdout)
    after = ts.netstat(con)
    assert res["replies"] == UDP_ECHOES, res
    copied = after["rx"]["copied"] - before["rx"]["copied"]
    assert copied >= UDP_ECHOES, (copied, res)
    lenerr = (after["proto"]["link"]["lenerr"] -
              before["proto"]["link"]["lenerr"])
    assert lenerr == 0, lenerr
    assert con.alive()


@pytest.mark.requires_tap
def test_echo_hold(qemu, netns):
    con = boot(qemu, netns)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    assert ts.run_client(netns, "warmup") == {"udp": True, "tcp": True,
                                              "tcp_eof": True}
    base = ts.wait_quiet(con)
    base_posted = posted(con)

    hold = subprocess.Popen(netns.prefix() + client_argv("hold"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = hold.stdout.readline()
        assert line.strip() == "holding", line
        p = netns.ping(GUEST_IP, PROBE_PINGS)
        probe = ts.run_client(netns, "warmup")
        ring = posted(con)
        held = ts.netstat(con)
    finally:
        out, _ = hold.communicate("", timeout=CLIENT_TIMEOUT)
    sent = json.loads(out.strip().splitlines()[-1])["sent"]
    print("hold clients sent %s bytes; echo held %d times" % (
        sent, held["echo_held"]))
    assert p.received == PROBE_PINGS, p
    assert probe == {"udp": True, "tcp": True, "tcp_eof": True}, probe
    for q, n in ring.items():
        assert n >= base_posted[q] // 4, (ring, base_posted)
    assert held["echo_held"] > base["echo_held"], (base["echo_held"],
                                                   held["echo_held"])

    end = wait_baseline(con, base)
    want, got = ts.used(base), ts.used(end)
    assert got == want, "pools not back to the baseline: %s" % {
        k: (want[k], got[k]) for k in want if got[k] != want[k]}
    for pool in ts.PBUF_POOLS:
        assert end["memp"][pool]["err"] == 0, (pool, end["memp"][pool])
    assert posted(con) == base_posted
    assert con.alive()


if __name__ == "__main__":
    sys.exit(main())
