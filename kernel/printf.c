/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/printf.c: bounded string formatting (kvsnprintf, ksnprintf).
 *
 * Design: every character goes through one sink (struct pf_sink) that
 * stores it while there is room for it and the terminating NUL, and counts
 * it regardless, so truncation and the C99 return value fall out of a
 * single place.  A conversion is parsed in two steps: pf_parse_spec()
 * reads flags, width, precision, length and the conversion character
 * without touching the argument list (a '*' is only remembered), and only
 * when the conversion is one we know are the '*' arguments and the value
 * fetched.  That way an unknown or truncated conversion is copied out
 * literally and never desynchronises va_arg.  Integers are converted into
 * a small local digit buffer (least significant digit first) and then
 * emitted with sign, prefix, precision zeros and padding.  The code is
 * freestanding: it uses only compiler headers and no libc function.
 *
 * Locking: none; there is no shared or static mutable state.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/printf.h"

/* Largest width or precision kept; larger values saturate here. */
#define PF_FIELD_MAX		0x7fffffff
/* Output length limit for the int return value (INT_MAX). */
#define PF_RETURN_MAX		0x7fffffff
/* Digits of the widest integer in the smallest base (octal), rounded up. */
#define PF_DIGITS_MAX		((sizeof(uintmax_t) * 8 + 2) / 3)
/* Hex digits printed for %p: two per byte of a pointer. */
#define PF_PTR_DIGITS		(sizeof(void *) * 2)
/* "No precision given". */
#define PF_PREC_NONE		(-1)

#define PF_BASE_OCT		8
#define PF_BASE_DEC		10
#define PF_BASE_HEX		16

/* Flag bits of struct pf_spec. */
#define PF_FLAG_LEFT		0x01	/* '-' */
#define PF_FLAG_ZERO		0x02	/* '0' */
#define PF_FLAG_PLUS		0x04	/* '+' */
#define PF_FLAG_SPACE		0x08	/* ' ' */
#define PF_FLAG_ALT		0x10	/* '#' */

enum pf_length {
	PF_LEN_NONE,
	PF_LEN_HH,
	PF_LEN_H,
	PF_LEN_L,
	PF_LEN_LL,
	PF_LEN_Z,
	PF_LEN_J,
	PF_LEN_T,
};

struct pf_sink {
	char	*ps_buf;
	size_t	 ps_size;
	size_t	 ps_len;	/* characters produced, stored or not */
};

struct pf_spec {
	unsigned	 fs_flags;
	int		 fs_width;	/* 0: none */
	int		 fs_prec;	/* PF_PREC_NONE: none */
	bool		 fs_width_star;
	bool		 fs_prec_star;
	enum pf_length	 fs_length;
	char		 fs_conv;	/* '\0': the format ended early */
};

static const char pf_digits_lower[] = "0123456789abcdef";
static const char pf_digits_upper[] = "0123456789ABCDEF";
static const char pf_null_string[] = "(null)";

static void
pf_putc(struct pf_sink *s, char c)
{
	if (s->ps_size > 0 && s->ps_len < s->ps_size - 1)
		s->ps_buf[s->ps_len] = c;
	s->ps_len++;
}

static void
pf_putn(struct pf_sink *s, const char *str, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pf_putc(s, str[i]);
}

static void
pf_pad(struct pf_sink *s, char c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pf_putc(s, c);
}

static bool
pf_isdigit(char c)
{
	return (c >= '0' && c <= '9');
}

/* Length of str, looking at no more than max characters. */
static size_t
pf_strnlen(const char *str, size_t max)
{
	size_t n;

	for (n = 0; n < max && str[n] != '\0'; n++)
		continue;
	return (n);
}

/* Reads a decimal number at *pp, saturating at PF_FIELD_MAX. */
static int
pf_parse_field(const char **pp)
{
	const char *p = *pp;
	int v = 0;

	while (pf_isdigit(*p)) {
		int d = *p - '0';

		if (v > (PF_FIELD_MAX - d) / PF_BASE_DEC)
			v = PF_FIELD_MAX;
		else
			v = v * PF_BASE_DEC + d;
		p++;
	}
	*pp = p;
	return (v);
}

