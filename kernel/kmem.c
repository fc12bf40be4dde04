/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/kmem.c: size-class object allocator.
 *
 * kmem_alloc() rounds a small request up to a power-of-two class between
 * KMEM_MIN_SIZE and KMEM_MAX_SIZE and hands out an object from one of the
 * class's slabs; a larger request gets whole pages from the page source.
 * kmem_free() takes any pointer either returned and finds its header by
 * masking the pointer down to the page.
 *
 * Design: a slab is one page.  Its first KMEM_SLAB_HDR_SIZE bytes hold a
 * struct kmem_slab (magic, class index, free count, free list head, list
 * links); the rest is cut into kc_perslab objects of kc_size bytes, so
 * every object is KMEM_ALIGN aligned.  A free object stores the free-list
 * link in its first word.  A class keeps its slabs in three states:
 *	partial	(some objects free, some in use): on the kc_partial list,
 *		allocation always takes from its head;
 *	full	(no object free): on no list, found again through the
 *		pointer when one of its objects is freed;
 *	empty	(every object free): at most one is kept in kc_empty, the
 *		next one to become empty goes back to the page source.  One
 *		spare avoids getting and giving back a page on every
 *		alloc/free pair at a slab boundary.
 * A new slab page is obtained and carved with the class lock dropped; if
 * another CPU refilled the class meanwhile the new page is simply given
 * back, so the class never holds more than one empty slab.  Requests above
 * KMEM_MAX_SIZE take ceil((size + KMEM_LARGE_HDR_SIZE) / page) pages; a
 * struct kmem_large at the start records the page count and the caller
 * gets the address just past it.  Slab and large headers both start with
 * a 32-bit magic, which tells kmem_free() which kind it holds and catches
 * pointers that never came from kmem.
 *
 * With KASSERT_ENABLE, freed objects (past the free-list word) are filled
 * with KMEM_POISON_BYTE and the pattern is verified when the object is
 * handed out again, which catches writes after free; kmem_free() also
 * checks the slab magic, the object boundary and walks the slab's free
 * list to catch double frees.
 *
 * Locking:
 *	kc_lock (one per class) protects the class's kc_partial list,
 *		kc_empty, the counters kc_allocs, kc_frees, kc_inuse and
 *		kc_slabs, and the mutable fields (sb_nfree, sb_free,
 *		sb_next, sb_prev) of every slab of the class as well as the
 *		free-list words inside its free objects.  kc_size,
 *		kc_perslab and a live slab's sb_magic and sb_class never
 *		change and are read without the lock.
 *	kmem_large_allocs, kmem_large_frees, kmem_large_pages: no lock,
 *		updated and read with relaxed atomics.
 *	kmem_ops is written only by kmem_init().
 *
 *	kmem_init()		no lock; runs before the allocator is shared.
 *	kmem_alloc()		takes kc_lock of the class (small sizes).
 *	kmem_zalloc()		as kmem_alloc().
 *	kmem_free()		takes kc_lock of the object's class (small).
 *	kmem_get_stats()	takes each kc_lock in turn.
 *	kmem_class_alloc()	takes kc_lock; drops it around kpo_alloc
 *				and kpo_free.
 *	kmem_class_free()	takes kc_lock; calls kpo_free after
 *				dropping it.
 *	kmem_large_alloc(), kmem_large_free()
 *				no lock (atomic counters only).
 *	kmem_slab_take(), kmem_slab_link(), kmem_slab_unlink(),
 *	kmem_slab_onfree()	called with kc_lock held.
 *	kmem_slab_owns(), kmem_size_to_class()
 *				no lock (immutable data only).
 *	kmem_slab_carve(), kmem_slab_release(), kmem_fill(), poison
 *	helpers			called without kc_lock, on memory the caller
 *				owns exclusively.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kassert.h"
#include "kernel/kmem.h"
#include "kernel/spinlock.h"

#define KMEM_SLAB_MAGIC		0x6b6d736cU	/* "kmsl" */
#define KMEM_LARGE_MAGIC	0x6b6d6c67U	/* "kmlg" */
#define KMEM_NO_MAGIC		0U		/* page given back */
#define KMEM_SLAB_HDR_SIZE	32	/* struct kmem_slab, rounded */
#define KMEM_LARGE_HDR_SIZE	16	/* struct kmem_large, rounded */
#define KMEM_PAGE_MASK		((uintptr_t)KMEM_PAGE_SIZE - 1)
#define KMEM_CACHE_LINE		64	/* keeps class locks apart */
#define KMEM_SLAB_PAGES		1	/* a slab is one page */
#define KMEM_POISON_BYTE	0xdbU
#define KMEM_POISON_WORD	(0x0101010101010101ULL * KMEM_POISON_BYTE)

