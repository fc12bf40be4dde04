/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * panic.h: stopping the machine loudly, and leaving QEMU with a status.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>

struct trapframe;

/*
 * isa-debug-exit (QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04):
 * writing v makes QEMU exit with status (v << 1) | 1, so only odd statuses
 * are possible.  A panic exits with status 33.  Clean power-off goes
 * through ACPI S5 instead and exits with 0.
 */
#define QEMU_DEBUG_EXIT_PORT	0xf4
#define QEMU_EXIT_PANIC		0x10	/* QEMU exit status 33 */
#define QEMU_EXIT_NOMEM		0x11	/* status 35: too little memory */
#define QEMU_EXIT_STATUS(v)	(((v) << 1) | 1)

void	panic(const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	panic_trap(struct trapframe *tf) __attribute__((noreturn));
void	qemu_exit(uint32_t value);
void	backtrace_print(uint64_t rip, uint64_t rbp);
int	panic_in_progress(void);

#endif /* KERNEL_PANIC_H */
