/*
 * test_filter.c: hookctl test --filter, as Helm 4's helm test --filter reads
 * it (pkg/cmd/release_testing.go) and applies it (pkg/action/
 * release_testing.go): "name=X" includes, "!name=X" and "! name=X"
 * exclude, commas separate; exclusion first, then inclusion if any.
 * hookctl refuses what Helm silently ignores.
 */
#include <stdlib.h>

#include "cJSON.h"
#include "plan.h"
#include "unit.h"

static char why[300];

TEST(filter_parse_helm_syntax)
{
	pl_filter f;

	memset(&f, 0, sizeof f);
	CHECK(pl_filter_parse(&f, "name=a,!name=b,! name=c", why, sizeof why) == 0);
	CHECK(pl_filter_parse(&f, "name=d=e", why, sizeof why) == 0);
	CHECK(f.ninclude == 2 && f.nexclude == 2);
	CHECK_STR(f.include[0], "a");
	CHECK_STR(f.include[1], "d=e");
	CHECK_STR(f.exclude[0], "b");
	CHECK_STR(f.exclude[1], "c");
	pl_filter_free(&f);
	CHECK(f.ninclude == 0 && f.include == NULL);
	return 0;
}

TEST(filter_parse_refuses)
{
	static const char *const bad[] = {
		"", "kind=Pod", "name", "name=", "!name=", "name=a,", ",name=a", "Name=a",
		" name=a", "!  name=a", "!!name=a", "!", "name=a,x",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pl_filter f;
		memset(&f, 0, sizeof f);
		why[0] = 0;
		if (pl_filter_parse(&f, bad[i], why, sizeof why) != -1 || !why[0]) {
			snprintf(unit_why, sizeof unit_why, "accepted \"%s\"", bad[i]);
			pl_filter_free(&f);
			return 1;
		}
		pl_filter_free(&f);
	}
	{
		pl_filter f;
		memset(&f, 0, sizeof f);
		CHECK(pl_filter_parse(&f, "name=a,kind=b", why, sizeof why) == -1);
		CHECK(strstr(why, "\"kind=b\"") != NULL && strstr(why, "unknown attribute") != NULL);
		pl_filter_free(&f);
	}
	return 0;
}

TEST(filter_match_exclude_then_include)
{
	pl_filter f;

	CHECK(pl_filter_match(NULL, "x"));
	memset(&f, 0, sizeof f);
	CHECK(pl_filter_parse(&f, "!name=b", why, sizeof why) == 0);
	CHECK(pl_filter_match(&f, "a") && !pl_filter_match(&f, "b"));
	CHECK(pl_filter_parse(&f, "name=b,name=c", why, sizeof why) == 0);
	/* b is both excluded and included: Helm excludes it first */
	CHECK(!pl_filter_match(&f, "a") && !pl_filter_match(&f, "b") && pl_filter_match(&f, "c"));
	pl_filter_free(&f);
	return 0;
}

static void
add(pl_plan *p, size_t n, const char *kind, const char *name, const char *events)
{
	char buf[512];
	cJSON *r;

	snprintf(buf, sizeof buf, "{\"apiVersion\":\"v1\",\"kind\":\"%s\",\"metadata\":"
	    "{\"name\":\"%s\",\"annotations\":{\"helm.sh/hook\":\"%s\"}},"
	    "\"spec\":{\"restartPolicy\":\"Never\"}}", kind, name, events);
	r = cJSON_Parse(buf);
	if (r == NULL)
		abort();
	pl_add(p, r, NULL, "in.yaml", "t.yaml", 0, n, (unsigned)n + 1, 1);
}

TEST(filter_in_the_test_plan)
{
	pl_filter f;
	pl_config c;
	pl_plan p;
	cJSON *j;
	int ok;

	memset(&f, 0, sizeof f);
	memset(&c, 0, sizeof c);
	CHECK(pl_filter_parse(&f, "!name=t2,name=t1,name=t2,name=gone", why, sizeof why) == 0);
	c.op = PL_OP_TEST;
	c.filter = &f;
	pl_init(&p, &c);
	add(&p, 0, "Pod", "t1", "test");
	add(&p, 1, "Pod", "t2", "test");
	add(&p, 2, "ConfigMap", "t3", "test,test");
	add(&p, 3, "Pod", "pre", "pre-install");
	pl_finish(&p);
	ok = p.nphases == 1 && p.phases[0].nsteps == 1 &&
	    strcmp(p.phases[0].steps[0]->name, "t1") == 0 && p.nfiltered == 3;
	/* left out in run order (weight, then name): Pod t2, ConfigMap t3 twice (it runs twice) */
	ok = ok && strcmp(p.filtered[0]->name, "t2") == 0 && strcmp(p.filtered[1]->name, "t3") == 0 &&
	    strcmp(p.filtered[2]->name, "t3") == 0;
	/* name=gone matches no test hook: a warning, not an error */
	ok = ok && p.nerrors == 0 && p.ndiags > 0 &&
	    strcmp(p.diags[p.ndiags - 1].msg, "name=gone matches no test hook") == 0;
	j = pl_to_json(&p);
	ok = ok && j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "filtered_out")) == 3;
	cJSON_Delete(j);
	pl_free(&p);
	pl_filter_free(&f);
	CHECK(ok);
	return 0;
}

int
main(void)
{
	RUN(filter_parse_helm_syntax);
	RUN(filter_parse_refuses);
	RUN(filter_match_exclude_then_include);
	RUN(filter_in_the_test_plan);
	return unit_done();
}
