/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * selftest.h: in-kernel test cases, run by the shell command `selftest`.
 *
 *	SELFTEST(kmem_sizes)
 *	{
 *		void *p = kmem_alloc(16);
 *
 *		ST_CHECK(p != NULL);
 *		...
 *		return 0;
 *	}
 *
 * Each case becomes a struct selftest named selftest_case_<name> in the
 * linker section .selftests.<name>, so the pytest harness can list the
 * cases from the ELF's symbols without booting (U-Boot's pattern).  A case
 * returns 0 on success; ST_CHECK records the failing expression and line.
 */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

#include <stddef.h>

#define SELFTEST_REASON_MAX	160

struct selftest_ctx {
	char	stc_reason[SELFTEST_REASON_MAX];
};

struct selftest {
	const char	*st_name;
	int		(*st_fn)(struct selftest_ctx *ctx);
};

#define SELFTEST(name)							\
	static int selftest_fn_##name(struct selftest_ctx *ctx);	\
	const struct selftest selftest_case_##name			\
	    __attribute__((used, section(".selftests." #name),		\
	    aligned(8))) = { #name, selftest_fn_##name };		\
	static int selftest_fn_##name(struct selftest_ctx *ctx)

#define ST_CHECK(cond) do {						\
	if (!(cond)) {							\
		selftest_fail(ctx, __LINE__, #cond);			\
		return -1;						\
	}								\
} while (0)

void	selftest_fail(struct selftest_ctx *ctx, int line, const char *what);

#endif /* KERNEL_SELFTEST_H */
