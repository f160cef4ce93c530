/*
 * hookctl: run Helm chart hooks, and the releases around them, from
 * rendered manifests, without Helm.  See README.md and docs/.
 *
 * This file is the CLI: flags, reading the input files, printing, exit
 * codes.  It is the only unit that prints or exits; the others return
 * errors.  Exit codes (README.md "Exit codes"):
 *	0 success, 1 failed in the cluster, 2 usage or invalid input (nothing
 *	sent), 3 cannot connect or authenticate, 4 timed out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"
#include "exec.h"
#include "hookctl.h"
#include "json_min.h"
#include "k8s_min.h"
#include "plan.h"
#include "yaml_min.h"

#ifndef HOOKCTL_VERSION
#define HOOKCTL_VERSION "dev"
#endif
#ifndef HOOKCTL_COMMIT
#define HOOKCTL_COMMIT "unknown"
#endif
#ifndef HOOKCTL_DEPS
#define HOOKCTL_DEPS "unknown"
#endif
#ifndef HOOKCTL_LINK
#define HOOKCTL_LINK "unknown"
#endif

/* ============================== messages ============================== */

static const char *argv0 = "hookctl";

static void vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;

	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
	if (fmt[0] && fmt[strlen(fmt) - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void
hk_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
hk_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

void *
hk_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		hk_die(HK_EXIT_FAILED, "out of memory (%zu bytes)", n);
	return p;
}

void *
hk_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		hk_die(HK_EXIT_FAILED, "out of memory (%zu bytes)", n);
	return p;
}

char *
hk_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(hk_alloc(n), s, n);
}

/* Flushes stdout and turns a failed write (full disk, closed pipe) into an error. */
static int
finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		hk_warn("<stdout>: write error");
		return code ? code : HK_EXIT_FAILED;
	}
	return code;
}

/* ============================== input ============================== */

static int
has_manifest_suffix(const char *name)
{
	static const char *const suffixes[] = { ".yaml", ".yml", ".json" };
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t m = strlen(suffixes[i]);
		if (n > m && strcmp(name + n - m, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

static void
add_input(hk_inputs *in, const char *path, char *buf, size_t len)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 8;
		in->v = hk_realloc(in->v, in->cap * sizeof in->v[0]);
	}
	in->v[in->n].path = hk_strdup(path);
	in->v[in->n].buf = buf;
	in->v[in->n].len = len;
	in->v[in->n].read = 0;
	in->n++;
}

/*
 * Reads all of fd into *buf, which holds *cap bytes and grows as needed
 * (the caller's, so that one buffer can serve many files); size is what
 * fstat said, a first guess.  Refuses more than YM_MAX_INPUT bytes rather
 * than cutting.  Returns the length.
 */
static size_t
read_fd(int fd, const char *path, size_t size, char **buf, size_t *cap)
{
	size_t n = 0;
	ssize_t r;

	/* grown in place (mremap keeps the pages already touched): a fresh
	   buffer is fresh pages, whose faults cost more than the copy into
	   them, and json reads files of growing sizes into one buffer */
	if (size < YM_MAX_INPUT && size + 1 > *cap) {
		*cap = size + 1;
		*buf = hk_realloc(*buf, *cap);
	}
	if (*buf == NULL) {
		*cap = 1 << 16;
		*buf = hk_alloc(*cap);
	}
	for (;;) {
		if (n == *cap) {
			if (*cap > YM_MAX_INPUT)
				hk_die(HK_EXIT_USAGE, "%s: larger than %zu bytes", path,
				    (size_t)YM_MAX_INPUT);
			*cap *= 2;
			*buf = hk_realloc(*buf, *cap);
		}
		r = read(fd, *buf + n, *cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			hk_die(HK_EXIT_USAGE, "%s: read error:", path);
		if (r == 0)
			return n;
		n += (size_t)r;
	}
}

/* The file at path, whole, into *buf (see read_fd).  Returns the length. */
static size_t
read_file(const char *path, char **buf, size_t *cap)
{
	struct stat st;
	size_t n;
	int fd;

	while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (fd < 0 || fstat(fd, &st) != 0)
		hk_die(HK_EXIT_USAGE, "%s:", path);
	n = read_fd(fd, path, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, buf, cap);
	close(fd);
	return n;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_path(hk_inputs *in, const char *path, int depth, int top);

/* A directory: its manifests in byte-wise path order, subdirectories included. */
static void
load_dir(hk_inputs *in, const char *path, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (depth > 32)
		hk_die(HK_EXIT_USAGE, "%s: directories nested too deep", path);
	if ((d = opendir(path)) == NULL)
		hk_die(HK_EXIT_USAGE, "%s:", path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = hk_realloc(names, cap * sizeof *names);
		}
		names[n] = hk_alloc(strlen(path) + strlen(e->d_name) + 2);
		sprintf(names[n], "%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		load_path(in, names[i], depth + 1, 0);
		free(names[i]);
	}
	free(names);
}

/* Stdin is read at once (it cannot be read again); files only when asked. */
static void
load_path(hk_inputs *in, const char *path, int depth, int top)
{
	struct stat st;

	if (strcmp(path, "-") == 0 && top) {
		char *buf = NULL;
		size_t cap = 0, len = read_fd(0, "<stdin>", 0, &buf, &cap);

		add_input(in, "<stdin>", buf, len);
		in->v[in->n - 1].read = 1;
		return;
	}
	if (stat(path, &st) != 0)
		hk_die(HK_EXIT_USAGE, "%s:", path);
	if (S_ISDIR(st.st_mode)) {
		char chart[4096];
		struct stat cs;
		/* templates are not manifests: Go templates do not parse as YAML */
		snprintf(chart, sizeof chart, "%s/Chart.yaml", path);
		if (top && stat(chart, &cs) == 0)
			hk_die(HK_EXIT_USAGE, "%s is a Helm chart (it has Chart.yaml), not rendered "
			    "manifests: render it first, e.g. helm template RELEASE %s > "
			    "rendered.yaml, then -f rendered.yaml", path, path);
		load_dir(in, path, depth);
		return;
	}
	if (!top && (!S_ISREG(st.st_mode) || !has_manifest_suffix(path)))
		return;
	add_input(in, path, NULL, 0);
}

/* see hookctl.h */
void
hk_list_inputs(hk_inputs *in, char **paths, size_t npaths)
{
	size_t i;

	memset(in, 0, sizeof *in);
	for (i = 0; i < npaths; i++)
		load_path(in, paths[i], 0, 1);
}

void
hk_load_inputs(hk_inputs *in, char **paths, size_t npaths)
{
	size_t i, cap;

	hk_list_inputs(in, paths, npaths);
	for (i = 0; i < in->n; i++) {
		if (in->v[i].read)
			continue;
		cap = 0;
		in->v[i].len = read_file(in->v[i].path, &in->v[i].buf, &cap);
		in->v[i].read = 1;
	}
}

const char *
hk_read_input(hk_input *f, char **buf, size_t *cap)
{
	if (f->read)
		return f->buf;
	f->len = read_file(f->path, buf, cap);
	return *buf;
}

void
hk_free_inputs(hk_inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		free(in->v[i].path);
		free(in->v[i].buf);
	}
	free(in->v);
	memset(in, 0, sizeof *in);
}

/* ============================== flags ============================== */

enum {
	OPT_KUBECONFIG = 256, OPT_CONTEXT, OPT_TIMEOUT, OPT_DRY_RUN, OPT_NO_HOOKS,
	OPT_WAIT, OPT_LOGS, OPT_SKIP_UNKNOWN, OPT_STRICT, OPT_HELP, OPT_VERSION,
	OPT_INSECURE, OPT_FILTER, OPT_SHOW_SECRETS
};

static const struct option long_opts[] = {
	{ "filename", required_argument, NULL, 'f' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "kube-context", required_argument, NULL, OPT_CONTEXT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "no-hooks", no_argument, NULL, OPT_NO_HOOKS },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "logs", no_argument, NULL, OPT_LOGS },
	{ "skip-unknown-hooks", no_argument, NULL, OPT_SKIP_UNKNOWN },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* see hookctl.h */
int
hk_parse_duration(const char *s, int64_t *ms)
{
	/* Go's time.ParseDuration units, as Helm's --timeout takes them. */
	static const struct { const char *u; double ms; } units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "ms", 1 },
		{ "s", 1000 }, { "m", 60000 }, { "h", 3600000 }
	};
	double total = 0;
	int neg = 0, any = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v;
		size_t i, best = 0, bestlen = 0;
		int dots = 0;

		/* digits with at most one '.', as Go takes them: no sign, no exponent */
		end = (char *)s;
		while ((*end >= '0' && *end <= '9') || *end == '.')
			dots += *end++ == '.';
		if (end == s || dots > 1 || (end - s == 1 && *s == '.'))
			return -1;
		v = strtod(s, NULL);
		s = end;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].u);
			if (strncmp(s, units[i].u, l) == 0 && l > bestlen)
				best = i, bestlen = l;
		}
		if (bestlen == 0)
			return -1;
		total += v * units[best].ms;
		s += bestlen;
		any = 1;
	}
	if (!any || total > 9.2e15)
		return -1;
	*ms = (int64_t)(neg ? -total : total);
	return 0;
}

