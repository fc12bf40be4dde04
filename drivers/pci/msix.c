/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msix.c: MSI-X (PCI Local Bus 3.0, 6.8.2).
 *
 * pci_msix_init() finds the capability and maps the vector table from its
 * BAR; pci_msix_set() programs one entry with an x86 message (SDM 10.11.1:
 * address 0xFEE00000 | destination APIC id << 12, physical mode; data =
 * the vector, fixed delivery, edge) and unmasks it; pci_msix_enable() sets
 * MSI-X Enable with the function mask clear.  Vectors come from
 * vector_alloc() (arch/x86_64/trap.c).
 *
 * Locking: a device's table is programmed by its driver during attach on
 * the BSP, before the device is enabled; no lock.
 */
#include <stddef.h>

#include "drivers/pci/pci.h"
#include "kernel/errno.h"

#define MSIX_CTRL		2
#define MSIX_TABLE		4
#define MSIX_CTRL_SIZE_MASK	0x7ff
#define MSIX_CTRL_MASKALL	(1u << 14)
#define MSIX_CTRL_ENABLE	(1u << 15)
#define MSIX_BIR_MASK		0x7
#define MSIX_ENTRY_WORDS	4	/* addr lo, addr hi, data, control */
#define MSIX_ENTRY_ADDR_LO	0
#define MSIX_ENTRY_ADDR_HI	1
#define MSIX_ENTRY_DATA		2
#define MSIX_ENTRY_CTRL		3
#define MSIX_ENTRY_MASKED	1u
#define MSI_ADDR_BASE		0xfee00000u
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_DEST_MAX		0xff	/* without interrupt remapping */

int
pci_msix_init(struct pci_dev *pd, struct pci_msix *pm)
{
	uint32_t tbl;
	uint8_t *bar;
	int cap;

	cap = pci_find_cap(pd, PCI_CAP_MSIX, 0);
	if (cap < 0)
		return -ENODEV;
	tbl = pci_read32(pd, (uint16_t)(cap + MSIX_TABLE));
	bar = pci_bar_map(pd, tbl & MSIX_BIR_MASK);
	if (bar == NULL)
		return -ENODEV;
	pm->pm_dev = pd;
	pm->pm_cap = cap;
	pm->pm_nvec = (pci_read16(pd, (uint16_t)(cap + MSIX_CTRL)) &
	    MSIX_CTRL_SIZE_MASK) + 1;
	pm->pm_table = (volatile uint32_t *)(bar + (tbl & ~MSIX_BIR_MASK));
	return 0;
}

int
pci_msix_set(struct pci_msix *pm, uint16_t entry, uint8_t vector,
    uint32_t dest_apic)
{
	volatile uint32_t *e;

	if (entry >= pm->pm_nvec || dest_apic > MSI_DEST_MAX)
		return -EINVAL;
	e = pm->pm_table + (size_t)entry * MSIX_ENTRY_WORDS;
	e[MSIX_ENTRY_CTRL] = MSIX_ENTRY_MASKED;
	e[MSIX_ENTRY_ADDR_LO] = MSI_ADDR_BASE |
	    dest_apic << MSI_ADDR_DEST_SHIFT;
	e[MSIX_ENTRY_ADDR_HI] = 0;
	e[MSIX_ENTRY_DATA] = vector;
	e[MSIX_ENTRY_CTRL] = 0;
	return 0;
}

void
pci_msix_enable(struct pci_msix *pm)
{
	uint16_t off = (uint16_t)(pm->pm_cap + MSIX_CTRL);
	uint16_t ctrl = pci_read16(pm->pm_dev, off);

	ctrl &= ~MSIX_CTRL_MASKALL;
	pci_write16(pm->pm_dev, off, ctrl | MSIX_CTRL_ENABLE);
}
