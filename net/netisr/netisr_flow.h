/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_flow.h: m2flow functions for IPv4 and IPv6: the software
 * Toeplitz hash netisr's FLOW policy uses when the device gave none.
 */
#ifndef NET_NETISR_NETISR_FLOW_H
#define NET_NETISR_NETISR_FLOW_H

#include <stdint.h>

#include "net/netisr/mbuf.h"

struct mbuf *netisr_m2flow_ipv4(struct mbuf *m, uintptr_t source);
struct mbuf *netisr_m2flow_ipv6(struct mbuf *m, uintptr_t source);

#endif /* NET_NETISR_NETISR_FLOW_H */