static const char *const commands_help =
"usage: hookctl COMMAND [flags]\n"
"\n"
"Offline (no cluster):\n"
"  plan OP -f PATH...     every phase of OP (install, upgrade, uninstall,\n"
"                         rollback, test) in run order\n"
"  lint -f PATH...        check manifests and hook annotations\n"
"  json -f PATH...        YAML to JSON, one document per line\n"
"  version                version, build and libraries\n"
"\n"
"In the cluster:\n"
"  run EVENT -f PATH...   the hooks of one event only\n"
"  install RELEASE -f PATH...\n"
"  upgrade RELEASE -f PATH...\n"
"  uninstall RELEASE -f PATH...\n"
"  rollback RELEASE -f PATH...\n"
"  test RELEASE -f PATH... [--filter name=NAME,!name=NAME]\n"
"\n"
"Flags: -f/--filename PATH (file, directory, or - for stdin; repeatable),\n"
"  -n/--namespace NS, --kubeconfig PATH, --kube-context NAME,\n"
"  --timeout DURATION (Go syntax: 5m, 90s; default 5m, per hook wait),\n"
"  --dry-run (Secret data shown as REDACTED unless --show-secrets), --no-hooks, --wait, --logs, --skip-unknown-hooks, --strict,\n"
"  --filter name=NAME|!name=NAME[,...] (test: which test hooks run, as\n"
"  helm test --filter; repeatable),\n"
"  -o text|json, -v (request log, never secrets), --help.\n"
"\n"
"Exit codes: 0 success, 1 failed in the cluster, 2 usage or invalid input\n"
"(nothing sent), 3 cannot connect or authenticate, 4 timed out.\n";

/* see hookctl.h */
void
hk_usage(const char *cmd_usage)
{
	if (cmd_usage)
		fprintf(stderr, "usage: hookctl %s\n", cmd_usage);
	else
		fputs(commands_help, stderr);
	exit(HK_EXIT_USAGE);
}

/*
 * Parses the flags shared by every command; positional arguments are left
 * in o->args.  Flags a command does not take are refused by the command.
 */
static void
parse_flags(hk_opts *o, int argc, char **argv, const char *usage, const char *flags,
    const char *more)
{
	int c;

	memset(o, 0, sizeof *o);
	o->timeout_ms = 5 * 60 * 1000;
	o->output = "text";
	o->usage = usage;
	o->files = hk_alloc((size_t)argc * sizeof *o->files);
	o->filters = hk_alloc((size_t)argc * sizeof *o->filters);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:n:o:vh", long_opts, NULL)) != -1) {
		/*
		 * "-n --dry-run" must not take --dry-run as the namespace (and
		 * run for real): a value that looks like a flag is refused.
		 * "-f -" is stdin.
		 */
		if (optarg != NULL && optarg[0] == '-' && !(c == 'f' && optarg[1] == '\0')) {
			hk_warn("%s expects a value, not the flag \"%s\"", argv[optind - 1] == optarg
			    ? argv[optind - 2] : argv[optind - 1], optarg);
			hk_usage(usage);
		}
		switch (c) {
		case 'f': o->files[o->nfiles++] = optarg; break;
		case 'n':
			if (pl_check_namespace(optarg) != NULL) {
				char q[256];
				pl_quote(optarg, q, sizeof q);
				hk_die(HK_EXIT_USAGE, "-n %s: expected %s", q,
				    pl_check_namespace(optarg));
			}
			o->ns = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				hk_die(HK_EXIT_USAGE, "-o %s: expected text or json", optarg);
			o->output = optarg;
			break;
		case 'v': o->verbose++; break;
		case OPT_KUBECONFIG: o->kubeconfig = optarg; break;
		case OPT_CONTEXT: o->context = optarg; break;
		case OPT_TIMEOUT:
			if (hk_parse_duration(optarg, &o->timeout_ms) != 0 || o->timeout_ms < 0)
				hk_die(HK_EXIT_USAGE, "--timeout %s: expected a duration such as 5m, 90s or 1h30m", optarg);
			break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_NO_HOOKS: o->no_hooks = 1; break;
		case OPT_WAIT: o->wait = 1; break;
		case OPT_LOGS: o->logs = 1; break;
		case OPT_SKIP_UNKNOWN: o->skip_unknown_hooks = 1; break;
		case OPT_STRICT: o->strict = 1; break;
		case OPT_INSECURE: o->insecure = 1; break;
		case OPT_SHOW_SECRETS: o->show_secrets = 1; break;
		case OPT_FILTER: o->filters[o->nfilters++] = optarg; break;
		case 'h':
		case OPT_HELP:
			fprintf(stdout, "usage: hookctl %s\n", usage);
			if (flags)
				fprintf(stdout, "\nFlags:\n%s%s", flags, more ? more : "");
			exit(finish(0));
		case '?':
		default:
			if (optopt)
				hk_warn("unknown flag -%c", optopt);
			else
				hk_warn("unknown flag %s", argv[optind - 1]);
			hk_usage(usage);
		}
	}
	o->args = argv + optind;
	o->nargs = (size_t)(argc - optind);
}

