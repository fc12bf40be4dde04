/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ioapic.c: the 8259 PICs (remapped and masked for good) and the I/O APICs.
 *
 * pic_disable() reinitialises both 8259s (ICW1-ICW4) so their vectors land
 * at VEC_PIC_BASE instead of on top of the CPU exceptions, then masks every
 * line.  ioapic_init() maps each I/O APIC from the MADT and masks all its
 * redirection entries; ioapic_route_isa() then routes one ISA IRQ, through
 * the interrupt source overrides, to a vector on one CPU (82093AA data
 * sheet, 3.2.4: redirection table).
 *
 * Locking: ioapic_lock serialises the IOREGSEL/IOWIN register pairs.
 */
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/madt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/vectors.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/spinlock.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define ICW1_INIT_ICW4	0x11
#define ICW3_SLAVE_AT2	0x04
#define ICW3_CASCADE_ID	0x02
#define ICW4_8086	0x01
#define PIC_MASK_ALL	0xff
#define PIC_SLAVE_OFF	8

#define IOAPIC_MMIO_LEN	0x20
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_VER	0x01
#define IOAPIC_REDTBL	0x10
#define VER_MAXREDIR_SHIFT 16
#define VER_MAXREDIR_MASK 0xff

#define RTE_MASKED	(1u << 16)
#define RTE_LEVEL	(1u << 15)
#define RTE_ACTIVE_LOW	(1u << 13)
#define RTE_DEST_SHIFT	24	/* in the high dword */
#define RTE_DEST_MAX	0xff	/* physical mode, no interrupt remapping */

struct ioapic {
	volatile uint32_t	*io_regs;
	uint32_t		io_gsi_base;
	uint32_t		io_npins;
};

static struct ioapic ioapics[MADT_MAX_IOAPICS];
static uint32_t nioapics;
static struct spinlock ioapic_lock = SPINLOCK_INITIALIZER;

void
pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, VEC_PIC_BASE);
	outb(PIC2_DATA, VEC_PIC_BASE + PIC_SLAVE_OFF);
	outb(PIC1_DATA, ICW3_SLAVE_AT2);
	outb(PIC2_DATA, ICW3_CASCADE_ID);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, PIC_MASK_ALL);
	outb(PIC2_DATA, PIC_MASK_ALL);
}

static uint32_t
ioapic_read(struct ioapic *io, uint32_t reg)
{
	io->io_regs[IOREGSEL / sizeof(uint32_t)] = reg;
	return io->io_regs[IOWIN / sizeof(uint32_t)];
}

static void
ioapic_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->io_regs[IOREGSEL / sizeof(uint32_t)] = reg;
	io->io_regs[IOWIN / sizeof(uint32_t)] = v;
}

int
ioapic_init(void)
{
	uint32_t i, pin;

	for (i = 0; i < platform.pi_nioapics; i++) {
		struct ioapic *io = &ioapics[nioapics];

		io->io_regs = vm_map_mmio(platform.pi_ioapics[i].mi_addr,
		    IOAPIC_MMIO_LEN);
		if (io->io_regs == NULL)
			continue;
		io->io_gsi_base = platform.pi_ioapics[i].mi_gsi_base;
		io->io_npins = ((ioapic_read(io, IOAPIC_VER) >>
		    VER_MAXREDIR_SHIFT) & VER_MAXREDIR_MASK) + 1;
		for (pin = 0; pin < io->io_npins; pin++)
			ioapic_write(io, IOAPIC_REDTBL + 2 * pin, RTE_MASKED);
		nioapics++;
	}
	return nioapics > 0 ? 0 : -ENODEV;
}

/* Routes ISA IRQ irq to vector on the CPU with APIC id dest_apic. */
int
ioapic_route_isa(unsigned irq, uint8_t vector, uint32_t dest_apic)
{
	const struct isa_route *r;
	struct ioapic *io = NULL;
	uint32_t i, pin, lo;

	if (irq >= ISA_IRQS || dest_apic > RTE_DEST_MAX)
		return -EINVAL;
	r = &platform.pi_isa[irq];
	for (i = 0; i < nioapics; i++)
		if (r->ir_gsi >= ioapics[i].io_gsi_base &&
		    r->ir_gsi < ioapics[i].io_gsi_base + ioapics[i].io_npins)
			io = &ioapics[i];
	if (io == NULL)
		return -ENODEV;
	pin = r->ir_gsi - io->io_gsi_base;
	lo = vector | (r->ir_level ? RTE_LEVEL : 0) |
	    (r->ir_active_low ? RTE_ACTIVE_LOW : 0);
	spinlock_lock(&ioapic_lock);
	ioapic_write(io, IOAPIC_REDTBL + 2 * pin + 1,
	    dest_apic << RTE_DEST_SHIFT);
	ioapic_write(io, IOAPIC_REDTBL + 2 * pin, lo);
	spinlock_unlock(&ioapic_lock);
	return 0;
}
