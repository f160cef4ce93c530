/*
 * test_plan.c: the planner over hand-built documents (cJSON from JSON text),
 * one test per case of ../shared/spec/helm-vectors.md that the planner
 * decides (A1-A5, A7, A11, A12 ordering, D1-D8, D12), plus the edge cases
 * of issue 4.  The cases that need the YAML reader (A10, files, stdin) are
 * in tests/suite_plan.sh.
 */
#include <stdlib.h>

#include "cJSON.h"
#include "plan.h"
#include "unit.h"

static pl_plan P;
static size_t ndoc;
static char out[4096];

static void
begin(int op, unsigned flags)
{
	pl_config c;

	memset(&c, 0, sizeof c);
	c.op = op;
	c.event = 0;
	c.flags = flags;
	pl_init(&P, &c);
	ndoc = 0;
}

/* Adds one document of template path source; returns pl_add's result.
 * pl_add owns the tree: a leak or a double free fails under ASan. */
static int
add(const char *source, const char *json)
{
	cJSON *r = cJSON_Parse(json);
	int ret;

	if (r == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", json);
		abort();
	}
	ret = pl_add(&P, r, NULL, "in.yaml", source, 0, ndoc, (unsigned)ndoc + 1, 1);
	ndoc++;
	return ret;
}

/* A document from (kind, name, annotations as JSON object text or NULL). */
static int
addk(const char *source, const char *kind, const char *name, const char *ann)
{
	char buf[1024];

	snprintf(buf, sizeof buf, "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":"
	    "{\"name\":\"%s\"%s%s}}", strcmp(kind, "Job") == 0 ? "batch/v1" : "v1", kind,
	    name, ann ? ",\"annotations\":" : "", ann ? ann : "");
	return add(source, buf);
}

static const char *
names(pl_object *const *v, size_t n, const char *sep)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i && sep)
			strcat(out, sep);
		strcat(out, v[i]->name);
	}
	return out;
}

static const pl_phase *
phase(const char *name)
{
	size_t i;

	for (i = 0; i < P.nphases; i++)
		if (strcmp(P.phases[i].name, name) == 0)
			return &P.phases[i];
	return NULL;
}

static const char *
order(const char *name)
{
	const pl_phase *ph = phase(name);

	return ph ? names(ph->steps, ph->nsteps, ",") : "(no phase)";
}

static const pl_object *
obj(const char *name)
{
	size_t i;

	for (i = 0; i < P.nobjs; i++)
		if (strcmp(P.objs[i].name, name) == 0)
			return &P.objs[i];
	return NULL;
}

static const char *
events(const pl_object *o)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; o && i < o->nevents; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, pl_event_name(o->events[i]));
	}
	return out;
}

static const char *
list(const pl_list *l)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, l->v[i]);
	}
	return out;
}

