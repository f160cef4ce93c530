/*
 * test_yaml_suite: the official YAML test suite (../shared/yaml-test-suite)
 * through yaml_min.  Every case with in.json must give the same documents
 * (null documents left out, as yaml_min skips them); every case with an
 * error file must be rejected.  The exceptions are listed, each with its
 * reason, in tests/yaml/suite-expect.txt:
 *	ID unsupported   rejected with an "unsupported: ..." message
 *	ID differs       parses, differs from in.json (YAML 1.1 rules or a limit)
 *	ID accepts       an error case yaml_min accepts (as libyaml does)
 *	ID rejects       a valid case yaml_min rejects (not "unsupported")
 * An exception that no longer happens fails too, so the list stays exact.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yaml_min.h"
#include "unit.h"

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

struct expect {
	char id[32], what[16];
	int seen;
};
static struct expect exp_[512];
static int nexp;

static const char *expected(const char *id)
{
	for (int i = 0; i < nexp; i++)
		if (!strcmp(exp_[i].id, id)) {
			exp_[i].seen = 1;
			return exp_[i].what;
		}
	return "";
}

static int n_cases, n_equal, n_rejected, n_unsup, n_yaml11, n_accepts,
    n_rejects, n_nojson, n_bad;

/* Parses all of in.json's values into an array, dropping nulls. */
static cJSON *expected_docs(const char *json, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	const char *s = json, *end = json + n;
	while (s < end) {
		while (s < end && strchr(" \t\r\n", *s))
			s++;
		if (s >= end)
			break;
		const char *e = NULL;
		cJSON *v = cJSON_ParseWithLengthOpts(s, (size_t)(end - s), &e, 0);
		if (!v) {
			cJSON_Delete(arr);
			return NULL;
		}
		if (cJSON_IsNull(v))
			cJSON_Delete(v);
		else
			cJSON_AddItemToArray(arr, v);
		s = e;
	}
	return arr;
}

static void one(const char *dir, const char *id)
{
	char path[1024];
	size_t n, jn;
	snprintf(path, sizeof path, "%s/in.yaml", dir);
	char *y = unit_slurp(path, &n);
	if (!y)
		return;
	n_cases++;
	snprintf(path, sizeof path, "%s/error", dir);
	int iserr = exists(path);
	snprintf(path, sizeof path, "%s/in.json", dir);
	char *j = iserr ? NULL : unit_slurp(path, &jn);

	/* exact-size copy: no NUL after the input */
	char *buf = malloc(n ? n : 1);
	memcpy(buf, y, n);
	ym_parser p;
	ym_doc d;
	int r;
	cJSON *got = cJSON_CreateArray();
	ym_init(&p, buf, n);
	while ((r = ym_next(&p, &d)) == 1) {
		cJSON_AddItemToArray(got, d.root);
		d.root = NULL;
		ym_doc_free(&d);
	}
	ym_end(&p);
	const char *want = expected(id), *outcome;
	char why[300] = "";
	if (iserr && r < 0)
		outcome = "", n_rejected++;
	else if (r < 0 && !strncmp(p.err.msg, "unsupported", 11))
		outcome = "unsupported", n_unsup++;
	else if (iserr)
		outcome = "accepts", n_accepts++;
	else if (r < 0) {
		outcome = "rejects", n_rejects++;
		snprintf(why, sizeof why, "%u:%u: %s", p.err.mark.line,
		    p.err.mark.col, p.err.msg);
	} else if (!j)
		outcome = "", n_nojson++;
	else {
		cJSON *e = expected_docs(j, jn);
		if (e && cJSON_Compare(e, got, 1))
			outcome = "", n_equal++;
		else {
			outcome = "differs", n_yaml11++;
			char *g = cJSON_PrintUnformatted(got);
			char *w = e ? cJSON_PrintUnformatted(e) : NULL;
			snprintf(why, sizeof why, "got %.120s want %.120s", g,
			    w ? w : "?");
			free(g);
			free(w);
		}
		cJSON_Delete(e);
	}
	if (strcmp(outcome, want)) {
		n_bad++;
		printf("FAIL yaml_suite_%s: %s, expected %s %s\n", id,
		    *outcome ? outcome : "as in the suite",
		    *want ? want : "as in the suite", why);
	}
	if (getenv("YM_SUITE_VERBOSE"))
		printf("case %s %s %s\n", id, *outcome ? outcome : "ok", why);
	cJSON_Delete(got);
	free(buf);
	free(y);
	free(j);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int listdir(const char *dir, char **names, int max)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && n < max)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(dp);
	qsort(names, (size_t)n, sizeof *names, cmpstr);
	return n;
}

TEST(yaml_suite)
{
	const char *shared = getenv("SHARED");
	char root[512], path[1024], line[256];
	snprintf(root, sizeof root, "%s/yaml-test-suite",
	    shared ? shared : "../shared");
	FILE *f = fopen("tests/yaml/suite-expect.txt", "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof line, f) && nexp < 512) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %15s", exp_[nexp].id, exp_[nexp].what) == 2)
			nexp++;
	}
	fclose(f);
	char *ids[1024];
	int nid = listdir(root, ids, 1024);
	CHECK(nid > 300);
	for (int i = 0; i < nid; i++) {
		if (!strcmp(ids[i], "name") || !strcmp(ids[i], "tags")) {
			free(ids[i]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s/in.yaml", root, ids[i]);
		if (exists(path)) {
			snprintf(path, sizeof path, "%s/%s", root, ids[i]);
			one(path, ids[i]);
		} else {
			char *sub[64], d[700], id[64];
			snprintf(d, sizeof d, "%s/%s", root, ids[i]);
			int ns = listdir(d, sub, 64);
			for (int k = 0; k < ns; k++) {
				snprintf(path, sizeof path, "%s/%s", d, sub[k]);
				snprintf(id, sizeof id, "%s/%s", ids[i], sub[k]);
				one(path, id);
				free(sub[k]);
			}
		}
		free(ids[i]);
	}
	for (int i = 0; i < nexp; i++)
		if (!exp_[i].seen) {
			n_bad++;
			printf("FAIL yaml_suite_%s: listed in suite-expect.txt but "
			    "not in the suite\n", exp_[i].id);
		}
	printf("yaml-test-suite: %d cases: %d equal to in.json, %d errors "
	    "rejected, %d parsed (no in.json), %d unsupported, %d differ by "
	    "YAML 1.1 rules or known limits, %d error cases accepted, %d valid cases "
	    "rejected\n", n_cases, n_equal, n_rejected, n_nojson, n_unsup,
	    n_yaml11, n_accepts, n_rejects);
	CHECK(n_cases > 300);
	CHECK(n_bad == 0);
	return 0;
}

int main(void)
{
	RUN(yaml_suite);
	return unit_done();
}
