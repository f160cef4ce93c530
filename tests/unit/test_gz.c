/*
 * test_gz: gz_min under ASan and UBSan.  Known streams (fixed, stored,
 * dynamic blocks, header flags, several members), every error with its
 * byte offset, every truncation of a stream, round trips of generated
 * inputs and of the whole corpus and YAML test suite, and a record as
 * Helm stores it (base64 of gzip, through http_min's base64).  zlib is
 * compared in tests/suite_gz.sh, which may link it.
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "unit.h"
#include "http_min.h"
/* The unit itself, for its static functions (lengths()); the library's
 * gz_min.o is then not linked. */
#include "../../gz_min.c"

/* gzip -9 of "hello, world\n": one fixed Huffman block. */
static const unsigned char hello_gz[] =
	"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7"
	"\x51\x28\xcf\x2f\xca\x49\xe1\x02\x00\x53\x74\x24\xf4\x0d\x00\x00\x00";

/* zlib level 9 of cm_text: one dynamic block with matches. */
static const char cm_text[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
	"  name: a\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n"
	"    helm.sh/hook-weight: \"-5\"\n"
	"    helm.sh/hook-delete-policy: before-hook-creation\ndata:\n  a: b\n";
static const unsigned char cm_gz[] =
	"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x65\x8e\xbb\x0e\xc2\x30"
	"\x0c\x45\xf7\x7c\x85\xc5\x4c\x40\x0c\x2c\x5e\x99\x59\xd9\x4d\xe3"
	"\x36\x56\x53\x27\x4a\x0c\x88\xbf\x27\xad\xc4\xd4\xed\x4a\xe7\xbe"
	"\xa8\xc8\x83\x6b\x93\xac\x08\xef\x8b\x9b\x45\x03\xc2\x2d\xeb\x28"
	"\xd3\x9d\x8a\x5b\xd8\x28\x90\x11\x3a\x00\xa5\x85\x11\xa8\x2b\x52"
	"\xcd\x46\xd6\x43\x6d\x05\x00\x91\xd3\x72\x6a\xf1\x1c\x73\x9e\x11"
	"\x4a\x65\x2f\xda\x8c\x52\x3a\xae\xfa\x55\xa6\x4a\x81\x77\x4e\xff"
	"\x61\x99\xa2\x21\x1c\xfc\xf5\xb0\xa7\x81\x13\x1b\xfb\x92\x93\x0c"
	"\x5f\x84\x27\x8f\xb9\x97\x6d\x68\xa8\xbc\xcd\xbb\xff\x37\xea\xdc"
	"\xfd\x00\xf8\xaf\x83\xd5\xcc\x00\x00\x00";

/* A bit writer for hand-made DEFLATE data: fields least significant bit
 * first, Huffman codes most significant bit first (RFC 1951 3.1.1). */
struct bw {
	unsigned char b[512];
	size_t n;
	unsigned nb;
};

static void
bits(struct bw *w, unsigned v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++, w->nb++) {
		if (w->nb == 8) {
			w->n++;
			w->nb = 0;
		}
		if (w->nb == 0)
			w->b[w->n] = 0;
		w->b[w->n] |= (unsigned char)((v >> i & 1) << w->nb);
	}
}

static void
code(struct bw *w, unsigned c, unsigned n)
{
	while (n-- > 0)
		bits(w, c >> n & 1, 1);
}

/* The fixed code of literal/length symbol s (RFC 1951 3.2.6). */
static void
fixed_sym(struct bw *w, unsigned s)
{
	if (s < 144)
		code(w, 0x30 + s, 8);
	else if (s < 256)
		code(w, 0x190 + s - 144, 9);
	else if (s < 280)
		code(w, s - 256, 7);
	else
		code(w, 0xc0 + s - 280, 8);
}

/* A gzip member around the raw DEFLATE data of w, with a trailer for
 * want[0..wantlen); returns its length in out. */
