/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/cmdline.c: the kernel command-line parser.
 *
 * Design: the line is never modified or copied whole.  cmdline_parse()
 * walks it up to CMDLINE_MAX characters, splitting tokens at blanks; each
 * token that fits CMDLINE_TOKEN_MAX is copied into a NUL-terminated stack
 * buffer and split at its first '='.  The key is looked up in a table of
 * descriptors (cmdline_keys[]), each with the key's name, a parse function,
 * a format function and its cc_set bit, so adding a key is one table row
 * and two small functions, never another branch.  A parse function
 * validates the whole value before it stores anything, which is how a bad
 * value keeps the previous one.  Warnings are built with ksnprintf() into a
 * stack buffer and handed to the caller's callback.  cmdline_format()
 * walks the same table, so the output order is the table order.  Numbers
 * and addresses are read and written by kernel/cmdline_addr.c.  The file
 * is freestanding: only compiler headers and kernel/printf.h.
 *
 * Locking: none; there is no shared or static mutable state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.h"
#include "kernel/cmdline_addr.h"
#include "kernel/printf.h"

/* Room for a formatted value: "ffff:...:ffff/128" and friends. */
#define CL_VALUE_MAX		(CMDLINE_IP6_ADDRSTRLEN + sizeof("/128"))

struct cl_key {
	const char	*ck_name;
	/* Validates value; stores it in cfg only if valid. 0 or -CL_EINVAL. */
	int		(*ck_parse)(struct cmdline_config *cfg,
			    const char *value);
	/* Formats the current value into buf like snprintf. */
	int		(*ck_format)(const struct cmdline_config *cfg,
			    char *buf, size_t size);
	uint32_t	 ck_set;
};

/* Warning reasons, exactly as they appear in the messages. */
static const char cl_reason_unknown[] = "unknown key";
static const char cl_reason_bad[] = "bad value";
static const char cl_reason_notkv[] = "not key=value";
static const char cl_reason_long[] = "too long";

/* Minimal string helpers: this file must not depend on libc. */

static bool
cl_isblank(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static bool
cl_streq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (*a == *b);
}

/* A whole value that is a decimal number in [min, max]. */
static int
cl_parse_range(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (cl_parse_digits(&s, false, &v) != 0 || *s != '\0')
		return (-CL_EINVAL);
	if (v < min || v > max)
		return (-CL_EINVAL);
	*out = v;
	return (0);
}

/* ip=A.B.C.D/N | ip=dhcp */

static int
cl_parse_ip(struct cmdline_config *cfg, const char *s)
{
	uint32_t addr, prefix;

	if (cl_streq(s, "dhcp")) {
		cfg->cc_ip_mode = CMDLINE_IP_DHCP;
		return (0);
	}
	if (cl_parse_ipv4(&s, &addr) != 0 || *s != '/')
		return (-CL_EINVAL);
	s++;
	if (cl_parse_range(s, 0, CMDLINE_IP_PREFIX_MAX, &prefix) != 0)
		return (-CL_EINVAL);
	cfg->cc_ip_mode = CMDLINE_IP_STATIC;
	cfg->cc_ip_addr = addr;
	cfg->cc_ip_prefix = (uint8_t)prefix;
	return (0);
}

static int
cl_format_ip(const struct cmdline_config *cfg, char *buf, size_t size)
{
	char suffix[sizeof("/32")];

	if (cfg->cc_ip_mode == CMDLINE_IP_DHCP)
		return (ksnprintf(buf, size, "dhcp"));
	ksnprintf(suffix, sizeof(suffix), "/%u", (unsigned)cfg->cc_ip_prefix);
	return (cl_format_ipv4(buf, size, cfg->cc_ip_addr, suffix));
}

/* gw=A.B.C.D */

static int
cl_parse_gw(struct cmdline_config *cfg, const char *s)
{
	uint32_t addr;

	if (cl_parse_ipv4(&s, &addr) != 0 || *s != '\0')
		return (-CL_EINVAL);
	cfg->cc_gw = addr;
	return (0);
}