/*
 * Parses the conversion spec that starts right after a '%' at p.  Fills
 * sp and returns the position after the conversion character, or after
 * the last character looked at when the format ends inside the spec (then
 * sp->fs_conv is '\0').  Reads no arguments.
 */
static const char *
pf_parse_spec(const char *p, struct pf_spec *sp)
{
	sp->fs_flags = 0;
	sp->fs_width = 0;
	sp->fs_prec = PF_PREC_NONE;
	sp->fs_width_star = false;
	sp->fs_prec_star = false;
	sp->fs_length = PF_LEN_NONE;
	sp->fs_conv = '\0';

	for (;; p++) {
		if (*p == '-')
			sp->fs_flags |= PF_FLAG_LEFT;
		else if (*p == '0')
			sp->fs_flags |= PF_FLAG_ZERO;
		else if (*p == '+')
			sp->fs_flags |= PF_FLAG_PLUS;
		else if (*p == ' ')
			sp->fs_flags |= PF_FLAG_SPACE;
		else if (*p == '#')
			sp->fs_flags |= PF_FLAG_ALT;
		else
			break;
	}

	if (*p == '*') {
		sp->fs_width_star = true;
		p++;
	} else
		sp->fs_width = pf_parse_field(&p);

	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->fs_prec_star = true;
			p++;
		} else
			sp->fs_prec = pf_parse_field(&p);
	}

	switch (*p) {
	case 'h':
		p++;
		sp->fs_length = PF_LEN_H;
		if (*p == 'h') {
			p++;
			sp->fs_length = PF_LEN_HH;
		}
		break;
	case 'l':
		p++;
		sp->fs_length = PF_LEN_L;
		if (*p == 'l') {
			p++;
			sp->fs_length = PF_LEN_LL;
		}
		break;
	case 'z':
		p++;
		sp->fs_length = PF_LEN_Z;
		break;
	case 'j':
		p++;
		sp->fs_length = PF_LEN_J;
		break;
	case 't':
		p++;
		sp->fs_length = PF_LEN_T;
		break;
	default:
		break;
	}

	if (*p == '\0')
		return (p);
	sp->fs_conv = *p;
	return (p + 1);
}

static bool
pf_known_conv(char c)
{
	switch (c) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
	case 'c':
	case 's':
	case 'p':
		return (true);
	default:
		return (false);
	}
}

/* Fetches the '*' width and precision, if any, in argument order. */
static void
pf_fetch_stars(struct pf_spec *sp, va_list *ap)
{
	if (sp->fs_width_star) {
		int w = va_arg(*ap, int);

		if (w < 0) {
			/* A negative width is a '-' flag and a width. */
			sp->fs_flags |= PF_FLAG_LEFT;
			sp->fs_width = (w < -PF_FIELD_MAX) ? PF_FIELD_MAX : -w;
		} else
			sp->fs_width = w;
	}
	if (sp->fs_prec_star) {
		int pr = va_arg(*ap, int);

		/* A negative precision is taken as if it were omitted. */
		sp->fs_prec = (pr < 0) ? PF_PREC_NONE : pr;
	}
}

/* Emits n characters of str inside the field described by sp. */
static void
pf_emit_field(struct pf_sink *s, const struct pf_spec *sp, const char *str,
    size_t n)
{
	size_t width = (size_t)sp->fs_width;
	size_t pad = (width > n) ? width - n : 0;

	if ((sp->fs_flags & PF_FLAG_LEFT) == 0)
		pf_pad(s, ' ', pad);
	pf_putn(s, str, n);
	if ((sp->fs_flags & PF_FLAG_LEFT) != 0)
		pf_pad(s, ' ', pad);
}

/*
 * Emits an integer of magnitude mag (negative when neg) in base, honouring
 * flags, width and precision.  is_signed enables the '+' and ' ' flags.
 */
