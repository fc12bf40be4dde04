/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trap.c: the C side of every interrupt and exception.
 *
 * trap_dispatch() is called by trap_entry.S with the saved frame.  A vector with
 * a registered handler runs it.  An exception without one is fatal:
 * panic_trap() dumps and stops.  Any other unexpected vector is counted
 * (trap_unexpected) and otherwise ignored.
 *
 * Locking: trap_handlers[] is filled before the vector can fire (at init,
 * before other CPUs run or the device is enabled) and read-only after.
 */
#include <stddef.h>

#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/panic.h"

static trap_handler_fn *trap_handlers[TRAP_NVECTORS];
static uint64_t trap_unexpected;

/* SDM table 6-1 mnemonics. */
static const char *const trap_names[TRAP_NEXCEPTIONS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "reserved",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "#HV", "#VC", "#SX",
	"reserved",
};

const char *
trap_name(unsigned vector)
{
	if (vector < TRAP_NEXCEPTIONS)
		return trap_names[vector];
	return "interrupt";
}

void
trap_register(unsigned vector, trap_handler_fn *fn)
{
	KASSERT(vector < TRAP_NVECTORS, ("%s: vector %u", __func__, vector));
	trap_handlers[vector] = fn;
}

void
trap_dispatch(struct trapframe *tf)
{
	trap_handler_fn *fn = NULL;

	if (tf->tf_vector < TRAP_NVECTORS)
		fn = trap_handlers[tf->tf_vector];
	if (fn != NULL) {
		fn(tf);
		return;
	}
	if (tf->tf_vector < TRAP_NEXCEPTIONS)
		panic_trap(tf);
	__atomic_fetch_add(&trap_unexpected, 1, __ATOMIC_RELAXED);
}

static int vector_next = VEC_DYN_FIRST;

/*
 * Hands out the next free device vector (MSI-X); -ENOSPC when they are
 * gone.  Every dynamically assigned vector comes from here.
 */
int
vector_alloc(void)
{
	int v = __atomic_fetch_add(&vector_next, 1, __ATOMIC_RELAXED);

	return v <= VEC_DYN_LAST ? v : -ENOSPC;
}
