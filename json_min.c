/*
 * json_min.c: a cJSON arena and a fast compact JSON writer (json_min.h).
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cJSON.h"
#include "json_min.h"

/* ============================== the arena ============================== */

/*
 * While `json` and `plan` build one document's tree at a time, cJSON
 * allocates from this arena: musl's malloc mapped and unmapped memory
 * ~7400 times over the corpus for the 2-3 allocations a node takes, most of
 * the command's time.  Allocation bumps a pointer in large chunks; free only
 * counts, and when nothing is live (a document printed and ym_doc_free'd:
 * yaml_min keeps no cJSON memory from one ym_next call to the next) the
 * chunks are reused from the start.  Static because cJSON's hooks take
 * no context: the one global of this unit, documented in json_min.h.
 */
struct chunk {
	struct chunk *next;
	size_t cap;                 /* bytes after the header */
};

#define ARENA_HDR   ((sizeof(struct chunk) + 15) & ~(size_t)15)
#define ARENA_CHUNK ((size_t)1 << 20)

static struct {
	struct chunk *head, *cur;   /* all chunks; the one being filled */
	size_t used;                /* bytes of cur handed out */
	size_t live;                /* allocations not yet freed */
} arena;

static void *
arena_alloc(size_t n)
{
	struct chunk *c;
	size_t need = n ? (n + 15) & ~(size_t)15 : 16;

	if (need < n)
		return NULL;
	if (arena.cur == NULL || arena.cur->cap - arena.used < need) {
		c = arena.cur ? arena.cur->next : arena.head;
		if (c == NULL || c->cap < need) {
			size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;

			if (cap > SIZE_MAX - ARENA_HDR || (c = malloc(ARENA_HDR + cap)) == NULL)
				return NULL;
			c->cap = cap;
			if (arena.cur) {
				c->next = arena.cur->next;
				arena.cur->next = c;
			} else {
				c->next = arena.head;
				arena.head = c;
			}
		}
		arena.cur = c;
		arena.used = 0;
	}
	arena.used += need;
	arena.live++;
	return (char *)arena.cur + ARENA_HDR + arena.used - need;
}

static void
arena_free(void *p)
{
	if (p == NULL)
		return;
	if (--arena.live == 0) {
		arena.cur = NULL;
		arena.used = 0;
	}
}

/*
 * Every allocation dropped at once, without a walk of the trees: for a
 * caller that holds nothing made in the arena any more (json, after a
 * document is printed; the free calls cost more than the parse of a key).
 */
/* see json_min.h */
void
jm_arena_reset(void)
{
	arena.cur = NULL;
	arena.used = 0;
	arena.live = 0;
}

/* see json_min.h */
void
jm_arena_begin(void)
{
	cJSON_Hooks h = { arena_alloc, arena_free };

	cJSON_InitHooks(&h);
}

