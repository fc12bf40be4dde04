/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prof.c: the per-stage cycle accounts of prof.h and the `prof` command.
 *
 *   prof on     starts a window on every CPU (counters zeroed)
 *   prof off    ends it (the counters stay for `prof`)
 *   prof        prints the window: frames and bytes each way, busy
 *               cycles, and per stage its cycles, entries, cycles per
 *               frame (rx + tx frames) and share of the busy cycles
 *
 * A stage's cycles are exclusive: entering a stage charges the time since
 * the last event to the stage that was open, so nested stages split the
 * time between them.  "other" is busy time outside every stage.
 *
 * Locking: a CPU's window is started and stopped on that CPU (through
 * smp_call_sync from the shell), at the top of its loop where no stage is
 * open; the counters are written by their CPU only and read racily.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/libc.h"
#include "kernel/prof.h"
#include "kernel/shell.h"

#define PROF_PERMILLE	1000
#define PROF_KIB	1024

struct prof_cpu prof_cpus[MAXCPU];

static const char *const prof_names[PROF_NSTAGES] = {
	[PROF_RX_DRIVER] = "rx-driver",
	[PROF_STACK] = "stack",
	[PROF_TX_DRIVER] = "tx-driver",
	[PROF_TX_DONE] = "tx-done",
	[PROF_TIMERS] = "timers",
};

static void
prof_charge(struct prof_cpu *p, uint64_t now)
{
	if (p->pr_depth > 0)
		p->pr_cycles[p->pr_stack[p->pr_depth - 1]] += now - p->pr_last;
	p->pr_last = now;
}

void
prof_enter_on(struct prof_cpu *p, enum prof_stage s)
{
	if (p->pr_depth == PROF_DEPTH) {
		p->pr_skipped++;
		return;
	}
	prof_charge(p, rdtsc());
	p->pr_stack[p->pr_depth++] = (uint8_t)s;
	p->pr_calls[s]++;
}

void
prof_leave_on(struct prof_cpu *p)
{
	if (p->pr_skipped > 0) {
		p->pr_skipped--;
		return;
	}
	if (p->pr_depth == 0) {
		p->pr_unbalanced++;
		return;
	}
	prof_charge(p, rdtsc());
	p->pr_depth--;
}

/* On the CPU itself, from its loop (no stage open). */
static void
prof_start_local(void *arg)
{
	struct percpu *pc = curcpu();
	struct prof_cpu *p = &prof_cpus[pc->pc_id];

	(void)arg;
	memset(p, 0, sizeof(*p));
	p->pr_start_idle = __atomic_load_n(&pc->pc_idle_cycles,
	    __ATOMIC_RELAXED);
	p->pr_start_tsc = p->pr_last = rdtsc();
	__atomic_store_n(&p->pr_on, true, __ATOMIC_RELEASE);
}

static void
prof_stop_local(void *arg)
{
	struct percpu *pc = curcpu();
	struct prof_cpu *p = &prof_cpus[pc->pc_id];

	(void)arg;
	if (!p->pr_on)
		return;
	__atomic_store_n(&p->pr_on, false, __ATOMIC_RELEASE);
	p->pr_stop_idle = __atomic_load_n(&pc->pc_idle_cycles,
	    __ATOMIC_RELAXED);
	p->pr_stop_tsc = rdtsc();
}

static int
prof_each(smp_fn *fn)
{
	uint32_t i;
	int err;

	for (i = 0; i < ncpus_online(); i++)
		if ((err = smp_call_sync(i, fn, NULL)) != 0) {
			printk("prof: cpu %u: %d\n", i, err);
			return 1;
		}
	return 0;
}

static uint64_t
prof_div(uint64_t a, uint64_t b)
{
	return b != 0 ? a / b : 0;
}

static void
prof_row(const char *name, uint64_t cycles, uint64_t calls, uint64_t frames,
    uint64_t busy)
{
	uint64_t share = prof_div(cycles * PROF_PERMILLE, busy);

	printk("prof: %s cycles %lu calls %lu per-frame %lu share %lu.%lu%%\n",
	    name, cycles, calls, prof_div(cycles, frames), share / 10,
	    share % 10);
}

static int
prof_show(void)
{
	uint64_t cyc[PROF_NSTAGES] = { 0 }, calls[PROF_NSTAGES] = { 0 };
	uint64_t rxf = 0, rxb = 0, txf = 0, txb = 0, busy = 0, staged = 0;
	uint64_t window = 0, end, idle, unbalanced = 0, frames;
	struct prof_cpu *p;
	struct percpu *pc;
	bool on = false;
	uint32_t i;
	unsigned s;

	for (i = 0; i < ncpus_online(); i++) {
		p = &prof_cpus[i];
		pc = percpu_get(i);
		if (p->pr_start_tsc == 0)
			continue;
		if (__atomic_load_n(&p->pr_on, __ATOMIC_ACQUIRE)) {
			on = true;
			end = rdtsc();
			idle = __atomic_load_n(&pc->pc_idle_cycles,
			    __ATOMIC_RELAXED);
		} else {
			end = p->pr_stop_tsc;
			idle = p->pr_stop_idle;
		}
		idle -= p->pr_start_idle;
		if (end - p->pr_start_tsc > window)
			window = end - p->pr_start_tsc;
		if (end - p->pr_start_tsc > idle)
			busy += end - p->pr_start_tsc - idle;
		for (s = 0; s < PROF_NSTAGES; s++) {
			cyc[s] += __atomic_load_n(&p->pr_cycles[s],
			    __ATOMIC_RELAXED);
			calls[s] += __atomic_load_n(&p->pr_calls[s],
			    __ATOMIC_RELAXED);
		}
		rxf += p->pr_rx_frames;
		rxb += p->pr_rx_bytes;
		txf += p->pr_tx_frames;
		txb += p->pr_tx_bytes;
		unbalanced += p->pr_unbalanced;
	}
	if (window == 0) {
		printk("prof: no window yet (prof on)\n");
		return 0;
	}
	frames = rxf + txf;
	printk("prof: %s window %lu ms cpus %u\n", on ? "on" : "off",
	    tsc_to_us(window) / 1000, ncpus_online());
	printk("prof: rx frames %lu bytes %lu tx frames %lu bytes %lu\n",
	    rxf, rxb, txf, txb);
	printk("prof: busy cycles %lu per-frame %lu per-kib %lu\n", busy,
	    prof_div(busy, frames), prof_div(busy * PROF_KIB, rxb + txb));
	for (s = 0; s < PROF_NSTAGES; s++) {
		prof_row(prof_names[s], cyc[s], calls[s], frames, busy);
		staged += cyc[s];
	}
	prof_row("other", busy > staged ? busy - staged : 0, 0, frames, busy);
	printk("prof: unbalanced %lu\n", unbalanced);
	return 0;
}

static int
cmd_prof(int argc, char **argv)
{
	if (argc == 1)
		return prof_show();
	if (argc == 2 && strcmp(argv[1], "on") == 0) {
		if (prof_each(prof_start_local) != 0)
			return 1;
		printk("prof: on\n");
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "off") == 0) {
		if (prof_each(prof_stop_local) != 0)
			return 1;
		printk("prof: off\n");
		return 0;
	}
	printk("usage: prof [on|off]\n");
	return 1;
}
SHELL_CMD(prof, "cycles per data-path stage: prof on|off, prof shows them",
    cmd_prof);
