/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp.c: start the application processors.
 *
 * For every enabled CPU in the MADT other than the BSP, in table order:
 * give it a per-CPU block, descriptor tables and a stack, fill the
 * trampoline's data slot, and send INIT, wait 10 ms, STARTUP, wait 200 us,
 * and a second STARTUP if it has not yet started: the sequence of Intel
 * SDM Vol. 3A 8.4.4.1 ("Typical BSP Initialization Sequence").  STARTUP is
 * sent twice because the first may be lost on some older processors; an AP
 * already running ignores the second.  CPUs start one at a time, since
 * they share the trampoline.
 *
 * An AP that does not come online within AP_ONLINE_TIMEOUT_US is reported,
 * sent INIT again so it cannot wake up later on a trampoline slot that now
 * belongs to another CPU, and skipped; the system runs on the CPUs it has.
 *
 * Locking: runs on the BSP only, before the other CPUs do anything but
 * their own bring-up.  The AP signals readiness through pc_online.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/madt.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/smp_defs.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"

#define INIT_DELAY_US		10000	/* SDM 8.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US		200	/* SDM 8.4.4.1: 200 us after SIPI */
#define AP_ONLINE_TIMEOUT_US	2000000	/* generous: TCG may be slow */
#define AP_POLL_US		10
#define FOUR_GIB		(4ull << 30)

struct ap_tramp_data {
	uint64_t	atd_cr3;
	uint64_t	atd_stack;
	uint64_t	atd_entry;
	uint64_t	atd_arg;
};
_Static_assert(sizeof(struct ap_tramp_data) == AP_DATA_SIZE,
    "trampoline data slot (smp_defs.h)");

extern const char ap_tramp_start[], ap_tramp_end[], ap_tramp_data[];

static void ap_entry(struct percpu *pc) __attribute__((noreturn));

static void
ap_entry(struct percpu *pc)
{
	percpu_activate(pc);
	desc_init_cpu(pc->pc_desc);
	lapic_init();
	lapic_timer_start(CALLOUT_HZ);
	printk("cpu %u: online (apic id %u)\n", pc->pc_id, lapic_id());
	percpu_set_online(pc);
	coreloop_run();
}

static bool
wait_online(struct percpu *pc, uint64_t us)
{
	uint64_t waited;

	for (waited = 0; waited < us; waited += AP_POLL_US) {
		if (__atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE))
			return true;
		udelay(AP_POLL_US);
	}
	return __atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE);
}

static int
start_ap(uint32_t apic_id)
{
	volatile struct ap_tramp_data *slot = (volatile struct ap_tramp_data *)
	    (uintptr_t)(AP_TRAMPOLINE_BASE + (ap_tramp_data - ap_tramp_start));
	struct percpu *pc;
	void *stack;

	pc = percpu_alloc(apic_id);
	stack = kmem_alloc(AP_STACK_SIZE);
	if (pc == NULL || stack == NULL) {
		printk("smp: no memory for apic id %u; skipped\n", apic_id);
		kmem_free(stack);
		return -1;
	}
	pc->pc_stack_top = (uint64_t)(uintptr_t)stack + AP_STACK_SIZE;
	slot->atd_cr3 = read_cr3();
	slot->atd_stack = pc->pc_stack_top;
	slot->atd_entry = (uint64_t)(uintptr_t)ap_entry;
	slot->atd_arg = (uint64_t)(uintptr_t)pc;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	lapic_send_init(apic_id);
	udelay(INIT_DELAY_US);
	lapic_send_sipi(apic_id, AP_TRAMPOLINE_PAGE);
	udelay(SIPI_DELAY_US);
	if (!__atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE)) {
		lapic_send_sipi(apic_id, AP_TRAMPOLINE_PAGE);
		udelay(SIPI_DELAY_US);
	}
	if (!wait_online(pc, AP_ONLINE_TIMEOUT_US)) {
		lapic_send_init(apic_id);	/* park it for good */
		printk("smp: cpu %u (apic id %u) did not start; skipped\n",
		    pc->pc_id, apic_id);
		percpu_release_last(pc);
		return -1;
	}
	return 0;
}

/* Starts every AP the MADT lists; returns the number of CPUs online. */
uint32_t
smp_start_aps(void)
{
	uint32_t bsp = curcpu()->pc_apic_id, i;

	if (!lapic_present() || platform.pi_ncpus <= 1)
		return ncpus_online();
	if (read_cr3() >= FOUR_GIB) {
		printk("smp: page tables above 4 GiB; APs not started\n");
		return ncpus_online();
	}
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE_BASE, ap_tramp_start,
	    (size_t)(ap_tramp_end - ap_tramp_start));
	for (i = 0; i < platform.pi_ncpus; i++) {
		if (platform.pi_apic_ids[i] == bsp)
			continue;
		if (ncpus_online() == MAXCPU) {
			printk("smp: %u CPUs listed, using the first %d\n",
			    platform.pi_ncpus, MAXCPU);
			break;
		}
		start_ap(platform.pi_apic_ids[i]);
	}
	return ncpus_online();
}
