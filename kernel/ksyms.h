/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksyms.h: address-to-function-name lookup for backtraces.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>

const char *ksyms_lookup(uint64_t addr, uint64_t *offset);

#endif /* KERNEL_KSYMS_H */
