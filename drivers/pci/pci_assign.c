/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pci_assign.c: where to put the memory BARs the firmware left at 0.
 *
 * SeaBIOS assigns every BAR before the kernel runs; a minimal firmware
 * (qboot, which the direct boots use because it starts ~0.1 s sooner)
 * assigns none, so the kernel must, as Linux does for resources the
 * firmware left unassigned (pci_assign_unassigned_resources).  Without
 * ACPI's _CRS (we read no AML) the window is derived from what the boot
 * memory map and the device table say is taken:
 *
 *  - it starts above the last RAM or ACPI memory below 4 GiB, above every
 *    range in use (ECAM, BARs already assigned), aligned to 1 MiB;
 *  - it ends at PCI_MMIO32_LIMIT (0xfec00000, the I/O APIC, above which
 *    sit the HPET, the LAPIC and the flash), or earlier at the first
 *    reserved region of the map that starts inside it.
 *
 * On QEMU's pc and q35 machines that is inside the PCI hole the host
 * bridge decodes (pc: from the top of low RAM; q35: above the 256 MiB ECAM
 * at 0xb0000000).  BARs are placed largest first, each naturally aligned
 * and on a page of its own, so small BARs map without sharing a page.
 * Sizes come from the device, so they are checked: a power of two from 16
 * bytes up, that fits the window; others are left unassigned.
 *
 * Locking: pure functions over their arguments.
 */
#include "drivers/pci/pci_assign.h"

#define FOUR_GIB	(1ull << 32)

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Whether size is one a memory BAR can have (decoded from the device). */
int
pci_bar_size_ok(uint64_t size)
{
	return size >= PCI_BAR_MEM_MIN && (size & (size - 1)) == 0 &&
	    size <= PCI_MMIO32_LIMIT;
}

/*
 * The 32-bit MMIO window, from the memory map mm and the ranges in use
 * (busy); 0, or -1 when nothing is left below PCI_MMIO32_LIMIT.
 */
int
pci_mmio_window(const struct pci_memrange *mm, size_t nmm,
    const struct pci_range *busy, size_t nbusy, struct pci_range *win)
{
	uint64_t base = 0, end = PCI_MMIO32_LIMIT, e;
	size_t i;

	for (i = 0; i < nmm; i++) {
		e = mm[i].pm_base + mm[i].pm_len;
		if (e < mm[i].pm_base)		/* wraps: the rest of memory */
			e = UINT64_MAX;
		if (mm[i].pm_ram && mm[i].pm_base < FOUR_GIB && e > base)
			base = e;
	}
	for (i = 0; i < nbusy; i++)
		if (busy[i].pr_base < PCI_MMIO32_LIMIT && busy[i].pr_end > base)
			base = busy[i].pr_end;
	if (base > PCI_MMIO32_LIMIT)
		return -1;
	base = align_up(base, PCI_MMIO_WINDOW_ALIGN);
	for (i = 0; i < nmm; i++)
		if (!mm[i].pm_ram && mm[i].pm_base >= base &&
		    mm[i].pm_base < end)
			end = mm[i].pm_base;
	if (base >= end)
		return -1;
	win->pr_base = base;
	win->pr_end = end;
	return 0;
}

/*
 * Places the n BARs of w inside win, largest first; returns how many got
 * an address.  The others keep pw_addr 0 (bad size, or no room).
 */
size_t
pci_place_bars(const struct pci_range *win, struct pci_want *w, size_t n)
{
	size_t order[PCI_ASSIGN_MAX], i, j, k, placed = 0;
	uint64_t next = win->pr_base, a, step;

	if (n > PCI_ASSIGN_MAX)
		n = PCI_ASSIGN_MAX;
	for (i = 0; i < n; i++) {		/* insertion sort, largest first */
		w[i].pw_addr = 0;
		for (j = i; j > 0 && w[order[j - 1]].pw_size < w[i].pw_size;
		    j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n; i++) {
		k = order[i];
		if (!pci_bar_size_ok(w[k].pw_size))
			continue;
		step = w[k].pw_size < PCI_BAR_MIN_ALIGN ? PCI_BAR_MIN_ALIGN :
		    w[k].pw_size;
		a = align_up(next, step);
		if (a < next || a > win->pr_end || win->pr_end - a < step)
			continue;
		w[k].pw_addr = a;
		next = a + step;
		placed++;
	}
	return placed;
}
