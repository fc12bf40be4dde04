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

#define VECTOR_OWNER_MAX	24

/* Dynamically assigned vectors: who owns each, where it points, its count. */
struct vector_info {
	char		vi_owner[VECTOR_OWNER_MAX];
	uint32_t	vi_cpu;
	uint64_t	vi_count;
};

static struct vector_info vector_info[VEC_DYN_LAST - VEC_DYN_FIRST + 1];
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
	/* Device vectors each aim at one CPU: the add is uncontended. */
	if (tf->tf_vector >= VEC_DYN_FIRST && tf->tf_vector <= VEC_DYN_LAST)
		__atomic_fetch_add(&vector_info[tf->tf_vector -
		    VEC_DYN_FIRST].vi_count, 1, __ATOMIC_RELAXED);
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
 * Hands out the next free device vector (MSI-X) for owner on cpu;
 * -ENOSPC when they are gone.  Every dynamically assigned vector comes
 * from here, and `cpus` lists them.
 */
int
vector_alloc(const char *owner, uint32_t cpu)
{
	int v = __atomic_fetch_add(&vector_next, 1, __ATOMIC_RELAXED);
	struct vector_info *vi;
	size_t i;

	if (v > VEC_DYN_LAST)
		return -ENOSPC;
	vi = &vector_info[v - VEC_DYN_FIRST];
	for (i = 0; i + 1 < VECTOR_OWNER_MAX && owner[i] != '\0'; i++)
		vi->vi_owner[i] = owner[i];
	vi->vi_owner[i] = '\0';
	vi->vi_cpu = cpu;
	return v;
}

/*
 * Device vectors vector_alloc() can still hand out, so a driver can size
 * itself (fewer queues) before it takes any.
 */
int
vector_avail(void)
{
	int next = __atomic_load_n(&vector_next, __ATOMIC_RELAXED);

	return next > VEC_DYN_LAST ? 0 : VEC_DYN_LAST + 1 - next;
}

/* Calls fn for every allocated vector (for `cpus`). */
void
vector_foreach(void (*fn)(int vec, const char *owner, uint32_t cpu,
    uint64_t count))
{
	int v, last = __atomic_load_n(&vector_next, __ATOMIC_RELAXED);

	for (v = VEC_DYN_FIRST; v < last && v <= VEC_DYN_LAST; v++) {
		struct vector_info *vi = &vector_info[v - VEC_DYN_FIRST];

		fn(v, vi->vi_owner, vi->vi_cpu,
		    __atomic_load_n(&vi->vi_count, __ATOMIC_RELAXED));
	}
}
