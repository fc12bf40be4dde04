/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trap.h: the trap frame trap_entry.S builds, and the C side of traps.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdint.h>

#include "arch/x86_64/trap_defs.h"

/* Lowest address first: the registers trap_common pushed, last one first. */
struct trapframe {
	uint64_t	tf_r15, tf_r14, tf_r13, tf_r12, tf_r11, tf_r10, tf_r9,
			tf_r8, tf_rbp, tf_rdi, tf_rsi, tf_rdx, tf_rcx, tf_rbx,
			tf_rax;
	uint64_t	tf_vector;
	uint64_t	tf_error;
	/* pushed by the CPU (SDM 6.14.2, figure 6-9) */
	uint64_t	tf_rip, tf_cs, tf_rflags, tf_rsp, tf_ss;
};
_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout");

typedef void trap_handler_fn(struct trapframe *tf);

void	idt_init(void);
void	idt_load(void);
void	trap_register(unsigned vector, trap_handler_fn *fn);
void	trap_dispatch(struct trapframe *tf);
const char *trap_name(unsigned vector);

#endif /* ARCH_X86_64_TRAP_H */
