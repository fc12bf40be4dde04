# SPDX-License-Identifier: BSD-2-Clause
# net/netisr/netisr_flow.c: software flow ids (m2flow) for IPv4 and IPv6.
UNIT_TESTS += test_netisr_flow
test_netisr_flow_SRCS := tests/unit/test_netisr_flow.c net/netisr/netisr_flow.c net/netisr/toeplitz.c
