/*
 * gz_min: gzip and DEFLATE; see gz_min.h.
 *
 * Written from RFC 1951 (DEFLATE) and RFC 1952 (gzip).  Layout: CRC-32,
 * Huffman decoding tables, the inflater (bit reader, blocks, members),
 * the deflater (match finder, Huffman code lengths, block writer).
 *
 * Where RFC 1951 leaves a choice to the decoder, this one refuses what
 * zlib refuses, so that the two can be compared input by input: an
 * incomplete code is accepted only when it is a single code of one bit
 * (or no code at all) for literals/lengths or distances, never for code
 * lengths.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gz_min.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GZ_LE 1
#else
#define GZ_LE 0
#endif

/* Records the first error only: after a truncation, reading goes on
 * with zero bits until the next check, and what it finds is not news. */
static __attribute__((noinline)) int
fail(gz_err *e, int code, size_t off)
{
	if (e->code == GZ_OK) {
		e->code = code;
		e->offset = off;
	}
	return -1;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* see gz_min.h */
const char *
gz_strerror(int code)
{
	/* one string, not a table of pointers: 128 bytes less */
	const char *m = "ok\0truncated\0not gzip\0bad header CRC\0"
	    "bad block type\0bad stored length\0over-subscribed code\0"
	    "incomplete code\0bad code lengths\0bad code\0"
	    "distance too far back\0bad CRC\0bad ISIZE\0over the limit\0"
	    "out of memory\0too large\0";

	if (code < 0 || code > GZ_EARG)
		return "unknown error";
	while (code-- > 0)
		m += strlen(m) + 1;
	return m;
}

/* ---- CRC-32 ---- */

/*
 * Slice-by-4: t[0] is the byte table of the reflected polynomial, t[k][b]
 * the CRC of b followed by k zero bytes, so four bytes take four lookups
 * that do not wait on each other.  The 4 KB of tables are made on the
 * stack at each call (about 2 us): kept in the binary they would cost 4 KB
 * of the 8 KB budget, and made once they would be global state.
 */
static void
crc_tables(uint32_t t[4][256])
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
		t[0][i] = c;
	}
	for (k = 1; k < 4; k++)
		for (i = 0; i < 256; i++)
			t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

static uint32_t
crc_run(const uint32_t t[4][256], uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	for (; len >= 4; p += 4, len -= 4) {
		crc ^= le32(p);
		crc = t[3][crc & 0xff] ^ t[2][crc >> 8 & 0xff] ^
		    t[1][crc >> 16 & 0xff] ^ t[0][crc >> 24];
	}
	while (len-- > 0)
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/* see gz_min.h */
uint32_t
gz_crc32(uint32_t crc, const void *buf, size_t len)
{
	uint32_t t[4][256];

	crc_tables(t);
	return crc_run(t, crc, buf, len);
}

/* ---- Huffman decoding tables ---- */

/*
 * The base and extra bits of length code s (0-28, for symbols 257-285;
 * sh 2, off 3) or distance code s (0-29; sh 1, off 1): RFC 1951 3.2.5's
 * tables follow a pattern, 2^sh codes for each count of extra bits, and
 * computing it is smaller than the four tables (with their padding).
 */
static unsigned
base(unsigned s, unsigned sh, unsigned off, unsigned *ext)
{
	unsigned g = 1u << sh;

	*ext = 0;
	if (s < 2 * g)
		return s + off;
	if (s == 28 && sh == 2)
		return 258;
	*ext = (s >> sh) - 1;
	return ((g + (s & (g - 1))) << *ext) + off;
}

/* The order code length code lengths are sent in (RFC 1951 3.2.7): 16,
 * 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15.  A string
 * is not padded to 16 bytes, as an array is. */
#define CLORDER ((const uint8_t *)"\20\21\22\0\10\7\11\6\12\5\13\4\14\3\15\2\16\1\17")

/*
 * A table entry is one uint32_t: bits 0-3 the code's length in bits (for
 * a link, its subtable's index bits), 4-7 the extra bits that follow, 8-10
 * the kind, 16-31 the value (a literal, a length or distance base, or a
 * link's subtable offset).  The whole step from bits to a symbol with its
 * base is one or two loads.
 */
enum { K_LIT, K_BASE, K_EOB, K_BAD, K_LINK };
#define ENT(k, v, x, n) ((uint32_t)(v) << 16 | (uint32_t)(k) << 8 | \
	(uint32_t)(x) << 4 | (uint32_t)(n))
#define E_LEN(e)   ((e) & 15)
#define E_EXTRA(e) ((e) >> 4 & 15)
#define E_KIND(e)  ((e) >> 8 & 7)
#define E_VAL(e)   ((e) >> 16)

enum { T_LIT, T_DIST, T_CL };   /* what a table decodes */

/*
 * Primary index bits, and capacities.  Every subtable has the index bits
 * of the longest code less pb, and a complete code (only complete codes
 * reach past pb bits) puts two codes at least under each prefix that has
 * one: at most 1024 + 143 * 32 entries for 286 literal/length codes (10
 * bits), 256 + 15 * 128 for 30 distance codes (8 bits).  build() checks.
 */
