# SPDX-License-Identifier: BSD-2-Clause
# kernel/kmem.c: functional cases, and random/multi-threaded stress (TSan).
UNIT_TESTS += test_kmem test_kmem_stress
UNIT_TSAN_TESTS += test_kmem test_kmem_stress
test_kmem_SRCS := tests/unit/test_kmem.c tests/unit/kmem_testlib.c \
	kernel/kmem.c
test_kmem_stress_SRCS := tests/unit/test_kmem_stress.c \
	tests/unit/kmem_testlib.c kernel/kmem.c
