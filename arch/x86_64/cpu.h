/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cpu.h: thin inline wrappers around x86_64 instructions (port I/O, MSRs,
 * control registers, CPUID, TSC) and the architectural constants we use.
 *
 * Every constant names the Intel SDM (Vol. 3A unless said otherwise) or AMD
 * APM section it comes from.  No state lives here.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdint.h>

/* Control register bits (SDM 2.5). */
#define CR0_PE		(1u << 0)
#define CR0_WP		(1u << 16)
#define CR0_PG		(1u << 31)
#define CR4_PAE		(1u << 5)
#define CR4_PGE		(1u << 7)

/* MSRs (SDM Vol. 4). */
#define MSR_APIC_BASE	0x1b
#define MSR_EFER	0xc0000080
#define MSR_GS_BASE	0xc0000101
#define EFER_LME	(1u << 8)
#define EFER_NXE	(1u << 11)

/* CPUID leaves and feature bits (SDM Vol. 2A, CPUID). */
#define CPUID_EXT_FEATURES	0x80000001
#define CPUID_EXT_EDX_PDPE1GB	(1u << 26)
#define CPUID_EXT_EDX_NX	(1u << 20)
#define CPUID_FEATURES		0x1
#define CPUID_ECX_X2APIC	(1u << 21)
#define CPUID_EDX_APIC		(1u << 9)
#define CPUID_ECX_HYPERVISOR	(1u << 31)	/* reserved for hypervisors */
#define CPUID_EBX_APIC_ID_SHIFT	24		/* leaf 1: initial APIC id */
#define CPUID_VENDOR		0x0		/* EAX: highest basic leaf */
#define CPUID_TOPOLOGY		0xb		/* EDX: x2APIC id */
#define CPUID_TSC_CRYSTAL	0x15		/* TSC/crystal ratio, crystal Hz */
#define CPUID_FREQ		0x16		/* EAX: base MHz */
#define CPUID_HV_BASE		0x40000000	/* EAX: highest hypervisor leaf */
#define CPUID_HV_TIMING		0x40000010	/* EAX: TSC kHz, EBX: APIC kHz */

/* RFLAGS (SDM 2.3). */
#define RFLAGS_IF	(1u << 9)

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t
inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t
rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void
wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	    : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void
cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
    uint32_t *d)
{
	__asm__ volatile("cpuid"
	    : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
	    : "a"(leaf), "c"(sub));
}

static inline uint64_t
read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t
read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void
write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t
read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t
read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void
invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void
cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void
cpu_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void
cpu_sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* STI's interrupt shadow makes HLT start before any interrupt is taken. */
static inline void
cpu_sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void
cpu_hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline uint64_t
read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* Halts this CPU for good, with interrupts off.  NMIs still arrive. */
static inline __attribute__((noreturn)) void
cpu_halt_forever(void)
{
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}

#endif /* ARCH_X86_64_CPU_H */