static void
pf_emit_integer(struct pf_sink *s, const struct pf_spec *sp, uintmax_t mag,
    bool neg, bool is_signed, unsigned base, bool upper)
{
	const char *digits = upper ? pf_digits_upper : pf_digits_lower;
	char dbuf[PF_DIGITS_MAX];
	char sign = '\0';
	const char *prefix = "";
	size_t ndig = 0, nprec, nprefix, body, pad, width;
	uintmax_t v;

	/* Digits, least significant first.  Zero has no digits here. */
	for (v = mag; v != 0; v /= base)
		dbuf[ndig++] = digits[v % base];

	if (sp->fs_prec == PF_PREC_NONE)
		nprec = (ndig > 0) ? ndig : 1;	/* zero prints one "0" */
	else
		nprec = ((size_t)sp->fs_prec > ndig) ? (size_t)sp->fs_prec :
		    ndig;

	if ((sp->fs_flags & PF_FLAG_ALT) != 0) {
		if (base == PF_BASE_OCT) {
			/* '#o' makes sure the first digit printed is 0. */
			if (nprec <= ndig)
				nprec = ndig + 1;
		} else if (base == PF_BASE_HEX && mag != 0)
			prefix = upper ? "0X" : "0x";
	}

	if (neg)
		sign = '-';
	else if (is_signed && (sp->fs_flags & PF_FLAG_PLUS) != 0)
		sign = '+';
	else if (is_signed && (sp->fs_flags & PF_FLAG_SPACE) != 0)
		sign = ' ';

	nprefix = pf_strnlen(prefix, sizeof("0x"));
	body = (sign != '\0' ? 1 : 0) + nprefix + nprec;
	width = (size_t)sp->fs_width;
	pad = (width > body) ? width - body : 0;

	/* '0' pads with zeros unless '-' or a precision is given. */
	if ((sp->fs_flags & PF_FLAG_ZERO) != 0 &&
	    (sp->fs_flags & PF_FLAG_LEFT) == 0 &&
	    sp->fs_prec == PF_PREC_NONE) {
		nprec += pad;
		pad = 0;
	}

	if ((sp->fs_flags & PF_FLAG_LEFT) == 0)
		pf_pad(s, ' ', pad);
	if (sign != '\0')
		pf_putc(s, sign);
	pf_putn(s, prefix, nprefix);
	pf_pad(s, '0', nprec - ndig);
	while (ndig > 0)
		pf_putc(s, dbuf[--ndig]);
	if ((sp->fs_flags & PF_FLAG_LEFT) != 0)
		pf_pad(s, ' ', pad);
}

/* Fetches a signed argument of the spec's length as intmax_t. */
static intmax_t
pf_fetch_signed(const struct pf_spec *sp, va_list *ap)
{
	switch (sp->fs_length) {
	case PF_LEN_HH:
		return ((signed char)va_arg(*ap, int));
	case PF_LEN_H:
		return ((short)va_arg(*ap, int));
	case PF_LEN_L:
		return (va_arg(*ap, long));
	case PF_LEN_LL:
		return (va_arg(*ap, long long));
	case PF_LEN_Z:
		/* The signed type matching size_t; ptrdiff_t on our ABIs. */
		return (va_arg(*ap, ptrdiff_t));
	case PF_LEN_J:
		return (va_arg(*ap, intmax_t));
	case PF_LEN_T:
		return (va_arg(*ap, ptrdiff_t));
	case PF_LEN_NONE:
	default:
		return (va_arg(*ap, int));
	}
}

