# SPDX-License-Identifier: BSD-2-Clause
"""`prof` (kernel/prof.c): the guest's busy cycles split by data-path
stage, the instrument behind the README's cycle breakdown.  The guest
runs at -smp 2 with two RSS queues in a network namespace the test
creates.

Proves:
- before `prof on` there is no window; `prof on` starts one;
- over `iperf3 -t 2` (host to guest) and `iperf3 -R -t 2` (guest to
  host), the frames the drivers counted cover the client's bytes each
  way (rx bytes >= what the guest received, tx bytes >= what it sent);
- the rx-driver, stack, tx-driver and tx-done stages were entered; every
  stage's cycles are within the busy cycles, the stages plus "other" add
  up to the busy cycles exactly, and no leave was unbalanced;
- `prof off` freezes the window: a ping afterwards changes nothing.
"""

import json
import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
IPERF_SECONDS = 2
CLIENT_TIMEOUT = 60
STAGES = ("rx-driver", "stack", "tx-driver", "tx-done", "timers", "other")

FRAMES_RE = re.compile(r"^prof: rx frames (\d+) bytes (\d+) tx frames (\d+) "
                       r"bytes (\d+)$", re.M)
BUSY_RE = re.compile(r"^prof: busy cycles (\d+) per-frame (\d+) per-kib "
                     r"(\d+)$", re.M)
STAGE_RE = re.compile(r"^prof: ([a-z-]+) cycles (\d+) calls (\d+) per-frame "
                      r"(\d+) share [\d.]+%$", re.M)
UNBAL_RE = re.compile(r"^prof: unbalanced (\d+)$", re.M)


def prof(con):
    text = "\n".join(con.run("prof"))
    f, b, u = FRAMES_RE.search(text), BUSY_RE.search(text), \
        UNBAL_RE.search(text)
    assert f and b and u, text
    stages = {m.group(1): (int(m.group(2)), int(m.group(3)))
              for m in STAGE_RE.finditer(text)}
    assert tuple(stages) == STAGES, text
    return [int(x) for x in f.groups()], int(b.group(1)), stages, \
        int(u.group(1))


def iperf3(netns, *extra):
    rc, out, err = netns.call(["iperf3", "-c", GUEST_IP, "-t",
                               str(IPERF_SECONDS), "-J"] + list(extra),
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out[-2000:], err)
    return json.loads(out)["end"]


@pytest.mark.requires_tap
def test_prof(qemu, netns, record_property):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem="128M", smp=2, prefix=netns.prefix(),
               extra=netns.virtio_net_args(2, rss=True))
    assert "prof: no window yet (prof on)" in con.run("prof")
    assert "prof: on" in con.run("prof on")
    fwd = iperf3(netns)
    rev = iperf3(netns, "-R")
    assert "prof: off" in con.run("prof off")
    (rxf, rxb, txf, txb), busy, stages, unbalanced = prof(con)
    print("prof: frames rx %d tx %d, busy %d, %s" % (rxf, txf, busy, stages))
    record_property("prof", [rxf, rxb, txf, txb, busy, stages])
    assert rxb >= fwd["sum_received"]["bytes"] > 0, (rxb, fwd["sum_received"])
    assert txb >= rev["sum_sent"]["bytes"] > 0, (txb, rev["sum_sent"])
    assert rxf > 0 and txf > 0
    for st in ("rx-driver", "stack", "tx-driver", "tx-done"):
        assert stages[st][1] > 0, (st, stages)
    assert all(c <= busy for c, _ in stages.values()), (busy, stages)
    assert sum(c for c, _ in stages.values()) == busy, (busy, stages)
    assert unbalanced == 0
    assert netns.ping(GUEST_IP, 3, interval=0.2, wait=2).received == 3
    assert prof(con) == ([rxf, rxb, txf, txb], busy, stages, 0)
    assert con.alive()
