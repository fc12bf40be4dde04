/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * toeplitz.h: the Toeplitz receive-side-scaling hash of Microsoft's RSS
 * specification, as NICs compute it over a packet's addresses and ports.
 *
 * The hash of an input string under a key: for every bit of the input
 * that is set, counting from the most significant bit of the first byte,
 * XOR in the 32-bit window of the key that starts at the same bit offset.
 * Bit i of the input therefore needs key bits i..i+31, and an input of n
 * bytes needs n + 4 key bytes; the standard 40-byte key covers 36 bytes,
 * an IPv6 address pair with both ports.
 *
 * toeplitz_hash_ref() follows that definition bit by bit and is the
 * oracle.  The fast path precomputes, for every input byte position and
 * every byte value, the XOR of the windows that byte would select, so a
 * hash is one table lookup per input byte, XORed together (12 lookups for
 * an IPv4 4-tuple).  A table is TOEPLITZ_MAX_INPUT * 256 words, 36 KiB.
 *
 * Key bytes past the end of a short key count as zero, in both versions,
 * so they agree for every key length.  Inputs longer than the table are
 * cut to TOEPLITZ_MAX_INPUT bytes by the fast path.
 *
 * All input is in network byte order as it sits in the packet, source
 * before destination: addresses, then ports.  The *_ports() helpers take
 * each port as the raw uint16_t loaded from the transport header (for
 * example th->th_sport) without ntohs(); its bytes are hashed in memory
 * order, which is the wire order on any host.
 *
 * Portable C: also built into the host unit tests and the benchmark.
 *
 * Locking: a table is written only by toeplitz_table_init() and is read
 * only afterwards, by any number of CPUs at once, without locks.  The
 * default table is built by toeplitz_init_default(), which boot calls
 * before other CPUs start; toeplitz_default() builds it on first use if
 * boot has not, which is safe only while a single thread runs.
 */
#ifndef NET_NETISR_TOEPLITZ_H
#define NET_NETISR_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

#define TOEPLITZ_KEY_LEN	40	/* Microsoft's key: 36 input bytes */
#define TOEPLITZ_WINDOW_BYTES	4	/* a 32-bit window spans 4 key bytes */
#define TOEPLITZ_MAX_INPUT	36	/* IPv6 addresses and both ports */
#define TOEPLITZ_BYTE_VALUES	256

#define TOEPLITZ_IPV4_ADDR_LEN	4
#define TOEPLITZ_IPV6_ADDR_LEN	16
#define TOEPLITZ_PORT_LEN	2
#define TOEPLITZ_IPV4_LEN	(2 * TOEPLITZ_IPV4_ADDR_LEN)		/* 8 */
#define TOEPLITZ_IPV4_PORTS_LEN	(TOEPLITZ_IPV4_LEN + 2 * TOEPLITZ_PORT_LEN)
#define TOEPLITZ_IPV6_LEN	(2 * TOEPLITZ_IPV6_ADDR_LEN)		/* 32 */
#define TOEPLITZ_IPV6_PORTS_LEN	(TOEPLITZ_IPV6_LEN + 2 * TOEPLITZ_PORT_LEN)

/* tt_tab[i][v]: the hash contribution of byte value v at input offset i. */
struct toeplitz_table {
	uint32_t	tt_tab[TOEPLITZ_MAX_INPUT][TOEPLITZ_BYTE_VALUES];
};

/* 6d5a56da 255b0ec2 4167253d 43a38fb0 d0ca2bcb ae7b30b4 77cb2da3 ... */
extern const uint8_t toeplitz_ms_key[TOEPLITZ_KEY_LEN];

/*
 * The definition, bit by bit, over data[0..len) under key[0..key_len).
 * Meant for len <= key_len - 4; key bytes past key_len count as zero.
 * A few cycles an input bit: the oracle, not for the packet path.
 */
uint32_t toeplitz_hash_ref(const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t len);

/*
 * Fills t for key[0..key_len) (zero-padded, as above).  Any key length
 * is accepted; only the first TOEPLITZ_MAX_INPUT + 4 bytes matter.
 */
void	 toeplitz_table_init(struct toeplitz_table *t, const uint8_t *key,
	    size_t key_len);

/*
 * The hash of data[0..len) under t's key, equal to toeplitz_hash_ref()
 * for len <= TOEPLITZ_MAX_INPUT; longer input is cut to that length.
 */
uint32_t toeplitz_hash(const struct toeplitz_table *t, const uint8_t *data,
	    size_t len);

/*
 * The table for toeplitz_ms_key.  toeplitz_init_default() builds it and
 * is meant for boot, before other CPUs start; toeplitz_default() returns
 * it, building it first if nobody has (safe only single-threaded).
 */
void	 toeplitz_init_default(void);
const struct toeplitz_table *toeplitz_default(void);

/*
 * Fixed-size inputs, straight-line lookups.  Addresses point at the
 * header bytes; ports are the raw network-order uint16_t of the header.
 * The orders are Microsoft's: src addr, dst addr, src port, dst port.
 */
uint32_t toeplitz_ipv4(const struct toeplitz_table *t, const uint8_t src[4],
	    const uint8_t dst[4]);
uint32_t toeplitz_ipv4_ports(const struct toeplitz_table *t,
	    const uint8_t src[4], const uint8_t dst[4], uint16_t sport_be,
	    uint16_t dport_be);
uint32_t toeplitz_ipv6(const struct toeplitz_table *t, const uint8_t src[16],
	    const uint8_t dst[16]);
uint32_t toeplitz_ipv6_ports(const struct toeplitz_table *t,
	    const uint8_t src[16], const uint8_t dst[16], uint16_t sport_be,
	    uint16_t dport_be);

#endif /* NET_NETISR_TOEPLITZ_H */
