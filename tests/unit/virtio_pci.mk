# SPDX-License-Identifier: BSD-2-Clause
# drivers/virtio/virtio_pci.h: capability windows and doorbells inside
# their BARs (the pure checks; the transport itself needs hardware).
UNIT_TESTS += test_virtio_pci
test_virtio_pci_SRCS := tests/unit/test_virtio_pci.c
