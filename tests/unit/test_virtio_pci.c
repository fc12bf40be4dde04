/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_virtio_pci.c: host tests for the virtio PCI transport's
 * capability bound checks (drivers/virtio/virtio_pci.h, virtio 1.2 4.1.4).
 *
 * The capabilities are device input: a window must lie inside its BAR, a
 * queue's doorbell inside the notify window, a device-config field inside
 * the device window.  Each check is tried at its exact edge, one byte
 * past it, and with values whose sum or product wraps 32 bits (the checks
 * compute in 64).  Before these checks the transport tested only
 * offset < BAR size: a window's length and a doorbell's offset were
 * trusted.
 *
 * Locking: none; single-threaded.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "drivers/virtio/virtio_pci.h"

#define KIB		1024u
#define GIB		(1024ull * 1024 * 1024)

START_TEST(test_cap_window)
{
	/* Inside, up to the last byte. */
	ck_assert(virtio_pci_cap_ok(16 * KIB, 0, 16 * KIB));
	ck_assert(virtio_pci_cap_ok(16 * KIB, 12 * KIB, 4 * KIB));
	ck_assert(virtio_pci_cap_ok(16 * KIB, 16 * KIB - 1, 1));
	/* One byte out; empty; at the end; no BAR (length 0). */
	ck_assert(!virtio_pci_cap_ok(16 * KIB, 12 * KIB, 4 * KIB + 1));
	ck_assert(!virtio_pci_cap_ok(16 * KIB, 16 * KIB, 1));
	ck_assert(!virtio_pci_cap_ok(16 * KIB, 0, 0));
	ck_assert(!virtio_pci_cap_ok(0, 0, 1));
	/* off + len wraps 32 bits: 0xfffff000 + 0x2000 is not 0x1000. */
	ck_assert(!virtio_pci_cap_ok(16 * KIB, 0xfffff000u, 0x2000));
	ck_assert(!virtio_pci_cap_ok(4 * GIB, 0xffffffffu, 0xffffffffu));
	/* A 64-bit BAR beyond 4 GiB holds it. */
	ck_assert(virtio_pci_cap_ok(8 * GIB, 0xffffffffu, 0xffffffffu));
	ck_assert(virtio_pci_cap_ok(4 * GIB, 0xfffffff0u, 0x10));
}
END_TEST

START_TEST(test_notify)
{
	/* QEMU: multiplier 4, a 2-byte doorbell per queue. */
	ck_assert(virtio_pci_notify_ok(4 * 3, 2, 4));	/* 8 + 2 <= 12 */
	ck_assert(virtio_pci_notify_ok(10, 2, 4));	/* exactly */
	ck_assert(!virtio_pci_notify_ok(9, 2, 4));
	ck_assert(!virtio_pci_notify_ok(1, 0, 4));	/* no room at all */
	/* Multiplier 0: every queue at offset 0. */
	ck_assert(virtio_pci_notify_ok(2, 0xffff, 0));
	/* An odd doorbell offset cannot take a 16-bit write. */
	ck_assert(!virtio_pci_notify_ok(64, 1, 1));
	ck_assert(virtio_pci_notify_ok(64, 2, 1));
	/* The product wraps 32 bits: 0x10000 * 0x10000 is not 0. */
	ck_assert(!virtio_pci_notify_ok(0xffffffffu, 0xffff, 0x10001));
	ck_assert(!virtio_pci_notify_ok(0xffffffffu, 0x8000, 0x20000));
}
END_TEST

START_TEST(test_device_window)
{
	struct virtio_pci vp = { .vp_device_len = 24 };

	ck_assert(virtio_pci_device_ok(&vp, 20, 4));
	ck_assert(virtio_pci_device_ok(&vp, 23, 1));
	ck_assert(!virtio_pci_device_ok(&vp, 21, 4));
	ck_assert(!virtio_pci_device_ok(&vp, 24, 1));
	ck_assert(!virtio_pci_device_ok(&vp, 0xffffffffu, 2));	/* wraps */
	vp.vp_device_len = 0;
	ck_assert(!virtio_pci_device_ok(&vp, 0, 1));
}
END_TEST

static Suite *
virtio_pci_suite(void)
{
	Suite *s = suite_create("virtio_pci");
	TCase *tc = tcase_create("caps");

	tcase_add_test(tc, test_cap_window);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_device_window);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(virtio_pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
