/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workq.h: a lock-free multi-producer, single-consumer work queue.
 *
 * Producers on any CPU push with one compare-and-swap onto a LIFO list;
 * the one consumer (the queue's CPU) takes the whole list with one atomic
 * exchange and reverses it, so items run in the order they were pushed.
 * Taking the whole list at once means there is no ABA problem: a node is
 * never popped singly while other producers race on it.
 *
 * Items are intrusive and owned by the producer until the consumer calls
 * wi_fn, after which the function owns the item (it may free it or signal
 * a waiter).  The code is portable C (host tests run it under TSan).
 *
 * Locking: none.  workq_push() may be called by any number of threads at
 * once; workq_take_all() only by the single consumer.
 */
#ifndef KERNEL_WORKQ_H
#define KERNEL_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

struct workq_item {
	struct workq_item	*wi_next;
	void			(*wi_fn)(struct workq_item *wi);
	void			*wi_arg;
};

struct workq {
	struct workq_item	*wq_head;	/* newest first */
};

static inline void
workq_init(struct workq *wq)
{
	__atomic_store_n(&wq->wq_head, NULL, __ATOMIC_RELAXED);
}

/*
 * Adds wi.  Sequentially consistent, so that a producer's later check of
 * "is the consumer idle?" cannot be ordered before the push (the other
 * half of that handshake is in the core loop).  Returns true if the queue
 * was empty.
 */
static inline bool
workq_push(struct workq *wq, struct workq_item *wi)
{
	struct workq_item *old = __atomic_load_n(&wq->wq_head, __ATOMIC_RELAXED);

	do {
		wi->wi_next = old;
	} while (!__atomic_compare_exchange_n(&wq->wq_head, &old, wi, true,
	    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return old == NULL;
}

static inline bool
workq_empty(struct workq *wq)
{
	return __atomic_load_n(&wq->wq_head, __ATOMIC_SEQ_CST) == NULL;
}

/* Takes every queued item, oldest first.  Consumer only. */
static inline struct workq_item *
workq_take_all(struct workq *wq)
{
	struct workq_item *list, *fifo = NULL, *next;

	list = __atomic_exchange_n(&wq->wq_head, NULL, __ATOMIC_ACQUIRE);
	while (list != NULL) {
		next = list->wi_next;
		list->wi_next = fifo;
		fifo = list;
		list = next;
	}
	return fifo;
}

#endif /* KERNEL_WORKQ_H */
