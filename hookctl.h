/*
 * hookctl.h: the CLI's own declarations (hookctl.c): exit codes, the
 * flags, the inputs, messages and the commands.  The CLI is the only
 * part that prints, exits, reads argv or handles signals; every other
 * unit returns what happened (docs/architecture.md).
 */
#ifndef HOOKCTL_H
#define HOOKCTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cJSON.h"
#include "plan.h"
#include "yaml_min.h"

/* Exit codes, as documented in README.md. */
enum {
	HK_EXIT_OK = 0,
	HK_EXIT_FAILED = 1,   /* failed in the cluster: a hook failed, a call was refused */
	HK_EXIT_USAGE = 2,    /* usage error or invalid input; nothing was sent */
	HK_EXIT_CONNECT = 3,  /* cannot connect or authenticate */
	HK_EXIT_TIMEOUT = 4   /* timed out */
};

/* The flags every command shares (hookctl.c parses them). */
typedef struct {
	char **files;          /* -f, in order; points into argv */
	size_t nfiles;
	char **args;           /* positional arguments after the command */
	size_t nargs;
	const char *ns;        /* -n, or NULL */
	const char *kubeconfig, *context;
	int64_t timeout_ms;    /* --timeout, default 5m; 0 means none */
	const char *output;    /* "text" or "json" */
	const char *usage;     /* the command's usage line */
	int verbose, dry_run, no_hooks, wait, logs, skip_unknown_hooks, strict;
	int insecure;          /* --insecure-skip-tls-verify */
	int show_secrets;      /* --show-secrets: --dry-run prints Secret data */
	char **filters;        /* --filter values, in order (test, plan test); into argv */
	size_t nfilters;
} hk_opts;

/* The input files.  Owned by the hk_inputs; hk_free_inputs frees. */
typedef struct {
	char *path;            /* as given, "<stdin>" for -, or dir/name */
	char *buf;             /* when read: the whole file */
	size_t len;
	int read;              /* buf holds the file (stdin always) */
} hk_input;

typedef struct {
	hk_input *v;
	size_t n, cap;
} hk_inputs;

/*
 * Reads every -f PATH: a file, a directory (its *.yaml, *.yml and *.json
 * files and subdirectories in byte-wise path order) or - for stdin.
 * Dies with exit 2 on an unreadable path.
 */
void hk_load_inputs(hk_inputs *in, char **paths, size_t npaths);
void hk_free_inputs(hk_inputs *in);

/*
 * The same list without reading the files (stdin is read at once), for a
 * command that reads them one at a time: hk_read_input reads f into the
 * caller's buffer *buf of *cap bytes (grown as needed), sets f->len and
 * returns the text: *buf, or f->buf for an input already read.
 */
void hk_list_inputs(hk_inputs *in, char **paths, size_t npaths);
const char *hk_read_input(hk_input *f, char **buf, size_t *cap);

/* Go duration syntax ("5m", "90s", "1h30m", "0"); 0 on success, -1 if malformed. */
int hk_parse_duration(const char *s, int64_t *ms);

/* Messages: "hookctl: ..." on stderr; a trailing ':' appends strerror(errno). */
void hk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hk_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void hk_usage(const char *cmd_usage);   /* prints and exits 2 */
void hk_print_yaml_error(const char *path, const ym_error *e);

/* A planner diagnostic: "file:line:col: severity: [source: ]message" on
 * f, or as the -o json event {"event":"diagnostic",...} (caller frees). */
void hk_print_diag(FILE *f, const pl_diag *d);
cJSON *hk_diag_event(const pl_diag *d);
/* -o json: ev as one line on stdout, then frees it (NULL: nothing). */
void hk_emit(cJSON *ev);

/* Allocation that succeeds or exits: for the CLI layer only. */
void *hk_alloc(size_t n);
void *hk_realloc(void *p, size_t n);
char *hk_strdup(const char *s);

/* The commands; each returns the exit code. */
int hk_cmd_plan(hk_opts *o);       /* planner: offline */
int hk_cmd_lint(hk_opts *o);
int hk_cmd_run(hk_opts *o);        /* the cluster commands: exec.h's ex_run */
int hk_cmd_install(hk_opts *o);
int hk_cmd_upgrade(hk_opts *o);
int hk_cmd_uninstall(hk_opts *o);
int hk_cmd_rollback(hk_opts *o);
int hk_cmd_test(hk_opts *o);

#endif
