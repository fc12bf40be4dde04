/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp.h: application processor bring-up.
 */
#ifndef ARCH_X86_64_SMP_H
#define ARCH_X86_64_SMP_H

#include <stdint.h>

void	 smp_start_aps(void);
uint32_t smp_wait_aps(void);

#endif /* ARCH_X86_64_SMP_H */