/* Header at the start of every slab page. */
struct kmem_slab {
	uint32_t	 sb_magic;	/* KMEM_SLAB_MAGIC while live */
	uint16_t	 sb_class;	/* index into kmem_classes */
	uint16_t	 sb_nfree;	/* objects on sb_free */
	struct kmem_freeobj *sb_free;	/* free-object list */
	struct kmem_slab *sb_next;	/* kc_partial list links */
	struct kmem_slab *sb_prev;
};

/* Header at the start of a large allocation. */
struct kmem_large {
	uint32_t	 lg_magic;	/* KMEM_LARGE_MAGIC while live */
	uint32_t	 lg_pad;
	size_t		 lg_npages;	/* pages from kpo_alloc */
};

/* A free object: just the link, the rest is poison (KASSERT builds). */
struct kmem_freeobj {
	struct kmem_freeobj *fo_next;
};

struct kmem_class {
	struct spinlock	 kc_lock;	/* see Locking above */
	size_t		 kc_size;	/* object size (immutable) */
	uint16_t	 kc_perslab;	/* objects per slab (immutable) */
	struct kmem_slab *kc_partial;	/* slabs with free and used objs */
	struct kmem_slab *kc_empty;	/* at most one fully free slab */
	uint64_t	 kc_allocs;	/* objects handed out, ever */
	uint64_t	 kc_frees;	/* objects given back, ever */
	uint64_t	 kc_inuse;	/* objects handed out now */
	uint64_t	 kc_slabs;	/* slab pages held now */
} __attribute__((aligned(KMEM_CACHE_LINE)));

_Static_assert(sizeof(struct kmem_slab) <= KMEM_SLAB_HDR_SIZE,
    "slab header does not fit");
_Static_assert(KMEM_SLAB_HDR_SIZE % KMEM_ALIGN == 0,
    "slab objects would be misaligned");
_Static_assert(sizeof(struct kmem_large) <= KMEM_LARGE_HDR_SIZE,
    "large header does not fit");
_Static_assert(KMEM_LARGE_HDR_SIZE % KMEM_ALIGN == 0,
    "large allocations would be misaligned");
_Static_assert(KMEM_MIN_SIZE >= KMEM_ALIGN &&
    KMEM_MIN_SIZE >= sizeof(struct kmem_freeobj),
    "smallest class too small");
_Static_assert(KMEM_SLAB_HDR_SIZE + KMEM_MAX_SIZE <= KMEM_PAGE_SIZE,
    "largest class does not fit in a slab");
_Static_assert((KMEM_PAGE_SIZE - KMEM_SLAB_HDR_SIZE) / KMEM_MIN_SIZE <=
    UINT16_MAX, "objects per slab overflow sb_nfree");

static struct kmem_class kmem_classes[KMEM_NCLASSES];
static struct kmem_page_ops kmem_ops;
static uint64_t kmem_large_allocs;
static uint64_t kmem_large_frees;
static uint64_t kmem_large_pages;

static inline uintptr_t
kmem_page_of(const void *p)
{
	return ((uintptr_t)p & ~KMEM_PAGE_MASK);
}

static inline uintptr_t
kmem_slab_objs(const struct kmem_slab *slab)
{
	return ((uintptr_t)slab + KMEM_SLAB_HDR_SIZE);
}

/* True if p is the start of one of slab's objects. */
static bool
kmem_slab_owns(const struct kmem_class *kc, const struct kmem_slab *slab,
    const void *p)
{
	uintptr_t off;

	if ((uintptr_t)p < kmem_slab_objs(slab))
		return (false);
	off = (uintptr_t)p - kmem_slab_objs(slab);
	return (off % kc->kc_size == 0 &&
	    off / kc->kc_size < kc->kc_perslab);
}

/* Class index for a small size (1 .. KMEM_MAX_SIZE). */
static unsigned int
kmem_size_to_class(size_t size)
{
	unsigned int idx;
	size_t csize;

	idx = 0;
	for (csize = KMEM_MIN_SIZE; csize < size; csize <<= 1)
		idx++;
	return (idx);
}

static void
kmem_fill(void *p, unsigned char byte, size_t n)
{
	unsigned char *c;
	size_t i;

	c = p;
	for (i = 0; i < n; i++)
		c[i] = byte;
}

