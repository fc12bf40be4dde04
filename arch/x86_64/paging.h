/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * paging.h: the kernel's identity map (virtual == physical).
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE	4096ull
#define PAGE_MASK	(PAGE_SIZE - 1)
#define LARGE_PAGE_SIZE	(2ull << 20)
#define HUGE_PAGE_SIZE	(1ull << 30)

enum vm_cache {
	VM_WB,		/* normal memory: write-back */
	VM_UC,		/* device registers: uncached (PCD | PWT) */
};

void	paging_init(void);
int	vm_map_range(uint64_t pa, uint64_t len, enum vm_cache cache);
void	*vm_map_mmio(uint64_t pa, uint64_t len);
bool	paging_is_mapped(uint64_t va);
bool	paging_uses_1g(void);
uint64_t paging_table_pages(void);

#endif /* ARCH_X86_64_PAGING_H */
