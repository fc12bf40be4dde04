/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_cmdline_if.c: unit tests for the per-interface keys of
 * kernel/cmdline.c (vtnetN.ip=, .gw=, .ip6=, .vnet=) on the host.
 *
 * Design: test_cmdline.c covers the value syntax of ip=, gw= and ip6=
 * (which are vtnet0's keys); this file covers what the vtnetN. prefix
 * adds.  A table (if_cases[]) holds one single-token line per row with
 * the unit and field it should change and the value expected there, or,
 * for a token that must be rejected, the reason expected in the warning;
 * every row is checked from the defaults, and the other seven interfaces
 * must keep their defaults.  Further tests cover the defaults and the
 * accessor, ip= and vtnet0.ip= being one key (the later token wins), the
 * interfaces' independence, and cmdline_format(): the vtnetN lines only
 * for interfaces that set something, their order, a round trip through
 * the output, and truncation.
 *
 * Locking: none; the tests share no state (Check forks per test).
 */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"

#define LOG_MAX		8	/* warnings kept per parse */
#define FMT_BUF		2048	/* holds every key of every interface */

#define IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	((uint32_t)(c) << 8) | (uint32_t)(d))

struct warn_log {
	int	wl_count;
	char	wl_msg[LOG_MAX][CMDLINE_WARN_MAX];
};

static void
log_warn(void *arg, const char *msg)
{
	struct warn_log *wl = arg;

	if (wl->wl_count < LOG_MAX)
		snprintf(wl->wl_msg[wl->wl_count], CMDLINE_WARN_MAX, "%s", msg);
	wl->wl_count++;
}

/* Parses line from the defaults; returns cmdline_parse()'s result. */
static int
parse(struct cmdline_config *cfg, struct warn_log *wl, const char *line)
{
	int n;

	memset(wl, 0, sizeof(*wl));
	memset(cfg, 0, sizeof(*cfg));	/* padding too, for memcmp */
	cmdline_defaults(cfg);
	n = cmdline_parse(cfg, line, log_warn, wl);
	ck_assert_int_eq(n, wl->wl_count);
	return (n);
}

/* Defaults, each interface compared field by field (no padding). */
static void
assert_if_eq(const struct cmdline_if *a, const struct cmdline_if *b)
{
	ck_assert_int_eq(a->ci_ip_mode, b->ci_ip_mode);
	ck_assert_uint_eq(a->ci_ip_addr, b->ci_ip_addr);
	ck_assert_uint_eq(a->ci_ip_prefix, b->ci_ip_prefix);
	ck_assert_uint_eq(a->ci_gw, b->ci_gw);
	ck_assert_int_eq(a->ci_ip6_auto, b->ci_ip6_auto);
	ck_assert_int_eq(a->ci_ip6_static, b->ci_ip6_static);
	ck_assert_mem_eq(a->ci_ip6_addr, b->ci_ip6_addr, CMDLINE_IP6_ADDR_LEN);
	ck_assert_uint_eq(a->ci_ip6_prefix, b->ci_ip6_prefix);
	ck_assert_uint_eq(a->ci_vnet, b->ci_vnet);
	ck_assert_uint_eq(a->ci_set, b->ci_set);
}

/* The documented defaults of an interface other than vtnet0. */
static void
assert_other_default(const struct cmdline_if *ci)
{
	static const uint8_t zero[CMDLINE_IP6_ADDR_LEN];

	ck_assert_int_eq(ci->ci_ip_mode, CMDLINE_IP_NONE);
	ck_assert_uint_eq(ci->ci_ip_addr, 0);
	ck_assert_uint_eq(ci->ci_ip_prefix, 0);
	ck_assert_uint_eq(ci->ci_gw, 0);
	ck_assert(ci->ci_ip6_auto);
	ck_assert(!ci->ci_ip6_static);
	ck_assert_mem_eq(ci->ci_ip6_addr, zero, sizeof(zero));
	ck_assert_uint_eq(ci->ci_ip6_prefix, 0);
	ck_assert_uint_eq(ci->ci_vnet, 0);
	ck_assert_uint_eq(ci->ci_set, 0);
}

START_TEST(test_defaults)
{
	struct cmdline_config cfg;
	const struct cmdline_if *ci;
	unsigned u;

	memset(&cfg, 0xa5, sizeof(cfg));
	cmdline_defaults(&cfg);
	ci = &cfg.cc_if[0];
	ck_assert_int_eq(ci->ci_ip_mode, CMDLINE_IP_STATIC);
	ck_assert_uint_eq(ci->ci_ip_addr, IP4(10, 0, 2, 15));
	ck_assert_uint_eq(ci->ci_ip_prefix, 24);
	ck_assert_uint_eq(ci->ci_gw, IP4(10, 0, 2, 2));
	ck_assert(ci->ci_ip6_auto);
	ck_assert(!ci->ci_ip6_static);
	ck_assert_uint_eq(ci->ci_vnet, 0);
	ck_assert_uint_eq(ci->ci_set, 0);
	for (u = 1; u < CMDLINE_IFS_MAX; u++)
		assert_other_default(&cfg.cc_if[u]);

	/* The accessor: the array, then the defaults beyond it. */
	for (u = 0; u < CMDLINE_IFS_MAX; u++)
		ck_assert_ptr_eq(cmdline_if(&cfg, u), &cfg.cc_if[u]);
	assert_other_default(cmdline_if(&cfg, CMDLINE_IFS_MAX));
	assert_other_default(cmdline_if(&cfg, UINT32_MAX));
	ck_assert_int_eq(CMDLINE_IFS_MAX, 8);
	ck_assert_int_eq(CMDLINE_VNETS_MAX, 8);
}
END_TEST

enum field {
	F_IP_ADDR,	/* also checks mode STATIC */
	F_IP_PREFIX,
	F_IP_MODE,
	F_GW,
	F_IP6_AUTO,
	F_IP6_STATIC,
	F_IP6_PREFIX,
	F_VNET,
};

static uint32_t
field_value(const struct cmdline_if *ci, enum field f)
{
	switch (f) {
	case F_IP_ADDR:
		return (ci->ci_ip_addr);
	case F_IP_PREFIX:
		return (ci->ci_ip_prefix);
	case F_IP_MODE:
		return ((uint32_t)ci->ci_ip_mode);
	case F_GW:
		return (ci->ci_gw);
	case F_IP6_AUTO:
		return (ci->ci_ip6_auto);
	case F_IP6_STATIC:
		return (ci->ci_ip6_static);
	case F_IP6_PREFIX:
		return (ci->ci_ip6_prefix);
	case F_VNET:
		return (ci->ci_vnet);
	}
	return (UINT32_MAX);
}

struct if_case {
	const char	*ic_line;
	unsigned	 ic_unit;	/* the interface it names */
	enum field	 ic_field;
	uint32_t	 ic_value;	/* expected; rejected: the default */
	uint32_t	 ic_set;	/* expected ci_set of ic_unit */
	const char	*ic_reason;	/* NULL: accepted */
};

#define OK(l, u, f, v, b)	{ l, u, f, v, b, NULL }
#define BAD(l, u, f, v)		{ l, u, f, v, 0, "bad value" }
#define IGN(l, r)		{ l, 1, F_VNET, 0, 0, r }

static const struct if_case if_cases[] = {
	/* vtnetN.ip= */
	OK("vtnet1.ip=10.0.3.15/24", 1, F_IP_ADDR, IP4(10, 0, 3, 15),
	    CMDLINE_SET_IP),
	OK("vtnet1.ip=10.0.3.15/24", 1, F_IP_MODE, CMDLINE_IP_STATIC,
	    CMDLINE_SET_IP),
	OK("vtnet7.ip=10.0.9.15/20", 7, F_IP_PREFIX, 20, CMDLINE_SET_IP),
	OK("vtnet2.ip=dhcp", 2, F_IP_MODE, CMDLINE_IP_DHCP, CMDLINE_SET_IP),
	OK("vtnet2.ip=none", 2, F_IP_MODE, CMDLINE_IP_NONE, CMDLINE_SET_IP),
	OK("vtnet0.ip=none", 0, F_IP_MODE, CMDLINE_IP_NONE, CMDLINE_SET_IP),
	OK("ip=none", 0, F_IP_MODE, CMDLINE_IP_NONE, CMDLINE_SET_IP),
	OK("vtnet0.ip=10.0.2.16/24", 0, F_IP_ADDR, IP4(10, 0, 2, 16),
	    CMDLINE_SET_IP),
	BAD("vtnet1.ip=garbage", 1, F_IP_MODE, CMDLINE_IP_NONE),
	BAD("vtnet1.ip=10.0.3.15", 1, F_IP_ADDR, 0),
	BAD("vtnet1.ip=10.0.3.15/33", 1, F_IP_ADDR, 0),
	BAD("vtnet1.ip=10.0.3.015/24", 1, F_IP_ADDR, 0),
	BAD("vtnet1.ip=", 1, F_IP_MODE, CMDLINE_IP_NONE),
	BAD("vtnet1.ip=NONE", 1, F_IP_MODE, CMDLINE_IP_NONE),
	BAD("vtnet0.ip=1.2.3/24", 0, F_IP_ADDR, IP4(10, 0, 2, 15)),

	/* vtnetN.gw= */
	OK("vtnet1.gw=10.0.3.2", 1, F_GW, IP4(10, 0, 3, 2), CMDLINE_SET_GW),
	OK("vtnet3.gw=0.0.0.0", 3, F_GW, 0, CMDLINE_SET_GW),
	OK("vtnet0.gw=10.0.2.1", 0, F_GW, IP4(10, 0, 2, 1), CMDLINE_SET_GW),
	BAD("vtnet1.gw=10.0.3.2/24", 1, F_GW, 0),
	BAD("vtnet1.gw=", 1, F_GW, 0),
	BAD("vtnet0.gw=x", 0, F_GW, IP4(10, 0, 2, 2)),

	/* vtnetN.ip6= */
	OK("vtnet1.ip6=off", 1, F_IP6_AUTO, 0, CMDLINE_SET_IP6),
	OK("vtnet1.ip6=auto", 1, F_IP6_AUTO, 1, CMDLINE_SET_IP6),
	OK("vtnet1.ip6=fd00:3::15/64", 1, F_IP6_STATIC, 1, CMDLINE_SET_IP6),
	OK("vtnet1.ip6=fd00:3::15/64", 1, F_IP6_PREFIX, 64, CMDLINE_SET_IP6),
	OK("vtnet6.ip6=2001:db8::1/128", 6, F_IP6_PREFIX, 128,
	    CMDLINE_SET_IP6),
	BAD("vtnet1.ip6=fe80::1/64", 1, F_IP6_STATIC, 0),
	BAD("vtnet1.ip6=fd00::1", 1, F_IP6_STATIC, 0),
	BAD("vtnet1.ip6=on", 1, F_IP6_AUTO, 1),

	/* vtnetN.vnet= */
	OK("vtnet1.vnet=1", 1, F_VNET, 1, CMDLINE_SET_VNET),
	OK("vtnet1.vnet=7", 1, F_VNET, 7, CMDLINE_SET_VNET),
	OK("vtnet1.vnet=0", 1, F_VNET, 0, CMDLINE_SET_VNET),
	OK("vtnet1.vnet=07", 1, F_VNET, 7, CMDLINE_SET_VNET),
	OK("vtnet0.vnet=3", 0, F_VNET, 3, CMDLINE_SET_VNET),
	OK("vtnet7.vnet=5", 7, F_VNET, 5, CMDLINE_SET_VNET),
	BAD("vtnet1.vnet=8", 1, F_VNET, 0),
	BAD("vtnet1.vnet=99", 1, F_VNET, 0),
	BAD("vtnet1.vnet=-1", 1, F_VNET, 0),
	BAD("vtnet1.vnet=+1", 1, F_VNET, 0),
	BAD("vtnet1.vnet=1x", 1, F_VNET, 0),
	BAD("vtnet1.vnet=4294967297", 1, F_VNET, 0),
	BAD("vtnet1.vnet=", 1, F_VNET, 0),

	/* Interfaces the command line cannot name. */
	IGN("vtnet8.ip=10.0.3.15/24", "unit out of range"),
	IGN("vtnet9.ip=", "unit out of range"),
	IGN("vtnet10.vnet=1", "unit out of range"),
	IGN("vtnet4294967295.gw=1.2.3.4", "unit out of range"),
	IGN("vtnet99999999999999999999.ip6=off", "unit out of range"),

	/* Names that are not keys. */
	IGN("vtnetX.foo=1", "unknown key"),
	IGN("vtnetX.ip=10.0.3.15/24", "unknown key"),
	IGN("vtnet1.foo=1", "unknown key"),
	IGN("vtnet9.foo=1", "unknown key"),
	IGN("vtnet.ip=10.0.3.15/24", "unknown key"),
	IGN("vtnet01.ip=10.0.3.15/24", "unknown key"),
	IGN("vtnet00.vnet=1", "unknown key"),
	IGN("vtnet-1.vnet=1", "unknown key"),
	IGN("vtnet+1.vnet=1", "unknown key"),
	IGN("vtnet1=1", "unknown key"),
	IGN("vtnet1.=1", "unknown key"),
	IGN("vtnet1..ip=10.0.3.15/24", "unknown key"),
	IGN("vtnet1.ip.x=1", "unknown key"),
	IGN("vtnet1.IP=10.0.3.15/24", "unknown key"),
	IGN("Vtnet1.ip=10.0.3.15/24", "unknown key"),
	IGN("vnet=1", "unknown key"),
	IGN("vtnet1.net.isr.dispatch=direct", "unknown key"),
	IGN("vtnet1.console.echo=0", "unknown key"),
	IGN("vtnet1.vnet", "not key=value"),
};
#define N_IF_CASES	((int)(sizeof(if_cases) / sizeof(if_cases[0])))

START_TEST(test_if_keys)
{
	const struct if_case *c = &if_cases[_i];
	struct cmdline_config cfg, def;
	struct warn_log wl;
	char want[CMDLINE_WARN_MAX];
	unsigned u;
	int n;

	memset(&def, 0, sizeof(def));
	cmdline_defaults(&def);
	n = parse(&cfg, &wl, c->ic_line);
	ck_assert_msg(field_value(&cfg.cc_if[c->ic_unit], c->ic_field) ==
	    c->ic_value, "\"%s\": field %d is %u, want %u", c->ic_line,
	    c->ic_field, field_value(&cfg.cc_if[c->ic_unit], c->ic_field),
	    c->ic_value);
	ck_assert_uint_eq(cfg.cc_if[c->ic_unit].ci_set, c->ic_set);
	ck_assert_uint_eq(cfg.cc_set, 0);
	if (c->ic_reason == NULL) {
		ck_assert_int_eq(n, 0);
	} else {
		/* A rejected token changes nothing at all. */
		ck_assert_int_eq(n, 1);
		snprintf(want, sizeof(want), "cmdline: ignoring %s (%s)",
		    c->ic_line, c->ic_reason);
		ck_assert_str_eq(wl.wl_msg[0], want);
		ck_assert_mem_eq(&cfg, &def, sizeof(cfg));
	}
	for (u = 0; u < CMDLINE_IFS_MAX; u++)
		if (u != c->ic_unit)
			assert_if_eq(&cfg.cc_if[u], &def.cc_if[u]);
}
END_TEST

/* ip=, gw=, ip6= and vtnet0.ip=, .gw=, .ip6= are one key each. */
START_TEST(test_vtnet0_alias)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	const struct cmdline_if *ci = &cfg.cc_if[0];

	ck_assert_int_eq(parse(&cfg, &wl,
	    "ip=1.1.1.1/8 vtnet0.ip=2.2.2.2/16"), 0);
	ck_assert_uint_eq(ci->ci_ip_addr, IP4(2, 2, 2, 2));
	ck_assert_uint_eq(ci->ci_ip_prefix, 16);
	ck_assert_uint_eq(ci->ci_set, CMDLINE_SET_IP);
	ck_assert_int_eq(parse(&cfg, &wl,
	    "vtnet0.ip=2.2.2.2/16 ip=1.1.1.1/8"), 0);
	ck_assert_uint_eq(ci->ci_ip_addr, IP4(1, 1, 1, 1));
	ck_assert_uint_eq(ci->ci_ip_prefix, 8);
	ck_assert_int_eq(parse(&cfg, &wl, "vtnet0.ip=dhcp ip=1.1.1.1/8"), 0);
	ck_assert_int_eq(ci->ci_ip_mode, CMDLINE_IP_STATIC);
	ck_assert_int_eq(parse(&cfg, &wl, "ip=1.1.1.1/8 vtnet0.ip=dhcp"), 0);
	ck_assert_int_eq(ci->ci_ip_mode, CMDLINE_IP_DHCP);

	ck_assert_int_eq(parse(&cfg, &wl, "gw=1.1.1.1 vtnet0.gw=2.2.2.2"), 0);
	ck_assert_uint_eq(ci->ci_gw, IP4(2, 2, 2, 2));
	ck_assert_int_eq(parse(&cfg, &wl, "vtnet0.gw=2.2.2.2 gw=1.1.1.1"), 0);
	ck_assert_uint_eq(ci->ci_gw, IP4(1, 1, 1, 1));

	ck_assert_int_eq(parse(&cfg, &wl, "vtnet0.ip6=off ip6=auto"), 0);
	ck_assert(ci->ci_ip6_auto);
	ck_assert_int_eq(parse(&cfg, &wl, "ip6=auto vtnet0.ip6=off"), 0);
	ck_assert(!ci->ci_ip6_auto);
	ck_assert_uint_eq(ci->ci_set, CMDLINE_SET_IP6);

	/* A bad later value keeps the earlier one, whichever spelling. */
	ck_assert_int_eq(parse(&cfg, &wl,
	    "vtnet0.ip=1.1.1.1/8 ip=3.3.3.3/40"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring ip=3.3.3.3/40 (bad value)");
	ck_assert_uint_eq(ci->ci_ip_addr, IP4(1, 1, 1, 1));
	ck_assert_int_eq(parse(&cfg, &wl,
	    "ip=1.1.1.1/8 vtnet0.ip=3.3.3.3/40"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring vtnet0.ip=3.3.3.3/40 (bad value)");
	ck_assert_uint_eq(ci->ci_ip_addr, IP4(1, 1, 1, 1));
	ck_assert_uint_eq(ci->ci_set, CMDLINE_SET_IP);
}
END_TEST

/* Repeats and bad values on one interface touch no other. */
START_TEST(test_if_independent)
{
	struct cmdline_config cfg, def;
	struct warn_log wl;
	char line[FMT_BUF];
	size_t len = 0;
	unsigned u;

	memset(&def, 0, sizeof(def));
	cmdline_defaults(&def);
	for (u = 1; u < CMDLINE_IFS_MAX; u++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    "vtnet%u.ip=10.0.%u.15/24 vtnet%u.vnet=%u ", u, u + 2, u,
		    u);
	ck_assert_int_eq(parse(&cfg, &wl, line), 0);
	assert_if_eq(&cfg.cc_if[0], &def.cc_if[0]);
	for (u = 1; u < CMDLINE_IFS_MAX; u++) {
		ck_assert_int_eq(cfg.cc_if[u].ci_ip_mode, CMDLINE_IP_STATIC);
		ck_assert_uint_eq(cfg.cc_if[u].ci_ip_addr,
		    IP4(10, 0, u + 2, 15));
		ck_assert_uint_eq(cfg.cc_if[u].ci_vnet, u);
		ck_assert_uint_eq(cfg.cc_if[u].ci_gw, 0);
		ck_assert(cfg.cc_if[u].ci_ip6_auto);
		ck_assert_uint_eq(cfg.cc_if[u].ci_set,
		    CMDLINE_SET_IP | CMDLINE_SET_VNET);
	}

	/* The later token wins; a bad one keeps the earlier value. */
	ck_assert_int_eq(parse(&cfg, &wl, "vtnet2.vnet=1 vtnet2.vnet=2 "
	    "vtnet2.vnet=9 vtnet3.ip=dhcp vtnet3.ip=10.0.5.15/24 "
	    "vtnet3.ip=none"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring vtnet2.vnet=9 (bad value)");
	ck_assert_uint_eq(cfg.cc_if[2].ci_vnet, 2);
	ck_assert_int_eq(cfg.cc_if[3].ci_ip_mode, CMDLINE_IP_NONE);
	ck_assert_uint_eq(cfg.cc_if[3].ci_ip_addr, IP4(10, 0, 5, 15));
	ck_assert_uint_eq(cfg.cc_if[3].ci_ip_prefix, 24);
	assert_if_eq(&cfg.cc_if[1], &def.cc_if[1]);

	/* The isolation test's line: the same address in two vnets. */
	ck_assert_int_eq(parse(&cfg, &wl, "ip=10.0.2.15/24 "
	    "vtnet1.ip=10.0.2.15/24 vtnet1.gw=10.0.2.2 vtnet1.vnet=1"), 0);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, cfg.cc_if[1].ci_ip_addr);
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, cfg.cc_if[1].ci_gw);
	ck_assert_uint_eq(cfg.cc_if[0].ci_vnet, 0);
	ck_assert_uint_eq(cfg.cc_if[1].ci_vnet, 1);
}
END_TEST

static const char global_text[] =
    "net.isr.dispatch=direct\n"
    "net.isr.maxthreads=all\n"
    "net.isr.defaultqlimit=256\n"
    "virtio_net.queues=max\n"
    "virtio_net.offload=1\n"
    "console.echo=1\n";

START_TEST(test_format_if)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char buf[FMT_BUF], want[FMT_BUF];

	/* vtnet0's keys print bare, never with the prefix. */
	parse(&cfg, &wl, "vtnet0.ip=10.0.2.16/24 vtnet0.ip6=off");
	cmdline_format(&cfg, buf, sizeof(buf));
	snprintf(want, sizeof(want), "ip=10.0.2.16/24 (set)\n"
	    "gw=10.0.2.2\nip6=off (set)\n%s", global_text);
	ck_assert_str_eq(buf, want);

	/* ip=none; vtnet0.vnet only when set, after the global keys. */
	parse(&cfg, &wl, "ip=none vtnet0.vnet=3");
	ck_assert_int_eq(cmdline_format(&cfg, buf, sizeof(buf)),
	    (int)strlen(buf));
	snprintf(want, sizeof(want), "ip=none (set)\n"
	    "gw=10.0.2.2\nip6=auto\n%svtnet0.vnet=3 (set)\n", global_text);
	ck_assert_str_eq(buf, want);

	/* Every key of an interface that set one, in unit order. */
	parse(&cfg, &wl, "vtnet3.vnet=2 vtnet1.ip=10.0.3.15/24 "
	    "vtnet3.ip6=fd00:3:0::15/64 vtnet3.ip=dhcp");
	cmdline_format(&cfg, buf, sizeof(buf));
	snprintf(want, sizeof(want), "ip=10.0.2.15/24\ngw=10.0.2.2\n"
	    "ip6=auto\n%s"
	    "vtnet1.ip=10.0.3.15/24 (set)\n"
	    "vtnet1.gw=0.0.0.0\n"
	    "vtnet1.ip6=auto\n"
	    "vtnet1.vnet=0\n"
	    "vtnet3.ip=dhcp (set)\n"
	    "vtnet3.gw=0.0.0.0\n"
	    "vtnet3.ip6=fd00:3::15/64 (set)\n"
	    "vtnet3.vnet=2 (set)\n", global_text);
	ck_assert_str_eq(buf, want);

	/* A rejected vtnetN token prints nothing for it. */
	parse(&cfg, &wl, "vtnet1.vnet=8 vtnet8.ip=10.0.3.15/24");
	cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_ptr_null(strstr(buf, "vtnet"));
}
END_TEST

static const char *const roundtrip_lines[] = {
	"vtnet1.ip=10.0.3.15/24",
	"vtnet1.ip=10.0.2.15/24 vtnet1.gw=10.0.2.2 vtnet1.vnet=1",
	"ip=none vtnet0.vnet=7 vtnet7.ip6=2001:db8::7/48 vtnet7.ip=dhcp",
	"vtnet2.ip6=off vtnet5.vnet=5 vtnet6.gw=10.0.8.1 ip6=fd00::1/64",
	"vtnet1.vnet=1 vtnet2.vnet=2 vtnet3.vnet=3 vtnet4.vnet=4 "
	    "vtnet5.vnet=5 vtnet6.vnet=6 vtnet7.vnet=7 vtnet0.vnet=0",
};
#define N_ROUNDTRIP	((int)(sizeof(roundtrip_lines) / \
	sizeof(roundtrip_lines[0])))

/* Removes every occurrence of what from s. */
static void
strip(char *s, const char *what)
{
	size_t len = strlen(what);
	char *p;

	while ((p = strstr(s, what)) != NULL)
		memmove(p, p + len, strlen(p + len) + 1);
}

START_TEST(test_format_roundtrip)
{
	struct cmdline_config a, b;
	struct warn_log wl;
	char buf[FMT_BUF], line[FMT_BUF], again[FMT_BUF], *p;
	unsigned u;

	ck_assert_int_eq(parse(&a, &wl, roundtrip_lines[_i]), 0);
	cmdline_format(&a, buf, sizeof(buf));
	/* The output as a command line: no " (set)", no output-only words. */
	snprintf(line, sizeof(line), "%s", buf);
	strip(line, " (set)");
	strip(line, "net.isr.maxthreads=all\n");
	strip(line, "virtio_net.queues=max\n");
	for (p = line; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	ck_assert_int_eq(parse(&b, &wl, line), 0);
	b.cc_set = a.cc_set;
	for (u = 0; u < CMDLINE_IFS_MAX; u++) {
		/* Printed with all its keys, so all of them are set now. */
		if (u > 0 && a.cc_if[u].ci_set != 0)
			ck_assert_uint_eq(b.cc_if[u].ci_set,
			    CMDLINE_SET_IF_MASK);
		b.cc_if[u].ci_set = a.cc_if[u].ci_set;
	}
	ck_assert_mem_eq(&a, &b, sizeof(a));
	cmdline_format(&b, again, sizeof(again));
	ck_assert_str_eq(again, buf);
}
END_TEST

START_TEST(test_format_truncation)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char full[FMT_BUF], buf[FMT_BUF];
	size_t len, size;

	parse(&cfg, &wl, "vtnet0.vnet=1 vtnet1.ip6=fd00:3::15/64 "
	    "vtnet7.ip=10.0.9.15/24");
	len = (size_t)cmdline_format(&cfg, full, sizeof(full));
	ck_assert_uint_eq(len, strlen(full));
	ck_assert_int_eq(cmdline_format(&cfg, NULL, 0), (int)len);
	for (size = 1; size <= len + 1; size++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(cmdline_format(&cfg, buf, size), (int)len);
		ck_assert_uint_eq(strlen(buf), size - 1 < len ? size - 1 : len);
		ck_assert(strncmp(buf, full, strlen(buf)) == 0);
		ck_assert_int_eq(buf[size], 'Z');
	}
}
END_TEST

/* The longest output there is fits CMDLINE_FORMAT_MAX. */
START_TEST(test_format_max)
{
	static const char ip6[] =
	    "fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128";
	struct cmdline_config cfg;
	struct warn_log wl;
	char line[CMDLINE_FORMAT_MAX], buf[CMDLINE_FORMAT_MAX];
	unsigned u;
	int n;

	parse(&cfg, &wl, "ip=255.255.255.255/32 gw=255.255.255.255 "
	    "net.isr.dispatch=deferred net.isr.maxthreads=256 "
	    "net.isr.defaultqlimit=10240 virtio_net.queues=16 console.echo=1");
	for (u = 0; u < CMDLINE_IFS_MAX; u++) {
		snprintf(line, sizeof(line), "vtnet%u.ip=255.255.255.255/32 "
		    "vtnet%u.gw=255.255.255.255 vtnet%u.ip6=%s vtnet%u.vnet=%u",
		    u, u, u, ip6, u, CMDLINE_VNETS_MAX - 1);
		memset(&wl, 0, sizeof(wl));
		ck_assert_int_eq(cmdline_parse(&cfg, line, log_warn, &wl), 0);
	}
	n = cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, CMDLINE_FORMAT_MAX);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	/* 9 global and vtnet0 lines, vtnet0.vnet, 4 per other interface. */
	for (u = 0; *buf != '\0' && strchr(buf, '\n') != NULL; u++)
		memmove(buf, strchr(buf, '\n') + 1,
		    strlen(strchr(buf, '\n') + 1) + 1);
	ck_assert_uint_eq(u, 9 + 1 + 4 * (CMDLINE_IFS_MAX - 1));
}
END_TEST

static Suite *
cmdline_if_suite(void)
{
	Suite *s = suite_create("cmdline_if");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_if_keys, 0, N_IF_CASES);
	tcase_add_test(tc, test_vtnet0_alias);
	tcase_add_test(tc, test_if_independent);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_if);
	tcase_add_loop_test(tc, test_format_roundtrip, 0, N_ROUNDTRIP);
	tcase_add_test(tc, test_format_truncation);
	tcase_add_test(tc, test_format_max);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(cmdline_if_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
