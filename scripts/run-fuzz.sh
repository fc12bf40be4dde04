#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run-fuzz.sh SECONDS BUILDDIR NAME...: run each libFuzzer target in
# BUILDDIR/fuzz/ for SECONDS over its committed corpus tests/fuzz/corpus/NAME
# (seeds and regression inputs), all targets at once.  New inputs go to a
# scratch corpus in BUILDDIR, so the tree is never changed; a crash leaves
# its input in BUILDDIR/fuzz/NAME-artifacts/ to be fixed and then committed
# to the corpus.  Prints "fuzz: N passed, M failed" counting targets.
# FUZZ_SEED, if set, fixes libFuzzer's seed: `make test` uses one, so a
# CI run replays the same mutations (a new crash is found by `make fuzz`,
# fixed, and then kept in the corpus, not discovered at random in CI).
set -u
secs=$1
bdir=$2
shift 2
pids=()
names=()
for n in "$@"; do
	seed="tests/fuzz/corpus/$n"
	work="$bdir/fuzz/$n-work"
	art="$bdir/fuzz/$n-artifacts"
	rm -rf "$work"
	mkdir -p "$work" "$art" "$seed"
	echo "== fuzz $n for ${secs}s (corpus $seed: $(ls "$seed" | wc -l) inputs)"
	"$bdir/fuzz/$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
	    -print_final_stats=1 -artifact_prefix="$art/" \
	    "$work" "$seed" >"$bdir/fuzz/$n.log" 2>&1 &
	pids+=($!)
	names+=("$n")
done
pass=0
fail=0
for i in "${!pids[@]}"; do
	n=${names[$i]}
	if wait "${pids[$i]}"; then
		pass=$((pass + 1))
		grep -E '^stat::number_of_executed_units|^Done ' "$bdir/fuzz/$n.log" |
		    sed "s/^/fuzz $n: /"
	else
		fail=$((fail + 1))
		echo "fuzz: FAILED $n (log: $bdir/fuzz/$n.log)" >&2
		tail -40 "$bdir/fuzz/$n.log" >&2
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
