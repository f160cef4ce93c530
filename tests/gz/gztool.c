/*
 * gztool: gz_min against zlib, for tests/suite_gz.sh and bench/bench_gz.sh.
 * Test-only: it links Debian's zlib (zlib1g-dev), which never enters
 * hookctl.
 *
 *	gztool inflate FILE          gz_inflate FILE to stdout
 *	gztool deflate FILE          gz_deflate FILE to stdout
 *	gztool check FILE...         each gzip file: gz_inflate's bytes equal
 *	                             zlib's (FILE.b64: base64, once or twice)
 *	gztool corrupt FILE...       bit flips, truncations, bad CRC and ISIZE
 *	                             of each: both refuse, or both accept the
 *	                             same bytes
 *	gztool roundtrip FILE...     gz_deflate then gz_inflate and zlib give
 *	                             the input back; deterministic; bounded
 *	gztool roundtrip -q FILE...  the same, one line for all the files
 *	gztool bench ROUNDS FILE...  inflate and deflate against zlib
 *
 * check, corrupt and roundtrip print "PASS ..." or "FAIL ..." lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "gz_min.h"
#include "http_min.h"

static int failed, quiet, nquiet;

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(b, cap)) == NULL)
				break;
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			fclose(f);
			*len = n;
			return b;
		}
	}
	fclose(f);
	free(b);
	return NULL;
}

/* A .b64 file: base64 of a gzip stream, or base64 of that (a Secret's
 * data as kubectl shows it). */
static unsigned char *
load(const char *path, size_t *len)
{
	unsigned char *b = slurp(path, len), *d;
	size_t n = strlen(path);
	long r;
	int i;

	if (b == NULL || n < 4 || strcmp(path + n - 4, ".b64") != 0)
		return b;
	for (i = 0; i < 2 && !(*len >= 2 && b[0] == 0x1f && b[1] == 0x8b); i++) {
		d = malloc(*len + 1);
		r = hm_b64_decode((const char *)b, *len, d, *len);
		free(b);
		if (r < 0) {
			free(d);
			return NULL;
		}
		b = d;
		*len = (size_t)r;
	}
	return b;
}

/*
 * zlib's verdict on a gzip stream, members one after the other as
 * gz_inflate reads them: 0 with the output, -1 refused, 1 over cap.
 * out has room for cap + 1 bytes, so that "exactly cap" is told apart.
 */
static int
z_gunzip(const unsigned char *in, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	z_stream z;
	int r, v = -1;

	memset(&z, 0, sizeof z);
	*outlen = 0;
	if (inflateInit2(&z, 31) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)(cap + 1);
	if (len == 0)
		goto done;
	for (;;) {
		r = inflate(&z, Z_NO_FLUSH);
		if (z.total_out > cap || (size_t)(z.next_out - out) > cap) {
			v = 1;
			break;
		}
		if (r == Z_STREAM_END) {
			if (z.avail_in == 0) {
				v = 0;
				break;
			}
			inflateReset(&z);
			continue;
		}
		if (r != Z_OK)
			break;
	}
done:
	*outlen = (size_t)(z.next_out - out);
	inflateEnd(&z);
	return v;
}

/* zlib's gzip at level, into a malloc'd buffer. */
static unsigned char *
z_gzip(const unsigned char *in, size_t len, int level, size_t *outlen)
{
	z_stream z;
	unsigned char *out;
	size_t cap;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, len) + 32;
	out = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(out);
		out = NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static unsigned char *
my_gzip(const unsigned char *in, size_t len, size_t *outlen)
{
	size_t cap = gz_deflate_bound(len);
	unsigned char *out = malloc(cap);
	gz_err e;

	if (gz_deflate(in, len, out, cap, outlen, &e)) {
		fprintf(stderr, "gz_deflate: %s\n", gz_strerror(e.code));
		free(out);
		return NULL;
	}
	return out;
}

static void
result(int ok, const char *what, const char *name, const char *why)
{
	if (quiet) {
		nquiet++;
		if (ok)
			return;
	}
	if (ok) {
		printf("PASS gz: %s %s\n", what, name);
	} else {
		printf("FAIL gz: %s %s: %s\n", what, name, why);
		failed = 1;
	}
}

#define LIMIT ((size_t)64 << 20)

static void
check(const char *path)
{
	size_t len, ml, zl;
	unsigned char *in = load(path, &len), *a, *b;
	gz_err e;
	char why[256];
	int zr, mr;

	if (in == NULL) {
		result(0, "zlib differential", path, "cannot read it");
		return;
	}
	a = malloc(LIMIT + 1);
	b = malloc(LIMIT + 1);
	mr = gz_inflate(in, len, a, LIMIT, &ml, &e);
	zr = z_gunzip(in, len, b, LIMIT, &zl);
	snprintf(why, sizeof why, "gz_min: %s at %zu (%zu bytes); zlib: %d (%zu bytes)",
	    mr ? gz_strerror(e.code) : "ok", e.offset, ml, zr, zl);
	result(mr == 0 && zr == 0 && ml == zl && memcmp(a, b, ml) == 0,
	    "zlib differential", path, why);
	free(a);
	free(b);
	free(in);
}

