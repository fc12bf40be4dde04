/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_printf.c: unit tests for kernel/printf.c on the host.
 *
 * Design: most cases live in one table (pf_cases[]).  A row holds a format,
 * the kind of its argument(s), the argument values and the expected output;
 * a table-driven Check loop test runs every row through ksnprintf() and,
 * when the row says the behaviour is defined by C, through the host's
 * snprintf() as well, and requires both to match the expected text and
 * length.  Formats are data, not literals, so -Wformat does not object to
 * the deliberately unknown conversions; every call passes an extra trailing
 * argument, which C permits, so that no call has a lone non-literal format.
 * A second table covers truncation: output against small buffers filled
 * with a sentinel, checking the return value, the terminating NUL and that
 * nothing past size is written.  A few stand-alone tests cover kvsnprintf,
 * size 0 with a NULL buffer and widths far larger than the buffer.
 *
 * Locking: none; the tests share no state (Check forks per test).
 */

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/printf.h"

#define OUT_MAX		256	/* big enough for every table row */
#define SENTINEL	'\x7f'

enum arg_kind {
	A_NONE,		/* no argument */
	A_INT,
	A_UINT,
	A_LONG,
	A_ULONG,
	A_LL,
	A_ULL,
	A_SIZE,
	A_SSIZE,	/* ptrdiff_t, for %zd and %td */
	A_INTMAX,
	A_UINTMAX,
	A_STR,
	A_PTR,
	A_W_INT,	/* int width, int value */
	A_P_INT,	/* int precision, int value */
	A_WP_INT,	/* int width, int precision, int value */
	A_P_STR,	/* int precision, string */
	A_INT_INT,	/* two ints */
};

struct pf_case {
	const char	*pc_fmt;
	const char	*pc_expect;
	enum arg_kind	 pc_kind;
	int		 pc_host;	/* 1: also compare with snprintf */
	union {
		int			i;
		unsigned		u;
		long			l;
		unsigned long		ul;
		long long		ll;
		unsigned long long	ull;
		size_t			z;
		ptrdiff_t		t;
		intmax_t		j;
		uintmax_t		uj;
		const char		*s;
		const void		*p;
	} pc_a;
	int		 pc_w;		/* '*' width or first int */
	int		 pc_p;		/* '*' precision */
};

#define HOST	1
#define OURS	0

/* One row: format, expected, argument kind, host check, value, '*' args. */
#define ROW(f, e, k, h, m, v, w, p) \
	{ f, e, k, h, { .m = (v) }, w, p }

#define C0(f, e, h)		ROW(f, e, A_NONE, h, i, 0, 0, 0)
#define CI(f, v, e)		ROW(f, e, A_INT, HOST, i, v, 0, 0)
#define CIO(f, v, e)		ROW(f, e, A_INT, OURS, i, v, 0, 0)
#define CU(f, v, e)		ROW(f, e, A_UINT, HOST, u, v, 0, 0)
#define CL(f, v, e)		ROW(f, e, A_LONG, HOST, l, v, 0, 0)
#define CUL(f, v, e)		ROW(f, e, A_ULONG, HOST, ul, v, 0, 0)
#define CLL(f, v, e)		ROW(f, e, A_LL, HOST, ll, v, 0, 0)
#define CULL(f, v, e)		ROW(f, e, A_ULL, HOST, ull, v, 0, 0)
#define CZ(f, v, e)		ROW(f, e, A_SIZE, HOST, z, v, 0, 0)
#define CT(f, v, e)		ROW(f, e, A_SSIZE, HOST, t, v, 0, 0)
#define CJ(f, v, e)		ROW(f, e, A_INTMAX, HOST, j, v, 0, 0)
#define CUJ(f, v, e)		ROW(f, e, A_UINTMAX, HOST, uj, v, 0, 0)
#define CS(f, v, e, h)		ROW(f, e, A_STR, h, s, v, 0, 0)
#define CP(f, v, e)		ROW(f, e, A_PTR, OURS, p, (void *)(v), 0, 0)
#define CWI(f, w, v, e)		ROW(f, e, A_W_INT, HOST, i, v, w, 0)
#define CPI(f, p, v, e)		ROW(f, e, A_P_INT, HOST, i, v, 0, p)
#define CWPI(f, w, p, v, e)	ROW(f, e, A_WP_INT, HOST, i, v, w, p)
#define CPS(f, p, v, e)		ROW(f, e, A_P_STR, HOST, s, v, 0, p)
#define CII(f, a, b, e, h)	ROW(f, e, A_INT_INT, h, i, b, a, 0)

