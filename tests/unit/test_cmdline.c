/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_cmdline.c: unit tests for kernel/cmdline.c on the host.
 *
 * Design: a table (key_cases[]) holds one single-token command line per
 * row, the field it should change and the value expected there, or, for a
 * token that must be rejected, the reason expected in the warning.  A Check
 * loop test runs every row from the defaults and checks the field, the
 * set bit (cc_set or vtnet0's ci_set, see set_mask()), the return value and the exact warning text (built from the
 * row, so a rejected row also proves the previous value was kept).  Further
 * tests cover several tokens, blanks, last-wins, the image path, long
 * tokens, long lines and the exact text of cmdline_format().  IPv6
 * addresses have their own table (ip6_cases[]): each accepted spelling is
 * checked byte for byte against the host's inet_pton() and its canonical
 * RFC 5952 text against an exact string.  Warnings are
 * collected by a callback into a struct warn_log.
 *
 * Leading-zero policy under test: plain numbers and the prefix length
 * accept leading zeros (decimal), dotted-quad octets reject them.
 *
 * Locking: none; the tests share no state (Check forks per test).
 */

#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"

#define LOG_MAX		8	/* warnings kept per parse */
#define LINE_BUF	(CMDLINE_MAX * 2)
#define FMT_BUF		512

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

	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_lt(strlen(msg), CMDLINE_WARN_MAX);
	ck_assert_ptr_null(strchr(msg, '\n'));
	if (wl->wl_count < LOG_MAX)
		snprintf(wl->wl_msg[wl->wl_count], CMDLINE_WARN_MAX, "%s", msg);
	wl->wl_count++;
}

/*
 * Every key the command line set: the global keys' bits and vtnet0's
 * (ip=, gw=, ip6=), which are disjoint.  No other interface's bit may be
 * set by these tests, which use no vtnetN key.
 */
