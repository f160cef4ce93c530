/*
 * yaml_min: the YAML of Kubernetes manifests to cJSON.  See yaml_min.h.
 *
 * Accepted subset (l = a line, n = the indentation of the parent block
 * collection, -1 at document level; "sameline" = after "- ", "key: " or
 * "--- " on the same line):
 *
 *   stream     ::= BOM? ( directive* "---" ws? doc | doc ) ( "..." eol )? ...
 *   directive  ::= "%YAML 1.x" eol | "%TAG ..." (unsupported) | "%" other
 *                  (ignored, reserved)
 *   doc        ::= comment* node(-1)? comment*        empty: no document
 *   node(n)    ::= props? ( block-seq | block-map | block-scalar | flow )
 *                | props                               (empty node)
 *   props      ::= ( "&" name | tag ) ( ws ( "&" name | tag ) )?
 *   tag        ::= "!" | "!!" core | "!<tag:yaml.org,2002:" core ">"
 *   core       ::= str | int | float | bool | null | map | seq
 *                  (any other tag, local or named: unsupported)
 *   block-seq(c) ::= ( indent(c) "-" ( ws node(c) | eol node(c) ) )+
 *                  a sequence may sit at the indentation of its parent key
 *   block-map(c) ::= ( indent(c) key ws* ":" ( ws node(c) | eol node(c) ) )+
 *   key        ::= props? ( plain1 | quoted1 | alias )  on one line;
 *                  "?" complex keys and flow collections as keys:
 *                  unsupported; duplicate keys: error; "<<" merges one
 *                  mapping or a sequence of mappings (explicit keys win,
 *                  then earlier sources)
 *   flow       ::= props? ( "[" ( fnode ( ":" fnode )? "," )* "]"
 *                         | "{" ( fnode ( ":" fnode? )? "," )* "}"
 *                         | plain | quoted | alias )    across lines
 *   block-scalar ::= ( "|" | ">" ) ( [1-9] [+-]? | [+-] [1-9]? )? comment?
 *                  eol lines...
 *   plain      ::= YAML 1.2 plain scalar, multi-line (folded) in value
 *                  position; comments need a space before "#"
 *   quoted     ::= '...' ('' escape) | "..." (all YAML escapes, \ at the
 *                  end of a line), multi-line with folding
 *   alias      ::= "*" name                  (a copy of the anchored node)
 *
 * Tabs: allowed as separation and inside scalars, never as indentation of
 * block structure.  Line breaks: LF, CRLF or CR.  Input must be UTF-8
 * without control characters (other than TAB, LF, CR).
 *
 * Resolution of untagged plain scalars follows go-yaml v2 (resolve.go),
 * which kubectl uses through sigs.k8s.io/yaml; see docs/yaml.md.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "yaml_min.h"

/* Rare in manifests (flow collections, anchors, aliases, tags, floats,
 * multi-line quoted scalars, errors): optimized for size even at -O2, to
 * keep the -O2 build of the hot paths within the binary's budget. */
#define COLD __attribute__((cold))

#define DEAD 0x4000  /* type bit on discarded nodes, until doc end */
#define NOKEY UINT32_MAX

/*
 * A mark: a node (a member, among key marks) and the offset of its first
 * byte.  A scalar's also says how it was written, in what was padding:
 * its content's offset << 4 | verbatim << 3 | YM_PLAIN...; 0 for any
 * other node (offsets stay under 2^27: YM_MAX_INPUT).
 */
struct ment {
	const cJSON *node;
	uint32_t off;
	uint32_t how;
};

/* One cJSON_malloc'd block: this header, then e[], k[] and ls[]. */
struct ym_marks {
	struct ment *e, *k;   /* node marks, key marks: sorted by node */
	size_t en, kn;
	uint32_t *ls;         /* offsets where lines line0, line0+1... begin */
	size_t lsn;
	unsigned line0;
};

struct anchor {
	const char *name;
	size_t len;
	cJSON *node;
	int height;
};

enum { T_NONE, T_NONSPEC, T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL, T_MAP,
	T_SEQ };

struct props {
	int present, tag, anchored;
	size_t off, aoff, alen;
};

/*
 * The growable tables of the parse, kept in the ym_parser from one document
 * to the next: made afresh for each document, the large ones were mapped
 * and unmapped by malloc every time, most of a stream's parse time.
 */
struct ym_tables {
	struct ment *m, *km;     /* marks of nodes and keys, in making order */
	size_t mcap, kmcap;
	uint32_t *lt;            /* line starts of the document */
	size_t ltcap;
	struct anchor *a;
	size_t acap;
	size_t *ah;              /* open addressing: index+1 into a */
	size_t ahcap;
	char *s;                 /* scratch for scalars */
	size_t scap;
	struct ment *tmp;        /* scratch for sorting marks */
	size_t tmpcap;
};

/* Per-document parse state. */
typedef struct {
	const unsigned char *b;
	size_t n, pos, ls;       /* ls: offset where the current line begins */
	unsigned line;
	ym_error *err;
	int failed;
	struct ym_tables *t;     /* the parser's; entries [0, mn), [0, kmn)... */
	size_t mn, kmn, ltn, an;
	unsigned line0;
	cJSON *grave;            /* discarded subtrees, freed at doc end */
	size_t nodes, expanded;
	int depth;
	size_t sn;               /* bytes used in t->s */
	int pending, pend_ind, tabind;
	int last_float;          /* the last scalar made resolved as float */
	int nomarks;             /* YM_NO_MARKS */
	uint32_t how;            /* how the scalar made next was written
	                            (struct ment): mk takes it, once */
	int cr;                  /* the input has a CR: lines may end in one */
} P;

struct sv {
	size_t pos, ls, ltn;
	unsigned line;
};

static void save(P *p, struct sv *s)
{
	s->pos = p->pos; s->ls = p->ls; s->ltn = p->ltn; s->line = p->line;
}

static void restore(P *p, const struct sv *s)
{
	p->pos = s->pos; p->ls = s->ls; p->ltn = s->ltn; p->line = s->line;
}

static inline int ch(const P *p, size_t i)
{
	return i < p->n ? p->b[i] : -1;
}

static inline int isbrk(int c) { return c == '\n' || c == '\r'; }
static inline int isws(int c) { return c == ' ' || c == '\t'; }
static inline int isblankz(int c) { return c == ' ' || c == '\t' || isbrk(c) || c < 0; }
static int isflowind(int c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static void markat(const P *p, size_t at, ym_mark *mk)
{
	mk->offset = at;
	if (at >= p->ls) {
		mk->line = p->line;
		mk->col = (unsigned)(at - p->ls + 1);
		return;
	}
	size_t lo = 0, hi = p->ltn;   /* last lt[i] <= at */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (p->t->lt[mid] <= at)
			lo = mid;
		else
			hi = mid;
	}
	if (p->ltn == 0 || p->t->lt[lo] > at) {
		mk->line = p->line0;
		mk->col = 1;
		return;
	}
	mk->line = p->line0 + (unsigned)lo;
	mk->col = (unsigned)(at - p->t->lt[lo] + 1);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static COLD void *fail(P *p, size_t at, const char *fmt, ...);

static void *fail(P *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	if (p->failed)
		return NULL;
	p->failed = 1;
	markat(p, at, &p->err->mark);
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return NULL;
}

/* Describes the input at i for "found X" messages. */
static const char *what(const P *p, size_t i, char *tmp)
{
	int c = ch(p, i);
	if (c < 0)
		return "end of input";
	if (isbrk(c))
		return "end of line";
	if (c == '\t')
		return "a tab";
	if (c == ' ')
		return "a space";
	if (c > 0x20 && c < 0x7f) {
		snprintf(tmp, 16, "\"%c\"", c);
		return tmp;
	}
	snprintf(tmp, 16, "byte 0x%02x", c);
	return tmp;
}

static void *found(P *p, size_t i, const char *expected)
{
	char tmp[16];
	return fail(p, i, "found %s, expected %s", what(p, i, tmp), expected);
}

static void *oom(P *p)
{
	return fail(p, p->pos, "out of memory");
}

static int grow(P *p, void **v, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(*v, nc * sz);
	if (!nv) {
		oom(p);
		return -1;
	}
	*v = nv;
	*cap = nc;
	return 0;
}

/* Consumes the line break at p->pos. */
static void newline(P *p)
{
	if (ch(p, p->pos) == '\r' && ch(p, p->pos + 1) == '\n')
		p->pos += 2;
	else
		p->pos++;
	p->line++;
	p->ls = p->pos;
	if (grow(p, (void **)&p->t->lt, &p->t->ltcap, p->ltn + 1, sizeof *p->t->lt))
		return;
	p->t->lt[p->ltn++] = (uint32_t)p->pos;
}

static int isdocmark(const P *p, size_t i)
{
	if (i + 3 > p->n)
		return 0;
	if (memcmp(p->b + i, "---", 3) && memcmp(p->b + i, "...", 3))
		return 0;
	return isblankz(ch(p, i + 3));
}

/* Where the line at i ends: its first line break, or the end of input. */
static size_t eol(const P *p, size_t i)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	for (; i + 16 <= p->n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p->b + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < p->n && !isbrk(p->b[i]))
		i++;
	return i;
}

/* The first byte at or after i that is not a space, or p->n. */
static size_t spaces(const P *p, size_t i)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' ');
	for (; i + 16 <= p->n; i += 16) {
		unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(p->b + i)), sp)) & 0xffff;
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < p->n && p->b[i] == ' ')
		i++;
	return i;
}

/*
 * Most keys and values are a few to a few dozen bytes.  musl's memcpy on
 * x86-64 is a rep movsq with byte loops around it, whose start-up costs
 * more than such a copy: a quarter of `json`'s time went there.  Up to 64
 * bytes, overlapping word moves (constant-size memcpy compiles to one load
 * or store); more goes to memcpy.
 */
