/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_kern.c: netisr on the kernel's per-core loops.
 *
 * Implements the platform interface of net/netisr/netisr_plat.h: a CPU's
 * netisr worker is a core-loop poller, woken with coreloop_mark_pending()
 * (an IPI only if that CPU is idle); netisr may wait for other CPUs only
 * outside every poller but its own (kernel/coreloop.c, "Re-entry"); each
 * CPU's current vnet (curvnet) is a word in its own cache line, written
 * around every handler call.  Boot
 * configuration comes from the command line (net.isr.*).  Also the
 * `netstat -Q` tables, in FreeBSD's layout plus a Counters block with
 * netisr's global counters between Configuration and Protocols, and a
 * test protocol ("test", NETISR_TEST) that `selftest netisr` and `bench
 * netisr` drive until lwIP registers the real ones.
 *
 * Locking: netisr_kern_bit[] is written at boot before any wake-up;
 * netisr_kern_vnet[c] is read and written by CPU c only; the rest is
 * netisr's own (net/netisr/netisr_var.h).
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kernel.h"
#include "kernel/netisr_kern.h"
#include "kernel/percpu.h"
#include "kernel/prof.h"
#include "net/netisr/netisr.h"
#include "net/netisr/netisr_plat.h"

static int netisr_kern_bit[MAXCPU];

/* curvnet per CPU; a line each, since every handler call writes it. */
static struct {
	unsigned	nkv_curvnet;
} __attribute__((aligned(CACHE_LINE))) netisr_kern_vnet[MAXCPU];

unsigned
netisr_plat_curcpu(void)
{
	return curcpu()->pc_id;
}

void
netisr_plat_wake(unsigned cpu)
{
	struct percpu *pc = percpu_get(cpu);

	if (pc != NULL && netisr_kern_bit[cpu] > 0)
		coreloop_mark_pending(pc, 1u << netisr_kern_bit[cpu]);
}

bool
netisr_plat_may_wait(void)
{
	int bit = coreloop_current_poller();

	return bit < 0 || bit == netisr_kern_bit[curcpu()->pc_id];
}

void
netisr_plat_relax(void)
{
	cpu_relax();
}

void
netisr_plat_log(const char *line)
{
	printk("%s\n", line);
}

uint64_t
netisr_plat_cycles(void)
{
	return rdtsc();
}

unsigned
netisr_plat_curvnet(void)
{
	return netisr_kern_vnet[curcpu()->pc_id].nkv_curvnet;
}

unsigned
netisr_plat_curvnet_swap(unsigned vnet)
{
	unsigned *cur = &netisr_kern_vnet[curcpu()->pc_id].nkv_curvnet;
	unsigned old = *cur;

	*cur = vnet;
	return old;
}

static bool
netisr_kern_poll(void *arg)
{
	bool more;

	prof_enter(PROF_STACK);
	more = netisr_poll((unsigned)(uintptr_t)arg);
	prof_leave();
	return more;
}

static unsigned
dispatch_from_cmdline(void)
{
	switch (kernel_config.cc_isr_dispatch) {
	case CMDLINE_DISPATCH_HYBRID:
		return NETISR_DISPATCH_HYBRID;
	case CMDLINE_DISPATCH_DEFERRED:
		return NETISR_DISPATCH_DEFERRED;
	case CMDLINE_DISPATCH_DIRECT:
	default:
		return NETISR_DISPATCH_DIRECT;
	}
}

