/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp_defs.h: numbers shared by the AP trampoline (ap_boot.S) and smp.c.
 * Plain #defines only, so assembly can include it.
 */
#ifndef ARCH_X86_64_SMP_DEFS_H
#define ARCH_X86_64_SMP_DEFS_H

/* Page 8: free conventional memory, reserved from the page allocator. */
#define AP_TRAMPOLINE_BASE	0x8000
#define AP_TRAMPOLINE_PAGE	(AP_TRAMPOLINE_BASE >> 12)	/* SIPI vector */

#define AP_GDT_CODE32		0x08
#define AP_GDT_DATA		0x10
#define AP_GDT_CODE64		0x18

/* struct ap_tramp_data field offsets. */
#define AP_DATA_CR3		0
#define AP_DATA_STACK		8
#define AP_DATA_ENTRY		16
#define AP_DATA_ARG		24
#define AP_DATA_SIZE		32

#define AP_STACK_SIZE		(32 * 1024)

#endif /* ARCH_X86_64_SMP_DEFS_H */
