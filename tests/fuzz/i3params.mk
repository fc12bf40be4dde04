# SPDX-License-Identifier: BSD-2-Clause
# fuzz_i3params: arbitrary parameter messages through the iperf3 server's
# reader (net/lwip-glue/lwipg_iperf3_json.c, jsmn); see
# tests/fuzz/fuzz_i3params.c.  Seeds: tests/fuzz/corpus/fuzz_i3params/.
FUZZ_TARGETS += fuzz_i3params
fuzz_i3params_SRCS := tests/fuzz/fuzz_i3params.c \
	net/lwip-glue/lwipg_iperf3_json.c
