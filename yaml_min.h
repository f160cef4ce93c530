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
 * ym_error.  The input is (buffer, length), never NUL-terminated, and is not
 * referenced after the call that reads it returns.
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

/* One document of a stream. */
typedef struct {
	cJSON *root;       /* never NULL: null documents are skipped */
	ym_marks *marks;   /* positions of root and every node below it */
	size_t index;      /* 0-based among all documents, null ones counted */
	size_t begin;      /* offset where the document's text begins: its
	                      "---" line, or just after the previous document;
	                      comments in [begin, start.offset) are its head */
	ym_mark start;     /* its first node */
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

/* Documents without positions: doc->marks is NULL and doc->start is not
 * set (errors still say where).  For a caller that only wants the trees. */
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

/*
 * Numbers: an integer of up to 15 digits is a cJSON number; any longer
 * integer is a cJSON raw node holding its exact decimal digits, so that
 * printing it loses nothing (cJSON prints numbers with 15 significant
 * digits, and a double holds integers exactly only up to 2^53).  Floats
 * are cJSON numbers.
 */

#endif
