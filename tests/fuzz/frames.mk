# SPDX-License-Identifier: BSD-2-Clause
# fuzz_frames: arbitrary frames through the receive path (driver input
# hook, ether handler, netisr, the lwIP glue's handlers, lwIP and the
# services), the kernel's code over host shims; see tests/fuzz/fuzz_shim.h
# and, for the input format, tests/fuzz/fuzz_frames.h.  Seeds:
# tests/fuzz/mkseeds.py; regressions: tests/fuzz/corpus/fuzz_frames/regress-*.
include tests/fuzz/host_stack.mk

FUZZ_TARGETS += fuzz_frames
fuzz_frames_SRCS := tests/fuzz/fuzz_frames.c tests/fuzz/fuzz_fixup.c \
	$(HOST_STACK_SRCS)
fuzz_frames_CFLAGS := $(HOST_STACK_CFLAGS) -lpthread
