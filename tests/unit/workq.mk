# SPDX-License-Identifier: BSD-2-Clause
# kernel/workq.h: FIFO order, and 2-8 producers x 1M items (also under TSan).
UNIT_TESTS += test_workq
UNIT_TSAN_TESTS += test_workq
test_workq_SRCS := tests/unit/test_workq.c
