/*
 * fuzz_yaml: yaml_min on arbitrary bytes, in an exact-size heap buffer (no
 * NUL after it).  Every document is printed and every node's mark looked
 * up, so that a tree, its marks and its raw numbers are all exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_min.h"

static void walk(const ym_doc *d, const cJSON *n, int member)
{
	ym_mark m;
	for (; n; n = n->next) {
		if (ym_where(d->marks, n, &m) != 0)
			abort();   /* every node has a mark */
		if (member && ym_where_key(d->marks, n, &m) != 0)
			abort();   /* every member has a key mark */
		walk(d, n->child, cJSON_IsObject(n));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	ym_parser p;
	ym_doc d;
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ym_init(&p, buf, size);
	while (ym_next(&p, &d) == 1) {
		char *s = cJSON_PrintUnformatted(d.root);
		if (!s)
			abort();
		free(s);
		walk(&d, d.root, 0);
		ym_doc_free(&d);
	}
	ym_end(&p);
	if (p.failed && (p.err.msg[0] == 0 || p.err.mark.line == 0))
		abort();   /* errors say what and where */
	free(buf);
	return 0;
}
