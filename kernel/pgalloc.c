/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/pgalloc.c: physical page allocator core (4 KiB pages).
 *
 * A bitmap allocator over one contiguous physical span; see
 * kernel/pgalloc.h for the interface.
 *
 * Design: the bitmap holds one bit per page, set = in use, in 64-bit
 * words.  Two scanners, pgalloc_find_clear() and pgalloc_find_set(),
 * return the first free or used page in an index range, looking at a
 * whole word per step and using count-trailing-zeros inside a word.  A
 * contiguous search (pgalloc_find_run()) alternates them: find a free
 * page, round it up to the requested physical alignment, then look for a
 * used page inside the candidate run; if there is one, restart just past
 * it.  Every step moves forward, so a search is linear in the range it
 * covers.  Allocation is next-fit from pa_hint, wrapping around once.
 * Range updates (pgalloc_set_range()) work a word at a time and return how
 * many bits actually changed, which keeps pa_nfree exact even when the
 * firmware map hands us overlapping ranges.  Population counts are done
 * by hand so the freestanding build needs no libgcc helper.
 *
 * Locking:
 *	pa_lock		protects the bitmap contents, pa_nfree and pa_hint.
 *	pgalloc_init()			takes no lock (pa not yet shared).
 *	pgalloc_add_free()		takes pa_lock.
 *	pgalloc_reserve()		takes pa_lock.
 *	pgalloc_alloc()			takes pa_lock.
 *	pgalloc_free()			takes pa_lock.
 *	pgalloc_nfree()			no lock; atomic load of pa_nfree
 *					(pa_nfree is only written with
 *					pa_lock held, with atomic stores).
 *	pgalloc_npages(), pgalloc_bitmap_bytes()  no lock (immutable data).
 *	All static helpers below are called with pa_lock held, except the
 *	address arithmetic helpers, which touch no shared state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kassert.h"
#include "kernel/pgalloc.h"
#include "kernel/spinlock.h"

#define PGALLOC_PAGE_MASK	((uint64_t)PGALLOC_PAGE_SIZE - 1)
#define PGALLOC_WORD_BITS	64
#define PGALLOC_WORD_BYTES	sizeof(uint64_t)
#define PGALLOC_WORD_FULL	UINT64_MAX
#define PGALLOC_NOT_FOUND	SIZE_MAX

_Static_assert(PGALLOC_PAGE_SIZE == (1 << PGALLOC_PAGE_SHIFT),
    "PGALLOC_PAGE_SIZE and PGALLOC_PAGE_SHIFT disagree");

/* Population count without a libgcc call (SWAR bit counting). */
static inline unsigned int
pgalloc_popcount(uint64_t x)
{
	const uint64_t m1 = 0x5555555555555555ULL;
	const uint64_t m2 = 0x3333333333333333ULL;
	const uint64_t m4 = 0x0f0f0f0f0f0f0f0fULL;
	const uint64_t h01 = 0x0101010101010101ULL;
	const unsigned int top_byte_shift = 56;

	x -= (x >> 1) & m1;
	x = (x & m2) + ((x >> 2) & m2);
	x = (x + (x >> 4)) & m4;
	return ((unsigned int)((x * h01) >> top_byte_shift));
}

/* Mask of cnt bits (1..64) starting at bit off of a word. */
static inline uint64_t
pgalloc_word_mask(unsigned int off, unsigned int cnt)
{
	if (cnt == PGALLOC_WORD_BITS)
		return (PGALLOC_WORD_FULL);
	return ((((uint64_t)1 << cnt) - 1) << off);
}

static inline bool
pgalloc_is_pow2(size_t x)
{
	return (x != 0 && (x & (x - 1)) == 0);
}

/* End of the span (exclusive); pgalloc_init() checked it cannot wrap. */
static inline uint64_t
pgalloc_span_end(const struct pgalloc *pa)
{
	return (pa->pa_base + ((uint64_t)pa->pa_npages << PGALLOC_PAGE_SHIFT));
}

static inline uint64_t
pgalloc_idx_to_addr(const struct pgalloc *pa, size_t idx)
{
	return (pa->pa_base + ((uint64_t)idx << PGALLOC_PAGE_SHIFT));
}

/*
 * Smallest page index >= idx whose physical address is a multiple of
 * align pages (a power of two).  May return an index past the span.
 */
