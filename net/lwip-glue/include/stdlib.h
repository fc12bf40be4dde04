/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdlib.h for lwIP's sources in the freestanding kernel: lwIP only needs
 * atoi (lwiperf's option parsing and address helpers).
 */
#ifndef LWIPG_STDLIB_H
#define LWIPG_STDLIB_H

#include <stddef.h>

int	atoi(const char *s);

#endif /* LWIPG_STDLIB_H */
