/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rss.h: the one flow-to-CPU rule of unisr, and its translation into a
 * NIC's receive-side-scaling indirection table.
 *
 * A flow hash picks a CPU through one 128-bucket indirection table,
 * table[hash & 127], filled round-robin over the workstream CPUs, as
 * FreeBSD does under `options RSS`.  netisr_default_flow2cpu() reads it;
 * a driver programs its device from the same table, translated from CPUs
 * to the queues those CPUs own, so a flow arrives on the CPU that will
 * process it.  With a power-of-two CPU count this equals hash % ncpus;
 * with 3 CPUs a plain modulo would disagree with the device's masked
 * table, which is why everything goes through the table.
 *
 * Queue ownership, the one rule (written here and nowhere else): queue k
 * of a NIC belongs to CPU k mod ncpus (its interrupts, its poller), and
 * CPU c transmits on queue c mod nqueues.  netisr_rss_queue_cpu() and
 * netisr_rss_cpu_queue() are that rule; drivers and the table below use
 * them.
 *
 * Portable C: also built into the host unit tests.
 *
 * Locking: netisr_rss_init() runs before any reader (at boot, or under
 * the netisr barrier later); the table is read lock-free afterwards.
 */
#ifndef NET_NETISR_RSS_H
#define NET_NETISR_RSS_H

#include <stdint.h>

#define NETISR_RSS_BUCKETS	128	/* QEMU and most NICs: 128 entries */
#define NETISR_RSS_MASK		(NETISR_RSS_BUCKETS - 1)

/* The CPU that owns queue q. */
static inline uint32_t
netisr_rss_queue_cpu(uint32_t q, uint32_t ncpus)
{
	return ncpus == 0 ? 0 : q % ncpus;
}

/* The queue CPU cpu transmits on, and steers its flows to. */
static inline uint32_t
netisr_rss_cpu_queue(uint32_t cpu, uint32_t nqueues)
{
	return nqueues == 0 ? 0 : cpu % nqueues;
}

void	 netisr_rss_init(const uint32_t *cpus, uint32_t ncpus);
uint32_t netisr_default_flow2cpu(uint32_t flowid);
uint32_t netisr_rss_bucket_cpu(uint32_t bucket);
int	 netisr_rss_queue_of_cpu(uint32_t cpu, uint32_t ncpus,
	    uint32_t nqueues);
void	 netisr_rss_queue_table(uint16_t *table, uint32_t ncpus,
	    uint32_t nqueues);

#endif /* NET_NETISR_RSS_H */
