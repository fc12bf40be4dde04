/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock_cmds.c: the `clock` command and the clock self-tests: are the TSC
 * and LAPIC timer rates chosen at boot (arch/x86_64/clock.c) right?
 *
 * Both are checked against the ACPI PM timer, which runs at a rate fixed
 * by the ACPI specification, needs no calibration and, under QEMU, runs on
 * the host's clock:
 *  - udelay(100 ms) on the calling CPU, timed by the PM timer;
 *  - every CPU's LAPIC timer counted over CLOCK_LAPIC_US of PM time,
 *    against what lapic_timer_hz() says it should count (the periodic
 *    timer stops meanwhile and is restarted at CALLOUT_HZ: a tick is late).
 * The command prints the figures and the error in hundredths of a
 * percent; the self-tests fail beyond CLOCK_TOLERANCE_PCT.
 *
 * Locking: none.  Each CPU measures its own LAPIC timer, reached through
 * smp_call_sync(); the results are written by that CPU before the call
 * returns to the caller.
 */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/clock.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pmtimer.h"
#include "arch/x86_64/tsc.h"
#include "kernel/callout.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"
#include "kernel/printf.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"

#define CLOCK_UDELAY_US		100000	/* the 100 ms sleep */
#define CLOCK_LAPIC_US		20000
#define CLOCK_TOLERANCE_PCT	2
#define CLOCK_UDELAY_MAX_US	4000000
#define HZ_PER_KHZ		1000
#define BP_PER_UNIT		10000	/* hundredths of a percent */

struct clock_lapic_result {
	int		clr_err;
	uint64_t	clr_counted;
	uint64_t	clr_want;
};

static struct clock_lapic_result clock_lapic_res[MAXCPU];

/* Runs on the CPU being measured. */
static void
clock_lapic_on_cpu(void *arg)
{
	struct clock_lapic_result *r = arg;

	r->clr_err = clock_check_lapic(CLOCK_LAPIC_US, &r->clr_counted,
	    &r->clr_want);
	lapic_timer_start(CALLOUT_HZ);
}

/* got - want in hundredths of a percent of want. */
static int64_t
clock_err_bp(uint64_t got, uint64_t want)
{
	if (want == 0)
		return INT64_MAX;
	return ((int64_t)got - (int64_t)want) * BP_PER_UNIT / (int64_t)want;
}

static bool
clock_within(uint64_t got, uint64_t want)
{
	int64_t bp = clock_err_bp(got, want);

	return bp <= CLOCK_TOLERANCE_PCT * 100 &&
	    bp >= -CLOCK_TOLERANCE_PCT * 100;
}

static void
clock_print_err(const char *what, uint64_t got, uint64_t want)
{
	int64_t bp = clock_err_bp(got, want);
	uint64_t mag = (uint64_t)(bp < 0 ? -bp : bp);

	printk("%s (%s%lu.%02lu%%)\n", what, bp < 0 ? "-" : "+", mag / 100,
	    mag % 100);
}

static int
cmd_clock(int argc, char **argv)
{
	uint64_t pm_us;
	uint32_t us = CLOCK_UDELAY_US, i;
	struct clock_lapic_result *r;
	char what[128];

	if (argc > 2 || (argc == 2 && (kstrtou32(argv[1], CLOCK_UDELAY_MAX_US,
	    &us) != 0 || us == 0))) {
		printk("usage: clock [udelay-us, 1..%u]\n",
		    CLOCK_UDELAY_MAX_US);
		return 1;
	}
	printk("clock: tsc %lu kHz (%s), lapic timer %lu kHz (%s)\n",
	    tsc_hz() / HZ_PER_KHZ, clock_source_name(clock_tsc_source()),
	    lapic_timer_hz() / HZ_PER_KHZ,
	    clock_source_name(clock_lapic_source()));
	clock_print_cpuid();
	if (!pmtimer_present()) {
		printk("clock: no ACPI PM timer to check against\n");
		return 1;
	}
	printk("clock: pm timer port 0x%x\n", pmtimer_port());
	clock_check_udelay(us, &pm_us);
	ksnprintf(what, sizeof(what), "clock: udelay %u us took %lu us by "
	    "the pm timer", us, pm_us);
	clock_print_err(what, pm_us, us);
	for (i = 0; i < ncpus_started(); i++) {
		r = &clock_lapic_res[i];
		r->clr_err = -1;
		if (smp_call_sync(i, clock_lapic_on_cpu, r) != 0 ||
		    r->clr_err != 0)
			continue;
		ksnprintf(what, sizeof(what), "clock: cpu %u lapic timer "
		    "counted %lu in %u us by the pm timer, want %lu", i,
		    r->clr_counted, CLOCK_LAPIC_US, r->clr_want);
		clock_print_err(what, r->clr_counted, r->clr_want);
	}
	return 0;
}
SHELL_CMD(clock, "clock sources, udelay and LAPIC timers vs the PM timer: "
    "clock [udelay-us]", cmd_clock);

SELFTEST(clock_udelay)
{
	uint64_t pm_us;

	ST_CHECK(clock_check_udelay(CLOCK_UDELAY_US, &pm_us) == 0);
	ST_CHECK(clock_within(pm_us, CLOCK_UDELAY_US));
	return 0;
}

SELFTEST(clock_lapic)
{
	struct clock_lapic_result *r;
	uint32_t i;

	for (i = 0; i < ncpus_started(); i++) {
		r = &clock_lapic_res[i];
		r->clr_err = -1;
		ST_CHECK(smp_call_sync(i, clock_lapic_on_cpu, r) == 0);
		ST_CHECK(r->clr_err == 0);
		ST_CHECK(clock_within(r->clr_counted, r->clr_want));
	}
	return 0;
}