/* xorshift64*: reproducible mutations */
static uint64_t rng = 88172645463325252ull;
static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* One mutant: gz_min and zlib must agree. */
static int
agree(const unsigned char *m, size_t len, unsigned char *a, unsigned char *b,
    size_t cap, char *why, size_t whylen, const char *what)
{
	size_t ml, zl;
	gz_err e;
	int mr = gz_inflate(m, len, a, cap, &ml, &e);
	int zr = z_gunzip(m, len, b, cap, &zl);

	if ((mr == 0) == (zr == 0) && (mr != 0 || (ml == zl &&
	    memcmp(a, b, ml) == 0)))
		return 1;
	snprintf(why, whylen, "%s: gz_min %s at %zu, zlib %s", what,
	    mr ? gz_strerror(e.code) : "accepts", e.offset,
	    zr == 0 ? "accepts" : zr == 1 ? "over the limit" : "refuses");
	return 0;
}

static void
corrupt(const char *path)
{
	size_t len, i, n = 0, bad = 0, cap = (size_t)16 << 20, at, ml;
	unsigned char *in = load(path, &len), *m, *a, *b;
	char why[256] = "", w1[256], what[64];
	gz_err e;

	if (in == NULL || len < 18) {
		result(0, "corruptions", path, "cannot read it");
		free(in);
		return;
	}
	m = malloc(len + 1);
	a = malloc(cap + 1);
	b = malloc(cap + 1);
	/* truncations: 40 spread, and the last 24 bytes one by one */
	for (i = 0; i < 64; i++) {
		at = i < 40 ? len * i / 40 : len - (64 - i);
		snprintf(what, sizeof what, "cut at %zu", at);
		n++;
		if (!agree(in, at, a, b, cap, w1, sizeof w1, what) && bad++ == 0)
			memcpy(why, w1, sizeof why);
	}
	/* single bit flips and random bytes anywhere, 300 each */
	for (i = 0; i < 600; i++) {
		memcpy(m, in, len);
		at = (size_t)(rnd() % len);
		if (i < 300)
			m[at] ^= (unsigned char)(1u << (rnd() & 7));
		else
			m[at] = (unsigned char)rnd();
		snprintf(what, sizeof what, "%s at %zu", i < 300 ? "bit flip" :
		    "byte", at);
		n++;
		if (!agree(m, len, a, b, cap, w1, sizeof w1, what) && bad++ == 0)
			memcpy(why, w1, sizeof why);
	}
	/* the last member's CRC and ISIZE: both must refuse */
	for (i = 0; i < 2; i++) {
		memcpy(m, in, len);
		m[len - 8 + 4 * i] ^= 1;
		n++;
		if (!agree(m, len, a, b, cap, w1, sizeof w1, i ? "ISIZE" : "CRC") ||
		    gz_inflate(m, len, a, cap, &ml, &e) == 0) {
			if (bad++ == 0)
				memcpy(why, w1, sizeof why);
		}
	}
	/* the output limit: one byte short is refused, as by zlib */
	if (gz_inflate(in, len, a, cap, &ml, &e) == 0 && ml > 0) {
		n++;
		if (!agree(in, len, a, b, ml - 1, w1, sizeof w1, "limit") && bad++ == 0)
			memcpy(why, w1, sizeof why);
	}
	snprintf(w1, sizeof w1, "%zu of %zu mutants disagree; first: %s", bad,
	    n, why);
	snprintf(what, sizeof what, "%zu corruptions:", n);
	result(bad == 0, what, path, w1);
	free(m);
	free(a);
	free(b);
	free(in);
}