static uint32_t
set_mask(const struct cmdline_config *cfg)
{
	unsigned u;

	ck_assert_uint_eq(cfg->cc_set & CMDLINE_SET_IF_MASK, 0);
	ck_assert_uint_eq(cfg->cc_if[0].ci_set & ~CMDLINE_SET_IF_MASK, 0);
	for (u = 1; u < CMDLINE_IFS_MAX; u++)
		ck_assert_uint_eq(cfg->cc_if[u].ci_set, 0);
	return (cfg->cc_set | cfg->cc_if[0].ci_set);
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

enum field {
	F_IP_ADDR,	/* also checks mode STATIC */
	F_IP_PREFIX,
	F_IP_DHCP,	/* value: 1 for DHCP */
	F_GW,
	F_IP6,		/* cc_ip6_auto */
	F_IP6_STATIC,
	F_IP6_PREFIX,
	F_DISPATCH,
	F_MAXTHREADS,
	F_QLIMIT,
	F_QUEUES,
	F_ECHO,
	F_OFFLOAD,
};

static uint32_t
field_value(const struct cmdline_config *cfg, enum field f)
{
	switch (f) {
	case F_IP_ADDR:
		return (cfg->cc_if[0].ci_ip_addr);
	case F_IP_PREFIX:
		return (cfg->cc_if[0].ci_ip_prefix);
	case F_IP_DHCP:
		return (cfg->cc_if[0].ci_ip_mode == CMDLINE_IP_DHCP);
	case F_GW:
		return (cfg->cc_if[0].ci_gw);
	case F_IP6:
		return (cfg->cc_if[0].ci_ip6_auto);
	case F_IP6_STATIC:
		return (cfg->cc_if[0].ci_ip6_static);
	case F_IP6_PREFIX:
		return (cfg->cc_if[0].ci_ip6_prefix);
	case F_DISPATCH:
		return ((uint32_t)cfg->cc_isr_dispatch);
	case F_MAXTHREADS:
		return (cfg->cc_isr_maxthreads);
	case F_QLIMIT:
		return (cfg->cc_isr_defaultqlimit);
	case F_QUEUES:
		return (cfg->cc_vtnet_queues);
	case F_ECHO:
		return (cfg->cc_console_echo);
	case F_OFFLOAD:
		return (cfg->cc_vtnet_offload);
	}
	return (UINT32_MAX);
}

struct key_case {
	const char	*kc_line;
	enum field	 kc_field;
	uint32_t	 kc_value;	/* expected; a bad value: default */
	uint32_t	 kc_set;	/* expected set_mask() */
	const char	*kc_reason;	/* NULL: accepted */
};

#define OK(l, f, v, b)	{ l, f, v, b, NULL }
#define BAD(l, f, v)	{ l, f, v, 0, "bad value" }

#define DEF_IP		IP4(10, 0, 2, 15)
#define DEF_GW		IP4(10, 0, 2, 2)

static const struct key_case key_cases[] = {
	/* ip= */
	OK("ip=192.168.1.10/24", F_IP_ADDR, IP4(192, 168, 1, 10),
	    CMDLINE_SET_IP),
	OK("ip=192.168.1.10/16", F_IP_PREFIX, 16, CMDLINE_SET_IP),
	OK("ip=0.0.0.0/0", F_IP_ADDR, 0, CMDLINE_SET_IP),
	OK("ip=0.0.0.0/0", F_IP_PREFIX, 0, CMDLINE_SET_IP),
	OK("ip=255.255.255.255/32", F_IP_ADDR, UINT32_MAX, CMDLINE_SET_IP),
	OK("ip=255.255.255.255/32", F_IP_PREFIX, 32, CMDLINE_SET_IP),
	OK("ip=10.1.2.3/08", F_IP_PREFIX, 8, CMDLINE_SET_IP),
	OK("ip=dhcp", F_IP_DHCP, 1, CMDLINE_SET_IP),
	OK("ip=dhcp", F_IP_ADDR, DEF_IP, CMDLINE_SET_IP),
	BAD("ip=1.2.3.4/33", F_IP_PREFIX, 24),
	BAD("ip=1.2.3.4/33", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.256/24", F_IP_ADDR, DEF_IP),
	BAD("ip=256.0.0.1/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4.5/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4/", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4/24x", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4/-1", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4/+8", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4/4294967296", F_IP_PREFIX, 24),
	BAD("ip=1.2.3.4/4294967320", F_IP_PREFIX, 24),
	BAD("ip=1..3.4/24", F_IP_ADDR, DEF_IP),
	BAD("ip=.1.2.3/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4./24", F_IP_ADDR, DEF_IP),
	BAD("ip=01.2.3.4/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.00/24", F_IP_ADDR, DEF_IP),
	BAD("ip=1.2.3.4294967297/24", F_IP_ADDR, DEF_IP),
	BAD("ip=a.b.c.d/24", F_IP_ADDR, DEF_IP),
	BAD("ip=DHCP", F_IP_DHCP, 0),
	BAD("ip=dhcp4", F_IP_DHCP, 0),
	BAD("ip=", F_IP_ADDR, DEF_IP),

	/* gw= */
	OK("gw=192.168.1.1", F_GW, IP4(192, 168, 1, 1), CMDLINE_SET_GW),
	OK("gw=0.0.0.0", F_GW, 0, CMDLINE_SET_GW),
	OK("gw=255.255.255.255", F_GW, UINT32_MAX, CMDLINE_SET_GW),
	OK("gw=10.0.0.0", F_GW, IP4(10, 0, 0, 0), CMDLINE_SET_GW),
	BAD("gw=255.255.255.256", F_GW, DEF_GW),
	BAD("gw=1.2.3.4/24", F_GW, DEF_GW),
	BAD("gw=1.2.3", F_GW, DEF_GW),
	BAD("gw=1.2.3.4x", F_GW, DEF_GW),
	BAD("gw=1.2.3.04", F_GW, DEF_GW),
	BAD("gw=1.2.3.-4", F_GW, DEF_GW),
	BAD("gw=dhcp", F_GW, DEF_GW),
	BAD("gw=", F_GW, DEF_GW),

	/* ip6= */
	OK("ip6=off", F_IP6, 0, CMDLINE_SET_IP6),
	OK("ip6=auto", F_IP6, 1, CMDLINE_SET_IP6),
	BAD("ip6=on", F_IP6, 1),
	BAD("ip6=AUTO", F_IP6, 1),
	BAD("ip6=", F_IP6, 1),
	OK("ip6=fd00:1::15/64", F_IP6, 1, CMDLINE_SET_IP6),
	OK("ip6=fd00:1::15/64", F_IP6_STATIC, 1, CMDLINE_SET_IP6),
	OK("ip6=fd00:1::15/64", F_IP6_PREFIX, 64, CMDLINE_SET_IP6),
	OK("ip6=2001:db8::1/1", F_IP6_PREFIX, 1, CMDLINE_SET_IP6),
	OK("ip6=2001:db8::1/128", F_IP6_PREFIX, 128, CMDLINE_SET_IP6),
	OK("ip6=2001:db8::1/0048", F_IP6_PREFIX, 48, CMDLINE_SET_IP6),
	OK("ip6=auto", F_IP6_STATIC, 0, CMDLINE_SET_IP6),
	OK("ip6=off", F_IP6_STATIC, 0, CMDLINE_SET_IP6),
	/* The brief's list of bad forms, then more edges. */
	BAD("ip6=::1::2", F_IP6_STATIC, 0),
	BAD("ip6=::1::2/64", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7:8:9", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7:8:9/64", F_IP6_STATIC, 0),
	BAD("ip6=fe80::/0", F_IP6_STATIC, 0),
	BAD("ip6=fe80::/129", F_IP6_STATIC, 0),
	BAD("ip6=gggg::/64", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7:8", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/", F_IP6_STATIC, 0),
	BAD("ip6=fd00::/0", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/129", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/200", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/4294967360", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/-1", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/+64", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/64x", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1/64/64", F_IP6_STATIC, 0),
	BAD("ip6=fd00::g/64", F_IP6_STATIC, 0),
	BAD("ip6=fd00::1%tap0/64", F_IP6_STATIC, 0),
	BAD("ip6=[fd00::1]/64", F_IP6_STATIC, 0),
	BAD("ip6=:1::2/64", F_IP6_STATIC, 0),
	BAD("ip6=1::2:/64", F_IP6_STATIC, 0),
	BAD("ip6=1:::2/64", F_IP6_STATIC, 0),
	BAD("ip6=:::/64", F_IP6_STATIC, 0),
	BAD("ip6=:/64", F_IP6_STATIC, 0),
	BAD("ip6=12345::/64", F_IP6_STATIC, 0),
	BAD("ip6=fd00::00001/64", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7/64", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7:8::/64", F_IP6_STATIC, 0),
	BAD("ip6=::1:2:3:4:5:6:7:8/64", F_IP6_STATIC, 0),
	BAD("ip6=1::2:3:4:5:6:7:8/64", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7:1.2.3.4/64", F_IP6_STATIC, 0),
	BAD("ip6=1:2:3:4:5:6:7::1.2.3.4/64", F_IP6_STATIC, 0),
	BAD("ip6=::1.2.3.04/64", F_IP6_STATIC, 0),
	BAD("ip6=::1.2.3.256/64", F_IP6_STATIC, 0),
	BAD("ip6=::1.2.3/64", F_IP6_STATIC, 0),
	BAD("ip6=::1.2.3.4:5/64", F_IP6_STATIC, 0),
	BAD("ip6=::1.2.3.4.5/64", F_IP6_STATIC, 0),
	BAD("ip6=1.2.3.4/64", F_IP6_STATIC, 0),
	BAD("ip6=::a.b.c.d/64", F_IP6_STATIC, 0),
	/* Addresses an interface cannot own. */
	BAD("ip6=::/64", F_IP6_STATIC, 0),
	BAD("ip6=::1/128", F_IP6_STATIC, 0),
	BAD("ip6=ff02::1/64", F_IP6_STATIC, 0),
	BAD("ip6=ff00::1/8", F_IP6_STATIC, 0),
	BAD("ip6=fe80::1/64", F_IP6_STATIC, 0),
	BAD("ip6=febf:ffff::1/64", F_IP6_STATIC, 0),
	BAD("ip6=FE80::5054:ff:fe12:3456/64", F_IP6_STATIC, 0),

	/* net.isr.dispatch= */
	OK("net.isr.dispatch=direct", F_DISPATCH, CMDLINE_DISPATCH_DIRECT,
	    CMDLINE_SET_ISR_DISPATCH),
	OK("net.isr.dispatch=hybrid", F_DISPATCH, CMDLINE_DISPATCH_HYBRID,
	    CMDLINE_SET_ISR_DISPATCH),
	OK("net.isr.dispatch=deferred", F_DISPATCH, CMDLINE_DISPATCH_DEFERRED,
	    CMDLINE_SET_ISR_DISPATCH),
	BAD("net.isr.dispatch=defer", F_DISPATCH, CMDLINE_DISPATCH_DIRECT),
	BAD("net.isr.dispatch=deferredx", F_DISPATCH, CMDLINE_DISPATCH_DIRECT),
	BAD("net.isr.dispatch=1", F_DISPATCH, CMDLINE_DISPATCH_DIRECT),
	BAD("net.isr.dispatch=", F_DISPATCH, CMDLINE_DISPATCH_DIRECT),

	/* net.isr.maxthreads= */
	OK("net.isr.maxthreads=1", F_MAXTHREADS, 1, CMDLINE_SET_ISR_MAXTHREADS),
	OK("net.isr.maxthreads=256", F_MAXTHREADS, 256,
	    CMDLINE_SET_ISR_MAXTHREADS),
	OK("net.isr.maxthreads=007", F_MAXTHREADS, 7,
	    CMDLINE_SET_ISR_MAXTHREADS),
	BAD("net.isr.maxthreads=0", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=257", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=-1", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=+4", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=4294967296", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=4x", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=all", F_MAXTHREADS, 0),
	BAD("net.isr.maxthreads=", F_MAXTHREADS, 0),

	/* net.isr.defaultqlimit= */
	OK("net.isr.defaultqlimit=1", F_QLIMIT, 1,
	    CMDLINE_SET_ISR_DEFAULTQLIMIT),
	OK("net.isr.defaultqlimit=10240", F_QLIMIT, 10240,
	    CMDLINE_SET_ISR_DEFAULTQLIMIT),
	OK("net.isr.defaultqlimit=0512", F_QLIMIT, 512,
	    CMDLINE_SET_ISR_DEFAULTQLIMIT),
	BAD("net.isr.defaultqlimit=0", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=10241", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=4294967295", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=4294967296", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=99999999999999999999", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=0x100", F_QLIMIT, 256),
	BAD("net.isr.defaultqlimit=", F_QLIMIT, 256),

	/* virtio_net.queues= */
	OK("virtio_net.queues=1", F_QUEUES, 1, CMDLINE_SET_VTNET_QUEUES),
	OK("virtio_net.queues=16", F_QUEUES, 16, CMDLINE_SET_VTNET_QUEUES),
	BAD("virtio_net.queues=0", F_QUEUES, 0),
	BAD("virtio_net.queues=17", F_QUEUES, 0),
	BAD("virtio_net.queues=4294967296", F_QUEUES, 0),
	BAD("virtio_net.queues=max", F_QUEUES, 0),
	BAD("virtio_net.queues=", F_QUEUES, 0),

	/* console.echo= */
	/* virtio_net.offload= */
	OK("virtio_net.offload=0", F_OFFLOAD, 0, CMDLINE_SET_VTNET_OFFLOAD),
	OK("virtio_net.offload=1", F_OFFLOAD, 1, CMDLINE_SET_VTNET_OFFLOAD),
	BAD("virtio_net.offload=2", F_OFFLOAD, 1),
	BAD("virtio_net.offload=off", F_OFFLOAD, 1),
	BAD("virtio_net.offload=", F_OFFLOAD, 1),
	OK("console.echo=0", F_ECHO, 0, CMDLINE_SET_CONSOLE_ECHO),
	OK("console.echo=1", F_ECHO, 1, CMDLINE_SET_CONSOLE_ECHO),
	BAD("console.echo=2", F_ECHO, 1),
	BAD("console.echo=00", F_ECHO, 1),
	BAD("console.echo=yes", F_ECHO, 1),
	BAD("console.echo=", F_ECHO, 1),

	/* Not key=value, unknown keys */
	{ "bogus", F_ECHO, 1, 0, "not key=value" },
	{ "=1", F_ECHO, 1, 0, "not key=value" },
	{ "=", F_ECHO, 1, 0, "not key=value" },
	{ "foo=1", F_ECHO, 1, 0, "unknown key" },
	{ "Console.echo=0", F_ECHO, 1, 0, "unknown key" },
	{ "console.echo.=0", F_ECHO, 1, 0, "unknown key" },
	{ "console=0", F_ECHO, 1, 0, "unknown key" },
	{ "ip6==auto", F_IP6, 1, 0, "bad value" },
	{ "ip6=auto=1", F_IP6, 1, 0, "bad value" },
};
#define N_KEY_CASES	((int)(sizeof(key_cases) / sizeof(key_cases[0])))

START_TEST(test_keys)
{
	const struct key_case *c = &key_cases[_i];
	struct cmdline_config cfg;
	struct warn_log wl;
	char want[CMDLINE_WARN_MAX];
	int n;

	n = parse(&cfg, &wl, c->kc_line);
	ck_assert_msg(field_value(&cfg, c->kc_field) == c->kc_value,
	    "\"%s\": field %d is %u, want %u", c->kc_line, c->kc_field,
	    field_value(&cfg, c->kc_field), c->kc_value);
	ck_assert_uint_eq(set_mask(&cfg), c->kc_set);
	if (c->kc_reason == NULL) {
		ck_assert_int_eq(n, 0);
		if ((c->kc_field == F_IP_ADDR || c->kc_field == F_IP_PREFIX) &&
		    strcmp(c->kc_line, "ip=dhcp") != 0)
			ck_assert_int_eq(cfg.cc_if[0].ci_ip_mode, CMDLINE_IP_STATIC);
	} else {
		ck_assert_int_eq(n, 1);
		snprintf(want, sizeof(want), "cmdline: ignoring %s (%s)",
		    c->kc_line, c->kc_reason);
		ck_assert_str_eq(wl.wl_msg[0], want);
	}
}
END_TEST

/*
 * ip6=ADDR/N that must be accepted: the token, the canonical text
 * cmdline_ip6_format() must print for it, and the prefix.  The expected
 * bytes come from the host's inet_pton() of the address part, an oracle
 * independent of the parser under test.
 */
struct ip6_case {
	const char	*ic_line;
	const char	*ic_canon;
	unsigned	 ic_prefix;
};

static const struct ip6_case ip6_cases[] = {
	{ "ip6=fd00:1::15/64", "fd00:1::15", 64 },
	{ "ip6=FD00:0001:0000:0000:0000:0000:0000:0015/64", "fd00:1::15", 64 },
	{ "ip6=fD00:1:0:0::15/64", "fd00:1::15", 64 },
	{ "ip6=2001:db8::1/128", "2001:db8::1", 128 },
	{ "ip6=2001:0db8:0000:0000:0001:0000:0000:0001/48",
	    "2001:db8::1:0:0:1", 48 },
	{ "ip6=2001:db8:0:0:1:0:0:0/64", "2001:db8:0:0:1::", 64 },
	{ "ip6=2001:db8:0:1:1:1:1:1/64", "2001:db8:0:1:1:1:1:1", 64 },
	{ "ip6=1:0:0:2:0:0:0:3/64", "1:0:0:2::3", 64 },
	{ "ip6=2001:db8:0:0:0:0:2:1/64", "2001:db8::2:1", 64 },
	{ "ip6=1:2:3:4:5:6:7::/64", "1:2:3:4:5:6:7:0", 64 },
	{ "ip6=::2:3:4:5:6:7:8/64", "0:2:3:4:5:6:7:8", 64 },
	{ "ip6=1::8/64", "1::8", 64 },
	{ "ip6=1::/1", "1::", 1 },
	{ "ip6=::2/128", "::2", 128 },
	{ "ip6=2001:db8::/32", "2001:db8::", 32 },
	{ "ip6=abcd:EF01:2345:6789:abcd:ef01:2345:6789/128",
	    "abcd:ef01:2345:6789:abcd:ef01:2345:6789", 128 },
	{ "ip6=fe7f::1/64", "fe7f::1", 64 },
	{ "ip6=fec0::1/10", "fec0::1", 10 },
	{ "ip6=::ffff:10.0.2.15/96", "::ffff:a00:20f", 96 },
	{ "ip6=64:ff9b::192.0.2.33/96", "64:ff9b::c000:221", 96 },
	{ "ip6=1:2:3:4:5:6:1.2.3.4/64", "1:2:3:4:5:6:102:304", 64 },
	{ "ip6=::0.0.0.2/64", "::2", 64 },
	{ "ip6=2001:db8::1/0064", "2001:db8::1", 64 },
};
#define N_IP6_CASES	((int)(sizeof(ip6_cases) / sizeof(ip6_cases[0])))

START_TEST(test_ip6_good)
{
	const struct ip6_case *c = &ip6_cases[_i];
	struct cmdline_config cfg;
	struct warn_log wl;
	unsigned char want[16];
	char text[FMT_BUF], *slash;

	snprintf(text, sizeof(text), "%s", c->ic_line + strlen("ip6="));
	slash = strchr(text, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	ck_assert_int_eq(inet_pton(AF_INET6, text, want), 1);

	ck_assert_int_eq(parse(&cfg, &wl, c->ic_line), 0);
	ck_assert(cfg.cc_if[0].ci_ip6_static);
	ck_assert(cfg.cc_if[0].ci_ip6_auto);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip6_prefix, c->ic_prefix);
	ck_assert_mem_eq(cfg.cc_if[0].ci_ip6_addr, want, sizeof(want));
	ck_assert_uint_eq(set_mask(&cfg), CMDLINE_SET_IP6);

	ck_assert_int_eq(cmdline_ip6_format(cfg.cc_if[0].ci_ip6_addr, text,
	    sizeof(text)), (int)strlen(c->ic_canon));
	ck_assert_str_eq(text, c->ic_canon);
	/* The canonical text reads back as the same address. */
	ck_assert_int_eq(inet_pton(AF_INET6, text, want), 1);
	ck_assert_mem_eq(cfg.cc_if[0].ci_ip6_addr, want, sizeof(want));
}
END_TEST

START_TEST(test_ip6_last_wins)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	static const uint8_t fd00_1[16] = { 0xfd, 0x00, [15] = 0x01 };

	ck_assert_int_eq(parse(&cfg, &wl, "ip6=fd00::1/64 ip6=off"), 0);
	ck_assert(!cfg.cc_if[0].ci_ip6_static);
	ck_assert(!cfg.cc_if[0].ci_ip6_auto);
	ck_assert_int_eq(parse(&cfg, &wl, "ip6=fd00::1/64 ip6=auto"), 0);
	ck_assert(!cfg.cc_if[0].ci_ip6_static);
	ck_assert(cfg.cc_if[0].ci_ip6_auto);
	/* A static address turns the link-local address back on. */
	ck_assert_int_eq(parse(&cfg, &wl, "ip6=off ip6=fd00::1/64"), 0);
	ck_assert(cfg.cc_if[0].ci_ip6_static);
	ck_assert(cfg.cc_if[0].ci_ip6_auto);
	ck_assert_mem_eq(cfg.cc_if[0].ci_ip6_addr, fd00_1, sizeof(fd00_1));
	/* A bad value keeps the earlier address and prefix. */
	ck_assert_int_eq(parse(&cfg, &wl, "ip6=fd00::1/64 ip6=fd00::2/200"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring ip6=fd00::2/200 (bad value)");
	ck_assert(cfg.cc_if[0].ci_ip6_static);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip6_prefix, 64);
	ck_assert_mem_eq(cfg.cc_if[0].ci_ip6_addr, fd00_1, sizeof(fd00_1));
	ck_assert_uint_eq(set_mask(&cfg), CMDLINE_SET_IP6);
}
END_TEST

START_TEST(test_ip6_format_truncation)
{
	static const uint8_t a[16] = { 0xfd, 0x00, 0x00, 0x01, [15] = 0x15 };
	static const char full[] = "fd00:1::15";
	char buf[CMDLINE_IP6_ADDRSTRLEN];
	size_t size;

	ck_assert_int_eq(cmdline_ip6_format(a, NULL, 0), (int)strlen(full));
	for (size = 1; size <= sizeof(full); size++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(cmdline_ip6_format(a, buf, size),
		    (int)strlen(full));
		ck_assert_uint_eq(strlen(buf), size - 1);
		ck_assert(strncmp(buf, full, size - 1) == 0);
		if (size < sizeof(buf))
			ck_assert_int_eq(buf[size], 'Z');
	}
}
END_TEST

START_TEST(test_ip6_format_longest)
{
	static const uint8_t all_ones[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t zero[16];
	char buf[CMDLINE_IP6_ADDRSTRLEN];

	/* The longest text fits CMDLINE_IP6_ADDRSTRLEN exactly. */
	ck_assert_int_eq(cmdline_ip6_format(all_ones, buf, sizeof(buf)),
	    (int)sizeof(buf) - 1);
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(cmdline_ip6_format(zero, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "::");
}
END_TEST

START_TEST(test_defaults)
{
	struct cmdline_config cfg;
	int i;

	memset(&cfg, 0xa5, sizeof(cfg));
	cmdline_defaults(&cfg);
	ck_assert_int_eq(cfg.cc_if[0].ci_ip_mode, CMDLINE_IP_STATIC);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(10, 0, 2, 15));
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_prefix, 24);
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(10, 0, 2, 2));
	ck_assert(cfg.cc_if[0].ci_ip6_auto);
	ck_assert(!cfg.cc_if[0].ci_ip6_static);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip6_prefix, 0);
	for (i = 0; i < (int)sizeof(cfg.cc_if[0].ci_ip6_addr); i++)
		ck_assert_uint_eq(cfg.cc_if[0].ci_ip6_addr[i], 0);
	ck_assert_int_eq(cfg.cc_isr_dispatch, CMDLINE_DISPATCH_DIRECT);
	ck_assert_uint_eq(cfg.cc_isr_maxthreads, 0);
	ck_assert_uint_eq(cfg.cc_isr_defaultqlimit, 256);
	ck_assert_uint_eq(cfg.cc_vtnet_queues, 0);
	ck_assert(cfg.cc_console_echo);
	ck_assert_uint_eq(set_mask(&cfg), 0);
}
END_TEST

START_TEST(test_null_and_empty)
{
	struct cmdline_config cfg, def;
	struct warn_log wl;

	memset(&def, 0, sizeof(def));
	cmdline_defaults(&def);
	ck_assert_int_eq(parse(&cfg, &wl, NULL), 0);
	ck_assert_mem_eq(&cfg, &def, sizeof(cfg));
	ck_assert_int_eq(parse(&cfg, &wl, ""), 0);
	ck_assert_mem_eq(&cfg, &def, sizeof(cfg));
	ck_assert_int_eq(parse(&cfg, &wl, " \t \n\r "), 0);
	ck_assert_mem_eq(&cfg, &def, sizeof(cfg));
	/* A NULL callback still counts. */
	ck_assert_int_eq(cmdline_parse(&cfg, "a b=1 ip=x", NULL, NULL), 3);
}
END_TEST

START_TEST(test_many_tokens)
{
	struct cmdline_config cfg;
	struct warn_log wl;

	ck_assert_int_eq(parse(&cfg, &wl,
	    "  ip=192.168.0.2/25\t\tgw=192.168.0.1   ip6=off \t "
	    "net.isr.dispatch=hybrid net.isr.maxthreads=4 "
	    "net.isr.defaultqlimit=1024\tvirtio_net.queues=2 console.echo=0 "),
	    0);
	ck_assert_int_eq(cfg.cc_if[0].ci_ip_mode, CMDLINE_IP_STATIC);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(192, 168, 0, 2));
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_prefix, 25);
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(192, 168, 0, 1));
	ck_assert(!cfg.cc_if[0].ci_ip6_auto);
	ck_assert_int_eq(cfg.cc_isr_dispatch, CMDLINE_DISPATCH_HYBRID);
	ck_assert_uint_eq(cfg.cc_isr_maxthreads, 4);
	ck_assert_uint_eq(cfg.cc_isr_defaultqlimit, 1024);
	ck_assert_uint_eq(cfg.cc_vtnet_queues, 2);
	ck_assert(!cfg.cc_console_echo);
	ck_assert_uint_eq(set_mask(&cfg), 0xff);
}
END_TEST

