# SPDX-License-Identifier: BSD-2-Clause
"""Turn a `make bench` document into tables and plots.

- METRICS: every figure the bench reports, where it lives in a cell, its
  unit and which way is better.  The smoke test (tests/py/test_bench.py)
  checks that each is present, so adding a metric here is adding it to
  the contract.
- summary(): per guest and -smp, the median and min..max of each metric
  over the repetitions.
- markdown(): a table per configuration (metric | Linux | unisr | ratio
  unisr/Linux) and the targets of issue 11 with met/missed.
- plots(): PNGs drawn by Debian's gnuplot: TCP throughput and connection
  rate against CPUs for both guests, and the latency distribution.

Pure functions over the JSON document; no locks.
"""

import os
import statistics
import subprocess

# (key, label, path in a cell, better).  better: "low" or "high".
METRICS = [
    ("ready_s", "boot to ready (s)", ("boot", "ready_s"), "low"),
    ("first_reply_s", "boot to first ping reply (s)",
     ("boot", "first_reply_s"), "low"),
    ("ping_p50", "ping p50 (ms)", ("latency", "p50_ms"), "low"),
    ("ping_p99", "ping p99 (ms)", ("latency", "p99_ms"), "low"),
    ("ping_max", "ping max (ms)", ("latency", "max_ms"), "low"),
    ("flood_rps", "flood ping replies/s",
     ("latency", "flood_replies_per_s"), "high"),
    ("flood_avg", "flood ping avg RTT (ms)", ("latency", "flood_avg_ms"),
     "low"),
    ("tcp_h2g", "TCP host→guest, 1 stream (Mbit/s)", ("tcp_h2g", "mbit_s"),
     "high"),
    ("tcp_h2g_retr", "  retransmits (host side)",
     ("tcp_h2g", "retransmits"), "low"),
    ("tcp_h2g_cpu", "  QEMU CPU s per GB", ("tcp_h2g", "cpu_s_per_gb"),
     "low"),
    ("tcp_h2g_frame", "  avg frame QEMU hands the guest (bytes)",
     ("tcp_h2g", "tap_to_guest_avg_bytes"), "high"),
    ("tcp_g2h", "TCP guest→host, 1 stream (Mbit/s)", ("tcp_g2h", "mbit_s"),
     "high"),
    ("tcp_g2h_cpu", "  QEMU CPU s per GB", ("tcp_g2h", "cpu_s_per_gb"),
     "low"),
    ("tcp_g2h_frame", "  avg frame the guest hands QEMU (bytes)",
     ("tcp_g2h", "tap_from_guest_avg_bytes"), "high"),
    ("tcp_h2g_p4", "TCP host→guest, 4 streams (Mbit/s)",
     ("tcp_h2g_p4", "mbit_s"), "high"),
    ("tcp_h2g_p4_retr", "  retransmits (host side)",
     ("tcp_h2g_p4", "retransmits"), "low"),
    ("tcp_h2g_p4_cpu", "  QEMU CPU s per GB",
     ("tcp_h2g_p4", "cpu_s_per_gb"), "low"),
    ("tcp_g2h_p4", "TCP guest→host, 4 streams (Mbit/s)",
     ("tcp_g2h_p4", "mbit_s"), "high"),
    ("tcp_g2h_p4_cpu", "  QEMU CPU s per GB",
     ("tcp_g2h_p4", "cpu_s_per_gb"), "low"),
    ("iperf2_h2g", "iperf2 host→guest (Mbit/s)", ("iperf2_h2g", "mbit_s"),
     "high"),
    ("conn_w1", "connections/s, 1 worker", ("conn_w1", "per_sec"), "high"),
    ("conn_w1_fail", "  failures", ("conn_w1", "failures"), "low"),
    ("conn_w8", "connections/s, 8 workers", ("conn_w8", "per_sec"), "high"),
    ("conn_w8_fail", "  failures", ("conn_w8", "failures"), "low"),
    ("udp_paced_rps", "UDP 64 B at 20,000/s: replies/s",
     ("udp_paced", "replies_per_sec"), "high"),
    ("udp_paced_loss", "  loss (%)", ("udp_paced", "loss_pct"), "low"),
    ("udp_max_rps", "UDP 64 B at max rate: replies/s",
     ("udp_max", "replies_per_sec"), "high"),
    ("udp_max_loss", "  loss (%)", ("udp_max", "loss_pct"), "low"),
    ("udp_max_cpu", "  QEMU CPU s per million replies",
     ("udp_max", "cpu_s_per_mreply"), "low"),
    ("iperf3_udp64", "iperf3 -u -b 0 -l 64: received/s",
     ("iperf3_udp64", "received_per_s"), "high"),
]
FOOT_METRICS = [
    ("image_mb", "image size (MB)", "image_bytes", "low"),
    ("min_mem", "smallest -m (MiB)", "min_mem_mib", "low"),
]
# Issue 11's targets: (label, metric keys, "le"/"ge", ratio).
TARGETS = [
    ("boot to ready", ["ready_s"], "le", 0.02),
    ("ping p50 and p99", ["ping_p50", "ping_p99"], "le", 0.5),
    ("TCP host to guest and guest to host, 1 and 4 streams",
     ["tcp_h2g", "tcp_g2h", "tcp_h2g_p4", "tcp_g2h_p4"], "ge", 1.0),
    ("connections per second, 1 and 8 workers", ["conn_w1", "conn_w8"],
     "ge", 5.0),
    ("UDP 64-byte replies per second", ["udp_max_rps"], "ge", 5.0),
    ("QEMU CPU seconds per GB", ["tcp_h2g_cpu", "tcp_g2h_cpu",
                                 "tcp_h2g_p4_cpu", "tcp_g2h_p4_cpu"],
     "le", 0.7),
    ("smallest -m", ["min_mem"], "le", 0.1),
]
GUESTS = ("linux", "unisr")
COLOURS = {"linux": "#1f5fb4", "unisr": "#d62728"}


