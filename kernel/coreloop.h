/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * coreloop.h: the per-core loop, and running work on other CPUs.  What
 * must not be called inside a poller, a netisr handler or under the lwIP
 * core lock is listed in coreloop.c ("Re-entry").
 */
#ifndef KERNEL_COORELOOP_H
#define KERNEL_COORELOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/percpu.h"

typedef void smp_fn(void *arg);

void	coreloop_init(void);
void	coreloop_run(void) __attribute__((noreturn));
bool	coreloop_poll_once(void);
bool	coreloop_run_until(bool (*done)(void *), void *arg,
	    uint64_t timeout_us);
void	coreloop_mark_pending(struct percpu *pc, uint32_t bits);
void	coreloop_poll_console(void);
int	coreloop_add_poller(struct percpu *pc, coreloop_poll_fn *fn, void *arg);
int	coreloop_current_poller(void);
int	smp_call(uint32_t cpu, smp_fn *fn, void *arg);
int	smp_call_sync(uint32_t cpu, smp_fn *fn, void *arg);
void	smp_call_item(struct percpu *pc, struct workq_item *wi);
void	smp_stop_others(void);
void	smp_cmds_init(void);

#endif /* KERNEL_COORELOOP_H */