START_TEST(test_last_wins_and_bad_keeps)
{
	struct cmdline_config cfg;
	struct warn_log wl;

	ck_assert_int_eq(parse(&cfg, &wl, "ip=1.1.1.1/8 ip=2.2.2.2/16"), 0);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(2, 2, 2, 2));
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_prefix, 16);

	ck_assert_int_eq(parse(&cfg, &wl, "ip=1.1.1.1/8 ip=dhcp"), 0);
	ck_assert_int_eq(cfg.cc_if[0].ci_ip_mode, CMDLINE_IP_DHCP);
	ck_assert_int_eq(parse(&cfg, &wl, "ip=dhcp ip=1.1.1.1/8"), 0);
	ck_assert_int_eq(cfg.cc_if[0].ci_ip_mode, CMDLINE_IP_STATIC);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(1, 1, 1, 1));

	/* A bad value keeps the earlier good one, and its set bit. */
	ck_assert_int_eq(parse(&cfg, &wl,
	    "ip=1.1.1.1/8 ip=3.3.3.3/40 console.echo=0 console.echo=5"), 2);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(1, 1, 1, 1));
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_prefix, 8);
	ck_assert(!cfg.cc_console_echo);
	ck_assert_uint_eq(set_mask(&cfg),
	    CMDLINE_SET_IP | CMDLINE_SET_CONSOLE_ECHO);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring ip=3.3.3.3/40 (bad value)");
	ck_assert_str_eq(wl.wl_msg[1],
	    "cmdline: ignoring console.echo=5 (bad value)");

	/* Parsing on top of earlier values keeps them. */
	memset(&wl, 0, sizeof(wl));
	ck_assert_int_eq(cmdline_parse(&cfg, "gw=9.9.9.9", log_warn, &wl), 0);
	ck_assert_uint_eq(cfg.cc_if[0].ci_ip_addr, IP4(1, 1, 1, 1));
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(9, 9, 9, 9));
	ck_assert_uint_eq(set_mask(&cfg), CMDLINE_SET_IP |
	    CMDLINE_SET_CONSOLE_ECHO | CMDLINE_SET_GW);
}
END_TEST

