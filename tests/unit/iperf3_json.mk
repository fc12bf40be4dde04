# SPDX-License-Identifier: BSD-2-Clause
# net/lwip-glue/lwipg_iperf3_json.c: the iperf3 parameter reader (jsmn).
UNIT_TESTS += test_iperf3_json
test_iperf3_json_SRCS := tests/unit/test_iperf3_json.c \
	net/lwip-glue/lwipg_iperf3_json.c