static size_t
wrap(const struct bw *w, const void *want, size_t wantlen,
    unsigned char *out)
{
	size_t n = w->n + (w->nb > 0), i;
	uint32_t crc = gz_crc32(0, want, wantlen);

	memcpy(out, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
	memcpy(out + 10, w->b, n);
	for (i = 0; i < 4; i++) {
		out[10 + n + i] = (unsigned char)(crc >> (8 * i));
		out[14 + n + i] = (unsigned char)(wantlen >> (8 * i));
	}
	return n + 18;
}

/* gz_inflate of in must fail with code at offset. */
static int
refused(const void *in, size_t len, int code_, size_t offset)
{
	unsigned char out[4096];
	size_t ol;
	gz_err e;

	if (gz_inflate(in, len, out, sizeof out, &ol, &e) == 0)
		return 0;
	if (e.code != code_ || e.offset != offset) {
		fprintf(stderr, "got %s at %zu, want %s at %zu\n",
		    gz_strerror(e.code), e.offset, gz_strerror(code_), offset);
		return 0;
	}
	return 1;
}

/* gz_inflate of in gives want[0..wantlen) exactly. */
static int
gives(const void *in, size_t len, const void *want, size_t wantlen)
{
	unsigned char *out = malloc(wantlen + 1), *a;
	size_t ol, al;
	gz_err e;
	int ok;

	ok = gz_inflate(in, len, out, wantlen, &ol, &e) == 0 && ol == wantlen &&
	    memcmp(out, want, wantlen) == 0;
	if (!ok)
		fprintf(stderr, "gz_inflate: %s at %zu\n", gz_strerror(e.code),
		    e.offset);
	free(out);
	ok = ok && gz_inflate_alloc(in, len, wantlen, &a, &al, &e) == 0 &&
	    al == wantlen && memcmp(a, want, al) == 0 && a[al] == 0;
	if (ok)
		free(a);
	return ok;
}

TEST(crc32)
{
	CHECK(gz_crc32(0, "123456789", 9) == 0xcbf43926u);
	CHECK(gz_crc32(0, "", 0) == 0);
	CHECK(gz_crc32(gz_crc32(0, "12345", 5), "6789", 4) == 0xcbf43926u);
	CHECK(gz_crc32(0, "The quick brown fox jumps over the lazy dog", 43) ==
	    0x414fa339u);
	return 0;
}

TEST(strerror_distinct)
{
	int i, j;

	for (i = 0; i <= GZ_EARG; i++) {
		CHECK(gz_strerror(i)[0] != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(gz_strerror(i), gz_strerror(j)) != 0);
	}
	CHECK_STR(gz_strerror(GZ_ECRC), "bad CRC");
	CHECK_STR(gz_strerror(GZ_EARG + 1), "unknown error");
	CHECK_STR(gz_strerror(-1), "unknown error");
	return 0;
}

TEST(fixed_block)
{
	CHECK(gives(hello_gz, sizeof hello_gz - 1, "hello, world\n", 13));
	return 0;
}

TEST(dynamic_block)
{
	CHECK(gives(cm_gz, sizeof cm_gz - 1, cm_text, sizeof cm_text - 1));
	return 0;
}

TEST(stored_blocks)
{
	struct bw w = { .n = 0 };
	unsigned char g[600];
	size_t n;

	/* "abc" stored, not final; "de" stored, final */
	bits(&w, 0, 3);
	w.nb = 8;
	bits(&w, 3, 16);
	bits(&w, 0xfffc, 16);
	memcpy(w.b + w.n + 1, "abc", 3);
	w.n += 3;
	bits(&w, 1, 3);
	w.nb = 8;
	bits(&w, 2, 16);
	bits(&w, 0xfffd, 16);
	memcpy(w.b + w.n + 1, "de", 2);
	w.n += 2;
	n = wrap(&w, "abcde", 5, g);
	CHECK(gives(g, n, "abcde", 5));
	return 0;
}

TEST(header_flags)
{
	/* FTEXT FHCRC FEXTRA FNAME FCOMMENT around hello's deflate data */
	unsigned char g[128];
	size_t n = 0, raw = sizeof hello_gz - 1 - 10;
	uint32_t crc;

	memcpy(g, "\x1f\x8b\x08\x1f\x00\x00\x00\x00\x00\x03", 10);
	n = 10;
	memcpy(g + n, "\x06\x00" "AB\x02\x00xy", 8);
	n += 8;
	memcpy(g + n, "hello.txt", 10);
	n += 10;
	memcpy(g + n, "a comment", 10);
	n += 10;
	crc = gz_crc32(0, g, n);
	g[n++] = (unsigned char)crc;
	g[n++] = (unsigned char)(crc >> 8);
	memcpy(g + n, hello_gz + 10, raw);
	n += raw;
	CHECK(gives(g, n, "hello, world\n", 13));
	/* a wrong header CRC, found at its field */
	g[36] ^= 1;
	CHECK(refused(g, n, GZ_EHCRC, 38));
	return 0;
}

TEST(members)
{
	unsigned char g[256];
	size_t n = sizeof hello_gz - 1, m = sizeof cm_gz - 1;
	char want[256];

	memcpy(g, hello_gz, n);
	memcpy(g + n, cm_gz, m);
	memcpy(want, "hello, world\n", 13);
	memcpy(want + 13, cm_text, sizeof cm_text - 1);
	CHECK(gives(g, n + m, want, 13 + sizeof cm_text - 1));
	/* bytes after the last member that are not a member: refused */
	g[n + m] = 'x';
	CHECK(refused(g, n + m + 1, GZ_EHEADER, n + m));
	g[n + m] = 0x1f;
	CHECK(refused(g, n + m + 1, GZ_ETRUNC, n + m + 1));
	return 0;
}

/* Every prefix of a stream is a truncation, found at its end (but a
 * prefix that ends between members, which is whole). */
TEST(every_truncation)
{
	unsigned char g[256];
	size_t n = sizeof hello_gz - 1, m = sizeof cm_gz - 1, i;

	memcpy(g, hello_gz, n);
	memcpy(g + n, cm_gz, m);
	for (i = 0; i < n + m; i++)
		if (i != n)
			CHECK(refused(g, i, GZ_ETRUNC, i));
	return 0;
}

TEST(bad_header)
{
	unsigned char g[64];
	size_t n = sizeof hello_gz - 1;

	memcpy(g, hello_gz, n);
	g[1] = 0x8c;
	CHECK(refused(g, n, GZ_EHEADER, 1));
	CHECK(refused(g, 1, GZ_ETRUNC, 1));
	g[1] = 0x8b;
	g[2] = 7;
	CHECK(refused(g, n, GZ_EHEADER, 2));
	g[2] = 8;
	g[3] = 0x20;            /* a reserved flag */
	CHECK(refused(g, n, GZ_EHEADER, 3));
	CHECK(refused("", 0, GZ_ETRUNC, 0));
	CHECK(refused("PK\x03\x04", 4, GZ_EHEADER, 0));
	return 0;
}

TEST(bad_trailer)
{
	unsigned char g[64];
	size_t n = sizeof hello_gz - 1;

	memcpy(g, hello_gz, n);
	g[n - 8] ^= 0x80;
	CHECK(refused(g, n, GZ_ECRC, n - 8));
	g[n - 8] ^= 0x80;
	g[n - 1] = 1;
	CHECK(refused(g, n, GZ_EISIZE, n - 4));
	return 0;
}

TEST(bad_blocks)
{
	struct bw w;
	unsigned char g[600];
	size_t n;

	/* reserved block type 3 */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 3, 2);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_EBLOCK, 10));

	/* stored: NLEN not LEN's complement */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 3);
	w.nb = 8;
	bits(&w, 5, 16);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ESTORED, 11));

	/* fixed: literal/length symbol 286 does not exist */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 1, 2);
	fixed_sym(&w, 286);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ECODE, 10));

	/* fixed: 'a', length 3, distance code 30 does not exist */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 1, 2);
	fixed_sym(&w, 'a');
	fixed_sym(&w, 257);
	code(&w, 30, 5);
	fixed_sym(&w, 256);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ECODE, 12));

	/* fixed: 'a', length 3, distance 2: before the output's start */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 1, 2);
	fixed_sym(&w, 'a');
	fixed_sym(&w, 257);
	code(&w, 1, 5);
	fixed_sym(&w, 256);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_EDIST, 12));

	/* the same with distance 1: "aaaa" */
	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 1, 2);
	fixed_sym(&w, 'a');
	fixed_sym(&w, 257);
	code(&w, 0, 5);
	fixed_sym(&w, 256);
	n = wrap(&w, "aaaa", 4, g);
	CHECK(gives(g, n, "aaaa", 4));
	return 0;
}

