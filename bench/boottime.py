#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make bench-boot: how long unisr takes to boot, and where the time goes.

Usage: boottime.py [--smp 1,2,4] [--reps 5] [--firmware qboot,seabios,iso]
                   [--out DIR] [--tag NAME]

For every repetition, every -smp value and every firmware, interleaved,
it creates a network namespace, boots unisr on the bench's QEMU line (q35,
-m 256M, TCG, `-cpu max`, `-nodefaults`, a multiqueue tap with -smp queue
pairs, RSS above one), records

- wall: seconds from starting QEMU (`ip netns exec` included) to the
  READY line on the console;
- own: the guest's `boot: ready in N us` (kernel entry to READY);
- phases: the guest's `boot: phases` line;

then kills QEMU and deletes the namespace.  Firmware: `qboot` (a direct
-kernel boot from QEMU's minimal firmware, what the tests and the bench
use), `seabios` (the same boot from QEMU's default firmware), `iso` (the
GRUB ISO from SeaBIOS, `make run`'s default).  It writes
OUT/<date>-<host>[-TAG]-boot.json with every boot and prints a Markdown
table of medians.  Benchmarks are not tests: nothing here fails on a
slow number, only when it could not measure.
"""

import argparse
import datetime
import json
import os
import re
import socket
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "py"))

import netns as nns             # noqa: E402
import unisr_console as uc      # noqa: E402

HOST_CIDR = "10.0.2.2/24"
RESULTS = os.path.join(TOP, "bench", "results")
MACHINE = "q35"
MEM = "256M"
BOOT_TIMEOUT = 120
READY_RE = r"(?m)^READY .*$"
OWN_RE = r"(?m)^boot: ready in (\d+) us"
PHASES_RE = r"(?m)^boot: phases (.*)$"
FIRMWARES = ("qboot", "seabios", "iso")


def boot_once(accel, smp, firmware, log):
    """One boot in a fresh namespace: {wall_s, own_us, phases}."""
    ns = nns.NetNS.create()
    try:
        ns.add_host_addr(HOST_CIDR)
        mode = "iso" if firmware == "iso" else "direct"
        fw = {"qboot": uc.QBOOT, "seabios": "seabios", "iso": None}[firmware]
        argv = uc.qemu_argv(accel, mode=mode, machine=MACHINE, mem=MEM,
                            smp=smp, prefix=ns.prefix(), firmware=fw,
                            extra=ns.virtio_net_args(smp, rss=smp > 1))
        t0 = time.monotonic()
        con = uc.Console(argv, log)
        try:
            con.wait_for(READY_RE, BOOT_TIMEOUT)
            wall = time.monotonic() - t0
            own = int(con.wait_for(OWN_RE, BOOT_TIMEOUT).group(1))
            phases = con.wait_for(PHASES_RE, BOOT_TIMEOUT).group(1)
        finally:
            con.kill()
        return {"wall_s": round(wall, 4), "own_us": own,
                "phases": dict((k, int(v)) for k, v in
                               (f.split("=") for f in phases.split())),
                "argv": argv}
    finally:
        ns.delete()


def median_row(boots):
    phases = list(boots[0]["phases"])
    return {
        "n": len(boots),
        "wall_s": statistics.median(b["wall_s"] for b in boots),
        "wall_min_max": [min(b["wall_s"] for b in boots),
                         max(b["wall_s"] for b in boots)],
        "own_ms": statistics.median(b["own_us"] for b in boots) / 1000,
        "own_min_max_ms": [min(b["own_us"] for b in boots) / 1000,
                           max(b["own_us"] for b in boots) / 1000],
        "phases_ms": {p: statistics.median(b["phases"][p] for b in boots)
                      / 1000 for p in phases},
    }


def table(summary):
    out = ["| -smp | firmware | QEMU start to READY, s (min..max) | "
           "kernel entry to READY, ms (min..max) | phases, ms (medians) |",
           "|---|---|---|---|---|"]
    for key, r in summary.items():
        smp, fw = key.split("/")
        out.append("| %s | %s | %.3f (%.3f..%.3f) | %.1f (%.1f..%.1f) | %s |"
                   % (smp, fw, r["wall_s"], r["wall_min_max"][0],
                      r["wall_min_max"][1], r["own_ms"],
                      r["own_min_max_ms"][0], r["own_min_max_ms"][1],
                      " ".join("%s %.1f" % (p, v)
                               for p, v in r["phases_ms"].items())))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smp", default="1,2,4")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--firmware", default=",".join(FIRMWARES))
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    smps = [int(s) for s in args.smp.split(",")]
    fws = args.firmware.split(",")
    for fw in fws:
        if fw not in FIRMWARES:
            ap.error("--firmware: %r is not one of %s" % (fw, FIRMWARES))
    accel = os.environ.get("ACCEL", "tcg")
    if accel not in ("tcg", "kvm"):
        accel = "tcg"
    logdir = os.path.join(TOP, "build", "bench-boot")
    os.makedirs(logdir, exist_ok=True)
    nns.cleanup_stale()
    boots = {}
    for rep in range(args.reps):
        for smp in smps:
            for fw in fws:
                log = os.path.join(logdir, "smp%d-%s-%d.log" % (smp, fw, rep))
                b = boot_once(accel, smp, fw, log)
                boots.setdefault("%d/%s" % (smp, fw), []).append(b)
                print("boot: -smp %d %-7s wall %.3f s, own %.1f ms" %
                      (smp, fw, b["wall_s"], b["own_us"] / 1000), flush=True)
    summary = {k: median_row(v) for k, v in boots.items()}
    stamp = datetime.date.today().isoformat()
    name = "%s-%s%s-boot" % (stamp, socket.gethostname().split(".")[0],
                             "-" + args.tag if args.tag else "")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump({"date": stamp, "accel": accel, "machine": MACHINE,
                   "mem": MEM, "summary": summary, "boots": boots}, f,
                  indent=1)
    md = table(summary)
    with open(os.path.join(args.out, name + ".md"), "w") as f:
        f.write(md + "\n")
    print(md)
    print("boot: wrote %s.{json,md}" % os.path.join(args.out, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
