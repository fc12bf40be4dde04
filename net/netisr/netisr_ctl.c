/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_ctl.c: netisr's control side: protocol registration and
 * unregistration, per-protocol queue limits and drop counts, the
 * dispatch policy by name, the default queue limit, the global counters
 * (unregistered-protocol drops, refused waits) and the snapshots
 * `netstat -Q` prints.  Portable, like netisr.c, whose state it reads
 * (netisr_var.h).
 *
 * Registration checks what FreeBSD's netisr_register() asserts, but
 * refuses a bad handler with an error instead of panicking; it enables
 * the protocol in vnet 0 (netisr_vnet.c enables it in others).
 * Unregistration and dispatch policy changes take the barrier, so they
 * wait for other CPUs and are refused (-EDEADLK) inside a netisr
 * callback (netmsg.c).
 *
 * Locking: changes take netisr_reg_lock and each workstream's nws_lock
 * (see netisr_var.h); unregistration and the dispatch policy change only
 * under the barrier.  The global counters are atomics.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/printf.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

#define NETISR_LOG_MAX	160

/* ---- registration ------------------------------------------------------ */

static size_t
ns_strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

bool
ns_streq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void
netisr_log(const char *fmt, const char *a, unsigned x, unsigned y)
{
	char line[NETISR_LOG_MAX];

	ksnprintf(line, sizeof(line), fmt, a, x, y);
	netisr_plat_log(line);
}

static bool
name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = ns_strlen(name)) == 0 || n > NETISR_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == ' ' || name[i] == '\t' || name[i] == '\n' ||
		    name[i] == '\r' || name[i] == '\v' || name[i] == '\f')
			return false;
	return true;
}

/* The checks of FreeBSD's netisr_register(), as errors instead of panics. */
static int
handler_check(const struct netisr_handler *nhp)
{
	if (nhp == NULL || nhp->nh_handler == NULL || !name_ok(nhp->nh_name))
		return -EINVAL;
	if (nhp->nh_proto == 0 || nhp->nh_proto >= NETISR_MAXPROT)
		return -EINVAL;
	if (nhp->nh_policy != NETISR_POLICY_SOURCE &&
	    nhp->nh_policy != NETISR_POLICY_FLOW &&
	    nhp->nh_policy != NETISR_POLICY_CPU)
		return -EINVAL;
	if (nhp->nh_dispatch > NETISR_DISPATCH_DIRECT)
		return -EINVAL;
	if (nhp->nh_m2flow != NULL && nhp->nh_policy != NETISR_POLICY_FLOW)
		return -EINVAL;
	if ((nhp->nh_policy == NETISR_POLICY_CPU) != (nhp->nh_m2cpuid != NULL))
		return -EINVAL;
	return 0;
}

int
netisr_register(const struct netisr_handler *nhp)
{
	struct netisr_proto *np;
	unsigned qlimit, p, i;
	int err;

	if ((err = handler_check(nhp)) != 0)
		return err;
	qlimit = nhp->nh_qlimit == 0 ? netisr_defaultqlimit : nhp->nh_qlimit;
	if (qlimit > netisr_maxqlimit) {
		netisr_log("netisr: %s: qlimit %u capped to maxqlimit %u",
		    nhp->nh_name, qlimit, netisr_maxqlimit);
		qlimit = netisr_maxqlimit;
	}
	spinlock_lock(&netisr_reg_lock);
	for (p = 0; p < NETISR_MAXPROT; p++) {
		if (netisr_proto[p].np_handler != NULL &&
		    (p == nhp->nh_proto ||
		    ns_streq(netisr_proto[p].np_name, nhp->nh_name))) {
			spinlock_unlock(&netisr_reg_lock);
			return -EEXIST;
		}
	}
	np = &netisr_proto[nhp->nh_proto];
	np->np_name = nhp->nh_name;
	np->np_handler_batch = nhp->nh_handler_batch;
	np->np_m2flow = nhp->nh_m2flow;
	np->np_m2cpuid = nhp->nh_m2cpuid;
	np->np_drainedcpu = nhp->nh_drainedcpu;
	np->np_qlimit = qlimit;
	np->np_policy = nhp->nh_policy;
	np->np_dispatch = nhp->nh_dispatch;
	__atomic_store_n(&np->np_vnets, 1ull, __ATOMIC_RELAXED); /* vnet 0 */
	for (i = 0; i < netisr_ncpus; i++) {
		spinlock_lock(&netisr_ws[i].nws_lock);
		netisr_ws[i].nws_work[nhp->nh_proto].nw_qlimit = qlimit;
		spinlock_unlock(&netisr_ws[i].nws_lock);
	}
	__atomic_store_n(&np->np_handler, nhp->nh_handler, __ATOMIC_RELEASE);
	spinlock_unlock(&netisr_reg_lock);
	return 0;
}

