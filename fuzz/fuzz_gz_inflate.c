/*
 * fuzz_gz_inflate: gz_inflate against zlib on the same bytes.  zlib is
 * the oracle (linked here and in the replay, never into hookctl).
 *
 * The first byte chooses what the rest is:
 *  - even: a gzip stream.  gz_inflate and zlib (gzip members one after
 *    the other) must both refuse it, or both accept it with the same
 *    bytes; gz_inflate_alloc must say what gz_inflate says.
 *  - odd: raw DEFLATE data, so that mutations reach the block decoder
 *    without having to get a CRC right.  zlib inflates it raw; when it
 *    accepts a prefix, that prefix gets a gzip header and a trailer made
 *    with zlib's crc32, and gz_inflate must give the same bytes; when it
 *    refuses, the data with a header and no trailer must be refused.
 * The output limit is 64 KiB, or the first byte's bits 1-7 times 64
 * bytes when bit 7 is set (small limits meet the limit checks).
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

#define CAP ((size_t)64 << 10)

/*
 * zlib's verdict, members one after the other (wbits 31), or raw (wbits
 * -15, one stream, *used set to the bytes it took): 0 accepted, -1
 * refused, 1 over cap.  out has room for cap + 1 bytes.
 */
static int
zlib_inflate(const uint8_t *in, size_t len, int wbits, uint8_t *out,
    size_t cap, size_t *outlen, size_t *used)
{
	z_stream z;
	int r, v = -1;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, wbits) != Z_OK)
		__builtin_trap();
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)(cap + 1);
	while (len > 0) {
		r = inflate(&z, Z_NO_FLUSH);
		if ((size_t)(z.next_out - out) > cap) {
			v = 1;
			break;
		}
		if (r == Z_STREAM_END) {
			if (wbits < 0 || z.avail_in == 0) {
				v = 0;
				break;
			}
			inflateReset(&z);
			continue;
		}
		if (r != Z_OK)
			break;
	}
	*outlen = (size_t)(z.next_out - out);
	if (used != NULL)
		*used = len - z.avail_in;
	inflateEnd(&z);
	return v;
}

/* gz_inflate's verdict, checked against gz_inflate_alloc's. */
static int
mine(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	gz_err e, e2;
	unsigned char *a;
	size_t alen;
	int r = gz_inflate(in, len, out, cap, outlen, &e);
	int r2 = gz_inflate_alloc(in, len, cap, &a, &alen, &e2);

	if (r != r2 || e.code != e2.code || (r != 0) != (e.code != GZ_OK))
		__builtin_trap();
	if (r == 0) {
		if (alen != *outlen || memcmp(a, out, alen) != 0 || a[alen] != 0)
			__builtin_trap();
		free(a);
	} else {
		if (a != NULL)
			__builtin_trap();
		/* an error is found inside the input, or at its end */
		if (e.offset > len)
			__builtin_trap();
	}
	return r;
}

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	uint8_t *a, *b, *g;
	size_t cap = CAP, al, bl, used;
	int mode, zr;
	uLong crc;

	if (size < 1)
		return 0;
	mode = data[0];
	if (mode & 0x80)
		cap = (size_t)(mode & 0x7e) * 64;
	data++;
	size--;
	a = malloc(cap + 1);
	b = malloc(cap + 1);
	g = malloc(size + 18);
	if (a == NULL || b == NULL || g == NULL)
		goto out;
	if (!(mode & 1)) {
		zr = zlib_inflate(data, size, 31, b, cap, &bl, NULL);
		if ((mine(data, size, a, cap, &al) == 0) != (zr == 0))
			__builtin_trap();
		if (zr == 0 && (al != bl || memcmp(a, b, al) != 0))
			__builtin_trap();
		goto out;
	}
	zr = zlib_inflate(data, size, -15, b, cap, &bl, &used);
	memcpy(g, hdr, 10);
	if (zr == 0) {
		memcpy(g + 10, data, used);
		crc = crc32(0, b, (uInt)bl);
		for (al = 0; al < 4; al++) {
			g[10 + used + al] = (uint8_t)(crc >> (8 * al));
			g[14 + used + al] = (uint8_t)(bl >> (8 * al));
		}
		if (mine(g, used + 18, a, cap, &al) != 0 || al != bl ||
		    memcmp(a, b, al) != 0)
			__builtin_trap();
	} else {
		memcpy(g + 10, data, size);
		if (mine(g, size + 10, a, cap, &al) == 0)
			__builtin_trap();
	}
out:
	free(a);
	free(b);
	free(g);
	return 0;
}
