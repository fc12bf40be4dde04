/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * desc.h: per-CPU descriptor tables: a GDT with a 64-bit TSS, and the
 * interrupt stacks the TSS points at (double fault, NMI, machine check each
 * get their own, so a blown kernel stack still produces a dump).
 */
#ifndef ARCH_X86_64_DESC_H
#define ARCH_X86_64_DESC_H

#include <stdint.h>

#include "arch/x86_64/trap_defs.h"

#define GDT_NULL	0
#define GDT_KCODE	1
#define GDT_KDATA	2
#define GDT_TSS		3	/* a 16-byte descriptor: two slots */
#define GDT_NENTRIES	5
#define SEL_KCODE	(GDT_KCODE << 3)
#define SEL_KDATA	(GDT_KDATA << 3)
#define SEL_TSS		(GDT_TSS << 3)

/* SDM 8.7, figure 8-11: the 64-bit TSS. */
struct tss64 {
	uint32_t	tss_reserved0;
	uint64_t	tss_rsp[3];
	uint64_t	tss_reserved1;
	uint64_t	tss_ist[7];
	uint64_t	tss_reserved2;
	uint16_t	tss_reserved3;
	uint16_t	tss_iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout (SDM figure 8-11)");

struct cpu_desc {
	uint64_t	cd_gdt[GDT_NENTRIES] __attribute__((aligned(16)));
	struct tss64	cd_tss __attribute__((aligned(16)));
	uint8_t		cd_ist[IST_COUNT][IST_STACK_SIZE]
			    __attribute__((aligned(16)));
};

void	desc_init_cpu(struct cpu_desc *cd);

#endif /* ARCH_X86_64_DESC_H */
