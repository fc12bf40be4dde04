/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * console.h: the serial console (16550 UART on COM1) and printk.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

#define PRINTK_LINE_MAX	512	/* longest text one printk call emits */

void	console_init(void);
int	console_getc(void);
void	console_write(const char *s, size_t n);
void	console_panic_enter(void);
void	console_enable_rx_intr(void);

void	printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	vprintk(const char *fmt, va_list ap);

#endif /* KERNEL_CONSOLE_H */
