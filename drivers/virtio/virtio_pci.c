/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio_pci.c: the virtio 1.x ("modern") PCI transport.
 *
 * The device publishes vendor capabilities (virtio 1.2, 4.1.4) that locate
 * the common configuration, notification, ISR and device-specific blocks
 * inside its BARs.  A transitional device (disable-legacy=off) offers the
 * same capabilities next to its legacy I/O BAR, so one code path serves
 * both.  Initialisation follows 3.1.1: reset, ACKNOWLEDGE, DRIVER, read
 * features, write the accepted subset, FEATURES_OK and read it back, set up
 * the queues, DRIVER_OK.  Queue setup happens only after FEATURES_OK: until
 * then a multiqueue device shows only its first queues.
 *
 * Locking: the transport is driven by its driver's attach on the BSP;
 * queue notifications afterwards are single 16-bit writes that need no
 * lock.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/virtio/virtio_pci.h"
#include "kernel/errno.h"

/* Capability layout (4.1.4). */
#define VCAP_CFG_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_LENGTH		12
#define VCAP_NOTIFY_MULT	16
#define VCAP_COMMON		1
#define VCAP_NOTIFY		2
#define VCAP_ISR		3
#define VCAP_DEVICE		4

/* Common configuration offsets (4.1.4.3). */
#define VC_DFSELECT		0
#define VC_DF			4
#define VC_GFSELECT		8
#define VC_GF			12
#define VC_MSIX_CONFIG		16
#define VC_NUM_QUEUES		18
#define VC_STATUS		20
#define VC_CFG_GENERATION	21
#define VC_Q_SELECT		22
#define VC_Q_SIZE		24
#define VC_Q_MSIX		26
#define VC_Q_ENABLE		28
#define VC_Q_NOTIFY_OFF		30
#define VC_Q_DESC		32
#define VC_Q_DRIVER		40
#define VC_Q_DEVICE		48

#define RESET_TIMEOUT_US	1000000
#define RESET_POLL_US		10

static volatile uint8_t *
cap_map(struct pci_dev *pd, int cap)
{
	uint8_t bar = pci_read8(pd, (uint16_t)(cap + VCAP_BAR));
	uint32_t off = pci_read32(pd, (uint16_t)(cap + VCAP_OFFSET));
	uint8_t *base = pci_bar_map(pd, bar);

	if (base == NULL || off >= pd->pd_bar[bar].pb_size)
		return NULL;
	return base + off;
}

#define C8(vp, off)	(*(volatile uint8_t *)((vp)->vp_common + (off)))
#define C16(vp, off)	(*(volatile uint16_t *)((vp)->vp_common + (off)))
#define C32(vp, off)	(*(volatile uint32_t *)((vp)->vp_common + (off)))

static void
write64(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	C32(vp, off) = (uint32_t)v;
	C32(vp, off + 4) = (uint32_t)(v >> 32);
}

uint8_t
virtio_pci_status(struct virtio_pci *vp)
{
	return C8(vp, VC_STATUS);
}

uint8_t
virtio_pci_config_generation(struct virtio_pci *vp)
{
	return C8(vp, VC_CFG_GENERATION);
}

static void
set_status(struct virtio_pci *vp, uint8_t bits)
{
	C8(vp, VC_STATUS) = C8(vp, VC_STATUS) | bits;
}

void
virtio_pci_fail(struct virtio_pci *vp)
{
	set_status(vp, VIRTIO_STATUS_FAILED);
}

/*
 * Finds the capabilities, maps them, resets the device and acknowledges
 * it.  Returns 0, or -ENODEV for a device without the modern interface.
 */