#define LBITS 10
#define DBITS 8
#define LT_CAP (1024 + 143 * 32)
#define DT_CAP (256 + 15 * 128)

static uint32_t
sym_entry(int type, unsigned s, unsigned n)
{
	unsigned b, x;

	if (type == T_CL || (type == T_LIT && s < 256))
		return ENT(K_LIT, s, 0, n);
	if (type == T_LIT) {
		if (s == 256)
			return ENT(K_EOB, 0, 0, n);
		s -= 257;
		b = base(s, 2, 3, &x);
		return s < 29 ? ENT(K_BASE, b, x, n) : ENT(K_BAD, 0, 0, n);
	}
	b = base(s, 1, 1, &x);
	return s < 30 ? ENT(K_BASE, b, x, n) : ENT(K_BAD, 0, 0, n);
}

/* The n low bits of x in reverse order: Huffman codes are sent from
 * their most significant bit, the bit reader gives the first bit lowest. */
static unsigned
rev(unsigned x, unsigned n)
{
	unsigned r = 0;

	while (n-- > 0) {
		r = r << 1 | (x & 1);
		x >>= 1;
	}
	return r;
}

/*
 * The canonical codes (RFC 1951 3.2.2) of the lengths len[0..n), bit-reversed:
 * the bit readers and writers take the first bit lowest, and a Huffman
 * code is sent from its most significant bit.
 */
static void
canon(const uint8_t *len, unsigned n, uint16_t *code)
{
	unsigned cnt[16] = { 0 }, next[16], c = 0, l, i;

	for (i = 0; i < n; i++)
		cnt[len[i]]++;
	cnt[0] = 0;
	for (l = 1; l < 16; l++) {
		c = (c + cnt[l - 1]) << 1;
		next[l] = c;
	}
	for (i = 0; i < n; i++)
		if (len[i])
			code[i] = (uint16_t)rev(next[len[i]]++, len[i]);
}

/*
 * Makes t (cap entries) decode the code of lengths len[0..n): a primary
 * table indexed by the next pb input bits, and for codes longer than pb a
 * subtable per pb-bit prefix.  Returns 0 or GZ_EOVERSUB, GZ_EINCOMPLETE.
 * The codes of symbols that do not exist (fixed 286, 287, distances 30,
 * 31) and the entries no code reaches (in the incomplete codes allowed:
 * these are one bit long) are K_BAD.
 */
static int
build(uint32_t *t, size_t cap, unsigned pb, const uint8_t *len, unsigned n,
    int type)
{
	unsigned cnt[16] = { 0 }, j, l, s, sub, max = 0, c, k, lim;
	uint16_t code[288];
	size_t used = (size_t)1 << pb, b;
	uint32_t e;
	int left = 1;

	for (s = 0; s < n; s++)
		cnt[len[s]]++;
	for (l = 1; l < 16; l++) {
		left = 2 * left - (int)cnt[l];
		if (left < 0)
			return GZ_EOVERSUB;
		if (cnt[l])
			max = l;
	}
	if (left > 0 && (type == T_CL || max > 1))
		return GZ_EINCOMPLETE;
	canon(len, n, code);
	for (j = 0; j < used; j++)
		t[j] = ENT(K_BAD, 0, 0, 1);
	sub = max > pb ? max - pb : 0;
	for (s = 0; s < n; s++) {
		if ((l = len[s]) == 0)
			continue;
		c = code[s];
		k = l;
		b = 0;
		lim = pb;
		if (l > pb) {
			e = t[c & ((1u << pb) - 1)];
			if (E_KIND(e) != K_LINK) {
				if (used + ((size_t)1 << sub) > cap)
					return GZ_EOVERSUB;
				e = ENT(K_LINK, used, 0, sub);
				t[c & ((1u << pb) - 1)] = e;
				used += (size_t)1 << sub;
			}
			b = E_VAL(e);
			c >>= pb;
			k = l - pb;
			lim = sub;
		}
		e = sym_entry(type, s, l);
		for (j = c; j < 1u << lim; j += 1u << k)
			t[b + j] = e;
	}
	return 0;
}

/* ---- inflate ---- */

struct inf {
	const uint8_t *in;
	uint32_t len, pos;     /* pos: the next byte to load into bb */
	uint64_t bb;           /* loaded bits, the next one lowest */
	unsigned bc;           /* how many bits of bb are loaded */
	uint8_t *out;
	uint32_t o, cap;
	uint32_t mstart;       /* where this member's output begins */
	int fixed;             /* lt and dt hold the fixed code */
	gz_err *e;
	uint32_t lt[LT_CAP], dt[DT_CAP];
	uint8_t lens[286 + 30];
};

/* The input byte holding the next unread bit. */
#define AT(s) ((s)->pos - ((s)->bc + 7) / 8)

