/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_api.h: what net/net_init.c calls in the lwIP glue (no lwIP types,
 * so its callers need not see lwIP's headers).  Nothing under kernel/ or
 * drivers/ includes it: they reach the stack through net/net_init.h.
 */
#ifndef NET_LWIP_GLUE_LWIPG_API_H
#define NET_LWIP_GLUE_LWIPG_API_H

#include <stddef.h>

struct ifnet;

int	lwipg_init(struct ifnet *ifp);
void	lwipg_ip_string(char *buf, size_t len);
void	lwipg_print_stats(void);

#endif /* NET_LWIP_GLUE_LWIPG_API_H */
