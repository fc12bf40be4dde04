# SPDX-License-Identifier: BSD-2-Clause
"""lwIP's statistics in `netstat -s`, and no leak after a mixed workload.

One boot: -smp 2, q35, 256M, a 2-queue virtio-net-pci with RSS on the tap
of a fresh namespace (host 10.0.2.2/24, guest 10.0.2.15).  Proves:
- `netstat -s` prints, after the glue's lines, one line per lwIP protocol
  (link etharp ipfrag ip icmp udp tcp ip6 ip6frag icmp6 nd6, plus mld6 in
  lwIP's IGMP form), the heap, every memp pool and the assertion line;
- after a warm-up (5 pings, one 64-byte TCP echo round trip, one UDP echo:
  the ARP entry, IPv6's solicited-node group and other one-time state
  exist) and once the guest is quiet, a baseline of every pool's and the
  heap's `used` and of kmem's in-use objects is taken; then `ping -f -c 2000` (2000 of 2000 back), `ping -s 65000 -c 3`
  (3 of 3), 4 concurrent TCP echo connections of 1 MiB each (each comes
  back byte-for-byte identical and closes cleanly, test_echo's client) and
  an iperf2 run (-t 3, port 5001, the guest reports it);
- once the guest is quiet, every memp pool's `used` and the heap's `used`
  equal the baseline (no pool excluded: the guest closes passively, so no
  PCB is left in TIME_WAIT, listen PCBs and UDP/RAW PCBs are created at
  boot, and the TCP timer stops when no PCB is left, so sys_timeout comes
  back too), the pbuf pools and the heap had no failed allocation (err 0),
  kmem's in-use counts equal the baseline, and `assertions 0`;
- the core-lock assertion runs: `core-lock-checks` grows during the ping
  flood by more than two checks per echo request beyond what the idle
  timers account for (ip4_input and the output path each check it).

Also checks its netstat parser on a fixed sample, without QEMU.  Run as a
program inside the namespace it is the clients (`warmup`, `echo4`).
"""

import argparse
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
SMP = 2
QUEUES = 2
MEM = "256M"
ECHO_PORT = 7
IPERF_PORT = 5001
IPERF_SECONDS = 3
WARM_PINGS = 5
FLOOD = 2000
BIG_PING = 65000
BIG_PINGS = 3
ECHO_CONNS = 4
SEED = 0x73746174               # "stat"
SMALL = 64
SOCK_TIMEOUT = 30.0
CLIENT_TIMEOUT = 300.0
PING_TIMEOUT = 180.0
IPERF_TIMEOUT = 90.0
QUIET_TIMEOUT = 30.0            # wait for the pools to settle
QUIET_POLLS = 3                 # unchanged readings in a row = quiet
POLL = 1.0
IDLE_SECONDS = 3.0              # measures the idle core-lock-check rate
CHECKS_PER_ECHO = 2             # at least ip4_input + the output path

PROTOS = ("link", "etharp", "ipfrag", "ip", "icmp", "udp", "tcp", "ip6",
          "ip6frag", "icmp6", "nd6")
PROTO_KEYS = ("xmit", "recv", "fw", "drop", "chkerr", "lenerr", "memerr",
              "rterr", "proterr", "opterr", "err", "cachehit")
MLD6_KEYS = ("xmit", "recv", "drop", "chkerr", "lenerr", "memerr", "proterr",
             "rx-v1", "rx-group", "rx-general", "rx-report", "tx-join",
             "tx-leave", "tx-report")
MEM_KEYS = ("avail", "used", "max", "err")
POOLS = ("raw_pcb", "udp_pcb", "tcp_pcb", "tcp_pcb_listen", "tcp_seg",
         "reassdata", "frag_pbuf", "arp_queue", "sys_timeout", "nd6_queue",
         "ip6_reassdata", "mld6_group", "pbuf", "pbuf_pool")
PBUF_POOLS = ("pbuf", "pbuf_pool")
QUIET_PROTOS = ("ip", "icmp", "udp", "tcp")

RX_RE = re.compile(r"^lwip: rx zero-copy (\d+) copied (\d+) no-pbuf (\d+) "
                   r"runts (\d+) unknown-ethertype (\d+) tx-busy (\d+)$")
GLUE_RE = re.compile(r"^lwip: glue tx-csum-offload (\d+) tx-csum-unparsed "
                     r"(\d+) rx-csum-trusted (\d+) echo-blocked (\d+)$")
UNREG_RE = re.compile(r"^netisr: unregistered-protocol drops (\d+)$")
ECHO_HELD_RE = re.compile(r"^lwip: echo held (\d+)$")
# The glue's named drops and guards: "lwip: rx-drop k n k n ...".
KV_LINE_RE = re.compile(r"^lwip: (rx-drop|guard|core-lock|instance|stack|ether|tso|"
                        r"input)"
                        r"((?: [a-z0-9-]+ \d+)+)$")
