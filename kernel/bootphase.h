/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootphase.h: where the boot's time goes, one mark per phase.
 */
#ifndef KERNEL_BOOTPHASE_H
#define KERNEL_BOOTPHASE_H

#include <stdint.h>

#define BOOT_PHASES_MAX	16

uint64_t boot_phase_end(const char *name);
void	 boot_phases_print(void);

#endif /* KERNEL_BOOTPHASE_H */
