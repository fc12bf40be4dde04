# SPDX-License-Identifier: BSD-2-Clause
"""Batched receive: a driver poll's frames cross netisr and reach lwIP
together (if_input_batch -> netisr_dispatch_batch -> the Ethernet batch
handler -> one netisr_dispatch_batch per protocol -> the stack's batch
handlers, which hold an instance's core lock once per batch).  The guest
runs at -smp 2 with two RSS queues in a network namespace the test
creates; `iperf3 -P 4 -t 2` sends to it.

Proves, under direct and under deferred dispatch:
- `netstat -Q`: ether, ip and (so) the stack's protocols ran through
  their batch handlers: Batches moved, and more packets were handled than
  batches (some batch carried several frames);
- every packet netisr handed to the stack's protocols (arp + ip + ip6
  Handled) reached lwIP through a batch: equal to `lwip: input batches
  .. packets ..`, whose largest batch is above 1;
- netisr's identity holds: Disp'd + HDisp'd + Queued = Handled + Len +
  Purged, with Len 0 once quiet, and nothing was dropped;
- iperf3's byte count is the guest's rx-bytes.
"""

import json
import re

import pytest

from test_netisr import netstat_q

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
IPERF_SECONDS = 2
CLIENT_TIMEOUT = 60
STACK_PROTOS = ("arp", "ip", "ip6")
WS_KEYS = ("wsid", "cpu", "name", "len", "wmark", "disp", "hdisp",
           "qdrops", "queued", "handled", "purged", "batches")
INPUT_RE = re.compile(r"^lwip: input batches (\d+) packets (\d+) largest "
                      r"(\d+)$", re.M)
I3_BYTES_RE = re.compile(r"^iperf3: rx-bytes (\d+) tx-bytes (\d+)$", re.M)


def totals(con):
    """{proto: {column: sum over workstreams}} from netstat -Q."""
    _, _, ws = netstat_q(con)
    out = {}
    for w in ws:
        row = dict(zip(WS_KEYS, w))
        t = out.setdefault(row["name"], dict.fromkeys(WS_KEYS[3:], 0))
        for k in WS_KEYS[3:]:
            t[k] += int(row[k])
    return out


def lwip_input(con):
    m = INPUT_RE.search("\n".join(con.run("netstat -s")))
    assert m, "no lwip: input line"
    return [int(x) for x in m.groups()]


@pytest.mark.requires_tap
@pytest.mark.parametrize("policy", ["direct", "deferred"])
def test_batch(qemu, netns, policy, record_property):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem="128M", smp=2, prefix=netns.prefix(),
               cmdline="net.isr.dispatch=%s" % policy,
               extra=netns.virtio_net_args(2, rss=True))
    q0, in0 = totals(con), lwip_input(con)
    rc, out, err = netns.call(["iperf3", "-c", GUEST_IP, "-P", "4", "-t",
                               str(IPERF_SECONDS), "-J"],
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out[-2000:], err)
    end = json.loads(out)["end"]
    m = I3_BYTES_RE.search("\n".join(con.run("iperf3")))
    assert m and int(m.group(1)) == end["sum_received"]["bytes"] > 0, (
        m and m.group(0), end["sum_received"])
    q1, in1 = totals(con), lwip_input(con)
    d = {p: {k: q1[p][k] - q0[p][k] for k in q1[p] if k != "len"}
         for p in q1}
    batches, packets, largest = in1[0] - in0[0], in1[1] - in0[1], in1[2]
    print("%s: ether %s ip %s; lwip input batches %d packets %d largest %d"
          % (policy, d["ether"], d["ip"], batches, packets, largest))
    record_property("batch", [d["ether"], d["ip"], batches, packets,
                              largest])
    for p in ("ether", "ip"):
        assert 0 < d[p]["batches"] < d[p]["handled"], (p, d[p])
    assert sum(d[p]["handled"] for p in STACK_PROTOS) == packets, (d, packets)
    assert 0 < batches < packets and largest > 1
    for p, t in q1.items():
        assert t["len"] == 0, (p, t)
        assert t["disp"] + t["hdisp"] + t["queued"] == \
            t["handled"] + t["len"] + t["purged"], (p, t)
        assert t["qdrops"] == 0, (p, t)
    if policy == "deferred":
        assert d["ip"]["queued"] == d["ip"]["handled"] > 0, d["ip"]
    assert con.alive()
