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
 * The capabilities are device input (virtio_pci.h): a capability too short
 * for its type, naming a BAR that is absent or not memory, or a window
 * that is empty, too small for what we access, or not inside the BAR is
 * skipped with a log line (a later capability of the same type may serve,
 * 4.1.4: the list is in order of preference).  Attach fails, naming the
 * missing type, if no usable common, notify or device window is left.
 * Each queue's doorbell is checked against the notify window before the
 * queue is enabled.
 *
 * Locking: the transport is driven by its driver's attach on the BSP;
 * queue notifications afterwards are single 16-bit writes that need no
 * lock.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/virtio/virtio_pci.h"
#include "kernel/console.h"
#include "kernel/errno.h"

/* Capability layout (4.1.4). */
#define VCAP_LEN		2	/* cap_len: this capability's bytes */
#define VCAP_CFG_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_LENGTH		12
#define VCAP_NOTIFY_MULT	16
#define VCAP_COMMON		1
#define VCAP_NOTIFY		2
#define VCAP_ISR		3
#define VCAP_DEVICE		4
#define VCAP_MIN_LEN		16	/* struct virtio_pci_cap */
#define VCAP_NOTIFY_MIN_LEN	20	/* struct virtio_pci_notify_cap */
#define VCAP_NOTIFY_ALIGN	2	/* cap.offset (4.1.4.4.1) */

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

#define VP_FMT			"virtio-pci %02x:%02x.%x: "
#define VP_ARGS(pd)		(pd)->pd_bus, (pd)->pd_dev, (pd)->pd_fn

static const char *const vcap_names[] = {
	[VCAP_COMMON] = "common", [VCAP_NOTIFY] = "notify",
	[VCAP_ISR] = "isr", [VCAP_DEVICE] = "device",
};

/*
 * Checks the capability at cap, of type `type`, whose window must hold at
 * least min_len bytes (4.1.4), and maps its BAR.  Returns the window and
 * sets *lenp to its length, or logs why not and returns NULL.
 */
static volatile uint8_t *
cap_map(struct pci_dev *pd, int cap, uint8_t type, uint32_t min_len,
    uint32_t *lenp)
{
	uint8_t clen = pci_read8(pd, (uint16_t)(cap + VCAP_LEN));
	uint8_t bar = pci_read8(pd, (uint16_t)(cap + VCAP_BAR));
	uint32_t off = pci_read32(pd, (uint16_t)(cap + VCAP_OFFSET));
	uint32_t len = pci_read32(pd, (uint16_t)(cap + VCAP_LENGTH));
	const char *name = vcap_names[type];
	uint8_t *base;

	if (clen < (type == VCAP_NOTIFY ? VCAP_NOTIFY_MIN_LEN :
	    VCAP_MIN_LEN)) {
		printk(VP_FMT "%s capability at 0x%x is %u bytes, too short; "
		    "skipped\n", VP_ARGS(pd), name, cap, clen);
		return NULL;
	}
	if (bar >= PCI_NUM_BARS || (base = pci_bar_map(pd, bar)) == NULL) {
		printk(VP_FMT "%s capability at 0x%x names BAR %u, not a "
		    "memory BAR; skipped\n", VP_ARGS(pd), name, cap, bar);
		return NULL;
	}
	if (!virtio_pci_cap_ok(pd->pd_bar[bar].pb_size, off, len) ||
	    len < min_len ||
	    (type == VCAP_NOTIFY && off % VCAP_NOTIFY_ALIGN != 0)) {
		printk(VP_FMT "%s capability at 0x%x: window 0x%x+0x%x is not "
		    "inside BAR %u (0x%lx bytes) or holds less than %u; "
		    "skipped\n", VP_ARGS(pd), name, cap, off, len, bar,
		    pd->pd_bar[bar].pb_size, min_len);
		return NULL;
	}
	*lenp = len;
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
 * Finds the capabilities, checks and maps them, resets the device and
 * acknowledges it.  Returns 0, -ETIMEDOUT if the reset never completes,
 * or -ENODEV (logged) for a device without a usable modern interface.
 */
int
virtio_pci_attach(struct pci_dev *pd, struct virtio_pci *vp)
{
	uint64_t waited;
	uint32_t len;
	uint8_t type;
	int cap;

	vp->vp_pci = pd;
	pci_enable(pd);
	for (cap = pci_find_cap(pd, PCI_CAP_VENDOR, 0); cap >= 0;
	    cap = pci_find_cap(pd, PCI_CAP_VENDOR, cap)) {
		type = pci_read8(pd, (uint16_t)(cap + VCAP_CFG_TYPE));
		switch (type) {
		case VCAP_COMMON:
			if (vp->vp_common == NULL)
				vp->vp_common = cap_map(pd, cap, type,
				    VIRTIO_PCI_COMMON_LEN, &len);
			break;
		case VCAP_NOTIFY:
			if (vp->vp_notify == NULL &&
			    (vp->vp_notify = cap_map(pd, cap, type,
			    VIRTIO_PCI_NOTIFY_LEN, &vp->vp_notify_len)) != NULL)
				vp->vp_notify_mult = pci_read32(pd,
				    (uint16_t)(cap + VCAP_NOTIFY_MULT));
			break;
		case VCAP_ISR:
			if (vp->vp_isr == NULL)
				vp->vp_isr = cap_map(pd, cap, type,
				    VIRTIO_PCI_ISR_LEN, &len);
			break;
		case VCAP_DEVICE:
			if (vp->vp_device == NULL)
				vp->vp_device = cap_map(pd, cap, type, 1,
				    &vp->vp_device_len);
			break;
		default:
			break;
		}
	}
	if (vp->vp_common == NULL || vp->vp_notify == NULL ||
	    vp->vp_device == NULL) {
		printk(VP_FMT "no usable %s capability\n", VP_ARGS(pd),
		    vp->vp_common == NULL ? "common" :
		    vp->vp_notify == NULL ? "notify" : "device");
		return -ENODEV;
	}
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
 * Programs queue q and enables it.  Fails with -EINVAL (and a log line) if
 * the queue's doorbell lies outside the notify window, or with -EIO if the
 * device did not accept the MSI-X vector (it reads back VIRTIO_NO_VECTOR
 * when the index is beyond the device's `vectors=`).  *notify gets the
 * queue's doorbell.
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
	off = C16(vp, VC_Q_NOTIFY_OFF);
	if (!virtio_pci_notify_ok(vp->vp_notify_len, off, vp->vp_notify_mult)) {
		printk(VP_FMT "queue %u doorbell at %u * %u is outside the "
		    "notify window (%u bytes)\n", VP_ARGS(vp->vp_pci), q, off,
		    vp->vp_notify_mult, vp->vp_notify_len);
		return -EINVAL;
	}
	C16(vp, VC_Q_SIZE) = size;
	C16(vp, VC_Q_MSIX) = msix;
	if (C16(vp, VC_Q_MSIX) != msix)
		return -EIO;
	write64(vp, VC_Q_DESC, desc);
	write64(vp, VC_Q_DRIVER, driver);
	write64(vp, VC_Q_DEVICE, device);
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
