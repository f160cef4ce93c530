/*
 * exec.c: the executor.  hookctl run / install / upgrade / uninstall /
 * rollback / test: builds the plan (plan.h, the same function as `hookctl
 * plan`), then carries it out against the cluster with k8s_min, as Helm 4
 * sequences it (../shared/spec/helm-hooks.md sections 3 and 4), with the
 * deliberate differences of docs/executor.md.
 *
 * One hook, as Helm 4's execHookWithDelayedShutdown:
 *	before-hook-creation: DELETE (background), then wait until gone (watch)
 *	create: server-side apply, field manager hookctl
 *	wait: watch from the applied resourceVersion (Job conditions, Pod
 *	      phase; other kinds are done once created); a DELETED event counts
 *	      as done, with a warning
 *	failure: logs, hook-failed delete, hook-succeeded delete of the
 *	      earlier hooks of the phase, nothing after it runs
 *	success of the phase: in reverse order, output logs per policy, then
 *	      hook-succeeded delete
 *
 * Nothing here prints or exits: what happens goes to the caller's sink
 * as events (exec.h), and the run's outcome into an ex_result.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "exec.h"
#include "k8s_min.h"
#include "plan.h"

#define PRINTF(a, b) __attribute__((format(printf, a, b)))



/* ============================== judgements ============================== */

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *
jobj(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* see exec.h */
int
ex_hook_state(int wait, const cJSON *obj, char *why, size_t cap)
{
	if (cap)
		why[0] = 0;
	if (wait == PL_WAIT_COMPLETE)
		return k8s_job_state(obj, why, cap);
	if (wait == PL_WAIT_SUCCEEDED)
		return k8s_pod_state(obj, why, cap);
	return EX_DONE;
}

/* see exec.h */
int
ex_owned(const cJSON *obj, const char *release, const char *ns, char *why, size_t cap)
{
	const cJSON *md = jobj(obj, "metadata");
	const char *by = jstr(jobj(md, "labels"), "app.kubernetes.io/managed-by");
	const char *rn = jstr(jobj(md, "annotations"), "meta.helm.sh/release-name");
	const char *rns = jstr(jobj(md, "annotations"), "meta.helm.sh/release-namespace");
	char label[200];

	if (cap)
		why[0] = 0;
	if (by && strcmp(by, "Helm") == 0 && rn && strcmp(rn, release) == 0 && rns &&
	    strcmp(rns, ns) == 0)
		return 1;
	if (by && strcmp(by, "Helm") == 0)
		label[0] = 0;
	else if (by)
		snprintf(label, sizeof label, "label app.kubernetes.io/managed-by is \"%s\", not Helm", by);
	else
		snprintf(label, sizeof label, "no label app.kubernetes.io/managed-by: Helm");
	if (rn && (strcmp(rn, release) != 0 || !rns || strcmp(rns, ns) != 0))
		snprintf(why, cap, "owned by release %s in namespace %s%s%s", rn, rns ? rns : "(not set)",
		    label[0] ? "; " : "", label);
	else if (rn)
		snprintf(why, cap, "annotated for this release, but its %s", label);
	else
		snprintf(why, cap, "no meta.helm.sh/release-name annotation: no Helm release owns it%s%s",
		    label[0] ? "; " : "", label);
	return 0;
}


/* ============================== the run ============================== */

/* Outcomes of one hook, resource or wait: a run's status (exec.h). */
enum {
	XR_OK = EX_R_OK,
	XR_FAILED = EX_R_FAILED,     /* the hook failed / the call was refused */
	XR_TIMEOUT = EX_R_TIMEOUT,
	XR_CONNECT = EX_R_CONNECT,   /* cannot connect or authenticate */
	XR_STOPPED = EX_R_STOPPED    /* a signal asked us to stop */
};

struct ex_ctx {
	const ex_options *o;
	const pl_plan *plan;
	k8s_client *c;           /* NULL when dry */
	ex_sink *sink;
	void *arg;
	ex_result *res;
	int dry;
	int64_t t0;
	int64_t line_t0;         /* when the current step began */
	int prefetched;          /* kinds resolved while a hook ran (prefetch_kinds) */
	struct timespec event_ts; /* -v: when a watch event finished a hook */
	char event_what[300];
};

typedef struct ex_ctx ex_ctx;
static void warn(ex_ctx *x, const char *fmt, ...) PRINTF(2, 3);
static void detail(ex_ctx *x, const char *fmt, ...) PRINTF(2, 3);
static void say(ex_ctx *x, const char *fmt, ...) PRINTF(2, 3);
static void append(char *list, size_t cap, const char *fmt, ...) PRINTF(3, 4);
static void fail_at(ex_ctx *x, const char *fmt, ...) PRINTF(2, 3);

static double
secs(int64_t from)
{
	return (double)(k8s_now_ms() - from) / 1000.0;
}

static int
stopped(const ex_ctx *x)
{
	return x->o->stop != NULL && *x->o->stop != 0;
}

/* An event of type t with nothing else in it yet. */
static ex_event
event(int t)
{
	ex_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = t;
	return ev;
}

/* A text event (WARNING, DETAIL, SAY). */
static void text_event(ex_ctx *x, int t, const char *fmt, va_list ap) PRINTF(3, 0);

static void
text_event(ex_ctx *x, int t, const char *fmt, va_list ap)
{
	char msg[1024];
	ex_event ev = event(t);

	vsnprintf(msg, sizeof msg, fmt, ap);
	ev.text = msg;
	ev.len = strlen(msg);
	x->sink(x->arg, &ev);
}

static void
warn(ex_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_event(x, EX_EV_WARNING, fmt, ap);
	va_end(ap);
}

/* Text: an indented detail line under the current step. */
static void
detail(ex_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_event(x, EX_EV_DETAIL, fmt, ap);
	va_end(ap);
}

/* Text: a line of its own. */
static void
say(ex_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_event(x, EX_EV_SAY, fmt, ap);
	va_end(ap);
}

/*
 * Every request and retry from now on within --timeout (as each hook's
 * wait is): set at each step, and again where a new wait starts.
 */
static void
bound(ex_ctx *x)
{
	if (x->c && x->o->timeout_ms)
		k8s_set_deadline(x->c, k8s_now_ms() + x->o->timeout_ms);
}

static const char *
obj_ns(const ex_ctx *x, const pl_object *s)
{
	return s->ns && *s->ns ? s->ns : x->o->ns;
}

/* see exec.h */
const char *
ex_shown_ns(k8s_client *c, const char *ns, const pl_object *s)
{
	k8s_res kr;
	k8s_err err;
	const char *own = s->ns && *s->ns ? s->ns : ns;

	if (c != NULL) {
		if (k8s_resource(c, s->api_version, s->kind, &kr, &err) == 0 && !kr.namespaced)
			return NULL;
		return own;
	}
	if (k8s_resource_guess(s->api_version, s->kind, &kr) == 0 && !kr.namespaced)
		return NULL;
	return own;
}

static const char *
shown_ns(const ex_ctx *x, const pl_object *s)
{
	return ex_shown_ns(x->c, x->o->ns, s);
}

/* s goes in one of the summary's lists, with what it says of it. */
static void
note(ex_ctx *x, ex_items *l, const pl_object *s, const char *what)
{
	ex_item *v = realloc(l->v, (l->n + 1) * sizeof *v);

	if (v == NULL)
		return;
	l->v = v;
	v[l->n].obj = s;
	v[l->n].ns = shown_ns(x, s);
	v[l->n].detail = strdup(what ? what : "");
	l->n++;
}

static void
step_begin(ex_ctx *x, const pl_phase *ph, size_t i, const pl_object *s)
{
	ex_event ev = event(EX_EV_STEP);

	x->line_t0 = k8s_now_ms();
	bound(x);
	ev.phase = ph->name;
	ev.index = i + 1;
	ev.total = ph->nsteps;
	ev.obj = s;
	ev.ns = shown_ns(x, s);
	x->sink(x->arg, &ev);
}

/* Ends the current step: its result, and a note said in parentheses. */
static void
step_end(ex_ctx *x, const pl_phase *ph, size_t i, const pl_object *s,
    const char *result, const char *note)
{
	ex_event ev = event(EX_EV_STEP);

	ev.phase = ph->name;
	ev.index = i + 1;
	ev.total = ph->nsteps;
	ev.obj = s;
	ev.ns = shown_ns(x, s);
	ev.result = result;
	ev.note = note && *note ? note : NULL;
	ev.seconds = secs(x->line_t0);
	x->sink(x->arg, &ev);
}

static void
append(char *list, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(list);
	va_list ap;

	if (n + 8 >= cap)
		return;
	if (n)
		n += (size_t)snprintf(list + n, cap - n, ", ");
	va_start(ap, fmt);
	vsnprintf(list + n, cap - n, fmt, ap);
	va_end(ap);
}

/* Says what failed, for the summary and the final message. */
static void
fail_at(ex_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->res->error, sizeof x->res->error, fmt, ap);
	va_end(ap);
}

