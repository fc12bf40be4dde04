/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lapic.h: the local APIC, xAPIC (MMIO) or x2APIC (MSR) mode.
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

int	 lapic_init(void);
bool	 lapic_present(void);
uint32_t lapic_id(void);
void	 lapic_eoi(void);
void	 lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void	 lapic_send_nmi(uint32_t apic_id);
void	 lapic_send_init(uint32_t apic_id);
void	 lapic_send_sipi(uint32_t apic_id, uint8_t page);
void	 lapic_timer_count_start(void);
uint32_t lapic_timer_count(void);
void	 lapic_timer_set_hz(uint64_t hz);
void	 lapic_timer_set_input_hz(uint64_t hz);
void	 lapic_timer_start(unsigned hz);
uint64_t lapic_timer_hz(void);
uint64_t lapic_errors(void);

#endif /* ARCH_X86_64_LAPIC_H */
