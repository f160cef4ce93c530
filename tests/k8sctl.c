/*
 * k8sctl: a test driver for k8s_min (not shipped).  Exercises the client
 * from shell tests without the executor.
 *
 *   k8sctl [-v] [--kubeconfig F] [--context C] [-n NS] [--insecure]
 *          [--timeout SECONDS] COMMAND ARGS...
 *
 *   config                          print namespace, context, server
 *   get AV KIND NAME                print the object (JSON)
 *   create FILE                     POST the JSON object in FILE
 *   apply FILE [force]              server-side apply of the JSON in FILE
 *   delete AV KIND NAME [POLICY]    prints "deleted" or "notfound"
 *   list AV KIND [LABELSEL [FIELDSEL]]   prints one name per line
 *   watch AV KIND NAME N            prints "TYPE NAME" for N events
 *   wait AV KIND NAME PATH VALUE    watches until the field at the dotted
 *                                   PATH (status.succeeded) is VALUE
 *   getloop N MS AV KIND NAME       N gets, MS apart: "ok" or "error" each
 *   logs POD [CONTAINER [TAIL]]     prints the log
 *   raw VERB PATH                   any request, prints the answer
 *   resource AV KIND                prints "PATH NAMESPACED"
 *
 * Errors: "k8sctl: MESSAGE" on stderr, exit code as hookctl's: 130 or
 * 143 when SIGINT or SIGTERM stopped it (handlers without SA_RESTART,
 * as hookctl's).  --timeout 0: no deadline.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s_min.h"

static k8s_client cl;
static k8s_watch wt;
static char logbuf[1 << 20];
static volatile sig_atomic_t stop_sig;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
logfn(void *arg, const char *verb, const char *path, int status, long ms)
{
	fprintf(stderr, "%s %s %d %ldms\n", verb, path, status, ms);
}

/* The driver's exit code of an error: hookctl's (hookctl.c exit_of_k8s). */
static int
exit_code(const k8s_err *e)
{
	switch (e->cat) {
	case K8S_OK: return 0;
	case K8S_ECONFIG: return 2;
	case K8S_ECONNECT: return 3;
	case K8S_ETIMEOUT: return 4;
	case K8S_ESTOPPED: return 130;
	default: return 1;
	}
}

static int
die(const k8s_err *e)
{
	fprintf(stderr, "k8sctl: %s\n", e->msg);
	if (e->cat == K8S_ESTOPPED && stop_sig != 0)
		return 128 + stop_sig;
	return exit_code(e);
}

static cJSON *
load_json(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	return cJSON_ParseWithLength(buf, n);
}

static void
print(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* The value at a dotted path ("status.succeeded", "data.k") as text. */
static const char *
field(const cJSON *o, const char *path)
{
	static char n[64];
	char key[128];
	const char *p = path, *dot;
	const cJSON *v = o;

	while (v != NULL && *p) {
		dot = strchr(p, '.');
		snprintf(key, sizeof key, "%.*s", dot ? (int)(dot - p) : 127, p);
		v = cJSON_GetObjectItemCaseSensitive(v, key);
		p = dot ? dot + 1 : p + strlen(p);
	}
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		snprintf(n, sizeof n, "%d", v->valueint);
		return n;
	}
	return "";
}

