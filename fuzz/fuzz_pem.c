/*
 * fuzz_pem: PEM trust anchors, client chains and private keys, and base64.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_min.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	hm_creds cr;
	hm_err e;
	unsigned char *out;
	char *enc;
	long n;

	memset(&cr, 0, sizeof cr);
	hm_pem_trust(&cr, (const char *)data, size, &e);
	hm_pem_chain(&cr, (const char *)data, size, &e);
	hm_pem_key(&cr, (const char *)data, size, &e);
	hm_creds_free(&cr);
	out = malloc(size + 1);
	enc = malloc(4 * (size / 3 + 2) + 1);
	if (out != NULL && enc != NULL) {
		n = hm_b64_decode((const char *)data, size, out, size);
		if (n > (long)size)
			__builtin_trap();
		if (n >= 0) {
			/* Round trip: encoding what was decoded decodes back. */
			size_t el = hm_b64_encode(out, (size_t)n, enc);
			unsigned char *back = malloc((size_t)n + 1);
			if (back != NULL) {
				if (hm_b64_decode(enc, el, back, (size_t)n)
				    != n || memcmp(back, out, (size_t)n) != 0)
					__builtin_trap();
				free(back);
			}
		}
	}
	free(out);
	free(enc);
	return 0;
}
