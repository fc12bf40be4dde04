/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * percpu.h: the per-CPU block, reached through the GS base.
 *
 * Each CPU's GS base holds the address of its struct percpu, whose first
 * field points at itself, so curcpu() is one load: mov %gs:0.  Until
 * percpu_init_bsp() runs, GS base is 0; cpu_id_safe() copes with that for
 * the panic path.
 *
 * Locking: a CPU's block is written only by that CPU (counters) or before
 * the CPU starts (identity); other CPUs may read it racily for display.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"

#define MAXCPU	16

struct percpu {
	struct percpu	*pc_self;	/* must stay first: curcpu() reads it */
	uint32_t	pc_id;		/* dense CPU number, BSP = 0 */
	uint32_t	pc_apic_id;
	struct cpu_desc	*pc_desc;
};

static inline struct percpu *
curcpu(void)
{
	struct percpu *pc;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(pc));
	return pc;
}

static inline uint32_t
cpu_id_safe(void)
{
	if (rdmsr(MSR_GS_BASE) == 0)
		return 0;
	return curcpu()->pc_id;
}

void	percpu_init_bsp(void);

#endif /* KERNEL_PERCPU_H */
