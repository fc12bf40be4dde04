/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pci_assign.h: addresses for memory BARs the firmware left unassigned.
 * Pure logic (no device access), unit-tested on the host.
 */
#ifndef DRIVERS_PCI_PCI_ASSIGN_H
#define DRIVERS_PCI_PCI_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The 32-bit MMIO window ends at the I/O APIC's conventional base; the
 * I/O APIC, HPET, LAPIC and firmware flash live above it on every PC.
 */
#define PCI_MMIO32_LIMIT	0xfec00000ull
#define PCI_MMIO_WINDOW_ALIGN	(1ull << 20)	/* the window starts on 1 MiB */
#define PCI_BAR_MIN_ALIGN	4096ull		/* a BAR per page at least */
#define PCI_BAR_MEM_MIN		16ull		/* PCI 3.0 6.2.5.1 */
#define PCI_ASSIGN_MAX		64		/* BARs placed in one call */

/* [pr_base, pr_end): a range of physical addresses. */
struct pci_range {
	uint64_t	pr_base;
	uint64_t	pr_end;
};

/* One entry of the boot memory map, as pci_mmio_window() reads it. */
struct pci_memrange {
	uint64_t	pm_base;
	uint64_t	pm_len;
	int		pm_ram;		/* RAM or ACPI memory, not reserved */
};

/* A BAR to place: its size in, its address out (0: did not fit). */
struct pci_want {
	uint64_t	pw_size;
	uint64_t	pw_addr;
};

int	pci_mmio_window(const struct pci_memrange *mm, size_t nmm,
	    const struct pci_range *busy, size_t nbusy,
	    struct pci_range *win);
size_t	pci_place_bars(const struct pci_range *win, struct pci_want *w,
	    size_t n);
int	pci_bar_size_ok(uint64_t size);

#endif /* DRIVERS_PCI_PCI_ASSIGN_H */
