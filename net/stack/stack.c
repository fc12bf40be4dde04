/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stack.c: the network stack instances, one lwIP copy per vnet.
 *
 * The build links lwIP and net/lwip-glue/ into one object and makes
 * LWIP_VNETS renamed copies of it (Makefile, scripts/lwip-instances.sh).
 * Each copy puts its descriptor (struct lwipg_inst, lwipg_inst.h) into
 * the linker section .lwip_insts, in link order, so copy k is
 * __lwip_insts_start[k] and serves vnet k.  This file is the only code
 * that picks an instance:
 *
 *   stack_inst(vnet, cpu)   the instance that serves (vnet, cpu): vnet's
 *                           today; one instance per (vnet, CPU) later
 *                           changes only this function and the table
 *   stack_init()            registers ARP, IP and IPv6 with netisr once
 *                           (enabled in vnet 0), with handlers (single
 *                           and batch) that call the instance of curvnet,
 *                           and the interface
 *                           layer's link handler
 *   stack_attach()          gives an interface to vnet k: starts copy k
 *                           the first time (and enables the protocols in
 *                           vnet k with netisr_register_vnet), then adds
 *                           a netif over the interface in that copy
 *
 * netisr runs every handler with curvnet set from the mbuf's vnet, which
 * if_input stamped from the interface's if_vnet; so a frame reaches only
 * the instance of the vnet its interface belongs to.  A frame of a vnet
 * without a started instance cannot get here (netisr drops it: the
 * protocol is not enabled there) but is counted if it does.
 *
 * Locking: stack_started[] is written at boot on CPU 0 before any
 * interface is up, and read-only afterwards.  The handlers take the
 * instance's own core lock (inside the copy); stack_noinst is atomic.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "net/if/if.h"
#include "net/netisr/mbuf.h"
#include "net/netisr/netisr.h"
#include "net/netisr/netisr_flow.h"
#include "net/netisr/netisr_plat.h"
#include "net/stack/stack.h"
#include "net/vnet/vnet.h"

#define STACK_DHCP_WAIT_US	20000000	/* 20 s */

/*
 * The copies' descriptors: linker.ld defines these around the section;
 * on the host (unit tests, fuzzers: one uncopied instance), the linker
 * does, as for every section whose name is a C identifier.
 */
extern const struct lwipg_inst __start_lwip_insts[];
extern const struct lwipg_inst __stop_lwip_insts[];
#define __lwip_insts_start	__start_lwip_insts
#define __lwip_insts_end	__stop_lwip_insts

static bool stack_started[NETISR_MAXVNETS];
static uint64_t stack_noinst;

unsigned
stack_ninsts(void)
{
	return (unsigned)(__lwip_insts_end - __lwip_insts_start);
}

/*
 * The instance that serves packets of vnet on cpu, or NULL if vnet has
 * none running.  One instance per vnet for now: cpu is not used yet.
 */
const struct lwipg_inst *
stack_inst(unsigned vnet, unsigned cpu)
{
	(void)cpu;
	if (vnet >= NETISR_MAXVNETS || vnet >= stack_ninsts() ||
	    !stack_started[vnet])
		return NULL;
	return &__lwip_insts_start[vnet];
}

static const struct lwipg_inst *
stack_cur(struct mbuf *m)
{
	const struct lwipg_inst *li = stack_inst(curvnet, netisr_plat_curcpu());

	if (li == NULL) {
		__atomic_fetch_add(&stack_noinst, 1, __ATOMIC_RELAXED);
		m_freem(m);
	}
	return li;
}

static void
stack_arp_input(struct mbuf *m)
{
	const struct lwipg_inst *li = stack_cur(m);

	if (li != NULL)
		li->li_arp_input(m);
}

static void
stack_ip_input(struct mbuf *m)
{
	const struct lwipg_inst *li = stack_cur(m);

	if (li != NULL)
		li->li_ip_input(m);
}

