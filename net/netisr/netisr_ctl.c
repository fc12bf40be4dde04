/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_ctl.c: netisr's limits, counters and tunables: per-protocol
 * queue limits and drop counts, the dispatch policy by name, the default
 * queue limit, and the snapshots `netstat -Q` prints.  Portable, like
 * netisr.c, whose state it reads (netisr_var.h).
 *
 * Locking: changes take netisr_reg_lock and each workstream's nws_lock
 * (see netisr_var.h); the dispatch policy changes only under the barrier.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/printf.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

void
netisr_getqlimit(const struct netisr_handler *nhp, unsigned *qlimitp)
{
	struct netisr_proto *np = proto_of(nhp);

	*qlimitp = np != NULL ? np->np_qlimit : 0;
}

int
netisr_setqlimit(const struct netisr_handler *nhp, unsigned qlimit)
{
	struct netisr_proto *np = proto_of(nhp);
	unsigned i;

	if (np == NULL)
		return -ENOENT;
	if (qlimit == 0 || qlimit > netisr_maxqlimit)
		return -EINVAL;
	spinlock_lock(&netisr_reg_lock);
	np->np_qlimit = qlimit;
	for (i = 0; i < netisr_ncpus; i++) {
		spinlock_lock(&netisr_ws[i].nws_lock);
		netisr_ws[i].nws_work[nhp->nh_proto].nw_qlimit = qlimit;
		spinlock_unlock(&netisr_ws[i].nws_lock);
	}
	spinlock_unlock(&netisr_reg_lock);
	return 0;
}

void
netisr_getqdrops(const struct netisr_handler *nhp, uint64_t *qdropsp)
{
	struct netisr_proto *np = proto_of(nhp);
	unsigned i;

	*qdropsp = 0;
	if (np == NULL)
		return;
	for (i = 0; i < netisr_ncpus; i++)
		*qdropsp += __atomic_load_n(
		    &netisr_ws[i].nws_work[nhp->nh_proto].nw_qdrops,
		    __ATOMIC_RELAXED);
}

void
netisr_clearqdrops(const struct netisr_handler *nhp)
{
	struct netisr_proto *np = proto_of(nhp);
	unsigned i;

	if (np == NULL)
		return;
	for (i = 0; i < netisr_ncpus; i++)
		__atomic_store_n(&netisr_ws[i].nws_work[nhp->nh_proto].nw_qdrops,
		    0, __ATOMIC_RELAXED);
}

unsigned
netisr_get_cpucount(void)
{
	return nws_count;
}

unsigned
netisr_get_cpuid(unsigned cpunumber)
{
	return cpunumber < nws_count ? nws_array[cpunumber] :
	    NETISR_CPUID_NONE;
}

const char *
netisr_dispatch_name(unsigned policy)
{
	return policy <= NETISR_DISPATCH_DIRECT ? netisr_dispatch_names[policy] :
	    "unknown";
}

/* Parses "direct", "hybrid" or "deferred"; -EINVAL for anything else. */
int
netisr_dispatch_parse(const char *s, unsigned *policy)
{
	unsigned p;

	for (p = NETISR_DISPATCH_DEFERRED; p <= NETISR_DISPATCH_DIRECT; p++)
		if (s != NULL && ns_streq(s, netisr_dispatch_names[p])) {
			*policy = p;
			return 0;
		}
	return -EINVAL;
}

/*
 * Changes the global dispatch policy.  Under the barrier, after every
 * queue has drained, so no packet can overtake an earlier one of its flow
 * (a deferred packet still queued while the next one runs direct).
 */
int
netisr_set_dispatch(unsigned policy)
{
	if (policy < NETISR_DISPATCH_DEFERRED ||
	    policy > NETISR_DISPATCH_DIRECT)
		return -EINVAL;
	netisr_barrier_set();
	__atomic_store_n(&netisr_dispatch_policy, policy, __ATOMIC_RELEASE);
	netisr_barrier_rem();
	return 0;
}

unsigned
netisr_get_dispatch(void)
{
	return __atomic_load_n(&netisr_dispatch_policy, __ATOMIC_ACQUIRE);
}

/* Applies to protocols registered later, as in FreeBSD. */
int
netisr_set_defaultqlimit(unsigned qlimit)
{
	if (qlimit == 0 || qlimit > netisr_maxqlimit)
		return -EINVAL;
	netisr_defaultqlimit = qlimit;
	return 0;
}

unsigned
netisr_get_defaultqlimit(void)
{
	return netisr_defaultqlimit;
}

unsigned
netisr_get_maxqlimit(void)
{
	return netisr_maxqlimit;
}

unsigned
netisr_get_maxthreads(void)
{
	return netisr_maxthreads;
}

uint64_t
netisr_get_unregistered_drops(void)
{
	return __atomic_load_n(&netisr_unregistered_drops, __ATOMIC_RELAXED);
}

bool
netisr_proto_info(unsigned proto, struct netisr_proto_info *out)
{
	const struct netisr_proto *np;
	size_t i;

	if (proto == 0 || proto >= NETISR_MAXPROT)
		return false;
	np = &netisr_proto[proto];
	if (__atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE) == NULL)
		return false;
	for (i = 0; i < NETISR_NAME_MAX && np->np_name[i] != '\0'; i++)
		out->npi_name[i] = np->np_name[i];
	out->npi_name[i] = '\0';
	out->npi_proto = proto;
	out->npi_qlimit = np->np_qlimit;
	out->npi_policy = np->np_policy;
	out->npi_dispatch = np->np_dispatch;
	out->npi_m2flow = np->np_m2flow != NULL;
	out->npi_m2cpuid = np->np_m2cpuid != NULL;
	out->npi_drainedcpu = np->np_drainedcpu != NULL;
	return true;
}

/* Counters of workstream wsid (an index into nws_array) for proto. */
void
netisr_work_stats(unsigned wsid, unsigned proto, struct netisr_work_stats *out)
{
	const struct netisr_work *nw;
	struct netisr_workstream *nws;

	*out = (struct netisr_work_stats){ 0 };
	if (wsid >= nws_count || proto == 0 || proto >= NETISR_MAXPROT)
		return;
	nws = &netisr_ws[nws_array[wsid]];
	nw = &nws->nws_work[proto];
	spinlock_lock(&nws->nws_lock);
	out->nws_len = nw->nw_len;
	out->nws_watermark = nw->nw_watermark;
	out->nws_queued = nw->nw_queued;
	spinlock_unlock(&nws->nws_lock);
	out->nws_qdrops = __atomic_load_n(&nw->nw_qdrops, __ATOMIC_RELAXED);
	out->nws_dispatched = __atomic_load_n(&nw->nw_dispatched,
	    __ATOMIC_RELAXED);
	out->nws_hybrid_dispatched = __atomic_load_n(
	    &nw->nw_hybrid_dispatched, __ATOMIC_RELAXED);
	out->nws_handled = __atomic_load_n(&nw->nw_handled, __ATOMIC_RELAXED);
}
