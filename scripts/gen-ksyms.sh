#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# gen-ksyms.sh NMFILE: turn `nm -n --defined-only` output into an assembly
# file defining the kernel symbol table used by backtraces (kernel/ksyms.c):
#   ksyms_count             number of entries
#   ksyms_addrs[count]      function start addresses, ascending
#   ksyms_name_offs[count]  offsets of the NUL-terminated names in ksyms_names
# Only text symbols (nm types t and T) are kept.  /dev/null gives an empty
# table, for the first link pass.
set -euo pipefail
awk 'BEGIN { n = 0 }
$2 ~ /^[tT]$/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addrs, ksyms_name_offs, ksyms_names"
	print "ksyms_count:\n\t.quad " n
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksyms_name_offs:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
	print "\t.balign 8"
	print "\t.section .note.GNU-stack, \"\", @progbits"
}' "$1"
