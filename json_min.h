/*
 * json_min: what `hookctl json` and `hookctl plan` need to turn many YAML
 * documents into JSON fast: an allocation arena for cJSON, and a writer of
 * compact JSON that is byte for byte cJSON_PrintUnformatted's output.
 *
 * The arena is the one global state of this unit (cJSON's allocation hooks
 * take no context).  While it is installed (jm_arena_begin), every cJSON
 * allocation comes from it, and the rule is: a caller that resets it
 * (jm_arena_reset) or ends it (jm_arena_end) holds no cJSON tree made since
 * then.  yaml_min keeps no cJSON memory from one ym_next to the next, and
 * the planner without PL_KEEP_BODIES keeps none after pl_add, so a command
 * that frees (or stops using) each document before the next one may reset
 * between documents.  Never install it around the executor, which keeps
 * trees across requests.
 */
#ifndef JSON_MIN_H
#define JSON_MIN_H

#include <stddef.h>

#include "cJSON.h"

#define JM_MAX_OUT   ((size_t)1 << 30)   /* bytes one jm_write may grow to */
#define JM_MAX_DEPTH 1000                /* nesting jm_write follows */

void jm_arena_begin(void);   /* cJSON allocates from the arena */
void jm_arena_reset(void);   /* every arena allocation dropped at once */
void jm_arena_end(void);     /* back to malloc; the arena's memory freed */

/* A growing output buffer, caller-owned: start zeroed, free(b) at the end. */
typedef struct {
	char *b;
	size_t n, cap;
	void *fail;              /* private */
} jm_out;

/*
 * Appends j as compact JSON and a newline to o.  0, or -1 (out of memory,
 * over JM_MAX_OUT, or nested deeper than JM_MAX_DEPTH) with o as before.
 */
int jm_write(jm_out *o, const cJSON *j);

/*
 * j as compact JSON in a new NUL-terminated string (caller frees), or
 * NULL: what cJSON_PrintUnformatted gives, without its printer (which
 * formats each number with sprintf and reads it back with sscanf, and
 * would link scanf into the binary for that alone).
 */
char *jm_print(const cJSON *j);

#endif