static uint64_t
load64(const uint8_t *p)
{
#if GZ_LE
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
#else
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
#endif
}

/*
 * Loads bytes until n bits are there; returns non-zero if the input ends
 * first.  (The hot loop, codes(), loads eight bytes at once.)  Bits above
 * bc in bb are zeros or the input's next bits, as both loaders leave them,
 * so that they can be looked at before they are known to be there.
 */
static int
need(struct inf *s, unsigned n)
{
	while (s->bc < n) {
		if (s->pos == s->len)
			return 1;
		s->bb |= (uint64_t)s->in[s->pos++] << s->bc;
		s->bc += 8;
	}
	return 0;
}

/* The next n (<= 32) bits as a number; past the end of the input, zeros
 * and a GZ_ETRUNC error. */
static unsigned
getbits(struct inf *s, unsigned n)
{
	unsigned v;

	if (need(s, n)) {
		fail(s->e, GZ_ETRUNC, s->len);
		n = s->bc;
	}
	v = (unsigned)(s->bb & ((1ull << n) - 1));
	s->bb >>= n;
	s->bc -= n;
	return v;
}

/* Drops the bits to the next byte boundary and gives back the whole
 * bytes still loaded, so that s->pos is where reading goes on. */
static void
align(struct inf *s)
{
	s->pos -= s->bc / 8;
	s->bb = 0;
	s->bc = 0;
}

/*
 * The codes of one Huffman block, up to its end-of-block code.  The hot
 * loop: state is kept in locals (stores to out may alias any field) and
 * written back around the rare calls.  One refill a symbol is enough: a
 * fast refill leaves at least 56 bits, and a length with its distance
 * takes at most 15 + 5 + 15 + 13.
 */
static int
codes(struct inf *s)
{
	const uint8_t *in = s->in;
	const uint32_t *lt = s->lt, *dt = s->dt;
	uint8_t *out = s->out, *d;
	uint32_t len = s->len, pos = s->pos, o = s->o, cap = s->cap, at;
	uint64_t bb = s->bb;
	unsigned bc = s->bc, n, mlen, dist;
	uint32_t e;
	int err;

	for (;;) {
		if (len - pos >= 8) {
			bb |= load64(in + pos) << bc;
			pos += (63 - bc) >> 3;
			bc |= 56;
		} else {
			while (bc <= 56 && pos < len) {
				bb |= (uint64_t)in[pos++] << bc;
				bc += 8;
			}
		}
		at = pos - (bc + 7) / 8;
		e = lt[bb & ((1u << LBITS) - 1)];
		if (E_KIND(e) == K_LINK)
			e = lt[E_VAL(e) + (bb >> LBITS & ((1u << E_LEN(e)) - 1))];
		n = E_LEN(e);
		if (n > bc)
			goto trunc;
		if (E_KIND(e) == K_LIT) {
			bb >>= n;
			bc -= n;
			if (o == cap) {
				err = GZ_ELIMIT;
				goto bad;
			}
			out[o++] = (uint8_t)E_VAL(e);
			continue;
		}
		if (E_KIND(e) != K_BASE) {
			if (E_KIND(e) == K_BAD) {
				err = GZ_ECODE;
				goto bad;
			}
			bb >>= n;       /* end of block */
			bc -= n;
			break;
		}
		bb >>= n;
		bc -= n;
		n = E_EXTRA(e);
		if (n > bc)
			goto trunc;
		mlen = E_VAL(e) + (unsigned)(bb & ((1u << n) - 1));
		bb >>= n;
		bc -= n;

		at = pos - (bc + 7) / 8;
		e = dt[bb & ((1u << DBITS) - 1)];
		if (E_KIND(e) == K_LINK)
			e = dt[E_VAL(e) + (bb >> DBITS & ((1u << E_LEN(e)) - 1))];
		n = E_LEN(e) + E_EXTRA(e);
		if (n > bc)
			goto trunc;
		if (E_KIND(e) == K_BAD) {
			err = GZ_ECODE;
			goto bad;
		}
		dist = E_VAL(e) + (unsigned)(bb >> E_LEN(e) &
		    ((1u << E_EXTRA(e)) - 1));
		bb >>= n;
		bc -= n;
		if (dist > o - s->mstart) {
			err = GZ_EDIST;
			goto bad;
		}
		if (mlen > cap - o) {
			err = GZ_ELIMIT;
			goto bad;
		}
		d = out + o;
		o += mlen;
		if (dist >= 8 && cap - o >= 8) {
			/* eight bytes a step, at most 7 past the match */
			do {
				memcpy(d, d - dist, 8);
				d += 8;
			} while (d < out + o);
		} else {
			for (; mlen > 0; mlen--, d++)
				*d = d[-(ptrdiff_t)dist];
		}
	}
	s->pos = pos;
	s->bb = bb;
	s->bc = bc;
	s->o = o;
	return 0;
trunc:
	s->o = o;
	return fail(s->e, GZ_ETRUNC, len);
bad:
	s->o = o;
	return fail(s->e, err, at);
}

