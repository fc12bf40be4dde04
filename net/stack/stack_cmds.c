/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stack_cmds.c: the shell commands of the network stack, each run by the
 * instance of the shell's current vnet (curvnet on the shell's CPU; 0
 * unless `vnet <k> <command>` set it, net/vnet/vnet.c):
 *
 *   ifconfig     every interface, in index order, each by the instance of
 *                its own vnet (so all vnets' interfaces are listed; the
 *                first line of each ends in "vnet <k>")
 *   arp          the current vnet's ARP table
 *   ping         ICMP echo from the current vnet's stack
 *   iperf        the current vnet's iperf2 server
 *   iperf3       the current vnet's iperf3 server
 *   netstat -s [<vnet>] goes through stack_print_stats() (stack.c)
 *
 * Locking: none here; each instance takes its own core lock.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/shell.h"
#include "net/if/if.h"
#include "net/netisr/netisr.h"
#include "net/stack/stack.h"

/* The current vnet's instance, or NULL after saying there is none. */
static const struct lwipg_inst *
stack_cmd_inst(const char *cmd)
{
	const struct lwipg_inst *li = stack_inst(curvnet, 0);

	if (li == NULL)
		printk("%s: vnet %u has no stack\n", cmd, curvnet);
	return li;
}

static void
stack_ifconfig_one(struct ifnet *ifp, void *arg)
{
	const struct lwipg_inst *li = stack_inst(ifp->if_vnet, 0);
	unsigned *shown = arg;

	if (li != NULL && ifp->if_stack != NULL && li->li_ifconfig(ifp) == 0) {
		(*shown)++;
		return;
	}
	printk("%s: no stack (vnet %u) mtu %u %s vnet %u\n", ifp->if_name,
	    ifp->if_vnet, ifp->if_mtu, ifp->if_link_up ? "up" : "down",
	    ifp->if_vnet);
}

static int
cmd_ifconfig(int argc, char **argv)
{
	unsigned shown = 0;

	(void)argc;
	(void)argv;
	if (ifnet_count() == 0) {
		printk("ifconfig: no interface\n");
		return -1;
	}
	ifnet_foreach(stack_ifconfig_one, &shown);
	return shown == ifnet_count() ? 0 : -1;
}
SHELL_CMD(ifconfig, "every network interface, its vnet and addresses",
    cmd_ifconfig);

static int
cmd_arp(int argc, char **argv)
{
	const struct lwipg_inst *li = stack_cmd_inst("arp");

	return li != NULL ? li->li_arp(argc, argv) : -ENOENT;
}
SHELL_CMD(arp, "the ARP table of the current vnet", cmd_arp);

static int
cmd_ping(int argc, char **argv)
{
	const struct lwipg_inst *li = stack_cmd_inst("ping");

	return li != NULL ? li->li_ping(argc, argv) : -ENOENT;
}
SHELL_CMD(ping, "ping <a.b.c.d> [count]: ICMP echo from the guest", cmd_ping);

static int
cmd_iperf(int argc, char **argv)
{
	const struct lwipg_inst *li = stack_cmd_inst("iperf");

	return li != NULL ? li->li_iperf(argc, argv) : -ENOENT;
}
SHELL_CMD(iperf, "the iperf2 server (tcp/udp 5001): counters", cmd_iperf);

static int
cmd_iperf3(int argc, char **argv)
{
	const struct lwipg_inst *li = stack_cmd_inst("iperf3");

	return li != NULL ? li->li_iperf3(argc, argv) : -ENOENT;
}
SHELL_CMD(iperf3, "the iperf3 server (tcp 5201): state and counters",
    cmd_iperf3);
