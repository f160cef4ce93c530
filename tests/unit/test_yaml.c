/* test_yaml: yaml_min's interface: documents, marks, errors, limits. */
#include <stdlib.h>
#include <string.h>

#include "yaml_min.h"
#include "unit.h"

/* Parses an exact-size heap copy (no NUL after it: ASan sees overreads). */
static char *copy_of(const char *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	memcpy(b, s, n);
	return b;
}

/* All documents as one compact JSON line each, or "ERR line:col: msg". */
static char out[8192];
static const char *conv(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *b = copy_of(s, n);
	ym_parser p;
	ym_doc d;
	int r;
	out[0] = 0;
	ym_init(&p, b, n);
	while ((r = ym_next(&p, &d)) == 1) {
		char *j = cJSON_PrintUnformatted(d.root);
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s",
		    o ? "\n" : "", j);
		free(j);
		ym_doc_free(&d);
	}
	if (r < 0)
		snprintf(out + o, sizeof out - o, "%sERR %u:%u: %s", o ? "\n" : "",
		    p.err.mark.line, p.err.mark.col, p.err.msg);
	if (ym_next(&p, &d) != r)   /* sticky end or error */
		snprintf(out, sizeof out, "not sticky");
	ym_end(&p);
	free(b);
	return out;
}

TEST(yaml_basic)
{
	CHECK_STR(conv("a: 1\nb: [x, {w: z}]\n"), "{\"a\":1,\"b\":[\"x\",{\"w\":\"z\"}]}");
	CHECK_STR(conv("k:\n- a\n- b\nl: 2"), "{\"k\":[\"a\",\"b\"],\"l\":2}");
	CHECK_STR(conv("- - a\n  - b\n- c: d\n  e: f\n"),
	    "[[\"a\",\"b\"],{\"c\":\"d\",\"e\":\"f\"}]");
	CHECK_STR(conv(""), "");
	CHECK_STR(conv("---\n---\n# c\n...\n"), "");
	CHECK_STR(conv("--- a\n--- b\n"), "\"a\"\n\"b\"");
	CHECK_STR(conv("a: b   \t\nc: d\t# x\n"), "{\"a\":\"b\",\"c\":\"d\"}");
	return 0;
}

TEST(yaml_scalars)
{
	CHECK_STR(conv("a: |\n  x\n   y\n\n  z\n"), "{\"a\":\"x\\n y\\n\\nz\\n\"}");
	CHECK_STR(conv("a: >-\n  x\n  y\n\n  z\n\n"), "{\"a\":\"x y\\nz\"}");
	CHECK_STR(conv("a: |+\n  x\n\nb: 1\n"), "{\"a\":\"x\\n\\n\",\"b\":1}");
	CHECK_STR(conv("a: |2-\n   x\nb: 1\n"), "{\"a\":\" x\",\"b\":1}");
	CHECK_STR(conv("a: 'it''s\n  folded'\n"), "{\"a\":\"it's folded\"}");
	CHECK_STR(conv("a: \"\\x41\\u00e9\\U0001F600\\t\\\n   b\"\n"),
	    "{\"a\":\"A\xc3\xa9\xf0\x9f\x98\x80\\tb\"}");
	CHECK_STR(conv("a: plain\n  multi\n\n  line\n"), "{\"a\":\"plain multi\\nline\"}");
	CHECK_STR(conv("a: 123456789012345678\nb: -0x10\nc: 0777\n"),
	    "{\"a\":123456789012345678,\"b\":-16,\"c\":511}");
	CHECK_STR(conv("a: yes\nb: off\nc: ~\nd: 1e3\ne: \"yes\"\n"),
	    "{\"a\":true,\"b\":false,\"c\":null,\"d\":1000,\"e\":\"yes\"}");
	CHECK_STR(conv("a: !!str 12\nb: !!float 1\nc: !!int x\n"),
	    "ERR 3:4: found \"x\", expected a value of its tag !!int");
	return 0;
}

