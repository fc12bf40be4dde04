# SPDX-License-Identifier: BSD-2-Clause
#
# unisr top-level Makefile.
#
#   make            build build/unisr.elf and build/unisr.iso
#   make deps       install Debian packages and unpack lwIP (idempotent)
#   make run        boot the ISO in QEMU with a console (SMP=, MEM=, ACCEL=,
#                   NICS=: that many virtio-net NICs on tap0..tapN-1)
#   make test       host unit tests, fuzzing (10 s per target, in parallel), then the QEMU pytest suite
#   make test-slow  the long runs: transmit-stall loop, 10-minute soak
#   make fuzz       libFuzzer targets in tests/fuzz/ (FUZZ_SECONDS= each)
#   make debug      QEMU halted with a gdb stub, gdb attached with symbols
#   make bench-unit host micro-benchmarks -> bench/results/unit.json
#   make bench      unisr against a Linux guest on the same QEMU line
#                   -> bench/results/<date>-<host>.{json,md,png} [QUICK=1]
#   make format     clang-format our sources
#   make clean      remove build/
#
# The kernel is linked twice: once to learn the addresses of its functions,
# and again with that symbol table embedded (.ksyms) for backtraces.

VERSION		:= 0.1.0
B		?= build
DEPS_STAMP	:= $(B)/.deps-stamp

ifeq ($(origin CC),default)
CC		:= $(CROSS_COMPILE)gcc
endif
LD		:= $(CROSS_COMPILE)ld
NM		:= $(CROSS_COMPILE)nm
OBJCOPY		:= $(CROSS_COMPILE)objcopy
READELF		:= $(CROSS_COMPILE)readelf
SIZE		:= $(CROSS_COMPILE)size
HOSTCC		?= gcc
PYTHON		:= /usr/bin/python3
QEMU		:= qemu-system-x86_64

SMP		?= 4
QUEUES		?= 4
MEM		?= 256M
ACCEL		?= auto
MACHINE		?= q35
NET		?= tap
NS		?= unisr
NICS		?= 1
CMDLINE		?=

KASSERT		?= 1

WARN		:= -Wall -Wextra -Werror
KCFLAGS		:= -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pie -fno-pic \
		   -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
		   -nostdlib -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		   -fno-asynchronous-unwind-tables \
		   -mcmodel=small -fno-common -I. -DUNISR_VERSION='"$(VERSION)"' \
		   -MMD -MP
ifeq ($(KASSERT),1)
KCFLAGS		+= -DKASSERT_ENABLE
endif
ifneq ($(findstring clang,$(CC)),)
KCFLAGS		+= --target=x86_64-unknown-none-elf
endif
KASFLAGS	:= $(filter-out -std=gnu11,$(KCFLAGS)) -D__ASSEMBLY__
LDFLAGS		:= -n -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
		   --no-warn-rwx-segments -T linker.ld

KSRCS_C		:= $(filter-out net/lwip-glue/%,$(wildcard arch/x86_64/*.c \
		   kernel/*.c drivers/*/*.c net/*.c net/*/*.c))

