/*
 * yaml_events: the peer for bench_yaml.sh.  Reads each file whole, as
 * hookctl does, and runs libyaml's event parser over it to the stream end;
 * nothing is built.  Prints the number of events.  Exit 1 on a parse error.
 */
#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

int main(int argc, char **argv)
{
	unsigned long events = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		long n;
		unsigned char *b;
		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
			return 1;
		rewind(f);
		b = malloc(n ? (size_t)n : 1);
		if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
			return 1;
		fclose(f);
		yaml_parser_t p;
		yaml_event_t e;
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, b, (size_t)n);
		for (;;) {
			if (!yaml_parser_parse(&p, &e)) {
				fprintf(stderr, "%s: %s\n", argv[i], p.problem);
				return 1;
			}
			events++;
			int end = e.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&e);
			if (end)
				break;
		}
		yaml_parser_delete(&p);
		free(b);
	}
	printf("%lu events\n", events);
	return 0;
}
