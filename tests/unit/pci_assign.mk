# SPDX-License-Identifier: BSD-2-Clause
# drivers/pci/pci_assign.c: the MMIO window and where unassigned BARs go.
UNIT_TESTS += test_pci_assign
test_pci_assign_SRCS := tests/unit/test_pci_assign.c drivers/pci/pci_assign.c
