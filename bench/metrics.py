# SPDX-License-Identifier: BSD-2-Clause
"""What `make bench` measures on one booted guest, each as a dict of numbers.

Every function runs its client inside the bench's network namespace (the
guest is 10.0.2.15, the host side 10.0.2.2) and returns plain numbers, or
{"error": "..."} when the client failed, or {"unsupported": "..."} when
the guest does not offer the service (unisr's iperf3 server has no UDP
yet).  Throughput and UDP functions also sample the QEMU process's CPU
seconds (utime + stime from /proc/PID/stat) across the run, and derive the
cost per GB moved or per million replies.

- first_reply(): pinged every 10 ms from before QEMU starts, with a static
  neighbour entry so that ARP does not set the pace;
- latency(): 500 pings at 10 ms intervals (p50, p99, max) and a flood;
- iperf3() / iperf2(): TCP for `seconds`, either direction, N streams;
- connrate(): bench/tools/connrate (connect, 64 bytes, read back, close);
- udp(): bench/tools/udpload paced or at the maximum rate, and iperf3 -u.

No locks; called one at a time.
"""

import json
import os
import re
import subprocess
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(TOP, "build", "bench", "tools")
GUEST_IP = "10.0.2.15"
LAT_PINGS = 500
LAT_INTERVAL = 0.01
FIRST_REPLY_INTERVAL = "0.01"
SLACK = 30                      # seconds a client may overrun its run
GB = 1e9
TIME_RE = re.compile(r"time=([\d.]+) ms")
SUMMARY_RE = re.compile(r"(\d+) packets transmitted, (\d+) received.*?"
                        r"time (\d+)ms", re.S)
RTT_RE = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
IPERF2_RE = re.compile(r"\s([\d.]+)\s+Mbits/sec")


