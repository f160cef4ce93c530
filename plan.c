/*
 * plan.c: the hook planner (see plan.h, docs/planner.md).
 *
 * Helm 4's rules, from helm/helm pkg/release/v1/util/manifest_sorter.go,
 * kind_sorter.go and pkg/action/hooks.go (../shared/spec/helm-hooks.md):
 *  - documents of one template path stay together; paths sort byte-wise;
 *    a path whose base name starts with '_' is a partial and is skipped;
 *  - a document whose annotations have the key helm.sh/hook is a hook: the
 *    value split on ',', each token TrimSpace'd and ToLower'd, one of nine
 *    events or test-success; any unknown or empty token drops the document;
 *  - hooks and resources are each stable-sorted by InstallOrder kind index;
 *  - the hooks of one phase are then stable-sorted by (weight, name).
 *
 * Memory: pl_add owns each tree it is given.  Without PL_KEEP_BODIES only
 * the head fields of a document are copied out and its tree is freed
 * before pl_add returns, so pl_build holds one tree at a time.
 *
 * The input bytes are yaml_min's alone: what plan knows of where and how
 * a thing was written (marks, scalar styles, "# Source:" comments) comes
 * through yaml_min.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* Helm 4 pkg/release/v1/util/kind_sorter.go */
static const char *const install_order[] = {
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
	"SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
	"PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
	"RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"
};

static const char *const uninstall_order[] = {
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
	"Ingress", "IngressClass", "Service", "CronJob", "Job", "StatefulSet",
	"HorizontalPodAutoscaler", "Deployment", "ReplicaSet", "ReplicationController",
	"Pod", "DaemonSet", "RoleBindingList", "RoleBinding", "RoleList", "Role",
	"ClusterRoleBindingList", "ClusterRoleBinding", "ClusterRoleList", "ClusterRole",
	"CustomResourceDefinition", "PersistentVolumeClaim", "PersistentVolume",
	"StorageClass", "ConfigMap", "SecretList", "Secret", "ServiceAccount",
	"PodDisruptionBudget", "PodSecurityPolicy", "LimitRange", "ResourceQuota",
	"NetworkPolicy", "Namespace", "PriorityClass"
};

#define NKINDS (sizeof install_order / sizeof install_order[0])

static const char *const event_names[PL_NEVENTS] = {
	"pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
	"post-upgrade", "pre-rollback", "post-rollback", "test"
};

static const char *const op_names[PL_NOPS] = {
	"install", "upgrade", "uninstall", "rollback", "test", "run"
};

static const char *const known_delete[] = {
	"before-hook-creation", "hook-succeeded", "hook-failed"
};
static const char *const known_log[] = { "hook-succeeded", "hook-failed" };

/* ============================== names ============================== */

/*
 * What the API server accepts (k8s.io/apimachinery validation), checked
 * here because these values become request paths: a value that breaks
 * these rules is refused before anything is sent, with its place.
 */

static int
is_lower_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

#define LABEL_RULE "a DNS-1123 label (at most 63 of a-z, 0-9, '-'; alphanumeric at both ends)"
#define API_RULE "v1 or group/version (a DNS subdomain, '/', a version of a-z, 0-9)"

/* IsDNS1123Label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max bytes. */
static int
dns_label(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max || !is_lower_alnum((unsigned char)s[0]) ||
	    !is_lower_alnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* IsDNS1123Subdomain: labels joined by dots, at most max bytes in all. */
static int
dns_subdomain(const char *s, size_t max)
{
	size_t n = strlen(s);
	const char *dot;

	if (n == 0 || n > max)
		return 0;
	for (;;) {
		dot = strchr(s, '.');
		if (!dns_label(s, dot ? (size_t)(dot - s) : strlen(s), 63))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* see plan.h */
const char *
pl_check_name(const char *kind, const char *name)
{
	static const char *const path_segment_kinds[] = {
		"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"
	};
	size_t i;

	for (i = 0; i < sizeof path_segment_kinds / sizeof *path_segment_kinds; i++)
		if (strcmp(kind, path_segment_kinds[i]) == 0) {
			const unsigned char *u = (const unsigned char *)name;
			/* ValidatePathSegmentName, and no control or space
			 * character (RBAC names such as system:foo are fine) */
			if (name[0] == '\0' || strlen(name) > 253 || strcmp(name, ".") == 0 ||
			    strcmp(name, "..") == 0)
				return "a name of at most 253 characters, not . or ..";
			for (; *u; u++)
				if (*u <= ' ' || *u == 0x7f || *u == '/' || *u == '%')
					return "a name without /, %, spaces or control characters";
			return NULL;
		}
	if (strcmp(kind, "Namespace") == 0 || strcmp(kind, "Service") == 0)
		return dns_label(name, strlen(name), 63) ? NULL : LABEL_RULE;
	return dns_subdomain(name, 253) ? NULL : "a DNS-1123 subdomain (at most 253 of "
	    "a-z, 0-9, '-', '.'; each part alphanumeric at both ends)";
}

/* see plan.h */
const char *
pl_check_namespace(const char *ns)
{
	return dns_label(ns, strlen(ns), 63) ? NULL : LABEL_RULE;
}

/* see plan.h */
const char *
pl_check_release(const char *name)
{
	/* Helm's chartutil.ValidateReleaseName: 53 characters, so that the
	 * "sh.helm.release.v1.NAME.vN" Secret name stays under 63 */
	return strlen(name) <= 53 && dns_subdomain(name, 53) ? NULL : "a release name, as "
	    "Helm's (at most 53 of a-z, 0-9, '-', '.'; each part alphanumeric at both ends)";
}

/* see plan.h */
const char *
pl_check_api_version(const char *av)
{
	const char *slash = strrchr(av, '/');
	size_t gl;
	char group[254];

	if (slash == NULL)
		return dns_label(av, strlen(av), 63) ? NULL : API_RULE;
	gl = (size_t)(slash - av);
	if (gl == 0 || gl >= sizeof group)
		return API_RULE;
	memcpy(group, av, gl);
	group[gl] = '\0';
	if (!dns_subdomain(group, 253) || !dns_label(slash + 1, strlen(slash + 1), 63))
		return API_RULE;
	return NULL;
}

/* see plan.h */
const char *
pl_check_kind(const char *kind)
{
	const char *k = kind;

	/* kinds are Go type names: a letter, then letters and digits */
	if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z')) || strlen(kind) > 63)
		return "a kind: a letter, then letters and digits (at most 63)";
	for (k++; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
		    (*k >= '0' && *k <= '9')))
			return "a kind: a letter, then letters and digits (at most 63)";
	return NULL;
}

/* see plan.h */
size_t
pl_quote(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, shown = 0;

	if (cap < 8) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	out[n++] = '"';
	for (; *u; u++, shown++) {
		if (n + 8 >= cap || shown == 60) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (*u < ' ' || *u == 0x7f || *u == '"' || *u == '\\' || *u >= 0x80) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[*u >> 4];
			out[n++] = hex[*u & 15];
		} else {
			out[n++] = (char)*u;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

/* ============================== lookups ============================== */

/* see plan.h */
int
pl_kind_index(const char *kind, int uninstall)
{
	const char *const *order = uninstall ? uninstall_order : install_order;
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kind, order[i]) == 0)
			return (int)i;
	return -1;
}

/* see plan.h */
int
pl_kind_cmp(const char *a, const char *b, int uninstall)
{
	int ia = pl_kind_index(a, uninstall), ib = pl_kind_index(b, uninstall);

	if (ia >= 0 && ib >= 0)
		return ia - ib;
	if (ia >= 0)
		return -1;
	if (ib >= 0)
		return 1;
	return strcmp(a, b);
}

/* see plan.h */
int
pl_op_parse(const char *s)
{
	int i;

	for (i = 0; i < PL_OP_RUN; i++)
		if (strcmp(s, op_names[i]) == 0)
			return i;
	return -1;
}

/* see plan.h */
const char *
pl_op_name(int op)
{
	return op >= 0 && op < PL_NOPS ? op_names[op] : "?";
}

/* see plan.h */
int
pl_event_parse(const char *token)
{
	int i;

	for (i = 0; i < PL_NEVENTS; i++)
		if (strcmp(token, event_names[i]) == 0)
			return i;
	if (strcmp(token, "test-success") == 0)
		return PL_EV_TEST;
	return -1;
}

/* see plan.h */
const char *
pl_event_name(int ev)
{
	if (ev == PL_EV_RESOURCES)
		return "resources";
	return ev >= 0 && ev < PL_NEVENTS ? event_names[ev] : "?";
}

/* see plan.h */
const char *
pl_wait_name(int wait)
{
	switch (wait) {
	case PL_WAIT_COMPLETE: return "complete";
	case PL_WAIT_SUCCEEDED: return "succeeded";
	default: return "none";
	}
}

/* see plan.h */
int
pl_list_has(const pl_list *l, const char *token)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], token) == 0)
			return 1;
	return 0;
}