# lwIP 2.1.3 from third_party/ (make deps).  Our warnings are errors; lwIP's
# own sources get -Wall without -Wextra/-Werror: they are not ours to fix,
# and -Wextra flags unused parameters throughout its port-neutral code.
LWIP		:= third_party/lwip/src
LWIP_SRCS	:= $(wildcard $(LWIP)/core/*.c $(LWIP)/core/ipv4/*.c \
		   $(LWIP)/core/ipv6/*.c) $(LWIP)/netif/ethernet.c
LWIP_OBJS	:= $(patsubst $(LWIP)/%.c,$(B)/lwip/%.o,$(LWIP_SRCS))
LWIP_INC	:= -Inet/lwip-glue/include -I$(LWIP)/include -I$(B)/include

# jsmn (Debian's libjsmn-dev, make deps), header-only: the glue's iperf3
# parameter reader includes it.  The kernel build sees a copy of that one
# header, not the host's /usr/include.
JSMN_H		:= /usr/include/jsmn.h

# One lwIP instance per vnet (docs/DESIGN.md, "One lwIP per vnet"): lwIP
# and the glue are linked into one relocatable object, and
# scripts/lwip-instances.sh makes LWIP_VNETS copies of it with every
# defined global renamed per copy.  Copy k serves vnet k.
LWIP_VNETS	?= 2
ifeq ($(filter $(LWIP_VNETS),1 2 3 4 5 6 7 8),)
$(error LWIP_VNETS must be 1 to 8 (vnets with a stack), not '$(LWIP_VNETS)')
endif
GLUE_OBJS	:= $(patsubst %.c,$(B)/%.o,$(wildcard net/lwip-glue/*.c))
LWIP_STACK_O	:= $(B)/lwip/stack.o
LWIP_COPY_DIR	:= $(B)/lwip/inst
LWIP_COPY_OBJS	:= $(foreach k,$(shell seq 0 $$(($(LWIP_VNETS) - 1))),\
		   $(LWIP_COPY_DIR)/inst$(k).o)
KSRCS_S		:= $(filter-out arch/x86_64/boot.S,$(wildcard arch/x86_64/*.S))
KOBJS		:= $(B)/arch/x86_64/boot.o \
		   $(patsubst %.S,$(B)/%.o,$(KSRCS_S)) \
		   $(patsubst %.c,$(B)/%.o,$(KSRCS_C)) $(LWIP_COPY_OBJS)

ELF		:= $(B)/unisr.elf
ISO		:= $(B)/unisr.iso
ELF_WARN_BYTES	:= 2097152

.PHONY: FORCE all deps run test test-unit test-py test-full test-slow bench-boot debug \
	format clean bench-unit bench ping iperf iperf3 ns-shell fuzz

all: $(ELF) $(ISO)

deps:
	@DEPS_STAMP=$(abspath $(DEPS_STAMP)) bash scripts/deps.sh

$(DEPS_STAMP):
	@DEPS_STAMP=$(abspath $(DEPS_STAMP)) bash scripts/deps.sh

$(B)/lwip/%.o: $(LWIP)/%.c Makefile | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(filter-out -Wextra -Werror,$(KCFLAGS)) $(LWIP_INC) -c $< -o $@

$(B)/include/jsmn.h: | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@cp $(JSMN_H) $@

$(B)/net/lwip-glue/%.o: net/lwip-glue/%.c Makefile $(B)/include/jsmn.h \
    | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) $(LWIP_INC) -c $< -o $@

$(LWIP_STACK_O): $(LWIP_OBJS) $(GLUE_OBJS)
	@echo "  LD -r   $@"
	@$(LD) -r -o $@ $(LWIP_OBJS) $(GLUE_OBJS)

# The copies; inst-count makes a change of LWIP_VNETS remake them.
$(LWIP_COPY_DIR)/inst-count: FORCE
	@mkdir -p $(dir $@)
	@echo $(LWIP_VNETS) | cmp -s - $@ || echo $(LWIP_VNETS) > $@

$(LWIP_COPY_OBJS) &: $(LWIP_STACK_O) $(LWIP_COPY_DIR)/inst-count \
    scripts/lwip-instances.sh
	@echo "  COPY    $(LWIP_VNETS) lwIP instances"
	@NM=$(NM) OBJCOPY=$(OBJCOPY) READELF=$(READELF) SIZE=$(SIZE) \
		bash scripts/lwip-instances.sh $(LWIP_STACK_O) $(LWIP_VNETS) \
		$(LWIP_COPY_DIR) >$(LWIP_COPY_DIR)/copies.log

$(B)/%.o: %.c Makefile | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(B)/%.o: %.S Makefile | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -c $< -o $@

# Pass 1: no symbols.  Pass 2: the symbols of pass 1.  The function
# addresses of the two must agree, which the cmp below checks.
$(B)/ksyms0.S: scripts/gen-ksyms.sh
	@mkdir -p $(B)
	@bash scripts/gen-ksyms.sh /dev/null > $@

$(B)/ksyms.o $(B)/ksyms0.o: $(B)/%.o: $(B)/%.S
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -c $< -o $@

$(B)/unisr.pass1.elf: $(KOBJS) $(B)/ksyms0.o linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(KOBJS) $(B)/ksyms0.o

$(B)/ksyms.S: $(B)/unisr.pass1.elf scripts/gen-ksyms.sh
	@$(NM) -n --defined-only $< > $(B)/unisr.pass1.nm
	@bash scripts/gen-ksyms.sh $(B)/unisr.pass1.nm > $@

# build/unisr.debug keeps the DWARF and the symbol table, for gdb (make
# debug) and nm; build/unisr.elf is the same image with both stripped (the
# kernel names functions in a panic from its own table, ksyms).
$(ELF): $(KOBJS) $(B)/ksyms.o linker.ld
	@echo "  LD      $(B)/unisr.debug"
	@$(LD) $(LDFLAGS) -o $(B)/unisr.debug $(KOBJS) $(B)/ksyms.o
	@$(OBJCOPY) --strip-all $(B)/unisr.debug $@
	@$(NM) -n --defined-only $(B)/unisr.debug | awk '$$2 ~ /^[tT]$$/' > \
		$(B)/unisr.nm.text
	@awk '$$2 ~ /^[tT]$$/' $(B)/unisr.pass1.nm | cmp -s - $(B)/unisr.nm.text || \
		{ echo "ksyms: function addresses moved between link passes" >&2; \
		  rm -f $@; exit 1; }
	@size=$$(stat -c %s $@); \
	if [ $$size -gt $(ELF_WARN_BYTES) ]; then \
		echo "warning: $@ is $$size bytes, over the 2 MiB budget" >&2; fi

$(ISO): $(ELF) scripts/grub.cfg
	@mkdir -p $(B)/iso/boot/grub
	cp $(ELF) $(B)/iso/boot/unisr.elf
	cp scripts/grub.cfg $(B)/iso/boot/grub/grub.cfg
	grub-mkrescue -d /usr/lib/grub/i386-pc -o $@ $(B)/iso 2>$(B)/grub-mkrescue.log || \
		{ cat $(B)/grub-mkrescue.log >&2; exit 1; }

# ---- host unit tests ------------------------------------------------------

UNIT_TESTS	:=
UNIT_TSAN_TESTS	:=
-include tests/unit/*.mk

UNIT_CFLAGS	:= -std=gnu11 -g -O1 $(WARN) -I. -DKASSERT_ENABLE -DUNISR_HOST \
		   $(shell pkg-config --cflags check 2>/dev/null)
UNIT_LIBS	:= $(shell pkg-config --libs check 2>/dev/null) -lpthread
ASAN		:= -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN		:= -fsanitize=thread

# Host binaries depend on every header they may include (not tracked per
# file): a change to net/netisr/mbuf.h must rebuild the unit tests.
UNIT_HDRS := $(wildcard tests/unit/*.h kernel/*.h arch/x86_64/*.h \
	net/*/*.h net/lwip-glue/include/*.h net/lwip-glue/include/arch/*.h \
	drivers/*/*.h)
