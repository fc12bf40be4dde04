/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_init.c: bring lwIP up: lwip_init, the netif over vtnet0, the
 * netisr handlers, the timers and the services; and the `ifconfig` and
 * `arp` shell commands.
 *
 * Locking: lwipg_init runs on CPU 0 at boot; the commands take the core
 * lock while they read lwIP's state.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/printf.h"
#include "kernel/shell.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_api.h"
#include "net/netisr/netisr.h"

#define LWIPG_DHCP_WAIT_US	20000000	/* 20 s */

static bool
lwipg_dhcp_bound(void *arg)
{
	bool bound;

	(void)arg;
	lwipg_core_lock();
	bound = dhcp_supplied_address(&lwipg_netif) != 0;
	lwipg_core_unlock();
	return bound;
}

/*
 * With ip=dhcp, READY must show the bound address: run this CPU's loop
 * (interrupts on: timers, the NIC, netisr) until the lease is bound.
 * Gives up after LWIPG_DHCP_WAIT_US with a message; READY then says
 * ip=none, and the client keeps trying in the background.
 */
static void
lwipg_dhcp_wait(void)
{
	if (!coreloop_run_until(lwipg_dhcp_bound, NULL, LWIPG_DHCP_WAIT_US))
		printk("lwip: no DHCP lease after %d s\n",
		    LWIPG_DHCP_WAIT_US / 1000000);
}

int
lwipg_init(void)
{
	int err;

	if (vtnet0 == NULL)
		return -ENODEV;
	lwipg_core_lock();
	lwip_init();
	err = lwipg_netif_init();
	if (err == 0 && kernel_config.cc_ip_mode == CMDLINE_IP_DHCP)
		dhcp_start(&lwipg_netif);
	if (err == 0)
		lwipg_apps_init();
	lwipg_core_unlock();
	if (err != 0) {
		printk("lwip: netif setup failed (%d)\n", err);
		return err;
	}
	if ((err = lwipg_input_init()) != 0)
		return err;
	lwipg_timers_start();
	if (kernel_config.cc_ip_mode == CMDLINE_IP_DHCP)
		lwipg_dhcp_wait();
	return 0;
}

/* "A.B.C.D/N" or "none", for the READY line. */
void
lwipg_ip_string(char *buf, size_t len)
{
	uint32_t mask, prefix = 0;

	if (vtnet0 == NULL || !netif_is_up(&lwipg_netif) ||
	    ip4_addr_isany_val(*netif_ip4_addr(&lwipg_netif))) {
		ksnprintf(buf, len, "none");
		return;
	}
	for (mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(
	    &lwipg_netif))); mask & 0x80000000u; mask <<= 1)
		prefix++;
	ksnprintf(buf, len, "%s/%u", ip4addr_ntoa(netif_ip4_addr(&lwipg_netif)),
	    prefix);
}

static int
cmd_ifconfig(int argc, char **argv)
{
	char ip[24], gw[16];
	const uint8_t *m;

	(void)argc;
	(void)argv;
	if (vtnet0 == NULL) {
		printk("ifconfig: no interface\n");
		return -1;
	}
	lwipg_core_lock();
	lwipg_ip_string(ip, sizeof(ip));
	ksnprintf(gw, sizeof(gw), "%s", ip4addr_ntoa(netif_ip4_gw(&lwipg_netif)));
	m = lwipg_netif.hwaddr;
	printk("vtnet0: inet %s gw %s mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x "
	    "%s\n", ip, gw, lwipg_netif.mtu, m[0], m[1], m[2], m[3], m[4], m[5],
	    netif_is_link_up(&lwipg_netif) ? "up" : "down");
	lwipg_core_unlock();
	return 0;
}
SHELL_CMD(ifconfig, "the network interface and its addresses", cmd_ifconfig);

/* The glue's input counters (`netstat -s`). */
void
lwipg_print_stats(void)
{
	lwipg_core_lock();
	printk("lwip: rx zero-copy %lu copied %lu no-pbuf %lu runts %lu "
	    "unknown-ethertype %lu tx-busy %lu\n", lwipg_stats.ls_zero_copy,
	    lwipg_stats.ls_copied, lwipg_stats.ls_no_pbuf, lwipg_stats.ls_runts,
	    lwipg_stats.ls_unknown_type, lwipg_stats.ls_tx_busy);
	lwipg_core_unlock();
	printk("netisr: unregistered-protocol drops %lu\n",
	    netisr_get_unregistered_drops());
}

static int
cmd_arp(int argc, char **argv)
{
	ip4_addr_t *ip;
	struct netif *nif;
	struct eth_addr *eth;
	size_t i;

	(void)argc;
	(void)argv;
	lwipg_core_lock();
	for (i = 0; i < ARP_TABLE_SIZE; i++) {
		if (etharp_get_entry(i, &ip, &nif, &eth) != 1)
			continue;
		printk("%s at %02x:%02x:%02x:%02x:%02x:%02x on vtnet0\n",
		    ip4addr_ntoa(ip), eth->addr[0], eth->addr[1], eth->addr[2],
		    eth->addr[3], eth->addr[4], eth->addr[5]);
	}
	lwipg_core_unlock();
	return 0;
}
SHELL_CMD(arp, "the ARP table", cmd_arp);
