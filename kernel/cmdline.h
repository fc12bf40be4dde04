/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/cmdline.h: the kernel command-line parser.
 *
 * The boot loader hands the kernel a line of "key=value" tokens separated
 * by blanks (space, tab, and also CR and LF, which some loaders append).
 * cmdline_parse() applies the known keys to a struct cmdline_config that
 * cmdline_defaults() filled, and reports every token it ignores through a
 * caller-supplied warning callback; cmdline_format() prints the resulting
 * configuration back in the input syntax, one key per line.  Keys are
 * matched exactly and case-sensitively; values too, except the hex digits
 * of an IPv6 address.
 *
 * Known keys (defaults in brackets):
 *   ip=A.B.C.D/N (N 0..32), ip=dhcp or ip=none	[10.0.2.15/24, static]
 *   gw=A.B.C.D					[10.0.2.2]
 *   ip6=auto|off|ADDR/N (N 1..128)		[auto]
 *   net.isr.dispatch=direct|hybrid|deferred	[direct]
 *   net.isr.maxthreads=N (1..256)		[0: all CPUs]
 *   net.isr.defaultqlimit=N (1..10240)		[256]
 *   virtio_net.queues=N (1..16)		[0: as many as possible]
 *   console.echo=0|1				[1]
 *
 *   vtnetN.ip=, vtnetN.gw=, vtnetN.ip6=	as above, for interface N
 *   vtnetN.vnet=K (K 0..CMDLINE_VNETS_MAX - 1)	[0]
 *
 * Interfaces: N is 0..CMDLINE_IFS_MAX - 1, decimal without leading zeros.
 * ip=, gw= and ip6= are interface 0's keys: "ip=X" and "vtnet0.ip=X" set
 * the same field, and as for any repeated key the later token wins.  An
 * interface other than vtnet0 defaults to no IPv4 address (ip=none), no
 * gateway (gw=0.0.0.0), ip6=auto (link-local only) and vnet 0.  ip=none
 * gives the interface no IPv4 address and no DHCP.  A token naming an
 * interface beyond the range (vtnet8.ip=...) is ignored with the reason
 * "unit out of range"; vtnet.ip=, vtnet01.ip=, vtnetX.ip= and vtnet1.foo=
 * are unknown keys.
 *
 * Number syntax: decimal digits only, no sign, no blanks, values that do
 * not fit in a uint32_t are rejected.  Leading zeros: accepted in plain
 * numbers and in the /N prefix length, which are always decimal ("010" is
 * ten), but REJECTED in the octets of a dotted quad ("10.0.2.015" is a bad
 * value), because other parsers read such octets as octal and the same
 * text must not name two addresses; a lone "0" octet is fine.
 *
 * IPv6: ip6=auto gives the interface its EUI-64 link-local address (and
 * lets router advertisements add more); ip6=off gives it none; ip6=ADDR/N
 * is a static address with prefix length N on top of what auto does.
 * ADDR is any RFC 4291 section 2.2 text form: eight groups of 1..4 hex
 * digits (either case), one "::" standing for one or more zero groups,
 * and an optional dotted-quad tail in place of the last two groups (its
 * octets follow the dotted-quad rule above).  ADDR must be a unicast
 * address an interface can own: the unspecified address (::), loopback
 * (::1), multicast (ff00::/8) and link-local (fe80::/10, which is always
 * the automatic one) are bad values.  cmdline_ip6_format() prints an
 * address in the RFC 5952 canonical form: lowercase, no leading zeros in
 * a group, the longest run of two or more zero groups (the first of equal
 * runs) as "::", and always hexadecimal, never a dotted-quad tail.
 *
 * Locking: none; these functions touch only the objects passed to them.
 */

#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cmdline_ip_mode {
	CMDLINE_IP_STATIC,
	CMDLINE_IP_DHCP,
	CMDLINE_IP_NONE,	/* no IPv4 address, no DHCP */
};

