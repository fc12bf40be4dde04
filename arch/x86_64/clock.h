/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock.h: choosing the TSC and LAPIC timer rates at boot, and checking
 * them against the ACPI PM timer.
 */
#ifndef ARCH_X86_64_CLOCK_H
#define ARCH_X86_64_CLOCK_H

#include <stdint.h>

/* Where a rate came from (clock_source_name()). */
enum clock_source {
	CLOCK_SRC_NONE,		/* not known: the fallback constant */
	CLOCK_SRC_HV,		/* hypervisor timing leaf 0x40000010 */
	CLOCK_SRC_CPUID15,	/* CPUID 0x15: crystal and TSC ratio */
	CLOCK_SRC_CPUID16,	/* CPUID 0x16: base MHz (with 0x15's ratio) */
	CLOCK_SRC_PMTIMER,	/* counted against the ACPI PM timer */
	CLOCK_SRC_PIT,		/* counted against PIT channel 2 */
	CLOCK_SRC_TSC,		/* LAPIC timer counted against the TSC */
};

void	 clock_init(void);
void	 clock_print_cpuid(void);
enum clock_source clock_tsc_source(void);
enum clock_source clock_lapic_source(void);
const char *clock_source_name(enum clock_source src);
int	 clock_check_udelay(uint64_t us, uint64_t *pm_us);
int	 clock_check_lapic(uint64_t us, uint64_t *counted, uint64_t *want);

#endif /* ARCH_X86_64_CLOCK_H */
