# SPDX-License-Identifier: BSD-2-Clause
"""The guest's UDP and TCP echo (port 7) and TCP discard (port 9) servers.

Every boot is -m 128M, -smp 2, a direct boot with a 2-queue virtio-net-pci
on the tap of a fresh network namespace (the `netns` fixture) whose host
side is 10.0.2.2/24; the guest is 10.0.2.15 (the default command line).
The clients are this file run as a program inside the namespace
(`ip netns exec NS python3 test_echo.py ...`), so every packet stays on
that tap.  Proves:
- UDP echo: 100 datagrams of sizes spread evenly over 1..1400 bytes
  (1 and 1400 included, all distinct), each of seeded random bytes and
  sent only after the previous one came back, each come back from
  10.0.2.15:7 byte-for-byte identical within 5 s, and no extra datagram
  arrives in the 1 s after the last (the client gives up after 3
  timeouts in a row);
- TCP echo: one connection to 10.0.2.15:7 sends 1 MiB (1,048,576 bytes of
  seeded random data) in chunks of 1, 7, 100, 1000, 1460, 4096, 32768 and
  65536 bytes, cycled, while reading; exactly 1 MiB comes back, identical
  to what was sent; after the client shuts down its sending side, the
  guest closes too (end of file, no extra byte, no reset), it has
  acknowledged every byte and the client's FIN (SIOCOUTQ reaches 0) and
  SO_ERROR is 0;
- TCP discard: one connection to 10.0.2.15:9 sends 1 MiB in the same
  chunks; after the client shuts down its sending side the guest closes
  (end of file after 0 bytes received, no reset), it has acknowledged
  every byte and the client's FIN (SIOCOUTQ reaches 0), and SO_ERROR is
  0, so the guest took the whole 1 MiB;
- after each, the console has no PANIC, one banner, and QEMU still runs.

Also checks its own plans without QEMU: the UDP sizes and the TCP chunk
sizes (which add up to exactly 1 MiB).
"""

import argparse
import array
import fcntl
import json
import random
import socket
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

import frames

MEM = "128M"
SMP = 2
QUEUES = 2
BOOT_TIMEOUT = 60.0
CMD_TIMEOUT = 10.0
CLIENT_TIMEOUT = 180.0          # one client program, start to finish
SOCK_TIMEOUT = 30.0             # one blocking socket call in TCP clients

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MAC = frames.GUEST_MAC
READY_LINE = ("READY cpus=%d queues=%d ip=%s/24 mac=%s"
              % (SMP, QUEUES, GUEST_IP, MAC))
ECHO_PORT = 7
DISCARD_PORT = 9

UDP_COUNT = 100
UDP_MAX = 1400
UDP_TIMEOUT = 5.0               # per datagram
UDP_DRAIN = 1.0                 # wait for strays after the last
UDP_GIVE_UP = 3                 # stop after this many timeouts in a row
TCP_TOTAL = 1 << 20
TCP_CHUNKS = (1, 7, 100, 1000, 1460, 4096, 32768, 65536)
SEED = 0x65636830               # "ech0"


# ---- plans ----------------------------------------------------------------

