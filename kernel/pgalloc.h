/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/pgalloc.h: physical page allocator core (4 KiB pages).
 *
 * One struct pgalloc manages one contiguous physical span
 * [base, base + npages * PGALLOC_PAGE_SIZE) with a bitmap, one bit per
 * page, bit set = page in use.  The caller supplies the bitmap storage
 * (pgalloc_bitmap_bytes() says how much).  After pgalloc_init() every page
 * is in use; the boot code then frees the usable ranges of the firmware
 * memory map with pgalloc_add_free() and reserves what must stay put (the
 * kernel image, the bitmap itself) with pgalloc_reserve().
 *
 * Design: allocation is next-fit.  The search starts at pa_hint (just past
 * the previous allocation) and wraps around once.  The bitmap is scanned a
 * 64-bit word at a time, so runs of used pages are skipped 64 pages per
 * step, and a contiguous request jumps straight past the first used page
 * that spoils a candidate run.  Alignment is of the physical address, not
 * of the index, so a span whose base is not itself aligned still gives
 * properly aligned blocks.  Bits past npages in the last bitmap word are
 * kept set forever so the scans never see them as free.  Physical address
 * 0 is never handed out: if the span starts at 0, page 0 is never made
 * free.  The allocator never dereferences the memory it manages.
 *
 * Locking:
 *	pa_lock		protects the bitmap contents, pa_nfree and pa_hint.
 *			pa_base, pa_npages and pa_bitmap (the pointer) are
 *			set by pgalloc_init() and never change afterwards.
 *	pgalloc_init() runs before the allocator is shared and takes no
 *	lock.  pgalloc_add_free(), pgalloc_reserve(), pgalloc_alloc() and
 *	pgalloc_free() each take pa_lock and must be called without it.
 *	pgalloc_nfree() reads pa_nfree atomically without the lock (the
 *	value may be stale by the time it is used); pgalloc_npages() and
 *	pgalloc_bitmap_bytes() need no lock.
 */

#ifndef KERNEL_PGALLOC_H
#define KERNEL_PGALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/spinlock.h"

#define PGALLOC_PAGE_SHIFT	12
#define PGALLOC_PAGE_SIZE	4096

struct pgalloc {
	struct spinlock	 pa_lock;	/* see Locking above */
	uint64_t	 pa_base;	/* physical address of page 0 */
	size_t		 pa_npages;	/* pages in the span */
	uint64_t	*pa_bitmap;	/* 1 bit per page, set = in use */
	size_t		 pa_nfree;	/* clear bits in the bitmap */
	size_t		 pa_hint;	/* next-fit cursor (page index) */
};

/* Bytes of bitmap storage (a whole number of uint64_t) for npages. */
size_t	pgalloc_bitmap_bytes(size_t npages);

/*
 * Set up pa for the span [base, base + npages pages).  base must be page
 * aligned; bitmap must hold pgalloc_bitmap_bytes(npages) bytes and be
 * 8-byte aligned.  All pages start in use.
 */
void	pgalloc_init(struct pgalloc *pa, uint64_t base, size_t npages,
	    uint64_t *bitmap);

/*
 * Mark [addr, addr + len) free.  Rounds inward to whole pages and clips
 * to the span; pages already free stay free and are not counted twice.
 */
void	pgalloc_add_free(struct pgalloc *pa, uint64_t addr, uint64_t len);

/*
 * Mark [addr, addr + len) in use.  Rounds outward to whole pages and
 * clips to the span; pages already in use are not counted twice.  A zero
 * len reserves nothing.
 */
void	pgalloc_reserve(struct pgalloc *pa, uint64_t addr, uint64_t len);

/*
 * Allocate npages contiguous pages whose physical address is a multiple
 * of align_pages * PGALLOC_PAGE_SIZE (align_pages a power of two, 1 for
 * no alignment).  Returns the physical address, or 0 if no such run is
 * free (or npages is 0).  Never returns 0 for a successful allocation.
 */
uint64_t pgalloc_alloc(struct pgalloc *pa, size_t npages,
	    size_t align_pages);

/*
 * Free npages pages at addr, which must have been allocated (or reserved)
 * and lie inside the span.  Freeing a free page is an invariant break and
 * trips a KASSERT.
 */
void	pgalloc_free(struct pgalloc *pa, uint64_t addr, size_t npages);

/* Free pages right now. */
size_t	pgalloc_nfree(const struct pgalloc *pa);

/* Pages in the span. */
size_t	pgalloc_npages(const struct pgalloc *pa);

#endif /* KERNEL_PGALLOC_H */