/* The lengths of a dynamic block's two codes (RFC 1951 3.2.7), then the
 * codes' tables. */
static __attribute__((noinline)) int
dynamic(struct inf *s)
{
	uint8_t cl[19] = { 0 };
	unsigned nlen, ndist, ncl, i, rep, val;
	uint32_t at = AT(s);
	unsigned v;
	uint32_t e;
	int err;

	s->fixed = 0;   /* lt is about to be overwritten */
	v = getbits(s, 14);
	nlen = (v & 31) + 257;
	ndist = (v >> 5 & 31) + 1;
	ncl = (v >> 10) + 4;
	if (nlen > 286 || ndist > 30)
		return fail(s->e, GZ_ELENS, at);
	for (i = 0; i < ncl; i++)
		cl[CLORDER[i]] = (uint8_t)getbits(s, 3);
	if ((err = build(s->lt, LT_CAP, 7, cl, 19, T_CL)) != 0)
		return fail(s->e, err, AT(s));
	for (i = 0; i < nlen + ndist;) {
		at = AT(s);
		need(s, 7);
		e = s->lt[s->bb & 127];
		getbits(s, E_LEN(e));
		val = E_VAL(e);
		if (val < 16) {
			s->lens[i++] = (uint8_t)val;
			continue;
		}
		/* 16: the previous length 3-6 times; 17: 3-10 zeros; 18: 11-138 */
		rep = getbits(s, (uint8_t)"\2\3\7"[val - 16]) +
		    (uint8_t)"\3\3\13"[val - 16];
		if (val == 16 && i == 0)
			return fail(s->e, GZ_ELENS, at);
		if (rep > nlen + ndist - i)
			return fail(s->e, GZ_ELENS, at);
		val = val == 16 ? s->lens[i - 1] : 0;
		while (rep-- > 0)
			s->lens[i++] = (uint8_t)val;
	}
	at = AT(s);
	if (s->lens[256] == 0)
		return fail(s->e, GZ_ELENS, at);
	if ((err = build(s->lt, LT_CAP, LBITS, s->lens, nlen, T_LIT)) != 0 ||
	    (err = build(s->dt, DT_CAP, DBITS, s->lens + nlen, ndist, T_DIST)))
		return fail(s->e, err, at);
	return s->e->code != GZ_OK ? -1 : 0;
}

/* The fixed code of RFC 1951 3.2.6, 286 and 287 and distances 30 and 31
 * included (as K_BAD: they may not occur). */
static __attribute__((noinline)) void
fixed(struct inf *s)
{
	memset(s->lens, 8, 288);
	memset(s->lens + 144, 9, 112);
	memset(s->lens + 256, 7, 24);
	build(s->lt, LT_CAP, LBITS, s->lens, 288, T_LIT);
	memset(s->lens, 5, 32);
	build(s->dt, DT_CAP, DBITS, s->lens, 32, T_DIST);
	s->fixed = 1;
}

/* One stored block: LEN, NLEN, then LEN bytes copied. */
static __attribute__((noinline)) int
stored(struct inf *s)
{
	uint32_t n, p;

	align(s);
	p = s->pos;
	n = getbits(s, 16);     /* byte by byte: s->pos stays exact */
	if ((n ^ 0xffff) != getbits(s, 16))
		return fail(s->e, GZ_ESTORED, p);
	p = s->pos;
	if (s->e->code != GZ_OK || s->len - p < n)
		return fail(s->e, GZ_ETRUNC, s->len);
	if (n > s->cap - s->o)
		return fail(s->e, GZ_ELIMIT, p);
	memcpy(s->out + s->o, s->in + p, n);
	s->o += n;
	s->pos = p + n;
	return 0;
}

/* One member at s->pos: header, blocks, trailer (RFC 1952 2.3).  Not
 * inlined: through a pointer, s's fields are short offsets. */
