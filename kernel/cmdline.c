/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/cmdline.c: the kernel command-line parser.
 *
 * Design: the line is never modified or copied whole.  cmdline_parse()
 * walks it up to CMDLINE_MAX characters, splitting tokens at blanks; each
 * token that fits CMDLINE_TOKEN_MAX is copied into a NUL-terminated stack
 * buffer and split at its first '='.  The key is looked up in two tables
 * of descriptors, each row with the key's name, a parse function, a
 * format function and its set bit: cmdline_keys[] for the global keys
 * (on struct cmdline_config) and cmdline_ifkeys[] for the per-interface
 * ones (on one struct cmdline_if).  A per-interface key is found either
 * bare ("ip", "gw", "ip6": interface 0) or behind a "vtnetN." prefix
 * (cl_lookup_if), so adding a key is one table row and two small
 * functions, never another branch.  A parse function
 * validates the whole value before it stores anything, which is how a bad
 * value keeps the previous one.  Warnings are built with ksnprintf() into a
 * stack buffer and handed to the caller's callback.  cmdline_format()
 * walks the same tables (interface 0's bare keys first, then the global
 * keys, then the vtnetN. lines), so the output order is fixed.  Numbers
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

/* The interface prefix, "vtnetN.", and its longest form. */
#define CL_IF_PREFIX		"vtnet"
#define CL_IF_NAME_MAX		sizeof("vtnet4294967295.")

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

/* The same for a per-interface key, on one struct cmdline_if. */
struct cl_ifkey {
	const char	*cik_name;
	int		(*cik_parse)(struct cmdline_if *ci, const char *value);
	int		(*cik_format)(const struct cmdline_if *ci, char *buf,
			    size_t size);
	uint32_t	 cik_set;
	bool		 cik_bare;	/* also a key of its own: interface 0 */
};

/* Warning reasons, exactly as they appear in the messages. */
static const char cl_reason_unknown[] = "unknown key";
static const char cl_reason_bad[] = "bad value";
static const char cl_reason_unit[] = "unit out of range";
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

