# SPDX-License-Identifier: BSD-2-Clause
# The kernel's receive path built for the host (tests/fuzz/fuzz_shim.h):
# what the fuzz_frames target (frames.mk) and the input handlers' unit
# test (tests/unit/lwipg_input.mk) link besides their own file.  Both
# include this file; it only sets variables, so the Makefile's
# `-include tests/fuzz/*.mk` picking it up as well is harmless.
#
# lwipg_sys.c is the one glue file left out: fuzz_shim.c stands in for it
# (and for net/netstat.c's registration and net/vnet/vnet.c's listing,
# the shell's).  The glue is not copied here: one instance, whose
# descriptor net/stack/stack.c finds in the section lwip_insts as in the
# kernel (stack_cmds.c, the shell's, is left out).  net/if/ and
# net/net_init.c come in whole: fuzz_vtnet.c registers as an interface.
#
# -idirafter, not -I: net/lwip-glue/include has the freestanding kernel's
# string.h and stdlib.h, which must not hide the host's from the shims,
# Check and libFuzzer; lwIP finds lwipopts.h and arch/cc.h there all the
# same.  lwIP's sources are compiled with our -Wextra -Werror here (one
# command builds a whole binary); they are clean but for one tautological
# compare in tcp.c (TCP_WND / 2 against a u16_t MSS), which clang flags.
HOST_STACK_LWIP := third_party/lwip/src
HOST_STACK_SRCS := tests/fuzz/fuzz_shim.c tests/fuzz/fuzz_vtnet.c \
	$(filter-out net/lwip-glue/lwipg_sys.c,$(wildcard net/lwip-glue/*.c)) \
	$(wildcard net/if/*.c) net/net_init.c net/stack/stack.c \
	net/netisr/netisr.c net/netisr/netisr_ctl.c net/netisr/netmsg.c \
	net/netisr/netisr_worker.c \
	net/netisr/netisr_vnet.c \
	net/netisr/rss.c net/netisr/netisr_flow.c net/netisr/toeplitz.c \
	tests/unit/netisr_host.c kernel/printf.c kernel/cmdline.c \
	kernel/cmdline_addr.c \
	$(wildcard $(HOST_STACK_LWIP)/core/*.c $(HOST_STACK_LWIP)/core/ipv4/*.c \
	    $(HOST_STACK_LWIP)/core/ipv6/*.c) \
	$(HOST_STACK_LWIP)/netif/ethernet.c
HOST_STACK_CFLAGS := -idirafter net/lwip-glue/include \
	-idirafter $(HOST_STACK_LWIP)/include \
	-Wno-tautological-constant-out-of-range-compare