static int
cl_format_gw(const struct cmdline_config *cfg, char *buf, size_t size)
{
	return (cl_format_ipv4(buf, size, cfg->cc_gw, ""));
}

/* ip6=auto|off|ADDR/N */

static int
cl_parse_ip6(struct cmdline_config *cfg, const char *s)
{
	uint8_t addr[CMDLINE_IP6_ADDR_LEN];
	uint32_t prefix;
	int i;

	if (cl_streq(s, "auto")) {
		cfg->cc_ip6_auto = true;
		cfg->cc_ip6_static = false;
		return (0);
	}
	if (cl_streq(s, "off")) {
		cfg->cc_ip6_auto = false;
		cfg->cc_ip6_static = false;
		return (0);
	}
	if (cl_parse_ipv6(&s, addr) != 0 || *s != '/' ||
	    !cl_ipv6_assignable(addr))
		return (-CL_EINVAL);
	s++;
	if (cl_parse_range(s, CMDLINE_IP6_PREFIX_MIN, CMDLINE_IP6_PREFIX_MAX,
	    &prefix) != 0)
		return (-CL_EINVAL);
	cfg->cc_ip6_auto = true;
	cfg->cc_ip6_static = true;
	for (i = 0; i < CMDLINE_IP6_ADDR_LEN; i++)
		cfg->cc_ip6_addr[i] = addr[i];
	cfg->cc_ip6_prefix = (uint8_t)prefix;
	return (0);
}

static int
cl_format_ip6(const struct cmdline_config *cfg, char *buf, size_t size)
{
	char a[CMDLINE_IP6_ADDRSTRLEN];

	if (cfg->cc_ip6_static) {
		cmdline_ip6_format(cfg->cc_ip6_addr, a, sizeof(a));
		return (ksnprintf(buf, size, "%s/%u", a,
		    (unsigned)cfg->cc_ip6_prefix));
	}
	return (ksnprintf(buf, size, "%s", cfg->cc_ip6_auto ? "auto" : "off"));
}

/* net.isr.dispatch=direct|hybrid|deferred */

static const char *const cl_dispatch_names[] = {
	[CMDLINE_DISPATCH_DIRECT] = "direct",
	[CMDLINE_DISPATCH_HYBRID] = "hybrid",
	[CMDLINE_DISPATCH_DEFERRED] = "deferred",
};
#define CL_NDISPATCH \
	(sizeof(cl_dispatch_names) / sizeof(cl_dispatch_names[0]))

static int
cl_parse_dispatch(struct cmdline_config *cfg, const char *s)
{
	size_t i;

	for (i = 0; i < CL_NDISPATCH; i++) {
		if (cl_streq(s, cl_dispatch_names[i])) {
			cfg->cc_isr_dispatch = (enum cmdline_dispatch)i;
			return (0);
		}
	}
	return (-CL_EINVAL);
}

static int
cl_format_dispatch(const struct cmdline_config *cfg, char *buf, size_t size)
{
	size_t i = (size_t)cfg->cc_isr_dispatch;

	if (i >= CL_NDISPATCH)
		return (ksnprintf(buf, size, "%zu", i));
	return (ksnprintf(buf, size, "%s", cl_dispatch_names[i]));
}

/* net.isr.maxthreads=N */

static int
cl_parse_maxthreads(struct cmdline_config *cfg, const char *s)
{
	return (cl_parse_range(s, CMDLINE_ISR_MAXTHREADS_MIN,
	    CMDLINE_ISR_MAXTHREADS_MAX, &cfg->cc_isr_maxthreads));
}

static int
cl_format_maxthreads(const struct cmdline_config *cfg, char *buf, size_t size)
{
	if (cfg->cc_isr_maxthreads == 0)
		return (ksnprintf(buf, size, "all"));
	return (ksnprintf(buf, size, "%u", (unsigned)cfg->cc_isr_maxthreads));
}

/* net.isr.defaultqlimit=N */