/* The outcome of a k8s_min error. */
static int
r_of(const k8s_err *e)
{
	switch (e->cat) {
	case K8S_OK: return XR_OK;
	case K8S_ESTOPPED: return XR_STOPPED;
	case K8S_ECONNECT: return XR_CONNECT;
	case K8S_ETIMEOUT: return XR_TIMEOUT;
	default: return XR_FAILED;
	}
}

/*
 * -v: how long after the watch event that finished a hook hookctl sent its
 * next request (called just before each request the executor makes).
 */
static void
reacting(ex_ctx *x)
{
	struct timespec now;
	double us;
	char msg[400];
	ex_event ev = event(EX_EV_TRACE);

	if (!x->event_ts.tv_sec)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (double)(now.tv_sec - x->event_ts.tv_sec) * 1e6 +
	    (double)(now.tv_nsec - x->event_ts.tv_nsec) / 1e3;
	x->event_ts.tv_sec = 0;
	snprintf(msg, sizeof msg, "next request %.3f ms after the watch event that finished %s",
	    us / 1000, x->event_what);
	ev.text = msg;
	ev.len = strlen(msg);
	x->sink(x->arg, &ev);
}

/*
 * What --dry-run may show of a body: a core Secret's data and stringData
 * values become "REDACTED" (the keys stay, so the shape can be checked),
 * unless EX_SHOW_SECRETS.  NULL: show body as it is.  Caller frees.
 */
static cJSON *
redacted(const ex_ctx *x, const pl_object *s, const cJSON *body)
{
	static const char *const fields[] = { "data", "stringData" };
	cJSON *copy, *m, *v, *next;
	size_t i;

	if ((x->o->flags & EX_SHOW_SECRETS) || strcmp(s->kind, "Secret") != 0 ||
	    strcmp(s->api_version, "v1") != 0)
		return NULL;
	if ((copy = cJSON_Duplicate(body, 1)) == NULL)
		return NULL;
	for (i = 0; i < sizeof fields / sizeof *fields; i++) {
		m = cJSON_GetObjectItemCaseSensitive(copy, fields[i]);
		if (m == NULL)
			continue;
		if (!cJSON_IsObject(m)) {
			cJSON_ReplaceItemInObjectCaseSensitive(copy, fields[i],
			    cJSON_CreateString("REDACTED"));
			continue;
		}
		for (v = m->child; v != NULL; v = next) {
			next = v->next;
			if (v->string != NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(m, v->string,
				    cJSON_CreateString("REDACTED"));
		}
	}
	return copy;
}

/* --dry-run: the request, never sent. */
static void
dry(ex_ctx *x, const char *verb, const pl_object *s, int with_name,
    const char *query, const char *why, const cJSON *body)
{
	char path[1024];
	cJSON *hidden = body ? redacted(x, s, body) : NULL;
	ex_event ev = event(EX_EV_REQUEST);
	k8s_res kr;

	if (k8s_resource_guess(s->api_version, s->kind, &kr) != 0 ||
	    k8s_path(&kr, obj_ns(x, s), with_name ? s->name : NULL, path, sizeof path) != 0)
		snprintf(path, sizeof path, "(%s/%s)", s->kind, s->name);
	ev.verb = verb;
	ev.path = path;
	ev.query = query;
	ev.text = why;
	ev.obj = s;
	ev.body = hidden ? hidden : body;
	x->sink(x->arg, &ev);
	cJSON_Delete(hidden);
}

/* ---- watching ---- */

enum { W_DONE = 10, W_DELETED = 11 };

static int judge_never(const pl_object *s, const cJSON *obj, char *why, size_t cap);   /* apart from the XR_* codes */

/*
 * Watches one object from resourceVersion rv until judge says it is
 * finished (W_DONE, *res gets EX_DONE or EX_FAILED), it is deleted
 * (W_DELETED), the deadline passes (XR_TIMEOUT), a signal comes (XR_STOPPED)
 * or an error (err filled).  judge gets each new state of the object and
 * says whether it is finished.  Events are handled as soon as they arrive;
 * a signal ends the wait within a quarter of a second (k8s_client.stop).
 */
static int
watch_obj(ex_ctx *x, const pl_object *s, const char *rv, int64_t deadline,
    int (*judge)(const pl_object *, const cJSON *, char *, size_t), int *res,
    char *why, size_t cap, k8s_err *err)
{
	k8s_watch *w = calloc(1, sizeof *w);
	int rc = -1;

	if (w == NULL) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		err->cat = K8S_EPROTO;
		return -1;
	}
	reacting(x);
	if (k8s_watch_open(x->c, w, s->api_version, s->kind, obj_ns(x, s), s->name,
	    NULL, rv, err) != 0) {
		free(w);
		return stopped(x) ? XR_STOPPED : -1;
	}
	for (;;) {
		k8s_event ev;
		int r;

		if (stopped(x)) {
			rc = XR_STOPPED;
			break;
		}
		if (deadline && k8s_now_ms() >= deadline) {
			rc = XR_TIMEOUT;
			break;
		}
		memset(&ev, 0, sizeof ev);
		r = k8s_watch_next(w, deadline, &ev, err);
		if (r == 0 && deadline && k8s_now_ms() >= deadline) {
			rc = XR_TIMEOUT;
			break;
		}
		if (r == 0)
			continue;
		if (r < 0) {
			rc = stopped(x) ? XR_STOPPED : -1;
			break;
		}
		if (strcmp(ev.type, "DELETED") == 0) {
			cJSON_Delete(ev.object);
			rc = W_DELETED;
			break;
		}
		if (strcmp(ev.type, "ADDED") == 0 || strcmp(ev.type, "MODIFIED") == 0) {
			int j = judge(s, ev.object, why, cap);
			cJSON_Delete(ev.object);
			if (j != EX_PENDING && (x->o->flags & EX_TRACE) && judge != judge_never) {
				clock_gettime(CLOCK_MONOTONIC, &x->event_ts);
				snprintf(x->event_what, sizeof x->event_what, "%s/%s", s->kind, s->name);
			}
			if (j != EX_PENDING) {
				*res = j;
				rc = W_DONE;
				break;
			}
			continue;
		}
		cJSON_Delete(ev.object);   /* ERROR or unknown: the stream resumes */
	}
	k8s_watch_close(w);
	free(w);
	return rc;
}

static int
judge_hook(const pl_object *s, const cJSON *obj, char *why, size_t cap)
{
	return ex_hook_state(s->wait, obj, why, cap);
}

static int
judge_ready(const pl_object *s, const cJSON *obj, char *why, size_t cap)
{
	/* items of a list carry no kind or apiVersion: take the plan's */
	return k8s_ready_state(s->api_version, s->kind, obj, why, cap);
}

static const char *
rv_of(const cJSON *obj)
{
	return jstr(jobj(obj, "metadata"), "resourceVersion");
}

/* A judge that is never satisfied: waiting for a deletion. */
static int
judge_never(const pl_object *s, const cJSON *obj, char *why, size_t cap)
{
	(void)s;
	(void)obj;
	(void)why;
	(void)cap;
	return EX_PENDING;
}

/*
 * Deletes s (background propagation).  With wait, waits until it is gone:
 * the DELETE answer is a Status when the object went at once, else the
 * object (with deletionTimestamp) and we watch from its resourceVersion.
 * *existed says whether there was something to delete.
 */
