/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_host.h: the host platform for netisr's portable core, over
 * pthreads, for the unit tests and the host benchmark.
 *
 * Every "CPU" is a thread that has bound itself to a CPU id with
 * host_cpu_bind(); netisr_plat_curcpu() returns that id.  A test may run
 * free-running CPU threads (host_cpus_start()), each looping over
 * netisr_poll() and an optional per-CPU hook, or drive CPUs in lockstep
 * from its own threads by binding them and calling netisr_poll() itself.
 *
 * Design: netisr_plat_wake(cpu) sets the CPU's atomic ready flag and, if
 * that CPU's runner thread has announced that it is going to sleep,
 * signals its condition variable.  The flag and the sleeping announcement
 * are both sequentially consistent, so either the waker sees the sleeper
 * or the sleeper sees the flag (no lost wake-up); the sleep is also
 * bounded to a millisecond as a backstop.  The log keeps its last lines
 * in a ring for host_log_contains().
 *
 * Locking: the per-CPU ready flags and counters are atomics; each CPU's
 * sleep is guarded by its own mutex; the log ring by a global mutex.
 * host_cpus_start() and host_cpus_stop() are called by one controlling
 * thread.
 */
#ifndef TESTS_UNIT_NETISR_HOST_H
#define TESTS_UNIT_NETISR_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "net/netisr/netisr.h"
#include "net/netisr/netisr_plat.h"

#define HOST_MAXCPU		NETISR_MAXCPU
#define HOST_LOG_LINES		64
#define HOST_LOG_LINE_MAX	160

/*
 * A per-CPU hook run by a CPU thread between polls.  Returns true if it
 * did (or has) work, false if the CPU may sleep briefly.
 */
typedef bool host_cpu_fn(unsigned cpu, void *arg);

/* Binds the calling thread to CPU id cpu (any number of times). */
void	 host_cpu_bind(unsigned cpu);
/* The calling thread's CPU id, or -1 if unbound. */
int	 host_cpu_self(void);

/*
 * Starts CPU threads for ids first .. first + n - 1.  Each loops:
 * netisr_poll(cpu) while the CPU is ready or work is left, then fn (if
 * not NULL), then a short sleep when both were idle.
 */
void	 host_cpus_start_range(unsigned first, unsigned n, host_cpu_fn *fn,
	    void *arg);
/* Same, for CPUs 0 .. n - 1. */
void	 host_cpus_start(unsigned n, host_cpu_fn *fn, void *arg);
/* Stops and joins every CPU thread started so far. */
void	 host_cpus_stop(void);
/* Pins the calling thread to host processor hostcpu (best effort). */
int	 host_pin(unsigned hostcpu);

/* Polls the calling thread's bound CPU until nothing is left. */
void	 host_poll_drain(void);
/* True while a wake-up for cpu is pending (not yet taken by a poll). */
bool	 host_cpu_ready(unsigned cpu);
/* Takes (clears) cpu's ready flag; returns whether it was set. */
bool	 host_cpu_take_ready(unsigned cpu);
/* netisr_plat_wake() calls for cpu since the last host_reset(). */
uint64_t host_wake_count(unsigned cpu);
/* Clears ready flags, wake counters and the log ring. */
void	 host_reset(void);

/* The log: whether lines are echoed to stderr, and the kept copy. */
void	 host_log_echo(bool on);
bool	 host_log_contains(const char *substr);
void	 host_log_clear(void);

#endif /* TESTS_UNIT_NETISR_HOST_H */
