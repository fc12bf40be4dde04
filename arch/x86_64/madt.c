/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * madt.c: parse the MADT ("APIC", ACPI 6.4 5.2.12) and MCFG (PCI Firmware
 * 3.2, 4.1.2) into struct platform_info.
 *
 * From the MADT we keep the enabled local APIC and x2APIC entries (CPUs),
 * the I/O APICs and the interrupt source overrides; the ISA IRQ routes
 * start identity-mapped, edge-triggered, active-high and the overrides
 * amend them.  Every entry's length is checked against the table before
 * it is read; a malformed entry ends the walk with a message, keeping what
 * came before.  No MADT means one CPU and no I/O APIC.
 *
 * Locking: runs once on the BSP before other CPUs start; read-only after.
 */
#include <stddef.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/madt.h"
#include "kernel/console.h"

#define MADT_OFF_FLAGS		40
#define MADT_OFF_ENTRIES	44
#define MADT_FLAG_PCAT_COMPAT	(1u << 0)
#define MADT_ENT_HDR		2

#define MADT_LAPIC		0	/* 8 bytes */
#define MADT_IOAPIC		1	/* 12 bytes */
#define MADT_ISO		2	/* 10 bytes */
#define MADT_X2APIC		9	/* 16 bytes */
#define MADT_LAPIC_LEN		8
#define MADT_IOAPIC_LEN		12
#define MADT_ISO_LEN		10
#define MADT_X2APIC_LEN		16
#define MADT_CPU_ENABLED	(1u << 0)

/* MPS INTI flags (ACPI table 5.50). */
#define INTI_POLARITY_MASK	0x3
#define INTI_POLARITY_LOW	0x3
#define INTI_TRIGGER_SHIFT	2
#define INTI_TRIGGER_MASK	0x3
#define INTI_TRIGGER_LEVEL	0x3
#define ISA_BUS			0

#define MCFG_OFF_ENTRIES	44
#define MCFG_ENTRY_LEN		16

struct platform_info platform;

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
add_cpu(uint32_t apic_id, uint32_t flags)
{
	uint32_t i;

	if ((flags & MADT_CPU_ENABLED) == 0)
		return;
	for (i = 0; i < platform.pi_ncpus; i++)
		if (platform.pi_apic_ids[i] == apic_id)
			return;
	if (platform.pi_ncpus == MADT_MAX_CPUS) {
		printk("acpi: MADT lists more than %d CPUs; apic id %u "
		    "ignored\n", MADT_MAX_CPUS, apic_id);
		return;
	}
	platform.pi_apic_ids[platform.pi_ncpus++] = apic_id;
}

static void
add_iso(const uint8_t *e)
{
	uint8_t bus = e[2], irq = e[3];
	uint16_t flags = rd16(e + 8);
	struct isa_route *r;

	if (bus != ISA_BUS || irq >= ISA_IRQS)
		return;
	r = &platform.pi_isa[irq];
	r->ir_gsi = rd32(e + 4);
	if ((flags & INTI_POLARITY_MASK) == INTI_POLARITY_LOW)
		r->ir_active_low = true;
	if (((flags >> INTI_TRIGGER_SHIFT) & INTI_TRIGGER_MASK) ==
	    INTI_TRIGGER_LEVEL)
		r->ir_level = true;
}

static void
parse_madt(const struct acpi_sdt_header *h)
{
	const uint8_t *t = (const uint8_t *)h, *e;
	size_t off;

	platform.pi_have_madt = true;
	platform.pi_pcat_compat = rd32(t + MADT_OFF_FLAGS) &
	    MADT_FLAG_PCAT_COMPAT;
	for (off = MADT_OFF_ENTRIES; off + MADT_ENT_HDR <= h->sh_length;
	    off += e[1]) {
		e = t + off;
		if (e[1] < MADT_ENT_HDR || off + e[1] > h->sh_length) {
			printk("acpi: MADT entry at offset %zu is malformed; "
			    "ignoring the rest\n", off);
			return;
		}
		switch (e[0]) {
		case MADT_LAPIC:
			if (e[1] >= MADT_LAPIC_LEN)
				add_cpu(e[3], rd32(e + 4));
			break;
		case MADT_X2APIC:
			if (e[1] >= MADT_X2APIC_LEN)
				add_cpu(rd32(e + 4), rd32(e + 8));
			break;
		case MADT_IOAPIC:
			if (e[1] >= MADT_IOAPIC_LEN &&
			    platform.pi_nioapics < MADT_MAX_IOAPICS) {
				struct madt_ioapic *io =
				    &platform.pi_ioapics[platform.pi_nioapics++];

				io->mi_id = e[2];
				io->mi_addr = rd32(e + 4);
				io->mi_gsi_base = rd32(e + 8);
			}
			break;
		case MADT_ISO:
			if (e[1] >= MADT_ISO_LEN)
				add_iso(e);
			break;
		default:
			break;
		}
	}
}

static void
parse_mcfg(const struct acpi_sdt_header *h)
{
	const uint8_t *t = (const uint8_t *)h, *e;
	size_t off;

	for (off = MCFG_OFF_ENTRIES; off + MCFG_ENTRY_LEN <= h->sh_length &&
	    platform.pi_nmcfg < MCFG_MAX_REGIONS; off += MCFG_ENTRY_LEN) {
		struct mcfg_region *r = &platform.pi_mcfg[platform.pi_nmcfg++];

		e = t + off;
		r->mr_base = (uint64_t)rd32(e) | (uint64_t)rd32(e + 4) << 32;
		r->mr_segment = rd16(e + 8);
		r->mr_bus_start = e[10];
		r->mr_bus_end = e[11];
	}
}

void
madt_parse(void)
{
	const struct acpi_sdt_header *h;
	int i;

	for (i = 0; i < ISA_IRQS; i++)
		platform.pi_isa[i].ir_gsi = i;
	h = acpi_find_table("APIC");
	if (h != NULL)
		parse_madt(h);
	else
		printk("acpi: no MADT; running on one CPU without I/O APIC\n");
	h = acpi_find_table("MCFG");
	if (h != NULL)
		parse_mcfg(h);
}