/* A dynamic block header: HLIT, HDIST, then the code length code lengths
 * for symbols 16, 17, 18, 0 (HCLEN 0: four of them). */
static void
dyn_head(struct bw *w, unsigned hlit, unsigned hdist, const unsigned cl[4])
{
	unsigned i;

	memset(w, 0, sizeof *w);
	bits(w, 1, 1);
	bits(w, 2, 2);
	bits(w, hlit, 5);
	bits(w, hdist, 5);
	bits(w, 0, 4);
	for (i = 0; i < 4; i++)
		bits(w, cl[i], 3);
}

TEST(bad_code_lengths)
{
	static const unsigned over[4] = { 1, 1, 1, 0 }, incomplete[4] = { 2, 0, 0, 0 };
	static const unsigned rep[4] = { 1, 1, 0, 0 }, zeros[4] = { 0, 1, 1, 0 };
	struct bw w;
	unsigned char g[600];
	size_t n;

	/* the lengths end at bit 29 of the block: byte 13 */
	dyn_head(&w, 0, 0, over);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_EOVERSUB, 13));

	dyn_head(&w, 0, 0, incomplete);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_EINCOMPLETE, 13));

	/* HLIT 30: 287 literal/length codes */
	dyn_head(&w, 30, 0, rep);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ELENS, 10));

	/* HDIST 30: 31 distance codes */
	dyn_head(&w, 0, 30, rep);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ELENS, 10));

	/* 16 (repeat the previous length) first: code 0 of {16, 17} */
	dyn_head(&w, 0, 0, rep);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ELENS, 13));

	/* zeros past the 258 lengths: 18 (code 1 of {17, 18}) 138 twice */
	dyn_head(&w, 0, 0, zeros);
	code(&w, 1, 1);
	bits(&w, 127, 7);
	code(&w, 1, 1);
	bits(&w, 127, 7);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ELENS, 14));

	/* 258 zero lengths: no end-of-block code */
	dyn_head(&w, 0, 0, zeros);
	code(&w, 1, 1);
	bits(&w, 127, 7);
	code(&w, 1, 1);
	bits(&w, 109, 7);
	bits(&w, 0, 16);
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ELENS, 15));
	return 0;
}