static inline size_t
pgalloc_align_idx(const struct pgalloc *pa, size_t idx, size_t align)
{
	uint64_t pfn;

	if (align == 1)
		return (idx);
	pfn = (pa->pa_base >> PGALLOC_PAGE_SHIFT) + idx;
	pfn = (pfn + align - 1) & ~((uint64_t)align - 1);
	return ((size_t)(pfn - (pa->pa_base >> PGALLOC_PAGE_SHIFT)));
}

/*
 * First page index in [from, end) whose bit is clear (page free), or end
 * if there is none.  end must not exceed pa_npages.  Called with pa_lock
 * held.
 */
static size_t
pgalloc_find_clear(const struct pgalloc *pa, size_t from, size_t end)
{
	size_t w, idx;
	uint64_t word;

	if (from >= end)
		return (end);
	w = from / PGALLOC_WORD_BITS;
	word = ~pa->pa_bitmap[w] &
	    (PGALLOC_WORD_FULL << (from % PGALLOC_WORD_BITS));
	for (;;) {
		if (word != 0) {
			idx = w * PGALLOC_WORD_BITS +
			    (size_t)__builtin_ctzll(word);
			return (idx < end ? idx : end);
		}
		w++;
		if (w * PGALLOC_WORD_BITS >= end)
			return (end);
		word = ~pa->pa_bitmap[w];
	}
}

/*
 * First page index in [from, end) whose bit is set (page in use), or end
 * if there is none.  end must not exceed pa_npages.  Called with pa_lock
 * held.
 */
static size_t
pgalloc_find_set(const struct pgalloc *pa, size_t from, size_t end)
{
	size_t w, idx;
	uint64_t word;

	if (from >= end)
		return (end);
	w = from / PGALLOC_WORD_BITS;
	word = pa->pa_bitmap[w] &
	    (PGALLOC_WORD_FULL << (from % PGALLOC_WORD_BITS));
	for (;;) {
		if (word != 0) {
			idx = w * PGALLOC_WORD_BITS +
			    (size_t)__builtin_ctzll(word);
			return (idx < end ? idx : end);
		}
		w++;
		if (w * PGALLOC_WORD_BITS >= end)
			return (end);
		word = pa->pa_bitmap[w];
	}
}

/*
 * Set (used = true) or clear the bits of pages [first, first + n) and
 * return how many of them changed state.  Called with pa_lock held.
 */
static size_t
pgalloc_set_range(struct pgalloc *pa, size_t first, size_t n, bool used)
{
	size_t changed, w;
	unsigned int off, cnt;
	uint64_t mask, old;

	KASSERT(first <= pa->pa_npages && n <= pa->pa_npages - first,
	    ("%s: range %zu+%zu outside %zu pages", __func__, first, n,
	    pa->pa_npages));
	changed = 0;
	while (n > 0) {
		w = first / PGALLOC_WORD_BITS;
		off = (unsigned int)(first % PGALLOC_WORD_BITS);
		cnt = PGALLOC_WORD_BITS - off;
		if (cnt > n)
			cnt = (unsigned int)n;
		mask = pgalloc_word_mask(off, cnt);
		old = pa->pa_bitmap[w];
		if (used) {
			changed += pgalloc_popcount(~old & mask);
			pa->pa_bitmap[w] = old | mask;
		} else {
			changed += pgalloc_popcount(old & mask);
			pa->pa_bitmap[w] = old & ~mask;
		}
		first += cnt;
		n -= cnt;
	}
	return (changed);
}

/*
 * Search for n free pages starting at a page index in [start, last]
 * whose address is aligned to align pages.  last + n must not exceed
 * pa_npages.  Returns the first page index or PGALLOC_NOT_FOUND.  Called
 * with pa_lock held.
 */
static size_t
pgalloc_find_run(const struct pgalloc *pa, size_t start, size_t last,
    size_t n, size_t align)
{
	size_t i, aligned, used;

	i = pgalloc_align_idx(pa, start, align);
	while (i <= last) {
		i = pgalloc_find_clear(pa, i, last + 1);
		if (i > last)
			break;
		aligned = pgalloc_align_idx(pa, i, align);
		if (aligned != i) {
			i = aligned;
			continue;
		}
		used = pgalloc_find_set(pa, i, i + n);
		if (used == i + n)
			return (i);
		i = pgalloc_align_idx(pa, used + 1, align);
	}
	return (PGALLOC_NOT_FOUND);
}

