# SPDX-License-Identifier: BSD-2-Clause
"""Hostile input from the wire: nothing crashes or wedges, every drop is
counted where it happened.

Frames come from badinput.py (built with scapy) and go out of the tap of
the test's namespace on an AF_PACKET socket; they never leave the
namespace.  One boot (-smp 2, q35, 128M, two queue pairs with RSS; the
tap's MTU raised to 2000 so frames above the guest's MTU can be sent)
takes every family in FAMILIES, a second boot with the NIC's checksum
offloads off (so the guest, not the device, must catch bad TCP and UDP
checksums) takes CSUM_FAMILIES.  For each family:

- at least 1,000 frames (10,000 for the ARP cache flood, 20,000 SYNs,
  100,000 random frames) are sent;
- the family's named counters in `netstat -s` / `netstat -i` (KEYS, one
  line per family) grow by at least the number of frames the guest
  received, i.e. the frames sent less the tap's own tx drops (a frame the
  tap dropped never reached the guest): every frame is accounted for as
  that drop (or, for families that are legal input, that delivery);
- afterwards the guest answers 3 of 3 pings, a UDP echo and a TCP echo
  (test_stats' warm-up client), and no PANIC or second banner appeared.
  One ping goes first unasserted: after the ARP and SYN floods from
  made-up on-link senders the host's ARP entry may have been evicted and
  lwIP's ARP queue filled with replies to those senders, so the first
  reply can be lost while ARP resolves (counted as `etharp memerr`).

After the SYN flood a new TCP echo connection succeeds within 5 seconds.
At the end of each boot, once fragments left incomplete have timed out,
every lwIP pool and the heap are back at the baseline taken after boot,
and `assertions 0`.  The README's Robustness section lists the families,
the counts and what was counted.
"""

import json
import socket
import sys
import time
from pathlib import Path

import pytest

import test_stats as ts

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
TAP_MTU = 2000
N = 1000
SEND_TIMEOUT = 300
LEGIT_TIMEOUT = 5.0
BASELINE_TIMEOUT = 60.0     # lwIP's IP reassembly gives up after 15 s
ECHO_PORT = 7
SETTLE_POLL = 0.5
SETTLE_TIMEOUT = 60.0

# family: (frames, counters whose growth accounts for every frame).
# Counter names: "rx.<k>" the glue's rx line, "rx-drop.<k>", "proto.<p>.<k>"
# lwIP's per-protocol line, "drv.<reason>" netstat -i's rx drop reasons,
# "drv.ipkts" the driver's delivered frames.
FAMILIES = {
    # A bare 14-byte header of type ARP, IPv4 or IPv6 (a packet socket
    # cannot send less); QEMU may pad it with zeros to 60 bytes.
    "eth_runt14": (N, ["rx-drop.arp-toosmall", "rx-drop.arp-badformat",
                       "rx-drop.ip-toosmall", "rx-drop.ip-badvers",
                       "rx-drop.ip6-toosmall", "rx-drop.ip6-badvers",
                       "rx.runts", "drv.short"]),
    "eth_runt60": (N, ["rx-drop.arp-toosmall", "rx-drop.arp-badformat",
                       "rx-drop.ip-toosmall", "rx-drop.ip-tooshort",
                       "rx-drop.ip-badhlen", "rx-drop.ip-badlen",
                       "rx-drop.ip-badvers"]),
    "eth_oversize": (N, ["drv.oversize", "drv.merged"]),
    "eth_unknown": (N, ["rx.unknown-ethertype"]),
    "eth_vlan": (N, ["rx.unknown-ethertype"]),
    "eth_bcast": (N, ["proto.etharp.recv"]),
    "arp_badlen": (N, ["rx-drop.arp-badformat"]),
    "arp_garp": (N, ["rx-drop.arp-conflict"]),
    "arp_flood": (10 * N, ["proto.etharp.recv"]),
    "ip_badver": (N, ["rx-drop.ip-badvers"]),
    "ip_badihl": (N, ["rx-drop.ip-badhlen"]),
    "ip_badlen": (N, ["rx-drop.ip-tooshort", "rx-drop.ip-badlen"]),
    "ip_badsum": (N, ["proto.ip.chkerr"]),
    "ip_ttl0": (N, ["proto.icmp.recv"]),
    "ip_options": (N, ["proto.icmp.recv"]),
    "ip_frags": (N, ["proto.ipfrag.recv"]),
    "tcp_badoff": (N, ["proto.tcp.lenerr"]),
    "tcp_synfin": (N, ["proto.tcp.recv"]),
    "tcp_zerownd": (N, ["proto.tcp.recv"]),
    "tcp_rst": (N, ["proto.tcp.recv"]),
    "tcp_synflood": (20 * N, ["proto.tcp.recv"]),
    "ip6_trunc": (N, ["rx-drop.ip6-toosmall", "rx-drop.ip6-tooshort"]),
    "ip6_extchain": (N, ["proto.ip6.recv"]),
    "ip6_nsflood": (N, ["proto.nd6.recv"]),
    "random": (100 * N, ["drv.ipkts", "drv.short", "drv.oversize",
                         "drv.merged"]),
}
CSUM_FAMILIES = {
    "l4_badsum": (N, ["proto.tcp.chkerr", "proto.udp.chkerr"]),
}

