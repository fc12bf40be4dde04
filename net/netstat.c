/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netstat.c: the `netstat` shell command, which asks each layer for its
 * part and prints nothing of its own:
 *
 *   netstat -i   every interface's driver (if_print_stats, through its
 *                struct ifnet_ops), in index order
 *   netstat -Q   netisr (netisr_netstat_Q, kernel/netisr_kern.c)
 *   netstat -s   the stack's printer, registered by net_init()
 *                (netstat_set_stack_printer; lwipg_print_stats today)
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

static void (*netstat_stack_printer)(void);

/* Sets the `netstat -s` printer.  Boot, CPU 0. */
void
netstat_set_stack_printer(void (*fn)(void))
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
	if (argc == 2 && strcmp(argv[1], "-s") == 0) {
		if (netstat_stack_printer == NULL) {
			printk("netstat: no network stack\n");
			return -1;
		}
		netstat_stack_printer();
		return 0;
	}
	printk("usage: netstat -i | -Q | -s\n");
	return -1;
}
SHELL_CMD(netstat, "netstat -i: NIC queues; -Q: netisr; -s: stack stats",
    cmd_netstat);
