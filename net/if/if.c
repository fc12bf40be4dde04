/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * if.c: the interface table, input into netisr, link changes and the
 * stack's calls into a driver (see if.h for the design).
 *
 * The table is an array of IF_MAX pointers indexed by if_index - 1, so
 * ifnet_byindex() is O(1) and needs no lock: interfaces are attached at
 * boot, never detached, and if_count is published with a release store
 * after the slot is filled.
 *
 * Input: if_input() stamps the receiving interface and its vnet on the
 * mbuf and dispatches it as NETISR_ETHER with the receive queue as the
 * source (SOURCE policy: the queue's CPU).  Nothing is allocated, printed
 * or locked per frame.
 *
 * Link: the driver reports a change (on its link poller's CPU, CPU 0 for
 * virtio-net); the interface records it and calls the one handler the
 * stack registered, on the same CPU.
 *
 * Locking: if_table/if_count as above.  if_link_fn is set once at boot
 * before the first interface comes up, read with an acquire load.
 * if_flags and if_iqdrops are updated atomically.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/if/if.h"
#include "net/netisr/netisr.h"

static struct ifnet *if_table[IF_MAX];
static unsigned if_count;
static if_link_fn *if_link_handler;

/*
 * Registers ifp (name, MAC, MTU, ops filled in) and gives it the next
 * index.  Boot only, CPU 0.  Returns 0, -EINVAL or -ENOSPC.
 */
int
if_attach(struct ifnet *ifp)
{
	unsigned n = if_count;

	if (ifp == NULL || ifp->if_ops == NULL ||
	    ifp->if_ops->ifo_transmit == NULL || ifp->if_tx_maxsegs == 0)
		return -EINVAL;
	if (n >= IF_MAX)
		return -ENOSPC;
	if (ifp->if_tx_maxsegs > IF_TX_SEGS_MAX)
		ifp->if_tx_maxsegs = IF_TX_SEGS_MAX;
	ifp->if_index = (uint16_t)(n + 1);
	ifp->if_flags = 0;
	if_table[n] = ifp;
	__atomic_store_n(&if_count, n + 1, __ATOMIC_RELEASE);
	return 0;
}

/* The interface with index index, or NULL.  Lock-free, O(1). */
struct ifnet *
ifnet_byindex(uint16_t index)
{
	if (index == 0 || index > __atomic_load_n(&if_count, __ATOMIC_ACQUIRE))
		return NULL;
	return if_table[index - 1];
}

unsigned
ifnet_count(void)
{
	return __atomic_load_n(&if_count, __ATOMIC_ACQUIRE);
}

/* Calls fn on every interface, in index order. */
void
ifnet_foreach(void (*fn)(struct ifnet *ifp, void *arg), void *arg)
{
	unsigned i, n = ifnet_count();

	for (i = 0; i < n; i++)
		fn(if_table[i], arg);
}

/*
 * The stack is ready for ifp's input (its netisr handlers registered):
 * from now on the driver hands frames up instead of recycling them.
 */
void
if_up(struct ifnet *ifp)
{
	__atomic_fetch_or(&ifp->if_flags, IFF_UP, __ATOMIC_RELEASE);
}

/*
 * A received frame: m's data is the Ethernet frame, m_pkthdr.rxqueue
 * its queue.  Takes ownership of m.  Called on the queue's CPU.
 */
void
if_input(struct ifnet *ifp, struct mbuf *m)
{
	m->m_pkthdr.rcvif = ifp->if_index;
	m->m_pkthdr.vnet = ifp->if_vnet;
	if (netisr_dispatch_src(NETISR_ETHER, m->m_pkthdr.rxqueue, m) != 0)
		__atomic_fetch_add(&ifp->if_iqdrops, 1, __ATOMIC_RELAXED);
}

/*
 * A driver's poll: n received frames of one queue, handed up together
 * (netisr_dispatch_batch: the Ethernet layer demultiplexes them all, and
 * each protocol gets its frames at once).  Takes ownership of every
 * frame; ms[] is scratch.  Called on the queue's CPU.
 */
void
if_input_batch(struct ifnet *ifp, struct mbuf **ms, unsigned n)
{
	unsigned i, dropped;

	for (i = 0; i < n; i++) {
		ms[i]->m_pkthdr.rcvif = ifp->if_index;
		ms[i]->m_pkthdr.vnet = ifp->if_vnet;
	}
	dropped = netisr_dispatch_batch(NETISR_ETHER,
	    n != 0 ? ms[0]->m_pkthdr.rxqueue : 0, ms, n);
	if (dropped != 0)
		__atomic_fetch_add(&ifp->if_iqdrops, dropped, __ATOMIC_RELAXED);
}

/* The driver saw the carrier go up or down (on its link poller's CPU). */
void
if_link_state_change(struct ifnet *ifp, bool up)
{
	if_link_fn *fn;

	if (ifp->if_link_up == up)
		return;
	ifp->if_link_up = up;
	ifp->if_link_changes++;
	fn = __atomic_load_n(&if_link_handler, __ATOMIC_ACQUIRE);
	if (fn != NULL)
		fn(ifp, up);
}

/*
 * The stack's one link handler, for every interface.  It runs on the
 * CPU of the driver's link poller; set it before if_up().
 */
void
if_set_link_handler(if_link_fn *fn)
{
	__atomic_store_n(&if_link_handler, fn, __ATOMIC_RELEASE);
}

/* Sends one frame on ifp (see struct ifnet_ops). */
int
if_transmit(struct ifnet *ifp, const struct if_seg *segs, unsigned nsegs,
    const struct if_tx_csum *csum, uint32_t flowid, if_tx_done_fn *done,
    void *arg)
{
	KASSERT(nsegs >= 1 && nsegs <= ifp->if_tx_maxsegs,
	    ("%s: %s: %u segments", __func__, ifp->if_name, nsegs));
	return ifp->if_ops->ifo_transmit(ifp, segs, nsegs, csum, flowid, done,
	    arg);
}

/*
 * Whether the stack should copy m rather than keep its rx buffer: asks
 * the driver of m's receiving interface.  O(1); on the handler's CPU.
 */
bool
if_rx_scarce(const struct mbuf *m)
{
	struct ifnet *ifp = ifnet_byindex(m->m_pkthdr.rcvif);

	if (ifp == NULL || ifp->if_ops->ifo_rx_scarce == NULL)
		return false;
	return ifp->if_ops->ifo_rx_scarce(ifp, m);
}

/* `netstat -i` for ifp: the driver's rows. */
void
if_print_stats(struct ifnet *ifp)
{
	if (ifp->if_ops->ifo_print_stats != NULL)
		ifp->if_ops->ifo_print_stats(ifp);
	else
		printk("%s: no statistics\n", ifp->if_name);
}