/* ============================== commands ============================== */

static int
cmd_version(hk_opts *o)
{
	if (strcmp(o->output, "json") == 0) {
		printf("{\"version\":\"%s\",\"commit\":\"%s\",\"build\":\"%s\","
		    "\"tls\":\"BearSSL\",\"libraries\":\"%s\",\"cjson\":\"%s\"}\n",
		    HOOKCTL_VERSION, HOOKCTL_COMMIT, HOOKCTL_LINK, HOOKCTL_DEPS,
		    cJSON_Version());
	} else {
		printf("hookctl %s (commit %s)\n", HOOKCTL_VERSION, HOOKCTL_COMMIT);
		printf("build: %s\n", HOOKCTL_LINK);
		printf("tls: BearSSL (TLS 1.2)\n");
		printf("libraries: %s (cJSON runtime %s)\n", HOOKCTL_DEPS, cJSON_Version());
	}
	return 0;
}

/* see hookctl.h */
void
hk_print_yaml_error(const char *path, const ym_error *e)
{
	fprintf(stderr, "%s:%u:%u: %s\n", path, e->mark.line, e->mark.col, e->msg);
}

static int
cmd_json(hk_opts *o)
{
	hk_inputs in;
	size_t i;
	int bad = 0;
	/* one output and one input buffer for all documents, grown as needed */
	jm_out out = { NULL, 0, 0, NULL };
	char *file = NULL;
	size_t filecap = 0;
	const char *text;
	ym_parser p;   /* and one parser, its scratch kept from file to file */

	if (o->nfiles == 0 || o->nargs != 0)
		hk_usage(o->usage);
	hk_list_inputs(&in, o->files, o->nfiles);
	jm_arena_begin();
	ym_init(&p, NULL, 0);
	for (i = 0; i < in.n; i++) {
		ym_doc doc;
		int r;

		text = hk_read_input(&in.v[i], &file, &filecap);
		ym_restart(&p, text, in.v[i].len);
		p.flags = YM_NO_MARKS;
		while ((r = ym_next(&p, &doc)) == 1) {
			out.n = 0;
			if (jm_write(&out, doc.root) != 0)
				hk_die(HK_EXIT_FAILED, "%s: a document's JSON is over 1 GB or nested "
				    "over %d deep, or out of memory", in.v[i].path, JM_MAX_DEPTH);
			fwrite(out.b, 1, out.n, stdout);
			/* what ym_doc_free would do node by node (no marks) */
			jm_arena_reset();
		}
		if (r < 0) {
			hk_print_yaml_error(in.v[i].path, &p.err);
			bad = 1;
			break;
		}
	}
	ym_end(&p);
	jm_arena_end();
	hk_free_inputs(&in);
	free(out.b);
	free(file);
	return bad ? HK_EXIT_USAGE : 0;
}

/* What COMMAND --help adds to the usage line. */
static const char cluster_flags[] =
"  -f PATH          file, directory or - (stdin); repeatable\n"
"  -n NS            release namespace (else the context's)\n"
"  --kubeconfig P, --kube-context NAME\n"
"  --timeout D      per wait, as 5m, 90s (default 5m)\n"
"  --dry-run        print each request, send none\n"
"  --show-secrets   --dry-run shows Secret values\n"
"  --skip-unknown-hooks, --insecure-skip-tls-verify\n"
"  -o text|json     json: an event a line (docs/events.md)\n"
"  -v               log each request (never a secret)\n";
static const char release_flags[] =
"  --wait           resources ready before post hooks\n"
"  --no-hooks       run no hook\n";
static const char test_flags[] =
"  --logs           the test pods' logs\n"
"  --filter [!]name=N[,...]  which test hooks run\n";
static const char offline_flags[] =
"  -f PATH          file, directory or - (stdin); repeatable\n"
"  --skip-unknown-hooks, --strict (lint: warnings fail)\n"
"  -o text|json\n";

static const struct {
	const char *name;
	int (*fn)(hk_opts *);
	const char *usage;
	const char *flags, *more;
} commands[] = {
	{ "plan", hk_cmd_plan, "plan install|upgrade|uninstall|rollback|test -f PATH... [-o text|json] [--skip-unknown-hooks] [--filter F (test)]", offline_flags, NULL },
	{ "lint", hk_cmd_lint, "lint -f PATH... [--strict] [--skip-unknown-hooks]", offline_flags, NULL },
	{ "json", cmd_json, "json -f PATH...", NULL, NULL },
	{ "run", hk_cmd_run, "run EVENT -f PATH... [-n NS] [flags]", cluster_flags, NULL },
	{ "install", hk_cmd_install, "install RELEASE -f PATH... [-n NS] [--wait] [--no-hooks] [--timeout D] [--dry-run] [flags]", cluster_flags, release_flags },
	{ "upgrade", hk_cmd_upgrade, "upgrade RELEASE -f PATH... [-n NS] [--wait] [--no-hooks] [--timeout D] [--dry-run] [flags]", cluster_flags, release_flags },
	{ "uninstall", hk_cmd_uninstall, "uninstall RELEASE -f PATH... [-n NS] [--no-hooks] [--timeout D] [--dry-run] [flags]", cluster_flags, release_flags },
	{ "rollback", hk_cmd_rollback, "rollback RELEASE -f PATH... [-n NS] [--no-hooks] [--timeout D] [--dry-run] [flags]", cluster_flags, release_flags },
	{ "test", hk_cmd_test, "test RELEASE -f PATH... [-n NS] [--logs] [--filter name=NAME|!name=NAME[,...]]... [--timeout D] [flags]", cluster_flags, test_flags },
	{ "version", cmd_version, "version [-o text|json]", NULL, NULL },
};

int
main(int argc, char **argv)
{
	hk_opts o;
	size_t i;
	const char *cmd;
	int code;

	if (argc < 2)
		hk_usage(NULL);
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(commands_help, stdout);
		return finish(0);
	}
	if (strcmp(cmd, "--version") == 0)
		cmd = "version";
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		argv0 = "hookctl";
		parse_flags(&o, argc - 1, argv + 1, commands[i].usage, commands[i].flags,
		    commands[i].more);
		code = commands[i].fn(&o);
		free(o.files);
		free(o.filters);
		return finish(code);
	}
	hk_warn("unknown command %s", cmd);
	hk_usage(NULL);
	return HK_EXIT_USAGE;
}

/* ====================== plan and lint (issue 4) ====================== */