/*
 * Dynamic codes that zlib accepts though incomplete: one literal/length
 * code of one bit (end-of-block) and no distance code at all.
 */
TEST(single_codes)
{
	struct bw w;
	unsigned char g[600];
	size_t n;

	memset(&w, 0, sizeof w);
	bits(&w, 1, 1);
	bits(&w, 2, 2);
	bits(&w, 0, 5);         /* 257 literal/length codes */
	bits(&w, 0, 5);         /* 1 distance code */
	bits(&w, 14, 4);        /* 18 code length code lengths, up to 1's */
	/* in the order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1: 2 bits
	 * for 17, 18, 0 and 1, so 0 -> 00, 1 -> 01, 17 -> 10, 18 -> 11 */
	bits(&w, 0, 3);
	bits(&w, 2, 3);
	bits(&w, 2, 3);
	bits(&w, 2, 3);
	for (n = 0; n < 13; n++)
		bits(&w, 0, 3);
	bits(&w, 2, 3);
	code(&w, 3, 2);
	bits(&w, 127, 7);       /* 138 zeros */
	code(&w, 3, 2);
	bits(&w, 107, 7);       /* 118 zeros: 256 */
	code(&w, 1, 2);         /* end-of-block: 1 bit */
	code(&w, 0, 2);         /* the distance: none */
	code(&w, 0, 1);         /* end-of-block */
	n = wrap(&w, "", 0, g);
	CHECK(gives(g, n, "", 0));
	/* the other half of the one-bit code decodes to nothing */
	w.b[w.n] |= (unsigned char)(1u << (w.nb - 1));
	n = wrap(&w, "", 0, g);
	CHECK(refused(g, n, GZ_ECODE, 10 + w.n));
	return 0;
}

