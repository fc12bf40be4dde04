/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_stats.c: `netstat -s` for one lwIP instance (net/stack/ picks
 * the instance of the vnet asked for).  In this order:
 *
 *   lwip: rx zero-copy <n> copied <n> ...     the glue's input counters,
 *                                               with the Ethernet layer's
 *                                               runts and unknown types
 *                                               (net/if/if_ethersubr.c)
 *   lwip: ether vlan <n>                       of the unknown types, the
 *                                               VLAN-tagged frames
 *   lwip: rx-drop arp-toosmall <n> arp-badformat <n> ip-toosmall <n>
 *       ip-badvers <n> ip-badhlen <n> ip-badlen <n> ip-tooshort <n>
 *       ip6-toosmall <n> ip6-badvers <n> ip6-tooshort <n> ip6-badext <n>
 *       tcp-badopt <n> arp-conflict <n> udp-toosmall <n>
 *                                               packets the handlers kept
 *                                               from lwIP (lwipg_input.c,
 *                                               lwipg_guard.c)
 *   lwip: guard tcp-persist-stopped <n> syn-evicted <n>
 *                                               lwIP state the handlers
 *                                               repaired (lwipg_input.c,
 *                                               lwipg_guard.c)
 *   lwip: glue tx-csum-offload <n> tx-csum-unparsed <n> rx-csum-trusted <n>
 *       echo-blocked <n>                        offloads, echo back-pressure
 *   netisr: unregistered-protocol drops <n>
 *   lwip: <proto> xmit <n> recv <n> fw <n> drop <n> chkerr <n> ...
 *       for link etharp ipfrag ip icmp udp tcp ip6 ip6frag icmp6 nd6
 *   lwip: mld6 xmit <n> recv <n> drop <n> ... tx-report <n>
 *       (lwIP keeps MLD's counters in IGMP's form)
 *   lwip: mem heap avail <n> used <n> max <n> err <n>
 *   lwip: memp <pool> avail <n> used <n> max <n> err <n>    per pool
 *   lwip: assertions <n> core-lock-checks <n>
 *   lwip: core-lock acquires <n> contended <n> wait-us <n>
 *   lwip: instance vnet <k> foreign <n>        the vnet this instance
 *                                               serves; another
 *                                               instance's pbufs or
 *                                               interfaces refused
 *   lwip: stack no-instance-drops <n>         (net/stack/: frames of a
 *                                               vnet without a stack)
 *
 * Pool names are lwIP's memp_t identifiers (memp_std.h) in lower case:
 * raw_pcb, udp_pcb, tcp_pcb, tcp_pcb_listen, tcp_seg, reassdata,
 * frag_pbuf, arp_queue, sys_timeout, nd6_queue, ip6_reassdata,
 * mld6_group, pbuf, pbuf_pool.  They come from the identifiers, not from
 * lwIP's descriptions, which exist only with LWIP_DEBUG.  "used" is what
 * is allocated now, "max" the high-water mark, "err" failed allocations.
 *
 * Everything is copied into a snapshot under the core lock and printed
 * after it is released: the serial console is slow, and holding the lock
 * while printing would stall every CPU's packet processing.
 *
 * Locking: lwip_stats and the pools' stats are written by lwIP under the
 * core lock, lwipg_stats under it, lwipg_core_lock_checks by the lock holder; the snapshot
 * reads all of them under the core lock, so they are consistent with
 * each other.  lwipg_assertions is atomic.
 */
#include <stddef.h>

#include "arch/x86_64/tsc.h"

#include "kernel/console.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/netisr/netisr.h"

#if !LWIP_STATS || !MEM_STATS || !MEMP_STATS
#error "netstat -s needs LWIP_STATS, MEM_STATS and MEMP_STATS (lwipopts.h)"
#endif

#define LWIPG_POOL_NAME_MAX	32

/* The stats_proto blocks, in the order netstat -s prints them. */
static const struct {
	const char	*sp_name;
	size_t		 sp_off;	/* in struct stats_ */
} lwipg_protos[] = {
#if LINK_STATS
	{ "link", offsetof(struct stats_, link) },
#endif
#if ETHARP_STATS
	{ "etharp", offsetof(struct stats_, etharp) },
#endif
#if IPFRAG_STATS
	{ "ipfrag", offsetof(struct stats_, ip_frag) },
#endif
#if IP_STATS
	{ "ip", offsetof(struct stats_, ip) },
#endif
#if ICMP_STATS
	{ "icmp", offsetof(struct stats_, icmp) },
#endif
#if UDP_STATS
	{ "udp", offsetof(struct stats_, udp) },
#endif
#if TCP_STATS
	{ "tcp", offsetof(struct stats_, tcp) },
#endif
#if IP6_STATS
	{ "ip6", offsetof(struct stats_, ip6) },
#endif
#if IP6_FRAG_STATS
	{ "ip6frag", offsetof(struct stats_, ip6_frag) },
#endif
#if ICMP6_STATS
	{ "icmp6", offsetof(struct stats_, icmp6) },
#endif
#if ND6_STATS
	{ "nd6", offsetof(struct stats_, nd6) },
#endif
};
#define LWIPG_NPROTOS	(sizeof(lwipg_protos) / sizeof(lwipg_protos[0]))

