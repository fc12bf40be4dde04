/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/kassert.h: run-time invariant checks.
 *
 * KASSERT(cond, (fmt, args...)) states an invariant in the FreeBSD style:
 * the message is a parenthesised printf argument list, so
 *
 *	KASSERT(n > 0, ("%s: bad count %zu", __func__, n));
 *
 * expands to kassert_fail(__FILE__, __LINE__, "%s: bad count %zu",
 * __func__, n) when cond is false.
 *
 * Design: the checks are compiled in only when KASSERT_ENABLE is defined.
 * Otherwise KASSERT expands to a statement that evaluates nothing at run
 * time but still type-checks cond through sizeof, so a disabled assertion
 * cannot rot.  Conditions must therefore have no side effects.
 * kassert_fail() is supplied by the platform: the kernel panics, the host
 * unit tests print the message and abort().  It must not return.
 *
 * Locking: none; kassert_fail() may be called with any lock held and must
 * not take locks that an asserting caller could hold.
 */

#ifndef KERNEL_KASSERT_H
#define KERNEL_KASSERT_H

void	kassert_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 3, 4)));

/* Strips the parentheses around a KASSERT message argument list. */
#define KASSERT_MSG_ARGS(...)	__VA_ARGS__

#ifdef KASSERT_ENABLE
#define KASSERT(cond, msg) do {						\
	if (__builtin_expect(!(cond), 0))				\
		kassert_fail(__FILE__, __LINE__, KASSERT_MSG_ARGS msg);	\
} while (0)
#else
#define KASSERT(cond, msg) do {						\
	(void)sizeof(cond);						\
} while (0)
#endif

#endif /* KERNEL_KASSERT_H */
