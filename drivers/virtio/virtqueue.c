/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * drivers/virtio/virtqueue.c: split virtqueue ring logic (virtio 1.2
 * section 2.7), driver side.
 *
 * See virtqueue.h for the layout and the interface.  This file is
 * portable C: it builds freestanding in the kernel and hosted in the unit
 * tests, where tests/unit/test_virtqueue.c drives it against a simulated
 * device.
 *
 * Design: every access to memory the device can see (descriptors, the
 * avail ring, the used ring) goes through the vq_load / vq_store helpers,
 * which are relaxed __atomic accesses: single, untorn loads and stores
 * the compiler may neither split, merge nor drop.  Ordering comes from
 * explicit fences, placed as 2.7.13 asks:
 *
 *   vq_kick_prepare()	descriptors and ring slots, RELEASE fence,
 *			store va_idx, SEQ_CST fence, load avail_event or
 *			vu_flags.  The release fence makes the chains
 *			visible no later than the idx that exposes them
 *			(2.7.13.3.1); the full fence stops the load of the
 *			device's suppression state from passing the idx
 *			store (2.7.13.4.1).  Without it the driver could
 *			read "don't notify" from a device that, having just
 *			seen the old idx, is going to sleep: a lost kick.
 *   vq_get_used()	load vu_idx, ACQUIRE fence, load the element: the
 *			element is read no earlier than the idx that covers
 *			it.
 *   vq_intr_enable()	store used_event or va_flags, SEQ_CST fence,
 *			reload vu_idx.  The mirror image of the kick: either
 *			the device sees the re-armed event and interrupts,
 *			or the reload sees its entries; never neither.
 *   vq_intr_postpone()	the same, with used_event further ahead.
 *
 * Interrupt suppression with EVENT_IDX: va_flags must stay 0 (2.7.7.1), so
 * vq_intr_disable() instead parks used_event one entry behind the driver,
 * at vq_last_used - 1.  The device interrupts only when its used idx moves
 * past used_event, i.e. to vq_last_used + 65536, and it can never be more
 * than vq_size <= 32768 entries ahead of the driver.  While the driver
 * keeps consuming with interrupts off, vq_get_used() re-parks used_event
 * whenever the driver has moved VQ_EVENT_PARK_SLACK entries past it, so
 * the device stays at least 65536 - 16384 - 32768 entries short of it,
 * even reading a stale (previous) parked value.  vq_intr_enable() sets
 * used_event = vq_last_used, "interrupt at the next entry".
 * vq_intr_postpone(n) sets used_event = vq_last_used + n - 1, "interrupt
 * at the n-th entry from here", and vq_get_used() leaves it alone until
 * the driver consumes past it; then the device has passed it too, after
 * the fence in vq_intr_postpone() (so it has interrupted or will, unless
 * vq_intr_postpone() said it had passed already), and used_event is
 * parked as by vq_intr_disable(): one notification per postponement.
 *
 * Device input (virtqueue.h has the policy): vq_get_used() trusts a used
 * entry only after checking it against driver-private state.  The idx
 * must not run past vq_avail_pub, the last idx published: that bounds
 * every later ring read to entries the device could have written, and
 * keeps vq_last_used <= vq_avail_pub, so vq_avail_idx - vq_last_used
 * stays at most vq_size even after skipped entries.  The id must index a
 * slot whose cookie is set: only chain heads the device holds have one,
 * so a bad id never reaches vq_free_chain(), whose walk of our own
 * descriptors is asserted (and, without KASSERT, bounded: a broken walk
 * stops the queue instead of corrupting the free list).
 *
 * Locking: none here; see virtqueue.h.  The caller serialises every call
 * on one virtqueue; the device runs concurrently with all of them.
 */

#include "drivers/virtio/virtqueue.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"

/* Ring fields are little-endian (2.4); this code stores them natively. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "virtqueue.c needs le16/le32/le64 conversions on big-endian CPUs");

/* flags + idx in front of both rings (2.7.6, 2.7.8). */
#define VQ_RING_HDR_BYTES	4
/* used_event / avail_event behind the rings, VIRTIO_F_EVENT_IDX (2.7). */
#define VQ_EVENT_BYTES		2
/* Re-park a parked used_event once the driver is this far past it. */
#define VQ_EVENT_PARK_SLACK	0x4000
/* Largest total chain length: vu_len must be able to say it (2.7.5.1). */
#define VQ_MAX_CHAIN_BYTES	UINT32_MAX

