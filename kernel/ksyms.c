/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksyms.c: look up the function containing an address in the symbol table
 * that the build embeds (scripts/gen-ksyms.sh, second link pass).
 *
 * The table is sorted by address; a binary search finds the last symbol at
 * or below the address.  Addresses outside the kernel's text get NULL.
 *
 * Locking: none; the table is read-only data.
 */
#include <stddef.h>

#include "kernel/ksyms.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offs[];
extern const char ksyms_names[];
extern char __kernel_start[], __text_end[];

const char *
ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count, mid;

	if (addr < (uint64_t)(uintptr_t)__kernel_start ||
	    addr >= (uint64_t)(uintptr_t)__text_end || ksyms_count == 0 ||
	    addr < ksyms_addrs[0])
		return NULL;
	/* Invariant: ksyms_addrs[lo] <= addr, and addr < ksyms_addrs[hi]. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addrs[lo];
	return &ksyms_names[ksyms_name_offs[lo]];
}