static inline void bytecopy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	uint64_t a, b;
	uint32_t x, y;

	if (n > 64) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		for (; n > 16; n -= 16, d += 16, s += 16) {
			memcpy(&a, s, 8);
			memcpy(&b, s + 8, 8);
			memcpy(d, &a, 8);
			memcpy(d + 8, &b, 8);
		}
		/* the last 1 to 16 bytes: words that end at the end, which may
		   reach back over bytes already copied */
		if (n > 8) {
			memcpy(&a, s, 8);
			memcpy(d, &a, 8);
		}
		memcpy(&b, s + n - 8, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* Scratch buffer. */
static int sput(P *p, const void *s, size_t n)
{
	if (p->sn + n + 1 > p->t->scap &&
	    grow(p, (void **)&p->t->s, &p->t->scap, p->sn + n + 1, 1))
		return -1;
	bytecopy(p->t->s + p->sn, s, n);
	p->sn += n;
	return 0;
}

static int sputc(P *p, int c)
{
	char cc = (char)c;
	return sput(p, &cc, 1);
}

static int sput_utf8(P *p, unsigned long u)
{
	char b[4];
	size_t n;
	if (u < 0x80) {
		b[0] = (char)u; n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | u >> 6); b[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | u >> 12);
		b[1] = (char)(0x80 | (u >> 6 & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | u >> 18);
		b[1] = (char)(0x80 | (u >> 12 & 0x3f));
		b[2] = (char)(0x80 | (u >> 6 & 0x3f));
		b[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	return sput(p, b, n);
}

/* ---- nodes and marks ---- */

static cJSON *mk(P *p, cJSON *node, size_t off)
{
	if (!node)
		return oom(p);
	if (++p->nodes > YM_MAX_NODES) {
		cJSON_Delete(node);
		return fail(p, off, "unsupported: more than %zu nodes in one "
		    "document", (size_t)YM_MAX_NODES);
	}
	if (p->nomarks)
		return node;
	if (grow(p, (void **)&p->t->m, &p->t->mcap, p->mn + 1, sizeof *p->t->m)) {
		cJSON_Delete(node);
		return NULL;
	}
	p->t->m[p->mn].node = node;
	p->t->m[p->mn].off = (uint32_t)off;
	p->t->m[p->mn].how = p->how;
	p->how = 0;
	p->mn++;
	return node;
}

/* A scalar's style and the offset of its content, as struct ment keeps
 * them; scalar() adds whether it is verbatim. */
#define HOW(style, content) ((uint32_t)(content) << 4 | (uint32_t)(style))

static int keymark(P *p, const cJSON *node, size_t off)
{
	if (p->nomarks)
		return 0;
	if (grow(p, (void **)&p->t->km, &p->t->kmcap, p->kmn + 1, sizeof *p->t->km))
		return -1;
	p->t->km[p->kmn].node = node;
	p->t->km[p->kmn].off = (uint32_t)off;
	p->kmn++;
	return 0;
}

static cJSON *mkstr(P *p, const char *s, size_t n, size_t off)
{
	cJSON *it = cJSON_CreateNull();
	char *v;
	if (!it)
		return oom(p);
	if (!(v = cJSON_malloc(n + 1))) {
		cJSON_Delete(it);
		return oom(p);
	}
	bytecopy(v, s, n);
	v[n] = 0;
	it->type = cJSON_String;
	it->valuestring = v;
	return mk(p, it, off);
}

static void bury(P *p, cJSON *node)
{
	if (node)
		cJSON_AddItemToArray(p->grave, node);
}

static COLD void killtree(cJSON *n)
{
	for (; n; n = n->next) {
		n->type |= DEAD;
		killtree(n->child);
	}
}

static int height(const cJSON *n)
{
	int h = 0;
	for (const cJSON *c = n->child; c; c = c->next) {
		int ch_ = height(c);
		if (ch_ > h)
			h = ch_;
	}
	return n->child || cJSON_IsArray(n) || cJSON_IsObject(n) ? h + 1 : 0;
}

/* A copy of src (an anchored node) made for an alias at off. */
static COLD cJSON *copy(P *p, const cJSON *src, size_t off, int key)
{
	cJSON *d;
	if (++p->expanded > YM_MAX_EXPANDED)
		return fail(p, off, "unsupported: aliases expand to more than "
		    "%zu nodes", (size_t)YM_MAX_EXPANDED);
	switch (src->type & 0xff) {
	case cJSON_Object: d = cJSON_CreateObject(); break;
	case cJSON_Array: d = cJSON_CreateArray(); break;
	case cJSON_String: return mkstr(p, src->valuestring,
	    strlen(src->valuestring), off);
	case cJSON_Raw: d = cJSON_CreateRaw(src->valuestring); break;
	case cJSON_Number: d = cJSON_CreateNumber(src->valuedouble); break;
	case cJSON_True: d = cJSON_CreateTrue(); break;
	case cJSON_False: d = cJSON_CreateFalse(); break;
	default: d = cJSON_CreateNull(); break;
	}
	if (!mk(p, d, off))
		return NULL;
	(void)key;
	for (const cJSON *c = src->child; c; c = c->next) {
		cJSON *cc = copy(p, c, off, 0);
		if (!cc) {
			cJSON_Delete(d);
			return NULL;
		}
		if (c->string) {
			size_t l = strlen(c->string);
			if (!(cc->string = cJSON_malloc(l + 1))) {
				cJSON_Delete(cc);
				cJSON_Delete(d);
				return oom(p);
			}
			memcpy(cc->string, c->string, l + 1);
			if (keymark(p, cc, off)) {
				cJSON_Delete(cc);
				cJSON_Delete(d);
				return NULL;
			}
		}
		cJSON_AddItemToArray(d, cc);
	}
	return d;
}

/* ---- anchors ---- */

static size_t hashname(const char *s, size_t n)
{
	size_t h = 2166136261u;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct anchor *afind(P *p, const char *name, size_t len)
{
	if (!p->t->ahcap)
		return NULL;
	size_t i = hashname(name, len) & (p->t->ahcap - 1);
	for (; p->t->ah[i]; i = (i + 1) & (p->t->ahcap - 1)) {
		struct anchor *a = &p->t->a[p->t->ah[i] - 1];
		if (a->len == len && !memcmp(a->name, name, len))
			return a;
	}
	return NULL;
}

static COLD int aset(P *p, size_t off, size_t len, cJSON *node)
{
	const char *name = (const char *)p->b + off;
	struct anchor *a = afind(p, name, len);
	if (a) {               /* redefinition: the later one wins */
		a->node = node;
		a->height = height(node);
		return 0;
	}
	if (grow(p, (void **)&p->t->a, &p->t->acap, p->an + 1, sizeof *p->t->a))
		return -1;
	if ((p->an + 1) * 2 > p->t->ahcap) {
		size_t nc = p->t->ahcap ? p->t->ahcap * 2 : 64;
		size_t *nh = calloc(nc, sizeof *nh);
		if (!nh) {
			oom(p);
			return -1;
		}
		free(p->t->ah);
		p->t->ah = nh;
		p->t->ahcap = nc;
		for (size_t j = 0; j < p->an; j++) {
			size_t i = hashname(p->t->a[j].name, p->t->a[j].len) & (nc - 1);
			while (nh[i])
				i = (i + 1) & (nc - 1);
			nh[i] = j + 1;
		}
	}
	p->t->a[p->an] = (struct anchor){ name, len, node, height(node) };
	size_t i = hashname(name, len) & (p->t->ahcap - 1);
	while (p->t->ah[i])
		i = (i + 1) & (p->t->ahcap - 1);
	p->t->ah[i] = ++p->an;
	return 0;
}

/* ---- resolution (go-yaml v2 resolve.go) ---- */

enum { R_STR, R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_BIGF };

struct res {
	int kind;
	int b;
	int64_t i;
	uint64_t u;
	double d;
};

static int eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* The words that resolve to something other than a string (go-yaml v2). */
enum { W_NONE, W_TRUE, W_FALSE, W_NULL, W_NAN, W_INF, W_NINF };

/* By length: words_at[n - 1] to words_at[n]; text padded with NULs. */
static const struct word {
	char text[8];
	int kind;
} words[] = {
	{ "y", W_TRUE }, { "Y", W_TRUE }, { "n", W_FALSE }, { "N", W_FALSE },
	{ "~", W_NULL },
	{ "on", W_TRUE }, { "On", W_TRUE }, { "ON", W_TRUE },
	{ "no", W_FALSE }, { "No", W_FALSE }, { "NO", W_FALSE },
	{ "yes", W_TRUE }, { "Yes", W_TRUE }, { "YES", W_TRUE },
	{ "off", W_FALSE }, { "Off", W_FALSE }, { "OFF", W_FALSE },
	{ "true", W_TRUE }, { "True", W_TRUE }, { "TRUE", W_TRUE },
	{ "null", W_NULL }, { "Null", W_NULL }, { "NULL", W_NULL },
	{ ".nan", W_NAN }, { ".NaN", W_NAN }, { ".NAN", W_NAN },
	{ ".inf", W_INF }, { ".Inf", W_INF }, { ".INF", W_INF },
	{ "false", W_FALSE }, { "False", W_FALSE }, { "FALSE", W_FALSE },
	{ "+.inf", W_INF }, { "+.Inf", W_INF }, { "+.INF", W_INF },
	{ "-.inf", W_NINF }, { "-.Inf", W_NINF }, { "-.INF", W_NINF },
};
static const unsigned char words_at[] = { 0, 5, 11, 17, 29, 38 };

/* Eight-byte compares: memcmp of a constant size is inline. */
static int word(const char *s, size_t n)
{
	char t[8] = { 0 };
	switch (n) {   /* not a loop, which the compiler makes a memcpy call */
	case 5: t[4] = s[4]; /* FALLTHROUGH */
	case 4: t[3] = s[3]; /* FALLTHROUGH */
	case 3: t[2] = s[2]; /* FALLTHROUGH */
	case 2: t[1] = s[1]; /* FALLTHROUGH */
	case 1: t[0] = s[0]; break;
	default: return W_NONE;
	}
	for (size_t i = words_at[n - 1]; i < words_at[n]; i++)
		if (!memcmp(words[i].text, t, 8))
			return words[i].kind;
	return W_NONE;
}

/* Go's strconv.ParseInt/ParseUint(s, 0, 64) */
static int goint(const char *s, size_t n, struct res *r)
{
	size_t i = 0;
	int neg = 0, base = 10;
	uint64_t v = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int sign = i;
	if (i + 1 < n && s[i] == '0') {
		char c = s[i + 1] | 0x20;
		if (c == 'x') base = 16, i += 2;
		else if (c == 'b') base = 2, i += 2;
		else if (c == 'o') base = 8, i += 2;
		else base = 8, i += 1;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
		else return -1;
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		r->kind = R_INT;
		r->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 0;
	}
	if (v <= INT64_MAX) {
		r->kind = R_INT;
		r->i = (int64_t)v;
		return 0;
	}
	if (sign)        /* ParseUint takes no sign */
		return -1;
	r->kind = R_UINT;
	r->u = v;
	return 0;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static COLD int yamlfloat(const char *s, size_t n)
{
	size_t i = 0, d = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return 0;
	} else {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return 0;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return 0;
	}
	return i == n;
}

static COLD int tofloat(P *p, const char *s, size_t n, struct res *r)
{
	char buf[128], *e;
	if (n >= sizeof buf) {     /* long digit strings */
		char *t = malloc(n + 1);
		if (!t) {
			oom(p);
			return -1;
		}
		memcpy(t, s, n);
		t[n] = 0;
		r->d = strtod(t, &e);
		free(t);
	} else {
		bytecopy(buf, s, n);
		buf[n] = 0;
		r->d = strtod(buf, &e);
	}
	if (isinf(r->d))           /* Go: ErrRange, so not a float */
		return -1;
	r->kind = R_FLOAT;
	return 0;
}

static void resolve_more(P *p, const char *s, size_t n, struct res *r);

/* inline for the common case: most scalars are words */
static inline void resolve(P *p, const char *s, size_t n, struct res *r)
{
	r->kind = R_STR;
	if (n == 0) {
		r->kind = R_NULL;
		return;
	}
	/* Only these can start anything but a string, and no word of the
	 * lists below is longer than 5 bytes. */
	switch (s[0]) {
	case '+': case '-': case '.': case '0': case '1': case '2': case '3':
	case '4': case '5': case '6': case '7': case '8': case '9':
		resolve_more(p, s, n, r);
		return;
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T': case 'f':
	case 'F': case 'o': case 'O': case '~':
		if (n <= 5)
			resolve_more(p, s, n, r);
		return;
	}
}

static void resolve_more(P *p, const char *s, size_t n, struct res *r)
{
	int c = (unsigned char)s[0];

	memset(r, 0, sizeof *r);
	r->kind = R_STR;
	switch (n <= 5 ? word(s, n) : W_NONE) {
	case W_TRUE: r->kind = R_BOOL; r->b = 1; return;
	case W_FALSE: r->kind = R_BOOL; r->b = 0; return;
	case W_NULL: r->kind = R_NULL; return;
	case W_NAN: r->kind = R_FLOAT; r->d = NAN; return;
	case W_INF: r->kind = R_FLOAT; r->d = INFINITY; return;
	case W_NINF: r->kind = R_FLOAT; r->d = -INFINITY; return;
	}
	if (c == '.') {
		if (yamlfloat(s, n) && tofloat(p, s, n, r) == 0)
			return;
		r->kind = R_STR;
		return;
	}
	if (!(c == '+' || c == '-' || (c >= '0' && c <= '9')))
		return;
	/* underscores removed, as go-yaml does before ParseInt */
	char tmp[128];
	const char *q = s;
	size_t qn = n;
	if (memchr(s, '_', n)) {
		if (n >= sizeof tmp)
			return;   /* over 127 bytes with '_': no number */
		qn = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != '_')
				tmp[qn++] = s[i];
		q = tmp;
	}
	if (goint(q, qn, r) == 0)
		return;
	if (yamlfloat(q, qn) && tofloat(p, q, qn, r) == 0)
		return;
	r->kind = R_STR;
}

/*
 * Makes the node for scalar text (s, n) written as how says (HOW; 0: an
 * empty node, resolved as plain); tag: T_*.
 */
static cJSON *scalar(P *p, const char *s, size_t n, uint32_t how, int tag,
    size_t off)
{
	struct res r;
	int plain = (how & 7) <= YM_PLAIN;
	/* for the mark of the node made below; text read straight from the
	 * input (not rebuilt in the scratch: no escape, no folding) is its
	 * value as written */
	if (!p->nomarks)
		p->how = how | ((uintptr_t)s - (uintptr_t)p->b < p->n) << 3;
	p->last_float = 0;
	if (tag == T_MAP || tag == T_SEQ)
		return fail(p, off, "found a scalar, expected a %s for its "
		    "tag", tag == T_MAP ? "mapping" : "sequence");
	if (tag == T_STR || tag == T_NONSPEC || (!plain && tag == T_NONE))
		return mkstr(p, s, n, off);
	resolve(p, s, n, &r);
	if (p->failed)
		return NULL;
	if (tag != T_NONE) {
		int ok = (tag == T_INT && (r.kind == R_INT || r.kind == R_UINT)) ||
		    (tag == T_FLOAT && (r.kind == R_FLOAT || r.kind == R_INT ||
		    r.kind == R_UINT)) || (tag == T_BOOL && r.kind == R_BOOL) ||
		    (tag == T_NULL && r.kind == R_NULL);
		if (!ok)
			return fail(p, off, "found \"%.*s\", expected a value "
			    "of its tag !!%s", (int)(n > 40 ? 40 : n), s,
			    tag == T_INT ? "int" : tag == T_FLOAT ? "float" :
			    tag == T_BOOL ? "bool" : "null");
		if (tag == T_FLOAT && r.kind == R_INT)
			r.kind = R_FLOAT, r.d = (double)r.i;
		if (tag == T_FLOAT && r.kind == R_UINT)
			r.kind = R_FLOAT, r.d = (double)r.u;
	}
	switch (r.kind) {
	case R_NULL: return mk(p, cJSON_CreateNull(), off);
	case R_BOOL: return mk(p, cJSON_CreateBool(r.b), off);
	case R_FLOAT:
		if (isnan(r.d) || isinf(r.d))
			return fail(p, off, "unsupported: %.*s has no JSON form",
			    (int)(n > 40 ? 40 : n), s);
		p->last_float = 1;
		return mk(p, cJSON_CreateNumber(r.d), off);
	case R_INT:
		/* cJSON prints 15 significant digits: longer ones go raw */
		if (r.i >= -INT64_C(999999999999999) &&
		    r.i <= INT64_C(999999999999999))
			return mk(p, cJSON_CreateNumber((double)r.i), off);
		{
			char b[32];
			snprintf(b, sizeof b, "%lld", (long long)r.i);
			return mk(p, cJSON_CreateRaw(b), off);
		}
	case R_UINT: {
		char b[32];
		snprintf(b, sizeof b, "%llu", (unsigned long long)r.u);
		return mk(p, cJSON_CreateRaw(b), off);
	}
	}
	return mkstr(p, s, n, off);
}

/* The mapping key for a scalar node, as sigs.k8s.io/yaml makes it. */
static char *keystr(P *p, const cJSON *k, size_t off)
{
	char b[64];
	const char *s = b;
	if (cJSON_IsString(k) || cJSON_IsRaw(k))
		s = k->valuestring;
	else if (cJSON_IsTrue(k))
		s = "true";
	else if (cJSON_IsFalse(k))
		s = "false";
	else if (cJSON_IsNumber(k) && !p->last_float)
		snprintf(b, sizeof b, "%.0f", k->valuedouble);
	else if (cJSON_IsNumber(k)) {
		/* Go: strconv.FormatFloat(v, 'g', -1, 32) */
		float f = (float)k->valuedouble;
		int prec;
		if (isinf(f))
			s = f > 0 ? ".inf" : "-.inf";
		else {
		for (prec = 1; prec < 9; prec++) {
			snprintf(b, sizeof b, "%.*e", prec - 1, (double)f);
			if ((float)strtod(b, NULL) == f)
				break;
		}
		snprintf(b, sizeof b, "%.*e", prec - 1, (double)f);
		int e = atoi(strchr(b, 'e') + 1);
		if (e >= -4 && e < 6)
			snprintf(b, sizeof b, "%.*f",
			    prec - 1 - e > 0 ? prec - 1 - e : 0, (double)f);
		}
	} else if (cJSON_IsNull(k))
		return fail(p, off, "unsupported: a null mapping key");
	else
		return fail(p, off, "unsupported: a collection as a mapping "
		    "key");
	size_t l = strlen(s);
	char *r = cJSON_malloc(l + 1);
	if (!r)
		return oom(p);
	memcpy(r, s, l + 1);
	return r;
}

/* ---- duplicate key sets ---- */

struct kset {
	cJSON **t;
	size_t cap, n;
};

static cJSON *kfind(struct kset *ks, cJSON *obj, const char *k)
{
	if (!ks->t) {
		/* the first byte inline: most keys differ there, and musl's
		   strcmp is a call and a byte loop */
		for (cJSON *c = obj->child; c; c = c->next)
			if (c->string[0] == k[0] && !strcmp(c->string, k))
				return c;
		return NULL;
	}
	size_t i = hashname(k, strlen(k)) & (ks->cap - 1);
	for (; ks->t[i]; i = (i + 1) & (ks->cap - 1))
		if (!strcmp(ks->t[i]->string, k))
			return ks->t[i];
	return NULL;
}

static int kadd(P *p, struct kset *ks, cJSON *obj, cJSON *item)
{
	cJSON_AddItemToArray(obj, item);
	ks->n++;
	if (ks->n < 16)
		return 0;
	if (ks->n * 2 > ks->cap) {
		size_t nc = ks->cap ? ks->cap * 2 : 64;
		cJSON **nt = calloc(nc, sizeof *nt);
		if (!nt) {
			oom(p);
			return -1;
		}
		free(ks->t);
		ks->t = nt;
		ks->cap = nc;
		for (cJSON *c = obj->child; c; c = c->next) {
			size_t i = hashname(c->string, strlen(c->string)) & (nc - 1);
			while (nt[i])
				i = (i + 1) & (nc - 1);
			nt[i] = c;
		}
		return 0;
	}
	size_t i = hashname(item->string, strlen(item->string)) & (ks->cap - 1);
	while (ks->t[i])
		i = (i + 1) & (ks->cap - 1);
	ks->t[i] = item;
	return 0;
}

/* ---- lexical pieces ---- */

static void skipws(P *p)
{
	while (isws(ch(p, p->pos)))
		p->pos++;
}

/* At a line start: the line's indentation (spaces), with p->pos moved past
 * it and past any blanks after it. */
static int indent(P *p)
{
	size_t ls = p->pos;
	p->pos = spaces(p, p->pos);
	int ind = (int)(p->pos - ls);
	skipws(p);
	return ind;
}

/* After content on a line: spaces, an optional comment, the line end.
 * Returns 0 at a line end (not consumed) or -1 (failed). */
static int endline(P *p)
{
	size_t s = p->pos;
	skipws(p);
	int c = ch(p, p->pos);
	if (c == '#' && (p->pos > s || p->pos == p->ls ||
	    isws(ch(p, p->pos - 1)))) {
		p->pos = eol(p, p->pos);
		return 0;
	}
	if (c < 0 || isbrk(c))
		return 0;
	found(p, p->pos, "end of line");
	return -1;
}

/*
 * Moves to the content of the next line that has some; returns its
 * indentation (spaces) with p->pos at the content, or -1 at the end of
 * input or a document marker (p->pos at the marker's line start), or -2
 * on error.
 */
static int next_line(P *p)
{
	if (p->pending) {
		p->pending = 0;
		return p->pend_ind;
	}
	if (endline(p))
		return -2;
	for (;;) {
		int c = ch(p, p->pos);
		if (c < 0)
			return -1;
		newline(p);
		if (p->failed)
			return -2;
		if (isdocmark(p, p->pos))
			return -1;
		size_t s = p->pos;
		p->pos = spaces(p, p->pos);
		int ind = (int)(p->pos - s);
		p->tabind = 0;
		while (isws(ch(p, p->pos))) {
			p->tabind = 1;
			p->pos++;
		}
		c = ch(p, p->pos);
		if (c == '#') {
			p->pos = eol(p, p->pos);
			continue;
		}
		if (c < 0)
			return -1;
		if (isbrk(c))
			continue;
		return ind;
	}
}

static void set_pending(P *p, int ind)
{
	p->pending = 1;
	p->pend_ind = ind;
}

static int col(const P *p)
{
	return (int)(p->pos - p->ls);
}

static int parse_tag(P *p)
{
	size_t s = p->pos;
	const unsigned char *b = p->b;
	size_t e = s + 1;
	if (ch(p, e) == '<') {
		while (e < p->n && b[e] != '>' && !isblankz(b[e]))
			e++;
		if (ch(p, e) != '>') {
			found(p, e, "\">\" closing a verbatim tag");
			return -1;
		}
		e++;
	} else {
		while (e < p->n && !isblankz(b[e]) && !isflowind(b[e]))
			e++;
	}
	p->pos = e;
	const char *t = (const char *)b + s;
	size_t n = e - s;
	static const struct { const char *name; int tag; } core[] = {
		{ "str", T_STR }, { "int", T_INT }, { "float", T_FLOAT },
		{ "bool", T_BOOL }, { "null", T_NULL }, { "map", T_MAP },
		{ "seq", T_SEQ },
	};
	const char *name = NULL;
	size_t nn = 0;
	if (n == 1)
		return T_NONSPEC;
	if (n > 2 && t[1] == '!') {
		name = t + 2; nn = n - 2;
	} else if (n > 22 && !memcmp(t, "!<tag:yaml.org,2002:", 20)) {
		name = t + 20; nn = n - 21;
	}
	for (size_t i = 0; name && i < sizeof core / sizeof core[0]; i++)
		if (eq(name, nn, core[i].name))
			return core[i].tag;
	fail(p, s, "unsupported: tag %.*s", (int)(n > 60 ? 60 : n), t);
	return -1;
}

static COLD int props_at(P *p, struct props *pr, int flow);

/* inline for the common case: no properties */
static inline int parse_props(P *p, struct props *pr, int flow)
{
	int c = ch(p, p->pos);
	return c == '&' || c == '!' ? props_at(p, pr, flow) : 0;
}

static int props_at(P *p, struct props *pr, int flow)
{
	for (;;) {
		int c = ch(p, p->pos);
		size_t s = p->pos;
		if (c == '&') {
			if (pr->anchored) {
				found(p, s, "one anchor per node");
				return -1;
			}
			size_t e = s + 1;
			while (e < p->n && !isblankz(p->b[e]) && !isflowind(p->b[e]))
				e++;
			if (e == s + 1) {
				found(p, e, "an anchor name");
				return -1;
			}
			pr->anchored = 1;
			pr->aoff = s + 1;
			pr->alen = e - s - 1;
			p->pos = e;
		} else if (c == '!') {
			if (pr->tag) {
				found(p, s, "one tag per node");
				return -1;
			}
			int t = parse_tag(p);
			if (t < 0)
				return -1;
			pr->tag = t;
		} else
			return 0;
		if (!pr->present) {
			pr->present = 1;
			pr->off = s;
		}
		c = ch(p, p->pos);
		if (!isblankz(c) && !(flow && isflowind(c))) {
			found(p, p->pos, "a space after a node property");
			return -1;
		}
		skipws(p);
	}
}

/* Adds the properties of b to a; -1 if both have an anchor or a tag. */
static int addprops(P *p, struct props *a, const struct props *b)
{
	if (!b->present)
		return 0;
	if ((a->anchored && b->anchored) || (a->tag && b->tag)) {
		found(p, b->off, "one anchor and one tag per node");
		return -1;
	}
	if (!a->present) {
		a->present = 1;
		a->off = b->off;
	}
	if (b->anchored) {
		a->anchored = 1;
		a->aoff = b->aoff;
		a->alen = b->alen;
	}
	if (b->tag)
		a->tag = b->tag;
	return 0;
}

/* Registers the anchor of pr on node, once the node is complete. */
static cJSON *anchor(P *p, const struct props *pr, cJSON *node)
{
	if (node && pr->anchored && aset(p, pr->aoff, pr->alen, node))
		return NULL;
	return node;
}

static cJSON *empty(P *p, const struct props *pr, size_t off)
{
	cJSON *n;
	if (pr->tag == T_MAP)
		n = mk(p, cJSON_CreateObject(), off);
	else if (pr->tag == T_SEQ)
		n = mk(p, cJSON_CreateArray(), off);
	else
		n = scalar(p, "", 0, 0, pr->tag == T_NONSPEC ? T_STR : pr->tag,
		    off);
	return anchor(p, pr, n);
}

static COLD cJSON *alias(P *p, size_t *end)
{
	size_t s = p->pos, e = s + 1;
	while (e < p->n && !isblankz(p->b[e]) && !isflowind(p->b[e]))
		e++;
	if (e == s + 1)
		return found(p, e, "an alias name");
	struct anchor *a = afind(p, (const char *)p->b + s + 1, e - s - 1);
	if (!a)
		return fail(p, s, "found undefined alias \"%.*s\", expected "
		    "an anchor defined before it", (int)(e - s - 1 > 60 ? 60 :
		    e - s - 1), p->b + s + 1);
	if (p->depth + a->height > YM_MAX_DEPTH)
		return fail(p, s, "unsupported: nesting deeper than %d",
		    YM_MAX_DEPTH);
	p->pos = e;
	if (end)
		*end = e;
	cJSON *d = copy(p, a->node, s, 0);
	if (d && cJSON_IsNumber(d))
		p->last_float = 0;
	return d;
}

/* What the scan of a plain scalar must look at: STOP_ANY bytes in any
 * context, STOP_FLOW ones in flow context; NOT_FIRST bytes cannot begin one. */
enum { STOP_ANY = 1, STOP_FLOW = 2, NOT_FIRST = 4 };
static const unsigned char plainclass[256] = {
	['\n'] = STOP_ANY, ['\r'] = STOP_ANY,
	[':'] = STOP_ANY, ['#'] = STOP_ANY | NOT_FIRST,
	[','] = STOP_FLOW | NOT_FIRST, ['['] = STOP_FLOW | NOT_FIRST,
	[']'] = STOP_FLOW | NOT_FIRST, ['{'] = STOP_FLOW | NOT_FIRST,
	['}'] = STOP_FLOW | NOT_FIRST, ['&'] = NOT_FIRST, ['*'] = NOT_FIRST,
	['!'] = NOT_FIRST, ['|'] = NOT_FIRST, ['>'] = NOT_FIRST,
	['\''] = NOT_FIRST, ['"'] = NOT_FIRST, ['%'] = NOT_FIRST,
	['@'] = NOT_FIRST, ['`'] = NOT_FIRST,
};

/* The first byte at or after i that a plain scalar's scan must look at. */
static size_t plainscan(const P *p, size_t i, int flow)
{
	const int stop = flow ? STOP_ANY | STOP_FLOW : STOP_ANY;
#ifdef __SSE2__
	if (!flow) {
		const __m128i colon = _mm_set1_epi8(':'), hash = _mm_set1_epi8('#'),
		    lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
		for (; i + 16 <= p->n; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(p->b + i));
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, colon),
			    _mm_cmpeq_epi8(v, hash)), _mm_or_si128(
			    _mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
	}
#endif
	while (i < p->n && !(plainclass[p->b[i]] & stop))
		i++;
	return i;
}

/*
 * A plain scalar at p->pos.  The first line stops at ": ", " #", the line
 * end (and ",[]{" in flow).  Continues on lines indented more than n
 * unless `one`.  Returns the text in (*o, *on): the buffer or the scratch.
 */
static int plain(P *p, int n, int flow, int one, const char **o,
    size_t *on, int *multi)
{
	size_t s = p->pos, end = s;
	int c = ch(p, s), nx = ch(p, s + 1);
	*multi = 0;
	if (c < 0 || isblankz(c) || (plainclass[c] & NOT_FIRST) ||
	    ((c == '-' || c == '?' || c == ':') && (isblankz(nx) ||
	    (flow && isflowind(nx))))) {
		found(p, s, "a value");
		return -1;
	}
	size_t seg = s;
	int scratch = 0;
	for (;;) {
		/* one line */
		for (;;) {
			p->pos = plainscan(p, p->pos, flow);
			c = ch(p, p->pos);
			if (c < 0 || isbrk(c))
				break;
			if (c == ':') {
				nx = ch(p, p->pos + 1);
				if (isblankz(nx) || (flow && isflowind(nx)))
					break;
			} else if (flow && isflowind(c))
				break;
			else if (c == '#' && isws(ch(p, p->pos - 1)))
				break;
			p->pos++;
		}
		/* without the blanks before the stop */
		for (end = p->pos; end > seg && isws(p->b[end - 1]); end--)
			;
		if (scratch && sput(p, p->b + seg, end - seg))
			return -1;
		c = ch(p, p->pos);
		if (one || !(isbrk(c)))
			break;
		if (!flow) {
			/* most often the next line starts with content at the
			 * parent's indentation or less: no continuation */
			size_t q0 = p->pos + (c == '\r' && ch(p, p->pos + 1) == '\n'
			    ? 2 : 1), q = spaces(p, q0);
			if (q < p->n && (int)(q - q0) <= n && !isws(p->b[q]) &&
			    !isbrk(p->b[q]))
				break;
		}
		/* a continuation line? */
		struct sv sv;
		save(p, &sv);
		int blank = 0, ind;
		for (;;) {
			newline(p);
			ind = indent(p);
			c = ch(p, p->pos);
			if (isbrk(c)) {
				blank++;
				continue;
			}
			break;
		}
		nx = ch(p, p->pos + 1);
		if (c < 0 || isdocmark(p, p->ls) || c == '#' ||
		    (ind <= n && !flow) || (flow && (isflowind(c) || ind <= n)) ||
		    (c == ':' && (isblankz(nx) || (flow && isflowind(nx))))) {
			restore(p, &sv);
			break;
		}
		if (!scratch) {
			p->sn = 0;
			scratch = 1;
			if (sput(p, p->b + s, end - s))
				return -1;
		}
		if (blank == 0 ? sputc(p, ' ') : 0)
			return -1;
		while (blank--)
			if (sputc(p, '\n'))
				return -1;
		*multi = 1;
		seg = end = p->pos;
	}
	p->pos = end;   /* the spaces after it are the caller's */
	if (scratch) {
		*o = p->t->s;
		*on = p->sn;
	} else {
		*o = (const char *)p->b + s;
		*on = end - s;
	}
	return 0;
}

/* Line folding inside a quoted scalar, at a line break; n: the indent
 * continuation lines must exceed.  esc: the break was escaped. */
static COLD int qfold(P *p, int n, int esc)
{
	int blank = 0;
	for (;;) {
		newline(p);
		if (isdocmark(p, p->pos)) {
			found(p, p->pos, "the rest of a quoted scalar");
			return -1;
		}
		int ind = indent(p);
		int c = ch(p, p->pos);
		if (c < 0) {
			found(p, p->pos, "the end of a quoted scalar");
			return -1;
		}
		if (isbrk(c)) {
			blank++;
			continue;
		}
		if (ind <= n) {
			found(p, p->pos, "more indentation in a quoted scalar");
			return -1;
		}
		break;
	}
	if (blank == 0 && !esc)
		return sputc(p, ' ');
	while (blank--)
		if (sputc(p, '\n'))
			return -1;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

static int quoted(P *p, int n, const char **o, size_t *on, int *multi)
{
	int q = ch(p, p->pos);
	size_t s = ++p->pos;
	*multi = 0;
	/* fast path: one line, no escapes */
	for (size_t i = s; i < p->n; i++) {
		int c = p->b[i];
		if (c == q && (q == '"' || ch(p, i + 1) != '\'')) {
			*o = (const char *)p->b + s;
			*on = i - s;
			p->pos = i + 1;
			return 0;
		}
		if ((c == '\\' && q == '"') || c == q || isbrk(c))
			break;   /* an escape or a line break */
	}
	p->sn = 0;
	for (;;) {
		int c = ch(p, p->pos);
		if (c < 0) {
			found(p, p->pos, q == '"' ? "a closing '\"'" :
			    "a closing \"'\"");
			return -1;
		}
		if (c == q) {
			if (q == '\'' && ch(p, p->pos + 1) == '\'') {
				if (sputc(p, '\''))
					return -1;
				p->pos += 2;
				continue;
			}
			p->pos++;
			break;
		}
		if (isbrk(c) || isws(c)) {
			size_t ws = p->pos;
			while (isws(ch(p, p->pos)))
				p->pos++;
			if (!isbrk(ch(p, p->pos))) {
				if (sput(p, p->b + ws, p->pos - ws))
					return -1;
				continue;
			}
			*multi = 1;
			if (qfold(p, n, 0))
				return -1;
			continue;
		}
		if (c == '\\' && q == '"') {
			int e = ch(p, p->pos + 1);
			size_t at = p->pos;
			p->pos += 2;
			unsigned long u;
			int len = 0;
			switch (e) {
			case '0': return fail(p, at, "unsupported: NUL in a "
			    "string") ? -1 : -1;
			case 'a': c = 7; break;
			case 'b': c = 8; break;
			case 't': case '\t': c = 9; break;
			case 'n': c = 10; break;
			case 'v': c = 11; break;
			case 'f': c = 12; break;
			case 'r': c = 13; break;
			case 'e': c = 27; break;
			case ' ': c = ' '; break;
			case '"': c = '"'; break;
			case '/': c = '/'; break;
			case '\\': c = '\\'; break;
			case 'N': len = -1; u = 0x85; break;
			case '_': len = -1; u = 0xa0; break;
			case 'L': len = -1; u = 0x2028; break;
			case 'P': len = -1; u = 0x2029; break;
			case 'x': len = 2; break;
			case 'u': len = 4; break;
			case 'U': len = 8; break;
			case '\r': case '\n':
				p->pos--;
				*multi = 1;
				if (qfold(p, n, 1))
					return -1;
				continue;
			default:
				found(p, at + 1, "an escape character");
				return -1;
			}
			if (len == 0) {
				if (sputc(p, c))
					return -1;
				continue;
			}
			if (len > 0) {
				u = 0;
				for (int i = 0; i < len; i++) {
					int h = hexval(ch(p, p->pos));
					if (h < 0) {
						found(p, p->pos, "a hex digit");
						return -1;
					}
					u = u * 16 + (unsigned long)h;
					p->pos++;
				}
				if (u == 0) {
					fail(p, at, "unsupported: NUL in a string");
					return -1;
				}
				if (u > 0x10ffff || (u >= 0xd800 && u < 0xe000)) {
					fail(p, at, "found escape of a non-character "
					    "U+%lX, expected a Unicode scalar", u);
					return -1;
				}
			}
			if (sput_utf8(p, u))
				return -1;
			continue;
		}
		/* a run of ordinary characters */
		size_t r = p->pos;
		while (r < p->n && p->b[r] != q && p->b[r] != '\\' &&
		    !isbrk(p->b[r]) && !isws(p->b[r]))
			r++;
		if (r == p->pos)
			r++;
		if (sput(p, p->b + p->pos, r - p->pos))
			return -1;
		p->pos = r;
	}
	*o = p->t->s;
	*on = p->sn;
	return 0;
}

/* A block scalar at "|" or ">"; n: the parent's indentation. */
static cJSON *block_scalar(P *p, int n, int tag, size_t off)
{
	int fold = ch(p, p->pos) == '>', chomp = 0, m = 0;
	p->pos++;
	for (int i = 0; i < 2; i++) {
		int c = ch(p, p->pos);
		if ((c == '+' || c == '-') && !chomp)
			chomp = c, p->pos++;
		else if (c >= '1' && c <= '9' && !m)
			m = c - '0', p->pos++;
	}
	if (!isblankz(ch(p, p->pos)))
		return found(p, p->pos, "a space or line end after the block "
		    "scalar header");
	if (endline(p))
		return NULL;
	int ind = m ? n + m : -1, maxlead = 0;
	int trail = 0;         /* pending line breaks */
	int lastmore = 0, any = 0;
	size_t content = off;  /* its first content byte; the header if none */
	p->sn = 0;
	struct sv sv;
	for (;;) {
		save(p, &sv);
		if (ch(p, p->pos) < 0)
			break;
		newline(p);
		if (p->pos >= p->n)
			break;
		if (isdocmark(p, p->pos)) {
			restore(p, &sv);
			break;
		}
		size_t ls = p->pos;
		p->pos = spaces(p, ls);
		if (ind >= 0 && p->pos - ls > (size_t)ind)
			p->pos = ls + (size_t)ind;   /* the rest is content */
		int sp = (int)(p->pos - ls);
		int c = ch(p, p->pos);
		if (ind < 0) {
			/* still detecting: blank lines count */
			if (c < 0 || isbrk(c)) {
				if (sp > maxlead)
					maxlead = sp;
				trail++;
				continue;
			}
			if (c == '\t') {
				size_t q = p->pos;
				while (isws(ch(p, q)))
					q++;
				if ((ch(p, q) < 0 || isbrk(ch(p, q))) &&
				    (sp <= n || sp < maxlead)) {
					p->pos = q;
					trail++;
					continue;
				}
			}
			if (sp <= n) {
				restore(p, &sv);
				break;
			}
			if (maxlead > sp)
				return fail(p, ls, "found a leading blank line with "
				    "more spaces than the first line, expected "
				    "less indentation");
			ind = sp;
		}
		if (sp < ind) {
			/* blank (spaces or tabs only)? */
			size_t q = p->pos;
			while (isws(ch(p, q)))
				q++;
			if (ch(p, q) < 0 || isbrk(ch(p, q))) {
				p->pos = q;
				trail++;
				continue;
			}
			restore(p, &sv);
			break;
		}
		if (c < 0 || isbrk(c)) {
			trail++;
			continue;
		}
		/* a content line */
		int more = isws(c);
		if (any) {
			if (fold && !more && !lastmore && trail == 0)
				sputc(p, ' ');
			else {
				int k = trail + 1;
				if (fold && !more && !lastmore)
					k = trail;
				while (k--)
					sputc(p, '\n');
			}
		} else {
			while (trail--)
				sputc(p, '\n');
			content = p->pos;
		}
		trail = 0;
		size_t e = eol(p, p->pos);
		if (sput(p, p->b + p->pos, e - p->pos))
			return NULL;
		p->pos = e;
		any = 1;
		lastmore = more;
	}
	if (p->failed)
		return NULL;
	/* trailing breaks: the content's last line break + trail */
	if (chomp == '+') {
		if (any)
			sputc(p, '\n');
		while (trail-- > 0)
			sputc(p, '\n');
	} else if (chomp == 0 && any)
		sputc(p, '\n');
	if (p->failed)
		return NULL;
	return scalar(p, p->t->s, p->sn, HOW(fold ? YM_FOLDED : YM_LITERAL,
	    content), tag == T_NONE ? T_STR : tag, off);
}

/* ---- collections ---- */

static cJSON *block_node(P *p, int n, int ctx, int sameline);
static COLD cJSON *flow_node(P *p, int n);

enum { C_TOP, C_SEQ, C_VAL };

struct key {
	char *s;          /* cJSON_malloc'd */
	size_t off;
	int merge;
};

static int enter(P *p, size_t off)
{
	if (++p->depth > YM_MAX_DEPTH) {
		fail(p, off, "unsupported: nesting deeper than %d", YM_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* Adds key: v to obj (v already made); checks duplicates. */
static int member(P *p, struct kset *ks, cJSON *obj, struct key *k, cJSON *v)
{
	if (kfind(ks, obj, k->s)) {
		fail(p, k->off, "found duplicate key \"%.60s\", expected "
		    "unique keys in a mapping", k->s);
		cJSON_free(k->s);
		k->s = NULL;
		bury(p, v);
		return -1;
	}
	v->string = k->s;
	k->s = NULL;
	if (keymark(p, v, k->off) || kadd(p, ks, obj, v))
		return -1;
	return 0;
}

/* Merges the sources (in the graveyard) into obj; explicit keys win,
 * then earlier sources. */
static int merge(P *p, struct kset *ks, cJSON *obj, cJSON **src, size_t ns,
    size_t *offs)
{
	for (size_t i = 0; i < ns; i++) {
		cJSON *list = src[i], *one = NULL;
		if (cJSON_IsObject(list))
			one = list;
		for (cJSON *it = one ? one : list->child; it; it = one ? NULL :
		    it->next) {
			if (!cJSON_IsObject(it)) {
				fail(p, offs[i], "found a merge of something else, "
				    "expected a mapping or a list of mappings");
				return -1;
			}
			for (cJSON *c = it->child; c; c = c->next) {
				if (kfind(ks, obj, c->string))
					continue;
				cJSON *d = copy(p, c, offs[i], 0);
				if (!d)
					return -1;
				size_t l = strlen(c->string);
				if (!(d->string = cJSON_malloc(l + 1))) {
					cJSON_Delete(d);
					oom(p);
					return -1;
				}
				memcpy(d->string, c->string, l + 1);
				if (keymark(p, d, offs[i]) || kadd(p, ks, obj, d))
					return -1;
			}
		}
	}
	return 0;
}

/*
 * After the text of a key: kn is its node, or NULL for a string key (t, tn)
 * that needs none.  Reads the ":".
 */
static int key_end(P *p, struct key *k, const struct props *pr, cJSON *kn,
    const char *t, size_t tn)
{
	if (!kn) {
		if (!(k->s = cJSON_malloc(tn + 1))) {
			oom(p);
			return -1;
		}
		bytecopy(k->s, t, tn);
		k->s[tn] = 0;
	} else {
		bury(p, kn);
		if (!anchor(p, pr, kn))
			return -1;
	}
	skipws(p);
	if (ch(p, p->pos) != ':' || !isblankz(ch(p, p->pos + 1))) {
		found(p, p->pos, "\":\" after a mapping key");
		return -1;
	}
	p->pos++;
	if (kn && !k->merge && !(k->s = keystr(p, kn, k->off)))
		return -1;
	return 0;
}

/* A key whose text (t, tn) at k->off, with properties pr, is read. */
static int key_text(P *p, struct key *k, const struct props *pr,
    const char *t, size_t tn, int quoted)
{
	cJSON *kn = NULL;
	int fast = 0;
	if (quoted)
		fast = !pr->present;
	else {
		k->merge = pr->tag == T_NONE && tn == 2 && !memcmp(t, "<<", 2);
		if (!pr->present && !k->merge) {
			struct res r;
			resolve(p, t, tn, &r);
			fast = r.kind == R_STR && !p->failed;
		}
	}
	if (!fast && !(kn = scalar(p, t, tn, quoted ? YM_DOUBLE_QUOTED :
	    YM_PLAIN, pr->tag, k->off)))
		return -1;
	return key_end(p, k, pr, kn, t, tn);
}

/* A key at p->pos in a block mapping; props on the same line are the
 * key's.  Stops after the ":". */
static int block_key(P *p, struct key *k)
{
	struct props pr = { 0 };
	const char *t;
	size_t tn;
	int multi;
	cJSON *kn;
	int c = ch(p, p->pos);
	if (c == '?' && isblankz(ch(p, p->pos + 1))) {
		fail(p, p->pos, "unsupported: complex mapping key (\"?\")");
		return -1;
	}
	if (parse_props(p, &pr, 0))
		return -1;
	k->off = p->pos;
	c = ch(p, p->pos);
	if (c == '*') {
		if (pr.present) {
			found(p, pr.off, "no properties on an alias");
			return -1;
		}
		if (!(kn = alias(p, NULL)))
			return -1;
		return key_end(p, k, &pr, kn, NULL, 0);
	} else if (c == '"' || c == '\'') {
		if (quoted(p, -1, &t, &tn, &multi))
			return -1;
		if (multi) {
			found(p, p->pos, "a key on one line");
			return -1;
		}
		return key_text(p, k, &pr, t, tn, 1);
	} else if (c == '[' || c == '{') {
		fail(p, p->pos, "unsupported: flow collection as a mapping key");
		return -1;
	} else if (c == ':' && isblankz(ch(p, p->pos + 1))) {
		fail(p, p->pos, "unsupported: empty mapping key");
		return -1;
	}
	if (plain(p, -1, 0, 1, &t, &tn, &multi))
		return -1;
	return key_text(p, k, &pr, t, tn, 0);
}

static cJSON *block_map(P *p, int m, struct key *k0, size_t off)
{
	struct kset ks = { 0 };
	cJSON **src = NULL;
	size_t *soff = NULL, ns = 0, scap = 0, socap = 0;
	struct key k = *k0;
	cJSON *obj = NULL;
	if (enter(p, off) || !(obj = mk(p, cJSON_CreateObject(), off)))
		goto bad;
	for (;;) {
		skipws(p);
		cJSON *v = block_node(p, m, C_VAL, 1);
		if (!v)
			goto bad;
		if (k.merge) {
			bury(p, v);
			if (grow(p, (void **)&src, &scap, ns + 1, sizeof *src) ||
			    grow(p, (void **)&soff, &socap, ns + 1, sizeof *soff))
				goto bad;
			if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
				fail(p, k.off, "found a merge of a scalar, expected "
				    "a mapping or a list of mappings");
				goto bad;
			}
			src[ns] = v;
			soff[ns++] = k.off;
		} else if (member(p, &ks, obj, &k, v))
			goto bad;
		int ind = next_line(p);
		if (ind == -2)
			goto bad;
		if (ind < m) {
			set_pending(p, ind);
			break;
		}
		if (ind > m) {
			char tmp[16];
			fail(p, p->pos, "found %s at column %d, expected a key at "
			    "column %d", what(p, p->pos, tmp), ind + 1, m + 1);
			goto bad;
		}
		if (p->tabind) {
			fail(p, p->pos, "found a tab in indentation, expected "
			    "spaces");
			goto bad;
		}
		memset(&k, 0, sizeof k);
		if (block_key(p, &k))
			goto bad;
	}
	if (ns && merge(p, &ks, obj, src, ns, soff))
		goto bad;
	free(ks.t);
	free(src);
	free(soff);
	p->depth--;
	return obj;
bad:
	cJSON_free(k.s);
	free(ks.t);
	free(src);
	free(soff);
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *block_seq(P *p, int s)
{
	cJSON *arr;
	if (enter(p, p->pos) || !(arr = mk(p, cJSON_CreateArray(), p->pos)))
		return NULL;
	for (;;) {
		p->pos++;          /* the "-" */
		skipws(p);
		cJSON *it = block_node(p, s, C_SEQ, 1);
		if (!it) {
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(arr, it);
		int ind = next_line(p);
		if (ind == -2) {
			cJSON_Delete(arr);
			return NULL;
		}
		if (ind < s || (ind == s && !(ch(p, p->pos) == '-' &&
		    isblankz(ch(p, p->pos + 1))))) {
			set_pending(p, ind);
			break;
		}
		if (ind > s || p->tabind) {
			found(p, p->pos, ind > s ? "\"-\" at the sequence's "
			    "column" : "spaces in indentation");
			cJSON_Delete(arr);
			return NULL;
		}
	}
	p->depth--;
	return arr;
}

/*
 * A node in block context.  sameline: p->pos is on the line of the parent
 * indicator ("- ", "key:", "---"), after spaces; otherwise p->pos is at
 * the first content of a line.  n: the parent's indentation.
 */
static cJSON *block_node(P *p, int n, int ctx, int sameline)
{
	struct props pr = { 0 };
	size_t off = p->pos;
	struct sv sv;
	int c;
	if (sameline) {
		save(p, &sv);
		if (parse_props(p, &pr, 0))
			return NULL;
		c = ch(p, p->pos);
		if (c < 0 || isbrk(c) || c == '#') {
			/* props (if any) for a node on the next lines */
			int ind = next_line(p);
			if (ind == -2)
				return NULL;
			if (ind < 0 || !(ind > n || (ind == n && ctx == C_VAL &&
			    ch(p, p->pos) == '-' && isblankz(ch(p, p->pos + 1))))) {
				set_pending(p, ind);
				return empty(p, &pr, pr.present ? pr.off : off);
			}
			sameline = 0;
		} else {
			restore(p, &sv);   /* re-read below */
			memset(&pr, 0, sizeof pr);
		}
	}
	if (!sameline) {
		/* props alone on a line belong to the node below them */
		for (;;) {
			struct props pr2 = { 0 };
			save(p, &sv);
			if (parse_props(p, &pr2, 0))
				return NULL;
			c = ch(p, p->pos);
			if (!pr2.present || !(c < 0 || isbrk(c) || c == '#')) {
				restore(p, &sv);
				break;
			}
			if (addprops(p, &pr, &pr2))
				return NULL;
			int ind = next_line(p);
			if (ind == -2)
				return NULL;
			if (ind < 0 || !(ind > n || (ind == n && ctx == C_VAL &&
			    ch(p, p->pos) == '-' && isblankz(ch(p, p->pos + 1))))) {
				set_pending(p, ind);
				return empty(p, &pr, pr.off);
			}
		}
	}
	int tab = !sameline && p->tabind;
	off = p->pos;
	int cl = col(p);
	c = ch(p, p->pos);
	int nx = ch(p, p->pos + 1);
	if (c == '-' && isblankz(nx)) {
		if (sameline && ctx != C_SEQ)
			return found(p, p->pos, "a value (a block sequence must "
			    "start on a new line)");
		if (pr.tag != T_NONE && pr.tag != T_SEQ)
			return found(p, p->pos, "a scalar for its tag");
		if (tab)
			return found(p, p->pos, "spaces in indentation");
		return anchor(p, &pr, block_seq(p, cl));
	}
	if (c == '?' && isblankz(nx))
		return fail(p, p->pos, "unsupported: complex mapping key (\"?\")");
	if (c == ':' && isblankz(nx))
		return fail(p, p->pos, "unsupported: empty mapping key");
	/* a value, or the first key of a mapping */
	save(p, &sv);
	struct props kp = { 0 }, vprops = pr;
	if (parse_props(p, &kp, 0))
		return NULL;
	struct props *vp = &vprops;
	if (kp.present && ch(p, p->pos) == ':' && isblankz(ch(p, p->pos + 1)))
		return fail(p, p->pos, "unsupported: empty mapping key");
	/* kp: the value's if this is not a key */
	c = ch(p, p->pos);
	const char *t;
	size_t tn;
	int multi = 0, iskey = 0;
	if (c == '|' || c == '>' || (c == '*' && kp.present)) {
		if (addprops(p, vp, &kp))
			return NULL;
	}
	if (c == '|' || c == '>') {
		if (vp->tag == T_MAP || vp->tag == T_SEQ)
			return found(p, p->pos, "a collection for its tag");
		return anchor(p, vp, block_scalar(p, n, vp->tag, p->pos));
	}
	if (c == '[' || c == '{') {
		size_t fo = p->pos;
		/* like libyaml, no indentation rule inside flow collections */
		cJSON *f = flow_node(p, -1);
		if (!f)
			return NULL;
		skipws(p);
		if (ch(p, p->pos) == ':' && isblankz(ch(p, p->pos + 1))) {
			cJSON_Delete(f);
			return fail(p, fo, "unsupported: flow collection as a "
			    "mapping key");
		}
		if (addprops(p, vp, &kp) || (vp->tag != T_NONE &&
		    vp->tag != (c == '[' ? T_SEQ : T_MAP))) {
			cJSON_Delete(f);
			return p->failed ? NULL : found(p, fo, "a value of its tag");
		}
		return anchor(p, vp, f);
	}
	if (c == '*') {
		size_t e;
		cJSON *a = alias(p, &e);
		if (!a)
			return NULL;
		skipws(p);
		iskey = ch(p, p->pos) == ':' && isblankz(ch(p, p->pos + 1));
		if (kp.present) {
			cJSON_Delete(a);
			return found(p, kp.off, "no properties on an alias");
		}
		if (!iskey) {
			if (vp->present) {
				cJSON_Delete(a);
				return found(p, vp->off, "no properties on an alias");
			}
			return a;
		}
		bury(p, a);   /* re-read as a key */
	} else if (c == '"' || c == '\'') {
		size_t q = p->pos + 1;   /* its content */
		if (quoted(p, n, &t, &tn, &multi))
			return NULL;
		skipws(p);
		iskey = ch(p, p->pos) == ':' && isblankz(ch(p, p->pos + 1));
		if (iskey && multi)
			return found(p, p->pos, "a key on one line");
		if (!iskey) {
			if (addprops(p, vp, &kp))
				return NULL;
			return anchor(p, vp, scalar(p, t, tn, HOW(c == '"' ?
			    YM_DOUBLE_QUOTED : YM_SINGLE_QUOTED, q), vp->tag,
			    off));
		}
	} else {
		size_t ps = p->pos;
		if (plain(p, n, 0, 0, &t, &tn, &multi))
			return NULL;
		skipws(p);
		iskey = !multi && ch(p, p->pos) == ':' &&
		    isblankz(ch(p, p->pos + 1));
		if (!iskey) {
			if (addprops(p, vp, &kp))
				return NULL;
			return anchor(p, vp, scalar(p, t, tn, HOW(YM_PLAIN, ps),
			    vp->tag, off));
		}
	}
	/* a block mapping at column cl; same-line props are the key's */
	if (sameline && ctx != C_SEQ)
		return found(p, p->pos, "a value (a block mapping must start on "
		    "a new line)");
	if (tab)
		return found(p, off, "spaces in indentation");
	if (pr.tag != T_NONE && pr.tag != T_MAP)
		return found(p, off, "a scalar for its tag");
	struct key k = { 0 };
	if (c != '*' && !kp.present) {
		/* the text just read is the first key's: not read again */
		k.off = off;
		if (key_text(p, &k, &kp, t, tn, c == '"' || c == '\''))
			return NULL;
	} else {
		restore(p, &sv);
		if (block_key(p, &k))
			return NULL;
	}
	return anchor(p, &pr, block_map(p, cl, &k, off));
}

/* Separation in flow context: spaces, comments, line breaks. */
static int flow_sep(P *p, int n)
{
	for (;;) {
		size_t s = p->pos;
		skipws(p);
		int c = ch(p, p->pos);
		if (c == '#') {
			if (p->pos == s && p->pos != p->ls) {
				found(p, p->pos, "a space before a comment");
				return -1;
			}
			p->pos = eol(p, p->pos);
			c = ch(p, p->pos);
		}
		if (!isbrk(c))
			return 0;
		newline(p);
		if (isdocmark(p, p->pos)) {
			found(p, p->pos, "the end of a flow collection");
			return -1;
		}
		int ind = indent(p);
		c = ch(p, p->pos);
		if (c >= 0 && !isbrk(c) && c != '#' && ind <= n && c != ']' &&
		    c != '}') {
			found(p, p->pos, "more indentation inside a flow "
			    "collection");
			return -1;
		}
	}
}

static cJSON *flow_coll(P *p, int n)
{
	int close = ch(p, p->pos) == '[' ? ']' : '}';
	int ismap = close == '}';
	size_t off = p->pos;
	struct kset ks = { 0 };
	cJSON *coll;
	if (enter(p, off) || !(coll = mk(p, ismap ? cJSON_CreateObject() :
	    cJSON_CreateArray(), off)))
		return NULL;
	p->pos++;
	for (;;) {
		if (flow_sep(p, n))
			goto bad;
		int c = ch(p, p->pos);
		if (c == close) {
			p->pos++;
			break;
		}
		if (c < 0 || c == ',' || c == ']' || c == '}') {
			found(p, p->pos, "an entry");
			goto bad;
		}
		if (c == '?' && (isblankz(ch(p, p->pos + 1)) ||
		    isflowind(ch(p, p->pos + 1)))) {
			fail(p, p->pos, "unsupported: complex mapping key (\"?\")");
			goto bad;
		}
		size_t ko = p->pos;
		unsigned kline = p->line;
		cJSON *kn = NULL;
		int keylike;
		if (c == ':' && (isblankz(ch(p, p->pos + 1)) ||
		    isflowind(ch(p, p->pos + 1)))) {
			fail(p, p->pos, "unsupported: empty mapping key");
			goto bad;
		}
		c = ch(p, p->pos);
		keylike = c == '"' || c == '\'' || c == '[' || c == '{';
		int lf = 0;
		if (!(kn = flow_node(p, n)))
			goto bad;
		lf = p->last_float;
		struct sv sv;
		save(p, &sv);
		if (flow_sep(p, n)) {
			cJSON_Delete(kn);
			goto bad;
		}
		c = ch(p, p->pos);
		int nx = ch(p, p->pos + 1);
		if (c == ':' && (keylike || isblankz(nx) || isflowind(nx))) {
			if (!ismap && p->line != kline) {
				found(p, p->pos, "an implicit key on one line");
				cJSON_Delete(kn);
				goto bad;
			}
			struct key k = { 0 };
			k.off = ko;
			p->last_float = lf;
			k.merge = cJSON_IsString(kn) && !strcmp(kn->valuestring,
			    "<<") && ch(p, ko) == '<';
			if (k.merge) {
				cJSON_Delete(kn);
				fail(p, ko, "unsupported: merge key in a flow "
				    "mapping");
				goto bad;
			}
			k.s = keystr(p, kn, ko);
			bury(p, kn);
			if (!k.s)
				goto bad;
			p->pos++;
			if (flow_sep(p, n)) {
				cJSON_free(k.s);
				goto bad;
			}
			cJSON *v;
			c = ch(p, p->pos);
			if (c == ',' || c == close)
				v = mk(p, cJSON_CreateNull(), p->pos);
			else
				v = flow_node(p, n);
			if (!v) {
				cJSON_free(k.s);
				goto bad;
			}
			if (ismap) {
				if (member(p, &ks, coll, &k, v))
					goto bad;
			} else {
				struct kset one = { 0 };
				cJSON *pair = mk(p, cJSON_CreateObject(), ko);
				if (!pair) {
					cJSON_free(k.s);
					cJSON_Delete(v);
					goto bad;
				}
				cJSON_AddItemToArray(coll, pair);
				if (member(p, &one, pair, &k, v))
					goto bad;
			}
		} else {
			restore(p, &sv);
			if (ismap) {
				struct key k = { 0 };
				k.off = ko;
				p->last_float = lf;
				k.s = keystr(p, kn, ko);
				bury(p, kn);
				if (!k.s)
					goto bad;
				cJSON *v = mk(p, cJSON_CreateNull(), ko);
				if (!v || member(p, &ks, coll, &k, v)) {
					cJSON_free(k.s);
					goto bad;
				}
			} else
				cJSON_AddItemToArray(coll, kn);
		}
		if (flow_sep(p, n))
			goto bad;
		c = ch(p, p->pos);
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == close) {
			p->pos++;
			break;
		}
		found(p, p->pos, close == ']' ? "\",\" or \"]\"" :
		    "\",\" or \"}\"");
		goto bad;
	}
	free(ks.t);
	p->depth--;
	return coll;
bad:
	free(ks.t);
	cJSON_Delete(coll);
	return NULL;
}

static cJSON *flow_node(P *p, int n)
{
	struct props pr = { 0 };
	const char *t;
	size_t tn;
	int multi;
	if (parse_props(p, &pr, 1))
		return NULL;
	if (pr.present && flow_sep(p, n))
		return NULL;
	size_t off = p->pos;
	int c = ch(p, p->pos);
	p->last_float = 0;
	if (c == '[' || c == '{') {
		if ((pr.tag == T_MAP && c == '[') || (pr.tag == T_SEQ && c == '{')
		    || (pr.tag != T_NONE && pr.tag != T_MAP && pr.tag != T_SEQ))
			return found(p, off, "a value of its tag");
		return anchor(p, &pr, flow_coll(p, n));
	}
	if (c == '*') {
		if (pr.present)
			return found(p, pr.off, "no properties on an alias");
		return alias(p, NULL);
	}
	if (c == '"' || c == '\'') {
		if (quoted(p, n, &t, &tn, &multi))
			return NULL;
		return anchor(p, &pr, scalar(p, t, tn, HOW(c == '"' ?
		    YM_DOUBLE_QUOTED : YM_SINGLE_QUOTED, off + 1), pr.tag,
		    off));
	}
	if (pr.present && (c == ',' || c == ']' || c == '}' || c == ':'))
		return empty(p, &pr, pr.off);
	if (plain(p, n, 1, 0, &t, &tn, &multi))
		return NULL;
	return anchor(p, &pr, scalar(p, t, tn, HOW(YM_PLAIN, off),
	    pr.tag, off));
}

/* ---- documents ---- */

/*
 * The number of bytes from b on, a multiple of 16 and at most n, that are
 * printable ASCII, tab or LF: the check of the whole input in sixteen
 * bytes at a time, where lines are short and most blocks hold an LF.
 */
static size_t ascii_run(const unsigned char *b, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f),
	    lf = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(b + i));
		/* signed: bytes from 0x80 are below 0x20 too */
		__m128i odd = _mm_or_si128(_mm_cmplt_epi8(v, sp),
		    _mm_cmpeq_epi8(v, del));
		__m128i ok = _mm_or_si128(_mm_cmpeq_epi8(v, lf),
		    _mm_cmpeq_epi8(v, tab));
		if (_mm_movemask_epi8(_mm_andnot_si128(ok, odd)) != 0)
			break;
	}
#else
	(void)b;
	(void)n;
#endif
	return i;
}

static int utf8ok(const unsigned char *b, size_t n, size_t *bad, int *cr)
{
	size_t i = 0;
	while (i < n) {
		i += ascii_run(b + i, n - i);
		/* eight bytes of printable ASCII at a time */
		while (i + 8 <= n) {
			uint64_t v;
			memcpy(&v, b + i, 8);
			const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
			uint64_t w = v ^ (ones * 0x7f);   /* DEL: a zero byte */
			if (((v | ((v - ones * 0x20) & ~v) | ((w - ones) & ~w)) &
			    high) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned c = b[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
			    c == 0x7f)
				goto no;
			*cr |= c == '\r';
			i++;
			continue;
		}
		int k;
		unsigned long u;
		if (c >= 0xc2 && c <= 0xdf) k = 1, u = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef) k = 2, u = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4) k = 3, u = c & 0x07;
		else goto no;
		if (i + (size_t)k >= n)
			goto no;
		for (int j = 1; j <= k; j++) {
			if ((b[i + j] & 0xc0) != 0x80)
				goto no;
			u = u << 6 | (b[i + j] & 0x3f);
		}
		if ((k == 2 && u < 0x800) || (k == 3 && (u < 0x10000 ||
		    u > 0x10ffff)) || (u >= 0xd800 && u < 0xe000) ||
		    (u >= 0x80 && u < 0xa0 && u != 0x85))
			goto no;
		i += (size_t)k + 1;
	}
	return 1;
no:
	*bad = i;
	return 0;
}

void ym_init(ym_parser *p, const char *buf, size_t len)
{
	memset(p, 0, sizeof *p);
	p->buf = buf;
	p->len = len;
	p->line = 1;
	p->col = 1;
}

/*
 * Merge sort by node, t holding n/2 entries: the marks are made in nearly
 * the order of the nodes' addresses, and a merge of two halves already in
 * order is one comparison, where musl's qsort moved every entry through
 * memcpy.
 */
static void msort(struct ment *e, struct ment *t, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2, i = 0, j = h, k = 0;
	msort(e, t, h);
	msort(e + h, t, n - h);
	if (e[h - 1].node <= e[h].node)
		return;
	memcpy(t, e, h * sizeof *e);
	while (i < h && j < n)
		e[k++] = t[i].node <= e[j].node ? t[i++] : e[j++];
	while (i < h)
		e[k++] = t[i++];
}

/* Drops the marks of dead nodes and sorts the rest by node. */
static size_t compact(P *p, struct ment *e, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (!(e[i].node->type & DEAD))
			e[j++] = e[i];
	if (grow(p, (void **)&p->t->tmp, &p->t->tmpcap, j / 2 + 1,
	    sizeof *p->t->tmp))
		return 0;
	msort(e, p->t->tmp, j);
	return j;
}

/* The document's marks, copied out of the tables into one block. */
static struct ym_marks *marks(P *p)
{
	struct ym_tables *t = p->t;
	size_t en = compact(p, t->m, p->mn), kn = compact(p, t->km, p->kmn);
	if (p->failed)
		return NULL;
	size_t head = (sizeof(struct ym_marks) + 7) & ~(size_t)7;
	struct ym_marks *mk_ = cJSON_malloc(head + (en + kn) * sizeof *t->m +
	    p->ltn * sizeof *t->lt);
	if (!mk_)
		return oom(p);
	mk_->e = (struct ment *)((char *)mk_ + head);
	mk_->k = mk_->e + en;
	mk_->ls = (uint32_t *)(mk_->k + kn);
	if (en)
		memcpy(mk_->e, t->m, en * sizeof *t->m);
	if (kn)
		memcpy(mk_->k, t->km, kn * sizeof *t->km);
	if (p->ltn)
		memcpy(mk_->ls, t->lt, p->ltn * sizeof *t->lt);
	mk_->en = en;
	mk_->kn = kn;
	mk_->lsn = p->ltn;
	mk_->line0 = p->line0;
	return mk_;
}

void ym_restart(ym_parser *yp, const char *buf, size_t len)
{
	struct ym_tables *t = yp->tables;
	ym_init(yp, buf, len);
	yp->tables = t;
}

void ym_end(ym_parser *yp)
{
	struct ym_tables *t = yp->tables;
	if (t) {
		free(t->m);
		free(t->km);
		free(t->lt);
		free(t->a);
		free(t->ah);
		free(t->s);
		free(t->tmp);
		free(t);
	}
	yp->tables = NULL;
}

static int directive(P *p, int *sawyaml)
{
	size_t s = p->pos, e = s;
	while (e < p->n && !isblankz(p->b[e]))
		e++;
	const char *d = (const char *)p->b + s;
	if (eq(d, e - s, "%TAG")) {
		fail(p, s, "unsupported: %%TAG directive");
		return -1;
	}
	if (eq(d, e - s, "%YAML")) {
		if (*sawyaml) {
			found(p, s, "one %YAML directive per document");
			return -1;
		}
		*sawyaml = 1;
		p->pos = e;
		skipws(p);
		if (!(ch(p, p->pos) == '1' && ch(p, p->pos + 1) == '.')) {
			fail(p, p->pos, "unsupported: YAML version other than 1.x");
			return -1;
		}
		p->pos += 2;
		while (ch(p, p->pos) >= '0' && ch(p, p->pos) <= '9')
			p->pos++;
		if (!isblankz(ch(p, p->pos))) {
			found(p, p->pos, "a version number");
			return -1;
		}
		return endline(p);
	}
	/* reserved directive: ignored */
	p->pos = eol(p, p->pos);
	return 0;
}

/*
 * The "# Source: PATH" of the head of the document whose first node is at
 * offset start (yaml_min.h): walking back from start's line over blank,
 * comment, "---" and "..." lines and a line that is only a BOM, so that
 * null documents in between are crossed, as in `# Source: x/crds/a.yaml`
 * followed by `---`.  1 and PATH at [*so, *so + *sl), or 0.
 */
static int head_source(const unsigned char *b, size_t start, size_t *so,
    size_t *sl)
{
	size_t e = start, ls, n, i;
	while (e > 0 && b[e - 1] != '\n')
		e--;
	while (e-- > 0) {
		/* the line [ls, ls + n) that ends at the LF at e */
		for (ls = e; ls > 0 && b[ls - 1] != '\n'; ls--)
			;
		const unsigned char *l = b + ls;
		n = e - ls;
		e = ls;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		for (i = 0; i < n && isws(l[i]); i++)
			;
		if (i == n)
			continue;
		if (l[i] == '#') {
			if (i > 0 || n < 9 || memcmp(l, "# Source:", 9))
				continue;
			while (isws(l[n - 1]))
				n--;
			for (i = 9; i < n && isws(l[i]); i++)
				;
			if (i == n)
				continue;
			*so = ls + i;
			*sl = n - i;
			return 1;
		}
		if (n >= 3 && (n == 3 || isws(l[3])) && (!memcmp(l, "---", 3) ||
		    !memcmp(l, "...", 3) || (n == 3 &&
		    !memcmp(l, "\xef\xbb\xbf", 3))))
			continue;
		break;
	}
	return 0;
}

int ym_next(ym_parser *yp, ym_doc *doc)
{
	P st, *p = &st;
	cJSON *root = NULL;
	memset(doc, 0, sizeof *doc);
	if (yp->failed)
		return -1;
	if (yp->state == 2)
		return 0;
	memset(p, 0, sizeof *p);
	if (!yp->tables && !(yp->tables = calloc(1, sizeof *yp->tables))) {
		snprintf(yp->err.msg, sizeof yp->err.msg, "out of memory");
		yp->failed = 1;
		return -1;
	}
	p->t = yp->tables;
	p->nomarks = (yp->flags & YM_NO_MARKS) != 0;
	p->b = (const unsigned char *)yp->buf;
	p->n = yp->len;
	p->pos = yp->pos;
	p->line = yp->line;
	p->ls = yp->pos - (yp->col - 1);
	p->err = &yp->err;
	p->cr = yp->cr;
	if (yp->state == 0) {
		size_t bad;
		yp->state = 1;
		if (p->n > YM_MAX_INPUT) {
			fail(p, 0, "unsupported: input over %zu bytes",
			    (size_t)YM_MAX_INPUT);
			goto bad;
		}
		if (!utf8ok(p->b, p->n, &bad, &yp->cr)) {
			p->pos = bad;
			/* find the line of bad for the message */
			size_t l = 0;
			unsigned line = 1;
			for (size_t i = 0; i < bad; i++)
				if (p->b[i] == '\n')
					line++, l = i + 1;
			p->line = line;
			p->ls = l;
			fail(p, bad, "found a byte that is not printable UTF-8, "
			    "expected text");
			goto bad;
		}
		p->cr = yp->cr;
		if (p->n >= 3 && !memcmp(p->b, "\xef\xbb\xbf", 3))
			p->pos = p->ls = 3;
	}
	if (!(p->grave = cJSON_CreateArray())) {
		oom(p);
		goto bad;
	}
	for (;;) {
		/* the start of a document, at a line start (or after BOM) */
		p->line0 = p->line;
		p->ltn = 0;
		if (grow(p, (void **)&p->t->lt, &p->t->ltcap, 1, sizeof *p->t->lt))
			goto bad;
		p->t->lt[p->ltn++] = (uint32_t)p->ls;
		p->mn = p->kmn = 0;
		p->an = 0;
		if (p->t->ahcap)
			memset(p->t->ah, 0, p->t->ahcap * sizeof *p->t->ah);
		p->nodes = p->expanded = 0;
		size_t begin = p->pos;
		int sawyaml = 0, explicit_ = 0, ind;
		root = NULL;
		/* blank lines, comments, directives */
		p->tabind = 0;
		for (;;) {
			if (p->pos == p->ls && ch(p, p->pos) == '%') {
				if (directive(p, &sawyaml))
					goto bad;
				continue;
			}
			size_t ws = p->pos;
			skipws(p);
			int c = ch(p, p->pos);
			p->tabind = memchr(p->b + ws, '\t', p->pos - ws) != NULL;
			if (c == '#')
				p->pos = eol(p, p->pos);
			c = ch(p, p->pos);
			if (isbrk(c)) {
				newline(p);
				continue;
			}
			break;
		}
		if (ch(p, p->pos) < 0) {
			if (sawyaml) {
				found(p, p->pos, "\"---\" after directives");
				goto bad;
			}
			yp->state = 2;
			cJSON_Delete(p->grave);
			yp->pos = p->pos; yp->line = p->line;
			yp->col = (unsigned)(p->pos - p->ls + 1);
			return 0;
		}
		if (p->pos == p->ls && isdocmark(p, p->pos) &&
		    p->b[p->pos] == '-') {
			begin = p->pos;
			explicit_ = 1;
			p->pos += 3;
			skipws(p);
			int c = ch(p, p->pos);
			if (c < 0 || isbrk(c) || c == '#') {
				ind = next_line(p);
				if (ind == -2)
					goto bad;
				if (ind < 0)
					set_pending(p, ind);
				else
					root = block_node(p, -1, C_TOP, 0);
			} else
				root = block_node(p, -1, C_VAL, 1);
		} else if (p->pos == p->ls && isdocmark(p, p->pos)) {
			/* "..." with no document */
			if (sawyaml) {
				found(p, p->pos, "\"---\" after directives");
				goto bad;
			}
			p->pos += 3;
			if (endline(p))
				goto bad;
			if (ch(p, p->pos) >= 0)
				newline(p);
			continue;
		} else {
			if (sawyaml) {
				found(p, p->pos, "\"---\" after directives");
				goto bad;
			}
			root = block_node(p, -1, C_TOP, 0);
		}
		if (p->failed)
			goto bad;
		/* the end of the document */
		ind = next_line(p);
		if (ind == -2)
			goto bad;
		if (ind >= 0) {
			found(p, p->pos, "the end of the document");
			goto bad;
		}
		if (ch(p, p->pos) >= 0 && p->b[p->pos] == '.') {
			p->pos += 3;
			if (endline(p)) {
				goto bad;
			}
			if (ch(p, p->pos) >= 0)
				newline(p);
		}
		(void)explicit_;
		size_t idx = yp->doc_index++;
		if (!root || cJSON_IsNull(root)) {
			cJSON_Delete(root);
			root = NULL;
			cJSON_Delete(p->grave);
			if (!(p->grave = cJSON_CreateArray())) {
				oom(p);
				goto bad;
			}
			continue;
		}
		/* a document: build its marks */
		struct ym_marks *mk_ = NULL;
		if (!p->nomarks) {
			killtree(p->grave->child);
			if (!(mk_ = marks(p)))
				goto bad;
		}
		doc->root = root;
		doc->marks = mk_;
		doc->index = idx;
		doc->begin = begin;
		if (mk_ && ym_where(mk_, root, &doc->start) == 0) {
			size_t so, sl;
			if (head_source(p->b, doc->start.offset, &so, &sl)) {
				doc->source = (const char *)p->b + so;
				doc->source_len = sl;
			}
		}
		cJSON_Delete(p->grave);
		yp->pos = p->pos;
		yp->line = p->line;
		yp->col = (unsigned)(p->pos - p->ls + 1);
		return 1;
	}
bad:
	cJSON_Delete(root);
	if (!p->failed)
		oom(p);
	yp->failed = 1;
	cJSON_Delete(p->grave);
	return -1;
}

void ym_doc_free(ym_doc *doc)
{
	if (!doc)
		return;
	cJSON_Delete(doc->root);
	if (doc->marks)
		cJSON_free(doc->marks);
	doc->root = NULL;
	doc->marks = NULL;
}

/* The mark of offset off of the document of m. */
static void markof(const ym_marks *m, uint32_t off, ym_mark *out)
{
	size_t a = 0, b = m->lsn;   /* last ls[i] <= off */
	while (b - a > 1) {
		size_t mid = (a + b) / 2;
		if (m->ls[mid] <= off)
			a = mid;
		else
			b = mid;
	}
	out->offset = off;
	out->line = m->line0 + (unsigned)a;
	out->col = off >= m->ls[a] ? (unsigned)(off - m->ls[a] + 1) : 1;
}

/* node's entry in e[0, n) (sorted by node) and its mark; NULL if none. */
static const struct ment *lookup(const ym_marks *m, const struct ment *e,
    size_t n, const cJSON *node, ym_mark *out)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || e[lo].node != node)
		return NULL;
	markof(m, e[lo].off, out);
	return &e[lo];
}

int ym_where(const ym_marks *m, const cJSON *node, ym_mark *out)
{
	return m && lookup(m, m->e, m->en, node, out) ? 0 : -1;
}

int ym_where_key(const ym_marks *m, const cJSON *node, ym_mark *out)
{
	return m && lookup(m, m->k, m->kn, node, out) ? 0 : -1;
}

int ym_scalar_at(const ym_marks *m, const cJSON *node, ym_scalar *out)
{
	const struct ment *e = m ? lookup(m, m->e, m->en, node, &out->content) :
	    NULL;
	if (!e || !(e->how & 7))
		return -1;
	out->style = (int)(e->how & 7);
	out->verbatim = (int)(e->how >> 3 & 1);
	markof(m, e->how >> 4, &out->content);
	return 0;
}