ASSERT_RE = re.compile(r"^lwip: assertions (\d+) core-lock-checks (\d+)$")
MEM_RE = re.compile(r"^lwip: (mem|memp) (\w+) avail (\d+) used (\d+) "
                    r"max (\d+) err (\d+)$")
PROTO_RE = re.compile(r"^lwip: ([a-z0-9]+)((?: [a-z0-9-]+ \d+)+)$")
KMEM_RE = re.compile(r"^kmem: size (\d+) inuse (\d+) ")
KLARGE_RE = re.compile(r"^kmem: large allocs (\d+) frees (\d+) pages (\d+)$")
REPORT_RE = r"iperf: report \d+ from [\d.]+: (\d+) bytes in (\d+) ms"
FLOOD_RE = re.compile(r"(\d+) packets transmitted, (\d+) received")


# ---- parsing ---------------------------------------------------------------

def parse_netstat(lines):
    """`netstat -s` output -> dict.

    Keys: "rx" (the glue's six counters by name), "unreg", "proto"
    ({name: {key: n}}, mld6 included with its own keys), "heap" and
    "memp" ({pool: {avail, used, max, err}}), "assertions",
    "core_lock_checks".  Raises ValueError on a line it does not know or
    a proto line whose keys are not the expected ones.
    """
    st = {"proto": {}, "memp": {}}
    for ln in lines:
        m = RX_RE.match(ln)
        if m:
            st["rx"] = dict(zip(("zero-copy", "copied", "no-pbuf", "runts",
                                 "unknown-ethertype", "tx-busy"),
                                map(int, m.groups())))
            continue
        m = GLUE_RE.match(ln)
        if m:
            st["glue"] = dict(zip(("tx-csum-offload", "tx-csum-unparsed",
                                   "rx-csum-trusted", "echo-blocked"),
                                  map(int, m.groups())))
            continue
        m = UNREG_RE.match(ln)
        if m:
            st["unreg"] = int(m.group(1))
            continue
        m = ECHO_HELD_RE.match(ln)
        if m:
            st["echo_held"] = int(m.group(1))
            continue
        m = KV_LINE_RE.match(ln)
        if m:
            f = m.group(2).split()
            st[m.group(1)] = dict(zip(f[0::2], map(int, f[1::2])))
            continue
        m = ASSERT_RE.match(ln)
        if m:
            st["assertions"] = int(m.group(1))
            st["core_lock_checks"] = int(m.group(2))
            continue
        m = MEM_RE.match(ln)
        if m:
            v = dict(zip(MEM_KEYS, map(int, m.groups()[2:])))
            if m.group(1) == "mem":
                if m.group(2) != "heap":
                    raise ValueError("unknown heap %r" % ln)
                st["heap"] = v
            else:
                st["memp"][m.group(2)] = v
            continue
        m = PROTO_RE.match(ln)
        if m:
            f = m.group(2).split()
            keys = tuple(f[0::2])
            want = MLD6_KEYS if m.group(1) == "mld6" else PROTO_KEYS
            if keys != want:
                raise ValueError("keys of %r are not %s" % (ln, want))
            st["proto"][m.group(1)] = dict(zip(keys, map(int, f[1::2])))
            continue
        raise ValueError("unexpected netstat -s line %r" % ln)
    for k in ("rx", "glue", "echo_held", "unreg", "heap", "assertions"):
        if k not in st:
            raise ValueError("netstat -s has no %s line" % k)
    return st


def parse_kmem(lines):
    """`mem` output -> {size: inuse, "large": allocs - frees,
    "large_pages": pages}."""
    out = {}
    for ln in lines:
        m = KMEM_RE.match(ln)
        if m:
            out[int(m.group(1))] = int(m.group(2))
        m = KLARGE_RE.match(ln)
        if m:
            out["large"] = int(m.group(1)) - int(m.group(2))
            out["large_pages"] = int(m.group(3))
    return out


def used(st):
    """{pool: used} plus "heap"."""
    u = {p: v["used"] for p, v in st["memp"].items()}
    u["heap"] = st["heap"]["used"]
    return u


def activity(st):
    """What must stand still for the guest to count as quiet."""
    return (used(st), tuple((p, st["proto"][p]["xmit"], st["proto"][p]["recv"])
                            for p in QUIET_PROTOS))


# ---- clients (run inside the namespace) -----------------------------------