enum cmdline_dispatch {
	CMDLINE_DISPATCH_DIRECT,
	CMDLINE_DISPATCH_HYBRID,
	CMDLINE_DISPATCH_DEFERRED,
};

/*
 * Which keys the command line set with a valid value.  The per-interface
 * keys' bits live in each interface's ci_set, the others in cc_set; the
 * two sets of bits are disjoint, so interface 0's ci_set or-ed with
 * cc_set is one mask of everything given.
 */
#define CMDLINE_SET_IP			(1u << 0)	/* ci_set */
#define CMDLINE_SET_GW			(1u << 1)	/* ci_set */
#define CMDLINE_SET_IP6			(1u << 2)	/* ci_set */
#define CMDLINE_SET_ISR_DISPATCH	(1u << 3)
#define CMDLINE_SET_ISR_MAXTHREADS	(1u << 4)
#define CMDLINE_SET_ISR_DEFAULTQLIMIT	(1u << 5)
#define CMDLINE_SET_VTNET_QUEUES	(1u << 6)
#define CMDLINE_SET_CONSOLE_ECHO	(1u << 7)
#define CMDLINE_SET_VNET		(1u << 8)	/* ci_set */
#define CMDLINE_SET_VTNET_OFFLOAD	(1u << 9)
#define CMDLINE_SET_IF_MASK \
	(CMDLINE_SET_IP | CMDLINE_SET_GW | CMDLINE_SET_IP6 | CMDLINE_SET_VNET)

/* Interfaces vtnet0..vtnet7 and vnets 0..7 the command line can name. */
#define CMDLINE_IFS_MAX			8
#define CMDLINE_VNETS_MAX		8

/* Ranges of the numeric keys. */
#define CMDLINE_IP_PREFIX_MAX		32
#define CMDLINE_IP6_PREFIX_MIN		1
#define CMDLINE_IP6_PREFIX_MAX		128
#define CMDLINE_ISR_MAXTHREADS_MIN	1
#define CMDLINE_ISR_MAXTHREADS_MAX	256
#define CMDLINE_ISR_QLIMIT_MIN		1
#define CMDLINE_ISR_QLIMIT_MAX		10240
#define CMDLINE_VTNET_QUEUES_MIN	1
#define CMDLINE_VTNET_QUEUES_MAX	16

/* Bytes of an IPv6 address, and its longest text form, NUL included. */
#define CMDLINE_IP6_ADDR_LEN		16
#define CMDLINE_IP6_ADDRSTRLEN \
	sizeof("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")

/* vtnet0's and the global defaults; IPv4 addresses in host byte order. */
#define CMDLINE_DEFAULT_IP_ADDR	0x0a00020fu	/* 10.0.2.15 */
#define CMDLINE_DEFAULT_IP_PREFIX	24
#define CMDLINE_DEFAULT_GW		0x0a000202u	/* 10.0.2.2 */
#define CMDLINE_DEFAULT_ISR_QLIMIT	256

/* One interface's keys (vtnetN.*; for vtnet0 also ip=, gw=, ip6=). */
struct cmdline_if {
	enum cmdline_ip_mode	ci_ip_mode;
	uint32_t		ci_ip_addr;	/* host byte order */
	uint8_t			ci_ip_prefix;
	uint32_t		ci_gw;		/* host byte order; 0: none */
	bool			ci_ip6_auto;	/* link-local (and SLAAC) */
	/* ip6=ADDR/N: also this address (network byte order), auto on. */
	bool			ci_ip6_static;
	uint8_t			ci_ip6_addr[CMDLINE_IP6_ADDR_LEN];
	uint8_t			ci_ip6_prefix;
	uint32_t		ci_vnet;	/* 0..CMDLINE_VNETS_MAX - 1 */
	uint32_t		ci_set;		/* CMDLINE_SET_IF_MASK bits */
};

