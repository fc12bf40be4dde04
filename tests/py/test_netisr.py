# SPDX-License-Identifier: BSD-2-Clause
"""netisr in the guest: `netstat -Q` has FreeBSD's three tables with the
registered protocols and one workstream row per CPU x protocol; `sysctl
net.isr.dispatch` changes take effect and show in `netstat -Q`; a bad
value is refused and changes nothing; boot-only tunables refuse changes;
the command line sets the boot policy; `selftest netisr` passes on -smp 4
(every flow in order, on its RSS CPU, sent == handled + qdrops for
deferred, hybrid and direct).
"""

import re

import pytest

SMP = 4
MEM = "128M"
CONFIG_ROWS = ("Thread count", "Default queue limit", "Dispatch policy",
               "Threads bound to CPUs")
PROTO_HDR = "Name   Proto QLimit Policy Dispatch Flags"
WS_HDR_RE = re.compile(r"^WSID\s+CPU\s+Name\s+Len\s+WMark\s+Disp'd\s+"
                       r"HDisp'd\s+QDrops\s+Queued\s+Handled\s+Purged\s+"
                       r"Batches$")
WS_ROW_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)" + r"\s+(\d+)" * 9 + r"$")
PROTO_ROW_RE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+([CDF-]{3})$")


def netstat_q(con):
    """Parses netstat -Q into (config dict, protocol rows, workstream rows)."""
    lines = con.run("netstat -Q")
    assert lines[0] == "Configuration:", lines
    i_proto = lines.index("Protocols:")
    i_ws = lines.index("Workstreams:")
    config = {}
    for line in lines[2:i_proto]:
        for row in CONFIG_ROWS:
            if line.startswith(row):
                config[row] = line[len(row):].split()
    assert set(config) == set(CONFIG_ROWS), lines
    assert lines[i_proto + 1] == PROTO_HDR, lines
    protos = [PROTO_ROW_RE.match(x).groups()
              for x in lines[i_proto + 2:i_ws] if x.strip()]
    assert WS_HDR_RE.match(lines[i_ws + 1]), lines
    ws = [WS_ROW_RE.match(x).groups() for x in lines[i_ws + 2:]]
    assert all(ws), lines
    return config, protos, ws


@pytest.fixture
def con(qemu):
    return qemu(machine="q35", mem=MEM, smp=SMP)


def test_netstat_q_layout(con):
    config, protos, ws = netstat_q(con)
    assert config["Thread count"] == [str(SMP), str(SMP)]
    assert config["Default queue limit"] == ["256", "10240"]
    assert config["Dispatch policy"] == ["direct", "n/a"]
    names = [p[0] for p in protos]
    assert "test" in names, protos
    # One row per workstream (CPU) per registered protocol.
    assert len(ws) == SMP * len(protos), ws
    assert sorted({(w[0], w[1]) for w in ws}) == \
        [(str(c), str(c)) for c in range(SMP)]
    assert all(w[3] == "0" for w in ws), ws         # nothing queued


def test_sysctl_dispatch(con):
    assert con.run("sysctl net.isr.dispatch") == ["net.isr.dispatch: direct"]
    assert con.run("sysctl net.isr.dispatch=hybrid") == \
        ["net.isr.dispatch: direct -> hybrid"]
    assert netstat_q(con)[0]["Dispatch policy"] == ["hybrid", "n/a"]
    out = con.run("sysctl net.isr.dispatch=sideways")
    assert out == ["sysctl: net.isr.dispatch: invalid value 'sideways' "
                   "(direct, hybrid or deferred); unchanged"], out
    assert netstat_q(con)[0]["Dispatch policy"] == ["hybrid", "n/a"]
    assert con.run("sysctl net.isr.dispatch=deferred") == \
        ["net.isr.dispatch: hybrid -> deferred"]
    out = con.run("sysctl net.isr.maxthreads=2")
    assert out == ["sysctl: net.isr.maxthreads is read-only at run time "
                   "(set it on the kernel command line)"], out
    assert con.run("sysctl net.isr.numthreads") == \
        ["net.isr.numthreads: %d" % SMP]
    out = con.run("sysctl net.isr.defaultqlimit=0")
    assert out[0].startswith("sysctl: net.isr.defaultqlimit: invalid value"), out
    assert con.run("sysctl net.isr.defaultqlimit") == \
        ["net.isr.defaultqlimit: 256"]
    assert con.run("sysctl net.isr.bogus") == ["sysctl: unknown oid 'net.isr.bogus'"]


def test_cmdline_tunables(qemu):
    con = qemu(machine="pc", mem=MEM, smp=SMP,
               cmdline="net.isr.dispatch=deferred net.isr.maxthreads=2 "
                       "net.isr.defaultqlimit=64")
    config, protos, ws = netstat_q(con)
    assert config["Thread count"] == ["2", str(SMP)]
    assert config["Default queue limit"] == ["64", "10240"]
    assert config["Dispatch policy"] == ["deferred", "n/a"]
    assert [p for p in protos if p[0] == "test"][0][2] == "64"
    assert len(ws) == 2 * len(protos)


def test_selftest_netisr(con):
    out = con.run("selftest netisr", timeout=60)
    assert out == ["selftest: PASS netisr", "selftest: 1 passed, 0 failed"], out
    # The self-test counted every packet of three rounds somewhere.
    _, _, ws = netstat_q(con)
    handled = sum(int(w[9]) for w in ws if w[2] == "test")
    drops = sum(int(w[7]) for w in ws if w[2] == "test")
    assert handled + drops == 3 * 4096, ws
