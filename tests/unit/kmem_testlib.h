/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/kmem_testlib.h: shared pieces of the kernel/kmem.c host unit
 * tests (test_kmem.c, test_kmem_stress.c): the test page source, the
 * kassert_fail() shim, the expected size class of a size, and the
 * stamp-derived fill pattern used to catch objects handed out twice.
 *
 * Design: the test page source hands out aligned_alloc() memory.  Each
 * allocation gets one extra page in front holding a record of its page
 * count, so tp_free() can check that kmem gives back exactly what it got;
 * live pages and calls are counted atomically.  t_init() resets those
 * counters and calls kmem_init() with the page source.  kassert_fail()
 * prints and abort()s, so invariant checks are tested as tests that must
 * die with SIGABRT.
 *
 * Locking: tp_pages, tp_alloc_calls, tp_free_calls and tp_limit are
 * accessed atomically by the page source, which kmem calls from any
 * thread; tests read and set them only while no other thread runs.
 */

#ifndef TESTS_UNIT_KMEM_TESTLIB_H
#define TESTS_UNIT_KMEM_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kmem.h"

#define PG		KMEM_PAGE_SIZE
#define TP_NO_LIMIT	(-1L)
#define NSIZES_LARGE	KMEM_NCLASSES		/* index for "large" */
#define SLOW_TIMEOUT	600

/* A live object of a randomized test and the stamp its fill came from. */
struct t_obj {
	void		*to_p;
	size_t		 to_size;
	uint64_t	 to_stamp;
};

extern long tp_pages;		/* pages handed to kmem and not back */
extern long tp_alloc_calls;
extern long tp_free_calls;
extern long tp_limit;		/* max tp_pages, or TP_NO_LIMIT */

void		t_init(void);
unsigned int	t_class_of(size_t size);
void		t_fill(void *p, size_t size, uint64_t stamp);
bool		t_check(const void *p, size_t size, uint64_t stamp);

static inline unsigned char
t_pattern(uint64_t stamp, size_t i)
{
	return ((unsigned char)(stamp * 31 + i * 7 + (i >> 8)));
}

#endif /* TESTS_UNIT_KMEM_TESTLIB_H */
