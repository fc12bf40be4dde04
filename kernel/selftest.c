/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * selftest.c: the `selftest [name]` shell command.
 *
 * Runs every case of the .selftests linker table, or the one named, and
 * prints one line per case ("selftest: PASS <name>" or
 * "selftest: FAIL <name> (<reason>)") and then
 * "selftest: <N> passed, <M> failed".
 *
 * Locking: none; cases run on the shell's CPU, one after another.
 */
#include "kernel/console.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"

extern const struct selftest __selftests_start[], __selftests_end[];

void
selftest_fail(struct selftest_ctx *ctx, int line, const char *what)
{
	ksnprintf(ctx->stc_reason, sizeof(ctx->stc_reason), "line %d: %s",
	    line, what);
}

static int
cmd_selftest(int argc, char **argv)
{
	const struct selftest *t;
	struct selftest_ctx ctx;
	int passed = 0, failed = 0;

	if (argc > 2) {
		printk("usage: selftest [name]\n");
		return -1;
	}
	for (t = __selftests_start; t < __selftests_end; t++) {
		if (argc == 2 && strcmp(argv[1], t->st_name) != 0)
			continue;
		ctx.stc_reason[0] = '\0';
		if (t->st_fn(&ctx) == 0) {
			printk("selftest: PASS %s\n", t->st_name);
			passed++;
		} else {
			printk("selftest: FAIL %s (%s)\n", t->st_name,
			    ctx.stc_reason[0] != '\0' ? ctx.stc_reason :
			    "returned an error");
			failed++;
		}
	}
	if (argc == 2 && passed + failed == 0)
		printk("selftest: no case named '%s'\n", argv[1]);
	printk("selftest: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : -1;
}
SHELL_CMD(selftest, "run in-kernel tests: selftest [name]", cmd_selftest);