def lookup(cell, path):
    """The number at `path` in a cell; a string for an unsupported
    service; None when absent."""
    d = cell
    for k in path[:-1]:
        d = d.get(k)
        if not isinstance(d, dict):
            return None
    if "unsupported" in d:
        return "not supported"
    v = d.get(path[-1])
    return v if isinstance(v, (int, float)) else None


def _stat(values):
    nums = [v for v in values if isinstance(v, (int, float))]
    if nums:
        return {"median": statistics.median(nums), "min": min(nums),
                "max": max(nums), "n": len(nums)}
    if any(isinstance(v, str) for v in values):
        return {"text": next(v for v in values if isinstance(v, str))}
    return None


def summary(doc):
    """{guest: {smp: {key: stat}}} plus footprint figures at main_smp."""
    out = {}
    for g in GUESTS:
        for smp in doc["settings"]["smp"]:
            cells = [c for c in doc["cells"]
                     if c["guest"] == g and c["smp"] == smp]
            if not cells:
                continue
            row = {}
            for key, _, path, _ in METRICS:
                row[key] = _stat([lookup(c, path) for c in cells])
            out.setdefault(g, {})[smp] = row
        foot = doc.get("footprint", {}).get(g)
        if foot and g in out:
            row = out[g][doc["settings"]["main_smp"]]
            if "image_bytes" in foot:
                row["image_mb"] = _stat([foot["image_bytes"] / 1e6])
            row["min_mem"] = _stat([foot.get("min_mem_mib")])
    return out


def _fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def cellstr(st):
    if st is None:
        return "–"
    if "text" in st:
        return st["text"]
    s = _fmt(st["median"])
    if st["n"] > 1 and st["min"] != st["max"]:
        s += " (%s..%s)" % (_fmt(st["min"]), _fmt(st["max"]))
    return s


def ratio(s, key, smp):
    try:
        u = s["unisr"][smp][key]["median"]
        lx = s["linux"][smp][key]["median"]
    except (KeyError, TypeError):
        return None
    if not lx:
        return None
    return u / lx


