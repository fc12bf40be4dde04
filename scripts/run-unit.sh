#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run-unit.sh BIN...: run each host unit-test binary, print its output, and
# finish with one summary line "unit: N passed, M failed" counting binaries.
# Exits non-zero if any failed.  ThreadSanitizer binaries need ASLR limited
# on some kernels, so they run under setarch -R when that exists.
set -u
pass=0
fail=0
for t in "$@"; do
	echo "== $t"
	case "$t" in
	*/tsan/*) cmd=(setarch "$(uname -m)" -R "$t") ;;
	*) cmd=("$t") ;;
	esac
	if CK_FORK=yes "${cmd[@]}"; then
		pass=$((pass + 1))
	else
		echo "unit: FAILED $t" >&2
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