/* "finalizers a, b" of obj into buf, or "no finalizers". */
static void
finalizers_of(const cJSON *obj, char *buf, size_t cap)
{
	const cJSON *f;
	char list[256];

	list[0] = 0;
	cJSON_ArrayForEach(f, jobj(jobj(obj, "metadata"), "finalizers"))
		if (cJSON_IsString(f))
			append(list, sizeof list, "%s", f->valuestring);
	snprintf(buf, cap, "%s%s", list[0] ? "finalizers " : "no finalizers", list);
}

/*
 * Sends the DELETE of s (background propagation).  *existed: there was
 * something to delete.  *rv: when the object is still there (it has a
 * deletionTimestamp: finalizers, graceful deletion), the resourceVersion
 * to watch its end from (caller frees), else NULL; fin (cap bytes): its
 * finalizers, for messages.
 */
static int
send_delete(ex_ctx *x, const pl_object *s, const char *why_dry, int *existed, char **rv,
    char *fin, size_t cap, k8s_err *err)
{
	k8s_res res;
	char path[1200];
	cJSON *out = NULL;

	*existed = 0;
	*rv = NULL;
	if (x->dry) {
		dry(x, "DELETE", s, 1, "propagationPolicy=Background", why_dry, NULL);
		*existed = 1;
		return XR_OK;
	}
	if (k8s_resource(x->c, s->api_version, s->kind, &res, err) != 0)
		return r_of(err);
	if (k8s_path(&res, obj_ns(x, s), s->name, path, sizeof path - 40) != 0) {
		snprintf(err->msg, sizeof err->msg, "path too long");
		err->cat = K8S_EAPI;
		return XR_FAILED;
	}
	strcat(path, "?propagationPolicy=Background");
	reacting(x);
	if (k8s_request(x->c, "DELETE", path, NULL, NULL, 0, &out, err) != 0) {
		if (err->http == 404)
			return XR_OK;
		return r_of(err);
	}
	*existed = 1;
	if (out && !(jstr(out, "kind") && strcmp(jstr(out, "kind"), "Status") == 0) &&
	    jobj(jobj(out, "metadata"), "deletionTimestamp") && rv_of(out)) {
		*rv = strdup(rv_of(out));
		finalizers_of(out, fin, cap);
	}
	cJSON_Delete(out);
	return XR_OK;
}

/* Watches s from rv until it is gone, or deadline. */
static int
await_gone(ex_ctx *x, const pl_object *s, const char *rv, int64_t deadline, const char *fin,
    k8s_err *err)
{
	char why[256];
	int r, dummy;

	r = watch_obj(x, s, rv, deadline, judge_never, &dummy, why, sizeof why, err);
	if (r == W_DELETED || r == W_DONE)
		return XR_OK;
	if (r < 0)
		return r_of(err);
	if (r == XR_TIMEOUT)
		snprintf(err->msg, sizeof err->msg, "%s/%s was still there after %.0fs (it is "
		    "being deleted; %s)", s->kind, s->name, (double)x->o->timeout_ms / 1000, fin);
	return r;
}

/* Deletes s and, with wait, waits until it is gone (--timeout). */
static int
delete_obj(ex_ctx *x, const pl_object *s, int wait, const char *why_dry, int *existed,
    k8s_err *err)
{
	char *rv = NULL, fin[300], w[200];
	int r;

	snprintf(w, sizeof w, "%s%s", why_dry, wait ? "; then watch until gone" : "");
	r = send_delete(x, s, w, existed, &rv, fin, sizeof fin, err);
	if (r == XR_OK && wait && rv)
		r = await_gone(x, s, rv, x->o->timeout_ms ? k8s_now_ms() + x->o->timeout_ms : 0,
		    fin, err);
	free(rv);
	return r;
}

/* Deletes a hook by one of its policies, with a line saying so. */
static int
delete_hook(ex_ctx *x, const pl_object *s, const char *policy)
{
	k8s_err err;
	int existed = 0, r;

	/* (a CRD hook is never here: the plan gives it no delete policy) */
	memset(&err, 0, sizeof err);
	bound(x);
	r = delete_obj(x, s, 0, policy, &existed, &err);
	if (r != XR_OK) {
		warn(x, "could not delete %s/%s (%s): %s", s->kind, s->name, policy, err.msg);
		return r;
	}
	if (!existed)
		return XR_OK;
	note(x, &x->res->deleted, s, policy);
	{
		ex_event ev = event(EX_EV_DELETE);
		ev.obj = s;
		ev.ns = shown_ns(x, s);
		ev.policy = policy;
		x->sink(x->arg, &ev);
	}
	return XR_OK;
}

/* ---- logs ---- */

#define LOG_CAP (256 * 1024)

/* The log of one container: tail lines (or all when tail < 0). */
static void
print_log(ex_ctx *x, const char *ns, const char *pod, const char *container,
    long tail, int helm_header)
{
	char *buf = malloc(LOG_CAP);
	size_t len = 0;
	int trunc = 0;
	k8s_err err;
	ex_event ev = event(EX_EV_LOGS);

	if (buf == NULL)
		return;
	memset(&err, 0, sizeof err);
	if (k8s_logs(x->c, ns, pod, container, tail, buf, LOG_CAP, &len, &trunc, &err) != 0) {
		warn(x, "no log for pod %s container %s: %s", pod, container, err.msg);
		free(buf);
		return;
	}
	ev.ns = ns;
	ev.pod = pod;
	ev.container = container;
	ev.text = buf;
	ev.len = len;
	ev.tail = tail;
	ev.helm_header = helm_header;
	x->sink(x->arg, &ev);
	free(buf);
}

/* The logs of every container of one pod object. */
static void
pod_logs(ex_ctx *x, const cJSON *pod, const char *ns, long tail, int helm_header,
    int with_init)
{
	const char *name = jstr(jobj(pod, "metadata"), "name");
	const cJSON *c;

	if (!name)
		return;
	if (with_init)
		cJSON_ArrayForEach(c, jobj(jobj(pod, "spec"), "initContainers"))
			if (jstr(c, "name"))
				print_log(x, ns, name, jstr(c, "name"), tail, helm_header);
	cJSON_ArrayForEach(c, jobj(jobj(pod, "spec"), "containers"))
		if (jstr(c, "name"))
			print_log(x, ns, name, jstr(c, "name"), tail, helm_header);
}

/*
 * The logs of a Job or Pod hook: Job pods by label job-name=NAME (as Helm),
 * a Pod by itself.  Other kinds have none.
 */
static void
hook_logs(ex_ctx *x, const pl_object *s, long tail, int helm_header, int with_init)
{
	k8s_err err;
	cJSON *list = NULL;
	const cJSON *p;
	char sel[300];

	if (x->dry || (s->wait != PL_WAIT_COMPLETE && s->wait != PL_WAIT_SUCCEEDED))
		return;
	memset(&err, 0, sizeof err);
	bound(x);
	if (s->wait == PL_WAIT_SUCCEEDED) {
		reacting(x);
		if (k8s_get(x->c, "v1", "Pod", obj_ns(x, s), s->name, &list, &err) != 0) {
			warn(x, "no logs for pod %s: %s", s->name, err.msg);
			return;
		}
		pod_logs(x, list, obj_ns(x, s), tail, helm_header, with_init);
		cJSON_Delete(list);
		return;
	}
	snprintf(sel, sizeof sel, "job-name=%s", s->name);
	reacting(x);
	if (k8s_list(x->c, "v1", "Pod", obj_ns(x, s), sel, NULL, &list, &err) != 0) {
		warn(x, "no logs for job %s: %s", s->name, err.msg);
		return;
	}
	if (cJSON_GetArraySize(jobj(list, "items")) == 0)
		detail(x, "(job %s has no pods left to show logs of)", s->name);
	cJSON_ArrayForEach(p, jobj(list, "items")) {
		const char *phase = jstr(jobj(p, "status"), "phase");
		/* a failed run: the Job's condition says BackoffLimitExceeded,
		 * its pods say which container exited with which code */
		if (x->res->error[0] && phase && strcmp(phase, "Failed") == 0 &&
		    !strstr(x->res->error, " exited ")) {
			char why[300];
			why[0] = 0;
			k8s_pod_failure(p, why, sizeof why);
			detail(x, "pod %s: %s", jstr(jobj(p, "metadata"), "name"), why);
			append(x->res->error, sizeof x->res->error, "pod %s: %s",
			    jstr(jobj(p, "metadata"), "name"), why);
		}
		pod_logs(x, p, obj_ns(x, s), tail, helm_header, with_init);
	}
	cJSON_Delete(list);
}