TEST(output_limit)
{
	unsigned char out[64], *a = (unsigned char *)"x";
	size_t ol, al;
	gz_err e;

	CHECK(gz_inflate(hello_gz, sizeof hello_gz - 1, out, 12, &ol, &e) == -1);
	CHECK(e.code == GZ_ELIMIT && e.offset > 10 && e.offset < 26);
	CHECK(gz_inflate(hello_gz, sizeof hello_gz - 1, out, 13, &ol, &e) == 0);
	CHECK(gz_inflate_alloc(cm_gz, sizeof cm_gz - 1, sizeof cm_text - 2, &a,
	    &al, &e) == -1 && e.code == GZ_ELIMIT && a == NULL);
	CHECK(gz_inflate_alloc(cm_gz, sizeof cm_gz - 1, sizeof cm_text - 1, &a,
	    &al, &e) == 0 && al == sizeof cm_text - 1);
	free(a);
	/* a lying ISIZE makes gz_inflate_alloc read again, not fail */
	{
		unsigned char g[160];
		size_t n = sizeof cm_gz - 1;

		memcpy(g, cm_gz, n);
		g[n - 4] = 3;
		CHECK(refused(g, n, GZ_EISIZE, n - 4));
		CHECK(gz_inflate_alloc(g, n, 1 << 20, &a, &al, &e) == -1 &&
		    e.code == GZ_EISIZE && a == NULL);
	}
	/* a deflate bomb stops at the limit: 1 MiB of zeros, 1 KB of gzip */
	{
		static unsigned char z[1 << 20], g[1 << 14];
		size_t gl;

		CHECK(gz_deflate(z, sizeof z, g, sizeof g, &gl, &e) == 0);
		CHECK(gl < 2048);
		CHECK(gz_inflate_alloc(g, gl, 65536, &a, &al, &e) == -1 &&
		    e.code == GZ_ELIMIT);
	}
	return 0;
}

/* deflate, then inflate: the same bytes, within the bound, the same
 * output twice, and one byte less room refused. */
static int
roundtrip(const void *in, size_t len)
{
	size_t cap = gz_deflate_bound(len), gl, gl2, bl;
	unsigned char *g = malloc(cap), *g2 = malloc(cap), *b = malloc(len + 1);
	gz_err e;
	int ok;

	ok = gz_deflate(in, len, g, cap, &gl, &e) == 0 && gl <= cap &&
	    gz_deflate(in, len, g2, cap, &gl2, &e) == 0 && gl == gl2 &&
	    memcmp(g, g2, gl) == 0 &&
	    gz_deflate(in, len, g2, gl - 1, &gl2, &e) == -1 &&
	    e.code == GZ_ELIMIT &&
	    gz_inflate(g, gl, b, len, &bl, &e) == 0 && bl == len &&
	    memcmp(b, in, len) == 0;
	free(g);
	free(g2);
	free(b);
	return ok;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned char
rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned char)(rng >> 24);
}