static int
has_diag(int sev, const char *needle)
{
	size_t i;

	for (i = 0; i < P.ndiags; i++)
		if (P.diags[i].severity == sev && strstr(P.diags[i].msg, needle))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- A */

static void
a1_docs(void)
{
	add("one", "{\"apiVersion\":\"v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"first\","
	    "\"labels\":{\"doesnot\":\"matter\"},\"annotations\":{\"helm.sh/hook\":\"pre-install\"}}}");
	add("two", "{\"kind\":\"ReplicaSet\",\"apiVersion\":\"v1beta1\",\"metadata\":{\"name\":"
	    "\"second\",\"annotations\":{\"helm.sh/hook\":\"post-install\"}}}");
	add("three", "{\"kind\":\"ReplicaSet\",\"apiVersion\":\"v1beta1\",\"metadata\":{\"name\":"
	    "\"third\",\"annotations\":{\"helm.sh/hook\":\"no-such-hook\"}}}");
	add("four", "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"fourth\","
	    "\"annotations\":{\"nothing\":\"here\"}}}");
	add("five", "{\"kind\":\"ReplicaSet\",\"apiVersion\":\"v1beta1\",\"metadata\":{\"name\":"
	    "\"fifth\",\"annotations\":{\"helm.sh/hook\":\"post-delete, post-install\"}}}");
	add("six/_six", "\"invalid manifest\"");
	add("eight", "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
	    "\"eighth\"},\"data\":{\"name\":\"value\"}}");
	add("eight", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
	    "\"example-test\",\"annotations\":{\"helm.sh/hook\":\"test\"}}}");
}

TEST(a1_sort_manifests)
{
	const pl_object *o;

	begin(PL_OP_INSTALL, PL_SKIP_UNKNOWN_HOOKS);
	a1_docs();
	CHECK(pl_finish(&P) == 0);
	CHECK(P.nhooks == 4);
	CHECK(P.nresources == 2);
	CHECK_STR(events(obj("first")), "pre-install");
	CHECK_STR(events(obj("second")), "post-install");
	CHECK_STR(events(obj("fifth")), "post-delete,post-install");
	CHECK_STR(events(obj("example-test")), "test");
	CHECK_STR(obj("first")->kind, "Job");
	CHECK_STR(obj("second")->kind, "ReplicaSet");
	CHECK_STR(obj("example-test")->kind, "Pod");
	CHECK_STR((o = obj("fifth"))->source, "five");
	CHECK(obj("third") == NULL);          /* neither hook nor resource */
	CHECK_STR(names(P.resources, P.nresources, ","), "eighth,fourth");
	CHECK_STR(names(P.hooks, P.nhooks, ","), "example-test,fifth,second,first");
	CHECK(has_diag(PL_WARNING, "unknown hook event \"no-such-hook\""));
	CHECK(has_diag(PL_WARNING, "partial template"));
	CHECK(P.nerrors == 0);
	pl_free(&P);
	return 0;
}

TEST(a1_unknown_event_is_an_error_by_default)
{
	begin(PL_OP_INSTALL, 0);
	a1_docs();
	CHECK(pl_finish(&P) == -1);
	CHECK(P.nerrors == 1);
	CHECK(has_diag(PL_ERROR, "unknown hook event \"no-such-hook\""));
	CHECK(obj("third") == NULL);
	pl_free(&P);
	return 0;
}

static const char *const a2_input[][2] = {
	{ "U", "IngressClass" }, { "E", "SecretList" }, { "i", "ClusterRole" },
	{ "I", "ClusterRoleList" }, { "j", "ClusterRoleBinding" },
	{ "J", "ClusterRoleBindingList" }, { "f", "ConfigMap" }, { "u", "CronJob" },
	{ "2", "CustomResourceDefinition" }, { "n", "DaemonSet" }, { "r", "Deployment" },
	{ "!", "HonkyTonkSet" }, { "v", "Ingress" }, { "t", "Job" }, { "c", "LimitRange" },
	{ "a", "Namespace" }, { "A", "NetworkPolicy" }, { "g", "PersistentVolume" },
	{ "h", "PersistentVolumeClaim" }, { "o", "Pod" }, { "3", "PodDisruptionBudget" },
	{ "C", "PodSecurityPolicy" }, { "q", "ReplicaSet" }, { "p", "ReplicationController" },
	{ "b", "ResourceQuota" }, { "k", "Role" }, { "K", "RoleList" }, { "l", "RoleBinding" },
	{ "L", "RoleBindingList" }, { "e", "Secret" }, { "m", "Service" },
	{ "d", "ServiceAccount" }, { "s", "StatefulSet" }, { "1", "StorageClass" },
	{ "w", "APIService" }, { "x", "HorizontalPodAutoscaler" }, { "F", "PriorityClass" },
	{ "M", "MutatingWebhookConfiguration" }, { "V", "ValidatingWebhookConfiguration" }
};

/*
 * Helm's vector names its objects "U", "!"...: not names the API server
 * accepts, which the planner refuses.  They travel as "n-HEX" and come
 * back as the vector's letters.
 */
static const char *
a2_name(const char *letter)
{
	static char buf[64][8];
	static unsigned next;
	char *b = buf[next++ % 64];

	snprintf(b, 8, "n-%02x", (unsigned char)letter[0]);
	return b;
}

static const char *
a2_names(pl_object *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (char)strtol(v[i]->name + 2, NULL, 16);
	out[n] = '\0';
	return out;
}

TEST(a2_install_and_uninstall_order)
{
	size_t i, n = sizeof a2_input / sizeof a2_input[0];

	begin(PL_OP_UNINSTALL, 0);
	for (i = 0; i < n; i++)
		addk("t.yaml", a2_input[i][1], a2_name(a2_input[i][0]), NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(a2_names(P.resources, P.nresources), "FaAbcC3deEf1gh2iIjJkKlLmnopqrxstuUvwMV!");
	CHECK_STR(a2_names(phase("resources")->steps, phase("resources")->nsteps),
	    "VMwvUmutsxrqponLlKkJjIi2hg1fEed3CcbAaF!");
	/* the input is untouched: objs stay in input order */
	for (i = 0; i < n; i++)
		CHECK_STR(P.objs[i].name, a2_name(a2_input[i][0]));
	pl_free(&P);
	return 0;
}

TEST(a3_stable_within_kind_unknown_last)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "ClusterRole", "a", NULL);
	addk("t", "ClusterRole", "A", NULL);
	addk("t", "ConfigMap", "0", NULL);
	addk("t", "ConfigMap", "1", NULL);
	addk("t", "ClusterRoleBinding", "z", NULL);
	addk("t", "ClusterRoleBinding", "!", NULL);
	addk("t", "Unknown", "u2", NULL);
	addk("t", "Unknown", "u1", NULL);
	addk("t", "Unknown2", "t3", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.resources, P.nresources, NULL), "01aAz!u2u1t3");
	pl_free(&P);
	return 0;
}

TEST(a4_namespace_before_unknown)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "Unknown", "a", NULL);
	addk("t", "Namespace", "b", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.resources, P.nresources, NULL), "ba");
	pl_free(&P);
	return 0;
}

TEST(a5_hook_kind_sort)
{
	const char *kinds[] = { "ClusterRole", "ClusterRoleBinding", "LimitRange", "Namespace" };
	const char *nm = "ijca";
	char got[5];
	int idx[4] = { 0, 1, 2, 3 }, i, j, un;

	begin(PL_OP_INSTALL, 0);
	for (i = 0; i < 4; i++) {
		char n[2] = { nm[i], 0 };
		addk("t", kinds[i], n, "{\"helm.sh/hook\":\"pre-install\"}");
	}
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.hooks, P.nhooks, NULL), "acij");   /* rel.Hooks, InstallOrder */
	pl_free(&P);
	/* the helper with UninstallOrder: a stable insertion sort on pl_kind_cmp */
	for (un = 0; un < 2; un++) {
		for (i = 0; i < 4; i++)
			idx[i] = i;
		for (i = 1; i < 4; i++)
			for (j = i; j > 0 && pl_kind_cmp(kinds[idx[j - 1]], kinds[idx[j]], un) > 0; j--) {
				int t = idx[j];
				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		for (i = 0; i < 4; i++)
			got[i] = nm[idx[i]];
		got[4] = 0;
		CHECK_STR(got, un ? "jica" : "acij");
	}
	return 0;
}

