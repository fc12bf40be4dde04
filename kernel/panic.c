/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * panic.c: panic(), the exception dump, backtraces and the QEMU exit.
 *
 * A panic prints one line starting with "PANIC", the registers (for a
 * trap), a backtrace with symbol names, and then leaves QEMU through
 * isa-debug-exit with QEMU_EXIT_PANIC (status 33).  Without that device the
 * CPU halts for good.
 *
 * Only one CPU may dump: the first to claim panic_owner does; any other CPU
 * that panics, or that takes the NMI a panicking CPU sends, halts quietly.
 * A panic inside the panic (a fault while dumping) exits at once.
 *
 * Locking: panic_owner is claimed with an atomic compare-and-swap.  The
 * console lock is bypassed once the owner calls console_panic_enter().
 */
#include <stdarg.h>
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kassert.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printf.h"

#define PANIC_OWNER_NONE	0xffffffffu
#define BACKTRACE_MAX_FRAMES	32
#define X86_PUSH_RBP		0x55	/* opcode of push %rbp */
#define X86_PUSH_RBP_LEN	1

static uint32_t panic_owner = PANIC_OWNER_NONE;

void
qemu_exit(uint32_t value)
{
	outl(QEMU_DEBUG_EXIT_PORT, value);
}

int
panic_in_progress(void)
{
	return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) !=
	    PANIC_OWNER_NONE;
}

/*
 * Claims the right to dump.  Returns normally only on the first panicking
 * CPU; a nested panic on the owner exits, any other CPU halts.
 */
static void
panic_claim(void)
{
	uint32_t me = cpu_id_safe(), none = PANIC_OWNER_NONE;

	cpu_cli();
	if (__atomic_compare_exchange_n(&panic_owner, &none, me, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		console_panic_enter();
		smp_stop_others();
		return;
	}
	if (none == me) {
		printk("PANIC (nested) on cpu %u\n", me);
		qemu_exit(QEMU_EXIT_PANIC);
	}
	cpu_halt_forever();
}

static void __attribute__((noreturn))
panic_finish(void)
{
	printk("halt: QEMU exit status %d\n",
	    QEMU_EXIT_STATUS(QEMU_EXIT_PANIC));
	qemu_exit(QEMU_EXIT_PANIC);
	cpu_halt_forever();
}

static void
print_frame(int n, uint64_t pc)
{
	uint64_t off = 0;
	const char *name = ksyms_lookup(pc, &off);

	if (name != NULL)
		printk("  #%d 0x%016lx %s+0x%lx\n", n, pc, name, off);
	else
		printk("  #%d 0x%016lx ?\n", n, pc);
}

static bool
word_readable(uint64_t va)
{
	return (va & (sizeof(uint64_t) - 1)) == 0 && paging_is_mapped(va) &&
	    paging_is_mapped(va + sizeof(uint64_t) - 1);
}

/*
 * Walks the frame-pointer chain (the kernel is built with
 * -fno-omit-frame-pointer): [rbp] is the caller's rbp and [rbp + 8] the
 * return address.  Stops at rbp 0 (set in boot.S), at an unmapped or
 * misaligned frame, or when the chain stops going up the stack.
 */
static void
backtrace_walk(int n, uint64_t rbp)
{
	const uint64_t *frame;

	while (rbp != 0 && n < BACKTRACE_MAX_FRAMES) {
		if (!word_readable(rbp) || !word_readable(rbp + 8))
			break;
		frame = (const uint64_t *)(uintptr_t)rbp;
		if (frame[1] == 0)
			break;
		print_frame(n++, frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

void
backtrace_print(uint64_t rip, uint64_t rbp)
{
	printk("backtrace:\n");
	print_frame(0, rip);
	backtrace_walk(1, rbp);
}

/*
 * Like backtrace_print, for an interrupted context.  GCC leaves leaf
 * functions without a frame even with -fno-omit-frame-pointer, and a trap
 * can hit a function before its prologue ran.  In both cases rbp still
 * belongs to the caller and the return address is on top of the stack, so
 * we print that first: the first byte of a function with a frame is
 * push %rbp (X86_PUSH_RBP).
 */
static void
backtrace_trap(const struct trapframe *tf)
{
	uint64_t off = 0, ret_slot = 0;
	const uint8_t *code;
	int n = 1;

	printk("backtrace:\n");
	print_frame(0, tf->tf_rip);
	if (ksyms_lookup(tf->tf_rip, &off) != NULL) {
		code = (const uint8_t *)(uintptr_t)(tf->tf_rip - off);
		if (code[0] != X86_PUSH_RBP || off == 0)
			ret_slot = tf->tf_rsp;
		else if (off == X86_PUSH_RBP_LEN)
			ret_slot = tf->tf_rsp + sizeof(uint64_t);
	}
	if (ret_slot != 0 && word_readable(ret_slot))
		print_frame(n++, *(const uint64_t *)(uintptr_t)ret_slot);
	backtrace_walk(n, tf->tf_rbp);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	panic_claim();
	printk("PANIC: cpu %u: ", cpu_id_safe());
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	/* Start at our caller: its pc and its saved frame pointer. */
	backtrace_print((uint64_t)(uintptr_t)__builtin_return_address(0),
	    *(const uint64_t *)__builtin_frame_address(0));
	panic_finish();
}

void
panic_trap(struct trapframe *tf)
{
	/* The NMI a panicking CPU sends to stop the others lands here. */
	if (tf->tf_vector == T_NMI && panic_in_progress())
		cpu_halt_forever();
	panic_claim();
	printk("PANIC: cpu %u: exception %lu (%s) error 0x%lx\n",
	    cpu_id_safe(), tf->tf_vector, trap_name(tf->tf_vector),
	    tf->tf_error);
	printk("  rip 0x%016lx  cs 0x%04lx  rflags 0x%08lx\n", tf->tf_rip,
	    tf->tf_cs, tf->tf_rflags);
	printk("  rsp 0x%016lx  ss 0x%04lx\n", tf->tf_rsp, tf->tf_ss);
	printk("  rax 0x%016lx  rbx 0x%016lx  rcx 0x%016lx\n", tf->tf_rax,
	    tf->tf_rbx, tf->tf_rcx);
	printk("  rdx 0x%016lx  rsi 0x%016lx  rdi 0x%016lx\n", tf->tf_rdx,
	    tf->tf_rsi, tf->tf_rdi);
	printk("  rbp 0x%016lx  r8  0x%016lx  r9  0x%016lx\n", tf->tf_rbp,
	    tf->tf_r8, tf->tf_r9);
	printk("  r10 0x%016lx  r11 0x%016lx  r12 0x%016lx\n", tf->tf_r10,
	    tf->tf_r11, tf->tf_r12);
	printk("  r13 0x%016lx  r14 0x%016lx  r15 0x%016lx\n", tf->tf_r13,
	    tf->tf_r14, tf->tf_r15);
	printk("  cr0 0x%016lx  cr2 0x%016lx  cr3 0x%016lx  cr4 0x%016lx\n",
	    read_cr0(), read_cr2(), read_cr3(), read_cr4());
	backtrace_trap(tf);
	panic_finish();
}

/* KASSERT failures (kernel/kassert.h) end here. */
void
kassert_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[PRINTK_LINE_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	panic("KASSERT failed at %s:%d: %s", file, line, msg);
}
