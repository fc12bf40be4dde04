/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netstat.c: the `netstat` shell command, which asks each layer for its
 * part and prints nothing of its own:
 *
 *   netstat -i   every interface's driver (if_print_stats, through its
 *                struct ifnet_ops), in index order
 *   netstat -Q   netisr (netisr_netstat_Q, kernel/netisr_kern.c)
 *   netstat -s [<vnet>]
 *                the stack's printer, registered by net_init()
 *                (netstat_set_stack_printer: stack_print_stats), for
 *                <vnet>, else the shell's current vnet (0, or what
 *                `vnet <k> netstat -s` set)
 *
 * Each layer's lines, and what they mean, are documented where they are
 * printed; docs/DESIGN.md has the contract.
 *
 * Locking: the printer is set once at boot on CPU 0 before the shell
 * runs; each part takes whatever locks it needs itself.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/libc.h"
#include "kernel/netisr_kern.h"
#include "kernel/shell.h"
#include "net/if/if.h"
#include "net/net_init.h"
#include "net/netisr/netisr.h"

static void (*netstat_stack_printer)(unsigned vnet);

/* Sets the `netstat -s` printer.  Boot, CPU 0. */
void
netstat_set_stack_printer(void (*fn)(unsigned vnet))
{
	netstat_stack_printer = fn;
}

static void
netstat_i_one(struct ifnet *ifp, void *arg)
{
	(void)arg;
	if_print_stats(ifp);
}

static int
cmd_netstat(int argc, char **argv)
{
	uint32_t vnet = curvnet;

	if (argc == 2 && strcmp(argv[1], "-i") == 0) {
		if (ifnet_count() == 0) {
			printk("netstat: no network interface\n");
			return -1;
		}
		ifnet_foreach(netstat_i_one, NULL);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "-Q") == 0) {
		netisr_netstat_Q();
		return 0;
	}
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "-s") == 0) {
		if (argc == 3 && kstrtou32(argv[2], NETISR_MAXVNETS - 1,
		    &vnet) != 0) {
			printk("netstat: vnet must be 0 to %u, not '%s'\n",
			    NETISR_MAXVNETS - 1, argv[2]);
			return -1;
		}
		if (netstat_stack_printer == NULL) {
			printk("netstat: no network stack\n");
			return -1;
		}
		netstat_stack_printer(vnet);
		return 0;
	}
	printk("usage: netstat -i | -Q | -s [<vnet>]\n");
	return -1;
}
SHELL_CMD(netstat, "netstat -i: NIC queues; -Q: netisr; -s [<vnet>]: stack stats",
    cmd_netstat);