static int
cl_parse_qlimit(struct cmdline_config *cfg, const char *s)
{
	return (cl_parse_range(s, CMDLINE_ISR_QLIMIT_MIN,
	    CMDLINE_ISR_QLIMIT_MAX, &cfg->cc_isr_defaultqlimit));
}

static int
cl_format_qlimit(const struct cmdline_config *cfg, char *buf, size_t size)
{
	return (ksnprintf(buf, size, "%u",
	    (unsigned)cfg->cc_isr_defaultqlimit));
}

/* virtio_net.queues=N */

static int
cl_parse_queues(struct cmdline_config *cfg, const char *s)
{
	return (cl_parse_range(s, CMDLINE_VTNET_QUEUES_MIN,
	    CMDLINE_VTNET_QUEUES_MAX, &cfg->cc_vtnet_queues));
}

static int
cl_format_queues(const struct cmdline_config *cfg, char *buf, size_t size)
{
	if (cfg->cc_vtnet_queues == 0)
		return (ksnprintf(buf, size, "max"));
	return (ksnprintf(buf, size, "%u", (unsigned)cfg->cc_vtnet_queues));
}

/* console.echo=0|1 */

static int
cl_parse_echo(struct cmdline_config *cfg, const char *s)
{
	if (cl_streq(s, "0"))
		cfg->cc_console_echo = false;
	else if (cl_streq(s, "1"))
		cfg->cc_console_echo = true;
	else
		return (-CL_EINVAL);
	return (0);
}

static int
cl_format_echo(const struct cmdline_config *cfg, char *buf, size_t size)
{
	return (ksnprintf(buf, size, "%d", cfg->cc_console_echo ? 1 : 0));
}

static const struct cl_key cmdline_keys[] = {
	{ "ip", cl_parse_ip, cl_format_ip, CMDLINE_SET_IP },
	{ "gw", cl_parse_gw, cl_format_gw, CMDLINE_SET_GW },
	{ "ip6", cl_parse_ip6, cl_format_ip6, CMDLINE_SET_IP6 },
	{ "net.isr.dispatch", cl_parse_dispatch, cl_format_dispatch,
	    CMDLINE_SET_ISR_DISPATCH },
	{ "net.isr.maxthreads", cl_parse_maxthreads, cl_format_maxthreads,
	    CMDLINE_SET_ISR_MAXTHREADS },
	{ "net.isr.defaultqlimit", cl_parse_qlimit, cl_format_qlimit,
	    CMDLINE_SET_ISR_DEFAULTQLIMIT },
	{ "virtio_net.queues", cl_parse_queues, cl_format_queues,
	    CMDLINE_SET_VTNET_QUEUES },
	{ "console.echo", cl_parse_echo, cl_format_echo,
	    CMDLINE_SET_CONSOLE_ECHO },
};
#define CL_NKEYS	(sizeof(cmdline_keys) / sizeof(cmdline_keys[0]))

static const struct cl_key *
cl_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < CL_NKEYS; i++)
		if (cl_streq(name, cmdline_keys[i].ck_name))
			return (&cmdline_keys[i]);
	return (NULL);
}

void
cmdline_defaults(struct cmdline_config *cfg)
{
	int i;

	cfg->cc_ip_mode = CMDLINE_IP_STATIC;
	cfg->cc_ip_addr = CMDLINE_DEFAULT_IP_ADDR;
	cfg->cc_ip_prefix = CMDLINE_DEFAULT_IP_PREFIX;
	cfg->cc_gw = CMDLINE_DEFAULT_GW;
	cfg->cc_ip6_auto = true;
	cfg->cc_ip6_static = false;
	for (i = 0; i < CMDLINE_IP6_ADDR_LEN; i++)
		cfg->cc_ip6_addr[i] = 0;
	cfg->cc_ip6_prefix = 0;
	cfg->cc_isr_dispatch = CMDLINE_DISPATCH_DIRECT;
	cfg->cc_isr_maxthreads = 0;
	cfg->cc_isr_defaultqlimit = CMDLINE_DEFAULT_ISR_QLIMIT;
	cfg->cc_vtnet_queues = 0;
	cfg->cc_console_echo = true;
	cfg->cc_set = 0;
}

