# SPDX-License-Identifier: BSD-2-Clause
"""iperf2 against the guest's iperf2 server (lwipg_iperf2.c, TCP port 5001), from inside
a network namespace the test creates, with Debian's iperf 2 client.

Proves, for -smp {1,2,4} x netdev queues {1,2,4} x mode (all 27 under
--full; otherwise 3 rows that use each value once):
- plain `iperf -c 10.0.2.15 -t 5`: exit status 0, one result line;
- `-P 4`: exit status 0, four result lines with distinct stream ids and
  a [SUM] line;
- `-r` (tradeoff): the client's 5 s test, then the guest connects back to
  the client's own listener (port 5001 in the namespace, on-link) and
  sends for 5 s: exit status 0, one result line per direction;
- every rate the client prints for the whole test (the [SUM] for -P 4,
  each direction for -r) is above a sanity floor of 10 Mbit/s;
- the guest reports each session on its console (`iperf: report <type>
  from 10.0.2.2: <bytes> bytes in <ms> ms, ...`) with a nonzero byte
  count: one server report (type 0 or an abort type) per stream the
  client sent, and for -r one client report (type 1) for what it sent.

Rates are recorded (record_property and stdout), not asserted beyond the
floor: throughput is a benchmark, not a test.
"""

import re

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
IPERF_PORT = 5001
IPERF_SECONDS = 5               # functions, not rates, are checked
IPERF_TIMEOUT = 120             # -r: two 5 s tests + SYN retries, TCG
REPORT_TIMEOUT = 30
FLOOR_MBITS = 10.0
MEM = "128M"
BOOT_TIMEOUT = 60.0
BOOT_TIMEOUT_BIG = 120.0        # -smp 4 under TCG

# iperf 2.1: "[  1] 0.0000-10.0234 sec   356 MBytes   297 Mbits/sec"
RESULT_RE = re.compile(
    r"^\[\s*(\d+|SUM)\]\s+([\d.]+)-([\d.]+) sec\s+([\d.]+) MBytes\s+"
    r"([\d.]+) Mbits/sec", re.M)
# "[  2] local 10.0.2.2 port 5001 connected with 10.0.2.15 port 55240"
CONNECT_RE = re.compile(
    r"^\[\s*(\d+)\] local [\d.]+ port (\d+) connected with", re.M)
REPORT_RE = (r"iperf: report (\d+) from [\d.]+: (\d+) bytes in (\d+) ms, "
             r"(\d+) kbit/s")
REPORT_DONE_SERVER = 0          # enum i2_report (lwiperf's numbers)
REPORT_DONE_CLIENT = 1

SMP_VALUES = (1, 2, 4)
QUEUE_VALUES = (1, 2, 4)
MODES = ("plain", "P4", "reverse")
DEFAULT_MATRIX = [(1, 1, "plain"), (2, 4, "reverse"), (4, 2, "P4")]
FULL_MATRIX = [(s, q, m) for s in SMP_VALUES for q in QUEUE_VALUES
               for m in MODES]
MODE_ARGS = {"plain": [], "P4": ["-P", "4"], "reverse": ["-r"]}


def _covers_each_value(rows):
    return all({r[i] for r in rows} == set(values) for i, values in
               enumerate((SMP_VALUES, QUEUE_VALUES, MODES)))


assert _covers_each_value(DEFAULT_MATRIX)


def pytest_generate_tests(metafunc):
    if "icombo" in metafunc.fixturenames:
        rows = (FULL_MATRIX if metafunc.config.getoption("--full")
                else DEFAULT_MATRIX)
        metafunc.parametrize("icombo", rows,
                             ids=["smp%d-q%d-%s" % r for r in rows])


def parse_results(out):
    """{id: (seconds, mbytes, mbits)} of the client's result lines; the
    last line per id wins (with -i the whole-test line comes last)."""
    res = {}
    for sid, start, end, mbytes, mbits in RESULT_RE.findall(out):
        res[sid] = (float(end) - float(start), float(mbytes), float(mbits))
    return res


@pytest.mark.requires_tap
def test_iperf_tcp(qemu, netns, icombo, record_property):
    smp, queues, mode = icombo
    netns.add_host_addr(HOST_CIDR)
    con = qemu(machine="pc", mem=MEM, smp=smp, prefix=netns.prefix(),
               timeout=BOOT_TIMEOUT_BIG if smp >= 4 else BOOT_TIMEOUT,
               extra=netns.virtio_net_args(queues, rss=queues > 1))
    argv = (["iperf", "-c", GUEST_IP, "-t", str(IPERF_SECONDS), "-f", "m"]
            + MODE_ARGS[mode])
    rc, out, err = netns.call(argv, timeout=IPERF_TIMEOUT)
    print(out)
    assert rc == 0, (out, err)
    res = parse_results(out)
    streams = {k: v for k, v in res.items() if k != "SUM"}
    record_property("iperf_results", res)

    if mode == "P4":
        assert len(streams) == 4 and "SUM" in res, out
        totals = {"sum": res["SUM"][2]}
    elif mode == "reverse":
        # The reverse stream is the one the guest opened to our port.
        local = {sid: int(port) for sid, port in CONNECT_RE.findall(out)}
        back = [sid for sid in streams if local.get(sid) == IPERF_PORT]
        assert len(streams) == 2 and len(back) == 1, out
        fwd = [sid for sid in streams if sid not in back][0]
        totals = {"forward": streams[fwd][2], "reverse": streams[back[0]][2]}
    else:
        assert len(streams) == 1 and "SUM" not in res, out
        totals = {"forward": list(streams.values())[0][2]}
    for name, mbits in totals.items():
        record_property("mbits_" + name, mbits)
        print("iperf smp%d q%d %s: %s %.1f Mbit/s" % (smp, queues, mode,
                                                     name, mbits))
        assert mbits > FLOOR_MBITS, (name, out)

    # The guest saw the same sessions: a server report per stream the
    # client sent, and for -r a client report for what it sent back.
    nrx = 4 if mode == "P4" else 1
    ntx = 1 if mode == "reverse" else 0
    reports = [con.wait_for(REPORT_RE, timeout=REPORT_TIMEOUT)
               for _ in range(nrx + ntx)]
    types = [int(m.group(1)) for m in reports]
    record_property("guest_reports", [m.group(0) for m in reports])
    for m in reports:
        assert int(m.group(2)) > 0, m.group(0)
    assert types.count(REPORT_DONE_CLIENT) == ntx, types
    assert con.alive()
