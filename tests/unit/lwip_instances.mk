# SPDX-License-Identifier: BSD-2-Clause
# Several lwIP instances in one program without changing lwIP (issue 12,
# groundwork).  lwIP's core, IPv4, IPv6 and Ethernet plus the wrapper
# tests/unit/lwip_inst_wrap.c are compiled for the host (the kernel's
# lwipopts.h, -fno-common, the unit tests' flags with ASan/UBSan) and
# linked into one relocatable object, lwip_inst.o; scripts/
# lwip-instances.sh makes LWIP_INST_N renamed copies of it, and
# test_lwip_instances links them.  Every build prints the copies' sizes.
#
# -idirafter, not -I, as in tests/fuzz/host_stack.mk: the kernel's
# string.h and stdlib.h must not hide the host's; and the same clang-only
# warning is off (tcp.c compares TCP_WND / 2 with a u16_t MSS).  The
# recipes use UNIT_CFLAGS and ASAN, which the Makefile sets after
# including this file.  ASan and UBSan survive ld -r and the renaming:
# each copy keeps its own module constructor, and ASan's ODR indicators
# (__odr_asan.<sym>) are globals the script renames like the rest.
LWIP_INST_N	:= 3
LWIP_INST_DIR	:= $(B)/unit/lwip_inst
LWIP_INST_LWIP	:= third_party/lwip/src
LWIP_INST_SRCS	:= tests/unit/lwip_inst_wrap.c \
	$(wildcard $(LWIP_INST_LWIP)/core/*.c $(LWIP_INST_LWIP)/core/ipv4/*.c \
	    $(LWIP_INST_LWIP)/core/ipv6/*.c) \
	$(LWIP_INST_LWIP)/netif/ethernet.c
LWIP_INST_OBJS	:= $(patsubst %.c,$(LWIP_INST_DIR)/obj/%.o,$(LWIP_INST_SRCS))
LWIP_INST_COPIES := $(foreach k,$(shell seq 0 $$(($(LWIP_INST_N) - 1))), \
	$(LWIP_INST_DIR)/inst$(k).o)
LWIP_INST_CFLAGS := -fno-common -idirafter net/lwip-glue/include \
	-idirafter $(LWIP_INST_LWIP)/include \
	-Wno-tautological-constant-out-of-range-compare

$(LWIP_INST_DIR)/obj/%.o: %.c tests/unit/lwip_inst.h \
    net/lwip-glue/include/lwipopts.h net/lwip-glue/include/arch/cc.h \
    tests/unit/lwip_instances.mk \
    | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(UNIT_CFLAGS) $(ASAN) $(LWIP_INST_CFLAGS) -c $< -o $@

$(LWIP_INST_DIR)/lwip_inst.o: $(LWIP_INST_OBJS)
	@echo "  LD -r   $@"
	@$(HOSTCC) -r -nostdlib -o $@ $^

$(LWIP_INST_COPIES) &: $(LWIP_INST_DIR)/lwip_inst.o scripts/lwip-instances.sh
	@echo "  COPY    $(LWIP_INST_N) x $<"
	@bash scripts/lwip-instances.sh $< $(LWIP_INST_N) $(LWIP_INST_DIR)

UNIT_TESTS += test_lwip_instances
test_lwip_instances_SRCS := tests/unit/test_lwip_instances.c \
	$(LWIP_INST_COPIES)
test_lwip_instances_CFLAGS := -DLWIP_INST_N=$(LWIP_INST_N)
