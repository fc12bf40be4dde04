/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * console.c: COM1 16550 UART at 115200 8N1, and printk on top of it.
 *
 * printk formats the whole message into a buffer on the caller's stack,
 * then sends it under console_lock, so text from different CPUs never
 * interleaves within one call.  "\n" goes out as "\r\n".  Input is polled
 * (console_getc) from the core loop, when the COM1 interrupt marks it ready.
 *
 * Once a panic starts, console_panic_enter() makes every later write skip
 * the lock: the panicking CPU may have faulted while holding it, and by
 * then the other CPUs are stopped.
 *
 * Locking: console_lock (spinlock) protects the UART transmit registers.
 * The receive side is read only by the shell's CPU and takes no lock.
 */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/spinlock.h"

/* PC16550D data sheet, register offsets from the base port. */
#define COM1_BASE	0x3f8
#define UART_THR	0	/* transmit holding (write) */
#define UART_RBR	0	/* receive buffer (read) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_FCR	2	/* FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */

#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define FCR_ENABLE_CLEAR 0x07	/* enable FIFOs, clear rx and tx */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20
#define IER_RX_AVAILABLE 0x01

#define UART_CLOCK_DIV_115200 1	/* 1.8432 MHz / 16 / 115200 */
#define UART_TX_SPIN_MAX 100000	/* give up on a stuck UART, never hang */

static struct spinlock console_lock;
static volatile bool console_panicking;

void
console_init(void)
{
	spinlock_init(&console_lock);
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_CLOCK_DIV_115200);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void
uart_putc(char c)
{
	int spin;

	for (spin = 0; spin < UART_TX_SPIN_MAX; spin++)
		if (inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

/* Returns the next received byte, or -1 if none is waiting. */
int
console_getc(void)
{
	if ((inb(COM1_BASE + UART_LSR) & LSR_DATA_READY) == 0)
		return -1;
	return inb(COM1_BASE + UART_RBR);
}

/* Sends n bytes, translating "\n" to "\r\n".  Takes console_lock. */
void
console_write(const char *s, size_t n)
{
	bool locked = !console_panicking;
	size_t i;

	if (locked)
		spinlock_lock(&console_lock);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
	if (locked)
		spinlock_unlock(&console_lock);
}

/* Raises the UART's receive interrupt (IER bit 0, "data available"). */
void
console_enable_rx_intr(void)
{
	outb(COM1_BASE + UART_IER, IER_RX_AVAILABLE);
}

void
console_panic_enter(void)
{
	console_panicking = true;
}

void
vprintk(const char *fmt, va_list ap)
{
	char buf[PRINTK_LINE_MAX];
	int n;

	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	console_write(buf, (size_t)n);
}

void
printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}
