/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shell.c: a line-editing shell on the serial console.
 *
 * shell_input() takes one received byte at a time from the core loop:
 * printable bytes are appended and echoed (unless console.echo=0),
 * backspace/DEL erase, Ctrl-U erases the line, Ctrl-C abandons it, escape
 * sequences (arrow keys) are swallowed, and CR or LF runs the line (a CR LF
 * pair counts once).  Bytes past SHELL_LINE_MAX are dropped and counted;
 * the line is then refused with a message rather than run truncated.
 *
 * Commands come from the .shell_cmds linker table (see shell.h).
 *
 * Locking: the line buffer belongs to the one CPU that polls the console
 * (the BSP) and takes no lock.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/libc.h"
#include "kernel/shell.h"

#define CH_CTRL_C	0x03
#define CH_BS		0x08
#define CH_LF		0x0a
#define CH_CR		0x0d
#define CH_CTRL_U	0x15
#define CH_ESC		0x1b
#define CH_DEL		0x7f
#define CH_PRINT_MIN	0x20
#define CH_PRINT_MAX	0x7e
#define CSI_FINAL_MIN	0x40	/* ECMA-48: a CSI sequence ends in 0x40-0x7e */

enum shell_esc { ESC_NONE, ESC_START, ESC_CSI };

extern const struct shell_cmd __shell_cmds_start[], __shell_cmds_end[];

static char shell_line[SHELL_LINE_MAX];
static size_t shell_len;
static bool shell_echo = true;
static bool shell_overflow;
static int shell_last;
static enum shell_esc shell_esc;

void
shell_init(bool echo)
{
	shell_echo = echo;
	shell_len = 0;
}

void
shell_prompt(void)
{
	console_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
}

static void
echo(const char *s, size_t n)
{
	if (shell_echo)
		console_write(s, n);
}

static const struct shell_cmd *
shell_find(const char *name)
{
	const struct shell_cmd *c;

	for (c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (strcmp(c->sc_name, name) == 0)
			return c;
	return NULL;
}

/* Splits line in place at blanks.  Returns argc, or -1 if too many. */
static int
shell_split(char *line, char **argv)
{
	int argc = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			*line++ = '\0';
		if (*line == '\0')
			return argc;
		if (argc == SHELL_ARGV_MAX)
			return -1;
		argv[argc++] = line;
		while (*line != '\0' && *line != ' ' && *line != '\t')
			line++;
	}
}

/* Runs one command line.  Returns the command's status. */
int
shell_execute(char *line)
{
	char *argv[SHELL_ARGV_MAX + 1];
	int argc;

	argc = shell_split(line, argv);
	if (argc < 0) {
		printk("shell: more than %d arguments\n", SHELL_ARGV_MAX);
		return -1;
	}
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	return shell_run(argc, argv);
}

/* Runs the command argv[0] with its arguments (argv[argc] is NULL). */
int
shell_run(int argc, char **argv)
{
	const struct shell_cmd *c;

	c = shell_find(argv[0]);
	if (c == NULL) {
		printk("unknown command '%s' (try help)\n", argv[0]);
		return -1;
	}
	return c->sc_fn(argc, argv);
}

static void
shell_enter(void)
{
	echo("\n", 1);
	shell_line[shell_len] = '\0';
	if (shell_overflow)
		printk("shell: line longer than %d characters ignored\n",
		    SHELL_LINE_MAX - 1);
	else
		shell_execute(shell_line);
	shell_len = 0;
	shell_overflow = false;
	shell_prompt();
}

static bool
shell_escape(int c)
{
	switch (shell_esc) {
	case ESC_START:
		shell_esc = c == '[' ? ESC_CSI : ESC_NONE;
		return true;
	case ESC_CSI:
		if (c >= CSI_FINAL_MIN && c <= CH_PRINT_MAX)
			shell_esc = ESC_NONE;
		return true;
	case ESC_NONE:
	default:
		return false;
	}
}

void
shell_input(int c)
{
	int last = shell_last;

	shell_last = c;
	if (shell_escape(c))
		return;
	switch (c) {
	case CH_LF:
		if (last == CH_CR)
			return;
		/* FALLTHROUGH */
	case CH_CR:
		shell_enter();
		return;
	case CH_BS:
	case CH_DEL:
		if (shell_len > 0) {
			shell_len--;
			echo("\b \b", 3);
		}
		return;
	case CH_CTRL_U:
		while (shell_len > 0) {
			shell_len--;
			echo("\b \b", 3);
		}
		return;
	case CH_CTRL_C:
		echo("^C\n", 3);
		shell_len = 0;
		shell_overflow = false;
		shell_prompt();
		return;
	case CH_ESC:
		shell_esc = ESC_START;
		return;
	default:
		break;
	}
	if (c < CH_PRINT_MIN || c > CH_PRINT_MAX)
		return;
	if (shell_len >= SHELL_LINE_MAX - 1) {
		shell_overflow = true;
		return;
	}
	shell_line[shell_len++] = (char)c;
	echo(&shell_line[shell_len - 1], 1);
}

static int
cmd_help(int argc, char **argv)
{
	const struct shell_cmd *c;

	(void)argc;
	(void)argv;
	for (c = __shell_cmds_start; c < __shell_cmds_end; c++)
		printk("  %-10s %s\n", c->sc_name, c->sc_help);
	return 0;
}
SHELL_CMD(help, "list the commands", cmd_help);