def pct(values, p):
    """The p-th percentile (nearest rank) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def _call(ns, argv, timeout):
    try:
        return ns.call(argv, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "", "timed out after %d s" % timeout


class FirstReply:
    """Pings the guest every 10 ms from before QEMU starts.

    start() before the boot; seconds(t0) after it: QEMU's start (t0, a
    monotonic time) to the first echo reply.
    """

    def __init__(self, ns, timeout):
        self.ns = ns
        self.timeout = int(timeout)
        self.t_reply = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        time.sleep(0.05)        # ping is sending before QEMU starts

    def _run(self):
        rc, out, err = _call(self.ns, ["ping", "-n", "-c", "1", "-i",
                                       FIRST_REPLY_INTERVAL, "-w",
                                       str(self.timeout), GUEST_IP],
                             self.timeout + SLACK)
        if rc == 0:
            self.t_reply = time.monotonic()

    def seconds(self, t0):
        self.thread.join(self.timeout + SLACK)
        return None if self.t_reply is None else self.t_reply - t0


def latency(ns, flood_seconds, pings=LAT_PINGS):
    rc, out, err = _call(ns, ["ping", "-n", "-c", str(pings), "-i",
                              str(LAT_INTERVAL), "-W", "1", GUEST_IP],
                         pings * LAT_INTERVAL + SLACK)
    rtts = [float(x) for x in TIME_RE.findall(out)]
    res = {"pings": pings, "replies": len(rtts)}
    if rtts:
        res.update(p50_ms=pct(rtts, 50), p99_ms=pct(rtts, 99),
                   max_ms=max(rtts), rtts_ms=rtts)
    else:
        res["error"] = "no replies: %s" % (err or out)[-200:]
    rc, out, err = _call(ns, ["ping", "-n", "-q", "-f", "-w",
                              str(flood_seconds), GUEST_IP],
                         flood_seconds + SLACK)
    m, r = SUMMARY_RE.search(out), RTT_RE.search(out)
    if m and r and int(m.group(3)) > 0:
        res["flood_replies_per_s"] = round(
            int(m.group(2)) / (int(m.group(3)) / 1000.0), 1)
        res["flood_sent"] = int(m.group(1))
        res["flood_avg_ms"] = float(r.group(2))
    else:
        res["flood_error"] = (err or out)[-200:]
    return res


def _cost(res, boot, cpu0, moved_bytes=None, replies=None):
    cpu = boot.cpu_seconds() - cpu0
    res["cpu_s"] = round(cpu, 3)
    if moved_bytes:
        res["cpu_s_per_gb"] = round(cpu / (moved_bytes / GB), 3)
    if replies:
        res["cpu_s_per_mreply"] = round(cpu / (replies / 1e6), 3)


def _tap(res, ns, st0):
    """Frames and bytes through the tap during a run: what each guest
    handed QEMU per frame (a TSO guest hands it 64 KB segments)."""
    st = ns.stats()
    for d, name in (("rx", "from_guest"), ("tx", "to_guest")):
        pk = st[d + "_packets"] - st0[d + "_packets"]
        by = st[d + "_bytes"] - st0[d + "_bytes"]
        res["tap_%s_frames" % name] = pk
        if pk:
            res["tap_%s_avg_bytes" % name] = round(by / pk)


def iperf3(ns, boot, seconds, streams=1, reverse=False):
    argv = ["iperf3", "-c", GUEST_IP, "-t", str(seconds), "-J",
            "-P", str(streams)]
    if reverse:
        argv.append("-R")
    st0 = ns.stats()
    cpu0 = boot.cpu_seconds()
    rc, out, err = _call(ns, argv, seconds * 4 + SLACK)
    res = {}
    try:
        doc = json.loads(out)
        if "error" in doc:
            res["error"] = doc["error"]
        recv = doc["end"]["sum_received"]
        res["mbit_s"] = round(recv["bits_per_second"] / 1e6, 1)
        res["bytes"] = recv["bytes"]
        sent = doc["end"].get("sum_sent", {})
        if "retransmits" in sent:
            res["retransmits"] = sent["retransmits"]
    except (ValueError, KeyError, TypeError):
        res.setdefault("error", "iperf3 exit %d: %s" % (rc, (err or out)[-200:]))
    _cost(res, boot, cpu0, moved_bytes=res.get("bytes"))
    _tap(res, ns, st0)
    return res


def iperf2(ns, boot, seconds):
    cpu0 = boot.cpu_seconds()
    rc, out, err = _call(ns, ["iperf", "-c", GUEST_IP, "-t", str(seconds),
                              "-f", "m", "-e"], seconds * 4 + SLACK)
    rates = IPERF2_RE.findall(out)
    res = {}
    if rc == 0 and rates:
        res["mbit_s"] = float(rates[-1])
        res["bytes"] = int(res["mbit_s"] * 1e6 / 8 * seconds)
        m = re.search(r"Mbits/sec\s+(\d+)/(\d+)\s+(\d+)", out)
        if m:                    # -e: Write/Err Rtry
            res["retransmits"] = int(m.group(3))
    else:
        res["error"] = "iperf exit %d: %s" % (rc, (err or out)[-200:])
    _cost(res, boot, cpu0, moved_bytes=res.get("bytes"))
    return res


def connrate(ns, boot, seconds, workers):
    cpu0 = boot.cpu_seconds()
    rc, out, err = _call(ns, [os.path.join(TOOLS, "connrate"), "-a",
                              GUEST_IP, "-p", "7", "-w", str(workers),
                              "-t", str(seconds)], seconds + SLACK)
    try:
        res = json.loads(out.strip().split("\n")[-1])
    except (ValueError, IndexError):
        res = {"error": "connrate exit %d: %s" % (rc, (err or out)[-200:])}
    _cost(res, boot, cpu0)
    return res


def udpload(ns, boot, seconds, rate, length=64):
    st0 = ns.stats()
    cpu0 = boot.cpu_seconds()
    rc, out, err = _call(ns, [os.path.join(TOOLS, "udpload"), "-a",
                              GUEST_IP, "-p", "7", "-l", str(length),
                              "-t", str(seconds), "-r", str(rate)],
                         seconds + SLACK)
    try:
        res = json.loads(out.strip().split("\n")[-1])
    except (ValueError, IndexError):
        res = {"error": "udpload exit %d: %s" % (rc, (err or out)[-200:])}
    _cost(res, boot, cpu0, replies=res.get("received"))
    _tap(res, ns, st0)
    st = ns.stats()
    res["tap_tx_dropped"] = st["tx_dropped"] - st0["tx_dropped"]
    return res


def iperf3_udp(ns, boot, seconds, length=64):
    """iperf3 -u -b 0 -l 64: what the guest's iperf3 server received."""
    cpu0 = boot.cpu_seconds()
    rc, out, err = _call(ns, ["iperf3", "-c", GUEST_IP, "-u", "-b", "0",
                              "-l", str(length), "-t", str(seconds), "-J"],
                         seconds * 4 + SLACK)
    res = {}
    try:
        doc = json.loads(out)
        if "error" in doc:
            res["unsupported"] = doc["error"]
        else:
            s = doc["end"]["sum"]
            res["packets"] = s["packets"]
            res["lost_pct"] = round(s["lost_percent"], 2)
            res["received_per_s"] = round(
                (s["packets"] - s["lost_packets"]) / s["seconds"], 1)
    except (ValueError, KeyError, TypeError):
        res["unsupported"] = "iperf3 exit %d: %s" % (rc, (err or out)[-200:])
    _cost(res, boot, cpu0)
    return res
