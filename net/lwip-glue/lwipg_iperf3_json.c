/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3_json.c: reads the iperf3 client's parameter message (a
 * JSON object) with jsmn, Debian's header-only tokenizer: no allocation,
 * a bounded token array from the caller, no libc beyond what the
 * freestanding kernel has.
 *
 * jsmn turns the text into a flat array of tokens in document order;
 * each token's `size` is its number of direct children (an object's
 * keys, an array's items, a key's one value).  A subtree is therefore
 * skipped by walking forward while children remain to be seen
 * (i3_json_skip), which handles any nesting within the token bound.  We
 * read top-level keys only: the ones the server needs, by name; every
 * other key is skipped with its value.  Keys and values are compared and
 * converted within their token's bounds, never past them.
 *
 * Locking: none (a pure function; the caller owns its arguments).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "kernel/errno.h"
#include "net/lwip-glue/lwipg_iperf3_json.h"

/* Index past the value that starts at token i (all its descendants). */
static unsigned
i3_json_skip(const jsmntok_t *t, unsigned i, unsigned n)
{
	unsigned pending = 1;

	while (pending > 0 && i < n) {
		pending += (unsigned)t[i].size;
		pending--;
		i++;
	}
	return i;
}

static bool
i3_json_is(const char *js, const jsmntok_t *t, const char *key)
{
	int i, len = t->end - t->start;

	for (i = 0; i < len; i++)
		if (key[i] == '\0' || key[i] != js[t->start + i])
			return false;
	return key[len] == '\0';
}

/*
 * A flag into *v.  iperf3 sends "tcp", "udp", "reverse" ... as true and
 * "udp_counters_64bit", "get_server_output" as 1, and its server tests
 * only that the key is there; we take true or a number as set, false,
 * null or 0 as clear, and -EINVAL for a string, object or array.
 */
static int
i3_json_bool(const char *js, const jsmntok_t *t, bool *v)
{
	if (t->type != JSMN_PRIMITIVE)
		return -EINVAL;
	if (i3_json_is(js, t, "true"))
		*v = true;
	else if (i3_json_is(js, t, "false") || i3_json_is(js, t, "null") ||
	    i3_json_is(js, t, "0"))
		*v = false;
	else if (js[t->start] == '-' ||
	    (js[t->start] >= '0' && js[t->start] <= '9'))
		*v = true;
	else
		return -EINVAL;
	return 0;
}

/*
 * A non-negative integer up to max into *v (a fraction is dropped);
 * -EINVAL for a sign, an exponent, anything else, or more than max.
 */
static int
i3_json_uint(const char *js, const jsmntok_t *t, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	int i = t->start;
	unsigned d;

	if (t->type != JSMN_PRIMITIVE || i >= t->end || js[i] < '0' ||
	    js[i] > '9')
		return -EINVAL;
	for (; i < t->end && js[i] >= '0' && js[i] <= '9'; i++) {
		d = (unsigned)(js[i] - '0');
		if (n > (max - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	if (i < t->end && js[i] == '.')
		for (i++; i < t->end && js[i] >= '0' && js[i] <= '9'; i++)
			;
	if (i != t->end)
		return -EINVAL;
	*v = n;
	return 0;
}

static int
i3_json_u32(const char *js, const jsmntok_t *t, uint32_t *v)
{
	uint64_t n;
	int r;

	if ((r = i3_json_uint(js, t, UINT32_MAX, &n)) == 0)
		*v = (uint32_t)n;
	return r;
}

/* One top-level key k (its value is token k + 1). */
static int
i3_json_key(const char *js, const jsmntok_t *k, struct i3_params *p)
{
	const jsmntok_t *v = k + 1;

	if (i3_json_is(js, k, "tcp"))
		return i3_json_bool(js, v, &p->ip_tcp);
	if (i3_json_is(js, k, "udp"))
		return i3_json_bool(js, v, &p->ip_udp);
	if (i3_json_is(js, k, "sctp"))
		return i3_json_bool(js, v, &p->ip_sctp);
	if (i3_json_is(js, k, "reverse"))
		return i3_json_bool(js, v, &p->ip_reverse);
	if (i3_json_is(js, k, "bidirectional"))
		return i3_json_bool(js, v, &p->ip_bidir);
	if (i3_json_is(js, k, "udp_counters_64bit"))
		return i3_json_bool(js, v, &p->ip_udp64);
	if (i3_json_is(js, k, "get_server_output"))
		return i3_json_bool(js, v, &p->ip_server_output);
	if (i3_json_is(js, k, "parallel"))
		return i3_json_u32(js, v, &p->ip_parallel);
	if (i3_json_is(js, k, "time"))
		return i3_json_u32(js, v, &p->ip_time);
	if (i3_json_is(js, k, "omit"))
		return i3_json_u32(js, v, &p->ip_omit);
	if (i3_json_is(js, k, "len"))
		return i3_json_u32(js, v, &p->ip_len);
	if (i3_json_is(js, k, "burst"))
		return i3_json_u32(js, v, &p->ip_burst);
	if (i3_json_is(js, k, "num"))
		return i3_json_uint(js, v, UINT64_MAX, &p->ip_num);
	if (i3_json_is(js, k, "blockcount"))
		return i3_json_uint(js, v, UINT64_MAX, &p->ip_blockcount);
	if (i3_json_is(js, k, "bandwidth"))
		return i3_json_uint(js, v, UINT64_MAX, &p->ip_bandwidth);
	return 0;		/* not ours: skipped */
}

int
lwipg_i3_params_parse(const char *json, size_t len, jsmntok_t *tok,
    unsigned ntok, struct i3_params *p)
{
	jsmn_parser parser;
	unsigned i, n, keys;
	int r;

	*p = (struct i3_params){ .ip_parallel = 1 };
	if (len > INT32_MAX)
		return -EINVAL;
	jsmn_init(&parser);
	r = jsmn_parse(&parser, json, len, tok, ntok);
	if (r < 1 || tok[0].type != JSMN_OBJECT)
		return -EINVAL;
	n = (unsigned)r;
	i = 1;
	for (keys = 0; keys < (unsigned)tok[0].size; keys++) {
		/* A key is a string with one value, which must be there. */
		if (i + 1 >= n || tok[i].type != JSMN_STRING || tok[i].size != 1)
			return -EINVAL;
		if ((r = i3_json_key(json, &tok[i], p)) != 0)
			return r;
		i = i3_json_skip(tok, i + 1, n);
	}
	return i == n ? 0 : -EINVAL;	/* one object, nothing after it */
}
