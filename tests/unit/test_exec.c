/*
 * test_exec.c: the executor (exec.h), without a cluster: its pure
 * judgements (when a hook is finished: Helm's kstatus readers for Job and
 * Pod, helm-vectors.md A13, A14; --wait readiness, helm-readiness.md;
 * dry-run paths; ownership), and whole runs with EX_DRY_RUN, whose events
 * are the exact sequence of requests each operation would send.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "cJSON.h"
#include "exec.h"
#include "plan.h"
#include "unit.h"

static int
state(int wait, const char *json, char *why)
{
	cJSON *o = cJSON_Parse(json);
	int r = ex_hook_state(wait, o, why, 200);

	cJSON_Delete(o);
	return r;
}

static int
ready(const char *json, char *msg)
{
	cJSON *o = cJSON_Parse(json);
	int r = k8s_ready_state(NULL, NULL, o, msg, 200);

	cJSON_Delete(o);
	return r;
}

TEST(job_complete)
{
	char why[200];
	CHECK(state(PL_WAIT_COMPLETE, "{\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}", why) == EX_DONE);
	return 0;
}

TEST(job_failed_reason)
{
	char why[200];
	CHECK(state(PL_WAIT_COMPLETE, "{\"status\":{\"failed\":1,\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\","
	    "\"reason\":\"BackoffLimitExceeded\",\"message\":\"Job has reached the specified backoff limit\"}]}}", why) == EX_FAILED);
	CHECK_STR(why, "BackoffLimitExceeded: Job has reached the specified backoff limit");
	return 0;
}

TEST(job_pending_last_status)
{
	char why[200];
	CHECK(state(PL_WAIT_COMPLETE, "{\"status\":{\"active\":1}}", why) == EX_PENDING);
	CHECK_STR(why, "active 1, succeeded 0, failed 0, no conditions");
	CHECK(state(PL_WAIT_COMPLETE, "{\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":\"False\"},"
	    "{\"type\":\"Failed\",\"status\":\"False\"}],\"active\":1}}", why) == EX_PENDING);
	return 0;
}

TEST(job_first_true_condition_decides)
{
	char why[200];
	CHECK(state(PL_WAIT_COMPLETE, "{\"status\":{\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"},"
	    "{\"type\":\"Complete\",\"status\":\"True\"}]}}", why) == EX_FAILED);
	return 0;
}

TEST(pod_phases)
{
	char why[200];
	CHECK(state(PL_WAIT_SUCCEEDED, "{\"status\":{\"phase\":\"Succeeded\"}}", why) == EX_DONE);
	CHECK(state(PL_WAIT_SUCCEEDED, "{\"status\":{\"phase\":\"Running\"}}", why) == EX_PENDING);
	CHECK_STR(why, "phase Running");
	CHECK(state(PL_WAIT_SUCCEEDED, "{\"status\":{\"phase\":\"Pending\"}}", why) == EX_PENDING);
	CHECK(state(PL_WAIT_SUCCEEDED, "{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"t\","
	    "\"state\":{\"waiting\":{\"reason\":\"CreateContainerConfigError\"}}}]}}", why) == EX_PENDING);
	CHECK_STR(why, "phase Pending, container t waiting: CreateContainerConfigError");
	CHECK(state(PL_WAIT_SUCCEEDED, "{}", why) == EX_PENDING);
	CHECK(state(PL_WAIT_SUCCEEDED, "{\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"t\","
	    "\"state\":{\"terminated\":{\"exitCode\":3,\"reason\":\"Error\"}}}]}}", why) == EX_FAILED);
	CHECK_STR(why, "container t exited 3: Error");
	return 0;
}

TEST(other_kinds_done_at_once)
{
	char why[200];
	CHECK(state(PL_WAIT_NONE, "{\"kind\":\"ConfigMap\"}", why) == EX_DONE);
	return 0;
}

TEST(ready_deployment)
{
	char m[200];
	CHECK(ready("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":2},"
	    "\"status\":{\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":1,\"availableReplicas\":1}}", m) == EX_PENDING);
	CHECK_STR(m, "Available: 1/2");
	CHECK(ready("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":2},"
	    "\"status\":{\"replicas\":2,\"updatedReplicas\":2,\"readyReplicas\":2,\"availableReplicas\":2,"
	    "\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}", m) == EX_DONE);
	CHECK(ready("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"progressDeadlineSeconds\":600},"
	    "\"status\":{\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}", m) == EX_FAILED);
	CHECK(ready("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":3},"
	    "\"status\":{\"observedGeneration\":2}}", m) == EX_PENDING);
	return 0;
}

TEST(ready_misc)
{
	char m[200];
	CHECK(ready("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", m) == EX_DONE);
	CHECK(ready("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":\"Pending\"}}", m) == EX_PENDING);
	CHECK(ready("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\",\"conditions\":"
	    "[{\"type\":\"Ready\",\"status\":\"True\"}]}}", m) == EX_DONE);
	CHECK(ready("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{}}", m) == EX_PENDING);
	CHECK(ready("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"startTime\":\"x\"}}", m) == EX_DONE);
	CHECK(ready("{\"apiVersion\":\"x/v1\",\"kind\":\"Thing\",\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}", m) == EX_PENDING);
	CHECK(ready("{\"apiVersion\":\"x/v1\",\"kind\":\"Thing\",\"metadata\":{\"deletionTimestamp\":\"t\"}}", m) == EX_PENDING);
	{
		/* a list item has no kind: the caller's is used */
		cJSON *o = cJSON_Parse("{\"spec\":{\"replicas\":1},\"status\":{}}");
		CHECK(k8s_ready_state("apps/v1", "Deployment", o, m, 200) == EX_PENDING);
		CHECK_STR(m, "Replicas: 0/1");
		cJSON_Delete(o);
	}
	return 0;
}

