/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_pci_assign.c: host tests for drivers/pci/pci_assign.c.
 *
 * The window: above RAM and ACPI memory below 4 GiB and above ranges in
 * use, aligned to 1 MiB, ending at 0xfec00000 or at a reserved region
 * inside; none when nothing is left.  The memory maps are the ones qboot
 * gives QEMU's pc and q35 machines with -m 256M.  Placement: the BARs of
 * a virtio-net device land where the boot log shows them; bad sizes and
 * BARs that do not fit stay at 0; 64 random BARs never overlap, are
 * naturally aligned, lie inside the window, and the count returned is the
 * number with an address.
 */
#include <check.h>
#include <stdlib.h>

#include "drivers/pci/pci_assign.h"

#define MIB		(1ull << 20)
#define RAM_256M	0x10000000ull
#define Q35_ECAM	0xb0000000ull
#define Q35_ECAM_END	0xc0000000ull

static const struct pci_memrange map_256m[] = {
	{ 0x0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 0 },
	{ 0xf0000, 0x10000, 0 },
	{ 0x100000, RAM_256M - 0x100000, 1 },
	{ 0xfeffc000, 0x4000, 0 },
	{ 0xfffc0000, 0x40000, 0 },
};
#define NMAP	(sizeof(map_256m) / sizeof(map_256m[0]))

START_TEST(test_window_pc)
{
	struct pci_range w;

	ck_assert_int_eq(pci_mmio_window(map_256m, NMAP, NULL, 0, &w), 0);
	ck_assert_uint_eq(w.pr_base, RAM_256M);
	ck_assert_uint_eq(w.pr_end, PCI_MMIO32_LIMIT);
}
END_TEST

START_TEST(test_window_q35_above_ecam)
{
	struct pci_range ecam = { Q35_ECAM, Q35_ECAM_END }, w;

	ck_assert_int_eq(pci_mmio_window(map_256m, NMAP, &ecam, 1, &w), 0);
	ck_assert_uint_eq(w.pr_base, Q35_ECAM_END);
	ck_assert_uint_eq(w.pr_end, PCI_MMIO32_LIMIT);
}
END_TEST

START_TEST(test_window_edges)
{
	struct pci_memrange m[3] = {
		{ 0x100000, 0x0fefe000, 1 },	/* ends at 0xfffe000 */
		{ 0xfe000000, 0x1000, 0 },	/* reserved inside */
		{ 0x100000000ull, 0x40000000, 1 },	/* above 4 GiB */
	};
	struct pci_range busy = { 0x20000000, 0x20004000 }, w;

	ck_assert_int_eq(pci_mmio_window(m, 3, NULL, 0, &w), 0);
	ck_assert_uint_eq(w.pr_base, 0x10000000);	/* 1 MiB aligned */
	ck_assert_uint_eq(w.pr_end, 0xfe000000);	/* the reserved one */
	ck_assert_int_eq(pci_mmio_window(m, 3, &busy, 1, &w), 0);
	ck_assert_uint_eq(w.pr_base, 0x20100000);	/* above the busy BAR */

	/* RAM up to the limit, or past it: nothing left. */
	m[0].pm_len = PCI_MMIO32_LIMIT - 0x100000;
	ck_assert_int_eq(pci_mmio_window(m, 1, NULL, 0, &w), -1);
	m[0].pm_len = 0xffffffffull;
	ck_assert_int_eq(pci_mmio_window(m, 1, NULL, 0, &w), -1);
	/* A length that wraps is the rest of memory, not a small range. */
	m[0].pm_len = UINT64_MAX;
	ck_assert_int_eq(pci_mmio_window(m, 1, NULL, 0, &w), -1);
}
END_TEST

START_TEST(test_place_virtio_net)
{
	struct pci_range w = { Q35_ECAM_END, PCI_MMIO32_LIMIT };
	/* virtio-net bar1 (MSI-X, 4 KiB), bar4 (16 KiB), ahci bar5 (4 KiB) */
	struct pci_want b[3] = { { 0x1000, 1 }, { 0x4000, 1 }, { 0x1000, 1 } };

	ck_assert_uint_eq(pci_place_bars(&w, b, 3), 3);
	ck_assert_uint_eq(b[1].pw_addr, 0xc0000000);
	ck_assert_uint_eq(b[0].pw_addr, 0xc0004000);
	ck_assert_uint_eq(b[2].pw_addr, 0xc0005000);
}
END_TEST

START_TEST(test_place_bad_and_full)
{
	struct pci_range small = { 0x10000000, 0x10002000 };
	struct pci_want b[6] = {
		{ 0, 1 }, { 3, 1 }, { 0x3000, 1 },	/* not powers of two */
		{ 8, 1 },				/* under 16 bytes */
		{ 0x4000, 1 },				/* larger than room */
		{ 16, 1 },				/* takes a page */
	};

	ck_assert_uint_eq(pci_place_bars(&small, b, 6), 1);
	ck_assert_uint_eq(b[0].pw_addr, 0);
	ck_assert_uint_eq(b[1].pw_addr, 0);
	ck_assert_uint_eq(b[2].pw_addr, 0);
	ck_assert_uint_eq(b[3].pw_addr, 0);
	ck_assert_uint_eq(b[4].pw_addr, 0);
	ck_assert_uint_eq(b[5].pw_addr, 0x10000000);
	ck_assert(pci_bar_size_ok(16) && pci_bar_size_ok(1ull << 31));
	ck_assert(!pci_bar_size_ok(1ull << 32));
}
END_TEST

START_TEST(test_place_random_no_overlap)
{
	struct pci_range w = { RAM_256M, PCI_MMIO32_LIMIT };
	struct pci_want b[PCI_ASSIGN_MAX + 8];
	size_t i, j, n = PCI_ASSIGN_MAX + 8, placed, with_addr = 0;
	uint64_t si, sj;

	srand(15);
	for (i = 0; i < n; i++)
		b[i].pw_size = 1ull << (4 + rand() % 25);	/* 16 B..256 MiB */
	placed = pci_place_bars(&w, b, n);
	for (i = 0; i < PCI_ASSIGN_MAX; i++) {
		if (b[i].pw_addr == 0)
			continue;
		with_addr++;
		si = b[i].pw_size;
		ck_assert_uint_eq(b[i].pw_addr % si, 0);
		ck_assert(b[i].pw_addr >= w.pr_base &&
		    b[i].pw_addr + si <= w.pr_end);
		for (j = 0; j < i; j++) {
			if (b[j].pw_addr == 0)
				continue;
			sj = b[j].pw_size;
			ck_assert(b[i].pw_addr + si <= b[j].pw_addr ||
			    b[j].pw_addr + sj <= b[i].pw_addr);
		}
	}
	ck_assert_uint_eq(placed, with_addr);
	ck_assert_uint_gt(placed, PCI_ASSIGN_MAX / 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pci_assign");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_window_pc);
	tcase_add_test(tc, test_window_q35_above_ecam);
	tcase_add_test(tc, test_window_edges);
	tcase_add_test(tc, test_place_virtio_net);
	tcase_add_test(tc, test_place_bad_and_full);
	tcase_add_test(tc, test_place_random_no_overlap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