struct cmdline_config {
	struct cmdline_if	cc_if[CMDLINE_IFS_MAX];	/* by unit */
	enum cmdline_dispatch	cc_isr_dispatch;
	uint32_t		cc_isr_maxthreads;	/* 0: all CPUs */
	uint32_t		cc_isr_defaultqlimit;
	uint32_t		cc_vtnet_queues;	/* 0: as many as possible */
	bool			cc_vtnet_offload;	/* segmentation offloads */
	bool			cc_console_echo;
	uint32_t		cc_set;		/* the global keys set */
};

#define CMDLINE_MAX	1024	/* longest command line kept; longer is truncated with a warning */
#define CMDLINE_TOKEN_MAX	128	/* longest token accepted */

/* Room for cmdline_format()'s output with every key of every interface. */
#define CMDLINE_FORMAT_MAX	2048

/* Longest warning message passed to a cmdline_warn_fn, NUL included. */
#define CMDLINE_WARN_MAX	256

typedef void cmdline_warn_fn(void *arg, const char *msg);

void	cmdline_defaults(struct cmdline_config *cfg);

/*
 * Interface unit's configuration.  Never NULL: a unit at or beyond
 * CMDLINE_IFS_MAX, which the command line cannot name, gets the defaults
 * of an interface other than vtnet0 (a static constant).
 */
const struct cmdline_if *cmdline_if(const struct cmdline_config *cfg,
	    unsigned unit);

/*
 * Parses line into cfg (which holds defaults or earlier values).  For every
 * token that is ignored, calls warn(arg, msg) with msg exactly
 * "cmdline: ignoring <token> (<reason>)" (no newline), e.g.
 * "cmdline: ignoring foo=1 (unknown key)",
 * "cmdline: ignoring ip=1.2.3/24 (bad value)",
 * "cmdline: ignoring bogus (not key=value)".  Reasons: "unknown key",
 * "bad value", "unit out of range" (vtnetN.* with N >= CMDLINE_IFS_MAX),
 * "not key=value" (no '=' or an empty key), "too long" (a
 * token longer than CMDLINE_TOKEN_MAX; the message then shows its first
 * CMDLINE_TOKEN_MAX characters followed by "...").  A bad value keeps the
 * previous value.  The last occurrence of a key wins.  If the FIRST token
 * starts with '/', it is the boot loader's image path and is skipped
 * silently.
 *
 * A line longer than CMDLINE_MAX characters is cut there: warn() gets
 * "cmdline: command line truncated to 1024 characters" once, before any
 * token warning; a token that the cut splits is dropped without a warning
 * of its own, the tokens wholly before the cut are parsed as usual.
 *
 * Returns the number of ignored tokens, plus one if the line was
 * truncated (that is, the number of warn() calls).  line may be NULL or
 * empty; warn may be NULL (the count is still returned).
 */
int	cmdline_parse(struct cmdline_config *cfg, const char *line,
	    cmdline_warn_fn *warn, void *arg);

/*
 * Writes one "key=value" line per known key (in the order above), each
 * ending in '\n', values formatted like the input syntax (ip=10.0.2.15/24,
 * ip=dhcp or ip=none, ip6=fd00:1::15/64 with the address in canonical
 * form, maxthreads 0 prints as net.isr.maxthreads=all, queues 0 as
 * virtio_net.queues=max), with " (set)" appended to keys the command line
 * set.  Interface 0 is printed as ip=, gw=, ip6= (and vtnet0.vnet= after
 * console.echo=, only when set); then, for each interface N > 0 for which
 * the command line set anything, vtnetN.ip=, .gw=, .ip6= and .vnet=.  So a
 * line without vtnetN keys prints exactly the eight global lines.  Returns
 * length like snprintf (buf may be NULL when size is 0).
 */
int	cmdline_format(const struct cmdline_config *cfg, char *buf,
	    size_t size);

/*
 * Writes the 16-byte address addr (network byte order) in the RFC 5952
 * canonical text form described above, e.g. "fd00:1::15".  Returns
 * length like snprintf; CMDLINE_IP6_ADDRSTRLEN bytes always suffice.
 */
int	cmdline_ip6_format(const uint8_t *addr, char *buf, size_t size);

#endif /* KERNEL_CMDLINE_H */
