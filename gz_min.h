/*
 * gz_min: gzip members (RFC 1952) over DEFLATE (RFC 1951), both ways, and
 * CRC-32, for Helm's release records: base64(gzip(JSON)), which Helm writes
 * with Go's compress/gzip at best compression.
 *
 * Whole buffers only: (buffer, length) in, output in memory the caller
 * owns.  Nothing here prints, exits, reads the environment or keeps state
 * between calls: every function is reentrant.  Base64 is http_min's
 * (hm_b64_decode, hm_b64_encode); it is not repeated here, and this unit
 * depends on nothing but the C library.
 *
 * Memory: gz_inflate uses about 40 KB of stack (decoding tables); gz_deflate
 * allocates up to 320 KB of scratch (hash chains, symbols) and frees it
 * before returning.  Inputs and outputs are under 4 GiB.
 */
#ifndef GZ_MIN_H
#define GZ_MIN_H

#include <stddef.h>
#include <stdint.h>

/* The largest input gz_deflate takes (positions are 31-bit). */
#define GZ_MAX_DEFLATE ((size_t)1 << 30)

/*
 * Error codes: each names one way the input is wrong, and gz_err.offset
 * says where, as a 0-based byte offset into the input.
 */
enum {
	GZ_OK = 0,
	GZ_ETRUNC,      /* the input ends inside a member (offset: its length) */
	GZ_EHEADER,     /* not a gzip member: ID1 ID2 not 1f 8b, CM not 8, a
	                   reserved FLG bit set (offset: that byte); also bytes
	                   after a member that do not start another one */
	GZ_EHCRC,       /* FHCRC differs from the header's CRC-32 (its field) */
	GZ_EBLOCK,      /* reserved block type 3 (the block header's byte) */
	GZ_ESTORED,     /* stored block with LEN != ~NLEN (the LEN field) */
	GZ_EOVERSUB,    /* over-subscribed Huffman code lengths (the byte where
	                   the lengths end) */
	GZ_EINCOMPLETE, /* incomplete Huffman code lengths (same) */
	GZ_ELENS,       /* code lengths that make no code: over 286 literal or
	                   30 distance symbols (the block header's byte), a
	                   repeat with nothing before it or past the end (the
	                   repeat's byte), no end-of-block code (where the
	                   lengths end) */
	GZ_ECODE,       /* a code for no symbol: 286, 287, distances 30, 31, or
	                   outside an incomplete code (the code's first byte) */
	GZ_EDIST,       /* a distance back past the start of the member's
	                   output (the distance code's first byte) */
	GZ_ECRC,        /* the output's CRC-32 differs from the trailer's (its
	                   field) */
	GZ_EISIZE,      /* the output's length differs from ISIZE (its field) */
	GZ_ELIMIT,      /* the output would pass the caller's limit (the code
	                   that would pass it), or gz_deflate's out is full */
	GZ_ENOMEM,      /* malloc failed */
	GZ_EARG         /* input over GZ_MAX_DEFLATE (gz_deflate) or 4 GiB */
};

typedef struct {
	int code;        /* GZ_OK or one of GZ_E* */
	size_t offset;   /* where in the input it was found */
} gz_err;

/* A static English phrase for code, such as "bad CRC-32". */
const char *gz_strerror(int code);

/*
 * CRC-32 (IEEE 802.3, as gzip and zlib) of buf[0..len), continuing from
 * crc: start with 0, pass the previous result to go on.
 */
uint32_t gz_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * Decompresses the gzip stream in[0..len): one member or several one after
 * the other (their outputs concatenated, as Go's reader and gunzip do).
 * Header flags FEXTRA, FNAME, FCOMMENT and FHCRC are read and the header
 * CRC checked; each member's CRC-32 and ISIZE are checked.  Any byte after
 * the last member is an error, as in Go's reader.
 *
 * Writes at most cap bytes to out: cap is the output limit.  Returns 0 and
 * the length in *outlen, or -1 with *e set (e may be NULL): the first
 * error found, with its offset; then *outlen is what was written before
 * it, unchecked.  out[*outlen..cap) may be written too.
 */
int gz_inflate(const void *in, size_t len, void *out, size_t cap,
    size_t *outlen, gz_err *e);

/*
 * As gz_inflate, into a buffer it allocates (malloc), never of more than
 * limit bytes of output.  It tries the size the last member's ISIZE gives
 * (exact for one member), and if that is too small (several members, or a
 * lying ISIZE) reads the input again into twice the room.  On success
 * *out holds *outlen bytes plus a NUL after them (for text parsers), and
 * the caller frees it with free(); on error *out is NULL and nothing is
 * left allocated.
 */
int gz_inflate_alloc(const void *in, size_t len, size_t limit,
    unsigned char **out, size_t *outlen, gz_err *e);

/*
 * The size of out that gz_deflate never passes for an input of len bytes
 * (len plus about 0.05 %, plus 64): a record a caller may store in a
 * limited space is checked against the real length, not this.
 */
size_t gz_deflate_bound(size_t len);

/*
 * Compresses in[0..len) to one gzip member: header without name or time
 * (MTIME 0, OS 255), DEFLATE blocks (LZ77 with hash chains and lazy
 * matching; each block of up to 16384 symbols with dynamic Huffman codes,
 * or stored where that is shorter), CRC-32 and ISIZE.  Deterministic: the
 * same input gives the same bytes.  Go's compress/gzip, zlib, gunzip and
 * Python read it.
 *
 * Writes at most cap bytes to out (gz_deflate_bound(len) always suffices).
 * Returns 0 and the length in *outlen, or -1 with *e set (e may be NULL):
 * GZ_ELIMIT when out is too small, GZ_ENOMEM, GZ_EARG when len is over
 * GZ_MAX_DEFLATE.  The offset of these errors is 0.
 */
int gz_deflate(const void *in, size_t len, void *out, size_t cap,
    size_t *outlen, gz_err *e);

#endif
