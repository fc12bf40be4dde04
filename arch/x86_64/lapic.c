/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lapic.c: local APIC access for the boot CPU.
 *
 * The APIC is used in x2APIC mode (MSRs, SDM 10.12) when CPUID offers it,
 * and in xAPIC mode (MMIO at the IA32_APIC_BASE address, mapped uncached)
 * otherwise.  lapic_init() software-enables it through the spurious
 * interrupt vector register (SDM 10.9).  Today this serves the NMI that
 * `fault nmi` sends to its own CPU; the SMP issue adds the timer, EOI and
 * the IPIs to other CPUs on top.
 *
 * Locking: lapic_init() runs on each CPU for itself; the registers are
 * per-CPU, so no lock is needed.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "kernel/errno.h"

#define APIC_BASE_ADDR_MASK	0xfffff000ull
#define APIC_BASE_EXTD		(1ull << 10)	/* x2APIC enable */
#define APIC_BASE_EN		(1ull << 11)
#define XAPIC_MMIO_LEN		4096

/* xAPIC register offsets (SDM table 10-1); x2APIC MSR = 0x800 + off/16. */
#define LAPIC_ID		0x020
#define LAPIC_SVR		0x0f0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR(off)		(X2APIC_MSR_BASE + ((off) >> 4))

#define SVR_ENABLE		(1u << 8)
#define SPURIOUS_VECTOR		0xff
#define ICR_DELIVERY_NMI	(4u << 8)	/* SDM 10.6.1 */
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_BUSY		(1u << 12)
#define XAPIC_DEST_SHIFT	24
#define ICR_SPIN_MAX		1000000

static volatile uint32_t *xapic;
static bool x2apic;
static bool present;

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
		base |= APIC_BASE_EN | APIC_BASE_EXTD;
		wrmsr(MSR_APIC_BASE, base);
		x2apic = true;
	} else {
		xapic = vm_map_mmio(base & APIC_BASE_ADDR_MASK, XAPIC_MMIO_LEN);
		if (xapic == NULL)
			return -ENOMEM;
	}
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	present = true;
	return 0;
}

bool
lapic_present(void)
{
	return present;
}

bool
lapic_x2apic(void)
{
	return x2apic;
}

uint32_t
lapic_id(void)
{
	if (x2apic)
		return lapic_read(LAPIC_ID);
	return lapic_read(LAPIC_ID) >> XAPIC_DEST_SHIFT;
}

void
lapic_send_nmi(uint32_t apic_id)
{
	int spin;

	if (x2apic) {
		/* SDM 10.12.9: one 64-bit write, destination in bits 63:32. */
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)apic_id << 32) |
		    ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
		return;
	}
	lapic_write(LAPIC_ICR_HI, apic_id << XAPIC_DEST_SHIFT);
	lapic_write(LAPIC_ICR_LO, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
	for (spin = 0; spin < ICR_SPIN_MAX; spin++)
		if ((lapic_read(LAPIC_ICR_LO) & ICR_BUSY) == 0)
			break;
}
