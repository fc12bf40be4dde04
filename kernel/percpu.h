/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * percpu.h: the per-CPU block, reached through the GS base.
 *
 * Each CPU's GS base holds the address of its struct percpu, whose first
 * field points at itself, so curcpu() is one load: mov %gs:0.  Until
 * percpu_init_bsp() runs, GS base is 0; cpu_id_safe() copes with that for
 * the panic path.  CPUs are numbered densely from 0 (the BSP) in the order
 * they were started; percpu_get(n) finds any of them.
 *
 * Locking: a CPU's counters are written only by that CPU (from its loop or
 * its interrupt handlers, which never nest with each other for the same
 * counter) and read racily by others for display.  pc_workq is lock-free
 * (kernel/workq.h).  pc_idle and pc_pending are atomics shared with the
 * CPUs that queue work here.  Identity fields are written before the CPU
 * starts and read-only afterwards.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"
#include "kernel/callout.h"
#include "kernel/workq.h"

#define MAXCPU		16
#define CACHE_LINE	64

/*
 * pc_pending bits: event sources an interrupt handler marked ready.  Bit 0
 * is the console; the others belong to pollers registered with
 * coreloop_add_poller() (driver queues).
 */
#define PENDING_CONSOLE		(1u << 0)
#define PENDING_FIRST_POLLER	1
#define PENDING_BITS		32

typedef bool coreloop_poll_fn(void *arg);

struct coreloop_poller {
	coreloop_poll_fn	*cp_fn;
	void			*cp_arg;
};

struct percpu {
	struct percpu	*pc_self;	/* must stay first: curcpu() reads it */
	uint32_t	pc_id;		/* dense CPU number, BSP = 0 */
	uint32_t	pc_apic_id;
	struct cpu_desc	*pc_desc;
	uint64_t	pc_stack_top;
	bool		pc_online;

	/* Shared with other CPUs. */
	struct workq	pc_workq __attribute__((aligned(CACHE_LINE)));
	uint32_t	pc_idle;	/* 1 while halted or about to halt */
	uint32_t	pc_pending;	/* PENDING_* */

	/* Written by this CPU only. */
	uint64_t	pc_loops __attribute__((aligned(CACHE_LINE)));
	uint64_t	pc_work;
	uint64_t	pc_ipis;
	uint64_t	pc_intrs;
	uint64_t	pc_ticks;
	uint64_t	pc_idle_cycles;
	uint64_t	pc_start_tsc;
	struct callout_list pc_callouts;
	uint32_t	pc_poll_depth;	/* coreloop_poll_once nesting */
	uint32_t	pc_poller_depth; /* pollers running: 0 or 1 */
	uint32_t	pc_poller_bit;	/* the running poller's bit */

	struct coreloop_poller pc_pollers[PENDING_BITS];

	/* smp ipitest mailbox. */
	uint32_t	pc_ping_from;
	uint32_t	pc_pong;
} __attribute__((aligned(CACHE_LINE)));

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
void	percpu_activate(struct percpu *pc);
struct percpu *percpu_get(uint32_t id);
struct percpu *percpu_alloc(uint32_t apic_id);
uint32_t ncpus_online(void);
void	percpu_busy_cycles(uint64_t *busy, uint64_t *total);
void	percpu_set_online(struct percpu *pc);
void	percpu_release_last(struct percpu *pc);
uint32_t ncpus_started(void);

#endif /* KERNEL_PERCPU_H */
