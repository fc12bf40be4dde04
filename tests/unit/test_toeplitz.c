/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_toeplitz.c: host tests for net/netisr/toeplitz.c.
 *
 * The verification vectors of Microsoft's RSS specification (IPv4 and
 * IPv6, with and without TCP ports) must come out exactly from the
 * bitwise reference, the generic table-driven hash, the fixed-size
 * helpers, and the lazily built default table.  Then, independent of both
 * implementations: an input with one bit set hashes to the key window at
 * that bit, and the hash is linear over XOR.  Finally the reference and
 * the fast path agree on 1,000,000 pseudo-random inputs of every length
 * 0..36 under Microsoft's key and random keys of random length.
 *
 * Locking: none; single-threaded.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/netisr/toeplitz.h"

#define MS_KEY_HEX \
	"6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c" \
	"6a42b73bbeac01fa"

#define RANDOM_INPUTS		1000000u
#define INPUTS_PER_KEY		1000u	/* table rebuilds are the slow part */
#define RANDOM_KEY_MAX		48	/* longer than needed, and shorter */
#define RANDOM_SEED		0x9e3779b97f4a7c15ull
#define HELPER_ROUNDS		10000u
#define LINEAR_ROUNDS		10000u
#define BITS_PER_BYTE		8

/* Addresses in text, ports in host order, and the two expected hashes. */
struct vector {
	const char	*src;
	const char	*dst;
	uint16_t	 sport;
	uint16_t	 dport;
	uint32_t	 hash_addrs;
	uint32_t	 hash_ports;
};

static const struct vector v4_vectors[] = {
	{ "66.9.149.187", "161.142.100.80", 2794, 1766,
	    0x323e8fc2, 0x51ccc178 },
	{ "199.92.111.2", "65.69.140.83", 14230, 4739,
	    0xd718262a, 0xc626b0ea },
	{ "24.19.198.95", "12.22.207.184", 12898, 38024,
	    0xd2d0a5de, 0x5c2b394a },
	{ "38.27.205.30", "209.142.163.6", 48228, 2217,
	    0x82989176, 0xafc7327f },
	{ "153.39.163.191", "202.188.127.2", 44251, 1303,
	    0x5d1809c5, 0x10e828a2 },
};

static const struct vector v6_vectors[] = {
	{ "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766,
	    0x2cc18cd5, 0x40207d3d },
	{ "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739,
	    0x0f0c461c, 0xdde51bbf },
	{ "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf",
	    44251, 38024, 0x4b61e985, 0x02d1feef },
};

#define NV4	(sizeof(v4_vectors) / sizeof(v4_vectors[0]))
#define NV6	(sizeof(v6_vectors) / sizeof(v6_vectors[0]))

/* 36 KiB each: kept off the stack. */
static struct toeplitz_table ms_table;
static struct toeplitz_table rand_table;

static uint64_t rng_state;

static uint64_t
xorshift64(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void
random_bytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(xorshift64() >> 56);
}

