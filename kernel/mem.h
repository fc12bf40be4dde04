/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mem.h: the kernel's physical memory: one page allocator over all RAM
 * (kernel/pgalloc.c) and the kmem object allocator on top of it.
 */
#ifndef KERNEL_MEM_H
#define KERNEL_MEM_H

#include <stddef.h>
#include <stdint.h>

void	 mem_boot_init(void);
uint64_t mem_page_alloc(size_t npages);
void	 mem_page_free(uint64_t pa, size_t npages);
uint64_t mem_usable_bytes(void);
size_t	 mem_free_pages(void);
void	 mem_print_summary(void);

#endif /* KERNEL_MEM_H */
