/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio_pci.h: the virtio 1.x PCI transport (virtio 1.2, 4.1): the
 * capability-described register blocks, the status handshake, feature
 * negotiation and per-queue setup.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci/pci.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_NO_VECTOR	0xffff	/* 4.1.5.1.2 */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACK		1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

struct virtio_pci {
	struct pci_dev		*vp_pci;
	volatile uint8_t	*vp_common;
	volatile uint8_t	*vp_notify;
	uint32_t		vp_notify_mult;
	volatile uint8_t	*vp_isr;
	volatile uint8_t	*vp_device;
	uint64_t		vp_features;	/* negotiated */
};

static inline bool
virtio_has(const struct virtio_pci *vp, unsigned bit)
{
	return (vp->vp_features >> bit) & 1;
}

int	 virtio_pci_attach(struct pci_dev *pd, struct virtio_pci *vp);
uint64_t virtio_pci_features(struct virtio_pci *vp);
int	 virtio_pci_negotiate(struct virtio_pci *vp, uint64_t accepted);
uint16_t virtio_pci_num_queues(struct virtio_pci *vp);
uint16_t virtio_pci_queue_max(struct virtio_pci *vp, uint16_t q);
int	 virtio_pci_queue_setup(struct virtio_pci *vp, uint16_t q,
	    uint16_t size, uint16_t msix, uint64_t desc, uint64_t driver,
	    uint64_t device, volatile uint16_t **notify);
int	 virtio_pci_config_vector(struct virtio_pci *vp, uint16_t msix);
void	 virtio_pci_driver_ok(struct virtio_pci *vp);
void	 virtio_pci_fail(struct virtio_pci *vp);
uint8_t	 virtio_pci_status(struct virtio_pci *vp);
uint8_t	 virtio_pci_config_generation(struct virtio_pci *vp);

#endif /* DRIVERS_VIRTIO_VIRTIO_PCI_H */