/* A port in host order as the raw uint16_t a header load would give. */
static uint16_t
port_be(uint16_t port)
{
	uint8_t wire[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	uint16_t v;

	memcpy(&v, wire, sizeof(v));
	return v;
}

/* Lays out addresses then ports, as the hash sees them; returns length. */
static size_t
tuple(uint8_t *buf, const uint8_t *src, const uint8_t *dst, size_t alen,
    uint16_t sport, uint16_t dport)
{
	memcpy(buf, src, alen);
	memcpy(buf + alen, dst, alen);
	buf[2 * alen] = (uint8_t)(sport >> 8);
	buf[2 * alen + 1] = (uint8_t)sport;
	buf[2 * alen + 2] = (uint8_t)(dport >> 8);
	buf[2 * alen + 3] = (uint8_t)dport;
	return 2 * alen + 4;
}

/* The 32 key bits starting at bit offset bit, zero past the key. */
static uint32_t
key_window(const uint8_t *key, size_t key_len, size_t bit)
{
	uint32_t w = 0;
	size_t i, b;

	for (i = 0; i < 32; i++) {
		b = bit + i;
		w <<= 1;
		if (b / BITS_PER_BYTE < key_len)
			w |= (key[b / BITS_PER_BYTE] >> (7 - b % BITS_PER_BYTE))
			    & 1;
	}
	return w;
}

static void
setup(void)
{
	toeplitz_table_init(&ms_table, toeplitz_ms_key, TOEPLITZ_KEY_LEN);
}

START_TEST(test_ms_key_bytes)
{
	char hex[3] = { 0 };
	size_t i;

	ck_assert_uint_eq(strlen(MS_KEY_HEX), 2 * TOEPLITZ_KEY_LEN);
	for (i = 0; i < TOEPLITZ_KEY_LEN; i++) {
		memcpy(hex, &MS_KEY_HEX[2 * i], 2);
		ck_assert_uint_eq(toeplitz_ms_key[i], strtoul(hex, NULL, 16));
	}
}
END_TEST

START_TEST(test_ipv4_vectors)
{
	const struct toeplitz_table *def = toeplitz_default();
	uint8_t src[4], dst[4], buf[TOEPLITZ_MAX_INPUT];
	uint16_t sp, dp;
	size_t i, n;

	for (i = 0; i < NV4; i++) {
		const struct vector *v = &v4_vectors[i];

		ck_assert_int_eq(inet_pton(AF_INET, v->src, src), 1);
		ck_assert_int_eq(inet_pton(AF_INET, v->dst, dst), 1);
		sp = port_be(v->sport);
		dp = port_be(v->dport);
		n = tuple(buf, src, dst, sizeof(src), v->sport, v->dport);
		ck_assert_uint_eq(n, TOEPLITZ_IPV4_PORTS_LEN);

		ck_assert_uint_eq(toeplitz_hash_ref(toeplitz_ms_key,
		    TOEPLITZ_KEY_LEN, buf, TOEPLITZ_IPV4_LEN), v->hash_addrs);
		ck_assert_uint_eq(toeplitz_hash(&ms_table, buf,
		    TOEPLITZ_IPV4_LEN), v->hash_addrs);
		ck_assert_uint_eq(toeplitz_ipv4(&ms_table, src, dst),
		    v->hash_addrs);
		ck_assert_uint_eq(toeplitz_ipv4(def, src, dst), v->hash_addrs);

		ck_assert_uint_eq(toeplitz_hash_ref(toeplitz_ms_key,
		    TOEPLITZ_KEY_LEN, buf, n), v->hash_ports);
		ck_assert_uint_eq(toeplitz_hash(&ms_table, buf, n),
		    v->hash_ports);
		ck_assert_uint_eq(toeplitz_ipv4_ports(&ms_table, src, dst, sp,
		    dp), v->hash_ports);
		ck_assert_uint_eq(toeplitz_ipv4_ports(def, src, dst, sp, dp),
		    v->hash_ports);
	}
}
END_TEST

START_TEST(test_ipv6_vectors)
{
	const struct toeplitz_table *def = toeplitz_default();
	uint8_t src[16], dst[16], buf[TOEPLITZ_MAX_INPUT];
	uint16_t sp, dp;
	size_t i, n;

	for (i = 0; i < NV6; i++) {
		const struct vector *v = &v6_vectors[i];

		ck_assert_int_eq(inet_pton(AF_INET6, v->src, src), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, v->dst, dst), 1);
		sp = port_be(v->sport);
		dp = port_be(v->dport);
		n = tuple(buf, src, dst, sizeof(src), v->sport, v->dport);
		ck_assert_uint_eq(n, TOEPLITZ_IPV6_PORTS_LEN);

		ck_assert_uint_eq(toeplitz_hash_ref(toeplitz_ms_key,
		    TOEPLITZ_KEY_LEN, buf, TOEPLITZ_IPV6_LEN), v->hash_addrs);
		ck_assert_uint_eq(toeplitz_hash(&ms_table, buf,
		    TOEPLITZ_IPV6_LEN), v->hash_addrs);
		ck_assert_uint_eq(toeplitz_ipv6(&ms_table, src, dst),
		    v->hash_addrs);
		ck_assert_uint_eq(toeplitz_ipv6(def, src, dst), v->hash_addrs);

		ck_assert_uint_eq(toeplitz_hash_ref(toeplitz_ms_key,
		    TOEPLITZ_KEY_LEN, buf, n), v->hash_ports);
		ck_assert_uint_eq(toeplitz_hash(&ms_table, buf, n),
		    v->hash_ports);
		ck_assert_uint_eq(toeplitz_ipv6_ports(&ms_table, src, dst, sp,
		    dp), v->hash_ports);
		ck_assert_uint_eq(toeplitz_ipv6_ports(def, src, dst, sp, dp),
		    v->hash_ports);
	}
}
END_TEST