TEST(a7_default_delete_policy)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "Job", "none", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("t", "Job", "never", "{\"helm.sh/hook\":\"pre-install\","
	    "\"helm.sh/hook-delete-policy\":\"never\"}");
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("none")->delete_policies.n == 0);
	CHECK_STR(list(&obj("none")->delete_effective), "before-hook-creation");
	CHECK_STR(list(&obj("never")->delete_policies), "never");
	CHECK_STR(list(&obj("never")->delete_effective), "never");
	CHECK(has_diag(PL_WARNING, "unknown delete policy \"never\""));
	pl_free(&P);
	return 0;
}

TEST(a11_object_order)
{
	static const char *const b[] = { "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
		"eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth" };
	size_t i;

	begin(PL_OP_INSTALL, 0);
	addk("object-order/templates/01-a.yml", "NetworkPolicy", "first", NULL);
	addk("object-order/templates/01-a.yml", "NetworkPolicy", "second", NULL);
	addk("object-order/templates/01-a.yml", "NetworkPolicy", "third", NULL);
	addk("object-order/templates/01-a.yml", "Deployment", "fourth", NULL);
	for (i = 0; i < 11; i++)
		addk("object-order/templates/02-b.yml", "NetworkPolicy", b[i],
		    i == 1 ? "{\"helm.sh/hook\":\"pre-install\"}" : NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.resources, P.nresources, ","), "first,second,third,fifth,seventh,"
	    "eighth,ninth,tenth,eleventh,twelfth,thirteenth,fourteenth,fifteenth,fourth");
	CHECK_STR(order("pre-install"), "sixth");
	CHECK_STR(order("post-install"), "");
	pl_free(&P);
	return 0;
}

TEST(a12_test_hooks_trap)
{
	begin(PL_OP_TEST, 0);
	addk("subchart/templates/service.yaml", "Service", "subchart", NULL);
	addk("subchart/templates/tests/test-config.yaml", "ConfigMap", "release-name-testconfig",
	    "{\"helm.sh/hook\":\"test\"}");
	add("subchart/templates/tests/test-nothing.yaml", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"release-name-test\",\"annotations\":{\"helm.sh/hook\":\"test\"}},"
	    "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"test\"}]}}");
	CHECK(pl_finish(&P) == 0);
	/* helm template prints the ConfigMap first (rel.Hooks) ... */
	CHECK_STR(names(P.hooks, P.nhooks, ","), "release-name-testconfig,release-name-test");
	/* ... but helm test runs the Pod first: equal weight, the name decides */
	CHECK(P.nphases == 1);
	CHECK_STR(order("test"), "release-name-test,release-name-testconfig");
	CHECK(obj("release-name-test")->wait == PL_WAIT_SUCCEEDED);
	CHECK(obj("release-name-testconfig")->wait == PL_WAIT_NONE);
	CHECK(P.nwarnings == 0);
	pl_free(&P);
	return 0;
}

/* ---------------------------------------------------------------- D */

TEST(d1_atoi)
{
	static const struct { const char *s; int r; int64_t v; } t[] = {
		{ "5", 0, 5 }, { "-5", 0, -5 }, { "0", 0, 0 }, { "", -1, 0 }, { "abc", -1, 0 },
		{ "+3", 0, 3 }, { " 2", -1, 0 }, { "2 ", -1, 0 }, { "1.5", -1, 0 }, { "007", 0, 7 },
		{ "-0", 0, 0 }, { "99999999999999999999", -2, 0 }, { "1_000", -1, 0 },
		{ "0x10", -1, 0 }, { "-2147483649", 0, -2147483649LL }, { "+", -1, 0 }, { "-", -1, 0 },
		{ "9223372036854775807", 0, INT64_MAX }, { "9223372036854775808", -2, 0 },
		{ "-9223372036854775808", 0, INT64_MIN }, { "-9223372036854775809", -2, 0 },
		{ "99999999999999999999x", -1, 0 }, { "++1", -1, 0 }
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t v = 42;
		int r = pl_atoi(t[i].s, &v);

		if (r != t[i].r || v != t[i].v) {
			snprintf(unit_why, sizeof unit_why, "pl_atoi(\"%s\") = %d, %lld", t[i].s, r,
			    (long long)v);
			return 1;
		}
	}
	return 0;
}

