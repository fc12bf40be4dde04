#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bench-unit.sh: build the host micro-benchmarks natively (-O2, the same
# sources as the kernel), run each with --json, merge the results into
# bench/results/unit.json with the machine and date, and print a markdown
# table for the README.  Numbers are TSC cycles, best of several runs.
# Benchmarks are not tests: nothing here fails on a slow number.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/bench"
res="$top/bench/results/unit.json"
mkdir -p "$out" "$(dirname "$res")"
cc=${HOSTCC:-gcc}
flags=(-std=gnu11 -O2 -Wall -Wextra -Werror -I"$top" -pthread)

"$cc" "${flags[@]}" "$top/bench/bench_toeplitz.c" \
    "$top/net/netisr/toeplitz.c" -o "$out/bench_toeplitz"
jsons=("$("$out/bench_toeplitz" --json)")

if [ -f "$top/bench/bench_netisr.c" ]; then
	"$cc" "${flags[@]}" "$top/bench/bench_netisr.c" \
	    "$top/tests/unit/netisr_host.c" "$top/net/netisr/netisr.c" \
	    "$top/net/netisr/netisr_ctl.c" "$top/net/netisr/netisr_worker.c" \
	    "$top/net/netisr/netmsg.c" "$top/net/netisr/rss.c" \
	    "$top/kernel/printf.c" -o "$out/bench_netisr"
	jsons+=("$("$out/bench_netisr" --json)")
fi

/usr/bin/python3 - "$res" "${jsons[@]}" <<'PY'
import json, platform, sys, time
res, parts = sys.argv[1], sys.argv[2:]
merged = {}
for p in parts:
    merged.update(json.loads(p.strip().splitlines()[-1]))
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
doc = {"date": time.strftime("%Y-%m-%d"), "host_cpu": cpu,
       "machine": platform.machine(), "unit": "TSC cycles", "results": merged}
with open(res, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
    f.write("\n")
targets = {"netisr_direct_cycles": 40, "toeplitz_fast_ipv4_4tuple_cycles": 60,
           "netisr_deferred_remote_cycles": 250}
print("| benchmark | cycles | target |")
print("|---|---:|---:|")
for k in sorted(merged):
    t = targets.get(k)
    print("| %s | %s | %s |" % (k, merged[k], "< %d" % t if t else "-"))
print("\n(%s, %s; written to %s)" % (cpu, doc["date"], res))
PY
