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

/*
 * The pools' memory (memp_memory_*_base) is carved up by memp_init() and
 * every pbuf, PCB or segment is filled in when it is taken (MEMP_MEM_INIT
 * is 0), so it needs no zeroing at boot: it goes in .bss.noclear, which
 * linker.ld places outside the range boot.S clears (the 3.2 MB of pbuf
 * pools of two lwIP copies took 7 ms of the boot under TCG).
 */
#define LWIP_DECLARE_MEMORY_ALIGNED(variable_name, size)		\
	u8_t variable_name[LWIP_MEM_ALIGN_BUFFER(size)]			\
	    __attribute__((section(".bss.noclear")))

#define LWIP_PLATFORM_DIAG(x)	do { printk x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)	lwipg_assert_fail(x, __FILE__, __LINE__)

#endif /* LWIPG_ARCH_CC_H */
