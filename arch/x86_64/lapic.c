/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lapic.c: the local APIC of every CPU: enable, EOI, IPIs, and the timer.
 *
 * x2APIC mode (MSRs, SDM 10.12) is used when CPUID offers it, on every
 * CPU alike; otherwise xAPIC mode (MMIO at the IA32_APIC_BASE address,
 * mapped uncached).  lapic_init() runs on each CPU for itself: it
 * software-enables the APIC with the spurious vector (SDM 10.9), routes
 * APIC errors to VEC_LAPIC_ERROR, masks LINT0 (the 8259s are masked and
 * unused) and sets the task priority to 0.
 *
 * The timer's rate comes from arch/x86_64/clock.c (CPUID or the
 * hypervisor's timing leaf, else counted with lapic_timer_count_start()
 * and lapic_timer_count() over a measured window), then every CPU runs it
 * periodic at the requested rate with divide-by-16 (SDM 10.5.4).
 *
 * Locking: the APIC registers are per CPU; no lock.  lapic_tick_hz is
 * written on the BSP before any AP starts.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/vectors.h"
#include "kernel/errno.h"

#define APIC_BASE_ADDR_MASK	0xfffff000ull
#define APIC_BASE_EXTD		(1ull << 10)	/* x2APIC enable */
#define APIC_BASE_EN		(1ull << 11)
#define XAPIC_MMIO_LEN		4096

/* xAPIC register offsets (SDM table 10-1); x2APIC MSR = 0x800 + off/16. */
#define LAPIC_ID		0x020
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_ESR		0x280
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3e0
#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR(off)		(X2APIC_MSR_BASE + ((off) >> 4))

#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_PERIODIC	(1u << 17)
#define TIMER_DIV_16		0x3	/* SDM figure 10-10 */
#define TIMER_COUNT_MAX		0xffffffffu
#define TIMER_DIVISOR		16	/* what TIMER_DIV_16 divides by */

/* ICR (SDM 10.6.1). */
#define ICR_DELIVERY_FIXED	(0u << 8)
#define ICR_DELIVERY_NMI	(4u << 8)
#define ICR_DELIVERY_INIT	(5u << 8)
#define ICR_DELIVERY_STARTUP	(6u << 8)
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_BUSY		(1u << 12)
#define XAPIC_DEST_SHIFT	24
#define ICR_SPIN_MAX		1000000

static volatile uint32_t *xapic;
static bool x2apic;
static bool present;
static uint64_t lapic_tick_hz;		/* timer input ticks/s after /16 */
static uint64_t lapic_error_count;

static uint32_t
lapic_read(uint32_t off)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(off));
	return xapic[off / sizeof(uint32_t)];
}

static void
lapic_write(uint32_t off, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(off), v);
	else
		xapic[off / sizeof(uint32_t)] = v;
}

void
lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void
lapic_spurious(struct trapframe *tf)
{
	(void)tf;		/* SDM 10.9: no EOI for the spurious vector */
}

static void
lapic_error(struct trapframe *tf)
{
	(void)tf;
	lapic_write(LAPIC_ESR, 0);	/* latch, SDM 10.5.3 */
	__atomic_fetch_add(&lapic_error_count, 1, __ATOMIC_RELAXED);
	lapic_eoi();
}

/* Enables this CPU's APIC.  The first call also chooses the mode. */
int
lapic_init(void)
{
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	if ((d & CPUID_EDX_APIC) == 0)
		return -ENODEV;
	base = rdmsr(MSR_APIC_BASE);
	if (c & CPUID_ECX_X2APIC) {
		/* xAPIC -> x2APIC is a legal transition (SDM 10.12.5). */
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
		x2apic = true;
	} else if (xapic == NULL) {
		xapic = vm_map_mmio(base & APIC_BASE_ADDR_MASK, XAPIC_MMIO_LEN);
		if (xapic == NULL)
			return -ENOMEM;
	}
	if (!present) {
		trap_register(VEC_SPURIOUS, lapic_spurious);
		trap_register(VEC_LAPIC_ERROR, lapic_error);
	}
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	present = true;
	return 0;
}

bool
lapic_present(void)
{
	return present;
}

uint32_t
lapic_id(void)
{
	if (x2apic)
		return lapic_read(LAPIC_ID);
	return lapic_read(LAPIC_ID) >> XAPIC_DEST_SHIFT;
}

uint64_t
lapic_errors(void)
{
	return __atomic_load_n(&lapic_error_count, __ATOMIC_RELAXED);
}

static void
lapic_icr(uint32_t apic_id, uint32_t lo)
{
	int spin;

	if (x2apic) {
		/* SDM 10.12.9: one 64-bit write, destination in 63:32. */
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)apic_id << 32) | lo);
		return;
	}
	for (spin = 0; spin < ICR_SPIN_MAX; spin++)
		if ((lapic_read(LAPIC_ICR_LO) & ICR_BUSY) == 0)
			break;
	lapic_write(LAPIC_ICR_HI, apic_id << XAPIC_DEST_SHIFT);
	lapic_write(LAPIC_ICR_LO, lo);
}

void
lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	lapic_icr(apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | vector);
}

void
lapic_send_nmi(uint32_t apic_id)
{
	lapic_icr(apic_id, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

void
lapic_send_init(uint32_t apic_id)
{
	lapic_icr(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

/* STARTUP IPI: the AP starts in real mode at page << 12 (SDM 8.4.4.1). */
void
lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
	lapic_icr(apic_id, ICR_DELIVERY_STARTUP | page);
}

/*
 * Starts this CPU's timer counting down from its maximum, masked, for a
 * measurement (clock.c, the `clock` command); lapic_timer_start() puts
 * the periodic timer back.
 */
void
lapic_timer_count_start(void)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, TIMER_COUNT_MAX);
}

/* Ticks counted since lapic_timer_count_start() (wraps after 2^32). */
uint32_t
lapic_timer_count(void)
{
	return TIMER_COUNT_MAX - lapic_read(LAPIC_TIMER_CUR);
}

/*
 * Sets the rate of the timer's input before the divider (the bus or
 * crystal clock); on the BSP, before any AP starts.
 */
void
lapic_timer_set_input_hz(uint64_t hz)
{
	lapic_tick_hz = hz / TIMER_DIVISOR;
}

/* The same, as counted after divide-by-16 (lapic_timer_count()). */
void
lapic_timer_set_hz(uint64_t hz)
{
	lapic_tick_hz = hz;
}

uint64_t
lapic_timer_hz(void)
{
	return lapic_tick_hz;
}

/* Starts this CPU's periodic timer on VEC_TIMER at hz interrupts/s. */
void
lapic_timer_start(unsigned hz)
{
	uint64_t count = lapic_tick_hz / hz;

	if (count == 0)
		count = 1;
	if (count > TIMER_COUNT_MAX)
		count = TIMER_COUNT_MAX;
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}
