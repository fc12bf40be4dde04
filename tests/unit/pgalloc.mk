UNIT_TESTS += test_pgalloc
test_pgalloc_SRCS := tests/unit/test_pgalloc.c kernel/pgalloc.c