TEST(d1_weight_order)
{
	static const char *const w[] = {
		"\"5\"", "\"-5\"", "\"0\"", NULL, "\"abc\"", "\"+3\"", "\" 2\"", "\"1.5\"",
		"\"007\"", "\"-0\"", "\"99999999999999999999\"", "\"\"", "5.0", "-10",
		"\"1_000\"", "\"-2147483649\""
	};
	size_t i;

	begin(PL_OP_INSTALL, 0);
	for (i = 0; i < 16; i++) {
		char ann[128], n[2] = { (char)('a' + i), 0 };

		if (w[i])
			snprintf(ann, sizeof ann, "{\"helm.sh/hook\":\"pre-install\","
			    "\"helm.sh/hook-weight\":%s}", w[i]);
		else
			snprintf(ann, sizeof ann, "{\"helm.sh/hook\":\"pre-install\"}");
		addk("templates/hooks.yaml", "Job", n, ann);
	}
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(phase("pre-install")->steps, phase("pre-install")->nsteps, NULL),
	    "pnbcdeghjklofami");
	CHECK(obj("p")->weight == -2147483649LL);
	CHECK(obj("m")->weight == 5);
	CHECK(has_diag(PL_WARNING, "\"1.5\" is not an integer"));
	CHECK(has_diag(PL_WARNING, "\" 2\" is not an integer"));
	CHECK(has_diag(PL_WARNING, "out of range"));
	CHECK(has_diag(PL_WARNING, "hook-weight is not a string"));   /* 5.0 and -10 unquoted */
	CHECK(!has_diag(PL_WARNING, "\"007\""));
	CHECK(!has_diag(PL_WARNING, "\"+3\""));
	CHECK(P.nerrors == 0);
	pl_free(&P);
	return 0;
}

TEST(d2_name_beats_kind)
{
	begin(PL_OP_INSTALL, 0);
	addk("templates/h.yaml", "ServiceAccount", "zz-sa", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("templates/h.yaml", "Job", "aa-job", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("templates/h.yaml", "ConfigMap", "mm-cm", "{\"helm.sh/hook\":\"pre-install\"}");
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.hooks, P.nhooks, ","), "zz-sa,mm-cm,aa-job");
	CHECK_STR(order("pre-install"), "aa-job,mm-cm,zz-sa");
	pl_free(&P);
	return 0;
}

TEST(d3_equal_weight_and_name_kind_decides)
{
	size_t i;
	int op;

	for (op = PL_OP_INSTALL; op <= PL_OP_UPGRADE; op++) {
		const pl_phase *ph;

		begin(op, 0);
		addk("templates/a.yaml", "Job", "migrate", "{\"helm.sh/hook\":\"pre-install,pre-upgrade\"}");
		addk("templates/b.yaml", "Role", "migrate", "{\"helm.sh/hook\":\"pre-install,pre-upgrade\"}");
		addk("templates/b.yaml", "ServiceAccount", "migrate",
		    "{\"helm.sh/hook\":\"pre-install,pre-upgrade\"}");
		CHECK(pl_finish(&P) == 0);
		ph = phase(op == PL_OP_INSTALL ? "pre-install" : "pre-upgrade");
		CHECK(ph && ph->nsteps == 3);
		CHECK_STR(ph->steps[0]->kind, "ServiceAccount");
		CHECK_STR(ph->steps[1]->kind, "Role");
		CHECK_STR(ph->steps[2]->kind, "Job");
		for (i = 0; i < 3; i++)
			CHECK(P.hooks[i] == ph->steps[i]);
		pl_free(&P);
	}
	return 0;
}

static void
d4_docs(void)
{
	addk("t", "Job", "x", "{\"helm.sh/hook\":\"pre-install,post-install\",\"helm.sh/hook-weight\":\"1\"}");
	addk("t", "Job", "y", "{\"helm.sh/hook\":\"post-install\",\"helm.sh/hook-weight\":\"-1\"}");
	addk("t", "Job", "z", "{\"helm.sh/hook\":\"pre-upgrade, Post-Upgrade\"}");
	addk("t", "Job", "w", "{\"helm.sh/hook\":\"pre-install,pre-install\"}");
	addk("t", "Pod", "t1", "{\"helm.sh/hook\":\"test-success\"}");
	addk("t", "Pod", "t2", "{\"helm.sh/hook\":\"test,test-success\"}");
}

TEST(d4_events_case_duplicates)
{
	static const struct { int op; const char *ph, *want; } t[] = {
		{ PL_OP_INSTALL, "pre-install", "w,w,x" }, { PL_OP_INSTALL, "post-install", "y,x" },
		{ PL_OP_UPGRADE, "pre-upgrade", "z" }, { PL_OP_UPGRADE, "post-upgrade", "z" },
		{ PL_OP_TEST, "test", "t1,t2,t2" }, { PL_OP_UNINSTALL, "pre-delete", "" },
		{ PL_OP_UNINSTALL, "post-delete", "" }, { PL_OP_ROLLBACK, "pre-rollback", "" },
		{ PL_OP_ROLLBACK, "post-rollback", "" }
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		begin(t[i].op, 0);
		d4_docs();
		CHECK(pl_finish(&P) == 0);
		CHECK_STR(events(obj("x")), "pre-install,post-install");
		CHECK_STR(events(obj("z")), "pre-upgrade,post-upgrade");
		CHECK_STR(events(obj("w")), "pre-install,pre-install");
		CHECK_STR(events(obj("t1")), "test");
		CHECK_STR(events(obj("t2")), "test,test");
		CHECK_STR(names(P.hooks, P.nhooks, ","), "t1,t2,x,y,z,w");
		CHECK_STR(order(t[i].ph), t[i].want);
		pl_free(&P);
	}
	return 0;
}