/* Update pa_nfree; called with pa_lock held (readers may be lockless). */
static inline void
pgalloc_set_nfree(struct pgalloc *pa, size_t nfree)
{
	KASSERT(nfree <= pa->pa_npages, ("%s: nfree %zu > npages %zu",
	    __func__, nfree, pa->pa_npages));
	__atomic_store_n(&pa->pa_nfree, nfree, __ATOMIC_RELAXED);
}

size_t
pgalloc_bitmap_bytes(size_t npages)
{
	return ((npages + PGALLOC_WORD_BITS - 1) / PGALLOC_WORD_BITS *
	    PGALLOC_WORD_BYTES);
}

void
pgalloc_init(struct pgalloc *pa, uint64_t base, size_t npages,
    uint64_t *bitmap)
{
	size_t nwords, w;

	KASSERT((base & PGALLOC_PAGE_MASK) == 0,
	    ("%s: base %#llx not page aligned", __func__,
	    (unsigned long long)base));
	KASSERT(npages <= (UINT64_MAX - base) >> PGALLOC_PAGE_SHIFT,
	    ("%s: span %#llx + %zu pages wraps", __func__,
	    (unsigned long long)base, npages));
	KASSERT(bitmap != NULL || npages == 0,
	    ("%s: no bitmap", __func__));
	KASSERT(((uintptr_t)bitmap & (PGALLOC_WORD_BYTES - 1)) == 0,
	    ("%s: bitmap %p misaligned", __func__, (void *)bitmap));

	spinlock_init(&pa->pa_lock);
	pa->pa_base = base;
	pa->pa_npages = npages;
	pa->pa_bitmap = bitmap;
	pa->pa_nfree = 0;
	pa->pa_hint = 0;
	/* All in use, including the tail bits past npages (kept set). */
	nwords = pgalloc_bitmap_bytes(npages) / PGALLOC_WORD_BYTES;
	for (w = 0; w < nwords; w++)
		bitmap[w] = PGALLOC_WORD_FULL;
}

void
pgalloc_add_free(struct pgalloc *pa, uint64_t addr, uint64_t len)
{
	uint64_t start, end, rem;
	size_t nfree;

	if (len == 0)
		return;
	end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
	/* Round inward: start up, end down. */
	rem = addr & PGALLOC_PAGE_MASK;
	if (rem != 0) {
		if (addr > UINT64_MAX - (PGALLOC_PAGE_SIZE - rem))
			return;
		start = addr + (PGALLOC_PAGE_SIZE - rem);
	} else
		start = addr;
	end &= ~PGALLOC_PAGE_MASK;
	/* Clip to the span; never make physical page 0 free. */
	if (start < pa->pa_base)
		start = pa->pa_base;
	if (start == 0)
		start = PGALLOC_PAGE_SIZE;
	if (end > pgalloc_span_end(pa))
		end = pgalloc_span_end(pa);
	if (start >= end)
		return;

	spinlock_lock(&pa->pa_lock);
	nfree = pa->pa_nfree + pgalloc_set_range(pa,
	    (size_t)((start - pa->pa_base) >> PGALLOC_PAGE_SHIFT),
	    (size_t)((end - start) >> PGALLOC_PAGE_SHIFT), false);
	pgalloc_set_nfree(pa, nfree);
	spinlock_unlock(&pa->pa_lock);
}

void
pgalloc_reserve(struct pgalloc *pa, uint64_t addr, uint64_t len)
{
	uint64_t start, end, span_end, rem;
	size_t nfree;

	if (len == 0)
		return;
	span_end = pgalloc_span_end(pa);
	end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
	/* Clip first, then round outward; span_end is page aligned. */
	if (end > span_end)
		end = span_end;
	rem = end & PGALLOC_PAGE_MASK;
	if (rem != 0)
		end += PGALLOC_PAGE_SIZE - rem;
	start = addr & ~PGALLOC_PAGE_MASK;
	if (start < pa->pa_base)
		start = pa->pa_base;
	if (start >= end)
		return;

	spinlock_lock(&pa->pa_lock);
	nfree = pa->pa_nfree - pgalloc_set_range(pa,
	    (size_t)((start - pa->pa_base) >> PGALLOC_PAGE_SHIFT),
	    (size_t)((end - start) >> PGALLOC_PAGE_SHIFT), true);
	pgalloc_set_nfree(pa, nfree);
	spinlock_unlock(&pa->pa_lock);
}

