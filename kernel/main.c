/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c: kmain(), the first C code, entered from boot.S on the boot CPU
 * in long mode with the bootstrap identity map, interrupts off.
 *
 * It is a flat list of init calls in dependency order; read it top to
 * bottom.  It ends in the core loop, which for now polls the console.
 *
 * Locking: runs alone on the BSP; nothing is shared yet.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot_defs.h"
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/kernel.h"
#include "kernel/mem.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"

struct cmdline_config kernel_config;

static struct percpu bsp_percpu;
static struct cpu_desc bsp_desc;

void
percpu_init_bsp(void)
{
	uint32_t a, b, c, d;

	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	bsp_percpu.pc_self = &bsp_percpu;
	bsp_percpu.pc_id = 0;
	bsp_percpu.pc_apic_id = b >> 24;	/* initial APIC id, CPUID.1:EBX */
	bsp_percpu.pc_desc = &bsp_desc;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&bsp_percpu);
}

static void
cmdline_warn(void *arg, const char *msg)
{
	(void)arg;
	printk("%s\n", msg);
}

void
kmain(int kind, uint32_t info)
{
	console_init();			/* printk works from here */
	percpu_init_bsp();		/* curcpu() */
	idt_init();
	desc_init_cpu(&bsp_desc);	/* exceptions dump from here */
	bootinfo_parse(kind, info);	/* copy before anything reuses it */
	printk("unisr %s (%s boot)\n", UNISR_VERSION, bootinfo.bi_loader);

	mem_init();			/* page allocator and kmem */
	paging_init();			/* identity map of all RAM */
	mem_print_summary();

	cmdline_defaults(&kernel_config);
	if (bootinfo.bi_cmdline_truncated)
		printk("cmdline: command line longer than %d bytes "
		    "truncated\n", CMDLINE_MAX - 1);
	cmdline_parse(&kernel_config, bootinfo.bi_cmdline, cmdline_warn, NULL);

	tsc_init();
	if (acpi_init() != 0)
		printk("acpi: unavailable; poweroff will not work\n");
	if (lapic_init() != 0)
		printk("lapic: unavailable\n");
	printk("cpu 0: online (apic id %u)\n", lapic_present() ? lapic_id() :
	    curcpu()->pc_apic_id);

	printk("READY cpus=1 queues=0 ip=none mac=none\n");
	printk("boot: ready in %lu us\n", uptime_us());
	shell_init(kernel_config.cc_console_echo);
	shell_prompt();
	for (;;) {
		int c = console_getc();

		if (c >= 0)
			shell_input(c);
		else
			cpu_relax();
	}
}
