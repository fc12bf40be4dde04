/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmds.c: small shell commands of the core kernel: uptime, cmdline,
 * poweroff and fault.
 *
 * `fault [--cpu N] <kind>` raises an exception on purpose so tests can
 * check the panic path: each kind has its own noinline trigger, so the
 * backtrace shows trigger -> cmd_fault (or the smp_call path on CPU N).
 *
 * Locking: none; commands run on the shell's CPU.
 */
#include <stdint.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kernel.h"
#include "kernel/libc.h"
#include "kernel/shell.h"

/* Canonical but never mapped: below the 47-bit limit, far above any RAM. */
#define FAULT_PF_ADDR		0x00007f0000000000ull
/* Non-canonical (bits 63:47 not a sign extension): #GP, SDM 3.3.7.1. */
#define FAULT_GP_ADDR		0x8000000000000000ull
#define FAULT_NMI_SPIN		100000000ull
#define FAULT_CPU_MAX		1000000u	/* parse bound */

static int
cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printk("uptime: %lu us\n", uptime_us());
	return 0;
}
SHELL_CMD(uptime, "time since kernel entry", cmd_uptime);

/* The raw line, then the parsed keys one printk per line (each short). */
static int
cmd_cmdline(int argc, char **argv)
{
	char buf[CMDLINE_FORMAT_MAX];
	const char *p, *nl;

	(void)argc;
	(void)argv;
	printk("cmdline: raw \"%s\"\n", bootinfo.bi_cmdline);
	cmdline_format(&kernel_config, buf, sizeof(buf));
	for (p = buf; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			printk("%s\n", p);
			break;
		}
		printk("%.*s\n", (int)(nl - p), p);
	}
	return 0;
}
SHELL_CMD(cmdline, "the kernel command line and the parsed keys",
    cmd_cmdline);

static int
cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return acpi_poweroff();
}
SHELL_CMD(poweroff, "switch the machine off (ACPI S5)", cmd_poweroff);

static void __attribute__((noinline))
fault_ud(void)
{
	__asm__ volatile("ud2");
}

static void __attribute__((noinline))
fault_pf(void)
{
	*(volatile uint64_t *)(uintptr_t)FAULT_PF_ADDR = 1;
}

static void __attribute__((noinline))
fault_gp(void)
{
	(void)*(volatile uint64_t *)(uintptr_t)FAULT_GP_ADDR;
}

static void __attribute__((noinline))
fault_div(void)
{
	__asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx"
	    : : : "eax", "ecx", "edx");
}

static void __attribute__((noinline))
fault_nmi(void)
{
	uint64_t spin;

	if (lapic_present())
		lapic_send_nmi(lapic_id());
	else
		__asm__ volatile("int $2");
	for (spin = 0; spin < FAULT_NMI_SPIN; spin++)
		cpu_relax();
	printk("fault: the NMI did not arrive\n");
}

static const struct {
	const char	*fk_name;
	void		(*fk_fn)(void);
} fault_kinds[] = {
	{ "ud", fault_ud },
	{ "pf", fault_pf },
	{ "gp", fault_gp },
	{ "div", fault_div },
	{ "nmi", fault_nmi },
};

static void
fault_on_cpu(void *arg)
{
	void (*fn)(void) = (void (*)(void))arg;

	fn();
}

/*
 * fault [--cpu N] <kind>.  With --cpu the fault runs on CPU N through
 * smp_call_sync, so this CPU waits (and never prints a prompt into the
 * other CPU's panic dump) until the panic's NMI stops it.
 */
static int
cmd_fault(int argc, char **argv)
{
	uint32_t cpu = curcpu()->pc_id;
	const char *kind;
	size_t i;

	if (argc == 4 && strcmp(argv[1], "--cpu") == 0) {
		if (kstrtou32(argv[2], FAULT_CPU_MAX, &cpu) != 0 ||
		    percpu_get(cpu) == NULL ||
		    !percpu_get(cpu)->pc_online) {
			printk("fault: no cpu %s\n", argv[2]);
			return -1;
		}
		kind = argv[3];
	} else if (argc == 2) {
		kind = argv[1];
	} else {
		printk("usage: fault [--cpu N] <ud|pf|gp|div|nmi>\n");
		return -1;
	}
	for (i = 0; i < nitems(fault_kinds); i++) {
		if (strcmp(kind, fault_kinds[i].fk_name) == 0) {
			smp_call_sync(cpu, fault_on_cpu,
			    (void *)fault_kinds[i].fk_fn);
			return 0;
		}
	}
	printk("fault: unknown kind '%s'\n", kind);
	return -1;
}
SHELL_CMD(fault, "raise an exception: fault [--cpu N] <ud|pf|gp|div|nmi>",
    cmd_fault);