static __attribute__((noinline)) int
member(struct inf *s, const uint32_t crct[4][256])
{
	const uint8_t *in = s->in;
	uint32_t len = s->len, p = s->pos, h = p, n;
	const uint8_t *z;
	unsigned flg, v;

	/* refuse what is not gzip at the first byte that says so: ID1, ID2,
	 * CM 8, FLG without reserved bits */
	for (n = 0; n < 4 && p + n < len; n++)
		if (n < 3 ? in[p + n] != (uint8_t)"\37\213\10"[n] :
		    (in[p + n] & 0xe0) != 0)
			return fail(s->e, GZ_EHEADER, p + n);
	if (len - p < 10)
		return fail(s->e, GZ_ETRUNC, len);
	flg = in[p + 3];
	p += 10;
	if (flg & 4) {          /* FEXTRA: XLEN, then XLEN bytes */
		if (len - p < 2)
			return fail(s->e, GZ_ETRUNC, len);
		n = (uint32_t)in[p] | (uint32_t)in[p + 1] << 8;
		p += 2;
		if (len - p < n)
			return fail(s->e, GZ_ETRUNC, len);
		p += n;
	}
	for (n = 8; n <= 16; n += 8) {  /* FNAME, FCOMMENT: to a NUL */
		if (!(flg & n))
			continue;
		if ((z = memchr(in + p, 0, len - p)) == NULL)
			return fail(s->e, GZ_ETRUNC, len);
		p = (uint32_t)(z - in) + 1;
	}
	if (flg & 2) {          /* FHCRC: the low 16 bits of the header's CRC */
		if (len - p < 2)
			return fail(s->e, GZ_ETRUNC, len);
		if ((crc_run(crct, 0, in + h, p - h) & 0xffff) !=
		    ((unsigned)in[p] | (unsigned)in[p + 1] << 8))
			return fail(s->e, GZ_EHCRC, p);
		p += 2;
	}
	s->pos = p;
	s->mstart = s->o;
	do {
		uint32_t at = AT(s);

		v = getbits(s, 3);  /* if truncated: a stored block, refused */
		switch (v >> 1) {
		case 0:
			if (stored(s))
				return -1;
			break;
		case 1:
			if (!s->fixed)
				fixed(s);
			if (codes(s))
				return -1;
			break;
		case 2:
			if (dynamic(s) || codes(s))
				return -1;
			break;
		default:
			return fail(s->e, GZ_EBLOCK, at);
		}
	} while (!(v & 1));
	align(s);
	p = s->pos;
	if (len - p < 8)
		return fail(s->e, GZ_ETRUNC, len);
	if (crc_run(crct, 0, s->out + s->mstart, s->o - s->mstart) != le32(in + p))
		return fail(s->e, GZ_ECRC, p);
	if ((uint32_t)(s->o - s->mstart) != le32(in + p + 4))
		return fail(s->e, GZ_EISIZE, p + 4);
	s->pos = p + 8;
	return 0;
}

/* see gz_min.h */
int
gz_inflate(const void *in, size_t len, void *out, size_t cap,
    size_t *outlen, gz_err *e)
{
	struct inf s;
	uint32_t crct[4][256];
	gz_err dummy;
	int r;

	memset(&s, 0, offsetof(struct inf, lt));
	s.in = in;
	s.len = (uint32_t)len;
	s.out = out;
	s.cap = cap < UINT32_MAX ? (uint32_t)cap : UINT32_MAX;
	s.e = e != NULL ? e : &dummy;
	s.e->code = GZ_OK;
	s.e->offset = 0;
	*outlen = 0;
	if (len > UINT32_MAX)
		return fail(s.e, GZ_EARG, 0);
	crc_tables(crct);
	do
		r = member(&s, crct);
	while (r == 0 && s.pos < len);
	*outlen = s.o;
	return r;
}

/* see gz_min.h */
int
gz_inflate_alloc(const void *in, size_t len, size_t limit,
    unsigned char **out, size_t *outlen, gz_err *e)
{
	size_t cap;
	gz_err dummy;

	if (e == NULL)
		e = &dummy;
	/*
	 * The first size tried is the last member's ISIZE, which is the whole
	 * length for one member: one allocation and one pass in the usual
	 * case.  It is only a guess (a hostile one may lie), bounded by the
	 * limit.
	 * When it is too small, the whole input is read again into twice the
	 * room: at most twice the work of knowing the size, and the decoder
	 * keeps one simple bound.
	 */
	cap = len >= 18 ? le32((const uint8_t *)in + len - 4) : 0;
	for (;;) {
		if (cap > limit)
			cap = limit;
		if ((*out = malloc(cap + 1)) == NULL)
			return fail(e, GZ_ENOMEM, 0);
		if (gz_inflate(in, len, *out, cap, outlen, e) == 0) {
			(*out)[*outlen] = 0;
			return 0;
		}
		free(*out);
		*out = NULL;
		if (e->code != GZ_ELIMIT || cap == limit)
			return -1;
		cap = cap < 4096 ? 8192 : cap > limit / 2 ? limit : cap * 2;
	}
}

/* ---- deflate ---- */

#define WSIZE   32768
#define WMASK   (WSIZE - 1)
#define MAXDIST (WSIZE - 1)  /* keeps prev[] entries on a chain current */
#define SYMS    16384        /* symbols in a block, at most */
/*
 * Match search: follow at most CHAIN earlier positions with the same
 * hash (a quarter when the match to beat is GOOD or longer), stop at a
 * match of NICE, and do not look for a longer one after a match of LAZY
 * or more.  A 3-byte match FAR back costs more than three literals.
 */
#define CHAIN   128
#define GOOD    8
#define NICE    128
#define LAZY    16
#define FAR     4096

/*
 * Symbols: a literal, or 1<<31 | (dist-1)<<8 | (len-3).  Frequencies,
 * lengths and codes are kept for literals/lengths (0-285) and distances
 * (286-315) in one array each, so that one loop does both.
 */
#define NSYM (286 + 30)

