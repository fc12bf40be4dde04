/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_plat.h: the small platform interface netisr's portable core
 * runs on: the current CPU, waking a CPU, whether this CPU may wait,
 * relax, log, cycles, and the current vnet.  The kernel implements it
 * over the per-core loops (kernel/netisr_kern.c); the host tests
 * implement it over pthreads, one thread per "CPU"
 * (tests/unit/netisr_host.c).
 */
#ifndef NET_NETISR_NETISR_PLAT_H
#define NET_NETISR_NETISR_PLAT_H

#include <stdbool.h>
#include <stdint.h>

/* The calling CPU's id, 0 .. ncpus - 1. */
unsigned netisr_plat_curcpu(void);

/*
 * Makes sure CPU cpu calls netisr_poll(cpu) soon: marks it ready and, if
 * it is another CPU that is idle, wakes it.  Any CPU, any context.
 */
void	 netisr_plat_wake(unsigned cpu);

/*
 * True if the caller may wait for another CPU here.  The kernel says no
 * inside a core-loop poller other than netisr's own (a wait there would
 * run this CPU's netisr worker nested inside that poller); a host without
 * pollers always says yes.  netisr adds its own check (nws_depth).
 */
bool	 netisr_plat_may_wait(void);

/* A busy-wait hint (pause; a host may also yield). */
void	 netisr_plat_relax(void);

/* Logs one line (no newline), e.g. "netisr: ..." */
void	 netisr_plat_log(const char *line);

/* A cycle counter for statistics and benchmarks. */
uint64_t netisr_plat_cycles(void);

/*
 * The current virtual network stack (FreeBSD's curvnet): per CPU in the
 * kernel, per thread on the host; 0 until set.  Only the calling CPU (or
 * thread) reads or writes its own, so no locking.  netisr_plat_curvnet_swap()
 * makes vnet current and returns the previous one; netisr.h builds
 * curvnet, CURVNET_SET() and CURVNET_RESTORE() on these two.
 */
unsigned netisr_plat_curvnet(void);
unsigned netisr_plat_curvnet_swap(unsigned vnet);

#endif /* NET_NETISR_NETISR_PLAT_H */