def _recv_exactly(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            break
        got += b
    return got


def warmup_client(addr):
    """One UDP echo and one 64-byte TCP echo round trip with a clean
    close (we shut down first, the guest closes passively)."""
    res = {}
    data = bytes(range(SMALL))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5.0)
    try:
        u.sendto(data, (addr, ECHO_PORT))
        res["udp"] = u.recv(2048) == data
    except OSError as e:
        res["udp_error"] = repr(e)
    finally:
        u.close()
    try:
        s = socket.create_connection((addr, ECHO_PORT), timeout=SOCK_TIMEOUT)
    except OSError as e:
        res["tcp_error"] = repr(e)
        return res
    try:
        s.sendall(data)
        res["tcp"] = _recv_exactly(s, SMALL) == data
        s.shutdown(socket.SHUT_WR)
        res["tcp_eof"] = s.recv(1) == b""
    except OSError as e:
        res["tcp_error"] = repr(e)
    finally:
        s.close()
    return res


def echo4_client(addr):
    """ECHO_CONNS concurrent test_echo TCP echo clients of 1 MiB each."""
    import test_echo
    results = [None] * ECHO_CONNS

    def one(i):
        results[i] = test_echo.tcp_echo_client(addr, ECHO_PORT, SEED + i)

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(ECHO_CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CLIENT_TIMEOUT)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description="unisr stats test clients")
    ap.add_argument("client", choices=("warmup", "echo4"))
    ap.add_argument("--addr", default=GUEST_IP)
    args = ap.parse_args(argv)
    fn = warmup_client if args.client == "warmup" else echo4_client
    json.dump(fn(args.addr), sys.stdout)
    print()
    return 0


# ---- tests ------------------------------------------------------------------

SAMPLE = """\
lwip: rx zero-copy 6 copied 0 no-pbuf 0 runts 0 unknown-ethertype 0 tx-busy 0
lwip: glue tx-csum-offload 7 tx-csum-unparsed 0 rx-csum-trusted 4 echo-blocked 0
lwip: rx-drop arp-toosmall 1 ip-badvers 2
lwip: guard tcp-persist-stopped 0
lwip: echo held 0
netisr: unregistered-protocol drops 0
lwip: link xmit 0 recv 0 fw 0 drop 0 chkerr 0 lenerr 0 memerr 0 rterr 0 \
proterr 0 opterr 0 err 0 cachehit 0
lwip: ip xmit 5 recv 5 fw 0 drop 0 chkerr 0 lenerr 0 memerr 0 rterr 0 \
proterr 0 opterr 0 err 0 cachehit 0
lwip: mld6 xmit 2 recv 0 drop 0 chkerr 0 lenerr 0 memerr 0 proterr 0 \
rx-v1 0 rx-group 0 rx-general 0 rx-report 0 tx-join 1 tx-leave 0 tx-report 1
lwip: mem heap avail 4194304 used 136 max 384 err 0
lwip: memp tcp_pcb avail 64 used 0 max 1 err 0
lwip: memp pbuf_pool avail 1024 used 3 max 17 err 2
lwip: assertions 0 core-lock-checks 160""".split("\n")


def test_parse_netstat():
    st = parse_netstat(SAMPLE)
    assert st["rx"]["zero-copy"] == 6 and st["rx"]["tx-busy"] == 0
    assert st["unreg"] == 0
    assert st["rx-drop"] == {"arp-toosmall": 1, "ip-badvers": 2}
    assert st["guard"] == {"tcp-persist-stopped": 0}
    assert st["glue"] == {"tx-csum-offload": 7, "tx-csum-unparsed": 0,
                          "rx-csum-trusted": 4, "echo-blocked": 0}
    assert st["proto"]["ip"]["xmit"] == 5 and st["proto"]["ip"]["recv"] == 5
    assert st["proto"]["ip"]["cachehit"] == 0
    assert st["proto"]["mld6"]["tx-join"] == 1
    assert st["heap"] == {"avail": 4194304, "used": 136, "max": 384,
                          "err": 0}
    assert st["memp"]["pbuf_pool"] == {"avail": 1024, "used": 3, "max": 17,
                                       "err": 2}
    assert (st["assertions"], st["core_lock_checks"]) == (0, 160)
    assert used(st) == {"tcp_pcb": 0, "pbuf_pool": 3, "heap": 136}
    with pytest.raises(ValueError):
        parse_netstat(SAMPLE + ["lwip: something else 1"])
    with pytest.raises(ValueError):         # a proto line missing a key
        parse_netstat(SAMPLE + ["lwip: udp xmit 1 recv 2"])
    with pytest.raises(ValueError):         # no assertion line
        parse_netstat(SAMPLE[:-1])
    assert parse_kmem(["mem: usable 1 KiB, pages total 1 free 1 used 0",
                       "kmem: size 16 inuse 3 allocs 5 frees 2 slabs 1",
                       "kmem: large allocs 4 frees 1 pages 28"]) == \
        {16: 3, "large": 3, "large_pages": 28}


