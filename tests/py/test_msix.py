# SPDX-License-Identifier: BSD-2-Clause
"""A misrouted MSI-X interrupt still wakes the queue's own poller
(robustness defect 9).

An interrupt handler marks a poller bit, and a bit means something only
in the poller table of the CPU that registered it.  The handlers used to
mark the CPU that took the interrupt; an interrupt delivered elsewhere
then woke the wrong poller and left the queue unserved.

Proves: at -smp 2 with two queue pairs, `vtnet msix 0 1` and `vtnet msix
1 0` point each queue's rx and tx MSI-X entries at the other CPU, so every
queue interrupt arrives on the wrong CPU.  Then 30 of 30 pings (0.2 s
apart, so each request interrupts) are answered and `vtnet rings` counts
at least 15 misrouted rx interrupts across the queues (the pings' one
flow lands on one queue, whichever RSS picks).  Before the fix the
request's queue was never polled: the pings went unanswered.
"""

import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
PINGS = 30
MIN_MISROUTED = PINGS // 2

RX_RE = re.compile(r"^rx(\d+): kicks (\d+) suppressed (\d+) "
                   r"misrouted-intrs (\d+) lent-hwm (\d+) "
                   r"polls-capped (\d+)$", re.M)


def misrouted(con):
    """Misrouted rx interrupts, summed over the queues."""
    text = "\n".join(con.run("vtnet rings"))
    counts = [int(m.group(4)) for m in RX_RE.finditer(text)]
    assert len(counts) == 2, text
    return sum(counts)


@pytest.mark.requires_tap
def test_misrouted_msix(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="q35", mem="128M", smp=2, prefix=netns.prefix(),
               extra=netns.virtio_net_args(2, rss=True))
    assert netns.ping(GUEST_IP, 3).received == 3
    for q, cpu in ((0, 1), (1, 0)):
        out = "\n".join(con.run("vtnet msix %d %d" % (q, cpu)))
        assert "queue %d interrupts now go to cpu %d" % (q, cpu) in out
    before = misrouted(con)
    p = netns.ping(GUEST_IP, PINGS)
    after = misrouted(con)
    assert p.received == PINGS, p
    assert after - before >= MIN_MISROUTED, (before, after)
    assert con.alive()