/* If s starts with prefix, what follows it; else NULL. */
static const char *
cl_skip_prefix(const char *s, const char *prefix)
{
	while (*prefix != '\0' && *prefix == *s) {
		prefix++;
		s++;
	}
	return (*prefix == '\0' ? s : NULL);
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

/* ip=A.B.C.D/N | ip=dhcp | ip=none */

static int
cl_parse_ip(struct cmdline_if *ci, const char *s)
{
	uint32_t addr, prefix;

	if (cl_streq(s, "dhcp")) {
		ci->ci_ip_mode = CMDLINE_IP_DHCP;
		return (0);
	}
	if (cl_streq(s, "none")) {
		ci->ci_ip_mode = CMDLINE_IP_NONE;
		return (0);
	}
	if (cl_parse_ipv4(&s, &addr) != 0 || *s != '/')
		return (-CL_EINVAL);
	s++;
	if (cl_parse_range(s, 0, CMDLINE_IP_PREFIX_MAX, &prefix) != 0)
		return (-CL_EINVAL);
	ci->ci_ip_mode = CMDLINE_IP_STATIC;
	ci->ci_ip_addr = addr;
	ci->ci_ip_prefix = (uint8_t)prefix;
	return (0);
}

static int
cl_format_ip(const struct cmdline_if *ci, char *buf, size_t size)
{
	char suffix[sizeof("/32")];

	if (ci->ci_ip_mode == CMDLINE_IP_DHCP)
		return (ksnprintf(buf, size, "dhcp"));
	if (ci->ci_ip_mode == CMDLINE_IP_NONE)
		return (ksnprintf(buf, size, "none"));
	ksnprintf(suffix, sizeof(suffix), "/%u", (unsigned)ci->ci_ip_prefix);
	return (cl_format_ipv4(buf, size, ci->ci_ip_addr, suffix));
}

/* gw=A.B.C.D */

static int
cl_parse_gw(struct cmdline_if *ci, const char *s)
{
	uint32_t addr;

	if (cl_parse_ipv4(&s, &addr) != 0 || *s != '\0')
		return (-CL_EINVAL);
	ci->ci_gw = addr;
	return (0);
}

static int
cl_format_gw(const struct cmdline_if *ci, char *buf, size_t size)
{
	return (cl_format_ipv4(buf, size, ci->ci_gw, ""));
}

/* ip6=auto|off|ADDR/N */

static int
cl_parse_ip6(struct cmdline_if *ci, const char *s)
{
	uint8_t addr[CMDLINE_IP6_ADDR_LEN];
	uint32_t prefix;
	int i;

	if (cl_streq(s, "auto")) {
		ci->ci_ip6_auto = true;
		ci->ci_ip6_static = false;
		return (0);
	}
	if (cl_streq(s, "off")) {
		ci->ci_ip6_auto = false;
		ci->ci_ip6_static = false;
		return (0);
	}
	if (cl_parse_ipv6(&s, addr) != 0 || *s != '/' ||
	    !cl_ipv6_assignable(addr))
		return (-CL_EINVAL);
	s++;
	if (cl_parse_range(s, CMDLINE_IP6_PREFIX_MIN, CMDLINE_IP6_PREFIX_MAX,
	    &prefix) != 0)
		return (-CL_EINVAL);
	ci->ci_ip6_auto = true;
	ci->ci_ip6_static = true;
	for (i = 0; i < CMDLINE_IP6_ADDR_LEN; i++)
		ci->ci_ip6_addr[i] = addr[i];
	ci->ci_ip6_prefix = (uint8_t)prefix;
	return (0);
}

static int
cl_format_ip6(const struct cmdline_if *ci, char *buf, size_t size)
{
	char a[CMDLINE_IP6_ADDRSTRLEN];

	if (ci->ci_ip6_static) {
		cmdline_ip6_format(ci->ci_ip6_addr, a, sizeof(a));
		return (ksnprintf(buf, size, "%s/%u", a,
		    (unsigned)ci->ci_ip6_prefix));
	}
	return (ksnprintf(buf, size, "%s", ci->ci_ip6_auto ? "auto" : "off"));
}

/* vtnetN.vnet=K */

static int
cl_parse_vnet(struct cmdline_if *ci, const char *s)
{
	return (cl_parse_range(s, 0, CMDLINE_VNETS_MAX - 1, &ci->ci_vnet));
}

static int
cl_format_vnet(const struct cmdline_if *ci, char *buf, size_t size)
{
	return (ksnprintf(buf, size, "%u", (unsigned)ci->ci_vnet));
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

/* console.echo=0|1, virtio_net.offload=0|1 */

static int
cl_parse_bool(const char *s, bool *v)
{
	if (cl_streq(s, "0"))
		*v = false;
	else if (cl_streq(s, "1"))
		*v = true;
	else
		return (-CL_EINVAL);
	return (0);
}

static int
cl_parse_echo(struct cmdline_config *cfg, const char *s)
{
	return (cl_parse_bool(s, &cfg->cc_console_echo));
}

static int
cl_parse_offload(struct cmdline_config *cfg, const char *s)
{
	return (cl_parse_bool(s, &cfg->cc_vtnet_offload));
}

static int
cl_format_offload(const struct cmdline_config *cfg, char *buf, size_t size)
{
	return (ksnprintf(buf, size, "%d", cfg->cc_vtnet_offload ? 1 : 0));
}

static int
cl_format_echo(const struct cmdline_config *cfg, char *buf, size_t size)
{
	return (ksnprintf(buf, size, "%d", cfg->cc_console_echo ? 1 : 0));
}

/* In output order; the bare ones come first, then cmdline_keys[]. */
static const struct cl_ifkey cmdline_ifkeys[] = {
	{ "ip", cl_parse_ip, cl_format_ip, CMDLINE_SET_IP, true },
	{ "gw", cl_parse_gw, cl_format_gw, CMDLINE_SET_GW, true },
	{ "ip6", cl_parse_ip6, cl_format_ip6, CMDLINE_SET_IP6, true },
	{ "vnet", cl_parse_vnet, cl_format_vnet, CMDLINE_SET_VNET, false },
};
#define CL_NIFKEYS	(sizeof(cmdline_ifkeys) / sizeof(cmdline_ifkeys[0]))

static const struct cl_key cmdline_keys[] = {
	{ "net.isr.dispatch", cl_parse_dispatch, cl_format_dispatch,
	    CMDLINE_SET_ISR_DISPATCH },
	{ "net.isr.maxthreads", cl_parse_maxthreads, cl_format_maxthreads,
	    CMDLINE_SET_ISR_MAXTHREADS },
	{ "net.isr.defaultqlimit", cl_parse_qlimit, cl_format_qlimit,
	    CMDLINE_SET_ISR_DEFAULTQLIMIT },
	{ "virtio_net.queues", cl_parse_queues, cl_format_queues,
	    CMDLINE_SET_VTNET_QUEUES },
	{ "virtio_net.offload", cl_parse_offload, cl_format_offload,
	    CMDLINE_SET_VTNET_OFFLOAD },
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

/*
 * Looks up a per-interface key: a bare one (interface 0) or
 * "vtnetN.<key>".  Returns the key and sets *unit, or returns NULL with
 * *reason set: cl_reason_unknown, or cl_reason_unit for a well-formed
 * key whose N is CMDLINE_IFS_MAX or more.
 */
static const struct cl_ifkey *
cl_lookup_if(const char *name, uint32_t *unit, const char **reason)
{
	const char *p;
	uint32_t n = 0;
	size_t i;
	bool bare = true, range = true;

	*reason = cl_reason_unknown;
	p = cl_skip_prefix(name, CL_IF_PREFIX);
	if (p != NULL) {
		/*
		 * N: decimal, no leading zero ("vtnet01" is no name), and
		 * one too large for a uint32_t is merely out of range.
		 */
		if (cl_parse_digits(&p, true, &n) != 0) {
			if (*p < '1' || *p > '9')
				return (NULL);
			range = false;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p != '.')
			return (NULL);
		name = p + 1;
		bare = false;
	}
	for (i = 0; i < CL_NIFKEYS; i++) {
		if (!cl_streq(name, cmdline_ifkeys[i].cik_name) ||
		    (bare && !cmdline_ifkeys[i].cik_bare))
			continue;
		if (!range || n >= CMDLINE_IFS_MAX) {
			*reason = cl_reason_unit;
			return (NULL);
		}
		*unit = n;
		return (&cmdline_ifkeys[i]);
	}
	return (NULL);
}

/* The defaults of an interface other than vtnet0. */
static const struct cmdline_if cl_if_default = {
	.ci_ip_mode = CMDLINE_IP_NONE,
	.ci_ip6_auto = true,
};

void
cmdline_defaults(struct cmdline_config *cfg)
{
	struct cmdline_if *ci;
	unsigned u;

	for (u = 0; u < CMDLINE_IFS_MAX; u++)
		cfg->cc_if[u] = cl_if_default;
	ci = &cfg->cc_if[0];
	ci->ci_ip_mode = CMDLINE_IP_STATIC;
	ci->ci_ip_addr = CMDLINE_DEFAULT_IP_ADDR;
	ci->ci_ip_prefix = CMDLINE_DEFAULT_IP_PREFIX;
	ci->ci_gw = CMDLINE_DEFAULT_GW;
	cfg->cc_isr_dispatch = CMDLINE_DISPATCH_DIRECT;
	cfg->cc_isr_maxthreads = 0;
	cfg->cc_isr_defaultqlimit = CMDLINE_DEFAULT_ISR_QLIMIT;
	cfg->cc_vtnet_queues = 0;
	cfg->cc_vtnet_offload = true;
	cfg->cc_console_echo = true;
	cfg->cc_set = 0;
}

const struct cmdline_if *
cmdline_if(const struct cmdline_config *cfg, unsigned unit)
{
	if (unit >= CMDLINE_IFS_MAX)
		return (&cl_if_default);
	return (&cfg->cc_if[unit]);
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
	const struct cl_ifkey *ifkey;
	const struct cl_key *key;
	struct cmdline_if *ci;
	const char *reason;
	char *value = NULL;
	uint32_t unit;
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
	if (key != NULL) {
		if (key->ck_parse(cfg, value) != 0)
			return (cl_reason_bad);
		cfg->cc_set |= key->ck_set;
		return (NULL);
	}
	ifkey = cl_lookup_if(tok, &unit, &reason);
	if (ifkey == NULL)
		return (reason);
	ci = &cfg->cc_if[unit];
	if (ifkey->cik_parse(ci, value) != 0)
		return (cl_reason_bad);
	ci->ci_set |= ifkey->cik_set;
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

/*
 * Appends "<prefix><name>=<value>[ (set)]\n" at buf + *total (size as in
 * cmdline_format) and advances *total like snprintf.  Returns 0 or the
 * negative result of ksnprintf.
 */
static int
cl_format_line(char *buf, size_t size, size_t *total, const char *prefix,
    const char *name, const char *value, bool set)
{
	char *dst = (*total < size) ? buf + *total : NULL;
	size_t room = (*total < size) ? size - *total : 0;
	int n;

	n = ksnprintf(dst, room, "%s%s=%s%s\n", prefix, name, value,
	    set ? " (set)" : "");
	if (n < 0)
		return (n);
	*total += (size_t)n;
	return (0);
}

/* Which of an interface's keys cl_format_if() prints. */
enum cl_fmt_which {
	CL_FMT_BARE,		/* ip=, gw=, ip6= (interface 0) */
	CL_FMT_REST_SET,	/* the others, only if set (vtnet0.vnet=) */
	CL_FMT_ALL,		/* every key (vtnetN.*, N > 0) */
};

/* Appends interface unit's keys, which of them, behind prefix. */
static int
cl_format_if(const struct cmdline_config *cfg, unsigned unit,
    const char *prefix, enum cl_fmt_which which, char *buf, size_t size,
    size_t *total)
{
	const struct cmdline_if *ci = &cfg->cc_if[unit];
	char value[CL_VALUE_MAX];
	size_t i;
	int err;

	for (i = 0; i < CL_NIFKEYS; i++) {
		const struct cl_ifkey *key = &cmdline_ifkeys[i];
		bool set = (ci->ci_set & key->cik_set) != 0;

		if ((which == CL_FMT_BARE && !key->cik_bare) ||
		    (which == CL_FMT_REST_SET && (key->cik_bare || !set)))
			continue;
		key->cik_format(ci, value, sizeof(value));
		err = cl_format_line(buf, size, total, prefix, key->cik_name,
		    value, set);
		if (err != 0)
			return (err);
	}
	return (0);
}

int
cmdline_format(const struct cmdline_config *cfg, char *buf, size_t size)
{
	char value[CL_VALUE_MAX], prefix[CL_IF_NAME_MAX];
	size_t total = 0, i;
	unsigned u;
	int err;

	if (size == 0)
		buf = NULL;
	/* Interface 0 by its bare keys, where they always stood. */
	err = cl_format_if(cfg, 0, "", CL_FMT_BARE, buf, size, &total);
	for (i = 0; err == 0 && i < CL_NKEYS; i++) {
		const struct cl_key *key = &cmdline_keys[i];

		key->ck_format(cfg, value, sizeof(value));
		err = cl_format_line(buf, size, &total, "", key->ck_name,
		    value, (cfg->cc_set & key->ck_set) != 0);
	}
	/* Then vtnet0's other keys if set, and every interface set. */
	for (u = 0; err == 0 && u < CMDLINE_IFS_MAX; u++) {
		if (cfg->cc_if[u].ci_set == 0)
			continue;
		ksnprintf(prefix, sizeof(prefix), CL_IF_PREFIX "%u.", u);
		err = cl_format_if(cfg, u, prefix, u == 0 ? CL_FMT_REST_SET :
		    CL_FMT_ALL, buf, size, &total);
	}
	if (err != 0)
		return (err);
	return ((int)total);
}