TEST(d5_unknown_or_malformed_events)
{
	static const struct { const char *v; const char *diag; } bad[] = {
		{ "pre-install post-install", "unknown hook event \"pre-install post-install\"" },
		{ "pre-install,", "empty hook event" },
		{ "crd-install", "unknown hook event \"crd-install\"" },
		{ "test-failure", "unknown hook event \"test-failure\"" },
		{ "", "empty hook event" },
		{ "pre-install,bogus", "unknown hook event \"bogus\"" },
		{ "a,,b", "empty hook event" }
	};
	size_t i;
	int skip;

	for (skip = 0; skip < 2; skip++)
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char ann[128];

			begin(PL_OP_INSTALL, skip ? PL_SKIP_UNKNOWN_HOOKS : 0);
			snprintf(ann, sizeof ann, "{\"helm.sh/hook\":\"%s\"}", bad[i].v);
			addk("t", "Job", "j", ann);
			CHECK(pl_finish(&P) == (skip ? 0 : -1));
			CHECK(P.nobjs == 0 && P.nhooks == 0 && P.nresources == 0);
			CHECK(has_diag(skip ? PL_WARNING : PL_ERROR, bad[i].diag));
			pl_free(&P);
		}
	begin(PL_OP_INSTALL, 0);
	addk("t", "Job", "upper", "{\"helm.sh/hook\":\"PRE-INSTALL\"}");
	addk("t", "Job", "other", "{\"other\":\"x\"}");
	addk("t", "Job", "plain", NULL);
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"nullann\","
	    "\"annotations\":null}}");
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(order("pre-install"), "upper");
	CHECK_STR(names(P.resources, P.nresources, ","), "nullann,other,plain");
	pl_free(&P);
	return 0;
}

TEST(d5_error_names_the_token_column)
{
	/* no marks here: the column is the document's; the suite checks real columns */
	begin(PL_OP_INSTALL, 0);
	addk("chart/templates/crds.yaml", "CustomResourceDefinition", "c",
	    "{\"helm.sh/hook\":\"crd-install\"}");
	CHECK(pl_finish(&P) == -1);
	CHECK(P.ndiags == 1);
	CHECK_STR(P.diags[0].file, "in.yaml");
	CHECK_STR(P.diags[0].source, "chart/templates/crds.yaml");
	CHECK(P.diags[0].line == 1);
	pl_free(&P);
	return 0;
}

TEST(d6_delete_policies)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "Job", "absent", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("t", "Job", "hs", "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":"
	    "\"hook-succeeded\"}");
	addk("t", "Job", "caps", "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":"
	    "\"before-hook-creation, Hook-Succeeded\"}");
	addk("t", "Job", "empty", "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":"
	    "\"\"}");
	addk("t", "Job", "never", "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":"
	    "\"never\"}");
	addk("t", "Job", "gap", "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":"
	    "\"hook-succeeded,,hook-failed\"}");
	addk("t", "CustomResourceDefinition", "crd", "{\"helm.sh/hook\":\"pre-install\","
	    "\"helm.sh/hook-delete-policy\":\" HOOK-SUCCEEDED \"}");
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("absent")->delete_policies.n == 0 && !obj("absent")->delete_policies.present);
	CHECK_STR(list(&obj("absent")->delete_effective), "before-hook-creation");
	CHECK_STR(list(&obj("hs")->delete_policies), "hook-succeeded");
	CHECK_STR(list(&obj("hs")->delete_effective), "hook-succeeded");
	CHECK_STR(list(&obj("caps")->delete_effective), "before-hook-creation|hook-succeeded");
	CHECK(obj("empty")->delete_policies.n == 1);
	CHECK_STR(obj("empty")->delete_policies.v[0], "");
	CHECK(obj("empty")->delete_effective.n == 1);
	CHECK_STR(list(&obj("never")->delete_effective), "never");
	CHECK_STR(list(&obj("gap")->delete_policies), "hook-succeeded||hook-failed");
	CHECK_STR(list(&obj("crd")->delete_policies), "hook-succeeded");
	CHECK(obj("crd")->delete_effective.n == 0);      /* CRD hooks are never deleted */
	CHECK(has_diag(PL_WARNING, "unknown delete policy \"\""));
	CHECK(!has_diag(PL_WARNING, "Hook-Succeeded"));
	pl_free(&P);
	return 0;
}

TEST(d7_unknown_and_empty_kinds)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "Zeta", "z1", NULL);
	addk("t", "Alpha", "a1", NULL);
	addk("t", "Namespace", "ns", NULL);
	addk("t", "Alpha", "a0", NULL);
	add("t", "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"nokind\"}}");
	addk("t", "Deployment", "dep", NULL);
	/* hookctl refuses a document without kind (an error), but orders it as Helm */
	CHECK(pl_finish(&P) == -1);
	CHECK(has_diag(PL_ERROR, "no kind"));
	CHECK_STR(names(P.resources, P.nresources, ","), "ns,dep,nokind,a1,a0,z1");
	pl_free(&P);
	CHECK(pl_kind_cmp("", "Alpha", 0) < 0);
	CHECK(pl_kind_cmp("Deployment", "", 0) < 0);
	CHECK(pl_kind_cmp("Alpha", "Zeta", 0) < 0);
	CHECK(pl_kind_cmp("Alpha", "Alpha", 0) == 0);
	begin(PL_OP_INSTALL, 0);
	addk("t", "Zeta", "z1", NULL);
	addk("t", "Alpha", "a1", NULL);
	addk("t", "Namespace", "ns", NULL);
	addk("t", "Alpha", "a0", NULL);
	addk("t", "Deployment", "dep", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.resources, P.nresources, ","), "ns,dep,a1,a0,z1");
	pl_free(&P);
	return 0;
}

