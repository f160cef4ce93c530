/*
 * fuzz_replay: every input under tests/fuzz-regress/gz_inflate/ and
 * gz_roundtrip/ (seeds, and the crashers once found) through the same
 * harnesses as fuzz/fuzz_gz_*.c, without libFuzzer, under ASan and UBSan.
 * Linked with zlib, the harnesses' oracle, by tests/suite_gz.sh.
 *
 *	fuzz_replay DIR_INFLATE DIR_ROUNDTRIP
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ENTRY fuzz_gz_inflate_one
#include "../../fuzz/fuzz_gz_inflate.c"
#undef FUZZ_ENTRY
#undef CAP
#define FUZZ_ENTRY fuzz_gz_roundtrip_one
#include "../../fuzz/fuzz_gz_roundtrip.c"

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

int
main(int argc, char **argv)
{
	int a, b;

	if (argc != 3)
		return 2;
	a = replay(argv[1], fuzz_gz_inflate_one);
	b = replay(argv[2], fuzz_gz_roundtrip_one);
	printf("%s gz: fuzz regression inputs replay cleanly (%d inflate, %d round trip)\n",
	    a > 0 && b > 0 ? "PASS" : "FAIL", a, b);
	return !(a > 0 && b > 0);
}