/* The definition itself: one set bit selects the key window at it. */
START_TEST(test_single_bit_is_key_window)
{
	uint8_t buf[TOEPLITZ_MAX_INPUT];
	uint32_t want, bad = 0;
	size_t bit;

	for (bit = 0; bit < TOEPLITZ_MAX_INPUT * BITS_PER_BYTE; bit++) {
		memset(buf, 0, sizeof(buf));
		buf[bit / BITS_PER_BYTE] = (uint8_t)(0x80 >> (bit % 8));
		want = key_window(toeplitz_ms_key, TOEPLITZ_KEY_LEN, bit);
		if (toeplitz_hash_ref(toeplitz_ms_key, TOEPLITZ_KEY_LEN, buf,
		    sizeof(buf)) != want)
			bad++;
		if (toeplitz_hash(&ms_table, buf, sizeof(buf)) != want)
			bad++;
	}
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* h(a ^ b) == h(a) ^ h(b), and the empty and all-zero inputs hash to 0. */
START_TEST(test_linear_over_xor)
{
	uint8_t a[TOEPLITZ_MAX_INPUT], b[TOEPLITZ_MAX_INPUT];
	uint8_t c[TOEPLITZ_MAX_INPUT];
	uint32_t i, bad = 0;
	size_t j;

	rng_state = RANDOM_SEED;
	for (i = 0; i < LINEAR_ROUNDS; i++) {
		random_bytes(a, sizeof(a));
		random_bytes(b, sizeof(b));
		for (j = 0; j < sizeof(c); j++)
			c[j] = a[j] ^ b[j];
		if (toeplitz_hash(&ms_table, c, sizeof(c)) !=
		    (toeplitz_hash(&ms_table, a, sizeof(a)) ^
		    toeplitz_hash(&ms_table, b, sizeof(b))))
			bad++;
	}
	ck_assert_uint_eq(bad, 0);
	memset(c, 0, sizeof(c));
	ck_assert_uint_eq(toeplitz_hash(&ms_table, c, sizeof(c)), 0);
	ck_assert_uint_eq(toeplitz_hash(&ms_table, NULL, 0), 0);
	ck_assert_uint_eq(toeplitz_hash_ref(toeplitz_ms_key, TOEPLITZ_KEY_LEN,
	    NULL, 0), 0);
}
END_TEST

/* The fixed-size helpers equal the generic hash over the laid-out tuple. */
START_TEST(test_helpers_match_hash)
{
	uint8_t src[16], dst[16], buf[TOEPLITZ_MAX_INPUT];
	uint16_t sport, dport;
	uint32_t i, bad = 0;
	size_t n;

	rng_state = RANDOM_SEED ^ 1;
	for (i = 0; i < HELPER_ROUNDS; i++) {
		random_bytes(src, sizeof(src));
		random_bytes(dst, sizeof(dst));
		sport = (uint16_t)xorshift64();
		dport = (uint16_t)xorshift64();

		n = tuple(buf, src, dst, 4, sport, dport);
		if (toeplitz_ipv4(&ms_table, src, dst) !=
		    toeplitz_hash(&ms_table, buf, TOEPLITZ_IPV4_LEN))
			bad++;
		if (toeplitz_ipv4_ports(&ms_table, src, dst, port_be(sport),
		    port_be(dport)) != toeplitz_hash(&ms_table, buf, n))
			bad++;

		n = tuple(buf, src, dst, 16, sport, dport);
		if (toeplitz_ipv6(&ms_table, src, dst) !=
		    toeplitz_hash(&ms_table, buf, TOEPLITZ_IPV6_LEN))
			bad++;
		if (toeplitz_ipv6_ports(&ms_table, src, dst, port_be(sport),
		    port_be(dport)) != toeplitz_hash(&ms_table, buf, n))
			bad++;
	}
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* The fast path hashes at most TOEPLITZ_MAX_INPUT bytes. */
START_TEST(test_long_input_clamped)
{
	uint8_t buf[TOEPLITZ_MAX_INPUT + 8];

	rng_state = RANDOM_SEED ^ 2;
	random_bytes(buf, sizeof(buf));
	ck_assert_uint_eq(toeplitz_hash(&ms_table, buf, sizeof(buf)),
	    toeplitz_hash(&ms_table, buf, TOEPLITZ_MAX_INPUT));
}
END_TEST

/* The lazily built default table is the one toeplitz_table_init builds. */
START_TEST(test_default_table)
{
	const struct toeplitz_table *def = toeplitz_default();

	ck_assert_ptr_eq(def, toeplitz_default());
	ck_assert_int_eq(memcmp(def, &ms_table, sizeof(ms_table)), 0);
	toeplitz_init_default();
	ck_assert_int_eq(memcmp(def, &ms_table, sizeof(ms_table)), 0);
}
END_TEST

/*
 * Reference == fast on RANDOM_INPUTS inputs.  Every INPUTS_PER_KEY inputs
 * the key changes: even rounds use Microsoft's key, odd ones a random key
 * whose length may fall short of len + 4 (missing bytes count as zero in
 * both versions) or run past 40.  Mismatches are counted, not asserted.
 */
START_TEST(test_ref_equals_fast_random)
{
	uint8_t key[RANDOM_KEY_MAX], data[TOEPLITZ_MAX_INPUT];
	const struct toeplitz_table *t = &ms_table;
	const uint8_t *k = toeplitz_ms_key;
	uint64_t lens_seen = 0;
	uint32_t i, mismatches = 0;
	size_t key_len = 0, len;

	rng_state = RANDOM_SEED;
	for (i = 0; i < RANDOM_INPUTS; i++) {
		if (i % INPUTS_PER_KEY == 0) {
			if ((i / INPUTS_PER_KEY) % 2 == 0) {
				k = toeplitz_ms_key;
				key_len = TOEPLITZ_KEY_LEN;
				t = &ms_table;
			} else {
				key_len = (size_t)(xorshift64() %
				    (RANDOM_KEY_MAX + 1));
				random_bytes(key, key_len);
				toeplitz_table_init(&rand_table, key, key_len);
				k = key;
				t = &rand_table;
			}
		}
		len = (size_t)(xorshift64() % (TOEPLITZ_MAX_INPUT + 1));
		lens_seen |= 1ull << len;
		random_bytes(data, len);
		if (toeplitz_hash_ref(k, key_len, data, len) !=
		    toeplitz_hash(t, data, len))
			mismatches++;
	}
	ck_assert_uint_eq(mismatches, 0);
	ck_assert_uint_eq(lens_seen, (1ull << (TOEPLITZ_MAX_INPUT + 1)) - 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("toeplitz");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ms_key_bytes);
	tcase_add_test(tc, test_ipv4_vectors);
	tcase_add_test(tc, test_ipv6_vectors);
	tcase_add_test(tc, test_single_bit_is_key_window);
	tcase_add_test(tc, test_linear_over_xor);
	tcase_add_test(tc, test_helpers_match_hash);
	tcase_add_test(tc, test_long_input_clamped);
	tcase_add_test(tc, test_default_table);
	tcase_add_test(tc, test_ref_equals_fast_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