uint64_t
pgalloc_alloc(struct pgalloc *pa, size_t npages, size_t align_pages)
{
	size_t hint, last, idx, changed;

	KASSERT(pgalloc_is_pow2(align_pages),
	    ("%s: alignment %zu pages is not a power of two", __func__,
	    align_pages));
	if (npages == 0 || npages > pa->pa_npages ||
	    !pgalloc_is_pow2(align_pages))
		return (0);

	spinlock_lock(&pa->pa_lock);
	if (npages > pa->pa_nfree) {
		spinlock_unlock(&pa->pa_lock);
		return (0);
	}
	last = pa->pa_npages - npages;
	hint = pa->pa_hint;
	if (hint > last)
		hint = 0;
	/* Next fit: [hint, last] first, then wrap to [0, hint). */
	idx = pgalloc_find_run(pa, hint, last, npages, align_pages);
	if (idx == PGALLOC_NOT_FOUND && hint > 0)
		idx = pgalloc_find_run(pa, 0, hint - 1, npages, align_pages);
	if (idx == PGALLOC_NOT_FOUND) {
		spinlock_unlock(&pa->pa_lock);
		return (0);
	}
	changed = pgalloc_set_range(pa, idx, npages, true);
	KASSERT(changed == npages, ("%s: run at page %zu had used pages",
	    __func__, idx));
	pgalloc_set_nfree(pa, pa->pa_nfree - changed);
	pa->pa_hint = idx + npages < pa->pa_npages ? idx + npages : 0;
	spinlock_unlock(&pa->pa_lock);

	KASSERT(pgalloc_idx_to_addr(pa, idx) != 0,
	    ("%s: handing out physical page 0", __func__));
	return (pgalloc_idx_to_addr(pa, idx));
}

void
pgalloc_free(struct pgalloc *pa, uint64_t addr, size_t npages)
{
	size_t idx, changed;

	KASSERT(npages > 0, ("%s: zero pages at %#llx", __func__,
	    (unsigned long long)addr));
	KASSERT(addr != 0 && (addr & PGALLOC_PAGE_MASK) == 0,
	    ("%s: bad address %#llx", __func__, (unsigned long long)addr));
	KASSERT(addr >= pa->pa_base && addr < pgalloc_span_end(pa) &&
	    npages <= (pgalloc_span_end(pa) - addr) >> PGALLOC_PAGE_SHIFT,
	    ("%s: %#llx + %zu pages outside span %#llx + %zu pages",
	    __func__, (unsigned long long)addr, npages,
	    (unsigned long long)pa->pa_base, pa->pa_npages));
	/* Without KASSERT, refuse bad ranges rather than corrupt state. */
	if (npages == 0 || addr == 0 || (addr & PGALLOC_PAGE_MASK) != 0 ||
	    addr < pa->pa_base || addr >= pgalloc_span_end(pa) ||
	    npages > (pgalloc_span_end(pa) - addr) >> PGALLOC_PAGE_SHIFT)
		return;
	idx = (size_t)((addr - pa->pa_base) >> PGALLOC_PAGE_SHIFT);

	spinlock_lock(&pa->pa_lock);
	KASSERT(pgalloc_find_clear(pa, idx, idx + npages) == idx + npages,
	    ("%s: page %#llx in %#llx + %zu pages is already free",
	    __func__, (unsigned long long)pgalloc_idx_to_addr(pa,
	    pgalloc_find_clear(pa, idx, idx + npages)),
	    (unsigned long long)addr, npages));
	changed = pgalloc_set_range(pa, idx, npages, false);
	pgalloc_set_nfree(pa, pa->pa_nfree + changed);
	spinlock_unlock(&pa->pa_lock);
}

size_t
pgalloc_nfree(const struct pgalloc *pa)
{
	return (__atomic_load_n(&pa->pa_nfree, __ATOMIC_RELAXED));
}

size_t
pgalloc_npages(const struct pgalloc *pa)
{
	return (pa->pa_npages);
}