def netstat(con):
    return parse_netstat(con.run("netstat -s"))


def run_client(ns, client):
    p = ns.run([sys.executable, str(Path(__file__).resolve()), client,
                "--addr", GUEST_IP], timeout=CLIENT_TIMEOUT)
    return json.loads(p.stdout)


def flood(ns, *args, timeout=PING_TIMEOUT):
    rc, out, err = ns.call(["ping", "-n"] + list(args) + [GUEST_IP],
                           timeout=timeout)
    m = FLOOD_RE.search(out)
    assert m, (rc, out, err)
    return rc, int(m.group(1)), int(m.group(2))


def wait_quiet(con):
    """Poll netstat -s until QUIET_POLLS readings in a row show the same
    pool usage and IP/ICMP/UDP/TCP counters; returns the last reading."""
    deadline = time.monotonic() + QUIET_TIMEOUT
    last, same = None, 0
    while True:
        st = netstat(con)
        a = activity(st)
        same = same + 1 if a == last else 1
        last = a
        if same >= QUIET_POLLS:
            return st
        assert time.monotonic() < deadline, (
            "guest not quiet after %.0f s: %s" % (QUIET_TIMEOUT, a))
        time.sleep(POLL)


@pytest.mark.requires_tap
def test_no_leak(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem=MEM, smp=SMP, prefix=netns.prefix(),
               extra=netns.virtio_net_args(QUEUES, rss=True))

    st = netstat(con)
    assert set(st["proto"]) == set(PROTOS) | {"mld6"}, st["proto"].keys()
    assert tuple(st["memp"]) == POOLS, st["memp"].keys()

    # Warm-up: ARP, the TCP and UDP paths, one-time allocations.
    p = netns.ping(GUEST_IP, WARM_PINGS)
    assert (p.rc, p.received) == (0, WARM_PINGS), p
    res = run_client(netns, "warmup")
    assert res == {"udp": True, "tcp": True, "tcp_eof": True}, res

    base = wait_quiet(con)
    base_kmem = parse_kmem(con.run("mem"))
    assert base["assertions"] == 0, base

    # The idle rate of core-lock checks (timers), then the flood's.
    t0 = time.monotonic()
    time.sleep(IDLE_SECONDS)
    idle = netstat(con)
    idle_rate = (idle["core_lock_checks"] - base["core_lock_checks"]) / (
        time.monotonic() - t0)
    before, t0 = idle["core_lock_checks"], time.monotonic()
    assert flood(netns, "-f", "-c", str(FLOOD)) == (0, FLOOD, FLOOD)
    flood_s = time.monotonic() - t0
    checks = netstat(con)["core_lock_checks"] - before
    assert checks - idle_rate * (flood_s + 1) > CHECKS_PER_ECHO * FLOOD, (
        "core-lock checks: %d in the flood (%.1f s), idle %.0f/s"
        % (checks, flood_s, idle_rate))

    assert flood(netns, "-c", str(BIG_PINGS), "-s", str(BIG_PING),
                 "-W", "3") == (0, BIG_PINGS, BIG_PINGS)

    echo = run_client(netns, "echo4")
    for i, r in enumerate(echo):
        assert r is not None, "echo client %d did not finish" % i
        assert r["received"] == r["sent"] == 1 << 20, (i, r)
        assert r["identical"] and r["first_diff"] is None, (i, r)
        assert r["eof"] and r["after_shutdown"] == 0, (i, r)
        assert r["unacked"] == 0 and r["so_error"] == 0, (i, r)

    rc, out, err = netns.call(["iperf", "-c", GUEST_IP, "-p",
                               str(IPERF_PORT), "-t", str(IPERF_SECONDS),
                               "-f", "K"], timeout=IPERF_TIMEOUT)
    assert rc == 0, (out, err)
    m = con.wait_for(REPORT_RE, timeout=IPERF_TIMEOUT)
    assert int(m.group(1)) > 0, m.group(0)

    end = wait_quiet(con)
    end_kmem = parse_kmem(con.run("mem"))
    # Every pool, stateful ones included (see the docstring for why).
    want, got = used(base), used(end)
    assert got == want, "pools not back to the baseline: %s" % {
        k: (want[k], got[k]) for k in want if got[k] != want[k]}
    for pool in PBUF_POOLS:
        assert end["memp"][pool]["err"] == 0, (pool, end["memp"][pool])
    assert end["heap"]["err"] == 0, end["heap"]
    assert end_kmem == base_kmem, (base_kmem, end_kmem)
    assert end["assertions"] == 0, end
    assert end["rx"]["no-pbuf"] == 0 and end["rx"]["tx-busy"] == 0, end["rx"]
    assert not con.panics and con.alive()


if __name__ == "__main__":
    sys.exit(main())
