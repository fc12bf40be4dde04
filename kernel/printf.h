/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/printf.h: bounded string formatting for the kernel.
 *
 * kvsnprintf() and ksnprintf() implement the C99 snprintf contract for the
 * subset of conversions the kernel needs: %d %i %u %x %X %o %c %s %p %%,
 * the flags '-', '0', '+', ' ' and '#', field width and precision (both
 * may be '*'), and the length modifiers hh, h, l, ll, z, j and t.  There
 * is no floating point (the kernel is built with -mgeneral-regs-only).
 *
 * Behaviour beyond C: %s with a NULL pointer prints "(null)" (precision
 * still truncates it); %p always prints "0x" and 16 hex digits (one per
 * nibble of a pointer); an unknown conversion, %n included, is copied to
 * the output literally ("%q" stays "%q") and consumes no argument, not
 * even for a '*' width or precision inside it; "%%" prints '%' whatever
 * flags, width or '*' it holds, and consumes nothing.  A format that ends
 * in the middle of a conversion is copied literally as well.  Widths and
 * precisions saturate at INT_MAX.
 *
 * The output is always NUL-terminated when size > 0, and the return value
 * is the length the full output would have had.  Should that length not
 * fit in an int, the functions return -KPRINTF_EOVERFLOW (the buffer is
 * still filled and terminated).
 *
 * Locking: none needed; the functions keep no shared state and are
 * reentrant (safe from interrupt context) as long as the caller owns buf.
 */

#ifndef KERNEL_PRINTF_H
#define KERNEL_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Returned (negated) when the output length does not fit in an int. */
#define KPRINTF_EOVERFLOW	75

int	kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
int	ksnprintf(char *buf, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* KERNEL_PRINTF_H */