TEST(roundtrip_generated)
{
	static unsigned char buf[1 << 20];
	size_t i, runs[] = { 0, 1, 2, 3, 257, 258, 259, 1000, 65535, 65536,
	    70000, 100000 };

	for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		memset(buf, 'a', runs[i]);
		CHECK(roundtrip(buf, runs[i]));
	}
	memset(buf, 0, sizeof buf);
	CHECK(roundtrip(buf, sizeof buf));
	for (i = 0; i < sizeof buf; i++)
		buf[i] = rnd8();
	CHECK(roundtrip(buf, sizeof buf));           /* stored blocks */
	CHECK(roundtrip(buf, 200000));
	for (i = 0; i < sizeof buf; i++)              /* skewed bytes */
		buf[i] = (unsigned char)(rnd8() & rnd8() & rnd8());
	CHECK(roundtrip(buf, sizeof buf));
	/* random text with long repeats at every distance */
	for (i = 0; i < sizeof buf; i++)
		buf[i] = i > 40000 && (rnd8() & 3) ? buf[i - 1 - (rnd8() * 131u +
		    rnd8()) % 32768] : (unsigned char)('a' + rnd8() % 26);
	CHECK(roundtrip(buf, sizeof buf));
	/*
	 * Fibonacci counts of 25 byte values, shuffled: codes of up to 14
	 * bits, which gz_inflate decodes through subtables
	 */
	{
		size_t f0 = 1, f1 = 1, f, n = 0, k, j;

		for (k = 0; k < 25; k++) {
			for (j = 0; j < f0 && n < sizeof buf; j++)
				buf[n++] = (unsigned char)('A' + k);
			f = f0 + f1;
			f0 = f1;
			f1 = f;
		}
		for (k = n - 1; k > 0; k--) {
			unsigned char t = buf[k];

			j = (rnd8() << 16 | rnd8() << 8 | rnd8()) % (k + 1);
			buf[k] = buf[j];
			buf[j] = t;
		}
		CHECK(n > 190000);
		CHECK(roundtrip(buf, n));
	}
	/* all 256 byte values, one of each */
	for (i = 0; i < 256; i++)
		buf[i] = (unsigned char)i;
	CHECK(roundtrip(buf, 256));
	return 0;
}

/*
 * Code lengths limited to 15 (7) bits: Fibonacci frequencies make the
 * deepest Huffman trees, n - 1 deep; the limit must flatten them into a
 * complete code (Kraft sum exactly 1) that still gives the rarer symbols
 * no shorter codes than the commoner ones.  (Halving the frequencies may
 * flatten a little more than needed: 13 bits for 25 symbols.)
 */
static int
limited(unsigned n, unsigned limit, uint8_t *len)
{
	uint32_t freq[286] = { 0 };
	uint32_t f0 = 1, f1 = 1, f;
	unsigned i;
	uint64_t kraft = 0;

	for (i = 0; i < n; i++) {
		freq[i] = f0;
		f = f0 + f1;
		f0 = f1;
		f1 = f;
	}
	lengths(freq, n, limit, len);
	for (i = 0; i < n; i++) {
		if (len[i] == 0 || len[i] > limit)
			return 0;
		if (i > 0 && len[i] > len[i - 1])
			return 0;
		kraft += (uint64_t)1 << (15 - len[i]);
	}
	return kraft == (uint64_t)1 << 15;
}

TEST(length_limit)
{
	uint32_t one[30] = { 0 }, none[30] = { 0 };
	uint8_t len[286];

	CHECK(limited(25, 15, len));    /* 24 deep without the limit */
	CHECK(limited(30, 15, len));
	CHECK(len[0] == 15);
	CHECK(limited(19, 7, len));     /* the code length code */
	CHECK(limited(9, 7, len));
	CHECK(limited(8, 7, len));      /* 7 deep: fits, Huffman's own */
	CHECK(len[0] == 7 && len[1] == 7 && len[2] == 6 && len[7] == 1);
	/* one symbol or none: two lengths of 1, a complete code */
	one[7] = 5;
	lengths(one, 30, 15, len);
	CHECK(len[7] == 1 && len[0] == 1 && len[1] == 0);
	lengths(none, 30, 15, len);
	CHECK(len[0] == 1 && len[1] == 1 && len[2] == 0);
	return 0;
}