static void
roundtrip(const char *path)
{
	size_t len, gl, gl2, ml, zl;
	unsigned char *in = slurp(path, &len), *g, *g2, *a, *b;
	gz_err e;
	char why[256];
	int ok;

	if (in == NULL) {
		result(0, "round trip", path, "cannot read it");
		return;
	}
	g = my_gzip(in, len, &gl);
	g2 = my_gzip(in, len, &gl2);
	a = malloc(len + 1);
	b = malloc(len + 1);
	ok = g != NULL && g2 != NULL && gl == gl2 && memcmp(g, g2, gl) == 0 &&
	    gl <= gz_deflate_bound(len);
	snprintf(why, sizeof why, "deflate failed, not deterministic or over the bound");
	if (ok) {
		ok = gz_inflate(g, gl, a, len, &ml, &e) == 0 && ml == len &&
		    memcmp(a, in, len) == 0;
		snprintf(why, sizeof why, "gz_inflate: %s at %zu",
		    gz_strerror(e.code), e.offset);
	}
	if (ok) {
		ok = z_gunzip(g, gl, b, len, &zl) == 0 && zl == len &&
		    memcmp(b, in, len) == 0;
		snprintf(why, sizeof why, "zlib refuses it or differs");
	}
	result(ok, "round trip (gz_inflate, zlib)", path, why);
	free(g);
	free(g2);
	free(a);
	free(b);
	free(in);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Inflate: the files gzipped by zlib at level 9, decoded by each side
 * into a buffer of the right size.  Deflate: size and time of gz_deflate
 * against zlib level 6.  Each file is timed ROUNDS times by each side in
 * turn and the best kept, so that a noisy neighbour (a shared 2-core
 * machine) hurts both sides alike; the totals are sums of the bests.
 * Prints "name value" lines for bench/bench_gz.sh.
 */
static int
bench(int rounds, int argc, char **argv)
{
	unsigned char *in, *z9, *out, *g;
	size_t len, z9l, total = 0, z9total = 0, ml, l, mine = 0, zl6 = 0;
	double tm = 0, tz = 0, dm = 0, dz = 0, t, bm, bz, cm, cz;
	gz_err e;
	int i, r;

	for (i = 0; i < argc; i++) {
		if ((in = slurp(argv[i], &len)) == NULL ||
		    (z9 = z_gzip(in, len, 9, &z9l)) == NULL) {
			fprintf(stderr, "gztool: cannot read %s\n", argv[i]);
			return 1;
		}
		total += len;
		z9total += z9l;
		out = malloc(len + 1);
		bm = bz = cm = cz = 1e9;
		for (r = 0; r < rounds; r++) {
			t = now();
			if (gz_inflate(z9, z9l, out, len, &ml, &e) || ml != len ||
			    (r == 0 && memcmp(out, in, ml) != 0)) {
				fprintf(stderr, "gztool: gz_inflate %s: %s\n",
				    argv[i], gz_strerror(e.code));
				return 1;
			}
			if ((t = now() - t) < bm)
				bm = t;
			t = now();
			if (z_gunzip(z9, z9l, out, len, &ml) || ml != len) {
				fprintf(stderr, "gztool: zlib %s\n", argv[i]);
				return 1;
			}
			if ((t = now() - t) < bz)
				bz = t;
			if (r % 3 != 0)
				continue;
			t = now();
			if ((g = my_gzip(in, len, &l)) == NULL)
				return 1;
			if ((t = now() - t) < cm)
				cm = t;
			free(g);
			if (r == 0)
				mine += l;
			t = now();
			if ((g = z_gzip(in, len, 6, &l)) == NULL)
				return 1;
			if ((t = now() - t) < cz)
				cz = t;
			free(g);
			if (r == 0)
				zl6 += l;
		}
		tm += bm;
		tz += bz;
		dm += cm;
		dz += cz;
		free(out);
		free(z9);
		free(in);
	}
	printf("files %d\nbytes %zu\ngz9_bytes %zu\n", argc, total, z9total);
	printf("inflate_ms %.2f\nzlib_inflate_ms %.2f\n", tm * 1e3, tz * 1e3);
	printf("deflate_ms %.2f\nzlib6_deflate_ms %.2f\n", dm * 1e3, dz * 1e3);
	printf("deflate_bytes %zu\nzlib6_bytes %zu\n", mine, zl6);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t len, ol;
	unsigned char *in, *out = NULL;
	gz_err e;
	int i, r;

	if (argc < 3) {
		fprintf(stderr, "usage: gztool inflate|deflate|check|corrupt|roundtrip|bench ...\n");
		return 2;
	}
	if (strcmp(argv[1], "inflate") == 0 || strcmp(argv[1], "deflate") == 0) {
		if ((in = load(argv[2], &len)) == NULL) {
			fprintf(stderr, "gztool: cannot read %s\n", argv[2]);
			return 2;
		}
		if (argv[1][0] == 'i')
			r = gz_inflate_alloc(in, len, LIMIT, &out, &ol, &e);
		else if ((out = my_gzip(in, len, &ol)) != NULL)
			r = 0;
		else
			r = -1;
		if (r) {
			fprintf(stderr, "gztool: %s: %s at byte %zu\n", argv[2],
			    gz_strerror(e.code), e.offset);
			return 1;
		}
		fwrite(out, 1, ol, stdout);
		free(out);
		free(in);
		return 0;
	}
	if (strcmp(argv[1], "bench") == 0)
		return argc < 4 ? 2 : bench(atoi(argv[2]), argc - 3, argv + 3);
	if (strcmp(argv[2], "-q") == 0)
		quiet = 1;
	for (i = 2 + quiet; i < argc; i++) {
		if (strcmp(argv[1], "check") == 0)
			check(argv[i]);
		else if (strcmp(argv[1], "corrupt") == 0)
			corrupt(argv[i]);
		else if (strcmp(argv[1], "roundtrip") == 0)
			roundtrip(argv[i]);
		else
			return 2;
	}
	if (quiet && !failed)
		printf("PASS gz: %s of %d files\n", strcmp(argv[1], "roundtrip") ?
		    argv[1] : "round trip (gz_inflate, zlib)", nquiet);
	return failed;
}
