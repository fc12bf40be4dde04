/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * madt.h: what the MADT and MCFG tables say about the machine.
 */
#ifndef ARCH_X86_64_MADT_H
#define ARCH_X86_64_MADT_H

#include <stdbool.h>
#include <stdint.h>

#define MADT_MAX_CPUS		64	/* entries kept; MAXCPU of them run */
#define MADT_MAX_IOAPICS	8
#define MADT_MAX_ISOS		16
#define MCFG_MAX_REGIONS	4
#define ISA_IRQS		16

struct madt_ioapic {
	uint8_t		mi_id;
	uint32_t	mi_addr;
	uint32_t	mi_gsi_base;
};

/* An ISA IRQ's route, after interrupt source overrides (ACPI 5.2.12.5). */
struct isa_route {
	uint32_t	ir_gsi;
	bool		ir_active_low;
	bool		ir_level;
};

struct mcfg_region {
	uint64_t	mr_base;
	uint16_t	mr_segment;
	uint8_t		mr_bus_start;
	uint8_t		mr_bus_end;
};

struct platform_info {
	bool			pi_have_madt;
	bool			pi_pcat_compat;	/* 8259 PICs present */
	uint32_t		pi_ncpus;
	uint32_t		pi_apic_ids[MADT_MAX_CPUS];	/* enabled */
	uint32_t		pi_nioapics;
	struct madt_ioapic	pi_ioapics[MADT_MAX_IOAPICS];
	struct isa_route	pi_isa[ISA_IRQS];
	uint32_t		pi_nmcfg;
	struct mcfg_region	pi_mcfg[MCFG_MAX_REGIONS];
};

extern struct platform_info platform;

void	madt_parse(void);

#endif /* ARCH_X86_64_MADT_H */