static const struct pf_case pf_cases[] = {
	/* Plain text and %% */
	C0("", "", HOST),
	C0("hello, world", "hello, world", HOST),
	C0("100%%", "100%", HOST),
	C0("%%%%", "%%", HOST),
	C0("a%%b", "a%b", HOST),

	/* %d and %i */
	CI("%d", 0, "0"),
	CI("%d", 42, "42"),
	CI("%d", -42, "-42"),
	CI("%i", 123456, "123456"),
	CI("%d", INT_MAX, "2147483647"),
	CI("%d", INT_MIN, "-2147483648"),
	CI("%5d", 42, "   42"),
	CI("%-5d|", 42, "42   |"),
	CI("%05d", 42, "00042"),
	CI("%05d", -42, "-0042"),
	CI("%+d", 42, "+42"),
	CI("%+d", -42, "-42"),
	CI("%+d", 0, "+0"),
	CI("% d", 42, " 42"),
	CI("% d", -42, "-42"),
	CI("%+ d", 42, "+42"),
	CI("% 5d", 42, "   42"),
	CI("%+05d", 42, "+0042"),
	CI("%-05d|", 42, "42   |"),
	CI("%.3d", 7, "007"),
	CI("%.3d", -7, "-007"),
	CI("%6.3d", 7, "   007"),
	CI("%-6.3d|", -7, "-007  |"),
	CI("%06.3d", 7, "   007"),
	CI("%.0d", 0, ""),
	CI("%5.0d", 0, "     "),
	CI("%.0d", 1, "1"),
	CI("%.d", 0, ""),
	CI("%1d", 12345, "12345"),
	CI("%+.0d", 0, "+"),

	/* %u */
	CU("%u", 0, "0"),
	CU("%u", 4000000000u, "4000000000"),
	CU("%u", UINT_MAX, "4294967295"),
	CU("%+u", 5, "5"),
	CU("% u", 5, "5"),
	CU("%08u", 1234, "00001234"),

	/* %x %X %o */
	CU("%x", 0, "0"),
	CU("%x", 0xdeadbeef, "deadbeef"),
	CU("%X", 0xdeadbeef, "DEADBEEF"),
	CU("%#x", 0xff, "0xff"),
	CU("%#X", 0xff, "0XFF"),
	CU("%#x", 0, "0"),
	CU("%#10x", 0xff, "      0xff"),
	CU("%#010x", 0xff, "0x000000ff"),
	CU("%-#10x|", 0xff, "0xff      |"),
	CU("%#.4x", 0xff, "0x00ff"),
	CU("%08x", 0xabc, "00000abc"),
	CU("%.0x", 0, ""),
	CU("%#.0x", 0, ""),
	CU("%o", 8, "10"),
	CU("%o", 0, "0"),
	CU("%#o", 8, "010"),
	CU("%#o", 0, "0"),
	CU("%#.0o", 0, "0"),
	CU("%#.3o", 8, "010"),
	CU("%#.5o", 8, "00010"),
	CU("%o", UINT_MAX, "37777777777"),
	CU("%6o", 8, "    10"),

	/* Length modifiers */
	CI("%hhd", 255, "-1"),
	CI("%hhd", 127, "127"),
	CI("%hhd", 128, "-128"),
	CI("%hhu", 256, "0"),
	CI("%hhu", 0x1ff, "255"),
	CI("%hhx", 0x1234, "34"),
	CI("%hd", 65535, "-1"),
	CI("%hd", -32768, "-32768"),
	CI("%hu", 65536, "0"),
	CI("%hx", 0x12345, "2345"),
	CL("%ld", LONG_MIN, "-9223372036854775808"),
	CL("%ld", LONG_MAX, "9223372036854775807"),
	CUL("%lu", ULONG_MAX, "18446744073709551615"),
	CUL("%lx", 0x123456789abcdefUL, "123456789abcdef"),
	CLL("%lld", INT64_MIN, "-9223372036854775808"),
	CLL("%lld", INT64_MAX, "9223372036854775807"),
	CLL("%lli", -1, "-1"),
	CULL("%llu", UINT64_MAX, "18446744073709551615"),
	CULL("%llx", UINT64_MAX, "ffffffffffffffff"),
	CULL("%llX", UINT64_MAX, "FFFFFFFFFFFFFFFF"),
	CULL("%llo", UINT64_MAX, "1777777777777777777777"),
	CULL("%#llo", UINT64_MAX, "01777777777777777777777"),
	CULL("%#llx", UINT64_MAX, "0xffffffffffffffff"),
	CULL("%30llu", UINT64_MAX, "          18446744073709551615"),
	CLL("%+025lld", INT64_MIN, "-000009223372036854775808"),
	CZ("%zu", SIZE_MAX, "18446744073709551615"),
	CZ("%zx", 0x1000, "1000"),
	CT("%zd", -5, "-5"),
	CT("%td", PTRDIFF_MIN, "-9223372036854775808"),
	CT("%td", 77, "77"),
	CZ("%tu", 77, "77"),
	CZ("%tx", 0xabc, "abc"),
	CJ("%jd", INTMAX_MIN, "-9223372036854775808"),
	CJ("%ji", INTMAX_MAX, "9223372036854775807"),
	CUJ("%ju", UINTMAX_MAX, "18446744073709551615"),
	CUJ("%jx", UINTMAX_MAX, "ffffffffffffffff"),

	/* %c */
	CI("%c", 'A', "A"),
	CI("%3c", 'A', "  A"),
	CI("%-3c|", 'A', "A  |"),
	CI("[%c]", 0x141, "[A]"),

	/* %s */
	CS("%s", "hello", "hello", HOST),
	CS("%s", "", "", HOST),
	CS("%8s", "hello", "   hello", HOST),
	CS("%-8s|", "hello", "hello   |", HOST),
	CS("%.3s", "hello", "hel", HOST),
	CS("%.0s", "hello", "", HOST),
	CS("%.10s", "hello", "hello", HOST),
	CS("%8.3s", "hello", "     hel", HOST),
	CS("%-8.3s|", "hello", "hel     |", HOST),
	CS("%2s", "hello", "hello", HOST),
	CS("%s", NULL, "(null)", HOST),
	CS("%8s", NULL, "  (null)", HOST),
	CS("%-8s|", NULL, "(null)  |", HOST),
	CS("%.3s", NULL, "(nu", OURS),	/* glibc prints "" here */
	CS("<%s>", "a%db", "<a%db>", HOST),

	/* %p: always 0x and 16 digits */
	CP("%p", 0, "0x0000000000000000"),
	CP("%p", 0x1234, "0x0000000000001234"),
	CP("%p", UINTPTR_MAX, "0xffffffffffffffff"),
	CP("%p", 0xffff800000000000ULL, "0xffff800000000000"),
	CP("%20p|", 0xabc, "  0x0000000000000abc|"),
	CP("%-20p|", 0xabc, "0x0000000000000abc  |"),

	/* '*' width and precision */
	CWI("%*d", 5, 42, "   42"),
	CWI("%*d|", -5, 42, "42   |"),
	CWI("%-*d|", 5, 42, "42   |"),
	CWI("%0*d", 5, -42, "-0042"),
	CWI("%*d", 0, 42, "42"),
	CPI("%.*d", 4, 42, "0042"),
	CPI("%.*d", -1, 42, "42"),
	CPI("%.*d", 0, 0, ""),
	CPI("%05.*d", -1, 42, "00042"),
	CWPI("%*.*d", 8, 4, -42, "   -0042"),
	CWPI("%*.*d|", -8, 4, 42, "0042    |"),
	CPS("%.*s", 2, "hello", "he"),
	CPS("%.*s", -1, "hello", "hello"),
	CPS("%.*s", 0, "hello", ""),

	/* Widths and text around conversions */
	CII("%d %d", 1, 2, "1 2", HOST),
	CII("a%db%dc", -1, -2, "a-1b-2c", HOST),
	CII("%x:%X", 0xab, 0xcd, "ab:CD", HOST),

	/* Unknown conversions: printed literally, no argument consumed */
	CIO("%q%d", 5, "%q5"),
	CIO("%n%d", 5, "%n5"),
	CIO("%-08q%d", 5, "%-08q5"),
	CIO("%lq%d", 5, "%lq5"),
	CIO("%hhy%d", 5, "%hhy5"),
	CIO("%*q%d", 5, "%*q5"),
	CIO("%.*q%d", 5, "%.*q5"),
	CIO("%f%d", 5, "%f5"),
	CIO("%Ld%d", 5, "%Ld5"),
	CIO("%llld", 5, "%llld"),
	CIO("%d%", 5, "5%"),
	CIO("%d%5", 5, "5%5"),
	CIO("%d%-.", 5, "5%-."),
	CIO("%d%ll", 5, "5%ll"),
	C0("%", "%", OURS),
	C0("%*%", "%", OURS),
	C0("%5%|", "%|", OURS),
	CII("%ll%d%d", 3, 4, "%d3", OURS),	/* "%ll%" is a %% */
};
#define N_PF_CASES	((int)(sizeof(pf_cases) / sizeof(pf_cases[0])))

