UNIT_TESTS += test_cmdline_if
test_cmdline_if_SRCS := tests/unit/test_cmdline_if.c kernel/cmdline.c \
	kernel/cmdline_addr.c kernel/printf.c
