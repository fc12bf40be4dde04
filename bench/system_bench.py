#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make bench: the whole system under load, from inside a network
namespace this script creates and deletes (it reuses the test harness's
netns and console helpers).

For -smp 1, 2 and 4 (queues = CPUs, RSS on with more than one), it boots
build/unisr.elf, pings it 50 times (round-trip min/avg/max), runs an iperf2
TCP client against the guest's lwiperf server for BENCH_SECONDS with 1 and
4 parallel streams, and an iperf3 -R client (the guest sends), and writes
bench/results/system.json plus a markdown table.  Every number names the accelerator it ran on.  This is a benchmark,
not a test: nothing here fails on a slow number.
"""

import json
import os
import re
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "py"))

import netns as nns                     # noqa: E402
import unisr_console as uc              # noqa: E402

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
BENCH_SECONDS = 5
PINGS = 50
SMPS = (1, 2, 4)
STREAMS = (1, 4)
RESULTS = os.path.join(TOP, "bench", "results", "system.json")
RTT_RE = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)")
SUM_RE = re.compile(r"([\d.]+)\s+Mbits/sec")


def accel():
    import subprocess
    p = subprocess.run([sys.executable, os.path.join(TOP, "scripts",
                                                     "accel.py")],
                       capture_output=True, text=True, cwd=TOP)
    return p.stdout.strip() or "tcg"


def iperf(ns, streams):
    rc, out, err = ns.call(["iperf", "-c", GUEST_IP, "-t", str(BENCH_SECONDS),
                            "-P", str(streams), "-f", "m"],
                           timeout=BENCH_SECONDS * 6 + 30)
    rates = SUM_RE.findall(out)
    if rc != 0 or not rates:
        return None
    return float(rates[-1])     # the [SUM] line comes last with -P > 1


def iperf3_reverse(ns):
    """Guest -> host: iperf3 -R against the guest's iperf3 server."""
    rc, out, err = ns.call(["iperf3", "-c", GUEST_IP, "-R", "-t",
                            str(BENCH_SECONDS), "-J"],
                           timeout=BENCH_SECONDS * 6 + 30)
    try:
        bps = json.loads(out)["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError):
        return None
    return None if rc != 0 else round(bps / 1e6, 1)


def one(acc, smp):
    ns = nns.NetNS.create()
    con = None
    try:
        ns.add_host_addr(HOST_CIDR)
        argv = uc.qemu_argv(acc, mode="direct", machine="q35", mem="256M",
                            smp=smp, cmdline="",
                            extra=ns.virtio_net_args(smp, rss=smp > 1))
        con = uc.Console(ns.prefix() + argv,
                         os.path.join(TOP, "build", "bench-smp%d.log" % smp))
        con.wait_ready(120)
        p = ns.ping(GUEST_IP, PINGS, interval=0.05)
        m = RTT_RE.search(p.output)
        row = {"smp": smp, "queues": smp, "accel": acc,
               "ping_received": p.received,
               "ping_rtt_ms": [float(x) for x in m.groups()] if m else None}
        for s in STREAMS:
            row["iperf_tcp_%dstream_mbit" % s] = iperf(ns, s)
        row["iperf3_reverse_mbit"] = iperf3_reverse(ns)
        return row
    finally:
        if con is not None:
            con.kill()
        ns.delete()


def main():
    acc = accel()
    rows = [one(acc, smp) for smp in SMPS]
    doc = {"date": time.strftime("%Y-%m-%d"), "accel": acc,
           "seconds": BENCH_SECONDS, "rows": rows}
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    print("| smp = queues | accel | ping avg ms | iperf TCP 1 stream Mbit/s "
          "| iperf TCP 4 streams Mbit/s | iperf3 -R (guest sends) Mbit/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        rtt = r["ping_rtt_ms"]
        print("| %d | %s | %s | %s | %s | %s |" % (
            r["smp"], r["accel"], "%.3f" % rtt[1] if rtt else "-",
            r["iperf_tcp_1stream_mbit"], r["iperf_tcp_4stream_mbit"],
            r["iperf3_reverse_mbit"]))
    print("\n(%s; written to %s)" % (doc["date"], RESULTS))


if __name__ == "__main__":
    main()
