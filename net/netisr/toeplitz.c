/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * toeplitz.c: the Toeplitz RSS hash, a bitwise reference and a
 * table-driven fast path (see toeplitz.h for the definition).
 *
 * The reference keeps the current 32-bit key window in a register: it
 * starts as key bytes 0..3, and after each input bit it shifts left by
 * one, taking in the next key bit from the byte four past the current
 * input byte.  Each set input bit XORs the window into the result.
 *
 * The table for input offset i is built from the 40 key bits starting at
 * byte i: the bit of value 1 << k in that input byte selects the window
 * (bits >> (k + 1)), truncated to 32 bits.  Because the hash is linear
 * over XOR, the entry for a byte value is the XOR of the entries of its
 * bits, so each row is filled by doubling: entries [m, 2m) are entries
 * [0, m) XOR the window of bit m.  That is 255 XORs a row, 9180 for the
 * whole table, cheap enough to build at boot.
 *
 * The fast path is then one load per input byte.  The fixed-size helpers
 * spell out every lookup with constant row offsets so the compiler emits
 * straight-line loads with no loop or length checks, and toeplitz_hash()
 * dispatches the four tuple lengths to the same code; other lengths go
 * through a loop with four independent XOR chains so loads can overlap.
 *
 * Locking: toeplitz_table_init() writes its table and nothing else; the
 * hash functions only read.  See toeplitz.h for the default table.
 */
#include "net/netisr/toeplitz.h"

#include <stdbool.h>

#define TOEPLITZ_BITS_PER_BYTE	8
#define TOEPLITZ_UNROLL		4	/* independent XOR chains in the loop */

/* Bytes a window needs beyond its first: the 40-bit span of one row. */
#define TOEPLITZ_ROW_SPAN	(TOEPLITZ_WINDOW_BYTES + 1)