/* ---- one hook ---- */

static void
fmt_dur(int64_t ms, char *buf, size_t cap)
{
	if (ms == 0)
		snprintf(buf, cap, "no limit");
	else if (ms % 60000 == 0)
		snprintf(buf, cap, "%lldm", (long long)(ms / 60000));
	else
		snprintf(buf, cap, "%.3gs", (double)ms / 1000);
}

static const char *
awaited(const pl_object *s)
{
	return s->wait == PL_WAIT_COMPLETE ? "Job condition Complete=True (Failed=True fails it)" :
	    s->wait == PL_WAIT_SUCCEEDED ? "Pod phase Succeeded (Failed fails it)" : "nothing";
}

/*
 * While the first hook that is waited for runs in the cluster, the main
 * connection is idle: resolve every kind of the plan then (discovery, reads
 * only, cached), so that none of it is a round trip later on the critical
 * path (uninstall resolves its resources' kinds only now).  The watch
 * starts from the applied resourceVersion, so nothing is missed meanwhile.
 * Errors are left for the step that needs the kind.
 */
static void
prefetch_kinds(ex_ctx *x)
{
	size_t i;

	if (x->prefetched || x->dry)
		return;
	x->prefetched = 1;
	for (i = 0; i < x->plan->nobjs && !stopped(x); i++) {
		k8s_res kr;
		k8s_err err;
		memset(&err, 0, sizeof err);
		(void)k8s_resource(x->c, x->plan->objs[i].api_version, x->plan->objs[i].kind, &kr, &err);
	}
}

/*
 * Runs hook i of phase ph: before-hook-creation, apply, wait.  Prints the
 * step's line.  On failure prints the reason and the logs; the caller does
 * the deletions.
 */
/* A step's result word for an outcome that is not success. */
static const char *
outcome(int r)
{
	return r == XR_STOPPED ? "interrupted" : r == XR_TIMEOUT ? "timed out" : "failed";
}

/* A hook left running in the cluster when a signal stopped the wait. */
static void
left_running(ex_ctx *x, const pl_phase *ph, const pl_object *s)
{
	note(x, &x->res->still_running, s, ph->name);
}

/*
 * One hook.  *ran: it was created and waited for, so that a failure gets
 * Helm's clean-up (hook-failed, then the earlier hooks' hook-succeeded);
 * a refused create or before-hook-creation delete gets none, as in Helm.
 */
static int
run_hook(ex_ctx *x, const pl_phase *ph, size_t i, int *ran)
{
	const pl_object *s = ph->steps[i];
	k8s_err err;
	cJSON *live = NULL;
	char why[600], note[128];
	int existed = 0, r, st, res = EX_PENDING;
	int64_t started;

	memset(&err, 0, sizeof err);
	note[0] = 0;
	why[0] = 0;
	*ran = 0;
	step_begin(x, ph, i, s);
	if (pl_list_has(&s->delete_effective, "before-hook-creation")) {
		r = delete_obj(x, s, 1, "before-hook-creation", &existed, &err);
		if (r != XR_OK) {
			step_end(x, ph, i, s, outcome(r), "before-hook-creation delete");
			detail(x, "%s", err.msg);
			fail_at(x,
			    "%s: deleting the old %s/%s (before-hook-creation): %s",
			    ph->name, s->kind, s->name, err.msg);
			return r;
		}
		if (existed && !x->dry)
			snprintf(note, sizeof note, "replaced the old one");
	}
	started = k8s_now_ms();
	bound(x);
	if (x->dry) {
		dry(x, "PATCH", s, 1, "fieldManager=hookctl", "server-side apply "
		    "(application/apply-patch+yaml)", s->body);
		if (s->wait != PL_WAIT_NONE) {
			char q[300];
			snprintf(q, sizeof q, "fieldSelector=metadata.name%%3D%s&watch=1", s->name);
			dry(x, "WATCH", s, 0, q, awaited(s), NULL);
		}
		step_end(x, ph, i, s, "would run", NULL);
		return XR_OK;
	}
	reacting(x);
	if (k8s_apply(x->c, s->body, obj_ns(x, s), 0, &live, &err) != 0) {
		r = r_of(&err);
		step_end(x, ph, i, s, outcome(r), r == XR_STOPPED ? "the create may have "
		    "reached the server" : "create");
		detail(x, "%s", err.msg);
		fail_at(x, "%s hook %s/%s: create: %s",
		    ph->name, s->kind, s->name, err.msg);
		return r;
	}
	*ran = 1;
	st = ex_hook_state(s->wait, live, why, sizeof why);
	if (st == EX_PENDING) {
		int64_t dl = x->o->timeout_ms ? started + x->o->timeout_ms : 0;
		prefetch_kinds(x);
		r = watch_obj(x, s, rv_of(live), dl, judge_hook, &res, why, sizeof why, &err);
		if (r == W_DONE) {
			st = res;
		} else if (r == W_DELETED) {
			step_end(x, ph, i, s, "deleted while waited on", "counted as done");
			warn(x, "%s hook %s/%s was deleted while hookctl waited for %s; "
			    "counted as done, as Helm 3 does", ph->name, s->kind, s->name,
			    awaited(s));
			cJSON_Delete(live);
			return XR_OK;
		} else if (r == XR_STOPPED) {
			cJSON_Delete(live);
			step_end(x, ph, i, s, "interrupted", s->wait == PL_WAIT_NONE ? NULL :
			    "still running in the cluster");
			if (s->wait != PL_WAIT_NONE)
				left_running(x, ph, s);
			return XR_STOPPED;
		} else if (r == XR_TIMEOUT) {
			char d[32];
			fmt_dur(x->o->timeout_ms, d, sizeof d);
			step_end(x, ph, i, s, "timed out", NULL);
			detail(x, "%s hook %s/%s timed out after %s waiting for %s; last status seen: %s",
			    ph->name, s->kind, s->name, d, awaited(s), why[0] ? why : "none");
			fail_at(x,
			    "%s hook %s/%s timed out after %s waiting for %s; last status seen: %s",
			    ph->name, s->kind, s->name, d, awaited(s), why[0] ? why : "none");
			hook_logs(x, s, 50, 0, 1);
			cJSON_Delete(live);
			return XR_TIMEOUT;
		} else {
			cJSON_Delete(live);
			step_end(x, ph, i, s, "failed", "watch");
			detail(x, "%s", err.msg);
			fail_at(x, "%s hook %s/%s: watch: %s",
			    ph->name, s->kind, s->name, err.msg);
			return r_of(&err);
		}
	}
	cJSON_Delete(live);
	if (st == EX_FAILED) {
		step_end(x, ph, i, s, "failed", NULL);
		detail(x, "%s %s failed after %.1fs: %s", s->kind, s->name,
		    secs(started), why);
		fail_at(x, "%s hook %s/%s failed: %s",
		    ph->name, s->kind, s->name, why);
		/* logs: the tail by default; all of them with output-log policy hook-failed */
		hook_logs(x, s, pl_list_has(&s->log_policies, "hook-failed") ? -1 : 50, 0, 1);
		return XR_FAILED;
	}
	step_end(x, ph, i, s, s->wait == PL_WAIT_COMPLETE ? "complete" :
	    s->wait == PL_WAIT_SUCCEEDED ? "succeeded" : "created", note);
	return XR_OK;
}

/*
 * One hook phase, as Helm 4's execHook.  With delayed (helm test), the
 * deletions wait until after the --logs output, as Helm 4.1+ does.
 */