/* see hookctl.h */
void
hk_print_diag(FILE *f, const pl_diag *d)
{
	const char *sev = d->severity == PL_ERROR ? "error" : "warning";

	if (d->file[0] == '\0')
		fprintf(f, "hookctl: %s: %s\n", sev, d->msg);
	else if (d->line)
		fprintf(f, "%s:%u:%u: %s: %s%s%s\n", d->file, d->line, d->col, sev,
		    d->source ? d->source : "", d->source ? ": " : "", d->msg);
	else
		fprintf(f, "%s: %s: %s%s%s\n", d->file, sev,
		    d->source ? d->source : "", d->source ? ": " : "", d->msg);
}

/* see hookctl.h */
cJSON *
hk_diag_event(const pl_diag *d)
{
	cJSON *ev = cJSON_CreateObject();

	if (ev == NULL)
		return NULL;
	cJSON_AddStringToObject(ev, "event", "diagnostic");
	cJSON_AddStringToObject(ev, "severity", d->severity == PL_ERROR ? "error" : "warning");
	if (d->file[0]) {
		cJSON_AddStringToObject(ev, "file", d->file);
		if (d->line) {
			cJSON_AddNumberToObject(ev, "line", d->line);
			cJSON_AddNumberToObject(ev, "col", d->col);
		}
	}
	if (d->source)
		cJSON_AddStringToObject(ev, "source", d->source);
	cJSON_AddStringToObject(ev, "message", d->msg);
	return ev;
}

