/*
 * unit.h: the smallest test runner that reads well.
 *
 *	TEST(name) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *	int main(void) { RUN(name); return unit_done(); }
 *
 * Each test prints "PASS name" or "FAIL name: file:line: what"; a failed
 * check ends its test.  unit_done() returns the exit status.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed, unit_passed;
static char unit_why[512];

#define TEST(name) static int name(void)
#define CHECK(c) do { if (!(c)) { snprintf(unit_why, sizeof unit_why, \
	"%s:%d: %s", __FILE__, __LINE__, #c); return 1; } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { snprintf(unit_why, sizeof unit_why, \
	"%s:%d: \"%s\" != \"%s\"", __FILE__, __LINE__, a_ ? a_ : "(null)", \
	b_ ? b_ : "(null)"); return 1; } } while (0)
#define RUN(name) do { unit_why[0] = 0; if (name()) { unit_failed++; \
	printf("FAIL %s: %s\n", #name, unit_why); } else { unit_passed++; \
	printf("PASS %s\n", #name); } fflush(stdout); } while (0)

static int unit_done(void) { return unit_failed != 0; }

/* The whole file at path, NUL-terminated, its length in *len; NULL if it
 * cannot be read.  The caller frees it. */
static inline char *
unit_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b = NULL, *nb;

	if (f == NULL)
		return NULL;
	while ((nb = realloc(b, cap + 1)) != NULL) {
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (n < cap) {
			if (ferror(f))
				break;
			fclose(f);
			b[n] = 0;
			*len = n;
			return b;
		}
		cap *= 2;
	}
	fclose(f);
	free(b);
	return NULL;
}

#endif