/* Brings netisr up on every online CPU.  BSP, after the APs started. */
int
netisr_kern_init(void)
{
	struct netisr_config cfg = {
		.nc_ncpus = ncpus_online(),
		.nc_maxthreads = kernel_config.cc_isr_maxthreads,
		.nc_defaultqlimit = kernel_config.cc_isr_defaultqlimit,
		.nc_maxqlimit = NETISR_DEFAULT_MAXQLIMIT,
		.nc_dispatch = dispatch_from_cmdline(),
	};
	unsigned i;
	int err, bit;

	if (cfg.nc_defaultqlimit > cfg.nc_maxqlimit)
		cfg.nc_defaultqlimit = cfg.nc_maxqlimit;
	if ((err = netisr_init(&cfg)) != 0) {
		printk("netisr: init failed (%d)\n", err);
		return err;
	}
	for (i = 0; i < cfg.nc_ncpus; i++) {
		bit = coreloop_add_poller(percpu_get(i), netisr_kern_poll,
		    (void *)(uintptr_t)i);
		if (bit < 0) {
			printk("netisr: no poller slot on cpu %u\n", i);
			return bit;
		}
		netisr_kern_bit[i] = bit;
	}
	if ((err = netisr_test_register()) != 0)
		printk("netisr: test protocol not registered (%d)\n", err);
	printk("netisr: %u threads, dispatch %s, defaultqlimit %u, "
	    "maxqlimit %u\n", netisr_get_cpucount(),
	    netisr_dispatch_name(netisr_get_dispatch()),
	    netisr_get_defaultqlimit(), netisr_get_maxqlimit());
	return 0;
}

static const char *
policy_name(unsigned p)
{
	switch (p) {
	case NETISR_POLICY_SOURCE:
		return "source";
	case NETISR_POLICY_FLOW:
		return "flow";
	case NETISR_POLICY_CPU:
		return "cpu";
	default:
		return "unknown";
	}
}

/* `netstat -Q`: FreeBSD's Configuration, Protocols and Workstreams. */
void
netisr_netstat_Q(void)
{
	struct netisr_proto_info pi;
	struct netisr_work_stats ws;
	unsigned p, w;

	printk("Configuration:\n");
	printk("Setting                        Current        Limit\n");
	printk("Thread count                   %7u      %7u\n",
	    netisr_get_cpucount(), ncpus_online());
	printk("Default queue limit            %7u      %7u\n",
	    netisr_get_defaultqlimit(), netisr_get_maxqlimit());
	printk("Dispatch policy         %14s          n/a\n",
	    netisr_dispatch_name(netisr_get_dispatch()));
	printk("Threads bound to CPUs          enabled          n/a\n");
	printk("\nCounters:\n");
	printk("Unregistered-protocol drops %10lu\n",
	    netisr_get_unregistered_drops());
	printk("Refused waits               %10lu\n",
	    netisr_get_refused_waits());
	printk("\nProtocols:\n");
	printk("Name   Proto QLimit Policy Dispatch Flags\n");
	for (p = 1; p < NETISR_MAXPROT; p++) {
		if (!netisr_proto_info(p, &pi))
			continue;
		printk("%-6s %5u %6u %6s %8s   %s%s%s\n", pi.npi_name, p,
		    pi.npi_qlimit, policy_name(pi.npi_policy),
		    netisr_dispatch_name(pi.npi_dispatch),
		    pi.npi_m2cpuid ? "C" : "-", pi.npi_drainedcpu ? "D" : "-",
		    pi.npi_m2flow ? "F" : "-");
	}
	printk("\nWorkstreams:\n");
	printk("WSID CPU   Name     Len WMark   Disp'd  HDisp'd   QDrops   "
	    "Queued  Handled   Purged  Batches\n");
	for (w = 0; w < netisr_get_cpucount(); w++) {
		for (p = 1; p < NETISR_MAXPROT; p++) {
			if (!netisr_proto_info(p, &pi))
				continue;
			netisr_work_stats(w, p, &ws);
			printk("%4u %3u   %-6s %5lu %5lu %8lu %8lu %8lu %8lu "
			    "%8lu %8lu %8lu\n", w, netisr_get_cpuid(w),
			    pi.npi_name, ws.nws_len, ws.nws_watermark,
			    ws.nws_dispatched, ws.nws_hybrid_dispatched,
			    ws.nws_qdrops, ws.nws_queued, ws.nws_handled,
			    ws.nws_purged, ws.nws_batches);
		}
	}
}