TEST(d8_path_order)
{
	begin(PL_OP_INSTALL, 0);
	addk("mychart/templates/b.yaml", "ConfigMap", "from-b", NULL);
	addk("mychart/templates/a.yaml", "ConfigMap", "from-a", NULL);
	addk("mychart/charts/sub/templates/z.yaml", "ConfigMap", "from-sub", NULL);
	addk("mychart/templates/A.yaml", "ConfigMap", "from-upper-a", NULL);
	add("mychart/templates/_helpers.tpl", "\"{{ define }}\"");
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(names(P.resources, P.nresources, ","), "from-sub,from-upper-a,from-a,from-b");
	pl_free(&P);
	return 0;
}

TEST(d12_resource_policy)
{
	const pl_phase *ph;

	begin(PL_OP_UNINSTALL, 0);
	addk("t", "ConfigMap", "absent", NULL);
	addk("t", "ConfigMap", "keep", "{\"helm.sh/resource-policy\":\"keep\"}");
	addk("t", "ConfigMap", "upper-keep", "{\"helm.sh/resource-policy\":\" KEEP \"}");
	addk("t", "ConfigMap", "delete", "{\"helm.sh/resource-policy\":\"delete\"}");
	addk("t", "Job", "hook", "{\"helm.sh/hook\":\"pre-delete\",\"helm.sh/resource-policy\":\"keep\"}");
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("absent")->policy == PL_POLICY_NONE);
	CHECK(obj("keep")->policy == PL_POLICY_KEEP);
	CHECK(obj("upper-keep")->policy == PL_POLICY_KEEP);
	CHECK(obj("delete")->policy == PL_POLICY_OTHER);
	CHECK(obj("hook")->policy == PL_POLICY_NONE);   /* ignored on hooks */
	CHECK(has_diag(PL_WARNING, "resource-policy \"delete\" is not keep"));
	ph = phase("resources");
	CHECK(ph && ph->nsteps == 4);                   /* all listed; the executor skips kept ones */
	CHECK_STR(order("pre-delete"), "hook");
	pl_free(&P);
	return 0;
}

/* ---------------------------------------------------------------- issue 4's edge cases */

TEST(edge_four_events)
{
	static const char ann[] = "{\"helm.sh/hook\":\"pre-install,pre-upgrade,post-install,post-upgrade\","
	    "\"helm.sh/hook-delete-policy\":\"before-hook-creation,hook-succeeded\"}";
	int op;

	for (op = PL_OP_INSTALL; op <= PL_OP_UPGRADE; op++) {
		begin(op, 0);
		addk("t", "ClusterRole", "admission", ann);
		addk("t", "Deployment", "app", NULL);
		CHECK(pl_finish(&P) == 0);
		CHECK(P.nphases == 3);
		CHECK_STR(P.phases[0].name, op == PL_OP_INSTALL ? "pre-install" : "pre-upgrade");
		CHECK_STR(order(P.phases[0].name), "admission");
		CHECK_STR(order("resources"), "app");
		CHECK_STR(order(P.phases[2].name), "admission");
		CHECK(P.phases[0].steps[0] == P.phases[2].steps[0]);   /* one object, two steps */
		pl_free(&P);
	}
	return 0;
}

TEST(edge_run_one_event)
{
	pl_config c = { PL_OP_RUN, PL_EV_POST_INSTALL, 0 };

	pl_init(&P, &c);
	ndoc = 0;
	d4_docs();
	CHECK(pl_finish(&P) == 0);
	CHECK(P.nphases == 1);
	CHECK_STR(P.phases[0].name, "post-install");
	CHECK_STR(order("post-install"), "y,x");
	pl_free(&P);
	return 0;
}

TEST(edge_wait_kinds)
{
	begin(PL_OP_INSTALL, 0);
	addk("t", "Job", "job", "{\"helm.sh/hook\":\"pre-install\"}");
	add("t", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"crjob\","
	    "\"annotations\":{\"helm.sh/hook\":\"pre-install\"}}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod\","
	    "\"annotations\":{\"helm.sh/hook\":\"pre-install\"}}}");
	addk("t", "Deployment", "dep", "{\"helm.sh/hook\":\"pre-install\"}");
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("job")->wait == PL_WAIT_COMPLETE);
	CHECK(obj("crjob")->wait == PL_WAIT_NONE);    /* kstatus: group batch only */
	CHECK(obj("pod")->wait == PL_WAIT_SUCCEEDED);
	CHECK(obj("dep")->wait == PL_WAIT_NONE);
	CHECK(has_diag(PL_WARNING, "Pod hook pod has restartPolicy Always (the default)"));
	CHECK(has_diag(PL_WARNING, "Deployment hook dep is not waited for"));
	pl_free(&P);
	return 0;
}

TEST(edge_lint_head_and_duplicates)
{
	begin(PL_OP_INSTALL, 0);
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\"}}");
	add("u", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\"}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\","
	    "\"namespace\":\"other\"}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[]}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}");
	add("t", "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"noapi\"}}");
	add("t", "[1, 2]");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":3,\"metadata\":{\"name\":\"k\"}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
	    "\"annotations\":{\"helm.sh/hook\":{\"x\":1}}}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"lp\","
	    "\"annotations\":{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-output-log-policy\":"
	    "\"Hook-Failed, sometimes\"}}}");
	CHECK(pl_finish(&P) == -1);
	CHECK(has_diag(PL_WARNING, "duplicate ConfigMap dup"));
	CHECK(!has_diag(PL_WARNING, "duplicate ConfigMap other/dup"));
	CHECK(has_diag(PL_ERROR, "no metadata.name"));
	CHECK(has_diag(PL_ERROR, "no apiVersion"));
	CHECK(has_diag(PL_ERROR, "must be a mapping"));
	CHECK(has_diag(PL_ERROR, "kind: expected a string"));
	CHECK(has_diag(PL_ERROR, "annotation helm.sh/hook: expected a string"));
	CHECK(has_diag(PL_WARNING, "unknown output-log policy \"sometimes\""));
	CHECK(P.nerrors == 5);
	CHECK_STR(list(&obj("lp")->log_policies), "hook-failed|sometimes");
	CHECK(obj("dup") != NULL);
	pl_free(&P);
	return 0;
}