START_TEST(test_warning_strings)
{
	struct cmdline_config cfg;
	struct warn_log wl;

	ck_assert_int_eq(parse(&cfg, &wl,
	    "foo=1 ip=1.2.3/24 bogus gw=1.2.3.4 =x"), 4);
	ck_assert_str_eq(wl.wl_msg[0], "cmdline: ignoring foo=1 (unknown key)");
	ck_assert_str_eq(wl.wl_msg[1],
	    "cmdline: ignoring ip=1.2.3/24 (bad value)");
	ck_assert_str_eq(wl.wl_msg[2],
	    "cmdline: ignoring bogus (not key=value)");
	ck_assert_str_eq(wl.wl_msg[3], "cmdline: ignoring =x (not key=value)");
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(1, 2, 3, 4));
	/* '%' in a token is not a format directive. */
	ck_assert_int_eq(parse(&cfg, &wl, "%s%n=%d"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring %s%n=%d (unknown key)");
}
END_TEST

START_TEST(test_image_path)
{
	struct cmdline_config cfg;
	struct warn_log wl;

	ck_assert_int_eq(parse(&cfg, &wl, "/boot/unisr.elf console.echo=0"), 0);
	ck_assert(!cfg.cc_console_echo);
	ck_assert_int_eq(parse(&cfg, &wl, "  /boot/unisr.elf"), 0);
	ck_assert_int_eq(parse(&cfg, &wl, "/x=1"), 0);
	/* Only the first token may be a path. */
	ck_assert_int_eq(parse(&cfg, &wl, "/a /b"), 1);
	ck_assert_str_eq(wl.wl_msg[0], "cmdline: ignoring /b (not key=value)");
	ck_assert_int_eq(parse(&cfg, &wl, "ip6=off /boot/k"), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: ignoring /boot/k (not key=value)");
}
END_TEST

START_TEST(test_long_path_is_skipped)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char line[LINE_BUF];

	memset(line, 'p', CMDLINE_TOKEN_MAX * 3);
	line[0] = '/';
	snprintf(line + CMDLINE_TOKEN_MAX * 3, sizeof(line) -
	    CMDLINE_TOKEN_MAX * 3, " ip6=off");
	ck_assert_int_eq(parse(&cfg, &wl, line), 0);
	ck_assert(!cfg.cc_if[0].ci_ip6_auto);
}
END_TEST

START_TEST(test_token_too_long)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char line[LINE_BUF], want[CMDLINE_WARN_MAX];
	size_t klen = strlen("gw=");

	/* Exactly CMDLINE_TOKEN_MAX characters: fine (an unknown key). */
	memset(line, 'k', CMDLINE_TOKEN_MAX);
	line[CMDLINE_TOKEN_MAX - 2] = '=';
	line[CMDLINE_TOKEN_MAX] = '\0';
	ck_assert_int_eq(parse(&cfg, &wl, line), 1);
	ck_assert_ptr_nonnull(strstr(wl.wl_msg[0], "(unknown key)"));

	/* One more: too long, shown cut to CMDLINE_TOKEN_MAX plus "...". */
	memcpy(line, "gw=", klen);
	memset(line + klen, '1', CMDLINE_TOKEN_MAX + 1 - klen);
	snprintf(line + CMDLINE_TOKEN_MAX + 1, sizeof(line) -
	    CMDLINE_TOKEN_MAX - 1, " console.echo=0");
	ck_assert_int_eq(parse(&cfg, &wl, line), 1);
	snprintf(want, sizeof(want), "cmdline: ignoring %.*s... (too long)",
	    CMDLINE_TOKEN_MAX, line);
	ck_assert_str_eq(wl.wl_msg[0], want);
	ck_assert_uint_eq(strlen(wl.wl_msg[0]), strlen("cmdline: ignoring ") +
	    CMDLINE_TOKEN_MAX + strlen("... (too long)"));
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, DEF_GW);
	ck_assert(!cfg.cc_console_echo);
}
END_TEST

