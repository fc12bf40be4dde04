/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * drivers/virtio/virtqueue.h: the driver side of a split virtqueue
 * (virtio 1.2 section 2.7), independent of the transport.
 *
 * A virtqueue hands buffers to a device and gets them back.  The driver
 * describes each buffer as a chain of descriptors in the descriptor table,
 * puts the chain's head index in the available ring, and publishes a new
 * avail idx; the device returns finished chains, in any order, through
 * the used ring.  This module does the ring arithmetic only: it knows no
 * transport and no device type.  The transport allocates zeroed ring
 * memory of the sizes below, tells the device where it is, calls
 * vq_init(), and rings the doorbell whenever vq_kick_prepare() says so.
 *
 * Design: free descriptors form a list threaded through their own vd_next
 * fields (2.7.13.1 suggests this), so a chain of n descriptors is simply
 * the first n entries of the free list and freeing a chain splices it back
 * on the front in O(chain length).  vq_add() fills descriptors and the
 * next avail ring slot but does not publish; vq_kick_prepare() publishes
 * every chain added since the last call with a single avail idx store and
 * then decides whether the device needs a notification, which batches
 * notifications naturally.  Each chain carries a caller cookie, stored by
 * head index in vq_cookies[] and handed back exactly once by
 * vq_get_used().  With VIRTIO_F_INDIRECT_DESC a multi-segment buffer can
 * instead occupy one ring descriptor pointing at a caller-supplied table
 * (2.7.5.3).  Notification suppression in both directions (2.7.7, 2.7.10)
 * uses either the flags words or, with VIRTIO_F_EVENT_IDX, the
 * used_event / avail_event trailers and vring_need_event().  All 16-bit
 * indices run freely and wrap at 65536; since the queue size is a power
 * of two <= 32768, "idx & (size - 1)" is the slot and the difference of
 * two indices is a count (2.7.13).  Fields are little-endian; the code
 * assumes a little-endian CPU (checked at compile time).
 *
 * Ring layout (three separately allocated, physically contiguous parts):
 *
 *   descriptor table: 16-aligned, 16 * size bytes; driver writes
 *   +0       +8       +12        +14
 *   +--------+--------+----------+---------+
 *   | vd_addr| vd_len | vd_flags | vd_next |  desc[0]
 *   |  u64   |  u32   |   u16    |   u16   |
 *   +--------+--------+----------+---------+
 *   |                 ...                  |  desc[size - 1]
 *   +--------------------------------------+
 *
 *   available ring: 2-aligned, 6 + 2 * size bytes; driver writes
 *   +0         +2       +4                    +4 + 2 * size
 *   +----------+--------+--------------------+------------+
 *   | va_flags | va_idx | va_ring[size]: u16 | used_event |
 *   +----------+--------+--------------------+------------+
 *
 *   used ring: 4-aligned, 6 + 8 * size bytes; device writes
 *   +0         +2       +4                            +4 + 8 * size
 *   +----------+--------+----------------------------+-------------+
 *   | vu_flags | vu_idx | vu_ring[size]:             | avail_event |
 *   |          |        |   { u32 vu_id; u32 vu_len } |             |
 *   +----------+--------+----------------------------+-------------+
 *
 *   Free-running indices, as distances mod 65536:
 *   vq_last_used <= used vu_idx <= vq_avail_pub <= vq_avail_idx,
 *   and vq_avail_idx - vq_last_used <= size.
 *
 * Device input: everything the device writes (vu_idx, each used element's
 * id and len, avail_event, vu_flags) is input, checked before use and
 * never asserted.  A used entry whose id is out of range, or names no
 * chain the device holds (a duplicate, or a descriptor that is not a
 * head), is skipped and counted (vq_bad_id, vq_bad_dup); a length beyond
 * the chain's writable bytes is clamped and counted (vq_bad_len).  A used
 * idx that claims more entries than chains were published, i.e. one that
 * jumped ahead or went backwards, leaves nothing in the ring worth
 * trusting: it is counted once (vq_bad_idx) and the queue is marked
 * broken.  A broken queue returns nothing more from vq_get_used(), takes
 * no more buffers (vq_add() says -EIO), and keeps its outstanding chains
 * for good, since the device may still be using them; only a device reset
 * and vq_init() bring it back.  The descriptor table and vq_cookies[] are
 * the driver's own (the device only reads descriptors), so their
 * consistency is a KASSERT.  The driver reports the counters (vtnet:
 * `vtnet rings`, and one log line per queue the first time).
 *
 * Packed rings (2.8) would plug in behind the same entry points: struct
 * vq_seg, cookies, vq_add(), vq_kick_prepare(), vq_get_used(),
 * vq_has_used(), vq_intr_*() and vq_nfree() say nothing about the ring
 * format.  Only vq_init(), the vq_*_bytes() helpers and the vring_*
 * structures are split-specific.  A packed implementation would add
 * vq_init_packed(), a format field in struct virtqueue and a switch at the
 * top of each public function; its indirect tables have the same 16-byte
 * entries, so the caller's table storage keeps its size.
 *
 * Locking: the virtqueue has no lock of its own.  All calls on one
 * virtqueue, vq_add()/vq_kick_prepare() on the submit side and
 * vq_get_used()/vq_has_used()/vq_intr_disable()/vq_intr_enable()/
 * vq_intr_postpone() on the completion side, must be serialised by the
 * caller (one lock, or one owning CPU): the two sides share the free
 * list, vq_nfree and vq_cookies[].  The device runs concurrently with every one of these
 * functions; they touch device-visible memory only with __atomic accesses
 * and the fences described in virtqueue.c.  vq_init() must finish before
 * the device is told the ring addresses (before the queue is enabled), and
 * must not be repeated while the device may still use the rings (reset
 * the device first).  The vq_*_bytes() helpers and vring_need_event() are
 * pure.
 */

