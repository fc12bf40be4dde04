/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock.c: find the TSC and LAPIC timer rates at boot without waiting,
 * and check them against the ACPI PM timer afterwards.
 *
 * The rates are asked for first, in the order Linux asks (its
 * arch/x86/kernel/tsc.c and cpu/vmware.c):
 *  1. under a hypervisor (CPUID.1:ECX[31]) whose highest leaf reaches
 *     0x40000010, its timing leaf: EAX the TSC in kHz, EBX the LAPIC
 *     timer's input (bus) clock in kHz;
 *  2. CPUID 0x15 (SDM Vol. 2A, "Time Stamp Counter and Nominal Core
 *     Crystal Clock"): TSC = crystal * EBX / EAX; the LAPIC timer runs on
 *     the crystal (SDM 10.5.4);
 *  3. 0x15's ratio without a crystal, and 0x16's base MHz as the TSC
 *     rate, the crystal following from the ratio; 0x16 alone gives the
 *     TSC only.
 * Only when none answers is the TSC counted: against the ACPI PM timer for
 * CLOCK_PM_CAL_US, the LAPIC timer counted in the same window, or, without
 * a PM timer, against the PIT (tsc_calibrate_pit(), 30 ms).  A LAPIC rate
 * still unknown is counted against the TSC for CLOCK_LAPIC_CAL_US.
 *
 * A counted window is timed by its two ends: each end reads the PM timer
 * (or the LAPIC timer) between two TSC reads, the narrowest of
 * CLOCK_SAMPLE_TRIES brackets wins, and its midpoint is the TSC at that
 * count.  Both clocks run on
 * (under QEMU both are the host's), so a vCPU descheduled inside the
 * window costs nothing; one descheduled inside a bracket makes that
 * bracket wide, and a window whose brackets are wider than
 * 1/CLOCK_BRACKET_DIV of it is measured again.
 *
 * Boot prints one line saying what was used (DESIGN.md, Contract):
 *   clock: tsc <kHz> kHz (<source>), lapic timer <kHz> kHz (<source>)
 *
 * Locking: clock_init() runs once on the BSP before other CPUs start; the
 * sources are read-only afterwards.  The checks run on the calling CPU.
 */
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/clock.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pmtimer.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/errno.h"

#define CLOCK_PM_CAL_US		250	/* the PM-timer window (README) */
#define CLOCK_LAPIC_CAL_US	250	/* LAPIC against the TSC, if needed */
#define CLOCK_SAMPLE_TRIES	4	/* PM reads per window end */
#define CLOCK_BRACKET_DIV	1000	/* brackets under 0.1 % of the window */
#define CLOCK_CAL_TRIES		3	/* windows before taking the last */
#define CLOCK_CHECK_MAX_US	4000000	/* below the 24-bit PM timer's wrap */
#define CPUID_FREQ_MHZ_MASK	0xffff	/* 0x16 EAX[15:0] */
#define CPUID_HV_LEAVES_MAX	0x10000	/* a sane highest hypervisor leaf */
#define TSC_HZ_MIN		(uint64_t)1000000	/* 1 MHz */
#define TSC_HZ_MAX		(uint64_t)20000000000	/* 20 GHz */
#define HZ_PER_KHZ		1000u
#define HZ_PER_MHZ		1000000u
#define US_PER_S		1000000u

static enum clock_source clock_tsc_src = CLOCK_SRC_NONE;
static enum clock_source clock_lapic_src = CLOCK_SRC_NONE;

/* What CPUID says: *tsc_hz, *apic_in_hz (LAPIC timer input), 0 if not. */
static void
clock_from_cpuid(uint64_t *tsc_hz, uint64_t *apic_in_hz)
{
	uint32_t max, a, b, c, d, num, den, crystal;

	*tsc_hz = *apic_in_hz = 0;
	cpuid(CPUID_VENDOR, 0, &max, &b, &c, &d);
	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	if (c & CPUID_ECX_HYPERVISOR) {
		cpuid(CPUID_HV_BASE, 0, &a, &b, &c, &d);
		if (a >= CPUID_HV_TIMING &&
		    a < CPUID_HV_BASE + CPUID_HV_LEAVES_MAX) {
			cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
			if (a != 0) {
				*tsc_hz = a * HZ_PER_KHZ;
				*apic_in_hz = b * HZ_PER_KHZ;
				clock_tsc_src = CLOCK_SRC_HV;
				if (b != 0)
					clock_lapic_src = CLOCK_SRC_HV;
				return;
			}
		}
	}
	if (max < CPUID_TSC_CRYSTAL)
		return;
	cpuid(CPUID_TSC_CRYSTAL, 0, &den, &num, &crystal, &d);
	if (num != 0 && den != 0 && crystal != 0) {
		*tsc_hz = (uint64_t)crystal * num / den;
		*apic_in_hz = crystal;
		clock_tsc_src = clock_lapic_src = CLOCK_SRC_CPUID15;
		return;
	}
	if (max < CPUID_FREQ)
		return;
	cpuid(CPUID_FREQ, 0, &a, &b, &c, &d);
	if ((a & CPUID_FREQ_MHZ_MASK) == 0)
		return;
	*tsc_hz = (uint64_t)(a & CPUID_FREQ_MHZ_MASK) * HZ_PER_MHZ;
	clock_tsc_src = CLOCK_SRC_CPUID16;
	if (num != 0 && den != 0) {
		*apic_in_hz = *tsc_hz * den / num;
		clock_lapic_src = CLOCK_SRC_CPUID16;
	}
}

static uint32_t
clock_read_pm(void)
{
	return pmtimer_read();
}

static uint32_t
clock_read_lapic(void)
{
	return lapic_timer_count();
}

/*
 * One window end: a counter's value and the TSC at it; returns the
 * bracket.  The narrowest bracket also leaves out the first run's cost
 * (under TCG, translating the code), which would otherwise fall on one
 * end of the window only.
 */
static uint64_t
clock_sample(uint32_t (*read)(void), uint32_t *val, uint64_t *tsc)
{
	uint64_t t0, t1, best = UINT64_MAX;
	uint32_t v;
	int i;

	for (i = 0; i < CLOCK_SAMPLE_TRIES; i++) {
		t0 = rdtsc();
		v = read();
		t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*val = v;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
	return best;
}

/*
 * Counts the TSC (and, if count_apic, this CPU's LAPIC timer after its
 * divider) over CLOCK_PM_CAL_US of PM time.  Returns the TSC rate.
 */
static uint64_t
clock_pm_calibrate(bool count_apic, uint64_t *apic_hz)
{
	uint64_t ts0 = 0, ts1 = 0, ta0 = 0, ta1 = 0, w0, w1, hz = 0;
	uint32_t p0 = 0, p1 = 0, a0 = 0, a1 = 0, ticks;
	int i;

	ticks = (uint32_t)pmtimer_us_to_ticks(CLOCK_PM_CAL_US);
	for (i = 0; i < CLOCK_CAL_TRIES; i++) {
		if (count_apic) {
			lapic_timer_count_start();
			clock_sample(clock_read_lapic, &a0, &ta0);
		}
		w0 = clock_sample(clock_read_pm, &p0, &ts0);
		while (pmtimer_delta(p0, pmtimer_read()) < ticks)
			cpu_relax();
		w1 = clock_sample(clock_read_pm, &p1, &ts1);
		if (count_apic)
			clock_sample(clock_read_lapic, &a1, &ta1);
		hz = (ts1 - ts0) * PMTIMER_HZ / pmtimer_delta(p0, p1);
		if ((w0 + w1) * CLOCK_BRACKET_DIV < ts1 - ts0)
			break;
	}
	if (count_apic && ta1 > ta0)
		*apic_hz = (uint64_t)(a1 - a0) * hz / (ta1 - ta0);
	return hz;
}

/* This CPU's LAPIC timer, after its divider, over us of TSC time. */
static uint64_t
clock_lapic_by_tsc(uint64_t us)
{
	uint64_t t0 = 0, t1 = 0;
	uint32_t a0 = 0, a1 = 0;

	lapic_timer_count_start();
	clock_sample(clock_read_lapic, &a0, &t0);
	while (rdtsc() < t0 + us * tsc_hz() / US_PER_S)
		cpu_relax();
	clock_sample(clock_read_lapic, &a1, &t1);
	return (uint64_t)(a1 - a0) * tsc_hz() / (t1 - t0);
}

/* What the CPU offers, raw, for the `clock` command. */
void
clock_print_cpuid(void)
{
	uint32_t max, a, b, c, d, hv = 0, hmax = 0;
	uint32_t c15[3] = { 0, 0, 0 }, c16 = 0;

	cpuid(CPUID_VENDOR, 0, &max, &b, &c, &d);
	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	if (c & CPUID_ECX_HYPERVISOR) {
		hv = 1;
		cpuid(CPUID_HV_BASE, 0, &hmax, &b, &c, &d);
	}
	if (max >= CPUID_TSC_CRYSTAL)
		cpuid(CPUID_TSC_CRYSTAL, 0, &c15[0], &c15[1], &c15[2], &d);
	if (max >= CPUID_FREQ)
		cpuid(CPUID_FREQ, 0, &c16, &b, &c, &d);
	printk("clock: cpuid max-leaf 0x%x 0x15 eax %u ebx %u ecx %u 0x16 eax "
	    "%u hypervisor %u max-hv-leaf 0x%x\n", max, c15[0], c15[1],
	    c15[2], c16, hv, hmax);
}

/* The BSP, once, after acpi_init() and lapic_init(), before any AP. */
void
clock_init(void)
{
	uint64_t tsc = 0, apic_in = 0, apic = 0;
	bool lapic = lapic_present();

	clock_from_cpuid(&tsc, &apic_in);
	if (tsc < TSC_HZ_MIN || tsc > TSC_HZ_MAX) {
		tsc = 0;
		clock_tsc_src = CLOCK_SRC_NONE;
	}
	if (tsc == 0 && pmtimer_present()) {
		tsc = clock_pm_calibrate(lapic && apic_in == 0, &apic);
		clock_tsc_src = CLOCK_SRC_PMTIMER;
		if (apic != 0)
			clock_lapic_src = CLOCK_SRC_PMTIMER;
	} else if (tsc == 0 && (tsc = tsc_calibrate_pit()) != 0) {
		clock_tsc_src = CLOCK_SRC_PIT;
	}
	tsc_set_hz(tsc);
	if (!lapic)
		clock_lapic_src = CLOCK_SRC_NONE;
	else if (apic_in != 0)
		lapic_timer_set_input_hz(apic_in);
	else if (apic != 0)
		lapic_timer_set_hz(apic);
	else {
		lapic_timer_set_hz(clock_lapic_by_tsc(CLOCK_LAPIC_CAL_US));
		clock_lapic_src = CLOCK_SRC_TSC;
	}
	printk("clock: tsc %lu kHz (%s), lapic timer %lu kHz (%s)\n",
	    tsc_hz() / HZ_PER_KHZ, clock_source_name(clock_tsc_src),
	    lapic_timer_hz() / HZ_PER_KHZ, clock_source_name(clock_lapic_src));
}

enum clock_source
clock_tsc_source(void)
{
	return clock_tsc_src;
}

enum clock_source
clock_lapic_source(void)
{
	return clock_lapic_src;
}

const char *
clock_source_name(enum clock_source src)
{
	switch (src) {
	case CLOCK_SRC_HV:
		return "hypervisor leaf 0x40000010";
	case CLOCK_SRC_CPUID15:
		return "cpuid 0x15";
	case CLOCK_SRC_CPUID16:
		return "cpuid 0x16";
	case CLOCK_SRC_PMTIMER:
		return "pm timer";
	case CLOCK_SRC_PIT:
		return "pit";
	case CLOCK_SRC_TSC:
		return "tsc";
	case CLOCK_SRC_NONE:
		break;
	}
	return "none";
}

/*
 * udelay(us) timed by the PM timer: *pm_us.  -ENODEV without a PM timer,
 * -EINVAL for a delay the 24-bit counter cannot time.  Any CPU.
 */
int
clock_check_udelay(uint64_t us, uint64_t *pm_us)
{
	uint32_t p0, p1;

	if (!pmtimer_present())
		return -ENODEV;
	if (us > CLOCK_CHECK_MAX_US)
		return -EINVAL;
	p0 = pmtimer_read();
	udelay(us);
	p1 = pmtimer_read();
	*pm_us = pmtimer_ticks_to_us(pmtimer_delta(p0, p1));
	return 0;
}

/*
 * This CPU's LAPIC timer counted over us of PM time (*counted), and what
 * lapic_timer_hz() says it should have counted (*want).  The periodic
 * timer stops meanwhile: the caller restarts it (lapic_timer_start()).
 */
int
clock_check_lapic(uint64_t us, uint64_t *counted, uint64_t *want)
{
	uint32_t p0, p1, a0, a1, ticks;

	if (!pmtimer_present() || !lapic_present())
		return -ENODEV;
	if (us > CLOCK_CHECK_MAX_US)
		return -EINVAL;
	ticks = (uint32_t)pmtimer_us_to_ticks(us);
	lapic_timer_count_start();
	p0 = pmtimer_read();
	a0 = lapic_timer_count();
	while (pmtimer_delta(p0, pmtimer_read()) < ticks)
		cpu_relax();
	p1 = pmtimer_read();
	a1 = lapic_timer_count();
	*counted = a1 - a0;
	*want = lapic_timer_hz() * pmtimer_delta(p0, p1) / PMTIMER_HZ;
	return 0;
}
