/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp.c: start the application processors, all at once.
 *
 * Every enabled CPU in the MADT other than the BSP gets, first, its
 * per-CPU block, descriptor tables and stack, and an entry in
 * smp_ap_table (APIC id, stack, argument) that the trampoline looks itself
 * up in (ap_boot.S).  Then every AP is sent INIT, after the INIT delay
 * every AP a STARTUP, after the STARTUP delay every AP not yet online a
 * second STARTUP, and the BSP waits for them together: the sequence of
 * Intel SDM Vol. 3A 8.4.4.1 ("Typical BSP Initialization Sequence"),
 * with the per-CPU steps done for all CPUs at once, as Linux does since
 * 6.5 (arch/x86/kernel/smpboot.c, parallel bring-up).
 *
 * The delays are what the processor needs (Linux's smp_quirk_init_udelay
 * and wakeup_secondary_cpu_via_init):
 *  - the SDM's 10 ms after INIT is for old processors; Linux skips it on
 *    Intel family 6 and later and AMD and Hygon family 0xf and later, and
 *    we also skip it on any CPU under a hypervisor (CPUID.1:ECX[31]),
 *    whose virtual APs have no reset to settle;
 *  - STARTUP is sent twice because the first may be lost on some older
 *    processors (the SDM's 200 us between them; 10 us on the CPUs above).
 *    A second STARTUP to an AP already running is ignored, and an AP that
 *    runs the trampoline twice finds the same entry again.
 *
 * smp_start_aps() returns once the STARTUPs are sent; smp_wait_aps() then
 * waits, halted between checks: every AP sends the BSP a wake-up IPI once
 * online.  An AP that is not online within AP_ONLINE_TIMEOUT_US is
 * reported, sent INIT again to park it for good, and skipped; the system
 * runs on the CPUs it has (its per-CPU block stays, offline, unless it was
 * the last one).  The `cpu N: online` lines are printed by the BSP once
 * all are up, in CPU order.
 *
 * Locking: runs on the BSP only, before the other CPUs do anything but
 * their own bring-up (and the one IPI each sends back).  The trampoline's
 * slot and smp_ap_table are written before the first INIT and only read
 * afterwards; an AP signals readiness through pc_online.
 */
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/madt.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/smp_defs.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/vectors.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"

#define INIT_DELAY_US		10000	/* SDM 8.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US		200	/* SDM 8.4.4.1: 200 us after SIPI */
#define MODERN_SIPI_DELAY_US	10	/* Linux, init_udelay == 0 */
#define AP_ONLINE_TIMEOUT_US	2000000	/* generous: TCG may be slow */
#define FOUR_GIB		(4ull << 30)
#define US_PER_S		1000000u

/* CPUID 0 vendors and CPUID 1 family (SDM Vol. 2A, CPUID). */
#define FAMILY_SHIFT		8
#define FAMILY_MASK		0xf
#define EXT_FAMILY_SHIFT	20
#define EXT_FAMILY_MASK		0xff
#define FAMILY_INTEL_MODERN	0x6
#define FAMILY_AMD_MODERN	0xf

struct ap_tramp_data {
	uint64_t	atd_cr3;
	uint64_t	atd_table;	/* struct ap_start * */
	uint64_t	atd_entry;
	uint32_t	atd_count;
	uint32_t	atd_pad;
};
_Static_assert(sizeof(struct ap_tramp_data) == AP_DATA_SIZE,
    "trampoline data slot (smp_defs.h)");
_Static_assert(offsetof(struct ap_tramp_data, atd_table) == AP_DATA_TABLE &&
    offsetof(struct ap_tramp_data, atd_entry) == AP_DATA_ENTRY &&
    offsetof(struct ap_tramp_data, atd_count) == AP_DATA_COUNT,
    "trampoline data slot (smp_defs.h)");

/* What the AP with as_apic_id takes (ap_boot.S). */
struct ap_start {
	uint32_t	as_apic_id;
	uint32_t	as_pad;
	uint64_t	as_stack;
	uint64_t	as_arg;		/* its struct percpu * */
};
_Static_assert(sizeof(struct ap_start) == AP_START_SIZE &&
    offsetof(struct ap_start, as_stack) == AP_START_STACK &&
    offsetof(struct ap_start, as_arg) == AP_START_ARG,
    "AP table entry (smp_defs.h)");

static struct ap_start smp_ap_table[MAXCPU];
static struct percpu *smp_ap_pc[MAXCPU];
static uint32_t smp_nap;		/* entries in both */
static uint32_t smp_bsp_apic;		/* whom an AP wakes when online */

extern const char ap_tramp_start[], ap_tramp_end[], ap_tramp_data[];

static void ap_entry(struct percpu *pc) __attribute__((noreturn));

static void
ap_entry(struct percpu *pc)
{
	percpu_activate(pc);
	desc_init_cpu(pc->pc_desc);
	lapic_init();
	lapic_timer_start(CALLOUT_HZ);
	percpu_set_online(pc);
	lapic_send_ipi(smp_bsp_apic, VEC_IPI_WAKE);	/* smp_wait_aps() */
	coreloop_run();
}

/*
 * True when the processor needs neither the INIT delay nor the long
 * STARTUP delay: Intel family 6 and up, AMD and Hygon 0xf and up (Linux's
 * smp_quirk_init_udelay), or any CPU under a hypervisor.
 */
static bool
smp_modern_cpu(void)
{
	uint32_t a, b, c, d, family;
	char vendor[12];

	cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	if (c & CPUID_ECX_HYPERVISOR)
		return true;
	family = (a >> FAMILY_SHIFT) & FAMILY_MASK;
	if (family == FAMILY_MASK)
		family += (a >> EXT_FAMILY_SHIFT) & EXT_FAMILY_MASK;
	if (memcmp(vendor, "GenuineIntel", 12) == 0)
		return family >= FAMILY_INTEL_MODERN;
	if (memcmp(vendor, "AuthenticAMD", 12) == 0 ||
	    memcmp(vendor, "HygonGenuine", 12) == 0)
		return family >= FAMILY_AMD_MODERN;
	return false;
}

/* Per-CPU block, stack and table entry n for apic_id.  NULL: no memory. */
static struct percpu *
smp_prepare_ap(uint32_t n, uint32_t apic_id)
{
	struct percpu *pc;
	void *stack;

	pc = percpu_alloc(apic_id);
	stack = kmem_alloc(AP_STACK_SIZE);
	if (pc == NULL || stack == NULL) {
		printk("smp: no memory for apic id %u; skipped\n", apic_id);
		kmem_free(stack);
		if (pc != NULL)
			percpu_release_last(pc);
		return NULL;
	}
	pc->pc_stack_top = (uint64_t)(uintptr_t)stack + AP_STACK_SIZE;
	smp_ap_table[n].as_apic_id = apic_id;
	smp_ap_table[n].as_stack = pc->pc_stack_top;
	smp_ap_table[n].as_arg = (uint64_t)(uintptr_t)pc;
	return pc;
}

static bool
smp_is_online(const struct percpu *pc)
{
	return __atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE);
}

