/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * acpi.c: find the RSDP, walk the XSDT (or RSDT) and hand out validated
 * tables by signature.
 *
 * The RSDP comes from the boot loader (PVH start info, Multiboot2 tag) or,
 * failing that, from the BIOS scan of ACPI 6.4 5.2.5.1: the first KiB of
 * the EBDA and 0xE0000-0xFFFFF, on 16-byte boundaries.  Every table's
 * checksum is verified and its length bounded before use; a bad table is
 * reported once and skipped, never trusted.  Tables are mapped write-back
 * through the identity map on demand.
 *
 * Locking: acpi_init() runs on the BSP before other CPUs start; the table
 * list is read-only afterwards.
 */
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/paging.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/libc.h"

#define RSDP_SIG		"RSD PTR "
#define RSDP_V1_LEN		20
#define RSDP_OFF_REVISION	15
#define RSDP_OFF_RSDT		16
#define RSDP_OFF_LENGTH		20
#define RSDP_OFF_XSDT		24
#define RSDP_V2_LEN		36
#define EBDA_SEG_PTR		0x40e	/* BIOS data area: EBDA segment */
#define EBDA_SCAN_LEN		1024
#define BIOS_ROM_START		0xe0000
#define BIOS_ROM_END		0x100000
#define RSDP_ALIGN		16
#define ACPI_TABLE_MAX_LEN	(1u << 20)	/* sanity bound */
#define ACPI_MAX_TABLES		64

static const struct acpi_sdt_header *acpi_tables[ACPI_MAX_TABLES];
static size_t acpi_ntables;

static uint8_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static bool
rsdp_valid(const uint8_t *p)
{
	if (memcmp(p, RSDP_SIG, 8) != 0 || checksum(p, RSDP_V1_LEN) != 0)
		return false;
	if (p[RSDP_OFF_REVISION] >= 2 &&
	    checksum(p, *(const uint32_t *)(p + RSDP_OFF_LENGTH)) != 0)
		return false;
	return true;
}

static const uint8_t *
rsdp_scan(uint64_t start, uint64_t end)
{
	uint64_t a;

	for (a = start; a + RSDP_V1_LEN <= end; a += RSDP_ALIGN)
		if (rsdp_valid((const uint8_t *)(uintptr_t)a))
			return (const uint8_t *)(uintptr_t)a;
	return NULL;
}

static const uint8_t *
rsdp_find(void)
{
	uint64_t ebda;
	const uint8_t *p;
	if (bootinfo.bi_rsdp != 0 &&
	    rsdp_valid((const uint8_t *)(uintptr_t)bootinfo.bi_rsdp))
		return (const uint8_t *)(uintptr_t)bootinfo.bi_rsdp;
	uintptr_t bda = EBDA_SEG_PTR;

	/* Hide the constant address from the compiler's bounds checks. */
	__asm__("" : "+r"(bda));
	ebda = (uint64_t)*(const volatile uint16_t *)bda << 4;
	if (ebda != 0 && ebda < BIOS_ROM_END &&
	    (p = rsdp_scan(ebda, ebda + EBDA_SCAN_LEN)) != NULL)
		return p;
	return rsdp_scan(BIOS_ROM_START, BIOS_ROM_END);
}

/* Maps a table and checks its length and checksum.  NULL if bad. */
const struct acpi_sdt_header *
acpi_map_table(uint64_t pa)
{
	const struct acpi_sdt_header *h;

	if (pa == 0 || vm_map_range(pa, sizeof(*h), VM_WB) != 0)
		return NULL;
	h = (const struct acpi_sdt_header *)(uintptr_t)pa;
	if (h->sh_length < sizeof(*h) || h->sh_length > ACPI_TABLE_MAX_LEN)
		return NULL;
	if (vm_map_range(pa, h->sh_length, VM_WB) != 0)
		return NULL;
	if (checksum(h, h->sh_length) != 0) {
		printk("acpi: table %.4s at 0x%lx: bad checksum, ignored\n",
		    h->sh_signature, pa);
		return NULL;
	}
	return h;
}

/* Returns 0, or -ENOENT when there is no usable RSDP or root table. */
int
acpi_init(void)
{
	const struct acpi_sdt_header *root, *t;
	const uint8_t *rsdp, *ents;
	size_t entsz, n, i;
	uint64_t pa;

	rsdp = rsdp_find();
	if (rsdp == NULL) {
		printk("acpi: no RSDP found\n");
		return -ENOENT;
	}
	pa = *(const uint32_t *)(rsdp + RSDP_OFF_RSDT);
	entsz = sizeof(uint32_t);
	if (rsdp[RSDP_OFF_REVISION] >= 2 &&
	    *(const uint64_t *)(rsdp + RSDP_OFF_XSDT) != 0) {
		pa = *(const uint64_t *)(rsdp + RSDP_OFF_XSDT);
		entsz = sizeof(uint64_t);
	}
	root = acpi_map_table(pa);
	if (root == NULL) {
		printk("acpi: root table at 0x%lx is unusable\n", pa);
		return -ENOENT;
	}
	ents = (const uint8_t *)(root + 1);
	n = (root->sh_length - sizeof(*root)) / entsz;
	for (i = 0; i < n && acpi_ntables < ACPI_MAX_TABLES; i++) {
		pa = entsz == sizeof(uint64_t) ?
		    *(const uint64_t *)(ents + i * entsz) :
		    *(const uint32_t *)(ents + i * entsz);
		if ((t = acpi_map_table(pa)) != NULL)
			acpi_tables[acpi_ntables++] = t;
	}
	return 0;
}

const struct acpi_sdt_header *
acpi_find_table(const char sig[4])
{
	size_t i;

	for (i = 0; i < acpi_ntables; i++)
		if (memcmp(acpi_tables[i]->sh_signature, sig, 4) == 0)
			return acpi_tables[i];
	return NULL;
}
