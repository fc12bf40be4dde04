/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * acpi.h: finding and validating ACPI tables (ACPI 6.4, chapter 5.2).
 */
#ifndef ARCH_X86_64_ACPI_H
#define ARCH_X86_64_ACPI_H

#include <stdint.h>

/* ACPI 6.4 5.2.6: the header every system description table starts with. */
struct acpi_sdt_header {
	char		sh_signature[4];
	uint32_t	sh_length;
	uint8_t		sh_revision;
	uint8_t		sh_checksum;
	char		sh_oem_id[6];
	char		sh_oem_table_id[8];
	uint32_t	sh_oem_revision;
	uint32_t	sh_creator_id;
	uint32_t	sh_creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "ACPI SDT header");

int	acpi_init(void);
const struct acpi_sdt_header *acpi_find_table(const char sig[4]);
const struct acpi_sdt_header *acpi_map_table(uint64_t pa);
int	acpi_poweroff(void);

#endif /* ARCH_X86_64_ACPI_H */
