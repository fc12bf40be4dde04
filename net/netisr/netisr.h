/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr.h: the netisr(9) interface, after FreeBSD, plus DragonFly-style
 * per-CPU messages.
 *
 * Protocols register a struct netisr_handler; packets are handed to them
 * with netisr_dispatch[_src]() (direct, hybrid or deferred per policy) or
 * netisr_queue[_src]() (always deferred).  Each CPU with a workstream
 * keeps a queue per protocol, drained by that CPU's loop.  Messages run a
 * function on a given CPU (sendmsg, domsg), along all CPUs (forwardmsg),
 * or stop every other CPU (the barrier).
 *
 * Unlike FreeBSD, errors are negative errno values, and a bad handler is
 * refused with an error rather than a panic.
 *
 * Virtual network stacks (FreeBSD's VIMAGE): every packet carries its
 * vnet (m_pkthdr.vnet, 0 .. NETISR_MAXVNETS - 1), and every protocol is
 * enabled or disabled per vnet; see "vnets" below.
 *
 * Handlers (and m2flow, m2cpuid, drainedcpu, rollups) run inside the
 * worker or the dispatching caller and must not wait for another CPU:
 * netisr_domsg(), netisr_domsg_global(), netisr_barrier_set(),
 * netisr_set_dispatch() and netisr_unregister() return -EDEADLK there
 * (netmsg.c says why).  netisr_sendmsg(), netisr_forwardmsg(), dispatch
 * and queueing never wait and are allowed anywhere.
 */
#ifndef NET_NETISR_NETISR_H
#define NET_NETISR_NETISR_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/workq.h"
#include "net/netisr/mbuf.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/rss.h"

/* Protocol numbers (FreeBSD sys/net/netisr.h). */
#define NETISR_IP		1
#define NETISR_IGMP		2
#define NETISR_ROUTE		3
#define NETISR_ARP		4
#define NETISR_ETHER		5
#define NETISR_IPV6		6
#define NETISR_MAXPROT		16

/* Work placement policies. */
#define NETISR_POLICY_SOURCE	1	/* by (ifindex + source) */
#define NETISR_POLICY_FLOW	2	/* by flow id, m2flow if none */
#define NETISR_POLICY_CPU	3	/* the protocol's m2cpuid decides */

/* Dispatch policies. */
#define NETISR_DISPATCH_DEFAULT		0	/* the global policy */
#define NETISR_DISPATCH_DEFERRED	1
#define NETISR_DISPATCH_HYBRID		2
#define NETISR_DISPATCH_DIRECT		3

#define NETISR_CPUID_NONE	0xffffffffu
#define NETISR_NAME_MAX		32
#define NETISR_MAXCPU		32
#define NETISR_DEFAULT_QLIMIT	256
#define NETISR_DEFAULT_MAXQLIMIT 10240

/*
 * Virtual network stacks (vnets) netisr knows, ids 0 .. NETISR_MAXVNETS -
 * 1.  A build setting: compile with -DNETISR_MAXVNETS=n (for example
 * `make CC="gcc -DNETISR_MAXVNETS=16" HOSTCC="gcc -DNETISR_MAXVNETS=16"`),
 * 1 to 64 (an enable bit per vnet in one 64-bit word per protocol).  Each
 * vnet costs every CPU 16 bytes of counters per protocol (256 bytes).
 */
#ifndef NETISR_MAXVNETS
#define NETISR_MAXVNETS		8
#endif
_Static_assert(NETISR_MAXVNETS >= 1 && NETISR_MAXVNETS <= 64,
    "NETISR_MAXVNETS must be 1 to 64");

typedef void netisr_handler_t(struct mbuf *m);
/*
 * A batch handler (optional, nh_handler_batch): called instead of
 * nh_handler with n >= 1 packets of one vnet, in their order, when
 * netisr_dispatch_batch() runs them directly or the worker drains a
 * queue; it takes ownership of all n.  Lets a protocol pay its per-call
 * costs (a lock, a flush) once per batch.  ms[] is the caller's and is
 * not kept.
 */
typedef void netisr_batch_handler_t(struct mbuf **ms, unsigned n);
typedef struct mbuf *netisr_m2flow_t(struct mbuf *m, uintptr_t source);
typedef struct mbuf *netisr_m2cpuid_t(struct mbuf *m, uintptr_t source,
    unsigned *cpuid);
typedef void netisr_drainedcpu_t(unsigned cpuid);

struct netisr_handler {
	const char		*nh_name;
	netisr_handler_t	*nh_handler;
	netisr_m2flow_t		*nh_m2flow;
	netisr_m2cpuid_t	*nh_m2cpuid;
	netisr_drainedcpu_t	*nh_drainedcpu;
	unsigned		nh_proto;
	unsigned		nh_qlimit;	/* 0: the default */
	unsigned		nh_policy;
	unsigned		nh_dispatch;
	netisr_batch_handler_t	*nh_handler_batch;	/* optional */
};

/* Boot configuration (the command line's net.isr.* keys). */
struct netisr_config {
	unsigned	nc_ncpus;	/* platform CPUs, ids 0 .. n-1 */
	unsigned	nc_maxthreads;	/* 0: all */
	unsigned	nc_defaultqlimit;
	unsigned	nc_maxqlimit;
	unsigned	nc_dispatch;	/* DEFERRED, HYBRID or DIRECT */
};

int	 netisr_init(const struct netisr_config *cfg);
int	 netisr_register(const struct netisr_handler *nhp);
int	 netisr_unregister(const struct netisr_handler *nhp);
int	 netisr_dispatch(unsigned proto, struct mbuf *m);
int	 netisr_dispatch_src(unsigned proto, uintptr_t source, struct mbuf *m);
int	 netisr_queue(unsigned proto, struct mbuf *m);
unsigned netisr_dispatch_batch(unsigned proto, uintptr_t source,
	    struct mbuf **ms, unsigned n);
int	 netisr_queue_src(unsigned proto, uintptr_t source, struct mbuf *m);
void	 netisr_getqlimit(const struct netisr_handler *nhp, unsigned *qlimitp);
int	 netisr_setqlimit(const struct netisr_handler *nhp, unsigned qlimit);
void	 netisr_getqdrops(const struct netisr_handler *nhp, uint64_t *qdropsp);
void	 netisr_clearqdrops(const struct netisr_handler *nhp);
unsigned netisr_get_cpucount(void);
unsigned netisr_get_cpuid(unsigned cpunumber);

/*
 * vnets, after FreeBSD's VIMAGE netisr (netisr_vnet.c has the details).
 *
 * curvnet is the calling CPU's current vnet (per thread on the host), 0
 * until set.  CURVNET_SET(v) saves the current vnet in a local and makes v
 * current; CURVNET_RESTORE() puts the saved one back.  At most one
 * CURVNET_SET per block, as in FreeBSD: nest in an inner block or in a
 * called function.  netisr runs every handler (deferred, hybrid or
 * direct) inside CURVNET_SET(m->m_pkthdr.vnet), so a handler runs in its
 * packet's vnet; m2flow, m2cpuid, drainedcpu and rollups run in whatever
 * vnet their CPU is in.
 *
 * netisr_register() enables the protocol in vnet 0 only.
 * netisr_register_vnet() enables a registered protocol in curvnet;
 * netisr_unregister_vnet() disables it there and frees that vnet's queued
 * packets of it on every CPU (counted as purged); both return -ENOENT for
 * a protocol not registered and -EINVAL when curvnet >= NETISR_MAXVNETS.
 * netisr_unregister() disables the protocol in every vnet.
 *
 * Dispatch and queueing free a packet whose vnet has its protocol
 * disabled before placement (no callback runs, no workstream counts it)
 * and count it per vnet and protocol (netisr_get_vnet_drops());
 * -EPROTONOSUPPORT, as for a protocol with no handler.  A vnet number
 * out of range is freed and counted in netisr_get_badvnet_drops();
 * -EINVAL.
 *
 * The guarantee: once netisr_unregister_vnet() has returned, no handler
 * of that protocol runs for a packet of that vnet, and none is running,
 * until it is enabled again.  It takes the barrier (so it waits for
 * every CPU and is refused with -EDEADLK inside a netisr callback, as
 * netisr_unregister()): no CPU is between its enable check and its
 * handler call or enqueue while the bit changes and the queues are
 * purged.  A packet raced in by another CPU was either admitted before
 * (then it was handled or is purged) or sees the bit clear (then it is
 * dropped at the door).  The worker also checks the bit again for every
 * packet it takes off a queue and purges the packet if its vnet is
 * disabled.  Other vnets' packets and other protocols stay queued, in
 * order.
 */
#define curvnet			netisr_plat_curvnet()
#define CURVNET_SET(v)		\
	unsigned netisr_saved_vnet = netisr_plat_curvnet_swap(v)
#define CURVNET_RESTORE()	\
	((void)netisr_plat_curvnet_swap(netisr_saved_vnet))

int	 netisr_register_vnet(const struct netisr_handler *nhp);
int	 netisr_unregister_vnet(const struct netisr_handler *nhp);
/* True if proto is registered and enabled in vnet. */
bool	 netisr_vnet_enabled(unsigned vnet, unsigned proto);
/* Packets of vnet freed at dispatch or queue: proto disabled there. */
uint64_t netisr_get_vnet_drops(unsigned vnet, unsigned proto);
/* Queued packets of vnet freed because proto was disabled there. */
uint64_t netisr_get_vnet_purged(unsigned vnet, unsigned proto);
/* Packets freed because their vnet was NETISR_MAXVNETS or above. */
uint64_t netisr_get_badvnet_drops(void);

/* Run-time tunables; each returns 0 or a negative errno and a reason. */
int	 netisr_set_dispatch(unsigned policy);
unsigned netisr_get_dispatch(void);
int	 netisr_set_defaultqlimit(unsigned qlimit);
unsigned netisr_get_defaultqlimit(void);
unsigned netisr_get_maxqlimit(void);
unsigned netisr_get_maxthreads(void);
/* Packets freed because their protocol had no handler (any number). */
uint64_t netisr_get_unregistered_drops(void);
/* Waits for other CPUs refused inside a netisr callback (-EDEADLK). */
uint64_t netisr_get_refused_waits(void);
const char *netisr_dispatch_name(unsigned policy);
int	 netisr_dispatch_parse(const char *s, unsigned *policy);

/*
 * The worker: runs CPU cpu's messages and queued packets (at most
 * NETISR_BATCH_CAP per protocol per pass).  Call it on that CPU when the
 * platform was asked to wake it.  Returns true if work is left.
 */
#define NETISR_BATCH_CAP	256
bool	 netisr_poll(unsigned cpu);

/* Statistics, as netstat -Q shows them. */
struct netisr_proto_info {
	char		npi_name[NETISR_NAME_MAX + 1];
	unsigned	npi_proto, npi_qlimit, npi_policy, npi_dispatch;
	bool		npi_m2flow, npi_m2cpuid, npi_drainedcpu, npi_batch;
};
/*
 * Per protocol and CPU: dispatched + hybrid_dispatched + queued = handled
 * + len + purged (queued packets freed because their vnet was disabled).
 */
struct netisr_work_stats {
	uint64_t	nws_len, nws_watermark, nws_dispatched;
	uint64_t	nws_hybrid_dispatched, nws_qdrops, nws_queued;
	uint64_t	nws_handled, nws_purged;
	uint64_t	nws_batches;	/* batch-handler calls (handled in) */
};
bool	netisr_proto_info(unsigned proto, struct netisr_proto_info *out);
void	netisr_work_stats(unsigned wsid, unsigned proto,
	    struct netisr_work_stats *out);

/* ---- netmsg: DragonFly-style per-CPU messages ---------------------- */

struct netmsg;
typedef int netmsg_fn(struct netmsg *msg);

struct netmsg {
	struct workq_item nm_wi;	/* queue link; must stay first */
	netmsg_fn	*nm_fn;
	void		*nm_arg;
	int		nm_result;
	uint32_t	nm_done;	/* set by replymsg */
	unsigned	nm_hops;	/* forwardmsg: CPUs visited */
	uint32_t	nm_forwarded;	/* was forwarded at least once */
	netmsg_fn	*nm_chain_fn;	/* domsg_global: the caller's fn */
};

void	netmsg_init(struct netmsg *msg, netmsg_fn *fn, void *arg);
void	netisr_sendmsg(struct netmsg *msg, unsigned cpu);
int	netisr_domsg(struct netmsg *msg, unsigned cpu);
void	netisr_forwardmsg(struct netmsg *msg, unsigned cpu);
void	netisr_replymsg(struct netmsg *msg, int result);
int	netisr_domsg_global(struct netmsg *msg);
int	netisr_barrier_set(void);
void	netisr_barrier_rem(void);
bool	netisr_barrier_held(void);

typedef void netisr_rollup_fn(unsigned cpu);
int	netisr_register_rollup(netisr_rollup_fn *fn);

#endif /* NET_NETISR_NETISR_H */
