/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arch/cc.h: lwIP's compiler and platform glue for the freestanding
 * kernel: byte order, format macros (there is no <inttypes.h> in a
 * freestanding build), diagnostics through printk and assertions through
 * panic().
 */
#ifndef LWIPG_ARCH_CC_H
#define LWIPG_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER		LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H	1
#define LWIP_NO_CTYPE_H		1
#define X8_F			"02x"
#define U16_F			"u"
#define S16_F			"d"
#define X16_F			"x"
#define U32_F			"u"
#define S32_F			"d"
#define X32_F			"x"
#define SZT_F			"zu"
#define LWIP_ERR_T		int

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define LWIP_PLATFORM_DIAG(x)	do { printk x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)	panic("lwip: assertion \"%s\" failed at %s:%d", \
				    x, __FILE__, __LINE__)

#endif /* LWIPG_ARCH_CC_H */
