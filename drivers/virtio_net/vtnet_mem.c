/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_mem.c: sizes the driver to the memory that is there.
 *
 * A queue pair costs its rings, one VTNET_RX_BUF_SIZE buffer per rx entry,
 * the per-buffer and per-slot bookkeeping, and the diagnostic flow table:
 * about 600 KiB at 256 entries.  Before the pairs are set up, attach asks
 * vtnet_size_for_memory() how many pairs of how many entries fit in the
 * free pages, keeping VTNET_MEM_RESERVE for the rest of the boot (lwIP's
 * timers, the shell, the APs' late allocations).  It prefers fewer queue
 * pairs over shorter rings, and shorter rings (down to VTNET_RING_MIN
 * entries) over no network, and says what it chose and why.  If not even
 * one pair of VTNET_RING_MIN entries fits, it says how much memory the
 * configuration needs, the device is not attached, and if no interface
 * attached at all the kernel refuses to start (kernel/main.c) rather than
 * print READY without a network.
 *
 * Several devices: each attach asks in turn, after the devices before it
 * took their memory, so every device keeps the reserve, and a device that
 * does not fit is refused with its line while the others run.
 *
 * vtnet_ring_alloc() and vtnet_buf_alloc() take the pages: zeroed for
 * ring parts and bookkeeping, not zeroed for rx buffers, which the device
 * writes before we read them.
 *
 * Locking: none; runs in attach on the BSP, once per device.
 */
#include <stddef.h>

#include "arch/x86_64/paging.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/mem.h"

#define VTNET_MEM_RESERVE	(256 * 1024)	/* left for the rest of boot */
#define VTNET_RING_MIN		64		/* shortest ring we accept */
#define VTNET_KIB		1024

static size_t vtnet_need_bytes;		/* set when nothing fits */

static size_t
pages_of(size_t bytes)
{
	return (bytes + KMEM_PAGE_SIZE - 1) / KMEM_PAGE_SIZE * KMEM_PAGE_SIZE;
}

/* Bytes one queue pair of `size` entries takes (vtnet_rx/tx_setup). */
size_t
vtnet_pair_bytes(uint16_t size)
{
	size_t rings, rx, tx;

	rings = pages_of(vq_desc_bytes(size)) + pages_of(vq_avail_bytes(size)) +
	    pages_of(vq_used_bytes(size));
	rx = rings + pages_of((size_t)size * VTNET_RX_BUF_SIZE) +
	    pages_of((size_t)size * sizeof(struct vtnet_rxbuf)) +
	    (size_t)size * sizeof(void *) +
	    VTNET_FLOWS_PER_QUEUE * sizeof(struct vtnet_flow);
	tx = rings + pages_of((size_t)size * sizeof(void *)) +
	    pages_of((size_t)size * vtnet_tx_slot_bytes());
	return rx + tx;
}

/*
 * Picks sc->vs_ring_max and trims sc->vs_nqueues to the free memory.
 * Returns 0, or -ENOMEM (printed, and vtnet_nomem_need_kib() says how
 * much more would have been needed) when not one pair fits.
 */
int
vtnet_size_for_memory(struct vtnet_softc *sc)
{
	size_t avail = mem_free_pages() * (size_t)KMEM_PAGE_SIZE, per;
	uint16_t size = VTNET_QUEUE_SIZE_MAX, want = sc->vs_nqueues, fit;

	avail = avail > VTNET_MEM_RESERVE ? avail - VTNET_MEM_RESERVE : 0;
	while (size > VTNET_RING_MIN && vtnet_pair_bytes(size) > avail)
		size /= 2;
	per = vtnet_pair_bytes(size);
	if (per > avail) {
		vtnet_need_bytes = per - avail;
		printk("%s: not enough memory: one queue pair of %u entries "
		    "needs %lu KiB and %lu KiB are free after a %u KiB reserve; "
		    "boot with at least %lu KiB more memory\n", vtnet_name(sc),
		    size,
		    per / VTNET_KIB, avail / VTNET_KIB,
		    VTNET_MEM_RESERVE / VTNET_KIB,
		    vtnet_need_bytes / VTNET_KIB + 1);
		return -ENOMEM;
	}
	fit = (uint16_t)(avail / per < want ? avail / per : want);
	sc->vs_ring_max = size;
	sc->vs_nqueues = fit;
	if (fit < want || size < VTNET_QUEUE_SIZE_MAX)
		printk("%s: memory: %lu KiB free after a %u KiB reserve; "
		    "a queue pair of %u entries needs %lu KiB: using %u of %u "
		    "queue pairs, %u-entry rings\n", vtnet_name(sc),
		    avail / VTNET_KIB,
		    VTNET_MEM_RESERVE / VTNET_KIB, size, per / VTNET_KIB, fit,
		    want, size);
	return 0;
}

/*
 * KiB more memory the last device refused for memory needed, or 0 if none
 * was short.
 */
size_t
vtnet_nomem_need_kib(void)
{
	return vtnet_need_bytes == 0 ? 0 : vtnet_need_bytes / VTNET_KIB + 1;
}

/*
 * Page-aligned, physically contiguous memory the device only writes into
 * before we read it (rx buffers): not zeroed, which for 256 pages a queue
 * was most of the attach's time (issue 15).
 */
void *
vtnet_buf_alloc(size_t bytes)
{
	size_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t pa = mem_page_alloc(npages);

	return pa == 0 ? NULL : (void *)(uintptr_t)pa;
}

/* Zeroed, page-aligned, physically contiguous memory for a ring part. */
void *
vtnet_ring_alloc(size_t bytes)
{
	size_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	void *p = vtnet_buf_alloc(bytes);

	if (p != NULL)
		memset(p, 0, npages * PAGE_SIZE);
	return p;
}