struct def {
	const uint8_t *in;
	uint32_t len;
	int32_t *head, *prev;  /* hash chains: latest position, the one before */
	unsigned hbits;
	uint32_t *sym;
	uint32_t nsym, bstart; /* bstart: where the block's input begins */
	uint32_t f[NSYM];      /* the block's frequencies */
	uint8_t *out;
	uint32_t o, cap;
	int full;              /* out was too small */
	int dry;               /* put() counts bits, writes nothing */
	uint64_t bits;         /* the count */
	uint64_t bb;           /* bits not yet written, first lowest */
	unsigned bc;
};

/* Writes the n (<= 32) low bits of v, whole bytes at once; only counts
 * them when d->dry. */
static void
put(struct def *d, uint64_t v, unsigned n)
{
	if (d->dry) {
		d->bits += n;
		return;
	}
	d->bb |= v << d->bc;
	for (d->bc += n; d->bc >= 8; d->bc -= 8) {
		if (d->o < d->cap)
			d->out[d->o++] = (uint8_t)d->bb;
		else
			d->full = 1;
		d->bb >>= 8;
	}
}

/* Pads to a byte boundary with zero bits. */
static void
flush(struct def *d)
{
	put(d, 0, (8 - d->bc) & 7);
}

/*
 * Lengths of at most limit bits for the codes of freq[0..n): Huffman's by
 * two queues (leaves sorted by frequency, then symbol, so the result is
 * deterministic; merged nodes are made in increasing weight), and while
 * the tree is too deep, again with every frequency halved, rounded up so
 * that no symbol is lost.  That costs a few bits on rare inputs, for much
 * less code than package-merge.  At least two symbols get a length, so
 * that every code sent is complete.
 */
static void
lengths(const uint32_t *freq, unsigned n, unsigned limit, uint8_t *len)
{
	uint32_t key[286], w[2 * 286], k;
	uint16_t par[2 * 286];
	unsigned m = 0, i, j, a, b, c, x, max;

	memset(len, 0, n);
	for (i = 0; i < n; i++)
		if (freq[i])
			key[m++] = freq[i] << 9 | i;
	for (i = 0; m < 2; i++)
		if (!freq[i])
			key[m++] = 1u << 9 | i;
	for (i = 1; i < m; i++) {       /* insertion sort: m <= 286 */
		k = key[i];
		for (j = i; j > 0 && key[j - 1] > k; j--)
			key[j] = key[j - 1];
		key[j] = k;
	}
	for (i = 0; i < m; i++)
		w[i] = key[i] >> 9;
	for (;;) {
		a = 0;
		b = m;
		for (c = m; c < 2 * m - 1; c++) {
			w[c] = 0;
			for (j = 0; j < 2; j++) {
				if (a < m && (b >= c || w[a] <= w[b]))
					x = a++;
				else
					x = b++;
				w[c] += w[x];
				par[x] = (uint16_t)c;
			}
		}
		/* depths, root first: each parent's is already there */
		par[2 * m - 2] = 0;
		max = 0;
		for (i = 2 * m - 2; i-- > 0;) {
			par[i] = par[par[i]] + 1;
			if (par[i] > max)
				max = par[i];
		}
		if (max <= limit)
			break;
		for (i = 0; i < m; i++)
			w[i] = (w[i] + 1) >> 1;
	}
	for (i = 0; i < m; i++)
		len[key[i] & 511] = (uint8_t)par[i];
}

/* The length code (0-28, for 257-285) of length l + 3. */
static unsigned
lcode(unsigned l)
{
	unsigned n;

	if (l < 8)
		return l;
	if (l == 255)
		return 28;
	n = 31 - (unsigned)__builtin_clz(l);
	return 4 * (n - 1) + (l >> (n - 2) & 3);
}

/* The distance code (0-29) of dist. */
static unsigned
dcode(unsigned dist)
{
	unsigned x = dist - 1, n;

	if (x < 4)
		return x;
	n = 31 - (unsigned)__builtin_clz(x);
	return 2 * n + (x >> (n - 1) & 1);
}

/* Extra bits after code length code symbol s (RFC 1951 3.2.7). */
static unsigned
clx(unsigned s)
{
	return s < 16 ? 0 : (unsigned)"\2\3\7"[s - 16];
}

/* The block's symbols and its end-of-block code, in the code (c, l). */
static void
emit(struct def *d, const uint16_t *c, const uint8_t *l)
{
	uint32_t i, v;
	unsigned n, k, s, b, x;

	for (i = 0; i < d->nsym; i++) {
		v = d->sym[i];
		if (!(v >> 31)) {
			put(d, c[v], l[v]);
			continue;
		}
		n = (v & 255) + 3;
		k = lcode(n - 3);
		s = 257 + k;
		b = base(k, 2, 3, &x);
		put(d, c[s] | (uint64_t)(n - b) << l[s], l[s] + x);
		n = (v >> 8 & 0x7fff) + 1;
		k = dcode(n);
		s = 286 + k;
		b = base(k, 1, 1, &x);
		put(d, c[s] | (uint64_t)(n - b) << l[s], l[s] + x);
	}
	put(d, c[256], l[256]);
}

