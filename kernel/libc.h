/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libc.h: the few C library string and memory functions the kernel uses.
 * The compiler may also emit calls to memcpy/memset/memmove/memcmp on its
 * own, so these keep their standard names and semantics.
 */
#ifndef KERNEL_LIBC_H
#define KERNEL_LIBC_H

#include <stddef.h>
#include <stdint.h>

void	*memcpy(void *dst, const void *src, size_t n);
void	*memmove(void *dst, const void *src, size_t n);
void	*memset(void *dst, int c, size_t n);
int	memcmp(const void *a, const void *b, size_t n);
size_t	strlen(const char *s);
int	strcmp(const char *a, const char *b);
int	strncmp(const char *a, const char *b, size_t n);
char	*strchr(const char *s, int c);

int	kstrtou32(const char *s, uint32_t max, uint32_t *out);

#define nitems(x)	(sizeof(x) / sizeof((x)[0]))

#endif /* KERNEL_LIBC_H */
