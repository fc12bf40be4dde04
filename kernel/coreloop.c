/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * coreloop.c: the per-core loop, the unit of execution on every CPU.
 *
 *	for (;;) {
 *		run ready work: queued calls, pending event sources, timers;
 *		if there was none: halt until an interrupt (sti; hlt)
 *	}
 *
 * There is no preemption and no blocking; interrupt handlers only count,
 * acknowledge and mark work ready (pc_pending), and the loop does the
 * work.  Other CPUs queue calls with smp_call() on the target's lock-free
 * pc_workq and send a wake-up IPI only if the target is idle.
 *
 * The lost-wakeup race is closed with a store/load handshake: the loop
 * disables interrupts, publishes pc_idle = 1 (seq_cst), re-checks every
 * work source, and only then executes "sti; hlt" as one step (the STI
 * interrupt shadow, SDM Vol. 2B STI, guarantees HLT starts before any
 * interrupt is taken).  A producer pushes (seq_cst) and then reads
 * pc_idle: either it sees 1 and sends the IPI, or the loop's re-check sees
 * the work.  Busy and idle time are counted in TSC cycles per CPU.
 *
 * Re-entry: a poller never runs nested, neither inside itself nor inside
 * another poller (pc_poller_depth, KASSERTed in run_pollers()).  Work
 * that waits (smp_call_sync(), coreloop_poll_once(), coreloop_run_until())
 * runs this CPU's loop, so from inside a poller it would re-enter the
 * pollers: a driver's rx poll inside itself, or netisr's worker (a poller)
 * inside a handler it is running.  So coreloop_poll_once() called inside
 * a poller skips the pollers and the console (their pending bits stay set
 * for the loop's next turn), and smp_call_sync() to another CPU refuses
 * with -EDEADLK there rather than wait with this CPU's pollers stopped.
 * Forbidden inside pollers, inside netisr handlers and under the lwIP
 * core lock (net/lwip-glue/lwipg_sys.c): smp_call_sync() to another CPU,
 * coreloop_poll_once(), coreloop_run_until(), and netisr's waits
 * (netisr_domsg(), the barrier, netisr_set_dispatch(),
 * netisr_unregister(); net/netisr/netmsg.c), which netisr refuses
 * itself.  smp_call(), smp_call_item() and coreloop_mark_pending() never
 * wait and are allowed anywhere.
 *
 * Locking: no locks.  pc_workq is MPSC lock-free, pc_pending is an atomic
 * bitmask, pc_idle an atomic flag; the counters, pc_poll_depth and
 * pc_poller_depth are written by their own CPU only.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/kmem.h"
#include "kernel/panic.h"
#include "kernel/prof.h"
#include "kernel/shell.h"

struct smp_call_async {
	struct workq_item	sca_wi;		/* first: cast from the item */
	smp_fn			*sca_fn;
	void			*sca_arg;
};

struct smp_call_wait {
	struct workq_item	scw_wi;
	smp_fn			*scw_fn;
	void			*scw_arg;
	uint32_t		scw_done;
};

static void
count_intr(struct percpu *pc)
{
	__atomic_store_n(&pc->pc_intrs, pc->pc_intrs + 1, __ATOMIC_RELAXED);
}

static void
timer_intr(struct trapframe *tf)
{
	struct percpu *pc = curcpu();

	(void)tf;
	count_intr(pc);
	__atomic_store_n(&pc->pc_ticks, pc->pc_ticks + 1, __ATOMIC_RELAXED);
	lapic_eoi();
}

static void
wake_intr(struct trapframe *tf)
{
	struct percpu *pc = curcpu();

	(void)tf;
	count_intr(pc);
	__atomic_store_n(&pc->pc_ipis, pc->pc_ipis + 1, __ATOMIC_RELAXED);
	lapic_eoi();
}

static void
console_intr(struct trapframe *tf)
{
	struct percpu *pc = curcpu();

	(void)tf;
	count_intr(pc);
	__atomic_fetch_or(&pc->pc_pending, PENDING_CONSOLE, __ATOMIC_SEQ_CST);
	lapic_eoi();
}

/* Registers the interrupt handlers of the loop; BSP, before APs start. */
void
coreloop_init(void)
{
	trap_register(VEC_TIMER, timer_intr);
	trap_register(VEC_IPI_WAKE, wake_intr);
	trap_register(VEC_COM1, console_intr);
}

/* Marks pending bits on pc (any CPU, any context) and wakes pc if idle. */
void
coreloop_mark_pending(struct percpu *pc, uint32_t bits)
{
	__atomic_fetch_or(&pc->pc_pending, bits, __ATOMIC_SEQ_CST);
	if (pc != curcpu() && __atomic_load_n(&pc->pc_idle, __ATOMIC_SEQ_CST))
		lapic_send_ipi(pc->pc_apic_id, VEC_IPI_WAKE);
}

static bool console_polled;	/* no console interrupt: poll on the BSP */

/* Without a console interrupt the BSP polls the UART and never halts. */
void
coreloop_poll_console(void)
{
	console_polled = true;
}

static void
console_drain(void)
{
	int c;

	while ((c = console_getc()) >= 0)
		shell_input(c);
}

/*
 * Registers fn(arg) as a poller on pc (before pc's interrupts can mark
 * it).  Returns its pending bit, or -ENOSPC.  A poller returns true when
 * it stopped at its budget and wants to run again.
 */
int
coreloop_add_poller(struct percpu *pc, coreloop_poll_fn *fn, void *arg)
{
	uint32_t bit;

	for (bit = PENDING_FIRST_POLLER; bit < PENDING_BITS; bit++) {
		if (pc->pc_pollers[bit].cp_fn == NULL) {
			pc->pc_pollers[bit].cp_arg = arg;
			__atomic_store_n(&pc->pc_pollers[bit].cp_fn, fn,
			    __ATOMIC_RELEASE);
			return (int)bit;
		}
	}
	return -ENOSPC;
}

/* Runs the pollers whose bits are in pending, one at a time, never nested. */
static void
run_pollers(struct percpu *pc, uint32_t pending)
{
	struct coreloop_poller *p;
	uint32_t bit;
	bool again;

	while (pending != 0) {
		bit = (uint32_t)__builtin_ctz(pending);
		pending &= pending - 1;
		p = &pc->pc_pollers[bit];
		if (p->cp_fn == NULL)
			continue;
		KASSERT(pc->pc_poller_depth == 0, ("%s: cpu %u: poller %u "
		    "inside poller %u", __func__, pc->pc_id, bit,
		    pc->pc_poller_bit));
		pc->pc_poller_depth++;
		pc->pc_poller_bit = bit;
		again = p->cp_fn(p->cp_arg);
		pc->pc_poller_depth--;
		if (again)
			__atomic_fetch_or(&pc->pc_pending, 1u << bit,
			    __ATOMIC_SEQ_CST);
	}
}

/* The pending bit of the poller running on this CPU, or -1 if none. */
int
coreloop_current_poller(void)
{
	struct percpu *pc = curcpu();

	return pc->pc_poller_depth != 0 ? (int)pc->pc_poller_bit : -1;
}

static bool
has_work(struct percpu *pc)
{
	return !workq_empty(&pc->pc_workq) ||
	    __atomic_load_n(&pc->pc_pending, __ATOMIC_SEQ_CST) != 0 ||
	    callout_due(&pc->pc_callouts,
	    __atomic_load_n(&pc->pc_ticks, __ATOMIC_RELAXED));
}

/*
 * Runs whatever is ready on this CPU once.  Returns true if anything ran.
 * May nest (a work item waiting for another CPU polls its own work);
 * inside a poller it runs queued calls and callouts but no poller and not
 * the console (see Re-entry above).
 */
bool
coreloop_poll_once(void)
{
	struct percpu *pc = curcpu();
	struct workq_item *wi, *next;
	uint32_t pending, mask;
	bool did = false;

	for (wi = workq_take_all(&pc->pc_workq); wi != NULL; wi = next) {
		next = wi->wi_next;
		__atomic_store_n(&pc->pc_work, pc->pc_work + 1,
		    __ATOMIC_RELAXED);
		wi->wi_fn(wi);
		did = true;
	}
	/*
	 * A nested pass (a command waiting in smp_call_sync, say) leaves the
	 * console alone: the shell is not re-entrant.
	 */
	pc->pc_poll_depth++;
	mask = pc->pc_poll_depth == 1 ? ~0u : ~PENDING_CONSOLE;
	if (pc->pc_poller_depth != 0)
		mask = 0;
	pending = __atomic_fetch_and(&pc->pc_pending, ~mask, __ATOMIC_SEQ_CST) &
	    mask;
	if ((pending & PENDING_CONSOLE) ||
	    (console_polled && pc->pc_id == 0 && pc->pc_poll_depth == 1)) {
		console_drain();
		did = true;
	}
	if (pending & ~PENDING_CONSOLE) {
		run_pollers(pc, pending & ~PENDING_CONSOLE);
		did = true;
	}
	pc->pc_poll_depth--;
	prof_enter(PROF_TIMERS);
	if (callout_run(&pc->pc_callouts,
	    __atomic_load_n(&pc->pc_ticks, __ATOMIC_RELAXED)) > 0)
		did = true;
	prof_leave();
	return did;
}

/*
 * One turn of the loop: run ready work, or halt until an interrupt when
 * there is none.  Interrupts are on afterwards.
 */
static void
coreloop_turn(struct percpu *pc)
{
	uint64_t t0;

	__atomic_store_n(&pc->pc_loops, pc->pc_loops + 1, __ATOMIC_RELAXED);
	cpu_sti();
	if (coreloop_poll_once())
		return;
	cpu_cli();
	__atomic_store_n(&pc->pc_idle, 1, __ATOMIC_SEQ_CST);
	if (has_work(pc) || (console_polled && pc->pc_id == 0)) {
		__atomic_store_n(&pc->pc_idle, 0, __ATOMIC_RELAXED);
		cpu_sti();
		return;
	}
	t0 = rdtsc();
	cpu_sti_hlt();
	__atomic_store_n(&pc->pc_idle_cycles,
	    pc->pc_idle_cycles + (rdtsc() - t0), __ATOMIC_RELAXED);
	__atomic_store_n(&pc->pc_idle, 0, __ATOMIC_RELAXED);
}

void
coreloop_run(void)
{
	struct percpu *pc = curcpu();

	for (;;)
		coreloop_turn(pc);
}

/*
 * Runs the loop (timers, devices, queued calls; interrupts on) until
 * done(arg) is true or timeout_us has passed; returns done(arg).  For
 * boot steps that wait on the network, such as a DHCP lease.  The timer
 * interrupt bounds each halt, so the timeout is honoured to a tick.
 */
bool
coreloop_run_until(bool (*done)(void *), void *arg, uint64_t timeout_us)
{
	struct percpu *pc = curcpu();
	uint64_t start = uptime_us();

	while (!done(arg)) {
		if (uptime_us() - start >= timeout_us)
			return done(arg);
		coreloop_turn(pc);
	}
	return true;
}

/* Queues wi on pc and wakes pc if it is idle.  Any CPU, any context. */
void
smp_call_item(struct percpu *pc, struct workq_item *wi)
{
	workq_push(&pc->pc_workq, wi);
	if (pc != curcpu() && __atomic_load_n(&pc->pc_idle, __ATOMIC_SEQ_CST))
		lapic_send_ipi(pc->pc_apic_id, VEC_IPI_WAKE);
}

static void
smp_call_async_run(struct workq_item *wi)
{
	struct smp_call_async *c = (struct smp_call_async *)wi;
	smp_fn *fn = c->sca_fn;
	void *arg = c->sca_arg;

	kmem_free(c);
	fn(arg);
}

/* Runs fn(arg) on cpu from its loop, asynchronously. */
int
smp_call(uint32_t cpu, smp_fn *fn, void *arg)
{
	struct percpu *pc = percpu_get(cpu);
	struct smp_call_async *c;

	if (pc == NULL || !__atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE))
		return -EINVAL;
	c = kmem_alloc(sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->sca_wi.wi_fn = smp_call_async_run;
	c->sca_fn = fn;
	c->sca_arg = arg;
	smp_call_item(pc, &c->sca_wi);
	return 0;
}

static void
smp_call_wait_run(struct workq_item *wi)
{
	struct smp_call_wait *c = (struct smp_call_wait *)wi;

	c->scw_fn(c->scw_arg);
	__atomic_store_n(&c->scw_done, 1, __ATOMIC_RELEASE);
}

/*
 * Runs fn(arg) on cpu and waits for it to finish; inline when cpu is this
 * CPU.  While waiting, this CPU keeps running its own queued work, so two
 * CPUs calling each other cannot deadlock.  From inside a poller (a
 * driver's poll, netisr's worker and the handlers they run) the wait is
 * refused with -EDEADLK and fn does not run: waiting there would either
 * run the pollers nested or, skipping them, stall this CPU's netisr
 * worker and queues while another CPU may be waiting for them.
 */
int
smp_call_sync(uint32_t cpu, smp_fn *fn, void *arg)
{
	struct percpu *pc = percpu_get(cpu);
	struct smp_call_wait c;

	if (pc == NULL || !__atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE))
		return -EINVAL;
	if (pc == curcpu()) {
		fn(arg);
		return 0;
	}
	if (curcpu()->pc_poller_depth != 0)
		return -EDEADLK;
	c.scw_wi.wi_fn = smp_call_wait_run;
	c.scw_fn = fn;
	c.scw_arg = arg;
	c.scw_done = 0;
	smp_call_item(pc, &c.scw_wi);
	while (!__atomic_load_n(&c.scw_done, __ATOMIC_ACQUIRE)) {
		if (!coreloop_poll_once())
			cpu_relax();
	}
	return 0;
}

/* Stops every other online CPU with an NMI (panic path). */
void
smp_stop_others(void)
{
	uint32_t me = cpu_id_safe(), i;
	struct percpu *pc;

	if (!lapic_present())
		return;
	for (i = 0; (pc = percpu_get(i)) != NULL; i++)
		if (i != me && __atomic_load_n(&pc->pc_online, __ATOMIC_ACQUIRE))
			lapic_send_nmi(pc->pc_apic_id);
}