/* Fetches an unsigned argument of the spec's length as uintmax_t. */
static uintmax_t
pf_fetch_unsigned(const struct pf_spec *sp, va_list *ap)
{
	switch (sp->fs_length) {
	case PF_LEN_HH:
		return ((unsigned char)va_arg(*ap, unsigned int));
	case PF_LEN_H:
		return ((unsigned short)va_arg(*ap, unsigned int));
	case PF_LEN_L:
		return (va_arg(*ap, unsigned long));
	case PF_LEN_LL:
		return (va_arg(*ap, unsigned long long));
	case PF_LEN_Z:
		return (va_arg(*ap, size_t));
	case PF_LEN_J:
		return (va_arg(*ap, uintmax_t));
	case PF_LEN_T:
		/* The unsigned type matching ptrdiff_t; size_t on our ABIs. */
		return (va_arg(*ap, size_t));
	case PF_LEN_NONE:
	default:
		return (va_arg(*ap, unsigned int));
	}
}

/* Performs one known conversion, fetching its arguments from ap. */
static void
pf_convert(struct pf_sink *s, struct pf_spec *sp, va_list *ap)
{
	pf_fetch_stars(sp, ap);

	switch (sp->fs_conv) {
	case 'd':
	case 'i': {
		intmax_t v = pf_fetch_signed(sp, ap);
		uintmax_t mag = (v < 0) ? (uintmax_t)0 - (uintmax_t)v :
		    (uintmax_t)v;

		pf_emit_integer(s, sp, mag, v < 0, true, PF_BASE_DEC, false);
		break;
	}
	case 'u':
		pf_emit_integer(s, sp, pf_fetch_unsigned(sp, ap), false, false,
		    PF_BASE_DEC, false);
		break;
	case 'x':
	case 'X':
		pf_emit_integer(s, sp, pf_fetch_unsigned(sp, ap), false, false,
		    PF_BASE_HEX, sp->fs_conv == 'X');
		break;
	case 'o':
		pf_emit_integer(s, sp, pf_fetch_unsigned(sp, ap), false, false,
		    PF_BASE_OCT, false);
		break;
	case 'c': {
		char c = (char)(unsigned char)va_arg(*ap, int);

		pf_emit_field(s, sp, &c, 1);
		break;
	}
	case 's': {
		const char *str = va_arg(*ap, const char *);
		size_t max = (sp->fs_prec == PF_PREC_NONE) ? SIZE_MAX :
		    (size_t)sp->fs_prec;

		if (str == NULL)
			str = pf_null_string;
		pf_emit_field(s, sp, str, pf_strnlen(str, max));
		break;
	}
	case 'p': {
		uintptr_t v = (uintptr_t)va_arg(*ap, void *);
		char pbuf[sizeof("0x") - 1 + PF_PTR_DIGITS];
		size_t i;

		pbuf[0] = '0';
		pbuf[1] = 'x';
		for (i = 0; i < PF_PTR_DIGITS; i++) {
			pbuf[sizeof(pbuf) - 1 - i] =
			    pf_digits_lower[v % PF_BASE_HEX];
			v /= PF_BASE_HEX;
		}
		pf_emit_field(s, sp, pbuf, sizeof(pbuf));
		break;
	}
	default:
		/* Not reached: pf_known_conv() filters the rest out. */
		break;
	}
}

int
kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct pf_sink s = { .ps_buf = buf, .ps_size = size, .ps_len = 0 };
	struct pf_spec sp;
	const char *p = fmt, *start, *next;
	va_list aq;

	va_copy(aq, ap);
	while (*p != '\0') {
		if (*p != '%') {
			pf_putc(&s, *p++);
			continue;
		}
		start = p;
		next = pf_parse_spec(p + 1, &sp);
		if (sp.fs_conv == '%') {
			/* Flags, width and '*' inside "%%" are ignored. */
			pf_putc(&s, '%');
		} else if (pf_known_conv(sp.fs_conv))
			pf_convert(&s, &sp, &aq);
		else {
			/* Unknown or unfinished: copy it, consume nothing. */
			pf_putn(&s, start, (size_t)(next - start));
		}
		p = next;
	}
	va_end(aq);

	if (size > 0)
		buf[(s.ps_len < size - 1) ? s.ps_len : size - 1] = '\0';
	if (s.ps_len > PF_RETURN_MAX)
		return (-KPRINTF_EOVERFLOW);
	return ((int)s.ps_len);
}

int
ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n);
}