/*
 * Fills line with "console.echo=0 " ... so that a token of tail starts at
 * offset at, and returns the line.
 */
static char *
long_line(char *line, size_t at, const char *tail)
{
	memset(line, ' ', at);
	memcpy(line, "console.echo=0", strlen("console.echo=0"));
	snprintf(line + at, LINE_BUF - at, "%s", tail);
	return (line);
}

START_TEST(test_long_line)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char line[LINE_BUF];

	/* Exactly CMDLINE_MAX characters: no truncation. */
	long_line(line, CMDLINE_MAX - strlen("gw=1.2.3.4"), "gw=1.2.3.4");
	ck_assert_uint_eq(strlen(line), CMDLINE_MAX);
	ck_assert_int_eq(parse(&cfg, &wl, line), 0);
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(1, 2, 3, 4));

	/* The token split by the cut is dropped, one warning. */
	long_line(line, CMDLINE_MAX - strlen("gw=1.2.3.4"), "gw=1.2.3.45");
	ck_assert_int_eq(parse(&cfg, &wl, line), 1);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: command line truncated to 1024 characters");
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, DEF_GW);
	ck_assert(!cfg.cc_console_echo);

	/* A token ending right at the cut is kept; the rest is lost. */
	long_line(line, CMDLINE_MAX - strlen("gw=1.2.3.4"),
	    "gw=1.2.3.4 ip6=off bogus");
	ck_assert_int_eq(parse(&cfg, &wl, line), 1);
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(1, 2, 3, 4));
	ck_assert(cfg.cc_if[0].ci_ip6_auto);

	/* The truncation warning comes first, token warnings follow. */
	long_line(line, CMDLINE_MAX - strlen("gw=1.2.3.4") - 4,
	    "foo gw=1.2.3.4 x");
	memcpy(line, "bar=1         ", strlen("console.echo=0"));
	ck_assert_int_eq(parse(&cfg, &wl, line), 3);
	ck_assert_str_eq(wl.wl_msg[0],
	    "cmdline: command line truncated to 1024 characters");
	ck_assert_str_eq(wl.wl_msg[1],
	    "cmdline: ignoring bar=1 (unknown key)");
	ck_assert_str_eq(wl.wl_msg[2], "cmdline: ignoring foo (not key=value)");
	ck_assert_uint_eq(cfg.cc_if[0].ci_gw, IP4(1, 2, 3, 4));
}
END_TEST

