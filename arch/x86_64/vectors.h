/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vectors.h: the interrupt vector map.
 *
 *   0x00-0x1f  CPU exceptions
 *   0x20-0x2f  the legacy 8259 PICs, remapped here and masked, so a
 *              spurious PIC interrupt cannot look like an exception
 *   0x30-0x3f  I/O APIC routed legacy IRQs (COM1, ...)
 *   0x40-0x4f  kernel IPIs and the LAPIC timer
 *   0x50-0xef  handed out at run time by vector_alloc() (MSI-X)
 *   0xfe, 0xff LAPIC error and spurious
 *
 * Higher vectors have higher priority (SDM 10.8.3.1); the timer and IPIs
 * sit above device vectors only in the sense that none of them are masked
 * through the TPR, which stays 0.
 */
#ifndef ARCH_X86_64_VECTORS_H
#define ARCH_X86_64_VECTORS_H

#define VEC_PIC_BASE		0x20
#define VEC_ISA_BASE		0x30	/* + ISA IRQ number */
#define VEC_COM1		(VEC_ISA_BASE + 4)
#define VEC_TIMER		0x40
#define VEC_IPI_WAKE		0x41	/* work was queued for an idle CPU */
#define VEC_IPI_PING		0x42	/* smp ipitest request */
#define VEC_IPI_PONG		0x43	/* smp ipitest reply */
#define VEC_DYN_FIRST		0x50
#define VEC_DYN_LAST		0xef
#define VEC_LAPIC_ERROR		0xfe
#define VEC_SPURIOUS		0xff

#include <stdint.h>

int	vector_alloc(const char *owner, uint32_t cpu);
int	vector_avail(void);
void	vector_foreach(void (*fn)(int vec, const char *owner, uint32_t cpu,
	    uint64_t count));

#endif /* ARCH_X86_64_VECTORS_H */
