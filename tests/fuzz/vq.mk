# SPDX-License-Identifier: BSD-2-Clause
# fuzz_vq: the split virtqueue's driver side and the receive header check
# against a device that writes anything (see tests/fuzz/fuzz_vq.c).
FUZZ_TARGETS += fuzz_vq
fuzz_vq_SRCS := tests/fuzz/fuzz_vq.c drivers/virtio/virtqueue.c \
	drivers/virtio_net/vtnet_hdr.c