def markdown(doc):
    s = summary(doc)
    st = doc["settings"]
    lines = ["# unisr against Linux, %s" % doc["date"], "",
             "Host `%s` (%s, %d cores), accelerator %s, %s; %d "
             "repetition(s) of %d s runs, fresh boot each; medians with "
             "min..max." % (doc["host"], doc["host_cpu"], doc["host_cores"],
                            doc["accel"], doc["qemu"], st["reps"],
                            st["seconds"]), ""]
    for smp in st["smp"]:
        lines += ["## -smp %d, %d queue pair(s)" % (smp, smp), "",
                  "| metric | Linux | unisr | unisr/Linux |",
                  "|---|---:|---:|---:|"]
        keys = [(k, lbl) for k, lbl, _, _ in METRICS]
        if smp == st["main_smp"]:
            keys += [(k, lbl) for k, lbl, _, _ in FOOT_METRICS]
        for key, label in keys:
            cells = [cellstr(s.get(g, {}).get(smp, {}).get(key))
                     for g in GUESTS]
            r = ratio(s, key, smp)
            lines.append("| %s | %s | %s | %s |" % (
                label, cells[0], cells[1], "–" if r is None else
                "%.2f" % r))
        lines.append("")
    lines += ["## Targets (ratio unisr/Linux at -smp %d)" % st["main_smp"],
              "", "| metric | target | measured | |", "|---|---|---|---|"]
    for label, keys, op, want in TARGETS:
        rs = [ratio(s, k, st["main_smp"]) for k in keys]
        got = [r for r in rs if r is not None]
        if not got:
            verdict, shown = "not measured", "–"
        else:
            ok = all((r <= want) if op == "le" else (r >= want) for r in got)
            verdict = "met" if ok and len(got) == len(keys) else "missed"
            shown = ", ".join("%.2f" % r for r in got)
        lines.append("| %s | %s %s | %s | %s |" % (
            label, "≤" if op == "le" else "≥", want, shown, verdict))
    lines.append("")
    lines += prof_markdown(doc)
    return "\n".join(lines)


PROF_RUNS = ("tcp_h2g", "tcp_g2h", "tcp_h2g_p4", "tcp_g2h_p4")
PROF_STAGES = ("rx-driver", "stack", "tx-driver", "tx-done", "timers",
               "other")


