/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp.h: application processor bring-up.
 */
#ifndef ARCH_X86_64_SMP_H
#define ARCH_X86_64_SMP_H

#include <stdint.h>

uint32_t smp_start_aps(void);

#endif /* ARCH_X86_64_SMP_H */
