/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rss.c: the RSS indirection table shared by netisr and the NIC driver
 * (see rss.h for the design).
 *
 * Queue ownership is rss.h's rule (netisr_rss_queue_cpu).  So with
 * nqueues >= ncpus every CPU c owns queue c (and c + ncpus, ...),
 * and the device table maps bucket b to queue cpu(b).  With fewer queues
 * than CPUs, a CPU c >= nqueues owns no queue; its buckets go to queue
 * c mod nqueues, and netisr moves those packets to c in software.
 *
 * Locking: see rss.h.
 */
#include "net/netisr/rss.h"

static uint32_t rss_table[NETISR_RSS_BUCKETS];

/* Fills the table round-robin over cpus[0..ncpus). */
void
netisr_rss_init(const uint32_t *cpus, uint32_t ncpus)
{
	uint32_t b;

	for (b = 0; b < NETISR_RSS_BUCKETS; b++)
		rss_table[b] = ncpus == 0 ? 0 : cpus[b % ncpus];
}

uint32_t
netisr_rss_bucket_cpu(uint32_t bucket)
{
	return rss_table[bucket & NETISR_RSS_MASK];
}

uint32_t
netisr_default_flow2cpu(uint32_t flowid)
{
	return rss_table[flowid & NETISR_RSS_MASK];
}

/*
 * The queue a device should steer CPU cpu's flows to: the first queue cpu
 * owns, or, if it owns none, queue cpu mod nqueues.  -1 without queues.
 */
int
netisr_rss_queue_of_cpu(uint32_t cpu, uint32_t ncpus, uint32_t nqueues)
{
	(void)ncpus;
	if (nqueues == 0)
		return -1;
	return (int)netisr_rss_cpu_queue(cpu, nqueues);
}

/* Builds a device indirection table of NETISR_RSS_BUCKETS queue numbers. */
void
netisr_rss_queue_table(uint16_t *table, uint32_t ncpus, uint32_t nqueues)
{
	uint32_t b;
	int q;

	for (b = 0; b < NETISR_RSS_BUCKETS; b++) {
		q = netisr_rss_queue_of_cpu(rss_table[b], ncpus, nqueues);
		table[b] = (uint16_t)(q < 0 ? 0 : q);
	}
}