static void
stack_ip6_input(struct mbuf *m)
{
	const struct lwipg_inst *li = stack_cur(m);

	if (li != NULL)
		li->li_ip6_input(m);
}

/*
 * The batch handlers: n packets of curvnet (netisr runs a batch handler
 * per vnet), to its instance under one hold of its core lock.
 */
static const struct lwipg_inst *
stack_cur_batch(struct mbuf **ms, unsigned n)
{
	const struct lwipg_inst *li = stack_inst(curvnet, netisr_plat_curcpu());
	unsigned i;

	if (li == NULL) {
		__atomic_fetch_add(&stack_noinst, n, __ATOMIC_RELAXED);
		for (i = 0; i < n; i++)
			m_freem(ms[i]);
	}
	return li;
}

static void
stack_arp_input_batch(struct mbuf **ms, unsigned n)
{
	const struct lwipg_inst *li = stack_cur_batch(ms, n);

	if (li != NULL)
		li->li_arp_input_batch(ms, n);
}

static void
stack_ip_input_batch(struct mbuf **ms, unsigned n)
{
	const struct lwipg_inst *li = stack_cur_batch(ms, n);

	if (li != NULL)
		li->li_ip_input_batch(ms, n);
}

static void
stack_ip6_input_batch(struct mbuf **ms, unsigned n)
{
	const struct lwipg_inst *li = stack_cur_batch(ms, n);

	if (li != NULL)
		li->li_ip6_input_batch(ms, n);
}

static const struct netisr_handler stack_handlers[] = {
	{ .nh_name = "arp", .nh_handler = stack_arp_input,
	  .nh_handler_batch = stack_arp_input_batch,
	  .nh_proto = NETISR_ARP, .nh_policy = NETISR_POLICY_SOURCE },
	{ .nh_name = "ip", .nh_handler = stack_ip_input,
	  .nh_handler_batch = stack_ip_input_batch,
	  .nh_m2flow = netisr_m2flow_ipv4, .nh_proto = NETISR_IP,
	  .nh_policy = NETISR_POLICY_FLOW },
	{ .nh_name = "ip6", .nh_handler = stack_ip6_input,
	  .nh_handler_batch = stack_ip6_input_batch,
	  .nh_m2flow = netisr_m2flow_ipv6, .nh_proto = NETISR_IPV6,
	  .nh_policy = NETISR_POLICY_FLOW },
};

/* The interface layer's link handler: ifp's instance follows it. */
static void
stack_link_changed(struct ifnet *ifp, bool up)
{
	const struct lwipg_inst *li = stack_inst(ifp->if_vnet, 0);

	if (li != NULL)
		li->li_link_changed(ifp, up);
}

/* Registers the stack's protocols with netisr.  Boot, CPU 0, once. */
int
stack_init(void)
{
	size_t i;
	int err;

	if (stack_ninsts() == 0) {
		printk("stack: no lwIP instance linked in\n");
		return -ENODEV;
	}
	for (i = 0; i < nitems(stack_handlers); i++)
		if ((err = netisr_register(&stack_handlers[i])) != 0) {
			printk("stack: netisr_register(%s) failed (%d)\n",
			    stack_handlers[i].nh_name, err);
			return err;
		}
	if_set_link_handler(stack_link_changed);
	return 0;
}

/*
 * Takes the memory vnet 0's stack needs, before the drivers size their
 * rings from what is free.  Boot, CPU 0, before pci_attach_drivers.
 */
int
stack_reserve(size_t *need)
{
	*need = 0;
	if (stack_ninsts() == 0)
		return -ENODEV;
	*need = __lwip_insts_start[0].li_heap_bytes;
	return __lwip_insts_start[0].li_reserve();
}

