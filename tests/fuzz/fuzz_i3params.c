/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/fuzz/fuzz_i3params.c: libFuzzer target for the iperf3 server's
 * parameter reader (net/lwip-glue/lwipg_iperf3_json.c, over jsmn): any
 * bytes as the parameter message a client sends.
 *
 * Design: the first input byte picks the size of the token array (1 to
 * IPERF3_JSON_TOKENS), the rest is the message, copied into a buffer of
 * exactly its length (no NUL), so AddressSanitizer reports any read past
 * it.  The harness then checks what the reader promises: 0 or -EINVAL
 * and nothing else; every token it reports lies within the message; a
 * message read with n tokens reads the same with IPERF3_JSON_TOKENS
 * (more room never changes the answer); and the same input read twice
 * gives the same result.  Seeds: tests/fuzz/corpus/fuzz_i3params/
 * (messages of Debian's iperf3 3.12 client and nested variants).
 *
 * Locking: none; libFuzzer runs one input at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "net/lwip-glue/lwipg_iperf3_json.h"

static jsmntok_t tok[IPERF3_JSON_TOKENS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct i3_params a, b;
	unsigned ntok, i;
	char *msg;
	int r, r2;

	if (size < 1)
		return 0;
	ntok = 1 + data[0] % IPERF3_JSON_TOKENS;
	size--;
	if ((msg = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(msg, data + 1, size);
	memset(tok, 0, sizeof(tok));	/* unused tokens stay UNDEFINED */
	r = lwipg_i3_params_parse(msg, size, tok, ntok, &a);
	if (r != 0 && r != -EINVAL)
		abort();
	if (r == 0) {
		for (i = 0; i < ntok && tok[i].type != JSMN_UNDEFINED; i++)
			if (tok[i].start < 0 || tok[i].end < tok[i].start ||
			    (size_t)tok[i].end > size)
				abort();
		if (a.ip_parallel == 0 && !memchr(msg, '0', size))
			abort();	/* 0 must have been in the text */
		r2 = lwipg_i3_params_parse(msg, size, tok, IPERF3_JSON_TOKENS,
		    &b);
		if (r2 != 0 || memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	}
	r2 = lwipg_i3_params_parse(msg, size, tok, ntok, &b);
	if (r2 != r || (r == 0 && memcmp(&a, &b, sizeof(a)) != 0))
		abort();
	free(msg);
	return 0;
}