/* memp_t's identifiers, indexed by memp_t. */
static const char *const lwipg_pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc)	#name,
#include "lwip/priv/memp_std.h"
};
_Static_assert(sizeof(lwipg_pool_names) / sizeof(lwipg_pool_names[0]) ==
    MEMP_MAX, "one name per lwIP pool");

/* One consistent copy of every counter netstat -s shows. */
struct lwipg_snap {
	struct lwipg_stats	sn_glue;
	struct ether_stats	sn_ether;	/* net/if, atomics */
	struct stats_proto	sn_proto[LWIPG_NPROTOS];
#if MLD6_STATS
	struct stats_igmp	sn_mld6;
#endif
	struct stats_mem	sn_heap;
	struct stats_mem	sn_pool[MEMP_MAX];
	uint64_t		sn_unreg_drops;
	uint64_t		sn_assertions;
	uint64_t		sn_lock_checks;
	uint64_t		sn_acquires;
	uint64_t		sn_contended;
	uint64_t		sn_wait_cycles;
};

/* Fills *sn; takes and releases the core lock. */
static void
lwipg_snapshot(struct lwipg_snap *sn)
{
	size_t i;

	lwipg_core_lock();
	sn->sn_glue = lwipg_stats;
	for (i = 0; i < LWIPG_NPROTOS; i++)
		sn->sn_proto[i] = *(const struct stats_proto *)(const void *)
		    ((const char *)&lwip_stats + lwipg_protos[i].sp_off);
#if MLD6_STATS
	sn->sn_mld6 = lwip_stats.mld6;
#endif
	sn->sn_heap = lwip_stats.mem;
	for (i = 0; i < MEMP_MAX; i++)
		sn->sn_pool[i] = *lwip_stats.memp[i];
	sn->sn_lock_checks = lwipg_core_lock_checks;
	sn->sn_acquires = lwipg_core_acquires;
	sn->sn_contended = lwipg_core_contended;
	sn->sn_wait_cycles = lwipg_core_wait_cycles;
	lwipg_core_unlock();
	sn->sn_assertions = __atomic_load_n(&lwipg_assertions,
	    __ATOMIC_RELAXED);
	sn->sn_unreg_drops = netisr_get_unregistered_drops();
	ether_get_stats(&sn->sn_ether);
}

/* "PBUF_POOL" -> "pbuf_pool". */
static void
lwipg_lower(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i < LWIPG_POOL_NAME_MAX - 1; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ?
		    (char)(src[i] - 'A' + 'a') : src[i];
	dst[i] = '\0';
}

static void
lwipg_print_mem(const char *kind, const char *name, const struct stats_mem *m)
{
	printk("lwip: %s %s avail %lu used %lu max %lu err %lu\n", kind, name,
	    (unsigned long)m->avail, (unsigned long)m->used,
	    (unsigned long)m->max, (unsigned long)m->err);
}