DROPS_PREFIX = "vtnet0: rx drops"


def counters(con):
    """Flat {name: value} of every counter a family may name."""
    st = ts.netstat(con)
    out = {}
    for k, v in st["rx"].items():
        out["rx." + k] = v
    for k, v in st.get("rx-drop", {}).items():
        out["rx-drop." + k] = v
    for p, kv in st["proto"].items():
        for k, v in kv.items():
            out["proto.%s.%s" % (p, k)] = v
    lines = con.run("netstat -i")
    drops = [ln for ln in lines if ln.startswith(DROPS_PREFIX)]
    assert len(drops) == 1, lines
    f = drops[0][len(DROPS_PREFIX):].split()
    for k, v in zip(f[0::2], f[1::2]):
        out["drv." + k] = int(v)
    total = [ln.split() for ln in lines if ln.startswith("vtnet0 total")]
    assert len(total) == 1, lines
    out["drv.ipkts"] = int(total[0][5])
    return out, st


def settle(con, keys):
    """Counters once the guest has drained what was in flight: two
    readings SETTLE_POLL apart in which the family's counters agree."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    last, _ = counters(con)
    while True:
        time.sleep(SETTLE_POLL)
        now, _ = counters(con)
        if all(now.get(k) == last.get(k) for k in keys) or \
                time.monotonic() > deadline:
            return now
        last = now


def send(netns, family, n):
    p = netns.run([sys.executable, str(Path(__file__).with_name(
        "badinput.py")), family, "-n", str(n), "--tap", netns.tap],
        timeout=SEND_TIMEOUT)
    return json.loads(p.stdout)


def responsive(con, netns, family=None):
    # One unasserted ping first: a flood from made-up on-link senders
    # churns lwIP's 64-entry ARP table and fills its ARP queue with
    # replies to them, so the first reply to the host may wait for ARP
    # and be dropped there (counted as etharp memerr).
    netns.ping(GUEST_IP, 1, wait=3)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, (family, p)
    res = ts.run_client(netns, "warmup")
    assert res == {"udp": True, "tcp": True, "tcp_eof": True}, res
    assert con.alive() and not con.panics


def legit_connect():
    """A TCP echo round trip, within LEGIT_TIMEOUT (run in the namespace)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < LEGIT_TIMEOUT:
        try:
            s = socket.create_connection((GUEST_IP, ECHO_PORT), timeout=1.0)
            s.sendall(b"legit")
            ok = s.recv(16) == b"legit"
            s.close()
            if ok:
                return True
        except OSError:
            pass
    return False


def run_families(con, netns, families, record_property):
    netns.run(["ip", "link", "set", netns.tap, "mtu", str(TAP_MTU)])
    responsive(con, netns)
    base_st = ts.wait_quiet(con)
    for family, (n, keys) in families.items():
        before, _ = counters(con)
        tap0 = netns.stats()
        res = send(netns, family, n)
        if family == "tcp_synflood":
            # At once: the flood's half-open connections still hold PCBs.
            rc = netns.call([sys.executable, str(Path(__file__).resolve()),
                             "legit"])[0]
            assert rc == 0, "no legitimate connection within %.0f s" % (
                LEGIT_TIMEOUT)
        after = settle(con, keys)
        tap1 = netns.stats()
        assert res["sent"] == n, res
        lost = tap1["tx_dropped"] - tap0["tx_dropped"]
        moved = sum(after.get(k, 0) - before.get(k, 0) for k in keys)
        missing = [k for k in keys if k not in after]
        assert len(missing) < len(keys), (family, "no counter of", keys)
        record_property(family, "%d sent, %d lost at the tap, %d counted"
                        % (n, lost, moved))
        print("%-14s %6d sent %6d tap-dropped %6d counted in %s" % (
            family, n, lost, moved, ",".join(keys)))
        assert moved >= n - lost, (family, n, lost, moved, {
            k: after.get(k, 0) - before.get(k, 0) for k in keys})
        responsive(con, netns, family)
    end = wait_baseline(con, base_st)
    assert ts.used(end) == ts.used(base_st), {
        k: (ts.used(base_st)[k], ts.used(end)[k]) for k in ts.used(end)
        if ts.used(end)[k] != ts.used(base_st)[k]}
    assert end["assertions"] == 0, end["assertions"]


def wait_baseline(con, base):
    deadline = time.monotonic() + BASELINE_TIMEOUT
    while True:
        st = ts.netstat(con)
        if ts.used(st) == ts.used(base) or time.monotonic() > deadline:
            return st
        time.sleep(ts.POLL)


@pytest.mark.requires_tap
def test_badinput(qemu, netns, record_property):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem=MEM, smp=2, prefix=netns.prefix(),
               extra=netns.virtio_net_args(2, rss=True))
    run_families(con, netns, FAMILIES, record_property)


@pytest.mark.requires_tap
def test_badinput_no_offload(qemu, netns, record_property):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem=MEM, smp=1, prefix=netns.prefix(),
               extra=netns.virtio_net_args(
                   1, device_opts="csum=off,guest_csum=off"))
    run_families(con, netns, CSUM_FAMILIES, record_property)


if __name__ == "__main__":
    if sys.argv[1:] == ["legit"]:
        sys.exit(0 if legit_connect() else 1)
    sys.exit(2)
