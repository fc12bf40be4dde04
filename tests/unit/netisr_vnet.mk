# SPDX-License-Identifier: BSD-2-Clause
# net/netisr/netisr_vnet.c and the vnet checks of netisr.c: enabling per
# vnet, drops at the door, purging on unregister_vnet, curvnet around
# handlers; and a stress run toggling one vnet under traffic from several
# vnets (also under TSan).  netisr_vnet.c is linked here only: the core
# (NETISR_CORE_SRCS) never calls it.  Recursive (=): netisr.mk, which sets
# NETISR_CORE_SRCS, may be read after this file.
UNIT_TESTS += test_netisr_vnet test_netisr_vnet_stress
UNIT_TSAN_TESTS += test_netisr_vnet test_netisr_vnet_stress
test_netisr_vnet_SRCS = tests/unit/test_netisr_vnet.c $(NETISR_CORE_SRCS) \
	net/netisr/netisr_vnet.c
test_netisr_vnet_stress_SRCS = tests/unit/test_netisr_vnet_stress.c \
	$(NETISR_CORE_SRCS) net/netisr/netisr_vnet.c