/*
 * Waits until all n are online or us pass; returns how many are.  The BSP
 * halts in between: each AP sends it a wake-up IPI once online, and the
 * timer ticks meanwhile; under TCG a halted vCPU leaves its host core to
 * the APs.  Entered with interrupts off (kmain), left with them off.
 */
static uint32_t
smp_wait_online(uint32_t n, uint64_t us)
{
	uint64_t until = rdtsc() + us * (tsc_hz() / US_PER_S);
	uint32_t i, up;

	for (;;) {
		for (i = 0, up = 0; i < n; i++)
			up += smp_is_online(smp_ap_pc[i]);
		if (up == n || rdtsc() >= until)
			break;
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	return up;
}

/* INIT to all, STARTUP to all, STARTUP to those not running yet. */
static void
smp_kick(uint32_t n)
{
	bool modern = smp_modern_cpu();
	uint64_t sipi_us = modern ? MODERN_SIPI_DELAY_US : SIPI_DELAY_US;
	uint32_t i;

	for (i = 0; i < n; i++)
		lapic_send_init(smp_ap_table[i].as_apic_id);
	if (!modern)
		udelay(INIT_DELAY_US);
	for (i = 0; i < n; i++)
		lapic_send_sipi(smp_ap_table[i].as_apic_id, AP_TRAMPOLINE_PAGE);
	udelay(sipi_us);
	for (i = 0; i < n; i++)
		if (!smp_is_online(smp_ap_pc[i]))
			lapic_send_sipi(smp_ap_table[i].as_apic_id,
			    AP_TRAMPOLINE_PAGE);
	udelay(sipi_us);
}

/*
 * Starts every AP the MADT lists and returns at once; smp_wait_aps()
 * waits for them.  The BSP may do work of its own in between that needs
 * no other CPU and touches no device: enumerating PCI there (BAR sizing
 * switches decoding off and on) made QEMU 7.2 TCG abort in
 * msix_table_mmio_write() in 2 of 8 boots at -smp 4, never otherwise.
 */
void
smp_start_aps(void)
{
	volatile struct ap_tramp_data *slot = (volatile struct ap_tramp_data *)
	    (uintptr_t)(AP_TRAMPOLINE_BASE + (ap_tramp_data - ap_tramp_start));
	uint32_t i, n = 0;
	struct percpu *pc;

	smp_bsp_apic = curcpu()->pc_apic_id;
	if (!lapic_present() || platform.pi_ncpus <= 1)
		return;
	if (read_cr3() >= FOUR_GIB) {
		printk("smp: page tables above 4 GiB; APs not started\n");
		return;
	}
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE_BASE, ap_tramp_start,
	    (size_t)(ap_tramp_end - ap_tramp_start));
	for (i = 0; i < platform.pi_ncpus; i++) {
		if (platform.pi_apic_ids[i] == smp_bsp_apic)
			continue;
		if (ncpus_started() == MAXCPU) {
			printk("smp: %u CPUs listed, using the first %d\n",
			    platform.pi_ncpus, MAXCPU);
			break;
		}
		if ((pc = smp_prepare_ap(n, platform.pi_apic_ids[i])) != NULL)
			smp_ap_pc[n++] = pc;
	}
	if (n == 0)
		return;
	slot->atd_cr3 = read_cr3();
	slot->atd_table = (uint64_t)(uintptr_t)smp_ap_table;
	slot->atd_entry = (uint64_t)(uintptr_t)ap_entry;
	slot->atd_count = n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	smp_nap = n;
	smp_kick(n);
}

/*
 * Waits for the APs smp_start_aps() started, prints their online lines in
 * CPU order, parks the ones that did not come; returns the CPUs online.
 */
uint32_t
smp_wait_aps(void)
{
	uint32_t i, n = smp_nap;
	struct percpu *pc;

	if (n == 0)
		return ncpus_online();
	smp_wait_online(n, AP_ONLINE_TIMEOUT_US);
	for (i = 0; i < n; i++) {
		pc = smp_ap_pc[i];
		if (smp_is_online(pc)) {
			printk("cpu %u: online (apic id %u)\n", pc->pc_id,
			    pc->pc_apic_id);
			continue;
		}
		lapic_send_init(pc->pc_apic_id);	/* park it for good */
		printk("smp: cpu %u (apic id %u) did not start; skipped\n",
		    pc->pc_id, pc->pc_apic_id);
	}
	for (i = n; i-- > 0 && !smp_is_online(smp_ap_pc[i]);)
		percpu_release_last(smp_ap_pc[i]);
	return ncpus_online();
}
