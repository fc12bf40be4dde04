/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pci.c: configuration space access, bus enumeration, BARs, capabilities,
 * driver attach and the `lspci` command.
 *
 * Configuration space is reached through ECAM (PCI Express 3.0, 7.2.2)
 * when ACPI's MCFG describes it (q35), and through ports 0xCF8/0xCFC
 * (PCI Local Bus 3.0, 3.2.2.3.2) otherwise.  Enumeration starts at bus 0
 * and follows every PCI-to-PCI bridge to its secondary bus.  BARs are
 * sized by writing all ones with decoding off (6.2.5.1); 64-bit BARs take
 * two slots.  Memory BARs the firmware left at 0 (qboot assigns none) get
 * addresses from pci_assign.c's window, written with decoding off; devices
 * behind a bridge keep theirs unassigned (we program no bridge windows).
 * Memory BARs are mapped uncached on demand, wherever they are.
 *
 * Locking: pci_cf8_lock serialises the two-step CF8/CFC access (ECAM needs
 * none).  Enumeration and attach run once on the BSP before other CPUs
 * use the devices; the device table is read-only afterwards.
 */
#include <stddef.h>

#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/madt.h"
#include "arch/x86_64/paging.h"
#include "drivers/pci/pci.h"
#include "drivers/pci/pci_assign.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/shell.h"
#include "kernel/spinlock.h"

#define PCI_CF8_ADDR		0xcf8
#define PCI_CF8_DATA		0xcfc
#define PCI_CF8_ENABLE		0x80000000u
#define PCI_MAX_BUS		256
#define PCI_MAX_DEV		32
#define PCI_MAX_FN		8
#define PCI_HEADER_MULTIFN	0x80
#define PCI_HEADER_TYPE_MASK	0x7f
#define PCI_HEADER_BRIDGE	0x01
#define PCI_CLASS_BRIDGE_PCI	0x0604
#define ECAM_BUS_SHIFT		20
#define ECAM_DEV_SHIFT		15
#define ECAM_FN_SHIFT		12
#define BAR_IO			0x1
#define BAR_TYPE_MASK		0x6
#define BAR_TYPE_64		0x4
#define BAR_PREFETCH		0x8
#define BAR_IO_MASK		0xfffffffcu
#define BAR_MEM_MASK		0xfffffff0u
#define CAP_MAX_WALK		48	/* loop guard: 256 bytes / 4 */

static struct pci_dev pci_devs[PCI_MAX_DEVICES];
static int pci_ndevs;
static uint8_t *pci_ecam;	/* segment 0, bus 0 */
static uint8_t pci_ecam_bus_end;
static uint64_t pci_ecam_phys;
static struct spinlock pci_cf8_lock = SPINLOCK_INITIALIZER;
static uint32_t pci_bars_assigned;	/* by pci_assign_bars() */
static uint32_t pci_bars_unassigned;	/* left at 0: no room, bridge, size */

extern const struct pci_driver *const __pci_drivers_start[];
extern const struct pci_driver *const __pci_drivers_end[];

static volatile void *
ecam_addr(const struct pci_dev *pd, uint16_t off)
{
	if (pci_ecam == NULL || pd->pd_bus > pci_ecam_bus_end)
		return NULL;
	return pci_ecam + ((uint64_t)pd->pd_bus << ECAM_BUS_SHIFT |
	    (uint64_t)pd->pd_dev << ECAM_DEV_SHIFT |
	    (uint64_t)pd->pd_fn << ECAM_FN_SHIFT | off);
}

static uint32_t
cf8_addr(const struct pci_dev *pd, uint16_t off)
{
	return PCI_CF8_ENABLE | (uint32_t)pd->pd_bus << 16 |
	    (uint32_t)pd->pd_dev << 11 | (uint32_t)pd->pd_fn << 8 | (off & 0xfc);
}

uint32_t
pci_read32(const struct pci_dev *pd, uint16_t off)
{
	volatile void *a = ecam_addr(pd, off);
	uint32_t v;

	if (a != NULL)
		return *(volatile uint32_t *)a;
	spinlock_lock(&pci_cf8_lock);
	outl(PCI_CF8_ADDR, cf8_addr(pd, off));
	v = inl(PCI_CF8_DATA);
	spinlock_unlock(&pci_cf8_lock);
	return v;
}

void
pci_write32(const struct pci_dev *pd, uint16_t off, uint32_t v)
{
	volatile void *a = ecam_addr(pd, off);

	if (a != NULL) {
		*(volatile uint32_t *)a = v;
		return;
	}
	spinlock_lock(&pci_cf8_lock);
	outl(PCI_CF8_ADDR, cf8_addr(pd, off));
	outl(PCI_CF8_DATA, v);
	spinlock_unlock(&pci_cf8_lock);
}

