# SPDX-License-Identifier: BSD-2-Clause
# drivers/virtio_net/vtnet_hdr.c: the receive header check, rule by rule.
UNIT_TESTS += test_vtnet_hdr
test_vtnet_hdr_SRCS := tests/unit/test_vtnet_hdr.c \
	drivers/virtio_net/vtnet_hdr.c
