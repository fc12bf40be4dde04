/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_shim.c: the kernel around the lwIP glue, on the host: what
 * net/lwip-glue/lwipg_sys.c, the console, the clock and the core loop
 * provide in the kernel, and fuzz_stack_init(), which brings the stack up
 * as kmain does.  See fuzz_shim.h for what is real and what is not.
 *
 * Design: the host process is one thread, so the core lock is a flag with
 * the kernel's assertions (no recursion, lwIP entered only with it held).
 * Time is a counter that only fuzz_clock_advance() moves, and random
 * numbers come from a fixed seed, so a run over the same inputs takes
 * the same path every time (a crash reproduces from its input files).  A
 * failed lwIP assertion calls fuzz_fail_hook (the harness saves what led
 * there) and aborts, which libFuzzer reports as a crash.
 * printk keeps its last lines in a ring (fuzz_log_contains(), for the
 * unit test's look at `netstat -s`) and echoes them only when asked.
 *
 * Locking: single-threaded; see fuzz_shim.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kassert.h"
#include "kernel/kernel.h"
#include "kernel/kmem.h"
#include "kernel/mem.h"
#include "kernel/percpu.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "net/lwip-glue/lwipg.h"
#include "net/net_init.h"
#include "net/netisr/netisr.h"
#include "net/vnet/vnet.h"
#include "tests/fuzz/fuzz_shim.h"
#include "tests/unit/netisr_host.h"

#define FUZZ_LOG_LINES		64
#define FUZZ_RAND_SEED		0x2545f4914f6cdd1dull
#define FUZZ_CMDLINE		"ip6=fd00:1::15/48"
#define FUZZ_SETTLE_MS		1000	/* one nd6_tmr period */
#define FUZZ_SETTLE_STEPS	5	/* DAD: NS, then preferred */
#define FUZZ_US_PER_MS		1000
#define FUZZ_CYCLES_PER_US	1000	/* a nominal 1 GHz "TSC" */
#define FUZZ_TICK_MS		TCP_TMR_INTERVAL	/* lwIP's finest timer */

struct cmdline_config kernel_config;
uint64_t lwipg_assertions;
uint64_t lwipg_core_lock_checks;
uint64_t lwipg_core_acquires;
uint64_t lwipg_core_contended;
uint64_t lwipg_core_wait_cycles;

void	(*fuzz_fail_hook)(void);

static bool fuzz_core_held;
static uint32_t fuzz_now_ms;
static uint64_t fuzz_rand_state = FUZZ_RAND_SEED;

static char fuzz_log_ring[FUZZ_LOG_LINES][PRINTK_LINE_MAX];
static unsigned fuzz_log_next, fuzz_log_count;
static bool fuzz_log_echo_on;

/* ---- console ------------------------------------------------------------ */

void
vprintk(const char *fmt, va_list ap)
{
	char *line = fuzz_log_ring[fuzz_log_next];

	kvsnprintf(line, PRINTK_LINE_MAX, fmt, ap);
	fuzz_log_next = (fuzz_log_next + 1) % FUZZ_LOG_LINES;
	if (fuzz_log_count < FUZZ_LOG_LINES)
		fuzz_log_count++;
	if (fuzz_log_echo_on)
		fputs(line, stderr);
}

void
printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void
fuzz_log_echo(bool on)
{
	fuzz_log_echo_on = on;
	host_log_echo(on);
}

bool
fuzz_log_echoing(void)
{
	return fuzz_log_echo_on;
}

bool
fuzz_log_contains(const char *substr)
{
	unsigned i;

	for (i = 0; i < fuzz_log_count; i++)
		if (strstr(fuzz_log_ring[i], substr) != NULL)
			return true;
	return false;
}

void
fuzz_log_clear(void)
{
	fuzz_log_next = 0;
	fuzz_log_count = 0;
	memset(fuzz_log_ring, 0, sizeof(fuzz_log_ring));
}

/* ---- lwipg_sys.c: the core lock, assertions, time, randomness ----------- */

void
lwipg_core_lock(void)
{
	KASSERT(!fuzz_core_held, ("lwipg_core_lock: recursive"));
	fuzz_core_held = true;
}

void
lwipg_core_unlock(void)
{
	KASSERT(fuzz_core_held, ("lwipg_core_unlock: not held"));
	fuzz_core_held = false;
}

bool
lwipg_core_owned(void)
{
	return fuzz_core_held;
}

void
lwipg_assert_core_locked(void)
{
	KASSERT(fuzz_core_held, ("lwIP entered without the core lock"));
	lwipg_core_lock_checks++;
}

void
lwipg_assert_fail(const char *msg, const char *file, int line)
{
	lwipg_assertions++;
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file,
	    line);
	if (fuzz_fail_hook != NULL)
		fuzz_fail_hook();
	abort();
}

