/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trap_defs.h: numbers shared by trap_entry.S and the C trap code.
 */
#ifndef ARCH_X86_64_TRAP_DEFS_H
#define ARCH_X86_64_TRAP_DEFS_H

#define TRAP_NVECTORS		256
#define TRAP_NEXCEPTIONS	32	/* vectors 0-31 are exceptions */
#define TRAP_STUB_SIZE		16

/* Exception vectors (SDM 6.3.1, table 6-1). */
#define T_DE	0	/* divide error */
#define T_DB	1
#define T_NMI	2
#define T_BP	3
#define T_UD	6	/* invalid opcode */
#define T_DF	8	/* double fault */
#define T_GP	13	/* general protection */
#define T_PF	14	/* page fault */
#define T_MC	18	/* machine check */

/* Interrupt stack table slots (SDM 6.14.5), 1-based as in the IDT. */
#define IST_DF	1
#define IST_NMI	2
#define IST_MC	3
#define IST_COUNT 3
#define IST_STACK_SIZE	(16 * 1024)

#endif /* ARCH_X86_64_TRAP_DEFS_H */