/* see plan.h: Go strconv.Atoi with a 64-bit int (ParseInt(s, 10, 0)). */
int
pl_atoi(const char *s, int64_t *out)
{
	uint64_t v = 0, lim;
	int neg = 0;

	*out = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (lim - d) / 10) {
			/* Go reports a range error only once the syntax is known good. */
			for (s++; *s; s++)
				if (*s < '0' || *s > '9')
					return -1;
			return -2;
		}
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* ============================== memory ============================== */

static void *
pmalloc(pl_plan *p, size_t n)
{
	void *m = malloc(n ? n : 1);

	if (m == NULL)
		p->oom = 1;
	return m;
}

static char *
pstrndup(pl_plan *p, const char *s, size_t n)
{
	char *d = pmalloc(p, n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *
pstrdup(pl_plan *p, const char *s)
{
	return s ? pstrndup(p, s, strlen(s)) : NULL;
}

static void
list_free(pl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
list_add(pl_plan *p, pl_list *l, const char *s, size_t n)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	char *d;

	if (v == NULL) {
		p->oom = 1;
		return -1;
	}
	l->v = v;
	if ((d = pstrndup(p, s, n)) == NULL)
		return -1;
	l->v[l->n++] = d;
	return 0;
}

/* ============================== --filter ============================== */

static int
filter_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	char *d;

	if (nv == NULL)
		return -2;
	*v = nv;
	if ((d = malloc(len + 1)) == NULL)
		return -2;
	memcpy(d, s, len);
	d[len] = '\0';
	nv[(*n)++] = d;
	return 0;
}

/* see plan.h */
int
pl_filter_parse(pl_filter *f, const char *arg, char *why, size_t cap)
{
	const char *e = arg;

	for (;;) {
		const char *end = strchr(e, ',');
		size_t len = end ? (size_t)(end - e) : strlen(e), skip = 0;
		int exclude = 0, r, w;
		const char *q, *sep;

		/* Helm: prefix "name=", or the expression ^!\s?name= */
		if (len > 0 && e[0] == '!') {
			exclude = 1;
			skip = 1;
			if (len > 1 && strchr(" \t\n\f\r", e[1]) != NULL)
				skip = 2;
		}
		/* the element is named when the value has more than one */
		w = len != strlen(arg);
		q = w ? "\"" : "";
		sep = w ? "\": " : "";

		if (len < skip + 5 || strncmp(e + skip, "name=", 5) != 0) {
			const char *eq = memchr(e + skip, '=', len - skip);
			if (len == 0)
				snprintf(why, cap, "an empty element: expected name=NAME or !name=NAME");
			else if (eq != NULL)
				snprintf(why, cap, "%s%.*s%sunknown attribute \"%.*s\" (only name is "
				    "supported: name=NAME or !name=NAME)", q, w ? (int)len : 0, e, sep,
				    (int)(eq - e - (long)skip), e + skip);
			else
				snprintf(why, cap, "%s%.*s%sexpected name=NAME or !name=NAME", q,
				    w ? (int)len : 0, e, sep);
			return -1;
		}
		if (len == skip + 5) {
			snprintf(why, cap, "%s%.*s%sno name after '='", q, w ? (int)len : 0, e, sep);
			return -1;
		}
		r = exclude ? filter_add(&f->exclude, &f->nexclude, e + skip + 5, len - skip - 5) :
		    filter_add(&f->include, &f->ninclude, e + skip + 5, len - skip - 5);
		if (r != 0) {
			snprintf(why, cap, "out of memory");
			return r;
		}
		if (end == NULL)
			return 0;
		e = end + 1;
	}
}

/* see plan.h */
void
pl_filter_free(pl_filter *f)
{
	size_t i;

	for (i = 0; i < f->ninclude; i++)
		free(f->include[i]);
	for (i = 0; i < f->nexclude; i++)
		free(f->exclude[i]);
	free(f->include);
	free(f->exclude);
	memset(f, 0, sizeof *f);
}

static int
in_names(char *const *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/* see plan.h */
int
pl_filter_match(const pl_filter *f, const char *name)
{
	if (f == NULL)
		return 1;
	if (in_names(f->exclude, f->nexclude, name))
		return 0;
	return f->ninclude == 0 || in_names(f->include, f->ninclude, name);
}

/* ============================== diagnostics ============================== */

static void vdiag(pl_plan *, int, const char *, const char *, unsigned, unsigned,
    const char *, va_list) __attribute__((format(printf, 7, 0)));
static void diag(pl_plan *, int, const char *, const char *, unsigned, unsigned,
    const char *, ...) __attribute__((format(printf, 7, 8)));

static void
vdiag(pl_plan *p, int sev, const char *file, const char *source, unsigned line,
    unsigned col, const char *fmt, va_list ap)
{
	pl_diag *d;
	char buf[512];

	if (p->ndiags == p->capdiags) {
		size_t cap = p->capdiags ? 2 * p->capdiags : 16;
		pl_diag *v = realloc(p->diags, cap * sizeof *v);

		if (v == NULL) {
			p->oom = 1;
			return;
		}
		p->diags = v;
		p->capdiags = cap;
	}
	vsnprintf(buf, sizeof buf, fmt, ap);
	d = &p->diags[p->ndiags];
	memset(d, 0, sizeof *d);
	d->file = pstrdup(p, file ? file : "");
	d->source = source && file && strcmp(source, file) != 0 ? pstrdup(p, source) : NULL;
	d->msg = pstrdup(p, buf);
	d->line = line;
	d->col = col;
	d->severity = sev;
	if (d->file == NULL || d->msg == NULL) {
		free(d->file);
		free(d->source);
		free(d->msg);
		return;
	}
	p->ndiags++;
	if (sev == PL_ERROR)
		p->nerrors++;
	else
		p->nwarnings++;
}

static void
diag(pl_plan *p, int sev, const char *file, const char *source, unsigned line,
    unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, sev, file, source, line, col, fmt, ap);
	va_end(ap);
}

/* ============================== one document ============================== */

/* What pl_add knows about the document being added. */
typedef struct {
	pl_plan *p;
	const ym_marks *marks;
	const char *file, *source;
	unsigned line, col;     /* of the document */
} doc_ctx;

/* The place of node (its value), else the document's. */
static void
where(const doc_ctx *c, const cJSON *node, int key, unsigned *line, unsigned *col)
{
	ym_mark m;

	*line = c->line;
	*col = c->col;
	if (c->marks == NULL || node == NULL)
		return;
	if ((key ? ym_where_key(c->marks, node, &m) : ym_where(c->marks, node, &m)) == 0) {
		*line = m.line;
		*col = m.col;
	}
}

static void ddiag(const doc_ctx *, int, const cJSON *, int, unsigned, const char *, ...)
    __attribute__((format(printf, 6, 7)));

static void
ddiag(const doc_ctx *c, int sev, const cJSON *node, int key, unsigned coladd,
    const char *fmt, ...)
{
	va_list ap;
	unsigned line, col;

	where(c, node, key, &line, &col);
	va_start(ap, fmt);
	vdiag(c->p, sev, c->file, c->source, line, col + coladd, fmt, ap);
	va_end(ap);
}

/* Go strings.TrimSpace over ASCII white space plus U+0085 and U+00A0. */
static void
trim(const char **s, size_t *n)
{
	const unsigned char *b = (const unsigned char *)*s;
	size_t i = 0, e = *n;

	for (;;) {
		if (i < e && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')))
			i++;
		else if (i + 1 < e && b[i] == 0xc2 && (b[i + 1] == 0x85 || b[i + 1] == 0xa0))
			i += 2;
		else
			break;
	}
	for (;;) {
		if (e > i && (b[e - 1] == ' ' || (b[e - 1] >= '\t' && b[e - 1] <= '\r')))
			e--;
		else if (e >= i + 2 && b[e - 2] == 0xc2 && (b[e - 1] == 0x85 || b[e - 1] == 0xa0))
			e -= 2;
		else
			break;
	}
	*s = (const char *)b + i;
	*n = e - i;
}

/* ASCII lower-case copy into buf (tokens that matter are ASCII). */
static const char *
lower(char *buf, size_t cap, const char *s, size_t n)
{
	size_t i;

	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	buf[n] = '\0';
	return buf;
}

/*
 * An annotation value as Helm's map[string]string sees it: sigs.k8s.io/yaml
 * turns unquoted scalars into their string form.  Returns a malloc'd string,
 * or NULL (with *bad set) for a mapping or a sequence.
 */
static char *
annotation_text(pl_plan *p, const cJSON *v, int *nonstring, int *bad)
{
	char buf[64];

	*nonstring = 0;
	*bad = 0;
	if (cJSON_IsString(v))
		return pstrdup(p, v->valuestring);
	*nonstring = 1;
	if (cJSON_IsRaw(v))
		return pstrdup(p, v->valuestring);
	if (cJSON_IsNull(v))
		return pstrdup(p, "");
	if (cJSON_IsBool(v))
		return pstrdup(p, cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		int prec;

		if (d == (double)(int64_t)d && d > -9.2e18 && d < 9.2e18) {
			snprintf(buf, sizeof buf, "%lld", (long long)(int64_t)d);
		} else {
			for (prec = 15; prec <= 17; prec++) {
				snprintf(buf, sizeof buf, "%.*g", prec, d);
				if (strtod(buf, NULL) == d)
					break;
			}
		}
		return pstrdup(p, buf);
	}
	*bad = 1;
	return NULL;
}

/*
 * The column of byte off of node's string value, relative to node's own:
 * known when the value is its text as written (ym_scalar.verbatim: plain
 * or quoted on one line, no escapes); else 0, and the message points at
 * the value.
 */
static unsigned
token_col(const doc_ctx *c, const cJSON *node, size_t off)
{
	ym_mark m;
	ym_scalar sc;

	if (c->marks == NULL || !cJSON_IsString(node) || ym_where(c->marks, node, &m) != 0 ||
	    ym_scalar_at(c->marks, node, &sc) != 0 || !sc.verbatim ||
	    sc.content.line != m.line || sc.content.col < m.col)
		return 0;
	return (unsigned)(sc.content.col - m.col + off);
}

/* Splits a policy annotation like Helm's operateAnnotationValues. */
static void
parse_list(const doc_ctx *c, pl_list *l, const char *value)
{
	const char *s = value;

	l->present = 1;
	for (;;) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *t = s;
		char low[128];

		trim(&t, &n);
		if (n < sizeof low) {
			lower(low, sizeof low, t, n);
			list_add(c->p, l, low, n);
		} else {
			list_add(c->p, l, t, n);   /* too long to be a known value anyway */
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

static int
known(const char *s, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static const cJSON *
member(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* A string field of the head: "" when absent or null; -1 if another type. */
static int
head_string(const doc_ctx *c, const cJSON *obj, const char *key, const char *what,
    const char **out)
{
	const cJSON *v = member(obj, key);

	*out = "";
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v)) {
		ddiag(c, PL_ERROR, v, 0, 0, "%s: expected a string", what);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

static void
object_free(pl_object *o)
{
	free((char *)o->api_version);
	free((char *)o->kind);
	free((char *)o->name);
	free((char *)o->ns);
	free((char *)o->source);
	free((char *)o->file);
	free(o->list_kind);
	free(o->events);
	list_free(&o->delete_policies);
	list_free(&o->delete_effective);
	list_free(&o->log_policies);
	while (o->nneeds > 0)
		free(o->needs[--o->nneeds]);
	free(o->needs);
	cJSON_Delete(o->body);
	memset(o, 0, sizeof *o);
}

static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Lint: hooks whose wait cannot end well, or is not what a reader expects. */
static void
lint_wait(const doc_ctx *c, const cJSON *root, const pl_object *o)
{
	const cJSON *spec = member(root, "spec"), *v;

	if (o->wait == PL_WAIT_SUCCEEDED) {
		v = member(spec, "restartPolicy");
		if (v == NULL || (cJSON_IsString(v) && strcmp(v->valuestring, "Always") == 0))
			ddiag(c, PL_WARNING, v ? v : root, 0, 0,
			    "Pod hook %s has restartPolicy Always%s: it never reaches phase "
			    "Succeeded, so the wait ends only at --timeout (use Never or OnFailure)",
			    o->name, v ? "" : " (the default)");
	} else if (o->wait == PL_WAIT_COMPLETE) {
		v = member(spec, "suspend");
		if (cJSON_IsTrue(v))
			ddiag(c, PL_WARNING, v, 0, 0,
			    "Job hook %s is suspended: it never completes, so the wait ends "
			    "only at --timeout", o->name);
		v = member(spec, "ttlSecondsAfterFinished");
		if (cJSON_IsNumber(v) && v->valuedouble == 0)
			ddiag(c, PL_WARNING, v, 0, 0,
			    "Job hook %s has ttlSecondsAfterFinished 0: it can be deleted before "
			    "its completion is seen (Helm 4 then waits until --timeout)", o->name);
		v = member(member(member(spec, "template"), "spec"), "restartPolicy");
		if (cJSON_IsString(v) && strcmp(v->valuestring, "Always") == 0)
			ddiag(c, PL_WARNING, v, 0, 0,
			    "Job hook %s has a pod template with restartPolicy Always, which the "
			    "API server refuses for a Job", o->name);
	} else {
		static const char *const workloads[] = {
			"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
			"ReplicationController", "CronJob"
		};
		if (known(o->kind, workloads, sizeof workloads / sizeof workloads[0]))
			ddiag(c, PL_WARNING, member(root, "kind"), 0, 0,
			    "%s hook %s is not waited for: Helm counts any kind but Job and Pod "
			    "ready as soon as it is created", o->kind, o->name);
	}
}

/* Parses helm.sh/hook into o->events; -1 if the document is to be dropped. */
static int
parse_events(const doc_ctx *c, const cJSON *node, const char *value, pl_object *o)
{
	const char *s = value;
	int drop = 0;
	int sev = (c->p->cfg.flags & PL_SKIP_UNKNOWN_HOOKS) ? PL_WARNING : PL_ERROR;

	for (;;) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s), off;
		const char *t = s;
		char low[64];
		int ev = -1;

		trim(&t, &n);
		off = (size_t)(t - value);
		if (n < sizeof low)
			ev = pl_event_parse(lower(low, sizeof low, t, n));
		if (ev < 0) {
			unsigned add = token_col(c, node, n ? off : (size_t)(s - value));
			const char *tail = sev == PL_ERROR
			    ? "Helm would drop the whole document silently; --skip-unknown-hooks does that"
			    : "the document is dropped, as Helm does";

			if (n == 0)
				ddiag(c, sev, node, 0, add, "empty hook event in helm.sh/hook \"%s\" (%s)",
				    value, tail);
			else
				ddiag(c, sev, node, 0, add, "unknown hook event \"%.*s\" in helm.sh/hook "
				    "\"%s\" (%s)", (int)n, t, value, tail);
			drop = 1;
		} else if (!drop) {
			int *v = realloc(o->events, (o->nevents + 1) * sizeof *v);

			if (v == NULL) {
				c->p->oom = 1;
				return -1;
			}
			o->events = v;
			o->events[o->nevents++] = ev;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	return drop ? -1 : 0;
}

/* An annotation as a string (Helm's view), with lint for non-strings. */
static char *
get_annotation(const doc_ctx *c, const cJSON *ann, const char *key, const cJSON **node,
    int *bad)
{
	const cJSON *v = member(ann, key);
	int nonstring;
	char *s;

	*node = v;
	*bad = 0;
	if (v == NULL)
		return NULL;
	s = annotation_text(c->p, v, &nonstring, bad);
	if (*bad) {
		ddiag(c, PL_ERROR, v, 0, 0, "annotation %s: expected a string", key);
		return NULL;
	}
	if (nonstring)
		ddiag(c, PL_WARNING, v, 0, 0, "annotation %s is not a string (quote it): Helm "
		    "reads it as \"%s\", the Kubernetes API refuses it", key, s ? s : "");
	return s;
}

/* Records that o needs kind/name (once). */
static void
need(pl_plan *p, pl_object *o, const char *kind, const cJSON *name)
{
	char buf[320];
	char **v;
	size_t i;

	if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
		return;
	snprintf(buf, sizeof buf, "%s/%s", kind, name->valuestring);
	for (i = 0; i < o->nneeds; i++)
		if (strcmp(o->needs[i], buf) == 0)
			return;
	if ((v = realloc(o->needs, (o->nneeds + 1) * sizeof *v)) == NULL) {
		p->oom = 1;
		return;
	}
	o->needs = v;
	if ((o->needs[o->nneeds] = pstrdup(p, buf)) != NULL)
		o->nneeds++;
}

static void
containers_need(pl_plan *p, pl_object *o, const cJSON *cs)
{
	const cJSON *c, *e;

	cJSON_ArrayForEach(c, cs) {
		cJSON_ArrayForEach(e, member(c, "envFrom")) {
			need(p, o, "ConfigMap", member(member(e, "configMapRef"), "name"));
			need(p, o, "Secret", member(member(e, "secretRef"), "name"));
		}
		cJSON_ArrayForEach(e, member(c, "env")) {
			const cJSON *vf = member(e, "valueFrom");

			need(p, o, "ConfigMap", member(member(vf, "configMapKeyRef"), "name"));
			need(p, o, "Secret", member(member(vf, "secretKeyRef"), "name"));
		}
	}
}

/* What a hook's pod spec refers to by name, for lint_needs. */
static void
collect_needs(pl_plan *p, pl_object *o, const cJSON *root)
{
	const cJSON *spec = member(root, "spec"), *ps = NULL, *v;

	if (o->ns)
		need(p, o, "Namespace", member(member(root, "metadata"), "namespace"));
	if (strcmp(o->kind, "Pod") == 0)
		ps = spec;
	else if (strcmp(o->kind, "CronJob") == 0)
		ps = member(member(member(member(spec, "jobTemplate"), "spec"), "template"), "spec");
	else if (member(spec, "template") != NULL)
		ps = member(member(spec, "template"), "spec");
	if (!cJSON_IsObject(ps))
		return;
	v = member(ps, "serviceAccountName");
	need(p, o, "ServiceAccount", v ? v : member(ps, "serviceAccount"));
	containers_need(p, o, member(ps, "initContainers"));
	containers_need(p, o, member(ps, "containers"));
	cJSON_ArrayForEach(v, member(ps, "volumes")) {
		need(p, o, "ConfigMap", member(member(v, "configMap"), "name"));
		need(p, o, "Secret", member(member(v, "secret"), "secretName"));
		need(p, o, "PersistentVolumeClaim",
		    member(member(v, "persistentVolumeClaim"), "claimName"));
	}
}

static int
add_object(pl_plan *p, pl_object *o)
{
	if (p->nobjs == p->capobjs) {
		size_t cap = p->capobjs ? 2 * p->capobjs : 32;
		pl_object *v = realloc(p->objs, cap * sizeof *v);

		if (v == NULL) {
			p->oom = 1;
			return -1;
		}
		p->objs = v;
		p->capobjs = cap;
	}
	o->seq = p->nobjs;
	p->objs[p->nobjs++] = *o;
	return 0;
}

/* One value of the head against its rule (pl_check_*): 1 if refused. */
static int
check_value(const doc_ctx *c, const cJSON *node, const char *what, const char *value,
    const char *why)
{
	char q[256];

	if (why == NULL || value[0] == '\0')
		return 0;
	pl_quote(value, q, sizeof q);
	ddiag(c, PL_ERROR, node, 0, 0, "%s %s: expected %s", what, q, why);
	return 1;
}

/*
 * apiVersion, kind, metadata.name and metadata.namespace go into request
 * paths: each is checked by the server's rules, so that no value can leave
 * its path segment (or be refused by the server halfway through a run).
 */
static int
check_head(const doc_ctx *c, const cJSON *root, const cJSON *md, const char *api,
    const char *kind, const char *name, const char *ns)
{
	int bad = 0;

	bad |= check_value(c, member(root, "apiVersion"), "apiVersion", api,
	    pl_check_api_version(api));
	bad |= check_value(c, member(root, "kind"), "kind", kind, pl_check_kind(kind));
	if (kind[0] != '\0' && pl_check_kind(kind) == NULL)
		bad |= check_value(c, member(md, "name"), "metadata.name", name,
		    pl_check_name(kind, name));
	bad |= check_value(c, member(md, "namespace"), "metadata.namespace", ns,
	    pl_check_namespace(ns));
	return bad;
}

/* A List document ("kind: List", or any kind ending in List, with an
 * items array), which kubectl and Helm expand into its items. */
static int
is_list(const cJSON *root)
{
	const cJSON *k = member(root, "kind");
	size_t n;

	if (!cJSON_IsString(k) || !cJSON_IsArray(member(root, "items")))
		return 0;
	n = strlen(k->valuestring);
	return n >= 4 && strcmp(k->valuestring + n - 4, "List") == 0;
}

/*
 * The items of a List, each added as a document of its own at its own
 * place, in the List's place of InstallOrder.  Owns root, as pl_add does:
 * each item is detached and given to pl_add, the rest freed here.
 */
static int
add_list(pl_plan *p, cJSON *root, const ym_marks *marks, const char *file,
    const char *source, size_t input, size_t doc, unsigned line, unsigned col)
{
	doc_ctx c;
	cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items"), *it, *next;
	const cJSON *ann = member(member(root, "metadata"), "annotations");
	int ret = 0;

	c.p = p;
	c.marks = marks;
	c.file = file;
	c.source = source ? source : file;
	c.line = line;
	c.col = col;
	if (cJSON_IsObject(ann) && member(ann, "helm.sh/hook") != NULL) {
		ddiag(&c, PL_ERROR, member(ann, "helm.sh/hook"), 1, 0, "a %s cannot be a hook: put "
		    "the helm.sh/hook annotation on each of its items", member(root, "kind")->valuestring);
		ret = -1;
	}
	for (it = items->child; it != NULL && ret == 0; it = next) {
		unsigned il = line, ic = col;
		size_t before = p->nobjs;

		next = it->next;
		where(&c, it, 0, &il, &ic);
		if (pl_add(p, cJSON_DetachItemViaPointer(items, it), marks, file, source, input,
		    doc, il, ic) != 0)
			ret = -1;
		else if (p->nobjs > before) {
			pl_object *o = &p->objs[p->nobjs - 1];
			free(o->list_kind);
			o->list_kind = pstrdup(p, member(root, "kind")->valuestring);
		}
	}
	cJSON_Delete(root);
	return ret;
}

/* see plan.h */
int
pl_add(pl_plan *p, cJSON *root, const ym_marks *marks, const char *file,
    const char *source, size_t input, size_t doc, unsigned line, unsigned col)
{
	doc_ctx c;
	pl_object o;
	const cJSON *md, *ann, *node;
	const char *api, *kind, *name, *ns;
	char *hook = NULL, *weight = NULL, *del = NULL, *logp = NULL, *rp = NULL;
	int bad, ret = -1, isbad = 0;

	if (is_list(root))
		return add_list(p, root, marks, file, source, input, doc, line, col);
	memset(&o, 0, sizeof o);
	c.p = p;
	c.marks = marks;
	c.file = file;
	c.source = source ? source : file;
	c.line = line;
	c.col = col;

	if (source && basename_of(source)[0] == '_') {
		diag(p, PL_WARNING, file, source, line, col,
		    "skipped: %s is a partial template (its name starts with _), as Helm does",
		    source);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		ddiag(&c, PL_ERROR, root, 0, 0, "a manifest must be a mapping");
		goto out;
	}
	for (node = root->child; node; node = node->next)
		if (node->string && strncmp(node->string, "---", 3) == 0) {
			/* "---apiVersion: v1": Helm's SplitManifests splits there, YAML does not */
			ddiag(&c, PL_ERROR, node, 1, 0, "\"%s\": a document separator with text "
			    "glued to it; Helm splits the document there, YAML does not: put a "
			    "line break after ---", node->string);
			goto out;
		}
	md = member(root, "metadata");
	if (md != NULL && !cJSON_IsObject(md) && !cJSON_IsNull(md)) {
		ddiag(&c, PL_ERROR, md, 0, 0, "metadata: expected a mapping");
		goto out;
	}
	ann = member(md, "annotations");
	if (ann != NULL && !cJSON_IsObject(ann) && !cJSON_IsNull(ann)) {
		ddiag(&c, PL_ERROR, ann, 0, 0, "metadata.annotations: expected a mapping");
		goto out;
	}
	if (head_string(&c, root, "apiVersion", "apiVersion", &api) ||
	    head_string(&c, root, "kind", "kind", &kind) ||
	    head_string(&c, md, "name", "metadata.name", &name) ||
	    head_string(&c, md, "namespace", "metadata.namespace", &ns))
		goto out;

	hook = get_annotation(&c, ann, "helm.sh/hook", &node, &bad);
	isbad |= bad;
	if (hook != NULL) {
		o.is_hook = 1;
		if (parse_events(&c, node, hook, &o) != 0)
			goto out;
	}

	/* The head, as the executor and the messages need it. */
	if (kind[0] == '\0')
		ddiag(&c, PL_ERROR, root, 0, 0, "no kind: the Kubernetes API needs one");
	if (api[0] == '\0')
		ddiag(&c, PL_ERROR, root, 0, 0, "no apiVersion: the Kubernetes API needs one");
	if (name[0] == '\0') {
		if (member(md, "generateName") != NULL)
			ddiag(&c, PL_ERROR, member(md, "generateName"), 1, 0,
			    "no metadata.name: generateName cannot be applied server-side "
			    "(Helm 4 applies hooks and resources server-side)");
		else
			ddiag(&c, PL_ERROR, md ? md : root, md ? 1 : 0, 0,
			    "no metadata.name: the Kubernetes API needs one");
	}
	isbad |= check_head(&c, root, md, api, kind, name, ns);
	o.api_version = pstrdup(p, api);
	o.kind = pstrdup(p, kind);
	o.name = pstrdup(p, name);
	o.ns = member(md, "namespace") && cJSON_IsString(member(md, "namespace"))
	    ? pstrdup(p, ns) : NULL;
	o.source = pstrdup(p, c.source);
	o.file = pstrdup(p, file);
	o.line = line;
	o.col = col;
	o.input = input;
	o.doc = doc;

	if (o.is_hook) {
		int r;

		weight = get_annotation(&c, ann, "helm.sh/hook-weight", &node, &bad);
		isbad |= bad;
		if (weight != NULL && (r = pl_atoi(weight, &o.weight)) != 0)
			ddiag(&c, PL_WARNING, node, 0, 0, "helm.sh/hook-weight \"%s\" is %s: Helm "
			    "uses weight 0", weight, r == -2 ? "out of range for a 64-bit integer"
			    : "not an integer (Go Atoi: an optional sign and digits only)");
		del = get_annotation(&c, ann, "helm.sh/hook-delete-policy", &node, &bad);
		isbad |= bad;
		if (del != NULL) {
			size_t i;

			parse_list(&c, &o.delete_policies, del);
			for (i = 0; i < o.delete_policies.n; i++)
				if (!known(o.delete_policies.v[i], known_delete, 3))
					ddiag(&c, PL_WARNING, node, 0, 0, "unknown delete policy \"%s\" in "
					    "helm.sh/hook-delete-policy \"%s\": Helm keeps it, ignores it, "
					    "and so applies no default%s", o.delete_policies.v[i], del,
					    o.delete_policies.n == 1 ? " (nothing is ever deleted)" : "");
		}
		o.delete_effective.present = 1;
		if (strcmp(kind, "CustomResourceDefinition") == 0) {
			/* deleteHookByPolicy never deletes a CRD hook */
		} else if (o.delete_policies.n == 0) {
			list_add(p, &o.delete_effective, "before-hook-creation", 20);
		} else {
			size_t i;

			for (i = 0; i < o.delete_policies.n; i++)
				list_add(p, &o.delete_effective, o.delete_policies.v[i],
				    strlen(o.delete_policies.v[i]));
		}
		logp = get_annotation(&c, ann, "helm.sh/hook-output-log-policy", &node, &bad);
		isbad |= bad;
		if (logp != NULL) {
			size_t i;

			parse_list(&c, &o.log_policies, logp);
			for (i = 0; i < o.log_policies.n; i++)
				if (!known(o.log_policies.v[i], known_log, 2))
					ddiag(&c, PL_WARNING, node, 0, 0, "unknown output-log policy \"%s\" "
					    "in helm.sh/hook-output-log-policy \"%s\": Helm ignores it",
					    o.log_policies.v[i], logp);
		}
		{
			const char *slash = strchr(api, '/');
			size_t gl = slash ? (size_t)(slash - api) : 0;

			if (strcmp(kind, "Job") == 0 && gl == 5 && strncmp(api, "batch", 5) == 0)
				o.wait = PL_WAIT_COMPLETE;
			else if (strcmp(kind, "Pod") == 0 && slash == NULL)
				o.wait = PL_WAIT_SUCCEEDED;
		}
		lint_wait(&c, root, &o);
		collect_needs(p, &o, root);
	} else {
		rp = get_annotation(&c, ann, "helm.sh/resource-policy", &node, &bad);
		isbad |= bad;
		if (rp != NULL) {
			const char *t = rp;
			size_t n = strlen(rp);
			char low[16];

			trim(&t, &n);
			if (n < sizeof low && strcmp(lower(low, sizeof low, t, n), "keep") == 0) {
				o.policy = PL_POLICY_KEEP;
			} else {
				o.policy = PL_POLICY_OTHER;
				ddiag(&c, PL_WARNING, node, 0, 0, "helm.sh/resource-policy \"%s\" is not "
				    "keep: Helm neither deletes this resource on uninstall nor lists it "
				    "as kept", rp);
			}
		}
	}
	if (isbad || p->oom)
		goto out;
	if (p->cfg.flags & PL_KEEP_BODIES) {
		o.body = root;
		root = NULL;
	}
	if (add_object(p, &o) == 0) {
		memset(&o, 0, sizeof o);
		ret = 0;
	}
out:
	object_free(&o);
	cJSON_Delete(root);
	free(hook);
	free(weight);
	free(del);
	free(logp);
	free(rp);
	return ret;
}

/* ============================== ordering ============================== */

/* qsort has no context argument: the ranks travel in the objects' seq order. */
typedef struct {
	pl_object *o;
	size_t rank;     /* position in the previous, already sorted order */
	int uninstall;
} sort_item;

static int
cmp_path(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	int r = strcmp(x->o->source, y->o->source);

	if (r != 0)
		return r;
	return x->o->seq < y->o->seq ? -1 : x->o->seq > y->o->seq;
}

static int
cmp_kind(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	int r = pl_kind_cmp(x->o->list_kind ? x->o->list_kind : x->o->kind,
	    y->o->list_kind ? y->o->list_kind : y->o->kind, x->uninstall);

	if (r != 0)
		return r < 0 ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int
cmp_weight(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	int r;

	if (x->o->weight != y->o->weight)
		return x->o->weight < y->o->weight ? -1 : 1;
	if ((r = strcmp(x->o->name, y->o->name)) != 0)
		return r;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Sorts v[0..n) stably by kind order, v being in the order to keep. */
static void
sort_by_kind(sort_item *v, size_t n, int uninstall)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].rank = i;
		v[i].uninstall = uninstall;
	}
	qsort(v, n, sizeof *v, cmp_kind);
}

static pl_object **
to_ptrs(pl_plan *p, const sort_item *v, size_t n)
{
	pl_object **r = pmalloc(p, n * sizeof *r);
	size_t i;

	if (r != NULL)
		for (i = 0; i < n; i++)
			r[i] = v[i].o;
	return r;
}

static int
cmp_ident(const void *a, const void *b)
{
	const pl_object *x = *(pl_object *const *)a, *y = *(pl_object *const *)b;
	int r;

	if ((r = strcmp(x->kind, y->kind)) != 0)
		return r;
	if ((r = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "")) != 0)
		return r;
	if ((r = (x->ns != NULL) - (y->ns != NULL)) != 0)
		return r;
	if ((r = strcmp(x->name, y->name)) != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
same_ident(const pl_object *x, const pl_object *y)
{
	return strcmp(x->kind, y->kind) == 0 && strcmp(x->name, y->name) == 0 &&
	    (x->ns == NULL) == (y->ns == NULL) && (x->ns == NULL || strcmp(x->ns, y->ns) == 0);
}

/* Lint: two documents for the same kind, namespace and name. */
static void
lint_duplicates(pl_plan *p)
{
	pl_object **v = pmalloc(p, (p->nobjs ? p->nobjs : 1) * sizeof *v);
	size_t i, first = 0;

	if (v == NULL)
		return;
	for (i = 0; i < p->nobjs; i++)
		v[i] = &p->objs[i];
	qsort(v, p->nobjs, sizeof *v, cmp_ident);
	for (i = 1; i < p->nobjs; i++) {
		const pl_object *a, *b = v[i];
		int other;

		if (!same_ident(v[first], b) || b->name[0] == '\0') {
			first = i;
			continue;
		}
		a = v[first];	/* the earliest: a run is in seq order */
		other = strcmp(a->source, a->file) != 0;
		diag(p, PL_WARNING, b->file, b->source, b->line, b->col,
		    "duplicate %s %s%s%s (%s; the first, %s, is at %s:%u:%u%s%s)", b->kind,
		    b->ns ? b->ns : "", b->ns ? "/" : "", b->name,
		    b->is_hook ? "a hook" : "a resource", a->is_hook ? "a hook" : "a resource",
		    a->file, a->line, a->col, other ? " in " : "", other ? a->source : "");
	}
	free(v);
}

/* The hooks of event ev in run order into scratch (room for every step); their number. */
static size_t
hook_order(const pl_plan *p, int ev, sort_item *scratch)
{
	size_t i, j, n = 0;

	/* executing = [h for h in rel.Hooks for e in h.Events if e == phase] */
	for (i = 0; i < p->nhooks; i++)
		for (j = 0; j < p->hooks[i]->nevents; j++)
			if (p->hooks[i]->events[j] == ev) {
				scratch[n].o = p->hooks[i];
				scratch[n].rank = i;
				n++;
			}
	qsort(scratch, n, sizeof *scratch, cmp_weight);
	return n;
}

static void
phase_for(pl_plan *p, int ev, pl_phase *ph, sort_item *scratch)
{
	size_t i, n;

	ph->event = ev;
	ph->name = pl_event_name(ev);
	ph->steps = NULL;
	ph->nsteps = 0;
	if (ev == PL_EV_RESOURCES) {
		int un = p->cfg.op == PL_OP_UNINSTALL;

		if (!un) {
			ph->steps = pmalloc(p, p->nresources * sizeof *ph->steps);
			if (ph->steps && p->nresources)
				memcpy(ph->steps, p->resources, p->nresources * sizeof *ph->steps);
		} else {
			/* Helm re-sorts the stored (InstallOrder) manifest by UninstallOrder. */
			for (i = 0; i < p->nresources; i++)
				scratch[i].o = p->resources[i];
			sort_by_kind(scratch, p->nresources, 1);
			ph->steps = to_ptrs(p, scratch, p->nresources);
		}
		if (ph->steps)
			ph->nsteps = p->nresources;
		return;
	}
	n = hook_order(p, ev, scratch);
	if (ev == PL_EV_TEST && p->cfg.filter) {
		/* helm test --filter: the excluded ones, then those not included */
		size_t k = 0, nf = 0;
		free(p->filtered);
		p->filtered = pmalloc(p, (n ? n : 1) * sizeof *p->filtered);
		p->nfiltered = 0;
		if (p->filtered == NULL)
			return;
		for (i = 0; i < n; i++) {
			if (pl_filter_match(p->cfg.filter, scratch[i].o->name))
				scratch[k++] = scratch[i];
			else
				p->filtered[nf++] = scratch[i].o;
		}
		p->nfiltered = nf;
		n = k;
		for (i = 0; i < p->cfg.filter->ninclude; i++) {
			const char *want = p->cfg.filter->include[i];
			size_t j, seen = 0;
			for (j = 0; j < p->nhooks && !seen; j++) {
				size_t e;
				for (e = 0; e < p->hooks[j]->nevents; e++)
					if (p->hooks[j]->events[e] == PL_EV_TEST &&
					    strcmp(p->hooks[j]->name, want) == 0)
						seen = 1;
			}
			if (!seen)
				diag(p, PL_WARNING, "--filter", NULL, 0, 0,
				    "name=%s matches no test hook", want);
		}
	}
	ph->steps = to_ptrs(p, scratch, n);
	if (ph->steps)
		ph->nsteps = n;
}

/* Whether d is the object "Kind/name" that h needs (in h's namespace, unless a Namespace). */
static int
provides(const pl_object *d, const char *want, const pl_object *h)
{
	size_t kl = strlen(d->kind);

	if (strncmp(want, d->kind, kl) != 0 || want[kl] != '/' || strcmp(want + kl + 1, d->name) != 0)
		return 0;
	if (strcmp(d->kind, "Namespace") == 0)
		return 1;
	if (d->ns == NULL || h->ns == NULL)
		return d->ns == h->ns;
	return strcmp(d->ns, h->ns) == 0;
}

/*
 * Lint: a hook whose pod refers to an object that its phase creates only
 * after it (Helm orders equal weights by name, not kind: D2), or, before
 * install, to one of the release's own resources (created after the
 * pre-install hooks, helm#7447).
 */
static void
lint_needs(pl_plan *p, sort_item *v)
{
	size_t i, j, n, ns;
	int ev;

	for (ev = 0; ev < PL_NEVENTS; ev++) {
		ns = hook_order(p, ev, v);
		for (i = 0; i < ns; i++) {
			const pl_object *h = v[i].o;

			if (i > 0 && v[i - 1].o == h)
				continue;      /* a duplicate event: said once */
			for (n = 0; n < h->nneeds; n++) {
				const char *want = h->needs[n];
				const pl_object *later = NULL;
				int before = 0;

				for (j = 0; j < ns && !before; j++)
					if (v[j].o != h && provides(v[j].o, want, h)) {
						if (j < i)
							before = 1;
						else if (later == NULL)
							later = v[j].o;
					}
				if (before)
					continue;
				if (later != NULL) {
					diag(p, PL_WARNING, h->file, h->source, h->line, h->col,
					    "%s hook %s/%s needs %s, which this phase creates after it "
					    "(weight %lld, then %lld%s): give %s a lower weight",
					    pl_event_name(ev), h->kind, h->name, want, (long long)h->weight,
					    (long long)later->weight, later->weight == h->weight
					    ? "; equal weights run in name order, not kind order" : "", want);
					continue;
				}
				if (ev != PL_EV_PRE_INSTALL)
					continue;
				for (j = 0; j < p->nresources; j++)
					if (provides(p->resources[j], want, h)) {
						diag(p, PL_WARNING, h->file, h->source, h->line, h->col,
						    "pre-install hook %s/%s needs %s, one of the release's "
						    "resources, which are created only after the pre-install "
						    "hooks: on a first install it fails or waits until --timeout "
						    "(make %s a pre-install hook with a lower weight)", h->kind, h->name,
						    want, want);
						break;
					}
			}
		}
	}
}

/* see plan.h */
int
pl_finish(pl_plan *p)
{
	sort_item *v, *scratch;
	size_t i, n = p->nobjs, nh = 0, nr = 0, nsteps = 0;
	int evs[3], ne = 0, k;

	for (i = 0; i < n; i++)
		nsteps += p->objs[i].is_hook ? p->objs[i].nevents : 1;
	v = pmalloc(p, (n ? n : 1) * sizeof *v);
	scratch = pmalloc(p, (nsteps > n ? nsteps : n ? n : 1) * sizeof *scratch);
	if (v == NULL || scratch == NULL)
		goto out;

	/* Helm's files: byte-wise path order, documents in order inside one. */
	for (i = 0; i < n; i++)
		v[i].o = &p->objs[i];
	qsort(v, n, sizeof *v, cmp_path);

	/* rel.Hooks and the generic manifests: stable kind sorts (InstallOrder). */
	for (i = 0; i < n; i++)
		if (v[i].o->is_hook)
			scratch[nh++] = v[i];
	sort_by_kind(scratch, nh, 0);
	free(p->hooks);
	p->hooks = to_ptrs(p, scratch, nh);
	p->nhooks = p->hooks ? nh : 0;
	for (i = 0; i < n; i++)
		if (!v[i].o->is_hook)
			scratch[nr++] = v[i];
	sort_by_kind(scratch, nr, 0);
	free(p->resources);
	p->resources = to_ptrs(p, scratch, nr);
	p->nresources = p->resources ? nr : 0;

	switch (p->cfg.op) {
	case PL_OP_INSTALL:
		evs[0] = PL_EV_PRE_INSTALL; evs[1] = PL_EV_RESOURCES; evs[2] = PL_EV_POST_INSTALL;
		ne = 3;
		break;
	case PL_OP_UPGRADE:
		evs[0] = PL_EV_PRE_UPGRADE; evs[1] = PL_EV_RESOURCES; evs[2] = PL_EV_POST_UPGRADE;
		ne = 3;
		break;
	case PL_OP_UNINSTALL:
		evs[0] = PL_EV_PRE_DELETE; evs[1] = PL_EV_RESOURCES; evs[2] = PL_EV_POST_DELETE;
		ne = 3;
		break;
	case PL_OP_ROLLBACK:
		evs[0] = PL_EV_PRE_ROLLBACK; evs[1] = PL_EV_RESOURCES; evs[2] = PL_EV_POST_ROLLBACK;
		ne = 3;
		break;
	case PL_OP_TEST:
		evs[0] = PL_EV_TEST;
		ne = 1;
		break;
	case PL_OP_RUN:
		if (p->cfg.event >= 0 && p->cfg.event < PL_NEVENTS) {
			evs[0] = p->cfg.event;
			ne = 1;
		}
		break;
	}
	for (k = 0; k < (int)p->nphases; k++)
		free(p->phases[k].steps);
	p->nphases = 0;
	for (k = 0; k < ne; k++)
		phase_for(p, evs[k], &p->phases[p->nphases++], scratch);
	lint_duplicates(p);
	lint_needs(p, scratch);
out:
	free(v);
	free(scratch);
	if (p->oom)
		diag(p, PL_ERROR, "", NULL, 0, 0, "out of memory");
	return p->nerrors ? -1 : 0;
}

/* ============================== the whole build ============================== */

/* see plan.h */
void
pl_init(pl_plan *p, const pl_config *cfg)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
}

/* see plan.h */
void
pl_free(pl_plan *p)
{
	size_t i;

	for (i = 0; i < p->nobjs; i++)
		object_free(&p->objs[i]);
	free(p->objs);
	free(p->hooks);
	free(p->resources);
	free(p->filtered);
	for (i = 0; i < p->nphases; i++)
		free(p->phases[i].steps);
	for (i = 0; i < p->ndiags; i++) {
		free(p->diags[i].file);
		free(p->diags[i].source);
		free(p->diags[i].msg);
	}
	free(p->diags);
	memset(p, 0, sizeof *p);
}

/* see plan.h */
int
pl_build(pl_plan *p, const pl_input *in, size_t nin, const pl_config *cfg)
{
	size_t i;

	pl_init(p, cfg);
	for (i = 0; i < nin && !p->oom; i++) {
		ym_parser yp;
		ym_doc d;
		char *source = NULL;
		int r;

		if (basename_of(in[i].path)[0] == '_') {
			diag(p, PL_WARNING, in[i].path, NULL, 0, 0,
			    "skipped: a partial template (its name starts with _), as Helm does");
			continue;
		}
		ym_init(&yp, in[i].buf, in[i].len);
		while ((r = ym_next(&yp, &d)) == 1) {
			/* a "# Source:" names the template of the documents after it */
			if (d.source != NULL && (source == NULL || strlen(source) != d.source_len ||
			    memcmp(source, d.source, d.source_len) != 0)) {
				free(source);
				source = pstrndup(p, d.source, d.source_len);
			}
			pl_add(p, d.root, d.marks, in[i].path, source, i, d.index,
			    d.start.line, d.start.col);
			d.root = NULL;     /* pl_add took it */
			ym_doc_free(&d);
			if (p->oom)
				break;
		}
		ym_end(&yp);
		if (r < 0)
			diag(p, PL_ERROR, in[i].path, NULL, yp.err.mark.line, yp.err.mark.col,
			    "%s", yp.err.msg);
		free(source);
	}
	return pl_finish(p);
}

/* ============================== JSON ============================== */

static cJSON *
list_json(const pl_list *l)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

static cJSON *
step_json(const pl_plan *p, const pl_phase *ph, const pl_object *o)
{
	cJSON *s = cJSON_CreateObject();

	if (s == NULL)
		return NULL;
	cJSON_AddStringToObject(s, "kind", o->kind);
	cJSON_AddStringToObject(s, "apiVersion", o->api_version);
	cJSON_AddStringToObject(s, "name", o->name);
	if (o->ns)
		cJSON_AddStringToObject(s, "namespace", o->ns);
	else
		cJSON_AddNullToObject(s, "namespace");
	if (o->is_hook)
		cJSON_AddNumberToObject(s, "weight", (double)o->weight);
	cJSON_AddStringToObject(s, "source", o->source);
	cJSON_AddStringToObject(s, "file", o->file);
	cJSON_AddNumberToObject(s, "line", o->line);
	if (o->is_hook) {
		cJSON_AddItemToObject(s, "delete_policies", list_json(&o->delete_effective));
		cJSON_AddItemToObject(s, "delete_policies_parsed", list_json(&o->delete_policies));
		cJSON_AddItemToObject(s, "log_policies", list_json(&o->log_policies));
		cJSON_AddStringToObject(s, "wait", pl_wait_name(o->wait));
	} else {
		const char *action = "apply";

		if (p->cfg.op == PL_OP_UNINSTALL)
			action = o->policy == PL_POLICY_KEEP ? "keep" :
			    o->policy == PL_POLICY_OTHER ? "leave" : "delete";
		cJSON_AddStringToObject(s, "action", action);
		cJSON_AddBoolToObject(s, "keep", o->policy == PL_POLICY_KEEP);
		cJSON_AddStringToObject(s, "wait", "none");
	}
	(void)ph;
	return s;
}

/* see plan.h */
cJSON *
pl_to_json(const pl_plan *p)
{
	cJSON *root = cJSON_CreateObject(), *phases, *hooks;
	size_t i, j;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "operation", pl_op_name(p->cfg.op));
	phases = cJSON_AddArrayToObject(root, "phases");
	for (i = 0; phases && i < p->nphases; i++) {
		const pl_phase *ph = &p->phases[i];
		cJSON *o = cJSON_CreateObject(), *steps;

		if (o == NULL)
			break;
		cJSON_AddItemToArray(phases, o);
		cJSON_AddStringToObject(o, "name", ph->name);
		steps = cJSON_AddArrayToObject(o, "steps");
		for (j = 0; steps && j < ph->nsteps; j++)
			cJSON_AddItemToArray(steps, step_json(p, ph, ph->steps[j]));
	}
	/* rel.Hooks: the order `helm template` prints them in */
	hooks = cJSON_AddArrayToObject(root, "hooks");
	for (i = 0; hooks && i < p->nhooks; i++) {
		const pl_object *h = p->hooks[i];
		cJSON *o = cJSON_CreateObject(), *ev;

		if (o == NULL)
			break;
		cJSON_AddItemToArray(hooks, o);
		cJSON_AddStringToObject(o, "kind", h->kind);
		cJSON_AddStringToObject(o, "name", h->name);
		cJSON_AddStringToObject(o, "source", h->source);
		ev = cJSON_AddArrayToObject(o, "events");
		for (j = 0; ev && j < h->nevents; j++)
			cJSON_AddItemToArray(ev, cJSON_CreateString(pl_event_name(h->events[j])));
	}
	if (p->cfg.filter) {
		/* helm test --filter: the test steps left out */
		cJSON *fo = cJSON_AddArrayToObject(root, "filtered_out");
		for (i = 0; fo && i < p->nfiltered; i++) {
			cJSON *o = cJSON_CreateObject();
			if (o == NULL)
				break;
			cJSON_AddItemToArray(fo, o);
			cJSON_AddStringToObject(o, "kind", p->filtered[i]->kind);
			cJSON_AddStringToObject(o, "name", p->filtered[i]->name);
		}
	}
	cJSON_AddNumberToObject(root, "warnings", (double)p->nwarnings);
	if (cJSON_GetArraySize(phases) != (int)p->nphases || cJSON_GetArraySize(hooks) != (int)p->nhooks) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