TEST(yaml_anchors)
{
	CHECK_STR(conv("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\n"),
	    "{\"a\":{\"p\":1,\"q\":2},\"b\":{\"q\":3,\"p\":1}}");
	CHECK_STR(conv("a: &x {p: 1}\nb: &y {p: 2, r: 2}\nc:\n  <<: [*x, *y]\n"),
	    "{\"a\":{\"p\":1},\"b\":{\"p\":2,\"r\":2},\"c\":{\"p\":1,\"r\":2}}");
	CHECK_STR(conv("a: &x 1\nb: &x 2\nc: *x\n"), "{\"a\":1,\"b\":2,\"c\":2}");
	CHECK_STR(conv("a: &x [*x]\n"),
	    "ERR 1:8: found undefined alias \"x\", expected an anchor defined before it");
	CHECK_STR(conv("a: &x 1\n<<: *x\n"),
	    "ERR 2:1: found a merge of a scalar, expected a mapping or a list of mappings");
	return 0;
}

TEST(yaml_errors)
{
	CHECK_STR(conv("a: 1\na: 2\n"),
	    "ERR 2:1: found duplicate key \"a\", expected unique keys in a mapping");
	CHECK_STR(conv("a: [1\n"), "ERR 2:1: found end of input, expected \",\" or \"]\"");
	CHECK_STR(conv("a: \"x\n"), "ERR 2:1: found end of input, expected the end of a quoted scalar");
	CHECK_STR(conv("? a\n"), "ERR 1:1: unsupported: complex mapping key (\"?\")");
	CHECK_STR(conv("a: !e!x b\n"), "ERR 1:4: unsupported: tag !e!x");
	CHECK_STR(conv("ok: 1\n---\nbad: [\n"), "{\"ok\":1}\nERR 4:1: found end of input, expected an entry");
	return 0;
}

static int where(const ym_doc *d, const cJSON *n, int key, unsigned *l, unsigned *c)
{
	ym_mark m;
	int r = key ? ym_where_key(d->marks, n, &m) : ym_where(d->marks, n, &m);
	*l = m.line;
	*c = m.col;
	return r;
}

TEST(yaml_marks)
{
	const char *s = "# head\n---\n# Source: x\nmetadata:\n  name: x\n"
	    "  annotations:\n    \"helm.sh/hook\": pre-install\nlist:\n- a\n- &q [b]\n"
	    "alias: *q\n---\nsecond: doc\n";
	size_t n = strlen(s);
	char *b = copy_of(s, n);
	ym_parser p;
	ym_doc d;
	unsigned l, c;
	ym_init(&p, b, n);
	CHECK(ym_next(&p, &d) == 1);
	CHECK(d.index == 0 && d.begin == 7);
	CHECK(d.start.line == 4 && d.start.col == 1);
	cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d.root,
	    "metadata"), "annotations"), "helm.sh/hook");
	CHECK(h && where(&d, h, 0, &l, &c) == 0 && l == 7 && c == 21);
	CHECK(where(&d, h, 1, &l, &c) == 0 && l == 7 && c == 5);
	cJSON *list = cJSON_GetObjectItem(d.root, "list");
	CHECK(where(&d, list, 0, &l, &c) == 0 && l == 9 && c == 1);
	CHECK(where(&d, cJSON_GetArrayItem(list, 1)->child, 0, &l, &c) == 0 &&
	    l == 10 && c == 7);
	cJSON *al = cJSON_GetObjectItem(d.root, "alias");
	CHECK(where(&d, al->child, 0, &l, &c) == 0 && l == 11 && c == 8);
	CHECK(where(&d, d.root, 1, &l, &c) == -1);
	ym_doc d2;
	CHECK(ym_next(&p, &d2) == 1);
	CHECK(d2.index == 1 && d2.start.line == 13);
	CHECK(where(&d2, h, 0, &l, &c) == -1);   /* not from this document */
	ym_doc_free(&d);
	ym_doc_free(&d2);
	CHECK(ym_next(&p, &d) == 0);
	ym_end(&p);
	free(b);
	return 0;
}

/* The "# Source:" of every document, "|"-separated ("-" for none). */
static const char *sources(const char *s, unsigned flags)
{
	size_t n = strlen(s), o = 0;
	char *b = copy_of(s, n);
	ym_parser p;
	ym_doc d;
	out[0] = 0;
	ym_init(&p, b, n);
	p.flags = flags;
	while (ym_next(&p, &d) == 1) {
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", o ? "|" : "",
		    d.source ? (int)d.source_len : 1, d.source ? d.source : "-");
		ym_doc_free(&d);
	}
	ym_end(&p);
	free(b);
	return out;
}

