/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_kern.h: netisr's kernel side: boot, `netstat -Q`, and the test
 * protocol used by `selftest netisr` and `bench netisr`.
 */
#ifndef KERNEL_NETISR_KERN_H
#define KERNEL_NETISR_KERN_H

#define NETISR_TEST	15	/* a protocol number FreeBSD leaves unused */

int	netisr_kern_init(void);
void	netisr_netstat_Q(void);
int	netisr_test_register(void);

#endif /* KERNEL_NETISR_KERN_H */