#ifndef DRIVERS_VIRTIO_VIRTQUEUE_H
#define DRIVERS_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest queue size (2.7: a power of two that fits 16-bit indices). */
#define VQ_MAX_SIZE		32768

/* Minimum alignment of each ring part (2.7, table of part sizes). */
#define VQ_DESC_ALIGN		16
#define VQ_AVAIL_ALIGN		2
#define VQ_USED_ALIGN		4

/* Descriptor flags (2.7.5). */
#define VRING_DESC_F_NEXT	1	/* chain continues at vd_next */
#define VRING_DESC_F_WRITE	2	/* device-writable (else readable) */
#define VRING_DESC_F_INDIRECT	4	/* buffer is a descriptor table */

/* Driver to device: no used buffer notifications please (2.7.7). */
#define VRING_AVAIL_F_NO_INTERRUPT	1
/* Device to driver: no available buffer notifications please (2.7.10). */
#define VRING_USED_F_NO_NOTIFY		1

/* Descriptor table entry (2.7.5); also the indirect table entry. */
struct vring_desc {
	uint64_t	vd_addr;	/* guest-physical buffer address */
	uint32_t	vd_len;		/* buffer length in bytes */
	uint16_t	vd_flags;	/* VRING_DESC_F_* */
	uint16_t	vd_next;	/* next descriptor if F_NEXT */
};

/* Available ring header (2.7.6); used_event follows va_ring[size]. */
struct vring_avail {
	uint16_t	va_flags;	/* VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t	va_idx;		/* next slot the driver will fill */
	uint16_t	va_ring[];	/* chain heads */
};

/* Used ring element (2.7.8). */
struct vring_used_elem {
	uint32_t	vu_id;		/* head of the finished chain */
	uint32_t	vu_len;		/* bytes the device wrote */
};

/* Used ring header (2.7.8); avail_event follows vu_ring[size]. */
struct vring_used {
	uint16_t	vu_flags;	/* VRING_USED_F_NO_NOTIFY */
	uint16_t	vu_idx;		/* next slot the device will fill */
	struct vring_used_elem vu_ring[];
};

/* The layouts the device sees (2.7.5, 2.7.6, 2.7.8). */
_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc size");
_Static_assert(offsetof(struct vring_desc, vd_len) == 8, "vd_len");
_Static_assert(offsetof(struct vring_desc, vd_flags) == 12, "vd_flags");
_Static_assert(offsetof(struct vring_desc, vd_next) == 14, "vd_next");
_Static_assert(sizeof(struct vring_used_elem) == 8, "used elem size");
_Static_assert(offsetof(struct vring_used_elem, vu_len) == 4, "vu_len");
_Static_assert(offsetof(struct vring_avail, va_idx) == 2, "va_idx");
_Static_assert(offsetof(struct vring_avail, va_ring) == 4, "va_ring");
_Static_assert(sizeof(struct vring_avail) == 4, "avail header");
_Static_assert(offsetof(struct vring_used, vu_idx) == 2, "vu_idx");
_Static_assert(offsetof(struct vring_used, vu_ring) == 4, "vu_ring");
_Static_assert(sizeof(struct vring_used) == 4, "used header");
_Static_assert(_Alignof(struct vring_used) <= VQ_USED_ALIGN, "used align");