TEST(yaml_head_source)
{
	CHECK_STR(sources("# Source: c/a.yaml\na: 1\n", 0), "c/a.yaml");
	CHECK_STR(sources("# Source: c/a.yaml\na: 1\n", YM_NO_MARKS), "-");
	/* the last one of the head, its blanks trimmed; empty ones ignored */
	CHECK_STR(sources("# Source: x\n# Source:  c/a b \t\n# Source: \t\n# c\n\na: 1\n",
	    0), "c/a b");
	/* not at the start of its line, or not "# Source:" exactly */
	CHECK_STR(sources("  # Source: x\na: 1\n---\n#Source: y\nb: 1\n--- # Source: z\n"
	    "c: 1\n", 0), "-|-|-");
	/* across null documents and "...", as helm template --include-crds writes */
	CHECK_STR(sources("# Source: a\n---\n# Source: b\n---\n...\n---\n\nk: 1\n...\n"
	    "# Source: c\n--- \nl: 1\n---\nm: 1\n", 0), "b|c|-");
	/* the previous document's trailing comments are the next one's head */
	CHECK_STR(sources("a: 1\n# Source: b\n---\nb: 1\n", 0), "-|b");
	/* CRLF; a line that is only a BOM is crossed, a BOM before "#" is not */
	CHECK_STR(sources("# Source: a\r\n---\r\n# Source: b \r\nb: 1\r\n", 0), "b");
	CHECK_STR(sources("\xef\xbb\xbf\n# Source: a\na: 1\n", 0), "a");
	CHECK_STR(sources("\xef\xbb\xbf# Source: a\na: 1\n", 0), "-");
	/* any other line ends the head: a directive, content, a CR-only line end */
	CHECK_STR(sources("# Source: a\n%YAML 1.2\n---\na: 1\n", 0), "-");
	CHECK_STR(sources("# Source: a\na: |\n  # Source: b\n---\nb: 1\n", 0), "a|-");
	CHECK_STR(sources("# Source: a\ra: 1\r", 0), "-");
	/* an exact-size buffer: nothing is read outside it */
	const char *t = "# Source: a\n---\n# Source: b\nb: 1\n";
	for (size_t k = 0; k <= strlen(t); k++)
		sources(t + k, 0);
	return 0;
}

/* style, verbatim, content line:col of the scalar at key k of d's root */
static const char *how(const ym_doc *d, const char *k)
{
	static const char *const styles[] = { "?", "plain", "single", "double",
	    "literal", "folded" };
	ym_scalar sc;
	const cJSON *v = cJSON_GetObjectItem(d->root, k);
	if (!v || ym_scalar_at(d->marks, v, &sc) != 0)
		return "none";
	snprintf(out, sizeof out, "%s %d %u:%u", sc.style >= 1 && sc.style <= 5 ?
	    styles[sc.style] : "?", sc.verbatim, sc.content.line, sc.content.col);
	return out;
}

