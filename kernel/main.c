/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c: kmain(), the first C code, entered from boot.S on the boot CPU
 * in long mode with the bootstrap identity map, interrupts off.
 *
 * It is a flat list of init calls in dependency order; read it top to
 * bottom.  It ends in the BSP's core loop, like every AP's bring-up.
 * boot_phase_end() closes each phase of the boot, and the line after
 * READY shows them (kernel/bootphase.c); nothing on the way waits for a
 * fixed time.
 *
 * Locking: runs alone on the BSP until smp_start_aps(); the APs only run
 * their own bring-up before READY.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/clock.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/madt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/pmtimer.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/vectors.h"
#include "drivers/pci/pci.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/bootphase.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kernel.h"
#include "kernel/mem.h"
#include "kernel/netisr_kern.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "net/if/if.h"
#include "net/net_init.h"
#include "net/netisr/toeplitz.h"

#define COM1_ISA_IRQ	4

struct cmdline_config kernel_config;

static void
cmdline_warn(void *arg, const char *msg)
{
	(void)arg;
	printk("%s\n", msg);
}

/* Routes COM1 to the BSP; without an I/O APIC the loop polls instead. */
static void
console_irq_init(void)
{
	if (ioapic_route_isa(COM1_ISA_IRQ, VEC_COM1, curcpu()->pc_apic_id) ==
	    0) {
		console_enable_rx_intr();
		return;
	}
	printk("console: no I/O APIC route for COM1; polling\n");
	coreloop_poll_console();
}

/*
 * A NIC is there but memory for it is not: say so and stop, rather than
 * print READY as if there were no NIC.  QEMU exits with status
 * QEMU_EXIT_STATUS(QEMU_EXIT_NOMEM) when it has isa-debug-exit.
 */
static void __attribute__((noreturn))
refuse_nomem(void)
{
	printk("unisr: cannot start: the network needs %lu KiB more memory "
	    "than this machine has (%lu KiB usable); not READY\n",
	    vtnet_nomem_need_kib() + net_nomem_need_kib(),
	    mem_usable_bytes() / 1024);
	qemu_exit(QEMU_EXIT_NOMEM);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* READY cpus=<n> queues=<q> ip=<addr/prefix|none> mac=<mac|none>. */
static void
print_ready(uint32_t ncpus)
{
	char net[NET_READY_MAX];

	net_ready_string(net, sizeof(net));
	printk("READY cpus=%u %s\n", ncpus, net);
}

void
kmain(int kind, uint32_t info)
{
	uint32_t ncpus;

	console_init();			/* printk works from here */
	percpu_init_bsp();		/* curcpu(), GS base */
	idt_init();
	desc_init_cpu(curcpu()->pc_desc); /* exceptions dump from here */
	bootinfo_parse(kind, info);	/* copy before anything reuses it */
	printk("unisr %s (%s boot)\n", UNISR_VERSION, bootinfo.bi_loader);
	boot_phase_end("entry");

	mem_boot_init();			/* page allocator and kmem */
	paging_init();			/* identity map of all RAM */
	mem_print_summary();

	cmdline_defaults(&kernel_config);
	if (bootinfo.bi_cmdline_truncated)
		printk("cmdline: command line longer than %d bytes "
		    "truncated\n", CMDLINE_MAX - 1);
	cmdline_parse(&kernel_config, bootinfo.bi_cmdline, cmdline_warn, NULL);
	boot_phase_end("mem");

	if (acpi_init() != 0)
		printk("acpi: unavailable; one CPU, no poweroff\n");
	pmtimer_init();			/* FADT: the reference clock */
	madt_parse();			/* CPUs, I/O APICs, overrides, MCFG */
	pic_disable();
	coreloop_init();		/* timer, wake-up and console vectors */
	smp_cmds_init();
	boot_phase_end("acpi");

	if (lapic_init() == 0)
		curcpu()->pc_apic_id = lapic_id();
	else
		printk("lapic: unavailable; one CPU, no timer\n");
	if (ioapic_init() != 0)
		printk("ioapic: none found\n");
	boot_phase_end("lapic");

	clock_init();			/* TSC and LAPIC timer rates */
	boot_phase_end("tsc");

	printk("cpu 0: online (apic id %u)\n", curcpu()->pc_apic_id);
	percpu_set_online(curcpu());
	if (lapic_present())
		lapic_timer_start(CALLOUT_HZ);
	smp_start_aps();		/* INIT, STARTUP: all at once */
	toeplitz_init_default();	/* meanwhile; before any CPU hashes */
	ncpus = smp_wait_aps();		/* prints their online lines */
	console_irq_init();
	boot_phase_end("smp");

	netisr_kern_init();		/* workstreams, flow -> CPU table */
	net_reserve();			/* the stack's memory, before NICs' */
	boot_phase_end("netisr");

	pci_init();			/* enumerate (not while APs start) */
	boot_phase_end("pci");

	pci_attach_drivers();		/* virtio-net: reset, features, queues */
	boot_phase_end("vtnet");
	if ((ifnet_count() == 0 && vtnet_nomem_need_kib() != 0) ||
	    (ifnet_count() != 0 && net_nomem_need_kib() != 0))
		refuse_nomem();		/* no READY without the network */
	net_init();			/* Ethernet, then lwIP over the NIC */

	print_ready(ncpus);
	printk("boot: ready in %lu us\n",
	    tsc_to_us(boot_phase_end("net") - boot_tsc));
	boot_phases_print();		/* they add up to the line above */
	shell_init(kernel_config.cc_console_echo);
	shell_prompt();
	coreloop_run();
}
