/*
 * test_json.c: json_min (json_min.h): jm_write gives byte for byte what
 * cJSON_PrintUnformatted gives, refuses what is nested too deep without
 * changing its output, and the arena hands out memory that cJSON uses as
 * its own.
 */
#include <stdlib.h>

#include "cJSON.h"
#include "json_min.h"
#include "unit.h"

static int
same_as_cjson(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	jm_out o = { NULL, 0, 0, NULL };
	char *want;
	int ok;

	if (j == NULL)
		return 0;
	want = cJSON_PrintUnformatted(j);
	ok = jm_write(&o, j) == 0 && o.n == strlen(want) + 1 &&
	    memcmp(o.b, want, o.n - 1) == 0 && o.b[o.n - 1] == '\n';
	free(want);
	free(o.b);
	cJSON_Delete(j);
	return ok;
}

TEST(writer_matches_cjson)
{
	CHECK(same_as_cjson("{}"));
	CHECK(same_as_cjson("[1,-2,3.5,1e300,-0.0,123456789012345,0.1,1e-7]"));
	CHECK(same_as_cjson("{\"a\":\"q\\\"b\\\\c\\n\\t\\u0001\\u001f\",\"b\":[true,false,null]}"));
	CHECK(same_as_cjson("{\"k\":{\"l\":[[],[{}],\"\\u00e9\"]}}"));
	CHECK(same_as_cjson("[\"a long string that runs past sixteen bytes, to cross the vector loop\"]"));
	return 0;
}

TEST(writer_refuses_too_deep)
{
	cJSON *root = cJSON_CreateArray(), *a = root;
	jm_out o = { NULL, 0, 0, NULL };
	int i;

	for (i = 0; i < JM_MAX_DEPTH + 5; i++) {
		cJSON *b = cJSON_CreateArray();
		cJSON_AddItemToArray(a, b);
		a = b;
	}
	CHECK(jm_write(&o, cJSON_GetArrayItem(root, 0)) == -1);
	CHECK(o.n == 0);
	CHECK(jm_write(&o, a) == 0);   /* the output goes on after a refusal */
	CHECK(o.n == 3 && memcmp(o.b, "[]\n", 3) == 0);
	free(o.b);
	cJSON_Delete(root);
	return 0;
}

TEST(arena_serves_cjson)
{
	int round;

	jm_arena_begin();
	for (round = 0; round < 3; round++) {
		cJSON *j = cJSON_Parse("{\"a\":[1,2,{\"b\":\"c\"}]}");
		CHECK(j != NULL);
		CHECK_STR(cJSON_GetObjectItem(j, "a")->child->next->next->child->valuestring, "c");
		cJSON_Delete(j);
		jm_arena_reset();
	}
	jm_arena_end();
	return 0;
}

int
main(void)
{
	RUN(writer_matches_cjson);
	RUN(writer_refuses_too_deep);
	RUN(arena_serves_cjson);
	return unit_done();
}
