# SPDX-License-Identifier: BSD-2-Clause
# net/lwip-glue/lwipg_input.c: the handlers' checks before lwIP (a short or
# malformed ARP, IPv4 or IPv6 packet is dropped and counted by name, lwIP
# never sees it) and the lwIP 2.1.3 persist-timer guard, over the fuzzer's
# host stack (tests/fuzz/host_stack.mk).
#
# The unit rule has no per-test CFLAGS, but expands NAME_SRCS only when
# the recipe runs: the target-specific append below puts the stack's
# include flags on this test's command line, and the prerequisites (read
# when the rule is defined) stay plain files.
include tests/fuzz/host_stack.mk

UNIT_TESTS += test_lwipg_input
test_lwipg_input_SRCS := tests/unit/test_lwipg_input.c \
	tests/fuzz/fuzz_fixup.c $(HOST_STACK_SRCS)
$(B)/unit/test_lwipg_input: test_lwipg_input_SRCS += $(HOST_STACK_CFLAGS)
