/*
 * test_http_regress: replays every input under tests/fuzz-regress/{http,
 * pem,kubeconfig}/ (fuzzer seeds and the crashers once found) through
 * the same harnesses as fuzz/fuzz_*.c, under ASan and UBSan.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

#include "unit.h"

#define FUZZ_ENTRY fuzz_http_one
#include "../../fuzz/fuzz_http.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_pem_one
#include "../../fuzz/fuzz_pem.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_kubeconfig_one
#include "../../fuzz/fuzz_kubeconfig.c"

/* Runs fn on each file of dir; returns the count, -1 if dir is missing. */
static int
replay(const char *dir, int (*fn)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[1024];
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		buf = malloc(1 << 20);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		fn(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

TEST(regress_http)
{
	CHECK(replay("tests/fuzz-regress/http", fuzz_http_one) > 0);
	return 0;
}

TEST(regress_pem)
{
	CHECK(replay("tests/fuzz-regress/pem", fuzz_pem_one) > 0);
	return 0;
}

TEST(regress_kubeconfig)
{
	CHECK(replay("tests/fuzz-regress/kubeconfig", fuzz_kubeconfig_one) > 0);
	return 0;
}

int
main(void)
{
	RUN(regress_http);
	RUN(regress_pem);
	RUN(regress_kubeconfig);
	return unit_done();
}
