# SPDX-License-Identifier: BSD-2-Clause
# net/netisr/rss.c: the device table agrees with netisr_default_flow2cpu.
UNIT_TESTS += test_rss
test_rss_SRCS := tests/unit/test_rss.c net/netisr/rss.c
