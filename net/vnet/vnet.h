/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet.h: virtual network stacks (see vnet.c): which interfaces belong
 * to which vnet, as the `vnet` shell command lists them.  The protocol
 * switches themselves are netisr's (netisr_register_vnet and friends).
 */
#ifndef NET_VNET_VNET_H
#define NET_VNET_VNET_H

#include <stdbool.h>

/* Lists ifname under vnet (0 <= vnet < NETISR_MAXVNETS); at attach time. */
int	vnet_attach_if(unsigned vnet, const char *ifname);
/* Vnet 0, and every vnet with an interface. */
bool	vnet_exists(unsigned vnet);

#endif /* NET_VNET_VNET_H */
