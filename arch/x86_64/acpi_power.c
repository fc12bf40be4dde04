/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * acpi_power.c: power the machine off through ACPI S5.
 *
 * From the FADT (ACPI 6.4 5.2.9) we take the PM1a/PM1b control blocks,
 * SMI_CMD/ACPI_ENABLE and the DSDT.  The S5 sleep type comes from the
 * DSDT's \_S5_ package (ACPI 6.4 7.4.2, encoded as AML: NameOp "_S5_"
 * PackageOp PkgLength NumElements, then SLP_TYPa as a ZeroOp, OneOp or
 * BytePrefix constant).  Without one we use QEMU's value, 0 (QEMU's PIIX4
 * and ICH9 PM treat SLP_TYP 0 as soft-off).  Writing SLP_TYPa | SLP_EN to
 * PM1a_CNT (ACPI 6.4 4.8.3.2.1) then switches the machine off, which makes
 * QEMU exit with status 0.
 *
 * Locking: none; poweroff is a one-way operation from the shell.
 */
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/libc.h"

#define FADT_OFF_DSDT		40
#define FADT_OFF_SMI_CMD	48
#define FADT_OFF_ACPI_ENABLE	52
#define FADT_OFF_PM1A_CNT	64
#define FADT_OFF_PM1B_CNT	68
#define FADT_OFF_X_DSDT		140
#define FADT_OFF_X_PM1A_CNT	172	/* generic address structure */
#define GAS_OFF_SPACE		0
#define GAS_OFF_ADDRESS		4
#define GAS_SPACE_SYSIO		1
#define FADT_MIN_LEN		(FADT_OFF_PM1B_CNT + 4)
#define FADT_X_DSDT_LEN		(FADT_OFF_X_DSDT + 8)
#define FADT_X_PM1A_LEN		(FADT_OFF_X_PM1A_CNT + 12)

#define PM1_SCI_EN		(1u << 0)
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_EN		(1u << 13)
#define QEMU_S5_SLP_TYP		0

#define AML_NAME_OP		0x08
#define AML_PACKAGE_OP		0x12
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_BYTE_PREFIX		0x0a
#define AML_PKGLEN_FOLLOW(b)	(((b) >> 6) & 3)

#define ACPI_ENABLE_SPIN	1000000
#define POWEROFF_SPIN		100000000

static uint32_t
rd32(const struct acpi_sdt_header *h, size_t off)
{
	return *(const uint32_t *)((const uint8_t *)h + off);
}

static uint64_t
rd64(const struct acpi_sdt_header *h, size_t off)
{
	return *(const uint64_t *)((const uint8_t *)h + off);
}

/* Finds SLP_TYPa in \_S5_; returns -1 if the DSDT has no usable one. */
static int
dsdt_s5_typ(const struct acpi_sdt_header *dsdt)
{
	const uint8_t *aml = (const uint8_t *)dsdt;
	size_t len = dsdt->sh_length, i, p;

	for (i = sizeof(*dsdt) + 1; i + 4 + 8 <= len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		if (aml[i - 1] != AML_NAME_OP &&
		    !(aml[i - 1] == '\\' && aml[i - 2] == AML_NAME_OP))
			continue;
		p = i + 4;
		if (aml[p++] != AML_PACKAGE_OP)
			continue;
		p += 1 + AML_PKGLEN_FOLLOW(aml[p]);	/* PkgLength */
		p++;					/* NumElements */
		switch (aml[p]) {
		case AML_ZERO_OP:
			return 0;
		case AML_ONE_OP:
			return 1;
		case AML_BYTE_PREFIX:
			return aml[p + 1];
		default:
			return -1;
		}
	}
	return -1;
}

/* Enables ACPI mode if the firmware left it off (ACPI 6.4 4.8.2.1). */
static void
acpi_enable_mode(const struct acpi_sdt_header *fadt, uint16_t pm1a)
{
	uint32_t smi = rd32(fadt, FADT_OFF_SMI_CMD);
	uint8_t en = *((const uint8_t *)fadt + FADT_OFF_ACPI_ENABLE);
	int spin;

	if ((inw(pm1a) & PM1_SCI_EN) || smi == 0 || en == 0)
		return;
	outb(smi, en);
	for (spin = 0; spin < ACPI_ENABLE_SPIN; spin++)
		if (inw(pm1a) & PM1_SCI_EN)
			return;
}

/* Does not return on success; returns -ENODEV or -EIO on failure. */
int
acpi_poweroff(void)
{
	const struct acpi_sdt_header *fadt, *dsdt = NULL;
	uint64_t pm1a, pm1b, dsdt_pa;
	int typ, spin;

	fadt = acpi_find_table("FACP");
	if (fadt == NULL || fadt->sh_length < FADT_MIN_LEN) {
		printk("poweroff: no usable FADT\n");
		return -ENODEV;
	}
	pm1a = rd32(fadt, FADT_OFF_PM1A_CNT);
	pm1b = rd32(fadt, FADT_OFF_PM1B_CNT);
	if (pm1a == 0 && fadt->sh_length >= FADT_X_PM1A_LEN &&
	    *((const uint8_t *)fadt + FADT_OFF_X_PM1A_CNT + GAS_OFF_SPACE) ==
	    GAS_SPACE_SYSIO)
		pm1a = rd64(fadt, FADT_OFF_X_PM1A_CNT + GAS_OFF_ADDRESS);
	if (pm1a == 0) {
		printk("poweroff: FADT has no PM1a control block\n");
		return -ENODEV;
	}
	dsdt_pa = rd32(fadt, FADT_OFF_DSDT);
	if (fadt->sh_length >= FADT_X_DSDT_LEN && rd64(fadt, FADT_OFF_X_DSDT))
		dsdt_pa = rd64(fadt, FADT_OFF_X_DSDT);
	if (dsdt_pa != 0)
		dsdt = acpi_map_table(dsdt_pa);
	typ = dsdt != NULL ? dsdt_s5_typ(dsdt) : -1;
	if (typ < 0)
		typ = QEMU_S5_SLP_TYP;

	printk("poweroff: ACPI S5\n");
	acpi_enable_mode(fadt, pm1a);
	outw(pm1a, (uint16_t)((typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN));
	if (pm1b != 0)
		outw(pm1b, (uint16_t)((typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN));
	for (spin = 0; spin < POWEROFF_SPIN; spin++)
		cpu_relax();
	printk("poweroff: the machine is still running\n");
	return -EIO;
}
