/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * callout.h: per-CPU timers driven by the LAPIC tick.
 *
 * A callout belongs to the CPU that armed it and fires there, from the
 * core loop (never in interrupt context), at the first loop pass at or
 * after its tick.  The list is sorted by expiry, so the loop's check is one
 * comparison.  Time is in ticks of CALLOUT_HZ per second.
 *
 * Locking: none.  A CPU's callout list is touched only by that CPU; to arm
 * a callout on another CPU, send it the work with smp_call().
 */
#ifndef KERNEL_CALLOUT_H
#define KERNEL_CALLOUT_H

#include <stdbool.h>
#include <stdint.h>

#define CALLOUT_HZ	100

struct callout {
	struct callout	*c_next;
	uint64_t	c_time;		/* tick at which it fires */
	void		(*c_fn)(void *arg);
	void		*c_arg;
	bool		c_pending;
};

struct callout_list {
	struct callout	*cl_head;	/* soonest first */
	uint64_t	cl_fired;
};

void	callout_list_init(struct callout_list *cl);
void	callout_init(struct callout *c);
void	callout_reset(struct callout *c, uint64_t ticks, void (*fn)(void *),
	    void *arg);
bool	callout_stop(struct callout *c);
bool	callout_due(const struct callout_list *cl, uint64_t now);
int	callout_run(struct callout_list *cl, uint64_t now);

#endif /* KERNEL_CALLOUT_H */
