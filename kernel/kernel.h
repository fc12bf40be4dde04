/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel.h: kernel-wide state set up by kmain.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "kernel/cmdline.h"

/* The parsed command line; written by kmain before other CPUs start. */
extern struct cmdline_config kernel_config;

void	kmain(int kind, uint32_t info) __attribute__((noreturn));

#endif /* KERNEL_KERNEL_H */
