/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_toeplitz.c: a host micro-benchmark of net/netisr/toeplitz.c,
 * in time-stamp-counter cycles per hash.
 *
 * Cases: the bitwise reference over an IPv4 4-tuple (12 bytes), the
 * table-driven toeplitz_hash() over the same 12 bytes and over an IPv6
 * 4-tuple (36 bytes), and, in the human output only, the fixed-size
 * helpers toeplitz_ipv4_ports() and toeplitz_ipv6_ports().
 *
 * Design: each case hashes BENCH_TUPLES distinct pseudo-random tuples in
 * turn (so the table lookups touch varied rows and columns, as real
 * traffic would), for a fixed number of hashes per run, timed with
 * lfence-fenced rdtsc.  The best of BENCH_RUNS runs is reported, which
 * discards runs disturbed by interrupts or frequency changes.  Hashes
 * are independent, so this is throughput, and it includes the loop's
 * own few instructions.  Results are XORed into a local and stored to a
 * volatile sink so no call can be dropped; the hash functions live in
 * another translation unit, so they cannot be folded either.
 *
 * The TSC ticks at a constant reference rate, so on a CPU boosting above
 * it the core-cycle cost is somewhat higher than reported.
 *
 * Usage: bench_toeplitz [--json]
 *   Human-readable lines by default; with --json one JSON object:
 *   {"toeplitz_ref_ipv4_4tuple_cycles": N,
 *    "toeplitz_fast_ipv4_4tuple_cycles": N,
 *    "toeplitz_fast_ipv6_4tuple_cycles": N}
 *
 * Locking: none; single-threaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "net/netisr/toeplitz.h"

#define BENCH_TUPLES		256	/* power of two: index by mask */
#define BENCH_TUPLE_MASK	(BENCH_TUPLES - 1)
#define BENCH_RUNS		9
#define BENCH_FAST_HASHES	(1u << 21)
#define BENCH_REF_HASHES	(1u << 16)	/* about 100x slower */
#define BENCH_SEED		0x2545f4914f6cdd1dull
#define BENCH_WARMUP_RUNS	1

struct bench_tuple {
	uint8_t		bt_v4[TOEPLITZ_IPV4_PORTS_LEN];
	uint8_t		bt_v6[TOEPLITZ_IPV6_PORTS_LEN];
	uint16_t	bt_sport_be;
	uint16_t	bt_dport_be;
};

enum bench_case {
	BENCH_REF_V4,
	BENCH_FAST_V4,
	BENCH_FAST_V6,
	BENCH_HELPER_V4,
	BENCH_HELPER_V6,
	BENCH_NCASES
};

static const char *const bench_names[BENCH_NCASES] = {
	[BENCH_REF_V4] = "reference toeplitz_hash_ref, IPv4 4-tuple",
	[BENCH_FAST_V4] = "fast toeplitz_hash, IPv4 4-tuple (12 B)",
	[BENCH_FAST_V6] = "fast toeplitz_hash, IPv6 4-tuple (36 B)",
	[BENCH_HELPER_V4] = "fast toeplitz_ipv4_ports",
	[BENCH_HELPER_V6] = "fast toeplitz_ipv6_ports",
};

static struct bench_tuple bench_tuples[BENCH_TUPLES];
static struct toeplitz_table bench_table;
static volatile uint32_t bench_sink;
static uint64_t bench_rng = BENCH_SEED;

static uint64_t
bench_xorshift(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return bench_rng;
}

static void
bench_fill(void)
{
	struct bench_tuple *bt;
	size_t i, j;

	for (i = 0; i < BENCH_TUPLES; i++) {
		bt = &bench_tuples[i];
		for (j = 0; j < sizeof(bt->bt_v4); j++)
			bt->bt_v4[j] = (uint8_t)bench_xorshift();
		for (j = 0; j < sizeof(bt->bt_v6); j++)
			bt->bt_v6[j] = (uint8_t)bench_xorshift();
		/* The ports as a header load would give them. */
		memcpy(&bt->bt_sport_be, bt->bt_v6 + TOEPLITZ_IPV6_LEN,
		    sizeof(bt->bt_sport_be));
		memcpy(&bt->bt_dport_be, bt->bt_v6 + TOEPLITZ_IPV6_LEN +
		    TOEPLITZ_PORT_LEN, sizeof(bt->bt_dport_be));
	}
}