/*
 * Ends the block at input offset end: writes it with dynamic Huffman codes
 * or stored, whichever is shorter to the bit.  Never with the fixed code:
 * it only wins on inputs of a few hundred bytes, by a few bytes, and the
 * code it would take here counts against the size budget.
 */
static void
block(struct def *d, uint32_t end, int last)
{
	uint8_t l[NSYM], seq[NSYM], rsym[NSYM], rext[NSYM], cll[19];
	uint16_t c[NSYM], cc[19];
	uint32_t clf[19] = { 0 };
	unsigned nl = 286, nd = 30, nc = 19, nr = 0, i, v, run, r;
	uint32_t n = end - d->bstart, p = d->bstart, k;
	uint64_t sto;

	d->f[256] = 1;
	lengths(d->f, 286, 15, l);
	lengths(d->f + 286, 30, 15, l + 286);
	while (nl > 257 && l[nl - 1] == 0)
		nl--;
	while (nd > 1 && l[286 + nd - 1] == 0)
		nd--;
	memcpy(seq, l, nl);
	memcpy(seq + nl, l + 286, nd);
	/* the two length sequences as one, zero runs coded with 17 and 18
	 * (16, a length repeated, would save about 0.01 % for its code) */
	for (i = 0; i < nl + nd;) {
		v = seq[i];
		for (run = 1; i + run < nl + nd && seq[i + run] == v; run++)
			;
		if (v == 0 && run >= 3) {
			r = run > 138 ? 138 : run;
			rsym[nr] = r >= 11 ? 18 : 17;
			rext[nr++] = (uint8_t)(r - (r >= 11 ? 11 : 3));
			i += r;
			continue;
		}
		rsym[nr] = (uint8_t)v;
		rext[nr++] = 0;
		i++;
	}
	for (i = 0; i < nr; i++)
		clf[rsym[i]]++;
	lengths(clf, 19, 7, cll);
	while (nc > 4 && cll[CLORDER[nc - 1]] == 0)
		nc--;

	/* stored: 3 bits, padding to a byte, LEN NLEN, the bytes; a block
	 * of more than 65535 bytes is several */
	sto = 3 + ((5 - d->bc) & 7) + 32 + 8 * (uint64_t)n +
	    (n > 0 ? (n - 1) / 65535 : 0) * 40;
	canon(l, 286, c);
	canon(l + 286, 30, c + 286);
	canon(cll, 19, cc);
	/*
	 * The dynamic block is written twice: first only counted (put() adds
	 * up the bits), and again if it is shorter than stored.  Less code
	 * than reckoning its size apart, and the count is exact.
	 */
	for (d->dry = 1;; d->dry = 0) {
		d->bits = 0;
		put(d, 4 | (unsigned)last, 3);
		put(d, (nl - 257) | (nd - 1) << 5 | (nc - 4) << 10, 14);
		for (i = 0; i < nc; i++)
			put(d, cll[CLORDER[i]], 3);
		for (i = 0; i < nr; i++)
			put(d, cc[rsym[i]] | (uint32_t)rext[i] << cll[rsym[i]],
			    cll[rsym[i]] + clx(rsym[i]));
		emit(d, c, l);
		if (!d->dry)
			break;          /* written */
		if (d->bits < sto)
			continue;       /* shorter than stored: write it */
		d->dry = 0;
		do {
			k = n > 65535 ? 65535 : n;
			put(d, last && k == n, 3);
			flush(d);
			put(d, k | (k ^ 0xffff) << 16, 32);
			if (d->cap - d->o >= k) {
				memcpy(d->out + d->o, d->in + p, k);
				d->o += k;
			} else {
				d->full = 1;
			}
			p += k;
			n -= k;
		} while (n > 0);
		break;
	}
	memset(d->f, 0, sizeof d->f);
	d->nsym = 0;
	d->bstart = end;
}

static void
literal(struct def *d, unsigned c, uint32_t end)
{
	d->sym[d->nsym++] = c;
	d->f[c]++;
	if (d->nsym == SYMS)
		block(d, end, 0);
}

static void
match(struct def *d, unsigned l, unsigned dist, uint32_t end)
{
	d->sym[d->nsym++] = 1u << 31 | (dist - 1) << 8 | (l - 3);
	d->f[257 + lcode(l - 3)]++;
	d->f[286 + dcode(dist)]++;
	if (d->nsym == SYMS)
		block(d, end, 0);
}

/* Puts pos (3 bytes at least before the end) on its hash chain. */
static void
insert(struct def *d, uint32_t pos)
{
	const uint8_t *p = d->in + pos;
	uint32_t h = ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16) * 0x9e3779b1u >> (32 - d->hbits);

	d->prev[pos & WMASK] = d->head[h];
	d->head[h] = (int32_t)pos;
}

static unsigned
matchlen(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned l = 0;

#if GZ_LE
	uint64_t x;

	for (; l + 8 <= max; l += 8)
		if ((x = load64(a + l) ^ load64(b + l)) != 0)
			return l + ((unsigned)__builtin_ctzll(x) >> 3);
#endif
	while (l < max && a[l] == b[l])
		l++;
	return l;
}