/* Dry runs name the REST path without discovery (k8s_resource_guess). */
static const char *
guess(const char *av, const char *kind, const char *ns, const char *name, char *p, size_t cap)
{
	k8s_res r;

	if (k8s_resource_guess(av, kind, &r) != 0 || k8s_path(&r, ns, name, p, cap) != 0)
		return "(error)";
	return p;
}

TEST(guess_paths)
{
	char p[300];
	CHECK_STR(guess("batch/v1", "Job", "ns", "x", p, sizeof p),
	    "/apis/batch/v1/namespaces/ns/jobs/x");
	CHECK_STR(guess("v1", "ConfigMap", "ns", NULL, p, sizeof p),
	    "/api/v1/namespaces/ns/configmaps");
	CHECK_STR(guess("networking.k8s.io/v1", "Ingress", "a", "i", p, sizeof p),
	    "/apis/networking.k8s.io/v1/namespaces/a/ingresses/i");
	CHECK_STR(guess("policy/v1beta1", "PodSecurityPolicy", "a", "p", p, sizeof p),
	    "/apis/policy/v1beta1/podsecuritypolicies/p");
	CHECK_STR(guess("networking.k8s.io/v1", "NetworkPolicy", "a", "p", p, sizeof p),
	    "/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/p");
	CHECK_STR(guess("apiextensions.k8s.io/v1", "CustomResourceDefinition", "a", "c", p,
	    sizeof p), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/c");
	CHECK_STR(guess("v1", "ConfigMap", "ns", "x", p, 10), "(error)");
	CHECK_STR(guess("v1 HTTP/1.1", "ConfigMap", "ns", "x", p, sizeof p), "(error)");
	return 0;
}

static int
owned(const char *json, char *why)
{
	cJSON *o = cJSON_Parse(json);
	int r = ex_owned(o, "rel", "ns1", why, 300);

	cJSON_Delete(o);
	return r;
}

/* Helm 4's checkOwnership: the label and both annotations, exactly. */
TEST(ownership)
{
	char why[300];

	CHECK(owned("{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"Helm\"},"
	    "\"annotations\":{\"meta.helm.sh/release-name\":\"rel\","
	    "\"meta.helm.sh/release-namespace\":\"ns1\"}}}", why) == 1);
	CHECK(owned("{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"Helm\"},"
	    "\"annotations\":{\"meta.helm.sh/release-name\":\"other\","
	    "\"meta.helm.sh/release-namespace\":\"ns2\"}}}", why) == 0);
	CHECK_STR(why, "owned by release other in namespace ns2");
	/* the same release name in another namespace is another release */
	CHECK(owned("{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"Helm\"},"
	    "\"annotations\":{\"meta.helm.sh/release-name\":\"rel\","
	    "\"meta.helm.sh/release-namespace\":\"ns2\"}}}", why) == 0);
	CHECK_STR(why, "owned by release rel in namespace ns2");
	/* no metadata at all: not owned (Helm: missing key) */
	CHECK(owned("{\"metadata\":{\"name\":\"x\"}}", why) == 0);
	CHECK_STR(why, "no meta.helm.sh/release-name annotation: no Helm release owns it; "
	    "no label app.kubernetes.io/managed-by: Helm");
	/* the annotations without the label: not owned either */
	CHECK(owned("{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"kubectl\"},"
	    "\"annotations\":{\"meta.helm.sh/release-name\":\"rel\","
	    "\"meta.helm.sh/release-namespace\":\"ns1\"}}}", why) == 0);
	CHECK_STR(why, "annotated for this release, but its label app.kubernetes.io/managed-by is "
	    "\"kubectl\", not Helm");
	return 0;
}

/* ---- whole runs, dry ---- */

static const char demo_chart[] =
"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre\n  annotations:\n"
"    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-1\"\n"
"---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n"
"    helm.sh/hook: pre-install,pre-upgrade\n"
"    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n"
"spec:\n  template:\n    spec:\n      restartPolicy: Never\n"
"      containers: [{name: c, image: x, command: [\"true\"]}]\n"
"---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n"
"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n"
"    helm.sh/resource-policy: keep\n"
"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n"
"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: post\n  annotations:\n"
"    helm.sh/hook: post-install,pre-delete\n"
"spec:\n  restartPolicy: Never\n  containers: [{name: c, image: x}]\n";

static char seen[8192];

/* The sink: "VERB path[?query]" of each request, and step ends, one a line. */
static void
record(void *arg, const ex_event *e)
{
	size_t n = strlen(seen);

	(void)arg;
	if (e->type == EX_EV_REQUEST)
		snprintf(seen + n, sizeof seen - n, "%s %s%s%s\n", e->verb, e->path,
		    e->query ? "?" : "", e->query ? e->query : "");
	else if (e->type == EX_EV_STEP && e->result)
		snprintf(seen + n, sizeof seen - n, "= %s %s/%s %s\n", e->phase, e->obj->kind,
		    e->obj->name, e->result);
}

static int
dry_run(int op, const char *release, ex_result *res, pl_plan *plan)
{
	pl_input in = { "chart.yaml", demo_chart, sizeof demo_chart - 1 };
	pl_config cfg;
	ex_options o;

	memset(&cfg, 0, sizeof cfg);
	cfg.op = op;
	cfg.flags = PL_KEEP_BODIES;
	if (pl_build(plan, &in, 1, &cfg) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	o.op = pl_op_name(op);
	o.release = release;
	o.ns = "ns";
	o.timeout_ms = 1000;
	o.flags = EX_DRY_RUN;
	seen[0] = 0;
	return ex_run(plan, NULL, &o, record, NULL, res);
}

TEST(dry_install_requests)
{
	pl_plan plan;
	ex_result res;

	CHECK(dry_run(PL_OP_INSTALL, "rel", &res, &plan) == EX_R_OK);
	CHECK(res.started);
	CHECK_STR(seen,
	    "DELETE /api/v1/namespaces/ns/configmaps/pre?propagationPolicy=Background\n"
	    "PATCH /api/v1/namespaces/ns/configmaps/pre?fieldManager=hookctl\n"
	    "= pre-install ConfigMap/pre would run\n"
	    "DELETE /apis/batch/v1/namespaces/ns/jobs/migrate?propagationPolicy=Background\n"
	    "PATCH /apis/batch/v1/namespaces/ns/jobs/migrate?fieldManager=hookctl\n"
	    "WATCH /apis/batch/v1/namespaces/ns/jobs?fieldSelector=metadata.name%3Dmigrate&watch=1\n"
	    "= pre-install Job/migrate would run\n"
	    "DELETE /apis/batch/v1/namespaces/ns/jobs/migrate?propagationPolicy=Background\n"
	    "PATCH /api/v1/namespaces/ns/serviceaccounts/sa?fieldManager=hookctl\n"
	    "= resources ServiceAccount/sa would apply\n"
	    "PATCH /api/v1/namespaces/ns/configmaps/cfg?fieldManager=hookctl\n"
	    "= resources ConfigMap/cfg would apply\n"
	    "PATCH /api/v1/namespaces/ns/configmaps/kept?fieldManager=hookctl\n"
	    "= resources ConfigMap/kept would apply\n"
	    "PATCH /apis/rbac.authorization.k8s.io/v1/clusterroles/cr?fieldManager=hookctl\n"
	    "= resources ClusterRole/cr would apply\n"
	    "DELETE /api/v1/namespaces/ns/pods/post?propagationPolicy=Background\n"
	    "PATCH /api/v1/namespaces/ns/pods/post?fieldManager=hookctl\n"
	    "WATCH /api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dpost&watch=1\n"
	    "= post-install Pod/post would run\n");
	/* the bodies carry Helm's ownership metadata */
	CHECK(res.deleted.n == 1 && strcmp(res.deleted.v[0].obj->name, "migrate") == 0);
	CHECK_STR(res.deleted.v[0].detail, "hook-succeeded");
	ex_result_free(&res, &plan);
	pl_free(&plan);
	return 0;
}

TEST(dry_uninstall_requests)
{
	pl_plan plan;
	ex_result res;

	CHECK(dry_run(PL_OP_UNINSTALL, "rel", &res, &plan) == EX_R_OK);
	CHECK_STR(seen,
	    "DELETE /api/v1/namespaces/ns/pods/post?propagationPolicy=Background\n"
	    "PATCH /api/v1/namespaces/ns/pods/post?fieldManager=hookctl\n"
	    "WATCH /api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dpost&watch=1\n"
	    "= pre-delete Pod/post would run\n"
	    "GET /apis/rbac.authorization.k8s.io/v1/clusterroles/cr\n"
	    "GET /api/v1/namespaces/ns/configmaps/cfg\n"
	    "GET /api/v1/namespaces/ns/serviceaccounts/sa\n"
	    "DELETE /apis/rbac.authorization.k8s.io/v1/clusterroles/cr?propagationPolicy=Background\n"
	    "= resources ClusterRole/cr would delete\n"
	    "DELETE /api/v1/namespaces/ns/configmaps/cfg?propagationPolicy=Background\n"
	    "= resources ConfigMap/cfg would delete\n"
	    "= resources ConfigMap/kept kept\n"
	    "DELETE /api/v1/namespaces/ns/serviceaccounts/sa?propagationPolicy=Background\n"
	    "= resources ServiceAccount/sa would delete\n");
	CHECK(res.kept.n == 1 && strcmp(res.kept.v[0].obj->name, "kept") == 0);
	ex_result_free(&res, &plan);
	pl_free(&plan);
	return 0;
}

TEST(stop_before_anything)
{
	static volatile sig_atomic_t stop = SIGTERM;
	pl_input in = { "chart.yaml", demo_chart, sizeof demo_chart - 1 };
	pl_config cfg;
	pl_plan plan;
	ex_options o;
	ex_result res;

	memset(&cfg, 0, sizeof cfg);
	cfg.op = PL_OP_INSTALL;
	cfg.flags = PL_KEEP_BODIES;
	CHECK(pl_build(&plan, &in, 1, &cfg) == 0);
	memset(&o, 0, sizeof o);
	o.op = "install";
	o.release = "rel";
	o.ns = "ns";
	o.flags = EX_DRY_RUN;
	o.stop = &stop;
	seen[0] = 0;
	CHECK(ex_run(&plan, NULL, &o, record, NULL, &res) == EX_R_STOPPED);
	CHECK_STR(seen, "");
	CHECK_STR(res.error, "stopped by SIGTERM");
	CHECK(res.state[0][0] == EX_ST_TODO);
	ex_result_free(&res, &plan);
	pl_free(&plan);
	return 0;
}

/* ---- a whole upgrade through a recording transport ---- */

static const char upgrade_chart[] =
"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n"
"    helm.sh/hook: pre-upgrade\n    helm.sh/hook-delete-policy: hook-failed\n"
"spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n"
"      containers: [{name: c, image: x}]\n"
"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {a: \"1\"}\n"
"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: post\n  annotations:\n"
"    helm.sh/hook: post-upgrade\nspec:\n  containers: [{name: c, image: x}]\n";

static char sent[8192];

/* The server, scripted: what each request of the upgrade gets. */
static int
server(void *arg, const char *verb, const char *path, const char *ctype, const char *body,
    size_t blen, char **answer, size_t *alen)
{
	static const struct {
		const char *verb, *prefix, *answer;
		int status;
	} script[] = {
		/* discovery (whole paths: "=" in front) */
		{ "GET", "=/api/v1", "{\"kind\":\"APIResourceList\",\"resources\":["
		    "{\"name\":\"configmaps\",\"kind\":\"ConfigMap\",\"namespaced\":true},"
		    "{\"name\":\"pods\",\"kind\":\"Pod\",\"namespaced\":true}]}", 200 },
		{ "GET", "=/apis/batch/v1", "{\"kind\":\"APIResourceList\",\"resources\":["
		    "{\"name\":\"jobs\",\"kind\":\"Job\",\"namespaced\":true}]}", 200 },
		/* the dry run: the ConfigMap exists (a resourceVersion) */
		{ "PATCH", "/api/v1/namespaces/ns/configmaps/cfg?fieldManager=hookctl&dryRun=All",
		    "{\"metadata\":{\"name\":\"cfg\",\"resourceVersion\":\"5\"}}", 200 },
		/* so it is read: this release's own */
		{ "GET", "/api/v1/namespaces/ns/configmaps/cfg", "{\"metadata\":{\"name\":\"cfg\","
		    "\"labels\":{\"app.kubernetes.io/managed-by\":\"Helm\"},\"annotations\":{"
		    "\"meta.helm.sh/release-name\":\"rel\",\"meta.helm.sh/release-namespace\":"
		    "\"ns\"}}}", 200 },
		{ "PATCH", "/apis/batch/v1/namespaces/ns/jobs/migrate?fieldManager=hookctl",
		    "{\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\",\"resourceVersion\":"
		    "\"7\"},\"status\":{}}", 200 },
		/* the watch: the Job fails */
		{ "GET", "/apis/batch/v1/namespaces/ns/jobs?fieldSelector=", "{\"type\":\"MODIFIED\","
		    "\"object\":{\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\","
		    "\"resourceVersion\":\"8\"},\"status\":{\"failed\":1,\"conditions\":["
		    "{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\","
		    "\"message\":\"Job has reached the specified backoff limit\"}]}}}\n", 200 },
		{ "GET", "/api/v1/namespaces/ns/pods?labelSelector=", "{\"items\":[{\"metadata\":"
		    "{\"name\":\"migrate-x1\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
		    "\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"c\","
		    "\"state\":{\"terminated\":{\"exitCode\":3,\"reason\":\"Error\"}}}]}}]}", 200 },
		{ "GET", "/api/v1/namespaces/ns/pods/migrate-x1/log", "boom\n", 200 },
		{ "DELETE", "/apis/batch/v1/namespaces/ns/jobs/migrate",
		    "{\"kind\":\"Status\",\"status\":\"Success\"}", 200 },
	};
	size_t i, n = strlen(sent);

	(void)arg, (void)ctype, (void)body, (void)blen;
	snprintf(sent + n, sizeof sent - n, "%s %s\n", verb, path);
	for (i = 0; i < sizeof script / sizeof script[0]; i++) {
		const char *p = script[i].prefix;
		if (strcmp(verb, script[i].verb) != 0 || (p[0] == '=' ? strcmp(path, p + 1) != 0 :
		    strncmp(path, p, strlen(p)) != 0))
			continue;
		*answer = strdup(script[i].answer);
		*alen = strlen(script[i].answer);
		return script[i].status;
	}
	*answer = strdup("{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\"}");
	*alen = strlen(*answer);
	return 404;
}

TEST(upgrade_with_a_failing_hook)
{
	static const char kc[] =
	    "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	    "contexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]\n"
	    "clusters: [{name: c, cluster: {server: \"http://127.0.0.1:1\"}}]\n"
	    "users: [{name: u, user: {token: t}}]\n";
	pl_input in = { "chart.yaml", upgrade_chart, sizeof upgrade_chart - 1 };
	static k8s_client c;
	k8s_config cfg;
	k8s_opts ko;
	k8s_err err;
	pl_config pc;
	pl_plan plan;
	ex_options o;
	ex_result res;

	memset(&ko, 0, sizeof ko);
	memset(&cfg, 0, sizeof cfg);
	memset(&c, 0, sizeof c);
	CHECK(k8s_config_parse(&cfg, kc, sizeof kc - 1, ".", &ko, &err) == 0);
	CHECK(k8s_client_init(&c, &cfg, &err) == 0);
	c.transport = server;
	memset(&pc, 0, sizeof pc);
	pc.op = PL_OP_UPGRADE;
	pc.flags = PL_KEEP_BODIES;
	CHECK(pl_build(&plan, &in, 1, &pc) == 0);
	memset(&o, 0, sizeof o);
	o.op = "upgrade";
	o.release = "rel";
	o.ns = "ns";
	o.timeout_ms = 5000;
	sent[0] = seen[0] = 0;
	CHECK(ex_run(&plan, &c, &o, record, NULL, &res) == EX_R_FAILED);
	/* every request, in order: discovery, the checks before any hook (a
	 * dry run, then a read of what exists), the hook, its watch, its
	 * pods' logs, its hook-failed deletion; nothing after the failure */
	CHECK_STR(sent,
	    "GET /api/v1\n"
	    "PATCH /api/v1/namespaces/ns/configmaps/cfg?fieldManager=hookctl&dryRun=All\n"
	    "GET /api/v1/namespaces/ns/configmaps/cfg\n"
	    "GET /apis/batch/v1\n"
	    "PATCH /apis/batch/v1/namespaces/ns/jobs/migrate?fieldManager=hookctl\n"
	    "GET /apis/batch/v1/namespaces/ns/jobs?fieldSelector=metadata.name=migrate"
	    "&watch=1&resourceVersion=7&allowWatchBookmarks=true\n"
	    "GET /api/v1/namespaces/ns/pods?labelSelector=job-name=migrate\n"
	    "GET /api/v1/namespaces/ns/pods/migrate-x1/log?container=c&tailLines=50\n"
	    "DELETE /apis/batch/v1/namespaces/ns/jobs/migrate?propagationPolicy=Background\n");
	CHECK_STR(seen, "= pre-upgrade Job/migrate failed\n");
	CHECK(strstr(res.error, "BackoffLimitExceeded") != NULL);
	CHECK(strstr(res.error, "container c exited 3") != NULL);
	CHECK(res.deleted.n == 1 && strcmp(res.deleted.v[0].detail, "hook-failed") == 0);
	CHECK(res.state[1][0] == EX_ST_TODO && res.state[2][0] == EX_ST_TODO);
	ex_result_free(&res, &plan);
	pl_free(&plan);
	k8s_client_close(&c);
	k8s_config_free(&cfg);
	return 0;
}

int
main(void)
{
	RUN(job_complete);
	RUN(job_failed_reason);
	RUN(job_pending_last_status);
	RUN(job_first_true_condition_decides);
	RUN(pod_phases);
	RUN(other_kinds_done_at_once);
	RUN(ready_deployment);
	RUN(ready_misc);
	RUN(guess_paths);
	RUN(ownership);
	RUN(dry_install_requests);
	RUN(dry_uninstall_requests);
	RUN(stop_before_anything);
	RUN(upgrade_with_a_failing_hook);
	return unit_done();
}
