/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * callout.c: the per-CPU sorted timer list (see callout.h).
 *
 * Locking: none; every function runs on the CPU that owns the list, from
 * its core loop.  A callout's function may re-arm the same callout.
 */
#include <stddef.h>

#include "kernel/callout.h"
#include "kernel/percpu.h"

void
callout_list_init(struct callout_list *cl)
{
	cl->cl_head = NULL;
	cl->cl_fired = 0;
}

void
callout_init(struct callout *c)
{
	c->c_next = NULL;
	c->c_pending = false;
}

static void
callout_unlink(struct callout_list *cl, struct callout *c)
{
	struct callout **pp;

	for (pp = &cl->cl_head; *pp != NULL; pp = &(*pp)->c_next) {
		if (*pp == c) {
			*pp = c->c_next;
			break;
		}
	}
	c->c_next = NULL;
	c->c_pending = false;
}

/* Arms c on the current CPU to fire ticks ticks from now (0: next pass). */
void
callout_reset(struct callout *c, uint64_t ticks, void (*fn)(void *),
    void *arg)
{
	struct percpu *pc = curcpu();
	struct callout_list *cl = &pc->pc_callouts;
	struct callout **pp;

	if (c->c_pending)
		callout_unlink(cl, c);
	c->c_time = __atomic_load_n(&pc->pc_ticks, __ATOMIC_RELAXED) + ticks;
	c->c_fn = fn;
	c->c_arg = arg;
	for (pp = &cl->cl_head; *pp != NULL && (*pp)->c_time <= c->c_time;
	    pp = &(*pp)->c_next)
		;
	c->c_next = *pp;
	*pp = c;
	c->c_pending = true;
}

/* Disarms c; returns true if it was pending. */
bool
callout_stop(struct callout *c)
{
	if (!c->c_pending)
		return false;
	callout_unlink(&curcpu()->pc_callouts, c);
	return true;
}

bool
callout_due(const struct callout_list *cl, uint64_t now)
{
	return cl->cl_head != NULL && cl->cl_head->c_time <= now;
}

/* Runs every callout due at tick now; returns how many ran. */
int
callout_run(struct callout_list *cl, uint64_t now)
{
	struct callout *c;
	int n = 0;

	while (callout_due(cl, now)) {
		c = cl->cl_head;
		cl->cl_head = c->c_next;
		c->c_next = NULL;
		c->c_pending = false;
		cl->cl_fired++;
		n++;
		c->c_fn(c->c_arg);
	}
	return n;
}