TEST(yaml_scalar_styles)
{
	const char *s = "p: plain text\n"
	    "s: 'it''s'\n"
	    "d: \"it's\"\n"
	    "e: \"a\\tb\"\n"
	    "m: two\n  lines\n"
	    "q: \"two\n  lines\"\n"
	    "l: |\n\n   lit\n"
	    "f: >-\n  fold\n"
	    "z: |\n"
	    "a: &x 'anch'\n"
	    "t: !!str 12\n"
	    "w: *x\n"
	    "n:\n"
	    "c: {k: v, j: \"w\"}\n"
	    "i: 12\n";
	size_t n = strlen(s);
	char *b = copy_of(s, n);
	ym_parser p;
	ym_doc d;
	ym_scalar sc;
	ym_init(&p, b, n);
	CHECK(ym_next(&p, &d) == 1);
	CHECK_STR(how(&d, "p"), "plain 1 1:4");
	CHECK_STR(how(&d, "s"), "single 0 2:5");
	CHECK_STR(how(&d, "d"), "double 1 3:5");
	CHECK_STR(how(&d, "e"), "double 0 4:5");
	CHECK_STR(how(&d, "m"), "plain 0 5:4");
	CHECK_STR(how(&d, "q"), "double 0 7:5");
	CHECK_STR(how(&d, "l"), "literal 0 11:4");
	CHECK_STR(how(&d, "f"), "folded 0 13:3");
	CHECK_STR(how(&d, "z"), "literal 0 14:4");    /* no content: its header */
	CHECK_STR(how(&d, "a"), "single 1 15:8");     /* after the anchor */
	CHECK_STR(how(&d, "t"), "plain 1 16:10");     /* after the tag */
	CHECK_STR(how(&d, "i"), "plain 1 20:4");      /* resolved, not a string */
	CHECK_STR(how(&d, "w"), "none");              /* an alias's copy */
	CHECK_STR(how(&d, "n"), "none");              /* empty */
	CHECK_STR(how(&d, "c"), "none");              /* a collection */
	const cJSON *c = cJSON_GetObjectItem(d.root, "c");
	CHECK(ym_scalar_at(d.marks, cJSON_GetObjectItem(c, "k"), &sc) == 0 &&
	    sc.style == YM_PLAIN && sc.verbatim && sc.content.line == 19 &&
	    sc.content.col == 8);
	CHECK(ym_scalar_at(d.marks, cJSON_GetObjectItem(c, "j"), &sc) == 0 &&
	    sc.style == YM_DOUBLE_QUOTED && sc.verbatim && sc.content.col == 15);
	CHECK(ym_scalar_at(NULL, c, &sc) == -1);
	ym_doc_free(&d);
	ym_end(&p);
	free(b);
	return 0;
}

TEST(yaml_limits)
{
	/* depth */
	size_t n = 3 + 2 * 300;
	char *b = malloc(n);
	memcpy(b, "a: ", 3);
	memset(b + 3, '[', 300);
	memset(b + 303, ']', 300);
	ym_parser p;
	ym_doc d;
	ym_init(&p, b, n);
	CHECK(ym_next(&p, &d) == -1);
	CHECK(strstr(p.err.msg, "nesting deeper than") != NULL);
	ym_end(&p);
	free(b);
	/* exact-size buffers ending anywhere in a token */
	const char *s = "a: \"x\\u00e9\"\nb: 'y''z'\nc: [1, {d: e}]\nf: |-\n  g\n";
	for (size_t k = 0; k <= strlen(s); k++) {
		char *t = copy_of(s, k);
		ym_init(&p, t, k);
		while (ym_next(&p, &d) == 1)
			ym_doc_free(&d);
		ym_end(&p);
		free(t);
	}
	return 0;
}

TEST(yaml_stop_early)
{
	/* a reader that stops before the end releases the parser with ym_end
	 * (the sanitizer build fails on a leak); ym_restart reads another
	 * stream with the same scratch */
	const char *s = "a: 1\n---\nb: [2, 3]\n---\nc: 4\n";
	size_t n = strlen(s);
	char *b = copy_of(s, n);
	ym_parser p;
	ym_doc d;
	ym_init(&p, b, n);
	CHECK(ym_next(&p, &d) == 1);
	CHECK(cJSON_GetObjectItem(d.root, "a") != NULL);
	ym_doc_free(&d);
	CHECK(ym_next(&p, &d) == 1);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(d.root, "b")) == 2);
	ym_doc_free(&d);
	ym_restart(&p, b + 9, n - 9);
	CHECK(ym_next(&p, &d) == 1);
	CHECK(d.index == 0 && d.start.line == 1 && d.start.col == 1);
	CHECK(cJSON_GetObjectItem(d.root, "b") != NULL);
	ym_doc_free(&d);
	ym_end(&p);
	ym_end(&p);
	CHECK(p.tables == NULL);
	free(b);
	return 0;
}

int main(void)
{
	RUN(yaml_basic);
	RUN(yaml_scalars);
	RUN(yaml_anchors);
	RUN(yaml_errors);
	RUN(yaml_marks);
	RUN(yaml_head_source);
	RUN(yaml_scalar_styles);
	RUN(yaml_limits);
	RUN(yaml_stop_early);
	return unit_done();
}
