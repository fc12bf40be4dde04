/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootphase.c: the boot's phases, timed, for the line after READY.
 *
 * kmain() ends each phase with boot_phase_end("<name>"), which records the
 * TSC.  The first phase starts at kernel entry (boot_tsc, saved by
 * boot.S), each later one where the previous ended, and the last one ends
 * at the TSC that `boot: ready in N us` reports, so the phases cover the
 * whole boot with no gap.  boot_phases_print() prints
 *
 *   boot: phases <name>=<us> <name>=<us> ...
 *
 * each figure the difference of two rounded cumulative times, so the
 * figures add up to N exactly.  A slow phase shows on every boot and in
 * every test log.
 *
 * Locking: only kmain() on the BSP calls these, before any AP runs code
 * that could call them; no lock.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/bootphase.h"
#include "kernel/console.h"
#include "kernel/kassert.h"
#include "kernel/printf.h"

#define BOOT_PHASES_LINE	256

struct boot_phase {
	const char	*bp_name;
	uint64_t	bp_end;		/* TSC when it ended */
};

static struct boot_phase boot_phases[BOOT_PHASES_MAX];
static unsigned boot_nphases;

/* Ends the phase called name (a string constant) now; returns the TSC. */
uint64_t
boot_phase_end(const char *name)
{
	uint64_t now = rdtsc();

	KASSERT(boot_nphases < BOOT_PHASES_MAX,
	    ("%s: more than %d phases", __func__, BOOT_PHASES_MAX));
	if (boot_nphases < BOOT_PHASES_MAX) {
		boot_phases[boot_nphases].bp_name = name;
		boot_phases[boot_nphases].bp_end = now;
		boot_nphases++;
	}
	return now;
}

/* Prints the phases ended so far, in microseconds, on one line. */
void
boot_phases_print(void)
{
	char line[BOOT_PHASES_LINE];
	uint64_t prev_us = 0, cum_us;
	size_t len;
	unsigned i;

	len = (size_t)ksnprintf(line, sizeof(line), "boot: phases");
	for (i = 0; i < boot_nphases && len < sizeof(line); i++) {
		cum_us = tsc_to_us(boot_phases[i].bp_end - boot_tsc);
		len += (size_t)ksnprintf(line + len, sizeof(line) - len,
		    " %s=%lu", boot_phases[i].bp_name, cum_us - prev_us);
		prev_us = cum_us;
	}
	printk("%s\n", line);
}