TEST(deflate_errors)
{
	unsigned char out[64];
	size_t ol;
	gz_err e;

	CHECK(gz_deflate("x", 1, out, 10, &ol, &e) == -1 && e.code == GZ_ELIMIT);
	CHECK(gz_deflate("x", GZ_MAX_DEFLATE + 1, out, sizeof out, &ol, &e) == -1 &&
	    e.code == GZ_EARG);
	CHECK(gz_deflate("", 0, out, sizeof out, &ol, NULL) == 0 && ol <= 64);
	CHECK(gz_deflate_bound(0) >= 20 && gz_deflate_bound(1 << 20) > (1 << 20));
	return 0;
}

/* A release record as Helm stores it: base64(gzip(JSON)), in a Secret's
 * data, base64 again in the API's JSON. */
TEST(helm_record_base64)
{
	const char *json = "{\"name\":\"demo\",\"info\":{\"status\":\"deployed\"},"
	    "\"manifest\":\"---\\n# Source: demo/templates/cm.yaml\\napiVersion: v1\\n"
	    "kind: ConfigMap\\nmetadata:\\n  name: demo\\n\",\"version\":1,"
	    "\"namespace\":\"default\"}";
	size_t jl = strlen(json), gl, ol;
	unsigned char g[512], back[512], *out;
	char b1[1024], b2[2048];
	size_t l1, l2;
	long n;
	gz_err e;

	CHECK(gz_deflate(json, jl, g, sizeof g, &gl, &e) == 0);
	l1 = hm_b64_encode(g, gl, b1);
	l2 = hm_b64_encode(b1, l1, b2);
	n = hm_b64_decode(b2, l2, (unsigned char *)b1, sizeof b1);
	CHECK(n == (long)l1);
	n = hm_b64_decode(b1, l1, back, sizeof back);
	CHECK(n == (long)gl && memcmp(back, g, gl) == 0);
	CHECK(gz_inflate_alloc(back, (size_t)n, 1 << 20, &out, &ol, &e) == 0);
	CHECK(ol == jl && memcmp(out, json, jl) == 0 && out[ol] == 0);
	free(out);
	return 0;
}

/* Every regular file under dir, round trip; returns the count, or -1. */
static long
roundtrip_tree(const char *dir, size_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char path[4096];
	long n = 0, r;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if ((r = roundtrip_tree(path, bytes)) < 0) {
				n = -1;
				break;
			}
			n += r;
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			char *b = unit_slurp(path, &len);

			if (b == NULL || !roundtrip(b, len)) {
				fprintf(stderr, "round trip fails: %s\n", path);
				free(b);
				n = -1;
				break;
			}
			free(b);
			*bytes += len;
			n++;
		}
	}
	closedir(d);
	return n;
}

TEST(roundtrip_corpus_and_yaml_suite)
{
	const char *shared = getenv("SHARED");
	char path[4096];
	size_t bytes = 0;

	if (shared == NULL)
		shared = "../shared";
	snprintf(path, sizeof path, "%s/corpus", shared);
	CHECK(roundtrip_tree(path, &bytes) >= 100);
	snprintf(path, sizeof path, "%s/yaml-test-suite", shared);
	CHECK(roundtrip_tree(path, &bytes) >= 3000);
	CHECK(bytes > ((size_t)24 << 20));
	return 0;
}

int
main(void)
{
	RUN(crc32);
	RUN(strerror_distinct);
	RUN(fixed_block);
	RUN(dynamic_block);
	RUN(stored_blocks);
	RUN(header_flags);
	RUN(members);
	RUN(every_truncation);
	RUN(bad_header);
	RUN(bad_trailer);
	RUN(bad_blocks);
	RUN(bad_code_lengths);
	RUN(single_codes);
	RUN(output_limit);
	RUN(roundtrip_generated);
	RUN(length_limit);
	RUN(deflate_errors);
	RUN(helm_record_base64);
	RUN(roundtrip_corpus_and_yaml_suite);
	return unit_done();
}