_Static_assert(VQ_EVENT_PARK_SLACK + VQ_MAX_SIZE < 65536,
    "a parked used_event must stay out of the device's reach");

/* ---- device-visible memory ---- */

static inline uint16_t
vq_load16(const uint16_t *p)
{
	return (__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint32_t
vq_load32(const uint32_t *p)
{
	return (__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint64_t
vq_load64(const uint64_t *p)
{
	return (__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void
vq_store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void
vq_store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void
vq_store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void
vq_desc_set(struct vring_desc *d, const void *addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	vq_store64(&d->vd_addr, vq_phys(addr));
	vq_store32(&d->vd_len, len);
	vq_store16(&d->vd_flags, flags);
	vq_store16(&d->vd_next, next);
}

/* ---- layout ---- */

size_t
vq_desc_bytes(uint16_t size)
{
	return ((size_t)size * sizeof(struct vring_desc));
}

size_t
vq_avail_bytes(uint16_t size)
{
	return (VQ_RING_HDR_BYTES + (size_t)size * sizeof(uint16_t) +
	    VQ_EVENT_BYTES);
}

size_t
vq_used_bytes(uint16_t size)
{
	return (VQ_RING_HDR_BYTES +
	    (size_t)size * sizeof(struct vring_used_elem) + VQ_EVENT_BYTES);
}

static bool
vq_aligned(const void *p, uintptr_t align)
{
	return (((uintptr_t)p & (align - 1)) == 0);
}

int
vq_init(struct virtqueue *vq, uint16_t size, void *desc, void *avail,
    void *used, void **cookies, bool event_idx, bool indirect)
{
	uint16_t i;

	if (vq == NULL || desc == NULL || avail == NULL || used == NULL ||
	    cookies == NULL)
		return (-EINVAL);
	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)) != 0)
		return (-EINVAL);
	if (!vq_aligned(desc, VQ_DESC_ALIGN) ||
	    !vq_aligned(avail, VQ_AVAIL_ALIGN) ||
	    !vq_aligned(used, VQ_USED_ALIGN))
		return (-EINVAL);

	vq->vq_desc = desc;
	vq->vq_avail = avail;
	vq->vq_used = used;
	vq->vq_cookies = cookies;
	vq->vq_size = size;
	vq->vq_mask = size - 1;
	vq->vq_event_idx = event_idx;
	vq->vq_indirect = indirect;
	vq->vq_intr_off = false;
	vq->vq_intr_postponed = false;
	vq->vq_avail_idx = 0;
	vq->vq_avail_pub = 0;
	vq->vq_last_used = 0;
	vq->vq_used_event = 0;
	vq->vq_kicks = 0;
	vq->vq_kicks_suppressed = 0;
	vq->vq_full = 0;
	vq->vq_bad_id = 0;
	vq->vq_bad_dup = 0;
	vq->vq_bad_len = 0;
	vq->vq_bad_idx = 0;
	vq->vq_bad_chain = 0;
	vq->vq_broken = false;

	/* Every descriptor free, linked in table order. */
	for (i = 0; i < size; i++) {
		vq_desc_set(&vq->vq_desc[i], NULL, 0, 0,
		    (uint16_t)((i + 1) & vq->vq_mask));
		cookies[i] = NULL;
	}
	vq->vq_free_head = 0;
	vq->vq_nfree = size;

	/*
	 * The caller zeroed the rings; set the words with a meaning anyway.
	 * used_event 0 asks for an interrupt after the first buffer; the
	 * used flags start at 0 as 2.7.10.1 requires.
	 */
	vq_store16(&vq->vq_avail->va_flags, 0);
	vq_store16(&vq->vq_avail->va_idx, 0);
	vq_store16(vring_used_event(vq->vq_avail, size), 0);
	vq_store16(&vq->vq_used->vu_flags, 0);
	vq_store16(&vq->vq_used->vu_idx, 0);
	vq_store16(vring_avail_event(vq->vq_used, size), 0);
	return (0);
}

/* ---- submit side ---- */

int
vq_add(struct virtqueue *vq, const struct vq_seg *segs, unsigned nout,
    unsigned nin, void *cookie, struct vring_desc *indirect)
{
	uint64_t total;
	unsigned i, n, need;
	uint16_t head, d, flags;
	bool use_ind;

	if (segs == NULL || cookie == NULL || nout > vq->vq_size ||
	    nin > vq->vq_size)
		return (-EINVAL);
	n = nout + nin;
	if (n == 0 || n > vq->vq_size)
		return (-EINVAL);
	total = 0;
	for (i = 0; i < n; i++) {
		if (segs[i].vs_addr == NULL)
			return (-EINVAL);
		total += segs[i].vs_len;
	}
	if (total > VQ_MAX_CHAIN_BYTES)
		return (-EINVAL);
	if (vq->vq_broken)
		return (-EIO);

	use_ind = vq->vq_indirect && indirect != NULL && n > 1;
	need = use_ind ? 1 : n;
	if (need > vq->vq_nfree) {
		vq->vq_full++;
		return (-ENOSPC);
	}

	head = vq->vq_free_head;
	KASSERT(head < vq->vq_size && vq->vq_cookies[head] == NULL,
	    ("vq_add: %p: free head %u busy", vq, head));
	if (use_ind) {
		/* 2.7.5.3: the table is numbered from 0, chained in order. */
		for (i = 0; i < n; i++) {
			flags = i >= nout ? VRING_DESC_F_WRITE : 0;
			if (i + 1 < n)
				flags |= VRING_DESC_F_NEXT;
			vq_desc_set(&indirect[i], segs[i].vs_addr,
			    segs[i].vs_len, flags,
			    (uint16_t)(i + 1 < n ? i + 1 : 0));
		}
		vq->vq_free_head = vq_load16(&vq->vq_desc[head].vd_next);
		/* INDIRECT without NEXT or WRITE (2.7.5.3.1). */
		vq_desc_set(&vq->vq_desc[head], indirect,
		    (uint32_t)(n * sizeof(struct vring_desc)),
		    VRING_DESC_F_INDIRECT, 0);
	} else {
		/*
		 * The first n free descriptors are already linked through
		 * vd_next, so the chain's links are the free list's.
		 */
		d = head;
		for (i = 0; i < n; i++) {
			KASSERT(d < vq->vq_size,
			    ("vq_add: %p: free list broken at %u", vq, d));
			flags = i >= nout ? VRING_DESC_F_WRITE : 0;
			if (i + 1 < n)
				flags |= VRING_DESC_F_NEXT;
			vq_store64(&vq->vq_desc[d].vd_addr,
			    vq_phys(segs[i].vs_addr));
			vq_store32(&vq->vq_desc[d].vd_len, segs[i].vs_len);
			vq_store16(&vq->vq_desc[d].vd_flags, flags);
			d = vq_load16(&vq->vq_desc[d].vd_next);
		}
		vq->vq_free_head = d;
	}
	vq->vq_nfree -= (uint16_t)need;
	vq->vq_cookies[head] = cookie;

	/* Fill the slot now; vq_kick_prepare() publishes it (2.7.13.2). */
	vq_store16(&vq->vq_avail->va_ring[vq->vq_avail_idx & vq->vq_mask],
	    head);
	vq->vq_avail_idx++;
	KASSERT((uint16_t)(vq->vq_avail_idx - vq->vq_last_used) <=
	    vq->vq_size, ("vq_add: %p: more chains than slots", vq));
	return (0);
}

bool
vq_kick_prepare(struct virtqueue *vq)
{
	uint16_t old, new, ev;
	bool kick;

	old = vq->vq_avail_pub;
	new = vq->vq_avail_idx;
	if (old == new)
		return (false);

	/* Descriptors and ring slots before the idx that exposes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq_store16(&vq->vq_avail->va_idx, new);
	vq->vq_avail_pub = new;

	/* The idx store before reading the device's wishes (2.7.13.4.1). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->vq_event_idx) {
		ev = vq_load16(vring_avail_event(vq->vq_used, vq->vq_size));
		kick = vring_need_event(ev, new, old);
	} else
		kick = (vq_load16(&vq->vq_used->vu_flags) &
		    VRING_USED_F_NO_NOTIFY) == 0;

	if (kick)
		vq->vq_kicks++;
	else
		vq->vq_kicks_suppressed++;
	return (kick);
}

/* ---- completion side ---- */

/*
 * Returns the chain at head, one the device held, to the free list and
 * sets *wlen to the number of bytes the device may write to it.  The
 * descriptors are the driver's own, so a broken walk is a KASSERT; with
 * KASSERT off it is bounded by the descriptors in use, counted, and stops
 * the queue (the chain is leaked, the free list left intact).  Returns
 * false then.
 */
static bool
vq_free_chain(struct virtqueue *vq, uint16_t head, uint64_t *wlen)
{
	struct vring_desc *d, *tbl;
	uint32_t i, n;
	uint16_t tail, flags, cnt, inuse;

	inuse = vq->vq_size - vq->vq_nfree;
	*wlen = 0;
	tail = head;
	cnt = 1;
	for (;;) {
		d = &vq->vq_desc[tail];
		flags = vq_load16(&d->vd_flags);
		if ((flags & VRING_DESC_F_INDIRECT) != 0) {
			tbl = vq_virt(vq_load64(&d->vd_addr));
			n = vq_load32(&d->vd_len) / sizeof(struct vring_desc);
			for (i = 0; i < n; i++)
				if ((vq_load16(&tbl[i].vd_flags) &
				    VRING_DESC_F_WRITE) != 0)
					*wlen += vq_load32(&tbl[i].vd_len);
		} else if ((flags & VRING_DESC_F_WRITE) != 0)
			*wlen += vq_load32(&d->vd_len);
		if ((flags & VRING_DESC_F_NEXT) == 0)
			break;
		tail = vq_load16(&d->vd_next);
		cnt++;
		KASSERT(tail < vq->vq_size && cnt <= inuse,
		    ("vq_free_chain: %p: chain at %u broken", vq, head));
		if (tail >= vq->vq_size || cnt > inuse) {
			vq->vq_bad_chain++;
			vq->vq_broken = true;
			return (false);
		}
	}
	vq_store16(&vq->vq_desc[tail].vd_next, vq->vq_free_head);
	vq->vq_free_head = head;
	vq->vq_nfree += cnt;
	KASSERT(vq->vq_nfree <= vq->vq_size,
	    ("vq_free_chain: %p: %u free of %u", vq, vq->vq_nfree,
	    vq->vq_size));
	return (true);
}

/* After consuming a used entry: keep used_event where it belongs. */
static void
vq_used_event_update(struct virtqueue *vq)
{
	uint16_t *uev;

	if (!vq->vq_event_idx)
		return;
	uev = vring_used_event(vq->vq_avail, vq->vq_size);
	if (vq->vq_intr_postponed) {
		/* Still ahead (or at the entry to come): leave it. */
		if ((uint16_t)(vq->vq_used_event - vq->vq_last_used) < 0x8000)
			return;
		/* Consumed past it: spent, park (vq_intr_disable()). */
		vq->vq_intr_postponed = false;
		vq->vq_intr_off = true;
		vq->vq_used_event = vq->vq_last_used - 1;
		vq_store16(uev, vq->vq_used_event);
		return;
	}
	if (vq->vq_intr_off) {
		/* Parked: move it along before the device could reach it. */
		if ((uint16_t)(vq->vq_last_used - 1 - vq->vq_used_event) >=
		    VQ_EVENT_PARK_SLACK) {
			vq->vq_used_event = vq->vq_last_used - 1;
			vq_store16(uev, vq->vq_used_event);
		}
		return;
	}
	/*
	 * Armed: ask for the entry after this one, and order that before
	 * the caller's next look at vu_idx, as in vq_intr_enable().
	 */
	vq->vq_used_event = vq->vq_last_used;
	vq_store16(uev, vq->vq_used_event);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void *
vq_get_used(struct virtqueue *vq, uint32_t *len)
{
	struct vring_used_elem *e;
	uint64_t wlen;
	uint32_t id, ulen;
	uint16_t uidx, ready;
	void *cookie;

	if (vq->vq_broken)
		return (NULL);
	for (;;) {
		uidx = vq_load16(&vq->vq_used->vu_idx);
		ready = (uint16_t)(uidx - vq->vq_last_used);
		if (ready == 0)
			return (NULL);
		/*
		 * 2.7.8: the device returns only chains it was given, so it
		 * can be at most vq_avail_pub - vq_last_used entries ahead.
		 * Beyond that (a jump, or an idx that went backwards) the
		 * ring holds nothing we could trust: stop the queue.
		 */
		if (ready > (uint16_t)(vq->vq_avail_pub - vq->vq_last_used)) {
			vq->vq_bad_idx++;
			vq->vq_broken = true;
			return (NULL);
		}
		/* The element no earlier than the idx covering it. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		e = &vq->vq_used->vu_ring[vq->vq_last_used & vq->vq_mask];
		id = vq_load32(&e->vu_id);
		ulen = vq_load32(&e->vu_len);
		vq->vq_last_used++;
		vq_used_event_update(vq);

		/* Not a chain the device holds: skip the entry. */
		if (id >= vq->vq_size) {
			vq->vq_bad_id++;
			continue;
		}
		cookie = vq->vq_cookies[id];
		if (cookie == NULL) {
			vq->vq_bad_dup++;
			continue;
		}
		vq->vq_cookies[id] = NULL;
		if (!vq_free_chain(vq, (uint16_t)id, &wlen))
			return (NULL);
		if (ulen > wlen) {
			/* 2.7.8.2: never trust bytes nobody could write. */
			vq->vq_bad_len++;
			ulen = (uint32_t)wlen;
		}
		if (len != NULL)
			*len = ulen;
		return (cookie);
	}
}

bool
vq_has_used(const struct virtqueue *vq)
{
	return (!vq->vq_broken &&
	    vq_load16(&vq->vq_used->vu_idx) != vq->vq_last_used);
}

uint16_t
vq_used_count(const struct virtqueue *vq)
{
	if (vq->vq_broken)
		return (0);
	return ((uint16_t)(vq_load16(&vq->vq_used->vu_idx) -
	    vq->vq_last_used));
}

bool
vq_is_broken(const struct virtqueue *vq)
{
	return (vq->vq_broken);
}

void
vq_intr_disable(struct virtqueue *vq)
{
	if (vq->vq_intr_off)
		return;
	vq->vq_intr_off = true;
	vq->vq_intr_postponed = false;
	if (vq->vq_event_idx) {
		vq->vq_used_event = vq->vq_last_used - 1;
		vq_store16(vring_used_event(vq->vq_avail, vq->vq_size),
		    vq->vq_used_event);
	} else
		vq_store16(&vq->vq_avail->va_flags,
		    VRING_AVAIL_F_NO_INTERRUPT);
}

bool
vq_intr_enable(struct virtqueue *vq)
{
	vq->vq_intr_off = false;
	vq->vq_intr_postponed = false;
	if (vq->vq_event_idx) {
		vq->vq_used_event = vq->vq_last_used;
		vq_store16(vring_used_event(vq->vq_avail, vq->vq_size),
		    vq->vq_used_event);
	} else
		vq_store16(&vq->vq_avail->va_flags, 0);
	/* Re-armed before looking again: see the top of this file. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (vq_has_used(vq));
}

bool
vq_intr_postpone(struct virtqueue *vq, uint16_t n)
{
	uint16_t ready;

	if (!vq->vq_event_idx)
		return (vq_intr_enable(vq));
	if (n == 0)
		n = 1;
	if (n > vq->vq_size)
		n = vq->vq_size;
	vq->vq_intr_off = false;
	vq->vq_intr_postponed = true;
	vq->vq_used_event = (uint16_t)(vq->vq_last_used + n - 1);
	vq_store16(vring_used_event(vq->vq_avail, vq->vq_size),
	    vq->vq_used_event);
	/* Armed before looking again, as in vq_intr_enable(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->vq_broken)
		return (false);
	ready = (uint16_t)(vq_load16(&vq->vq_used->vu_idx) - vq->vq_last_used);
	return (ready >= n);
}

uint16_t
vq_nfree(const struct virtqueue *vq)
{
	return (vq->vq_nfree);
}