int
main(int argc, char **argv)
{
	k8s_opts o = { 0 };
	static k8s_config cfg;
	k8s_err e = { 0 };
	cJSON *out = NULL;
	int i = 1, verbose = 0, r;
	double timeout = 30;
	const char *cmd;
	struct sigaction sa;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--insecure") == 0)
			o.insecure = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--kubeconfig") == 0)
			o.kubeconfig = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--context") == 0)
			o.context = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			o.namespace = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			timeout = atof(argv[++i]);
		else {
			fprintf(stderr, "k8sctl: unknown flag %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: k8sctl [flags] COMMAND ARGS...\n");
		return 2;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;
	if (k8s_config_load(&cfg, &o, &e) < 0)
		return die(&e);
	if (cfg.warning[0])
		fprintf(stderr, "%s\n", cfg.warning);
	k8s_client_init(&cl, &cfg, &e);
	if (verbose)
		cl.log = logfn;
	if (timeout > 0)
		k8s_set_deadline(&cl, k8s_now_ms() + (int64_t)(timeout * 1000));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cl.stop = &stop_sig;
	r = 0;
	if (strcmp(cmd, "config") == 0) {
		printf("namespace=%s\ncontext=%s\nserver=%s\n", cfg.namespace,
		    cfg.context, cfg.server);
	} else if (strcmp(cmd, "get") == 0 && argc == 3) {
		r = k8s_get(&cl, argv[0], argv[1], cfg.namespace, argv[2], &out,
		    &e);
		if (r == K8S_NOTFOUND) {
			printf("notfound\n");
			r = die(&e);
		} else if (r < 0)
			r = die(&e);
		else
			print(out);
	} else if ((strcmp(cmd, "create") == 0 || strcmp(cmd, "apply") == 0)
	    && argc >= 1) {
		cJSON *obj = load_json(argv[0]);
		if (obj == NULL) {
			fprintf(stderr, "k8sctl: %s: not JSON\n", argv[0]);
			return 2;
		}
		if (cmd[0] == 'c')
			r = k8s_create(&cl, obj, cfg.namespace, &out, &e);
		else
			r = k8s_apply(&cl, obj, cfg.namespace, argc > 1 &&
			    strcmp(argv[1], "force") == 0 ? K8S_APPLY_FORCE : 0, &out, &e);
		cJSON_Delete(obj);
		if (r < 0)
			r = die(&e);
		else
			print(out);
	} else if (strcmp(cmd, "delete") == 0 && argc >= 3) {
		r = k8s_delete(&cl, argv[0], argv[1], cfg.namespace, argv[2],
		    argc > 3 ? argv[3] : NULL, &e);
		if (r == K8S_NOTFOUND) {
			printf("notfound\n");
			r = 0;
		} else if (r < 0)
			r = die(&e);
		else
			printf("deleted\n");
	} else if (strcmp(cmd, "list") == 0 && argc >= 2) {
		cJSON *it;
		r = k8s_list(&cl, argv[0], argv[1], cfg.namespace,
		    argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL, &out,
		    &e);
		if (r < 0)
			r = die(&e);
		else
			cJSON_ArrayForEach(it, cJSON_GetObjectItem(out, "items"))
				printf("%s\n", cJSON_GetStringValue(
				    cJSON_GetObjectItem(cJSON_GetObjectItem(it,
				    "metadata"), "name")));
	} else if ((strcmp(cmd, "watch") == 0 && argc == 4)
	    || (strcmp(cmd, "wait") == 0 && argc == 5)) {
		int watch = strcmp(cmd, "watch") == 0;
		int n = watch ? atoi(argv[3]) : 1 << 30, got = 0;
		k8s_event ev;

		r = k8s_watch_open(&cl, &wt, argv[0], argv[1], cfg.namespace,
		    strcmp(argv[2], "-") ? argv[2] : NULL, NULL, NULL, &e);
		if (r < 0)
			return die(&e);
		while (got < n) {
			r = k8s_watch_next(&wt, 0, &ev, &e);
			if (r <= 0) {
				r = die(&e);
				break;
			}
			got++;
			if (watch)
				printf("%s %s\n", ev.type, cJSON_GetStringValue(
				    cJSON_GetObjectItem(cJSON_GetObjectItem(
				    ev.object, "metadata"), "name")));
			else if (strcmp(field(ev.object, argv[3]),
			    argv[4]) == 0) {
				printf("%s %s=%s\n", ev.type, argv[3], argv[4]);
				cJSON_Delete(ev.object);
				r = 0;
				break;
			}
			fflush(stdout);
			cJSON_Delete(ev.object);
			r = 0;
		}
		k8s_watch_close(&wt);
	} else if (strcmp(cmd, "getloop") == 0 && argc == 5) {
		int k, n = atoi(argv[0]);
		struct timespec ts = { atoi(argv[1]) / 1000,
		    (atoi(argv[1]) % 1000) * 1000000L };

		for (k = 0; k < n; k++) {
			if (k > 0)
				nanosleep(&ts, NULL);
			r = k8s_get(&cl, argv[2], argv[3], cfg.namespace,
			    argv[4], &out, &e);
			if (r == 0)
				printf("ok\n");
			else
				printf("error %d: %s\n", exit_code(&e),
				    e.msg);
			fflush(stdout);
			cJSON_Delete(out);
			out = NULL;
		}
		r = 0;
	} else if (strcmp(cmd, "logs") == 0 && argc >= 1) {
		size_t len;
		int trunc;
		r = k8s_logs(&cl, cfg.namespace, argv[0], argc > 1 &&
		    argv[1][0] ? argv[1] : NULL, argc > 2 ? atol(argv[2]) : -1,
		    logbuf, sizeof logbuf, &len, &trunc, &e);
		if (r < 0)
			r = die(&e);
		else
			fwrite(logbuf, 1, len, stdout);
	} else if (strcmp(cmd, "raw") == 0 && argc == 2) {
		r = k8s_request(&cl, argv[0], argv[1], NULL, NULL, 0, &out, &e);
		if (r < 0)
			r = die(&e);
		else
			print(out);
	} else if (strcmp(cmd, "resource") == 0 && argc == 2) {
		k8s_res res;
		r = k8s_resource(&cl, argv[0], argv[1], &res, &e);
		if (r < 0)
			r = die(&e);
		else
			printf("%s/%s %d\n", res.base, res.plural,
			    res.namespaced);
	} else {
		fprintf(stderr, "k8sctl: bad command or arguments\n");
		r = 2;
	}
	cJSON_Delete(out);
	k8s_client_close(&cl);
	k8s_config_free(&cfg);
	return r;
}
