/*
 * yaml_min: the YAML that Kubernetes manifests use, to one cJSON tree per
 * document, with the line and column of every node.
 *
 * The accepted subset is written as a grammar at the top of yaml_min.c.
 * Scalars resolve as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 rules) resolves
 * them, so that what hookctl sends is what kubectl would send; the table is
 * in docs/yaml.md.  Anything outside the subset is an "unsupported" error,
 * never a wrong result.
 *
 * Nothing here prints, exits or touches a file: errors come back in a
 * ym_error.  The input is (buffer, length), never NUL-terminated.  What a
 * call returns does not point into it, except ym_doc.source (a span of it).
 * A caller learns everything about a document from here (its trees, the
 * places and styles of its nodes, its "# Source:" comment) and need never
 * read the input itself.
 */
#ifndef YAML_MIN_H
#define YAML_MIN_H

#include <stddef.h>

#include "cJSON.h"

/* Limits; input over any of them is refused with an error, never cut. */
#define YM_MAX_INPUT    ((size_t)64 << 20)  /* bytes in one stream */
#define YM_MAX_DEPTH    200                 /* nesting of collections */
#define YM_MAX_NODES    ((size_t)4 << 20)   /* nodes in one document */
#define YM_MAX_EXPANDED ((size_t)1 << 17)   /* nodes made by alias copies */

/* A place in the input; line and col are 1-based, col counts bytes. */
typedef struct {
	size_t offset;
	unsigned line, col;
} ym_mark;

typedef struct {
	ym_mark mark;      /* where the problem is */
	char msg[240];     /* "found X, expected Y" or "unsupported: ..." */
} ym_error;

/* Positions of the nodes of one document (opaque; see ym_where). */
typedef struct ym_marks ym_marks;

/*
 * One document of a stream.
 *
 * Its head is the lines before the line of its first node, walking back
 * over blank lines, comments, lines that begin with "---" or "..." and a
 * blank (or end there), and a line that is only a BOM, up to the first
 * other line: so a head reaches back across null documents, as
 * `helm template --include-crds` writes "# Source: x/crds/a.yaml" and then
 * "---", and holds the comments at the end of the previous document.
 * Lines end at LF (a CR before it is not part of the line).  source is
 * PATH of the last line of the head that begins with "# Source:" followed
 * by PATH (blanks around PATH are not part of it; a line with no PATH is
 * an ordinary comment), as Helm writes the template path of what follows.
 */
typedef struct {
	cJSON *root;       /* never NULL: null documents are skipped */
	ym_marks *marks;   /* positions of root and every node below it */
	size_t index;      /* 0-based among all documents, null ones counted */
	size_t begin;      /* offset where the document's text begins: its
	                      "---" line, or just after the previous document */
	ym_mark start;     /* its first node */
	const char *source;  /* the "# Source:" PATH of its head: source_len
	                        bytes of the input buffer (valid as long as it
	                        is), not NUL-terminated; NULL when there is none */
	size_t source_len;
} ym_doc;

/* Parser state, caller-owned; contents private to yaml_min.c. */
typedef struct {
	const char *buf;
	size_t len, pos;
	unsigned line, col;
	size_t doc_index;
	int state, failed;
	int cr;            /* the stream has a CR: lines may end in one */
	ym_error err;      /* sticky: once set, every later call fails */
	unsigned flags;    /* YM_*, set after ym_init */
	struct ym_tables *tables;  /* scratch kept between documents */
} ym_parser;

/* Documents without positions: doc->marks is NULL, doc->start and
 * doc->source are not set (errors still say where).  For a caller that
 * only wants the trees. */
#define YM_NO_MARKS 1u

/*
 * Start reading buf[0..len).  buf must outlive the parser's use of it.
 * The parser keeps scratch memory from one document to the next until
 * ym_end, which every ym_init must be paired with (it may be called more
 * than once).  ym_restart reads another stream with the same parser and
 * its scratch, with the state of ym_init otherwise.
 */
void ym_init(ym_parser *p, const char *buf, size_t len);
void ym_restart(ym_parser *p, const char *buf, size_t len);
void ym_end(ym_parser *p);

/*
 * Reads the next non-null document into *doc.  Returns 1 with a document,
 * 0 at the end of the stream, -1 on error (p->err says what and where; every
 * later call returns -1 too).  The caller owns doc->root and doc->marks and
 * releases both with ym_doc_free, while the same cJSON hooks are installed
 * (both are allocated with cJSON_malloc).
 */
int ym_next(ym_parser *p, ym_doc *doc);

void ym_doc_free(ym_doc *doc);

/*
 * Where node (root or any node below it) was written: the mark of its first
 * byte.  For a member of a mapping, ym_where_key gives its key's mark.
 * Both return 0 and fill *out, or -1 if node is not from this document.
 */
int ym_where(const ym_marks *m, const cJSON *node, ym_mark *out);
int ym_where_key(const ym_marks *m, const cJSON *node, ym_mark *out);

/* How a scalar was written (ym_scalar.style). */
enum {
	YM_PLAIN = 1,
	YM_SINGLE_QUOTED,  /* '...' */
	YM_DOUBLE_QUOTED,  /* "..." */
	YM_LITERAL,        /* | */
	YM_FOLDED          /* > */
};

typedef struct {
	int style;         /* YM_PLAIN ... YM_FOLDED */
	int verbatim;      /* its value is its content as written, byte for
	                      byte on one line (no escape, no folding; never
	                      for literal and folded): for a string, byte i of
	                      valuestring is at content.offset + i, column
	                      content.col + i */
	ym_mark content;   /* its first content byte: the first byte of a plain
	                      scalar, the byte after the opening quote; for
	                      literal and folded, the first byte of its first
	                      content line after the indentation (the "|" or
	                      ">" when it has none) */
} ym_scalar;

/*
 * How scalar node (root or any node below it) was written, so that a
 * message can point inside its value.  Returns 0 and fills *out, or -1
 * when node is not from this document or was not written as a scalar of
 * its own: a collection, an empty value, a copy made for an alias or a
 * merge.  Properties ("&a", "!!str") are not content: ym_where gives the
 * node's first byte, which may be theirs.
 */
int ym_scalar_at(const ym_marks *m, const cJSON *node, ym_scalar *out);

/*
 * Numbers: an integer of up to 15 digits is a cJSON number; any longer
 * integer is a cJSON raw node holding its exact decimal digits, so that
 * printing it loses nothing (cJSON prints numbers with 15 significant
 * digits, and a double holds integers exactly only up to 2^53).  Floats
 * are cJSON numbers.
 */

#endif