def udp_sizes(count=UDP_COUNT, top=UDP_MAX):
    """`count` sizes spread evenly over 1..top, both ends included."""
    return [1 + (top - 1) * i // (count - 1) for i in range(count)]


def tcp_chunks(total=TCP_TOTAL, sizes=TCP_CHUNKS):
    """Chunk sizes cycling through `sizes`, the last one cut to fit."""
    out, left, i = [], total, 0
    while left:
        n = min(sizes[i % len(sizes)], left)
        out.append(n)
        left -= n
        i += 1
    return out


# ---- clients (run inside the namespace) ----------------------------------

def udp_client(addr, port, seed):
    rng = random.Random(seed)
    res = {"sent": 0, "identical": 0, "mismatch": [], "timeout": [],
           "stray": 0}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((addr, port))
        t0 = time.monotonic()
        streak = 0
        for i, size in enumerate(udp_sizes()):
            data = rng.randbytes(size)
            s.settimeout(UDP_TIMEOUT)
            try:
                s.send(data)
                res["sent"] += 1
                back = s.recv(65536)
            except socket.timeout:
                res["timeout"].append(size)
                streak += 1
                if streak >= UDP_GIVE_UP:
                    res["gave_up"] = i + 1      # datagrams tried
                    break
                continue
            except OSError as e:        # e.g. ICMP port unreachable
                res["error"] = "size %d: %r" % (size, e)
                break
            streak = 0
            if back == data:
                res["identical"] += 1
            else:
                res["mismatch"].append({"index": i, "size": size,
                                        "got": len(back)})
        res["seconds"] = round(time.monotonic() - t0, 3)
        s.settimeout(UDP_DRAIN)
        try:
            while "error" not in res:
                s.recv(65536)
                res["stray"] += 1
        except socket.timeout:
            pass
        except OSError as e:
            res["error"] = "after the last: %r" % (e,)
    finally:
        s.close()
    return res


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def _send_chunks(s, data, chunks, res):
    off = 0
    try:
        for n in chunks:
            s.sendall(data[off:off + n])
            off += n
    except OSError as e:
        res["send_error"] = repr(e)
    res["sent"] = off


def _unacked(s):
    """Bytes (and a FIN) we sent that the peer has not acknowledged yet
    (SIOCOUTQ: write_seq - snd_una)."""
    buf = array.array("i", [0])
    fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, buf)
    return buf[0]


def _finish(s, res):
    """Shut down our side; the peer must answer with a clean close.

    Records the bytes that came after our FIN, end of file, then waits
    (up to SOCK_TIMEOUT) until the peer acknowledged every byte and our
    FIN, and records what is still unacknowledged and SO_ERROR.
    """
    try:
        s.shutdown(socket.SHUT_WR)
        extra = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            extra += b
        res["after_shutdown"] = len(extra)
        res["eof"] = True
        deadline = time.monotonic() + SOCK_TIMEOUT
        while _unacked(s) and time.monotonic() < deadline:
            time.sleep(0.05)
        res["unacked"] = _unacked(s)
        res["so_error"] = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    except OSError as e:
        res["close_error"] = repr(e)


def _connect(addr, port, res):
    try:
        return socket.create_connection((addr, port), timeout=SOCK_TIMEOUT)
    except OSError as e:
        res["connect_error"] = repr(e)
        return None


def tcp_echo_client(addr, port, seed):
    data = random.Random(seed).randbytes(TCP_TOTAL)
    res = {"sent": 0, "received": 0, "eof": False}
    t0 = time.monotonic()
    s = _connect(addr, port, res)
    if s is None:
        return res
    try:
        sender = threading.Thread(target=_send_chunks,
                                  args=(s, data, tcp_chunks(), res))
        sender.start()
        got = bytearray()
        try:
            while len(got) < TCP_TOTAL:
                b = s.recv(65536)
                if not b:
                    res["early_eof"] = True
                    break
                got += b
        except OSError as e:
            res["recv_error"] = repr(e)
        sender.join(SOCK_TIMEOUT * 2)
        res["sender_stuck"] = sender.is_alive()
        res["received"] = len(got)
        res["identical"] = bytes(got) == data
        res["first_diff"] = _first_diff(bytes(got), data)
        if not res["sender_stuck"] and "recv_error" not in res:
            _finish(s, res)
    finally:
        s.close()
    res["seconds"] = round(time.monotonic() - t0, 3)
    return res


def tcp_discard_client(addr, port, seed):
    data = random.Random(seed).randbytes(TCP_TOTAL)
    res = {"sent": 0, "eof": False}
    t0 = time.monotonic()
    s = _connect(addr, port, res)
    if s is None:
        return res
    try:
        _send_chunks(s, data, tcp_chunks(), res)
        if "send_error" not in res:
            _finish(s, res)
    finally:
        s.close()
    res["seconds"] = round(time.monotonic() - t0, 3)
    return res


