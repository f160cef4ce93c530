/*
 * fuzz_http: the HTTP response head parser and the chunked decoder.
 * The first byte picks the target and, for the decoder, the output room.
 */
#include <stdint.h>
#include <string.h>

#include "http_min.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	hm_head h;
	hm_err e;
	hm_body b;
	unsigned char out[256];
	size_t pos = 0, used, made, cap, step;
	int r, stuck = 0;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		hm_parse_head((const char *)data + 1, size - 1, &h, &e);
		return 0;
	}
	cap = 1 + (data[0] >> 1) % sizeof out;
	step = 1 + (data[0] >> 4);
	memset(&b, 0, sizeof b);
	b.mode = 1;
	data++;
	size--;
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;
		r = hm_chunk_decode(&b, data + pos, n, &used, out, cap, &made,
		    &e);
		if (r < 0 || r == 1)
			break;
		if (used > n || made > cap)
			__builtin_trap();
		pos += used;
		if (used == 0 && made == 0 && ++stuck > 2)
			__builtin_trap(); /* no progress */
		if (used || made)
			stuck = 0;
	}
	return 0;
}