uint16_t
pci_read16(const struct pci_dev *pd, uint16_t off)
{
	return (uint16_t)(pci_read32(pd, off & ~3) >> ((off & 2) * 8));
}

uint8_t
pci_read8(const struct pci_dev *pd, uint16_t off)
{
	return (uint8_t)(pci_read32(pd, off & ~3) >> ((off & 3) * 8));
}

void
pci_write16(const struct pci_dev *pd, uint16_t off, uint16_t v)
{
	uint32_t shift = (off & 2) * 8, old = pci_read32(pd, off & ~3);

	pci_write32(pd, off & ~3, (old & ~(0xffffu << shift)) |
	    (uint32_t)v << shift);
}

static void
size_bars(struct pci_dev *pd)
{
	uint16_t cmd = pci_read16(pd, PCI_COMMAND);
	uint32_t lo, hi, slo, shi;
	uint64_t mask;
	int i;

	pci_write16(pd, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO |
	    PCI_COMMAND_MEMORY));
	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &pd->pd_bar[i];
		uint16_t off = PCI_BAR0 + 4 * i;

		lo = pci_read32(pd, off);
		pci_write32(pd, off, 0xffffffffu);
		slo = pci_read32(pd, off);
		pci_write32(pd, off, lo);
		if (slo == 0)
			continue;
		if (lo & BAR_IO) {
			b->pb_io = true;
			b->pb_base = lo & BAR_IO_MASK;
			b->pb_size = (uint32_t)(~(slo & BAR_IO_MASK) + 1) &
			    0xffff;
			continue;
		}
		b->pb_prefetch = (lo & BAR_PREFETCH) != 0;
		mask = slo & BAR_MEM_MASK;
		b->pb_base = lo & BAR_MEM_MASK;
		if ((lo & BAR_TYPE_MASK) == BAR_TYPE_64 &&
		    i + 1 < PCI_NUM_BARS) {
			hi = pci_read32(pd, off + 4);
			pci_write32(pd, off + 4, 0xffffffffu);
			shi = pci_read32(pd, off + 4);
			pci_write32(pd, off + 4, hi);
			b->pb_64 = true;
			b->pb_base |= (uint64_t)hi << 32;
			mask |= (uint64_t)shi << 32;
			b->pb_size = ~mask + 1;
			i++;		/* the upper half is not a BAR */
		} else {
			b->pb_size = (uint32_t)(~(uint32_t)mask + 1);
		}
	}
	pci_write16(pd, PCI_COMMAND, cmd);
}

static void scan_bus(uint8_t bus, int depth);

static void
probe_fn(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
	struct pci_dev tmp = { .pd_bus = bus, .pd_dev = dev, .pd_fn = fn };
	struct pci_dev *pd;
	uint32_t v;

	v = pci_read32(&tmp, PCI_VENDOR_ID);
	if ((v & 0xffff) == PCI_VENDOR_NONE)
		return;
	if (pci_ndevs == PCI_MAX_DEVICES) {
		printk("pci: more than %d devices; %02x:%02x.%x ignored\n",
		    PCI_MAX_DEVICES, bus, dev, fn);
		return;
	}
	pd = &pci_devs[pci_ndevs++];
	*pd = tmp;
	pd->pd_vendor = v & 0xffff;
	pd->pd_device = v >> 16;
	pd->pd_class = pci_read32(pd, PCI_CLASS_REV) >> 8;
	pd->pd_header = pci_read8(pd, PCI_HEADER_TYPE);
	if ((pd->pd_header & PCI_HEADER_TYPE_MASK) == PCI_HEADER_BRIDGE) {
		if ((pd->pd_class >> 8) == PCI_CLASS_BRIDGE_PCI &&
		    pci_read8(pd, PCI_SECONDARY_BUS) > bus)
			scan_bus(pci_read8(pd, PCI_SECONDARY_BUS), depth + 1);
		return;
	}
	size_bars(pd);
}