typedef int fmt_fn(char *, size_t, const char *, ...);

/* Runs one table row through fn (ksnprintf or the host's snprintf). */
static int
run_case(fmt_fn *fn, char *buf, size_t size, const struct pf_case *c)
{
	const int extra = 0;	/* a trailing argument nobody consumes */

	switch (c->pc_kind) {
	case A_NONE:
		return (fn(buf, size, c->pc_fmt, extra));
	case A_INT:
		return (fn(buf, size, c->pc_fmt, c->pc_a.i, extra));
	case A_UINT:
		return (fn(buf, size, c->pc_fmt, c->pc_a.u, extra));
	case A_LONG:
		return (fn(buf, size, c->pc_fmt, c->pc_a.l, extra));
	case A_ULONG:
		return (fn(buf, size, c->pc_fmt, c->pc_a.ul, extra));
	case A_LL:
		return (fn(buf, size, c->pc_fmt, c->pc_a.ll, extra));
	case A_ULL:
		return (fn(buf, size, c->pc_fmt, c->pc_a.ull, extra));
	case A_SIZE:
		return (fn(buf, size, c->pc_fmt, c->pc_a.z, extra));
	case A_SSIZE:
		return (fn(buf, size, c->pc_fmt, c->pc_a.t, extra));
	case A_INTMAX:
		return (fn(buf, size, c->pc_fmt, c->pc_a.j, extra));
	case A_UINTMAX:
		return (fn(buf, size, c->pc_fmt, c->pc_a.uj, extra));
	case A_STR:
		return (fn(buf, size, c->pc_fmt, c->pc_a.s, extra));
	case A_PTR:
		return (fn(buf, size, c->pc_fmt, c->pc_a.p, extra));
	case A_W_INT:
		return (fn(buf, size, c->pc_fmt, c->pc_w, c->pc_a.i, extra));
	case A_P_INT:
		return (fn(buf, size, c->pc_fmt, c->pc_p, c->pc_a.i, extra));
	case A_WP_INT:
		return (fn(buf, size, c->pc_fmt, c->pc_w, c->pc_p, c->pc_a.i,
		    extra));
	case A_P_STR:
		return (fn(buf, size, c->pc_fmt, c->pc_p, c->pc_a.s, extra));
	case A_INT_INT:
		return (fn(buf, size, c->pc_fmt, c->pc_w, c->pc_a.i, extra));
	}
	return (-1);
}

