# SPDX-License-Identifier: BSD-2-Clause
# drivers/virtio/virtqueue.c against a simulated device (virtio_simdev.c).
UNIT_TESTS += test_virtqueue
test_virtqueue_SRCS := tests/unit/test_virtqueue.c tests/unit/virtio_simdev.c \
	drivers/virtio/virtqueue.c