uint32_t
sys_now(void)
{
	return fuzz_now_ms;
}

/* The kernel's xorshift64*, from a fixed seed instead of the TSC. */
unsigned int
lwipg_rand(void)
{
	uint64_t x = fuzz_rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fuzz_rand_state = x;
	return (unsigned int)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/* The harness drives lwIP's timers itself (fuzz_clock_advance). */
void
lwipg_timers_start(void)
{
}

/* ---- the clock and the core loop (ping and iperf3 read them) ------------ */

uint64_t
uptime_us(void)
{
	return (uint64_t)fuzz_now_ms * FUZZ_US_PER_MS;
}

/* iperf3's cpu_util: no CPUs to measure here. */
void
percpu_busy_cycles(uint64_t *busy, uint64_t *total)
{
	*busy = 0;
	*total = 0;
}

uint64_t
tsc_to_us(uint64_t cycles)
{
	return cycles / FUZZ_CYCLES_PER_US;
}

bool
coreloop_poll_once(void)
{
	return false;
}

bool
coreloop_run_until(bool (*done)(void *), void *arg, uint64_t us)
{
	(void)us;
	return done(arg);
}

uint32_t
fuzz_clock_now(void)
{
	return fuzz_now_ms;
}

/*
 * Moves the clock on by ms, running lwIP's timers every FUZZ_TICK_MS on
 * the way, as the kernel's tick does: sys_check_timeouts() runs a cyclic
 * timer once per call however late it is, so one call after a long jump
 * would age TCP (persist, retransmission) by one tick only.
 */
void
fuzz_clock_advance(uint32_t ms)
{
	uint32_t step;

	do {
		step = ms < FUZZ_TICK_MS ? ms : FUZZ_TICK_MS;
		fuzz_now_ms += step;
		ms -= step;
		lwipg_core_lock();
		sys_check_timeouts();
		lwipg_core_unlock();
	} while (ms != 0);
}

/* kernel/libc.c's (its memcpy and friends would replace the host's). */
int
kstrtou32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* ---- kernel/kmem.c: the instance's lwIP heap (lwipg_init.c) -------------- */

void *
kmem_alloc(size_t size)
{
	return malloc(size);
}

/* kernel/mem.c: net_reserve() reports what was free (not called here). */
size_t
mem_free_pages(void)
{
	return 0;
}

/* ---- bring-up --------------------------------------------------------------- */

/* net/netstat.c (the shell's, not built here): net_init() registers with it. */
void
netstat_set_stack_printer(void (*fn)(unsigned vnet))
{
	(void)fn;
}

/* net/vnet/vnet.c (the `vnet` command, not built here): net_init() lists
 * each interface under its vnet. */
int
vnet_attach_if(unsigned vnet, const char *ifname)
{
	(void)vnet;
	(void)ifname;
	return 0;
}

static void
fuzz_cmdline_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "fuzz: command line: %s\n", msg);
	abort();
}

/*
 * netisr with FUZZ_NCPUS CPUs and the given dispatch policy, the calling
 * thread as CPU 0, the fake NIC, then net_init() as kmain calls it, then a few
 * seconds for DAD to make the IPv6 addresses usable.
 */
void
fuzz_stack_init(unsigned dispatch)
{
	struct netisr_config nc = {
		.nc_ncpus = FUZZ_NCPUS,
		.nc_defaultqlimit = NETISR_DEFAULT_QLIMIT,
		.nc_maxqlimit = NETISR_DEFAULT_MAXQLIMIT,
		.nc_dispatch = dispatch,
	};
	unsigned i;

	host_log_echo(fuzz_log_echo_on);
	host_cpu_bind(0);
	if (netisr_init(&nc) != 0) {
		fprintf(stderr, "fuzz: netisr_init failed\n");
		abort();
	}
	cmdline_defaults(&kernel_config);
	if (cmdline_parse(&kernel_config, FUZZ_CMDLINE, fuzz_cmdline_warn,
	    NULL) != 0)
		abort();
	fuzz_vtnet_attach();
	if (net_init() != 0) {
		fprintf(stderr, "fuzz: net_init failed\n");
		abort();
	}
	for (i = 0; i < FUZZ_SETTLE_STEPS; i++)
		fuzz_clock_advance(FUZZ_SETTLE_MS);
}

/* Runs every CPU's queued work until all of netisr is idle. */
void
fuzz_stack_poll(void)
{
	bool more;
	unsigned cpu;

	do {
		more = false;
		for (cpu = 0; cpu < FUZZ_NCPUS; cpu++) {
			host_cpu_bind(cpu);
			while (host_cpu_take_ready(cpu) || netisr_poll(cpu))
				more = true;
		}
		host_cpu_bind(0);
	} while (more);
}
