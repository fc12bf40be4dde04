# SPDX-License-Identifier: BSD-2-Clause
# net/lwip-glue/lwipg_input.c: the handlers' checks before lwIP (a short or
# malformed ARP, IPv4 or IPv6 packet is dropped and counted by name, lwIP
# never sees it) and the lwIP 2.1.3 persist-timer guard, over the fuzzer's
# host stack (tests/fuzz/host_stack.mk), with its include flags.
include tests/fuzz/host_stack.mk

UNIT_TESTS += test_lwipg_input
test_lwipg_input_SRCS := tests/unit/test_lwipg_input.c \
	tests/fuzz/fuzz_fixup.c $(HOST_STACK_SRCS)
test_lwipg_input_CFLAGS := $(HOST_STACK_CFLAGS)
