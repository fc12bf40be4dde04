/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio_pci.h: the virtio 1.x PCI transport (virtio 1.2, 4.1): the
 * capability-described register blocks, the status handshake, feature
 * negotiation and per-queue setup.
 *
 * The capabilities are device input: each names a BAR, an offset and a
 * length, and the notify capability a multiplier.  virtio_pci_cap_ok()
 * and virtio_pci_notify_ok() are the pure bound checks the transport
 * applies before it maps anything (host-tested in
 * tests/unit/test_virtio_pci.c); each window it keeps is recorded with its
 * length, so device-specific config reads can be bounded too.
 *
 * Locking: see virtio_pci.c; the helpers here are pure.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci/pci.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_NO_VECTOR	0xffff	/* 4.1.5.1.2 */

/* Smallest windows the transport uses (4.1.4.3, 4.1.4.4, 4.1.4.5). */
#define VIRTIO_PCI_COMMON_LEN	56	/* through queue_device */
#define VIRTIO_PCI_NOTIFY_LEN	2	/* one 16-bit doorbell */
#define VIRTIO_PCI_ISR_LEN	1

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
	uint32_t		vp_notify_len;	/* window lengths (cap.length) */
	uint32_t		vp_device_len;
};

static inline bool
virtio_has(const struct virtio_pci *vp, unsigned bit)
{
	return (vp->vp_features >> bit) & 1;
}

/*
 * 4.1.4: a capability's window [off, off + len) must be non-empty and lie
 * inside its BAR of bar_len bytes (0: no such memory BAR); computed in 64
 * bits, so no offset or length can wrap around.
 */
static inline bool
virtio_pci_cap_ok(uint64_t bar_len, uint32_t off, uint32_t len)
{
	return (len != 0 && (uint64_t)off + len <= bar_len);
}

/*
 * 4.1.4.4: a queue's doorbell is at queue_notify_off * multiplier inside
 * the notify window, and the device guarantees cap.length >=
 * queue_notify_off * notify_off_multiplier + 2 (and an even multiplier:
 * the doorbell is a 16-bit register); check it rather than write outside
 * the window.
 */
static inline bool
virtio_pci_notify_ok(uint32_t notify_len, uint16_t queue_notify_off,
    uint32_t mult)
{
	uint64_t at = (uint64_t)queue_notify_off * mult;

	return (at + VIRTIO_PCI_NOTIFY_LEN <= notify_len &&
	    at % VIRTIO_PCI_NOTIFY_LEN == 0);
}

/* True if size bytes at off lie inside the device-specific window. */
static inline bool
virtio_pci_device_ok(const struct virtio_pci *vp, unsigned off,
    unsigned size)
{
	return ((uint64_t)off + size <= vp->vp_device_len);
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
