/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arch/cc.h: lwIP's compiler and platform glue for the freestanding
 * kernel: byte order, format macros (there is no <inttypes.h> in a
 * freestanding build), diagnostics through printk and assertions through
 * lwipg_assert_fail() (lwipg_sys.c), which counts the failure where
 * `netstat -s` shows it and then panics: a failed lwIP assertion means
 * corrupted stack state.  LWIP_NOASSERT must stay undefined.
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

/* The glue's assertion hooks and counters (lwipg_sys.c, netstat -s). */
extern uint64_t lwipg_assertions;	/* failed LWIP_ASSERTs, atomic */
extern uint64_t lwipg_core_lock_checks;	/* core-lock assertions run */
/* Core-lock acquisitions, those that waited, and TSC cycles waited;
 * written by the holder. */
extern uint64_t lwipg_core_acquires;
extern uint64_t lwipg_core_contended;
extern uint64_t lwipg_core_wait_cycles;
void lwipg_assert_fail(const char *msg, const char *file, int line)
    __attribute__((noreturn));

#define LWIP_PLATFORM_DIAG(x)	do { printk x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)	lwipg_assert_fail(x, __FILE__, __LINE__)

#endif /* LWIPG_ARCH_CC_H */
