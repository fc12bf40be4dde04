# SPDX-License-Identifier: BSD-2-Clause
"""iperf2 against the guest's lwiperf server (TCP port 5001), from inside
a network namespace the test creates: the client's run completes with exit
status 0 and moves data, and the guest reports the same session on its
console (`iperf: report ...` with a nonzero byte count).  Numbers are
counts, not speeds: throughput is a benchmark, not a test.
"""

import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
IPERF_SECONDS = 2
IPERF_TIMEOUT = 60
CLIENT_RE = re.compile(r"\s([\d.]+)\s+([KMG]?)Bytes\s")
REPORT_RE = r"iperf: report \d+ from [\d.]+: (\d+) bytes in (\d+) ms"
UNIT = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


@pytest.mark.requires_tap
@pytest.mark.parametrize("smp", [1, 2])
def test_iperf_tcp(qemu, netns, smp):
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem="128M", smp=smp, prefix=netns.prefix(),
               extra=netns.virtio_net_args(smp, rss=smp > 1))
    rc, out, err = netns.call(["iperf", "-c", GUEST_IP, "-t",
                               str(IPERF_SECONDS), "-f", "K"],
                              timeout=IPERF_TIMEOUT)
    assert rc == 0, (out, err)
    sizes = [float(v) * UNIT[u] for v, u in CLIENT_RE.findall(out)]
    assert sizes and sizes[-1] > 0, out
    m = con.wait_for(REPORT_RE, timeout=IPERF_TIMEOUT)
    assert int(m.group(1)) > 0, m.group(0)
    assert con.alive()
