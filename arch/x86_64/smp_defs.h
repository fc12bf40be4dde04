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

/* struct ap_tramp_data field offsets (smp.c). */
#define AP_DATA_CR3		0
#define AP_DATA_TABLE		8	/* struct ap_start[], one per AP */
#define AP_DATA_ENTRY		16
#define AP_DATA_COUNT		24	/* entries in the table */
#define AP_DATA_SIZE		32

/* struct ap_start field offsets: what the AP with that APIC id takes. */
#define AP_START_APIC		0
#define AP_START_STACK		8
#define AP_START_ARG		16
#define AP_START_SIZE		24

/* CPUID leaves the trampoline asks for its APIC id (SDM Vol. 2A). */
#define AP_CPUID_FEATURES	0x1	/* EBX[31:24]: initial APIC id */
#define AP_CPUID_TOPOLOGY	0xb	/* EDX: x2APIC id; EBX[15:0] 0: none */
#define AP_APIC_ID_SHIFT	24

#define AP_STACK_SIZE		(32 * 1024)

#endif /* ARCH_X86_64_SMP_DEFS_H */
