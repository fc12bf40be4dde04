/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * percpu.c: the table of per-CPU blocks.
 *
 * percpu_alloc() hands out the next dense CPU number for an APIC id; the
 * BSP's block and descriptor tables are static so they exist before the
 * allocators do.  An AP's cpu_desc (GDT, TSS, IST stacks) comes from kmem.
 *
 * Locking: percpu_alloc() runs only on the BSP during bring-up, one AP at
 * a time.  percpu_count is published with a release store after a block is
 * filled in; readers use an acquire load.
 */
#include <stddef.h>

#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"

static struct percpu percpu_table[MAXCPU];
static struct cpu_desc bsp_desc;
static uint32_t percpu_count;
static uint32_t percpu_online;

/* Sets this CPU's GS base to its block. */
void
percpu_activate(struct percpu *pc)
{
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
}

void
percpu_init_bsp(void)
{
	struct percpu *pc = &percpu_table[0];
	uint32_t a, b, c, d;

	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	pc->pc_self = pc;
	pc->pc_id = 0;
	pc->pc_apic_id = b >> 24;	/* initial APIC id, CPUID.1:EBX[31:24] */
	pc->pc_desc = &bsp_desc;
	pc->pc_start_tsc = rdtsc();
	workq_init(&pc->pc_workq);
	callout_list_init(&pc->pc_callouts);
	__atomic_store_n(&percpu_count, 1, __ATOMIC_RELEASE);
	percpu_activate(pc);
}

/* Next CPU block for an AP, with its descriptor tables; NULL if none. */
struct percpu *
percpu_alloc(uint32_t apic_id)
{
	uint32_t id = percpu_count;
	struct percpu *pc;

	if (id >= MAXCPU)
		return NULL;
	pc = &percpu_table[id];
	pc->pc_desc = kmem_zalloc(sizeof(*pc->pc_desc));
	if (pc->pc_desc == NULL)
		return NULL;
	pc->pc_self = pc;
	pc->pc_id = id;
	pc->pc_apic_id = apic_id;
	workq_init(&pc->pc_workq);
	callout_list_init(&pc->pc_callouts);
	__atomic_store_n(&percpu_count, id + 1, __ATOMIC_RELEASE);
	return pc;
}

struct percpu *
percpu_get(uint32_t id)
{
	if (id >= __atomic_load_n(&percpu_count, __ATOMIC_ACQUIRE))
		return NULL;
	return &percpu_table[id];
}

void
percpu_set_online(struct percpu *pc)
{
	pc->pc_start_tsc = rdtsc();
	/*
	 * Count first: the BSP returns from smp_start_aps() with
	 * ncpus_online() as soon as it sees pc_online, and an AP held up
	 * between the two stores (a busy host under TCG) made READY say
	 * cpus=1 with cpu 1 online.
	 */
	__atomic_fetch_add(&percpu_online, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&pc->pc_online, true, __ATOMIC_RELEASE);
}

uint32_t
ncpus_online(void)
{
	return __atomic_load_n(&percpu_online, __ATOMIC_ACQUIRE);
}

/*
 * TSC cycles since each online CPU came up, summed, and how many of them
 * were not spent halted (pc_idle_cycles).  A CPU halted right now has its
 * current idle stretch counted when it wakes (a tick at the latest), so
 * the difference of two calls seconds apart is the busy share to within a
 * tick per CPU.  Any CPU, any context; the counters are read relaxed.
 */
void
percpu_busy_cycles(uint64_t *busy, uint64_t *total)
{
	uint64_t now = rdtsc(), t = 0, idle = 0;
	struct percpu *pc;
	uint32_t i;

	for (i = 0; (pc = percpu_get(i)) != NULL; i++) {
		if (!__atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE))
			continue;
		t += now - pc->pc_start_tsc;
		idle += __atomic_load_n(&pc->pc_idle_cycles, __ATOMIC_RELAXED);
	}
	*total = t;
	*busy = t > idle ? t - idle : 0;
}

/* The owner id recorded by debug spinlocks (kernel/spinlock.h). */
uint32_t
spinlock_cpu_self(void)
{
	return curcpu()->pc_id;
}

/*
 * Gives back the newest block after its AP failed to start, so CPU
 * numbers stay dense.  Its descriptor tables are not freed: the parked AP
 * may have touched them.
 */
void
percpu_release_last(struct percpu *pc)
{
	if (pc->pc_id + 1 != percpu_count)
		return;
	pc->pc_self = NULL;
	pc->pc_desc = NULL;
	__atomic_store_n(&percpu_count, pc->pc_id, __ATOMIC_RELEASE);
}

/* CPU blocks handed out (online or starting). */
uint32_t
ncpus_started(void)
{
	return __atomic_load_n(&percpu_count, __ATOMIC_ACQUIRE);
}