#ifdef KASSERT_ENABLE
/* Poison a free object past its link word; object owned by the caller. */
static void
kmem_poison(void *obj, size_t size)
{
	uint64_t *w;
	size_t i;

	w = obj;
	for (i = 1; i < size / sizeof(uint64_t); i++)
		w[i] = KMEM_POISON_WORD;
}

/* Verify the poison written by kmem_poison(); object owned by caller. */
static void
kmem_poison_check(const void *obj, size_t size)
{
	const uint64_t *w;
	size_t i;

	w = obj;
	for (i = 1; i < size / sizeof(uint64_t); i++)
		KASSERT(w[i] == KMEM_POISON_WORD,
		    ("%s: %zu-byte object %p modified after free at +%zu "
		    "(%#llx)", __func__, size, obj, i * sizeof(uint64_t),
		    (unsigned long long)w[i]));
}

/* True if obj is already on slab's free list.  Called with kc_lock. */
static bool
kmem_slab_onfree(const struct kmem_slab *slab, const void *obj)
{
	const struct kmem_freeobj *fo;

	for (fo = slab->sb_free; fo != NULL; fo = fo->fo_next)
		if (fo == obj)
			return (true);
	return (false);
}
#endif /* KASSERT_ENABLE */

/* Put slab at the head of kc_partial.  Called with kc_lock held. */
static void
kmem_slab_link(struct kmem_class *kc, struct kmem_slab *slab)
{
	slab->sb_prev = NULL;
	slab->sb_next = kc->kc_partial;
	if (kc->kc_partial != NULL)
		kc->kc_partial->sb_prev = slab;
	kc->kc_partial = slab;
}

/* Take slab off kc_partial.  Called with kc_lock held. */
static void
kmem_slab_unlink(struct kmem_class *kc, struct kmem_slab *slab)
{
	if (slab->sb_prev != NULL)
		slab->sb_prev->sb_next = slab->sb_next;
	else {
		KASSERT(kc->kc_partial == slab,
		    ("%s: slab %p not on the partial list", __func__,
		    (void *)slab));
		kc->kc_partial = slab->sb_next;
	}
	if (slab->sb_next != NULL)
		slab->sb_next->sb_prev = slab->sb_prev;
	slab->sb_next = NULL;
	slab->sb_prev = NULL;
}

/*
 * Turn a fresh page into an empty slab of class kc: header, free list in
 * address order, poisoned objects.  The page is still private to the
 * caller, so no lock is needed.
 */
static struct kmem_slab *
kmem_slab_carve(struct kmem_class *kc, void *page)
{
	struct kmem_slab *slab;
	struct kmem_freeobj *fo, **tail;
	uintptr_t obj;
	unsigned int i;

	slab = page;
	slab->sb_magic = KMEM_SLAB_MAGIC;
	slab->sb_class = (uint16_t)(kc - kmem_classes);
	slab->sb_nfree = kc->kc_perslab;
	slab->sb_next = NULL;
	slab->sb_prev = NULL;
	tail = &slab->sb_free;
	obj = kmem_slab_objs(slab);
	for (i = 0; i < kc->kc_perslab; i++, obj += kc->kc_size) {
		fo = (struct kmem_freeobj *)obj;
#ifdef KASSERT_ENABLE
		kmem_poison(fo, kc->kc_size);
#endif
		*tail = fo;
		tail = &fo->fo_next;
	}
	*tail = NULL;
	return (slab);
}

/* Give a slab page back; the caller already dropped it from the class. */
static void
kmem_slab_release(struct kmem_slab *slab)
{
	slab->sb_magic = KMEM_NO_MAGIC;
	kmem_ops.kpo_free(slab, KMEM_SLAB_PAGES);
}

/*
 * Pop one object from slab (which has a free one) and account for it;
 * a slab that becomes full leaves kc_partial.  Called with kc_lock held;
 * slab must be on kc_partial.
 */
static void *
kmem_slab_take(struct kmem_class *kc, struct kmem_slab *slab)
{
	struct kmem_freeobj *fo;

	fo = slab->sb_free;
	KASSERT(fo != NULL && slab->sb_nfree > 0,
	    ("%s: slab %p on partial list has no free object (nfree %u)",
	    __func__, (void *)slab, (unsigned int)slab->sb_nfree));
	KASSERT(fo->fo_next == NULL || kmem_slab_owns(kc, slab, fo->fo_next),
	    ("%s: slab %p free list corrupted (%p -> %p)", __func__,
	    (void *)slab, (void *)fo, (void *)fo->fo_next));
	slab->sb_free = fo->fo_next;
	slab->sb_nfree--;
	if (slab->sb_nfree == 0)
		kmem_slab_unlink(kc, slab);
	kc->kc_allocs++;
	kc->kc_inuse++;
	return (fo);
}