/* One piece of a buffer: caller memory, identity-mapped. */
struct vq_seg {
	const void	*vs_addr;
	uint32_t	vs_len;
};

struct virtqueue {
	struct vring_desc	*vq_desc;	/* descriptor table */
	struct vring_avail	*vq_avail;	/* driver area */
	struct vring_used	*vq_used;	/* device area */
	void			**vq_cookies;	/* by head; NULL if not a head */
	uint16_t		vq_size;	/* entries, a power of two */
	uint16_t		vq_mask;	/* vq_size - 1 */
	uint16_t		vq_free_head;	/* first free descriptor */
	uint16_t		vq_nfree;	/* free descriptors */
	uint16_t		vq_avail_idx;	/* shadow idx: next slot to fill */
	uint16_t		vq_avail_pub;	/* avail idx last published */
	uint16_t		vq_last_used;	/* next used entry to consume */
	uint16_t		vq_used_event;	/* last used_event written */
	bool			vq_event_idx;	/* VIRTIO_F_EVENT_IDX */
	bool			vq_indirect;	/* VIRTIO_F_INDIRECT_DESC */
	bool			vq_intr_off;	/* vq_intr_disable() in force */
	bool			vq_intr_postponed; /* vq_intr_postpone() armed */
	uint64_t		vq_kicks;	/* kick_prepare said notify */
	uint64_t		vq_kicks_suppressed; /* ... said don't */
	uint64_t		vq_full;	/* vq_add() -ENOSPC */
	/* Bad device input (see the top of this file), by kind: */
	uint64_t		vq_bad_id;	/* used id >= vq_size */
	uint64_t		vq_bad_dup;	/* used id not a chain it holds */
	uint64_t		vq_bad_len;	/* used len > writable: clamped */
	uint64_t		vq_bad_idx;	/* used idx past the published */
	uint64_t		vq_bad_chain;	/* own chain broken (no KASSERT) */
	bool			vq_broken;	/* stopped: see vq_is_broken() */
};

/*
 * The one place a pointer becomes a device address, and back (for the
 * driver's own indirect tables).  The kernel is identity-mapped, so it is
 * the pointer's value.
 */
static inline uint64_t
vq_phys(const void *p)
{
	return ((uint64_t)(uintptr_t)p);
}

static inline void *
vq_virt(uint64_t pa)
{
	return ((void *)(uintptr_t)pa);
}

/*
 * 2.7.10: true if moving an index from old_idx to new_idx passed
 * event_idx, i.e. event_idx lies in [old_idx, new_idx) modulo 65536.
 * Valid while new_idx - old_idx < 65536 entries, which the ring size
 * guarantees.
 */
static inline bool
vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return ((uint16_t)(new_idx - event_idx - 1) <
	    (uint16_t)(new_idx - old_idx));
}

/* The EVENT_IDX trailers behind the two rings (2.7.6, 2.7.8). */
static inline uint16_t *
vring_used_event(struct vring_avail *avail, uint16_t size)
{
	return (&avail->va_ring[size]);
}

static inline uint16_t *
vring_avail_event(struct vring_used *used, uint16_t size)
{
	return ((uint16_t *)(void *)&used->vu_ring[size]);
}

/* Bytes of each ring part for `size` entries, event trailers included. */
size_t	vq_desc_bytes(uint16_t size);
size_t	vq_avail_bytes(uint16_t size);
size_t	vq_used_bytes(uint16_t size);

/*
 * size must be a power of two <= VQ_MAX_SIZE; desc, avail and used must
 * be zeroed memory of the sizes above, aligned to VQ_*_ALIGN; cookies has
 * size entries.  event_idx and indirect say which of VIRTIO_F_EVENT_IDX
 * and VIRTIO_F_INDIRECT_DESC were negotiated.  Used buffer notifications
 * start enabled.  Returns 0 or -EINVAL.
 */
