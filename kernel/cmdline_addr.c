/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/cmdline_addr.c: the command line's number and address text:
 * decimal numbers, dotted quads, IPv6 addresses in every RFC 4291 text
 * form (groups of 1-4 hex digits, one "::", a dotted-quad tail), and the
 * RFC 5952 canonical form written back (cmdline_ip6_format, which
 * `ifconfig` uses too: lwIP's ip6addr_ntoa() prints uppercase hex and
 * compresses the first zero run, not the longest).  Freestanding: only
 * compiler headers and kernel/printf.h.
 *
 * Locking: none; no shared or static mutable state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.h"
#include "kernel/cmdline_addr.h"
#include "kernel/printf.h"

/* Dotted quads. */
#define CL_IPV4_OCTETS		4
#define CL_IPV4_OCTET_MAX	255
#define CL_IPV4_OCTET_BITS	8

/* IPv6 text (RFC 4291 section 2.2) and special prefixes (section 2.4). */
#define CL_IPV6_GROUPS		8
#define CL_IPV6_GROUP_DIGITS	4
#define CL_GROUP_BITS		16
#define CL_HEX_BITS		4
#define CL_IPV6_MCAST_BYTE0	0xff	/* ff00::/8 */
#define CL_IPV6_LL_BYTE0	0xfe	/* fe80::/10 */
#define CL_IPV6_LL_BYTE1	0x80
#define CL_IPV6_LL_BYTE1_MASK	0xc0

static bool
cl_isdigit(char c)
{
	return (c >= '0' && c <= '9');
}

/*
 * Parses the decimal number at *pp (at least one digit, no sign) into
 * *out, advancing *pp past the digits.  Fails on overflow of uint32_t or
 * when there is no digit.  With strict, a leading zero followed by more
 * digits fails too.
 */
int
cl_parse_digits(const char **pp, bool strict, uint32_t *out)
{
	const char *p = *pp;
	uint32_t v = 0;

	if (!cl_isdigit(*p))
		return (-CL_EINVAL);
	if (strict && p[0] == '0' && cl_isdigit(p[1]))
		return (-CL_EINVAL);
	for (; cl_isdigit(*p); p++) {
		uint32_t d = (uint32_t)(*p - '0');

		if (v > (UINT32_MAX - d) / CL_DECIMAL)
			return (-CL_EINVAL);
		v = v * CL_DECIMAL + d;
	}
	*pp = p;
	*out = v;
	return (0);
}

/*
 * Parses a dotted quad at *pp into *out (host byte order) and advances
 * *pp past it; the caller checks what follows.
 */
int
cl_parse_ipv4(const char **pp, uint32_t *out)
{
	const char *p = *pp;
	uint32_t addr = 0, octet;
	int i;

	for (i = 0; i < CL_IPV4_OCTETS; i++) {
		if (i > 0) {
			if (*p != '.')
				return (-CL_EINVAL);
			p++;
		}
		if (cl_parse_digits(&p, true, &octet) != 0 ||
		    octet > CL_IPV4_OCTET_MAX)
			return (-CL_EINVAL);
		addr = (addr << CL_IPV4_OCTET_BITS) | octet;
	}
	*pp = p;
	*out = addr;
	return (0);
}

int
cl_format_ipv4(char *buf, size_t size, uint32_t a, const char *suffix)
{
	return (ksnprintf(buf, size, "%u.%u.%u.%u%s",
	    (unsigned)(a >> (3 * CL_IPV4_OCTET_BITS)) & CL_IPV4_OCTET_MAX,
	    (unsigned)(a >> (2 * CL_IPV4_OCTET_BITS)) & CL_IPV4_OCTET_MAX,
	    (unsigned)(a >> CL_IPV4_OCTET_BITS) & CL_IPV4_OCTET_MAX,
	    (unsigned)a & CL_IPV4_OCTET_MAX, suffix));
}

/*
 * IPv6 addresses (RFC 4291 section 2.2).  The text is read into up to
 * eight 16-bit groups, remembering where the one "::" stood (gap);
 * the groups after it are then moved to the end and the hole zeroed.
 */

static int
cl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + CL_DECIMAL);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + CL_DECIMAL);
	return (-1);
}

/*
 * Parses an IPv6 address at *pp into out (network byte order) and advances
 * *pp past it; the caller checks what follows.
 */
