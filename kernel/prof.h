/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prof.h: where the guest's cycles go, per stage of the data path.
 *
 * Code brackets a stage with prof_enter(stage) ... prof_leave(); the
 * cycles between are charged to the innermost open stage only, so a
 * transmit inside the stack's input counts as tx-driver, not twice.
 * Busy cycles outside every stage (the loop itself, interrupt entry, the
 * shell) are "other".  Off by default: `prof on` starts a window on every
 * CPU, `prof` prints it (kernel/prof.c).  While off, a bracket costs a
 * per-CPU load and a branch; while on, one TSC read and a few stores.
 *
 * Locking: each CPU touches only its own struct prof_cpu; the shell reads
 * other CPUs' counters racily (relaxed loads) and starts or stops a CPU's
 * window on that CPU (smp_call_sync).
 */
#ifndef KERNEL_PROF_H
#define KERNEL_PROF_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"
#include "kernel/percpu.h"

enum prof_stage {
	PROF_RX_DRIVER,		/* rx poll: ring, buffers, validation */
	PROF_STACK,		/* netisr, ether, lwIP input and output */
	PROF_TX_DRIVER,		/* transmit: slot, descriptors, doorbell */
	PROF_TX_DONE,		/* completions: the stack's free callbacks */
	PROF_TIMERS,		/* callouts: lwIP timers, watchdogs */
	PROF_NSTAGES
};

#define PROF_DEPTH	6	/* nested stages tracked; deeper: skipped */

struct prof_cpu {
	bool		pr_on;
	uint8_t		pr_depth;
	uint8_t		pr_skipped;	/* enters past PROF_DEPTH, unmatched */
	uint8_t		pr_stack[PROF_DEPTH];
	uint64_t	pr_last;	/* TSC at the last enter or leave */
	uint64_t	pr_cycles[PROF_NSTAGES];
	uint64_t	pr_calls[PROF_NSTAGES];
	uint64_t	pr_rx_frames, pr_rx_bytes;
	uint64_t	pr_tx_frames, pr_tx_bytes;
	uint64_t	pr_unbalanced;	/* leaves with no open stage */
	uint64_t	pr_start_tsc, pr_start_idle;
	uint64_t	pr_stop_tsc, pr_stop_idle;
} __attribute__((aligned(CACHE_LINE)));

extern struct prof_cpu prof_cpus[MAXCPU];

void	prof_enter_on(struct prof_cpu *p, enum prof_stage s);
void	prof_leave_on(struct prof_cpu *p);

static inline struct prof_cpu *
prof_self(void)
{
	return &prof_cpus[curcpu()->pc_id];
}

static inline void
prof_enter(enum prof_stage s)
{
	struct prof_cpu *p = prof_self();

	if (__builtin_expect(p->pr_on, 0))
		prof_enter_on(p, s);
}

static inline void
prof_leave(void)
{
	struct prof_cpu *p = prof_self();

	if (__builtin_expect(p->pr_on, 0))
		prof_leave_on(p);
}

/* Frames (virtqueue operations) and their bytes, counted by drivers. */
static inline void
prof_rx(uint64_t frames, uint64_t bytes)
{
	struct prof_cpu *p = prof_self();

	if (__builtin_expect(p->pr_on, 0)) {
		p->pr_rx_frames += frames;
		p->pr_rx_bytes += bytes;
	}
}

static inline void
prof_tx(uint64_t frames, uint64_t bytes)
{
	struct prof_cpu *p = prof_self();

	if (__builtin_expect(p->pr_on, 0)) {
		p->pr_tx_frames += frames;
		p->pr_tx_bytes += bytes;
	}
}

#endif /* KERNEL_PROF_H */
