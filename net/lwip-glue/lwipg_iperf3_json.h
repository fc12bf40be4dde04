/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3_json.h: the iperf3 server's reader of the client's
 * parameter JSON (lwipg_iperf3_json.c).  A pure function over a buffer
 * and a caller's token array: no lwIP type, no global, no allocation, so
 * the host's unit test and fuzzer build it alone.
 *
 * Locking: none; the caller owns the buffer, the tokens and the result.
 */
#ifndef NET_LWIP_GLUE_LWIPG_IPERF3_JSON_H
#define NET_LWIP_GLUE_LWIPG_IPERF3_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * jsmn (Debian's libjsmn-dev, header-only) for jsmntok_t.  Here only its
 * declarations: lwipg_iperf3_json.c includes it first, with the
 * definitions, static and strict; the include guard makes this a no-op
 * there.
 */
#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER

/*
 * Tokens for one parameter message: iperf3 3.12 sends a flat object of
 * at most ~32 keys (65 tokens); nested values the client might add are
 * skipped, but count against this bound.
 */
#define IPERF3_JSON_TOKENS	128

/* What the server reads from the parameters (absent: the default). */
struct i3_params {
	bool		ip_tcp;		/* "tcp": true */
	bool		ip_udp;		/* "udp": true */
	bool		ip_sctp;	/* "sctp": true */
	bool		ip_reverse;	/* "reverse": true (-R) */
	bool		ip_bidir;	/* "bidirectional": true */
	bool		ip_udp64;	/* "udp_counters_64bit": 64-bit seq */
	bool		ip_server_output; /* "get_server_output" */
	uint32_t	ip_parallel;	/* "parallel", default 1 */
	uint32_t	ip_time;	/* "time": seconds, 0: none */
	uint32_t	ip_omit;	/* "omit": seconds */
	uint64_t	ip_num;		/* "num": bytes (-n), 0: none */
	uint64_t	ip_blockcount;	/* "blockcount" (-k), 0: none */
	uint32_t	ip_len;		/* "len": block/datagram size (-l) */
	uint64_t	ip_bandwidth;	/* "bandwidth": bit/s (-b), 0: none */
	uint32_t	ip_burst;	/* "burst" */
};

/*
 * Parses json[0..len) into *p.  Returns 0, or -EINVAL: not one JSON
 * object, malformed, more than ntok tokens, or a key we read with a value
 * of the wrong type (a bool that is not true/false, a number that is not
 * a non-negative integer fitting its field; a fraction is dropped).
 * Unknown keys are skipped whatever their value (nesting included).
 */
int	lwipg_i3_params_parse(const char *json, size_t len, jsmntok_t *tok,
	    unsigned ntok, struct i3_params *p);

#endif /* NET_LWIP_GLUE_LWIPG_IPERF3_JSON_H */
