/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_iperf3_json.c: unit tests for the iperf3 server's
 * parameter reader (net/lwip-glue/lwipg_iperf3_json.c) on the host.
 *
 * The messages are what Debian's iperf3 3.12 client sends (TCP, -R,
 * UDP with 64-bit counters), then the edges: nested objects and arrays
 * under unknown keys skipped whole, a key we read with the wrong type,
 * numbers that overflow their field, fractions, a token array too small,
 * truncated and trailing text, and a buffer whose length stops before
 * its NUL.
 *
 * Locking: none; the tests share no state (Check forks per test).
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/errno.h"
#include "net/lwip-glue/lwipg_iperf3_json.h"

static jsmntok_t tok[IPERF3_JSON_TOKENS];

static int
parse(const char *s, struct i3_params *p)
{
	return lwipg_i3_params_parse(s, strlen(s), tok, IPERF3_JSON_TOKENS, p);
}

START_TEST(test_tcp_defaults)
{
	struct i3_params p;

	ck_assert_int_eq(parse("{\"tcp\":true,\"omit\":0,\"time\":3,"
	    "\"num\":0,\"blockcount\":0,\"parallel\":2,\"len\":131072,"
	    "\"pacing_timer\":1000,\"client_version\":\"3.12\"}", &p), 0);
	ck_assert(p.ip_tcp && !p.ip_udp && !p.ip_reverse && !p.ip_bidir);
	ck_assert_uint_eq(p.ip_parallel, 2);
	ck_assert_uint_eq(p.ip_time, 3);
	ck_assert_uint_eq(p.ip_len, 131072);
	ck_assert_int_eq(parse("{}", &p), 0);
	ck_assert_uint_eq(p.ip_parallel, 1);
	ck_assert(!p.ip_tcp);
}
END_TEST

START_TEST(test_udp_reverse_64bit)
{
	struct i3_params p;

	ck_assert_int_eq(parse(" {\"udp\": true, \"reverse\" : true,"
	    "\"bidirectional\":false,\"bandwidth\":18446744073709551615,"
	    "\"len\":64,\"udp_counters_64bit\":1,\"num\":3221225472,"
	    "\"get_server_output\":1,"
	    "\"burst\":0,\"fqrate\":0}\n", &p), 0);
	ck_assert(p.ip_udp && p.ip_reverse && !p.ip_bidir && p.ip_udp64 &&
	    p.ip_server_output);
	ck_assert_uint_eq(p.ip_bandwidth, UINT64_MAX);
	ck_assert_uint_eq(p.ip_num, 3221225472u);
	ck_assert_uint_eq(p.ip_len, 64);
}
END_TEST

START_TEST(test_nested_skipped)
{
	struct i3_params p;

	ck_assert_int_eq(parse("{\"extra\":{\"a\":[1,{\"parallel\":9},[]],"
	    "\"b\":{}},\"parallel\":4,\"list\":[[[\"x\"]],{\"y\":null}],"
	    "\"time\":7,\"title\":\"t\\\"{\"}", &p), 0);
	ck_assert_uint_eq(p.ip_parallel, 4);
	ck_assert_uint_eq(p.ip_time, 7);
}
END_TEST

START_TEST(test_bad_types_and_numbers)
{
	struct i3_params p;

	ck_assert_int_eq(parse("{\"udp\":1}", &p), 0);
	ck_assert(p.ip_udp);
	ck_assert_int_eq(parse("{\"udp\":0,\"reverse\":null}", &p), 0);
	ck_assert(!p.ip_udp && !p.ip_reverse);
	ck_assert_int_eq(parse("{\"udp\":[true]}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"udp\":\"true\"}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"parallel\":-1}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"parallel\":4294967296}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"parallel\":1e3}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"num\":18446744073709551616}", &p),
	    -EINVAL);
	ck_assert_int_eq(parse("{\"time\":{\"a\":1}}", &p), -EINVAL);
	ck_assert_int_eq(parse("{\"time\":2.75}", &p), 0);
	ck_assert_uint_eq(p.ip_time, 2);
	ck_assert_int_eq(parse("{\"parallel\":4294967295}", &p), 0);
	ck_assert_uint_eq(p.ip_parallel, UINT32_MAX);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"", "   ", "[]", "1", "\"x\"", "{", "{\"tcp\"}",
		"{\"tcp\":}", "{\"tcp\" true}", "{}{}",
		"{} x", "{\"a\":[1,2}", "{\"tcp\":tru}", "{1:2}",
		"{\"a\":\"unterminated}",
	};
	struct i3_params p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &p) == -EINVAL, "accepted '%s'",
		    bad[i]);
	/*
	 * jsmn's own leniency, even strict: a trailing comma, and a bare
	 * word checked by its first letter only.  Harmless: a key we read
	 * checks its value itself.
	 */
	ck_assert_int_eq(parse("{\"tcp\":true,}", &p), 0);
	ck_assert_int_eq(parse("{\"a\":tru}", &p), 0);
}
END_TEST

START_TEST(test_bounds)
{
	static const char deep[] = "{\"a\":[[[[[[[[1]]]]]]]],\"parallel\":3}";
	char many[4096];
	struct i3_params p;
	size_t n = 0;
	int i;

	/* Fewer tokens than the message needs: refused, not overrun. */
	ck_assert_int_eq(lwipg_i3_params_parse(deep, strlen(deep), tok, 6,
	    &p), -EINVAL);
	ck_assert_int_eq(lwipg_i3_params_parse(deep, strlen(deep), tok, 13,
	    &p), 0);
	ck_assert_uint_eq(p.ip_parallel, 3);
	/* More keys than IPERF3_JSON_TOKENS holds. */
	n += (size_t)snprintf(many + n, sizeof(many) - n, "{");
	for (i = 0; i < IPERF3_JSON_TOKENS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "%s\"k%d\":%d", i ? "," : "", i, i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "}");
	ck_assert_uint_lt(n, sizeof(many));
	ck_assert_int_eq(parse(many, &p), -EINVAL);
	/* The length, not the NUL, ends the text. */
	ck_assert_int_eq(lwipg_i3_params_parse("{\"time\":12}", 10, tok,
	    IPERF3_JSON_TOKENS, &p), -EINVAL);
	ck_assert_int_eq(lwipg_i3_params_parse("{\"time\":1}xyz", 10, tok,
	    IPERF3_JSON_TOKENS, &p), 0);
	ck_assert_uint_eq(p.ip_time, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("iperf3_json");
	TCase *tc = tcase_create("params");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_tcp_defaults);
	tcase_add_test(tc, test_udp_reverse_64bit);
	tcase_add_test(tc, test_nested_skipped);
	tcase_add_test(tc, test_bad_types_and_numbers);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
