/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_api.h: what the rest of the kernel calls in the lwIP glue (no
 * lwIP types, so kmain need not see lwIP's headers).
 */
#ifndef NET_LWIP_GLUE_LWIPG_API_H
#define NET_LWIP_GLUE_LWIPG_API_H

#include <stddef.h>

int	lwipg_init(void);
void	lwipg_ip_string(char *buf, size_t len);
void	lwipg_print_stats(void);

#endif /* NET_LWIP_GLUE_LWIPG_API_H */
