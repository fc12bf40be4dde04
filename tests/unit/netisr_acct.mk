# SPDX-License-Identifier: BSD-2-Clause
# net/netisr: accounting (unregistered protocol numbers, the per-workstream
# counter identity, unregister leaving workstreams live) and re-entry (no
# wait, and so no nested worker, inside a netisr callback); also under TSan.
UNIT_TESTS += test_netisr_acct test_netisr_nest
UNIT_TSAN_TESTS += test_netisr_acct test_netisr_nest
test_netisr_acct_SRCS = tests/unit/test_netisr_acct.c $(NETISR_CORE_SRCS)
test_netisr_nest_SRCS = tests/unit/test_netisr_nest.c $(NETISR_CORE_SRCS)