/* Reports an ignored token (the first len characters of tok). */
static void
cl_warn_token(cmdline_warn_fn *warn, void *arg, const char *tok, size_t len,
    const char *ellipsis, const char *reason)
{
	char msg[CMDLINE_WARN_MAX];

	if (warn == NULL)
		return;
	ksnprintf(msg, sizeof(msg), "cmdline: ignoring %.*s%s (%s)", (int)len,
	    tok, ellipsis, reason);
	warn(arg, msg);
}

/*
 * Applies one token of len characters (1..CMDLINE_TOKEN_MAX).  Returns
 * NULL when it was applied, else the reason it was ignored.
 */
static const char *
cl_apply_token(struct cmdline_config *cfg, const char *start, size_t len)
{
	char tok[CMDLINE_TOKEN_MAX + 1];
	const struct cl_key *key;
	char *value = NULL;
	size_t i;

	for (i = 0; i < len; i++) {
		tok[i] = start[i];
		if (tok[i] == '=' && value == NULL)
			value = &tok[i + 1];
	}
	tok[len] = '\0';
	if (value == NULL || value == &tok[1])
		return (cl_reason_notkv);	/* no '=' or an empty key */
	value[-1] = '\0';

	key = cl_lookup(tok);
	if (key == NULL)
		return (cl_reason_unknown);
	if (key->ck_parse(cfg, value) != 0)
		return (cl_reason_bad);
	cfg->cc_set |= key->ck_set;
	return (NULL);
}

int
cmdline_parse(struct cmdline_config *cfg, const char *line,
    cmdline_warn_fn *warn, void *arg)
{
	size_t end, pos, start, len;
	const char *reason;
	bool first = true;
	int ignored = 0;

	if (line == NULL)
		return (0);

	for (end = 0; end < CMDLINE_MAX && line[end] != '\0'; end++)
		continue;
	if (line[end] != '\0') {
		/* Longer than CMDLINE_MAX: cut, and drop a split token. */
		if (warn != NULL) {
			char msg[CMDLINE_WARN_MAX];

			ksnprintf(msg, sizeof(msg), "cmdline: command line "
			    "truncated to %d characters", CMDLINE_MAX);
			warn(arg, msg);
		}
		ignored++;
		if (!cl_isblank(line[end]))
			while (end > 0 && !cl_isblank(line[end - 1]))
				end--;
	}

	pos = 0;
	for (;;) {
		while (pos < end && cl_isblank(line[pos]))
			pos++;
		if (pos == end)
			break;
		start = pos;
		while (pos < end && !cl_isblank(line[pos]))
			pos++;
		len = pos - start;

		if (first && line[start] == '/') {
			/* The boot loader's image path. */
			first = false;
			continue;
		}
		first = false;

		if (len > CMDLINE_TOKEN_MAX) {
			cl_warn_token(warn, arg, &line[start],
			    CMDLINE_TOKEN_MAX, "...", cl_reason_long);
			ignored++;
			continue;
		}
		reason = cl_apply_token(cfg, &line[start], len);
		if (reason != NULL) {
			cl_warn_token(warn, arg, &line[start], len, "", reason);
			ignored++;
		}
	}
	return (ignored);
}

int
cmdline_format(const struct cmdline_config *cfg, char *buf, size_t size)
{
	char value[CL_VALUE_MAX];
	size_t total = 0, i;
	int n;

	if (size == 0)
		buf = NULL;
	for (i = 0; i < CL_NKEYS; i++) {
		const struct cl_key *key = &cmdline_keys[i];
		char *dst = (total < size) ? buf + total : NULL;
		size_t room = (total < size) ? size - total : 0;

		key->ck_format(cfg, value, sizeof(value));
		n = ksnprintf(dst, room, "%s=%s%s\n", key->ck_name, value,
		    (cfg->cc_set & key->ck_set) != 0 ? " (set)" : "");
		if (n < 0)
			return (n);
		total += (size_t)n;
	}
	return ((int)total);
}