CLIENTS = {"udp": udp_client, "tcp-echo": tcp_echo_client,
           "tcp-discard": tcp_discard_client}


def main(argv=None):
    ap = argparse.ArgumentParser(description="unisr echo/discard clients")
    ap.add_argument("client", choices=sorted(CLIENTS))
    ap.add_argument("--addr", default=GUEST_IP)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    json.dump(CLIENTS[args.client](args.addr, args.port, args.seed),
              sys.stdout)
    print()
    return 0


# ---- tests ---------------------------------------------------------------

def test_plans():
    sizes = udp_sizes()
    assert len(sizes) == UDP_COUNT == len(set(sizes))
    assert (sizes[0], sizes[-1]) == (1, UDP_MAX)
    assert sizes == sorted(sizes)
    chunks = tcp_chunks()
    assert sum(chunks) == TCP_TOTAL == 1048576
    assert set(chunks) <= set(TCP_CHUNKS) | {chunks[-1]}
    assert chunks[:len(TCP_CHUNKS)] == list(TCP_CHUNKS)


@pytest.fixture
def guest(qemu, netns):
    extra = netns.virtio_net_args(QUEUES)
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=SMP, prefix=netns.prefix(),
               timeout=BOOT_TIMEOUT, extra=extra)
    assert con.boot.ready == [READY_LINE], con.boot.ready
    return con


def run_client(ns, client, port):
    p = ns.run([sys.executable, str(Path(__file__).resolve()), client,
                "--addr", GUEST_IP, "--port", str(port), "--seed",
                str(SEED)], timeout=CLIENT_TIMEOUT)
    return json.loads(p.stdout)


def check_alive(con):
    assert not con.panics and "PANIC" not in con.text, (
        "PANIC on the console:\n%s" % con.tail())
    assert len(con.banners) == 1, "guest rebooted:\n%s" % con.tail()
    assert con.alive(), "QEMU exited (status %s)" % con.status


@pytest.mark.requires_tap
def test_udp_echo(guest, netns):
    res = run_client(netns, "udp", ECHO_PORT)
    assert "error" not in res, res
    assert "gave_up" not in res, (
        "no reply to %d datagrams in a row (sizes %s), gave up: %s"
        % (UDP_GIVE_UP, res["timeout"], res))
    assert res["sent"] == UDP_COUNT, res
    assert res["timeout"] == [], "no reply for sizes %s: %s" % (
        res["timeout"], res)
    assert res["mismatch"] == [], res
    assert res["identical"] == UDP_COUNT, res
    assert res["stray"] == 0, res
    check_alive(guest)


@pytest.mark.requires_tap
def test_tcp_echo(guest, netns):
    res = run_client(netns, "tcp-echo", ECHO_PORT)
    assert "connect_error" not in res, res
    assert "send_error" not in res and "recv_error" not in res, res
    assert not res.get("early_eof") and not res["sender_stuck"], res
    assert res["sent"] == TCP_TOTAL, res
    assert res["received"] == TCP_TOTAL, res
    assert res["identical"] and res["first_diff"] is None, res
    assert "close_error" not in res, res
    assert res["eof"] and res["after_shutdown"] == 0, res
    assert res["unacked"] == 0, res
    assert res["so_error"] == 0, res
    check_alive(guest)


@pytest.mark.requires_tap
def test_tcp_discard(guest, netns):
    res = run_client(netns, "tcp-discard", DISCARD_PORT)
    assert "connect_error" not in res, res
    assert "send_error" not in res, res
    assert res["sent"] == TCP_TOTAL, res
    assert "close_error" not in res, res
    assert res["eof"] and res["after_shutdown"] == 0, res
    assert res["unacked"] == 0, res
    assert res["so_error"] == 0, res
    check_alive(guest)


if __name__ == "__main__":
    sys.exit(main())