/* The time-stamp counter, fenced so earlier and later work stay out. */
static inline uint64_t
bench_tsc(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

/* One timed run of n hashes of case c; returns elapsed TSC cycles. */
static uint64_t
bench_run(enum bench_case c, uint32_t n)
{
	const struct toeplitz_table *t = &bench_table;
	const struct bench_tuple *bt;
	uint64_t start, end;
	uint32_t i, h = 0;

	start = bench_tsc();
	switch (c) {
	case BENCH_REF_V4:
		for (i = 0; i < n; i++) {
			bt = &bench_tuples[i & BENCH_TUPLE_MASK];
			h ^= toeplitz_hash_ref(toeplitz_ms_key,
			    TOEPLITZ_KEY_LEN, bt->bt_v4, sizeof(bt->bt_v4));
		}
		break;
	case BENCH_FAST_V4:
		for (i = 0; i < n; i++) {
			bt = &bench_tuples[i & BENCH_TUPLE_MASK];
			h ^= toeplitz_hash(t, bt->bt_v4, sizeof(bt->bt_v4));
		}
		break;
	case BENCH_FAST_V6:
		for (i = 0; i < n; i++) {
			bt = &bench_tuples[i & BENCH_TUPLE_MASK];
			h ^= toeplitz_hash(t, bt->bt_v6, sizeof(bt->bt_v6));
		}
		break;
	case BENCH_HELPER_V4:
		for (i = 0; i < n; i++) {
			bt = &bench_tuples[i & BENCH_TUPLE_MASK];
			h ^= toeplitz_ipv4_ports(t, bt->bt_v4,
			    bt->bt_v4 + TOEPLITZ_IPV4_ADDR_LEN,
			    bt->bt_sport_be, bt->bt_dport_be);
		}
		break;
	case BENCH_HELPER_V6:
		for (i = 0; i < n; i++) {
			bt = &bench_tuples[i & BENCH_TUPLE_MASK];
			h ^= toeplitz_ipv6_ports(t, bt->bt_v6,
			    bt->bt_v6 + TOEPLITZ_IPV6_ADDR_LEN,
			    bt->bt_sport_be, bt->bt_dport_be);
		}
		break;
	default:
		break;
	}
	end = bench_tsc();
	bench_sink = h;
	return end - start;
}

/* Best of BENCH_RUNS runs, in cycles per hash, rounded to nearest. */
static uint64_t
bench_case(enum bench_case c)
{
	uint32_t n = c == BENCH_REF_V4 ? BENCH_REF_HASHES : BENCH_FAST_HASHES;
	uint64_t best = UINT64_MAX, d;
	int r;

	for (r = 0; r < BENCH_WARMUP_RUNS; r++)
		(void)bench_run(c, n);
	for (r = 0; r < BENCH_RUNS; r++) {
		d = bench_run(c, n);
		if (d < best)
			best = d;
	}
	return (best + n / 2) / n;
}

/* The same vector the unit test checks, so a broken build shows here. */
static int
bench_selfcheck(void)
{
	static const uint8_t v4[TOEPLITZ_IPV4_PORTS_LEN] = {
		66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6,
	};
	const uint32_t want = 0x51ccc178;

	return toeplitz_hash(&bench_table, v4, sizeof(v4)) == want &&
	    toeplitz_hash_ref(toeplitz_ms_key, TOEPLITZ_KEY_LEN, v4,
	    sizeof(v4)) == want ? 0 : -1;
}

int
main(int argc, char **argv)
{
	uint64_t cyc[BENCH_NCASES];
	int json = 0, c;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [--json]\n", argv[0]);
		return 2;
	}
	toeplitz_table_init(&bench_table, toeplitz_ms_key, TOEPLITZ_KEY_LEN);
	if (bench_selfcheck() != 0) {
		fprintf(stderr, "bench_toeplitz: wrong hash for the "
		    "Microsoft IPv4 vector\n");
		return 1;
	}
	bench_fill();
	for (c = 0; c < BENCH_NCASES; c++)
		cyc[c] = bench_case((enum bench_case)c);

	if (json) {
		printf("{\"toeplitz_ref_ipv4_4tuple_cycles\": %llu, "
		    "\"toeplitz_fast_ipv4_4tuple_cycles\": %llu, "
		    "\"toeplitz_fast_ipv6_4tuple_cycles\": %llu}\n",
		    (unsigned long long)cyc[BENCH_REF_V4],
		    (unsigned long long)cyc[BENCH_FAST_V4],
		    (unsigned long long)cyc[BENCH_FAST_V6]);
		return 0;
	}
	for (c = 0; c < BENCH_NCASES; c++)
		printf("%-44s %6llu cycles/hash\n", bench_names[c],
		    (unsigned long long)cyc[c]);
	printf("(TSC reference cycles, best of %d runs; table %zu bytes)\n",
	    BENCH_RUNS, sizeof(bench_table));
	return 0;
}
