/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmtimer.c: the ACPI PM timer, the clock we check the others against.
 *
 * Every ACPI machine has it: a counter at PMTIMER_HZ, 24 bits wide, or 32
 * when the FADT sets TMR_VAL_EXT (ACPI 6.4 5.2.9, flags bit 8), read from
 * the port in PM_TMR_BLK (or X_PM_TMR_BLK, a generic address in system
 * I/O space).  It never stops and needs no programming, so it is the
 * reference for calibrating the TSC when CPUID does not give its rate
 * (arch/x86_64/clock.c) and for checking udelay and the LAPIC timer
 * afterwards (the `clock` command, selftest clock_*).  Under QEMU it runs
 * on the host's clock.
 *
 * Readers must keep intervals under the wrap: 4.69 s with 24 bits.
 *
 * Locking: pmtimer_init() runs once on the BSP before other CPUs start;
 * the port and mask are read-only afterwards, and reading the counter
 * needs no lock.
 */
#include <stddef.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pmtimer.h"
#include "kernel/errno.h"

/* FADT fields (ACPI 6.4 table 5.9). */
#define FADT_OFF_PM_TMR_BLK	76
#define FADT_OFF_PM_TMR_LEN	91
#define FADT_OFF_FLAGS		112
#define FADT_OFF_X_PM_TMR_BLK	208	/* generic address structure */
#define FADT_FLAG_TMR_VAL_EXT	(1u << 8)
#define FADT_MIN_LEN		(FADT_OFF_FLAGS + 4)
#define FADT_X_PM_TMR_LEN	(FADT_OFF_X_PM_TMR_BLK + 12)
#define GAS_OFF_SPACE		0
#define GAS_OFF_ADDRESS		4
#define GAS_SPACE_SYSIO		1
#define PM_TMR_LEN		4
#define PM_TMR_MASK24		0x00ffffffu
#define PM_TMR_MASK32		0xffffffffu
#define PORT_MAX		0xffffu
#define US_PER_S		1000000ull

static uint16_t pmtimer_io;		/* 0: none */
static uint32_t pmtimer_mask = PM_TMR_MASK24;

/* Finds the timer in the FADT.  0, or -ENODEV when there is none. */
int
pmtimer_init(void)
{
	const struct acpi_sdt_header *fadt = acpi_find_table("FACP");
	const uint8_t *f = (const uint8_t *)fadt;
	uint64_t port;

	if (fadt == NULL || fadt->sh_length < FADT_MIN_LEN)
		return -ENODEV;
	port = *(const uint32_t *)(f + FADT_OFF_PM_TMR_BLK);
	if (port == 0 && fadt->sh_length >= FADT_X_PM_TMR_LEN &&
	    f[FADT_OFF_X_PM_TMR_BLK + GAS_OFF_SPACE] == GAS_SPACE_SYSIO)
		port = *(const uint64_t *)(f + FADT_OFF_X_PM_TMR_BLK +
		    GAS_OFF_ADDRESS);
	else if (f[FADT_OFF_PM_TMR_LEN] < PM_TMR_LEN)
		port = 0;
	if (port == 0 || port > PORT_MAX)
		return -ENODEV;
	if (*(const uint32_t *)(f + FADT_OFF_FLAGS) & FADT_FLAG_TMR_VAL_EXT)
		pmtimer_mask = PM_TMR_MASK32;
	pmtimer_io = (uint16_t)port;
	return 0;
}

bool
pmtimer_present(void)
{
	return pmtimer_io != 0;
}

uint32_t
pmtimer_port(void)
{
	return pmtimer_io;
}

uint32_t
pmtimer_read(void)
{
	return inl(pmtimer_io) & pmtimer_mask;
}

/* Ticks from one reading to a later one, across one wrap. */
uint32_t
pmtimer_delta(uint32_t from, uint32_t to)
{
	return (to - from) & pmtimer_mask;
}

uint64_t
pmtimer_ticks_to_us(uint64_t ticks)
{
	return ticks * US_PER_S / PMTIMER_HZ;
}

uint64_t
pmtimer_us_to_ticks(uint64_t us)
{
	return us * PMTIMER_HZ / US_PER_S;
}