START_TEST(test_table)
{
	const struct pf_case *c = &pf_cases[_i];
	char buf[OUT_MAX];
	int n;

	memset(buf, SENTINEL, sizeof(buf));
	n = run_case(ksnprintf, buf, sizeof(buf), c);
	ck_assert_msg(strcmp(buf, c->pc_expect) == 0,
	    "row %d: ksnprintf(\"%s\") gave \"%s\", want \"%s\"", _i,
	    c->pc_fmt, buf, c->pc_expect);
	ck_assert_int_eq(n, (int)strlen(c->pc_expect));

	if (c->pc_host) {
		memset(buf, SENTINEL, sizeof(buf));
		n = run_case(snprintf, buf, sizeof(buf), c);
		ck_assert_msg(strcmp(buf, c->pc_expect) == 0,
		    "row %d: host snprintf(\"%s\") gave \"%s\", want \"%s\"",
		    _i, c->pc_fmt, buf, c->pc_expect);
		ck_assert_int_eq(n, (int)strlen(c->pc_expect));
	}
}
END_TEST

/* Truncation: output into a buffer of pt_size bytes. */
struct trunc_case {
	const char	*pt_fmt;
	int		 pt_arg;
	size_t		 pt_size;
	const char	*pt_expect;	/* what the buffer holds */
	int		 pt_ret;
};

static const struct trunc_case trunc_cases[] = {
	{ "hello", 0, 0, NULL, 5 },
	{ "hello", 0, 1, "", 5 },
	{ "hello", 0, 2, "h", 5 },
	{ "hello", 0, 5, "hell", 5 },
	{ "hello", 0, 6, "hello", 5 },		/* exact fit */
	{ "hello", 0, 7, "hello", 5 },
	{ "%d", -12345, 0, NULL, 6 },
	{ "%d", -12345, 1, "", 6 },
	{ "%d", -12345, 4, "-12", 6 },
	{ "%d", -12345, 7, "-12345", 6 },	/* exact fit */
	{ "%10d", 7, 4, "   ", 10 },
	{ "%-10d|", 7, 4, "7  ", 11 },
	{ "%#x", 255, 2, "0", 4 },
	{ "%#x", 255, 3, "0x", 4 },
	{ "%#x", 255, 5, "0xff", 4 },
	{ "ab%%cd", 0, 3, "ab", 5 },
	{ "ab%%cd", 0, 4, "ab%", 5 },
	{ "%q", 0, 2, "%", 2 },
	{ "%c%c", 'x', 2, "x", 2 },
};
#define N_TRUNC_CASES \
	((int)(sizeof(trunc_cases) / sizeof(trunc_cases[0])))

