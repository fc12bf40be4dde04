# SPDX-License-Identifier: BSD-2-Clause
# net/lwip-glue/lwipg_udpstat.c: iperf 2's loss, reordering and jitter.
UNIT_TESTS += test_lwipg_udpstat
test_lwipg_udpstat_SRCS := tests/unit/test_lwipg_udpstat.c \
	net/lwip-glue/lwipg_udpstat.c
