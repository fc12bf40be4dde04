/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * string.h for lwIP's sources in the freestanding kernel: the kernel's own
 * implementations (kernel/libc.c).
 */
#ifndef LWIPG_STRING_H
#define LWIPG_STRING_H

#include "kernel/libc.h"

#endif /* LWIPG_STRING_H */
