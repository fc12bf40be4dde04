# SPDX-License-Identifier: BSD-2-Clause
# net/netisr/toeplitz.c: Microsoft RSS vectors, and reference == fast on 1M inputs.
UNIT_TESTS += test_toeplitz
test_toeplitz_SRCS := tests/unit/test_toeplitz.c net/netisr/toeplitz.c
