/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsc.h: the time-stamp counter as the kernel's clock.
 */
#ifndef ARCH_X86_64_TSC_H
#define ARCH_X86_64_TSC_H

#include <stdint.h>

extern uint64_t boot_tsc;	/* TSC at kernel entry, saved by boot.S */

uint64_t tsc_calibrate_pit(void);
void	 tsc_set_hz(uint64_t hz);
uint64_t tsc_hz(void);
uint64_t tsc_to_us(uint64_t cycles);
uint64_t tsc_to_ns(uint64_t cycles);
uint64_t uptime_us(void);
void	 udelay(uint64_t us);

#endif /* ARCH_X86_64_TSC_H */