/* see hookctl.h */
void
hk_emit(cJSON *ev)
{
	char *j = ev ? jm_print(ev) : NULL;

	if (j != NULL) {
		fputs(j, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(j);
	}
	cJSON_Delete(ev);
}

/* Loads -f inputs and builds the plan; the inputs are freed before return. */
static int
build_plan(hk_opts *o, pl_plan *p, int op, int event, unsigned flags,
    const pl_filter *filter)
{
	hk_inputs in;
	pl_input *v;
	pl_config cfg;
	size_t i;
	int r;

	hk_load_inputs(&in, o->files, o->nfiles);
	v = hk_alloc(in.n * sizeof *v);
	for (i = 0; i < in.n; i++) {
		v[i].path = in.v[i].path;
		v[i].buf = in.v[i].buf;
		v[i].len = in.v[i].len;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.op = op;
	cfg.event = event;
	cfg.flags = flags | (o->skip_unknown_hooks ? PL_SKIP_UNKNOWN_HOOKS : 0);
	cfg.filter = filter;
	r = pl_build(p, v, in.n, &cfg);
	free(v);
	hk_free_inputs(&in);
	if (p->oom)
		hk_die(HK_EXIT_FAILED, "out of memory");
	return r;
}

static void
refuse_cluster_flags(hk_opts *o)
{
	if (o->ns || o->kubeconfig || o->context || o->dry_run || o->no_hooks ||
	    o->wait || o->logs || o->insecure) {
		hk_warn("%s: offline, takes no cluster flags", o->usage);
		hk_usage(o->usage);
	}
}

static void
print_list(const pl_list *l, const char *none)
{
	size_t i;

	if (l->n == 0)
		fputs(none, stdout);
	for (i = 0; i < l->n; i++)
		printf("%s%s", i ? "," : "", l->v[i][0] ? l->v[i] : "\"\"");
}

static void
print_plan_text(const pl_plan *p)
{
	size_t i, j, k, nhooks = 0;

	/* the hooks this operation runs (a hook of two of its events counts once) */
	for (k = 0; k < p->nhooks; k++) {
		int runs = 0;
		for (i = 0; i < p->nphases && !runs; i++)
			for (j = 0; j < p->phases[i].nsteps && !runs; j++)
				runs = p->phases[i].steps[j] == p->hooks[k];
		nhooks += (size_t)runs;
	}
	printf("plan %s: %zu hook%s", pl_op_name(p->cfg.op), nhooks, nhooks == 1 ? "" : "s");
	if (p->cfg.op != PL_OP_TEST && p->cfg.op != PL_OP_RUN)
		printf(", %zu resource%s", p->nresources, p->nresources == 1 ? "" : "s");
	putchar('\n');
	for (i = 0; i < p->nphases; i++) {
		const pl_phase *ph = &p->phases[i];
		int res = ph->event == PL_EV_RESOURCES, un = p->cfg.op == PL_OP_UNINSTALL;
		int ww = 1, nw = 1;

		printf("\n%d. %s: ", (int)i + 1, ph->name);
		if (ph->nsteps == 0)
			printf("nothing\n");
		else if (res)
			printf("%zu to %s, in %s\n", ph->nsteps, un ? "delete" : "apply",
			    un ? "UninstallOrder" : "InstallOrder");
		else
			printf("%zu hook%s, in run order\n", ph->nsteps, ph->nsteps == 1 ? "" : "s");
		for (j = 0; j < ph->nsteps; j++) {
			const pl_object *s = ph->steps[j];
			int w = snprintf(NULL, 0, "%lld", (long long)s->weight);
			int n = snprintf(NULL, 0, "%s/%s%s%s", s->kind, s->name,
			    s->ns ? " -n " : "", s->ns ? s->ns : "");

			if (w > ww)
				ww = w;
			if (n > nw)
				nw = n;
		}
		for (j = 0; j < ph->nsteps; j++) {
			const pl_object *s = ph->steps[j];
			char id[1024];

			snprintf(id, sizeof id, "%s/%s%s%s", s->kind[0] ? s->kind : "(no kind)",
			    s->name, s->ns ? " -n " : "", s->ns ? s->ns : "");
			if (res) {
				const char *act = !un ? "" : s->policy == PL_POLICY_KEEP ? "keep    " :
				    s->policy == PL_POLICY_OTHER ? "leave   " : "delete  ";
				printf("   %s%-*s  %s\n", act, nw, id, s->source);
				continue;
			}
			printf("   %*lld  %-*s  %s\n", ww, (long long)s->weight, nw, id, s->source);
			printf("   %*s  delete: ", ww, "");
			print_list(&s->delete_effective, "never (CRD hook)");
			printf("; wait: %s", s->wait == PL_WAIT_COMPLETE ? "Job complete" :
			    s->wait == PL_WAIT_SUCCEEDED ? "Pod succeeded" : "none");
			if (s->log_policies.n) {
				printf("; logs: ");
				print_list(&s->log_policies, "");
			}
			putchar('\n');
		}
	}
	if (p->cfg.filter) {
		printf("\nleft out by --filter: ");
		if (p->nfiltered == 0)
			printf("nothing");
		for (j = 0; j < p->nfiltered; j++)
			printf("%s%s/%s", j ? ", " : "", p->filtered[j]->kind, p->filtered[j]->name);
		putchar('\n');
	}
}

int
hk_cmd_plan(hk_opts *o)
{
	pl_filter filter;
	pl_plan p;
	size_t i;
	int op, r;

	if (o->nargs != 1 || o->nfiles == 0)
		hk_usage(o->usage);
	refuse_cluster_flags(o);
	if ((op = pl_op_parse(o->args[0])) < 0) {
		hk_warn("plan %s: expected install, upgrade, uninstall, rollback or test",
		    o->args[0]);
		hk_usage(o->usage);
	}
	memset(&filter, 0, sizeof filter);
	if (o->nfilters && op != PL_OP_TEST)
		hk_die(HK_EXIT_USAGE, "--filter: only for test (plan test)");
	for (i = 0; i < o->nfilters; i++) {
		char why[300];
		if (pl_filter_parse(&filter, o->filters[i], why, sizeof why) != 0)
			hk_die(HK_EXIT_USAGE, "--filter %s: %s", o->filters[i], why);
	}
	/* no cJSON memory outlives a document in pl_build without PL_KEEP_BODIES */
	jm_arena_begin();
	r = build_plan(o, &p, op, 0, 0, o->nfilters ? &filter : NULL);
	jm_arena_end();
	pl_filter_free(&filter);
	fflush(stdout);
	for (i = 0; i < p.ndiags; i++)
		hk_print_diag(stderr, &p.diags[i]);
	if (r != 0) {
		fprintf(stderr, "hookctl: plan: %zu error%s, nothing planned\n", p.nerrors,
		    p.nerrors == 1 ? "" : "s");
		pl_free(&p);
		return HK_EXIT_USAGE;
	}
	if (strcmp(o->output, "json") == 0) {
		cJSON *j = pl_to_json(&p);
		char *s = j ? jm_print(j) : NULL;

		if (s == NULL)
			hk_die(HK_EXIT_FAILED, "out of memory");
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else {
		print_plan_text(&p);
	}
	pl_free(&p);
	return 0;
}

int
hk_cmd_lint(hk_opts *o)
{
	pl_plan p;
	size_t i;
	int code;

	if (o->nargs != 0 || o->nfiles == 0)
		hk_usage(o->usage);
	refuse_cluster_flags(o);
	if (o->nfilters)
		hk_die(HK_EXIT_USAGE, "--filter: only for test (plan test)");
	build_plan(o, &p, PL_OP_INSTALL, 0, 0, NULL);
	code = p.nerrors ? HK_EXIT_USAGE : (p.nwarnings && o->strict) ? 1 : 0;
	if (strcmp(o->output, "json") == 0) {
		cJSON *ev;
		for (i = 0; i < p.ndiags; i++)
			hk_emit(hk_diag_event(&p.diags[i]));
		if ((ev = cJSON_CreateObject()) != NULL) {
			cJSON_AddStringToObject(ev, "event", "summary");
			cJSON_AddStringToObject(ev, "operation", "lint");
			cJSON_AddBoolToObject(ev, "ok", code == 0);
			cJSON_AddNumberToObject(ev, "exit", code);
			cJSON_AddNumberToObject(ev, "errors", (double)p.nerrors);
			cJSON_AddNumberToObject(ev, "warnings", (double)p.nwarnings);
		}
		hk_emit(ev);
	} else {
		for (i = 0; i < p.ndiags; i++)
			hk_print_diag(stdout, &p.diags[i]);
	}
	pl_free(&p);
	return code;
}

/* ====================== the cluster commands ====================== */

/*
 * What a cluster command keeps while the executor runs: the options, the
 * renderer's state (an open progress line on a tty), and the logs already
 * shown (-o json shows a pod's whole log once).
 */
typedef struct {
	const ex_options *eo;
	k8s_client *c;
	int json, dry, tty;
	int open;                /* a progress line is open on a tty */
	int multi_ns;            /* step lines name their namespace */
	char line[600];          /* the open line's head */
	cJSON *logged;           /* -o json: "ns/pod/container" shown whole */
} run_view;

/* The only global state of the CLI beyond argv0: the signal that asked
 * the run to stop (ex_options.stop points here). */
static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static cJSON *
jevent(const char *type)
{
	cJSON *ev = cJSON_CreateObject();

	cJSON_AddStringToObject(ev, "event", type);
	return ev;
}

/* Kind, name and, for a namespaced kind, namespace. */
static void
add_ids(cJSON *ev, const pl_object *s, const char *ns)
{
	cJSON_AddStringToObject(ev, "kind", s->kind);
	cJSON_AddStringToObject(ev, "name", s->name);
	if (ns)
		cJSON_AddStringToObject(ev, "namespace", ns);
}

/* Closes an open progress line so that something else can be printed. */
static void
line_break(run_view *v)
{
	if (v->open) {
		fputc('\n', stdout);
		v->open = 0;
	}
}

static void
json_event(run_view *v, const ex_event *e)
{
	cJSON *ev = NULL;

	switch (e->type) {
	case EX_EV_START:
		ev = jevent("start");
		cJSON_AddStringToObject(ev, "operation", v->eo->op);
		if (v->eo->release)
			cJSON_AddStringToObject(ev, "release", v->eo->release);
		cJSON_AddStringToObject(ev, "namespace", v->eo->ns);
		cJSON_AddBoolToObject(ev, "dry_run", v->dry);
		break;
	case EX_EV_STEP:
		if (e->result == NULL)
			return;
		ev = jevent("step");
		cJSON_AddStringToObject(ev, "phase", e->phase);
		cJSON_AddNumberToObject(ev, "index", (double)e->index);
		cJSON_AddNumberToObject(ev, "total", (double)e->total);
		add_ids(ev, e->obj, e->ns);
		cJSON_AddStringToObject(ev, "result", e->result);
		cJSON_AddNumberToObject(ev, "seconds", (double)(int64_t)(e->seconds * 1000) / 1000.0);
		if (e->note)
			cJSON_AddStringToObject(ev, "detail", e->note);
		break;
	case EX_EV_WARNING:
		ev = jevent("warning");
		cJSON_AddStringToObject(ev, "message", e->text);
		break;
	case EX_EV_REQUEST:
		ev = jevent("request");
		cJSON_AddStringToObject(ev, "verb", e->verb);
		cJSON_AddStringToObject(ev, "path", e->path);
		if (e->query)
			cJSON_AddStringToObject(ev, "query", e->query);
		cJSON_AddStringToObject(ev, "why", e->text);
		if (e->body)
			cJSON_AddItemToObject(ev, "body", cJSON_Duplicate(e->body, 1));
		break;
	case EX_EV_DELETE:
		ev = jevent("delete");
		add_ids(ev, e->obj, e->ns);
		cJSON_AddStringToObject(ev, "policy", e->policy);
		break;
	case EX_EV_LOGS: {
		char key[600], *t;
		const cJSON *k;

		if (e->tail < 0) {
			/* a whole log once (test --logs and an output-log policy
			 * may both ask for it) */
			snprintf(key, sizeof key, "%s/%s/%s", e->ns, e->pod, e->container);
			cJSON_ArrayForEach(k, v->logged)
				if (strcmp(k->valuestring, key) == 0)
					return;
			if (v->logged == NULL)
				v->logged = cJSON_CreateArray();
			cJSON_AddItemToArray(v->logged, cJSON_CreateString(key));
		}
		if ((t = malloc(e->len + 1)) == NULL)
			return;
		memcpy(t, e->text, e->len);
		t[e->len] = 0;
		ev = jevent("logs");
		cJSON_AddStringToObject(ev, "pod", e->pod);
		cJSON_AddStringToObject(ev, "container", e->container);
		cJSON_AddStringToObject(ev, "namespace", e->ns);
		cJSON_AddStringToObject(ev, "text", t);
		free(t);
		break;
	}
	case EX_EV_TRACE:
		fflush(stdout);
		fprintf(stderr, "hookctl: %s\n", e->text);
		return;
	default:
		return;
	}
	hk_emit(ev);
}

static void
text_event(run_view *v, const ex_event *e)
{
	switch (e->type) {
	case EX_EV_START:
		v->multi_ns = e->multi_ns;
		if (v->dry)
			printf("%s%s%s: dry run, namespace %s: every request hookctl would send "
			    "(nothing is sent)\n", v->eo->op, v->eo->release ? " " : "",
			    v->eo->release ? v->eo->release : "", v->eo->ns);
		break;
	case EX_EV_STEP:
		if (e->result == NULL) {
			const char *ns = v->multi_ns ? e->ns : NULL;
			snprintf(v->line, sizeof v->line, "%s [%zu/%zu] %s/%s%s%s", e->phase,
			    e->index, e->total, e->obj->kind, e->obj->name, ns ? " -n " : "",
			    ns ? ns : "");
			if (v->dry) {
				printf("%s\n", v->line);
			} else if (v->tty) {
				printf("%s ... ", v->line);
				v->open = 1;
			}
			break;
		}
		if (v->dry)
			break;
		if (!v->open)
			printf("%s ... ", v->line);
		printf("%s %.1fs%s%s%s\n", e->result, e->seconds, e->note ? " (" : "",
		    e->note ? e->note : "", e->note ? ")" : "");
		v->open = 0;
		break;
	case EX_EV_DETAIL:
		line_break(v);
		printf("    %s\n", e->text);
		break;
	case EX_EV_SAY:
		line_break(v);
		printf("%s\n", e->text);
		break;
	case EX_EV_WARNING:
		line_break(v);
		fflush(stdout);
		hk_warn("warning: %s", e->text);
		break;
	case EX_EV_REQUEST:
		line_break(v);
		printf("    %s %s%s%s  # %s\n", e->verb, e->path, e->query ? "?" : "",
		    e->query ? e->query : "", e->text);
		if (e->body) {
			char *j = jm_print(e->body);
			if (j) {
				printf("      %s\n", j);
				free(j);
			}
		}
		break;
	case EX_EV_DELETE:
		if (!v->dry) {
			line_break(v);
			printf("    deleted %s/%s (%s)\n", e->obj->kind, e->obj->name, e->policy);
		}
		break;
	case EX_EV_LOGS:
		line_break(v);
		if (e->helm_header)
			printf("POD LOGS: %s (%s)\n", e->pod, e->container);
		else if (e->tail >= 0)
			printf("    --- pod %s, container %s: last %ld lines ---\n", e->pod,
			    e->container, e->tail);
		else
			printf("    --- pod %s, container %s ---\n", e->pod, e->container);
		if (e->helm_header) {
			fwrite(e->text, 1, e->len, stdout);
			if (e->len && e->text[e->len - 1] != '\n')
				fputc('\n', stdout);
		} else {
			size_t i = 0, j;
			while (i < e->len) {
				for (j = i; j < e->len && e->text[j] != '\n'; j++)
					;
				printf("    | %.*s\n", (int)(j - i), e->text + i);
				i = j + 1;
			}
			if (e->len == 0)
				printf("    | (empty)\n");
		}
		break;
	case EX_EV_TRACE:
		line_break(v);
		fflush(stdout);
		fprintf(stderr, "hookctl: %s\n", e->text);
		break;
	}
	fflush(stdout);
}

/* The executor's sink: text or -o json. */
static void
render(void *arg, const ex_event *e)
{
	run_view *v = arg;

	if (v->json)
		json_event(v, e);
	else
		text_event(v, e);
}

/* -v: one line per request on stderr. */
static void
log_request(void *arg, const char *verb, const char *path, int status, long ms)
{
	run_view *v = arg;

	if (!v->json)
		line_break(v);
	fflush(stdout);
	fprintf(stderr, "hookctl: %s %s -> %d (%ld ms)\n", verb, path, status, ms);
}

/* "Kind/name (detail[suffix]), ..." of a summary list, text. */
static void
items_text(const ex_items *l, const char *suffix, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < l->n && n + 8 < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s/%s (", i ? ", " : "", l->v[i].obj->kind,
		    l->v[i].obj->name);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
		w = snprintf(buf + n, cap - n, "%s%s", l->v[i].detail, suffix);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
		if (n + 1 < cap)
			buf[n++] = ')', buf[n] = 0;
	}
}

/* A summary list, -o json: [{"kind", "name", ["namespace"], key: detail}]. */
static cJSON *
items_json(const ex_items *l, const char *key)
{
	cJSON *a = cJSON_CreateArray(), *o;
	size_t i;

	for (i = 0; a && i < l->n; i++)
		if ((o = cJSON_CreateObject()) != NULL) {
			add_ids(o, l->v[i].obj, l->v[i].ns);
			if (key)
				cJSON_AddStringToObject(o, key, l->v[i].detail);
			cJSON_AddItemToArray(a, o);
		}
	return a;
}

/* The run's summary: the last lines of the text output, or the last event. */
static void
summary(run_view *v, const pl_plan *p, const ex_result *res, int code)
{
	static const char *const states[] = { "todo", "done", "failed", "skipped" };
	char done[4096], notdone[4096], filtered[4096], list[4096];
	size_t pi, i;

	line_break(v);
	done[0] = notdone[0] = filtered[0] = 0;
	if (v->json) {
		cJSON *ev = jevent("summary"), *dn = cJSON_CreateArray(), *nd = cJSON_CreateArray();

		for (pi = 0; pi < p->nphases; pi++) {
			const pl_phase *ph = &p->phases[pi];
			size_t ndone = 0;
			cJSON *o;
			for (i = 0; i < ph->nsteps; i++) {
				if (res->state[pi][i] == EX_ST_DONE) {
					ndone++;
					continue;
				}
				if ((o = cJSON_CreateObject()) == NULL)
					continue;
				cJSON_AddStringToObject(o, "phase", ph->name);
				add_ids(o, ph->steps[i], ex_shown_ns(v->c, v->eo->ns, ph->steps[i]));
				cJSON_AddStringToObject(o, "state", states[res->state[pi][i]]);
				cJSON_AddItemToArray(nd, o);
			}
			if (ph->nsteps && (o = cJSON_CreateObject()) != NULL) {
				cJSON_AddStringToObject(o, "phase", ph->name);
				cJSON_AddNumberToObject(o, "done", (double)ndone);
				cJSON_AddNumberToObject(o, "total", (double)ph->nsteps);
				cJSON_AddItemToArray(dn, o);
			}
		}
		cJSON_AddStringToObject(ev, "operation", v->eo->op);
		if (v->eo->release)
			cJSON_AddStringToObject(ev, "release", v->eo->release);
		cJSON_AddStringToObject(ev, "namespace", v->eo->ns);
		cJSON_AddBoolToObject(ev, "ok", code == 0);
		cJSON_AddNumberToObject(ev, "exit", code);
		cJSON_AddNumberToObject(ev, "seconds", (double)(int64_t)(res->seconds * 1000) / 1000.0);
		if (res->error[0])
			cJSON_AddStringToObject(ev, "error", res->error);
		cJSON_AddItemToObject(ev, "done", dn);
		cJSON_AddItemToObject(ev, "not_done", nd);
		cJSON_AddItemToObject(ev, "deleted", items_json(&res->deleted, "policy"));
		if (res->kept.n)
			cJSON_AddItemToObject(ev, "kept", items_json(&res->kept, NULL));
		if (res->not_owned.n)
			cJSON_AddItemToObject(ev, "not_owned", items_json(&res->not_owned, "why"));
		if (res->still_deleting.n)
			cJSON_AddItemToObject(ev, "still_deleting",
			    items_json(&res->still_deleting, "finalizers"));
		if (res->still_running.n)
			cJSON_AddItemToObject(ev, "still_running",
			    items_json(&res->still_running, "phase"));
		if (p->cfg.filter) {
			cJSON *fo = cJSON_AddArrayToObject(ev, "filtered_out");
			for (i = 0; fo && i < p->nfiltered; i++) {
				cJSON *o = cJSON_CreateObject();
				add_ids(o, p->filtered[i], ex_shown_ns(v->c, v->eo->ns, p->filtered[i]));
				cJSON_AddItemToArray(fo, o);
			}
		}
		hk_emit(ev);
		return;
	}
	for (i = 0; i < p->nfiltered; i++)
		snprintf(filtered + strlen(filtered), sizeof filtered - strlen(filtered), "%s%s/%s",
		    i ? ", " : "", p->filtered[i]->kind, p->filtered[i]->name);
	for (pi = 0; pi < p->nphases; pi++) {
		const pl_phase *ph = &p->phases[pi];
		size_t ndone = 0, n;
		for (i = 0; i < ph->nsteps; i++) {
			const pl_object *s = ph->steps[i];
			int st = res->state[pi][i];
			if (st == EX_ST_DONE) {
				ndone++;
				continue;
			}
			n = strlen(notdone);
			if (n + 8 < sizeof notdone)
				snprintf(notdone + n, sizeof notdone - n, "%s%s %s/%s%s", n ? ", " : "",
				    ph->name, s->kind, s->name, st == EX_ST_FAILED ? " (failed)" :
				    st == EX_ST_SKIPPED ? " (skipped)" : "");
		}
		n = strlen(done);
		if (ph->nsteps && n + 8 < sizeof done)
			snprintf(done + n, sizeof done - n, "%s%s %zu/%zu", n ? ", " : "", ph->name,
			    ndone, ph->nsteps);
	}
	if (code == 130 || code == 143)
		printf("%s%s%s: INTERRUPTED\n", v->eo->op, v->eo->release ? " " : "",
		    v->eo->release ? v->eo->release : "");
	else
		printf("%s%s%s: %s in %.1fs\n", v->eo->op, v->eo->release ? " " : "",
		    v->eo->release ? v->eo->release : "", v->dry ? "dry run done (nothing sent)" :
		    code == 0 ? "done" : "FAILED", res->seconds);
	if (code != 0 && res->error[0])
		printf("  error: %s\n", res->error);
	if (!v->dry) {
		printf("  done: %s\n", done[0] ? done : "nothing");
		if (notdone[0])
			printf("  not done: %s\n", notdone);
		items_text(&res->deleted, "", list, sizeof list);
		if (list[0])
			printf("  hooks deleted: %s\n", list);
		items_text(&res->not_owned, "", list, sizeof list);
		if (list[0])
			printf("  not deleted, not owned by this release: %s\n", list);
		items_text(&res->still_deleting, "", list, sizeof list);
		if (list[0])
			printf("  deleted but still there: %s\n", list);
		items_text(&res->still_running, " hook", list, sizeof list);
		if (list[0])
			printf("  still running in the cluster (not waited for, not deleted): %s\n",
			    list);
	}
	if (p->nfiltered)
		printf("  left out by --filter: %s\n", filtered);
	fflush(stdout);
}

/*
 * An error before the run's first event: on stderr, and with -o json as
 * an error event and a summary on stdout, so that a machine reading
 * stdout always gets a summary.
 */
static void early_error(int json, const char *op, const char *release, int code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
early_error(int json, const char *op, const char *release, int code, const char *fmt, ...)
{
	char msg[1100];
	va_list ap;
	cJSON *ev;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	hk_warn("%s", msg);
	if (!json)
		return;
	ev = jevent("error");
	cJSON_AddStringToObject(ev, "message", msg);
	hk_emit(ev);
	ev = jevent("summary");
	cJSON_AddStringToObject(ev, "operation", op);
	if (release)
		cJSON_AddStringToObject(ev, "release", release);
	cJSON_AddBoolToObject(ev, "ok", 0);
	cJSON_AddNumberToObject(ev, "exit", code);
	cJSON_AddStringToObject(ev, "error", msg);
	hk_emit(ev);
}

/* The exit code of a configuration or client error (k8s_err.cat). */
static int
exit_of_k8s(const k8s_err *e)
{
	switch (e->cat) {
	case K8S_OK: return HK_EXIT_OK;
	case K8S_ECONFIG: return HK_EXIT_USAGE;
	case K8S_ECONNECT: return HK_EXIT_CONNECT;
	case K8S_ETIMEOUT: return HK_EXIT_TIMEOUT;
	default: return HK_EXIT_FAILED;
	}
}

/* The exit code of a run's status. */
static int
exit_of_run(int status)
{
	switch (status) {
	case EX_R_OK: return HK_EXIT_OK;
	case EX_R_TIMEOUT: return HK_EXIT_TIMEOUT;
	case EX_R_CONNECT: return HK_EXIT_CONNECT;
	case EX_R_STOPPED: return stop_signal == SIGTERM ? 143 : 130;
	default: return HK_EXIT_FAILED;
	}
}

/*
 * A cluster command: every input read, planned and validated before
 * anything is sent; then the configuration, the client, the signals, and
 * the executor with a renderer as its sink.
 */
static int
run_op(hk_opts *o, const char *opname, int op, int event, const char *release)
{
	ex_options eo;
	ex_result res;
	run_view v;
	pl_filter filter;
	pl_plan plan;
	k8s_config cfg;
	k8s_opts ko;
	k8s_err err;
	k8s_client *c = NULL;
	struct sigaction sa;
	size_t i;
	int code, have_cfg = 0;

	memset(&filter, 0, sizeof filter);
	memset(&v, 0, sizeof v);
	memset(&eo, 0, sizeof eo);
	if (o->nfilters && op != PL_OP_TEST)
		hk_die(HK_EXIT_USAGE, "--filter: only for test (as helm test --filter)");
	for (i = 0; i < o->nfilters; i++) {
		char why[300];
		if (pl_filter_parse(&filter, o->filters[i], why, sizeof why) != 0)
			hk_die(HK_EXIT_USAGE, "--filter %s: %s", o->filters[i], why);
	}
	v.json = strcmp(o->output, "json") == 0;
	v.dry = o->dry_run;
	v.tty = isatty(1);
	v.eo = &eo;
	eo.op = opname;
	eo.release = release;
	eo.timeout_ms = o->timeout_ms;
	eo.stop = &stop_signal;
	eo.flags = (o->wait ? EX_WAIT : 0) | (o->no_hooks ? EX_NO_HOOKS : 0) |
	    (o->logs ? EX_LOGS : 0) | (o->dry_run ? EX_DRY_RUN : 0) |
	    (o->show_secrets ? EX_SHOW_SECRETS : 0) | (o->verbose ? EX_TRACE : 0);

	/* 1. Every input parsed, planned and validated: nothing sent before. */
	if (build_plan(o, &plan, op, event, PL_KEEP_BODIES, o->nfilters ? &filter : NULL) != 0 ||
	    plan.nerrors > 0) {
		for (i = 0; i < plan.ndiags; i++)
			if (v.json)
				hk_emit(hk_diag_event(&plan.diags[i]));
			else
				hk_print_diag(stderr, &plan.diags[i]);
		early_error(v.json, opname, release, HK_EXIT_USAGE, "%s: invalid input; nothing "
		    "was sent to the cluster", opname);
		pl_free(&plan);
		pl_filter_free(&filter);
		return HK_EXIT_USAGE;
	}
	for (i = 0; i < plan.ndiags; i++)
		if (v.json)
			hk_emit(hk_diag_event(&plan.diags[i]));
		else
			hk_print_diag(stderr, &plan.diags[i]);

	/* 2. The configuration and the client. */
	memset(&ko, 0, sizeof ko);
	memset(&err, 0, sizeof err);
	ko.kubeconfig = o->kubeconfig;
	ko.context = o->context;
	ko.namespace = o->ns;
	ko.insecure = o->insecure;
	if (k8s_config_load(&cfg, &ko, &err) == 0) {
		const char *why;
		have_cfg = 1;
		eo.ns = cfg.namespace;
		if ((why = pl_check_namespace(eo.ns)) != NULL) {
			char q[256];
			pl_quote(eo.ns, q, sizeof q);
			code = HK_EXIT_USAGE;
			early_error(v.json, opname, release, code, "namespace %s of context %s: "
			    "expected %s; nothing was sent", q, cfg.context, why);
			goto out;
		}
	} else if (o->dry_run) {
		eo.ns = o->ns ? o->ns : "default";
	} else {
		code = exit_of_k8s(&err);
		early_error(v.json, opname, release, code, "%s", err.msg);
		goto out;
	}
	if (!o->dry_run) {
		c = calloc(1, sizeof *c);
		if (c == NULL || k8s_client_init(c, &cfg, &err) != 0) {
			code = c ? exit_of_k8s(&err) : HK_EXIT_FAILED;
			early_error(v.json, opname, release, code, "%s", c ? err.msg : "out of memory");
			free(c);
			c = NULL;
			goto out;
		}
		if (o->verbose) {
			c->log = log_request;
			c->log_arg = &v;
		}
		c->stop = &stop_signal;
	}
	v.c = c;
	if (have_cfg && cfg.warning[0] && !o->dry_run) {
		ex_event w;
		memset(&w, 0, sizeof w);
		w.type = EX_EV_WARNING;
		w.text = cfg.warning;
		render(&v, &w);
	}

	/* 3. Signals end the run's waits (without SA_RESTART, so that a
	 *    blocked call returns), and the run says what it did. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* 4. The run. */
	ex_run(&plan, c, &eo, render, &v, &res);
	code = exit_of_run(res.status);
	if (!res.started)
		early_error(v.json, opname, release, code, "%s: %s", opname, res.error);
	else {
		summary(&v, &plan, &res, code);
		if (code != 0)
			hk_warn("%s%s%s failed: %s", opname, release ? " " : "",
			    release ? release : "", res.error[0] ? res.error : "see above");
	}
	ex_result_free(&res, &plan);
out:
	if (c) {
		k8s_client_close(c);
		free(c);
	}
	if (have_cfg)
		k8s_config_free(&cfg);
	cJSON_Delete(v.logged);
	pl_free(&plan);
	pl_filter_free(&filter);
	return code;
}

/* The release name (first argument) of a release command. */
static const char *
release_arg(hk_opts *o)
{
	const char *why;

	if (o->nargs != 1 || o->nfiles == 0)
		hk_usage(o->usage);
	if ((why = pl_check_release(o->args[0])) != NULL) {
		char q[256];
		pl_quote(o->args[0], q, sizeof q);
		hk_die(HK_EXIT_USAGE, "release %s: expected %s", q, why);
	}
	return o->args[0];
}

int
hk_cmd_run(hk_opts *o)
{
	int ev;

	if (o->nargs != 1 || o->nfiles == 0)
		hk_usage(o->usage);
	if ((ev = pl_event_parse(o->args[0])) < 0)
		hk_die(HK_EXIT_USAGE, "run %s: unknown event (expected pre-install, post-install, "
		    "pre-delete, post-delete, pre-upgrade, post-upgrade, pre-rollback, "
		    "post-rollback, test)", o->args[0]);
	return run_op(o, "run", PL_OP_RUN, ev, NULL);
}

int
hk_cmd_install(hk_opts *o)
{
	return run_op(o, "install", PL_OP_INSTALL, 0, release_arg(o));
}

int
hk_cmd_upgrade(hk_opts *o)
{
	return run_op(o, "upgrade", PL_OP_UPGRADE, 0, release_arg(o));
}

int
hk_cmd_uninstall(hk_opts *o)
{
	return run_op(o, "uninstall", PL_OP_UNINSTALL, 0, release_arg(o));
}

int
hk_cmd_rollback(hk_opts *o)
{
	return run_op(o, "rollback", PL_OP_ROLLBACK, 0, release_arg(o));
}

int
hk_cmd_test(hk_opts *o)
{
	return run_op(o, "test", PL_OP_TEST, 0, release_arg(o));
}