static const char default_text[] =
    "ip=10.0.2.15/24\n"
    "gw=10.0.2.2\n"
    "ip6=auto\n"
    "net.isr.dispatch=direct\n"
    "net.isr.maxthreads=all\n"
    "net.isr.defaultqlimit=256\n"
    "virtio_net.queues=max\n"
    "virtio_net.offload=1\n"
    "console.echo=1\n";

START_TEST(test_format_defaults)
{
	struct cmdline_config cfg;
	char buf[FMT_BUF];

	cmdline_defaults(&cfg);
	ck_assert_int_eq(cmdline_format(&cfg, buf, sizeof(buf)),
	    (int)strlen(default_text));
	ck_assert_str_eq(buf, default_text);
}
END_TEST

START_TEST(test_format_set)
{
	struct cmdline_config cfg;
	struct warn_log wl;
	char buf[FMT_BUF];
	static const char want[] =
	    "ip=dhcp (set)\n"
	    "gw=192.168.7.254 (set)\n"
	    "ip6=off (set)\n"
	    "net.isr.dispatch=deferred (set)\n"
	    "net.isr.maxthreads=16 (set)\n"
	    "net.isr.defaultqlimit=256\n"
	    "virtio_net.queues=4 (set)\n"
	    "virtio_net.offload=1\n"
	    "console.echo=0 (set)\n";

	parse(&cfg, &wl, "ip=dhcp gw=192.168.7.254 ip6=off "
	    "net.isr.dispatch=deferred net.isr.maxthreads=16 "
	    "virtio_net.queues=4 console.echo=0 net.isr.defaultqlimit=0");
	ck_assert_int_eq(cmdline_format(&cfg, buf, sizeof(buf)),
	    (int)strlen(want));
	ck_assert_str_eq(buf, want);

	parse(&cfg, &wl, "ip=172.16.0.9/12 net.isr.dispatch=hybrid "
	    "net.isr.defaultqlimit=10240");
	cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "ip=172.16.0.9/12 (set)\n"
	    "gw=10.0.2.2\n"
	    "ip6=auto\n"
	    "net.isr.dispatch=hybrid (set)\n"
	    "net.isr.maxthreads=all\n"
	    "net.isr.defaultqlimit=10240 (set)\n"
	    "virtio_net.queues=max\n"
	    "virtio_net.offload=1\n"
	    "console.echo=1\n");

	/* ip6= prints the canonical form of any accepted spelling. */
	parse(&cfg, &wl, "ip6=FD00:0001:0:0:0:0:0:0015/064");
	cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "ip=10.0.2.15/24\n"
	    "gw=10.0.2.2\n"
	    "ip6=fd00:1::15/64 (set)\n"
	    "net.isr.dispatch=direct\n"
	    "net.isr.maxthreads=all\n"
	    "net.isr.defaultqlimit=256\n"
	    "virtio_net.queues=max\n"
	    "virtio_net.offload=1\n"
	    "console.echo=1\n");
	parse(&cfg, &wl, "ip6=1:2:3:4:5:6:7.8.9.10/128");
	cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf,
	    "\nip6=1:2:3:4:5:6:708:90a/128 (set)\n"));
	/* The longest value there is. */
	parse(&cfg, &wl,
	    "ip6=fdff:ffff:ffff:ffff:ffff:ffff:255.255.255.254/128");
	cmdline_format(&cfg, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf,
	    "\nip6=fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128 (set)\n"));
}
END_TEST