FUZZ_HDRS := $(UNIT_HDRS) $(wildcard tests/fuzz/*.h)

define unit_rules
$(B)/unit/$(1): $$($(1)_SRCS) $$(UNIT_HDRS) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	@$(HOSTCC) $(UNIT_CFLAGS) $(ASAN) $$($(1)_CFLAGS) $$($(1)_SRCS) $(UNIT_LIBS) -o $$@
$(B)/unit/tsan/$(1): $$($(1)_SRCS) $$(UNIT_HDRS) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@ (TSan)"
	@$(HOSTCC) $(UNIT_CFLAGS) $(TSAN) $$($(1)_CFLAGS) $$($(1)_SRCS) $(UNIT_LIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rules,$(t))))

UNIT_BINS	:= $(addprefix $(B)/unit/,$(UNIT_TESTS)) \
		   $(addprefix $(B)/unit/tsan/,$(UNIT_TSAN_TESTS))

test-unit: $(UNIT_BINS)
	@bash scripts/run-unit.sh $(UNIT_BINS)

# ---- fuzzing (host, libFuzzer) ---------------------------------------------
#
# Each tests/fuzz/*.mk adds a name to FUZZ_TARGETS and sets NAME_SRCS (and
# optionally NAME_CFLAGS).  The target is built with Debian's clang and
# run for FUZZ_SECONDS over tests/fuzz/corpus/NAME/ (the committed seed
# corpus and every crash found so far); new inputs go to a scratch
# directory under $(B), so a run never changes the tree.  Both targets run
# at once: the machine has two cores.

FUZZ_TARGETS	:=
-include tests/fuzz/*.mk
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_SEED	?=
FUZZ_CFLAGS	:= -std=gnu11 -g -O1 $(WARN) -I. -DKASSERT_ENABLE -DUNISR_HOST \
		   -DUNISR_FUZZ -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all
FUZZ_BINS	:= $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))

define fuzz_rules
$(B)/fuzz/$(1): $$($(1)_SRCS) $$(FUZZ_HDRS) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $$($(1)_CFLAGS) $$($(1)_SRCS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rules,$(t))))

fuzz: $(FUZZ_BINS)
	@FUZZ_SEED=$(FUZZ_SEED) bash scripts/run-fuzz.sh $(FUZZ_SECONDS) $(B) \
	    $(FUZZ_TARGETS)

# ---- QEMU tests -----------------------------------------------------------

PYTEST_ARGS	?=

test-py: all
	ACCEL=$(ACCEL) $(PYTHON) -m pytest tests/py $(PYTEST_ARGS)

# Everything is built first, on every core; then the runs.
JOBS		?= $(shell nproc 2>/dev/null || echo 2)

test: $(DEPS_STAMP)
	$(MAKE) -j$(JOBS) $(UNIT_BINS) $(FUZZ_BINS) all
	$(MAKE) test-unit
	$(MAKE) fuzz FUZZ_SECONDS=10 FUZZ_SEED=1
	$(MAKE) test-py

# The long runs: 30 boots of the transmit-stall reproduction, the 10-minute
# soak, and the other tests marked slow.
test-slow: $(DEPS_STAMP)
	$(MAKE) test-py PYTEST_ARGS="--slow -m slow $(PYTEST_ARGS)"

test-full: $(DEPS_STAMP)
	$(MAKE) test-unit
	$(MAKE) test-py PYTEST_ARGS="--full $(PYTEST_ARGS)"

# ---- benchmarks (not tests) ----------------------------------------------

bench-unit: $(DEPS_STAMP)
	@bash scripts/bench-unit.sh

# Boot time: every firmware and -smp, 5 boots each (bench/boottime.py).
bench-boot: $(DEPS_STAMP)
	$(MAKE) all
	ACCEL=$(ACCEL) $(PYTHON) bench/boottime.py $(BENCH_ARGS)

# QUICK=1: one configuration (-smp 2), one repetition (under 3 minutes).
# BENCH_ARGS: more options for bench/bench.py (see its --help).
bench: $(DEPS_STAMP)
	$(MAKE) all
	ACCEL=$(ACCEL) $(PYTHON) bench/bench.py $(if $(filter 1,$(QUICK)),--quick) $(BENCH_ARGS)

# ---- running and debugging ------------------------------------------------

run: $(DEPS_STAMP)
	$(MAKE) all
	SMP=$(SMP) QUEUES=$(QUEUES) MEM=$(MEM) MACHINE=$(MACHINE) ACCEL=$(ACCEL) \
		NET=$(NET) CMDLINE="$(CMDLINE)" NS=$(NS) NICS=$(NICS) \
		bash scripts/run.sh

# Clients in the `make run` namespace, against a guest already running.
GUEST		?= 10.0.2.15

ping:
	ip netns exec $(NS) ping -c 5 $(GUEST)

iperf:
	ip netns exec $(NS) iperf -c $(GUEST) -t 10

iperf3:
	ip netns exec $(NS) iperf3 -c $(GUEST) -t 10

ns-shell:
	ip netns exec $(NS) $${SHELL:-/bin/sh}

debug: $(DEPS_STAMP)
	$(MAKE) all
	$(QEMU) -machine $(MACHINE) -accel tcg -cpu max -smp $(SMP) -m $(MEM) \
		-display none -serial file:$(B)/debug-serial.log \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel $(ELF) -s -S & \
	gdb -q $(B)/unisr.debug -ex 'target remote localhost:1234'; \
	kill %1 2>/dev/null; true

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
