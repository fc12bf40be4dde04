/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ioapic.h: I/O APIC routing of legacy (ISA) interrupts.
 */
#ifndef ARCH_X86_64_IOAPIC_H
#define ARCH_X86_64_IOAPIC_H

#include <stdint.h>

void	pic_disable(void);
int	ioapic_init(void);
int	ioapic_route_isa(unsigned irq, uint8_t vector, uint32_t dest_apic);

#endif /* ARCH_X86_64_IOAPIC_H */