int
cl_parse_ipv6(const char **pp, uint8_t *out)
{
	uint16_t grp[CL_IPV6_GROUPS];
	const char *p = *pp, *start;
	int n = 0, gap = -1, ndig, h, i, j;
	bool after_gap = false;
	uint32_t v, v4;

	if (p[0] == ':') {
		if (p[1] != ':')
			return (-CL_EINVAL);	/* a lone leading ':' */
		gap = 0;
		after_gap = true;
		p += 2;
	}
	for (;;) {
		start = p;
		v = 0;
		for (ndig = 0; (h = cl_hexval(*p)) >= 0; ndig++, p++)
			if (ndig < CL_IPV6_GROUP_DIGITS)
				v = (v << CL_HEX_BITS) | (uint32_t)h;
		if (ndig == 0) {
			/* No group: the address may end only after "::". */
			if (!after_gap)
				return (-CL_EINVAL);
			break;
		}
		if (*p == '.') {
			/* A dotted-quad tail: the last two groups. */
			p = start;
			if (n > CL_IPV6_GROUPS - 2 ||
			    cl_parse_ipv4(&p, &v4) != 0)
				return (-CL_EINVAL);
			grp[n++] = (uint16_t)(v4 >> CL_GROUP_BITS);
			grp[n++] = (uint16_t)v4;
			break;
		}
		if (ndig > CL_IPV6_GROUP_DIGITS || n == CL_IPV6_GROUPS)
			return (-CL_EINVAL);
		grp[n++] = (uint16_t)v;
		after_gap = false;
		if (*p != ':')
			break;
		p++;
		if (*p == ':') {
			if (gap >= 0)
				return (-CL_EINVAL);	/* a second "::" */
			gap = n;
			after_gap = true;
			p++;
		}
	}
	/* Without "::" all eight groups; with it, at least one is implied. */
	if ((gap < 0 && n != CL_IPV6_GROUPS) ||
	    (gap >= 0 && n >= CL_IPV6_GROUPS))
		return (-CL_EINVAL);
	for (i = CL_IPV6_GROUPS - 1, j = n - 1; gap >= 0 && j >= gap; i--, j--)
		grp[i] = grp[j];
	for (; gap >= 0 && i >= gap; i--)
		grp[i] = 0;
	for (i = 0; i < CL_IPV6_GROUPS; i++) {
		out[2 * i] = (uint8_t)(grp[i] >> CL_IPV4_OCTET_BITS);
		out[2 * i + 1] = (uint8_t)grp[i];
	}
	*pp = p;
	return (0);
}

/*
 * True for an address an interface may be given statically: not the
 * unspecified address, loopback, multicast or link-local (RFC 4291
 * section 2.4).
 */
bool
cl_ipv6_assignable(const uint8_t *a)
{
	uint8_t any = 0;
	int i;

	for (i = 0; i < CMDLINE_IP6_ADDR_LEN - 1; i++)
		any |= a[i];
	if (any == 0 && a[CMDLINE_IP6_ADDR_LEN - 1] <= 1)
		return (false);			/* :: and ::1 */
	if (a[0] == CL_IPV6_MCAST_BYTE0)
		return (false);			/* ff00::/8 */
	if (a[0] == CL_IPV6_LL_BYTE0 &&
	    (a[1] & CL_IPV6_LL_BYTE1_MASK) == CL_IPV6_LL_BYTE1)
		return (false);			/* fe80::/10 */
	return (true);
}

int
cmdline_ip6_format(const uint8_t *addr, char *buf, size_t size)
{
	uint16_t grp[CL_IPV6_GROUPS];
	int best = -1, bestlen = 1, run, i, n, total = 0;

	for (i = 0; i < CL_IPV6_GROUPS; i++)
		grp[i] = (uint16_t)((addr[2 * i] << CL_IPV4_OCTET_BITS) |
		    addr[2 * i + 1]);
	/* The longest run of zero groups, the first of equals, if >= 2. */
	for (i = 0; i < CL_IPV6_GROUPS; i += run > 0 ? run : 1) {
		for (run = 0; i + run < CL_IPV6_GROUPS && grp[i + run] == 0;
		    run++)
			continue;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	if (size == 0)
		buf = NULL;
	for (i = 0; i < CL_IPV6_GROUPS; i++) {
		char *dst = ((size_t)total < size) ? buf + total : NULL;
		size_t room = ((size_t)total < size) ? size - (size_t)total : 0;

		if (i == best) {
			/* "::" replaces the run and both its separators. */
			n = ksnprintf(dst, room, "::");
			i += bestlen - 1;
		} else {
			n = ksnprintf(dst, room, "%s%x",
			    (i == 0 || i == best + bestlen) ? "" : ":",
			    (unsigned)grp[i]);
		}
		if (n < 0)
			return (n);
		total += n;
	}
	return (total);
}