static int
run_hooks(ex_ctx *x, size_t pi)
{
	const pl_phase *ph = &x->plan->phases[pi];
	size_t i, j;
	int r = XR_OK, ran = 0;

	if (ph->nsteps == 0)
		return XR_OK;
	if ((x->o->flags & EX_NO_HOOKS)) {
		for (i = 0; i < ph->nsteps; i++)
			x->res->state[pi][i] = EX_ST_SKIPPED;
		say(x, "%s: %zu hook%s skipped (--no-hooks)", ph->name, ph->nsteps,
		    ph->nsteps == 1 ? "" : "s");
		return XR_OK;
	}
	for (i = 0; i < ph->nsteps; i++) {
		if (stopped(x))
			return XR_STOPPED;
		r = run_hook(x, ph, i, &ran);
		if (r != XR_OK)
			break;
		x->res->state[pi][i] = EX_ST_DONE;
	}
	if (r == XR_STOPPED)
		return r;
	if (r != XR_OK)
		x->res->state[pi][i] = EX_ST_FAILED;
	if (ph->event == PL_EV_TEST && (x->o->flags & EX_LOGS))
		for (j = 0; j < ph->nsteps && j <= i; j++)
			if (ph->steps[j]->wait == PL_WAIT_SUCCEEDED && x->res->state[pi][j] != EX_ST_TODO)
				hook_logs(x, ph->steps[j], -1, 1, 1);
	if (r != XR_OK && !ran)
		return r;
	if (r != XR_OK) {
		/* the failed hook by hook-failed, then the earlier ones by hook-succeeded */
		if (pl_list_has(&ph->steps[i]->delete_effective, "hook-failed"))
			delete_hook(x, ph->steps[i], "hook-failed");
		for (j = 0; j < i; j++)
			if (pl_list_has(&ph->steps[j]->delete_effective, "hook-succeeded"))
				delete_hook(x, ph->steps[j], "hook-succeeded");
		return r;
	}
	for (j = ph->nsteps; j-- > 0;) {
		const pl_object *s = ph->steps[j];
		if (pl_list_has(&s->log_policies, "hook-succeeded"))
			hook_logs(x, s, -1, 0, 0);
		if (pl_list_has(&s->delete_effective, "hook-succeeded"))
			if ((r = delete_hook(x, s, "hook-succeeded")) != XR_OK) {
				fail_at(x,
				    "%s: deleting %s/%s (hook-succeeded)", ph->name, s->kind, s->name);
				return r;
			}
	}
	return XR_OK;
}

/* ---- resources ---- */

