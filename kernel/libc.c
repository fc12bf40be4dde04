/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libc.c: memory and string functions with their standard C semantics.
 *
 * memcpy and memset move eight bytes a step once the destination is
 * aligned (x86 allows the source unaligned), four steps a loop: under
 * TCG each guest instruction costs about the same whatever its width, and
 * the boot's zeroing and copying (rings, tables, lwIP's start) took
 * milliseconds as byte loops (issue 15).  The rest are byte loops.
 *
 * Locking: none; pure functions.
 */
#include <stdint.h>

#include "kernel/libc.h"

#define LIBC_WORD	sizeof(uint64_t)
#define LIBC_BYTES_X8	0x0101010101010101ull

/* A word that may alias anything and sit at any address (x86). */
typedef uint64_t libc_word __attribute__((may_alias, aligned(1)));

void *
memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n > 0 && ((uintptr_t)d & (LIBC_WORD - 1)) != 0) {
		*d++ = *s++;
		n--;
	}
	for (; n >= 4 * LIBC_WORD; n -= 4 * LIBC_WORD) {
		((libc_word *)d)[0] = ((const libc_word *)s)[0];
		((libc_word *)d)[1] = ((const libc_word *)s)[1];
		((libc_word *)d)[2] = ((const libc_word *)s)[2];
		((libc_word *)d)[3] = ((const libc_word *)s)[3];
		d += 4 * LIBC_WORD;
		s += 4 * LIBC_WORD;
	}
	for (; n >= LIBC_WORD; n -= LIBC_WORD) {
		*(libc_word *)d = *(const libc_word *)s;
		d += LIBC_WORD;
		s += LIBC_WORD;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if ((uintptr_t)d < (uintptr_t)s) {
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		while (n--)
			*--d = *--s;
	}
	return dst;
}

void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = LIBC_BYTES_X8 * (unsigned char)c;

	while (n > 0 && ((uintptr_t)d & (LIBC_WORD - 1)) != 0) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= 4 * LIBC_WORD; n -= 4 * LIBC_WORD) {
		((libc_word *)d)[0] = w;
		((libc_word *)d)[1] = w;
		((libc_word *)d)[2] = w;
		((libc_word *)d)[3] = w;
		d += 4 * LIBC_WORD;
	}
	for (; n >= LIBC_WORD; n -= LIBC_WORD) {
		*(libc_word *)d = w;
		d += LIBC_WORD;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == '\0')
			return 0;
	}
	return 0;
}

char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

/*
 * Parses a decimal number with no sign or spaces into *out.  Returns 0, or
 * -1 for an empty string, any other character, or a value above max.
 */
int
kstrtou32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}