struct netisr_proto *
proto_of(const struct netisr_handler *nhp)
{
	struct netisr_proto *np;

	if (nhp == NULL || nhp->nh_proto == 0 ||
	    nhp->nh_proto >= NETISR_MAXPROT)
		return NULL;
	np = &netisr_proto[nhp->nh_proto];
	if (__atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE) == NULL ||
	    nhp->nh_name == NULL || !ns_streq(np->np_name, nhp->nh_name))
		return NULL;
	return np;
}

/*
 * Removes a protocol: under the barrier (no CPU is dispatching, no worker
 * is running), disables it in every vnet, frees every queued packet of
 * it on every CPU, counting them as unregistered drops, and zeroes its
 * counters (the per-vnet ones too).  A workstream left with nothing
 * pending loses NWS_SCHEDULED too: its worker will find nothing to do,
 * and a stale flag would keep every later enqueue from waking it and
 * hybrid dispatch from running inline there.  Refused with
 * -EDEADLK where the barrier cannot be taken (netisr_barrier_enter()).
 */
int
netisr_unregister(const struct netisr_handler *nhp)
{
	struct netisr_proto *np = proto_of(nhp);
	struct netisr_workstream *nws;
	struct netisr_work *nw;
	struct mbuf *m, *next;
	unsigned i, proto;
	uint64_t freed;
	int err;

	if (np == NULL)
		return -ENOENT;
	proto = nhp->nh_proto;
	if ((err = netisr_barrier_enter(false)) != 0)
		return err;
	spinlock_lock(&netisr_reg_lock);
	__atomic_store_n(&np->np_handler, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&np->np_vnets, 0, __ATOMIC_RELAXED);
	for (i = 0; i < netisr_ncpus; i++) {
		nws = &netisr_ws[i];
		spinlock_lock(&nws->nws_lock);
		KASSERT((nws->nws_flags & (NWS_RUNNING | NWS_DISPATCHING)) == 0,
		    ("%s: cpu %u runs handlers under the barrier", __func__,
		    i));
		nw = &nws->nws_work[proto];
		m = nw->nw_head;
		nw->nw_head = nw->nw_tail = NULL;
		nw->nw_len = nw->nw_watermark = nw->nw_qlimit = 0;
		nw->nw_queued = nw->nw_dispatched = 0;
		nw->nw_hybrid_dispatched = nw->nw_handled = 0;
		nw->nw_batches = 0;
		__atomic_store_n(&nw->nw_qdrops, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&nw->nw_purged, 0, __ATOMIC_RELAXED);
		netisr_vnet_counts_clear(i, proto);
		pending_clear(nws, 1u << proto);
		if (nws->nws_pending == 0)
			nws->nws_flags &= ~NWS_SCHEDULED;
		spinlock_unlock(&nws->nws_lock);
		for (freed = 0; m != NULL; m = next, freed++) {
			next = m->m_nextpkt;
			m->m_nextpkt = NULL;
			m_freem(m);
		}
		netisr_count_unregistered(freed);
	}
	*np = (struct netisr_proto){ 0 };
	spinlock_unlock(&netisr_reg_lock);
	netisr_barrier_rem();
	return 0;
}

/* ---- limits, counters and tunables ------------------------------------ */

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
 * -EDEADLK where the barrier cannot be taken (inside a netisr callback).
 */
int
netisr_set_dispatch(unsigned policy)
{
	int err;

	if (policy < NETISR_DISPATCH_DEFERRED ||
	    policy > NETISR_DISPATCH_DIRECT)
		return -EINVAL;
	if ((err = netisr_barrier_set()) != 0)
		return err;
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

uint64_t
netisr_get_refused_waits(void)
{
	return __atomic_load_n(&netisr_refused_waits, __ATOMIC_RELAXED);
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
	out->npi_batch = np->np_handler_batch != NULL;
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
	out->nws_purged = __atomic_load_n(&nw->nw_purged, __ATOMIC_RELAXED);
	spinlock_unlock(&nws->nws_lock);
	out->nws_qdrops = __atomic_load_n(&nw->nw_qdrops, __ATOMIC_RELAXED);
	out->nws_dispatched = __atomic_load_n(&nw->nw_dispatched,
	    __ATOMIC_RELAXED);
	out->nws_hybrid_dispatched = __atomic_load_n(
	    &nw->nw_hybrid_dispatched, __ATOMIC_RELAXED);
	out->nws_handled = __atomic_load_n(&nw->nw_handled, __ATOMIC_RELAXED);
	out->nws_batches = __atomic_load_n(&nw->nw_batches, __ATOMIC_RELAXED);
}