START_TEST(test_truncation)
{
	const struct trunc_case *c = &trunc_cases[_i];
	char buf[OUT_MAX];
	size_t i;
	int n;

	memset(buf, SENTINEL, sizeof(buf));
	n = ksnprintf(c->pt_size == 0 ? NULL : buf, c->pt_size, c->pt_fmt,
	    c->pt_arg, c->pt_arg);
	ck_assert_int_eq(n, c->pt_ret);
	if (c->pt_expect != NULL)
		ck_assert_str_eq(buf, c->pt_expect);
	/* Nothing at or past size may be touched. */
	for (i = c->pt_size; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], SENTINEL);

	/* Where C defines the result, the host agrees. */
	if (strcmp(c->pt_fmt, "%q") != 0) {
		char hbuf[OUT_MAX];

		memset(hbuf, SENTINEL, sizeof(hbuf));
		n = snprintf(c->pt_size == 0 ? NULL : hbuf, c->pt_size,
		    c->pt_fmt, c->pt_arg, c->pt_arg);
		ck_assert_int_eq(n, c->pt_ret);
		ck_assert_mem_eq(buf, hbuf, sizeof(buf));
	}
}
END_TEST

START_TEST(test_size_zero_untouched)
{
	char buf[4] = { 'a', 'b', 'c', 'd' };

	ck_assert_int_eq(ksnprintf(buf, 0, "%s", "xyz"), 3);
	ck_assert_mem_eq(buf, "abcd", sizeof(buf));
	ck_assert_int_eq(ksnprintf(NULL, 0, "%d-%d", 10, 20), 5);
}
END_TEST

START_TEST(test_wide_field_small_buffer)
{
	char buf[16];

	memset(buf, SENTINEL, sizeof(buf));
	ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%300d", 1), 300);
	ck_assert_str_eq(buf, "               ");
	ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%.300d", 1), 300);
	ck_assert_str_eq(buf, "000000000000000");
	ck_assert_int_eq(ksnprintf(NULL, 0, "%*s", 1000, "x"), 1000);
}
END_TEST

static int
wrap_v(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n);
}

START_TEST(test_kvsnprintf)
{
	char buf[OUT_MAX];

	ck_assert_int_eq(wrap_v(buf, sizeof(buf), "%s=%d %c %lx", "k", -1,
	    'z', 0xabcUL), 10);
	ck_assert_str_eq(buf, "k=-1 z abc");
	ck_assert_int_eq(wrap_v(buf, sizeof(buf), "%p %s", (void *)0x10,
	    "end"), 22);
	ck_assert_str_eq(buf, "0x0000000000000010 end");
}
END_TEST

START_TEST(test_many_args)
{
	char buf[OUT_MAX];
	int n;

	n = ksnprintf(buf, sizeof(buf),
	    "%d %u %x %X %o %c %s %p %ld %lld %zu %jd %td %hhd %hd %%",
	    -1, 2u, 0x3u, 0xbu, 8u, 'c', "str", (void *)0,
	    -4L, -5LL, (size_t)6, (intmax_t)-7, (ptrdiff_t)8,
	    (signed char)-9, (short)-1000);
	ck_assert_str_eq(buf, "-1 2 3 B 10 c str 0x0000000000000000 -4 -5 "
	    "6 -7 8 -9 -1000 %");
	ck_assert_int_eq(n, (int)strlen(buf));
}
END_TEST

START_TEST(test_embedded_nul_char)
{
	char buf[8];

	memset(buf, SENTINEL, sizeof(buf));
	ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "a%cb", 0), 3);
	ck_assert_int_eq(buf[0], 'a');
	ck_assert_int_eq(buf[1], '\0');
	ck_assert_int_eq(buf[2], 'b');
	ck_assert_int_eq(buf[3], '\0');
}
END_TEST

static Suite *
printf_suite(void)
{
	Suite *s = suite_create("printf");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_table, 0, N_PF_CASES);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_loop_test(tc, test_truncation, 0, N_TRUNC_CASES);
	tcase_add_test(tc, test_size_zero_untouched);
	tcase_add_test(tc, test_wide_field_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, test_kvsnprintf);
	tcase_add_test(tc, test_many_args);
	tcase_add_test(tc, test_embedded_nul_char);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(printf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