/* Helm's ownership metadata on a release's own objects. */
static void
mark_owned(ex_ctx *x, cJSON *body)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "metadata"), *a, *l;

	if (!x->o->release || !cJSON_IsObject(md))
		return;
	if (!cJSON_IsObject(a = cJSON_GetObjectItemCaseSensitive(md, "annotations"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
		a = cJSON_AddObjectToObject(md, "annotations");
	}
	if (!cJSON_IsObject(l = cJSON_GetObjectItemCaseSensitive(md, "labels"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, "labels");
		l = cJSON_AddObjectToObject(md, "labels");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(a, "meta.helm.sh/release-name");
	cJSON_DeleteItemFromObjectCaseSensitive(a, "meta.helm.sh/release-namespace");
	cJSON_DeleteItemFromObjectCaseSensitive(l, "app.kubernetes.io/managed-by");
	cJSON_AddStringToObject(a, "meta.helm.sh/release-name", x->o->release);
	cJSON_AddStringToObject(a, "meta.helm.sh/release-namespace", x->o->ns);
	cJSON_AddStringToObject(l, "app.kubernetes.io/managed-by", "Helm");
}

/* The CustomResourceDefinition of the render that defines s's kind, or NULL. */
static const pl_object *
crd_of(const ex_ctx *x, const pl_object *s)
{
	const char *slash = strchr(s->api_version, '/');
	size_t i, gl = slash ? (size_t)(slash - s->api_version) : 0;

	if (slash == NULL)
		return NULL;
	for (i = 0; i < x->plan->nobjs; i++) {
		const pl_object *d = &x->plan->objs[i];
		const cJSON *spec, *names;
		const char *group, *kind;

		if (d->is_hook || strcmp(d->kind, "CustomResourceDefinition") != 0 || !d->body)
			continue;
		spec = jobj(d->body, "spec");
		names = jobj(spec, "names");
		group = jstr(spec, "group");
		kind = jstr(names, "kind");
		if (group && kind && strlen(group) == gl &&
		    strncmp(group, s->api_version, gl) == 0 && strcmp(kind, s->kind) == 0)
			return d;
	}
	return NULL;
}

/* Whether the render makes the namespace ns (a Namespace resource). */
static int
render_creates_ns(const ex_ctx *x, const char *ns)
{
	size_t i;

	for (i = 0; i < x->plan->nresources; i++)
		if (strcmp(x->plan->resources[i]->kind, "Namespace") == 0 &&
		    strcmp(x->plan->resources[i]->name, ns) == 0)
			return 1;
	return 0;
}

/*
 * A kind defined by a CRD of this render: as Helm waits for the CRDs of
 * crds/ before the rest, wait until that CRD is Established, then until
 * discovery serves the kind (it follows the condition by a few
 * milliseconds).  XR_OK, or the XR_* with err filled.
 */
static int
await_kind(ex_ctx *x, const pl_object *s, const pl_object *crd, k8s_err *err)
{
	int64_t dl = x->o->timeout_ms ? k8s_now_ms() + x->o->timeout_ms : 0;
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	char why[300];
	k8s_res kr;
	int res = EX_PENDING, w;

	if (k8s_resource(x->c, s->api_version, s->kind, &kr, err) == 0)
		return XR_OK;
	why[0] = 0;
	w = watch_obj(x, crd, "", dl, judge_ready, &res, why, sizeof why, err);
	if (w == XR_TIMEOUT || w == XR_STOPPED)
		return w;
	if (w != W_DONE || res != EX_DONE) {
		if (!why[0])
			snprintf(why, sizeof why, "%.*s", (int)(sizeof why - 1), err->msg);
		snprintf(err->msg, sizeof err->msg, "CustomResourceDefinition %s, which defines "
		    "kind %s, %s: %.200s", crd->name, s->kind, w == W_DELETED ? "was deleted" :
		    "is not established", why);
		return w < W_DONE ? w : XR_FAILED;
	}
	for (;;) {
		k8s_forget_kinds(x->c, s->api_version);
		if (k8s_resource(x->c, s->api_version, s->kind, &kr, err) == 0)
			return XR_OK;
		if (strcmp(err->reason, "NotFound") != 0)
			return r_of(err);
		if (stopped(x))
			return XR_STOPPED;
		if (dl && k8s_now_ms() >= dl)
			return XR_TIMEOUT;
		nanosleep(&nap, NULL);
	}
}

static int
apply_resources(ex_ctx *x, size_t pi)
{
	const pl_phase *ph = &x->plan->phases[pi];
	size_t i;
	k8s_err err;
	char **rvs = calloc(ph->nsteps + 1, sizeof *rvs);
	int r = XR_OK;

	if (rvs == NULL)
		return XR_FAILED;
	for (i = 0; i < ph->nsteps && r == XR_OK; i++) {
		const pl_object *s = ph->steps[i];
		cJSON *live = NULL;

		if (stopped(x)) {
			r = XR_STOPPED;
			break;
		}
		memset(&err, 0, sizeof err);
		step_begin(x, ph, i, s);
		mark_owned(x, s->body);
		if (x->dry) {
			dry(x, "PATCH", s, 1, "fieldManager=hookctl",
			    "server-side apply (application/apply-patch+yaml)", s->body);
			step_end(x, ph, i, s, "would apply", NULL);
			x->res->state[pi][i] = EX_ST_DONE;
			continue;
		}
		reacting(x);
		if (crd_of(x, s) != NULL && (r = await_kind(x, s, crd_of(x, s), &err)) != XR_OK) {
			x->res->state[pi][i] = EX_ST_FAILED;
			step_end(x, ph, i, s, outcome(r), NULL);
			detail(x, "%s", err.msg);
			fail_at(x, "applying %s/%s: %s", s->kind, s->name, err.msg);
			break;
		}
		if (k8s_apply(x->c, s->body, obj_ns(x, s), 0, &live, &err) != 0) {
			r = r_of(&err);
			x->res->state[pi][i] = EX_ST_FAILED;
			step_end(x, ph, i, s, outcome(r), r == XR_STOPPED ? "the apply may have "
			    "reached the server" : NULL);
			detail(x, "%s", err.msg);
			fail_at(x, "applying %s/%s: %s",
			    s->kind, s->name, err.msg);
			break;
		}
		if (rv_of(live))
			rvs[i] = strdup(rv_of(live));
		cJSON_Delete(live);
		step_end(x, ph, i, s, "applied", NULL);
		x->res->state[pi][i] = EX_ST_DONE;
	}
	if (r == XR_OK && (x->o->flags & EX_WAIT) && !x->dry) {
		/* --wait: every object ready, by watch, within --timeout */
		int64_t t0 = k8s_now_ms(), dl = x->o->timeout_ms ? t0 + x->o->timeout_ms : 0;
		bound(x);
		for (i = 0; i < ph->nsteps && r == XR_OK; i++) {
			const pl_object *s = ph->steps[i];
			char why[300];
			int res = EX_PENDING, w;

			why[0] = 0;
			memset(&err, 0, sizeof err);
			if (!rvs[i])
				continue;
			/* kinds that kstatus finds ready at once need no watch */
			if (strcmp(s->kind, "ConfigMap") == 0 || strcmp(s->kind, "Secret") == 0 ||
			    strcmp(s->kind, "ServiceAccount") == 0 || strcmp(s->kind, "Role") == 0 ||
			    strcmp(s->kind, "RoleBinding") == 0 || strcmp(s->kind, "ClusterRole") == 0 ||
			    strcmp(s->kind, "ClusterRoleBinding") == 0)
				continue;
			w = watch_obj(x, s, "", dl, judge_ready, &res, why, sizeof why, &err);
			if (w == W_DONE && res == EX_DONE)
				continue;
			if (w == W_DONE || w == W_DELETED) {
				r = XR_FAILED;
				fail_at(x, "--wait: %s/%s %s: %s",
				    s->kind, s->name, w == W_DELETED ? "was deleted" : "failed", why);
			} else if (w == XR_TIMEOUT) {
				char d[32];
				fmt_dur(x->o->timeout_ms, d, sizeof d);
				r = XR_TIMEOUT;
				fail_at(x,
				    "--wait: %s/%s not ready after %s; last status seen: %s",
				    s->kind, s->name, d, why[0] ? why : "none");
			} else if (w == XR_STOPPED) {
				r = XR_STOPPED;
			} else {
				r = r_of(&err);
				fail_at(x, "--wait: %s/%s: %s",
				    s->kind, s->name, err.msg);
			}
		}
		if (r == XR_OK)
			say(x, "%s: all ready %.1fs (--wait)", ph->name, secs(t0));
		else if (r != XR_OK && r != XR_STOPPED)
			detail(x, "%s", x->res->error);
	}
	for (i = 0; i < ph->nsteps; i++)
		free(rvs[i]);
	free(rvs);
	return r;
}

/* Whether a and b are read by one list (same kind and namespace). */
static int
same_collection(const ex_ctx *x, const pl_object *a, const pl_object *b, int namespaced)
{
	return strcmp(a->api_version, b->api_version) == 0 && strcmp(a->kind, b->kind) == 0 &&
	    (!namespaced || strcmp(obj_ns(x, a), obj_ns(x, b)) == 0);
}

/* What read_live knows of a resource. */
enum { LIVE_UNREAD, LIVE_LATER, LIVE_READ };

/*
 * The live objects of the resources phase that are still LIVE_UNREAD in
 * seen: live[i] the object, or NULL if it does not exist; seen[i] becomes
 * LIVE_READ, or LIVE_LATER when a CRD of the render defines its kind and
 * the server does not know it yet.  One list
 * per kind and namespace where two or more resources share them, else one
 * GET.  XR_OK or the XR_* of a failed read (err filled).
 */
static int
read_live(ex_ctx *x, const pl_phase *ph, cJSON **live, unsigned char *seen, k8s_err *err)
{
	size_t i, j, n;

	for (i = 0; i < ph->nsteps; i++) {
		const pl_object *s = ph->steps[i];
		cJSON *list = NULL;
		const cJSON *it;
		k8s_res kr;

		if (live[i] || seen[i] != LIVE_UNREAD)
			continue;
		memset(err, 0, sizeof *err);
		if (k8s_resource(x->c, s->api_version, s->kind, &kr, err) != 0) {
			if (strcmp(err->reason, "NotFound") == 0 && crd_of(x, s) != NULL) {
				seen[i] = LIVE_LATER;
				continue;
			}
			return r_of(err);
		}
		for (n = 0, j = i; j < ph->nsteps; j++)
			n += seen[j] == LIVE_UNREAD && same_collection(x, s, ph->steps[j],
			    kr.namespaced);
		reacting(x);
		if (n == 1) {
			int r = k8s_get(x->c, s->api_version, s->kind, obj_ns(x, s), s->name,
			    &live[i], err);
			if (r != 0 && r != K8S_NOTFOUND)
				return r_of(err);
			seen[i] = LIVE_READ;
			continue;
		}
		if (k8s_list(x->c, s->api_version, s->kind, kr.namespaced ? obj_ns(x, s) : NULL,
		    NULL, NULL, &list, err) != 0)
			return r_of(err);
		for (j = i; j < ph->nsteps; j++) {
			if (seen[j] != LIVE_UNREAD ||
			    !same_collection(x, s, ph->steps[j], kr.namespaced))
				continue;
			seen[j] = LIVE_READ;
			cJSON_ArrayForEach(it, jobj(list, "items")) {
				const char *name = jstr(jobj(it, "metadata"), "name");
				if (name && strcmp(name, ph->steps[j]->name) == 0 && !live[j]) {
					live[j] = cJSON_Duplicate(it, 1);
					break;
				}
			}
		}
		cJSON_Delete(list);
	}
	return XR_OK;
}

/*
 * Before the first hook of install, upgrade or rollback: the server must
 * accept each apply as it will be sent (a server-side dry run finds
 * field-manager conflicts, schema and admission refusals), and every
 * resource that exists already must be this release's own (Helm refuses
 * to import an object without its ownership metadata).  The dry run's
 * answer says which objects exist (a dry-run create has no
 * resourceVersion), so only those are read: one request per resource on
 * a first install.  Every refusal is reported, then the run stops with
 * nothing run or changed.  Kinds defined by a CRD of the same render, and
 * objects in a namespace it makes, cannot be checked before those exist:
 * the apply itself checks them.
 */
static int
preflight(ex_ctx *x, size_t pi)
{
	const pl_phase *ph = &x->plan->phases[pi];
	cJSON **live = calloc(ph->nsteps + 1, sizeof *live);
	unsigned char *seen = calloc(ph->nsteps + 1, 1);
	char (*said)[600] = calloc(ph->nsteps + 1, sizeof *said);
	char why[600], first[800], owner[400];
	size_t i, nbad = 0;
	k8s_err err;
	int r = XR_OK;

	if (live == NULL || seen == NULL || said == NULL) {
		free(live);
		free(seen);
		free(said);
		fail_at(x, "out of memory");
		return XR_FAILED;
	}
	first[0] = 0;
	/* 1. the server's word on each apply, and which objects exist */
	for (i = 0; i < ph->nsteps; i++) {
		const pl_object *s = ph->steps[i];
		cJSON *dry = NULL;

		mark_owned(x, s->body);
		memset(&err, 0, sizeof err);
		reacting(x);
		if (k8s_apply(x->c, s->body, obj_ns(x, s), K8S_APPLY_DRY_RUN, &dry, &err) == 0) {
			if (rv_of(dry) == NULL || rv_of(dry)[0] == '\0')
				seen[i] = LIVE_READ;    /* a create: nothing there to own */
			cJSON_Delete(dry);
			continue;
		}
		if (err.cat != K8S_EAPI && err.cat != K8S_ECONFIG) {
			r = r_of(&err);
			fail_at(x, "checking %s/%s before any hook: %s", s->kind, s->name, err.msg);
			break;
		}
		if (err.http == 404 && (crd_of(x, s) != NULL ||
		    render_creates_ns(x, obj_ns(x, s)))) {
			seen[i] = LIVE_LATER;
			continue;
		}
		snprintf(said[i], sizeof said[i], "the server refuses it (server-side dry run): "
		    "%s", err.msg);
		/* a conflict is about an object that exists: whose is it? */
		if (err.http != 409)
			seen[i] = LIVE_READ;
	}
	/* 2. the objects that exist: this release's own? */
	if (r == XR_OK && (r = read_live(x, ph, live, seen, &err)) != XR_OK)
		fail_at(x, "checking the release's resources before any hook: %s", err.msg);
	/* 3. every refusal, the owner first: it says more than a conflict */
	for (i = 0; i < ph->nsteps && r == XR_OK; i++) {
		const pl_object *s = ph->steps[i];

		if (live[i] && !ex_owned(live[i], x->o->release, x->o->ns, owner, sizeof owner))
			snprintf(why, sizeof why, "exists in namespace %s and cannot be imported "
			    "into release %s: %s", obj_ns(x, s), x->o->release, owner);
		else if (said[i][0])
			snprintf(why, sizeof why, "%s", said[i]);
		else
			continue;
		warn(x, "%s/%s: %s", s->kind, s->name, why);
		if (nbad++ == 0)
			snprintf(first, sizeof first, "%s/%s: %s", s->kind, s->name, why);
	}
	if (r == XR_OK && nbad) {
		r = XR_FAILED;
		if (nbad == 1)
			fail_at(x, "%s; nothing was run or changed", first);
		else
			fail_at(x, "%zu resources cannot be applied (the first: %s); nothing was "
			    "run or changed", nbad, first);
	}
	for (i = 0; i < ph->nsteps; i++)
		cJSON_Delete(live[i]);
	free(live);
	free(seen);
	free(said);
	return r;
}

/*
 * Before an uninstall runs any hook: does anything of the release exist?
 * (A wrong -n would run the pre-delete hooks against nothing.)  GETs in
 * uninstall order until the first object found.  XR_OK when one exists
 * or the release has no resources; else XR_FAILED with the reason.
 */
static int
release_exists(ex_ctx *x, size_t pi)
{
	const pl_phase *ph = &x->plan->phases[pi];
	size_t i;
	k8s_err err;

	for (i = 0; i < ph->nsteps; i++) {
		const pl_object *s = ph->steps[i];
		int r;

		memset(&err, 0, sizeof err);
		reacting(x);
		r = k8s_get(x->c, s->api_version, s->kind, obj_ns(x, s), s->name, NULL, &err);
		if (r == 0)
			return XR_OK;
		if (r != K8S_NOTFOUND && strcmp(err.reason, "NotFound") != 0) {
			fail_at(x, "looking for %s/%s before any hook: %s", s->kind, s->name, err.msg);
			return r_of(&err);
		}
	}
	if (ph->nsteps == 0)
		return XR_OK;
	fail_at(x, "none of release %s's %zu resources exists in namespace %s (is -n right?); "
	    "nothing was run or deleted", x->o->release, ph->nsteps, x->o->ns);
	return XR_FAILED;
}

/* Ownership of one resource before uninstall deletes it (Helm's verifyOwnershipBeforeDelete). */
enum { OWN_YES, OWN_MISSING, OWN_OTHER, OWN_UNVERIFIED, OWN_KIND_GONE, OWN_POLICY };

/*
 * As Helm 4 (main) before an uninstall deletes: one GET per resource, all
 * of them before the first DELETE; a missing object is not deleted, one
 * that is not owned by this release (ex_owned) or whose GET failed is
 * skipped, with a warning naming its owner, and listed.  Kept resources
 * are neither read nor deleted.  --dry-run shows the GETs, sends nothing.
 */
static void
check_ownership(ex_ctx *x, const pl_phase *ph, unsigned char *own, char (*why)[520])
{
	size_t i;

	for (i = 0; i < ph->nsteps; i++) {
		const pl_object *s = ph->steps[i];
		k8s_res kr;
		k8s_err err;
		cJSON *live = NULL;
		char q[300];

		why[i][0] = 0;
		if (s->policy != PL_POLICY_NONE) {
			own[i] = OWN_POLICY;
			continue;
		}
		own[i] = OWN_YES;
		if (x->dry) {
			snprintf(q, sizeof q, "ownership check: deleted only if owned by release %s "
			    "in namespace %s", x->o->release, x->o->ns);
			dry(x, "GET", s, 1, NULL, q, NULL);
			continue;
		}
		memset(&err, 0, sizeof err);
		if (k8s_resource(x->c, s->api_version, s->kind, &kr, &err) != 0) {
			/* the kind itself is gone (its CRD was deleted), or discovery failed */
			own[i] = strcmp(err.reason, "NotFound") == 0 ? OWN_KIND_GONE : OWN_UNVERIFIED;
			snprintf(why[i], sizeof why[i], "%s", err.msg);
			continue;
		}
		reacting(x);
		if (k8s_get(x->c, s->api_version, s->kind, obj_ns(x, s), s->name, &live, &err) != 0) {
			own[i] = err.http == 404 ? OWN_MISSING : OWN_UNVERIFIED;
			snprintf(why[i], sizeof why[i], "%s", err.msg);
			continue;
		}
		if (!ex_owned(live, x->o->release, x->o->ns, why[i], sizeof why[i]))
			own[i] = OWN_OTHER;
		cJSON_Delete(live);
	}
}

static int
delete_resources(ex_ctx *x, size_t pi)
{
	const pl_phase *ph = &x->plan->phases[pi];
	unsigned char *own = calloc(ph->nsteps + 1, 1);
	char (*why)[520] = calloc(ph->nsteps + 1, sizeof *why);
	char **rv = calloc(ph->nsteps + 1, sizeof *rv);
	char (*fin)[300] = calloc(ph->nsteps + 1, sizeof *fin);
	size_t i, nother = 0;
	k8s_err err;
	int r = XR_OK, rd, existed;
	int64_t dl;

	if (own == NULL || why == NULL || rv == NULL || fin == NULL) {
		free(own);
		free(why);
		free(rv);
		free(fin);
		fail_at(x, "out of memory");
		return XR_FAILED;
	}
	check_ownership(x, ph, own, why);
	for (i = 0; i < ph->nsteps; i++) {
		const pl_object *s = ph->steps[i];

		if (stopped(x)) {
			r = XR_STOPPED;
			break;
		}
		memset(&err, 0, sizeof err);
		step_begin(x, ph, i, s);
		if (s->policy == PL_POLICY_KEEP) {
			note(x, &x->res->kept, s, NULL);
			step_end(x, ph, i, s, "kept", "helm.sh/resource-policy: keep");
			x->res->state[pi][i] = EX_ST_SKIPPED;
			continue;
		}
		if (s->policy == PL_POLICY_OTHER) {
			step_end(x, ph, i, s, "left in place", "helm.sh/resource-policy is not keep; "
			    "Helm neither deletes nor lists it");
			x->res->state[pi][i] = EX_ST_SKIPPED;
			continue;
		}
		if (own[i] == OWN_KIND_GONE) {
			/* nothing to delete */
			x->res->state[pi][i] = EX_ST_DONE;
			step_end(x, ph, i, s, "not found", "the server does not know this kind");
			continue;
		}
		if (own[i] == OWN_MISSING) {
			/* as Helm: already gone, no DELETE */
			x->res->state[pi][i] = EX_ST_DONE;
			step_end(x, ph, i, s, "not found", NULL);
			continue;
		}
		if (own[i] == OWN_OTHER || own[i] == OWN_UNVERIFIED) {
			char said[600];
			snprintf(said, sizeof said, "%s%s", own[i] == OWN_OTHER ? "not owned by this "
			    "release: " : "ownership could not be verified: ", why[i]);
			step_end(x, ph, i, s, "not deleted", said);
			warn(x, "%s %s/%s not deleted: %s%s", ph->name, s->kind, s->name,
			    own[i] == OWN_OTHER ? "" : "its ownership could not be verified: ", why[i]);
			snprintf(said, sizeof said, "%s%s", own[i] == OWN_OTHER ? "" :
			    "not verified: ", why[i]);
			note(x, &x->res->not_owned, s, said);
			x->res->state[pi][i] = EX_ST_SKIPPED;
			nother++;
			continue;
		}
		/* every deletion is sent, whatever happened to the others (as Helm) */
		rd = send_delete(x, s, "uninstall; then watch until gone", &existed, &rv[i],
		    fin[i], sizeof fin[i], &err);
		if (rd != XR_OK) {
			x->res->state[pi][i] = EX_ST_FAILED;
			step_end(x, ph, i, s, outcome(rd), NULL);
			detail(x, "%s", err.msg);
			if (r == XR_OK)
				fail_at(x, "deleting %s/%s: %s", s->kind, s->name, err.msg);
			if (r == XR_OK || rd == XR_STOPPED)
				r = rd;
			if (rd == XR_CONNECT || rd == XR_STOPPED)
				break;
			continue;
		}
		x->res->state[pi][i] = EX_ST_DONE;
		step_end(x, ph, i, s, x->dry ? "would delete" : existed ? "deleted" : "not found", NULL);
	}
	/* then their ends, together: one stuck object holds back no other deletion */
	dl = x->o->timeout_ms ? k8s_now_ms() + x->o->timeout_ms : 0;
	bound(x);
	for (i = 0; i < ph->nsteps && r != XR_STOPPED; i++) {
		const pl_object *s = ph->steps[i];

		if (rv[i] == NULL)
			continue;
		memset(&err, 0, sizeof err);
		rd = await_gone(x, s, rv[i], dl, fin[i], &err);
		if (rd == XR_TIMEOUT) {
			warn(x, "%s", err.msg);
			note(x, &x->res->still_deleting, s, fin[i]);
		} else if (rd != XR_OK) {
			if (r == XR_OK)
				fail_at(x, "waiting for %s/%s to be deleted: %s", s->kind, s->name,
				    err.msg);
			if (r == XR_OK || rd == XR_STOPPED)
				r = rd;
		}
	}
	for (i = 0; i < ph->nsteps; i++)
		free(rv[i]);
	free(rv);
	free(fin);
	if (r == XR_OK && x->res->kept.n) {
		/* as Helm prints them, one per line */
		say(x, "These resources were kept due to the resource policy:");
		for (i = 0; i < x->res->kept.n; i++)
			say(x, "[%s] %s", x->res->kept.v[i].obj->kind, x->res->kept.v[i].obj->name);
	}
	if (r == XR_OK && nother) {
		/* as Helm words it, then who owns each */
		say(x, "%zu resource(s) were not deleted because they are not owned by this "
		    "release (or their ownership could not be verified):", nother);
		for (i = 0; i < ph->nsteps; i++)
			if (own[i] == OWN_OTHER || own[i] == OWN_UNVERIFIED)
				say(x, "[%s] %s: %s", ph->steps[i]->kind, ph->steps[i]->name, why[i]);
	}
	free(own);
	free(why);
	return r;
}

/* ---- the run ---- */

/*
 * As Helm builds the release's objects before its first hook: every
 * resource kind must be known to the server (discovery reads only), but
 * for the kinds a CustomResourceDefinition of the render defines.
 */
static int
kinds_known(ex_ctx *x)
{
	size_t i, j;
	k8s_err err;
	k8s_res kr;

	for (i = 0; i < x->plan->nphases; i++) {
		const pl_phase *ph = &x->plan->phases[i];

		if (ph->event != PL_EV_RESOURCES)
			continue;
		for (j = 0; j < ph->nsteps; j++) {
			const pl_object *s = ph->steps[j];
			memset(&err, 0, sizeof err);
			if (k8s_resource(x->c, s->api_version, s->kind, &kr, &err) == 0)
				continue;
			if (strcmp(err.reason, "NotFound") == 0 && crd_of(x, s) != NULL)
				continue;
			/* a manifest line is cited only when it is the manifest's fault */
			if (strcmp(err.reason, "NotFound") == 0) {
				fail_at(x, "%s:%u:%u: error: %s %s/%s: %s; nothing was changed",
				    s->file, s->line, s->col, s->api_version, s->kind, s->name,
				    err.msg);
				return XR_FAILED;
			}
			fail_at(x, "%s; nothing was changed", err.msg);
			return r_of(&err);
		}
	}
	return XR_OK;
}

/* see exec.h */
int
ex_run(const pl_plan *plan, k8s_client *c, const ex_options *o, ex_sink *sink, void *arg,
    ex_result *res)
{
	ex_ctx ctx, *x = &ctx;
	ex_event ev;
	size_t i;
	int r = XR_OK, op = plan->cfg.op;

	memset(res, 0, sizeof *res);
	memset(x, 0, sizeof *x);
	x->o = o;
	x->plan = plan;
	x->c = c;
	x->sink = sink;
	x->arg = arg;
	x->res = res;
	x->dry = (o->flags & EX_DRY_RUN) != 0;
	x->t0 = k8s_now_ms();
	for (i = 0; i < plan->nphases; i++)
		if ((res->state[i] = calloc(plan->phases[i].nsteps + 1, 1)) == NULL) {
			fail_at(x, "out of memory");
			return res->status = XR_FAILED;
		}

	/* 1. Before anything changes: every kind known to the server. */
	bound(x);
	if (!x->dry && op != PL_OP_UNINSTALL && (r = kinds_known(x)) != XR_OK)
		return res->status = r;
	ev = event(EX_EV_START);
	for (i = 0; i < plan->nobjs; i++)
		if (strcmp(obj_ns(x, &plan->objs[i]), o->ns) != 0)
			ev.multi_ns = 1;
	res->started = 1;
	sink(arg, &ev);

	/* 2. Before the first hook: ownership and the server's dry run; for
	 *    uninstall, that the release is there at all. */
	bound(x);
	if (!x->dry)
		for (i = 0; i < plan->nphases && r == XR_OK; i++)
			if (plan->phases[i].event == PL_EV_RESOURCES)
				r = op == PL_OP_UNINSTALL ? release_exists(x, i) : preflight(x, i);

	/* 3. The phases in run order. */
	for (i = 0; i < plan->nphases && r == XR_OK; i++) {
		const pl_phase *ph = &plan->phases[i];
		if (ph->event == PL_EV_RESOURCES) {
			r = op == PL_OP_UNINSTALL ? delete_resources(x, i) : apply_resources(x, i);
			continue;
		}
		r = run_hooks(x, i);
		if (r != XR_OK && r != XR_STOPPED && ph->event == PL_EV_POST_DELETE) {
			/* as Helm: the uninstall completes, the error is reported */
			break;
		}
	}
	if (stopped(x) && r == XR_OK)
		r = XR_STOPPED;
	if (r == XR_OK && res->still_deleting.n) {
		/* the post-delete hooks ran (Helm does not wait at all); the
		 * deletions that did not finish within --timeout are the error */
		char d[32], list[700];
		list[0] = 0;
		for (i = 0; i < res->still_deleting.n; i++)
			append(list, sizeof list, "%s/%s (%s)", res->still_deleting.v[i].obj->kind,
			    res->still_deleting.v[i].obj->name, res->still_deleting.v[i].detail);
		fmt_dur(o->timeout_ms, d, sizeof d);
		r = XR_TIMEOUT;
		fail_at(x, "deleted, but still there after %s: %s", d, list);
	}
	if (r == XR_STOPPED)
		fail_at(x, "stopped by %s", o->stop && *o->stop == SIGTERM ? "SIGTERM" : "SIGINT");
	if (plan->nphases == 1 && plan->phases[0].nsteps == 0)
		say(x, "%s: no hooks for this event%s", plan->phases[0].name,
		    plan->nfiltered ? " left after --filter" : "");
	res->seconds = secs(x->t0);
	return res->status = r;
}

static void
items_free(ex_items *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].detail);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* see exec.h */
void
ex_result_free(ex_result *res, const pl_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nphases; i++)
		free(res->state[i]);
	items_free(&res->deleted);
	items_free(&res->kept);
	items_free(&res->not_owned);
	items_free(&res->still_deleting);
	items_free(&res->still_running);
	memset(res, 0, sizeof *res);
}