/* see json_min.h */
void
jm_arena_end(void)
{
	struct chunk *c, *next;

	cJSON_InitHooks(NULL);
	for (c = arena.head; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(&arena, 0, sizeof arena);
}

/* ============================== the writer ============================== */

/*
 * Compact JSON of a cJSON tree, byte for byte what cJSON_PrintUnformatted
 * makes (the tests compare them), into a growing buffer: cJSON's printer
 * formats every number with sprintf and reads it back with sscanf, and
 * measures what it wrote with strlen, which was a third of `json`'s time.
 */
typedef jm_out out_t;

/* Grows the buffer; on failure leaves the write (jm_write's setjmp). */
static void
out_grow(jm_out *o, size_t n)
{
	size_t cap = o->cap;
	char *b;

	while (cap - o->n < n) {
		if (cap > JM_MAX_OUT)
			longjmp(*(jmp_buf *)o->fail, 1);
		cap = cap ? 2 * cap : 1 << 16;
	}
	if ((b = realloc(o->b, cap)) == NULL)
		longjmp(*(jmp_buf *)o->fail, 1);
	o->b = b;
	o->cap = cap;
}

static inline __attribute__((always_inline)) char *
out_room(jm_out *o, size_t n)
{
	if (o->cap - o->n < n)
		out_grow(o, n);
	return o->b + o->n;
}

static inline __attribute__((always_inline)) void
out_byte(jm_out *o, char c)
{
	*out_room(o, 1) = c;
	o->n++;
}

static inline void
out_mem(jm_out *o, const char *s, size_t n)
{
	memcpy(out_room(o, n), s, n);
	o->n += n;
}

/*
 * The length of the run of bytes at s that JSON takes as they are: up to
 * the first quote, backslash or control byte, or the NUL.  With SSE2,
 * sixteen at a time by aligned loads: an aligned load never crosses into
 * a page (or out of the 16-byte block of an allocation) that the string
 * does not reach, but it reads past the NUL, which a sanitizer would
 * report: hence no_sanitize.
 */
#ifdef __SSE2__
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
__attribute__((no_sanitize("address")))
#endif
#endif
static size_t
json_run(const unsigned char *s)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	    ctl = _mm_set1_epi8(0x1f);
	size_t skew = (uintptr_t)s & 15;
	const __m128i *q = (const __m128i *)(const void *)(s - skew);
	unsigned m;
	__m128i v = _mm_load_si128(q);

	m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
	    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl))) >> skew << skew;
	while (m == 0) {
		v = _mm_load_si128(++q);
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
		    _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl)));
	}
	return (size_t)((const unsigned char *)q + __builtin_ctz(m) - s);
}
#else
/* The bytes a JSON string cannot hold as they are (NUL ends the C string). */
static const unsigned char json_escaped[256] = {
	[0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1,
};

static size_t
json_run(const unsigned char *s)
{
	size_t n = 0;

	while (!json_escaped[s[n]])
		n++;
	return n;
}
#endif

/*
 * n bytes, most often a few: musl's x86-64 memcpy starts a rep movsq, whose
 * start-up costs more than such a copy.  Every load is within [s, s + n).
 */
static inline __attribute__((always_inline)) void
out_copy(char *d, const unsigned char *s, size_t n)
{
	uint64_t a, b;

	if (n >= 8) {
		for (; n > 16; n -= 16, d += 16, s += 16) {
			memcpy(&a, s, 8);
			memcpy(&b, s + 8, 8);
			memcpy(d, &a, 8);
			memcpy(d + 8, &b, 8);
		}
		if (n > 8) {
			memcpy(&a, s, 8);
			memcpy(d, &a, 8);
		}
		memcpy(&b, s + n - 8, 8);
		memcpy(d + n - 8, &b, 8);
	} else {
		while (n--)
			*d++ = (char)*s++;
	}
}

static void
out_string(jm_out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t run;
	char *w;

	out_byte(o, '"');
	for (;;) {
		run = json_run(p);
		out_copy(out_room(o, run), p, run);
		o->n += run;
		p += run;
		if (*p == 0)
			break;
		w = out_room(o, 6);
		w[0] = '\\';
		switch (*p) {
		case '"': w[1] = '"'; o->n += 2; break;
		case '\\': w[1] = '\\'; o->n += 2; break;
		case '\b': w[1] = 'b'; o->n += 2; break;
		case '\f': w[1] = 'f'; o->n += 2; break;
		case '\n': w[1] = 'n'; o->n += 2; break;
		case '\r': w[1] = 'r'; o->n += 2; break;
		case '\t': w[1] = 't'; o->n += 2; break;
		default:
			memcpy(w + 1, "u00", 3);
			w[4] = hex[*p >> 4];
			w[5] = hex[*p & 15];
			o->n += 6;
		}
		p++;
	}
	out_byte(o, '"');
}

static void
out_number(jm_out *o, double d)
{
	char b[32], *e = b + sizeof b, *w = e, *to;
	double t;
	size_t k;
	int n;

	if (isnan(d) || isinf(d)) {
		out_mem(o, "null", 4);
		return;
	}
	/* what "%1.15g" gives an integer of at most 15 digits, without printf */
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d && (d != 0 || !signbit(d))) {
		int64_t v = (int64_t)d;
		uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

		do
			*--w = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v < 0)
			*--w = '-';
		to = out_room(o, sizeof b);
		for (k = 0; w < e; k++)   /* 16 bytes at most: no memcpy call */
			to[k] = *w++;
		o->n += k;
		return;
	}
	n = snprintf(b, sizeof b, "%1.15g", d);
	t = strtod(b, NULL);
	if (fabs(t - d) > fmax(fabs(t), fabs(d)) * DBL_EPSILON)
		n = snprintf(b, sizeof b, "%1.17g", d);
	out_mem(o, b, (size_t)n);
}

static void
out_json(jm_out *o, const cJSON *j, unsigned depth)
{
	const cJSON *c;
	int array;

	switch (j->type & 0xff) {
	case cJSON_False: out_mem(o, "false", 5); break;
	case cJSON_True: out_mem(o, "true", 4); break;
	case cJSON_NULL: out_mem(o, "null", 4); break;
	case cJSON_Number: out_number(o, j->valuedouble); break;
	case cJSON_String: out_string(o, j->valuestring); break;
	case cJSON_Raw:
		if (j->valuestring)
			out_mem(o, j->valuestring, strlen(j->valuestring));
		break;
	case cJSON_Array:
	case cJSON_Object:
		array = (j->type & 0xff) == cJSON_Array;
		out_byte(o, array ? '[' : '{');
		for (c = j->child; c; c = c->next) {
			if (!array) {
				out_string(o, c->string);
				out_byte(o, ':');
			}
			if (depth >= JM_MAX_DEPTH)
				longjmp(*(jmp_buf *)o->fail, 1);
			out_json(o, c, depth + 1);
			if (c->next)
				out_byte(o, ',');
		}
		out_byte(o, array ? ']' : '}');
		break;
	}
}

/* see json_min.h */
int
jm_write(jm_out *o, const cJSON *j)
{
	jmp_buf fail;
	volatile size_t start = o->n;

	o->fail = &fail;
	if (setjmp(fail) != 0) {
		o->n = start;
		o->fail = NULL;
		return -1;
	}
	out_json(o, j, 0);
	out_byte(o, '\n');
	o->fail = NULL;
	return 0;
}

/* see json_min.h */
char *
jm_print(const cJSON *j)
{
	jm_out o = { NULL, 0, 0, NULL };

	if (jm_write(&o, j) != 0) {
		free(o.b);
		return NULL;
	}
	o.b[o.n - 1] = '\0';   /* the newline */
	return o.b;
}
