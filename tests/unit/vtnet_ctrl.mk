# SPDX-License-Identifier: BSD-2-Clause
# drivers/virtio_net/vtnet_ctrl.c: control commands against the simulated
# device (virtio_simdev.c), the timeout path above all; the test drives the
# driver's clock (uptime_us) itself.
UNIT_TESTS += test_vtnet_ctrl
test_vtnet_ctrl_SRCS := tests/unit/test_vtnet_ctrl.c \
	tests/unit/virtio_simdev.c drivers/virtio/virtqueue.c \
	drivers/virtio_net/vtnet_ctrl.c
