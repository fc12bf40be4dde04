UNIT_TESTS += test_kmem
UNIT_TSAN_TESTS += test_kmem
test_kmem_SRCS := tests/unit/test_kmem.c kernel/kmem.c