/* Starts vnet's instance and enables its protocols there.  Boot. */
static int
stack_start(unsigned vnet)
{
	const struct lwipg_inst *li = &__lwip_insts_start[vnet];
	size_t i;
	int err;

	if ((err = li->li_start(vnet)) != 0)
		return err;
	stack_started[vnet] = true;
	if (vnet == 0)
		return 0;		/* netisr_register enabled them there */
	if ((err = ether_vnet_attach(vnet)) != 0)
		return err;
	CURVNET_SET(vnet);
	for (i = 0; i < nitems(stack_handlers); i++)
		if ((err = netisr_register_vnet(&stack_handlers[i])) != 0) {
			printk("stack: vnet %u: netisr_register_vnet(%s) "
			    "failed (%d)\n", vnet, stack_handlers[i].nh_name,
			    err);
			break;
		}
	CURVNET_RESTORE();
	return err;
}

/*
 * Gives ifp to vnet, with cfg's addresses, and lets it deliver (if_up).
 * Boot, CPU 0, after stack_init.  Returns 0, or a negative errno once it
 * has said why (the interface then stays down).
 */
int
stack_attach(struct ifnet *ifp, unsigned vnet, const struct lwipg_ifcfg *cfg)
{
	int err;

	if (vnet >= NETISR_MAXVNETS || vnet >= stack_ninsts()) {
		printk("%s: vnet %u has no stack (this kernel has %u: build "
		    "with LWIP_VNETS=%u); interface left down\n", ifp->if_name,
		    vnet, stack_ninsts(), vnet + 1);
		return -ENOENT;
	}
	if (!stack_started[vnet] && (err = stack_start(vnet)) != 0) {
		printk("%s: vnet %u: stack not started (%d)\n", ifp->if_name,
		    vnet, err);
		return err;
	}
	ifp->if_vnet = (uint16_t)vnet;
	if ((err = __lwip_insts_start[vnet].li_attach(ifp, cfg)) != 0)
		return err;
	if ((err = vnet_attach_if(vnet, ifp->if_name)) != 0)
		printk("%s: cannot list under vnet %u\n", ifp->if_name, vnet);
	if_up(ifp);			/* the driver delivers from now on */
	return 0;
}

static bool
stack_dhcp_bound(void *arg)
{
	unsigned vnet;

	(void)arg;
	for (vnet = 0; vnet < NETISR_MAXVNETS; vnet++)
		if (stack_inst(vnet, 0) != NULL &&
		    !stack_inst(vnet, 0)->li_dhcp_bound())
			return false;
	return true;
}

/*
 * With DHCP on some interface, READY must show the bound addresses: runs
 * this CPU's loop (interrupts on: timers, the NIC, netisr) until every
 * lease is bound, or gives up after STACK_DHCP_WAIT_US with a message
 * (READY then says ip=none; the clients keep trying).
 */
void
stack_dhcp_wait(void)
{
	if (stack_dhcp_bound(NULL))
		return;
	if (!coreloop_run_until(stack_dhcp_bound, NULL, STACK_DHCP_WAIT_US))
		printk("lwip: no DHCP lease after %d s\n",
		    STACK_DHCP_WAIT_US / 1000000);
}

/* "A.B.C.D/N" or "none": ifp's IPv4 address in its vnet's stack. */
void
stack_ip_string(const struct ifnet *ifp, char *buf, size_t len)
{
	const struct lwipg_inst *li = stack_inst(ifp->if_vnet, 0);

	if (li == NULL || ifp->if_stack == NULL) {
		ksnprintf(buf, len, "none");
		return;
	}
	li->li_ip_string(ifp, buf, len);
}

uint64_t
stack_noinst_drops(void)
{
	return __atomic_load_n(&stack_noinst, __ATOMIC_RELAXED);
}

/* `netstat -s [<vnet>]`: that vnet's instance's counters. */
void
stack_print_stats(unsigned vnet)
{
	const struct lwipg_inst *li = stack_inst(vnet, 0);

	if (li == NULL) {
		printk("netstat: vnet %u has no stack\n", vnet);
		return;
	}
	li->li_print_stats();
	printk("lwip: stack no-instance-drops %lu\n", stack_noinst_drops());
}