TEST(edge_keep_bodies)
{
	begin(PL_OP_INSTALL, PL_KEEP_BODIES);
	addk("t", "Job", "j", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("t", "Job", "bad", "{\"helm.sh/hook\":\"nope\"}");    /* freed by pl_add */
	addk("t", "ConfigMap", "c", NULL);
	CHECK(pl_finish(&P) == -1);
	CHECK(obj("j")->body != NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(obj("c")->body, "kind")->valuestring, "ConfigMap");
	pl_free(&P);
	begin(PL_OP_INSTALL, 0);
	addk("t", "ConfigMap", "c", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("c")->body == NULL);
	pl_free(&P);
	return 0;
}

TEST(edge_list_items_owned)
{
	static const char list[] = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"i1\"}},"
	    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"i2\"}}]}";
	unsigned flags[] = { 0, PL_KEEP_BODIES };
	size_t i;

	/* each item is given to pl_add, the List itself freed: no leak, either way */
	for (i = 0; i < 2; i++) {
		begin(PL_OP_INSTALL, flags[i]);
		CHECK(add("t", list) == 0);
		CHECK(pl_finish(&P) == 0);
		CHECK_STR(names(P.resources, P.nresources, ","), "i1,i2");
		CHECK_STR(obj("i1")->list_kind, "List");
		CHECK((obj("i2")->body != NULL) == (flags[i] != 0));
		pl_free(&P);
	}
	return 0;
}

/* The plan of YAML text (one input, t.yaml) with pl_build. */
static int
build(const char *yaml, unsigned flags)
{
	pl_input in;
	pl_config c;
	size_t n = strlen(yaml);
	char *b = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
	int r;

	memcpy(b, yaml, n);
	memset(&c, 0, sizeof c);
	c.op = PL_OP_INSTALL;
	c.flags = flags;
	in.path = "t.yaml";
	in.buf = b;
	in.len = n;
	r = pl_build(&P, &in, 1, &c);
	free(b);   /* nothing in the plan points into the input */
	return r;
}

TEST(build_sources_and_token_columns)
{
	const char *y =
	    "# Source: c/templates/a.yaml\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
	    "# Source: c/crds/b.yaml\n---\n"
	    "---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
	    "---\n"
	    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n"
	    "    helm.sh/hook: &h \"pre-install, bogus\"\n"
	    "---\n"
	    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: k\n  annotations:\n"
	    "    helm.sh/hook: \"pre-install,\\tbogus\"\n";
	unsigned flags[] = { 0, PL_KEEP_BODIES };
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK(build(y, flags[i]) == -1);
		CHECK_STR(obj("a")->source, "c/templates/a.yaml");
		CHECK_STR(obj("b")->source, "c/crds/b.yaml");    /* across a null document */
		CHECK(P.ndiags == 2);
		/* the token's own column, after the anchor */
		CHECK_STR(P.diags[0].source, "c/crds/b.yaml");   /* in force after it */
		CHECK(P.diags[0].line == 19 && P.diags[0].col == 36);
		/* an escape before it: the value's column */
		CHECK(P.diags[1].line == 26 && P.diags[1].col == 19);
		pl_free(&P);
	}
	return 0;
}

TEST(edge_names)
{
	CHECK(pl_op_parse("install") == PL_OP_INSTALL);
	CHECK(pl_op_parse("uninstall") == PL_OP_UNINSTALL);
	CHECK(pl_op_parse("run") == -1);
	CHECK(pl_op_parse("delete") == -1);
	CHECK(pl_event_parse("test-success") == PL_EV_TEST);
	CHECK(pl_event_parse("Test") == -1);        /* the caller lower-cases */
	CHECK(pl_event_parse("crd-install") == -1);
	CHECK_STR(pl_event_name(PL_EV_PRE_DELETE), "pre-delete");
	CHECK_STR(pl_event_name(PL_EV_RESOURCES), "resources");
	CHECK_STR(pl_wait_name(PL_WAIT_COMPLETE), "complete");
	CHECK(pl_kind_index("ValidatingWebhookConfiguration", 0) == 37);
	CHECK(pl_kind_index("ValidatingWebhookConfiguration", 1) == 0);
	CHECK(pl_kind_index("job", 0) == -1);
	return 0;
}