int	vq_init(struct virtqueue *vq, uint16_t size, void *desc, void *avail,
	    void *used, void **cookies, bool event_idx, bool indirect);

/*
 * Adds a buffer: nout device-readable segs followed by nin device-writable
 * ones; cookie (non-NULL) comes back from vq_get_used().  One descriptor
 * per seg, or, when indirect was negotiated, nout + nin > 1 and `indirect`
 * is non-NULL, a single descriptor pointing at `indirect` (caller memory
 * of at least nout + nin entries that lives until the buffer is returned).
 * Not visible to the device until vq_kick_prepare().  Returns 0, -ENOSPC
 * if too few descriptors are free now (counted in vq_full), -EIO if the
 * queue is broken, or -EINVAL for bad arguments, including a chain that
 * could never fit (more segs than the queue size) and more than 4 GiB - 1
 * in total.
 */
int	vq_add(struct virtqueue *vq, const struct vq_seg *segs, unsigned nout,
	    unsigned nin, void *cookie, struct vring_desc *indirect);

/*
 * Publishes every buffer added since the last call and returns true if
 * the caller must notify the device: with EVENT_IDX per
 * vring_need_event(avail_event, new, old), otherwise unless the device
 * set VRING_USED_F_NO_NOTIFY.  False if nothing was added.
 */
bool	vq_kick_prepare(struct virtqueue *vq);

/*
 * Next finished buffer: returns its cookie and sets *len (if len is not
 * NULL) to the bytes the device wrote, clamped to the buffer's writable
 * size; NULL if none.  Frees the buffer's descriptors.  Each cookie comes
 * back at most once per vq_add(), whatever the device writes: bad used
 * entries are skipped and counted, and a used idx that ran past the
 * published chains stops the queue (vq_is_broken(); NULL from then on).
 * With interrupts enabled and EVENT_IDX, a caller that consumes must go
 * on until NULL (or call vq_intr_enable()) to be sure of the next
 * interrupt.
 */
void	*vq_get_used(struct virtqueue *vq, uint32_t *len);

/*
 * True if vq_get_used() may return a buffer (a snapshot); false once the
 * queue is broken.
 */
bool	vq_has_used(const struct virtqueue *vq);

/*
 * How many used entries wait (a snapshot of the device's vu_idx, not yet
 * checked: vq_get_used() checks each); 0 once the queue is broken.
 */
uint16_t	vq_used_count(const struct virtqueue *vq);

/*
 * True once the device broke the queue (a used idx past the published
 * chains): nothing more is returned or taken until the device is reset
 * and vq_init() runs again.
 */
bool	vq_is_broken(const struct virtqueue *vq);

/*
 * Used buffer notification suppression (2.7.7).  vq_intr_disable() asks
 * the device not to interrupt: VRING_AVAIL_F_NO_INTERRUPT, or with
 * EVENT_IDX (where va_flags must stay 0) used_event parked one entry
 * behind the driver, a value the device cannot reach (see virtqueue.c).
 * vq_intr_enable() re-arms (with EVENT_IDX: used_event = the next entry
 * to consume) and returns true if used buffers are already waiting: the
 * caller must then poll again, as their interrupt may never come.
 */
void	vq_intr_disable(struct virtqueue *vq);
bool	vq_intr_enable(struct virtqueue *vq);

/*
 * One postponed notification: with EVENT_IDX, used_event = vq_last_used +
 * n - 1, so the device interrupts once n more chains are used than the
 * driver has consumed (n is clamped to 1..vq_size), and vq_get_used()
 * leaves used_event there.  When the driver itself consumes past it, the
 * notification is spent (the device, having passed it after seeing it,
 * has sent it or will) and the queue falls back to vq_intr_disable()'s
 * parked state.  Without EVENT_IDX it is vq_intr_enable() (va_flags 0):
 * there is nothing to postpone with.  The same re-check as
 * vq_intr_enable(): returns true if n or more used chains are already
 * waiting, when the interrupt may never come and the caller must consume
 * them itself.  vq_intr_disable() and vq_intr_enable() cancel it.
 */
bool	vq_intr_postpone(struct virtqueue *vq, uint16_t n);

uint16_t	vq_nfree(const struct virtqueue *vq);

#endif /* DRIVERS_VIRTIO_VIRTQUEUE_H */
