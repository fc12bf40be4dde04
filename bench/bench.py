#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make bench: unisr against a reference Linux guest on the same QEMU line.

Usage: bench.py [--quick] [--guests linux,unisr] [--smp 1,2,4] [--reps 3]
                [--seconds 5] [--flood 3] [--pings 500] [--mem 256]
                [--footprint-res 1] [--foot-seconds 3] [--no-footprint]
                [--prof] [--out DIR] [--tag NAME] | --replot RUN.json

For every repetition, every -smp value (queues = CPUs, RSS on above one)
and every guest, interleaved (Linux 1, unisr 1, Linux 2, ...), it creates
a network namespace, boots the guest there, measures (bench/metrics.py),
kills QEMU and deletes the namespace: one fresh boot per cell.  Then it
bisects the smallest -m at which each guest boots, answers 20 pings and
completes a 3-second iperf3.  It writes:

- OUT/<date>-<host>[-TAG].json: every raw figure, QEMU command lines,
  versions, the host CPU;
- OUT/<date>-<host>[-TAG].md: per configuration, metric | Linux | unisr |
  ratio, medians with min..max, and the targets of issue 11;
- OUT/*.png: gnuplot plots (throughput and connection rate against CPUs,
  latency distribution) via bench/report.py.

--quick is one configuration (-smp 2), one repetition, shorter runs and a
coarse footprint bisection.  Benchmarks are not tests: nothing here fails
on a slow number; it fails only when it could not measure.
"""

import argparse
import datetime
import json
import os
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "py"))
sys.path.insert(0, os.path.join(TOP, "bench"))

import netns as nns             # noqa: E402
import unisr_console as uc      # noqa: E402
import guests as gs             # noqa: E402
import metrics as mx            # noqa: E402
import report                   # noqa: E402

HOST_CIDR = "10.0.2.2/24"
GUEST_MAC = nns.GUEST_MAC
RESULTS = os.path.join(TOP, "bench", "results")
TOOLS_SRC = os.path.join(TOP, "bench", "tools")
TOOL_CFLAGS = ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread"]
UDP_PACED_PPS = 20000
CONN_WORKERS = (1, 8)
# The TCP runs: key, streams, reverse (the guest sends).
PROF_TCP = (("tcp_h2g", 1, False), ("tcp_g2h", 1, True),
            ("tcp_h2g_p4", 4, False), ("tcp_g2h_p4", 4, True))
FOOT_PINGS = 20
FOOT_IPERF_S = 3
FOOT_MAX_MIB = 256
# The client's side of many short connections: a wide port range, and
# TIME_WAIT sockets that neither pile up nor slow connect() (tw_reuse
# needs timestamps, which lwIP does not send, so also cap the buckets).
NS_SYSCTLS = (("net.ipv4.ip_local_port_range", "1024 65000"),
              ("net.ipv4.tcp_tw_reuse", "1"),
              ("net.ipv4.tcp_max_tw_buckets", "4096"))


def log(msg):
    print("bench: %s" % msg, flush=True)


def accel():
    p = subprocess.run([sys.executable, os.path.join(TOP, "scripts",
                                                     "accel.py")],
                       capture_output=True, text=True, cwd=TOP)
    return p.stdout.strip() or "tcg"


def build_tools():
    """Compile the bench's C clients into build/bench/tools if stale."""
    os.makedirs(mx.TOOLS, exist_ok=True)
    for name in ("connrate", "udpload"):
        src = os.path.join(TOOLS_SRC, name + ".c")
        out = os.path.join(mx.TOOLS, name)
        if (os.path.exists(out)
                and os.path.getmtime(out) >= os.path.getmtime(src)):
            continue
        subprocess.run(["gcc"] + TOOL_CFLAGS + ["-o", out, src], check=True)


def new_ns():
    ns = nns.NetNS.create()
    try:
        ns.add_host_addr(HOST_CIDR)
        for key, val in NS_SYSCTLS:
            ns.run(["sysctl", "-q", "-w", "%s=%s" % (key, val)])
    except BaseException:
        ns.delete()
        raise
    return ns


def pin_neighbour(ns):
    """A static ARP entry: the first-reply clock is not ARP's 1 s retry."""
    ns.run(["ip", "neigh", "replace", mx.GUEST_IP, "lladdr", GUEST_MAC,
            "dev", ns.tap, "nud", "permanent"])


def profiled(guest, boot, a, fn, *args, **kw):
    """fn's result; with --prof, plus the guest's cycle breakdown over it
    ("prof"), for guests that have one."""
    on = a.prof and guest.prof_start(boot)
    res = fn(*args, **kw)
    if on:
        res["prof"] = guest.prof_read(boot)
    return res


def measure(guest, ns, boot, a):
    s = a.seconds
    cell = {}
    cell["latency"] = mx.latency(ns, a.flood, a.pings)
    for key, streams, rev in PROF_TCP:
        cell[key] = profiled(guest, boot, a, mx.iperf3, ns, boot, s,
                             streams=streams, reverse=rev)
    cell["iperf2_h2g"] = mx.iperf2(ns, boot, s)
    for w in CONN_WORKERS:
        cell["conn_w%d" % w] = mx.connrate(ns, boot, s, w)
    cell["udp_paced"] = mx.udpload(ns, boot, s, UDP_PACED_PPS)
    cell["udp_max"] = mx.udpload(ns, boot, s, 0)
    cell["iperf3_udp64"] = mx.iperf3_udp(ns, boot, s)
    return cell


def run_cell(guest, acc, smp, rep, a, logdir):
    """One fresh boot of `guest` at -smp `smp`, measured; a dict."""
    ns = new_ns()
    boot = None
    cell = {"guest": guest.name, "smp": smp, "rep": rep}
    try:
        argv = guest.argv(acc, smp, a.mem, ns)
        pin_neighbour(ns)
        fr = mx.FirstReply(ns, gs.BOOT_TIMEOUT)
        fr.start()
        boot = guest.start(argv, os.path.join(
            logdir, "%s-smp%d-rep%d.log" % (guest.name, smp, rep)))
        cell["qemu_argv"] = argv
        cell["ready_line"] = boot.ready_line
        cell["boot"] = {"ready_s": round(boot.ready_s, 3)}
        first = fr.seconds(boot.t0)
        if first is not None:
            cell["boot"]["first_reply_s"] = round(first, 3)
        cell["boot"]["cpu_s"] = round(boot.cpu_seconds(), 3)
        cell.update(measure(guest, ns, boot, a))
        cell["counters"] = guest.counters(boot)
        own = guest.own_boot_s(boot)
        if own is not None:         # the rest of ready_s is QEMU's own
            cell["boot"]["guest_own_s"] = own
    except uc.ConsoleError as e:
        cell["error"] = str(e)[-2000:]
        log("%s smp %d rep %d failed: %s" % (guest.name, smp, rep,
                                            str(e).split("\n")[0]))
    finally:
        if boot is not None:
            boot.kill()
        ns.delete()
    return cell


def footprint_ok(guest, acc, smp, mem, logdir, timeout, seconds):
    """Does `guest` boot at -m `mem` MiB, answer 20 pings, run iperf3?"""
    ns = new_ns()
    boot = None
    try:
        argv = guest.argv(acc, smp, mem, ns)
        boot = guest.start(argv, os.path.join(
            logdir, "%s-foot-%dM.log" % (guest.name, mem)), timeout)
        p = ns.ping(mx.GUEST_IP, FOOT_PINGS, interval=0.05, wait=2)
        if p.received != FOOT_PINGS:
            return False
        r = mx.iperf3(ns, boot, seconds)
        return "error" not in r and r.get("bytes", 0) > 0
    except uc.ConsoleError:
        return False
    finally:
        if boot is not None:
            boot.kill()
        ns.delete()


def footprint(guest, acc, smp, a, logdir, boot_s, known_good):
    """Smallest -m (MiB, to --footprint-res) that passes footprint_ok.

    known_good: -m values the measured cells already passed at (their
    iperf3 runs and pings did more than footprint_ok asks).
    """
    timeout = max(20.0, 4 * boot_s + 10)
    lo, hi = 0, min(known_good) if known_good else FOOT_MAX_MIB
    tries = []
    if not known_good and not footprint_ok(guest, acc, smp, hi, logdir,
                                           timeout, a.foot_seconds):
        return {"error": "fails at %d MiB" % hi}
    while hi - lo > a.footprint_res:
        mid = (lo + hi) // 2
        ok = footprint_ok(guest, acc, smp, mid, logdir, timeout,
                         a.foot_seconds)
        tries.append([mid, ok])
        log("%s footprint -m %dM: %s" % (guest.name, mid,
                                        "ok" if ok else "fails"))
        if ok:
            hi = mid
        else:
            lo = mid
    return {"min_mem_mib": hi, "resolution_mib": a.footprint_res,
            "tries": tries}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--guests", default="linux,unisr")
    p.add_argument("--smp", default=None)
    p.add_argument("--main-smp", type=int, default=2)
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--seconds", type=int, default=None)
    p.add_argument("--flood", type=int, default=None)
    p.add_argument("--pings", type=int, default=mx.LAT_PINGS)
    p.add_argument("--foot-seconds", type=int, default=None)
    p.add_argument("--mem", type=int, default=256)
    p.add_argument("--footprint-res", type=int, default=None)
    p.add_argument("--no-footprint", action="store_true")
    p.add_argument("--prof", action="store_true",
                   help="also record unisr's cycles per data-path stage "
                   "over each TCP run (`prof`; costs a TSC read per "
                   "stage, so throughput runs without it)")
    p.add_argument("--out", default=RESULTS)
    p.add_argument("--tag", default="")
    p.add_argument("--replot", metavar="JSON",
                   help="redraw the table and plots of an earlier run")
    a = p.parse_args(argv)
    q = a.quick
    a.smp = [int(x) for x in (a.smp or ("2" if q else "1,2,4")).split(",")]
    if a.main_smp not in a.smp:
        a.main_smp = a.smp[0]
    a.reps = a.reps or (1 if q else 3)
    a.seconds = a.seconds or (2 if q else 5)
    a.flood = a.flood or (2 if q else 3)
    a.footprint_res = a.footprint_res or (32 if q else 1)
    a.foot_seconds = a.foot_seconds or (2 if q else FOOT_IPERF_S)
    a.guests = [g.strip() for g in a.guests.split(",") if g.strip()]
    for g in a.guests:
        if g not in ("linux", "unisr"):
            p.error("unknown guest %r (linux, unisr)" % g)
    return a


def write_reports(doc, base):
    md = report.markdown(doc)
    with open(base + ".md", "w") as f:
        f.write(md)
    return md, report.plots(doc, base)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.replot:
        with open(a.replot) as f:
            doc = json.load(f)
        md, pngs = write_reports(doc, a.replot[:-len(".json")])
        print(md)
        return 0
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, tap devices)")
    nns.cleanup_stale()
    build_tools()
    acc = accel()
    guests = []
    for g in a.guests:
        guest = gs.Linux() if g == "linux" else gs.Unisr()
        if g == "linux":
            log("building the reference Linux guest (cached)")
            guest.build()
        guests.append(guest)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    name = "%s-%s%s" % (stamp.strftime("%Y-%m-%d"), socket.gethostname(),
                        "-" + a.tag if a.tag else "")
    os.makedirs(a.out, exist_ok=True)
    logdir = os.path.join(TOP, "build", "bench", "logs")
    t_start = time.monotonic()
    cells = []
    for rep in range(a.reps):
        for smp in a.smp:
            for guest in guests:
                log("%s smp %d rep %d" % (guest.name, smp, rep + 1))
                cells.append(run_cell(guest, acc, smp, rep + 1, a, logdir))
    foot = {}
    for guest in guests:
        mine = [c for c in cells if c["guest"] == guest.name]
        ready = [c["boot"]["ready_s"] for c in mine if "boot" in c]
        good = [a.mem for c in mine if c["smp"] == a.main_smp
                and "error" not in c and "error" not in c["tcp_h2g"]
                and c["latency"].get("replies") == a.pings]
        f = {"image_bytes": guest.image_bytes()}
        if not a.no_footprint and ready:
            f.update(footprint(guest, acc, a.main_smp, a, logdir,
                               max(ready), good))
        foot[guest.name] = f
    doc = {
        "date": stamp.isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "host_cpu": gs.host_cpu(),
        "host_cores": os.cpu_count(),
        "accel": acc,
        "qemu": gs.qemu_version(),
        "versions": {g.name: g.versions() for g in guests},
        "settings": {"smp": a.smp, "main_smp": a.main_smp, "reps": a.reps,
                     "seconds": a.seconds, "flood_seconds": a.flood,
                     "mem_mib": a.mem, "quick": a.quick,
                     "udp_paced_pps": UDP_PACED_PPS,
                     "footprint_res_mib": a.footprint_res,
                     "pings": a.pings, "footprint_iperf3_s": a.foot_seconds,
                     "ns_sysctls": dict(NS_SYSCTLS)},
        "cells": cells,
        "footprint": foot,
        "wall_s": round(time.monotonic() - t_start, 1),
    }
    base = os.path.join(a.out, name)
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    md, pngs = write_reports(doc, base)
    print(md)
    log("wrote %s.json, %s.md%s (%.0f s)" % (
        base, base, "".join(", " + p for p in pngs), doc["wall_s"]))
    return 0 if all("error" not in c for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