TEST(json_shape)
{
	cJSON *j, *ph, *st;
	char *s;

	begin(PL_OP_INSTALL, 0);
	addk("chart/templates/migrate.yaml", "Job", "db-migrate",
	    "{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-weight\":\"-5\"}");
	addk("chart/templates/cm.yaml", "ConfigMap", "cm", NULL);
	CHECK(pl_finish(&P) == 0);
	j = pl_to_json(&P);
	CHECK(j != NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(j, "operation")->valuestring, "install");
	ph = cJSON_GetObjectItemCaseSensitive(j, "phases");
	CHECK(cJSON_GetArraySize(ph) == 3);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ph, 0), "name")->valuestring,
	    "pre-install");
	st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ph, 0), "steps"), 0);
	s = cJSON_PrintUnformatted(st);
	CHECK(s != NULL);
	CHECK(strstr(s, "\"kind\":\"Job\"") && strstr(s, "\"name\":\"db-migrate\"") &&
	    strstr(s, "\"namespace\":null") && strstr(s, "\"weight\":-5") &&
	    strstr(s, "\"source\":\"chart/templates/migrate.yaml\"") &&
	    strstr(s, "\"delete_policies\":[\"before-hook-creation\"]") &&
	    strstr(s, "\"wait\":\"complete\""));
	free(s);
	cJSON_Delete(j);
	pl_free(&P);
	return 0;
}

TEST(lint_needs)
{
	begin(PL_OP_INSTALL, 0);
	/* D2: the Job runs before the ServiceAccount and ConfigMap it uses */
	addk("templates/h.yaml", "ServiceAccount", "zz-sa", "{\"helm.sh/hook\":\"pre-install\"}");
	add("templates/h.yaml", "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":"
	    "\"aa-job\",\"annotations\":{\"helm.sh/hook\":\"pre-install\"}},\"spec\":{\"template\":"
	    "{\"spec\":{\"serviceAccountName\":\"zz-sa\",\"restartPolicy\":\"Never\",\"containers\":"
	    "[{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"mm-cm\"}}],\"env\":[{\"name\":"
	    "\"X\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"app-secret\",\"key\":\"k\"}}}]}],"
	    "\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"early\"}}]}}}}");
	addk("templates/h.yaml", "ConfigMap", "mm-cm", "{\"helm.sh/hook\":\"pre-install\"}");
	addk("templates/h.yaml", "ConfigMap", "early", "{\"helm.sh/hook\":\"pre-install\","
	    "\"helm.sh/hook-weight\":\"-1\"}");
	addk("templates/secret.yaml", "Secret", "app-secret", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK_STR(order("pre-install"), "early,aa-job,mm-cm,zz-sa");
	CHECK(obj("aa-job")->nneeds == 4);
	CHECK(has_diag(PL_WARNING, "pre-install hook Job/aa-job needs ServiceAccount/zz-sa, which "
	    "this phase creates after it (weight 0, then 0; equal weights run in name order"));
	CHECK(has_diag(PL_WARNING, "Job/aa-job needs ConfigMap/mm-cm, which this phase creates after it"));
	CHECK(!has_diag(PL_WARNING, "ConfigMap/early"));
	CHECK(has_diag(PL_WARNING, "pre-install hook Job/aa-job needs Secret/app-secret, one of the "
	    "release's resources"));
	CHECK(P.nwarnings == 3);
	pl_free(&P);
	/* the same chart as a post-install hook: the resources exist by then */
	begin(PL_OP_INSTALL, 0);
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
	    "\"apps\",\"annotations\":{\"helm.sh/hook\":\"post-install\"}},\"spec\":{\"restartPolicy\":"
	    "\"Never\",\"serviceAccount\":\"sa\"}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa\","
	    "\"namespace\":\"apps\"}}");
	addk("t", "Namespace", "apps", NULL);
	CHECK(pl_finish(&P) == 0);
	CHECK(obj("p")->nneeds == 2);
	CHECK(P.nwarnings == 0);
	pl_free(&P);
	/* another namespace does not provide it */
	begin(PL_OP_INSTALL, 0);
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"annotations\":"
	    "{\"helm.sh/hook\":\"pre-install\"}},\"spec\":{\"restartPolicy\":\"Never\","
	    "\"serviceAccountName\":\"sa\"}}");
	add("t", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa\","
	    "\"namespace\":\"other\",\"annotations\":{\"helm.sh/hook\":\"pre-install\"}}}");
	CHECK(pl_finish(&P) == 0);
	CHECK(P.nwarnings == 0);
	pl_free(&P);
	return 0;
}

int
main(void)
{
	RUN(a1_sort_manifests);
	RUN(a1_unknown_event_is_an_error_by_default);
	RUN(a2_install_and_uninstall_order);
	RUN(a3_stable_within_kind_unknown_last);
	RUN(a4_namespace_before_unknown);
	RUN(a5_hook_kind_sort);
	RUN(a7_default_delete_policy);
	RUN(a11_object_order);
	RUN(a12_test_hooks_trap);
	RUN(d1_atoi);
	RUN(d1_weight_order);
	RUN(d2_name_beats_kind);
	RUN(d3_equal_weight_and_name_kind_decides);
	RUN(d4_events_case_duplicates);
	RUN(d5_unknown_or_malformed_events);
	RUN(d5_error_names_the_token_column);
	RUN(d6_delete_policies);
	RUN(d7_unknown_and_empty_kinds);
	RUN(d8_path_order);
	RUN(d12_resource_policy);
	RUN(edge_four_events);
	RUN(edge_run_one_event);
	RUN(edge_wait_kinds);
	RUN(edge_lint_head_and_duplicates);
	RUN(edge_keep_bodies);
	RUN(edge_list_items_owned);
	RUN(build_sources_and_token_columns);
	RUN(edge_names);
	RUN(json_shape);
	RUN(lint_needs);
	return unit_done();
}
