/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/kmem.h: size-class object allocator (kmem_alloc / kmem_free).
 *
 * Small requests (1 .. KMEM_MAX_SIZE bytes) are served from per-class
 * slabs of power-of-two sized objects, KMEM_MIN_SIZE .. KMEM_MAX_SIZE;
 * larger ones get whole pages straight from the page source.  The page
 * source is a pair of callbacks (struct kmem_page_ops) so the same code
 * runs on the kernel's page allocator and on the host under test.
 *
 * Design: a slab is one KMEM_PAGE_SIZE page with a small header at its
 * start (magic, class, free count, free list, list links) followed by the
 * objects.  Because slabs are page aligned, kmem_free() finds the header
 * of any object by masking the pointer, so it needs no size.  A large
 * allocation starts with its own header (magic, page count) and the
 * caller's pointer follows it, 16 bytes into the first page.  Each class
 * keeps at most one completely free slab; further empty slabs go back to
 * the page source.  Every returned pointer is KMEM_ALIGN aligned.  See
 * kernel/kmem.c for the details.
 *
 * Locking:
 *	Each size class has its own spinlock (kc_lock in kernel/kmem.c)
 *	protecting that class's slab lists, slab headers, free lists and
 *	counters; there is no global lock on the object path.  The large
 *	allocation counters are updated with atomic operations.
 *	kmem_init()		takes no lock: call it once, before any other
 *				kmem function and before other CPUs run.
 *	kmem_alloc(), kmem_zalloc(), kmem_free()
 *				take the lock of one class (small sizes) or
 *				none (large sizes); call without class
 *				locks held.  The page callbacks are called
 *				with no kmem lock held.
 *	kmem_get_stats()	takes each class lock in turn, so the
 *				snapshot is consistent per class only.
 *	The class locks do not disable interrupts: do not call kmem from
 *	interrupt context.
 */

#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include <stddef.h>
#include <stdint.h>

#define KMEM_PAGE_SIZE	4096		/* slab and large-allocation unit */
#define KMEM_ALIGN	16		/* minimum alignment of every object */
#define KMEM_MIN_SHIFT	4
#define KMEM_MIN_SIZE	(1 << KMEM_MIN_SHIFT)	/* smallest class: 16 */
#define KMEM_NCLASSES	8		/* 16, 32, 64, ..., 2048 */
#define KMEM_MAX_SIZE	(KMEM_MIN_SIZE << (KMEM_NCLASSES - 1))	/* 2048 */

/*
 * Page source.  kpo_alloc returns npages contiguous KMEM_PAGE_SIZE-aligned
 * pages (directly addressable) or NULL; kpo_free gives back exactly what
 * one kpo_alloc call returned.  Both may be called concurrently from
 * several CPUs and are never called with a kmem lock held.
 */
struct kmem_page_ops {
	void	*(*kpo_alloc)(size_t npages);
	void	 (*kpo_free)(void *p, size_t npages);
};

/* Set up the allocator over a page source; ops is copied. */
void	 kmem_init(const struct kmem_page_ops *ops);

/* NULL on failure or when size is 0; KMEM_ALIGN aligned. */
void	*kmem_alloc(size_t size);

/* kmem_alloc() and zero the first size bytes. */
void	*kmem_zalloc(size_t size);

/* Free p from kmem_alloc()/kmem_zalloc(); NULL is a no-op. */
void	 kmem_free(void *p);

struct kmem_class_stats {
	size_t		ks_size;	/* object size of the class */
	uint64_t	ks_allocs;	/* objects handed out, ever */
	uint64_t	ks_frees;	/* objects given back, ever */
	uint64_t	ks_inuse;	/* objects handed out right now */
	uint64_t	ks_slabs;	/* slab pages held right now */
};

struct kmem_stats {
	struct kmem_class_stats km_class[KMEM_NCLASSES];
	uint64_t	km_large_allocs;	/* large allocations, ever */
	uint64_t	km_large_frees;		/* large frees, ever */
	uint64_t	km_large_pages;		/* pages held by large now */
};

/* Snapshot of the counters. */
void	 kmem_get_stats(struct kmem_stats *out);

#endif /* KERNEL_KMEM_H */
