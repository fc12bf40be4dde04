/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsc.c: the TSC as the kernel's clock: its rate, conversions, udelay, and
 * the last-resort calibration against the 8254 PIT.
 *
 * arch/x86_64/clock.c chooses the rate (CPUID, the hypervisor's timing
 * leaf, the ACPI PM timer) and sets it with tsc_set_hz(); only a machine
 * with none of those comes here to tsc_calibrate_pit().
 *
 * PIT channel 2 counts down from a known value at 1.193182 MHz with its
 * gate driven through port 0x61; we read the TSC when we start it and when
 * its output goes high (8254 data sheet, mode 0).  The best of a few rounds
 * wins, which filters out a vCPU that was descheduled mid-measurement.
 * Under TCG the TSC is emulated and the result is whatever rate QEMU
 * presents; it is still the rate rdtsc advances at, which is what matters.
 *
 * Locking: tsc_freq is written once on the BSP before other CPUs run.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"

#define PIT_HZ			1193182u
#define PIT_CH2_DATA		0x42
#define PIT_CMD			0x43
#define PIT_CMD_CH2_MODE0	0xb0	/* channel 2, lo/hi byte, mode 0 */
#define PORT_B			0x61	/* NMI status and control (PC AT) */
#define PORT_B_GATE2		0x01
#define PORT_B_SPEAKER		0x02
#define PORT_B_OUT2		0x20
#define CAL_MS			10
#define CAL_ROUNDS		3
#define CAL_SPIN_MAX		100000000ull
#define FALLBACK_HZ		1000000000ull	/* if the PIT never fires */
#define US_PER_S		1000000ull
#define NS_PER_S		1000000000ull
#define MS_PER_S		1000u

static uint64_t tsc_freq = FALLBACK_HZ;

static uint64_t
calibrate_once(void)
{
	uint16_t count = PIT_HZ / (MS_PER_S / CAL_MS);
	uint64_t t0, t1, spin;
	uint8_t b;

	b = inb(PORT_B);
	outb(PORT_B, (b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	t0 = rdtsc();
	for (spin = 0; spin < CAL_SPIN_MAX; spin++)
		if (inb(PORT_B) & PORT_B_OUT2)
			break;
	t1 = rdtsc();
	outb(PORT_B, b);
	if (spin == CAL_SPIN_MAX)
		return 0;
	return (t1 - t0) * (MS_PER_S / CAL_MS);
}

/* Best of CAL_ROUNDS windows of CAL_MS on the PIT; 0 if it never fired. */
uint64_t
tsc_calibrate_pit(void)
{
	uint64_t best = 0, hz;
	int i;

	for (i = 0; i < CAL_ROUNDS; i++) {
		hz = calibrate_once();
		if (hz != 0 && (best == 0 || hz < best))
			best = hz;
	}
	return best;
}

/* The BSP, once, before any other CPU reads the clock. */
void
tsc_set_hz(uint64_t hz)
{
	if (hz != 0)
		tsc_freq = hz;
}

uint64_t
tsc_hz(void)
{
	return tsc_freq;
}

/* Splits the product so cycles * 10^6 cannot overflow 64 bits. */
uint64_t
tsc_to_us(uint64_t cycles)
{
	return cycles / tsc_freq * US_PER_S +
	    cycles % tsc_freq * US_PER_S / tsc_freq;
}

uint64_t
tsc_to_ns(uint64_t cycles)
{
	/* Exact while tsc_freq < 18 GHz. */
	return cycles / tsc_freq * NS_PER_S +
	    cycles % tsc_freq * NS_PER_S / tsc_freq;
}

uint64_t
uptime_us(void)
{
	return tsc_to_us(rdtsc() - boot_tsc);
}

/* Busy-waits at least us microseconds of TSC time. */
void
udelay(uint64_t us)
{
	uint64_t until = rdtsc() + us * (tsc_freq / US_PER_S);

	while (rdtsc() < until)
		cpu_relax();
}
