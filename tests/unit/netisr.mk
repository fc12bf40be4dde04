# SPDX-License-Identifier: BSD-2-Clause
# net/netisr: placement, dispatch semantics, registration, netmsg, and a
# stress run switching dispatch policies (also under TSan).
UNIT_TESTS += test_netisr test_netisr_stress
UNIT_TSAN_TESTS += test_netisr test_netisr_stress
NETISR_CORE_SRCS := tests/unit/netisr_host.c net/netisr/netisr.c \
	net/netisr/netisr_worker.c \
	net/netisr/netisr_ctl.c \
	net/netisr/netmsg.c net/netisr/rss.c kernel/printf.c
test_netisr_SRCS := tests/unit/test_netisr.c tests/unit/test_netisr_msg.c \
	$(NETISR_CORE_SRCS)
test_netisr_stress_SRCS := tests/unit/test_netisr_stress.c \
	$(NETISR_CORE_SRCS)
UNIT_TESTS += test_netisr_batch
test_netisr_batch_SRCS := tests/unit/test_netisr_batch.c $(NETISR_CORE_SRCS) \
	net/netisr/netisr_vnet.c