/* `netstat -s`; takes the core lock briefly, prints without it. */
void
lwipg_print_stats(void)
{
	struct lwipg_snap sn;
	char name[LWIPG_POOL_NAME_MAX];
	size_t i;

	lwipg_snapshot(&sn);
	printk("lwip: rx zero-copy %lu copied %lu no-pbuf %lu runts %lu "
	    "unknown-ethertype %lu tx-busy %lu\n", sn.sn_glue.ls_zero_copy,
	    sn.sn_glue.ls_copied, sn.sn_glue.ls_no_pbuf, sn.sn_ether.es_runts,
	    sn.sn_ether.es_unknown_type, sn.sn_glue.ls_tx_busy);
	printk("lwip: ether vlan %lu\n", sn.sn_ether.es_vlan);
	printk("lwip: rx-drop arp-toosmall %lu arp-badformat %lu "
	    "ip-toosmall %lu ip-badvers %lu ip-badhlen %lu ip-badlen %lu "
	    "ip-tooshort %lu ip6-toosmall %lu ip6-badvers %lu "
	    "ip6-tooshort %lu ip6-badext %lu tcp-badopt %lu arp-conflict %lu "
	    "udp-toosmall %lu\n",
	    sn.sn_glue.ls_arp_toosmall,
	    sn.sn_glue.ls_arp_badformat, sn.sn_glue.ls_ip_toosmall,
	    sn.sn_glue.ls_ip_badvers, sn.sn_glue.ls_ip_badhlen,
	    sn.sn_glue.ls_ip_badlen, sn.sn_glue.ls_ip_tooshort,
	    sn.sn_glue.ls_ip6_toosmall, sn.sn_glue.ls_ip6_badvers,
	    sn.sn_glue.ls_ip6_tooshort, sn.sn_glue.ls_ip6_badext,
	    sn.sn_glue.ls_tcp_badopt, sn.sn_glue.ls_arp_conflict,
	    sn.sn_glue.ls_udp_toosmall);
	printk("lwip: guard tcp-persist-stopped %lu syn-evicted %lu\n",
	    sn.sn_glue.ls_tcp_persist_stopped, sn.sn_glue.ls_syn_evicted);
	printk("lwip: glue tx-csum-offload %lu tx-csum-unparsed %lu "
	    "rx-csum-trusted %lu echo-blocked %lu\n",
	    sn.sn_glue.ls_tx_csum_offload, sn.sn_glue.ls_tx_csum_unparsed,
	    sn.sn_glue.ls_rx_csum_trusted, sn.sn_glue.ls_echo_blocked);
	printk("lwip: echo held %lu\n", sn.sn_glue.ls_echo_held);
	printk("lwip: tso frames %lu segments %lu single %lu no-batch %lu\n",
	    sn.sn_glue.ls_tso_frames, sn.sn_glue.ls_tso_segments,
	    sn.sn_glue.ls_tso_single, sn.sn_glue.ls_tso_no_batch);
	printk("lwip: input batches %lu packets %lu largest %lu\n",
	    sn.sn_glue.ls_in_batches, sn.sn_glue.ls_in_batched,
	    sn.sn_glue.ls_in_batch_max);
	printk("netisr: unregistered-protocol drops %lu\n", sn.sn_unreg_drops);
	for (i = 0; i < LWIPG_NPROTOS; i++) {
		const struct stats_proto *p = &sn.sn_proto[i];

		printk("lwip: %s xmit %lu recv %lu fw %lu drop %lu chkerr %lu "
		    "lenerr %lu memerr %lu rterr %lu proterr %lu opterr %lu "
		    "err %lu cachehit %lu\n", lwipg_protos[i].sp_name,
		    (unsigned long)p->xmit, (unsigned long)p->recv,
		    (unsigned long)p->fw, (unsigned long)p->drop,
		    (unsigned long)p->chkerr, (unsigned long)p->lenerr,
		    (unsigned long)p->memerr, (unsigned long)p->rterr,
		    (unsigned long)p->proterr, (unsigned long)p->opterr,
		    (unsigned long)p->err, (unsigned long)p->cachehit);
	}
#if MLD6_STATS
	printk("lwip: mld6 xmit %lu recv %lu drop %lu chkerr %lu lenerr %lu "
	    "memerr %lu proterr %lu rx-v1 %lu rx-group %lu rx-general %lu "
	    "rx-report %lu tx-join %lu tx-leave %lu tx-report %lu\n",
	    (unsigned long)sn.sn_mld6.xmit, (unsigned long)sn.sn_mld6.recv,
	    (unsigned long)sn.sn_mld6.drop, (unsigned long)sn.sn_mld6.chkerr,
	    (unsigned long)sn.sn_mld6.lenerr, (unsigned long)sn.sn_mld6.memerr,
	    (unsigned long)sn.sn_mld6.proterr, (unsigned long)sn.sn_mld6.rx_v1,
	    (unsigned long)sn.sn_mld6.rx_group,
	    (unsigned long)sn.sn_mld6.rx_general,
	    (unsigned long)sn.sn_mld6.rx_report,
	    (unsigned long)sn.sn_mld6.tx_join,
	    (unsigned long)sn.sn_mld6.tx_leave,
	    (unsigned long)sn.sn_mld6.tx_report);
#endif
	lwipg_print_mem("mem", "heap", &sn.sn_heap);
	for (i = 0; i < MEMP_MAX; i++) {
		lwipg_lower(name, lwipg_pool_names[i]);
		lwipg_print_mem("memp", name, &sn.sn_pool[i]);
	}
	printk("lwip: assertions %lu core-lock-checks %lu\n", sn.sn_assertions,
	    sn.sn_lock_checks);
	printk("lwip: core-lock acquires %lu contended %lu wait-us %lu\n",
	    sn.sn_acquires, sn.sn_contended, tsc_to_us(sn.sn_wait_cycles));
	printk("lwip: instance vnet %u foreign %lu\n", lwipg_vnet,
	    sn.sn_glue.ls_foreign);
}