/*
 * The longest match for pos (already inserted) longer than best, nearest
 * first among equals: its length, and its distance in *dist; 0 if none.
 */
static __attribute__((noinline)) unsigned
longest(const struct def *d, uint32_t pos, unsigned best, unsigned *dist)
{
	const uint8_t *p = d->in + pos, *q;
	unsigned max = d->len - pos < 258 ? (unsigned)(d->len - pos) : 258;
	unsigned chain = best >= GOOD ? CHAIN / 4 : CHAIN, l, found = 0;
	int32_t lo = pos > MAXDIST ? (int32_t)(pos - MAXDIST) : 0;
	int32_t c = d->prev[pos & WMASK];

	if (best >= max)
		return 0;
	for (; c >= lo && chain > 0; c = d->prev[c & WMASK], chain--) {
		q = d->in + c;
		if (q[best] != p[best])
			continue;
		l = matchlen(p, q, max);
		if (l > best) {
			best = l;
			*dist = pos - (uint32_t)c;
			found = 1;
			if (l >= NICE || l == max)
				break;
		}
	}
	return found ? best : 0;
}

/*
 * LZ77 with lazy matching: a match found at pos is kept back one byte,
 * and sent only if pos + 1 has no longer one; else pos goes as a literal.
 */
static __attribute__((noinline)) void
lz(struct def *d)
{
	uint32_t len = d->len, pos = 0, end;
	unsigned plen = 0, pdist = 0, mlen, mdist = 0;
	int have = 0;

	while (pos < len) {
		mlen = 0;
		if (len - pos >= 3) {
			insert(d, pos);
			if (plen < LAZY)
				mlen = longest(d, pos, plen >= 3 ? plen : 2, &mdist);
			if (mlen == 3 && mdist > FAR)
				mlen = 0;
		}
		if (plen >= 3 && mlen <= plen) {
			end = pos - 1 + plen;
			match(d, plen, pdist, end);
			for (pos++; pos < end; pos++)
				if (len - pos >= 3)
					insert(d, pos);
			plen = 0;
			have = 0;
			continue;
		}
		if (have)
			literal(d, d->in[pos - 1], pos);
		plen = mlen;
		pdist = mdist;
		have = 1;
		pos++;
	}
	if (have)
		literal(d, d->in[pos - 1], pos);
}

/* see gz_min.h */
size_t
gz_deflate_bound(size_t len)
{
	/*
	 * Every block is at most its stored size: 42 bits of header and
	 * padding per 65535 bytes and per block, and a block but the last
	 * holds SYMS symbols of a byte or more: len/65535 + len/16384 + 2 of
	 * them at most, 6 bytes each; then the last byte's padding and 18
	 * bytes of gzip header and trailer.
	 */
	return len + len / 2048 + 64;
}

/* see gz_min.h */
int
gz_deflate(const void *in, size_t len, void *out, size_t cap,
    size_t *outlen, gz_err *e)
{
	struct def d;
	gz_err dummy;
	size_t wn;
	void *mem;

	if (e == NULL)
		e = &dummy;
	e->code = GZ_OK;
	e->offset = 0;
	*outlen = 0;
	if (len > GZ_MAX_DEFLATE)
		return fail(e, GZ_EARG, 0);
	memset(&d, 0, sizeof d);
	d.in = in;
	d.len = (uint32_t)len;
	d.out = out;
	d.cap = cap < UINT32_MAX ? (uint32_t)cap : UINT32_MAX;
	/* a hash table the input's size, 1K to 32K entries: small records
	 * do not pay for clearing 128 KB */
	d.hbits = len > 16384 ? 15 : len > 1024 ?
	    32 - (unsigned)__builtin_clz((unsigned)len - 1) : 10;
	/* as many prev[] and sym[] entries as len can use */
	wn = len < WSIZE ? len + 1 : WSIZE;
	mem = malloc((((size_t)1 << d.hbits) + wn + (wn < SYMS ? wn : SYMS)) * 4);
	if (mem == NULL)
		return fail(e, GZ_ENOMEM, 0);
	d.head = mem;
	d.prev = d.head + ((size_t)1 << d.hbits);
	d.sym = (uint32_t *)(d.prev + wn);
	memset(d.head, 0xff, ((size_t)1 << d.hbits) * 4);
	/* ID1 ID2 CM FLG, MTIME 0, XFL 0, OS 255 (unknown) */
	put(&d, 0x00088b1f, 32);
	put(&d, 0, 32);
	put(&d, 0xff00, 16);
	lz(&d);
	block(&d, len, 1);
	flush(&d);
	put(&d, gz_crc32(0, in, len), 32);
	put(&d, (uint32_t)len, 32);
	free(mem);
	if (d.full)
		return fail(e, GZ_ELIMIT, 0);
	*outlen = d.o;
	return 0;
}
