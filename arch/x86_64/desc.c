/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * desc.c: GDT, TSS and IDT setup.
 *
 * Each CPU owns a struct cpu_desc (GDT + TSS + IST stacks) and loads it with
 * desc_init_cpu().  The IDT is one table shared by all CPUs: every vector
 * points at its stub in trap_entry.S; double fault, NMI and machine check switch
 * to their IST stacks (SDM 6.14.5).
 *
 * Locking: idt_init() runs once on the BSP before other CPUs start; the IDT
 * is read-only afterwards.  A cpu_desc is touched only by its own CPU.
 */
#include "arch/x86_64/desc.h"
#include "arch/x86_64/trap.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"

/* SDM 3.4.5: segment descriptor bits. */
#define DESC_P		(1ull << 47)
#define DESC_S		(1ull << 44)	/* code or data (not system) */
#define DESC_TYPE_CODE	(0xaull << 40)	/* execute/read */
#define DESC_TYPE_DATA	(0x2ull << 40)	/* read/write */
#define DESC_L		(1ull << 53)	/* 64-bit code */
#define DESC_DB		(1ull << 54)
#define DESC_G		(1ull << 55)
#define DESC_LIMIT_MAX	(0xffffull | (0xfull << 48))
#define DESC_TYPE_TSS64	0x9ull		/* SDM table 3-2: available TSS */

/* SDM 6.14.1, figure 6-8: 64-bit interrupt gate. */
struct idt_gate {
	uint16_t	ig_off_lo;
	uint16_t	ig_sel;
	uint8_t		ig_ist;
	uint8_t		ig_type;
	uint16_t	ig_off_mid;
	uint32_t	ig_off_hi;
	uint32_t	ig_reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

#define IDT_TYPE_INTR_GATE 0x8e		/* P=1, DPL=0, type 0xE */

struct desc_ptr {
	uint16_t	dp_limit;
	uint64_t	dp_base;
} __attribute__((packed));

extern char trap_stubs[], trap_stubs_end[];

static struct idt_gate idt[TRAP_NVECTORS] __attribute__((aligned(16)));

static void
idt_set(unsigned vec, uint64_t handler, unsigned ist)
{
	struct idt_gate *g = &idt[vec];

	g->ig_off_lo = handler & 0xffff;
	g->ig_sel = SEL_KCODE;
	g->ig_ist = ist;
	g->ig_type = IDT_TYPE_INTR_GATE;
	g->ig_off_mid = (handler >> 16) & 0xffff;
	g->ig_off_hi = handler >> 32;
	g->ig_reserved = 0;
}

void
idt_init(void)
{
	unsigned v, ist;

	/* A stub longer than TRAP_STUB_SIZE would break the n * size rule. */
	KASSERT(trap_stubs_end - trap_stubs == TRAP_NVECTORS * TRAP_STUB_SIZE,
	    ("%s: trap stubs are %ld bytes", __func__,
	    (long)(trap_stubs_end - trap_stubs)));
	for (v = 0; v < TRAP_NVECTORS; v++) {
		switch (v) {
		case T_DF:
			ist = IST_DF;
			break;
		case T_NMI:
			ist = IST_NMI;
			break;
		case T_MC:
			ist = IST_MC;
			break;
		default:
			ist = 0;
			break;
		}
		idt_set(v, (uint64_t)(uintptr_t)trap_stubs +
		    (uint64_t)v * TRAP_STUB_SIZE, ist);
	}
}

void
idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

/*
 * Builds and loads this CPU's GDT and TSS, reloads the segment registers
 * and loads the shared IDT.  Called on the CPU itself, interrupts off.
 */
void
desc_init_cpu(struct cpu_desc *cd)
{
	uint64_t base = (uint64_t)(uintptr_t)&cd->cd_tss;
	uint64_t limit = sizeof(cd->cd_tss) - 1;
	struct desc_ptr p;
	int i;

	memset(&cd->cd_tss, 0, sizeof(cd->cd_tss));
	for (i = 0; i < IST_COUNT; i++)
		cd->cd_tss.tss_ist[i] = (uint64_t)(uintptr_t)cd->cd_ist[i] +
		    IST_STACK_SIZE;
	cd->cd_tss.tss_iomap_base = sizeof(cd->cd_tss);	/* no I/O bitmap */

	cd->cd_gdt[GDT_NULL] = 0;
	cd->cd_gdt[GDT_KCODE] = DESC_P | DESC_S | DESC_TYPE_CODE | DESC_L |
	    DESC_G | DESC_LIMIT_MAX;
	cd->cd_gdt[GDT_KDATA] = DESC_P | DESC_S | DESC_TYPE_DATA | DESC_DB |
	    DESC_G | DESC_LIMIT_MAX;
	/* SDM figure 8-4: 16-byte TSS descriptor. */
	cd->cd_gdt[GDT_TSS] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	    (DESC_TYPE_TSS64 << 40) | DESC_P | ((limit >> 16) & 0xf) << 48 |
	    ((base >> 24) & 0xff) << 56;
	cd->cd_gdt[GDT_TSS + 1] = base >> 32;

	p.dp_limit = sizeof(cd->cd_gdt) - 1;
	p.dp_base = (uint64_t)(uintptr_t)cd->cd_gdt;
	__asm__ volatile(
	    "lgdt %0\n\t"
	    "pushq %1\n\t"
	    "leaq 1f(%%rip), %%rax\n\t"
	    "pushq %%rax\n\t"
	    "lretq\n"
	    "1:\n\t"
	    "movl %2, %%eax\n\t"
	    "movl %%eax, %%ds\n\t"
	    "movl %%eax, %%es\n\t"
	    "movl %%eax, %%ss\n\t"
	    "ltr %w3"
	    : : "m"(p), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
	    : "rax", "memory");
	idt_load();
}