/* Allocate one object of class kc.  Takes kc_lock. */
static void *
kmem_class_alloc(struct kmem_class *kc)
{
	struct kmem_slab *slab, *fresh;
	void *obj, *page;

	fresh = NULL;
	for (;;) {
		spinlock_lock(&kc->kc_lock);
		slab = kc->kc_partial;
		if (slab == NULL && kc->kc_empty != NULL) {
			slab = kc->kc_empty;
			kc->kc_empty = NULL;
			kmem_slab_link(kc, slab);
		}
		if (slab == NULL && fresh != NULL) {
			slab = fresh;
			fresh = NULL;
			kc->kc_slabs++;
			kmem_slab_link(kc, slab);
		}
		if (slab != NULL)
			break;
		spinlock_unlock(&kc->kc_lock);

		page = kmem_ops.kpo_alloc(KMEM_SLAB_PAGES);
		if (page == NULL)
			return (NULL);
		KASSERT(((uintptr_t)page & KMEM_PAGE_MASK) == 0,
		    ("%s: page source returned unaligned %p", __func__, page));
		fresh = kmem_slab_carve(kc, page);
	}
	obj = kmem_slab_take(kc, slab);
	spinlock_unlock(&kc->kc_lock);

	/* Somebody refilled the class while we were getting a page. */
	if (fresh != NULL)
		kmem_slab_release(fresh);
#ifdef KASSERT_ENABLE
	kmem_poison_check(obj, kc->kc_size);
#endif
	return (obj);
}

/* Free obj back to slab of class kc.  Takes kc_lock. */
static void
kmem_class_free(struct kmem_class *kc, struct kmem_slab *slab, void *obj)
{
	struct kmem_freeobj *fo;
	struct kmem_slab *release;
	bool was_full;

#ifdef KASSERT_ENABLE
	kmem_poison(obj, kc->kc_size);
#endif
	fo = obj;
	release = NULL;
	spinlock_lock(&kc->kc_lock);
#ifdef KASSERT_ENABLE
	KASSERT(!kmem_slab_onfree(slab, obj),
	    ("%s: double free of %zu-byte object %p", __func__, kc->kc_size,
	    obj));
#endif
	KASSERT(slab->sb_nfree < kc->kc_perslab && kc->kc_inuse > 0,
	    ("%s: slab %p has no object in use (nfree %u)", __func__,
	    (void *)slab, (unsigned int)slab->sb_nfree));
	was_full = slab->sb_nfree == 0;
	fo->fo_next = slab->sb_free;
	slab->sb_free = fo;
	slab->sb_nfree++;
	kc->kc_frees++;
	kc->kc_inuse--;
	if (slab->sb_nfree == kc->kc_perslab) {
		/* Now empty: keep one spare, give the rest back. */
		if (!was_full)
			kmem_slab_unlink(kc, slab);
		if (kc->kc_empty == NULL)
			kc->kc_empty = slab;
		else {
			kc->kc_slabs--;
			release = slab;
		}
	} else if (was_full)
		kmem_slab_link(kc, slab);
	spinlock_unlock(&kc->kc_lock);

	if (release != NULL)
		kmem_slab_release(release);
}

/* Allocate a large object (size > KMEM_MAX_SIZE).  No lock. */
static void *
kmem_large_alloc(size_t size)
{
	struct kmem_large *lg;
	size_t npages;

	if (size > SIZE_MAX - KMEM_LARGE_HDR_SIZE - KMEM_PAGE_MASK)
		return (NULL);
	npages = (size + KMEM_LARGE_HDR_SIZE + KMEM_PAGE_MASK) /
	    KMEM_PAGE_SIZE;
	lg = kmem_ops.kpo_alloc(npages);
	if (lg == NULL)
		return (NULL);
	KASSERT(((uintptr_t)lg & KMEM_PAGE_MASK) == 0,
	    ("%s: page source returned unaligned %p", __func__, (void *)lg));
	lg->lg_magic = KMEM_LARGE_MAGIC;
	lg->lg_pad = 0;
	lg->lg_npages = npages;
	__atomic_fetch_add(&kmem_large_allocs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&kmem_large_pages, npages, __ATOMIC_RELAXED);
	return ((char *)lg + KMEM_LARGE_HDR_SIZE);
}

