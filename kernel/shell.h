/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shell.h: the serial shell and its command table.
 *
 * A subsystem adds a command with one line anywhere in its own file:
 *
 *	SHELL_CMD(mem, "physical pages and kmem size classes", cmd_mem);
 *
 * The macro drops a struct shell_cmd into the linker section
 * .shell_cmds.<name>; linker.ld sorts those by name into one array.
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

#include <stdbool.h>

#define SHELL_LINE_MAX	256
#define SHELL_ARGV_MAX	16
#define SHELL_PROMPT	"unisr> "

typedef int shell_cmd_fn(int argc, char **argv);

struct shell_cmd {
	const char	*sc_name;
	const char	*sc_help;
	shell_cmd_fn	*sc_fn;
};

#define SHELL_CMD(name, help, fn)					\
	static const struct shell_cmd shell_cmd_##name			\
	    __attribute__((used, section(".shell_cmds." #name),	\
	    aligned(8))) = { #name, help, fn }

void	shell_init(bool echo);
int	shell_run(int argc, char **argv);
void	shell_prompt(void);
void	shell_input(int c);
int	shell_execute(char *line);

#endif /* KERNEL_SHELL_H */