const uint8_t toeplitz_ms_key[TOEPLITZ_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static struct toeplitz_table toeplitz_default_table;
static bool toeplitz_default_ready;

/* Key byte i, or zero past the end of the key. */
static inline uint32_t
toeplitz_key_byte(const uint8_t *key, size_t key_len, size_t i)
{
	return i < key_len ? key[i] : 0;
}

/*
 * The definition: for each set bit of data, most significant bit of the
 * first byte first, XOR in the 32 key bits starting at that bit.
 */
uint32_t
toeplitz_hash_ref(const uint8_t *key, size_t key_len, const uint8_t *data,
    size_t len)
{
	uint32_t hash = 0, window = 0, next;
	size_t i;
	int bit;

	for (i = 0; i < TOEPLITZ_WINDOW_BYTES; i++)
		window = window << TOEPLITZ_BITS_PER_BYTE |
		    toeplitz_key_byte(key, key_len, i);
	for (i = 0; i < len; i++) {
		next = toeplitz_key_byte(key, key_len,
		    i + TOEPLITZ_WINDOW_BYTES);
		for (bit = TOEPLITZ_BITS_PER_BYTE - 1; bit >= 0; bit--) {
			if ((data[i] >> bit) & 1)
				hash ^= window;
			window = window << 1 | ((next >> bit) & 1);
		}
	}
	return hash;
}

/* Fills one row: the contribution of every value of input byte pos. */
static void
toeplitz_row_init(uint32_t *row, const uint8_t *key, size_t key_len,
    size_t pos)
{
	uint64_t span = 0;
	uint32_t window, m, v;
	int k;

	for (k = 0; k < TOEPLITZ_ROW_SPAN; k++)
		span = span << TOEPLITZ_BITS_PER_BYTE |
		    toeplitz_key_byte(key, key_len, pos + (size_t)k);
	row[0] = 0;
	for (k = 0; k < TOEPLITZ_BITS_PER_BYTE; k++) {
		/* Value 1 << k is bit 7 - k: span >> (8 - (7 - k)). */
		window = (uint32_t)(span >> (k + 1));
		m = 1u << k;
		for (v = 0; v < m; v++)
			row[m + v] = row[v] ^ window;
	}
}

void
toeplitz_table_init(struct toeplitz_table *t, const uint8_t *key,
    size_t key_len)
{
	size_t pos;

	for (pos = 0; pos < TOEPLITZ_MAX_INPUT; pos++)
		toeplitz_row_init(t->tt_tab[pos], key, key_len, pos);
}

/* The contribution of four bytes p[0..3] at input offset off. */
static inline uint32_t
toeplitz_four(const struct toeplitz_table *t, size_t off, const uint8_t *p)
{
	return (t->tt_tab[off][p[0]] ^ t->tt_tab[off + 1][p[1]]) ^
	    (t->tt_tab[off + 2][p[2]] ^ t->tt_tab[off + 3][p[3]]);
}

/* The contribution of sixteen bytes p[0..15] at input offset off. */
static inline uint32_t
toeplitz_sixteen(const struct toeplitz_table *t, size_t off,
    const uint8_t *p)
{
	return (toeplitz_four(t, off, p) ^ toeplitz_four(t, off + 4, p + 4)) ^
	    (toeplitz_four(t, off + 8, p + 8) ^
	    toeplitz_four(t, off + 12, p + 12));
}

/*
 * Hashes data[0..len); bytes past TOEPLITZ_MAX_INPUT are ignored.  The
 * four tuple lengths take straight-line code; others the unrolled loop.
 */
uint32_t
toeplitz_hash(const struct toeplitz_table *t, const uint8_t *data,
    size_t len)
{
	uint32_t h0 = 0, h1 = 0, h2 = 0, h3 = 0;
	size_t i = 0;

	switch (len) {
	case TOEPLITZ_IPV4_LEN:
		return toeplitz_four(t, 0, data) ^ toeplitz_four(t,
		    TOEPLITZ_IPV4_ADDR_LEN, data + TOEPLITZ_IPV4_ADDR_LEN);
	case TOEPLITZ_IPV4_PORTS_LEN:
		return toeplitz_four(t, 0, data) ^ (toeplitz_four(t,
		    TOEPLITZ_IPV4_ADDR_LEN, data + TOEPLITZ_IPV4_ADDR_LEN) ^
		    toeplitz_four(t, TOEPLITZ_IPV4_LEN,
		    data + TOEPLITZ_IPV4_LEN));
	case TOEPLITZ_IPV6_LEN:
		return toeplitz_sixteen(t, 0, data) ^ toeplitz_sixteen(t,
		    TOEPLITZ_IPV6_ADDR_LEN, data + TOEPLITZ_IPV6_ADDR_LEN);
	case TOEPLITZ_IPV6_PORTS_LEN:
		return toeplitz_sixteen(t, 0, data) ^ (toeplitz_sixteen(t,
		    TOEPLITZ_IPV6_ADDR_LEN, data + TOEPLITZ_IPV6_ADDR_LEN) ^
		    toeplitz_four(t, TOEPLITZ_IPV6_LEN,
		    data + TOEPLITZ_IPV6_LEN));
	default:
		break;
	}
	if (len > TOEPLITZ_MAX_INPUT)
		len = TOEPLITZ_MAX_INPUT;
	for (; i + TOEPLITZ_UNROLL <= len; i += TOEPLITZ_UNROLL) {
		h0 ^= t->tt_tab[i][data[i]];
		h1 ^= t->tt_tab[i + 1][data[i + 1]];
		h2 ^= t->tt_tab[i + 2][data[i + 2]];
		h3 ^= t->tt_tab[i + 3][data[i + 3]];
	}
	switch (len - i) {
	case 3:
		h2 ^= t->tt_tab[i + 2][data[i + 2]];
		/* FALLTHROUGH */
	case 2:
		h1 ^= t->tt_tab[i + 1][data[i + 1]];
		/* FALLTHROUGH */
	case 1:
		h0 ^= t->tt_tab[i][data[i]];
		break;
	default:
		break;
	}
	return (h0 ^ h1) ^ (h2 ^ h3);
}

/* Builds the table for Microsoft's key; call once at boot, before SMP. */
void
toeplitz_init_default(void)
{
	toeplitz_table_init(&toeplitz_default_table, toeplitz_ms_key,
	    TOEPLITZ_KEY_LEN);
	__atomic_store_n(&toeplitz_default_ready, true, __ATOMIC_RELEASE);
}

/*
 * The table for Microsoft's key.  Builds it if toeplitz_init_default()
 * has not run, which is only safe single-threaded (host tests, early
 * boot); once built it is read-only and shared by every CPU.
 */
const struct toeplitz_table *
toeplitz_default(void)
{
	if (!__atomic_load_n(&toeplitz_default_ready, __ATOMIC_ACQUIRE))
		toeplitz_init_default();
	return &toeplitz_default_table;
}

/*
 * The contribution of both ports at input offset off.  Each port is the
 * uint16_t as loaded from the header, so its bytes in memory are already
 * in wire order on any host; hash them in that order.
 */
static inline uint32_t
toeplitz_ports(const struct toeplitz_table *t, size_t off, uint16_t sport_be,
    uint16_t dport_be)
{
	const uint8_t *sp = (const uint8_t *)&sport_be;
	const uint8_t *dp = (const uint8_t *)&dport_be;

	return (t->tt_tab[off][sp[0]] ^ t->tt_tab[off + 1][sp[1]]) ^
	    (t->tt_tab[off + 2][dp[0]] ^ t->tt_tab[off + 3][dp[1]]);
}

/* Source address, then destination: Microsoft's 2-tuple IPv4 input. */
uint32_t
toeplitz_ipv4(const struct toeplitz_table *t, const uint8_t src[4],
    const uint8_t dst[4])
{
	return toeplitz_four(t, 0, src) ^
	    toeplitz_four(t, TOEPLITZ_IPV4_ADDR_LEN, dst);
}

/* Addresses, then source port, then destination port: the 4-tuple. */
uint32_t
toeplitz_ipv4_ports(const struct toeplitz_table *t, const uint8_t src[4],
    const uint8_t dst[4], uint16_t sport_be, uint16_t dport_be)
{
	return toeplitz_ipv4(t, src, dst) ^
	    toeplitz_ports(t, TOEPLITZ_IPV4_LEN, sport_be, dport_be);
}

uint32_t
toeplitz_ipv6(const struct toeplitz_table *t, const uint8_t src[16],
    const uint8_t dst[16])
{
	return toeplitz_sixteen(t, 0, src) ^
	    toeplitz_sixteen(t, TOEPLITZ_IPV6_ADDR_LEN, dst);
}

uint32_t
toeplitz_ipv6_ports(const struct toeplitz_table *t, const uint8_t src[16],
    const uint8_t dst[16], uint16_t sport_be, uint16_t dport_be)
{
	return toeplitz_ipv6(t, src, dst) ^
	    toeplitz_ports(t, TOEPLITZ_IPV6_LEN, sport_be, dport_be);
}
