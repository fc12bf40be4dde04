# SPDX-License-Identifier: BSD-2-Clause
# drivers/virtio/virtqueue.c against a device that breaks the protocol.
UNIT_TESTS += test_virtqueue_bad
test_virtqueue_bad_SRCS := tests/unit/test_virtqueue_bad.c \
	tests/unit/virtio_simdev.c drivers/virtio/virtqueue.c
