# SPDX-License-Identifier: BSD-2-Clause
"""The network path across -smp {1, 2, 4} x virtio-net queues {1, 2, 4} x
net.isr.dispatch {direct, hybrid, deferred} x virtio_net.offload {1, 0}.

The default run takes 9 combinations that cover every pair of values
(the L9 orthogonal array, the two-valued offload as levels 1, 0, 1);
`--full` runs all 54.  Each combination boots in a fresh namespace
(queues > 1 with RSS) and proves:
- `sysctl net.isr.dispatch` reports the policy given on the command line;
- the `vtnet0: features` line has GUEST_TSO4 and GUEST_TSO6 exactly when
  virtio_net.offload=1 (large segments in);
- `ping -c 1000 -i 0.003` from the namespace: 1000 sent, 1000 received,
  exit 0 (0 % loss);
- one TCP echo connection moves 1 MiB there and back, identical
  (test_echo.py's client);
- `netstat -Q`: the ip protocol's workstreams dropped nothing (QDrops 0)
  and handled at least the 1000 pings;
- the console shows no PANIC and one banner.
"""

import pytest

import test_echo
from test_netisr import netstat_q

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
SMP_VALUES = (1, 2, 4)
QUEUE_VALUES = (1, 2, 4)
POLICIES = ("direct", "hybrid", "deferred")
OFFLOADS = (1, 0)
PINGS = 1000
PING_INTERVAL = 0.003        # s; replies take ~0.3 ms: 3 s a row, not 10


def pairwise_rows():
    """L9: rows (a, b, a+b, a+2b mod 3); any two columns hold all 9
    pairs (the two-valued offload takes levels 0, 1, 2 as 1, 0, 1)."""
    return [(SMP_VALUES[a], QUEUE_VALUES[b], POLICIES[(a + b) % 3],
             OFFLOADS[(a + 2 * b) % 3 % 2])
            for a in range(3) for b in range(3)]


def pairs_missing(rows):
    factors = (SMP_VALUES, QUEUE_VALUES, POLICIES, OFFLOADS)
    missing = []
    for i in range(len(factors)):
        for j in range(i + 1, len(factors)):
            have = {(r[i], r[j]) for r in rows}
            missing += [(x, y) for x in factors[i] for y in factors[j]
                        if (x, y) not in have]
    return missing


DEFAULT_ROWS = pairwise_rows()
FULL_ROWS = [(s, q, p, o) for s in SMP_VALUES for q in QUEUE_VALUES
             for p in POLICIES for o in OFFLOADS]


def pytest_generate_tests(metafunc):
    if "combo" in metafunc.fixturenames:
        rows = (FULL_ROWS if metafunc.config.getoption("--full")
                else DEFAULT_ROWS)
        metafunc.parametrize("combo", rows, ids=[
            "smp%d-q%d-%s-offload%d" % r for r in rows])


def test_rows_cover_every_pair():
    assert len(DEFAULT_ROWS) == 9 and len(set(DEFAULT_ROWS)) == 9
    assert pairs_missing(DEFAULT_ROWS) == []
    assert pairs_missing(DEFAULT_ROWS[1:]) != []
    assert set(DEFAULT_ROWS) <= set(FULL_ROWS) and len(FULL_ROWS) == 54


def ip_rows(con):
    """{cpu: (handled, qdrops)} of the ip protocol in `netstat -Q`."""
    _, _, ws = netstat_q(con)
    return {int(w[1]): (int(w[9]), int(w[7])) for w in ws if w[2] == "ip"}


@pytest.mark.requires_tap
def test_ping_and_echo(qemu, netns, combo):
    smp, queues, policy, offload = combo
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem="128M", smp=smp,
               cmdline="net.isr.dispatch=%s virtio_net.offload=%d" % (
                   policy, offload),
               prefix=netns.prefix(),
               extra=netns.virtio_net_args(queues, rss=queues > 1))
    assert con.run("sysctl net.isr.dispatch") == \
        ["net.isr.dispatch: %s" % policy]
    feats = [ln.split()[2:] for ln in con.boot.lines
             if ln.startswith("vtnet0: features")]
    assert len(feats) == 1, con.boot.lines
    assert ("GUEST_TSO4" in feats[0]) == bool(offload), feats
    assert ("GUEST_TSO6" in feats[0]) == bool(offload), feats
    p = netns.ping(GUEST_IP, PINGS, interval=PING_INTERVAL, wait=2,
                   timeout=180)
    assert (p.rc, p.transmitted, p.received) == (0, PINGS, PINGS), p
    res = test_echo.run_client(netns, "tcp-echo", test_echo.ECHO_PORT)
    assert res["received"] == test_echo.TCP_TOTAL and res["identical"], res
    rows = ip_rows(con)
    assert sorted(rows) == list(range(smp)), rows
    assert sum(h for h, _ in rows.values()) >= PINGS, rows
    assert all(d == 0 for _, d in rows.values()), rows
    test_echo.check_alive(con)