static const char *const roundtrip_lines[] = {
	"ip=1.2.3.4/30 gw=1.2.3.5 net.isr.maxthreads=3 virtio_net.queues=16 "
	    "ip6=off",
	"ip=dhcp ip6=FD00:1:0000::0:15/64 console.echo=0",
	"ip6=2001:db8:0:0:1:0:0:1/127",
	"ip6=::ffff:10.0.2.15/96 net.isr.dispatch=deferred",
	"ip6=1:2:3:4:5:6:7::/1",
};
#define N_ROUNDTRIP	((int)(sizeof(roundtrip_lines) / \
	sizeof(roundtrip_lines[0])))

START_TEST(test_format_roundtrip)
{
	struct cmdline_config a, b;
	struct warn_log wl;
	char buf[FMT_BUF], line[FMT_BUF], again[FMT_BUF], *p;
	size_t slen = strlen(" (set)");
	int i;

	ck_assert_int_eq(parse(&a, &wl, roundtrip_lines[_i]), 0);
	cmdline_format(&a, buf, sizeof(buf));
	/*
	 * Turn the output into a command line: drop " (set)" and the
	 * output-only spellings "all" and "max" (the defaults), join lines.
	 */
	snprintf(line, sizeof(line), "%s", buf);
	while ((p = strstr(line, " (set)")) != NULL)
		memmove(p, p + slen, strlen(p + slen) + 1);
	for (i = 0; i < 2; i++) {
		const char *drop = i == 0 ? "net.isr.maxthreads=all\n" :
		    "virtio_net.queues=max\n";

		size_t dlen = strlen(drop);

		if ((p = strstr(line, drop)) != NULL)
			memmove(p, p + dlen, strlen(p + dlen) + 1);
	}
	for (p = line; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	ck_assert_int_eq(parse(&b, &wl, line), 0);
	b.cc_set = a.cc_set;
	b.cc_if[0].ci_set = a.cc_if[0].ci_set;
	ck_assert_mem_eq(&a, &b, sizeof(a));
	/* Canonical output is a fixed point. */
	cmdline_format(&b, again, sizeof(again));
	ck_assert_str_eq(again, buf);
}
END_TEST

START_TEST(test_format_truncation)
{
	struct cmdline_config cfg;
	char buf[FMT_BUF];
	size_t full = strlen(default_text), size;

	cmdline_defaults(&cfg);
	ck_assert_int_eq(cmdline_format(&cfg, NULL, 0), (int)full);
	for (size = 1; size <= full + 1; size++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(cmdline_format(&cfg, buf, size), (int)full);
		ck_assert_uint_eq(strlen(buf),
		    size - 1 < full ? size - 1 : full);
		ck_assert(strncmp(buf, default_text, strlen(buf)) == 0);
		ck_assert_int_eq(buf[size], 'Z');
	}
}
END_TEST

static Suite *
cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_keys, 0, N_KEY_CASES);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip6");
	tcase_add_loop_test(tc, test_ip6_good, 0, N_IP6_CASES);
	tcase_add_test(tc, test_ip6_last_wins);
	tcase_add_test(tc, test_ip6_format_truncation);
	tcase_add_test(tc, test_ip6_format_longest);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_null_and_empty);
	tcase_add_test(tc, test_many_tokens);
	tcase_add_test(tc, test_last_wins_and_bad_keeps);
	tcase_add_test(tc, test_warning_strings);
	tcase_add_test(tc, test_image_path);
	tcase_add_test(tc, test_long_path_is_skipped);
	tcase_add_test(tc, test_token_too_long);
	tcase_add_test(tc, test_long_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_defaults);
	tcase_add_test(tc, test_format_set);
	tcase_add_loop_test(tc, test_format_roundtrip, 0, N_ROUNDTRIP);
	tcase_add_test(tc, test_format_truncation);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(cmdline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
