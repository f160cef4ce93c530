/*
 * fuzz_gz_roundtrip: gz_deflate, then gz_inflate and zlib give the input
 * back.  The output fits gz_deflate_bound exactly allocated, and one byte
 * less room (allocated exactly too: ASan sees any write past it) is
 * refused with GZ_ELIMIT.  (Determinism is checked by the suite, over the
 * corpus.)
 *
 * The first byte b chooses how the rest is laid out: when b >= 0xf0, the
 * input is the rest (b & 15) + 2 times over, each copy with one byte
 * changed every 61 + (b & 7) * 97 bytes, up to 64 KiB: long matches,
 * distances to the window's end, blocks that end on a full symbol buffer,
 * near misses.  Else it is the rest once (most runs: they are faster).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gz_min.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

#define MAXIN ((size_t)64 << 10)

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	uint8_t *in, *g, *g2, *back;
	size_t len = 0, k, i, every, cap, gl, gl2, bl;
	gz_err e;
	z_stream z;
	int r;

	if (size < 1)
		return 0;
	k = data[0] >= 0xf0 ? (size_t)(data[0] & 15) + 2 : 1;
	every = 61 + (size_t)(data[0] & 7) * 97;
	data++;
	size--;
	if (size * k > MAXIN)
		k = size > 0 ? MAXIN / size : 1;
	if (k == 0)
		k = 1;
	in = malloc(size * k + 1);
	for (i = 0; i < k; i++) {
		memcpy(in + len, data, size);
		if (i > 0 && size > 0)
			in[len + (i * every) % size] ^= (uint8_t)i;
		len += size;
	}
	cap = gz_deflate_bound(len);
	g = malloc(cap);
	back = malloc(len + 1);
	if (gz_deflate(in, len, g, cap, &gl, &e) != 0 || gl > cap)
		__builtin_trap();
	g2 = malloc(gl - 1);
	if (gz_deflate(in, len, g2, gl - 1, &gl2, &e) == 0 ||
	    e.code != GZ_ELIMIT)
		__builtin_trap();
	if (gz_inflate(g, gl, back, len, &bl, &e) != 0 || bl != len ||
	    memcmp(back, in, len) != 0)
		__builtin_trap();
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 31) != Z_OK)
		__builtin_trap();
	z.next_in = g;
	z.avail_in = (uInt)gl;
	z.next_out = back;
	z.avail_out = (uInt)len + 1;
	r = inflate(&z, Z_FINISH);
	if (r != Z_STREAM_END || z.total_out != len || z.avail_in != 0 ||
	    memcmp(back, in, len) != 0)
		__builtin_trap();
	inflateEnd(&z);
	free(in);
	free(g);
	free(g2);
	free(back);
	return 0;
}
