/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stack.h: the network stack instances (stack.c) and their shell
 * commands (stack_cmds.c).  See stack.c.
 */
#ifndef NET_STACK_STACK_H
#define NET_STACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/lwip-glue/lwipg_inst.h"

struct ifnet;

int	stack_reserve(size_t *need);
int	stack_init(void);
unsigned stack_ninsts(void);
const struct lwipg_inst *stack_inst(unsigned vnet, unsigned cpu);
int	stack_attach(struct ifnet *ifp, unsigned vnet,
	    const struct lwipg_ifcfg *cfg);
void	stack_dhcp_wait(void);
void	stack_ip_string(const struct ifnet *ifp, char *buf, size_t len);
void	stack_print_stats(unsigned vnet);
uint64_t stack_noinst_drops(void);

#endif /* NET_STACK_STACK_H */