/* Free a large object whose header is lg.  No lock. */
static void
kmem_large_free(struct kmem_large *lg, void *p)
{
	size_t npages;

	KASSERT((uintptr_t)p == (uintptr_t)lg + KMEM_LARGE_HDR_SIZE,
	    ("%s: %p is not the start of a large allocation", __func__, p));
	npages = lg->lg_npages;
	KASSERT(npages > 0, ("%s: large allocation %p has no pages",
	    __func__, p));
	lg->lg_magic = KMEM_NO_MAGIC;
	__atomic_fetch_add(&kmem_large_frees, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&kmem_large_pages, npages, __ATOMIC_RELAXED);
	kmem_ops.kpo_free(lg, npages);
}

void
kmem_init(const struct kmem_page_ops *ops)
{
	struct kmem_class *kc;
	unsigned int i;

	KASSERT(ops != NULL && ops->kpo_alloc != NULL &&
	    ops->kpo_free != NULL, ("%s: incomplete page ops", __func__));
	kmem_ops = *ops;
	for (i = 0; i < KMEM_NCLASSES; i++) {
		kc = &kmem_classes[i];
		spinlock_init(&kc->kc_lock);
		kc->kc_size = (size_t)KMEM_MIN_SIZE << i;
		kc->kc_perslab = (uint16_t)((KMEM_PAGE_SIZE -
		    KMEM_SLAB_HDR_SIZE) / kc->kc_size);
		kc->kc_partial = NULL;
		kc->kc_empty = NULL;
		kc->kc_allocs = 0;
		kc->kc_frees = 0;
		kc->kc_inuse = 0;
		kc->kc_slabs = 0;
	}
	__atomic_store_n(&kmem_large_allocs, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&kmem_large_frees, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&kmem_large_pages, 0, __ATOMIC_RELAXED);
}

void *
kmem_alloc(size_t size)
{
	KASSERT(kmem_ops.kpo_alloc != NULL,
	    ("%s: kmem_init() not called", __func__));
	if (size == 0)
		return (NULL);
	if (size > KMEM_MAX_SIZE)
		return (kmem_large_alloc(size));
	return (kmem_class_alloc(&kmem_classes[kmem_size_to_class(size)]));
}

void *
kmem_zalloc(size_t size)
{
	void *p;

	p = kmem_alloc(size);
	if (p != NULL)
		kmem_fill(p, 0, size);
	return (p);
}

void
kmem_free(void *p)
{
	struct kmem_slab *slab;
	struct kmem_class *kc;
	uint32_t magic;

	if (p == NULL)
		return;
	slab = (struct kmem_slab *)kmem_page_of(p);
	magic = slab->sb_magic;
	if (magic == KMEM_LARGE_MAGIC) {
		kmem_large_free((struct kmem_large *)slab, p);
		return;
	}
	KASSERT(magic == KMEM_SLAB_MAGIC,
	    ("%s: %p is not from kmem (page magic %#x)", __func__, p,
	    (unsigned int)magic));
	KASSERT(slab->sb_class < KMEM_NCLASSES,
	    ("%s: slab %p has bad class %u", __func__, (void *)slab,
	    (unsigned int)slab->sb_class));
	/* Without KASSERT, leak a bad pointer rather than corrupt a slab. */
	if (magic != KMEM_SLAB_MAGIC || slab->sb_class >= KMEM_NCLASSES)
		return;
	kc = &kmem_classes[slab->sb_class];
	KASSERT(kmem_slab_owns(kc, slab, p),
	    ("%s: %p is not the start of a %zu-byte object", __func__, p,
	    kc->kc_size));
	if (!kmem_slab_owns(kc, slab, p))
		return;
	kmem_class_free(kc, slab, p);
}

void
kmem_get_stats(struct kmem_stats *out)
{
	struct kmem_class *kc;
	struct kmem_class_stats *ks;
	unsigned int i;

	for (i = 0; i < KMEM_NCLASSES; i++) {
		kc = &kmem_classes[i];
		ks = &out->km_class[i];
		spinlock_lock(&kc->kc_lock);
		ks->ks_size = kc->kc_size;
		ks->ks_allocs = kc->kc_allocs;
		ks->ks_frees = kc->kc_frees;
		ks->ks_inuse = kc->kc_inuse;
		ks->ks_slabs = kc->kc_slabs;
		spinlock_unlock(&kc->kc_lock);
	}
	out->km_large_allocs = __atomic_load_n(&kmem_large_allocs,
	    __ATOMIC_RELAXED);
	out->km_large_frees = __atomic_load_n(&kmem_large_frees,
	    __ATOMIC_RELAXED);
	out->km_large_pages = __atomic_load_n(&kmem_large_pages,
	    __ATOMIC_RELAXED);
}