def prof_markdown(doc):
    """The `--prof` table: unisr's busy cycles per frame (rx + tx frames,
    one virtqueue operation each) over each TCP run, split by stage;
    medians over the repetitions.  Empty without --prof."""
    rows = []
    for smp in doc["settings"]["smp"]:
        for key in PROF_RUNS:
            label = {k: lbl for k, lbl, _, _ in METRICS}.get(key, key)
            label = label.replace(" (Mbit/s)", "")
            profs = [c[key]["prof"] for c in doc["cells"]
                     if c["guest"] == "unisr" and c["smp"] == smp and
                     isinstance(c.get(key), dict) and c[key].get("prof")]
            if not profs:
                continue

            def med(f):
                v = sorted(f(p) for p in profs)
                return v[len(v) // 2]
            cells = ["%d" % med(lambda p, st=st: p["stages"].get(
                st, {}).get("per_frame", 0)) for st in PROF_STAGES]
            rows.append("| %s | %d | %d / %d | %d | %d | %s |" % (
                label, smp, med(lambda p: p["rx_frames"]),
                med(lambda p: p["tx_frames"]),
                med(lambda p: p["busy_per_frame"]),
                med(lambda p: p["busy_per_kib"]), " | ".join(cells)))
    if not rows:
        return []
    return ["## unisr: guest cycles per frame, by stage (`prof`)", "",
            "Busy TSC cycles of all CPUs over the run divided by the frames "
            "moved (rx + tx; a GSO frame is one), and per KiB of frame "
            "bytes; medians.", "",
            "| run | -smp | frames rx / tx | busy/frame | busy/KiB | %s |"
            % " | ".join(PROF_STAGES),
            "|---|---:|---:|---:|---:|%s" % ("---:|" * len(PROF_STAGES))] + \
        rows + [""]


def _gnuplot(script):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


def _vs_cpus(doc, s, base, keys, ylabel, title, suffix):
    dat = base + "-" + suffix + ".dat"
    cols = []
    with open(dat, "w") as f:
        f.write("# smp " + " ".join("%s_%s" % (g, k) for k in keys
                                    for g in GUESTS) + "\n")
        for smp in doc["settings"]["smp"]:
            vals = []
            for k in keys:
                for g in GUESTS:
                    st = s.get(g, {}).get(smp, {}).get(k)
                    vals.append("%g" % st["median"] if st and "median" in st
                                else "NaN")
            f.write("%d %s\n" % (smp, " ".join(vals)))
    i = 2
    labels = dict((k, lbl) for k, lbl, _, _ in METRICS)
    for m, k in enumerate(keys):
        for g in GUESTS:
            cols.append("'%s' using 1:%d with linespoints lw 2 pt %d "
                        "dt %d lc rgb '%s' title '%s %s'"
                        % (dat, i, 5 + 2 * m, 1 + m, COLOURS[g], g,
                           labels[k].split(" (")[0]))
            i += 1
    png = base + "-" + suffix + ".png"
    ok = _gnuplot("set terminal pngcairo size 1000,500\nset output '%s'\n"
                  "set title '%s'\nset xlabel 'CPUs = queue pairs'\n"
                  "set ylabel '%s'\nset key outside right top vertical\n"
                  "set xtics 1\nset offsets 0.25,0.25,0,0\nset grid\n"
                  "set yrange [0:*]\n"
                  "plot %s\n" % (png, title, ylabel, ", ".join(cols)))
    os.unlink(dat)
    return png if ok else None


def _latency(doc, base):
    dat = base + "-latency.dat"
    smp = doc["settings"]["main_smp"]
    series = []
    with open(dat, "w") as f:
        for g in GUESTS:
            rtts = sorted(r for c in doc["cells"]
                          if c["guest"] == g and c["smp"] == smp
                          for r in c.get("latency", {}).get("rtts_ms", []))
            if not rtts:
                continue
            f.write("# %s\n" % g)
            for i, r in enumerate(rtts):
                f.write("%g %g\n" % (r, (i + 1) / len(rtts)))
            f.write("\n\n")
            series.append(g)
    if not series:
        return None
    png = base + "-latency.png"
    plots = ", ".join("'%s' index %d using 1:2 with lines lw 2 lc rgb '%s' "
                      "title '%s'" % (dat, i, COLOURS[g], g)
                      for i, g in enumerate(series))
    ok = _gnuplot("set terminal pngcairo size 900,540\nset output '%s'\n"
                  "set title 'ping RTT distribution, -smp %d (%d pings at "
                  "10 ms per boot)'\nset xlabel 'RTT (ms, log)'\n"
                  "set logscale x\nset ylabel 'fraction of replies'\n"
                  "set grid\nset key bottom right\nplot %s\n"
                  % (png, smp, doc["settings"].get("pings", 500), plots))
    os.unlink(dat)
    return png if ok else None


def plots(doc, base):
    """Draw the PNGs next to `base`; return the paths drawn."""
    s = summary(doc)
    out = [_vs_cpus(doc, s, base, ["tcp_h2g", "tcp_g2h", "tcp_h2g_p4",
                                   "tcp_g2h_p4"],
                    "Mbit/s", "TCP throughput (iperf3)", "tcp"),
           _vs_cpus(doc, s, base, ["conn_w1", "conn_w8"], "connections/s",
                    "TCP connection rate (connect, 64 B echo, close)",
                    "conn"),
           _vs_cpus(doc, s, base, ["udp_max_rps"], "replies/s",
                    "UDP 64-byte echo replies at max rate", "udp"),
           _latency(doc, base)]
    return [p for p in out if p]
