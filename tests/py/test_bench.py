# SPDX-License-Identifier: BSD-2-Clause
"""Smoke test of `make bench`'s harness (bench/bench.py), unisr alone.

Runs the whole harness for about a minute with one-second runs, 50 pings,
a coarse footprint bisection and `--prof` (the guest's cycle breakdown
over each TCP run, whose stages must add up to its busy cycles), into a temporary directory, and checks
the document it writes, not the speeds: the JSON parses, names its
accelerator, QEMU, versions and QEMU command line, every metric of
bench/report.py's METRICS is present for unisr (a number, or "not
supported" for a service unisr does not offer), the footprint has an image
size and a smallest -m, the markdown table has a row per metric, and the
cell's clients moved traffic (bytes, connections, replies above zero).
Benchmarks are not tests: no speed is asserted.
"""

import glob
import json
import os
import subprocess
import sys

import pytest

import unisr_console as uc

sys.path.insert(0, str(uc.TOP / "bench"))
import report                   # noqa: E402

BENCH = uc.TOP / "bench" / "bench.py"
SMOKE_TIMEOUT = 300
SMOKE_ARGS = ["--quick", "--guests", "unisr", "--smp", "2", "--seconds", "1",
              "--flood", "1", "--pings", "50", "--footprint-res", "64",
              "--foot-seconds", "1", "--prof", "--tag", "smoke"]
UNSUPPORTED_OK = {"iperf3_udp64"}   # until unisr's iperf3 server has UDP


@pytest.mark.requires_tap
def test_bench_smoke(tmp_path):
    p = subprocess.run([sys.executable, str(BENCH)] + SMOKE_ARGS
                       + ["--out", str(tmp_path)], capture_output=True,
                       text=True, timeout=SMOKE_TIMEOUT, cwd=str(uc.TOP))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    js = glob.glob(str(tmp_path / "*-smoke.json"))
    assert len(js) == 1, os.listdir(tmp_path)
    with open(js[0]) as f:
        doc = json.load(f)
    for key in ("date", "host", "host_cpu", "accel", "qemu", "versions",
                "settings", "cells", "footprint"):
        assert key in doc, key
    assert doc["accel"] in ("kvm", "tcg")
    assert doc["versions"]["unisr"]["unisr_commit"]
    assert len(doc["cells"]) == 1
    cell = doc["cells"][0]
    assert "error" not in cell, cell["error"]
    assert cell["guest"] == "unisr" and cell["smp"] == 2
    assert "qemu-system-x86_64" in cell["qemu_argv"]
    row = report.summary(doc)["unisr"][2]
    for key, label, path, _ in report.METRICS:
        st = row[key]
        assert st is not None, "%s (%s) missing: %r" % (
            key, label, cell.get(path[0]))
        if "text" in st:
            assert key in UNSUPPORTED_OK, (key, st)
        else:
            assert st["n"] == 1
    assert cell["latency"]["replies"] == 50
    for k in ("tcp_h2g", "tcp_g2h", "tcp_h2g_p4", "tcp_g2h_p4"):
        assert cell[k]["bytes"] > 0 and cell[k]["cpu_s"] > 0, (k, cell[k])
        prof = cell[k]["prof"]          # --prof: the guest's breakdown
        assert prof["busy_cycles"] > 0 and prof["rx_frames"] > 0, prof
        assert set(prof["stages"]) == set(report.PROF_STAGES), prof
        assert sum(s["cycles"] for s in prof["stages"].values()) == \
            prof["busy_cycles"], prof
    assert not any(ln.startswith("counters unavailable")
                   for ln in cell["counters"]), cell["counters"][-1:]
    assert cell["conn_w1"]["conns"] > 0 and cell["conn_w8"]["conns"] > 0
    assert cell["udp_paced"]["received"] > 0
    assert cell["udp_max"]["received"] > 0
    foot = doc["footprint"]["unisr"]
    assert foot["image_bytes"] == os.path.getsize(uc.KERNEL)
    assert 0 < foot["min_mem_mib"] <= 256, foot
    md = open(js[0][:-5] + ".md").read()
    for _, label, _, _ in report.METRICS + report.FOOT_METRICS:
        assert "| %s |" % label in md, label
    assert "## Targets" in md
    assert "## unisr: guest cycles per frame, by stage" in md