int
virtio_pci_attach(struct pci_dev *pd, struct virtio_pci *vp)
{
	uint64_t waited;
	int cap;

	vp->vp_pci = pd;
	pci_enable(pd);
	for (cap = pci_find_cap(pd, PCI_CAP_VENDOR, 0); cap >= 0;
	    cap = pci_find_cap(pd, PCI_CAP_VENDOR, cap)) {
		switch (pci_read8(pd, (uint16_t)(cap + VCAP_CFG_TYPE))) {
		case VCAP_COMMON:
			if (vp->vp_common == NULL)
				vp->vp_common = cap_map(pd, cap);
			break;
		case VCAP_NOTIFY:
			if (vp->vp_notify == NULL) {
				vp->vp_notify = cap_map(pd, cap);
				vp->vp_notify_mult = pci_read32(pd,
				    (uint16_t)(cap + VCAP_NOTIFY_MULT));
			}
			break;
		case VCAP_ISR:
			if (vp->vp_isr == NULL)
				vp->vp_isr = cap_map(pd, cap);
			break;
		case VCAP_DEVICE:
			if (vp->vp_device == NULL)
				vp->vp_device = cap_map(pd, cap);
			break;
		default:
			break;
		}
	}
	if (vp->vp_common == NULL || vp->vp_notify == NULL ||
	    vp->vp_device == NULL)
		return -ENODEV;
	C8(vp, VC_STATUS) = 0;				/* reset, 4.1.4.3.2 */
	for (waited = 0; C8(vp, VC_STATUS) != 0; waited += RESET_POLL_US) {
		if (waited >= RESET_TIMEOUT_US)
			return -ETIMEDOUT;
		udelay(RESET_POLL_US);
	}
	set_status(vp, VIRTIO_STATUS_ACK);
	set_status(vp, VIRTIO_STATUS_DRIVER);
	return 0;
}

/* The features the device offers (4.1.4.3: two 32-bit halves). */
uint64_t
virtio_pci_features(struct virtio_pci *vp)
{
	uint64_t offered;

	C32(vp, VC_DFSELECT) = 0;
	offered = C32(vp, VC_DF);
	C32(vp, VC_DFSELECT) = 1;
	offered |= (uint64_t)C32(vp, VC_DF) << 32;
	return offered;
}

/*
 * Accepts `accepted` (a subset of the offer, VERSION_1 required), sets
 * FEATURES_OK and checks that the device kept it (3.1.1 step 6).
 */
int
virtio_pci_negotiate(struct virtio_pci *vp, uint64_t accepted)
{
	uint64_t offered = virtio_pci_features(vp);

	if (((offered >> VIRTIO_F_VERSION_1) & 1) == 0)
		return -ENODEV;
	vp->vp_features = offered & (accepted | 1ull << VIRTIO_F_VERSION_1);
	C32(vp, VC_GFSELECT) = 0;
	C32(vp, VC_GF) = (uint32_t)vp->vp_features;
	C32(vp, VC_GFSELECT) = 1;
	C32(vp, VC_GF) = (uint32_t)(vp->vp_features >> 32);
	set_status(vp, VIRTIO_STATUS_FEATURES_OK);
	if ((C8(vp, VC_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
		return -EINVAL;
	return 0;
}

uint16_t
virtio_pci_num_queues(struct virtio_pci *vp)
{
	return C16(vp, VC_NUM_QUEUES);
}

uint16_t
virtio_pci_queue_max(struct virtio_pci *vp, uint16_t q)
{
	C16(vp, VC_Q_SELECT) = q;
	return C16(vp, VC_Q_SIZE);
}

/*
 * Programs queue q and enables it.  Fails with -EIO if the device did not
 * accept the MSI-X vector (it reads back VIRTIO_NO_VECTOR when the index is
 * beyond the device's `vectors=`).  *notify gets the queue's doorbell.
 */
int
virtio_pci_queue_setup(struct virtio_pci *vp, uint16_t q, uint16_t size,
    uint16_t msix, uint64_t desc, uint64_t driver, uint64_t device,
    volatile uint16_t **notify)
{
	uint16_t off;

	C16(vp, VC_Q_SELECT) = q;
	if (C16(vp, VC_Q_SIZE) == 0)
		return -ENOENT;
	C16(vp, VC_Q_SIZE) = size;
	C16(vp, VC_Q_MSIX) = msix;
	if (C16(vp, VC_Q_MSIX) != msix)
		return -EIO;
	write64(vp, VC_Q_DESC, desc);
	write64(vp, VC_Q_DRIVER, driver);
	write64(vp, VC_Q_DEVICE, device);
	off = C16(vp, VC_Q_NOTIFY_OFF);
	*notify = (volatile uint16_t *)(vp->vp_notify +
	    (uint32_t)off * vp->vp_notify_mult);
	C16(vp, VC_Q_ENABLE) = 1;
	return 0;
}

int
virtio_pci_config_vector(struct virtio_pci *vp, uint16_t msix)
{
	C16(vp, VC_MSIX_CONFIG) = msix;
	return C16(vp, VC_MSIX_CONFIG) == msix ? 0 : -EIO;
}

void
virtio_pci_driver_ok(struct virtio_pci *vp)
{
	set_status(vp, VIRTIO_STATUS_DRIVER_OK);
}
