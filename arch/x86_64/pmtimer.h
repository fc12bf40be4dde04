/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmtimer.h: the ACPI power-management timer, a free-running 3.579545 MHz
 * counter at an I/O port the FADT names (ACPI 6.4 4.8.3.3).
 */
#ifndef ARCH_X86_64_PMTIMER_H
#define ARCH_X86_64_PMTIMER_H

#include <stdbool.h>
#include <stdint.h>

#define PMTIMER_HZ	3579545u	/* ACPI 6.4 4.8.3.3 */

int	 pmtimer_init(void);
bool	 pmtimer_present(void);
uint32_t pmtimer_read(void);
uint32_t pmtimer_delta(uint32_t from, uint32_t to);
uint32_t pmtimer_port(void);
uint64_t pmtimer_ticks_to_us(uint64_t ticks);
uint64_t pmtimer_us_to_ticks(uint64_t us);

#endif /* ARCH_X86_64_PMTIMER_H */
