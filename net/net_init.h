/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_init.h: what the kernel calls in the network stack: one init call
 * and the network part of the READY line.  The kernel sees no driver
 * state and no lwIP type through it.
 */
#ifndef NET_NET_INIT_H
#define NET_NET_INIT_H

#include <stddef.h>

#define NET_READY_MAX	96	/* "queues=.. ip=.. mac=.." */

void	net_reserve(void);
size_t	net_nomem_need_kib(void);
int	net_init(void);
void	net_ready_string(char *buf, size_t len);

/* netstat.c: the `netstat -s [<vnet>]` printer of the stack (one). */
void	netstat_set_stack_printer(void (*fn)(unsigned vnet));

#endif /* NET_NET_INIT_H */
