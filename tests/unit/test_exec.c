/*
 * test_exec.c: the executor's pure judgements (exec.h): when a hook is
 * finished (Helm's kstatus readers for Job and Pod, helm-vectors.md A13,
 * A14), --wait readiness (helm-readiness.md), dry-run paths.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "cJSON.h"
#include "exec.h"
#include "hookctl.h"
#include "plan.h"
#include "unit.h"

/* exec.o refers to the CLI helpers of hookctl.c: minimal stand-ins. */
void hk_warn(const char *fmt, ...) { (void)fmt; }
void hk_die(int code, const char *fmt, ...) { (void)fmt; exit(code); }
void hk_usage(const char *u) { (void)u; exit(2); }
void *hk_alloc(size_t n) { return malloc(n ? n : 1); }
char *hk_strdup(const char *s) { size_t n = strlen(s) + 1; return memcpy(malloc(n), s, n); }
void hk_load_inputs(hk_inputs *in, char **p, size_t n) { (void)p; (void)n; memset(in, 0, sizeof *in); }
void hk_free_inputs(hk_inputs *in) { (void)in; }

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
	int r = ex_ready_state(NULL, NULL, o, msg, 200);

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
		CHECK(ex_ready_state("apps/v1", "Deployment", o, m, 200) == EX_PENDING);
		CHECK_STR(m, "Replicas: 0/1");
		cJSON_Delete(o);
	}
	return 0;
}

TEST(guess_paths)
{
	char p[300];
	CHECK(ex_guess_path("batch/v1", "Job", "ns", "x", p, sizeof p) == 0);
	CHECK_STR(p, "/apis/batch/v1/namespaces/ns/jobs/x");
	CHECK(ex_guess_path("v1", "ConfigMap", "ns", NULL, p, sizeof p) == 0);
	CHECK_STR(p, "/api/v1/namespaces/ns/configmaps");
	CHECK(ex_guess_path("networking.k8s.io/v1", "Ingress", "a", "i", p, sizeof p) == 0);
	CHECK_STR(p, "/apis/networking.k8s.io/v1/namespaces/a/ingresses/i");
	CHECK(ex_guess_path("policy/v1beta1", "PodSecurityPolicy", "a", "p", p, sizeof p) == 0);
	CHECK_STR(p, "/apis/policy/v1beta1/podsecuritypolicies/p");
	CHECK(ex_guess_path("networking.k8s.io/v1", "NetworkPolicy", "a", "p", p, sizeof p) == 0);
	CHECK_STR(p, "/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/p");
	CHECK(ex_guess_path("apiextensions.k8s.io/v1", "CustomResourceDefinition", "a", "c", p, sizeof p) == 0);
	CHECK_STR(p, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/c");
	CHECK(ex_guess_path("v1", "ConfigMap", "ns", "x", p, 10) == -1);
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
	return unit_done();
}