static void
scan_bus(uint8_t bus, int depth)
{
	struct pci_dev tmp = { .pd_bus = bus };
	uint8_t dev, fn, nfn;

	if (depth >= PCI_MAX_BUS)
		return;
	for (dev = 0; dev < PCI_MAX_DEV; dev++) {
		tmp.pd_dev = dev;
		tmp.pd_fn = 0;
		if (pci_read16(&tmp, PCI_VENDOR_ID) == PCI_VENDOR_NONE)
			continue;
		nfn = (pci_read8(&tmp, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFN) ?
		    PCI_MAX_FN : 1;
		for (fn = 0; fn < nfn; fn++)
			probe_fn(bus, dev, fn, depth);
	}
}

/* The boot memory map and the ranges in use, for pci_mmio_window(). */
static int
pci_window(struct pci_range *win)
{
	static struct pci_memrange mm[BOOTINFO_MAX_MMAP];
	static struct pci_range busy[PCI_MAX_DEVICES * PCI_NUM_BARS + 1];
	size_t nmm, nbusy = 0;
	int i, b;

	for (nmm = 0; nmm < bootinfo.bi_nmmap; nmm++) {
		const struct bootinfo_mmap *m = &bootinfo.bi_mmap[nmm];

		mm[nmm].pm_base = m->bm_base;
		mm[nmm].pm_len = m->bm_len;
		mm[nmm].pm_ram = m->bm_type == BOOT_MEM_RAM ||
		    m->bm_type == BOOT_MEM_ACPI || m->bm_type == BOOT_MEM_NVS;
	}
	if (pci_ecam != NULL) {
		busy[nbusy].pr_base = pci_ecam_phys;
		busy[nbusy++].pr_end = pci_ecam_phys +
		    (((uint64_t)pci_ecam_bus_end + 1) << ECAM_BUS_SHIFT);
	}
	for (i = 0; i < pci_ndevs; i++)
		for (b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &pci_devs[i].pd_bar[b];

			if (bar->pb_io || bar->pb_size == 0 || bar->pb_base == 0)
				continue;
			busy[nbusy].pr_base = bar->pb_base;
			busy[nbusy++].pr_end = bar->pb_base + bar->pb_size;
		}
	return pci_mmio_window(mm, nmm, busy, nbusy, win);
}

/* Writes addr into memory BAR b of pd, decoding off meanwhile. */
static void
pci_set_bar(struct pci_dev *pd, int b, uint64_t addr)
{
	uint16_t cmd = pci_read16(pd, PCI_COMMAND);
	uint16_t off = PCI_BAR0 + 4 * b;
	uint32_t lo = pci_read32(pd, off);

	if (cmd & PCI_COMMAND_MEMORY)
		pci_write16(pd, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(pd, off, (uint32_t)addr | (lo & ~BAR_MEM_MASK));
	if (pd->pd_bar[b].pb_64)
		pci_write32(pd, off + 4, (uint32_t)(addr >> 32));
	if (cmd & PCI_COMMAND_MEMORY)
		pci_write16(pd, PCI_COMMAND, cmd);
	pd->pd_bar[b].pb_base = addr;
}

/*
 * Gives the memory BARs the firmware left at 0 an address (SeaBIOS
 * assigns all, qboot none).  I/O BARs stay unassigned: no driver uses
 * port I/O.  Boot, BSP, before any driver attaches.
 */
static void
pci_assign_bars(void)
{
	struct pci_want want[PCI_ASSIGN_MAX];
	struct pci_dev *owner[PCI_ASSIGN_MAX];
	int bar[PCI_ASSIGN_MAX];
	struct pci_range win;
	size_t n = 0, k;
	int i, b;

	for (i = 0; i < pci_ndevs; i++)
		for (b = 0; b < PCI_NUM_BARS; b++) {
			struct pci_dev *pd = &pci_devs[i];
			const struct pci_bar *pb = &pd->pd_bar[b];

			if (pb->pb_io || pb->pb_size == 0 || pb->pb_base != 0)
				continue;
			if (pd->pd_bus != 0 || n == PCI_ASSIGN_MAX) {
				printk("pci: %02x:%02x.%x bar%d unassigned (%s)"
				    "\n", pd->pd_bus, pd->pd_dev, pd->pd_fn, b,
				    pd->pd_bus != 0 ? "behind a bridge" :
				    "too many");
				pci_bars_unassigned++;
				continue;
			}
			want[n].pw_size = pb->pb_size;
			owner[n] = pd;
			bar[n++] = b;
		}
	if (n == 0)
		return;
	if (pci_window(&win) != 0) {
		printk("pci: no room below 4 GiB for %zu memory BARs; "
		    "unassigned\n", n);
		pci_bars_unassigned += (uint32_t)n;
		return;
	}
	pci_place_bars(&win, want, n);
	for (k = 0; k < n; k++) {
		struct pci_dev *pd = owner[k];

		if (want[k].pw_addr == 0) {
			printk("pci: %02x:%02x.%x bar%d size 0x%lx does not "
			    "fit 0x%lx-0x%lx; unassigned\n", pd->pd_bus,
			    pd->pd_dev, pd->pd_fn, bar[k], want[k].pw_size,
			    win.pr_base, win.pr_end);
			pci_bars_unassigned++;
			continue;
		}
		pci_set_bar(pd, bar[k], want[k].pw_addr);
		pci_bars_assigned++;
	}
	printk("pci: assigned %u memory BARs in 0x%lx-0x%lx\n",
	    pci_bars_assigned, win.pr_base, win.pr_end);
}

void
pci_init(void)
{
	uint32_t i;

	for (i = 0; i < platform.pi_nmcfg; i++) {
		const struct mcfg_region *r = &platform.pi_mcfg[i];

		if (r->mr_segment != 0 || r->mr_bus_start != 0)
			continue;
		pci_ecam = vm_map_mmio(r->mr_base,
		    ((uint64_t)r->mr_bus_end + 1) << ECAM_BUS_SHIFT);
		pci_ecam_phys = r->mr_base;
		pci_ecam_bus_end = r->mr_bus_end;
		break;
	}
	scan_bus(0, 0);
	pci_assign_bars();
	printk("pci: %d devices, config access %s\n", pci_ndevs,
	    pci_ecam != NULL ? "ECAM" : "CF8");
}

/* Enables memory decoding and bus mastering; turns INTx off (MSI-X only). */
void
pci_enable(struct pci_dev *pd)
{
	pci_write16(pd, PCI_COMMAND, pci_read16(pd, PCI_COMMAND) |
	    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
}

/* Maps memory BAR bar uncached (once); NULL for an I/O or empty BAR. */
void *
pci_bar_map(struct pci_dev *pd, int bar)
{
	struct pci_bar *b;

	if (bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	b = &pd->pd_bar[bar];
	if (b->pb_io || b->pb_size == 0 || b->pb_base == 0)
		return NULL;
	if (b->pb_map == NULL)
		b->pb_map = vm_map_mmio(b->pb_base, b->pb_size);
	return b->pb_map;
}

/*
 * Offset of the first capability with id after offset from (0: from the
 * start), or -ENOENT.  The walk is bounded against malformed lists.
 */
int
pci_find_cap(const struct pci_dev *pd, uint8_t id, int from)
{
	uint8_t off;
	int n;

	if ((pci_read16(pd, PCI_STATUS) & PCI_STATUS_CAP_LIST) == 0)
		return -ENOENT;
	off = from == 0 ? pci_read8(pd, PCI_CAP_PTR) :
	    pci_read8(pd, (uint16_t)(from + 1));
	for (n = 0; off >= 0x40 && n < CAP_MAX_WALK; n++) {
		off &= 0xfc;
		if (pci_read8(pd, off) == id)
			return off;
		off = pci_read8(pd, off + 1);
	}
	return -ENOENT;
}

void
pci_attach_drivers(void)
{
	const struct pci_driver *const *d;
	int i;

	for (i = 0; i < pci_ndevs; i++) {
		struct pci_dev *pd = &pci_devs[i];

		for (d = __pci_drivers_start; d < __pci_drivers_end; d++) {
			if (!(*d)->pdr_match(pd))
				continue;
			if ((*d)->pdr_attach(pd) == 0) {
				pd->pd_driver = (*d)->pdr_name;
				break;
			}
		}
	}
}

static int
cmd_lspci(int argc, char **argv)
{
	int i, b, cap;

	(void)argc;
	(void)argv;
	for (i = 0; i < pci_ndevs; i++) {
		const struct pci_dev *pd = &pci_devs[i];

		printk("%02x:%02x.%x %04x:%04x class %06x%s%s\n", pd->pd_bus,
		    pd->pd_dev, pd->pd_fn, pd->pd_vendor, pd->pd_device,
		    pd->pd_class, pd->pd_driver != NULL ? " driver " : "",
		    pd->pd_driver != NULL ? pd->pd_driver : "");
		for (b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &pd->pd_bar[b];

			if (bar->pb_size == 0)
				continue;
			printk("    bar%d %s 0x%lx size 0x%lx%s%s\n", b,
			    bar->pb_io ? "io" : "mem", bar->pb_base,
			    bar->pb_size, bar->pb_64 ? " 64-bit" : "",
			    bar->pb_prefetch ? " prefetch" : "");
		}
		if ((pci_read16(pd, PCI_STATUS) & PCI_STATUS_CAP_LIST) == 0)
			continue;
		printk("    caps");
		for (cap = pci_read8(pd, PCI_CAP_PTR), b = 0;
		    cap >= 0x40 && b < CAP_MAX_WALK;
		    cap = pci_read8(pd, (uint16_t)(cap + 1)), b++)
			printk(" 0x%02x@0x%02x", pci_read8(pd, (uint16_t)cap),
			    cap);
		printk("\n");
	}
	return 0;
}
SHELL_CMD(lspci, "PCI devices: vendor:device, class, BARs, capabilities",
    cmd_lspci);
